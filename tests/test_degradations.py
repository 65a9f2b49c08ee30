"""Real tools on real speech: denoisers, gates and AGC chains must be caught, controls must not be, the
cause must be named right, clips without pauses must not be thrown out as noisy, and DNSMOS must match
its reference. The corpus (tests/degradations.py) is built once per test session, in memory."""

from __future__ import annotations

import dataclasses
import functools
import importlib.util

import numpy as np
import pytest

from voxaudit.config import Config
from voxaudit.signal import measure_signal
from voxaudit.signal.findings import judge_metrics

pytest.importorskip("pyrnnoise")
pytest.importorskip("noisereduce")
pytest.importorskip("pedalboard")

from degradations import (build_corpus, load_clip, mix_at_snr, noise_of, slicer_like,  # noqa: E402
                          trim_silence)

# Four of the eleven corpus takes: 16, 22.05, 16 (aishell1) and 48 kHz.
TEST_CLIPS = ("vctk_16k/vctk-p226/p226_008.wav", "ljspeech/lj/LJ001-0001.wav",
              "aishell1/aishell-S0913/BAC009S0913W0300.wav", "vctk_48k/vctk-p233/p233_023.wav")
FAMILIES = ("clean", "noisy", "rnnoise", "nr_stationary", "nr_nonstationary", "gate", "agc_fast", "agc_slow",
            "specsub")
HAS_MOS = importlib.util.find_spec("onnxruntime") is not None and importlib.util.find_spec("speechmos") is not None


@functools.lru_cache(maxsize=1)
def _corpus(speech_dir):
    items = build_corpus(speech_dir, TEST_CLIPS, families=FAMILIES, nr_strengths=(1.0,))
    config = Config()
    out = []
    for item in items:
        metrics = measure_signal(item.samples, sample_rate=item.sample_rate)
        out.append((item, metrics, judge_metrics(metrics, config)))
    return out


@pytest.fixture(scope="module")
def corpus(speech_dir, manifest):
    have = {row["path"] for row in manifest}
    missing = [p for p in TEST_CLIPS if p not in have]
    if missing:
        pytest.skip(f"clips not in the speech manifest: {missing}")
    return _corpus(speech_dir)


def codes(findings, severities=("warning", "error")):
    return {f.code for f in findings if f.severity in severities}


def pick(corpus, family, setting=None):
    rows = [r for r in corpus if r[0].family == family and (setting is None or r[0].setting == setting)]
    assert rows, (family, setting)
    return rows


# --- detection ------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("family,setting", [("rnnoise", "default"),
                                            ("nr_stationary", "prop_decrease 1"),
                                            ("nr_nonstationary", "prop_decrease 1"),
                                            ("gate", "ratio 20"),
                                            # downward expanders: pauses turned down, not silenced
                                            ("gate", "ratio 4"), ("gate", "ratio 2.5"),
                                            # spectral subtraction: musical noise in the pauses
                                            ("specsub", "alpha 4, beta 0.002"),
                                            ("specsub", "alpha 2, beta 0.01")])
def test_real_denoisers_and_gates_are_flagged(corpus, family, setting):
    rows = pick(corpus, family, setting)
    missed = [item.name for item, _, f in rows if "denoised" not in codes(f)]
    assert not missed, missed


@pytest.mark.slow
def test_agc_chains_are_flagged_with_the_agc_hint(corpus):
    rows = pick(corpus, "agc_fast") + pick(corpus, "agc_slow")
    flagged = [r for r in rows if "agc_pumping" in codes(r[2])]
    assert len(flagged) >= len(rows) - 1, [r[0].name for r in rows if r not in flagged]
    for item, metrics, findings in flagged:
        assert metrics["agc_gain_dip_db"] is not None
        finding = next(f for f in findings if f.code == "agc_pumping")
        assert ("lower under loud speech" in finding.message or "rises" in finding.message
                or "louder in the pauses" in finding.message)
        # The noise in the pauses is the gain control's doing: low_snr must not only blame the room.
        for f in findings:
            if f.code == "low_snr":
                assert "automatic gain control" in f.hint and "fan" not in f.hint.split(";")[0]


