#!/usr/bin/env python
"""voxaudit speed, measured against the baselines a user would write, all in one run.

Parts (``--parts``, default all):

* ``ecapa``: ECAPA-TDNN embeddings, x real time. Baseline: SpeechBrain
  ``EncoderClassifier.from_hparams(...)`` + ``encode_batch(wav)`` (its default, normalize=False, as voxaudit's ``ecapa``) one file at a time,
  ``torch.set_num_threads(--threads)``. voxaudit: ``EmbeddingInference`` with its defaults (and in
  float32 for reference; with ``--extra`` also through SpeechBrain's own modules, ``fast=False``). Same weights: a randomly initialised checkpoint in SpeechBrain's layout
  (``voxaudit.speaker.random_ecapa``; speed does not depend on the weight values), or the folder given
  with ``--model-dir`` (verified unless ``--unverified-weights``). Cosine of every clip's pair.
* ``ge2e``: GE2E embeddings. Baseline: resemblyzer ``VoiceEncoder().embed_utterance(preprocess_wav(wav,
  source_sr=16000))`` one file at a time; both get the same 16 kHz arrays (decoding is not timed).
* ``signal``: runs ``scripts/bench_signal.py`` (its own baseline inside), one core.
* ``host`` (not in the default parts): the scan with an encoder that costs nothing, at 1x and
  ``--scale`` x: the main process's CPU per clip and the workers' CPU per second of audio, i.e. the
  ceiling the host side puts on a GPU scan.
* ``ray`` (not in the default parts): the Ray engine (a local Ray instance with this machine's CPUs) and the
  local engine on the same ``--ray-hours`` of audio (copies of the ``--scan-minutes`` set, each distinct),
  one after the other: wall time ratio (target <= 1.15) and peak memory of each; and, with an encoder that
  costs nothing at 1x and ``--scale`` x, the driver's CPU per clip, with Ray's own polling while it waits
  (measured idle in the same run) said apart (target <= 0.3 ms a clip).
* ``scan``: end-to-end ``voxaudit scan`` as a subprocess at 1x and ``--scale`` x the set, x real time,
  wall time for one hour of audio (extrapolated), CPU time of the process tree, and peak memory of
  the whole process tree (sampled from /proc every 0.1 s) plus the largest single process (its
  ``VmHWM``). The larger set is made of
  copies whose last sample differs by one LSB, so every copy has a new content hash and is really
  decoded, measured and embedded (the embedding cache is fresh and cannot make repeats free).

Timings on a shared machine are noisy: variants of one part run interleaved, ``--repeat`` times, and
the best run of each is reported with the ratio to the baseline of the same run.

Usage::

    HF_HUB_OFFLINE=1 python scripts/bench.py [--minutes 5 | --all-clips] [--scan-minutes 5] [--scale 10]
        [--threads N] [--repeat 2] [--parts ecapa,ge2e,signal,scan] [--scan-encoder ecapa|ge2e]
        [--device cuda] [--model-dir DIR [--unverified-weights]]

On a GPU (``--device cuda``; the baselines run there too) make the sets big enough to time, e.g.
``--device cuda --all-clips --parts ecapa,scan --scan-minutes 60 --scale 10`` (10 h of audio for the
scan: ~3-5 GB of copies in the temporary folder).

Reads ../shared/speech (or ``--speech``); writes only to a temporary folder.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
DEFAULT_SPEECH = Path(os.environ.get("VOXAUDIT_SPEECH_DIR", ROOT.parent / "shared" / "speech"))
SR = 16000


# -- machine and data ---------------------------------------------------------------------------------
def machine_line() -> str:
    import torch

    from voxaudit.speaker.inference import cpu_has_native_bf16, usable_cores

    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            model = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        load = "load average %.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        load = ""
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA GPU"
    return (f"machine: {model}, {usable_cores()} usable cores, torch {torch.__version__}, "
            f"native bf16 {'yes' if cpu_has_native_bf16() else 'no'}, {gpu}, python "
            f"{platform.python_version()}; {load}")


def manifest(speech: Path) -> list[dict]:
    with open(speech / "MANIFEST.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def pick_rows(rows: list[dict], minutes: float) -> list[dict]:
    """Clips in a fixed shuffled order (all sources mixed), cycled until ``minutes`` of audio."""
    order = np.random.default_rng(0).permutation(len(rows))
    want, got, out = minutes * 60.0, 0.0, []
    while got < want:
        for i in order:
            if got >= want:
                break
            out.append(rows[i])
            got += float(rows[i]["duration_s"])
    return out


def load_16k(speech: Path, rows: list[dict]) -> list[np.ndarray]:
    from voxaudit.audio import load_audio
    from voxaudit.resample import resample

    cache: dict[str, np.ndarray] = {}
    out = []
    for row in rows:
        if row["path"] not in cache:
            audio = load_audio(speech / row["path"])
            cache[row["path"]] = resample(audio.samples, orig_sr=audio.sample_rate, target_sr=SR)
        out.append(cache[row["path"]])
    return out


# -- helpers -----------------------------------------------------------------------------------------
def cosine(a, b) -> float:
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def interleaved(variants: dict, repeat: int) -> dict:
    """Run every variant once to warm up, then ``repeat`` rounds interleaved; best time and output."""
    best = {name: (float("inf"), None) for name in variants}
    for name, fn in variants.items():
        fn()
    for _ in range(repeat):
        for name, fn in variants.items():
            start = time.perf_counter()
            out = fn()
            seconds = time.perf_counter() - start
            if seconds < best[name][0]:
                best[name] = (seconds, out)
    return best


def report(title: str, best: dict, audio_s: float, baseline: str, cos: dict) -> dict:
    print(title)
    base_s = best[baseline][0]
    ratios = {}
    for name, (seconds, _) in best.items():
        ratios[name] = base_s / seconds
        extra = ""
        if name in cos:
            values, against = cos[name]
            extra = f"  cosine to {against}: min {min(values):.6f} mean {np.mean(values):.6f}"
        print(f"  {name:<44} {audio_s / seconds:8.1f}x real time  {ratios[name]:5.2f}x baseline{extra}")
    return ratios


# -- parts -------------------------------------------------------------------------------------------
def ecapa_folder(args, tmp: Path) -> tuple[Path, bool]:
    """The ECAPA-TDNN weights to time: ``--model-dir`` (verified unless ``--unverified-weights``), else a
    random checkpoint built in ``tmp`` (never the published checksum: loaded unverified)."""
    if args.model_dir:
        return Path(args.model_dir), not args.unverified_weights
    from voxaudit.speaker.random_ecapa import build_ecapa_checkpoint

    return build_ecapa_checkpoint(tmp / "model" / "spkrec-ecapa-voxceleb", seed=0), False


def bench_ecapa(wavs: list[np.ndarray], args) -> None:
    import torch

    from ecapa_fixture import speechbrain_reference
    from voxaudit.speaker import EmbeddingInference, load_encoder

    tmp = Path(tempfile.mkdtemp(prefix="voxaudit-bench-ecapa-"))
    try:
        folder, verify = ecapa_folder(args, tmp)
        from voxaudit.errors import VoxauditError

        try:
            encoder, notice = load_encoder("ecapa", model_dir=folder, device=args.device, verify=verify,
                                           allow_download=False)
        except VoxauditError as error:
            raise SystemExit(f"error: {error}") from None
        if notice and args.model_dir:
            print(f"note: {notice}")
        from voxaudit.speaker.weights import find_ecapa_dir

        folder = find_ecapa_dir(folder)[0] or folder  # what load_encoder loaded (maybe a sub-folder)
        if not (folder / "hyperparams.yaml").is_file():
            raise SystemExit(f"the SpeechBrain baseline needs the upstream hyperparams.yaml, classifier.ckpt "
                             f"and label_encoder.txt beside the weights in {folder}")
        reference = speechbrain_reference(folder, tmp / "sb", device=args.device)
        items = list(enumerate(wavs))
        audio_s = sum(w.size for w in wavs) / SR

        def speechbrain():
            torch.set_num_threads(args.threads)
            with torch.inference_mode():
                return [reference.encode_batch(torch.from_numpy(w)[None]).squeeze().cpu().numpy()
                        for w in wavs]

        def ours(enc=encoder, **kwargs):
            def run():
                torch.set_num_threads(args.threads)  # EmbeddingInference sets its own
                inference = EmbeddingInference(enc, **kwargs)
                return [v for _, v in inference.embed_many(items)]
            return run

        default = EmbeddingInference(encoder)
        label = f"voxaudit default ({default.precision}, {default.streams} streams, batch {default.batch_size})"
        variants = {f"SpeechBrain encode_batch per file ({args.threads} threads)": speechbrain,
                    label: ours(), "voxaudit float32 (half=False)": ours(half=False)}
        if args.extra:
            variants["voxaudit float32, 1 stream (intra-op threads)"] = ours(half=False, streams=1,
                                                                              num_threads=args.threads)
            variants["voxaudit default, batch 8"] = ours(batch_size=8)
            # The same settings through SpeechBrain's own modules (voxaudit's forward pass off).
            from voxaudit.speaker.ecapa import EcapaEncoder

            modules = EcapaEncoder(folder, weights_sha256="0" * 64, fast=False).to(args.device)
            variants["voxaudit default, SpeechBrain modules (fast=False)"] = ours(modules)
        best = interleaved(variants, args.repeat)
        base_name = next(iter(variants))
        base = best[base_name][1]
        cos = {name: ([cosine(a, b) for a, b in zip(out, base)], "SpeechBrain fp32")
               for name, (_, out) in best.items() if name != base_name}
        print(f"\n{len(wavs)} clips, {audio_s / 60:.1f} min of 16 kHz audio")
        which = f"weights in {args.model_dir}" if args.model_dir else "random weights in SpeechBrain's layout"
        report(f"ECAPA-TDNN ({which})", best, audio_s, base_name, cos)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def bench_ge2e(wavs: list[np.ndarray], args) -> None:
    import torch
    from resemblyzer import VoiceEncoder, preprocess_wav

    from voxaudit.speaker import EmbeddingInference, load_encoder

    voice = VoiceEncoder(args.device, verbose=False)
    encoder, _ = load_encoder("ge2e", device=args.device)
    items = list(enumerate(wavs))
    audio_s = sum(w.size for w in wavs) / SR

    def resemblyzer():
        torch.set_num_threads(args.threads)
        return [voice.embed_utterance(preprocess_wav(w, source_sr=SR)) for w in wavs]

    def ours(**kwargs):
        def run():
            torch.set_num_threads(args.threads)
            return [v for _, v in EmbeddingInference(encoder, **kwargs).embed_many(items)]
        return run

    default = EmbeddingInference(encoder)
    label = f"voxaudit default ({default.precision}, {default.streams} streams, batch {default.batch_size})"
    variants = {f"resemblyzer embed_utterance per file ({args.threads} threads)": resemblyzer,
                label: ours(), "voxaudit float32 (half=False)": ours(half=False)}
    best = interleaved(variants, args.repeat)
    base_name = next(iter(variants))
    base = best[base_name][1]
    cos = {name: ([cosine(a, b) for a, b in zip(out, base)], "resemblyzer")
           for name, (_, out) in best.items() if name != base_name}
    print()
    report("GE2E (resemblyzer weights)", best, audio_s, base_name, cos)


def bench_signal(args) -> None:
    print("\nSignal measures (scripts/bench_signal.py, one core):")
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_signal.py"), "--speech", str(args.speech)],
                          capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        print("  " + line)
    if proc.returncode:
        print("  bench_signal.py failed:", proc.stderr.strip().splitlines()[-1:] or proc.returncode)


def _copy_set(speech: Path, rows: list[dict], dest: Path, scale: int) -> float:
    """Write ``scale`` copies of the clips; copy k>0 has the low bits of its last two samples
    XOR-ed with k (at most 255 LSB each), so every copy has its own content hash and is really
    decoded, measured and embedded. Returns the audio seconds written."""
    import soundfile as sf

    total = 0.0
    for copy in range(scale):
        for n, row in enumerate(rows):
            src = speech / row["path"]
            out = dest / f"copy{copy:02d}" / f"{n:05d}_{src.name}"
            out.parent.mkdir(parents=True, exist_ok=True)
            if copy == 0:
                os.symlink(src, out)
            else:
                data, rate = sf.read(src, dtype="int16", always_2d=True)
                data[-1, 0] ^= copy & 0xFF
                data[-2 if len(data) > 1 else -1, 0] ^= (copy >> 8) & 0xFF
                sf.write(out, data, rate, subtype="PCM_16")
            total += float(row["duration_s"])
    return total


_DRIVER = """\
import os, sys
precision = os.environ.get("VOXAUDIT_BENCH_PRECISION")
if precision:  # a CLI without --precision passes half=False: map it to the precision asked for
    import voxaudit.speaker as sp
    from voxaudit.speaker.inference import EmbeddingInference as _EI
    class _Bench(_EI):
        def __init__(self, encoder, **kw):
            if kw.get("half") in (False, None, "auto"):
                kw["half"] = precision
            super().__init__(encoder, **kw)
    sp.EmbeddingInference = _Bench
