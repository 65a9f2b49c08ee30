"""Load: decode a clip, validate it, downmix it. A broken file becomes an ``AudioError``, never a crash.

Files are only ever opened for reading.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import soundfile as sf

from .errors import AudioError
from .paths import probe_file

# A multi-channel clip whose channel is this far below the loudest one is "dead".
DEAD_CHANNEL_DB = 40.0
# Channels whose RMS differs by more than this are "unbalanced".
UNBALANCED_CHANNEL_DB = 6.0
# Clips longer than this are not decoded: a training clip lasts seconds, and a long recording would take
# memory (about 0.7 GB per hour at 48 kHz mono) for nothing; it is reported as `too_long` instead.
MAX_DURATION_S = 1800.0
# Nor are clips too large to hold and measure, judged from the header before decoding. A clip is decoded
# a block at a time and downmixed as it goes, so what is held is the mono downmix: MAX_FRAMES bounds it
# (10 minutes at 48 kHz, 30 minutes at 16 kHz: 110 MiB as float32). The measures hold about 17 bytes
# per sample of a long clip at their peak (scripts/bench_load_memory.py), so a worker stays under
# ~0.6 GB whatever it is given. MAX_DECODED_SAMPLES bounds the decoding work, duration x rate x
# channels (30 minutes of 48 kHz stereo).
MAX_FRAMES = 600 * 48000
MAX_DECODED_SAMPLES = 1800 * 48000 * 2
MIN_DURATION_S = 0.1
# One decoded block holds at most this many bytes of float32 (all channels).
BLOCK_BYTES = 4 * 2**20

@dataclass
class LoadedAudio:
    """A decoded, validated clip.

    Attributes
    ----------
    samples : np.ndarray
        Mono float32 samples (the downmix), full scale 1.0, finite.
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
    nonfinite_samples : int
        How many of the file's samples (all channels) were NaN or infinite; they are replaced by 0 in
        ``samples``.
    dead_channels : list of int
        1-based channels left out of the downmix because they are silent or dead.
    unbalance_db : float or None
        Level difference between the loudest and the quietest live channel, when over
        ``UNBALANCED_CHANNEL_DB``.
    """

    samples: np.ndarray
    sample_rate: int
    channels: int
    subtype: str = ""
    format: str = ""
    notes: list[str] = field(default_factory=list)
    channel_rms_dbfs: list[float] = field(default_factory=list)
    nonfinite_samples: int = 0
    dead_channels: list[int] = field(default_factory=list)
    unbalance_db: Optional[float] = None

    @property
    def duration_s(self) -> float:
        return self.samples.size / float(self.sample_rate)


def _check_size(frames: int, sample_rate: int, channels: int) -> None:
    """Refuse, before decoding, a clip that is too long or too large to hold (see the caps above)."""
    if sample_rate <= 0:
        raise AudioError("unreadable", f"invalid sample rate {sample_rate}", cause="decode",
                         info={"error": f"invalid sample rate {sample_rate}"})
    if channels <= 0:
        raise AudioError("unreadable", f"invalid channel count {channels}", cause="decode",
                         info={"error": f"invalid channel count {channels}"})
    duration_s = frames / float(sample_rate)
    if duration_s > MAX_DURATION_S:
        raise AudioError("too_long", f"{duration_s:.0f} s long; clips over {MAX_DURATION_S:g} s are "
                         "not analysed", duration_s=duration_s, limit_s=MAX_DURATION_S)
    if frames > MAX_FRAMES:
        raise AudioError("too_long", f"{duration_s:.0f} s long at {sample_rate} Hz: {frames / 1e6:.1f} M samples, "
                         f"over the {MAX_FRAMES / 1e6:.1f} M-sample cap (10 min at 48 kHz); not analysed",
                         duration_s=duration_s, limit_s=MAX_FRAMES / sample_rate)
    if frames * channels > MAX_DECODED_SAMPLES:
        raise AudioError("too_long", f"{duration_s:.0f} s long with {channels} channels: "
                         f"{frames * channels / 1e6:.0f} M samples to decode, over the "
                         f"{MAX_DECODED_SAMPLES / 1e6:.1f} M-sample cap (30 min of 48 kHz stereo); "
                         "not analysed", duration_s=duration_s, limit_s=MAX_DECODED_SAMPLES / (sample_rate * channels))


class _Downmix:
    """Accumulates decoded blocks: the mono downmix of the chosen channels, each channel's energy and
    the count of non-finite samples (replaced by 0)."""

    def __init__(self, frames: int, channels: int, keep: Optional[list[int]] = None):
        self.mono = np.empty(max(frames, 0), dtype=np.float32)
        self.filled = 0
        self.channels = channels
        self.keep = keep
        self.energy = np.zeros(channels, dtype=np.float64)
        self.nonfinite = 0

    def add(self, block: np.ndarray) -> None:
        finite = np.isfinite(block)
        if not finite.all():
            self.nonfinite += int(block.size - np.count_nonzero(finite))
            block[~finite] = 0.0
        if self.channels > 1:
            self.energy += np.einsum("ij,ij->j", block, block, dtype=np.float64)
        chosen = block if self.keep is None else block[:, self.keep]
        n = block.shape[0]
        if self.filled + n > self.mono.size:  # the header under-counted the frames
            self.mono = np.concatenate([self.mono[:self.filled], np.empty(max(n, self.mono.size // 2),
                                                                          dtype=np.float32)])
        out = self.mono[self.filled:self.filled + n]
        if chosen.shape[1] == 1:
            out[:] = chosen[:, 0]
        else:
            np.mean(chosen, axis=1, dtype=np.float32, out=out)
        self.filled += n

    def samples(self) -> np.ndarray:
        return self.mono[:self.filled] if self.filled < self.mono.size else self.mono


def _read_blocks(handle, mix: _Downmix) -> None:
    block_frames = max(1024, BLOCK_BYTES // (4 * handle.channels))
    buffer = np.empty((block_frames, handle.channels), dtype=np.float32)
    while True:
        block = handle.read(block_frames, dtype="float32", always_2d=True, out=buffer)
        if block.shape[0] == 0:
            break
        mix.add(block)
        if mix.filled > MAX_FRAMES or mix.filled * handle.channels > MAX_DECODED_SAMPLES:
            # The header promised less than the file holds: stop at the cap all the same.
            _check_size(mix.filled, int(handle.samplerate), int(handle.channels))
        if block.shape[0] < block_frames:
            break


def _decode_soundfile(handle) -> tuple[_Downmix, list[int]]:
    """Decode an open soundfile handle in blocks; a second pass leaves out dead channels."""
    channels = int(handle.channels)
    _check_size(int(handle.frames), int(handle.samplerate), channels)
    mix = _Downmix(int(handle.frames), channels)
    _read_blocks(handle, mix)
    dead = _dead_channels(mix)
    if not dead or not handle.seekable():
        return mix, []
    keep = [c for c in range(channels) if c + 1 not in dead]
    handle.seek(0)
    again = _Downmix(mix.filled, channels, keep=keep)
    _read_blocks(handle, again)
    again.energy, again.nonfinite = mix.energy, mix.nonfinite
    return again, dead


def _dead_channels(mix: _Downmix) -> list[int]:
    """1-based channels far below the loudest one (see ``DEAD_CHANNEL_DB``)."""
    if mix.channels < 2 or mix.filled == 0:
        return []
    rms = _channel_rms_dbfs(mix)
    loudest = max(rms)
    return [c + 1 for c, r in enumerate(rms) if r < loudest - DEAD_CHANNEL_DB]


def _channel_rms_dbfs(mix: _Downmix) -> list[float]:
    """Each channel's RMS in dBFS (-200 for a channel of exact zeros), 2 decimals."""
    mean_square = mix.energy / max(1, mix.filled)
    return [round(10.0 * np.log10(ms), 2) if ms > 0 else -200.0 for ms in mean_square]


