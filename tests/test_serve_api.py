"""voxaudit serve: the JSON API, with FastAPI's TestClient and real speech from ../shared/speech.

Known answers: the session's minutes are the sum of the uploaded clips' durations (MANIFEST.csv); six
takes of one speaker are one voice; a take of another speaker becomes an outlier with a
``speaker_mismatch`` error and is left out of keep.list; a clipped copy of a clean take gets a
``clipping`` finding; bad uploads are refused with the right status and leave nothing behind.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
from fastapi.testclient import TestClient  # noqa: E402

from voxaudit.serve import create_app  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")

MAIN_SPEAKER = "aishell-S0150"
INTRUDER_SOURCE = "vctk_48k"
N_MAIN = 6


def _rows(manifest, **where):
    return [r for r in manifest if all(r[k] == v for k, v in where.items())]


def _post(client, path: Path, name: str | None = None, **params):
    with open(path, "rb") as fh:
        return client.post("/api/takes", params=params,
                           files={"file": (name or path.name, fh, "audio/wav")})


def _scratch_empty(project: Path) -> bool:
    return not any((project / ".scratch").iterdir())


def _take_files(project: Path) -> list[str]:
    return sorted(p.name for p in (project / "takes").iterdir())


@pytest.fixture(scope="module")
def clips(manifest, speech_dir):
    main = _rows(manifest, speaker_id=MAIN_SPEAKER)[:N_MAIN]
    intruder = _rows(manifest, source=INTRUDER_SOURCE)[0]
    return {"main": [(speech_dir / r["path"], float(r["duration_s"])) for r in main],
            "intruder": (speech_dir / intruder["path"], float(intruder["duration_s"]))}


@pytest.fixture(scope="module")
def session(tmp_path_factory, clips):
    """A project with the main speaker's takes and one intruder, uploaded through the API."""
    project = tmp_path_factory.mktemp("serve") / "session"
    app = create_app(project, warm=False)
    with TestClient(app) as client:
        created = [_post(client, path) for path, _ in clips["main"]]
        intruder = _post(client, clips["intruder"][0])
        yield {"client": client, "app": app, "project": project, "created": created, "intruder": intruder}


# -- uploading real takes -----------------------------------------------------------------------------

def test_real_takes_are_analysed_and_stored(session, clips):
    for response, (path, duration) in zip(session["created"], clips["main"]):
        assert response.status_code == 201, response.text
        take = response.json()["take"]
        assert len(take["id"]) == 12 and all(c in "0123456789abcdef" for c in take["id"])
        assert take["name"] == path.name
        assert take["duration_s"] == pytest.approx(duration, abs=0.01)
        assert 0 <= take["quality"] <= 100
        assert take["verdict"] in ("keep", "check", "re-record")
        # 16 kHz AISHELL clips are under the guide's 44.1 kHz: a warning with its hint.
        codes = {f["code"]: f for f in take["findings"]}
        assert codes["low_sample_rate"]["severity"] == "warning" and codes["low_sample_rate"]["hint"]
        # Pictures for the page: waveform envelope, silences, spectrogram.
        picture = take["picture"]
        assert picture["dur"] == pytest.approx(duration, abs=0.01) and picture["sr"] == 16000
        assert picture["env"] and picture["spec"] and isinstance(picture["sil"], list)
        # The audio was stored under the server's name, byte for byte.
        stored = session["project"] / "takes" / f"{take['id']}.wav"
        assert stored.read_bytes() == path.read_bytes()
        assert (session["project"] / "takes" / f"{take['id']}.json").is_file()
    assert _scratch_empty(session["project"])


def test_voice_is_judged_once_enough_takes_exist(session):
    created = session["created"]
    # Under 5 takes: described, not judged.
    early = created[2].json()
    assert early["summary"]["n_voices"] is None
    assert early["take"]["identity"]["z"] is None and early["take"]["identity"]["outlier"] is False
    # From the 5th take on: one voice.
    fifth = created[4].json()
    assert fifth["summary"]["n_voices"] == 1 and fifth["summary"]["consistent"] is True
    assert fifth["take"]["identity"]["outlier"] is False


