"""A persistent cache of speaker embeddings, and the content hash that keys it.

The cache is one SQLite file. A row is keyed by ``(content_sha256, encoder_name, weights_sha256)``:
the same audio bytes embedded by the same encoder with the same weights give the same vector, wherever
the file lives or whatever it is called. Writes are committed in small transactions in WAL mode, so a
run that is killed keeps every batch it committed and a second process can read while one writes. A
file that is not a usable cache (corrupt, not SQLite, another schema) is moved aside and rebuilt with a
warning; the cache never stops a run.

>>> import tempfile, os, numpy as np
>>> from voxaudit.cache import EmbeddingCache
>>> path = os.path.join(tempfile.mkdtemp(), "embeddings.sqlite")
>>> with EmbeddingCache(path) as cache:
...     cache.put_many([(("ab" * 32, "ge2e", "cd" * 32), np.ones(4, dtype=np.float32))])
...     cache.get(("ab" * 32, "ge2e", "cd" * 32))
array([1., 1., 1., 1.], dtype=float32)
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
import warnings
from typing import Callable, Iterable, Optional

import numpy as np

from .errors import ParameterError

__all__ = ["EmbeddingCache", "CacheKey", "content_sha256"]

# (content_sha256, encoder name, weights sha256)
CacheKey = tuple[str, str, str]

SCHEMA_VERSION = 1
# Rows per transaction in put_many: small enough that a kill loses little, big enough to be fast.
ROWS_PER_COMMIT = 64
# Keys per SELECT in get_many (SQLite's default limit on bound parameters is 32766; stay far below).
KEYS_PER_QUERY = 200
HASH_CHUNK_BYTES = 1 << 20

_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    content_sha256 TEXT NOT NULL,
    encoder        TEXT NOT NULL,
    weights_sha256 TEXT NOT NULL,
    dim            INTEGER NOT NULL,
    vector         BLOB NOT NULL,
    created_s      REAL NOT NULL,
    PRIMARY KEY (content_sha256, encoder, weights_sha256)
) WITHOUT ROWID
"""


