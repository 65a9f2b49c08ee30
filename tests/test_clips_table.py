"""Per-clip records at scale: clips.parquet beside a summary-only report.json above the threshold, report.json
exactly as before below it, clips.csv streamed, and load_clips / load_report reading either form back."""

from __future__ import annotations

import copy
import csv
import io
import json
import shutil

import pytest
from typer.testing import CliRunner

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from voxaudit.cli import app  # noqa: E402
from voxaudit.errors import ParameterError  # noqa: E402
from voxaudit.model import ClipResult, ClipSource, Finding  # noqa: E402
from voxaudit.pipeline import ScanOptions, ScanResult  # noqa: E402
from voxaudit.report import clips_table, load_clips, load_report  # noqa: E402
from voxaudit.report.clips_table import write_clip_records, write_clips_parquet  # noqa: E402
from voxaudit.report.outputs import write_outputs  # noqa: E402
from voxaudit.report.tables import clips_csv_text, write_clips_csv  # noqa: E402


def _clips() -> list[dict]:
    """Five clip records covering what report.json holds: identity or none, unreadable (no metrics),
    nulls, a finding's extra fields, text, notes, selection, Chinese names, a metric whose type varies."""
    return [
        {"path": "anna/t01.wav", "file": "/data/anna/t01.wav", "speaker": "anna",
         "metrics": {"duration_s": 3.0, "sample_rate": 48000, "channels": 1, "snr_db": 30.5, "hum_hz": None,
                     "snr_method": "pauses", "plosive_count": 2, "odd": 1.5},
         "findings": [{"code": "low_snr", "severity": "warning", "message": "SNR 30.5 dB", "hint": "quieter room",
                       "metric": "snr_db", "value": 30.5, "threshold": 35.0}],
         "quality": 90.0, "sha256": "ab" * 32,
         "identity": {"similarity": 0.91, "z": 0.3, "cluster": 0, "outlier": False, "reason": "", "speaker": "anna"}},
        {"path": "anna/broken.wav", "file": "/data/anna/broken.wav", "speaker": "anna", "metrics": {},
         "findings": [{"code": "unreadable", "severity": "error", "message": "cannot decode", "hint": "re-export"}],
         "quality": 65.0},
        {"path": "李雷/片段 1.wav", "file": "/data/李雷/片段 1.wav", "speaker": "李雷", "lang": "ZH", "text": "你好，世界",
         "metrics": {"duration_s": 2.25, "sample_rate": 44100, "channels": 2, "snr_db": None, "hum_hz": 50.0,
                     "snr_method": "wada", "plosive_count": 2.5, "odd": "n/a", "list_fields": 4},
         "findings": [{"code": "speaker_mislabel", "severity": "error", "message": "sounds like anna", "hint": "move it",
                       "metric": "similarity", "value": 0.42, "speaker": "李雷", "likely_speaker": "anna",
                       "likely_similarity": 0.88},
                      {"code": "plosive", "severity": "info", "message": "1 pop", "hint": "pop filter",
                       "metric": "plosive_count", "value": 1, "threshold": 0}],
         "quality": 63.0, "notes": ["decoded with a warning"], "selected": False, "rejected_reason": "error",
         "identity": {"similarity": 0.42, "z": -4.1, "cluster": 3, "outlier": True, "reason": "other voice",
                      "speaker": "李雷", "likely_speaker": "anna", "other_speaker": "anna", "other_similarity": 0.88}},
        {"path": "ben/t02.wav", "file": "/data/ben/t02.wav", "speaker": "ben",
         "metrics": {"duration_s": 4.0, "sample_rate": 48000, "channels": 1, "snr_db": 41.0, "snr_method": "pauses",
                     "plosive_count": 0},
         "findings": [], "quality": 100.0, "selected": True,
         "identity": {"similarity": 0.95, "z": 0.8, "cluster": 0, "outlier": False, "reason": "", "speaker": "ben"}},
        {"path": "ben/t03.wav", "file": "/data/ben/t03.wav", "speaker": "ben",
         "metrics": {"duration_s": 1.0, "sample_rate": 16000, "channels": 1, "snr_db": 20.0, "hum_hz": None,
                     "snr_method": "pauses", "plosive_count": 0},
         "findings": [{"code": "low_sample_rate", "severity": "warning", "message": "16 kHz", "hint": "48 kHz",
                       "metric": "sample_rate", "value": 16000.0, "threshold": 44100.0}],
         "quality": 90.0, "selected": True},
    ]


