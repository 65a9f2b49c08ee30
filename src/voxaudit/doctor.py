"""``voxaudit doctor``: what works in this installation, what does not, and what to do about it.

Voice-cloning users fight their Python environments (CUDA builds, torch/torchaudio pairs, missing
weights). Each check here answers one question with ``ok``, ``warning`` or ``fail``, the measured facts,
and a command that fixes it:

=================  ==========================================================================  =========
check              what                                                                        fails if
=================  ==========================================================================  =========
``python``         interpreter version (needs >= 3.10; tested 3.11)                            too old
``numpy``          imports, version                                                            no import
``torch``          version, CUDA/ROCm/CPU build, devices, bf16 on each; warns about an NVIDIA  no import
                   GPU the build cannot use
``torchaudio``     loads beside this torch (names the undefined symbol of a mismatched pair)   no load
``speechbrain``    imports (it imports torchaudio)                                             no import
``ge2e_weights``   resemblyzer's ``pretrained.pt`` present, size and sha256 as published       missing,
                                                                                               changed
``ge2e_forward``   one embedding through ``load_encoder("ge2e")``                              error
``ecapa_weights``  ECAPA-TDNN weights found (which of --model-dir / $VOXAUDIT_MODEL_DIR /      wrong
                   user cache) and verified; none is a warning (scans fall back to GE2E)       checksum
``ecapa_forward``  one embedding with a random checkpoint built on the spot                    error
                   (:mod:`voxaudit.speaker.random_ecapa`) through ``load_encoder("ecapa",
                   verify=False)``: SpeechBrain, torchaudio and voxaudit's forward pass
``decode_<fmt>``   a tone written as WAV/FLAC/OGG/MP3 and read back by ``audio.load_audio``:   WAV only
                   rate, length and pitch must survive
``cache_disk``     free space and write access in the user cache folder                        never
``chromium``       a browser for the HTML/serve tests                                          never
``ray``            Ray, where installed                                                        never
``onnxruntime``    onnxruntime and its execution providers                                     never
=================  ==========================================================================  =========

``fail`` means ``voxaudit scan`` cannot do its job (the torch stack, speechbrain, the GE2E encoder it
falls back to, WAV decoding, or ECAPA weights that a scan would refuse); :func:`exit_code` is then 1.
Warnings (no ECAPA weights, no Chromium, no Ray, a format other than WAV not decoding) leave it 0.

Checks return codes and values; :mod:`voxaudit.doctor_strings` turns them into English or Chinese.
Nothing here touches the network or writes outside a temporary folder (and the hash memo's pruning).

>>> from voxaudit.doctor import run_checks, exit_code      # doctest: +SKIP
>>> checks = run_checks()                                   # doctest: +SKIP
>>> exit_code(checks)                                       # doctest: +SKIP
0
"""

from __future__ import annotations

import importlib
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from .doctor_strings import DETAILS, HINTS, LABELS, PURPOSES, STATUS, SUMMARY

__all__ = ["Msg", "Check", "run_checks", "exit_code", "to_json", "render", "CHECK_NAMES", "TESTED_TORCH"]

STATUSES = ("ok", "warning", "fail")
# pyproject.toml pins torch and torchaudio to this release as a pair (tests/test_doctor.py keeps the two
# in step); the hints offer it as the known-good pair.
TESTED_TORCH = "2.11.0"
TESTED_PYTHON = "3.11"
REQUIRED_PYTHON = (3, 10)  # pyproject.toml requires-python
SPEECHBRAIN_REQUIREMENT = "speechbrain>=1.0,<2"
# The user cache holds the ECAPA-TDNN weights: 83.3 MB, plus a staging copy of the same size while
# downloading (weights.download_ecapa), ~170 MB in all. Warn at 1 GiB, six times that, so a disk that is
# nearly full for other reasons shows here before a download fails half-way.
MIN_FREE_CACHE_BYTES = 1 << 30
# Decoding check: a tone every codec keeps. MP3 adds up to ~50 ms of encoder delay and padding at 44.1 kHz
# (one 1152-sample frame plus the decoder delay), hence the length tolerance; lossy codecs keep a pure
# tone's pitch to within one FFT bin (1 Hz here) and its level to well within 1.5 dB.
TONE_HZ, TONE_RATE, TONE_S, TONE_AMPLITUDE = 440.0, 44100, 1.0, 0.5
TONE_LENGTH_TOLERANCE_S, TONE_PITCH_TOLERANCE_HZ, TONE_LEVEL_TOLERANCE_DB = 0.1, 5.0, 1.5
DECODE_FORMATS = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16"), "ogg": ("OGG", "VORBIS"),
                  "mp3": ("MP3", "MPEG_LAYER_III")}