from voxaudit.cli import app
sys.argv = ["voxaudit"] + sys.argv[1:]
app()
"""


def _tree_memory(root: int) -> tuple[int, int]:
    """(resident bytes of ``root`` and all its descendants now, the largest ``VmHWM`` -- a process's
    own peak resident memory since its exec -- among them), from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            pid = int(entry)
            children.setdefault(int(fields[1]), []).append(pid)
            rss[pid] = int(fields[21]) * page
        except (OSError, IndexError, ValueError):
            continue
    total, largest, stack = 0, 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
                hwm = next((line for line in fh if line.startswith("VmHWM:")), "VmHWM: 0 kB")
            largest = max(largest, int(hwm.split()[1]) * 1024)
        except (OSError, ValueError):
            pass
        stack.extend(children.get(pid, []))
    return total, largest


def run_scan(folder: Path, out: Path, args, model_dir: Path | None) -> tuple[float, int, int, float]:
    """Run the scan as a subprocess; return (wall s, peak tree RSS bytes, largest process RSS bytes,
    CPU seconds of the whole tree)."""
    cmd = [sys.executable, "-c", _DRIVER, "scan", str(folder), "--encoder", args.scan_encoder,
           "--device", args.device]
    if model_dir is not None:
        cmd += ["--model-dir", str(model_dir)]
    cmd += ["--out", str(out), "--cache", str(out / "fresh-cache.sqlite")] + args.scan_args
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    if args.scan_precision:
        env["VOXAUDIT_BENCH_PRECISION"] = args.scan_precision
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        peak = largest = 0
        stop = threading.Event()

        def sample():
            nonlocal peak, largest
            while not stop.is_set():
                total, hwm = _tree_memory(proc.pid)
                peak, largest = max(peak, total), max(largest, hwm)
                stop.wait(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        # wait4: this scan's own resource usage (it and the descendants it waited for).
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        stop.set()
        sampler.join()
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"scan failed ({proc.returncode}): {err.read().decode(errors='replace')[-2000:]}")
    # Not ru_maxrss: Linux carries the bench's own (forked) high-water mark across exec into it.
    return wall, peak, largest, usage.ru_utime + usage.ru_stime


