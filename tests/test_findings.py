"""The thresholds table: severity decided in one place, overridable from TOML, messages in en and zh."""

from __future__ import annotations

import json

import pytest

from voxaudit.config import DEFAULT_RULES, load_config
from voxaudit.errors import ParameterError
from voxaudit.messages import MESSAGES, render
from voxaudit.signal.findings import judge_metrics, quality_score

CLEAN = {"duration_s": 5.0, "sample_rate": 48000, "rms_dbfs": -28.0, "clipping_fraction": 0.0,
         "dc_offset": 0.0, "silence_ratio": 0.15, "longest_pause_s": 0.5, "snr_db": 45.0,
         "bandwidth_hz": 16000.0, "hum_db": 1.0, "hum_hz": None, "rt60_s": 0.2, "plosive_count": 0,
         "agc_pumping_db": 1.0, "denoise_score": 0.05, "noise_floor_dbfs": -75.0,
         "leading_silence_s": 0.2, "trailing_silence_s": 0.3}


def codes(metrics, config=None, lang="en"):
    return {f.code: f.severity for f in judge_metrics(metrics, config or load_config(), lang=lang)}


def test_clean_clip_has_no_findings_and_full_quality():
    config = load_config()
    findings = judge_metrics(CLEAN, config)
    assert findings == []
    assert quality_score(findings, config) == 100.0


@pytest.mark.parametrize("metric,value,code,severity", [
    ("snr_db", 20.0, "low_snr", "warning"),
    ("snr_db", 10.0, "low_snr", "error"),
    ("sample_rate", 16000, "low_sample_rate", "warning"),
    ("sample_rate", 8000, "low_sample_rate", "error"),
    ("rms_dbfs", -45.0, "too_quiet", "warning"),
    ("rms_dbfs", -15.0, "too_loud", "warning"),
    ("clipping_fraction", 0.01, "clipping", "error"),
    ("dc_offset", -0.02, "dc_offset", "warning"),
    ("silence_ratio", 0.45, "too_much_silence", "warning"),
    ("bandwidth_hz", 3400.0, "narrow_bandwidth", "error"),
    ("duration_s", 0.3, "too_short", "error"),
    ("duration_s", 90.0, "too_long", "error"),
    ("plosive_count", 1, "plosive", "warning"),
    ("denoise_score", 0.9, "denoised", "error"),
])
def test_each_rule_fires_at_its_level(metric, value, code, severity):
    assert codes({**CLEAN, metric: value}) == {code: severity}


def test_missing_or_none_metrics_never_fire():
    assert codes({"snr_db": None, "duration_s": 3.0}) == {}


def test_toml_override_changes_levels_and_disables(tmp_path):
    path = tmp_path / "strict.toml"
    path.write_text("[thresholds.low_snr]\nwarning = 50.0\nerror = 40.0\n\n[thresholds.plosive]\nenabled = false\n")
    config = load_config(path)
    assert codes({**CLEAN, "plosive_count": 5}, config) == {"low_snr": "warning"}
    assert codes({**CLEAN, "snr_db": 39.0}, config) == {"low_snr": "error"}


@pytest.mark.parametrize("text,match", [
    ("[thresholds.nope]\nwarning = 1\n", "unknown threshold"),
    ("[thresholds.low_snr]\nwarning = 'high'\n", "must be a number"),
    ("[thresholds.low_snr]\nwarnin = 3\n", "unknown key"),
    ("[other]\n", "unknown section"),
    ("not toml [", "cannot read config"),
])
def test_bad_config_is_a_clear_error(tmp_path, text, match):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ParameterError, match=match):
        load_config(path)


def test_messages_carry_the_value_and_a_hint_in_both_languages():
    en = judge_metrics({**CLEAN, "snr_db": 12.3}, load_config(), lang="en")[0]
    zh = judge_metrics({**CLEAN, "snr_db": 12.3}, load_config(), lang="zh")[0]
    assert "12.3 dB" in en.message and "fan" in en.hint
    assert "12.3 dB" in zh.message and "风扇" in zh.hint
    assert en.value == 12.3 and en.threshold == 15.0
    json.dumps(en.to_dict())


