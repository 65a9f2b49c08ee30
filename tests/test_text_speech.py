"""Transcript checks on real speech (../shared/speech), known answers.

The clips' own transcripts are other people's text and are not in this repository. What is: per clip,
the syllable count of its public transcript and where its pause marks stand (tests/data/
text_speech_counts.csv, made by ``scripts/eval_text.py --write-counts``; numbers only). The "correct"
lines below are therefore built from this project's own corpus words with exactly those counts and
marks (English words where the transcript had English inside Mandarin), so their speaking rates and
punctuation are the real ones. Set ``VOXAUDIT_TRANSCRIPTS`` to transcript files (``name|text`` lines) to
run the same checks with the real transcripts.

One scan of 56 clips: 30 clips of aishell1 S0150 and LJSpeech's 16 with correct lines, and doctored
lines on the other S0150 clips: a swapped transcript pair, an empty text, a '|' in the text, too few fields, the code FR,
Chinese text under EN, and two takes joined by a 1.2 s pause with and without a comma at the join.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from voxaudit.pipeline import ScanOptions, scan
from voxaudit.text.script import builtin_corpus
from voxaudit.text.syllables import count_syllables, english_word_syllables

pytestmark = [pytest.mark.speech, pytest.mark.slow]

COUNTS = Path(__file__).with_name("data") / "text_speech_counts.csv"
TEXT_CODES = {"list_format", "text_missing", "unsupported_language", "text_language_mismatch", "speaking_rate",
              "unmarked_pause"}


def _counts() -> dict[str, dict]:
    with open(COUNTS, encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return {r["path"]: {"lang": r["lang"], "syllables": int(r["syllables"]),
                            "marks": [int(m) for m in r["marks"].split(";") if m],
                            "other": int(r["other_script_syllables"])} for r in rows}


def _zh_stream():
    """Han characters of the project's own Mandarin corpus, in order, forever."""
    chars = [ch for s in builtin_corpus("zh") for ch in s if "\u4e00" <= ch <= "\u9fff"]
    while True:
        yield from chars


def _en_words():
    words = [w for s in builtin_corpus("en") for w in re.findall(r"[A-Za-z']+", s)]
    while True:
        yield from words


def _en_text(n: int, marks: list[int], words) -> str:
    """English words (the corpus's) totalling exactly ``n`` syllables, commas at the ``marks``."""
    out, count = [], 0
    for target in sorted(set(marks) | {n}):
        while count < target:
            word = next(words)
            k = english_word_syllables(word)
            if count + k > target:
                word, k = "the", 1
            out.append(word)
            count += k
        if target != n and out:
            out[-1] += ","
    return " ".join(out) + "."


def _zh_text(n: int, other: int, chars, en_words) -> str:
    text = "".join(next(chars) for _ in range(n - other))
    if other:  # English words inside the Mandarin line, as the real transcript had
        text = text[:2] + _en_text(other, [], en_words).rstrip(".") + text[2:]
    return text


def _transcripts() -> dict[str, str]:
    texts = {}
    for item in filter(None, os.environ.get("VOXAUDIT_TRANSCRIPTS", "").split(os.pathsep)):
        for line in Path(item).read_text(encoding="utf-8-sig").splitlines():
            if "|" in line:
                name, text = line.split("|", 2)[:2]
                texts[Path(name.strip()).stem] = text.strip()
    return texts