@pytest.mark.slow
def test_slow_agc_over_short_pauses_is_caught_by_the_louder_pause_floor(speech_dir, manifest):
    """LJ001-0010 pauses for 0.1-0.17 s only: the slow AGC neither recovers visibly within a pause nor dips
    under loud speech, but the noise it pumps stands louder in the pauses than under the words."""
    from degradations import agc_chain

    path = "ljspeech/lj/LJ001-0010.wav"
    if path not in {row["path"] for row in manifest}:
        pytest.skip(f"{path} not in the speech manifest")
    x, sr = load_clip(speech_dir, path)
    noisy = mix_at_snr(x, sr, noise_of("white", x.size, sr, speech_dir, seed=105), 18.0)
    y = agc_chain(noisy, sr, kind="slow")
    metrics = measure_signal(y, sample_rate=sr)
    findings = judge_metrics(metrics, Config())
    assert metrics["agc_gain_dip_db"] < 0.5 and metrics["agc_pumping_db"] is None  # the older signs miss it
    assert metrics["agc_pause_excess_db"] >= 3.5
    finding = next(f for f in findings if f.code == "agc_pumping")
    assert "louder in the pauses than under the words" in finding.message


@pytest.mark.slow
def test_agc_that_leaves_no_pause_is_caught_against_the_quietest_frames(speech_dir, manifest):
    """An AGC on noise at 12 dB SNR lifts the noise to within a few dB of the voice: the speech activity
    finds no pause at all, so the quietest frames stand in for the pauses in the gain dip."""
    from degradations import CORPUS_CLIPS, compressor_agc

    caught = []
    for path in TEST_CLIPS:
        i = CORPUS_CLIPS.index(path)
        x, sr = load_clip(speech_dir, path)
        noisy = mix_at_snr(x, sr, noise_of("white" if i % 2 == 0 else "pink", x.size, sr, speech_dir,
                                           seed=900 + i), 12.0)
        y = compressor_agc(noisy, sr, ratio=3.0, attack_ms=5.0, release_ms=300.0,
                           below_speech_db=10.0).astype(np.float32)
        metrics = measure_signal(y, sample_rate=sr)
        assert metrics["silence_ratio"] < 0.05  # no pause left to read the floor in
        findings = judge_metrics(metrics, Config())
        if "agc_pumping" in codes(findings):
            caught.append(path)
            hint = next(f for f in findings if f.code == "low_snr").hint
            assert "automatic gain control" in hint
    assert len(caught) >= 3, caught


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["pink", "white", "babble"])
def test_loud_steady_or_babble_noise_is_not_agc(speech_dir, manifest, kind):
    """The pause-floor sign is judged where the noise is loud, so loud noise without a gain control
    (8-20 dB SNR, babble of six real talkers included) must not read as AGC."""
    wrong = []
    for i, path in enumerate(TEST_CLIPS):
        x, sr = load_clip(speech_dir, path)
        for snr in (8.0, 12.0, 20.0):
            y = mix_at_snr(x, sr, noise_of(kind, x.size, sr, speech_dir, seed=700 + i), snr)
            y = (y * (0.9 / np.max(np.abs(y)))).astype(np.float32) if np.max(np.abs(y)) > 0.99 else y
            metrics = measure_signal(y, sample_rate=sr)
            if "agc_pumping" in codes(judge_metrics(metrics, Config()), ("info", "warning", "error")):
                wrong.append((path, snr, metrics["agc_score"], metrics["agc_pause_excess_db"]))
    assert not wrong


