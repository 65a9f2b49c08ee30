"""Batched, device-aware embedding of many clips with any :class:`SpeakerEncoder`.

The encoder maps one padded batch to embeddings; this module owns everything around it (pyannote's
*inference*): buffering, sorting by length, batching, chunking long clips, lengthening very short
ones, device placement, ``torch.inference_mode``, optional reduced precision and thread settings.

How clips are batched
---------------------
Clips are read into a window of at most ``window`` clips (and ``max_window_s`` seconds of audio),
cut into segments, sorted by length, and grouped longest first into batches of at most ``batch_size``
segments and ``max_batch_s`` seconds of padded audio. Each batch is zero-padded to its longest segment
and passed with relative lengths. Both encoders ignore padding exactly, so a clip's embedding does not
depend on what it was batched with (tests hold it to cosine >= 0.9999 against a batch of one).

Short and long clips
--------------------
* A clip shorter than the encoder's ``min_samples`` (ECAPA: 0.25 s) is repeated end to end up to that
  length (repetition keeps the voice; zero padding would add silence to the statistics). A zero-length
  or non-finite clip is refused with ``ParameterError`` (the load stage never produces one).
* A clip longer than ``max_chunk_s`` (ECAPA: 30 s; GE2E: no limit, its windows are fixed-size) is cut
  into equal chunks no longer than that, each chunk is embedded, and the clip's embedding is the
  length-weighted mean of the chunk embeddings, L2-normalised. Memory therefore stays bounded for
  10-minute clips; for such clips the result is an average rather than SpeechBrain's single pass.

Defaults (measured, see ``scripts/bench_embeddings.py``)
--------------------------------------------------------
On CPU, ECAPA runs fastest one clip at a time (batch 1: padding costs more than batching saves), GE2E
batches its 1.6 s windows across clips (batch 16). On CUDA both batch 32. Precision is float32 unless
``half`` is asked for: reduced precision is opt-in because it moves embeddings (see the benchmark).

>>> inf = EmbeddingInference(encoder)                                  # doctest: +SKIP
>>> for key, vector in inf.embed_many([("a", wav_a), ("b", wav_b)]):  # doctest: +SKIP
...     print(key, vector.shape)
"""

from __future__ import annotations

import contextlib
import math
from typing import Hashable, Iterable, Iterator, Optional, Union

import numpy as np
import torch

from ..errors import ParameterError
from .base import SpeakerEncoder

__all__ = ["EmbeddingInference", "default_batch_size"]

# Measured on the development machines (scripts/bench_embeddings.py).
_DEFAULT_BATCH = {
    ("cpu", "ecapa"): 1,
    ("cpu", "ge2e"): 16,
    ("cuda", "ecapa"): 32,
    ("cuda", "ge2e"): 32,
}


def default_batch_size(encoder: SpeakerEncoder, device: torch.device) -> int:
    """Clips per batch for this encoder on this kind of device."""
    family = encoder.name.split("-")[0]
    kind = "cuda" if torch.device(device).type == "cuda" else "cpu"
    return _DEFAULT_BATCH.get((kind, family), 1 if kind == "cpu" else 16)


def _precision(half, device: torch.device) -> Optional[torch.dtype]:
    """None (float32) or the autocast dtype for ``half``: False/None/'fp32', True, 'bf16', 'fp16'."""
    if half is None or half is False:
        return None
    spec = str(half).lower() if not isinstance(half, bool) else "auto"
    if spec in ("fp32", "float32", "false", "no", "off", "0"):
        return None
    if spec in ("auto", "true", "yes", "on", "1", "half"):
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.bfloat16
    if spec in ("bf16", "bfloat16"):
        return torch.bfloat16
    if spec in ("fp16", "float16"):
        if device.type != "cuda":
            raise ParameterError(f"half={half!r}: float16 autocast needs a CUDA device; use 'bf16' on CPU")
        return torch.float16
    raise ParameterError(f"half must be False, True, 'bf16' or 'fp16', got {half!r}")