def test_intruder_is_flagged(session, clips):
    response = session["intruder"]
    assert response.status_code == 201, response.text
    body = response.json()
    take, summary = body["take"], body["summary"]
    assert take["identity"]["outlier"] is True
    assert take["findings"][0]["code"] == "speaker_mismatch" and take["findings"][0]["severity"] == "error"
    assert take["verdict"] == "re-record"
    assert summary["n_outliers"] == 1 and summary["consistent"] is False
    # The running verdict: minutes recorded are the clips' durations; usable excludes the intruder.
    total_s = sum(d for _, d in clips["main"]) + clips["intruder"][1]
    assert summary["total_minutes"] == pytest.approx(total_s / 60, abs=0.002)
    assert summary["usable_minutes"] == pytest.approx(sum(d for _, d in clips["main"]) / 60, abs=0.002)
    assert summary["verdicts"]["re-record"] == 1


def test_list_and_get(session):
    client = session["client"]
    body = client.get("/api/takes").json()
    assert [t["name"] for t in body["takes"]][:N_MAIN] == [r.json()["take"]["name"] for r in session["created"]]
    assert body["summary"]["n_takes"] == N_MAIN + 1
    assert all("picture" not in t for t in body["takes"])
    one = body["takes"][0]
    detail = client.get(f"/api/takes/{one['id']}").json()
    assert detail["id"] == one["id"] and detail["picture"]["nf"] > 0
    audio = client.get(f"/api/takes/{one['id']}/audio")
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
    assert client.get("/api/takes/0123456789ab").status_code == 404


def test_findings_in_chinese(session):
    body = session["client"].get("/api/takes", params={"lang": "zh"}).json()
    intruder = body["takes"][-1]
    messages = " ".join(f["message"] + f["hint"] for f in intruder["findings"])
    assert intruder["findings"][0]["code"] == "speaker_mismatch" and "音色" in messages
    assert any("采样率" in f["message"] for f in body["takes"][0]["findings"])
    assert session["client"].get("/api/takes", params={"lang": "fr"}).status_code == 422


def test_duplicate_is_refused(session, clips):
    response = _post(session["client"], clips["main"][0][0], name="again.wav")
    assert response.status_code == 409 and response.json()["code"] == "duplicate"
    assert _scratch_empty(session["project"])


def test_report_and_downloads(session):
    client, project = session["client"], session["project"]
    report = client.get("/api/report").json()
    assert report["schema"] == 1 and len(report["clips"]) == N_MAIN + 1
    intruder_id = session["intruder"].json()["take"]["id"]
    keep = client.get("/report/keep.list", params={"download": "1"})
    assert keep.status_code == 200 and "attachment" in keep.headers["content-disposition"]
    # Takes recorded without text are not trainable lines: each is a comment saying so, then its line.
    prefix = "# no text (run ASR or record from a script): "
    assert all(line.startswith(prefix) for line in keep.text.splitlines() if line)
    lines = [line[len(prefix):] for line in keep.text.splitlines() if line]
    # Every take of the main speaker, none of the intruder; absolute paths into the project.
    assert len(lines) == N_MAIN and not any(intruder_id in line for line in lines)
    for line in lines:
        path, speaker, _, _ = line.split("|")
        assert Path(path).parent == project.resolve() / "takes" and speaker == "session"
    rejected = client.get("/report/rejected.list").text
    assert intruder_id in rejected and "speaker_mismatch" in rejected
    html = client.get("/report/report.html")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    # The report links each take relative to itself, and the server serves that link.
    assert f"../takes/{intruder_id}.wav" in html.text
    assert client.get(f"/takes/{intruder_id}.wav").status_code == 200
    for name in ("report.json", "clips.csv", "keep.list", "rejected.list", "report.html", "profile.json"):
        assert (project / "report" / name).is_file()
    assert client.get("/report/secrets.txt").status_code == 404


