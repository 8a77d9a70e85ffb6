"""The DuckDB engine: a snapshot's questions answered in process, the ``sql/`` rules run
by DuckDB over its coded columns (:class:`SqlRules`), traversals by the kernels over the
friendship graph built from the same columns.

Each table a rule reads is the snapshot's coded Arrow table, registered with DuckDB
without a copy; an absent table, or an absent optional column, is there empty or as
nulls so that every rule can read the whole contract. ``users`` has one more column,
``rank``, each user's position in id order, on which rules break ties by id.
``channel_names`` and ``domain_names`` give each channel and domain code its name and
the name's rank; the views of :data:`analyzer.rules.VIEWS` are created over them. ``wanted(product_id)`` holds the codes of the products asked about.
Results come back as Arrow and are decoded by the kinds the rule's header gives (see
:mod:`analyzer.rules`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import columns
from ..errors import InputError
from ..rules import VIEWS, Dialect, SqlRule, load_rule
from ..schema import CHANNELS, DOMAINS, TABLES, Column
from ..snapshot import Snapshot
from .contract import CascadeInput, Endorsed, Source, cascade_rows, distinct, expand_neighbors

__all__ = ["DuckDBEngine", "SnapshotSource", "SqlRules", "coded_type", "decode"]


def coded_type(col: Column) -> pa.DataType:
    """The Arrow type of a column once coded (see :mod:`analyzer.columns`)."""
    if col.references is not None:
        return pa.int32()
    return {"timestamp": pa.int64(), "channel": pa.int8(), "domain": pa.int8(),
            "float": pa.float64(), "probability": pa.float64(), "bool": pa.bool_(),
            }.get(col.kind, pa.string())


#: The SQL name of each coded Arrow type (names DuckDB and Spark SQL both read)
_SQL_TYPES = {pa.int8(): "TINYINT", pa.int32(): "INTEGER", pa.int64(): "BIGINT",
              pa.float64(): "DOUBLE", pa.bool_(): "BOOLEAN", pa.string(): "STRING"}


def _missing(col: Column) -> str:
    """SQL for an optional column the snapshot lacks: -1 for references, channels and
    domains (their "none"), null for the rest; a constant, so it costs no memory."""
    kind = _SQL_TYPES[coded_type(col)]
    if col.references is not None or col.kind in ("channel", "domain"):
        return f"CAST(-1 AS {kind})"
    return f"CAST(NULL AS {kind})"


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


class SqlRules:
    """Runs ``sql/`` rules on one snapshot. Thread-safe: one query at a time."""

    #: the SQL dialect its rules are rendered in (``SqlRule.render``)
    dialect: Dialect = "duckdb"
    #: how the dialect quotes an identifier
    quote = staticmethod(columns.quoted)

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self._con = self._open()
        self._lock = threading.Lock()
        self._registered: set[str] = set()
        self._rank: np.ndarray | None = None
        self._product_index = pd.Index(snap.ids("products") if snap.has("products") else [],
                                       dtype=object)

    def _open(self):
        return columns.connect()

    def close(self) -> None:
        self._con.close()

    def _register_table(self, name: str) -> None:
        """The coded table as rules read it, a view named ``name`` (see
        :meth:`coded_view`) over the Arrow table registered as ``_coded_<name>``; on
        DuckDB the file's columns are scanned without a copy."""
        arrays, select = self.coded_view(name)
        self._register_arrow(f"_coded_{name}", arrays)
        self._create_view(self.quote(name), f"SELECT {', '.join(select)} FROM "
                                            f"{self.quote('_coded_' + name)} AS c")

    def coded_view(self, name: str) -> tuple[pa.Table, list[str]]:
        """Table ``name`` as rules read it: the Arrow table to register as ``_coded_<name>``
        and the select list (over alias ``c``, identifiers quoted in the dialect's way) of
        the view over it. The whole contract: ids of ``users`` and ``products`` are their own row
        codes (``users`` also has ``rank``, its id order); the columns the file has are
        the snapshot's own Arrow arrays, and those it lacks are constants."""
        table, quote = TABLES[name], self.quote
        coded = self.snap.columns.get(name)
        rows = coded.num_rows if coded is not None else 0
        arrays: dict[str, pa.Array | pa.ChunkedArray] = {}
        select = []
        for col in table.columns:
            if col.name == columns.own_id(table):
                arrays[col.name] = pa.array(np.arange(rows, dtype=np.int32))
            elif coded is not None and col.name in coded.column_names:
                arrays[col.name] = coded.column(col.name)
            else:
                select.append(f"{_missing(col)} AS {quote(col.name)}")
                continue
            select.append(f"c.{quote(col.name)}")
        if name == "users":  # ties broken by id text are broken on this rank
            arrays["rank"] = pa.array(self.user_rank(), type=pa.int32())
            select.append("c.rank")
        if not arrays:  # a table of constants still has its rows
            arrays["_row"] = pa.array(np.arange(rows, dtype=np.int32))
        return pa.table(arrays), select

    def user_rank(self) -> np.ndarray:
        """Each user's rank in id order (code points), by users-table row."""
        if self._rank is None:
            rank = np.empty(self.snap.rows("users"), dtype=np.int64)
            if len(rank):
                ids = self.snap.columns["users"].column(TABLES["users"].key[0])
                rank[pc.sort_indices(ids).to_numpy()] = np.arange(len(rank))
            self._rank = rank
        return self._rank

    def _register(self, names) -> None:
        for name in names:
            if name == "wanted" or name in self._registered:
                continue
            if name in VIEWS:
                reads, query = VIEWS[name]
                self._register(reads)
                self._create_view(name, query)
            elif name in NAME_TABLES:
                self._register_arrow(name, names_table(name))
            elif name in TABLES:
                self._register_table(name)
            else:
                raise AssertionError(f"a sql rule reads unknown table {name!r}")
            self._registered.add(name)

    def _create_view(self, name: str, query: str) -> None:
        self._con.execute(f"CREATE TEMP VIEW {name} AS {query}")

    def _register_arrow(self, name: str, table: pa.Table) -> None:
        self._con.register(name, table)

    def product_codes(self, products: Iterable[str]) -> np.ndarray:
        """The codes of the products that exist, each once."""
        at = self._product_index.get_indexer(pd.unique(np.asarray(list(products), dtype=object)))
        return at[at >= 0].astype(np.int32)

    def run(self, name: str, products: Iterable[str], **params) -> pa.Table:
        """Rule ``name`` on the given products: its coded rows."""
        rule = load_rule(name)
        text = rule.render(self.dialect, params)
        wanted = pa.table({"product_id": pa.array(self.product_codes(products),
                                                  type=pa.int32())})
        with self._lock:
            self._register(rule.reads)
            got = self._query(text, params, wanted)
        return got.select(list(rule.columns))

    def _query(self, text: str, params: dict, wanted: pa.Table) -> pa.Table:
        """The query's rows as Arrow, with ``wanted`` registered for it."""
        self._con.register("wanted", wanted)
        try:
            return self._con.sql(text, params=params or None).to_arrow_table()
        finally:
            self._con.unregister("wanted")

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


