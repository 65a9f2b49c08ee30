"""UI text of the HTML report, in English and Simplified Chinese.

Finding messages and hints arrive already translated inside the report; this table holds only the
report's own words: headings, column names, filter labels, short names of finding codes and metrics.
Chinese terms are the ones GPT-SoVITS users use: 音频 (条) for a clip, 音色 for a voice, 参考音频 for the
reference clip, 声纹 for speaker embeddings, 底噪, 电流声, 喷麦, 削波（爆音）, 降噪痕迹.
"""

from __future__ import annotations

from ..errors import ParameterError

LANGUAGES = ("en", "zh")

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "html_lang": "en",
        "title": "voxaudit report",
        "created": "Created {created} by {tool} {version}",
        "inputs": "Inputs",
        # Verdict
        "verdict_one_voice": "One consistent voice",
        "verdict_one_voice_outliers": "One voice, {k} outlier take(s)",
        "verdict_n_voices": "{n} voices found",
        "voices_title": "Voices in this set",
        "speakers_title": "Speakers",
        "col_speaker": "Speaker", "col_clips": "Clips", "col_usable_minutes": "Usable / min",
        "col_voice": "Voice", "col_mislabelled": "Filed here by mistake", "col_same_voice": "Same voice as",
        "col_reference": "Reference clip",
        "speaker_consistent": "one consistent voice",
        "speaker_mislabels_only": "one voice (clips of others filed here)",
        "speaker_outliers": "one voice, {k} outlier take(s)",
        "speaker_voices": "{n} voices",
        "speaker_too_small": "too few clips to judge",
        "speaker_heatmap": "Voice similarity between speakers",
        "speaker_heatmap_note": "Cohesion of two speakers' clips: about 1 for one voice (two names for one "
                                "person), about 0.8 or less for two people. Speakers with a problem first.",
        "cohesion": "cohesion",
        "filter_speaker": "Speaker",
        "other_speakers": "other speakers",
        "mislabel_mark": "sounds like {speaker}",
        "voice_label": "Voice {voice}: {n} clips, {minutes} min",
        "voice_reference": "(the reference)",
        "voice_typical": "a typical clip",
        "verdict_not_judged": "Voice not judged",
        "verdict_flagged": "{k} of {n} clips flagged",
        "verdict_flagged_none": "no clip flagged ({n} clips)",
        "verdict_minutes": "{usable} of {total} min usable",
        "verdict_unreadable": "{n} unreadable",
        "verdict_detail": "Flagged = at least one warning or error. Usable minutes exclude clips with an error.",
        "encoder": "Speaker encoder",
        "calibration_na": "The {encoder} identity calibration does not apply: these weights are not the published "
                          "model (sha256 {sha}…, loaded with --unverified-weights), so read the voice verdict as "
                          "relative to this set.",
        # Reference
        "reference": "Reference clip",
        "reference_none": "No reference clip was chosen.",
        "reference_note": "The cleanest, most typical take: use it as the reference audio for zero-shot cloning.",
        "alternates": "Alternates",
        "seconds": "{s} s",
        # Top findings
        "top_findings": "What costs the most clips (errors first)",
        "top_none": "No finding at all: every clip passed every check.",
        "n_clips_minutes": "{clips} clips · {minutes} min",
        "n_clips_minutes_one": "1 clip · {minutes} min",
        "show_in_table": "show in table",
        # Pictures
        "pictures": "Voice identity",
        "voice_map": "Voice map (PCA of speaker embeddings)",
        "voice_map_note": "Each dot is a clip; nearby dots sound alike. Colour = voice group, ✕ = outlier take, ★ = reference. Click a dot to open the clip.",
        "voice_map_none": "No embeddings were passed to the report, so there is no voice map.",
        "voice_map_few": "Too few embedded clips for a voice map.",
        "similarity_hist": "Similarity to the voice centroid",
        "similarity_note": "Clips left of the red line are outlier takes (likely another voice, microphone or distance). Clips shorter than 4 s get a wider margin, so their own line sits further left.",
        "similarity_axis": "cosine similarity to the centroid",
        "clips_axis": "clips",
        "in_set": "same voice",
        "outliers": "outliers",
        "threshold": "outlier threshold {t}",
        "median": "median {m}",
        "group": "group {c}",
        "group_main": "group {c} (main voice)",
        "group_other": "groups of one clip",
        "pc1": "PC 1",
        "pc2": "PC 2",
        # Table
        "clips": "Clips",
        "filter_path": "Filter by path…",
        "filter_code": "Finding",
        "filter_severity": "Severity",
        "filter_cluster": "Voice group",
        "filter_outlier": "Outliers",
        "any": "any",
        "flagged_only": "flagged (warning or error)",
        "clean_only": "clean (no warning or error)",
        "outliers_only": "outliers only",
        "no_outliers": "not outliers",
        "showing": "showing {shown} of {matching} matching clips ({total} in all)",
        "show_more_rows": "Show {n} more",
        "show_all_rows": "Show all {n}",
        "col_play": "Listen",
        "play": "Play",
        "noscript": "The clip table needs JavaScript. clips.csv and report.json beside this file hold the same data.",
        "reset": "Reset filters",
        "col_index": "#",
        "col_clip": "Clip",
        "col_quality": "Quality",
        "col_similarity": "Similarity",
        "col_cluster": "Group",
        "col_duration": "Duration (s)",
        "col_snr": "SNR (dB)",
        "col_bandwidth": "Bandwidth (kHz)",
        "col_findings": "Findings",
        "missing_file": "audio file not found when the report was written",
        "empty_file": "the audio file is empty",
        "unreachable_file": "cannot open the audio file from here",
        "audio_unreachable_banner": "Some audio files cannot be opened from where this report is now. Links are relative: move report.html together with the audio folder, keeping them in the same places relative to each other.",
        "no_findings": "clean",
        "expand": "details",
        "outlier_mark": "outlier",
        "sort_hint": "Click a column header to sort; click a row to see its details, waveform and spectrogram.",
        # Details
        "details_findings": "Findings",
        "details_metrics": "Measurements",
        "details_identity": "Voice identity",
        "details_notes": "Notes",
        "details_text": "Transcript",
        "hint": "Hint",
        "no_plot": "No pictures for this clip (drawn only for clips with a warning or an error).",
        "no_plot_capped": "No pictures for this clip: only the {n} worst flagged clips are drawn.",
        "no_plot_unreadable": "No pictures: the audio could not be decoded when the report was written.",
        "no_plot_long": "No pictures: the clip is longer than {n} minutes.",
        "plot_error": "Could not draw this clip's pictures in this browser.",
        # Flagged gallery
        "flagged_pictures": "Flagged clips: waveform and spectrogram",
        "flagged_note": "Waveform: grey = silence, orange = the overlong pause, red = clipped. Spectrogram: dashed lines = mains hum and bandwidth cutoff.",
        "flagged_none": "No clip has a warning or an error.",
        "flagged_capped": "{n} clips are flagged; pictures are drawn for the {k} worst of them.",
        "show_more": "Show {n} more",
        "waveform": "waveform",
        "spectrogram": "spectrogram",
        "time_axis": "time (s)",
        "amplitude_axis": "amplitude",
        "frequency_axis": "Hz",
        "silence": "silence",
        "clipped": "clipped",
        "hum_line": "hum {f} Hz",
        "cutoff_line": "cutoff {f} kHz",
        "identity_hidden": "Voice identity was not checked in this run (--no-identity).",
        "footer": "One self-contained file, no network needed. Move it together with the audio folder and the players keep working.",
        "severity_error": "error",
        "severity_warning": "warning",
        "severity_info": "info",
        "yes": "yes",
        "no": "no",
    },
    "zh": {
        "html_lang": "zh-Hans",
        "title": "voxaudit 训练集检查报告",
        "created": "{created} 由 {tool} {version} 生成",
        "inputs": "输入",
        # 结论
        "verdict_one_voice": "音色一致（同一说话人）",
        "verdict_one_voice_outliers": "同一音色，但有 {k} 条离群音频",
        "verdict_n_voices": "检测到 {n} 种音色",
        "voices_title": "本组音频中的音色",
        "speakers_title": "说话人",
        "col_speaker": "说话人", "col_clips": "条数", "col_usable_minutes": "可用 / 分钟",
        "col_voice": "音色", "col_mislabelled": "误标到此处", "col_same_voice": "与之同一音色",
        "col_reference": "参考音频",
        "speaker_consistent": "音色一致",
        "speaker_mislabels_only": "单一音色（混入了其他说话人的音频）",
        "speaker_outliers": "单一音色，{k} 条离群录音",
        "speaker_voices": "{n} 种音色",
        "speaker_too_small": "音频太少，无法判断",
        "speaker_heatmap": "说话人之间的音色相似度",
        "speaker_heatmap_note": "两个说话人音频的凝聚度：同一音色（一人两名）约为 1，两个人约 0.8 或更低。有问题的说话人排在前面。",
        "cohesion": "凝聚度",
        "filter_speaker": "说话人",
        "other_speakers": "其他说话人",
        "mislabel_mark": "听起来像 {speaker}",
        "voice_label": "音色 {voice}：{n} 条，{minutes} 分钟",
        "voice_reference": "（参考音色）",
        "voice_typical": "典型音频",
        "verdict_not_judged": "未判断音色",
        "verdict_flagged": "共 {n} 条音频，{k} 条有问题",
        "verdict_flagged_none": "共 {n} 条音频，均无问题",
        "verdict_minutes": "可用 {usable} / {total} 分钟",
        "verdict_unreadable": "{n} 条无法读取",
        "verdict_detail": "“有问题”指至少有一个警告或错误。可用时长不含有错误的音频。",
        "encoder": "声纹模型",
        "calibration_na": "{encoder} 的音色校准不适用：这些权重不是官方发布的模型（sha256 {sha}…，"
                          "以 --unverified-weights 加载），音色判断只相对于本批音频。",
        # 参考音频
        "reference": "参考音频",
        "reference_none": "未选出参考音频。",
        "reference_note": "最干净、音色最有代表性的一条，可用作零样本克隆（如 GPT-SoVITS 推理）的参考音频。",
        "alternates": "备选",
        "seconds": "{s} 秒",
        # 主要问题
        "top_findings": "影响音频最多的问题（错误优先）",
        "top_none": "没有发现任何问题：所有音频都通过了全部检查。",
        "n_clips_minutes": "{clips} 条 · {minutes} 分钟",
        "n_clips_minutes_one": "1 条 · {minutes} 分钟",
        "show_in_table": "在表格中查看",
        # 图表
        "pictures": "音色一致性",
        "voice_map": "音色分布图（声纹向量 PCA 降维）",
        "voice_map_note": "每个点是一条音频，点越近音色越接近。颜色 = 音色分组，✕ = 离群音频，★ = 参考音频。点击圆点可定位到该音频。",
        "voice_map_none": "报告中没有声纹向量，因此无法绘制音色分布图。",
        "voice_map_few": "有声纹向量的音频太少，无法绘制音色分布图。",
        "similarity_hist": "与整体音色的相似度分布",
        "similarity_note": "红线左侧为离群音频：可能混入了别人的声音，或换了麦克风、录音距离。短于 4 秒的音频声纹波动更大，判定时放宽余量，其阈值比红线更靠左。",
        "similarity_axis": "与音色中心的余弦相似度",
        "clips_axis": "音频条数",
        "in_set": "同一音色",
        "outliers": "离群音频",
        "threshold": "离群阈值 {t}",
        "median": "中位数 {m}",
        "group": "分组 {c}",
        "group_main": "分组 {c}（主音色）",
        "group_other": "仅一条音频的分组",
        "pc1": "主成分 1",
        "pc2": "主成分 2",
        # 表格
        "clips": "全部音频",
        "filter_path": "按文件名筛选…",
        "filter_code": "问题类型",
        "filter_severity": "严重程度",
        "filter_cluster": "音色分组",
        "filter_outlier": "离群",
        "any": "全部",
        "flagged_only": "有问题（警告或错误）",
        "clean_only": "无问题（无警告、无错误）",
        "outliers_only": "仅离群音频",
        "no_outliers": "非离群音频",
        "showing": "显示 {shown} 条，符合条件 {matching} 条（共 {total} 条）",
        "show_more_rows": "再显示 {n} 条",
        "show_all_rows": "显示全部 {n} 条",
        "col_play": "试听",
        "play": "播放",
        "noscript": "音频表格需要启用 JavaScript。同一文件夹中的 clips.csv 和 report.json 包含相同的数据。",
        "reset": "重置筛选",
        "col_index": "#",
        "col_clip": "音频",
        "col_quality": "质量分",
        "col_similarity": "相似度",
        "col_cluster": "分组",
        "col_duration": "时长（秒）",
        "col_snr": "信噪比（dB）",
        "col_bandwidth": "带宽（kHz）",
        "col_findings": "问题",
        "missing_file": "生成报告时找不到该音频文件",
        "empty_file": "音频文件为空（0 字节）",
        "unreachable_file": "无法从当前位置打开该音频",
        "audio_unreachable_banner": "部分音频无法从报告当前所在的位置打开。报告里的试听链接是相对路径：移动 report.html 时请连同音频文件夹一起移动，并保持两者的相对位置不变。",
        "no_findings": "无问题",
        "expand": "详情",
        "outlier_mark": "离群",
        "sort_hint": "点击列标题排序；点击某一行查看详情、波形图和频谱图。",
        # 详情
        "details_findings": "问题",
        "details_metrics": "测量值",
        "details_identity": "音色",
        "details_notes": "备注",
        "details_text": "标注文本",
        "hint": "建议",
        "no_plot": "此音频没有图表（只为有警告或错误的音频绘图）。",
        "no_plot_capped": "此音频没有图表：只为问题最严重的 {n} 条音频绘图。",
        "no_plot_unreadable": "没有图表：生成报告时无法解码该音频。",
        "no_plot_long": "没有图表：音频长于 {n} 分钟。",
        "plot_error": "当前浏览器无法绘制此音频的图表。",
        # 有问题的音频
        "flagged_pictures": "有问题的音频：波形图与频谱图",
        "flagged_note": "波形图：灰色 = 静音段，橙色 = 过长的停顿，红色 = 削波（爆音）。频谱图：虚线 = 电流声频率、带宽截止频率。",
        "flagged_none": "没有音频有警告或错误。",
        "flagged_capped": "共 {n} 条音频有问题，只为其中最严重的 {k} 条绘图。",
        "show_more": "再显示 {n} 条",
        "waveform": "波形",
        "spectrogram": "频谱",
        "time_axis": "时间（秒）",
        "amplitude_axis": "振幅",
        "frequency_axis": "Hz",
        "silence": "静音",
        "clipped": "削波",
        "hum_line": "电流声 {f} Hz",
        "cutoff_line": "截止 {f} kHz",
        "identity_hidden": "本次未检查音色（使用了 --no-identity）。",
        "footer": "单文件报告，无需联网。移动时请连同音频文件夹一起移动，试听链接仍然有效。",
        "severity_error": "错误",
        "severity_warning": "警告",
        "severity_info": "提示",
        "yes": "是",
        "no": "否",
    },
}

