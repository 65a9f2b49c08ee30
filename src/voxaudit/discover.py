"""Discover: folders, GPT-SoVITS ``.list`` files and single files -> ``ClipSource`` records.

Nothing is opened for decoding here. A folder is searched recursively for audio by extension; a
``.list`` file holds ``path|speaker|lang|text`` lines whose paths are absolute or relative to the list.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ParameterError
from .model import ClipSource

# Extensions libsndfile (and, for mp3/m4a, audioread) decode. Matched case-insensitively.
AUDIO_EXTENSIONS = frozenset({
    ".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aiff", ".aif", ".aifc", ".au",
    ".snd", ".caf", ".w64", ".rf64", ".sd2", ".voc", ".m4a",
})
LIST_EXTENSIONS = frozenset({".list", ".lst"})


@dataclass
class Discovery:
    """What was found: the clips in order, and problems with the inputs themselves."""

    clips: list[ClipSource] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    from_list: bool = False


def _walk_folder(folder: Path, prefix: str | None = None) -> list[ClipSource]:
    """Audio files below ``folder``; display paths relative to it (under ``prefix`` when given)."""
    found = []
    for root, dirs, files in os.walk(folder, followlinks=True):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            if os.path.splitext(name)[1].lower() in AUDIO_EXTENSIONS:
                full = Path(root) / name
                shown = full.relative_to(folder).as_posix()
                if prefix is not None:
                    shown = f"{prefix.rstrip('/')}/{shown}"
                found.append(ClipSource(path=str(full), display_path=shown))
    return sorted(found, key=lambda clip: clip.display_path)


def parse_list_file(list_path: Path) -> tuple[list[ClipSource], list[str]]:
    """Read a GPT-SoVITS list (``path|speaker|lang|text``, UTF-8, one clip per line).

    Blank lines and lines starting with ``#`` are skipped. The original line is kept verbatim in
    ``ClipSource.list_line``. Relative paths are resolved against the list file's folder.
    """
    clips, problems = [], []
    try:
        text = list_path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ParameterError(f"{list_path}: not UTF-8 text ({error})") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("|", 3)
        raw_path = fields[0].strip()
        if not raw_path:
            problems.append(f"{list_path}:{number}: no path in line")
            continue
        path = Path(raw_path)
        if not path.is_absolute():
            path = list_path.parent / path
        get = lambda i: fields[i] if len(fields) > i else None  # noqa: E731
        clips.append(ClipSource(path=str(path), display_path=raw_path, speaker=get(1), lang=get(2),
                                text=get(3), list_line=line))
    return clips, problems


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


def discover(inputs: list[str | os.PathLike]) -> Discovery:
    """Turn the user's inputs into clip records, in a stable order, without duplicates.

    Parameters
    ----------
    inputs : list of path-like
        Folders (searched recursively), ``.list`` files, or audio files. Single files are kept even
        with an unknown extension: loading will say whether they decode.

    Returns
    -------
    Discovery
    """
    if not inputs:
        raise ParameterError("no input given: pass a folder, a .list file or audio files")
    result = Discovery()
    seen: set[str] = set()
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            # With several inputs, keep the folder in the shown path so names cannot collide.
            batch = _walk_folder(path, prefix=str(item) if len(inputs) > 1 else None)
            if not batch:
                result.problems.append(f"{item}: no audio files found")
            for clip in batch:
                clip.folder_speaker = _first_folder(clip.path, path)
        elif path.suffix.lower() in LIST_EXTENSIONS and path.is_file():
            batch, problems = parse_list_file(path)
            result.problems.extend(problems)
            result.from_list = True
        elif path.exists() or path.is_symlink():
            batch = [ClipSource(path=str(path), display_path=str(item))]
        else:
            # A path that does not exist still becomes a clip, so the report says so.
            batch = [ClipSource(path=str(path), display_path=str(item))]
        for clip in batch:
            key = os.path.realpath(clip.path)
            if key in seen:
                continue
            seen.add(key)
            result.clips.append(clip)
    return result
