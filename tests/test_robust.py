"""Reliability probes on `voxaudit scan` (issue 11): what an attacker or a careless user feeds it.

Link loops, duplicate and absurdly long `.list` paths, mistyped inputs, pipes and looping links,
oversized and corrupt audio, digital silence, a set that shares its sample rate, Chinese output in a
narrow terminal, a scan killed and run again, and two scans into one output folder. Each probe asserts
a known answer: a clear per-clip error or a usage error, nothing lost, nothing hung (probes that could
hang run under a deadline).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from voxaudit import audio as audio_module
from voxaudit.audio import load_audio
from voxaudit.cli import app, print_summary
from voxaudit.config import Config, load_config
from voxaudit.discover import discover
from voxaudit.model import ClipSource
from voxaudit.pipeline import ScanOptions, process_clip, scan

from synth import add_noise_at_snr, natural_speech, white_noise

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def deadline(seconds: int):
    """Fail (instead of hanging) when the block runs longer than ``seconds``."""
    def expired(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def clean(seconds: float = 2.5, sr: int = 48000, seed: int = 0) -> np.ndarray:
    x = natural_speech(seconds, sample_rate=sr, level_dbfs=-24.0, seed=seed)
    x = add_noise_at_snr(x, white_noise(x.size, seed=7 + seed), 50.0)
    return (x - np.mean(x)).astype(np.float32)  # the pulse train's DC (0.01 at 16 kHz) is not the point here


def judged(path: Path, lang: str = "en"):
    result, _ = process_clip(ClipSource(path=str(path), display_path=path.name), load_config(), lang, False)
    return result


def codes(result) -> dict[str, str]:
    return {f.code: f.severity for f in result.findings}


# -- discovery ---------------------------------------------------------------------------------------

def _tree(root: Path) -> None:
    (root / "sub").mkdir(parents=True)
    (root / "a.wav").write_bytes(b"x")
    (root / "sub" / "b.wav").write_bytes(b"x")


def test_two_link_loops_end_at_once_with_each_file_once(tmp_path):
    _tree(tmp_path)
    os.symlink("..", tmp_path / "sub" / "l1")
    os.symlink("..", tmp_path / "sub" / "l2")
    with deadline(20):
        found = discover([tmp_path])
    assert [c.display_path for c in found.clips] == ["a.wav", "sub/b.wav"]


def test_one_link_loop_gives_no_nested_paths(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "take1.wav").write_bytes(b"x")
    (tmp_path / "sub" / "take2.wav").write_bytes(b"x")
    os.symlink(".", tmp_path / "loop")  # "loop/loop/.../take1.wav" sorts before "take1.wav"
    with deadline(20):
        found = discover([tmp_path])
    assert [c.display_path for c in found.clips] == ["sub/take2.wav", "take1.wav"]


def test_file_reached_by_two_paths_is_kept_under_the_shortest(tmp_path):
    (tmp_path / "real" / "deep").mkdir(parents=True)
    (tmp_path / "real" / "deep" / "x.wav").write_bytes(b"x")
    os.symlink(tmp_path / "real" / "deep", tmp_path / "short")
    (tmp_path / "other").mkdir()
    os.symlink(tmp_path / "real" / "deep" / "x.wav", tmp_path / "other" / "alias.wav")
    found = discover([tmp_path])
    assert [c.display_path for c in found.clips] == ["short/x.wav"]


def _list_with_duplicates(tmp_path: Path, n_files: int = 5, n_lines: int = 60) -> Path:
    (tmp_path / "wavs").mkdir()
    for i in range(n_files):
        sf.write(tmp_path / "wavs" / f"{i}.wav", clean(1.5, sr=16000, seed=i), 16000)
    lines = []
    for k in range(n_lines):
        i = k % n_files
        spelling = [f"wavs/{i}.wav", f"wavs/./{i}.wav", f"wavs/../wavs/{i}.wav", str(tmp_path / "wavs" / f"{i}.wav")]
        lines.append(f"{spelling[(k // n_files) % 4]}|spk|zh|第{i}句")
    listing = tmp_path / "train.list"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return listing


def test_duplicate_list_lines_are_counted_with_examples(tmp_path):
    listing = _list_with_duplicates(tmp_path)
    found = discover([listing])
    assert len(found.clips) == 5
    dup = found.duplicates
    assert dup["count"] == 55
    first = dup["examples"][0]
    assert (first["path"], first["line"], first["same_as"], first["same_as_line"]) == \
        ("wavs/./0.wav", 6, "wavs/0.wav", 1)
    assert first["differs"] is False


def test_duplicates_reach_the_report_and_the_screen(tmp_path):
    listing = _list_with_duplicates(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["scan", str(listing), "--out", str(out), "--no-identity", "--jobs", "1",
                                      "--no-html", "--lang", "en"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "report.json").read_text(encoding="utf-8"))["summary"]
    assert summary["n_clips"] == 5 and summary["duplicates"]["count"] == 55
    assert "55 input line(s)" in result.output and "wavs/./0.wav (line 6) = wavs/0.wav (line 1)" in result.output


def test_a_600_kb_list_path_is_refused_before_it_is_resolved(tmp_path):
    sf.write(tmp_path / "ok.wav", clean(1.5, sr=16000), 16000)
    monster = "a/" * 300_000 + "x.wav"
    listing = tmp_path / "bad.list"
    listing.write_text(f"ok.wav|s|zh|好\n{monster}|s|zh|坏\n", encoding="utf-8")
    with deadline(20):  # os.path.realpath alone took 29 s on such a path
        result = scan([str(listing)], ScanOptions(jobs=1, identity=False, journal_path=str(tmp_path / "j.sqlite")))
    ok, bad = result.clips
    assert ok.readable and [(f.code, f.cause) for f in bad.findings] == [("unreadable", "path_too_long")]
    assert f"{len(os.fsencode(str(tmp_path / monster)))} bytes" in bad.findings[0].message


def test_a_mistyped_input_is_a_usage_error(tmp_path):
    sf.write(tmp_path / "ok.wav", clean(1.5), 48000)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["scan", str(tmp_path / "nonexistent"), str(tmp_path / "ok.wav"),
                                      "--out", str(out), "--no-identity", "--lang", "en"])
    assert result.exit_code == 2
    assert "no such file or folder" in result.output and "nonexistent" in result.output
    assert not out.exists()  # nothing was scanned, nothing written
    zh = CliRunner().invoke(app, ["scan", str(tmp_path / "nonexistent"), "--out", str(out), "--lang", "zh"])
    assert zh.exit_code == 2 and "找不到文件或文件夹" in zh.output


# -- why a clip is unreadable ------------------------------------------------------------------------

def test_missing_list_entry_says_file_not_found_with_a_path_hint(tmp_path):
    listing = tmp_path / "t.list"
    listing.write_text("wavs/gone.wav|s|zh|不在\n", encoding="utf-8")
    result = scan([str(listing)], ScanOptions(jobs=1, identity=False))
    (finding,) = result.clips[0].findings
    assert (finding.code, finding.cause, finding.message) == ("unreadable", "not_found", "file not found")
    assert "path" in finding.hint and "re-export" not in finding.hint
    assert result.summary["by_code"]["unreadable"]["hint"] == finding.hint


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pipes_devices_and_links_say_what_they_are(tmp_path, lang):
    fifo = tmp_path / "fifo.wav"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.wav"
    os.symlink("loop.wav", loop)
    dangling = tmp_path / "dangling.wav"
    os.symlink("nowhere.wav", dangling)
    expected = {fifo: "not_regular", loop: "symlink_loop", dangling: "broken_symlink",
                Path("/dev/null"): "not_regular", tmp_path: "is_folder"}
    for path, cause in expected.items():
        with deadline(10):  # a reader that opened the FIFO would wait for a writer forever
            result = judged(path, lang)
        (finding,) = result.findings
        assert (finding.code, finding.cause) == ("unreadable", cause), (path, finding)
        assert "re-export" not in finding.hint and "重新导出为" not in finding.hint
        if lang == "zh":
            assert "无法读取文件" in finding.message and not any(c.isascii() and c.isalpha() for c in finding.hint)
    assert "FIFO" in judged(fifo, lang).findings[0].message
    assert "nowhere.wav" in judged(dangling, lang).findings[0].message


# -- loading: size, corrupt samples, silence ---------------------------------------------------------

def test_size_is_checked_from_the_header_before_decoding(tmp_path, monkeypatch):
    sr = 48000
    sf.write(tmp_path / "mono.wav", clean(2.0, sr=sr), sr)
    sf.write(tmp_path / "stereo.wav", np.repeat(clean(1.5, sr=sr)[:, None], 2, axis=1), sr)
    monkeypatch.setattr(audio_module, "MAX_FRAMES", int(1.8 * sr), raising=False)
    monkeypatch.setattr(audio_module, "MAX_DECODED_SAMPLES", int(2.5 * sr), raising=False)
    decoded = []
    real_read = sf.SoundFile.read
    monkeypatch.setattr(sf.SoundFile, "read", lambda self, *a, **k: decoded.append(1) or real_read(self, *a, **k))
    result = judged(tmp_path / "mono.wav")  # 2.0 s of 48 kHz > 1.8 s
    assert codes(result) == {"too_long": "error"} and result.findings[0].threshold == pytest.approx(1.8)
    result = judged(tmp_path / "stereo.wav")  # 1.5 s x 2 channels = 3.0 s of samples > 2.5 s
    assert codes(result) == {"too_long": "error"} and result.findings[0].threshold == pytest.approx(1.25)
    assert result.metrics["duration_s"] == pytest.approx(1.5) and not decoded
    sf.write(tmp_path / "short.wav", clean(1.2, sr=sr), sr)
    assert "too_long" not in codes(judged(tmp_path / "short.wav"))


def test_a_wide_file_is_decoded_a_block_at_a_time(tmp_path, monkeypatch):
    """An 8-channel float file: peak memory of the loader is about the mono downmix, not the whole file."""
    sr, seconds, channels = 48000, 6.0, 8
    x = np.stack([clean(seconds, sr=sr, seed=c) * (0.5 + 0.05 * c) for c in range(channels)], axis=1)
    x[:, 5] = 0.0  # a dead channel: left out of the downmix (a second pass)
    x[1000:1010, 2] = np.nan
    x[5000, 7] = np.inf
    path = tmp_path / "wide.wav"
    sf.write(path, x.astype(np.float32), sr, subtype="FLOAT")
    monkeypatch.setattr(audio_module, "BLOCK_BYTES", 256 * 1024, raising=False)
    tracemalloc.start()
    try:
        audio = load_audio(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    mono_bytes = x.shape[0] * 4
    assert peak < mono_bytes + 4 * 256 * 1024 + 2**20 < x.nbytes / 2
    # The same samples as decoding the whole file and downmixing after.
    whole = sf.read(path, dtype="float32", always_2d=True)[0]
    whole[~np.isfinite(whole)] = 0.0
    expected = whole[:, [c for c in range(channels) if c != 5]].mean(axis=1, dtype=np.float32)
    assert np.array_equal(audio.samples, expected)
    assert audio.dead_channels == [6] and audio.nonfinite_samples == 11


def test_nan_and_inf_samples_are_an_error(tmp_path):
    x = clean(3.0)
    x[2000:2100] = np.nan
    x[9000:9010] = np.inf
    path = tmp_path / "corrupt.wav"
    sf.write(path, x, 48000, subtype="FLOAT")
    result = judged(path)
    assert codes(result).get("corrupt_samples") == "error" and result.quality <= 65
    finding = next(f for f in result.findings if f.code == "corrupt_samples")
    assert finding.value == 110 and result.metrics["nonfinite_samples"] == 110
    zh = judged(path, "zh")
    assert "110 个采样点" in next(f.message for f in zh.findings if f.code == "corrupt_samples")
    assert any("NaN" in n for n in result.notes) and any("已替换为 0" in n for n in zh.notes)
    clean_path = tmp_path / "clean.wav"
    sf.write(clean_path, clean(3.0), 48000, subtype="FLOAT")
    result = judged(clean_path)
    assert "corrupt_samples" not in codes(result) and result.metrics["nonfinite_samples"] == 0


def test_digital_silence_is_too_quiet(tmp_path):
    path = tmp_path / "zeros.wav"
    sf.write(path, np.zeros(48000 * 2, dtype=np.float32), 48000, subtype="PCM_16")
    result = judged(path)
    assert codes(result).get("too_quiet") == "error"
    finding = next(f for f in result.findings if f.code == "too_quiet")
    assert "-inf dBFS" in finding.message and finding.value is None
    assert result.metrics["rms_dbfs"] is None  # JSON has no -inf
    json.dumps(result.to_dict(), allow_nan=False)


def test_infinite_values_lie_beyond_every_threshold():
    from voxaudit.config import Rule
    from voxaudit.signal.findings import judge_rule

    quiet = Rule("too_quiet", "rms_dbfs", "below", warning=-40.0, error=-50.0)
    loud = Rule("too_loud", "rms_dbfs", "above", warning=-20.0, error=-8.0)
    assert judge_rule(quiet, {"rms_dbfs": float("-inf")})[:1] == ("error",)
    assert judge_rule(loud, {"rms_dbfs": float("-inf")}) is None
    assert judge_rule(loud, {"rms_dbfs": float("inf")})[:1] == ("error",)
    assert judge_rule(quiet, {"rms_dbfs": float("nan")}) is None


# -- a condition the whole set shares ----------------------------------------------------------------

def _set(folder: Path, rates: list[int]) -> Path:
    folder.mkdir()
    for i, rate in enumerate(rates):
        sf.write(folder / f"{i}.wav", clean(2.5, sr=rate, seed=i), rate, subtype="PCM_16")
    return folder


def test_a_sample_rate_the_whole_set_shares_is_said_once(tmp_path):
    data = _set(tmp_path / "d16", [16000] * 4)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["scan", str(data), "--out", str(out), "--no-identity", "--jobs", "1",
                                      "--lang", "en"])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    summary = report["summary"]
    (condition,) = summary["set_conditions"]
    assert (condition["code"], condition["severity"], condition["clips"]) == ("low_sample_rate", "warning", 4)
    assert condition["values"] == [16000.0]
    # Still on every clip, as information about the set; not what makes a clip "flagged".
    for clip in report["clips"]:
        finding = next(f for f in clip["findings"] if f["code"] == "low_sample_rate")
        assert (finding["severity"], finding["scope"]) == ("info", "set")
    others = [c for c in report["clips"] if any(f["severity"] in ("warning", "error") for f in c["findings"])]
    assert summary["n_flagged"] == len(others) == 0
    assert "all 4 clips: sample rate 16000 Hz is under 44100 Hz" in result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "all 4 clips: sample rate 16000 Hz is under 44100 Hz" in html
    assert "4 of 4 clips flagged" not in html


def test_a_set_mixing_rates_keeps_its_warnings(tmp_path):
    result = scan([str(_set(tmp_path / "mixed", [16000, 16000, 16000, 48000]))], ScanOptions(jobs=1, identity=False))
    assert result.summary["set_conditions"] == []
    severities = [codes(c).get("low_sample_rate") for c in result.clips]
    assert severities == ["warning", "warning", "warning", None]


def test_a_shared_error_still_counts(tmp_path):
    """Under 16 kHz the clips are unusable for training, however many share it: still flagged."""
    result = scan([str(_set(tmp_path / "phone", [8000, 8000, 8000]))], ScanOptions(jobs=1, identity=False))
    assert result.summary["set_conditions"] == []
    assert [codes(c).get("low_sample_rate") for c in result.clips] == ["error"] * 3
    assert result.summary["n_flagged"] == 3 and result.summary["usable_minutes"] == 0.0


def test_a_single_clip_keeps_its_warning(tmp_path):
    result = scan([str(_set(tmp_path / "one", [16000]))], ScanOptions(jobs=1, identity=False))
    assert result.summary["set_conditions"] == [] and codes(result.clips[0])["low_sample_rate"] == "warning"


# -- Chinese output ------------------------------------------------------------------------------------

def test_every_finding_has_a_name_in_both_languages():
    from voxaudit.messages import MESSAGES
    from voxaudit.report.html_strings import CODE_LABELS

    all_codes = set(MESSAGES["en"]) | set(Config().rules)
    for lang in ("en", "zh"):
        assert all_codes <= set(CODE_LABELS[lang]), all_codes - set(CODE_LABELS[lang])


def test_chinese_summary_wraps_hints_in_80_columns(tmp_path):
    data = _set(tmp_path / "d", [16000, 16000])
    sf.write(data / "zeros.wav", np.zeros(32000, dtype=np.float32), 16000)
    (data / "broken.wav").write_text("not audio")
    result = scan([str(data)], ScanOptions(jobs=1, identity=False, lang="zh"))
    report = result.report_dict([str(data)])
    buffer = io.StringIO()
    from rich.console import Console

    print_summary(report, [], "zh", console=Console(file=buffer, width=80, color_system=None))
    text = buffer.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text
    flat = "".join(ch for ch in text if not ch.isspace() and ch not in "│┃")
    for code, entry in report["summary"]["by_code"].items():
        assert "".join(entry["hint"].split()) in flat, code
    assert "无法读取" in flat and "音量过小" in flat  # finding names translated
    assert "unreadable" not in text and "too_quiet" not in text


def test_encoder_fallback_notice_is_translated():
    from voxaudit.identity import IdentityStage

    stage = IdentityStage(ScanOptions(lang="zh", encoder="auto"), lambda m: None)
    stage.encoder = type("E", (), {"name": "ge2e"})()
    text = stage._localised("ECAPA-TDNN weights not found in /x (offline); using ge2e (to add them: models/README.md)")
    assert text.startswith("ECAPA-TDNN 权重不可用（ECAPA-TDNN weights not found in /x (offline)）") and "改用 ge2e" in text


# -- one output folder, one scan; a scan killed and run again ------------------------------------------

def test_a_second_scan_into_a_busy_out_is_refused(tmp_path):
    from voxaudit.outlock import output_lock

    data = _set(tmp_path / "d", [48000])
    out = tmp_path / "out"
    with output_lock(out):
        result = CliRunner().invoke(app, ["scan", str(data), "--out", str(out), "--no-identity", "--lang", "en"])
        assert result.exit_code == 2
        assert "another voxaudit scan is writing to" in result.output and f"pid {os.getpid()}" in result.output
        assert sorted(p.name for p in out.iterdir()) == [".voxaudit.lock"]
    result = CliRunner().invoke(app, ["scan", str(data), "--out", str(out), "--no-identity", "--no-html"])
    assert result.exit_code == 0 and (out / "report.json").exists()


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "voxaudit.cli", "scan", *args]


def _env() -> dict:
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    return env


def _comparable(out: Path) -> dict:
    """report.json without what differs between runs by design: the time and the reuse counters."""
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    report.pop("created")
    for key in ("measurements_reused", "embedded", "cache_hits"):
        report["summary"].pop(key, None)
    return report


def _journal_rows(path: Path) -> int:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.2)) as db:
            return int(db.execute("SELECT COUNT(*) FROM results").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.fixture(scope="module")
def speech_list(manifest, speech_dir, tmp_path_factory):
    """24 clips of one aishell speaker as a .list, and the report of one uninterrupted scan of it."""
    rows = [r for r in manifest if r["speaker_id"] == "aishell-S0150"][:24]
    root = tmp_path_factory.mktemp("speech")
    listing = root / "set.list"
    listing.write_text("".join(f"{speech_dir / r['path']}|S0150|zh|句子\n" for r in rows), encoding="utf-8")
    out = root / "reference"
    run = subprocess.run(_cli(str(listing), "--out", str(out), "--encoder", "ge2e", "--jobs", "1", "-q"),
                         env=_env(), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return listing, _comparable(out)


@pytest.mark.slow
@pytest.mark.speech
def test_a_scan_killed_mid_run_and_run_again_gives_the_same_report(speech_list, tmp_path):
    listing, reference = speech_list
    out = tmp_path / "out"
    args = _cli(str(listing), "--out", str(out), "--encoder", "ge2e", "--jobs", "1", "-q")
    victim = subprocess.Popen(args, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        t0 = time.monotonic()
        while _journal_rows(out / "measurements.sqlite") < 8 and victim.poll() is None:
            assert time.monotonic() - t0 < 240, "the scan never journalled a clip"
            time.sleep(0.01)
        victim.send_signal(signal.SIGKILL)
    finally:
        victim.wait(timeout=60)
    assert victim.returncode == -signal.SIGKILL, "the scan ended before it could be killed"
    assert not (out / "report.json").exists()
    assert 8 <= _journal_rows(out / "measurements.sqlite") < 24
    run = subprocess.run(args, env=_env(), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert _comparable(out) == reference
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["summary"]["measurements_reused"] >= 8


@pytest.mark.slow
@pytest.mark.speech
def test_two_scans_into_one_out_never_mix(speech_list, tmp_path):
    listing, reference = speech_list
    out = tmp_path / "out"
    first = subprocess.Popen(_cli(str(listing), "--out", str(out), "--encoder", "ge2e", "--jobs", "1", "-q"),
                             env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    lock = out / ".voxaudit.lock"
    try:
        t0 = time.monotonic()
        while not (lock.exists() and f"pid {first.pid}" in lock.read_text()):
            assert first.poll() is None and time.monotonic() - t0 < 120, "the first scan never took the lock"
            time.sleep(0.005)
        first.send_signal(signal.SIGSTOP)  # hold it mid-run, whatever the machine's speed
        second = subprocess.run(_cli(str(listing), "--out", str(out), "--no-identity", "--lang", "en"),
                                env=_env(), capture_output=True, text=True, timeout=120)
        first.send_signal(signal.SIGCONT)
        assert second.returncode == 2
        assert f"another voxaudit scan is writing to {out} (pid {first.pid}" in " ".join(second.stderr.split())
    finally:
        first.send_signal(signal.SIGCONT)
        first.wait(timeout=300)
    assert first.returncode == 0, first.stderr.read().decode()
    assert _comparable(out) == reference


def test_serve_refuses_a_take_over_the_size_cap_with_a_clear_error(tmp_path, monkeypatch):
    """The size cap reaches `voxaudit serve` too: a clear 422, not a 500 from drawing the clip."""
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from voxaudit.serve import create_app

    monkeypatch.setattr(audio_module, "MAX_FRAMES", 48000)  # 1 s at 48 kHz, so a small take is "too long"
    take = tmp_path / "take.wav"
    sf.write(take, clean(2.0), 48000)
    with TestClient(create_app(tmp_path / "p", warm=False, identity=False)) as client:
        response = client.post("/api/takes", files={"file": ("take.wav", take.read_bytes(), "audio/wav")})
    assert response.status_code == 422 and response.json()["code"] == "too_long"


def test_summary_prints_the_speaking_rate_line(tmp_path):
    """A summary whose text part has a judged speaking rate prints it (it raised a TypeError: the rate's
    own ``{lang}`` field clashed with the UI language)."""
    from rich.console import Console

    report = {"summary": {"n_clips": 10, "usable_minutes": 1.0, "total_minutes": 1.0, "n_flagged": 0,
                          "by_severity": {"error": 0, "warning": 0, "info": 0}, "by_code": {},
                          "text": {"speaking_rate": {"zh": {"judged": True, "median_syl_s": 3.7, "q1_syl_s": 3.4,
                                                            "q3_syl_s": 4.0}}}},
              "clips": []}
    for lang, expected in (("en", "speaking rate (zh): median 3.7"), ("zh", "语速（zh）：中位数 3.7")):
        buffer = io.StringIO()
        print_summary(report, [], lang, console=Console(file=buffer, width=100, color_system=None))
        assert expected in buffer.getvalue()
