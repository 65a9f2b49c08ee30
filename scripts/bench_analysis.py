#!/usr/bin/env python
"""Time and peak memory of the set analysis at scale, on synthetic embeddings.

Each case runs in a fresh Python process: it builds the embeddings (float32, unit-variance voices plus
per-clip noise, GE2E-like pair cosines), measures the process's peak RSS after building them (the
baseline: interpreter, numpy, scikit-learn and the input array), then runs the analysis and reports
its wall time, its CPU time (user + system, all threads: steadier than wall time on a shared machine)
and the peak RSS it added on top of that baseline.

Cases:

- ``set``: ``voxaudit.speaker.consistency.analyse_set`` over N clips of one set (3 voices: 80/15/5 %);
- ``speakers``: ``voxaudit.speaker.speakers.analyse_speakers`` over N clips of S labelled speakers
  (1 % of the clips filed under a wrong label).

Usage::

    python scripts/bench_analysis.py [--sizes 10000 200000] [--speakers 500] [--dim 256]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
import numpy as np
sys.path.insert(0, {src!r})
from voxaudit.speaker.consistency import analyse_set
from voxaudit.speaker.speakers import analyse_speakers

kind, n, n_speakers, dim = {kind!r}, {n}, {speakers}, {dim}
# Per-dimension noise 0.45 x the voice's: two clips of one voice meet at cosine 1 / (1 + 0.45^2) = 0.83,
# the median of same-speaker GE2E pairs on ../shared/speech (0.837); voices are independent directions.
NOISE = 0.45
rng = np.random.default_rng(0)

def voices(k):
    return rng.standard_normal((k, dim)).astype(np.float32)

if kind == "set":
    centres = voices(3)
    which = rng.choice(3, size=n, p=[0.8, 0.15, 0.05])
    emb = centres[which]
    emb += np.float32(NOISE) * rng.standard_normal((n, dim), dtype=np.float32)
    durations = rng.uniform(2.0, 10.0, size=n)
else:
    centres = voices(n_speakers)
    which = np.sort(rng.integers(0, n_speakers, size=n))
    emb = centres[which]
    emb += np.float32(NOISE) * rng.standard_normal((n, dim), dtype=np.float32)
    durations = rng.uniform(2.0, 10.0, size=n)
    labels = np.array([f"s{{k:04d}}" for k in range(n_speakers)], dtype=object)[which]
    moved = rng.choice(n, size=n // 100, replace=False)
    labels[moved] = np.array([f"s{{k:04d}}" for k in range(n_speakers)], dtype=object)[(which[moved] + 1) % n_speakers]
    labels = labels.tolist()
base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
usage = resource.getrusage(resource.RUSAGE_SELF)
cpu0 = usage.ru_utime + usage.ru_stime
start = time.perf_counter()
if kind == "set":
    result = analyse_set(emb, encoder="ge2e", durations=durations)
    detail = dict(n_voices=result.n_voices, n_outliers=result.n_outliers)
else:
    result = analyse_speakers(emb, labels, encoder="ge2e", durations=durations)
    hit = sum(1 for i in moved if result.likely_speaker[i] is not None)
    detail = dict(mislabels_found=hit, moved=len(moved), flagged=result.n_mislabelled)
elapsed = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_SELF)
cpu = usage.ru_utime + usage.ru_stime - cpu0
peak_kb = usage.ru_maxrss
print(json.dumps(dict(kind=kind, n=n, speakers=n_speakers, dim=dim, seconds=round(elapsed, 2), cpu_s=round(cpu, 2),
                      baseline_mib=round(base_kb / 1024), peak_mib=round(peak_kb / 1024),
                      added_mib=round((peak_kb - base_kb) / 1024), input_mib=round(emb.nbytes / 2**20), **detail)))
"""


def run(kind: str, n: int, speakers: int, dim: int) -> dict:
    code = CHILD.format(src=str(ROOT / "src"), kind=kind, n=n, speakers=speakers, dim=dim)
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "2"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 200000])
    ap.add_argument("--speakers", type=int, default=500)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--kinds", nargs="+", default=["set", "speakers"])
    args = ap.parse_args(argv)
    print("| analysis | clips | labels | dim | wall time (s) | CPU time (s) | peak RSS (MiB) | of which input + interpreter "
          "| added by the analysis | check |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for kind in args.kinds:
        for n in args.sizes:
            r = run(kind, n, args.speakers if kind == "speakers" else 1, args.dim)
            check = (f"{r['n_voices']} voices, {r['n_outliers']} outliers" if kind == "set"
                     else f"{r['mislabels_found']}/{r['moved']} moved clips found, {r['flagged']} flagged")
            print(f"| {kind} | {n} | {r['speakers']} | {r['dim']} | {r['seconds']} | {r['cpu_s']} | {r['peak_mib']} "
                  f"| {r['baseline_mib']} | {r['added_mib']} | {check} |", flush=True)


if __name__ == "__main__":
    main()
