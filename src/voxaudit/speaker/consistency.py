"""Is this set one voice? Set-level analysis of speaker embeddings.

Pure functions over an ``[N, D]`` array of speaker embeddings (one row per clip, ``NaN`` rows for clips
that could not be embedded). Nothing here reads files, prints or knows about encoders beyond the
per-encoder calibration table below.

The analysis, step by step:

1. **Normalise** the readable rows to unit length (cosine similarity is then a dot product).
2. **Cluster** them: agglomerative clustering, average linkage on cosine distance, cut at a per-encoder
   ``cluster_distance`` so the data choose the number of clusters. Clusters are numbered by size,
   largest first.
3. **Robust centroid** of the dominant voice: start from the mean of the largest cluster (when every
   cluster is a singleton, from the half of the clips nearest the medoid), then iterate: score every
   clip, drop the clips under the outlier threshold, recompute the mean of the rest, until the kept set
   stops changing. Intruders therefore do not pull the centroid towards themselves.
4. **Similarity** of each clip to that centroid. A clip that is part of the centroid is scored against
   the centroid of the *other* kept clips (leave-one-out), so it gets no credit for matching itself and
   its score is on the same scale as an excluded clip's (and as a new clip's against a saved profile).
5. **Outliers**: robust z from the median and MAD of the similarities (MAD floored, so a very tight set
   does not flag its ordinary spread), combined with an absolute per-encoder floor. See
   :func:`identity_threshold` for the exact rule. When clip durations are given, a clip shorter than
   ``SHORT_CLIP_REF_S`` gets a proportionally wider margin (:func:`duration_widths`): its embedding
   averages fewer frames, so it scatters more around its speaker's centroid.
6. **Voices**: the dominant cluster, plus every other cluster of at least
   ``max(MIN_VOICE_CLIPS, ceil(MIN_VOICE_SHARE * n))`` clips of which at least half are outliers. A
   lone clip of another speaker is an *outlier*, not a voice; a cluster of genuine takes that clustering
   split off (its clips pass the centroid test) is not a second voice either.

With a saved :class:`~voxaudit.profile.Profile`, steps 3-5 use the profile's centroid, median, MAD and
threshold instead of the set's own, so a later batch of recordings (even a single clip) is judged
against the voice the profile was built from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ..errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from ..profile import Profile

# Robust z from the median and MAD: z = (s - median) / (MAD_TO_SIGMA * MAD).
MAD_TO_SIGMA = 1.4826
# A clip more than this many robust standard deviations below the median is an outlier. 3.5 is the
# conventional cut of Iglewicz & Hoaglin's modified z-score; it was not tuned on our data.
Z_OUTLIER = 3.5
# A non-dominant cluster counts as a voice when it holds at least this many clips ...
MIN_VOICE_CLIPS = 2
# ... and at least this share of the readable clips (so 2 stray clips in 1000 are outliers, not a voice).
MIN_VOICE_SHARE = 0.02
# Agglomerative clustering is O(N^2) in memory: above this many clips, cluster an evenly spaced sample
# and assign the others to the nearest cluster mean.
MAX_CLUSTER_CLIPS = 3000
MAX_ITERATIONS = 50
# Short clips: the spread of a clip's similarity to its own speaker's centroid grows as the clip gets
# shorter (an embedding averages fewer frames; its variance goes as 1 / duration). Measured with GE2E
# on the 306 main-speaker clips of ../shared/speech, deviation from the speaker's median by duration:
# 1.5-2.5 s MAD 0.021, 5th percentile -0.102; 2.5-3.5 s 0.013, -0.063; 3.5-5 s 0.015, -0.057;
# 5-8 s 0.011, -0.031; 8-12 s 0.010, -0.009. So the margin below the median is scaled per clip by
# sqrt(SHORT_CLIP_REF_S / duration) for clips shorter than the reference (about the median duration of
# those clips, 3.9 s), never by more than for SHORT_CLIP_MIN_S. Longer clips keep the plain margin.
SHORT_CLIP_REF_S = 4.0
SHORT_CLIP_MIN_S = 1.0


@dataclass(frozen=True)
class EncoderCalibration:
    """Per-encoder constants of the analysis.

    Attributes
    ----------
    floor : float
        Absolute similarity (cosine, to the centroid of the other clips) under which a clip is unlikely
        to be the same voice whatever the set's spread.
    mad_floor : float
        Smallest MAD of similarities used for the robust z (cosine units): sets tighter than this are
        judged as if their spread were this.
    cluster_distance : float
        Average-linkage cut, in cosine distance (``1 - cosine``).
    calibrated : bool
        Whether the constants were measured on real speech with the real weights here.
    note : str
        Where the numbers come from.
    """

    floor: float
    mad_floor: float
    cluster_distance: float
    calibrated: bool
    note: str


CALIBRATION: dict[str, EncoderCalibration] = {
    # GE2E (resemblyzer 0.1.4 weights), measured by `scripts/eval_identity.py --calibrate` on
    # ../shared/speech (24 main speakers, 339 clips, 50 speakers). Rules, fixed before reading the
    # detection table (so the intruder recall it reports is not a fit to itself):
    # - floor: midpoint between the 1st percentile of same-speaker similarity (each clip against the
    #   centroid of its speaker's other clips: 0.806) and the 99th percentile of different-speaker
    #   similarity (any other clip against a speaker's centroid: 0.737) -> 0.77.
    # - cluster_distance: 1 - the 99th percentile of different-speaker clip-pair cosine among
    #   same-language, same-gender pairs (0.751), so two lone intruders rarely merge into a "voice"
    #   -> 0.25. (Same-speaker pairs: median 0.837, 5th percentile 0.731; a genuine set that splits
    #   does no harm, see _count_voices.)
    # - mad_floor: the smallest value (0.001 steps) at which at most 1 % of the clips of the one-voice
    #   sets (the null case, no intruder involved) are flagged, half the 2 % budget, judged with the
    #   clips' durations (short clips get wider margins, SHORT_CLIP_REF_S) -> 0.015 (1/306). (Without
    #   durations the same rule gave 0.020 and 3/306, two of them LJSpeech's 1.8 and 1.9 s clips.)
    #   The sets' own MADs range 0.004-0.047 (median 0.013): 10-clip MADs are noisy, and a GE2E set
    #   of one speaker routinely holds genuine takes 0.08-0.12 under its median.
    "ge2e": EncoderCalibration(
        floor=0.77, mad_floor=0.015, cluster_distance=0.25, calibrated=True,
        note="measured on ../shared/speech with resemblyzer's GE2E weights"),
    # ECAPA-TDNN (speechbrain/spkrec-ecapa-voxceleb). NOT calibrated here: no weights were available
    # offline. Published figures for that model's cosine scores between two utterances: the EER
    # operating point on VoxCeleb1-O sits around 0.25-0.30 and same-speaker pairs typically score
    # above 0.5, different speakers around 0-0.2. Scoring against a centroid of many clips raises the
    # same-speaker score further, hence a floor above the EER point (0.45). Pair similarities spread
    # more than GE2E's, hence a wider MAD floor; the clustering cut sits near the EER threshold on pair
    # cosine (distance 1 - 0.35). Re-measure with scripts/eval_identity.py --encoder ecapa when the
    # weights are present.
    "ecapa": EncoderCalibration(
        floor=0.45, mad_floor=0.03, cluster_distance=0.65, calibrated=False,
        note="from published spkrec-ecapa-voxceleb score ranges; not measured here"),
}


def calibration_for(encoder: str) -> EncoderCalibration:
    """The calibration constants of ``encoder`` ("ge2e" or "ecapa").

    Raises
    ------
    ParameterError
        When the encoder has no calibration.
    """
    try:
        return CALIBRATION[encoder]
    except KeyError:
        raise ParameterError(
            f"no identity calibration for encoder {encoder!r}; known: {sorted(CALIBRATION)}") from None


def duration_widths(durations, n: int) -> np.ndarray:
    """Per clip, the factor (>= 1) by which the outlier margin widens for a short clip.

    ``sqrt(SHORT_CLIP_REF_S / clamp(duration, SHORT_CLIP_MIN_S, SHORT_CLIP_REF_S))``: 1 for clips of
    ``SHORT_CLIP_REF_S`` seconds or more (and for unknown durations), 2 for clips of 1 s or less.

    Parameters
    ----------
    durations : sequence of float (seconds) or None
        One duration per clip; ``None``, NaN or non-positive entries count as unknown.
    n : int
        Number of clips (the length of the result when ``durations`` is None).

    Examples
    --------
    >>> duration_widths([8.0, 4.0, 1.0, 0.5, None], 5).round(2).tolist()
    [1.0, 1.0, 2.0, 2.0, 1.0]
    """
    if durations is None:
        return np.ones(n)
    d = np.array([np.nan if v is None else float(v) for v in durations], dtype=np.float64)
    if d.shape != (n,):
        raise ParameterError(f"durations must hold one value per clip ({n}), got {d.shape[0]}")
    known = np.isfinite(d) & (d > 0)
    clamped = np.clip(np.where(known, d, SHORT_CLIP_REF_S), SHORT_CLIP_MIN_S, SHORT_CLIP_REF_S)
    return np.sqrt(SHORT_CLIP_REF_S / clamped)


def identity_threshold(median: float, mad: float, *, encoder: str, width=1.0):
    """The similarity below which a clip is an outlier, from the set's median and MAD.

    ``sigma = 1.4826 * max(mad, mad_floor)``; the relative threshold is ``median - 3.5 * sigma * width``.
    The absolute ``floor`` can raise it, but never above ``median - 3.5 * 1.4826 * mad_floor * width``
    (the threshold of the tightest allowed set), so in a genuinely loose set (telephone audio, a scores
    range sitting under the floor) the floor cannot flag the set's own bulk, while in a set whose MAD is
    inflated by many intruders it still cuts where the encoder says "different speaker".

    Parameters
    ----------
    median, mad : float
        Median and median absolute deviation of the similarities (cosine); ``mad`` of the deviations
        divided by the clips' widths when widths are used.
    encoder : str
        Encoder name, for its calibration.
    width : float or np.ndarray
        Per-clip margin factor from :func:`duration_widths` (1 for a clip of ordinary length).

    Returns
    -------
    float or np.ndarray
        Cosine similarity threshold (an array when ``width`` is one).

    Examples
    --------
    >>> round(identity_threshold(0.93, 0.01, encoder="ge2e"), 3)
    0.826
    >>> round(float(identity_threshold(0.93, 0.01, encoder="ge2e", width=1.5)), 3)
    0.774
    """
    cal = calibration_for(encoder)
    sigma = MAD_TO_SIGMA * max(float(mad), cal.mad_floor)
    relative = float(median) - Z_OUTLIER * sigma * np.asarray(width, dtype=np.float64)
    floor_cap = float(median) - Z_OUTLIER * MAD_TO_SIGMA * cal.mad_floor * np.asarray(width, dtype=np.float64)
    out = np.maximum(relative, np.minimum(cal.floor, floor_cap))
    return float(out) if out.ndim == 0 else out


@dataclass
class SetAnalysis:
    """The result of :func:`analyse_set`.

    Attributes
    ----------
    centroid : np.ndarray [D]
        Unit-length centroid of the dominant voice (or of the profile). Empty when nothing was readable.
    similarity_median, similarity_mad : float or None
        Median and MAD of the clips' similarities that the robust z is computed from (the profile's
        when judged against a profile). None when nothing was readable.
    threshold : float or None
        Similarity below which a clip is an outlier (for plotting). None when the set is too small.
    n_voices : int or None
        Number of voices (see the module docstring). None when too small to judge.
    consistent : bool or None
        True when the set is one voice with no outlier take. None when too small to judge.
    dominant_cluster : int or None
        Cluster id of the dominant voice.
    too_small : bool
        Fewer than ``min_clips`` readable clips (and no profile): nothing was flagged.
    message : str or None
        Why the set was not judged, in plain words.
    clips : list of dict or None
        Per input row, the identity block (None for unreadable rows): ``similarity`` (cosine to the
        centroid), ``z`` (robust z, None when not judged), ``cluster`` (int or None), ``outlier`` (bool),
        ``reason`` (plain words).
    similarities : np.ndarray [N]
        Similarity per input row (NaN for unreadable rows).
    labels : np.ndarray [N] of int
        Cluster per input row (-1 for unreadable rows).
    outliers : np.ndarray [N] of bool
        Outlier flag per input row.
    thresholds : np.ndarray [N]
        The similarity threshold each row was judged against (lower for short clips; NaN for
        unreadable rows and when not judged).
    encoder : str
    n_readable : int
        Readable rows.
    n_centroid_clips : int
        Clips averaged into the centroid (the profile's ``n_clips`` when judged against a profile).
    judged_against : str
        ``"set"`` or ``"profile"``.
    """

    centroid: np.ndarray
    similarity_median: Optional[float]
    similarity_mad: Optional[float]
    threshold: Optional[float]
    n_voices: Optional[int]
    consistent: Optional[bool]
    dominant_cluster: Optional[int]
    too_small: bool
    message: Optional[str] = None
    clips: list[Optional[dict[str, Any]]] = field(default_factory=list)
    similarities: np.ndarray = field(default_factory=lambda: np.zeros(0))
    labels: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    outliers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    thresholds: np.ndarray = field(default_factory=lambda: np.zeros(0))
    encoder: str = ""
    n_readable: int = 0
    n_centroid_clips: int = 0
    judged_against: str = "set"

    @property
    def n_outliers(self) -> int:
        return int(np.count_nonzero(self.outliers))

    def summary_dict(self) -> dict[str, Any]:
        """The report.json summary keys: ``n_voices``, ``consistent``, ``dominant_cluster``,
        ``identity_threshold``, ``similarity_median`` (floats rounded to 4 decimals, None when unknown),
        plus ``identity_too_small`` (the message) when the set was too small to judge."""
        out: dict[str, Any] = {
            "n_voices": self.n_voices,
            "consistent": self.consistent,
            "dominant_cluster": self.dominant_cluster,
            "identity_threshold": _round(self.threshold),
            "similarity_median": _round(self.similarity_median),
        }
        if self.too_small:
            out["identity_too_small"] = self.message
        return out


def analyse_set(embeddings: np.ndarray, *, encoder: str, profile: "Profile | None" = None,
                min_clips: int = 5, weights_sha256: str | None = None, lang: str = "en",
                durations=None) -> SetAnalysis:
    """Judge whether a set of clips is one voice, and which clips are not.

    Parameters
    ----------
    embeddings : np.ndarray [N, D]
        One speaker embedding per clip, in input order. Rows holding any non-finite value (NaN for a
        clip that could not be read) or of zero length are unreadable: their identity is None.
    encoder : str
        Name of the encoder that made the embeddings ("ge2e" or "ecapa"): selects the calibration.
    profile : Profile, optional
        Judge the clips against this saved voice profile instead of against themselves. Then
        ``min_clips`` does not apply: even one clip is judged.
    min_clips : int
        Fewer readable clips than this (without a profile) are too few to judge: no outlier flags, no
        voice count. At least 3.
    weights_sha256 : str, optional
        SHA-256 of the encoder weights; checked against the profile's when both are given.
    lang : {"en", "zh"}
        Language of the ``reason`` texts and of the too-small message.
    durations : sequence of float, optional
        Clip durations in seconds, in input order: clips shorter than ``SHORT_CLIP_REF_S`` get a wider
        outlier margin (:func:`duration_widths`). Without them every clip gets the plain margin.

    Returns
    -------
    SetAnalysis

    Raises
    ------
    ParameterError
        On a non-2-D array, an unknown encoder, ``min_clips < 3``, or a profile made with another
        encoder, other weights or another embedding size.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> voice = rng.normal(size=64)
    >>> clips = voice + 0.25 * rng.normal(size=(12, 64))
    >>> result = analyse_set(clips, encoder="ge2e")
    >>> result.n_voices, result.consistent, result.n_outliers
    (1, True, 0)
    """
    cal = calibration_for(encoder)
    if isinstance(min_clips, bool) or not isinstance(min_clips, (int, np.integer)) or min_clips < 3:
        raise ParameterError(f"min_clips must be an integer >= 3, got {min_clips!r}")
    emb = np.asarray(embeddings, dtype=np.float64)
    if emb.ndim != 2:
        raise ParameterError(f"embeddings must be a 2-D array [N, D], got shape {emb.shape}")
    if profile is not None:
        profile.check_compatible(encoder=encoder, weights_sha256=weights_sha256, dim=emb.shape[1])

    # Normalise the readable rows.
    n_rows = emb.shape[0]
    norms = np.linalg.norm(np.where(np.isfinite(emb), emb, 0.0), axis=1)
    valid = np.all(np.isfinite(emb), axis=1) & (norms > 0)
    idx = np.flatnonzero(valid)
    x = emb[idx] / norms[idx, None]
    n = idx.size
    widths = duration_widths(durations, n_rows)[idx]

    similarities = np.full(n_rows, np.nan)
    labels = np.full(n_rows, -1, dtype=int)
    outliers = np.zeros(n_rows, dtype=bool)
    identities: list[Optional[dict[str, Any]]] = [None] * n_rows

    if n == 0:
        return SetAnalysis(
            centroid=np.zeros(0), similarity_median=None, similarity_mad=None, threshold=None,
            n_voices=None, consistent=None, dominant_cluster=None, too_small=True,
            message=_IDENTITY_TEXT[_lang(lang)]["none"], clips=identities, similarities=similarities,
            labels=labels, outliers=outliers, thresholds=np.full(n_rows, np.nan), encoder=encoder,
            n_readable=0, judged_against="profile" if profile is not None else "set")

    # Cluster the readable clips.
    lab = _cluster(x, distance=cal.cluster_distance)
    labels[idx] = lab

    if profile is None and n < min_clips:
        # Too few clips: describe, do not judge.
        centroid = _unit(x.mean(axis=0))
        sims = _leave_one_out(x, np.ones(n, dtype=bool)) if n > 1 else np.ones(1)
        similarities[idx] = sims
        message = _IDENTITY_TEXT[_lang(lang)]["too_few"].format(n=n, min_clips=min_clips)
        for k, i in enumerate(idx):
            identities[i] = {"similarity": _round(sims[k]), "z": None, "cluster": int(lab[k]),
                             "outlier": False, "reason": message}
        return SetAnalysis(
            centroid=centroid.astype(np.float32), similarity_median=float(np.median(sims)),
            similarity_mad=_mad(sims), threshold=None, n_voices=None, consistent=None,
            dominant_cluster=None, too_small=True, message=message, clips=identities,
            similarities=similarities, labels=labels, outliers=outliers, thresholds=np.full(n_rows, np.nan),
            encoder=encoder, n_readable=n, n_centroid_clips=n, judged_against="set")

    if profile is not None:
        # Judge against the saved voice.
        centroid = _unit(np.asarray(profile.centroid, dtype=np.float64))
        sims = x @ centroid
        median, mad = float(profile.similarity_median), float(profile.similarity_mad)
        threshold = float(profile.threshold)
        # The profile's own threshold for clips of ordinary length, lowered for short clips by the
        # same amount as a set's would be.
        thresholds = threshold - (identity_threshold(median, mad, encoder=encoder)
                                  - identity_threshold(median, mad, encoder=encoder, width=widths))
        out = sims < thresholds
        # The dominant cluster is the one with the most clips that match the profile.
        counts = np.bincount(lab, weights=(~out).astype(float), minlength=lab.max() + 1)
        dominant = int(np.argmax(counts)) if counts.max() > 0 else 0
        n_centroid = int(profile.n_clips)
        against = "profile"
        where = "profile"
    else:
        centroid, sims, kept = _robust_centroid(x, lab, encoder=encoder, widths=widths)
        median, mad = float(np.median(sims)), _mad(sims, widths)
        threshold = identity_threshold(median, mad, encoder=encoder)
        thresholds = identity_threshold(median, mad, encoder=encoder, width=widths)
        out = sims < thresholds
        dominant = 0
        n_centroid = int(kept.sum())
        against = "set"
        where = "set"

    similarities[idx] = sims
    outliers[idx] = out
    row_thresholds = np.full(n_rows, np.nan)
    row_thresholds[idx] = thresholds
    sigma = MAD_TO_SIGMA * max(mad, cal.mad_floor)
    z = (sims - median) / (sigma * widths)
    for k, i in enumerate(idx):
        identities[i] = {
            "similarity": _round(sims[k]),
            "z": _round(z[k], 2),
            "cluster": int(lab[k]),
            "outlier": bool(out[k]),
            "reason": _reason(sims[k], z[k], median=median, threshold=thresholds[k], floor=cal.floor,
                              encoder=encoder, outlier=bool(out[k]), where=where, lang=lang),
        }

    n_voices = _count_voices(lab, out, dominant=dominant)
    return SetAnalysis(
        centroid=centroid.astype(np.float32), similarity_median=median, similarity_mad=mad,
        threshold=threshold, n_voices=n_voices, consistent=bool(n_voices == 1 and not out.any()),
        dominant_cluster=dominant, too_small=False, message=None, clips=identities,
        similarities=similarities, labels=labels, outliers=outliers, thresholds=row_thresholds,
        encoder=encoder, n_readable=n, n_centroid_clips=n_centroid, judged_against=against)


# -- steps ---------------------------------------------------------------------------------------------

def _cluster(x: np.ndarray, *, distance: float) -> np.ndarray:
    """Cluster labels of unit rows ``x``, numbered by cluster size (largest first, ties by first row)."""
    n = x.shape[0]
    if n == 1:
        return np.zeros(1, dtype=int)
    from sklearn.cluster import AgglomerativeClustering

    if n > MAX_CLUSTER_CLIPS:
        # Cluster an evenly spaced sample, then give every clip the label of the nearest cluster mean.
        sample = np.linspace(0, n - 1, MAX_CLUSTER_CLIPS).round().astype(int)
        sub = _cluster(x[sample], distance=distance)
        means = np.stack([_unit(x[sample][sub == c].mean(axis=0)) for c in range(sub.max() + 1)])
        raw = np.argmax(x @ means.T, axis=1)
    else:
        model = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                        distance_threshold=distance)
        raw = model.fit_predict(x)
    # Renumber by size, largest first; ties by the first row holding the label.
    uniq, first, counts = np.unique(raw, return_index=True, return_counts=True)
    order = sorted(range(uniq.size), key=lambda k: (-counts[k], first[k]))
    remap = np.empty(uniq.max() + 1, dtype=int)
    for new, k in enumerate(order):
        remap[uniq[k]] = new
    return remap[raw]


def _robust_centroid(x: np.ndarray, labels: np.ndarray, *, encoder: str, widths: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centroid of the dominant voice, the clips' similarities to it, and the clips averaged into it.

    Start from cluster 0 (the largest); when it is a singleton, from the medoid. Then iterate: keep the
    clips at or above the outlier threshold, recompute, until the kept set stops changing.
    """
    n = x.shape[0]
    kept = labels == 0
    if kept.sum() < 2:
        # Every cluster a singleton: start from the medoid's nearest half.
        gram = x @ x.T
        medoid = int(np.argmax(gram.sum(axis=1)))
        kept = gram[medoid] >= np.median(gram[medoid])
    seen: set[bytes] = set()
    for _ in range(MAX_ITERATIONS):
        sims = _leave_one_out(x, kept)
        threshold = identity_threshold(float(np.median(sims)), _mad(sims, widths), encoder=encoder,
                                       width=widths)
        new = sims >= threshold
        if new.sum() < 2:
            # Never let the centroid rest on fewer than 2 clips: keep the best two.
            new = np.zeros(n, dtype=bool)
            new[np.argsort(-sims)[:2]] = True
        if np.array_equal(new, kept) or new.tobytes() in seen:
            kept = new
            break
        seen.add(kept.tobytes())
        kept = new
    sims = _leave_one_out(x, kept)
    return _unit(x[kept].mean(axis=0)), sims, kept


def _leave_one_out(x: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Cosine of each row to the mean of the kept rows, leaving the row itself out when it is kept."""
    total = x[kept].sum(axis=0)
    others = np.where(kept[:, None], total[None, :] - x, total[None, :])
    norms = np.linalg.norm(others, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sims = np.einsum("ij,ij->i", x, others) / norms
    # A kept row alone in the centroid has nothing to be compared with: score it against itself.
    return np.where(norms > 1e-12, sims, 1.0)


def _count_voices(labels: np.ndarray, outliers: np.ndarray, *, dominant: int) -> int:
    """The dominant cluster, plus each other cluster big enough whose clips are mostly outliers."""
    n = labels.size
    min_size = max(MIN_VOICE_CLIPS, math.ceil(MIN_VOICE_SHARE * n))
    voices = 1
    for c in range(labels.max() + 1):
        if c == dominant:
            continue
        members = labels == c
        size = int(members.sum())
        if size >= min_size and outliers[members].sum() * 2 >= size:
            voices += 1
    return voices


_IDENTITY_TEXT = {
    "en": {
        "none": "no readable clip to judge",
        "too_few": "too few clips to judge: {n} < {min_clips}",
        "set": "the set's", "profile": "the profile's",
        "within": "similarity {sim:.2f} is within {where} range (median {median:.2f}, outlier below {threshold:.2f})",
        "below": "similarity {sim:.2f} is {z:.1f} robust SD below {where} median {median:.2f}",
        "floor": "under the {encoder} floor {floor:.2f}",
        "threshold": "under the outlier threshold {threshold:.2f}",
        "and": " and ",
    },
    "zh": {
        "none": "没有可读取的音频，无法判断",
        "too_few": "音频太少，无法判断音色一致性：{n} 条，少于 {min_clips} 条",
        "set": "整体", "profile": "声纹档案",
        "within": "相似度 {sim:.2f}，在{where}正常范围内（中位数 {median:.2f}，低于 {threshold:.2f} 判为异常）",
        "below": "相似度 {sim:.2f}，比{where}中位数 {median:.2f} 低 {z:.1f} 个稳健标准差",
        "floor": "低于 {encoder} 声纹模型的下限 {floor:.2f}",
        "threshold": "低于异常阈值 {threshold:.2f}",
        "and": "，",
    },
}


def _lang(lang: str) -> str:
    return "zh" if str(lang).lower().startswith("zh") else "en"


def _reason(sim: float, z: float, *, median: float, threshold: float, floor: float, encoder: str,
            outlier: bool, where: str, lang: str = "en") -> str:
    """Plain words for one clip's identity verdict (``where``: "set" or "profile")."""
    text = _IDENTITY_TEXT[_lang(lang)]
    place = text[where]
    if not outlier:
        return text["within"].format(sim=sim, where=place, median=median, threshold=threshold)
    parts = [text["below"].format(sim=sim, z=abs(z), where=place, median=median)]
    if sim < floor:
        parts.append(text["floor"].format(encoder=encoder, floor=floor))
    else:
        parts.append(text["threshold"].format(threshold=threshold))
    return text["and"].join(parts)


def _unit(v: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(v)
    return v / norm if norm > 0 else v


def _mad(values: np.ndarray, widths: Optional[np.ndarray] = None) -> float:
    """Median absolute deviation from the median; each deviation divided by its clip's width if given."""
    values = np.asarray(values, dtype=np.float64)
    deviations = np.abs(values - np.median(values))
    if widths is not None:
        deviations = deviations / widths
    return float(np.median(deviations))


def _round(value: Optional[float], digits: int = 4) -> Optional[float]:
    if value is None or not np.isfinite(value):
        return None
    return round(float(value), digits)
