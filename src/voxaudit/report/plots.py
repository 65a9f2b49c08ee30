"""Data behind the HTML report's pictures.

Two kinds of output, both plain JSON-able dicts:

- **Figures** (plotly figure dicts: ``{"data": [...], "layout": {...}}``) for the set-level pictures:
  the voice map (PCA of the speaker embeddings) and the distribution of similarity to the centroid.
  plotly.js draws them in the browser; nothing here imports plotly.
- **Compact per-clip picture data** for flagged clips (:func:`clip_picture_data` from a file,
  :func:`picture_data` from samples): a min/max waveform envelope (int8, mu-law), the silences (from
  :func:`voxaudit.signal.activity.speech_activity`), clipped regions, and a log-frequency spectrogram
  quantised to uint8 and deflated, about 10 kB per clip. ``VoxauditPlots.drawClipPicture`` in
  ``html_assets/plots.js`` turns one into a plotly figure in the browser; the report calls it only when a
  clip is opened or scrolled into view, so a report with hundreds of flagged clips stays small and opens
  fast. Nothing here depends on the whole report: ``voxaudit serve`` uses the same functions per take.
"""

from __future__ import annotations

import base64
import math
import zlib
from typing import Any, Optional, Sequence

import numpy as np
from scipy import signal as sps

from ..audio import load_audio
from ..errors import ParameterError
from ..signal.activity import speech_activity

# Categorical colours of the voice groups (Tableau 10); group 0 (the main voice) gets the first.
GROUP_COLOURS = ("#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#72b7b2", "#eeca3b",
                 "#ff9da6", "#9d755d", "#bab0ac")
OTHER_GROUP_COLOUR = "#9e9e9e"
OUTLIER_COLOUR = "#c62828"
# Spectrogram dynamic range shown, in dB below the loudest cell.
SPECTROGRAM_RANGE_DB = 80.0
# Spectrogram quantisation step (1 dB: finer steps only add noise that does not compress).
SPECTROGRAM_STEP_DB = 1.0
# Waveform envelope companding (mu-law, as in telephony) so 8 bits keep quiet clips visible.
MU_LAW = 255.0
# Lowest frequency drawn on the spectrogram's log axis (mains hum at 50/60 Hz must be visible).
SPECTROGRAM_FMIN_HZ = 40.0


# -- set-level figures ----------------------------------------------------------------------------------

def embedding_points(embeddings: Optional[np.ndarray], n_clips: int) -> Optional[dict[str, Any]]:
    """2-D PCA coordinates of the clips' speaker embeddings.

    Parameters
    ----------
    embeddings : np.ndarray [N, D] or None
        One row per clip of the report, in report order; rows holding a non-finite value or of zero
        length (clips that could not be embedded) are left out.
    n_clips : int
        Number of clips in the report; ``N`` must equal it.

    Returns
    -------
    dict or None
        ``{"index": [...], "x": [...], "y": [...], "explained": [r1, r2]}`` with ``index`` the clip
        indices; None when no embeddings were given or fewer than 3 rows are usable.

    Raises
    ------
    ParameterError
        When ``embeddings`` is not 2-D or its row count differs from ``n_clips``.
    """
    if embeddings is None:
        return None
    emb = np.asarray(embeddings, dtype=np.float64)
    if emb.ndim != 2 or emb.shape[0] != n_clips:
        raise ParameterError(f"embeddings must be [n_clips={n_clips}, D], got shape {emb.shape}")
    norms = np.linalg.norm(np.where(np.isfinite(emb), emb, 0.0), axis=1)
    valid = np.all(np.isfinite(emb), axis=1) & (norms > 0)
    index = np.flatnonzero(valid)
    if index.size < 3:
        return None
    from sklearn.decomposition import PCA

    # Project the unit-length embeddings (cosine geometry) onto their first two components.
    x = emb[index] / norms[index, None]
    pca = PCA(n_components=2, svd_solver="full")
    xy = pca.fit_transform(x)
    return {"index": index.tolist(), "x": np.round(xy[:, 0], 4).tolist(), "y": np.round(xy[:, 1], 4).tolist(),
            "explained": np.round(pca.explained_variance_ratio_, 4).tolist()}