def _report(clips: list[dict]) -> dict:
    return {"schema": 1, "tool": {"name": "voxaudit", "version": "test"}, "created": "2024-01-01T00:00:00+00:00",
            "inputs": ["/data"], "clips": clips,
            "summary": {"n_clips": len(clips), "total_minutes": 0.2, "by_code": {"low_snr": {"clips": 1}}}}


# -- above the threshold --------------------------------------------------------------------------------

def test_large_set_writes_table_and_summary_only_report(tmp_path):
    report = _report(_clips())
    original = copy.deepcopy(report)
    written = write_clip_records(tmp_path, report, inline_clips_max=4)
    assert report == original, "the caller's report must not be modified"
    assert [p.name for p in written] == ["report.json", "clips.parquet", "clips.csv"]
    on_disk = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert "clips" not in on_disk
    assert on_disk["clips_table"] == {"file": "clips.parquet", "format": "parquet", "n_clips": 5, "csv": "clips.csv"}
    assert list(on_disk) == ["schema", "tool", "created", "inputs", "clips_table", "summary"]
    assert on_disk["summary"] == report["summary"]

    table = pq.read_table(tmp_path / "clips.parquet")
    assert table.num_rows == 5
    # The leading columns in clips.csv's order, then the rest of the identity, the metrics, the clip fields.
    assert table.schema.names == [
        "path", "speaker", "quality", "worst_severity", "finding_codes", "similarity", "z", "cluster", "outlier",
        "likely_speaker", "other_similarity", "other_speaker", "reason", "identity_speaker",
        "duration_s", "sample_rate", "channels", "hum_hz", "list_fields", "odd", "plosive_count", "snr_db",
        "snr_method", "file", "lang", "text", "sha256", "selected", "rejected_reason", "notes",
        "findings", "_metrics_absent", "_identity_absent"]
    col = lambda name: table.column(name).to_pylist()  # noqa: E731
    assert col("path") == ["anna/t01.wav", "anna/broken.wav", "李雷/片段 1.wav", "ben/t02.wav", "ben/t03.wav"]
    assert col("worst_severity") == ["warning", "error", "error", None, "warning"]
    assert col("finding_codes") == [["low_snr"], ["unreadable"], ["speaker_mislabel", "plosive"], [],
                                    ["low_sample_rate"]]
    assert col("quality") == [90.0, 65.0, 63.0, 100.0, 90.0]
    assert col("snr_db") == [30.5, None, None, 41.0, 20.0]
    assert col("sample_rate") == [48000, None, 44100, 48000, 16000]
    assert table.schema.field("sample_rate").type == pa.int64()
    assert table.schema.field("plosive_count").type == pa.float64()  # 2 and 2.5 in one column
    assert col("similarity") == [0.91, None, 0.42, 0.95, None]
    assert col("outlier") == [False, None, True, False, None]
    assert col("likely_speaker") == [None, None, "anna", None, None]
    assert col("identity_speaker") == ["anna", None, "李雷", "ben", None]
    # A metric that is a number in one clip and text in another is stored as JSON text, and says so.
    odd = table.schema.field("odd")
    assert odd.metadata[b"voxaudit.json"] == b"1" and col("odd") == ["1.5", None, '"n/a"', None, None]
    assert table.schema.field("snr_db").metadata[b"voxaudit.group"] == b"metrics"
    assert table.schema.field("identity_speaker").metadata[b"voxaudit.key"] == b"speaker"
    # Findings: a list of structs, fields beyond the standard ones kept as JSON in "extra".
    findings = col("findings")
    assert [len(f) for f in findings] == [1, 1, 2, 0, 1]
    mislabel = findings[2][0]
    assert mislabel["code"] == "speaker_mislabel" and mislabel["value"] == 0.42 and mislabel["threshold"] is None
    assert json.loads(mislabel["extra"]) == {"speaker": "李雷", "likely_speaker": "anna", "likely_similarity": 0.88}
    # Which keys a clip's metrics / identity did not have (a null there is a key set to null).
    assert col("_metrics_absent") == [["list_fields"], ["duration_s", "sample_rate", "channels", "snr_db", "hum_hz",
                                                        "snr_method", "plosive_count", "odd", "list_fields"],
                                      [], ["hum_hz", "odd", "list_fields"], ["odd", "list_fields"]]
    assert col("_identity_absent") == [["likely_speaker", "other_speaker", "other_similarity"], None, [],
                                       ["likely_speaker", "other_speaker", "other_similarity"], None]
    assert table.schema.metadata[b"voxaudit.n_clips"] == b"5"


