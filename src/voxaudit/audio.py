"""Load: decode a clip, validate it, downmix it. A broken file becomes an ``AudioError``, never a crash.

Files are only ever opened for reading.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import soundfile as sf

from .errors import AudioError

# A multi-channel clip whose channel is this far below the loudest one is "dead".
DEAD_CHANNEL_DB = 40.0
# Channels whose RMS differs by more than this are "unbalanced".
UNBALANCED_CHANNEL_DB = 6.0
# Clips longer than this are not decoded: a training clip lasts seconds, and a long recording would take
# memory (about 0.7 GB per hour at 48 kHz mono) for nothing; it is reported as `too_long` instead.
MAX_DURATION_S = 1800.0
MIN_DURATION_S = 0.1


@dataclass
class LoadedAudio:
    """A decoded, validated clip.

    Attributes
    ----------
    samples : np.ndarray
        Mono float32 samples (the downmix), full scale 1.0.
    sample_rate : int
        Native sample rate in Hz.
    channels : int
        Channel count of the file.
    subtype : str
        The file's sample format as soundfile names it (``PCM_16``, ``PCM_24``, ``FLOAT`` ...).
    notes : list of str
        Observations made while loading (dead or unbalanced channel, non-finite samples replaced).
    channel_rms_dbfs : list of float
        RMS of each channel in dBFS (multi-channel files only).
    """

    samples: np.ndarray
    sample_rate: int
    channels: int
    subtype: str = ""
    format: str = ""
    notes: list[str] = field(default_factory=list)
    channel_rms_dbfs: list[float] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return self.samples.size / float(self.sample_rate)


def _rms_dbfs(x: np.ndarray) -> float:
    ms = float(np.mean(np.square(x, dtype=np.float64))) if x.size else 0.0
    return 10.0 * np.log10(ms) if ms > 0 else -200.0


def _decode(path: str) -> tuple[np.ndarray, int, str, str]:
    """Decode with soundfile, falling back to librosa/audioread for formats libsndfile lacks."""
    try:
        with sf.SoundFile(path, mode="r") as handle:
            duration_s = handle.frames / float(handle.samplerate)
            if duration_s > MAX_DURATION_S:
                raise AudioError("too_long", f"{duration_s:.0f} s long; clips over {MAX_DURATION_S:g} s are "
                                 "not analysed", duration_s=duration_s)
            data = handle.read(dtype="float32", always_2d=True)
            return data, int(handle.samplerate), handle.subtype or "", handle.format or ""
    except AudioError:
        raise
    except Exception as sf_error:  # libsndfile could not decode it; try audioread (mp3 via ffmpeg etc.)
        try:
            import warnings

            import librosa

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                y, rate = librosa.load(path, sr=None, mono=False, dtype=np.float32)
        except Exception:
            raise AudioError("unreadable", f"cannot decode audio: {sf_error}") from None
        y = np.atleast_2d(y).T if y.ndim == 1 else y.T
        return np.ascontiguousarray(y, dtype=np.float32), int(rate), "", os.path.splitext(path)[1][1:].upper()


def load_audio(path: str | os.PathLike) -> LoadedAudio:
    """Decode a clip to mono float32 at its native rate.

    Parameters
    ----------
    path : str or PathLike
        An audio file in any format soundfile decodes (WAV/FLAC/OGG/MP3 ...), any bit depth, any
        channel count.

    Returns
    -------
    LoadedAudio

    Raises
    ------
    AudioError
        ``code="unreadable"`` for a missing, unreadable, empty, non-audio or all-NaN file;
        ``code="too_short"`` for a clip shorter than 0.1 s.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise AudioError("unreadable", "file not found")
    if os.path.isdir(path):
        raise AudioError("unreadable", "is a folder, not a file")
    if not os.access(path, os.R_OK):
        raise AudioError("unreadable", "permission denied (file is not readable)")
    if os.path.getsize(path) == 0:
        raise AudioError("unreadable", "file is empty (0 bytes)")

    data, sample_rate, subtype, fmt = _decode(path)
    if sample_rate <= 0:
        raise AudioError("unreadable", f"invalid sample rate {sample_rate}")
    if data.shape[0] == 0:
        raise AudioError("unreadable", "file holds no audio samples")

    notes: list[str] = []
    finite = np.isfinite(data)
    if not finite.all():
        bad = float(1.0 - finite.mean())
        if bad > 0.5:
            raise AudioError("unreadable", f"{bad:.0%} of the samples are NaN or infinite")
        notes.append(f"{bad:.2%} of the samples were NaN or infinite and were replaced by 0")
        data = np.where(finite, data, 0.0).astype(np.float32)

    channels = int(data.shape[1])
    channel_rms: list[float] = []
    if channels > 1:
        # Judge each channel before the downmix hides it.
        channel_rms = [round(_rms_dbfs(data[:, c]), 2) for c in range(channels)]
        loudest = max(channel_rms)
        dead = [c + 1 for c, r in enumerate(channel_rms) if r < loudest - DEAD_CHANNEL_DB]
        live = [r for c, r in enumerate(channel_rms) if c + 1 not in dead]
        if dead:
            notes.append(f"channel(s) {dead} of {channels} are silent or dead; measured on the live channel(s)")
            data = data[:, [c for c in range(channels) if c + 1 not in dead]]
        if len(live) > 1 and max(live) - min(live) > UNBALANCED_CHANNEL_DB:
            notes.append(f"channels are unbalanced by {max(live) - min(live):.1f} dB")
    samples = data.mean(axis=1, dtype=np.float32) if data.shape[1] > 1 else data[:, 0].copy()

    audio = LoadedAudio(samples=np.ascontiguousarray(samples, dtype=np.float32), sample_rate=sample_rate,
                        channels=channels, subtype=subtype, format=fmt, notes=notes,
                        channel_rms_dbfs=channel_rms)
    if audio.duration_s < MIN_DURATION_S:
        raise AudioError("too_short", f"clip is {audio.duration_s * 1000:.0f} ms long "
                         f"(under {MIN_DURATION_S * 1000:.0f} ms cannot be measured)")
    return audio
