"""A randomly initialised ECAPA-TDNN checkpoint in SpeechBrain's own file layout.

The published ``speechbrain/spkrec-ecapa-voxceleb`` weights cannot be downloaded everywhere (CI, an
offline machine, the test suite), yet the ECAPA-TDNN path -- SpeechBrain's modules, torchaudio, voxaudit's
loader and forward pass -- must be exercised there. This module writes a folder with the same files and
the same architecture, seeded, so that ``load_encoder("ecapa", model_dir=folder, verify=False)`` loads it
exactly as it loads the real model. ``voxaudit doctor`` embeds one clip with it; the tests and
``scripts/bench.py`` use it as a stand-in (speed and numerical agreement do not depend on the weight values):

    hyperparams.yaml        the upstream layout, including ``pretrained_path: speechbrain/spkrec-ecapa-voxceleb``
                            (the line that sends SpeechBrain to the hub unless overridden)
    embedding_model.ckpt    ECAPA-TDNN state_dict (about 83 MB); BatchNorm statistics calibrated on synthetic
                            audio so activations are in a realistic range
    mean_var_norm_emb.ckpt  global embedding statistics: the mean of embeddings of synthetic audio
                            (non-trivial: subtracting it changes cosine similarities a lot)
    classifier.ckpt         random AAM-softmax head (7205 speakers), only SpeechBrain's own loader needs it
    label_encoder.txt       7205 dummy speaker labels, ditto

Its checksum is not the published one, so voxaudit loads it only with verification off
(``verify=False``, ``--unverified-weights``). The embeddings mean nothing about voices.

Example
-------
>>> from voxaudit.speaker.random_ecapa import build_ecapa_checkpoint     # doctest: +SKIP
>>> folder = build_ecapa_checkpoint("/tmp/ecapa-random/spkrec-ecapa-voxceleb", seed=0)  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

__all__ = ["UPSTREAM_HYPERPARAMS", "N_SPEAKERS", "synthetic_voices", "build_ecapa_checkpoint"]

UPSTREAM_HYPERPARAMS = """\
# ############################################################################
# Model: ECAPA big for Speaker verification (layout of speechbrain/spkrec-ecapa-voxceleb)
# Random weights built by voxaudit.speaker.random_ecapa
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

# Speakers of the upstream classifier head (VoxCeleb 1+2 training speakers).
N_SPEAKERS = 7205


def synthetic_voices(rng: np.random.Generator, count: int, seconds: float, sr: int = 16000) -> torch.Tensor:
    """Buzzy harmonic 'voices' with syllable envelopes and a little noise, one f0 and timbre each.

    Parameters
    ----------
    rng : np.random.Generator
    count : int
        Number of voices (rows).
    seconds : float
        Length of each, in seconds.
    sr : int
        Sample rate in Hz.

    Returns
    -------
    torch.Tensor
        ``[count, round(seconds * sr)]`` float32, peak 0.1 (-20 dBFS).
    """
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


def build_ecapa_checkpoint(folder: str | Path, *, seed: int = 0, calibrate: bool = True,
                           classifier: bool = True) -> Path:
    """Write a seeded random ECAPA-TDNN checkpoint folder in SpeechBrain's layout.

    Takes about 3 s and writes about 89 MB on 2 idle CPU cores (without calibration and classifier:
    about 1 s, 83 MB). Needs speechbrain (and so torchaudio).

    Parameters
    ----------
    folder : str or Path
        Created when missing; the files above are written into it (existing ones replaced).
    seed : int
        Seeds torch and numpy: the same seed gives the same weights.
    calibrate : bool
        Run synthetic voices through the network to set the BatchNorm statistics (2/3 of the time).
        ``False`` keeps PyTorch's initial statistics (mean 0, variance 1): the network still runs and
        gives finite unit-length embeddings, only less realistic activations (enough for a smoke test).
    classifier : bool
        Also write ``classifier.ckpt`` and ``label_encoder.txt`` (needed only by SpeechBrain's own
        ``EncoderClassifier``; voxaudit's loader ignores them).

    Returns
    -------
    Path
        ``folder``.
    """
    from hyperpyyaml import load_hyperpyyaml
    from speechbrain.dataio.encoder import CategoricalEncoder

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    hp = load_hyperpyyaml(UPSTREAM_HYPERPARAMS, overrides={"pretrained_path": str(folder)})
    features, norm, model = hp["compute_features"], hp["mean_var_norm"], hp["embedding_model"]

    # Calibrate BatchNorm running statistics (cumulative average) on synthetic voices.
    if calibrate:
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.momentum = None
        model.train()
        with torch.no_grad():
            for _ in range(2):
                wavs = synthetic_voices(rng, 4, 2.0)
                feats = norm(features(wavs), torch.ones(4))
                model(feats, torch.ones(4))
    model.eval()

    # Global embedding mean over other synthetic voices, as SpeechBrain stores it (a smoke-test
    # checkpoint takes 2 short voices: the mean is then rough, and the forward 10x cheaper).
    count, seconds = (8, 1.5) if calibrate else (2, 0.5)
    with torch.no_grad():
        wavs = synthetic_voices(rng, count, seconds)
        emb = model(norm(features(wavs), torch.ones(count)), torch.ones(count)).squeeze(1)
    stats = {"count": count, "glob_mean": emb.mean(dim=0), "glob_std": emb.std(dim=0)}

    torch.save(model.state_dict(), folder / "embedding_model.ckpt")
    torch.save(stats, folder / "mean_var_norm_emb.ckpt")
    if classifier:
        torch.save(hp["classifier"].state_dict(), folder / "classifier.ckpt")
        labels = CategoricalEncoder()
        labels.update_from_iterable([f"id{n:05d}" for n in range(N_SPEAKERS)])
        labels.save(folder / "label_encoder.txt")
    (folder / "hyperparams.yaml").write_text(UPSTREAM_HYPERPARAMS, encoding="utf-8")
    return folder
