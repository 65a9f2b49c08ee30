"""The scan, composed: discover -> load -> measure / embed -> analyse -> select -> report.

Per-clip work (decode, validate, measure, hash, resample to the encoder's rate) runs in worker
processes, one clip at a time per worker, with a bounded number of clips in flight. The main process
embeds the resampled audio as it arrives (so decoding overlaps inference), then analyses the set.
No stage holds the whole set's audio.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Optional

import numpy as np

from . import __version__
from .audio import load_audio
from .cache import content_sha256
from .config import Config
from .discover import UNLABELLED, Discovery, discover, speaker_labels
from .engine.local import default_jobs, iter_processed
from .errors import AudioError, ParameterError
from .model import ClipResult, ClipSource, SEVERITY_RANK
from .signal import measure_signal, speech_activity
from .signal.mos import second_opinion
from .signal.findings import judge_metrics, make_finding, quality_score
from .text.measure import clip_has_text, measure_clip_text

ENCODER_SAMPLE_RATE = 16000
SCHEMA_VERSION = 1


@dataclass
class ScanOptions:
    """Everything a scan can be told; the CLI maps its flags onto this."""

    jobs: Optional[int] = None
    config: Config = field(default_factory=Config)
    lang: str = "en"
    identity: bool = True
    encoder: str = "auto"
    model_dir: Optional[str] = None
    # Load ECAPA-TDNN weights whose checksum is not the published model's (``--unverified-weights``).
    unverified_weights: bool = False
    device: str = "auto"
    batch_size: Optional[int] = None
    # 'auto': bf16 autocast where native and faithful (ECAPA on AVX-512-BF16/AMX CPUs, bf16 GPUs),
    # else float32; False/'fp32', True, 'bf16', 'fp16' as EmbeddingInference's ``half``.
    half: object = "auto"
    cache_path: Optional[str] = None
    journal_path: Optional[str] = None
    profile_path: Optional[str] = None
    select_minutes: Optional[float] = None
    # How clips are grouped into labelled speakers: "auto" (a .list's speaker field when it names two
    # or more speakers), "list", "folder" (first folder level) or "none" (one set).
    speakers: str = "auto"
    # Where the per-clip work runs: "local" (a process pool here) or "ray" (voxaudit.engine.ray).
    engine: str = "local"
    # Ray: None starts a Ray instance on this machine; "auto" or "HOST:PORT" joins a running cluster.
    ray_address: Optional[str] = None
    # Ray: GPUs per embedding actor (fractions allowed; default 1 where the cluster has GPUs, else 0).
    ray_gpus_per_actor: Optional[float] = None
    # Ray: embedding actors (default: one per GPU share, or one per CPU on a CPU-only cluster).
    ray_actors: Optional[int] = None
    save_embeddings: bool = False
    html: bool = True
    allow_download: bool = True
    # Language code written into lists for clips that do not come from a .list (e.g. "ZH").
    list_lang: Optional[str] = None


@dataclass
class ScanResult:
    clips: list[ClipResult]
    summary: dict
    discovery: Discovery
    embeddings: Optional[np.ndarray] = None
    analysis: object = None
    notices: list[str] = field(default_factory=list)
    # The speaker label of each clip when the set was judged per labelled speaker, else None.
    speaker_labels: Optional[list[str]] = None

    def report_dict(self, inputs: Iterable[str] = ()) -> dict:
        return {
            "schema": SCHEMA_VERSION,
            "tool": {"name": "voxaudit", "version": __version__},
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "inputs": [str(i) for i in inputs],
            "clips": [clip.to_dict() for clip in self.clips],
            "summary": self.summary,
        }


# ---------------------------------------------------------------------------------------------------
# Per-clip work (runs in worker processes).

def _round_metrics(metrics: dict, *, keep_infinite: bool = False) -> dict:
    """JSON-ready metrics: numpy scalars to Python, floats to 6 decimals, NaN to None, and +-inf to None
    unless ``keep_infinite`` (judging needs them: digital silence reads -inf dBFS)."""
    out = {}
    for key, value in metrics.items():
        if isinstance(value, (bool, np.bool_)):
            out[key] = bool(value)
        elif isinstance(value, (int, np.integer)):
            out[key] = int(value)
        elif isinstance(value, (float, np.floating)):
            value = float(value)
            if np.isfinite(value):
                out[key] = round(value, 6)
            else:
                out[key] = value if keep_infinite and not np.isnan(value) else None
        else:
            out[key] = value
    return out


def _load_error_result(result: ClipResult, error: AudioError, lang: str) -> ClipResult:
    """The clip's finding when it could not be loaded: ``unreadable`` (with its cause), ``too_short`` or
    ``too_long`` (with the duration from the header and the limit it was measured against)."""
    if error.code in ("too_long", "too_short") and error.duration_s is not None:
        if error.code == "too_long":  # a long clip's minutes count in the totals; a 50 ms one's do not
            result.metrics = {"duration_s": round(error.duration_s, 4)}
        result.findings = [make_finding(error.code, "error", lang=lang, metric="duration_s",
                                        value=error.duration_s, threshold=error.limit_s)]
    else:
        info = {k: v for k, v in error.info.items() if k not in ("value", "threshold", "metric")}
        result.findings = [make_finding(error.code, "error", lang=lang, detail=str(error), value=None,
                                        cause=error.cause, **info)]
    result.quality = 0.0
    return result


def process_clip(source: ClipSource, config: Config, lang: str, want_audio: bool,
                 known: Optional[ClipResult] = None) -> tuple[ClipResult, Optional[np.ndarray]]:
    """Load, measure and judge one clip; also return its 16 kHz audio when the encoder needs it.

    ``known`` is this clip's result from the measurement journal: the clip is then only decoded for
    its audio, not measured again. Never raises for a bad file: the problem becomes an ``unreadable``,
    ``too_short`` or ``too_long`` finding.
    """
    if known is not None:
        wav16k = None
        if want_audio:
            try:
                wav16k = _to_encoder_rate(load_audio(source.path))
            except (AudioError, OSError, MemoryError, ValueError, RuntimeError):
                known = None  # it changed under us: measure it afresh below
        if known is not None:
            return known, wav16k
    result = ClipResult(source=source)
    try:
        audio = load_audio(source.path)
        result.content_sha256 = content_sha256(source.path)
    except AudioError as error:
        _load_error_result(result, error, lang)
        _add_text_findings(result, config, lang)
        return result, None
    except (OSError, MemoryError, ValueError, RuntimeError) as error:  # belt and braces: never stop the run
        cause = "worker" if isinstance(error, MemoryError) else "os_error"
        result.findings = [make_finding("unreadable", "error", lang=lang, cause=cause,
                                        detail=f"{type(error).__name__}: {error}",
                                        error=f"{type(error).__name__}: {error}")]
        _add_text_findings(result, config, lang)
        return result, None

    metrics = {"duration_s": round(audio.duration_s, 4), "sample_rate": audio.sample_rate,
               "channels": audio.channels}
    if audio.subtype:
        metrics["sample_format"] = audio.subtype
    metrics["nonfinite_samples"] = int(audio.nonfinite_samples)
    activity = speech_activity(audio.samples, sample_rate=audio.sample_rate)
    metrics.update(measure_signal(audio.samples, sample_rate=audio.sample_rate, activity=activity,
                                   mos=config.mos is True))
    context = None
    if clip_has_text(source):  # the transcript against the same speech activity
        text_metrics, context = measure_clip_text(source, speech_runs_s=activity.speech_segments_s(), ui_lang=lang)
        metrics.update(text_metrics)
    result.metrics = _round_metrics(metrics)
    from .messages import load_notes

    result.notes = load_notes(lang, nonfinite_percent=100.0 * audio.nonfinite_samples / max(
        1, audio.samples.size * audio.channels), dead=audio.dead_channels, channels=audio.channels,
        unbalance_db=audio.unbalance_db)
    # Judged with -inf kept (the level of digital silence), which JSON stores as null.
    def judge(values: dict) -> list:
        return judge_metrics(_round_metrics(values, keep_infinite=True), config, lang=lang, context=context)

    result.findings = judge(metrics)
    # The default mode: DNSMOS as a second opinion where the room reading is ambiguous (signal/mos.py).
    rejudged = second_opinion(audio.samples, sample_rate=audio.sample_rate, metrics=metrics,
                              findings=result.findings, config=config, judge=judge)
    if rejudged is not None:
        result.findings = rejudged
        result.metrics = _round_metrics(metrics)
    result.quality = quality_score(result.findings, config)

    return result, (_to_encoder_rate(audio) if want_audio else None)


def _add_text_findings(result: ClipResult, config: Config, lang: str) -> None:
    """The list-line checks of a clip whose audio could not be read (its line is still judged). Its metrics
    stay as they were: an empty dict still means "not decoded" to the summary and to ``serve``."""
    if not clip_has_text(result.source):
        return
    text_metrics, context = measure_clip_text(result.source, ui_lang=lang)
    result.findings += judge_metrics({**result.metrics, **_round_metrics(text_metrics)}, config, lang=lang,
                                     context=context,
                                     codes={"list_format", "text_missing", "unsupported_language",
                                            "text_language_mismatch"})


def _to_encoder_rate(audio) -> np.ndarray:
    from .resample import resample

    wav16k = resample(audio.samples, orig_sr=audio.sample_rate, target_sr=ENCODER_SAMPLE_RATE)
    return np.ascontiguousarray(wav16k, dtype=np.float32)


# ---------------------------------------------------------------------------------------------------
# Set level.

def summarise_clips(clips: list[ClipResult], lang: str) -> dict:
    """The set-level signal summary: clip counts, total and usable minutes (usable: no error finding),
    clips per worst severity, and per finding code the clips and minutes it costs, with its hint."""
    from .messages import render

    readable = [c for c in clips if c.readable and c.metrics]
    total_s = sum(c.metrics.get("duration_s", 0.0) for c in readable)
    usable_s = sum(c.metrics.get("duration_s", 0.0) for c in readable if not c.has_error())
    by_severity = {"error": 0, "warning": 0, "info": 0}
    for clip in clips:
        worst = clip.worst_severity
        if worst:
            by_severity[worst] += 1
    by_code: dict[str, dict] = {}
    # An unreadable clip's hint fits its cause (not found, a pipe, ...): the summary gives the causes' hints.
    hints: dict[str, int] = {}
    for clip in clips:
        for code in sorted({f.code for f in clip.findings}):
            entry = by_code.setdefault(code, {"clips": 0, "minutes": 0.0, "severity": "info",
                                              "hint": render(code, lang)[1]})
            if code == "unreadable":
                for hint in {f.hint for f in clip.findings if f.code == code and f.hint}:
                    hints[hint] = hints.get(hint, 0) + 1
            entry["clips"] += 1
            entry["minutes"] += clip.metrics.get("duration_s", 0.0) / 60.0
            worst = max((f.severity for f in clip.findings if f.code == code), key=SEVERITY_RANK.__getitem__)
            if SEVERITY_RANK[worst] > SEVERITY_RANK[entry["severity"]]:
                entry["severity"] = worst
    for entry in by_code.values():
        entry["minutes"] = round(entry["minutes"], 3)
    if hints and "unreadable" in by_code:
        by_code["unreadable"]["hint"] = " / ".join(h for h, _ in sorted(hints.items(), key=lambda kv: -kv[1])[:3])
    by_code = dict(sorted(by_code.items(), key=lambda kv: (-SEVERITY_RANK[kv[1]["severity"]], -kv[1]["clips"])))
    return {
        "n_clips": len(clips),
        "n_readable": len(readable),
        "n_unreadable": len(clips) - len(readable),
        "total_minutes": round(total_s / 60.0, 3),
        "usable_minutes": round(usable_s / 60.0, 3),
        "n_flagged": sum(1 for c in clips if c.worst_severity in ("warning", "error")),
        "by_severity": by_severity,
        "by_code": by_code,
        "lang": lang,
    }


def scan(inputs: list[str], options: ScanOptions | None = None, *,
         progress: Optional[Callable[[int, int, ClipResult], None]] = None,
         notice: Optional[Callable[[str], None]] = None) -> ScanResult:
    """Scan clips: measure and judge each one, and (unless ``options.identity`` is off) embed the
    voices, analyse the set and choose the best clips.

    Parameters
    ----------
    inputs : list of str
        Folders, ``.list`` files or audio files.
    options : ScanOptions
    progress : callable, optional
        Called as ``progress(done, total, clip_result)`` after each clip is measured.
    notice : callable, optional
        Called with one-line notices (encoder fallback, cache rebuilt ...).

    Returns
    -------
    ScanResult
    """
    options = options or ScanOptions()
    if options.config.mos is True:
        from .signal.mos import check_available

        check_available()  # a missing onnxruntime/speechmos is a usage error, not 339 broken clips
    from .engine import ENGINES

    if options.engine not in ENGINES:
        raise ParameterError(f"engine must be one of {', '.join(ENGINES)}; got {options.engine!r}")
    if options.engine == "ray":
        from .engine.ray import import_ray

        import_ray()  # a missing extra is a usage error before any work
    discovery = discover(inputs, lang=options.lang)
    sources = discovery.clips
    labels = speaker_labels(sources, options.speakers)
    if labels is not None:
        for source, label in zip(sources, labels):
            if label != UNLABELLED:
                source.speaker = label
    if options.list_lang is not None:
        from .text.lang import normalise_lang

        if normalise_lang(options.list_lang) is None:
            raise ParameterError(f"--list-lang {options.list_lang!r} is not a code GPT-SoVITS accepts: "
                                 "ZH, JA, EN, KO or YUE (or zh, ja, en, ko, yue)")
        for source in sources:
            if source.list_line is None and source.lang is None:
                source.lang = options.list_lang
    jobs = options.jobs or default_jobs()
    if jobs < 1:
        raise ParameterError(f"jobs must be >= 1, got {jobs}")
    notices: list[str] = list(discovery.problems)

    def tell(message: str) -> None:
        notices.append(message)
        if notice:
            notice(message)

    if options.config.mos == "auto":
        from .signal.mos import is_available

        if not is_available():
            tell("DNSMOS is not installed (onnxruntime, speechmos): clips whose reverberation reading is "
                 "ambiguous get no second opinion")

    for problem in discovery.problems:
        if notice:
            notice(problem)
    from .discover import duplicates_notice

    skipped = duplicates_notice(discovery.duplicates, options.lang)
    if skipped:
        tell(skipped)

    results: list[Optional[ClipResult]] = [None] * len(sources)
    engine_stats: dict = {"name": "local", "jobs": jobs}
    embeddings: dict[int, np.ndarray] = {}
    identity = None
    if options.identity and sources:
        from .identity import IdentityStage

        identity = IdentityStage(options, tell)

    journal, known = None, {}
    if options.journal_path and sources:
        from .journal import MeasurementJournal, code_fingerprint

        journal = MeasurementJournal(options.journal_path, notice=tell,
                                     fingerprint=code_fingerprint(options.config, options.lang))
        for index, source in enumerate(sources) if len(journal) else ():  # a fresh journal knows nothing
            previous = journal.lookup(source)
            if previous is not None:
                known[index] = previous

    done = 0

    def record(index: int, result: ClipResult, reused: bool) -> None:
        nonlocal done
        results[index] = result
        if journal is not None and not reused:
            journal.record(result)
        done += 1
        if progress:
            progress(done, len(sources), result)

    def measured() -> Iterator[tuple[int, Optional[str], Optional[np.ndarray]]]:
        for index, result, wav, reused in iter_processed(sources, config=options.config, lang=options.lang,
                                                         want_audio=identity is not None, jobs=jobs, known=known):
            record(index, result, reused)
            if wav is not None and result.content_sha256:
                yield index, result.content_sha256, wav

    try:
        if options.engine == "ray":
            from .engine.ray import RayEngine

            engine = RayEngine(options, tell)
            try:
                embeddings = engine.run(sources, config=options.config, lang=options.lang, known=known,
                                        identity=identity, record=record)
            finally:
                engine_stats = engine.stats
        elif identity is not None:
            embeddings = identity.embed(measured())
        else:
            for _ in measured():
                pass
    finally:
        if journal is not None:
            journal.close()
        if identity is not None:
            identity.close()

    clips = [r for r in results if r is not None]
    matrix, analysis, identity_summary = None, None, {}
    if identity is not None:
        matrix, analysis, identity_summary = identity.analyse(clips, embeddings, labels)
    from .conditions import apply_set_conditions
    from .text import judge_set_text

    text_summary = judge_set_text(clips, options.config, ui_lang=options.lang)
    set_conditions = apply_set_conditions(clips, options.config, options.lang)
    summary = {**summarise_clips(clips, options.lang), "measurements_reused": len(known), **identity_summary,
               **text_summary, "set_conditions": set_conditions, "duplicates": discovery.duplicates,
               "engine": engine_stats}
    from .select import choose_reference

    if labels is None:
        summary["reference"], summary["reference_alternates"] = choose_reference(clips)
    else:
        # One reference per speaker (summary.speakers), none for the whole set.
        summary["reference"], summary["reference_alternates"] = None, []
        summary["n_speakers"] = len(set(labels))
    return ScanResult(clips=clips, summary=summary, discovery=discovery, embeddings=matrix,
                      analysis=analysis, notices=notices, speaker_labels=labels)
