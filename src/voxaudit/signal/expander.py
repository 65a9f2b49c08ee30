"""A downward expander (a noise gate with a gentle ratio): the noise floor under speech stands above the
floor in the pauses, by the same amount in every band.

An expander lowers its gain whenever the input falls under its threshold: in every pause the noise is
turned down by the expander's range (10-40 dB), and under speech, where the gain is back at 1, the
noise is left as it was. The pauses are not silenced, their noise stays Gaussian, and a smooth release
enters them as gently as a room's tail does, so neither the digital silence nor the steepness of the
fall into the pauses (``signal/denoise.py``) shows it. What does:

* the *floor under loud speech*: in each third-octave band from ``STEP_LOW_HZ`` up, a low percentile
  (``SPEECH_FLOOR_PERCENTILE``) of the band level over the loud speech frames (the louder half, where
  the gain is surely back at 1). In the bands the voice leaves empty now and then, this is the noise
  that lies under the words;
* the *floor in the pause cores*: the band's median level over the pause frames at least
  ``CORE_AFTER_FRAMES`` after speech ends (past the release and the first 10-20 dB of a room's tail)
  and ``CORE_BEFORE_FRAMES`` before it starts again (the attack and the speech mask's hangover);
* ``floor_step_db``: the first minus the second, median over the half of the bands where it is
  smallest (the bands where the floor under speech is noise, not voice). A natural recording has the
  same noise under its words as in its pauses: 0 dB;
* ``speech_floor_spread_db``: whether the floor under speech *is* a steady noise floor: the spread
  (``SPREAD_PERCENTILES``) of those bands' level over the loud frames. Stationary noise fluctuates
  little (1.5-4 dB: the noisy takes and the expanders of ``tests/degradations.py``); where the voice
  itself fills the band (clean speech) or a reverberant tail does (a room), the low percentiles follow
  the speech and spread over 5.6-25 dB. Only a steady floor (spread at most ``STEADY_SPREAD_DB``) lets
  the step count as an expander's.

Measured (``scripts/eval_degradations.py``; the corpus is 11 noisy takes at 18 dB SNR): pedalboard
``NoiseGate`` ratio 2.5 (threshold 20 dB over the noise) 12.7-16.7 dB, ratio 4 26.7-33.3 dB, spread
1.4-4.0 dB; the noisy takes themselves -1.5 to -0.3 dB (spread 1.6-4.2). Against the attenuation of the
pauses measured directly (the same gate on other noises at 12 and 25 dB SNR) the step is within about
2 dB. Over the 339 real clips
of ``../shared/speech``, the clips whose floor under speech is steady (spread <= 5 dB: voxceleb1
and one LibriSpeech clip) read at most 1.4 dB, except ``ls3080`` (LibriSpeech test-other,
3080-5032-0003: 8.5 dB at a spread of 3.4), a reader whose floor fades by about 10 dB over the first
0.6-0.8 s of every pause (``3080-5032-0008``: -63 to -73 dBFS in the 2.3-5.7 kHz bands, then flat),
which is what a slow-release expander does and natural noise does not; clips with a larger step all
have a speech-driven floor (spread 5.6 dB and more). Rooms of RT60 0.3-1.2 s built from the clean
takes read up to 33 dB, at spreads of 5.6-23 dB.

Known limit: the floor under speech needs bands that the voice leaves to the noise in some of its loud
frames; an expander on a recording whose noise is far under the voice (SNR over about 35 dB) leaves
too little noise under speech to read, and its step goes unjudged (it also does the least harm).
"""

from __future__ import annotations

from typing import Optional

import numpy as np