def test_restart_loses_nothing(session):
    before = session["client"].get("/api/takes").json()
    app = create_app(session["project"], warm=False)
    with TestClient(app) as client:
        after = client.get("/api/takes").json()
        assert [t["id"] for t in after["takes"]] == [t["id"] for t in before["takes"]]
        for a, b in zip(after["takes"], before["takes"]):
            assert a["quality"] == b["quality"] and a["verdict"] == b["verdict"]
            assert a["identity"] == b["identity"]
        for key in ("n_takes", "total_minutes", "usable_minutes", "n_voices", "consistent", "n_outliers"):
            assert after["summary"][key] == before["summary"][key]
        take = after["takes"][0]
        assert client.get(f"/api/takes/{take['id']}/audio").status_code == 200


def test_openapi_documents_the_api(session):
    spec = session["client"].get("/openapi.json").json()
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths["/api/takes"])
    assert {"get", "delete"} <= set(paths["/api/takes/{take_id}"])
    assert "get" in paths["/api/report"]
    assert "multipart/form-data" in paths["/api/takes"]["post"]["requestBody"]["content"]
    assert session["client"].get("/docs").status_code == 200


def test_page_is_served_offline(session):
    client = session["client"]
    page = client.get("/")
    assert page.status_code == 200 and "vx-config" in page.text
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    plotly = client.get("/assets/plotly.min.js")
    assert plotly.status_code == 200 and len(plotly.content) > 1_000_000
    for name in ("app.js", "app.css", "plots.js"):
        assert client.get(f"/assets/{name}").status_code == 200
    assert client.get("/assets/..%2Fapp.py").status_code == 404


# -- deleting -----------------------------------------------------------------------------------------

def test_delete_take(tmp_path, clips):
    app = create_app(tmp_path / "p", warm=False, identity=False)
    with TestClient(app) as client:
        ids = [_post(client, path).json()["take"]["id"] for path, _ in clips["main"][:2]]
        response = client.delete(f"/api/takes/{ids[0]}")
        assert response.status_code == 200 and response.json()["summary"]["n_takes"] == 1
        assert not (tmp_path / "p" / "takes" / f"{ids[0]}.wav").exists()
        assert not (tmp_path / "p" / "takes" / f"{ids[0]}.json").exists()
        assert [t["id"] for t in client.get("/api/takes").json()["takes"]] == [ids[1]]
        assert client.delete(f"/api/takes/{ids[0]}").status_code == 404
        assert client.delete("/api/takes/..%2F..%2Fvoxaudit-project.json").status_code == 404
    assert (tmp_path / "p" / "voxaudit-project.json").is_file()


# -- bad uploads --------------------------------------------------------------------------------------

@pytest.fixture
def plain(tmp_path):
    """A project without the speaker encoder (signal checks only), and its folder."""
    project = tmp_path / "plain"
    app = create_app(project, warm=False, identity=False, max_upload_mb=0.5)
    with TestClient(app) as client:
        yield client, project


def test_text_file_named_wav_is_refused(plain, tmp_path):
    client, project = plain
    response = client.post("/api/takes", files={"file": ("take.wav", b"this is not audio at all\n" * 40, "audio/wav")})
    assert response.status_code == 415 and response.json()["code"] == "not_audio"
    assert str(project) not in response.json()["detail"]  # no server path in the message
    assert _take_files(project) == [] and _scratch_empty(project)


def test_empty_file_is_refused(plain):
    client, project = plain
    response = client.post("/api/takes", files={"file": ("empty.wav", b"", "audio/wav")})
    assert response.status_code == 400 and response.json()["code"] == "empty"
    assert _take_files(project) == [] and _scratch_empty(project)


