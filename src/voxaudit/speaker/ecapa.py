"""SpeechBrain's ECAPA-TDNN speaker encoder (``speechbrain/spkrec-ecapa-voxceleb`` layout, 192-d).

The modules are built by SpeechBrain from voxaudit's own hyperparameters
(``voxaudit/models/ecapa_hyperparams.yaml``) and the checkpoints are loaded by SpeechBrain's
``Pretrainer`` from a local folder, with network access switched off. The computation is exactly
SpeechBrain's ``EncoderClassifier.encode_batch(wavs, wav_lens)`` (its default ``normalize=False``, which
is also what SpeechBrain's own verification, ``SpeakerRecognition.verify_batch``, and the VoxCeleb
cosine-scoring recipe behind the published EER use)::

    Fbank (80 mel, 25 ms / 10 ms) -> per-utterance mean normalisation -> ECAPA-TDNN
    -> L2 normalisation (ours; cosine similarity does not change)

``normalize_embeddings=True`` adds SpeechBrain's global embedding mean subtraction
(``mean_var_norm_emb``, as ``encode_batch(..., normalize=True)``) under the name ``ecapa-norm``.

Padding. SpeechBrain convolutions pad "same" by *reflecting* the sequence end, so in a padded batch a
short clip's last frames would see padding instead of its own reflection and its embedding would
depend on what it was batched with. This encoder makes batching exact: it computes every clip's true
frame count (``1 + samples // hop``, as ``torch.stft(center=True)`` does alone), passes relative
lengths that select exactly those frames, and, before each convolution with a kernel wider than one,
rewrites each clip's padded frames with the reflection of its own frames. A clip's embedding in any
batch therefore equals its embedding alone (to float rounding), which equals SpeechBrain's.

Example
-------
>>> enc = EcapaEncoder("/path/to/spkrec-ecapa-voxceleb", device="cpu")          # doctest: +SKIP
>>> enc.embed(torch.zeros(2, 16000), torch.tensor([1.0, 0.5])).shape             # doctest: +SKIP
torch.Size([2, 192])
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Optional

import torch
import torch.nn.functional as F

from ..errors import ParameterError
from .base import SpeakerEncoder, sample_counts
from .weights import WeightsError, file_sha256

__all__ = ["EcapaEncoder", "HYPERPARAMS_FILE", "MIN_SAMPLES"]

HYPERPARAMS_FILE = "ecapa_hyperparams.yaml"
# 0.25 s at 16 kHz = 26 frames; SpeechBrain itself fails below 5 frames (reflection wider than the clip).
MIN_SAMPLES = 4000
# Clips longer than this are embedded in chunks by the inference layer (activation memory grows with
# length: about 5 MB per second of audio in float32 at batch 1).
MAX_CHUNK_S = 30.0


def _hyperparams_text() -> str:
    from importlib import resources

    return resources.files("voxaudit").joinpath("models", HYPERPARAMS_FILE).read_text(encoding="utf-8")


def _strict_transfer(obj: torch.nn.Module, path) -> None:
    """SpeechBrain's parameter transfer, but strict: a checkpoint of another architecture is an error."""
    from speechbrain.utils.checkpoints import torch_patched_state_dict_load

    state = torch_patched_state_dict_load(path, "cpu")
    try:
        obj.load_state_dict(state, strict=True)
    except RuntimeError as error:
        first = str(error).splitlines()[0]
        raise WeightsError(f"{path} does not fit the ECAPA-TDNN architecture of {HYPERPARAMS_FILE}: "
                           f"{first}") from None


