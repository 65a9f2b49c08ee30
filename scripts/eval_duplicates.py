#!/usr/bin/env python
"""Evaluate serve's "same audio" rule (voxaudit.serve.sameaudio) on real speech.

**Must match** (the same take, other bytes): every ``--every``-th clip of ``../shared/speech``
re-encoded by libsndfile as FLAC, OGG Vorbis (default and lowest quality), OGG Opus (default and
highest compression; 22.05 kHz clips go through 48 kHz, Opus' rate), MP3 (VBR default, CBR mid, CBR
lowest: about 8 kbit/s, written without a gapless tag), a 48 kHz 24-bit WAV, a stereo WAV at -12 dB.

**Must not match** (another take):

- FSDD: each ``fsdd_concat`` clip joins four isolated digit recordings with exact digital silence;
  cut apart, they give several takes of the same digit by the same speaker (``origin_path`` names the
  recording). Sequences of the same 2-4 digits built from *other* recordings of each digit, joined the
  same way, are other takes of the same "sentence" by the same speaker; and single digits against
  other takes of the same digit;
- VCTK: the same sentence read by other speakers (p225-p228, sentence 023 also at 48 kHz);
- every pair of clips of one speaker (the duration rule lets only those within 0.25 s through).

The audio goes through what the server does with an upload: :func:`voxaudit.audio.load_audio`
(decode, downmix), resampled to 16 kHz, :func:`~voxaudit.serve.sameaudio.fingerprint`. Prints the
correlation per family (min for must-match, max for must-not-match) and the rule's errors.

Usage::

    python scripts/eval_duplicates.py [--every 3] [--speech ../shared/speech]
"""

from __future__ import annotations

import argparse
import collections
import csv
import io
import itertools
import os
import random
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from voxaudit.audio import load_audio  # noqa: E402
from voxaudit.resample import resample  # noqa: E402
from voxaudit.serve import sameaudio  # noqa: E402

OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
VARIANTS = [  # name, format, subtype, extra soundfile.write arguments
    ("flac", "FLAC", "PCM_16", {}),
    ("vorbis", "OGG", "VORBIS", {}),
    ("vorbis-lowest", "OGG", "VORBIS", {"compression_level": 0.95}),
    ("opus", "OGG", "OPUS", {}),
    ("opus-0.9", "OGG", "OPUS", {"compression_level": 0.9}),
    ("mp3-vbr", "MP3", "MPEG_LAYER_III", {}),
    ("mp3-cbr-0.5", "MP3", "MPEG_LAYER_III", {"compression_level": 0.5, "bitrate_mode": "CONSTANT"}),
    ("mp3-cbr-lowest", "MP3", "MPEG_LAYER_III", {"compression_level": 0.95, "bitrate_mode": "CONSTANT"}),
]


def fingerprint_file(path) -> sameaudio.Fingerprint:
    """What the server computes for an upload."""
    audio = load_audio(path)
    wav = resample(audio.samples, orig_sr=audio.sample_rate, target_sr=sameaudio.RATE_HZ)
    return sameaudio.fingerprint(wav, duration_s=audio.duration_s)


def fingerprint_samples(x: np.ndarray, sr: int) -> sameaudio.Fingerprint:
    with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
        sf.write(tmp.name, x, sr, subtype="FLOAT")
        return fingerprint_file(tmp.name)


def encoded(x: np.ndarray, sr: int, fmt: str, subtype: str, extra: dict) -> tuple[bytes, float]:
    if subtype == "OPUS" and sr not in OPUS_RATES:
        x, sr = resample(x, orig_sr=sr, target_sr=48000), 48000
    buffer = io.BytesIO()
    sf.write(buffer, x, sr, format=fmt, subtype=subtype, **extra)
    return buffer.getvalue(), len(buffer.getvalue()) * 8 / (len(x) / sr) / 1000


