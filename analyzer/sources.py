"""Where the diffusion analyses get their rows: Neo4j (server procedures or Cypher modules)
or a snapshot (pandas and numpy on validation's row positions).

Both sources answer the same small set of questions with frames of the same
columns and dtypes (ids as Python strings, times as int64 epoch milliseconds),
so the analyses in :mod:`analyzer.influence` and :mod:`analyzer.cascades` never
know which one they read. The endorsement rows, the largest, also come as
integer codes (:class:`Endorsed`). ``tests/test_influence.py`` checks that the
sources agree row for row on the same data, Neo4j both through the procedures
and through the Cypher modules.

Each method mirrors one module under ``cypher/influence``, ``cypher/domains``
or ``cypher/cascades``; the module's header is the specification, and the
procedure (``analyzer/server/DiffusionProcedures.java``) and the code here
implement the same rule.
"""

from __future__ import annotations

import logging
import queue
import threading
import weakref
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from . import columns
from .arrays import factorize_sorted, joined_text
from .errors import CHANGED, DatabaseChanged, InputError, ProjectionRefused

__all__ = ["Source", "SnapshotSource", "Neo4jSource"]

log = logging.getLogger("diffusion.sources")

ENDORSEMENT_COLUMNS = ["user_id", "product_id", "endorser_id", "at"]
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
SIGNAL_COLUMNS = ["endorser_id", "user_id", "product_id", "channel", "at"]


def distinct(products) -> list[str]:
    """The products in the order given, each once (as ``IN $product_ids`` reads them)."""
    return list(dict.fromkeys(products))


def prefetch(source, reads: list[tuple[str, list, dict]]) -> None:
    """Let a source that can (Neo4j) start these reads in the background."""
    start = getattr(source, "prefetch", None)
    if start is not None:
        start(reads)


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


def obj(values) -> pd.Series:
    """Text values as a Python-object column (no conversion to Arrow strings)."""
    return pd.Series(np.asarray(values, dtype=object), dtype=object, copy=False)


def expand_neighbors(graph, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(source, friend) position pairs for every friend of every position in ``pos``."""
    pos = np.asarray(pos, dtype=np.int64)
    counts = (graph.indptr[pos + 1] - graph.indptr[pos]).astype(np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    offsets = np.repeat(graph.indptr[pos] - first, counts) + np.arange(total)
    return np.repeat(pos, counts), graph.indices[offsets].astype(np.int64)


def sort_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a canonical order (all columns ascending) with text as Python objects,
    for comparing what the two sources return."""
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c].dtype)
            and not pd.api.types.is_bool_dtype(frame[c].dtype)]
    frame = frame.astype({c: object for c in text})
    for c in text:
        frame[c] = frame[c].where(frame[c].notna(), None)
    return frame.sort_values(list(frame.columns), kind="stable").reset_index(drop=True)


@dataclass
class CascadeInput:
    """Cascade rows as integers. User codes index ``user_ids``, which is in id (code-point)
    order, so ordering by code is ordering by id; product codes index ``products``.
    Members are unique (product, user) pairs in that order; a tree edge is the positions
    of its parent and child among the members."""

    products: list[str]
    user_ids: np.ndarray
    m_product: np.ndarray
    m_user: np.ndarray
    m_promoted: np.ndarray
    m_received: np.ndarray
    e_parent: np.ndarray
    e_child: np.ndarray


