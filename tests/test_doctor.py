"""``voxaudit doctor``: each check's known answers on this installation and on simulated broken ones.

The broken installs are simulated at the doctor's import seam (``doctor._import_module``) with the
errors seen in the wild: torchaudio 2.11.1 beside torch 2.11.0 raises ``OSError: .../libtorchaudio.so:
undefined symbol: torch_exception_get_what_without_backtrace``.
"""

from __future__ import annotations

import json
import re
import string
import types
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voxaudit import doctor
from voxaudit.cli import app
from voxaudit.doctor_strings import DETAILS, HINTS, LABELS, PURPOSES, STATUS, SUMMARY

ROOT = Path(__file__).resolve().parents[1]
SYMBOL = "torch_exception_get_what_without_backtrace"
LIBRARY = "/venv/lib/python3.11/site-packages/torchaudio/lib/libtorchaudio.so"
WILD_ERROR = f"{LIBRARY}: undefined symbol: {SYMBOL}"


def _wild_chained() -> OSError:
    """What torchaudio 2.11.1 raises beside torch 2.11.0: its own message, raised from the loader's."""
    try:
        try:
            raise OSError(WILD_ERROR)
        except OSError as cause:
            raise OSError(f"Could not load this library: {LIBRARY}") from cause
    except OSError as error:
        return error
GE2E_SHA = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"


def _broken(monkeypatch, **errors):
    """Make ``doctor._import_module(name)`` raise ``errors[name]`` (or return a fake module)."""
    real = doctor._import_module

    def fake(name):
        if name in errors:
            value = errors[name]
            if isinstance(value, BaseException):
                raise value
            return value
        return real(name)

    monkeypatch.setattr(doctor, "_import_module", fake)


def _torch_base() -> str:
    import torch

    return torch.__version__.split("+")[0]


# -- the pins --------------------------------------------------------------------------------------------

def test_tested_torch_is_the_pair_pinned_in_pyproject():
    pyproject = ROOT / "pyproject.toml"
    if not pyproject.is_file():
        pytest.skip("not a source checkout")
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    deps = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    assert f"torch=={doctor.TESTED_TORCH}" in deps and f"torchaudio=={doctor.TESTED_TORCH}" in deps


# -- torchaudio, the fault seen in the wild ---------------------------------------------------------------

@pytest.mark.parametrize("raised", [OSError(WILD_ERROR), _wild_chained()], ids=["plain", "chained"])
def test_broken_torchaudio_names_the_symbol_and_the_fix(monkeypatch, raised):
    _broken(monkeypatch, torchaudio=raised)
    torch_check = doctor.check_torch()
    check = doctor.check_torchaudio(torch_check)
    assert check.status == "fail"
    assert check.data["undefined_symbol"] == SYMBOL and check.data["library"] == "libtorchaudio.so"
    status, label, detail, hint = doctor.render(check, "en")
    assert status == "FAIL" and label == "torchaudio"
    assert SYMBOL in detail and "libtorchaudio.so" in detail and torch_check.data["version"] in detail
    assert f"pip install torchaudio=={_torch_base()}" in hint
    assert f"torch=={doctor.TESTED_TORCH} torchaudio=={doctor.TESTED_TORCH}" in hint
    local = torch_check.data["version"].partition("+")[2]
    if local:  # a local build tag (+cu130, +cpu) sends pip to the index that has the matching build
        assert f"--index-url https://download.pytorch.org/whl/{local}" in hint
    status, _, detail, hint = doctor.render(check, "zh")
    assert status == "失败" and "未定义符号" in detail and SYMBOL in detail
    assert f"pip install torchaudio=={_torch_base()}" in hint
    # The forward pass that needs it is not attempted, and says why.
    ecapa = doctor.check_ecapa_forward("cpu", [torch_check, check])
    assert ecapa.status == "fail" and doctor.render(ecapa)[2] == "not run: it depends on torchaudio, which failed above"


