"""The library's error types."""


class VoxauditError(Exception):
    """Base class of every error voxaudit raises on purpose."""


class ParameterError(VoxauditError, ValueError):
    """An invalid parameter value; the message names the bad value."""


class AudioError(VoxauditError):
    """A clip could not be used. ``code`` is the finding code it becomes (``unreadable``, ``too_short``)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