@pytest.mark.slow
def test_controls_raise_no_denoised_or_agc(corpus):
    rows = pick(corpus, "clean") + pick(corpus, "noisy")
    wrong = [(item.name, codes(f, ("info", "warning", "error")) & {"denoised", "agc_pumping"})
             for item, _, f in rows if codes(f, ("info", "warning", "error")) & {"denoised", "agc_pumping"}]
    assert not wrong
    for item, metrics, findings in pick(corpus, "noisy"):
        assert "low_snr" in codes(findings)
        assert metrics["agc_score"] is None or metrics["agc_score"] < 0.3
        # The same steady noise under the words as in the pauses, and Gaussian noise in the pauses.
        assert abs(metrics["floor_step_db"]) < 3.0 and metrics["speech_floor_spread_db"] < 5.0
        assert metrics["musical_noise_ratio"] < 0.002


@pytest.mark.slow
def test_expander_and_musical_noise_are_named_in_the_message(corpus):
    for family, setting, words in (("gate", "ratio 2.5", "turned down by"), ("specsub", "alpha 4, beta 0.002",
                                                                         "musical noise")):
        for item, metrics, findings in pick(corpus, family, setting):
            finding = next(f for f in findings if f.code == "denoised")
            assert words in finding.message, (item.name, finding.message)


# --- the right cause ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,snr_db", [("white", 10.0), ("white", 5.0), ("pink", 5.0)])
def test_broadband_noise_is_noise_not_narrow_bandwidth(speech_dir, manifest, kind, snr_db):
    for i, path in enumerate(TEST_CLIPS[:2]):
        x, sr = load_clip(speech_dir, path)
        y = mix_at_snr(x, sr, noise_of(kind, x.size, sr, speech_dir, seed=40 + i), snr_db)
        metrics = measure_signal(y, sample_rate=sr)
        found = codes(judge_metrics(metrics, Config()))
        assert "narrow_bandwidth" not in found, (path, metrics["bandwidth_hz"], metrics["speech_bandwidth_hz"])
        assert "low_snr" in found
        assert metrics["bandwidth_hz"] >= 0.45 * sr
        # Where speech sinks under the noise is still reported, apart from the channel's width.
        assert metrics["speech_bandwidth_hz"] <= metrics["bandwidth_hz"]


def test_a_band_limited_channel_is_still_narrow_under_noise(speech_dir, manifest):
    # Telephone-band audio (8 kHz) stored at 16 kHz with its own noise: the noise ends where the channel
    # does, so the clip still reads narrow band.
    import soxr

    x, sr = load_clip(speech_dir, TEST_CLIPS[0])
    y = mix_at_snr(x, sr, noise_of("white", x.size, sr, speech_dir, seed=3), 20.0)
    phone = soxr.resample(soxr.resample(y, sr, 8000), 8000, sr).astype(np.float32)
    metrics = measure_signal(phone, sample_rate=sr)
    assert metrics["bandwidth_hz"] <= 4100
    assert "narrow_bandwidth" in codes(judge_metrics(metrics, Config()))


# --- clips without pauses -------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _trimmed(speech_dir, paths):
    out = []
    for path in paths:
        x, sr = load_clip(speech_dir, path)
        out.append((trim_silence(x, sr, 0.05), sr))
    return out


@pytest.fixture(scope="module")
def trimmed_aishell(speech_dir, manifest):
    paths = tuple(sorted(r["path"] for r in manifest if r["source"] == "aishell1"))[::4]
    if len(paths) < 10:
        pytest.skip("too few aishell1 clips")
    return _trimmed(speech_dir, paths)


@pytest.mark.slow
def test_clean_clips_without_pauses_are_not_called_noisy(trimmed_aishell):
    # Clean read Mandarin cut with 50 ms of silence at each end: WADA alone read 2-10 dB here.
    blind = errors = warnings = 0
    for x, sr in trimmed_aishell:
        metrics = measure_signal(x, sample_rate=sr)
        severities = [f.severity for f in judge_metrics(metrics, Config()) if f.code == "low_snr"]
        blind += metrics["snr_method"] != "pauses"
        errors += "error" in severities
        warnings += "warning" in severities
    assert blind >= 5  # the case under test occurs
    assert errors == 0
    assert warnings <= 2


