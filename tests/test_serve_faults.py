"""voxaudit serve under faults: damaged take records, a failing analysis, a server killed while storing,
the same take in other formats, a lower-rate session.

Known answers: a record with a wrong-shaped embedding or a string where a number belongs is reported and
rebuilt from its audio with the name, text and order it was uploaded with, and no endpoint answers 500;
a take whose judging fails is not kept and can be sent again; the same AISHELL take as WAV, FLAC, OGG
(Vorbis, Opus) and MP3 is one take, while other takes of the same digits by the same FSDD speaker (each
digit a separate recording, see ../shared/speech/MANIFEST.csv ``origin_path``) stay separate takes; a
clean take of a 16 kHz session is "keep", with its rate note.
"""

from __future__ import annotations

import copy
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
from fastapi.testclient import TestClient  # noqa: E402

from voxaudit.serve import create_app  # noqa: E402
from voxaudit.serve.records import RecordError, check_take, check_upload  # noqa: E402

SPEAKER = "aishell-S0150"
# Clips of SPEAKER whose only finding is low_sample_rate (16 kHz), and one with a second warning.
CLEAN = ["BAC009S0150W0009.wav", "BAC009S0150W0011.wav", "BAC009S0150W0013.wav", "BAC009S0150W0015.wav"]
SILENT = "BAC009S0150W0030.wav"  # low_sample_rate + too_much_silence


def _clip(speech_dir: Path, name: str) -> Path:
    return speech_dir / "aishell1" / SPEAKER / name


def _post(client, data: bytes, name: str, **fields):
    return client.post("/api/takes", files={"file": (name, data, "application/octet-stream")}, data=fields)


def _files(project: Path) -> list[str]:
    return sorted(p.name for p in (project / "takes").iterdir())


# -- the record schema, alone ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def base_project(tmp_path_factory, manifest, speech_dir):
    """Three takes with texts, embedded (GE2E), as the server writes them; copied by each test."""
    project = tmp_path_factory.mktemp("faults") / "base"
    app = create_app(project, warm=False, encoder="ge2e")
    with TestClient(app) as client:
        ids = []
        for k, name in enumerate(CLEAN[:3]):
            response = _post(client, _clip(speech_dir, name).read_bytes(), name, text=f"text {k}")
            assert response.status_code == 201, response.text
            ids.append(response.json()["take"]["id"])
    app.state.session.close()
    return project, ids


def _record(project: Path, take_id: str) -> dict:
    return json.loads((project / "takes" / f"{take_id}.json").read_text())


def test_written_records_pass_the_check(base_project):
    project, ids = base_project
    for take_id in ids:
        record = _record(project, take_id)
        assert check_take(record, take_id) is record
        upload = json.loads((project / "takes" / f"{take_id}.upload.json").read_text())
        assert check_upload(upload, take_id)["name"] == record["name"] and upload["text"] == record["text"]


MUTATIONS = {
    "embedding of the wrong length": (lambda r: r["embedding"].update(vector=r["embedding"]["vector"][:10]),
                                      "embedding"),
    "string in the embedding": (lambda r: r["embedding"]["vector"].__setitem__(3, "0.1"), "embedding.vector.3"),
    "embedding key not an object": (lambda r: r["embedding"].update(key=[1]), "embedding.key"),
    "duration as a string": (lambda r: r["metrics"].update(duration_s="3.5"), "duration_s"),
    "snr as a string": (lambda r: r["metrics"].update(snr_db="loud"), "snr_db"),
    "infinite-looking duration": (lambda r: r["metrics"].update(duration_s=1e300), "duration_s"),
    "fractional sample rate": (lambda r: r["metrics"].update(sample_rate=16000.5), "sample_rate"),
    "metric holding a list": (lambda r: r["metrics"].update(rt60_s=[0.3]), "metrics.rt60_s"),
    "seq as a string": (lambda r: r.update(seq="2"), "seq"),
    "seq as true": (lambda r: r.update(seq=True), "seq"),
    "text as a number": (lambda r: r.update(text=5), "text"),
    "picture as a list": (lambda r: r.update(picture=[1, 2]), "picture"),
    "picture silence not a pair": (lambda r: r["picture"].update(sil=[[0.1]]), "picture"),
    "file outside the take": (lambda r: r.update(file="../voxaudit-project.json"), "file"),
    "file of another take": (lambda r: r.update(file="0123456789ab.wav"), "file"),
    "fingerprint garbage": (lambda r: r.update(fingerprint={"version": 1, "data": "@@"}), "fingerprint"),
    "unknown format": (lambda r: r.update(format="voxaudit-take/9"), "format"),
}


