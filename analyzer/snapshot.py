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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import progress
from .arrays import find_sorted
from .display import Displayable
from .errors import DiffusionError, InputError
from .schema import CHANNELS, DOMAINS, FORMAT_VERSION, TABLES, Column, Table

__all__ = [
    "Problem", "ValidationReport", "Snapshot", "read_snapshot", "validate_snapshot",
    "write_snapshot", "atomic_directory", "timestamps_to_iso",
]

Severity = Literal["error", "warning"]
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


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


@dataclass
class Snapshot:
    """Typed tables of a valid snapshot. Only tables present on disk are in ``tables``."""

    path: Path
    tables: dict[str, pd.DataFrame]
    manifest: dict
    files: dict[str, Path]
    #: (table, column) of a reference column -> row positions in the referenced table
    refs: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, repr=False)

    def codes(self, table: str, column: str) -> np.ndarray:
        """Row position in the referenced table (``users`` or ``products``) of every value of
        a reference column such as ``shares.sharer_id``; -1 for a null. Validation computes
        them while it checks the references, so analyses can work on integers."""
        key = (table, column)
        if key not in self.refs:
            rt, rc = TABLES[table].column(column).references
            self.refs[key] = _positions(_id_index(self.tables[rt], rc),
                                        self.tables[table][column])
        return self.refs[key]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def get(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    @property
    def name(self) -> str:
        return str(self.manifest.get("name") or self.path.name)


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


def _read_raw(path: Path, table: Table
              ) -> tuple[pd.DataFrame, Literal["line", "row"], np.ndarray]:
    """Read a table as strings (CSV) or native types (Parquet), with the location of each
    row: its physical start line (CSV; the header is line 1) or its 1-based row number
    (Parquet). Raises InputError, located, on damage."""
    if path.suffix == ".parquet":
        try:
            frame = pq.read_table(path).to_pandas()
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"cannot read Parquet file: {exc}", file=str(path)) from exc
        return frame, "row", np.arange(1, len(frame) + 1)
    try:
        starts = _scan_csv(path)
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[],
                            encoding="utf-8", engine="c")
    except UnicodeDecodeError as exc:
        raise InputError("not valid UTF-8", file=str(path), line=_first_bad_utf8_line(path)) from exc
    except pd.errors.EmptyDataError as exc:
        raise InputError("file is empty; a header row is required", file=str(path), line=1) from exc
    except pd.errors.ParserError as exc:
        raise InputError(f"malformed CSV: {exc}".replace("\n", " ").strip(),
                         file=str(path)) from exc
    if starts is None:
        starts = np.arange(2, len(frame) + 2)
    if len(starts) != len(frame):  # the scan and the parser disagree: trust neither
        raise InputError(f"malformed CSV: {len(frame)} rows parsed but {len(starts)} records "
                         f"found", file=str(path))
    return frame, "line", starts


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


def _first_bad_utf8_line(path: Path) -> int | None:
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


def _is_text(s: pd.Series) -> bool:
    return s.dtype == object or pd.api.types.is_string_dtype(s.dtype)


def _nulls(s: pd.Series) -> pd.Series:
    if _is_text(s):
        return s.isna() | (s.astype("string").str.len() == 0)
    return s.isna()


def _as_text(s: pd.Series) -> pd.Series:
    if s.dtype == object:
        return s
    return s.astype("string").astype(object)


def _shared(values: np.ndarray, pos: np.ndarray, index: pd.Index) -> pd.Series:
    """``values[pos]`` (None where pos < 0) as an object column whose rows share the string
    objects of ``values``: 8 bytes a row instead of a string object each (a 1M-user snapshot
    has 24M exposure rows, each with three ids, a channel and a domain)."""
    out = np.full(len(pos), None, dtype=object)
    hit = pos >= 0
    out[hit] = values[pos[hit]]
    return pd.Series(out, index=index, dtype=object)


