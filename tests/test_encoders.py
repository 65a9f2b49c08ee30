"""Speaker encoders: equivalence with the reference implementations, batching and padding, weights.

ECAPA-TDNN. The published weights cannot be downloaded here, so the proof runs on a seeded, randomly
initialised checkpoint written in SpeechBrain's own file layout (``tests/ecapa_fixture.py``): the same
architecture, the same files, the same loading code; only the weight values differ, and equivalence of
two implementations does not depend on them. The reference is SpeechBrain's
``EncoderClassifier.from_hparams(source=folder, savedir=..., overrides={"pretrained_path": folder})``
and ``encode_batch(wav[None])`` called one file at a time (its default ``normalize=False``).

How both sides get their audio: every clip is decoded and downmixed by ``voxaudit.audio.load_audio``
(or synthesised at its rate) and resampled to 16 kHz once by ``voxaudit.resample.resample`` (soxr, HQ),
the resampler the scan uses; that one float32 array is handed to SpeechBrain and to voxaudit's public
inference API (``EmbeddingInference``), so the comparison is of the embedding computation alone.

GE2E. The reference is resemblyzer's ``VoiceEncoder.embed_utterance(preprocess_wav(wav, 16000))``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ecapa_fixture import _synthetic_voices, cosine, ecapa_checkpoint, speechbrain_reference
from voxaudit.audio import load_audio
from voxaudit.errors import ParameterError
from voxaudit.resample import resample
from voxaudit.speaker import EmbeddingInference, load_encoder, weights
from voxaudit.speaker.weights import (ChecksumError, WeightsError, WeightsNotFoundError, download_ecapa,
                                      find_ecapa_dir, verify_ecapa_dir)

ROOT = Path(__file__).resolve().parents[1]
SR = 16000
COS_MIN = 0.9999
NEEDS_CUDA = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason="CUDA path: no NVIDIA GPU visible to torch on this machine")


@pytest.fixture(scope="module", autouse=True)
def _isolated_cache(tmp_path_factory):
    """No test reads or writes the real user cache, and no $VOXAUDIT_MODEL_DIR leaks in."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        mp.delenv("VOXAUDIT_MODEL_DIR", raising=False)
        mp.setenv("HF_HUB_OFFLINE", "1")
        yield


@pytest.fixture(scope="module")
def ecapa_dir() -> Path:
    return ecapa_checkpoint(0)


@pytest.fixture(scope="module")
def ecapa(ecapa_dir):
    encoder, notice = load_encoder("ecapa", model_dir=ecapa_dir, device="cpu", verify=False)
    assert "without checksum verification" in notice
    return encoder


@pytest.fixture(scope="module")
def reference(ecapa_dir, tmp_path_factory):
    return speechbrain_reference(ecapa_dir, tmp_path_factory.mktemp("speechbrain-savedir"))


def _synthetic(seconds: float, rate: int, seed: int) -> np.ndarray:
    """A synthetic voiced clip made at ``rate`` Hz, then resampled to 16 kHz like any clip."""
    samples = int(seconds * rate)
    wav = _synthetic_voices(np.random.default_rng(seed), 1, seconds, sr=rate)[0].numpy()[:samples]
    return resample(wav, orig_sr=rate, target_sr=SR)


# 1-15 s at 8-48 kHz: (seconds, native rate).
SYNTHETIC = [(1.0, 8000), (2.5, 44100), (3.3, 11025), (6.0, 22050), (15.0, 48000)]


