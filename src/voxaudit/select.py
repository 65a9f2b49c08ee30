"""Select: the reference clip for zero-shot cloning and a training subset of N minutes.

Both rank clips by one score that adds signal quality and voice typicality::

    score = quality + IDENTITY_POINTS * clip(z, Z_MIN, Z_MAX)

``quality`` is the clip's 0-100 quality score (each warning costs 10 points, each error 35, see
``voxaudit.config.QUALITY_PENALTY``); ``z`` is the clip's robust z of similarity to the set's voice
(``ClipResult.identity["z"]``, 0 when identity was skipped or not judged, so the ranking falls back to
quality alone). With ``IDENTITY_POINTS = 10`` one robust standard deviation of voice typicality weighs
as much as one warning; the clip keeps z within ``[-3, 2]`` so an extremely typical clip cannot
outweigh real defects, and a clip near the outlier threshold (z about -3.5) loses about 30 points.

The reference adds a duration term: zero-shot cloners (GPT-SoVITS, F5-TTS, CosyVoice) want a 3-10 s
prompt and do best with a whole sentence of 4-8 s, so a clip loses ``DURATION_POINTS`` per second
outside 4-8 s.

Clips that cannot be read, that carry an ``error`` finding or that are identity outliers are never
chosen, whatever their score.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

from .errors import ParameterError
from .model import ClipResult

IDENTITY_POINTS = 10.0
Z_MIN, Z_MAX = -3.0, 2.0
# Hard limits of a zero-shot reference, in seconds (GPT-SoVITS refuses prompts outside 3-10 s).
REFERENCE_MIN_S, REFERENCE_MAX_S = 3.0, 10.0
# The preferred range inside them, and what each second outside it costs.
REFERENCE_BEST_S = (4.0, 8.0)
DURATION_POINTS = 2.0
N_ALTERNATES = 3


def clip_score(clip: ClipResult) -> float:
    """Quality plus voice typicality, in quality points (see the module docstring).

    Examples
    --------
    >>> from voxaudit.model import ClipResult, ClipSource
    >>> clip_score(ClipResult(ClipSource("a.wav", "a.wav"), quality=80.0, identity={"z": -1.0}))
    70.0
    """
    z = _identity_z(clip)
    return float(clip.quality) + IDENTITY_POINTS * min(max(z, Z_MIN), Z_MAX)


def reference_score(clip: ClipResult) -> float:
    """:func:`clip_score` minus ``DURATION_POINTS`` per second outside 4-8 s."""
    duration = _duration_s(clip) or 0.0
    low, high = REFERENCE_BEST_S
    outside = max(low - duration, 0.0) + max(duration - high, 0.0)
    return clip_score(clip) - DURATION_POINTS * outside


def choose_reference(clips: list[ClipResult]) -> tuple[Optional[str], list[str]]:
    """The best reference clip for zero-shot cloning, and up to 3 alternates.

    A candidate is readable, 3-10 s long (``metrics["duration_s"]``), has no ``error`` finding and is
    not an identity outlier. Candidates are ranked by :func:`reference_score`, ties by display path.

    Parameters
    ----------
    clips : list of ClipResult

    Returns
    -------
    reference : str or None
        Display path of the best candidate; None when no clip qualifies.
    alternates : list of str
        Display paths of the next best candidates, best first (at most 3).
    """
    candidates = [c for c in clips if _usable(c) and _fits_reference(c)]
    ranked = sorted(candidates, key=lambda c: (-reference_score(c), c.source.display_path))
    if not ranked:
        return None, []
    paths = [c.source.display_path for c in ranked]
    return paths[0], paths[1:1 + N_ALTERNATES]


def select_subset(clips: list[ClipResult], *, minutes: float
                  ) -> tuple[list[ClipResult], list[tuple[ClipResult, str]]]:
    """Keep the best clips up to ``minutes`` of audio; say why each other clip was left out.

    Clips that cannot be read, carry an ``error`` finding or are identity outliers are never kept. The
    others are ranked by :func:`clip_score` (ties by display path) and kept in rank order while the total
    duration stays within the budget; from the first clip that would exceed it, every lower-ranked clip
    is left out too (no back-filling with shorter, worse clips, so a kept clip always outranks a
    budget-rejected one).

    Parameters
    ----------
    clips : list of ClipResult
    minutes : float
        Budget of audio to keep, in minutes (> 0).

    Returns
    -------
    kept : list of ClipResult
        In input order.
    rejected : list of (ClipResult, str)
        In input order, with the reason: ``"unreadable"``, ``"no duration measured"``,
        ``"speaker_mismatch"`` and/or the codes of the error findings (comma separated, e.g.
        ``"speaker_mismatch, clipping"``), or ``"over the 10-minute budget (rank 57)"`` where the rank
        counts the eligible clips, best first.

    Raises
    ------
    ParameterError
        When ``minutes`` is not a positive finite number.
    """
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float, np.integer, np.floating)) \
            or not math.isfinite(minutes) or minutes <= 0:
        raise ParameterError(f"minutes must be a positive number, got {minutes!r}")
    budget_s = float(minutes) * 60.0

    reasons: dict[int, str] = {}
    eligible: list[int] = []
    for i, clip in enumerate(clips):
        reason = _exclusion(clip)
        if reason is None and _duration_s(clip) is None:
            reason = "no duration measured"
        if reason is None:
            eligible.append(i)
        else:
            reasons[i] = reason

    ranked = sorted(eligible, key=lambda i: (-clip_score(clips[i]), clips[i].source.display_path))
    total_s = 0.0
    full = False
    kept_ids: set[int] = set()
    for rank, i in enumerate(ranked, start=1):
        duration = _duration_s(clips[i]) or 0.0
        if not full and total_s + duration <= budget_s + 1e-9:
            kept_ids.add(i)
            total_s += duration
        else:
            full = True
            reasons[i] = f"over the {minutes:g}-minute budget (rank {rank})"

    kept = [c for i, c in enumerate(clips) if i in kept_ids]
    rejected = [(c, reasons[i]) for i, c in enumerate(clips) if i not in kept_ids]
    return kept, rejected


# -- helpers -------------------------------------------------------------------------------------------

def _exclusion(clip: ClipResult) -> Optional[str]:
    """Why a clip can never be kept (None when it can)."""
    if not clip.readable:
        return "unreadable"
    codes: list[str] = []
    if _is_outlier(clip):
        codes.append("speaker_mismatch")
    for finding in clip.findings:
        if finding.severity == "error" and finding.code not in codes:
            codes.append(finding.code)
    return ", ".join(codes) if codes else None


def _usable(clip: ClipResult) -> bool:
    return _exclusion(clip) is None


def _fits_reference(clip: ClipResult) -> bool:
    duration = _duration_s(clip)
    return duration is not None and REFERENCE_MIN_S <= duration <= REFERENCE_MAX_S


def _is_outlier(clip: ClipResult) -> bool:
    return bool(clip.identity and clip.identity.get("outlier"))


def _identity_z(clip: ClipResult) -> float:
    z = clip.identity.get("z") if clip.identity else None
    try:
        z = float(z)
    except (TypeError, ValueError):
        return 0.0
    return z if math.isfinite(z) else 0.0


def _duration_s(clip: ClipResult) -> Optional[float]:
    value = clip.metrics.get("duration_s")
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and value >= 0 else None