def _identity(clip: dict) -> dict:
    identity = clip.get("identity")
    return identity if isinstance(identity, dict) else {}


MAX_MAP_SPEAKERS = 20
MAX_HEATMAP_SPEAKERS = 60


def voice_map_figure(points: dict[str, Any], clips: Sequence[dict], strings: dict[str, str], *,
                     dominant_cluster: Optional[int] = 0, reference_index: Optional[int] = None,
                     by_speaker: bool = False) -> dict[str, Any]:
    """Plotly figure of the voice map: one trace per voice group, outliers as crosses, the reference as
    a star. ``customdata`` of every point is its clip index (the report opens that clip on click).

    Parameters
    ----------
    points : dict
        :func:`embedding_points` of the clips' embeddings.
    clips : sequence of dict
        Clips in report order: ``path`` and ``identity`` (``similarity``, ``cluster``, ``outlier``) are read.
    strings : dict
        UI text, :func:`voxaudit.report.html_strings.ui_strings` of the page's language.
    dominant_cluster : int, optional
        The main voice's group (drawn first, in the first colour, named "main voice").
    reference_index : int, optional
        Index of the reference clip, drawn as a star.
    by_speaker : bool
        Colour by speaker label (the ``MAX_MAP_SPEAKERS`` largest labels, the rest grey) instead of by
        voice group; a clip filed under the wrong label (``likely_speaker``) is drawn as a diamond.

    Returns
    -------
    dict
        ``{"data": [...], "layout": {...}}``, ready for ``Plotly.newPlot(div, fig.data, fig.layout)``.
    """
    by_group: dict[Any, list[int]] = {}
    for k, i in enumerate(points["index"]):
        key = clips[i].get("speaker") if by_speaker else _identity(clips[i]).get("cluster")
        by_group.setdefault(key, []).append(k)
    if by_speaker:
        big = sorted((g for g in by_group if g is not None), key=lambda g: (-len(by_group[g]), str(g)))
        big = big[:MAX_MAP_SPEAKERS]
    else:
        # Groups of one clip share one grey "other" trace, so the legend stays short.
        big = sorted((g for g, ks in by_group.items() if len(ks) > 1 and g is not None),
                     key=lambda g: (g != dominant_cluster, -len(by_group[g]), g))
    singles = [k for g, ks in by_group.items() if g not in big for k in ks]
    traces = []

    def trace(ks: list[int], name: str, colour: str) -> dict[str, Any]:
        idx = [points["index"][k] for k in ks]
        outlier = [bool(_identity(clips[i]).get("outlier")) for i in idx]
        moved = [bool(_identity(clips[i]).get("likely_speaker")) for i in idx]
        text = []
        for i in idx:
            ident = _identity(clips[i])
            sim = ident.get("similarity")
            line = clips[i].get("path", "")
            if by_speaker and clips[i].get("speaker"):
                line += f"<br>{strings['col_speaker']}: {clips[i]['speaker']}"
            if sim is not None:
                line += f"<br>{strings['col_similarity']}: {sim:.3f}"
            if ident.get("likely_speaker"):
                line += f" · {strings['mislabel_mark'].format(speaker=ident['likely_speaker'])}"
            elif ident.get("outlier"):
                line += f" · {strings['outlier_mark']}"
            text.append(line)
        return {
            "type": "scatter", "mode": "markers", "name": name,
            "x": [points["x"][k] for k in ks], "y": [points["y"][k] for k in ks],
            "customdata": idx, "text": text, "hovertemplate": "%{text}<extra></extra>",
            "marker": {"color": colour, "size": [13 if m else 11 if o else 8 for o, m in zip(outlier, moved)],
                       "symbol": ["diamond" if m else "x" if o else "circle" for o, m in zip(outlier, moved)],
                       "line": {"width": [1.5 if o else 0.5 for o in outlier],
                                "color": [OUTLIER_COLOUR if o else "#ffffff" for o in outlier]},
                       "opacity": 0.85},
        }

    for n, group in enumerate(big):
        if by_speaker:
            traces.append(trace(by_group[group], f"{group} ({len(by_group[group])})",
                                GROUP_COLOURS[n % len(GROUP_COLOURS)]))
            continue
        name = (strings["group_main"] if group == dominant_cluster else strings["group"]).format(c=group)
        traces.append(trace(by_group[group], f"{name} ({len(by_group[group])})",
                            GROUP_COLOURS[n % len(GROUP_COLOURS)]))
    if singles:
        other = strings["other_speakers"] if by_speaker else strings["group_other"]
        traces.append(trace(singles, f"{other} ({len(singles)})", OTHER_GROUP_COLOUR))
    if reference_index is not None and reference_index in points["index"]:
        k = points["index"].index(reference_index)
        traces.append({
            "type": "scatter", "mode": "markers", "name": strings["reference"],
            "x": [points["x"][k]], "y": [points["y"][k]], "customdata": [reference_index],
            "text": [clips[reference_index].get("path", "")], "hovertemplate": "%{text}<extra></extra>",
            "marker": {"symbol": "star", "size": 18, "color": "#ffd600", "line": {"width": 1.5, "color": "#333"}},
        })
    ev = points.get("explained") or [0, 0]
    layout = {
        "margin": {"l": 50, "r": 10, "t": 10, "b": 45}, "height": 380,
        "xaxis": {"title": {"text": f"{strings['pc1']} ({100 * ev[0]:.0f}%)"}, "zeroline": False},
        "yaxis": {"title": {"text": f"{strings['pc2']} ({100 * ev[1]:.0f}%)"}, "zeroline": False},
        "legend": {"orientation": "h", "y": -0.18, "font": {"size": 11}},
        "hovermode": "closest", "plot_bgcolor": "#fafafa",
    }
    layout["margin"]["b"] = 80
    return {"data": traces, "layout": layout}


