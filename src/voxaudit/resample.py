"""Sample-rate conversion with soxr (the resampler speaker encoders are fed through).

>>> import numpy as np
>>> from voxaudit.resample import resample
>>> y = resample(np.zeros(48000, dtype=np.float32), orig_sr=48000, target_sr=16000)
>>> y.shape, y.dtype
((16000,), dtype('float32'))
"""

from __future__ import annotations

import numbers

import numpy as np
import soxr

from .errors import ParameterError

__all__ = ["resample"]


def _check_rate(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != int(value) or value <= 0:
        raise ParameterError(f"{name} must be a positive whole number of Hz, got {value!r}")
    return int(value)


def resample(samples: np.ndarray, *, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample a signal from ``orig_sr`` Hz to ``target_sr`` Hz with soxr's HQ filter.

    Parameters
    ----------
    samples : np.ndarray
        Mono samples ``[n]`` or multi-channel samples ``[n, channels]`` (soxr's layout), any float or
        integer dtype; integers are converted as values, not rescaled.
    orig_sr : int
        Sample rate of ``samples`` in Hz.
    target_sr : int
        Wanted sample rate in Hz.

    Returns
    -------
    np.ndarray
        Float32, C-contiguous, ``round(n * target_sr / orig_sr)`` samples along the first axis. When
        the rates are equal the input is returned as float32 (a copy only when a conversion is
        needed).

    Raises
    ------
    ParameterError
        For a non-positive or fractional rate, or an array that is not 1-D or 2-D.

    Examples
    --------
    >>> import numpy as np
    >>> tone = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050).astype(np.float32)
    >>> resample(tone, orig_sr=22050, target_sr=16000).shape
    (16000,)
    """
    orig_sr = _check_rate("orig_sr", orig_sr)
    target_sr = _check_rate("target_sr", target_sr)
    x = np.asarray(samples)
    if x.ndim not in (1, 2):
        raise ParameterError(f"samples must be 1-D [n] or 2-D [n, channels], got shape {x.shape}")
    x = np.ascontiguousarray(x, dtype=np.float32)
    if orig_sr == target_sr or x.shape[0] == 0:
        return x
    # soxr keeps float32 in float32; HQ is its default quality and what librosa calls "soxr_hq".
    y = soxr.resample(x, orig_sr, target_sr, quality="HQ")
    return np.ascontiguousarray(y, dtype=np.float32)
