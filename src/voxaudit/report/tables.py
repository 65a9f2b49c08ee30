"""report.json and clips.csv (clips.parquet for large sets: :mod:`voxaudit.report.clips_table`)."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..io import atomic_path, write_json_atomic

# The CSV's leading columns, in order; every other metric follows alphabetically.
CSV_LEAD = ["path", "speaker", "quality", "worst_severity", "finding_codes", "similarity", "z", "cluster",
            "outlier", "likely_speaker", "duration_s", "sample_rate", "channels"]
_SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


def write_report_json(path: str | Path, report: dict) -> None:
    """Write the canonical record atomically."""
    write_json_atomic(path, report)


def csv_columns(clips: Iterable[dict]) -> list[str]:
    """The CSV header: :data:`CSV_LEAD`, then every other metric of any clip by name."""
    metric_names: set[str] = set()
    for clip in clips:
        metric_names.update(clip.get("metrics") or {})
    return CSV_LEAD + sorted(metric_names - set(CSV_LEAD))


def csv_rows(clips: Iterable[dict], columns: list[str]) -> Iterator[list[Any]]:
    """One CSV row (values in ``columns`` order, blanks for missing or null) per clip, lazily."""
    for clip in clips:
        findings = clip.get("findings") or []
        row = dict(clip.get("metrics") or {})
        identity = clip.get("identity") or {}
        row.update({
            "path": clip["path"],
            "speaker": clip.get("speaker"),
            "likely_speaker": identity.get("likely_speaker"),
            "quality": clip.get("quality"),
            "worst_severity": max((f["severity"] for f in findings), key=_SEVERITY_RANK.__getitem__,
                                  default=""),
            "finding_codes": ";".join(f["code"] for f in findings),
            "similarity": identity.get("similarity"),
            "z": identity.get("z"),
            "cluster": identity.get("cluster"),
            "outlier": identity.get("outlier"),
        })
        yield ["" if (value := row.get(name)) is None else value for name in columns]


def _write_csv(fh, clips: list[dict]) -> None:
    columns = csv_columns(clips)
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow(columns)
    for row in csv_rows(clips, columns):
        writer.writerow(row)


def clips_csv_text(report: dict) -> str:
    """One row per clip: identity, quality, finding codes and every metric (units in column names)."""
    buffer = io.StringIO()
    _write_csv(buffer, report["clips"])
    return buffer.getvalue()


def write_clips_csv(path: str | Path, report: dict) -> None:
    """Write clips.csv atomically, row by row (UTF-8 with BOM so spreadsheet programs read Chinese
    names); nothing the size of the whole table is held in memory."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            _write_csv(fh, report["clips"])
            fh.flush()
            os.fsync(fh.fileno())
