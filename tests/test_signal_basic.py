"""Level, silence, noise and spectrum measures: known answers on synthetic and real speech."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import soundfile as sf
import soxr
from scipy import signal as sps

from voxaudit.errors import ParameterError
from voxaudit.signal.activity import mask_runs, speech_activity
from voxaudit.signal.level import clipping_fraction, measure_level
from voxaudit.signal.noise import (
    SNR_MAX_DB,
    WADA_G,
    WADA_SHAPE,
    WADA_SNR_DB,
    measure_noise,
    wada_snr,
    wada_statistic,
)
from voxaudit.signal.silence import measure_silence
from voxaudit.signal.spectrum import measure_spectrum

from synth import add_noise_at_snr, pink_noise_band, voiced_speech, white_noise

MEASURES = (measure_level, measure_silence, measure_noise, measure_spectrum)

# Clean real clips, one per source (a male voice where the corpus has one, for the hum tests).
CLIPS = {
    "aishell1": "aishell1/aishell-S0252/BAC009S0252W0050.wav",
    "vctk_16k": "vctk_16k/vctk-p226/p226_008.wav",
    "ljspeech": "ljspeech/lj/LJ001-0001.wav",
    "librispeech_test-other": "librispeech_test-other/ls3331/3331-159605-0000.wav",
    "vctk_48k": "vctk_48k/vctk-p273/p273_023.wav",
    "fsdd_concat": "fsdd_concat/fsdd-george/george_seq00_7386.wav",
}


# --- helpers ---------------------------------------------------------------------------------------

def run(x: np.ndarray, sr: int) -> dict:
    x = np.asarray(x, dtype=np.float32)
    act = speech_activity(x, sample_rate=sr)
    out: dict = {}
    for measure in MEASURES:
        out.update(measure(x, sample_rate=sr, activity=act))
    return out


def load(speech_dir, manifest, key: str) -> tuple[np.ndarray, int]:
    path = CLIPS.get(key, key)
    if not any(row["path"] == path for row in manifest):
        pytest.skip(f"{path} not in the speech manifest")
    x, sr = sf.read(speech_dir / path, dtype="float32", always_2d=False)
    return x, sr


def speech_mask(x: np.ndarray, sr: int) -> np.ndarray:
    """Sample mask of the speech regions of a clean clip."""
    act = speech_activity(x, sample_rate=sr)
    mask = np.zeros(x.size, dtype=bool)
    hop, frame = act.hop_s * sr, act.frame_s * sr
    for a, b in mask_runs(act.speech):
        mask[int(round(a * hop)):int(round((b - 1) * hop + frame))] = True
    return mask


def noise_of(kind: str, n: int, sr: int) -> np.ndarray:
    return white_noise(n) if kind == "white" else pink_noise_band(n, sample_rate=sr)


def combined_snr(target_db: float, native_db: float) -> float:
    """SNR after adding noise at ``target_db`` to a clip that already had ``native_db``."""
    return -10.0 * math.log10(10 ** (-target_db / 10) + 10 ** (-native_db / 10))


def assert_json_safe(metrics: dict) -> None:
    json.dumps(metrics, allow_nan=False)
    for key, value in metrics.items():
        assert value is None or isinstance(value, (bool, int, float, str)), key
        if isinstance(value, float):
            assert math.isfinite(value), key


# --- level ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("sr", [8000, 11025, 16000, 44100, 96000])
def test_level_of_a_sine(sr):
    t = np.arange(2 * sr) / sr
    x = (0.5 * np.sin(2 * np.pi * 440 * t) + 0.05).astype(np.float32)
    m = run(x, sr)
    assert m["peak_dbfs"] == pytest.approx(20 * math.log10(0.55), abs=0.01)
    assert m["rms_dbfs"] == pytest.approx(10 * math.log10(0.125 + 0.0025), abs=0.01)
    assert m["speech_rms_dbfs"] == pytest.approx(10 * math.log10(0.125), abs=0.05)  # DC removed
    assert m["dc_offset"] == pytest.approx(0.05, abs=1e-4)
    assert m["clipping_fraction"] == 0.0


def test_speech_rms_ignores_pauses():
    sr = 16000
    x = voiced_speech(6.0, sample_rate=sr, level_dbfs=-23.0)
    m = run(x, sr)
    assert m["speech_rms_dbfs"] == pytest.approx(-23.0, abs=0.6)
    assert m["rms_dbfs"] < m["speech_rms_dbfs"] - 0.5


def _clip_one_percent(x: np.ndarray, after_gain: float) -> np.ndarray:
    threshold = np.quantile(np.abs(x), 0.99)
    return (np.clip(x / threshold, -1.0, 1.0) * after_gain).astype(np.float32)


@pytest.mark.parametrize("after_gain", [1.0, 0.5])
@pytest.mark.parametrize("sr", [16000, 48000])
def test_one_percent_clipping_synthetic(sr, after_gain):
    x = _clip_one_percent(voiced_speech(4.0, sample_rate=sr, pause_every_s=None), after_gain)
    assert run(x, sr)["clipping_fraction"] == pytest.approx(0.01, abs=0.003)


@pytest.mark.speech
@pytest.mark.parametrize("after_gain", [1.0, 0.7])
@pytest.mark.parametrize("key", ["aishell1", "vctk_16k", "ljspeech"])
def test_one_percent_clipping_real(speech_dir, manifest, key, after_gain):
    x, sr = load(speech_dir, manifest, key)
    assert clipping_fraction(_clip_one_percent(x, after_gain)) == pytest.approx(0.01, abs=0.003)


@pytest.mark.speech
@pytest.mark.parametrize("source", ["aishell1", "vctk_16k", "ljspeech", "librispeech_test-other",
                                    "vctk_48k", "fsdd_concat"])
def test_clean_speech_has_no_clipping(speech_dir, manifest, source):
    rows = [r for r in manifest if r["source"] == source and float(r["clipped_frac"] or 0) == 0][:8]
    assert rows
    for row in rows:
        x, _ = sf.read(speech_dir / row["path"], dtype="float32")
        assert clipping_fraction(x) == 0.0, row["path"]
        assert clipping_fraction(0.25 * x) == 0.0, row["path"]


def test_clean_synthetic_has_no_clipping():
    x = voiced_speech(3.0, sample_rate=48000, level_dbfs=-6.0)
    x = 0.98 * x / np.max(np.abs(x))  # peak-normalised just below full scale
    assert clipping_fraction(x) == 0.0
    assert clipping_fraction(np.round(x * 32767) / 32768) == 0.0


# --- silence ---------------------------------------------------------------------------------------

def _pad(x: np.ndarray, sr: int, seconds: float, floor: float) -> np.ndarray:
    pad = np.zeros(int(seconds * sr), dtype=np.float32)
    y = np.concatenate([pad, x, pad])
    if floor:
        y = y + (floor * white_noise(y.size, seed=7)).astype(np.float32)
    return y


@pytest.mark.parametrize("floor", [0.0, 1e-4])
@pytest.mark.parametrize("sr", [8000, 22050, 48000])
def test_padded_silence_synthetic(sr, floor):
    x = voiced_speech(3.0, sample_rate=sr, pause_every_s=None)
    m = run(_pad(x, sr, 5.0, floor), sr)
    hangover = 0.04 if floor else 0.0  # speech spreads 40 ms into a live floor, never into zeros
    assert m["leading_silence_s"] == pytest.approx(5.0 - hangover, abs=0.03)
    assert m["trailing_silence_s"] == pytest.approx(5.0 - hangover, abs=0.03)
    assert m["silence_ratio"] == pytest.approx((10.0 - 2 * hangover) / 13.0, abs=0.01)
    assert m["longest_pause_s"] == 0.0


@pytest.mark.speech
@pytest.mark.parametrize("room_tone", [False, True])
@pytest.mark.parametrize("key", ["aishell1", "vctk_16k", "ljspeech"])
def test_padded_silence_real(speech_dir, manifest, key, room_tone):
    x, sr = load(speech_dir, manifest, key)
    own = run(x, sr)
    # Digital silence, or room tone at the clip's own noise floor.
    floor = 10 ** (own["noise_floor_dbfs"] / 20) if room_tone else 0.0
    m = run(_pad(x, sr, 5.0, floor), sr)
    assert m["leading_silence_s"] - own["leading_silence_s"] == pytest.approx(5.0, abs=0.1)
    assert m["trailing_silence_s"] - own["trailing_silence_s"] == pytest.approx(5.0, abs=0.1)
    duration = x.size / sr
    expected = (own["silence_ratio"] * duration + 10.0) / (duration + 10.0)
    assert m["silence_ratio"] == pytest.approx(expected, abs=0.02)


def test_longest_internal_pause():
    sr = 16000
    x = voiced_speech(5.0, sample_rate=sr, pause_every_s=None)
    gap = np.zeros(int(0.8 * sr), dtype=np.float32)
    y = np.concatenate([x[: 2 * sr], gap, x[2 * sr:]])
    y = y + (1e-4 * white_noise(y.size)).astype(np.float32)
    m = run(y, sr)
    assert m["longest_pause_s"] == pytest.approx(0.8 - 0.08, abs=0.04)
    assert m["leading_silence_s"] < 0.05 and m["trailing_silence_s"] < 0.05


# --- noise -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("snr_db", [10, 20, 30, 40])
@pytest.mark.parametrize("kind", ["white", "pink"])
@pytest.mark.parametrize("sr", [16000, 48000])
def test_snr_synthetic_with_pauses(sr, kind, snr_db):
    clean = voiced_speech(6.0, sample_rate=sr)
    x = add_noise_at_snr(clean, noise_of(kind, clean.size, sr), snr_db)
    m = run(x, sr)
    assert m["snr_method"] == "pauses"
    assert m["snr_db"] == pytest.approx(snr_db, abs=3.0)
    noise_dbfs = 10 * math.log10(np.mean((x - clean).astype(np.float64) ** 2))
    assert m["noise_floor_dbfs"] == pytest.approx(noise_dbfs, abs=1.5)


@pytest.mark.speech
@pytest.mark.parametrize("snr_db", [10, 20, 30, 40])
@pytest.mark.parametrize("kind", ["white", "pink"])
@pytest.mark.parametrize("key", ["aishell1", "vctk_16k", "ljspeech", "librispeech_test-other"])
def test_snr_real_speech(speech_dir, manifest, key, kind, snr_db):
    x, sr = load(speech_dir, manifest, key)
    native = run(x, sr)
    assert native["snr_method"] == "pauses" and native["snr_db"] > 25
    mixed = add_noise_at_snr(x, noise_of(kind, x.size, sr), snr_db, speech_mask=speech_mask(x, sr))
    m = run(mixed, sr)
    assert m["snr_method"] == "pauses"
    assert m["snr_db"] == pytest.approx(combined_snr(snr_db, native["snr_db"]), abs=3.0)


# Continuous speech: a clean clip's speech regions joined end to end, so no pause is left for the noise
# to be measured in and the blind WADA estimate takes over. WADA's answer depends on how closely the
# speaker's amplitude distribution follows its gamma model; these two clips are typical English read
# speech (see the noise module for where it is weaker).
CONTINUOUS = ["ljspeech/lj/LJ001-0007.wav", "librispeech_test-other/ls3005/3005-163389-0003.wav"]


@pytest.mark.speech
@pytest.mark.parametrize("kind", ["white", "pink"])
@pytest.mark.parametrize("path", CONTINUOUS)
def test_snr_continuous_speech_via_wada(speech_dir, manifest, path, kind):
    x, sr = load(speech_dir, manifest, path)
    native = run(x, sr)["snr_db"]
    continuous = x[speech_mask(x, sr)]
    mixed = add_noise_at_snr(continuous, noise_of(kind, continuous.size, sr), 20.0,
                             speech_mask=np.ones(continuous.size, dtype=bool))
    m = run(mixed, sr)
    assert m["snr_method"] == "wada"
    assert m["snr_db"] == pytest.approx(combined_snr(20.0, native), abs=3.0)


def _gamma_speech(n: int, seed: int = 3) -> np.ndarray:
    """Samples that follow WADA's clean-speech model exactly: gamma amplitudes, random signs."""
    rng = np.random.default_rng(seed)
    return rng.gamma(WADA_SHAPE, 1.0, n) * rng.choice([-1.0, 1.0], n)


