"""The speaker-encoder interface: a batch of 16 kHz waveforms in, L2-normalised embeddings out.

An encoder is deliberately thin (pyannote's *model*): it knows its network, its front end and how to
ignore padding, nothing else. Batching, chunking of long clips, device choice, precision and caching
belong to :class:`voxaudit.speaker.inference.EmbeddingInference`; finding and verifying weights belongs
to :mod:`voxaudit.speaker.weights`.
"""

from __future__ import annotations

import abc
from typing import Optional

import torch

__all__ = ["SpeakerEncoder"]


class SpeakerEncoder(abc.ABC):
    """Maps a padded batch of 16 kHz mono waveforms to L2-normalised speaker embeddings.

    Attributes
    ----------
    name : str
        Short stable identifier (``"ecapa"``, ``"ge2e"``); part of the embedding cache key.
    sample_rate : int
        Rate in Hz the waveforms must have: 16000.
    dim : int
        Embedding size D.
    weights_sha256 : str
        Fingerprint of the weights that determine the embedding (64 hex digits); part of the cache key.
    device : torch.device
        Where the network runs; inputs may live anywhere, outputs are on this device.
    min_samples : int
        Shortest waveform (in samples at ``sample_rate``) the encoder accepts. Shorter clips are
        lengthened by the inference layer (see ``EmbeddingInference``).
    max_chunk_s : float or None
        Longest clip (seconds) worth running in one piece; longer clips are cut into chunks by the
        inference layer and their embeddings averaged. ``None``: no limit (the encoder bounds its own
        memory).
    """

    name: str
    sample_rate: int = 16000
    dim: int
    weights_sha256: str
    device: torch.device
    min_samples: int = 1
    max_chunk_s: Optional[float] = None

    @abc.abstractmethod
    def embed(self, waveforms: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Embed a batch.

        Parameters
        ----------
        waveforms : torch.Tensor
            ``[B, T]`` float32 samples at 16 kHz, full scale 1.0, each row zero-padded at the end.
        lengths : torch.Tensor
            ``[B]`` relative lengths in (0, 1]: row ``b`` holds ``round(lengths[b] * T)`` real samples.

        Returns
        -------
        torch.Tensor
            ``[B, D]`` float32, each row L2-normalised (unit length), on ``self.device``. Row ``b``
            depends only on the real samples of row ``b``, never on the padding or the other rows.
        """

    def to(self, device: torch.device | str) -> "SpeakerEncoder":
        """Move the network to ``device``; returns ``self``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(name={self.name!r}, dim={self.dim}, device={str(self.device)!r}, "
                f"weights_sha256={self.weights_sha256[:12]!r}...)")


def sample_counts(lengths: torch.Tensor, total: int) -> torch.Tensor:
    """Real samples per row, ``round(lengths * total)`` clamped to ``[1, total]``, as int64 on CPU."""
    counts = torch.round(lengths.detach().to("cpu", torch.float64) * total).to(torch.int64)
    return counts.clamp(1, max(int(total), 1))