def test_broken_torchaudio_fails_the_doctor_command(monkeypatch):
    _broken(monkeypatch, torchaudio=_wild_chained())
    result = CliRunner().invoke(app, ["doctor", "--json", "--lang", "en"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert list(report) == list(doctor.CHECK_NAMES)
    for entry in report.values():
        assert set(entry) == {"status", "detail", "hint", "data"} and entry["status"] in doctor.STATUSES
        assert (entry["hint"] is None) == (entry["status"] == "ok")
    assert report["torchaudio"]["status"] == "fail" and SYMBOL in report["torchaudio"]["detail"]
    assert f"pip install torchaudio=={_torch_base()}" in report["torchaudio"]["hint"]
    assert report["ecapa_forward"]["status"] == "fail"
    assert report["torch"]["status"] in ("ok", "warning") and report["decode_wav"]["status"] == "ok"
    # The same in words, in Chinese.
    result = CliRunner().invoke(app, ["doctor", "--lang", "zh"])
    assert result.exit_code == 1
    line = next(line for line in result.stdout.splitlines() if line.startswith("失败") and "torchaudio" in line)
    assert "无法与 torch" in line
    assert "个失败" in result.stdout.splitlines()[-1]


def test_torchaudio_not_installed_other_oserror_and_a_mismatched_pair_that_loads(monkeypatch):
    torch_check = doctor.check_torch()
    _broken(monkeypatch, torchaudio=ModuleNotFoundError("No module named 'torchaudio'", name="torchaudio"))
    check = doctor.check_torchaudio(torch_check)
    assert check.status == "fail" and check.detail.key == "not_installed"
    assert f"pip install torchaudio=={_torch_base()}" in doctor.render(check)[3]

    _broken(monkeypatch, torchaudio=OSError("libc10.so: cannot open shared object file: No such file or directory"))
    check = doctor.check_torchaudio(torch_check)
    assert check.status == "fail" and check.detail.key == "torchaudio_oserror"
    assert "libc10.so: cannot open shared object file" in doctor.render(check)[2]

    _broken(monkeypatch, torchaudio=types.SimpleNamespace(__version__="2.10.0"))
    check = doctor.check_torchaudio(torch_check)
    assert check.status == "warning" and check.detail.key == "torchaudio_mismatch_loads"
    assert "2.10.0" in doctor.render(check)[2]

    torch_failed = doctor.Check("torch", "fail", doctor.msg("not_installed"))
    check = doctor.check_torchaudio(torch_failed)
    assert check.status == "fail" and check.detail.key == "not_run"


def test_the_installed_torchaudio_loads():
    check = doctor.check_torchaudio(doctor.check_torch())
    assert check.status == "ok", doctor.render(check)
    import torchaudio

    assert check.data["version"] == torchaudio.__version__


def test_speechbrain_that_cannot_import_because_of_torchaudio(monkeypatch):
    _broken(monkeypatch, speechbrain=OSError(WILD_ERROR))
    failed = doctor.Check("torchaudio", "fail", doctor.msg("not_installed"))
    check = doctor.check_speechbrain(failed)
    assert check.status == "fail" and check.detail.key == "speechbrain_needs_torchaudio"
    assert doctor.render(check)[3] == "fix torchaudio first"
    _broken(monkeypatch, speechbrain=ModuleNotFoundError("No module named 'speechbrain'", name="speechbrain"))
    check = doctor.check_speechbrain(doctor.Check("torchaudio", "ok", doctor.msg("version_ok", version="x")))
    assert check.status == "fail" and 'pip install --force-reinstall "speechbrain>=1.0,<2"' == doctor.render(check)[3]
    monkeypatch.undo()
    import speechbrain

    ok = doctor.check_speechbrain(doctor.Check("torchaudio", "ok", doctor.msg("version_ok", version="x")))
    assert ok.status == "ok" and ok.data["version"] == speechbrain.__version__


# -- torch builds and GPUs -------------------------------------------------------------------------------

def _fake_torch(version: str, *, cuda=None, available=False, init_error=None, gpus=()):
    def init():
        if init_error:
            raise RuntimeError(init_error)

    class _Device:
        def __init__(self, index):
            self.index = index

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    cuda_ns = types.SimpleNamespace(is_available=lambda: available, device_count=lambda: len(gpus), init=init,
                                    get_device_name=lambda i: gpus[i][0], device=_Device,
                                    is_bf16_supported=lambda including_emulation=True: gpus[0][1])
    return types.SimpleNamespace(__version__=version, version=types.SimpleNamespace(cuda=cuda, hip=None),
                                 cuda=cuda_ns)


@pytest.mark.parametrize("fake, nvidia, status, detail_key, hint_key", [
    (dict(version="2.11.0+cpu"), False, "ok", "torch_ok", None),
    (dict(version="2.11.0+cpu"), True, "warning", "torch_cpu_build_gpu_present", "torch_cuda_build"),
    (dict(version="2.11.0+cu130", cuda="13.0"), False, "ok", "torch_ok", None),  # PyPI's default wheel, no GPU
    (dict(version="2.11.0+cu130", cuda="13.0", init_error="The NVIDIA driver on your system is too old "
          "(found version 11040)."), True, "warning", "torch_no_gpu", "torch_driver"),
    (dict(version="2.11.0+cu130", cuda="13.0", available=True, gpus=(("NVIDIA H200", True),)), True, "ok",
     "torch_ok", None),
])
def test_torch_builds_and_gpus(monkeypatch, fake, nvidia, status, detail_key, hint_key):
    _broken(monkeypatch, torch=_fake_torch(**fake))
    monkeypatch.setattr(doctor, "_nvidia_present", lambda: nvidia)
    monkeypatch.setattr(doctor, "_cpu_bf16_native", lambda: True)
    check = doctor.check_torch()
    assert (check.status, check.detail.key) == (status, detail_key)
    assert (check.hint.key if check.hint else None) == hint_key
    _, _, detail, hint = doctor.render(check)
    if detail_key == "torch_no_gpu":
        assert "driver on your system is too old" in detail and "CUDA 13.0" in hint and "nvidia-smi" in hint
    if hint_key == "torch_cuda_build":
        assert "pip install torch==2.11.0 torchaudio==2.11.0 --index-url https://download.pytorch.org/whl/cu" in hint
    if fake.get("gpus"):
        assert "cuda:0 NVIDIA H200" in detail and "bf16: CPU native, cuda:0 yes" in detail
        assert check.data["gpus"] == [{"device": "cuda:0", "name": "NVIDIA H200", "bf16": True}]


def test_torch_that_does_not_import_stops_what_needs_it(monkeypatch):
    _broken(monkeypatch, torch=ImportError("libtorch_cpu.so: cannot open shared object file"))
    torch_check = doctor.check_torch()
    assert torch_check.status == "fail"
    assert doctor.render(torch_check)[3] == f"pip install torch=={doctor.TESTED_TORCH} torchaudio=={doctor.TESTED_TORCH}"
    assert doctor.check_torchaudio(torch_check).detail.key == "not_run"
    assert doctor.check_ge2e_forward("cpu", [torch_check]).detail.fields == {"needs": "torch"}


def test_this_torch():
    import torch

    check = doctor.check_torch()
    assert check.status in ("ok", "warning") and check.data["version"] == torch.__version__
    assert check.data["cuda"] == torch.version.cuda
    assert check.data["cuda_available"] == torch.cuda.is_available()


# -- encoders -------------------------------------------------------------------------------------------

def test_ge2e_weights_are_the_published_file():
    check = doctor.check_ge2e_weights()
    assert check.status == "ok", doctor.render(check)
    assert check.data["sha256"] == GE2E_SHA and check.data["bytes"] == 17090379


def test_ge2e_weights_changed_or_missing(monkeypatch, tmp_path):
    from voxaudit.speaker import weights

    fake = tmp_path / "pretrained.pt"
    fake.write_bytes(b"not the GE2E weights")
    monkeypatch.setattr(weights, "ge2e_weights_path", lambda: fake)
    check = doctor.check_ge2e_weights()
    assert check.status == "fail" and check.detail.key == "ge2e_mismatch"
    assert GE2E_SHA in doctor.render(check)[2] and check.data["bytes"] == 20
    assert doctor.render(check)[3] == "pip install --force-reinstall resemblyzer==0.1.4"
    monkeypatch.setattr(weights, "ge2e_weights_path", lambda: tmp_path / "gone.pt")
    assert doctor.check_ge2e_weights().detail.key == "ge2e_missing"
    monkeypatch.setattr(weights, "ge2e_weights_path", lambda: None)
    assert doctor.check_ge2e_weights().detail.key == "not_installed"


def test_ge2e_forward():
    check = doctor.check_ge2e_forward("cpu", [])
    assert check.status == "ok", doctor.render(check)
    assert check.data["dim"] == 256 and check.data["device"] == "cpu"


def _no_weights_anywhere(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("VOXAUDIT_MODEL_DIR", raising=False)


def test_ecapa_weights_none_random_and_published(monkeypatch, tmp_path):
    from ecapa_fixture import ecapa_checkpoint
    from voxaudit.speaker import weights

    _no_weights_anywhere(monkeypatch, tmp_path)
    check = doctor.check_ecapa_weights(tmp_path / "nothing")
    assert check.status == "warning" and check.detail.key == "ecapa_none"
    assert check.data["searched"][0] == str(tmp_path / "nothing")
    assert "scripts/fetch_models.py" in doctor.render(check)[3]

    folder = ecapa_checkpoint(0)
    monkeypatch.setenv("VOXAUDIT_MODEL_DIR", str(folder))
    check = doctor.check_ecapa_weights(None)  # found through the environment: a scan would refuse it
    sha = weights.file_sha256(folder / "embedding_model.ckpt", memo=False)
    assert check.status == "fail" and check.detail.key == "ecapa_mismatch"
    assert check.data == {"folder": str(folder), "origin": "$VOXAUDIT_MODEL_DIR", "sha256": sha,
                          "bytes": (folder / "embedding_model.ckpt").stat().st_size, "verified": False}
    assert "--unverified-weights" in doctor.render(check)[3]
    check = doctor.check_ecapa_weights(None, unverified=True)
    assert check.status == "warning" and check.detail.key == "ecapa_unverified"
    assert sha in doctor.render(check)[2]

    files = json.loads(json.dumps(weights._files()))  # the same folder, as if it were the published one
    files["embedding_model.ckpt"].update(bytes=check.data["bytes"], sha256=sha)
    monkeypatch.setattr(weights, "_files", lambda: files)
    check = doctor.check_ecapa_weights(folder)
    assert check.status == "ok" and check.data["origin"] == "--model-dir" and check.hint is None


def test_incomplete_ecapa_folder(monkeypatch, tmp_path):
    _no_weights_anywhere(monkeypatch, tmp_path)
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "embedding_model.ckpt").write_bytes(b"x")
    check = doctor.check_ecapa_weights(tmp_path / "w")
    assert check.status == "fail" and check.detail.key == "ecapa_incomplete"
    assert "mean_var_norm_emb.ckpt" in doctor.render(check)[2]


def test_ecapa_forward_builds_a_random_checkpoint_and_cleans_up(monkeypatch, tmp_path):
    monkeypatch.setattr(doctor.tempfile, "tempdir", str(tmp_path))
    check = doctor.check_ecapa_forward("cpu", [])
    assert check.status == "ok", doctor.render(check)
    assert check.data["dim"] == 192 and check.data["build_s"] > 0
    assert list(tmp_path.iterdir()) == []  # the 83 MB checkpoint is gone
    assert "loaded by voxaudit without verification" in doctor.render(check)[2]


def test_ecapa_forward_reports_a_broken_checkpoint(tmp_path):
    (tmp_path / "embedding_model.ckpt").write_bytes(b"garbage")
    (tmp_path / "mean_var_norm_emb.ckpt").write_bytes(b"garbage")
    check = doctor.check_ecapa_forward("cpu", [], checkpoint=tmp_path)
    assert check.status == "fail" and check.detail.key == "forward_failed"
    assert "WeightsError" in doctor.render(check)[2]
    assert doctor.render(check)[3].startswith("reinstall the tested set: pip install torch==")


# -- decoding, disk, optional parts ----------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "mp3"])
def test_decoding_known_tone(fmt):
    check = doctor.check_decoding(fmt)
    assert check.status == "ok", doctor.render(check)
    assert check.data["sample_rate"] == 44100
    assert check.data["found_hz"] == pytest.approx(440.0, abs=1.0)
    assert check.data["duration_s"] == pytest.approx(1.0, abs=0.1)
    assert abs(check.data["level_error_db"]) < 1.5


def test_decoding_failures_wav_fails_others_warn(monkeypatch):
    import voxaudit.audio as audio
    from voxaudit.errors import AudioError

    real = audio.load_audio

    def broken(path):
        if str(path).endswith((".wav", ".mp3")):
            raise AudioError("unreadable", "cannot decode audio: Format not recognised.")
        return real(path)

    monkeypatch.setattr(audio, "load_audio", broken)
    wav, mp3, flac = doctor.check_decoding("wav"), doctor.check_decoding("mp3"), doctor.check_decoding("flac")
    assert wav.status == "fail" and mp3.status == "warning" and flac.status == "ok"
    assert "WAV does not decode: AudioError: cannot decode audio" in doctor.render(wav)[2]
    assert doctor.render(wav)[3].endswith("until then no clip can be read")
    assert doctor.render(mp3)[3].endswith("until then MP3 clips are reported as unreadable")
    assert doctor.exit_code([wav]) == 1 and doctor.exit_code([mp3, flac]) == 0


def test_decoding_that_changes_the_audio(monkeypatch):
    import numpy as np

    import voxaudit.audio as audio

    real = audio.load_audio

    def octave_up(path):
        loaded = real(path)
        loaded.samples = np.ascontiguousarray(loaded.samples[::2])  # twice the pitch, half the length
        return loaded

    monkeypatch.setattr(audio, "load_audio", octave_up)
    check = doctor.check_decoding("ogg")
    assert check.status == "warning" and check.detail.key == "decode_wrong"
    problem = check.detail.fields["problem"]
    assert "tone at 880" in problem and "0.500 s long" in problem


def test_cache_disk(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # not there yet: its parent is measured
    check = doctor.check_cache_disk()
    assert check.data["path"] == str(tmp_path / "cache" / "voxaudit") and check.data["checked"] == str(tmp_path)
    Usage = type("Usage", (), {})
    low = Usage()
    low.free = 300 * 2**20
    monkeypatch.setattr(doctor.shutil, "disk_usage", lambda path: low)
    check = doctor.check_cache_disk()
    assert check.status == "warning" and check.detail.key == "disk_low"
    assert "only 300 MiB free" in doctor.render(check)[2]
    monkeypatch.setattr(doctor.os, "access", lambda path, mode: False)
    assert doctor.check_cache_disk().detail.key == "disk_readonly"


def test_chromium(monkeypatch, tmp_path):
    browser = tmp_path / "my-chromium"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    monkeypatch.setenv("VOXAUDIT_CHROMIUM", str(browser))
    check = doctor.check_chromium()
    assert check.status == "ok" and check.data["path"] == str(browser)
    monkeypatch.setattr(doctor, "chromium_path", lambda: None)
    check = doctor.check_chromium()
    assert check.status == "warning" and "apt install chromium" in doctor.render(check)[3]


@pytest.mark.parametrize("name, check_fn", [("ray", doctor.check_ray), ("onnxruntime", doctor.check_onnxruntime)])
def test_optional_parts(monkeypatch, name, check_fn):
    monkeypatch.setattr(doctor, "_module_installed", lambda module: False)
    check = check_fn()
    assert check.status == "warning" and check.data == {"installed": False}
    assert doctor.render(check)[3] == f'pip install "{name}"'
    assert doctor.render(check, "zh")[2].startswith("未安装（可选：")
    monkeypatch.undo()
    _broken(monkeypatch, **{name: ImportError("broken wheel")})
    monkeypatch.setattr(doctor, "_module_installed", lambda module: True)
    check = check_fn()
    assert check.status == "warning" and check.detail.key == "import_failed"  # optional: never a failure
    monkeypatch.undo()
    if doctor._module_installed(name):
        check = check_fn()
        assert check.status == "ok" and check.data["version"] == _import_version(name)


def _import_version(name):
    return __import__(name).__version__


def test_a_check_that_crashes_is_reported_not_raised(monkeypatch):
    def boom():
        raise RuntimeError("unexpected")

    crashed = doctor._guarded("numpy", boom)
    assert crashed.status == "fail" and "RuntimeError: unexpected" in doctor.render(crashed)[2]
    assert doctor._guarded("ray", boom).status == "warning"


# -- the whole command -------------------------------------------------------------------------------------

@pytest.mark.slow
def test_doctor_json_on_this_installation(monkeypatch, tmp_path):
    _no_weights_anywhere(monkeypatch, tmp_path)
    result = CliRunner().invoke(app, ["doctor", "--json", "--device", "cpu"])
    report = json.loads(result.stdout)
    assert list(report) == list(doctor.CHECK_NAMES)
    needed = ("python", "numpy", "torchaudio", "speechbrain", "ge2e_weights", "ge2e_forward", "ecapa_forward",
              "decode_wav")
    assert all(report[name]["status"] == "ok" for name in needed), {n: report[n] for n in needed}
    assert report["ecapa_weights"]["status"] == "warning"  # none here: scans fall back to GE2E
    assert result.exit_code == (1 if any(e["status"] == "fail" for e in report.values()) else 0)
    assert result.exit_code == 0
    result = CliRunner().invoke(app, ["doctor", "--lang", "en", "--device", "cpu"])
    lines = result.stdout.splitlines()
    assert lines[0].startswith("voxaudit doctor (")
    assert any(line.startswith("warning") and "ECAPA-TDNN weights" in line for line in lines)
    words = " ".join(result.stdout.split())  # the terminal width wraps long details
    assert "→ on a connected machine run python scripts/fetch_models.py" in words


# -- words -----------------------------------------------------------------------------------------------

def _fields(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("table", [DETAILS, HINTS, SUMMARY, PURPOSES, LABELS, STATUS])
def test_every_string_exists_in_both_languages_with_the_same_fields(table):
    assert set(table["en"]) == set(table["zh"])
    for key, english in table["en"].items():
        assert _fields(english) == _fields(table["zh"][key]), key


def test_every_message_key_the_checks_use_exists():
    source = Path(doctor.__file__).read_text(encoding="utf-8")
    used = set(re.findall(r'msg\("([a-z0-9_]+)"', source))
    assert used and used <= set(DETAILS["en"]) | set(HINTS["en"])
    assert set(doctor.CHECK_NAMES) == set(LABELS["en"])
