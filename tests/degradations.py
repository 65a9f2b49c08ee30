"""A degradation corpus built from real tools on real speech (tests and ``scripts/eval_degradations.py``).

Each clean take from ``../shared/speech`` becomes a *noisy take* (the take plus pink or white noise, or
babble made of other real talkers, at a given SNR over its active speech), and the noisy take goes
through what a user cleaning voice data reaches for:

* ``rnnoise``: RNNoise through the ``pyrnnoise`` wheel (a recurrent-network suppressor, 48 kHz inside);
* ``nr_stationary`` / ``nr_nonstationary``: spectral gating with ``noisereduce`` (Sainburg's
  stationary and non-stationary modes) at a few strengths (``prop_decrease``);
* ``gate``: ``pedalboard.NoiseGate`` at a hard ratio (20) and as a downward expander (ratios 4 and
  2.5), threshold 20 dB over the noise's RMS (the hard gate then silences the pauses; the expanders
  lower them by about 25 and 15 dB; speech loses 0.1 dB);
* ``agc_*``: ``pedalboard`` chains that behave like a phone's automatic gain control: a fast
  compressor with make-up gain and a limiter, and a slow-release one (a limiter driven hard enough by
  a fixed gain to pump the noise up also leaves speech and noise within 6 dB of each other, which no
  one would keep, so it is not in the corpus);
* ``specsub``: textbook power spectral subtraction (Berouti et al. 1979: over-subtraction ``alpha``,
  spectral floor ``beta``) with the noise estimated from the quietest frames: it leaves musical noise;
* ``room``: a synthetic room (exponentially decaying noise of a given RT60, with a direct path);

and the unprocessed noisy and clean takes stand beside them as controls. :func:`slicer_like` cuts a
long session the way GPT-SoVITS's slicer does with its web UI defaults.

Nothing here is cached on disk: callers keep the corpus in memory (a session-scoped fixture).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
from scipy import signal as sps

from synth import pink_noise_band, white_noise

# Eleven takes with pauses between phrases, from five corpora and four sample rates.
CORPUS_CLIPS = (
    "vctk_16k/vctk-p225/p225_023.wav",
    "vctk_16k/vctk-p226/p226_008.wav",
    "vctk_16k/vctk-p227/p227_003.wav",
    "vctk_16k/vctk-p228/p228_003.wav",
    "ljspeech/lj/LJ001-0001.wav",
    "ljspeech/lj/LJ001-0010.wav",
    "aishell1/aishell-S0913/BAC009S0913W0300.wav",
    "aishell1/aishell-S0913/BAC009S0913W0304.wav",
    "librispeech_test-other/ls2033/2033-164914-0001.wav",
    "librispeech_test-other/ls3080/3080-5032-0008.wav",
    "vctk_48k/vctk-p233/p233_023.wav",
)
# Talkers mixed into babble noise (none of them in CORPUS_CLIPS).
BABBLE_CLIPS = (
    "librispeech_train-clean-100/ls1098/1098-133695-0000.wav",
    "librispeech_train-clean-100/ls1246/1246-124548-0000.wav",
    "librispeech_train-clean-100/ls1334/1334-135589-0000.wav",
    "librispeech_train-clean-100/ls1355/1355-39947-0000.wav",
    "librispeech_train-clean-100/ls125/125-121124-0000.wav",
    "librispeech_train-clean-100/ls103/103-1240-0000.wav",
)


@dataclass
class Item:
    """One clip of the corpus.

    ``family`` groups the tool (``clean``, ``noisy``, ``rnnoise``, ``nr_stationary``, ...), ``setting``
    names its parameters, ``expect`` lists the finding codes it must raise (empty for controls), and
    ``realistic`` marks the settings a user would run (the detection targets count only those).
    """

    name: str
    family: str
    setting: str
    source: str
    samples: np.ndarray
    sample_rate: int
    expect: tuple[str, ...] = ()
    realistic: bool = True
    info: dict = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return self.samples.size / self.sample_rate


def load_clip(speech_dir: Path, path: str) -> tuple[np.ndarray, int]:
    x, sr = sf.read(Path(speech_dir) / path, dtype="float32", always_2d=False)
    if x.ndim > 1:
        x = x.mean(axis=1)
    return np.ascontiguousarray(x, dtype=np.float32), int(sr)


def active_power(x: np.ndarray, sr: int) -> float:
    """Mean power of the speech frames (our own activity mask on the clean take)."""
    from voxaudit.signal.activity import speech_activity

    act = speech_activity(x, sample_rate=sr)
    hop = int(round(act.hop_s * sr))
    mask = np.repeat(act.speech, hop)
    mask = np.pad(mask, (0, max(0, x.size - mask.size)))[: x.size]
    if not mask.any():
        mask = np.abs(x) > 1e-3
    return float(np.mean(x[mask].astype(np.float64) ** 2))


def babble(n: int, sr: int, speech_dir: Path, *, seed: int = 0) -> np.ndarray:
    """Babble noise: the six ``BABBLE_CLIPS`` talkers summed with random offsets, unit variance."""
    rng = np.random.default_rng(seed)
    out = np.zeros(n)
    for path in BABBLE_CLIPS:
        y, rate = load_clip(speech_dir, path)
        if rate != sr:
            y = soxr.resample(y, rate, sr)
        y = y / (np.std(y) + 1e-12)
        reps = int(math.ceil(n / y.size)) + 1
        tiled = np.tile(y, reps)
        start = int(rng.integers(0, y.size))
        out += tiled[start:start + n]
    return out / np.std(out)


def noise_of(kind: str, n: int, sr: int, speech_dir: Path, *, seed: int) -> np.ndarray:
    if kind == "pink":
        return pink_noise_band(n, sample_rate=sr, seed=seed)
    if kind == "white":
        return white_noise(n, seed=seed)
    if kind == "babble":
        return babble(n, sr, speech_dir, seed=seed)
    raise ValueError(kind)


def mix_at_snr(x: np.ndarray, sr: int, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``x`` plus ``noise`` scaled so that active-speech power over noise power is ``snr_db``."""
    scale = math.sqrt(active_power(x, sr) / (np.mean(noise ** 2) * 10 ** (snr_db / 10)))
    return (x + scale * noise[: x.size]).astype(np.float32)


