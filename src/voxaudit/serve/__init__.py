"""``voxaudit serve``: record or upload takes in the browser and get instant feedback.

- :func:`create_app` -- the FastAPI app for one project folder (tests use it with ``TestClient``);
- :func:`serve` -- run it with uvicorn (what the ``voxaudit serve`` command calls);
- :class:`~voxaudit.serve.session.Session` -- the session logic, usable without the web layer.

Imported lazily: ``import voxaudit`` never pulls in FastAPI.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
from pathlib import Path
from typing import Iterator, Optional

__all__ = ["create_app", "serve", "is_loopback", "project_lock"]


def create_app(project_dir, **kwargs):
    """See :func:`voxaudit.serve.app.create_app`."""
    from .app import create_app as _create_app

    return _create_app(project_dir, **kwargs)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(project_dir: str | os.PathLike, *, host: str = "127.0.0.1", port: int = 8765,
          log_level: str = "info", **kwargs) -> None:
    """Run the app with uvicorn until interrupted.

    On a loopback ``host`` the app answers only to loopback host names; on any other address (the user
    asked for it explicitly) to any.
    """
    import uvicorn

    from .app import LOOPBACK_NAMES

    allowed: Optional[tuple] = (LOOPBACK_NAMES + (host,)) if is_loopback(host) else None
    if allowed is None:
        import logging

        logging.getLogger("voxaudit.serve").warning(
            "listening on %s: anyone who can reach this address can upload, listen to and delete takes "
            "(there is no login); use --host 127.0.0.1 unless that is what you want", host)
    with project_lock(project_dir):
        app = create_app(project_dir, allowed_hosts=allowed, **kwargs)
        uvicorn.run(app, host=host, port=port, log_level=log_level)


@contextlib.contextmanager
def project_lock(project_dir: str | os.PathLike) -> Iterator[None]:
    """Hold ``PROJECT/.serve.lock`` while serving: a second server on the same folder is refused
    (it would clear the first one's uploads in progress). Advisory, POSIX only; released on exit,
    also when the process is killed.

    Raises
    ------
    ParameterError
        When another process holds the lock.
    """
    from ..errors import ParameterError

    folder = Path(project_dir)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(folder / ".serve.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ParameterError(f"project {str(folder)!r} is already served by another voxaudit serve") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
