"""The embedding cache: hits, misses, corruption, a killed writer, and its use by a scan."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from voxaudit.cache import ROWS_PER_COMMIT, EmbeddingCache, content_sha256
from voxaudit.errors import ParameterError

SHA_A, SHA_B = "a" * 64, "b" * 64
W1, W2 = "1" * 64, "2" * 64


def vec(seed: int, dim: int = 8) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=dim).astype(np.float32)


# -- unit ---------------------------------------------------------------------------------------------

def test_hit_returns_the_stored_vector(tmp_path):
    path = tmp_path / "sub" / "emb.sqlite"  # the folder is created
    with EmbeddingCache(path) as cache:
        assert cache.put_many([((SHA_A, "ge2e", W1), vec(1))]) == 1
    with EmbeddingCache(path) as cache:  # persisted across connections
        hit = cache.get((SHA_A, "ge2e", W1))
        assert hit.dtype == np.float32 and np.array_equal(hit, vec(1))
        assert len(cache) == 1 and cache.notices == []


@pytest.mark.parametrize("key", [(SHA_B, "ge2e", W1), (SHA_A, "ecapa", W1), (SHA_A, "ge2e", W2)])
def test_key_is_content_encoder_and_weights(tmp_path, key):
    """Changing any one part of the key (audio bytes, encoder, weights checksum) is a miss."""
    with EmbeddingCache(tmp_path / "emb.sqlite") as cache:
        cache.put_many([((SHA_A, "ge2e", W1), vec(1))])
        assert cache.get(key) is None
        assert cache.get_many([key, (SHA_A, "ge2e", W1)]).keys() == {(SHA_A, "ge2e", W1)}


def test_put_replaces_and_get_many_handles_many_keys(tmp_path):
    keys = [(f"{i:064x}", "ge2e", W1) for i in range(450)]  # more than one SELECT's worth
    with EmbeddingCache(tmp_path / "emb.sqlite") as cache:
        assert cache.put_many([(k, vec(i)) for i, k in enumerate(keys)]) == 450
        cache.put_many([(keys[0], vec(999))])
        found = cache.get_many(keys)
        assert len(found) == 450 and len(cache) == 450
        assert np.array_equal(found[keys[0]], vec(999)) and np.array_equal(found[keys[449]], vec(449))


def test_bad_key_is_a_parameter_error(tmp_path):
    with EmbeddingCache(tmp_path / "emb.sqlite") as cache:
        with pytest.raises(ParameterError, match="cache key"):
            cache.get((SHA_A, "ge2e"))
        with pytest.raises(ParameterError, match="cache key"):
            cache.put_many([((SHA_A, "", W1), vec(1))])


def test_content_hash_is_of_the_bytes(tmp_path):
    a, b = tmp_path / "a.wav", tmp_path / "renamed.wav"
    a.write_bytes(b"abc")
    b.write_bytes(b"abc")
    assert content_sha256(a) == content_sha256(b) == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")


# -- corruption -----------------------------------------------------------------------------------------

def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not an SQLite database\x00" * 300)


def _truncated(path: Path) -> None:
    with EmbeddingCache(path) as cache:
        cache.put_many([((f"{i:064x}", "ge2e", W1), vec(i, 192)) for i in range(400)])
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # pages missing: the integrity check fails


def _other_schema(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE something (x)")
    con.commit()
    con.close()


@pytest.mark.parametrize("damage", [_garbage, _truncated, _other_schema])
def test_corrupt_file_is_rebuilt_with_a_warning(tmp_path, damage):
    path = tmp_path / "emb.sqlite"
    damage(path)
    told = []
    with pytest.warns(RuntimeWarning, match="unusable"):
        cache = EmbeddingCache(path, notice=told.append)
    with cache:
        assert len(told) == 1 and "rebuilt empty" in told[0] and str(path) in told[0]
        assert len(cache) == 0
        cache.put_many([((SHA_A, "ge2e", W1), vec(1))])
        assert np.array_equal(cache.get((SHA_A, "ge2e", W1)), vec(1))
    aside = [p for p in tmp_path.iterdir() if ".corrupt-" in p.name and not p.name.endswith(("-wal", "-shm"))]
    assert len(aside) == 1  # the damaged file is kept for inspection, not deleted
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rebuilt file opens cleanly
        with EmbeddingCache(path) as again:
            assert len(again) == 1


# -- a killed run -----------------------------------------------------------------------------------------

WRITER = r"""
import sys, numpy as np
from voxaudit.cache import EmbeddingCache
cache = EmbeddingCache(sys.argv[1])
i = 0
while True:  # batches of 100 rows, forever, until killed
    cache.put_many([((f"{i + k:064x}", "ge2e", "1" * 64), np.full(192, i + k, np.float32)) for k in range(100)])
    i += 100
    print(i, flush=True)