def level_dbfs(x: np.ndarray) -> float:
    return 10 * math.log10(float(np.mean(np.asarray(x, np.float64) ** 2)) + 1e-20)


# --- the tools --------------------------------------------------------------------------------------

def rnnoise(x: np.ndarray, sr: int) -> np.ndarray:
    """RNNoise through ``pyrnnoise`` (resamples to 48 kHz and back itself), as its ``denoise_wav`` does."""
    from pyrnnoise import RNNoise

    denoiser = RNNoise(sample_rate=sr)
    pcm = np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16)
    frames = [frame for _, frame in denoiser.denoise_chunk(np.atleast_2d(pcm), partial=True)]
    out = np.concatenate(frames, axis=1)[0].astype(np.float32) / 32768.0
    return _fit(out, x.size)


def noisereduce(x: np.ndarray, sr: int, *, stationary: bool, prop_decrease: float) -> np.ndarray:
    """``noisereduce.reduce_noise`` with its defaults otherwise (no noise clip given: it finds the noise)."""
    import noisereduce as nr

    out = nr.reduce_noise(y=x, sr=sr, stationary=stationary, prop_decrease=prop_decrease, n_jobs=1)
    return _fit(np.asarray(out, dtype=np.float32), x.size)


def noise_gate(x: np.ndarray, sr: int, *, threshold_db: float, ratio: float,
               release_ms: float = 100.0) -> np.ndarray:
    """``pedalboard.NoiseGate``: ratio 20 closes hard, 2-4 is a downward expander."""
    from pedalboard import NoiseGate, Pedalboard

    board = Pedalboard([NoiseGate(threshold_db=threshold_db, ratio=ratio, attack_ms=1.0,
                                  release_ms=release_ms)])
    return _fit(board(x.astype(np.float32), sr), x.size)


def agc_chain(x: np.ndarray, sr: int, *, kind: str) -> np.ndarray:
    """Compressor/limiter chains that behave like automatic gain control (levels relative to the take's
    active speech level ``s`` dBFS; output speech near -18 dBFS). The gain drops while the talker
    speaks and comes back in the pauses, so the noise floor is louder in the pauses than under the
    words:

    * ``fast``: Compressor(threshold s-6 dB, ratio 4, attack 2 ms, release 100 ms) + make-up gain +
      Limiter(-1 dB): a phone's AGC;
    * ``slow``: the same with attack 10 ms and release 800 ms: the gain climbs through each pause.
    """
    if kind not in ("fast", "slow"):
        raise ValueError(kind)
    attack, release = (2.0, 100.0) if kind == "fast" else (10.0, 800.0)
    return compressor_agc(x, sr, ratio=4.0, attack_ms=attack, release_ms=release, below_speech_db=6.0)