FORWARD_SECONDS = 2.0

CHECK_NAMES = ("python", "numpy", "torch", "torchaudio", "speechbrain", "ge2e_weights", "ge2e_forward",
               "ecapa_weights", "ecapa_forward", "decode_wav", "decode_flac", "decode_ogg", "decode_mp3",
               "cache_disk", "chromium", "ray", "onnxruntime")
# Checks whose failure would not stop a scan: they never report "fail", whatever goes wrong.
OPTIONAL = {"decode_flac", "decode_ogg", "decode_mp3", "cache_disk", "chromium", "ray", "onnxruntime"}


@dataclass
class Msg:
    """A message code and its values, rendered in a language later (values may be Msgs or lists)."""

    key: str
    fields: dict = field(default_factory=dict)


def msg(key: str, **fields) -> Msg:
    return Msg(key, fields)


@dataclass
class Check:
    """The answer of one check.

    Attributes
    ----------
    name : str
        One of :data:`CHECK_NAMES`.
    status : {'ok', 'warning', 'fail'}
    detail : Msg
        What was found.
    hint : Msg or None
        What to do (None when nothing needs doing).
    data : dict
        The facts behind the detail, JSON-ready (versions, paths, sizes, seconds).
    """

    name: str
    status: str
    detail: Msg
    hint: Optional[Msg] = None
    data: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")


# -- helpers that tests replace -----------------------------------------------------------------------
def _import_module(name: str):
    """``importlib.import_module``; the seam where tests simulate a broken install."""
    return importlib.import_module(name)


def _dist_version(name: str) -> Optional[str]:
    """The installed distribution's version, without importing it (None when not installed)."""
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _nvidia_present() -> bool:
    """True when this machine has an NVIDIA GPU and driver (a device node or ``nvidia-smi``)."""
    return os.path.exists("/dev/nvidiactl") or shutil.which("nvidia-smi") is not None


def _cpu_bf16_native() -> bool:
    from .speaker.inference import cpu_has_native_bf16

    return cpu_has_native_bf16()


def _module_installed(name: str) -> bool:
    from importlib.util import find_spec

    try:
        return find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _error(error: BaseException, limit: int = 300) -> str:
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _chain(error: BaseException, limit: int = 5) -> list[str]:
    """The messages of an exception and the ones it was raised from, outermost first, de-duplicated."""
    messages: list[str] = []
    while error is not None and len(messages) < limit:
        text = " ".join(str(error).split())
        if text and text not in messages:
            messages.append(text)
        error = error.__cause__ or error.__context__
    return messages


def _base(version: str) -> str:
    """``'2.11.0+cu130'`` -> ``'2.11.0'``."""
    return str(version).split("+", 1)[0]


