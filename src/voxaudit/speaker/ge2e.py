"""resemblyzer's GE2E speaker encoder (256-d), offline: its weights ship inside the resemblyzer wheel.

A clip's embedding equals ``VoiceEncoder().embed_utterance(preprocess_wav(wav, source_sr=16000))``:

1. **Preprocess** (here, per clip, on CPU, with resemblyzer's own functions): raise the volume to
   -30 dBFS if quieter (``normalize_volume(..., increase_only=True)``), then shorten silences with
   webrtcvad (``trim_long_silences``). This belongs to the encoder, not to the caller, because the GE2E
   network was trained on audio prepared this way and because it changes the clip's length: callers
   hand in the raw 16 kHz clip, exactly as they do for ECAPA. Guards resemblyzer lacks: a silent clip is
   not volume-normalised (resemblyzer would divide by zero), a clip shorter than one 30 ms VAD window is
   not trimmed, and a clip the VAD trims to nothing keeps its untrimmed samples.
2. **Partial windows**: resemblyzer's ``compute_partial_slices`` (1.6 s windows, 1.3 per second,
   last window kept when 75 % covered) over resemblyzer's 40-band mel spectrogram of the zero-padded clip.
3. **Network**: the windows of *all* clips in the batch go through the LSTM together, in slabs of
   ``max_windows`` (32): fixed-size slabs keep the number of distinct input shapes small, and oneDNN
   keeps one cached LSTM primitive (with its scratch memory) per shape -- with slabs of whatever the
   batch held (up to 512) the resident memory of a long scan crept up by ~170 MB; with 32 it stays
   flat, and 32-window slabs also ran faster (400 vs 347 windows/s on 2 cores). Every window is 160
   frames, so nothing is padded and a clip's result does not depend on its batch.
4. The clip embedding is the L2-normalised mean of its window embeddings.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from ..errors import ParameterError
from .base import SpeakerEncoder, sample_counts
from .weights import file_sha256

__all__ = ["GE2EEncoder", "preprocess", "partial_mels"]

# resemblyzer's defaults for embed_utterance.
PARTIALS_PER_S = 1.3
MIN_COVERAGE = 0.75


def preprocess(wav: np.ndarray) -> np.ndarray:
    """resemblyzer's ``preprocess_wav`` for a 16 kHz float clip, with guards for silence and tiny clips."""
    from resemblyzer import audio, hparams

    wav = np.asarray(wav, dtype=np.float32)
    if wav.size and np.any(wav):
        wav = audio.normalize_volume(wav, hparams.audio_norm_target_dBFS, increase_only=True)
    window = hparams.vad_window_length * hparams.sampling_rate // 1000
    if wav.size >= window:
        trimmed = audio.trim_long_silences(wav)
        if trimmed.size:
            wav = trimmed
    return wav


def partial_mels(wav: np.ndarray) -> np.ndarray:
    """The ``[P, 160, 40]`` mel windows ``embed_utterance`` feeds the network for a preprocessed clip."""
    from resemblyzer import VoiceEncoder, audio

    wav_slices, mel_slices = VoiceEncoder.compute_partial_slices(len(wav), PARTIALS_PER_S, MIN_COVERAGE)
    needed = wav_slices[-1].stop
    if needed >= len(wav):
        wav = np.pad(wav, (0, needed - len(wav)), "constant")
    mel = audio.wav_to_mel_spectrogram(wav)
    return np.stack([mel[s] for s in mel_slices])


class GE2EEncoder(SpeakerEncoder):
    """GE2E (resemblyzer) speaker embeddings, 256-d.

    Parameters
    ----------
    device : str or torch.device
    weights_path : str or PathLike, optional
        A resemblyzer ``.pt`` checkpoint; default the ``pretrained.pt`` inside the resemblyzer package.
    preprocess : bool
        Apply resemblyzer's volume normalisation and VAD silence trimming (default, as resemblyzer
        expects). ``False`` embeds the samples as given (name ``ge2e-raw``).
    max_windows : int
        1.6 s windows per LSTM call (the last slab of a batch may hold fewer); see step 3 above.
    """

    sample_rate = 16000
    min_samples = 1
    max_chunk_s = None  # windows are fixed-size; memory is bounded by max_windows

    def __init__(self, *, device="cpu", weights_path: str | os.PathLike | None = None,
                 preprocess: bool = True, max_windows: int = 32):
        from resemblyzer import VoiceEncoder

        self.model = VoiceEncoder(device="cpu", verbose=False, weights_fpath=weights_path)
        self.model.eval()
        path = Path(weights_path) if weights_path is not None else \
            Path(__import__("resemblyzer").__file__).resolve().parent / "pretrained.pt"
        self.weights_path = path
        self.weights_sha256 = file_sha256(path)
        self.preprocess = bool(preprocess)
        self.name = "ge2e" if self.preprocess else "ge2e-raw"
        self.dim = int(self.model.linear.out_features)
        if int(max_windows) < 1:
            raise ParameterError(f"max_windows must be >= 1, got {max_windows!r}")
        self.max_windows = int(max_windows)
        self.device = torch.device("cpu")
        self.to(device)

    def to(self, device) -> "GE2EEncoder":
        device = torch.device(device)
        self.model.to(device)
        self.model.device = device
        self.device = device
        return self

    def _windows(self, mels: torch.Tensor) -> torch.Tensor:
        """resemblyzer's forward (LSTM -> linear -> ReLU -> L2), with a zero-safe normalisation."""
        _, (hidden, _) = self.model.lstm(mels)
        raw = self.model.relu(self.model.linear(hidden[-1])).float()
        return raw / raw.norm(dim=1, keepdim=True).clamp_min(1e-12)

    @torch.inference_mode()
    def embed(self, waveforms: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Embed ``[B, T]`` 16 kHz waveforms with relative ``lengths`` ``[B]``; returns ``[B, 256]`` unit rows."""
        if waveforms.ndim != 2 or lengths.ndim != 1 or lengths.shape[0] != waveforms.shape[0]:
            raise ParameterError(f"waveforms must be [B, T] and lengths [B], got {tuple(waveforms.shape)} "
                                 f"and {tuple(lengths.shape)}")
        counts = sample_counts(lengths, waveforms.shape[1])
        wavs = waveforms.detach().to("cpu", torch.float32).numpy()
        per_clip = []
        for row, count in zip(wavs, counts.tolist()):
            wav = row[:count]
            if self.preprocess:
                wav = preprocess(wav)
            per_clip.append(partial_mels(wav))
        sizes = [m.shape[0] for m in per_clip]
        mels = torch.from_numpy(np.concatenate(per_clip)).to(self.device)
        window_embs = torch.cat([self._windows(mels[i:i + self.max_windows])
                                 for i in range(0, mels.shape[0], self.max_windows)])
        clips = torch.stack([part.mean(dim=0) for part in torch.split(window_embs, sizes)])
        return clips / clips.norm(dim=1, keepdim=True).clamp_min(1e-12)
