"""report.html: one self-contained page (no network, works from ``file://``) that a person reads.

Layout, top to bottom:

1. the verdict in one line (voices, flagged clips, usable minutes), the recommended reference clip
   with a player and its alternates, and the findings that cost the most clips, each with its hint;
2. the voice identity pictures: a PCA map of the speaker embeddings coloured by voice group, and the
   distribution of similarity to the centroid with the outlier threshold;
3. every clip in a table, sortable and filterable, with a player linked *relative to the report*, so
   the report keeps working when moved together with the audio folder;
4. waveform and spectrogram of each flagged clip, drawn only when opened or scrolled into view.

The page's script (``html_assets/report.js``) renders the table from embedded JSON a page of rows at a
time; plotly.js (inlined once, from the plotly package, as text that runs only after the verdict and the
table are on screen) draws the pictures: the set-level figures come ready from
:mod:`voxaudit.report.plots`, the clips' pictures from compact data drawn by ``html_assets/plots.js``
(``window.VoxauditPlots``, shared with ``voxaudit serve``). A report of 2,000 clips shows its verdict and
table in about 0.5 s (``scripts/bench_html.py``). Nothing is fetched: no CDN, no fonts, no network.
A player whose clip cannot be reached (the report moved without its audio folder) says so, and a banner
at the top explains that the links are relative.
"""

from __future__ import annotations

import html
import json
import math
import os
import urllib.parse
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from ..errors import AudioError, ParameterError
from ..io import write_text_atomic
from .html_strings import (CODE_LABELS, IDENTITY_LABELS, METRIC_LABELS, code_label, normalise_lang,
                           ui_strings)
from .html_text import text_section
from .plots import GROUP_COLOURS, OTHER_GROUP_COLOUR, clip_picture_data, embedding_points, \
    similarity_figure, speaker_heatmap_figure, voice_map_figure

ASSETS = Path(__file__).with_name("html_assets")
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
# Per-clip pictures are drawn for at most this many flagged clips (the worst first); a set with more
# flagged clips than this has problems a picture per clip will not explain.
MAX_CLIP_PICTURES = 400
# Clips longer than this get no pictures (decoding an hour-long take again only to draw it is not worth it).
MAX_PICTURE_DURATION_S = 600.0
# How many findings the summary lists before folding the rest away.
TOP_FINDINGS = 6


def write_html(report: dict, path: str | os.PathLike, *, lang: str = "en",
               embeddings: Optional[np.ndarray] = None, max_clip_pictures: int = MAX_CLIP_PICTURES) -> None:
    """Write ``report.html`` for a scan, atomically.

    Parameters
    ----------
    report : dict
        Exactly what report.json holds (``schema`` 1). Each clip's ``file`` (absolute path of its
        audio) is used to link a player relative to ``path`` and to draw flagged clips' pictures.
    path : str or PathLike
        Where to write, normally ``OUT/report.html``.
    lang : str
        ``"en"`` or ``"zh"`` (``zh-Hans``, ``zh_CN`` ... also accepted) for the report's own text;
        finding messages come already translated in ``report``.
    embeddings : np.ndarray [n_clips, D], optional
        Speaker embeddings in report order (NaN rows for clips without one), for the voice map.
    max_clip_pictures : int
        Most flagged clips to draw waveform and spectrogram for (the worst first).

    Raises
    ------
    ParameterError
        On an unknown language or embeddings whose row count is not the number of clips.
    """
    path = Path(path)
    text = render_html(report, base_dir=path.parent, lang=lang, embeddings=embeddings,
                       max_clip_pictures=max_clip_pictures)
    write_text_atomic(path, text)


# -- helpers --------------------------------------------------------------------------------------------

def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _json_script(data: Any) -> str:
    """JSON safe to place inside a <script> element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_json_default)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") \
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _num(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _clean(value: Any) -> Any:
    """JSON-able copy with non-finite floats as None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return round(value, 6) if math.isfinite(value) else None
    if isinstance(value, np.generic):
        return value.item()
    return value