CODE_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "unreadable": "Unreadable", "too_short": "Too short", "too_long": "Too long",
        "low_sample_rate": "Low sample rate", "too_quiet": "Too quiet", "too_loud": "Too loud",
        "clipping": "Clipping", "dc_offset": "DC offset", "too_much_silence": "Too much silence",
        "long_pause": "Long pause", "low_snr": "Low SNR", "narrow_bandwidth": "Narrow bandwidth",
        "mains_hum": "Mains hum", "reverb": "Reverb", "plosive": "Plosive pops",
        "agc_pumping": "AGC pumping", "denoised": "Denoised", "speaker_mismatch": "Speaker mismatch",
        "low_mos": "Low DNSMOS",
        "corrupt_samples": "Corrupt samples (NaN/Inf)",
        "speaker_mislabel": "Filed under the wrong speaker", "speaker_not_in_profile": "Speaker not in the profile",
    },
    "zh": {
        "unreadable": "无法读取", "too_short": "过短", "too_long": "过长",
        "low_sample_rate": "采样率过低", "too_quiet": "音量过小", "too_loud": "音量过大",
        "clipping": "削波（爆音）", "dc_offset": "直流偏移", "too_much_silence": "静音过多",
        "long_pause": "停顿过长", "low_snr": "信噪比低（底噪大）", "narrow_bandwidth": "频带过窄",
        "mains_hum": "电流声", "reverb": "混响", "plosive": "喷麦",
        "agc_pumping": "自动增益起伏", "denoised": "降噪痕迹", "speaker_mismatch": "音色不一致",
        "low_mos": "DNSMOS 评分低",
        "corrupt_samples": "采样数据损坏（NaN/无穷大）",
        "speaker_mislabel": "说话人标错", "speaker_not_in_profile": "说话人不在声纹档案中",
    },
}

