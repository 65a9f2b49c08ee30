"""Batched, device-aware embedding of many clips with any :class:`SpeakerEncoder`.

The encoder maps one padded batch to embeddings; this module owns everything around it (pyannote's
*inference*): buffering, sorting by length, batching, chunking long clips, lengthening very short
ones, device placement, ``torch.inference_mode``, precision, threads, and overlapping the reading of
clips with the network.

How clips are batched
---------------------
Clips are read into a window of at most ``window`` clips (and ``max_window_s`` seconds of audio),
cut into segments, sorted by length, and grouped longest first into batches of at most ``batch_size``
segments and ``max_batch_s`` seconds of padded audio. Each batch is zero-padded to its longest segment
and passed with relative lengths. Both encoders ignore padding exactly, so a clip's embedding does not
depend on what it was batched with (tests hold it to cosine >= 0.9999 against a batch of one).

Overlap and threads
-------------------
Batches run on ``streams`` background threads while the calling thread keeps reading the next window
from ``items`` (in a scan that is what drives decoding and measuring in the worker processes), so
reading overlaps inference; at most two windows are held at once, so memory stays bounded whatever
the number of clips. On CPU each stream runs its operators single-threaded
(``torch.set_num_threads(1)``, process-wide) and ``streams`` defaults to the number of usable cores:
independent clips on independent cores. Measured on a 2-core machine (``scripts/bench.py``, ECAPA):
on idle cores two single-threaded streams match one stream with two OpenMP threads (28.6x vs 26.7x
real time in float32); when other processes share the cores -- always the case in a scan, whose
decode workers run beside the encoder -- one descheduled OpenMP thread stalls the other at every
barrier, and the two-thread stream fell to 2-3x real time while two streams kept 6-14x.
On CUDA one stream overlaps host work (padding, pinned copies) with the GPU.

Precision
---------
``half='auto'`` (the default) runs the network under bfloat16 autocast where the hardware computes
bf16 natively (CPUs with AVX-512 BF16 or AMX, CUDA devices with bf16 support) and the encoder stays
faithful in bf16 (ECAPA-TDNN; GE2E's LSTM does not: cosine 0.9996, so it stays float32), else float32. The
front end (Fbank, normalisation) and the final statistics stay float32. ECAPA reads the autocast dtype
and runs its own forward pass with weights stored once in that dtype (no per-call casts; see
``voxaudit.speaker.ecapa``). Measured on ECAPA-TDNN against SpeechBrain float32 one file at a time
(``scripts/bench.py --parts ecapa --all-clips``, all 339 clips of ../shared/speech, 2-core Zen 4):
cosine >= 0.999987 on every clip, 82.6x real time against SpeechBrain ``encode_batch`` per file with
2 threads at 35.9x (2.30x; SpeechBrain's own modules under the same settings: 50.1x).
``half=False`` forces float32 (42.7x, cosine 1 - 1e-7); ``'fp16'`` is CUDA-only and opt-in.

Short and long clips
--------------------
* A clip shorter than the encoder's ``min_samples`` (ECAPA: 0.25 s) is repeated end to end up to that
  length (repetition keeps the voice; zero padding would add silence to the statistics). A zero-length
  or non-finite clip is refused with ``ParameterError`` (the load stage never produces one).
* A clip longer than ``max_chunk_s`` (ECAPA: 30 s; GE2E: no limit, its windows are fixed-size) is cut
  into equal chunks no longer than that, each chunk is embedded, and the clip's embedding is the
  length-weighted mean of the chunk embeddings, L2-normalised. Memory therefore stays bounded for
  10-minute clips; for such clips the result is an average rather than SpeechBrain's single pass.

>>> inf = EmbeddingInference(encoder)                                  # doctest: +SKIP
>>> for key, vector in inf.embed_many([("a", wav_a), ("b", wav_b)]):  # doctest: +SKIP
...     print(key, vector.shape)
"""

from __future__ import annotations

import contextlib
import math
import os
import queue
import threading
from collections import deque
from concurrent.futures import Future
from typing import Hashable, Iterable, Iterator, Optional, Union

import numpy as np
import torch

from ..errors import ParameterError
from .base import SpeakerEncoder

__all__ = ["EmbeddingInference", "default_batch_size", "resolve_precision", "cpu_has_native_bf16",
           "usable_cores"]

