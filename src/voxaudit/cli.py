"""Command line: parse arguments, call the API, print. Nothing else lives here."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from . import __version__
from .errors import VoxauditError
from .messages import default_language, notice_text, text

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Audit voice-cloning training sets: clean recordings, one voice, the best clips.")
err = Console(stderr=True)


class FailOn(str, Enum):
    never = "never"
    warning = "warning"
    error = "error"


class Encoder(str, Enum):
    auto = "auto"
    ecapa = "ecapa"
    ge2e = "ge2e"


class Precision(str, Enum):
    auto = "auto"
    fp32 = "fp32"
    bf16 = "bf16"
    fp16 = "fp16"


class Speakers(str, Enum):
    auto = "auto"
    list = "list"
    folder = "folder"
    none = "none"


class EngineChoice(str, Enum):
    local = "local"
    ray = "ray"


class Lang(str, Enum):
    en = "en"
    zh = "zh"


UNVERIFIED_HELP = ("Accept ECAPA-TDNN weights that are not the published checkpoint (a fine-tuned or other "
                   "SpeechBrain ECAPA model in --model-dir): their sha256 is recorded and the identity "
                   "calibration is marked as not applying.")


def _version(value: bool):
    if value:
        print(f"voxaudit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")):
    """voxaudit"""


@app.command()
def scan(
    paths: List[Path] = typer.Argument(..., help="Folders (recursive), GPT-SoVITS .list files or audio files."),
    out: Path = typer.Option(Path("voxaudit-report"), "--out", "-o", help="Output folder."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="Worker processes (default: all cores)."),
    config: Optional[Path] = typer.Option(None, "--config", help="TOML file overriding thresholds."),
    lang: Optional[Lang] = typer.Option(None, "--lang", help="Language of messages (default: from the locale)."),
    fail_on: FailOn = typer.Option(FailOn.never, "--fail-on",
                                   help="Exit 1 when any clip has a finding at or above this level."),
    identity: bool = typer.Option(True, "--identity/--no-identity", help="Embed voices and judge one-voice consistency."),
    encoder: Encoder = typer.Option(Encoder.auto, "--encoder",
                                    help="Speaker encoder: ecapa (SpeechBrain ECAPA-TDNN), ge2e (offline), "
                                         "or auto: ecapa when its weights are present, else ge2e."),
    model_dir: Optional[Path] = typer.Option(None, "--model-dir", help="Folder holding the ECAPA-TDNN weights."),
    unverified_weights: bool = typer.Option(False, "--unverified-weights", help=UNVERIFIED_HELP),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda or cuda:N."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", min=1, help="Clips per encoder batch (default: per device)."),
    half: bool = typer.Option(False, "--half", help="Force reduced precision (bf16, or fp16 on GPUs without bf16)."),
    precision: Precision = typer.Option(Precision.auto, "--precision",
                                  help="Encoder precision: auto (bf16 where the hardware computes it natively and "
                                       "the encoder stays within cosine 0.9999 of float32), fp32, bf16, fp16 (CUDA)."),
    cache: Optional[Path] = typer.Option(None, "--cache", help="Embedding cache file (default: OUT/embeddings.sqlite)."),
    profile: Optional[Path] = typer.Option(None, "--profile", help="Judge against a saved profile.json instead of the set itself."),
    select_minutes: Optional[float] = typer.Option(None, "--select-minutes", min=0.01,
                                                    help="Write OUT/keep.list with the best clips up to M minutes "
                                                         "(of each speaker)."),
    engine: EngineChoice = typer.Option(EngineChoice.local, "--engine",
                                       help="Where the per-clip work runs: local (a process pool here) or ray "
                                            '(a Ray cluster; pip install "voxaudit[ray]").'),
    ray_address: Optional[str] = typer.Option(None, "--ray-address",
                                              help="Ray cluster to join: auto or HOST:PORT (default: start a Ray "
                                                   "instance on this machine). Inputs must be on a file system "
                                                   "every node can read."),
    ray_gpus_per_actor: Optional[float] = typer.Option(None, "--ray-gpus-per-actor", min=0.0,
                                                       help="GPUs per embedding actor; fractions share a GPU "
                                                            "(default: 1 where the cluster has GPUs, else 0)."),
    ray_actors: Optional[int] = typer.Option(None, "--ray-actors", min=1,
                                             help="Embedding actors (default: one per GPU share, or one per CPU)."),
    speakers: Speakers = typer.Option(Speakers.auto, "--speakers",
                                      help="Group clips by speaker: list (the .list speaker field), folder (the "
                                           "first folder level), none (one set), or auto: list when a .list "
                                           "names two or more speakers."),
    save_embeddings: bool = typer.Option(False, "--save-embeddings", help="Write OUT/embeddings.npz."),
    html: bool = typer.Option(True, "--html/--no-html", help="Write OUT/report.html."),
    mos: Optional[bool] = typer.Option(None, "--mos/--no-mos",
                                       help="--mos: rate every clip with DNSMOS P.835 (dnsmos_sig/bak/ovrl, finding "
                                            "low_mos; several times the CPU of the other signal measures). "
                                            "--no-mos: rate none. Default: only clips whose reverberation "
                                            "reading is ambiguous (RT60 0.40-0.50 s), as a second opinion."),
    list_lang: Optional[str] = typer.Option(None, "--list-lang",
                                            help="Language code (ZH, EN, JA, KO, YUE) for the lines written for "
                                                 "clips that do not come from a .list."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
):
    """Measure every clip, judge it, check that the set is one voice, and write the reports."""
    from .config import load_config
    from .outlock import output_lock
    from .pipeline import ScanOptions, scan as run_scan
    from .report.outputs import write_outputs

    language = lang.value if lang else default_language()
    try:
        thresholds = load_config(config)
        if mos is not None:
            thresholds.mos_mode = "all" if mos else "off"
            if mos:
                thresholds.enable("low_mos")
        options = ScanOptions(
            jobs=jobs, config=thresholds, lang=language, identity=identity, encoder=encoder.value,
            model_dir=str(model_dir) if model_dir else None, unverified_weights=unverified_weights,
            device=device, batch_size=batch_size,
            half=True if half else precision.value,
            cache_path=str(cache) if cache else str(out / "embeddings.sqlite"),
            journal_path=str(out / "measurements.sqlite"),
            profile_path=str(profile) if profile else None, select_minutes=select_minutes,
            speakers=speakers.value, engine=engine.value, ray_address=ray_address,
            ray_gpus_per_actor=ray_gpus_per_actor, ray_actors=ray_actors,
            save_embeddings=save_embeddings, html=html, list_lang=list_lang)
        inputs = [str(p) for p in paths]
        from .discover import check_inputs

        check_inputs(inputs)  # a mistyped input stops here, before OUT is created
        with output_lock(out):  # one scan at a time per --out: a second one is refused, never mixed
            with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                          MofNCompleteColumn(), TimeRemainingColumn(), TextColumn("{task.fields[clip]}"),
                          console=err, disable=quiet, transient=True) as bar:
                task = bar.add_task(text("scanning", language), total=None, clip="")

                def on_progress(done: int, total: int, clip) -> None:
                    bar.update(task, completed=done, total=total, clip=_short(clip.source.display_path))

                def on_notice(message: str) -> None:
                    err.print(f"[yellow]{_label('note', language)}[/]{escape(message)}", markup=True,
                              highlight=False, soft_wrap=True)

                result = run_scan(inputs, options, progress=on_progress, notice=on_notice)
            report, written = write_outputs(result, out, options, inputs)
    except VoxauditError as error:
        err.print(f"[red]{_label('error', language)}[/]{escape(_error_text(error, language))}", highlight=False)
        raise typer.Exit(2)

    if not quiet:
        print_summary(report, written, language)
    if fail_on != FailOn.never:
        level = 2 if fail_on == FailOn.error else 1
        rank = {"info": 0, "warning": 1, "error": 2}
        if any(rank[f["severity"]] >= level for c in report["clips"] for f in c["findings"]):
            raise typer.Exit(1)


def _label(key: str, lang: str) -> str:
    """``note: `` / ``提示：`` -- a line prefix in ``lang``."""
    return notice_text(key, lang) + ("：" if lang == "zh" else ": ")


def _error_text(error: Exception, lang: str) -> str:
    """A usage error in ``lang`` where it has its own text (a missing input, a busy --out)."""
    from .discover import InputNotFoundError
    from .outlock import OutputLockedError

    if isinstance(error, InputNotFoundError):
        return notice_text("input_missing", lang, paths=", ".join(error.paths))
    if isinstance(error, OutputLockedError):
        return notice_text("out_locked", lang, out=error.out, holder=error.holder)
    return str(error)


def _short(path: str, width: int = 40) -> str:
    return path if len(path) <= width else "…" + path[-(width - 1):]


def print_summary(report: dict, written: list[Path], lang: str, console: Optional[Console] = None) -> None:
    """The readable summary: verdict, worst findings with hints, reference clip, files written."""
    console = console or Console()
    s = report["summary"]
    console.print(f"[bold]{text('title', lang)}[/]: {s['n_clips']} {text('clips', lang)}, "
                  + text("minutes", lang, usable=s["usable_minutes"], total=s["total_minutes"]), highlight=False)
    n_error = s["by_severity"]["error"]
    n_warning = s["by_severity"]["warning"]
    console.print(text("flagged", lang, n=n_error, w=n_warning), highlight=False)
    if s.get("n_unreadable"):
        console.print(f"[red]{text('unreadable', lang, n=s['n_unreadable'])}[/]", highlight=False)
    if "encoder" in s:
        console.print(text("encoder", lang, name=s["encoder"]), highlight=False)
        if s.get("identity_calibration", "applies") != "applies":
            sha = str(s.get("encoder_weights_sha256"))[:12]
            console.print(f"[yellow]{text('calibration_na', lang, encoder=s['encoder'], sha=sha)}[/]",
                          highlight=False)
        if s.get("speakers"):
            print_speakers(s, lang, console)
        elif s.get("identity_too_small"):
            console.print(text("too_small", lang, message=s["identity_too_small"]), highlight=False)
        elif s.get("consistent"):
            console.print(f"[green]{text('one_voice', lang)}[/]", highlight=False)
        else:
            n_out = sum(1 for c in report["clips"] if (c.get("identity") or {}).get("outlier"))
            if s.get("n_voices", 1) > 1 and s.get("identity_verdict"):
                console.print(f"[red]{s['identity_verdict']}[/]", highlight=False)
                for voice in s.get("voices") or []:
                    console.print(text("voice_typical", lang, voice=voice["voice"], path=voice.get("typical_clip")),
                                  highlight=False)
            console.print(f"[red]{text('not_consistent', lang, n=n_out)}[/]", highlight=False)
    if s.get("reference"):
        console.print(text("reference", lang, path=s["reference"]), highlight=False)
    for condition in s.get("set_conditions") or []:
        said = notice_text("set_condition", lang, n=condition["clips"], message=condition["message"],
                           hint=condition["hint"])
        console.print(f"[yellow]{escape(said)}[/]", highlight=False)
    text_summary = s.get("text") or {}
    for code, rate in (text_summary.get("speaking_rate") or {}).items():
        if rate.get("judged"):
            console.print(text("rate", lang, lang=code, median=rate["median_syl_s"], q1=rate["q1_syl_s"],
                               q3=rate["q3_syl_s"]), highlight=False)
    if text_summary.get("n_without_text") and ("selected_clips" in s or text_summary.get("n_with_text")):
        console.print(f"[yellow]{text('no_text', lang, n=text_summary['n_without_text'])}[/]", highlight=False)
    if s["by_code"]:
        from .report.html_strings import code_label

        table = Table(title=text("top_findings", lang), title_justify="left")
        # Names and hints wrap (CJK text has no spaces to break at: fold it) rather than end in "…".
        table.add_column(text("code", lang), overflow="fold")
        table.add_column(text("count", lang), justify="right", no_wrap=True)
        table.add_column(text("hint", lang), overflow="fold")
        colour = {"error": "red", "warning": "yellow", "info": "cyan"}
        for code, entry in list(s["by_code"].items())[:8]:
            name = code if lang == "en" else code_label(code, lang)  # English keeps the code --config uses
            table.add_row(f"[{colour[entry['severity']]}]{escape(name)}[/]", str(entry["clips"]),
                          escape(entry["hint"]))
        console.print(table)
    console.print(text("written", lang, paths=", ".join(str(p) for p in written)), highlight=False)


MAX_SPEAKER_ROWS = 20


def print_speakers(summary: dict, lang: str, console: Console) -> None:
    """The verdict of a multi-speaker set and a table of its speakers, those with problems first."""
    colour = "green" if summary.get("consistent") else "red"
    console.print(f"[{colour}]{summary.get('identity_verdict', '')}[/]", highlight=False)
    rows = sorted(summary["speakers"], key=lambda s: (bool(s.get("consistent")) and not s.get("n_mislabelled")
                                                      and not s.get("same_voice_as"), s["name"]))
    table = Table(title=text("speakers_title", lang), title_justify="left")
    for key, justify in (("col_speaker", "left"), ("col_clips", "right"), ("col_minutes", "right"),
                         ("col_verdict", "left"), ("col_mislabelled", "right"), ("col_same_voice", "left")):
        table.add_column(text(key, lang), justify=justify, overflow="fold")
    from .report.verdict import speaker_status

    for s in rows[:MAX_SPEAKER_ROWS]:
        status = speaker_status(s)
        if status == "too_small":
            verdict = f"[yellow]{text('speaker_not_judged', lang)}[/]"
        elif status in ("consistent", "mislabels_only"):
            verdict = f"[green]{text('one_voice', lang)}[/]"
        else:
            verdict = f"[red]{text('speaker_voices', lang, n=s.get('n_own_voices') or s.get('n_voices'), k=max(0, s.get('n_outliers', 0) - s.get('n_mislabelled', 0)))}[/]"
        table.add_row(s["name"], str(s["n_clips"]), f"{s['usable_minutes']:.1f} / {s['minutes']:.1f}", verdict,
                      str(s.get("n_mislabelled") or ""), ", ".join(s.get("same_voice_as") or []))
    console.print(table)
    if len(rows) > MAX_SPEAKER_ROWS:
        console.print(text("more_speakers", lang, n=len(rows) - MAX_SPEAKER_ROWS), highlight=False)


def main() -> None:
    app()


@app.command()
def doctor(
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object keyed by check name."),
    lang: Optional[Lang] = typer.Option(None, "--lang", help="Language of the lines (default: from the locale)."),
    model_dir: Optional[Path] = typer.Option(None, "--model-dir",
                                             help="Folder holding the ECAPA-TDNN weights, as for scan."),
    unverified_weights: bool = typer.Option(False, "--unverified-weights",
                                            help="Treat ECAPA-TDNN weights that are not the published checkpoint "
                                                 "as a scan with --unverified-weights would (a warning)."),
    device: str = typer.Option("auto", "--device",
                               help="Device for the test forward passes: auto, cpu, cuda or cuda:N."),
):
    """Check the installation: one line per part with ok / warning / FAIL and what to do. Exit 1 when
    something voxaudit scan needs is broken."""
    import json

    from .doctor import exit_code, render, run_checks, summary_line, summary_words, to_json

    language = lang.value if lang else default_language()
    with err.status(summary_words("running", language), spinner="dots") if not json_out and err.is_terminal \
            else _nothing():
        checks = run_checks(model_dir=str(model_dir) if model_dir else None,
                            unverified_weights=unverified_weights, device=device)
    if json_out:
        print(json.dumps(to_json(checks, language), ensure_ascii=False, indent=2))
    else:
        console = Console()
        console.print(f"[bold]{summary_words('title', language, version=__version__)}[/]", highlight=False)
        colour = {"ok": "green", "warning": "yellow", "fail": "bold red"}
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        for check in checks:
            status, label, detail, hint = render(check, language)
            cell = detail + (f"\n→ {hint}" if hint else "")
            grid.add_row(f"[{colour[check.status]}]{status}[/]", label, cell)
        console.print(grid, highlight=False)
        console.print(summary_line(checks, language), highlight=False)
    raise typer.Exit(exit_code(checks))


def _nothing():
    import contextlib

    return contextlib.nullcontext()


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback unless told otherwise)."),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="TCP port."),
    project: Path = typer.Option(Path("voxaudit-project"), "--project", "-p",
                                 help="Session folder: takes and their analysis are kept there (resumed if it exists)."),
    lang: Optional[Lang] = typer.Option(None, "--lang", help="Language of the page and hints (default: from the locale)."),
    profile: Optional[Path] = typer.Option(None, "--profile", help="Judge takes against this profile.json."),
    config: Optional[Path] = typer.Option(None, "--config", help="TOML file overriding thresholds."),
    encoder: Encoder = typer.Option(Encoder.auto, "--encoder", help="Speaker encoder: auto, ecapa or ge2e."),
    model_dir: Optional[Path] = typer.Option(None, "--model-dir", help="Folder holding the ECAPA-TDNN weights."),
    unverified_weights: bool = typer.Option(False, "--unverified-weights", help=UNVERIFIED_HELP),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda or cuda:N."),
    max_upload_mb: float = typer.Option(100.0, "--max-upload-mb", min=0.001, help="Upload size limit in MB."),
    identity: bool = typer.Option(True, "--identity/--no-identity", help="Compare each take's voice with the session."),
    script_file: Optional[Path] = typer.Option(None, "--script",
                                               help="A recording script (script.txt from voxaudit script): the page "
                                                    "shows the next sentence to read and stores it with the take."),
    list_lang: Optional[str] = typer.Option(None, "--list-lang",
                                            help="Language code of the takes in keep.list (default: the script's)."),
):
    """Record or upload takes in the browser and get each one judged while the session goes on."""
    from .config import load_config
    from .serve import serve as run_server

    language = lang.value if lang else default_language()
    try:
        err.print(f"voxaudit serve: http://{host}:{port}/  (project: {project.resolve()})", highlight=False)
        run_server(project, host=host, port=port, lang=language, config=load_config(config), encoder=encoder.value,
                   model_dir=str(model_dir) if model_dir else None, device=device, profile_path=profile,
                   max_upload_mb=max_upload_mb, identity=identity, unverified_weights=unverified_weights,
                   script_path=script_file, list_lang=list_lang)
    except VoxauditError as error:
        err.print(f"[red]error:[/] {error}", highlight=False)
        raise typer.Exit(2)


class ScriptLang(str, Enum):
    zh = "zh"
    en = "en"


@app.command()
def script(
    lang: ScriptLang = typer.Option(..., "--lang", help="Language of the script: zh (Mandarin) or en (English)."),
    minutes: float = typer.Option(10.0, "--minutes", min=0.1, help="Minutes of takes at a normal reading rate."),
    out: Path = typer.Option(Path("script"), "--out", "-o", help="Folder for script.txt and script.list."),
    existing: Optional[Path] = typer.Option(None, "--existing",
                                            help="A GPT-SoVITS .list already recorded: cover what its text lacks."),
    corpus: Optional[Path] = typer.Option(None, "--corpus",
                                          help="Your own sentences (one a line) instead of the built-in corpus."),
    speaker: str = typer.Option("SPEAKER", "--speaker", help="Speaker name written into script.list."),
    ui_lang: Optional[Lang] = typer.Option(None, "--ui-lang", help="Language of the messages (default: from the locale)."),
):
    """Write a recording script that covers the language's sounds (DIR/script.txt and DIR/script.list)."""
    from .text.script import choose_script, existing_texts, read_sentences, write_script

    language = ui_lang.value if ui_lang else default_language()
    try:
        texts = existing_texts(existing, lang.value) if existing else []
        chosen = choose_script(lang.value, minutes, corpus=read_sentences(corpus) if corpus else None,
                               existing=texts, ui_lang=language)
        written = write_script(chosen, out, speaker=speaker)
    except VoxauditError as error:
        err.print(f"[red]error:[/] {error}", highlight=False)
        raise typer.Exit(2)
    console = Console()
    console.print(text("script", language, n=len(chosen.sentences), minutes=chosen.seconds / 60.0), highlight=False)
    if existing:
        console.print(text("script_before", language, n=len(texts),
                           missing=chosen.coverage_before.get("missing_text", "-")), highlight=False)
    console.print(text("script_after", language, missing=chosen.coverage["missing_text"]), highlight=False)
    console.print(text("written", language, paths=", ".join(str(p) for p in written)), highlight=False)


if __name__ == "__main__":
    main()
