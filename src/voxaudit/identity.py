"""The identity stage of a scan: embed (with the cache), then analyse the set against itself or a profile.

It glues the speaker pieces together for the pipeline; each piece stays usable on its own:
``speaker.load_encoder`` / ``EmbeddingInference`` (embed), ``cache.EmbeddingCache`` (reuse),
``speaker.consistency.analyse_set`` (analyse), ``profile.Profile`` (judge against a saved voice).
"""

from __future__ import annotations

import itertools
from typing import Callable, Iterator, Optional

import numpy as np

from .model import ClipResult
from .signal.findings import make_finding, quality_score

# Cache writes are grouped so a killed run loses at most this many finished embeddings.
CACHE_FLUSH_EVERY = 16


def weights_summary(encoder: str, weights_sha256) -> dict:
    """The summary keys that say whether the encoder's weights are the published model's, shared by the
    scan and ``voxaudit serve``: ``encoder_weights_verified`` (True/False, None when unknown) and
    ``identity_calibration`` (``"applies"``, or ``"not applicable: unverified weights"`` for a fine-tuned,
    random or other checkpoint loaded with ``--unverified-weights``: the per-encoder constants of the
    analysis were measured on the published weights' similarity scale, not on these)."""
    from .speaker.weights import calibration_status, weights_published

    return {"encoder_weights_verified": weights_published(encoder, weights_sha256),
            "identity_calibration": calibration_status(encoder, weights_sha256)}


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


def judge_speakers(clips: list[ClipResult], matrix: np.ndarray, labels: list[str], *, encoder: str,
                   profiles=None, lang: str, config, min_clips: int = 5):
    """Judge every labelled speaker and attach the verdicts to ``clips``: each clip's ``identity``
    block (its label's analysis, plus ``speaker``, ``other_speaker``, ``other_similarity`` and, for a
    clip filed under the wrong name, ``likely_speaker``), a ``speaker_mislabel`` error for such a clip,
    a ``speaker_mismatch`` error for any other outlier of its label, and a ``speaker_not_in_profile``
    warning for a clip whose label a given profile lacks.

    Parameters
    ----------
    clips : list of ClipResult
    matrix : np.ndarray [N, D]
        Embeddings (NaN rows for clips that were not embedded).
    labels : list of str
        Speaker label per clip.
    profiles : mapping of str to Profile, optional
        Saved voices by label.
    encoder, lang, config, min_clips
        As :func:`judge_identity`.

    Returns
    -------
    SpeakersAnalysis
    """
    from .speaker.speakers import analyse_speakers

    durations = [(c.metrics or {}).get("duration_s") for c in clips]
    result = analyse_speakers(matrix, labels, encoder=encoder, profiles=profiles, min_clips=min_clips, lang=lang,
                              durations=durations)
    for spk in result.speakers:
        a = spk.analysis
        for local, row in enumerate(spk.rows):
            clip = clips[row]
            block = a.clips[local]
            if block is None:
                continue
            block = dict(block, speaker=spk.name)
            if result.other_speaker[row] is not None:
                block["other_speaker"] = result.other_speaker[row]
                block["other_similarity"] = _round4(result.other_similarity[row])
            likely = result.likely_speaker[row]
            findings = []
            if likely is not None:
                block["likely_speaker"] = likely
                finding = make_finding("speaker_mislabel", "error", lang=lang, metric="similarity",
                                       value=block["similarity"], speaker=spk.name, likely_speaker=likely,
                                       likely_similarity=result.other_similarity[row])
                finding.extra = {"speaker": spk.name, "likely_speaker": likely,
                                 "likely_similarity": _round4(result.other_similarity[row])}
                findings.append(finding)
            elif block.get("outlier"):
                findings.append(make_finding("speaker_mismatch", "error", lang=lang, metric="similarity",
                                             value=block["similarity"],
                                             threshold=_round4(a.thresholds[local]), reason=block["reason"]))
            if spk.in_profile is False:
                findings.append(make_finding("speaker_not_in_profile", "warning", lang=lang, speaker=spk.name))
            clip.identity = block
            if findings:
                clip.findings[:0] = findings
                clip.quality = quality_score(clip.findings, config)
    return result


def speakers_summary(result, clips: list[ClipResult], lang: str) -> dict:
    """The identity keys of a multi-speaker summary: ``speakers`` (one object per label), the counts
    across labels, and the verdict in words; the one-voice keys of the whole set are None."""
    from .report.verdict import speakers_sentence
    from .select import choose_reference

    speakers = []
    for spk in result.speakers:
        own = [clips[row] for row in spk.rows]
        entry = identity_summary(spk.analysis, own, lang)
        readable = [c for c in own if c.readable and c.metrics]
        total_s = sum(c.metrics.get("duration_s", 0.0) for c in readable)
        usable_s = sum(c.metrics.get("duration_s", 0.0) for c in readable if not c.has_error())
        reference, alternates = choose_reference(own)
        entry = {
            "name": spk.name, "n_clips": spk.n_clips, "minutes": round(total_s / 60.0, 3),
            "usable_minutes": round(usable_s / 60.0, 3), **entry,
            "n_mislabelled": sum(1 for row in spk.rows if result.likely_speaker[row] is not None),
            # Voices of the label that hold at least one clip not filed here by mistake.
            "n_own_voices": sum(1 for v in spk.analysis.voices
                                if any(result.likely_speaker[spk.rows[m]] is None for m in v.members)) or None,
            "reference": reference, "reference_alternates": alternates,
            "same_voice_as": list(spk.same_voice_as),
        }
        if spk.in_profile is not None:
            entry["in_profile"] = spk.in_profile
        speakers.append(entry)
    names = [s.name for s in result.speakers]
    out = {
        "n_voices": None, "consistent": (all(s["consistent"] for s in speakers) and result.n_mislabelled == 0
                                         and not any(s["same_voice_as"] for s in speakers)),
        "dominant_cluster": None, "identity_threshold": None, "similarity_median": None,
        "n_speakers": len(speakers), "n_mislabelled": result.n_mislabelled,
        "n_outliers": sum(s["n_outliers"] for s in speakers),
        "same_voice_pairs": sorted([a, b] for s in speakers for a, b in [(s["name"], o) for o in s["same_voice_as"]]
                                   if a < b),
        "speakers": speakers,
        "speaker_cohesion": {"names": names,
                             "matrix": [[_round4(v) for v in row] for row in result.cohesion.tolist()]},
    }
    out["identity_verdict"] = speakers_sentence(out, lang)
    return out


