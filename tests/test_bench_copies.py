"""scripts/bench.py's scaled scan set: every copy must be new content, or the embedding cache makes it free."""

import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]


def _bench_module():
    spec = importlib.util.spec_from_file_location("voxaudit_bench", ROOT / "scripts" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_scaled_copy_has_its_own_content(tmp_path):
    bench = _bench_module()
    speech = tmp_path / "speech"
    speech.mkdir()
    rng = np.random.default_rng(0)
    rows = []
    for name, rate in (("a.wav", 16000), ("b.flac", 22050)):
        sf.write(speech / name, (0.1 * rng.standard_normal(rate // 2)).astype(np.float32), rate)
        rows.append({"path": name, "duration_s": "0.5"})
    scale = 300  # past 256: the copy number spills into the second-to-last sample
    seconds = bench._copy_set(speech, rows, tmp_path / "set", scale)
    files = sorted((tmp_path / "set").rglob("*.*"))
    assert len(files) == 2 * scale and seconds == 2 * scale * 0.5
    decoded = {hashlib.sha256(sf.read(f, dtype="int16")[0].tobytes()).hexdigest() for f in files}
    assert len(decoded) == 2 * scale
    # The change is tiny: at most 255 LSB in two samples.
    original, _ = sf.read(speech / "a.wav", dtype="int16")
    last, _ = sf.read(next(f for f in files if f.parent.name == f"copy{scale - 1:02d}" and "a.wav" in f.name),
                      dtype="int16")
    changed = np.flatnonzero(original != last)
    assert set(changed) <= {original.size - 2, original.size - 1}
    assert np.max(np.abs(original.astype(int) - last.astype(int))) <= 255