def test_too_big_is_refused(plain, tmp_path):
    client, project = plain
    big = tmp_path / "big.wav"
    sf.write(big, np.zeros(300_000, dtype=np.int16), 16000, subtype="PCM_16")  # 600 kB > 0.5 MB
    response = _post(client, big)
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    # Streamed without a Content-Length: cut off while it arrives.
    def chunks():
        data = big.read_bytes()
        for start in range(0, len(data), 65536):
            yield data[start:start + 65536]
    response = client.post("/api/takes", params={"name": "big.wav"}, content=chunks(),
                           headers={"content-type": "audio/wav"})
    assert response.status_code == 413
    assert _take_files(project) == [] and _scratch_empty(project)


def test_too_short_and_wrong_type_are_refused(plain, tmp_path):
    client, project = plain
    short = tmp_path / "short.wav"
    sf.write(short, np.full(800, 0.1, dtype=np.float32), 16000)  # 0.05 s
    response = _post(client, short)
    assert response.status_code == 422 and response.json()["code"] == "too_short"
    response = client.post("/api/takes", json={"file": "x"})
    assert response.status_code == 415
    response = client.post("/api/takes", files={"other": ("a.wav", b"RIFF", "audio/wav")})
    assert response.status_code == 400 and response.json()["code"] == "no_file"
    assert _take_files(project) == [] and _scratch_empty(project)


def test_path_traversal_names_are_ignored(plain, clips, tmp_path):
    client, project = plain
    outside = project.parent
    before = sorted(p.name for p in outside.iterdir())
    for i, evil in enumerate(["../../evil.wav", "/etc/passwd", "..\\..\\evil2.wav"]):
        data = clips["main"][i][0].read_bytes()  # distinct takes (not duplicates)
        response = client.post("/api/takes", files={"file": (evil, data, "audio/wav")})
        assert response.status_code == 201, response.text
        take = response.json()["take"]
        assert "/" not in take["name"] and "\\" not in take["name"] and ".." not in take["name"]
        assert take["file"] == f"takes/{take['id']}.wav"
    assert sorted(p.name for p in outside.iterdir()) == before
    assert not Path("/etc/evil.wav").exists()
    # Raw body with a hostile name.
    response = client.post("/api/takes", params={"name": "../../../x.wav"}, content=clips["main"][3][0].read_bytes(),
                           headers={"content-type": "audio/wav"})
    assert response.status_code == 201 and response.json()["take"]["name"] == "x.wav"
    assert len([n for n in _take_files(project) if n.endswith(".wav")]) == 4
    # Nothing outside the project can be read through the take or export routes.
    for url in ("/takes/..%2Fvoxaudit-project.json", "/takes/../voxaudit-project.json",
                "/api/takes/..%2F..%2Fetc%2Fpasswd/audio", "/report/..%2Ftakes", "/report/%2Fetc%2Fpasswd"):
        assert client.get(url).status_code == 404, url


def test_degraded_take_gets_its_findings(plain, clips, tmp_path):
    client, _ = plain
    x, sr = sf.read(clips["main"][1][0], dtype="float32")
    clipped = tmp_path / "clipped.wav"
    sf.write(clipped, np.clip(x * (1.0 / np.max(np.abs(x))) * 4.0, -1.0, 1.0), sr, subtype="PCM_16")
    take = _post(client, clipped).json()["take"]
    codes = {f["code"]: f["severity"] for f in take["findings"]}
    assert codes.get("clipping") == "error" and take["verdict"] == "re-record"
    assert take["picture"]["clip"], "clipped stretches are marked on the waveform"