@pytest.mark.slow
@pytest.mark.parametrize("kind,snr_db", [("pink", 12.0), ("white", 15.0), ("babble", 12.0)])
def test_noisy_clips_without_pauses_are_still_caught(speech_dir, trimmed_aishell, kind, snr_db):
    caught = 0
    for i, (x, sr) in enumerate(trimmed_aishell):
        y = mix_at_snr(x, sr, noise_of(kind, x.size, sr, speech_dir, seed=60 + i), snr_db)
        caught += "low_snr" in codes(judge_metrics(measure_signal(y, sample_rate=sr), Config()))
    assert caught >= len(trimmed_aishell) - 1


@pytest.mark.slow
def test_slicer_like_session_of_clean_speech(speech_dir, manifest):
    from degradations import slicer_session

    slices = slicer_session(speech_dir, ("aishell-S0150",), manifest=manifest)
    if len(slices) < 10:
        pytest.skip("too few aishell-S0150 clips")
    severities = []
    for i, x in enumerate(slices):
        severities += [f.severity for f in judge_metrics(measure_signal(x, sample_rate=32000), Config())
                       if f.code == "low_snr"]
    assert "error" not in severities and len(severities) <= 2
    noisy = [mix_at_snr(x, 32000, noise_of("pink", x.size, 32000, speech_dir, seed=i), 12.0)
             for i, x in enumerate(slices[:8])]
    assert all("low_snr" in codes(judge_metrics(measure_signal(y, sample_rate=32000), Config())) for y in noisy)


def test_slicer_like_cuts_at_pauses():
    sr = 32000
    rng = np.random.default_rng(0)
    tone = lambda s: (0.3 * np.sin(2 * np.pi * 220 * np.arange(int(s * sr)) / sr)).astype(np.float32)  # noqa: E731
    quiet = lambda s: (1e-4 * rng.standard_normal(int(s * sr))).astype(np.float32)  # noqa: E731
    # 3 s + 0.4 s pause + 2 s (the first piece is under 4 s: not cut) + 0.4 s pause + 5 s.
    x = np.concatenate([tone(3), quiet(0.4), tone(2), quiet(0.4), tone(5)])
    pieces = slicer_like(x, sr)
    assert len(pieces) == 2
    assert 5.2 <= pieces[0].size / sr <= 5.8 and 5.0 <= pieces[1].size / sr <= 5.5
    assert max(float(np.max(np.abs(p))) for p in pieces) <= 1.0


# --- DNSMOS -----------------------------------------------------------------------------------------

needs_mos = pytest.mark.skipif(not HAS_MOS, reason="onnxruntime and speechmos (voxaudit[mos]) not installed")


def test_window_plans_known_answers():
    from voxaudit.signal.mos import SAMPLE_RATE, WINDOW_SAMPLES, window_starts

    # A 3 s clip is tiled to 12 s: the reference scores 3 windows, 1 s apart; one window covers it.
    assert window_starts(12 * SAMPLE_RATE, "reference") == [0, SAMPLE_RATE, 2 * SAMPLE_RATE]
    assert window_starts(12 * SAMPLE_RATE, "cover") == [0, 12 * SAMPLE_RATE - WINDOW_SAMPLES]
    assert window_starts(WINDOW_SAMPLES, "cover") == [0]
    assert len(window_starts(20 * SAMPLE_RATE, "reference")) == 11
    assert len(window_starts(20 * SAMPLE_RATE, "cover")) == 3


@needs_mos
@pytest.mark.slow
@pytest.mark.parametrize("path", ["vctk_16k/vctk-p225/p225_003.wav", "librispeech_test-other/ls3080/3080-5032-0002.wav",
                                  "vctk_48k/vctk-p243/p243_023.wav", "aishell1/aishell-S0150/BAC009S0150W0009.wav"])