def _bytes(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


# -- the checks --------------------------------------------------------------------------------------
def check_python() -> Check:
    version = platform.python_version()
    data = {"version": version, "executable": sys.executable}
    if sys.version_info[:2] < REQUIRED_PYTHON:
        required = ".".join(map(str, REQUIRED_PYTHON))
        return Check("python", "fail", msg("python_old", version=version, required=required,
                                           executable=sys.executable),
                     msg("python_upgrade", required=required, tested=TESTED_PYTHON), data)
    return Check("python", "ok", msg("python_ok", version=version, executable=sys.executable), data=data)


def check_numpy() -> Check:
    try:
        numpy = _import_module("numpy")
    except Exception as error:
        return Check("numpy", "fail", msg("import_failed", error=_error(error)),
                     msg("reinstall", requirement="numpy>=1.24"))
    return Check("numpy", "ok", msg("version_ok", version=numpy.__version__), data={"version": numpy.__version__})


def check_torch() -> Check:
    try:
        torch = _import_module("torch")
    except Exception as error:
        return Check("torch", "fail", msg("import_failed", error=_error(error)),
                     msg("torch_install", tested=TESTED_TORCH))
    version = str(torch.__version__)
    cuda = getattr(torch.version, "cuda", None)
    hip = getattr(torch.version, "hip", None)
    build = msg("build_cuda", cuda=cuda) if cuda else msg("build_rocm", hip=hip) if hip else msg("build_cpu")
    try:
        available = bool(torch.cuda.is_available())
        count = int(torch.cuda.device_count()) if available else 0
    except Exception:  # a broken driver: is_available() itself can raise
        available, count = False, 0
    devices: list[Any] = ["cpu"]
    gpus = []
    for index in range(count):
        name = torch.cuda.get_device_name(index)
        with torch.cuda.device(index):
            try:
                bf16 = bool(torch.cuda.is_bf16_supported(including_emulation=False))
            except TypeError:  # older torch: no including_emulation
                bf16 = bool(torch.cuda.is_bf16_supported())
        devices.append(f"cuda:{index} {name}")
        gpus.append({"device": f"cuda:{index}", "name": name, "bf16": bf16})
    cpu_bf16 = _cpu_bf16_native()
    bf16 = [msg("bf16_cpu", native=msg("bf16_native" if cpu_bf16 else "bf16_emulated"))]
    bf16 += [msg("bf16_gpu", device=g["device"], supported=msg("yes" if g["bf16"] else "no")) for g in gpus]
    data = {"version": version, "cuda": cuda, "hip": hip, "cuda_available": available, "gpus": gpus,
            "cpu_bf16_native": cpu_bf16, "nvidia_gpu_present": _nvidia_present()}
    base = _base(version)
    if cuda and not available and data["nvidia_gpu_present"]:
        try:
            torch.cuda.init()
            reason = "torch.cuda.is_available() is False"
        except Exception as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return Check("torch", "warning", msg("torch_no_gpu", version=version, build=build, reason=reason,
                                             devices=devices),
                     msg("torch_driver", cuda=cuda, base=base), data)
    if not cuda and not hip and data["nvidia_gpu_present"]:
        return Check("torch", "warning", msg("torch_cpu_build_gpu_present", version=version, devices=devices),
                     msg("torch_cuda_build", base=base), data)
    return Check("torch", "ok", msg("torch_ok", version=version, build=build, devices=devices, bf16=bf16),
                 data=data)


_UNDEFINED_SYMBOL = re.compile(r"(?:(?P<library>[^\s:]+\.(?:so|dylib|dll|pyd)[^\s:]*)\s*:\s*)?"
                               r"undefined symbol:?\s*(?P<symbol>[^\s,;]+)")


def check_torchaudio(torch_check: Check) -> Check:
    if torch_check.status == "fail":
        return Check("torchaudio", "fail", msg("not_run", needs="torch"), msg("fix_first", needs="torch"))
    torch_version = torch_check.data["version"]
    base = _base(torch_version)
    local = str(torch_version).partition("+")[2]
    index = f" --index-url https://download.pytorch.org/whl/{local}" if local else ""
    hint = msg("torchaudio_pin", base=base, index=index, tested=TESTED_TORCH)
    installed = _dist_version("torchaudio")
    data = {"version": installed, "torch": torch_version}
    try:
        torchaudio = _import_module("torchaudio")
    except ModuleNotFoundError as error:
        if error.name == "torchaudio" or installed is None:
            return Check("torchaudio", "fail", msg("not_installed"), hint, data)
        return Check("torchaudio", "fail", msg("import_failed", error=_error(error)), hint, data)
    except OSError as error:
        # torchaudio 2.11.1 raises "Could not load this library: .../libtorchaudio.so" *from* the loader's
        # "...: undefined symbol: ..." error: read the whole chain.
        text = " <- ".join(_chain(error))
        data["error"] = text
        found = _UNDEFINED_SYMBOL.search(text)
        if found:
            library = os.path.basename(found.group("library") or "libtorchaudio.so")
            data.update(library=library, undefined_symbol=found.group("symbol"))
            detail = msg("torchaudio_symbol", version=installed or "?", torch=torch_version, library=library,
                         symbol=found.group("symbol"))
        else:
            detail = msg("torchaudio_oserror", version=installed or "?", torch=torch_version, error=text)
        return Check("torchaudio", "fail", detail, hint, data)
    except Exception as error:
        data["error"] = _error(error)
        return Check("torchaudio", "fail", msg("import_failed", error=_error(error)), hint, data)
    version = str(getattr(torchaudio, "__version__", installed or "?"))
    data["version"] = version
    if _base(version) != base:
        return Check("torchaudio", "warning", msg("torchaudio_mismatch_loads", version=version,
                                                  made_for=_base(version), torch=torch_version), hint, data)
    return Check("torchaudio", "ok", msg("torchaudio_ok", version=version, torch=base), data=data)


def check_speechbrain(torchaudio_check: Check) -> Check:
    try:
        speechbrain = _import_module("speechbrain")
    except Exception as error:
        data = {"error": _error(error)}
        if torchaudio_check.status == "fail" or "torchaudio" in str(error):
            return Check("speechbrain", "fail", msg("speechbrain_needs_torchaudio", error=_error(error, 160)),
                         msg("fix_first", needs="torchaudio"), data)
        return Check("speechbrain", "fail", msg("import_failed", error=_error(error)),
                     msg("reinstall", requirement=SPEECHBRAIN_REQUIREMENT), data)
    version = str(getattr(speechbrain, "__version__", _dist_version("speechbrain") or "?"))
    return Check("speechbrain", "ok", msg("version_ok", version=version), data={"version": version})


def check_ge2e_weights() -> Check:
    from .speaker.weights import file_sha256, ge2e_manifest, ge2e_weights_path

    manifest = ge2e_manifest()
    spec = manifest["files"]["pretrained.pt"]
    hint = msg("ge2e_reinstall", version=manifest["version"])
    path = ge2e_weights_path()
    if path is None:
        return Check("ge2e_weights", "fail", msg("not_installed"), hint)
    data = {"path": str(path), "resemblyzer": _dist_version("resemblyzer")}
    if not path.is_file():
        return Check("ge2e_weights", "fail", msg("ge2e_missing", path=str(path)), hint, data)
    size = path.stat().st_size
    sha = file_sha256(path, memo=False)
    data.update(bytes=size, sha256=sha, published_sha256=spec["sha256"])
    if size != spec["bytes"] or sha != spec["sha256"]:
        return Check("ge2e_weights", "fail", msg("ge2e_mismatch", path=str(path), size=size, sha=sha,
                                                 expected_size=spec["bytes"], expected_sha=spec["sha256"]),
                     hint, data)
    return Check("ge2e_weights", "ok", msg("ge2e_ok", version=data["resemblyzer"] or manifest["version"],
                                           path=str(path), size=size, sha=sha[:12] + "…"), data=data)


def _embedding_problem(embedding, dim: int) -> Optional[str]:
    import numpy as np

    vector = np.asarray(embedding, dtype=np.float64)
    if vector.shape != (dim,):
        return f"shape {vector.shape}, expected ({dim},)"
    if not np.isfinite(vector).all():
        return "non-finite values"
    norm = float(np.linalg.norm(vector))
    if abs(norm - 1.0) > 1e-3:
        return f"length {norm:.4f}, expected 1"
    return None


def _forward(name: str, encoder_name: str, dim: int, device: str, needs: list[Check], fix: Msg,
             folder: Optional[Path] = None) -> Check:
    """Embed one synthetic voice with ``load_encoder(encoder_name)`` and check the result."""
    broken = [c.name for c in needs if c.status == "fail"]
    if broken:
        return Check(name, "fail", msg("not_run", needs=", ".join(broken)), msg("fix_first", needs=", ".join(broken)))
    try:
        import numpy as np

        from .speaker import EmbeddingInference, load_encoder
        from .speaker.random_ecapa import synthetic_voices

        kwargs = {"model_dir": folder, "verify": False, "allow_download": False} if folder is not None else {}
        encoder, _ = load_encoder(encoder_name, device=device, **kwargs)
        inference = EmbeddingInference(encoder)
        wav = synthetic_voices(np.random.default_rng(1), 1, FORWARD_SECONDS)[0].numpy()
        start = time.perf_counter()
        embedding = inference.embed(wav)
        elapsed = time.perf_counter() - start
    except Exception as error:
        return Check(name, "fail", msg("forward_failed", error=_error(error)), fix, {"error": _error(error)})
    data = {"device": str(encoder.device), "precision": inference.precision, "dim": int(encoder.dim),
            "seconds": round(elapsed, 4)}
    problem = _embedding_problem(embedding, dim)
    if problem:
        return Check(name, "fail", msg("forward_wrong", problem=problem), fix, data)
    values = dict(dim=dim, seconds=FORWARD_SECONDS, elapsed_s=elapsed, device=str(encoder.device),
                  precision=inference.precision)
    return Check(name, "ok", msg("forward_ok", **values), data=data)


def check_ge2e_forward(device: str, needs: list[Check]) -> Check:
    return _forward("ge2e_forward", "ge2e", 256, device, needs,
                    msg("ge2e_reinstall", version=_ge2e_version()))


def _ge2e_version() -> str:
    from .speaker.weights import ge2e_manifest

    return ge2e_manifest()["version"]


def check_ecapa_weights(model_dir=None, *, unverified: bool = False) -> Check:
    from .speaker.weights import WeightsError, find_ecapa_dir, verify_ecapa_dir

    folder, origin, searched = find_ecapa_dir(model_dir)
    if folder is None:
        return Check("ecapa_weights", "warning", msg("ecapa_none", searched=[str(p) for p in searched]),
                     msg("ecapa_get"), {"searched": [str(p) for p in searched]})
    data = {"folder": str(folder), "origin": origin}
    try:
        weights = verify_ecapa_dir(folder, verify=False, memo=False)
    except WeightsError as error:
        return Check("ecapa_weights", "fail", msg("ecapa_incomplete", error=str(error)), msg("ecapa_get"), data)
    sha = weights.fingerprint
    size = (Path(folder) / "embedding_model.ckpt").stat().st_size
    data.update(sha256=sha, bytes=size, verified=weights.verified)
    if weights.verified:
        return Check("ecapa_weights", "ok", msg("ecapa_found", folder=str(folder), origin=origin, sha=sha[:12] + "…"),
                     data=data)
    if unverified:
        return Check("ecapa_weights", "warning", msg("ecapa_unverified", folder=str(folder), origin=origin, sha=sha),
                     data=data)
    return Check("ecapa_weights", "fail", msg("ecapa_mismatch", folder=str(folder), origin=origin, size=size, sha=sha),
                 msg("ecapa_mismatch"), data)


def check_ecapa_forward(device: str, needs: list[Check], checkpoint: Optional[Path] = None) -> Check:
    """Build a random ECAPA-TDNN checkpoint (or use ``checkpoint``) and embed one clip through voxaudit's
    loader with verification off."""
    fix = msg("ecapa_forward_fix", tested=TESTED_TORCH)
    broken = [c.name for c in needs if c.status == "fail"]
    if broken:
        return Check("ecapa_forward", "fail", msg("not_run", needs=", ".join(broken)),
                     msg("fix_first", needs=", ".join(broken)))
    tmp = Path(tempfile.mkdtemp(prefix="voxaudit-doctor-ecapa-"))
    try:
        start = time.perf_counter()
        if checkpoint is None:
            try:
                from .speaker.random_ecapa import build_ecapa_checkpoint
                from .speaker.weights import ECAPA_FOLDER_NAME

                checkpoint = build_ecapa_checkpoint(tmp / ECAPA_FOLDER_NAME, seed=0, calibrate=False,
                                                    classifier=False)
            except Exception as error:
                return Check("ecapa_forward", "fail", msg("forward_failed", error=_error(error)), fix,
                             {"error": _error(error)})
        build_s = time.perf_counter() - start
        check = _forward("ecapa_forward", "ecapa", 192, device, [], fix, folder=Path(checkpoint))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if check.status == "ok":
        check.detail = msg("ecapa_forward_ok", **check.detail.fields, build_s=build_s)
        check.data["build_s"] = round(build_s, 3)
    return check


def _dominant_hz(samples, rate: int) -> float:
    import numpy as np

    x = np.asarray(samples, dtype=np.float64)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.argmax(spectrum) * rate / x.size)


