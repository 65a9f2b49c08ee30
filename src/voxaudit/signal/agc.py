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

A fast AGC (a phone's, or a compressor with make-up gain) has recovered before the analysed part of a
pause starts, so the rise misses it; its other trace is the *gain dip*: while the talker speaks loudly
the gain is down, so the bands the voice leaves empty sit *below* the noise floor of the pauses. In a
natural recording adding a voice can only add power: the emptiest bands of a loud frame sit on or above
the pause floor. ``agc_gain_dip_db`` is how far below (where the speech activity finds no pause, as
when an AGC lifts loud noise to within a few dB of the voice, the quietest frames stand in for the
pauses: ``QUIET_PERCENTILE``): on the third-octave bands of
:func:`voxaudit.signal.denoise.band_analysis`, per frame the 20th percentile over the bands of (band
level - the band's median level in the pauses at least 100 ms from speech), median over the loudest 30 %
of the speech frames, subtracted from the same statistic over those pause frames (about -1.9 dB: a
frame's emptiest bands fluctuate below their median). Measured on the 339 real clips: at most -2.1 dB
(noisy takes at 18 dB SNR as well; clean speech far lower); through a fast or slow compressor with
make-up gain (pedalboard, ``tests/degradations.py``) 0.9-6.8 dB. ``agc_score`` maps both signs onto
0..1 so that 0.5 (warning) and 0.75 (error) mean a rise of 6 and 10 dB or a dip of 0.5 and 2.5 dB; a
rise read in a single pause stays under the warning (``SINGLE_PAUSE_CAP``).

A slow-release AGC on a clip with short pauses leaves neither sign clearly (the gain has not recovered
within 0.1-0.2 s pauses), but the noise it pumps still stands *louder in the pauses than under the
words*: ``floor_modulation_db`` of :mod:`voxaudit.signal.denoise` (floor under speech minus floor in the
pauses) turns negative. Natural clips read that too when the pauses are near-silent and a breath or a
room sets their floor, so this third sign counts only where the noise is loud (``snr_db`` at most
``LOUD_NOISE_SNR_DB``): :func:`combine_pause_floor` adds it to ``agc_score`` once both measures ran.
Measured (the 339 clips, the degradation corpus and held-out noise): the AGC chains -2.5 to -9.8 dB;
real clips at or under 20 dB SNR at least -2.6 dB (VoxCeleb interviews); stationary noise at 8-20 dB
SNR -1.2 to +0.4 dB; babble of six real talkers at 8-20 dB -3.2 dB at the lowest (at 21 dB SNR) and
-2.75 dB at or under 20 dB. Warning at -3.5 dB, error at -6.5 dB.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from .activity import DB_FLOOR, SpeechActivity, dilate, mask_runs
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
# Gain dip: the loud speech frames are those at or above this percentile of the speech frames' level;
# a frame's "emptiest bands" are this percentile over its bands; pause frames this close to speech
# (in 16 ms frames of the band analysis: 96 ms) are left out of the floor; and at least this many
# frames of each kind are needed.
LOUD_PERCENTILE = 70.0
EMPTY_BAND_PERCENTILE = 20.0
DIP_GUARD_FRAMES = 6
MIN_DIP_FRAMES = 10
# Where the speech activity leaves too few pause frames, the quietest frames (this percentile of the live
# frames' level) stand in for the pauses: adding a voice can still only add power. Measured with that
# reference on every clip: the 339 real clips at most -6.0 dB, GPT-SoVITS-like slices of clean aishell1
# at most -13.5, takes with pink/white/babble noise at 5-12 dB SNR (trimmed or not) at most -1.1; AGC
# chains on noise at 12 dB SNR (no pause left to the speech activity) -6.3 to +5.7, above 0.5 in 10 of 22.
QUIET_PERCENTILE = 15.0
# Score mapping (see the module notes): value at score 0.5 and the change that adds 0.25.
SCORE_RISE_DB, SCORE_RISE_STEP_DB = 6.0, 4.0
# An AGC pumps in every pause; a rise read in a single pause can be a breath smeared by a room (a clean
# VCTK take in a synthetic 0.3 s room read +8.1 dB in its one usable pause, where a breath swells), so
# with fewer than MIN_RISE_PAUSES pauses the rise stays under the warning (score at most
# SINGLE_PAUSE_CAP). No AGC chain of tests/degradations.py is caught by the rise of a single pause.
MIN_RISE_PAUSES = 2
# Third sign: the pause floor above the floor under speech (dB, -floor_modulation_db), judged only when
# the noise is within LOUD_NOISE_SNR_DB of the speech; value at score 0.5 and the change that adds 0.25
# (see the module notes for the measured ranges; fitted on the same corpus).
LOUD_NOISE_SNR_DB = 20.0
SCORE_PAUSE_EXCESS_DB, SCORE_PAUSE_EXCESS_STEP_DB = 3.5, 3.0
SINGLE_PAUSE_CAP = 0.45
SCORE_DIP_DB, SCORE_DIP_STEP_DB = 0.5, 2.0


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


def gain_dip_db(samples: np.ndarray, *, sample_rate: int, activity: SpeechActivity) -> Optional[float]:
    """How far (dB) the emptiest bands of loud speech frames sit below the pause floor, relative to the
    pauses' own reading; see the module notes. Without enough pause frames the quietest frames
    (``QUIET_PERCENTILE``) are the reference. None for a clip too short for either."""
    from .denoise import DEAD_DB, band_analysis

    analysis = band_analysis(samples, sample_rate=sample_rate, activity=activity)
    band_db, speech = analysis.band_db, analysis.speech
    if band_db.shape[1] < 3:
        return None
    live = band_db.max(axis=1) > DEAD_DB + 1.0
    pause = ~speech & live
    core = pause & ~dilate(speech, DIP_GUARD_FRAMES)
    if core.sum() < MIN_DIP_FRAMES:
        core = pause
    level = 10.0 * np.log10(np.sum(10.0 ** (band_db / 10.0), axis=1))
    if core.sum() < MIN_DIP_FRAMES:
        # No pause to read the floor in (pumped noise close to the voice leaves the speech activity none):
        # the quietest frames stand in for it (see QUIET_PERCENTILE).
        if live.sum() < 2 * MIN_DIP_FRAMES:
            return None
        core = live & (level <= np.percentile(level[live], QUIET_PERCENTILE))
        speech = live & ~core
    if core.sum() < MIN_DIP_FRAMES or speech.sum() < MIN_DIP_FRAMES:
        return None
    floor = np.median(band_db[core], axis=0)
    empty = np.percentile(band_db - floor, EMPTY_BAND_PERCENTILE, axis=1)
    loud = speech & (level >= np.percentile(level[speech], LOUD_PERCENTILE))
    value = float(np.median(empty[core]) - np.median(empty[loud]))
    return round(value, 2) if np.isfinite(value) else None


def agc_score(rise_db: Optional[float], dip_db: Optional[float], pauses: int = MIN_RISE_PAUSES,
              pause_excess_db: Optional[float] = None) -> Optional[float]:
    """0..1 from the pause rise (over ``pauses`` pauses), the gain dip and the pause floor's excess over
    the floor under speech (already limited to loud noise, see :func:`combine_pause_floor`; ``SCORE_*``
    and ``SINGLE_PAUSE_CAP``); None when none was measured."""
    parts = []
    if pause_excess_db is not None:
        parts.append(0.5 + 0.25 * (pause_excess_db - SCORE_PAUSE_EXCESS_DB) / SCORE_PAUSE_EXCESS_STEP_DB)
    if rise_db is not None:
        part = 0.5 + 0.25 * (rise_db - SCORE_RISE_DB) / SCORE_RISE_STEP_DB
        parts.append(part if pauses >= MIN_RISE_PAUSES else min(part, SINGLE_PAUSE_CAP))
    if dip_db is not None:
        parts.append(0.5 + 0.25 * (dip_db - SCORE_DIP_DB) / SCORE_DIP_STEP_DB)
    if not parts:
        return None
    return round(float(np.clip(max(parts), 0.0, 1.0)), 3)


def measure_agc(samples: np.ndarray, *, sample_rate: int, activity: SpeechActivity) -> dict:
    """Measure AGC pumping: how much the noise floor rises through the pauses, and how far the gain
    dips under loud speech.

    Parameters
    ----------
    samples : np.ndarray
        Mono float32 samples, full scale 1.0.
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
        ``agc_gain_dip_db`` : float or None
            How far the emptiest bands of loud speech sit below the pause floor, in dB: at most about
            -2 in natural recordings, above 0 where a gain control turns the level down under speech.
            Without enough pause frames the quietest 15 % of the frames stand in for the pauses; None
            for a clip too short for that.
        ``agc_score`` : float or None
            0..1, the stronger of the two signs (0.5: a rise of 6 dB over at least two pauses, or a
            dip of 0.5 dB).

    Examples
    --------
    >>> sr = 16000
    >>> x = np.zeros(sr, dtype=np.float32)
    >>> from voxaudit.signal.activity import speech_activity
    >>> measure_agc(x, sample_rate=sr, activity=speech_activity(x, sample_rate=sr))
    {'agc_pumping_db': None, 'agc_pauses': 0, 'agc_gain_dip_db': None, 'agc_score': None}
    """
    _check(samples, sample_rate)
    rises = pause_floor_rises_db(activity)
    value: Optional[float] = None
    if rises.size:
        median = float(np.median(rises))
        if np.isfinite(median):
            value = round(median, 2)
    dip = gain_dip_db(samples, sample_rate=sample_rate, activity=activity)
    return {"agc_pumping_db": value, "agc_pauses": int(rises.size), "agc_gain_dip_db": dip,
            "agc_score": agc_score(value, dip, int(rises.size))}


def pause_floor_excess_db(floor_modulation_db: Optional[float], snr_db: Optional[float]) -> Optional[float]:
    """How far (dB) the pause floor stands above the floor under speech, where the noise is loud
    (``snr_db`` at most ``LOUD_NOISE_SNR_DB``); None otherwise or when either is unmeasured."""
    if floor_modulation_db is None or snr_db is None or not np.isfinite(floor_modulation_db):
        return None
    if snr_db > LOUD_NOISE_SNR_DB:
        return None
    return round(-float(floor_modulation_db), 2)


def combine_pause_floor(metrics: dict) -> dict:
    """Add the third AGC sign to ``metrics`` (which must hold the AGC, denoise and noise measures):
    ``agc_pause_excess_db`` and the ``agc_score`` over all three signs. Returns the updated keys."""
    excess = pause_floor_excess_db(metrics.get("floor_modulation_db"), metrics.get("snr_db"))
    return {"agc_pause_excess_db": excess,
            "agc_score": agc_score(metrics.get("agc_pumping_db"), metrics.get("agc_gain_dip_db"),
                                   int(metrics.get("agc_pauses") or 0), excess)}
