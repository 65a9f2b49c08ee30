"""Set-wide conditions: a finding every clip shares because of the source, said once for the set.

A set recorded or exported at 16 kHz gives every clip a ``low_sample_rate`` warning. Forty-two
identical warnings say one thing about the source, not forty-two things about the takes, and a headline
of "42 of 42 clips flagged" hides the clips that really differ. For a rule marked ``set_wide`` in the
thresholds table (``config.Rule``):

- when every decoded clip of the set (at least ``MIN_CLIPS``) carries its finding at **warning**
  level, the finding stays on each clip (message, hint, value) as ``info`` with ``scope: "set"``: the
  clips are not "flagged" for it, the quality score charges it as info, and ``--fail-on warning`` does
  not trip on it. The set gets one entry in ``summary.set_conditions``;
- at **error** level (e.g. every clip at 8 kHz) nothing is downgraded: such clips are unusable for
  training whoever shares them. The set still gets its one entry (``"counted": true``);
- when only some clips carry it (a set mixing 16 and 48 kHz takes), the clips that differ are what the
  user must see: the findings stay as judged.
"""

from __future__ import annotations

from .config import Config
from .messages import render
from .model import ClipResult
from .signal.findings import quality_score

# A set of one clip has nothing to share: its findings stay as judged.
MIN_CLIPS = 2
# Distinct values named in a set condition's message (e.g. two sample rates).
MAX_VALUES = 3


def apply_set_conditions(clips: list[ClipResult], config: Config, lang: str) -> list[dict]:
    """Find the set-wide conditions of ``clips``, downgrade shared warnings (see the module), re-score
    the clips concerned, and return one summary entry per condition.

    Parameters
    ----------
    clips : list of ClipResult
        The whole set, after the per-clip judging (changed in place).
    config : Config
        The thresholds table (which rules are ``set_wide``) and the quality penalties.
    lang : str
        Language of the entries' message and hint.

    Returns
    -------
    list of dict
        ``{"code", "severity", "counted", "clips", "values", "threshold", "message", "hint"}`` per
        condition; ``severity`` is the judged one (``warning`` or ``error``), ``counted`` whether it
        still counts towards flagged clips and quality as a per-clip finding.
    """
    decoded = [c for c in clips if c.readable and "sample_rate" in (c.metrics or {})]
    if len(decoded) < MIN_CLIPS:
        return []
    entries = []
    for code, rule in config.rules.items():
        if not rule.enabled or not rule.set_wide:
            continue
        found = [next((f for f in clip.findings if f.code == code), None) for clip in decoded]
        severities = {f.severity if f is not None else None for f in found}
        if len(severities) != 1 or severities & {None, "info"}:
            continue
        severity = severities.pop()
        values = sorted({f.value for f in found if f.value is not None})
        threshold = found[0].threshold
        messages = [render(code, lang, value=v, threshold=threshold)[0] for v in values[:MAX_VALUES]]
        counted = severity == "error"
        if not counted:
            for clip, finding in zip(decoded, found):
                finding.severity = "info"
                finding.scope = "set"
                clip.quality = quality_score(clip.findings, config)
        entries.append({
            "code": code, "severity": severity, "counted": counted, "clips": len(decoded),
            "values": values, "threshold": threshold,
            "message": ("; " if lang != "zh" else "；").join(messages) + (" …" if len(values) > MAX_VALUES else ""),
            "hint": render(code, lang)[1],
        })
    return entries
