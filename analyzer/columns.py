"""A snapshot's tables read and checked by DuckDB, kept as integer-coded Arrow columns.

DuckDB (in process) reads the CSV and Parquet files with its own readers and runs the
checks of the snapshot contract as SQL over them; the rows come back as columns:

* a reference (``shares.sharer_id``, ``exposures.product_id``, ...) is the ``int32``
  row position of the id in the referenced table (``users`` or ``products``), ``-1`` for
  no value. Each id space has one dictionary: the referenced table's id column, in its
  row order;
* a timestamp is ``int64`` milliseconds since the epoch (UTC), null for no value;
* a channel or domain is the ``int8`` position in :data:`~analyzer.schema.CHANNELS` or
  :data:`~analyzer.schema.DOMAINS`, ``-1`` for no value;
* numbers are ``float64`` (NaN for no value), booleans nullable, other text Arrow strings.

Column and table names in the SQL come from :data:`analyzer.schema.TABLES` only (the
allow-list); file paths, channel lists and limits are parameters. See docs/snapshot.md.
"""

from __future__ import annotations

import ctypes
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa

from .errors import InputError
from .schema import CHANNELS, DOMAINS, TABLES, Column, Table

__all__ = ["connect", "quoted", "TableSource", "open_source", "TableCheck", "check_table",
           "NULL_MS", "own_id", "one_chunk", "as_numpy", "own_duplicates", "texts_at"]

#: Tables whose ids other tables reference: each is an id space, its id column the dictionary.
ID_SPACES = tuple(dict.fromkeys(c.references[0] for t in TABLES.values() for c in t.columns
                                if c.references))


def own_id(table: Table) -> str | None:
    """The id column of an id space's table (``users.user_id``), else None."""
    return table.key[0] if table.name in ID_SPACES else None

#: The text form a timestamp must have before DuckDB parses it: ISO 8601's extended
#: form (DuckDB alone would also take ``2024/06/01``, ``epoch`` or ``infinity``).
ISO_8601 = (r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?"
            r"(Z|[+-]\d{2}(:?\d{2})?)?")
_TRUE = ["true", "1", "yes"]
_FALSE = ["false", "0", "no"]
#: Marks a missing optional time in an int64 column handed to numpy.
NULL_MS = np.iinfo(np.int64).min
_TIME_TYPES = ("TIMESTAMP", "DATE")
_FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")


def connect():
    """An in-memory DuckDB connection set up for snapshots: times in UTC, and a private
    spill directory so that a join or sort larger than memory goes to disk."""
    import duckdb

    con = duckdb.connect(config={"threads": os.cpu_count() or 1})
    con.execute("SET TimeZone = 'UTC'")
    # DuckDB's own bar writes to stdout, where JSON and CSV output go; diffusion's
    # progress (stderr) covers these steps
    try:
        con.execute("SET enable_progress_bar = false")
    except duckdb.Error:  # in Jupyter without ipywidgets DuckDB draws no bar, and says so
        pass
    spill = Path(tempfile.gettempdir()) / f"diffusion-duckdb-{os.getpid()}"
    con.execute(f"SET temp_directory = '{_sql_text(str(spill))}'")
    return con


def release_memory() -> None:
    """Hand memory freed by the last big step back to the system (glibc's ``malloc_trim``).

    DuckDB's threads free their scan and join buffers into glibc's arenas, which keep
    them: on the 1M-user snapshot some 120 MB stays resident after the exposures are
    coded, on top of the columns themselves. A no-op where glibc is absent."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    trim = getattr(libc, "malloc_trim", None)
    if trim is not None:
        trim(0)


def _sql_text(text: str) -> str:
    # SET takes no parameters; the spill path is ours, not the user's, but quote it anyway
    return text.replace("'", "''")


def as_numpy(col: pa.ChunkedArray) -> np.ndarray:
    """A coded column as numpy: without a copy where Arrow allows one, a missing time as
    :data:`NULL_MS`, text as Python strings."""
    arr = one_chunk(col)
    return (arr.fill_null(NULL_MS) if arr.null_count else arr).to_numpy(zero_copy_only=False)


def one_chunk(col: pa.ChunkedArray) -> pa.Array:
    """A column as one array: no copy when it is one chunk already (``combine_chunks``
    copies even then)."""
    return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()


def quoted(name: str) -> str:
    """A quoted identifier; names reach SQL only from the schema's allow-list."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class TableSource:
    """One table file as DuckDB sees it: ``sql`` is a FROM item whose ``_row`` column is
    the 1-based record number; ``types`` the file's columns and DuckDB types."""

    name: str
    path: Path
    sql: str
    params: dict
    types: dict[str, str]
    rows: int
    location_kind: Literal["line", "row"]
    #: CSV only: each record's physical start line, when not simply 2, 3, ...
    starts: np.ndarray | None = None

    def lines(self, rows) -> np.ndarray:
        """Locations (physical lines for CSV, 1-based rows for Parquet) of 1-based records."""
        rows = np.asarray(rows, dtype=np.int64)
        if self.location_kind == "row":
            return rows
        return self.starts[rows - 1] if self.starts is not None else rows + 1