def must_match(rows, speech: Path, every: int):
    scores: dict[str, list] = collections.defaultdict(list)
    kbps: dict[str, list] = collections.defaultdict(list)
    misses = []
    for row in rows[::every]:
        path = speech / row["path"]
        x, sr = sf.read(path, dtype="float32")
        original = fingerprint_file(path)
        copies = {}
        for name, fmt, subtype, extra in VARIANTS:
            data, rate = encoded(x, sr, fmt, subtype, extra)
            kbps[name].append(rate)
            with tempfile.NamedTemporaryFile(suffix="." + fmt.lower()) as tmp:
                tmp.write(data)
                tmp.flush()
                copies[name] = fingerprint_file(tmp.name)
        copies["wav-48k-24bit"] = fingerprint_samples(resample(x, orig_sr=sr, target_sr=48000), 48000)
        copies["stereo-minus-12dB"] = fingerprint_samples(np.stack([x, x], 1) * 10 ** (-12 / 20), sr)
        for name, copy in copies.items():
            score = sameaudio.similarity(original, copy)
            scores[name].append((score, copy.duration_s - original.duration_s,
                                 sameaudio.same_audio(original, copy)))
            if not sameaudio.same_audio(original, copy):
                misses.append((row["path"], name, round(score, 3)))
    return scores, kbps, misses


def split_digits(x: np.ndarray, min_gap: int) -> list[np.ndarray]:
    """Cut at runs of exact zeros of at least ``min_gap`` samples."""
    zero = np.r_[0, (x == 0).astype(np.int8), 0]
    edges = np.flatnonzero(np.diff(zero))
    parts, start = [], 0
    for a, b in zip(edges[::2], edges[1::2]):
        if b - a >= min_gap:
            if a > start:
                parts.append(x[start:a])
            start = b
    if start < len(x):
        parts.append(x[start:])
    return parts


def fsdd_takes(rows, speech: Path) -> dict[str, dict[str, dict[str, np.ndarray]]]:
    """speaker -> digit -> recording name -> samples (8 kHz), from the fsdd_concat clips."""
    takes: dict = collections.defaultdict(lambda: collections.defaultdict(dict))
    for row in rows:
        if row["source"] != "fsdd_concat":
            continue
        x, sr = sf.read(speech / row["path"], dtype="float32")
        parts = split_digits(x, min_gap=int(0.1 * sr))
        origins = [o.rsplit("/", 1)[-1][:-4] for o in row["origin_path"].split(";")]
        if len(parts) != len(origins):
            continue
        for origin, part in zip(origins, parts):
            takes[row["speaker_id"]][origin.split("_")[0]][origin] = part
    return takes


