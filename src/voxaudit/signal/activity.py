"""Framing and speech activity: the shared basis of the level, silence, noise and denoising measures.

Speech activity here is energy based with an adaptive threshold between the clip's noise floor and its
loud frames. It is meant for *measuring* (where are the pauses, where is the noise floor), not for
transcription-grade voice activity detection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal as sps

from ..errors import ParameterError

FRAME_S = 0.020
HOP_S = 0.010
# Gaps shorter than this inside speech are closures between phones, not pauses.
MIN_PAUSE_S = 0.150
# Speech bursts shorter than this are clicks or noise, not speech.
MIN_SPEECH_S = 0.060
# Speech regions are widened by this much on both sides to keep soft onsets and decays.
HANGOVER_S = 0.040
DB_FLOOR = -200.0


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
        Frame hop and length in seconds.
    """

    frame_db: np.ndarray
    speech: np.ndarray
    digital_zero: np.ndarray
    noise_floor_db: float
    threshold_db: float
    hop_s: float = HOP_S
    frame_s: float = FRAME_S

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


def highpass(samples: np.ndarray, *, sample_rate: int, cutoff_hz: float = 70.0) -> np.ndarray:
    """4th-order Butterworth high-pass (zero phase); removes DC and rumble below ``cutoff_hz``."""
    if cutoff_hz >= sample_rate / 2:
        return samples - samples.mean()
    sos = sps.butter(4, cutoff_hz, btype="highpass", fs=sample_rate, output="sos")
    if samples.size < 64:
        return samples - samples.mean()
    return sps.sosfiltfilt(sos, samples).astype(np.float32, copy=False)


def _close_gaps(mask: np.ndarray, value: bool, max_len: int) -> np.ndarray:
    """Flip runs of ``not value`` shorter than ``max_len`` frames that sit between runs of ``value``."""
    out = mask.copy()
    for start, stop in mask_runs(mask != value):
        if start == 0 or stop == mask.size:
            continue
        if stop - start < max_len:
            out[start:stop] = value
    return out


def speech_activity(samples: np.ndarray, *, sample_rate: int) -> SpeechActivity:
    """Find speech and pauses in a mono clip.

    Parameters
    ----------
    samples : np.ndarray
        Mono float samples, full scale 1.0.
    sample_rate : int
        Sample rate in Hz.

    Returns
    -------
    SpeechActivity

    Examples
    --------
    >>> sr = 16000
    >>> t = np.arange(sr) / sr
    >>> x = np.concatenate([np.zeros(sr), 0.1 * np.sin(2 * np.pi * 200 * t), np.zeros(sr)])
    >>> act = speech_activity(x.astype(np.float32), sample_rate=sr)
    >>> round(act.speech.mean(), 1)
    0.3
    """
    x = np.asarray(samples, dtype=np.float32)
    frames_raw = frame_signal(x, sample_rate=sample_rate)
    digital_zero = ~np.any(frames_raw != 0, axis=1)

    # Compute frame powers on a high-passed copy so hum and DC do not read as speech.
    filtered = highpass(x, sample_rate=sample_rate)
    frames = frame_signal(filtered, sample_rate=sample_rate)
    frame_db = power_db(np.mean(np.square(frames, dtype=np.float64), axis=1))
    frame_db[digital_zero] = DB_FLOOR

    live = frame_db[~digital_zero]
    if live.size == 0:
        speech = np.zeros(frame_db.size, dtype=bool)
        return SpeechActivity(frame_db, speech, digital_zero, DB_FLOOR, DB_FLOOR)

    # Estimate the floor and the loud level; the threshold sits between them.
    noise_floor_db = float(np.percentile(live, 10))
    loud_db = float(np.percentile(live, 95))
    threshold_db = max(noise_floor_db + 0.3 * (loud_db - noise_floor_db), loud_db - 45.0,
                       noise_floor_db + 3.0)
    if loud_db - noise_floor_db < 6.0:
        # No contrast: either continuous speech with no pause or continuous noise. Call it all speech
        # when it is loud enough to be speech at all.
        speech = np.full(frame_db.size, loud_db > -60.0) & ~digital_zero
        return SpeechActivity(frame_db, speech, digital_zero, noise_floor_db, threshold_db)

    raw = (frame_db > threshold_db) & ~digital_zero

    # Smooth: drop tiny bursts, bridge short closures, then widen by the hangover.
    min_speech = max(1, int(round(MIN_SPEECH_S / HOP_S)))
    min_pause = max(1, int(round(MIN_PAUSE_S / HOP_S)))
    speech = raw.copy()
    for start, stop in mask_runs(speech):
        if stop - start < min_speech:
            speech[start:stop] = False
    speech = _close_gaps(speech, True, min_pause)
    hang = int(round(HANGOVER_S / HOP_S))
    if hang and speech.any():
        speech = np.convolve(speech.astype(np.int8), np.ones(2 * hang + 1, dtype=np.int8), "same") > 0
    speech &= ~digital_zero
    return SpeechActivity(frame_db, speech, digital_zero, noise_floor_db, threshold_db)