@pytest.mark.parametrize("snr_db", [0, 10, 20, 30])
def test_wada_recovers_the_snr_of_its_model(snr_db):
    s = _gamma_speech(400_000)
    x = add_noise_at_snr(s, white_noise(s.size), snr_db, speech_mask=np.ones(s.size, dtype=bool))
    assert wada_snr(x) == pytest.approx(snr_db, abs=0.7)


@pytest.mark.parametrize("snr_db", [-10, 0, 10, 20, 30])
def test_wada_table_matches_its_model(snr_db):
    g = wada_statistic(snr_db, n=400_000, seed=11)
    assert g == pytest.approx(float(np.interp(snr_db, WADA_SNR_DB, WADA_G)), abs=0.004)


def test_wada_table_limits():
    from scipy.special import digamma

    gaussian = math.log(math.sqrt(2 / math.pi)) + (np.euler_gamma + math.log(2)) / 2
    assert WADA_G[0] == pytest.approx(gaussian, abs=2e-4)
    assert WADA_G[-1] < math.log(WADA_SHAPE) - digamma(WADA_SHAPE)
    assert np.all(np.diff(WADA_G) > 0)
    assert wada_snr(np.zeros(100)) is None


def test_digital_zero_pauses_are_not_a_noise_floor():
    sr = 16000
    clean = voiced_speech(6.0, sample_rate=sr)  # pauses are exact zeros
    gated = clean + (clean != 0) * (10 ** (-45 / 20) * white_noise(clean.size)).astype(np.float32)
    m = run(gated, sr)
    assert m["snr_method"] == "wada"
    assert m["snr_db"] < 60  # a zero "floor" would read as no noise at all
    assert m["noise_floor_dbfs"] is None or m["noise_floor_dbfs"] > -100