"""


def test_killed_writer_keeps_committed_rows(tmp_path):
    """SIGKILL a process in the middle of writing: every committed row is intact, the file opens
    without a rebuild, and writing can go on."""
    path = tmp_path / "emb.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        written = 0
        while written < 1000 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            written = int(line)
        assert written >= 1000, "writer did not get going"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    told = []
    with EmbeddingCache(path, notice=told.append) as cache:
        assert told == []
        n = len(cache)
        # Each call of 100 rows commits 64, then 36: a kill lands between or inside calls.
        assert ROWS_PER_COMMIT == 64 and n >= written and n % 100 in (0, 64)
        found = cache.get_many([(f"{i:064x}", "ge2e", "1" * 64) for i in range(n)])
        assert len(found) == n
        assert all(float(v[0]) == int(k[0], 16) for k, v in found.items())  # rows not mixed up
        cache.put_many([((SHA_A, "ge2e", W1), vec(1))])
        assert len(cache) == n + 1


# -- in a scan ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def speech_files(manifest, speech_dir):
    rows = [r for r in manifest if r["speaker_id"] == "vctk-p225"][:7]
    return [str(speech_dir / r["path"]) for r in rows]


def _scan(paths, cache):
    from voxaudit.pipeline import ScanOptions, scan

    notes = []
    options = ScanOptions(jobs=1, encoder="ge2e", device="cpu", cache_path=str(cache), html=False)
    result = scan([str(p) for p in paths], options, notice=notes.append)
    return result, notes


@pytest.mark.speech
def test_scan_embeds_only_what_is_new(speech_files, tmp_path):
    cache = tmp_path / "shared.sqlite"
    first, _ = _scan(speech_files[:5], cache)
    assert (first.summary["embedded"], first.summary["cache_hits"]) == (5, 0)
    again, _ = _scan(speech_files[:5], cache)
    assert (again.summary["embedded"], again.summary["cache_hits"]) == (0, 5)
    assert np.array_equal(again.embeddings, first.embeddings)
    assert [c.identity for c in again.clips] == [c.identity for c in first.clips]
    # Two clips added, one of them a renamed copy of a clip already embedded: only one new embedding.
    copy = tmp_path / "renamed copy.wav"
    copy.write_bytes(Path(speech_files[0]).read_bytes())
    grown, _ = _scan(speech_files[:6] + [copy], cache)
    assert (grown.summary["embedded"], grown.summary["cache_hits"]) == (1, 6)
    with EmbeddingCache(cache) as c:
        assert len(c) == 6


@pytest.mark.speech
def test_scan_survives_a_corrupt_cache(speech_files, tmp_path):
    cache = tmp_path / "emb.sqlite"
    _garbage(cache)
    with pytest.warns(RuntimeWarning):
        result, notes = _scan(speech_files[:5], cache)
    assert any("unusable" in n and "rebuilt" in n for n in notes)
    assert result.summary["embedded"] == 5 and result.summary["encoder"] == "ge2e"
    assert all(c.identity is not None for c in result.clips)
    again, notes = _scan(speech_files[:5], cache)
    assert again.summary["cache_hits"] == 5 and not notes