def compressor_agc(x: np.ndarray, sr: int, *, ratio: float, attack_ms: float, release_ms: float,
                   below_speech_db: float) -> np.ndarray:
    """Compressor (threshold ``below_speech_db`` under the take's active speech level, ``ratio``, attack,
    release) + make-up gain that puts the compressed speech near -18 dBFS + Limiter(-1 dB, release 100 ms):
    the chains of :func:`agc_chain` and the held-out ones of ``scripts/eval_degradations.py``."""
    from pedalboard import Compressor, Gain, Limiter, Pedalboard

    threshold = 10 * math.log10(active_power(x, sr) + 1e-20) - below_speech_db
    makeup = -18.0 - (threshold + below_speech_db / ratio)
    board = Pedalboard([Compressor(threshold_db=threshold, ratio=ratio, attack_ms=attack_ms, release_ms=release_ms),
                        Gain(gain_db=makeup), Limiter(threshold_db=-1.0, release_ms=100.0)])
    return _fit(board(x.astype(np.float32), sr), x.size)


def spectral_subtraction(x: np.ndarray, sr: int, *, alpha: float = 4.0, beta: float = 0.002,
                         quiet_share: float = 0.1) -> np.ndarray:
    """Power spectral subtraction with over-subtraction (Berouti, Schwartz & Makhoul 1979).

    The noise power per bin is the mean over the quietest ``quiet_share`` of the frames;
    ``|Y|^2 - alpha * N`` is floored at ``beta * N``; the noisy phase is kept. The isolated bins that
    survive the subtraction are the "musical noise".
    """
    nper = 512 if sr <= 24000 else 1024
    kw = dict(fs=sr, nperseg=nper, noverlap=nper // 2, window="hann")
    _, _, spec = sps.stft(x, **kw)
    power = np.abs(spec) ** 2
    frame_power = power.sum(axis=0)
    quiet = frame_power <= np.quantile(frame_power, quiet_share)
    noise = power[:, quiet].mean(axis=1, keepdims=True)
    clean = np.maximum(power - alpha * noise, beta * noise)
    gain = np.sqrt(clean / np.maximum(power, 1e-30))
    _, y = sps.istft(spec * gain, **kw)
    return _fit(y.astype(np.float32), x.size)


def room(x: np.ndarray, sr: int, rt60_s: float, *, drr_db: float = 0.0, seed: int = 0) -> np.ndarray:
    """A room: the direct path plus exponentially decaying noise of the given RT60 (from 2.5 ms on),
    with a direct-to-reverberant ratio of ``drr_db``; output scaled to the input's RMS."""
    rng = np.random.default_rng(seed)
    n = int(1.5 * rt60_s * sr)
    t = np.arange(n) / sr
    tail = rng.standard_normal(n) * np.exp(-3.0 * math.log(10.0) * t / rt60_s)
    tail[: int(0.0025 * sr)] = 0.0
    tail *= math.sqrt(10 ** (-drr_db / 10) / np.sum(tail ** 2))
    h = tail
    h[0] += 1.0
    y = sps.fftconvolve(x, h)[: x.size]
    y *= math.sqrt(np.mean(x.astype(np.float64) ** 2) / (np.mean(y ** 2) + 1e-30))
    return y.astype(np.float32)


def _fit(y: np.ndarray, n: int) -> np.ndarray:
    y = np.asarray(y, dtype=np.float32).reshape(-1)
    if y.size >= n:
        return np.ascontiguousarray(y[:n])
    return np.concatenate([y, np.zeros(n - y.size, np.float32)])


def _safe(y: np.ndarray) -> np.ndarray:
    """Keep a processed clip inside full scale (as an export would): scale down, never clip."""
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    return (y * (0.99 / peak)).astype(np.float32) if peak > 0.99 else y.astype(np.float32)


# --- the corpus -------------------------------------------------------------------------------------

NOISE_SNR_DB = 18.0


def build_corpus(speech_dir: Path, clips=CORPUS_CLIPS, *, snr_db: float = NOISE_SNR_DB,
                 families: tuple[str, ...] | None = None, rooms: tuple[float, ...] = (0.3, 0.6, 0.9, 1.2),
                 nr_strengths: tuple[float, ...] = (1.0, 0.8, 0.5)) -> list[Item]:
    """Every tool and setting on every take of ``clips`` (see the module notes).

    The noisy take of clip ``i`` uses pink noise for even ``i`` and white noise for odd ``i``; every tool
    runs on the noisy take, except ``room``, which runs on the clean take.
    """
    items: list[Item] = []

    def want(family: str) -> bool:
        return families is None or family in families

    for i, path in enumerate(clips):
        x, sr = load_clip(speech_dir, path)
        stem = Path(path).stem
        kind = "pink" if i % 2 == 0 else "white"
        noisy = mix_at_snr(x, sr, noise_of(kind, x.size, sr, speech_dir, seed=100 + i), snr_db)
        noise_dbfs = level_dbfs(noisy - x)

        def add(family, setting, y, expect=(), realistic=True, **info):
            items.append(Item(f"{stem}/{family}/{setting}", family, setting, path, _safe(y), sr,
                              tuple(expect), realistic, {"noise": kind, **info}))

        if want("clean"):
            add("clean", "-", x)
        if want("noisy"):
            add("noisy", f"{kind} {snr_db:g} dB", noisy)
        if want("rnnoise"):
            add("rnnoise", "default", rnnoise(noisy, sr), ("denoised",))
        for stationary, family in ((True, "nr_stationary"), (False, "nr_nonstationary")):
            if not want(family):
                continue
            for prop in nr_strengths:
                add(family, f"prop_decrease {prop:g}",
                    noisereduce(noisy, sr, stationary=stationary, prop_decrease=prop),
                    # The issue measured both spectral gates at full reduction, noisereduce's default;
                    # partial strengths stay in the corpus and in the tables, marked "(mild)".
                    ("denoised",), realistic=prop >= 1.0)
        if want("gate"):
            for ratio in (20.0, 4.0, 2.5):
                add("gate", f"ratio {ratio:g}",
                    noise_gate(noisy, sr, threshold_db=noise_dbfs + 20.0, ratio=ratio), ("denoised",))
        for agc in ("fast", "slow"):
            if want(f"agc_{agc}"):
                add(f"agc_{agc}", "-", agc_chain(noisy, sr, kind=agc), ("agc_pumping",))
        if want("specsub"):
            add("specsub", "alpha 4, beta 0.002", spectral_subtraction(noisy, sr, alpha=4.0, beta=0.002),
                ("denoised",))
            add("specsub", "alpha 2, beta 0.01", spectral_subtraction(noisy, sr, alpha=2.0, beta=0.01),
                ("denoised",))
        if want("room"):
            for rt60 in rooms:
                add("room", f"RT60 {rt60:g} s", room(x, sr, rt60, seed=i), ("reverb",) if rt60 >= 0.6 else (),
                    rt60_s=rt60)
    return items


# --- a GPT-SoVITS-like slicer ------------------------------------------------------------------------

def slicer_like(x: np.ndarray, sr: int, *, threshold_db: float = -34.0, min_length_ms: int = 4000,
                min_interval_ms: int = 300, hop_ms: int = 10, max_sil_kept_ms: int = 500,
                norm_max: float = 0.9, alpha: float = 0.25) -> list[np.ndarray]:
    """Cut a long recording into phrases the way GPT-SoVITS's slicer does with its web UI defaults.

    Frame RMS (window 4 hops, hop ``hop_ms``) under ``threshold_db`` is silence; a slice is closed at a
    silence of at least ``min_interval_ms`` once it is ``min_length_ms`` long. Silences up to
    ``max_sil_kept_ms`` are cut at their quietest frame; longer ones keep at most ``max_sil_kept_ms`` on
    each side (cut at the quietest frame within that reach) and drop the middle. Each slice is then
    mixed with its peak-normalised copy (``alpha`` of a copy peaking at ``norm_max``), as the tool's
    export step does. Written from the tool's documented behaviour, not its code.
    """
    hop = int(round(sr * hop_ms / 1000))
    win = min(int(round(sr * min_interval_ms / 1000)), 4 * hop)
    padded = np.pad(x.astype(np.float64), (win // 2, win // 2))
    n_frames = 1 + (padded.size - win) // hop
    frames = np.lib.stride_tricks.sliding_window_view(padded, win)[::hop][:n_frames]
    rms = np.sqrt(np.mean(frames ** 2, axis=1))
    silent = rms < 10 ** (threshold_db / 20)
    min_len = int(round(min_length_ms / hop_ms))
    min_gap = int(round(min_interval_ms / hop_ms))
    keep = int(round(max_sil_kept_ms / hop_ms))

    cuts: list[tuple[int, int]] = []  # (end of previous slice, start of next slice), in frames
    clip_start = 0
    i = 0
    while i < n_frames:
        if not silent[i]:
            i += 1
            continue
        j = i
        while j < n_frames and silent[j]:
            j += 1
        gap = j - i
        leading = i == 0
        if j < n_frames and (leading or (gap >= min_gap and i - clip_start >= min_len)):
            if gap <= keep:
                pos = i + int(np.argmin(rms[i:j]))
                cuts.append((0 if leading else pos, pos))
                clip_start = pos
            else:
                left = i + int(np.argmin(rms[i:i + keep + 1]))
                right = j - keep + int(np.argmin(rms[j - keep:j]))
                cuts.append((0 if leading else left, right))
                clip_start = right
        elif j >= n_frames and gap >= min_gap:
            end = i + int(np.argmin(rms[i:min(n_frames, i + keep + 1)]))
            cuts.append((end, n_frames))
        i = j
    bounds = []
    start = 0
    for end, nxt in cuts:
        if end > start:
            bounds.append((start, end))
        start = nxt
    if start < n_frames:
        bounds.append((start, n_frames))
    out = []
    for a, b in bounds:
        chunk = x[a * hop:min(x.size, b * hop)].astype(np.float64)
        if chunk.size < hop:
            continue
        peak = float(np.max(np.abs(chunk)))
        if peak > 1:
            chunk = chunk / peak
        if peak > 0:
            chunk = chunk / peak * (norm_max * alpha) + (1 - alpha) * chunk
        out.append(np.clip(np.round(chunk * 32767), -32768, 32767).astype(np.int16).astype(np.float32) / 32768.0)
    return out


def trim_silence(x: np.ndarray, sr: int, keep_s: float) -> np.ndarray:
    """``x`` with its leading and trailing non-speech cut down to ``keep_s`` seconds."""
    from voxaudit.signal.activity import speech_activity

    act = speech_activity(x, sample_rate=sr)
    idx = np.flatnonzero(act.speech)
    if idx.size == 0:
        return x
    start = max(0, int(round(idx[0] * act.hop_s * sr - keep_s * sr)))
    stop = min(x.size, int(round((idx[-1] + 1) * act.hop_s * sr + act.frame_s * sr + keep_s * sr)))
    return x[start:stop]


def slicer_session(speech_dir: Path, speakers=("aishell-S0150", "aishell-S0252"), *, rate: int = 32000,
                   keep_s: float = 0.15, manifest: list[dict] | None = None) -> list[np.ndarray]:
    """Clean aishell1 sessions read as continuous recordings, cut by :func:`slicer_like`.

    For each speaker, every clip in order with its leading and trailing silence cut to ``keep_s``
    (sentences read one after another, 0.3 s apart), resampled to 32 kHz as the slicer's loader does,
    joined and sliced: phrases cut at the pauses with little silence kept, as GPT-SoVITS hands them
    to its later steps.
    """
    import csv

    if manifest is None:
        with open(Path(speech_dir) / "MANIFEST.csv", newline="", encoding="utf-8") as fh:
            manifest = list(csv.DictReader(fh))
    out = []
    for speaker in speakers:
        paths = sorted(r["path"] for r in manifest if r["speaker_id"] == speaker)
        parts = []
        for path in paths:
            x, sr = load_clip(speech_dir, path)
            x = trim_silence(x, sr, keep_s)
            parts.append(soxr.resample(x, sr, rate) if sr != rate else x)
        if parts:
            out += slicer_like(np.concatenate(parts).astype(np.float32), rate)
    return out
