"""Synthetic test signals with known properties (tests only)."""

from __future__ import annotations

import numpy as np
from scipy import signal as sps


def voiced_speech(duration_s: float = 4.0, *, sample_rate: int = 48000, f0_hz: float = 140.0,
                  seed: int = 0, pause_every_s: float | None = 1.2, pause_s: float = 0.35,
                  level_dbfs: float = -20.0, syllable_floor: float = 0.55,
                  fricative_share: float = 1.0) -> np.ndarray:
    """A speech-like signal: a glottal pulse train with vibrato through three formant resonators,
    plus a little aspiration noise, shaped into syllables, with pauses of exact zeros.

    Energy reaches well above 10 kHz (like a full-band microphone); the active-speech RMS is
    ``level_dbfs``. Float32, mono.

    ``syllable_floor`` is the envelope's minimum between syllables (linear, 1.0 = peak) and
    ``fricative_share`` the fraction of syllables that carry the high-band hiss. The defaults (a
    -5 dB dip, hiss everywhere) make a dense, stationary voice that fills every band all the time;
    real speech dips 25-40 dB between syllables and has fricatives only now and then, so the noise
    floor shows through *during* speech. Use :func:`natural_speech` where that matters (the
    denoising measures compare the floor under speech with the floor in the pauses).
    """
    rng = np.random.default_rng(seed)
    n = int(round(duration_s * sample_rate))
    t = np.arange(n) / sample_rate
    f0 = f0_hz * (1 + 0.05 * np.sin(2 * np.pi * 0.7 * t) + 0.02 * np.sin(2 * np.pi * 5.5 * t))
    phase = np.cumsum(f0) / sample_rate
    pulses = np.diff(np.floor(phase), prepend=0.0)
    source = pulses + 0.02 * rng.standard_normal(n)
    # Glottal roll-off, then formants.
    x = sps.lfilter([1.0], [1.0, -0.9], source)
    out = np.zeros(n)
    for fc, bw, gain in ((600, 90, 1.0), (1400, 120, 0.6), (2600, 160, 0.35), (4200, 300, 0.2)):
        r = np.exp(-np.pi * bw / sample_rate)
        theta = 2 * np.pi * fc / sample_rate
        out += gain * sps.lfilter([1 - r], [1, -2 * r * np.cos(theta), r * r], x)
    # Fricative-like high band noise so the spectrum is full band.
    hiss = sps.sosfilt(sps.butter(4, [min(4000, sample_rate * 0.3), sample_rate * 0.45],
                                  btype="bandpass", fs=sample_rate, output="sos"),
                       rng.standard_normal(n))
    syllable = np.floor(t * 4.0).astype(int)  # 4 syllables per second
    if fricative_share < 1.0:
        has_hiss = rng.random(syllable.max() + 1) < fricative_share
        hiss = hiss * has_hiss[syllable]
    out = out / (np.std(out) + 1e-12) + 0.08 * hiss / (np.std(hiss) + 1e-12)
    # Syllable envelope (4 Hz) and pauses.
    env = syllable_floor + (1.0 - syllable_floor) * np.sin(2 * np.pi * 4.0 * t) ** 2
    out *= env
    mask = np.ones(n, dtype=bool)
    if pause_every_s:
        period = pause_every_s + pause_s
        mask = (t % period) < pause_every_s
        fade = int(0.01 * sample_rate)
        ramp = np.convolve(mask.astype(float), np.ones(fade) / fade, "same")
        out *= ramp
    active = np.abs(out) > 0
    rms = np.sqrt(np.mean(out[active] ** 2)) if active.any() else 1.0
    out *= 10 ** (level_dbfs / 20) / rms
    out[~mask] = 0.0
    return out.astype(np.float32)


def natural_speech(duration_s: float = 4.0, *, sample_rate: int = 48000, **kwargs) -> np.ndarray:
    """:func:`voiced_speech` with the dynamics of real speech: syllables that dip 34 dB (envelope
    minimum 0.02) and fricative hiss in a third of them, so the recording's noise floor shows through
    between syllables as it does in real clips."""
    kwargs.setdefault("syllable_floor", 0.02)
    kwargs.setdefault("fricative_share", 0.35)
    return voiced_speech(duration_s, sample_rate=sample_rate, **kwargs)


def white_noise(n: int, *, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n)


def pink_noise(n: int, *, seed: int = 2) -> np.ndarray:
    """1/f noise by spectral shaping, unit variance."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(spectrum.size)
    f[0] = 1
    pink = np.fft.irfft(spectrum / np.sqrt(f), n)
    return pink / np.std(pink)


def add_noise_at_snr(speech: np.ndarray, noise: np.ndarray, snr_db: float,
                     speech_mask: np.ndarray | None = None) -> np.ndarray:
    """Mix so that active-speech power over noise power equals ``snr_db``.

    Speech power is measured where ``speech_mask`` is true (default: non-zero samples).
    """
    if speech_mask is None:
        speech_mask = np.abs(speech) > 0
    p_speech = np.mean(speech[speech_mask].astype(np.float64) ** 2)
    p_noise = np.mean(noise.astype(np.float64) ** 2)
    scale = np.sqrt(p_speech / (p_noise * 10 ** (snr_db / 10)))
    return (speech + scale * noise[: speech.size]).astype(np.float32)


def pink_noise_band(n: int, *, sample_rate: int, low_hz: float = 50.0, seed: int = 2) -> np.ndarray:
    """Pink (1/f) noise high-passed at ``low_hz`` (2nd-order Butterworth, zero phase), unit variance.

    :func:`pink_noise` puts about half its power below 70 Hz (1/f down to the first FFT bin); SNR measures
    that ignore subsonic rumble need pink noise that, like a real room, starts in the audible band.
    """
    x = pink_noise(n, seed=seed)
    sos = sps.butter(2, low_hz, btype="highpass", fs=sample_rate, output="sos")
    x = sps.sosfiltfilt(sos, x)
    return x / np.std(x)
