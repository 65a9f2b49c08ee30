"""report.html without a browser: structure, relative links, missing files, languages, no network
references, and pictures for flagged clips only. The browser test is test_html_browser.py."""

from __future__ import annotations

import json
import os
import re
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from voxaudit.errors import ParameterError
from voxaudit.report.html import render_html, write_html
from voxaudit.report.html_strings import CODE_LABELS, METRIC_LABELS, STRINGS, normalise_lang
from voxaudit.report.plots import (clip_picture_data, clipped_regions, embedding_points, log_spectrogram,
                                   similarity_figure, waveform_envelope)

from synth import voiced_speech

SR = 16000
FINDING_CODES = ("unreadable", "too_short", "too_long", "low_sample_rate", "too_quiet", "too_loud", "clipping",
                 "dc_offset", "too_much_silence", "long_pause", "low_snr", "narrow_bandwidth", "mains_hum", "reverb",
                 "plosive", "agc_pumping", "denoised", "speaker_mismatch")


def finding(code: str, severity: str, message: str = "", hint: str = "") -> dict:
    return {"code": code, "severity": severity, "message": message or f"{code} message",
            "hint": hint or f"{code} hint"}


def clip_entry(path: str, file: Path, *, findings=(), quality=100.0, similarity=0.93, cluster=0,
               outlier=False, identity=True, **metrics) -> dict:
    base = {"duration_s": 2.0, "sample_rate": SR, "channels": 1, "snr_db": 40.0, "bandwidth_hz": 7800.0,
            "hum_hz": None, "hum_db": None}
    base.update(metrics)
    entry = {"path": path, "file": str(file), "metrics": base, "findings": list(findings), "quality": quality}
    if identity:
        entry["identity"] = {"similarity": similarity, "z": 0.0, "cluster": cluster, "outlier": outlier,
                             "reason": "within the set's range"}
    return entry


def make_report(clips: list[dict], **summary) -> dict:
    by_code: dict[str, dict] = {}
    for clip in clips:
        for code in {f["code"] for f in clip["findings"]}:
            entry = by_code.setdefault(code, {"clips": 0, "minutes": 0.0, "hint": f"{code} hint"})
            entry["clips"] += 1
            entry["minutes"] += clip["metrics"].get("duration_s", 0.0) / 60
    base = {"n_clips": len(clips), "n_readable": len(clips), "total_minutes": 0.5, "usable_minutes": 0.4,
            "n_flagged": sum(1 for c in clips if any(f["severity"] in ("warning", "error") for f in c["findings"])),
            "by_severity": {}, "by_code": by_code, "lang": "en", "encoder": "ge2e",
            "n_voices": 1, "consistent": True, "dominant_cluster": 0, "identity_threshold": 0.8,
            "similarity_median": 0.93, "identity_too_small": None, "reference": clips[0]["path"],
            "reference_alternates": [c["path"] for c in clips[1:2]]}
    base.update(summary)
    return {"schema": 1, "tool": {"name": "voxaudit", "version": "0.1.0"}, "created": "2025-01-01T00:00:00+00:00",
            "inputs": ["audio"], "clips": clips, "summary": base}


def page_data(text: str) -> dict:
    match = re.search(r'<script type="application/json" id="vx-data">(.*?)</script>', text, re.S)
    assert match, "embedded data missing"
    return json.loads(match.group(1))


