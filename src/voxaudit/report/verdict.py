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
        "speakers": "{n} speakers",
        "all_consistent": "each one consistent voice",
        "consistent_count": "{k} one consistent voice each",
        "not_one_voice": "more than one voice: {names}",
        "outliers": "outlier takes: {names}",
        "too_small": "too few clips to judge: {names}",
        "mislabelled": "{m} clip(s) filed under the wrong name",
        "same_voice": "one voice under two names: {pairs}",
        "pair": "{a} = {b}",
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
        "speakers": "{n} 个说话人",
        "all_consistent": "每个说话人音色一致",
        "consistent_count": "{k} 个说话人音色一致",
        "not_one_voice": "包含多种音色：{names}",
        "outliers": "有离群录音：{names}",
        "too_small": "音频太少无法判断：{names}",
        "mislabelled": "{m} 条音频标错了说话人",
        "same_voice": "两个名字其实是同一音色：{pairs}",
        "pair": "{a} = {b}",
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


def speakers_sentence(summary: dict, lang: str, *, max_names: int = 5) -> str:
    """The verdict of a multi-speaker set in one sentence (``summary["speakers"]`` and the counts).

    Examples
    --------
    >>> s = {"speakers": [{"name": "anna", "n_voices": 1, "consistent": True},
    ...                   {"name": "ben", "n_voices": 2, "consistent": False},
    ...                   {"name": "ben2", "n_voices": 1, "consistent": True}], "n_mislabelled": 2,
    ...      "same_voice_pairs": [["ben", "ben2"]]}
    >>> speakers_sentence(s, "en")
    '3 speakers: 2 one consistent voice each; more than one voice: ben; 2 clip(s) filed under the wrong name; one voice under two names: ben = ben2'
    """
    t = VERDICT_TEXT["zh" if str(lang).startswith("zh") else "en"]
    speakers = summary.get("speakers") or []

    def names(items):
        items = list(items)
        return t["comma"].join(items[:max_names]) + (" …" if len(items) > max_names else "")

    status = {s["name"]: speaker_status(s) for s in speakers}
    consistent = [n for n, st in status.items() if st in ("consistent", "mislabels_only")]
    parts = [t["speakers"].format(n=len(speakers))]
    if len(consistent) == len(speakers):
        parts.append(t["all_consistent"])
    else:
        parts.append(t["consistent_count"].format(k=len(consistent)))
        for key, wanted in (("not_one_voice", "voices"), ("outliers", "outliers"), ("too_small", "too_small")):
            found = [n for n, st in status.items() if st == wanted]
            if found:
                parts.append(t[key].format(names=names(found)))
    if summary.get("n_mislabelled"):
        parts.append(t["mislabelled"].format(m=summary["n_mislabelled"]))
    pairs = summary.get("same_voice_pairs") or []
    if pairs:
        parts.append(t["same_voice"].format(pairs=names(t["pair"].format(a=a, b=b) for a, b in pairs)))
    return parts[0] + ": " + t["sep"].join(parts[1:]) if t is VERDICT_TEXT["en"] else parts[0] + "：" + t["sep"].join(parts[1:])


def speaker_status(entry: dict) -> str:
    """One label's state, clips filed under it by mistake set aside: ``too_small`` (not judged),
    ``consistent``, ``mislabels_only`` (one voice; its only outliers belong to other labels),
    ``outliers`` (one voice with outlier takes) or ``voices`` (more than one voice of its own)."""
    if entry.get("identity_too_small") or entry.get("n_voices") is None:
        return "too_small"
    if entry.get("consistent"):
        return "consistent"
    own_voices = entry.get("n_own_voices") or entry.get("n_voices") or 1
    if own_voices > 1:
        return "voices"
    if (entry.get("n_outliers") or 0) > (entry.get("n_mislabelled") or 0):
        return "outliers"
    return "mislabels_only"