def check_decoding(fmt: str) -> Check:
    """Write a tone as ``fmt`` with soundfile and read it back with voxaudit's loader."""
    name = f"decode_{fmt}"
    bad = "fail" if name not in OPTIONAL else "warning"
    major, subtype = DECODE_FORMATS[fmt]
    label = major
    consequence = msg("decode_consequence_wav") if fmt == "wav" else msg("decode_consequence_other", fmt=label)
    tmp = Path(tempfile.mkdtemp(prefix="voxaudit-doctor-decode-"))
    try:
        import numpy as np

        try:
            import soundfile as sf

            libsndfile = getattr(sf, "__libsndfile_version__", "?")
        except Exception as error:
            hint = msg("decode_fix", libsndfile="?", consequence=consequence)
            return Check(name, bad, msg("decode_failed", fmt=label, error=_error(error)), hint)
        hint = msg("decode_fix", libsndfile=libsndfile, consequence=consequence)
        t = np.arange(int(TONE_S * TONE_RATE)) / TONE_RATE
        tone = (TONE_AMPLITUDE * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32)
        path = tmp / f"tone.{fmt}"
        try:
            sf.write(str(path), tone, TONE_RATE, format=major, subtype=subtype)
        except Exception as error:
            return Check(name, bad, msg("decode_untested", fmt=label, error=_error(error)), hint,
                         {"libsndfile": libsndfile})
        data = {"libsndfile": libsndfile, "bytes": path.stat().st_size}
        try:
            from .audio import load_audio

            audio = load_audio(path)
        except Exception as error:
            data["error"] = _error(error)
            return Check(name, bad, msg("decode_failed", fmt=label, error=_error(error)), hint, data)
        found_hz = _dominant_hz(audio.samples, audio.sample_rate)
        level_db = 20 * np.log10(max(float(np.sqrt(np.mean(np.square(audio.samples, dtype=np.float64)))), 1e-12)
                                 / (TONE_AMPLITUDE / np.sqrt(2)))
        data.update(sample_rate=audio.sample_rate, duration_s=round(audio.duration_s, 4),
                    found_hz=round(found_hz, 2), level_error_db=round(float(level_db), 3))
        problems = []
        if audio.sample_rate != TONE_RATE:
            problems.append(f"rate {audio.sample_rate} Hz, written {TONE_RATE} Hz")
        if abs(audio.duration_s - TONE_S) > TONE_LENGTH_TOLERANCE_S:
            problems.append(f"{audio.duration_s:.3f} s long, written {TONE_S:g} s")
        if abs(found_hz - TONE_HZ) > TONE_PITCH_TOLERANCE_HZ:
            problems.append(f"tone at {found_hz:.1f} Hz, written {TONE_HZ:g} Hz")
        if abs(level_db) > TONE_LEVEL_TOLERANCE_DB:
            problems.append(f"level off by {level_db:+.1f} dB")
        if problems:
            return Check(name, bad, msg("decode_wrong", fmt=label, problem="; ".join(problems)), hint, data)
        return Check(name, "ok", msg("decode_ok", seconds=TONE_S, tone_hz=TONE_HZ, fmt=label,
                                     rate=audio.sample_rate, duration_s=audio.duration_s, found_hz=found_hz),
                     data=data)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_cache_disk() -> Check:
    from .speaker.weights import user_cache_dir

    path = user_cache_dir()
    probe = path
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    data = {"path": str(path), "checked": str(probe), "free_bytes": int(free)}
    if not os.access(probe, os.W_OK):
        return Check("cache_disk", "warning", msg("disk_readonly", path=str(probe), free=_bytes(free)),
                     msg("disk_writable"), data)
    if free < MIN_FREE_CACHE_BYTES:
        return Check("cache_disk", "warning", msg("disk_low", path=str(path), free=_bytes(free),
                                                  need=_bytes(MIN_FREE_CACHE_BYTES)),
                     msg("disk_free"), data)
    return Check("cache_disk", "ok", msg("disk_ok", path=str(path), free=_bytes(free)), data=data)


