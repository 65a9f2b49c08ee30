"""report.html of a large set, without a browser: which clips are embedded in full, the compact index of
every clip (known answers, links, budget), the aggregated tables, the voice map's sample, and a small set's
page left as it was. The browser tests (200,000 clips) are in test_html_browser.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from voxaudit.report import html_scale
from voxaudit.report.html import render_html
from voxaudit.report.html_scale import (clip_columns, decode_index, detail_rows, encode_index, index_data,
                                        js_path_quote, map_rows)

from test_html import clip_entry, finding, make_report, page_data


def _large_set(tmp_path: Path, n: int = 40) -> dict:
    """``n`` clips of two speakers; clip 5 an error, 7 and 9 warnings, 11 an info, 13 an outlier; every
    third clip's audio exists (the others are missing)."""
    audio = tmp_path / "audio"
    (audio / "s").mkdir(parents=True)
    clips = []
    for i in range(n):
        file = audio / "s" / f"t{i:02d}.wav"
        if i % 3 == 0:
            file.write_bytes(b"RIFF")  # a file that exists (a player link); never decoded (not flagged)
        findings = []
        if i == 5:
            findings = [finding("clipping", "error"), finding("low_snr", "warning")]
        elif i in (7, 9):
            findings = [finding("low_snr", "warning")]
        elif i == 11:
            findings = [finding("plosive", "info")]
        elif i == 13:
            findings = [finding("speaker_mismatch", "error")]
        entry = clip_entry(f"s/t{i:02d}.wav", file, findings=findings, quality=100.0 - i, cluster=0 if i != 13 else 4,
                           outlier=i == 13, similarity=0.9 if i != 13 else 0.3, duration_s=2.0 + (i % 4))
        entry["speaker"] = "anna" if i % 2 else "ben"
        clips.append(entry)
    return make_report(clips, reference=clips[20]["path"], reference_alternates=[clips[21]["path"]])


def test_detail_rows_are_the_worst_then_the_linked():
    clips = [{"path": str(i), "quality": q, "findings": [finding(code, sev)] if sev else []}
             for i, (q, code, sev) in enumerate([(90, "plosive", "info"), (50, "clipping", "error"), (100, "", ""),
                                                 (65, "clipping", "error"), (80, "low_snr", "warning"),
                                                 (None, "", ""), (70, "low_snr", "warning")])]
    cols = clip_columns(clips)
    assert cols.worst.tolist() == [0, 2, -1, 2, 1, -1, 1]
    # Errors by quality, then warnings by quality, infos, then the clean ones (unknown quality last).
    assert html_scale.worst_first(cols).tolist() == [1, 3, 6, 4, 0, 2, 5]
    assert detail_rows(cols, cap=3) == [1, 3, 6]
    assert detail_rows(cols, cap=3, keep=[5, 0]) == [1, 3, 6, 0, 5]
    assert detail_rows(cols, cap=0) == []


def test_index_known_answers():
    clips = [
        {"path": "a/one.wav", "quality": 95.5, "metrics": {"duration_s": 3.217, "snr_db": 41.26, "bandwidth_hz": 7850.0},
         "findings": [], "identity": {"similarity": 0.91234, "cluster": 0, "outlier": False}, "speaker": "anna"},
        {"path": "a/two!.wav", "quality": 30.0, "metrics": {"duration_s": 1.0, "snr_db": None},
         "findings": [finding("clipping", "error"), finding("plosive", "info")],
         "identity": {"similarity": 0.41, "cluster": 3, "outlier": True}, "speaker": "ben"},
        {"path": "b/三.wav", "quality": None, "metrics": {}, "findings": [finding("unreadable", "error")]},
        {"path": "b/four.wav", "quality": 88.0, "metrics": {"duration_s": 2.0}, "findings": [finding("plosive", "warning")]},
    ]
    hrefs = ["../audio/a/one.wav", "../audio/a/two%21.wav", None, "file:///elsewhere/four.wav"]
    data = index_data(clips, clip_columns(clips), hrefs, missing_kind=[0, 0, 1, 0])
    assert data["n"] == 4 and data["p"] == ["a/one.wav", "a/two!.wav", "b/三.wav", "b/four.wav"]
    assert data["q"] == [955, 300, None, 880]
    assert data["d"] == [322, 100, None, 200]
    assert data["snr"] == [413, None, None, None] and data["bw"] == [7850, None, None, None]
    assert data["sim"] == [9123, 4100, None, None] and data["cl"] == [0, 3, None, None] and data["o"] == [1]
    assert data["codes"] == ["clipping", "plosive", "unreadable"]
    assert data["f"] == [[], [0 * 4 + 2, 1 * 4 + 0], [2 * 4 + 2], [1 * 4 + 1]]
    assert data["spk"] == [0, 1, -1, -1] and data["spkNames"] == ["anna", "ben"]
    # Links: "../audio/" + the quoted path by default; "!" is kept as encodeURIComponent keeps it, so
    # "two%21.wav" is listed; the empty file and the link elsewhere are listed too.
    assert js_path_quote("a/two!.wav") == "a/two!.wav" and js_path_quote("b/三 x.wav") == "b/%E4%B8%89%20x.wav"
    assert data["hb"] == "../audio/" and data["hd"] == 1
    assert data["hx"] == {"1": "../audio/a/two%21.wav", "2": 1, "3": "file:///elsewhere/four.wav"}
    assert decode_index(encode_index(data)) == data


