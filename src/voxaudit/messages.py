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
        "corrupt_samples": ("{value:.0f} sample(s) are not finite numbers (measured as 0 here)",
                            "the float data is corrupt (NaN or infinite values): export the clip again from "
                            "the original recording; one such sample makes the training loss NaN"),
        "speaker_mislabel": ("filed under '{speaker}' but sounds like '{likely_speaker}': similarity "
                             "{likely_similarity:.2f} to {likely_speaker}, {value:.2f} to {speaker}",
                             "move this line to speaker '{likely_speaker}' in the list, or drop it",
                             "move each such line to the speaker it sounds like (likely_speaker in the report), "
                             "or drop it"),
        "speaker_not_in_profile": ("speaker '{speaker}' is not in the voice profile: judged against its own "
                                   "clips in this set",
                                   "check the speaker's name, or build a profile that holds this speaker"),
        # Transcript checks (voxaudit/text/).
        "list_format": ("line {line_no} of {list_name} has {value:.0f} '|'-separated fields; GPT-SoVITS needs "
                        "exactly 4 (path|speaker|lang|text)",
                        "remove the '|' from the text (or fill in the missing fields): GPT-SoVITS skips a line "
                        "that does not split into four fields"),
        "text_missing": ("line {line_no} of {list_name} has no text",
                         "write the transcript (run ASR and correct it) or drop the clip: GPT-SoVITS trains on "
                         "this text"),
        "unsupported_language": ("language code '{lang_code}' is not one GPT-SoVITS accepts (ZH, JA, EN, KO, YUE, "
                                 "or zh, ja, en, ko, yue)",
                                 "write one of ZH, JA, EN, KO, YUE: GPT-SoVITS drops lines with any other code"),
        "text_language_mismatch": ("{percent:.0f}% of the text is in a script that '{lang_code}' does not read "
                                   "({foreign_scripts})",
                                   "set the language code that matches the text, or fix the transcript: the "
                                   "language's front end silently drops what it cannot read"),
        "speaking_rate": ("{speaking_rate_syl_s:.1f} syllables/s ({text_syllables:.0f} syllables) is far outside "
                          "the set's usual {q1_syl_s:.1f}-{q3_syl_s:.1f} syllables/s ({value:.1f} IQR beyond)",
                          "check that the text belongs to this clip and that the slicer did not cut words off: "
                          "a transcript of another clip makes the rate far off"),
        "unmarked_pause": ("a {value:.1f} s pause inside the speech has no punctuation at its place in the text "
                           "(limit {threshold:g} s)",
                           "add a comma where the speaker pauses, or cut the pause out: GPT-SoVITS learns pauses "
                           "from punctuation"),
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
        "corrupt_samples": ("{value:.0f} 个采样点不是有限数值（此处按 0 测量）",
                            "浮点数据已损坏（NaN 或无穷大）：请从原始录音重新导出；一个这样的采样点就会让训练损失变成 NaN"),
        "speaker_mislabel": ("标注为“{speaker}”，但听起来像“{likely_speaker}”：与 {likely_speaker} 的相似度 "
                             "{likely_similarity:.2f}，与 {speaker} 的相似度 {value:.2f}",
                             "把这一行移到说话人“{likely_speaker}”名下，或删除",
                             "把每条这样的音频移到它听起来像的说话人名下（见报告中的 likely_speaker），或删除"),
        "speaker_not_in_profile": ("说话人“{speaker}”不在声纹档案中：改为与本组中该说话人自己的音频比较",
                                   "检查说话人名称，或重新生成包含该说话人的声纹档案"),
        "list_format": ("{list_name} 第 {line_no} 行有 {value:.0f} 个用“|”分隔的字段；GPT-SoVITS 要求正好 4 个"
                        "（路径|说话人|语言|文本）",
                        "删掉文本里的“|”（或补齐缺少的字段）：分不成四个字段的行会被 GPT-SoVITS 跳过"),
        "text_missing": ("{list_name} 第 {line_no} 行没有文本",
                         "补上标注文本（先跑 ASR 再校对），或删掉这条：GPT-SoVITS 用这段文本训练"),
        "unsupported_language": ("语言代码“{lang_code}”不是 GPT-SoVITS 接受的代码（ZH、JA、EN、KO、YUE 或对应小写）",
                                 "改成 ZH、JA、EN、KO、YUE 之一：其他代码的行会被 GPT-SoVITS 丢弃"),
        "text_language_mismatch": ("文本有 {percent:.0f}% 是“{lang_code}”读不了的文字（{foreign_scripts}）",
                                   "把语言代码改成与文本一致，或修正文本：该语言的前端会悄悄丢掉读不了的字"),
        "speaking_rate": ("语速 {speaking_rate_syl_s:.1f} 音节/秒（{text_syllables:.0f} 个音节），远离本数据集常见的 "
                          "{q1_syl_s:.1f}-{q3_syl_s:.1f} 音节/秒（超出 {value:.1f} 个四分位距）",
                          "确认文本属于这条音频，且切分时没有切掉字词：别的音频的文本会让语速明显异常"),
        "unmarked_pause": ("语音中间有 {value:.1f} 秒的停顿，文本对应位置没有标点（上限 {threshold:g} 秒）",
                           "在说话人停顿的地方加逗号，或剪掉这段停顿：GPT-SoVITS 从标点学习停顿"),
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
        ("low_mos", "room"): "listeners would hear the room: its decay reads {rt60_s:.2f} s, too short to "
                             "be called reverberation on its own, but the microphone is far enough that the "
                             "room's sound rivals the voice; record with the mouth a hand's width to 30 cm "
                             "from the microphone, in a small furnished room",
        ("low_snr", "agc"): "the noise swells in the pauses because automatic gain control (AGC) raises the "
                            "gain there: turn AGC off and set a fixed gain first; then, if noise remains, "
                            "record in a quieter room",
    },
    "zh": {
        ("low_mos", "background"): "背景噪声会被听感打低分：关掉风扇和空调，换更安静的房间录音；不要事后降噪",
        ("low_mos", "voice"): "语音本身会被听感打低分（降噪、噪声门、编码、削波或房间回声造成的失真）："
                              "请在不回响的房间用好的麦克风录音并使用原始录音",
        ("low_mos", "room"): "听感上能听出房间声：混响衰减读数为 {rt60_s:.2f} 秒，单看还不算混响，但麦克风离得远，"
                             "房间的声音与人声相当；请把嘴放在离麦克风一掌到 30 厘米处，在有家具的小房间里录音",
        ("low_snr", "agc"): "停顿处噪声变大是因为自动增益控制（AGC）在停顿时提高了增益：先关闭 AGC、使用固定增益；"
                            "若仍有噪声，再换更安静的房间",
    },
}