@pytest.fixture(scope="module")
def clips(request) -> dict[str, np.ndarray]:
    """Synthetic clips always; one real clip per native rate of ../shared/speech when it is there."""
    out = {f"synthetic-{s}s-{r}Hz": _synthetic(s, r, seed=i) for i, (s, r) in enumerate(SYNTHETIC)}
    from conftest import SPEECH_DIR

    manifest = SPEECH_DIR / "MANIFEST.csv"
    if manifest.is_file():
        import csv

        with open(manifest, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        seen = set()
        for row in rows:
            rate = int(row["original_sr"])
            if rate in seen:
                continue
            seen.add(rate)
            audio = load_audio(SPEECH_DIR / row["path"])
            out[f"{row['path']} ({rate} Hz, {audio.duration_s:.1f} s)"] = resample(
                audio.samples, orig_sr=audio.sample_rate, target_sr=SR)
    return out


def _embed(encoder, clips: dict[str, np.ndarray], **kwargs) -> dict[str, np.ndarray]:
    return dict(EmbeddingInference(encoder, **kwargs).embed_many(clips.items()))


@pytest.fixture(scope="module")
def ours_one(ecapa, clips):
    return _embed(ecapa, clips, batch_size=1)


# -- ECAPA-TDNN: equivalence with SpeechBrain -----------------------------------------------------------

def test_clip_set_covers_the_claimed_range(clips):
    durations = [wav.size / SR for wav in clips.values()]
    assert min(durations) <= 1.01 and max(durations) >= 14.99
    rates = {r for _, r in SYNTHETIC}
    assert min(rates) == 8000 and max(rates) == 48000


def test_ecapa_equals_speechbrain_encode_batch_per_file(ecapa, reference, clips, ours_one):
    assert ecapa.name == "ecapa" and ecapa.dim == 192
    worst = 1.0
    precision = getattr(EmbeddingInference(ecapa), "precision", "fp32")
    for name, wav in clips.items():
        theirs = reference.encode_batch(torch.from_numpy(wav)[None]).squeeze().cpu().numpy()
        assert theirs.shape == (192,)
        c = cosine(ours_one[name], theirs)
        assert c >= COS_MIN, f"{name}: cosine {c:.6f} to SpeechBrain (default precision {precision})"
        worst = min(worst, c)
        # Unit length, as the interface promises.
        assert np.linalg.norm(ours_one[name]) == pytest.approx(1.0, abs=1e-5)
    print(f"\nECAPA ({precision}) vs SpeechBrain fp32: {len(clips)} clips, worst cosine {worst:.8f}")


def test_ecapa_norm_variant_equals_encode_batch_normalize_true(ecapa_dir, reference, clips):
    """``normalize_embeddings=True`` is ``encode_batch(..., normalize=True)``; that subtraction is not
    trivial with this checkpoint (the two spaces differ), so the default's match above means something."""
    from voxaudit.speaker.ecapa import EcapaEncoder

    norm = EcapaEncoder(ecapa_dir, normalize_embeddings=True, weights_sha256="0" * 64)
    assert norm.name == "ecapa-norm"
    name, wav = next(iter(clips.items()))
    x = torch.from_numpy(wav)[None]
    ours = norm.embed(x, torch.ones(1))[0].numpy()
    assert cosine(ours, reference.encode_batch(x, normalize=True).squeeze().numpy()) >= COS_MIN
    assert cosine(ours, reference.encode_batch(x).squeeze().numpy()) < 0.99


def test_ecapa_batched_equals_batch_of_one(ecapa, clips, ours_one):
    batched = _embed(ecapa, clips, batch_size=8)
    for name in clips:
        assert cosine(batched[name], ours_one[name]) >= COS_MIN, name


def _assert_padding_invariant(encoder, clips, pads, seed):
    """A 2-4 s clip zero-padded by each of ``pads`` samples, batched with a longer clip, embeds as it
    does alone; returns the clip and its embedding alone."""
    wav = torch.from_numpy(next(w for w in clips.values() if 2.0 < w.size / SR < 4.0))
    alone = encoder.embed(wav[None], torch.ones(1))[0]
    for pad in pads:
        total = wav.numel() + pad
        batch = torch.zeros(2, total)
        batch[0, :wav.numel()] = wav
        batch[1] = torch.from_numpy(_synthetic(total / SR, SR, seed=seed)[:total])
        out = encoder.embed(batch, torch.tensor([wav.numel() / total, 1.0]))
        assert cosine(out[0], alone) >= COS_MIN, f"padding {pad} samples"
    return wav, alone


def test_ecapa_padding_invariance(ecapa, clips):
    """A clip padded with zeros (1 sample to 5 s) in a batch with longer clips embeds as it does alone."""
    wav, alone = _assert_padding_invariant(ecapa, clips, (1, 159, 160, 8000, 5 * SR), seed=99)
    # The padding is ignored, not merely small: a clip's embedding does change with its own length.
    shorter = ecapa.embed(wav[None, : wav.numel() // 2], torch.ones(1))[0]
    assert cosine(shorter, alone) < 0.999


def test_ecapa_one_encoder_serves_two_threads(ecapa, clips):
    """Padded batches embedded from two threads at once (inference overlapped with other work) give
    the same rows as alone: per-batch state is not shared between threads."""
    from concurrent.futures import ThreadPoolExecutor

    waves = [torch.from_numpy(w) for w in clips.values() if w.size / SR < 4.0][:3]
    assert len(waves) == 3
    alone = [ecapa.embed(w[None], torch.ones(1))[0] for w in waves]

    def padded(i: int, j: int):
        a, b = waves[i], waves[j]
        total = max(a.numel(), b.numel())
        batch = torch.zeros(2, total)
        batch[0, :a.numel()], batch[1, :b.numel()] = a, b
        out = ecapa.embed(batch, torch.tensor([a.numel() / total, b.numel() / total]))
        return cosine(out[0], alone[i]), cosine(out[1], alone[j])

    pairs = [(0, 1), (1, 2), (2, 0), (0, 2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda p: padded(*p), pairs))
    assert min(min(r) for r in results) >= COS_MIN


def test_ecapa_short_and_long_clips(ecapa):
    inference = EmbeddingInference(ecapa, max_chunk_s=4.0)
    tiny = inference.embed(_synthetic(0.1, SR, seed=5))  # repeated up to 0.25 s
    assert tiny.shape == (192,) and np.isfinite(tiny).all()
    long = _synthetic(9.0, SR, seed=6)
    chunked = inference.embed(long)  # 3 chunks of 3 s, averaged
    whole = EmbeddingInference(ecapa, max_chunk_s=None).embed(long)
    assert chunked.shape == (192,) and cosine(chunked, whole) > 0.9


def test_inference_rejects_bad_clips(ecapa):
    inference = EmbeddingInference(ecapa)
    with pytest.raises(ParameterError, match="no samples"):
        inference.embed(np.zeros(0, dtype=np.float32))
    with pytest.raises(ParameterError, match="NaN"):
        inference.embed(np.full(SR, np.nan, dtype=np.float32))
    with pytest.raises(ParameterError, match="mono"):
        inference.embed(np.zeros((SR, 2), dtype=np.float32))


# -- ECAPA-TDNN: loading offline -------------------------------------------------------------------------

@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection or resolve a host fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", refuse)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", refuse)


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


def test_loading_never_touches_the_network_or_the_folder(ecapa_dir, no_network, clips):
    # The folder's own hyperparams.yaml points at the hub (pretrained_path: speechbrain/...);
    # voxaudit uses its packaged copy with pretrained_path overridden to the folder.
    assert "pretrained_path: speechbrain/spkrec-ecapa-voxceleb" in (ecapa_dir / "hyperparams.yaml").read_text()
    before = _listing(ecapa_dir)
    encoder, _ = load_encoder("ecapa", model_dir=ecapa_dir, device="cpu", verify=False)
    assert encoder.embed(torch.from_numpy(next(iter(clips.values())))[None], torch.ones(1)).shape == (1, 192)
    assert _listing(ecapa_dir) == before  # nothing linked, written or replaced
    # auto with no weights anywhere falls back to GE2E without any download attempt.
    fallback, notice = load_encoder("auto", model_dir=ecapa_dir.parent / "nothing-here", device="cpu")
    assert fallback.name == "ge2e" and notice


def test_packaged_hyperparams_have_a_placeholder_and_repo_copies_are_links():
    from importlib import resources

    text = resources.files("voxaudit").joinpath("models", "ecapa_hyperparams.yaml").read_text("utf-8")
    assert "pretrained_path: !PLACEHOLDER" in text
    assert "classifier" not in text.split("modules:")[1]  # the head is neither built nor loaded
    for name, target in (("hyperparams.yaml", "ecapa_hyperparams.yaml"), ("checksums.json", "checksums.json")):
        link = ROOT / "models" / name
        if not link.exists():
            pytest.skip("repository models/ folder not present (installed package)")
        assert link.is_symlink() and not os.path.isabs(os.readlink(link))
        assert link.resolve() == (ROOT / "src" / "voxaudit" / "models" / target).resolve()
    manifest = json.loads((ROOT / "models" / "checksums.json").read_text())
    spec = manifest["speechbrain/spkrec-ecapa-voxceleb"]["files"]["embedding_model.ckpt"]
    assert spec == {"required": True, "bytes": 83316686,
                    "sha256": "0575cb64845e6b9a10db9bcb74d5ac32b326b8dc90352671d345e2ee3d0126a2"}


def _place(src: Path, dest: Path) -> Path:
    """A weights folder at ``dest`` whose files link to ``src``'s (no 80 MB copies)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("embedding_model.ckpt", "mean_var_norm_emb.ckpt"):
        (dest / name).symlink_to(src / name)
    return dest


def test_lookup_order_model_dir_env_then_user_cache(ecapa_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    cache = tmp_path / "xdg" / "voxaudit" / "models" / "spkrec-ecapa-voxceleb"
    assert weights.default_model_dir() == cache
    assert find_ecapa_dir(None)[0] is None
    _place(ecapa_dir, cache)
    assert find_ecapa_dir(None)[:2] == (cache, "user cache")
    env = _place(ecapa_dir, tmp_path / "env" / "spkrec-ecapa-voxceleb")  # a sub-folder is found too
    monkeypatch.setenv("VOXAUDIT_MODEL_DIR", str(tmp_path / "env"))
    assert find_ecapa_dir(None)[:2] == (env, "$VOXAUDIT_MODEL_DIR")
    flag = _place(ecapa_dir, tmp_path / "flag")
    folder, origin, searched = find_ecapa_dir(flag)
    assert (folder, origin) == (flag, "--model-dir")
    assert searched == [flag]
    # An empty --model-dir falls through to the next place, and all places are listed.
    folder, origin, searched = find_ecapa_dir(tmp_path / "empty")
    assert origin == "$VOXAUDIT_MODEL_DIR" and searched == [tmp_path / "empty", tmp_path / "env"]


def _manifest_with(monkeypatch, **spec):
    files = json.loads(json.dumps(weights._files()))
    files["embedding_model.ckpt"].update(spec)
    monkeypatch.setattr(weights, "_files", lambda: files)


def test_size_and_sha256_are_verified(ecapa_dir, monkeypatch):
    # The published spec: the random checkpoint has another size, and is rejected by size.
    with pytest.raises(ChecksumError, match=r"expected 83316686 bytes, found \d+ bytes"):
        verify_ecapa_dir(ecapa_dir)
    with pytest.raises(ChecksumError):  # auto does not silently replace broken weights with GE2E
        load_encoder("auto", model_dir=ecapa_dir, device="cpu")
    size = (ecapa_dir / "embedding_model.ckpt").stat().st_size
    actual = weights.file_sha256(ecapa_dir / "embedding_model.ckpt", memo=False)
    # Right size, wrong digest: the message names both digests and what to do.
    _manifest_with(monkeypatch, bytes=size, sha256="0" * 64)
    with pytest.raises(ChecksumError) as info:
        verify_ecapa_dir(ecapa_dir)
    message = str(info.value)
    assert f"expected sha256 {'0' * 64}, actual sha256 {actual}" in message
    assert "embedding_model.ckpt" in message and "fetch_models.py" in message
    # verify=False accepts it but says it did not match.
    assert verify_ecapa_dir(ecapa_dir, verify=False).verified is False
    # Matching size and digest: verified, loads without a notice; the encoder's weights_sha256 (cache
    # key, report.json) is embedding_model.ckpt's SHA-256, comparable with the published checksum.
    _manifest_with(monkeypatch, bytes=size, sha256=actual)
    checked = verify_ecapa_dir(ecapa_dir)
    assert checked.verified and checked.sha256["embedding_model.ckpt"] == actual
    encoder, notice = load_encoder("ecapa", model_dir=ecapa_dir, device="cpu")
    assert notice is None and encoder.weights_sha256 == checked.fingerprint == actual


def test_incomplete_folder_is_a_clear_error(ecapa_dir, tmp_path):
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "embedding_model.ckpt").symlink_to(ecapa_dir / "embedding_model.ckpt")
    with pytest.raises(WeightsError, match="missing mean_var_norm_emb.ckpt"):
        load_encoder("ecapa", model_dir=partial, device="cpu", verify=False)


def test_auto_falls_back_to_ge2e_with_a_one_line_notice(tmp_path, no_network):
    encoder, notice = load_encoder("auto", model_dir=tmp_path / "none", device="cpu")
    assert encoder.name == "ge2e" and encoder.dim == 256
    assert "\n" not in notice and "using ge2e" in notice and "HF_HUB_OFFLINE" in notice
    assert str(tmp_path / "none") in notice  # says where it looked
    with pytest.raises(WeightsNotFoundError, match="not found in"):
        load_encoder("ecapa", model_dir=tmp_path / "none", device="cpu")
    with pytest.raises(ParameterError, match="encoder must be one of"):
        load_encoder("xvector")


def test_download_verifies_before_installing(ecapa_dir, tmp_path, monkeypatch):
    """The download path with a stand-in for the hub: files land only after they verify."""
    import huggingface_hub

    calls = []

    def fake_download(*, repo_id, filename, local_dir, **kwargs):
        calls.append((repo_id, filename))
        target = Path(local_dir) / filename
        target.write_bytes((ecapa_dir / filename).read_bytes())
        return str(target)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    monkeypatch.setattr(weights, "hub_unreachable", lambda *a, **k: None)  # the stand-in hub is "up"
    dest = tmp_path / "models" / "spkrec-ecapa-voxceleb"
    with pytest.raises(WeightsNotFoundError, match="HF_HUB_OFFLINE"):
        download_ecapa(dest)
    assert calls == []
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    with pytest.raises(ChecksumError):  # the random checkpoint is not the published one
        download_ecapa(dest)
    assert not dest.exists() or not any(dest.iterdir())
    assert not list(dest.parent.glob(".*partial*"))  # staging folder removed
    size = (ecapa_dir / "embedding_model.ckpt").stat().st_size
    _manifest_with(monkeypatch, bytes=size,
                   sha256=weights.file_sha256(ecapa_dir / "embedding_model.ckpt", memo=False))
    assert download_ecapa(dest) == dest
    assert {p.name for p in dest.iterdir()} >= {"embedding_model.ckpt", "mean_var_norm_emb.ckpt"}
    assert ("speechbrain/spkrec-ecapa-voxceleb", "embedding_model.ckpt") in calls


def test_fetch_models_script_offline_and_check(ecapa_dir, tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    script = str(ROOT / "scripts" / "fetch_models.py")
    run = subprocess.run([sys.executable, script, "--dest", str(tmp_path / "w")], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert "HF_HUB_OFFLINE" in run.stderr and "models/README.md" in run.stderr
    assert "Traceback" not in run.stderr
    check = subprocess.run([sys.executable, script, "--check", str(ecapa_dir)], env=env,
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 1 and "expected 83316686 bytes" in check.stderr


# -- GE2E -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ge2e():
    return load_encoder("ge2e", device="cpu")[0]


def test_ge2e_equals_resemblyzer_embed_utterance(ge2e, clips):
    from resemblyzer import VoiceEncoder, preprocess_wav

    theirs_encoder = VoiceEncoder("cpu", verbose=False)
    precision = getattr(EmbeddingInference(ge2e), "precision", "fp32")
    ours = _embed(ge2e, clips)  # the default path must be faithful, whatever precision it picks
    batched = _embed(ge2e, clips, batch_size=8)
    for name, wav in clips.items():
        theirs = theirs_encoder.embed_utterance(preprocess_wav(wav, source_sr=SR))
        assert cosine(ours[name], theirs) >= COS_MIN, f"{name} (default precision {precision})"
        assert cosine(batched[name], ours[name]) >= COS_MIN, name
    assert ge2e.name == "ge2e" and ge2e.dim == 256 and len(ge2e.weights_sha256) == 64


def test_ge2e_padding_invariance(ge2e, clips):
    _assert_padding_invariant(ge2e, clips, (1, 8000, 5 * SR), seed=98)


@pytest.mark.speech
def test_ge2e_discriminates_real_speakers(ge2e, manifest, speech_dir):
    """Three speakers, 4 clips each: same-speaker pairs score higher than different-speaker pairs, and
    every clip is nearest to its own speaker's centroid (of the other clips)."""
    speakers = ["aishell-S0150", "vctk-p226", "lj"]
    paths = {s: [r["path"] for r in manifest if r["speaker_id"] == s][:4] for s in speakers}

    def items():
        for s in speakers:
            for k, p in enumerate(paths[s]):
                audio = load_audio(speech_dir / p)
                yield (s, k), resample(audio.samples, orig_sr=audio.sample_rate, target_sr=SR)

    emb = dict(EmbeddingInference(ge2e).embed_many(items()))
    keys = list(emb)
    x = np.stack([emb[k] for k in keys])
    gram = x @ x.T
    same = [gram[i, j] for i in range(len(keys)) for j in range(i) if keys[i][0] == keys[j][0]]
    diff = [gram[i, j] for i in range(len(keys)) for j in range(i) if keys[i][0] != keys[j][0]]
    assert min(same) > max(diff), (min(same), max(diff))
    assert np.mean(same) - np.mean(diff) > 0.15
    for i, (speaker, _) in enumerate(keys):
        scores = {}
        for s in speakers:
            members = [j for j, k in enumerate(keys) if k[0] == s and j != i]
            centre = x[members].mean(axis=0)
            scores[s] = float(x[i] @ centre / np.linalg.norm(centre))
        assert max(scores, key=scores.get) == speaker, (keys[i], scores)


# -- CUDA (runs only where an NVIDIA GPU is visible) -----------------------------------------------------

@NEEDS_CUDA
@pytest.mark.parametrize("device", ["cuda", "cuda:0"])
def test_ecapa_cuda_matches_cpu(ecapa_dir, clips, ours_one, device):
    encoder, _ = load_encoder("ecapa", model_dir=ecapa_dir, device=device, verify=False)
    assert encoder.device.type == "cuda"
    on_gpu = _embed(encoder, clips)  # default CUDA batch size: batched, padded
    for name in clips:
        assert cosine(on_gpu[name], ours_one[name]) >= COS_MIN, name


@NEEDS_CUDA
def test_ecapa_cuda_half_is_close(ecapa_dir, clips, ours_one):
    encoder, _ = load_encoder("ecapa", model_dir=ecapa_dir, device="cuda", verify=False)
    half = _embed(encoder, clips, half=True)
    worst = min(cosine(half[name], ours_one[name]) for name in clips)
    print(f"\nECAPA cuda half vs cpu fp32: worst cosine {worst:.6f}")
    assert worst >= 0.999


@NEEDS_CUDA
def test_ge2e_cuda_matches_cpu(ge2e, clips):
    gpu = load_encoder("ge2e", device="cuda")[0]
    a, b = _embed(gpu, clips), _embed(ge2e, clips)
    for name in clips:
        assert cosine(a[name], b[name]) >= COS_MIN, name


def test_cuda_request_without_cuda_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here: the error path cannot be exercised")
    with pytest.raises(ParameterError, match="CUDA is not available"):
        load_encoder("ge2e", device="cuda:0")
    with pytest.raises(ParameterError, match="device must be"):
        load_encoder("ge2e", device="tpu")


def test_unreachable_hub_is_detected_at_once(monkeypatch):
    """A closed port answers 'unreachable' without huggingface_hub's half-minute of retries."""
    import socket

    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
        assert weights.hub_unreachable() is None
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")  # now closed
    message = weights.hub_unreachable(timeout_s=1.0)
    assert message and "127.0.0.1" in message and "unreachable" in message
