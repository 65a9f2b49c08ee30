"""report.html in a real browser: Debian's Chromium driven by the playwright package (no browser download).

A set of real speech -- 10 takes of one speaker and 3 intruders from other speakers and corpora, linked
(never copied) from ../shared/speech -- is scanned with the ``voxaudit`` CLI (GE2E identity, offline),
in English and in Chinese. Each report is opened from ``file://`` and checked the way a person uses it:
the verdict, one table row per clip, sorting and filtering, the pictures drawn by plotly, players whose
relative links reach the clips (also after moving the report together with the audio folder, and a
visible note when the audio cannot be reached), and a console free of errors. Screenshots are kept in
``$VOXAUDIT_ARTIFACTS`` (default ``test-artifacts/`` in the repository root).

Skips, with the reason, where the playwright package, a Chromium binary or the speech folder is absent.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

sync_api = pytest.importorskip("playwright.sync_api",
                               reason="the playwright Python package is not installed (pip install -e '.[test]')")

from conftest import speech_manifest  # noqa: E402
from synth import voiced_speech  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("VOXAUDIT_ARTIFACTS") or ROOT / "test-artifacts")
MAIN = "vctk-p228"
MAIN_TAKES = 10
INTRUDERS = ("ls3080", "vctk-p225", "lj")  # another corpus, the same studio, a third corpus

pytestmark = pytest.mark.slow


def chromium_path() -> str | None:
    for candidate in (os.environ.get("VOXAUDIT_CHROMIUM"), shutil.which("chromium"),
                      shutil.which("chromium-browser"), "/usr/bin/chromium"):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium binary found (apt install chromium, or set VOXAUDIT_CHROMIUM)")
    with sync_api.sync_playwright() as pw:
        # --no-sandbox: CI and containers run as root, where Chromium's sandbox cannot start;
        # --disable-dev-shm-usage: containers often have a tiny /dev/shm.
        browser = pw.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


class Page:
    """A tab with a log of everything that should not happen: console errors, page errors, failed
    loads and requests leaving the machine."""

    def __init__(self, browser, path: Path, *, wait_ready: bool = True):
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.remote: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}")
                     if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("request", lambda r: None if r.url.startswith(("file:", "data:", "blob:"))
                     else self.remote.append(r.url))
        self.page.goto(path.resolve().as_uri())
        if wait_ready:
            # Set by the page's script once the set-level charts are drawn (or failed).
            self.page.wait_for_selector("body[data-ready='1']", timeout=60_000)

    def rows(self) -> list[int]:
        """Clip indices of the table rows, top to bottom."""
        return self.page.eval_on_selector_all("#clips tbody tr.clip", "trs => trs.map(tr => +tr.dataset.i)")

    def select(self, selector: str, value: str) -> None:
        self.page.select_option(selector, value)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()


# -- the scanned set ------------------------------------------------------------------------------------

def _link_set(folder: Path) -> tuple[list[str], list[str]]:
    """Symlinks to MAIN_TAKES takes of MAIN and one take of each intruder; returns (main, intruder) names."""
    by_speaker: dict[str, list[str]] = {}
    for row in speech_manifest():
        by_speaker.setdefault(row["speaker_id"], []).append(row["path"])
    from conftest import SPEECH_DIR

    folder.mkdir(parents=True)
    main, intruders = [], []
    picks = [(rel, main) for rel in by_speaker[MAIN][:MAIN_TAKES]] + [(by_speaker[s][0], intruders) for s in INTRUDERS]
    for rel, names in picks:
        target = SPEECH_DIR / rel
        link = folder / target.name
        try:
            os.symlink(target, link)
        except OSError as error:  # e.g. Windows without developer mode
            pytest.skip(f"cannot create symlinks here: {error}")
        names.append(link.name)
    return main, intruders


def _scan(audio: Path, out: Path, lang: str, cache: Path) -> dict:
    from typer.testing import CliRunner

    from voxaudit.cli import app

    os.environ["HF_HUB_OFFLINE"] = "1"  # nothing may reach the model hub; GE2E ships in the resemblyzer wheel
    args = ["scan", str(audio), "--out", str(out), "--encoder", "ge2e", "--device", "cpu", "--jobs", "1",
            "--lang", lang, "--cache", str(cache), "-q"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> dict:
    """The set scanned twice (English and Chinese report), sharing one embedding cache."""
    speech_manifest()  # skip early when the speech folder is absent
    project = tmp_path_factory.mktemp("project")
    audio = project / "audio"
    main, intruders = _link_set(audio)
    cache = project / "embeddings.sqlite"
    reports = {lang: _scan(audio, project / f"report_{lang}", lang, cache) for lang in ("en", "zh")}
    names = [Path(c["path"]).name for c in reports["en"]["clips"]]
    return {"project": project, "audio": audio, "reports": reports, "names": names,
            "main": main, "intruders": intruders,
            "intruder_index": sorted(names.index(n) for n in intruders)}


@pytest.fixture(scope="module")
def en(browser, scanned):
    page = Page(browser, scanned["project"] / "report_en" / "report.html")
    yield page
    page.close()


def _assert_clean(page: Page) -> None:
    assert page.errors == [], page.errors
    assert page.remote == [], f"the report reached for the network: {page.remote}"


# -- English report -------------------------------------------------------------------------------------

@pytest.mark.speech
def test_scan_flags_exactly_the_intruders(scanned):
    """The premise of the checks below: the scan itself found the three intruders."""
    report = scanned["reports"]["en"]
    outliers = sorted(i for i, c in enumerate(report["clips"]) if c["identity"]["outlier"])
    assert outliers == scanned["intruder_index"]
    assert len(report["clips"]) == MAIN_TAKES + len(INTRUDERS)


@pytest.mark.speech
def test_verdict_and_one_row_per_clip(en, scanned):
    summary = scanned["reports"]["en"]["summary"]
    n = MAIN_TAKES + len(INTRUDERS)
    verdict = en.page.inner_text("#verdict")
    assert "One voice, 3 outlier take(s)" in verdict
    assert f"{summary['n_flagged']} of {n} clips flagged" in verdict
    assert f"{summary['usable_minutes']:.1f} of {summary['total_minutes']:.1f} min usable" in verdict
    assert len(en.rows()) == n
    assert en.page.inner_text("#f-count") == f"showing {n} of {n} matching clips ({n} in all)"
    # The reference clip, with a player, and its alternates.
    reference = en.page.inner_text(".card.reference .ref-path")
    assert Path(summary["reference"]).name in reference
    assert en.page.locator(".card.reference audio").count() == 1 + len(summary["reference_alternates"])
    # The findings that cost the most clips, each with its hint.
    items = en.page.locator(".top-findings li.finding")
    assert items.count() >= 1
    assert en.page.locator(".top-findings li.finding:has-text('Speaker mismatch') .hint").inner_text().strip() \
        == summary["by_code"]["speaker_mismatch"]["hint"]
    _assert_clean(en)


@pytest.mark.speech
def test_sorting_orders_the_rows(en, scanned):
    clips = scanned["reports"]["en"]["clips"]
    sims = [c["identity"]["similarity"] for c in clips]
    header = "#clips th[data-key='sim'] button"
    en.page.click(header)
    rows = en.rows()
    assert [sims[i] for i in rows] == sorted(sims)
    assert sorted(rows[:3]) == scanned["intruder_index"]  # the intruders are the least similar
    assert en.page.get_attribute("#clips th[data-key='sim']", "aria-sort") == "ascending"
    # The similarity column shows the value it was sorted by.
    shown = en.page.eval_on_selector_all("#clips tbody tr.clip td:nth-child(5)",
                                         "tds => tds.map(td => parseFloat(td.textContent))")
    assert shown == pytest.approx([round(sims[i], 3) for i in rows], abs=1e-9)
    en.page.click(header)
    rows = en.rows()
    assert [sims[i] for i in rows] == sorted(sims, reverse=True)
    assert en.page.get_attribute("#clips th[data-key='sim']", "aria-sort") == "descending"
    # Another column: duration, ascending.
    durations = [c["metrics"]["duration_s"] for c in clips]
    en.page.click("#clips th[data-key='dur'] button")
    assert [durations[i] for i in en.rows()] == sorted(durations)
    assert en.page.get_attribute("#clips th[data-key='sim']", "aria-sort") == "none"
    _assert_clean(en)


@pytest.mark.speech
def test_filters(en, scanned):
    report = scanned["reports"]["en"]
    clips = report["clips"]
    intruders = scanned["intruder_index"]
    page = en.page
    page.click("#f-reset")
    assert len(en.rows()) == len(clips)
    # Outliers only: exactly the intruders; not outliers: the rest.
    en.select("#f-outlier", "1")
    assert sorted(en.rows()) == intruders
    assert page.inner_text("#f-count").startswith("showing 3 of 3 matching clips")
    en.select("#f-outlier", "0")
    assert sorted(en.rows()) == [i for i in range(len(clips)) if i not in intruders]
    page.click("#f-reset")
    # By finding code.
    en.select("#f-code", "speaker_mismatch")
    assert sorted(en.rows()) == intruders
    page.click("#f-reset")
    # By severity: clips with an error; clips with no warning and no error.
    en.select("#f-severity", "error")
    assert sorted(en.rows()) == [i for i, c in enumerate(clips) if any(f["severity"] == "error" for f in c["findings"])]
    en.select("#f-severity", "clean")
    assert sorted(en.rows()) == [i for i, c in enumerate(clips)
                                 if not any(f["severity"] in ("warning", "error") for f in c["findings"])]
    page.click("#f-reset")
    # By voice group: the main group holds every take of the main speaker.
    dominant = report["summary"]["dominant_cluster"]
    en.select("#f-cluster", str(dominant))
    assert sorted(en.rows()) == [i for i, c in enumerate(clips) if c["identity"]["cluster"] == dominant]
    assert not set(en.rows()) & set(intruders)
    # Combined with the path filter.
    first_main = min(set(range(len(clips))) - set(intruders))
    page.fill("#f-path", Path(clips[first_main]["path"]).stem)
    assert en.rows() == [first_main]
    page.fill("#f-path", Path(clips[intruders[0]]["path"]).stem)  # an intruder is not in the main group
    assert en.rows() == []
    assert page.inner_text("#f-count").startswith("showing 0 of 0 matching clips")
    page.click("#f-reset")
    assert len(en.rows()) == len(clips)
    # "show in table" next to a top finding filters the table by its code.
    page.click(".top-findings button.show-code[data-code='speaker_mismatch']")
    assert sorted(en.rows()) == intruders and page.input_value("#f-code") == "speaker_mismatch"
    page.click("#f-reset")
    _assert_clean(en)


@pytest.mark.speech
def test_pictures_rendered(en, scanned):
    report = scanned["reports"]["en"]
    clips = report["clips"]
    page = en.page
    # The voice map: one marker per clip plus the reference star; outliers drawn as crosses; names on hover.
    assert page.locator("#voice-map .main-svg").count() >= 1
    assert page.locator("#voice-map .scatterlayer path.point").count() == len(clips) + 1
    traces = page.evaluate("() => document.getElementById('voice-map').data.map(t => "
                           "({idx: t.customdata, sym: t.marker.symbol, text: t.text, colour: t.marker.color}))")
    symbol_of, colour_of = {}, {}
    for trace in traces:
        symbols = trace["sym"] if isinstance(trace["sym"], list) else [trace["sym"]] * len(trace["idx"])
        for i, symbol, text in zip(trace["idx"], symbols, trace["text"]):
            assert Path(clips[i]["path"]).name in text
            symbol_of.setdefault(i, symbol)
            colour_of.setdefault(i, trace["colour"])
    assert sorted(i for i, s in symbol_of.items() if s == "x") == scanned["intruder_index"]
    # Coloured by voice group: one colour for the main voice's group, another for the lone intruders.
    main_colours = {colour_of[i] for i, c in enumerate(clips) if c["identity"]["cluster"] == report["summary"]["dominant_cluster"]}
    assert len(main_colours) == 1
    assert not main_colours & {colour_of[i] for i in scanned["intruder_index"]}
    # A real hover shows the clip's name.
    first = scanned["intruder_index"][0]
    page.locator("#voice-map").scroll_into_view_if_needed()
    box = page.evaluate(f"""() => {{
        const gd = document.getElementById('voice-map');
        const t = gd.data.findIndex(tr => tr.customdata.includes({first}) && tr.marker.symbol !== 'star');
        const k = gd.data[t].customdata.indexOf({first});
        const node = gd.querySelectorAll('.scatterlayer g.trace')[t].querySelectorAll('path.point')[k];
        const r = node.getBoundingClientRect();
        return {{x: r.x + r.width / 2, y: r.y + r.height / 2}};
    }}""")
    page.mouse.move(box["x"], box["y"])
    page.wait_for_selector("#voice-map .hoverlayer .hovertext")
    assert Path(clips[first]["path"]).name in page.text_content("#voice-map .hoverlayer")
    # The similarity distribution, with the outlier threshold drawn.
    assert page.locator("#similarity-hist .barlayer .point").count() >= 2
    assert page.locator("#similarity-hist .shapelayer path").count() >= 1
    threshold = report["summary"]["identity_threshold"]
    assert f"outlier threshold {threshold:.3f}" in page.text_content("#similarity-hist")
    # Waveform and spectrogram of the flagged clips, drawn when scrolled into view.
    n_cards = min(12, sum(1 for c in clips if any(f["severity"] in ("warning", "error") for f in c["findings"])))
    page.locator("#gallery").scroll_into_view_if_needed()
    page.wait_for_function(f"document.querySelectorAll('#gallery .js-plotly-plot').length >= {n_cards}",
                           timeout=30_000)
    assert page.locator("#gallery .gcard").count() == n_cards
    assert page.locator("#gallery .heatmaplayer image").count() == n_cards
    # Every intruder's picture is among the first cards (errors first).
    card_names = page.eval_on_selector_all("#gallery .gtitle a", "as => as.map(a => a.textContent)")
    for i in scanned["intruder_index"]:
        assert clips[i]["path"] in card_names
    # Opening a row shows its details and its own picture.
    page.click("#f-reset")
    page.click(f"#clip-{first} td.path")
    page.wait_for_selector(f"tr.details[data-for='{first}'] .js-plotly-plot", timeout=30_000)
    assert "Speaker mismatch" in page.inner_text(f"tr.details[data-for='{first}']")
    page.click(f"#clip-{first} td.path")  # close it again
    shot = en.screenshot("report_en.png")
    assert shot.stat().st_size > 10_000
    _assert_clean(en)


def _audio_sources(page: Page) -> list[str]:
    return page.page.eval_on_selector_all("audio", "els => els.map(a => a.src)")


def _path_of(url: str) -> Path:
    assert url.startswith("file://"), url
    return Path(urllib.parse.unquote(urllib.parse.urlparse(url).path))


@pytest.mark.speech
def test_players_point_at_the_clips(en, scanned):
    clips = scanned["reports"]["en"]["clips"]
    page = en.page
    page.click("#f-reset")
    # One player per row, each resolving to that clip's file (through the report's relative link).
    row_sources = page.eval_on_selector_all(
        "#clips tbody tr.clip", "trs => trs.map(tr => [+tr.dataset.i, tr.querySelector('audio').src])")
    assert len(row_sources) == len(clips)
    for i, url in row_sources:
        path = _path_of(url)
        assert path.is_file(), url
        assert path.resolve() == Path(clips[i]["file"]).resolve()
    raw = page.eval_on_selector_all("audio", "els => els.map(a => a.getAttribute('src'))")
    assert all(not s.startswith(("/", "file:", "http")) for s in raw), raw  # relative links
    for url in _audio_sources(en):
        assert _path_of(url).is_file(), url
    # The reference player really loads its clip: the browser reads its duration.
    summary = scanned["reports"]["en"]["summary"]
    ref = next(c for c in clips if c["path"] == summary["reference"])
    page.wait_for_function("document.querySelector('.card.reference audio').readyState >= 1", timeout=20_000)
    duration = page.evaluate("document.querySelector('.card.reference audio').duration")
    assert duration == pytest.approx(ref["metrics"]["duration_s"], abs=0.05)
    assert page.locator(".unreachable").count() == 0 and page.is_hidden("#audio-banner")
    # Playing a row: the button gives way to the native player, which loads the clip.
    page.click(f"#clip-{scanned['intruder_index'][0]} button.play")
    page.wait_for_function(f"document.querySelector('#clip-{scanned['intruder_index'][0]} audio').readyState >= 1",
                           timeout=20_000)
    page.evaluate("document.querySelectorAll('audio').forEach(a => a.pause())")
    _assert_clean(en)


@pytest.mark.speech
def test_report_moved_with_its_audio_folder_still_plays(browser, scanned, tmp_path):
    """Move the report together with the audio folder: the relative links still reach every clip."""
    moved = tmp_path / "elsewhere"
    (moved / "report_en").mkdir(parents=True)
    shutil.copy2(scanned["project"] / "report_en" / "report.html", moved / "report_en" / "report.html")
    os.symlink(scanned["audio"], moved / "audio", target_is_directory=True)
    page = Page(browser, moved / "report_en" / "report.html")
    try:
        sources = _audio_sources(page)
        assert sources and all(str(_path_of(u)).startswith(str(moved)) and _path_of(u).is_file() for u in sources)
        page.page.wait_for_function("document.querySelector('.card.reference audio').readyState >= 1",
                                    timeout=20_000)
        assert page.page.is_hidden("#audio-banner")
        _assert_clean(page)
    finally:
        page.close()


@pytest.mark.speech
def test_report_moved_without_its_audio_says_so(browser, scanned, tmp_path):
    """Only report.html is moved: the players say they cannot reach their clips, and a banner says why."""
    alone = tmp_path / "alone" / "report_en"
    alone.mkdir(parents=True)
    shutil.copy2(scanned["project"] / "report_en" / "report.html", alone / "report.html")
    page = Page(browser, alone / "report.html")
    try:
        page.page.wait_for_selector("#audio-banner:not([hidden])", timeout=20_000)
        assert "move report.html together with the audio folder" in page.page.inner_text("#audio-banner")
        assert "cannot open the audio file from here" in page.page.inner_text(".card.reference")
        # A row's player says the same when played.
        page.page.click("#clip-0 button.play")
        page.page.wait_for_selector("#clip-0 .unreachable", timeout=20_000)
        assert page.remote == [] and not [e for e in page.errors if "page error" in e]
    finally:
        page.close()


# -- Chinese report -------------------------------------------------------------------------------------

@pytest.mark.speech
def test_chinese_report(browser, scanned):
    report = scanned["reports"]["zh"]
    clips = report["clips"]
    page = Page(browser, scanned["project"] / "report_zh" / "report.html")
    try:
        p = page.page
        assert p.get_attribute("html", "lang") == "zh-Hans"
        verdict = p.inner_text("#verdict")
        assert "同一音色，但有 3 条离群音频" in verdict
        assert f"{report['summary']['n_flagged']} 条有问题" in verdict
        assert len(page.rows()) == len(clips)
        assert "参考音频" in p.inner_text(".card.reference h2")
        assert "音色不一致" in p.inner_text(".top-findings")
        # Headers and filters in Chinese, and they work.
        assert p.inner_text("#clips th[data-key='sim']").strip() == "相似度"
        page.select("#f-outlier", "1")
        assert sorted(page.rows()) == scanned["intruder_index"]
        assert p.inner_text("#f-count").startswith("显示 3 条")
        p.click("#f-reset")
        p.click("#clips th[data-key='q'] button")
        quality = [c["quality"] for c in clips]
        assert [quality[i] for i in page.rows()] == sorted(quality)
        assert "离群阈值" in p.text_content("#similarity-hist")
        p.locator("#gallery").scroll_into_view_if_needed()
        p.wait_for_function("document.querySelectorAll('#gallery .js-plotly-plot').length >= 1", timeout=30_000)
        assert "时间（秒）" in p.inner_text("#gallery")
        page.screenshot("report_zh.png")
        _assert_clean(page)
    finally:
        page.close()


# -- problem marks on the spectrogram (synthetic, no speech folder needed) -------------------------------

def test_spectrogram_marks_hum_and_cutoff(browser, tmp_path):
    """A clip with 50 Hz hum and one low-passed at 3.4 kHz: their spectrograms carry the hum line and the
    bandwidth cutoff, the clipped clip's waveform its clipped stretches, every clip's its silences."""
    from scipy import signal as sps

    from voxaudit.report.html import write_html

    sr = 16000
    speech = voiced_speech(3.0, sample_rate=sr, seed=5)
    t = np.arange(speech.size) / sr
    audio = tmp_path / "audio"
    audio.mkdir()
    files = {
        "hum.wav": speech + 0.01 * np.sin(2 * np.pi * 50 * t).astype(np.float32),
        "phone.wav": sps.sosfilt(sps.butter(8, 3400, fs=sr, output="sos"), speech).astype(np.float32),
        "clipped.wav": np.clip(speech * 10, -0.4, 0.4),
    }
    findings = {"hum.wav": ("mains_hum", {"hum_hz": 50.0, "bandwidth_hz": 7900.0}),
                "phone.wav": ("narrow_bandwidth", {"hum_hz": None, "bandwidth_hz": 3400.0}),
                "clipped.wav": ("clipping", {"hum_hz": None, "bandwidth_hz": 7900.0, "clipping_fraction": 0.05})}
    clips = []
    for name, x in files.items():
        sf.write(audio / name, x, sr)
        code, metrics = findings[name]
        clips.append({"path": name, "file": str(audio / name), "quality": 60.0,
                      "metrics": {"duration_s": 3.0, "sample_rate": sr, "snr_db": 40.0, **metrics},
                      "findings": [{"code": code, "severity": "warning", "message": code, "hint": "fix " + code}]})
    report = {"schema": 1, "tool": {"name": "voxaudit", "version": "test"}, "clips": clips,
              "summary": {"n_clips": 3, "total_minutes": 0.15, "usable_minutes": 0.15,
                          "by_code": {f[0]: {"clips": 1, "minutes": 0.05, "hint": "fix " + f[0]}
                                      for f in findings.values()}}}
    out = tmp_path / "out"
    write_html(report, out / "report.html", lang="en")
    page = Page(browser, out / "report.html")
    try:
        p = page.page
        p.wait_for_function("document.querySelectorAll('#gallery .js-plotly-plot').length === 3", timeout=30_000)
        texts = {name: p.inner_text(f".gcard:has(a[title='{name}'])") for name in files}
        assert "hum 50 Hz" in texts["hum.wav"] and "cutoff" not in texts["hum.wav"]
        assert "cutoff 3.4 kHz" in texts["phone.wav"] and "hum" not in texts["phone.wav"]
        assert "clipped ×" in texts["clipped.wav"]
        assert p.is_hidden("#gallery-more")  # every card shown: no "show more"
        # The lines sit at their frequency on the spectrogram's axis.
        lines = p.evaluate("""() => Array.from(document.querySelectorAll('#gallery .clip-plot')).map(gd =>
            [gd.getAttribute('data-i'), gd.data.filter(t => t.meta === 'mark').map(t => t.y[0])])""")
        by_name = {clips[int(i)]["path"]: ys for i, ys in lines}
        assert by_name == {"hum.wav": [50.0], "phone.wav": [3400.0], "clipped.wav": []}
        # Silences shaded on every waveform (the synthetic speech pauses every 1.2 s), clipped stretches
        # in red on the clipped one only.
        shapes = p.evaluate("""() => Object.fromEntries(Array.from(document.querySelectorAll('#gallery .clip-plot'))
            .map(gd => [gd.getAttribute('data-i'), gd.layout.shapes.map(s => s.fillcolor)]))""")
        for i, clip in enumerate(clips):
            colours = shapes[str(i)]
            assert any("110,110,110" in c for c in colours), clip["path"]
            assert any("198,40,40" in c for c in colours) == (clip["path"] == "clipped.wav")
        page.screenshot("report_problem_marks.png")
        _assert_clean(page)
    finally:
        page.close()


# -- a large set: the table renders a page at a time, sorting and filtering cover every clip ------------

def test_large_set_pages_rows_and_sorts_all_of_them(browser, tmp_path):
    from voxaudit.report.html import write_html

    n = 2000
    rng = np.random.default_rng(3)
    quality = np.round(rng.uniform(0, 100, n), 1)
    outliers = set(rng.choice(n, size=7, replace=False).tolist())
    clips = [{"path": f"take_{i:04d}.wav", "file": str(tmp_path / "absent" / f"take_{i:04d}.wav"),
              "quality": float(quality[i]), "metrics": {"duration_s": 5.0},
              "findings": ([{"code": "speaker_mismatch", "severity": "error", "message": "m", "hint": "h"}]
                           if i in outliers else []),
              "identity": {"similarity": 0.5 if i in outliers else 0.9, "z": 0.0, "cluster": 0, "outlier": i in outliers,
                           "reason": ""}}
             for i in range(n)]
    report = {"schema": 1, "tool": {"name": "voxaudit", "version": "test"}, "clips": clips,
              "summary": {"n_clips": n, "total_minutes": n / 12, "usable_minutes": (n - 7) / 12, "n_voices": 1,
                          "consistent": False, "dominant_cluster": 0, "identity_threshold": 0.8,
                          "by_code": {"speaker_mismatch": {"clips": 7, "minutes": 0.6, "hint": "h"}}}}
    write_html(report, tmp_path / "out" / "report.html", lang="en")
    page = Page(browser, tmp_path / "out" / "report.html")
    try:
        p = page.page
        assert "7 of 2000 clips flagged" in p.inner_text("#verdict")
        assert len(page.rows()) == 100  # a page of rows, not 2,000 players at once
        assert p.inner_text("#f-count") == "showing 100 of 2000 matching clips (2000 in all)"
        # Missing audio is said in every row instead of a player.
        assert p.locator("#clips tbody td.play .missing").count() == 100
        # Sorting orders the whole set, not the page shown.
        p.click("#clips th[data-key='q'] button")
        assert [quality[i] for i in page.rows()] == sorted(quality)[:100]
        p.click("#rows-more")
        assert len(page.rows()) == 200
        p.click("#rows-all")
        rows = page.rows()
        assert len(rows) == n and [quality[i] for i in rows] == sorted(quality)
        page.select("#f-outlier", "1")
        assert sorted(page.rows()) == sorted(outliers)
        _assert_clean(page)
    finally:
        page.close()


@pytest.mark.speech
def test_multi_speaker_report(browser, tmp_path):
    """A .list of 3 speakers with one clip filed under the wrong name: the speaker table leads with the
    label holding the stray clip, the heat map is drawn, the voice map colours by label and marks the
    stray as a diamond, and the speaker filter shows one speaker's rows."""
    from typer.testing import CliRunner

    from voxaudit.cli import app

    rows = speech_manifest()
    speech = Path(os.environ.get("VOXAUDIT_SPEECH_DIR", ROOT.parent / "shared" / "speech"))
    by: dict[str, list[Path]] = {}
    for r in rows:
        by.setdefault(r["speaker_id"], []).append(speech / r["path"])
    lines = [f"{p}|{s}|EN|text" for s in ("ls533", "ls1688", "vctk-p228") for p in by[s][:6]]
    lines.append(f"{by['ls533'][7]}|vctk-p228|EN|text")
    listing = tmp_path / "three.list"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["scan", str(listing), "--out", str(out), "--encoder", "ge2e", "--jobs", "1",
                                      "-q", "--lang", "en", "--save-embeddings"],
                                env={"HF_HUB_OFFLINE": "1", "XDG_CACHE_HOME": str(tmp_path / "xdg")})
    assert result.exit_code == 0, result.output
    page = Page(browser, out / "report.html")
    try:
        verdict = page.page.inner_text("#verdict")
        assert "3 speakers" in verdict and "1 clip(s) filed under the wrong name" in verdict
        first = page.page.eval_on_selector_all("table.speaker-table tbody tr", "trs => trs.map(tr => tr.dataset.speaker)")
        assert first[0] == "vctk-p228" and sorted(first) == ["ls1688", "ls533", "vctk-p228"]
        assert page.page.query_selector("#speaker-heatmap .main-svg") is not None
        names = page.page.evaluate(
            "() => document.getElementById('voice-map').data.map(t => t.name)")
        assert any(n.startswith("ls533 (") for n in names) and any(n.startswith("vctk-p228 (") for n in names)
        symbols = page.page.evaluate(
            "() => [].concat(...document.getElementById('voice-map').data.map(t => t.marker.symbol))")
        assert symbols.count("diamond") == 1
        page.select("#f-speaker", "ls1688")
        assert len(page.rows()) == 6
        page.screenshot("report-speakers.png")
        _assert_clean(page)
    finally:
        page.close()