def test_every_code_has_a_message_in_both_languages():
    codes_needed = {r.code for r in DEFAULT_RULES} | {"unreadable", "speaker_mismatch"}
    for lang in ("en", "zh"):
        assert codes_needed <= set(MESSAGES[lang])
        for code in codes_needed:
            message, hint = render(code, lang, value=1.0, threshold=2.0, detail="x", reason="y", hum_hz=50.0,
                                   noise_floor_dbfs=-60.0, leading_silence_s=1.0, trailing_silence_s=1.0,
                                   percent=1.0, threshold_percent=2.0, linear=0.1,
                                   evidence="e", dnsmos_sig=3.0, dnsmos_bak=2.0, line_no=3, list_name="train.list", lang_code="FR",
                                   foreign_scripts="Han", speaking_rate_syl_s=9.0, text_syllables=20,
                                   q1_syl_s=3.0, q3_syl_s=4.0)
            assert message and hint and "nan" not in message.lower()


def test_quality_score_orders_by_severity():
    config = load_config()
    error = judge_metrics({**CLEAN, "snr_db": 5.0}, config)
    warning = judge_metrics({**CLEAN, "snr_db": 20.0}, config)
    assert quality_score(error, config) < quality_score(warning, config) < 100.0


@pytest.mark.parametrize("lang,words", [("en", ("digital silence", "lower in the pauses")),
                                        ("zh", ("数字静音", "停顿处底噪"))])
def test_denoised_message_names_the_measured_signs(lang, words):
    gated = {**CLEAN, "denoise_score": 1.0, "digital_silence_ratio": 0.6, "floor_modulation_db": 80.0,
             "pause_drop_db": 40.0, "spectral_hole_ratio": None}
    finding = judge_metrics(gated, load_config(), lang=lang)[0]
    assert finding.code == "denoised" and finding.severity == "error"
    assert all(word in finding.message for word in words)
    assert "60%" in finding.message and "80 dB" in finding.message
    assert "nan" not in finding.message.lower() and finding.hint
    # A sign that could not be measured is left out, not printed as a placeholder.
    only_floor = judge_metrics({**gated, "digital_silence_ratio": None}, load_config(), lang=lang)[0]
    assert words[0] not in only_floor.message and words[1] in only_floor.message


def test_denoised_message_leaves_out_a_reverberant_floor():
    # A floor that decays gently into the pauses (pause_drop_db under 15 dB) is a room's tail, not a gate.
    metrics = {**CLEAN, "denoise_score": 1.0, "floor_modulation_db": 30.0, "pause_drop_db": 5.0,
               "spectral_hole_ratio": 0.02, "digital_silence_ratio": 0.0}
    finding = judge_metrics(metrics, load_config())[0]
    assert "lower in the pauses" not in finding.message and "2.00%" in finding.message
    steep = judge_metrics({**metrics, "pause_drop_db": 28.0}, load_config())[0]
    assert "30 dB lower in the pauses" in steep.message


@pytest.mark.parametrize("lang,musical,step", [("en", "musical noise", "turned down by 18 dB"),
                                               ("zh", "音乐噪声", "压低 18 dB")])
def test_denoised_message_names_only_the_signs_that_carry_it(lang, musical, step):
    from voxaudit.signal.denoise import sign_scores

    natural = {"digital_silence_ratio": 0.0, "spectral_hole_ratio": 0.0002, "floor_modulation_db": 2.0,
               "pause_drop_db": 20.0, "musical_noise_ratio": 0.0002, "floor_step_db": 0.5,
               "speech_floor_spread_db": 2.0}
    assert max(sign_scores(natural).values()) < 0.5
    subtracted = {**CLEAN, **natural, "denoise_score": 0.7, "musical_noise_ratio": 0.045}
    finding = judge_metrics(subtracted, load_config(), lang=lang)[0]
    assert finding.code == "denoised" and musical in finding.message and "4.5%" in finding.message
    assert "0%" not in finding.message and step not in finding.message  # natural signs are left out
    expanded = {**CLEAN, **natural, "denoise_score": 0.9, "floor_step_db": 18.0, "speech_floor_spread_db": 2.5}
    finding = judge_metrics(expanded, load_config(), lang=lang)[0]
    assert step in finding.message and musical not in finding.message
    # The same step over a floor that follows the voice (clean speech, a room) is no expander's.
    assert "floor_step_db" not in sign_scores({**expanded, "speech_floor_spread_db": 9.0})
