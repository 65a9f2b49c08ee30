"""Reference choice, training subset and .list files: known answers on hand-made clip results."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from voxaudit.discover import parse_list_file
from voxaudit.errors import ParameterError
from voxaudit.model import ClipResult, ClipSource, Finding
from voxaudit.report.listfile import list_text, write_list
from voxaudit.select import choose_reference, clip_score, reference_score, select_subset


def clip(name, duration_s, quality=90.0, *, z=0.0, outlier=False, errors=(), warnings=(),
         unreadable=False, identity=True, source=None):
    findings = [Finding(code, "error", code, "fix it") for code in errors]
    findings += [Finding(code, "warning", code, "fix it") for code in warnings]
    if unreadable:
        findings.append(Finding("unreadable", "error", "cannot read", "re-export"))
    block = {"similarity": 0.9, "z": z, "cluster": 0, "outlier": outlier, "reason": "r"} if identity else None
    metrics = {} if unreadable else {"duration_s": duration_s}
    return ClipResult(source=source or ClipSource(path=f"/data/voice/{name}", display_path=name),
                      metrics=metrics, findings=findings, quality=quality, identity=block)


# -- reference -----------------------------------------------------------------------------------------

def test_reference_never_long_short_error_or_outlier():
    clips = [
        clip("long.wav", 12.0, 100.0, z=2.0),
        clip("short.wav", 2.5, 100.0, z=2.0),
        clip("error.wav", 6.0, 100.0, z=2.0, errors=["clipping"]),
        clip("outlier.wav", 6.0, 100.0, z=2.0, outlier=True),
        clip("broken.wav", 6.0, 100.0, unreadable=True),
        clip("good.wav", 6.0, 80.0, z=0.5),
        clip("ok.wav", 5.0, 75.0, z=0.0),
    ]
    reference, alternates = choose_reference(clips)
    assert reference == "good.wav"
    assert alternates == ["ok.wav"]


def test_reference_none_when_nothing_qualifies():
    assert choose_reference([clip("long.wav", 15.0), clip("short.wav", 1.0)]) == (None, [])
    assert choose_reference([]) == (None, [])


def test_reference_limits_are_inclusive_and_alternates_capped():
    # Scores: c0 90 - 2 (1 s under 4 s) = 88, c1 89.5 - 4 = 85.5, c2 89, c3 88.5, c4 88, c5 87.5.
    clips = [clip(f"c{i}.wav", d, 90.0 - 0.5 * i) for i, d in enumerate([3.0, 10.0, 5.0, 6.0, 7.0, 4.5])]
    reference, alternates = choose_reference(clips)
    assert reference == "c2.wav"
    assert alternates == ["c3.wav", "c0.wav", "c4.wav"]     # ties by path; at most 3
    assert choose_reference([clip("ten.wav", 10.0)]) == ("ten.wav", [])
    assert choose_reference([clip("over.wav", 10.01), clip("under.wav", 2.99)]) == (None, [])


def test_identity_breaks_quality_ties_and_weighs_like_a_warning():
    typical = clip("typical.wav", 6.0, 80.0, z=1.0)
    drifting = clip("drifting.wav", 6.0, 80.0, z=-2.0)
    assert choose_reference([drifting, typical])[0] == "typical.wav"
    assert clip_score(typical) - clip_score(drifting) == pytest.approx(30.0)
    # A clean but drifting take (z -2) loses to a typical one with one warning (-10).
    warned = clip("warned.wav", 6.0, 90.0, z=1.0, warnings=["reverb"])
    clean_drift = clip("clean_drift.wav", 6.0, 100.0, z=-2.0)
    assert choose_reference([clean_drift, warned])[0] == "warned.wav"


def test_reference_prefers_4_to_8_seconds():
    assert reference_score(clip("a.wav", 9.5, 90.0)) == pytest.approx(87.0)
    assert choose_reference([clip("a.wav", 9.5, 90.0), clip("b.wav", 6.0, 89.0)])[0] == "b.wav"


def test_reference_on_quality_alone_without_identity():
    clips = [clip("a.wav", 6.0, 70.0, identity=False), clip("b.wav", 6.0, 85.0, identity=False)]
    assert choose_reference(clips) == ("b.wav", ["a.wav"])


# -- subset --------------------------------------------------------------------------------------------

def test_subset_budget_and_reasons():
    clips = [clip(f"c{i:02d}.wav", 30.0, 100.0 - i) for i in range(8)]
    clips.insert(3, clip("broken.wav", 0.0, unreadable=True))
    clips.insert(5, clip("other_voice.wav", 30.0, 99.5, outlier=True, errors=["speaker_mismatch"]))
    clips.insert(6, clip("clipped.wav", 30.0, 99.5, errors=["clipping", "low_snr"]))
    clips.append(clip("both.wav", 30.0, 99.5, outlier=True, errors=["clipping"]))
    kept, rejected = select_subset(clips, minutes=2)
    assert [c.source.display_path for c in kept] == ["c00.wav", "c01.wav", "c02.wav", "c03.wav"]
    assert sum(c.metrics["duration_s"] for c in kept) <= 120.0
    reasons = {c.source.display_path: r for c, r in rejected}
    assert reasons == {
        "broken.wav": "unreadable",
        "other_voice.wav": "speaker_mismatch",
        "clipped.wav": "clipping, low_snr",
        "both.wav": "speaker_mismatch, clipping",
        "c04.wav": "over the 2-minute budget (rank 5)",
        "c05.wav": "over the 2-minute budget (rank 6)",
        "c06.wav": "over the 2-minute budget (rank 7)",
        "c07.wav": "over the 2-minute budget (rank 8)",
    }
    # Every clip is either kept or rejected, in input order.
    assert len(kept) + len(rejected) == len(clips)
    assert [c.source.display_path for c, _ in rejected] == [
        c.source.display_path for c in clips if c not in kept]


def test_subset_ranks_on_quality_and_identity():
    clips = [clip("drift.wav", 60.0, 95.0, z=-3.0), clip("warned.wav", 60.0, 85.0, z=1.0),
             clip("plain.wav", 60.0, 80.0, z=0.0)]
    kept, rejected = select_subset(clips, minutes=2.5)
    # drift: 95 - 30 = 65; warned: 85 + 10 = 95; plain: 80. Kept in input order.
    assert [c.source.display_path for c in kept] == ["warned.wav", "plain.wav"]
    assert rejected[0][1] == "over the 2.5-minute budget (rank 3)"


def test_subset_stops_at_the_first_clip_over_budget():
    """No back-filling: a short worse clip is not kept after a better one was left out."""
    clips = [clip("a.wav", 50.0, 90.0), clip("b.wav", 50.0, 80.0), clip("c.wav", 5.0, 70.0)]
    kept, rejected = select_subset(clips, minutes=1.0)
    assert [c.source.display_path for c in kept] == ["a.wav"]
    assert [r for _, r in rejected] == ["over the 1-minute budget (rank 2)",
                                        "over the 1-minute budget (rank 3)"]


def test_subset_without_identity_and_without_duration():
    clips = [clip("a.wav", 10.0, 60.0, identity=False), clip("b.wav", 10.0, 90.0, identity=False)]
    clips[0].metrics = {}
    kept, rejected = select_subset(clips, minutes=1)
    assert [c.source.display_path for c in kept] == ["b.wav"]
    assert rejected[0][1] == "no duration measured"


@pytest.mark.parametrize("minutes", [0, -1, float("nan"), float("inf"), "10", True])
def test_subset_bad_budget(minutes):
    with pytest.raises(ParameterError, match="minutes"):
        select_subset([clip("a.wav", 5.0)], minutes=minutes)


# -- .list files ---------------------------------------------------------------------------------------

def test_list_lines_verbatim_and_built(tmp_path):
    listed = ClipSource(path="/data/voice/a.wav", display_path="wavs/a.wav", speaker="xiaoming",
                        lang="zh", text="今天天气很好 | 真的", list_line="wavs/a.wav|xiaoming|zh|今天天气很好  ")
    plain = ClipSource(path="relative/folder_voice/b.wav", display_path="folder_voice/b.wav")
    pipe = ClipSource(path="/x/c.wav", display_path="c.wav", speaker="sp", lang="en", text="one|two\nthree")
    clips = [clip("a", 5.0, source=listed), clip("b", 5.0, source=plain), clip("c", 5.0, source=pipe)]
    out = tmp_path / "out" / "train.list"
    write_list(out, clips)
    lines = out.read_text(encoding="utf-8").split("\n")
    assert lines[0] == "wavs/a.wav|xiaoming|zh|今天天气很好  "       # verbatim, trailing spaces too
    # No language and no text: GPT-SoVITS would reject it, so it is a comment saying what is missing.
    assert lines[1] == f"# no text (run ASR or record from a script): {os.path.abspath('relative/folder_voice/b.wav')}|folder_voice||"
    assert lines[2] == "/x/c.wav|sp|en|one two three"
    assert lines[3] == "" and len(lines) == 4
    assert all(len(line.split("|")) == 4 for line in lines[:3] if not line.startswith("#"))
    assert os.listdir(out.parent) == ["train.list"]


def test_rejected_list_carries_reasons_and_stays_parseable(tmp_path):
    audio_dir = tmp_path / "voice"
    audio_dir.mkdir()
    sources = [ClipSource(path=str(audio_dir / f"{n}.wav"), display_path=f"{n}.wav", speaker="voice",
                          lang="en", text=f"text {n}", list_line=f"{n}.wav|voice|en|text {n}")
               for n in ("a", "b", "c")]
    clips = [clip(s.display_path, 5.0, source=s) for s in sources]
    # Keyed by id(clip) (as the pipeline does) or by display path.
    reasons = {id(clips[0]): "speaker_mismatch", "c.wav": "over the 10-minute budget\n(rank 57)"}
    path = audio_dir / "rejected.list"
    write_list(path, clips, reasons=reasons)
    text = path.read_text(encoding="utf-8")
    assert text == ("# rejected: speaker_mismatch\na.wav|voice|en|text a\n"
                    "b.wav|voice|en|text b\n"
                    "# rejected: over the 10-minute budget (rank 57)\nc.wav|voice|en|text c\n")
    # voxaudit reads it back: comments skipped, the same clips, verbatim lines.
    parsed, problems = parse_list_file(path)
    assert problems == []
    assert [c.list_line for c in parsed] == [s.list_line for s in sources]
    # GPT-SoVITS unpacks every non-comment line into exactly 4 fields.
    for line in text.splitlines():
        if not line.startswith("#"):
            wav_name, spk_name, language, transcript = line.split("|")


def test_unlistable_path_becomes_a_comment():
    bad = ClipSource(path="/x/a|b.wav", display_path="a|b.wav")
    text = list_text([clip("a|b.wav", 5.0, source=bad)])
    assert text == "# cannot be listed ('|' in the path): /x/a|b.wav\n"


def test_write_list_empty_and_bad_reasons(tmp_path):
    path = tmp_path / "empty.list"
    write_list(path, [])
    assert path.read_text(encoding="utf-8") == ""
    with pytest.raises(ParameterError, match="reasons"):
        write_list(tmp_path / "x.list", [], reasons=[("a", "b")])
    assert not Path(tmp_path / "x.list").exists()
