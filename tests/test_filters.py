"""The numpy/scipy.fft Butterworth high-pass against scipy.signal, and the light per-clip worker."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.signal as sps

from voxaudit.signal.filters import butterworth_highpass_zpk, highpass_causal

RATES = (8000, 11025, 16000, 22050, 32000, 44100, 48000, 96000)


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("order,cutoff", [(4, 70.0), (2, 100.0), (6, 40.0)])
def test_design_equals_scipy_butter(rate, order, cutoff):
    zeros, poles, gain = butterworth_highpass_zpk(order, cutoff, rate)
    ref_z, ref_p, ref_k = sps.butter(order, cutoff, btype="highpass", fs=rate, output="zpk")
    np.testing.assert_allclose(np.sort_complex(zeros), np.sort_complex(ref_z), atol=1e-12)
    np.testing.assert_allclose(np.sort_complex(poles), np.sort_complex(ref_p), atol=1e-12)
    assert gain == pytest.approx(ref_k, rel=1e-12)


def _reference(x: np.ndarray, rate: int, cutoff: float = 70.0, order: int = 4) -> np.ndarray:
    sos = sps.butter(order, cutoff, btype="highpass", fs=rate, output="sos")
    out, _ = sps.sosfilt(sos, x.astype(np.float64), zi=sps.sosfilt_zi(sos) * float(x[0]))
    return out


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("seconds", [0.01, 0.3, 2.0, 9.5])
def test_highpass_equals_sosfilt_with_steady_start(rate, seconds):
    rng = np.random.default_rng(rate + int(seconds * 100))
    n = max(64, int(seconds * rate))
    t = np.arange(n) / rate
    # Speech-like band, rumble below the cutoff, a DC offset, and a stretch of digital silence.
    x = 0.2 * rng.standard_normal(n) + 0.3 * np.sin(2 * np.pi * 20 * t) + 0.25
    x[n // 3:n // 2] = 0.0
    x = x.astype(np.float32)
    out = highpass_causal(x, sample_rate=rate)
    assert out.dtype == np.float32 and out.shape == x.shape
    np.testing.assert_allclose(out, _reference(x, rate), rtol=0, atol=2e-7)


def test_highpass_other_orders_and_cutoffs():
    x = np.random.default_rng(3).standard_normal(50_000).astype(np.float32)
    for order, cutoff in [(2, 100.0), (6, 40.0), (4, 2000.0)]:
        out = highpass_causal(x, sample_rate=16000, cutoff_hz=cutoff, order=order)
        np.testing.assert_allclose(out, _reference(x, 16000, cutoff, order), rtol=0, atol=5e-7)


def test_highpass_removes_dc_and_rumble_keeps_voice_band():
    rate = 16000
    t = np.arange(5 * rate) / rate
    voice = np.sin(2 * np.pi * 440 * t)
    x = (0.5 + 0.5 * np.sin(2 * np.pi * 15 * t) + voice).astype(np.float32)
    out = highpass_causal(x, sample_rate=rate)[rate:]  # after the filter has settled
    spectrum = np.abs(np.fft.rfft(out)) / out.size  # 0.25 Hz bins over 4 s
    assert abs(out.mean()) < 1e-4  # DC gone
    assert spectrum[15 * 4] < 0.5 / 2 * 10 ** (-40 / 20)  # 15 Hz rumble down > 40 dB ((15/70)^4: 53 dB)
    assert spectrum[440 * 4] == pytest.approx(0.5, rel=0.01)  # the voice band passes (causal: phase shifts)


def test_highpass_edge_cases():
    assert highpass_causal(np.zeros(0, np.float32), sample_rate=16000).size == 0
    short = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    np.testing.assert_allclose(highpass_causal(short, sample_rate=16000), short - 2.0)
    # A cutoff at or above Nyquist leaves only the mean removed.
    x = np.arange(100, dtype=np.float32)
    np.testing.assert_allclose(highpass_causal(x, sample_rate=100, cutoff_hz=60.0), x - x.mean())
    # Exact digital silence stays silent (no rounding floor).
    assert not np.any(highpass_causal(np.zeros(48_000, np.float32), sample_rate=48000))


def test_clip_worker_does_not_import_scipy_signal_or_torch(tmp_path):
    """The measuring workers stay light: no scipy.signal (~47 MB per worker), torch or librosa."""
    code = textwrap.dedent(f"""
        import sys
        import numpy as np, soundfile as sf
        from voxaudit.config import Config
        from voxaudit.model import ClipSource
        from voxaudit.pipeline import process_clip
        rate = 48000
        t = np.arange(3 * rate) / rate
        x = 0.3 * np.sin(2 * np.pi * 220 * t) * (np.sin(2 * np.pi * 1.5 * t) > 0)
        x = (x + 0.003 * np.random.default_rng(0).standard_normal(t.size)).astype(np.float32)
        path = {str(tmp_path / 'clip.wav')!r}
        sf.write(path, x, rate)
        result, wav16k = process_clip(ClipSource(path=path, display_path='clip.wav'), Config(), 'en', True)
        assert result.metrics['snr_db'] is not None and wav16k.size == 3 * 16000
        heavy = sorted(m for m in ('scipy.signal', 'scipy.stats', 'torch', 'librosa', 'sklearn')
                       if m in sys.modules)
        print('heavy:', heavy)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "heavy: []" in done.stdout
