"""Automatic gain control (AGC) "pumping": a noise floor that swells in the pauses.

An AGC (phone and laptop microphones, video-call software, some USB interfaces) lowers its gain while
the talker speaks and raises it again when speech stops, so the background noise grows through every
pause and drops back at the next onset. A natural recording has a flat floor in its pauses (or one that
falls, while a room's reverberation dies away).

For every pause that follows speech (between phrases, and the trailing one) the floor is taken as a low
percentile of the activity's frame powers in the first and in the last third of the pause's first
``MAX_PAUSE_S``; the rise is the difference. The clip's value is the median rise over its pauses, so a
breath before one phrase does not decide it.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from .activity import DB_FLOOR, SpeechActivity, mask_runs
from .reverb import _check

# Pauses shorter than this are skipped (the floor cannot rise measurably).
MIN_PAUSE_S = 0.30
# Only the start of a long pause is used: AGC gain settles within a second or two.
MAX_PAUSE_S = 2.0
# Every STRIDE-th frame of a pause enters the robust line fit (bounds its cost).
STRIDE = 2
# A pause with more exact digital silence than this is not a noise floor at all.
MAX_ZERO_FRACTION = 0.5


def pause_floor_rises_db(activity: SpeechActivity) -> np.ndarray:
    """The rise of the noise floor (dB) over each usable pause that follows speech.

    Parameters
    ----------
    activity : SpeechActivity
        The clip's speech activity (frame powers, speech mask, digital-zero mask).

    Returns
    -------
    np.ndarray
        One value per usable pause: floor in the last third minus floor in the first third, in dB.
    """
    frame_db = np.asarray(activity.frame_db, dtype=np.float64)
    speech = np.asarray(activity.speech, dtype=bool)
    zero = np.asarray(activity.digital_zero, dtype=bool)
    min_len = max(3, int(round(MIN_PAUSE_S / activity.hop_s)))
    max_len = max(min_len, int(round(MAX_PAUSE_S / activity.hop_s)))
    rises = []
    # One pass over the pauses (a few dozen per clip).
    for start, stop in mask_runs(~speech):
        if start == 0:
            continue  # a leading pause follows no speech
        stop = min(stop, start + max_len)
        if stop - start < min_len:
            continue
        pause_db = frame_db[start:stop]
        live = ~zero[start:stop] & (pause_db > DB_FLOOR)
        if live.mean() < 1.0 - MAX_ZERO_FRACTION:
            continue
        # Robust (Theil-Sen) line through the pause's frame powers: a dip right after the offset or a
        # breath before the next phrase are outliers to it, a gain ramp over the pause is not.
        t = np.flatnonzero(live)[::STRIDE].astype(np.float64)
        y = pause_db[t.astype(int)]
        if t.size < 3:
            continue
        i, j = np.triu_indices(t.size, 1)
        slope = float(np.median((y[j] - y[i]) / (t[j] - t[i])))
        rises.append(slope * (stop - start))
    return np.asarray(rises, dtype=np.float64)


def measure_agc(samples: np.ndarray, *, sample_rate: int, activity: SpeechActivity) -> dict:
    """Measure AGC pumping: how much the noise floor rises through the pauses.

    Parameters
    ----------
    samples : np.ndarray
        Mono float32 samples, full scale 1.0 (only validated: the activity's frame powers are used).
    sample_rate : int
        Native rate in Hz.
    activity : SpeechActivity
        The clip's speech activity.

    Returns
    -------
    dict
        ``agc_pumping_db`` : float or None
            Median over the pauses after speech of the floor rise from the first to the last third
            of the pause (up to its first 2 s), in dB. About 0 for natural recordings (negative while
            reverberation dies away); an AGC that recovers 10 dB of gain per pause reads about 10.
            None when the clip has no usable pause (0.3 s or longer, after speech, not digital
            silence).
        ``agc_pauses`` : int
            Number of pauses the value rests on.

    Examples
    --------
    >>> sr = 16000
    >>> x = np.zeros(sr, dtype=np.float32)
    >>> from voxaudit.signal.activity import speech_activity
    >>> measure_agc(x, sample_rate=sr, activity=speech_activity(x, sample_rate=sr))
    {'agc_pumping_db': None, 'agc_pauses': 0}
    """
    _check(samples, sample_rate)
    rises = pause_floor_rises_db(activity)
    value: Optional[float] = None
    if rises.size:
        median = float(np.median(rises))
        if np.isfinite(median):
            value = round(median, 2)
    return {"agc_pumping_db": value, "agc_pauses": int(rises.size)}
