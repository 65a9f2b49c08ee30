"""Atomic output: write to a temporary file in the target folder, then rename over the target.

A killed run leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

from .errors import ParameterError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix + ".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        # mkstemp makes the file private (0600); give it the mode a plain open() would have.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | os.PathLike, text: str, *, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically (fsynced before the rename)."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding=encoding, newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())


def write_json_atomic(path: str | os.PathLike, data: Any) -> None:
    """Write ``data`` as UTF-8 JSON (non-ASCII kept readable) atomically."""
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n")


def read_format_json(path: str | os.PathLike, *, file_format: str, what: str) -> dict:
    """Read a JSON object whose ``"format"`` field must be ``file_format`` (a voice profile, a project).

    Raises
    ------
    ParameterError
        When the file cannot be read or parsed, or is not an object of that format; ``what`` names
        the kind of file in the message (e.g. "voxaudit voice profile").
    """
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        raise ParameterError(f"cannot read {what} {str(path)!r}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != file_format:
        raise ParameterError(f"{str(path)!r} is not a {what} ({file_format})")
    return data