# Metric labels with their unit, in the order the details panel lists them.
METRIC_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "duration_s": "Duration (s)", "sample_rate": "Sample rate (Hz)", "channels": "Channels",
        "nonfinite_samples": "NaN or infinite samples",
        "sample_format": "Sample format", "peak_dbfs": "Peak (dBFS)", "rms_dbfs": "RMS level (dBFS)",
        "speech_rms_dbfs": "Speech RMS (dBFS)", "clipping_fraction": "Clipped samples (fraction)",
        "dc_offset": "DC offset", "silence_ratio": "Silence (fraction)",
        "leading_silence_s": "Leading silence (s)", "trailing_silence_s": "Trailing silence (s)",
        "longest_pause_s": "Longest pause (s)", "snr_db": "SNR (dB)", "snr_method": "SNR method",
        "snr_wada_db": "Blind SNR, WADA (dB)", "noise_floor_dbfs": "Noise floor (dBFS)",
        "bandwidth_hz": "Bandwidth (Hz)", "hum_hz": "Hum frequency (Hz)", "hum_db": "Hum prominence (dB)",
        "hum_dbfs": "Hum level (dBFS)", "rt60_s": "Reverb RT60 (s)", "reverb_decays": "Decays measured for RT60",
        "plosive_count": "Plosive pops", "plosive_max_db": "Worst pop (dB above speech)",
        "agc_pumping_db": "AGC pumping (dB)", "agc_pauses": "Pauses measured for AGC",
        "agc_gain_dip_db": "AGC gain dip under loud speech (dB)", "agc_pause_excess_db": "Noise louder in pauses than under speech (dB)", "agc_score": "AGC score",
        "musical_noise_ratio": "Musical noise in pauses (share of bins)",
        "floor_step_db": "Noise under speech above the pauses' (dB)",
        "speech_floor_spread_db": "Spread of the floor under speech (dB)",
        "snr_minima_db": "Blind SNR, minimum statistics (dB)", "speech_bandwidth_hz": "Speech above the floor up to (Hz)",
        "dnsmos_sig": "DNSMOS voice (SIG)", "dnsmos_bak": "DNSMOS background (BAK)",
        "dnsmos_ovrl": "DNSMOS overall (OVRL)",
        "digital_silence_ratio": "Exact digital silence in pauses (fraction)",
        "floor_modulation_db": "Noise floor gone in pauses (dB)", "pause_drop_db": "Fall into pauses (dB per 32 ms)", "spectral_hole_ratio": "Spectral holes (fraction)",
        "denoise_score": "Denoising score",
    },
    "zh": {
        "duration_s": "时长（秒）", "sample_rate": "采样率（Hz）", "channels": "声道数",
        "nonfinite_samples": "NaN 或无穷大的采样点数",
        "sample_format": "采样格式", "peak_dbfs": "峰值电平（dBFS）", "rms_dbfs": "平均电平 RMS（dBFS）",
        "speech_rms_dbfs": "人声段电平 RMS（dBFS）", "clipping_fraction": "削波采样占比",
        "dc_offset": "直流偏移", "silence_ratio": "静音占比",
        "leading_silence_s": "开头静音（秒）", "trailing_silence_s": "结尾静音（秒）",
        "longest_pause_s": "最长停顿（秒）", "snr_db": "信噪比（dB）", "snr_method": "信噪比估计方法",
        "snr_wada_db": "盲估信噪比 WADA（dB）", "noise_floor_dbfs": "底噪电平（dBFS）",
        "bandwidth_hz": "有效带宽（Hz）", "hum_hz": "电流声频率（Hz）", "hum_db": "电流声突出度（dB）",
        "hum_dbfs": "电流声电平（dBFS）", "rt60_s": "混响时间 RT60（秒）", "reverb_decays": "用于估计 RT60 的衰减段数",
        "plosive_count": "喷麦次数", "plosive_max_db": "最强喷麦（高于人声 dB）",
        "agc_pumping_db": "自动增益起伏（dB）", "agc_pauses": "用于检测自动增益的停顿数",
        "agc_gain_dip_db": "响亮语音下的增益下沉（dB）", "agc_pause_excess_db": "停顿处噪声高出说话时（dB）", "agc_score": "自动增益得分",
        "musical_noise_ratio": "停顿处音乐噪声（时频点占比）",
        "floor_step_db": "语音下底噪高出停顿处（dB）",
        "speech_floor_spread_db": "语音下底噪的起伏（dB）",
        "snr_minima_db": "盲估信噪比，最小统计（dB）", "speech_bandwidth_hz": "语音高于底噪的上限（Hz）",
        "dnsmos_sig": "DNSMOS 语音（SIG）", "dnsmos_bak": "DNSMOS 背景（BAK）",
        "dnsmos_ovrl": "DNSMOS 总体（OVRL）",
        "digital_silence_ratio": "停顿中纯数字静音的占比",
        "floor_modulation_db": "停顿处底噪消失程度（dB）", "pause_drop_db": "进入停顿时的电平落差（dB/32 ms）", "spectral_hole_ratio": "频谱空洞占比",
        "denoise_score": "降噪痕迹得分",
    },
}