def test_dnsmos_matches_speechmos(speech_dir, manifest, path):
    from speechmos import dnsmos as reference

    from voxaudit.resample import resample
    from voxaudit.signal.mos import dnsmos, measure_mos

    if not any(row["path"] == path for row in manifest):
        pytest.skip(f"{path} not in the manifest")
    x, sr = load_clip(speech_dir, path)
    y = resample(x, orig_sr=sr, target_sr=16000)
    ref = reference.run(np.clip(y, -1, 1), 16000)
    expected = np.array([ref["sig_mos"], ref["bak_mos"], ref["ovrl_mos"]])
    # The reference's own window plan reproduces it; the cheaper plan stays within 0.15.
    assert np.allclose(dnsmos(y, plan="reference"), expected, atol=2e-3)
    ours = measure_mos(x, sample_rate=sr)
    got = np.array([ours["dnsmos_sig"], ours["dnsmos_bak"], ours["dnsmos_ovrl"]])
    assert np.all(np.abs(got - expected) < 0.15), (got, expected)


@needs_mos
def test_dnsmos_session_is_made_once_and_single_threaded():
    from voxaudit.signal import mos

    first = mos.session()
    assert mos.session() is first
    assert first.get_session_options().intra_op_num_threads == 1


@needs_mos
def test_dnsmos_on_every_clip_only_when_asked():
    x = (0.05 * np.random.default_rng(0).standard_normal(32000)).astype(np.float32)
    assert "dnsmos_ovrl" not in measure_signal(x, sample_rate=16000)
    rated = measure_signal(x, sample_rate=16000, mos=True)
    assert rated["dnsmos_ovrl"] is not None and rated["dnsmos_bak"] < 3.0  # noise only: a poor background


def test_mos_modes_of_the_config():
    from voxaudit.errors import ParameterError

    assert Config().mos == "auto"  # the scan's default: a second opinion on ambiguous rooms
    config = Config()
    config.mos_mode = "all"
    assert config.mos is True
    config.mos_mode = "off"
    assert config.mos is False
    config = Config()
    config.rules["low_mos"] = dataclasses.replace(config.rules["low_mos"], enabled=False)
    assert config.mos is False  # nothing would judge the rating
    config = Config()
    config.mos_mode = "sometimes"
    with pytest.raises(ParameterError):
        config.mos


def test_second_opinion_band_known_answers():
    from voxaudit.signal.mos import SECOND_OPINION_RT60_S, wants_second_opinion

    low, high = SECOND_OPINION_RT60_S
    assert (low, high) == (0.40, 0.50)
    assert wants_second_opinion({"rt60_s": 0.40}) and wants_second_opinion({"rt60_s": 0.499})
    assert not wants_second_opinion({"rt60_s": 0.399})  # dry speech: our reading is enough
    assert not wants_second_opinion({"rt60_s": 0.50})  # the reverb rule speaks from here
    assert not wants_second_opinion({"rt60_s": None}) and not wants_second_opinion({})
    error = judge_metrics({"sample_rate": 8000}, Config())  # unusable anyway: no second opinion
    assert error and not wants_second_opinion({"rt60_s": 0.45}, error)
    warning = judge_metrics({"sample_rate": 22050}, Config())
    assert warning and wants_second_opinion({"rt60_s": 0.45}, warning)


def test_second_opinion_follows_the_mode():
    from voxaudit.signal.mos import second_opinion

    calls = []

    def judge(values):
        calls.append(dict(values))
        return ["rejudged"]

    x = (0.05 * np.random.default_rng(1).standard_normal(16000)).astype(np.float32)
    for mode, expect in (("off", None), ("all", None)):
        config = Config()
        config.mos_mode = mode
        assert second_opinion(x, sample_rate=16000, metrics={"rt60_s": 0.45}, findings=[], config=config,
                              judge=judge) is expect
    assert second_opinion(x, sample_rate=16000, metrics={"rt60_s": 0.30}, findings=[], config=Config(),
                          judge=judge) is None
    assert not calls
    if HAS_MOS:
        metrics = {"rt60_s": 0.45}
        assert second_opinion(x, sample_rate=16000, metrics=metrics, findings=[], config=Config(),
                              judge=judge) == ["rejudged"]
        assert metrics["dnsmos_ovrl"] is not None and calls[0]["dnsmos_ovrl"] == metrics["dnsmos_ovrl"]