# Segments per forward pass, measured with scripts/bench.py. CPU: ECAPA one clip per pass per stream
# (padding costs more than batching saves); GE2E batches its fixed 1.6 s windows across clips.
_DEFAULT_BATCH = {
    ("cpu", "ecapa"): 1,
    ("cpu", "ge2e"): 64,
    ("cuda", "ecapa"): 32,
    ("cuda", "ge2e"): 64,
}


def default_batch_size(encoder: SpeakerEncoder, device: torch.device) -> int:
    """Clips per batch for this encoder on this kind of device."""
    family = encoder.name.split("-")[0]
    kind = "cuda" if torch.device(device).type == "cuda" else "cpu"
    return _DEFAULT_BATCH.get((kind, family), 1 if kind == "cpu" else 16)


# CPU streams per encoder family where not the usable cores (measured with scripts/bench.py): GE2E's
# per-clip preprocessing is Python (webrtcvad frame loop) and holds the GIL, so two GE2E streams
# contend (165x real time) where one stream with two OpenMP threads for the LSTM runs 205x.
_CPU_STREAMS = {"ge2e": 1}


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def cpu_has_native_bf16() -> bool:
    """True where the CPU computes bfloat16 natively (AVX-512 BF16 or AMX), so bf16 autocast is faster
    than float32; elsewhere oneDNN emulates bf16 and it is slower."""
    flags = ""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    flags = line
                    break
    except OSError:  # pragma: no cover - not Linux
        return False
    native = any(f in flags.split() for f in ("avx512_bf16", "amx_bf16"))
    try:
        return native and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # pragma: no cover - torch without oneDNN
        return False


# Encoder families whose embeddings under bf16 autocast stay within cosine 0.9999 of float32
# (scripts/bench.py on ../shared/speech): ECAPA-TDNN >= 0.99998. GE2E's LSTM drifts to 0.9996: float32.
BF16_FAITHFUL = frozenset({"ecapa"})


def _trim_heap() -> None:
    """Hand freed heap memory back to the OS (glibc ``malloc_trim``; no-op elsewhere).

    Activations of clips of ever-new lengths fragment glibc's arenas, so without this the resident
    memory of a long scan creeps up window after window; one trim per window (not per batch: that
    costs the page faults of re-growing the heap, +30 % CPU) keeps it flat at no measurable cost.
    """
    global _LIBC
    if _LIBC is None:
        try:
            import ctypes

            _LIBC = ctypes.CDLL("libc.so.6")
            _LIBC.malloc_trim.argtypes = [ctypes.c_size_t]
        except (OSError, AttributeError):
            _LIBC = False
    if _LIBC:
        _LIBC.malloc_trim(0)


_LIBC = None


def resolve_precision(half, device, family: Optional[str] = None) -> Optional[torch.dtype]:
    """The autocast dtype for ``half`` on ``device``, or None for float32.

    ``half``: ``'auto'``/None (bf16 where native and, when ``family`` is given, where that encoder
    family stays faithful in bf16 -- see ``BF16_FAITHFUL`` -- else float32), False/``'fp32'`` (float32), True
    (bf16 where supported, else fp16 on CUDA, bf16 on CPU), ``'bf16'``, ``'fp16'`` (CUDA only).
    """
    device = torch.device(device)
    if half is None or (isinstance(half, str) and half.lower() == "auto"):
        if family is not None and family not in BF16_FAITHFUL:
            return None
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
        return torch.bfloat16 if device.type == "cpu" and cpu_has_native_bf16() else None
    if half is False:
        return None
    spec = "true" if half is True else str(half).lower()
    if spec in ("fp32", "float32", "false", "no", "off", "0"):
        return None
    if spec in ("true", "yes", "on", "1", "half"):
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.bfloat16
    if spec in ("bf16", "bfloat16"):
        return torch.bfloat16
    if spec in ("fp16", "float16"):
        if device.type != "cuda":
            raise ParameterError(f"half={half!r}: float16 autocast needs a CUDA device; use 'bf16' on CPU")
        return torch.float16
    raise ParameterError(f"half must be 'auto', False, True, 'bf16' or 'fp16', got {half!r}")


# Kept for callers of the earlier private name.
_precision = resolve_precision


