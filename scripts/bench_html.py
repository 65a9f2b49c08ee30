#!/usr/bin/env python
"""How fast report.html opens for a large set, measured in a real browser (headless Chromium); and, for sets
past the clip table threshold, what report.json, clips.parquet and clips.csv cost.

Builds a synthetic report for each of ``--clips`` (default 2,000 and 200,000 clips): realistic clip records
(the 32 metrics of a real clip, an identity block, about 12 % flagged with voxaudit's own messages and
hints, 2 % outlier takes, a second voice group, speaker embeddings for the voice map; ``--speakers`` labels
for a multi-speaker set). Every clip's path is a symlink (made in a temporary folder, nothing copied) to a
real file of ../shared/speech reused round-robin, as after a folder scan: every row gets a player, and the
flagged clips' waveforms and spectrograms are drawn from real audio (at most 400).

It writes the page with :func:`voxaudit.report.html.write_html`, opens it ``--repeat`` times in a fresh
Chromium tab and prints the median of, in milliseconds from navigation start:

- ``first paint``: first contentful paint (the verdict is static HTML at the top of the page);
- ``table``: the clip table rendered by the page's script (mark ``vx-table``);
- ``shown``: the first frame after the table, when the verdict, the aggregated tables and the clip table
  are on screen (mark ``vx-shown``) -- the figure the targets are about (< 2 s at 2,000 clips, < 3 s at
  200,000);
- ``index``: a large page's index of every clip unpacked: search covers every clip (mark ``vx-index``);
- ``DOMContentLoaded`` and ``load``;
- ``charts``: plotly.js run and every chart drawn (mark ``vx-charts``).

Baseline measured in the same run: the same page for a set of ``--baseline-clips`` clips (default 20).
For each size above :data:`voxaudit.report.clips_table.INLINE_CLIPS_MAX` it also writes the scan's
record files with :func:`voxaudit.report.clips_table.write_clip_records` and prints their sizes and times,
the size report.json would have with every clip inline, and how long :func:`voxaudit.report.load_clips`
takes to read the clips back.

Usage: python scripts/bench_html.py [--clips N [N ...]] [--speakers N] [--repeat N] [--keep DIR]
                                    [--chromium PATH] [--no-outputs]
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
# The metrics a real clip record holds (a clip of ../shared/speech scanned by voxaudit), in its order.
METRIC_NAMES = ("duration_s", "sample_rate", "channels", "sample_format", "peak_dbfs", "rms_dbfs", "speech_rms_dbfs",
                "clipping_fraction", "dc_offset", "silence_ratio", "leading_silence_s", "trailing_silence_s",
                "longest_pause_s", "snr_db", "snr_method", "snr_wada_db", "noise_floor_dbfs", "bandwidth_hz", "hum_hz",
                "hum_db", "hum_dbfs", "rt60_s", "reverb_decays", "plosive_count", "plosive_max_db", "agc_pumping_db",
                "agc_pauses", "digital_silence_ratio", "floor_modulation_db", "pause_drop_db", "spectral_hole_ratio",
                "denoise_score")


def speech_files(speech_dir: Path) -> list[Path]:
    """Real clips listed in MANIFEST.csv (path, sorted as listed)."""
    with open(speech_dir / "MANIFEST.csv", newline="", encoding="utf-8") as fh:
        return [speech_dir / row["path"] for row in csv.DictReader(fh)]


def clip_paths(n_clips: int, n_speakers: int = 1) -> list[str]:
    """Display paths as a folder scan writes them: ``[speaker/]session/take.wav``, unique."""
    if n_speakers > 1:
        return [f"spk_{i % n_speakers:03d}/session_{i // (100 * n_speakers):04d}/take_{i:06d}.wav"
                for i in range(n_clips)]
    return [f"session_{i // 100:04d}/take_{i:06d}.wav" for i in range(n_clips)]


def link_audio(audio_dir: Path, paths: list[str], files: list[Path]) -> None:
    """A folder holding every clip path as a symlink to a real file (reused round-robin; nothing is copied),
    so each row's player and each flagged clip's picture read real audio, as after a folder scan."""
    made: set[Path] = set()
    for i, rel in enumerate(paths):
        link = audio_dir / rel
        if link.parent not in made:
            link.parent.mkdir(parents=True, exist_ok=True)
            made.add(link.parent)
        os.symlink(files[i % len(files)], link)


def synthetic_report(n_clips: int, *, audio_dir: Path | None = None, seed: int = 0, flagged_fraction: float = 0.1,
                     outlier_fraction: float = 0.02, second_group: int = 40, n_speakers: int = 1,
                     dim: int = 64, lang: str = "en") -> tuple[dict, np.ndarray]:
    """A report dict shaped like report.json (schema 1) and matching embeddings [n_clips, dim].

    Every clip holds the 32 metrics of a real clip record, an identity block and, for about
    ``flagged_fraction`` of them, 1-3 findings with real messages and hints (voxaudit's own, in ``lang``);
    ``outlier_fraction`` are outlier takes with a ``speaker_mismatch`` error; the last ``second_group`` clips
    (at most a tenth of the set) are a second voice. With ``n_speakers`` > 1 the clips are spread over that many labelled speakers and the
    summary holds a speaker table and a speaker-by-speaker cohesion matrix, as a multi-speaker scan writes.
    ``file`` is ``audio_dir / path`` (see :func:`link_audio`), or a path under a folder that does not exist.
    """
    from voxaudit.config import Config
    from voxaudit.signal.findings import make_finding

    rng = np.random.default_rng(seed)
    rules = Config().rules
    root = audio_dir if audio_dir is not None else Path("/nonexistent-voxaudit-bench")
    paths = clip_paths(n_clips, n_speakers)
    # Per-clip draws, all at once.
    duration = np.round(rng.uniform(2.0, 12.0, n_clips), 3)
    flagged = rng.random(n_clips) < flagged_fraction
    n_outliers = max(1, int(outlier_fraction * n_clips))
    outliers = np.zeros(n_clips, dtype=bool)
    outliers[rng.choice(np.flatnonzero(~flagged), size=min(n_outliers, int((~flagged).sum())), replace=False)] = True
    group_two = np.zeros(n_clips, dtype=bool)
    group_two[n_clips - min(second_group, n_clips // 10):] = True
    group_two &= ~outliers
    main_voice, other_voice = rng.normal(size=dim), rng.normal(size=dim)
    emb = np.where(group_two[:, None], other_voice, main_voice) + rng.normal(size=(n_clips, dim)) * np.where(
        outliers, 2.0, 0.35)[:, None]
    sims = np.round(emb @ main_voice / (np.linalg.norm(emb, axis=1) * np.linalg.norm(main_voice)), 4)
    z = np.round(rng.normal(size=n_clips), 2)
    cols = {
        "peak_dbfs": np.round(rng.uniform(-12, -1, n_clips), 6), "rms_dbfs": np.round(rng.uniform(-30, -18, n_clips), 6),
        "speech_rms_dbfs": np.round(rng.uniform(-28, -16, n_clips), 6),
        "clipping_fraction": np.round(rng.exponential(1e-5, n_clips), 6), "dc_offset": np.round(rng.normal(0, 1e-4, n_clips), 6),
        "silence_ratio": np.round(rng.uniform(0.05, 0.4, n_clips), 6), "leading_silence_s": np.round(rng.uniform(0, 0.6, n_clips), 3),
        "trailing_silence_s": np.round(rng.uniform(0, 0.6, n_clips), 3), "longest_pause_s": np.round(rng.uniform(0, 1.5, n_clips), 3),
        "snr_db": np.round(rng.uniform(20, 60, n_clips), 6), "snr_wada_db": np.round(rng.uniform(10, 40, n_clips), 6),
        "noise_floor_dbfs": np.round(rng.uniform(-80, -55, n_clips), 6),
        "bandwidth_hz": rng.choice([3400.0, 7850.0, 16000.0, 20000.0], n_clips, p=[0.02, 0.28, 0.3, 0.4]),
        "hum_db": np.round(rng.uniform(0, 8, n_clips), 6), "hum_dbfs": np.round(rng.uniform(-90, -60, n_clips), 6),
        "rt60_s": np.round(rng.uniform(0.15, 0.6, n_clips), 3), "reverb_decays": rng.integers(5, 40, n_clips),
        "plosive_count": rng.integers(0, 2, n_clips), "agc_pumping_db": np.round(rng.normal(0, 2, n_clips), 2),
        "agc_pauses": rng.integers(0, 5, n_clips), "floor_modulation_db": np.round(rng.uniform(0, 8, n_clips), 2),
        "pause_drop_db": np.round(rng.uniform(0, 15, n_clips), 2), "spectral_hole_ratio": np.round(rng.uniform(0, 0.05, n_clips), 4),
        "denoise_score": np.round(rng.uniform(0, 0.4, n_clips), 4),
    }
    cols = {k: v.tolist() for k, v in cols.items()}
    hum = (rng.random(n_clips) < 0.05).tolist()
    n_warn = rng.integers(1, 3, n_clips).tolist()
    with_error = (rng.random(n_clips) < 0.3).tolist()
    with_info = (rng.random(n_clips) < 0.1).tolist()
    variant = rng.integers(0, 20, n_clips).tolist()
    picks = rng.integers(0, 1 << 30, n_clips).tolist()
    duration_l, sims_l, z_l = duration.tolist(), sims.tolist(), z.tolist()
    flagged_l, outliers_l, group_two_l = flagged.tolist(), outliers.tolist(), group_two.tolist()
    cache: dict[tuple, dict] = {}

    def finding(code: str, severity: str, k: int, metrics: dict) -> dict:
        # 20 measured values per code and severity: real messages, not one string repeated.
        key = (code, severity, k)
        if key not in cache:
            rule = rules[code]
            threshold = rule.error if severity == "error" and rule.error is not None else rule.warning
            threshold = 0.0 if threshold is None else float(threshold)
            step = (1 + k) * (0.02 * abs(threshold) + 0.01)
            value = threshold - step if rule.direction == "below" else threshold + step
            context = {key: v for key, v in metrics.items() if key not in ("metric", "value", "threshold")}
            cache[key] = make_finding(code, severity, lang=lang, metric=rule.metric, value=value, threshold=threshold,
                                      **context).to_dict()
        return dict(cache[key])

    clips = []
    by_code: dict[str, dict] = {}
    total_s = usable_s = 0.0
    speaker_of = [f"spk_{i % n_speakers:03d}" for i in range(n_clips)] if n_speakers > 1 else None
    for i in range(n_clips):
        metrics = {"duration_s": duration_l[i], "sample_rate": 48000, "channels": 1, "sample_format": "PCM_24"}
        for name in METRIC_NAMES[4:]:
            metrics[name] = cols[name][i] if name in cols else None
        metrics["snr_method"] = "pauses"
        metrics["hum_hz"] = 50.0 if hum[i] else None
        findings = []
        pick = picks[i]
        if outliers_l[i]:
            findings.append(make_finding("speaker_mismatch", "error", lang=lang, metric="similarity",
                                         value=sims_l[i], threshold=0.77, reason="far from the voice").to_dict())
        if flagged_l[i]:
            for k in range(n_warn[i]):
                findings.append(finding(CODES_WARNING[(pick >> (3 * k)) % len(CODES_WARNING)], "warning", variant[i],
                                        metrics))
            if with_error[i]:
                findings.append(finding(CODES_ERROR[pick % len(CODES_ERROR)], "error", variant[i], metrics))
        elif with_info[i] and not outliers_l[i]:
            findings.append(finding("plosive", "info", variant[i], metrics))
        seen = set()
        findings = [f for f in findings if not (f["code"] in seen or seen.add(f["code"]))]
        sevs = [f["severity"] for f in findings]
        quality = max(0.0, 100.0 - 35 * sevs.count("error") - 10 * sevs.count("warning") - 2 * sevs.count("info"))
        total_s += duration_l[i]
        if "error" not in sevs:
            usable_s += duration_l[i]
        for f in findings:
            entry = by_code.setdefault(f["code"], {"clips": 0, "minutes": 0.0, "hint": f["hint"], "severity": f["severity"]})
            entry["clips"] += 1
            entry["minutes"] += duration_l[i] / 60
        identity = {"similarity": sims_l[i], "z": z_l[i],
                    "cluster": 1 if group_two_l[i] else (2 + i if outliers_l[i] else 0),
                    "outlier": outliers_l[i], "reason": "far from the voice" if outliers_l[i] else ""}
        clip = {"path": paths[i], "metrics": metrics, "findings": findings, "quality": quality, "identity": identity,
                "sha256": f"{i:064x}", "file": str(root / paths[i])}
        if speaker_of is not None:
            clip["speaker"] = speaker_of[i]
            identity["speaker"] = speaker_of[i]
        clips.append(clip)
    n_flagged = sum(1 for c in clips if any(f["severity"] in ("warning", "error") for f in c["findings"]))
    by_severity = {s: sum(1 for c in clips if any(f["severity"] == s for f in c["findings"]))
                   for s in ("info", "warning", "error")}
    main = [i for i in range(n_clips) if not outliers_l[i] and not group_two_l[i]]
    two = [i for i in range(n_clips) if group_two_l[i]]
    summary = {
        "n_clips": n_clips, "n_readable": n_clips, "n_unreadable": 0,
        "total_minutes": round(total_s / 60, 3), "usable_minutes": round(usable_s / 60, 3),
        "n_flagged": n_flagged, "by_severity": by_severity,
        "by_code": {k: {**v, "minutes": round(v["minutes"], 3)} for k, v in by_code.items()},
        "encoder": "synthetic", "n_voices": 2 if two else 1, "consistent": False, "dominant_cluster": 0,
        "identity_threshold": round(float(np.median(sims) - 0.2), 4), "similarity_median": round(float(np.median(sims)), 4),
        "reference": clips[main[0]]["path"], "reference_alternates": [clips[i]["path"] for i in main[1:4]],
    }
    if two:
        summary["voices"] = [
            {"voice": "A", "n_clips": len(main), "minutes": round(sum(duration_l[i] for i in main) / 60, 2),
             "typical_clip": clips[main[0]]["path"]},
            {"voice": "B", "n_clips": len(two), "minutes": round(sum(duration_l[i] for i in two) / 60, 2),
             "typical_clip": clips[two[0]]["path"]}]
    if speaker_of is not None:
        names = sorted(set(speaker_of))
        speakers = []
        for k, name in enumerate(names):
            own = range(k, n_clips, n_speakers)
            minutes = sum(duration_l[i] for i in own) / 60
            speakers.append({"name": name, "n_clips": len(own), "minutes": round(minutes, 3),
                             "usable_minutes": round(0.9 * minutes, 3), "consistent": k % 7 != 0,
                             "n_voices": 1 if k % 7 else 2, "n_own_voices": 1 if k % 7 else 2,
                             "n_outliers": k % 3, "n_mislabelled": 1 if k % 11 == 0 else 0,
                             "same_voice_as": [], "reference": clips[k]["path"], "reference_alternates": []})
        cohesion = np.clip(rng.normal(0.72, 0.05, (len(names), len(names))), 0.4, 0.95)
        np.fill_diagonal(cohesion, 1.0)
        summary.update(speakers=speakers, n_mislabelled=sum(s["n_mislabelled"] for s in speakers),
                       same_voice_pairs=[], consistent=False,
                       speaker_cohesion={"names": names, "matrix": np.round(cohesion, 3).tolist()})
    report = {"schema": 1, "tool": {"name": "voxaudit", "version": "bench"}, "created": "bench",
              "inputs": ["synthetic"], "clips": clips, "summary": summary}
    return report, emb.astype(np.float32)


MARKS_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const paint = performance.getEntriesByType('paint').find(p => p.name === 'first-contentful-paint');
  const mark = n => { const m = performance.getEntriesByName(n)[0]; return m ? m.startTime : null; };
  return {first_paint: paint ? paint.startTime : null, table: mark('vx-table'), shown: mark('vx-shown'),
          index: mark('vx-index'), dom_content_loaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
          charts: mark('vx-charts'),
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
    out = {k: (statistics.median(r[k] for r in runs if r[k] is not None)
               if any(r[k] is not None for r in runs) else None) for k in keys}
    out["rows"] = runs[0]["rows"]
    return out


class _Counter:
    """A text sink that only counts the UTF-8 bytes written to it."""

    def __init__(self):
        self.n = 0

    def write(self, text: str) -> None:
        self.n += len(text.encode("utf-8"))


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes >= 100_000 else f"{n_bytes / 1e3:.1f} kB"


def measure_outputs(report: dict, folder: Path) -> None:
    """Write report.json / clips.parquet / clips.csv as a scan would and print what they cost."""
    import json

    from voxaudit.report import load_clips
    from voxaudit.report.clips_table import INLINE_CLIPS_MAX, write_clip_records

    t0 = time.perf_counter()
    written = write_clip_records(folder, report)
    write_s = time.perf_counter() - t0
    sizes = ", ".join(f"{p.name} {_size(p.stat().st_size)}" for p in written)
    counter = _Counter()
    json.dump(report, counter, ensure_ascii=False, indent=2)
    print(f"  record files (threshold {INLINE_CLIPS_MAX} clips): {sizes}, written in {write_s:.1f} s; "
          f"report.json with every clip inline would be {counter.n / 1e6:.0f} MB")
    t0 = time.perf_counter()
    back = load_clips(folder)
    read_s = time.perf_counter() - t0
    same = back == report["clips"]
    print(f"  load_clips: {len(back)} clips read back in {read_s:.1f} s, equal to the inline records: {same}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=int, nargs="+", default=[2000, 200_000])
    parser.add_argument("--baseline-clips", type=int, default=20)
    parser.add_argument("--speakers", type=int, default=1, help="labelled speakers in each set (default 1)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--speech", type=Path, default=SPEECH)
    parser.add_argument("--chromium", default=os.environ.get("VOXAUDIT_CHROMIUM") or shutil.which("chromium")
                        or "/usr/bin/chromium")
    parser.add_argument("--keep", type=Path, help="write the pages into this folder and keep them")
    parser.add_argument("--no-outputs", action="store_true", help="skip report.json / clips.parquet / clips.csv")
    args = parser.parse_args()

    if not (args.speech / "MANIFEST.csv").is_file():
        print(f"real speech not found at {args.speech}", file=sys.stderr)
        return 2
    if not Path(args.chromium).is_file():
        print(f"chromium not found at {args.chromium}", file=sys.stderr)
        return 2
    from voxaudit.report.clips_table import INLINE_CLIPS_MAX
    from voxaudit.report.html import write_html
    from voxaudit.report.html_scale import HTML_ALL_ROWS_MAX

    files = speech_files(args.speech)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="vx-bench-html-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, chromium {args.chromium}")
    results = {}
    try:
        for n in [args.baseline_clips] + list(args.clips):
            case = folder / f"set_{n}"
            if case.exists():
                shutil.rmtree(case)
            t0 = time.perf_counter()
            report, emb = synthetic_report(n, audio_dir=case / "audio", n_speakers=args.speakers)
            link_audio(case / "audio", [c["path"] for c in report["clips"]], files)
            build_s = time.perf_counter() - t0
            path = case / "out" / "report.html"
            t0 = time.perf_counter()
            write_html(report, path, lang="en", embeddings=emb)
            write_s = time.perf_counter() - t0
            timings = measure(path, args.chromium, args.repeat)
            results[n] = timings
            form = "worst clips in full + index" if n > HTML_ALL_ROWS_MAX else "every clip in full"
            print(f"\n{n} clips ({report['summary']['n_flagged']} flagged; {form}): report.html "
                  f"{_size(path.stat().st_size)}, written in {write_s:.1f} s (set built in {build_s:.1f} s); "
                  f"rows rendered at first: {timings['rows']}")
            for key in ("first_paint", "table", "shown", "index", "dom_content_loaded", "load", "charts"):
                if timings[key] is not None:
                    print(f"  {key:<20} {timings[key]:8.0f} ms")
            if n > INLINE_CLIPS_MAX and not args.no_outputs:
                measure_outputs(report, case / "out")
            del report, emb
            if args.keep is None:
                shutil.rmtree(case, ignore_errors=True)
        base = results[args.baseline_clips]
        print()
        for n in args.clips:
            target = 2000 if n <= HTML_ALL_ROWS_MAX else 3000
            shown = results[n]["shown"]
            print(f"{n} clips vs {args.baseline_clips}: verdict + tables shown in {shown:.0f} ms "
                  f"({shown / base['shown']:.2f}x the small report's {base['shown']:.0f} ms); "
                  f"target < {target} ms: {'met' if shown < target else 'NOT met'}")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
