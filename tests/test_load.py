"""Discovery and loading: every kind of bad input becomes a clear per-clip error, never a crash."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from voxaudit.audio import load_audio
from voxaudit.discover import discover, parse_list_file
from voxaudit.errors import AudioError, ParameterError

from synth import voiced_speech

SR = 16000


def _tone(seconds: float = 1.0, sr: int = SR, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    x = 0.3 * np.sin(2 * np.pi * 220 * t).astype(np.float32)
    return np.repeat(x[:, None], channels, axis=1) if channels > 1 else x


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"])
def test_bit_depths_decode_to_the_same_signal(tmp_path, subtype):
    path = tmp_path / f"tone_{subtype}.wav"
    x = _tone()
    sf.write(path, x, SR, subtype=subtype)
    audio = load_audio(path)
    assert audio.sample_rate == SR and audio.channels == 1
    tolerance = 1e-2 if subtype == "PCM_U8" else 1e-4
    assert np.max(np.abs(audio.samples - x)) < tolerance


@pytest.mark.parametrize("sr", [8000, 11025, 22050, 44100, 48000, 96000])
def test_any_sample_rate(tmp_path, sr):
    path = tmp_path / "x.flac"
    sf.write(path, _tone(sr=sr), sr)
    audio = load_audio(path)
    assert audio.sample_rate == sr
    assert audio.duration_s == pytest.approx(1.0, abs=1e-3)


def test_eight_channels_downmix_and_dead_channel_note(tmp_path):
    x = _tone(channels=8)
    x[:, 3] = 0.0
    path = tmp_path / "eight.wav"
    sf.write(path, x, SR, subtype="PCM_24")
    audio = load_audio(path)
    assert audio.channels == 8
    assert any("dead" in note and "[4]" in note for note in audio.notes)
    # The dead channel is left out of the downmix, so the level is that of the live channels.
    assert np.max(np.abs(audio.samples - x[:, 0])) < 1e-4


def test_unbalanced_stereo_is_noted(tmp_path):
    x = _tone(channels=2)
    x[:, 1] *= 0.1  # 20 dB down
    path = tmp_path / "st.wav"
    sf.write(path, x, SR)
    audio = load_audio(path)
    assert any("unbalanced by 20.0 dB" in n for n in audio.notes)


def test_nan_samples_replaced_with_note(tmp_path):
    x = _tone()
    x[1000:1100] = np.nan
    path = tmp_path / "nan.wav"
    sf.write(path, x, SR, subtype="FLOAT")
    audio = load_audio(path)
    assert np.isfinite(audio.samples).all()
    assert any("NaN" in n for n in audio.notes)


def test_all_nan_decodes_as_zeros_and_counts_them(tmp_path):
    """Judged as corrupt (tests/test_robust.py), not hidden as an unreadable file."""
    path = tmp_path / "allnan.wav"
    sf.write(path, np.full(SR, np.nan, dtype=np.float32), SR, subtype="FLOAT")
    audio = load_audio(path)
    assert audio.nonfinite_samples == SR and not audio.samples.any()


def _bad_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (path, expected finding code)."""
    empty = folder / "empty.wav"
    empty.write_bytes(b"")
    good = folder / "good.wav"
    sf.write(good, _tone(), SR)
    truncated = folder / "truncated.wav"
    truncated.write_bytes(good.read_bytes()[:30])
    text = folder / "notes.wav"
    text.write_text("this is not audio, just text pretending to be a wav file\n" * 20)
    short = folder / "short.wav"
    sf.write(short, _tone(0.05), SR)
    return {"empty": (empty, "unreadable"), "truncated": (truncated, "unreadable"),
            "text": (text, "unreadable"), "short": (short, "too_short"),
            "missing": (folder / "missing.wav", "unreadable")}


@pytest.mark.parametrize("name", ["empty", "truncated", "text", "short", "missing"])
def test_bad_files_raise_audio_error_with_code(tmp_path, name):
    path, code = _bad_files(tmp_path)[name]
    with pytest.raises(AudioError) as info:
        load_audio(path)
    assert info.value.code == code
    assert str(info.value)


