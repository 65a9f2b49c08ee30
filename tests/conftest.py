"""Shared fixtures: where the real speech lives, and a skip when it is absent."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEECH_DIR = Path(os.environ.get("VOXAUDIT_SPEECH_DIR", ROOT.parent / "shared" / "speech"))


def speech_manifest() -> list[dict]:
    """Rows of ../shared/speech/MANIFEST.csv, or skip the test when the folder is absent."""
    manifest = SPEECH_DIR / "MANIFEST.csv"
    if not manifest.is_file():
        pytest.skip(f"real speech not found at {SPEECH_DIR} (set VOXAUDIT_SPEECH_DIR)")
    with open(manifest, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="session")
def manifest() -> list[dict]:
    return speech_manifest()


@pytest.fixture(scope="session")
def speech_dir(manifest) -> Path:
    return SPEECH_DIR


@pytest.fixture(scope="session")
def by_speaker(manifest, speech_dir) -> dict[str, list[Path]]:
    """The clips of each speaker of ../shared/speech, in manifest order."""
    out: dict[str, list[Path]] = {}
    for row in manifest:
        out.setdefault(row["speaker_id"], []).append(speech_dir / row["path"])
    return out


@pytest.fixture(scope="module")
def isolated_cli(tmp_path_factory):
    """For CLI runs in this module: offline, a fresh user cache, no ECAPA-TDNN weights from the
    environment (``pytestmark = pytest.mark.usefixtures("isolated_cli")``)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg")))
        mp.delenv("VOXAUDIT_MODEL_DIR", raising=False)
        yield
