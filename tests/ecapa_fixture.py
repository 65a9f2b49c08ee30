"""A randomly initialised ECAPA-TDNN checkpoint in SpeechBrain's own file layout (tests only).

The published ``speechbrain/spkrec-ecapa-voxceleb`` weights cannot be downloaded in the test
environment, so tests build a folder with the same files and the same architecture, seeded:

    hyperparams.yaml        the upstream layout, including ``pretrained_path: speechbrain/spkrec-ecapa-voxceleb``
                            (the line that sends SpeechBrain to the hub unless overridden)
    embedding_model.ckpt    ECAPA-TDNN state_dict; BatchNorm statistics calibrated on synthetic audio so
                            activations are in a realistic range
    mean_var_norm_emb.ckpt  global embedding statistics: the mean of embeddings of synthetic audio
                            (non-trivial: subtracting it changes cosine similarities a lot)
    classifier.ckpt         random AAM-softmax head (7205 speakers), only SpeechBrain's own loader needs it
    label_encoder.txt       7205 dummy speaker labels, ditto

voxaudit loads this folder only through ``load_encoder(..., model_dir=folder, verify=False)`` (its
checksum is not the published one); SpeechBrain's ``EncoderClassifier.from_hparams`` loads it as the
reference.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import torch

UPSTREAM_HYPERPARAMS = """\
# ############################################################################
# Model: ECAPA big for Speaker verification (layout of speechbrain/spkrec-ecapa-voxceleb)
# Random weights built by tests/ecapa_fixture.py
# ############################################################################

# Feature parameters
n_mels: 80

# Pretrain folder (HuggingFace)
pretrained_path: speechbrain/spkrec-ecapa-voxceleb

# Output parameters
out_n_neurons: 7205

# Model params
compute_features: !new:speechbrain.lobes.features.Fbank
    n_mels: !ref <n_mels>

mean_var_norm: !new:speechbrain.processing.features.InputNormalization
    norm_type: sentence
    std_norm: False

embedding_model: !new:speechbrain.lobes.models.ECAPA_TDNN.ECAPA_TDNN
    input_size: !ref <n_mels>
    channels: [1024, 1024, 1024, 1024, 3072]
    kernel_sizes: [5, 3, 3, 3, 1]
    dilations: [1, 2, 3, 4, 1]
    attention_channels: 128
    lin_neurons: 192

classifier: !new:speechbrain.lobes.models.ECAPA_TDNN.Classifier
    input_size: 192
    out_neurons: !ref <out_n_neurons>

mean_var_norm_emb: !new:speechbrain.processing.features.InputNormalization
    norm_type: global
    std_norm: False

modules:
    compute_features: !ref <compute_features>
    mean_var_norm: !ref <mean_var_norm>
    embedding_model: !ref <embedding_model>
    mean_var_norm_emb: !ref <mean_var_norm_emb>
    classifier: !ref <classifier>

label_encoder: !new:speechbrain.dataio.encoder.CategoricalEncoder

pretrainer: !new:speechbrain.utils.parameter_transfer.Pretrainer
    loadables:
        embedding_model: !ref <embedding_model>
        mean_var_norm_emb: !ref <mean_var_norm_emb>
        classifier: !ref <classifier>
        label_encoder: !ref <label_encoder>
    paths:
        embedding_model: !ref <pretrained_path>/embedding_model.ckpt
        mean_var_norm_emb: !ref <pretrained_path>/mean_var_norm_emb.ckpt
        classifier: !ref <pretrained_path>/classifier.ckpt
        label_encoder: !ref <pretrained_path>/label_encoder.txt
"""

N_SPEAKERS = 7205
_BUILT: dict[int, Path] = {}


def _synthetic_voices(rng: np.random.Generator, count: int, seconds: float, sr: int = 16000) -> torch.Tensor:
    """Buzzy harmonic 'voices' with syllable envelopes and a little noise, one f0 and timbre each."""
    t = np.arange(int(seconds * sr)) / sr
    out = []
    for _ in range(count):
        f0 = rng.uniform(90, 260) * (1 + 0.04 * np.sin(2 * np.pi * rng.uniform(3, 6) * t))
        phase = 2 * np.pi * np.cumsum(f0) / sr
        tilt = rng.uniform(0.6, 1.4)
        x = sum(np.sin(k * phase + rng.uniform(0, 2 * np.pi)) / k ** tilt for k in range(1, 30))
        x *= 0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(2, 5) * t) ** 2
        x += 0.05 * rng.standard_normal(t.size)
        out.append(0.1 * x / np.abs(x).max())
    return torch.tensor(np.stack(out), dtype=torch.float32)


def build_ecapa_checkpoint(folder: str | Path, *, seed: int = 0) -> Path:
    """Write a seeded random ECAPA-TDNN checkpoint folder in SpeechBrain's layout; return the folder."""
    from hyperpyyaml import load_hyperpyyaml
    from speechbrain.dataio.encoder import CategoricalEncoder

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    hp = load_hyperpyyaml(UPSTREAM_HYPERPARAMS, overrides={"pretrained_path": str(folder)})
    features, norm, model = hp["compute_features"], hp["mean_var_norm"], hp["embedding_model"]

    # Calibrate BatchNorm running statistics (cumulative average) on synthetic voices.
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(2):
            wavs = _synthetic_voices(rng, 4, 2.0)
            feats = norm(features(wavs), torch.ones(4))
            model(feats, torch.ones(4))
    model.eval()

    # Global embedding mean over other synthetic voices, as SpeechBrain stores it.
    with torch.no_grad():
        wavs = _synthetic_voices(rng, 8, 1.5)
        emb = model(norm(features(wavs), torch.ones(8)), torch.ones(8)).squeeze(1)
    stats = {"count": 8, "glob_mean": emb.mean(dim=0), "glob_std": emb.std(dim=0)}

    torch.save(model.state_dict(), folder / "embedding_model.ckpt")
    torch.save(stats, folder / "mean_var_norm_emb.ckpt")
    torch.save(hp["classifier"].state_dict(), folder / "classifier.ckpt")
    labels = CategoricalEncoder()
    labels.update_from_iterable([f"id{n:05d}" for n in range(N_SPEAKERS)])
    labels.save(folder / "label_encoder.txt")
    (folder / "hyperparams.yaml").write_text(UPSTREAM_HYPERPARAMS, encoding="utf-8")
    return folder


def ecapa_checkpoint(seed: int = 0) -> Path:
    """The checkpoint for ``seed``, built once per test process in a temporary folder."""
    if seed not in _BUILT:
        folder = Path(tempfile.mkdtemp(prefix=f"voxaudit-ecapa-random-{seed}-"))
        _BUILT[seed] = build_ecapa_checkpoint(folder / "spkrec-ecapa-voxceleb", seed=seed)
    return _BUILT[seed]


def speechbrain_reference(folder: str | Path, savedir: str | Path, device: str = "cpu"):
    """SpeechBrain's own ``EncoderClassifier`` on the folder, offline (``pretrained_path`` overridden)."""
    from speechbrain.inference.speaker import EncoderClassifier
    from speechbrain.utils.fetching import FetchConfig

    return EncoderClassifier.from_hparams(source=str(folder), savedir=str(savedir),
                                          overrides={"pretrained_path": str(folder)},
                                          run_opts={"device": device},
                                          fetch_config=FetchConfig(allow_network=False))


def cosine(a, b) -> float:
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    return float(a @ b / (math.sqrt(a @ a) * math.sqrt(b @ b)))
