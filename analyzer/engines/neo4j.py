"""The Neo4j engine: the database answers, through diffusion's server procedures
(``cypher/procedures``, when the server has the plugin) or through the Cypher modules.

A :class:`Neo4jSource` keeps its answers for its lifetime and can start reads in the
background (:meth:`Neo4jSource.prefetch`) on two sessions, so the server answers on both
cores while the analysis works on earlier rows.
"""

from __future__ import annotations

import logging
import queue
import threading
import weakref
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from typing import TYPE_CHECKING

from ..arrays import factorize_sorted, joined_text
from ..errors import CHANGED, DatabaseChanged, InputError, ProjectionRefused
from .contract import (ENDORSEMENT_COLUMNS, SIGNAL_COLUMNS, CascadeInput, Endorsed, Source,
                       cascade_rows, distinct)

if TYPE_CHECKING:
    from ..db import Runner

__all__ = ["Neo4jEngine", "Neo4jSource", "PROCEDURES"]

log = logging.getLogger("diffusion.sources")

#: question -> (server procedure module or None, Cypher module, its other parameters)
_READS = {
    "endorsements": ("procedures/endorsements", "influence/endorsements", ("likes", "shares")),
    "adoptions": ("procedures/adoptions", "influence/adoptions", ("purchases",)),
    "ties": (None, "influence/endorser_ties", ("user_ids",)),
    # on user numbers: asked only after a procedure answered with them (no Cypher twin)
    "tie_numbers": ("procedures/endorser_ties", None, ("key", "users")),
    "user_ids": ("procedures/user_ids", None, ("key", "users")),
    "roles": ("procedures/roles", "influence/roles", ()),
    "exposure_mix": ("procedures/exposure_mix", "domains/exposures", ()),
    "exposed_users": ("procedures/exposed_users", "domains/exposed_users", ()),
    "sharers": ("procedures/sharers", "domains/sharers", ()),
    "adoption_touches": ("procedures/adoption_touches", "domains/adoptions", ("window_ms",)),
    "tree_edges": ("procedures/tree_edges", "cascades/tree_edges", ()),
    "members": ("procedures/members", "cascades/members", ()),
}
#: the server procedures (analyzer/server/DiffusionProcedures.java) those modules call:
#: procedures/NAME calls diffusion.NAME
PROCEDURES = {"diffusion." + m.split("/", 1)[1] for m, _, _ in _READS.values() if m}
#: reads that name no products
_NO_PRODUCTS = ("ties", "tie_numbers", "user_ids")


def _frame(columns: dict, names: list[str], ints: tuple[str, ...] = (),
           bools: tuple[str, ...] = ()) -> pd.DataFrame:
    out = {}
    for name in names:
        values = columns.get(name, [])
        if name in ints:
            out[name] = values if isinstance(values, np.ndarray) and values.dtype.kind == "i" \
                else pd.array(values, dtype="Int64") if any(v is None for v in values) \
                else np.asarray(values, dtype=np.int64)
        elif name in bools:
            out[name] = np.asarray(values, dtype=bool)
        else:
            out[name] = np.asarray(values, dtype=object)
    return pd.DataFrame(out, columns=names)


class ServerIds:
    """The user ids of a server projection's user numbers, fetched when indexed (a report
    needs a few thousand of a million): ``ids[numbers]`` is an array of str."""

    def __init__(self, source: "Neo4jSource", key: str, n: int) -> None:
        self.source, self.key, self.n = source, key, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, numbers) -> np.ndarray:
        numbers = np.asarray(numbers, dtype=np.int64)
        if numbers.size == 0:
            return np.empty(numbers.shape, dtype=object)
        wanted, where = np.unique(numbers, return_inverse=True)
        return self.source._user_ids(self.key, wanted)[where].reshape(numbers.shape)


