"""The library's error types."""

from __future__ import annotations



class VoxauditError(Exception):
    """Base class of every error voxaudit raises on purpose."""


class ParameterError(VoxauditError, ValueError):
    """An invalid parameter value; the message names the bad value."""


class AudioError(VoxauditError):
    """A clip could not be used. ``code`` is the finding code it becomes (``unreadable``, ``too_short``,
    ``too_long``); ``duration_s`` is the clip's duration when it is known (from the file header);
    ``limit_s`` is the duration the clip was measured against when it is too long (it depends on the
    sample rate and channel count when the decoded size is what is too large); ``cause`` names why an ``unreadable`` clip could not be read (``not_found``, ``not_regular``,
    ``symlink_loop`` ... see ``messages.UNREADABLE_CAUSES``), so its hint can fit the cause, and ``info``
    holds the fields its message is rendered from in any language (a link target, a file kind ...)."""

    def __init__(self, code: str, message: str, *, duration_s: float | None = None,
                 cause: str | None = None, limit_s: float | None = None, info: dict | None = None):
        super().__init__(message)
        self.limit_s = limit_s
        self.info = dict(info or {})
        self.code = code
        self.duration_s = duration_s
        self.cause = cause
