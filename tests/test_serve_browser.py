"""voxaudit serve end to end: a real uvicorn server and headless Chromium (playwright).

The page is driven as a user would: real takes from ../shared/speech are chosen in the file picker, a
clipped copy of a take is dropped on the drop zone, the intruder (another speaker) and the degraded take
must show their verdicts, findings and pictures; the intruder is deleted; keep.list is downloaded and
must list exactly the clean takes; and a take is recorded through Chromium's fake microphone, fed from
a WAV of real speech, and must arrive on the server as that speech.

Skipped when playwright or a Chromium is absent (CI installs both). Chromium: ``$VOXAUDIT_CHROMIUM``,
else ``chromium`` / ``chromium-browser`` on the PATH, else playwright's own download.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
uvicorn = pytest.importorskip("uvicorn")
pytest.importorskip("fastapi")

from voxaudit.serve import create_app  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")

MAIN_SPEAKER = "aishell-S0150"
N_MAIN = 5
TIMEOUT_MS = 180_000


def _chromium() -> str | None:
    explicit = os.environ.get("VOXAUDIT_CHROMIUM")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def material(manifest, speech_dir, tmp_path_factory):
    """The takes to upload, a clipped copy of one, and the fake microphone's WAV (other real speech)."""
    folder = tmp_path_factory.mktemp("browser-audio")
    rows = [r for r in manifest if r["speaker_id"] == MAIN_SPEAKER]
    main = [speech_dir / r["path"] for r in rows[:N_MAIN]]
    intruder = speech_dir / next(r for r in manifest if r["source"] == "vctk_48k")["path"]
    # Degraded: a take of the same speaker with the input gain too high: its loudest 0.2 % of samples
    # hard-clipped (the error level is 0.1 %). (Much more distortion and GE2E hears another voice.)
    x, sr = sf.read(speech_dir / rows[N_MAIN]["path"], dtype="float32")
    degraded = folder / "too-hot.wav"
    gain = 1.0 / np.quantile(np.abs(x), 0.998)
    sf.write(degraded, np.clip(x * gain, -1.0, 1.0), sr, subtype="PCM_16")
    # Microphone: another take of the same speaker at 48 kHz (what Chromium's fake device expects).
    from scipy.signal import resample_poly

    y, sr_mic = sf.read(speech_dir / rows[N_MAIN + 1]["path"], dtype="float64")
    assert sr_mic == 16000
    mic = folder / "mic-source.wav"
    sf.write(mic, resample_poly(y, 3, 1).astype(np.float32), 48000, subtype="PCM_16")
    return {"main": main, "intruder": intruder, "degraded": degraded, "mic": mic, "mic_16k": y}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    project = tmp_path_factory.mktemp("browser") / "session"
    app = create_app(project, warm=True, allowed_hosts=["127.0.0.1", "localhost"])
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield {"url": f"http://127.0.0.1:{port}", "project": project, "app": app}
    srv.should_exit = True
    thread.join(timeout=20)


