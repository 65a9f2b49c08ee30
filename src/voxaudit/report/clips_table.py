"""Per-clip records at any size: inline in report.json for a normal set, ``clips.parquet`` for a large one.

Below :data:`INLINE_CLIPS_MAX` clips ``report.json`` holds every clip (``"clips": [...]``), exactly as
always. Above it, ``report.json`` keeps everything else (the summary, the inputs, the tool) and, in place
of ``clips``, a pointer::

    "clips_table": {"file": "clips.parquet", "format": "parquet", "n_clips": 200000, "csv": "clips.csv"}

``clips.parquet`` (written with pyarrow, zstd-compressed, in row groups of :data:`BATCH_ROWS` clips) has
one row per clip, in report order, with flat columns a data engineer can select one by one::

    path, speaker, quality, worst_severity, finding_codes (list), similarity, z, cluster, outlier,
    likely_speaker, ... (every identity field), duration_s, sample_rate, ... (every metric),
    file, lang, text, sha256, selected, rejected_reason, notes (list), ... (any other clip field),
    findings (list of {code, severity, message, hint, metric, value, threshold, extra}),
    _metrics_absent, _identity_absent

Each column's field metadata says where its value lives in a clip record (``voxaudit.group``: ``clip``,
``metrics``, ``identity`` or ``derived``; ``voxaudit.key``), so :func:`load_clips` rebuilds the records of
report.json exactly: ``_metrics_absent`` / ``_identity_absent`` list the keys a clip's ``metrics`` /
``identity`` object did not have (a null there is a key set to null), a null ``_identity_absent`` is a
clip without an identity object, and a column whose values do not share one type (a string in one clip,
a number in another) holds JSON text (``voxaudit.json``). Numbers come back as floats where a column
holds both integers and floats (``1 == 1.0``: the records compare equal).

Readers of a report whatever its size::

    from voxaudit.report import load_clips, load_report
    clips = load_clips("audit")          # list of clip dicts, as report.json's "clips"
    report = load_report("audit")        # report.json with "clips" filled in

or, columnar: ``pyarrow.parquet.read_table("audit/clips.parquet", columns=["path", "snr_db"])``,
``pandas.read_parquet``, DuckDB ``SELECT path, snr_db FROM 'audit/clips.parquet'``.

pyarrow is a runtime dependency of voxaudit (see pyproject.toml); it is imported only when a table is
written or read, so a scan of a normal set never loads it.
"""

from __future__ import annotations

import contextlib
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from ..errors import ParameterError
from ..io import atomic_path, write_json_atomic

# Above this many clips report.json points to clips.parquet instead of inlining every clip. A clip
# record is about 1.6 kB of report.json (339 real clips of ../shared/speech without identity: 1,593
# bytes each; scripts/bench_html.py's realistic records with identity: 316 MB for 200,000), so 20,000
# clips make a report.json of about 32 MB, which json.load reads in about a second and a text editor
# or a browser's JSON viewer still opens. Past it the file only grows, while clips.parquet holds the
# same 200,000 records in 23.9 MB and reads one column at a time. 20,000 clips of 5 s are about 28
# hours: every voice-cloning set of one or a few speakers stays below, so nothing changes for them; a
# corpus audit goes above. Tests lower it with the ``inline_clips_max`` argument.
INLINE_CLIPS_MAX = 20_000

TABLE_FILE = "clips.parquet"
CSV_FILE = "clips.csv"
# Clips per row group (and per conversion batch): 16,384 rows of ~45 columns keep the Python lists of
# one batch small while a row group stays large enough for good compression.
BATCH_ROWS = 16_384
# The file's own format version (schema metadata ``voxaudit.clips_table``).
TABLE_VERSION = "1"

_SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
# Fields of a finding stored in their own struct field; anything else goes into ``extra`` as JSON.
_FINDING_STRINGS = ("code", "severity", "message", "hint", "metric")
_FINDING_NUMBERS = ("value", "threshold")
# Leading columns, in this order (as clips.csv); the rest of each group follows by name.
_LEAD_CLIP = ("path", "speaker", "quality")
_LEAD_IDENTITY = ("similarity", "z", "cluster", "outlier", "likely_speaker")
_LEAD_METRICS = ("duration_s", "sample_rate", "channels")
_LATE_CLIP = ("file", "lang", "text", "sha256", "selected", "rejected_reason", "notes")
# The order of a clip record's keys in report.json.
_RECORD_ORDER = ("path", "metrics", "findings", "quality", "identity", "sha256", "notes", "speaker", "lang", "text",
                 "file", "selected", "rejected_reason")
