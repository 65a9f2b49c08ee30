"""Automatic gain control (AGC) "pumping": a noise floor that swells in the pauses.

An AGC (phone and laptop microphones, video-call software, some USB interfaces) lowers its gain while
the talker speaks and raises it again when speech stops, so the background noise grows through every
pause and drops back at the next onset. A natural recording has a flat floor in its pauses, or one that
falls while a room's reverberation dies away.

For every pause that follows speech (between phrases, and the trailing one) a straight line is fitted to
the activity's frame powers (dB) over the pause, leaving out its first 50 ms (the end of the decay) and
its last 150 ms (a breath or a soft onset before the next phrase), and using at most the first 2 s. A
pause whose frames scatter more than ``MAX_RESIDUAL_DB`` around the line holds events (breaths, clicks,
noises), not a floor, and is skipped. The rise of the line over the analysed part is the pause's value;
the clip's value is the median over its pauses.

Measured: an AGC that recovers 12 dB at 12 dB/s over 1 s pauses reads about 8 dB (the analysed part of
a 1 s pause is about 0.7 s); the same clip without AGC reads 0 +- 0.3 dB. Real recordings in
``shared/speech`` read -9 to +5 dB (the highest: breath-filled pauses in studio speech).
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from .activity import DB_FLOOR, SpeechActivity, mask_runs
from .reverb import _check

# Parts of a pause left out of the fit: the end of the speech's decay, and a breath or soft onset
# before the next phrase (at the clip's end: a word or breath cut off).
SKIP_START_S = 0.05
SKIP_END_S = 0.15
# The analysed part of a pause must last this long ...
MIN_ANALYSED_S = 0.30
# ... and only the start of a long pause is used: AGC gain settles within a second or two.
MAX_PAUSE_S = 2.0
# Standard deviation (dB) of the frame powers around the fitted line above which the pause holds
# events rather than a noise floor.
MAX_RESIDUAL_DB = 3.0
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
        One value per usable pause: the rise, in dB, of a line fitted to the frame powers over the
        analysed part of the pause (positive: the floor grows).
    """
    frame_db = np.asarray(activity.frame_db, dtype=np.float64)
    speech = np.asarray(activity.speech, dtype=bool)
    zero = np.asarray(activity.digital_zero, dtype=bool)
    hop = float(activity.hop_s)
    skip_start = int(round(SKIP_START_S / hop))
    skip_end = int(round(SKIP_END_S / hop))
    min_len = max(3, int(round(MIN_ANALYSED_S / hop)))
    max_len = int(round(MAX_PAUSE_S / hop))
    rises = []
    # One pass over the pauses (a few dozen per clip).
    for start, stop in mask_runs(~speech):
        if start == 0:
            continue  # a leading pause follows no speech
        first = start + skip_start
        last = min(stop - skip_end, start + max_len)
        if last - first < min_len:
            continue
        pause_db = frame_db[first:last]
        live = ~zero[first:last] & (pause_db > DB_FLOOR)
        if live.mean() < 1.0 - MAX_ZERO_FRACTION:
            continue
        # Least-squares line through the live frames.
        t = np.flatnonzero(live) * hop
        y = pause_db[live]
        t_centred = t - t.mean()
        slope = float(np.dot(t_centred, y - y.mean()) / np.dot(t_centred, t_centred))
        residual = y - y.mean() - slope * t_centred
        if float(np.std(residual)) > MAX_RESIDUAL_DB:
            continue
        rises.append(slope * (last - first) * hop)
    return np.asarray(rises, dtype=np.float64)


def measure_agc(samples: np.ndarray, *, sample_rate: int, activity: SpeechActivity) -> dict:
    """Measure AGC pumping: how much the noise floor rises through the pauses.

    Parameters
    ----------
    samples : np.ndarray
        Mono float32 samples, full scale 1.0 (validated only: the activity's frame powers are used).
    sample_rate : int
        Native rate in Hz.
    activity : SpeechActivity
        The clip's speech activity.

    Returns
    -------
    dict
        ``agc_pumping_db`` : float or None
            Median over the pauses of the noise-floor rise through the pause, in dB (see the module
            notes for what is analysed). About 0 for natural recordings (negative while
            reverberation dies away); an AGC recovering 12 dB per second of pause reads about 8 on
            1 s pauses. None when the clip has no usable pause (about 0.5 s or longer, after speech,
            holding a steady floor rather than breaths or digital silence).
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