def must_not_match(rows, speech: Path, seed: int = 0):
    families: dict[str, list] = collections.defaultdict(list)
    short_copies: dict[str, list] = collections.defaultdict(list)
    false_merges = []
    rng = random.Random(seed)
    gap = np.zeros(960, dtype=np.float32)  # the corpus' 120 ms at 8 kHz

    def judge(family, a, b, label):
        score = sameaudio.similarity(a, b)
        close = abs(a.duration_s - b.duration_s) <= sameaudio.MAX_DURATION_DIFF_S
        short = min(len(a.cells), len(b.cells)) < sameaudio.MIN_FRAMES
        families[family].append((score, close, short))
        if sameaudio.same_audio(a, b):
            false_merges.append((family, label, round(score, 3)))

    takes = fsdd_takes(rows, speech)
    for speaker, digits in sorted(takes.items()):
        fps = {(d, name): fingerprint_samples(x, 8000) for d, recs in digits.items() for name, x in recs.items()}
        for d, recs in digits.items():
            for p, q in itertools.combinations(sorted(recs), 2):
                judge("fsdd: same digit, other take", fps[d, p], fps[d, q], f"{p} vs {q}")
        several = sorted(d for d, recs in digits.items() if len(recs) >= 2)
        for _ in range(40):
            seq = rng.sample(several, min(len(several), rng.choice((2, 3, 4))))
            first = [sorted(digits[d])[0] for d in seq]
            other = [rng.choice(sorted(digits[d])[1:]) for d in seq]

            def join(names, seq=seq):
                parts = []
                for d, name in zip(seq, names):
                    parts += [digits[d][name], gap]
                return np.concatenate(parts[:-1])
            a, b = join(first), join(other)
            family = f"fsdd: same {len(seq)} digits, other takes"
            fa, fb = fingerprint_samples(a, 8000), fingerprint_samples(b, 8000)
            judge(family, fa, fb, f"{speaker} {'-'.join(seq)}")
            # The same, padded to the same length: the duration rule cannot help.
            n = max(len(a), len(b))
            judge(family + ", equal length", fingerprint_samples(np.pad(a, (0, n - len(a))), 8000),
                  fingerprint_samples(np.pad(b, (0, n - len(b))), 8000), f"{speaker} {'-'.join(seq)} padded")
            # Short copies must still match: the sequence itself re-encoded at the lowest qualities.
            for name, fmt, subtype, extra in VARIANTS:
                if name in ("mp3-cbr-lowest", "vorbis-lowest", "opus"):
                    data, _ = encoded(a, 8000, fmt, subtype, extra)
                    with tempfile.NamedTemporaryFile(suffix="." + fmt.lower()) as tmp:
                        tmp.write(data)
                        tmp.flush()
                        copy = fingerprint_file(tmp.name)
                    short_copies[f"{len(seq)} digits as {name}"].append(
                        (sameaudio.similarity(fa, copy), sameaudio.same_audio(fa, copy),
                         min(len(fa.cells), len(copy.cells)) < sameaudio.MIN_FRAMES))

    by_sentence = collections.defaultdict(list)
    by_speaker = collections.defaultdict(list)
    for row in rows:
        if row["source"].startswith("vctk"):
            by_sentence[row["path"].rsplit("_", 1)[-1]].append(row["path"])
        by_speaker[row["speaker_id"]].append(row["path"])
    cache: dict[str, sameaudio.Fingerprint] = {}

    def fp(path):
        if path not in cache:
            cache[path] = fingerprint_file(speech / path)
        return cache[path]
    for sentence, paths in by_sentence.items():
        for p, q in itertools.combinations(paths, 2):
            judge("vctk: same sentence, other speaker", fp(p), fp(q), f"{p} vs {q}")
    for speaker, paths in by_speaker.items():
        for p, q in itertools.combinations(paths, 2):
            if abs(fp(p).duration_s - fp(q).duration_s) <= sameaudio.MAX_DURATION_DIFF_S:
                judge("same speaker, other clip (within 0.25 s)", fp(p), fp(q), f"{p} vs {q}")
    return families, false_merges, short_copies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--speech", default=str(ROOT.parent / "shared" / "speech"))
    parser.add_argument("--every", type=int, default=3, help="re-encode every N-th clip (default 3)")
    args = parser.parse_args()
    speech = Path(args.speech)
    if not (speech / "MANIFEST.csv").is_file():
        print(f"no real speech at {speech}", file=sys.stderr)
        return 2
    with open(speech / "MANIFEST.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    print(f"rule: duration within {sameaudio.MAX_DURATION_DIFF_S} s and correlation >= "
          f"{sameaudio.SAME_AUDIO_MIN_CORRELATION} (20 ms band-energy changes, best lag within "
          f"{sameaudio.MAX_LAG_S} s)\n")
    scores, kbps, misses = must_match(rows, speech, args.every)
    print("| must match: the same clip as | n | kbit/s (median) | correlation min | 5th pct | duration change (s) "
          "| matched |")
    print("|---|---|---|---|---|---|---|")
    for name, values in scores.items():
        v = np.array(values)
        rate = f"{np.median(kbps[name]):.0f}" if name in kbps else ""
        print(f"| {name} | {len(v)} | {rate} | {v[:, 0].min():.3f} | {np.percentile(v[:, 0], 5):.3f} | "
              f"{v[:, 1].min():+.3f} .. {v[:, 1].max():+.3f} | {int(v[:, 2].sum())} |")
    families, false_merges, short_copies = must_not_match(rows, speech)
    def column(v, pick, fn):
        kept = v[v[:, 2] == 0, pick] if len(v) else v
        return f"{fn(kept):.3f}" if len(kept) else "-"
    print("\n| must match: short FSDD sequences re-encoded | n | under 1 s (bytes only) | correlation min "
          "(>= 1 s) | matched |")
    print("|---|---|---|---|---|")
    for name, values in sorted(short_copies.items()):
        v = np.array(values, dtype=float)
        print(f"| {name} | {len(v)} | {int(v[:, 2].sum())} | {column(v, 0, np.min)} | {int(v[:, 1].sum())} |")
    print("\n| must not match | pairs | within 0.25 s | under 1 s (bytes only) | correlation max (>= 1 s) "
          "| 99th pct |")
    print("|---|---|---|---|---|---|")
    for name, values in families.items():
        v = np.array(values, dtype=float)
        print(f"| {name} | {len(v)} | {int(v[:, 1].sum())} | {int(v[:, 2].sum())} | {column(v, 0, np.max)} | "
              f"{column(v, 0, lambda x: np.percentile(x, 99))} |")
    n_pos = sum(len(v) for v in scores.values())
    n_neg = sum(len(v) for v in families.values())
    print(f"\nmissed copies: {len(misses)} of {n_pos}; false merges: {len(false_merges)} of {n_neg}")
    for item in (misses + false_merges)[:20]:
        print("  ", item)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(main())
