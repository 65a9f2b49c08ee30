#!/usr/bin/env python
"""How voxaudit's signal findings fare on real tools applied to real speech, and beside DNSMOS.

Builds the degradation corpus of ``tests/degradations.py`` (eleven takes of ``../shared/speech`` made
noisy at 18 dB, then through RNNoise, noisereduce, pedalboard gates and AGC-like chains, spectral
subtraction; rooms of RT60 0.3-1.2 s; the clean and noisy takes as controls) in memory, measures every
clip the way a scan does, rates it with DNSMOS P.835, and prints Markdown tables:

1. detection per tool and setting (the finding each must raise), and false alarms on the controls;
2. false ``denoised`` / ``agc_pumping`` on the 339 real clips (``fsdd_concat`` apart: judged
   ``denoised`` on purpose);
3. clips without pauses: clean aishell1 sentences trimmed to 50 ms of silence at each end, and
   GPT-SoVITS-like slices of two clean aishell1 sessions, clean and with noise at 12-15 dB;
4. rooms against noise: our RT60 reading, findings and DNSMOS OVRL per room, beside noisy takes at
   the ``low_snr`` levels (25 and 15 dB);
5. clips DNSMOS rates under 2.5 that carry no warning or error of ours;
6. Spearman rank correlation between our quality score and DNSMOS OVRL over the corpus;
   then the real clips flagged ``denoised``/``agc_pumping`` by speaker, and the same tools at settings
   that were not used to set any threshold (other noise, 12-35 dB SNR, other gate and subtraction
   settings);
7. (``--mos-agreement N``) our DNSMOS against ``speechmos.dnsmos.run`` on every N-th real clip, and its
   cost per second of audio against the other signal measures and a whole scan.

Run it with an older checkout's ``src`` first on ``PYTHONPATH`` to get the "before" figures of the
detection and Spearman tables (DNSMOS then comes from this checkout's ``signal/mos.py``).

8. (``--mp3-check``) whether MP3 coding alone leaves the musical noise read in LibriSpeech reader ls1688.

Usage: python scripts/eval_degradations.py [--speech DIR] [--clips N] [--mos-agreement N] [--scan-cost]
       [--mp3-check]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import collections
import csv
import importlib.util
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def _mos_module():
    """This checkout's DNSMOS module, also when an older voxaudit is the one imported."""
    try:
        from voxaudit.signal import mos

        return mos
    except ImportError:
        spec = importlib.util.spec_from_file_location("_voxaudit_mos", ROOT / "src/voxaudit/signal/mos.py")
        module = importlib.util.module_from_spec(spec)
        source = (ROOT / "src/voxaudit/signal/mos.py").read_text()
        source = source.replace("from ..errors import ParameterError", "ParameterError = ValueError")
        source = source.replace("from .activity import SpeechActivity, check_input", "SpeechActivity = object")
        exec(compile(source, str(ROOT / "src/voxaudit/signal/mos.py"), "exec"), module.__dict__)
        return module


def rate(mos, samples: np.ndarray, sr: int) -> tuple[float, float, float]:
    from voxaudit.resample import resample

    return mos.dnsmos(resample(samples, orig_sr=sr, target_sr=16000))


def judge(samples: np.ndarray, sr: int, mos=None):
    """Measure and judge a clip as a default scan does (``mos``: None for the scan's default DNSMOS mode,
    else what ``measure_signal`` gets; False with an older voxaudit that has no modes)."""
    from voxaudit.config import Config
    from voxaudit.signal import measure_signal
    from voxaudit.signal.findings import judge_metrics, quality_score

    config = Config()
    metrics = measure_signal(samples, sample_rate=sr, mos=bool(mos))
    findings = judge_metrics(metrics, config)
    if mos is None and hasattr(config, "mos_mode"):  # the scan's default: DNSMOS as a second opinion
        from voxaudit.signal.mos import second_opinion

        rejudged = second_opinion(samples, sample_rate=sr, metrics=metrics, findings=findings, config=config,
                                  judge=lambda values: judge_metrics(values, config))
        findings = findings if rejudged is None else rejudged
    return metrics, findings, quality_score(findings, config)


