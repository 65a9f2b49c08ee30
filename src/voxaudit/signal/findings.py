"""Judge measures against the thresholds table: metrics -> findings -> a 0-100 quality score.

This is the only place where severity is decided.
"""

from __future__ import annotations

import math
from typing import Optional

from ..config import BLIND_SNR_AGREEMENT_DB, MOS_TYPICAL_BAK, MOS_TYPICAL_SIG, Config, Rule
from ..messages import agc_evidence, denoise_evidence, render
from ..model import Finding
from .denoise import sign_scores


def _exceeds(value: float, level: Optional[float], direction: str) -> bool:
    if level is None:
        return False
    if direction == "not":
        return value != level
    return value < level if direction == "below" else value > level


def judge_rule(rule: Rule, metrics: dict) -> Optional[tuple[str, float, float]]:
    """``(severity, value, threshold)`` when the rule fires on these metrics, else None.

    A value of -inf or +inf (the level of digital silence is -inf dBFS) lies beyond every level; a
    missing or NaN value is not judged."""
    value = metrics.get(rule.metric)
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        return None
    compared = abs(value) if rule.absolute else value
    if _exceeds(compared, rule.error, rule.direction):
        return "error", float(value), float(rule.error)
    if _exceeds(compared, rule.warning, rule.direction):
        return "warning", float(value), float(rule.warning)
    return None


def make_finding(code: str, severity: str, *, lang: str = "en", metric: Optional[str] = None,
                 value: Optional[float] = None, threshold: Optional[float] = None,
                 hint_cause: Optional[str] = None, **context) -> Finding:
    """Build a finding with its message and hint rendered in ``lang`` (the hint for ``hint_cause``
    where one is listed; the finding records it as its ``cause``)."""
    fields = dict(context)
    fields.update(value=value, threshold=threshold)
    if value is not None:
        fields.setdefault("percent", 100.0 * value)
        fields.setdefault("linear", 10 ** (value / 20.0) if metric == "rms_dbfs" else value)
    if threshold is not None:
        fields.setdefault("threshold_percent", 100.0 * threshold)
    if code == "denoised":
        fields.setdefault("evidence", denoise_evidence(lang, **_carrying_signs(context)))
    if code == "agc_pumping":
        fields.setdefault("evidence", agc_evidence(lang, **context))
    message, hint = render(code, lang, hint_cause=hint_cause, **fields)
    cause = context.get("cause") if code == "unreadable" else hint_cause
    # A non-finite value (-inf dBFS for digital silence) is in the message; JSON has no place for it.
    return Finding(code=code, severity=severity, message=message, hint=hint, metric=metric,
                   value=None if value is None or not math.isfinite(value) else round(float(value), 6),
                   threshold=None if threshold is None else float(threshold), cause=cause)


# A sign of denoising is named in the message when it alone reaches this score (a warning's worth).
EVIDENCE_SCORE = 0.5
# A low DNSMOS rating on a clip in an ambiguous room is put down to the room (not to noise) when the clip
# is at least this clean: the ``low_snr`` warning level, so a noisy clip keeps the background hint.
ROOM_MIN_SNR_DB = 25.0
# ... and not narrow-band (the ``narrow_bandwidth`` warning level): DNSMOS marks down a telephone-band voice
# whatever the room (the 8 kHz FSDD digit sequences: OVRL 2.27-3.25, median 2.69, SIG median 3.02).
ROOM_MIN_BANDWIDTH_HZ = 6000.0


def _carrying_signs(metrics: dict) -> dict:
    """The signs of denoising that carry the finding (``EVIDENCE_SCORE`` or more on their own), or the
    strongest one when none does, as metric -> value."""
    parts = sign_scores(metrics)
    names = [name for name, part in parts.items() if part >= EVIDENCE_SCORE]
    if not names and parts:
        names = [max(parts, key=parts.get)]
    return {name: metrics[name] for name in names}


