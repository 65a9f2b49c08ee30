"""A recording session on disk: the project folder.

Layout (every name chosen by the server)::

    PROJECT/
      voxaudit-project.json     format marker, creation time, speaker name, encoder of the embeddings
      voice-profile.json        a loaded voice profile (optional): takes are judged against it
      takes/<id>.<ext>          each accepted take's audio, as uploaded (ext from the decoded format)
      takes/<id>.json           its analysis: metrics, embedding, picture data, file name as uploaded
      report/                   report.json, clips.csv, keep.list, rejected.list, profile.json,
                                report.html of the session, rewritten on request
      .scratch/                 uploads while they arrive and are checked (emptied at start)

Every JSON file is written atomically (temporary file, then rename), audio is moved in with one rename,
so a killed server leaves each take either complete or absent. A take's audio goes in before its JSON
and is removed before its JSON; at start, a JSON whose audio is missing is dropped and audio without a
JSON is reported by :meth:`TakeStore.orphans` (the server analyses it again).

All state changes go through one lock, so concurrent uploads and deletions cannot interleave.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Optional

from ..errors import ParameterError
from ..io import read_format_json, write_json_atomic

log = logging.getLogger("voxaudit.serve")

PROJECT_FORMAT = "voxaudit-project/1"
TAKE_FORMAT = "voxaudit-take/1"
PROJECT_FILE = "voxaudit-project.json"
PROFILE_FILE = "voice-profile.json"
TAKE_ID = re.compile(r"^[0-9a-f]{12}$")
AUDIO_NAME = re.compile(r"^([0-9a-f]{12})\.(wav|flac|ogg|mp3|aiff|caf|w64|rf64|au|oga)$")
# soundfile's format name -> the extension a take is stored under.
EXTENSIONS = {"WAV": "wav", "WAVEX": "wav", "FLAC": "flac", "OGG": "ogg", "MP3": "mp3", "AIFF": "aiff",
              "CAF": "caf", "W64": "w64", "RF64": "rf64", "AU": "au"}


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def speaker_name(folder: Path) -> str:
    """The project folder's name as a ``.list`` speaker field (no ``|``, no line breaks)."""
    name = re.sub(r"[|\r\n\t]+", " ", folder.resolve().name).strip()
    return name or "speaker"