@dataclass
class Endorsed:
    """Endorsement rows as integers: each (user, product, endorser) once, with its earliest
    signal. ``user`` and ``endorser`` index ``ids``, which is in id (code-point) order on
    every source, so ordering by code is ordering by id; ``product`` indexes the distinct
    products in the order asked. From the server procedures the codes are the projection's
    user numbers (``key`` names the projection) and ``ids`` fetches ids when indexed."""

    ids: np.ndarray  #: or a :class:`ServerIds`
    products: list[str]
    user: np.ndarray
    product: np.ndarray
    endorser: np.ndarray
    at: np.ndarray
    #: ids -> codes (-1 for none), when faster than hashing ``ids``
    lookup: object = field(default=None, repr=False)
    key: str | None = None  #: the server projection the codes are numbers of

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, products) -> "Endorsed":
        """From the rows of :meth:`Source.endorsements` (ids as text)."""
        names = distinct(products)
        n = len(frame)
        codes, ids = factorize_sorted(np.concatenate([
            frame["user_id"].to_numpy(dtype=object), frame["endorser_id"].to_numpy(dtype=object)]))
        product = pd.Index(names, dtype=object).get_indexer(
            frame["product_id"].to_numpy(dtype=object))
        return cls(np.asarray(ids, dtype=object), names, codes[:n].astype(np.int64),
                   product.astype(np.int64), codes[n:].astype(np.int64),
                   frame["at"].to_numpy(dtype=np.int64))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"user_id": self.ids[self.user],
                             "product_id": np.asarray(self.products, dtype=object)[self.product],
                             "endorser_id": self.ids[self.endorser], "at": self.at})

    def find(self, user_ids) -> np.ndarray:
        """The codes of these user ids, -1 for ids not among ``ids``."""
        user_ids = np.asarray(user_ids, dtype=object)
        if self.lookup is not None:
            return np.asarray(self.lookup(user_ids), dtype=np.int64)
        return self._index.get_indexer(user_ids).astype(np.int64)

    @cached_property
    def _index(self) -> pd.Index:
        """code -> id as a pandas index, for looking codes up by id."""
        return pd.Index(self.ids, dtype=object)

    def codes_of(self, user_ids) -> tuple[np.ndarray, int]:
        """Codes of these user ids, and how many codes there are with them: ids not among
        ``ids`` get codes from len(ids) up."""
        pos = self.find(user_ids)
        missing = pos < 0
        if not missing.any():
            return pos, len(self.ids)
        extra, uniques = pd.factorize(np.asarray(user_ids, dtype=object)[missing])
        pos[missing] = len(self.ids) + extra
        return pos, len(self.ids) + len(uniques)


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


