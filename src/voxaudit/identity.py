"""The identity stage of a scan: embed (with the cache), then analyse the set against itself or a profile.

It glues the speaker pieces together for the pipeline; each piece stays usable on its own:
``speaker.load_encoder`` / ``EmbeddingInference`` (embed), ``cache.EmbeddingCache`` (reuse),
``speaker.consistency.analyse_set`` (analyse), ``profile.Profile`` (judge against a saved voice).
"""

from __future__ import annotations

import itertools
from typing import Callable, Iterator

import numpy as np

from .model import ClipResult
from .signal.findings import make_finding, quality_score

# Cache writes are grouped so a killed run loses at most this many finished embeddings.
CACHE_FLUSH_EVERY = 16


def judge_identity(clips: list[ClipResult], matrix: np.ndarray, *, encoder: str, profile, lang: str,
                   config, min_clips: int = 5):
    """Judge the set's voices and attach the verdicts to ``clips``: each clip's ``identity`` block and,
    for an outlier take, a ``speaker_mismatch`` error (its quality re-scored). Shared by the scan and
    ``voxaudit serve``.

    Parameters
    ----------
    clips : list of ClipResult
        One per row of ``matrix``; their ``duration_s`` widens the margin of short clips.
    matrix : np.ndarray [N, D]
        Embeddings (NaN rows for clips that were not embedded).
    encoder, profile, lang, min_clips
        As :func:`~voxaudit.speaker.consistency.analyse_set`.
    config : Config
        Thresholds for the quality score.

    Returns
    -------
    SetAnalysis
    """
    from .speaker.consistency import analyse_set

    durations = [(c.metrics or {}).get("duration_s") for c in clips]
    analysis = analyse_set(matrix, encoder=encoder, profile=profile, min_clips=min_clips, lang=lang,
                           durations=durations)
    for clip, block, threshold in zip(clips, analysis.clips, analysis.thresholds):
        clip.identity = block
        if block and block.get("outlier"):
            clip.findings.insert(0, make_finding("speaker_mismatch", "error", lang=lang, metric="similarity",
                                                 value=block["similarity"], threshold=round(float(threshold), 4),
                                                 reason=block["reason"]))
            clip.quality = quality_score(clip.findings, config)
    return analysis


def identity_summary(analysis, clips: list[ClipResult], lang: str) -> dict:
    """The identity keys of a summary: :meth:`SetAnalysis.summary_dict` with each voice's typical clip
    as a path (``typical_clip``), the outlier count, and the verdict in words (``identity_verdict``,
    :func:`voxaudit.report.verdict.voices_sentence`). Shared by the scan and ``voxaudit serve``."""
    from .report.verdict import voices_sentence

    out = analysis.summary_dict()
    for voice in out.get("voices", []):
        row = voice.pop("typical_row", None)
        voice["typical_clip"] = clips[row].source.display_path if row is not None else None
    out["n_outliers"] = analysis.n_outliers
    out["identity_verdict"] = voices_sentence(out, lang, n_outliers=analysis.n_outliers)
    return out


class IdentityStage:
    """Embeds clips as the pipeline hands them over, then judges the set.

    The encoder is loaded only when the first clip arrives, so worker processes are already decoding
    and measuring while the model loads.
    """

    def __init__(self, options, tell: Callable[[str], None]):
        self.options = options
        self.tell = tell
        self.encoder = None
        self.inference = None
        self.cache = None
        self.profile = None
        self.cache_hits = 0
        self.embedded = 0

    # -- embed -------------------------------------------------------------------------------------
    def _load(self) -> None:
        from .speaker import EmbeddingInference, load_encoder

        opts = self.options
        self.encoder, message = load_encoder(opts.encoder, model_dir=opts.model_dir, device=opts.device,
                                             allow_download=opts.allow_download)
        if message:
            self.tell(self._localised(message))
        self.inference = EmbeddingInference(self.encoder, batch_size=opts.batch_size, half=opts.half)
        if opts.profile_path:
            from .profile import Profile

            self.profile = Profile.from_json(opts.profile_path)
            self.profile.check_compatible(self.encoder.name, self.encoder.weights_sha256)
        if opts.cache_path:
            from .cache import EmbeddingCache

            self.cache = EmbeddingCache(opts.cache_path, notice=self.tell)

    def _localised(self, message: str) -> str:
        """The encoder's notice in the scan's language: the fallback to GE2E has its own text (the
        reason the ECAPA-TDNN weights were not used stays as the loader gave it: paths, errors)."""
        from .messages import notice_text

        if self.options.lang == "en" or self.encoder is None or self.encoder.name != "ge2e" \
                or self.options.encoder == "ge2e":
            return message
        detail = message.split("; using ge2e")[0]
        return notice_text("encoder_fallback", self.options.lang, detail=detail)

    def _key(self, sha: str) -> tuple[str, str, str]:
        return (sha, self.encoder.name, self.encoder.weights_sha256)

    def embed(self, items: Iterator[tuple[int, str, np.ndarray]]) -> dict[int, np.ndarray]:
        """Embed ``(index, content_sha256, wav16k)`` items; return ``index -> embedding``."""
        items = iter(items)
        first = next(items, None)  # starts the workers before the model loads
        if first is None:
            return {}
        self._load()
        embeddings: dict[int, np.ndarray] = {}

        def not_cached() -> Iterator[tuple[tuple[int, str], np.ndarray]]:
            for index, sha, wav in itertools.chain([first], items):
                if self.cache is not None:
                    hit = self.cache.get(self._key(sha))
                    if hit is not None:
                        embeddings[index] = hit
                        self.cache_hits += 1
                        continue
                yield (index, sha), wav

        pending: list[tuple[tuple[str, str, str], np.ndarray]] = []
        for (index, sha), vector in self.inference.embed_many(not_cached()):
            embeddings[index] = vector
            self.embedded += 1
            if self.cache is not None:
                pending.append((self._key(sha), vector))
                if len(pending) >= CACHE_FLUSH_EVERY:
                    self.cache.put_many(pending)
                    pending.clear()
        if self.cache is not None and pending:
            self.cache.put_many(pending)
        return embeddings

    # -- analyse -----------------------------------------------------------------------------------
    def analyse(self, clips: list[ClipResult], embeddings: dict[int, np.ndarray]):
        """Attach identity blocks and ``speaker_mismatch`` findings; return (matrix, analysis, summary)."""
        if self.encoder is None:  # nothing was readable
            return None, None, {"identity": "no readable clips to embed"}
        dim = int(self.encoder.dim)
        matrix = np.full((len(clips), dim), np.nan, dtype=np.float32)
        for index, vector in embeddings.items():
            matrix[index] = vector
        analysis = judge_identity(clips, matrix, encoder=self.encoder.name, profile=self.profile,
                                  lang=self.options.lang, config=self.options.config)
        summary = {
            "encoder": self.encoder.name,
            "encoder_weights_sha256": self.encoder.weights_sha256,
            "embedding_dim": dim,
            "embedded": self.embedded,
            "cache_hits": self.cache_hits,
            "judged_against": "profile" if self.profile is not None else "set",
        }
        summary.update(identity_summary(analysis, clips, self.options.lang))
        return matrix, analysis, summary

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()
