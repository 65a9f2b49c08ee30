#!/usr/bin/env python
"""How fast report.html opens for a large set, measured in a real browser (headless Chromium).

Builds a synthetic report of ``--clips`` clips (default 2,000; a realistic mix: about 10 % flagged,
a few outlier takes, a second voice group, speaker embeddings for the voice map). Every clip points at
a real file from ../shared/speech (reused round-robin; nothing is copied), so every row gets a player;
only flagged clips are decoded, to draw their waveform and spectrogram, as in a real scan.

It writes the page with :func:`voxaudit.report.html.write_html`, opens it ``--repeat`` times in a fresh
Chromium tab and prints the median of, in milliseconds from navigation start:

- ``first paint``: first contentful paint (the verdict is static HTML at the top of the page);
- ``table``: the clip table rendered by the page's script (mark ``vx-table``);
- ``shown``: the first frame after the table, when the verdict and the table are on screen
  (mark ``vx-shown``) -- the figure the issue's "opens in under 2 seconds" is about;
- ``DOMContentLoaded`` and ``load``;
- ``charts``: plotly.js run and the voice map and similarity histogram drawn (mark ``vx-charts``).

Baseline measured in the same run: the same page for a set of ``--baseline-clips`` clips (default 20),
so the ratio says what 100x more clips cost.

Usage: python scripts/bench_html.py [--clips N] [--repeat N] [--keep DIR] [--chromium PATH]
Needs the ``playwright`` Python package and a Chromium binary (Debian: ``apt install chromium``);
no browser download.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SPEECH = Path(os.environ.get("VOXAUDIT_SPEECH_DIR", ROOT.parent / "shared" / "speech"))

CODES_WARNING = ("too_loud", "low_snr", "plosive", "reverb", "too_much_silence", "long_pause", "narrow_bandwidth",
                 "mains_hum")
CODES_ERROR = ("clipping", "denoised")


def speech_files(speech_dir: Path) -> list[Path]:
    """Real clips listed in MANIFEST.csv (path, sorted as listed)."""
    with open(speech_dir / "MANIFEST.csv", newline="", encoding="utf-8") as fh:
        return [speech_dir / row["path"] for row in csv.DictReader(fh)]


def synthetic_report(n_clips: int, files: list[Path], *, seed: int = 0, flagged_fraction: float = 0.1,
                     outlier_fraction: float = 0.02, second_group: int = 40) -> tuple[dict, np.ndarray]:
    """A report dict shaped like report.json (schema 1) and matching embeddings [n_clips, 64]."""
    rng = np.random.default_rng(seed)
    dim = 64
    main_voice = rng.normal(size=dim)
    other_voice = rng.normal(size=dim)
    clips, rows = [], []
    by_code: dict[str, dict] = {}
    n_flagged = int(round(flagged_fraction * n_clips))
    flagged = set(rng.choice(n_clips, size=n_flagged, replace=False).tolist())
    outliers = set(rng.choice(sorted(set(range(n_clips)) - flagged), size=max(1, int(outlier_fraction * n_clips)),
                              replace=False).tolist())
    group_two = set(range(n_clips - second_group, n_clips)) - outliers
    total_s = usable_s = 0.0
    for i in range(n_clips):
        duration = float(rng.uniform(2.0, 12.0))
        total_s += duration
        findings = []
        if i in flagged:
            for code in rng.choice(CODES_WARNING, size=int(rng.integers(1, 3)), replace=False):
                findings.append({"code": str(code), "severity": "warning", "message": f"{code}: measured value",
                                 "hint": f"what to change for {code}"})
            if rng.random() < 0.3:
                code = str(rng.choice(CODES_ERROR))
                findings.append({"code": code, "severity": "error", "message": f"{code}: measured value",
                                 "hint": f"what to change for {code}"})
        if i in outliers:
            findings.append({"code": "speaker_mismatch", "severity": "error", "message": "voice differs",
                             "hint": "check the speaker, microphone and distance"})
        elif rng.random() < 0.1:
            findings.append({"code": "plosive", "severity": "info", "message": "1 pop", "hint": "pop filter"})
        if not any(f["severity"] == "error" for f in findings):
            usable_s += duration
        for code in {f["code"] for f in findings}:
            entry = by_code.setdefault(code, {"clips": 0, "minutes": 0.0, "hint": f"what to change for {code}",
                                              "severity": max((f["severity"] for f in findings if f["code"] == code),
                                                              key=("info", "warning", "error").index)})
            entry["clips"] += 1
            entry["minutes"] += duration / 60
        voice = other_voice if i in group_two else main_voice
        emb = voice + rng.normal(scale=0.35 if i not in outliers else 2.0, size=dim)
        rows.append(emb)
        cos = float(emb @ main_voice / (np.linalg.norm(emb) * np.linalg.norm(main_voice)))
        clips.append({
            "path": f"session_{i // 100:02d}/take_{i:04d}.wav",
            "file": str(files[i % len(files)]),
            "metrics": {"duration_s": round(duration, 3), "sample_rate": 48000, "channels": 1,
                        "peak_dbfs": round(float(rng.uniform(-12, -1)), 2),
                        "rms_dbfs": round(float(rng.uniform(-30, -18)), 2),
                        "snr_db": round(float(rng.uniform(20, 60)), 1),
                        "bandwidth_hz": round(float(rng.choice([3400.0, 8000.0, 16000.0, 20000.0])), 0),
                        "hum_hz": 50.0 if rng.random() < 0.05 else None,
                        "silence_ratio": round(float(rng.uniform(0.05, 0.4)), 3)},
            "findings": findings,
            "quality": round(float(100 - 15 * len(findings) - rng.uniform(0, 10)), 1),
            "identity": {"similarity": round(cos, 4), "z": round(float(rng.normal()), 2),
                         "cluster": 1 if i in group_two else (2 + i if i in outliers else 0),
                         "outlier": i in outliers, "reason": "synthetic"},
        })
    sims = np.array([c["identity"]["similarity"] for c in clips])
    summary = {
        "n_clips": n_clips, "n_readable": n_clips, "n_unreadable": 0,
        "total_minutes": round(total_s / 60, 3), "usable_minutes": round(usable_s / 60, 3),
        "n_flagged": sum(1 for c in clips if any(f["severity"] in ("warning", "error") for f in c["findings"])),
        "by_code": {k: {**v, "minutes": round(v["minutes"], 3)} for k, v in by_code.items()},
        "encoder": "synthetic", "n_voices": 2, "consistent": False, "dominant_cluster": 0,
        "identity_threshold": round(float(np.median(sims) - 0.2), 4), "similarity_median": round(float(np.median(sims)), 4),
        "reference": clips[0]["path"], "reference_alternates": [c["path"] for c in clips[1:4]],
    }
    report = {"schema": 1, "tool": {"name": "voxaudit", "version": "bench"}, "created": "bench",
              "inputs": ["synthetic"], "clips": clips, "summary": summary}
    return report, np.stack(rows)


MARKS_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const paint = performance.getEntriesByType('paint').find(p => p.name === 'first-contentful-paint');
  const mark = n => { const m = performance.getEntriesByName(n)[0]; return m ? m.startTime : null; };
  return {first_paint: paint ? paint.startTime : null, table: mark('vx-table'), shown: mark('vx-shown'),
          dom_content_loaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, charts: mark('vx-charts'),
          rows: document.querySelectorAll('#clips tbody tr.clip').length};
}"""


