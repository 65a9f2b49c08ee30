"""Recording scripts: choose sentences from a corpus that cover what a set's text lacks, up to N minutes.

``voxaudit script --lang zh --minutes 10 --out DIR`` writes ``DIR/script.txt`` (one sentence a line) and
``DIR/script.list`` (a GPT-SoVITS list template, ``take_0001.wav|SPEAKER|ZH|sentence``: record the takes
under those names, or with ``voxaudit serve --script DIR/script.txt``, and the list is ready to train).

The choice is greedy: each step takes the sentence with the most not-yet-covered units per second of
reading (initials, finals, tones and polyphone readings for Mandarin; ARPAbet phonemes for English; and
numbers, dates, times, money, questions, exclamations), each unit's worth falling with how often the
existing list and the sentences already chosen contain it, until the script reaches N minutes.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterable, Optional, Sequence

from ..errors import ParameterError
from .coverage import COVERAGE_LANGS, line_units, measure_coverage
from .lang import LIST_CODE, guess_lang
from .syllables import count_syllables

# A normal reading rate, syllables per second of speech: the median rates measured on read speech in
# ../shared/speech with their transcripts (aishell1 S0150 3.69, S0252 3.16 -> 3.4; LJSpeech 4.5), see
# text/rate.py. Each take also carries about 0.3 s of silence at each end and a short breath.
READING_RATE_SYL_S = {"zh": 3.4, "en": 4.5}
TAKE_MARGIN_S = 1.0


@dataclass
class Script:
    """A chosen recording script."""

    lang: str
    sentences: list[str] = field(default_factory=list)
    seconds: float = 0.0
    coverage: dict = field(default_factory=dict)
    coverage_before: dict = field(default_factory=dict)


def read_sentences(path: str | os.PathLike) -> list[str]:
    """Sentences of a corpus file: one a line, UTF-8; blank lines and ``#`` comments skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ParameterError(f"cannot read corpus {path}: {error}") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def builtin_corpus(lang: str) -> list[str]:
    """The corpus voxaudit ships for ``lang`` (``zh`` or ``en``)."""
    if lang not in COVERAGE_LANGS:
        raise ParameterError(f"no built-in corpus for {lang!r}; languages: {', '.join(COVERAGE_LANGS)}")
    with resources.as_file(resources.files("voxaudit.text") / "corpus" / f"{lang}.txt") as path:
        return read_sentences(path)


def reading_seconds(sentence: str, lang: str) -> float:
    """Estimated length of one take reading ``sentence`` at a normal rate, in seconds."""
    return count_syllables(sentence, lang) / READING_RATE_SYL_S[lang] + TAKE_MARGIN_S


def _key(sentence: str) -> str:
    return "".join(ch for ch in sentence.lower() if ch.isalnum())


def choose_script(lang: str, minutes: float, *, corpus: Optional[Sequence[str]] = None,
                  existing: Iterable[str] = (), ui_lang: str = "en") -> Script:
    """Choose sentences that cover what ``existing`` lacks, up to ``minutes`` of reading.

    Parameters
    ----------
    lang : str
        ``zh`` or ``en``.
    minutes : float
        Target length of the recording, in minutes of takes at a normal reading rate.
    corpus : sequence of str, optional
        Candidate sentences (default: the built-in corpus of ``lang``).
    existing : iterable of str
        Texts already recorded (e.g. the lines of a training list); their units count as covered and
        their sentences are not chosen again.
    ui_lang : str
        Language of the "what is missing" sentences.

    Returns
    -------
    Script
        No sentence twice; fewer minutes than asked only when the corpus runs out.

    Examples
    --------
    >>> script = choose_script("zh", 1.0)
    >>> 50 <= script.seconds <= 70, len(set(script.sentences)) == len(script.sentences)
    (True, True)
    """
    if lang not in COVERAGE_LANGS:
        raise ParameterError(f"scripts are made for {', '.join(COVERAGE_LANGS)}, not {lang!r}")
    if not minutes or minutes <= 0:
        raise ParameterError(f"minutes must be positive, got {minutes!r}")
    existing = [t for t in existing if t and t.strip()]
    sentences = list(builtin_corpus(lang) if corpus is None else corpus)
    seen = {_key(t) for t in existing}
    candidates = []
    for sentence in sentences:
        key = _key(sentence)
        if not key or key in seen:
            continue
        seen.add(key)
        candidates.append((sentence, line_units(sentence, lang), reading_seconds(sentence, lang)))
    counts: Counter = Counter()
    for text in existing:
        counts.update(line_units(text, lang))

    chosen: list[str] = []
    total_s, target_s = 0.0, minutes * 60.0
    while candidates and total_s < target_s:
        # The sentence worth most per second: a unit's worth halves with each time it is already there.
        best = max(range(len(candidates)),
                   key=lambda i: (sum(0.5 ** counts[u] for u in candidates[i][1]) / candidates[i][2], -i))
        sentence, units, seconds = candidates.pop(best)
        if total_s + seconds > target_s + seconds / 2 and chosen:
            break  # the next take would overshoot by more than half of itself
        chosen.append(sentence)
        counts.update(units)
        total_s += seconds
    before = measure_coverage(existing, lang).to_dict(ui_lang) if existing else {}
    after = measure_coverage(existing + chosen, lang).to_dict(ui_lang)
    return Script(lang=lang, sentences=chosen, seconds=round(total_s, 1), coverage=after, coverage_before=before)


def script_list_text(sentences: Sequence[str], lang: str, *, speaker: str = "SPEAKER",
                     name: str = "take_{:04d}.wav") -> str:
    """A GPT-SoVITS list template for a script: ``take_0001.wav|SPEAKER|ZH|sentence``."""
    if "|" in speaker or "\n" in speaker:
        raise ParameterError(f"speaker name must not contain '|' or a line break: {speaker!r}")
    code = LIST_CODE.get(lang, lang.upper())
    lines = [f"{name.format(i)}|{speaker}|{code}|{' '.join(s.replace('|', ' ').split())}"
             for i, s in enumerate(sentences, start=1)]
    return "\n".join(lines) + "\n"


def write_script(script: Script, out_dir: str | os.PathLike, *, speaker: str = "SPEAKER") -> list[Path]:
    """Write ``script.txt`` and ``script.list`` into ``out_dir`` (atomically); returns their paths."""
    from ..io import write_text_atomic

    out = Path(out_dir)
    text_path, list_path = out / "script.txt", out / "script.list"
    write_text_atomic(text_path, "\n".join(script.sentences) + "\n")
    write_text_atomic(list_path, script_list_text(script.sentences, script.lang, speaker=speaker))
    return [text_path, list_path]


def existing_texts(list_path: str | os.PathLike, lang: str) -> list[str]:
    """Texts of the lines of a GPT-SoVITS list whose language is ``lang``."""
    from ..discover import parse_list_file

    clips, _ = parse_list_file(Path(list_path))
    return [c.text for c in clips if c.text and guess_lang(c.lang) == lang]
