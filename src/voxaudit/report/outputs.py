"""Write every output of a scan into its folder, each file atomically."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..io import atomic_path
from .tables import write_clips_csv, write_report_json


def write_outputs(result, out_dir: str | Path, options, inputs) -> tuple[dict, list[Path]]:
    """Write report.json, clips.csv and, as asked, profile.json, keep/rejected lists, embeddings.npz
    and report.html. Returns the report dict and the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = result.report_dict(inputs)
    # Absolute file locations let the HTML report link each clip relative to itself.
    for entry, clip in zip(report["clips"], result.clips):
        entry["file"] = os.path.abspath(clip.source.path)
    # Selection first, so report.json and report.html say which clips were kept.
    selection = None
    if options.select_minutes is not None:
        from ..select import select_subset

        kept, rejected = select_subset(result.clips, minutes=options.select_minutes)
        selection = (kept, rejected)
        kept_ids = {id(c) for c in kept}
        reasons = {id(c): reason for c, reason in rejected}
        for entry, clip in zip(report["clips"], result.clips):
            entry["selected"] = id(clip) in kept_ids
            if id(clip) in reasons:
                entry["rejected_reason"] = reasons[id(clip)]
        report["summary"]["selected_minutes"] = round(
            sum(c.metrics.get("duration_s", 0.0) for c in kept) / 60.0, 3)
        report["summary"]["selected_clips"] = len(kept)

    written: list[Path] = []

    write_report_json(out / "report.json", report)
    written.append(out / "report.json")
    write_clips_csv(out / "clips.csv", report)
    written.append(out / "clips.csv")

    analysis = result.analysis
    if analysis is not None and not getattr(analysis, "too_small", True):
        from ..profile import Profile

        profile = Profile.from_analysis(analysis, encoder=report["summary"]["encoder"],
                                        weights_sha256=report["summary"]["encoder_weights_sha256"])
        profile.to_json(out / "profile.json")
        written.append(out / "profile.json")

    if selection is not None:
        from .listfile import write_list

        kept, rejected = selection
        write_list(out / "keep.list", kept)
        write_list(out / "rejected.list", [clip for clip, _ in rejected],
                   reasons={id(clip): reason for clip, reason in rejected})
        written += [out / "keep.list", out / "rejected.list"]

    if options.save_embeddings and result.embeddings is not None:
        with atomic_path(out / "embeddings.npz", suffix=".npz") as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, paths=np.array([c.source.display_path for c in result.clips]),
                         embeddings=result.embeddings.astype(np.float32))
        written.append(out / "embeddings.npz")

    if options.html:
        from .html import write_html

        write_html(report, out / "report.html", lang=options.lang, embeddings=result.embeddings)
        written.append(out / "report.html")
    return report, written
