"""Many labelled speakers in one set: each label judged as one voice, then every clip and every label
compared across labels.

Pure functions over an ``[N, D]`` array of speaker embeddings and one label per row, like
:mod:`.consistency` (whose :func:`~.consistency.analyse_set` is the per-speaker kernel). Memory is linear
in ``N x D`` plus ``S x S`` for ``S`` labels: clips are compared with the labels' centroids in blocks,
never with each other across the whole set.

The analysis, step by step:

1. **Per label**: :func:`~.consistency.analyse_set` on the label's clips (against the label's voice in
   a saved profile when there is one): its voices, centroid, spread, outliers.
2. **Across labels, per clip**: the clip's similarity to every other label's centroid. A clip that is an
   outlier of its own label (for a label too small to judge: under the encoder floor), that passes
   another label's outlier test, and that is at least ``MISLABEL_MARGIN`` more similar to that label
   than to its own, is **filed under the wrong name** (``likely_speaker``). An outlier that matches no
   other label stays a plain mismatch.
3. **Across labels, per label**: two labels whose dominant voices are one voice by the same cohesion
   rule that merges clusters within a set (``voice_merge``, :func:`~.consistency.voice_cohesion`), and
   most of whose clips pass each other's outlier test (``SAME_VOICE_SHARE``), are **one voice under two
   names** (``same_voice_as``). Clips are not called mislabelled between two such labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Optional, Sequence

import numpy as np

from ..errors import ParameterError
from .consistency import (ASSIGN_BLOCK_ROWS, MAD_TO_SIGMA, Z_OUTLIER, SetAnalysis, analyse_set, calibration_for,
                          duration_widths)

if TYPE_CHECKING:  # pragma: no cover
    from ..profile import Profile

# A clip is filed under the wrong name only when it is at least this much more similar (cosine) to the
# other label's centroid than to its own. Rule: midpoint between the 1st percentile of that difference
# for mislabelled clips and its largest value for correctly filed clips that are outliers of their own
# label yet pass another label's test. Measured with GE2E by `scripts/eval_speakers.py --calibrate` on
# 60 seeded lists of 6-8 speakers from ../shared/speech: mislabelled 660 clips, 1st percentile 0.113
# (median 0.373); correctly filed outliers passing another label 23 clips, max 0.056 -> 0.08.
MISLABEL_MARGIN = 0.08
# Two labels are one voice only when at least this share of each label's clips passes the other label's
# outlier test (besides the cohesion rule). A split label passes about 100 %; a label holding a few
# clips of a close speaker (aishell-S0252 with 5 of S0913) under 50 %. A plain majority, not tuned.
SAME_VOICE_SHARE = 0.5


@dataclass
class SpeakerAnalysis:
    """One label's share of :class:`SpeakersAnalysis`.

    Attributes
    ----------
    name : str
        The label.
    rows : np.ndarray of int
        Input rows of its clips.
    analysis : SetAnalysis
        :func:`~.consistency.analyse_set` of its clips (rows in ``analysis`` index ``rows``).
    same_voice_as : list of str
        Other labels whose voice is this label's voice.
    in_profile : bool or None
        Whether a saved profile held this label (None when no profile was given).
    """

    name: str
    rows: np.ndarray
    analysis: SetAnalysis
    same_voice_as: list[str] = field(default_factory=list)
    in_profile: Optional[bool] = None

    @property
    def n_clips(self) -> int:
        return int(self.rows.size)


@dataclass
class SpeakersAnalysis:
    """The result of :func:`analyse_speakers`.

    Attributes
    ----------
    speakers : list of SpeakerAnalysis
        One per label, sorted by name.
    cohesion : np.ndarray [S, S]
        Cohesion ratio between the labels' dominant voices (1 on the diagonal; NaN where a label has
        fewer than 2 embedded clips). About 1 for one voice under two names.
    likely_speaker : list of str or None
        Per input row, the label the clip was more likely recorded by when it is filed under the wrong
        name, else None.
    other_speaker : list of str or None
        Per input row, the most similar other label (None with a single label or no embedding).
    other_similarity : np.ndarray [N]
        Per input row, the similarity to that label's centroid (NaN when none).
    own_similarity : np.ndarray [N]
        Per input row, the similarity to its own label's centroid (as in its identity block).
    encoder : str
    """

    speakers: list[SpeakerAnalysis]
    cohesion: np.ndarray
    likely_speaker: list[Optional[str]]
    other_speaker: list[Optional[str]]
    other_similarity: np.ndarray
    own_similarity: np.ndarray
    encoder: str = ""

    @property
    def n_mislabelled(self) -> int:
        return sum(1 for s in self.likely_speaker if s is not None)

    def by_name(self) -> dict[str, SpeakerAnalysis]:
        return {s.name: s for s in self.speakers}


def analyse_speakers(embeddings: np.ndarray, labels: Sequence[str], *, encoder: str,
                     profiles: Optional[Mapping[str, "Profile"]] = None, min_clips: int = 5,
                     weights_sha256: Optional[str] = None, lang: str = "en",
                     durations=None) -> SpeakersAnalysis:
    """Judge every labelled speaker as one voice, find clips filed under the wrong label and labels
    that are one voice.

    Parameters
    ----------
    embeddings : np.ndarray [N, D]
        One speaker embedding per clip (NaN rows for clips that were not embedded).
    labels : sequence of str
        The speaker label of each row.
    encoder : str
        Encoder name ("ge2e" or "ecapa"): selects the calibration.
    profiles : mapping of str to Profile, optional
        Saved voices by label: a label found here is judged against its saved voice, as
        :func:`~.consistency.analyse_set` does with a profile; other labels against themselves.
    min_clips, weights_sha256, lang, durations
        As :func:`~.consistency.analyse_set` (``durations`` in seconds, one per row).

    Returns
    -------
    SpeakersAnalysis

    Raises
    ------
    ParameterError
        On a label count that differs from the row count, or as :func:`~.consistency.analyse_set`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=64), rng.normal(size=64)
    >>> emb = np.vstack([a + 0.3 * rng.normal(size=(8, 64)), b + 0.3 * rng.normal(size=(8, 64))])
    >>> labels = ["anna"] * 8 + ["ben"] * 8
    >>> labels[3] = "ben"  # an anna clip filed under ben
    >>> result = analyse_speakers(emb, labels, encoder="ge2e")
    >>> [(i, s) for i, s in enumerate(result.likely_speaker) if s]
    [(3, 'anna')]
    """
    cal = calibration_for(encoder)
    emb = np.asarray(embeddings)
    if emb.ndim != 2:
        raise ParameterError(f"embeddings must be a 2-D array [N, D], got shape {emb.shape}")
    n_rows = emb.shape[0]
    labels = np.asarray([str(s) for s in labels], dtype=object)
    if labels.shape != (n_rows,):
        raise ParameterError(f"labels must hold one label per row ({n_rows}), got {labels.shape[0]}")
    seconds = None if durations is None else np.array(
        [np.nan if v is None else float(v) for v in durations], dtype=np.float64)
    if seconds is not None and seconds.shape != (n_rows,):
        raise ParameterError(f"durations must hold one value per clip ({n_rows}), got {seconds.shape[0]}")

    # 1. Each label as one set.
    names = sorted(set(labels.tolist()))
    speakers: list[SpeakerAnalysis] = []
    for name in names:
        rows = np.flatnonzero(labels == name)
        profile = profiles.get(name) if profiles is not None else None
        analysis = analyse_set(emb[rows], encoder=encoder, profile=profile, min_clips=min_clips,
                               weights_sha256=weights_sha256, lang=lang,
                               durations=None if seconds is None else seconds[rows], dominant_by="clips")
        speakers.append(SpeakerAnalysis(name=name, rows=rows, analysis=analysis,
                                        in_profile=None if profiles is None else name in profiles))

    # Each label's voice: centroid, and the parameters of its outlier threshold.
    dim = emb.shape[1]
    n_speakers = len(speakers)
    centroids = np.zeros((n_speakers, dim), dtype=np.float64)
    medians = np.full(n_speakers, np.nan)
    sigmas = np.full(n_speakers, np.nan)
    has_voice = np.zeros(n_speakers, dtype=bool)
    for k, spk in enumerate(speakers):
        a = spk.analysis
        if a.centroid.size == dim and np.linalg.norm(a.centroid) > 0:
            centroids[k] = a.centroid / np.linalg.norm(a.centroid)
            has_voice[k] = True
        if a.similarity_median is not None and not a.too_small:
            medians[k] = a.similarity_median
            sigmas[k] = MAD_TO_SIGMA * max(float(a.similarity_mad), cal.mad_floor)

    # 2. Every clip against every other label's centroid, in blocks of rows.
    widths = duration_widths(None if seconds is None else seconds.tolist(), n_rows)
    own_index = np.searchsorted(np.array(names, dtype=object), labels) if n_rows else np.zeros(0, dtype=int)
    own_similarity = np.full(n_rows, np.nan)
    own_outlier = np.zeros(n_rows, dtype=bool)
    own_judged = np.zeros(n_rows, dtype=bool)
    for k, spk in enumerate(speakers):
        own_similarity[spk.rows] = spk.analysis.similarities
        own_outlier[spk.rows] = spk.analysis.outliers
        own_judged[spk.rows] = not spk.analysis.too_small
    other_index = np.full(n_rows, -1, dtype=int)
    other_similarity = np.full(n_rows, np.nan)
    passes_other = np.zeros(n_rows, dtype=bool)
    finite = np.all(np.isfinite(emb), axis=1)
    usable = np.flatnonzero(has_voice)
    if n_speakers > 1 and usable.size > 1:
        c = centroids[usable].astype(np.float32)
        for start in range(0, n_rows, ASSIGN_BLOCK_ROWS):
            stop = min(n_rows, start + ASSIGN_BLOCK_ROWS)
            block = np.asarray(emb[start:stop], dtype=np.float32)
            ok = finite[start:stop]
            norms = np.linalg.norm(np.where(ok[:, None], block, 0.0), axis=1)
            ok &= norms > 0
            x = np.where(ok[:, None], block / np.maximum(norms, 1e-12)[:, None], 0.0)
            sims = (x @ c.T).astype(np.float64)  # [B, S']
            own = own_index[start:stop]
            sims[usable[None, :] == own[:, None]] = -np.inf  # never one's own label
            threshold = _thresholds(medians[usable], sigmas[usable], widths[start:stop], floor=cal.floor,
                                    mad_floor=cal.mad_floor)
            # Another label matches when the clip passes its outlier test or, for a label whose test
            # is stricter than the encoder floor, reaches the floor (an unusual take of that voice).
            passing = sims >= np.minimum(threshold, cal.floor)
            # The most similar other label among those whose test the clip passes, else among all.
            pick = np.where(passing.any(axis=1), np.argmax(np.where(passing, sims, -np.inf), axis=1),
                            np.argmax(sims, axis=1))
            rows = np.arange(stop - start)
            best = sims[rows, pick]
            valid = ok & np.isfinite(best)
            other_index[start:stop] = np.where(valid, usable[pick], -1)
            other_similarity[start:stop] = np.where(valid, best, np.nan)
            passes_other[start:stop] = valid & passing[rows, pick]

    # 3. Labels that are one voice: as cohesive as one voice, and most clips of each pass the other's
    # test (a label whose own clips are mixed with many of a close speaker's can look cohesive with
    # that speaker without its own clips passing as that speaker).
    cohesion = _label_cohesion(emb, speakers)
    for a in range(n_speakers):
        for b in range(a + 1, n_speakers):
            if cohesion[a, b] >= cal.voice_merge and all(
                    _share_passing(emb, speakers[p].rows, centroids[q], medians[q], sigmas[q], widths,
                                   floor=cal.floor, mad_floor=cal.mad_floor) >= SAME_VOICE_SHARE
                    for p, q in ((a, b), (b, a))):
                speakers[a].same_voice_as.append(speakers[b].name)
                speakers[b].same_voice_as.append(speakers[a].name)

    # A clip filed under the wrong name: not its own label's voice, clearly another label's (one that
    # is not the same voice under another name: that is the labels' problem, said once).
    not_own = np.where(own_judged, own_outlier, own_similarity < cal.floor)
    mislabel = (not_own & passes_other
                & (other_similarity - np.nan_to_num(own_similarity, nan=-1.0) >= MISLABEL_MARGIN))
    same = {(a, b) for a, spk in enumerate(speakers) for b, other in enumerate(speakers)
            if other.name in spk.same_voice_as}
    for i in np.flatnonzero(mislabel):
        if (int(own_index[i]), int(other_index[i])) in same:
            mislabel[i] = False
    likely = [names[other_index[i]] if mislabel[i] else None for i in range(n_rows)]
    other = [names[other_index[i]] if other_index[i] >= 0 else None for i in range(n_rows)]
    return SpeakersAnalysis(speakers=speakers, cohesion=cohesion, likely_speaker=likely, other_speaker=other,
                            other_similarity=other_similarity, own_similarity=own_similarity, encoder=encoder)


def _thresholds(medians: np.ndarray, sigmas: np.ndarray, widths: np.ndarray, *, floor: float,
                mad_floor: float) -> np.ndarray:
    """Each label's outlier threshold for each clip ([B, S]): the rule of
    :func:`~.consistency.identity_threshold`, vectorised; the encoder floor for labels too small to judge."""
    w = widths[:, None]
    relative = medians[None, :] - Z_OUTLIER * sigmas[None, :] * w
    floor_cap = medians[None, :] - Z_OUTLIER * MAD_TO_SIGMA * mad_floor * w
    judged = np.maximum(relative, np.minimum(floor, floor_cap))
    return np.where(np.isfinite(judged), judged, floor)


def _share_passing(emb: np.ndarray, rows: np.ndarray, centroid: np.ndarray, median: float, sigma: float,
                   widths: np.ndarray, *, floor: float, mad_floor: float) -> float:
    """Share of the embedded clips in ``rows`` that pass the outlier test of the voice (``centroid``,
    ``median``, ``sigma``)."""
    x = np.asarray(emb[rows], dtype=np.float64)
    ok = np.all(np.isfinite(x), axis=1)
    norms = np.linalg.norm(np.where(ok[:, None], x, 0.0), axis=1)
    ok &= norms > 0
    if not ok.any():
        return 0.0
    sims = (x[ok] / norms[ok, None]) @ centroid
    threshold = _thresholds(np.array([median]), np.array([sigma]), widths[rows][ok], floor=floor,
                            mad_floor=mad_floor)[:, 0]
    return float(np.mean(sims >= threshold))


def _label_cohesion(emb: np.ndarray, speakers: Sequence[SpeakerAnalysis]) -> np.ndarray:
    """Cohesion ratio (:func:`~.consistency.voice_cohesion`) between every two labels' dominant voices
    (their clips in voice A), as one ``S x S`` matrix; NaN for a label with fewer than 2 such clips."""
    n = len(speakers)
    sums = np.zeros((n, emb.shape[1]))
    counts = np.zeros(n)
    for k, spk in enumerate(speakers):
        a = spk.analysis
        rows = spk.rows[a.voices[0].members] if a.voices else spk.rows[np.isfinite(a.similarities)]
        x = np.asarray(emb[rows], dtype=np.float64)
        x = x[np.all(np.isfinite(x), axis=1)]
        norms = np.linalg.norm(x, axis=1)
        x = x[norms > 0] / norms[norms > 0, None]
        sums[k] = x.sum(axis=0)
        counts[k] = x.shape[0]
    ok = counts >= 2
    within = np.full(n, np.nan)
    within[ok] = (np.einsum("ij,ij->i", sums[ok], sums[ok]) - counts[ok]) / (counts[ok] * (counts[ok] - 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (sums @ sums.T) / np.outer(counts, counts) / np.sqrt(np.outer(within, within))
    out[~ok, :] = np.nan
    out[:, ~ok] = np.nan
    out[~np.isfinite(out)] = np.nan
    np.fill_diagonal(out, np.where(ok, 1.0, np.nan))
    return out