def load_ecapa_modules(folder: str | os.PathLike) -> dict[str, torch.nn.Module]:
    """Build the ECAPA modules from our hyperparameters and load the checkpoints in ``folder`` on CPU.

    Uses SpeechBrain's HyperPyYAML loader and ``Pretrainer`` with ``pretrained_path`` overridden to
    ``folder``, no collection folder (nothing is linked or written), and ``allow_network=False``.
    """
    from hyperpyyaml import load_hyperpyyaml
    from speechbrain.utils.fetching import FetchConfig, LocalStrategy

    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise WeightsError(f"ECAPA-TDNN folder {folder} does not exist")
    hparams = load_hyperpyyaml(_hyperparams_text(), overrides={"pretrained_path": str(folder)})
    pretrainer = hparams["pretrainer"]
    pretrainer.set_collect_in(None)
    pretrainer.add_custom_hooks({"embedding_model": _strict_transfer})
    try:
        pretrainer.collect_files(local_strategy=LocalStrategy.NO_LINK,
                                 fetch_config=FetchConfig(allow_network=False, allow_updates=False))
        pretrainer.load_collected()
    except WeightsError:
        raise
    except Exception as error:
        raise WeightsError(f"cannot load ECAPA-TDNN checkpoints from {folder}: "
                           f"{type(error).__name__}: {error}") from None
    modules = dict(hparams["modules"])
    norm_emb = modules.get("mean_var_norm_emb")
    if norm_emb is not None and (norm_emb.glob_mean.numel() == 0):
        raise WeightsError(f"{folder / 'mean_var_norm_emb.ckpt'} holds no statistics")
    return modules


