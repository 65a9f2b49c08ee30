"""Receive one uploaded file into the project's scratch folder, streamed, with a size limit.

Why not FastAPI's ``UploadFile``: Starlette spools uploads larger than 1 MB into the system temporary
folder, and only counts bytes after the whole body has arrived. Here the body is parsed as it streams
(``python-multipart``'s push parser, the one Starlette itself uses), the file part goes straight into
``PROJECT/.scratch/<random>.part``, and the upload is cut off as soon as it passes the limit. Nothing
outside the project folder is written, and the client's file name is only ever kept as text.

Two request shapes are accepted on the same endpoint:

- ``multipart/form-data`` with one file part named ``file`` and optional text fields (``text``,
  ``source``), as a browser's ``FormData`` sends it;
- a raw body (``audio/*`` or ``application/octet-stream``) with the file name in ``?name=``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import anyio

# Text fields kept from a multipart upload, and the most characters each may hold.
TEXT_FIELDS = {"text": 2000, "source": 32}
# Bytes of a multipart body that are not the file (boundaries, part headers, text fields).
MULTIPART_OVERHEAD = 64 * 1024
# File data is handed to a worker thread in blocks of this size (disk writes stay off the event loop).
WRITE_BLOCK = 1 << 20


class UploadError(Exception):
    """A bad upload: ``status`` is the HTTP status to answer, ``code`` a stable machine-readable word."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class ReceivedFile:
    """An upload on disk in the scratch folder.

    Attributes
    ----------
    path : Path
        ``PROJECT/.scratch/<random>.part`` (server-chosen name).
    size : int
        Bytes received.
    name : str
        The client's file name, cleaned for display only (never used as a path).
    fields : dict
        The accepted text fields (``text``, ``source``).
    """

    path: Path
    size: int
    name: str
    fields: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.path)