IDENTITY_LABELS: dict[str, dict[str, str]] = {
    "en": {"similarity": "Similarity", "z": "Robust z", "cluster": "Voice group", "outlier": "Outlier",
           "reason": "Why"},
    "zh": {"similarity": "相似度", "z": "稳健 z 分数", "cluster": "音色分组", "outlier": "离群", "reason": "原因"},
}


def normalise_lang(lang: str | None) -> str:
    """``"en"`` or ``"zh"`` from a language tag (``zh``, ``zh-Hans``, ``zh_CN``, ``en-GB`` ...).

    Raises
    ------
    ParameterError
        On a language the report has no text for.
    """
    tag = (lang or "en").strip().lower().replace("_", "-")
    base = tag.split("-", 1)[0]
    if base in LANGUAGES:
        return base
    raise ParameterError(f"no HTML report text for language {lang!r}; known: {list(LANGUAGES)}")


def ui_strings(lang: str) -> dict[str, str]:
    """Every UI string of ``lang`` (normalised), falling back to English for a missing key."""
    lang = normalise_lang(lang)
    return {**STRINGS["en"], **STRINGS[lang]}


def code_label(code: str, lang: str) -> str:
    """Short name of a finding code; the code itself when unknown."""
    return CODE_LABELS[normalise_lang(lang)].get(code, code.replace("_", " "))



