"""Is an upload the same audio as a stored take? A fingerprint of the decoded sound, not of the bytes.

The same take exported as WAV, FLAC, OGG (Vorbis or Opus) or MP3, at another sample rate, in stereo or
at another level, has other bytes but the same sound. Two takes of the same sentence by the same
speaker have nearly the same words, rhythm and length, but not the same sound. The rule here:

1. **duration**: the two durations differ by at most :data:`MAX_DURATION_DIFF_S` (an MP3 written
   without a gapless tag decodes with the encoder's delay and padding added: up to 0.22 s measured, at
   8 kHz);
2. **sound**: the fingerprints correlate at :data:`SAME_AUDIO_MIN_CORRELATION` or more at the best
   alignment within :data:`MAX_LAG_S`. Takes under :data:`MIN_FRAMES` (1 s) are not compared this way
   (only byte-identical files match): one short word leaves too little to tell a copy from a re-take.

The fingerprint (:func:`fingerprint`) is the audio at 16 kHz, cut into 10 ms frames, with the log
energy of each of 24 bands between 125 and 3800 Hz (a range every codec and every rate from 8 kHz up
keeps), floored 50 dB under the take's loudest frames and kept in 0.5 dB steps (one byte a cell,
about 2.4 kB a second before compression). Compared (:func:`similarity`) is its change over 20 ms
(the log energy of a frame minus that of the frame two before), so a level change, a constant
colouring (EQ, a phone's band) and a codec's flat noise floor cancel, while the exact timing of every
syllable onset and formant move counts: a second take of the same words moves them by tens of
milliseconds, which decorrelates the changes.

Evidence (``scripts/eval_duplicates.py --every 3`` on ``../shared/speech``; the threshold 0.80 was
chosen from these same figures, between the worst other take and the worst realistic copy):

- the same clip re-encoded by libsndfile as FLAC, Vorbis (30-44 kbit/s), Opus (28-32 kbit/s), MP3
  (42 kbit/s VBR, 82 kbit/s CBR), resampled to 48 kHz, in stereo at -12 dB: correlation >= 0.89,
  1017 copies, none missed; MP3 at its lowest setting (16 kbit/s median, 8 kbit/s at 8 kHz, no
  gapless tag: 0.02-0.21 s longer): 0.70 at worst, 90 of 113 recognised;
- other takes of the same 2-4 digits by the same speaker (FSDD recordings, each digit spoken several
  times by one person, joined the same way, also padded to equal length), 1 s or longer: at most
  0.68 (99th percentile 0.61); the same VCTK sentence by other speakers: at most 0.19; other clips of
  one speaker within 0.25 s of each other's length: at most 0.38. No false merge in 1832 pairs.
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from ..errors import ParameterError

FINGERPRINT_VERSION = 1
# Sample rate the fingerprint is computed at (the rate the speaker encoder gets too).
RATE_HZ = 16000
# Frame hop and FFT window, in samples at RATE_HZ (10 ms hop, 32 ms Hann window).
HOP = 160
N_FFT = 512
# Band edges in Hz: 24 log-spaced bands over 125-3800 Hz (12 bands measured: other takes of the same
# digits 0.63 against 0.55 here, the worst re-encoded copy 0.76 against 0.73). 8 kHz telephone audio, a 16 kHz MP3's
# low-pass (about 5.9 kHz) and Opus' wideband mode all keep this range.
BAND_EDGES_HZ = tuple(float(f) for f in np.geomspace(125.0, 3800.0, 25))
# Cells are floored this many dB under the take's 99.5th-percentile cell, and stored in these steps.
FLOOR_DB = 50.0
STEP_DB = 0.5
# The change compared: frame t minus frame t - DELTA_FRAMES (20 ms). Measured with 12 bands against
# 1, 3 and 4 frames: 2 kept the widest gap between the worst re-encoded copy (0.76) and the best other
# take (0.56); 1 frame dropped a 16 kbit/s MP3 to 0.64, 3-4 frames lifted other takes to 0.64-0.71.
DELTA_FRAMES = 2
# Durations of the same audio differ by at most this (MP3 delay + padding without a gapless tag:
# 0.03-0.22 s measured at 8-16 kHz; libsndfile's own MP3, Vorbis, Opus and FLAC: 0).
MAX_DURATION_DIFF_S = 0.25
# Alignments tried: up to this shift either way (the same MP3 delay), in whole frames.
MAX_LAG_S = 0.25
# At least this share of the shorter fingerprint must overlap at an alignment for it to count.
MIN_OVERLAP = 0.85
# Same audio at or above this correlation (see the module docstring for the measured gap).
SAME_AUDIO_MIN_CORRELATION = 0.80
# Under this many frames (1 s) the rule is not used: only byte-identical files match. Other takes of
# one spoken digit (0.3-0.7 s, FSDD) correlate up to 0.83, as high as re-encoded copies: in so short a
# take, one word by one person leaves too little to tell a second take from a copy, and refusing a
# real take is worse than keeping a copy.
MIN_FRAMES = 100


@dataclass(frozen=True)
class Fingerprint:
    """The sound of one take, for :func:`similarity`.

    Attributes
    ----------
    duration_s : float
        The audio's duration in seconds.
    cells : np.ndarray [n_frames, n_bands], uint8
        Log band energies, ``STEP_DB`` dB a step above the floor (0 = at or under the floor).
    """

    duration_s: float
    cells: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (the cells deflated and base64-encoded)."""
        raw = np.ascontiguousarray(self.cells, dtype=np.uint8).tobytes()
        return {"version": FINGERPRINT_VERSION, "duration_s": round(float(self.duration_s), 4),
                "n_bands": int(self.cells.shape[1]), "n_frames": int(self.cells.shape[0]),
                "data": base64.b64encode(zlib.compress(raw, 6)).decode("ascii")}

    @classmethod
    def from_dict(cls, data: Any) -> "Fingerprint":
        """Read :meth:`to_dict`'s dict back.

        Raises
        ------
        ParameterError
            When ``data`` is not such a dict (another version, bad base64, a size that does not match).
        """
        if not isinstance(data, dict) or data.get("version") != FINGERPRINT_VERSION:
            raise ParameterError(f"not a version-{FINGERPRINT_VERSION} audio fingerprint")
        n_bands, n_frames = data.get("n_bands"), data.get("n_frames")
        duration_s = data.get("duration_s")
        if (not isinstance(n_bands, int) or isinstance(n_bands, bool) or n_bands != len(BAND_EDGES_HZ) - 1
                or not isinstance(n_frames, int) or isinstance(n_frames, bool) or not 0 < n_frames < 10_000_000
                or not isinstance(duration_s, (int, float)) or isinstance(duration_s, bool)
                or not np.isfinite(duration_s) or duration_s <= 0):
            raise ParameterError("audio fingerprint with a bad size or duration")
        try:
            raw = zlib.decompress(base64.b64decode(str(data.get("data", "")), validate=True),
                                  bufsize=n_frames * n_bands)
        except (ValueError, zlib.error) as error:
            raise ParameterError(f"audio fingerprint data cannot be decoded: {error}") from None
        if len(raw) != n_frames * n_bands:
            raise ParameterError(f"audio fingerprint holds {len(raw)} bytes, expected {n_frames * n_bands}")
        cells = np.frombuffer(raw, dtype=np.uint8).reshape(n_frames, n_bands)
        return cls(duration_s=float(duration_s), cells=cells)


