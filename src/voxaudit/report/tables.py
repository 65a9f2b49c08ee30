"""report.json and clips.csv."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..io import write_json_atomic, write_text_atomic

# The CSV's leading columns, in order; every other metric follows alphabetically.
CSV_LEAD = ["path", "speaker", "quality", "worst_severity", "finding_codes", "similarity", "z", "cluster",
            "outlier", "likely_speaker", "duration_s", "sample_rate", "channels"]


def write_report_json(path: str | Path, report: dict) -> None:
    """Write the canonical record atomically."""
    write_json_atomic(path, report)


def clips_csv_text(report: dict) -> str:
    """One row per clip: identity, quality, finding codes and every metric (units in column names)."""
    metric_names: set[str] = set()
    for clip in report["clips"]:
        metric_names.update(clip.get("metrics", {}))
    columns = CSV_LEAD + sorted(metric_names - set(CSV_LEAD))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    severity_rank = {"info": 0, "warning": 1, "error": 2}
    for clip in report["clips"]:
        findings = clip.get("findings", [])
        row = dict(clip.get("metrics", {}))
        identity = clip.get("identity") or {}
        row.update({
            "path": clip["path"],
            "speaker": clip.get("speaker"),
            "likely_speaker": identity.get("likely_speaker"),
            "quality": clip.get("quality"),
            "worst_severity": max((f["severity"] for f in findings), key=severity_rank.__getitem__,
                                  default=""),
            "finding_codes": ";".join(f["code"] for f in findings),
            "similarity": identity.get("similarity"),
            "z": identity.get("z"),
            "cluster": identity.get("cluster"),
            "outlier": identity.get("outlier"),
        })
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return buffer.getvalue()


def write_clips_csv(path: str | Path, report: dict) -> None:
    """Write clips.csv atomically (UTF-8 with BOM so spreadsheet programs read Chinese names)."""
    write_text_atomic(path, clips_csv_text(report), encoding="utf-8-sig")
