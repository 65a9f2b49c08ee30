"""Level: peak, RMS, speech RMS, clipping and DC offset of one clip."""

from __future__ import annotations

import numpy as np

from .activity import SpeechActivity, check_input, frame_power, mask_runs

# A sample at or above this magnitude is at digital full scale.
FULL_SCALE = 0.999
# Consecutive samples on a rail that make a clipped run (fewer is a legitimate peak).
MIN_CLIP_RUN = 3
# A rail below full scale (the clip's own peak) needs this many flat runs to count as clipping.
MIN_PEAK_RAIL_RUNS = 2
# Relative tolerance for "the same value as the clip's own peak" (float32 rounding after a gain change).
PEAK_RTOL = 1e-5


def _dbfs(mean_square: float) -> float | None:
    """Mean square to dBFS (full-scale sine = -3 dB); -inf for exact zero (digital silence), None for a
    non-finite or negative input."""
    if not np.isfinite(mean_square) or mean_square < 0:
        return None
    if mean_square == 0:
        return float("-inf")
    return float(10.0 * np.log10(mean_square))


def _long_runs(mask: np.ndarray, min_len: int) -> tuple[int, int]:
    """``(samples, runs)``: True samples lying in runs of at least ``min_len``, and how many such runs."""
    if not mask.any():
        return 0, 0
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    lengths = edges[1::2] - edges[0::2]
    long = lengths[lengths >= min_len]
    return int(long.sum()), int(long.size)


def clipping_fraction(samples: np.ndarray) -> float:
    """Fraction of samples that lie in clipped runs.

    A sample is clipped when it lies in a run of at least ``MIN_CLIP_RUN`` consecutive samples that are
    at digital full scale (``|x| >= FULL_SCALE``), or flat at the clip's own positive or negative peak
    (clipping that happened before a gain change) when that rail holds at least
    ``MIN_PEAK_RAIL_RUNS`` such runs. A clean signal touches its peak in isolated samples and reads 0.0;
    the run count keeps a coarsely quantised (8-bit) clip, whose smooth maximum can sit on one level
    for a few samples once, from reading as clipped.

    Parameters
    ----------
    samples : np.ndarray
        Mono samples, full scale 1.0.

    Returns
    -------
    float
        Clipped samples / all samples, 0..1.

    Examples
    --------
    >>> x = 0.9 * np.sin(np.linspace(0, 20 * np.pi, 8000)).astype(np.float32)
    >>> clipping_fraction(x)
    0.0
    >>> round(clipping_fraction(0.5 * np.clip(1.5 * x, -1, 1)), 2)  # clipped, then turned down
    0.47
    """
    x = np.asarray(samples, dtype=np.float32)
    if x.size == 0:
        return 0.0
    full = np.abs(x) >= FULL_SCALE
    clipped = _long_runs(full, MIN_CLIP_RUN)[0]
    for rail in (float(x.max()), float(x.min())):
        if rail == 0 or abs(rail) >= FULL_SCALE:
            continue  # nothing there, or already counted as full scale
        on_rail = x >= rail * (1.0 - PEAK_RTOL) if rail > 0 else x <= rail * (1.0 - PEAK_RTOL)
        count, runs = _long_runs(on_rail, MIN_CLIP_RUN)
        if runs >= MIN_PEAK_RAIL_RUNS:
            clipped += count
    return clipped / x.size


def measure_level(samples: np.ndarray, *, sample_rate: int, activity: SpeechActivity) -> dict:
    """Peak, RMS, speech RMS, clipping and DC offset.

    Parameters
    ----------
    samples : np.ndarray
        Mono float32 samples, full scale 1.0.
    sample_rate : int
        Sample rate in Hz.
    activity : SpeechActivity
        Speech activity of ``samples`` (from :func:`~voxaudit.signal.activity.speech_activity`).

    Returns
    -------
    dict
        ``peak_dbfs`` : float
            Largest absolute sample in dBFS (0 dB = 1.0); -inf for an all-zero clip.
        ``rms_dbfs`` : float
            RMS of the whole clip in dBFS (a full-scale sine reads -3.0); -inf for an all-zero clip
            (digital silence: below every level, so ``too_quiet`` judges it; stored as null in JSON).
        ``speech_rms_dbfs`` : float or None
            RMS over the speech frames only (DC removed), dBFS; None when no speech was found.
        ``clipping_fraction`` : float
            Fraction of samples in clipped runs, 0..1 (see :func:`clipping_fraction`).
        ``dc_offset`` : float
            Mean sample value (linear, full scale 1.0).

    Raises
    ------
    ParameterError
        If ``sample_rate`` is not a positive integer or ``samples`` is not 1-D.

    Examples
    --------
    >>> from voxaudit.signal.activity import speech_activity
    >>> x = (0.5 * np.sin(2 * np.pi * 200 * np.arange(16000) / 16000)).astype(np.float32)
    >>> m = measure_level(x, sample_rate=16000, activity=speech_activity(x, sample_rate=16000))
    >>> round(m["peak_dbfs"], 1), round(m["rms_dbfs"], 1)
    (-6.0, -9.0)
    """
    x = check_input(samples, sample_rate)
    sample_rate = int(sample_rate)
    if x.size == 0:
        return {"peak_dbfs": None, "rms_dbfs": None, "speech_rms_dbfs": None,
                "clipping_fraction": 0.0, "dc_offset": 0.0}
    peak = float(np.max(np.abs(x)))
    mean = float(np.mean(x, dtype=np.float64))
    mean_square = float(np.einsum("i,i->", x, x, dtype=np.float64)) / x.size

    # Speech RMS on the activity grid, DC removed.
    speech_rms = None
    speech = np.asarray(activity.speech, dtype=bool)
    if speech.any():
        power = frame_power(x - np.float32(mean), sample_rate=sample_rate, frame_s=activity.frame_s,
                            hop_s=activity.hop_s)
        if power.size == speech.size:
            speech_rms = _dbfs(float(np.mean(power[speech])))
        else:  # activity from another grid: take sample ranges instead
            total, count = 0.0, 0
            for start, stop in mask_runs(speech):
                a = int(round(start * activity.hop_s * sample_rate))
                b = min(x.size, int(round(stop * activity.hop_s * sample_rate)))
                seg = x[a:b] - np.float32(mean)
                total += float(np.dot(seg, seg))
                count += seg.size
            speech_rms = _dbfs(total / count) if count else None

    return {
        "peak_dbfs": float(20.0 * np.log10(peak)) if peak > 0 else float("-inf"),
        "rms_dbfs": _dbfs(mean_square),
        "speech_rms_dbfs": speech_rms,
        "clipping_fraction": clipping_fraction(x),
        "dc_offset": mean if np.isfinite(mean) else 0.0,
    }
