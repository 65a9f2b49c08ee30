"""What a set of lines covers: Mandarin initials, finals, tones and polyphonic characters (read in context
by pypinyin), English ARPAbet phonemes (CMU Pronouncing Dictionary), and numbers, dates, times, money,
questions and exclamations.

A model trained on a set only learns the sounds its text contains; ``summary.coverage`` and the HTML
report's coverage panel say what is there and, in words, what is missing. ``voxaudit script`` uses the
same units to choose recording sentences that fill the gaps.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Optional

from .lang import HAN, char_script
from .syllables import english_phones

# The 21 initials of Hanyu Pinyin (y and w are spellings of finals, not initials).
ZH_INITIALS = ("b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x",
               "zh", "ch", "sh", "r", "z", "c", "s")
# The 38 finals, as pypinyin's strict FINALS style spells them (v = ü), with the apical vowel split:
# "-i" after z c s (zi ci si) and "-i" after zh ch sh r (zhi chi shi ri) are different sounds.
ZH_FINALS = ("a", "o", "e", "i", "u", "v", "-i(zcs)", "-i(zh)", "er",
             "ai", "ei", "ao", "ou", "an", "en", "ang", "eng", "ong",
             "ia", "ie", "iao", "iou", "ian", "in", "iang", "ing", "iong",
             "ua", "uo", "uai", "uei", "uan", "uen", "uang", "ueng",
             "ve", "van", "vn")
ZH_V_FINALS = ("v", "ve", "van", "vn")
# Tone 5 is the neutral tone.
ZH_TONES = ("1", "2", "3", "4", "5")
# Common polyphonic characters whose reading depends on the word (the recording guide's 重 and 行, and
# the ones GPT-SoVITS users most often see misread).
ZH_POLYPHONES = ("重", "行", "长", "还", "得", "着", "了", "地", "的", "乐", "好", "都", "为", "便", "数",
                 "差", "量", "调", "发", "和", "少", "觉", "只", "种", "传", "朝", "背", "空", "难", "相",
                 "教", "看", "干", "应", "处", "将", "假", "省", "藏", "曾", "转", "中", "当", "正", "分",
                 "几", "兴", "奇", "没", "模", "薄", "血", "率", "系", "弹", "更", "结", "似", "宿", "露")
# The 39 phonemes of the CMU dictionary's ARPAbet (stress removed).
EN_PHONEMES = ("AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH",
               "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH",
               "UH", "UW", "V", "W", "Y", "Z", "ZH")
FEATURES = ("number", "date", "time", "money", "question", "exclamation")

_ZH_NUMERALS = "零〇一二三四五六七八九十百千万亿两"
_FEATURE_PATTERNS = {
    "zh": {
        "number": re.compile(rf"\d|[{_ZH_NUMERALS}]{{2,}}|[{_ZH_NUMERALS}](?:个|位|只|条|本|次|天|年|岁|点|块|元|分|斤|公里|米)"),
        "date": re.compile(rf"[\d{_ZH_NUMERALS}]+\s*[年月日号]|星期[一二三四五六日天]|周[一二三四五六日末]|[今明昨前后]天|元旦|春节|国庆"),
        "time": re.compile(rf"\d{{1,2}}[:：]\d{{2}}|[\d{_ZH_NUMERALS}]+\s*点(?:半|[\d{_ZH_NUMERALS}]+分|钟|整)?(?![心评])|分钟|小时"),
        "money": re.compile(rf"[¥￥$]\s*\d|[\d{_ZH_NUMERALS}]+\s*(?:块钱|块|元|毛|角|美元|欧元)"),
        "question": re.compile(r"[?？]|[吗呢吧][。！!]?$"),
        "exclamation": re.compile(r"[!！]"),
    },
    "en": {
        "number": re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million)\b", re.I),
        "date": re.compile(r"\b(?:january|february|march|april|may|june|july|august|september|october|november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow|yesterday)\b|\b\d{1,2}(?:st|nd|rd|th)\b|\b(?:1[5-9]|20)\d\d\b", re.I),
        "time": re.compile(r"\b\d{1,2}[:：]\d{2}\b|o'clock|\b(?:a\.m\.|p\.m\.|am|pm|noon|midnight|minutes?|hours?)\b", re.I),
        "money": re.compile(r"[$€£]\s*\d|\b(?:dollars?|cents?|euros?|pounds?|bucks)\b", re.I),
        "question": re.compile(r"\?"),
        "exclamation": re.compile(r"!"),
    },
}


@dataclass
class Coverage:
    """Counts of each unit over a set of lines of one language."""

    lang: str
    n_lines: int = 0
    syllables: int = 0
    units: dict[str, Counter] = field(default_factory=dict)
    polyphones: dict[str, Counter] = field(default_factory=dict)

    def count(self, kind: str) -> Counter:
        return self.units.setdefault(kind, Counter())

    def missing(self) -> dict[str, list[str]]:
        """Per kind, the units that never occur."""
        kinds = _KINDS[self.lang]
        return {kind: [u for u in names if not self.units.get(kind, Counter()).get(u)] for kind, names in kinds.items()}

    def to_dict(self, ui_lang: str = "en") -> dict:
        """JSON form: counts per unit, what is missing, and a sentence saying so in ``ui_lang``."""
        kinds = _KINDS[self.lang]
        out: dict = {"n_lines": self.n_lines, "syllables": self.syllables}
        for kind, names in kinds.items():
            counts = self.units.get(kind, Counter())
            out[kind] = {u: int(counts.get(u, 0)) for u in names}
        if self.lang == "zh":
            out["polyphones"] = {ch: dict(sorted(r.items())) for ch, r in sorted(self.polyphones.items())}
        missing = self.missing()
        out["missing"] = {k: v for k, v in missing.items() if v}
        out["missing_text"] = describe_missing(self.lang, missing, ui_lang)
        return out


_KINDS = {
    "zh": {"initials": ZH_INITIALS, "finals": ZH_FINALS, "tones": ZH_TONES, "features": FEATURES},
    "en": {"phonemes": EN_PHONEMES, "features": FEATURES},
}
COVERAGE_LANGS = tuple(_KINDS)


@lru_cache(maxsize=4096)
def _zh_readings(run: str) -> tuple[tuple[str, str, str], ...]:
    """(initial, final, tone) of each character of a Han run, read in context by pypinyin."""
    from pypinyin import Style, lazy_pinyin

    initials = lazy_pinyin(run, style=Style.INITIALS, strict=True)
    finals = lazy_pinyin(run, style=Style.FINALS, strict=True)
    tones = lazy_pinyin(run, style=Style.TONE3, neutral_tone_with_five=True)
    if not (len(initials) == len(finals) == len(tones) == len(run)):
        return ()
    return tuple(zip(initials, finals, tones))


def _han_runs(text: str) -> list[str]:
    runs, current = [], []
    for ch in text:
        if char_script(ch) == HAN:
            current.append(ch)
        elif current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return runs


def line_units(text: str, lang: str) -> set[str]:
    """The coverage units of one line, as ``kind:unit`` strings (what ``voxaudit script`` covers).

    Examples
    --------
    >>> sorted(u for u in line_units("你好吗？", "zh") if u.startswith(("initial", "tone", "feature")))
    ['feature:question', 'initial:h', 'initial:m', 'initial:n', 'tone:3', 'tone:5']
    """
    coverage = Coverage(lang)
    add_line(coverage, text)
    units = {f"{kind[:-1]}:{u}" for kind, counts in coverage.units.items() for u in counts}
    units |= {f"polyphone:{ch}:{r}" for ch, readings in coverage.polyphones.items() for r in readings}
    return units


def add_line(coverage: Coverage, text: str) -> None:
    """Count one line's units into ``coverage``."""
    if not text:
        return
    coverage.n_lines += 1
    lang = coverage.lang
    if lang == "zh":
        for run in _han_runs(text):
            for ch, (initial, final, tone) in zip(run, _zh_readings(run)):
                coverage.syllables += 1
                if initial:
                    coverage.count("initials")[initial] += 1
                if final == "i" and initial in ("z", "c", "s"):
                    final = "-i(zcs)"
                elif final == "i" and initial in ("zh", "ch", "sh", "r"):
                    final = "-i(zh)"
                if final in ZH_FINALS:
                    coverage.count("finals")[final] += 1
                if tone and tone[-1] in ZH_TONES:
                    coverage.count("tones")[tone[-1]] += 1
                if ch in ZH_POLYPHONES:
                    coverage.polyphones.setdefault(ch, Counter())[tone] += 1
    elif lang == "en":
        for word in re.findall(r"[A-Za-z]+(?:['’][A-Za-z]+)*", text):
            phones = english_phones(word)
            if not phones:
                continue
            coverage.syllables += sum(1 for p in phones if p[-1].isdigit())
            for phone in phones:
                coverage.count("phonemes")[phone.rstrip("012")] += 1
    for name, pattern in _FEATURE_PATTERNS.get(lang, {}).items():
        if pattern.search(text.strip()):
            coverage.count("features")[name] += 1


