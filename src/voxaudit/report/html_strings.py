"""UI text of the HTML report, in English and Simplified Chinese.

Finding messages and hints arrive already translated inside the report; this table holds only the
report's own words: headings, column names, filter labels, short names of finding codes and metrics.
Terms follow :mod:`voxaudit.messages` (片段 for clip, 音色 for voice, 参考音频 for the reference clip).
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
        "verdict_not_judged": "Voice not judged",
        "verdict_flagged": "{k} of {n} clips flagged",
        "verdict_flagged_none": "no clip flagged ({n} clips)",
        "verdict_minutes": "{usable} of {total} min usable",
        "verdict_unreadable": "{n} unreadable",
        "verdict_detail": "Flagged = at least one warning or error. Usable minutes exclude clips with an error.",
        "encoder": "Speaker encoder",
        # Reference
        "reference": "Reference clip",
        "reference_none": "No reference clip was chosen.",
        "reference_note": "The cleanest, most typical take: use it as the reference audio for zero-shot cloning.",
        "alternates": "Alternates",
        # Top findings
        "top_findings": "What costs the most clips",
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
        "similarity_note": "Clips left of the red line are outlier takes (likely another voice, microphone or distance).",
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
        "no_findings": "clean",
        "expand": "details",
        "outlier_mark": "outlier",
        "sort_hint": "Click a column header to sort; click a row to see details and pictures.",
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
        "flagged_note": "Waveform: grey bands = silence, red = clipped. Spectrogram: dashed lines = mains hum and bandwidth cutoff.",
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
        "footer": "Self-contained report: keep it next to the audio folder and links keep working.",
        "severity_error": "error",
        "severity_warning": "warning",
        "severity_info": "info",
        "yes": "yes",
        "no": "no",
    },
    "zh": {
        "html_lang": "zh-Hans",
        "title": "voxaudit 检查报告",
        "created": "{created} 由 {tool} {version} 生成",
        "inputs": "输入",
        "verdict_one_voice": "音色一致（单一说话人）",
        "verdict_one_voice_outliers": "单一音色，但有 {k} 条离群录音",
        "verdict_n_voices": "发现 {n} 种音色",
        "verdict_not_judged": "未判断音色",
        "verdict_flagged": "{n} 个片段中 {k} 个有问题",
        "verdict_flagged_none": "{n} 个片段均无问题",
        "verdict_minutes": "可用 {usable} / {total} 分钟",
        "verdict_unreadable": "{n} 个无法读取",
        "verdict_detail": "有问题 = 至少一个警告或错误。可用时长不含有错误的片段。",
        "encoder": "说话人编码器",
        "reference": "参考音频",
        "reference_none": "未选出参考音频。",
        "reference_note": "最干净、最有代表性的一条：可作为零样本克隆的参考音频。",
        "alternates": "备选",
        "top_findings": "影响片段最多的问题",
        "top_none": "没有任何问题：所有片段都通过了全部检查。",
        "n_clips_minutes": "{clips} 个片段 · {minutes} 分钟",
        "n_clips_minutes_one": "1 个片段 · {minutes} 分钟",
        "show_in_table": "在表格中查看",
        "pictures": "音色一致性",
        "voice_map": "音色分布图（说话人向量的 PCA）",
        "voice_map_note": "每个点是一个片段，距离越近音色越像。颜色 = 音色组，✕ = 离群录音，★ = 参考音频。点击圆点可打开该片段。",
        "voice_map_none": "报告未收到说话人向量，因此没有音色分布图。",
        "voice_map_few": "有向量的片段太少，无法绘制音色分布图。",
        "similarity_hist": "与音色中心的相似度分布",
        "similarity_note": "红线左侧的片段为离群录音（可能是其他说话人、其他麦克风或距离不同）。",
        "similarity_axis": "与中心的余弦相似度",
        "clips_axis": "片段数",
        "in_set": "同一音色",
        "outliers": "离群",
        "threshold": "离群阈值 {t}",
        "median": "中位数 {m}",
        "group": "组 {c}",
        "group_main": "组 {c}（主音色）",
        "group_other": "单个片段的组",
        "pc1": "主成分 1",
        "pc2": "主成分 2",
        "clips": "片段",
        "filter_path": "按路径筛选…",
        "filter_code": "问题",
        "filter_severity": "严重程度",
        "filter_cluster": "音色组",
        "filter_outlier": "离群",
        "any": "全部",
        "flagged_only": "有问题（警告或错误）",
        "clean_only": "无问题（无警告、无错误）",
        "outliers_only": "仅离群",
        "no_outliers": "非离群",
        "showing": "显示 {shown} 个，共 {matching} 个符合条件（总计 {total} 个）",
        "show_more_rows": "再显示 {n} 个",
        "show_all_rows": "显示全部 {n} 个",
        "col_play": "试听",
        "play": "播放",
        "noscript": "片段表格需要 JavaScript。同一文件夹中的 clips.csv 和 report.json 包含相同的数据。",
        "reset": "清除筛选",
        "col_index": "#",
        "col_clip": "片段",
        "col_quality": "质量分",
        "col_similarity": "相似度",
        "col_cluster": "音色组",
        "col_duration": "时长（秒）",
        "col_snr": "信噪比（dB）",
        "col_bandwidth": "带宽（kHz）",
        "col_findings": "问题",
        "missing_file": "生成报告时找不到该音频文件",
        "empty_file": "音频文件为空",
        "no_findings": "无问题",
        "expand": "详情",
        "outlier_mark": "离群",
        "sort_hint": "点击列标题排序；点击某一行查看详情和图表。",
        "details_findings": "问题",
        "details_metrics": "测量值",
        "details_identity": "音色",
        "details_notes": "备注",
        "details_text": "文本",
        "hint": "建议",
        "no_plot": "此片段没有图表（只为有警告或错误的片段绘图）。",
        "no_plot_capped": "此片段没有图表：只绘制问题最严重的 {n} 个片段。",
        "no_plot_unreadable": "没有图表：生成报告时无法解码该音频。",
        "no_plot_long": "没有图表：片段长于 {n} 分钟。",
        "plot_error": "此浏览器无法绘制该片段的图表。",
        "flagged_pictures": "有问题的片段：波形与频谱",
        "flagged_note": "波形：灰色区域 = 静音，红色 = 削波。频谱：虚线 = 电流声频率和带宽截止频率。",
        "flagged_none": "没有片段有警告或错误。",
        "flagged_capped": "共有 {n} 个片段有问题；只为其中最严重的 {k} 个绘图。",
        "show_more": "再显示 {n} 个",
        "waveform": "波形",
        "spectrogram": "频谱图",
        "time_axis": "时间（秒）",
        "amplitude_axis": "幅度",
        "frequency_axis": "Hz",
        "silence": "静音",
        "clipped": "削波",
        "hum_line": "电流声 {f} Hz",
        "cutoff_line": "截止 {f} kHz",
        "identity_hidden": "本次未检查音色（--no-identity）。",
        "footer": "独立的单文件报告：与音频文件夹放在一起移动，链接仍然有效。",
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
    },
    "zh": {
        "unreadable": "无法读取", "too_short": "太短", "too_long": "太长",
        "low_sample_rate": "采样率低", "too_quiet": "音量太小", "too_loud": "音量太大",
        "clipping": "削波（爆音）", "dc_offset": "直流偏移", "too_much_silence": "静音过多",
        "long_pause": "停顿过长", "low_snr": "信噪比低", "narrow_bandwidth": "带宽窄",
        "mains_hum": "电流声", "reverb": "混响", "plosive": "喷麦",
        "agc_pumping": "自动增益起伏", "denoised": "疑似降噪处理", "speaker_mismatch": "音色不一致",
    },
}

# Metric labels with their unit, in the order the details panel lists them.
METRIC_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "duration_s": "Duration (s)", "sample_rate": "Sample rate (Hz)", "channels": "Channels",
        "sample_format": "Sample format", "peak_dbfs": "Peak (dBFS)", "rms_dbfs": "RMS level (dBFS)",
        "speech_rms_dbfs": "Speech RMS (dBFS)", "clipping_fraction": "Clipped samples (fraction)",
        "dc_offset": "DC offset", "silence_ratio": "Silence (fraction)",
        "leading_silence_s": "Leading silence (s)", "trailing_silence_s": "Trailing silence (s)",
        "longest_pause_s": "Longest pause (s)", "snr_db": "SNR (dB)", "snr_method": "SNR method",
        "noise_floor_dbfs": "Noise floor (dBFS)", "bandwidth_hz": "Bandwidth (Hz)", "hum_hz": "Hum frequency (Hz)",
        "hum_db": "Hum level (dB)", "rt60_s": "Reverb RT60 (s)", "plosive_count": "Plosive pops",
        "agc_pumping_db": "AGC pumping (dB)", "denoise_score": "Denoising score",
    },
    "zh": {
        "duration_s": "时长（秒）", "sample_rate": "采样率（Hz）", "channels": "声道数",
        "sample_format": "采样格式", "peak_dbfs": "峰值（dBFS）", "rms_dbfs": "平均电平 RMS（dBFS）",
        "speech_rms_dbfs": "语音段 RMS（dBFS）", "clipping_fraction": "削波采样比例",
        "dc_offset": "直流偏移", "silence_ratio": "静音比例",
        "leading_silence_s": "开头静音（秒）", "trailing_silence_s": "结尾静音（秒）",
        "longest_pause_s": "最长停顿（秒）", "snr_db": "信噪比（dB）", "snr_method": "信噪比算法",
        "noise_floor_dbfs": "底噪（dBFS）", "bandwidth_hz": "带宽（Hz）", "hum_hz": "电流声频率（Hz）",
        "hum_db": "电流声强度（dB）", "rt60_s": "混响 RT60（秒）", "plosive_count": "喷麦次数",
        "agc_pumping_db": "自动增益起伏（dB）", "denoise_score": "降噪痕迹得分",
    },
}

IDENTITY_LABELS: dict[str, dict[str, str]] = {
    "en": {"similarity": "Similarity", "z": "Robust z", "cluster": "Voice group", "outlier": "Outlier",
           "reason": "Why"},
    "zh": {"similarity": "相似度", "z": "稳健 z 值", "cluster": "音色组", "outlier": "离群", "reason": "原因"},
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


def metric_label(metric: str, lang: str) -> str:
    """Label (with unit) of a metric; the metric key itself when unknown."""
    return METRIC_LABELS[normalise_lang(lang)].get(metric, metric)
