"""Is this set one voice? Set-level analysis of speaker embeddings.

Pure functions over an ``[N, D]`` array of speaker embeddings (one row per clip, ``NaN`` rows for clips
that could not be embedded). Nothing here reads files, prints or knows about encoders beyond the
per-encoder calibration table below. Memory is linear in ``N x D``: nothing builds an ``N x N``
matrix of the whole set (clustering works on a sample of at most ``MAX_CLUSTER_CLIPS`` clips).

The analysis, step by step:

1. **Normalise** the readable rows to unit length (cosine similarity is then a dot product).
2. **Cluster** them finely: agglomerative clustering, average linkage on cosine distance, cut at a
   per-encoder ``cluster_distance`` chosen so that clips of two different speakers rarely share a
   cluster. One voice may still come out as several clusters.
3. **Merge clusters into voice groups** (:func:`voice_cohesion`): two groups are one voice when the
   mean cosine between their clips is close to the mean cosine within them
   (``rho = between / sqrt(within_A * within_B)``, about 1 for two parts of one voice, under the
   per-encoder ``voice_merge`` for two speakers). The closest pair is merged first, until no pair
   reaches the cut.
4. **Voices**: every group of at least ``max(MIN_VOICE_CLIPS, ceil(MIN_VOICE_SHARE * n))`` clips. The
   **dominant** voice is the one with the most minutes (clips when durations are unknown); a lone clip
   of another speaker is an *outlier*, not a voice.
5. **Robust centroid** of each voice from its own clips only: start from all of them, then iterate:
   score every member, drop the members under the outlier threshold, recompute the mean of the rest,
   until the kept set stops changing. Other voices and stray clips never move a voice's centroid,
   median or spread, so adding intruders to a set cannot flag its genuine takes.
6. **Similarity** of each clip to the dominant voice's centroid. A clip that is part of the centroid is
   scored against the centroid of the *other* kept clips (leave-one-out), so it gets no credit for
   matching itself and its score is on the same scale as an excluded clip's (and as a new clip's
   against a saved profile).
7. **Outliers**: every clip of another voice (it forms another voice of N clips); and every other clip
   whose similarity falls under the dominant voice's threshold: robust z from the median and MAD of
   the voice's own similarities (MAD floored, so a very tight set does not flag its ordinary spread),
   combined with an absolute per-encoder floor (:func:`identity_threshold`). When clip durations are
   given, a clip shorter than ``SHORT_CLIP_REF_S`` gets a proportionally wider margin
   (:func:`duration_widths`): its embedding averages fewer frames, so it scatters more.

With a saved :class:`~voxaudit.profile.Profile`, steps 5-7 use the profile's centroid, median, MAD and
threshold instead of the set's own, so a later batch of recordings (even a single clip) is judged
against the voice the profile was built from; the voice groups are still reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Sequence

import numpy as np

from ..errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from ..profile import Profile

# Robust z from the median and MAD: z = (s - median) / (MAD_TO_SIGMA * MAD).
MAD_TO_SIGMA = 1.4826
# A clip more than this many robust standard deviations below the median is an outlier. 3.5 is the
# conventional cut of Iglewicz & Hoaglin's modified z-score; it was not tuned on our data.
Z_OUTLIER = 3.5
# A voice group is a voice when it holds at least this many clips ...
MIN_VOICE_CLIPS = 2
# ... and at least this share of the readable clips (so 2 stray clips in 1000 are outliers, not a voice).
MIN_VOICE_SHARE = 0.02
# Two voices are "about equal" when the smaller holds at least this share of the larger's minutes: the
# report then says so instead of silently calling one of them the reference. A presentation rule.
ABOUT_EQUAL_SHARE = 0.8
# Agglomerative clustering is O(N^2) in memory: above this many clips, cluster an evenly spaced sample
# and assign the others to the nearest cluster mean (72 MB of distances at 3000 clips).
MAX_CLUSTER_CLIPS = 3000
# Rows per block when every clip is compared with every cluster mean (bounds the N x K block's memory).
ASSIGN_BLOCK_ROWS = 16384
# A group larger than this is split (2-means) on an evenly spaced sample of this many clips.
SPLIT_SAMPLE_CLIPS = 20000
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
    voice_merge : float
        Two groups of clips are one voice when their cohesion ratio (:func:`voice_cohesion`) is at
        least this (dimensionless; 1 for two random halves of one voice).
    calibrated : bool
        Whether the constants were measured on real speech with the real weights here.
    note : str
        Where the numbers come from.
    """

    floor: float
    mad_floor: float
    cluster_distance: float
    voice_merge: float
    calibrated: bool
    note: str