def test_a_scan_without_dnsmos_says_so_once_and_goes_on(monkeypatch, tmp_path):
    import soundfile as sf
    from synth import voiced_speech

    from voxaudit.pipeline import ScanOptions, scan
    from voxaudit.signal import mos

    monkeypatch.setattr(mos, "is_available", lambda: False)
    for i in range(2):
        sf.write(tmp_path / f"take{i}.wav", voiced_speech(2.0, sample_rate=16000, seed=i), 16000)
    notices = []
    result = scan([str(tmp_path)], ScanOptions(jobs=1, identity=False), notice=notices.append)
    assert sum("DNSMOS is not installed" in n for n in notices) == 1
    assert len(result.clips) == 2 and all(c.metrics for c in result.clips)


def test_a_failing_second_opinion_keeps_the_clip(monkeypatch):
    from voxaudit.signal import mos

    def broken(*args, **kwargs):
        raise RuntimeError("onnxruntime: bad allocation")

    monkeypatch.setattr(mos, "measure_mos", broken)
    monkeypatch.setattr(mos, "is_available", lambda: True)
    metrics = {"rt60_s": 0.45}
    x = np.zeros(16000, dtype=np.float32)
    assert mos.second_opinion(x, sample_rate=16000, metrics=metrics, findings=[], config=Config(),
                              judge=lambda values: ["never"]) is None
    assert metrics == {"rt60_s": 0.45}


@needs_mos
@pytest.mark.slow
def test_a_small_room_heard_from_afar_gets_the_room_hint_by_default(speech_dir, manifest):
    """A 0.3 s room with as much room as direct sound on a LibriSpeech take: our decay reading (0.45 s)
    is within the range of dry speech, DNSMOS rates it under 2.5; the default mode asks DNSMOS and the
    finding names the room."""
    from degradations import room

    from voxaudit.signal.mos import second_opinion

    path = "librispeech_test-other/ls3080/3080-5032-0008.wav"
    if path not in {row["path"] for row in manifest}:
        pytest.skip(f"{path} not in the speech manifest")
    x, sr = load_clip(speech_dir, path)
    y = room(x, sr, 0.3, seed=9)
    config = Config()
    plain = measure_signal(y, sample_rate=sr)
    assert 0.40 <= plain["rt60_s"] < 0.50 and "dnsmos_ovrl" not in plain
    findings = judge_metrics(plain, config)
    assert not codes(findings)  # without DNSMOS: no finding at all
    rejudged = second_opinion(y, sample_rate=sr, metrics=plain, findings=findings, config=config,
                              judge=lambda values: judge_metrics(values, config))
    assert plain["dnsmos_ovrl"] < 2.5
    finding = next(f for f in rejudged if f.code == "low_mos")
    assert "hear the room" in finding.hint and "0.45" in finding.hint
    zh = next(f for f in judge_metrics(plain, config, lang="zh") if f.code == "low_mos")
    assert "房间" in zh.hint
    # The dry take is not rated at all (its reading is below the band).
    dry = measure_signal(x, sample_rate=sr)
    assert dry["rt60_s"] < 0.40
    assert second_opinion(x, sample_rate=sr, metrics=dry, findings=judge_metrics(dry, config), config=config,
                          judge=lambda values: judge_metrics(values, config)) is None


@needs_mos
@pytest.mark.slow
def test_clips_dnsmos_rates_poorly_carry_a_finding_of_ours(corpus):
    from voxaudit.signal.mos import measure_mos

    low = 0
    for item, _, findings in corpus:
        if item.family in ("clean",) or item.source not in TEST_CLIPS[:2]:  # two takes keep it quick
            continue
        ovrl = measure_mos(item.samples, sample_rate=item.sample_rate)["dnsmos_ovrl"]
        if ovrl is not None and ovrl < 2.5:
            low += 1
            assert codes(findings), (item.name, ovrl)
    assert low >= 3  # the corpus does hold clips listeners would reject