def content_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB chunks (constant memory).

    Parameters
    ----------
    path : str or PathLike
        The file to hash.

    Returns
    -------
    str
        64 lowercase hex digits.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile(delete=False) as fh:
    ...     _ = fh.write(b"abc")
    >>> content_sha256(fh.name)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(HASH_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_key(key) -> CacheKey:
    if not (isinstance(key, tuple) and len(key) == 3 and all(isinstance(part, str) and part for part in key)):
        raise ParameterError(f"a cache key is (content_sha256, encoder_name, weights_sha256), got {key!r}")
    return key


class EmbeddingCache:
    """SQLite cache of embeddings keyed by ``(content_sha256, encoder_name, weights_sha256)``.

    Parameters
    ----------
    path : str or PathLike
        The cache file; its folder is created. ``":memory:"`` gives a private in-memory cache.
    notice : callable, optional
        Called with a one-line message when the file had to be rebuilt. The same message is also
        issued with ``warnings.warn`` (``RuntimeWarning``) and kept in ``self.notices``.
    timeout_s : float
        How long a writer waits for another process's lock before giving up.

    Notes
    -----
    Vectors are stored as float32 bytes and come back as float32 ``[dim]`` arrays. ``put_many`` commits
    every ``ROWS_PER_COMMIT`` rows, so a process killed mid-run keeps what it committed. The file is in
    WAL mode: any number of readers can open it while one process writes. A write that fails (disk full,
    lock timeout) is reported through ``notice`` and skipped, never raised: the cache is an optimisation.
    """

    def __init__(self, path: str | os.PathLike, *, notice: Optional[Callable[[str], None]] = None,
                 timeout_s: float = 30.0):
        self.path = os.fspath(path)
        self._notice_cb = notice
        self.notices: list[str] = []
        self._timeout_s = float(timeout_s)
        self._lock = threading.Lock()
        self._conn: Optional[sqlite3.Connection] = None
        if self.path != ":memory:":
            folder = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(folder, exist_ok=True)
        try:
            self._conn = self._open()
        except sqlite3.DatabaseError as error:
            self._rebuild(f"{type(error).__name__}: {error}")
        except OSError as error:  # pragma: no cover - e.g. the path is a folder
            self._rebuild(f"{type(error).__name__}: {error}")

    # -- opening and recovery -----------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self._timeout_s, isolation_level=None,
                               check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {int(self._timeout_s * 1000)}")
        return conn

    def _open(self) -> sqlite3.Connection:
        conn = self._connect()
        try:
            # Reading the schema is what fails on a file that is not SQLite.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if tables and (version != SCHEMA_VERSION or "embeddings" not in tables):
                raise sqlite3.DatabaseError(f"not a voxaudit embedding cache (schema version {version}, "
                                            f"tables {sorted(tables)})")
            if tables:
                check = conn.execute("PRAGMA quick_check").fetchone()[0]
                if check != "ok":
                    raise sqlite3.DatabaseError(f"integrity check failed: {check}")
            if self.path != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            if not tables:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(_SCHEMA)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                conn.execute("COMMIT")
        except BaseException:
            conn.close()
            raise
        return conn

    def _tell(self, message: str) -> None:
        self.notices.append(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)
        if self._notice_cb is not None:
            self._notice_cb(message)

    def _rebuild(self, reason: str) -> None:
        """Move the unusable file (and its WAL/SHM side files) aside and start an empty cache."""
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
            self._conn = None
        original = self.path
        aside = f"{self.path}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        moved = False
        for suffix in ("", "-wal", "-shm"):
            if self.path != ":memory:" and os.path.isfile(self.path + suffix):
                try:
                    os.replace(self.path + suffix, aside + suffix)
                    moved = moved or suffix == ""
                except OSError:
                    pass
        where = f"moved to {aside}" if moved else "removed"
        try:
            self._conn = self._open()
        except (sqlite3.Error, OSError) as error:
            # Not even a fresh file can be made here (read-only folder ...): cache in memory for this run.
            self.path = ":memory:"
            self._conn = self._open()
            where += f"; a new file could not be created ({error}), caching in memory for this run"
        self._tell(f"embedding cache {original} was unusable ({reason}); {where} and rebuilt empty")

    # -- reading and writing --------------------------------------------------------------------------
    def get_many(self, keys: Iterable[CacheKey]) -> dict[CacheKey, np.ndarray]:
        """Look up many keys at once.

        Parameters
        ----------
        keys : iterable of (content_sha256, encoder_name, weights_sha256)

        Returns
        -------
        dict
            ``key -> float32 [dim] array`` for the keys found; missing keys are absent.
        """
        wanted = [_check_key(key) for key in keys]
        found: dict[CacheKey, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(wanted), KEYS_PER_QUERY):
                chunk = wanted[start:start + KEYS_PER_QUERY]
                where = " OR ".join(["(content_sha256=? AND encoder=? AND weights_sha256=?)"] * len(chunk))
                params = [part for key in chunk for part in key]
                try:
                    rows = self._conn.execute(
                        f"SELECT content_sha256, encoder, weights_sha256, dim, vector FROM embeddings "
                        f"WHERE {where}", params).fetchall()
                except sqlite3.DatabaseError as error:
                    self._rebuild(f"{type(error).__name__}: {error}")
                    return {}
                for sha, encoder, weights, dim, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.size == dim:
                        found[(sha, encoder, weights)] = vector.copy()
        return found

    def get(self, key: CacheKey) -> Optional[np.ndarray]:
        """The cached float32 ``[dim]`` vector for ``key``, or ``None``."""
        return self.get_many([key]).get(_check_key(key))

    def put_many(self, items: Iterable[tuple[CacheKey, np.ndarray]]) -> int:
        """Store ``(key, vector)`` pairs, replacing existing rows; commit every ``ROWS_PER_COMMIT`` rows.

        Returns
        -------
        int
            Rows committed. A failed write is reported through ``notice`` and stops this call (what
            was committed before stays); it is never raised.
        """
        rows = []
        for key, vector in items:
            sha, encoder, weights = _check_key(key)
            vec = np.ascontiguousarray(np.asarray(vector, dtype=np.float32).reshape(-1))
            rows.append((sha, encoder, weights, int(vec.size), vec.tobytes(), time.time()))
        written = 0
        with self._lock:
            for start in range(0, len(rows), ROWS_PER_COMMIT):
                chunk = rows[start:start + ROWS_PER_COMMIT]
                try:
                    self._conn.execute("BEGIN IMMEDIATE")
                    self._conn.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?, ?, ?)", chunk)
                    self._conn.execute("COMMIT")
                except sqlite3.Error as error:
                    try:
                        self._conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                    message = f"embedding cache {self.path}: write failed ({error}); continuing without caching"
                    self.notices.append(message)
                    if self._notice_cb is not None:
                        self._notice_cb(message)
                    else:
                        warnings.warn(message, RuntimeWarning, stacklevel=2)
                    break
                written += len(chunk)
        return written

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])

    def close(self) -> None:
        """Close the connection (everything was already committed)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> "EmbeddingCache":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"EmbeddingCache({self.path!r})"