class TakeStore:
    """The takes of one project folder, in memory and on disk.

    Parameters
    ----------
    root : path-like
        The project folder; created when missing.

    Raises
    ------
    ParameterError
        When ``root`` exists and is not a folder, or holds a project file of another format.
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()
        if self.root.exists() and not self.root.is_dir():
            raise ParameterError(f"project {str(self.root)!r} is not a folder")
        self.takes_dir = self.root / "takes"
        self.report_dir = self.root / "report"
        self.scratch_dir = self.root / ".scratch"
        for folder in (self.root, self.takes_dir, self.report_dir, self.scratch_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        # Bumped on every change: cached views of the session compare it.
        self.version = 0
        self.meta = self._load_meta()
        self._records: dict[str, dict] = {}
        self._clean_scratch()
        self._load_records()

    # -- project file ----------------------------------------------------------------------------------
    def _load_meta(self) -> dict:
        path = self.root / PROJECT_FILE
        if path.is_file():
            return read_format_json(path, file_format=PROJECT_FORMAT, what="voxaudit project file")
        meta = {"format": PROJECT_FORMAT, "created": now_iso(), "speaker": speaker_name(self.root),
                "encoder": None}
        write_json_atomic(path, meta)
        return meta

    def set_meta(self, **values: Any) -> None:
        with self.lock:
            self.meta.update(values)
            write_json_atomic(self.root / PROJECT_FILE, self.meta)
            self.version += 1

    # -- loading ---------------------------------------------------------------------------------------
    def _clean_scratch(self) -> None:
        for item in self.scratch_dir.iterdir():
            if item.is_file() and (item.suffix == ".part" or item.name.endswith(".tmp")):
                with contextlib.suppress(OSError):
                    item.unlink()

    def _load_records(self) -> None:
        for path in sorted(self.takes_dir.glob("*.json")):
            take_id = path.stem
            if not TAKE_ID.match(take_id):
                continue
            try:
                with open(path, encoding="utf-8") as fh:
                    record = json.load(fh)
            except (OSError, json.JSONDecodeError) as error:
                log.warning("skipping unreadable take record %s: %s", path, error)
                continue
            if not isinstance(record, dict) or record.get("format") != TAKE_FORMAT or record.get("id") != take_id:
                log.warning("skipping %s: not a voxaudit take record", path)
                continue
            if not AUDIO_NAME.match(str(record.get("file", ""))) or not (self.takes_dir / record["file"]).is_file():
                log.warning("take %s lost its audio file; dropping its record", take_id)
                with contextlib.suppress(OSError):
                    path.unlink()
                continue
            self._records[take_id] = record

    def orphans(self) -> list[Path]:
        """Audio files in ``takes/`` without a record (a server killed between the two writes)."""
        with self.lock:
            known = {r["file"] for r in self._records.values()}
            return sorted(p for p in self.takes_dir.iterdir()
                          if AUDIO_NAME.match(p.name) and p.name not in known)

    # -- reading ---------------------------------------------------------------------------------------
    def records(self) -> list[dict]:
        """Every take's record, in upload order (``seq``)."""
        with self.lock:
            return sorted(self._records.values(), key=lambda r: (r.get("seq", 0), r["id"]))

    def get(self, take_id: str) -> Optional[dict]:
        if not TAKE_ID.match(str(take_id)):
            return None
        with self.lock:
            return self._records.get(take_id)

    def audio_path(self, record: dict) -> Path:
        """Where a take's audio lives (its name was chosen by the server and is checked again here)."""
        name = str(record.get("file", ""))
        if not AUDIO_NAME.match(name):
            raise ParameterError(f"bad audio file name in take record: {name!r}")
        return self.takes_dir / name

    def find_sha(self, sha256: str) -> Optional[dict]:
        with self.lock:
            return next((r for r in self._records.values() if r.get("sha256") == sha256), None)

    def __len__(self) -> int:
        with self.lock:
            return len(self._records)

    def __iter__(self) -> Iterator[dict]:
        return iter(self.records())

    # -- changing --------------------------------------------------------------------------------------
    def new_id(self) -> str:
        with self.lock:
            while True:
                take_id = secrets.token_hex(6)
                if take_id not in self._records and not any(self.takes_dir.glob(f"{take_id}.*")):
                    return take_id

    def add(self, record: dict, audio: Optional[Path]) -> dict:
        """Move ``audio`` (a scratch file, or None when it already lies in ``takes/``) into place as
        ``record["file"]`` and write the record. Returns the stored record."""
        with self.lock:
            take_id = record["id"]
            if not TAKE_ID.match(take_id) or take_id in self._records:
                raise ParameterError(f"bad or duplicate take id {take_id!r}")
            target = self.audio_path(record)
            record = dict(record, format=TAKE_FORMAT)
            record["seq"] = max((r.get("seq", 0) for r in self._records.values()), default=0) + 1
            if audio is not None:
                os.replace(audio, target)
            try:
                write_json_atomic(self.takes_dir / f"{take_id}.json", record)
            except BaseException:
                if audio is not None:
                    with contextlib.suppress(OSError):
                        target.unlink()
                raise
            self._records[take_id] = record
            self.version += 1
            return record

    def update(self, take_id: str, **values: Any) -> dict:
        """Change fields of a stored record (e.g. a new embedding) and write it again."""
        with self.lock:
            record = dict(self._records[take_id], **values)
            write_json_atomic(self.takes_dir / f"{take_id}.json", record)
            self._records[take_id] = record
            self.version += 1
            return record

    def delete(self, take_id: str) -> bool:
        """Remove a take (audio first, then its record). False when there is no such take."""
        with self.lock:
            record = self.get(take_id)
            if record is None:
                return False
            with contextlib.suppress(FileNotFoundError):
                self.audio_path(record).unlink()
            with contextlib.suppress(FileNotFoundError):
                (self.takes_dir / f"{take_id}.json").unlink()
            del self._records[take_id]
            self.version += 1
            return True

    # -- voice profile ---------------------------------------------------------------------------------
    @property
    def profile_path(self) -> Path:
        return self.root / PROFILE_FILE
