"""The report's text panel: speaking rate per language, clips without text, and the coverage of the set's
text (initials, finals, tones, polyphones; ARPAbet phonemes; numbers, dates, questions ...), with what is
missing said in words. Rendered on the server as plain HTML (no script needed)."""

from __future__ import annotations

from html import escape
from typing import Any

STRINGS = {
    "en": {"title": "Text", "rate": "Speaking rate", "lang": "language", "clips": "clips judged",
           "median": "median (syllables/s)", "iqr": "middle half", "not_judged": "too few clips to judge",
           "no_text": "{n} clip(s) have no text: run ASR or record from a script.",
           "coverage": "Coverage of the text ({lang}, {n} lines, {syl} syllables)", "missing": "Missing",
           "initials": "Initials", "finals": "Finals", "tones": "Tones (5 = neutral)", "phonemes": "Phonemes",
           "features": "Sentence kinds", "polyphones": "Polyphonic characters (readings seen)",
           "features_names": {"number": "numbers", "date": "dates", "time": "times", "money": "money",
                              "question": "questions", "exclamation": "exclamations"},
           "script_hint": "voxaudit script --lang {lang} --existing LIST writes sentences that fill these gaps."},
    "zh": {"title": "文本", "rate": "语速", "lang": "语言", "clips": "参与判断的条数", "median": "中位数（音节/秒）",
           "iqr": "中间一半", "not_judged": "条数太少，未判断",
           "no_text": "{n} 条音频没有文本：先跑 ASR，或按录音稿录制。",
           "coverage": "文本覆盖（{lang}，{n} 行，{syl} 个音节）", "missing": "缺少", "initials": "声母",
           "finals": "韵母", "tones": "声调（5 = 轻声）", "phonemes": "音素", "features": "句子类型",
           "polyphones": "多音字（出现的读音）",
           "features_names": {"number": "数字", "date": "日期", "time": "时间", "money": "金额",
                              "question": "问句", "exclamation": "感叹句"},
           "script_hint": "voxaudit script --lang {lang} --existing 列表文件 会选出补齐这些缺项的句子。"},
}


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _counts(title: str, counts: dict, names: dict | None = None) -> str:
    cells = "".join(
        f'<span class="vx-unit{" vx-zero" if not n else ""}" title="{_e(n)}">{_e((names or {}).get(k, k))}'
        f"<sub>{_e(n)}</sub></span>" for k, n in counts.items())
    return f'<div class="vx-units"><h4>{_e(title)}</h4>{cells}</div>'


def text_section(summary: dict, lang: str = "en") -> str:
    """The text panel of a report, or an empty string when the set has no text to speak of."""
    text = summary.get("text") or {}
    coverage = summary.get("coverage") or {}
    if not text.get("n_with_text") and not coverage:
        return ""
    S = STRINGS["zh" if str(lang).startswith("zh") else "en"]
    parts = [f'<section class="vx-text" id="text"><h2>{_e(S["title"])}</h2>']
    if text.get("n_without_text"):
        parts.append(f'<p class="vx-no-text">{_e(S["no_text"].format(n=text["n_without_text"]))}</p>')
    rates = text.get("speaking_rate") or {}
    if rates:
        rows = []
        for code, r in rates.items():
            if r.get("judged"):
                rows.append(f"<tr><td>{_e(code)}</td><td>{_e(r['n'])}</td><td>{r['median_syl_s']:.2f}</td>"
                            f"<td>{r['q1_syl_s']:.2f}–{r['q3_syl_s']:.2f}</td></tr>")
            else:
                rows.append(f"<tr><td>{_e(code)}</td><td>{_e(r.get('n', 0))}</td><td colspan=2>"
                            f"{_e(S['not_judged'])}</td></tr>")
        parts.append(f'<h3>{_e(S["rate"])}</h3><table class="vx-rate"><tr><th>{_e(S["lang"])}</th>'
                     f'<th>{_e(S["clips"])}</th><th>{_e(S["median"])}</th><th>{_e(S["iqr"])}</th></tr>'
                     + "".join(rows) + "</table>")
    for code, cov in coverage.items():
        parts.append(f'<h3>{_e(S["coverage"].format(lang=code, n=cov.get("n_lines", 0), syl=cov.get("syllables", 0)))}</h3>')
        parts.append(f'<p class="vx-missing" data-lang="{_e(code)}"><b>{_e(S["missing"])}:</b> '
                     f'{_e(cov.get("missing_text", ""))}</p>')
        for kind in ("initials", "finals", "tones", "phonemes"):
            if kind in cov:
                names = {k: k.replace("v", "ü") for k in cov[kind]} if kind == "finals" else None
                parts.append(_counts(S[kind], cov[kind], names))
        if "features" in cov:
            parts.append(_counts(S["features"], cov["features"], S["features_names"]))
        if cov.get("polyphones"):
            cells = "".join(f'<span class="vx-unit">{_e(ch)}<sub>{_e(" ".join(f"{r}×{n}" for r, n in readings.items()))}</sub></span>'
                            for ch, readings in cov["polyphones"].items())
            parts.append(f'<div class="vx-units"><h4>{_e(S["polyphones"])}</h4>{cells}</div>')
        if cov.get("missing"):
            parts.append(f'<p class="small">{_e(S["script_hint"].format(lang=code))}</p>')
    parts.append("</section>")
    return "\n".join(parts)