def cause_of(code: str, metrics: dict, fired: set[str]) -> Optional[str]:
    """The cause the measurements point to for a finding, where its hint depends on it (see
    ``messages.HINT_VARIANTS``): ``low_mos`` -> ``"room"`` where the clip was rated as a second opinion
    on an ambiguous reverberation reading and is neither noisy nor narrow-band (``rt60_s`` in the band of
    ``signal.mos.SECOND_OPINION_RT60_S`` or above, ``snr_db`` at least ``ROOM_MIN_SNR_DB``,
    ``bandwidth_hz`` at least ``ROOM_MIN_BANDWIDTH_HZ``), else ``"background"`` or ``"voice"`` (the DNSMOS
    rating further below its typical clean value); ``low_snr`` -> ``"agc"`` when AGC pumping fired too
    (the noise in the pauses is the gain control's doing, not only the room's)."""
    if code == "low_mos":
        from .mos import SECOND_OPINION_RT60_S

        rt60, snr, band = metrics.get("rt60_s"), metrics.get("snr_db"), metrics.get("bandwidth_hz")
        if (isinstance(rt60, (int, float)) and rt60 >= SECOND_OPINION_RT60_S[0]
                and isinstance(snr, (int, float)) and snr >= ROOM_MIN_SNR_DB
                and not (isinstance(band, (int, float)) and band < ROOM_MIN_BANDWIDTH_HZ)):
            return "room"
        sig, bak = metrics.get("dnsmos_sig"), metrics.get("dnsmos_bak")
        if isinstance(sig, (int, float)) and isinstance(bak, (int, float)):
            return "background" if MOS_TYPICAL_BAK - bak > MOS_TYPICAL_SIG - sig else "voice"
    if code == "low_snr" and "agc_pumping" in fired:
        return "agc"
    return None


def cap_severity(code: str, severity: str, metrics: dict) -> str:
    """Lower a severity the measurement cannot carry: a blind SNR (no pauses) whose two estimates
    disagree by more than ``BLIND_SNR_AGREEMENT_DB`` is a warning at most."""
    if code == "low_snr" and severity == "error" and metrics.get("snr_method") in ("wada", "minima"):
        wada, minima = metrics.get("snr_wada_db"), metrics.get("snr_minima_db")
        if not (isinstance(wada, (int, float)) and isinstance(minima, (int, float))
                and abs(wada - minima) <= BLIND_SNR_AGREEMENT_DB):
            return "warning"
    return severity


def judge_metrics(metrics: dict, config: Config, *, lang: str = "en", context: Optional[dict] = None,
                  codes: Optional[set] = None) -> list[Finding]:
    """Every finding the thresholds table raises on one clip's metrics, worst first.

    ``context`` adds fields for the messages (a list line's number, its language code); ``codes``
    limits the judgement to those rules."""
    verdicts = []
    fields = {**metrics, **(context or {})}
    for code, rule in config.rules.items():
        if not rule.enabled or (codes is not None and code not in codes):
            continue
        verdict = judge_rule(rule, metrics)
        if verdict is not None:
            severity, value, threshold = verdict
            capped = cap_severity(code, severity, metrics)
            if capped != severity:
                threshold = float(rule.warning) if rule.warning is not None else threshold
            verdicts.append((code, rule, (capped, value, threshold)))
    fired = {code for code, _, _ in verdicts}
    findings = []
    for code, rule, (severity, value, threshold) in verdicts:
        findings.append(make_finding(code, severity, lang=lang, metric=rule.metric, value=value,
                                     threshold=threshold, hint_cause=cause_of(code, metrics, fired), **fields))
    findings.sort(key=lambda f: f.severity != "error")
    return findings


def quality_score(findings: list[Finding], config: Config) -> float:
    """0-100: 100 minus a penalty per finding by severity (``config.quality_penalty``); 0 if unreadable."""
    if any(f.code == "unreadable" for f in findings):
        return 0.0
    penalty = sum(config.quality_penalty.get(f.severity, 0.0) for f in findings)
    return max(0.0, 100.0 - penalty)
