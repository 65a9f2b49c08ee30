"""The local engine: the per-clip work of a scan in a pool of worker processes on this machine.

It only moves clips and results: each worker runs :func:`measure_clip` (the same per-clip unit the Ray
engine runs), one clip at a time and single-threaded, with at most ``2 * jobs`` clips in flight, and the
results come back in completion order. The encoder runs in the main process (``identity.IdentityStage``).
"""

from __future__ import annotations

import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Iterator, Optional

import numpy as np

from ..model import ClipResult, ClipSource


def measure_clip(source: ClipSource, config, lang: str, want_audio: bool, known: Optional[ClipResult] = None
                 ) -> tuple[ClipResult, Optional[np.ndarray], bool]:
    """The per-clip unit as a worker runs it: :func:`voxaudit.pipeline.process_clip`, plus the clip's
    measurement-journal record made here, so the main process only stores it. Returns ``(result,
    wav16k or None, reused)``; ``reused`` when ``known`` (the journalled result) was taken as it was."""
    from ..journal import journal_entry
    from ..pipeline import process_clip  # the pipeline imports this module

    result, wav = process_clip(source, config, lang, want_audio, known)
    reused = known is not None and result is known
    if not reused:
        result.journal_entry = journal_entry(result)
    return result, wav, reused


def worker_init() -> None:
    """One clip at a time per worker: keep each worker single-threaded so N workers use N cores."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = "1"
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except Exception:  # pragma: no cover - threadpoolctl is optional here
        pass


def default_jobs() -> int:
    """The CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def iter_processed(sources: list[ClipSource], *, config, lang: str, want_audio: bool, jobs: int,
                   known: Optional[dict[int, ClipResult]] = None
                   ) -> Iterator[tuple[int, ClipResult, Optional[np.ndarray], bool]]:
    """Yield ``(index, result, wav16k, reused)`` for every clip, in completion order.

    ``known`` maps clip index to a journalled result: such a clip is not measured again, and not even
    opened unless its audio is wanted. At most ``2 * jobs`` clips are in flight, so memory stays
    bounded whatever the set size.
    """
    from ..signal.findings import make_finding

    known = known or {}
    if not want_audio:
        for index in sorted(known):
            yield index, known[index], None, True
        sources_left = [i for i in range(len(sources)) if i not in known]
    else:
        sources_left = list(range(len(sources)))
    if jobs <= 1 or len(sources_left) <= 1:
        for index in sources_left:
            yield (index, *measure_clip(sources[index], config, lang, want_audio, known.get(index)))
        return

    import multiprocessing as mp

    context = mp.get_context("spawn")  # never fork a process that may hold torch threads
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=worker_init) as pool:
        pending: dict[Future, int] = {}
        next_index = 0
        max_in_flight = 2 * jobs
        while next_index < len(sources_left) or pending:
            while next_index < len(sources_left) and len(pending) < max_in_flight:
                index = sources_left[next_index]
                future = pool.submit(measure_clip, sources[index], config, lang, want_audio, known.get(index))
                pending[future] = index
                next_index += 1
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                index = pending.pop(future)
                try:
                    result, wav, reused = future.result()
                except Exception as error:  # a worker died (e.g. out of memory): that clip only
                    result = ClipResult(source=sources[index])
                    result.findings = [make_finding("unreadable", "error", lang=lang, cause="worker",
                                                    detail=f"worker failed: {type(error).__name__}: {error}",
                                                    error=f"{type(error).__name__}: {error}")]
                    wav, reused = None, False
                yield index, result, wav, reused