# Why a clip is ``unreadable`` (``AudioError.cause``), each with its own message and hint. The message
# fields come from ``AudioError.info`` (``{target}`` of a broken link, ``{kind}`` of a file that is not
# a regular file, ``{bytes}``/``{limit}`` of a path too long, ``{error}`` from the decoder or the system).
UNREADABLE_CAUSES: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "not_found": ("file not found",
                      "check the path: a .list path is read relative to the .list file's folder unless it is "
                      "absolute; the file may have been moved, renamed or deleted"),
        "broken_symlink": ("cannot read the file: symbolic link to a missing file ({target})",
                           "the link's target was moved or deleted: fix or remove the link"),
        "symlink_loop": ("cannot read the file: symbolic link loop (the link leads back to itself)",
                         "replace the link with the audio file, or point it at the file"),
        "path_too_long": ("cannot read the file: path or file name too long ({bytes} bytes, the limit is {limit})",
                          "no file can have such a path: check the .list line (a missing '|' can join the "
                          "text to the path) or shorten the folder names"),
        "is_folder": ("cannot read the file: is a folder, not a file",
                      "pass the folder itself to scan the audio in it"),
        "not_regular": ("cannot read the file: not a regular file but {kind_text}",
                        "point voxaudit at audio files: a pipe, device or socket is not read (it could block "
                        "or never end); save the audio to a file first"),
        "permission": ("cannot read the file: permission denied",
                       "make the file (and its folders) readable for your user, or copy it somewhere readable"),
        "empty": ("cannot read the file: file is empty (0 bytes)",
                  "the export or copy did not finish: export or copy the clip again"),
        "no_samples": ("cannot read the file: file holds no audio samples",
                       "the file has a header but no audio: export the clip again"),
        "decode": ("cannot read the file: cannot decode audio: {error}",
                   "re-export the clip as 16- or 24-bit WAV; check that the file is complete"),
        "worker": ("cannot read the file: the process reading it failed: {error}",
                   "the process reading this clip stopped (often out of memory): check the file, or scan it "
                   "with fewer --jobs"),
        "os_error": ("cannot read the file: {error}",
                     "check that the disk or network share holding the file is available"),
    },
    "zh": {
        "not_found": ("找不到文件",
                      "请检查路径：.list 中的相对路径以 .list 文件所在的文件夹为起点；文件可能已被移动、改名或删除"),
        "broken_symlink": ("无法读取文件：符号链接指向的文件不存在（{target}）",
                           "链接的目标已被移动或删除：请修正或删除该链接"),
        "symlink_loop": ("无法读取文件：符号链接循环（链接最终指回自己）",
                         "请用音频文件本身替换该链接，或让链接指向音频文件"),
        "path_too_long": ("无法读取文件：路径或文件名过长（{bytes} 字节，上限 {limit}）",
                          "不存在这样长的路径：请检查 .list 的这一行（漏写“|”会把文本接到路径上），或缩短文件夹名"),
        "is_folder": ("无法读取文件：这是文件夹，不是文件", "直接把该文件夹作为输入即可扫描其中的音频"),
        "not_regular": ("无法读取文件：不是普通文件，而是{kind_text}",
                        "请指向音频文件：管道、设备或套接字不会被读取（可能阻塞或永不结束）；请先把音频保存为文件"),
        "permission": ("无法读取文件：没有读取权限",
                       "请让当前用户能读取该文件及其所在文件夹，或把文件复制到可读的位置"),
        "empty": ("无法读取文件：文件为空（0 字节）", "导出或复制没有完成：请重新导出或复制该音频"),
        "no_samples": ("无法读取文件：文件中没有音频采样", "文件只有文件头、没有音频：请重新导出"),
        "decode": ("无法读取文件：无法解码音频：{error}", "请重新导出为 16 或 24 位 WAV，并检查文件是否完整"),
        "worker": ("无法读取文件：读取进程失败：{error}",
                   "读取这条音频的进程中止了（常见原因是内存不足）：请检查文件，或用更少的 --jobs 扫描"),
        "os_error": ("无法读取文件：{error}", "请检查存放该文件的磁盘或网络共享是否可用"),
    },
}

