"""Speaking rate against the set's own distribution, per language: a transcript of another clip, or a
clip the slicer cut, reads far faster or slower than the rest of the set.

Set level, over metrics only (never audio or text): each clip's ``speaking_rate_syl_s`` is compared with
the rates of the other clips of the same language by Tukey's fences on the log rate (Emilia's rule, in
log units so that "twice as fast" and "half as fast" are equally far): the clip's distance outside
[Q1, Q3] in units of the interquartile range becomes ``speaking_rate_iqr`` (0 inside), which the
thresholds table judges (``speaking_rate``: warning above 1.5, Emilia's 1.5 x IQR).

Evidence (``scripts/eval_text.py``, 96 clips of ../shared/speech with their public transcripts given at
run time; per speaker):

- Rate per second of *speech* (pauses excluded) scatters least: log-rate standard deviation 0.111 /
  0.149 / 0.128 (aishell S0150, S0252, LJSpeech) against 0.125 / 0.156 / 0.139 per second between the
  first and last speech and 0.117 / 0.137 / 0.134 per second of clip.
- Correct lines: 1.5 x IQR flags none of the 89 single-script lines. Lines that mix scripts are not
  judged: three aishell lines with English song titles inside Mandarin ("想听歌曲Let It Go") read
  25-30 % slower per counted syllable (an English syllable inside Mandarin took about 1.8 Mandarin
  syllables of time), and would have been flagged.
- Swapped transcripts (every pair of clips of one speaker exchanging texts, 1,428 swaps): caught 31 %
  of all swaps and 94 % of the swaps where one text is at least 1.5 times as long as the other; a
  robust z of 3 on the log rate (MAD) caught 22 % / 70 %, 2.5 caught 31 % / 90 % with one false flag.
  Swaps of texts of nearly the same length cannot be seen from the rate at all.
- The narrowest per-speaker IQR of the log rate seen was 0.10 (aishell S0150); ``MIN_IQR_LOG`` keeps
  a set of very even clips from turning small differences into findings.
"""

from __future__ import annotations

import math
from typing import Iterable, Optional

import numpy as np

from .lang import guess_lang

# Fewer clips of a language than this: no distribution to judge against.
MIN_CLIPS = 8
MIN_IQR_LOG = 0.10


def rate_outliers(rates_syl_s: Iterable[Optional[float]], *, min_clips: int = MIN_CLIPS,
                  min_iqr_log: float = MIN_IQR_LOG) -> tuple[list[Optional[float]], Optional[dict]]:
    """Distance of each rate outside the set's interquartile range, in IQRs of the log rate.

    Parameters
    ----------
    rates_syl_s : iterable of float or None
        Speaking rates in syllables per second; None for clips that are not judged.
    min_clips : int
        Below this many rates, nothing is judged.
    min_iqr_log : float
        Floor of the interquartile range of the natural-log rate.

    Returns
    -------
    distances : list of float or None
        0.0 inside [Q1, Q3], else how far outside in IQRs; None where no rate was given or too few.
    stats : dict or None
        ``n``, ``median_syl_s``, ``q1_syl_s``, ``q3_syl_s`` (the set's rate quartiles), None when too few.

    Examples
    --------
    >>> d, s = rate_outliers([4.0, 4.2, 3.9, 4.1, 4.0, 3.8, 4.3, 4.1, 9.0])
    >>> [round(x, 1) for x in d][-1] > 1.5, s["median_syl_s"]
    (True, 4.1)
    """
    rates = list(rates_syl_s)
    valid = [i for i, r in enumerate(rates) if r is not None and math.isfinite(r) and r > 0]
    if len(valid) < min_clips:
        return [None] * len(rates), None
    logs = np.log(np.array([rates[i] for i in valid], dtype=np.float64))
    q1, median, q3 = np.percentile(logs, [25, 50, 75])
    iqr = max(q3 - q1, min_iqr_log)
    out: list[Optional[float]] = [None] * len(rates)
    for i, value in zip(valid, logs):
        out[i] = float(max(0.0, value - q3, q1 - value) / iqr)
    stats = {"n": len(valid), "median_syl_s": round(float(np.exp(median)), 3),
             "q1_syl_s": round(float(np.exp(q1)), 3), "q3_syl_s": round(float(np.exp(q3)), 3)}
    return out, stats


def judge_rates(clips: list, *, min_clips: int = MIN_CLIPS) -> tuple[dict, dict]:
    """Set ``metrics["speaking_rate_iqr"]`` on every judged clip.

    A clip is judged when it has a speaking rate and its text is in one script its language reads
    (``text_foreign_share == 0``). Each speaker of each language is judged against its own clips (two
    read-speech speakers of one language differ by a fifth: aishell1 S0150 3.69, S0252 3.16 syllables/s);
    speakers with fewer than ``min_clips`` judged clips are judged against all clips of the language.
    Language fields are read leniently (``Zh`` joins ``ZH``); clips without one are grouped as ``"?"``.

    Returns
    -------
    summary : dict
        Per language ``{"n", "median_syl_s", "q1_syl_s", "q3_syl_s", "judged"}`` over all its judged
        clips, with ``"by_speaker"`` (the same per speaker) when there are several speakers.
    judged_against : dict
        ``id(clip)`` -> the stats of the group the clip was judged against.
    """
    by_lang: dict[str, list] = {}
    for clip in clips:
        metrics = clip.metrics or {}
        metrics.pop("speaking_rate_iqr", None)
        rate = metrics.get("speaking_rate_syl_s")
        if rate is None or metrics.get("text_foreign_share") not in (0, 0.0):
            continue
        by_lang.setdefault(guess_lang(clip.source.lang) or "?", []).append(clip)

    def rates(group):
        return [c.metrics["speaking_rate_syl_s"] for c in group]

    summary, judged_against = {}, {}
    for lang, members in sorted(by_lang.items()):
        speakers: dict[str, list] = {}
        for clip in members:
            speakers.setdefault(clip.source.speaker or "", []).append(clip)
        small = {id(c) for group in speakers.values() if len(group) < min_clips for c in group}
        # (the group judged against, the clips judged by it)
        plan = [(group, group) for group in speakers.values() if len(group) >= min_clips]
        if small:
            plan.append((members, [c for c in members if id(c) in small]))
        for group, judged in plan:
            distances, stats = rate_outliers(rates(group), min_clips=min_clips)
            if stats is None:
                continue
            wanted = {id(c) for c in judged}
            for clip, distance in zip(group, distances):
                if id(clip) in wanted and distance is not None:
                    clip.metrics["speaking_rate_iqr"] = round(distance, 4)
                    judged_against[id(clip)] = stats
        _, stats = rate_outliers(rates(members), min_clips=min_clips)
        entry = {**(stats or {"n": len(members)}), "judged": stats is not None}
        if len(speakers) > 1:
            entry["by_speaker"] = {name or "?": {**(rate_outliers(rates(group), min_clips=min_clips)[1]
                                                    or {"n": len(group)})}
                                   for name, group in sorted(speakers.items())}
        summary[lang] = entry
    return summary, judged_against