class EmbeddingInference:
    """Embed many clips with one encoder: batching, device, precision.

    Parameters
    ----------
    encoder : SpeakerEncoder
    device : str or torch.device, optional
        Move the encoder there first; default: where the encoder already is.
    batch_size : int, optional
        Segments per forward pass; default :func:`default_batch_size` (measured per device).
    half : bool or {'bf16', 'fp16'}
        Opt-in autocast: ``True`` picks bf16 where supported (fp16 on older GPUs; bf16 on CPU).
        Default float32, which is numerically faithful to the reference implementations.
    window : int
        Clips buffered and sorted by length before batching (bounds latency and memory).
    max_window_s : float
        Seconds of audio buffered at most (a window of long clips closes early).
    max_batch_s : float
        Seconds of *padded* audio per batch at most (batch rows x longest row).
    max_chunk_s : float, 'auto' or None
        Clips longer than this are embedded in chunks and averaged; ``'auto'`` takes the encoder's
        ``max_chunk_s``; ``None`` never chunks.
    num_threads : int, optional
        Set ``torch.set_num_threads`` (process-wide) before the first batch.

    Notes
    -----
    Embeddings come back as float32 numpy ``[D]`` arrays of unit length.
    """

    def __init__(self, encoder: SpeakerEncoder, *, device=None, batch_size: Optional[int] = None,
                 half: Union[bool, str, None] = False, window: int = 64, max_window_s: float = 1800.0,
                 max_batch_s: float = 320.0, max_chunk_s: Union[float, str, None] = "auto",
                 num_threads: Optional[int] = None):
        if device is not None:
            encoder.to(torch.device(device))
        self.encoder = encoder
        self.device = torch.device(encoder.device)
        self.batch_size = int(batch_size) if batch_size else default_batch_size(encoder, self.device)
        if self.batch_size < 1:
            raise ParameterError(f"batch_size must be >= 1, got {batch_size!r}")
        self.autocast_dtype = _precision(half, self.device)
        if int(window) < 1:
            raise ParameterError(f"window must be >= 1, got {window!r}")
        self.window = int(window)
        rate = int(encoder.sample_rate)
        self.max_window_samples = int(float(max_window_s) * rate)
        self.max_batch_samples = int(float(max_batch_s) * rate)
        if self.max_batch_samples < 1 or self.max_window_samples < 1:
            raise ParameterError(f"max_batch_s and max_window_s must be > 0, got {max_batch_s!r}, "
                                 f"{max_window_s!r}")
        chunk = encoder.max_chunk_s if max_chunk_s == "auto" else max_chunk_s
        self.max_chunk_samples = int(float(chunk) * rate) if chunk else None
        if self.max_chunk_samples is not None and self.max_chunk_samples < max(encoder.min_samples, 1):
            raise ParameterError(f"max_chunk_s={max_chunk_s!r} is shorter than the encoder's minimum clip")
        if num_threads is not None:
            torch.set_num_threads(int(num_threads))

    # -- public ----------------------------------------------------------------------------------------
    def embed_many(self, items: Iterable[tuple[Hashable, np.ndarray]]) -> Iterator[tuple[Hashable, np.ndarray]]:
        """Embed ``(key, samples)`` pairs; yield ``(key, embedding)`` once per pair.

        Parameters
        ----------
        items : iterable of (key, np.ndarray)
            ``samples``: mono float32 at the encoder's rate (16 kHz), full scale 1.0, at least one
            sample. Consumed lazily, ``window`` clips at a time.

        Yields
        ------
        (key, np.ndarray)
            The float32 ``[D]`` unit-length embedding, in input order within each window (and windows
            in input order, so overall in input order).

        Raises
        ------
        ParameterError
            A clip that is empty, not 1-D or not finite (raised when it is read; clips of earlier
            windows have already been yielded).
        """
        buffer: list[tuple[Hashable, np.ndarray]] = []
        buffered = 0
        for key, samples in items:
            wav = self._check(key, samples)
            buffer.append((key, wav))
            buffered += wav.size
            if len(buffer) >= self.window or buffered >= self.max_window_samples:
                yield from self._run_window(buffer)
                buffer, buffered = [], 0
        if buffer:
            yield from self._run_window(buffer)

    def embed(self, samples: np.ndarray) -> np.ndarray:
        """Embed one clip; returns its float32 ``[D]`` unit-length embedding."""
        return next(self.embed_many([(0, samples)]))[1]

    # -- internals -------------------------------------------------------------------------------------
    @staticmethod
    def _check(key, samples) -> np.ndarray:
        wav = np.asarray(samples)
        if wav.ndim != 1:
            raise ParameterError(f"clip {key!r}: samples must be mono [n], got shape {wav.shape}")
        if wav.size == 0:
            raise ParameterError(f"clip {key!r}: no samples")
        wav = np.ascontiguousarray(wav, dtype=np.float32)
        if not np.isfinite(wav).all():
            raise ParameterError(f"clip {key!r}: samples contain NaN or infinity")
        return wav

    def _segments(self, wav: np.ndarray) -> list[np.ndarray]:
        """Repeat a too-short clip to the encoder's minimum; cut a too-long one into equal chunks."""
        minimum = int(self.encoder.min_samples)
        if wav.size < minimum:
            wav = np.tile(wav, math.ceil(minimum / wav.size))[:minimum]
        limit = self.max_chunk_samples
        if limit is None or wav.size <= limit:
            return [wav]
        pieces = math.ceil(wav.size / limit)
        step = math.ceil(wav.size / pieces)
        return [wav[start:start + step] for start in range(0, wav.size, step)]

    def _batches(self, lengths: list[int]) -> Iterator[list[int]]:
        """Indices grouped longest first under ``batch_size`` and ``max_batch_samples``."""
        order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
        batch: list[int] = []
        for i in order:
            longest = lengths[batch[0]] if batch else lengths[i]
            if batch and (len(batch) >= self.batch_size or (len(batch) + 1) * longest > self.max_batch_samples):
                yield batch
                batch = []
            batch.append(i)
        if batch:
            yield batch

    def _forward(self, segments: list[np.ndarray]) -> np.ndarray:
        longest = max(s.size for s in segments)
        wavs = torch.zeros(len(segments), longest, dtype=torch.float32)
        for row, segment in enumerate(segments):
            wavs[row, :segment.size] = torch.from_numpy(segment)
        lengths = torch.tensor([s.size / longest for s in segments], dtype=torch.float32)
        if self.device.type == "cuda":
            wavs = wavs.pin_memory().to(self.device, non_blocking=True)
        if self.autocast_dtype is None:
            precision = contextlib.nullcontext()
        else:
            precision = torch.autocast(device_type=self.device.type, dtype=self.autocast_dtype)
        with torch.inference_mode(), precision:
            out = self.encoder.embed(wavs, lengths)
        return out.float().cpu().numpy()

    def _run_window(self, clips: list[tuple[Hashable, np.ndarray]]) -> Iterator[tuple[Hashable, np.ndarray]]:
        owners: list[int] = []
        segments: list[np.ndarray] = []
        for index, (_, wav) in enumerate(clips):
            for segment in self._segments(wav):
                owners.append(index)
                segments.append(segment)
        vectors = np.zeros((len(segments), int(self.encoder.dim)), dtype=np.float32)
        for batch in self._batches([s.size for s in segments]):
            vectors[batch] = self._forward([segments[i] for i in batch])

        sums = np.zeros((len(clips), vectors.shape[1]), dtype=np.float64)
        for owner, segment, vector in zip(owners, segments, vectors):
            sums[owner] += segment.size * vector.astype(np.float64)
        for index, (key, _) in enumerate(clips):
            norm = np.linalg.norm(sums[index])
            yield key, (sums[index] / norm if norm > 0 else sums[index]).astype(np.float32)