def chromium_path() -> Optional[str]:
    """The Chromium the browser tests use: ``$VOXAUDIT_CHROMIUM``, else ``chromium`` /
    ``chromium-browser`` on the PATH, else ``/usr/bin/chromium``."""
    for candidate in (os.environ.get("VOXAUDIT_CHROMIUM"), shutil.which("chromium"),
                      shutil.which("chromium-browser"), "/usr/bin/chromium"):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def check_chromium() -> Check:
    path = chromium_path()
    if path is None:
        return Check("chromium", "warning", msg("chromium_none"), msg("chromium_get"))
    return Check("chromium", "ok", msg("found", path=path), data={"path": path})


def _optional_module(name: str, requirement: str, describe: Callable[[Any], tuple[Msg, dict]]) -> Check:
    if not _module_installed(name):
        return Check(name, "warning", msg("not_installed_optional", purpose=msg(f"purpose_{name}")),
                     msg("pip_install", requirement=requirement), {"installed": False})
    try:
        module = _import_module(name)
    except Exception as error:
        return Check(name, "warning", msg("import_failed", error=_error(error)),
                     msg("reinstall", requirement=requirement), {"installed": True, "error": _error(error)})
    detail, data = describe(module)
    return Check(name, "ok", detail, data={"installed": True, **data})


