"""DNSMOS P.835: a learned estimate of what listeners would rate a clip (1-5), beside our own measures.

DNSMOS P.835 (Reddy, Gopal & Cutler, ICASSP 2022, "DNSMOS P.835: a non-intrusive perceptual objective
speech quality metric to evaluate noise suppressors") predicts the three ratings of ITU-T P.835:

* ``dnsmos_sig``: the speech signal itself (distortion, a metallic or hollow voice);
* ``dnsmos_bak``: the background (noise; 5 = not noticeable);
* ``dnsmos_ovrl``: the overall quality. Dataset pipelines filter on it (Emilia keeps OVRL >= 3.0).

The network is the ONNX model shipped inside the ``speechmos`` wheel (``dnsmos_models/sig_bak_ovr.onnx``,
the DNS Challenge's own file), run with ``onnxruntime`` on 16 kHz audio in windows of 9.01 s, its raw
outputs mapped through the challenge's third-order polynomials. ``speechmos.dnsmos.run`` (the reference)
repeats a clip shorter than a window until it fills one and then scores a 9.01 s window at every 1 s
hop, averaging the windows: a 3 s clip (tiled to 12 s) costs three windows, a 20 s clip eleven. Here
the same tiled signal is covered by the fewest windows that reach its end (``plan="cover"``, the
default): one window for every clip up to 9.01 s, two for 9-18 s, evenly spaced. On 113 real clips
of ``../shared/speech`` (every third) this plan differs from ``speechmos.dnsmos.run`` by a mean
absolute 0.026 (SIG), 0.043 (BAK), 0.036 (OVRL), at most 0.10 / 0.24 / 0.18 (``python
scripts/eval_degradations.py --mos-agreement 3``); ``plan="reference"`` reproduces ``speechmos`` to
0.002 (tested).

Cost: a window is about 0.17-0.4 s of single-threaded CPU, 69 ms per second of audio over the 339 clips
of ``../shared/speech`` (one window covers a clip up to 9 s): forty times the other signal measures
(1.5 ms), +901 % on a whole GE2E scan and +373 % with ECAPA-TDNN, far over the 25 % that would put it on
every clip by default. So a scan rates every clip only with ``--mos``; by default (``"auto"``) it rates
the clips where its own reverberation reading cannot tell a small room heard from afar from dry speech
(``rt60_s`` in ``SECOND_OPINION_RT60_S``, see :func:`wants_second_opinion`): 9 of the 339 clips, +25 %
on a GE2E scan and +19 % with ECAPA-TDNN. ``--no-mos`` rates none.

The ONNX session is created once per process, on first use (the scan's workers are single-threaded
processes: ``intra_op_num_threads = 1``), never per clip.
"""

from __future__ import annotations

import functools
import math
import os
import threading
from typing import Optional

import numpy as np

from ..errors import ParameterError
from .activity import SpeechActivity, check_input

SAMPLE_RATE = 16000
# The model's fixed input: 9.01 s at 16 kHz.
WINDOW_SAMPLES = int(9.01 * SAMPLE_RATE)
MODEL_FILE = ("dnsmos_models", "sig_bak_ovr.onnx")
# The DNS Challenge's mapping of the raw network outputs onto the P.835 scale (non-personalised model),
# highest power first, as in ``speechmos.dnsmos.DNSMOS.get_polyfit_val``.
POLY_SIG = (-0.08397278, 1.22083953, 0.0052439)
POLY_BAK = (-0.13166888, 1.60915514, -0.39604546)
POLY_OVRL = (-0.06766283, 1.11546468, 0.04602535)
PLANS = ("cover", "reference")
# Shortest clip scored (s): below this the tiled window is mostly repeats of a fragment.
MIN_DURATION_S = 0.5

# The second opinion (the default mode): clips whose blind decay-time reading lies in this band [lo, hi)
# (seconds). Dry clips read up to 0.50 s (aishell1; 9 of the 279 natural clips outside fsdd_concat read
# 0.40-0.50), while small rooms heard from afar (RT60 0.3-0.45 s, direct-to-reverberant 0 dB, which
# DNSMOS rates under 2.5 for 32 of 48 held-out real clips) read 0.33-0.52 s. The rooms DNSMOS rated under
# 2.5 that carried no other finding (scripts/eval_degradations.py): the corpus's one read 0.45 s, the 10
# held-out ones 0.38-0.50 s (9 at 0.40 or more). From 0.50 s the ``reverb`` rule speaks for itself.
SECOND_OPINION_RT60_S = (0.40, 0.50)