def test_snr_is_capped():
    sr = 16000
    clean = voiced_speech(4.0, sample_rate=sr)
    x = clean + (clean == 0) * np.float32(1e-9) * white_noise(clean.size).astype(np.float32)
    m = run(x, sr)
    assert m["snr_db"] == SNR_MAX_DB


# --- spectrum: bandwidth -----------------------------------------------------------------------

def _telephone(x: np.ndarray, sr: int) -> np.ndarray:
    """A codec-like 3.4 kHz low-pass: 10th-order elliptic, 80 dB stopband."""
    sos = sps.ellip(10, 0.5, 80, 3400, btype="lowpass", fs=sr, output="sos")
    return sps.sosfiltfilt(sos, x).astype(np.float32)


@pytest.mark.parametrize("sr", [16000, 44100, 48000])
def test_bandwidth_synthetic(sr):
    x = voiced_speech(4.0, sample_rate=sr)
    x = add_noise_at_snr(x, white_noise(x.size), 50)
    assert run(x, sr)["bandwidth_hz"] >= min(10000, 0.45 * sr)
    assert run(_telephone(x, sr), sr)["bandwidth_hz"] <= 4500


@pytest.mark.speech
@pytest.mark.parametrize("key, low, high", [
    ("vctk_48k", 10000, 24000),
    ("ljspeech", 9000, 11025),
    ("vctk_16k", 7000, 8000),
    ("aishell1", 7000, 8000),
    ("librispeech_test-other", 7000, 8000),
    ("fsdd_concat", 0, 4000),
])
def test_bandwidth_real(speech_dir, manifest, key, low, high):
    x, sr = load(speech_dir, manifest, key)
    assert low <= run(x, sr)["bandwidth_hz"] <= high