def _band_matrix() -> np.ndarray:
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / RATE_HZ)
    edges = BAND_EDGES_HZ
    return np.stack([((freqs >= lo) & (freqs < hi)).astype(np.float32)
                     for lo, hi in zip(edges[:-1], edges[1:])], axis=1)


_BANDS = _band_matrix()
_WINDOW = np.hanning(N_FFT).astype(np.float32)


def fingerprint(samples_16k: np.ndarray, *, duration_s: Optional[float] = None) -> Fingerprint:
    """The fingerprint of mono audio at 16 kHz.

    Parameters
    ----------
    samples_16k : np.ndarray [n]
        Mono samples at :data:`RATE_HZ` (16 kHz), full scale 1.0.
    duration_s : float, optional
        The take's duration in seconds at its own rate (default: ``n / 16000``).

    Returns
    -------
    Fingerprint

    Raises
    ------
    ParameterError
        On samples that are not a non-empty 1-D array.

    Examples
    --------
    >>> t = np.arange(16000) / 16000
    >>> fp = fingerprint((0.1 * np.sin(2 * np.pi * 440 * t) * (t > 0.5)).astype(np.float32))
    >>> fp.cells.shape, fp.duration_s
    ((97, 24), 1.0)
    """
    x = np.asarray(samples_16k, dtype=np.float32)
    if x.ndim != 1 or x.size == 0:
        raise ParameterError(f"samples must be a non-empty 1-D array, got shape {x.shape}")
    x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
    if x.size < N_FFT:
        x = np.pad(x, (0, N_FFT - x.size))
    # Frame, window, power spectrum, band energies (a block of frames at a time: bounded memory).
    n_frames = 1 + (x.size - N_FFT) // HOP
    log_energy = np.empty((n_frames, _BANDS.shape[1]), dtype=np.float32)
    block = 4096
    for start in range(0, n_frames, block):
        stop = min(n_frames, start + block)
        index = np.arange(N_FFT)[None, :] + HOP * np.arange(start, stop)[:, None]
        power = np.abs(np.fft.rfft(x[index] * _WINDOW, axis=1)) ** 2
        log_energy[start:stop] = 10.0 * np.log10(power.astype(np.float32) @ _BANDS + 1e-12)
    # Floor under the loud part, quantise.
    top = float(np.percentile(log_energy, 99.5))
    steps = np.round((log_energy - (top - FLOOR_DB)) / STEP_DB)
    cells = np.clip(steps, 0, 255).astype(np.uint8)
    return Fingerprint(duration_s=float(duration_s if duration_s is not None else x.size / RATE_HZ),
                       cells=cells)


