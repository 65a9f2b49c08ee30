"""Framing and speech activity: the shared basis of the level, silence, noise and denoising measures.

Speech activity here is energy based with an adaptive threshold between the clip's noise floor and its
loud frames. It is meant for *measuring* (where are the pauses, where is the noise floor), not for
transcription-grade voice activity detection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ParameterError
from .filters import highpass_causal

FRAME_S = 0.020
HOP_S = 0.010
# Gaps shorter than this inside speech are closures between phones, not pauses.
MIN_PAUSE_S = 0.150
# Speech bursts shorter than this are clicks or noise, not speech.
MIN_SPEECH_S = 0.060
# Speech regions are widened by this much on both sides to keep soft onsets and decays.
HANGOVER_S = 0.040
DB_FLOOR = -200.0
# Below this spread between loud frames (95th percentile) and the floor (10th percentile), in dB, speech
# and noise cannot be told apart by level: the clip is called all speech (continuous speech, or noise).
# Real speech with pauses at 10 dB SNR still shows 13-16 dB.
MIN_CONTRAST_DB = 10.0


@dataclass
class SpeechActivity:
    """Per-frame energies and the speech mask of one clip.

    Attributes
    ----------
    frame_db : np.ndarray
        Mean power of each frame in dBFS (a full-scale sine reads -3 dB); exact digital silence reads
        ``DB_FLOOR``.
    speech : np.ndarray (bool)
        True where a frame belongs to speech, after hangover and short-gap merging.
    digital_zero : np.ndarray (bool)
        True where every sample of the frame is exactly zero.
    noise_floor_db : float
        Noise floor in dBFS: a low percentile of the non-digital-zero frame powers.
    threshold_db : float
        The speech/non-speech decision threshold in dBFS.
    hop_s, frame_s : float
        Frame hop and length in seconds: the exact values of the sample grid (``round(0.010 * sr) / sr``
        and ``round(0.020 * sr) / sr``), so ``round(i * hop_s * sr)`` is frame ``i``'s first sample and
        ``frame_signal(x, sample_rate=sr)`` gives the same frames.
    filtered : np.ndarray or None
        The 70 Hz high-passed copy of the clip (float32, causal 4th-order Butterworth) the frame powers
        were taken on, kept so measures need not filter again; None when built by hand.
    cache : dict
        Shared per-clip analyses keyed by name (filled by the measures that use them).
    """

    frame_db: np.ndarray
    speech: np.ndarray
    digital_zero: np.ndarray
    noise_floor_db: float
    threshold_db: float
    hop_s: float = HOP_S
    frame_s: float = FRAME_S
    filtered: np.ndarray | None = field(default=None, repr=False, compare=False)
    # Analyses that more than one measure needs (e.g. the band powers of ``denoise.band_analysis``),
    # computed once per clip by whichever measure asks first.
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_frames(self) -> int:
        return int(self.frame_db.size)

    def frame_to_sample(self, frame_index: int, sample_rate: int) -> int:
        return int(round(frame_index * self.hop_s * sample_rate))

    def runs(self, value: bool) -> list[tuple[int, int]]:
        """Runs of frames where ``speech == value`` as ``(start, stop)`` frame indices (stop exclusive)."""
        return mask_runs(self.speech == value)

    def speech_segments_s(self) -> list[tuple[float, float]]:
        """Speech regions as ``(start_s, end_s)``."""
        return [(a * self.hop_s, b * self.hop_s) for a, b in self.runs(True)]


def check_input(samples: np.ndarray, sample_rate) -> np.ndarray:
    """Validate a mono clip and its rate at the boundary of a measure; returns float32 1-D samples.

    Raises
    ------
    ParameterError
        If ``sample_rate`` is not a positive whole number of Hz or ``samples`` is not 1-D.
    """
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, float, np.integer, np.floating)):
        raise ParameterError(f"sample_rate must be a positive number of Hz, got {sample_rate!r}")
    if not np.isfinite(sample_rate) or sample_rate <= 0 or float(sample_rate) != int(sample_rate):
        raise ParameterError(f"sample_rate must be a positive whole number of Hz, got {sample_rate!r}")
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim != 1:
        raise ParameterError(f"samples must be mono (1-D), got shape {x.shape}")
    return x


def mask_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Runs of True in a boolean array, as ``(start, stop)`` index pairs (stop exclusive)."""
    mask = np.asarray(mask, dtype=bool)
    if mask.size == 0:
        return []
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def frame_signal(samples: np.ndarray, *, sample_rate: int, frame_s: float = FRAME_S,
                 hop_s: float = HOP_S) -> np.ndarray:
    """Slice a mono signal into overlapping frames, shape ``(n_frames, frame_length)``.

    The last partial frame is zero-padded. A signal shorter than one frame gives one padded frame.
    """
    if sample_rate <= 0:
        raise ParameterError(f"sample_rate must be positive, got {sample_rate}")
    frame_length = max(1, int(round(frame_s * sample_rate)))
    hop_length = max(1, int(round(hop_s * sample_rate)))
    n = samples.size
    n_frames = max(1, 1 + int(np.ceil(max(0, n - frame_length) / hop_length)))
    needed = (n_frames - 1) * hop_length + frame_length
    if needed > n:
        samples = np.concatenate([samples, np.zeros(needed - n, dtype=samples.dtype)])
    return np.lib.stride_tricks.sliding_window_view(samples, frame_length)[::hop_length][:n_frames]


