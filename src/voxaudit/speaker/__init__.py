"""Speaker identity: encoders (one file each), batched inference, weights, consistency analysis.

Public entry points (imported lazily, so ``import voxaudit.speaker.consistency`` does not load torch):

- :func:`load_encoder` -- ``(name='auto'|'ecapa'|'ge2e', *, model_dir, device, allow_download, verify)``
  -> ``(SpeakerEncoder, notice or None)``
- :class:`SpeakerEncoder` -- ``embed(waveforms [B, T] float32 16 kHz, lengths [B] in (0, 1]) -> [B, D]``
- :class:`EmbeddingInference` -- ``embed_many(iterable of (key, samples)) -> iterator of (key, [D])``
- :class:`EcapaEncoder`, :class:`GE2EEncoder`, and the weights helpers in :mod:`.weights`.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "SpeakerEncoder": ".base",
    "EcapaEncoder": ".ecapa",
    "GE2EEncoder": ".ge2e",
    "EmbeddingInference": ".inference",
    "load_encoder": ".weights",
    "locate_ecapa": ".weights",
    "verify_ecapa_dir": ".weights",
    "download_ecapa": ".weights",
    "default_model_dir": ".weights",
    "WeightsError": ".weights",
    "WeightsNotFoundError": ".weights",
    "ChecksumError": ".weights",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