def test_round_trip_equals_the_inline_clips(tmp_path):
    report = _report(_clips())
    write_clip_records(tmp_path / "large", report, inline_clips_max=1)
    write_clip_records(tmp_path / "small", report)
    inline = json.loads((tmp_path / "small" / "report.json").read_text(encoding="utf-8"))
    assert load_clips(tmp_path / "large") == inline["clips"] == report["clips"]
    assert load_clips(tmp_path / "small" / "report.json") == inline["clips"]
    back = load_report(tmp_path / "large")
    assert back["summary"] == inline["summary"] and back["clips"] == inline["clips"]
    # Same key order as report.json writes them.
    assert list(back["clips"][2]) == ["path", "metrics", "findings", "quality", "identity", "notes", "speaker",
                                      "lang", "text", "file", "selected", "rejected_reason"]
    # clips.csv is the same whichever way report.json was written.
    assert (tmp_path / "large" / "clips.csv").read_bytes() == (tmp_path / "small" / "clips.csv").read_bytes()


def test_batches_with_different_types_unify(tmp_path):
    """Row groups of 2 clips: a column int in one batch and float in another becomes float; null-only in a
    batch takes the others' type; text in a later batch turns the whole column into JSON."""
    clips = [{"path": f"c{i}.wav", "metrics": {"a": a, "b": b, "c": c}, "findings": [], "quality": 50.0}
             for i, (a, b, c) in enumerate([(1, None, 1), (2, None, 2), (2.5, None, 3), (None, 7, 4), (3, 8, "x")])]
    assert write_clips_parquet(tmp_path / "t.parquet", clips, batch_rows=2) == 5
    table = pq.read_table(tmp_path / "t.parquet")
    assert pq.ParquetFile(tmp_path / "t.parquet").metadata.num_row_groups == 3
    assert table.schema.field("a").type == pa.float64() and table.column("a").to_pylist() == [1, 2, 2.5, None, 3]
    assert table.schema.field("b").type == pa.int64() and table.column("b").to_pylist() == [None, None, None, 7, 8]
    assert table.schema.field("c").metadata[b"voxaudit.json"] == b"1"
    assert clips_table.read_clips_parquet(tmp_path / "t.parquet") == clips


def test_empty_set_and_threshold_boundary(tmp_path):
    write_clip_records(tmp_path / "empty", _report([]), inline_clips_max=0)
    assert json.loads((tmp_path / "empty" / "report.json").read_text())["clips"] == []
    five = _report(_clips())
    write_clip_records(tmp_path / "at", five, inline_clips_max=5)  # at the threshold: inline
    assert "clips" in json.loads((tmp_path / "at" / "report.json").read_text())
    assert not (tmp_path / "at" / "clips.parquet").exists()
    assert write_clips_parquet(tmp_path / "none.parquet", []) == 0
    assert clips_table.read_clips_parquet(tmp_path / "none.parquet") == []


def test_default_threshold_is_the_module_constant(tmp_path, monkeypatch):
    monkeypatch.setattr(clips_table, "INLINE_CLIPS_MAX", 3)
    write_clip_records(tmp_path, _report(_clips()))
    assert "clips_table" in json.loads((tmp_path / "report.json").read_text())


# -- below the threshold, and the folder left behind by a larger scan -----------------------------------

def test_small_set_is_inline_and_removes_a_stale_table(tmp_path):
    report = _report(_clips())
    write_clip_records(tmp_path, report, inline_clips_max=2)
    assert (tmp_path / "clips.parquet").is_file()
    written = write_clip_records(tmp_path, report)  # the default threshold: 5 clips are inline
    assert [p.name for p in written] == ["report.json", "clips.csv"]
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8")) == report
    assert not (tmp_path / "clips.parquet").exists()