def carrying(metrics: dict, code: str) -> str:
    """The metric(s) that carry a denoised or agc_pumping finding, for the listing of false alarms."""
    try:
        from voxaudit.signal.denoise import sign_scores
    except ImportError:  # an older voxaudit
        return ""
    if code == "denoised":
        parts = sign_scores(metrics)
        return "+".join(sorted(k for k, v in parts.items() if v >= 0.5)) or max(parts, key=parts.get, default="")
    return "gain dip" if (metrics.get("agc_gain_dip_db") or -99) > 0.5 else "pause rise"


def held_out(args) -> None:
    """The same tools at settings that were not used to set any threshold: the other noise colour than the
    corpus's take, at 12, 25 and 35 dB SNR; NoiseGate with a 250 ms release; spectral subtraction with
    alpha 3 and floor 0.005."""
    from degradations import (CORPUS_CLIPS, level_dbfs, load_clip, mix_at_snr, noise_gate, noise_of,
                              spectral_subtraction)

    from voxaudit.signal.activity import dilate, speech_activity

    print("\n### Other settings, not used to set the thresholds\n")
    print("| SNR | tool and setting | pause cores turned down (median) | `denoised` | floor step (median) | musical noise (median) |")
    print("|---:|---|---:|---:|---:|---:|")
    rows = collections.OrderedDict()
    for i, path in enumerate(CORPUS_CLIPS[:args.clips]):
        x, sr = load_clip(args.speech, path)
        kind = "white" if i % 2 == 0 else "pink"
        for snr in (12.0, 25.0, 35.0):
            noisy = mix_at_snr(x, sr, noise_of(kind, x.size, sr, args.speech, seed=500 + i), snr)
            noise_dbfs = level_dbfs(noisy - x)
            tools = {"noisy take (control)": noisy}
            for ratio in (2.0, 4.0):
                tools[f"NoiseGate ratio {ratio:g}, threshold noise + 20 dB, release 250 ms"] = noise_gate(
                    noisy, sr, threshold_db=noise_dbfs + 20.0, ratio=ratio, release_ms=250.0)
            tools["spectral subtraction, alpha 3, floor 0.005"] = spectral_subtraction(noisy, sr, alpha=3.0,
                                                                                          beta=0.005)
            # Pause cores: at least 150 ms from the noisy take's speech.
            act = speech_activity(noisy, sample_rate=sr)
            core = ~dilate(np.asarray(act.speech, dtype=bool), int(round(0.15 / act.hop_s)))
            pause = np.repeat(core, int(round(act.hop_s * sr)))[:x.size]
            pause = np.pad(pause, (0, x.size - pause.size))
            for name, y in tools.items():
                down = level_dbfs(noisy[pause]) - level_dbfs(y[pause])
                peak = float(np.max(np.abs(y)))
                metrics, f, _ = judge((y * (0.99 / peak) if peak > 0.99 else y).astype(np.float32), sr)
                rows.setdefault((snr, name), []).append((any(x.code == "denoised" for x in f), down,
                                                         metrics.get("floor_step_db"),
                                                         metrics.get("musical_noise_ratio")))
    for (snr, name), group in rows.items():
        def med(k):
            v = [g[k] for g in group if g[k] is not None]
            return float(np.median(v)) if v else float("nan")
        print(f"| {snr:g} dB | {name} | {med(1):.1f} dB | {sum(g[0] for g in group)}/{len(group)} | "
              f"{med(2):.1f} dB | {med(3):.4f} |")


