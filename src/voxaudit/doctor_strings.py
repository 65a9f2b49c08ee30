"""Words of ``voxaudit doctor``, in English and Simplified Chinese.

The checks in :mod:`voxaudit.doctor` return codes and values; these ``str.format`` templates turn them
into a line and a hint. Technical values (versions, paths, library error messages, commands) are not
translated.
"""

from __future__ import annotations

STATUS = {
    "en": {"ok": "ok", "warning": "warning", "fail": "FAIL"},
    "zh": {"ok": "正常", "warning": "警告", "fail": "失败"},
}

LABELS = {
    "en": {
        "python": "Python", "numpy": "numpy", "torch": "torch", "torchaudio": "torchaudio",
        "speechbrain": "speechbrain", "ge2e_weights": "GE2E weights", "ge2e_forward": "GE2E forward pass",
        "ecapa_weights": "ECAPA-TDNN weights", "ecapa_forward": "ECAPA-TDNN forward pass",
        "decode_wav": "decode WAV", "decode_flac": "decode FLAC", "decode_ogg": "decode OGG",
        "decode_mp3": "decode MP3", "cache_disk": "cache folder", "chromium": "Chromium (tests)",
        "ray": "Ray (optional)", "onnxruntime": "onnxruntime (DNSMOS)",
    },
    "zh": {
        "python": "Python", "numpy": "numpy", "torch": "torch", "torchaudio": "torchaudio",
        "speechbrain": "speechbrain", "ge2e_weights": "GE2E 权重", "ge2e_forward": "GE2E 推理",
        "ecapa_weights": "ECAPA-TDNN 权重", "ecapa_forward": "ECAPA-TDNN 推理",
        "decode_wav": "WAV 解码", "decode_flac": "FLAC 解码", "decode_ogg": "OGG 解码",
        "decode_mp3": "MP3 解码", "cache_disk": "缓存目录", "chromium": "Chromium（测试用）",
        "ray": "Ray（可选）", "onnxruntime": "onnxruntime（DNSMOS）",
    },
}