def audio_href(file: Optional[str], base_dir: Path) -> Optional[str]:
    """URL of ``file`` relative to ``base_dir`` (percent-encoded UTF-8, ``/`` separators); a ``file://``
    URI when no relative path exists (another drive on Windows); None when ``file`` is not a non-empty
    file now (nothing a player could play)."""
    try:
        if not file or not os.path.isfile(file) or os.path.getsize(file) == 0:
            return None
    except OSError:
        return None
    try:
        rel = os.path.relpath(os.path.abspath(file), os.path.abspath(base_dir))
    except ValueError:
        return Path(os.path.abspath(file)).as_uri()
    return urllib.parse.quote(rel.replace(os.sep, "/"), safe="/")


def _missing_key(file: Optional[str]) -> str:
    """The UI string saying why a clip has no player."""
    try:
        return "empty_file" if file and os.path.isfile(file) and os.path.getsize(file) == 0 else "missing_file"
    except OSError:
        return "missing_file"


def _clip_file(clip: dict) -> Optional[str]:
    file = clip.get("file")
    if file:
        return str(file)
    path = clip.get("path")
    return str(path) if path and os.path.isabs(str(path)) else None


def _severities(clip: dict) -> set[str]:
    return {f.get("severity") for f in clip.get("findings") or [] if f.get("severity") in SEVERITY_RANK}


def _worst(clip: dict) -> Optional[str]:
    sevs = _severities(clip)
    return max(sevs, key=SEVERITY_RANK.__getitem__) if sevs else None