def test_unreadable_permission(tmp_path):
    if os.geteuid() != 0:
        path = tmp_path / "locked.wav"
        sf.write(path, _tone(), SR)
        path.chmod(0)
        with pytest.raises(AudioError, match="permission"):
            load_audio(path)
        return
    # root reads anything: check in a forked child that drops to an unprivileged user.
    folder = Path(tempfile.mkdtemp(prefix="voxaudit-perm-"))
    try:
        folder.chmod(0o755)
        path = folder / "locked.wav"
        sf.write(path, _tone(), SR)
        path.chmod(0)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            message = b"no error"
            try:
                os.setuid(65534)
                load_audio(path)
            except AudioError as error:
                message = f"{error.code}: {error}".encode()
            except BaseException as error:  # noqa: BLE001 - report anything to the parent
                message = repr(error).encode()
            os.write(write_end, message)
            os._exit(0)
        os.close(write_end)
        os.waitpid(pid, 0)
        answer = os.read(read_end, 4096).decode()
        os.close(read_end)
        assert answer == "unreadable: permission denied (file is not readable)"
    finally:
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()


def test_discover_folder_recursive_sorted_and_relative(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a").mkdir()
    for rel in ["b/2.wav", "a/1.FLAC", "a/skip.txt", "top.ogg", "名字.wav"]:
        (tmp_path / rel).write_bytes(b"x")
    found = discover([tmp_path])
    assert [c.display_path for c in found.clips] == ["a/1.FLAC", "b/2.wav", "top.ogg", "名字.wav"]
    assert not found.from_list


def test_discover_list_file_relative_paths_and_text(tmp_path):
    (tmp_path / "wavs").mkdir()
    lines = ["wavs/一.wav|alice|ZH|你好，世界", "", "# comment", f"{tmp_path}/wavs/two.wav|alice|EN|Hello | pipe"]
    lst = tmp_path / "set.list"
    lst.write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = discover([lst])
    assert found.from_list
    first, second = found.clips
    assert first.path == str(tmp_path / "wavs/一.wav") and first.display_path == "wavs/一.wav"
    assert (first.speaker, first.lang, first.text) == ("alice", "ZH", "你好，世界")
    assert first.list_line == lines[0]
    assert second.text == "Hello | pipe"


def test_discover_dedupes_and_rejects_nothing():
    with pytest.raises(ParameterError):
        discover([])


def test_list_file_must_be_utf8(tmp_path):
    lst = tmp_path / "bad.list"
    lst.write_bytes("a.wav|s|ZH|你好".encode("gbk"))
    with pytest.raises(ParameterError, match="UTF-8"):
        parse_list_file(lst)


def test_inputs_are_never_written(tmp_path):
    path = tmp_path / "clip.wav"
    sf.write(path, voiced_speech(2.0, sample_rate=SR), SR)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    load_audio(path)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_very_long_file_is_reported_not_decoded(tmp_path):
    """A recording over 30 minutes becomes a `too_long` error with its duration from the header."""
    from voxaudit.config import Config
    from voxaudit.model import ClipSource
    from voxaudit.pipeline import process_clip

    path = tmp_path / "long.wav"
    rate = 1000  # a tiny rate keeps the file small: 1801 s = 3.6 MB
    sf.write(path, np.zeros(1801 * rate, dtype=np.int16), rate, subtype="PCM_16")
    with pytest.raises(AudioError) as info:
        load_audio(path)
    assert info.value.code == "too_long" and info.value.duration_s == pytest.approx(1801.0)
    result, wav = process_clip(ClipSource(path=str(path), display_path="long.wav"), Config(), "en", True)
    assert wav is None and result.quality == 0.0
    assert [(f.code, f.severity) for f in result.findings] == [("too_long", "error")]
    assert result.metrics["duration_s"] == pytest.approx(1801.0)
    assert "1801" in result.findings[0].message


def test_outputs_are_written_atomically_with_normal_permissions(tmp_path):
    from voxaudit.io import write_json_atomic

    old = os.umask(0o022)
    try:
        write_json_atomic(tmp_path / "r.json", {"a": "语音"})
    finally:
        os.umask(old)
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o644
    assert json_load(tmp_path / "r.json") == {"a": "语音"}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left behind


def json_load(path):
    import json

    return json.loads(Path(path).read_text(encoding="utf-8"))