def display_name(raw: Optional[str], *, limit: int = 120) -> str:
    """A client-supplied file name made safe to show: the last path component, no control characters,
    at most ``limit`` characters. It is text for people; the server never opens a path built from it.

    Examples
    --------
    >>> display_name("../../etc/passwd")
    'passwd'
    >>> display_name("C:\\\\takes\\\\take 1.wav")
    'take 1.wav'
    """
    name = str(raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if name in ("", ".", ".."):
        name = "upload"
    return name[:limit]


class _Sink:
    """The scratch file: buffers in memory, writes whole blocks from a worker thread."""

    def __init__(self, path: Path, limit: int):
        self.path = path
        self.limit = limit
        self.size = 0
        self.buffer = bytearray()
        self.handle = open(path, "xb")

    def add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise UploadError(413, "too_large", f"the file is larger than the upload limit of "
                                                f"{self.limit / 1e6:.0f} MB")
        self.buffer += data

    async def flush(self, force: bool = False) -> None:
        if self.buffer and (force or len(self.buffer) >= WRITE_BLOCK):
            block, self.buffer = bytes(self.buffer), bytearray()
            await anyio.to_thread.run_sync(self.handle.write, block)

    def close(self) -> None:
        self.handle.close()


def _scratch_path(scratch: Path) -> Path:
    scratch.mkdir(parents=True, exist_ok=True)
    return scratch / f"{secrets.token_hex(8)}.part"


async def receive_upload(request, scratch: Path, *, limit: int) -> ReceivedFile:
    """Stream the request's file into ``scratch`` and return it.

    Parameters
    ----------
    request : starlette.requests.Request
    scratch : Path
        Folder for the received file (inside the project).
    limit : int
        Largest file accepted, in bytes.

    Raises
    ------
    UploadError
        413 over the limit (as soon as it is known: from ``Content-Length`` or while streaming), 400 for
        an empty file or a malformed body, 415 for a body that is neither multipart nor raw audio.
    """
    content_type = request.headers.get("content-type", "")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
        raise UploadError(413, "too_large", f"the upload ({int(declared) / 1e6:.1f} MB) is larger than the "
                                            f"limit of {limit / 1e6:.0f} MB")
    kind = content_type.split(";", 1)[0].strip().lower()
    path = _scratch_path(scratch)
    sink = _Sink(path, limit)
    try:
        if kind == "multipart/form-data":
            name, fields = await _receive_multipart(request, content_type, sink)
        elif kind.startswith("audio/") or kind in ("application/octet-stream", ""):
            async for chunk in request.stream():
                sink.add(chunk)
                await sink.flush()
            name, fields = request.query_params.get("name", ""), {}
            for key, most in TEXT_FIELDS.items():
                if key in request.query_params:
                    fields[key] = request.query_params[key][:most]
        else:
            raise UploadError(415, "not_audio", f"send the file as multipart/form-data (field 'file') or as a raw "
                                                f"audio body, not {kind or 'nothing'}")
        await sink.flush(force=True)
        sink.close()
    except BaseException:
        sink.close()
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    if sink.size == 0:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise UploadError(400, "empty", "the file is empty (0 bytes)")
    return ReceivedFile(path=path, size=sink.size, name=display_name(name), fields=fields)


async def _receive_multipart(request, content_type: str, sink: _Sink) -> tuple[str, dict[str, str]]:
    from python_multipart.exceptions import FormParserError
    from python_multipart.multipart import MultipartParser, parse_options_header

    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise UploadError(400, "bad_request", "multipart body without a boundary")

    state = {"header_name": b"", "header_value": b"", "disposition": b"", "target": None, "count": 0}
    fields: dict[str, bytearray] = {}
    found: dict[str, str] = {}

    def on_part_begin() -> None:
        state["disposition"] = b""
        state["target"] = None

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["header_name"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["header_value"] += data[start:end]

    def on_header_end() -> None:
        if state["header_name"].strip().lower() == b"content-disposition":
            state["disposition"] = state["header_value"]
        state["header_name"] = state["header_value"] = b""

    def on_headers_finished() -> None:
        _, options = parse_options_header(state["disposition"])
        field_name = options.get(b"name", b"").decode("utf-8", "replace")
        if field_name == "file" and b"filename" in options:
            if "file" in found:
                raise UploadError(400, "bad_request", "send one file per request (field 'file')")
            found["file"] = options[b"filename"].decode("utf-8", "replace")
            state["target"] = "file"
        elif field_name in TEXT_FIELDS and field_name not in fields:
            fields[field_name] = bytearray()
            state["target"] = field_name
        else:
            state["target"] = None  # other parts are read and dropped
        state["count"] += 1
        if state["count"] > 16:
            raise UploadError(400, "bad_request", "too many parts in the upload")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        target = state["target"]
        if target == "file":
            sink.add(data[start:end])
        elif target is not None:
            buffer = fields[target]
            if len(buffer) < 4 * TEXT_FIELDS[target]:
                buffer += data[start:end]

    callbacks = {"on_part_begin": on_part_begin, "on_part_data": on_part_data,
                 "on_header_field": on_header_field, "on_header_value": on_header_value,
                 "on_header_end": on_header_end, "on_headers_finished": on_headers_finished}
    parser = MultipartParser(boundary, callbacks)
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > sink.limit + MULTIPART_OVERHEAD:
                raise UploadError(413, "too_large", f"the upload is larger than the limit of "
                                                    f"{sink.limit / 1e6:.0f} MB")
            parser.write(chunk)
            await sink.flush()
        parser.finalize()
    except FormParserError as error:
        raise UploadError(400, "bad_request", f"malformed multipart body: {error}") from None
    if "file" not in found:
        raise UploadError(400, "no_file", "no file in the upload: send it in a form field named 'file'")
    text_fields = {k: v.decode("utf-8", "replace").strip()[:TEXT_FIELDS[k]] for k, v in fields.items()}
    return found["file"], text_fields