@pytest.mark.speech
@pytest.mark.parametrize("line_noise_db", [None, 35])
@pytest.mark.parametrize("key", ["vctk_48k", "vctk_16k", "ljspeech"])
def test_bandwidth_telephone_band(speech_dir, manifest, key, line_noise_db):
    x, sr = load(speech_dir, manifest, key)
    y = _telephone(x, sr)
    if line_noise_db is not None:  # noise added after the band limit, over the full band
        y = add_noise_at_snr(y, white_noise(y.size), line_noise_db, speech_mask=speech_mask(x, sr))
    assert run(y, sr)["bandwidth_hz"] <= 4500


@pytest.mark.speech
@pytest.mark.parametrize("target_sr", [16000, 44100])
def test_bandwidth_upsampled_narrowband(speech_dir, manifest, target_sr):
    x, sr = load(speech_dir, manifest, "fsdd_concat")
    y = soxr.resample(x, sr, target_sr).astype(np.float32)
    y = np.round(y * 32767) / 32768  # stored as 16-bit
    assert run(y.astype(np.float32), target_sr)["bandwidth_hz"] <= 4500


# --- spectrum: hum ---------------------------------------------------------------------------------

def _hum(n: int, sr: int, mains_hz: float, harmonics=(1,), level_dbfs: float = -40.0) -> np.ndarray:
    """Mains hum whose strongest line peaks at ``level_dbfs``; starts at a random phase."""
    t = np.arange(n) / sr
    amp = 10 ** (level_dbfs / 20)
    return sum(amp / k * np.sin(2 * np.pi * mains_hz * h * t + k) for k, h in enumerate(harmonics, 1))


@pytest.mark.parametrize("harmonics", [(1,), (2, 3)])
@pytest.mark.parametrize("mains_hz", [50.0, 60.0])
@pytest.mark.parametrize("sr", [8000, 16000, 44100])
def test_hum_synthetic(sr, mains_hz, harmonics):
    clean = voiced_speech(5.0, sample_rate=sr, pause_s=0.6)
    x = add_noise_at_snr(clean, white_noise(clean.size), 40)
    m = run(x + _hum(x.size, sr, mains_hz, harmonics).astype(np.float32), sr)
    assert m["hum_hz"] == mains_hz
    assert m["hum_db"] > 20
    assert run(x, sr)["hum_hz"] is None


