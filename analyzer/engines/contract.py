"""The contract every engine keeps: the questions an analysis may ask, and the shapes of
the answers.

:class:`Engine` is what a :class:`~analyzer.api.Session` holds: it names the engine,
projects the friendship graph, finds a product's users by role, and makes a
:class:`Source`, which answers the per-product questions. Each question mirrors one
module under ``cypher/influence``, ``cypher/domains`` or ``cypher/cascades`` (the
specification) and, on the columnar engines, one rule under ``sql/`` (docs/rules.md).
Every source answers with frames of the same columns (ids as text, times as int64 epoch
milliseconds); the largest answers also come as integer codes (:class:`Endorsed`,
:class:`CascadeInput`). ``tests/test_influence.py`` and ``tests/test_rules.py`` check
that the engines agree row for row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from ..arrays import factorize_sorted
from ..errors import InputError

if TYPE_CHECKING:
    from ..graph import FriendGraph

__all__ = ["Engine", "Source", "Endorsed", "CascadeInput", "cascade_rows", "distinct",
           "prefetch", "obj", "expand_neighbors", "sort_rows", "ENDORSEMENT_COLUMNS",
           "SIGNAL_COLUMNS"]


class Engine(Protocol):
    """One place the data lives (a Neo4j database, a snapshot), and how it answers."""

    #: "neo4j" or "memory": the ``engine`` every result names
    name: str

    @property
    def where(self) -> str:
        """The database's URI or the snapshot's path."""
        ...

    def source(self) -> "Source":
        """A new row source (sources keep their answers for their lifetime)."""
        ...

    def graph(self) -> "FriendGraph":
        """The friendship graph, users in id order (the same arrays on every engine)."""
        ...

    def friendship_probabilities(self) -> np.ndarray:
        """Each arc's stored friendship probability (float64, aligned with
        ``graph().indices``; both arcs of a friendship get its value), for ``p="column"``.
        Raises InputError when the data has no probability or a friendship lacks one."""
        ...

    def follows(self, *, probabilities: bool = False
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(followee, follower, probability) of every follow: users as positions in
        ``graph()``'s numbering (int64), influence flowing followee -> follower; empty
        when the data has none. With ``probabilities``, each follow's stored value
        (float64), raising InputError when the column is absent or a follow lacks one;
        else None."""
        ...

    def share_counts(self) -> dict[str, int]:
        """Shares per product id, every product present (0 for none)."""
        ...

    def product_roles(self, product: str) -> dict[str, set[str]]:
        """The product's users by role (``reach.ROLES``), every role at once."""
        ...

    def product_seeds(self, product: str, roles: list[str]) -> list[str]:
        """The product's users in these roles, sorted."""
        ...

    def reach_in_database(self, seeds: list[str], hops: int, *, per_seed: bool,
                          overlap: bool | None, **meta: Any) -> Any:
        """Reach counted by the database itself (only Neo4j can; others raise)."""
        ...

    def people_tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The users and friendships tables."""
        ...

    def close(self) -> None:
        ...


ENDORSEMENT_COLUMNS = ["user_id", "product_id", "endorser_id", "at"]
SIGNAL_COLUMNS = ["endorser_id", "user_id", "product_id", "channel", "at"]


def distinct(products) -> list[str]:
    """The products in the order given, each once (as ``IN $product_ids`` reads them)."""
    return list(dict.fromkeys(products))


def prefetch(source, reads: list[tuple[str, list, dict]]) -> None:
    """Let a source that can (Neo4j) start these reads in the background."""
    start = getattr(source, "prefetch", None)
    if start is not None:
        start(reads)


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

    ids: Any  #: an array of ids, or the Neo4j engine's ServerIds (fetched when indexed)
    products: list[str]
    user: np.ndarray
    product: np.ndarray
    endorser: np.ndarray
    at: np.ndarray
    #: ids -> codes (-1 for none), when faster than hashing ``ids``
    lookup: Callable[[Any], np.ndarray] | None = field(default=None, repr=False)
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


class Source:
    """Every question an analysis may ask an engine, and the answers' shapes. Each
    per-product question is the rule of the Cypher module (and ``sql/`` rule) it names;
    ``products`` are product ids, answered in the order given, each once. Engines
    override every question; the coded variants below have generic versions on top of
    the text answers, which an engine replaces where it has codes already."""

    engine: str  #: "neo4j", "memory" or "spark"
    _cache: dict  #: answers kept for the source's lifetime

    def n_users(self) -> int:
        raise NotImplementedError

    def product_ids(self) -> list[str]:
        """Every product id, sorted."""
        raise NotImplementedError

    def product_names(self) -> dict[str, str]:
        raise NotImplementedError

    def user_exists(self, user_id: str) -> bool:
        raise NotImplementedError

    def endorsements(self, products, *, likes: bool = True,
                     shares: bool = True) -> pd.DataFrame:
        """influence/endorsements: user_id, product_id, endorser_id, at."""
        raise NotImplementedError

    def signals(self, products) -> pd.DataFrame:
        """influence/signals: endorser_id, user_id, product_id, channel, at."""
        raise NotImplementedError

    def adoptions(self, products, *, purchases: bool = True) -> pd.DataFrame:
        """influence/adoptions: user_id, product_id, at."""
        raise NotImplementedError

    def credit_candidates(self, products, *, window_ms: int, purchases: bool = True,
                          likes: bool = True, shares: bool = True) -> pd.DataFrame:
        """influence/credit_candidates: user_id, product_id, endorser_id, adopted_at,
        endorsed_at."""
        raise NotImplementedError

    def ties(self, user_ids) -> pd.DataFrame:
        """influence/endorser_ties: the friendships among these users, user_a, user_b."""
        raise NotImplementedError

    def roles(self, products) -> pd.DataFrame:
        """influence/roles: user_id, product_id, role (promoter or sharer)."""
        raise NotImplementedError

    def feed(self, user_id: str, *, at: int | None = None, likes: bool = True,
             shares: bool = False, top: int = 20) -> pd.DataFrame:
        """influence/feed: product_id, name, friends, latest, endorsers."""
        raise NotImplementedError

    def exposure_mix(self, products) -> pd.DataFrame:
        """domains/exposures: product_id, channel, domain, exposures, users."""
        raise NotImplementedError

    def exposed_users(self, products) -> pd.DataFrame:
        """domains/exposed_users: product_id, users."""
        raise NotImplementedError

    def sharers(self, products) -> pd.DataFrame:
        """domains/sharers: product_id, channel, sharers, shares."""
        raise NotImplementedError

    def adoption_touches(self, products, *, window_ms: int, users: bool = True
                         ) -> pd.DataFrame:
        """domains/adoptions: user_id, product_id, at, channel, exposure_channel,
        exposure_domain, endorsed."""
        raise NotImplementedError

    def tree_edges(self, products) -> pd.DataFrame:
        """cascades/tree_edges: product_id, parent, child, kind, at, incoming."""
        raise NotImplementedError

    def members(self, products) -> pd.DataFrame:
        """cascades/members: product_id, user_id, promoted_at, received."""
        raise NotImplementedError

    def cascade_input(self, products) -> CascadeInput:
        """cascades/members and cascades/tree_edges as codes."""
        raise NotImplementedError

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
                             field="product")
        return list(products)

    def resolve(self, product: str | None, all_products: bool) -> list[str]:
        if all_products:
            products = self.product_ids()
            if not products:
                raise InputError("the data has no products", field="all_products")
            return products
        if not product:
            raise InputError("give a {product} or {all_products}", field="product",
                             params=("all_products",))
        return self.check_products([product])


def cascade_rows(products, user_ids, m_product, m_user, m_promoted, m_received, e_product,
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