DETAILS = {
    "en": {
        # generic
        "version_ok": "{version}",
        "import_failed": "does not import: {error}",
        "not_installed": "not installed",
        "not_installed_optional": "not installed (optional: {purpose})",
        "not_run": "not run: it depends on {needs}, which failed above",
        "found": "{path}",
        # python
        "python_ok": "{version} ({executable})",
        "python_old": "{version} is older than {required} ({executable})",
        # torch
        "torch_ok": "{version}, {build}; devices: {devices}; bf16: {bf16}",
        "torch_no_gpu": "{version}, {build}, but the NVIDIA GPU here is not usable by it ({reason}); "
                        "devices: {devices}",
        "torch_cpu_build_gpu_present": "{version}, CPU-only build, but this machine has an NVIDIA GPU; "
                                       "devices: {devices}",
        "build_cuda": "CUDA {cuda} build",
        "build_rocm": "ROCm {hip} build",
        "build_cpu": "CPU-only build",
        "bf16_cpu": "CPU {native}",
        "bf16_native": "native",
        "bf16_emulated": "emulated (slower than float32)",
        "bf16_gpu": "{device} {supported}",
        "yes": "yes", "no": "no",
        # torchaudio
        "torchaudio_ok": "{version} (the release for torch {torch})",
        "torchaudio_mismatch_loads": "{version} loads, but it is the release for torch {made_for}, not for "
                                     "the installed torch {torch}",
        "torchaudio_symbol": "{version} does not load beside torch {torch}: {library}: undefined symbol "
                             "{symbol} (its compiled library was built for another torch)",
        "torchaudio_oserror": "{version} does not load beside torch {torch}: {error}",
        # speechbrain
        "speechbrain_needs_torchaudio": "does not import: it needs torchaudio, which does not load ({error})",
        # GE2E
        "ge2e_ok": "resemblyzer {version}: {path}, {size} bytes, sha256 {sha} (the published file)",
        "ge2e_missing": "{path} is missing",
        "ge2e_mismatch": "{path} is not the published file: {size} bytes, sha256 {sha} (published: "
                         "{expected_size} bytes, sha256 {expected_sha})",
        "forward_ok": "{dim}-d embedding of a {seconds:g} s synthetic voice in {elapsed_s:.2f} s on "
                      "{device} ({precision})",
        "forward_failed": "{error}",
        "forward_wrong": "the embedding is wrong: {problem}",
        # ECAPA
        "ecapa_found": "{folder} (via {origin}), embedding_model.ckpt sha256 {sha} (the published file)",
        "ecapa_none": "not found in {searched}: scans use GE2E instead (--encoder auto)",
        "ecapa_mismatch": "{folder} (via {origin}) is not the published checkpoint: embedding_model.ckpt "
                          "{size} bytes, sha256 {sha}; a scan stops here",
        "ecapa_unverified": "{folder} (via {origin}) is not the published checkpoint (sha256 {sha}); used "
                            "as asked (--unverified-weights): the identity calibration does not apply",
        "ecapa_incomplete": "{error}",
        "ecapa_forward_ok": "{dim}-d embedding of a {seconds:g} s synthetic voice in {elapsed_s:.2f} s on "
                            "{device} ({precision}), random checkpoint built in {build_s:.1f} s and loaded "
                            "by voxaudit without verification",
        # decoding
        "decode_ok": "a {seconds:g} s {tone_hz:.0f} Hz tone written as {fmt} and read back by voxaudit: "
                     "{rate} Hz, {duration_s:.2f} s, tone at {found_hz:.0f} Hz",
        "decode_failed": "{fmt} does not decode: {error}",
        "decode_wrong": "{fmt} decodes wrongly: {problem}",
        "decode_untested": "no {fmt} test file could be written here ({error}); not tested",
        # cache
        "disk_ok": "{free} free in {path}",
        "disk_low": "only {free} free in {path} (the ECAPA-TDNN weights and their download need {need})",
        "disk_readonly": "{path} is not writable ({free} free)",
        # optional parts
        "chromium_none": "not found: the browser tests skip",
        "onnx_ok": "{version}; providers: {providers}",
    },
    "zh": {
        "version_ok": "{version}",
        "import_failed": "无法导入：{error}",
        "not_installed": "未安装",
        "not_installed_optional": "未安装（可选：{purpose}）",
        "not_run": "未运行：它依赖的 {needs} 在上面失败了",
        "found": "{path}",
        "python_ok": "{version}（{executable}）",
        "python_old": "{version} 低于 {required}（{executable}）",
        "torch_ok": "{version}，{build}；设备：{devices}；bf16：{bf16}",
        "torch_no_gpu": "{version}，{build}，但无法使用本机的 NVIDIA GPU（{reason}）；设备：{devices}",
        "torch_cpu_build_gpu_present": "{version}，纯 CPU 版本，但本机有 NVIDIA GPU；设备：{devices}",
        "build_cuda": "CUDA {cuda} 版本",
        "build_rocm": "ROCm {hip} 版本",
        "build_cpu": "纯 CPU 版本",
        "bf16_cpu": "CPU {native}",
        "bf16_native": "原生支持",
        "bf16_emulated": "模拟（比 float32 慢）",
        "bf16_gpu": "{device} {supported}",
        "yes": "支持", "no": "不支持",
        "torchaudio_ok": "{version}（与 torch {torch} 配套）",
        "torchaudio_mismatch_loads": "{version} 可以加载，但它是为 torch {made_for} 发布的，不是已安装的 torch {torch}",
        "torchaudio_symbol": "{version} 无法与 torch {torch} 一起加载：{library}：未定义符号 {symbol}"
                             "（其编译库是为另一个 torch 版本构建的）",
        "torchaudio_oserror": "{version} 无法与 torch {torch} 一起加载：{error}",
        "speechbrain_needs_torchaudio": "无法导入：它依赖的 torchaudio 无法加载（{error}）",
        "ge2e_ok": "resemblyzer {version}：{path}，{size} 字节，sha256 {sha}（官方发布的文件）",
        "ge2e_missing": "缺少 {path}",
        "ge2e_mismatch": "{path} 不是官方发布的文件：{size} 字节，sha256 {sha}（官方：{expected_size} 字节，"
                         "sha256 {expected_sha}）",
        "forward_ok": "在 {device} 上用 {elapsed_s:.2f} 秒算出一段 {seconds:g} 秒合成语音的 {dim} 维声纹（{precision}）",
        "forward_failed": "{error}",
        "forward_wrong": "声纹结果错误：{problem}",
        "ecapa_found": "{folder}（来自 {origin}），embedding_model.ckpt sha256 {sha}（官方发布的文件）",
        "ecapa_none": "在 {searched} 中未找到：扫描将改用 GE2E（--encoder auto）",
        "ecapa_mismatch": "{folder}（来自 {origin}）不是官方发布的权重：embedding_model.ckpt {size} 字节，"
                          "sha256 {sha}；扫描会在此停止",
        "ecapa_unverified": "{folder}（来自 {origin}）不是官方发布的权重（sha256 {sha}）；已按要求使用"
                            "（--unverified-weights）：音色校准不适用",
        "ecapa_incomplete": "{error}",
        "ecapa_forward_ok": "在 {device} 上用 {elapsed_s:.2f} 秒算出一段 {seconds:g} 秒合成语音的 {dim} 维声纹"
                            "（{precision}）；随机权重用 {build_s:.1f} 秒生成，由 voxaudit 不校验地加载",
        "decode_ok": "把 {seconds:g} 秒 {tone_hz:.0f} Hz 的正弦音写成 {fmt} 再由 voxaudit 读回：{rate} Hz，"
                     "{duration_s:.2f} 秒，音高 {found_hz:.0f} Hz",
        "decode_failed": "{fmt} 无法解码：{error}",
        "decode_wrong": "{fmt} 解码结果错误：{problem}",
        "decode_untested": "无法在此写出 {fmt} 测试文件（{error}），未测试",
        "disk_ok": "{path} 剩余 {free}",
        "disk_low": "{path} 只剩 {free}（ECAPA-TDNN 权重及其下载需要 {need}）",
        "disk_readonly": "{path} 不可写（剩余 {free}）",
        "chromium_none": "未找到：浏览器测试将跳过",
        "onnx_ok": "{version}；执行后端：{providers}",
    },
}

