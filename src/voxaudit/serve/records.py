"""The shape of what the server keeps on disk, checked where it is read back.

A take record (``takes/<id>.json``) and its upload record (``takes/<id>.upload.json``) are read from
disk at start-up; whatever is in them (a torn write, a hand edit, a file from a newer or broken
version) is checked here, once, against a strict schema (pydantic, strict mode: no string is taken for
a number, no number for a string). Code past this boundary trusts the records it gets: the handlers
never see a wrong-shaped embedding, a string where a number belongs or an infinite duration.

- :func:`check_take` -- a take record, or :class:`RecordError` saying what is wrong with it;
- :func:`check_upload` -- an upload record (name, text, order as uploaded), or :class:`RecordError`.
"""

from __future__ import annotations

import math
from typing import Any, Literal, Optional, Union

from pydantic import (BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr,
                      ValidationError, field_validator, model_validator)

from ..config import DEFAULT_RULES
from .sameaudio import Fingerprint

TAKE_FORMAT = "voxaudit-take/1"
UPLOAD_FORMAT = "voxaudit-upload/1"
TAKE_ID_PATTERN = r"^[0-9a-f]{12}$"
AUDIO_NAME_PATTERN = r"^([0-9a-f]{12})\.(wav|flac|ogg|mp3|aiff|caf|w64|rf64|au|oga)$"
SOURCES = ("upload", "microphone", "recovered")
# Largest magnitude a stored number may have: past it a sum or a JSON answer would overflow.
MAX_NUMBER = 1e15
# Metrics the session computes with (sums, thresholds, the report's tables): numbers, or null where
# not measured. Other metrics may be any JSON scalar (a newer version may add some).
NUMERIC_METRICS = frozenset({r.metric for r in DEFAULT_RULES} | {
    "duration_s", "sample_rate", "channels", "noise_floor_dbfs", "hum_hz", "leading_silence_s",
    "trailing_silence_s", "peak_dbfs", "speech_rms_dbfs"})
# A day of audio, a 10 MHz rate, 1024 channels: beyond any take (load_audio refuses over 30 minutes).
LIMITS = {"duration_s": 86400.0, "sample_rate": 10_000_000, "channels": 1024}


class RecordError(ValueError):
    """A record on disk that does not have the expected shape; the message says where and why."""


Number = Union[StrictInt, StrictFloat]
Scalar = Union[StrictBool, StrictInt, StrictFloat, StrictStr, None]


def _finite(value: Any, where: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where}: not a finite number")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        raise ValueError(f"{where}: {value!r} is out of range")


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow", frozen=False)


class EncoderKey(_Strict):
    name: StrictStr = Field(min_length=1, max_length=100)
    weights_sha256: Optional[StrictStr] = Field(None, max_length=128)
    dim: StrictInt = Field(ge=1, le=8192)


class Embedding(_Strict):
    key: EncoderKey
    vector: list[Number]

    @model_validator(mode="after")
    def _shape(self) -> "Embedding":
        if len(self.vector) != self.key.dim:
            raise ValueError(f"{len(self.vector)} values, expected {self.key.dim} (the key's dim)")
        for value in self.vector:
            _finite(value, "vector")
        return self


Interval = list[Number]


class Picture(_Strict):
    dur: Number = Field(gt=0, le=LIMITS["duration_s"])
    sr: StrictInt = Field(ge=1, le=LIMITS["sample_rate"])
    peak: Number
    env: StrictStr = Field(pattern=r"^[A-Za-z0-9+/]*={0,2}$")
    sil: list[Interval]
    clip: list[Interval]
    spec: StrictStr = Field(pattern=r"^[A-Za-z0-9+/]*={0,2}$")
    nf: StrictInt = Field(ge=1, le=4096)
    nt: StrictInt = Field(ge=1, le=100_000)
    fmin: Number
    fmax: Number
    top: Number
    range: Number
    step: Number
    hum: Optional[Number] = None
    bw: Optional[Number] = None

    @model_validator(mode="after")
    def _values(self) -> "Picture":
        for name in ("peak", "fmin", "fmax", "top", "range", "step", "hum", "bw"):
            _finite(getattr(self, name), name)
        for name in ("sil", "clip"):
            for interval in getattr(self, name):
                if len(interval) != 2:
                    raise ValueError(f"{name}: intervals are [start_s, end_s]")
                for value in interval:
                    _finite(value, name)
        return self


class Repaired(_Strict):
    at: StrictStr
    reason: StrictStr


