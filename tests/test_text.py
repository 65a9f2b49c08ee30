"""Text checks, syllables, coverage and recording scripts: known answers, no audio needed."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from voxaudit.cli import app
from voxaudit.config import load_config
from voxaudit.discover import parse_list_file
from voxaudit.errors import ParameterError
from voxaudit.model import ClipResult, ClipSource
from voxaudit.signal.findings import judge_metrics
from voxaudit.text import judge_set_text
from voxaudit.text.coverage import EN_PHONEMES, ZH_FINALS, ZH_INITIALS, describe_missing, measure_coverage
from voxaudit.text.lang import foreign_share, guess_lang, normalise_lang
from voxaudit.text.measure import measure_text, speech_pauses
from voxaudit.text.rate import rate_outliers
from voxaudit.text.script import builtin_corpus, choose_script, script_list_text
from voxaudit.text.syllables import analyse_text, count_syllables, en_number_words


# -- language codes and scripts ------------------------------------------------------------------------

@pytest.mark.parametrize("code, lang", [("ZH", "zh"), ("zh", "zh"), ("JP", "ja"), ("ja", "ja"), ("EN", "en"),
                                        ("En", "en"), ("KO", "ko"), ("Yue", "yue"), ("YUE", "yue")])
def test_codes_gpt_sovits_accepts(code, lang):
    assert normalise_lang(code) == lang


@pytest.mark.parametrize("code", ["FR", "Zh", "Ja", "eN", "cmn", " ZH", "", "zh-CN", "auto"])
def test_codes_gpt_sovits_drops(code):
    assert normalise_lang(code) is None


def test_lenient_reading_groups_near_codes():
    assert guess_lang("Zh") == "zh" and guess_lang("zh-CN") == "zh" and guess_lang("FR") is None


@pytest.mark.parametrize("text, lang, share", [
    ("今天天气很好", "zh", 0.0), ("今天天气很好", "en", 1.0), ("It is sunny today", "zh", 1.0),
    ("It is sunny today", "en", 0.0), ("想听歌曲Let It Go", "zh", 3 / 7), ("今日はいい天気ですね", "zh", 0.6),
    ("今日はいい天気ですね", "ja", 0.0), ("안녕하세요", "en", 1.0), ("2024", "zh", None),
])
def test_foreign_share(text, lang, share):
    got = foreign_share(text, lang)
    assert got == share if share is None else got == pytest.approx(share)


# -- syllables ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, lang, n", [
    ("今天天气很好", "zh", 6), ("我有3个苹果", "zh", 6), ("2024年3月5日", "zh", 9), ("一共365天", "zh", 8),
    ("百分之五十就是50%", "zh", 12), ("电话10086", "zh", 8), ("电话13800138000", "zh", 13), ("3.14", "zh", 4), ("会议八点半，8:30开始", "zh", 11),
    ("Printing", "en", 2), ("The cat sat.", "en", 3), ("It costs $12.", "en", 5), ("In 1984", "en", 6),
    ("USA", "en", 3), ("W", "en", 3), ("don't", "en", 1), ("zorbly", "en", 2), ("twenty-one", "en", 3),
    ("ありがとう", "ja", 5), ("きょう", "ja", 2), ("안녕하세요", "ko", 5), ("我用iPhone拍的", "zh", 6),
])
def test_syllable_counts(text, lang, n):
    assert count_syllables(text, lang) == n


def test_english_number_readings():
    assert en_number_words("1455") == ["fourteen", "fifty", "five"]
    assert en_number_words("2005") == ["two", "thousand", "five"]
    assert en_number_words("$3.50") == ["three", "point", "five", "zero", "dollars"]
    assert en_number_words("8:30") == ["eight", "thirty"]


def test_pause_marks_are_syllable_positions():
    assert analyse_text("你好，世界。", "zh").marks == [2]          # the final stop is not inside the text
    assert analyse_text("one, two; three", "en").marks == [1, 2]
    assert analyse_text("，开头的逗号不算", "zh").marks == []


# -- per-clip measures ------------------------------------------------------------------------------------

def test_measure_text_rate_and_unmarked_pause():
    speech_s, pauses = speech_pauses([(0.2, 1.7), (2.7, 4.2)])  # 3 s of speech, one 1 s pause in the middle
    assert speech_s == pytest.approx(3.0) and pauses == [(pytest.approx(1.5), pytest.approx(1.0))]
    plain = measure_text("我们今天去公园散步吧", "ZH", list_fields=4, speech_s=speech_s, pauses=pauses)
    assert plain["text_syllables"] == 10 and plain["speaking_rate_syl_s"] == pytest.approx(10 / 3)
    assert plain["unmarked_pause_s"] == pytest.approx(1.0) and plain["lang_supported"] == 1
    marked = measure_text("我们今天去，公园散步吧", "ZH", speech_s=speech_s, pauses=pauses)
    assert marked["unmarked_pause_s"] == 0.0
    # A comma far from the pause (syllable 1 of 10, the pause sits at 5) does not mark it.
    elsewhere = measure_text("我，们今天去公园散步吧", "ZH", speech_s=speech_s, pauses=pauses)
    assert elsewhere["unmarked_pause_s"] == pytest.approx(1.0)


def test_measure_text_line_checks():
    assert measure_text("", "ZH", list_fields=4) == {"list_fields": 4, "lang_supported": 1, "text_chars": 0}
    assert measure_text("。。。", "ZH", list_fields=4)["text_chars"] == 0
    assert measure_text("好", "FR", list_fields=5) ["lang_supported"] == 0
    assert "list_fields" not in measure_text("好", "ZH")  # not from a list: no line checks


@pytest.mark.parametrize("metrics, codes", [
    ({"list_fields": 5, "lang_supported": 1, "text_chars": 8, "text_foreign_share": 0.0}, {"list_format"}),
    ({"list_fields": 3, "lang_supported": 1, "text_chars": 0}, {"list_format", "text_missing"}),
    ({"list_fields": 4, "lang_supported": 0, "text_chars": 8, "text_foreign_share": 0.0}, {"unsupported_language"}),
    ({"list_fields": 4, "lang_supported": 1, "text_chars": 8, "text_foreign_share": 1.0}, {"text_language_mismatch"}),
    ({"list_fields": 4, "lang_supported": 1, "text_chars": 8, "text_foreign_share": 0.43}, set()),
    ({"list_fields": 4, "lang_supported": 1, "text_chars": 8, "unmarked_pause_s": 0.9}, {"unmarked_pause"}),
    ({"list_fields": 4, "lang_supported": 1, "text_chars": 8, "unmarked_pause_s": 0.41}, set()),
])
def test_severity_from_the_thresholds_table(metrics, codes):
    found = judge_metrics(metrics, load_config(), lang="zh",
                          context={"line_no": 7, "list_name": "a.list", "lang_code": "FR", "foreign_scripts": "x"})
    assert {f.code for f in found} == codes
    severity = {"list_format": "error", "text_missing": "error", "unsupported_language": "error",
                "text_language_mismatch": "warning", "unmarked_pause": "warning"}
    assert all(f.severity == severity[f.code] and "nan" not in f.message for f in found)


def test_list_parsing_keeps_the_real_field_count(tmp_path):
    listing = tmp_path / "t.list"
    listing.write_text("a.wav|s|ZH|今天|天气\n# comment\n\nb.wav|s|EN\n", encoding="utf-8")
    clips, problems = parse_list_file(listing)
    assert problems == [] and [c.list_line_no for c in clips] == [1, 4]
    assert clips[0].text == "今天|天气" and clips[0].list_line.count("|") + 1 == 5
    assert clips[1].text is None and clips[1].list_path == str(listing)


# -- speaking rate against the set -------------------------------------------------------------------------

def test_rate_outliers_known_answer():
    rates = list(np.exp(np.log(4.0) + 0.1 * np.linspace(-1.5, 1.5, 40)))  # an even spread of +-16 %
    distances, stats = rate_outliers(rates + [8.0, 2.0, None])
    assert stats["n"] == 42 and 3.8 < stats["median_syl_s"] < 4.2
    assert distances[-3] > 1.5 and distances[-2] > 1.5 and distances[-1] is None
    assert sum(d > 1.5 for d in distances[:40]) == 0
    assert rate_outliers([4.0] * 7) == ([None] * 7, None)  # too few to judge


def _clip(rate, speaker="a", lang="ZH", foreign=0.0):
    source = ClipSource(path=f"/x/{rate}.wav", display_path=f"{rate}.wav", speaker=speaker, lang=lang,
                        text="好", list_line="x")
    return ClipResult(source=source, metrics={"speaking_rate_syl_s": rate, "text_foreign_share": foreign,
                                              "text_chars": 1, "text_syllables": 10})


def test_set_level_rate_per_speaker_and_language():
    normal = [3.6, 3.7, 3.8, 3.5, 3.9, 3.7, 3.6, 3.8, 3.7]
    clips = [_clip(r) for r in normal] + [_clip(7.4), _clip(7.3, foreign=0.4)]   # the mixed line: not judged
    clips += [_clip(r, speaker="b") for r in (2.9, 3.0, 3.1, 3.0, 2.8, 3.2, 3.0, 2.9)]  # a slower speaker
    summary = judge_set_text(clips, load_config(), ui_lang="en")
    flagged = [c.metrics["speaking_rate_syl_s"] for c in clips if any(f.code == "speaking_rate" for f in c.findings)]
    assert flagged == [7.4]
    message = next(f.message for c in clips for f in c.findings)
    assert "7.4 syllables/s" in message and "3.6-3.8" in message
    assert summary["text"]["speaking_rate"]["zh"]["by_speaker"]["b"]["median_syl_s"] == pytest.approx(3.0)


# -- coverage ---------------------------------------------------------------------------------------------

def test_zh_coverage_counts_and_words():
    cov = measure_coverage(["你好吗？", "绿色的鱼在水里游。", "2024年5月1日"], "zh")
    d = cov.to_dict("en")
    assert d["initials"]["n"] == 2 and d["initials"]["h"] == 1 and d["initials"]["zh"] == 0  # 你 年; 好
    assert d["finals"]["v"] == 2 and d["finals"]["ve"] == 1       # 绿 鱼 (ü); 月 (üe)
    assert d["finals"]["-i(zh)"] == 1 and d["finals"]["-i(zcs)"] == 0   # 日 (ri); 在 is zai, not zi
    assert d["tones"]["5"] == 2 and d["features"]["question"] == 1 and d["features"]["date"] == 1
    assert d["polyphones"]["的"] == {"de5": 1}
    text = describe_missing("zh", {"finals": ["v", "ve", "van", "vn"], "tones": ["5"], "features": ["question"]})
    assert text == "no 'ü' finals; no neutral tone; no question"
    assert describe_missing("zh", {"tones": ["5"]}, "zh") == "缺轻声"


def test_en_coverage_phonemes():
    d = measure_coverage(["The boy measured the garage!", "Is it usual?"], "en").to_dict()
    assert d["phonemes"]["OY"] == 1 and d["phonemes"]["ZH"] >= 2 and d["features"]["exclamation"] == 1
    assert "no phoneme" in d["missing_text"] and "no question" not in d["missing_text"]


# -- recording scripts ------------------------------------------------------------------------------------

def test_builtin_corpus_size_and_no_duplicates():
    for lang in ("zh", "en"):
        corpus = builtin_corpus(lang)
        assert len(corpus) >= 400 and len(set(corpus)) == len(corpus)
        lengths = [count_syllables(s, lang) for s in corpus]
        assert min(lengths) >= 5 and max(lengths) <= 30


def test_ten_minute_mandarin_script_meets_the_targets():
    script = choose_script("zh", 10)
    cov = script.coverage
    assert 570 <= script.seconds <= 630 and len(set(script.sentences)) == len(script.sentences)
    assert all(cov["initials"][i] for i in ZH_INITIALS)                      # all 21 initials
    assert sum(1 for f in ZH_FINALS if cov["finals"][f]) >= 33               # at least 33 finals
    assert all(cov["tones"][t] for t in "12345")                             # four tones and the neutral
    assert len(cov["polyphones"]) >= 10
    assert sum(1 for readings in cov["polyphones"].values() if len(readings) >= 2) >= 10  # in two readings
    assert cov["features"]["number"] and cov["features"]["question"] and cov["features"]["exclamation"]


def test_ten_minute_english_script_meets_the_targets():
    script = choose_script("en", 10)
    cov = script.coverage
    assert sum(1 for p in EN_PHONEMES if cov["phonemes"][p]) >= 38
    assert cov["features"]["number"] and cov["features"]["question"] and cov["features"]["exclamation"]
    assert len(set(script.sentences)) == len(script.sentences)


def test_script_fills_what_an_existing_list_lacks():
    existing = ["今天天气很好", "我们去公园"]
    script = choose_script("zh", 0.3, existing=existing + ["你吃过晚饭了吗？"],
                           corpus=["你吃过晚饭了吗？", "绿色的雨伞！", "我们去公园", "他很高兴"])
    # Already recorded sentences are not chosen again; what the list lacked is covered after the script.
    assert "绿色的雨伞！" in script.sentences and "我们去公园" not in script.sentences
    assert "你吃过晚饭了吗？" not in script.sentences
    before, after = script.coverage_before["missing"], script.coverage["missing"]
    assert "exclamation" in before["features"] and "exclamation" not in after.get("features", [])
    assert set(after["finals"]) < set(before["finals"]) and set(after["initials"]) < set(before["initials"])


def test_script_list_template():
    assert script_list_text(["你好。", "a|b"], "zh") == "take_0001.wav|SPEAKER|ZH|你好。\ntake_0002.wav|SPEAKER|ZH|a b\n"
    with pytest.raises(ParameterError):
        choose_script("fr", 1)
    with pytest.raises(ParameterError):
        script_list_text(["x"], "en", speaker="a|b")


def test_script_command(tmp_path):
    existing = tmp_path / "train.list"
    existing.write_text("a.wav|s|ZH|今天天气很好\nb.wav|s|EN|hello\n", encoding="utf-8")
    corpus = tmp_path / "mine.txt"
    corpus.write_text("# my sentences\n你好吗？\n绿色的雨伞！\n今天天气很好\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["script", "--lang", "zh", "--minutes", "1", "--out", str(tmp_path / "s"),
                                      "--existing", str(existing), "--corpus", str(corpus), "--ui-lang", "en"])
    assert result.exit_code == 0, result.output
    assert sorted((tmp_path / "s" / "script.txt").read_text(encoding="utf-8").splitlines()) == ["你好吗？", "绿色的雨伞！"]
    lines = (tmp_path / "s" / "script.list").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("take_0001.wav|SPEAKER|ZH|") and all(len(l.split("|")) == 4 for l in lines)
    assert "lacks" in result.output


def test_unreadable_clip_still_gets_its_line_checked(tmp_path):
    from voxaudit.pipeline import ScanOptions, scan

    listing = tmp_path / "t.list"
    listing.write_text("missing.wav|s|FR|今天|天气很好\n", encoding="utf-8")
    result = scan([str(listing)], ScanOptions(identity=False, jobs=1, html=False))
    clip = result.clips[0]
    assert {f.code for f in clip.findings} == {"unreadable", "list_format", "unsupported_language"}
    assert clip.metrics == {} and result.summary["n_readable"] == 0
    assert "line 1 of t.list" in next(f.message for f in clip.findings if f.code == "list_format")
