"""GE2E embeddings of real clips for the identity tests (the weights ship inside the resemblyzer wheel)."""

from __future__ import annotations

import os

import numpy as np


def ge2e_embed(paths, transform=None) -> np.ndarray:
    """GE2E embeddings [N, 256] of audio files through voxaudit's loader, resampler and encoder.

    ``transform(samples, sample_rate, i) -> samples`` degrades clip ``i`` before it is embedded.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from voxaudit.audio import load_audio
    from voxaudit.resample import resample
    from voxaudit.speaker import EmbeddingInference, load_encoder

    encoder, _ = load_encoder("ge2e", device="cpu")
    rate = int(getattr(encoder, "sample_rate", 16000))

    def items():
        for i, p in enumerate(paths):
            audio = load_audio(p)
            samples = audio.samples if transform is None else transform(audio.samples, audio.sample_rate, i)
            yield i, resample(np.asarray(samples, dtype=np.float32), orig_sr=audio.sample_rate, target_sr=rate)

    out = dict(EmbeddingInference(encoder).embed_many(items()))
    return np.stack([out[i] for i in range(len(paths))])
