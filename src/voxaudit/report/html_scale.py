"""report.html for a large set: the worst clips in full, the rest aggregated, every clip searchable.

Up to :data:`HTML_ALL_ROWS_MAX` clips the page embeds every clip's full record, as it always has. Above,
it would not stay usable (about 1 kB of embedded data a clip: 190 MB at 200,000 clips, and a voice map of
200,000 SVG markers), so :func:`voxaudit.report.html.render_html` switches to what this module builds:

- **the table in full for the worst clips**: the :data:`HTML_DETAIL_ROWS` clips with the most serious
  findings (errors, then warnings, then infos; the lowest quality first within each), plus every clip the
  page links to (the reference and its alternates, each voice's typical clip, each speaker's reference, the
  clips with pictures) -- every measurement, message and hint, as in a small report;
- **the whole set aggregated** (:func:`scale_section`): histograms of quality, SNR and duration stacked by
  worst severity, a table of every finding code (clips, minutes, share of the set) and, with two or more
  speakers, a table per speaker (clips, minutes, flagged, errors, median quality and SNR); the similarity
  histogram and the speaker heat map of the identity sections already cover every clip;
- **a compact index of every clip** (:func:`encode_index`): path, quality, duration, SNR, bandwidth,
  similarity, voice group, outlier mark, speaker, finding codes with their severity and the audio link,
  as deflated JSON in base64 (about 12 bytes a clip), unpacked by the page's script once the verdict
  and the table are on screen; search by path, the filters and sorting then cover every clip, and a clip
  outside the worst opens a row with those numbers and a pointer to its row of clips.csv / clips.parquet.
  Past :data:`HTML_INDEX_MAX_BYTES` the index is left out and the page says so;
- **a voice map of at most** :data:`MAP_MAX_POINTS` clips: every outlier and mislabelled clip, the
  reference, and a seeded random sample of the rest (PCA fitted on those rows only).

Measured with ``scripts/bench_html.py`` (numbers in the README).
"""

from __future__ import annotations

import base64
import html
import json
import math
import urllib.parse
import zlib
from collections import Counter
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np

# Above this many clips the page embeds the worst clips in full and an index of the rest. At 10,000
# realistic clip records (32 metrics, identity, 10 % flagged) the full page is 15 MB and shows its
# verdict and table in 0.5 s, its voice map in 3.2 s; at 20,000 it is 25 MB, 0.9 s and 5.1 s, and it
# grows by about 1 kB a clip from there (scripts/bench_html.py, Chromium, 2 cores). Below it the page is
# exactly what it always was.
HTML_ALL_ROWS_MAX = 10_000
# Clips embedded in full in a large page: the worst first. A full record is about 1.5 kB of page (3,005
# of them: 4.4 MB in scripts/bench_html.py's 200,000-clip page); a set with more flagged clips than
# this has a problem a person fixes by its finding code (the aggregated tables), not clip by clip.
HTML_DETAIL_ROWS = 3_000
# The most base64 text the index of every clip may take in the page. The index costs about 12 bytes a
# clip (scripts/bench_html.py, 200,000 clips: 2.3 MB; real paths compress less than its regular ones),
# so this budget keeps every clip searchable up to about a million clips while the page stays under
# about 30 MB (plotly.js 4.8 MB, the full rows 4.4 MB, the pictures of 400 flagged clips 3.8 MB).
HTML_INDEX_MAX_BYTES = 16_000_000
# Most clips drawn on the voice map of a large set (plotly draws each as an SVG marker: 5,000 take about
# a second, 20,000 several).
MAP_MAX_POINTS = 5_000
# "Show all N" is offered in a large page only up to this many matching rows (each row is a DOM row with
# a player).
SHOW_ALL_MAX = 2_000

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


def is_large(n_clips: int, all_rows_max: Optional[int] = None) -> bool:
    """Whether a page of ``n_clips`` clips takes the large-set form."""
    return n_clips > (HTML_ALL_ROWS_MAX if all_rows_max is None else int(all_rows_max))