def _changes(cells: np.ndarray) -> np.ndarray:
    values = cells.astype(np.float32)
    return values[DELTA_FRAMES:] - values[:-DELTA_FRAMES]


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    """The correlation of the two takes' band-energy changes at their best alignment (-1..1).

    Alignments within :data:`MAX_LAG_S` are tried, each needing :data:`MIN_OVERLAP` of the shorter
    take; -1 when none does, or when either take is under :data:`MIN_FRAMES` frames.
    """
    da, db = _changes(a.cells), _changes(b.cells)
    shorter = min(len(da), len(db))
    if min(len(a.cells), len(b.cells)) < MIN_FRAMES or shorter <= 0:
        return -1.0
    max_lag = int(round(MAX_LAG_S * RATE_HZ / HOP))
    best = -1.0
    for lag in range(-max_lag, max_lag + 1):
        x = da[max(0, lag):]
        y = db[max(0, -lag):]
        n = min(len(x), len(y))
        if n < MIN_OVERLAP * shorter:
            continue
        x = x[:n] - x[:n].mean(axis=0)
        y = y[:n] - y[:n].mean(axis=0)
        denominator = float(np.sqrt(np.sum(x * x, dtype=np.float64) * np.sum(y * y, dtype=np.float64)))
        if denominator > 0:
            best = max(best, float(np.sum(x * y, dtype=np.float64)) / denominator)
    return best


def same_audio(a: Fingerprint, b: Fingerprint) -> bool:
    """True when ``a`` and ``b`` are the same audio (see the module docstring for the rule)."""
    if abs(a.duration_s - b.duration_s) > MAX_DURATION_DIFF_S:
        return False
    return similarity(a, b) >= SAME_AUDIO_MIN_CORRELATION
