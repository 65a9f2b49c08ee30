"""Language codes of a GPT-SoVITS list, and which writing systems each code can read.

GPT-SoVITS's ``1-get-text.py`` keeps a line only when its language field is one of the keys of its
``language_v1_to_language_v2`` table (the exact spellings below); any other code is reported as "not
supported for training" and the line is dropped. Its text front ends then read only their own script:
the Mandarin and Cantonese normalisers delete every character that is neither Han nor punctuation
(Latin words vanish from the phone sequence while the audio still says them), the English front end
has no reading for Han characters, and so on.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from typing import Optional

# The exact spellings GPT-SoVITS accepts (its language_v1_to_language_v2 keys) -> the language.
GPT_SOVITS_CODES: dict[str, str] = {
    "ZH": "zh", "zh": "zh",
    "JP": "ja", "jp": "ja", "JA": "ja", "ja": "ja",
    "EN": "en", "en": "en", "En": "en",
    "KO": "ko", "Ko": "ko", "ko": "ko",
    "yue": "yue", "YUE": "yue", "Yue": "yue",
}
LANGUAGES = ("zh", "ja", "en", "ko", "yue")
# The spelling voxaudit writes into lists it makes (what GPT-SoVITS's own ASR step writes).
LIST_CODE = {"zh": "ZH", "ja": "JA", "en": "EN", "ko": "KO", "yue": "YUE"}

# Scripts, as counted by script_units().
HAN, KANA, HANGUL, LATIN, OTHER = "han", "kana", "hangul", "latin", "other"
# Which scripts each language's front end reads.
READABLE: dict[str, frozenset] = {
    "zh": frozenset({HAN}),
    "yue": frozenset({HAN}),
    "ja": frozenset({HAN, KANA}),
    "en": frozenset({LATIN}),
    "ko": frozenset({HANGUL}),
}
# Japanese text of this many Han characters with no kana at all is read as Chinese, not Japanese:
# ordinary Japanese sentences always carry kana (particles, endings); only short names and headings
# are all kanji.
JA_HAN_ONLY_MIN = 6


def normalise_lang(code: Optional[str]) -> Optional[str]:
    """The language of a list's language field (``zh``, ``ja``, ``en``, ``ko``, ``yue``), or None when
    GPT-SoVITS would not accept the code.

    Examples
    --------
    >>> normalise_lang("ZH"), normalise_lang("Ja"), normalise_lang(" en ")
    ('zh', None, None)
    """
    if code is None:
        return None
    return GPT_SOVITS_CODES.get(code)


def guess_lang(code: Optional[str]) -> Optional[str]:
    """A lenient reading of a language field for grouping and syllable counting: accepted codes, and also
    codes GPT-SoVITS rejects only for their spelling (``Zh``, `` ZH``, ``cmn``, ``zh-CN``)."""
    if code is None:
        return None
    exact = normalise_lang(code)
    if exact:
        return exact
    low = code.strip().lower().replace("_", "-")
    low = {"cmn": "zh", "jp": "ja", "jpn": "ja", "eng": "en", "kor": "ko", "zho": "zh", "chi": "zh",
           "cn": "zh", "kr": "ko", "can": "yue"}.get(low, low)
    base = low.split("-")[0]
    return base if base in LANGUAGES else None


def char_script(ch: str) -> Optional[str]:
    """The script of one character: ``han``, ``kana``, ``hangul``, ``latin``, ``other`` for letters of
    other scripts, or None for digits, punctuation, symbols and spaces."""
    code = ord(ch)
    if (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF
            or 0x20000 <= code <= 0x2FA1F or ch == "〇"):
        return HAN
    if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9D:
        return KANA if ch not in "・" else None
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return HANGUL
    if ch.isalpha():
        name = unicodedata.name(ch, "")
        return LATIN if name.startswith(("LATIN", "FULLWIDTH LATIN")) else OTHER
    return None


def script_units(text: str) -> Counter:
    """Count the text's units per script: one per Han, kana or Hangul character, one per word of
    Latin (or other alphabetic) letters.

    Examples
    --------
    >>> dict(script_units("我用 iPhone 拍的"))
    {'han': 4, 'latin': 1}
    """
    counts: Counter = Counter()
    previous = None
    for ch in text:
        script = char_script(ch)
        if script in (LATIN, OTHER):
            if previous != script:
                counts[script] += 1
        elif script is not None:
            counts[script] += 1
        previous = script if script is not None or ch in "'’-" and previous in (LATIN, OTHER) else None
    return counts


def foreign_share(text: str, lang: Optional[str]) -> Optional[float]:
    """Share (0..1) of the text's units written in a script that ``lang``'s front end cannot read.

    None when the language is unknown or the text has no letters at all (digits and punctuation only).

    Examples
    --------
    >>> foreign_share("今天天气很好", "en"), foreign_share("It is sunny today", "zh")
    (1.0, 1.0)
    >>> foreign_share("我用iPhone拍的", "zh")
    0.2
    """
    if lang not in READABLE:
        return None
    units = script_units(text)
    total = sum(units.values())
    if total == 0:
        return None
    readable = READABLE[lang]
    if lang == "ja" and units.get(KANA, 0) == 0 and units.get(HAN, 0) >= JA_HAN_ONLY_MIN:
        readable = frozenset({KANA})  # a long all-Han line under JA is Chinese text
    foreign = sum(n for script, n in units.items() if script not in readable)
    return foreign / total
