"""``--unverified-weights``: an ECAPA-TDNN checkpoint that is not the published one (fine-tuned, trained on
other speech, or the random test checkpoint) through the command line, end to end.

Known answers: without the flag the scan stops (exit 2) and says how to proceed; with it the report and
profile.json carry the checkpoint's actual sha256, say that it is not verified and that the identity
calibration does not apply; a later scan judges new clips against that profile with the same weights,
and refuses it without the flag. The random checkpoint's similarities say nothing about voices, so only
the plumbing is asserted, not the verdicts.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from typer.testing import CliRunner

from voxaudit.cli import app
from voxaudit.report import load_report
from voxaudit.speaker.weights import (
    CALIBRATION_APPLIES, CALIBRATION_NOT_APPLICABLE, calibration_status, file_sha256, ge2e_weights_path,
    published_sha256, weights_published,
)

MAIN = "aishell-S0150"
OTHER = "aishell-S0252"


@pytest.fixture(scope="module")
def random_ecapa():
    from ecapa_fixture import ecapa_checkpoint

    folder = ecapa_checkpoint(0)
    return folder, hashlib.sha256((folder / "embedding_model.ckpt").read_bytes()).hexdigest()


def _scan(*args):
    return CliRunner().invoke(app, ["scan", *map(str, args), "--jobs", "1", "--lang", "en"])


def test_published_or_not():
    ecapa = "0575cb64845e6b9a10db9bcb74d5ac32b326b8dc90352671d345e2ee3d0126a2"
    assert published_sha256("ecapa") == ecapa and published_sha256("ecapa-norm") == ecapa
    assert weights_published("ecapa", ecapa) is True and calibration_status("ecapa", ecapa) == CALIBRATION_APPLIES
    assert weights_published("ecapa", "0" * 64) is False
    assert calibration_status("ecapa", "0" * 64) == CALIBRATION_NOT_APPLICABLE == "not applicable: unverified weights"
    assert weights_published("ecapa", None) is None and calibration_status("ecapa", None) == CALIBRATION_APPLIES
    assert published_sha256("nope") is None and weights_published("nope", ecapa) is None
    # The GE2E weights in this installation's resemblyzer wheel are the published ones.
    assert weights_published("ge2e", file_sha256(ge2e_weights_path(), memo=False)) is True


def test_without_the_flag_the_scan_stops_and_says_how_to_go_on(by_speaker, random_ecapa, tmp_path):
    folder, _ = random_ecapa
    result = _scan(*by_speaker[MAIN][:5], "--out", tmp_path, "--encoder", "ecapa", "--model-dir", folder, "--no-html")
    assert result.exit_code == 2
    words = " ".join(result.output.split())
    assert "is not the published speechbrain/spkrec-ecapa-voxceleb embedding_model.ckpt" in words
    assert "pass --unverified-weights" in words and "Traceback" not in result.output


def test_unverified_weights_end_to_end(by_speaker, random_ecapa, tmp_path):
    folder, sha = random_ecapa
    out = tmp_path / "audit"
    result = _scan(*by_speaker[MAIN][:8], "--out", out, "--encoder", "ecapa", "--model-dir", folder,
                   "--unverified-weights")
    assert result.exit_code == 0, result.output
    words = " ".join(result.output.split())
    assert words.count("are not the published speechbrain/spkrec-ecapa-voxceleb model") == 1  # one notice
    assert f"(sha256 {sha})" in words
    assert f"the ecapa identity calibration does not apply: these weights are not the published model " \
           f"(sha256 {sha[:12]}…" in words
    summary = load_report(out)["summary"]
    assert summary["encoder"] == "ecapa" and summary["encoder_weights_sha256"] == sha
    assert summary["encoder_weights_verified"] is False
    assert summary["identity_calibration"] == "not applicable: unverified weights"
    assert summary["consistent"] is not None and summary["identity_threshold"] is not None  # judged from the set
    profile = json.loads((out / "profile.json").read_text(encoding="utf-8"))
    assert profile["encoder"] == "ecapa" and profile["weights_sha256"] == sha and profile["dim"] == 192
    assert profile["weights_verified"] is False and profile["identity_calibration"] == summary["identity_calibration"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f"The ecapa identity calibration does not apply: these weights are not the published model " \
           f"(sha256 {sha[:12]}…" in html

    # Judge later clips against that profile: with the same (unverified) weights it works ...
    later = tmp_path / "later"
    result = _scan(*by_speaker[MAIN][8:10], by_speaker[OTHER][0], "--out", later, "--encoder", "ecapa",
                   "--model-dir", folder, "--unverified-weights", "--profile", out / "profile.json", "--no-html")
    assert result.exit_code == 0, result.output
    report = load_report(later)
    assert report["summary"]["judged_against"] == "profile"
    assert report["summary"]["encoder_weights_sha256"] == sha
    assert all(c["identity"] is not None and c["identity"]["similarity"] is not None for c in report["clips"])
    # ... and without the flag the weights are refused before anything is judged.
    result = _scan(by_speaker[MAIN][8], "--out", tmp_path / "refused", "--encoder", "ecapa", "--model-dir", folder,
                   "--profile", out / "profile.json", "--no-html")
    assert result.exit_code == 2 and "--unverified-weights" in " ".join(result.output.split())


def test_published_ge2e_weights_say_the_calibration_applies(by_speaker, tmp_path):
    result = _scan(*by_speaker[MAIN][:5], "--out", tmp_path, "--encoder", "ge2e", "--no-html")
    assert result.exit_code == 0, result.output
    summary = load_report(tmp_path)["summary"]
    assert summary["encoder_weights_verified"] is True and summary["identity_calibration"] == "applies"
    assert "calibration does not apply" not in result.output
    assert json.loads((tmp_path / "profile.json").read_text(encoding="utf-8"))["weights_verified"] is True


def test_serve_with_unverified_weights(by_speaker, random_ecapa, tmp_path):
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from voxaudit.serve import create_app

    folder, sha = random_ecapa

    def post(client, path):
        with open(path, "rb") as fh:
            return client.post("/api/takes", files={"file": (path.name, fh, "audio/wav")})

    app_ = create_app(tmp_path / "p", warm=False, encoder="ecapa", model_dir=str(folder), unverified_weights=True)
    with TestClient(app_) as client:
        body = post(client, by_speaker[MAIN][0]).json()
        summary = body["summary"]
        assert body["take"]["identity"] is not None
        assert summary["encoder_weights_sha256"] == sha and summary["encoder_weights_verified"] is False
        assert summary["identity_calibration"] == "not applicable: unverified weights"
        assert sum("are not the published" in n for n in summary["notices"]) == 1
    # Without the flag: voice match is off with the reason; signal checks go on.
    app_ = create_app(tmp_path / "q", warm=False, encoder="ecapa", model_dir=str(folder))
    with TestClient(app_) as client:
        body = post(client, by_speaker[MAIN][0]).json()
        assert body["take"]["identity"] is None and body["take"]["findings"]
        assert any("--unverified-weights" in n for n in body["summary"]["notices"])
