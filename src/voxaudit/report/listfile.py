"""GPT-SoVITS ``.list`` files: ``path|speaker|lang|text``, UTF-8, one clip per line.

A clip discovered from a ``.list`` is written back as its original line, verbatim. Any other clip is
written as ``absolute_path|speaker|lang|text`` with the speaker defaulting to the clip's folder name, the
language from ``--list-lang`` (or a ``serve`` session's script) and the text from the script. A clip that
has no language or no text would be a line GPT-SoVITS rejects or trains on nothing: it is written as a
comment that says what is missing, followed by the line to complete (``# no text (run ASR or record from a
script): /data/a.wav|voice|ZH|``); remove the ``# ...: `` prefix once the field is filled in.

Rejected clips carry their reason on a **comment line before the clip's line**::

    # rejected: speaker_mismatch
    /data/voice/take_031.wav|voice|zh|今天天气很好

Why a comment line rather than a fifth ``|reason`` field:

- every clip line stays a verbatim, 4-field line, so a clip can be moved back into the training list by
  cutting and pasting the line;
- voxaudit's own ``.list`` reader skips ``#`` lines, so a rejected list can be audited again;
- GPT-SoVITS's dataset preparation (``1-get-text.py``, ``2-get-hubert-wav32k.py``) unpacks each line with
  ``wav_name, spk_name, language, text = line.split("|")`` inside a per-line ``try``: a ``#`` line is
  reported and skipped, whereas a fifth field would make *every* clip line fail to unpack.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Mapping, Optional

from ..errors import ParameterError
from ..io import write_text_atomic
from ..model import ClipResult

REASON_PREFIX = "# rejected: "


def list_line(clip: ClipResult) -> str:
    """The ``.list`` line of one clip (without the newline).

    The original line when the clip came from a ``.list``; else ``absolute_path|speaker|lang|text``
    with the speaker defaulting to the clip's folder name. Line breaks and ``|`` inside speaker, lang
    or text are replaced by spaces so the line stays 4 fields.
    """
    source = clip.source
    if source.list_line is not None:
        return source.list_line.rstrip("\r\n")
    path = os.path.abspath(source.path)
    speaker = source.speaker if source.speaker else (Path(path).parent.name or "speaker")
    return "|".join([path, _field(speaker), _field(source.lang), _field(source.text)])


def list_text(clips: Iterable[ClipResult], *, reasons: Optional[Mapping[str, str]] = None) -> str:
    """The text of a ``.list`` file for ``clips`` (see :func:`write_list`)."""
    lines: list[str] = []
    for clip in clips:
        if reasons is not None:
            reason = _reason_for(clip, reasons)
            if reason:
                lines.append(REASON_PREFIX + _one_line(reason))
        problem = _unlistable(clip)
        if problem:
            # Say so in a comment rather than write a line that corrupts the file.
            lines.append(f"# cannot be listed ({problem}): {_one_line(clip.source.path)}")
            continue
        missing = untrainable(clip)
        if missing:
            lines.append(f"# {missing}: {list_line(clip)}")
            continue
        lines.append(list_line(clip))
    return "\n".join(lines) + ("\n" if lines else "")


def write_list(path: str | os.PathLike, clips: Iterable[ClipResult], *,
               reasons: Optional[Mapping[str, str]] = None) -> None:
    """Write a GPT-SoVITS ``.list`` file, UTF-8, atomically (temporary file, then ``os.replace``).

    Parameters
    ----------
    path : path-like
        The file to write; its folder is created when missing.
    clips : iterable of ClipResult
        The clips, in the order to write them.
    reasons : mapping, optional
        Reason (str) per clip, keyed by ``id(clip)`` or by ``clip.source.display_path`` (looked up in
        that order). A clip with a reason gets a ``# rejected: <reason>`` comment line before its own
        line (see the module docstring for why).

    Raises
    ------
    ParameterError
        When ``reasons`` is not a mapping.

    Examples
    --------
    >>> kept, rejected = select_subset(clips, minutes=10)              # doctest: +SKIP
    >>> write_list("train.list", kept)                                 # doctest: +SKIP
    >>> write_list("rejected.list", [c for c, _ in rejected],          # doctest: +SKIP
    ...            reasons={id(c): r for c, r in rejected})
    """
    if reasons is not None and not isinstance(reasons, Mapping):
        raise ParameterError(f"reasons must be a mapping of id(clip) or display path to reason, got {type(reasons).__name__}")
    write_text_atomic(path, list_text(clips, reasons=reasons))


def _reason_for(clip: ClipResult, reasons: Mapping) -> Optional[str]:
    reason = reasons.get(id(clip))
    if reason is None:
        reason = reasons.get(clip.source.display_path)
    return reason


def _unlistable(clip: ClipResult) -> Optional[str]:
    """Why a clip cannot be written as a list line (None when it can)."""
    if clip.source.list_line is not None:
        line = clip.source.list_line.rstrip("\r\n")
        return "line break in the line" if ("\n" in line or "\r" in line) else None
    path = clip.source.path
    if "\n" in path or "\r" in path:
        return "line break in the path"
    if "|" in path:
        return "'|' in the path"
    return None


NO_TEXT = "no text (run ASR or record from a script)"
NO_LANG = "no language (pass --list-lang, e.g. --list-lang ZH)"


def untrainable(clip: ClipResult) -> Optional[str]:
    """Why a clip's built line (not from a list) would not train in GPT-SoVITS: no text or no language
    code; None when it would (and for lines kept verbatim from a list: those are judged by the scan)."""
    source = clip.source
    if source.list_line is not None:
        return None
    if not _field(source.text).strip():
        return NO_TEXT
    if not _field(source.lang).strip():
        return NO_LANG
    return None


def _field(value: Optional[str]) -> str:
    if not value:
        return ""
    return value.replace("\r", " ").replace("\n", " ").replace("|", " ")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
