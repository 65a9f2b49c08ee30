#!/usr/bin/env python
"""Throughput of the signal measures, in x real time per core, on ../shared/speech.

Prints, for one process on one core (BLAS and OpenMP threads pinned to 1):
- the audio duration measured and the time spent in ``measure_signal`` (decoding excluded), as CPU
  time of this process (the "per core" figure, which other load on a shared machine does not inflate)
  and as wall-clock time;
- per measure family, the time per second of audio;
- a baseline measured in the same run: the check script a user would write with librosa
  (``librosa.effects.split`` for silence, frame RMS, a clipping count), so the ratio says how much
  more voxaudit measures cost than that bare minimum.

Target (issue 2): >= 200x real time per core.

Usage: python scripts/bench_signal.py [--speech DIR] [--repeat N]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import platform
import time
from pathlib import Path

import numpy as np


def naive_check(samples: np.ndarray, sample_rate: int) -> dict:
    """What a user's own quick check script computes (the baseline)."""
    import librosa

    intervals = librosa.effects.split(samples, top_db=40)
    voiced = sum(int(b - a) for a, b in intervals)
    rms = librosa.feature.rms(y=samples)[0]
    return {"silence_ratio": 1 - voiced / max(1, samples.size), "rms": float(np.mean(rms)),
            "clipped": int(np.sum(np.abs(samples) >= 0.999))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--speech", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "speech")
    parser.add_argument("--repeat", type=int, default=1, help="passes over the set")
    args = parser.parse_args()

    from voxaudit.audio import load_audio
    from voxaudit.signal import MEASURES, measure_signal, speech_activity

    files = sorted(args.speech.rglob("*.wav"))
    if not files:
        raise SystemExit(f"no clips under {args.speech}")
    clips = [load_audio(f) for f in files]
    audio_s = sum(c.duration_s for c in clips) * args.repeat

    # Warm up (imports, FFT plans, numba JIT in librosa).
    measure_signal(clips[0].samples, sample_rate=clips[0].sample_rate)
    naive_check(clips[0].samples, clips[0].sample_rate)

    family_s = {"activity": 0.0, **{m.__name__: 0.0 for m in MEASURES}}
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(args.repeat):
        for clip in clips:
            measure_signal(clip.samples, sample_rate=clip.sample_rate)
    wall_s = time.perf_counter() - start
    total_s = time.process_time() - cpu_start

    for _ in range(args.repeat):
        for clip in clips:
            t0 = time.perf_counter()
            act = speech_activity(clip.samples, sample_rate=clip.sample_rate)
            family_s["activity"] += time.perf_counter() - t0
            for measure in MEASURES:
                t0 = time.perf_counter()
                measure(clip.samples, sample_rate=clip.sample_rate, activity=act)
                family_s[measure.__name__] += time.perf_counter() - t0

    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(args.repeat):
        for clip in clips:
            naive_check(clip.samples, clip.sample_rate)
    naive_wall_s = time.perf_counter() - start
    naive_s = time.process_time() - cpu_start

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, 1 core used")
    print(f"clips: {len(clips) * args.repeat}, audio: {audio_s / 60:.1f} min")
    print(f"voxaudit measure_signal: {total_s:.2f} s CPU -> {audio_s / total_s:.0f}x real time per core "
          f"(wall clock {wall_s:.2f} s -> {audio_s / wall_s:.0f}x)")
    print(f"baseline (librosa split + rms + clip count): {naive_s:.2f} s CPU -> {audio_s / naive_s:.0f}x real time "
          f"(wall clock {naive_wall_s:.2f} s)")
    print(f"ratio voxaudit / baseline CPU time: {total_s / naive_s:.2f}")
    print("per family, ms (wall clock) per second of audio:")
    for name, seconds in sorted(family_s.items(), key=lambda kv: -kv[1]):
        print(f"  {name:20s} {1000 * seconds / audio_s:6.3f}")
    target = 200
    print(f"target >= {target}x: {'met' if audio_s / total_s >= target else 'NOT met'}")


if __name__ == "__main__":
    main()
