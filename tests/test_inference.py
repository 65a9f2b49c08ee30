"""EmbeddingInference: batching, ordering, streams, precision and device choice.

Most tests use a tiny deterministic encoder (a random 1-D convolution bank with mean pooling over each
row's real samples), so they check the inference layer's bookkeeping exactly and fast. The batch
invariance of the real encoders under the default settings (bf16 where native, several streams) is
checked on ECAPA-TDNN (random checkpoint in SpeechBrain's layout) and GE2E. No timing is asserted.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from ecapa_fixture import cosine, ecapa_checkpoint
from voxaudit.errors import ParameterError
from voxaudit.speaker import EmbeddingInference, load_encoder
from voxaudit.speaker.base import SpeakerEncoder, sample_counts
from voxaudit.speaker.inference import cpu_has_native_bf16, default_batch_size, resolve_precision
from voxaudit.speaker.weights import resolve_device

SR = 16000
COS_MIN = 0.9999


class TinyEncoder(SpeakerEncoder):
    """Conv bank -> ReLU -> mean over each row's real frames -> L2. Exactly padding-invariant."""

    name = "tiny"
    dim = 8
    weights_sha256 = "0" * 64
    min_samples = 400
    max_chunk_s = 2.0

    def __init__(self):
        generator = torch.Generator().manual_seed(0)
        self.weight = torch.randn(self.dim, 1, 64, generator=generator)
        self.device = torch.device("cpu")
        self.calls: list[tuple[int, int]] = []  # (rows, padded length) per batch
        self.threads: set[str] = set()

    def to(self, device):
        self.device = torch.device(device)
        return self

    def embed(self, waveforms, lengths):
        self.calls.append(tuple(waveforms.shape))
        self.threads.add(threading.current_thread().name)
        counts = sample_counts(lengths, waveforms.shape[1])
        rows = []
        for row, count in zip(waveforms, counts.tolist()):
            feats = torch.relu(torch.nn.functional.conv1d(row[:count].float()[None, None], self.weight.float(),
                                                          stride=32))
            rows.append(feats[0].mean(dim=1))
        out = torch.stack(rows)
        return out / out.norm(dim=1, keepdim=True)


