"""A saved voice profile: the centroid and spread of a set judged to be one voice.

Record a set, audit it, save its profile; record more later and judge the new clips against the profile
(``analyse_set(..., profile=profile)``), even one clip at a time. A profile is only meaningful for the
encoder and weights that made it: using it with others raises :class:`~voxaudit.errors.ParameterError`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from .errors import ParameterError
from .io import read_format_json, write_json_atomic

if TYPE_CHECKING:  # pragma: no cover
    from .speaker.consistency import SetAnalysis

PROFILE_FORMAT = "voxaudit-profile/1"


@dataclass
class Profile:
    """The voice a set was judged to be.

    Attributes
    ----------
    encoder : str
        Encoder name ("ge2e", "ecapa").
    weights_sha256 : str or None
        SHA-256 of the encoder weights that made the embeddings (None when unknown).
    dim : int
        Embedding size.
    centroid : list of float
        Unit-length centroid of the voice.
    similarity_median, similarity_mad : float
        Median and MAD of the set's clips' similarities to the centroid (cosine).
    threshold : float
        Similarity below which a new clip is not this voice.
    n_clips : int
        Clips averaged into the centroid.
    created : str
        ISO 8601 UTC time of creation.
    """

    encoder: str
    weights_sha256: Optional[str]
    dim: int
    centroid: list[float]
    similarity_median: float
    similarity_mad: float
    threshold: float
    n_clips: int
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def __post_init__(self) -> None:
        if len(self.centroid) != self.dim:
            raise ParameterError(f"profile centroid has {len(self.centroid)} values, dim says {self.dim}")
        if not np.all(np.isfinite(np.asarray(self.centroid, dtype=float))):
            raise ParameterError("profile centroid holds non-finite values")

    @classmethod
    def from_analysis(cls, analysis: "SetAnalysis", *, encoder: str,
                      weights_sha256: Optional[str]) -> "Profile":
        """Make a profile from a set analysis.

        Parameters
        ----------
        analysis : SetAnalysis
            A judged set (not too small).
        encoder : str
            Encoder that made the embeddings; must match ``analysis.encoder``.
        weights_sha256 : str or None
            SHA-256 of its weights.

        Raises
        ------
        ParameterError
            When the set was too small to judge, or ``encoder`` differs from the analysis's.
        """
        if analysis.too_small or analysis.threshold is None:
            raise ParameterError(f"cannot make a profile from a set that was not judged "
                                 f"({analysis.message or 'too small'})")
        if analysis.encoder and analysis.encoder != encoder:
            raise ParameterError(f"the analysis was made with encoder {analysis.encoder!r}, "
                                 f"not {encoder!r}")
        centroid = np.asarray(analysis.centroid, dtype=np.float64)
        return cls(encoder=encoder, weights_sha256=weights_sha256, dim=int(centroid.size),
                   centroid=[float(v) for v in centroid],
                   similarity_median=float(analysis.similarity_median),
                   similarity_mad=float(analysis.similarity_mad), threshold=float(analysis.threshold),
                   n_clips=int(analysis.n_centroid_clips))

    def check_compatible(self, encoder: str, weights_sha256: Optional[str] = None, *,
                         dim: Optional[int] = None) -> None:
        """Raise :class:`ParameterError` unless embeddings from ``encoder`` (with ``weights_sha256``,
        of size ``dim``) can be judged against this profile. Unknown (None) weights are not compared."""
        if encoder != self.encoder:
            raise ParameterError(
                f"this voice profile was made with encoder {self.encoder!r}; the clips were embedded "
                f"with {encoder!r}. Embeddings of different encoders cannot be compared: re-run with "
                f"--encoder {self.encoder} or rebuild the profile.")
        if weights_sha256 and self.weights_sha256 and weights_sha256 != self.weights_sha256:
            raise ParameterError(
                f"this voice profile was made with other {encoder} weights "
                f"(sha256 {self.weights_sha256[:12]}…, now {weights_sha256[:12]}…): rebuild the "
                f"profile with the current weights.")
        if dim is not None and dim != self.dim:
            raise ParameterError(f"this voice profile has {self.dim}-dimensional embeddings, "
                                 f"the clips have {dim}")

    def to_dict(self) -> dict[str, Any]:
        """The JSON record. ``weights_verified`` and ``identity_calibration`` are derived from
        ``encoder`` and ``weights_sha256`` (see :func:`voxaudit.speaker.weights.calibration_status`) and
        written for the reader's sake: a profile of unverified weights says so."""
        from .speaker.weights import calibration_status, weights_published

        return {
            "format": PROFILE_FORMAT, "encoder": self.encoder, "weights_sha256": self.weights_sha256,
            "weights_verified": weights_published(self.encoder, self.weights_sha256),
            "identity_calibration": calibration_status(self.encoder, self.weights_sha256),
            "dim": self.dim, "centroid": [float(v) for v in self.centroid],
            "similarity_median": self.similarity_median, "similarity_mad": self.similarity_mad,
            "threshold": self.threshold, "n_clips": self.n_clips, "created": self.created,
        }

    def to_json(self, path: str | os.PathLike) -> None:
        """Write the profile as UTF-8 JSON, atomically (a temporary file in the same folder, then
        ``os.replace``): a killed run leaves the old profile or the new one, never half of one."""
        write_json_atomic(path, self.to_dict())

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> "Profile":
        """Read a profile written by :meth:`to_json`.

        Raises
        ------
        ParameterError
            When the file is not a voxaudit profile or misses a field.
        """
        data = read_format_json(path, file_format=PROFILE_FORMAT, what="voxaudit voice profile")
        try:
            return cls(encoder=str(data["encoder"]), weights_sha256=data.get("weights_sha256"),
                       dim=int(data["dim"]), centroid=[float(v) for v in data["centroid"]],
                       similarity_median=float(data["similarity_median"]),
                       similarity_mad=float(data["similarity_mad"]), threshold=float(data["threshold"]),
                       n_clips=int(data["n_clips"]), created=str(data.get("created", "")))
        except (KeyError, TypeError, ValueError) as exc:
            raise ParameterError(f"voice profile {str(path)!r} is incomplete: {exc}") from exc


