"""Find, verify, download and load speaker-encoder weights.

ECAPA-TDNN (``speechbrain/spkrec-ecapa-voxceleb``) weights are looked up in this order; the first folder
holding ``embedding_model.ckpt`` wins:

1. ``model_dir`` (the ``--model-dir`` argument),
2. ``$VOXAUDIT_MODEL_DIR``,
3. the user cache folder ``<cache>/voxaudit/models/spkrec-ecapa-voxceleb`` where ``<cache>`` is
   ``$XDG_CACHE_HOME`` or ``~/.cache`` (``%LOCALAPPDATA%`` on Windows, ``~/Library/Caches`` on macOS).

A folder may hold the files directly or in a ``spkrec-ecapa-voxceleb/`` sub-folder. When no folder has
them, they are downloaded once into the user cache folder with ``huggingface_hub`` -- unless
``allow_download=False`` or ``HF_HUB_OFFLINE`` is set, in which case nothing touches the network.

``embedding_model.ckpt`` is verified against the published size and SHA-256 (``models/checksums.json``
in the package). Hashing 83 MB takes a while, so the result is remembered per file (path, size,
modification time) in ``<cache>/voxaudit/file-hashes.json``; a changed file is hashed again.

Unverified checkpoints (a test fixture, a fine-tuned model, another SpeechBrain ECAPA-TDNN such as one
trained on Mandarin) load only through the explicit ``verify=False`` argument (``--unverified-weights``
on the command line), which no environment variable or file can switch on. The embedding is then
fingerprinted by its actual SHA-256 and a notice says the weights are not the published ones.

The GE2E weights ship inside the ``resemblyzer`` wheel (``resemblyzer/pretrained.pt``); their published
size and SHA-256 sit in the same ``checksums.json`` (``voxaudit doctor`` checks them).
:func:`weights_published` tells whether an encoder's fingerprint is the published model's -- the
weights the identity calibration (``speaker/consistency.py``) was made for.

>>> from voxaudit.speaker.weights import load_encoder
>>> encoder, notice = load_encoder("auto", device="cpu")      # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Optional

from ..errors import ParameterError, VoxauditError

__all__ = [
    "ECAPA_REPO_ID", "ECAPA_FOLDER_NAME", "WeightsError", "WeightsNotFoundError", "ChecksumError",
    "EcapaWeights", "user_cache_dir", "default_model_dir", "hub_offline", "file_sha256", "find_ecapa_dir",
    "verify_ecapa_dir", "download_ecapa", "locate_ecapa", "resolve_device", "load_encoder",
    "GE2E_PACKAGE", "ge2e_weights_path", "published_sha256", "weights_published", "calibration_status",
]

ECAPA_REPO_ID = "speechbrain/spkrec-ecapa-voxceleb"
ECAPA_FOLDER_NAME = "spkrec-ecapa-voxceleb"
ENV_MODEL_DIR = "VOXAUDIT_MODEL_DIR"
UNVERIFIED_HOW = ("to use another ECAPA-TDNN checkpoint on purpose (fine-tuned, or trained on other "
                  "speech), pass --unverified-weights (Python: verify=False)")
HOW_TO_GET = ("Run scripts/fetch_models.py, or place embedding_model.ckpt and mean_var_norm_emb.ckpt of "
              "speechbrain/spkrec-ecapa-voxceleb in {cache} or a --model-dir (see models/README.md)")


class WeightsError(VoxauditError):
    """Speaker-encoder weights are unusable (incomplete folder, unloadable file)."""


class WeightsNotFoundError(WeightsError):
    """No folder holds the ECAPA-TDNN weights, and they could not (or may not) be downloaded."""


class ChecksumError(WeightsError):
    """A weights file is not the published one (wrong size or SHA-256)."""


# -- where things live ---------------------------------------------------------------------------------
def user_cache_dir() -> Path:
    """voxaudit's user cache folder: ``$XDG_CACHE_HOME/voxaudit`` or the platform's cache folder."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        base = Path(xdg)
    elif sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path.home() / ".cache"
    return base / "voxaudit"


def default_model_dir() -> Path:
    """Where downloaded ECAPA weights go: ``user_cache_dir()/models/spkrec-ecapa-voxceleb``."""
    return user_cache_dir() / "models" / ECAPA_FOLDER_NAME