def held_out_agc(args) -> None:
    """AGC-like chains at settings not used for any threshold (other ratio, release and threshold, the
    other noise colour, 12 and 25 dB SNR before the gain control), with and without the third sign (the
    noise louder in the pauses than under the words)."""
    from degradations import CORPUS_CLIPS, compressor_agc, load_clip, mix_at_snr, noise_of

    from voxaudit.signal.agc import agc_score

    print("\n### AGC at other settings, not used to set the thresholds\n")
    print("| SNR before the AGC | chain | `agc_pumping` | without the pause-floor sign | `low_snr` |")
    print("|---:|---|---:|---:|---:|")
    chains = (("ratio 3, attack 5 ms, release 300 ms, threshold speech - 10 dB", 3.0, 5.0, 300.0, -10.0),
              ("ratio 6, attack 1 ms, release 1.5 s, threshold speech - 8 dB", 6.0, 1.0, 1500.0, -8.0))
    rows = collections.OrderedDict()
    for i, path in enumerate(CORPUS_CLIPS[:args.clips]):
        x, sr = load_clip(args.speech, path)
        for snr in (25.0, 12.0):
            noisy = mix_at_snr(x, sr, noise_of("white" if i % 2 == 0 else "pink", x.size, sr, args.speech,
                                               seed=900 + i), snr)
            for name, ratio, attack, release, below in chains:
                y = compressor_agc(noisy, sr, ratio=ratio, attack_ms=attack, release_ms=release,
                                   below_speech_db=-below)
                metrics, f, _ = judge(y.astype(np.float32), sr)
                without = agc_score(metrics["agc_pumping_db"], metrics["agc_gain_dip_db"], metrics["agc_pauses"])
                rows.setdefault((snr, name), []).append((any(g.code == "agc_pumping" for g in f),
                                                         without is not None and without >= 0.5,
                                                         any(g.code == "low_snr" for g in f)))
    for (snr, name), group in rows.items():
        n = len(group)
        print(f"| {snr:g} dB | {name} | {sum(g[0] for g in group)}/{n} | {sum(g[1] for g in group)}/{n} | "
              f"{sum(g[2] for g in group)}/{n} |")


