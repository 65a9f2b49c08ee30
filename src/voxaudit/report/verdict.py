"""The one-voice verdict in words, the same for the terminal, the HTML report and ``voxaudit serve``.

Reads only the identity keys of a summary (``n_voices``, ``consistent``, ``voices``,
``voices_about_equal``, ``identity_too_small``) and the clips' identity blocks' outlier count.
"""

from __future__ import annotations

from typing import Optional

VERDICT_TEXT = {
    "en": {
        "one_voice": "one consistent voice",
        "one_voice_outliers": "one voice, {k} outlier take(s)",
        "voice": "{n} clips ({m} min) of voice {label}",
        "reference": " — the reference —", "reference_list": " (the reference)",
        "voices": "{k} voices: {parts}; listen to {each} and keep one",
        "both": "both", "each": "each",
        "and": " and ", "comma": ", ", "sep": "; ",
        "about_equal": "voices {a} and {b} are about equal in length: choose which to keep ({a} is the "
                       "reference until you do)",
    },
    "zh": {
        "one_voice": "音色一致（单一说话人）",
        "one_voice_outliers": "单一音色，{k} 条离群录音",
        "voice": "音色 {label} {n} 条（{m} 分钟）",
        "reference": "（参考音色）", "reference_list": "（参考音色）",
        "voices": "{k} 种音色：{parts}；请{each}试听后只保留一种",
        "both": "两种都", "each": "逐一",
        "and": "，", "comma": "，", "sep": "；",
        "about_equal": "音色 {a} 与 {b} 时长相近：请选择保留哪一种（选定前以 {a} 为参考）",
    },
}


def _minutes(value) -> str:
    return "?" if value is None else f"{float(value):.1f}"


def voices_sentence(summary: dict, lang: str, *, n_outliers: Optional[int] = None) -> Optional[str]:
    """The identity verdict as one sentence, or None when the set was not judged.

    Parameters
    ----------
    summary : dict
        A scan or serve summary (``report.json``'s ``summary``).
    lang : {"en", "zh"}
    n_outliers : int, optional
        Outlier takes of a one-voice set (clips whose identity block says ``outlier``).

    Examples
    --------
    >>> s = {"n_voices": 2, "consistent": False, "voices_about_equal": False, "voices": [
    ...     {"voice": "A", "n_clips": 20, "minutes": 2.1}, {"voice": "B", "n_clips": 20, "minutes": 1.9}]}
    >>> voices_sentence(s, "en")
    '2 voices: 20 clips (2.1 min) of voice A — the reference — and 20 clips (1.9 min) of voice B; listen to both and keep one'
    """
    t = VERDICT_TEXT["zh" if str(lang).startswith("zh") else "en"]
    n_voices = summary.get("n_voices")
    if summary.get("identity_too_small") or n_voices is None:
        return None
    voices = summary.get("voices") or []
    if n_voices <= 1 or len(voices) < 2:
        if summary.get("consistent"):
            return t["one_voice"]
        k = n_outliers if n_outliers is not None else summary.get("n_outliers", 0)
        return t["one_voice_outliers"].format(k=k) if k else t["one_voice"]
    parts = [t["voice"].format(n=v.get("n_clips"), m=_minutes(v.get("minutes")), label=v.get("voice"))
             for v in voices]
    parts[0] += t["reference" if len(voices) == 2 else "reference_list"]
    joined = t["comma"].join(parts[:-1]) + t["and"] + parts[-1]
    sentence = t["voices"].format(k=len(voices), parts=joined, each=t["both"] if len(voices) == 2 else t["each"])
    if summary.get("voices_about_equal"):
        sentence += t["sep"] + t["about_equal"].format(a=voices[0].get("voice"), b=voices[1].get("voice"))
    return sentence