HINTS = {
    "en": {
        "python_upgrade": "use Python {required} or newer (tested: {tested})",
        "reinstall": "pip install --force-reinstall \"{requirement}\"",
        "pip_install": "pip install \"{requirement}\"",
        "torch_install": "pip install torch=={tested} torchaudio=={tested}",
        "torch_driver": "check the NVIDIA driver with nvidia-smi: it must support CUDA {cuda}; or install a "
                        "torch build for the CUDA your driver supports: pip install torch=={base} "
                        "torchaudio=={base} --index-url https://download.pytorch.org/whl/cuXYZ",
        "torch_cuda_build": "for GPU speed install a CUDA build of the same release: pip install torch=={base} "
                            "torchaudio=={base} --index-url https://download.pytorch.org/whl/cuXYZ (cuXYZ: a "
                            "CUDA version your driver supports, see nvidia-smi)",
        "torchaudio_pin": "install the torchaudio made for your torch: pip install torchaudio=={base}{index} "
                          "(or the tested pair: pip install torch=={tested} torchaudio=={tested})",
        "fix_first": "fix {needs} first",
        "ge2e_reinstall": "pip install --force-reinstall resemblyzer=={version}",
        "ecapa_get": "on a connected machine run python scripts/fetch_models.py, or place the files by hand "
                     "(models/README.md); then pass --model-dir DIR or set VOXAUDIT_MODEL_DIR",
        "ecapa_mismatch": "delete it and fetch again (python scripts/fetch_models.py); to use a fine-tuned or "
                          "other SpeechBrain ECAPA-TDNN on purpose, pass --unverified-weights",
        "ecapa_forward_fix": "reinstall the tested set: pip install torch=={tested} torchaudio=={tested} "
                             "\"speechbrain>=1.0,<2\"",
        "decode_fix": "pip install -U soundfile (its wheels bundle a libsndfile with FLAC, OGG and MP3; "
                      "here: libsndfile {libsndfile}); {consequence}",
        "decode_consequence_wav": "until then no clip can be read",
        "decode_consequence_other": "until then {fmt} clips are reported as unreadable",
        "disk_free": "free some space, or set XDG_CACHE_HOME (or --model-dir) to a folder on a larger disk",
        "disk_writable": "make it writable, or set XDG_CACHE_HOME to a writable folder",
        "chromium_get": "apt install chromium, or set VOXAUDIT_CHROMIUM=/path/to/chromium",
    },
    "zh": {
        "python_upgrade": "请使用 Python {required} 或更新版本（已测试：{tested}）",
        "reinstall": "pip install --force-reinstall \"{requirement}\"",
        "pip_install": "pip install \"{requirement}\"",
        "torch_install": "pip install torch=={tested} torchaudio=={tested}",
        "torch_driver": "用 nvidia-smi 检查 NVIDIA 驱动：它必须支持 CUDA {cuda}；或安装与驱动匹配的 CUDA 版 torch："
                        "pip install torch=={base} torchaudio=={base} --index-url "
                        "https://download.pytorch.org/whl/cuXYZ",
        "torch_cuda_build": "要用 GPU 加速，请安装同一版本的 CUDA 版：pip install torch=={base} torchaudio=={base} "
                            "--index-url https://download.pytorch.org/whl/cuXYZ（cuXYZ：驱动支持的 CUDA 版本，见 "
                            "nvidia-smi）",
        "torchaudio_pin": "安装与 torch 配套的 torchaudio：pip install torchaudio=={base}{index}"
                          "（或已测试的组合：pip install torch=={tested} torchaudio=={tested}）",
        "fix_first": "请先修复 {needs}",
        "ge2e_reinstall": "pip install --force-reinstall resemblyzer=={version}",
        "ecapa_get": "在能联网的机器上运行 python scripts/fetch_models.py，或手动放置文件（见 models/README.md）；"
                     "然后使用 --model-dir DIR 或设置 VOXAUDIT_MODEL_DIR",
        "ecapa_mismatch": "删除后重新下载（python scripts/fetch_models.py）；如果是有意使用微调或其他 SpeechBrain "
                          "ECAPA-TDNN 模型，请加 --unverified-weights",
        "ecapa_forward_fix": "重新安装已测试的组合：pip install torch=={tested} torchaudio=={tested} "
                             "\"speechbrain>=1.0,<2\"",
        "decode_fix": "pip install -U soundfile（其安装包自带支持 FLAC、OGG、MP3 的 libsndfile；"
                      "本机：libsndfile {libsndfile}）；{consequence}",
        "decode_consequence_wav": "修复前任何音频都无法读取",
        "decode_consequence_other": "修复前 {fmt} 音频会被报告为无法读取",
        "disk_free": "清理一些空间，或把 XDG_CACHE_HOME（或 --model-dir）设到更大的磁盘上",
        "disk_writable": "改为可写，或把 XDG_CACHE_HOME 设到可写的目录",
        "chromium_get": "apt install chromium，或设置 VOXAUDIT_CHROMIUM=/path/to/chromium",
    },
}

PURPOSES = {
    "en": {"ray": "runs voxaudit's work on a Ray cluster", "onnxruntime": "runs DNSMOS (a second opinion on ambiguous rooms; every clip with --mos)"},
    "zh": {"ray": "在 Ray 集群上运行 voxaudit", "onnxruntime": "运行 DNSMOS（对混响读数不确定的片段给出第二意见；--mos 时评估每个片段）"},
}

SUMMARY = {
    "en": {
        "title": "voxaudit doctor ({version})",
        "all_ok": "everything voxaudit scan needs works",
        "warnings": "{n} warning(s): the scan runs; the lines above say what is missing",
        "failures": "{n} failure(s), {w} warning(s): voxaudit scan cannot work until the failures are fixed",
        "running": "checking the installation …",
    },
    "zh": {
        "title": "voxaudit doctor（{version}）",
        "all_ok": "voxaudit scan 所需的一切都正常",
        "warnings": "{n} 个警告：扫描可以运行；上面各行说明了缺少什么",
        "failures": "{n} 个失败、{w} 个警告：修复失败项之前 voxaudit scan 无法正常工作",
        "running": "正在检查安装 …",
    },
}
