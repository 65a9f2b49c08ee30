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

Forward pass. By default (``fast=True``) the network runs through voxaudit's own forward pass of the
same loaded parameters (``_fast_forward``): time-major activations, one GEMM per convolution on rows
gathered by an index that also does each clip's reflection padding, weights prepared once per
precision (bf16: prepacked for oneDNN), BatchNorm with float32 statistics, and the attention
layer of the pooling split into a per-frame and a per-clip part. It is the same function: float32
equals SpeechBrain's modules to cosine 1 - 1e-7; bf16 (under the caller's autocast) stays >= 0.99998
of SpeechBrain float32 on every clip of ../shared/speech, and runs 1.65x faster than SpeechBrain's
modules under autocast (82.6x vs 50.1x real time on 2 Zen 4 cores, ``scripts/bench.py --extra``).
``fast=False`` calls SpeechBrain's modules.

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
    fast : bool
        ``True`` (default): on CPU, run the network through voxaudit's own forward pass of the same parameters
        (see ``_fast_forward``: one GEMM per convolution, weights stored once in the compute dtype;
        float32: cosine >= 1 - 1e-7 to SpeechBrain's modules; bf16: the same rounding as autocast).
        ``False``: call SpeechBrain's ``ECAPA_TDNN`` modules (under the caller's autocast, if any).

    Precision: under an enabled ``torch.autocast`` for this device the network runs in the autocast dtype
    (front end, gates, statistics and the final layers stay float32), else in float32.
    """

    sample_rate = 16000
    min_samples = MIN_SAMPLES
    max_chunk_s = MAX_CHUNK_S

    def __init__(self, folder: str | os.PathLike, *, device="cpu", weights_sha256: Optional[str] = None,
                 normalize_embeddings: bool = False, fast: bool = True):
        self.folder = Path(folder)
        self.fast = bool(fast)
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
        self._prepared: dict = {}  # (dtype, device) -> parameters for _fast_forward
        self._prepare_lock = threading.Lock()
        if self.fast:
            _prepare(self.embedding_model, torch.float32)  # refuses an unexpected architecture now
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
        self._prepared = {}
        return self

    def _params(self, dtype: torch.dtype) -> dict:
        key = (dtype, self.device)
        params = self._prepared.get(key)
        if params is None:
            with self._prepare_lock:
                params = self._prepared.get(key)
                if params is None:
                    params = self._prepared[key] = _prepare(self.embedding_model, dtype)
        return params

    def _compute_dtype(self) -> torch.dtype:
        kind = self.device.type
        if torch.is_autocast_enabled(kind):
            return torch.get_autocast_dtype(kind)
        return torch.float32

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

        # The fast forward was measured and verified on CPU only; on a GPU SpeechBrain's own modules run
        # (under the inference object's autocast) until it has been proven there too.
        if self.fast and self.device.type == "cpu":
            dtype = self._compute_dtype()
            with autocast_off:
                emb = _fast_forward(self._params(dtype), feats, frames)
        elif not padded:
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


# -- voxaudit's own forward pass of the same network ------------------------------------------------------
# SpeechBrain's modules run [B, C, L] convolutions with reflection padding (a copy per convolution) and,
# under autocast, cast every weight to bf16 on every call. The functions below compute the same function
# from the same loaded parameters, rearranged once per precision:
#   * time-major [B, L, C]: every convolution is one matrix product (oneDNN / cuBLAS GEMM) on an
#     im2col matrix that one ``index_select`` builds, the index also doing each clip's own reflection
#     padding (what ``_reflect_own_frames`` does for SpeechBrain's modules);
#   * weights stored once in the compute dtype (no per-call casts), bf16 ones prepacked for oneDNN with
#     the ReLU fused; BatchNorm (after ReLU in every TDNN block) in one pass on the [B * L, C] rows with
#     its float32 statistics;
#   * the attention TDNN of the statistics pooling acts on [x, mean, std] where mean and std are
#     constant over time: its product splits into x's part plus a per-clip constant (2/3 of that layer's
#     work saved, exact);
#   * front end, squeeze-excitation gates, statistics, softmax, final BatchNorm and FC in float32.
# Only the rounding differs: in float32 it equals SpeechBrain to cosine 1 - 1e-7 (tests/test_inference.py).
def _bn_scale_shift(bn: torch.nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """Eval-mode BatchNorm as ``y = x * scale + shift`` (float64 folding)."""
    bn = getattr(bn, "norm", bn)  # SpeechBrain's BatchNorm1d wraps torch's
    if bn.running_var is None:
        raise WeightsError("unexpected ECAPA BatchNorm without running statistics")
    mean, var = bn.running_mean.detach().double(), bn.running_var.detach().double()
    weight = bn.weight.detach().double() if bn.weight is not None else torch.ones_like(var)
    bias = bn.bias.detach().double() if bn.bias is not None else torch.zeros_like(var)
    scale = weight / torch.sqrt(var + bn.eps)
    return scale, bias - mean * scale


def _packed(weight: torch.Tensor):
    """``weight`` [out, in] reordered once into oneDNN's blocked layout for bf16 GEMMs on CPU (what
    torch.compile's CPU backend does), or None where that path is not available (then ``F.linear``).
    Same products, same rounding: only the memory layout of the weight differs."""
    if weight.dtype != torch.bfloat16 or weight.device.type != "cpu":
        return None
    try:
        packed = torch.ops.mkldnn._reorder_linear_weight(weight, 512)
        probe = torch.ones(2, weight.shape[1], dtype=weight.dtype)
        out = torch.ops.mkldnn._linear_pointwise(probe, packed, None, "none", [], "")
        scale = float(weight.float().abs().sum(1).max())  # bound of the probe's outputs
        if out.shape != (2, weight.shape[0]) or not torch.allclose(
                out.float(), F.linear(probe, weight).float(), rtol=1e-3, atol=1e-3 * scale):
            return None
        return packed
    except (AttributeError, RuntimeError, NotImplementedError):
        return None


def _gemm(x: torch.Tensor, p: dict, relu: bool = False) -> torch.Tensor:
    """``x @ p['w'].T + p['b']`` (then ReLU), through the prepacked weight where there is one."""
    packed = p.get("packed")
    if packed is not None:
        return torch.ops.mkldnn._linear_pointwise(x.contiguous(), packed, p.get("b"),
                                                  "relu" if relu else "none", [], "")
    z = F.linear(x, p["w"], p.get("b"))
    return z.relu_() if relu else z


def _tdnn_params(block, dtype) -> dict:
    conv = block.conv.conv  # torch Conv1d inside SpeechBrain's Conv1d
    if conv.groups != 1 or not isinstance(block.activation, torch.nn.ReLU):
        raise WeightsError("unexpected ECAPA TDNN block (groups or activation)")
    out, cin, k = conv.weight.shape
    scale, shift = _bn_scale_shift(block.norm)
    weight = conv.weight.detach().permute(0, 2, 1).reshape(out, k * cin).to(dtype).contiguous()
    bn = block.norm.norm
    stats = [None if v is None else v.detach().float() for v in
             (bn.running_mean, bn.running_var, bn.weight, bn.bias)]
    return {"w": weight, "packed": _packed(weight), "b": conv.bias.detach().to(dtype),
            "s": scale.float(), "t": shift.float(), "bn": (*stats, float(bn.eps)),
            "k": int(k), "d": int(conv.dilation[0])}


def _linear_params(conv, dtype) -> dict:
    weight = conv.conv.weight.detach()[:, :, 0].to(dtype).contiguous()
    return {"w": weight, "packed": _packed(weight), "b": conv.conv.bias.detach().to(dtype)}


def _prepare(model, dtype: torch.dtype) -> dict:
    """The network's parameters rearranged for :func:`_fast_forward`, matrices in ``dtype``."""
    f32 = torch.float32
    if not model.asp.global_context:
        raise WeightsError("unexpected ECAPA pooling (no global context)")
    params = {"dtype": dtype, "first": _tdnn_params(model.blocks[0], dtype), "blocks": []}
    for block in model.blocks[1:]:
        params["blocks"].append({
            "tdnn1": _tdnn_params(block.tdnn1, dtype),
            "res2net": [_tdnn_params(b, dtype) for b in block.res2net_block.blocks],
            "scale": int(block.res2net_block.scale),
            "tdnn2": _tdnn_params(block.tdnn2, dtype),
            "se1": _linear_params(block.se_block.conv1, f32),
            "se2": _linear_params(block.se_block.conv2, f32),
            "shortcut": _linear_params(block.shortcut, dtype) if block.shortcut else None,
        })
    params["mfa"] = _tdnn_params(model.mfa, dtype)
    att = _tdnn_params(model.asp.tdnn, f32)  # acts on [x, mean, std] (3 x C channels)
    channels = int(model.asp.conv.conv.out_channels)
    weight = att["w"][:, :channels].to(dtype).contiguous()
    params["att_x"] = {"w": weight, "packed": _packed(weight), "b": None}
    params["att_stats"] = {"w": att["w"][:, channels:].contiguous(), "b": att["b"], "s": att["s"],
                           "t": att["t"]}
    params["att_conv"] = _linear_params(model.asp.conv, dtype)
    scale, shift = _bn_scale_shift(model.asp_bn)
    params["asp_bn"] = (scale.to(f32), shift.to(f32))
    params["fc"] = _linear_params(model.fc, f32)
    params["eps"] = float(model.asp.eps)
    return params