def measure_coverage(lines: Iterable[str], lang: str) -> Coverage:
    """Coverage of a set of lines of one language (``zh`` or ``en``)."""
    if lang not in _KINDS:
        raise ValueError(f"coverage is measured for {COVERAGE_LANGS}, not {lang!r}")
    coverage = Coverage(lang)
    for line in lines:
        add_line(coverage, line)
    return coverage


_MISSING_WORDS = {
    "en": {"initials": "no initial {}", "finals": "no final {}", "v_finals": "no 'ü' finals",
           "tones": "no tone {}", "neutral": "no neutral tone", "phonemes": "no phoneme {}",
           "features": {"number": "no numbers", "date": "no dates", "time": "no times", "money": "no money",
                        "question": "no question", "exclamation": "no exclamation"},
           "sep": "; ", "join": ", ", "none": "nothing missing"},
    "zh": {"initials": "缺声母 {}", "finals": "缺韵母 {}", "v_finals": "缺 ü 类韵母", "tones": "缺第 {} 声",
           "neutral": "缺轻声", "phonemes": "缺音素 {}",
           "features": {"number": "没有数字", "date": "没有日期", "time": "没有时间", "money": "没有金额",
                        "question": "没有问句", "exclamation": "没有感叹句"},
           "sep": "；", "join": "、", "none": "没有缺项"},
}