def test_concurrent_uploads(tmp_path, clips):
    import httpx

    project = tmp_path / "concurrent"
    app = create_app(project, warm=False, identity=False, workers=2)

    async def run():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            async def one(path):
                return await client.post("/api/takes", files={"file": (path.name, path.read_bytes(), "audio/wav")})
            return await asyncio.gather(*(one(path) for path, _ in clips["main"][:4]))

    responses = asyncio.run(run())
    assert [r.status_code for r in responses] == [201] * 4
    ids = {r.json()["take"]["id"] for r in responses}
    assert len(ids) == 4
    records = [json.loads((project / "takes" / f"{i}.json").read_text()) for i in ids]
    assert sorted(r["seq"] for r in records) == [1, 2, 3, 4]
    app.state.session.close()


def test_orphan_audio_is_recovered(tmp_path, clips):
    project = tmp_path / "orphans"
    app = create_app(project, warm=False, identity=False)
    with TestClient(app):
        pass
    shutil.copy(clips["main"][0][0], project / "takes" / "00000000abcd.wav")  # killed before its record
    (project / "takes" / "ffffffffffff.json").write_text("{broken")          # torn record: skipped
    app = create_app(project, warm=False, identity=False)
    with TestClient(app) as client:
        app.state.session.prepare()
        takes = client.get("/api/takes").json()["takes"]
        assert [t["id"] for t in takes] == ["00000000abcd"] and takes[0]["source"] == "recovered"


def test_host_and_origin_guard(tmp_path, clips):
    app = create_app(tmp_path / "guard", warm=False, identity=False, allowed_hosts=["127.0.0.1", "localhost"])
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        assert client.get("/api/health").status_code == 200
        assert client.get("/api/health", headers={"host": "evil.example"}).status_code == 400
        with open(clips["main"][0][0], "rb") as fh:
            response = client.post("/api/takes", files={"file": ("a.wav", fh, "audio/wav")},
                                   headers={"origin": "http://evil.example"})
        assert response.status_code == 403
        with open(clips["main"][0][0], "rb") as fh:
            response = client.post("/api/takes", files={"file": ("a.wav", fh, "audio/wav")},
                                   headers={"origin": "http://127.0.0.1:8765"})
        assert response.status_code == 201


def test_profile_judges_new_takes(session, tmp_path, clips):
    """A profile saved from the first session judges a new session's takes from the first one on."""
    profile = session["project"] / "report" / "profile.json"
    session["client"].get("/api/report")
    app = create_app(tmp_path / "with-profile", warm=False, profile_path=profile)
    with TestClient(app) as client:
        main = _post(client, clips["main"][0][0]).json()
        assert main["summary"]["judged_against"] == "profile" and main["summary"]["n_voices"] == 1
        assert main["take"]["identity"]["outlier"] is False and main["take"]["identity"]["z"] is not None
        intruder = _post(client, clips["intruder"][0]).json()
        assert intruder["take"]["identity"]["outlier"] is True
        # Not a profile: refused, and the loaded one stays.
        response = client.put("/api/profile", files={"file": ("p.json", b'{"format": "nope"}', "application/json")})
        assert response.status_code == 400 and response.json()["code"] == "bad_profile"
        assert client.get("/api/profile").json()["loaded"] is True
        assert client.delete("/api/profile").json()["loaded"] is False
        assert client.get("/api/takes").json()["summary"]["judged_against"] == "set"


@pytest.mark.parametrize("fmt, subtype, ext", [("FLAC", "PCM_16", "flac"), ("OGG", "OPUS", "ogg"),
                                               ("MP3", "MPEG_LAYER_III", "mp3")])
def test_other_formats_are_decoded_not_trusted_by_name(plain, clips, tmp_path, fmt, subtype, ext):
    """The stored extension follows what the bytes decode as, not the name the client sent."""
    client, project = plain
    x, sr = sf.read(clips["main"][2][0], dtype="float32")
    path = tmp_path / f"take.{ext}"
    sf.write(path, x, sr, format=fmt, subtype=subtype)
    response = client.post("/api/takes", files={"file": ("misnamed.wav", path.read_bytes(), "audio/wav")})
    assert response.status_code == 201, response.text
    take = response.json()["take"]
    assert take["file"] == f"takes/{take['id']}.{ext}" and take["format"] == fmt
    assert take["duration_s"] == pytest.approx(len(x) / sr, abs=0.1)


