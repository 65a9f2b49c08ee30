"""Text: list-line checks, syllables and speaking rate, coverage, and the recording-script corpus.

Per clip (``measure.py``, in the worker that measures the clip's audio): the list line's field count,
its language code, the script of its text, its syllables, the speaking rate and pauses the text does not
mark. Per set (:func:`judge_set_text`, after every clip is measured, over metrics only): the speaking
rate against the set's own distribution per language, the coverage of the set's text, and how many
clips have no text.
"""

from __future__ import annotations

from .lang import guess_lang

__all__ = ["judge_set_text"]


def judge_set_text(clips: list, config, *, ui_lang: str = "en") -> dict:
    """Judge the set-level text findings on ``clips`` (in place) and return ``summary["text"]`` parts.

    Parameters
    ----------
    clips : list of ClipResult
    config : Config
        The thresholds table (``speaking_rate``) and quality penalties.
    ui_lang : str
        Language of the messages.

    Returns
    -------
    dict
        ``{"text": {"n_with_text", "n_without_text", "speaking_rate": {lang: stats}}, "coverage": {...}}``;
        empty when no clip carries text or comes from a list.
    """
    from ..signal.findings import judge_metrics, quality_score
    from .coverage import set_coverage
    from .measure import clip_has_text
    from .rate import judge_rates

    checked = [c for c in clips if clip_has_text(c.source)]
    n_without = sum(1 for c in clips if not (c.metrics or {}).get("text_chars") and not (c.source.text or "").strip())
    if not checked:
        return {"text": {"n_with_text": 0, "n_without_text": n_without}} if clips else {}
    for clip in checked:
        clip.findings = [f for f in clip.findings if f.code != "speaking_rate"]
    rates, judged_against = judge_rates(checked)
    for clip in checked:
        if "speaking_rate_iqr" not in clip.metrics:
            continue
        stats = judged_against.get(id(clip), {})
        found = judge_metrics(clip.metrics, config, lang=ui_lang, context=stats, codes={"speaking_rate"})
        if found:
            clip.findings += found
            clip.quality = quality_score(clip.findings, config)
    coverage = set_coverage(((guess_lang(c.source.lang), c.source.text) for c in checked), ui_lang)
    return {"text": {"n_with_text": len(clips) - n_without, "n_without_text": n_without, "speaking_rate": rates},
            "coverage": coverage}
