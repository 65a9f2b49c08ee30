"""Thresholds: the one table that decides severity.

Defaults follow the recording guide voice-cloning users work from: 44.1/48 kHz; average RMS between
0.01 and 0.1 linear (-40 to -20 dBFS); no clipping; at most 30 % silence; SNR of at least 25 dB; full
microphone bandwidth; no mains hum, room echo, plosive pops, AGC pumping or prior noise reduction.

Each rule compares one metric with a ``warning`` and an ``error`` level in the metric's own unit.
``--config FILE.toml`` overrides any of them::

    [thresholds.low_snr]
    warning = 30.0
    error = 20.0

    [thresholds.reverb]
    enabled = false
"""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

from .errors import ParameterError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class Rule:
    """One judged metric.

    ``direction`` is ``"below"`` (a finding when the value is under the level), ``"above"``, or
    ``"not"`` (a finding when the value differs from the level); ``absolute`` compares ``abs(value)``.
    A level of None disables that severity. An infinite value (the level of digital silence is -inf
    dBFS) lies beyond every level.
    """

    code: str
    metric: str
    direction: str
    warning: Optional[float]
    error: Optional[float]
    unit: str = ""
    absolute: bool = False
    enabled: bool = True


# Levels marked "calibrated" were checked on the 339 real clips of ../shared/speech (per-source median /
# 95th percentile in parentheses) and on synthetic degradations of them; none of the clean studio and
# read-speech sources (aishell1, vctk, ljspeech) raises an error.
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("too_short", "duration_s", "below", warning=1.0, error=0.5, unit="s"),
    Rule("too_long", "duration_s", "above", warning=20.0, error=60.0, unit="s"),
    # Any NaN or infinite sample is corrupt float data (measured as 0, but it would make a training loss NaN).
    Rule("corrupt_samples", "nonfinite_samples", "above", warning=None, error=0),
    # A warning every clip shares is said once for the set (voxaudit.setwide: a source metric).
    Rule("low_sample_rate", "sample_rate", "below", warning=44100, error=16000, unit="Hz"),
    Rule("too_quiet", "rms_dbfs", "below", warning=-40.0, error=-50.0, unit="dBFS"),
    Rule("too_loud", "rms_dbfs", "above", warning=-20.0, error=-8.0, unit="dBFS"),
    Rule("clipping", "clipping_fraction", "above", warning=0.0001, error=0.001),
    Rule("dc_offset", "dc_offset", "above", warning=0.01, error=0.05, absolute=True),
    Rule("too_much_silence", "silence_ratio", "above", warning=0.30, error=0.60),
    Rule("long_pause", "longest_pause_s", "above", warning=2.0, error=4.0, unit="s"),
    # Calibrated: studio/read sources 33-47 dB (p95 <= 60), in-the-wild voxceleb1 19 dB; the guide asks
    # for >= 25 dB; the pause estimate is within +-3 dB at 10-40 dB SNR.
    Rule("low_snr", "snr_db", "below", warning=25.0, error=15.0, unit="dB"),
    # Calibrated: 16 kHz sources read 7.85-8 kHz, 22 kHz ljspeech 10.9 kHz, 48 kHz vctk 24 kHz; MP3
    # decodes 5.9 kHz (warning); a 3.4 kHz low-pass 3.6-4.1 kHz and 8 kHz-rate clips 4 kHz (error).
    Rule("narrow_bandwidth", "bandwidth_hz", "below", warning=6000.0, error=4500.0, unit="Hz"),
    # Calibrated: clean sources 0.6-3 dB (p95 <= 7.5; one aishell clip 16.6 dB with a -57 dBFS line);
    # LibriVox takes with real 60 Hz hum at -38 dBFS 17-22 dB; added -40 dBFS hum 20-50 dB (9 dB on a
    # rumbly vctk take, 0.5 dB on a LibriSpeech take with -50 dB/Hz rumble under 50 Hz).
    Rule("mains_hum", "hum_db", "above", warning=10.0, error=20.0, unit="dB"),
    # Calibrated: dry sources 0.13-0.35 s (p95 <= 0.46, max 0.52). Against DNSMOS P.835 (scripts/
    # eval_degradations.py, 11 takes, direct path + exponential tail): rooms of RT60 0.3 / 0.6 / 0.9 /
    # 1.2 s read 0.38 / 0.66 / 0.94 / 1.24 s (medians; 0.6 s rooms 0.61-0.73) and rate OVRL 2.58 / 2.25 /
    # 1.83 / 1.50, while pink or white noise at 25 dB (the low_snr warning) rates 2.77 and at 15 dB (the
    # error) 2.36. A 0.6 s room costs more than noise at the error level, so the error is at 0.6 s (it
    # was 0.9 s); the warning stays at 0.5 s, just over the driest clips (a 0.3 s room, rated between the
    # two noise levels, reads like dry speech and is missed).
    Rule("reverb", "rt60_s", "above", warning=0.5, error=0.6, unit="s"),
    # Calibrated: clean sources 0 (p95 0); LibriVox takes with audible pops 1-12.
    Rule("plosive", "plosive_count", "above", warning=0, error=3),
    # Calibrated (signal/agc.py maps its two signs so 0.5 and 0.75 mean the same evidence): the floor's
    # rise through pauses, natural clips -4..+3 dB (max 5.1, vctk), a 12-20 dB/s AGC over 1 s pauses
    # > 7 dB (0.5 at 6 dB, 0.75 at 10 dB); the gain dip under loud speech, natural clips <= -2.1 dB
    # (score <= 0.18), pedalboard compressor chains with make-up gain 0.9-6.8 dB (0.5 at 0.5 dB, 0.75 at
    # 2.5 dB; a rise read in one pause alone stays under 0.5).
    Rule("agc_pumping", "agc_score", "above", warning=0.5, error=0.75),
    # Calibrated (signal/denoise.py maps its signs so 0.5 and 0.75 mean the same evidence): natural clips
    # 0 (p95 0, max 0.43 over 263; MP3 decodes up to 0.64); hard gates, noisereduce and RNNoise 1;
    # pedalboard expanders 0.63-1; spectral subtraction 0.6-0.79; rooms of RT60 0.3-1.2 s < 0.2;
    # fsdd_concat (digital silence between digits) 1; LibriSpeech reader ls1688 (noise removed to near
    # digital silence, musical noise left) 0.48-0.84.
    Rule("denoised", "denoise_score", "above", warning=0.5, error=0.75),
    # DNSMOS P.835 overall (signal/mos.py), judged where it was measured: every clip with ``--mos`` (it
    # costs several times the other measures), by default only clips whose reverberation reading is
    # ambiguous (Config.mos_mode). 3.0 is Emilia's cut; clean vctk-p225 reads OVRL 2.66-3.33 (median 3.24).
    Rule("low_mos", "dnsmos_ovrl", "below", warning=3.0, error=None),
    # Transcript checks, for clips from a GPT-SoVITS .list (voxaudit/text/, evidence there).
    # GPT-SoVITS's 1-get-text.py unpacks exactly four '|' fields and drops a line that has more or fewer.
    Rule("list_format", "list_fields", "not", warning=None, error=4),
    # An empty text trains the GPT stage on silence-for-words; GPT-SoVITS's front end fails on it.
    Rule("text_missing", "text_chars", "below", warning=None, error=1),
    # 1 when GPT-SoVITS's language table has the code exactly as written, else 0: the line is dropped.
    Rule("unsupported_language", "lang_supported", "below", warning=None, error=1),
    # Share of the words/characters in a script the code cannot read (dropped by its front end).
    # Above half: the code is wrong for the text. Calibrated: correct aishell1 lines with English song
    # titles inside Mandarin read 0.11-0.43; Latin-only text under ZH, Chinese under EN read 1.0.
    Rule("text_language_mismatch", "text_foreign_share", "above", warning=0.5, error=None),
    # Log speaking rate outside the set's [Q1, Q3] per language, in IQRs (Emilia's 1.5 x IQR): no flag
    # on 89 correct single-script lines, 94 % of transcript swaps between texts 1.5x apart caught.
    Rule("speaking_rate", "speaking_rate_iqr", "above", warning=1.5, error=None, unit="IQR"),
    # Longest internal pause with no punctuation at its place in the text. Correct read lines: at most
    # 0.41 s unmarked (aishell1, LJSpeech); GPT-SoVITS's ASR cuts at 0.7 s of silence.
    Rule("unmarked_pause", "unmarked_pause_s", "above", warning=0.6, error=None, unit="s"),
)

