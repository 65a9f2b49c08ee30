"""Plain dataclasses that flow between stages and serialise to JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Optional

SEVERITIES = ("info", "warning", "error")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


@dataclass
class ClipSource:
    """One clip as discovered; nothing is opened yet.

    ``path`` is where to read it; ``display_path`` is the path as the user gave it or relative to the
    scanned folder (what reports show). ``list_line`` is the verbatim line of a GPT-SoVITS ``.list``,
    ``list_path`` and ``list_line_no`` (1-based) say where it stands.
    """

    path: str
    display_path: str
    speaker: Optional[str] = None
    lang: Optional[str] = None
    text: Optional[str] = None
    list_line: Optional[str] = None
    # The first folder level under the scanned folder (``--speakers folder``); None for files given
    # directly, for list entries, and for files at the top of the folder.
    folder_speaker: Optional[str] = None
    list_path: Optional[str] = None
    list_line_no: Optional[int] = None


@dataclass
class Finding:
    """A judged problem on one clip. ``value``/``threshold`` are in the unit of ``metric``; ``cause``
    says why an ``unreadable`` clip could not be read (``not_found``, ``not_regular`` ...); ``scope`` is
    ``"set"`` for a condition every clip of the set shares (see ``pipeline.set_conditions``)."""

    code: str
    severity: str
    message: str
    hint: str
    metric: Optional[str] = None
    value: Optional[float] = None
    threshold: Optional[float] = None
    cause: Optional[str] = None
    scope: Optional[str] = None
    # Facts particular to a finding code (``speaker_mislabel``: ``likely_speaker`` and both
    # similarities), written beside the fields above in report.json.
    extra: Optional[dict[str, Any]] = None

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if v is not None and k != "extra"}
        if self.extra:
            out.update({k: v for k, v in self.extra.items() if k not in out})
        return out


@dataclass
class ClipResult:
    """Everything known about one clip after the per-clip stages."""

    source: ClipSource
    metrics: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    quality: float = 0.0
    content_sha256: Optional[str] = None
    identity: Optional[dict[str, Any]] = None
    notes: list[str] = field(default_factory=list)
    # ``(key, record)`` for the measurement journal, made where the clip was measured so the driver only
    # stores it (voxaudit.journal.journal_entry); not part of the report.
    journal_entry: Optional[tuple[str, str]] = field(default=None, repr=False, compare=False)

    @property
    def readable(self) -> bool:
        return not any(f.code == "unreadable" for f in self.findings)

    @property
    def worst_severity(self) -> Optional[str]:
        if not self.findings:
            return None
        return max((f.severity for f in self.findings), key=SEVERITY_RANK.__getitem__)

    def has_error(self) -> bool:
        return any(f.severity == "error" for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.source.display_path,
            "metrics": self.metrics,
            "findings": [f.to_dict() for f in self.findings],
            "quality": round(float(self.quality), 1),
        }
        if self.identity is not None:
            out["identity"] = self.identity
        if self.content_sha256:
            out["sha256"] = self.content_sha256
        if self.notes:
            out["notes"] = self.notes
        for key in ("speaker", "lang", "text"):
            value = getattr(self.source, key)
            if value is not None:
                out[key] = value
        return out
