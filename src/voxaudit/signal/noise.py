"""Noise: signal-to-noise ratio and noise floor.

SNR is speech power over noise power, where the noise is measured in the **pauses** (frames nobody
speaks in) and the speech power is the mean power of the speech frames with that noise power
subtracted. It is *not* the power of the non-silent parts over the silent parts of a silence-trimmed
clip. Where no usable pause exists (less than ``MIN_PAUSE_TOTAL_S`` of live non-speech, e.g. continuous
speech, or pauses gated to exact digital zero) a blind estimate is used instead: WADA-SNR (Kim & Stern,
"Robust signal-to-noise ratio estimation based on waveform amplitude distribution analysis",
Interspeech 2008), which models clean speech amplitudes as gamma distributed and noise as Gaussian and
reads the SNR off the statistic ``G = log(mean|x|) - mean(log|x|)`` through a table of ``G`` against SNR
built for that model.

One deliberate departure from the paper: its shape parameter 0.4 was fitted to whole utterances, pauses
included. Here WADA only ever sees speech regions (the fallback runs precisely when there are no usable
pauses), and on active speech of five real corpora (VCTK, LJSpeech, LibriSpeech clean and other, VCTK
48 kHz) the fitted shape has a median of 0.6, so the table is built for shape 0.6 the paper's way. Blind
estimates are only as good as that model: expect about +-3 dB at 5-20 dB SNR and a spread growing to
10 dB or more above 25 dB, where ``G`` saturates. Speakers/corpora whose active-speech amplitudes are
near-Gaussian (AISHELL-1 read Mandarin, shape ~0.85) read 5-10 dB too low.

Everything is measured on the 70 Hz high-passed copy the activity frames use: DC and sub-70 Hz rumble
are not counted as noise (mains hum has its own measure in :mod:`voxaudit.signal.spectrum`).
Exact digital zero is never taken for a noise floor: it is a sign of gating, not a quiet room.
"""

from __future__ import annotations

import numpy as np

from .activity import DB_FLOOR, SpeechActivity, check_input, dilate, mask_runs
from .filters import highpass_causal

# SNR readings are clamped to this range (dB). Above ~100 dB the pause noise is at float rounding level
# and the number means "no measurable noise"; below -20 dB the WADA statistic is flat.
SNR_MIN_DB = -20.0
SNR_MAX_DB = 100.0
# Pause method only with at least this much live (non-zero) non-speech, in seconds.
MIN_PAUSE_TOTAL_S = 0.3
# Pause frames this close to speech may still hold decays, reverberation or breaths; they are left out
# when enough farther frames remain.
PAUSE_GUARD_S = 0.1
# The noise floor is the *stationary* background of the pauses: pause frames louder than the 20th
# percentile of the pause frame powers by more than PAUSE_TRIM_DB are breaths, decays or clicks and are
# left out. On stationary noise this keeps almost every frame (20 ms frame powers of wide-band noise
# spread by +-0.3..1.5 dB), so the mean is not biased.
PAUSE_QUANTILE = 20.0
PAUSE_TRIM_DB = 3.0
# WADA statistic G(SNR) for gamma(WADA_SHAPE) speech plus Gaussian noise, SNR = -20 .. 100 dB in 1 dB
# steps, computed by Monte Carlo (8e7 draws, common random numbers); see :func:`wada_statistic`.
# Limits: G -> 0.40939 (Gaussian noise only) and G -> log(0.6) - digamma(0.6) = 1.02979 (clean).
WADA_SNR_DB = np.arange(-20.0, 101.0)
WADA_G = np.array([
    0.40941, 0.40948, 0.40949, 0.40953, 0.40959, 0.40966, 0.40982, 0.41002, 0.41035, 0.41070,
    0.41130, 0.41212, 0.41328, 0.41491, 0.41707, 0.41993, 0.42356, 0.42822, 0.43406, 0.44116,
    0.44970, 0.45964, 0.47107, 0.48390, 0.49824, 0.51381, 0.53049, 0.54817, 0.56669, 0.58572,
    0.60512, 0.62469, 0.64429, 0.66370, 0.68279, 0.70152, 0.71968, 0.73728, 0.75424, 0.77052,
    0.78614, 0.80099, 0.81513, 0.82853, 0.84122, 0.85319, 0.86446, 0.87504, 0.88503, 0.89445,
    0.90325, 0.91149, 0.91923, 0.92650, 0.93329, 0.93965, 0.94561, 0.95120, 0.95642, 0.96130,
    0.96586, 0.97009, 0.97407, 0.97780, 0.98126, 0.98449, 0.98751, 0.99034, 0.99299, 0.99547,
    0.99779, 0.99992, 1.00194, 1.00382, 1.00556, 1.00719, 1.00871, 1.01013, 1.01144, 1.01267,
    1.01382, 1.01490, 1.01591, 1.01685, 1.01773, 1.01855, 1.01932, 1.02002, 1.02067, 1.02130,
    1.02188, 1.02242, 1.02293, 1.02341, 1.02384, 1.02426, 1.02464, 1.02499, 1.02533, 1.02563,
    1.02592, 1.02619, 1.02645, 1.02668, 1.02690, 1.02711, 1.02730, 1.02748, 1.02765, 1.02780,
    1.02795, 1.02808, 1.02821, 1.02833, 1.02844, 1.02854, 1.02864, 1.02873, 1.02881, 1.02889,
    1.02896,
])
# Gamma shape of active-speech amplitudes (the paper: 0.4 for utterances with pauses; see module doc).
WADA_SHAPE = 0.6
# Normalised magnitudes below this are clamped before the log, as in the reference implementation.
WADA_EPS = 1e-10