def test_index_without_audio_lists_nothing():
    clips = [{"path": f"t{i}.wav", "quality": 90.0, "findings": []} for i in range(5)]
    data = index_data(clips, clip_columns(clips), [None] * 5)
    assert data["hb"] is None and data["hd"] == 0 and data["hx"] == {}
    assert "sim" not in data and "spk" not in data


def test_map_rows_keep_every_outlier_and_mislabel():
    clips = [{"path": str(i), "findings": [], "identity": {"outlier": i % 50 == 0, "cluster": 0,
                                                          **({"likely_speaker": "x"} if i == 7 else {})}}
             for i in range(1000)]
    rows = map_rows(clip_columns(clips), clips, max_points=100, keep=[3])
    assert rows.size == 100 and list(rows) == sorted(set(rows.tolist()))
    assert {0, 50, 950, 7, 3} <= set(rows.tolist()) and set(range(0, 1000, 50)) <= set(rows.tolist())
    assert map_rows(clip_columns(clips), clips, max_points=5000).size == 1000


def test_small_set_page_is_unchanged(tmp_path):
    report = _large_set(tmp_path, n=40)
    text = render_html(report, base_dir=tmp_path / "out")
    data = page_data(text)
    assert "large" not in data and len(data["clips"]) == 40 and "ix" not in data["clips"][0]
    assert 'id="vx-index"' not in text and 'id="at-scale"' not in text and 'id="large-note"' not in text
    assert "scale" not in data["figs"]


def test_large_page_structure(tmp_path, monkeypatch):
    monkeypatch.setattr(html_scale, "HTML_DETAIL_ROWS", 4)
    report = _large_set(tmp_path, n=40)
    text = render_html(report, base_dir=tmp_path / "out", all_rows_max=30)
    data = page_data(text)
    large = data["large"]
    # 40 clips over the threshold of 30: the 4 worst in full (errors, then warnings, each by quality), and
    # the reference and its alternate, which the page links to.
    assert large["n"] == 40 and large["index"] == "ok" and large["k"] == 6
    assert [c["ix"] for c in data["clips"]] == [13, 5, 9, 7, 21, 20]
    assert data["clips"][1]["f"][0][:2] == ["clipping", "error"] and "duration_s" in data["clips"][1]["m"]
    index = decode_index(re.search(r'id="vx-index">([^<]*)</script>', text).group(1))
    assert index["p"] == [c["path"] for c in report["clips"]]
    # Every third clip's file exists (14 of 40): no shared default, those 14 links listed, the rest "not found".
    assert index["hb"] == "../audio/" and index["hd"] == 0
    assert index["hx"] == {str(i): "../audio/" + js_path_quote(report["clips"][i]["path"]) for i in range(0, 40, 3)}
    # The aggregated section: one row per finding code with its clips, one per speaker.
    section = re.search(r'<section class="at-scale" id="at-scale">(.*?)</section>', text, re.S).group(1)
    rows = re.findall(r'<tr data-code="([^"]+)"><td>.*?</td><td class="num">(\d+)</td><td class="num">([\d.]+)</td>',
                      section)
    seconds = {i: 2.0 + i % 4 for i in range(40)}
    assert rows == [("clipping", "1", f"{seconds[5] / 60:.1f}"), ("speaker_mismatch", "1", f"{seconds[13] / 60:.1f}"),
                    ("low_snr", "3", f"{(seconds[5] + seconds[7] + seconds[9]) / 60:.1f}"),
                    ("plosive", "1", f"{seconds[11] / 60:.1f}")]
    speakers = re.findall(r'<tr data-speaker="([^"]+)"><td>[^<]*</td><td class="num">(\d+)</td>', section)
    assert speakers == [("anna", "20"), ("ben", "20")]
    assert set(data["figs"]["scale"]) == {"hist-quality", "hist-snr", "hist-duration"}
    quality = data["figs"]["scale"]["hist-quality"]
    assert sum(sum(trace["y"]) for trace in quality["data"]) == 40
    assert [sum(t["y"]) for t in quality["data"]] == [36, 2, 2]  # worst: none or info / warning (7, 9) / error (5, 13)
    # The speaker filter appears (two speakers) even without a speaker table in the summary.
    assert 'id="f-speaker"' in text and 'id="large-note"' in text


def test_large_page_index_over_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(html_scale, "HTML_INDEX_MAX_BYTES", 10)
    text = render_html(_large_set(tmp_path, n=40), base_dir=tmp_path / "out", all_rows_max=30)
    assert page_data(text)["large"]["index"] == "budget" and 'id="vx-index"' not in text


@pytest.mark.parametrize("lang,words", [("en", ("The whole set", "Findings across the set", "Per speaker")),
                                        ("zh", ("全部音频概览", "全部音频的问题统计", "按说话人统计"))])
def test_large_page_languages(tmp_path, lang, words):
    text = render_html(_large_set(tmp_path, n=40), base_dir=tmp_path / "out", lang=lang, all_rows_max=30)
    for word in words:
        assert word in text
    strings = page_data(text)["s"]
    for key in ("index_loading", "index_ready", "index_budget", "index_unsupported", "light_details"):
        assert "{n}" in strings[key] or "{row}" in strings[key]
