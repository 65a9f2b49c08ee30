#!/usr/bin/env python
"""Peak memory of loading one long, wide clip: a 30-minute 48 kHz stereo float WAV (691 MB on disk).

Each step runs in a fresh Python process and reports that process's peak resident set size
(``ru_maxrss``), so the figures do not depend on what ran before:

- ``imports``: numpy, soundfile and voxaudit's loader and measures imported, nothing decoded;
- ``whole-file decode`` (the baseline, measured in the same run): ``soundfile.read`` of the whole file
  as float32 plus a ``mean`` downmix, which is what a loader that decodes first and downmixes after
  holds at once;
- ``load_audio``: voxaudit's loader (decoded in blocks, downmixed as it goes);
- ``process_clip``: the scan's per-clip work (decode, measure, judge);
- ``process_clip + 16 kHz``: the same plus the 16 kHz copy the speaker encoder gets.

The clip is real speech from ``../shared/speech`` repeated to 30 minutes (the right channel 3 dB down),
or a synthetic voice where that folder is absent. Usage::

    python scripts/bench_load_memory.py [--minutes 30] [--rate 48000] [--channels 2] [--keep FILE]

Run it with ``PYTHONPATH`` pointing at another checkout's ``src`` to measure that version's loader.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SPEECH = Path(os.environ.get("VOXAUDIT_SPEECH_DIR", ROOT.parent / "shared" / "speech"))

STEPS = {
    "imports": "",
    "whole-file decode": (
        "import soundfile as sf\n"
        "data = sf.read(PATH, dtype='float32', always_2d=True)[0]\n"
        "mono = data.mean(axis=1, dtype=np.float32)\n"),
    "load_audio": ("from voxaudit.errors import AudioError\n"
                   "try:\n    audio = load_audio(PATH)\nexcept AudioError as error:\n"
                   "    print('refused:', error, file=sys.stderr)\n"),
    "process_clip": "result, _ = process_clip(ClipSource(PATH, 'x.wav'), Config(), 'en', False)\n",
    "process_clip + 16 kHz": "result, wav = process_clip(ClipSource(PATH, 'x.wav'), Config(), 'en', True)\n",
}

PRELUDE = (
    "import json, resource, sys\n"
    "import numpy as np\n"
    "from voxaudit.audio import load_audio\n"
    "from voxaudit.config import Config\n"
    "from voxaudit.model import ClipSource\n"
    "from voxaudit.pipeline import process_clip\n"
    "import voxaudit.signal\n"
    "PATH = sys.argv[1]\n"
)
EPILOGUE = (
    "findings = [f.code for f in result.findings] if 'result' in dir() else None\n"
    "print(json.dumps({'peak_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,"
    " 'findings': findings}))\n"
)


def make_clip(path: Path, *, minutes: float, rate: int, channels: int) -> None:
    """Write a float WAV of real (or synthetic) speech, in blocks (constant memory)."""
    import soundfile as sf

    pieces = []
    for wav in sorted(SPEECH.rglob("*.wav"))[:40] if SPEECH.is_dir() else []:
        from voxaudit.audio import load_audio
        from voxaudit.resample import resample

        audio = load_audio(wav)
        pieces.append(resample(audio.samples, orig_sr=audio.sample_rate, target_sr=rate))
    if pieces:
        loop = np.concatenate(pieces).astype(np.float32)
    else:
        sys.path.insert(0, str(ROOT / "tests"))
        from synth import natural_speech

        loop = natural_speech(20.0, sample_rate=rate).astype(np.float32)
    total = int(minutes * 60 * rate)
    gains = np.array([10 ** (-3 * c / 20.0) for c in range(channels)], dtype=np.float32)
    with sf.SoundFile(path, "w", samplerate=rate, channels=channels, subtype="FLOAT") as out:
        done = 0
        while done < total:
            n = min(loop.size, total - done)
            out.write(loop[:n, None] * gains[None, :])
            done += n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rate", type=int, default=48000)
    parser.add_argument("--channels", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="write (or reuse) the clip here instead of a temporary file")
    parser.add_argument("--steps", default=",".join(STEPS), help="comma-separated subset of: " + ", ".join(STEPS))
    args = parser.parse_args()

    tmp = None
    if args.keep:
        path = args.keep
    else:
        tmp = tempfile.TemporaryDirectory(prefix="voxaudit-mem-")
        path = Path(tmp.name) / "long.wav"
    try:
        if not path.exists():
            make_clip(path, minutes=args.minutes, rate=args.rate, channels=args.channels)
        decoded_mib = args.minutes * 60 * args.rate * args.channels * 4 / 2**20
        print(f"clip: {args.minutes:g} min, {args.rate} Hz, {args.channels} ch float "
              f"({path.stat().st_size / 2**20:.0f} MiB on disk, {decoded_mib:.0f} MiB decoded as float32)")
        results = {}
        for name in args.steps.split(","):
            code = PRELUDE + STEPS[name] + EPILOGUE
            run = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True)
            if run.returncode != 0:
                print(f"{name:24s} failed: {run.stderr.strip().splitlines()[-1:]}")
                continue
            results[name] = json.loads(run.stdout.strip().splitlines()[-1])
        base = results.get("whole-file decode", {}).get("peak_mib")
        for name, row in results.items():
            ratio = f"  {row['peak_mib'] / base:.2f}x the whole-file decode" if base else ""
            found = f"  findings: {','.join(row['findings'])}" if row.get("findings") else ""
            print(f"{name:24s} peak RSS {row['peak_mib']:7.0f} MiB{ratio}{found}")
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
