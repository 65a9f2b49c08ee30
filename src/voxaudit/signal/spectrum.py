"""Spectrum: effective audio bandwidth of the speech, and mains hum.

``bandwidth_hz`` is the highest frequency at which the long-term spectrum of the speech frames still
carries speech clearly above the noise floor. It catches telephone-band, low-bit-rate and upsampled
clips (a 16 kHz file made from 8 kHz audio reads <= 4 kHz however it is stored).

``hum_db`` is the prominence of the mains family (50 or 60 Hz and its harmonics) over the neighbouring
spectrum, on a ~1 Hz resolution spectrum weighted towards the pauses, where hum is least masked.
"""

from __future__ import annotations

import numpy as np
import scipy.fft

from .activity import SpeechActivity, check_input, mask_runs
from .noise import stationary_floor_mask

# --- bandwidth -------------------------------------------------------------------------------------
# Speech must exceed the floor by this much (dB, smoothed long-term spectra) to count as present.
BANDWIDTH_MARGIN_DB = 6.0
# ... and be within this many dB of the loudest speech band (200 Hz - 4 kHz). Full-band microphones
# keep speech within ~50 dB of it up to 20 kHz; a resampler's or codec's stopband is 60-100 dB down.
BANDWIDTH_RANGE_DB = 60.0
# Moving average across frequency of the long-term spectra, in Hz.
BANDWIDTH_SMOOTH_HZ = 250.0
# At most this many frames per class enter the long-term spectra (evenly spaced): bounds the cost of
# long clips without changing the long-term average.
MAX_SPECTRUM_FRAMES = 1500
# A floor within this many dB of the loudest speech band is loud enough to mask speech. Where such a
# floor still reaches, the microphone and codec pass audio: the bandwidth is where the channel ends,
# not where speech sinks under the noise (pink or white noise at 10-20 dB SNR sits 15-35 dB under the
# loudest band; a quiet room's floor 45-90 dB, a codec's or resampler's stopband 60-100 dB).
MASKING_FLOOR_DB = 40.0
# Pauses give the floor when at least this many seconds of them exist; else a per-bin low quantile of
# all live frames does (minimum statistics), corrected for its bias on noise.
MIN_PAUSE_SPECTRUM_S = 0.2
FLOOR_QUANTILE = 0.1

# --- hum -------------------------------------------------------------------------------------------
MAINS_HZ = (50.0, 60.0)
# Harmonics of the mains frequency that are examined (fundamental = 1). Multiples of 300 Hz belong to
# both families and are skipped.
HUM_HARMONICS = 8
# The hum spectrum is taken after decimating to about this rate (Hz) by block averaging.
HUM_RATE_HZ = 4000.0
# Segment length of the hum spectrum (s): 1 s gives 1 Hz bins.
HUM_SEGMENT_S = 1.0
# Shortest stretch (s) of pause (or, without pauses, of live signal) that enters the hum spectrum: a
# Hann window over 0.3 s keeps the line's main lobe within +-6.7 Hz. Clips shorter than this get no
# hum reading.
HUM_MIN_DURATION_S = 0.3
# A harmonic's power is summed over +-(HUM_PEAK_HZ + 0.5 % of its frequency); the neighbourhood used
# as reference spans HUM_NEAR_HZ .. HUM_FAR_HZ away on both sides, less the bands of every other mains
# line (50 Hz and 60 Hz families), so a line of the other family never lifts it. The reference is the
# neighbours' mean: on noise alone the prominence then reads 0 dB on average.
HUM_PEAK_HZ = 4.0
HUM_NEAR_HZ = 10.0
HUM_FAR_HZ = 30.0
# ``hum_hz`` is reported (not None) when the family prominence reaches this many dB. This is a
# measurement floor (clean speech reads -1..4 dB), not a severity threshold.
HUM_PRESENT_DB = 6.0