class _Background:
    """Daemon threads running submitted calls in order. Unlike a ThreadPoolExecutor's,
    reads still queued or running do not hold up the interpreter's exit (a command that
    fails half-way exits at once)."""

    def __init__(self, workers: int) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._workers = workers
        self.idle = 0  #: workers waiting for a call (an approximate count is enough)
        for i in range(workers):
            threading.Thread(target=self._work, name=f"diffusion-read_{i}", daemon=True).start()

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        self._queue.put((future, fn, args, kwargs))
        return future

    def _work(self) -> None:
        while True:
            self.idle += 1
            item = self._queue.get()
            self.idle -= 1
            if item is None:
                return
            future, fn, args, kwargs = item
            if not future.set_running_or_notify_cancel():
                continue  # taken over by the thread that needed it
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # handed to whoever asks for the result
                future.set_exception(exc)

    def close(self) -> None:
        for _ in range(self._workers):
            self._queue.put(None)


def _read_key(module: str, params: dict) -> tuple:
    return (module, tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                                 for k, v in params.items())))


def _columns(record) -> dict:
    """A server procedure's coded record. Its integer columns arrive as byte strings of
    little-endian int64s (one Bolt value each instead of a list of a million) and become
    int64 arrays here without a copy; ``users``, the ids back to back in UTF-8 with
    ``user_ends`` marking where each ends, becomes an array of str."""
    out = {k: np.frombuffer(v, dtype="<i8") if isinstance(v, (bytes, bytearray)) else v
           for k, v in dict(record).items() if k != "users"}
    if "user_ends" not in out:
        return out
    out["users"] = joined_text(record["users"], out.pop("user_ends"))
    return out


def _decode(cols: dict, products, ids, users: tuple[str, ...] = (),
            product: str | None = "product") -> dict:
    """A server procedure's columns with user numbers and product positions turned back
    into ids: each column named in ``users`` holds user numbers (``ids`` turns them into
    ids); ``product`` indexes the distinct product ids in the order given (as the procedure
    numbered them)."""
    out = dict(cols)
    for name in users:
        out[name] = ids[cols[name]]
    if product:
        names = np.asarray(distinct(products), dtype=object)
        out["product_id"] = names[cols[product]]
    return out


