"""Finding messages and hints, in English and Simplified Chinese.

A message states the measured value against the threshold; a hint says what to change in the
recording. Templates are ``str.format`` strings over ``value``, ``threshold`` and the clip's metrics.
"""

from __future__ import annotations

import locale
import os

LANGUAGES = ("en", "zh")

MESSAGES: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "unreadable": ("cannot read the file: {detail}",
                       "re-export the clip as 16- or 24-bit WAV; check that the file is complete"),
        "too_short": ("clip is {value:.2f} s long, under {threshold:g} s",
                      "record whole sentences of 3-10 s; merge or drop fragments"),
        "too_long": ("clip is {value:.1f} s long, over {threshold:g} s",
                     "slice long takes into sentences of 3-10 s at the pauses"),
        "low_sample_rate": ("sample rate {value:.0f} Hz is under {threshold:.0f} Hz",
                            "record at 44.1 or 48 kHz; upsampling a low-rate file does not restore the lost highs"),
        "too_quiet": ("average level {value:.1f} dBFS is under {threshold:g} dBFS (RMS {linear:.4f})",
                      "raise the input gain or move closer to the microphone (about 15-20 cm)"),
        "too_loud": ("average level {value:.1f} dBFS is over {threshold:g} dBFS (RMS {linear:.3f})",
                     "lower the input gain; leave 6 dB of headroom above the loudest syllable"),
        "clipping": ("{percent:.3f}% of samples are clipped (limit {threshold_percent:.3f}%)",
                     "lower the input gain and re-record; clipped peaks cannot be repaired"),
        "dc_offset": ("DC offset {value:+.4f} (limit ±{threshold:g})",
                      "check the audio interface or cable; a high-pass filter at 20-40 Hz removes it"),
        "too_much_silence": ("{percent:.0f}% of the clip is silence (limit {threshold_percent:.0f}%); "
                             "leading {leading_silence_s:.1f} s, trailing {trailing_silence_s:.1f} s",
                             "trim leading and trailing silence; keep at most about 0.3 s at each end"),
        "long_pause": ("longest pause is {value:.1f} s (limit {threshold:g} s)",
                       "split the clip at the long pause or shorten it"),
        "low_snr": ("SNR {value:.1f} dB is under {threshold:g} dB (noise floor {noise_floor_dbfs:.0f} dBFS)",
                    "turn off the fan or air conditioning or move away from it; record in a quieter room"),
        "narrow_bandwidth": ("speech bandwidth ends at {value:.0f} Hz (limit {threshold:.0f} Hz)",
                             "use a USB condenser mic, not a phone or headset mic; don't use a low-rate or "
                             "compressed (phone, MP3) source"),
        "mains_hum": ("mains hum at {hum_hz:.0f} Hz, {value:.1f} dB above the neighbouring spectrum "
                      "(limit {threshold:g} dB)",
                      "use a balanced cable, unplug chargers, move the mic cable away from power cables; "
                      "check for a ground loop"),
        "reverb": ("reverberation RT60 about {value:.2f} s (limit {threshold:g} s)",
                   "record in a smaller, furnished room or use a reflection filter; get closer to the mic"),
        "plosive": ("{value:.0f} plosive pop(s) (limit {threshold:g})",
                    "use a pop filter and speak slightly off-axis from the mic"),
        "agc_pumping": ("the level is pumped by automatic gain control ({value:.1f} dB, limit {threshold:g} dB)",
                        "turn off automatic gain control (AGC) in the recorder, phone or OS sound settings; "
                        "set a fixed gain"),
        "denoised": ("signs of prior noise reduction or a noise gate (score {value:.2f}, limit {threshold:g}): "
                     "{evidence}",
                     "use the raw recording: turn off noise suppression, noise gates and 'remove silence' "
                     "edits, and don't join clips with digital silence; denoised or gated clips teach the "
                     "model metallic, hollow artefacts and dead-silent gaps"),
        "speaker_mismatch": ("voice does not match the set: {reason}",
                             "check that this take is the same speaker, microphone and distance; drop it or "
                             "re-record it"),
        "speaker_mislabel": ("filed under '{speaker}' but sounds like '{likely_speaker}': similarity "
                             "{likely_similarity:.2f} to {likely_speaker}, {value:.2f} to {speaker}",
                             "move this line to speaker '{likely_speaker}' in the list, or drop it",
                             "move each such line to the speaker it sounds like (likely_speaker in the report), "
                             "or drop it"),
        "speaker_not_in_profile": ("speaker '{speaker}' is not in the voice profile: judged against its own "
                                   "clips in this set",
                                   "check the speaker's name, or build a profile that holds this speaker"),
    },
    "zh": {
        "unreadable": ("无法读取文件：{detail}", "请重新导出为 16 或 24 位 WAV，并检查文件是否完整"),
        "too_short": ("音频时长 {value:.2f} 秒，短于 {threshold:g} 秒", "录制 3-10 秒的完整句子；合并或删除碎片"),
        "too_long": ("音频时长 {value:.1f} 秒，超过 {threshold:g} 秒", "在停顿处把长录音切成 3-10 秒的句子"),
        "low_sample_rate": ("采样率 {value:.0f} Hz 低于 {threshold:.0f} Hz",
                            "请用 44.1 或 48 kHz 录音；对低采样率文件升采样无法找回丢失的高频"),
        "too_quiet": ("平均电平 {value:.1f} dBFS 低于 {threshold:g} dBFS（RMS {linear:.4f}）",
                      "提高输入增益，或离麦克风近一些（约 15-20 厘米）"),
        "too_loud": ("平均电平 {value:.1f} dBFS 高于 {threshold:g} dBFS（RMS {linear:.3f}）",
                     "降低输入增益；最响的音节上方留出 6 dB 余量"),
        "clipping": ("{percent:.3f}% 的采样点削波（上限 {threshold_percent:.3f}%）",
                     "降低输入增益后重录；削波无法修复"),
        "dc_offset": ("直流偏移 {value:+.4f}（上限 ±{threshold:g}）",
                      "检查声卡或线缆；20-40 Hz 高通滤波可去除直流偏移"),
        "too_much_silence": ("静音占 {percent:.0f}%（上限 {threshold_percent:.0f}%）；开头 {leading_silence_s:.1f} 秒，"
                             "结尾 {trailing_silence_s:.1f} 秒",
                             "裁掉开头和结尾的静音，两端各保留约 0.3 秒即可"),
        "long_pause": ("最长停顿 {value:.1f} 秒（上限 {threshold:g} 秒）", "在长停顿处切分音频，或缩短停顿"),
        "low_snr": ("信噪比 {value:.1f} dB 低于 {threshold:g} dB（底噪 {noise_floor_dbfs:.0f} dBFS）",
                    "检测到背景噪声：关掉风扇或空调，或远离它们；换一个更安静的房间录音"),
        "narrow_bandwidth": ("语音频带止于 {value:.0f} Hz（下限 {threshold:.0f} Hz）",
                             "请使用 USB 电容麦，不要用手机或耳机麦克风；不要使用电话、MP3 等低采样率或压缩音源"),
        "mains_hum": ("{hum_hz:.0f} Hz 电流声，高出相邻频谱 {value:.1f} dB（上限 {threshold:g} dB）",
                      "使用平衡线，拔掉充电器，让话筒线远离电源线；检查接地回路"),
        "reverb": ("混响 RT60 约 {value:.2f} 秒（上限 {threshold:g} 秒）",
                   "换到较小、有家具的房间，或使用防反射罩；离麦克风近一些"),
        "plosive": ("{value:.0f} 处喷麦（上限 {threshold:g}）", "加防喷罩，嘴稍微偏离麦克风正面"),
        "agc_pumping": ("电平被自动增益控制拉动（{value:.1f} dB，上限 {threshold:g} dB）",
                        "在录音软件、手机或系统声音设置中关闭自动增益控制（AGC），使用固定增益"),
        "denoised": ("疑似做过降噪或噪声门处理（得分 {value:.2f}，上限 {threshold:g}）：{evidence}",
                     "请使用原始录音：关闭降噪、噪声门和“去除静音”处理，不要用数字静音拼接音频；降噪或门限处理过的"
                     "音频会让模型学到金属感、空洞的伪影和死寂的停顿"),
        "speaker_mismatch": ("音色与整体不一致：{reason}",
                             "确认这条是同一说话人、同一麦克风和距离；删除或重录"),
        "speaker_mislabel": ("标注为“{speaker}”，但听起来像“{likely_speaker}”：与 {likely_speaker} 的相似度 "
                             "{likely_similarity:.2f}，与 {speaker} 的相似度 {value:.2f}",
                             "把这一行移到说话人“{likely_speaker}”名下，或删除",
                             "把每条这样的音频移到它听起来像的说话人名下（见报告中的 likely_speaker），或删除"),
        "speaker_not_in_profile": ("说话人“{speaker}”不在声纹档案中：改为与本组中该说话人自己的音频比较",
                                   "检查说话人名称，或重新生成包含该说话人的声纹档案"),
    },
}