# What a path that is not a regular file leads to (``{kind_text}`` above, from ``info["kind"]``).
FILE_KINDS: dict[str, dict[str, str]] = {
    "en": {"fifo": "a named pipe (FIFO)", "char_device": "a character device", "block_device": "a block device",
           "socket": "a socket", "other": "a special file"},
    "zh": {"fifo": "命名管道（FIFO）", "char_device": "字符设备", "block_device": "块设备", "socket": "套接字",
           "other": "特殊文件"},
}

# One-line notices printed while a scan runs (and kept in the report); ``{...}`` are filled by the caller.
NOTICES: dict[str, dict[str, str]] = {
    "en": {
        "note": "note",
        "error": "error",
        "encoder_fallback": "{detail}; using ge2e (to add them: models/README.md)",
        "duplicates": "{n} input line(s) or file(s) name a file already listed and were skipped (each file is "
                      "scanned once){examples}",
        "duplicate_example": "{path} = {first}",
        "set_condition": "all {n} clips: {message} -- {hint} (said once for the set; not counted as flagged)",
        "input_missing": "no such file or folder: {paths}",
        "no_audio": "{path}: no audio files found",
        "no_path": "{where}: no path in line",
        "folder_unreadable": "{path}: cannot list folder ({error})",
        "out_locked": "another voxaudit scan is writing to {out} ({holder}); wait for it to finish, or choose "
                      "another --out",
    },
    "zh": {
        "note": "提示",
        "error": "错误",
        "encoder_fallback": "ECAPA-TDNN 权重不可用（{detail}），改用 ge2e 声纹模型（添加权重的方法见 models/README.md）",
        "duplicates": "{n} 行输入或文件指向已列出的文件，已跳过（每个文件只扫描一次）{examples}",
        "duplicate_example": "{path} = {first}",
        "set_condition": "全部 {n} 条音频：{message}——{hint}（对整个数据集只提示一次，不计入“有问题”）",
        "input_missing": "找不到文件或文件夹：{paths}",
        "no_audio": "{path}：没有找到音频文件",
        "no_path": "{where}：这一行没有路径",
        "folder_unreadable": "{path}：无法列出文件夹内容（{error}）",
        "out_locked": "另一个 voxaudit 扫描正在写入 {out}（{holder}）；请等它结束，或换一个 --out",
    },
}


# Notes made while loading a clip (see audio.LoadedAudio), in the report's language.
LOAD_NOTES: dict[str, dict[str, str]] = {
    "en": {
        "nonfinite": "{percent:.2f}% of the samples were NaN or infinite and were replaced by 0",
        "dead": "channel(s) {dead} of {channels} are silent or dead; measured on the live channel(s)",
        "unbalanced": "channels are unbalanced by {db:.1f} dB",
    },
    "zh": {
        "nonfinite": "{percent:.2f}% 的采样点是 NaN 或无穷大，已替换为 0",
        "dead": "{channels} 个声道中的第 {dead} 声道无声或失效，只用有效声道测量",
        "unbalanced": "各声道电平相差 {db:.1f} dB（不平衡）",
    },
}