@pytest.fixture(scope="module")
def scanned(speech_dir, tmp_path_factory):
    counts = _counts()
    real = _transcripts()
    chars, en_words = _zh_stream(), _en_words()
    root = tmp_path_factory.mktemp("text_speech")

    def text_for(path: str) -> str:
        stem = Path(path).stem
        if stem in real:
            return real[stem]
        c = counts[path]
        return _en_text(c["syllables"], c["marks"], en_words) if c["lang"] == "en" else \
            _zh_text(c["syllables"], c["other"], chars, en_words)

    s0150 = sorted(p for p in counts if "aishell-S0150" in p)
    spare = [p for p in s0150[30:] if counts[p]["other"] == 0]  # for the doctored lines: the same speaker
    correct = s0150[:30] + [p for p in counts if p.startswith("ljspeech/")]
    lines, expect = [], {}
    texts = {p: text_for(p) for p in correct}
    # A swapped pair: the two S0150 clips whose texts differ most in length exchange their transcripts.
    pure = [p for p in correct if "S0150" in p and counts[p]["other"] == 0]
    short = min(pure, key=lambda p: counts[p]["syllables"])
    long = max(pure, key=lambda p: counts[p]["syllables"])
    texts[short], texts[long] = texts[long], texts[short]
    for p in correct:
        code = "EN" if counts[p]["lang"] == "en" else "ZH"
        lines.append(f"{speech_dir / p}|{Path(p).parent.name}|{code}|{texts[p]}")
        expect[p] = {"speaking_rate"} if p in (short, long) else set()

    zh = lambda p: _zh_text(counts[p]["syllables"], 0, chars, en_words)  # noqa: E731
    doctored = [
        (spare[0], "{}|aishell-S0150|ZH|", {"text_missing"}),
        (spare[1], "{}|aishell-S0150|ZH|   ", {"text_missing"}),
        (spare[2], "{}|aishell-S0150|ZH|" + zh(spare[2])[:4] + "|" + zh(spare[2])[4:], {"list_format"}),
        (spare[3], "{}|aishell-S0150|ZH", {"list_format", "text_missing"}),
        (spare[4], "{}|aishell-S0150|FR|" + zh(spare[4]), {"unsupported_language"}),
        ("vctk_16k/vctk-p225/p225_003.wav", "{}|p225|EN|今天天气很好我们一起去公园散步吧", {"text_language_mismatch"}),
    ]
    for p, template, codes in doctored:
        lines.append(template.format(speech_dir / p))
        expect[p] = codes

    # Two takes joined by a 1.2 s pause of the room's own noise level.
    a, b = spare[5], spare[6]
    wav_a, sr = sf.read(speech_dir / a, dtype="float32")
    wav_b, _ = sf.read(speech_dir / b, dtype="float32")
    text_a, text_b = zh(a), zh(b)
    for name, joined_text, codes in (("joined_plain.wav", text_a + text_b, {"unmarked_pause"}),
                                     ("joined_comma.wav", text_a + "，" + text_b, set())):
        rng = np.random.default_rng(len(name))
        gap = (rng.standard_normal(int(1.2 * sr)) * 10 ** (-70 / 20)).astype(np.float32)
        sf.write(root / name, np.concatenate([wav_a, gap, wav_b]), sr, subtype="PCM_16")
        lines.append(f"{root / name}|aishell-S0150|ZH|{joined_text}")
        expect[name] = codes

    listing = root / "train.list"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = scan([str(listing)], ScanOptions(identity=False, jobs=2, html=False))
    found = {}
    for clip in result.clips:
        key = next((p for p in expect if clip.source.path.endswith(p)), None)
        found[key] = clip
    return {"result": result, "expect": expect, "found": found, "real": bool(real)}


def test_each_line_raises_exactly_its_text_findings(scanned):
    problems = []
    for key, codes in scanned["expect"].items():
        clip = scanned["found"][key]
        got = {f.code for f in clip.findings} & TEXT_CODES
        if got != codes:
            problems.append(f"{key}: expected {sorted(codes)}, got {sorted(got)} "
                            f"(rate {clip.metrics.get('speaking_rate_syl_s')}, unmarked {clip.metrics.get('unmarked_pause_s')})")
    assert not problems, "\n".join(problems)


def test_broken_lines_are_still_measured_and_say_where(scanned):
    found = scanned["found"]
    pipe = next(c for k, c in found.items() if k and c.source.list_line.count("|") == 4)
    assert pipe.metrics["duration_s"] > 1.0 and pipe.metrics["list_fields"] == 5
    message = next(f.message for f in pipe.findings if f.code == "list_format")
    assert f"line {pipe.source.list_line_no} of train.list" in message and "5" in message
    french = next(f for c in found.values() for f in c.findings if f.code == "unsupported_language")
    assert "'FR'" in french.message and french.severity == "error"
    mismatch = next(f for c in found.values() for f in c.findings if f.code == "text_language_mismatch")
    assert mismatch.value == 1.0 and "Han" in mismatch.message and mismatch.severity == "warning"


def test_speaking_rate_summary_per_language(scanned):
    summary = scanned["result"].summary
    rates = summary["text"]["speaking_rate"]
    assert rates["zh"]["judged"] and rates["en"]["judged"]
    # Measured with the real transcripts (scripts/eval_text.py): aishell1 S0150 3.69, LJSpeech 4.54.
    assert 3.0 < rates["zh"]["median_syl_s"] < 4.3
    assert 3.9 < rates["en"]["median_syl_s"] < 5.2
    assert summary["text"]["n_without_text"] == 3  # two empty texts, one line without a text field
    assert summary["coverage"]["zh"]["tones"]["4"] > 0 and summary["coverage"]["en"]["phonemes"]["AH"] > 0


def test_counts_match_the_built_lines():
    """The built 'correct' lines have the transcripts' syllable counts and marks (else the test means
    nothing)."""
    counts = _counts()
    words = _en_words()
    for path, c in list(counts.items())[:5] + [p for p in counts.items() if p[1]["lang"] == "en"][:5]:
        if c["lang"] == "en":
            text = _en_text(c["syllables"], c["marks"], words)
            assert count_syllables(text, "en") == c["syllables"]
            from voxaudit.text.syllables import analyse_text
            assert analyse_text(text, "en").marks == c["marks"]
