"""The Butterworth high-pass of the per-clip measures, without ``scipy.signal``.

The measures run in worker processes, one per core, for the whole scan. ``import scipy.signal``
costs ~47 MB of resident memory per worker (it pulls in ``scipy.stats``, ``scipy.linalg`` ...;
measured from ``/proc/self/status``: a worker's imports 103 MB with it, 56 MB without), and the
measures used it for one filter. At two workers that was most of the difference between the peak
memory of a 1x and a 10x scan (the workers live beside the encoder only while clips still come).

:func:`highpass_causal` computes what ``scipy.signal.sosfilt`` computed with scipy's
``butter(order, cutoff, 'highpass', fs=rate)``: the same design (analog Butterworth prototype,
high-pass transform, pre-warped bilinear transform; poles equal to scipy's within 1e-15), applied as
an exact causal FIR -- the impulse response from the frequency response, cut where its remaining
energy falls below 1e-18 -- convolved block by block in float64 through ``scipy.fft`` (overlap-save,
so memory stays bounded for 30-minute clips).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.fft

# Overlap-save blocks transformed together (each ~2x the filter length: 8 x 16 k samples at 48 kHz).
_BLOCKS_PER_CALL = 8
# The impulse response is cut where its remaining energy falls below this fraction of the total.
_TAIL_ENERGY = 1e-18


def butterworth_highpass_zpk(order: int, cutoff_hz: float, sample_rate: float
                             ) -> tuple[np.ndarray, np.ndarray, float]:
    """Zeros, poles and gain of the digital Butterworth high-pass, as ``scipy.signal.butter(order,
    cutoff_hz, btype='highpass', fs=sample_rate, output='zpk')``."""
    if not 0 < cutoff_hz < sample_rate / 2:
        raise ValueError(f"cutoff {cutoff_hz} Hz must lie between 0 and half the rate {sample_rate} Hz")
    fs2 = 2.0 * sample_rate
    warped = fs2 * np.tan(np.pi * cutoff_hz / sample_rate)  # pre-warped analog cutoff, rad/s
    prototype = -np.exp(1j * np.pi * np.arange(-order + 1, order, 2) / (2 * order))  # unit low-pass poles
    poles_analog = warped / prototype  # low-pass -> high-pass: s -> warped / s
    gain_analog = np.real(1.0 / np.prod(-prototype))
    poles = (fs2 + poles_analog) / (fs2 - poles_analog)  # bilinear transform
    zeros = np.ones(order)  # the analog zeros at s = 0 map to z = 1
    gain = gain_analog * np.real(fs2 ** order / np.prod(fs2 - poles_analog))
    return zeros, poles, float(gain)


@lru_cache(maxsize=32)
def _highpass_impulse(order: int, cutoff_hz: float, sample_rate: int) -> np.ndarray:
    """The causal impulse response (float64) of the Butterworth high-pass, cut at ``_TAIL_ENERGY``."""
    zeros, poles, gain = butterworth_highpass_zpk(order, cutoff_hz, sample_rate)
    # Long enough that the circular wrap of the sampled frequency response is far below the cut:
    # the slowest pole decays as |p|^n.
    decay = -np.log(np.max(np.abs(poles)))  # nepers per sample
    needed = int(np.ceil(-0.5 * np.log(_TAIL_ENERGY) / decay)) + 64
    size = 1 << int(np.ceil(np.log2(4 * needed)))
    z = np.exp(1j * np.pi * np.arange(size // 2 + 1) / (size // 2))
    response = gain * np.prod(z[:, None] - zeros, axis=1) / np.prod(z[:, None] - poles, axis=1)
    impulse = np.fft.irfft(response, size)
    energy = np.cumsum(impulse[::-1] ** 2)[::-1]  # energy from n to the end
    length = int(np.searchsorted(-energy, -_TAIL_ENERGY * energy[0])) + 1
    return impulse[:max(length, order + 1)]


@lru_cache(maxsize=64)
def _highpass_spectrum(order: int, cutoff_hz: float, sample_rate: int, nfft: int) -> np.ndarray:
    return scipy.fft.rfft(_highpass_impulse(order, cutoff_hz, sample_rate), nfft)


def highpass_causal(samples: np.ndarray, *, sample_rate: int, cutoff_hz: float = 70.0,
                    order: int = 4) -> np.ndarray:
    """Causal Butterworth high-pass of a mono float clip (float32 out, same length).

    Equals ``scipy.signal.sosfilt(butter(order, cutoff_hz, 'highpass', fs=sample_rate,
    output='sos'), samples, zi=sosfilt_zi(sos) * samples[0])``: the filter starts in the steady state
    of the first sample, so a DC offset does not ring at the start. (For a high-pass that steady state
    outputs zero, so this is the response to ``samples - samples[0]`` from rest.)

    Parameters
    ----------
    samples : 1-D float array
    sample_rate : int
        Hz.
    cutoff_hz : float
        -3 dB frequency, Hz.
    order : int
    """
    x = np.asarray(samples, dtype=np.float32)
    n = x.size
    if n == 0:
        return x.copy()
    if cutoff_hz >= sample_rate / 2 or n < 64:
        return (x - x.mean(dtype=np.float64)).astype(np.float32)
    taps = _highpass_impulse(int(order), float(cutoff_hz), int(sample_rate)).size
    # Blocks of ~2x the filter length (as many new samples as filter taps) ran fastest at 16-48 kHz.
    nfft = 1 << int(np.ceil(np.log2(min(n, taps) + taps - 1)))
    spectrum = _highpass_spectrum(int(order), float(cutoff_hz), int(sample_rate), nfft)
    step = nfft - taps + 1  # new output samples per block
    n_blocks = -(-n // step)
    out = np.empty(n_blocks * step, dtype=np.float32)
    offset = float(x[0])
    # Overlap-save, a few blocks at a time: block k reads x[k*step - (taps-1) : k*step + step] (zeros
    # before the start and past the end) and yields y[k*step : (k+1)*step]. Only the current group of
    # blocks is copied, so a 30-minute clip needs no second full-length float64 array.
    # float64: a float32 FFT's rounding puts exact zeros and a -140 dB floor into the decayed tail in
    # digital silence, which moves WADA-SNR (a log-amplitude statistic) on such clips by tens of dB.
    for first in range(0, n_blocks, _BLOCKS_PER_CALL):
        count = min(_BLOCKS_PER_CALL, n_blocks - first)
        start = first * step - (taps - 1)
        stop = (first + count) * step
        segment = np.zeros(stop - start, dtype=np.float64)
        lo, hi = max(start, 0), min(stop, n)
        np.subtract(x[lo:hi], offset, out=segment[lo - start:hi - start], dtype=np.float64)
        blocks = np.lib.stride_tricks.sliding_window_view(segment, nfft)[::step][:count]
        filtered = scipy.fft.irfft(scipy.fft.rfft(blocks, axis=1) * spectrum, nfft, axis=1)
        out[first * step:stop] = filtered[:, taps - 1:].reshape(-1)
    return out[:n]