def open_source(con, name: str, path: Path,
                scan_csv: Callable[[Path], np.ndarray | None]) -> TableSource:
    """Make a table file readable by SQL. Raises InputError, located, when the file is
    damaged. ``scan_csv`` checks a CSV file's record structure first (DuckDB, like pandas,
    would read some broken rows) and returns the records' start lines."""
    import duckdb

    param = f"path_{name}"
    if path.suffix == ".parquet":
        sql = (f"(SELECT *, file_row_number + 1 AS _row FROM "
               f"read_parquet(${param}, file_row_number = true))")
        try:
            described = con.execute(f"DESCRIBE SELECT * FROM read_parquet(${param})",
                                    {param: str(path)}).fetchall()
            rows = con.execute(f"SELECT count(*) FROM read_parquet(${param})",
                               {param: str(path)}).fetchall()[0][0]
        except duckdb.Error as exc:
            raise InputError(f"cannot read Parquet file: {_first_line(exc)}",
                             file=str(path)) from exc
        types = {c[0]: c[1] for c in described if c[0] != "__index_level_0__"}
        return TableSource(name, path, sql, {param: str(path)}, types, rows, "row")
    starts = scan_csv(path)
    raw = f"raw_{name}"
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {quoted(raw)} AS SELECT * FROM read_csv("
                    f"${param}, header = true, all_varchar = true, delim = ',', "
                    f"quote = '\"', escape = '\"', strict_mode = true, "
                    f"null_padding = false, allow_quoted_nulls = false)", {param: str(path)})
        described = con.execute(f"DESCRIBE {quoted(raw)}").fetchall()
        if len(described) == 1 and starts is not None:
            # one column: DuckDB reads a blank line as a null row, pandas and neo4j-admin
            # skip it (a quoted empty field stays: quoted nulls are off)
            con.execute(f"CREATE OR REPLACE TEMP TABLE {quoted(raw)} AS SELECT * FROM "
                        f"{quoted(raw)} WHERE {quoted(described[0][0])} IS NOT NULL")
        rows = con.execute(f"SELECT count(*) FROM {quoted(raw)}").fetchall()[0][0]
    except duckdb.Error as exc:
        message = _first_line(exc)
        if "invalid unicode" in str(exc).lower():
            raise InputError("not valid UTF-8", file=str(path),
                             line=_first_bad_utf8_line(path)) from exc
        raise InputError(f"malformed CSV: {message}", file=str(path)) from exc
    expected = len(starts) if starts is not None else None
    if expected is not None and expected != rows:
        raise InputError(f"malformed CSV: {rows} rows parsed but {expected} records found",
                         file=str(path))
    types = {c[0]: c[1] for c in described}
    return TableSource(name, path, f"(SELECT *, rowid + 1 AS _row FROM {quoted(raw)})", {},
                       types, rows, "line", starts)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _first_bad_utf8_line(path: Path) -> int | None:
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


# --------------------------------------------------------------------------- expressions


@dataclass(frozen=True)
class _Expr:
    """SQL for one column of a source: its text, whether it holds a value, its typed
    value, and the checks on that value as (code, message, condition)."""

    text: str
    present: str
    value: str
    checks: tuple[tuple[str, str, str], ...] = ()


