"""A recording session on disk: the project folder.

Layout (every name chosen by the server)::

    PROJECT/
      voxaudit-project.json     format marker, creation time, speaker name, encoder of the embeddings
      voice-profile.json        a loaded voice profile (optional): takes are judged against it
      takes/<id>.<ext>          each accepted take's audio, as uploaded (ext from the decoded format)
      takes/<id>.upload.json    what the upload said: file name, transcript, source, order, time
      takes/<id>.json           its analysis: metrics, embedding, fingerprint, picture data, the same
                                name/text/order again
      report/                   report.json, clips.csv, keep.list, rejected.list, profile.json,
                                report.html of the session, rewritten on request
      .scratch/                 uploads while they arrive and are checked (emptied at start)

Every JSON file is written atomically (temporary file, fsync, rename), audio is moved in with one
rename. A take is stored in three steps: its upload record, its audio, its analysis; it is removed in
the reverse order (audio first). So a server killed at any moment leaves each take in one of these
states, and the next start resolves each:

- upload record, audio and analysis: a take;
- upload record alone (killed before the audio moved in: the upload never got its answer): removed;
- audio without analysis (killed before the analysis was written), or with an analysis record that
  does not pass the schema check (:mod:`.records`: torn, hand-edited, a wrong-shaped embedding, a
  string where a number belongs): **pending repair** -- the server analyses the audio again
  (:meth:`voxaudit.serve.session.Session.prepare`), keeping the upload's name, text and order from
  the upload record, and marks the take ``repaired``;
- analysis and/or upload record without audio (a deletion cut short, or audio removed by hand): the
  records are removed.

Every such event is logged and listed in :attr:`TakeStore.warnings` (the API shows them). A project
written before upload records existed gets one per take from its analysis record at start.

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
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Optional

from ..errors import ParameterError
from ..io import read_format_json, write_json_atomic
from .records import (AUDIO_NAME_PATTERN, SOURCES, TAKE_FORMAT, TAKE_ID_PATTERN, UPLOAD_FORMAT, RecordError,
                      check_take, check_upload)
from .sameaudio import Fingerprint

log = logging.getLogger("voxaudit.serve")

PROJECT_FORMAT = "voxaudit-project/1"
PROJECT_FILE = "voxaudit-project.json"
PROFILE_FILE = "voice-profile.json"
UPLOAD_SUFFIX = ".upload.json"
TAKE_ID = re.compile(TAKE_ID_PATTERN)
AUDIO_NAME = re.compile(AUDIO_NAME_PATTERN)
RECORD_NAME = re.compile(r"^([0-9a-f]{12})\.json$")
UPLOAD_NAME = re.compile(r"^([0-9a-f]{12})\.upload\.json$")
# A temporary file of io.atomic_path left by a killed write: ".<target name>.<random>.tmp".
TEMP_NAME = re.compile(r"^\.[0-9a-f]{12}\.(?:upload\.)?json\..*\.tmp$")
# soundfile's format name -> the extension a take is stored under.
EXTENSIONS = {"WAV": "wav", "WAVEX": "wav", "FLAC": "flac", "OGG": "ogg", "MP3": "mp3", "AIFF": "aiff",
              "CAF": "caf", "W64": "w64", "RF64": "rf64", "AU": "au"}
# Warnings kept for the API (oldest dropped first).
MAX_WARNINGS = 200
# Test hook (see _failpoint): seconds to pause between storing a take's audio and its analysis.
FAILPOINT_VARIABLE = "VOXAUDIT_SERVE_TEST_PAUSE_S"
# The fields a take's upload record keeps (and its analysis record repeats).
UPLOAD_FIELDS = ("id", "file", "seq", "created", "name", "source", "text")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def speaker_name(folder: Path) -> str:
    """The project folder's name as a ``.list`` speaker field (no ``|``, no line breaks)."""
    name = re.sub(r"[|\r\n\t]+", " ", folder.resolve().name).strip()
    return name or "speaker"


