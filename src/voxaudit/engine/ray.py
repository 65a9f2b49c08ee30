"""The Ray engine: a scan's per-clip work on a Ray cluster (``voxaudit scan --engine ray``).

- **Measure** (CPU): one Ray task per clip runs the same per-clip unit as the local engine
  (:func:`voxaudit.pipeline.process_clip`: decode, validate, measure, judge, resample to 16 kHz). Its
  result comes back to the driver; its 16 kHz audio stays in the object store of the node that decoded it.
- **Embed** (GPU where present): an actor pool, each actor loading the encoder once. The driver hands
  each actor references to the audio (never the audio itself: Ray moves it from node to node), a few
  clips per call on CPU and batches of similar length on GPU; only the vectors come back.
- **Driver**: the measurement journal and the embedding cache (SQLite on the driver's disk, so a re-run
  skips what is finished wherever it ran), progress, then the set analysis, selection and reports over
  metrics and embeddings only.

Inputs must be paths every node can read at the same place (a shared or network file system). A clip
that a node cannot find but the driver can is reported as such, with the node's address.

Failures: a measuring task whose worker dies is run again (``max_retries``); an embedding actor that dies
is restarted and its calls are run again (``max_restarts``, ``max_task_retries``). Each clip's result is
taken once, by clip index, so a retried clip is never counted twice.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ..errors import ParameterError, VoxauditError
from ..model import ClipResult, ClipSource
from .local import measure_clip, worker_init

# Resource shares on a CPU-only cluster: one single-threaded embedding stream per CPU, and measuring tasks
# squeezed in beside them, as the local engine runs one stream per core beside its measuring workers
# (embedding is the bulk of the work: ECAPA 82x real time per 2 cores against 500x per core to measure).
CPU_ACTOR_SHARE = 0.5
CPU_TASK_SHARE = 0.5
# Clips per measuring task and per embedding call: enough that the driver's per-call cost (submit, wait,
# get: about 2 ms) is spread thin (scripts/bench.py --parts ray measures the driver's CPU per clip), few
# enough to spread a set over the cluster's workers. On GPU the embedding calls are batched by length.
CLIPS_PER_TASK = 64
CLIPS_PER_CALL_CPU = 32
CLIPS_PER_CALL_GPU = 64
# Calls in flight per actor (one running, one queued so the actor never waits on the driver).
CALLS_PER_ACTOR = 2
# Measuring tasks in flight per CPU of the cluster (bounds the driver's memory and the object store).
TASKS_PER_CPU = 2
# The driver waits this long for the first ready result before looking again (s).
WAIT_S = 1.0
# A task or actor call whose worker process died is run again this many times.
RETRIES = 3
# How long to wait for a cluster's address to accept a connection before saying it is unreachable (s).
CONNECT_TIMEOUT_S = 5.0


class RayEngineError(VoxauditError):
    """The Ray cluster cannot be reached or used."""


@dataclass
class EncoderInfo:
    """What the driver needs of an encoder that runs in the actors."""

    name: str
    dim: int
    weights_sha256: str
    notice: Optional[str]
    version: str
    device: str


def import_ray():
    """The ``ray`` module, or a clear error naming the extra to install."""
    try:
        import ray
    except ImportError:
        raise ParameterError('the Ray engine needs Ray: pip install "voxaudit[ray]"') from None
    return ray


# -- remote functions (run on the cluster's workers) -------------------------------------------------

_SINGLE_THREADED = False


def _measure(batch: list[tuple[ClipSource, Optional[ClipResult]]], config, lang: str, want_audio: bool):
    """The per-clip unit for a batch of clips on one worker: ``([(result, node address), ...], wav16k or
    None, wav16k or None, ...)`` -- each clip's audio a separate return value, so it can stay in this
    node's object store and go straight to an embedding actor."""
    global _SINGLE_THREADED
    if not _SINGLE_THREADED:  # one clip at a time per worker: keep it to one core, as the local workers
        worker_init()
        _SINGLE_THREADED = True
    import ray

    node = ray.util.get_node_ip_address()
    metas, wavs = [], []
    for source, known in batch:
        result, wav, reused = measure_clip(source, config, lang, want_audio, known)
        metas.append((result, node, reused))
        wavs.append(wav)
    return (metas, *wavs)