# Transcript checks (voxaudit/text/): their labels, in one block (the coverage panel's own strings live
# in report/html_text.py).
_TEXT_CODE_LABELS = {
    "en": {"list_format": "List line format", "text_missing": "Text missing",
           "unsupported_language": "Unsupported language code", "text_language_mismatch": "Text not in its language",
           "speaking_rate": "Speaking rate off", "unmarked_pause": "Unmarked pause"},
    "zh": {"list_format": "列表行格式错误", "text_missing": "缺少文本", "unsupported_language": "语言代码不支持",
           "text_language_mismatch": "文本与语言不符", "speaking_rate": "语速异常", "unmarked_pause": "停顿无标点"},
}
_TEXT_METRIC_LABELS = {
    "en": {"list_fields": "List line fields", "lang_supported": "Language code accepted (1/0)",
           "text_chars": "Text characters", "text_foreign_share": "Text in another script (fraction)",
           "text_syllables": "Text syllables", "speaking_rate_syl_s": "Speaking rate (syllables/s)",
           "speaking_rate_iqr": "Rate outside the set (IQR)", "unmarked_pause_s": "Longest unmarked pause (s)"},
    "zh": {"list_fields": "列表行字段数", "lang_supported": "语言代码可用（1/0）", "text_chars": "文本字数",
           "text_foreign_share": "文本中其他文字的占比", "text_syllables": "文本音节数",
           "speaking_rate_syl_s": "语速（音节/秒）", "speaking_rate_iqr": "语速偏离（四分位距）",
           "unmarked_pause_s": "最长无标点停顿（秒）"},
}
for _lang in LANGUAGES:
    CODE_LABELS[_lang].update(_TEXT_CODE_LABELS[_lang])
    METRIC_LABELS[_lang].update(_TEXT_METRIC_LABELS[_lang])


