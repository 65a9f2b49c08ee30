"""Benchmark speaker embedding paths on this machine; prints x-real-time and cosine to the reference.

ECAPA uses a randomly initialised checkpoint in SpeechBrain's layout (tests/ecapa_fixture.py): speed
does not depend on the weights values. Baselines measured in the same run:

* ECAPA: SpeechBrain ``EncoderClassifier.encode_batch`` one file at a time (normalize=True).
* GE2E: resemblyzer ``embed_utterance(preprocess_wav(wav, source_sr=16000))`` one file at a time.

Usage::

    HF_HUB_OFFLINE=1 python scripts/bench_embeddings.py [--clips 32] [--device cpu] [--repeat 1]

Reads real speech from ../shared/speech (or $VOXAUDIT_SPEECH_DIR). Never writes into the project.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from ecapa_fixture import build_ecapa_checkpoint, cosine, speechbrain_reference  # noqa: E402

from voxaudit.resample import resample  # noqa: E402
from voxaudit.speaker import EmbeddingInference, load_encoder  # noqa: E402


def load_clips(count: int) -> list[np.ndarray]:
    speech = Path(os.environ.get("VOXAUDIT_SPEECH_DIR", ROOT.parent / "shared" / "speech"))
    with open(speech / "MANIFEST.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    step = max(1, len(rows) // count)
    clips = []
    for row in rows[::step][:count]:
        x, sr = sf.read(speech / row["path"], dtype="float32")
        clips.append(resample(x, orig_sr=sr, target_sr=16000))
    return clips


def timed(fn, repeat: int):
    fn()  # warm-up (allocator, oneDNN kernels)
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def row(label: str, seconds: float, audio_s: float, base_s: float, cos=None) -> None:
    cos_text = "" if cos is None else f"  cos min {min(cos):.6f} mean {np.mean(cos):.6f}"
    print(f"  {label:<38} {audio_s / seconds:7.1f}x real time  {base_s / seconds:5.2f}x baseline{cos_text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=32)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--skip-ecapa", action="store_true")
    parser.add_argument("--skip-ge2e", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    clips = load_clips(args.clips)
    audio_s = sum(c.size for c in clips) / 16000
    print(f"{len(clips)} clips, {audio_s:.1f} s of audio, {min(c.size for c in clips) / 16000:.1f}-"
          f"{max(c.size for c in clips) / 16000:.1f} s each; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, device {args.device}")
    items = list(enumerate(clips))

    def ours(encoder, batch, half=False):
        inf = EmbeddingInference(encoder, batch_size=batch, half=half)
        return lambda: dict(inf.embed_many(items))

    if not args.skip_ecapa:
        tmp = Path(tempfile.mkdtemp(prefix="voxaudit-bench-"))
        folder = build_ecapa_checkpoint(tmp / "spkrec-ecapa-voxceleb", seed=0)
        reference = speechbrain_reference(folder, tmp / "sb", device=args.device)

        def sb_per_file():
            with torch.inference_mode():
                return {i: reference.encode_batch(torch.from_numpy(c)[None], normalize=True).squeeze().cpu().numpy()
                        for i, c in items}

        encoder, _ = load_encoder("ecapa", model_dir=folder, device=args.device, verify=False)
        print("ECAPA-TDNN (random weights, SpeechBrain layout)")
        base_s, base = timed(sb_per_file, args.repeat)
        row("SpeechBrain encode_batch per file", base_s, audio_s, base_s)
        fp32 = None
        for batch in (1, 4, 8):
            secs, out = timed(ours(encoder, batch), args.repeat)
            row(f"embed_many batch {batch} fp32", secs, audio_s, base_s, [cosine(out[i], base[i]) for i in out])
            fp32 = fp32 or out
        for batch in (1, 8):
            secs, out = timed(ours(encoder, batch, half="bf16"), args.repeat)
            row(f"embed_many batch {batch} bf16 autocast", secs, audio_s, base_s,
                [cosine(out[i], fp32[i]) for i in out])

    if not args.skip_ge2e:
        from resemblyzer import VoiceEncoder, preprocess_wav

        voice = VoiceEncoder(args.device, verbose=False)
        encoder, _ = load_encoder("ge2e", device=args.device)
        print("GE2E (resemblyzer)")
        base_s, base = timed(lambda: {i: voice.embed_utterance(preprocess_wav(c, source_sr=16000))
                                      for i, c in items}, args.repeat)
        row("resemblyzer embed_utterance per file", base_s, audio_s, base_s)
        for batch in (1, 4, 16, 32):
            secs, out = timed(ours(encoder, batch), args.repeat)
            row(f"embed_many batch {batch} fp32", secs, audio_s, base_s, [cosine(out[i], base[i]) for i in out])
        secs, out = timed(ours(encoder, 16, half="bf16"), args.repeat)
        row("embed_many batch 16 bf16 autocast", secs, audio_s, base_s, [cosine(out[i], base[i]) for i in out])


if __name__ == "__main__":
    main()
