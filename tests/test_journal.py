"""The measurement journal: a re-run or an interrupted run does not measure finished clips again."""

from __future__ import annotations

import os
import sqlite3

import pytest
import soundfile as sf

from voxaudit import journal as journal_module
from voxaudit.config import load_config
from voxaudit.journal import MeasurementJournal, code_fingerprint
from voxaudit.model import ClipSource
from voxaudit.pipeline import ScanOptions, scan

from synth import add_noise_at_snr, voiced_speech, white_noise

SR = 16000


def make_set(folder, n=6):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        x = voiced_speech(1.5 + 0.25 * i, sample_rate=SR, f0_hz=120 + 10 * i, level_dbfs=-24.0)
        sf.write(folder / f"take_{i:02d}.wav", add_noise_at_snr(x, white_noise(x.size, seed=i), 45.0), SR)
    return folder


def options(tmp_path, **kw):
    return ScanOptions(jobs=1, identity=False, html=False, journal_path=str(tmp_path / "m.sqlite"), **kw)


def as_records(result):
    return [c.to_dict() for c in result.clips]


def test_rerun_reuses_every_unchanged_clip_with_identical_results(tmp_path):
    data = make_set(tmp_path / "data")
    first = scan([str(data)], options(tmp_path))
    assert first.summary["measurements_reused"] == 0
    second = scan([str(data)], options(tmp_path))
    assert second.summary["measurements_reused"] == 6
    assert as_records(second) == as_records(first)


def test_changed_file_and_changed_thresholds_are_measured_again(tmp_path):
    data = make_set(tmp_path / "data")
    scan([str(data)], options(tmp_path))
    path = data / "take_00.wav"
    x, sr = sf.read(path)
    sf.write(path, 0.5 * x, sr)
    os.utime(path, ns=(1, 1))  # a different mtime whatever the file system's clock resolution
    assert scan([str(data)], options(tmp_path)).summary["measurements_reused"] == 5

    config_file = tmp_path / "strict.toml"
    config_file.write_text("[thresholds.low_snr]\nwarning = 50.0\nerror = 40.0\n")
    strict = scan([str(data)], options(tmp_path, config=load_config(config_file)))
    assert strict.summary["measurements_reused"] == 0
    assert all("low_snr" in {f.code for f in c.findings} for c in strict.clips)


def test_interrupted_run_keeps_what_it_finished(tmp_path):
    data = make_set(tmp_path / "data")

    def stop_after_four(done, total, clip):
        if done == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        scan([str(data)], options(tmp_path), progress=stop_after_four)
    resumed = scan([str(data)], options(tmp_path))
    assert resumed.summary["measurements_reused"] == 4
    assert len(resumed.clips) == 6


def test_rows_are_committed_before_close(tmp_path, monkeypatch):
    """A killed process (no close, no flush) keeps every group of ROWS_PER_COMMIT results."""
    data = make_set(tmp_path / "data", n=3)
    first = scan([str(data)], ScanOptions(jobs=1, identity=False, html=False))
    monkeypatch.setattr(journal_module, "ROWS_PER_COMMIT", 2)
    journal = MeasurementJournal(tmp_path / "j.sqlite", fingerprint="f")
    for clip in first.clips:
        journal.record(clip)
    # Read with a second connection while the first is still open and unflushed (as after a kill).
    rows = sqlite3.connect(tmp_path / "j.sqlite").execute("SELECT COUNT(*) FROM results").fetchone()[0]
    assert rows == 2
    journal.close()
    assert len(MeasurementJournal(tmp_path / "j.sqlite", fingerprint="f")) == 3


def test_corrupt_journal_is_moved_aside_with_a_notice(tmp_path):
    data = make_set(tmp_path / "data", n=2)
    (tmp_path / "m.sqlite").write_bytes(b"this is not a database" * 100)
    notices = []
    result = scan([str(data)], options(tmp_path), notice=notices.append)
    assert len(result.clips) == 2 and result.summary["measurements_reused"] == 0
    assert any("journal" in n and "afresh" in n for n in notices)
    assert list(tmp_path.glob("m.sqlite.broken-*"))
    assert scan([str(data)], options(tmp_path)).summary["measurements_reused"] == 2


def test_lookup_ignores_other_fingerprints_and_missing_files(tmp_path):
    data = make_set(tmp_path / "data", n=1)
    clip = scan([str(data)], ScanOptions(jobs=1, identity=False, html=False)).clips[0]
    with MeasurementJournal(tmp_path / "j.sqlite", fingerprint="a") as journal:
        journal.record(clip)
    source = clip.source
    assert MeasurementJournal(tmp_path / "j.sqlite", fingerprint="a").lookup(source).metrics == clip.metrics
    assert MeasurementJournal(tmp_path / "j.sqlite", fingerprint="b").lookup(source) is None
    gone = ClipSource(path=str(tmp_path / "nope.wav"), display_path="nope.wav")
    assert MeasurementJournal(tmp_path / "j.sqlite", fingerprint="a").lookup(gone) is None


def test_fingerprint_depends_on_language_and_thresholds(tmp_path):
    base = code_fingerprint(load_config(), "en")
    assert base == code_fingerprint(load_config(), "en")
    assert base != code_fingerprint(load_config(), "zh")
    config_file = tmp_path / "c.toml"
    config_file.write_text("[thresholds.reverb]\nenabled = false\n")
    assert base != code_fingerprint(load_config(config_file), "en")