class Source:
    """The questions both engines answer. See the Cypher module named in each docstring."""

    engine: str
    _cache: dict  #: answers kept for the source's lifetime

    def n_users(self) -> int: ...
    def product_ids(self) -> list[str]: ...
    def product_names(self) -> dict[str, str]: ...
    def user_exists(self, user_id: str) -> bool: ...

    def endorsement_codes(self, products, *, likes=True, shares=True) -> Endorsed:
        """:meth:`endorsements` as integers (kept for the source's lifetime)."""
        key = ("endorsement_codes", tuple(products), likes, shares)
        if key not in self._cache:
            self._cache[key] = self._endorsement_codes(products, likes=likes, shares=shares)
        return self._cache[key]

    def _endorsement_codes(self, products, *, likes, shares) -> Endorsed:
        return Endorsed.from_frame(self.endorsements(products, likes=likes, shares=shares),
                                   products)

    def tie_codes(self, E: Endorsed, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The friendships among the users with these codes of ``E`` (each pair once), as
        pairs of codes."""
        ties = self.ties(E.ids[codes])
        a = E.find(ties["user_a"].to_numpy(dtype=object))
        b = E.find(ties["user_b"].to_numpy(dtype=object))
        both = (a >= 0) & (b >= 0)
        return a[both], b[both]

    def start_ties(self, E: Endorsed, codes: np.ndarray) -> None:
        """Start reading :meth:`tie_codes` in the background, where a source can."""

    def adoption_keys(self, E: Endorsed, products, *, purchases=True):
        """Each adoption's (product, user) key, product * stride + user code in the codes of
        ``E`` (product: position among the distinct products); its time; and the stride.
        Adopters without an endorsement row get codes of their own."""
        adopt = self.adoptions(products, purchases=purchases)
        user, stride = E.codes_of(adopt["user_id"].to_numpy(dtype=object))
        product = pd.Index(E.products, dtype=object).get_indexer(
            adopt["product_id"].to_numpy(dtype=object)).astype(np.int64)
        stride = max(stride, 1)
        return product * stride + user, adopt["at"].to_numpy(dtype=np.int64), stride

    def role_codes(self, E: Endorsed, products) -> tuple[np.ndarray, np.ndarray]:
        """The codes in ``E`` of the products' promoters and sharers, and each one's role
        (a user with both roles appears twice; users not in ``E`` are left out)."""
        roles = self.roles(products)
        code = E.find(roles["user_id"].to_numpy(dtype=object))
        keep = code >= 0
        return code[keep], roles["role"].to_numpy(dtype=object)[keep]

    def check_products(self, products: list[str]) -> list[str]:
        known = set(self.product_ids())
        unknown = [p for p in products if p not in known]
        if unknown:
            raise InputError(f"unknown product(s): {', '.join(map(repr, unknown[:10]))}",
                             field="PRODUCT")
        return list(products)

    def resolve(self, product: str | None, all_products: bool) -> list[str]:
        if all_products:
            products = self.product_ids()
            if not products:
                raise InputError("the data has no products", field="--all")
            return products
        if not product:
            raise InputError("give a PRODUCT or --all", field="PRODUCT")
        return self.check_products([product])


# --------------------------------------------------------------------------- Neo4j


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

    runner: object
    engine: str = "neo4j"
    procedures: bool | None = None
    _cache: dict = field(default_factory=dict, repr=False)
    _pool: object = field(default=None, repr=False)
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
        params = {"product_ids": list(products)} if question not in _NO_PRODUCTS else {}
        for name in extra:
            value = kw[name]
            params[name] = int(value) if name == "window_ms" else (
                distinct(value) if name == "user_ids" else value)
        return (procedure if self.procedures and procedure else module), params

    def _records(self, module: str, params: dict) -> list[dict]:
        """The module's records, kept for the source's lifetime; a read started by
        :meth:`prefetch` is waited for here."""
        key = _read_key(module, params)
        hit = self._cache.get(key)
        if hit is None or (isinstance(hit, Future) and not self._pool.idle and hit.cancel()):
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
                return _cascade_rows(distinct(products), self._ids, m["product"], m["user"],
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
        return _cascade_rows(distinct(products), users, pall[:M], codes[:M],
                             members["promoted_at"].notna().to_numpy(),
                             members["received"].to_numpy(dtype=np.int64),
                             pall[M:], codes[M:M + E], codes[M + E:])


def _cascade_rows(products, user_ids, m_product, m_user, m_promoted, m_received, e_product,
                  e_parent, e_child) -> CascadeInput:
    """CascadeInput from coded members and tree edges: the members ordered by (product,
    user code), each edge's parent and child found among them."""
    n = max(len(user_ids), 1)
    mkey = m_product * n + m_user
    order = np.argsort(mkey, kind="stable")
    mkey = mkey[order]
    return CascadeInput(products, user_ids, m_product[order], m_user[order], m_promoted[order],
                        m_received[order], np.searchsorted(mkey, e_product * n + e_parent),
                        np.searchsorted(mkey, e_product * n + e_child))


# --------------------------------------------------------------------------- snapshot


def _empty(table: str, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=np.int64 if c == "at" else object)
                         for c in columns})