def _nice_step(span: float, target_bins: int = 40) -> float:
    """A round bin width (1, 2 or 5 times a power of ten) giving about ``target_bins`` bins."""
    raw = max(span, 1e-6) / target_bins
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return factor * power
    return 10 * power


def similarity_figure(clips: Sequence[dict], strings: dict[str, str], *, threshold: Optional[float],
                      median: Optional[float]) -> Optional[dict[str, Any]]:
    """Plotly figure: histogram of the clips' similarity to the centroid, outliers stacked in red, the
    outlier threshold as a red line and the median as a dotted one. None when no clip has a similarity.

    ``clips`` are report clips (``identity.similarity`` and ``identity.outlier`` are read); ``strings``
    is :func:`voxaudit.report.html_strings.ui_strings` of the page's language; ``threshold`` and
    ``median`` are the summary's ``identity_threshold`` and ``similarity_median`` (cosine).
    """
    sims, outs = [], []
    for clip in clips:
        ident = _identity(clip)
        sim = ident.get("similarity")
        if isinstance(sim, (int, float)) and math.isfinite(sim):
            sims.append(float(sim))
            outs.append(bool(ident.get("outlier")))
    if not sims:
        return None
    values = np.asarray(sims)
    out = np.asarray(outs)
    lo, hi = float(values.min()), float(values.max())
    if threshold is not None:
        lo, hi = min(lo, threshold), max(hi, threshold)
    step = _nice_step(hi - lo)
    edges = np.arange(math.floor(lo / step) * step, hi + step * 1.001, step)
    if edges.size < 2:
        edges = np.array([lo - step, lo + step])
    centres = np.round((edges[:-1] + edges[1:]) / 2, 6).tolist()
    kept_counts = np.histogram(values[~out], bins=edges)[0].tolist()
    out_counts = np.histogram(values[out], bins=edges)[0].tolist()
    data = [
        {"type": "bar", "name": strings["in_set"], "x": centres, "y": kept_counts, "width": step * 0.95,
         "marker": {"color": GROUP_COLOURS[0]}, "hovertemplate": "%{x:.3f}: %{y}<extra></extra>"},
        {"type": "bar", "name": strings["outliers"], "x": centres, "y": out_counts, "width": step * 0.95,
         "marker": {"color": OUTLIER_COLOUR}, "hovertemplate": "%{x:.3f}: %{y}<extra></extra>"},
    ]
    shapes, annotations = [], []
    if threshold is not None:
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": threshold, "x1": threshold,
                       "y0": 0, "y1": 1, "line": {"color": OUTLIER_COLOUR, "width": 2}})
        annotations.append({"xref": "x", "yref": "paper", "x": threshold, "y": 1, "yanchor": "bottom",
                            "xanchor": "right", "showarrow": False,
                            "text": strings["threshold"].format(t=f"{threshold:.3f}"),
                            "font": {"color": OUTLIER_COLOUR, "size": 11}})
    if median is not None:
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": median, "x1": median,
                       "y0": 0, "y1": 1, "line": {"color": "#555", "width": 1, "dash": "dot"}})
        annotations.append({"xref": "x", "yref": "paper", "x": median, "y": 1, "yanchor": "bottom",
                            "xanchor": "left", "showarrow": False,
                            "text": strings["median"].format(m=f"{median:.3f}"),
                            "font": {"color": "#555", "size": 11}})
    layout = {
        "barmode": "stack", "bargap": 0, "height": 380,
        "margin": {"l": 50, "r": 10, "t": 24, "b": 80},
        "xaxis": {"title": {"text": strings["similarity_axis"]}},
        "yaxis": {"title": {"text": strings["clips_axis"]}, "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": -0.18, "font": {"size": 11}},
        "shapes": shapes, "annotations": annotations, "plot_bgcolor": "#fafafa",
    }
    return {"data": data, "layout": layout}


