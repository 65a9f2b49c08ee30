"""Silence: how much of the clip is not speech, at the edges and inside."""

from __future__ import annotations

import numpy as np

from .activity import SpeechActivity, check_input, mask_runs


def measure_silence(samples: np.ndarray, *, sample_rate: int, activity: SpeechActivity) -> dict:
    """Non-speech share, leading and trailing silence and the longest internal pause.

    "Silence" is every frame that ``activity`` does not call speech: digital zero, room noise, breaths
    below the speech threshold. Speech regions carry the activity hangover (40 ms each side), so edge
    silences read about 0.04 s shorter than the gap to the first speech sample.

    Parameters
    ----------
    samples : np.ndarray
        Mono float32 samples, full scale 1.0.
    sample_rate : int
        Sample rate in Hz.
    activity : SpeechActivity
        Speech activity of ``samples``.

    Returns
    -------
    dict
        ``silence_ratio`` : float or None
            Non-speech part of the duration, 0..1 (1.0 when no speech is found); None for an empty clip.
        ``leading_silence_s`` : float or None
            Seconds before the first speech; the whole duration when there is no speech.
        ``trailing_silence_s`` : float or None
            Seconds after the last speech; the whole duration when there is no speech.
        ``longest_pause_s`` : float or None
            Longest non-speech run with speech on both sides, in seconds (0.0 with a single speech
            region); None when there is no speech.

    Raises
    ------
    ParameterError
        If ``sample_rate`` is not a positive whole number or ``samples`` is not 1-D.

    Examples
    --------
    >>> from voxaudit.signal.activity import speech_activity
    >>> sr = 16000
    >>> tone = (0.1 * np.sin(2 * np.pi * 200 * np.arange(sr) / sr)).astype(np.float32)
    >>> x = np.concatenate([np.zeros(sr, np.float32), tone, np.zeros(2 * sr, np.float32)])
    >>> m = measure_silence(x, sample_rate=sr, activity=speech_activity(x, sample_rate=sr))
    >>> round(m["leading_silence_s"], 1), round(m["trailing_silence_s"], 1), round(m["silence_ratio"], 2)
    (1.0, 2.0, 0.75)
    """
    x = check_input(samples, sample_rate)
    duration_s = x.size / float(sample_rate)
    if x.size == 0:
        return {"silence_ratio": None, "leading_silence_s": None, "trailing_silence_s": None,
                "longest_pause_s": None}
    speech = np.asarray(activity.speech, dtype=bool)
    runs = mask_runs(speech)
    if not runs:
        return {"silence_ratio": 1.0, "leading_silence_s": duration_s, "trailing_silence_s": duration_s,
                "longest_pause_s": None}

    # Frame i stands for the hop cell [i * hop_s, (i + 1) * hop_s); the last frame runs to the end.
    hop_s = activity.hop_s
    starts = [min(a * hop_s, duration_s) for a, _ in runs]
    stops = [min(duration_s, b * hop_s) if b < speech.size else duration_s for _, b in runs]
    speech_s = float(sum(b - a for a, b in zip(starts, stops)))
    pauses = [starts[i + 1] - stops[i] for i in range(len(runs) - 1)]
    return {
        "silence_ratio": float(np.clip(1.0 - speech_s / duration_s, 0.0, 1.0)),
        "leading_silence_s": float(starts[0]),
        "trailing_silence_s": float(max(0.0, duration_s - stops[-1])),
        "longest_pause_s": float(max(pauses)) if pauses else 0.0,
    }