def _expr(col: Column, sql_type: str) -> _Expr:
    c = f"s.{quoted(col.name)}"
    upper = sql_type.upper()
    text = c if upper == "VARCHAR" else f"CAST({c} AS VARCHAR)"
    if upper == "VARCHAR":
        present = f"({c} IS NOT NULL AND {c} <> '')"
    elif upper in _FLOAT_TYPES:
        present = f"({c} IS NOT NULL AND NOT isnan({c}))"
    else:
        present = f"({c} IS NOT NULL)"
    kind = col.kind
    if kind in ("id", "text"):
        return _Expr(text, present, text)
    if kind in ("float", "probability"):
        if upper == "VARCHAR":
            value = f"TRY_CAST({c} AS DOUBLE)"
        elif upper.startswith(("DECIMAL", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT",
                               "UINTEGER", "USMALLINT", "UTINYINT", "HUGEINT")) or upper in _FLOAT_TYPES:
            value = f"CAST({c} AS DOUBLE)"
        else:
            value = f"TRY_CAST({text} AS DOUBLE)"
        checks = [("bad-number", "not a number", f"{present} AND ({value} IS NULL OR isnan({value}))")]
        ok = f"{present} AND {value} IS NOT NULL AND NOT isnan({value})"
        if kind == "probability":
            checks.append(("bad-probability", "probability must be between 0 and 1",
                           f"{ok} AND ({value} < 0 OR {value} > 1)"))
        else:
            checks.append(("negative-number", "must not be negative", f"{ok} AND {value} < 0"))
        return _Expr(text, present, value, tuple(checks))
    if kind == "timestamp":
        if upper.startswith(_TIME_TYPES):
            stamp = f"CAST({c} AS TIMESTAMPTZ)"
        else:
            stamp = f"CASE WHEN regexp_full_match({text}, $iso) THEN TRY_CAST({text} AS TIMESTAMPTZ) END"
        value = f"epoch_ms({stamp})"
        return _Expr(text, present, value, (
            ("bad-timestamp", "not an ISO 8601 timestamp (e.g. 2024-05-01T12:30:00+08:00)",
             f"{present} AND {stamp} IS NULL"),))
    if kind in ("channel", "domain"):
        allowed = "$channels" if kind == "channel" else "$domains"
        names = CHANNELS if kind == "channel" else DOMAINS
        value = f"CAST(coalesce(list_position({allowed}, {text}), 0) - 1 AS TINYINT)"
        return _Expr(text, present, value, (
            (f"unknown-{kind}", f"unknown {kind}; expected one of: {', '.join(names)}",
             f"{present} AND list_position({allowed}, {text}) IS NULL"),))
    if kind == "bool":
        if upper == "BOOLEAN":
            value = c
        else:
            low = f"lower({text})"
            value = (f"CASE WHEN list_contains($true_words, {low}) THEN true "
                     f"WHEN list_contains($false_words, {low}) THEN false END")
        return _Expr(text, present, value, (
            ("bad-bool", "expected true or false", f"{present} AND {value} IS NULL"),))
    raise AssertionError(kind)


def _params(sql: str, source: TableSource, **extra) -> dict:
    """The parameters a statement names (DuckDB refuses unused ones)."""
    every = {**source.params, "iso": ISO_8601, "channels": list(CHANNELS),
             "domains": list(DOMAINS), "true_words": _TRUE, "false_words": _FALSE, **extra}
    return {k: v for k, v in every.items() if f"${k}" in sql}


# --------------------------------------------------------------------------- checks


@dataclass
class Finding:
    """Rows of one source failing one check: total count and the first few, with values."""

    code: str
    column: str | None
    message: str
    count: int
    rows: list[int]
    values: list[str]


@dataclass
class TableCheck:
    """What :func:`check_table` found, and the coded columns when the table is usable."""

    findings: list[Finding]
    columns: pa.Table
    #: the DuckDB table of this table's ids and codes, when it is an id space
    dictionary: str | None
    #: reference column -> (1-based rows, values) of ids not in the referenced table
    dangling: dict[str, tuple[np.ndarray, list[str], int]]