def load_notes(lang: str, *, nonfinite_percent: float = 0.0, dead: list | None = None, channels: int = 1,
               unbalance_db: float | None = None) -> list[str]:
    """The loading notes of one clip in ``lang``: non-finite samples replaced, dead channels left out of
    the downmix, unbalanced channels."""
    table = LOAD_NOTES.get(lang, LOAD_NOTES["en"])
    notes = []
    if nonfinite_percent:
        notes.append(table["nonfinite"].format(percent=nonfinite_percent))
    if dead:
        notes.append(table["dead"].format(dead=list(dead), channels=channels))
    if unbalance_db is not None:
        notes.append(table["unbalanced"].format(db=unbalance_db))
    return notes


def notice_text(key: str, lang: str, **fields) -> str:
    """A notice in ``lang`` (English where ``lang`` has no text for it)."""
    table = NOTICES.get(lang, NOTICES["en"])
    return table.get(key, NOTICES["en"][key]).format(**fields)


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
        "scanning": "scanning",
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
        "no_text": "{n} clip(s) have no text: run ASR or record from a script",
        "rate": "speaking rate ({lang}): median {median:.1f} syllables/s, middle half {q1:.1f}-{q3:.1f}",
        "script": "recording script: {n} sentences, about {minutes:.1f} minutes of takes",
        "script_before": "the existing list ({n} lines) lacks: {missing}",
        "script_after": "with the script, still missing: {missing}",
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
        "scanning": "扫描中",
        "calibration_na": "{encoder} 的音色校准不适用：这些权重不是官方发布的模型（sha256 {sha}…，"
                          "--unverified-weights）；音色判断只相对于本批音频",
        "voice_typical": "  音色 {voice} 的典型音频：{path}",
        "speakers_title": "说话人",
        "col_speaker": "说话人", "col_clips": "条数", "col_minutes": "可用 / 分钟",
        "col_verdict": "音色", "col_mislabelled": "误标到此处", "col_same_voice": "与之同一音色",
        "speaker_not_judged": "音频太少，无法判断",
        "speaker_voices": "{n} 种音色，{k} 条离群录音",
        "more_speakers": "……另有 {n} 个说话人，见 report.json / report.html",
        "no_text": "{n} 条音频没有文本：先跑 ASR，或按录音稿录制",
        "rate": "语速（{lang}）：中位数 {median:.1f} 音节/秒，中间一半 {q1:.1f}-{q3:.1f}",
        "script": "录音稿：{n} 句，录完约 {minutes:.1f} 分钟",
        "script_before": "现有列表（{n} 行）缺少：{missing}",
        "script_after": "加上录音稿后仍缺：{missing}",
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


# The signs behind a ``denoised`` finding, one phrase per measured sign (see signal/denoise.py and
# signal/expander.py).
DENOISE_EVIDENCE = {
    "en": {"dsr": "{:.0%} of the pauses between words are exact digital silence",
           "floor": "the noise floor is {:.0f} dB lower in the pauses than under speech",
           "step": "the steady noise under speech is turned down by {:.0f} dB in every pause (an expander "
                   "or a gentle noise gate)",
           "holes": "{:.2%} of the speech spectrum are holes (bins 60 dB under their level)",
           "musical": "the pauses hold musical noise: {:.1%} of their bins are isolated peaks (natural "
                      "noise under 1%)",
           "sep": "; "},
    "zh": {"dsr": "词间停顿有 {:.0%} 是纯数字静音", "floor": "停顿处底噪比语音下低 {:.0f} dB",
           "step": "语音下平稳的底噪在每个停顿处被压低 {:.0f} dB（扩展器或较温和的噪声门）",
           "holes": "语音频谱有 {:.2%} 是空洞（比该频率的电平低 60 dB）",
           "musical": "停顿处有音乐噪声：{:.1%} 的时频点是孤立尖峰（自然噪声低于 1%）",
           "sep": "；"},
}


def denoise_evidence(lang: str, *, digital_silence_ratio=None, floor_modulation_db=None,
                     spectral_hole_ratio=None, musical_noise_ratio=None, floor_step_db=None, **_) -> str:
    """The given signs of denoising as one phrase in ``lang`` (findings.py passes the signs that carry
    the finding; see ``signal.denoise.sign_scores``). Signs not given, or not numbers, are left out."""
    words = DENOISE_EVIDENCE.get(lang, DENOISE_EVIDENCE["en"])
    parts = [words[key].format(value) for key, value in
             (("dsr", digital_silence_ratio), ("floor", floor_modulation_db), ("step", floor_step_db),
              ("holes", spectral_hole_ratio), ("musical", musical_noise_ratio))
             if isinstance(value, (int, float)) and value == value]
    return words["sep"].join(parts)