_session = None
_session_lock = threading.Lock()


class MOSUnavailable(ParameterError):
    """onnxruntime or the speechmos wheel (which holds the model) is not installed."""


def model_path() -> str:
    """Path of ``sig_bak_ovr.onnx`` inside the installed ``speechmos`` package (not imported: its
    module pulls in librosa and requests).

    Raises
    ------
    MOSUnavailable
        When ``speechmos`` is not installed or lacks the model file.
    """
    import importlib.util

    spec = importlib.util.find_spec("speechmos")
    if spec is None or not spec.submodule_search_locations:
        raise MOSUnavailable("DNSMOS needs the speechmos wheel (its ONNX models): pip install 'voxaudit[mos]'")
    for root in spec.submodule_search_locations:
        path = os.path.join(root, *MODEL_FILE)
        if os.path.isfile(path):
            return path
    raise MOSUnavailable(f"speechmos is installed but {'/'.join(MODEL_FILE)} is missing from it")


def check_available() -> None:
    """Raise :class:`MOSUnavailable` unless onnxruntime and the model can be found (cheap: no session)."""
    import importlib.util

    if importlib.util.find_spec("onnxruntime") is None:
        raise MOSUnavailable("DNSMOS needs onnxruntime: pip install 'voxaudit[mos]'")
    model_path()


def wants_second_opinion(metrics: dict, findings=()) -> bool:
    """Whether the default mode rates a clip: its ``rt60_s`` lies in ``SECOND_OPINION_RT60_S`` and none of
    its ``findings`` (judged without DNSMOS) is an error already; a clip that is unusable anyway (8 kHz
    FSDD digits, a gated take) needs no second opinion. On the 339 clips of ``../shared/speech`` the band
    holds 16 clips, 7 of them 8 kHz FSDD sequences with errors: 9 are rated."""
    rt60 = metrics.get("rt60_s")
    low, high = SECOND_OPINION_RT60_S
    if not (isinstance(rt60, (int, float)) and low <= rt60 < high):
        return False
    return not any(getattr(f, "severity", None) == "error" for f in findings)


def second_opinion(samples: np.ndarray, *, sample_rate: int, metrics: dict, findings, config,
                   judge) -> Optional[list]:
    """The default mode's step after judging a clip: where :func:`wants_second_opinion` says so (and the
    config's mode is "auto", DNSMOS installed), rate the clip, add the ratings to ``metrics`` in place and
    return ``judge(metrics)``, the findings judged again; None where nothing was rated (also when the
    model fails on the clip: the clip keeps the findings of our own measures)."""
    if config.mos != "auto" or not wants_second_opinion(metrics, findings) or not is_available():
        return None
    try:
        rated = measure_mos(samples, sample_rate=sample_rate)
    except Exception:  # noqa: BLE001 - a failing learned model must not cost the clip its own measurements
        return None
    metrics.update(rated)
    return judge(metrics)


@functools.lru_cache(maxsize=1)
def is_available() -> bool:
    """Whether DNSMOS can run here (onnxruntime importable and the model file present); asked once per
    process."""
    try:
        check_available()
    except MOSUnavailable:
        return False
    return True


def session():
    """This process's ONNX Runtime session of the DNSMOS model, created on first use.

    Single-threaded (one intra-op and one inter-op thread, no spinning): a scan runs one measuring
    process per core.
    """
    global _session
    if _session is None:
        with _session_lock:
            if _session is None:
                try:
                    import onnxruntime as ort
                except ImportError as error:  # pragma: no cover - depends on the install
                    raise MOSUnavailable(f"DNSMOS needs onnxruntime: pip install 'voxaudit[mos]' ({error})")
                options = ort.SessionOptions()
                options.intra_op_num_threads = 1
                options.inter_op_num_threads = 1
                options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                options.log_severity_level = 3
                _session = ort.InferenceSession(model_path(), options, providers=["CPUExecutionProvider"])
    return _session


def tile_to_window(audio: np.ndarray) -> np.ndarray:
    """Repeat a clip shorter than a window (by doubling, as the reference does) until it fills one."""
    while audio.size < WINDOW_SAMPLES:
        audio = np.concatenate([audio, audio])
    return audio


