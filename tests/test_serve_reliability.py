"""``voxaudit serve`` killed (SIGKILL) while uploads arrive, then started again on the same project.

A real server process on a free loopback port, real speech from ../shared/speech sent by several
threads at once. Known answers after the restart: no half-written take on disk (every take has its
audio, its analysis and its upload record, and each analysis passes the schema check), the listing is
what is on disk (every take listed has its files; every take on disk is listed), every upload that was
answered 201 before the kill is listed, and sending every clip again adds exactly the ones missing
(the others are refused as duplicates of listed takes): nothing lost, nothing doubled.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")

from voxaudit.serve.records import check_take, check_upload  # noqa: E402
from voxaudit.serve.store import FAILPOINT_VARIABLE  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")]

N_CLIPS = 14
N_THREADS = 4
# Kill once this many uploads were answered (others are in flight then).
KILL_AFTER = 4
# The first server pauses this long between a take's audio and its analysis record (under the store's
# lock, so commits queue behind it): the kill lands inside that window, the worst moment.
PAUSE_S = 0.3
START_TIMEOUT_S = 60.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(project: Path, log: Path, pause_s: float = 0.0) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    command = [sys.executable, "-m", "voxaudit.cli", "serve", "--project", str(project), "--host", "127.0.0.1",
               "--port", str(port), "--no-identity", "--lang", "en"]
    env = dict(os.environ)
    env.pop(FAILPOINT_VARIABLE, None)
    if pause_s:
        env[FAILPOINT_VARIABLE] = str(pause_s)
    with open(log, "ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/api/health", timeout=1.0).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"server did not start in {START_TIMEOUT_S} s: {log.read_text()[-2000:]}")


def _half_stored(takes_dir: Path) -> list[str]:
    """Takes whose audio is in place and whose analysis record is not (yet)."""
    names = {p.name for p in takes_dir.iterdir()}
    return [n for n in names if n.rsplit(".", 1)[-1] in ("wav", "flac") and f"{n[:12]}.json" not in names]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _post(url: str, path: Path, timeout: float = 60.0) -> httpx.Response:
    with open(path, "rb") as fh:
        return httpx.post(f"{url}/api/takes", files={"file": (path.name, fh, "audio/wav")},
                          data={"text": f"text of {path.stem}"}, timeout=timeout)


def test_sigkill_during_concurrent_uploads(tmp_path, manifest, speech_dir):
    rows = [r for r in manifest if r["role"] == "main" and float(r["duration_s"]) < 6.0][:N_CLIPS]
    clips = [speech_dir / r["path"] for r in rows]
    assert len(clips) == N_CLIPS
    project, log = tmp_path / "project", tmp_path / "server.log"
    process, url = _start(project, log, pause_s=PAUSE_S)
    answered: dict[str, str] = {}  # clip name -> take id, for the uploads answered 201
    lock = threading.Lock()
    enough = threading.Event()

    def worker(share: list[Path]) -> None:
        for path in share:
            try:
                response = _post(url, path)
            except httpx.HTTPError:
                return  # the server is gone
            with lock:
                if response.status_code == 201:
                    answered[path.name] = response.json()["take"]["id"]
                if len(answered) >= KILL_AFTER:
                    enough.set()

    threads = [threading.Thread(target=worker, args=(clips[k::N_THREADS],)) for k in range(N_THREADS)]
    try:
        for thread in threads:
            thread.start()
        assert enough.wait(timeout=120), f"no {KILL_AFTER} answers: {log.read_text()[-2000:]}"
        # Kill (SIGKILL) while a take is half stored: its audio in takes/, its analysis not yet written.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _half_stored(project / "takes"):
            time.sleep(0.005)
        process.kill()
        process.wait(timeout=10)
        for thread in threads:
            thread.join(timeout=30)
        with lock:
            before_kill = dict(answered)
        assert KILL_AFTER <= len(before_kill) < N_CLIPS, "the kill should land while uploads are in flight"

        process, url = _start(project, log)
        # Wait until the takes left without an analysis are analysed again (the server does it at start).
        deadline = time.monotonic() + 60
        while True:
            listing = httpx.get(f"{url}/api/takes", timeout=10).json()
            if listing["summary"]["n_pending_repair"] == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert listing["summary"]["n_pending_repair"] == 0
        listed = {t["id"]: t for t in listing["takes"]}

        # No half-written take: every file in takes/ belongs to a listed take, which has all three.
        takes_dir = project / "takes"
        on_disk: dict[str, set] = {}
        for path in takes_dir.iterdir():
            assert not path.name.endswith(".tmp"), f"half-written file left: {path.name}"
            on_disk.setdefault(path.name[:12], set()).add(path.name[12:])
        assert set(on_disk) == set(listed), (sorted(on_disk), sorted(listed), listing["summary"]["warnings"])
        for take_id, take in listed.items():
            audio = take["file"].split("/", 1)[1]
            assert on_disk[take_id] == {audio[12:], ".json", ".upload.json"}
            record = check_take(json.loads((takes_dir / f"{take_id}.json").read_text()), take_id)
            upload = check_upload(json.loads((takes_dir / f"{take_id}.upload.json").read_text()), take_id)
            assert record["name"] == upload["name"] == take["name"] and take["text"] == f"text of {Path(take['name']).stem}"
        assert not any(p.suffix == ".part" for p in (project / ".scratch").iterdir())
        # Every upload answered before the kill is there, under its id.
        for name, take_id in before_kill.items():
            assert take_id in listed and listed[take_id]["name"] == name
        # The take killed half stored was analysed again, with its upload's name and text, and says so.
        recovered = [w for w in listing["summary"]["warnings"] if w["code"] == "recovered"]
        assert len(recovered) == 1 and recovered[0]["take_id"] in listed, listing["summary"]["warnings"]
        assert listed[recovered[0]["take_id"]]["repaired"]["reason"].startswith("record_missing")
        assert len(listing["summary"]["warnings"]) == 1
        assert httpx.get(f"{url}/api/report", timeout=60).status_code == 200

        # Sending every clip again adds exactly the missing ones: nothing lost, nothing doubled.
        names = {t["name"]: t["id"] for t in listed.values()}
        for path in clips:
            response = _post(url, path)
            if path.name in names:
                assert response.status_code == 409 and names[path.name] in response.json()["detail"]
            else:
                assert response.status_code == 201, response.text
        final = httpx.get(f"{url}/api/takes", timeout=10).json()["takes"]
        assert sorted(t["name"] for t in final) == sorted(p.name for p in clips)
    finally:
        _stop(process)
