#!/usr/bin/env python
"""Evaluate the multi-speaker analysis (voxaudit.speaker.speakers) on real speech.

Builds seeded multi-speaker lists from the main speakers of ``../shared/speech`` (``--lists`` of them,
6-8 speakers each, the README's close pairs aishell-S0252/S0913 and vctk-p226/p227 in every other
list), then damages each list the way real lists go wrong:

- **mislabels**: 11 clips per list moved to another speaker's label of the same list (half of them to
  the speaker most like their own, the rest at random; at most 2 into any one label, and never leaving a
  speaker fewer than 6 clips under its own name);
- **outsiders**: 2 clips of speakers who are not in the list (the intruder pool), filed under a label:
  they match no label and must stay a plain mismatch, not a mislabel;
- **split label**: one speaker's clips divided between two names.

and also judges every list undamaged. Prints the README table: mislabels flagged (target >= 95 %),
likely speaker right (target >= 90 %), false ``speaker_mislabel`` flags on correctly filed clips (target
<= 1 %), split labels found, false "same voice" pairs.

``--calibrate`` prints the statistics behind ``MISLABEL_MARGIN``: for mislabelled clips, how much more
similar they are to their true label than to the label they were filed under, and for correctly filed
clips that are outliers of their own label yet pass another label's test, the same difference.

Usage::

    python scripts/eval_speakers.py [--encoder ge2e] [--lists 60] [--cache /tmp/emb.npz] [--calibrate]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from eval_identity import add_common_args, embed_all, pct, read_manifest  # noqa: E402
from voxaudit.speaker.speakers import analyse_speakers  # noqa: E402

CLOSE = [("aishell-S0252", "aishell-S0913"), ("vctk-p226", "vctk-p227")]
MISLABELS_PER_LIST = 11
# Clips filed under one label by mistake, at most (a minority of a label, as slicer or copy mistakes are).
MAX_INCOMING = 2
OUTSIDERS_PER_LIST = 2
MAX_CLIPS_PER_SPEAKER = 20


def build_list(rows, rng, k, *, with_close):
    """One damaged list: (row indices, filed labels, true speakers, kind per row, split (name, alias))."""
    spk = np.array([r["speaker_id"] for r in rows])
    mains = sorted({r["speaker_id"] for r in rows if r["role"] == "main"})
    chosen: list[str] = []
    if with_close:
        chosen += list(CLOSE[rng.integers(len(CLOSE))])
    rest = [s for s in mains if s not in chosen]
    chosen += [str(s) for s in rng.choice(rest, size=k - len(chosen), replace=False)]
    idx, truth = [], []
    for s in chosen:
        own = np.flatnonzero(spk == s)
        take = rng.choice(own, size=min(len(own), MAX_CLIPS_PER_SPEAKER), replace=False)
        idx += take.tolist()
        truth += [s] * len(take)
    idx, truth = np.array(idx), np.array(truth, dtype=object)
    filed = truth.copy()
    kind = np.array(["ok"] * len(idx), dtype=object)
    # Mislabels: never leave a speaker with fewer than 6 clips under its own name.
    movable = [i for i in range(len(idx))]
    rng.shuffle(movable)
    moved = 0
    left = {s: int((truth == s).sum()) for s in chosen}
    incoming = {s: 0 for s in chosen}
    for i in movable:
        if moved >= MISLABELS_PER_LIST:
            break
        s = truth[i]
        if left[s] <= 6:
            continue
        others = [o for o in chosen if o != s and incoming[o] < MAX_INCOMING]
        if not others:
            continue
        if moved % 2 == 0:
            partner = next((b if a == s else a for a, b in CLOSE if s in (a, b) and (b if a == s else a) in chosen),
                           None)
            target = partner if partner in others else str(rng.choice(others))
        else:
            target = str(rng.choice(others))
        filed[i] = target
        incoming[target] += 1
        kind[i] = "mislabel"
        left[s] -= 1
        moved += 1
    # Outsiders from the intruder pool.
    pool = np.flatnonzero(np.array([r["role"] != "main" for r in rows]))
    out_idx = rng.choice(pool, size=OUTSIDERS_PER_LIST, replace=False)
    idx = np.concatenate([idx, out_idx])
    truth = np.concatenate([truth, spk[out_idx].astype(object)])
    filed = np.concatenate([filed, np.array([str(rng.choice(chosen)) for _ in out_idx], dtype=object)])
    kind = np.concatenate([kind, np.array(["outsider"] * len(out_idx), dtype=object)])
    # Split label: one speaker (not already short of clips) filed under two names.
    candidates = [s for s in chosen if ((filed == s) & (kind == "ok")).sum() >= 10]
    split = None
    if candidates:
        s = str(rng.choice(candidates))
        mine = np.flatnonzero((filed == s) & (kind == "ok"))
        alias = s + "_2"
        filed[mine[: len(mine) // 2]] = alias
        split = (s, alias)
    return idx, filed, truth, kind, split


def evaluate(rows, emb, *, encoder, lists, seed, durations):
    tot = dict(mis=0, mis_flag=0, mis_right=0, ok=0, ok_false=0, out=0, out_mislabel=0, out_flag=0,
               splits=0, split_found=0, pairs=0, false_same=0, clean_ok=0, clean_false=0, clean_false_same=0)
    diffs_mis, diffs_genuine = [], []
    wrong = []
    for m in range(lists):
        rng = np.random.default_rng([seed, m])
        k = int(rng.integers(6, 9))
        idx, filed, truth, kind, split = build_list(rows, rng, k, with_close=(m % 2 == 0))
        res = analyse_speakers(emb[idx], filed.tolist(), encoder=encoder,
                               durations=None if durations is None else durations[idx])
        likely = np.array(res.likely_speaker, dtype=object)
        flagged = likely != None  # noqa: E711
        for i in range(len(idx)):
            if kind[i] == "mislabel":
                tot["mis"] += 1
                tot["mis_flag"] += int(flagged[i])
                tot["mis_right"] += int(flagged[i] and likely[i] == truth[i]
                                        or (flagged[i] and split and likely[i] in split and truth[i] == split[0]))
                if not flagged[i]:
                    wrong.append(f"list {m}: {truth[i]} clip filed as {filed[i]} not flagged "
                                 f"(own {res.own_similarity[i]:.3f}, best other {res.other_speaker[i]} "
                                 f"{res.other_similarity[i]:.3f})")
                diffs_mis.append(res.other_similarity[i] - res.own_similarity[i])
            elif kind[i] == "outsider":
                tot["out"] += 1
                tot["out_mislabel"] += int(flagged[i])
            else:
                tot["ok"] += 1
                tot["ok_false"] += int(flagged[i])
                if flagged[i]:
                    wrong.append(f"list {m}: correctly filed {truth[i]} clip flagged as {likely[i]}")
        # Genuine clips that are outliers of their own label and pass another label's test.
        by = res.by_name()
        for spk_name, spk in by.items():
            for local, row in enumerate(spk.rows):
                if kind[row] == "ok" and spk.analysis.outliers[local] and res.other_speaker[row] is not None:
                    diffs_genuine.append(res.other_similarity[row] - res.own_similarity[row])
        # Same voice under two names.
        names = [s.name for s in res.speakers]
        for a in range(len(names)):
            for b in range(a + 1, len(names)):
                same = names[b] in res.speakers[a].same_voice_as
                is_split = split is not None and {names[a], names[b]} == set(split)
                if is_split:
                    tot["splits"] += 1
                    tot["split_found"] += int(same)
                else:
                    tot["pairs"] += 1
                    tot["false_same"] += int(same)
                    if same:
                        wrong.append(f"list {m}: {names[a]} and {names[b]} called one voice")
        # The same list undamaged.
        clean = kind == "ok"
        res = analyse_speakers(emb[idx[clean]], truth[clean].tolist(), encoder=encoder,
                               durations=None if durations is None else durations[idx[clean]])
        tot["clean_ok"] += int(clean.sum())
        tot["clean_false"] += sum(1 for s in res.likely_speaker if s is not None)
        tot["clean_false_same"] += sum(len(s.same_voice_as) for s in res.speakers) // 2
    return tot, np.array(diffs_mis), np.array(diffs_genuine), wrong


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(ap)
    ap.add_argument("--lists", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", type=Path, default=None, help="npz to read/write the embeddings")
    ap.add_argument("--calibrate", action="store_true")
    args = ap.parse_args(argv)
    if not (args.speech_dir / "MANIFEST.csv").is_file():
        sys.exit(f"real speech not found at {args.speech_dir} (set VOXAUDIT_SPEECH_DIR)")
    rows = read_manifest(args.speech_dir)
    emb = embed_all(rows, args.speech_dir, encoder_name=args.encoder, device=args.device,
                    model_dir=args.model_dir, cache=args.cache, verify=not args.unverified_weights)
    durations = np.array([float(r["duration_s"]) for r in rows])
    tot, diffs_mis, diffs_genuine, wrong = evaluate(rows, emb, encoder=args.encoder, lists=args.lists,
                                                    seed=args.seed, durations=durations)
    if args.calibrate:
        print("## Calibration of MISLABEL_MARGIN\n")
        finite = diffs_mis[np.isfinite(diffs_mis)]
        print(f"- mislabelled clips, similarity to the most similar other label minus to the filed label "
              f"({finite.size}): 1st pct {np.quantile(finite, 0.01):.3f}, 5th {np.quantile(finite, 0.05):.3f}, "
              f"median {np.median(finite):.3f}")
        if diffs_genuine.size:
            print(f"- correctly filed clips that are outliers of their own label ({diffs_genuine.size}): "
                  f"max {diffs_genuine.max():.3f}, values {np.round(np.sort(diffs_genuine)[-8:], 3).tolist()}")
        print()
    print(f"## Multi-speaker lists: encoder {args.encoder}, {args.lists} lists of 6-8 speakers, seed {args.seed}\n")
    print("| measure | value |\n|---|---:|")
    print(f"| **mislabelled clips flagged `speaker_mislabel`** (target >= 95 %) | {tot['mis_flag']}/{tot['mis']} = {pct(tot['mis_flag'], tot['mis'])} |")
    print(f"| **likely speaker right**, of those flagged (target >= 90 %) | {tot['mis_right']}/{tot['mis_flag']} = {pct(tot['mis_right'], tot['mis_flag'])} |")
    print(f"| **false `speaker_mislabel` on correctly filed clips** (target <= 1 %) | {tot['ok_false']}/{tot['ok']} = {pct(tot['ok_false'], tot['ok'])} |")
    print(f"| the same lists undamaged: false `speaker_mislabel` | {tot['clean_false']}/{tot['clean_ok']} = {pct(tot['clean_false'], tot['clean_ok'])} |")
    print(f"| clips of outsiders (no label is theirs) called a mislabel | {tot['out_mislabel']}/{tot['out']} |")
    print(f"| **split labels found** (`same_voice_as`) | {tot['split_found']}/{tot['splits']} = {pct(tot['split_found'], tot['splits'])} |")
    print(f"| distinct speakers called one voice (damaged lists; undamaged lists) | {tot['false_same']}/{tot['pairs']}; {tot['clean_false_same']} |")
    if wrong:
        print("\nWrong cases:")
        for w in wrong:
            print(f"- {w}")


if __name__ == "__main__":
    main()
