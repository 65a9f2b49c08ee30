"""Per-clip text measures: the list line, its language, its syllables, the speaking rate and the pauses
the text does not mark.

Pure functions over ``(text, language field, speech-activity measures)``; they never read files and
never decide severity (the thresholds table does, through ``signal.findings.judge_metrics``).

Evidence for the constants, measured with ``scripts/eval_text.py`` on 96 clips of ``../shared/speech``
whose public transcripts were supplied at run time (aishell1 S0150/S0252: 80 clips, unpunctuated; LJSpeech:
16 clips, punctuated):

- Internal pauses (speech activity of ``signal/activity.py``) of correctly transcribed read speech
  that no punctuation marks are at most 0.41 s (aishell1, a pause inside a read-out phone number;
  LJSpeech at most 0.31 s). Pauses at commas reach 0.82 s (vctk), and clause and sentence breaks in
  LibriSpeech audiobook clips 1.1-2.9 s. The ``unmarked_pause`` rule warns above 0.6 s (config.py):
  clear of the 0.41 s seen, under the 0.7 s of silence at which GPT-SoVITS's own ASR step would have cut.
- Where is the mark for a pause: the share of the clip's speech time before the pause, times the
  line's syllables. Every LJSpeech pause of 0.25 s or more that sits at a comma lands within 0.1-1.7
  syllables of it, so a mark within ``MARK_TOLERANCE_SYL`` syllables (or ``MARK_TOLERANCE_SHARE`` of
  the line, if more) counts as marking the pause.
"""

from __future__ import annotations

import os
from typing import Optional, Sequence

from .lang import foreign_share, guess_lang, normalise_lang
from .syllables import analyse_text

MARK_TOLERANCE_SYL = 2.0
MARK_TOLERANCE_SHARE = 0.10
# Below this much speech, a rate means nothing (a click, a breath).
MIN_SPEECH_S = 0.3

# The metrics this module writes (and that a re-measure replaces).
TEXT_METRICS = ("list_fields", "lang_supported", "text_chars", "text_foreign_share", "text_syllables",
                "speaking_rate_syl_s", "unmarked_pause_s")


def speech_pauses(speech_runs_s: Sequence[tuple[float, float]]) -> tuple[float, list[tuple[float, float]]]:
    """Speech time and the internal pauses of a clip from its speech regions.

    Parameters
    ----------
    speech_runs_s : sequence of (start_s, end_s)
        Speech regions in time order (``SpeechActivity.speech_segments_s()``).

    Returns
    -------
    speech_s : float
        Total speech time in seconds.
    pauses : list of (speech_before_s, length_s)
        Each pause between two speech regions: seconds of speech before it, and its length.

    Examples
    --------
    >>> speech_pauses([(0.5, 2.0), (3.0, 4.0)])
    (2.5, [(1.5, 1.0)])
    """
    speech_s, pauses = 0.0, []
    for i, (start, end) in enumerate(speech_runs_s):
        speech_s += end - start
        if i + 1 < len(speech_runs_s):
            pauses.append((speech_s, speech_runs_s[i + 1][0] - end))
    return speech_s, pauses


def text_chars(text: Optional[str]) -> int:
    """Characters that are spoken: letters, ideographs and digits (not spaces or punctuation)."""
    return sum(1 for ch in (text or "") if ch.isalnum())


