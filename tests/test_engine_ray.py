"""The Ray engine (``voxaudit scan --engine ray``) on real speech, GE2E, against the local engine.

Known answers: the same clips, metrics, findings, quality and verdicts as the local engine, embeddings
within cosine 0.9999; a re-run measures and embeds nothing again; a wrong address is a clear usage
error at once; and on a two-node cluster on loopback (``ray start --head`` + ``ray start --address``), a
measuring worker killed mid-scan loses no clip and counts none twice.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from voxaudit.cli import app

ray = pytest.importorskip("ray", reason='Ray is not installed (pip install "voxaudit[ray]")')

pytestmark = [pytest.mark.speech, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
SPEAKERS = {"aishell-S0150": 10, "vctk-p226": 4, "lj": 3}


@pytest.fixture(scope="module", autouse=True)
def _offline_and_isolated(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg")))
        mp.setenv("RAY_USAGE_STATS_ENABLED", "0")
        mp.delenv("VOXAUDIT_MODEL_DIR", raising=False)
        mp.delenv("RAY_ADDRESS", raising=False)
        yield


@pytest.fixture(scope="module")
def folder(manifest, speech_dir, tmp_path_factory):
    """17 clips of three speakers (links into ../shared/speech)."""
    root = tmp_path_factory.mktemp("takes")
    by: dict[str, list[dict]] = {}
    for row in manifest:
        by.setdefault(row["speaker_id"], []).append(row)
    for speaker, n in SPEAKERS.items():
        for row in by[speaker][:n]:
            os.symlink(speech_dir / row["path"], root / f"{speaker}-{Path(row['path']).name}")
    return root


def scan(folder: Path, out: Path, *extra: str) -> dict:
    result = CliRunner().invoke(app, ["scan", str(folder), "--out", str(out), "--encoder", "ge2e", "--jobs", "2",
                                      "--no-html", "-q", "--lang", "en", "--save-embeddings", *extra])
    assert result.exit_code == 0, result.output
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def local(folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    return out, scan(folder, out)


def assert_same_answers(ray_out: Path, ray_report: dict, local_out: Path, local_report: dict) -> None:
    by_path = {c["path"]: c for c in local_report["clips"]}
    assert [c["path"] for c in ray_report["clips"]] == [c["path"] for c in local_report["clips"]]
    for clip in ray_report["clips"]:
        twin = by_path[clip["path"]]
        assert clip["metrics"] == twin["metrics"]
        assert [(f["code"], f["severity"]) for f in clip["findings"]] == \
            [(f["code"], f["severity"]) for f in twin["findings"]]
        assert clip["quality"] == twin["quality"]
        assert clip["identity"]["outlier"] == twin["identity"]["outlier"]
        assert clip["identity"]["voice"] == twin["identity"]["voice"]
        assert clip["identity"]["similarity"] == pytest.approx(twin["identity"]["similarity"], abs=1e-4)
    for key in ("n_clips", "n_voices", "consistent", "n_outliers", "usable_minutes", "reference"):
        assert ray_report["summary"][key] == local_report["summary"][key], key
    a = np.load(ray_out / "embeddings.npz")
    b = np.load(local_out / "embeddings.npz")
    assert a["paths"].tolist() == b["paths"].tolist()
    cos = np.sum(a["embeddings"] * b["embeddings"], axis=1) / (
        np.linalg.norm(a["embeddings"], axis=1) * np.linalg.norm(b["embeddings"], axis=1))
    assert cos.min() >= 0.9999


def test_local_ray_instance_gives_the_local_answers(folder, local, tmp_path):
    local_out, local_report = local
    out = tmp_path / "ray"
    report = scan(folder, out, "--engine", "ray")
    assert report["summary"]["engine"]["name"] == "ray" and report["summary"]["engine"]["actors"] >= 1
    assert report["summary"]["n_voices"] == 3  # the set is three people, whichever engine says it
    assert_same_answers(out, report, local_out, local_report)
    # A re-run into the same folder measures and embeds nothing again.
    again = scan(folder, out, "--engine", "ray")
    assert again["summary"]["measurements_reused"] == len(report["clips"])
    assert again["summary"]["cache_hits"] == len(report["clips"]) and again["summary"]["embedded"] == 0
    assert_same_answers(out, again, local_out, local_report)


def test_wrong_address_is_a_clear_error_at_once(folder, tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    result = CliRunner().invoke(app, ["scan", str(folder), "--out", str(tmp_path / "out"), "--engine", "ray",
                                      "--ray-address", f"127.0.0.1:{port}", "-q"])
    assert result.exit_code == 2
    assert f"cannot reach the Ray cluster at 127.0.0.1:{port}" in result.output
    assert time.monotonic() - start < 30  # not Ray's own two-minute wait
    assert not (tmp_path / "out" / "report.json").exists()


# -- a two-node cluster on this machine ---------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pids_with(marker: str) -> list[int]:
    """Processes whose command line contains ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                if marker.encode() in fh.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


@pytest.fixture
def cluster(tmp_path):
    """A head node and a second node on 127.0.0.1, one CPU each, torn down by their own session dir."""
    ray_bin = Path(sys.executable).with_name("ray")
    if not ray_bin.exists():
        pytest.skip("the `ray` command is not installed beside this Python")
    temp = Path("/tmp") / f"vx-ray-{os.getpid()}-{_free_port()}"  # short: Ray's socket paths have a limit
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    common = ["--num-cpus", "1", "--node-ip-address", "127.0.0.1", "--disable-usage-stats"]
    try:
        subprocess.run([str(ray_bin), "start", "--head", "--port", str(port), "--temp-dir", str(temp),
                        "--include-dashboard", "false", *common], check=True, env=env, capture_output=True,
                       timeout=120)
        subprocess.run([str(ray_bin), "start", "--address", f"127.0.0.1:{port}", *common], check=True,
                       env=env, capture_output=True, timeout=120)
        yield f"127.0.0.1:{port}"
    finally:
        for pid in _pids_with(str(temp)) + _pids_with(f"127.0.0.1:{port}"):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        shutil.rmtree(temp, ignore_errors=True)


def test_two_node_cluster_survives_a_killed_worker(folder, local, cluster, tmp_path):
    local_out, local_report = local
    killed: list[int] = []
    stop = threading.Event()

    def kill_one_measuring_worker():
        # Ray names a worker process after the task it runs: kill the first one seen measuring.
        while not stop.is_set() and not killed:
            for pid in _pids_with("ray::_measure"):
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    break
                except OSError:
                    continue
            stop.wait(0.05)

    killer = threading.Thread(target=kill_one_measuring_worker, daemon=True)
    killer.start()
    out = tmp_path / "cluster"
    try:
        report = scan(folder, out, "--engine", "ray", "--ray-address", cluster)
    finally:
        stop.set()
        killer.join(timeout=5)
    assert killed, "no measuring worker was seen to kill"
    assert report["summary"]["engine"]["nodes"] == 2
    # No clip lost, none counted twice, the same answers as on one machine.
    paths = [c["path"] for c in report["clips"]]
    assert len(paths) == len(set(paths)) == sum(SPEAKERS.values())
    assert not any(f["code"] == "unreadable" for c in report["clips"] for f in c["findings"])
    assert report["summary"]["embedded"] == len(paths)
    assert_same_answers(out, report, local_out, local_report)
