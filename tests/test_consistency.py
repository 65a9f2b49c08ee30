"""One-voice analysis: synthetic embeddings with known intruders, then real speech (GE2E)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from voxaudit.errors import ParameterError
from voxaudit.profile import Profile
from voxaudit.speaker import consistency
from voxaudit.speaker.consistency import CALIBRATION, analyse_set, duration_widths, identity_threshold

from ge2e_helpers import ge2e_embed as _ge2e_embed

DIM = 256
MAD_FLOOR = CALIBRATION["ge2e"].mad_floor


# -- synthetic voices on the sphere ---------------------------------------------------------------------

def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def voice(rng, *, near=None, cos=0.6):
    """A unit voice direction; with ``near``, one at cosine ``cos`` from it."""
    v = _unit(rng.normal(size=DIM))
    if near is None:
        return v
    ortho = _unit(v - (v @ near) * near)
    return cos * near + np.sqrt(1 - cos * cos) * ortho


def takes(rng, centre, n, *, spread=0.025):
    """``n`` clips of one voice: pair cosine about 1 / (1 + DIM * spread^2) (0.86 here, GE2E-like)."""
    return _unit(centre + spread * rng.normal(size=(n, DIM)))


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def test_one_voice_flags_nothing(rng):
    v = voice(rng)
    result = analyse_set(takes(rng, v, 20), encoder="ge2e")
    assert not result.too_small
    assert result.n_outliers == 0
    assert result.n_voices == 1 and result.consistent is True
    assert result.dominant_cluster == 0
    assert all(block["outlier"] is False for block in result.clips)
    assert "within the set's range" in result.clips[0]["reason"]
    assert set(result.summary_dict()) == {"n_voices", "consistent", "dominant_cluster",
                                          "identity_threshold", "similarity_median", "voices",
                                          "voices_about_equal"}
    assert [v["voice"] for v in result.summary_dict()["voices"]] == ["A"]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("where", ["end", "start", "spread"])
def test_flags_exactly_the_intruders(seed, where):
    rng = np.random.default_rng(seed)
    v = voice(rng)
    own = takes(rng, v, 15)
    intruders = np.stack([takes(rng, voice(rng, near=v, cos=0.7), 1)[0] for _ in range(3)])
    positions = {"end": [15, 16, 17], "start": [0, 1, 2], "spread": [2, 9, 17]}[where]
    rows = np.empty((18, DIM))
    others = [i for i in range(18) if i not in positions]
    rows[positions] = intruders
    rows[others] = own
    result = analyse_set(rows, encoder="ge2e")
    assert np.flatnonzero(result.outliers).tolist() == positions
    # Lone intruders of three different voices are outliers, not voices.
    assert result.n_voices == 1 and result.consistent is False
    # The robust centroid is not pulled towards the intruders.
    assert float(result.centroid @ v) > 0.99
    reason = result.clips[positions[0]]["reason"]
    assert "robust SD below the set's median" in reason and "ge2e floor 0.77" in reason
    assert result.clips[positions[0]]["z"] < -3.5


def test_second_voice_counts_as_a_voice(rng):
    v = voice(rng)
    w = voice(rng, near=v, cos=0.6)
    rows = np.concatenate([takes(rng, v, 14), takes(rng, w, 6)])
    result = analyse_set(rows, encoder="ge2e")
    assert result.n_voices == 2
    assert np.flatnonzero(result.outliers).tolist() == list(range(14, 20))
    assert result.dominant_cluster == 0
    assert set(result.labels[14:]) == {1} and set(result.labels[:14]) == {0}


def test_heavy_contamination_keeps_the_majority_voice(rng):
    """8 lone intruders among 20 clips: the median and MAD stay with the 12 genuine takes."""
    v = voice(rng)
    rows = np.concatenate([takes(rng, v, 12),
                           np.stack([takes(rng, voice(rng, near=v, cos=0.6), 1)[0] for _ in range(8)])])
    result = analyse_set(rows, encoder="ge2e")
    assert np.flatnonzero(result.outliers).tolist() == list(range(12, 20))
    assert float(result.centroid @ v) > 0.99


def test_unreadable_rows_get_no_identity(rng):
    rows = takes(rng, voice(rng), 8)
    rows[3] = np.nan
    rows[5, 10] = np.inf
    rows[6] = 0.0
    result = analyse_set(rows, encoder="ge2e")
    assert [i for i, block in enumerate(result.clips) if block is None] == [3, 5, 6]
    assert result.labels[3] == -1 and np.isnan(result.similarities[3])
    assert result.n_readable == 5 and result.n_outliers == 0
    assert result.consistent is True


def test_too_small_set_says_so_and_flags_nothing(rng):
    v = voice(rng)
    rows = np.concatenate([takes(rng, v, 2), takes(rng, voice(rng, near=v, cos=0.3), 1)])
    result = analyse_set(rows, encoder="ge2e")
    assert result.too_small and result.message == "too few clips to judge: 3 < 5"
    assert result.n_outliers == 0
    assert result.n_voices is None and result.consistent is None and result.threshold is None
    assert all(block["reason"] == "too few clips to judge: 3 < 5" and block["z"] is None
               for block in result.clips)
    assert result.summary_dict()["identity_too_small"] == "too few clips to judge: 3 < 5"
    # Readable rows count, not rows.
    rows = np.concatenate([takes(rng, v, 4), np.full((3, DIM), np.nan)])
    small = analyse_set(rows, encoder="ge2e")
    assert small.message == "too few clips to judge: 4 < 5"
    # One threshold per row (NaN: not judged), so callers can zip clips, blocks and thresholds.
    assert small.thresholds.shape == (len(rows),) and np.isnan(small.thresholds).all()
    assert not analyse_set(takes(rng, v, 4), encoder="ge2e", min_clips=4).too_small


def test_nothing_readable():
    result = analyse_set(np.full((3, DIM), np.nan), encoder="ge2e")
    assert result.too_small and result.clips == [None, None, None]


def test_mad_floor_keeps_a_tight_set_from_flagging_its_spread(rng):
    """A studio-tight set (MAD about 0.0003) with one ordinary take 0.05 under the median: raw-MAD z
    would be far below -3.5, the MAD floor keeps it in."""
    v = voice(rng)
    rows = takes(rng, v, 20, spread=0.002)
    rows[4] = _unit(0.95 * v + np.sqrt(1 - 0.95 ** 2) * voice(rng, near=v, cos=0.0))
    result = analyse_set(rows, encoder="ge2e")
    assert result.similarity_mad < 0.001
    assert 0.93 < result.similarities[4] < 0.97
    assert result.n_outliers == 0
    assert result.threshold == pytest.approx(result.similarity_median - 3.5 * 1.4826 * MAD_FLOOR)


@pytest.mark.parametrize("median, mad, expected", [
    (0.93, 0.01, 0.93 - 3.5 * 1.4826 * MAD_FLOOR),   # tight set: the MAD floor decides
    (0.93, 0.03, 0.93 - 3.5 * 1.4826 * 0.030),       # relative threshold above the floor
    (0.93, 0.05, 0.77),                               # inflated MAD: the absolute floor decides
    (0.80, 0.05, 0.80 - 3.5 * 1.4826 * MAD_FLOOR),   # loose set: the floor is capped under the median
])
def test_identity_threshold_known_values(median, mad, expected):
    assert identity_threshold(median, mad, encoder="ge2e") == pytest.approx(expected, abs=1e-9)


def test_short_clip_margin_known_values():
    # Width sqrt(4 / d) below 4 s: a 1 s clip's margin is twice a 4 s clip's; never below the floor
    # cap's own widening, never wider than at 1 s.
    assert duration_widths([10.0, 4.0, 2.0, 1.0, 0.2, float("nan")], 6).tolist() == \
        pytest.approx([1.0, 1.0, np.sqrt(2.0), 2.0, 2.0, 1.0])
    plain = 0.93 - 3.5 * 1.4826 * 0.03
    wide = identity_threshold(0.93, 0.03, encoder="ge2e", width=np.array([1.0, 2.0]))
    assert wide[0] == pytest.approx(plain)
    assert wide[1] == pytest.approx(max(0.93 - 2 * 3.5 * 1.4826 * 0.03, min(0.77, 0.93 - 2 * 3.5 * 1.4826 * MAD_FLOOR)))
    with pytest.raises(ParameterError, match="one value per clip"):
        duration_widths([1.0, 2.0], 3)


def test_short_clips_get_a_wider_margin_but_intruders_are_still_flagged(rng):
    """Two genuine 1.5 s takes 0.09 under a tight set's median are flagged without durations and kept
    with them; a 1.5 s take of another voice is flagged either way."""
    v = voice(rng)
    rows = takes(rng, v, 20, spread=0.002)
    for k in (3, 7):
        rows[k] = _unit(0.91 * v + np.sqrt(1 - 0.91 ** 2) * voice(rng, near=v, cos=0.0))
    rows[12] = _unit(voice(rng, near=v, cos=0.6))
    durations = [6.0] * 20
    durations[3] = durations[7] = durations[12] = 1.5
    plain = analyse_set(rows, encoder="ge2e")
    assert np.flatnonzero(plain.outliers).tolist() == [3, 7, 12]
    aware = analyse_set(rows, encoder="ge2e", durations=durations)
    assert np.flatnonzero(aware.outliers).tolist() == [12]
    assert aware.thresholds[3] < aware.threshold == pytest.approx(aware.thresholds[0])
    assert "outlier below" in aware.clips[3]["reason"]


def test_profile_judges_short_clips_with_the_same_wider_margin(rng):
    v = voice(rng)
    base = analyse_set(takes(rng, v, 16, spread=0.002), encoder="ge2e")
    profile = Profile.from_analysis(base, encoder="ge2e", weights_sha256=None)
    take = _unit(0.91 * v + np.sqrt(1 - 0.91 ** 2) * voice(rng, near=v, cos=0.0))[None]
    assert analyse_set(take, encoder="ge2e", profile=profile).n_outliers == 1
    assert analyse_set(take, encoder="ge2e", profile=profile, durations=[1.5]).n_outliers == 0
    long = analyse_set(take, encoder="ge2e", profile=profile, durations=[8.0])
    assert long.n_outliers == 1 and long.thresholds[0] == pytest.approx(profile.threshold)


def test_input_order_does_not_matter(rng):
    v = voice(rng)
    rows = np.concatenate([takes(rng, v, 12), takes(rng, voice(rng, near=v, cos=0.65), 2)])
    order = rng.permutation(len(rows))
    a = analyse_set(rows, encoder="ge2e")
    b = analyse_set(rows[order], encoder="ge2e")
    assert np.array_equal(a.outliers[order], b.outliers)
    assert np.allclose(a.similarities[order], b.similarities)


def test_sampled_clustering_agrees(rng, monkeypatch):
    """Above MAX_CLUSTER_CLIPS the clustering runs on a sample; the verdict is the same."""
    v = voice(rng)
    rows = np.concatenate([takes(rng, v, 90), takes(rng, voice(rng, near=v, cos=0.6), 10)])
    full = analyse_set(rows, encoder="ge2e")
    monkeypatch.setattr(consistency, "MAX_CLUSTER_CLIPS", 40)
    sampled = analyse_set(rows, encoder="ge2e")
    assert full.n_voices == sampled.n_voices == 2
    assert np.array_equal(full.outliers, sampled.outliers)
    assert np.flatnonzero(sampled.outliers).tolist() == list(range(90, 100))


@pytest.mark.parametrize("kwargs, match", [
    ({"encoder": "xvector"}, "no identity calibration"),
    ({"encoder": "ge2e", "min_clips": 2}, "min_clips"),
    ({"encoder": "ge2e", "min_clips": 5.0}, "min_clips"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        analyse_set(np.ones((6, 4)), **kwargs)


def test_bad_shape():
    with pytest.raises(ParameterError, match="2-D"):
        analyse_set(np.ones(8), encoder="ge2e")


def test_ecapa_has_uncalibrated_constants():
    cal = CALIBRATION["ecapa"]
    assert cal.calibrated is False and 0.25 < cal.floor < 0.6
    assert CALIBRATION["ge2e"].calibrated is True


# -- profiles ----------------------------------------------------------------------------------------

def _profile(rng, v, **kw):
    base = analyse_set(takes(rng, v, 16), encoder="ge2e")
    return Profile.from_analysis(base, encoder="ge2e", weights_sha256=kw.get("sha", "ab" * 32))


def test_profile_round_trip(rng, tmp_path):
    profile = _profile(rng, voice(rng))
    path = tmp_path / "voice.profile.json"
    profile.to_json(path)
    assert os.listdir(tmp_path) == ["voice.profile.json"]  # no temporary file left behind
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "voxaudit-profile/1" and data["dim"] == DIM and data["n_clips"] == 16
    again = Profile.from_json(path)
    assert again == profile


def test_profile_judges_even_one_clip(rng):
    v = voice(rng)
    profile = _profile(rng, v)
    same = analyse_set(takes(rng, v, 1), encoder="ge2e", profile=profile)
    assert not same.too_small and same.judged_against == "profile"
    assert same.n_outliers == 0 and same.consistent is True
    assert same.threshold == profile.threshold
    other = analyse_set(takes(rng, voice(rng, near=v, cos=0.7), 1), encoder="ge2e", profile=profile)
    assert other.n_outliers == 1 and other.consistent is False
    assert "the profile's median" in other.clips[0]["reason"]


def test_profile_of_a_new_batch_with_an_intruder(rng):
    v = voice(rng)
    profile = _profile(rng, v)
    rows = np.concatenate([takes(rng, v, 4), takes(rng, voice(rng, near=v, cos=0.6), 1)])
    result = analyse_set(rows, encoder="ge2e", profile=profile)
    assert np.flatnonzero(result.outliers).tolist() == [4]


@pytest.mark.parametrize("encoder, sha, dim, match", [
    ("ecapa", None, DIM, "made with encoder 'ge2e'"),
    ("ge2e", "cd" * 32, DIM, "other ge2e weights"),
    ("ge2e", None, 192, "256-dimensional"),
])
def test_profile_mismatch_raises(rng, encoder, sha, dim, match):
    profile = _profile(rng, voice(rng))
    with pytest.raises(ParameterError, match=match):
        analyse_set(np.ones((3, dim)), encoder=encoder, profile=profile, weights_sha256=sha)


def test_profile_needs_a_judged_set(rng, tmp_path):
    small = analyse_set(takes(rng, voice(rng), 3), encoder="ge2e")
    with pytest.raises(ParameterError, match="not judged"):
        Profile.from_analysis(small, encoder="ge2e", weights_sha256=None)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}', encoding="utf-8")
    with pytest.raises(ParameterError, match="not a voxaudit voice profile"):
        Profile.from_json(bad)


# -- real speech (GE2E) ------------------------------------------------------------------------------

MAIN = "vctk-p228"
INTRUDERS = ["ls3080", "vctk-p225", "lj"]  # another source, the same studio, a third corpus


@pytest.fixture(scope="session")
def real(manifest, speech_dir):
    """Embeddings of 10 clips of MAIN, 1 clip of each intruder and the two Mandarin men (10 + 3)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    by_speaker: dict[str, list[str]] = {}
    for row in manifest:
        by_speaker.setdefault(row["speaker_id"], []).append(row["path"])
    plan = {MAIN: 10, "aishell-S0252": 10, "aishell-S0913": 10}
    plan.update({s: 1 for s in INTRUDERS})
    keys, paths = [], []
    for speaker, n in plan.items():
        for k, rel in enumerate(by_speaker[speaker][:n]):
            keys.append((speaker, k))
            paths.append(str(speech_dir / rel))
    emb = _ge2e_embed(paths)
    table = {key: emb[i] for i, key in enumerate(keys)}
    return lambda speaker, n: np.stack([table[(speaker, k)] for k in range(n)])