def measure(page_path: Path, chromium: str, repeat: int) -> dict[str, float]:
    """Median timings (ms) over ``repeat`` fresh loads of ``page_path``."""
    from playwright.sync_api import sync_playwright

    runs = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            for _ in range(repeat):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                errors = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(page_path.resolve().as_uri(), wait_until="load")
                page.wait_for_selector("body[data-ready='1']", timeout=120_000)
                runs.append(page.evaluate(MARKS_JS))
                if errors:
                    raise RuntimeError(f"page errors: {errors}")
                context.close()
        finally:
            browser.close()
    keys = [k for k in runs[0] if k != "rows"]
    out = {k: statistics.median(r[k] for r in runs if r[k] is not None) for k in keys}
    out["rows"] = runs[0]["rows"]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=int, default=2000)
    parser.add_argument("--baseline-clips", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--speech", type=Path, default=SPEECH)
    parser.add_argument("--chromium", default=os.environ.get("VOXAUDIT_CHROMIUM") or shutil.which("chromium")
                        or "/usr/bin/chromium")
    parser.add_argument("--keep", type=Path, help="write the pages into this folder and keep them")
    args = parser.parse_args()

    if not (args.speech / "MANIFEST.csv").is_file():
        print(f"real speech not found at {args.speech}", file=sys.stderr)
        return 2
    if not Path(args.chromium).is_file():
        print(f"chromium not found at {args.chromium}", file=sys.stderr)
        return 2
    from voxaudit.report.html import write_html

    files = speech_files(args.speech)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="vx-bench-html-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, chromium {args.chromium}")
    results = {}
    try:
        for label, n in (("baseline", args.baseline_clips), ("large", args.clips)):
            report, emb = synthetic_report(n, files)
            path = folder / f"report_{n}.html"
            t0 = time.perf_counter()
            write_html(report, path, lang="en", embeddings=emb)
            write_s = time.perf_counter() - t0
            timings = measure(path, args.chromium, args.repeat)
            results[label] = timings
            n_flagged = report["summary"]["n_flagged"]
            print(f"\n{n} clips ({n_flagged} flagged): report.html {path.stat().st_size / 1e6:.1f} MB, "
                  f"written in {write_s:.1f} s; rows rendered at first: {timings['rows']}")
            for key in ("first_paint", "table", "shown", "dom_content_loaded", "load", "charts"):
                print(f"  {key:<20} {timings[key]:8.0f} ms")
        base, large = results["baseline"], results["large"]
        print(f"\n{args.clips} clips vs {args.baseline_clips}: verdict + table shown in {large['shown']:.0f} ms "
              f"({large['shown'] / base['shown']:.2f}x the small report's {base['shown']:.0f} ms); "
              f"target < 2000 ms: {'met' if large['shown'] < 2000 else 'NOT met'}")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
