"""Signal measures: pure functions over ``(samples, sample_rate)`` at the native rate.

Every family lives in its own module and exposes one function

    measure_<family>(samples: np.ndarray, *, sample_rate: int, activity: SpeechActivity) -> dict

returning plain numbers (float, int or None where a value cannot be measured; the level of exact
digital silence is -inf dBFS, which the pipeline judges and then stores as null) under names that carry
their unit. Detectors never print, never read files and never decide severity: ``findings.py`` does that
against the thresholds table in ``voxaudit.config``.

``measure_signal`` runs them all and merges their dictionaries; with ``mos=True`` it adds DNSMOS P.835
(:mod:`voxaudit.signal.mos`, a learned rating that costs more than everything else together; the scan's
default asks it only as a second opinion, see :func:`voxaudit.signal.mos.wants_second_opinion`).
"""

from __future__ import annotations

import numpy as np

from .activity import SpeechActivity, speech_activity
from .agc import combine_pause_floor, measure_agc
from .denoise import measure_denoise
from .level import measure_level
from .noise import measure_noise
from .plosive import measure_plosives
from .reverb import measure_reverb
from .silence import measure_silence
from .spectrum import measure_spectrum

MEASURES = (
    measure_level,
    measure_silence,
    measure_noise,
    measure_spectrum,
    measure_reverb,
    measure_plosives,
    measure_agc,
    measure_denoise,
)

__all__ = ["measure_signal", "speech_activity", "SpeechActivity", "MEASURES"]


def measure_signal(samples: np.ndarray, *, sample_rate: int, activity: SpeechActivity | None = None,
                   mos: bool = False) -> dict:
    """Run every signal measure on a mono clip.

    Parameters
    ----------
    samples : np.ndarray
        Mono float32 samples, full scale 1.0, finite.
    sample_rate : int
        Sample rate in Hz (the clip's native rate).
    activity : SpeechActivity, optional
        ``speech_activity(samples, sample_rate=sample_rate)`` when the caller already has it (the
        transcript checks use the same pauses); computed here otherwise.
    mos : bool
        Also rate the clip with DNSMOS P.835 (``dnsmos_sig``, ``dnsmos_bak``, ``dnsmos_ovrl``).

    Returns
    -------
    dict
        Metric name -> value; see each ``measure_*`` for the names and units.
    """
    x = np.asarray(samples, dtype=np.float32)
    if activity is None:
        activity = speech_activity(x, sample_rate=sample_rate)
    metrics: dict = {}
    for measure in MEASURES:
        metrics.update(measure(x, sample_rate=sample_rate, activity=activity))
    # AGC's third sign reads the denoise and noise measures (see signal/agc.py).
    metrics.update(combine_pause_floor(metrics))
    if mos:
        from .mos import measure_mos

        metrics.update(measure_mos(x, sample_rate=sample_rate, activity=activity))
    return metrics