def test_takes_embedded_by_another_encoder_are_embedded_again(tmp_path, clips):
    project = tmp_path / "reembed"
    app = create_app(project, warm=False)
    with TestClient(app) as client:
        ids = [_post(client, path).json()["take"]["id"] for path, _ in clips["main"][:2]]
    # As if the first take had been embedded with other weights: not comparable any more.
    record_path = project / "takes" / f"{ids[0]}.json"
    record = json.loads(record_path.read_text())
    good = record["embedding"]["vector"]
    record["embedding"]["key"]["weights_sha256"] = "0" * 64
    record_path.write_text(json.dumps(record))
    app = create_app(project, warm=False)
    with TestClient(app) as client:
        app.state.session.encoder()
        first = client.get("/api/takes").json()["takes"][0]
        assert first["identity"] is None  # no embedding of the current encoder yet
        app.state.session.prepare()
        first = client.get("/api/takes").json()["takes"][0]
        assert first["identity"] is not None
        again = json.loads(record_path.read_text())["embedding"]["vector"]
        assert np.dot(again, good) == pytest.approx(1.0, abs=1e-4)


def test_sandboxed_origin_is_refused(plain, clips):
    client, _ = plain
    with open(clips["main"][0][0], "rb") as fh:
        response = client.post("/api/takes", files={"file": ("a.wav", fh, "audio/wav")}, headers={"origin": "null"})
    assert response.status_code == 403
    assert client.delete("/api/takes/0123456789ab", headers={"origin": "http://evil.example"}).status_code == 403


def test_missing_encoder_weights_keep_signal_checks(tmp_path, clips):
    """ECAPA asked for where its weights are absent: voice match is off (said once), takes still judged."""
    from voxaudit.speaker import WeightsNotFoundError, locate_ecapa

    try:
        locate_ecapa(tmp_path, allow_download=False)
        pytest.skip("ECAPA-TDNN weights are installed here")
    except WeightsNotFoundError:
        pass
    app = create_app(tmp_path / "p", warm=False, encoder="ecapa", model_dir=str(tmp_path))
    with TestClient(app) as client:
        response = _post(client, clips["main"][0][0])
        assert response.status_code == 201
        body = response.json()
        assert body["take"]["identity"] is None and body["take"]["findings"]
        assert any("voice match is off" in n for n in body["summary"]["notices"])
        assert body["summary"]["identity"] is False


def test_one_server_per_project(tmp_path):
    from voxaudit.errors import ParameterError
    from voxaudit.serve import is_loopback, project_lock

    with project_lock(tmp_path / "p"):
        with pytest.raises(ParameterError, match="already served"):
            with project_lock(tmp_path / "p"):
                pass
    with project_lock(tmp_path / "p"):  # released
        pass
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("[::1]")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")


def test_a_session_of_two_voices_gets_the_scan_verdict(tmp_path, manifest, speech_dir):
    """Five takes of a woman (ls533) and five of a man (ls1688): the session reads 2 voices, in the
    same words as the scan's report, and every take of the second voice is to be re-recorded."""
    app = create_app(tmp_path / "two", warm=False)
    by = {s: [speech_dir / r["path"] for r in _rows(manifest, speaker_id=s)[:5]] for s in ("ls533", "ls1688")}
    with TestClient(app) as client:
        for a, b in zip(by["ls533"], by["ls1688"]):
            _post(client, a)
            last = _post(client, b)
        summary = last.json()["summary"]
    assert summary["n_voices"] == 2 and summary["consistent"] is False
    assert [v["n_clips"] for v in summary["voices"]] == [5, 5]
    assert summary["identity_verdict"].startswith("2 voices: 5 clips (") or summary["identity_verdict"].startswith("2 种音色")
    assert summary["verdicts"]["re-record"] >= 5
