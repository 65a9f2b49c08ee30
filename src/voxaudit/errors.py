"""The library's error types."""

from __future__ import annotations



class VoxauditError(Exception):
    """Base class of every error voxaudit raises on purpose."""


class ParameterError(VoxauditError, ValueError):
    """An invalid parameter value; the message names the bad value."""


class AudioError(VoxauditError):
    """A clip could not be used. ``code`` is the finding code it becomes (``unreadable``, ``too_short``,
    ``too_long``); ``duration_s`` is the clip's duration when it is known (from the file header)."""

    def __init__(self, code: str, message: str, *, duration_s: float | None = None):
        super().__init__(message)
        self.code = code
        self.duration_s = duration_s