def check_table(con, source: TableSource, table: Table, dictionaries: dict[str, str | None],
                max_examples: int) -> TableCheck:
    """Run the value checks of ``table`` on ``source`` and read its coded columns.

    ``dictionaries`` maps a referenced table (``users``, ``products``) to the DuckDB table
    holding its ids and codes, or None when it is absent or unreadable (every id then
    dangles). A table's own id column (``users.user_id``) becomes its dictionary, named
    ``ids_<table>``, for the tables read after it."""
    present_cols = [c for c in table.columns if c.name in source.types]
    exprs = {c.name: _expr(c, source.types[c.name]) for c in present_cols}
    findings: list[Finding] = []
    tests: list[tuple[str, str, str, str]] = []
    for col in present_cols:
        e = exprs[col.name]
        if col.required:
            tests.append(("missing-value", col.name, "required value is empty", f"NOT {e.present}"))
        for code, message, cond in e.checks:
            tests.append((code, col.name, message, cond))
    if tests:
        # counts in one scan; the first rows and values only for checks that failed
        parts = [f"count(*) FILTER (WHERE {cond})" for _, _, _, cond in tests]
        sql = f"SELECT {', '.join(parts)} FROM {source.sql} AS s"
        counts = con.execute(sql, _params(sql, source)).fetchall()[0]
        for (code, col_name, message, cond), n in zip(tests, counts):
            if not n:
                continue
            sql = (f"SELECT s._row, coalesce({exprs[col_name].text}, '') FROM {source.sql} AS s "
                   f"WHERE {cond} ORDER BY s._row LIMIT $k")
            first = con.execute(sql, _params(sql, source, k=max(max_examples, 1))).fetchall()
            rows = [r for r, _ in first][:max_examples]
            values = ([v for _, v in first][:max_examples] if code != "missing-value"
                      else [""] * len(rows))
            findings.append(Finding(code, col_name, message, int(n), rows, values))

    # the coded columns, one scan with one join per reference column
    select: list[str] = ["CAST(s._row AS INTEGER) AS _row"]
    joins: list[str] = []
    for col in present_cols:
        e = exprs[col.name]
        if col.references is None:
            select.append(f"{e.value} AS {quoted(col.name)}")
            continue
        ref_table = col.references[0]
        dictionary = dictionaries.get(ref_table)
        if dictionary is None:
            select.append(f"CAST(CASE WHEN {e.present} THEN -2 ELSE -1 END AS INTEGER) "
                          f"AS {quoted(col.name)}")
            continue
        alias = f"d{len(joins)}"
        joins.append(f"LEFT JOIN {quoted(dictionary)} AS {alias} ON {alias}.id = {e.text}")
        select.append(f"CASE WHEN {e.present} THEN coalesce({alias}.code, -2) ELSE -1 END "
                      f"AS {quoted(col.name)}")
    sql = f"SELECT {', '.join(select)} FROM {source.sql} AS s {' '.join(joins)}"
    coded = _read_in_row_order(con, sql, _params(sql, source), source.rows)

    dictionary = None
    key = own_id(table)
    if key is not None and key in exprs:  # users.user_id, products.product_id: the id
        e = exprs[key]  # space's dictionary
        dictionary = _dictionary(table)
        sql = (f"CREATE OR REPLACE TEMP TABLE {quoted(dictionary)} AS SELECT {e.text} AS id, "
               f"CAST(min(s._row) - 1 AS INTEGER) AS code FROM {source.sql} AS s "
               f"WHERE {e.present} GROUP BY ALL")
        con.execute(sql, _params(sql, source))

    dangling: dict[str, tuple[np.ndarray, list[str], int]] = {}
    for col in present_cols:
        if col.references is None:
            continue
        codes = one_chunk(coded.column(col.name)).to_numpy()
        bad = np.flatnonzero(codes == -2)
        if not len(bad):
            continue
        values = _texts(con, source, exprs[col.name], bad + 1)
        # unknown ids get codes of their own past the dictionary, so that duplicate
        # checks still tell two different unknown ids apart
        _, inverse = np.unique(np.asarray(values, dtype=object), return_inverse=True)
        fixed = codes.copy()
        fixed[bad] = 2**30 + inverse.astype(np.int32)
        coded = coded.set_column(coded.schema.get_field_index(col.name), col.name,
                                 pa.array(fixed, type=pa.int32()))
        dangling[col.name] = (bad + 1, values[:max_examples], len(bad))
    return TableCheck(findings, coded, dictionary, dangling)


