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

Because of that, a clip without pauses also gets a second blind estimate that needs no speech model:
minimum statistics (after Martin 2001, in its simplest form). Speech leaves every band now and then,
even without a pause (between syllables, in closures; low bands during fricatives, high bands during
vowels), so in each third-octave band the quietest frames of the clip sit on the noise: the 5th
percentile of the band's power over the live frames, divided by the 5th percentile of a noise band's
power over its mean (a gamma distribution whose shape is the band's width in effective FFT bins), is
the band's noise power. Speech in those frames can only raise it, so the SNR it gives is close to a
lower bound. ``snr_db`` takes the higher of the two blind estimates (each errs low), and
``snr_method`` says which. Measured on clean sentences of aishell1, ljspeech and LibriSpeech
test-other trimmed to 50 ms of silence at each end: minimum statistics 25-65 dB (median 34) where WADA
reads aishell1 at 2-16 dB; with pink noise at 12 dB 11-14 dB, white noise at 15 dB 14-17 dB. A blind
reading is judged ``low_snr`` error only where the two agree (``config.BLIND_SNR_AGREEMENT_DB``), else
at most a warning.

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
# Minimum statistics: the percentile of a band's power over the live frames taken as its noise. A noise
# band's power over frames is close to gamma distributed with a shape equal to the band's FFT bins
# (checked on 60 s of white noise: that percentile within -1.5..+0.3 dB of the model for 1-42 bins), so
# the percentile is debiased by the model's. Bands narrower than MINIMA_MIN_BINS (100-200 Hz, where F0
# sits and the debiasing is 9-13 dB) are left out.
MINIMA_PERCENTILE = 5.0
MINIMA_MIN_BINS = 3


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


def minima_snr(samples: np.ndarray, *, sample_rate: int, activity: SpeechActivity) -> float | None:
    """Blind SNR (dB) from minimum statistics per third-octave band (close to a lower bound; see the
    module notes), over the bands from 200 Hz up; None with fewer than 20 live frames."""
    from scipy.special import gammaincinv

    from .denoise import DEAD_DB, band_analysis

    analysis = band_analysis(samples, sample_rate=sample_rate, activity=activity)
    band_db = analysis.band_db
    live = band_db.max(axis=1) > DEAD_DB + 1.0 if band_db.shape[1] else np.zeros(0, bool)
    if band_db.shape[1] == 0 or live.sum() < 20:
        return None
    wide = analysis.band_bins >= MINIMA_MIN_BINS
    if not wide.any():
        return None
    power = 10.0 ** (band_db[live][:, wide] / 10.0)
    # Debias each band's low percentile by that percentile of a noise band's power over its mean.
    shape = analysis.band_bins[wide]
    ratio = gammaincinv(shape, MINIMA_PERCENTILE / 100.0) / shape
    noise = float(np.sum(np.percentile(power, MINIMA_PERCENTILE, axis=0) / ratio))
    total = float(np.mean(np.sum(power, axis=1)))
    if not total > 0:
        return None
    if not noise > 0:
        return SNR_MAX_DB
    net = total - noise
    snr = 10.0 * np.log10(net / noise) if net > 0 else SNR_MIN_DB
    return float(np.clip(snr, SNR_MIN_DB, SNR_MAX_DB))


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
            ``"pauses"`` (noise measured in at least 0.3 s of live pauses), or for a clip without such
            pauses the higher of two blind estimates: ``"wada"`` (WADA-SNR over the speech regions) or
            ``"minima"`` (minimum statistics per frequency bin); None when ``snr_db`` is None.
        ``snr_wada_db`` : float or None
            The blind WADA-SNR of the speech regions, whatever method ``snr_db`` used: a pause SNR far
            above it hints that the pauses were gated or denoised.
        ``snr_minima_db`` : float or None
            The minimum-statistics SNR (close to a lower bound); measured only for clips without usable
            pauses.
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
    out = {"snr_db": None, "snr_method": None, "snr_wada_db": None, "snr_minima_db": None,
           "noise_floor_dbfs": None}
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
    else:
        minima = minima_snr(x, sample_rate=sample_rate, activity=activity)
        out["snr_minima_db"] = None if minima is None else round(minima, 3)
        # Both blind estimates err low: keep the higher.
        candidates = [(v, name) for v, name in ((wada, "wada"), (minima, "minima")) if v is not None]
        if candidates:
            snr, method = max(candidates)
            # At the top of the range the noise is below what can be seen: no floor to report.
            floor = _db(speech_power / (1.0 + 10.0 ** (snr / 10.0))) if snr < SNR_MAX_DB else None
            out.update(snr_db=snr, snr_method=method, noise_floor_dbfs=floor)
    return out