@pytest.fixture()
def audio_set(tmp_path: Path) -> dict:
    """Five clips on disk (one with a Chinese name and a space, one clipped), one missing; the report
    goes to tmp/out/ and the audio lives in tmp/audio/."""
    audio = tmp_path / "audio"
    (audio / "子目录").mkdir(parents=True)
    speech = voiced_speech(2.0, sample_rate=SR, seed=1)
    files = {
        "clean": audio / "clean.wav",
        "unicode": audio / "子目录" / "录音 01#.wav",
        "clipped": audio / "clipped.wav",
        "info": audio / "info_only.wav",
        "intruder": audio / "intruder.wav",
    }
    sf.write(files["clean"], speech, SR)
    sf.write(files["unicode"], voiced_speech(2.0, sample_rate=SR, seed=2), SR)
    sf.write(files["clipped"], np.clip(speech * 8.0, -0.5, 0.5), SR)
    sf.write(files["info"], speech, SR)
    sf.write(files["intruder"], voiced_speech(2.0, sample_rate=SR, seed=3, f0_hz=220.0), SR)
    missing = audio / "gone.wav"
    clips = [
        clip_entry("clean.wav", files["clean"]),
        clip_entry("子目录/录音 01#.wav", files["unicode"], findings=[finding("low_snr", "warning", "SNR 20 dB")],
                   quality=90.0, snr_db=20.0),
        clip_entry("clipped.wav", files["clipped"], findings=[finding("clipping", "error", "clipped 1%")],
                   quality=65.0, clipping_fraction=0.01),
        clip_entry("info_only.wav", files["info"], findings=[finding("plosive", "info")], quality=98.0),
        clip_entry("intruder.wav", files["intruder"], findings=[finding("speaker_mismatch", "error", "voice differs")],
                   quality=65.0, similarity=0.41, cluster=1, outlier=True),
        clip_entry("gone.wav", missing, findings=[finding("unreadable", "error", "file not found")], quality=0.0,
                   identity=False),
    ]
    clips[-1]["metrics"] = {}
    report = make_report(clips, n_voices=1, consistent=False)
    rng = np.random.default_rng(0)
    embeddings = np.vstack([rng.normal(size=(4, 32)) * 0.1 + 1.0, rng.normal(size=(1, 32)) * 0.1 - 1.0,
                            np.full((1, 32), np.nan)])
    out = tmp_path / "out"
    out.mkdir()
    return {"report": report, "files": files, "missing": missing, "out": out, "embeddings": embeddings}


def write(audio_set: dict, lang: str = "en", **kwargs) -> str:
    path = audio_set["out"] / "report.html"
    write_html(audio_set["report"], path, lang=lang, embeddings=audio_set["embeddings"], **kwargs)
    return path.read_text(encoding="utf-8")


# -- structure ------------------------------------------------------------------------------------------

def test_page_structure(audio_set):
    text = write(audio_set)
    assert text.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in text
    verdict = re.search(r'<h1 id="verdict"[^>]*>(.*?)</h1>', text).group(1)
    assert "One voice, 1 outlier take(s)" in verdict
    assert "4 of 6 clips flagged" in verdict  # low_snr, clipping, speaker_mismatch, unreadable; not info
    assert "0.4 of 0.5 min usable" in verdict
    assert "1 unreadable" in verdict
    data = page_data(text)
    assert len(data["clips"]) == 6
    assert [c["p"] for c in data["clips"]] == [c["path"] for c in audio_set["report"]["clips"]]
    assert data["figs"]["map"] is not None and data["figs"]["hist"] is not None
    # Table head: the sortable columns, identity ones included.
    for key in ("path", "q", "sim", "cl", "dur", "snr", "bw", "sev"):
        assert f'data-key="{key}"' in text
    for control in ("f-path", "f-code", "f-severity", "f-cluster", "f-outlier"):
        assert f'id="{control}"' in text
    # The findings that cost the most clips, with their hints.
    assert text.count('class="finding ') == 5  # every code in by_code, info included
    assert "clipping hint" in text


def test_top_findings_errors_first_then_by_clips_and_minutes(audio_set):
    report = audio_set["report"]
    report["summary"]["by_code"] = {
        "reverb": {"clips": 2, "minutes": 0.1, "hint": "h-reverb", "severity": "warning"},
        "low_snr": {"clips": 5, "minutes": 0.2, "hint": "h-snr", "severity": "warning"},
        "too_loud": {"clips": 2, "minutes": 0.9, "hint": "h-loud", "severity": "warning"},
        "plosive": {"clips": 9, "minutes": 0.9, "hint": "h-pop", "severity": "info"},
        "speaker_mismatch": {"clips": 1, "minutes": 0.1, "hint": "h-voice", "severity": "error"},
        "clipping": {"clips": 3, "minutes": 0.1, "hint": "h-clip"},  # severity from the clips: error
    }
    text = write(audio_set)
    order = [m.group(1) for m in re.finditer(r'class="linkish show-code" data-code="(\w+)"', text)]
    assert order == ["clipping", "speaker_mismatch", "low_snr", "too_loud", "reverb", "plosive"]


def test_atomic_write_leaves_no_temp_files(audio_set):
    path = audio_set["out"] / "report.html"
    path.write_text("old", encoding="utf-8")
    write(audio_set)
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in audio_set["out"].iterdir()) == ["report.html"]


# -- links ----------------------------------------------------------------------------------------------

