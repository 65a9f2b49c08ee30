"""``voxaudit serve --script DIR/script.txt``: read a recording script sentence by sentence.

The page shows the next sentence not yet recorded above the record button and puts it into the take's
text, so every take is stored with its sentence; the session's ``keep.list`` then carries the text and
the script's language code, and the speaking-rate and unmarked-pause checks run on each take.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Optional

from ..errors import ParameterError
from ..text.lang import GPT_SOVITS_CODES, HAN, HANGUL, KANA, LIST_CODE, normalise_lang, script_units

STRINGS = {
    "en": {"next": "Read sentence {i} of {n}:", "done": "All {n} sentences of the script are recorded.",
           "no_text": "{n} take(s) have no text: record from the script or type the transcript"},
    "zh": {"next": "请朗读第 {i} / {n} 句：", "done": "录音稿的 {n} 句已全部录完。",
           "no_text": "{n} 条录音没有文本：请按录音稿录制，或填写文本"},
}


def _key(text: Optional[str]) -> str:
    return "".join(ch for ch in (text or "").lower() if ch.isalnum())


class RecordingScript:
    """The sentences of a script and its GPT-SoVITS language code.

    Parameters
    ----------
    path : path-like
        ``script.txt`` (one sentence a line, ``#`` comments skipped), as ``voxaudit script`` writes it.
    list_lang : str, optional
        Language code for the takes' list lines; default: the code in ``script.list`` beside the script,
        else guessed from the script's writing (Han: ZH, kana: JA, Hangul: KO, otherwise EN).
    """

    def __init__(self, path: str | os.PathLike, *, list_lang: Optional[str] = None):
        from ..text.script import read_sentences

        self.path = Path(path)
        self.sentences = read_sentences(self.path)
        if not self.sentences:
            raise ParameterError(f"script {self.path} has no sentences")
        if list_lang is not None and normalise_lang(list_lang) is None:
            raise ParameterError(f"--list-lang {list_lang!r} is not a code GPT-SoVITS accepts (ZH, JA, EN, KO, YUE)")
        self.list_lang = list_lang or self._code_beside() or self._guess_code()

    def _code_beside(self) -> Optional[str]:
        beside = self.path.with_suffix(".list")
        try:
            first = beside.read_text(encoding="utf-8-sig").splitlines()[0]
        except (OSError, UnicodeDecodeError, IndexError):
            return None
        fields = first.split("|")
        return fields[2] if len(fields) == 4 and fields[2] in GPT_SOVITS_CODES else None

    def _guess_code(self) -> str:
        units = script_units("".join(self.sentences))
        if units.get(KANA):
            return LIST_CODE["ja"]
        if units.get(HANGUL):
            return LIST_CODE["ko"]
        return LIST_CODE["zh"] if units.get(HAN, 0) >= sum(units.values()) / 2 else LIST_CODE["en"]

    def state(self, texts: Iterable[Optional[str]], ui_lang: str = "en") -> dict:
        """Where the session stands: the next sentence not yet recorded (by the takes' texts)."""
        recorded = {_key(t) for t in texts if t}
        strings = STRINGS.get(ui_lang, STRINGS["en"])
        done = [i for i, s in enumerate(self.sentences) if _key(s) in recorded]
        left = [i for i, s in enumerate(self.sentences) if _key(s) not in recorded]
        out = {"n_sentences": len(self.sentences), "n_recorded": len(done), "list_lang": self.list_lang,
               "next_index": None, "next_sentence": None,
               "heading": strings["done"].format(n=len(self.sentences))}
        if left:
            i = left[0]
            out.update(next_index=i, next_sentence=self.sentences[i],
                       heading=strings["next"].format(i=i + 1, n=len(self.sentences)))
        return out


def no_text_notice(n: int, ui_lang: str = "en") -> Optional[str]:
    """"N takes have no text ..." in ``ui_lang``, or None when every take has text."""
    return STRINGS.get(ui_lang, STRINGS["en"])["no_text"].format(n=n) if n else None