# Clip keys that are objects of their own (flattened into columns) or the findings list.
_NESTED = ("metrics", "identity", "findings")


def _pyarrow():
    """pyarrow and pyarrow.parquet, or a clear error naming the fix."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as error:  # a broken install: pyarrow is a runtime dependency
        raise ImportError(
            f"clips.parquet needs pyarrow, which does not import here ({error}); install it with "
            "pip install 'pyarrow>=14' (it is a dependency of voxaudit: pip install voxaudit installs it)"
        ) from error
    return pa, pq


# -- report.json and the table, together ---------------------------------------------------------------

def write_clip_records(out_dir: str | os.PathLike, report: dict, *,
                       inline_clips_max: Optional[int] = None) -> list[Path]:
    """Write report.json, clips.csv and, for a large set, clips.parquet into ``out_dir``, each atomically.

    Parameters
    ----------
    out_dir : str or PathLike
        The scan's output folder.
    report : dict
        The full report (``clips`` inline, as :meth:`voxaudit.pipeline.ScanResult.report_dict` builds it);
        not modified.
    inline_clips_max : int, optional
        Most clips report.json inlines (default :data:`INLINE_CLIPS_MAX`); more go to clips.parquet.

    Returns
    -------
    list of Path
        The files written, report.json first.

    Notes
    -----
    clips.parquet is written before report.json, so report.json never points to a table that is not
    there; a clips.parquet left by an earlier, larger scan into the same folder is removed when the
    clips are inlined, so it cannot be mistaken for this scan's.
    """
    from .tables import write_clips_csv

    out = Path(out_dir)
    limit = INLINE_CLIPS_MAX if inline_clips_max is None else int(inline_clips_max)
    clips = report.get("clips") or []
    written: list[Path] = []
    large = len(clips) > limit
    if large:
        try:
            _pyarrow()
        except ImportError as error:
            # A broken install must not cost the scan its results: inline them, and say how to fix it.
            warnings.warn(f"{len(clips)} clips: report.json holds every clip inline instead of pointing to "
                          f"clips.parquet. {error}", RuntimeWarning, stacklevel=2)
            large = False
    if large:
        write_clips_parquet(out / TABLE_FILE, clips)
        write_json_atomic(out / "report.json", table_report(report, n_clips=len(clips)))
        written += [out / "report.json", out / TABLE_FILE]
    else:
        write_json_atomic(out / "report.json", report)
        with contextlib.suppress(FileNotFoundError):
            (out / TABLE_FILE).unlink()
        written.append(out / "report.json")
    write_clips_csv(out / CSV_FILE, report)
    written.append(out / CSV_FILE)
    return written


def table_report(report: dict, *, n_clips: int) -> dict:
    """``report`` with ``clips`` replaced by the ``clips_table`` pointer (same key order otherwise)."""
    out: dict[str, Any] = {}
    for key, value in report.items():
        if key == "clips":
            out["clips_table"] = {"file": TABLE_FILE, "format": "parquet", "n_clips": int(n_clips),
                                  "csv": CSV_FILE}
        else:
            out[key] = value
    return out


def load_report(path: str | os.PathLike) -> dict:
    """A scan's report.json with its clips, whichever way they were written.

    Parameters
    ----------
    path : str or PathLike
        The output folder of a scan, or its report.json.

    Returns
    -------
    dict
        report.json; when it points to clips.parquet (``clips_table``), ``clips`` holds the records
        read back from the table, equal to what report.json would have inlined.

    Raises
    ------
    ParameterError
        When report.json cannot be read, holds neither ``clips`` nor ``clips_table``, or its table is
        missing, not a voxaudit clip table, or holds another number of clips.
    ImportError
        When the report has a clip table and pyarrow cannot be imported.

    Examples
    --------
    >>> report = load_report("audit")                                      # doctest: +SKIP
    >>> worst = min(report["clips"], key=lambda c: c["quality"])          # doctest: +SKIP
    """
    target = Path(path)
    if target.is_dir():
        target = target / "report.json"
    try:
        with open(target, encoding="utf-8") as fh:
            report = json.load(fh)
    except (OSError, json.JSONDecodeError) as error:
        raise ParameterError(f"cannot read report {str(target)!r}: {error}") from None
    if not isinstance(report, dict):
        raise ParameterError(f"{str(target)!r} is not a voxaudit report (not a JSON object)")
    if "clips" in report:
        return report
    pointer = report.get("clips_table")
    if not isinstance(pointer, dict) or not isinstance(pointer.get("file"), str):
        raise ParameterError(f"{str(target)!r} holds neither clips nor a clips_table")
    name = pointer["file"]
    if Path(name).name != name or name in ("", ".", ".."):
        raise ParameterError(f"{str(target)!r}: clips_table.file must be a file name beside it, got {name!r}")
    clips = read_clips_parquet(target.parent / name)
    expected = pointer.get("n_clips")
    if isinstance(expected, int) and expected != len(clips):
        raise ParameterError(f"{str(target.parent / name)!r} holds {len(clips)} clips; report.json says {expected}")
    report["clips"] = clips
    return report


def load_clips(path: str | os.PathLike) -> list[dict]:
    """The clip records of a scan (report.json's ``clips``, or clips.parquet read back): see
    :func:`load_report`."""
    return load_report(path)["clips"]


# -- columns --------------------------------------------------------------------------------------------

@dataclass
class _Column:
    """One column of the table: its name in the file, where its value lives in a clip record, how to
    get it, and whether it is stored as JSON text."""

    name: str
    group: str          # "clip", "metrics", "identity", "derived", "findings" or "absent"
    key: str
    get: Callable[[dict], Any]
    json: bool = False
    fixed_type: Any = None  # a pyarrow type for columns whose type does not depend on the data


def _object(clip: dict, key: str) -> Optional[dict]:
    value = clip.get(key)
    return value if isinstance(value, dict) else None


def _worst(clip: dict) -> Optional[str]:
    sevs = [f.get("severity") for f in clip.get("findings") or [] if isinstance(f, dict)]
    sevs = [s for s in sevs if s in _SEVERITY_RANK]
    return max(sevs, key=_SEVERITY_RANK.__getitem__) if sevs else None


def _codes(clip: dict) -> list:
    return [str(f.get("code")) for f in clip.get("findings") or [] if isinstance(f, dict)]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finding_row(finding: Any) -> dict:
    """One finding as the struct the table stores: known fields typed, the rest as JSON in ``extra``."""
    if not isinstance(finding, dict):
        return {"extra": json.dumps({"_value": finding}, ensure_ascii=False)}
    row: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in finding.items():
        if key in _FINDING_STRINGS and isinstance(value, str):
            row[key] = value
        elif key in _FINDING_NUMBERS and _is_number(value):
            row[key] = float(value)
        else:
            extra[key] = value
    if extra:
        row["extra"] = json.dumps(extra, ensure_ascii=False, separators=(",", ":"))
    return row


def _finding_from_row(row: dict) -> Any:
    out = {k: row[k] for k in _FINDING_STRINGS + _FINDING_NUMBERS if row.get(k) is not None}
    if row.get("extra") is not None:
        extra = json.loads(row["extra"])
        if set(extra) == {"_value"} and not out:
            return extra["_value"]
        out.update(extra)
    return out


def _columns(clips: list[dict]) -> list[_Column]:
    """Every column the clips need, in table order (one pass to collect the keys)."""
    pa, _ = _pyarrow()
    clip_keys: dict[str, None] = {}
    metric_keys: dict[str, None] = {}
    identity_keys: dict[str, None] = {}
    for clip in clips:
        clip_keys.update(dict.fromkeys(clip))
        metrics = _object(clip, "metrics")
        if metrics:
            metric_keys.update(dict.fromkeys(metrics))
        identity = _object(clip, "identity")
        if identity:
            identity_keys.update(dict.fromkeys(identity))
    for key in _NESTED:
        clip_keys.pop(key, None)

    def ordered(keys: Iterable[str], lead: tuple) -> list[str]:
        keys = list(keys)
        return [k for k in lead if k in keys] + sorted(k for k in keys if k not in lead)

    columns: list[_Column] = []
    used: set[str] = set()

    def add(group: str, key: str, get: Callable[[dict], Any], fixed_type: Any = None,
            name: Optional[str] = None) -> None:
        # A key that two groups share (identity's "speaker" and the clip's) gets its group as prefix.
        name = name or key
        if name in used:
            name = f"{group}_{key}"
        while name in used:
            name = "_" + name
        used.add(name)
        columns.append(_Column(name=name, group=group, key=key, get=get, fixed_type=fixed_type))

    def clip_getter(key: str):
        return lambda clip: clip.get(key)

    def group_getter(group: str, key: str):
        def get(clip: dict) -> Any:
            obj = clip.get(group)
            return obj.get(key) if isinstance(obj, dict) else None
        return get

    late = [k for k in _LATE_CLIP if k in clip_keys]
    lead = [k for k in _LEAD_CLIP if k in clip_keys]
    others = sorted(k for k in clip_keys if k not in lead and k not in late)
    for key in lead:
        add("clip", key, clip_getter(key))
    add("derived", "worst_severity", _worst, pa.string())
    add("derived", "finding_codes", _codes, pa.list_(pa.string()))
    for key in ordered(identity_keys, _LEAD_IDENTITY):
        add("identity", key, group_getter("identity", key))
    for key in ordered(metric_keys, _LEAD_METRICS):
        add("metrics", key, group_getter("metrics", key))
    for key in late + others:
        add("clip", key, clip_getter(key))
    finding_type = pa.list_(pa.struct([(k, pa.string()) for k in _FINDING_STRINGS]
                                      + [(k, pa.float64()) for k in _FINDING_NUMBERS]
                                      + [("extra", pa.string())]))
    add("findings", "findings",
        lambda clip: None if not isinstance(clip.get("findings"), list)
        else [_finding_row(f) for f in clip["findings"]], finding_type)

    def absent(group: str, keys: list[str]):
        n = len(keys)

        def get(clip: dict) -> Optional[list]:
            obj = clip.get(group)
            if not isinstance(obj, dict):
                return None
            if len(obj) == n:  # every key present (the usual case): nothing to list
                return []
            return [k for k in keys if k not in obj]
        return get

    add("absent", "metrics", absent("metrics", list(metric_keys)), pa.list_(pa.string()), name="_metrics_absent")
    add("absent", "identity", absent("identity", list(identity_keys)), pa.list_(pa.string()),
        name="_identity_absent")
    return columns


def _json_text(value: Any) -> Optional[str]:
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _convert(pa, column: _Column, values: list) -> Optional[Any]:
    """An Arrow array of ``values``, or None when they do not fit one Arrow type (then JSON is used)."""
    if column.json:
        return pa.array([_json_text(v) for v in values], type=pa.string())
    if column.fixed_type is not None:
        return pa.array(values, type=column.fixed_type)
    if any(isinstance(v, dict) for v in values):
        return None  # objects are stored as JSON: a struct would merge their keys
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError, TypeError, ValueError):
        return None


def _unified_type(pa, arrays: list) -> Optional[Any]:
    """The one type every batch's array can be cast to: identical types, null with anything, and
    integers with floats (as float64); None otherwise."""
    types = {a.type for a in arrays if not pa.types.is_null(a.type)}
    if not types:
        return pa.null()
    if len(types) == 1:
        return types.pop()
    if all(pa.types.is_integer(t) or pa.types.is_floating(t) for t in types):
        return pa.float64()
    return None


# -- writing --------------------------------------------------------------------------------------------

def write_clips_parquet(path: str | os.PathLike, clips: list[dict], *, batch_rows: int = BATCH_ROWS) -> int:
    """Write the clip records as a Parquet table, atomically (temporary file, fsync, rename).

    Parameters
    ----------
    path : str or PathLike
        Usually ``OUT/clips.parquet``.
    clips : list of dict
        Clip records as report.json holds them (``path``, ``metrics``, ``findings``, ``quality``,
        ``identity``, ...).
    batch_rows : int
        Clips converted at a time and written as one row group.

    Returns
    -------
    int
        The number of rows written (one per clip).

    Raises
    ------
    ImportError
        When pyarrow cannot be imported (the message says how to install it).
    """
    pa, pq = _pyarrow()
    if batch_rows < 1:
        raise ParameterError(f"batch_rows must be >= 1, got {batch_rows}")
    columns = _columns(clips)
    starts = list(range(0, len(clips), batch_rows)) or [0]
    # Convert batch by batch: only one batch of Python values exists at a time.
    arrays: dict[str, list] = {c.name: [] for c in columns}
    for start in starts:
        batch = clips[start:start + batch_rows]
        for column in columns:
            arrays[column.name].append(_convert(pa, column, [column.get(clip) for clip in batch]))
    # One type per column: cast every batch to it, or store the column as JSON text.
    fields = []
    for column in columns:
        parts = arrays[column.name]
        target = None if any(a is None for a in parts) else _unified_type(pa, parts)
        if target is None:
            column.json = True
            parts = [_convert(pa, column, [column.get(clip) for clip in clips[s:s + batch_rows]]) for s in starts]
            target = pa.string()
        elif pa.types.is_null(target):
            # Never set in any clip: numbers are the likeliest values a later scan will hold here.
            target = pa.float64() if column.group in ("metrics", "identity") else pa.string()
        arrays[column.name] = [a if a.type == target else a.cast(target) for a in parts]
        meta = {"voxaudit.group": column.group, "voxaudit.key": column.key}
        if column.json:
            meta["voxaudit.json"] = "1"
        fields.append(pa.field(column.name, target, metadata=meta))
    schema = pa.schema(fields, metadata={"voxaudit.clips_table": TABLE_VERSION,
                                         "voxaudit.n_clips": str(len(clips))})
    with atomic_path(path, suffix=".parquet") as tmp:
        with open(tmp, "wb") as fh:
            writer = pq.ParquetWriter(fh, schema, compression="zstd")
            try:
                for k, start in enumerate(starts):
                    batch = pa.record_batch([arrays[c.name][k] for c in columns], schema=schema)
                    if batch.num_rows or len(starts) == 1:
                        writer.write_batch(batch)
                    for c in columns:  # release the batch as soon as it is written
                        arrays[c.name][k] = None
            finally:
                writer.close()
            fh.flush()
            os.fsync(fh.fileno())
    return len(clips)


# -- reading --------------------------------------------------------------------------------------------

def read_clips_parquet(path: str | os.PathLike) -> list[dict]:
    """The clip records of a clips.parquet written by :func:`write_clips_parquet`, in report order.

    Raises
    ------
    ParameterError
        When the file cannot be read or is not a voxaudit clip table.
    ImportError
        When pyarrow cannot be imported.
    """
    pa, pq = _pyarrow()
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as error:
        raise ParameterError(f"cannot read clip table {str(path)!r}: {error}") from None
    meta = table.schema.metadata or {}
    if meta.get(b"voxaudit.clips_table") is None:
        raise ParameterError(f"{str(path)!r} is not a voxaudit clip table (no voxaudit.clips_table metadata)")
    plan = []
    for field in table.schema:
        fmeta = field.metadata or {}
        group = fmeta.get(b"voxaudit.group", b"").decode()
        key = fmeta.get(b"voxaudit.key", b"").decode()
        if group in ("derived", ""):
            continue  # computed from the findings (or not ours): nothing to rebuild
        plan.append((group, key, fmeta.get(b"voxaudit.json") == b"1", table.column(field.name).to_pylist()))
    absent = {key: values for group, key, _, values in plan if group == "absent"}
    records: list[dict] = []
    for row in range(table.num_rows):
        clip: dict[str, Any] = {}
        nested: dict[str, dict] = {}
        for group in ("metrics", "identity"):
            missing = absent.get(group)
            if missing is not None and missing[row] is not None:
                nested[group] = {}
        for group, key, is_json, values in plan:
            value = values[row]
            if is_json and value is not None:
                value = json.loads(value)
            if group == "clip":
                if value is not None:
                    clip[key] = value
            elif group in nested:
                if key not in (absent[group][row] or ()):
                    nested[group][key] = value
            elif group == "findings":
                if value is not None:
                    clip["findings"] = [_finding_from_row(f) for f in value]
        # report.json's key order (ClipResult.to_dict, then what write_outputs adds), the rest after.
        ordered: dict[str, Any] = {}
        for key in _RECORD_ORDER:
            if key in nested:
                ordered[key] = nested[key]
            elif key in clip:
                ordered[key] = clip.pop(key)
        ordered.update(clip)
        records.append(ordered)
    return records
