"""Lists that GPT-SoVITS can train on: ``--list-lang`` for folders, ``voxaudit serve --script`` (the next
sentence on the page, takes stored with their text, keep.list with language and text), and "N clips have
no text" said where a list would otherwise carry empty texts."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from synth import natural_speech  # noqa: E402
from voxaudit.cli import app as cli_app  # noqa: E402
from voxaudit.report import load_report  # noqa: E402
from voxaudit.serve import create_app  # noqa: E402
from voxaudit.text.script import choose_script, write_script  # noqa: E402


def _wav_bytes(seed: int, seconds: float = 3.0) -> bytes:
    """Speech-like audio over a -60 dBFS room noise (exact-zero pauses would read as a noise gate)."""
    x = natural_speech(seconds, sample_rate=48000, seed=seed)
    x = x + 1e-3 * np.random.default_rng(seed).standard_normal(x.size).astype(np.float32)
    buffer = io.BytesIO()
    sf.write(buffer, x, 48000, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def test_folder_scan_with_list_lang_says_clips_have_no_text(tmp_path):
    folder = tmp_path / "voice"
    folder.mkdir()
    for k in range(2):
        (folder / f"t{k}.wav").write_bytes(_wav_bytes(k))
    out = tmp_path / "out"
    result = CliRunner().invoke(cli_app, ["scan", str(folder), "--out", str(out), "--no-identity", "--no-html",
                                          "--select-minutes", "5", "--list-lang", "ZH", "--lang", "en", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert "2 clip(s) have no text: run ASR or record from a script" in " ".join(result.output.split())
    keep = (out / "keep.list").read_text(encoding="utf-8").splitlines()
    # Never a line GPT-SoVITS would reject: each clip is a comment naming what is missing, then the line.
    assert len(keep) == 2 and all(line.startswith("# no text (run ASR or record from a script): ") for line in keep)
    assert all(line.endswith("|voice|ZH|") for line in keep)
    summary = load_report(out)["summary"]
    assert summary["text"] == {"n_with_text": 0, "n_without_text": 2}
    bad = CliRunner().invoke(cli_app, ["scan", str(folder), "--out", str(out), "--no-identity", "--list-lang", "FR"])
    assert bad.exit_code == 2 and "FR" in bad.output


def test_serve_reads_the_script(tmp_path):
    write_script(choose_script("zh", 0.3), tmp_path / "s")
    sentences = (tmp_path / "s" / "script.txt").read_text(encoding="utf-8").splitlines()
    app = create_app(tmp_path / "project", warm=False, identity=False, script_path=tmp_path / "s" / "script.txt")
    with TestClient(app) as client:
        state = client.get("/api/script", params={"lang": "en"}).json()
        assert state["next_index"] == 0 and state["next_sentence"] == sentences[0] and state["list_lang"] == "ZH"
        assert state["heading"] == f"Read sentence 1 of {len(sentences)}:"
        # The page carries the box the script block fills.
        assert 'id="script-box"' in client.get("/").text
        # A take recorded from the script: stored with its sentence, measured against it.
        created = client.post("/api/takes", files={"file": ("a.wav", _wav_bytes(1), "audio/wav")},
                              data={"text": sentences[0], "source": "microphone"})
        assert created.status_code == 201, created.text
        take = created.json()["take"]
        assert take["text"] == sentences[0]
        assert take["metrics"]["text_syllables"] > 0 and take["metrics"]["speaking_rate_syl_s"] > 0
        assert "unmarked_pause_s" in take["metrics"]
        state = client.get("/api/script", params={"lang": "zh"}).json()
        assert state["next_index"] == 1 and state["n_recorded"] == 1 and state["heading"].startswith("请朗读第 2 /")
        # A take without text is counted and said.
        # (another length: two synthetic takes of one length can be the same audio to the duplicate check)
        client.post("/api/takes", files={"file": ("b.wav", _wav_bytes(2, seconds=4.5), "audio/wav")})
        state = client.get("/api/script", params={"lang": "en"}).json()
        assert state["n_without_text"] == 1 and state["no_text"].startswith("1 take(s) have no text")
        keep = client.get("/report/keep.list").text.splitlines()
        assert any(line.endswith(f"|ZH|{sentences[0]}") and line.count("|") == 3 for line in keep)
        assert any(line.startswith("# no text") for line in keep)
        assert client.get("/api/takes").json()["summary"]["text"]["n_without_text"] == 1