def power_db(mean_square: np.ndarray | float) -> np.ndarray:
    """Mean power to dBFS, with exact zero mapped to ``DB_FLOOR`` instead of -inf."""
    ms = np.asarray(mean_square, dtype=np.float64)
    with np.errstate(divide="ignore"):
        out = 10.0 * np.log10(ms)
    return np.where(ms > 0, out, DB_FLOOR)


def _close_gaps(mask: np.ndarray, value: bool, max_len: int) -> np.ndarray:
    """Flip runs of ``not value`` shorter than ``max_len`` frames that sit between runs of ``value``."""
    out = mask.copy()
    for start, stop in mask_runs(mask != value):
        if start == 0 or stop == mask.size:
            continue
        if stop - start < max_len:
            out[start:stop] = value
    return out


def frame_power(samples: np.ndarray, *, sample_rate: int, frame_s: float = FRAME_S,
                hop_s: float = HOP_S) -> np.ndarray:
    """Mean square of each frame, on the same grid as :func:`frame_signal`, without building the frames.

    Parameters
    ----------
    samples : np.ndarray
        Mono samples, full scale 1.0.
    sample_rate : int
        Sample rate in Hz.
    frame_s, hop_s : float
        Frame length and hop in seconds.

    Returns
    -------
    np.ndarray (float64)
        Mean power (linear, full scale 1.0 = 1.0) of each frame, shape ``(n_frames,)``; the last partial
        frame counts its zero padding, as in :func:`frame_signal`.

    Examples
    --------
    >>> x = np.ones(16000, dtype=np.float32)
    >>> float(frame_power(x, sample_rate=16000)[0])
    1.0
    """
    if sample_rate <= 0:
        raise ParameterError(f"sample_rate must be positive, got {sample_rate}")
    frame_length, hop_length, n_frames = _grid(np.asarray(samples).size, sample_rate, frame_s, hop_s)
    sq_hops = _hop_sums(np.asarray(samples, dtype=np.float32), hop_length, n_frames, frame_length,
                        square=True)
    return _combine_hops(sq_hops, np.asarray(samples, dtype=np.float32), hop_length, frame_length,
                         n_frames, square=True) / frame_length


def _grid(n: int, sample_rate: int, frame_s: float, hop_s: float) -> tuple[int, int, int]:
    """``(frame_length, hop_length, n_frames)`` exactly as :func:`frame_signal` computes them."""
    frame_length = max(1, int(round(frame_s * sample_rate)))
    hop_length = max(1, int(round(hop_s * sample_rate)))
    n_frames = max(1, 1 + int(np.ceil(max(0, n - frame_length) / hop_length)))
    return frame_length, hop_length, n_frames


def _padded(x: np.ndarray, length: int) -> np.ndarray:
    if x.size >= length:
        return x[:length]
    return np.concatenate([x, np.zeros(length - x.size, dtype=x.dtype)])


