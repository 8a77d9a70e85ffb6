"""Snapshots from data already in memory: a networkx graph, or pandas, Arrow or polars
tables keyed by table name. Nothing needs to be written first.

The tables go through the same validation as a snapshot directory (written to a private
temporary folder as Parquet, read back and checked, then removed), so every rule and
every error is the same; an error names the table, the 1-based row and the column.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from .errors import InputError
from .schema import FORMAT_VERSION, TABLES
from .snapshot import Snapshot, validate_snapshot

__all__ = ["snapshot_from", "raw_tables"]


def raw_tables(data) -> dict[str, pd.DataFrame]:
    """``data`` as pandas frames keyed by table name: a networkx graph (nodes are users,
    edges friendships), or a mapping of table names to pandas, pyarrow or polars tables."""
    try:
        import networkx as nx
    except ImportError:  # pragma: no cover - networkx is a dependency
        nx = None
    if nx is not None and isinstance(data, nx.Graph):
        from .importers import networkx_tables

        return networkx_tables(data)
    if not hasattr(data, "items"):
        raise InputError(f"expected a snapshot directory, a networkx graph or a mapping of "
                         f"table names to tables, got {type(data).__name__}", field="data")
    out = {}
    for name, table in data.items():
        if name not in TABLES:
            raise InputError(f"unknown table {name!r}; the tables are "
                             f"{', '.join(TABLES)}", field=str(name))
        out[name] = _frame(name, table)
    return out


def _frame(name: str, table) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        return table.reset_index(drop=True)
    if hasattr(table, "to_pandas"):  # a pyarrow Table or RecordBatch, a polars DataFrame
        return table.to_pandas()
    raise InputError(f"table {name} is a {type(table).__name__}; give a pandas DataFrame, a "
                     f"pyarrow Table or a polars DataFrame", field=name)


def _arrow(name: str, frame: pd.DataFrame):
    """The frame as Arrow, naming the column Arrow cannot convert."""
    import pyarrow as pa

    arrays = []
    for col in frame.columns:
        try:
            arrays.append(pa.array(frame[col], from_pandas=True))
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise InputError(f"table {name}: column {col!r} mixes values of different kinds "
                             f"({exc})", field=str(col)) from exc
    return pa.Table.from_arrays(arrays, names=[str(c) for c in frame.columns])


def snapshot_from(data, *, name: str = "in-memory") -> Snapshot:
    """A validated :class:`~analyzer.snapshot.Snapshot` of in-memory ``data`` (see
    :func:`raw_tables`). Times may be ``datetime64`` columns (naive ones are UTC),
    ``pandas.Timestamp`` or ``datetime`` values, or ISO 8601 text. Raises
    :class:`InputError` naming the table, row and column of the first error."""
    import json

    import pyarrow.parquet as pq

    tables = raw_tables(data)
    with tempfile.TemporaryDirectory(prefix="diffusion-tables-") as tmp:
        root = Path(tmp)
        for table, frame in tables.items():
            pq.write_table(_arrow(table, frame), root / f"{table}.parquet")
        (root / "snapshot.json").write_text(json.dumps({"format_version": FORMAT_VERSION, "name": name}),
                                            encoding="utf-8")
        snap, report = validate_snapshot(root)
    if snap is None:
        p = report.errors[0]
        row = p.examples[0][0] if p.examples else None
        where = f"table {p.table}" + (f", row {row}" if row is not None else "")
        more = sum(e.count for e in report.errors) - 1
        tail = f" (and {more} more error(s))" if more else ""
        raise InputError(p.message + tail, file=where, field=p.column)
    snap.path = Path(name)
    snap.files = {}
    return snap