class EmbedActor:
    """Holds one encoder and embeds the clips it is handed (16 kHz float32 audio, by reference)."""

    def __init__(self, encoder: str, model_dir: Optional[str], device: str, allow_download: bool,
                 verify: bool, batch_size: Optional[int], half, streams: Optional[int]):
        from .. import __version__
        from ..speaker import EmbeddingInference, load_encoder

        self.encoder, notice = load_encoder(encoder, model_dir=model_dir, device=device,
                                            allow_download=allow_download, verify=verify)
        kwargs = {"streams": streams, "num_threads": 1} if streams else {}
        self.inference = EmbeddingInference(self.encoder, batch_size=batch_size, half=half, **kwargs)
        self._info = EncoderInfo(name=self.encoder.name, dim=int(self.encoder.dim),
                                 weights_sha256=self.encoder.weights_sha256, notice=notice, version=__version__,
                                 device=str(self.inference.device))

    def info(self) -> EncoderInfo:
        return self._info

    def embed(self, keys: list, *wavs: np.ndarray) -> list[tuple[object, np.ndarray]]:
        """``(key, embedding)`` for each clip (the audio arrives resolved from its references)."""
        return list(self.inference.embed_many(zip(keys, wavs)))


# -- the driver --------------------------------------------------------------------------------------

