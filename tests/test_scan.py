"""`voxaudit scan` end to end (signal side): known problems are found, bad input never stops the run."""

from __future__ import annotations

import csv
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy import signal as sps
from typer.testing import CliRunner

from voxaudit.cli import app
from voxaudit.config import load_config
from voxaudit.model import ClipSource
from voxaudit.pipeline import ScanOptions, process_clip, scan

from synth import add_noise_at_snr, natural_speech, voiced_speech, white_noise

SR = 48000


def judged(tmp_path: Path, samples: np.ndarray, sr: int = SR, name: str = "clip.wav", subtype="PCM_24"):
    path = tmp_path / name
    sf.write(path, samples, sr, subtype=subtype)
    result, _ = process_clip(ClipSource(path=str(path), display_path=name), load_config(), "en", False)
    return result, {f.code: f.severity for f in result.findings}


def clean_speech(seconds=4.0, sr=SR):
    # Speech with the dynamics of a real talker (the floor shows between syllables) over a natural,
    # continuous noise floor 50 dB down, as in the cleanest real corpora (vctk, ljspeech: 37-47 dB).
    # The dense default voiced_speech() fills every band at every instant of speech, which no real voice
    # does: its own energy then reads as "the floor under speech", far above the pause floor at high SNR,
    # which is what a noise gate leaves behind.
    x = natural_speech(seconds, sample_rate=sr, level_dbfs=-24.0)
    return add_noise_at_snr(x, white_noise(x.size, seed=7), 50.0)


def test_clean_synthetic_speech_has_no_error(tmp_path):
    result, found = judged(tmp_path, clean_speech())
    assert "error" not in found.values(), result.findings
    assert result.quality >= 70


def test_one_percent_clipping_is_an_error(tmp_path):
    x = clean_speech()
    # Gain such that 1 % of the samples exceed full scale, then clip.
    gain = 1.0 / np.quantile(np.abs(x), 0.99)
    result, found = judged(tmp_path, np.clip(gain * x, -1.0, 1.0).astype(np.float32), subtype="FLOAT")
    assert found.get("clipping") == "error"
    assert result.metrics["clipping_fraction"] == pytest.approx(0.01, abs=0.003)


def test_padded_silence_is_flagged(tmp_path):
    x = clean_speech(3.0)
    pad = np.zeros(5 * SR, dtype=np.float32)
    result, found = judged(tmp_path, np.concatenate([pad, x, pad]))
    assert "too_much_silence" in found
    assert result.metrics["leading_silence_s"] == pytest.approx(5.0, abs=0.3)


def test_eight_khz_clip_is_narrow_band_and_low_rate(tmp_path):
    x = clean_speech(sr=8000)
    _, found = judged(tmp_path, x, sr=8000)
    assert found.get("narrow_bandwidth") == "error"
    assert found.get("low_sample_rate") == "error"


def test_phone_band_lowpass_is_narrow(tmp_path):
    x = clean_speech()
    sos = sps.butter(10, 3400, btype="lowpass", fs=SR, output="sos")
    _, found = judged(tmp_path, sps.sosfiltfilt(sos, x).astype(np.float32))
    assert found.get("narrow_bandwidth") == "error"


def test_noise_gated_clip_is_flagged_denoised(tmp_path):
    x = voiced_speech(5.0, sample_rate=SR, level_dbfs=-24.0, pause_every_s=0.9, pause_s=0.5)
    noisy = add_noise_at_snr(x, white_noise(x.size, seed=3), 30.0)
    # A noise gate: frames of 10 ms under -45 dBFS are muted.
    hop = SR // 100
    frames = noisy[: noisy.size // hop * hop].reshape(-1, hop)
    level = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-20)
    gated = frames * (level > -45.0)[:, None]
    result, found = judged(tmp_path, gated.reshape(-1).astype(np.float32))
    assert found.get("denoised") == "error"
    finding = next(f for f in result.findings if f.code == "denoised")
    assert "digital silence" in finding.message and finding.hint


@pytest.mark.parametrize("hz", [50, 60])
def test_mains_hum_is_flagged(tmp_path, hz):
    x = clean_speech()
    t = np.arange(x.size) / SR
    hum = 10 ** (-40 / 20) * np.sqrt(2) * np.sin(2 * np.pi * hz * t)
    result, found = judged(tmp_path, (x + hum).astype(np.float32))
    assert "mains_hum" in found
    assert result.metrics["hum_hz"] == hz


