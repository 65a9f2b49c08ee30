"""A live recording session: analyse each take as it arrives, judge the set as it grows.

Everything here reuses the scan's stages through their public functions; nothing is measured or judged
in a second way:

- per take: :func:`voxaudit.pipeline.process_clip` (decode, measure, judge, 16 kHz audio for the
  encoder), the speaker encoder (:func:`voxaudit.speaker.load_encoder`, loaded once per server process)
  and :func:`voxaudit.report.plots.clip_picture_data` (waveform, silences, spectrogram);
- per session: :func:`voxaudit.signal.findings.judge_metrics` (findings in the page's language),
  :func:`voxaudit.speaker.consistency.analyse_set` (one voice or not, against the session's own takes
  or a loaded :class:`voxaudit.profile.Profile`), :func:`voxaudit.select.choose_reference`, and for the
  downloads :func:`voxaudit.report.outputs.write_outputs` (report.json, clips.csv, keep.list,
  rejected.list, profile.json, report.html), exactly as ``voxaudit scan`` writes them.

A take's stored analysis holds what does not depend on the other takes (metrics, embedding, picture
data); identity verdicts, ``speaker_mismatch`` findings and quality scores are derived from the whole
session each time it changes, so deleting a take or loading a profile re-judges every take.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from ..config import Config
from ..errors import ParameterError
from ..model import ClipResult, ClipSource
from .records import SOURCES
from .store import EXTENSIONS, TakeStore, now_iso
from .upload import ReceivedFile, UploadError

log = logging.getLogger("voxaudit.serve")

# A session is judged for one voice from this many takes on (analyse_set's own minimum).
MIN_TAKES_FOR_IDENTITY = 5
# Default upload limit in bytes (10 minutes of 48 kHz 24-bit stereo is about 170 MB; a take is shorter).
DEFAULT_MAX_UPLOAD_BYTES = 100 * 1000 * 1000
# Exports the page may download, and their media types.
EXPORTS = {"report.json": "application/json", "report.html": "text/html; charset=utf-8",
           "keep.list": "text/plain; charset=utf-8", "rejected.list": "text/plain; charset=utf-8",
           "clips.csv": "text/csv; charset=utf-8", "profile.json": "application/json"}

# -- the encoder: one per server process ---------------------------------------------------------------

_ENCODERS: dict[tuple, "LoadedEncoder"] = {}
_ENCODERS_LOCK = threading.Lock()


@dataclass
class LoadedEncoder:
    """A speaker encoder with its inference wrapper; ``lock`` serialises forward passes."""

    encoder: Any
    inference: Any
    notice: Optional[str]
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def key(self) -> dict:
        return {"name": self.encoder.name, "weights_sha256": self.encoder.weights_sha256,
                "dim": int(self.encoder.dim)}

    def embed(self, wav16k: np.ndarray) -> np.ndarray:
        with self.lock:
            return self.inference.embed(wav16k)


def shared_encoder(name: str = "auto", *, model_dir: Optional[str] = None, device: str = "auto",
                   verify: bool = True) -> LoadedEncoder:
    """The encoder for these settings, loaded on first use and then shared by every session of this
    process (the weights are read once). Never downloads: a server does not reach the network.
    ``verify=False`` accepts ECAPA-TDNN weights that are not the published checkpoint."""
    key = (name, model_dir, device, bool(verify))
    with _ENCODERS_LOCK:
        loaded = _ENCODERS.get(key)
        if loaded is None:
            from ..speaker import EmbeddingInference, load_encoder

            encoder, notice = load_encoder(name, model_dir=model_dir, device=device, allow_download=False,
                                           verify=verify)
            loaded = LoadedEncoder(encoder, EmbeddingInference(encoder), notice)
            _ENCODERS[key] = loaded
        return loaded


# -- helpers -------------------------------------------------------------------------------------------

def take_verdict(findings: list[dict], set_wide: Optional[dict] = None) -> str:
    """``"re-record"`` with any error (signal or voice), ``"check"`` with warnings only, else ``"keep"``.

    Findings said once for the whole session (``set_wide``: a source condition every take shares, see
    :mod:`voxaudit.setwide`) do not count.
    """
    from ..setwide import verdict_severity

    worst = verdict_severity(findings, set_wide or {})
    return "re-record" if worst == "error" else "check" if worst == "warning" else "keep"


def _finite(value: Any) -> Optional[float]:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None


@dataclass
class SessionView:
    """The session as judged now: one ClipResult per take (in upload order) and the set's verdict."""

    version: tuple
    records: list[dict]
    clips: list[ClipResult]
    matrix: Optional[np.ndarray]
    analysis: Any
    summary: dict
    takes: list[dict]

    def take(self, take_id: str) -> Optional[dict]:
        return next((t for t in self.takes if t["id"] == take_id), None)