class _Streams:
    """``count`` daemon threads that run batches, each inside one long-lived inference/autocast
    context (so autocast's cache of reduced-precision weights lives as long as the thread)."""

    def __init__(self, run, count: int, device: torch.device, dtype: Optional[torch.dtype]):
        self._run = run
        self._jobs: "queue.Queue" = queue.Queue()
        self._threads = [threading.Thread(target=self._loop, args=(device, dtype), daemon=True,
                                          name=f"voxaudit-embed-{i}") for i in range(count)]
        for thread in self._threads:
            thread.start()

    def _loop(self, device: torch.device, dtype) -> None:
        precision = (torch.autocast(device_type=device.type, dtype=dtype) if dtype is not None
                     else contextlib.nullcontext())
        with torch.inference_mode(), precision:
            while True:
                job = self._jobs.get()
                if job is None:
                    return
                future, args = job
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(self._run(*args))
                except BaseException as error:  # handed to the caller, raised there
                    future.set_exception(error)

    def submit(self, *args) -> Future:
        future: Future = Future()
        self._jobs.put((future, args))
        return future

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:  # a batch already running finishes first (seconds at most)
            thread.join()


class EmbeddingInference:
    """Embed many clips with one encoder: batching, device, precision, threads.

    Parameters
    ----------
    encoder : SpeakerEncoder
    device : str or torch.device, optional
        ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or a device: move the encoder there first; default:
        where the encoder already is.
    batch_size : int, optional
        Segments per forward pass; default :func:`default_batch_size` (measured per device).
    half : 'auto', bool, 'bf16' or 'fp16'
        Autocast precision of the network (see the module notes). Default ``'auto'``: bf16 where the
        hardware computes it natively and the encoder stays within cosine 0.9999 of float32 (ECAPA),
        else float32.
    streams : int, optional
        Batches run concurrently on this many threads. Default: on CPU the usable cores (and then each
        stream's operators run single-threaded: ``torch.set_num_threads(1)``, process-wide), except
        GE2E (1 stream, threads left as they are); on CUDA 1.
    window : int or 'auto'
        Clips buffered and sorted by length before batching (bounds latency and memory); ``'auto'``:
        ``4 x streams x batch_size`` clamped to 16..64 (ECAPA on 2 CPU cores: 16; GE2E: 64).
    max_window_s : float
        Seconds of audio buffered per window at most (a window of long clips closes early); at most
        two windows are held at once.
    max_batch_s : float
        Seconds of *padded* audio per batch at most (batch rows x longest row).
    max_chunk_s : float, 'auto' or None
        Clips longer than this are embedded in chunks and averaged; ``'auto'`` takes the encoder's
        ``max_chunk_s``; ``None`` never chunks.
    num_threads : int, optional
        Intra-op threads per stream (``torch.set_num_threads``, process-wide); default 1 on CPU with
        several streams, else left as it is.

    Notes
    -----
    Embeddings come back as float32 numpy ``[D]`` arrays of unit length, in input order.
    """

    def __init__(self, encoder: SpeakerEncoder, *, device=None, batch_size: Optional[int] = None,
                 half: Union[bool, str, None] = "auto", streams: Optional[int] = None,
                 window: Union[int, str] = "auto",
                 max_window_s: float = 600.0, max_batch_s: float = 320.0,
                 max_chunk_s: Union[float, str, None] = "auto", num_threads: Optional[int] = None):
        if device is not None:
            from .weights import resolve_device

            encoder.to(resolve_device(device))
        self.encoder = encoder
        self.device = torch.device(encoder.device)
        self.batch_size = int(batch_size) if batch_size else default_batch_size(encoder, self.device)
        if self.batch_size < 1:
            raise ParameterError(f"batch_size must be >= 1, got {batch_size!r}")
        self.autocast_dtype = resolve_precision(half, self.device, encoder.name.split("-")[0])
        on_cpu = self.device.type == "cpu"
        if streams is None:
            family = encoder.name.split("-")[0]
            streams = _CPU_STREAMS.get(family, usable_cores()) if on_cpu else 1
        if int(streams) < 1:
            raise ParameterError(f"streams must be >= 1, got {streams!r}")
        self.streams = int(streams)
        if window == "auto":  # enough to sort and feed every stream twice over, and no more (memory)
            window = min(64, max(16, 4 * self.streams * self.batch_size))
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
        if num_threads is None and on_cpu and self.streams > 1:
            num_threads = 1
        if num_threads is not None:
            if int(num_threads) < 1:
                raise ParameterError(f"num_threads must be >= 1, got {num_threads!r}")
            torch.set_num_threads(int(num_threads))

    @property
    def precision(self) -> str:
        """``'fp32'``, ``'bf16'`` or ``'fp16'``: what the network runs in."""
        return {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[self.autocast_dtype]

    # -- public ----------------------------------------------------------------------------------------
    def embed_many(self, items: Iterable[tuple[Hashable, np.ndarray]]) -> Iterator[tuple[Hashable, np.ndarray]]:
        """Embed ``(key, samples)`` pairs; yield ``(key, embedding)`` once per pair, in input order.

        Parameters
        ----------
        items : iterable of (key, np.ndarray)
            ``samples``: mono float32 at the encoder's rate (16 kHz), full scale 1.0, at least one
            sample. Consumed lazily, ``window`` clips at a time, while the previous window is embedded.

        Yields
        ------
        (key, np.ndarray)
            The float32 ``[D]`` unit-length embedding.

        Raises
        ------
        ParameterError
            A clip that is empty, not 1-D or not finite (raised when it is read, after the clips read
            before it have been yielded).
        """
        streams = _Streams(self._forward, self.streams, self.device, self.autocast_dtype)
        pending: deque = deque()  # windows submitted, oldest first: (clips, owners, segments, futures)
        try:
            buffer: list[tuple[Hashable, np.ndarray]] = []
            buffered = 0
            # A small first window gets the streams working early; later windows are full size.
            limit = min(self.window, 2 * self.streams * self.batch_size)
            try:
                for key, samples in items:
                    wav = self._check(key, samples)
                    buffer.append((key, wav))
                    buffered += wav.size
                    if len(buffer) >= limit or buffered >= self.max_window_samples:
                        pending.append(self._submit_window(streams, buffer))
                        buffer, buffered, limit = [], 0, self.window
                        # Keep one window running while the next is read; collect the older one.
                        while len(pending) > 1:
                            yield from self._collect(*pending.popleft())
            except ParameterError:
                while pending:
                    yield from self._collect(*pending.popleft())
                if buffer:
                    yield from self._collect(*self._submit_window(streams, buffer))
                raise
            if buffer:
                pending.append(self._submit_window(streams, buffer))
            while pending:
                yield from self._collect(*pending.popleft())
        finally:
            for window in pending:
                for future in window[3]:
                    future.cancel()
            streams.close()

    def embed(self, samples: np.ndarray) -> np.ndarray:
        """Embed one clip; returns its float32 ``[D]`` unit-length embedding."""
        results = self.embed_many([(0, samples)])
        try:
            return next(results)[1]
        finally:
            results.close()  # stops the stream threads now, not at garbage collection

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
        """One padded batch through the encoder (runs on a stream thread, inside its autocast)."""
        longest = max(s.size for s in segments)
        cuda = self.device.type == "cuda"
        wavs = torch.zeros(len(segments), longest, dtype=torch.float32, pin_memory=cuda)
        for row, segment in enumerate(segments):
            wavs[row, :segment.size] = torch.from_numpy(segment)
        lengths = torch.tensor([s.size / longest for s in segments], dtype=torch.float32)
        if cuda:
            wavs = wavs.to(self.device, non_blocking=True)
            lengths = lengths.to(self.device, non_blocking=True)
        out = self.encoder.embed(wavs, lengths)
        return out.float().cpu().numpy()

    def _submit_window(self, streams: _Streams, clips: list[tuple[Hashable, np.ndarray]]):
        owners: list[int] = []
        segments: list[np.ndarray] = []
        for index, (_, wav) in enumerate(clips):
            for segment in self._segments(wav):
                owners.append(index)
                segments.append(segment)
        # Longest batches first: the streams finish together (longest-processing-time-first).
        batches = list(self._batches([s.size for s in segments]))
        futures = [streams.submit([segments[i] for i in batch]) for batch in batches]
        return clips, owners, segments, futures, batches

    def _collect(self, clips, owners, segments, futures, batches) -> Iterator[tuple[Hashable, np.ndarray]]:
        vectors = np.zeros((len(segments), int(self.encoder.dim)), dtype=np.float32)
        for batch, future in zip(batches, futures):
            vectors[batch] = future.result()
        sums = np.zeros((len(clips), vectors.shape[1]), dtype=np.float64)
        for owner, segment, vector in zip(owners, segments, vectors):
            sums[owner] += segment.size * vector.astype(np.float64)
        if self.device.type == "cpu":
            _trim_heap()
        for index, (key, _) in enumerate(clips):
            norm = np.linalg.norm(sums[index])
            yield key, (sums[index] / norm if norm > 0 else sums[index]).astype(np.float32)