@pytest.fixture(scope="module")
def page(server, material):
    args = ["--no-sandbox", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={material['mic']}"]
    with playwright_api.sync_playwright() as pw:
        try:
            executable = _chromium()
            browser = pw.chromium.launch(executable_path=executable, args=args) if executable \
                else pw.chromium.launch(args=args)
        except Exception as error:  # no browser at all
            pytest.skip(f"Chromium is not available for playwright: {str(error).splitlines()[0]}")
        context = browser.new_context(accept_downloads=True, permissions=["microphone"],
                                      viewport={"width": 1200, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(server["url"] + "/?lang=en")
        page.wait_for_selector("body[data-ready='1']")
        page.errors = errors
        yield page
        browser.close()


def _card(page, name: str):
    return page.locator("article.take", has=page.locator(".name", has_text=name))


def _wait_for_takes(page, n: int) -> None:
    page.wait_for_function(
        f"document.querySelectorAll('article.take').length === {n} || document.querySelector('.pending.failed')")
    failed = page.locator(".pending.failed")
    assert failed.count() == 0, failed.first.inner_text()
    assert page.locator("article.take").count() == n


def _drop_file(page, path: Path) -> None:
    """Drop a file on the drop zone, as a drag from the desktop does (a DataTransfer with a File)."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    page.evaluate("""([name, b64]) => {
        const bin = atob(b64), bytes = new Uint8Array(bin.length);
        for (let k = 0; k < bin.length; k++) bytes[k] = bin.charCodeAt(k);
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], name, {type: "audio/wav"}));
        const zone = document.getElementById("dropzone");
        for (const type of ["dragenter", "dragover", "drop"]) {
            zone.dispatchEvent(new DragEvent(type, {dataTransfer: dt, bubbles: true, cancelable: true}));
        }
    }""", [path.name, data])


def _picture_shapes(card) -> dict:
    """What plotly drew for a take: the heatmap and the shaded silences / clipped stretches."""
    plot = card.locator(".plot")
    plot.scroll_into_view_if_needed()
    card.locator(".plot[data-drawn='1']").wait_for()
    return plot.evaluate("""el => ({
        heatmap: el.data.some(t => t.type === "heatmap" && t.z.length > 10),
        silences: el.layout.shapes.filter(s => s.fillcolor.indexOf("110,110,110") >= 0).length,
        clipped: el.layout.shapes.filter(s => s.fillcolor.indexOf("198,40,40") >= 0).length,
        svg: !!el.querySelector("svg.main-svg"),
    })""")


def test_upload_takes_and_see_verdicts(page, material):
    page.set_input_files("#file-input", [str(p) for p in material["main"]] + [str(material["intruder"])])
    _wait_for_takes(page, N_MAIN + 1)
    _drop_file(page, material["degraded"])
    _wait_for_takes(page, N_MAIN + 2)

    # The intruder: another voice, to re-record, with the finding and its hint shown.
    intruder = _card(page, material["intruder"].name)
    assert intruder.get_attribute("data-outlier") == "1"
    assert intruder.get_attribute("data-verdict") == "re-record"
    assert intruder.locator("li.finding[data-code='speaker_mismatch']").count() == 1
    assert "does not match" in intruder.locator(".voice").inner_text()
    assert intruder.locator("li.finding .hint").first.inner_text().strip()

    # The degraded take: clipping is an error; the clipped stretches are marked red on the waveform.
    degraded = _card(page, material["degraded"].name)
    assert degraded.get_attribute("data-verdict") == "re-record"
    assert degraded.locator("li.finding.error[data-code='clipping']").count() == 1
    shapes = _picture_shapes(degraded)
    assert shapes["svg"] and shapes["heatmap"] and shapes["clipped"] > 0

    # Clean takes of the speaker match the session's voice; their silences are shaded.
    for path in material["main"]:
        card = _card(page, path.name)
        assert card.get_attribute("data-outlier") == "0"
        assert card.locator("[data-voice='match']").count() == 1
    shapes = _picture_shapes(_card(page, material["main"][0].name))
    assert shapes["heatmap"] and shapes["silences"] > 0 and shapes["clipped"] == 0

    verdict = page.locator("#verdict")
    assert verdict.get_attribute("data-n-takes") == str(N_MAIN + 2)
    n_outliers = page.locator("article.take[data-outlier='1']").count()
    assert n_outliers >= 1 and f"{n_outliers} outlier" in verdict.inner_text()
    assert page.errors == []


def test_delete_and_download_keep_list(page, material, server):
    intruder = _card(page, material["intruder"].name)
    intruder_id = intruder.get_attribute("data-take-id")
    page.once("dialog", lambda dialog: dialog.accept())
    intruder.locator("button.delete").click()
    page.wait_for_function(f"!document.querySelector(\"article.take[data-take-id='{intruder_id}']\")")
    page.wait_for_selector(f"#verdict[data-n-takes='{N_MAIN + 1}']")
    assert not list((server["project"] / "takes").glob(f"{intruder_id}.*"))
    for path in material["main"]:
        assert _card(page, path.name).get_attribute("data-outlier") == "0"

    with page.expect_download() as download:
        page.click("#dl-keep")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    # Takes recorded without text come as "# no text (...): LINE" comments (GPT-SoVITS cannot train on them).
    prefix = "# no text (run ASR or record from a script): "
    listed = {Path(line[len(prefix):].split("|")[0]).stem for line in text.splitlines() if line.startswith(prefix)}
    assert not [line for line in text.splitlines() if line and not line.startswith("#")]
    clean = {_card(page, p.name).get_attribute("data-take-id") for p in material["main"]}
    assert listed == clean  # the clean takes; not the clipped one, not the deleted intruder


def test_record_with_the_microphone(page, material, server):
    before = page.locator("article.take").count()
    page.click("#record")
    page.wait_for_selector("#rec-status[data-state='recording']")
    time.sleep(3.0)
    page.click("#record")
    _wait_for_takes(page, before + 1)
    card = page.locator("article.take").first  # newest first
    name = card.locator(".name").inner_text()
    assert name.startswith("mic-") and name.endswith(".wav")
    assert card.get_attribute("data-verdict") in ("keep", "check", "re-record")
    assert card.locator(".voice").count() == 1

    # On the server: a 16-bit WAV of about the recorded length, holding the speech the fake mic played.
    take_id = card.get_attribute("data-take-id")
    audio, rate = sf.read(server["project"] / "takes" / f"{take_id}.wav", dtype="float64")
    info = sf.info(server["project"] / "takes" / f"{take_id}.wav")
    assert info.subtype == "PCM_16" and 1.5 < len(audio) / rate < 8.0
    if audio.ndim > 1:
        audio = audio.mean(axis=1)
    from scipy.signal import fftconvolve, resample_poly

    got = resample_poly(audio, 16000, rate) if rate != 16000 else audio
    ref = material["mic_16k"]
    # Normalised cross-correlation of the recording with the source (the fake device loops it).
    loop = np.concatenate([ref, ref, ref])
    corr = fftconvolve(loop, got[::-1], mode="valid")
    energy = np.sqrt(fftconvolve(loop ** 2, np.ones(got.size), mode="valid") * np.sum(got ** 2))
    peak = float(np.max(corr / np.maximum(energy, 1e-12)))
    assert peak > 0.6, f"the recorded take does not hold the microphone's speech (correlation {peak:.2f})"
    assert page.errors == []


def test_switch_to_chinese(page):
    page.click("#lang-switch")
    page.wait_for_function("document.documentElement.lang === 'zh-Hans' && /条录音/.test(document.getElementById('verdict').textContent)")
    # Findings and hints come back from the server in Chinese; pictures are drawn again with Chinese labels.
    hint = page.locator("article.take li.finding .hint").first.inner_text()
    assert "改进建议" in hint
    card = page.locator("article.take").first
    card.locator(".plot").scroll_into_view_if_needed()
    card.locator(".plot[data-drawn='1']").wait_for()
    assert card.locator(".plot").evaluate("el => el.layout.xaxis.title.text") == "时间（秒）"
    page.click("#lang-switch")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.errors == []
