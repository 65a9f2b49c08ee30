"""Reverberation, plosive, AGC and denoising measures: known answers on synthetic and real speech."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import soundfile as sf
from scipy import signal as sps

from voxaudit.errors import ParameterError
from voxaudit.signal.activity import mask_runs, speech_activity
from voxaudit.signal.agc import measure_agc
from voxaudit.signal.denoise import measure_denoise
from voxaudit.signal.plosive import measure_plosives
from voxaudit.signal.reverb import measure_reverb

from synth import add_noise_at_snr, natural_speech, pink_noise, voiced_speech, white_noise

MEASURES = (measure_reverb, measure_plosives, measure_agc, measure_denoise)
KEYS = {
    measure_reverb: ("rt60_s", "reverb_decays"),
    measure_plosives: ("plosive_count", "plosive_max_db"),
    measure_agc: ("agc_pumping_db", "agc_pauses", "agc_gain_dip_db", "agc_score"),
    measure_denoise: ("digital_silence_ratio", "floor_modulation_db", "pause_drop_db", "floor_step_db",
                      "speech_floor_spread_db", "spectral_hole_ratio", "musical_noise_ratio", "denoise_score"),
}

# Clean real clips (studio / read speech) by source; the ones with pauses between words are marked.
CLEAN = {
    "aishell1": ["aishell1/aishell-S0150/BAC009S0150W0009.wav",
                 "aishell1/aishell-S0252/BAC009S0252W0050.wav",
                 "aishell1/aishell-S0913/BAC009S0913W0308.wav"],
    "vctk_16k": ["vctk_16k/vctk-p225/p225_020.wav", "vctk_16k/vctk-p226/p226_008.wav",
                 "vctk_16k/vctk-p227/p227_023.wav"],
    "ljspeech": ["ljspeech/lj/LJ001-0001.wav", "ljspeech/lj/LJ001-0009.wav"],
}
WITH_PAUSES = ["vctk_16k/vctk-p226/p226_008.wav", "vctk_16k/vctk-p225/p225_020.wav",
               "ljspeech/lj/LJ001-0001.wav"]


# --- helpers ---------------------------------------------------------------------------------------

def run(measure, x: np.ndarray, sr: int) -> dict:
    x = np.asarray(x, dtype=np.float32)
    return measure(x, sample_rate=sr, activity=speech_activity(x, sample_rate=sr))


def load(speech_dir, manifest, path: str) -> tuple[np.ndarray, int]:
    if not any(row["path"] == path for row in manifest):
        pytest.skip(f"{path} not in the speech manifest")
    x, sr = sf.read(speech_dir / path, dtype="float32", always_2d=False)
    return x, sr


def room(x: np.ndarray, sr: int, rt60_s: float, *, seed: int = 0) -> np.ndarray:
    """Convolve with a synthetic room: white noise under an exponential decay of the given RT60."""
    n = int(1.2 * rt60_s * sr)
    t = np.arange(n) / sr
    h = np.random.default_rng(seed).standard_normal(n) * np.exp(-3.0 * math.log(10.0) * t / rt60_s)
    h /= np.sqrt(np.sum(h ** 2))
    return sps.fftconvolve(x, h)[: x.size].astype(np.float32)


def pop(sr: int, *, freq_hz: float, amplitude: float, kind: str) -> np.ndarray:
    """A plosive pop: a 30 ms Hann-windowed low sine burst, or one half cycle with a damped rebound."""
    if kind == "burst":
        n = int(0.03 * sr)
        return (amplitude * np.hanning(n) * np.sin(2 * np.pi * freq_hz * np.arange(n) / sr)).astype(np.float32)
    half = np.sin(np.pi * np.arange(int(sr / (2 * freq_hz))) / (sr / (2 * freq_hz)))
    m = int(0.03 * sr)
    rebound = -0.4 * np.exp(-np.arange(m) / (0.008 * sr)) * np.sin(np.pi * np.arange(m) / m)
    return (amplitude * np.concatenate([half, rebound])).astype(np.float32)


def active_rms(x: np.ndarray, sr: int) -> float:
    act = speech_activity(x, sample_rate=sr)
    mask = np.repeat(act.speech, int(round(act.hop_s * sr)))
    mask = np.pad(mask, (0, max(0, x.size - mask.size)))[: x.size]
    return float(np.sqrt(np.mean(x[mask].astype(np.float64) ** 2)))


def add_pops_at_onsets(x: np.ndarray, sr: int, count: int, *, level: float = 6.0) -> np.ndarray:
    """Add ``count`` pops (40/60/80 Hz, both shapes) at speech onsets at least 0.4 s apart, with a peak
    ``level`` times the active speech RMS (about the speech's own peak level)."""
    act = speech_activity(x, sample_rate=sr)
    segments = act.speech_segments_s()
    onsets = [a for a, _ in segments if a > 0.1]
    # Where a clip has too few pauses, the ends of closures inside running speech (frames under the
    # speech threshold, bridged into the speech) are where plosives burst.
    quiet = act.speech & (act.frame_db < act.threshold_db)
    inside = [stop * act.hop_s for _, stop in mask_runs(quiet) if stop < act.speech.size - 30]
    placed: list[float] = []
    for t in onsets + inside:
        if all(abs(t - p) > 0.4 for p in placed):
            placed.append(t)
    assert len(placed) >= count, f"only {len(placed)} places for {count} pops"
    y = x.copy()
    amplitude = level * active_rms(x, sr)
    for i, t in enumerate(placed[:count]):
        p = pop(sr, freq_hz=(40.0, 60.0, 80.0)[i % 3], amplitude=amplitude,
                kind=("burst", "half")[i % 2])
        a = int(t * sr)
        y[a:a + p.size] += p[: y.size - a]
    return y


def apply_agc(x: np.ndarray, sr: int, *, max_gain_db: float = 12.0, release_db_per_s: float = 12.0,
              attack_s: float = 0.02, threshold_dbfs: float = -40.0) -> np.ndarray:
    """A gain that climbs at ``release_db_per_s`` (up to ``max_gain_db``) while the input stays under
    ``threshold_dbfs`` and falls back within ``attack_s`` when it rises above."""
    a = np.exp(-1.0 / (0.01 * sr))
    env = np.sqrt(sps.lfilter([1 - a], [1, -a], x.astype(np.float64) ** 2))
    loud = 20 * np.log10(env + 1e-12) > threshold_dbfs
    idx = np.arange(x.size)
    since = (idx - np.maximum.accumulate(np.where(loud, idx, -10 ** 9))) / sr
    gain_db = np.minimum(max_gain_db, release_db_per_s * since)
    b = np.exp(-1.0 / (attack_s * sr))
    gain_db = sps.lfilter([1 - b], [1, -b], gain_db)
    return (x * 10 ** (gain_db / 20)).astype(np.float32)


def time_gate(x: np.ndarray, sr: int, threshold_dbfs: float) -> np.ndarray:
    """A hard noise gate: every 10 ms block whose power is under the threshold becomes exact zero."""
    n = int(0.01 * sr)
    m = x.size // n * n
    blocks = x[:m].reshape(-1, n).astype(np.float64)
    keep = 10 * np.log10(np.mean(blocks ** 2, axis=1) + 1e-20) >= threshold_dbfs
    y = np.zeros_like(x)
    y[:m] = (blocks * keep[:, None]).reshape(-1)
    return y


def spectral_gate(x: np.ndarray, sr: int, noise: np.ndarray, *, threshold_db: float = 6.0) -> np.ndarray:
    """A spectral gate with a hard mask: STFT bins under the noise's mean power + threshold are zeroed."""
    kw = dict(fs=sr, nperseg=512, noverlap=384)
    _, _, spec = sps.stft(x, **kw)
    _, _, noise_spec = sps.stft(noise, **kw)
    ref = np.mean(np.abs(noise_spec) ** 2, axis=1, keepdims=True)
    _, y = sps.istft(spec * (np.abs(spec) ** 2 > ref * 10 ** (threshold_db / 10)), **kw)
    return y[: x.size].astype(np.float32)


def noisy(x: np.ndarray, snr_db: float = 30.0, *, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Speech plus pink noise at ``snr_db`` (speech power over its non-silent samples); also the noise."""
    y = add_noise_at_snr(x, pink_noise(x.size, seed=seed), snr_db, np.abs(x) > 1e-3)
    return y, (y - x).astype(np.float32)


def smooth_spectral_gate(x: np.ndarray, sr: int, *, n_std: float = 1.5, reduction: float = 1.0) -> np.ndarray:
    """A ``noisereduce``-style stationary spectral gate: a per-frequency threshold (mean + ``n_std``
    standard deviations, in dB) from the quietest 15 % of the frames, a mask smoothed over 3 bins x 7
    frames, and ``reduction`` of the masked-out part removed (1.0 = all)."""
    nper = 1024 if sr > 24000 else 512
    kw = dict(fs=sr, nperseg=nper, noverlap=3 * nper // 4)
    _, _, spec = sps.stft(x, **kw)
    db = 20 * np.log10(np.abs(spec) + 1e-10)
    quiet = db.mean(axis=0) <= np.percentile(db.mean(axis=0), 15)
    threshold = db[:, quiet].mean(axis=1) + n_std * db[:, quiet].std(axis=1)
    kernel = np.outer(np.hanning(5)[1:-1], np.hanning(9)[1:-1])
    mask = sps.convolve2d((db > threshold[:, None]).astype(float), kernel / kernel.sum(), "same")
    _, y = sps.istft(spec * (1.0 - reduction * (1.0 - mask)), **kw)
    return y[: x.size].astype(np.float32)


def expander(x: np.ndarray, sr: int, threshold_dbfs: float, *, range_db: float = 30.0,
             hold_s: float = 0.08, ramp_s: float = 0.015) -> np.ndarray:
    """A downward expander (a gate with ``range_db`` of range): 5 ms blocks under the threshold, more
    than ``hold_s`` from an open block, are attenuated by ``range_db``, with ramps of ``ramp_s`` (linear
    in dB: a slow release enters the pauses as gently as a room's tail)."""
    n = int(0.005 * sr)
    m = x.size // n * n
    blocks = x[:m].reshape(-1, n).astype(np.float64)
    is_open = 10 * np.log10(np.mean(blocks ** 2, axis=1) + 1e-20) > threshold_dbfs
    hold = int(round(hold_s / 0.005))
    is_open = np.convolve(is_open.astype(float), np.ones(2 * hold + 1), "same") > 0
    ramp = max(1, int(round(ramp_s / 0.005)))
    gain_db = np.convolve(np.where(is_open, 0.0, -range_db), np.ones(ramp) / ramp, "same")
    gain = 10 ** (gain_db / 20)
    y = x.astype(np.float64).copy()
    y[:m] = (blocks * gain[:, None]).reshape(-1)
    y[m:] *= gain[-1]
    return y.astype(np.float32)


# --- contract: types, edge cases, parameters -------------------------------------------------------

@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("sr", [8000, 11025, 16000, 22050, 37800, 48000])
@pytest.mark.parametrize("kind", ["zeros", "short_noise", "speech"])
def test_outputs_are_plain_json(measure, sr, kind):
    rng = np.random.default_rng(0)
    if kind == "zeros":
        x = np.zeros(int(0.5 * sr), dtype=np.float32)
    elif kind == "short_noise":
        x = (0.01 * rng.standard_normal(int(0.1 * sr))).astype(np.float32)
    else:
        x = voiced_speech(2.0, sample_rate=sr)
    out = run(measure, x, sr)
    assert tuple(out) == KEYS[measure]
    json.dumps(out, allow_nan=False)
    for value in out.values():
        assert value is None or (isinstance(value, (int, float)) and math.isfinite(value))


@pytest.mark.parametrize("measure", MEASURES)
def test_all_zero_clip_is_unmeasurable(measure):
    out = run(measure, np.zeros(16000, dtype=np.float32), 16000)
    counts = {"reverb_decays", "agc_pauses"}
    assert all(v is None for k, v in out.items() if k not in counts)
    assert all(out[k] == 0 for k in counts & set(out))


@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("bad", [0, -16000, 16000.5, True, None])
def test_bad_sample_rate_raises(measure, bad):
    x = np.zeros(1600, dtype=np.float32)
    act = speech_activity(x, sample_rate=16000)
    with pytest.raises(ParameterError):
        measure(x, sample_rate=bad, activity=act)


@pytest.mark.parametrize("measure", MEASURES)
def test_stereo_raises(measure):
    x = np.zeros((1600, 2), dtype=np.float32)
    act = speech_activity(x[:, 0], sample_rate=16000)
    with pytest.raises(ParameterError):
        measure(x, sample_rate=16000, activity=act)


@pytest.mark.parametrize("measure", MEASURES)
def test_parameters_are_keyword_only(measure):
    x = np.zeros(1600, dtype=np.float32)
    with pytest.raises(TypeError):
        measure(x, 16000, speech_activity(x, sample_rate=16000))


# --- reverberation ---------------------------------------------------------------------------------

@pytest.mark.parametrize("sr", [8000, 16000, 44100])
@pytest.mark.parametrize("seed", [0, 1])
def test_rt60_tracks_a_synthetic_room(sr, seed):
    x = voiced_speech(6.0, sample_rate=sr, seed=seed, f0_hz=120.0 + 40.0 * seed, pause_s=0.8)
    readings = []
    for rt60 in (0.3, 0.6, 1.0):
        y = add_noise_at_snr(room(x, sr, rt60, seed=seed), pink_noise(x.size, seed=5), 45.0)
        value = run(measure_reverb, y, sr)["rt60_s"]
        assert value == pytest.approx(rt60, rel=0.2)
        readings.append(value)
    assert readings[0] < readings[1] < readings[2]
    dry = run(measure_reverb, x, sr)["rt60_s"]
    assert dry is None or dry < 0.15


@pytest.mark.parametrize("path", [p for paths in CLEAN.values() for p in paths])
def test_rt60_rises_on_real_speech(speech_dir, manifest, path):
    x, sr = load(speech_dir, manifest, path)
    readings = [run(measure_reverb, x, sr)["rt60_s"]]
    for rt60 in (0.3, 0.6, 1.0):
        readings.append(run(measure_reverb, room(x, sr, rt60), sr)["rt60_s"])
    assert None not in readings
    assert readings[0] < 0.4  # dry studio / read speech
    assert readings[0] < readings[1] < readings[2] < readings[3]
    assert 0.3 <= readings[1] <= 0.55 and 0.55 <= readings[2] <= 0.85
    assert readings[3] > 0.65  # few free decays survive a 1 s room in continuous speech


def test_rt60_dry_sources_read_low(speech_dir, manifest):
    values = []
    for source in ("vctk_16k", "aishell1", "ljspeech"):
        rows = sorted((r for r in manifest if r["source"] == source), key=lambda r: r["path"])[:8]
        for row in rows:
            x, sr = load(speech_dir, manifest, row["path"])
            values.append(run(measure_reverb, x, sr)["rt60_s"])
    assert None not in values
    assert max(values) < 0.5 and float(np.median(values)) < 0.35


# --- plosives --------------------------------------------------------------------------------------

@pytest.mark.parametrize("sr", [8000, 16000, 44100])
@pytest.mark.parametrize("count", [1, 2, 3])
def test_pops_counted_on_synthetic_speech(sr, count):
    x = voiced_speech(6.0, sample_rate=sr, seed=2, f0_hz=110.0)
    assert run(measure_plosives, x, sr)["plosive_count"] == 0
    out = run(measure_plosives, add_pops_at_onsets(x, sr, count), sr)
    assert out["plosive_count"] == count
    assert out["plosive_max_db"] >= 15.0


@pytest.mark.parametrize("path", [p for paths in CLEAN.values() for p in paths])
def test_pops_counted_on_real_speech(speech_dir, manifest, path):
    x, sr = load(speech_dir, manifest, path)
    clean = run(measure_plosives, x, sr)
    assert clean["plosive_count"] == 0 and clean["plosive_max_db"] is None
    assert run(measure_plosives, add_pops_at_onsets(x, sr, 3), sr)["plosive_count"] == 3


def test_clean_sources_have_no_pops(speech_dir, manifest):
    total = 0
    for source in ("aishell1", "ljspeech", "voxceleb1"):
        rows = sorted((r for r in manifest if r["source"] == source), key=lambda r: r["path"])[:10]
        for row in rows:
            x, sr = load(speech_dir, manifest, row["path"])
            total += run(measure_plosives, x, sr)["plosive_count"]
    assert total == 0


def test_steady_low_hum_is_not_a_pop():
    sr = 16000
    x = voiced_speech(4.0, sample_rate=sr, seed=1)
    t = np.arange(x.size) / sr
    y = (x + 0.05 * np.sin(2 * np.pi * 50.0 * t)).astype(np.float32)
    assert run(measure_plosives, y, sr)["plosive_count"] == 0


# --- AGC -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sr", [16000, 44100])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("max_gain_db,release_db_per_s,expected_db", [(12.0, 12.0, 7.0), (15.0, 20.0, 8.0)])
def test_agc_pumping_on_synthetic_speech(sr, seed, max_gain_db, release_db_per_s, expected_db):
    x = voiced_speech(12.0, sample_rate=sr, seed=seed, pause_every_s=1.5, pause_s=1.0)
    y, _ = noisy(x, 30.0, seed=seed + 7)
    plain = run(measure_agc, y, sr)
    pumped = run(measure_agc, apply_agc(y, sr, max_gain_db=max_gain_db, release_db_per_s=release_db_per_s), sr)
    assert abs(plain["agc_pumping_db"]) < 1.0 and plain["agc_pauses"] >= 3
    assert pumped["agc_pumping_db"] > expected_db and pumped["agc_pauses"] >= 3


def test_agc_pumping_on_real_speech(speech_dir, manifest):
    parts = []
    for path in CLEAN["aishell1"]:
        x, sr = load(speech_dir, manifest, path)
        parts += [x, np.zeros(int(1.2 * sr), dtype=np.float32)]
    y, _ = noisy(np.concatenate(parts), 30.0)
    plain = run(measure_agc, y, sr)["agc_pumping_db"]
    # A slow AGC (6 dB/s up to +12 dB) over pauses of about 2 s (1.2 s joins plus the clips' own ends).
    pumped = run(measure_agc, apply_agc(y, sr, release_db_per_s=6.0), sr)["agc_pumping_db"]
    assert plain is not None and plain < 1.0  # the clips' own decays make it slightly negative
    assert pumped > 6.0


def test_agc_reads_low_on_real_speech(speech_dir, manifest):
    values = []
    for source in ("aishell1", "vctk_16k", "librispeech_test-other", "librispeech_train-clean-100"):
        rows = sorted((r for r in manifest if r["source"] == source), key=lambda r: r["path"])[:12]
        for row in rows:
            x, sr = load(speech_dir, manifest, row["path"])
            value = run(measure_agc, x, sr)["agc_pumping_db"]
            if value is not None:
                values.append(value)
    assert len(values) >= 5
    assert max(values) < 6.0


# --- denoising -------------------------------------------------------------------------------------

@pytest.mark.parametrize("sr", [16000, 44100])
def test_gates_score_high_on_synthetic_speech(sr):
    x = voiced_speech(6.0, sample_rate=sr, seed=4)
    y, noise = noisy(x, 30.0)
    plain = run(measure_denoise, y, sr)
    assert plain["denoise_score"] < 0.2 and plain["digital_silence_ratio"] == 0.0
    noise_dbfs = 10 * np.log10(np.mean(noise.astype(np.float64) ** 2))
    gated = run(measure_denoise, time_gate(y, sr, noise_dbfs + 8.0), sr)
    assert gated["digital_silence_ratio"] > 0.5 and gated["floor_modulation_db"] > 40.0
    assert gated["denoise_score"] > 0.75
    spectral = run(measure_denoise, spectral_gate(y, sr, noise), sr)
    assert spectral["spectral_hole_ratio"] > 0.01 and spectral["denoise_score"] > 0.75


@pytest.mark.parametrize("path", WITH_PAUSES)
def test_gates_score_high_on_real_speech(speech_dir, manifest, path):
    x, sr = load(speech_dir, manifest, path)
    y, noise = noisy(x, 30.0)
    assert run(measure_denoise, y, sr)["denoise_score"] < 0.2
    noise_dbfs = 10 * np.log10(np.mean(noise.astype(np.float64) ** 2))
    gated = run(measure_denoise, time_gate(y, sr, noise_dbfs + 8.0), sr)
    assert gated["digital_silence_ratio"] > 0.3 and gated["denoise_score"] > 0.75
    spectral = run(measure_denoise, spectral_gate(y, sr, noise), sr)
    assert spectral["spectral_hole_ratio"] > 0.01 and spectral["denoise_score"] > 0.6


@pytest.mark.parametrize("source", ["aishell1", "vctk_16k", "ljspeech"])
def test_clean_real_speech_is_not_denoised(speech_dir, manifest, source):
    rows = sorted((r for r in manifest if r["source"] == source), key=lambda r: r["path"])[:10]
    for row in rows:
        x, sr = load(speech_dir, manifest, row["path"])
        out = run(measure_denoise, x, sr)
        assert out["denoise_score"] < 0.2, row["path"]
        assert out["spectral_hole_ratio"] < 0.001, row["path"]
        assert out["digital_silence_ratio"] in (None, 0.0), row["path"]


def test_digital_silence_between_words_is_counted(speech_dir, manifest):
    # fsdd_concat joins spoken digits with 120 ms of exact digital silence: that is read as a sign.
    rows = sorted((r for r in manifest if r["source"] == "fsdd_concat"), key=lambda r: r["path"])[:6]
    if not rows:
        pytest.skip("no fsdd_concat clips")
    for row in rows:
        x, sr = load(speech_dir, manifest, row["path"])
        out = run(measure_denoise, x, sr)
        assert out["digital_silence_ratio"] > 0.2 and out["denoise_score"] >= 0.75, row["path"]


def test_leading_and_trailing_zeros_are_not_digital_silence_between_words():
    sr = 16000
    x = voiced_speech(4.0, sample_rate=sr, seed=6, pause_every_s=None)
    y, _ = noisy(x, 30.0)
    padded = np.concatenate([np.zeros(sr, np.float32), y, np.zeros(sr, np.float32)])
    out = run(measure_denoise, padded, sr)
    assert out["digital_silence_ratio"] in (None, 0.0)


@pytest.mark.parametrize("path", WITH_PAUSES)
def test_smooth_spectral_gate_on_real_speech(speech_dir, manifest, path):
    # A noisereduce-style denoiser run on a noisy take (pink noise 25 dB down) leaves spectral holes.
    x, sr = load(speech_dir, manifest, path)
    y, _ = noisy(x, 25.0)
    assert run(measure_denoise, y, sr)["denoise_score"] < 0.2
    out = run(measure_denoise, smooth_spectral_gate(y, sr), sr)
    assert out["spectral_hole_ratio"] > 0.005 and out["denoise_score"] >= 0.75


@pytest.mark.parametrize("path", WITH_PAUSES)
def test_expander_on_real_speech(speech_dir, manifest, path):
    # A gate with 30 dB of range: no digital silence, but the floor vanishes in the pauses only.
    x, sr = load(speech_dir, manifest, path)
    y, _ = noisy(x, 25.0)
    floor_dbfs = speech_activity(y, sample_rate=sr).noise_floor_db
    out = run(measure_denoise, expander(y, sr, floor_dbfs + 10.0), sr)
    assert out["digital_silence_ratio"] in (None, 0.0)
    assert out["floor_modulation_db"] > 23.0 and out["denoise_score"] >= 0.75
    # With 20 dB of range the sign is weaker but still above the natural clips (<= 16 dB in studio).
    out = run(measure_denoise, expander(y, sr, floor_dbfs + 10.0, range_db=20.0), sr)
    assert out["floor_modulation_db"] > 16.0


@pytest.mark.parametrize("path", WITH_PAUSES[:2])
@pytest.mark.parametrize("range_db", [15.0, 25.0])
def test_gentle_expander_under_steady_noise(speech_dir, manifest, path, range_db):
    # Steady noise 18 dB under the voice, turned down by range_db in the pauses with a 150 ms ramp: the
    # fall into the pauses is as gentle as a room's, but the noise under speech stands range_db above
    # the pauses' in every band (signal/expander.py).
    x, sr = load(speech_dir, manifest, path)
    y, _ = noisy(x, 18.0)
    plain = run(measure_denoise, y, sr)
    assert abs(plain["floor_step_db"]) < 3.0 and plain["speech_floor_spread_db"] < 5.0
    assert plain["denoise_score"] < 0.3
    floor_dbfs = speech_activity(y, sample_rate=sr).noise_floor_db
    out = run(measure_denoise, expander(y, sr, floor_dbfs + 10.0, range_db=range_db, ramp_s=0.15), sr)
    assert out["digital_silence_ratio"] in (None, 0.0)
    assert abs(out["floor_step_db"] - range_db) < 4.0 and out["speech_floor_spread_db"] < 5.0
    assert out["denoise_score"] >= 0.5


def test_floor_step_known_answers():
    from voxaudit.signal.expander import STEADY_SPREAD_DB, floor_step_db

    rng = np.random.default_rng(0)
    speech = np.tile(np.repeat([True, False], 50), 8)
    edges = np.geomspace(1000.0, 7000.0, 9)
    noise = -60.0 + rng.normal(0.0, 1.0, (speech.size, edges.size))
    # The same steady noise in the pauses as under speech: no step.
    step, spread = floor_step_db(noise, speech, edges, dead_db=-150.0)
    assert abs(step) < 1.5 and spread < STEADY_SPREAD_DB
    # Pauses turned down by 20 dB: the step is the range.
    step, spread = floor_step_db(np.where(speech[:, None], noise, noise - 20.0), speech, edges, dead_db=-150.0)
    assert 17.0 < step < 21.0 and spread < STEADY_SPREAD_DB
    # A floor under speech that follows the voice (clean speech): it spreads, the step is not a gate's.
    voice = noise + np.where(speech[:, None], rng.uniform(0.0, 40.0, noise.shape), 0.0)
    _, spread = floor_step_db(voice, speech, edges, dead_db=-150.0)
    assert spread > STEADY_SPREAD_DB
    # Bands under 1 kHz do not count; too few frames or bands give None.
    assert floor_step_db(noise, speech, edges / 10.0, dead_db=-150.0) == (None, None)
    assert floor_step_db(noise[:15], speech[:15], edges, dead_db=-150.0) == (None, None)


@pytest.mark.parametrize("snr_db", [12.0, 18.0])
def test_musical_noise_of_spectral_subtraction(snr_db):
    from degradations import spectral_subtraction

    sr = 16000
    x = natural_speech(6.0, sample_rate=sr, seed=4)
    y = add_noise_at_snr(x, white_noise(x.size, seed=6), snr_db)
    plain = run(measure_denoise, y, sr)
    assert plain["musical_noise_ratio"] < 0.002 and plain["denoise_score"] < 0.3
    for alpha, beta in ((4.0, 0.002), (2.0, 0.01)):
        out = run(measure_denoise, spectral_subtraction(y, sr, alpha=alpha, beta=beta), sr)
        assert out["musical_noise_ratio"] > 0.03 and out["denoise_score"] >= 0.5, (alpha, beta, out)


@pytest.mark.parametrize("sr", [16000, 44100])
@pytest.mark.parametrize("kind", ["white", "pink"])
def test_natural_floor_is_not_denoised(sr, kind):
    # A continuous noise floor under speech with real-speech dynamics: no sign up to 50 dB SNR; at 60 dB
    # (beyond any real corpus here, 51 dB at most) the voice starts to mask the floor: below error.
    x = natural_speech(6.0, sample_rate=sr, seed=3)
    noise = white_noise(x.size, seed=5) if kind == "white" else pink_noise(x.size, seed=5)
    for snr_db, limit in ((30.0, 0.2), (40.0, 0.2), (50.0, 0.5), (60.0, 0.75)):
        out = run(measure_denoise, add_noise_at_snr(x, noise, snr_db), sr)
        assert out["digital_silence_ratio"] == 0.0
        assert out["denoise_score"] < limit, (snr_db, out)


@pytest.mark.parametrize("path", WITH_PAUSES + ["vctk_48k/vctk-p233/p233_023.wav",
                                                "aishell1/aishell-S0150/BAC009S0150W0009.wav"])
@pytest.mark.parametrize("rt60", [0.6, 1.0])
def test_reverberation_is_not_read_as_denoising(speech_dir, manifest, path, rt60):
    # Reverberant tails fill the floor under speech and are gone in long pauses, like a gate's work; but
    # they decay gently into the pauses, where a gate drops the floor at once.
    x, sr = load(speech_dir, manifest, path)
    out = run(measure_denoise, room(x, sr, rt60, seed=1), sr)
    assert out["pause_drop_db"] is None or out["pause_drop_db"] < 15.0
    assert out["denoise_score"] < 0.75, out


def test_agc_pause_floor_sign_known_answers():
    """The third AGC sign: the pause floor's excess over the floor under speech, only where noise is loud."""
    from voxaudit.signal.agc import agc_score, combine_pause_floor, pause_floor_excess_db

    assert pause_floor_excess_db(-5.0, 12.0) == 5.0
    assert pause_floor_excess_db(-5.0, 25.0) is None  # quiet noise: a breath can set a near-silent pause floor
    assert pause_floor_excess_db(None, 12.0) is None and pause_floor_excess_db(-5.0, None) is None
    assert agc_score(None, None, 0, 3.5) == 0.5 and agc_score(None, None, 0, 6.5) == 0.75
    assert agc_score(None, -3.0, 0, 2.0) < 0.5
    out = combine_pause_floor({"floor_modulation_db": -6.5, "snr_db": 10.0, "agc_pumping_db": None,
                               "agc_gain_dip_db": -1.0, "agc_pauses": 0})
    assert out == {"agc_pause_excess_db": 6.5, "agc_score": 0.75}
    # The rise and dip keep their own scale: a 0.5 dB dip alone is still a warning.
    assert combine_pause_floor({"floor_modulation_db": 1.0, "snr_db": 30.0, "agc_pumping_db": None,
                                "agc_gain_dip_db": 0.5, "agc_pauses": 0})["agc_score"] == 0.5