# An encoder that costs nothing, put in place of the real one (also in every Ray worker, through
# ``worker_process_setup_hook``): what is left of a scan's time is its host side.
_FREE_ENCODER = """\
def free_encoder():
    import torch
    import voxaudit.speaker as sp
    import voxaudit.speaker.weights as weights
    from voxaudit.speaker.base import SpeakerEncoder

    class FreeEncoder(SpeakerEncoder):
        name, dim, weights_sha256 = "ecapa", 192, "0" * 64
        def __init__(self):
            self.device = torch.device("cpu")
        def embed(self, waveforms, lengths):
            return torch.nn.functional.normalize(torch.ones(waveforms.shape[0], self.dim), dim=1)
        def to(self, device):
            return self
    sp.load_encoder = weights.load_encoder = lambda *args, **kwargs: (FreeEncoder(), None)

free_encoder()
"""

_HOST_DRIVER = _FREE_ENCODER + """\
import json, resource, sys
from voxaudit.pipeline import ScanOptions, scan
folder, out = sys.argv[1], sys.argv[2]
options = ScanOptions(encoder="ecapa", jobs=int(sys.argv[3]), html=False,
                      cache_path=out + "/cache.sqlite", journal_path=out + "/journal.sqlite")
before = resource.getrusage(resource.RUSAGE_SELF)
result = scan([folder], options)
after = resource.getrusage(resource.RUSAGE_SELF)
workers = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"clips": len(result.clips),
                  "main_cpu_s": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
                  "workers_cpu_s": workers.ru_utime + workers.ru_stime}))
"""