@pytest.mark.speech
@pytest.mark.parametrize("mains_hz", [50.0, 60.0])
@pytest.mark.parametrize("key", ["aishell1", "vctk_16k", "ljspeech", "vctk_48k"])
def test_hum_real(speech_dir, manifest, key, mains_hz):
    x, sr = load(speech_dir, manifest, key)
    m = run(x + _hum(x.size, sr, mains_hz).astype(np.float32), sr)
    assert m["hum_hz"] == mains_hz
    # Clean speech reads < 6 dB. VCTK 48 kHz has a room rumble of its own around 50-60 Hz that leaves
    # the -40 dBFS line only 11-16 dB above its neighbours; the other clips read 20-45 dB.
    assert m["hum_db"] > 10
    # A -40 dBFS peak sine has -43 dBFS of power.
    assert m["hum_dbfs"] == pytest.approx(-43.0, abs=3.0)


@pytest.mark.speech
@pytest.mark.parametrize("source", ["vctk_16k", "vctk_48k"])
def test_no_hum_in_clean_speech(speech_dir, manifest, source):
    rows = [r for r in manifest if r["source"] == source][::3]
    for row in rows:
        x, sr = sf.read(speech_dir / row["path"], dtype="float32")
        m = run(x, sr)
        assert m["hum_hz"] is None, row["path"]
        assert m["hum_db"] < 6.0, row["path"]


# --- edge cases ------------------------------------------------------------------------------------

@pytest.mark.parametrize("seconds", [0.1, 3.0])
@pytest.mark.parametrize("sr", [8000, 11025, 44100, 96000])
def test_all_zero_clip(sr, seconds):
    m = run(np.zeros(int(seconds * sr), dtype=np.float32), sr)
    # Digital silence has a level, -inf dBFS (judged as below every threshold; null in report.json).
    assert m.pop("peak_dbfs") == -np.inf and m.pop("rms_dbfs") == -np.inf
    assert_json_safe(m)
    assert m["speech_rms_dbfs"] is None
    assert m["snr_db"] is None and m["bandwidth_hz"] is None and m["hum_db"] is None
    assert m["clipping_fraction"] == 0.0 and m["silence_ratio"] == 1.0


@pytest.mark.parametrize("kind", ["speech", "noise", "dc", "square", "impulse"])
@pytest.mark.parametrize("sr", [8000, 48000])
def test_short_and_odd_clips_are_json_safe(sr, kind):
    n = int(0.1 * sr)
    x = {
        "speech": voiced_speech(0.1, sample_rate=sr, pause_every_s=None),
        "noise": 0.1 * white_noise(n),
        "dc": np.full(n, 0.3),
        "square": np.sign(np.sin(2 * np.pi * 100 * np.arange(n) / sr)),
        "impulse": np.eye(1, n, n // 2)[0],
    }[kind]
    m = run(np.asarray(x, dtype=np.float32), sr)
    assert_json_safe(m)
    if kind == "square":
        assert m["clipping_fraction"] > 0.9


def test_ten_minute_clip():
    sr = 8000
    x = np.tile(voiced_speech(6.0, sample_rate=sr), 100)
    x = x + (1e-3 * white_noise(x.size)).astype(np.float32)
    m = run(x, sr)
    assert_json_safe(m)
    assert m["snr_method"] == "pauses"
    assert m["snr_db"] == pytest.approx(40.0, abs=3.0)
    # Per 6 s tile: three 0.35 s pauses and one 0.15 s pause (bridged: shorter than 0.15 s once the
    # 40 ms hangovers are taken off), each 0.08 s shorter for the hangovers: 0.81 s.
    assert m["silence_ratio"] == pytest.approx(0.81 / 6.0, abs=0.015)


@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("sr", [0, -8000, 44100.5, "16000"])
def test_bad_sample_rate_raises(measure, sr):
    x = np.zeros(1600, dtype=np.float32)
    act = speech_activity(x, sample_rate=16000)
    with pytest.raises(ParameterError):
        measure(x, sample_rate=sr, activity=act)


@pytest.mark.parametrize("measure", MEASURES)
def test_stereo_raises(measure):
    x = np.zeros((1600, 2), dtype=np.float32)
    act = speech_activity(np.zeros(1600, np.float32), sample_rate=16000)
    with pytest.raises(ParameterError):
        measure(x, sample_rate=16000, activity=act)