# -- per-clip picture data ------------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def waveform_envelope(samples: np.ndarray, n_columns: int) -> np.ndarray:
    """Min and max of each of ``n_columns`` equal slices of ``samples``, shape ``(n, 2)``, float32."""
    n = samples.size
    cols = max(1, min(n_columns, n))
    starts = np.linspace(0, n, cols + 1).astype(np.int64)[:-1]
    lo = np.minimum.reduceat(samples, starts)
    hi = np.maximum.reduceat(samples, starts)
    return np.stack([lo, hi], axis=1).astype(np.float32)


def clipped_regions(samples: np.ndarray, *, sample_rate: int, min_run: int = 3, merge_s: float = 0.01,
                    max_regions: int = 200) -> list[tuple[float, float]]:
    """Stretches where the waveform sits flat at its peak level (hard clipping), as ``(start_s, end_s)``.

    A clipped stretch is ``min_run`` or more consecutive identical samples at 95 % or more of the clip's
    positive peak (or of its negative peak: converters and gain stages often clip one side only);
    stretches closer than ``merge_s`` are merged.
    """
    x = np.asarray(samples, dtype=np.float32)
    if x.size < min_run:
        return []
    top, bottom = float(np.max(x)), float(np.min(x))
    near = np.zeros(x.size, dtype=bool)
    if top >= 0.1:
        near |= x >= 0.95 * top
    if bottom <= -0.1:
        near |= x <= 0.95 * bottom
    # Flat: this sample equals the next one, both near a peak.
    flat = near[:-1] & near[1:] & (x[:-1] == x[1:])
    padded = np.concatenate([[False], flat, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    starts, stops = edges[0::2], edges[1::2] + 1  # sample indices, stop exclusive
    keep = (stops - starts) >= min_run
    starts, stops = starts[keep], stops[keep]
    regions: list[list[float]] = []
    for a, b in zip(starts / sample_rate, stops / sample_rate):
        if regions and a - regions[-1][1] <= merge_s:
            regions[-1][1] = float(b)
        else:
            regions.append([float(a), float(b)])
    if len(regions) > max_regions:
        # Too many to draw one by one: merge neighbours until it fits.
        span = (regions[-1][1] - regions[0][0]) / max_regions
        merged: list[list[float]] = []
        for a, b in regions:
            if merged and a - merged[-1][0] < span:
                merged[-1][1] = b
            else:
                merged.append([a, b])
        regions = merged
    return [(round(a, 4), round(b, 4)) for a, b in regions]


def log_spectrogram(samples: np.ndarray, *, sample_rate: int, n_freqs: int = 64, n_frames: int = 180,
                    fmin_hz: float = SPECTROGRAM_FMIN_HZ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Power spectrogram on log-spaced frequency bands, mean-pooled to at most ``n_frames`` columns.

    Returns
    -------
    db : np.ndarray [n_freqs, T]
        Band power in dB (relative; 0 dB = full-scale).
    freqs_hz : np.ndarray [n_freqs]
        Band centre frequencies (geometric).
    times_s : np.ndarray [T]
        Column centre times.
    """
    x = np.asarray(samples, dtype=np.float64)
    # Window about 40 ms (a power of two): about 25 Hz resolution, enough to place mains hum.
    nfft = int(2 ** round(math.log2(max(64.0, sample_rate * 0.04))))
    if x.size < nfft:
        x = np.concatenate([x, np.zeros(nfft - x.size)])
    hop = nfft // 4
    # Compute the STFT power.
    f, t, power = sps.spectrogram(x, fs=sample_rate, window="hann", nperseg=nfft, noverlap=nfft - hop,
                                  scaling="spectrum", mode="psd")
    nyquist = sample_rate / 2.0
    # Bands narrower than the FFT resolution repeat their nearest bin; the low end stays at fmin_hz so
    # that mains hum (50/60 Hz) has a place on every clip's picture.
    fmin = min(fmin_hz, nyquist / 4)
    edges = np.geomspace(fmin, nyquist, n_freqs + 1)
    centres = np.sqrt(edges[:-1] * edges[1:])
    # Pool FFT bins into log bands: mean power of the bins inside a band, the nearest bin when none is.
    lo_idx = np.searchsorted(f, edges[:-1])
    hi_idx = np.searchsorted(f, edges[1:])
    bands = np.empty((n_freqs, power.shape[1]))
    for k in range(n_freqs):
        if hi_idx[k] > lo_idx[k]:
            bands[k] = power[lo_idx[k]:hi_idx[k]].mean(axis=0)
        else:
            bands[k] = power[min(int(np.argmin(np.abs(f - centres[k]))), f.size - 1)]
    # Pool frames into at most n_frames columns.
    cols = min(n_frames, bands.shape[1])
    starts = np.linspace(0, bands.shape[1], cols + 1).astype(np.int64)[:-1]
    counts = np.diff(np.append(starts, bands.shape[1]))
    pooled = np.add.reduceat(bands, starts, axis=1) / counts
    times = np.add.reduceat(t, starts) / counts
    db = 10.0 * np.log10(pooled + 1e-20)
    return db, centres, times


def clip_picture_data(file: str, *, metrics: Optional[dict] = None, n_columns: int = 480,
                      n_freqs: int = 64, n_frames: int = 180, draw_hum: bool = True,
                      draw_bandwidth: bool = True) -> dict[str, Any]:
    """Compact waveform and spectrogram picture data of one audio file (see :func:`picture_data`).

    Decodes ``file`` with :func:`voxaudit.audio.load_audio` (soundfile, downmixed to mono, native rate).

    Raises
    ------
    voxaudit.errors.AudioError
        When the file cannot be decoded.
    """
    audio = load_audio(file)
    return picture_data(audio.samples, sample_rate=audio.sample_rate, metrics=metrics, n_columns=n_columns,
                        n_freqs=n_freqs, n_frames=n_frames, draw_hum=draw_hum, draw_bandwidth=draw_bandwidth)


def picture_data(samples: np.ndarray, *, sample_rate: int, metrics: Optional[dict] = None,
                 n_columns: int = 480, n_freqs: int = 64, n_frames: int = 180, draw_hum: bool = True,
                 draw_bandwidth: bool = True) -> dict[str, Any]:
    """Compact data for one clip's waveform and spectrogram pictures, from its samples.

    What the browser code ``VoxauditPlots.drawClipPicture`` (``html_assets/plots.js``) draws; a
    JSON-able dict of about 10 kB whatever the clip's length:

    - ``dur`` (s), ``sr`` (Hz), ``peak`` (linear);
    - ``env``: base64 of int8 mu-law (mu = 255) ``[min, max]`` pairs per column (full scale = 127),
      so quiet clips keep their shape;
    - ``sil``: silences ``[[start_s, end_s], ...]`` (non-speech runs of ``speech_activity``);
    - ``clip``: clipped stretches ``[[start_s, end_s], ...]`` (:func:`clipped_regions`);
    - ``spec``: base64 of the zlib-deflated uint8 spectrogram, ``nf`` rows (log-spaced bands from
      ``fmin`` to ``fmax`` Hz, band centres) by ``nt`` columns spread evenly over ``dur``;
      a cell value v reads ``top - range + v * step`` dB (:func:`log_spectrogram`);
    - ``hum``, ``bw``: the clip's ``hum_hz`` and ``bandwidth_hz`` from ``metrics`` (the lines to draw
      on the spectrogram), or None when not asked for (``draw_hum`` / ``draw_bandwidth``) or not
      measured. The report asks for them only when the clip has the ``mains_hum`` /
      ``narrow_bandwidth`` finding.

    Parameters
    ----------
    samples : np.ndarray [n]
        Mono samples, full scale 1.0 (float) at the native rate.
    sample_rate : int
        Rate of ``samples`` in Hz.
    metrics : dict, optional
        The clip's measures (report.json's ``metrics``): ``hum_hz``, ``bandwidth_hz`` and
        ``clipping_fraction`` (0 skips the clipped-stretch search) are read.
    n_columns, n_freqs, n_frames : int
        Waveform columns, spectrogram bands and spectrogram columns.

    Raises
    ------
    ParameterError
        On samples that are not a non-empty 1-D array or a sample rate that is not positive.

    Examples
    --------
    >>> sr = 16000
    >>> t = np.arange(sr) / sr
    >>> pic = picture_data(0.3 * np.sin(2 * np.pi * 220 * t), sample_rate=sr,
    ...                    metrics={"hum_hz": 50.0}, draw_bandwidth=False)
    >>> pic["dur"], pic["sr"], pic["hum"], pic["bw"], pic["clip"]
    (1.0, 16000, 50.0, None, [])
    """
    metrics = metrics or {}
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim != 1 or x.size == 0:
        raise ParameterError(f"samples must be a non-empty 1-D array, got shape {x.shape}")
    if not (isinstance(sample_rate, (int, np.integer)) and sample_rate > 0):
        raise ParameterError(f"sample_rate must be a positive integer, got {sample_rate!r}")
    x = np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=-1.0)
    sr = int(sample_rate)
    dur = x.size / float(sr)

    # Waveform envelope.
    env = np.clip(waveform_envelope(x, n_columns), -1.0, 1.0)
    companded = np.sign(env) * np.log1p(MU_LAW * np.abs(env)) / np.log1p(MU_LAW)
    env_i8 = np.round(companded * 127.0).astype(np.int8)

    # Silences: the non-speech runs of the speech activity.
    act = speech_activity(x, sample_rate=sr)
    silences = [(round(a * act.hop_s, 3), round(min(b * act.hop_s, dur), 3)) for a, b in act.runs(False)]

    # Clipped stretches (skipped when the measure says there is no clipping at all).
    clipping_fraction = metrics.get("clipping_fraction")
    regions = [] if clipping_fraction == 0 else clipped_regions(x, sample_rate=sr)

    # Log-frequency spectrogram, quantised in 1 dB steps over a fixed dynamic range, deflated.
    db, freqs, _ = log_spectrogram(x, sample_rate=sr, n_freqs=n_freqs, n_frames=n_frames)
    top = float(np.max(db))
    q = np.clip(np.round((db - (top - SPECTROGRAM_RANGE_DB)) / SPECTROGRAM_STEP_DB), 0, 255)
    spec = zlib.compress(q.astype(np.uint8).tobytes(order="C"), 9)

    def finite(value: Any) -> Optional[float]:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        return None

    return {
        "dur": round(dur, 4), "sr": int(sr), "peak": round(float(np.max(np.abs(x))) if x.size else 0.0, 5),
        "env": _b64(env_i8.tobytes()), "sil": silences, "clip": regions,
        "spec": _b64(spec), "nf": int(db.shape[0]), "nt": int(db.shape[1]),
        "fmin": round(float(freqs[0]), 3), "fmax": round(float(freqs[-1]), 3),
        "top": round(top, 2), "range": SPECTROGRAM_RANGE_DB, "step": SPECTROGRAM_STEP_DB,
        "hum": finite(metrics.get("hum_hz")) if draw_hum else None,
        "bw": finite(metrics.get("bandwidth_hz")) if draw_bandwidth else None,
    }


def speaker_heatmap_figure(cohesion: dict[str, Any], strings: dict[str, str], *,
                           order: Optional[Sequence[str]] = None,
                           max_speakers: int = MAX_HEATMAP_SPEAKERS) -> Optional[dict[str, Any]]:
    """Plotly heat map of the voice similarity between labelled speakers (the cohesion ratio, 1 for one
    voice; see :func:`voxaudit.speaker.consistency.voice_cohesion`).

    Parameters
    ----------
    cohesion : dict
        ``summary["speaker_cohesion"]``: ``names`` and the ``matrix`` (None where unknown).
    strings : dict
        UI text of the page's language.
    order : sequence of str, optional
        Labels to show first (those with problems); the rest follow by name, up to ``max_speakers``.

    Returns
    -------
    dict or None
        The figure, or None with fewer than 2 labels.
    """
    names = list(cohesion.get("names") or [])
    matrix = cohesion.get("matrix") or []
    if len(names) < 2:
        return None
    pos = {n: k for k, n in enumerate(names)}
    shown = [n for n in (order or []) if n in pos]
    shown += [n for n in names if n not in set(shown)]
    shown = shown[:max_speakers]
    z = [[matrix[pos[a]][pos[b]] for b in shown] for a in shown]
    size = min(900, 160 + 18 * len(shown))
    return {
        "data": [{"type": "heatmap", "x": shown, "y": shown, "z": z, "zmin": 0.5, "zmax": 1.0,
                  "colorscale": "Viridis", "colorbar": {"title": {"text": strings["cohesion"]}},
                  "hovertemplate": "%{y} · %{x}: %{z:.3f}<extra></extra>"}],
        "layout": {"height": size, "margin": {"l": 120, "r": 10, "t": 10, "b": 120},
                   "xaxis": {"tickangle": -45, "automargin": True}, "yaxis": {"autorange": "reversed",
                                                                              "automargin": True}},
    }