def hub_offline() -> bool:
    """True when ``HF_HUB_OFFLINE`` is set to a true value (1/true/yes/on): no network access at all."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on", "y", "t"}


@lru_cache(maxsize=1)
def _checksums() -> dict:
    text = resources.files("voxaudit").joinpath("models", "checksums.json").read_text(encoding="utf-8")
    return json.loads(text)


def _manifest() -> dict:
    return _checksums()[ECAPA_REPO_ID]


def _files() -> dict[str, dict]:
    return _manifest()["files"]


def required_files() -> tuple[str, ...]:
    """Files an embedding needs: ``embedding_model.ckpt`` and ``mean_var_norm_emb.ckpt``."""
    return tuple(name for name, spec in _files().items() if spec.get("required"))


# -- hashing with a memo -----------------------------------------------------------------------------
def _memo_path() -> Path:
    return user_cache_dir() / "file-hashes.json"


def _read_memo() -> dict:
    try:
        with open(_memo_path(), encoding="utf-8") as fh:
            memo = json.load(fh)
        return memo if isinstance(memo, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_memo(memo: dict) -> None:
    # Forget files that are gone (temporary checkpoints of tests and `voxaudit doctor`), so the memo
    # holds only what exists.
    memo = {key: entry for key, entry in memo.items() if os.path.exists(key)}
    path = _memo_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".file-hashes.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(memo, fh, indent=0, sort_keys=True)
        os.replace(tmp, path)
    except OSError:  # a read-only cache only costs a re-hash next time
        pass


def file_sha256(path: str | os.PathLike, *, memo: bool = True) -> str:
    """SHA-256 of a file, remembered by (absolute path, size, mtime) so an unchanged file is hashed once.

    Parameters
    ----------
    path : str or PathLike
    memo : bool
        Read and update the memo in ``user_cache_dir()/file-hashes.json``. ``False`` always hashes.

    Returns
    -------
    str
        64 lowercase hex digits.
    """
    path = Path(path).resolve()
    stat = path.stat()
    key = str(path)
    stamp = [int(stat.st_size), int(stat.st_mtime_ns)]
    if memo:
        entry = _read_memo().get(key)
        if isinstance(entry, dict) and entry.get("stamp") == stamp and isinstance(entry.get("sha256"), str):
            return entry["sha256"]
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    sha = digest.hexdigest()
    if memo:
        table = _read_memo()
        table[key] = {"stamp": stamp, "sha256": sha}
        _write_memo(table)
    return sha


# -- finding and verifying -------------------------------------------------------------------------------
@dataclass
class EcapaWeights:
    """A verified (or knowingly unverified) local ECAPA-TDNN folder.

    Attributes
    ----------
    folder : Path
        The folder holding ``embedding_model.ckpt`` and ``mean_var_norm_emb.ckpt``.
    sha256 : dict
        File name -> SHA-256 of the required files.
    verified : bool
        True when every file with a published checksum (``embedding_model.ckpt``) matched it.
    origin : str
        Which lookup found it (``--model-dir``, ``$VOXAUDIT_MODEL_DIR``, ``user cache``, ``download``).
    """

    folder: Path
    sha256: dict[str, str] = field(default_factory=dict)
    verified: bool = True
    origin: str = ""

    @property
    def fingerprint(self) -> str:
        """What the embedding depends on (cache key, ``summary.encoder_weights_sha256``): the SHA-256 of
        ``embedding_model.ckpt``, so for the published model it equals the published checksum
        (``0575cb64...``) and a user can compare it with ``sha256sum``."""
        return self.sha256["embedding_model.ckpt"]


def _holds_weights(folder: Path) -> Optional[Path]:
    for candidate in (folder, folder / ECAPA_FOLDER_NAME):
        if (candidate / "embedding_model.ckpt").is_file():
            return candidate
    return None


def _candidates(model_dir) -> list[tuple[str, Path]]:
    places: list[tuple[str, Path]] = []
    if model_dir is not None:
        places.append(("--model-dir", Path(model_dir).expanduser()))
    env = os.environ.get(ENV_MODEL_DIR)
    if env:
        places.append((f"${ENV_MODEL_DIR}", Path(env).expanduser()))
    places.append(("user cache", default_model_dir()))
    return places


def find_ecapa_dir(model_dir: str | os.PathLike | None = None) -> tuple[Optional[Path], str, list[Path]]:
    """The first folder in the lookup order that holds ``embedding_model.ckpt`` (not verified yet).

    Returns
    -------
    (folder or None, origin label, folders searched)
    """
    searched = []
    for origin, place in _candidates(model_dir):
        searched.append(place)
        found = _holds_weights(place)
        if found is not None:
            return found, origin, searched
    return None, "", searched


def verify_ecapa_dir(folder: str | os.PathLike, *, verify: bool = True, memo: bool = True) -> EcapaWeights:
    """Check a folder's ECAPA-TDNN files and hash them.

    Parameters
    ----------
    folder : str or PathLike
        Holds ``embedding_model.ckpt`` and ``mean_var_norm_emb.ckpt`` (optionally also the
        hyperparams.yaml, classifier.ckpt, label_encoder.txt of the original repository; unused).
    verify : bool
        Compare each file that has a published checksum (``embedding_model.ckpt``) with it.
        ``False`` accepts any checkpoint (tests, fine-tuned models); ``verified`` on the result
        still tells whether it matched.
    memo : bool
        Use the hash memo (see :func:`file_sha256`).

    Returns
    -------
    EcapaWeights

    Raises
    ------
    WeightsError
        A required file is missing.
    ChecksumError
        ``verify`` and a file's size or SHA-256 differ from the published one; the message names the
        expected and actual values.
    """
    folder = Path(folder)
    missing = [name for name in required_files() if not (folder / name).is_file()]
    if missing:
        raise WeightsError(f"ECAPA-TDNN folder {folder} is incomplete: missing {', '.join(missing)} "
                           f"(needed: {', '.join(required_files())}). " + HOW_TO_GET.format(cache=default_model_dir()))
    hashes: dict[str, str] = {}
    matches = True
    for name in required_files():
        path = folder / name
        spec = _files()[name]
        expected_bytes, expected_sha = spec.get("bytes"), spec.get("sha256")
        size = path.stat().st_size
        if expected_bytes is not None and size != expected_bytes:
            matches = False
            if verify:
                raise ChecksumError(f"{path} is not the published {ECAPA_REPO_ID} {name}: expected "
                                    f"{expected_bytes} bytes, found {size} bytes (truncated or a different "
                                    f"model). Delete it and fetch again (scripts/fetch_models.py); "
                                    f"{UNVERIFIED_HOW}")
        sha = file_sha256(path, memo=memo)
        if expected_sha is not None and sha != expected_sha:
            matches = False
            if verify:
                raise ChecksumError(f"{path} is not the published {ECAPA_REPO_ID} {name}: expected sha256 "
                                    f"{expected_sha}, actual sha256 {sha}. Delete it and fetch again "
                                    f"(scripts/fetch_models.py); {UNVERIFIED_HOW}")
        hashes[name] = sha
    return EcapaWeights(folder=folder, sha256=hashes, verified=matches)


# Seconds to wait for the model hub to accept a connection before giving up on a download.
HUB_CONNECT_TIMEOUT_S = 3.0


def hub_unreachable(timeout_s: float = HUB_CONNECT_TIMEOUT_S) -> Optional[str]:
    """Why the model hub cannot be reached (None when a TCP connection to it succeeds).

    huggingface_hub retries an unreachable host for about half a minute; one quick connection attempt
    first keeps an offline machine from waiting for nothing. Behind an HTTPS proxy nothing is probed.
    """
    if any(os.environ.get(name) for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return None
    import socket
    import urllib.parse

    endpoint = urllib.parse.urlsplit(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    host = endpoint.hostname or "huggingface.co"
    port = endpoint.port or (443 if endpoint.scheme != "http" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return None
    except OSError as error:
        return f"the model hub {host} is unreachable ({error.strerror or error}), so nothing was downloaded"


def download_ecapa(dest: str | os.PathLike | None = None, *, verify: bool = True) -> Path:
    """Download the ECAPA-TDNN files from the Hugging Face hub into ``dest`` and verify them.

    Files are fetched into a staging folder next to ``dest``, verified, then moved in, so ``dest`` never
    holds a partial or unverified download.

    Parameters
    ----------
    dest : str or PathLike, optional
        Target folder; default :func:`default_model_dir`.
    verify : bool
        Check the published checksum before moving the files in.

    Returns
    -------
    Path
        ``dest``.

    Raises
    ------
    WeightsNotFoundError
        ``HF_HUB_OFFLINE`` is set (nothing is attempted) or the download failed.
    ChecksumError
        The downloaded file is not the published one.
    """
    dest = Path(dest) if dest is not None else default_model_dir()
    if hub_offline():
        raise WeightsNotFoundError("HF_HUB_OFFLINE is set, so the ECAPA-TDNN weights were not downloaded")
    try:
        from huggingface_hub import hf_hub_download
    except ImportError as error:  # pragma: no cover - huggingface_hub comes with speechbrain
        raise WeightsNotFoundError(f"huggingface_hub is not installed ({error})") from None
    unreachable = hub_unreachable()
    if unreachable:
        raise WeightsNotFoundError(unreachable)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
    try:
        names = [name for name in _files() if _files()[name].get("required")] + ["hyperparams.yaml"]
        for name in names:
            try:
                hf_hub_download(repo_id=ECAPA_REPO_ID, filename=name, local_dir=str(staging))
            except Exception as error:
                if name in required_files():
                    raise WeightsNotFoundError(f"downloading {ECAPA_REPO_ID}/{name} failed: "
                                               f"{type(error).__name__}: {error}") from None
        verify_ecapa_dir(staging, verify=verify, memo=False)
        dest.mkdir(parents=True, exist_ok=True)
        for name in names:
            if (staging / name).is_file():
                os.replace(staging / name, dest / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def locate_ecapa(model_dir: str | os.PathLike | None = None, *, allow_download: bool = True,
                 verify: bool = True) -> EcapaWeights:
    """Find (or download) and verify the ECAPA-TDNN weights, following the lookup order above.

    Raises
    ------
    WeightsNotFoundError
        No folder holds them and no download happened (offline, not allowed, or failed); the message
        lists the folders searched and says how to get the weights.
    WeightsError, ChecksumError
        A folder holds them but they are incomplete or not the published files.
    """
    folder, origin, searched = find_ecapa_dir(model_dir)
    if folder is not None:
        weights = verify_ecapa_dir(folder, verify=verify)
        weights.origin = origin
        return weights
    where = ", ".join(str(p) for p in searched)
    if not allow_download:
        why = "downloading is switched off"
    elif hub_offline():
        why = "HF_HUB_OFFLINE is set, so nothing was downloaded"
    else:
        try:
            target = download_ecapa(default_model_dir(), verify=verify)
        except WeightsNotFoundError as error:
            why = str(error)
        else:
            weights = verify_ecapa_dir(target, verify=verify)
            weights.origin = "download"
            return weights
    raise WeightsNotFoundError(f"ECAPA-TDNN weights not found in {where} ({why})")


# -- GE2E (inside the resemblyzer wheel) and "is this the published model?" ----------------------------
GE2E_PACKAGE = "resemblyzer"


def ge2e_manifest() -> dict:
    """The ``resemblyzer`` entry of ``checksums.json``: the wheel version and ``pretrained.pt``'s size and
    SHA-256 (as in the wheel's own RECORD)."""
    return _checksums()[GE2E_PACKAGE]


def ge2e_weights_path() -> Optional[Path]:
    """Where resemblyzer keeps its GE2E weights (``<site-packages>/resemblyzer/pretrained.pt``), found
    without importing resemblyzer; None when resemblyzer is not installed."""
    from importlib.util import find_spec

    try:
        spec = find_spec(GE2E_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).resolve().parent / "pretrained.pt"


# Encoder names whose embeddings come from the published weights of one entry of checksums.json.
_PUBLISHED_FILE = {
    "ecapa": (ECAPA_REPO_ID, "embedding_model.ckpt"), "ecapa-norm": (ECAPA_REPO_ID, "embedding_model.ckpt"),
    "ge2e": (GE2E_PACKAGE, "pretrained.pt"), "ge2e-raw": (GE2E_PACKAGE, "pretrained.pt"),
}


def published_sha256(encoder: str) -> Optional[str]:
    """The published SHA-256 of the weights file that fingerprints ``encoder`` (``ecapa``:
    ``embedding_model.ckpt``; ``ge2e``: resemblyzer's ``pretrained.pt``); None for an unknown encoder."""
    entry = _PUBLISHED_FILE.get(str(encoder))
    if entry is None:
        return None
    return _checksums()[entry[0]]["files"][entry[1]].get("sha256")


def weights_published(encoder: str, weights_sha256: Optional[str]) -> Optional[bool]:
    """True when ``weights_sha256`` is the published model's for ``encoder``, False when it differs
    (a fine-tuned or random checkpoint), None when either is unknown."""
    expected = published_sha256(encoder)
    if not expected or not weights_sha256:
        return None
    return str(weights_sha256).lower() == expected


CALIBRATION_APPLIES = "applies"
CALIBRATION_NOT_APPLICABLE = "not applicable: unverified weights"


def calibration_status(encoder: str, weights_sha256: Optional[str]) -> str:
    """``summary.identity_calibration``: whether the per-encoder identity constants (floor, MAD floor,
    clustering cut in ``speaker/consistency.py``) were made for these weights.

    Returns
    -------
    str
        ``"applies"`` for the published weights (or when the weights are unknown), ``"not applicable:
        unverified weights"`` for any other checkpoint: its similarity scale is not the one the constants
        were measured on, so only the set-relative part of the judgement carries over.
    """
    return CALIBRATION_NOT_APPLICABLE if weights_published(encoder, weights_sha256) is False \
        else CALIBRATION_APPLIES


# -- devices and the one entry point ---------------------------------------------------------------------
def resolve_device(device="auto"):
    """``'auto'`` -> ``cuda`` when available else ``cpu``; ``'cpu'``, ``'cuda'``, ``'cuda:N'`` as given.

    Raises
    ------
    ParameterError
        An unknown device string, or CUDA asked for where there is none.
    """
    import torch

    if isinstance(device, torch.device):
        spec = str(device)
    else:
        spec = str(device or "auto").strip().lower()
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if spec == "cpu":
        return torch.device("cpu")
    if spec == "cuda" or spec.startswith("cuda:"):
        index = spec.partition(":")[2]
        if index and not index.isdigit():
            raise ParameterError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}")
        if not torch.cuda.is_available():
            raise ParameterError(f"device {device!r} requested but CUDA is not available here "
                                 f"(torch {torch.__version__}); use --device cpu")
        if index and int(index) >= torch.cuda.device_count():
            raise ParameterError(f"device {device!r} requested but only {torch.cuda.device_count()} CUDA "
                                 f"device(s) exist")
        return torch.device(spec)
    raise ParameterError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}")