def test_relative_links_resolve_to_the_clip_files(audio_set):
    text = write(audio_set)
    data = page_data(text)
    out = audio_set["out"]
    for clip, entry in zip(data["clips"], audio_set["report"]["clips"]):
        if not Path(entry["file"]).exists():
            continue
        href = clip["h"]
        assert href and not href.startswith(("/", "file:", "http")), href
        resolved = (out / urllib.parse.unquote(href)).resolve()
        assert resolved == Path(entry["file"]).resolve()
    unicode_href = data["clips"][1]["h"]
    assert unicode_href == "../audio/%E5%AD%90%E7%9B%AE%E5%BD%95/%E5%BD%95%E9%9F%B3%2001%23.wav"
    # The reference player in the page uses the same relative link.
    assert '<audio controls preload="metadata" src="../audio/clean.wav"' in text


def test_report_moved_with_its_audio_keeps_working(audio_set, tmp_path):
    text = write(audio_set)
    moved = tmp_path / "moved"
    moved.mkdir()
    os.rename(tmp_path / "audio", moved / "audio")
    os.rename(audio_set["out"], moved / "out")
    href = page_data(text)["clips"][1]["h"]
    assert (moved / "out" / urllib.parse.unquote(href)).is_file()


def test_unreachable_clip_is_noted_without_a_player(audio_set):
    audio_set["report"]["summary"]["reference"] = "gone.wav"
    text = write(audio_set)
    data = page_data(text)
    gone = data["clips"][5]
    assert gone["h"] is None and gone["hm"] == "missing_file"
    card = text.split('class="card reference"')[1].split('class="card top-findings"')[0]
    assert "gone.wav" in card and "audio file not found when the report was written" in card
    assert "<audio" not in card.split("Alternates")[0]  # no broken player for the missing reference
    # No picture for it either.
    assert data["picState"]["5"] == "unreadable"


def test_empty_file_is_noted(audio_set):
    audio_set["files"]["clean"].write_bytes(b"")
    data = page_data(write(audio_set))
    assert data["clips"][0]["h"] is None and data["clips"][0]["hm"] == "empty_file"


# -- languages ------------------------------------------------------------------------------------------

def test_chinese_page(audio_set):
    text = write(audio_set, lang="zh")
    assert '<html lang="zh-Hans">' in text
    verdict = re.search(r'<h1 id="verdict"[^>]*>(.*?)</h1>', text).group(1)
    assert "同一音色，但有 1 条离群音频" in verdict
    assert "共 6 条音频，4 条有问题" in verdict
    assert "参考音频" in text and "影响音频最多的问题" in text
    data = page_data(text)
    assert data["codes"]["clipping"] == "削波（爆音）"
    assert data["s"]["col_quality"] == "质量分"


def test_every_string_exists_in_both_languages():
    assert set(STRINGS["en"]) == set(STRINGS["zh"])
    assert set(METRIC_LABELS["en"]) == set(METRIC_LABELS["zh"])
    for lang in ("en", "zh"):
        assert set(FINDING_CODES) <= set(CODE_LABELS[lang])
    for key, value in STRINGS["zh"].items():
        if key not in ("html_lang", "col_index", "frequency_axis"):
            assert re.search(r"[\u4e00-\u9fff]", value), key


@pytest.mark.parametrize("tag,expected", [("en", "en"), ("zh", "zh"), ("zh-Hans", "zh"), ("zh_CN", "zh"),
                                          ("EN-gb", "en")])
def test_language_tags(tag, expected):
    assert normalise_lang(tag) == expected


def test_unknown_language_is_refused(audio_set):
    with pytest.raises(ParameterError, match="fr"):
        write(audio_set, lang="fr")


# -- self-contained -------------------------------------------------------------------------------------

def test_no_network_references(audio_set):
    text = write(audio_set)
    # No element loads anything from elsewhere.
    assert not re.search(r"<(script|link|img|iframe|source|audio|video|embed|object)\b[^>]*\b(src|href)\s*=\s*[\"']?"
                         r"(https?:)?//", text, re.I)
    assert not re.search(r"<script\b[^>]*\bsrc\s*=", text, re.I)
    assert not re.search(r"<link\b", text, re.I)
    css = re.search(r"<style>(.*?)</style>", text, re.S).group(1)
    assert "@import" not in css and "url(" not in css
    # plotly.js is inlined exactly once.
    assert text.count("* plotly.js v") == 1


def test_untrusted_text_is_escaped(audio_set):
    evil = '</script><img src=x onerror=alert(1)>.wav'
    audio_set["report"]["clips"][0]["path"] = evil
    audio_set["report"]["summary"]["reference"] = evil
    text = write(audio_set)
    assert "<img src=x" not in text
    assert page_data(text)["clips"][0]["p"] == evil