def bench_host(args) -> None:
    """The host side of a scan with a free encoder: what would cap a GPU scan's throughput."""
    import json

    from voxaudit.speaker.inference import usable_cores

    rows = pick_rows(manifest(args.speech), args.scan_minutes)
    jobs = usable_cores()
    tmp = Path(tempfile.mkdtemp(prefix="voxaudit-bench-host-"))
    print(f"\nHost side of `voxaudit scan` with an encoder that costs nothing ({jobs} workers; the "
          f"marginal cost between 1x and {args.scale}x, so start-up and imports drop out)")
    try:
        got = {}
        for scale in (1, args.scale):
            folder = tmp / f"set{scale}x"
            audio_s = _copy_set(args.speech, rows, folder, scale)
            (tmp / f"out{scale}").mkdir()
            done = subprocess.run([sys.executable, "-c", _HOST_DRIVER, str(folder), str(tmp / f"out{scale}"),
                                   str(jobs)], capture_output=True, text=True, env=dict(os.environ, HF_HUB_OFFLINE="1"))
            if done.returncode != 0:
                raise SystemExit(f"host scan failed: {done.stderr[-2000:]}")
            got[scale] = (audio_s, json.loads(done.stdout.strip().splitlines()[-1]))
            shutil.rmtree(folder, ignore_errors=True)
        (a1, r1), (an, rn) = got[1], got[args.scale]
        clips = rn["clips"] - r1["clips"]
        audio = an - a1
        main_per_clip = (rn["main_cpu_s"] - r1["main_cpu_s"]) / clips
        worker_per_s = (rn["workers_cpu_s"] - r1["workers_cpu_s"]) / audio
        mean_clip = audio / clips
        print(f"  main process: {main_per_clip * 1e3:.2f} ms CPU per clip ({mean_clip:.2f} s mean clip) -> "
              f"at most {mean_clip / main_per_clip:,.0f}x real time from one main process")
        print(f"  workers (decode, measure, hash, resample): {worker_per_s * 1e3:.2f} ms CPU per second of "
              f"audio -> {1 / worker_per_s:,.0f}x real time per core; with 15 worker cores "
              f"{15 / worker_per_s:,.0f}x")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


