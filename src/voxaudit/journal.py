"""The measurement journal: per-clip results kept on disk as they finish, so a killed scan loses nothing.

Re-running the same scan into the same output folder reuses every clip whose file is unchanged (same
resolved path, size and modification time) and that was measured by the same code, thresholds and
language; only the rest is decoded and measured again. Speaker embeddings have their own cache
(:mod:`voxaudit.cache`); together they make an interrupted run resumable.

The journal is one SQLite file (WAL mode, committed every few clips). A file that is not a usable journal
is moved aside and started afresh with a notice: it never stops a run.

>>> import tempfile, os
>>> from voxaudit.journal import MeasurementJournal
>>> journal = MeasurementJournal(os.path.join(tempfile.mkdtemp(), "j.sqlite"), fingerprint="x")
>>> len(journal)
0
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Callable, Iterable, Optional

from .model import ClipResult, ClipSource, Finding

SCHEMA_VERSION = 1
# Results per transaction: a kill loses at most this many finished clips.
ROWS_PER_COMMIT = 8
# ...or whatever finished in this many seconds, whichever comes first.
SECONDS_PER_COMMIT = 2.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    file_key    TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    result      TEXT NOT NULL
) WITHOUT ROWID
"""


def code_fingerprint(config, lang: str) -> str:
    """SHA-256 naming what produced a result: the measuring code's source, the thresholds and language.

    Hashing the source of the loader, the signal measures and the judge means a result is never reused
    after any of them changed, without anyone having to remember to bump a version number.
    """
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    files = [package / "audio.py", package / "pipeline.py", package / "messages.py", package / "config.py"]
    files += sorted((package / "signal").glob("*.py")) + sorted((package / "text").glob("*.py"))
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    digest.update(json.dumps(config.to_dict(), sort_keys=True).encode())
    digest.update(json.dumps(config.quality_penalty, sort_keys=True).encode())
    digest.update(str(config.mos).encode())  # which clips DNSMOS rates
    digest.update(lang.encode())
    return digest.hexdigest()


def file_key(path: str, source: Optional[ClipSource] = None) -> Optional[str]:
    """``realpath|size|mtime_ns`` of a file, or None when it cannot be stat'ed (or its path is too long
    to name a file: such a path is not resolved, see :mod:`voxaudit.paths`).

    With ``source``, a digest of its list line, language and text is appended: the transcript checks
    judge those, so an edited line is measured again."""
    from .paths import path_too_long

    if path_too_long(path):
        return None
    try:
        real = os.path.realpath(path)
        st = os.stat(real)
    except OSError:
        return None
    key = f"{real}|{st.st_size}|{st.st_mtime_ns}"
    if source is not None and (source.list_line is not None or source.text is not None or source.lang is not None):
        described = json.dumps([source.list_line, source.lang, source.text, source.list_line_no], ensure_ascii=False)
        key += "|" + hashlib.sha256(described.encode()).hexdigest()[:16]
    return key


class MeasurementJournal:
    """Finished per-clip results, keyed by file identity and by what produced them.

    Parameters
    ----------
    path : path-like
        The SQLite file (created with its folder when missing).
    fingerprint : str
        See :func:`code_fingerprint`; rows with another fingerprint are ignored and replaced.
    notice : callable, optional
        Called with a one-line message when the file had to be started afresh.
    """

    def __init__(self, path: str | os.PathLike, *, fingerprint: str,
                 notice: Optional[Callable[[str], None]] = None):
        self.path = Path(path)
        self.fingerprint = fingerprint
        self._notice = notice
        self._pending: list[tuple[str, str, str]] = []
        self._last_commit = time.monotonic()
        self._db = self._open()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(self.path), timeout=30.0)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            db.close()
            raise sqlite3.DatabaseError(f"schema version {version}")
        db.execute(_SCHEMA)
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        db.execute("SELECT COUNT(*) FROM results").fetchone()
        db.commit()
        return db

    def _open(self) -> Optional[sqlite3.Connection]:
        try:
            return self._connect()
        except (sqlite3.Error, OSError) as error:
            broken = self.path.with_name(self.path.name + f".broken-{int(time.time())}")
            try:
                if self.path.exists():
                    os.replace(self.path, broken)
                for suffix in ("-wal", "-shm"):
                    Path(str(self.path) + suffix).unlink(missing_ok=True)
                db = self._connect()
            except (sqlite3.Error, OSError) as second:
                self._tell(f"measurement journal {self.path} is unusable ({second}); "
                           "this run will not be resumable")
                return None
            self._tell(f"measurement journal {self.path} was unusable ({error}); moved aside to "
                       f"{broken.name} and started afresh")
            return db

    def _tell(self, message: str) -> None:
        if self._notice:
            self._notice(message)

    def lookup(self, source: ClipSource) -> Optional[ClipResult]:
        """The journalled result for this clip's file, or None (never measured, changed, or stale)."""
        key = file_key(source.path, source)
        if key is None or self._db is None:
            return None
        try:
            row = self._db.execute("SELECT fingerprint, result FROM results WHERE file_key = ?",
                                   (key,)).fetchone()
        except sqlite3.Error:
            return None
        if row is None or row[0] != self.fingerprint:
            return None
        try:
            return _result_from_json(source, row[1])
        except (ValueError, KeyError, TypeError):
            return None

    def record(self, result: ClipResult) -> None:
        """Journal one finished clip (committed in small groups; see :data:`ROWS_PER_COMMIT`). Uses the
        clip's ``journal_entry`` when the worker that measured it made one."""
        entry = result.journal_entry if result.journal_entry is not None else journal_entry(result)
        result.journal_entry = None
        if entry is None or self._db is None:
            return
        self._pending.append((entry[0], self.fingerprint, entry[1]))
        if len(self._pending) >= ROWS_PER_COMMIT or time.monotonic() - self._last_commit > SECONDS_PER_COMMIT:
            self.flush()

    def record_many(self, results: Iterable[ClipResult]) -> None:
        for result in results:
            self.record(result)
        self.flush()

    def flush(self) -> None:
        """Commit what is pending."""
        self._last_commit = time.monotonic()
        if not self._pending or self._db is None:
            self._pending.clear()
            return
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?, ?)", self._pending)
        except sqlite3.Error as error:
            self._tell(f"could not write the measurement journal ({error})")
        self._pending.clear()

    def __len__(self) -> int:
        if self._db is None:
            return 0
        return int(self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0])

    def close(self) -> None:
        self.flush()
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> "MeasurementJournal":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def journal_entry(result: ClipResult) -> Optional[tuple[str, str]]:
    """``(file key, JSON record)`` of a finished clip for :meth:`MeasurementJournal.record`, or None for a
    clip not worth journalling (unreadable clips are cheap to find again, and may be fixed meanwhile).
    Pure of the journal itself, so an engine's worker can make it beside the clip it measured."""
    if not result.content_sha256:
        return None
    key = file_key(result.source.path, result.source)
    return None if key is None else (key, _result_to_json(result))


def _result_to_json(result: ClipResult) -> str:
    return json.dumps({"metrics": result.metrics, "findings": [f.to_dict() for f in result.findings],
                       "quality": result.quality, "sha256": result.content_sha256,
                       "notes": result.notes}, ensure_ascii=False, allow_nan=False)


def _result_from_json(source: ClipSource, text: str) -> ClipResult:
    data = json.loads(text)
    return ClipResult(source=source, metrics=dict(data["metrics"]),
                      findings=[Finding(**f) for f in data["findings"]], quality=float(data["quality"]),
                      content_sha256=data["sha256"], notes=list(data.get("notes", [])))