@dataclass
class PendingRepair:
    """A take whose audio is on disk without a usable analysis record.

    Attributes
    ----------
    take_id : str
    audio : Path
        Its audio file in ``takes/``.
    reason : str
        ``"record_missing"`` (stored up to the audio when the server stopped) or ``"record_damaged"``.
    detail : str
        What was wrong with the record (empty when it was missing).
    upload : dict or None
        Its upload record (name, text, source, order), when that one is intact.
    failed : bool
        The repair was tried and failed (the audio does not decode): not tried again by this server;
        its files stay on disk and the warnings say so.
    """

    take_id: str
    audio: Path
    reason: str
    detail: str
    upload: Optional[dict]
    failed: bool = False


def _read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


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
        self._fingerprints: dict[str, Fingerprint] = {}
        self._pending: dict[str, PendingRepair] = {}
        # What the API lists under "warnings": one entry per take (its latest event), in event order.
        self._warnings: dict[str, dict] = {}
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

    # -- warnings --------------------------------------------------------------------------------------
    def warn(self, code: str, take_id: str, *, name: Optional[str] = None, detail: str = "") -> None:
        """Record an event the user should hear about (also logged); replaces the take's earlier one."""
        with self.lock:
            entry = {"code": code, "take_id": take_id, "name": name, "detail": detail, "at": now_iso()}
            self._warnings.pop(take_id, None)
            self._warnings[take_id] = entry
            while len(self._warnings) > MAX_WARNINGS:
                self._warnings.pop(next(iter(self._warnings)))
            self.version += 1
        log.warning("take %s%s: %s%s", take_id, f" ({name})" if name else "", code.replace("_", " "),
                    f": {detail}" if detail else "")

    @property
    def warnings(self) -> list[dict]:
        """Events of this server's life the user should know of (damaged records, repairs ...), oldest
        first: dicts with ``code``, ``take_id``, ``name``, ``detail`` and ``at``."""
        with self.lock:
            return [dict(w) for w in self._warnings.values()]

    # -- loading ---------------------------------------------------------------------------------------
    def _clean_scratch(self) -> None:
        for item in self.scratch_dir.iterdir():
            if item.is_file() and (item.suffix == ".part" or item.name.endswith(".tmp")):
                with contextlib.suppress(OSError):
                    item.unlink()

    def _load_records(self) -> None:
        audio: dict[str, list[Path]] = {}
        records: dict[str, Path] = {}
        uploads: dict[str, Path] = {}
        for path in sorted(self.takes_dir.iterdir()):
            name = path.name
            if TEMP_NAME.match(name):  # half of an atomic write: the target was never replaced
                with contextlib.suppress(OSError):
                    path.unlink()
                continue
            for pattern, bucket in ((AUDIO_NAME, None), (RECORD_NAME, records), (UPLOAD_NAME, uploads)):
                match = pattern.match(name)
                if match and path.is_file():
                    if bucket is None:
                        audio.setdefault(match.group(1), []).append(path)
                    else:
                        bucket[match.group(1)] = path
                    break
        for take_id in sorted(set(audio) | set(records) | set(uploads)):
            self._load_one(take_id, audio.get(take_id, []), records.get(take_id), uploads.get(take_id))

    def _load_one(self, take_id: str, audio_files: list[Path], record_path: Optional[Path],
                  upload_path: Optional[Path]) -> None:
        upload, upload_problem = None, ""
        if upload_path is not None:
            try:
                upload = check_upload(_read_json(upload_path), take_id)
            except (OSError, ValueError) as error:  # ValueError: JSONDecodeError, RecordError
                upload_problem = _short(error)
        record, record_problem = None, ""
        if record_path is not None:
            try:
                record = check_take(_read_json(record_path), take_id)
            except (OSError, ValueError) as error:
                record_problem = _short(error)
        if record is not None and not any(p.name == record["file"] for p in audio_files):
            record_problem, record = f"its audio file {record['file']} is missing", None
        if not audio_files:
            # A deletion cut short (audio goes first), an upload killed before its audio moved in, or
            # audio removed by hand: nothing to keep.
            for path in (record_path, upload_path):
                if path is not None:
                    with contextlib.suppress(OSError):
                        path.unlink()
            if record_path is not None:
                self.warn("audio_missing", take_id, name=(upload or {}).get("name"),
                          detail="the audio file is gone; its analysis record was removed")
            else:
                log.info("take %s: removed the upload record of an upload that never completed", take_id)
            return
        if record is not None:
            audio_path = self.takes_dir / record["file"]
            for extra in audio_files:
                if extra != audio_path:
                    self.warn("extra_audio", take_id, name=record.get("name"),
                              detail=f"{extra.name} is not this take's audio ({record['file']}); left as it is")
            self._records[take_id] = record
            self._remember_fingerprint(record)
            if upload is None or any(upload.get(k) != record.get(k) for k in UPLOAD_FIELDS):
                # A project from before upload records, or a damaged one: rewrite it from the record.
                write_json_atomic(self.takes_dir / f"{take_id}{UPLOAD_SUFFIX}", _upload_record(record))
                if upload_problem:
                    self.warn("upload_record_rewritten", take_id, name=record.get("name"),
                              detail=f"its upload record was damaged ({upload_problem}); rewritten from "
                                     f"the analysis record")
            return
        audio_path = audio_files[0]
        if upload is not None and upload["file"] in {p.name for p in audio_files}:
            audio_path = self.takes_dir / upload["file"]
        if record_path is None:
            reason, detail = "record_missing", "the server stopped before its analysis was written"
        else:
            reason, detail = "record_damaged", record_problem
        if upload is None:
            detail += (f"; its upload record is damaged too ({upload_problem})" if upload_problem else
                       "; it has no upload record") + ": its name, text and place in the order are lost"
        self._pending[take_id] = PendingRepair(take_id=take_id, audio=audio_path, reason=reason, detail=detail,
                                               upload=upload)
        self.warn(reason, take_id, name=(upload or {}).get("name"), detail=detail)

    def _remember_fingerprint(self, record: dict) -> None:
        data = record.get("fingerprint")
        if data is not None:
            self._fingerprints[record["id"]] = Fingerprint.from_dict(data)  # checked by check_take

    # -- reading ---------------------------------------------------------------------------------------
    def records(self) -> list[dict]:
        """Every take's record, in upload order (``seq``)."""
        with self.lock:
            return sorted(self._records.values(), key=lambda r: (r["seq"], r["id"]))

    def get(self, take_id: str) -> Optional[dict]:
        if not TAKE_ID.match(str(take_id)):
            return None
        with self.lock:
            return self._records.get(take_id)

    def pending(self, *, include_failed: bool = False) -> list[PendingRepair]:
        """Takes waiting to be analysed again (audio without a usable record), in id order; with
        ``include_failed`` also those whose repair failed."""
        with self.lock:
            return [self._pending[k] for k in sorted(self._pending) if include_failed or not self._pending[k].failed]

    def repair_failed(self, take_id: str, detail: str) -> None:
        """Mark a pending take as not repairable by this server (and say so)."""
        with self.lock:
            pending = self._pending.get(take_id)
            if pending is not None:
                pending.failed = True
                self.warn("repair_failed", take_id, name=(pending.upload or {}).get("name"), detail=detail)

    def orphans(self) -> list[Path]:
        """The audio files of :meth:`pending` takes."""
        return [p.audio for p in self.pending()]

    def audio_path(self, record: dict) -> Path:
        """Where a take's audio lives (its name was chosen by the server and is checked again here)."""
        name = str(record.get("file", ""))
        if not AUDIO_NAME.match(name):
            raise ParameterError(f"bad audio file name in take record: {name!r}")
        return self.takes_dir / name

    def fingerprint(self, take_id: str) -> Optional[Fingerprint]:
        with self.lock:
            return self._fingerprints.get(take_id)

    def fingerprints(self) -> dict[str, Fingerprint]:
        with self.lock:
            return dict(self._fingerprints)

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
                if (take_id not in self._records and take_id not in self._pending
                        and not any(self.takes_dir.glob(f"{take_id}.*"))):
                    return take_id

    def _next_seq(self) -> int:
        taken = [r["seq"] for r in self._records.values()]
        taken += [p.upload["seq"] for p in self._pending.values() if p.upload is not None]
        return max(taken, default=0) + 1

    def add(self, record: dict, audio: Optional[Path]) -> dict:
        """Store a take: its upload record, then ``audio`` (a scratch file, moved in as
        ``record["file"]``; None when it already lies in ``takes/``: a repair), then ``record``.
        A repair keeps the ``seq`` it is given; a new take gets the next one. On failure a new take
        is removed again (a repaired one keeps its audio and stays pending). Returns the stored record.

        Raises
        ------
        ParameterError
            On a bad or taken id, or a record that does not pass the schema check.
        """
        with self.lock:
            take_id = record["id"]
            repairing = audio is None
            if not TAKE_ID.match(take_id) or take_id in self._records or (take_id in self._pending) != repairing:
                raise ParameterError(f"bad or duplicate take id {take_id!r}")
            target = self.audio_path(record)
            record = dict(record, format=TAKE_FORMAT)
            if not (repairing and isinstance(record.get("seq"), int)):
                record["seq"] = self._next_seq()
            record = _as_read_back(record, take_id)
            upload_path = self.takes_dir / f"{take_id}{UPLOAD_SUFFIX}"
            record_path = self.takes_dir / f"{take_id}.json"
            try:
                write_json_atomic(upload_path, _upload_record(record))
                if not repairing:
                    os.replace(audio, target)
                    _failpoint()
                write_json_atomic(record_path, record)
            except BaseException:
                if not repairing:
                    for path in (target, record_path, upload_path):
                        with contextlib.suppress(OSError):
                            path.unlink()
                raise
            self._records[take_id] = record
            self._pending.pop(take_id, None)
            self._remember_fingerprint(record)
            self.version += 1
            return record

    def update(self, take_id: str, **values: Any) -> Optional[dict]:
        """Change fields of a stored record (e.g. a new embedding) and write it again. None when the
        take is gone (deleted meanwhile)."""
        with self.lock:
            if take_id not in self._records:
                return None
            record = _as_read_back(dict(self._records[take_id], **values), take_id)
            write_json_atomic(self.takes_dir / f"{take_id}.json", record)
            self._records[take_id] = record
            self._remember_fingerprint(record)
            self.version += 1
            return record

    def delete(self, take_id: str) -> bool:
        """Remove a take (audio first, then its analysis and upload records); also a take pending
        repair. False when there is no such take."""
        with self.lock:
            if not TAKE_ID.match(str(take_id)):
                return False
            record = self._records.get(take_id)
            pending = self._pending.get(take_id)
            if record is None and pending is None:
                return False
            audio = self.audio_path(record) if record is not None else pending.audio
            for path in (audio, self.takes_dir / f"{take_id}.json", self.takes_dir / f"{take_id}{UPLOAD_SUFFIX}"):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            self._records.pop(take_id, None)
            self._pending.pop(take_id, None)
            self._fingerprints.pop(take_id, None)
            self._warnings.pop(take_id, None)
            self.version += 1
            return True

    # -- voice profile ---------------------------------------------------------------------------------
    @property
    def profile_path(self) -> Path:
        return self.root / PROFILE_FILE


def _failpoint() -> None:
    """Test hook: pause between a take's audio and its analysis record, so a reliability test can kill
    the server in that window (``VOXAUDIT_SERVE_TEST_PAUSE_S`` seconds; unset in normal use)."""
    pause_s = os.environ.get(FAILPOINT_VARIABLE)
    if pause_s:
        time.sleep(float(pause_s))


def _as_read_back(record: dict, take_id: str) -> dict:
    """``record`` as it will read back from disk (through JSON), checked as it will be then.

    Raises
    ------
    ParameterError
        When it would not pass the check (a bug: the server never stores what it could not read).
    """
    try:
        return check_take(json.loads(json.dumps(record, allow_nan=False)), take_id)
    except (RecordError, ValueError, TypeError) as error:
        raise ParameterError(f"take record would not read back: {error}") from None


def _upload_record(record: dict) -> dict:
    """The upload record of a take: what the upload said, kept apart from the analysis."""
    upload = {"format": UPLOAD_FORMAT}
    upload.update({key: record.get(key) for key in UPLOAD_FIELDS})
    if upload["source"] not in SOURCES:
        upload["source"] = "upload"
    return upload


def _short(error: BaseException, limit: int = 300) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