def _convert_column(col: Column, raw: pd.Series, table: Table, file: str, lines: np.ndarray,
                    out: _Collector, loc: Literal["line", "row"]) -> pd.Series:
    null = _nulls(raw).to_numpy()
    if col.required and null.any():
        idx = np.flatnonzero(null)
        out.add("error", "missing-value", table.name, file, col.name,
                "required value is empty", lines[idx], location_kind=loc)
    kind = col.kind
    present = ~null

    def bad(mask: np.ndarray, code: str, message: str) -> None:
        idx = np.flatnonzero(mask)
        if len(idx):
            vals = _as_text(raw.iloc[idx[: out.max_examples]]).tolist()
            out.add("error", code, table.name, file, col.name, message, lines[idx], vals,
                    location_kind=loc)

    if kind in ("id", "text"):
        s = _as_text(raw).where(present, None)
        return s
    if kind in ("float", "probability"):
        num = pd.to_numeric(raw.where(present, None), errors="coerce").astype("float64")
        bad(present & num.isna().to_numpy(), "bad-number", "not a number")
        if kind == "probability":
            bad(present & ((num < 0) | (num > 1)).to_numpy(), "bad-probability",
                "probability must be between 0 and 1")
        else:
            bad(present & (num < 0).to_numpy(), "negative-number", "must not be negative")
        return num
    if kind == "timestamp":
        if pd.api.types.is_datetime64_any_dtype(raw.dtype):
            ts = raw.dt.tz_localize("UTC") if raw.dt.tz is None else raw.dt.tz_convert("UTC")
        else:
            text = _as_text(raw).where(present, None)
            ts = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
        bad(present & ts.isna().to_numpy(), "bad-timestamp",
            "not an ISO 8601 timestamp (e.g. 2024-05-01T12:30:00+08:00)")
        ms = ts.astype("datetime64[ms, UTC]").astype("int64")
        return pd.Series(ms, index=raw.index).where(~ts.isna(), None).astype("Int64")
    if kind in ("channel", "domain"):
        allowed = CHANNELS if kind == "channel" else DOMAINS
        s = _as_text(raw)
        bad(present & ~s.isin(allowed).to_numpy(), f"unknown-{kind}",
            f"unknown {kind}; expected one of: {', '.join(allowed)}")
        codes, uniques = pd.factorize(s.where(present, None))
        return _shared(np.asarray(uniques, dtype=object), codes, raw.index)
    if kind == "bool":
        if pd.api.types.is_bool_dtype(raw.dtype):
            return raw.astype("boolean")
        low = _as_text(raw).str.lower()
        ok_t, ok_f = low.isin(_TRUE), low.isin(_FALSE)
        bad(present & ~(ok_t | ok_f).to_numpy(), "bad-bool", "expected true or false")
        return pd.Series(np.where(ok_t, True, np.where(ok_f, False, None)),
                         index=raw.index).astype("boolean")
    raise AssertionError(kind)