def wada_statistic(snr_db: float, *, n: int = 1_000_000, seed: int = 0) -> float:
    """Monte Carlo value of the WADA statistic ``G`` for gamma(``WADA_SHAPE``) speech in Gaussian noise.

    This is how ``WADA_G`` was made (with ``n = 8e7``); tests use it to check the table.

    Parameters
    ----------
    snr_db : float
        Speech-to-noise power ratio in dB.
    n : int
        Number of random draws.
    seed : int
        Random seed.

    Returns
    -------
    float
        ``log(E|x|) - E(log|x|)`` for ``x = s + noise``.
    """
    rng = np.random.default_rng(seed)
    s = rng.gamma(WADA_SHAPE, 1.0, n) * rng.choice([-1.0, 1.0], n)
    sigma = np.sqrt(WADA_SHAPE * (WADA_SHAPE + 1.0) / 10.0 ** (snr_db / 10.0))
    a = np.abs(s + sigma * rng.standard_normal(n))
    return float(np.log(a.mean()) - np.log(a).mean())


def wada_snr(samples: np.ndarray) -> float | None:
    """Blind SNR estimate of speech in stationary noise (WADA-SNR, Kim & Stern 2008).

    Parameters
    ----------
    samples : np.ndarray
        Speech samples (DC-free; exact-zero stretches should be removed first).

    Returns
    -------
    float or None
        SNR in dB, clamped to ``[SNR_MIN_DB, SNR_MAX_DB]``; None for silence or an empty input.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> round(wada_snr(rng.standard_normal(100_000)))  # noise only: the bottom of the table
    -20
    """
    x = np.asarray(samples, dtype=np.float32)
    if x.size == 0:
        return None
    peak = float(np.max(np.abs(x)))
    if not np.isfinite(peak) or peak <= 0:
        return None
    a = np.maximum(np.abs(x) / np.float32(peak), np.float32(WADA_EPS))
    g = float(np.log(np.mean(a, dtype=np.float64)) - np.mean(np.log(a), dtype=np.float64))
    snr = float(np.interp(g, WADA_G, WADA_SNR_DB))
    return float(np.clip(snr, SNR_MIN_DB, SNR_MAX_DB))


def _db(power: float) -> float | None:
    if not np.isfinite(power) or power <= 0:
        return None
    return float(max(10.0 * np.log10(power), DB_FLOOR))


def _pause_frames(activity: SpeechActivity) -> np.ndarray:
    """Live pause frames to measure noise on: away from speech when enough of those exist."""
    live_pause = ~activity.speech & ~activity.digital_zero
    min_frames = int(np.ceil(MIN_PAUSE_TOTAL_S / activity.hop_s - 1e-9))
    guard = int(round(PAUSE_GUARD_S / activity.hop_s))
    if guard and activity.speech.any():
        core = live_pause & ~dilate(activity.speech, guard)
        if core.sum() >= min_frames:
            return core
    return live_pause


def stationary_floor_mask(frame_db: np.ndarray) -> np.ndarray:
    """Frames of a pause set that belong to its stationary floor (see ``PAUSE_QUANTILE``)."""
    frame_db = np.asarray(frame_db, dtype=np.float64)
    if frame_db.size == 0:
        return np.zeros(0, dtype=bool)
    return frame_db <= np.percentile(frame_db, PAUSE_QUANTILE) + PAUSE_TRIM_DB


def _robust_mean_power(frame_db: np.ndarray) -> float:
    """Mean linear power of the stationary-floor frames of a pause set."""
    keep = stationary_floor_mask(frame_db)
    return float(np.mean(10.0 ** (frame_db[keep] / 10.0)))


