"""The scan's side of set-wide conditions: a source condition every clip shares is said once.

Which findings are set-wide is decided in one place for ``voxaudit scan`` and ``voxaudit serve``:
:func:`voxaudit.setwide.set_wide_conditions` (a finding on a source metric, the sample rate or the
channel count, that every decoded clip carries at ``warning`` severity; an ``error`` never is). Here the
scan applies it to its clips:

- each clip keeps the finding (message, hint, value) as ``info`` with ``scope: "set"``: the clip is not
  "flagged" for it, its quality score charges it as info, and ``--fail-on warning`` does not trip on it;
  re-grading it here (rather than teaching every reader of a report to skip it) keeps the report's own
  severities, the CSV's ``worst_severity``, the HTML filters and the headline in agreement;
- the set gets one entry in ``summary.set_conditions``, shown once by the terminal summary and the HTML.

A scan of a single clip has no set to speak of: its findings stay as judged (``MIN_CLIPS``).
"""

from __future__ import annotations

from .config import Config
from .messages import render
from .model import ClipResult
from .setwide import SET_WIDE_SEVERITY, set_wide_conditions
from .signal.findings import quality_score

# A set of one clip has nothing to share: its findings stay as judged.
MIN_CLIPS = 2
# Distinct values named in a set condition's message (e.g. two sample rates).
MAX_VALUES = 3


def apply_set_conditions(clips: list[ClipResult], config: Config, lang: str) -> list[dict]:
    """Find the set-wide conditions of ``clips``, re-grade them on each clip (see the module), re-score
    those clips, and return one summary entry per condition.

    Parameters
    ----------
    clips : list of ClipResult
        The whole set, after the per-clip judging (changed in place).
    config : Config
        The quality penalties.
    lang : str
        Language of the entries' message and hint.

    Returns
    -------
    list of dict
        ``{"code", "metric", "severity", "clips", "values", "threshold", "message", "hint"}`` per
        condition; ``severity`` is the one the thresholds gave each clip (``warning``).
    """
    decoded = [c for c in clips if c.readable and "sample_rate" in (c.metrics or {})]
    if len(decoded) < MIN_CLIPS:
        return []
    entries = []
    for code, condition in set_wide_conditions([c.findings for c in decoded]).items():
        threshold = None
        for clip in decoded:
            for finding in clip.findings:
                if finding.code == code and finding.severity == SET_WIDE_SEVERITY:
                    threshold = finding.threshold if threshold is None else threshold
                    finding.severity = "info"
                    finding.scope = "set"
            clip.quality = quality_score(clip.findings, config)
        values = list(condition.values)
        messages = [render(code, lang, value=v, threshold=threshold)[0] for v in values[:MAX_VALUES]]
        entries.append({
            "code": code, "metric": condition.metric, "severity": SET_WIDE_SEVERITY,
            "clips": condition.n_clips, "values": values, "threshold": threshold,
            "message": ("；" if lang == "zh" else "; ").join(messages) + (" …" if len(values) > MAX_VALUES else ""),
            "hint": render(code, lang)[1],
        })
    return entries
