"""Conditions a whole set shares because of its source: said once for the set, not held against each clip.

A session recorded at 16 kHz gives every take the ``low_sample_rate`` warning. That is true and worth
saying, but it is a property of the recording chain, not of any one take: a clean take of that session
is as good as the session can give, so it is still one to keep, and a headline that calls every clip
"flagged" hides the clips that really need a look. The rule, in one place for ``voxaudit scan``'s
headline and ``voxaudit serve``'s verdicts:

- a finding is a **source condition** when its rule judges a property of the source, not of the
  performance: the sample rate or the channel count (:data:`SOURCE_METRICS`);
- it is **set-wide** when every readable clip of the set carries it, each at ``warning`` severity;
- a set-wide finding stays on each clip (with its value and hint) and is reported once for the set,
  but does not by itself make a clip "flagged" or stop a "keep" verdict.

An ``error`` is never set-wide: a source the thresholds call unusable (e.g. 8 kHz audio, under the
16 kHz error level) stays an error on every clip. A condition only some clips share (a session mixing
16 and 48 kHz takes) counts on each clip that has it: the mix is itself worth a look.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional

from .model import SEVERITY_RANK

__all__ = ["SOURCE_METRICS", "SetWideCondition", "set_wide_conditions", "counts_for_verdict",
           "verdict_severity"]

# Metrics that describe the source (the recorder, the export settings), not the take.
SOURCE_METRICS = frozenset({"sample_rate", "channels"})
# The only severity a shared source condition may have and still be said once for the set.
SET_WIDE_SEVERITY = "warning"


@dataclass(frozen=True)
class SetWideCondition:
    """A source condition every readable clip of a set carries.

    Attributes
    ----------
    code : str
        The finding code (e.g. ``low_sample_rate``).
    metric : str
        The metric its rule judges (e.g. ``sample_rate``).
    n_clips : int
        Clips that carry it (all readable clips of the set).
    values : tuple
        The distinct measured values, sorted (e.g. ``(16000.0,)``).
    """

    code: str
    metric: str
    n_clips: int
    values: tuple

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "metric": self.metric, "severity": SET_WIDE_SEVERITY,
                "n_clips": self.n_clips, "values": list(self.values)}


def _get(finding: Any, key: str) -> Any:
    return finding.get(key) if isinstance(finding, Mapping) else getattr(finding, key, None)


def set_wide_conditions(findings_per_clip: Iterable[Iterable[Any]]) -> dict[str, SetWideCondition]:
    """The source conditions every clip carries at warning severity.

    Parameters
    ----------
    findings_per_clip : iterable of iterables
        One entry per **readable** clip of the set: its findings, as :class:`voxaudit.model.Finding`
        objects or their dicts (``code``, ``severity``, ``metric``, ``value``). Unreadable clips have
        no measures and must be left out.

    Returns
    -------
    dict
        Code -> :class:`SetWideCondition`; empty for an empty set.

    Examples
    --------
    >>> rate = {"code": "low_sample_rate", "severity": "warning", "metric": "sample_rate", "value": 16000}
    >>> snr = {"code": "low_snr", "severity": "warning", "metric": "snr_db", "value": 20.0}
    >>> sorted(set_wide_conditions([[rate], [rate, snr]]))
    ['low_sample_rate']
    >>> set_wide_conditions([[rate], [snr]])
    {}
    """
    common: Optional[dict[str, tuple[str, set]]] = None
    n_clips = 0
    for findings in findings_per_clip:
        n_clips += 1
        here: dict[str, tuple[str, set]] = {}
        for finding in findings:
            metric = _get(finding, "metric")
            if metric in SOURCE_METRICS and _get(finding, "severity") == SET_WIDE_SEVERITY:
                entry = here.setdefault(str(_get(finding, "code")), (metric, set()))
                value = _get(finding, "value")
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    entry[1].add(float(value))
        if common is None:
            common = here
        else:
            common = {code: (metric, values | here[code][1]) for code, (metric, values) in common.items()
                      if code in here}
        if not common:
            return {}
    return {code: SetWideCondition(code=code, metric=metric, n_clips=n_clips, values=tuple(sorted(values)))
            for code, (metric, values) in (common or {}).items()}


def counts_for_verdict(finding: Any, set_wide: Mapping[str, Any]) -> bool:
    """False for a finding said once for the set (a set-wide warning), True for every other one."""
    return not (_get(finding, "code") in set_wide and _get(finding, "severity") == SET_WIDE_SEVERITY)


def verdict_severity(findings: Iterable[Any], set_wide: Mapping[str, Any]) -> Optional[str]:
    """The worst severity among a clip's findings that count for its verdict; None when none does.

    Examples
    --------
    >>> rate = {"code": "low_sample_rate", "severity": "warning", "metric": "sample_rate"}
    >>> verdict_severity([rate], {}), verdict_severity([rate], {"low_sample_rate": None})
    ('warning', None)
    """
    worst: Optional[str] = None
    for finding in findings:
        severity = _get(finding, "severity")
        if severity not in SEVERITY_RANK or not counts_for_verdict(finding, set_wide):
            continue
        if worst is None or SEVERITY_RANK[severity] > SEVERITY_RANK[worst]:
            worst = severity
    return worst