class DuckDBEngine:
    """A snapshot as an engine (see :class:`~analyzer.engines.contract.Engine`): its rules
    run by DuckDB, its graph projected once from the coded friendships, users in id order."""

    name = "memory"

    def __init__(self, snap: Snapshot, rules: SqlRules | None = None) -> None:
        self.snap = snap
        self.rules = rules if rules is not None else SqlRules(snap)

    @property
    def where(self) -> str:
        return str(self.snap.path)

    def source(self) -> "SnapshotSource":
        return SnapshotSource(self.snap, engine=self)

    @cached_property
    def _graph(self):
        from ..graph import project_snapshot

        return project_snapshot(self.snap, self.rules.user_rank(), self.ids_in_order())

    def graph(self):
        return self._graph

    def _stored_probabilities(self, name: str) -> np.ndarray:
        """Table ``name``'s probability of every row (float64), refusing a table without
        the column or a row without a value, by file, line and field."""
        table = self.snap.columns[name]
        where = str(self.snap.files[name])
        if table.num_rows == 0:  # nothing to have a value (a directed import's empty table)
            return np.empty(0)
        if "probability" not in table.column_names:
            raise InputError(f"{{p}} column: {name} has no probability column", file=where,
                             field="probability", params=("p",))
        p = columns.one_chunk(table.column("probability")).to_numpy(zero_copy_only=False)
        missing = np.flatnonzero(np.isnan(p))
        if len(missing):
            raise InputError(f"{{p}} column: {len(missing):,} of {len(p):,} {name} have no "
                             "probability (each needs one)", file=where,
                             line=self.snap.line_of(name, int(missing[0])),
                             field="probability", params=("p",))
        return p.astype(np.float64, copy=False)

    def friendship_probabilities(self) -> np.ndarray:
        p = self._stored_probabilities("friendships")
        rank = self.rules.user_rank()
        a = rank[self.snap.codes("friendships", "user_a")]
        b = rank[self.snap.codes("friendships", "user_b")]
        return self.graph().arc_values(a, b, p)

    def follows(self, *, probabilities: bool = False):
        if self.snap.get("follows") is None:
            empty = np.empty(0, np.int64)
            return empty, empty, np.empty(0) if probabilities else None
        rank = self.rules.user_rank().astype(np.int64)
        followee = rank[self.snap.codes("follows", "followee_id")]
        follower = rank[self.snap.codes("follows", "follower_id")]
        return followee, follower, (self._stored_probabilities("follows") if probabilities
                                    else None)

    def ids_in_order(self) -> np.ndarray:
        """The user ids in id order (position = rank), as Python strings."""
        return self._ids_in_order

    @cached_property
    def _ids_in_order(self) -> np.ndarray:
        from ..graph import ids_by_rank

        return ids_by_rank(self.snap.ids("users"), self.rules.user_rank())

    def share_counts(self) -> dict[str, int]:
        products = self.snap.ids("products") if self.snap.has("products") else np.array([])
        counts = np.bincount(self.snap.codes("shares", "product_id"), minlength=len(products)) \
            if self.snap.has("shares") else np.zeros(len(products), dtype=np.int64)
        return dict(zip(products.tolist(), counts.tolist()))

    def product_roles(self, product: str) -> dict[str, set[str]]:
        from ..reach import ROLES

        return {r: set(self.product_seeds(product, [r])) for r in ROLES}

    def product_seeds(self, product: str, roles: list[str]) -> list[str]:
        from ..reach import product_seeds_snapshot

        return product_seeds_snapshot(self.snap, product, roles)

    def reach_in_database(self, seeds: list[str], hops: int, *, per_seed: bool,
                          overlap: bool | None, **meta: Any):
        raise InputError("a snapshot answers with the memory engine", field="engine")

    def people_tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        return self.snap["users"], self.snap["friendships"]

    def close(self) -> None:
        self.rules.close()


