"""Project the friendship graph into CSR arrays, from a snapshot or from Neo4j.

Like a GDS projection: users become dense indices ``0..n-1``, each undirected
friendship becomes two arcs, each user's friends in ascending order. From Neo4j the
users are in id order; a snapshot's are in its users table's order, which the snapshot
source's row codes rely on, and :meth:`FriendGraph.in_id_order` renumbers them for the
analyses that must match Neo4j's to the last random draw.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .arrays import find_sorted, joined_text, text_ranks
from .errors import InputError, ProjectionRefused

log = logging.getLogger("diffusion.graph")

__all__ = ["FriendGraph", "OVER", "csr_from_pairs", "project_snapshot", "project_neo4j",
           "project_cypher", "with_follows"]


def csr_from_pairs(n: int, a: np.ndarray, b: np.ndarray, *,
                   ascending: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """CSR arrays (int64 indptr, int32 indices) of the undirected graph with edges a[i]-b[i]
    on nodes 0..n-1; each edge becomes two arcs. Each node's neighbours are in ascending
    order, so the arrays depend on the edges and the numbering of the nodes, not on the
    order the edges were listed in: a snapshot and the database loaded from it (whose
    friendships come back in another order) project the same arrays, and the Monte Carlo
    runs on them, which draw per arc in this order, give the same numbers. With
    ``ascending=False`` a node's neighbours stay in the order listed (the generator's, so
    that a seed keeps generating the same snapshot)."""
    from .kernels import csr_arcs

    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    if a.dtype != b.dtype or a.dtype.kind != "i":
        a, b = a.astype(np.int64), b.astype(np.int64)
    return csr_arcs(n, a, b, ascending, both=True)


def _csr_from_arcs(n: int, src: np.ndarray, dst: np.ndarray, *,
                   ascending: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """CSR arrays of the arcs src[i] -> dst[i] (int64s) on nodes 0..n-1, each node's arcs by
    ascending ``dst``, or as listed."""
    from .kernels import csr_arcs

    return csr_arcs(n, np.ascontiguousarray(src, dtype=np.int64),
                    np.ascontiguousarray(dst, dtype=np.int64), ascending)


@dataclass(frozen=True)
class FriendGraph:
    """Arcs in CSR form: ``indices[indptr[u]:indptr[u+1]]`` are the users ``u`` reaches
    (influence flows along an arc). Friendships alone are symmetric; with follows
    (followee -> follower) the graph is directed and ``rev_indptr``/``rev_indices`` list
    each user's incoming arcs, which RR sets walk."""

    user_ids: pd.Index  #: position -> user id
    indptr: np.ndarray  #: int64, n + 1
    indices: np.ndarray  #: int32, 2 * friendships (or the arcs, when directed)
    rev_indptr: np.ndarray | None = None  #: incoming arcs (directed only)
    rev_indices: np.ndarray | None = None

    @property
    def directed(self) -> bool:
        return self.rev_indptr is not None

    @property
    def in_indptr(self) -> np.ndarray:
        """Each user's incoming arcs (the same arrays as the outgoing ones when symmetric)."""
        return self.indptr if self.rev_indptr is None else self.rev_indptr

    @property
    def in_indices(self) -> np.ndarray:
        return self.indices if self.rev_indices is None else self.rev_indices

    @property
    def n_arcs(self) -> int:
        return len(self.indices)

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_friendships(self) -> int:
        return len(self.indices) // 2

    def positions(self, ids) -> np.ndarray:
        """Dense indices of user ids; unknown ids raise InputError listing them."""
        values = ids.to_numpy() if isinstance(ids, (pd.Index, pd.Series)) else (
            ids if isinstance(ids, np.ndarray) else np.asarray(list(ids), dtype=object))
        if self.user_ids.dtype == object or values.dtype == object:
            values = values.astype(object)  # match the index's dtype: no slow mixed lookup
        ids = pd.Index(pd.unique(values), dtype=values.dtype)
        pos = self.user_ids.get_indexer(ids)
        if (pos < 0).any():
            unknown = [str(x) for x in ids[pos < 0]]
            shown = ", ".join(unknown[:10]) + (f" (+{len(unknown) - 10} more)"
                                               if len(unknown) > 10 else "")
            raise InputError(f"unknown user id(s): {shown}", field="seeds")
        return pos.astype(np.int64)

    def arc_positions(self, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        """Position in ``indices`` of each arc src[i] -> dst[i] (dense indices), or -1 where
        the two are not friends."""
        src = np.asarray(src, dtype=np.int64)
        dst = np.asarray(dst, dtype=np.int64)
        n = self.n_users
        arc_key = np.repeat(np.arange(n, dtype=np.int64), np.diff(self.indptr)) * n + \
            self.indices
        order = np.argsort(arc_key, kind="stable")
        found = find_sorted(arc_key[order], src * n + dst)
        found[found >= 0] = order[found[found >= 0]]
        return found

    def arc_sources(self) -> np.ndarray:
        """The sending user of each arc, aligned with ``indices``."""
        return np.repeat(np.arange(self.n_users, dtype=np.int64), np.diff(self.indptr))

    def combined_arc_values(self, src: np.ndarray, dst: np.ndarray,
                            values: np.ndarray) -> np.ndarray:
        """A probability per arc from probabilities of arcs src[i] -> dst[i] (dense
        indices), parallel ones (a friendship and a follow along the same direction)
        combined as independent chances, 1 - prod(1 - p). Arcs no row names are NaN; a
        pair the graph does not join raises InputError."""
        at = self.arc_positions(src, dst)
        if (at < 0).any():
            raise InputError("a tie names two users the graph does not join", field="follows")
        with np.errstate(divide="ignore"):  # p = 1: log(0) = -inf, and 1 - e^-inf = 1
            log_q = np.bincount(at, weights=np.log1p(-np.asarray(values, np.float64)),
                                minlength=self.n_arcs)
        named = np.bincount(at, minlength=self.n_arcs) > 0
        return np.where(named, -np.expm1(log_q), np.nan)

    def arc_values(self, a: np.ndarray, b: np.ndarray, values: np.ndarray) -> np.ndarray:
        """A value per arc, aligned with ``indices``, from one value per undirected
        friendship a[i]-b[i] (dense indices): both of its arcs get values[i]. Arcs no row
        names are NaN; a pair that is not a friendship raises InputError."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        out = np.full(len(self.indices), np.nan)
        at = self.arc_positions(np.concatenate([a, b]), np.concatenate([b, a]))
        if (at < 0).any():
            raise InputError("a friendship names two users the graph does not join",
                             field="friendships")
        out[at] = np.concatenate([values, values])
        return out

    @classmethod
    def from_edges(cls, user_ids, a, b) -> "FriendGraph":
        # Python-object ids: pandas would otherwise infer Arrow strings, whose lookups by
        # Python strings (``positions``) convert the whole index on every call
        index = pd.Index(np.asarray(user_ids, dtype=object), dtype=object)
        ia = index.get_indexer(a)
        ib = index.get_indexer(b)
        if (ia < 0).any() or (ib < 0).any():
            raise InputError("a friendship names a user that is not in users", field="friendships")
        indptr, indices = csr_from_pairs(len(index), ia, ib)
        return cls(index, indptr, indices)

    def in_id_order(self) -> "FriendGraph":
        """The same graph with users numbered in id (code-point) order, each one's friends
        ascending: the numbering the Neo4j projection has, so that the Monte Carlo runs,
        which draw per arc in this order, give the same numbers on both engines."""
        ids = self.user_ids.to_numpy(dtype=object)
        if len(ids) < 2 or bool((ids[1:] > ids[:-1]).all()):
            return self
        rank, ordered = text_ranks(ids)
        src, dst = rank[self.arc_sources()], rank[self.indices]
        indptr, indices = _csr_from_arcs(self.n_users, src, dst)
        rev = _csr_from_arcs(self.n_users, dst, src) if self.directed else (None, None)
        return FriendGraph(pd.Index(ordered, dtype=object), indptr, indices, *rev)

    def to_networkx(self):
        import networkx as nx

        g = nx.DiGraph() if self.directed else nx.Graph()
        g.add_nodes_from(self.user_ids)
        src = np.repeat(np.arange(self.n_users), np.diff(self.indptr))
        ids = self.user_ids.to_numpy()
        g.add_edges_from(zip(ids[src], ids[self.indices]))
        return g


#: What influence travels over: friendships (both ways), follows (followee to follower)
#: or both.
OVER = ("friendships", "follows", "both")


def with_follows(graph: FriendGraph, followee: np.ndarray, follower: np.ndarray,
                 over: str) -> FriendGraph:
    """The graph influence travels over: ``graph``'s friendships and/or the follows
    followee[i] -> follower[i] (dense indices in ``graph``'s numbering). A friendship and
    a follow between the same two users along the same direction are one arc. Without
    follows, ``both`` is the friendship graph itself (symmetric)."""
    if over not in OVER:
        raise InputError(f"{{over}} must be one of {', '.join(OVER)}, got {over!r}",
                         field="over")
    if over == "friendships" or (over == "both" and len(followee) == 0):
        return graph
    n = graph.n_users
    src = np.asarray(followee, dtype=np.int64)
    dst = np.asarray(follower, dtype=np.int64)
    if over == "both":
        src = np.concatenate([graph.arc_sources(), src])
        dst = np.concatenate([graph.indices.astype(np.int64), dst])
    key = np.unique(src * n + dst)
    src, dst = key // n, key % n
    indptr, indices = _csr_from_arcs(n, src, dst)
    rev_indptr, rev_indices = _csr_from_arcs(n, dst, src)
    return FriendGraph(graph.user_ids, indptr, indices, rev_indptr, rev_indices)


def ids_by_rank(ids: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """``ids`` (Python strings) placed at their ``rank``: position r holds the id ranked r."""
    out = np.empty(len(rank), dtype=object)
    out[rank] = ids
    return out


def project_snapshot(snap, rank: np.ndarray | None = None,
                     ids: np.ndarray | None = None) -> FriendGraph:
    """Users in the users table's row order, or numbered by ``rank`` (each row's rank in id
    order; ``ids`` the ids in that order, when the caller has them); friendships from the
    row positions validation found while checking the references (no second lookup of
    every id)."""
    a, b = snap.codes("friendships", "user_a"), snap.codes("friendships", "user_b")
    if len(a) and (min(a.min(), b.min()) < 0):
        raise InputError("a friendship names a user that is not in users", field="friendships")
    if rank is None:
        order = snap.ids("users")
    else:
        if len(rank) < 2**31:  # ranks as int32: the renumbered pairs at 4 bytes a user
            rank = rank.astype(np.int32, copy=False)
        a, b = rank[a], rank[b]
        order = ids if ids is not None else ids_by_rank(snap.ids("users"), rank)
    indptr, indices = csr_from_pairs(len(order), a, b)
    return FriendGraph(pd.Index(order, dtype=object), indptr, indices)


def project_neo4j(runner) -> FriendGraph:
    """The friendship graph in the database: from the server's projection
    (``diffusion.friendships``) when the server has diffusion's plugin and the projection
    fits its budget, else from the Cypher modules. Both give the same arrays: users in id
    order, each one's friends in ascending order (a test compares them), as
    :meth:`FriendGraph.in_id_order` gives for a snapshot."""
    runner.refuse_during_load()

    if "diffusion.friendships" in runner.run("admin/procedures")[0]["names"]:
        try:
            return _project_procedure(runner)
        except ProjectionRefused as exc:
            log.warning("%s; projecting through the Cypher modules instead", exc.reason)
    return project_cypher(runner)


#: about how many friends one record of ``diffusion.friendships`` holds (32 MB of them)
FRIENDS_PER_RECORD = 1 << 23


def _project_procedure(runner, friends_per_record: int = FRIENDS_PER_RECORD) -> FriendGraph:
    rows = runner.run("procedures/friendships", friends_per_record=friends_per_record)
    ids = np.concatenate([joined_text(r["users"], np.frombuffer(r["user_ends"], "<i8"))
                          for r in rows])
    degree = np.concatenate([np.frombuffer(r["degree"], "<i8") for r in rows])
    indptr = np.zeros(len(degree) + 1, dtype=np.int64)
    np.cumsum(degree, out=indptr[1:])
    indices = np.concatenate([np.frombuffer(r["friends"], "<i4") for r in rows])
    return FriendGraph(pd.Index(ids.astype(object), dtype=object), indptr,
                       indices.astype(np.int32))


def project_cypher(runner) -> FriendGraph:
    """The friendship graph through ``project/users`` and ``project/friendships``, users in
    id order."""
    users = runner.run("project/users")[0]["user_ids"]
    pairs = runner.run("project/friendships")[0]
    return FriendGraph.from_edges(text_ranks(np.array(users, dtype=object))[1],
                                  np.array(pairs["user_a"], dtype=object),
                                  np.array(pairs["user_b"], dtype=object))
