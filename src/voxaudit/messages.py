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
        "agc_pumping": ("the level is pumped by automatic gain control (score {value:.2f}, limit {threshold:g}): "
                        "{evidence}",
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
        "low_mos": ("DNSMOS overall quality {value:.2f} is under {threshold:g} (voice {dnsmos_sig:.2f}, "
                    "background {dnsmos_bak:.2f})",
                    "listeners would rate this clip poorly: re-record it in a quiet room with a good microphone, "
                    "or drop it"),
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
        "agc_pumping": ("电平被自动增益控制拉动（得分 {value:.2f}，上限 {threshold:g}）：{evidence}",
                        "在录音软件、手机或系统声音设置中关闭自动增益控制（AGC），使用固定增益"),
        "denoised": ("疑似做过降噪或噪声门处理（得分 {value:.2f}，上限 {threshold:g}）：{evidence}",
                     "请使用原始录音：关闭降噪、噪声门和“去除静音”处理，不要用数字静音拼接音频；降噪或门限处理过的"
                     "音频会让模型学到金属感、空洞的伪影和死寂的停顿"),
        "speaker_mismatch": ("音色与整体不一致：{reason}",
                             "确认这条是同一说话人、同一麦克风和距离；删除或重录"),
        "low_mos": ("DNSMOS 总体质量 {value:.2f} 低于 {threshold:g}（语音 {dnsmos_sig:.2f}，背景 {dnsmos_bak:.2f}）",
                    "听感评分会很低：在安静的房间用好的麦克风重录，或删除这条"),
    },
}

# Hints for a finding whose measurements point to a particular cause (findings.py decides which):
# ``(code, cause) -> hint``. A finding without a listed cause keeps the hint above.
HINT_VARIANTS: dict[str, dict[tuple[str, str], str]] = {
    "en": {
        ("low_mos", "background"): "listeners would mark down the background: turn off fans and air "
                                   "conditioning, record in a quieter room; don't denoise afterwards",
        ("low_mos", "voice"): "listeners would mark down the voice itself (distortion from a denoiser, gate, "
                              "codec, clipping or a room's echo): use the raw recording from a good microphone "
                              "in a dry room",
        ("low_snr", "agc"): "the noise swells in the pauses because automatic gain control (AGC) raises the "
                            "gain there: turn AGC off and set a fixed gain first; then, if noise remains, "
                            "record in a quieter room",
    },
    "zh": {
        ("low_mos", "background"): "背景噪声会被听感打低分：关掉风扇和空调，换更安静的房间录音；不要事后降噪",
        ("low_mos", "voice"): "语音本身会被听感打低分（降噪、噪声门、编码、削波或房间回声造成的失真）："
                              "请在不回响的房间用好的麦克风录音并使用原始录音",
        ("low_snr", "agc"): "停顿处噪声变大是因为自动增益控制（AGC）在停顿时提高了增益：先关闭 AGC、使用固定增益；"
                            "若仍有噪声，再换更安静的房间",
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
           "{:.2%} of the speech spectrum are holes (bins 60 dB under their level)", "; ",
           "the floor in the pauses is peaky, musical noise ({:.1f} dB; natural noise 6-9)"),
    "zh": ("词间停顿有 {:.0%} 是纯数字静音", "停顿处底噪比语音下低 {:.0f} dB",
           "语音频谱有 {:.2%} 是空洞（比该频率的电平低 60 dB）", "；",
           "停顿处底噪呈尖峰状（音乐噪声，{:.1f} dB；自然噪声 6-9）"),
}


def denoise_evidence(lang: str, *, digital_silence_ratio=None, floor_modulation_db=None,
                     spectral_hole_ratio=None, pause_drop_db=None, pause_spikiness_db=None,
                     gate_drop_db: float = 15.0, spiky_db: float = 11.0, **_) -> str:
    """The measured signs of denoising as one phrase in ``lang``. Signs that were not measured are left
    out, and so is a floor modulation whose pauses are entered gently (``pause_drop_db`` under
    ``gate_drop_db``: reverberation, not a gate; see signal/denoise.py), and a pause spikiness under
    ``spiky_db``."""
    dsr, floor, holes, sep, spikes = DENOISE_EVIDENCE.get(lang, DENOISE_EVIDENCE["en"])
    if isinstance(pause_drop_db, (int, float)) and pause_drop_db < gate_drop_db:
        floor_modulation_db = None
    if isinstance(pause_spikiness_db, (int, float)) and pause_spikiness_db < spiky_db:
        pause_spikiness_db = None
    parts = [template.format(value) for template, value in
             ((dsr, digital_silence_ratio), (floor, floor_modulation_db), (holes, spectral_hole_ratio),
              (spikes, pause_spikiness_db))
             if isinstance(value, (int, float)) and value == value]
    return sep.join(parts)


# The signs behind an ``agc_pumping`` finding (see signal/agc.py).
AGC_EVIDENCE = {
    "en": ("the noise floor sits {:.1f} dB lower under loud speech than in the pauses",
           "the noise floor rises {:.1f} dB through the pauses", "; "),
    "zh": ("响亮语音下的底噪比停顿处低 {:.1f} dB", "停顿中底噪上升 {:.1f} dB", "；"),
}


def agc_evidence(lang: str, *, agc_gain_dip_db=None, agc_pumping_db=None, **_) -> str:
    """The measured signs of AGC as one phrase in ``lang``: a gain dip above 0 dB and a rise above 1 dB."""
    dip, rise, sep = AGC_EVIDENCE.get(lang, AGC_EVIDENCE["en"])
    parts = []
    if isinstance(agc_gain_dip_db, (int, float)) and agc_gain_dip_db > 0:
        parts.append(dip.format(agc_gain_dip_db))
    if isinstance(agc_pumping_db, (int, float)) and agc_pumping_db > 1:
        parts.append(rise.format(agc_pumping_db))
    return sep.join(parts)


class _Default(dict):
    """Missing template fields render as '?', so a message never fails to format."""

    def __missing__(self, key):
        return float("nan")


def render(code: str, lang: str, *, cause: str | None = None, **fields) -> tuple[str, str]:
    """The ``(message, hint)`` of a finding code in ``lang``; ``cause`` picks a hint from
    ``HINT_VARIANTS`` where one is listed."""
    table = MESSAGES.get(lang, MESSAGES["en"])
    template, hint = table.get(code) or MESSAGES["en"].get(code) or ("{code}", "")
    if cause is not None:
        variants = HINT_VARIANTS.get(lang, HINT_VARIANTS["en"])
        hint = variants.get((code, cause)) or HINT_VARIANTS["en"].get((code, cause)) or hint
    values = _Default({k: v for k, v in fields.items() if v is not None})
    values.setdefault("code", code)
    try:
        return template.format_map(values), hint
    except (ValueError, TypeError, KeyError):
        return f"{code}: {fields.get('value')}", hint


def text(key: str, lang: str, **fields) -> str:
    """A terminal-summary string in ``lang``."""
    table = SUMMARY_STRINGS.get(lang, SUMMARY_STRINGS["en"])
    return table.get(key, SUMMARY_STRINGS["en"][key]).format(**fields)
