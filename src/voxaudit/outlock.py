"""One scan at a time per output folder: an advisory lock on ``OUT/.voxaudit.lock``.

Each output file is written atomically (:mod:`voxaudit.io`), but two scans into one folder at the same
time would still leave a mixture: one run's ``report.json`` beside the other's ``report.html``, a
journal and caches written by both. :func:`output_lock` holds an exclusive lock on a file in the folder
for the whole scan, and a second scan is refused at once with who holds it, instead of waiting.

The lock belongs to the open file: the operating system drops it when the process ends, however it
ends (a ``SIGKILL`` included), so a killed scan never leaves a stale lock; the next run simply takes it.
The small lock file itself stays in the folder (removing it would let a third scan lock a new file while
the second still holds the old one). The lock is ``flock`` (POSIX) or ``msvcrt.locking`` (Windows): it
holds between processes of one machine; on network file systems it depends on the server.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import socket
from pathlib import Path
from typing import Iterator

from .errors import ParameterError

LOCK_NAME = ".voxaudit.lock"


class OutputLockedError(ParameterError):
    """Another process holds the output folder's lock. ``out`` is the folder, ``holder`` what the lock
    file says about its holder (``pid N on HOST since TIME``), or ``"another process"``."""

    def __init__(self, out: Path, holder: str):
        self.out = out
        self.holder = holder
        super().__init__(f"another voxaudit scan is writing to {out} ({holder}); wait for it to finish, "
                         "or choose another --out")


def _try_lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def output_lock(out_dir: str | os.PathLike) -> Iterator[Path]:
    """Hold ``OUT/.voxaudit.lock`` exclusively while the block runs (the folder is created if needed).

    Raises
    ------
    OutputLockedError
        At once, when another process holds it.
    ParameterError
        When the folder or the lock file cannot be created.
    """
    out = Path(out_dir)
    path = out / LOCK_NAME
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise ParameterError(f"cannot create the output folder {out}: {error.strerror or error}") from None
    try:
        if not _try_lock(fd):
            try:
                holder = os.pread(fd, 512, 0).decode("utf-8", "replace").strip() or "another process"
            except (OSError, AttributeError):
                holder = "another process"
            raise OutputLockedError(out, holder)
        since = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
        with contextlib.suppress(OSError, AttributeError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since {since}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # releases the lock