def _check_duplicates(table: Table, frame: pd.DataFrame, file: str, lines: np.ndarray,
                      out: _Collector, loc: Literal["line", "row"],
                      codes: dict[str, np.ndarray] | None = None) -> None:
    """``codes``: row positions already found for some key columns (all resolved); equal
    ids have equal positions, so the test runs on integers instead of id text."""
    if not table.key or any(k not in frame.columns for k in table.key):
        return
    codes = codes or {}
    if not table.undirected:
        keys = pd.DataFrame({k: codes[k] if k in codes else frame[k] for k in table.key},
                            index=frame.index)
    elif all(k in codes for k in table.key):
        a, b = codes[table.key[0]], codes[table.key[1]]
        keys = pd.DataFrame({"lo": np.minimum(a, b), "hi": np.maximum(a, b)}, index=frame.index)
    else:
        # a missing endpoint (reported as missing-value) compares as empty text, not None
        a = frame[table.key[0]].astype(object).where(frame[table.key[0]].notna(), "")
        b = frame[table.key[1]].astype(object).where(frame[table.key[1]].notna(), "")
        lo = np.where(a.to_numpy() <= b.to_numpy(), a, b) if len(a) else a
        hi = np.where(a.to_numpy() <= b.to_numpy(), b, a) if len(a) else b
        keys = pd.DataFrame({"lo": lo, "hi": hi}, index=frame.index)
    dup = keys.duplicated(keep="first").to_numpy()
    if not dup.any():
        return
    group = keys.groupby(list(keys.columns), dropna=False, sort=False).ngroup().to_numpy()
    first_pos = pd.Series(np.arange(len(keys))).groupby(group).transform("min").to_numpy()
    idx = np.flatnonzero(dup)
    what = "pair" if table.undirected else ("id" if len(table.key) == 1 else "row")
    values = [f"duplicate of line {lines[first_pos[i]]}" for i in idx[: out.max_examples]]
    cols = ",".join(table.key)
    out.add("error", f"duplicate-{what}", table.name, file, cols,
            f"duplicate {what} ({cols})" + (" in either order" if table.undirected else ""),
            lines[idx], values, location_kind=loc)


def _id_index(frame: pd.DataFrame, column: str) -> pd.Index:
    """A table's ids as an index of Python objects (pandas 3 would infer Arrow strings,
    whose lookups by Python strings convert the whole index on every call)."""
    return pd.Index(frame[column].to_numpy(dtype=object), dtype=object)


def _positions(index: pd.Index, values: pd.Series) -> np.ndarray:
    """Position of each value in a unique index (-1 when absent or null), as int32 when it fits."""
    pos = index.get_indexer(values.to_numpy(dtype=object))
    return pos.astype(np.int32) if len(index) < 2**31 else pos


def _resolve_references(name: str, frame: pd.DataFrame, typed: dict, refs: dict,
                        indexes: dict) -> None:
    """Row positions of a table's reference columns, when the referenced table (read
    before it: users and products come first) has unique ids; -1 for unknown or null.
    ``indexes`` keeps each referenced id index, so its hash table is built once."""
    for col in TABLES[name].columns:
        if col.references is None or col.name not in frame.columns or (name, col.name) in refs:
            continue
        rt, rc = col.references
        ref = typed.get(rt)
        if ref is None or rc not in ref.columns:
            continue
        if (rt, rc) not in indexes:
            indexes[(rt, rc)] = _id_index(ref, rc)
        index = indexes[(rt, rc)]
        if index.is_unique and not index.hasnans:
            pos = _positions(index, frame[col.name])
            refs[(name, col.name)] = pos
            if frame[col.name].notna().sum() == (pos >= 0).sum():  # every id known: share
                frame[col.name] = _shared(index.to_numpy(), pos, frame.index)  # the strings


def _check_references(snap_tables: dict[str, pd.DataFrame], meta: dict, out: _Collector,
                      refs: dict, indexes: dict) -> None:
    """Dangling references are errors. Columns are checked on their row positions
    (``_resolve_references``, mostly done as each table was read); where the referenced
    ids are not unique, or their table is absent, on the ids themselves."""
    for name, frame in snap_tables.items():
        table = TABLES[name]
        file, lines, loc = meta[name]
        _resolve_references(name, frame, snap_tables, refs, indexes)
        for col in table.columns:
            if col.references is None or col.name not in frame.columns:
                continue
            rt, rc = col.references
            s = frame[col.name]
            if (name, col.name) in refs:
                dangling = s.notna().to_numpy() & (refs[(name, col.name)] < 0)
            else:
                index = indexes.get((rt, rc), pd.Index([], dtype=object))
                dangling = (s.notna() & ~s.isin(index.dropna())).to_numpy()
            if dangling.any():
                idx = np.flatnonzero(dangling)
                target = f"{rt}.{rc}" if rt in snap_tables else f"{rt}.{rc} ({rt} table is absent)"
                out.add("error", "dangling-reference", name, file, col.name,
                        f"unknown id, not in {target}", lines[idx],
                        s.iloc[idx[: out.max_examples]].tolist(), location_kind=loc)