def check_ray() -> Check:
    def describe(ray):
        version = str(getattr(ray, "__version__", "?"))
        return msg("version_ok", version=version), {"version": version}

    return _optional_module("ray", "ray", describe)


def check_onnxruntime() -> Check:
    def describe(ort):
        version = str(getattr(ort, "__version__", "?"))
        providers = list(ort.get_available_providers())
        return msg("onnx_ok", version=version, providers=providers), {"version": version, "providers": providers}

    return _optional_module("onnxruntime", "onnxruntime", describe)


# -- running them --------------------------------------------------------------------------------------
def _guarded(name: str, run: Callable[[], Check]) -> Check:
    """Run one check; a check that crashes reports the crash instead of stopping the others."""
    try:
        return run()
    except Exception as error:  # a doctor never dies of the disease it looks for
        status = "warning" if name in OPTIONAL else "fail"
        return Check(name, status, msg("import_failed", error=_error(error)), None, {"error": _error(error)})


def run_checks(*, model_dir=None, unverified_weights: bool = False, device: str = "auto",
               ecapa_checkpoint: Optional[Path] = None,
               progress: Optional[Callable[[str], None]] = None) -> list[Check]:
    """Run every check, in :data:`CHECK_NAMES` order.

    Parameters
    ----------
    model_dir : path-like, optional
        Where to look first for the ECAPA-TDNN weights (``--model-dir``), as a scan would.
    unverified_weights : bool
        Weights that are not the published checkpoint are a warning, not a failure
        (``--unverified-weights``, as the scan would be run).
    device : str
        Device for the forward passes (``auto``: CUDA when torch can use it).
    ecapa_checkpoint : path-like, optional
        A random ECAPA-TDNN checkpoint folder already built (tests); default: one is built in a temporary
        folder (about 1 s, 83 MB; uncalibrated, no classifier head) and removed.
    progress : callable, optional
        Called with each check's name before it runs.

    Returns
    -------
    list of Check
    """
    results: dict[str, Check] = {}

    def run(name: str, fn: Callable[[], Check]) -> Check:
        if progress:
            progress(name)
        results[name] = _guarded(name, fn)
        return results[name]

    def resolved_device() -> str:
        if results["torch"].status == "fail":
            return "cpu"
        from .speaker.weights import resolve_device

        return str(resolve_device(device))

    run("python", check_python)
    run("numpy", check_numpy)
    run("torch", check_torch)
    run("torchaudio", lambda: check_torchaudio(results["torch"]))
    run("speechbrain", lambda: check_speechbrain(results["torchaudio"]))
    run("ge2e_weights", check_ge2e_weights)
    run("ge2e_forward", lambda: check_ge2e_forward(resolved_device(), [results["torch"], results["ge2e_weights"]]))
    run("ecapa_weights", lambda: check_ecapa_weights(model_dir, unverified=unverified_weights))
    run("ecapa_forward", lambda: check_ecapa_forward(
        resolved_device(), [results["torch"], results["torchaudio"], results["speechbrain"]], ecapa_checkpoint))
    for fmt in DECODE_FORMATS:
        run(f"decode_{fmt}", lambda fmt=fmt: check_decoding(fmt))
    run("cache_disk", check_cache_disk)
    run("chromium", check_chromium)
    run("ray", check_ray)
    run("onnxruntime", check_onnxruntime)
    return [results[name] for name in CHECK_NAMES]