def measure_text(text: Optional[str], lang_field: Optional[str], *, list_fields: Optional[int] = None,
                 speech_s: Optional[float] = None,
                 pauses: Optional[Sequence[tuple[float, float]]] = None) -> dict:
    """Measure one clip's transcript against its audio.

    Parameters
    ----------
    text : str or None
        The transcript (the 4th field of a list line; None when the clip has none).
    lang_field : str or None
        The language field as written in the list (``ZH``, ``en`` ...).
    list_fields : int, optional
        How many ``|``-separated fields the clip's list line has (None for clips not from a list).
    speech_s : float, optional
        Seconds of speech in the clip (see :func:`speech_pauses`).
    pauses : sequence of (speech_before_s, length_s), optional
        The clip's internal pauses (see :func:`speech_pauses`).

    Returns
    -------
    dict
        ``list_fields`` (int; list clips only), ``lang_supported`` (1 when GPT-SoVITS accepts the code,
        else 0; list clips only), ``text_chars`` (spoken characters), ``text_foreign_share`` (0..1, share
        of words/characters in a script the language cannot read; None without letters or language),
        ``text_syllables`` (int), ``speaking_rate_syl_s`` (syllables per second of speech; None without
        text or speech), ``unmarked_pause_s`` (the longest internal pause with no pause mark at its
        place in the text, 0.0 when there is none; None without text or audio).

    Examples
    --------
    >>> m = measure_text("今天天气很好我们去公园吧", "ZH", list_fields=4, speech_s=3.0, pauses=[(1.5, 0.9)])
    >>> m["text_syllables"], m["speaking_rate_syl_s"], m["unmarked_pause_s"]
    (12, 4.0, 0.9)
    >>> measure_text("今天天气很好，我们去公园吧", "ZH", list_fields=4, speech_s=3.0, pauses=[(1.5, 0.9)])["unmarked_pause_s"]
    0.0
    """
    out: dict = {}
    if list_fields is not None:
        out["list_fields"] = int(list_fields)
        out["lang_supported"] = 1 if normalise_lang(lang_field) else 0
    out["text_chars"] = text_chars(text)
    if not out["text_chars"]:
        return out
    lang = guess_lang(lang_field)
    out["text_foreign_share"] = foreign_share(text, lang)
    units = analyse_text(text, lang)
    out["text_syllables"] = units.syllables
    if speech_s is not None and speech_s >= MIN_SPEECH_S and units.syllables:
        out["speaking_rate_syl_s"] = units.syllables / speech_s
    if speech_s is not None and pauses is not None and units.syllables:
        tolerance = max(MARK_TOLERANCE_SYL, MARK_TOLERANCE_SHARE * units.syllables)
        longest = 0.0
        for before_s, length_s in pauses:
            place = before_s / speech_s * units.syllables if speech_s > 0 else 0.0
            if not any(abs(mark - place) <= tolerance for mark in units.marks):
                longest = max(longest, float(length_s))
        out["unmarked_pause_s"] = longest
    return out


def clip_has_text(source) -> bool:
    """Whether a clip's transcript is checked: it came from a list, or it carries a text (a take recorded
    from a script)."""
    return source.list_line is not None or source.text is not None


def measure_clip_text(source, *, speech_runs_s: Optional[Sequence[tuple[float, float]]] = None,
                      ui_lang: str = "en") -> tuple[dict, dict]:
    """The text metrics of one clip (:func:`measure_text`) and the context its messages quote.

    Parameters
    ----------
    source : ClipSource
        The clip as discovered (its text, language field, list line and where that line stands).
    speech_runs_s : sequence of (start_s, end_s), optional
        Speech regions of the clip's audio; None for a clip that could not be read (then only the
        list-line checks are measured).
    ui_lang : str
        Language of the messages (``en`` or ``zh``).

    Returns
    -------
    metrics, context : dict, dict
    """
    from ..messages import script_names
    from .lang import READABLE, char_script

    list_fields = source.list_line.rstrip("\r\n").count("|") + 1 if source.list_line is not None else None
    speech_s, pauses = (speech_pauses(speech_runs_s) if speech_runs_s is not None else (None, None))
    metrics = measure_text(source.text, source.lang, list_fields=list_fields, speech_s=speech_s, pauses=pauses)
    lang = guess_lang(source.lang)
    foreign = sorted({char_script(ch) for ch in (source.text or "")} - {None} - READABLE.get(lang, frozenset()))
    context = {
        "line_no": source.list_line_no if source.list_line_no is not None else "?",
        "list_name": os.path.basename(source.list_path) if source.list_path else "the list",
        "lang_code": source.lang if source.lang is not None else "",
        "foreign_scripts": script_names(foreign, ui_lang),
    }
    return metrics, context