def _check_self_friendships(frame: pd.DataFrame, file: str, lines: np.ndarray, out: _Collector,
                            loc: Literal["line", "row"]) -> None:
    if not {"user_a", "user_b"} <= set(frame.columns):
        return
    selfie = (frame["user_a"] == frame["user_b"]).to_numpy()
    if selfie.any():
        idx = np.flatnonzero(selfie)
        out.add("error", "self-friendship", "friendships", file, "user_b",
                "a user cannot be their own friend", lines[idx],
                frame["user_a"].iloc[idx[: out.max_examples]].tolist(), location_kind=loc)


def _early_purchases_by_codes(tables: dict[str, pd.DataFrame], refs: dict) -> np.ndarray | None:
    """The purchase-before-exposure test on the row positions validation found (integers
    instead of id text); None when some id did not resolve or an exposure has no time."""
    keys = [("purchases", "user_id"), ("purchases", "product_id"), ("exposures", "user_id"),
            ("exposures", "product_id")]
    if any(k not in refs or (refs[k] < 0).any() for k in keys) or tables["exposures"][
            "at"].isna().any():
        return None
    n_users = max(len(tables["users"]), 1)
    ek = refs[("exposures", "product_id")].astype(np.int64) * n_users + refs[
        ("exposures", "user_id")]
    pk = refs[("purchases", "product_id")].astype(np.int64) * n_users + refs[
        ("purchases", "user_id")]
    order = np.argsort(ek, kind="stable")
    ek = ek[order]
    at = tables["exposures"]["at"].to_numpy(dtype=np.int64)[order]
    if len(ek) == 0:
        return np.ones(len(pk), dtype=bool)
    starts = np.flatnonzero(np.r_[True, ek[1:] != ek[:-1]])
    first = np.minimum.reduceat(at, starts)
    pos = find_sorted(ek[starts], pk)
    bought = tables["purchases"]["at"].to_numpy(dtype=float, na_value=np.nan)
    return (pos < 0) | (first[np.maximum(pos, 0)] > bought)