def _speech_samples(x: np.ndarray, activity: SpeechActivity, sample_rate: int) -> np.ndarray:
    """Samples of the speech regions, concatenated."""
    hop = activity.hop_s * sample_rate
    frame = activity.frame_s * sample_rate
    parts = [x[int(round(a * hop)):min(x.size, int(round((b - 1) * hop + frame)))]
             for a, b in mask_runs(activity.speech)]
    return np.concatenate(parts) if parts else x[:0]


def measure_noise(samples: np.ndarray, *, sample_rate: int, activity: SpeechActivity) -> dict:
    """SNR of the speech over the noise in the pauses, and the noise floor.

    Parameters
    ----------
    samples : np.ndarray
        Mono float32 samples, full scale 1.0.
    sample_rate : int
        Sample rate in Hz.
    activity : SpeechActivity
        Speech activity of ``samples``.

    Returns
    -------
    dict
        ``snr_db`` : float or None
            Speech-to-noise power ratio in dB (70 Hz high-passed), clamped to ``[-20, 100]``; 100 means
            "no measurable noise". None when there is no speech.
        ``snr_method`` : str or None
            ``"pauses"`` (noise measured in at least 0.3 s of live pauses) or ``"wada"`` (blind
            WADA-SNR over the speech regions); None when ``snr_db`` is None.
        ``snr_wada_db`` : float or None
            The blind WADA-SNR of the speech regions, whatever method ``snr_db`` used: a pause SNR far
            above it hints that the pauses were gated or denoised.
        ``noise_floor_dbfs`` : float or None
            Noise power in dBFS (mean power; a full-scale sine is -3 dB): measured in the pauses, else
            the WADA noise estimate; None for an all-zero clip.

    Raises
    ------
    ParameterError
        If ``sample_rate`` is not a positive whole number or ``samples`` is not 1-D.

    Examples
    --------
    >>> from voxaudit.signal.activity import speech_activity
    >>> sr = 16000
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(sr) / sr
    >>> x = np.concatenate([np.zeros(sr), 0.1 * np.sin(2 * np.pi * 200 * t), np.zeros(sr)])
    >>> x = (x + 0.001 * rng.standard_normal(x.size)).astype(np.float32)
    >>> m = measure_noise(x, sample_rate=sr, activity=speech_activity(x, sample_rate=sr))
    >>> m["snr_method"], round(m["snr_db"])
    ('pauses', 37)
    """
    x = check_input(samples, sample_rate)
    sample_rate = int(sample_rate)
    out = {"snr_db": None, "snr_method": None, "snr_wada_db": None, "noise_floor_dbfs": None}
    frame_db = np.asarray(activity.frame_db, dtype=np.float64)
    speech = np.asarray(activity.speech, dtype=bool)
    live = ~np.asarray(activity.digital_zero, dtype=bool)
    if x.size == 0 or not live.any():
        return out

    pauses = _pause_frames(activity)
    enough_pause = pauses.sum() * activity.hop_s >= MIN_PAUSE_TOTAL_S - 1e-9
    noise_power = _robust_mean_power(frame_db[pauses]) if pauses.any() else None

    if not speech.any():
        # Nothing but noise (or nothing at all): a floor, no SNR.
        out["noise_floor_dbfs"] = _db(noise_power if noise_power is not None
                                      else float(np.mean(10.0 ** (frame_db[live] / 10.0))))
        return out

    # Blind estimate over the speech regions of the high-passed signal.
    filtered = activity.filtered
    if filtered is None or filtered.size != x.size:
        filtered = highpass_causal(x, sample_rate=sample_rate)
    wada = wada_snr(_speech_samples(filtered, activity, sample_rate))
    out["snr_wada_db"] = wada
    speech_power = float(np.mean(10.0 ** (frame_db[speech] / 10.0)))

    if enough_pause and noise_power is not None and noise_power > 0:
        net = speech_power - noise_power
        snr = 10.0 * np.log10(net / noise_power) if net > 0 else SNR_MIN_DB
        out.update(snr_db=float(np.clip(snr, SNR_MIN_DB, SNR_MAX_DB)), snr_method="pauses",
                   noise_floor_dbfs=_db(noise_power))
    elif wada is not None:
        # At the top of the table the noise is below what WADA can see: no floor to report.
        floor = _db(speech_power / (1.0 + 10.0 ** (wada / 10.0))) if wada < SNR_MAX_DB else None
        out.update(snr_db=wada, snr_method="wada", noise_floor_dbfs=floor)
    return out