def _round4(value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return round(value, 4) if np.isfinite(value) else None


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
        self._pending: list[tuple[tuple[str, str, str], np.ndarray]] = []
        self._cache_was_empty = False

    # -- embed -------------------------------------------------------------------------------------
    def _load(self) -> None:
        from .speaker import EmbeddingInference, load_encoder

        opts = self.options
        self.encoder, message = load_encoder(opts.encoder, model_dir=opts.model_dir, device=opts.device,
                                             allow_download=opts.allow_download,
                                             verify=not getattr(opts, "unverified_weights", False))
        if message:
            self.tell(self._localised(message))
        self.inference = EmbeddingInference(self.encoder, batch_size=opts.batch_size, half=opts.half)
        self._open_profile_and_cache()

    def use_encoder(self, info) -> None:
        """Judge with an encoder that runs elsewhere (the Ray engine's actors): ``info`` has the encoder's
        ``name``, ``dim`` and ``weights_sha256``. Loads the profile and the embedding cache, not the model."""
        self.encoder = info
        self._open_profile_and_cache()

    def _open_profile_and_cache(self) -> None:
        opts = self.options
        if opts.profile_path and self.profile is None:
            from .profile import read_profile

            self.profile = read_profile(opts.profile_path)
            self.profile.check_compatible(self.encoder.name, self.encoder.weights_sha256)
        if opts.cache_path and self.cache is None:
            from .cache import EmbeddingCache

            self.cache = EmbeddingCache(opts.cache_path, notice=self.tell)
            self._cache_was_empty = len(self.cache) == 0  # nothing to look up in a fresh cache

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

    def cached(self, sha: str) -> Optional[np.ndarray]:
        """The cached embedding of content ``sha`` with this encoder, or None."""
        if self.cache is None or self._cache_was_empty:
            return None
        hit = self.cache.get(self._key(sha))
        if hit is not None:
            self.cache_hits += 1
        return hit

    def remember(self, sha: str, vector: np.ndarray) -> None:
        """Count a new embedding and queue it for the cache (written every ``CACHE_FLUSH_EVERY``)."""
        self.embedded += 1
        if self.cache is not None:
            self._pending.append((self._key(sha), vector))
            if len(self._pending) >= CACHE_FLUSH_EVERY:
                self.flush()

    def flush(self) -> None:
        """Write the queued embeddings to the cache."""
        if self.cache is not None and self._pending:
            self.cache.put_many(self._pending)
            self._pending.clear()

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
                hit = self.cached(sha)
                if hit is not None:
                    embeddings[index] = hit
                    continue
                yield (index, sha), wav

        for (index, sha), vector in self.inference.embed_many(not_cached()):
            embeddings[index] = vector
            self.remember(sha, vector)
        self.flush()
        return embeddings

    # -- analyse -----------------------------------------------------------------------------------
    def analyse(self, clips: list[ClipResult], embeddings: dict[int, np.ndarray],
                labels: Optional[list[str]] = None):
        """Attach identity blocks and ``speaker_mismatch`` (and, with ``labels``, ``speaker_mislabel``)
        findings; return (matrix, analysis, summary)."""
        if self.encoder is None:  # nothing was readable
            return None, None, {"identity": "no readable clips to embed"}
        dim = int(self.encoder.dim)
        matrix = np.full((len(clips), dim), np.nan, dtype=np.float32)
        for index, vector in embeddings.items():
            matrix[index] = vector
        if labels is not None:
            from .profile import speaker_profiles_for

            profiles = speaker_profiles_for(self.profile, labels) if self.profile is not None else None
            analysis = judge_speakers(clips, matrix, labels, encoder=self.encoder.name, profiles=profiles,
                                      lang=self.options.lang, config=self.options.config)
            identity = speakers_summary(analysis, clips, self.options.lang)
        else:
            from .profile import single_profile_for

            profile = single_profile_for(self.profile) if self.profile is not None else None
            analysis = judge_identity(clips, matrix, encoder=self.encoder.name, profile=profile,
                                      lang=self.options.lang, config=self.options.config)
            identity = identity_summary(analysis, clips, self.options.lang)
        summary = {
            "encoder": self.encoder.name,
            "encoder_weights_sha256": self.encoder.weights_sha256,
            **weights_summary(self.encoder.name, self.encoder.weights_sha256),
            "embedding_dim": dim,
            "embedded": self.embedded,
            "cache_hits": self.cache_hits,
            "judged_against": "profile" if self.profile is not None else "set",
        }
        summary.update(identity)
        return matrix, analysis, summary

    def close(self) -> None:
        if self.cache is not None:
            self.flush()
            self.cache.close()
