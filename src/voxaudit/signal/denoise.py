"""Signs of prior noise reduction or noise gating.

A denoiser or a noise gate leaves traces that a voice model learns as metallic or "underwater"
artefacts, and that no natural recording shows:

* ``digital_silence_ratio``: pauses *between words* that are exact digital zero (or below
  ``NEAR_ZERO_DBFS``): a gate closed there. Leading and trailing silence is not counted (editors pad
  clips with zeros).
* ``floor_modulation_db``: the noise floor is present under the speech but gone in the pauses. In each
  third-octave band the floor under speech is a low percentile of the band's power over the speech
  frames, and the pause floor a low percentile (25th) over the pause frames; a natural recording has both about
  equal in the bands the voice leaves empty, so the clip's value is a low percentile over the bands of
  their difference.
* ``pause_drop_db``: how a pause is entered. A gate closes: the floor falls by its range within a
  few frames (largest fall over 32 ms around the start of a pause, in the bands of the floor
  comparison, median over the pauses that follow speech: 20-35 dB for gates and expanders, 10-30 dB for
  dry natural speech whose voice stops). Reverberation also leaves a floor under speech (the tails)
  that is gone in long pauses, but its tail decays by 60 dB per RT60 (4-8 dB per 32 ms for RT60
  0.6-1 s). The floor modulation counts towards the score only when the fall is steep (at least
  ``GATE_DROP_DB``).
* ``spectral_hole_ratio``: a spectral gate multiplies time-frequency bins by a hard zero mask. The
  fraction of bins in speech frames that are exact zero or more than ``HOLE_DEPTH_DB`` below their
  frequency's median level over the speech frames (natural noise puts a bin that deep with a
  probability of about one in a million).
* ``floor_step_db`` and ``speech_floor_spread_db`` (:mod:`voxaudit.signal.expander`): a downward
  expander turns the steady noise down in every pause and leaves it under the words; no digital silence,
  and a slow release enters the pauses as gently as a room's tail. The step between the floor under loud
  speech and the floor in the pause cores counts when the floor under speech is steady noise.
* ``musical_noise_ratio``: spectral subtraction (and strong spectral noise reduction) leaves *musical
  noise*: isolated time-frequency peaks over a floor pushed down. Each bin of the pause frames is divided
  by its own median over the pauses (a steady tone or a coloured floor becomes flat); a bin that stands
  ``MUSICAL_PEAK_DB`` over the median of its 500 Hz block in its frame is a peak (a breath or a click
  raises the whole block, not one bin); the value is the share of such bins. Gaussian noise 0.0001-0.0002.
* ``denoise_score``: 0..1, the strongest of the signs mapped onto a common scale (``SCORE_*`` below, see
  :func:`sign_scores`), so that 0.5 (warning) and 0.75 (error) mean the same strength of evidence
  whichever sign carries it; the finding's message names the signs that reach 0.5 on their own.

Calibration on the 339 real clips of ``../shared/speech`` and synthetic degradations of them: no
natural clip has any digital silence between words (all sources 0.0, except ``fsdd_concat``); the floor
modulation of natural clips has a median of 0.1-9.5 dB per source and a maximum of 22 dB (LibriVox
clips at ~50 dB SNR), 16 dB for the studio sources; spectral holes stay under 0.0009 (0.0015 in
LibriSpeech test-other), MP3-decoded clips reach 0.004. A hard gate that closes between words turns
10-70 % of those pauses into digital silence, a gate with 30 dB of range gives a floor modulation of
22-30 dB, a noisereduce-style spectral gate 0.001-0.03 holes (median 0.009). Pauses are entered
with a fall of 9-23 dB (median per source) in natural clips, 25-35 dB through an expander, 3-12 dB
in a synthetic room of RT60 0.6-1 s, where the floor modulation reaches 31 dB. A gate that only closes
before the first and after the last word cannot be told from zero padding and is not counted.

``fsdd_concat`` joins spoken digits with 120 ms of exact digital silence by construction: that is what
a gate or a "remove silence" edit leaves, and a voice model trained on it learns dead-silent gaps, so
it is judged ``denoised`` on purpose (the finding's message says the digital silence carries it).

Known limit: the floor modulation compares the floor under speech with the floor in the pauses, which
assumes the voice leaves some band near the floor now and then during speech, as real voices do. A
voice that fills every band at every instant (the dense synthetic ``voiced_speech`` of the tests) reads
as gated from about 45 dB SNR on; with the dynamics of real speech a take at 60 dB SNR stays under the
error level (``tests/test_signal_advanced.py``). A mild spectral denoiser (< 15 dB of reduction) reads
as clean, and so does ``noisereduce`` at partial strength (``prop_decrease`` 0.8 or 0.5): it turns every
noise-only time-frequency cell down by the same 14 or 6 dB and keeps the noise only where speech covers
it, so the residual in the pauses stays Gaussian (``musical_noise_ratio`` 0.0000-0.0007) and the floor
under speech matches the pauses' (``floor_step_db`` -2.1 to -0.1 dB), as in an untouched recording that
is simply quieter. Musical noise needs 16 pause frames (0.26 s) at least 48 ms from speech.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .activity import SpeechActivity, dilate, mask_runs
from .expander import STEADY_SPREAD_DB, floor_step_db
from .plosive import _speech_on_grid
from .reverb import _check, analysis_signal, stft_power

FRAME_S = 0.032
HOP_S = 0.016
# A frame whose (70 Hz high-passed) power is below this counts as digital silence.
NEAR_ZERO_DBFS = -90.0
# Third-octave bands between these limits enter the floor comparison.
BAND_LOW_HZ = 100.0
BAND_HIGH_HZ = 7500.0
# Low percentile of a band's power over the speech frames: the floor under speech; and over the pause
# frames: the floor in the pauses (robust to a little zero padding at the clip's ends).
SPEECH_FLOOR_PERCENTILE = 10.0
PAUSE_FLOOR_PERCENTILE = 25.0
# Low percentile over the bands of the floor difference (the bands the voice leaves empty).
BAND_PERCENTILE = 20.0
# Power of a dead band (exact zero) in dB re full scale, and the largest modulation reported.
DEAD_DB = -150.0
MAX_MODULATION_DB = 80.0
# Pause entry: the largest fall of the floor bands' level over PAUSE_DROP_FRAMES frames, looked for from
# PAUSE_DROP_BEFORE frames before a pause (the speech mask's hangover) to PAUSE_DROP_AFTER frames into it
# (a gate's hold time), in pauses of at least MIN_PAUSE_FRAMES that follow speech.
PAUSE_DROP_FRAMES = 2
PAUSE_DROP_BEFORE = 6
PAUSE_DROP_AFTER = 25
MIN_PAUSE_FRAMES = 12
# A fall at least this steep is a gate closing; a gentler one is a reverberant tail decaying.
GATE_DROP_DB = 15.0
# A bin is a hole when it is this far below its frequency's median over the speech frames ...
HOLE_DEPTH_DB = 60.0
# ... counted only at frequencies whose median is above this level (dB re full scale): above a
# band limit there is nothing to punch holes into.
CONTENT_DB = -110.0
# Musical noise: the pause frames at least MUSICAL_GUARD_FRAMES of 16 ms from speech; bins from
# MUSICAL_LOW_HZ up, whitened by their own median over those frames, in blocks of MUSICAL_BLOCK_BINS
# (500 Hz); a bin at least MUSICAL_PEAK_DB over its block's median in its frame is a peak. Gaussian noise
# puts 0.0001-0.0002 of its bins there (10 s of white noise, three seeds); breaths and clicks raise whole
# blocks and barely count.
MUSICAL_GUARD_FRAMES = 3
MUSICAL_LOW_HZ = 1000.0
MUSICAL_BLOCK_BINS = 16
MUSICAL_PEAK_DB = 13.0
# The per-bin median needs this many pause frames (0.26 s): natural clips with 5-15 of them read up to
# 0.022 (a median over a handful of frames is no floor), with 16 or more at most 0.007.
MUSICAL_MIN_FRAMES = 16
# Speech frames used for the hole count (spread over the clip) and the fewest needed.
MAX_HOLE_FRAMES = 1500
MIN_FRAMES = 5
_DB_EPS = 1e-30


def _power_db(power: np.ndarray, window_sum: float) -> np.ndarray:
    """Windowed-FFT power in dB re full scale (a full-scale sine's peak bin reads 0 dB)."""
    scale = 4.0 / (window_sum * window_sum)
    with np.errstate(divide="ignore"):
        out = 10.0 * np.log10(power.astype(np.float64) * scale)
    return np.where(power > 0, out, DEAD_DB * 2)


def digital_silence_ratio(activity: SpeechActivity) -> Optional[float]:
    """Fraction of the pauses between the first and the last speech frame that is digital silence.

    Parameters
    ----------
    activity : SpeechActivity
        The clip's speech activity.

    Returns
    -------
    float or None
        Digital-silence frames (exact zero, or power below ``NEAR_ZERO_DBFS``) over the non-speech
        frames between the first and the last speech frame; None when there is no such pause.
    """
    speech = np.asarray(activity.speech, dtype=bool)
    idx = np.flatnonzero(speech)
    if idx.size == 0:
        return None
    inner = slice(int(idx[0]), int(idx[-1]) + 1)
    dead = np.asarray(activity.digital_zero, dtype=bool)[inner] | (
        np.asarray(activity.frame_db)[inner] < NEAR_ZERO_DBFS)
    pause = ~speech[inner] | dead
    if not pause.any():
        return None
    return float(np.count_nonzero(dead & pause) / np.count_nonzero(pause))


def _third_octave_bands(freqs: np.ndarray, sample_rate: int) -> list[tuple[int, int]]:
    """FFT-bin ranges of the third-octave bands between BAND_LOW_HZ and BAND_HIGH_HZ (below 0.45 x rate)."""
    top = min(BAND_HIGH_HZ, 0.45 * sample_rate)
    edges = BAND_LOW_HZ * 2.0 ** (np.arange(0, 40) / 3.0)
    edges = edges[edges <= top]
    bands = []
    for low, high in zip(edges[:-1], edges[1:]):
        sel = np.flatnonzero((freqs >= low) & (freqs < high))
        if sel.size:
            bands.append((int(sel[0]), int(sel[-1]) + 1))
    return bands


@dataclass
class BandAnalysis:
    """Third-octave band powers of a clip on the 16 kHz analysis grid (32 ms frames, 16 ms hop), shared by
    the denoising and AGC measures (cached on the activity as ``"bands"``).

    Attributes
    ----------
    band_db : np.ndarray
        ``(frames, bands)`` band power in dB re full scale (a dead band reads ``DEAD_DB``).
    speech : np.ndarray (bool)
        The speech mask on this grid.
    speech_bins : np.ndarray or None
        ``(bins, frames)`` power spectra of the speech frames used for the hole count (thinned evenly
        on long clips); None with fewer than ``MIN_FRAMES`` of them.
    freqs : np.ndarray
        Frequency of each FFT bin (Hz).
    rate : int
        The analysis rate (Hz).
    window_sum : float
        Sum of the analysis window (for :func:`_power_db`).
    band_bins : np.ndarray
        Number of FFT bins in each band.
    pause_bins : np.ndarray or None
        ``(frames, bins)`` power spectra of the pause frames at least ``MUSICAL_GUARD_FRAMES`` from
        speech (thinned evenly on long clips); None with fewer than ``MIN_FRAMES`` of them.
    band_low_hz : np.ndarray or None
        The lower edge of each band (Hz).
    """

    band_db: np.ndarray
    speech: np.ndarray
    speech_bins: Optional[np.ndarray]
    freqs: np.ndarray
    rate: int
    window_sum: float
    band_bins: np.ndarray
    pause_bins: Optional[np.ndarray] = None
    band_low_hz: Optional[np.ndarray] = None


def band_analysis(samples: np.ndarray, *, sample_rate: int, activity: SpeechActivity) -> BandAnalysis:
    """The clip's :class:`BandAnalysis`, computed once per activity object (then cached)."""
    cached = activity.cache.get("bands")
    if cached is not None:
        return cached
    x = _check(samples, sample_rate)
    y, rate = analysis_signal(x, sample_rate=sample_rate)
    n = max(2, int(round(FRAME_S * rate)))
    window_sum = float(np.hanning(n + 2)[1:-1].sum())
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    bands = _third_octave_bands(freqs, rate)
    hop_s = max(1, int(round(HOP_S * rate))) / rate

    n_frames = 1 + max(0, int(np.ceil((max(y.size, n) - n) / max(1, int(round(HOP_S * rate))))))
    speech = _speech_on_grid(activity, n_frames, hop_s, FRAME_S)
    # Frames for the hole count: the speech frames, thinned evenly on long clips.
    speech_idx = np.flatnonzero(speech)
    if speech_idx.size > MAX_HOLE_FRAMES:
        speech_idx = speech_idx[np.linspace(0, speech_idx.size - 1, MAX_HOLE_FRAMES).round().astype(int)]
    keep = np.zeros(n_frames, dtype=bool)
    keep[speech_idx] = True
    pause_idx = np.flatnonzero(~dilate(speech, MUSICAL_GUARD_FRAMES))
    if pause_idx.size > MAX_HOLE_FRAMES:
        pause_idx = pause_idx[np.linspace(0, pause_idx.size - 1, MAX_HOLE_FRAMES).round().astype(int)]
    keep_pause = np.zeros(n_frames, dtype=bool)
    keep_pause[pause_idx] = True

    band_power = np.zeros((n_frames, len(bands)))
    speech_bins, pause_bins = [], []
    for start, power in stft_power(y, sample_rate=rate, frame_s=FRAME_S, hop_s=HOP_S):
        stop = start + power.shape[0]
        if bands:
            band_power[start:stop] = np.stack([power[:, a:b].sum(axis=1) for a, b in bands], axis=1)
        sel = keep[start:stop]
        if sel.any():
            speech_bins.append(power[sel])
        sel = keep_pause[start:stop]
        if sel.any():
            pause_bins.append(power[sel])
    band_db = np.maximum(_power_db(band_power, window_sum), DEAD_DB)
    spec = None
    if speech_bins and sum(b.shape[0] for b in speech_bins) >= MIN_FRAMES:
        spec = np.ascontiguousarray(np.concatenate(speech_bins).T)
    pause_spec = np.concatenate(pause_bins) if pause_bins else None
    if pause_spec is not None and pause_spec.shape[0] < MIN_FRAMES:
        pause_spec = None
    result = BandAnalysis(band_db, speech, spec, freqs, rate, window_sum,
                          np.asarray([b - a for a, b in bands], dtype=np.float64), pause_spec,
                          np.asarray([freqs[a] for a, _ in bands], dtype=np.float64))
    activity.cache["bands"] = result
    return result


def measure_denoise(samples: np.ndarray, *, sample_rate: int, activity: SpeechActivity) -> dict:
    """Look for signs of prior noise reduction or noise gating.

    Parameters
    ----------
    samples : np.ndarray
        Mono float32 samples, full scale 1.0.
    sample_rate : int
        Native rate in Hz (analysed at up to 16 kHz).
    activity : SpeechActivity
        The clip's speech activity.

    Returns
    -------
    dict
        ``digital_silence_ratio`` : float or None
            0..1, see the module notes; None when there is no pause between words.
        ``floor_modulation_db`` : float or None
            How far the floor under speech stands above the floor in the pauses, in dB (capped at
            80); None without both speech and pauses.
        ``pause_drop_db`` : float or None
            Steepest fall of the floor bands into a pause after speech, in dB per 32 ms (median over
            the pauses); under ``GATE_DROP_DB`` the floor modulation is read as reverberation. None
            without such a pause (then the floor modulation is not judged: the floor step is).
        ``spectral_hole_ratio`` : float or None
            0..1, fraction of the time-frequency bins of the speech frames that are holes; None
            without speech.
        ``denoise_score`` : float or None
            0..1, the combined sign; None when none of the three could be measured.
    """
    _check(samples, sample_rate)
    dsr = digital_silence_ratio(activity)
    analysis = band_analysis(samples, sample_rate=sample_rate, activity=activity)
    band_db, speech, rate = analysis.band_db, analysis.speech, analysis.rate

    floor_mod: Optional[float] = None
    pause_drop: Optional[float] = None
    pause = ~speech
    if band_db.shape[1] and speech.sum() >= MIN_FRAMES and pause.sum() >= MIN_FRAMES:
        speech_floor = np.percentile(band_db[speech], SPEECH_FLOOR_PERCENTILE, axis=0)
        pause_floor = np.percentile(band_db[pause], PAUSE_FLOOR_PERCENTILE, axis=0)
        diff = speech_floor - pause_floor
        value = float(np.percentile(diff, BAND_PERCENTILE))
        floor_mod = round(float(np.clip(value, -MAX_MODULATION_DB, MAX_MODULATION_DB)), 2)
        pause_drop = _pause_drop_db(band_db[:, diff <= np.median(diff)], pause)

    hole_ratio: Optional[float] = None
    spec = analysis.speech_bins
    if spec is not None:
        # Work on powers (the median commutes with the dB mapping): no logarithm of the whole array.
        middle = spec.shape[1] // 2
        content = np.partition(spec, middle, axis=1)[:, middle]
        content_db = _power_db(content, analysis.window_sum)
        freqs = analysis.freqs
        usable = (content_db > CONTENT_DB) & (freqs >= BAND_LOW_HZ) & (freqs <= 0.45 * rate)
        if usable.any():
            depth = np.float32(10.0 ** (-HOLE_DEPTH_DB / 10.0))
            holes = spec[usable] < (content[usable] * depth)[:, None]
            hole_ratio = round(float(holes.mean()), 6)

    musical = musical_noise_ratio(analysis)
    step, spread = floor_step_db(band_db, speech, analysis.band_low_hz, dead_db=DEAD_DB)
    out = {"digital_silence_ratio": None if dsr is None else round(dsr, 4),
           "floor_modulation_db": floor_mod,
           "pause_drop_db": pause_drop,
           "floor_step_db": step,
           "speech_floor_spread_db": spread,
           "spectral_hole_ratio": hole_ratio,
           "musical_noise_ratio": musical}
    parts = sign_scores(out)
    out["denoise_score"] = round(float(np.clip(max(parts.values()), 0.0, 1.0)), 3) if parts else None
    return out


def musical_noise_ratio(analysis: BandAnalysis) -> Optional[float]:
    """The share of the pauses' time-frequency bins that are isolated peaks (musical noise); see
    ``MUSICAL_*``. None without enough pause frames or bins.

    Parameters
    ----------
    analysis : BandAnalysis
        The clip's band analysis (its ``pause_bins``).

    Returns
    -------
    float or None
        0..1: the fraction of the pause bins from ``MUSICAL_LOW_HZ`` up that stand at least
        ``MUSICAL_PEAK_DB`` above the median of their 500 Hz block in their frame, after each bin was
        divided by its own median over the pauses. Gaussian noise about 0.0002.
    """
    spec = analysis.pause_bins
    if spec is None:
        return None
    sel = (analysis.freqs >= MUSICAL_LOW_HZ) & (analysis.freqs <= 0.45 * analysis.rate)
    power = spec[:, sel].astype(np.float64)
    live = power.sum(axis=1) > 0
    blocks = power.shape[1] // MUSICAL_BLOCK_BINS
    if live.sum() < MUSICAL_MIN_FRAMES or blocks < 2:
        return None
    # Whiten each bin by its median over the pauses: a steady tone or a coloured floor becomes flat.
    power = power[live][:, :blocks * MUSICAL_BLOCK_BINS] + _DB_EPS
    power /= np.median(power, axis=0, keepdims=True)
    grouped = power.reshape(power.shape[0], blocks, MUSICAL_BLOCK_BINS)
    # A peak over its own block: a breath or a click raises the whole block, musical noise one bin.
    peak = grouped > np.median(grouped, axis=2, keepdims=True) * 10.0 ** (MUSICAL_PEAK_DB / 10.0)
    return round(float(peak.mean()), 5)


def _pause_drop_db(band_db: np.ndarray, pause: np.ndarray) -> Optional[float]:
    """Median over the pauses after speech (between words, or at the end) of the steepest fall of the
    summed band level (dB over ``PAUSE_DROP_FRAMES`` frames) around the pause's start; None without
    such a pause."""
    live = band_db > DEAD_DB + 1.0
    level = 10.0 * np.log10(np.sum(10.0 ** (band_db / 10.0), axis=1) + _DB_EPS)
    # Dead frames (exact zero) are digital silence, counted elsewhere; here they would read as a cliff.
    level = np.where(live.any(axis=1), level, np.nan)
    k = PAUSE_DROP_FRAMES
    drops = []
    for start, stop in mask_runs(pause):
        if start == 0 or stop - start < MIN_PAUSE_FRAMES:  # entered from speech (the end counts)
            continue
        seg = level[max(0, start - PAUSE_DROP_BEFORE - k):min(level.size, start + PAUSE_DROP_AFTER)]
        fall = seg[:-k] - seg[k:]
        if np.isfinite(fall).any():
            drops.append(float(np.nanmax(fall)))
    return round(float(np.median(drops)), 2) if drops else None


# Mapping of each sign onto the 0..1 score: value at score 0 and the span to score 1.
# Digital silence: natural clips have none; a quarter of the pauses reads 1.
SCORE_DSR_SPAN = 0.25
# Floor modulation: natural clips <= 16 dB (studio) / 22 dB (worst LibriVox); 20 dB reads 0.5 (warning),
# 23 dB 0.75 (error), 26 dB 1; a gate with 30 dB of range gives 22-30 dB.
SCORE_FLOOR_ZERO_DB = 14.0
SCORE_FLOOR_SPAN_DB = 12.0
# Without a pause entered from speech the floor modulation cannot be told from reverberation and is not
# judged (it was a warning at most; that raised only a room of RT60 1.2 s in the corpus, whose tail fills
# the floor under speech). The floor step (signal/expander.py) tells the two apart by the floor's steadiness.
# Musical noise, per doubling of the peak share: 0.5 (warning) at SCORE_MUSICAL_WARNING, 0.75 (error) at
# twice that. Measured (scripts/eval_degradations.py, clips with at least 16 pause frames): the 244
# natural clips of ../shared/speech outside fsdd_concat, rtvc_mp3 and ls1688 at most 0.006, rooms of
# RT60 0.3-1.2 s 0.0085, RNNoise 0.005; textbook spectral subtraction (tests/degradations.py, 18 dB of
# pink or white noise) 0.033-0.056, also 0.035-0.053 (medians) on other noises at 12-35 dB SNR;
# noisereduce at full strength 0.058-0.107. MP3 decodes at 16-24 kHz (rtvc_mp3) read 0.007-0.022: lossy
# coding leaves the same kind of isolated "birdies". LibriSpeech test-other reader ls1688 reads
# 0.024-0.064 in all ten clips: its pauses sit 5-8 dB over the 16-bit quantisation floor (-112 dB
# per bin at 1-2 kHz against -73 to -97 dB for the other LibriVox readers here), i.e. the noise was
# removed and the peaks are what the removal left: it is judged denoised. The cut was set between the
# MP3 decodes and the subtraction on these same clips (fitted, not held out).
SCORE_MUSICAL_WARNING = 0.025
SCORE_MUSICAL_PER_DOUBLING = 0.25
# Floor step (signal/expander.py), counted only under a steady floor: 0.5 (warning) at
# SCORE_STEP_WARNING_DB, 0.75 (error) SCORE_STEP_STEP_DB higher. The step reads the attenuation of the
# pauses within about 2 dB (pedalboard NoiseGate, 12 and 25 dB SNR); natural clips with a steady floor
# read -1.7 to 1.4 dB, the one exception ls3080 (8.5 dB, an expander of about 10 dB by its floor's fade
# in every pause, see signal/expander.py) stays under the warning; the corpus's expanders read 12.7-33 dB.
SCORE_STEP_WARNING_DB = 10.0
SCORE_STEP_STEP_DB = 5.0
# Spectral holes, in decades: 0.001 reads 0, 0.0032 0.5, 0.0056 0.75, 0.01 and more 1.
SCORE_HOLE_ZERO_LOG10 = -3.0
SCORE_HOLE_SPAN_DECADES = 1.0


def sign_scores(metrics: dict) -> dict[str, float]:
    """Each measured sign of denoising mapped onto the common 0..1 scale (see ``SCORE_*``), keyed by its
    metric; ``denoise_score`` is the largest (clipped to 0..1). The floor modulation counts fully where
    the pauses are entered steeply (a gate), not at all where the floor decays like a reverberant tail,
    and not where no pause follows speech; the floor step counts only where the
    floor under speech is steady noise (spread at most ``STEADY_SPREAD_DB``).

    Parameters
    ----------
    metrics : dict
        A clip's metrics (those of :func:`measure_denoise`; others are ignored).

    Returns
    -------
    dict
        Metric name -> score (unclipped) for the signs that were measured.

    Examples
    --------
    >>> sign_scores({"digital_silence_ratio": 0.0, "musical_noise_ratio": 0.05, "floor_step_db": None})
    {'digital_silence_ratio': 0.0, 'musical_noise_ratio': 0.75}
    """
    def value(name: str) -> Optional[float]:
        v = metrics.get(name)
        return None if v is None or isinstance(v, bool) or not np.isfinite(v) else float(v)

    dsr, floor_mod, drop = value("digital_silence_ratio"), value("floor_modulation_db"), value("pause_drop_db")
    holes, musical = value("spectral_hole_ratio"), value("musical_noise_ratio")
    step, spread = value("floor_step_db"), value("speech_floor_spread_db")
    parts: dict[str, float] = {}
    if dsr is not None:
        parts["digital_silence_ratio"] = dsr / SCORE_DSR_SPAN
    if floor_mod is not None and drop is not None and drop >= GATE_DROP_DB:
        parts["floor_modulation_db"] = (floor_mod - SCORE_FLOOR_ZERO_DB) / SCORE_FLOOR_SPAN_DB
    if step is not None and spread is not None and spread <= STEADY_SPREAD_DB:
        parts["floor_step_db"] = 0.5 + 0.25 * (step - SCORE_STEP_WARNING_DB) / SCORE_STEP_STEP_DB
    if holes is not None:
        parts["spectral_hole_ratio"] = (np.log10(max(holes, 1e-9)) - SCORE_HOLE_ZERO_LOG10) / SCORE_HOLE_SPAN_DECADES
    if musical is not None:
        parts["musical_noise_ratio"] = 0.5 + SCORE_MUSICAL_PER_DOUBLING * np.log2(max(musical, 1e-9)
                                                                               / SCORE_MUSICAL_WARNING)
    return {name: round(float(part), 6) for name, part in parts.items()}