CALIBRATION: dict[str, EncoderCalibration] = {
    # GE2E (resemblyzer 0.1.4 weights), measured by `scripts/eval_identity.py --calibrate` on
    # ../shared/speech (24 main speakers, 339 clips, 50 speakers). Rules, fixed before reading the
    # detection tables (so the recall they report is not a fit to itself):
    # - floor: midpoint between the 1st percentile of same-speaker similarity (each clip against the
    #   centroid of its speaker's other clips: 0.806) and the 99th percentile of different-speaker
    #   similarity (any other clip against a speaker's centroid: 0.737) -> 0.77.
    # - cluster_distance: 1 - the 99th percentile of different-speaker clip-pair cosine among
    #   same-language, same-gender pairs (0.751), so two clips of different speakers rarely start in
    #   one cluster -> 0.25. (Same-speaker pairs: median 0.837, 5th percentile 0.731: one voice may
    #   start as several clusters; step 3 merges them.)
    # - voice_merge: midpoint between the 1st percentile of the cohesion ratio between parts of one
    #   speaker (the clusters step 2 splits it into and the halves the 2-means split step divides it
    #   into; each main speaker alone and in 9 seeded subsets of 40-100 % of its clips: 148 pairs,
    #   1st percentile 0.870, min 0.862, median about 0.97) and the 99th percentile of the cohesion
    #   ratio between two speakers of the same language and gender (2, 3, 5 or 10 clips of one against
    #   all clips of the other, 5 draws each: 3995 draws, 0.812; the close pairs vctk-p226/p227 and
    #   aishell-S0252/S0913 score 0.81 as whole sets) -> 0.84.
    # - mad_floor: the smallest value (0.001 steps) at which at most 1 % of the clips of the one-voice
    #   sets (the null case, no intruder involved) are flagged, half the 2 % budget, judged with the
    #   clips' durations (short clips get wider margins, SHORT_CLIP_REF_S) -> 0.015 (1/306). (Without
    #   durations the same rule gave 0.020 and 3/306, two of them LJSpeech's 1.8 and 1.9 s clips.)
    #   The sets' own MADs range 0.004-0.047 (median 0.013): 10-clip MADs are noisy, and a GE2E set
    #   of one speaker routinely holds genuine takes 0.08-0.12 under its median.
    "ge2e": EncoderCalibration(
        floor=0.77, mad_floor=0.015, cluster_distance=0.25, voice_merge=0.84, calibrated=True,
        note="measured on ../shared/speech with resemblyzer's GE2E weights"),
    # ECAPA-TDNN (speechbrain/spkrec-ecapa-voxceleb). NOT calibrated here: no weights were available
    # offline. Published figures for that model's cosine scores between two utterances: the EER
    # operating point on VoxCeleb1-O sits around 0.25-0.30 and same-speaker pairs typically score
    # above 0.5, different speakers around 0-0.2. Scoring against a centroid of many clips raises the
    # same-speaker score further, hence a floor above the EER point (0.45). Pair similarities spread
    # more than GE2E's, hence a wider MAD floor; the clustering cut sits near the EER threshold on pair
    # cosine (distance 1 - 0.35). The cohesion ratio of two speakers is about their pair cosine over a
    # same-speaker pair cosine (0.3 / 0.6 for a close pair), of one voice about 1: voice_merge 0.75
    # sits between. Re-measure with scripts/eval_identity.py --encoder ecapa when the weights are present.
    "ecapa": EncoderCalibration(
        floor=0.45, mad_floor=0.03, cluster_distance=0.65, voice_merge=0.75, calibrated=False,
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
    0.852
    >>> round(float(identity_threshold(0.93, 0.01, encoder="ge2e", width=1.5)), 3)
    0.813
    """
    cal = calibration_for(encoder)
    sigma = MAD_TO_SIGMA * max(float(mad), cal.mad_floor)
    relative = float(median) - Z_OUTLIER * sigma * np.asarray(width, dtype=np.float64)
    floor_cap = float(median) - Z_OUTLIER * MAD_TO_SIGMA * cal.mad_floor * np.asarray(width, dtype=np.float64)
    out = np.maximum(relative, np.minimum(cal.floor, floor_cap))
    return float(out) if out.ndim == 0 else out



@dataclass
class Voice:
    """One voice found in a set: a group of clips more alike among themselves than with any other group.

    Attributes
    ----------
    label : str
        "A", "B", ... in order of minutes (A is the dominant voice).
    group : int
        The clips' ``cluster`` number in the identity blocks (equal to the voice's index).
    members : np.ndarray of int
        Input rows of the voice's clips.
    minutes : float or None
        Total duration of its clips in minutes (None when durations are unknown).
    centroid : np.ndarray [D]
        Unit-length robust centroid of its clips.
    similarity_median, similarity_mad : float
        Median and MAD of its clips' similarities to that centroid (leave-one-out).
    threshold : float
        Outlier threshold of the voice for a clip of ordinary length.
    typical : int
        Input row of a typical clip: the member closest to the centroid, preferring clips of 3-10 s.
    cohesion : float or None
        The largest cohesion ratio (:func:`voice_cohesion`) with any other voice: how close the nearest
        other voice is (None for a single voice).
    """

    label: str
    group: int
    members: np.ndarray
    minutes: Optional[float]
    centroid: np.ndarray
    similarity_median: float
    similarity_mad: float
    threshold: float
    typical: int
    cohesion: Optional[float] = None

    @property
    def n_clips(self) -> int:
        return int(self.members.size)

    def to_dict(self, *, dominant: bool) -> dict[str, Any]:
        return {"voice": self.label, "cluster": self.group, "n_clips": self.n_clips,
                "minutes": None if self.minutes is None else round(self.minutes, 3), "dominant": dominant,
                "typical_row": int(self.typical), "similarity_median": _round(self.similarity_median),
                "threshold": _round(self.threshold), "nearest_voice_cohesion": _round(self.cohesion)}


@dataclass
class SetAnalysis:
    """The result of :func:`analyse_set`.

    Attributes
    ----------
    centroid : np.ndarray [D]
        Unit-length centroid of the dominant voice (or of the profile). Empty when nothing was readable.
    similarity_median, similarity_mad : float or None
        Median and MAD of the dominant voice's similarities that the robust z is computed from (the
        profile's when judged against a profile). None when nothing was readable.
    threshold : float or None
        Similarity below which a clip is an outlier (for plotting). None when the set is too small.
    n_voices : int or None
        Number of voices (see the module docstring). None when too small to judge.
    consistent : bool or None
        True when the set is one voice with no outlier take. None when too small to judge.
    dominant_cluster : int or None
        Cluster (voice group) number of the dominant voice.
    too_small : bool
        Fewer than ``min_clips`` readable clips (and no profile): nothing was flagged.
    message : str or None
        Why the set was not judged, in plain words.
    clips : list of dict or None
        Per input row, the identity block (None for unreadable rows): ``similarity`` (cosine to the
        dominant voice's centroid), ``z`` (robust z, None when not judged), ``cluster`` (voice group),
        ``voice`` (its voice's label, or None for a clip in no voice), ``outlier`` (bool), ``reason``
        (plain words).
    similarities : np.ndarray [N]
        Similarity per input row (NaN for unreadable rows).
    labels : np.ndarray [N] of int
        Voice group per input row (-1 for unreadable rows): voices first (0 = dominant), then the
        groups too small to be voices.
    outliers : np.ndarray [N] of bool
        Outlier flag per input row.
    thresholds : np.ndarray [N]
        The similarity threshold each row was judged against (lower for short clips; NaN for
        unreadable rows and when not judged).
    voices : list of Voice
        The voices, dominant first (empty when too small to judge).
    about_equal : bool
        The two largest voices are about equal in minutes (``ABOUT_EQUAL_SHARE``).
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
    voices: list[Voice] = field(default_factory=list)
    about_equal: bool = False
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
        ``voices`` (one object per voice, dominant first; see :meth:`Voice.to_dict`) and
        ``voices_about_equal``, plus ``identity_too_small`` (the message) when the set was too small."""
        out: dict[str, Any] = {
            "n_voices": self.n_voices,
            "consistent": self.consistent,
            "dominant_cluster": self.dominant_cluster,
            "identity_threshold": _round(self.threshold),
            "similarity_median": _round(self.similarity_median),
            "voices": [v.to_dict(dominant=k == 0) for k, v in enumerate(self.voices)],
            "voices_about_equal": bool(self.about_equal),
        }
        if self.too_small:
            out["identity_too_small"] = self.message
        return out


def analyse_set(embeddings: np.ndarray, *, encoder: str, profile: "Profile | None" = None,
                min_clips: int = 5, weights_sha256: str | None = None, lang: str = "en",
                durations=None, dominant_by: str = "minutes") -> SetAnalysis:
    """Judge whether a set of clips is one voice, which voices it holds, and which clips are not the
    dominant voice.

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
        Clip durations in seconds, in input order: the dominant voice is the one with the most minutes,
        and clips shorter than ``SHORT_CLIP_REF_S`` get a wider outlier margin
        (:func:`duration_widths`). Without them voices are ranked by clip count and every clip gets the
        plain margin.
    dominant_by : {"minutes", "clips"}
        What makes a voice dominant: the most minutes (a folder of takes: the voice the user has most
        of), or the most clips (a labelled speaker: a few long clips filed under the label by mistake
        must not become the label's voice).

    Returns
    -------
    SetAnalysis

    Raises
    ------
    ParameterError
        On a non-2-D array, an unknown encoder, ``min_clips < 3``, an unknown ``dominant_by``, or a
        profile made with another encoder, other weights or another embedding size.

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
    if dominant_by not in ("minutes", "clips"):
        raise ParameterError(f"dominant_by must be 'minutes' or 'clips', got {dominant_by!r}")
    emb = np.asarray(embeddings)
    if emb.ndim != 2:
        raise ParameterError(f"embeddings must be a 2-D array [N, D], got shape {emb.shape}")
    if profile is not None:
        profile.check_compatible(encoder=encoder, weights_sha256=weights_sha256, dim=emb.shape[1])

    # Normalise the readable rows (float32 for a large set: 200k x 256 is 200 MB, not 400).
    n_rows = emb.shape[0]
    dtype = np.float64 if n_rows <= MAX_CLUSTER_CLIPS else np.float32
    finite = np.all(np.isfinite(emb), axis=1)
    norms = np.zeros(n_rows)
    norms[finite] = np.sqrt(np.einsum("ij,ij->i", emb[finite], emb[finite], dtype=np.float64))
    valid = finite & (norms > 0)
    idx = np.flatnonzero(valid)
    x = emb[idx].astype(dtype)  # one copy of the readable rows, normalised in place
    x /= norms[idx, None].astype(dtype)
    n = idx.size
    widths = duration_widths(durations, n_rows)[idx]
    weights = _duration_weights(durations, n_rows)[idx]
    known_minutes = durations is not None and bool(np.all(np.isfinite(_as_seconds(durations, n_rows)[idx])))

    similarities = np.full(n_rows, np.nan)
    labels = np.full(n_rows, -1, dtype=int)
    outliers = np.zeros(n_rows, dtype=bool)
    row_thresholds = np.full(n_rows, np.nan)
    identities: list[Optional[dict[str, Any]]] = [None] * n_rows
    text = _IDENTITY_TEXT[_lang(lang)]

    def finish(**kw) -> SetAnalysis:
        return SetAnalysis(clips=identities, similarities=similarities, labels=labels, outliers=outliers,
                           thresholds=row_thresholds, encoder=encoder, n_readable=n, **kw)

    if n == 0:
        return finish(centroid=np.zeros(0), similarity_median=None, similarity_mad=None, threshold=None,
                      n_voices=None, consistent=None, dominant_cluster=None, too_small=True,
                      message=text["none"], judged_against="profile" if profile is not None else "set")

    # Cluster, merge clusters of one voice, split groups that hold two voices.
    groups = voice_groups(x, encoder=encoder)

    if profile is None and n < min_clips:
        # Too few clips: describe, do not judge.
        labels[idx] = groups
        sums = x.sum(axis=0, dtype=np.float64)
        sims = _leave_one_out(x, np.ones(n, dtype=bool), sums) if n > 1 else np.ones(1)
        similarities[idx] = sims
        message = text["too_few"].format(n=n, min_clips=min_clips)
        for k, i in enumerate(idx):
            identities[i] = {"similarity": _round(sims[k]), "z": None, "cluster": int(groups[k]),
                             "voice": None, "outlier": False, "reason": message}
        return finish(centroid=_unit(sums).astype(np.float32), similarity_median=float(np.median(sims)),
                      similarity_mad=_mad(sims), threshold=None, n_voices=None, consistent=None,
                      dominant_cluster=None, too_small=True, message=message, n_centroid_clips=n)

    # Voices: groups big enough, ranked by minutes (clips when durations are unknown).
    min_size = max(MIN_VOICE_CLIPS, math.ceil(MIN_VOICE_SHARE * n))
    n_groups = int(groups.max()) + 1
    sizes = np.bincount(groups, minlength=n_groups)
    mass = np.bincount(groups, weights=weights if dominant_by == "minutes" else None, minlength=n_groups)
    voice_ids = [g for g in range(n_groups) if sizes[g] >= min_size]
    if profile is not None and voice_ids:
        # Against a profile, the dominant voice is the group with the most clips that match it.
        centroid = _unit(np.asarray(profile.centroid, dtype=np.float64)).astype(x.dtype)
        matches = (x @ centroid) >= float(profile.threshold)
        hits = np.bincount(groups, weights=matches.astype(float), minlength=n_groups)
        voice_ids.sort(key=lambda g: (-hits[g], -mass[g], g))
    else:
        voice_ids.sort(key=lambda g: (-mass[g], -sizes[g], g))
    # Renumber: voices first (dominant 0), then the other groups by size.
    rest = sorted((g for g in range(n_groups) if g not in set(voice_ids)), key=lambda g: (-sizes[g], g))
    remap = np.empty(n_groups, dtype=int)
    remap[voice_ids + rest] = np.arange(n_groups)
    groups = remap[groups]
    labels[idx] = groups
    n_found = len(voice_ids)

    # Each voice's robust centroid and spread, from its own clips only.
    # The dominant voice also takes in the stray clips (groups too small to be voices) that pass its
    # test: they are judged against it, and a genuine take that clustering left alone must count in
    # its spread.
    voices: list[Voice] = []
    strays = groups >= n_found
    for k in range(n_found):
        members = np.flatnonzero((groups == k) | (strays if k == 0 else False))
        voices.append(_describe_voice(x, members, k, encoder=encoder, widths=widths, weights=weights,
                                      durations_known=known_minutes))
    if not voices:
        # No group is big enough to be a voice (every clip unlike the others): judge the set as one
        # loose voice around its medoid, as a set of strangers deserves.
        voices.append(_describe_voice(x, np.arange(n), 0, encoder=encoder, widths=widths, weights=weights,
                                      durations_known=known_minutes, from_medoid=True))
    _cohesions(x, groups, voices)
    main = voices[0]
    member_of_main = np.zeros(n, dtype=bool)
    member_of_main[main.members] = True

    if profile is not None:
        centroid = _unit(np.asarray(profile.centroid, dtype=np.float64))
        sims = (x @ centroid.astype(x.dtype)).astype(np.float64)
        median, mad = float(profile.similarity_median), float(profile.similarity_mad)
        threshold = float(profile.threshold)
        # The profile's own threshold for clips of ordinary length, lowered for short clips by the
        # same amount as a set's would be.
        thresholds = threshold - (identity_threshold(median, mad, encoder=encoder)
                                  - identity_threshold(median, mad, encoder=encoder, width=widths))
        out = sims < thresholds
        n_centroid = int(profile.n_clips)
        where = "profile"
    else:
        centroid = main.centroid.astype(np.float64)
        sims = main.scores
        median, mad = main.similarity_median, main.similarity_mad
        threshold = main.threshold
        thresholds = identity_threshold(median, mad, encoder=encoder, width=widths)
        out = (sims < thresholds) | ((groups > 0) & (groups < n_found))
        n_centroid = main.n_kept
        where = "set"

    similarities[idx] = sims
    outliers[idx] = out
    row_thresholds[idx] = thresholds
    sigma = MAD_TO_SIGMA * max(mad, cal.mad_floor)
    z = (sims - median) / (sigma * widths)
    if n_found:
        # Each stray clip joins the voice it passes as: the dominant voice when it passes its test,
        # else the other voice whose threshold it meets best; otherwise it stays a stray outlier.
        stray = groups >= n_found
        groups[stray & ~out] = 0
        nearest = _nearest_other_voice(x, voices, stray & out, widths=widths, encoder=encoder)
        for k in np.flatnonzero(stray & out):
            if nearest[k] is not None:
                groups[k] = nearest[k].group
        for voice in voices:
            voice.members = np.flatnonzero(groups == voice.group)
            if voice.minutes is not None:
                voice.minutes = float(weights[voice.members].sum() / 60.0)
        labels[idx] = groups
    for k, i in enumerate(idx):
        g = int(groups[k])
        voice = voices[g] if g < n_found else None
        if voice is not None and g > 0:
            why = _other_voice_reason(voice, sims[k], text=text, main=main)
            if where == "profile":
                why = _reason(sims[k], z[k], median=median, threshold=thresholds[k], floor=cal.floor,
                              encoder=encoder, outlier=bool(out[k]), where=where, lang=lang) + text["sep"] + why
        else:
            why = _reason(sims[k], z[k], median=median, threshold=thresholds[k], floor=cal.floor,
                          encoder=encoder, outlier=bool(out[k]), where=where, lang=lang)
        identities[i] = {
            "similarity": _round(sims[k]),
            "z": _round(z[k], 2),
            "cluster": g,
            "voice": voice.label if voice is not None else None,
            "outlier": bool(out[k]),
            "reason": why,
        }

    n_voices = max(1, n_found)
    about_equal = (len(voices) > 1 and voices[0].weight > 0
                   and voices[1].weight >= ABOUT_EQUAL_SHARE * voices[0].weight)
    # Report voice members as input rows.
    for voice in voices:
        voice.members = idx[voice.members]
        voice.typical = int(idx[voice.typical])
    return finish(centroid=centroid.astype(np.float32), similarity_median=median, similarity_mad=mad,
                  threshold=threshold, n_voices=n_voices, consistent=bool(n_voices == 1 and not out.any()),
                  dominant_cluster=0, too_small=False, message=None, voices=voices,
                  about_equal=bool(about_equal), n_centroid_clips=n_centroid,
                  judged_against="profile" if profile is not None else "set")


# -- steps ---------------------------------------------------------------------------------------------

def voice_cohesion(sum_a: np.ndarray, n_a: int, sum_b: np.ndarray, n_b: int) -> float:
    """How alike two groups of unit embeddings are, relative to how alike each is within itself.

    ``rho = between / sqrt(within_a * within_b)``: ``between`` is the mean cosine over the
    ``n_a * n_b`` cross pairs, ``within`` the mean cosine over a group's own distinct pairs. Unlike the
    cosine of the two centroids it does not shrink for small groups (a centroid of few clips is
    shorter), so one cut serves groups of 2 and of 2000. About 1 for two parts of one voice; for two
    speakers the ratio of their cross-speaker to same-speaker similarity.

    Parameters
    ----------
    sum_a, sum_b : np.ndarray [D]
        Sums of each group's unit embeddings.
    n_a, n_b : int
        Group sizes, each at least 2.

    Returns
    -------
    float
        The ratio; -inf when a group's within-similarity is not positive.

    Examples
    --------
    >>> a = np.array([[1.0, 0.0], [0.8, 0.6]]); b = np.array([[0.6, 0.8], [0.0, 1.0]])
    >>> round(voice_cohesion(a.sum(0), 2, b.sum(0), 2), 3)
    0.675
    """
    within_a = (float(sum_a @ sum_a) - n_a) / (n_a * (n_a - 1))
    within_b = (float(sum_b @ sum_b) - n_b) / (n_b * (n_b - 1))
    if within_a <= 0 or within_b <= 0:
        return float("-inf")
    return float(sum_a @ sum_b) / (n_a * n_b) / math.sqrt(within_a * within_b)


def voice_groups(x: np.ndarray, *, encoder: str) -> np.ndarray:
    """Voice-group labels of unit rows ``x`` (numbered by size, largest first).

    Cluster (:func:`_cluster`, the encoder's ``cluster_distance``), merge clusters that are one voice
    (:func:`merge_groups`), split groups that hold two (:func:`split_groups`: average linkage can join
    two close voices, e.g. two men of one corpus), and merge once more.
    """
    cal = calibration_for(encoder)
    groups = merge_groups(x, _cluster(x, distance=cal.cluster_distance), threshold=cal.voice_merge)
    return merge_groups(x, split_groups(x, groups, threshold=cal.voice_merge), threshold=cal.voice_merge)


def split_groups(x: np.ndarray, labels: np.ndarray, *, threshold: float,
                 min_part: int = MIN_VOICE_CLIPS) -> np.ndarray:
    """Split every group of unit rows ``x`` that holds two voices, recursively.

    A group is divided in two by spherical 2-means (:func:`_two_means`); the division stands when both
    parts hold at least ``min_part`` clips and their cohesion (:func:`voice_cohesion`) is under
    ``threshold``. Each part is then tried again. Cost: O(N D) per try.

    Returns
    -------
    np.ndarray [N] of int
        Group labels, numbered by size (largest first, ties by first row).
    """
    out = labels.copy()
    todo = [np.flatnonzero(labels == g) for g in range(int(labels.max()) + 1)]
    next_label = int(labels.max()) + 1
    while todo:
        rows = todo.pop()
        if rows.size < 2 * min_part:
            continue
        if rows.size <= SPLIT_SAMPLE_CLIPS:
            part = _two_means(x[rows], seed=rows.size)[0]
        else:
            # A large group: 2-means on an evenly spaced sample, then every row to the nearer centre.
            sample = rows[np.linspace(0, rows.size - 1, SPLIT_SAMPLE_CLIPS).round().astype(int)]
            centres = _two_means(x[sample], seed=rows.size)[1].astype(x.dtype)
            part = np.empty(rows.size, dtype=int)
            for start in range(0, rows.size, ASSIGN_BLOCK_ROWS):
                block = rows[start:start + ASSIGN_BLOCK_ROWS]
                part[start:start + block.size] = np.argmax(x[block] @ centres.T, axis=1)
        a, b = rows[part == 0], rows[part == 1]
        if a.size < min_part or b.size < min_part:
            continue
        in_b = np.zeros(x.shape[0], dtype=bool)
        in_b[b] = True
        in_a = np.zeros(x.shape[0], dtype=bool)
        in_a[a] = True
        if voice_cohesion(_masked_sum(x, in_a), a.size, _masked_sum(x, in_b), b.size) >= threshold:
            continue
        out[b] = next_label
        next_label += 1
        todo += [a, b]
    return _renumber(out)


def _two_means(x: np.ndarray, *, seed: int, tries: int = 4, iterations: int = 30
               ) -> tuple[np.ndarray, np.ndarray]:
    """Spherical 2-means of unit rows ``x``: 0/1 per row and the two unit centres [2, D], the best of
    ``tries`` seeded starts (each from a random row and the row least like it), by total cosine to the
    part centroids."""
    rng = np.random.default_rng(seed)
    best, best_score = np.zeros(x.shape[0], dtype=int), -np.inf
    best_centres = np.stack([x[0], x[0]]).astype(np.float64)
    for _ in range(tries):
        first = int(rng.integers(x.shape[0]))
        second = int(np.argmin(x @ x[first]))
        centres = np.stack([x[first], x[second]]).astype(np.float64)
        part = np.zeros(x.shape[0], dtype=int)
        total = x.sum(axis=0, dtype=np.float64)
        for _ in range(iterations):
            new = np.argmax(x @ centres.T.astype(x.dtype), axis=1)
            second = _masked_sum(x, new == 1)
            sums = np.stack([total - second, second])
            norms = np.linalg.norm(sums, axis=1)
            if (norms == 0).any():
                break
            centres = sums / norms[:, None]
            if np.array_equal(new, part):
                break
            part = new
        score = float(np.sum(np.max(x @ centres.T.astype(x.dtype), axis=1)))
        if score > best_score and 0 < part.sum() < part.size:
            best, best_score, best_centres = part, score, centres
    return best, best_centres


def merge_groups(x: np.ndarray, labels: np.ndarray, *, threshold: float) -> np.ndarray:
    """Merge clusters of unit rows ``x`` whose cohesion (:func:`voice_cohesion`) reaches ``threshold``.

    The most cohesive pair is merged first and the merged group is compared afresh, until no pair of
    groups reaches the threshold. Singletons take no part (a single clip has no within-similarity);
    they keep their own label. Cost: O(K^2 D) for K clusters, O(N D) for the sums.

    Returns
    -------
    np.ndarray [N] of int
        Group labels, numbered by size (largest first, ties by first row).
    """
    k = int(labels.max()) + 1
    sums = _group_sums(x, labels, k)
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    parent = np.arange(k)
    live = np.flatnonzero(counts >= 2)
    if live.size >= 2:
        s, c = sums[live], counts[live]
        within = (np.einsum("ij,ij->i", s, s) - c) / (c * (c - 1))
        ok = within > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            rho = (s @ s.T) / np.outer(c, c) / np.sqrt(np.outer(within, within))
        rho = np.where(np.isfinite(rho), rho, -np.inf)
        rho[~ok, :] = -np.inf
        rho[:, ~ok] = -np.inf
        np.fill_diagonal(rho, -np.inf)
        active = ok.copy()
        while True:
            flat = int(np.argmax(rho))
            a, b = divmod(flat, rho.shape[1])
            if not rho[a, b] >= threshold:
                break
            # Merge b into a; b leaves the table and a is compared afresh.
            s[a] += s[b]
            c[a] += c[b]
            parent[live[b]] = live[a]
            active[b] = False
            within[a] = (float(s[a] @ s[a]) - c[a]) / (c[a] * (c[a] - 1))
            with np.errstate(invalid="ignore", divide="ignore"):
                row = (s @ s[a]) / (c * c[a]) / np.sqrt(within * within[a])
            row = np.where(np.isfinite(row) & active, row, -np.inf)
            row[a] = -np.inf
            if not within[a] > 0:
                row[:] = -np.inf
            rho[b, :] = -np.inf
            rho[:, b] = -np.inf
            rho[a, :] = row
            rho[:, a] = row
    # Resolve merge chains, then renumber by size.
    for g in range(k):
        root = g
        while parent[root] != root:
            root = parent[root]
        parent[g] = root
    return _renumber(parent[labels])


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
        raw = np.empty(n, dtype=int)
        for start in range(0, n, ASSIGN_BLOCK_ROWS):
            block = x[start:start + ASSIGN_BLOCK_ROWS]
            raw[start:start + block.shape[0]] = np.argmax(block @ means.T.astype(x.dtype), axis=1)
    else:
        model = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                        distance_threshold=distance)
        raw = model.fit_predict(x)
    return _renumber(raw)


def _renumber(raw: np.ndarray) -> np.ndarray:
    """Labels renumbered by group size, largest first; ties by the first row holding the label."""
    uniq, first, counts = np.unique(raw, return_index=True, return_counts=True)
    order = sorted(range(uniq.size), key=lambda k: (-counts[k], first[k]))
    remap = np.empty(uniq.max() + 1, dtype=int)
    for new, k in enumerate(order):
        remap[uniq[k]] = new
    return remap[raw]


def _describe_voice(x: np.ndarray, members: np.ndarray, group: int, *, encoder: str, widths: np.ndarray,
                    weights: np.ndarray, durations_known: bool, from_medoid: bool = False) -> "_VoiceFit":
    """Robust centroid, spread and typical clip of one voice from its member rows."""
    centroid, scores, kept = _robust_centroid(x, members, encoder=encoder, widths=widths,
                                              from_medoid=from_medoid)
    median = float(np.median(scores[members]))
    mad = _mad(scores[members], widths[members])
    threshold = identity_threshold(median, mad, encoder=encoder)
    # A typical clip: the kept member closest to the centroid, preferring 3-10 s clips (what a person
    # listens to when asked "is this the voice?"); weights are durations in seconds when known.
    candidates = members[kept[members]] if kept[members].any() else members
    if durations_known:
        ordinary = candidates[(weights[candidates] >= 3.0) & (weights[candidates] <= 10.0)]
        if ordinary.size:
            candidates = ordinary
    typical = int(candidates[np.argmax(scores[candidates])])
    minutes = float(weights[members].sum() / 60.0) if durations_known else None
    fit = _VoiceFit(label=_voice_label(group), group=group, members=members, minutes=minutes,
                    centroid=centroid.astype(np.float32), similarity_median=median, similarity_mad=mad,
                    threshold=threshold, typical=typical)
    fit.scores = scores
    fit.weight = float(weights[members].sum())
    fit.n_kept = int(kept.sum())
    return fit


@dataclass
class _VoiceFit(Voice):
    """A :class:`Voice` with the working arrays of the analysis (not reported)."""

    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    weight: float = 0.0
    n_kept: int = 0


def _robust_centroid(x: np.ndarray, members: np.ndarray, *, encoder: str, widths: np.ndarray,
                     from_medoid: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centroid of the voice formed by ``members``, every row's similarity to it, and the rows averaged
    into it (a subset of the members).

    Start from all members (``from_medoid``: from the members nearest their medoid). Then iterate: keep
    the members at or above the outlier threshold computed from the members' similarities, recompute,
    until the kept set stops changing. Non-members are scored but never kept.
    """
    n = x.shape[0]
    is_member = np.zeros(n, dtype=bool)
    is_member[members] = True
    kept = is_member.copy()
    if from_medoid and members.size > 2:
        sample = members if members.size <= MAX_CLUSTER_CLIPS else members[
            np.linspace(0, members.size - 1, MAX_CLUSTER_CLIPS).round().astype(int)]
        gram = x[sample] @ x[sample].T
        medoid = int(sample[np.argmax(gram.sum(axis=1))])
        to_medoid = x[members] @ x[medoid]
        kept = np.zeros(n, dtype=bool)
        kept[members[to_medoid >= np.median(to_medoid)]] = True
    seen: set[bytes] = set()
    for _ in range(MAX_ITERATIONS):
        sims = _leave_one_out(x, kept)
        threshold = identity_threshold(float(np.median(sims[members])), _mad(sims[members], widths[members]),
                                       encoder=encoder, width=widths)
        new = (sims >= threshold) & is_member
        if new.sum() < 2:
            # Never let the centroid rest on fewer than 2 clips: keep the best two members.
            new = np.zeros(n, dtype=bool)
            new[members[np.argsort(-sims[members])[:2]]] = True
        if np.array_equal(new, kept) or new.tobytes() in seen:
            kept = new
            break
        seen.add(kept.tobytes())
        kept = new
    total = _masked_sum(x, kept)
    return _unit(total), _leave_one_out(x, kept, total), kept


def _leave_one_out(x: np.ndarray, kept: np.ndarray, total: Optional[np.ndarray] = None) -> np.ndarray:
    """Cosine of each row to the mean of the kept rows, leaving the row itself out when it is kept.

    Computed without an ``N x D`` temporary: for a kept row, ``x . (T - x) = x . T - 1`` (unit rows) and
    ``|T - x|^2 = |T|^2 - 2 x . T + 1``.
    """
    if total is None:
        total = _masked_sum(x, kept)
    dots = (x @ total.astype(x.dtype)).astype(np.float64)
    tt = float(total @ total)
    own = np.einsum("ij,ij->i", x, x).astype(np.float64)  # 1 for unit rows; exact for any row
    num = np.where(kept, dots - own, dots)
    norm2 = np.where(kept, tt - 2.0 * dots + own, tt)
    norms = np.sqrt(np.maximum(norm2, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        sims = num / norms
    # A kept row alone in the centroid has nothing to be compared with: score it against itself.
    return np.where(norms > 1e-6, sims, 1.0)


def _cohesions(x: np.ndarray, groups: np.ndarray, voices: Sequence[Voice]) -> None:
    """Set each voice's ``cohesion``: its largest cohesion ratio with any other voice."""
    if len(voices) < 2:
        return
    sums = _group_sums(x, groups, len(voices))
    counts = np.bincount(groups[groups < len(voices)], minlength=len(voices))
    for a, voice in enumerate(voices):
        voice.cohesion = max(voice_cohesion(sums[a], int(counts[a]), sums[b], int(counts[b]))
                             for b in range(len(voices)) if b != a)


def _nearest_other_voice(x: np.ndarray, voices: Sequence[Voice], rows: np.ndarray, *, widths: np.ndarray,
                         encoder: str) -> list[Optional[Voice]]:
    """For each flagged stray row, the other voice it would pass as (its threshold met), else None."""
    out: list[Optional[Voice]] = [None] * x.shape[0]
    if len(voices) < 2 or not rows.any():
        return out
    picked = np.flatnonzero(rows)
    best_margin = np.full(picked.size, -np.inf)
    for voice in voices[1:]:
        sims = (x[picked] @ voice.centroid.astype(x.dtype)).astype(np.float64)
        margin = sims - identity_threshold(voice.similarity_median, voice.similarity_mad, encoder=encoder,
                                           width=widths[picked])
        better = (margin >= 0) & (margin > best_margin)
        best_margin[better] = margin[better]
        for k in np.flatnonzero(better):
            out[picked[k]] = voice
    return out


def _masked_sum(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Sum of the rows of ``x`` where ``mask`` is true, as float64 [D], without copying those rows."""
    return (mask.astype(x.dtype) @ x).astype(np.float64)


def _group_sums(x: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Per group label ``0..k-1`` the sum of its rows of ``x`` ([k, D] float64; labels >= k are left
    out), as one sparse-by-dense product (``np.add.at`` is unbuffered and slow on many rows)."""
    from scipy.sparse import csr_matrix

    keep = labels < k
    onehot = csr_matrix((np.ones(int(keep.sum()), dtype=x.dtype), (labels[keep], np.flatnonzero(keep))),
                        shape=(k, x.shape[0]))
    return np.asarray(onehot @ x, dtype=np.float64)


def _duration_weights(durations, n: int) -> np.ndarray:
    """Seconds per clip for ranking voices by minutes: unknown durations count as the median known one
    (1 s each when none is known)."""
    seconds = _as_seconds(durations, n)
    known = np.isfinite(seconds)
    fill = float(np.median(seconds[known])) if known.any() else 1.0
    return np.where(known, seconds, fill)


def _as_seconds(durations, n: int) -> np.ndarray:
    if durations is None:
        return np.full(n, np.nan)
    d = np.array([np.nan if v is None else float(v) for v in durations], dtype=np.float64)
    if d.shape != (n,):
        raise ParameterError(f"durations must hold one value per clip ({n}), got {d.shape[0]}")
    return np.where(d > 0, d, np.nan)


def _voice_label(k: int) -> str:
    """"A", "B", ..., "Z", "AA", "AB", ... for voice number ``k`` (0-based)."""
    label = ""
    k += 1
    while k:
        k, rem = divmod(k - 1, 26)
        label = chr(ord("A") + rem) + label
    return label


_IDENTITY_TEXT = {
    "en": {
        "none": "no readable clip to judge",
        "too_few": "too few clips to judge: {n} < {min_clips}",
        "set": "the set's", "profile": "the profile's",
        "within": "similarity {sim:.2f} is within {where} range (median {median:.2f}, outlier below {threshold:.2f})",
        "below": "similarity {sim:.2f} is {z:.1f} robust SD below {where} median {median:.2f}",
        "floor": "under the {encoder} floor {floor:.2f}",
        "threshold": "under the outlier threshold {threshold:.2f}",
        "other_voice": "with {others} other clip(s) it forms another voice ({voice}: {n} clips{minutes}), not "
                       "the main voice {main}; similarity to {main} {sim:.2f}",
        "minutes": ", {m:.1f} min",
        "closer": "closer to voice {voice}",
        "and": " and ", "sep": "; ",
    },
    "zh": {
        "none": "没有可读取的音频，无法判断",
        "too_few": "音频太少，无法判断音色一致性：{n} 条，少于 {min_clips} 条",
        "set": "整体", "profile": "声纹档案",
        "within": "相似度 {sim:.2f}，在{where}正常范围内（中位数 {median:.2f}，低于 {threshold:.2f} 判为异常）",
        "below": "相似度 {sim:.2f}，比{where}中位数 {median:.2f} 低 {z:.1f} 个稳健标准差",
        "floor": "低于 {encoder} 声纹模型的下限 {floor:.2f}",
        "threshold": "低于异常阈值 {threshold:.2f}",
        "other_voice": "与另外 {others} 条音频构成另一种音色（{voice}：{n} 条{minutes}），不是主音色 {main}；"
                       "与 {main} 的相似度 {sim:.2f}",
        "minutes": "，{m:.1f} 分钟",
        "closer": "更接近音色 {voice}",
        "and": "，", "sep": "；",
    },
}


def _lang(lang: str) -> str:
    return "zh" if str(lang).lower().startswith("zh") else "en"


def _other_voice_reason(voice: Voice, sim: float, *, text: dict, main: Voice) -> str:
    minutes = "" if voice.minutes is None else text["minutes"].format(m=voice.minutes)
    return text["other_voice"].format(others=voice.n_clips - 1, voice=voice.label, n=voice.n_clips,
                                      minutes=minutes, main=main.label, sim=sim)


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