_RAY_HOST_DRIVER = _FREE_ENCODER + """\
import json, sys, time
import ray
from voxaudit.pipeline import ScanOptions, scan
folder, out, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3])
ray.init(num_cpus=jobs, include_dashboard=False, log_to_driver=False,
         runtime_env={"worker_process_setup_hook": free_encoder, "env_vars": {"HF_HUB_OFFLINE": "1"}})
# Ray's own cost on the driver while it waits for work (its threads poll), measured in this run.
sleeper = ray.remote(lambda: time.sleep(3.0))
c0, t0 = time.process_time(), time.perf_counter()
ref = sleeper.remote()
while not ray.wait([ref], num_returns=1, timeout=1.0)[0]:
    pass
idle_rate = (time.process_time() - c0) / (time.perf_counter() - t0)
options = ScanOptions(encoder="ecapa", jobs=jobs, html=False, engine="ray",
                      cache_path=out + "/cache.sqlite", journal_path=out + "/journal.sqlite")
result = scan([folder], options)
print(json.dumps({"clips": len(result.clips), "idle_cpu_per_s": idle_rate, **result.summary["engine"]}))
"""


def bench_ray(args) -> None:
    """The Ray engine against the local engine on the same set, in one run, and the driver's CPU per clip."""
    import json

    from voxaudit.speaker.inference import usable_cores

    jobs = usable_cores()
    rows = pick_rows(manifest(args.speech), args.scan_minutes)
    tmp = Path(tempfile.mkdtemp(prefix="voxaudit-bench-ray-"))
    try:
        # 1. The driver's share per clip, with an encoder that costs nothing (1x and Nx: start-up drops out).
        print(f"\nRay engine, driver side with an encoder that costs nothing ({jobs} CPUs, local Ray instance)")
        got = {}
        for scale in (1, args.scale):
            folder = tmp / f"host{scale}x"
            _copy_set(args.speech, rows, folder, scale)
            (tmp / f"hout{scale}").mkdir()
            done = subprocess.run([sys.executable, "-c", _RAY_HOST_DRIVER, str(folder), str(tmp / f"hout{scale}"),
                                   str(jobs)], capture_output=True, text=True,
                                  env=dict(os.environ, HF_HUB_OFFLINE="1", RAY_USAGE_STATS_ENABLED="0"))
            if done.returncode != 0:
                raise SystemExit(f"ray host scan failed: {done.stderr[-2000:]}")
            got[scale] = json.loads(done.stdout.strip().splitlines()[-1])
            shutil.rmtree(folder, ignore_errors=True)
        r1, rn = got[1], got[args.scale]
        clips = rn["clips"] - r1["clips"]
        cpu = rn["driver_cpu_s"] - r1["driver_cpu_s"]
        wall = rn["wall_s"] - r1["wall_s"]
        idle = rn["idle_cpu_per_s"]
        print(f"  driver CPU while clips stream: {cpu * 1e3 / clips:.2f} ms per clip ({clips} clips over "
              f"{wall:.1f} s); of it, Ray's own polling while it waits, {idle * 1e3:.0f} ms per second of wall "
              f"time (measured idle in the same run): the driver's work per clip is "
              f"{max(0.0, cpu - idle * wall) * 1e3 / clips:.2f} ms (target <= 0.3)")

        # 2. The same hours of audio through both engines.
        scale = max(1, round(args.ray_hours * 60 / args.scan_minutes))
        folder = tmp / "set"
        audio_s = _copy_set(args.speech, rows, folder, scale)
        model_dir, verify = None, True
        if args.scan_encoder == "ecapa":
            model_dir, verify = ecapa_folder(args, tmp)
        extra = [] if verify else ["--unverified-weights"]
        print(f"\nThe local engine and the Ray engine (local Ray instance) on {len(rows) * scale} clips, "
              f"{audio_s / 3600:.1f} h of audio (every copy distinct), encoder {args.scan_encoder}, fresh "
              f"caches, one after the other")
        walls = {}
        for engine in ("local", "ray"):
            saved = list(args.scan_args)
            args.scan_args = saved + extra + ["--engine", engine, "--no-html", "--jobs", str(jobs)]
            try:
                wall, peak, largest, cpu = run_scan(folder, tmp / f"out-{engine}", args, model_dir)
            finally:
                args.scan_args = saved
            walls[engine] = wall
            print(f"  {engine:>5}: {wall:7.1f} s -> {audio_s / wall:6.1f}x real time; peak RSS of the process tree "
                  f"{peak / 2**20:6.0f} MiB (largest process {largest / 2**20:5.0f} MiB); CPU {cpu:7.1f} s")
        print(f"  Ray / local wall time = {walls['ray'] / walls['local']:.3f} (target <= 1.15)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def bench_scan(args) -> None:
    from voxaudit.speaker.inference import usable_cores

    rows = pick_rows(manifest(args.speech), args.scan_minutes)
    tmp = Path(tempfile.mkdtemp(prefix="voxaudit-bench-scan-"))
    try:
        model_dir, verify = None, True
        if args.scan_encoder == "ecapa":
            model_dir, verify = ecapa_folder(args, tmp)
        if not verify:
            args.scan_args = ["--unverified-weights"] + list(args.scan_args)
        print(f"\nEnd-to-end `voxaudit scan` (encoder {args.scan_encoder} on {args.device}, precision "
              f"{args.scan_precision or 'CLI default'}, fresh cache and journal, subprocess; "
              f"extra args {args.scan_args or 'none'})")
        results = {}
        for scale in (1, args.scale):
            folder = tmp / f"set{scale}x"
            audio_s = _copy_set(args.speech, rows, folder, scale)
            wall, peak, largest, cpu = run_scan(folder, tmp / f"out{scale}x", args, model_dir)
            results[scale] = (audio_s, wall, peak)
            cores = usable_cores()
            print(f"  {scale:>3}x: {len(rows) * scale:5d} clips, {audio_s / 60:6.1f} min audio, {wall:7.1f} s "
                  f"-> {audio_s / wall:6.1f}x real time, 1 h of audio in {3600 / (audio_s / wall) / 60:5.2f} min "
                  f"(extrapolated); peak RSS tree {peak / 2**20:7.0f} MiB, largest process "
                  f"{largest / 2**20:6.0f} MiB")
            print(f"        CPU time of the process tree {cpu:7.1f} s = {cpu / audio_s:.4f} CPU-s per audio-s; "
                  f"on {cores} idle cores 1 h would take >= {3600 * cpu / audio_s / cores / 60:5.2f} min "
                  f"(CPU-bound estimate, robust to other load)")
            shutil.rmtree(folder, ignore_errors=True)
        ratio = results[args.scale][2] / results[1][2]
        print(f"  peak RSS {args.scale}x / 1x = {ratio:.2f} (target <= 1.3)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    import torch

    from voxaudit.speaker.inference import usable_cores

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speech", type=Path, default=DEFAULT_SPEECH)
    parser.add_argument("--minutes", type=float, default=3.0, help="audio per embedding benchmark")
    parser.add_argument("--all-clips", action="store_true",
                        help="embedding benchmarks on every clip of the set once (instead of --minutes)")
    parser.add_argument("--scan-minutes", type=float, default=5.0, help="audio of the 1x scan set")
    parser.add_argument("--scale", type=int, default=10, help="the larger scan set, in copies of the 1x set")
    parser.add_argument("--ray-hours", type=float, default=10.0, help="hours of audio for --parts ray")
    parser.add_argument("--threads", type=int, default=usable_cores(), help="torch threads of the baselines")
    parser.add_argument("--repeat", type=int, default=2, help="interleaved rounds per variant (best kept)")
    parser.add_argument("--parts", default="ecapa,ge2e,signal,scan")
    parser.add_argument("--scan-encoder", choices=("ecapa", "ge2e"), default="ecapa")
    parser.add_argument("--scan-precision", choices=("auto", "fp32", "bf16"), default=None,
                        help="encoder precision inside the scan (default: the CLI's own default)")
    parser.add_argument("--scan-args", nargs=argparse.REMAINDER, default=[],
                        help="extra arguments for voxaudit scan (last on the line)")
    parser.add_argument("--extra", action="store_true", help="also the ablation variants")
    parser.add_argument("--device", default="cpu",
                        help="where the encoders run, baselines included (cpu, cuda, cuda:1 ...)")
    parser.add_argument("--model-dir", default=None,
                        help="ECAPA-TDNN weights to time (default: a random checkpoint in SpeechBrain's layout)")
    parser.add_argument("--unverified-weights", action="store_true",
                        help="accept --model-dir weights that are not the published checkpoint")
    args = parser.parse_args()
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    unknown = parts - {"ecapa", "ge2e", "signal", "scan", "host", "ray"}
    if unknown:
        parser.error(f"unknown parts: {sorted(unknown)}")
    if not (args.speech / "MANIFEST.csv").is_file():
        raise SystemExit(f"no speech set at {args.speech} (MANIFEST.csv missing)")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit(f"--device {args.device}: torch sees no CUDA GPU here")
    torch.set_num_threads(args.threads)

    print(machine_line())
    if parts & {"ecapa", "ge2e"}:
        rows = manifest(args.speech)
        wavs = load_16k(args.speech, rows if args.all_clips else pick_rows(rows, args.minutes))
        if "ecapa" in parts:
            bench_ecapa(wavs, args)
        if "ge2e" in parts:
            bench_ge2e(wavs, args)
    if "signal" in parts:
        bench_signal(args)
    if "scan" in parts:
        bench_scan(args)
    if "host" in parts:
        bench_host(args)
    if "ray" in parts:
        bench_ray(args)


if __name__ == "__main__":
    main()