def _flagged(clip: dict) -> bool:
    return bool(_severities(clip) & {"warning", "error"})


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def asset_text(name: str) -> str:
    """Text of one of the report's browser assets, for pages that reuse them (``voxaudit serve``).

    ``"plots.js"`` defines ``window.VoxauditPlots`` (clip waveform + spectrogram figures from
    :func:`voxaudit.report.plots.clip_picture_data`; needs plotly.js, see :func:`plotly_js`);
    ``"report.css"`` is the report's stylesheet. ``"report.js"`` runs the report page itself and
    expects its ``#vx-data`` element.

    Raises
    ------
    ParameterError
        On a name that is not one of the assets.
    """
    if name not in ("plots.js", "report.js", "report.css"):
        raise ParameterError(f"no report asset named {name!r}; known: plots.js, report.js, report.css")
    return _asset(name)


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js bundle shipped with the plotly package (inlined once per report)."""
    from plotly.offline import get_plotlyjs

    # It sits inside a <script> element: make sure nothing in it can close that element.
    return get_plotlyjs().replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")


def _mins(value: Any) -> str:
    number = _num(value)
    return "0.0" if number is None else f"{number:.1f}"


# -- the page -------------------------------------------------------------------------------------------

def render_html(report: dict, *, base_dir: str | os.PathLike, lang: str = "en",
                embeddings: Optional[np.ndarray] = None,
                max_clip_pictures: int = MAX_CLIP_PICTURES) -> str:
    """The report page as a string (see :func:`write_html`); ``base_dir`` is the folder it will live in."""
    lang = normalise_lang(lang)
    S = ui_strings(lang)
    base_dir = Path(base_dir)
    clips: list[dict] = list(report.get("clips") or [])
    summary: dict = dict(report.get("summary") or {})
    tool = report.get("tool") or {}
    has_identity = any(isinstance(c.get("identity"), dict) for c in clips)
    index_of = {c.get("path"): i for i, c in enumerate(clips)}
    hrefs = [audio_href(_clip_file(c), base_dir) for c in clips]

    # Which flagged clips get pictures: errors first, then the lowest quality.
    flagged = [i for i, c in enumerate(clips) if _flagged(c)]
    flagged.sort(key=lambda i: (-SEVERITY_RANK[_worst(clips[i]) or "info"], _num(clips[i].get("quality")) or 0.0, i))
    pictures: dict[str, dict] = {}
    picture_state: dict[str, str] = {}
    cap = max(0, int(max_clip_pictures))
    drawable = 0
    for i in flagged:
        clip = clips[i]
        codes = {f.get("code") for f in clip.get("findings") or []}
        if hrefs[i] is None or "unreadable" in codes:
            picture_state[str(i)] = "unreadable"
            continue
        if (_num((clip.get("metrics") or {}).get("duration_s")) or 0.0) > MAX_PICTURE_DURATION_S:
            picture_state[str(i)] = "long"
            continue
        drawable += 1
        if len(pictures) >= cap:
            picture_state[str(i)] = "capped"
            continue
        try:
            pictures[str(i)] = clip_picture_data(
                _clip_file(clip), metrics=clip.get("metrics") or {},
                draw_hum="mains_hum" in codes,
                draw_bandwidth="narrow_bandwidth" in codes)
        except (AudioError, OSError, ValueError, MemoryError):
            picture_state[str(i)] = "unreadable"
    gallery = [i for i in flagged if str(i) in pictures]

    # Set-level figures.
    figures: dict[str, Any] = {"map": None, "hist": None, "speakers": None}
    map_note = None
    speakers = summary.get("speakers") or []
    if has_identity:
        reference_index = index_of.get(summary.get("reference"))
        points = embedding_points(embeddings, len(clips)) if embeddings is not None else None
        if points is not None:
            figures["map"] = voice_map_figure(points, clips, S, dominant_cluster=summary.get("dominant_cluster"),
                                              reference_index=reference_index, by_speaker=bool(speakers))
        else:
            map_note = S["voice_map_none"] if embeddings is None else S["voice_map_few"]
        figures["hist"] = similarity_figure(clips, S, threshold=_num(summary.get("identity_threshold")),
                                            median=_num(summary.get("similarity_median")))
        if speakers and summary.get("speaker_cohesion"):
            figures["speakers"] = speaker_heatmap_figure(summary["speaker_cohesion"], S,
                                                         order=[s["name"] for s in _speakers_by_problem(speakers)])

    data = {
        "lang": lang,
        "s": S,
        "codes": CODE_LABELS[lang],
        "metrics": METRIC_LABELS[lang],
        "identity": IDENTITY_LABELS[lang],
        "clips": [_clip_data(c, h) for c, h in zip(clips, hrefs)],
        "pics": pictures,
        "picState": picture_state,
        "gallery": gallery,
        "figs": figures,
        "groupColours": {str(k): v for k, v in group_colours(clips, summary.get("dominant_cluster")).items()},
        "dominant": summary.get("dominant_cluster"),
        "hasIdentity": has_identity,
        "cap": cap,
        "maxPictureMinutes": MAX_PICTURE_DURATION_S / 60.0,
    }

    body = "\n".join([
        _header(report, summary, tool, S, has_identity, clips),
        _overview(summary, clips, hrefs, index_of, S, lang),
        _speakers_section(summary, figures, index_of, S) if speakers else "",
        text_section(summary, lang),
        _identity_section(figures, map_note, S) if has_identity else "",
        _table(clips, summary, S, lang, has_identity),
        _gallery_section(flagged, gallery, drawable, S),
        f'<footer>{_esc(S["footer"])}</footer>',
    ])
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{_esc(S["html_lang"])}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="{_esc(tool.get("name", "voxaudit"))} {_esc(tool.get("version", ""))}">\n'
        f"<title>{_esc(S['title'])}</title>\n<style>\n{_asset('report.css')}\n</style>\n</head>\n"
        f'<body class="{"has-identity" if has_identity else "no-identity"}">\n{body}\n'
        f'<script type="application/json" id="vx-data">{_json_script(data)}</script>\n'
        f"<script>\n{_asset('plots.js')}\n</script>\n"
        f"<script>\n{_asset('report.js')}\n</script>\n"
        # plotly.js is stored as text after the page's script and run once the page is shown (see
        # report.js): the table is rendered before the parser even reads these 4.6 MB, and the verdict
        # and the table appear at once instead of after a second of script compilation.
        f'<script type="text/plain" id="vx-plotly">{plotly_js()}</script>\n'
        "</body>\n</html>\n"
    )


def _clip_data(clip: dict, href: Optional[str]) -> dict:
    """One clip's table row and details panel: ``p`` path, ``h`` audio link (None: file missing),
    ``q`` quality, ``m`` metrics, ``f`` findings ``[code, severity, message, hint]``, ``id`` identity."""
    out: dict[str, Any] = {
        "p": str(clip.get("path", "")),
        "h": href,
        "hm": None if href is not None else _missing_key(_clip_file(clip)),
        "q": _num(clip.get("quality")),
        "m": _clean(clip.get("metrics") or {}),
        "f": [[f.get("code", ""), f.get("severity", ""), f.get("message", ""), f.get("hint", "")]
              for f in clip.get("findings") or []],
    }
    if isinstance(clip.get("identity"), dict):
        out["id"] = _clean(clip["identity"])
    for key in ("notes", "text", "speaker"):
        if clip.get(key):
            out[key] = _clean(clip[key])
    return out


def _verdict(summary: dict, clips: Sequence[dict], S: dict, has_identity: bool) -> tuple[str, str]:
    """(one-line verdict, css class ok|warn|bad)."""
    parts = []
    level = "ok"
    n_outliers = sum(1 for c in clips if isinstance(c.get("identity"), dict) and c["identity"].get("outlier"))
    if has_identity and summary.get("speakers"):
        from .verdict import speakers_sentence

        parts.append(speakers_sentence(summary, S["html_lang"]))
        level = "ok" if summary.get("consistent") else "bad"
    elif has_identity:
        n_voices = summary.get("n_voices")
        if summary.get("identity_too_small") or n_voices is None:
            parts.append(S["verdict_not_judged"])
            level = "warn"
        elif n_voices > 1:
            parts.append(S["verdict_n_voices"].format(n=n_voices))
            level = "bad"
        elif summary.get("consistent") is False or n_outliers:
            parts.append(S["verdict_one_voice_outliers"].format(k=n_outliers))
            level = "warn"
        else:
            parts.append(S["verdict_one_voice"])
    n_clips = summary.get("n_clips", len(clips))
    n_flagged = summary.get("n_flagged")
    if n_flagged is None:
        n_flagged = sum(1 for c in clips if _flagged(c))
    parts.append(S["verdict_flagged"].format(k=n_flagged, n=n_clips) if n_flagged
                 else S["verdict_flagged_none"].format(n=n_clips))
    if n_flagged and level == "ok":
        level = "warn"
    parts.append(S["verdict_minutes"].format(usable=_mins(summary.get("usable_minutes")),
                                             total=_mins(summary.get("total_minutes"))))
    total, usable = _num(summary.get("total_minutes")), _num(summary.get("usable_minutes"))
    if total and usable is not None and usable < 0.5 * total:
        level = "bad"
    n_unreadable = summary.get("n_unreadable")
    if n_unreadable is None:
        n_unreadable = sum(1 for c in clips if any(f.get("code") == "unreadable" for f in c.get("findings") or []))
    if n_unreadable:
        parts.append(S["verdict_unreadable"].format(n=n_unreadable))
    return " · ".join(parts), level


def _header(report: dict, summary: dict, tool: dict, S: dict, has_identity: bool, clips: Sequence[dict]) -> str:
    verdict, level = _verdict(summary, clips, S, has_identity)
    meta = [S["created"].format(created=report.get("created", ""), tool=tool.get("name", "voxaudit"),
                                version=tool.get("version", ""))]
    if summary.get("encoder"):
        meta.append(f"{S['encoder']}: {summary['encoder']}")
    inputs = report.get("inputs") or []
    if inputs:
        meta.append(f"{S['inputs']}: " + ", ".join(str(i) for i in inputs[:5]) + (" …" if len(inputs) > 5 else ""))
    notes = [S["verdict_detail"]]
    if summary.get("encoder") and summary.get("identity_calibration", "applies") != "applies":
        notes.append(S["calibration_na"].format(encoder=summary["encoder"],
                                                sha=str(summary.get("encoder_weights_sha256"))[:12]))
    if summary.get("identity_too_small"):
        notes.insert(0, str(summary["identity_too_small"]))
    if not has_identity:
        notes.append(S["identity_hidden"])
    return (
        f'<header class="top">\n<div class="brand">{_esc(S["title"])}</div>\n'
        f'<h1 id="verdict" class="verdict {level}">{_esc(verdict)}</h1>\n'
        f'{_set_notes(summary, S["html_lang"])}'
        f'<p class="notes">{" ".join(_esc(n) for n in notes)}</p>\n'
        f'<p class="meta">{" · ".join(_esc(m) for m in meta)}</p>\n'
        # Shown by the page's script when a player cannot load its clip (report moved without the audio).
        f'<p id="audio-banner" class="note" role="alert" hidden>{_esc(S["audio_unreachable_banner"])}</p>\n</header>'
    )


def _set_notes(summary: dict, html_lang: str) -> str:
    """What the whole set shares (said once: ``summary.set_conditions``) and the inputs skipped as
    duplicates, one note each."""
    from ..discover import duplicates_notice
    from ..messages import notice_text

    lang = "zh" if html_lang.startswith("zh") else "en"
    out = []
    for condition in summary.get("set_conditions") or []:
        if not isinstance(condition, dict):
            continue
        said = notice_text("set_condition", lang, n=condition.get("clips"), message=condition.get("message", ""),
                           hint=condition.get("hint", ""))
        out.append(f'<p class="note set-condition" data-code="{_esc(condition.get("code"))}">{_esc(said)}</p>\n')
    duplicates = summary.get("duplicates")
    skipped = duplicates_notice(duplicates, lang) if isinstance(duplicates, dict) else None
    if skipped:
        out.append(f'<p class="note duplicates">{_esc(skipped)}</p>\n')
    return "".join(out)


def _player(href: Optional[str], S: dict, label: str, file: Optional[str] = None) -> str:
    if href is None:
        return f'<span class="missing" role="note">⚠ {_esc(S[_missing_key(file)])}</span>'
    # preload="metadata": the few players at the top load their clip's header at once, so a clip that
    # cannot be reached from where the report is now is reported right away (see report.js).
    return f'<audio controls preload="metadata" src="{_esc(href)}" aria-label="{_esc(label)}"></audio>'


def _overview(summary: dict, clips: Sequence[dict], hrefs: Sequence[Optional[str]], index_of: dict,
              S: dict, lang: str) -> str:
    # Reference clip and alternates.
    ref = summary.get("reference")
    if ref:
        i = index_of.get(ref)
        href = hrefs[i] if i is not None else None
        facts = []
        if i is not None:
            clip = clips[i]
            metrics = clip.get("metrics") or {}
            if _num(metrics.get("duration_s")) is not None:
                facts.append(S["seconds"].format(s=f"{metrics['duration_s']:.1f}"))
            if _num(clip.get("quality")) is not None:
                facts.append(f"{S['col_quality']} {clip['quality']:.0f}")
            sim = (clip.get("identity") or {}).get("similarity") if isinstance(clip.get("identity"), dict) else None
            if _num(sim) is not None:
                facts.append(f"{S['col_similarity']} {sim:.3f}")
        alternates = []
        for alt in summary.get("reference_alternates") or []:
            j = index_of.get(alt)
            alternates.append(
                f'<li><a href="#clip-{j}" class="jump" data-i="{j}">{_esc(alt)}</a>'
                f'{_player(hrefs[j], S, alt, _clip_file(clips[j]))}</li>' if j is not None else
                f'<li>{_esc(alt)}</li>')
        alt_html = (f'<h3>{_esc(S["alternates"])}</h3><ul class="alternates">{"".join(alternates)}</ul>'
                    if alternates else "")
        link = f'<a href="#clip-{i}" class="jump" data-i="{i}">{_esc(ref)}</a>' if i is not None else _esc(ref)
        ref_html = (f'<p class="ref-path">★ {link}</p>'
                    f'<p class="facts">{" · ".join(_esc(f) for f in facts)}</p>'
                    f'{_player(href, S, ref, _clip_file(clips[i]) if i is not None else None)}<p class="small">{_esc(S["reference_note"])}</p>{alt_html}')
    else:
        ref_html = f'<p class="small">{_esc(S["reference_none"])}</p>'

    # The findings that cost the most clips.
    by_code = summary.get("by_code") or {}
    worst_by_code: dict[str, str] = {}
    for clip in clips:
        for f in clip.get("findings") or []:
            code, sev = f.get("code"), f.get("severity")
            if sev in SEVERITY_RANK and SEVERITY_RANK[sev] >= SEVERITY_RANK.get(worst_by_code.get(code, "info"), 0):
                worst_by_code[code] = sev
    def severity_of(code: str, entry: dict) -> str:
        sev = entry.get("severity") or worst_by_code.get(code, "info")
        return sev if sev in SEVERITY_RANK else "info"

    # Errors first (they take clips out of the usable set), then by clips and minutes affected.
    ranked = sorted(by_code.items(), key=lambda kv: (-SEVERITY_RANK[severity_of(*kv)], -(kv[1].get("clips") or 0),
                                                     -(_num(kv[1].get("minutes")) or 0.0), kv[0]))
    items = []
    for code, entry in ranked:
        sev = severity_of(code, entry)
        items.append(
            f'<li class="finding {_esc(sev)}"><div class="fhead"><span class="dot {_esc(sev)}" '
            f'title="{_esc(S.get("severity_" + sev, sev))}"></span><b>{_esc(code_label(code, lang))}</b>'
            f'<span class="count">{_esc(_count_text(entry, S))}</span>'
            f'<button type="button" class="linkish show-code" data-code="{_esc(code)}">{_esc(S["show_in_table"])}</button></div>'
            f'<div class="hint">{_esc(entry.get("hint", ""))}</div></li>')
    if items:
        top = "".join(items[:TOP_FINDINGS])
        rest = "".join(items[TOP_FINDINGS:])
        more = (f'<details class="more"><summary>+{len(items) - TOP_FINDINGS}</summary><ul class="findings">{rest}</ul></details>'
                if rest else "")
        findings_html = f'<ul class="findings">{top}</ul>{more}'
    else:
        findings_html = f'<p class="small">{_esc(S["top_none"])}</p>'
    return (
        '<section class="overview">\n'
        + _voices_card(summary, hrefs, index_of, clips, S, lang)
        + f'<div class="card reference"><h2>{_esc(S["reference"])}</h2>{ref_html}</div>\n'
        f'<div class="card top-findings"><h2>{_esc(S["top_findings"])}</h2>{findings_html}</div>\n'
        '</section>'
    )


def _speakers_by_problem(speakers: Sequence[dict]) -> list[dict]:
    """Speakers with a problem first (mislabels, one voice under two names, not one voice), then by name."""
    from .verdict import speaker_status

    return sorted(speakers, key=lambda s: (speaker_status(s) in ("consistent", "mislabels_only")
                                           and not s.get("n_mislabelled") and not s.get("same_voice_as"),
                                           str(s.get("name"))))


def _speakers_section(summary: dict, figures: dict, index_of: dict, S: dict) -> str:
    """The labelled speakers: a table of their verdicts and the voice similarity between them."""
    from .verdict import speaker_status

    rows = []
    for s in _speakers_by_problem(summary.get("speakers") or []):
        status = speaker_status(s)
        verdict = S["speaker_" + status].format(n=s.get("n_own_voices") or s.get("n_voices"),
                                                 k=max(0, (s.get("n_outliers") or 0) - (s.get("n_mislabelled") or 0)))
        level = {"consistent": "ok", "mislabels_only": "ok", "too_small": "warn"}.get(status, "bad")
        ref = s.get("reference")
        i = index_of.get(ref)
        ref_html = (f'<a href="#clip-{i}" class="jump" data-i="{i}">{_esc(ref)}</a>' if i is not None
                    else _esc(ref or "—"))
        rows.append(
            f'<tr data-speaker="{_esc(s.get("name"))}"><td>{_esc(s.get("name"))}</td><td class="num">{s.get("n_clips")}</td>'
            f'<td class="num">{_mins(s.get("usable_minutes"))} / {_mins(s.get("minutes"))}</td>'
            f'<td class="{level}">{_esc(verdict)}</td><td class="num">{s.get("n_mislabelled") or ""}</td>'
            f'<td>{_esc(", ".join(s.get("same_voice_as") or []))}</td><td class="ref">{ref_html}</td></tr>')
    heat = ('<div class="plot" id="speaker-heatmap"></div>'
            f'<p class="small">{_esc(S["speaker_heatmap_note"])}</p>' if figures.get("speakers") else "")
    head = "".join(f"<th>{_esc(S[k])}</th>" for k in ("col_speaker", "col_clips", "col_usable_minutes",
                                                        "col_voice", "col_mislabelled", "col_same_voice",
                                                        "col_reference"))
    return (f'<section class="speakers" id="speakers"><h2>{_esc(S["speakers_title"])}</h2>'
            f'<div class="card"><div class="speaker-table-wrap"><table class="speaker-table"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div></div>'
            f'<div class="card"><h3>{_esc(S["speaker_heatmap"])}</h3>{heat}</div></section>')


def _voices_card(summary: dict, hrefs: Sequence[Optional[str]], index_of: dict, clips: Sequence[dict],
                 S: dict, lang: str) -> str:
    """When the set holds two or more voices: the verdict in words and a player for a typical clip of
    each voice, so the user can listen and keep one."""
    voices = summary.get("voices") or []
    if (summary.get("n_voices") or 0) < 2 or len(voices) < 2:
        return ""
    from .verdict import voices_sentence

    sentence = voices_sentence(summary, lang) or ""
    items = []
    for k, voice in enumerate(voices):
        path = voice.get("typical_clip")
        i = index_of.get(path)
        label = S["voice_label"].format(voice=voice.get("voice"), n=voice.get("n_clips"),
                                        minutes=_mins(voice.get("minutes")))
        if k == 0:
            label += " " + S["voice_reference"]
        player = _player(hrefs[i], S, str(path), _clip_file(clips[i])) if i is not None else ""
        link = (f'<a href="#clip-{i}" class="jump" data-i="{i}">{_esc(path)}</a>' if i is not None
                else _esc(path or ""))
        items.append(f'<li class="voice" data-voice="{_esc(voice.get("voice"))}"><b>{_esc(label)}</b>'
                     f'<div class="small">{_esc(S["voice_typical"])}: {link}</div>{player}</li>')
    return (f'<div class="card voices" id="voices"><h2>{_esc(S["voices_title"])}</h2>'
            f'<p class="voices-verdict">{_esc(sentence)}</p><ul class="voices">{"".join(items)}</ul></div>\n')


def _count_text(entry: dict, S: dict) -> str:
    clips = entry.get("clips", 0)
    key = "n_clips_minutes_one" if clips == 1 else "n_clips_minutes"
    return S[key].format(clips=clips, minutes=_mins(entry.get("minutes")))


def _identity_section(figures: dict, map_note: Optional[str], S: dict) -> str:
    map_html = ('<div class="plot" id="voice-map"></div>' if figures.get("map")
                else f'<p class="small empty">{_esc(map_note or S["voice_map_none"])}</p>')
    hist_html = '<div class="plot" id="similarity-hist"></div>' if figures.get("hist") else ""
    return (
        f'<section class="identity"><h2>{_esc(S["pictures"])}</h2><div class="two">\n'
        f'<div class="card"><h3>{_esc(S["voice_map"])}</h3>{map_html}<p class="small">{_esc(S["voice_map_note"])}</p></div>\n'
        f'<div class="card"><h3>{_esc(S["similarity_hist"])}</h3>{hist_html}<p class="small">{_esc(S["similarity_note"])}</p></div>\n'
        '</div></section>'
    )


def _table(clips: Sequence[dict], summary: dict, S: dict, lang: str, has_identity: bool) -> str:
    """Filters, the table head and an empty body: the script renders the rows (a page at a time) from
    the embedded data, so thousands of clips open fast."""
    dominant = summary.get("dominant_cluster")
    # Filter choices: finding codes by clip count, voice groups by id.
    code_counts: dict[str, int] = {}
    clusters = _cluster_sizes(clips)
    for clip in clips:
        for code in {f.get("code") for f in clip.get("findings") or []}:
            code_counts[code] = code_counts.get(code, 0) + 1
    code_opts = "".join(f'<option value="{_esc(c)}">{_esc(code_label(c, lang))} ({n})</option>'
                        for c, n in sorted(code_counts.items(), key=lambda kv: (-kv[1], kv[0])))
    cluster_opts = "".join(
        f'<option value="{c}">{_esc((S["group_main"] if c == dominant else S["group"]).format(c=c))} ({n})</option>'
        for c, n in sorted(clusters.items()))
    speaker_counts: dict[str, int] = {}
    for clip in clips:
        if clip.get("speaker"):
            speaker_counts[str(clip["speaker"])] = speaker_counts.get(str(clip["speaker"]), 0) + 1
    speaker_filter = (
        f'<label>{_esc(S["filter_speaker"])} <select id="f-speaker"><option value="">{_esc(S["any"])}</option>'
        + "".join(f'<option value="{_esc(n)}">{_esc(n)} ({k})</option>' for n, k in sorted(speaker_counts.items()))
        + '</select></label>') if summary.get("speakers") else ""
    identity_filters = speaker_filter + (
        f'<label>{_esc(S["filter_cluster"])} <select id="f-cluster"><option value="">{_esc(S["any"])}</option>{cluster_opts}</select></label>'
        f'<label>{_esc(S["filter_outlier"])} <select id="f-outlier"><option value="">{_esc(S["any"])}</option>'
        f'<option value="1">{_esc(S["outliers_only"])}</option><option value="0">{_esc(S["no_outliers"])}</option></select></label>'
    ) if has_identity else ""
    filters = (
        '<div class="filters" role="search">'
        f'<input type="search" id="f-path" placeholder="{_esc(S["filter_path"])}" aria-label="{_esc(S["filter_path"])}">'
        f'<label>{_esc(S["filter_code"])} <select id="f-code"><option value="">{_esc(S["any"])}</option>{code_opts}</select></label>'
        f'<label>{_esc(S["filter_severity"])} <select id="f-severity"><option value="">{_esc(S["any"])}</option>'
        f'<option value="flagged">{_esc(S["flagged_only"])}</option><option value="clean">{_esc(S["clean_only"])}</option>'
        f'<option value="error">{_esc(S["severity_error"])}</option><option value="warning">{_esc(S["severity_warning"])}</option>'
        f'<option value="info">{_esc(S["severity_info"])}</option></select></label>'
        f'{identity_filters}'
        f'<button type="button" id="f-reset">{_esc(S["reset"])}</button>'
        '<span id="f-count" class="count" aria-live="polite"></span>'
        '</div>'
    )
    columns = [("i", "num", S["col_index"]), ("path", "text", S["col_clip"]), ("play", "", S["col_play"]),
               ("q", "num", S["col_quality"])]
    if has_identity:
        columns += [("sim", "num", S["col_similarity"]), ("cl", "num", S["col_cluster"])]
    columns += [("dur", "num", S["col_duration"]), ("snr", "num", S["col_snr"]), ("bw", "num", S["col_bandwidth"]),
                ("sev", "num", S["col_findings"])]
    head = "".join(
        (f'<th scope="col" data-key="{k}" data-type="{t}" aria-sort="none"><button type="button">{_esc(label)}</button></th>'
         if t else f'<th scope="col" data-key="{k}"><span class="th">{_esc(label)}</span></th>')
        for k, t, label in columns)
    return (
        f'<section class="clips"><h2>{_esc(S["clips"])}</h2><p class="small">{_esc(S["sort_hint"])}</p>\n{filters}\n'
        f'<div class="table-wrap"><table id="clips"><thead><tr>{head}</tr></thead>\n<tbody></tbody></table></div>\n'
        f'<noscript><p class="note">{_esc(S["noscript"])}</p></noscript>'
        '<div class="pager"><button type="button" id="rows-more" hidden></button>'
        '<button type="button" id="rows-all" hidden></button></div></section>'
    )


def _cluster_sizes(clips: Sequence[dict]) -> dict[int, int]:
    sizes: dict[int, int] = {}
    for clip in clips:
        ident = clip.get("identity") if isinstance(clip.get("identity"), dict) else {}
        cluster = ident.get("cluster")
        if isinstance(cluster, int) and not isinstance(cluster, bool):
            sizes[cluster] = sizes.get(cluster, 0) + 1
    return sizes


def group_colours(clips: Sequence[dict], dominant: Any) -> dict[int, str]:
    """The colour of each voice group, as the voice map draws it (groups of one clip grey)."""
    sizes = _cluster_sizes(clips)
    big = sorted((c for c, n in sizes.items() if n > 1), key=lambda c: (c != dominant, -sizes[c], c))
    colours = {c: GROUP_COLOURS[k % len(GROUP_COLOURS)] for k, c in enumerate(big)}
    return {c: colours.get(c, OTHER_GROUP_COLOUR) for c in sizes}


def _gallery_section(flagged: Sequence[int], gallery: Sequence[int], drawable: int, S: dict) -> str:
    if not flagged:
        inner = f'<p class="small">{_esc(S["flagged_none"])}</p>'
    else:
        capped = (f'<p class="note">{_esc(S["flagged_capped"].format(n=len(flagged), k=len(gallery)))}</p>'
                  if drawable > len(gallery) else "")
        inner = (f'<p class="small">{_esc(S["flagged_note"])}</p>{capped}'
                 '<div id="gallery" class="gallery"></div>'
                 '<button type="button" id="gallery-more" class="more-btn" hidden></button>')
    return f'<section class="flagged"><h2>{_esc(S["flagged_pictures"])}</h2>{inner}</section>'

