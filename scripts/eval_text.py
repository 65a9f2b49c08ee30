"""Evaluate the transcript checks on real read speech whose transcripts you supply.

The transcripts of ../shared/speech are not stored in this repository (they are other people's text).
Pass them at run time, one or more files of ``name|text`` lines (``name`` is a clip's file name without
extension; further ``|`` fields are ignored, so LJSpeech's ``metadata.csv`` works as it is), or a folder
of ``NAME.txt`` files (AISHELL's sample release). Then:

    python scripts/eval_text.py --transcripts aishell.txt lj.txt

prints, per speaker: the speaking rate per second of speech / of the span from first to last speech /
of the clip (log-rate scatter of each), the flags of several rate rules on the correct lines and on
every within-speaker swap of two transcripts, and the internal pauses with whether punctuation marks
them. ``--write-counts FILE`` writes, per clip, the syllable count and the syllable positions of the
pause marks of its transcript (numbers only, no text): the tests build lines of their own words with
those counts (tests/test_text_speech.py).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from voxaudit.audio import load_audio  # noqa: E402
from voxaudit.signal import measure_signal, speech_activity  # noqa: E402
from voxaudit.text.lang import HAN, char_script, foreign_share  # noqa: E402
from voxaudit.text.measure import measure_text, speech_pauses  # noqa: E402
from voxaudit.text.rate import rate_outliers  # noqa: E402
from voxaudit.text.syllables import analyse_text, count_syllables  # noqa: E402


def read_transcripts(paths: list[str]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for item in paths:
        path = Path(item)
        if path.is_dir():
            for txt in sorted(path.glob("*.txt")):
                texts[txt.stem] = " ".join(txt.read_text(encoding="utf-8-sig").split())
            continue
        for line in path.read_text(encoding="utf-8-sig").splitlines():
            if "|" not in line:
                continue
            name, text = line.split("|", 2)[:2]
            texts[os.path.splitext(os.path.basename(name.strip()))[0]] = text.strip()
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transcripts", nargs="+", required=True)
    parser.add_argument("--speech-dir", default=str(ROOT.parent / "shared" / "speech"))
    parser.add_argument("--write-counts", default=None)
    args = parser.parse_args()
    texts = read_transcripts(args.transcripts)
    speech = Path(args.speech_dir)
    with open(speech / "MANIFEST.csv", newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if Path(r["path"]).stem in texts]
    print(f"{len(rows)} clips of {speech} have a transcript")
    clips = []
    for row in rows:
        lang = "zh" if row["language"] == "zh" else "en"
        text = texts[Path(row["path"]).stem]
        audio = load_audio(str(speech / row["path"]))
        activity = speech_activity(audio.samples, sample_rate=audio.sample_rate)
        metrics = measure_signal(audio.samples, sample_rate=audio.sample_rate, activity=activity)
        speech_s, pauses = speech_pauses(activity.speech_segments_s())
        units = analyse_text(text, lang)
        measured = measure_text(text, lang.upper(), speech_s=speech_s, pauses=pauses)
        clips.append({"path": row["path"], "speaker": row["speaker_id"], "lang": lang, "syl": units.syllables,
                      "marks": units.marks, "speech": speech_s, "pauses": pauses, "text": text,
                      "span": audio.duration_s - metrics["leading_silence_s"] - metrics["trailing_silence_s"],
                      "dur": audio.duration_s, "unmarked": measured.get("unmarked_pause_s"),
                      "pure": not foreign_share(text, lang)})

    print("\n== speaking rate per speaker (syllables per second of ...)")
    for speaker in sorted({c["speaker"] for c in clips}):
        group = [c for c in clips if c["speaker"] == speaker]
        for key, name in (("speech", "speech"), ("span", "first-to-last speech"), ("dur", "clip")):
            rates = np.array([c["syl"] / c[key] for c in group])
            print(f"{speaker:14s} n={len(group):3d} {name:21s} median {np.median(rates):.2f}  "
                  f"IQR {np.percentile(rates, 25):.2f}-{np.percentile(rates, 75):.2f}  "
                  f"sd(log) {np.log(rates).std():.3f}")

    print("\n== rate rules: flags on correct lines, and on within-speaker transcript swaps")
    for only_pure in (False, True):
        label = "single-script lines only" if only_pure else "all lines"

        def robust_z(rates, limit):
            logs = np.log(rates)
            med = np.median(logs)
            mad = max(1.4826 * np.median(abs(logs - med)), 0.08)
            return np.abs(logs - med) / mad > limit

        rules = {"Tukey 1.5 IQR (log), voxaudit": lambda r: np.array([d is not None and d > 1.5 for d in rate_outliers(r, min_clips=1)[0]]),
                 "Tukey 3 IQR (log)": lambda r: np.array([d is not None and d > 3 for d in rate_outliers(r, min_clips=1)[0]]),
                 "robust z > 2.5 (log)": lambda r: robust_z(r, 2.5),
                 "robust z > 3 (log)": lambda r: robust_z(r, 3.0)}
        for name, rule in rules.items():
            false, n, caught, swaps, caught15, swaps15 = 0, 0, 0, 0, 0, 0
            for speaker in sorted({c["speaker"] for c in clips}):
                group = [c for c in clips if c["speaker"] == speaker and (c["pure"] or not only_pure)]
                syl = np.array([c["syl"] for c in group], dtype=float)
                sp = np.array([c["speech"] for c in group])
                flags = rule(syl / sp)
                false += int(flags.sum())
                n += len(group)
                for i, j in itertools.combinations(range(len(group)), 2):
                    swapped = syl.copy()
                    swapped[i], swapped[j] = syl[j], syl[i]
                    hit = bool(rule(swapped / sp)[[i, j]].any())
                    swaps += 1
                    caught += hit
                    if max(syl[i], syl[j]) >= 1.5 * min(syl[i], syl[j]):
                        swaps15 += 1
                        caught15 += hit
            print(f"{label:25s} {name:32s} false flags {false}/{n}; swaps caught {caught}/{swaps} "
                  f"({100 * caught / max(swaps, 1):.0f} %); texts >= 1.5x apart {caught15}/{swaps15} "
                  f"({100 * caught15 / max(swaps15, 1):.0f} %)")

    print("\n== internal pauses (speech activity) and punctuation")
    for lang in ("zh", "en"):
        group = [c for c in clips if c["lang"] == lang]
        if not group:
            continue
        pauses = [p for c in group for _, p in c["pauses"]]
        unmarked = [c["unmarked"] for c in group if c["unmarked"] is not None]
        print(f"{lang}: {len(pauses)} pauses, longest {max(pauses, default=0):.2f} s; longest unmarked pause per "
              f"clip: max {max(unmarked, default=0):.2f} s, clips over 0.6 s: {sum(u > 0.6 for u in unmarked)}/{len(group)}")
        for c in group:
            for before, length in c["pauses"]:
                if length >= 0.25 and c["marks"]:
                    place = before / c["speech"] * c["syl"]
                    print(f"   {Path(c['path']).name}: {length:.2f} s pause at syllable {place:.1f}, nearest mark "
                          f"{min(abs(m - place) for m in c['marks']):.1f} syllables away")

    if args.write_counts:
        with open(args.write_counts, "w", newline="", encoding="utf-8") as fh:
            fh.write("# Syllables and pause-mark positions of the public transcripts of these clips, counted by\n"
                     "# voxaudit.text.syllables (numbers only; no text). Made by scripts/eval_text.py --write-counts.\n")
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(["path", "lang", "syllables", "marks", "other_script_syllables"])
            for c in clips:
                # Syllables written in the other script (English words inside a Mandarin line).
                keep = (lambda ch: char_script(ch) != HAN) if c["lang"] == "zh" else (lambda ch: char_script(ch) == HAN)
                other = count_syllables("".join(ch if keep(ch) else " " for ch in c["text"]), c["lang"])
                writer.writerow([c["path"], c["lang"], c["syl"], ";".join(str(m) for m in c["marks"]), other])
        print(f"written: {args.write_counts}")


if __name__ == "__main__":
    main()