# Bands from this frequency up enter the comparison: below 1 kHz a third-octave band holds one to six
# FFT bins of 31 Hz (a wide chi-square spread even for pure noise) and, under loud speech, mostly voice.
STEP_LOW_HZ = 1000.0
# Loud speech frames: at or above this percentile of the speech frames' broadband level.
LOUD_PERCENTILE = 50.0
# The floor under loud speech: this low percentile of a band's level over the loud frames.
SPEECH_FLOOR_PERCENTILE = 10.0
# Pause cores: frames (16 ms hop) at least this many after the end of speech (144 ms) and at least this
# many before its next start (64 ms).
CORE_AFTER_FRAMES = 9
CORE_BEFORE_FRAMES = 4
# The share of the bands (those with the smallest step) that the clip's value is taken over.
NOISE_BAND_SHARE = 0.5
# Spread of a band's level over the loud frames: between these percentiles (dB).
SPREAD_PERCENTILES = (5.0, 30.0)
# A floor under speech that spreads at most this much is a steady noise floor (see the module notes:
# noise 1.5-4.2 dB, voice or reverberant tails 5.6 dB and more).
STEADY_SPREAD_DB = 5.0
# The fewest loud frames, pause-core frames and bands the value rests on.
MIN_FRAMES = 10
MIN_BANDS = 3


def _after(mask: np.ndarray, frames: int) -> np.ndarray:
    """True where ``mask`` was True within the last ``frames`` frames (the frame itself included)."""
    out = mask.copy()
    for shift in range(1, min(frames, mask.size - 1) + 1):
        out[shift:] |= mask[:-shift]
    return out


def floor_step_db(band_db: np.ndarray, speech: np.ndarray, band_low_hz: np.ndarray, *,
                  dead_db: float) -> tuple[Optional[float], Optional[float]]:
    """How far the steady noise floor under loud speech stands above the floor in the pause cores.

    Parameters
    ----------
    band_db : np.ndarray
        ``(frames, bands)`` third-octave band levels in dB re full scale on a 16 ms hop (see
        :func:`voxaudit.signal.denoise.band_analysis`).
    speech : np.ndarray (bool)
        The speech mask on the same frames.
    band_low_hz : np.ndarray
        The lower edge of each band (Hz).
    dead_db : float
        The level a dead band (exact zero) reads; frames where every band is dead are left out.

    Returns
    -------
    (float or None, float or None)
        ``floor_step_db``: the step in dB (about 0 for natural recordings, the expander's range for an
        expanded one); ``speech_floor_spread_db``: the spread of the floor under loud speech in dB
        (under ``STEADY_SPREAD_DB``: a steady noise floor). Both None without enough loud frames,
        pause-core frames or bands.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> speech = np.tile(np.repeat([True, False], 40), 10)
    >>> noise = -60.0 + rng.normal(0.0, 1.0, (speech.size, 12))
    >>> level = np.where(speech[:, None], noise, noise - 20.0)  # pauses turned down 20 dB
    >>> step, spread = floor_step_db(level, speech, np.geomspace(1000, 7000, 12), dead_db=-150.0)
    >>> round(step), spread < 5.0
    (19, True)
    """
    band_db = np.asarray(band_db, dtype=np.float64)
    speech = np.asarray(speech, dtype=bool)
    bands = np.asarray(band_low_hz, dtype=np.float64) >= STEP_LOW_HZ
    if band_db.ndim != 2 or band_db.shape[0] != speech.size or bands.sum() < MIN_BANDS:
        return None, None
    live = band_db.max(axis=1) > dead_db + 1.0
    talk = speech & live
    if talk.sum() < 2 * MIN_FRAMES:
        return None, None
    level = 10.0 * np.log10(np.sum(10.0 ** (band_db / 10.0), axis=1))
    loud = talk & (level >= np.percentile(level[talk], LOUD_PERCENTILE))
    core = live & ~_after(speech, CORE_AFTER_FRAMES) & ~_after(speech[::-1], CORE_BEFORE_FRAMES)[::-1]
    if loud.sum() < MIN_FRAMES or core.sum() < MIN_FRAMES:
        return None, None
    under = band_db[loud][:, bands]
    floor_under = np.percentile(under, SPEECH_FLOOR_PERCENTILE, axis=0)
    floor_pause = np.median(band_db[core][:, bands], axis=0)
    step = floor_under - floor_pause
    # The bands where the floor under speech is noise: the half with the smallest step.
    noise_bands = step <= np.quantile(step, NOISE_BAND_SHARE)
    low, high = np.percentile(under[:, noise_bands], SPREAD_PERCENTILES, axis=0)
    return (round(float(np.median(step[noise_bands])), 2), round(float(np.median(high - low)), 2))