@needs_mos
@pytest.mark.slow
def test_a_scan_asks_dnsmos_only_about_the_ambiguous_room(speech_dir, manifest, tmp_path):
    """End to end: a folder with the far-field room take and its dry original. The default scan rates only
    the room take (low_mos with the room hint); --no-mos rates neither; --mos rates both."""
    import soundfile as sf
    from degradations import room

    from voxaudit.pipeline import ScanOptions, scan

    path = "librispeech_test-other/ls3080/3080-5032-0008.wav"
    if path not in {row["path"] for row in manifest}:
        pytest.skip(f"{path} not in the speech manifest")
    x, sr = load_clip(speech_dir, path)
    folder = tmp_path / "takes"
    folder.mkdir()
    sf.write(folder / "dry.wav", x, sr)
    sf.write(folder / "far.wav", room(x, sr, 0.3, seed=9), sr)
    for mode, rated in (("auto", {"far.wav"}), ("off", set()), ("all", {"far.wav", "dry.wav"})):
        config = Config()
        config.mos_mode = mode
        result = scan([str(folder)], ScanOptions(jobs=1, identity=False, config=config))
        by_name = {c.source.path.rsplit("/", 1)[-1]: c for c in result.clips}
        assert {n for n, c in by_name.items() if c.metrics.get("dnsmos_ovrl") is not None} == rated, mode
        if mode != "off":
            far = next(f for f in by_name["far.wav"].findings if f.code == "low_mos")
            assert "hear the room" in far.hint


def test_low_mos_hint_follows_sig_and_bak():
    config = Config()
    noisy = judge_metrics({"dnsmos_ovrl": 2.2, "dnsmos_sig": 3.4, "dnsmos_bak": 2.1}, config)
    distorted = judge_metrics({"dnsmos_ovrl": 2.2, "dnsmos_sig": 2.3, "dnsmos_bak": 3.9}, config)
    assert [f.code for f in noisy] == ["low_mos"] and noisy[0].severity == "warning"
    assert "background" in noisy[0].hint and "fans" in noisy[0].hint
    assert "voice itself" in distorted[0].hint
    zh = judge_metrics({"dnsmos_ovrl": 2.2, "dnsmos_sig": 3.4, "dnsmos_bak": 2.1}, config, lang="zh")[0]
    assert "背景" in zh.hint
    assert judge_metrics({"dnsmos_ovrl": 3.2, "dnsmos_sig": 3.5, "dnsmos_bak": 4.0}, config) == []
    # An ambiguous room on a clean clip: the room is named; the same reading on a noisy clip: the noise.
    roomy = judge_metrics({"dnsmos_ovrl": 2.3, "dnsmos_sig": 3.0, "dnsmos_bak": 3.2, "rt60_s": 0.45,
                           "snr_db": 40.0}, config)[0]
    assert "hear the room" in roomy.hint and "0.45 s" in roomy.hint
    noisy_room = judge_metrics({"dnsmos_ovrl": 2.2, "dnsmos_sig": 3.4, "dnsmos_bak": 2.1, "rt60_s": 0.45,
                                "snr_db": 14.0}, config)
    assert "fans" in next(f for f in noisy_room if f.code == "low_mos").hint
    phone = judge_metrics({"dnsmos_ovrl": 2.0, "dnsmos_sig": 2.4, "dnsmos_bak": 3.6, "rt60_s": 0.45,
                           "snr_db": 40.0, "bandwidth_hz": 3800.0}, config)
    assert "voice itself" in next(f for f in phone if f.code == "low_mos").hint


def test_mos_changes_the_journal_fingerprint():
    from voxaudit.journal import code_fingerprint

    plain = Config()
    prints = set()
    for mode in ("auto", "all", "off"):
        config = Config()
        config.mos_mode = mode
        prints.add(code_fingerprint(config, "en"))
    assert len(prints) == 3
    assert code_fingerprint(plain, "en") == code_fingerprint(Config(), "en")