SPEAKERS_FORMAT = "voxaudit-speaker-profiles/1"


@dataclass
class SpeakerProfiles:
    """One saved voice per labelled speaker (written by a multi-speaker scan as ``profile.json``).

    Attributes
    ----------
    voices : dict of str to Profile
        The voice of each label; every one made with the same encoder, weights and embedding size.
    """

    voices: dict[str, Profile]
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def __post_init__(self) -> None:
        if not self.voices:
            raise ParameterError("a speaker profile set holds no speaker")
        first = next(iter(self.voices.values()))
        for name, voice in self.voices.items():
            if (voice.encoder, voice.weights_sha256, voice.dim) != (first.encoder, first.weights_sha256, first.dim):
                raise ParameterError(f"speaker {name!r} of the profile set was made with another encoder or weights")

    def check_compatible(self, encoder: str, weights_sha256: Optional[str] = None, *,
                         dim: Optional[int] = None) -> None:
        """As :meth:`Profile.check_compatible`, for every voice."""
        next(iter(self.voices.values())).check_compatible(encoder, weights_sha256, dim=dim)

    def to_dict(self) -> dict[str, Any]:
        first = next(iter(self.voices.values())).to_dict()
        shared = ("format", "encoder", "weights_sha256", "dim", "created", "weights_verified",
                  "identity_calibration")
        return {**{k: first[k] for k in shared if k in first}, "format": SPEAKERS_FORMAT, "created": self.created,
                "speakers": {name: {k: v for k, v in voice.to_dict().items() if k not in shared}
                             for name, voice in sorted(self.voices.items())}}

    def to_json(self, path: str | os.PathLike) -> None:
        """Write atomically, as :meth:`Profile.to_json`."""
        write_json_atomic(path, self.to_dict())


def read_profile(path: str | os.PathLike) -> "Profile | SpeakerProfiles":
    """Read ``profile.json``: one voice (:class:`Profile`) or one voice per speaker
    (:class:`SpeakerProfiles`).

    Raises
    ------
    ParameterError
        When the file is neither, or misses a field.
    """
    try:
        data = read_format_json(path, file_format=SPEAKERS_FORMAT, what="voxaudit speaker profile set")
    except ParameterError:
        return Profile.from_json(path)
    try:
        voices = {str(name): Profile(encoder=str(data["encoder"]), weights_sha256=data.get("weights_sha256"),
                                     dim=int(data["dim"]), centroid=[float(v) for v in entry["centroid"]],
                                     similarity_median=float(entry["similarity_median"]),
                                     similarity_mad=float(entry["similarity_mad"]),
                                     threshold=float(entry["threshold"]), n_clips=int(entry["n_clips"]))
                  for name, entry in dict(data["speakers"]).items()}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ParameterError(f"voice profile {str(path)!r} is incomplete: {exc}") from exc
    return SpeakerProfiles(voices=voices, created=str(data.get("created", "")))


def speaker_profiles_for(profile: "Profile | SpeakerProfiles", labels) -> dict[str, Profile]:
    """The saved voices to judge a multi-speaker set by, per label.

    Raises
    ------
    ParameterError
        When ``profile`` holds a single voice: which label it belongs to is unknown.
    """
    if isinstance(profile, SpeakerProfiles):
        return dict(profile.voices)
    raise ParameterError(
        f"this voice profile holds one voice, and the set has {len(set(labels))} speakers: judge each "
        "speaker against its own voice with a profile from a multi-speaker scan, or scan with --speakers none")


def single_profile_for(profile: "Profile | SpeakerProfiles") -> Profile:
    """The saved voice to judge a one-voice set by.

    Raises
    ------
    ParameterError
        When ``profile`` holds several speakers (which one is meant is unknown).
    """
    if isinstance(profile, Profile):
        return profile
    if len(profile.voices) == 1:
        return next(iter(profile.voices.values()))
    raise ParameterError(
        f"this voice profile holds {len(profile.voices)} speakers ({', '.join(sorted(profile.voices)[:5])}"
        f"{' ...' if len(profile.voices) > 5 else ''}), and the set is one voice: scan a .list with speaker "
        "names or folders with --speakers folder")