# -- pictures -------------------------------------------------------------------------------------------

def test_pictures_only_for_flagged_clips(audio_set):
    data = page_data(write(audio_set))
    # Flagged and readable: unicode (warning), clipped (error), intruder (error); not clean, not info-only.
    assert set(data["pics"]) == {"1", "2", "4"}
    assert data["gallery"] == [2, 4, 1]  # errors first (lowest quality first), then warnings
    pic = data["pics"]["2"]
    assert pic["clip"], "clipped stretches of the clipped clip"
    assert pic["nf"] * pic["nt"] > 0 and pic["sil"]


def test_picture_cap(audio_set):
    text = write(audio_set, max_clip_pictures=1)
    data = page_data(text)
    assert list(data["pics"]) == ["2"]
    assert data["picState"]["4"] == "capped" and data["picState"]["1"] == "capped"
    assert "4 clips are flagged; pictures are drawn for the 1 worst of them." in text


def test_without_identity_the_identity_ui_is_hidden(audio_set):
    for clip in audio_set["report"]["clips"]:
        clip.pop("identity", None)
    for key in ("n_voices", "consistent", "dominant_cluster", "identity_threshold", "similarity_median"):
        audio_set["report"]["summary"].pop(key)
    text = write(audio_set)
    assert 'class="no-identity"' in text
    assert 'id="voice-map"' not in text and 'data-key="sim"' not in text and 'id="f-cluster"' not in text
    verdict = re.search(r'<h1 id="verdict"[^>]*>(.*?)</h1>', text).group(1)
    assert "voice" not in verdict.lower()


def test_without_embeddings_there_is_no_map_but_a_histogram(audio_set):
    path = audio_set["out"] / "report.html"
    write_html(audio_set["report"], path)
    data = page_data(path.read_text(encoding="utf-8"))
    assert data["figs"]["map"] is None and data["figs"]["hist"] is not None


def test_embeddings_must_match_the_clips(audio_set):
    with pytest.raises(ParameterError, match="n_clips=6"):
        render_html(audio_set["report"], base_dir=audio_set["out"], embeddings=np.zeros((5, 8)))


# -- plot data, known answers ---------------------------------------------------------------------------

def test_clipped_regions_known_answer():
    sr = 8000
    t = np.arange(sr) / sr
    x = 0.9 * np.sin(2 * np.pi * 5 * t)
    assert clipped_regions(x, sample_rate=sr) == []
    # Clip the positive half-waves of 5 Hz at 0.6 (one side only): sin(2 pi 5 t) >= 2/3 from
    # t = asin(2/3) / (10 pi) = 0.0232 s to 0.1 - 0.0232 s in each 0.2 s period.
    regions = clipped_regions(np.minimum(x, 0.6), sample_rate=sr)
    assert len(regions) == 5
    for k, (a, b) in enumerate(regions):
        assert a == pytest.approx(0.2 * k + 0.0232, abs=0.001)
        assert b == pytest.approx(0.2 * k + 0.0768, abs=0.001)


def test_waveform_envelope_known_answer():
    x = np.concatenate([np.zeros(100), np.linspace(-1, 1, 100)]).astype(np.float32)
    env = waveform_envelope(x, 2)
    assert env.tolist() == [[0.0, 0.0], [-1.0, 1.0]]


def test_log_spectrogram_places_a_tone():
    sr = 16000
    t = np.arange(sr) / sr
    db, freqs, times = log_spectrogram(0.5 * np.sin(2 * np.pi * 1000 * t) + 0.3 * np.sin(2 * np.pi * 50 * t),
                                       sample_rate=sr)
    profile = db.mean(axis=1)
    loudest = freqs[np.argsort(profile)[-6:]]
    assert np.any(np.abs(np.log2(loudest / 1000)) < 0.1)
    assert np.any(np.abs(np.log2(loudest / 50)) < 0.15)
    assert freqs[0] <= 50 and times.size <= 180


def test_clip_picture_data_marks_the_pauses(tmp_path):
    x = voiced_speech(3.0, sample_rate=SR, seed=4, pause_every_s=1.2, pause_s=0.35)
    path = tmp_path / "a.wav"
    sf.write(path, x, SR)
    pic = clip_picture_data(str(path), metrics={"hum_hz": 50.0, "bandwidth_hz": 7000.0}, draw_hum=False)
    assert pic["dur"] == pytest.approx(3.0)
    assert pic["hum"] is None and pic["bw"] == 7000.0
    # The synthetic speech pauses at 1.2-1.55 s and 2.75-3.1 s (cut at 3.0).
    starts = [a for a, b in pic["sil"]]
    assert any(abs(a - 1.2) < 0.08 for a in starts)
    assert any(abs(a - 2.75) < 0.08 for a in starts)
    assert not pic["clip"]