class _TakeFields(_Strict):
    """What a take's analysis record and its upload record share: who it is and how it came."""

    id: StrictStr = Field(pattern=TAKE_ID_PATTERN)
    file: StrictStr = Field(pattern=AUDIO_NAME_PATTERN)
    seq: StrictInt = Field(ge=1, le=10**9)
    created: StrictStr = Field(max_length=64)
    name: StrictStr = Field(max_length=1000)
    source: Literal["upload", "microphone", "recovered"]
    text: Optional[StrictStr] = Field(None, max_length=20_000)

    @model_validator(mode="after")
    def _names(self):
        if not self.file.startswith(self.id + "."):
            raise ValueError(f"file {self.file!r} is not named after the take {self.id!r}")
        return self


class TakeRecord(_TakeFields):
    format: Literal["voxaudit-take/1"]
    bytes: StrictInt = Field(ge=0)
    sha256: StrictStr = Field(pattern=r"^[0-9a-f]{64}$")
    audio_format: StrictStr = Field(max_length=64)
    subtype: Optional[StrictStr] = Field(None, max_length=64)
    metrics: dict[StrictStr, Scalar]
    notes: list[StrictStr] = []
    embedding: Optional[Embedding] = None
    picture: Optional[Picture] = None
    fingerprint: Optional[dict[str, Any]] = None
    repaired: Optional[Repaired] = None

    @field_validator("metrics")
    @classmethod
    def _metrics(cls, metrics: dict) -> dict:
        for key, value in metrics.items():
            if isinstance(value, str):
                if key in NUMERIC_METRICS:
                    raise ValueError(f"{key}: a string ({value[:40]!r}) where a number belongs")
                if len(value) > 200:
                    raise ValueError(f"{key}: a string of {len(value)} characters")
            _finite(value, key)
        for key, limit in LIMITS.items():
            value = metrics.get(key)
            if key == "channels" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= limit:
                raise ValueError(f"{key}: {value!r} is not a number in (0, {limit:g}]")
            if key != "duration_s" and not isinstance(value, int):
                raise ValueError(f"{key}: {value!r} is not a whole number")
        return metrics

    @field_validator("fingerprint")
    @classmethod
    def _fingerprint(cls, value: Optional[dict]) -> Optional[dict]:
        if value is not None:
            try:
                Fingerprint.from_dict(value)
            except ValueError as error:
                raise ValueError(str(error)) from None
        return value

class UploadRecord(_TakeFields):
    format: Literal["voxaudit-upload/1"]


# The names pydantic gives the members of a union in an error's location.
_UNION_TAGS = {"bool", "int", "float", "str", "none", "function-after[_shape(), Embedding]"}


def _message(error: ValidationError) -> str:
    """The first problems, one per place: ``"embedding: 10 values, expected 192; seq: ..."``."""
    found: dict[str, str] = {}
    tags: dict[str, set] = {}
    for item in error.errors():
        loc = [str(p) for p in item.get("loc", ())]
        text = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        if loc and loc[-1] in _UNION_TAGS:  # every member of a union refused it: say so once
            tags.setdefault(".".join(loc[:-1]), set()).add(loc[-1])
            loc, text = loc[:-1], ""
        found.setdefault(".".join(loc), text)
    for where, members in tags.items():
        found[where] = ("not a number" if members <= {"int", "float"}
                        else "wrong type (expected a number, text, true/false or null)")
    parts = [f"{where}: {text}" if where else text for where, text in list(found.items())[:3]]
    more = len(found) - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _check(model: type[BaseModel], data: Any, take_id: str, what: str) -> dict:
    if not isinstance(data, dict):
        raise RecordError(f"{what} is not a JSON object")
    try:
        model.model_validate(data)
    except ValidationError as error:
        raise RecordError(_message(error)) from None
    if data.get("id") != take_id:
        raise RecordError(f"{what} names take {data.get('id')!r}, not {take_id!r}")
    return data


def check_take(data: Any, take_id: str) -> dict:
    """``data`` (a parsed ``takes/<id>.json``) when it is a well-formed record of take ``take_id``.

    Raises
    ------
    RecordError
        Saying the first problems found, e.g. ``"embedding.vector: 10 values, expected 192"``.
    """
    return _check(TakeRecord, data, take_id, "take record")


def check_upload(data: Any, take_id: str) -> dict:
    """``data`` (a parsed ``takes/<id>.upload.json``) when it is a well-formed upload record.

    Raises
    ------
    RecordError
    """
    return _check(UploadRecord, data, take_id, "upload record")