class Session:
    """One project folder served to the browser.

    Parameters
    ----------
    project_dir : path-like
        The session's folder (created when missing; an existing one is resumed).
    lang : {'en', 'zh'}
        Default language of findings and hints (each request may ask for the other).
    config : Config, optional
        Thresholds (default: the built-in table).
    encoder, model_dir, device :
        Speaker encoder settings, as for ``voxaudit scan``.
    unverified_weights : bool
        Accept ECAPA-TDNN weights that are not the published checkpoint, as ``--unverified-weights``.
    profile_path : path-like, optional
        A ``profile.json`` to judge takes against; copied into the project as ``voice-profile.json``.
    max_upload_bytes : int
        Largest upload accepted.
    workers : int
        Takes analysed at the same time (each in its own thread, off the event loop).
    identity : bool
        Embed takes and judge the voice (False: signal quality only).
    """

    def __init__(self, project_dir: str | os.PathLike, *, lang: str = "en", config: Optional[Config] = None,
                 encoder: str = "auto", model_dir: Optional[str] = None, device: str = "auto",
                 profile_path: Optional[str | os.PathLike] = None,
                 max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES, workers: int = 2, identity: bool = True,
                 unverified_weights: bool = False,
                 script_path: Optional[str | os.PathLike] = None, list_lang: Optional[str] = None):
        if lang not in ("en", "zh"):
            raise ParameterError(f"lang must be 'en' or 'zh', got {lang!r}")
        if int(max_upload_bytes) < 1:
            raise ParameterError(f"max_upload_bytes must be >= 1, got {max_upload_bytes!r}")
        self.store = TakeStore(project_dir)
        self.lang = lang
        self.config = config or Config()
        self.encoder_settings = {"name": encoder, "model_dir": model_dir, "device": device,
                                 "verify": not unverified_weights}
        self.identity = identity
        self.max_upload_bytes = int(max_upload_bytes)
        self.executor = ThreadPoolExecutor(max_workers=max(1, int(workers)), thread_name_prefix="voxaudit-take")
        self.notices: list[str] = []
        self._encoder: Optional[LoadedEncoder] = None
        self._encoder_error: Optional[str] = None
        self._views: dict[str, SessionView] = {}
        self._export_lock = threading.Lock()
        self._repair_lock = threading.Lock()
        self._exported: dict[str, tuple] = {}
        self.profile = None
        self.profile_error: Optional[str] = None
        # A recording script (serve/script.py) and the language code of the takes' list lines.
        self.script = None
        if script_path is not None:
            from .script import RecordingScript

            self.script = RecordingScript(script_path, list_lang=list_lang)
        self.list_lang = self.script.list_lang if self.script is not None else list_lang
        if profile_path is not None:
            self.load_profile(profile_path)
        elif self.store.profile_path.is_file():
            self._read_profile()

    # -- encoder ---------------------------------------------------------------------------------------
    def encoder(self) -> Optional[LoadedEncoder]:
        """The speaker encoder (loaded on first use); None when identity is off or it cannot load."""
        if not self.identity:
            return None
        if self._encoder is None and self._encoder_error is None:
            try:
                self._encoder = shared_encoder(**self.encoder_settings)
            except Exception as error:  # missing weights, a broken install ...: signal checks go on
                log.warning("speaker encoder unavailable: %s", error)
                self._encoder_error = str(error)
                self.notices.append(f"speaker encoder unavailable, voice match is off: {error}")
                return None
            if self._encoder.notice and self._encoder.notice not in self.notices:
                self.notices.append(self._encoder.notice)
            if self.store.meta.get("encoder") != self._encoder.key:
                self.store.set_meta(encoder=self._encoder.key)
        return self._encoder

    def prepare(self) -> None:
        """Start-up work, run in the background: load the encoder, analyse again the takes left
        without a usable record (a killed server, a damaged file: see :mod:`.store`), embed takes whose
        embedding was made by another encoder, and fingerprint takes stored before fingerprints."""
        loaded = self.encoder()
        if loaded is not None:
            # The first forward pass of a fresh network is several times slower: take it now, not on
            # the user's first take. (One second of faint noise; the result is thrown away.)
            noise = np.random.default_rng(0).normal(scale=0.01, size=16000).astype(np.float32)
            with contextlib.suppress(Exception):
                loaded.embed(noise)
        self.repair()
        for record in self.store.records():
            stale = loaded is not None and (record.get("embedding") or {}).get("key") != loaded.key
            if stale or self.store.fingerprint(record["id"]) is None:
                try:
                    self._refresh(record, loaded if stale else None)
                except Exception as error:  # a take that no longer decodes: it keeps what it has
                    log.warning("could not update take %s: %s", record["id"], _short(error))

    def repair(self) -> list[str]:
        """Analyse again every take pending repair (audio without a usable record), keeping the name,
        text and order of its upload record. Returns the ids repaired."""
        with self._repair_lock:  # one repair pass at a time (start-up, or an upload that arrives first)
            return self._repair()

    def _repair(self) -> list[str]:
        done = []
        for pending in self.store.pending():
            upload = pending.upload or {}
            name = upload.get("name") or pending.audio.name
            fields = {"source": upload.get("source") or "recovered", "text": upload.get("text")}
            code = "repaired" if pending.reason == "record_damaged" else "recovered"
            detail = pending.detail + ("; name, text and order kept from its upload record" if pending.upload
                                       else "; named after its file, placed last")

            def said(record: dict, take_id=pending.take_id, code=code, name=name, detail=detail) -> None:
                # Under the store's lock with the commit: no listing sees the take without this word.
                self.store.warn(code, take_id, name=name, detail=detail)

            try:
                self.analyse(pending.audio, name=name, fields=fields, in_place=True, upload=upload,
                             repaired={"at": now_iso(), "reason": pending.reason
                                       + (f": {pending.detail}" if pending.detail else "")}, after_store=said)
            except UploadError as error:
                self.store.repair_failed(pending.take_id, f"{error.message}; its files are left in takes/ as they are")
                continue
            except Exception as error:  # a bug: say so, keep the files, go on with the others
                log.exception("repair of take %s failed", pending.take_id)
                self.store.repair_failed(pending.take_id,
                                         f"{type(error).__name__}: {_short(error)}; its files are left in takes/")
                continue
            done.append(pending.take_id)
        return done

    def _refresh(self, record: dict, loaded: Optional[LoadedEncoder]) -> None:
        """Embed a take again with ``loaded`` (None: keep its embedding) and fingerprint it if needed."""
        from ..audio import load_audio
        from .sameaudio import fingerprint

        audio = load_audio(self.store.audio_path(record))
        wav = _to_16k(audio)
        values: dict[str, Any] = {}
        if self.store.fingerprint(record["id"]) is None:
            values["fingerprint"] = fingerprint(wav, duration_s=audio.duration_s).to_dict()
        if loaded is not None:
            values["embedding"] = {"key": loaded.key, "vector": _vector(loaded.embed(wav))}
        if values:
            self.store.update(record["id"], **values)

    # -- voice profile ---------------------------------------------------------------------------------
    def _read_profile(self) -> None:
        from ..profile import Profile

        try:
            self.profile = Profile.from_json(self.store.profile_path)
            self.profile_error = None
        except ParameterError as error:
            self.profile, self.profile_error = None, str(error)

    def load_profile(self, path: str | os.PathLike) -> None:
        """Judge takes against the profile in ``path`` from now on (copied into the project).

        Raises
        ------
        ParameterError
            When the file is not a voxaudit voice profile, or was made with another encoder.
        """
        from ..io import write_json_atomic
        from ..profile import Profile

        profile = Profile.from_json(path)
        loaded = self.encoder()
        if loaded is not None:
            profile.check_compatible(loaded.encoder.name, loaded.encoder.weights_sha256, dim=int(loaded.encoder.dim))
        with self.store.lock:
            write_json_atomic(self.store.profile_path, profile.to_dict())
            self.profile, self.profile_error = profile, None
            self.store.version += 1

    def clear_profile(self) -> bool:
        with self.store.lock:
            existed = self.store.profile_path.exists()
            with contextlib.suppress(FileNotFoundError):
                self.store.profile_path.unlink()
            self.profile, self.profile_error = None, None
            self.store.version += 1
            return existed

    # -- one take --------------------------------------------------------------------------------------
    def analyse(self, path: Path, *, name: str, fields: Optional[dict] = None, in_place: bool = False,
                upload: Optional[dict] = None, repaired: Optional[dict] = None,
                after_store: Optional[Callable[[dict], None]] = None) -> dict:
        """Check, measure, embed and store one uploaded file; returns the stored record.

        Nothing is stored until every step has succeeded. Blocking (decode, measures, encoder): call
        it from a worker thread (:meth:`submit`).

        Parameters
        ----------
        path : Path
            The upload in the scratch folder, or (``in_place``) a take's audio in ``takes/``.
        name : str
            The file name as uploaded (display only).
        fields : dict, optional
            ``text`` and ``source`` as uploaded.
        in_place : bool
            Repair: ``path`` is already a take's audio; its record is written again.
        upload : dict, optional
            Repair: the take's upload record (its ``seq`` and ``created`` are kept).
        repaired : dict, optional
            Repair: ``{"at", "reason"}``, kept in the record.
        after_store : callable, optional
            Called with the stored record while the store's lock is still held.

        Raises
        ------
        UploadError
            415 when the file is not audio that can be decoded, 422 when it is too short to measure,
            409 when the same audio (the same sound, whatever the format) is already a take.
        """
        import soundfile as sf

        from ..pipeline import process_clip
        from ..report.plots import clip_picture_data
        from .sameaudio import fingerprint

        fields = fields or {}
        # Only audio: decided by decoding the header, never by the name or the declared type.
        try:
            info = sf.info(str(path))
        except Exception as error:  # libsndfile says what it could not read
            # libsndfile names the file it opened (a scratch path): keep only its reason.
            reason = re.sub(r"^Error opening .*?: ", "", _short(error))
            raise UploadError(415, "not_audio", f"not an audio file that can be decoded ({reason})") from None
        ext = EXTENSIONS.get(str(info.format).upper())
        if ext is None or info.frames <= 0 or info.samplerate <= 0:
            raise UploadError(415, "not_audio", f"unsupported audio format {info.format!r} "
                                                f"(send WAV, FLAC, OGG or MP3)")
        # With a text, the transcript checks (speaking rate, unmarked pauses) run on the take as it arrives;
        # the 16 kHz audio serves the fingerprint and the encoder.
        source = ClipSource(str(path), name, text=(fields.get("text") or "").strip() or None, lang=self.list_lang)
        result, wav16k = process_clip(source, self.config, self.lang, True)
        if "sample_rate" not in result.metrics or wav16k is None:  # not decoded (a too-long clip keeps its duration)
            finding = result.findings[0] if result.findings else None
            code = finding.code if finding else "unreadable"
            status = 422 if code in ("too_short", "too_long") else 415
            raise UploadError(status, code, finding.message if finding else "cannot decode the audio")
        heard = fingerprint(wav16k, duration_s=float(result.metrics["duration_s"]))
        if not in_place:
            self._refuse_duplicate(result.content_sha256, heard, fetch_missing=True)
        embedding = None
        loaded = self.encoder()
        if loaded is not None:
            embedding = {"key": loaded.key, "vector": _vector(loaded.embed(wav16k))}
        picture = clip_picture_data(str(path), metrics=result.metrics)
        upload = upload or {}
        source = fields.get("source") if fields.get("source") in SOURCES else "upload"
        record = {
            "created": upload.get("created") or now_iso(), "name": name, "source": source,
            "text": fields.get("text") or None, "bytes": path.stat().st_size,
            "sha256": result.content_sha256, "audio_format": info.format, "subtype": info.subtype,
            "metrics": result.metrics, "notes": result.notes, "embedding": embedding,
            "fingerprint": heard.to_dict(), "picture": picture,
        }
        with self.store.lock:
            if in_place:
                take_id = path.name.split(".", 1)[0]
                record.update(id=take_id, file=path.name)
                if isinstance(upload.get("seq"), int):
                    record["seq"] = upload["seq"]
                if repaired:
                    record["repaired"] = repaired
                stored = self.store.add(record, None)
                if after_store is not None:
                    after_store(stored)
                return stored
            # Checked again under the lock: the same audio may have arrived while this one was analysed.
            self._refuse_duplicate(result.content_sha256, heard, fetch_missing=False)
            take_id = self.store.new_id()
            record.update(id=take_id, file=f"{take_id}.{ext}")
            return self.store.add(record, path)

    def _refuse_duplicate(self, sha256: str, heard, *, fetch_missing: bool) -> None:
        """Raise 409 when a stored take holds the same bytes or the same sound (:mod:`.sameaudio`).

        ``fetch_missing``: fingerprint first the takes stored before fingerprints existed whose
        duration is close (decodes their audio; not under the store's lock).
        """
        from .sameaudio import MAX_DURATION_DIFF_S, same_audio, similarity

        same = self.store.find_sha(sha256)
        if same is not None:
            raise UploadError(409, "duplicate", f"the same audio is already take {same['id']} "
                                                f"({same.get('name', '')}): the same bytes")
        if fetch_missing:
            for record in self.store.records():
                close = abs(float(record["metrics"]["duration_s"]) - heard.duration_s) <= MAX_DURATION_DIFF_S
                if close and self.store.fingerprint(record["id"]) is None:
                    with contextlib.suppress(Exception):  # undecodable now: compared by bytes only
                        self._refresh(record, None)
        for take_id, stored in self.store.fingerprints().items():
            if same_audio(heard, stored):
                record = self.store.get(take_id) or {}
                raise UploadError(409, "duplicate", f"the same audio is already take {take_id} "
                                                    f"({record.get('name', '')}): the same sound in another "
                                                    f"file (correlation {similarity(heard, stored):.2f})")

    def submit(self, received: ReceivedFile):
        """Analyse an upload in the worker pool; returns a concurrent future of the stored record."""
        return self.executor.submit(self.analyse, received.path, name=received.name, fields=received.fields)

    def add_upload(self, received: ReceivedFile, lang: Optional[str] = None) -> tuple[dict, "SessionView"]:
        """Analyse and store an upload, then judge the session with it. Blocking.

        When judging fails after the take was stored, the take is removed again (its audio, analysis
        and upload records), so the error leaves nothing behind and sending the same file again works.

        Returns
        -------
        (record, view)
        """
        if self.store.pending():
            # Takes left half stored by a killed server are repaired first, so that an upload sent again
            # after the restart is recognised as the same audio.
            self.repair()
        record = self.analyse(received.path, name=received.name, fields=received.fields)
        try:
            view = self.view(lang)
            if view.take(record["id"]) is None:
                raise RuntimeError(f"take {record['id']} is missing from the session just after it was stored")
        except BaseException:
            self.store.delete(record["id"])
            raise
        return record, view

    # -- the session as judged now ---------------------------------------------------------------------
    def current_key(self) -> Optional[dict]:
        """The encoder whose embeddings are compared: the loaded one, else the project's last one."""
        if self._encoder is not None:
            return self._encoder.key
        return self.store.meta.get("encoder") if self.identity else None

    def view(self, lang: Optional[str] = None) -> SessionView:
        """The session judged in ``lang`` (cached until the next change)."""
        lang = lang or self.lang
        with self.store.lock:
            key = self.current_key()
            version = (self.store.version, lang, None if key is None else key.get("weights_sha256"))
            cached = self._views.get(lang)
            if cached is not None and cached.version == version:
                return cached
            records = [copy.deepcopy(r) for r in self.store.records()]
            profile, profile_error = self.profile, self.profile_error
        view = self._judge(records, lang, key, profile, profile_error, version)
        with self.store.lock:
            self._views[lang] = view
        return view

    def _judge(self, records: list[dict], lang: str, key: Optional[dict], profile, profile_error,
               version: tuple) -> SessionView:
        from ..messages import render
        from ..pipeline import summarise_clips
        from ..select import choose_reference
        from ..setwide import set_wide_conditions
        from ..signal.findings import judge_metrics, quality_score
        from .strings import store_warning

        clips: list[ClipResult] = []
        speaker = self.store.meta.get("speaker")
        for record in records:
            path = self.store.audio_path(record)
            source = ClipSource(str(path), f"takes/{record['file']}", speaker=speaker, text=record.get("text"),
                                lang=self.list_lang)
            clip = ClipResult(source=source, metrics=dict(record.get("metrics") or {}),
                              content_sha256=record.get("sha256"), notes=list(record.get("notes") or []))
            clip.findings = judge_metrics(clip.metrics, self.config, lang=lang)
            clip.quality = quality_score(clip.findings, self.config)
            clips.append(clip)

        from ..text import judge_set_text

        text_summary = judge_set_text(clips, self.config, ui_lang=lang)  # speaking rate against the session
        summary = summarise_clips(clips, lang)
        summary.update(text_summary)
        matrix, analysis = None, None
        identity_summary: dict[str, Any] = {"identity": bool(self.identity and self._encoder_error is None),
                                            "min_takes": MIN_TAKES_FOR_IDENTITY}
        if self.identity and key is not None and clips:
            from ..identity import identity_summary as identity_summary_dict, judge_identity, weights_summary

            matrix = np.full((len(clips), int(key["dim"])), np.nan, dtype=np.float32)
            for row, record in enumerate(records):
                embedding = record.get("embedding") or {}
                if embedding.get("key") == key:
                    matrix[row] = np.asarray(embedding["vector"], dtype=np.float32)
            use_profile = profile
            if profile is not None:
                try:
                    profile.check_compatible(key["name"], key["weights_sha256"], dim=int(key["dim"]))
                except ParameterError as error:
                    use_profile, profile_error = None, str(error)
            # The same verdicts and speaker_mismatch findings as the scan's identity stage.
            analysis = judge_identity(clips, matrix, encoder=key["name"], profile=use_profile, lang=lang,
                                      config=self.config, min_clips=MIN_TAKES_FOR_IDENTITY)
            summary = summarise_clips(clips, lang)
            identity_summary.update({
                "encoder": key["name"], "encoder_weights_sha256": key["weights_sha256"],
                **weights_summary(key["name"], key["weights_sha256"]),
                "embedding_dim": int(key["dim"]),
                "judged_against": "profile" if use_profile is not None else "set",
                "n_outliers": analysis.n_outliers, "n_embedded": analysis.n_readable,
            })
            identity_summary.update(identity_summary_dict(analysis, clips, lang))
        if profile_error:
            identity_summary["profile_error"] = profile_error
        identity_summary["profile_loaded"] = profile is not None
        summary.update(identity_summary)

        reference, alternates = choose_reference(clips)
        by_path = {c.source.display_path: r["id"] for c, r in zip(clips, records)}
        summary["reference"] = reference
        summary["reference_alternates"] = alternates
        summary["reference_id"] = by_path.get(reference)
        # A source condition every take shares (all at 16 kHz ...): said once, no take's verdict.
        set_wide = set_wide_conditions([c.findings for c in clips if c.readable and c.metrics])
        summary["set_wide"] = [dict(cond.to_dict(), n_takes=cond.n_clips, hint=render(code, lang)[1])
                               for code, cond in set_wide.items()]
        summary["warnings"] = [store_warning(w, lang) for w in self.store.warnings]
        summary["n_pending_repair"] = len(self.store.pending())
        takes = [self._take_dict(record, clip, set_wide) for record, clip in zip(records, clips)]
        counts = {"keep": 0, "check": 0, "re-record": 0}
        for take in takes:
            counts[take["verdict"]] += 1
        summary["verdicts"] = counts
        summary["n_takes"] = len(takes)
        summary["notices"] = list(self.notices)
        return SessionView(version=version, records=records, clips=clips, matrix=matrix, analysis=analysis,
                           summary=summary, takes=takes)

    def _take_dict(self, record: dict, clip: ClipResult, set_wide: dict) -> dict:
        findings = [f.to_dict() for f in clip.findings]
        for finding in findings:
            if finding["code"] in set_wide and finding["severity"] == "warning":
                finding["set_wide"] = True  # shown, but said for the session, not held against the take
        metrics = clip.metrics
        return {
            "id": record["id"], "seq": record.get("seq"), "name": record.get("name"),
            "created": record.get("created"), "source": record.get("source"), "text": record.get("text"),
            "file": f"takes/{record['file']}", "audio_url": f"/api/takes/{record['id']}/audio",
            "bytes": record.get("bytes"), "format": record.get("audio_format"), "subtype": record.get("subtype"),
            "duration_s": _finite(metrics.get("duration_s")), "quality": round(float(clip.quality), 1),
            "verdict": take_verdict(findings, set_wide), "findings": findings, "identity": clip.identity,
            "metrics": metrics, "notes": clip.notes, "repaired": record.get("repaired"),
        }

    def picture(self, record: dict, take: dict) -> Optional[dict]:
        """The take's picture data, with the hum and cutoff lines only where a finding names them."""
        picture = record.get("picture")
        if not picture:
            return None
        codes = {f["code"] for f in take["findings"]}
        picture = dict(picture)
        if "mains_hum" not in codes:
            picture["hum"] = None
        if "narrow_bandwidth" not in codes:
            picture["bw"] = None
        return picture

    # -- downloads -------------------------------------------------------------------------------------
    def export(self, lang: Optional[str] = None) -> dict:
        """Write the session's report files into ``PROJECT/report/`` (only when something changed) and
        return the report dict. Blocking: run it in a worker thread."""
        from ..pipeline import ScanOptions, ScanResult
        from ..report.outputs import write_outputs

        lang = lang or self.lang
        with self._export_lock:
            view = self.view(lang)
            stamp = self._exported.get("stamp")
            if stamp == (view.version, lang) and self._exported.get("report") is not None:
                return self._exported["report"]
            total_min = float(view.summary.get("total_minutes") or 0.0)
            options = ScanOptions(lang=lang, config=self.config, identity=self.identity, html=True,
                                  select_minutes=total_min + 1.0)
            # write_outputs marks what it keeps and selects on its own copies; give it fresh ones.
            clips = copy.deepcopy(view.clips)
            result = ScanResult(clips=clips, summary=copy.deepcopy(view.summary), discovery=None,
                                embeddings=view.matrix, analysis=view.analysis, notices=list(self.notices))
            for stale in ("profile.json",):
                # Only written when the session was judged: never leave an older one behind.
                with contextlib.suppress(FileNotFoundError):
                    (self.store.report_dir / stale).unlink()
            report, _ = write_outputs(result, self.store.report_dir, options, [str(self.store.root)])
            self._exported = {"stamp": (view.version, lang), "report": report}
            return report

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


def _to_16k(audio) -> np.ndarray:
    from ..resample import resample
    from .sameaudio import RATE_HZ

    return np.ascontiguousarray(resample(audio.samples, orig_sr=audio.sample_rate, target_sr=RATE_HZ),
                                dtype=np.float32)


def _vector(vector: np.ndarray) -> list[float]:
    return [round(float(v), 7) for v in np.asarray(vector, dtype=np.float64)]


def _short(error: BaseException, limit: int = 200) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