def test_similarity_figure_counts_and_threshold():
    clips = [{"identity": {"similarity": s, "outlier": s < 0.8}} for s in (0.95, 0.93, 0.91, 0.5, 0.45)]
    clips.append({"identity": None})
    fig = similarity_figure(clips, {**STRINGS["en"]}, threshold=0.8, median=0.91)
    kept, out = fig["data"]
    assert sum(kept["y"]) == 3 and sum(out["y"]) == 2
    assert fig["layout"]["shapes"][0]["x0"] == 0.8


def test_embedding_points_skip_unembedded_clips_and_separate_voices():
    rng = np.random.default_rng(1)
    emb = np.vstack([rng.normal(size=(6, 16)) * 0.05 + 1.0, rng.normal(size=(3, 16)) * 0.05 - 1.0,
                     np.full((1, 16), np.nan)])
    points = embedding_points(emb, 10)
    assert points["index"] == list(range(9))
    x = np.asarray(points["x"])
    assert (np.sign(x[:6]) == np.sign(x[0])).all() and (np.sign(x[6:]) == -np.sign(x[0])).all()
    assert points["explained"][0] > 0.5  # two voices: the first component is the one that splits them
    assert embedding_points(emb[:2], 2) is None


def test_picture_data_from_samples_equals_from_file(tmp_path):
    """The in-memory entry point (for `voxaudit serve`) gives what the file one gives."""
    from voxaudit.report.plots import picture_data

    x = voiced_speech(2.0, sample_rate=SR, seed=6)
    path = tmp_path / "b.wav"
    sf.write(path, x, SR, subtype="FLOAT")
    metrics = {"hum_hz": 60.0, "bandwidth_hz": 7000.0}
    assert picture_data(x, sample_rate=SR, metrics=metrics) == clip_picture_data(str(path), metrics=metrics)


@pytest.mark.parametrize("samples,rate,match", [(np.zeros(0), SR, "non-empty"), (np.zeros((2, 10)), SR, "1-D"),
                                                (np.zeros(100), 0, "sample_rate")])
def test_picture_data_bad_input(samples, rate, match):
    from voxaudit.report.plots import picture_data

    with pytest.raises(ParameterError, match=match):
        picture_data(samples, sample_rate=rate)


def test_assets_for_reuse():
    from voxaudit.report.html import asset_text

    assert "function clipFigure" not in asset_text("report.js")  # one copy of the drawing code
    assert "root.VoxauditPlots = " in asset_text("plots.js")
    with pytest.raises(ParameterError, match="nope.js"):
        asset_text("nope.js")


def test_two_voices_get_a_voices_card_with_a_player_each(audio_set):
    """A set of two voices says so in words, with a typical clip of each voice to listen to."""
    report = audio_set["report"]
    report["summary"].update(
        n_voices=2, consistent=False, voices_about_equal=False,
        voices=[{"voice": "A", "n_clips": 4, "minutes": 0.13, "dominant": True, "typical_clip": "clean.wav"},
                {"voice": "B", "n_clips": 1, "minutes": 0.03, "dominant": False, "typical_clip": "intruder.wav"}])
    text = write(audio_set)
    card = re.search(r'<div class="card voices" id="voices">(.*?)</div>\n', text, re.S).group(1)
    assert ("2 voices: 4 clips (0.1 min) of voice A — the reference — and 1 clips (0.0 min) of voice B; "
            "listen to both and keep one") in card
    players = re.findall(r'<li class="voice" data-voice="([AB])">.*?<audio controls[^>]*src="([^"]+)"', card, re.S)
    assert [(v, urllib.parse.unquote(src).rsplit("/", 1)[-1]) for v, src in players] == [
        ("A", "clean.wav"), ("B", "intruder.wav")]
    zh = write(audio_set, lang="zh")
    assert "2 种音色：音色 A 4 条（0.1 分钟）（参考音色），音色 B 1 条（0.0 分钟）；请两种都试听后只保留一种" in zh
    # One voice: no voices card.
    report["summary"].update(n_voices=1, voices=[report["summary"]["voices"][0]])
    assert 'id="voices"' not in write(audio_set)
