"""Many speakers in one list or folder tree, end to end through the CLI on real speech (GE2E).

Known answers from ../shared/speech: a clip of one speaker filed under another's name is a
``speaker_mislabel`` naming the right speaker; one speaker filed under two names is found; a correctly
labelled list raises no mislabel; a one-speaker list gives the same report as one set.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from voxaudit.cli import app
from voxaudit.report import load_report
from voxaudit.speaker.speakers import analyse_speakers

pytestmark = [pytest.mark.speech, pytest.mark.slow, pytest.mark.usefixtures("isolated_cli")]

SPEAKERS = ["ls533", "ls1688", "vctk-p226", "vctk-p227"]  # two women and two men; p226/p227 a close pair
N = 7


def scan(*args) -> dict:
    result = CliRunner().invoke(app, ["scan", *map(str, args), "--encoder", "ge2e", "--jobs", "1", "-q",
                                      "--lang", "en"])
    assert result.exit_code == 0, result.output
    out = Path(args[args.index("--out") + 1])
    return load_report(out)


def write_list(path: Path, entries) -> Path:
    path.write_text("".join(f"{p}|{name}|EN|some text\n" for p, name in entries), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def damaged(by_speaker, tmp_path_factory):
    """7 clips of each of 4 speakers; an 8th ls533 clip filed under ls1688 and an 8th vctk-p226 clip
    filed under vctk-p227; and a 5th speaker (aishell-S0150) filed as 'anna' and 'anna_2'."""
    root = tmp_path_factory.mktemp("damaged")
    entries = [(p, s) for s in SPEAKERS for p in by_speaker[s][:N]]
    entries += [(by_speaker["ls533"][N], "ls1688"), (by_speaker["vctk-p226"][N], "vctk-p227")]
    entries += [(p, "anna" if i % 2 else "anna_2") for i, p in enumerate(by_speaker["aishell-S0150"][:12])]
    listing = write_list(root / "train.list", entries)
    out = root / "out"
    report = scan(listing, "--out", out, "--select-minutes", "0.25")
    return {"report": report, "out": out, "entries": entries, "listing": listing}


def test_swapped_clips_are_mislabels_with_the_right_speaker(damaged):
    clips = damaged["report"]["clips"]
    mislabels = [(c["path"], f) for c in clips for f in c["findings"] if f["code"] == "speaker_mislabel"]
    assert len(mislabels) == 2
    found = {Path(path).parent.name: f for path, f in mislabels}
    assert found["ls533"]["likely_speaker"] == "ls533" and found["ls533"]["speaker"] == "ls1688"
    assert found["vctk-p226"]["likely_speaker"] == "vctk-p226" and found["vctk-p226"]["speaker"] == "vctk-p227"
    for _, f in mislabels:
        assert f["severity"] == "error" and f["likely_similarity"] > f["value"] + 0.08
        assert "move this line to speaker" in f["hint"]
    # No other clip is called mislabelled, and the swapped clips are not also a plain mismatch.
    swapped = {str(p) for p, _ in damaged["entries"][len(SPEAKERS) * N:len(SPEAKERS) * N + 2]}
    for c in clips:
        codes = [f["code"] for f in c["findings"]]
        if c["path"] in swapped:
            assert "speaker_mismatch" not in codes
        else:
            assert "speaker_mislabel" not in codes


def test_split_label_is_found(damaged):
    summary = damaged["report"]["summary"]
    by_name = {s["name"]: s for s in summary["speakers"]}
    assert by_name["anna"]["same_voice_as"] == ["anna_2"] and by_name["anna_2"]["same_voice_as"] == ["anna"]
    assert summary["same_voice_pairs"] == [["anna", "anna_2"]]
    for name in SPEAKERS:
        assert by_name[name]["same_voice_as"] == []  # the close pair p226/p227 stays two voices
    assert "one voice under two names: anna = anna_2" in summary["identity_verdict"]


def test_summary_per_speaker(damaged):
    summary = damaged["report"]["summary"]
    assert summary["n_speakers"] == 6 and summary["n_mislabelled"] == 2 and summary["consistent"] is False
    by_name = {s["name"]: s for s in summary["speakers"]}
    assert sorted(by_name) == sorted(SPEAKERS + ["anna", "anna_2"])
    for s in summary["speakers"]:
        for key in ("name", "n_clips", "minutes", "usable_minutes", "consistent", "n_voices", "reference",
                    "same_voice_as"):
            assert key in s
        assert s["reference"] is None or s["reference"].split("/")[-2] in (s["name"], "aishell-S0150")
    assert by_name["ls1688"]["n_clips"] == N + 1 and by_name["ls1688"]["n_mislabelled"] == 1
    assert by_name["ls533"]["n_mislabelled"] == 0
    # Heat map data: labels x labels, 1 on the diagonal.
    cohesion = summary["speaker_cohesion"]
    assert cohesion["names"] == sorted(by_name)
    assert all(cohesion["matrix"][k][k] == 1.0 for k in range(6))
    # Each clip carries its label.
    assert all(c["speaker"] for c in damaged["report"]["clips"])


def test_outputs_per_speaker(damaged):
    out = damaged["out"]
    with open(out / "clips.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["speaker"] for r in rows} == set(SPEAKERS) | {"anna", "anna_2"}
    assert sum(1 for r in rows if r["likely_speaker"]) == 2
    # keep.list: original lines, grouped by speaker (sorted names), at most 0.25 min per speaker.
    kept = [line for line in (out / "keep.list").read_text(encoding="utf-8").splitlines() if line]
    names = [line.split("|")[1] for line in kept]
    assert names == sorted(names) and set(names) >= set(SPEAKERS)
    original = damaged["listing"].read_text(encoding="utf-8").splitlines()
    assert all(line in original for line in kept)
    durations = {str(c["path"]): c["metrics"]["duration_s"] for c in damaged["report"]["clips"]}
    for name in set(names):
        assert sum(durations[line.split("|")[0]] for line in kept if line.split("|")[1] == name) <= 15.0 + 1e-6
    # profile.json: one voice per judged speaker.
    profile = json.loads((out / "profile.json").read_text(encoding="utf-8"))
    assert profile["format"] == "voxaudit-speaker-profiles/1"
    assert set(profile["speakers"]) >= set(SPEAKERS)


def test_profile_judges_each_speaker_and_names_unknown_labels(damaged, by_speaker, tmp_path):
    """New clips of each speaker judged against that speaker's saved voice: a clip of ls533 filed as
    ls533 passes, one of ls1688 filed as ls533 does not; a label the profile lacks is said."""
    entries = [(by_speaker["ls533"][8], "ls533"), (by_speaker["ls1688"][8], "ls533"),
               (by_speaker["ls1688"][9], "ls1688"), (by_speaker["lj"][0], "newcomer")]
    listing = write_list(tmp_path / "new.list", entries)
    report = scan(listing, "--out", tmp_path / "out", "--profile", damaged["out"] / "profile.json")
    by_path = {c["path"]: c for c in report["clips"]}
    codes = {Path(p).name + "|" + c["speaker"]: [f["code"] for f in c["findings"]] for p, c in by_path.items()}
    assert not any(code.startswith("speaker_") for code in codes[f"{Path(entries[0][0]).name}|ls533"])
    assert "speaker_mismatch" in codes[f"{Path(entries[1][0]).name}|ls533"] or \
        "speaker_mislabel" in codes[f"{Path(entries[1][0]).name}|ls533"]
    assert "speaker_not_in_profile" in codes[f"{Path(entries[3][0]).name}|newcomer"]
    newcomer = next(s for s in report["summary"]["speakers"] if s["name"] == "newcomer")
    assert newcomer["in_profile"] is False


def test_correct_list_raises_no_mislabel(by_speaker, tmp_path):
    entries = [(p, s) for s in SPEAKERS for p in by_speaker[s][:N]]
    report = scan(write_list(tmp_path / "ok.list", entries), "--out", tmp_path / "out")
    assert report["summary"]["n_mislabelled"] == 0
    assert not any(f["code"] == "speaker_mislabel" for c in report["clips"] for f in c["findings"])
    assert all(s["same_voice_as"] == [] for s in report["summary"]["speakers"])


def test_one_speaker_list_is_one_set_as_before(by_speaker, tmp_path):
    """A list naming one speaker: the report is the one-set report, identical to --speakers none."""
    entries = [(p, "ls533") for p in by_speaker["ls533"][:N]] + [(by_speaker["ls1688"][0], "ls533")]
    listing = write_list(tmp_path / "one.list", entries)
    auto = scan(listing, "--out", tmp_path / "auto")
    none = scan(listing, "--out", tmp_path / "none", "--speakers", "none")
    for report in (auto, none):
        report.pop("created")
        report["summary"].pop("cache_hits", None)
        report["summary"].pop("embedded", None)
    assert auto == none
    assert "speakers" not in auto["summary"] and auto["summary"]["n_voices"] == 1
    flagged = [c["path"] for c in auto["clips"] if any(f["code"] == "speaker_mismatch" for f in c["findings"])]
    assert flagged == [str(by_speaker["ls1688"][0])]


def test_folder_per_speaker(by_speaker, tmp_path):
    """--speakers folder: the first folder level names the speaker; a clip copied into the wrong folder
    is a mislabel."""
    root = tmp_path / "voices"
    for s in ("ls533", "ls1688", "vctk-p226"):
        (root / s).mkdir(parents=True)
        for p in by_speaker[s][:6]:
            shutil.copy(p, root / s / p.name)
    shutil.copy(by_speaker["ls533"][7], root / "vctk-p226" / "stray.wav")
    report = scan(root, "--out", tmp_path / "out", "--speakers", "folder")
    assert report["summary"]["n_speakers"] == 3
    stray = next(c for c in report["clips"] if c["path"].endswith("stray.wav"))
    assert stray["speaker"] == "vctk-p226"
    assert stray["identity"]["likely_speaker"] == "ls533"
    # Without --speakers folder the tree is one set.
    plain = scan(root, "--out", tmp_path / "plain")
    assert "speakers" not in plain["summary"] and plain["summary"]["n_voices"] >= 2


def test_analyse_speakers_scales_linearly_in_memory():
    """The cross-speaker step never builds a clips x clips matrix: 500 labels x 40 clips of 64-dim
    synthetic voices, and every clip is scored (known answers: 1 moved clip per 50 labels found)."""
    rng = np.random.default_rng(0)
    n_labels, per = 500, 40
    centres = rng.normal(size=(n_labels, 64))
    emb = np.repeat(centres, per, axis=0) + 0.35 * rng.normal(size=(n_labels * per, 64))
    labels = [f"s{k:03d}" for k in range(n_labels) for _ in range(per)]
    moved = list(range(0, n_labels * per, 50 * per))
    for i in moved:
        labels[i] = f"s{(int(labels[i][1:]) + 1) % n_labels:03d}"
    result = analyse_speakers(emb, labels, encoder="ge2e")
    found = [i for i, s in enumerate(result.likely_speaker) if s is not None]
    assert found == moved
    assert all(result.likely_speaker[i] == f"s{i // per:03d}" for i in moved)
    assert result.cohesion.shape == (n_labels, n_labels)
