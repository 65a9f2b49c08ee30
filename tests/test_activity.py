"""Framing and speech activity: exact grids, exact digital zero, pauses where the truth has them."""

from __future__ import annotations

import numpy as np
import pytest

from voxaudit.errors import ParameterError
from voxaudit.signal.activity import (
    DB_FLOOR,
    check_input,
    frame_power,
    frame_signal,
    mask_runs,
    power_db,
    speech_activity,
)

from synth import add_noise_at_snr, voiced_speech, white_noise

RATES = [8000, 11025, 16000, 22050, 44100, 48000, 96000]


@pytest.mark.parametrize("sr", RATES + [100, 7])
@pytest.mark.parametrize("n", [1, 37, 1000, 12345])
def test_frame_power_matches_explicit_frames(sr, n):
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n).astype(np.float32)
    x[: n // 3] = 0.0
    ref = np.mean(np.square(frame_signal(x, sample_rate=sr), dtype=np.float64), axis=1)
    got = frame_power(x, sample_rate=sr)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-12)


@pytest.mark.parametrize("sr", RATES)
def test_activity_grid_is_the_frame_signal_grid(sr):
    x = voiced_speech(1.3, sample_rate=sr)
    act = speech_activity(x, sample_rate=sr)
    frames = frame_signal(x, sample_rate=sr, frame_s=act.frame_s, hop_s=act.hop_s)
    assert frames.shape[0] == act.n_frames == frame_signal(x, sample_rate=sr).shape[0]
    assert frames.shape[1] == int(round(0.020 * sr))
    # hop_s is the exact hop of the sample grid, so frame i starts at round(i * hop_s * sr).
    assert act.frame_to_sample(1000, sr) == 1000 * int(round(0.010 * sr))
    assert act.speech.shape == act.digital_zero.shape == act.frame_db.shape
    assert act.filtered is not None and act.filtered.shape == x.shape


def test_digital_zero_is_exact():
    sr = 16000
    x = np.zeros(sr, dtype=np.float32)
    x[8000] = 1e-30  # one tiny non-zero sample: not digital zero
    act = speech_activity(x, sample_rate=sr)
    frames = frame_signal(x, sample_rate=sr)
    np.testing.assert_array_equal(act.digital_zero, ~np.any(frames != 0, axis=1))
    assert not act.digital_zero.all() and act.digital_zero.sum() == act.n_frames - 2
    assert np.all(act.frame_db[act.digital_zero] == DB_FLOOR)
    assert not act.speech.any()


def test_power_db_and_mask_runs():
    assert power_db(0.0) == DB_FLOOR
    assert power_db(0.5) == pytest.approx(-3.0103, abs=1e-4)
    assert mask_runs(np.array([0, 1, 1, 0, 1], dtype=bool)) == [(1, 3), (4, 5)]
    assert mask_runs(np.zeros(0, dtype=bool)) == []


@pytest.mark.parametrize("snr_db", [10, 20, 40])
@pytest.mark.parametrize("sr", [8000, 16000, 48000])
def test_pauses_are_found_where_they_are(sr, snr_db):
    # Synthetic speech: 1.2 s syllable trains, 0.35 s pauses; noise fills the pauses.
    clean = voiced_speech(6.0, sample_rate=sr, pause_every_s=1.2, pause_s=0.35)
    x = add_noise_at_snr(clean, white_noise(clean.size), snr_db)
    act = speech_activity(x, sample_rate=sr)
    truth = np.abs(frame_signal(clean, sample_rate=sr)).max(axis=1) > 0
    agree = np.mean(act.speech == truth)
    assert agree > 0.9
    # Every true pause is (mostly) seen: 4 internal pauses of 0.35 s, minus the 40 ms hangovers.
    pauses = [(a, b) for a, b in act.runs(False) if a > 0 and b < act.n_frames]
    assert len(pauses) == 3
    for a, b in pauses:
        assert 0.2 <= (b - a) * act.hop_s <= 0.4


def test_continuous_noise_has_no_pause_contrast():
    sr = 16000
    x = (0.01 * white_noise(3 * sr)).astype(np.float32)
    act = speech_activity(x, sample_rate=sr)
    # No level contrast: either all speech (loud enough) or none; never a random split.
    assert act.speech.all()
    quiet = (1e-5 * white_noise(3 * sr)).astype(np.float32)
    assert not speech_activity(quiet, sample_rate=sr).speech.any()


def test_speech_segments_s():
    sr = 16000
    tone = (0.1 * np.sin(2 * np.pi * 200 * np.arange(sr) / sr)).astype(np.float32)
    x = np.concatenate([np.zeros(sr, np.float32), tone, np.zeros(sr, np.float32)])
    (start, end), = speech_activity(x, sample_rate=sr).speech_segments_s()
    # The hangover never spreads speech into exact digital zero.
    assert start == pytest.approx(1.0, abs=0.015)
    assert end == pytest.approx(2.0, abs=0.015)
    # Into a live floor it does (40 ms each side).
    y = x + (1e-4 * white_noise(x.size)).astype(np.float32)
    (start, end), = speech_activity(y, sample_rate=sr).speech_segments_s()
    assert start == pytest.approx(1.0 - 0.04, abs=0.015)
    assert end == pytest.approx(2.0 + 0.04, abs=0.025)


@pytest.mark.parametrize("sr", [0, -16000, 16000.5, "16000", None, True, float("nan")])
def test_bad_sample_rate_raises(sr):
    with pytest.raises(ParameterError):
        speech_activity(np.zeros(100, np.float32), sample_rate=sr)
    with pytest.raises(ParameterError):
        check_input(np.zeros(100, np.float32), sr)


def test_stereo_input_raises():
    with pytest.raises(ParameterError, match="mono"):
        speech_activity(np.zeros((100, 2), np.float32), sample_rate=16000)


@pytest.mark.parametrize("n", [0, 1, 5, 1600])
def test_tiny_and_empty_clips(n):
    act = speech_activity(np.full(n, 0.1, np.float32), sample_rate=16000)
    assert act.n_frames == 1 or act.n_frames == frame_signal(np.zeros(n), sample_rate=16000).shape[0]
    assert np.all(np.isfinite(act.frame_db))