def held_out_rooms(args, manifest, mos, *, start: int = 0, title: str = "Small rooms on other clips") -> None:
    """Small rooms heard from afar, on 24 real clips outside the corpus (``start``: where in a fixed
    shuffle of them to begin; 0 is the set whose readings were seen when the second-opinion band was set,
    24 the next, fresh set): RT60 0.3 and 0.45 s with a direct-to-reverberant ratio of 0 and +6 dB; how
    many DNSMOS rates under 2.5, and how many of those carry no warning or error of ours."""
    import random

    from degradations import CORPUS_CLIPS, load_clip, room

    paths = [r["path"] for r in manifest if r["source"] != "fsdd_concat" and r["path"] not in CORPUS_CLIPS
             and float(r.get("duration_s") or 3.0) >= 2.5]
    random.Random(7).shuffle(paths)
    paths = paths[start:start + 24]
    print(f"\n### {title}\n")
    print("| RT60 | direct-to-reverberant | `rt60_s` (median) | `reverb` warning or error | DNSMOS asked (default scan) | DNSMOS OVRL < 2.5 | of those without a finding of ours | without one other than `low_mos` |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = collections.OrderedDict()
    for i, path in enumerate(paths):
        x, sr = load_clip(args.speech, path)
        for rt60 in (0.3, 0.45):
            for drr in (0.0, 6.0):
                y = room(x, sr, rt60, drr_db=drr, seed=50 + start + i)
                metrics, f, _ = judge(y, sr)
                graded = [g for g in f if g.severity in ("warning", "error")]
                rows.setdefault((rt60, drr), []).append((metrics.get("rt60_s"), any(g.code == "reverb" for g in graded),
                                                         rate(mos, y, sr)[2] < 2.5, not graded,
                                                         not any(g.code != "low_mos" for g in graded),
                                                         metrics.get("dnsmos_ovrl") is not None))
    for (rt60, drr), group in rows.items():
        low = [g for g in group if g[2]]
        n = len(group)
        print(f"| {rt60:g} s | {drr:+g} dB | {np.median([g[0] for g in group if g[0] is not None]):.2f} s | "
              f"{sum(g[1] for g in group)}/{n} | {sum(g[5] for g in group)}/{n} | {len(low)}/{n} | "
              f"{sum(g[3] for g in low)}/{len(low)} | {sum(g[4] for g in low)}/{len(low)} |")


def spearman(a, b) -> float:
    ra = np.argsort(np.argsort(a, kind="stable"), kind="stable").astype(float)
    rb = np.argsort(np.argsort(b, kind="stable"), kind="stable").astype(float)
    # average ranks for ties
    for values, ranks in ((np.asarray(a), ra), (np.asarray(b), rb)):
        for v in np.unique(values):
            sel = values == v
            if sel.sum() > 1:
                ranks[sel] = ranks[sel].mean()
    return float(np.corrcoef(ra, rb)[0, 1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--speech", type=Path, default=ROOT.parent / "shared" / "speech")
    parser.add_argument("--clips", type=int, default=11, help="takes of the corpus (at most 11)")
    parser.add_argument("--mos-agreement", type=int, default=0, metavar="N",
                        help="compare with speechmos.dnsmos.run on every N-th real clip (0: skip)")
    parser.add_argument("--scan-cost", action="store_true",
                        help="time `voxaudit scan` of the real clips with and without --mos")
    parser.add_argument("--mp3-check", action="store_true",
                        help="MP3 round trips of the other LibriSpeech readers against ls1688's musical noise")
    args = parser.parse_args()

    import voxaudit
    from degradations import (CORPUS_CLIPS, build_corpus, load_clip, mix_at_snr, noise_of, slicer_session,
                              trim_silence)

    mos = _mos_module()
    print(f"voxaudit from {Path(voxaudit.__file__).parent}")
    t0 = time.perf_counter()
    items = build_corpus(args.speech, CORPUS_CLIPS[:args.clips])
    print(f"corpus: {len(items)} clips from {args.clips} takes, built in {time.perf_counter() - t0:.0f} s\n")

    rows = []
    for item in items:
        metrics, findings, quality = judge(item.samples, item.sample_rate)
        sig, bak, ovrl = rate(mos, item.samples, item.sample_rate)
        rows.append((item, metrics, findings, quality, (sig, bak, ovrl)))

    # 1. detection per tool and setting
    print("### Detection per tool and setting\n")
    print("| tool | setting | target | detected | also raised (clips) | DNSMOS OVRL (median) |")
    print("|---|---|---|---:|---|---:|")
    groups = collections.OrderedDict()
    for row in rows:
        groups.setdefault((row[0].family, row[0].setting), []).append(row)
    for (family, setting), group in groups.items():
        expect = group[0][0].expect
        hit = sum(1 for _, _, f, _, _ in group if all(any(x.code == e for x in f) for e in expect))
        others = collections.Counter(x.code for _, _, f, _, _ in group for x in {x.code: x for x in f}.values()
                                     if x.code not in expect and x.severity in ("warning", "error"))
        also = ", ".join(f"{c} {n}" for c, n in others.most_common(4))
        target = ", ".join(expect) if expect else "none (control)"
        if not expect:
            bad = sum(1 for _, _, f, _, _ in group if any(x.code in ("denoised", "agc_pumping") for x in f))
            detected = f"false denoised/agc: {bad}/{len(group)}"
        else:
            detected = f"{hit}/{len(group)}" + ("" if group[0][0].realistic else " (mild)")
        ovrl = np.median([m[2] for *_, m in group])
        print(f"| {family} | {setting} | {target} | {detected} | {also} | {ovrl:.2f} |")

    # AGC hint
    agc = [r for r in rows if r[0].family.startswith("agc_")]
    fan_only = sum(1 for _, _, f, _, _ in agc if any(x.code == "low_snr" for x in f)
                   and not any(x.code == "agc_pumping" for x in f))
    print(f"\nAGC clips explained only as room noise (low_snr without agc_pumping): {fan_only}/{len(agc)}")
    narrow = sum(1 for it, _, f, _, _ in rows if it.family == "noisy" and any(x.code == "narrow_bandwidth" for x in f))
    print(f"noisy takes read as narrow_bandwidth: {narrow}/{sum(1 for r in rows if r[0].family == 'noisy')}")

    # 5. DNSMOS < 2.5 without a finding of ours
    low = [r for r in rows if r[4][2] < 2.5]
    silent = [r[0].name for r in low if not any(x.severity in ("warning", "error") for x in r[2])]
    own = [r[0].name for r in low if not any(x.severity in ("warning", "error") and x.code != "low_mos"
                                            for x in r[2])]
    rated = sum(1 for r in rows if r[1].get("dnsmos_ovrl") is not None)
    print(f"clips DNSMOS OVRL rates under 2.5: {len(low)}; of them without a warning or error of ours "
          f"(default scan: DNSMOS asked for {rated} of {len(rows)} clips): {len(silent)} {silent[:8]}; "
          f"without one other than low_mos: {len(own)} {own[:8]}")

    # 6. Spearman
    q = [r[3] for r in rows]
    o = [r[4][2] for r in rows]
    print(f"Spearman(quality, DNSMOS OVRL) over the {len(rows)} corpus clips: {spearman(q, o):.2f}")
    try:
        from voxaudit.config import Config
        from voxaudit.signal.findings import judge_metrics, quality_score

        config = Config()
        config.enable("low_mos")
        q_mos = []
        for _, metrics, _, _, (sig, bak, ovrl) in rows:
            rated = {**metrics, "dnsmos_sig": sig, "dnsmos_bak": bak, "dnsmos_ovrl": ovrl}
            q_mos.append(quality_score(judge_metrics(rated, config), config))
        print(f"... with --mos (low_mos in the quality score): {spearman(q_mos, o):.2f}")
    except Exception as error:  # an older voxaudit without low_mos
        print(f"... with --mos: not available in this voxaudit ({type(error).__name__})")
    print()

    # 4. rooms against noise
    print("### Rooms against noise (DNSMOS OVRL, median over the takes)\n")
    print("| condition | our reading | findings (clips) | DNSMOS OVRL | SIG | BAK |")
    print("|---|---|---|---:|---:|---:|")
    ladder = collections.OrderedDict()
    for i, path in enumerate(CORPUS_CLIPS[:args.clips]):
        x, sr = load_clip(args.speech, path)
        for snr in (25.0, 15.0):
            y = mix_at_snr(x, sr, noise_of("pink" if i % 2 == 0 else "white", x.size, sr, args.speech,
                                           seed=200 + i), snr)
            m, f, qq = judge(y, sr)
            ladder.setdefault(f"noise at {snr:g} dB", []).append((m.get("snr_db"), f, rate(mos, y, sr)))
    for r in rows:
        if r[0].family == "room":
            ladder.setdefault(f"room {r[0].setting}", []).append((r[1].get("rt60_s"), r[2], r[4]))
    for name, group in ladder.items():
        reading = np.median([g[0] for g in group if g[0] is not None])
        codes = collections.Counter(f"{x.code}:{x.severity}" for _, f, _ in group for x in f
                                    if x.code in ("reverb", "low_snr"))
        med = np.median([g[2] for g in group], axis=0)
        unit = "dB SNR" if name.startswith("noise") else "s RT60"
        print(f"| {name} | {reading:.2f} {unit} | {', '.join(f'{c} {n}' for c, n in codes.most_common())} | "
              f"{med[2]:.2f} | {med[0]:.2f} | {med[1]:.2f} |")

    # 2. the real clips
    print("\n### The 339 real clips\n")
    with open(args.speech / "MANIFEST.csv", newline="", encoding="utf-8") as fh:
        manifest = list(csv.DictReader(fh))
    from voxaudit.audio import load_audio

    false = collections.Counter()
    counted = collections.Counter()
    flagged = collections.defaultdict(list)
    second = collections.Counter()
    for row in manifest:
        audio = load_audio(args.speech / row["path"])
        metrics, f, _ = judge(audio.samples, audio.sample_rate)
        if metrics.get("dnsmos_ovrl") is not None:
            second[row["source"]] += 1
            second[(row["source"], "low_mos")] += any(x.code == "low_mos" for x in f)
        src = "fsdd_concat" if row["source"] == "fsdd_concat" else "other"
        counted[src] += 1
        for code in ("denoised", "agc_pumping"):
            if any(x.code == code for x in f):
                false[(src, code)] += 1
                if src == "other":
                    flagged[row["speaker_id"]].append(f"{code} {carrying(metrics, code)}")
    n = counted["other"]
    bad = false[('other', 'denoised')] + false[('other', 'agc_pumping')]
    print(f"other sources ({n} clips): denoised {false[('other', 'denoised')]}, agc_pumping "
          f"{false[('other', 'agc_pumping')]} -> {100 * bad / n:.1f} %")
    for speaker, what in sorted(flagged.items()):
        print(f"  {speaker}: {len(what)} ({', '.join(sorted(set(what)))})")
    if "ls1688" in flagged:
        rest = bad - len(flagged["ls1688"])
        n_rest = n - sum(1 for row in manifest if row["speaker_id"] == "ls1688")
        print(f"  without ls1688 (noise removed at source, see signal/denoise.py): {rest}/{n_rest} -> "
              f"{100 * rest / n_rest:.1f} %")
    print(f"fsdd_concat ({counted['fsdd_concat']} clips, digital silence by construction): denoised "
          f"{false[('fsdd_concat', 'denoised')]}, agc_pumping {false[('fsdd_concat', 'agc_pumping')]}")
    sources = sorted(k for k in second if isinstance(k, str))
    print(f"DNSMOS asked for a second opinion (default scan) on {sum(second[k] for k in sources)} of "
          f"{len(manifest)} clips: " + ", ".join(f"{k} {second[k]} ({second[(k, 'low_mos')]} low_mos)"
                                                   for k in sources))

    # 3. clips without pauses
    print("\n### Clips without pauses (low_snr)\n")
    print("| clips | n | blind SNR used | low_snr error | low_snr warning |")
    print("|---|---:|---:|---:|---:|")
    aishell = [r["path"] for r in manifest if r["source"] == "aishell1"]
    trimmed = []
    for path in aishell:
        x, sr = load_clip(args.speech, path)
        trimmed.append((trim_silence(x, sr, 0.05), sr))
    slices = [(s, 32000) for s in slicer_session(args.speech, manifest=manifest)]
    sets = {"aishell1 sentences, 50 ms of silence kept": trimmed, "aishell1 sessions, slicer-like": slices}
    for name, clips in list(sets.items()):
        for label, kind, snr in (("", None, None), (" + pink 12 dB", "pink", 12.0), (" + babble 15 dB", "babble", 15.0)):
            blind = err = warn = 0
            for i, (x, sr) in enumerate(clips):
                y = x if kind is None else mix_at_snr(x, sr, noise_of(kind, x.size, sr, args.speech, seed=300 + i), snr)
                m, f, _ = judge(y, sr)
                blind += m.get("snr_method") != "pauses"
                sev = [x.severity for x in f if x.code == "low_snr"]
                err += "error" in sev
                warn += "warning" in sev
            print(f"| {name}{label} | {len(clips)} | {blind} | {err} | {warn} |")

    held_out(args)
    held_out_agc(args)
    held_out_rooms(args, manifest, mos, title="Small rooms on 24 other clips (seen when the second-opinion band was set)")
    held_out_rooms(args, manifest, mos, start=24, title="Small rooms on 24 further clips (held out)")
    if args.mos_agreement:
        mos_agreement(args, manifest, mos)
    if args.mp3_check:
        mp3_check(args)
    if args.scan_cost:
        scan_cost(args)


def mos_agreement(args, manifest, mos) -> None:
    """Our DNSMOS (fewest covering windows) against speechmos.dnsmos.run (a window every 1 s)."""
    from speechmos import dnsmos as reference

    from voxaudit.audio import load_audio
    from voxaudit.resample import resample
    from voxaudit.signal import measure_signal

    rows = manifest[::args.mos_agreement]
    diffs, ours_s, ref_s, signal_s, audio_s = [], 0.0, 0.0, 0.0, 0.0
    for row in rows:
        audio = load_audio(args.speech / row["path"])
        y = resample(audio.samples, orig_sr=audio.sample_rate, target_sr=16000)
        t = time.process_time()
        ref = reference.run(np.clip(y, -1, 1), 16000)
        ref_s += time.process_time() - t
        t = time.process_time()
        ours = mos.dnsmos(y)
        ours_s += time.process_time() - t
        t = time.process_time()
        measure_signal(audio.samples, sample_rate=audio.sample_rate)
        signal_s += time.process_time() - t
        audio_s += audio.duration_s
        diffs.append(np.abs(np.array(ours) - [ref["sig_mos"], ref["bak_mos"], ref["ovrl_mos"]]))
    d = np.array(diffs)
    print(f"\n### DNSMOS agreement with speechmos.dnsmos.run ({len(rows)} real clips, {audio_s / 60:.1f} min)\n")
    print("| rating | mean abs. difference | max |")
    print("|---|---:|---:|")
    for i, name in enumerate(("SIG", "BAK", "OVRL")):
        print(f"| {name} | {d[:, i].mean():.3f} | {d[:, i].max():.3f} |")
    print(f"\nCPU per second of audio: ours {1000 * ours_s / audio_s:.1f} ms, speechmos.dnsmos.run (its own "
          f"threads, P.808 model too) {1000 * ref_s / audio_s:.1f} ms, all other signal measures "
          f"{1000 * signal_s / audio_s:.1f} ms")


def scan_cost(args) -> None:
    """CPU of `voxaudit scan` over the real clips with --no-mos, by default and with --mos, with each identity
    encoder: GE2E
    (what a machine without the ECAPA weights runs) and ECAPA-TDNN (the default where its weights are
    present; a random checkpoint in SpeechBrain's layout has the published model's architecture, so the
    same cost)."""
    from voxaudit.speaker.random_ecapa import build_ecapa_checkpoint

    exe = [sys.executable, "-c", "from voxaudit.cli import main; main()"]
    with tempfile.TemporaryDirectory() as weights:
        ecapa = build_ecapa_checkpoint(Path(weights) / "spkrec-ecapa-voxceleb", seed=0)
        encoders = (("GE2E", ["--encoder", "ge2e"]),
                    ("ECAPA-TDNN", ["--encoder", "ecapa", "--model-dir", str(ecapa), "--unverified-weights"]))
        for name, encoder in encoders:
            results = {}
            for label, extra in (("--no-mos", ["--no-mos"]), ("default", []), ("--mos", ["--mos"])):
                with tempfile.TemporaryDirectory() as out:
                    before = resource.getrusage(resource.RUSAGE_CHILDREN)
                    t = time.perf_counter()
                    subprocess.run(exe + ["scan", str(args.speech), "--out", out, "--no-html", "--quiet",
                                          "--jobs", "2"] + encoder + extra, check=True)
                    wall = time.perf_counter() - t
                    after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                results[label] = (cpu, wall)
                print(f"scan ({name}) {label}: {cpu:.1f} s CPU (process tree), {wall:.1f} s wall")
            base = results["--no-mos"][0]
            print(f"with {name}, against --no-mos: the default (DNSMOS on ambiguous rooms) adds "
                  f"{100 * (results['default'][0] / base - 1):.0f} % CPU, --mos (every clip) "
                  f"{100 * (results['--mos'][0] / base - 1):.0f} %")


def mp3_check(args) -> None:
    """Could MP3 coding alone leave ls1688's musical noise? LibriSpeech was cut from LibriVox MP3s: the other
    LibriSpeech readers' clips (two each) go through an MP3 round trip at 44.1 kHz (about 160, 100 and 50
    kbit/s, constant bitrate) and back to 16 kHz, and their musical noise is compared with ls1688's."""
    import io

    import soundfile as sf
    import soxr

    def round_trip(x, sr, level):
        y = soxr.resample(x, sr, 44100).astype(np.float32)
        buf = io.BytesIO()
        sf.write(buf, y, 44100, format="MP3", bitrate_mode="CONSTANT", compression_level=level)
        kbps = len(buf.getvalue()) * 8 / (y.size / 44100) / 1000
        buf.seek(0)
        z, _ = sf.read(buf, dtype="float32")
        return soxr.resample(z, 44100, 16000).astype(np.float32), kbps

    print("\n### MP3 coding alone vs ls1688 (musical noise in the pauses)\n")
    print("| clips | bitrate | musical noise, max | at or over the warning (0.025) | flagged `denoised` |")
    print("|---|---:|---:|---:|---:|")
    readers = sorted(p for d in ("librispeech_test-other", "librispeech_train-clean-100")
                     for p in (args.speech / d).glob("ls*") if p.name != "ls1688")
    for level in (0.6, 0.8, 0.95):
        values, flagged, rates = [], 0, []
        for reader in readers:
            for path in sorted(reader.glob("*.*"))[:2]:
                x, sr = sf.read(path, dtype="float32")
                y, kbps = round_trip(x, sr, level)
                metrics, findings, _ = judge(y, 16000)
                values.append(metrics.get("musical_noise_ratio") or 0.0)
                flagged += any(f.code == "denoised" for f in findings)
                rates.append(kbps)
        print(f"| {len(values)} clips of {len(readers)} other readers | {np.median(rates):.0f} kbit/s | "
              f"{max(values):.4f} | {sum(v >= 0.025 for v in values)} | {flagged} |")
    own = []
    for path in sorted((args.speech / "librispeech_test-other" / "ls1688").glob("*.*")):
        x, sr = sf.read(path, dtype="float32")
        own.append(judge(x, sr)[0].get("musical_noise_ratio") or 0.0)
    print(f"| ls1688 as distributed ({len(own)} clips) | | {max(own):.4f} (min {min(own):.4f}) | "
          f"{sum(v >= 0.025 for v in own)} | |")


if __name__ == "__main__":
    main()
