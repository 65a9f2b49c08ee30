"""The live page's own words, in English and Simplified Chinese.

Finding messages and hints come from :mod:`voxaudit.messages` (rendered by the server in the page's
language); picture labels and finding-code names from :mod:`voxaudit.report.html_strings`, so the page
and the report name things alike. Terms follow those tables (片段/录音 take, 音色 voice).
"""

from __future__ import annotations

from ..report.html_strings import CODE_LABELS, normalise_lang, ui_strings

PAGE_STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "voxaudit · recording session",
        "lang_switch": "中文",
        "project": "Project",
        "record": "Record a take",
        "record_start": "● Record",
        "record_stop": "■ Stop and check",
        "recording": "Recording… {s} s",
        "record_note": "Recorded with the browser's echo cancellation, noise suppression and automatic gain turned off, so you hear what the microphone hears.",
        "record_denied": "The microphone is not available: {e}",
        "record_unsupported": "This browser cannot record audio here (it needs http://localhost or https).",
        "text_label": "Transcript (optional, goes into keep.list)",
        "drop": "Drop audio files here, or",
        "choose": "choose files",
        "drop_note": "WAV, FLAC, OGG or MP3, up to {mb} MB each. Each file becomes a take.",
        "uploading": "Uploading…",
        "analysing": "Analysing…",
        "upload_failed": "Not added",
        "dismiss": "Dismiss",
        "takes": "Takes",
        "no_takes": "No takes yet: record one or drop files above.",
        "quality": "Quality",
        "verdict_keep": "Keep",
        "verdict_check": "Check",
        "verdict_re-record": "Re-record",
        "voice": "Voice",
        "voice_match": "matches the session's voice",
        "voice_match_profile": "matches the loaded profile",
        "voice_outlier": "does not match: another voice, microphone or distance?",
        "voice_pending": "judged from {k} takes on ({n} so far)",
        "voice_off": "voice match is off",
        "similarity": "similarity {s}",
        "no_findings": "No problem found: keep it.",
        "hint": "What to change",
        "delete": "Delete",
        "delete_confirm": "Delete take {name}? Its audio and analysis are removed from the project.",
        "downloads": "Download",
        "session": "Session",
        "sum_takes": "{n} takes",
        "sum_minutes": "{total} min recorded · {usable} min usable",
        "sum_one_voice": "one voice",
        "sum_one_voice_outliers": "one voice, {k} outlier take(s)",
        "sum_n_voices": "{n} voices!",
        "sum_not_judged": "voice judged from {k} takes on",
        "sum_verdicts": "{keep} keep · {check} check · {rerecord} re-record",
        "judged_against_set": "Voice judged against the session's own takes.",
        "judged_against_profile": "Voice judged against the loaded voice profile.",
        "profile": "Voice profile",
        "profile_load": "Load profile.json",
        "profile_clear": "Stop using the profile",
        "profile_error": "Profile not used: {e}",
        "reference": "Best reference take: {name}",
        "picture_loading": "Drawing…",
        "picture_failed": "Could not draw this take's pictures.",
        "legend": "Grey bands: silences · red: clipping · dashed lines: hum and bandwidth cutoff.",
        "error": "Error",
        "metrics": "Measures",
        "set_wide": "every take of this session: said once, not held against this take",
        "repaired": "Repaired: its analysis record was rebuilt from the audio ({reason}).",
        "warnings": "Project",
    },
    "zh": {
        "title": "voxaudit · 录音会话",
        "lang_switch": "English",
        "project": "项目",
        "record": "录一条",
        "record_start": "● 录音",
        "record_stop": "■ 停止并检查",
        "recording": "正在录音… {s} 秒",
        "record_note": "录音时已关闭浏览器的回声消除、降噪和自动增益，听到的就是麦克风的原声。",
        "record_denied": "无法使用麦克风：{e}",
        "record_unsupported": "此浏览器在这里无法录音（需要 http://localhost 或 https）。",
        "text_label": "文本（可选，会写入 keep.list）",
        "drop": "把音频文件拖到这里，或",
        "choose": "选择文件",
        "drop_note": "支持 WAV、FLAC、OGG、MP3，每个最大 {mb} MB。每个文件就是一条录音。",
        "uploading": "正在上传…",
        "analysing": "正在分析…",
        "upload_failed": "未添加",
        "dismiss": "关闭",
        "takes": "录音",
        "no_takes": "还没有录音：在上方录一条或拖入文件。",
        "quality": "质量",
        "verdict_keep": "保留",
        "verdict_check": "检查",
        "verdict_re-record": "重录",
        "voice": "音色",
        "voice_match": "与本次会话的音色一致",
        "voice_match_profile": "与已加载的音色档案一致",
        "voice_outlier": "音色不一致：换了人、麦克风或距离？",
        "voice_pending": "满 {k} 条后判断音色（目前 {n} 条）",
        "voice_off": "未启用音色比对",
        "similarity": "相似度 {s}",
        "no_findings": "没有发现问题：保留。",
        "hint": "改进建议",
        "delete": "删除",
        "delete_confirm": "删除录音 {name}？其音频和分析将从项目中移除。",
        "downloads": "下载",
        "session": "会话",
        "sum_takes": "{n} 条录音",
        "sum_minutes": "已录 {total} 分钟 · 可用 {usable} 分钟",
        "sum_one_voice": "音色一致",
        "sum_one_voice_outliers": "音色一致，{k} 条离群",
        "sum_n_voices": "发现 {n} 种音色！",
        "sum_not_judged": "满 {k} 条后判断音色",
        "sum_verdicts": "保留 {keep} · 检查 {check} · 重录 {rerecord}",
        "judged_against_set": "音色与本次会话的录音比对。",
        "judged_against_profile": "音色与已加载的音色档案比对。",
        "profile": "音色档案",
        "profile_load": "加载 profile.json",
        "profile_clear": "不再使用档案",
        "profile_error": "未使用档案：{e}",
        "reference": "最佳参考音频：{name}",
        "picture_loading": "正在绘制…",
        "picture_failed": "无法绘制这条录音的图。",
        "legend": "灰色：静音 · 红色：削波 · 虚线：电流声与频带截止。",
        "error": "错误",
        "metrics": "测量值",
        "set_wide": "本次会话每条录音都如此：只提示一次，不影响这条录音的结论",
        "repaired": "已修复：分析记录已根据音频重建（{reason}）。",
        "warnings": "项目",
    },
}