class EcapaEncoder(SpeakerEncoder):
    """ECAPA-TDNN speaker embeddings (192-d) from a local ``spkrec-ecapa-voxceleb`` folder.

    Parameters
    ----------
    folder : str or PathLike
        Holds ``embedding_model.ckpt`` and ``mean_var_norm_emb.ckpt`` (see ``models/README.md``).
        Use :func:`voxaudit.speaker.load_encoder` to find and verify it; this class loads what it is
        given.
    device : str or torch.device
        ``'cpu'``, ``'cuda'``, ``'cuda:N'``.
    weights_sha256 : str, optional
        SHA-256 of ``embedding_model.ckpt`` (``EcapaWeights.fingerprint``), for the cache key and the
        report; hashed here when not given.
    normalize_embeddings : bool
        ``False`` (default): ``encode_batch(wavs, wav_lens)`` as SpeechBrain's verification uses it,
        name ``ecapa``. ``True``: also subtract the global embedding mean (``mean_var_norm_emb``) as
        ``encode_batch(..., normalize=True)`` does, name ``ecapa-norm`` (a different embedding space:
        it has its own cache key and no identity calibration).
    """

    sample_rate = 16000
    min_samples = MIN_SAMPLES
    max_chunk_s = MAX_CHUNK_S

    def __init__(self, folder: str | os.PathLike, *, device="cpu", weights_sha256: Optional[str] = None,
                 normalize_embeddings: bool = False):
        self.folder = Path(folder)
        modules = load_ecapa_modules(self.folder)
        self.compute_features = modules["compute_features"]
        self.mean_var_norm = modules["mean_var_norm"]
        self.embedding_model = modules["embedding_model"]
        self.mean_var_norm_emb = modules.get("mean_var_norm_emb") if normalize_embeddings else None
        self.name = "ecapa-norm" if normalize_embeddings else "ecapa"
        self.dim = int(self.embedding_model.fc.conv.out_channels)
        if weights_sha256 is None:
            weights_sha256 = file_sha256(self.folder / "embedding_model.ckpt")
        if normalize_embeddings:
            # This variant also depends on the embedding statistics: fingerprint both files.
            norm_sha = file_sha256(self.folder / "mean_var_norm_emb.ckpt")
            weights_sha256 = hashlib.sha256(f"{weights_sha256}:{norm_sha}".encode("ascii")).hexdigest()
        self.weights_sha256 = weights_sha256

        stft = self.compute_features.compute_STFT
        if not stft.center or stft.pad_mode != "constant":  # the frame count below assumes both
            raise WeightsError("ECAPA front end must use a centred STFT with zero padding")
        self.hop_samples = int(stft.hop_length)  # SpeechBrain converts its milliseconds to samples

        # Convolutions whose "same" reflection padding must see each clip's own frames.
        # The reflection index of the batch being embedded, per thread, so one encoder may serve
        # several threads (e.g. inference overlapped with decoding) without mixing up batches.
        self._state = threading.local()
        self._max_reach = 0
        from speechbrain.nnet.CNN import Conv1d as SBConv1d

        for module in self.embedding_model.modules():
            if isinstance(module, SBConv1d) and module.kernel_size > 1:
                if module.padding != "same" or module.padding_mode != "reflect":
                    raise WeightsError("unexpected ECAPA convolution padding; batching would not be exact")
                reach = module.dilation * (module.kernel_size - 1) // 2
                self._max_reach = max(self._max_reach, reach)
                module.register_forward_pre_hook(self._reflect_own_frames)

        for module in self._modules():
            module.eval()
        self.device = torch.device("cpu")
        self.to(device)

    def _modules(self) -> list[torch.nn.Module]:
        mods = [self.compute_features, self.mean_var_norm, self.embedding_model]
        return mods + ([self.mean_var_norm_emb] if self.mean_var_norm_emb is not None else [])

    def to(self, device) -> "EcapaEncoder":
        device = torch.device(device)
        for module in self._modules():
            module.to(device)  # InputNormalization.to also moves its (non-buffer) statistics
        self.device = device
        return self

    def _reflect_own_frames(self, module, args):
        index = getattr(self._state, "reflect_index", None)
        if index is None:
            return None
        x = args[0]  # [B, C, L]
        return (torch.gather(x, 2, index.unsqueeze(1).expand(-1, x.shape[1], -1)),) + tuple(args[1:])

    @torch.inference_mode()
    def embed(self, waveforms: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Embed ``[B, T]`` 16 kHz waveforms with relative ``lengths`` ``[B]``; returns ``[B, 192]`` unit rows.

        Each row must hold at least ``min_samples`` real samples for the result to equal SpeechBrain's
        (shorter rows down to 640 samples work; below that SpeechBrain itself fails).
        """
        if waveforms.ndim != 2 or lengths.ndim != 1 or lengths.shape[0] != waveforms.shape[0]:
            raise ParameterError(f"waveforms must be [B, T] and lengths [B], got {tuple(waveforms.shape)} "
                                 f"and {tuple(lengths.shape)}")
        wavs = waveforms.to(self.device, torch.float32)
        batch, total = wavs.shape
        counts = sample_counts(lengths, total)
        frames = 1 + torch.div(counts, self.hop_samples, rounding_mode="floor")  # frames of each clip alone

        # Front end in float32 even under autocast (log-mel and normalisation are precision-sensitive).
        autocast_off = torch.autocast(device_type=self.device.type, enabled=False)
        with autocast_off:
            feats = self.compute_features(wavs)  # [B, F, 80]
            n_frames = feats.shape[1]
            frames = frames.clamp(max=n_frames)
            padded = bool((frames < n_frames).any())
            feats = self.mean_var_norm(feats, self._relative(frames, n_frames))

        if not padded:
            emb = self.embedding_model(feats, torch.ones(batch, device=self.device))
        else:
            # Room after the longest clip so every clip's reflection fits inside the tensor.
            feats = F.pad(feats, (0, 0, 0, self._max_reach))
            length = feats.shape[1]
            t = torch.arange(length).unsqueeze(0)
            last = (frames - 1).unsqueeze(1)
            index = torch.where(t <= last, t, (2 * last - t).clamp(min=0))
            self._state.reflect_index = index.to(self.device)
            try:
                emb = self.embedding_model(feats, self._relative(frames, length))
            finally:
                self._state.reflect_index = None
        emb = emb.float()  # [B, 1, D]
        if self.mean_var_norm_emb is not None:
            with autocast_off:
                emb = self.mean_var_norm_emb(emb, torch.ones(batch, device=self.device))
        return F.normalize(emb.squeeze(1), dim=-1)

    def _relative(self, frames: torch.Tensor, length: int) -> torch.Tensor:
        """Relative lengths that make SpeechBrain's masks keep exactly ``frames`` frames of ``length``.

        SpeechBrain keeps frame ``i`` when ``i < rel * length`` (minus a tiny epsilon); half a frame of
        margin makes that exact whatever the float32 rounding of ``rel``.
        """
        full = frames >= length
        rel = torch.where(full, torch.ones_like(frames, dtype=torch.float64),
                          (frames.to(torch.float64) - 0.5) / length)
        return rel.to(self.device, torch.float32)
