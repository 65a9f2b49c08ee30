"""Plosive pops: short bursts of strong low-frequency energy from breath hitting the microphone.

A pop ("p-pop", also a breath blast or a knock on the stand) is a single large pressure excursion of a
few tens of milliseconds whose energy lies below about 150 Hz. Voiced speech also has energy there (the
fundamental of a low voice), but as a steady part of a harmonic spectrum whose 150-900 Hz band is
stronger. A pop is therefore found where, in 40 ms frames at 10 ms hops,

* the 20-150 Hz energy stands at least ``POP_EXCESS_DB`` above its median over the clip's speech
  frames, and
* it exceeds the 150-900 Hz energy of the same frame by at least ``POP_DOMINANCE_DB``, and
* it is loud in absolute terms: at most ``POP_BELOW_SPEECH_DB`` under the clip's median 150-900 Hz
  speech energy (a bump far under the voice is inaudible),

for at most ``MAX_POP_S``; runs closer than ``MERGE_GAP_S`` are one pop. Longer low-frequency events are
rumble, wind or handling noise, not pops. The analysis runs on a 2 kHz copy of the clip, so it costs the
same at every sample rate.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from .activity import SpeechActivity, mask_runs
from .reverb import _check, analysis_signal, stft_power

ANALYSIS_RATE = 2000
FRAME_S = 0.040
HOP_S = 0.010
LF_BAND_HZ = (20.0, 150.0)
MID_BAND_HZ = (150.0, 900.0)
POP_EXCESS_DB = 15.0
POP_DOMINANCE_DB = 8.0
POP_BELOW_SPEECH_DB = 20.0
MAX_POP_S = 0.30
MERGE_GAP_S = 0.05
_DB_EPS = 1e-20


def _speech_on_grid(activity: SpeechActivity, n_frames: int, hop_s: float, frame_s: float) -> np.ndarray:
    """The activity's speech mask resampled onto another frame grid by frame centres."""
    speech = np.asarray(activity.speech, dtype=bool)
    if speech.size == 0:
        return np.zeros(n_frames, dtype=bool)
    centres = np.arange(n_frames) * hop_s + frame_s / 2.0
    index = np.floor((centres - activity.frame_s / 2.0) / activity.hop_s + 0.5).astype(int)
    return speech[np.clip(index, 0, speech.size - 1)]


def low_band_levels_db(samples: np.ndarray, *, sample_rate: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-frame 20-150 Hz and 150-900 Hz energies in dB, and the frame hop in seconds.

    Returns
    -------
    (np.ndarray, np.ndarray, float)
        Low-band level, mid-band level (dB, relative, same scale for both) and hop in seconds.
    """
    x, rate = analysis_signal(samples, sample_rate=sample_rate, max_rate=ANALYSIS_RATE)
    # Remove the DC offset, which would otherwise leak into the lowest bins.
    x = x - np.float32(x.mean()) if x.size else x
    n = max(2, int(round(FRAME_S * rate)))
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    low = (freqs >= LF_BAND_HZ[0]) & (freqs <= LF_BAND_HZ[1])
    mid = (freqs > MID_BAND_HZ[0]) & (freqs <= min(MID_BAND_HZ[1], 0.45 * rate))
    lows, mids = [], []
    for _, power in stft_power(x, sample_rate=rate, frame_s=FRAME_S, hop_s=HOP_S):
        lows.append(power[:, low].sum(axis=1))
        mids.append(power[:, mid].sum(axis=1))
    lf = 10.0 * np.log10(np.concatenate(lows).astype(np.float64) + _DB_EPS)
    mf = 10.0 * np.log10(np.concatenate(mids).astype(np.float64) + _DB_EPS)
    return lf, mf, max(1, int(round(HOP_S * rate))) / rate


def measure_plosives(samples: np.ndarray, *, sample_rate: int, activity: SpeechActivity) -> dict:
    """Count plosive pops and say how far the worst one stands out.

    Parameters
    ----------
    samples : np.ndarray
        Mono float32 samples, full scale 1.0.
    sample_rate : int
        Native rate in Hz (any rate of 2 kHz or more; analysed at 2 kHz).
    activity : SpeechActivity
        The clip's speech activity; its speech frames give the reference low-frequency level.

    Returns
    -------
    dict
        ``plosive_count`` : int or None
            Number of pops (short bursts dominated by 20-150 Hz energy well above the speech's own
            low-frequency level). None when the clip has no speech to compare with.
        ``plosive_max_db`` : float or None
            How far the worst pop's 20-150 Hz energy stands above the median 20-150 Hz energy of the
            speech frames, in dB; None when there is no pop (or no speech).

    Examples
    --------
    >>> sr = 16000
    >>> x = np.zeros(sr, dtype=np.float32)
    >>> from voxaudit.signal.activity import speech_activity
    >>> measure_plosives(x, sample_rate=sr, activity=speech_activity(x, sample_rate=sr))
    {'plosive_count': None, 'plosive_max_db': None}
    """
    _check(samples, sample_rate)
    empty = {"plosive_count": None, "plosive_max_db": None}
    if not np.any(activity.speech):
        return empty
    lf, mf, hop_s = low_band_levels_db(samples, sample_rate=sample_rate)
    speech = _speech_on_grid(activity, lf.size, hop_s, FRAME_S)
    if not speech.any():
        return empty

    # Reference levels over the speech frames.
    lf_ref = float(np.median(lf[speech]))
    mid_ref = float(np.median(mf[speech]))
    excess = lf - lf_ref
    candidate = ((excess >= POP_EXCESS_DB) & (lf - mf >= POP_DOMINANCE_DB)
                 & (lf >= mid_ref - POP_BELOW_SPEECH_DB))

    # Join runs split by a short gap, then keep the short ones.
    gap = int(round(MERGE_GAP_S / hop_s))
    for start, stop in mask_runs(~candidate):
        if start > 0 and stop < candidate.size and stop - start <= gap:
            candidate[start:stop] = True
    # A 40 ms frame smears an event over about three extra hops.
    max_frames = int(round(MAX_POP_S / hop_s)) + int(round(FRAME_S / hop_s))
    peaks = [float(excess[a:b].max()) for a, b in mask_runs(candidate) if b - a <= max_frames]
    worst: Optional[float] = round(max(peaks), 2) if peaks else None
    return {"plosive_count": len(peaks), "plosive_max_db": worst}
