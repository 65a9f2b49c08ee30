"""Checks on a path before anything resolves or opens it: its length, and what kind of file it names.

``os.path.realpath`` walks a path one component at a time and builds every prefix, so a path of a few
hundred kilobytes (a broken ``.list`` line) costs it tens of seconds; no file system accepts such a path
anyway. :func:`path_too_long` is checked in linear time first, and :func:`probe_file` says, without
opening anything, whether a path is a regular file that can be read (a FIFO would block a reader
forever; a device may never end).
"""

from __future__ import annotations

import errno
import os
import stat
from typing import Optional

from .errors import AudioError


def _limit(name: str, default: int) -> int:
    try:
        value = os.pathconf("/", name)
    except (AttributeError, OSError, ValueError):  # pragma: no cover - not POSIX
        return default
    return int(value) if value and value > 0 else default


# The longest path and file name the system accepts, in bytes (Linux: 4096 incl. the final NUL, and
# 255; macOS: 1024 and 255). Longer paths cannot name a file, so they are refused before any lookup.
PATH_MAX_BYTES = _limit("PC_PATH_MAX", 4096)
NAME_MAX_BYTES = _limit("PC_NAME_MAX", 255)


def _too_long(path: str | os.PathLike) -> Optional[tuple[str, int, int]]:
    """``("path" | "name", length in bytes, limit)`` when ``path`` is too long to name a file."""
    raw = os.fsencode(path)
    if len(raw) >= PATH_MAX_BYTES:
        return "path", len(raw), PATH_MAX_BYTES - 1
    longest = max((len(part) for part in raw.split(b"/")), default=0)
    if longest > NAME_MAX_BYTES:
        return "name", longest, NAME_MAX_BYTES
    return None


def path_too_long(path: str | os.PathLike) -> Optional[str]:
    """Why ``path`` cannot name a file because of its length, or None when its length is fine.

    Linear in the length of the path; touches no file system.

    Parameters
    ----------
    path : str or PathLike

    Returns
    -------
    str or None
        E.g. ``"path is 614400 bytes long (the limit is 4095)"``.

    Examples
    --------
    >>> path_too_long("wavs/a.wav") is None
    True
    >>> path_too_long("x" * 300)
    'a name in the path is 300 bytes long (the limit is 255)'
    """
    found = _too_long(path)
    if found is None:
        return None
    what, length, limit = found
    return (f"path is {length} bytes long (the limit is {limit})" if what == "path" else
            f"a name in the path is {length} bytes long (the limit is {limit})")


# What a path that is not a regular file leads to (the keys of messages.FILE_KINDS).
_KINDS = ((stat.S_ISFIFO, "fifo"), (stat.S_ISCHR, "char_device"), (stat.S_ISBLK, "block_device"),
          (stat.S_ISSOCK, "socket"))


def probe_file(path: str | os.PathLike) -> os.stat_result:
    """Check that ``path`` is a readable, non-empty regular file, without opening it.

    Parameters
    ----------
    path : str or PathLike

    Returns
    -------
    os.stat_result
        Of the file the path leads to (symbolic links followed).

    Raises
    ------
    AudioError
        ``code="unreadable"`` with a ``cause``: ``path_too_long``, ``not_found``, ``broken_symlink``,
        ``symlink_loop``, ``is_folder``, ``not_regular``, ``permission`` or ``empty``.
    """
    path = os.fspath(path)
    too_long = _too_long(path)
    if too_long:
        what, length, limit = too_long
        raise AudioError("unreadable", path_too_long(path), cause="path_too_long",
                         info={"what": what, "bytes": length, "limit": limit})
    try:
        st = os.stat(path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise AudioError("unreadable", "symbolic link loop (the link leads back to itself)",
                             cause="symlink_loop") from None
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            if os.path.islink(path):
                try:
                    target = os.readlink(path)
                except OSError:
                    target = "?"
                raise AudioError("unreadable", f"symbolic link to a missing file ({target})",
                                 cause="broken_symlink", info={"target": target}) from None
            raise AudioError("unreadable", "file not found", cause="not_found") from None
        if error.errno == errno.EACCES:
            raise AudioError("unreadable", "permission denied (a folder on the path is not accessible)",
                             cause="permission", info={"where": "folder"}) from None
        if error.errno == errno.ENAMETOOLONG:
            raise AudioError("unreadable", "path is too long for the file system", cause="path_too_long",
                             info={"what": "path", "bytes": len(os.fsencode(path)), "limit": PATH_MAX_BYTES - 1}
                             ) from None
        raise AudioError("unreadable", f"cannot stat the file: {error.strerror or error}", cause="os_error",
                         info={"error": error.strerror or str(error)}) from None
    if stat.S_ISDIR(st.st_mode):
        raise AudioError("unreadable", "is a folder, not a file", cause="is_folder")
    if not stat.S_ISREG(st.st_mode):
        kind = next((name for test, name in _KINDS if test(st.st_mode)), "other")
        raise AudioError("unreadable", f"not a regular file ({kind.replace('_', ' ')})", cause="not_regular",
                         info={"kind": kind})
    if not os.access(path, os.R_OK):
        raise AudioError("unreadable", "permission denied (file is not readable)", cause="permission",
                         info={"where": "file"})
    if st.st_size == 0:
        raise AudioError("unreadable", "file is empty (0 bytes)", cause="empty")
    return st