# The large-set page (report/html_scale.py): its words, in one block.
_SCALE_STRINGS = {
    "en": {
        "scale_title": "The whole set",
        "scale_note": "{n} clips are too many to list one by one in this page: the table below starts with the "
                      "{k} with the most serious findings, with every detail; these charts and tables cover all "
                      "{n}. Every clip's full record is in clips.parquet and clips.csv beside this file.",
        "hist_quality": "Quality score", "hist_snr": "SNR", "hist_duration": "Duration",
        "hist_quality_axis": "quality (0-100)", "hist_snr_axis": "SNR (dB)", "hist_duration_axis": "duration (s)",
        "hist_clean": "no warning or error", "hist_warning": "worst: warning", "hist_error": "worst: error",
        "hist_none": "Not measured on any clip.",
        "scale_findings": "Findings across the set",
        "scale_speakers": "Per speaker",
        "col_finding": "Finding", "col_minutes": "Minutes", "col_share": "Share of clips",
        "col_by_severity": "By severity", "col_show": "View", "col_flagged": "Flagged", "col_errors": "With an error",
        "col_median_quality": "Median quality", "col_median_snr": "Median SNR (dB)",
        "large_table_note": "The table holds the {k} clips with the most serious findings (worst first) of {n}.",
        "index_loading": "The table holds the {k} clips with the most serious findings (worst first); the search "
                         "index of all {n} clips is loading…",
        "index_ready": "Search, filters and sorting cover all {n} clips. Clips outside the {k} worst show the "
                       "numbers this page keeps; every measurement, message and hint is in clips.parquet and "
                       "clips.csv.",
        "index_budget": "The index of all {n} clips does not fit this page's size budget: search, filters and "
                        "sorting cover the {k} worst clips. Find any other clip in clips.parquet or clips.csv.",
        "index_unsupported": "This browser cannot unpack the index of all {n} clips: search, filters and sorting "
                             "cover the {k} worst clips. Find any other clip in clips.parquet or clips.csv.",
        "light_details": "This page keeps only these numbers for this clip; every measurement, message and hint "
                         "is in clips.parquet and in row {row} of clips.csv.",
        "voice_map_sampled": "{k} of {n} clips drawn: every outlier and mislabelled clip, the reference, and a "
                             "random sample of the rest.",
    },
    "zh": {
        "scale_title": "全部音频概览",
        "scale_note": "共 {n} 条音频，无法在本页逐条列出：下表先列出问题最严重的 {k} 条（含全部详情）；"
                      "这里的图表和统计表涵盖全部 {n} 条。每条音频的完整记录见同一文件夹中的 clips.parquet 和 clips.csv。",
        "hist_quality": "质量分分布", "hist_snr": "信噪比分布", "hist_duration": "时长分布",
        "hist_quality_axis": "质量分（0-100）", "hist_snr_axis": "信噪比（dB）", "hist_duration_axis": "时长（秒）",
        "hist_clean": "无警告或错误", "hist_warning": "最严重：警告", "hist_error": "最严重：错误",
        "hist_none": "没有音频测得此项。",
        "scale_findings": "全部音频的问题统计",
        "scale_speakers": "按说话人统计",
        "col_finding": "问题", "col_minutes": "分钟", "col_share": "占比",
        "col_by_severity": "按严重程度", "col_show": "查看", "col_flagged": "有问题", "col_errors": "有错误",
        "col_median_quality": "质量分中位数", "col_median_snr": "信噪比中位数（dB）",
        "large_table_note": "共 {n} 条音频，表格列出问题最严重的 {k} 条（最严重的在前）。",
        "index_loading": "表格列出问题最严重的 {k} 条（最严重的在前）；全部 {n} 条的搜索索引正在加载……",
        "index_ready": "搜索、筛选和排序已涵盖全部 {n} 条音频。最严重的 {k} 条之外的音频只显示本页保存的几项数值；"
                       "全部测量值、问题说明和建议见 clips.parquet 和 clips.csv。",
        "index_budget": "全部 {n} 条音频的索引超出本页的大小上限：搜索、筛选和排序只涵盖最严重的 {k} 条。"
                        "其他音频请在 clips.parquet 或 clips.csv 中查找。",
        "index_unsupported": "当前浏览器无法解压全部 {n} 条音频的索引：搜索、筛选和排序只涵盖最严重的 {k} 条。"
                             "其他音频请在 clips.parquet 或 clips.csv 中查找。",
        "light_details": "本页只保存了这条音频的这几项数值；全部测量值、问题说明和建议见 clips.parquet，"
                         "以及 clips.csv 的第 {row} 行。",
        "voice_map_sampled": "显示 {n} 条中的 {k} 条：全部离群和标错说话人的音频、参考音频，以及其余音频的随机抽样。",
    },
}
for _lang in LANGUAGES:
    STRINGS[_lang].update(_SCALE_STRINGS[_lang])