def _check_purchase_exposure(tables: dict[str, pd.DataFrame], meta: dict, out: _Collector,
                             refs: dict | None = None) -> None:
    """Warn where a purchase has no exposure of that user to that product at or before it."""
    pur, exp = tables.get("purchases"), tables.get("exposures")
    if pur is None or exp is None or pur.empty:
        return
    early = _early_purchases_by_codes(tables, refs or {})
    if early is None:  # ids not all resolved, or times missing: compare the ids themselves
        first = exp.groupby(["user_id", "product_id"], sort=False)["at"].min().rename(
            "first_exposure")
        merged = pur.join(first, on=["user_id", "product_id"])
        early = (merged["first_exposure"].isna() | (merged["first_exposure"] > merged["at"]))
        early = early.fillna(False).to_numpy(dtype=bool)
    if early.any():
        file, lines, loc = meta["purchases"]
        idx = np.flatnonzero(early)
        vals = [f"{u}/{p}" for u, p in pur[["user_id", "product_id"]].iloc[idx[:out.max_examples]]
                .itertuples(index=False)]
        out.add("warning", "purchase-before-exposure", "purchases", file, "at",
                "purchase with no exposure of this user to this product at or before it",
                lines[idx], vals, location_kind=loc)


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
    """Read and check a snapshot directory.

    Returns the typed snapshot (``None`` when there are errors) and the report.
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

    typed: dict[str, pd.DataFrame] = {}
    meta: dict[str, tuple[str, np.ndarray, Literal["line", "row"]]] = {}
    refs: dict[tuple[str, str], np.ndarray] = {}
    indexes: dict[tuple[str, str], pd.Index] = {}
    total, done = len(files), 0
    progress.report("check tables", 0, total)
    for name, file in files.items():
        table = TABLES[name]
        done += 1
        try:
            raw, loc, lines = _read_raw(file, table)
        except InputError as exc:
            out.add("error", "unreadable-file", name, str(file), None, str(exc).split(": ", 1)[-1],
                    [exc.line])
            continue
        report.rows[name] = len(raw)
        missing = [c for c in table.required_columns if c not in raw.columns]
        for c in missing:
            out.add("error", "missing-column", name, str(file), c,
                    f"required column {c!r} is missing from the header", [1 if loc == "line" else None],
                    location_kind=loc)
        for c in raw.columns:
            if c not in table.column_names:
                out.add("warning", "unknown-column", name, str(file), str(c),
                        "not a column of this table; ignored", [1 if loc == "line" else None],
                        location_kind=loc)
        if missing:
            continue
        frame = pd.DataFrame(index=raw.index)
        for col in table.columns:
            if col.name in raw.columns:
                frame[col.name] = _convert_column(col, raw[col.name], table, str(file), lines,
                                                  out, loc)
        typed[name] = frame
        meta[name] = (str(file), lines, loc)
        _resolve_references(name, frame, typed, refs, indexes)
        _check_duplicates(table, frame, str(file), lines, out, loc,
                          {k: refs[(name, k)] for k in table.key
                           if (name, k) in refs and (refs[(name, k)] >= 0).all()})
        if name == "friendships":
            _check_self_friendships(frame, str(file), lines, out, loc)
        progress.report("check tables", done, total)
    progress.report("check tables", total, total)
    _check_references(typed, meta, out, refs, indexes)
    _check_purchase_exposure(typed, meta, out, refs)
    report.problems.sort(key=lambda p: (p.severity != "error", list(TABLES).index(p.table)
                                        if p.table in TABLES else -1))
    if not report.ok:
        return None, report
    return Snapshot(root, typed, manifest, files, refs), report


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


def utc_times(ms) -> pd.Series:
    """int64 epoch milliseconds (nullable) to ``datetime64[ms, UTC]``, missing as NaT."""
    return pd.to_datetime(pd.Series(ms, dtype="Int64").astype("Float64"), unit="ms",
                          utc=True).dt.as_unit("ms")


def timestamps_to_iso(ms: pd.Series) -> pd.Series:
    """int64 epoch milliseconds (nullable) to ISO 8601 UTC text, e.g. ``2024-05-01T04:30:00Z``."""
    ts = utc_times(ms)
    text = ts.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ").str.replace(r"\.(\d{3})\d{3}Z$", r".\1Z",
                                                                  regex=True)
    text = text.str.replace(".000Z", "Z", regex=False)
    return text.where(ms.notna(), None)


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


def epoch_ms(s: pd.Series, what: str = "time") -> pd.Series:
    """Times as nullable epoch milliseconds: from epoch-ms integers (as validation makes
    them), ``datetime64`` (naive is UTC), ``pandas.Timestamp``/``datetime`` values or ISO
    8601 text. Raises InputError naming ``what`` for anything else."""
    if pd.api.types.is_integer_dtype(s.dtype):
        return s.astype("Int64")
    if not pd.api.types.is_datetime64_any_dtype(s.dtype):
        try:
            s = pd.to_datetime(s, utc=True, format="ISO8601") if s.map(
                lambda v: isinstance(v, str)).any() else pd.to_datetime(s, utc=True)
        except (ValueError, TypeError) as exc:
            raise InputError(f"{what}: not times ({exc})", field=what) from exc
    elif s.dt.tz is None:
        s = s.dt.tz_localize("UTC")
    ms = s.dt.tz_convert("UTC").dt.as_unit("ms").astype("int64")
    return pd.Series(ms, index=s.index).astype("Int64").where(s.notna())


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
