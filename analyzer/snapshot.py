"""Read, validate and write snapshot directories (CSV or Parquet tables).

A snapshot is read once into typed pandas frames: ids stay strings exactly as
written, timestamps become int64 milliseconds since the epoch (UTC; a
timestamp without an offset is taken as UTC), optional values missing in the
file become nulls. Validation is vectorised; problems are grouped by kind with
the first few locations of each kind and a total count. See docs/snapshot.md.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import columns, progress
from .display import Displayable
from .errors import DiffusionError, InputError
from .keys import first_duplicates
from .schema import CHANNELS, DOMAINS, FORMAT_VERSION, TABLES, Table
from .times import epoch_ms, timestamps_to_iso

__all__ = [
    "Problem", "ValidationReport", "Snapshot", "read_snapshot", "validate_snapshot",
    "write_snapshot", "atomic_directory",
]

Severity = Literal["error", "warning"]


@dataclass
class Problem:
    """One kind of problem in one table column, with its first locations and a total count.

    ``line`` numbers are 1-based physical lines for CSV (the header is line 1)
    and 1-based row numbers for Parquet (``location_kind`` says which).
    """

    severity: Severity
    code: str
    table: str
    file: str
    column: str | None
    message: str
    count: int = 0
    examples: list[tuple[int | None, str]] = field(default_factory=list)
    location_kind: Literal["line", "row"] = "line"

    def to_dict(self) -> dict:
        return {
            "severity": self.severity, "code": self.code, "table": self.table,
            "file": self.file, "column": self.column, "message": self.message,
            "count": self.count, "location_kind": self.location_kind,
            "examples": [{"line": ln, "value": v} for ln, v in self.examples],
        }


@dataclass(repr=False)
class ValidationReport(Displayable):
    path: str
    problems: list[Problem] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return {
            "snapshot": self.path, "ok": self.ok, "rows": dict(self.rows),
            "errors": sum(p.count for p in self.errors),
            "warnings": sum(p.count for p in self.warnings),
            "problems": [p.to_dict() for p in self.problems],
        }

    def to_frame(self) -> pd.DataFrame:
        rows = [
            {"severity": p.severity, "code": p.code, "table": p.table, "file": p.file,
             "line": ln, "column": p.column, "value": v, "message": p.message, "count": p.count}
            for p in self.problems for ln, v in (p.examples or [(None, "")])
        ]
        return pd.DataFrame(rows, columns=["severity", "code", "table", "file", "line", "column",
                                           "value", "message", "count"])


class Snapshot:
    """A valid snapshot: its tables as integer-coded Arrow columns (``columns``, see
    :mod:`analyzer.columns`), and as typed pandas frames (``tables``, ``snap[name]``),
    built from the columns on first use.

    In a frame, ids are the text as written (the rows of a reference column share the
    referenced table's string objects), timestamps nullable int64 epoch milliseconds,
    channels and domains text, numbers float64, booleans nullable. Only tables present on
    disk are there."""

    def __init__(self, path: Path, columns: dict[str, pa.Table], manifest: dict,
                 files: dict[str, Path]) -> None:
        self.path = path
        self.columns = columns
        self.manifest = manifest
        self.files = files
        self.tables = _Frames(self)
        #: (table, column) of a reference column -> row positions in the referenced table
        self.refs = _References(self)
        self._ids: dict[str, np.ndarray] = {}

    def codes(self, table: str, column: str) -> np.ndarray:
        """Row position in the referenced table (``users`` or ``products``) of every value of
        a reference column such as ``shares.sharer_id``; -1 for a null. A numpy view of the
        coded column validation made (no copy, no id lookups)."""
        col = self.columns[table].column(column)
        return columns.one_chunk(col).to_numpy()

    def values(self, table: str, column: str) -> np.ndarray:
        """A coded column as numpy, without building the frame: int64 epoch ms for times
        (:data:`~analyzer.columns.NULL_MS` for none), int8 positions in CHANNELS/DOMAINS
        for channels and domains (-1 for none), int32 codes for references."""
        return columns.as_numpy(self.columns[table].column(column))

    def has(self, table: str) -> bool:
        """Whether the snapshot holds ``table``."""
        return table in self.columns

    def rows(self, table: str) -> int:
        """How many rows ``table`` has (0 when absent)."""
        return self.columns[table].num_rows if table in self.columns else 0

    def ids(self, table: str) -> np.ndarray:
        """The id column of ``users`` or ``products`` as Python strings, in row order: the
        dictionary the codes index. One object per id, shared by every frame."""
        if table not in self._ids:
            key = TABLES[table].key[0]
            self._ids[table] = self.columns[table].column(key).to_numpy(zero_copy_only=False)
        return self._ids[table]

    def line_of(self, table: str, row: int) -> int:
        """Where row ``row`` (0-based) of ``table`` is in its file: the physical line of a
        CSV record, the 1-based row of a Parquet file. For naming a value an analysis
        refuses; it rescans a CSV file, so it is for errors, not loops."""
        path = self.files[table]
        if path.suffix.lower() == ".parquet":
            return row + 1
        starts = _scan_csv(path)
        return int(starts[row]) if starts is not None else row + 2

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def get(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    def __repr__(self) -> str:
        rows = ", ".join(f"{n}={t.num_rows}" for n, t in self.columns.items())
        return f"Snapshot({str(self.path)!r}, {rows})"

    @property
    def name(self) -> str:
        return str(self.manifest.get("name") or self.path.name)

    def _frame(self, name: str) -> pd.DataFrame:
        table, coded = TABLES[name], self.columns[name]
        frame = pd.DataFrame(index=pd.RangeIndex(coded.num_rows))
        for col in table.columns:
            if col.name not in coded.column_names:
                continue
            arr = columns.one_chunk(coded.column(col.name))
            if col.references is not None:
                frame[col.name] = _shared(self.ids(col.references[0]), arr.to_numpy(),
                                          frame.index)
            elif col.name == columns.own_id(table):
                frame[col.name] = pd.Series(self.ids(name), index=frame.index, dtype=object)
            elif col.kind in ("channel", "domain"):
                names = np.asarray(CHANNELS if col.kind == "channel" else DOMAINS, dtype=object)
                frame[col.name] = _shared(names, arr.to_numpy().astype(np.int64), frame.index)
            elif col.kind == "timestamp":
                mask = arr.is_null().to_numpy(zero_copy_only=False)
                values = arr.fill_null(0).to_numpy()
                frame[col.name] = pd.arrays.IntegerArray(values.astype(np.int64), mask)
            elif col.kind == "bool":
                frame[col.name] = pd.Series(arr.to_pandas(), index=frame.index).astype("boolean")
            elif col.kind in ("float", "probability"):
                frame[col.name] = arr.to_numpy(zero_copy_only=False).astype(np.float64)
            else:
                frame[col.name] = pd.Series(arr.to_numpy(zero_copy_only=False),
                                            index=frame.index, dtype=object)
        return frame


class _Frames(Mapping):
    """A snapshot's pandas frames, each built from its columns on first use. Assigning a
    frame replaces what that table's frame reads as (the columns stay as validated)."""

    def __init__(self, snap: Snapshot) -> None:
        self._snap = snap
        self._built: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._built:
            if name not in self._snap.columns:
                raise KeyError(name)
            self._built[name] = self._snap._frame(name)
        return self._built[name]

    def __setitem__(self, name: str, frame: pd.DataFrame) -> None:
        self._built[name] = frame

    def __iter__(self):
        return iter(self._snap.columns)

    def __len__(self) -> int:
        return len(self._snap.columns)


class _References(Mapping):
    """(table, column) -> codes, for every reference column of the snapshot."""

    def __init__(self, snap: Snapshot) -> None:
        self._snap = snap
        self._keys = [(name, col.name) for name, coded in snap.columns.items()
                      for col in TABLES[name].columns
                      if col.references and col.name in coded.column_names]

    def __getitem__(self, key: tuple[str, str]) -> np.ndarray:
        if key not in self._keys:
            raise KeyError(key)
        return self._snap.codes(*key)

    def __iter__(self):
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def _shared(values: np.ndarray, pos: np.ndarray, index: pd.Index) -> pd.Series:
    """``values[pos]`` (None where pos < 0) as an object column whose rows share the string
    objects of ``values``: 8 bytes a row instead of a string object each."""
    out = np.full(len(pos), None, dtype=object)
    hit = pos >= 0
    out[hit] = values[pos[hit]]
    return pd.Series(out, index=index, dtype=object)


class _Collector:
    """Accumulates problems by (severity, code, table, column), keeping a few examples."""

    def __init__(self, report: ValidationReport, max_examples: int) -> None:
        self.report, self.max_examples = report, max_examples
        self._index: dict[tuple, Problem] = {}

    def add(self, severity: Severity, code: str, table: str, file: str, column: str | None,
            message: str, lines: np.ndarray | list | None = None,
            values: list[str] | None = None, count: int | None = None,
            location_kind: Literal["line", "row"] = "line") -> None:
        key = (severity, code, table, column, message)
        p = self._index.get(key)
        if p is None:
            p = Problem(severity, code, table, file, column, message, location_kind=location_kind)
            self._index[key] = p
            self.report.problems.append(p)
        if lines is None:
            p.count += 1 if count is None else count
            if len(p.examples) < self.max_examples:
                p.examples.append((None, ""))
            return
        lines = list(lines)
        values = values if values is not None else [""] * len(lines)
        p.count += len(lines) if count is None else count
        room = self.max_examples - len(p.examples)
        for ln, v in list(zip(lines, values))[: max(room, 0)]:
            p.examples.append((int(ln) if ln is not None else None, str(v)))


# --------------------------------------------------------------------------- reading


def _table_files(root: Path) -> tuple[dict[str, Path], list[tuple[str, str]]]:
    found: dict[str, Path] = {}
    clashes: list[tuple[str, str]] = []
    for name in TABLES:
        candidates = [root / f"{name}.csv", root / f"{name}.parquet"]
        present = [c for c in candidates if c.is_file()]
        if len(present) > 1:
            clashes.append((name, " and ".join(p.name for p in present)))
        if present:
            found[name] = present[0]
    return found, clashes


_SCAN_CHUNK = 64 << 20


def _scan_csv(path: Path) -> np.ndarray | None:
    """Check every record's structure before pandas reads the file, since its parser is
    lenient: a short row is padded with empty fields, and text after a closing quote joins
    the field (``"u1,"18-24"`` is one id). Raises InputError at the physical line of the first
    record with another number of fields than the header, or with broken quoting.

    Returns each data record's physical start line where they are not simply 2, 3, ...
    (blank lines, which pandas skips, or quoted fields spanning lines); else None."""
    with open(path, "rb") as fh:
        head = fh.read(_SCAN_CHUNK)
        quoted = b'"' in head
        while not quoted:
            block = fh.read(_SCAN_CHUNK)
            if not block:
                break
            quoted = b'"' in block
    if not head.strip():
        raise pd.errors.EmptyDataError("empty")
    return _scan_quoted(path) if quoted else _scan_plain(path)


def _scan_plain(path: Path) -> np.ndarray | None:
    """A file without quotes: a record is a line, its fields are its commas plus one."""
    width = None
    blank_lines: list[np.ndarray] = []
    line0 = 1  # physical number of the first line in the current chunk
    with open(path, "rb") as fh:
        rest = b""
        while True:
            block = fh.read(_SCAN_CHUNK)
            data = rest + block
            if not block:
                if not data:
                    break
                if not data.endswith(b"\n"):
                    data += b"\n"
                rest = b""
            else:
                cut = data.rfind(b"\n") + 1
                data, rest = data[:cut], data[cut:]
                if not data:
                    continue
            buf = np.frombuffer(data, dtype=np.uint8)
            ends = np.flatnonzero(buf == 10)
            begins = np.concatenate(([0], ends[:-1] + 1))
            commas = np.searchsorted(np.flatnonzero(buf == 44), ends)
            fields = np.diff(np.concatenate(([0], commas))) + 1
            length = ends - begins - (buf[np.maximum(ends - 1, 0)] == 13)
            blank = length <= 0
            if width is None:
                width = int(fields[0])
                if blank[0]:
                    raise InputError("the header row is empty", file=str(path), line=1)
            wrong = np.flatnonzero(~blank & (fields != width))
            if len(wrong):
                at = int(wrong[0])
                raise InputError(f"the row on line {line0 + at} has {int(fields[at])} "
                                 f"field(s), the header {width}", file=str(path),
                                 line=line0 + at)
            if blank.any():
                blank_lines.append(line0 + np.flatnonzero(blank))
            line0 += len(ends)
            if not block:
                break
    if not blank_lines:
        return None
    total = line0 - 1
    keep = np.ones(total + 1, dtype=bool)
    keep[:2] = False  # no line 0; line 1 is the header
    keep[np.concatenate(blank_lines)] = False
    return np.flatnonzero(keep)


def _scan_quoted(path: Path) -> np.ndarray | None:
    """A file with quotes: Python's csv reader in strict mode, which refuses text after a
    closing quote (as neo4j-admin import does), walked once."""
    starts: list[int] = []
    simple = True
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            raise pd.errors.EmptyDataError("empty") from None
        except csv.Error as exc:
            raise InputError(f"malformed CSV: {exc}", file=str(path), line=reader.line_num
                             ) from exc
        width = len(header)
        prev_end = reader.line_num
        while True:
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise InputError(f"malformed CSV on line {prev_end + 1}: {exc} (text after a "
                                 f"closing quote, or a quote left open)", file=str(path),
                                 line=prev_end + 1) from exc
            start = prev_end + 1
            prev_end = reader.line_num
            if not record:  # a blank line: pandas skips it too
                simple = False
                continue
            if len(record) != width:
                raise InputError(f"the row on line {start} has {len(record)} field(s), the "
                                 f"header {width}", file=str(path), line=start)
            if prev_end != start or start != len(starts) + 2:
                simple = False
            starts.append(start)
    return None if simple else np.asarray(starts, dtype=np.int64)


def _read_manifest(root: Path, out: _Collector) -> dict:
    path = root / "snapshot.json"
    if not path.is_file():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        out.add("error", "bad-manifest", "snapshot.json", str(path), None,
                f"not valid JSON: {exc}", [line])
        return {}
    if not isinstance(manifest, dict):
        out.add("error", "bad-manifest", "snapshot.json", str(path), None,
                "must be a JSON object", [1])
        return {}
    version = manifest.get("format_version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        out.add("error", "bad-manifest", "snapshot.json", str(path), "format_version",
                f"unsupported format_version {version!r}; this tool reads {FORMAT_VERSION}", [1])
    if "taken_at" in manifest and pd.isna(pd.to_datetime(manifest["taken_at"], errors="coerce",
                                                          utc=True, format="ISO8601")):
        out.add("error", "bad-manifest", "snapshot.json", str(path), "taken_at",
                "not an ISO 8601 timestamp", [1])
    return manifest


def validate_snapshot(path: str | os.PathLike, *, max_examples: int = 10
                      ) -> tuple[Snapshot | None, ValidationReport]:
    """Read and check a snapshot directory (DuckDB reads the files and runs the checks).

    Returns the snapshot (``None`` when there are errors) and the report.
    Never raises for problems in the data; raises :class:`InputError` only when
    ``path`` is not a directory.
    """
    root = Path(path)
    if not root.is_dir():
        raise InputError("snapshot directory does not exist", file=str(root))
    report = ValidationReport(str(root))
    out = _Collector(report, max_examples)
    manifest = _read_manifest(root, out)
    files, clashes = _table_files(root)
    for name, both in clashes:
        out.add("error", "ambiguous-table", name, str(root), None,
                f"both {both} exist; keep one format per table", [None])
    for name, table in TABLES.items():
        if table.required and name not in files:
            out.add("error", "missing-table", name, str(root / f"{name}.csv"), None,
                    f"required table {name} is missing (expected {name}.csv or {name}.parquet)",
                    [None])
    known = {f"{n}.{ext}" for n in TABLES for ext in ("csv", "parquet")} | {"snapshot.json",
                                                                            "ground_truth.json"}
    for entry in sorted(root.iterdir()):
        if entry.is_file() and entry.suffix in (".csv", ".parquet") and entry.name not in known:
            out.add("warning", "unknown-table", entry.stem, str(entry), None,
                    "not a table of the snapshot contract; ignored", [None])

    con = columns.connect()
    try:
        coded = _check_tables(con, files, out, report, max_examples)
    finally:
        con.close()
    report.problems.sort(key=lambda p: (p.severity != "error", list(TABLES).index(p.table)
                                        if p.table in TABLES else -1))
    if not report.ok:
        return None, report
    return Snapshot(root, coded, manifest, files), report


def _scan_checked(path: Path) -> np.ndarray | None:
    try:
        return _scan_csv(path)
    except pd.errors.EmptyDataError as exc:
        raise InputError("file is empty; a header row is required", file=str(path),
                         line=1) from exc


def _check_tables(con, files: dict[str, Path], out: _Collector, report: ValidationReport,
                  max_examples: int) -> dict[str, pa.Table]:
    """Every table's value checks, duplicates and references; the coded columns."""
    dictionaries: dict[str, str | None] = dict.fromkeys(columns.ID_SPACES)
    coded: dict[str, pa.Table] = {}
    sources: dict[str, columns.TableSource] = {}
    dangling: list[tuple[str, str, np.ndarray, list[str], int]] = []
    total = len(files)
    progress.report("check tables", 0, total)
    for done, (name, file) in enumerate(files.items(), start=1):
        table = TABLES[name]
        try:
            src = columns.open_source(con, name, file, _scan_checked)
        except InputError as exc:
            out.add("error", "unreadable-file", name, str(file), None, str(exc).split(": ", 1)[-1],
                    [exc.line])
            continue
        loc = src.location_kind
        report.rows[name] = src.rows
        missing = [c for c in table.required_columns if c not in src.types]
        for c in missing:
            out.add("error", "missing-column", name, str(file), c,
                    f"required column {c!r} is missing from the header",
                    [1 if loc == "line" else None], location_kind=loc)
        for c in src.types:
            if c not in table.column_names:
                out.add("warning", "unknown-column", name, str(file), str(c),
                        "not a column of this table; ignored", [1 if loc == "line" else None],
                        location_kind=loc)
        if missing:
            continue
        found = columns.check_table(con, src, table, dictionaries, max_examples)
        columns.release_memory()
        for f in found.findings:
            out.add("error", f.code, name, str(file), f.column, f.message, src.lines(f.rows),
                    f.values, count=f.count, location_kind=loc)
        if found.dictionary is not None:
            dictionaries[name] = found.dictionary
        cols = found.columns
        _check_duplicates(con, table, src, cols, out)
        if name in SELF_PAIRS:
            _check_self_pairs(con, name, src, cols, out)
        for col_name, (rows, values, count) in found.dangling.items():
            dangling.append((name, col_name, rows, values, count))
        coded[name] = cols
        sources[name] = src
        progress.report("check tables", done, total)
    progress.report("check tables", total, total)
    for name, col_name, rows, values, count in dangling:
        ref = TABLES[name].column(col_name).references
        assert ref is not None  # only reference columns dangle
        rt, rc = ref
        target = f"{rt}.{rc}" if rt in coded else f"{rt}.{rc} ({rt} table is absent)"
        src = sources[name]
        out.add("error", "dangling-reference", name, str(src.path), col_name,
                f"unknown id, not in {target}", src.lines(rows[:max_examples]), values,
                count=count, location_kind=src.location_kind)
    _check_purchase_exposure(con, coded, sources, out)
    return coded  # one chunk per column (check_table), so numpy views need no copy


def _key_arrays(table: Table, cols: pa.Table) -> tuple[np.ndarray, ...]:
    keys = []
    for k in table.key:
        arr = columns.one_chunk(cols.column(k))
        if arr.null_count:
            keys.append(arr.fill_null(columns.NULL_MS).to_numpy())
        else:
            keys.append(arr.to_numpy())
    return tuple(keys)


def _check_duplicates(con, table: Table, src: columns.TableSource, cols: pa.Table,
                      out: _Collector) -> None:
    if not table.key or any(k not in cols.column_names for k in table.key):
        return
    if columns.own_id(table):  # users, products: ids are text, in their dictionary
        rows, firsts = columns.own_duplicates(con, src, table)
    else:
        if not cols.num_rows:
            return
        dup, first = first_duplicates(_key_arrays(table, cols), undirected=table.undirected)
        rows, firsts = dup + 1, first + 1
    if not len(rows):
        return
    what = "pair" if table.undirected else ("id" if len(table.key) == 1 else "row")
    shown = src.lines(firsts[: out.max_examples])
    names = ",".join(table.key)
    out.add("error", f"duplicate-{what}", table.name, str(src.path), names,
            f"duplicate {what} ({names})" + (" in either order" if table.undirected else ""),
            src.lines(rows[: out.max_examples]), [f"duplicate of line {ln}" for ln in shown],
            count=len(rows), location_kind=src.location_kind)


#: Tables whose two user columns may not name one user: the columns, the finding's
#: code and its message.
SELF_PAIRS = {
    "friendships": ("user_a", "user_b", "self-friendship", "a user cannot be their own friend"),
    "follows": ("follower_id", "followee_id", "self-follow", "a user cannot follow themself"),
}


def _check_self_pairs(con, name: str, src: columns.TableSource, cols: pa.Table,
                      out: _Collector) -> None:
    first, second, code, message = SELF_PAIRS[name]
    a = columns.one_chunk(cols.column(first)).to_numpy()
    b = columns.one_chunk(cols.column(second)).to_numpy()
    rows = np.flatnonzero((a == b) & (a != -1)) + 1
    if len(rows):
        values = columns.texts_at(con, src, TABLES[name].column(second),
                                  rows[: out.max_examples])
        out.add("error", code, name, str(src.path), second, message,
                src.lines(rows[: out.max_examples]), values, count=len(rows),
                location_kind=src.location_kind)


def _check_purchase_exposure(con, coded: dict[str, pa.Table],
                             sources: dict[str, columns.TableSource], out: _Collector) -> None:
    """Warn where a purchase has no exposure of that user to that product at or before it."""
    pur, exp = coded.get("purchases"), coded.get("exposures")
    if pur is None or exp is None or not pur.num_rows:
        return
    con.register("_purchases", pur.append_column("_row", pa.array(
        np.arange(1, pur.num_rows + 1))))
    con.register("_exposures", exp)
    try:
        early = con.execute(
            "WITH first AS (SELECT e.user_id, e.product_id, min(e.\"at\") AS first_at "
            "FROM _exposures AS e SEMI JOIN _purchases AS p "
            "ON e.user_id = p.user_id AND e.product_id = p.product_id GROUP BY ALL) "
            "SELECT p._row FROM _purchases AS p LEFT JOIN first AS f "
            "ON f.user_id = p.user_id AND f.product_id = p.product_id "
            "WHERE f.first_at IS NULL OR f.first_at > p.\"at\" ORDER BY p._row"
        ).fetchnumpy()["_row"]
    finally:
        con.unregister("_purchases")
        con.unregister("_exposures")
    if not len(early):
        return
    src = sources["purchases"]
    shown = np.asarray(early[: out.max_examples], dtype=np.int64)
    users = columns.texts_at(con, src, TABLES["purchases"].column("user_id"), shown)
    products = columns.texts_at(con, src, TABLES["purchases"].column("product_id"), shown)
    out.add("warning", "purchase-before-exposure", "purchases", str(src.path), "at",
            "purchase with no exposure of this user to this product at or before it",
            src.lines(shown), [f"{u}/{p}" for u, p in zip(users, products)], count=len(early),
            location_kind=src.location_kind)


def read_snapshot(path: str | os.PathLike) -> Snapshot:
    """Read a snapshot, raising :class:`InputError` (naming file, line, field) if it is invalid."""
    snap, report = validate_snapshot(path)
    if snap is None:
        p = report.errors[0]
        line = p.examples[0][0] if p.examples else None
        more = sum(e.count for e in report.errors) - 1
        tail = f" (and {more} more error(s); run `diffusion validate` for all)" if more else ""
        raise InputError(p.message + tail, file=p.file, line=line, field=p.column)
    return snap


# --------------------------------------------------------------------------- writing


def _for_disk(table: Table, frame: pd.DataFrame, fmt: str) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for col in table.columns:
        if col.name not in frame.columns:
            continue
        s = frame[col.name]
        if not col.required and s.isna().all():
            continue  # optional columns with no values are left out
        if col.kind == "timestamp":
            s = timestamps_to_iso(epoch_ms(s, f"{table.name}.{col.name}"))
        out[col.name] = s
    return out


@contextmanager
def atomic_directory(target: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary directory beside ``target`` that replaces it only on success.

    Nothing half-written is ever left at ``target``: on any exception the
    temporary directory is removed and ``target`` is untouched.
    """
    target = Path(target)
    occupied = target.exists() and (not target.is_dir() or any(target.iterdir()))
    if occupied and not overwrite:
        raise InputError("output already exists; choose a new directory or pass --overwrite",
                         file=str(target))
    if occupied:
        _check_replaceable(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        raise _write_error(target, exc) from exc
    try:
        yield tmp
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if _disk_full(exc):
            raise _write_error(target, exc) from exc
        raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if target.exists():
        shutil.rmtree(target)
    os.replace(tmp, target)


#: What a snapshot folder may hold besides its tables (generate writes the ground truth).
_SNAPSHOT_EXTRAS = {"snapshot.json", "ground_truth.json"}


def _check_replaceable(target: Path) -> None:
    """--overwrite replaces a snapshot, never anything else: the folder must hold a users
    table or a snapshot.json, and only table files (.csv, .parquet) and those extras."""
    if not target.is_dir():
        raise InputError("--overwrite replaces a snapshot folder, and this is a file; "
                         "nothing was changed", file=str(target))
    entries = list(target.iterdir())
    names = {e.name for e in entries}
    looks = bool(names & {"snapshot.json", "users.csv", "users.parquet"})
    strangers = sorted(e.name for e in entries
                       if e.is_dir() or (e.name not in _SNAPSHOT_EXTRAS
                                         and e.suffix not in (".csv", ".parquet")))
    if not looks or strangers:
        what = (f"it holds {', '.join(strangers[:5])}" + (" ..." if len(strangers) > 5 else "")
                if strangers else "it has no users table and no snapshot.json")
        raise InputError(f"--overwrite replaces only a snapshot folder, and this is not one "
                         f"({what}); nothing was changed. Choose another OUT or empty it "
                         f"yourself", file=str(target))


def _disk_full(exc: OSError) -> bool:
    import errno

    return exc.errno in (errno.ENOSPC, errno.EDQUOT) or "No space left on device" in str(exc)


def _write_error(target: Path, exc: OSError) -> DiffusionError:
    if _disk_full(exc):
        return DiffusionError(f"{target}: no space left on the device while writing; nothing "
                              f"was written (free some space and run it again)")
    return DiffusionError(f"{target}: cannot write ({exc.strerror or exc}); nothing was "
                          f"written")


def write_snapshot(tables: dict[str, pd.DataFrame], out: str | os.PathLike, *,
                   fmt: Literal["csv", "parquet"] = "csv", manifest: dict | None = None,
                   overwrite: bool = False) -> Path:
    """Write typed tables (as produced by :func:`validate_snapshot`) to a new snapshot directory."""
    with atomic_directory(out, overwrite=overwrite) as tmp:
        for name, frame in tables.items():
            table = TABLES[name]
            disk = _for_disk(table, frame, fmt)
            if fmt == "csv":
                disk.to_csv(tmp / f"{name}.csv", index=False, encoding="utf-8",
                            lineterminator="\n")
            else:
                pq.write_table(pa.Table.from_pandas(disk, preserve_index=False),
                               tmp / f"{name}.parquet")
        doc = {"format_version": FORMAT_VERSION, **(manifest or {})}
        (tmp / "snapshot.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n",
                                           encoding="utf-8")
    return Path(out)