def window_starts(n_samples: int, plan: str = "cover") -> list[int]:
    """First samples of the scored windows of a tiled clip of ``n_samples`` (>= one window).

    ``reference``: every 1 s while a whole window fits, as ``speechmos`` does
    (``int(floor(n / 16000) - 9.01) + 1`` windows). ``cover``: the fewest windows that reach the end,
    evenly spaced from the start to the end.
    """
    if plan not in PLANS:
        raise ParameterError(f"plan must be one of {PLANS}, got {plan!r}")
    if n_samples < WINDOW_SAMPLES:
        raise ParameterError(f"need at least {WINDOW_SAMPLES} samples, got {n_samples}")
    if plan == "reference":
        hops = int(math.floor(n_samples / SAMPLE_RATE) - WINDOW_SAMPLES / SAMPLE_RATE) + 1
        return [i * SAMPLE_RATE for i in range(hops) if i * SAMPLE_RATE + WINDOW_SAMPLES <= n_samples]
    count = int(math.ceil(n_samples / WINDOW_SAMPLES))
    if count == 1:
        return [0]
    return [int(round(s)) for s in np.linspace(0, n_samples - WINDOW_SAMPLES, count)]


def dnsmos(audio_16k: np.ndarray, *, plan: str = "cover") -> tuple[float, float, float]:
    """DNSMOS P.835 ``(sig, bak, ovrl)`` of a 16 kHz mono clip.

    Parameters
    ----------
    audio_16k : np.ndarray
        Mono samples at 16 kHz, full scale 1.0 (values are clipped to [-1, 1]).
    plan : {"cover", "reference"}
        Which windows to score (see :func:`window_starts`).

    Returns
    -------
    (float, float, float)
        The mean over the windows of the mapped SIG, BAK and OVRL scores (about 1-5).

    Raises
    ------
    ParameterError
        For an empty clip or an unknown plan; :class:`MOSUnavailable` without onnxruntime/speechmos.
    """
    x = np.clip(np.asarray(audio_16k, dtype=np.float32).reshape(-1), -1.0, 1.0)
    if x.size == 0:
        raise ParameterError("cannot rate an empty clip")
    x = tile_to_window(x)
    sess = session()
    raw = []
    for start in window_starts(x.size, plan):
        window = np.ascontiguousarray(x[start:start + WINDOW_SAMPLES])[None, :]
        raw.append(sess.run(None, {"input_1": window})[0][0])
    raw = np.asarray(raw, dtype=np.float64)
    sig = np.polyval(POLY_SIG, raw[:, 0]).mean()
    bak = np.polyval(POLY_BAK, raw[:, 1]).mean()
    ovrl = np.polyval(POLY_OVRL, raw[:, 2]).mean()
    return float(sig), float(bak), float(ovrl)


def measure_mos(samples: np.ndarray, *, sample_rate: int, activity: Optional[SpeechActivity] = None) -> dict:
    """DNSMOS P.835 of a clip at its native rate (resampled to 16 kHz with soxr HQ).

    Parameters
    ----------
    samples : np.ndarray
        Mono float32 samples, full scale 1.0.
    sample_rate : int
        Native rate in Hz.
    activity : SpeechActivity, optional
        Unused (the network sees the whole clip); kept for the common measure signature.

    Returns
    -------
    dict
        ``dnsmos_sig``, ``dnsmos_bak``, ``dnsmos_ovrl`` : float or None
            The P.835 ratings (about 1-5, higher is better), rounded to 3 decimals; None for a clip
            shorter than 0.5 s or all digital zero.

    Raises
    ------
    ParameterError
        For a bad rate or shape; :class:`MOSUnavailable` without onnxruntime/speechmos.
    """
    from ..resample import resample

    x = check_input(samples, sample_rate)
    out = {"dnsmos_sig": None, "dnsmos_bak": None, "dnsmos_ovrl": None}
    if x.size < MIN_DURATION_S * int(sample_rate) or not np.any(x):
        return out
    y = resample(x, orig_sr=int(sample_rate), target_sr=SAMPLE_RATE)
    sig, bak, ovrl = dnsmos(y)
    out.update(dnsmos_sig=round(sig, 3), dnsmos_bak=round(bak, 3), dnsmos_ovrl=round(ovrl, 3))
    return out