# The signs behind an ``agc_pumping`` finding (see signal/agc.py).
AGC_EVIDENCE = {
    "en": ("the noise floor sits {:.1f} dB lower under loud speech than in the pauses",
           "the noise floor rises {:.1f} dB through the pauses",
           "the noise is {:.1f} dB louder in the pauses than under the words", "; "),
    "zh": ("响亮语音下的底噪比停顿处低 {:.1f} dB", "停顿中底噪上升 {:.1f} dB", "停顿处的噪声比说话时响 {:.1f} dB", "；"),
}


def agc_evidence(lang: str, *, agc_gain_dip_db=None, agc_pumping_db=None, agc_pause_excess_db=None,
                 **_) -> str:
    """The measured signs of AGC as one phrase in ``lang``: a gain dip above 0 dB, a rise above 1 dB, and
    a pause floor 3 dB or more above the floor under speech (where the noise is loud)."""
    dip, rise, excess, sep = AGC_EVIDENCE.get(lang, AGC_EVIDENCE["en"])
    parts = []
    if isinstance(agc_gain_dip_db, (int, float)) and agc_gain_dip_db > 0:
        parts.append(dip.format(agc_gain_dip_db))
    if isinstance(agc_pumping_db, (int, float)) and agc_pumping_db > 1:
        parts.append(rise.format(agc_pumping_db))
    if isinstance(agc_pause_excess_db, (int, float)) and agc_pause_excess_db >= 3:
        parts.append(excess.format(agc_pause_excess_db))
    return sep.join(parts)


class _Default(dict):
    """Missing template fields render as '?', so a message never fails to format."""

    def __missing__(self, key):
        return float("nan")


def render(code: str, lang: str, *, hint_cause: str | None = None, **fields) -> tuple[str, str]:
    """The ``(message, hint)`` of a finding code in ``lang``.

    A hint may name facts of the clip (``{likely_speaker}``); without them (a set-level summary) the
    code's general hint, the entry's third element, is used instead. ``hint_cause`` picks a hint from
    ``HINT_VARIANTS`` where one is listed (findings.py decides the cause)."""
    table = MESSAGES.get(lang, MESSAGES["en"])
    template, hint, *general = table.get(code) or MESSAGES["en"].get(code) or ("{code}", "")
    if hint_cause is not None:
        variants = HINT_VARIANTS.get(lang, HINT_VARIANTS["en"])
        hint = variants.get((code, hint_cause)) or HINT_VARIANTS["en"].get((code, hint_cause)) or hint
    cause = fields.get("cause")
    if code == "unreadable" and cause:
        causes = UNREADABLE_CAUSES.get(lang, UNREADABLE_CAUSES["en"])
        found = causes.get(cause) or UNREADABLE_CAUSES["en"].get(cause)
        if found is not None:
            kinds = FILE_KINDS.get(lang, FILE_KINDS["en"])
            known = {k: v for k, v in fields.items() if v is not None}
            known["kind_text"] = kinds.get(str(fields.get("kind")), kinds["other"])
            try:
                return found[0].format_map(known), found[1]
            except (KeyError, ValueError, TypeError, IndexError):  # a field missing: say what the loader said
                return template.format_map(_Default({**known, "code": code})), found[1]
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


def text(key: str, lang: str, /, **fields) -> str:
    """A terminal-summary string in ``lang`` (positional: a template may have a ``{lang}`` field of its
    own, the speech language in ``rate``)."""
    table = SUMMARY_STRINGS.get(lang, SUMMARY_STRINGS["en"])
    return table.get(key, SUMMARY_STRINGS["en"][key]).format(**fields)


# Names of writing systems, for text_language_mismatch (keys as voxaudit.text.lang.char_script).
SCRIPT_NAMES = {
    "en": {"han": "Han characters", "kana": "kana", "hangul": "Hangul", "latin": "Latin letters",
           "other": "other letters", "sep": ", "},
    "zh": {"han": "汉字", "kana": "假名", "hangul": "谚文", "latin": "拉丁字母", "other": "其他文字", "sep": "、"},
}


def script_names(scripts, lang: str) -> str:
    """The names of writing systems in ``lang``, joined."""
    table = SCRIPT_NAMES.get(lang, SCRIPT_NAMES["en"])
    return table["sep"].join(table.get(s, s) for s in scripts)