def _final_name(final: str) -> str:
    return final.replace("v", "ü")


def describe_missing(lang: str, missing: dict[str, list[str]], ui_lang: str = "en") -> str:
    """What is missing, in words ("no 'ü' finals; no neutral tone; no question").

    Examples
    --------
    >>> describe_missing("zh", {"finals": ["v", "ve", "van", "vn"], "tones": ["5"], "features": ["question"]})
    "no 'ü' finals; no neutral tone; no question"
    """
    words = _MISSING_WORDS.get(ui_lang, _MISSING_WORDS["en"])
    parts = []
    if missing.get("initials"):
        parts.append(words["initials"].format(words["join"].join(missing["initials"])))
    finals = list(missing.get("finals", []))
    if all(f in finals for f in ZH_V_FINALS):
        parts.append(words["v_finals"])
        finals = [f for f in finals if f not in ZH_V_FINALS]
    if finals:
        parts.append(words["finals"].format(words["join"].join(_final_name(f) for f in finals)))
    tones = list(missing.get("tones", []))
    if "5" in tones:
        tones.remove("5")
    if tones:
        parts.append(words["tones"].format(words["join"].join(tones)))
    if "5" in missing.get("tones", []):
        parts.append(words["neutral"])
    if missing.get("phonemes"):
        parts.append(words["phonemes"].format(words["join"].join(missing["phonemes"])))
    parts += [words["features"][f] for f in missing.get("features", [])]
    return words["sep"].join(parts) if parts else words["none"]


def set_coverage(items: Iterable[tuple[Optional[str], Optional[str]]], ui_lang: str = "en") -> dict:
    """``summary.coverage``: per language with lines (``zh``, ``en``), the coverage of its texts.

    ``items`` are ``(language, text)`` pairs; language as :func:`~voxaudit.text.lang.guess_lang` reads it.
    """
    by_lang: dict[str, list[str]] = {}
    for lang, text in items:
        if lang in _KINDS and text and text.strip():
            by_lang.setdefault(lang, []).append(text)
    return {lang: measure_coverage(lines, lang).to_dict(ui_lang) for lang, lines in sorted(by_lang.items())}