# -- failures leave nothing half-written ----------------------------------------------------------------

def test_failed_table_write_leaves_the_old_files(tmp_path, monkeypatch):
    report = _report(_clips())
    write_clip_records(tmp_path, report, inline_clips_max=2)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pq.ParquetWriter, "write_batch", broken)
    changed = _report(_clips()[:4])
    with pytest.raises(OSError, match="disk full"):
        write_clip_records(tmp_path, changed, inline_clips_max=2)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no temporary file left either


def test_without_pyarrow_the_clips_stay_inline_with_a_warning(tmp_path, monkeypatch):
    """A broken install (pyarrow missing) must not cost a long scan its results."""
    import builtins

    real_import = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name == "pyarrow" or name.startswith("pyarrow."):
            raise ImportError("No module named 'pyarrow'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    report = _report(_clips())
    with pytest.warns(RuntimeWarning, match=r"5 clips: report.json holds every clip inline.*pip install 'pyarrow"):
        written = write_clip_records(tmp_path, report, inline_clips_max=2)
    monkeypatch.undo()
    assert [p.name for p in written] == ["report.json", "clips.csv"]
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8")) == report


def test_load_report_refuses_what_it_cannot_trust(tmp_path):
    write_clip_records(tmp_path, _report(_clips()), inline_clips_max=1)
    report = json.loads((tmp_path / "report.json").read_text())
    for pointer, message in (({**report["clips_table"], "file": "../clips.parquet"}, "file name beside it"),
                             ({**report["clips_table"], "n_clips": 6}, "holds 5 clips; report.json says 6"),
                             ({**report["clips_table"], "file": "other.parquet"}, "cannot read clip table")):
        bad = tmp_path / "bad"
        bad.mkdir(exist_ok=True)
        shutil.copy(tmp_path / "clips.parquet", bad / "clips.parquet")
        (bad / "report.json").write_text(json.dumps({**report, "clips_table": pointer}))
        with pytest.raises(ParameterError, match=message):
            load_report(bad)
    pq.write_table(pa.table({"path": ["a"]}), bad / "clips.parquet")
    (bad / "report.json").write_text(json.dumps(report))
    with pytest.raises(ParameterError, match="not a voxaudit clip table"):
        load_report(bad)
    (bad / "report.json").write_text(json.dumps({"summary": {}}))
    with pytest.raises(ParameterError, match="neither clips nor a clips_table"):
        load_report(bad)
    with pytest.raises(ParameterError, match="cannot read report"):
        load_report(tmp_path / "nowhere")


# -- clips.csv: streamed, same columns and values as before ---------------------------------------------

def test_clips_csv_known_rows(tmp_path):
    report = _report(_clips()[:3])
    write_clips_csv(tmp_path / "clips.csv", report)
    raw = (tmp_path / "clips.csv").read_bytes()
    assert raw.startswith("\ufeff".encode("utf-8"))  # BOM: spreadsheet programs read Chinese names
    text = raw.decode("utf-8-sig")
    assert text == clips_csv_text(report)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0])[:13] == ["path", "speaker", "quality", "worst_severity", "finding_codes", "similarity", "z",
                                  "cluster", "outlier", "likely_speaker", "duration_s", "sample_rate", "channels"]
    assert list(rows[0])[13:] == ["hum_hz", "list_fields", "odd", "plosive_count", "snr_db", "snr_method"]
    assert rows[0]["finding_codes"] == "low_snr" and rows[0]["worst_severity"] == "warning"
    assert rows[0]["hum_hz"] == "" and rows[0]["snr_db"] == "30.5" and rows[0]["outlier"] == "False"
    assert rows[1]["duration_s"] == "" and rows[1]["similarity"] == "" and rows[1]["worst_severity"] == "error"
    assert rows[2]["path"] == "李雷/片段 1.wav" and rows[2]["finding_codes"] == "speaker_mislabel;plosive"
    assert rows[2]["likely_speaker"] == "anna" and rows[2]["list_fields"] == "4"


