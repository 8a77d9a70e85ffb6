"""Six-degree reach: how many users are within 1..H friendship hops of a seed set.

Two engines answer the same question with identical numbers:

- ``memory``: CSR projection + compiled kernels. ``per_hop`` is one multi-source
  BFS; per-seed reach and unique reach come from one bit-parallel BFS that
  carries up to 256 seeds per sweep (not one traversal per seed).
- ``neo4j``: Cypher modules in ``cypher/reach/``. ``per_hop`` is one
  direction-optimizing BFS for the whole seed set, a query per hop: top-down
  (``reach/frontier``) while the frontier is small, bottom-up
  (``reach/frontier_bottom_up``) once it is large, each hop split over two
  concurrent sessions. Per-seed and unique reach: the friendships among the
  users it reached (``reach/ball_friendships``) are fetched once and swept
  with the memory engine's bit-parallel kernel, not one traversal per seed.

Definitions (docs/reach.md): ``per_hop[h]`` is the number of users whose
shortest friendship distance to the seed set is exactly ``h``; hop 0 is the
seed set. A seed's ``reach`` is the number of other users within ``hops`` of
it; its ``unique_reach`` counts those that are neither seeds nor within
``hops`` of any other seed.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .arrays import find_sorted, unique_sorted
from .display import Displayable
from .errors import DiffusionError, InputError
from .graph import FriendGraph, csr_from_pairs
from .kernels import (bfs_arcs, bit_counts, csr_arcs, level_counts, pair_overlaps, seed_bitsets,
                      seed_major)

__all__ = ["ReachResult", "ROLES", "reach_memory", "reach_neo4j", "product_seeds_snapshot",
           "product_seeds_neo4j", "MAX_HOPS"]

ROLES = ("promoters", "sharers", "endorsers", "buyers")
MAX_HOPS = 12
SEEDS_PER_SWEEP = 256
OVERLAP_LIMIT = 64
#: Cypher engine: a hop goes bottom-up once frontier * ratio exceeds the users not reached
BOTTOM_UP_RATIO = 4
#: Cypher engine: a hop's id list is cut into this many concurrent queries past this size
CYPHER_PARTS = 2
CYPHER_SPLIT_MIN = 10_000


@dataclass(repr=False)
class ReachResult(Displayable):
    engine: str
    hops: int
    seeds: list[str]
    per_hop: list[int]
    total_users: int
    per_seed: pd.DataFrame | None = None
    overlap: pd.DataFrame | None = None
    product: str | None = None
    roles: list[str] = field(default_factory=list)
    #: the ties walked: friendships (both ways), follows (followee to follower) or both
    over: str = "friendships"

    @property
    def reached(self) -> int:
        return int(sum(self.per_hop[1:]))

    @property
    def coverage(self) -> float:
        return self.reached / self.total_users if self.total_users else 0.0

    def to_frame(self) -> pd.DataFrame:
        cumulative = np.cumsum(self.per_hop[1:]) if self.hops else np.array([], dtype=int)
        return pd.DataFrame({
            "hop": np.arange(0, self.hops + 1),
            "new_users": self.per_hop,
            "cumulative": np.concatenate([[0], cumulative]).astype(int),
            "coverage": np.concatenate([[0.0], cumulative / max(self.total_users, 1)]),
        })

    def plot(self, ax=None, **options):
        """Reach by hop (bars) and cumulative reach (line);
        see :func:`analyzer.charts.reach`. Needs matplotlib; returns the Axes."""
        from .charts import reach

        return reach(self.to_dict(), ax, **options)

    def to_dict(self) -> dict:
        return {
            "engine": self.engine, "product": self.product, "roles": self.roles,
            "over": self.over, "seeds": len(self.seeds), "hops": self.hops, "per_hop": list(map(int, self.per_hop)),
            "reached": self.reached, "users": self.total_users,
            "coverage": round(self.coverage, 6),
            "per_seed": [] if self.per_seed is None else self.per_seed.to_dict(orient="records"),
            "overlap": None if self.overlap is None else self.overlap.to_dict(orient="records"),
        }

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        what = f"product {self.product} ({', '.join(self.roles)})" if self.product else "users"
        table = self.to_frame()
        # the terminal's view: hop 0 is the seeds themselves, shares read as percentages
        table["hop"] = ["seeds", *map(str, table["hop"][1:])]
        table["coverage"] = [f"{c:.1%}" for c in table["coverage"]]
        ties = "" if self.over == "friendships" else f" over {self.over}"
        out = [(f"Reach of {len(self.seeds)} seed(s) from {what} within {self.hops} hops"
                f"{ties} [{self.engine}]: {self.reached:,} users, {self.coverage:.1%} of "
                f"{self.total_users:,}", table)]
        if self.per_seed is not None:
            out.append(("Per seed", self.per_seed.head(50)))
        if self.overlap is not None and not self.overlap.empty:
            out.append(("Largest overlaps between seeds", self.overlap.head(10)))
        return out


def _check_hops(hops: int) -> None:
    if not 1 <= hops <= MAX_HOPS:
        raise InputError(f"{{hops}} must be from 1 to {MAX_HOPS}, got {hops}", field="hops")


def _per_seed_frame(seeds: list[str], reach: np.ndarray, unique: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({"user_id": seeds, "reach": reach.astype(int),
                          "unique_reach": unique.astype(int)})
    return frame.sort_values(["unique_reach", "reach", "user_id"],
                             ascending=[False, False, True], kind="stable").reset_index(drop=True)


def _overlap_frame(seeds: list[str], shared: np.ndarray) -> pd.DataFrame:
    """Pairwise |R(a) ∩ R(b)| from the seeds x seeds counts of :func:`pair_overlaps`."""
    a, b = np.triu_indices(len(seeds), k=1)
    frame = pd.DataFrame({"seed_a": np.asarray(seeds, dtype=object)[a],
                          "seed_b": np.asarray(seeds, dtype=object)[b], "shared": shared[a, b]})
    frame = frame[frame["shared"] > 0]
    return frame.sort_values(["shared", "seed_a", "seed_b"], ascending=[False, True, True],
                             kind="stable").reset_index(drop=True)


def reach_memory(graph: FriendGraph, seed_ids, hops: int = 6, *, per_seed: bool = True,
                 overlap: bool | None = None, product: str | None = None,
                 roles: list[str] | None = None, over: str = "friendships") -> ReachResult:
    """Reach from ``seed_ids`` on an in-memory projection, along its arcs (``over`` names
    the ties they are)."""
    _check_hops(hops)
    pos = graph.positions(seed_ids)
    if len(pos) == 0:
        raise DiffusionError("the seed set is empty")
    seeds = [str(x) for x in graph.user_ids[pos]]
    dist = bfs_arcs(graph.indptr, graph.indices, graph.in_indptr, graph.in_indices, pos, hops)
    per_hop = level_counts(dist, hops)
    result = ReachResult("memory", hops, seeds, per_hop.tolist(), graph.n_users,
                         product=product, roles=roles or [], over=over)
    if not per_seed:
        return result
    result.per_seed, result.overlap = _per_seed_sweeps(graph.indptr, graph.indices, pos, seeds,
                                                       hops, overlap)
    return result


def _per_seed_sweeps(indptr: np.ndarray, indices: np.ndarray, pos: np.ndarray,
                     seeds: list[str], hops: int, overlap: bool | None
                     ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Per-seed reach, unique reach and (optionally) overlap from bit-parallel BFS sweeps of
    up to SEEDS_PER_SWEEP seeds each (``pos``: the seeds' positions in the CSR arrays)."""
    n = len(indptr) - 1
    overlap = len(seeds) <= OVERLAP_LIMIT if overlap is None else overlap
    is_seed = np.zeros(n, dtype=bool)
    is_seed[pos] = True
    reach = np.zeros(len(pos), dtype=np.int64)
    carried = np.zeros(n, dtype=np.int64)
    owner = np.full(n, -1, dtype=np.int64)
    # for the overlap, each seed's reach as one bit per user: seeds x n/8 bytes
    member = np.zeros((len(pos), (n + 63) // 64), dtype=np.uint64) if overlap else None
    for start in range(0, len(pos), SEEDS_PER_SWEEP):
        chunk = pos[start:start + SEEDS_PER_SWEEP]
        bits = seed_bitsets(indptr, indices, chunk, hops)
        for j, s in enumerate(chunk):  # a seed does not reach itself
            bits[s, j // 64] &= ~np.uint64(1 << (j % 64))
        counts, c, o = bit_counts(bits, len(chunk))
        reach[start:start + len(chunk)] = counts
        first = (carried == 0) & (c > 0)
        owner[first] = o[first] + start
        carried += c
        if member is not None:
            seed_major(bits, member, start)
    lone = (carried == 1) & ~is_seed
    unique = np.bincount(owner[lone], minlength=len(pos))
    return (_per_seed_frame(seeds, reach, unique),
            _overlap_frame(seeds, pair_overlaps(member)) if member is not None else None)


@dataclass(frozen=True)
class _Walk:
    """The Cypher modules of one BFS hop and of the ball, and their tie parameters: the
    friendship modules for ``friendships``, the ``*_ties`` ones otherwise."""

    frontier: str
    bottom_up: str
    ball: str
    params: dict

    @classmethod
    def over(cls, over: str) -> _Walk:
        if over == "friendships":
            return cls("reach/frontier", "reach/frontier_bottom_up", "reach/ball_friendships",
                       {})
        return cls("reach/frontier_ties", "reach/frontier_ties_bottom_up", "reach/ball_ties",
                   {"friendships": over == "both", "follows": True})

    @property
    def symmetric(self) -> bool:
        return not self.params


def reach_neo4j(runner, seed_ids, hops: int = 6, *, per_seed: bool = True,
                overlap: bool | None = None, product: str | None = None,
                roles: list[str] | None = None, over: str = "friendships") -> ReachResult:
    """Reach from ``seed_ids`` answered by Cypher on the server, over friendships (both
    ways), follows (followee to follower) or both."""
    _check_hops(hops)
    wanted = list(dict.fromkeys(str(s) for s in seed_ids))
    if not wanted:
        raise DiffusionError("the seed set is empty")
    found = {r["user_id"]: r["node"] for r in runner.run("reach/seed_nodes", user_ids=wanted)}
    unknown = [s for s in wanted if s not in found]
    if unknown:
        shown = ", ".join(unknown[:10]) + (f" (+{len(unknown) - 10} more)" if len(unknown) > 10
                                           else "")
        raise InputError(f"unknown user id(s): {shown}", field="seeds")
    total = runner.run("admin/node_count")[0]["users"]
    seed_nodes = np.array([found[s] for s in wanted], dtype=np.int64)
    walk = _Walk.over(over)
    per_hop, ball = _per_hop_cypher(runner, seed_nodes, hops, total, walk)
    result = ReachResult("neo4j", hops, wanted, per_hop, total, product=product,
                         roles=roles or [], over=over)
    if per_seed:
        indptr, indices = _ball_graph(runner, ball, walk)
        result.per_seed, result.overlap = _per_seed_sweeps(
            indptr, indices, find_sorted(ball, seed_nodes), wanted, hops, overlap)
    return result


def _ball_graph(runner, ball: np.ndarray, walk: _Walk) -> tuple[np.ndarray, np.ndarray]:
    """CSR arrays of the graph induced on ``ball`` (sorted node ids; a node's position in
    it is its CSR position), its outgoing arcs. Every path of at most H hops from a seed
    stays within H hops of that seed, so per-seed reach on this graph equals per-seed
    reach on the whole one: one traversal's worth of ties for all seeds, not one per
    seed."""
    rows = _run_split(runner, walk.ball, "nodes", ball, **walk.params)
    a = find_sorted(ball, _joined(r["a"] for r in rows))
    b = find_sorted(ball, _joined(r["b"] for r in rows))
    inside = b >= 0  # a is in the ball by construction
    if walk.symmetric:
        return csr_from_pairs(len(ball), a[inside], b[inside])
    n = len(ball)  # arcs listed from their sender; a friendship's both ways, once per end
    key = np.unique(a[inside] * n + b[inside])
    return csr_arcs(n, key // n, key % n, True, both=False)


def _run_split(runner, module: str, split: str, values: np.ndarray, **params) -> list[dict]:
    """Run ``module`` with ``values`` (the ``split`` parameter) cut into CYPHER_PARTS pieces
    on concurrent sessions (the server runs each query on one core); the one row each
    piece returns, in order."""
    chunks = np.array_split(values, _parts(len(values)))
    return _on_sessions(lambda k: runner.run(module, **{split: chunks[k].tolist()},
                                             **params)[0], len(chunks))


def _parts(n: int) -> int:
    return CYPHER_PARTS if n >= CYPHER_SPLIT_MIN else 1


def _on_sessions(one, parts: int) -> list:
    """``[one(0), ..., one(parts - 1)]``, run on concurrent sessions when parts > 1."""
    if parts == 1:
        return [one(0)]
    with ThreadPoolExecutor(max_workers=parts) as pool:
        return list(pool.map(one, range(parts)))


def _joined(lists) -> np.ndarray:
    """Lists of node ids as one int64 array."""
    return np.concatenate([np.asarray(x, dtype=np.int64) for x in lists])


def _per_hop_cypher(runner, seeds: np.ndarray, hops: int, total: int,
                    walk: _Walk) -> tuple[list[int], np.ndarray]:
    """Direction-optimizing BFS on the server, one query per hop (docs/reach.md).

    A hop expands the frontier (top-down, ``reach/frontier``) while the frontier is small
    against the users not reached yet; past that, each unreached user looks for one friend
    in the frontier (bottom-up, ``reach/frontier_bottom_up``), which reads far fewer
    friendships on the hops that reach most of the graph. Both give the same levels.

    Every user's node id (the bottom-up candidates) is fetched on a second session once a
    hop's frontier is large enough to be split, so that it overlaps that hop's expansion.
    Returns the users per hop and the sorted node ids of every user reached (seeds too)."""
    frontier = unique_sorted(seeds)
    visited = frontier  # sorted internal ids
    unreached: np.ndarray | None = None  # sorted ids of the users not reached, once known
    per_hop = [len(frontier)]
    with ThreadPoolExecutor(max_workers=1) as background:
        every = None  # Future: every user's node id
        for hop in range(1, hops + 1):
            left = total - len(visited)
            if len(frontier) == 0 or left <= 0:
                per_hop.append(0)
                frontier = frontier[:0]
                continue
            bottom_up = len(frontier) * BOTTOM_UP_RATIO > left
            if every is None and (bottom_up or (len(frontier) >= CYPHER_SPLIT_MIN
                                                and hop < hops)):
                every = background.submit(_user_nodes, runner)
            if bottom_up:
                if unreached is None:
                    assert every is not None  # submitted above whenever bottom_up
                    users = every.result()
                    unreached = users[find_sorted(visited, users) < 0]
                fresh = unique_sorted(_bottom_up(runner, unreached, frontier, walk))
                unreached = unreached[find_sorted(fresh, unreached) < 0]
            else:
                rows = _run_split(runner, walk.frontier, "frontier", frontier, **walk.params)
                nodes = unique_sorted(_joined(r["nodes"] for r in rows))
                fresh = nodes[find_sorted(visited, nodes) < 0]
                if unreached is not None:  # a later bottom-up hop must not find them again
                    unreached = unreached[find_sorted(fresh, unreached) < 0]
            visited = np.sort(np.concatenate([visited, fresh]), kind="stable")  # two sorted runs
            per_hop.append(len(fresh))
            frontier = fresh
    return per_hop, visited


def _bottom_up(runner, unreached: np.ndarray, frontier: np.ndarray,
               walk: _Walk) -> np.ndarray:
    """One bottom-up hop: the users in ``unreached`` with a friend in ``frontier``, checked
    in slices on concurrent sessions. Each query receives either its slice and the
    frontier, or the whole unreached list (the frontier's complement) when that is the
    shorter message."""
    parts = _parts(len(unreached))
    bounds = np.linspace(0, len(unreached), parts + 1).astype(np.int64)
    by_complement = len(unreached) < len(unreached) // parts + len(frontier)
    whole = unreached.tolist() if by_complement else None
    front = None if by_complement else frontier.tolist()

    def one(k: int) -> list[int]:
        lo, hi = int(bounds[k]), int(bounds[k + 1])
        if by_complement:
            return runner.run(walk.bottom_up, candidates=whole, lo=lo, hi=hi, frontier=None,
                              **walk.params)[0]["nodes"]
        return runner.run(walk.bottom_up, candidates=unreached[lo:hi].tolist(), lo=0,
                          hi=hi - lo, frontier=front, **walk.params)[0]["nodes"]

    return _joined(_on_sessions(one, parts))


def _user_nodes(runner) -> np.ndarray:
    return unique_sorted(np.asarray(runner.run("reach/user_nodes")[0]["nodes"], dtype=np.int64))


def _roles(roles) -> list[str]:
    roles = list(ROLES) if not roles or "all" in roles else list(roles)
    bad = [r for r in roles if r not in ROLES]
    if bad:
        raise InputError(f"unknown role(s) {bad}; use {', '.join(ROLES)} or all", field="roles")
    return roles


def product_seeds_snapshot(snap, product: str, roles) -> list[str]:
    """The product's users in these roles (the rule of ``reach/product_seeds``), sorted,
    selected on validation's codes (no id comparisons)."""
    roles = _roles(roles)
    products = snap.ids("products") if snap.has("products") else np.array([], dtype=object)
    where = np.flatnonzero(products == product)
    if not len(where):
        raise InputError(f"unknown product {product!r}", field="product")
    columns = {"promoters": ("promotions", "user_id"), "sharers": ("shares", "sharer_id"),
               "endorsers": ("likes", "user_id"), "buyers": ("purchases", "user_id")}
    users = [snap.codes(table, col)[snap.codes(table, "product_id") == where[0]]
             for table, col in (columns[role] for role in roles) if snap.has(table)]
    codes = np.unique(np.concatenate(users)) if users else np.array([], dtype=np.int32)
    return sorted(snap.ids("users")[codes].tolist())


def product_roles_neo4j(runner, product: str) -> dict[str, list[str]]:
    """Role -> the product's users in it, for every role, in one query (a list per role:
    four Bolt records, not one per user and role)."""
    if not runner.run("reach/product_exists", product_id=product)[0]["exists"]:
        raise InputError(f"unknown product {product!r}", field="product")
    found = {r["role"]: r["user_ids"] for r in runner.run("reach/product_seeds",
                                                          product_id=product)}
    return {role: found.get(role, []) for role in ROLES}


def product_seeds_neo4j(runner, product: str, roles) -> list[str]:
    roles = _roles(roles)
    by_role = product_roles_neo4j(runner, product)
    return sorted({u for role in roles for u in by_role[role]})