SUMMARY_STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "voxaudit scan",
        "clips": "clips",
        "minutes": "{usable:.1f} of {total:.1f} minutes usable",
        "flagged": "{n} clip(s) with an error, {w} with a warning only",
        "unreadable": "{n} clip(s) could not be read",
        "one_voice": "one consistent voice",
        "n_voices": "{n} voices found",
        "not_consistent": "not one consistent voice: {n} outlier take(s)",
        "too_small": "identity not judged: {message}",
        "reference": "reference clip: {path}",
        "top_findings": "most frequent findings",
        "code": "finding", "count": "clips", "hint": "what to change",
        "written": "written: {paths}",
        "encoder": "speaker encoder: {name}",
        "calibration_na": "the {encoder} identity calibration does not apply: these weights are not the published "
                          "model (sha256 {sha}…, --unverified-weights); read the voice verdict as relative to "
                          "this set",
        "voice_typical": "  voice {voice}, a typical clip: {path}",
        "speakers_title": "speakers",
        "col_speaker": "speaker", "col_clips": "clips", "col_minutes": "usable / min",
        "col_verdict": "voice", "col_mislabelled": "filed here by mistake", "col_same_voice": "same voice as",
        "speaker_not_judged": "too few clips to judge",
        "speaker_voices": "{n} voice(s), {k} outlier take(s)",
        "more_speakers": "... and {n} more speakers in report.json / report.html",
    },
    "zh": {
        "title": "voxaudit 扫描",
        "clips": "条音频",
        "minutes": "可用 {usable:.1f} / {total:.1f} 分钟",
        "flagged": "{n} 条音频有错误，{w} 条仅有警告",
        "unreadable": "{n} 条音频无法读取",
        "one_voice": "音色一致（单一说话人）",
        "n_voices": "发现 {n} 种音色",
        "not_consistent": "音色不一致：{n} 条离群录音",
        "too_small": "未判断音色：{message}",
        "reference": "参考音频：{path}",
        "top_findings": "最常见的问题",
        "code": "问题", "count": "音频条数", "hint": "改进建议",
        "written": "已写出：{paths}",
        "encoder": "说话人编码器：{name}",
        "calibration_na": "{encoder} 的音色校准不适用：这些权重不是官方发布的模型（sha256 {sha}…，"
                          "--unverified-weights）；音色判断只相对于本批音频",
        "voice_typical": "  音色 {voice} 的典型音频：{path}",
        "speakers_title": "说话人",
        "col_speaker": "说话人", "col_clips": "条数", "col_minutes": "可用 / 分钟",
        "col_verdict": "音色", "col_mislabelled": "误标到此处", "col_same_voice": "与之同一音色",
        "speaker_not_judged": "音频太少，无法判断",
        "speaker_voices": "{n} 种音色，{k} 条离群录音",
        "more_speakers": "……另有 {n} 个说话人，见 report.json / report.html",
    },
}