# Typical DNSMOS P.835 SIG and BAK of clean read speech (the ten vctk-p225 clips of ../shared/speech:
# medians SIG 3.57, BAK 3.89, OVRL 3.24): a ``low_mos`` finding names the rating that falls further below
# its typical clean value as the cause (background noise for BAK, a distorted voice for SIG). Noise at
# 15 dB SNR drops BAK to 2.41 with SIG 3.50 (background); spectral subtraction and RNNoise lower SIG.
MOS_TYPICAL_SIG = 3.55
MOS_TYPICAL_BAK = 3.9

# A blind SNR (no pause to measure the noise in: ``snr_method`` "wada" or "minima") raises a ``low_snr``
# error only where its two estimates agree within this many dB; otherwise it is unsure (WADA reads clean
# aishell1 sentences at 2-10 dB, minimum statistics at 25-35 dB) and a warning at most. With pink noise
# at 12 dB the two agree within 1-8 dB.
BLIND_SNR_AGREEMENT_DB = 6.0

# What each severity costs the 0-100 quality score; a clip that cannot be read scores 0.
QUALITY_PENALTY = {"error": 35.0, "warning": 10.0, "info": 2.0}


@dataclass
class Config:
    """Thresholds and scoring in force for a run."""

    rules: dict[str, Rule] = field(default_factory=lambda: {r.code: r for r in DEFAULT_RULES})
    quality_penalty: dict[str, float] = field(default_factory=lambda: dict(QUALITY_PENALTY))
    # Which clips DNSMOS rates (signal/mos.py): "auto" (where the reverberation reading is ambiguous),
    # "all" (``--mos``) or "off" (``--no-mos``).
    mos_mode: str = "auto"

    def rule(self, code: str) -> Optional[Rule]:
        rule = self.rules.get(code)
        return rule if rule is not None and rule.enabled else None

    def enable(self, code: str) -> None:
        """Switch a rule on (e.g. ``low_mos`` for ``--mos``)."""
        if code not in self.rules:
            raise ParameterError(f"unknown rule {code!r}; known: {sorted(self.rules)}")
        self.rules[code] = replace(self.rules[code], enabled=True)

    @property
    def mos(self) -> bool | str:
        """What ``measure_signal(mos=...)`` gets: True (every clip), ``"auto"`` or False. Nothing is rated
        while the ``low_mos`` rule is disabled (nothing would judge it)."""
        if self.rule("low_mos") is None or self.mos_mode == "off":
            return False
        if self.mos_mode not in ("auto", "all"):
            raise ParameterError(f"mos_mode must be auto, all or off; got {self.mos_mode!r}")
        return True if self.mos_mode == "all" else "auto"

    def to_dict(self) -> dict:
        return {code: {"metric": r.metric, "direction": r.direction, "warning": r.warning,
                       "error": r.error, "enabled": r.enabled} for code, r in self.rules.items()}