def _write_bad_inputs(folder: Path) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    good = folder / "good.wav"
    sf.write(good, clean_speech(3.0), SR, subtype="PCM_24")
    (folder / "empty.wav").write_bytes(b"")
    (folder / "truncated.wav").write_bytes(good.read_bytes()[:40])
    (folder / "text.wav").write_text("hello, I am a text file\n" * 50)
    sf.write(folder / "short.wav", clean_speech(0.05), SR)
    nan = clean_speech(2.0)
    nan[100:200] = np.nan
    sf.write(folder / "nan.wav", nan, SR, subtype="FLOAT")
    sf.write(folder / "eight_ch.wav", np.repeat(clean_speech(2.0)[:, None], 8, axis=1), SR, subtype="PCM_24")
    sf.write(folder / "narrow_8k.wav", clean_speech(2.0, sr=8000), 8000)
    sf.write(folder / "声音 测试 ü.flac", clean_speech(2.0), SR)
    return {"good.wav": "ok", "empty.wav": "unreadable", "truncated.wav": "unreadable", "text.wav": "unreadable",
            "short.wav": "too_short", "nan.wav": "ok", "eight_ch.wav": "ok", "narrow_8k.wav": "ok",
            "声音 测试 ü.flac": "ok"}


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() + str(p.stat().st_mtime_ns)
            for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("jobs", [1, 2])
def test_cli_scan_bad_inputs_per_clip_errors_and_outputs(tmp_path, jobs):
    data = tmp_path / "data"
    expected = _write_bad_inputs(data)
    before = _digest(data)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["scan", str(data), "--out", str(out), "--no-identity", "--jobs", str(jobs),
                                      "--lang", "en", "--no-html"])
    assert result.exit_code == 0, result.output
    assert _digest(data) == before, "input files were modified"
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["schema"] == 1 and report["tool"]["name"] == "voxaudit"
    by_path = {c["path"]: c for c in report["clips"]}
    assert set(by_path) == set(expected)
    for name, outcome in expected.items():
        codes = [f["code"] for f in by_path[name]["findings"]]
        if outcome == "ok":
            assert "unreadable" not in codes and by_path[name]["metrics"]["duration_s"] > 1
        else:
            assert outcome in codes and by_path[name]["quality"] < 70
    assert by_path["eight_ch.wav"]["metrics"]["channels"] == 8
    assert "NaN" in " ".join(by_path["nan.wav"].get("notes", []))
    assert "narrow_bandwidth" in [f["code"] for f in by_path["narrow_8k.wav"]["findings"]]
    summary = report["summary"]
    assert summary["n_clips"] == len(expected) and summary["n_unreadable"] == 4
    assert by_path["short.wav"]["findings"][0]["message"] == "clip is 0.05 s long, under 0.1 s"
    with open(out / "clips.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["path"] for r in rows] == [c["path"] for c in report["clips"]]
    assert "snr_db" in rows[0]
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_fail_on_levels(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    sf.write(data / "ok.wav", clean_speech(3.0), SR, subtype="PCM_24")
    sf.write(data / "phone.wav", clean_speech(3.0, sr=8000), 8000)
    runner = CliRunner()
    base = ["scan", str(data), "--out", str(tmp_path / "o"), "--no-identity", "--jobs", "1", "--no-html", "-q"]
    assert runner.invoke(app, base).exit_code == 0
    assert runner.invoke(app, base + ["--fail-on", "error"]).exit_code == 1
    (data / "phone.wav").unlink()
    assert runner.invoke(app, base + ["--fail-on", "error"]).exit_code == 0


def test_list_input_keeps_text_and_relative_paths(tmp_path):
    (tmp_path / "wavs").mkdir()
    sf.write(tmp_path / "wavs" / "a.wav", clean_speech(3.0), SR)
    lst = tmp_path / "train.list"
    lst.write_text("wavs/a.wav|spk|ZH|你好世界\nwavs/missing.wav|spk|ZH|不存在\n", encoding="utf-8")
    result = scan([str(lst)], ScanOptions(jobs=1, identity=False))
    first, missing = result.clips
    assert first.source.text == "你好世界" and first.to_dict()["path"] == "wavs/a.wav"
    assert [f.code for f in missing.findings] == ["unreadable"]


def test_jobs_give_identical_metrics(tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    for i in range(4):
        sf.write(data / f"{i}.wav", clean_speech(2.0 + i), SR)
    one = scan([str(data)], ScanOptions(jobs=1, identity=False))
    two = scan([str(data)], ScanOptions(jobs=2, identity=False))
    assert [c.to_dict() for c in one.clips] == [c.to_dict() for c in two.clips]


@pytest.mark.speech
def test_clean_real_speech_raises_no_error(manifest, speech_dir):
    paths = [str(speech_dir / row["path"]) for row in manifest
             if row["source"] in ("aishell1", "vctk_16k", "ljspeech")]
    result = scan(paths, ScanOptions(jobs=os.cpu_count() or 1, identity=False))
    errors = {c.source.display_path: [f.code for f in c.findings if f.severity == "error"] for c in result.clips}
    errors = {k: v for k, v in errors.items() if v}
    assert len(result.clips) == len(paths) >= 150
    assert errors == {}