@pytest.mark.parametrize("case", sorted(MUTATIONS))
def test_schema_names_the_problem(base_project, case):
    project, ids = base_project
    record = _record(project, ids[0])
    mutate, where = MUTATIONS[case]
    bad = copy.deepcopy(record)
    mutate(bad)
    with pytest.raises(RecordError, match=where.replace(".", r"\.")):
        check_take(bad, ids[0])
    with pytest.raises(RecordError, match="names take"):
        check_take(record, "0123456789ab")
    with pytest.raises(RecordError, match="not a JSON object"):
        check_take([record], ids[0])


# -- damaged records on disk: never a 500, repaired with name, text and order ------------------------------

DAMAGE = {
    "wrong-shaped embedding": lambda text: json.dumps(
        dict(json.loads(text), embedding=dict(json.loads(text)["embedding"],
                                              vector=json.loads(text)["embedding"]["vector"][:17]))),
    "string where a number belongs": lambda text: json.dumps(
        dict(json.loads(text), metrics=dict(json.loads(text)["metrics"], duration_s="3.508"))),
    "seq as a string": lambda text: json.dumps(dict(json.loads(text), seq="2")),
    "truncated": lambda text: text[: len(text) // 2],
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_damaged_record_is_reported_and_repaired(base_project, tmp_path, speech_dir, case):
    source, ids = base_project
    project = tmp_path / "p"
    shutil.copytree(source, project)
    damaged = ids[1]
    before = _record(project, damaged)
    path = project / "takes" / f"{damaged}.json"
    path.write_text(DAMAGE[case](path.read_text()))
    app = create_app(project, warm=False, encoder="ge2e")
    with TestClient(app, raise_server_exceptions=False) as client:
        for url in ("/api/takes", "/api/report", "/report/report.html", "/report/keep.list"):
            assert client.get(url).status_code == 200, url
        listing = client.get("/api/takes").json()
        # Not listed while it waits, and the listing says why.
        assert [t["id"] for t in listing["takes"]] == [ids[0], ids[2]]
        warning = next(w for w in listing["summary"]["warnings"] if w["take_id"] == damaged)
        assert warning["code"] == "record_damaged" and warning["name"] == before["name"]
        assert before["name"] in warning["message"] and listing["summary"]["n_pending_repair"] == 1
        assert client.get("/api/report").json()["summary"]["warnings"][0]["take_id"] == damaged
        # Adding a take works; the upload first repairs what waits (the server would at start-up too):
        # the damaged take is analysed again from its audio, with its upload's name, text and order.
        response = _post(client, _clip(speech_dir, CLEAN[3]).read_bytes(), CLEAN[3], text="text 3")
        assert response.status_code == 201, response.text
        new_id = response.json()["take"]["id"]
        assert app.state.session.repair() == []
        listing = client.get("/api/takes").json()
        assert [t["id"] for t in listing["takes"]] == [ids[0], damaged, ids[2], new_id]
        take = listing["takes"][1]
        assert (take["name"], take["text"], take["seq"], take["created"]) == \
            (before["name"], before["text"], before["seq"], before["created"])
        assert take["repaired"]["reason"].startswith("record_damaged")
        assert take["duration_s"] == pytest.approx(before["metrics"]["duration_s"])
        warning = next(w for w in listing["summary"]["warnings"] if w["take_id"] == damaged)
        assert warning["code"] == "repaired" and listing["summary"]["n_pending_repair"] == 0
        assert client.get("/api/report").status_code == 200
    app.state.session.close()
    # What is on disk reads back whole, and says it was repaired.
    record = check_take(_record(project, damaged), damaged)
    assert record["repaired"] and record["embedding"]["vector"] == pytest.approx(before["embedding"]["vector"], abs=1e-5)
    app = create_app(project, warm=False, encoder="ge2e")
    with TestClient(app) as client:
        listing = client.get("/api/takes").json()
        assert len(listing["takes"]) == 4 and listing["summary"]["warnings"] == []
        assert listing["takes"][1]["repaired"] is not None
    app.state.session.close()


def test_both_records_damaged_keeps_the_audio(base_project, tmp_path):
    source, ids = base_project
    project = tmp_path / "p"
    shutil.copytree(source, project)
    for suffix in (".json", ".upload.json"):
        (project / "takes" / f"{ids[0]}{suffix}").write_text("{")
    app = create_app(project, warm=False, identity=False)
    with TestClient(app) as client:
        app.state.session.repair()
        takes = client.get("/api/takes").json()
        # Nothing says its name, text or place any more: named after its file, placed last, and said so.
        assert [t["id"] for t in takes["takes"]] == [ids[1], ids[2], ids[0]]
        last = takes["takes"][-1]
        assert last["repaired"] and last["name"] == f"{ids[0]}.wav" and last["text"] is None
        warning = takes["summary"]["warnings"][0]
        assert warning["code"] == "repaired" and "name, text and place in the order are lost" in warning["detail"]
    app.state.session.close()


def test_project_from_before_upload_records_gets_them(base_project, tmp_path):
    source, ids = base_project
    project = tmp_path / "p"
    shutil.copytree(source, project)
    for take_id in ids:
        (project / "takes" / f"{take_id}.upload.json").unlink()
        record = _record(project, take_id)
        del record["fingerprint"]  # nor fingerprints
        (project / "takes" / f"{take_id}.json").write_text(json.dumps(record))
    app = create_app(project, warm=False, identity=False)
    with TestClient(app) as client:
        assert [t["id"] for t in client.get("/api/takes").json()["takes"]] == ids
        for k, take_id in enumerate(ids):
            upload = json.loads((project / "takes" / f"{take_id}.upload.json").read_text())
            assert upload["text"] == f"text {k}" and upload["seq"] == k + 1
        app.state.session.prepare()
        assert all("fingerprint" in _record(project, take_id) for take_id in ids)
    app.state.session.close()


# -- a killed server: each state between the steps of storing and deleting ----------------------------------

def test_states_left_by_a_killed_server(base_project, tmp_path):
    source, ids = base_project
    project = tmp_path / "p"
    shutil.copytree(source, project)
    takes = project / "takes"
    audio = {i: next(p.name for p in takes.iterdir() if p.name.startswith(i) and p.suffix == ".wav") for i in ids}
    # Killed after the upload record, before the audio moved in: nothing of it is kept.
    upload = json.loads((takes / f"{ids[0]}.upload.json").read_text())
    (takes / "aaaaaaaaaaaa.upload.json").write_text(json.dumps(dict(upload, id="aaaaaaaaaaaa",
                                                                    file="aaaaaaaaaaaa.wav", seq=9)))
    # Killed after the audio, before the analysis: analysed again with its upload's name and text.
    (takes / f"{ids[1]}.json").unlink()
    # Killed while deleting, after the audio went: the records go too.
    (takes / audio[ids[2]]).unlink()
    # Killed inside an atomic write: the temporary file is removed.
    (takes / f".{ids[0]}.json.abc123.tmp").write_text("{half")
    app = create_app(project, warm=False, identity=False)
    with TestClient(app) as client:
        summary = client.get("/api/takes").json()["summary"]
        codes = {w["take_id"]: w["code"] for w in summary["warnings"]}
        assert codes == {ids[1]: "record_missing", ids[2]: "audio_missing"}
        app.state.session.repair()
        listing = client.get("/api/takes").json()
        assert [(t["id"], t["name"], t["text"]) for t in listing["takes"]] == \
            [(ids[0], CLEAN[0], "text 0"), (ids[1], CLEAN[1], "text 1")]
        assert {w["take_id"]: w["code"] for w in listing["summary"]["warnings"]}[ids[1]] == "recovered"
    app.state.session.close()
    assert _files(project) == sorted(
        [audio[ids[0]], f"{ids[0]}.json", f"{ids[0]}.upload.json", audio[ids[1]], f"{ids[1]}.json",
         f"{ids[1]}.upload.json"])


def test_upload_sent_again_after_a_kill_is_not_doubled(base_project, tmp_path, speech_dir):
    """The client never got its answer and sends the take again before the start-up repair ran."""
    source, ids = base_project
    project = tmp_path / "p"
    shutil.copytree(source, project)
    (project / "takes" / f"{ids[1]}.json").unlink()  # killed between the audio and the analysis
    app = create_app(project, warm=False, identity=False)
    with TestClient(app) as client:
        response = _post(client, _clip(speech_dir, CLEAN[1]).read_bytes(), CLEAN[1], text="text 1")
        assert response.status_code == 409 and ids[1] in response.json()["detail"]
        assert [t["id"] for t in client.get("/api/takes").json()["takes"]] == ids
    app.state.session.close()


def test_take_that_no_longer_decodes_is_reported_and_can_be_deleted(base_project, tmp_path):
    source, ids = base_project
    project = tmp_path / "p"
    shutil.copytree(source, project)
    takes = project / "takes"
    audio = next(p for p in takes.iterdir() if p.name.startswith(ids[2]) and p.suffix == ".wav")
    audio.write_bytes(b"RIFF0000WAVEjunk" * 10)
    (takes / f"{ids[2]}.json").write_text("[]")
    app = create_app(project, warm=False, identity=False)
    with TestClient(app) as client:
        assert app.state.session.repair() == []
        summary = client.get("/api/takes").json()["summary"]
        warning = summary["warnings"][0]
        assert (warning["code"], warning["take_id"], warning["name"]) == ("repair_failed", ids[2], CLEAN[2])
        assert summary["n_pending_repair"] == 0 and summary["n_takes"] == 2
        assert audio.exists()  # left as it is: the user decides
        assert client.delete(f"/api/takes/{ids[2]}").status_code == 200
        assert not any(p.name.startswith(ids[2]) for p in takes.iterdir())
        assert client.get("/api/takes").json()["summary"]["warnings"] == []
    app.state.session.close()


# -- a failing analysis stores nothing -----------------------------------------------------------------

def test_take_is_not_kept_when_judging_fails(tmp_path, speech_dir, monkeypatch):
    project = tmp_path / "p"
    app = create_app(project, warm=False, identity=False)
    session = app.state.session
    real = session._judge
    calls = {"n": 0}

    def failing_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("judging broke")
        return real(*args, **kwargs)

    monkeypatch.setattr(session, "_judge", failing_once)
    data = _clip(speech_dir, CLEAN[0]).read_bytes()
    with TestClient(app, raise_server_exceptions=False) as client:
        response = _post(client, data, CLEAN[0])
        assert response.status_code == 500 and "not kept" in response.json()["detail"]
        assert _files(project) == [] and not any((project / ".scratch").iterdir())
        response = _post(client, data, CLEAN[0])  # sent again: accepted, not a duplicate
        assert response.status_code == 201, response.text
        assert len(client.get("/api/takes").json()["takes"]) == 1
    session.close()


# -- the same take in other formats -------------------------------------------------------------------

def _encode(x: np.ndarray, sr: int, fmt: str, subtype: str) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, x, sr, format=fmt, subtype=subtype)
    return buffer.getvalue()


def test_same_take_in_other_formats_is_one_take(tmp_path, speech_dir):
    path = _clip(speech_dir, CLEAN[0])
    x, sr = sf.read(path, dtype="float32")
    formats = [("FLAC", "PCM_16"), ("OGG", "VORBIS"), ("OGG", "OPUS")]
    if "MP3" in sf.available_formats():
        formats.append(("MP3", "MPEG_LAYER_III"))
    app = create_app(tmp_path / "p", warm=False, identity=False)
    with TestClient(app) as client:
        first = _post(client, path.read_bytes(), "take.wav")
        assert first.status_code == 201
        first_id = first.json()["take"]["id"]
        for fmt, subtype in formats:
            response = _post(client, _encode(x, sr, fmt, subtype), f"take.{fmt.lower()}")
            assert response.status_code == 409, (fmt, subtype, response.text)
            body = response.json()
            assert body["code"] == "duplicate" and first_id in body["detail"] and "same sound" in body["detail"]
        # Resampled to 48 kHz, stereo, 6 dB quieter: still the same take.
        y = np.stack([x, x], axis=1) * 0.5
        from voxaudit.resample import resample
        response = _post(client, _encode(resample(y, orig_sr=sr, target_sr=48000), 48000, "WAV", "PCM_24"), "t48.wav")
        assert response.status_code == 409
        assert len(client.get("/api/takes").json()["takes"]) == 1
    app.state.session.close()


def _fsdd_digits(manifest, speech_dir) -> dict:
    """speaker -> digit -> [recordings], cut from the fsdd_concat clips at their 120 ms digital silences."""
    found: dict = {}
    for row in manifest:
        if row["source"] != "fsdd_concat":
            continue
        x, sr = sf.read(speech_dir / row["path"], dtype="float32")
        zero = np.r_[0, (x == 0).astype(np.int8), 0]
        edges = np.flatnonzero(np.diff(zero))
        parts, start = [], 0
        for a, b in zip(edges[::2], edges[1::2]):
            if b - a >= int(0.1 * sr):
                parts.append(x[start:a])
                start = b
        parts.append(x[start:])
        origins = [o.rsplit("/", 1)[-1][:-4] for o in row["origin_path"].split(";")]
        assert len(parts) == len(origins) == 4, row["path"]
        for origin, part in zip(origins, parts):
            found.setdefault(row["speaker_id"], {}).setdefault(origin.split("_")[0], {})[origin] = part
    return found


def test_other_takes_of_the_same_words_stay_separate(tmp_path, manifest, speech_dir):
    """Same speaker, same digits, other recordings of each digit (equal length): two takes, not one."""
    digits = _fsdd_digits(manifest, speech_dir)
    gap = np.zeros(960, dtype=np.float32)
    app = create_app(tmp_path / "p", warm=False, identity=False)
    n_pairs = 0
    with TestClient(app) as client:
        for speaker, by_digit in sorted(digits.items()):
            several = sorted(d for d, recs in by_digit.items() if len(recs) >= 2)[:4]
            if len(several) < 3:
                continue
            takes = []
            for pick in (0, 1):
                parts = []
                for d in several:
                    parts += [by_digit[d][sorted(by_digit[d])[pick]], gap]
                takes.append(np.concatenate(parts[:-1]))
            n = max(len(t) for t in takes)
            for k, take in enumerate(takes):
                take = np.pad(take, (0, n - len(take)))
                response = _post(client, _encode(take, 8000, "WAV", "PCM_16"), f"{speaker}-{k}.wav")
                assert response.status_code == 201, (speaker, response.text)
            n_pairs += 1
        assert n_pairs >= 5
        assert len(client.get("/api/takes").json()["takes"]) == 2 * n_pairs
    app.state.session.close()


def test_fingerprint_separates_copies_from_other_takes(manifest, speech_dir):
    from voxaudit.audio import load_audio
    from voxaudit.resample import resample
    from voxaudit.serve.sameaudio import SAME_AUDIO_MIN_CORRELATION, Fingerprint, fingerprint, similarity

    def fp(data: bytes):
        audio = load_audio_bytes(data)
        return fingerprint(resample(audio.samples, orig_sr=audio.sample_rate, target_sr=16000),
                           duration_s=audio.duration_s)

    def load_audio_bytes(data: bytes):
        import tempfile
        with tempfile.NamedTemporaryFile(suffix=".bin") as tmp:
            tmp.write(data)
            tmp.flush()
            return load_audio(tmp.name)

    x, sr = sf.read(_clip(speech_dir, CLEAN[1]), dtype="float32")
    original = fp(_encode(x, sr, "WAV", "PCM_16"))
    assert Fingerprint.from_dict(json.loads(json.dumps(original.to_dict()))).cells.tolist() == original.cells.tolist()
    for fmt, subtype in [("OGG", "VORBIS"), ("OGG", "OPUS"), ("MP3", "MPEG_LAYER_III")]:
        assert similarity(original, fp(_encode(x, sr, fmt, subtype))) > 0.9, fmt
    # Other clips of the same speaker: far under the threshold.
    for name in CLEAN[2:]:
        y, _ = sf.read(_clip(speech_dir, name), dtype="float32")
        assert similarity(original, fp(_encode(y, sr, "WAV", "PCM_16"))) < SAME_AUDIO_MIN_CORRELATION - 0.3


# -- a lower-rate session ---------------------------------------------------------------------------------

def test_clean_take_of_a_16k_session_is_keep(tmp_path, speech_dir, manifest):
    app = create_app(tmp_path / "p", warm=False, identity=False)
    with TestClient(app) as client:
        first = _post(client, _clip(speech_dir, CLEAN[0]).read_bytes(), CLEAN[0]).json()
        take = first["take"]
        assert take["verdict"] == "keep"
        rate = next(f for f in take["findings"] if f["code"] == "low_sample_rate")
        assert rate["severity"] == "warning" and rate["set_wide"] is True and rate["hint"]
        assert [c["code"] for c in first["summary"]["set_wide"]] == ["low_sample_rate"]
        assert first["summary"]["set_wide"][0]["values"] == [16000.0]
        # A take with a problem of its own is still "check".
        other = _post(client, _clip(speech_dir, SILENT).read_bytes(), SILENT).json()["take"]
        assert other["verdict"] == "check"
        assert first["summary"]["verdicts"] == {"keep": 1, "check": 0, "re-record": 0}
        # A 48 kHz take joins: the rate is no longer the session's, so it counts on the 16 kHz takes.
        full = next(r for r in manifest if r["source"] == "vctk_48k")
        response = _post(client, (speech_dir / full["path"]).read_bytes(), "full.wav").json()
        assert response["summary"]["set_wide"] == []
        takes = {t["name"]: t for t in client.get("/api/takes").json()["takes"]}
        assert takes[CLEAN[0]]["verdict"] == "check"
        assert not any(f.get("set_wide") for f in takes[CLEAN[0]]["findings"])
    app.state.session.close()