def load_config(path: str | Path | None = None) -> Config:
    """The default thresholds, overridden by a TOML file when one is given.

    Raises
    ------
    ParameterError
        On an unknown rule code or key, or a value that is not a number.
    """
    config = Config()
    if path is None:
        return config
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ParameterError(f"cannot read config {path}: {error}") from None
    overrides = data.get("thresholds", {})
    unknown_top = set(data) - {"thresholds", "quality_penalty"}
    if unknown_top:
        raise ParameterError(f"config {path}: unknown section(s) {sorted(unknown_top)}")
    for code, values in overrides.items():
        if code not in config.rules:
            raise ParameterError(f"config {path}: unknown threshold {code!r}; known: {sorted(config.rules)}")
        if not isinstance(values, dict):
            raise ParameterError(f"config {path}: [thresholds.{code}] must be a table")
        changes = {}
        for key, value in values.items():
            if key in ("warning", "error"):
                if value is not None and not isinstance(value, (int, float)):
                    raise ParameterError(f"config {path}: thresholds.{code}.{key} must be a number, got {value!r}")
                changes[key] = value
            elif key == "enabled":
                changes[key] = bool(value)
            else:
                raise ParameterError(f"config {path}: unknown key thresholds.{code}.{key}")
        config.rules[code] = replace(config.rules[code], **changes)
    for severity, value in data.get("quality_penalty", {}).items():
        if severity not in QUALITY_PENALTY or not isinstance(value, (int, float)):
            raise ParameterError(f"config {path}: bad quality_penalty.{severity} = {value!r}")
        config.quality_penalty[severity] = float(value)
    return copy.deepcopy(config)