class SnapshotSource(Source):
    """A snapshot's answers: the ``sql/`` rules on DuckDB, decoded, or as codes (users as
    ranks in id order, the numbering of :meth:`DuckDBEngine.graph`)."""

    engine = "memory"

    def __init__(self, snap: Snapshot, *, engine: DuckDBEngine | None = None) -> None:
        self.snap = snap
        self.owner = engine or DuckDBEngine(snap)
        self.engine = self.owner.name  # "memory", or "spark" when Spark runs the rules
        self.sql = self.owner.rules
        self._cache: dict = {}

    @property
    def graph(self):
        return self.owner.graph()

    def _positions(self, codes: np.ndarray, products) -> np.ndarray:
        """Product codes (rows of the products table) as positions among the distinct
        ``products``, the numbering every source's coded answers use."""
        lut = pd.Index(distinct(products), dtype=object).get_indexer(self.snap.ids("products"))
        return lut.astype(np.int64)[codes]

    def _coded(self, rule: str, products, **params) -> dict[str, np.ndarray]:
        """A rule's coded rows as numpy columns (times without a value as NULL_MS)."""
        got = self.sql.run(rule, products, **params)
        return {name: columns.as_numpy(got.column(name)) for name in got.column_names}

    @cached_property
    def _rank(self) -> np.ndarray:
        return self.sql.user_rank()

    # ------------------------------------------------------------------ the questions

    def n_users(self) -> int:
        return self.snap.rows("users")

    def product_ids(self) -> list[str]:
        return sorted(self.snap.ids("products").tolist()) if self.snap.has("products") else []

    def product_names(self) -> dict[str, str]:
        frame = self.snap.get("products")
        if frame is None:
            return {}
        names = frame["name"] if "name" in frame else pd.Series([None] * len(frame))
        return dict(zip(frame["product_id"], names.where(names.notna(), None)))

    def user_exists(self, user_id: str) -> bool:
        return self.graph.user_ids.get_indexer([user_id])[0] >= 0

    def signals(self, products) -> pd.DataFrame:
        return self.sql.frame("influence/signals", products)

    def endorsements(self, products, *, likes=True, shares=True) -> pd.DataFrame:
        return self.endorsement_codes(products, likes=likes, shares=shares).to_frame()

    def _endorsement_codes(self, products, *, likes, shares) -> Endorsed:
        """The signals' earliest per (user, product, endorser): ``sql/influence/endorsements``."""
        col = self._coded("influence/endorsements", products, likes=likes, shares=shares)
        rank = self._rank  # codes in id order, as every source's
        return Endorsed(self.owner.ids_in_order(), distinct(products),
                        rank[col["user_id"]], self._positions(col["product_id"], products),
                        rank[col["endorser_id"]], col["at"].astype(np.int64),
                        lookup=self._ranks_of)

    def _ranks_of(self, user_ids) -> np.ndarray:
        """Each id's rank in id order (its code in :meth:`endorsement_codes`), -1 for none."""
        return self.graph.user_ids.get_indexer(np.asarray(user_ids, dtype=object))

    def adoption_keys(self, E: Endorsed, products, *, purchases=True):
        """On the rule's codes: ``E``'s codes are every user's rank, so no id lookups."""
        if len(E.ids) != self.n_users():
            return super().adoption_keys(E, products, purchases=purchases)
        col = self._coded("influence/adoptions", products, purchases=purchases)
        stride = max(self.n_users(), 1)
        return (self._positions(col["product_id"], products) * stride + self._rank[col["user_id"]],
                col["at"].astype(np.int64), stride)

    def role_codes(self, E: Endorsed, products) -> tuple[np.ndarray, np.ndarray]:
        if len(E.ids) != self.n_users():
            return super().role_codes(E, products)
        col = self._coded("influence/roles", products)
        return self._rank[col["user_id"]], col["role"].astype(object)

    def tie_codes(self, E: Endorsed, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """On the graph: ``E``'s codes are its positions (both in id order)."""
        if len(E.ids) != self.n_users():
            return super().tie_codes(E, codes)
        return self._ties_among(np.asarray(codes, dtype=np.int64))

    def _ties_among(self, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        g = self.graph
        inside = np.zeros(g.n_users, dtype=bool)
        inside[pos] = True
        src, dst = expand_neighbors(g, np.unique(pos))
        keep = inside[dst] & (src < dst)
        return src[keep], dst[keep]

    def adoptions(self, products, *, purchases=True) -> pd.DataFrame:
        return self.sql.frame("influence/adoptions", products, purchases=purchases)

    def credit_candidates(self, products, *, window_ms, purchases=True, likes=True,
                          shares=True) -> pd.DataFrame:
        return self.sql.frame("influence/credit_candidates", products, purchases=purchases,
                              likes=likes, shares=shares, window_ms=int(window_ms))

    def ties(self, user_ids) -> pd.DataFrame:
        pos = self.graph.user_ids.get_indexer(pd.unique(np.asarray(list(user_ids),
                                                                   dtype=object)))
        a, b = self._ties_among(pos[pos >= 0])
        ids = self.graph.user_ids.to_numpy(dtype=object)
        return pd.DataFrame({"user_a": ids[a], "user_b": ids[b]})

    def roles(self, products) -> pd.DataFrame:
        return self.sql.frame("influence/roles", products)

    def feed(self, user_id, *, at=None, likes=True, shares=False, top=20) -> pd.DataFrame:
        g = self.graph
        pos = g.user_ids.get_indexer([user_id])[0]
        parts = []
        if likes:
            friends = set(g.user_ids[g.indices[g.indptr[pos]:g.indptr[pos + 1]]])
            lk = self._table("likes", ["user_id", "product_id", "at"])
            lk = lk[lk["user_id"].isin(friends)]
            parts.append(pd.DataFrame({"product_id": lk["product_id"].to_numpy(dtype=object),
                                       "endorser_id": lk["user_id"].to_numpy(dtype=object),
                                       "at": lk["at"].to_numpy(dtype=np.int64)}))
        if shares:
            s = self._table("shares", ["sharer_id", "recipient_id", "product_id", "at"])
            s = s[(s["recipient_id"] == user_id) & (s["sharer_id"] != user_id)]
            parts.append(pd.DataFrame({"product_id": s["product_id"].to_numpy(dtype=object),
                                       "endorser_id": s["sharer_id"].to_numpy(dtype=object),
                                       "at": s["at"].to_numpy(dtype=np.int64)}))
        sig = pd.concat(parts, ignore_index=True) if parts else \
            pd.DataFrame({"product_id": [], "endorser_id": [], "at": []})
        if at is not None:
            sig = sig[sig["at"] <= at]
        sig = sig.groupby(["product_id", "endorser_id"], as_index=False)["at"].min()
        sig = sig.sort_values(["at", "endorser_id"], kind="stable")
        grouped = sig.groupby("product_id", sort=False)
        frame = pd.DataFrame({"friends": grouped.size(), "latest": grouped["at"].max(),
                              "endorsers": grouped["endorser_id"].agg(list)}).reset_index()
        names = self.product_names()
        frame.insert(1, "name", [names.get(p) for p in frame["product_id"]])
        frame = frame.sort_values(["friends", "latest", "product_id"],
                                  ascending=[False, False, True], kind="stable").head(top)
        return frame.astype({"friends": np.int64, "latest": np.int64}).reset_index(drop=True)[
            ["product_id", "name", "friends", "latest", "endorsers"]]

    def exposure_mix(self, products) -> pd.DataFrame:
        return self.sql.frame("domains/exposures", products)

    def exposed_users(self, products) -> pd.DataFrame:
        return self.sql.frame("domains/exposed_users", products)

    def sharers(self, products) -> pd.DataFrame:
        return self.sql.frame("domains/sharers", products)

    def adoption_touches(self, products, *, window_ms, users=True) -> pd.DataFrame:
        return self.sql.frame("domains/adoptions", products, window_ms=int(window_ms))

    def tree_edges(self, products) -> pd.DataFrame:
        return self.sql.frame("cascades/tree_edges", products)

    def members(self, products) -> pd.DataFrame:
        return self.sql.frame("cascades/members", products)

    def cascade_input(self, products) -> CascadeInput:
        """``cascades/members`` and ``cascades/tree_edges`` on codes: users as ranks in id
        order, products as positions among the distinct ``products``."""
        rank, ids = self._rank, self.owner.ids_in_order()
        m = self._coded("cascades/members", products)
        t = self._coded("cascades/tree_edges", products)
        return cascade_rows(distinct(products), ids,
                             self._positions(m["product_id"], products), rank[m["user_id"]],
                             m["promoted_at"] != columns.NULL_MS, m["received"],
                             self._positions(t["product_id"], products), rank[t["parent"]],
                             rank[t["child"]])

    def _table(self, name: str, names: list[str]) -> pd.DataFrame:
        frame = self.snap.get(name)
        if frame is None:
            return pd.DataFrame({c: pd.Series(dtype=np.int64 if c == "at" else object)
                                 for c in names})
        return frame
