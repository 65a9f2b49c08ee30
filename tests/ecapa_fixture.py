"""Test helpers around the random ECAPA-TDNN checkpoint (``voxaudit.speaker.random_ecapa``).

The builder lives in the package (``voxaudit doctor`` and CI's install check use it too); this module
keeps one checkpoint per seed per test process, SpeechBrain's own ``EncoderClassifier`` as the reference,
and a cosine helper. voxaudit loads the checkpoint only through
``load_encoder(..., model_dir=folder, verify=False)`` (its checksum is not the published one);
SpeechBrain's ``EncoderClassifier.from_hparams`` loads it as the reference.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np

from voxaudit.speaker.random_ecapa import (  # noqa: F401  (re-exported for the tests and scripts/bench.py)
    N_SPEAKERS, UPSTREAM_HYPERPARAMS, build_ecapa_checkpoint, synthetic_voices,
)

_synthetic_voices = synthetic_voices  # the name the tests have always used
_BUILT: dict[int, Path] = {}


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