ENCODER_NAMES = ("auto", "ecapa", "ge2e")


def load_encoder(name: str = "auto", *, model_dir: str | os.PathLike | None = None, device="auto",
                 allow_download: bool = True, verify: bool = True):
    """Load a speaker encoder ready to embed.

    Parameters
    ----------
    name : {'auto', 'ecapa', 'ge2e'}
        ``'ecapa'``: SpeechBrain ECAPA-TDNN (192-d, needs its weights). ``'ge2e'``: resemblyzer's GE2E
        encoder (256-d, weights ship with the wheel, always offline). ``'auto'``: ECAPA when its weights
        are available (found locally, or downloaded where allowed), otherwise GE2E with a notice.
    model_dir : str or PathLike, optional
        First folder to look in for the ECAPA weights (``--model-dir``).
    device : str or torch.device
        ``'auto'`` (CUDA when available), ``'cpu'``, ``'cuda'`` or ``'cuda:N'``.
    allow_download : bool
        Allow a one-time download into the user cache when the weights are nowhere. Never happens
        while ``HF_HUB_OFFLINE`` is set.
    verify : bool
        Require the published checksum for ECAPA. ``False`` is the only way to load another checkpoint
        (``--unverified-weights``; tests use a randomly initialised one); the returned notice then says so.

    Returns
    -------
    (SpeakerEncoder, str or None)
        The encoder, and a one-line notice for the user (fallback to GE2E, unverified weights) or None.

    Raises
    ------
    ParameterError
        Unknown name or device.
    WeightsNotFoundError
        ``name='ecapa'`` and the weights are not available.
    WeightsError, ChecksumError
        ECAPA weights were found but are incomplete or not the published files (also for ``'auto'``:
        broken weights are reported, not silently replaced).
    """
    key = str(name or "auto").strip().lower()
    if key not in ENCODER_NAMES:
        raise ParameterError(f"encoder must be one of {', '.join(ENCODER_NAMES)}, got {name!r}")
    dev = resolve_device(device)
    if key == "ge2e":
        from .ge2e import GE2EEncoder

        return GE2EEncoder(device=dev), None
    try:
        weights = locate_ecapa(model_dir, allow_download=allow_download, verify=verify)
    except WeightsNotFoundError as missing:
        how = HOW_TO_GET.format(cache=default_model_dir())
        if key == "ecapa":
            raise WeightsNotFoundError(f"{missing}. {how}") from None
        from .ge2e import GE2EEncoder

        return GE2EEncoder(device=dev), f"{missing}; using ge2e (to add them: models/README.md)"
    from .ecapa import EcapaEncoder

    encoder = EcapaEncoder(weights.folder, device=dev, weights_sha256=weights.fingerprint)
    notice = None
    if not weights.verified:
        notice = (f"ECAPA-TDNN weights in {weights.folder} are not the published {ECAPA_REPO_ID} model "
                  f"(sha256 {weights.fingerprint}); loaded without checksum verification as asked "
                  f"(--unverified-weights): the identity calibration does not apply to them")
    return encoder, notice