def _hop_sums(x: np.ndarray, hop_length: int, n_frames: int, frame_length: int, *,
              square: bool) -> np.ndarray:
    """Per-hop sums of ``x**2`` (``square``) or per-hop "any non-zero" flags, over enough hops to cover
    every frame."""
    k = max(1, frame_length // hop_length)
    n_hops = n_frames - 1 + k
    blocks = _padded(x, n_hops * hop_length).reshape(n_hops, hop_length)
    if square:
        # float32 products, float64 accumulation per hop keeps quiet frames exact enough.
        return np.einsum("ij,ij->i", blocks, blocks, dtype=np.float64)
    return np.any(blocks != 0, axis=1)


def _combine_hops(hops: np.ndarray, x: np.ndarray, hop_length: int, frame_length: int, n_frames: int,
                  *, square: bool) -> np.ndarray:
    """Frame values from hop values: frame ``i`` spans hops ``i .. i+k-1`` plus ``r`` extra samples."""
    k = frame_length // hop_length
    r = frame_length - k * hop_length
    if k == 0:  # frame shorter than hop: fall back to explicit frames
        frames = frame_signal(x, sample_rate=1, frame_s=frame_length, hop_s=hop_length)
        return (np.einsum("ij,ij->i", frames, frames, dtype=np.float64) if square
                else np.any(frames != 0, axis=1))
    out = hops[:n_frames].copy()
    for j in range(1, k):
        out = out + hops[j:j + n_frames] if square else out | hops[j:j + n_frames]
    if r:
        padded = _padded(x, (n_frames - 1) * hop_length + frame_length)
        if r <= 8:
            for m in range(r):
                tail = padded[k * hop_length + m::hop_length][:n_frames]
                out = out + np.square(tail, dtype=np.float64) if square else out | (tail != 0)
        else:
            frames = np.lib.stride_tricks.sliding_window_view(padded, r)[k * hop_length::hop_length]
            frames = frames[:n_frames]
            out = (out + np.einsum("ij,ij->i", frames, frames, dtype=np.float64) if square
                   else out | np.any(frames != 0, axis=1))
    return out


def speech_activity(samples: np.ndarray, *, sample_rate: int) -> SpeechActivity:
    """Find speech and pauses in a mono clip.

    Frame powers are taken on a high-passed copy (70 Hz, so DC and rumble do not read as speech) on the
    grid of :func:`frame_signal` with the default 20 ms frames and 10 ms hop. The threshold sits between
    the clip's noise floor (10th percentile of the live frame powers) and its loud frames (95th
    percentile); bursts shorter than ``MIN_SPEECH_S`` are dropped, gaps shorter than ``MIN_PAUSE_S`` are
    bridged and speech is widened by ``HANGOVER_S`` on both sides. Exact digital zero is never speech.

    Parameters
    ----------
    samples : np.ndarray
        Mono float samples, full scale 1.0.
    sample_rate : int
        Sample rate in Hz.

    Returns
    -------
    SpeechActivity

    Raises
    ------
    ParameterError
        If ``sample_rate`` is not a positive whole number or ``samples`` is not 1-D.

    Examples
    --------
    >>> sr = 16000
    >>> t = np.arange(sr) / sr
    >>> x = np.concatenate([np.zeros(sr), 0.1 * np.sin(2 * np.pi * 200 * t), np.zeros(sr)])
    >>> act = speech_activity(x.astype(np.float32), sample_rate=sr)
    >>> round(float(act.speech.mean()), 1)
    0.3
    """
    x = check_input(samples, sample_rate)
    sample_rate = int(sample_rate)
    frame_length, hop_length, n_frames = _grid(x.size, sample_rate, FRAME_S, HOP_S)
    hop_s = hop_length / sample_rate
    frame_s = frame_length / sample_rate

    # Digital zero: every sample of the frame exactly 0 (per hop, then per frame).
    nonzero_hops = _hop_sums(x, hop_length, n_frames, frame_length, square=False)
    digital_zero = ~_combine_hops(nonzero_hops, x, hop_length, frame_length, n_frames, square=False)

    # Frame powers of a high-passed copy. The filter runs one way only: frame powers ignore phase.
    filtered = highpass_causal(x, sample_rate=sample_rate)
    hops = _hop_sums(filtered, hop_length, n_frames, frame_length, square=True)
    frame_db = power_db(_combine_hops(hops, filtered, hop_length, frame_length, n_frames, square=True)
                        / frame_length)
    frame_db[digital_zero] = DB_FLOOR

    def result(speech, floor, threshold):
        return SpeechActivity(frame_db, speech, digital_zero, float(floor), float(threshold),
                              hop_s=hop_s, frame_s=frame_s, filtered=filtered)

    live = frame_db[~digital_zero]
    if live.size == 0:
        return result(np.zeros(frame_db.size, dtype=bool), DB_FLOOR, DB_FLOOR)

    # Estimate the floor and the loud level; the threshold sits between them.
    noise_floor_db = float(np.percentile(live, 10))
    loud_db = float(np.percentile(live, 95))
    threshold_db = max(noise_floor_db + 0.3 * (loud_db - noise_floor_db), loud_db - 45.0,
                       noise_floor_db + 3.0)
    if loud_db - noise_floor_db < MIN_CONTRAST_DB:
        # No contrast: either continuous speech with no pause or continuous noise. Call it all speech
        # when it is loud enough to be speech at all.
        speech = np.full(frame_db.size, loud_db > -60.0) & ~digital_zero
        return result(speech, noise_floor_db, threshold_db)

    raw = (frame_db > threshold_db) & ~digital_zero

    # Smooth: drop tiny bursts, bridge short closures, then widen by the hangover.
    min_speech = max(1, int(round(MIN_SPEECH_S / hop_s)))
    min_pause = max(1, int(round(MIN_PAUSE_S / hop_s)))
    speech = _drop_short(raw, min_speech)
    speech = _close_gaps(speech, True, min_pause)
    speech = dilate(speech, int(round(HANGOVER_S / hop_s)))
    speech &= ~digital_zero
    return result(speech, noise_floor_db, threshold_db)


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Widen every True run of a boolean array by ``radius`` elements on both sides (same length out).

    Examples
    --------
    >>> dilate(np.array([0, 0, 1, 0, 0, 0], dtype=bool), 1).astype(int).tolist()
    [0, 1, 1, 1, 0, 0]
    """
    mask = np.asarray(mask, dtype=bool)
    if radius <= 0 or mask.size == 0 or not mask.any():
        return mask.copy()
    counts = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])
    index = np.arange(mask.size)
    lo = np.clip(index - radius, 0, mask.size)
    hi = np.clip(index + radius + 1, 0, mask.size)
    return counts[hi] - counts[lo] > 0


def _drop_short(mask: np.ndarray, min_len: int) -> np.ndarray:
    """Clear runs of True shorter than ``min_len``."""
    out = mask.copy()
    for start, stop in mask_runs(mask):
        if stop - start < min_len:
            out[start:stop] = False
    return out