def default_language() -> str:
    """``zh`` when the user's locale is Chinese, else ``en``."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    try:
        loc = locale.getlocale()[0] or ""
    except ValueError:
        loc = ""
    return "zh" if loc.lower().startswith("zh") else "en"


# The signs behind a ``denoised`` finding, one phrase per measured sign (see signal/denoise.py).
DENOISE_EVIDENCE = {
    "en": ("{:.0%} of the pauses between words are exact digital silence",
           "the noise floor is {:.0f} dB lower in the pauses than under speech",
           "{:.2%} of the speech spectrum are holes (bins 60 dB under their level)", "; "),
    "zh": ("词间停顿有 {:.0%} 是纯数字静音", "停顿处底噪比语音下低 {:.0f} dB",
           "语音频谱有 {:.2%} 是空洞（比该频率的电平低 60 dB）", "；"),
}


def denoise_evidence(lang: str, *, digital_silence_ratio=None, floor_modulation_db=None,
                     spectral_hole_ratio=None, pause_drop_db=None, gate_drop_db: float = 15.0, **_) -> str:
    """The measured signs of denoising as one phrase in ``lang``. Signs that were not measured are left
    out, and so is a floor modulation whose pauses are entered gently (``pause_drop_db`` under
    ``gate_drop_db``: reverberation, not a gate; see signal/denoise.py)."""
    dsr, floor, holes, sep = DENOISE_EVIDENCE.get(lang, DENOISE_EVIDENCE["en"])
    if isinstance(pause_drop_db, (int, float)) and pause_drop_db < gate_drop_db:
        floor_modulation_db = None
    parts = [template.format(value) for template, value in
             ((dsr, digital_silence_ratio), (floor, floor_modulation_db), (holes, spectral_hole_ratio))
             if isinstance(value, (int, float)) and value == value]
    return sep.join(parts)


class _Default(dict):
    """Missing template fields render as '?', so a message never fails to format."""

    def __missing__(self, key):
        return float("nan")


def render(code: str, lang: str, **fields) -> tuple[str, str]:
    """The ``(message, hint)`` of a finding code in ``lang``.

    A hint may name facts of the clip (``{likely_speaker}``); without them (a set-level summary) the
    code's general hint, the entry's third element, is used instead."""
    table = MESSAGES.get(lang, MESSAGES["en"])
    template, hint, *general = table.get(code) or MESSAGES["en"].get(code) or ("{code}", "")
    values = _Default({k: v for k, v in fields.items() if v is not None})
    values.setdefault("code", code)
    try:
        hint = hint.format_map({k: v for k, v in values.items()})
    except KeyError:
        hint = general[0] if general else hint
    except (ValueError, TypeError):
        pass
    try:
        return template.format_map(values), hint
    except (ValueError, TypeError, KeyError):
        return f"{code}: {fields.get('value')}", hint


def text(key: str, lang: str, **fields) -> str:
    """A terminal-summary string in ``lang``."""
    table = SUMMARY_STRINGS.get(lang, SUMMARY_STRINGS["en"])
    return table.get(key, SUMMARY_STRINGS["en"][key]).format(**fields)
