"""Discover: folders, GPT-SoVITS ``.list`` files and single files -> ``ClipSource`` records.

Nothing is opened for decoding here. A folder is searched recursively for audio by extension; a
``.list`` file holds ``path|speaker|lang|text`` lines whose paths are absolute or relative to the list.

Each file is scanned once. A folder is walked breadth first and every folder is entered once, however
many symbolic links lead to it, so link loops (``sub/up -> ..``) end at once and a file reachable by
several paths is found under the shortest one. A file named twice (a repeated ``.list`` line, the same
file under another spelling, overlapping inputs) is kept at its first mention and the others are
counted in ``Discovery.duplicates``. A path too long to name any file is refused before it is resolved
(see :mod:`voxaudit.paths`).
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .errors import ParameterError
from .messages import notice_text
from .model import ClipSource
from .paths import path_too_long

# Extensions libsndfile (and, for mp3/m4a, audioread) decode. Matched case-insensitively.
AUDIO_EXTENSIONS = frozenset({
    ".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aiff", ".aif", ".aifc", ".au",
    ".snd", ".caf", ".w64", ".rf64", ".sd2", ".voc", ".m4a",
})
LIST_EXTENSIONS = frozenset({".list", ".lst"})
# Duplicates kept as examples in the report and the notice (the count covers them all).
DUPLICATE_EXAMPLES = 5


class InputNotFoundError(ParameterError):
    """Inputs that name no file or folder (a mistyped path): a usage error, nothing is scanned."""

    def __init__(self, paths: list[str]):
        self.paths = paths
        super().__init__(notice_text("input_missing", "en", paths=", ".join(paths)))


@dataclass
class Discovery:
    """What was found: the clips in order, problems with the inputs themselves, and the duplicates
    (``{"count": n, "examples": [{"path", "line", "same_as", "same_as_line", "differs"}, ...]}``,
    ``line`` numbers for ``.list`` entries, ``differs`` when the lines give another speaker, language or
    text for the same file)."""

    clips: list[ClipSource] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    from_list: bool = False
    duplicates: dict = field(default_factory=lambda: {"count": 0, "examples": []})


def _walk_folder(folder: Path, prefix: str | None, problems: list[str],
                 lang: str = "en") -> list[tuple[ClipSource, str]]:
    """Audio files below ``folder`` with their real paths; display paths relative to it (under ``prefix``
    when given). Breadth first, each real folder entered once: a link loop is followed at most once, and
    a file reachable by several paths keeps the shortest."""
    try:
        top = os.stat(folder)
    except OSError as error:
        problems.append(notice_text("folder_unreadable", lang, path=folder, error=error.strerror))
        return []
    entered = {(top.st_dev, top.st_ino)}
    best: dict[str, tuple[tuple[int, int, str], ClipSource]] = {}
    queue = deque([(str(folder), "", os.path.realpath(folder))])
    while queue:
        path, rel, real = queue.popleft()
        try:
            with os.scandir(path) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as error:
            problems.append(notice_text("folder_unreadable", lang, path=os.path.join(str(folder), rel),
                                        error=error.strerror))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            shown = f"{rel}/{entry.name}" if rel else entry.name
            try:
                is_dir = entry.is_dir()  # follows links; a looping link raises
            except OSError:
                is_dir = False
            if is_dir:
                try:
                    st = entry.stat()
                except OSError:
                    continue
                if (st.st_dev, st.st_ino) in entered:
                    continue  # a link back into the walk, or a second link to a folder already found
                entered.add((st.st_dev, st.st_ino))
                child_real = os.path.realpath(entry.path) if entry.is_symlink() else os.path.join(real, entry.name)
                queue.append((entry.path, shown, child_real))
            elif os.path.splitext(entry.name)[1].lower() in AUDIO_EXTENSIONS:
                file_real = os.path.realpath(entry.path) if entry.is_symlink() else os.path.join(real, entry.name)
                display = f"{prefix.rstrip('/')}/{shown}" if prefix is not None else shown
                rank = (shown.count("/"), len(shown), shown)
                held = best.get(file_real)
                if held is None or rank < held[0]:
                    best[file_real] = (rank, ClipSource(path=entry.path, display_path=display))
    found = [(clip, real) for real, (_, clip) in best.items()]
    return sorted(found, key=lambda item: item[0].display_path)


def _parse_list(list_path: Path, lang: str = "en") -> tuple[list[ClipSource], list[str]]:
    """``parse_list_file`` with its problems in ``lang``."""
    clips, problems = [], []
    try:
        text = list_path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ParameterError(f"{list_path}: not UTF-8 text ({error})") from None
    except OSError as error:
        raise ParameterError(f"{list_path}: cannot read the list ({error.strerror or error})") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("|", 3)
        raw_path = fields[0].strip()
        if not raw_path:
            problems.append(notice_text("no_path", lang, where=f"{list_path}:{number}"))
            continue
        path = Path(raw_path)
        if not path.is_absolute():
            path = list_path.parent / path
        get = lambda i: fields[i] if len(fields) > i else None  # noqa: E731
        clips.append(ClipSource(path=str(path), display_path=raw_path, speaker=get(1), lang=get(2),
                                text=get(3), list_line=line, list_path=str(list_path), list_line_no=number))
    return clips, problems


def parse_list_file(list_path: Path) -> tuple[list[ClipSource], list[str]]:
    """Read a GPT-SoVITS list (``path|speaker|lang|text``, UTF-8, one clip per line).

    Blank lines and lines starting with ``#`` are skipped. The original line is kept verbatim in
    ``ClipSource.list_line`` (so the transcript checks see its real field count: a ``|`` inside the text
    makes five fields, and the clip is still measured, with everything after the third ``|`` as its
    text), with the list and the line number. Relative paths are resolved against the list file's folder.
    """
    return _parse_list(Path(list_path))


def _first_folder(file: str, folder: Path) -> str | None:
    """The first folder level of ``file`` under ``folder`` (its speaker with ``--speakers folder``)."""
    parts = Path(os.path.relpath(file, folder)).parts
    return parts[0] if len(parts) > 1 else None


SPEAKER_MODES = ("auto", "list", "folder", "none")
UNLABELLED = "(unlabelled)"


def speaker_labels(clips: list[ClipSource], mode: str = "auto") -> list[str] | None:
    """One speaker label per clip, or None when the set is to be judged as one voice.

    Parameters
    ----------
    clips : list of ClipSource
    mode : {"auto", "list", "folder", "none"}
        ``list``: the speaker field of ``.list`` lines; ``folder``: the first folder level under each
        scanned folder (list entries keep their speaker field; files at the top of a folder and files
        given directly are ``"(unlabelled)"``); ``none``: one set; ``auto``: ``list`` when the lines
        name two or more speakers, else one set.

    Returns
    -------
    list of str or None
        None when fewer than two distinct labels result (a one-speaker input stays one set).

    Raises
    ------
    ParameterError
        On an unknown mode.
    """
    if mode not in SPEAKER_MODES:
        raise ParameterError(f"speakers must be one of {', '.join(SPEAKER_MODES)}; got {mode!r}")
    if mode == "none":
        return None
    def named(c: ClipSource) -> str:
        return c.speaker.strip() if c.speaker and c.speaker.strip() else UNLABELLED

    if mode == "folder":
        labels = [c.folder_speaker or named(c) for c in clips]
    else:
        labels = [named(c) for c in clips]
        if mode == "auto" and len({named(c) for c in clips if c.list_line is not None} - {UNLABELLED}) < 2:
            return None
    return labels if len(set(labels)) >= 2 else None


def _real_key(path: str) -> str:
    """What identifies a file for de-duplication: its real path; a path too long to resolve (or to name
    any file) keys as itself, without the quadratic cost of resolving it."""
    if path_too_long(path):
        return path
    return os.path.realpath(path)


def check_inputs(inputs: list[str | os.PathLike]) -> None:
    """Raise a usage error when there is no input or an input names no file or folder (a mistyped path
    is not a clip that "could not be read": nothing is scanned). Touches only the inputs themselves.

    Raises
    ------
    ParameterError
        No input at all.
    InputNotFoundError
        With every input that does not exist (or whose path is too long to name anything).
    """
    if not inputs:
        raise ParameterError("no input given: pass a folder, a .list file or audio files")
    missing = []
    for item in inputs:
        text = os.fspath(item)
        if path_too_long(text) or not os.path.lexists(text):
            missing.append(str(text) if len(text) <= 200 else f"{text[:200]}… ({len(os.fsencode(text))} bytes)")
    if missing:
        raise InputNotFoundError(missing)


def discover(inputs: list[str | os.PathLike], *, lang: str = "en") -> Discovery:
    """Turn the user's inputs into clip records, in a stable order, each file once.

    Parameters
    ----------
    inputs : list of path-like
        Folders (searched recursively), ``.list`` files, or audio files. Single files are kept even
        with an unknown extension (or when they are not regular files): loading will say whether they
        decode. A ``.list`` entry whose file is missing becomes a clip too (loading reports it).
    lang : str
        Language of the problems reported (``"en"`` or ``"zh"``).

    Returns
    -------
    Discovery

    Raises
    ------
    ParameterError
        No input, or a ``.list`` that is not UTF-8.
    InputNotFoundError
        An input that names no file or folder (nothing is scanned then).
    """
    check_inputs(inputs)
    result = Discovery()
    first_seen: dict[str, ClipSource] = {}
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            # With several inputs, keep the folder in the shown path so names cannot collide.
            walked = _walk_folder(path, str(item) if len(inputs) > 1 else None, result.problems, lang)
            if not walked:
                result.problems.append(notice_text("no_audio", lang, path=item))
            batch = [clip for clip, _ in walked]
            keys = [real for _, real in walked]
            for clip in batch:
                clip.folder_speaker = _first_folder(clip.path, path)
        elif path.suffix.lower() in LIST_EXTENSIONS and path.is_file():
            batch, problems = _parse_list(path, lang)
            result.problems.extend(problems)
            result.from_list = True
            keys = [_real_key(clip.path) for clip in batch]
        else:
            # A single file, or something that is not a regular file: loading says what it is.
            batch = [ClipSource(path=str(path), display_path=str(item))]
            keys = [_real_key(str(path))]
        for clip, key in zip(batch, keys):
            first = first_seen.get(key)
            if first is None:
                first_seen[key] = clip
                result.clips.append(clip)
                continue
            result.duplicates["count"] += 1
            if len(result.duplicates["examples"]) < DUPLICATE_EXAMPLES:
                differs = any(getattr(clip, k) != getattr(first, k) for k in ("speaker", "lang", "text"))
                result.duplicates["examples"].append({
                    "path": clip.display_path, "line": clip.list_line_no,
                    "same_as": first.display_path, "same_as_line": first.list_line_no, "differs": differs})
    return result


def duplicates_notice(duplicates: dict, lang: str) -> Optional[str]:
    """The one-line notice about skipped duplicates, or None when there were none."""
    count = int(duplicates.get("count") or 0)
    if not count:
        return None

    def where(path, line):
        if not line:
            return str(path)
        return f"{path} (line {line})" if lang != "zh" else f"{path}（第 {line} 行）"

    examples = [notice_text("duplicate_example", lang, path=where(e["path"], e.get("line")),
                            first=where(e["same_as"], e.get("same_as_line")))
                for e in duplicates.get("examples", [])[:3]]
    tail = (": " if lang == "en" else "：") + ("; " if lang == "en" else "；").join(examples) if examples else ""
    if examples and count > len(examples):
        tail += " …"
    return notice_text("duplicates", lang, n=f"{count:,}", examples=tail)