# What the store reports about takes on disk (voxaudit.serve.store.TakeStore.warn): code -> text.
STORE_WARNINGS: dict[str, dict[str, str]] = {
    "en": {
        "record_damaged": "Take {name}: its analysis record is damaged ({detail}); it is being analysed again "
                          "from its audio.",
        "record_missing": "Take {name}: audio without its analysis (the server stopped while storing it); it is "
                          "being analysed.",
        "repaired": "Take {name}: its damaged analysis record was rebuilt from its audio ({detail}).",
        "recovered": "Take {name}: analysed after the server stopped while storing it ({detail}).",
        "repair_failed": "Take {name} could not be analysed again and is not listed: {detail}",
        "audio_missing": "Take {name}: its audio file is gone; its analysis was removed.",
        "extra_audio": "Take {name}: {detail}",
        "upload_record_rewritten": "Take {name}: {detail}",
    },
    "zh": {
        "record_damaged": "录音 {name}：分析记录已损坏（{detail}），正在根据音频重新分析。",
        "record_missing": "录音 {name}：有音频但缺少分析（保存时服务器中断），正在分析。",
        "repaired": "录音 {name}：损坏的分析记录已根据音频重建（{detail}）。",
        "recovered": "录音 {name}：服务器在保存时中断，现已补做分析（{detail}）。",
        "repair_failed": "录音 {name} 无法重新分析，未列出：{detail}",
        "audio_missing": "录音 {name}：音频文件已不存在，其分析记录已删除。",
        "extra_audio": "录音 {name}：{detail}",
        "upload_record_rewritten": "录音 {name}：{detail}",
    },
}


def store_warning(warning: dict, lang: str) -> dict:
    """A store warning for the API: its fields plus ``message`` in ``lang`` (the detail stays as the
    server wrote it)."""
    lang = normalise_lang(lang)
    table = STORE_WARNINGS.get(lang, STORE_WARNINGS["en"])
    template = table.get(warning["code"]) or STORE_WARNINGS["en"].get(warning["code"]) or "{name}: {detail}"
    name = warning.get("name") or warning["take_id"]
    return dict(warning, message=template.format(name=name, detail=warning.get("detail") or ""))


# The report's strings the clip pictures use (VoxauditPlots in voxaudit/report/html_assets/plots.js).
FIGURE_KEYS = ("hum_line", "cutoff_line", "clipped", "time_axis", "waveform", "spectrogram")


def page_strings(lang: str) -> dict:
    """Everything the page shows in ``lang``: its own strings, the picture labels and code names."""
    lang = normalise_lang(lang)
    report = ui_strings(lang)
    return {
        "page": {**PAGE_STRINGS["en"], **PAGE_STRINGS[lang]},
        "figure": {k: report[k] for k in FIGURE_KEYS},
        "codes": dict(CODE_LABELS[lang]),
    }
