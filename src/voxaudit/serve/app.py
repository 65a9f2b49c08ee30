"""The web app: the recording page and the JSON API under it (FastAPI; docs at ``/docs``).

Safe by default:

- uploads are streamed into the project's scratch folder and cut off at the size limit
  (:mod:`.upload`); only files that decode as audio become takes, stored under server-chosen names;
- no path sent by a client is ever opened: take ids and export names are matched against fixed
  patterns, and files are served only from the project's ``takes/`` and ``report/`` folders;
- analysis runs in worker threads, never on the event loop; one lock guards the project's state;
- on a loopback address the app answers only to ``localhost``/``127.0.0.1`` host names (no DNS
  rebinding), and a state-changing request from another web origin is refused (no cross-site uploads or
  deletions from a page the user happens to visit).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Iterable, Optional
from urllib.parse import urlsplit

from fastapi import FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from .. import __version__
from ..config import Config
from ..errors import ParameterError
from .session import EXPORTS, Session
from .strings import page_strings
from .upload import UploadError, receive_upload

log = logging.getLogger("voxaudit.serve")

ASSETS = Path(__file__).with_name("assets")
STATIC = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8"}
JS = "text/javascript; charset=utf-8"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")
Lang = Query(None, pattern="^(en|zh)$", description="Language of findings and hints (default: the server's).")


# -- response models (for the OpenAPI documentation; extra fields pass through) -------------------------

class Finding(BaseModel):
    model_config = ConfigDict(extra="allow")
    code: str = Field(description="e.g. low_snr, clipping, speaker_mismatch")
    severity: str = Field(description="error, warning or info")
    message: str = Field(description="what was measured, with the value")
    hint: str = Field(description="what to change in the recording")


class Take(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str = Field(description="server-chosen id, 12 hex digits")
    name: Optional[str] = Field(None, description="the file name as uploaded (display only)")
    created: Optional[str] = None
    duration_s: Optional[float] = None
    quality: float = Field(description="0-100 quality score")
    verdict: str = Field(description="keep, check (warnings) or re-record (an error or another voice)")
    findings: list[Finding]
    identity: Optional[dict[str, Any]] = Field(
        None, description="similarity, z, cluster, outlier, reason: the voice match against the session "
                          "(or the loaded profile); null until the take is embedded")
    metrics: dict[str, Any]
    repaired: Optional[dict[str, Any]] = Field(
        None, description="when the take's analysis record was rebuilt from its audio: at, reason")


class TakeDetail(Take):
    picture: Optional[dict[str, Any]] = Field(
        None, description="waveform envelope, silences, clipped stretches and spectrogram, as "
                          "voxaudit.report.plots.clip_picture_data returns them")


class Summary(BaseModel):
    model_config = ConfigDict(extra="allow")
    n_takes: int
    total_minutes: float
    usable_minutes: float
    n_voices: Optional[int] = None
    consistent: Optional[bool] = None
    verdicts: dict[str, int]
    set_wide: list[dict[str, Any]] = Field(
        [], description="source conditions every take shares (e.g. low_sample_rate of a 16 kHz session): "
                        "shown on each take with set_wide: true, said once here, and not held against "
                        "any take's verdict")
    warnings: list[dict[str, Any]] = Field(
        [], description="what the server found on disk and did about it: damaged or missing take records "
                        "(code record_damaged / record_missing while the take is analysed again, then "
                        "repaired / recovered, or repair_failed), audio_missing ...; each with take_id, name, "
                        "detail, at and message")
    n_pending_repair: int = Field(0, description="takes on disk waiting to be analysed again")


class TakeList(BaseModel):
    summary: Summary
    takes: list[Take]


class TakeCreated(BaseModel):
    take: TakeDetail
    summary: Summary


class Deleted(BaseModel):
    deleted: str
    summary: Summary


class Problem(BaseModel):
    code: str = Field(description="too_large, empty, not_audio, too_short, duplicate, not_found ...")
    detail: str


ERRORS = {400: {"model": Problem, "description": "empty or malformed upload"},
          409: {"model": Problem, "description": "the same audio is already a take"},
          413: {"model": Problem, "description": "over the upload size limit"},
          415: {"model": Problem, "description": "not audio that can be decoded"},
          422: {"model": Problem, "description": "audio too short to measure"}}
UPLOAD_BODY = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "one audio file"},
        "text": {"type": "string", "description": "transcript for keep.list (optional)"},
        "source": {"type": "string", "enum": ["upload", "microphone"]}}}},
    "audio/*": {"schema": {"type": "string", "format": "binary"}},
}}, "parameters": [{"name": "name", "in": "query", "required": False, "schema": {"type": "string"},
                    "description": "file name (raw audio bodies only; display only)"}]}


def problem(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"code": code, "detail": detail}, status_code=status)


def _host_of(value: str) -> str:
    host = urlsplit(f"//{value}").hostname or ""
    return host.lower()


# -- the app --------------------------------------------------------------------------------------------

def create_app(project_dir: str | os.PathLike, *, lang: str = "en", config: Optional[Config] = None,
               encoder: str = "auto", model_dir: Optional[str] = None, device: str = "auto",
               profile_path: Optional[str | os.PathLike] = None, max_upload_mb: float = 100.0,
               workers: int = 2, identity: bool = True, allowed_hosts: Optional[Iterable[str]] = None,
               warm: bool = True, unverified_weights: bool = False,
               script_path: Optional[str | os.PathLike] = None, list_lang: Optional[str] = None) -> FastAPI:
    """Build the app for one project folder.

    Parameters
    ----------
    project_dir : path-like
        The session's folder (created when missing; an existing session is resumed).
    lang : {'en', 'zh'}
        Default language of the page, findings and hints.
    config : Config, optional
        Thresholds.
    encoder, model_dir, device :
        Speaker encoder settings (as for ``voxaudit scan``); loaded once per process, lazily.
    profile_path : path-like, optional
        Judge takes against this ``profile.json`` (copied into the project).
    max_upload_mb : float
        Upload size limit in megabytes (10^6 bytes).
    workers : int
        Takes analysed at the same time.
    identity : bool
        Voice match on (default) or off.
    allowed_hosts : iterable of str, optional
        Host names the app answers to (``None``: any). ``voxaudit serve`` passes the loopback names when
        it binds to a loopback address.
    warm : bool
        Load the encoder and catch up on unfinished takes in the background at start-up.
    unverified_weights : bool
        Accept ECAPA-TDNN weights that are not the published checkpoint (``--unverified-weights``).
    script_path : path-like, optional
        A recording script (``script.txt``): the page shows the next sentence to read (serve/script.py).
    list_lang : str, optional
        Language code of the takes' list lines (default: the script's).

    Returns
    -------
    fastapi.FastAPI
        With ``app.state.session`` the :class:`~voxaudit.serve.session.Session`.
    """
    session = Session(project_dir, lang=lang, config=config, encoder=encoder, model_dir=model_dir,
                      device=device, profile_path=profile_path,
                      max_upload_bytes=int(float(max_upload_mb) * 1e6), workers=workers, identity=identity,
                      unverified_weights=unverified_weights, script_path=script_path, list_lang=list_lang)
    hosts = None if allowed_hosts is None else {h.lower().strip("[]") for h in allowed_hosts}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if warm:
            session.executor.submit(session.prepare)
        yield
        session.close()

    app = FastAPI(title="voxaudit serve", version=__version__, lifespan=lifespan,
                  description="Record or upload takes and get each one's quality, findings with hints, "
                              "pictures and voice match while the recording session goes on. The session "
                              "is a project folder on disk.")
    app.state.session = session

    @app.middleware("http")
    async def guard(request: Request, call_next):
        # Answer only to the expected host names, and refuse state changes from other web origins.
        if hosts is not None and _host_of(request.headers.get("host", "")) not in hosts:
            return problem(400, "bad_host", "unexpected Host header")
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            origin = request.headers.get("origin")
            # "null" too: a sandboxed frame of any page sends that.
            if origin and (origin == "null" or urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower()):
                return problem(403, "cross_origin", "requests from other web pages are refused")
        return await call_next(request)

    # -- page and assets ---------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index(lang: Optional[str] = Lang):
        return HTMLResponse(_index_html(session, lang or session.lang))

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon():
        return Response(status_code=204)

    @app.get("/assets/{name}", include_in_schema=False)
    async def asset(name: str):
        from ..report.html import asset_text, plotly_js

        if name == "plotly.min.js":
            # plotly.js from the installed plotly package (never a CDN), as the report inlines it.
            return Response(plotly_js(), media_type=JS, headers={"Cache-Control": "max-age=86400"})
        if name == "plots.js":
            # The clip pictures: the report's own drawing code (window.VoxauditPlots), shared.
            return Response(asset_text("plots.js"), media_type=JS, headers={"Cache-Control": "no-cache"})
        if name not in STATIC:
            return problem(404, "not_found", "no such asset")
        return FileResponse(ASSETS / name, media_type=STATIC[name], headers={"Cache-Control": "no-cache"})

    # -- takes -------------------------------------------------------------------------------------
    @app.get("/api/takes", response_model=TakeList, tags=["takes"],
             summary="Every take with its verdict, and the session's running verdict")
    async def list_takes(lang: Optional[str] = Lang):
        view = await run_in_threadpool(session.view, lang)
        return {"summary": view.summary, "takes": view.takes}

    @app.post("/api/takes", status_code=201, response_model=TakeCreated, responses=ERRORS, tags=["takes"],
              summary="Add a take: upload one audio file (multipart field 'file', or a raw audio body)",
              openapi_extra=UPLOAD_BODY)
    async def add_take(request: Request, lang: Optional[str] = Lang):
        try:
            received = await receive_upload(request, session.store.scratch_dir, limit=session.max_upload_bytes)
        except UploadError as error:
            return problem(error.status, error.code, error.message)
        try:
            record, view = await asyncio.wrap_future(session.executor.submit(session.add_upload, received, lang))
        except UploadError as error:
            return problem(error.status, error.code, error.message)
        except Exception as error:  # a bug, not the user's fault: say so, keep serving
            log.exception("analysis of %s failed", received.name)
            return problem(500, "analysis_failed", f"{type(error).__name__}: {error}; the take was not kept, "
                                                   f"send it again")
        finally:
            received.discard()  # no-op once the file was moved into takes/
        take = dict(view.take(record["id"]))
        take["picture"] = session.picture(record, take)
        return JSONResponse({"take": take, "summary": view.summary}, status_code=201)

    @app.get("/api/takes/{take_id}", response_model=TakeDetail, responses={404: {"model": Problem}}, tags=["takes"],
             summary="One take, with its waveform/spectrogram picture data")
    async def get_take(take_id: str, lang: Optional[str] = Lang):
        view = await run_in_threadpool(session.view, lang)
        take = view.take(take_id)
        record = session.store.get(take_id)
        if take is None or record is None:
            return problem(404, "not_found", "no such take")
        return {**take, "picture": session.picture(record, take)}

    @app.get("/api/takes/{take_id}/audio", responses={404: {"model": Problem}}, tags=["takes"],
             summary="The take's audio, as uploaded")
    async def take_audio(take_id: str):
        record = session.store.get(take_id)
        if record is None:
            return problem(404, "not_found", "no such take")
        return _audio_response(session, record)

    @app.delete("/api/takes/{take_id}", response_model=Deleted, responses={404: {"model": Problem}},
                tags=["takes"], summary="Delete a take (its audio and analysis)")
    async def delete_take(take_id: str, lang: Optional[str] = Lang):
        deleted = await run_in_threadpool(session.store.delete, take_id)
        if not deleted:
            return problem(404, "not_found", "no such take")
        view = await run_in_threadpool(session.view, lang)
        return {"deleted": take_id, "summary": view.summary}

    # -- report and downloads ----------------------------------------------------------------------
    @app.get("/api/report", tags=["report"],
             summary="The session's report.json (also written, with the other exports, to PROJECT/report/)")
    async def report(lang: Optional[str] = Lang):
        return JSONResponse(await run_in_threadpool(session.export, lang))

    @app.get("/report/{name}", tags=["report"], responses={404: {"model": Problem}},
             summary="Download an export: report.json, report.html, keep.list, rejected.list, clips.csv, "
                     "profile.json (and clips.parquet, which report.json points to above 20,000 takes)")
    async def export_file(name: str, lang: Optional[str] = Lang, download: bool = False):
        if name not in EXPORTS:
            return problem(404, "not_found", f"no such export; choose one of {sorted(EXPORTS)}")
        await run_in_threadpool(session.export, lang)
        path = session.store.report_dir / name
        if not path.is_file():
            return problem(404, "not_found", f"{name} is not written for this session yet")
        headers = {"Cache-Control": "no-store"}
        if download:
            headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return FileResponse(path, media_type=EXPORTS[name], headers=headers)

    @app.get("/takes/{file_name}", include_in_schema=False)
    async def take_file(file_name: str):
        # The report (PROJECT/report/report.html) links its audio as ../takes/<id>.<ext>.
        take_id = file_name.split(".", 1)[0]
        record = session.store.get(take_id)
        if record is None or record.get("file") != file_name:
            return problem(404, "not_found", "no such take")
        return _audio_response(session, record)

    # -- voice profile -----------------------------------------------------------------------------
    @app.get("/api/profile", tags=["profile"], summary="The voice profile takes are judged against, if any")
    async def get_profile():
        profile = session.profile
        return {"loaded": profile is not None, "error": session.profile_error,
                "profile": None if profile is None else {k: v for k, v in profile.to_dict().items() if k != "centroid"}}

    @app.put("/api/profile", tags=["profile"], responses={400: {"model": Problem}, 413: {"model": Problem}},
             summary="Judge takes against this profile.json (as written by voxaudit scan)")
    async def put_profile(request: Request):
        try:
            received = await receive_upload(request, session.store.scratch_dir, limit=1_000_000)
        except UploadError as error:
            return problem(error.status, error.code, error.message)
        try:
            await run_in_threadpool(session.load_profile, received.path)
        except ParameterError as error:
            return problem(400, "bad_profile", str(error))
        finally:
            received.discard()
        return await get_profile()

    @app.delete("/api/profile", tags=["profile"], summary="Judge takes against the session itself again")
    async def delete_profile():
        await run_in_threadpool(session.clear_profile)
        return await get_profile()

    @app.get("/api/script", tags=["script"],
             summary="The recording script: the next sentence to read, and takes without text")
    async def get_script(lang: Optional[str] = None):
        from .script import no_text_notice

        ui_lang = lang if lang in ("en", "zh") else session.lang
        with session.store.lock:
            texts = [r.get("text") for r in session.store.records()]
        state = session.script.state(texts, ui_lang) if session.script is not None else {"n_sentences": 0}
        state["n_without_text"] = sum(1 for t in texts if not (t or "").strip())
        state["no_text"] = no_text_notice(state["n_without_text"], ui_lang)
        return state

    @app.get("/api/health", tags=["server"], summary="Liveness and versions")
    async def health():
        return {"ok": True, "version": __version__, "project": str(session.store.root),
                "takes": len(session.store), "encoder": session.current_key(),
                "max_upload_bytes": session.max_upload_bytes}

    return app


def _audio_response(session: Session, record: dict) -> Response:
    path = session.store.audio_path(record)
    if not path.is_file():
        return problem(404, "not_found", "the take's audio is missing")
    media = {"wav": "audio/wav", "flac": "audio/flac", "ogg": "audio/ogg", "oga": "audio/ogg",
             "mp3": "audio/mpeg", "aiff": "audio/aiff"}.get(path.suffix[1:], "application/octet-stream")
    return FileResponse(path, media_type=media)


def _index_html(session: Session, lang: str) -> str:
    data = {
        "lang": lang,
        "strings": {code: page_strings(code) for code in ("en", "zh")},
        "maxUploadBytes": session.max_upload_bytes,
        "project": str(session.store.root),
        "identity": session.identity,
        "version": __version__,
    }
    blob = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e") \
        .replace("&", "\\u0026").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    html = (ASSETS / "index.html").read_text(encoding="utf-8")
    return html.replace("__VX_CONFIG__", blob).replace("__VX_LANG__", "zh-Hans" if lang == "zh" else "en")
