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

        # The best M minutes of each speaker, grouped by speaker (one group without speaker labels).
        kept, rejected = [], []
        for group in _speaker_groups(result):
            k, r = select_subset(group, minutes=options.select_minutes)
            kept += k
            rejected += r
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

    profile = _profile(result.analysis, report["summary"])
    if profile is not None:
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


def _speaker_groups(result) -> list[list]:
    """The clips per speaker label (labels sorted by name), or all clips as one group."""
    labels = getattr(result, "speaker_labels", None)
    if labels is None:
        return [list(result.clips)]
    groups: dict[str, list] = {}
    for clip, label in zip(result.clips, labels):
        groups.setdefault(label, []).append(clip)
    return [groups[name] for name in sorted(groups)]


def _profile(analysis, summary: dict):
    """The voice profile of a judged set: one voice, or one voice per judged speaker; None when there
    is nothing judged to save."""
    from ..profile import Profile, SpeakerProfiles

    if analysis is None or "encoder" not in summary:
        return None
    encoder, sha = summary["encoder"], summary.get("encoder_weights_sha256")
    speakers = getattr(analysis, "speakers", None)
    if speakers is None:
        if getattr(analysis, "too_small", True):
            return None
        return Profile.from_analysis(analysis, encoder=encoder, weights_sha256=sha)
    voices = {spk.name: Profile.from_analysis(spk.analysis, encoder=encoder, weights_sha256=sha)
              for spk in speakers if not spk.analysis.too_small}
    return SpeakerProfiles(voices=voices) if voices else None
