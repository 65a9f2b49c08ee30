"""`voxaudit scan` with identity, end to end through the CLI on real speech (GE2E), plus the ECAPA path
with a stand-in checkpoint: report fields, speaker_mismatch findings, reference, keep/rejected lists,
embeddings.npz, profile.json and judging new takes against it, the auto fallback notice, a wrong
checksum, a set too small to judge."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from voxaudit.cli import app
from voxaudit.report import load_report

pytestmark = [pytest.mark.speech, pytest.mark.usefixtures("isolated_cli")]

MAIN = "aishell-S0150"
INTRUDERS = ["vctk-p225", "lj", "aishell-S0252"]  # another studio corpus, an audiobook, the same corpus
N_MAIN = 12
NEW_INTRUDER = "zh-fangjun"


def _run(*args) -> "CliRunner.Result":
    return CliRunner().invoke(app, ["scan", *map(str, args), "--jobs", "1", "--no-html", "-q"])


@pytest.fixture(scope="module")
def mixed(by_speaker, tmp_path_factory):
    """12 clips of MAIN and 3 intruders, given as a GPT-SoVITS .list with text; scanned once."""
    root = tmp_path_factory.mktemp("mixed")
    paths = by_speaker[MAIN][:N_MAIN] + [by_speaker[s][0] for s in INTRUDERS]
    lines = [f"{p}|{MAIN}|zh|第{i}句，你好。" for i, p in enumerate(paths)]
    listing = root / "set.list"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = root / "out"
    result = _run(listing, "--out", out, "--encoder", "ge2e", "--select-minutes", "0.5", "--save-embeddings")
    assert result.exit_code == 0, result.output
    report = load_report(out)
    return {"report": report, "out": out, "lines": lines, "paths": paths}


def test_report_records_the_encoder_and_its_weights(mixed):
    import resemblyzer

    summary = mixed["report"]["summary"]
    weights = Path(resemblyzer.__file__).parent / "pretrained.pt"
    assert summary["encoder"] == "ge2e"
    assert summary["encoder_weights_sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert summary["embedding_dim"] == 256


def test_exactly_the_intruders_are_flagged(mixed):
    clips = mixed["report"]["clips"]
    assert len(clips) == N_MAIN + 3
    flagged = [i for i, c in enumerate(clips) if c["identity"]["outlier"]]
    assert flagged == list(range(N_MAIN, N_MAIN + 3))
    for c in clips:
        assert set(c["identity"]) == {"similarity", "z", "cluster", "voice", "outlier", "reason"}
        mismatch = [f for f in c["findings"] if f["code"] == "speaker_mismatch"]
        if c["identity"]["outlier"]:
            assert len(mismatch) == 1 and mismatch[0]["severity"] == "error"
            assert mismatch[0]["hint"] and "below" in mismatch[0]["message"]
            assert c["identity"]["z"] < -3.5
        else:
            assert not mismatch
    summary = mixed["report"]["summary"]
    assert summary["n_voices"] == 1 and summary["consistent"] is False and summary["dominant_cluster"] == 0


def test_reference_and_selection(mixed):
    summary, clips = mixed["report"]["summary"], mixed["report"]["clips"]
    by_path = {c["path"]: c for c in clips}
    chosen = [summary["reference"]] + summary["reference_alternates"]
    assert summary["reference"] is not None and 1 <= len(summary["reference_alternates"]) <= 3
    for path in chosen:
        clip = by_path[path]
        assert 3.0 <= clip["metrics"]["duration_s"] <= 10.0
        assert not clip["identity"]["outlier"]
        assert not any(f["severity"] == "error" for f in clip["findings"])
    # keep.list: original lines, verbatim, best first up to 0.5 minutes, no intruder.
    keep = (mixed["out"] / "keep.list").read_text(encoding="utf-8").splitlines()
    assert keep and set(keep) <= set(mixed["lines"][:N_MAIN])
    kept = [c for c in clips if c.get("selected")]
    assert len(kept) == len(keep) and sum(c["metrics"]["duration_s"] for c in kept) <= 30.0 + 1e-6
    rejected = (mixed["out"] / "rejected.list").read_text(encoding="utf-8").splitlines()
    for line in mixed["lines"][N_MAIN:]:
        at = rejected.index(line)
        assert rejected[at - 1] == "# rejected: speaker_mismatch"
    clip_lines = [line for line in rejected if not line.startswith("#")]
    assert sorted(clip_lines + keep) == sorted(mixed["lines"])


def test_embeddings_npz_rows_follow_the_report(mixed):
    with np.load(mixed["out"] / "embeddings.npz") as data:
        paths, emb = data["paths"].tolist(), data["embeddings"]
    assert paths == [c["path"] for c in mixed["report"]["clips"]]
    assert emb.shape == (N_MAIN + 3, 256) and emb.dtype == np.float32
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-4)


def test_new_takes_judged_against_the_saved_profile(mixed, by_speaker, tmp_path):
    profile = json.loads((mixed["out"] / "profile.json").read_text(encoding="utf-8"))
    assert profile["encoder"] == "ge2e" and profile["dim"] == 256
    assert profile["n_clips"] == N_MAIN  # the intruders did not go into the centroid
    new = by_speaker[MAIN][N_MAIN:N_MAIN + 3] + [by_speaker[NEW_INTRUDER][0]]
    result = _run(*new, "--out", tmp_path / "new", "--encoder", "ge2e",
                  "--profile", mixed["out"] / "profile.json")
    assert result.exit_code == 0, result.output
    report = load_report(tmp_path / "new")
    # 4 clips: too few to judge on their own, but judged against the profile.
    assert report["summary"]["judged_against"] == "profile"
    assert "identity_too_small" not in report["summary"]
    assert [c["identity"]["outlier"] for c in report["clips"]] == [False, False, False, True]
    assert "the profile's median" in report["clips"][3]["identity"]["reason"]


def test_too_small_set_says_so(by_speaker, tmp_path):
    result = _run(*by_speaker[MAIN][:2], by_speaker["lj"][0], "--out", tmp_path, "--encoder", "ge2e")
    assert result.exit_code == 0, result.output
    summary = load_report(tmp_path)["summary"]
    assert summary["identity_too_small"] == "too few clips to judge: 3 < 5"
    assert summary["consistent"] is None and summary["n_voices"] is None
    assert not (tmp_path / "profile.json").exists()


def test_auto_falls_back_to_ge2e_with_a_notice(by_speaker, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["scan", *map(str, by_speaker[MAIN][:5]), "--out", str(tmp_path / "o"),
                                 "--model-dir", str(tmp_path / "no-weights"), "--jobs", "1", "--no-html"])
    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if "using ge2e" in line]
    assert len(notes) == 1
    summary = load_report(tmp_path / "o")["summary"]
    assert summary["encoder"] == "ge2e"


def test_wrong_checksum_is_a_clear_error(by_speaker, tmp_path):
    from ecapa_fixture import ecapa_checkpoint

    result = _run(*by_speaker[MAIN][:5], "--out", tmp_path, "--encoder", "ecapa",
                  "--model-dir", ecapa_checkpoint(0))
    assert result.exit_code == 2
    assert "expected 83316686 bytes" in result.output and "Traceback" not in result.output


def test_ecapa_path_end_to_end(by_speaker, mixed, tmp_path, monkeypatch):
    """The ECAPA path through the scan, with the stand-in checkpoint accepted as if it were published."""
    import json as _json

    from ecapa_fixture import ecapa_checkpoint
    from voxaudit.speaker import weights

    folder = ecapa_checkpoint(0)
    sha = hashlib.sha256((folder / "embedding_model.ckpt").read_bytes()).hexdigest()
    files = _json.loads(_json.dumps(weights._files()))
    files["embedding_model.ckpt"].update(bytes=(folder / "embedding_model.ckpt").stat().st_size, sha256=sha)
    monkeypatch.setattr(weights, "_files", lambda: files)
    monkeypatch.setenv("VOXAUDIT_MODEL_DIR", str(folder))  # found through the environment variable
    result = _run(*by_speaker[MAIN][:6], "--out", tmp_path, "--save-embeddings")  # --encoder auto
    assert result.exit_code == 0, result.output
    report = load_report(tmp_path)
    assert report["summary"]["encoder"] == "ecapa"
    assert report["summary"]["encoder_weights_sha256"] == sha
    assert all(c["identity"] is not None for c in report["clips"])
    with np.load(tmp_path / "embeddings.npz") as data:
        assert data["embeddings"].shape == (6, 192)
    # A GE2E profile cannot judge ECAPA embeddings: a clear usage error, not a silent comparison.
    result = _run(*by_speaker[MAIN][:2], "--out", tmp_path / "p", "--profile", mixed["out"] / "profile.json")
    assert result.exit_code == 2 and "made with encoder 'ge2e'" in result.output


def test_a_folder_of_two_voices_says_so_in_every_output(by_speaker, tmp_path):
    """8 clips of a woman (ls533) and 8 of a man (ls1688) in one folder: the report names two voices
    with their clips, minutes and a typical clip each; the terminal and the HTML page say it in words."""
    import shutil

    folder = tmp_path / "takes"
    folder.mkdir()
    for speaker in ("ls533", "ls1688"):
        for p in by_speaker[speaker][:8]:
            shutil.copy(p, folder / f"{speaker}-{p.name}")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["scan", str(folder), "--out", str(out), "--encoder", "ge2e", "--jobs", "1",
                                      "--lang", "en"])
    assert result.exit_code == 0, result.output
    summary = load_report(out)["summary"]
    assert summary["n_voices"] == 2 and summary["consistent"] is False
    voices = summary["voices"]
    assert [v["voice"] for v in voices] == ["A", "B"] and [v["n_clips"] for v in voices] == [8, 8]
    # Each voice's typical clip is one of its speaker's clips; A has the most minutes.
    speakers = [v["typical_clip"].split("-")[0] for v in voices]
    assert sorted(speakers) == ["ls1688", "ls533"]
    assert voices[0]["minutes"] >= voices[1]["minutes"]
    assert summary["identity_verdict"].startswith("2 voices: 8 clips (")
    assert "listen to both and keep one" in result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="voices"' in html and html.count('<li class="voice"') == 2