def _dictionary(table: Table) -> str:
    return f"ids_{table.name}"


def own_duplicates(con, source: TableSource, table: Table) -> tuple[np.ndarray, np.ndarray]:
    """For an id space's table (after :func:`check_table`): the 1-based records whose id
    an earlier record has, ascending, and that earlier record; a missing id is no
    duplicate."""
    key = own_id(table)
    assert key is not None, table.name
    e = _expr(table.column(key), source.types[key])
    sql = (f"SELECT s._row, d.code + 1 FROM {source.sql} AS s "
           f"JOIN {quoted(_dictionary(table))} AS d ON d.id = {e.text} "
           f"WHERE s._row - 1 <> d.code ORDER BY s._row")
    pairs = con.execute(sql, _params(sql, source)).fetchall()
    return (np.asarray([r for r, _ in pairs], dtype=np.int64),
            np.asarray([f for _, f in pairs], dtype=np.int64))


_BATCH = 1 << 20


def _read_in_row_order(con, sql: str, params: dict, rows: int) -> pa.Table:
    """The result of ``sql`` (a ``_row`` column, 1 to ``rows``, and the coded columns) in
    file order, ``_row`` dropped.

    A parallel scan or a join returns rows out of order. Fixed-width columns (codes,
    times, channels, numbers) are streamed from DuckDB in batches and scattered into
    arrays of the final size, so the table is never held twice; a text column (users'
    and products' own) makes the whole result go through one reordering copy."""
    reader = con.sql(sql, params=params).to_arrow_reader(_BATCH)
    fields = [f for f in reader.schema if f.name != "_row"]
    if not all(pa.types.is_integer(f.type) or pa.types.is_floating(f.type) for f in fields):
        return _reordered(reader.read_all())
    values = {f.name: np.empty(rows, dtype=f.type.to_pandas_dtype()) for f in fields}
    valid: dict[str, np.ndarray] = {}
    seen = 0
    for batch in reader:
        at = batch.column("_row").to_numpy() - 1
        seen += len(at)
        for f in fields:
            arr = batch.column(f.name)
            if arr.null_count:
                if f.name not in valid:
                    valid[f.name] = np.ones(rows, dtype=bool)
                valid[f.name][at] = arr.is_valid().to_numpy(zero_copy_only=False)
                arr = arr.fill_null(0)
            values[f.name][at] = arr.to_numpy()
        del batch
    if seen != rows:
        raise AssertionError(f"{seen} coded rows for {rows} records")
    out = []
    for f in fields:
        data = pa.py_buffer(values.pop(f.name))
        mask = valid.pop(f.name, None)
        if mask is None:
            out.append(pa.Array.from_buffers(f.type, rows, [None, data], null_count=0))
        else:
            bits = pa.py_buffer(np.packbits(mask, bitorder="little"))
            out.append(pa.Array.from_buffers(f.type, rows, [bits, data],
                                             null_count=rows - int(np.count_nonzero(mask))))
    return pa.Table.from_arrays(out, names=[f.name for f in fields])


def _reordered(coded: pa.Table) -> pa.Table:
    rows = coded.column("_row").to_numpy()
    coded = coded.drop_columns(["_row"])
    if not len(rows) or not (np.diff(rows) != 1).any():
        return coded.combine_chunks()
    return coded.take(pa.array(np.argsort(rows, kind="stable"))).combine_chunks()


def _texts(con, source: TableSource, e: _Expr, rows: np.ndarray) -> list[str]:
    """The text of one column at the given 1-based records, in that order."""
    wanted = pa.table({"_want": pa.array(rows, type=pa.int64())})
    con.register("_wanted_rows", wanted)
    try:
        sql = (f"SELECT s._row, {e.text} AS v FROM {source.sql} AS s "
               f"WHERE s._row IN (SELECT _want FROM _wanted_rows)")
        found = dict(con.execute(sql, _params(sql, source)).fetchall())
    finally:
        con.unregister("_wanted_rows")
    return [found.get(int(r)) or "" for r in rows]


def texts_at(con, source: TableSource, column: Column, rows: np.ndarray) -> list[str]:
    """The text of ``column`` at the given 1-based records (examples for a report)."""
    return _texts(con, source, _expr(column, source.types[column.name]), rows)