def _clip(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    f0 = rng.uniform(90, 250)
    wav = sum(np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 6.3)) / k for k in range(1, 12))
    return (0.1 * wav + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


CLIPS = {f"c{i}": _clip(s, i) for i, s in enumerate([0.5, 1.7, 0.3, 1.2, 0.9, 1.95, 0.6, 1.4, 0.02, 4.5])}


def _alone(encoder, wav):
    """The clip's embedding by hand: lengthen, chunk, weight (the documented rules), no inference."""
    if wav.size < encoder.min_samples:
        wav = np.tile(wav, -(-encoder.min_samples // wav.size))[:encoder.min_samples]
    limit = int(encoder.max_chunk_s * SR)
    pieces = -(-wav.size // limit)
    step = -(-wav.size // pieces)
    total = np.zeros(encoder.dim)
    for start in range(0, wav.size, step):
        part = wav[start:start + step]
        total += part.size * encoder.embed(torch.from_numpy(part)[None], torch.ones(1))[0].double().numpy()
    return total / np.linalg.norm(total)


@pytest.mark.parametrize("batch_size", [1, 3, 8])
@pytest.mark.parametrize("streams", [1, 2, 3])
@pytest.mark.parametrize("window", [1, 4, 64])
def test_outputs_in_input_order_and_independent_of_batching(batch_size, streams, window):
    encoder = TinyEncoder()
    expected = {k: _alone(encoder, w) for k, w in CLIPS.items()}
    inference = EmbeddingInference(encoder, batch_size=batch_size, streams=streams, window=window, half=False,
                                   num_threads=torch.get_num_threads())
    out = list(inference.embed_many(CLIPS.items()))
    assert [k for k, _ in out] == list(CLIPS)  # input order, every clip once
    for key, vector in out:
        assert vector.dtype == np.float32 and vector.shape == (encoder.dim,)
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
        assert cosine(vector, expected[key]) >= 0.999999, key
    assert max(rows for rows, _ in encoder.calls) <= batch_size


def test_batches_group_similar_lengths_longest_first():
    encoder = TinyEncoder()
    lengths = [0.5, 1.5, 0.55, 1.45, 1.0, 1.05]
    inference = EmbeddingInference(encoder, batch_size=2, streams=4, half=False, window=64,
                                   num_threads=torch.get_num_threads())
    samples = [int(s * SR) for s in lengths]
    assert list(inference._batches(samples)) == [[1, 3], [5, 4], [2, 0]]
    list(inference.embed_many([(i, _clip(s, i)) for i, s in enumerate(lengths)]))
    # One window (2 x streams x batch >= 6 clips): three batches of two, each padded to its longest.
    assert sorted(encoder.calls) == [(2, int(0.55 * SR)), (2, int(1.05 * SR)), (2, int(1.5 * SR))]


def test_streams_run_on_background_threads():
    encoder = TinyEncoder()
    clips = [(i, _clip(1.0, i)) for i in range(12)]
    list(EmbeddingInference(encoder, batch_size=1, streams=2, half=False, num_threads=1).embed_many(clips))
    assert encoder.threads and all(name.startswith("voxaudit-embed-") for name in encoder.threads)


def test_empty_input_yields_nothing():
    assert list(EmbeddingInference(TinyEncoder(), half=False).embed_many([])) == []


def test_bad_clip_raises_after_earlier_clips_are_yielded():
    clips = [("a", _clip(1.0, 1)), ("b", _clip(1.0, 2)), ("bad", np.zeros(0, np.float32)), ("c", _clip(1.0, 3))]
    got = []
    with pytest.raises(ParameterError, match="bad.*no samples"):
        for key, _ in EmbeddingInference(TinyEncoder(), half=False, window=64).embed_many(clips):
            got.append(key)
    assert got == ["a", "b"]
    for bad, message in [(np.full(SR, np.nan, np.float32), "NaN"), (np.zeros((SR, 2), np.float32), "mono")]:
        with pytest.raises(ParameterError, match=message):
            EmbeddingInference(TinyEncoder(), half=False).embed(bad)


def test_stopping_early_leaves_no_threads_running():
    before = {t.name for t in threading.enumerate()}
    gen = EmbeddingInference(TinyEncoder(), half=False, streams=2, window=2).embed_many(
        (i, _clip(1.0, i)) for i in range(20))
    next(gen)
    gen.close()
    for thread in threading.enumerate():
        if thread.name.startswith("voxaudit-embed-") and thread.name not in before:
            thread.join(timeout=10)
            assert not thread.is_alive()


@pytest.mark.parametrize("kwargs, match", [
    ({"batch_size": -1}, "batch_size"), ({"streams": 0}, "streams"), ({"window": 0}, "window"),
    ({"max_batch_s": 0}, "max_batch_s"), ({"max_chunk_s": 0.001}, "max_chunk_s"), ({"half": "fp8"}, "half"),
    ({"half": "fp16"}, "CUDA"), ({"num_threads": 0}, "num_threads"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        EmbeddingInference(TinyEncoder(), **kwargs)


def test_precision_resolution():
    cpu = torch.device("cpu")
    assert resolve_precision(False, cpu) is None
    assert resolve_precision("fp32", cpu) is None
    assert resolve_precision("bf16", cpu) is torch.bfloat16
    assert resolve_precision(True, cpu) is torch.bfloat16
    assert resolve_precision("auto", cpu) is (torch.bfloat16 if cpu_has_native_bf16() else None)
    assert resolve_precision(None, cpu) is resolve_precision("auto", cpu)
    assert EmbeddingInference(TinyEncoder(), half=False).precision == "fp32"


def test_default_batch_sizes_per_device():
    class Named(TinyEncoder):
        pass

    enc = Named()
    for name, kind, size in [("ecapa", "cpu", 1), ("ge2e", "cpu", 64), ("ecapa", "cuda", 32)]:
        enc.name = name
        assert default_batch_size(enc, torch.device(kind)) == size


@pytest.mark.parametrize("spec, expected", [("cpu", "cpu"), ("CPU", "cpu"), (torch.device("cpu"), "cpu")])
def test_device_parsing(spec, expected):
    assert resolve_device(spec).type == expected


def test_device_parsing_auto_and_errors():
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    for bad in ("gpu", "cuda:x", "tpu:0"):
        with pytest.raises(ParameterError):
            resolve_device(bad)
    if not torch.cuda.is_available():
        with pytest.raises(ParameterError, match="CUDA"):
            resolve_device("cuda:0")


def test_inference_accepts_device_auto():
    # scripts/eval_identity.py passes its --device (default "auto") straight through.
    inference = EmbeddingInference(TinyEncoder(), device="auto")
    assert inference.device.type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ParameterError):
        EmbeddingInference(TinyEncoder(), device="gpu")


# -- the real encoders, default settings ------------------------------------------------------------

@pytest.fixture(scope="module")
def ecapa():
    encoder, _ = load_encoder("ecapa", model_dir=ecapa_checkpoint(0), device="cpu", verify=False)
    return encoder


def test_ecapa_default_settings_batch_invariant(ecapa):
    """Default precision and streams; batches of 4 padded clips against each clip alone (batch 1)."""
    clips = [(i, _clip(s, 10 + i)) for i, s in enumerate([0.8, 2.3, 1.1, 3.0, 1.9])]
    alone = dict(EmbeddingInference(ecapa, batch_size=1).embed_many(clips))
    batched = dict(EmbeddingInference(ecapa, batch_size=4).embed_many(clips))
    fp32 = dict(EmbeddingInference(ecapa, batch_size=1, half=False).embed_many(clips))
    for key in alone:
        assert cosine(batched[key], alone[key]) >= COS_MIN, key
        assert cosine(alone[key], fp32[key]) >= COS_MIN, key  # the default precision stays faithful


def test_ecapa_padding_invariance_through_inference(ecapa):
    """The same clip, batched with clips 1 sample to 2 s longer, embeds as it does alone."""
    wav = _clip(1.3, 42)
    alone = EmbeddingInference(ecapa, batch_size=1).embed(wav)
    for extra in (1, 160, 2 * SR):
        longer = _clip(1.3 + extra / SR, 43)
        out = dict(EmbeddingInference(ecapa, batch_size=2, streams=1).embed_many([("a", wav), ("b", longer)]))
        assert cosine(out["a"], alone) >= COS_MIN, extra


def test_ge2e_default_settings_batch_invariant():
    ge2e, _ = load_encoder("ge2e", device="cpu")
    clips = [(i, _clip(s, 20 + i)) for i, s in enumerate([1.0, 2.6, 1.7, 3.4])]
    alone = dict(EmbeddingInference(ge2e, batch_size=1, half=False).embed_many(clips))
    batched = dict(EmbeddingInference(ge2e).embed_many(clips))
    for key in alone:
        assert cosine(batched[key], alone[key]) >= COS_MIN, key


# -- ECAPA: voxaudit's own forward pass against SpeechBrain's modules ----------------------------------

def _padded(clips: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    longest = max(c.numel() for c in clips)
    wavs = torch.zeros(len(clips), longest)
    for row, clip in enumerate(clips):
        wavs[row, :clip.numel()] = clip
    return wavs, torch.tensor([c.numel() / longest for c in clips])


def test_ecapa_fast_forward_equals_speechbrain_modules(ecapa):
    """The rearranged network (GEMMs on im2col rows, split attention layer, BatchNorm as scale/shift) is
    the same function: float32 equals SpeechBrain's modules to cosine >= 0.99999 alone and in a padded
    batch; under bf16 autocast it stays within the faithful bound of both."""
    from voxaudit.speaker.ecapa import EcapaEncoder

    modules = EcapaEncoder(ecapa.folder, weights_sha256="0" * 64, fast=False)
    assert ecapa.fast and not modules.fast
    clips = [torch.from_numpy(_clip(s, 60 + i)) for i, s in enumerate([0.26, 0.9, 2.2, 3.1])]
    with torch.autocast("cpu", enabled=False):
        theirs = [modules.embed(c[None], torch.ones(1))[0] for c in clips]
        ours = [ecapa.embed(c[None], torch.ones(1))[0] for c in clips]
        ours_batched = ecapa.embed(*_padded(clips))
    for i, reference in enumerate(theirs):
        assert cosine(ours[i], reference) >= 0.99999, i
        assert cosine(ours_batched[i], reference) >= 0.99999, i
    with torch.autocast("cpu", dtype=torch.bfloat16):
        half = ecapa.embed(*_padded(clips))
    assert ecapa._prepared  # weights prepared once per precision, then reused
    assert {dtype for dtype, _ in ecapa._prepared} == {torch.float32, torch.bfloat16}
    if cpu_has_native_bf16():  # bf16 GEMMs run on weights prepacked for oneDNN
        assert ecapa._params(torch.bfloat16)["mfa"]["packed"] is not None
    for i, reference in enumerate(theirs):
        assert cosine(half[i].float(), reference) >= COS_MIN, i


def test_ecapa_fast_forward_reflects_each_clips_own_frames(ecapa):
    """The im2col index reflects at each clip's own last frame, as SpeechBrain's padding does alone."""
    from voxaudit.speaker.ecapa import _Frames

    frames = _Frames(torch.tensor([4, 6]), 6, torch.device("cpu"))
    index = frames.index(3, 2).view(2, 6, 3)  # kernel 3, dilation 2: offsets -2, 0, +2
    assert index[0].tolist() == [[2, 0, 2], [1, 1, 3], [0, 2, 2], [1, 3, 1], [2, 2, 0], [3, 1, 0]]
    assert (index[1] - 6).tolist() == [[2, 0, 2], [1, 1, 3], [0, 2, 4], [1, 3, 5], [2, 4, 4], [3, 5, 3]]
