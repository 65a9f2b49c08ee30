"""Judge measures against the thresholds table: metrics -> findings -> a 0-100 quality score.

This is the only place where severity is decided.
"""

from __future__ import annotations

import math
from typing import Optional

from ..config import Config, Rule
from ..messages import denoise_evidence, render
from ..model import Finding
from .denoise import GATE_DROP_DB


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
                 value: Optional[float] = None, threshold: Optional[float] = None, **context) -> Finding:
    """Build a finding with its message and hint rendered in ``lang``."""
    fields = dict(context)
    fields.update(value=value, threshold=threshold)
    if value is not None:
        fields.setdefault("percent", 100.0 * value)
        fields.setdefault("linear", 10 ** (value / 20.0) if metric == "rms_dbfs" else value)
    if threshold is not None:
        fields.setdefault("threshold_percent", 100.0 * threshold)
    if code == "denoised":
        fields.setdefault("evidence", denoise_evidence(lang, gate_drop_db=GATE_DROP_DB, **context))
    message, hint = render(code, lang, **fields)
    cause = context.get("cause") if code == "unreadable" else None
    # A non-finite value (-inf dBFS for digital silence) is in the message; JSON has no place for it.
    return Finding(code=code, severity=severity, message=message, hint=hint, metric=metric,
                   value=None if value is None or not math.isfinite(value) else round(float(value), 6),
                   threshold=None if threshold is None else float(threshold), cause=cause)


def judge_metrics(metrics: dict, config: Config, *, lang: str = "en", context: Optional[dict] = None,
                  codes: Optional[set] = None) -> list[Finding]:
    """Every finding the thresholds table raises on one clip's metrics, worst first.

    ``context`` adds fields for the messages (a list line's number, its language code); ``codes``
    limits the judgement to those rules."""
    findings = []
    fields = {**metrics, **(context or {})}
    for code, rule in config.rules.items():
        if not rule.enabled or (codes is not None and code not in codes):
            continue
        verdict = judge_rule(rule, metrics)
        if verdict is None:
            continue
        severity, value, threshold = verdict
        findings.append(make_finding(code, severity, lang=lang, metric=rule.metric, value=value,
                                     threshold=threshold, **fields))
    findings.sort(key=lambda f: f.severity != "error")
    return findings


def quality_score(findings: list[Finding], config: Config) -> float:
    """0-100: 100 minus a penalty per finding by severity (``config.quality_penalty``); 0 if unreadable."""
    if any(f.code == "unreadable" for f in findings):
        return 0.0
    penalty = sum(config.quality_penalty.get(f.severity, 0.0) for f in findings)
    return max(0.0, 100.0 - penalty)