class _Frames:
    """Per batch: each clip's frame count and the im2col row indices (own reflection) per kernel."""

    def __init__(self, frames: torch.Tensor, length: int, device: torch.device):
        self.frames = frames.to(device)
        self.length = length
        self.device = device
        self._index: dict[tuple[int, int], torch.Tensor] = {}

    def index(self, kernel: int, dilation: int) -> torch.Tensor:
        """Flat ``[B * L * kernel]`` rows of ``[B * L, C]`` for a "same" convolution with reflection."""
        key = (kernel, dilation)
        if key not in self._index:
            length, device = self.length, self.device
            offsets = (torch.arange(kernel, device=device) - (kernel - 1) // 2) * dilation
            t = torch.arange(length, device=device).view(1, length, 1) + offsets.view(1, 1, kernel)
            last = (self.frames - 1).view(-1, 1, 1)
            t = t.abs()  # reflect at the start
            t = torch.where(t > last, 2 * last - t, t).clamp(0, length - 1)  # and at each clip's own end
            base = (torch.arange(self.frames.shape[0], device=device) * length).view(-1, 1, 1)
            self._index[key] = (t + base).reshape(-1)
        return self._index[key]


def _tdnn(x: torch.Tensor, p: dict, frames: _Frames) -> torch.Tensor:
    """``BatchNorm(ReLU(conv(x)))`` on time-major ``x`` [B, L, C_in] -> [B, L, C_out]."""
    batch, length, channels = x.shape
    if p["k"] > 1:
        x = x.reshape(batch * length, channels).index_select(0, frames.index(p["k"], p["d"]))
        x = x.view(batch, length, p["k"] * channels)
    z = _gemm(x, p, relu=True)
    # Eval-mode BatchNorm with its float32 statistics on the [B * L, C] rows: one pass, computed in
    # float32 and rounded once (rounding scale and shift to bf16 would bias every channel).
    mean, var, weight, bias, eps = p["bn"]
    out = F.batch_norm(z.view(-1, z.shape[-1]), mean, var, weight, bias, False, 0.0, eps)
    return out.view(z.shape)


def _fast_forward(params: dict, feats: torch.Tensor, frames: torch.Tensor) -> torch.Tensor:
    """ECAPA-TDNN on normalised features ``[B, L, 80]`` (float32) whose clip ``b`` holds ``frames[b]``
    frames; returns float32 ``[B, 1, D]`` like SpeechBrain's ``ECAPA_TDNN.forward``."""
    dtype = params["dtype"]
    batch, length, _ = feats.shape
    device = feats.device
    ctx = _Frames(frames, length, device)
    mask = torch.arange(length, device=device).view(1, length) < ctx.frames.view(-1, 1)  # [B, L]
    weights = mask.to(torch.float32).unsqueeze(2)
    weights = weights / weights.sum(1, keepdim=True)  # [B, L, 1]: mean over each clip's own frames
    full = bool(mask.all())  # no clip padded

    x = _tdnn(feats.to(dtype), params["first"], ctx)
    outputs = []
    for p in params["blocks"]:
        residual = x if p["shortcut"] is None else _gemm(x, p["shortcut"])
        h = _tdnn(x, p["tdnn1"], ctx)
        chunks = torch.chunk(h, p["scale"], dim=2)  # Res2Net: chunk i (>0) gets chunk i + output i-1
        ys = [chunks[0]]
        for i in range(1, p["scale"]):
            ys.append(_tdnn(chunks[i] if i == 1 else chunks[i] + ys[-1], p["res2net"][i - 1], ctx))
        h = _tdnn(torch.cat(ys, dim=2), p["tdnn2"], ctx)
        # Squeeze-excitation on the clip's own frames, in float32.
        if full:
            s = h.sum(1, dtype=torch.float32) / length  # [B, C]
        else:
            s = torch.bmm(weights.transpose(1, 2), h.float()).squeeze(1)
        s = F.linear(s, p["se1"]["w"], p["se1"]["b"]).relu_()
        s = torch.sigmoid(F.linear(s, p["se2"]["w"], p["se2"]["b"]))
        x = torch.addcmul(residual, h, s.to(h.dtype).unsqueeze(1))
        outputs.append(x)
    x = _tdnn(torch.cat(outputs, dim=2), params["mfa"], ctx)  # [B, L, C]

    # Attentive statistics pooling, statistics and softmax in float32.
    eps = params["eps"]
    xf = x.float()
    mean = torch.bmm(weights.transpose(1, 2), xf).squeeze(1)  # [B, C]
    dev = (xf - mean.unsqueeze(1)).square_()
    std = torch.bmm(weights.transpose(1, 2), dev).squeeze(1).clamp(eps).sqrt()
    stats = params["att_stats"]
    context = F.linear(torch.cat([mean, std], 1), stats["w"], stats["b"])  # [B, A], constant in time
    z = (_gemm(x, params["att_x"]).float() + context.unsqueeze(1)).relu_()
    att = torch.tanh(torch.addcmul(stats["t"], z, stats["s"])).to(dtype)
    att = _gemm(att, params["att_conv"]).float()  # [B, L, C]
    if not full:
        att = att.masked_fill(~mask.unsqueeze(2), float("-inf"))
    att = torch.softmax(att, dim=1)
    mean = torch.mul(att, xf, out=dev).sum(1)  # dev's memory reused for the weighted products
    dev = torch.sub(xf, mean.unsqueeze(1), out=dev).square_().mul_(att)
    std = dev.sum(1).clamp(eps).sqrt()
    scale, shift = params["asp_bn"]
    pooled = torch.addcmul(shift, torch.cat([mean, std], 1), scale)
    return F.linear(pooled, params["fc"]["w"], params["fc"]["b"]).unsqueeze(1)
