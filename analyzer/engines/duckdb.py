"""The DuckDB engine: the ``sql/`` rules run in process over a snapshot's coded columns.

Each table the rule reads is the snapshot's coded Arrow table, registered with DuckDB
without a copy; an absent table, or an absent optional column, is there empty or as
nulls so that every rule can read the whole contract. ``users`` has one more column,
``rank``, each user's position in id order, on which rules break ties by id.
``channel_names`` and ``domain_names`` give each channel and domain code its name and
the name's rank. ``wanted(product_id)`` holds the codes of the products asked about.
Results come back as Arrow and are decoded by the kinds the rule's header gives (see
:mod:`analyzer.rules`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import columns
from ..rules import SqlRule, load_rule
from ..schema import CHANNELS, DOMAINS, TABLES, Column
from ..snapshot import Snapshot

__all__ = ["DuckDBEngine", "coded_type"]


def coded_type(col: Column) -> pa.DataType:
    """The Arrow type of a column once coded (see :mod:`analyzer.columns`)."""
    if col.references is not None:
        return pa.int32()
    return {"timestamp": pa.int64(), "channel": pa.int8(), "domain": pa.int8(),
            "float": pa.float64(), "probability": pa.float64(), "bool": pa.bool_(),
            }.get(col.kind, pa.string())


def _missing(col: Column, rows: int) -> pa.Array:
    """An optional column the snapshot lacks: -1 codes for references, channels and
    domains (their "none"), nulls for the rest."""
    kind = coded_type(col)
    if col.references is not None or col.kind in ("channel", "domain"):
        return pa.array(np.full(rows, -1, dtype=kind.to_pandas_dtype()), type=kind)
    return pa.nulls(rows, type=kind)


#: The small tables that give channel and domain codes their names and name order.
NAME_TABLES = {"channel_names": ("channel", CHANNELS), "domain_names": ("domain", DOMAINS)}


def names_table(name: str) -> pa.Table:
    """``channel_names(channel, name, rank)`` or ``domain_names(domain, name, rank)``: each
    code, its name, and the name's rank in text order (rules break ties on it)."""
    column, names = NAME_TABLES[name]
    rank = np.empty(len(names), dtype=np.int32)
    rank[np.argsort(np.asarray(names, dtype=object))] = np.arange(len(names))
    return pa.table({column: pa.array(np.arange(len(names)), type=pa.int8()),
                     "name": pa.array(names, type=pa.string()), "rank": pa.array(rank)})


class DuckDBEngine:
    """Runs ``sql/`` rules on one snapshot. Thread-safe: one query at a time."""

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self._con = columns.connect()
        self._lock = threading.Lock()
        self._registered: set[str] = set()
        self._rank: np.ndarray | None = None
        self._product_index = pd.Index(snap.ids("products") if snap.has("products") else [],
                                       dtype=object)

    def close(self) -> None:
        self._con.close()

    def _table(self, name: str) -> pa.Table:
        """The coded table as rules read it: the whole contract, ids of ``users`` and
        ``products`` as their own row codes."""
        table = TABLES[name]
        coded = self.snap.columns.get(name)
        rows = coded.num_rows if coded is not None else 0
        arrays, fields = [], []
        for col in table.columns:
            if col.name == columns.own_id(table):
                arrays.append(pa.array(np.arange(rows, dtype=np.int32)))
                fields.append(pa.field(col.name, pa.int32()))
                continue
            if coded is not None and col.name in coded.column_names:
                arrays.append(coded.column(col.name))
            else:
                arrays.append(_missing(col, rows))
            fields.append(pa.field(col.name, coded_type(col)))
        if name == "users":  # ties broken by id text are broken on this rank
            arrays.append(pa.array(self.user_rank(), type=pa.int32()))
            fields.append(pa.field("rank", pa.int32()))
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields))

    def user_rank(self) -> np.ndarray:
        """Each user's rank in id order (code points), by users-table row."""
        if self._rank is None:
            rank = np.empty(self.snap.rows("users"), dtype=np.int64)
            if len(rank):
                ids = self.snap.columns["users"].column(TABLES["users"].key[0])
                rank[pc.sort_indices(ids).to_numpy()] = np.arange(len(rank))
            self._rank = rank
        return self._rank

    def _register(self, rule: SqlRule) -> None:
        for name in rule.reads:
            if name == "wanted" or name in self._registered:
                continue
            if name in NAME_TABLES:
                table = names_table(name)
            elif name in TABLES:
                table = self._table(name)
            else:
                raise AssertionError(f"sql rule {rule.name} reads unknown table {name!r}")
            self._con.register(name, table)
            self._registered.add(name)

    def product_codes(self, products: Iterable[str]) -> np.ndarray:
        """The codes of the products that exist, each once."""
        at = self._product_index.get_indexer(pd.unique(np.asarray(list(products), dtype=object)))
        return at[at >= 0].astype(np.int32)

    def run(self, name: str, products: Iterable[str], **params) -> pa.Table:
        """Rule ``name`` on the given products: its coded rows."""
        rule = load_rule(name)
        text = rule.render("duckdb", params)
        wanted = pa.table({"product_id": pa.array(self.product_codes(products),
                                                  type=pa.int32())})
        with self._lock:
            self._register(rule)
            self._con.register("wanted", wanted)
            try:
                got = self._con.sql(text, params=params or None).to_arrow_table()
            finally:
                self._con.unregister("wanted")
        return got.select(list(rule.columns))

    def frame(self, name: str, products: Iterable[str], **params) -> pd.DataFrame:
        """Rule ``name`` decoded: ids, channel and domain names, nullable ints for times
        that may be missing; rows in the header's ``order``."""
        rule = load_rule(name)
        return decode(rule, self.run(name, products, **params), self.snap)


def _dictionary(kind: str, snap: Snapshot) -> pa.Array:
    """What the codes of a ``user``, ``product``, ``channel`` or ``domain`` column index."""
    if kind in ("user", "product"):
        table = "users" if kind == "user" else "products"
        return columns.one_chunk(snap.columns[table].column(TABLES[table].key[0]))
    return pa.array(CHANNELS if kind == "channel" else DOMAINS, type=pa.string())


def decode(rule: SqlRule, got: pa.Table, snap: Snapshot) -> pd.DataFrame:
    """A rule's coded rows as a frame of ids and names (pandas' text dtype, NA for none;
    nullable integers where a time or count may be missing), sorted by the header's
    ``order`` in code-point order of the text, all in Arrow."""
    arrays = []
    for r in rule.returns:
        col = got.column(r.name)
        if r.kind in ("user", "product", "channel", "domain"):
            codes = pc.cast(col, pa.int64())
            codes = pc.if_else(pc.greater_equal(codes, 0), codes, None)
            arrays.append(pc.take(_dictionary(r.kind, snap), codes))
        elif r.kind in ("int", "ms"):
            arrays.append(pc.cast(col, pa.int64()))
        elif r.kind == "bool":
            arrays.append(pc.cast(col, pa.bool_()))
        else:
            arrays.append(pc.cast(col, pa.string()))
    table = pa.table(arrays, names=list(rule.columns))
    if rule.order:
        table = table.sort_by([(name, "ascending") for name in rule.order])
    frame = table.to_pandas()
    for r in rule.returns:
        if r.kind in ("int", "ms"):
            frame[r.name] = frame[r.name].astype("Int64" if table.column(r.name).null_count
                                                 else np.int64)
        elif r.kind == "bool" and not table.column(r.name).null_count:
            frame[r.name] = frame[r.name].astype(bool)
    return frame