def exit_code(checks: Iterable[Check]) -> int:
    """1 when any check failed (``voxaudit scan`` cannot do its job), else 0."""
    return 1 if any(c.status == "fail" for c in checks) else 0


# -- words ---------------------------------------------------------------------------------------------
def _lang(lang: str) -> str:
    return lang if lang in DETAILS else "en"


def _value(value: Any, lang: str) -> Any:
    if isinstance(value, Msg):  # a fragment: a phrase of either table
        return _format(DETAILS if value.key in DETAILS["en"] else HINTS, value, lang)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(_value(v, lang)) for v in value)
    return value


def _format(table: dict, message: Msg, lang: str) -> str:
    lang = _lang(lang)
    if message.key.startswith("purpose_"):
        purposes = PURPOSES.get(lang, PURPOSES["en"])
        return purposes.get(message.key[len("purpose_"):], PURPOSES["en"].get(message.key[len("purpose_"):], ""))
    template = table[lang].get(message.key) or table["en"][message.key]
    return template.format(**{k: _value(v, lang) for k, v in message.fields.items()})


def render(check: Check, lang: str = "en") -> tuple[str, str, str, Optional[str]]:
    """``(status word, label, detail, hint or None)`` of a check in ``lang``."""
    lang = _lang(lang)
    hint = _format(HINTS, check.hint, lang) if check.hint is not None else None
    return (STATUS[lang][check.status], LABELS[lang].get(check.name, check.name),
            _format(DETAILS, check.detail, lang), hint)


def to_json(checks: Iterable[Check], lang: str = "en") -> dict:
    """One object keyed by check name: ``{"status", "detail", "hint", "data"}`` (detail and hint in
    ``lang``; ``hint`` null when nothing needs doing)."""
    out = {}
    for check in checks:
        _, _, detail, hint = render(check, lang)
        out[check.name] = {"status": check.status, "detail": detail, "hint": hint, "data": check.data}
    return out


def summary_line(checks: list[Check], lang: str = "en") -> str:
    """The closing line: all good, warnings only, or failures."""
    words = SUMMARY[_lang(lang)]
    n_fail = sum(c.status == "fail" for c in checks)
    n_warn = sum(c.status == "warning" for c in checks)
    if n_fail:
        return words["failures"].format(n=n_fail, w=n_warn)
    if n_warn:
        return words["warnings"].format(n=n_warn)
    return words["all_ok"]


def summary_words(key: str, lang: str = "en", **fields) -> str:
    return SUMMARY[_lang(lang)][key].format(**fields)