def _decode_fallback(path: str, sf_error: Exception) -> tuple[_Downmix, list[int], int, str]:
    """Formats libsndfile lacks (m4a, some mp3): audioread gives the header, librosa decodes. When neither
    decodes the file, the error says what libsndfile said (the more telling of the two)."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # audioread imports modules deprecated in Python 3.11
            import audioread

            with audioread.audio_open(path) as handle:
                rate, channels, duration_s = int(handle.samplerate), int(handle.channels), float(handle.duration)
    except Exception:
        raise AudioError("unreadable", f"cannot decode audio: {sf_error}", cause="decode",
                         info={"error": str(sf_error)}) from None
    _check_size(int(duration_s * rate), rate, channels)
    try:
        import librosa

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y, rate = librosa.load(path, sr=None, mono=False, dtype=np.float32)
    except Exception as error:
        raise AudioError("unreadable", f"cannot decode audio: {error}", cause="decode",
                         info={"error": str(error)}) from None
    data = np.atleast_2d(y).T if y.ndim == 1 else y.T
    mix = _Downmix(data.shape[0], data.shape[1])
    mix.add(np.array(data, dtype=np.float32))
    dead = _dead_channels(mix)
    if dead and len(dead) < data.shape[1]:
        keep = [c for c in range(data.shape[1]) if c + 1 not in dead]
        again = _Downmix(data.shape[0], data.shape[1], keep=keep)
        again.add(np.array(data, dtype=np.float32))
        again.energy, again.nonfinite = mix.energy, mix.nonfinite
        mix = again
    return mix, dead, int(rate), os.path.splitext(path)[1][1:].upper()


def load_audio(path: str | os.PathLike) -> LoadedAudio:
    """Decode a clip to mono float32 at its native rate.

    The file is decoded a block at a time and downmixed as it goes, so memory holds the mono clip and one
    block whatever the channel count. Its size is checked against ``MAX_DURATION_S`` and
    ``MAX_DECODED_SAMPLES`` from the header, before decoding.

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
        ``code="unreadable"`` for a path that does not lead to a readable regular file, or a file that
        is empty, not audio or holds no samples (``cause`` says which, see
        :func:`voxaudit.paths.probe_file`); ``code="too_long"`` for a clip over the caps (with its
        duration from the header); ``code="too_short"`` for a clip shorter than 0.1 s.
    """
    path = os.fspath(path)
    probe_file(path)

    subtype = fmt = ""
    try:
        with sf.SoundFile(path, mode="r") as handle:
            sample_rate, channels = int(handle.samplerate), int(handle.channels)
            subtype, fmt = handle.subtype or "", handle.format or ""
            mix, dead = _decode_soundfile(handle)
    except AudioError:
        raise
    except Exception as sf_error:  # libsndfile could not decode it; try audioread (m4a, mp3 via ffmpeg etc.)
        mix, dead, sample_rate, fmt = _decode_fallback(path, sf_error)
        channels, subtype = mix.channels, ""
    if mix.filled == 0:
        raise AudioError("unreadable", "file holds no audio samples", cause="no_samples")

    notes: list[str] = []
    if mix.nonfinite:
        notes.append(f"{mix.nonfinite / float(mix.filled * channels):.2%} of the samples were NaN or infinite "
                     "and were replaced by 0")
    channel_rms: list[float] = []
    unbalance_db = None
    if channels > 1:
        # Judged per channel before the downmix hides it.
        channel_rms = _channel_rms_dbfs(mix)
        live = [r for c, r in enumerate(channel_rms) if c + 1 not in dead]
        if dead:
            notes.append(f"channel(s) {dead} of {channels} are silent or dead; measured on the live channel(s)")
        if len(live) > 1 and max(live) - min(live) > UNBALANCED_CHANNEL_DB:
            unbalance_db = round(max(live) - min(live), 2)
            notes.append(f"channels are unbalanced by {unbalance_db:.1f} dB")

    audio = LoadedAudio(samples=mix.samples(), sample_rate=sample_rate, channels=channels, subtype=subtype,
                        format=fmt, notes=notes, channel_rms_dbfs=channel_rms, nonfinite_samples=mix.nonfinite,
                        dead_channels=list(dead), unbalance_db=unbalance_db)
    if audio.duration_s < MIN_DURATION_S:
        raise AudioError("too_short", f"clip is {audio.duration_s * 1000:.0f} ms long "
                         f"(under {MIN_DURATION_S * 1000:.0f} ms cannot be measured)",
                         duration_s=audio.duration_s, limit_s=MIN_DURATION_S)
    return audio