def _num(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass
class ClipColumns:
    """The few numbers of every clip a large page aggregates and indexes, one array each (NaN or -1
    where unknown)."""

    quality: np.ndarray      # float64
    worst: np.ndarray        # int8: -1 no finding, 0 info, 1 warning, 2 error
    duration_s: np.ndarray   # float64
    snr_db: np.ndarray       # float64
    bandwidth_hz: np.ndarray  # float64
    similarity: np.ndarray   # float64
    cluster: np.ndarray      # int64, -1 none
    outlier: np.ndarray      # bool
    speaker: list            # str or None per clip
    findings: list           # per clip: [(code, severity rank), ...]


def clip_columns(clips: Sequence[dict]) -> ClipColumns:
    """One pass over the clip records."""
    n = len(clips)
    quality = np.full(n, np.nan)
    worst = np.full(n, -1, dtype=np.int8)
    duration = np.full(n, np.nan)
    snr = np.full(n, np.nan)
    bandwidth = np.full(n, np.nan)
    similarity = np.full(n, np.nan)
    cluster = np.full(n, -1, dtype=np.int64)
    outlier = np.zeros(n, dtype=bool)
    speaker: list = [None] * n
    findings: list = [()] * n
    for i, clip in enumerate(clips):
        q = _num(clip.get("quality"))
        if q is not None:
            quality[i] = q
        metrics = clip.get("metrics") or {}
        for target, key in ((duration, "duration_s"), (snr, "snr_db"), (bandwidth, "bandwidth_hz")):
            value = _num(metrics.get(key))
            if value is not None:
                target[i] = value
        found = clip.get("findings") or []
        if found:
            pairs = tuple((str(f.get("code", "")), SEVERITY_RANK.get(f.get("severity"), -1)) for f in found)
            findings[i] = pairs
            worst[i] = max(rank for _, rank in pairs)
        ident = clip.get("identity")
        if isinstance(ident, dict):
            sim = _num(ident.get("similarity"))
            if sim is not None:
                similarity[i] = sim
            cl = ident.get("cluster")
            if isinstance(cl, (int, np.integer)) and not isinstance(cl, bool):
                cluster[i] = int(cl)
            outlier[i] = bool(ident.get("outlier"))
        if clip.get("speaker") is not None:
            speaker[i] = str(clip["speaker"])
    return ClipColumns(quality=quality, worst=worst, duration_s=duration, snr_db=snr, bandwidth_hz=bandwidth,
                       similarity=similarity, cluster=cluster, outlier=outlier, speaker=speaker, findings=findings)


def worst_first(cols: ClipColumns) -> np.ndarray:
    """Clip indices, the most serious first: by worst severity (error, warning, info, none), then the
    lowest quality (unknown last), then report order."""
    n = cols.quality.size
    quality = np.where(np.isnan(cols.quality), np.inf, cols.quality)
    return np.lexsort((np.arange(n), quality, -cols.worst.astype(np.int64)))


def detail_rows(cols: ClipColumns, *, cap: int = HTML_DETAIL_ROWS, keep: Sequence[int] = ()) -> list[int]:
    """The clips a large page embeds in full: the ``cap`` worst (:func:`worst_first`) and every index in
    ``keep`` (clips the page links to), worst first."""
    order = worst_first(cols)
    chosen = np.zeros(order.size, dtype=bool)
    chosen[order[:max(0, int(cap))]] = True
    for i in keep:
        if 0 <= int(i) < order.size:
            chosen[int(i)] = True
    return [int(i) for i in order if chosen[i]]


# -- the index of every clip ------------------------------------------------------------------------------

def js_path_quote(path: str) -> str:
    """``path`` percent-encoded as the page's script does it (``encodeURIComponent`` per ``/`` segment)."""
    return urllib.parse.quote(path, safe="/!~*'()")


def _scaled(values: np.ndarray, factor: float) -> list:
    out = np.round(values * factor)
    return [None if math.isnan(v) else int(v) for v in out.tolist()]


def index_data(clips: Sequence[dict], cols: ClipColumns, hrefs: Sequence[Optional[str]],
               missing_kind: Optional[Sequence[int]] = None) -> dict:
    """The compact index of every clip (see the module docstring), as a JSON-able dict.

    ``hrefs`` are the players' links (None: no file); ``missing_kind`` per clip says why a link is None
    (0: not found, 1: empty file). Links that equal one shared prefix plus the quoted path (a folder scan)
    cost nothing; the others are listed one by one.

    Keys: ``n``; ``p`` paths; ``q`` quality x 10, ``d`` duration in centiseconds, ``snr`` x 10 dB, ``bw``
    Hz, ``sim`` similarity x 10,000, ``cl`` voice group (integers, null unknown); ``o`` outlier indices;
    ``f`` per clip its findings as ``code_index * 4 + severity rank``; ``codes``; ``spk`` speaker index
    (-1 none) and ``spkNames``; ``hb`` the shared link prefix (null: none), ``hd`` 1 when a clip's link
    is ``hb`` + its quoted path unless listed, 0 when it has none unless listed; ``hx`` the listed ones:
    index -> link, or 0 (file not found) / 1 (empty file).
    """
    n = len(clips)
    paths = [str(c.get("path", "")) for c in clips]
    codes: dict[str, int] = {}
    f_out = []
    for pairs in cols.findings:
        f_out.append([codes.setdefault(code, len(codes)) * 4 + (rank if rank >= 0 else 3) for code, rank in pairs])
    # Audio links: the commonest prefix before the quoted path, and the exceptions.
    quoted = [js_path_quote(p) for p in paths]
    bases: Counter = Counter()
    for href, q in zip(hrefs, quoted):
        if href is None:
            bases[None] += 1
        elif href.endswith(q):
            bases[href[:len(href) - len(q)]] += 1
    best_base = max((b for b in bases if b is not None), key=lambda b: bases[b], default=None)
    default_base = best_base is not None and bases[best_base] >= bases[None]
    exceptions: dict[str, Any] = {}
    for i, (href, q) in enumerate(zip(hrefs, quoted)):
        if href is None:
            kind = int(missing_kind[i]) if missing_kind is not None else 0
            if default_base or kind != 0:
                exceptions[str(i)] = kind
        elif not (default_base and href == best_base + q):
            exceptions[str(i)] = href
    speakers: dict[str, int] = {}
    spk = [speakers.setdefault(s, len(speakers)) if s is not None else -1 for s in cols.speaker]
    data: dict[str, Any] = {
        "n": n, "p": paths, "q": _scaled(cols.quality, 10), "d": _scaled(cols.duration_s, 100),
        "snr": _scaled(cols.snr_db, 10), "bw": _scaled(cols.bandwidth_hz, 1),
        "f": f_out, "codes": list(codes), "hb": best_base, "hd": 1 if default_base else 0, "hx": exceptions,
    }
    if np.isfinite(cols.similarity).any() or (cols.cluster >= 0).any():
        data["sim"] = _scaled(cols.similarity, 10_000)
        data["cl"] = [None if c < 0 else int(c) for c in cols.cluster.tolist()]
        data["o"] = np.flatnonzero(cols.outlier).tolist()
    if speakers:
        data["spk"] = spk
        data["spkNames"] = list(speakers)
    return data


def encode_index(data: dict) -> str:
    """``data`` as compact JSON, zlib-deflated (level 6) and base64-encoded: what the page's script
    unpacks with ``DecompressionStream("deflate")``."""
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    return base64.b64encode(zlib.compress(raw, 6)).decode("ascii")


def decode_index(text: str) -> dict:
    """The inverse of :func:`encode_index` (for tests and tools)."""
    return json.loads(zlib.decompress(base64.b64decode(text)).decode("utf-8"))


# -- the voice map's sample -------------------------------------------------------------------------------

def map_rows(cols: ClipColumns, clips: Sequence[dict], *, max_points: int = MAP_MAX_POINTS,
             keep: Sequence[int] = (), seed: int = 0) -> np.ndarray:
    """Rows to draw on a large set's voice map: every outlier, every clip filed under the wrong speaker,
    ``keep`` (the reference), then a seeded random sample of the rest up to ``max_points`` in all;
    sorted."""
    n = len(clips)
    must = set(np.flatnonzero(cols.outlier).tolist())
    for i, clip in enumerate(clips):
        ident = clip.get("identity")
        if isinstance(ident, dict) and ident.get("likely_speaker"):
            must.add(i)
    must.update(int(i) for i in keep if 0 <= int(i) < n)
    rest = np.setdiff1d(np.arange(n), np.fromiter(must, dtype=np.int64, count=len(must)))
    room = max(0, max_points - len(must))
    sample = np.random.default_rng(seed).choice(rest, size=min(room, rest.size), replace=False) if room else []
    return np.sort(np.concatenate([np.fromiter(must, dtype=np.int64, count=len(must)),
                                   np.asarray(sample, dtype=np.int64)]))


# -- the aggregated section -------------------------------------------------------------------------------

def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _nice_edges(values: np.ndarray, *, lo: Optional[float] = None, hi: Optional[float] = None,
                target_bins: int = 40) -> Optional[np.ndarray]:
    from .plots import _nice_step

    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    lo = float(np.min(values)) if lo is None else lo
    hi = float(np.max(values)) if hi is None else hi
    step = _nice_step(max(hi - lo, 1e-6), target_bins)
    return np.arange(math.floor(lo / step) * step, hi + step * 1.001, step)


def histogram_figure(values: np.ndarray, worst: np.ndarray, S: dict, *, axis: str,
                     edges: Optional[np.ndarray] = None) -> Optional[dict]:
    """Plotly figure: histogram of ``values`` (non-finite left out) stacked by each clip's worst
    severity (no warning or error / warning / error). None when no value is finite."""
    from .plots import OUTLIER_COLOUR

    finite = np.isfinite(values)
    if not finite.any():
        return None
    if edges is None:
        edges = _nice_edges(values)
    values = np.clip(values[finite], edges[0], edges[-1])
    worst = worst[finite]
    centres = np.round((edges[:-1] + edges[1:]) / 2, 6).tolist()
    width = float(edges[1] - edges[0])
    data = []
    for name, mask, colour in ((S["hist_clean"], worst < 1, "#4c78a8"), (S["hist_warning"], worst == 1, "#d98100"),
                               (S["hist_error"], worst == 2, OUTLIER_COLOUR)):
        counts = np.histogram(values[mask], bins=edges)[0].tolist()
        data.append({"type": "bar", "name": name, "x": centres, "y": counts, "width": width * 0.95,
                     "marker": {"color": colour}, "hovertemplate": "%{x}: %{y}<extra></extra>"})
    layout = {"barmode": "stack", "bargap": 0, "height": 300, "margin": {"l": 55, "r": 10, "t": 10, "b": 75},
              "xaxis": {"title": {"text": axis}}, "yaxis": {"title": {"text": S["clips_axis"]}, "rangemode": "tozero"},
              "legend": {"orientation": "h", "y": -0.3, "font": {"size": 11}}, "plot_bgcolor": "#fafafa"}
    return {"data": data, "layout": layout}


def scale_figures(cols: ClipColumns, S: dict) -> dict[str, Optional[dict]]:
    """The aggregated section's histograms, keyed by the id of the element each is drawn into."""
    duration = cols.duration_s
    finite = duration[np.isfinite(duration)]
    # Duration: up to the 99.5th percentile (a few hour-long takes would squash the rest), the longer
    # ones counted in the last bin.
    hi = float(np.percentile(finite, 99.5)) if finite.size else None
    return {
        "hist-quality": histogram_figure(cols.quality, cols.worst, S, axis=S["hist_quality_axis"],
                                         edges=np.arange(0.0, 102.5, 2.5)),
        "hist-snr": histogram_figure(cols.snr_db, cols.worst, S, axis=S["hist_snr_axis"]),
        "hist-duration": histogram_figure(duration, cols.worst, S, axis=S["hist_duration_axis"],
                                          edges=_nice_edges(duration, lo=0.0, hi=hi) if hi is not None else None),
    }


def _minutes(seconds: float) -> str:
    return f"{seconds / 60.0:.1f}"


def _median(values: np.ndarray) -> str:
    values = values[np.isfinite(values)]
    return f"{float(np.median(values)):.1f}" if values.size else "—"


def scale_section(cols: ClipColumns, figures: dict, S: dict, lang: str, *, n_detail: int) -> str:
    """The aggregated view of a large set: histograms, one row per finding code and, with two or more
    speakers, one row per speaker."""
    from .html_strings import code_label

    n = cols.quality.size
    duration = np.nan_to_num(cols.duration_s, nan=0.0)
    # Per finding code: clips, minutes, the clips at each severity.
    per_code: dict[str, list] = {}
    for i, pairs in enumerate(cols.findings):
        worst_of: dict[str, int] = {}
        for code, rank in pairs:
            worst_of[code] = max(worst_of.get(code, -1), rank)
        for code, rank in worst_of.items():
            entry = per_code.setdefault(code, [0, 0.0, [0, 0, 0]])
            entry[0] += 1
            entry[1] += duration[i]
            if rank >= 0:
                entry[2][rank] += 1
    rows = []
    ranked = sorted(per_code.items(), key=lambda kv: (-max((r for r in range(3) if kv[1][2][r]), default=-1),
                                                      -kv[1][0], kv[0]))
    for code, (count, seconds, by_rank) in ranked:
        sev = ["info", "warning", "error"][max((r for r in range(3) if by_rank[r]), default=0)]
        split = " · ".join(f"{S['severity_' + name]} {by_rank[r]}" for r, name in ((2, "error"), (1, "warning"), (0, "info"))
                           if by_rank[r])
        rows.append(
            f'<tr data-code="{_esc(code)}"><td><span class="dot {sev}"></span> {_esc(code_label(code, lang))}</td>'
            f'<td class="num">{count}</td><td class="num">{_minutes(seconds)}</td>'
            f'<td class="num">{100.0 * count / max(n, 1):.1f}%</td><td class="small">{_esc(split)}</td>'
            f'<td><button type="button" class="linkish show-code" data-code="{_esc(code)}">{_esc(S["show_in_table"])}</button></td></tr>')
    head = "".join(f"<th>{_esc(S[k])}</th>" for k in ("col_finding", "col_clips", "col_minutes", "col_share",
                                                        "col_by_severity", "col_show"))
    findings_table = (f'<table class="agg-table" id="finding-table"><thead><tr>{head}</tr></thead>'
                      f'<tbody>{"".join(rows)}</tbody></table>' if rows
                      else f'<p class="small">{_esc(S["top_none"])}</p>')
    # Per speaker.
    speaker_html = ""
    names = sorted({s for s in cols.speaker if s is not None})
    if len(names) >= 2:
        index = {name: k for k, name in enumerate(names)}
        label = np.array([index[s] if s is not None else -1 for s in cols.speaker], dtype=np.int64)
        order = np.argsort(label, kind="stable")
        bounds = np.searchsorted(label[order], np.arange(len(names) + 1))
        srows = []
        for k, name in enumerate(names):
            own = order[bounds[k]:bounds[k + 1]]
            worst = cols.worst[own]
            srows.append(
                f'<tr data-speaker="{_esc(name)}"><td>{_esc(name)}</td><td class="num">{own.size}</td>'
                f'<td class="num">{_minutes(float(duration[own].sum()))}</td>'
                f'<td class="num">{int((worst >= 1).sum())}</td><td class="num">{int((worst == 2).sum())}</td>'
                f'<td class="num">{_median(cols.quality[own])}</td><td class="num">{_median(cols.snr_db[own])}</td>'
                f'<td><button type="button" class="linkish show-speaker" data-speaker="{_esc(name)}">'
                f'{_esc(S["show_in_table"])}</button></td></tr>')
        shead = "".join(f"<th>{_esc(S[k])}</th>" for k in ("col_speaker", "col_clips", "col_minutes", "col_flagged",
                                                             "col_errors", "col_median_quality", "col_median_snr",
                                                             "col_show"))
        speaker_html = (f'<div class="card"><h3>{_esc(S["scale_speakers"])}</h3><div class="speaker-table-wrap">'
                        f'<table class="agg-table" id="speaker-agg"><thead><tr>{shead}</tr></thead>'
                        f'<tbody>{"".join(srows)}</tbody></table></div></div>')
    plots = "".join(
        f'<div class="card"><h3>{_esc(S[title])}</h3>'
        + (f'<div class="plot small-plot" id="{key}"></div>' if figures.get(key) else
           f'<p class="small empty">{_esc(S["hist_none"])}</p>') + '</div>'
        for key, title in (("hist-quality", "hist_quality"), ("hist-snr", "hist_snr"), ("hist-duration", "hist_duration")))
    note = S["scale_note"].format(n=n, k=n_detail)
    return (f'<section class="at-scale" id="at-scale"><h2>{_esc(S["scale_title"])}</h2>'
            f'<p class="small">{_esc(note)}</p><div class="three">{plots}</div>'
            f'<div class="card"><h3>{_esc(S["scale_findings"])}</h3>{findings_table}</div>{speaker_html}</section>')