class RayEngine:
    """Runs a scan's per-clip work on Ray; see the module docstring.

    Parameters
    ----------
    options : ScanOptions
        ``ray_address`` (None: start a Ray instance on this machine with ``jobs`` CPUs; ``"auto"``: the
        cluster this machine belongs to; ``"HOST:PORT"``), ``ray_gpus_per_actor`` (GPUs per embedding
        actor, fractions allowed; default 1 where the cluster has GPUs, else 0) and ``ray_actors``
        (default: one per GPU share, or one per CPU on a CPU-only cluster), plus the encoder options.
    tell : callable
        Receives one-line notices.
    """

    def __init__(self, options, tell: Callable[[str], None]):
        self.options = options
        self.tell = tell
        self.started_here = False
        self.actors: list = []
        # What the run used and cost (report.json summary.engine).
        self.stats: dict = {"name": "ray"}

    # -- connection ------------------------------------------------------------------------------------
    def connect(self):
        ray = import_ray()
        address = self.options.ray_address
        if ray.is_initialized():
            return ray
        env = {k: os.environ[k] for k in ("HF_HUB_OFFLINE", "VOXAUDIT_MODEL_DIR", "XDG_CACHE_HOME")
               if k in os.environ}
        kwargs = dict(namespace="voxaudit", log_to_driver=False, include_dashboard=False,
                      runtime_env={"env_vars": env} if env else None)
        if address in (None, "", "local"):
            ray.init(num_cpus=self.options.jobs, **kwargs)
            self.started_here = True
            return ray
        if address != "auto":
            host, _, port = str(address).rpartition(":")
            if not host or not port.isdigit():
                raise ParameterError(f"--ray-address must be auto or HOST:PORT, got {address!r}")
            try:
                with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S):
                    pass
            except OSError as error:
                raise RayEngineError(f"cannot reach the Ray cluster at {address}: {error} (is `ray start --head` "
                                     f"running there, and is the port open?)") from None
        try:
            ray.init(address=address, **kwargs)
        except (ConnectionError, RuntimeError, ValueError) as error:
            raise RayEngineError(f"cannot join the Ray cluster at {address}: {error}") from None
        return ray

    def close(self) -> None:
        ray = import_ray()
        for actor in self.actors:
            try:
                ray.kill(actor)
            except Exception:  # pragma: no cover - already gone
                pass
        self.actors = []
        if ray.is_initialized():
            ray.shutdown()

    # -- the run ---------------------------------------------------------------------------------------
    def run(self, sources: list[ClipSource], *, config, lang: str, known: dict[int, ClipResult],
            identity, record: Callable[[int, ClipResult, bool], None]) -> dict[int, np.ndarray]:
        """Measure every clip (``record(index, result, reused)`` as each finishes, in completion order;
        ``reused``: the journalled result was taken as it was) and, with
        an ``identity`` stage, embed the readable ones; return ``index -> embedding``.
        """
        import time

        ray = self.connect()
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        try:
            return self._run(ray, sources, config=config, lang=lang, known=known, identity=identity, record=record)
        finally:
            # The driver's share of the per-clip work (CPU of this process while clips stream through,
            # the connection and the encoder's loading included): what a GPU node could wait on.
            self.stats.update(wall_s=round(time.perf_counter() - start_wall, 3),
                              driver_cpu_s=round(time.process_time() - start_cpu, 3))
            self.close()

    def _run(self, ray, sources, *, config, lang, known, identity, record) -> dict[int, np.ndarray]:
        opts = self.options
        want_audio = identity is not None
        resources = ray.cluster_resources()
        cpus = max(1.0, float(resources.get("CPU", 1.0)))
        gpus = float(resources.get("GPU", 0.0))
        gpu_share = opts.ray_gpus_per_actor if opts.ray_gpus_per_actor is not None else (1.0 if gpus >= 1 else 0.0)
        if gpu_share and gpu_share > gpus:
            raise ParameterError(f"--ray-gpus-per-actor {gpu_share:g} but the cluster has {gpus:g} GPU(s)")
        on_gpu = gpu_share > 0
        self.stats.update(cpus=cpus, gpus=gpus, nodes=len([n for n in ray.nodes() if n.get("Alive")]))
        embeddings: dict[int, np.ndarray] = {}
        driver_node = ray.util.get_node_ip_address()

        # Clips already measured need no task unless their audio is wanted.
        todo = list(range(len(sources)))
        if not want_audio:
            for index in sorted(known):
                record(index, known[index], True)
            todo = [i for i in todo if i not in known]

        # The embedding actors, and the encoder they hold.
        if want_audio and todo:
            n_actors = opts.ray_actors or (max(1, int(gpus // gpu_share)) if on_gpu else max(1, int(cpus)))
            actor_cls = ray.remote(EmbedActor).options(
                num_cpus=1 if on_gpu else CPU_ACTOR_SHARE, num_gpus=gpu_share if on_gpu else 0,
                max_restarts=RETRIES, max_task_retries=RETRIES)
            args = (opts.encoder, opts.model_dir, "cuda" if on_gpu else "cpu", opts.allow_download,
                    not getattr(opts, "unverified_weights", False), opts.batch_size, opts.half,
                    None if on_gpu else 1)
            self.actors = [actor_cls.remote(*args) for _ in range(n_actors)]
            self.stats.update(actors=n_actors, gpus_per_actor=gpu_share)
            try:
                info: EncoderInfo = ray.get(self.actors[0].info.remote())
            except ray.exceptions.RayActorError as error:
                raise RayEngineError(f"the embedding actors could not load the encoder: {error}") from None
            identity.use_encoder(info)
            if info.notice:
                self.tell(info.notice)
            from .. import __version__

            if info.version != __version__:
                self.tell(f"the cluster's workers run voxaudit {info.version}, this driver {__version__}: "
                          "install the same version on every node")
            self.tell(f"Ray engine: {len(self.actors)} embedding actor(s) on {info.device}"
                      f"{f' ({gpu_share:g} GPU each)' if on_gpu else ''}, {cpus:g} CPU(s) in the cluster")

        measure = ray.remote(_measure)
        task_cpus = 1 if on_gpu or not want_audio else CPU_TASK_SHARE
        max_tasks = max(2, int(TASKS_PER_CPU * cpus))
        per_call = CLIPS_PER_CALL_GPU if on_gpu else CLIPS_PER_CALL_CPU
        missing_on: dict[str, int] = {}

        pending_measure: dict = {}          # metas ref -> [(index, wav ref), ...]
        queue: list[tuple[int, str, object, float]] = []  # waiting to be embedded
        pending_embed: dict = {}            # call ref -> actor number
        calls = [0] * len(self.actors)
        next_todo = 0

        def dispatch(final: bool) -> None:
            # Hand waiting clips to actors with room, similar lengths together.
            while queue and self.actors:
                free = [a for a in range(len(self.actors)) if calls[a] < CALLS_PER_ACTOR]
                if not free or (len(queue) < per_call and not final):
                    return
                queue.sort(key=lambda item: item[3])
                chunk, queue[:] = queue[:per_call], queue[per_call:]
                a = min(free, key=lambda k: calls[k])
                ref = self.actors[a].embed.remote([(i, sha) for i, sha, _, _ in chunk], *[w for _, _, w, _ in chunk])
                pending_embed[ref] = a
                calls[a] += 1

        def measured(ref, metas) -> None:
            for (index, wav), (result, node, reused) in zip(pending_measure.pop(ref), metas):
                if node and node != driver_node and not result.readable and os.path.exists(sources[index].path):
                    missing_on[node] = missing_on.get(node, 0) + 1
                    result.notes.append(f"node {node} could not read this file, which exists on the "
                                        f"machine that started the scan")
                record(index, result, reused)
                if want_audio and result.content_sha256 and result.readable:
                    hit = identity.cached(result.content_sha256)
                    if hit is not None:
                        embeddings[index] = hit
                    else:
                        duration = float((result.metrics or {}).get("duration_s") or 0.0)
                        queue.append((index, result.content_sha256, wav, duration))

        def failed(ref, error) -> None:  # retries exhausted: those clips only
            from ..signal.findings import make_finding

            metas = []
            for index, _ in pending_measure[ref]:
                result = ClipResult(source=sources[index])
                result.findings = [make_finding("unreadable", "error", lang=lang,
                                                detail=f"the Ray worker failed: {type(error).__name__}")]
                metas.append((result, None, False))
            measured(ref, metas)

        while next_todo < len(todo) or pending_measure or pending_embed or queue:
            while next_todo < len(todo) and len(pending_measure) < max_tasks:
                batch = todo[next_todo:next_todo + CLIPS_PER_TASK]
                next_todo += len(batch)
                refs = measure.options(num_returns=len(batch) + 1, max_retries=RETRIES, num_cpus=task_cpus).remote(
                    [(sources[i], known.get(i)) for i in batch], config, lang, want_audio)
                pending_measure[refs[0]] = list(zip(batch, refs[1:]))
            dispatch(final=not pending_measure and next_todo >= len(todo))
            waiting = list(pending_measure) + list(pending_embed)
            if not waiting:
                continue
            ready, rest = ray.wait(waiting, num_returns=1, timeout=WAIT_S)
            if ready and rest:
                more, _ = ray.wait(rest, num_returns=len(rest), timeout=0)
                ready += more
            for ref in ready:
                if ref in pending_measure:
                    try:
                        metas = ray.get(ref)
                    except ray.exceptions.RayError as error:
                        failed(ref, error)
                    else:
                        measured(ref, metas)
                else:
                    a = pending_embed.pop(ref)
                    calls[a] -= 1
                    try:
                        vectors = ray.get(ref)
                    except ray.exceptions.RayError as error:
                        raise RayEngineError(f"embedding failed on the cluster after {RETRIES} retries: "
                                             f"{error}") from None
                    for (index, sha), vector in vectors:
                        if index not in embeddings:  # a retried call cannot count a clip twice
                            embeddings[index] = np.asarray(vector, dtype=np.float32)
                            identity.remember(sha, embeddings[index])
        if missing_on:
            nodes = ", ".join(f"{node} ({n} clip(s))" for node, n in sorted(missing_on.items()))
            self.tell(f"clips that exist on this machine could not be read on node(s) {nodes}: the inputs "
                      "must be on a file system every node mounts at the same path")
        return embeddings