@dataclass
class Neo4jSource(Source):
    """Rows from the database. Answers are kept for the life of the object (a report asks
    for the same endorsements several times); make a new one after the database changes.

    With ``procedures`` (the default when the server has diffusion's plugin, as every
    server ``diffusion neo4j start`` runs does) the per-product reads go through the
    ``diffusion.*`` server procedures (cypher/procedures); otherwise, or with
    ``procedures=False``, through the Cypher modules. Both give the same rows."""

    runner: Runner
    engine: str = "neo4j"
    procedures: bool | None = None
    _cache: dict = field(default_factory=dict, repr=False)
    _pool: _Background | None = field(default=None, repr=False)
    #: the server projection every user number read so far belongs to
    _key: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.runner.refuse_during_load()
        if self.procedures is None:
            names = self.runner.run("admin/procedures")[0]["names"]
            self.procedures = PROCEDURES <= set(names)

    # ------------------------------------------------------------------ reads

    def _plan(self, question: str, products=(), **kw) -> tuple[str, dict]:
        """The module answering ``question`` on this server and its parameters."""
        procedure, module, extra = _READS[question]
        params: dict[str, Any] = ({"product_ids": list(products)}
                                  if question not in _NO_PRODUCTS else {})
        for name in extra:
            value = kw[name]
            params[name] = int(value) if name == "window_ms" else (
                distinct(value) if name == "user_ids" else value)
        chosen = procedure if self.procedures and procedure else module
        assert chosen is not None  # every question has a procedure or a module
        return chosen, params

    def _records(self, module: str, params: dict) -> list[dict]:
        """The module's records, kept for the source's lifetime; a read started by
        :meth:`prefetch` is waited for here."""
        key = _read_key(module, params)
        hit = self._cache.get(key)
        busy = self._pool is not None and not self._pool.idle
        if hit is None or (isinstance(hit, Future) and busy and hit.cancel()):
            # not asked before, or queued while both readers are busy with other reads: ask
            # it here and now (with a reader free, it is about to start: wait for it)
            hit = self._cache[key] = self._fetch(module, params)
        elif isinstance(hit, Future):
            hit = self._cache[key] = hit.result()
        return hit

    def _fetch(self, module: str, params: dict) -> list[dict]:
        """Run one module (on whichever thread asks); a server procedure's one record of
        byte columns comes back decoded by :func:`_columns`, once per read."""
        rows = self.runner.run(module, **params)
        if module.startswith("procedures/") and len(rows) == 1 \
                and any(isinstance(v, bytes) for v in rows[0].values()):
            return [_columns(rows[0])]
        return rows

    def _read(self, question: str, products=(), **kw) -> tuple[bool, list[dict]]:
        """(whether a server procedure answered, its records; a procedure's one record with
        its integer columns as arrays)."""
        module, params = self._plan(question, products, **kw)
        coded = module.startswith("procedures/")
        try:
            rows = self._records(module, params)
        except ProjectionRefused as exc:
            if not coded:
                raise
            # the server would not hold its projection in its heap: the Cypher modules
            # answer the same, more slowly (reads already started fail the same way and
            # are not asked again)
            log.warning("%s; using the Cypher modules instead", exc.reason)
            self.procedures = False
            return self._read(question, products, **kw)
        if coded and rows and "key" in rows[0]:
            self._same_projection(rows[0]["key"])
        return coded, rows

    def _same_projection(self, key: str) -> None:
        """User numbers join only within one projection: a write between two reads (which
        makes the server build a new one) fails the analysis instead of mixing them."""
        if self._key is None:
            self._key = key
        elif key != self._key:
            raise DatabaseChanged(f"{CHANGED} (projection {self._key}, then {key})")

    @property
    def _ids(self) -> "ServerIds":
        """The ids of the user numbers read so far."""
        assert self._key is not None, "user numbers come with a procedure's answer"
        return ServerIds(self, self._key, self.n_users())

    def _user_ids(self, key: str, numbers: np.ndarray) -> np.ndarray:
        """The ids of these user numbers of projection ``key`` (an error if the database
        changed since)."""
        cols = self._fetch("procedures/user_ids",
                           {"key": key, "users": numbers.astype("<i8").tobytes()})[0]
        return np.asarray(cols["users"], dtype=object)

    def prefetch(self, reads: list[tuple[str, list, dict]]) -> None:
        """Start reads, each ``(question, products, options)``, on two background sessions,
        so the server answers them on both cores while this thread works on earlier rows.
        The methods below then wait for them instead of asking again."""
        if self._pool is None:
            self._pool = _Background(2)
            weakref.finalize(self, self._pool.close)
        for question, products, kw in reads:
            module, params = self._plan(question, products, **kw)
            key = _read_key(module, params)
            if key not in self._cache:
                self._cache[key] = self._pool.submit(self._fetch, module, params)

    # ------------------------------------------------------------------ questions

    def n_users(self) -> int:
        if "n_users" not in self._cache:
            self._cache["n_users"] = int(self.runner.run("admin/node_count")[0]["users"])
        return self._cache["n_users"]

    def product_ids(self) -> list[str]:
        """In id (code-point) order, as the snapshot engine lists them."""
        return sorted(r["product_id"] for r in self.runner.run("export/products"))

    def product_names(self) -> dict[str, str]:
        return {r["product_id"]: r["name"] for r in self.runner.run("export/products")}

    def user_exists(self, user_id: str) -> bool:
        return bool(self.runner.run("reach/seed_nodes", user_ids=[user_id]))

    def endorsements(self, products, *, likes=True, shares=True) -> pd.DataFrame:
        if self.procedures:
            return self.endorsement_codes(products, likes=likes, shares=shares).to_frame()
        _, rows = self._read("endorsements", products, likes=likes, shares=shares)
        return _frame(rows[0], ENDORSEMENT_COLUMNS, ints=("at",))

    def _endorsement_codes(self, products, *, likes, shares) -> Endorsed:
        coded, rows = self._read("endorsements", products, likes=likes, shares=shares)
        if not coded:
            return super()._endorsement_codes(products, likes=likes, shares=shares)
        cols = rows[0]
        return Endorsed(self._ids, distinct(products), cols["user"], cols["product"],
                        cols["endorser"], cols["at"], key=cols["key"])

    def signals(self, products) -> pd.DataFrame:
        cols = self._records("influence/signals", {"product_ids": list(products)})[0]
        return _frame(cols, SIGNAL_COLUMNS, ints=("at",))

    def adoptions(self, products, *, purchases=True) -> pd.DataFrame:
        coded, rows = self._read("adoptions", products, purchases=purchases)
        if coded:
            cols = _decode(rows[0], products, self._ids, ("user",))
            cols["user_id"] = cols["user"]
            return _frame(cols, ["user_id", "product_id", "at"], ints=("at",))
        return _frame(rows[0], ["user_id", "product_id", "at"], ints=("at",))

    def credit_candidates(self, products, *, window_ms, purchases=True, likes=True,
                          shares=True) -> pd.DataFrame:
        cols = self._records("influence/credit_candidates", {
            "product_ids": list(products), "purchases": purchases, "likes": likes,
            "shares": shares, "window_ms": int(window_ms)})[0]
        return _frame(cols, ["user_id", "product_id", "endorser_id", "adopted_at",
                             "endorsed_at"], ints=("adopted_at", "endorsed_at"))

    def _tie_read(self, E: Endorsed, codes: np.ndarray) -> tuple[str, dict]:
        if E.key is not None:  # user numbers: the server looks them up directly
            return "tie_numbers", {"key": E.key, "users": codes.astype("<i8").tobytes()}
        return "ties", {"user_ids": E.ids[codes]}

    def start_ties(self, E: Endorsed, codes: np.ndarray) -> None:
        question, kw = self._tie_read(E, codes)
        self.prefetch([(question, [], kw)])

    def tie_codes(self, E: Endorsed, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        question, kw = self._tie_read(E, codes)
        if question == "ties":
            return super().tie_codes(E, codes)
        cols = self._read(question, **kw)[1][0]
        return cols["a"], cols["b"]

    def adoption_keys(self, E: Endorsed, products, *, purchases=True):
        coded, rows = self._read("adoptions", products, purchases=purchases)
        if not (coded and E.key is not None):
            return super().adoption_keys(E, products, purchases=purchases)
        stride = max(len(E.ids), 1)  # both are user numbers of one projection
        return rows[0]["product"] * stride + rows[0]["user"], rows[0]["at"], stride

    def role_codes(self, E: Endorsed, products) -> tuple[np.ndarray, np.ndarray]:
        coded, rows = self._read("roles", products)
        if not (coded and E.key is not None):
            return super().role_codes(E, products)
        return rows[0]["user"], np.asarray(rows[0]["role"], dtype=object)

    def ties(self, user_ids) -> pd.DataFrame:
        return _frame(self._read("ties", user_ids=user_ids)[1][0], ["user_a", "user_b"])

    def roles(self, products) -> pd.DataFrame:
        coded, rows = self._read("roles", products)
        if coded:
            cols = _decode(rows[0], products, self._ids, ("user",))
            return pd.DataFrame({"user_id": cols["user"], "product_id": cols["product_id"],
                                 "role": np.asarray(cols["role"], dtype=object)})
        return _frame(rows[0], ["user_id", "product_id", "role"])

    def feed(self, user_id, *, at=None, likes=True, shares=False, top=20) -> pd.DataFrame:
        rows = self.runner.run("influence/feed", user_id=user_id, at=at, likes=likes,
                               shares=shares, top=int(top))
        frame = pd.DataFrame(rows, columns=["product_id", "name", "friends", "latest",
                                            "endorsers"])
        return frame.astype({"friends": np.int64, "latest": np.int64})

    def exposure_mix(self, products) -> pd.DataFrame:
        frame = pd.DataFrame(self._read("exposure_mix", products)[1],
                             columns=["product_id", "channel", "domain", "exposures", "users"])
        return frame.astype({"product_id": object, "channel": object, "domain": object,
                             "exposures": np.int64, "users": np.int64})

    def exposed_users(self, products) -> pd.DataFrame:
        frame = pd.DataFrame(self._read("exposed_users", products)[1],
                             columns=["product_id", "users"])
        return frame.astype({"product_id": object, "users": np.int64})

    def sharers(self, products) -> pd.DataFrame:
        frame = pd.DataFrame(self._read("sharers", products)[1],
                             columns=["product_id", "channel", "sharers", "shares"])
        return frame.astype({"product_id": object, "channel": object, "sharers": np.int64,
                             "shares": np.int64})

    def adoption_touches(self, products, *, window_ms, users=True) -> pd.DataFrame:
        """The rows of domains/adoptions; with ``users=False`` the user_id column may hold
        the server's user numbers instead (the domains analysis does not read it)."""
        names = ["user_id", "product_id", "at", "channel", "exposure_channel",
                 "exposure_domain", "endorsed"]
        coded, rows = self._read("adoption_touches", products, window_ms=window_ms)
        if coded:
            cols = _decode(rows[0], products, self._ids, ("user",) if users else ())
            cols["user_id"] = cols["user"]
            return _frame(cols, names, ints=("at",), bools=("endorsed",))
        return _frame({n: [r[n] for r in rows] for n in names}, names, ints=("at",),
                      bools=("endorsed",))

    def tree_edges(self, products) -> pd.DataFrame:
        coded, rows = self._read("tree_edges", products)
        cols = _decode(rows[0], products, self._ids, ("parent", "child")) if coded else rows[0]
        return _frame(cols, ["product_id", "parent", "child", "kind", "at", "incoming"],
                      ints=("at", "incoming"))

    def members(self, products) -> pd.DataFrame:
        coded, rows = self._read("members", products)
        if coded:
            cols = _decode(rows[0], products, self._ids, ("user",))
            cols["user_id"] = cols["user"]
            frame = _frame(cols, ["product_id", "user_id", "received"], ints=("received",))
            promoted = np.asarray(cols["promoted"], dtype=bool)
            frame["promoted_at"] = pd.array(np.asarray(cols["promoted_at"], dtype=np.int64),
                                            dtype="Int64")
            frame.loc[~promoted, "promoted_at"] = pd.NA
            return frame[["product_id", "user_id", "promoted_at", "received"]]
        cols = rows[0]
        frame = _frame(cols, ["product_id", "user_id", "received"], ints=("received",))
        frame["promoted_at"] = pd.array([x[0] for x in cols["promoted_at"]], dtype="Int64")
        return frame[["product_id", "user_id", "promoted_at", "received"]]

    def cascade_input(self, products) -> CascadeInput:
        """The two modules' rows, coded with one pass of hashing over every id; from the
        server procedures, on their codes (ids are hashed once each, not once a row)."""
        if self.procedures:
            coded, members = self._read("members", products)
            if coded:
                t = self._read("tree_edges", products)[1][0]
                m = members[0]
                # user numbers are ranks in id order: they are the codes CascadeInput wants
                return cascade_rows(distinct(products), self._ids, m["product"], m["user"],
                                     m["promoted"].astype(bool), m["received"], t["product"],
                                     t["parent"], t["child"])
        members, edges = self.members(products), self.tree_edges(products)
        M, E = len(members), len(edges)
        codes, users = factorize_sorted(np.concatenate([
            members["user_id"].to_numpy(dtype=object), edges["parent"].to_numpy(dtype=object),
            edges["child"].to_numpy(dtype=object)]))
        prod = pd.Index(distinct(products), dtype=object)
        pall = prod.get_indexer(np.concatenate([members["product_id"].to_numpy(dtype=object),
                                                edges["product_id"].to_numpy(dtype=object)]))
        pall = pall.astype(np.int64)
        return cascade_rows(distinct(products), users, pall[:M], codes[:M],
                             members["promoted_at"].notna().to_numpy(),
                             members["received"].to_numpy(dtype=np.int64),
                             pall[M:], codes[M:M + E], codes[M + E:])


class Neo4jEngine:
    """A Neo4j database as an engine (see :class:`~analyzer.engines.contract.Engine`)."""

    name = "neo4j"

    def __init__(self, runner) -> None:
        self.runner = runner

    @property
    def where(self) -> str:
        return self.runner.uri

    def source(self) -> Neo4jSource:
        return Neo4jSource(self.runner)

    @cached_property
    def _graph(self):
        from ..graph import project_neo4j

        return project_neo4j(self.runner)

    def graph(self):
        return self._graph

    def _stored_probabilities(self, rows: dict, ends: tuple[str, str], name: str,
                              joint: str) -> np.ndarray:
        """The ``probability`` list of a project module's answer, refusing rows without
        one (their ``missing`` stand-in, -1), naming how many and the first pair."""
        p = np.asarray(rows["probability"], dtype=np.float64)
        missing = np.flatnonzero(p < 0)
        if len(missing):
            first = int(missing[0])
            raise InputError(f"{{p}} column: {len(missing):,} of {len(p):,} {name} in the "
                             f"database have no probability (each needs one; the first: "
                             f"{rows[ends[0]][first]}{joint}{rows[ends[1]][first]})",
                             field="probability", params=("p",))
        return p

    def friendship_probabilities(self) -> np.ndarray:
        graph = self.graph()
        self.runner.refuse_during_load()
        rows = self.runner.run("project/friendship_probabilities", missing=-1.0)[0]
        p = self._stored_probabilities(rows, ("user_a", "user_b"), "friendships", "-")
        a = graph.user_ids.get_indexer(np.asarray(rows["user_a"], dtype=object))
        b = graph.user_ids.get_indexer(np.asarray(rows["user_b"], dtype=object))
        return graph.arc_values(a, b, p)

    @cached_property
    def _follow_rows(self) -> dict:
        """``project/follows``, read once, like the graph (with and without probabilities
        are the same rows)."""
        self.runner.refuse_during_load()
        return self.runner.run("project/follows", missing=-1.0)[0]

    def follows(self, *, probabilities: bool = False):
        graph = self.graph()
        rows = self._follow_rows
        follower = graph.user_ids.get_indexer(np.asarray(rows["follower_id"], dtype=object))
        followee = graph.user_ids.get_indexer(np.asarray(rows["followee_id"], dtype=object))
        p = (self._stored_probabilities(rows, ("follower_id", "followee_id"), "follows",
                                        " follows ") if probabilities else None)
        return followee.astype(np.int64), follower.astype(np.int64), p

    def share_counts(self) -> dict[str, int]:
        return {r["product_id"]: r["shares"] for r in self.runner.run("stats/products")}

    def product_roles(self, product: str) -> dict[str, set[str]]:
        from ..reach import product_roles_neo4j

        return {r: set(users) for r, users in product_roles_neo4j(self.runner, product).items()}

    def product_seeds(self, product: str, roles: list[str]) -> list[str]:
        from ..reach import product_seeds_neo4j

        return product_seeds_neo4j(self.runner, product, roles)

    def reach_in_database(self, seeds: list[str], hops: int, *, per_seed: bool,
                          overlap: bool | None, **meta: Any):
        from ..reach import reach_neo4j

        return reach_neo4j(self.runner, seeds, hops, per_seed=per_seed, overlap=overlap, **meta)

    def people_tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        return (pd.DataFrame(self.runner.run("export/users")),
                pd.DataFrame(self.runner.run("export/friendships")))

    def close(self) -> None:
        self.runner.close()