@dataclass
class SnapshotSource(Source):
    snap: object
    engine: str = "memory"
    _cache: dict = field(default_factory=dict, repr=False)

    def table(self, name: str, columns: list[str]) -> pd.DataFrame:
        frame = self.snap.get(name)
        if frame is None:
            return _empty(name, columns)
        return frame

    @cached_property
    def graph(self):
        from .graph import project_snapshot

        return project_snapshot(self.snap)

    @cached_property
    def sql(self):
        """The DuckDB engine that runs the ``sql/`` rules on this snapshot's columns."""
        from .engines.duckdb import DuckDBEngine

        return DuckDBEngine(self.snap)

    def _positions(self, codes: np.ndarray, products) -> np.ndarray:
        """Product codes (rows of the products table) as positions among the distinct
        ``products``, the numbering every source's coded answers use."""
        lut = pd.Index(distinct(products), dtype=object).get_indexer(self.snap.ids("products"))
        return lut.astype(np.int64)[codes]

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
        rank, ids = self._user_order  # codes in id order, as every source's
        return Endorsed(ids, distinct(products), rank[col["user_id"]],
                        self._positions(col["product_id"], products), rank[col["endorser_id"]],
                        col["at"].astype(np.int64), lookup=self._ranks_of)

    def _ranks_of(self, user_ids) -> np.ndarray:
        """Each id's rank in id order (its code in :meth:`endorsement_codes`), -1 for none."""
        pos = self.graph.user_ids.get_indexer(np.asarray(user_ids, dtype=object))
        return np.where(pos >= 0, self._user_order[0][np.maximum(pos, 0)], -1)

    def adoptions(self, products, *, purchases=True) -> pd.DataFrame:
        return self.sql.frame("influence/adoptions", products, purchases=purchases)

    def credit_candidates(self, products, *, window_ms, purchases=True, likes=True,
                          shares=True) -> pd.DataFrame:
        return self.sql.frame("influence/credit_candidates", products, purchases=purchases,
                              likes=likes, shares=shares, window_ms=int(window_ms))

    def ties(self, user_ids) -> pd.DataFrame:
        g = self.graph
        wanted = pd.Index(sorted(set(user_ids)))
        pos = g.user_ids.get_indexer(wanted)
        pos = pos[pos >= 0]
        inside = np.zeros(g.n_users, dtype=bool)
        inside[pos] = True
        src, dst = expand_neighbors(g, pos)
        keep = inside[dst]
        ids = g.user_ids.to_numpy(dtype=object)
        a, b = ids[src[keep]], ids[dst[keep]]
        lower = a < b
        return pd.DataFrame({"user_a": a[lower], "user_b": b[lower]})

    def roles(self, products) -> pd.DataFrame:
        return self.sql.frame("influence/roles", products)

    def feed(self, user_id, *, at=None, likes=True, shares=False, top=20) -> pd.DataFrame:
        g = self.graph
        pos = g.user_ids.get_indexer([user_id])[0]
        parts = []
        if likes:
            friends = set(g.user_ids[g.indices[g.indptr[pos]:g.indptr[pos + 1]]])
            lk = self.table("likes", ["user_id", "product_id", "at"])
            lk = lk[lk["user_id"].isin(friends)]
            parts.append(pd.DataFrame({"product_id": lk["product_id"].to_numpy(dtype=object),
                                       "endorser_id": lk["user_id"].to_numpy(dtype=object),
                                       "at": lk["at"].to_numpy(dtype=np.int64)}))
        if shares:
            s = self.table("shares", ["sharer_id", "recipient_id", "product_id", "at"])
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

    # Cascades work on integer codes: user codes are ranks in id (code-point) order, so
    # ordering by code is ordering by id, as ``ORDER BY s.user_id`` does in Cypher; the
    # references' row positions come from validation (``Snapshot.codes``).

    @cached_property
    def _user_order(self) -> tuple[np.ndarray, np.ndarray]:
        """Rank of each users-table row in id order, and the ids in that order (the rank
        the rules break ties on)."""
        rank = self.sql.user_rank()
        ids = np.empty(len(rank), dtype=object)
        ids[rank] = self.snap.ids("users")
        return rank, ids

    def tree_edges(self, products) -> pd.DataFrame:
        return self.sql.frame("cascades/tree_edges", products)

    def members(self, products) -> pd.DataFrame:
        return self.sql.frame("cascades/members", products)

    def cascade_input(self, products) -> CascadeInput:
        """``cascades/members`` and ``cascades/tree_edges`` on codes: users as ranks in id
        order, products as positions among the distinct ``products``."""
        rank, ids = self._user_order
        m = self._coded("cascades/members", products)
        t = self._coded("cascades/tree_edges", products)
        return _cascade_rows(distinct(products), ids,
                             self._positions(m["product_id"], products), rank[m["user_id"]],
                             m["promoted_at"] != columns.NULL_MS, m["received"],
                             self._positions(t["product_id"], products), rank[t["parent"]],
                             rank[t["child"]])

    def _coded(self, rule: str, products, **params) -> dict[str, np.ndarray]:
        """A rule's coded rows as numpy columns (times without a value as NULL_MS)."""
        got = self.sql.run(rule, products, **params)
        out = {}
        for name in got.column_names:
            arr = columns.one_chunk(got.column(name))
            out[name] = (arr.fill_null(columns.NULL_MS) if arr.null_count else arr).to_numpy(
                zero_copy_only=False)
        return out