def _smooth(power: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average over ``width`` bins, normalised at the edges."""
    if width <= 1:
        return power
    kernel = np.ones(width)
    num = np.convolve(power, kernel, "same")
    den = np.convolve(np.ones_like(power), kernel, "same")
    return num / den


def _spread_pick(index: np.ndarray, limit: int) -> np.ndarray:
    if index.size <= limit:
        return index
    return index[np.linspace(0, index.size - 1, limit).round().astype(int)]


def _frame_power_spectra(x: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """Hann-windowed power spectra of frames ``x[s:s+length]`` (zero-padded past the end)."""
    if starts.size == 0:
        return np.zeros((0, length // 2 + 1), dtype=np.float32)
    need = int(starts.max()) + length
    xp = x if need <= x.size else np.concatenate([x, np.zeros(need - x.size, dtype=x.dtype)])
    frames = np.lib.stride_tricks.sliding_window_view(xp, length)[starts]
    window = np.hanning(length + 2)[1:-1].astype(np.float32)
    spec = scipy.fft.rfft(frames * window, axis=1)
    return (spec.real ** 2 + spec.imag ** 2).astype(np.float32, copy=False)


def speech_bandwidth(samples: np.ndarray, *, sample_rate: int, activity: SpeechActivity) -> float | None:
    """The recording's bandwidth (Hz); see :func:`measure_spectrum`."""
    return _bandwidths(samples, sample_rate=sample_rate, activity=activity)[0]


def _bandwidths(samples: np.ndarray, *, sample_rate: int, activity: SpeechActivity
                ) -> tuple[float | None, float | None]:
    """``(bandwidth_hz, speech_bandwidth_hz)``: the channel's edge (speech, or a masking floor), and
    the highest frequency at which speech stands clearly above the floor."""
    x = check_input(samples, sample_rate)
    sample_rate = int(sample_rate)
    speech = np.asarray(activity.speech, dtype=bool)
    if x.size == 0 or not speech.any():
        return None, None
    hop = max(1, int(round(activity.hop_s * sample_rate)))
    length = max(8, int(round(activity.frame_s * sample_rate)))
    step = max(1, length // hop)  # non-overlapping frames of the activity grid
    grid = np.arange(0, speech.size, step)
    live = ~np.asarray(activity.digital_zero, dtype=bool)
    speech_idx = _spread_pick(grid[speech[grid]], MAX_SPECTRUM_FRAMES)
    pause_idx = _spread_pick(grid[(~speech & live)[grid]], MAX_SPECTRUM_FRAMES)

    spectra = _frame_power_spectra(x, speech_idx * hop, length)
    speech_psd = spectra.mean(axis=0, dtype=np.float64)
    freqs = np.fft.rfftfreq(length, 1.0 / sample_rate)
    if pause_idx.size * step * activity.hop_s >= MIN_PAUSE_SPECTRUM_S:
        # Pauses: keep the stationary floor (no breaths, decays, clicks), as the noise measure does.
        pauses = _frame_power_spectra(x, pause_idx * hop, length)
        level = 10.0 * np.log10(np.maximum(pauses.sum(axis=1, dtype=np.float64), 1e-30))
        floor = pauses[stationary_floor_mask(level)].mean(axis=0, dtype=np.float64)
    else:
        # Minimum statistics: a low quantile of each bin over every live frame, debiased for the
        # exponential distribution of a noise periodogram bin.
        live_idx = _spread_pick(grid[live[grid]], MAX_SPECTRUM_FRAMES)
        every = _frame_power_spectra(x, live_idx * hop, length)
        floor = np.quantile(every, FLOOR_QUANTILE, axis=0) / -np.log1p(-FLOOR_QUANTILE)

    width = max(1, int(round(BANDWIDTH_SMOOTH_HZ / (sample_rate / length))))
    s = _smooth(speech_psd, width)
    n = _smooth(np.asarray(floor, dtype=np.float64), width)
    band = (freqs >= 200.0) & (freqs <= min(4000.0, sample_rate / 2))
    reference = s[band].max() if band.any() else s.max()
    if not reference > 0:
        return None, None
    present = (s > n * 10 ** (BANDWIDTH_MARGIN_DB / 10)) & (s > reference * 10 ** (-BANDWIDTH_RANGE_DB / 10))
    present &= freqs > 0
    speech_edge = float(freqs[np.flatnonzero(present)[-1]]) if present.any() else None
    # A loud floor that reaches higher than the speech shows the channel's own width.
    masking = (n > reference * 10 ** (-MASKING_FLOOR_DB / 10)) & (freqs > 0)
    channel_edge = float(freqs[np.flatnonzero(masking)[-1]]) if masking.any() else None
    edges = [e for e in (speech_edge, channel_edge) if e is not None]
    return (max(edges) if edges else None), speech_edge


def _segments(runs: list[tuple[int, int]], seg: int, min_len: int) -> list[tuple[int, int]]:
    """``(start, length)`` analysis segments inside runs: runs shorter than ``min_len`` are skipped,
    runs up to ``seg`` give one segment, longer runs are cut into ``seg``-long pieces with 50 % overlap."""
    out = []
    for a, b in runs:
        n = b - a
        if n < min_len:
            continue
        if n <= seg:
            out.append((a, n))
            continue
        starts = list(range(a, b - seg + 1, max(1, seg // 2)))
        if starts[-1] + seg < b:
            starts.append(b - seg)
        out.extend((start, seg) for start in starts)
    return out


def mains_hum(samples: np.ndarray, *, sample_rate: int, activity: SpeechActivity
              ) -> tuple[float | None, float | None, float | None]:
    """``(hum_hz, hum_db, hum_dbfs)``; see :func:`measure_spectrum`."""
    x = check_input(samples, sample_rate)
    sample_rate = int(sample_rate)
    if x.size < HUM_MIN_DURATION_S * sample_rate:
        return None, None, None
    # Decimate by block averaging: hum lives below 500 Hz, aliases of speech only lift the floor.
    factor = max(1, int(round(sample_rate / HUM_RATE_HZ)))
    rate = sample_rate / factor
    xd = x[: x.size // factor * factor].reshape(-1, factor).mean(axis=1, dtype=np.float32)
    xd = xd - xd.mean()
    nfft = int(round(HUM_SEGMENT_S * rate))
    min_len = int(round(HUM_MIN_DURATION_S * rate))

    # Where hum is least masked: stretches of live pause, each windowed on its own (gating inside a
    # window would smear the line). Without such pauses, the whole live signal, but then only the
    # fundamental counts: harmonics 2-8 of 50/60 Hz sit on the voice's own F0 harmonics.
    speech = np.asarray(activity.speech, dtype=bool)
    live = ~np.asarray(activity.digital_zero, dtype=bool)
    to_sample = activity.hop_s * rate

    def sample_runs(mask):
        return [(int(round(a * to_sample)), min(xd.size, int(round(b * to_sample))))
                for a, b in mask_runs(mask)]

    segments = _segments(sample_runs(live & ~speech), nfft, min_len)
    harmonics = HUM_HARMONICS
    if not segments:
        segments = _segments(sample_runs(live), nfft, min_len)
        harmonics = 1
    if not segments:
        return None, None, None

    # One-sided power per bin, calibrated so that the bins sum to the mean power of the segments.
    power = np.zeros(nfft // 2 + 1)
    energy = 0.0
    by_length: dict[int, list[int]] = {}
    for start, length in segments:
        by_length.setdefault(length, []).append(start)
    for length, starts in by_length.items():
        window = np.hanning(length + 2)[1:-1].astype(np.float32)
        frames = np.lib.stride_tricks.sliding_window_view(xd, length)[np.asarray(starts)] * window
        spec = scipy.fft.rfft(frames, n=nfft, axis=1)
        power += (spec.real ** 2 + spec.imag ** 2).sum(axis=0, dtype=np.float64)
        energy += len(starts) * float(np.dot(window, window))
    psd = 2.0 * power / (nfft * energy)
    freqs = np.fft.rfftfreq(nfft, 1.0 / rate)
    if not psd.max() > 0:
        return None, None, None

    # Bins of every mains line (both families), kept out of the reference neighbourhoods.
    lines = np.zeros(freqs.size, dtype=bool)
    for mains in MAINS_HZ:
        for k in range(1, int(freqs[-1] // mains) + 1):
            lines |= np.abs(freqs - k * mains) <= HUM_PEAK_HZ + 0.005 * k * mains

    best = (None, None, None)
    for mains in MAINS_HZ:
        peak_sum = ref_sum = 0.0
        for k in range(1, harmonics + 1):
            h = k * mains
            if h % 300.0 == 0 or h + HUM_FAR_HZ >= rate / 2:
                continue
            dist = np.abs(freqs - h)
            peak = dist <= HUM_PEAK_HZ + 0.005 * h
            near = (dist >= HUM_NEAR_HZ) & (dist <= HUM_FAR_HZ) & ~lines
            if not peak.any() or not near.any():
                continue
            peak_sum += psd[peak].sum()
            ref_sum += psd[near].mean() * peak.sum()
        if ref_sum > 0 and peak_sum > 0:
            db = float(10.0 * np.log10(peak_sum / ref_sum))
            if best[1] is None or db > best[1]:
                excess = peak_sum - ref_sum
                best = (mains, db, float(10.0 * np.log10(excess)) if excess > 0 else None)
    hz, db, dbfs = best
    if db is None:
        return None, None, None
    return (hz if db >= HUM_PRESENT_DB else None), db, dbfs


def measure_spectrum(samples: np.ndarray, *, sample_rate: int, activity: SpeechActivity) -> dict:
    """Speech bandwidth and mains hum.

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
        ``bandwidth_hz`` : float or None
            The bandwidth of the microphone and codec (Hz, 50 Hz resolution): ``speech_bandwidth_hz``,
            or higher where a floor loud enough to mask speech (within 40 dB of the loudest speech
            band) reaches higher: then the speech sank under noise, and the noise, not the channel,
            is the problem (``low_snr`` names it). Full-band 44.1/48 kHz speech reads >= 10 kHz, good
            16 kHz speech 7-8 kHz, telephone band <= 4 kHz. None without speech.
        ``speech_bandwidth_hz`` : float or None
            Highest frequency where the smoothed long-term spectrum of the speech frames is at least
            6 dB above the floor (the pause spectrum, else a minimum-statistics floor) *and* within
            60 dB of the loudest speech band.
        ``hum_hz`` : float or None
            50.0 or 60.0 when that mains family stands out by at least ``HUM_PRESENT_DB`` (6 dB), else
            None.
        ``hum_db`` : float or None
            Prominence in dB of the stronger mains family over its neighbouring spectrum: power summed
            over +-4 Hz around the fundamental and harmonics 2-8 (multiples of 300 Hz, shared by both
            families, skipped), against the mean spectrum 10-30 Hz away. Measured on a ~1 Hz
            spectrum of the pause stretches of at least 0.3 s, each Hann-windowed on its own; a clip
            without such pauses is measured whole, on the fundamental only (harmonics would sit on
            the voice's F0 harmonics). Noise alone reads 0 dB on average; clean speech reads -5..+5 dB;
            faint real hum (-70 dBFS) 6-15 dB; -40 dBFS hum under speech 10-45 dB depending on the
            room's own low-frequency noise. None for clips shorter than 0.3 s or all zero.
        ``hum_dbfs`` : float or None
            Power of the mains lines above their neighbourhood, in dBFS (a -40 dBFS-peak sine reads
            -43); None when there is no excess. Lets a threshold ignore a prominent but inaudible hum.

    Raises
    ------
    ParameterError
        If ``sample_rate`` is not a positive whole number or ``samples`` is not 1-D.

    Examples
    --------
    >>> from voxaudit.signal.activity import speech_activity
    >>> sr = 16000
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(3 * sr) / sr
    >>> x = (0.001 * rng.standard_normal(t.size) + 0.01 * np.sin(2 * np.pi * 50 * t)).astype(np.float32)
    >>> m = measure_spectrum(x, sample_rate=sr, activity=speech_activity(x, sample_rate=sr))
    >>> m["hum_hz"], m["hum_db"] > 20
    (50.0, True)
    """
    x = check_input(samples, sample_rate)
    bandwidth, speech_edge = _bandwidths(x, sample_rate=sample_rate, activity=activity)
    hum_hz, hum_db, hum_dbfs = mains_hum(x, sample_rate=sample_rate, activity=activity)
    return {"bandwidth_hz": bandwidth, "speech_bandwidth_hz": speech_edge, "hum_hz": hum_hz, "hum_db": hum_db,
            "hum_dbfs": hum_dbfs}