@pytest.mark.speech
@pytest.mark.slow
def test_real_one_voice_flags_none(real):
    result = analyse_set(real(MAIN, 10), encoder="ge2e")
    assert result.n_outliers == 0 and result.n_voices == 1 and result.consistent


@pytest.mark.speech
@pytest.mark.slow
def test_real_intruders_flagged_exactly(real):
    rows = np.concatenate([real(MAIN, 10)] + [real(s, 1) for s in INTRUDERS])
    result = analyse_set(rows, encoder="ge2e")
    assert np.flatnonzero(result.outliers).tolist() == [10, 11, 12]
    assert result.n_voices == 1 and result.consistent is False
    # Wide margins both ways (measured: own clips >= 0.94, intruders <= 0.66, threshold 0.85).
    assert result.similarities[:10].min() > result.threshold + 0.05
    assert result.similarities[10:].max() < result.threshold - 0.05


@pytest.mark.speech
@pytest.mark.slow
def test_real_one_voice_with_short_clips_flags_none(manifest, speech_dir):
    """LJSpeech's 16 clips (one speaker, 1.8-9.9 s): without durations GE2E's two shortest clips (1.8
    and 1.9 s) fall under the threshold; with them, none does."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rows = [r for r in manifest if r["speaker_id"] == "lj"]
    emb = _ge2e_embed([str(speech_dir / r["path"]) for r in rows])
    durations = [float(r["duration_s"]) for r in rows]
    plain = analyse_set(emb, encoder="ge2e")
    flagged = np.flatnonzero(plain.outliers)
    assert flagged.size == 2 and all(durations[i] < 2.0 for i in flagged)
    aware = analyse_set(emb, encoder="ge2e", durations=durations)
    assert aware.n_outliers == 0 and aware.consistent


@pytest.mark.speech
@pytest.mark.slow
def test_real_too_small(real):
    result = analyse_set(real(MAIN, 3), encoder="ge2e")
    assert result.too_small and result.message == "too few clips to judge: 3 < 5"
    assert result.n_outliers == 0


@pytest.mark.speech
@pytest.mark.slow
def test_real_profile_from_main_speaker(real):
    profile = Profile.from_analysis(analyse_set(real(MAIN, 10)[:6], encoder="ge2e"), encoder="ge2e",
                                    weights_sha256=None)
    rows = np.concatenate([real(MAIN, 10)[6:], real("lj", 1)])
    result = analyse_set(rows, encoder="ge2e", profile=profile)
    assert np.flatnonzero(result.outliers).tolist() == [4]


@pytest.mark.speech
@pytest.mark.slow
def test_real_close_pair_mandarin_men(real):
    """README's hard case. Measured with GE2E (10 clips + 3 of the other): S0913's set flags all 3
    S0252 clips and counts 2 voices; S0252's looser set (median 0.88) does NOT flag S0913's clips
    (similarities 0.80-0.84 against a threshold of 0.78). What must hold either way: no genuine
    clip flagged, and the other man's clips score under the set's median."""
    s0913 = analyse_set(np.concatenate([real("aishell-S0913", 10), real("aishell-S0252", 3)]),
                        encoder="ge2e")
    assert not s0913.outliers[:10].any()
    assert s0913.outliers[10:].all() and s0913.n_voices == 2
    s0252 = analyse_set(np.concatenate([real("aishell-S0252", 10), real("aishell-S0913", 3)]),
                        encoder="ge2e")
    assert not s0252.outliers[:10].any()
    assert (s0252.similarities[10:] < s0252.similarity_median).all()


def test_reasons_and_too_small_message_follow_the_language():
    from voxaudit.speaker.consistency import analyse_set

    rng = np.random.default_rng(3)
    voice = rng.normal(size=64)
    clips = voice + 0.05 * rng.normal(size=(12, 64))
    clips[0] = rng.normal(size=64)  # another voice
    zh = analyse_set(clips, encoder="ge2e", lang="zh")
    en = analyse_set(clips, encoder="ge2e", lang="en")
    assert zh.clips[0]["outlier"] and en.clips[0]["outlier"]
    assert "相似度" in zh.clips[0]["reason"] and "similarity" in en.clips[0]["reason"]
    assert not any(c.isascii() and c.isalpha() for c in zh.clips[0]["reason"].replace("ge2e", ""))
    small = analyse_set(clips[:3], encoder="ge2e", lang="zh")
    assert small.too_small and "音频太少" in small.message