def test_clips_csv_is_written_row_by_row(tmp_path, monkeypatch):
    """Writing never builds the whole table as one string: every write to the file is at most a row."""
    import builtins

    report = _report(_clips() * 200)
    sizes: list[int] = []
    real_open = builtins.open

    class Spy:
        def __init__(self, fh):
            self.fh = fh

        def write(self, text):
            sizes.append(len(text))
            return self.fh.write(text)

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.fh.__exit__(*exc)

    def spying_open(file, mode="r", *args, **kwargs):
        fh = real_open(file, mode, *args, **kwargs)
        return Spy(fh) if "w" in mode and str(file).endswith(".tmp") else fh

    monkeypatch.setattr(builtins, "open", spying_open)
    write_clips_csv(tmp_path / "clips.csv", report)
    monkeypatch.undo()
    assert len(sizes) == 1 + len(report["clips"])
    assert max(sizes) < 1000
    assert (tmp_path / "clips.csv").read_text(encoding="utf-8-sig") == clips_csv_text(report)


# -- through write_outputs and the scan -----------------------------------------------------------------

def _result(n: int) -> ScanResult:
    clips = []
    for i in range(n):
        source = ClipSource(path=f"/nowhere/take_{i:02d}.wav", display_path=f"take_{i:02d}.wav",
                            speaker="anna" if i % 2 else "ben")
        findings = [Finding(code="low_snr", severity="warning", message="m", hint="h", metric="snr_db",
                            value=20.0 + i, threshold=25.0)] if i % 3 == 0 else []
        if i == 4:
            findings.append(Finding(code="speaker_mislabel", severity="error", message="m", hint="h",
                                    metric="similarity", value=0.4, extra={"likely_speaker": "ben"}))
        clips.append(ClipResult(source=source, metrics={"duration_s": 2.0 + i, "snr_db": 20.0 + i, "hum_hz": None},
                                findings=findings, quality=100.0 - 10 * len(findings), content_sha256=f"{i:064x}",
                                identity={"similarity": 0.9, "z": 0.1, "cluster": 0, "outlier": i == 4,
                                          "reason": ""} if i != 7 else None))
    return ScanResult(clips=clips, summary={"n_clips": n, "total_minutes": 1.0}, discovery=None)


def test_write_outputs_threshold(tmp_path):
    result = _result(12)
    options = ScanOptions(html=False)
    inline_report, _ = write_outputs(result, tmp_path / "inline", options, ["x"])
    large_report, written = write_outputs(result, tmp_path / "large", options, ["x"], inline_clips_max=10)
    assert {p.name for p in written} == {"report.json", "clips.parquet", "clips.csv"}
    assert len(large_report["clips"]) == 12  # the returned report keeps every clip for the caller
    assert load_clips(tmp_path / "large") == load_clips(tmp_path / "inline") == inline_report["clips"]
    assert load_clips(tmp_path / "large")[4]["findings"][0]["likely_speaker"] == "ben"


@pytest.mark.slow
def test_cli_scan_large_form_round_trip(tmp_path, monkeypatch):
    """A real scan of broken and good files written with the threshold lowered reads back equal to the
    same scan written inline."""
    from test_scan import _write_bad_inputs

    data = tmp_path / "data"
    _write_bad_inputs(data)
    runner = CliRunner()
    args = ["scan", str(data), "--no-identity", "--jobs", "1", "--lang", "en", "--no-html", "-q"]
    assert runner.invoke(app, args + ["--out", str(tmp_path / "inline")]).exit_code == 0
    # Reuse the measurement journal so the second scan reads the same measurements.
    (tmp_path / "large").mkdir()
    shutil.copy(tmp_path / "inline" / "measurements.sqlite", tmp_path / "large" / "measurements.sqlite")
    monkeypatch.setattr(clips_table, "INLINE_CLIPS_MAX", 3)
    result = runner.invoke(app, args + ["--out", str(tmp_path / "large")])
    assert result.exit_code == 0, result.output
    on_disk = json.loads((tmp_path / "large" / "report.json").read_text(encoding="utf-8"))
    assert "clips" not in on_disk and on_disk["clips_table"]["n_clips"] == 9
    inline = json.loads((tmp_path / "inline" / "report.json").read_text(encoding="utf-8"))["clips"]
    assert load_clips(tmp_path / "large") == inline
