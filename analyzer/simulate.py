"""Forward simulation (IC, LT) and promoter selection (IMM, CELF, degree, PageRank).

Kernels are numba-compiled. Every run and every reverse-reachable (RR) set draws
from its own random stream, seeded from (seed, run number) with splitmix64, so
results do not depend on the number of threads or on how runs are chunked.

Models on the undirected friendship graph (each friendship is two arcs):

- **IC**: a newly active user gets one chance to activate each friend, with the
  arc's probability.
- **LT**: each user draws a uniform threshold; it activates when the summed
  weights of its active friends reach it. Weights default to 1/degree of the
  receiving user (they then sum to 1 over its friends).

IMM follows Tang, Shi and Xiao (SIGMOD 2015), with Chen's correction (2018):
the final RR sets are drawn afresh rather than reusing those of the bound
search. See docs/simulate.md.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numba import njit, prange

from . import progress as _progress
from .display import Displayable
from .errors import DiffusionError, InputError
from .graph import FriendGraph

if TYPE_CHECKING:
    from .history import HistoryEstimate

__all__ = ["edge_probabilities", "simulate", "opim", "imm", "celf", "top_degree", "top_pagerank",
           "SimulationResult", "PromoterResult", "promoters", "exact_ic_spread"]

MAX_STEPS = 64
_MIX = np.uint64(0x9E3779B97F4A7C15)


# --------------------------------------------------------------------------- random streams


@njit(inline="always")
def _splitmix(x):
    x = x + np.uint64(0x9E3779B97F4A7C15)
    z = x
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x, z ^ (z >> np.uint64(31))


@njit(inline="always")
def _stream(seed, index):
    """Initial state of the stream for (seed, index)."""
    s, z = _splitmix(np.uint64(seed) * np.uint64(0x2545F4914F6CDD1D) + np.uint64(index))
    s, z = _splitmix(z)
    return z | np.uint64(1)


@njit(inline="always")
def _next(state):
    """xorshift64*: new state and a float in [0, 1)."""
    state ^= state >> np.uint64(12)
    state ^= state << np.uint64(25)
    state ^= state >> np.uint64(27)
    out = state * np.uint64(0x2545F4914F6CDD1D)
    return state, (out >> np.uint64(11)) * (1.0 / 9007199254740992.0)


# --------------------------------------------------------------------------- forward


@njit(inline="always")
def _ic_arcs(indptr, indices, prob, uniform_log, v, state, seen, mark, out, size):
    """IC: give each arc of v's list one chance. A neighbour not yet marked whose draw
    succeeds is marked and appended to ``out[size:]``. With one p on every arc
    (``uniform_log`` = log(1 - p) < 0) failed arcs are skipped with one geometric draw per
    success; otherwise each unmarked neighbour gets a draw against ``prob[e]``. Returns the
    new random state and size. Forward runs and RR sets (reverse arcs) both use it."""
    if uniform_log < 0.0:
        e = indptr[v] - 1
        while True:
            state, x = _next(state)
            e += 1 + int(math.log(1.0 - x) / uniform_log)
            if e >= indptr[v + 1]:
                break
            u = indices[e]
            if seen[u] != mark:
                seen[u] = mark
                out[size] = u
                size += 1
    else:
        for e in range(indptr[v], indptr[v + 1]):
            u = indices[e]
            if seen[u] == mark:
                continue
            state, x = _next(state)
            if x < prob[e]:
                seen[u] = mark
                out[size] = u
                size += 1
    return state, size


@njit(parallel=True, cache=True)
def _forward(indptr, indices, weight, seeds, run0, runs, seed, model, chunks, uniform_log):
    """model 0: IC with arc probabilities ``weight``; 1: LT with arc weights ``weight``
    (weight[e] of arc u->v is what u adds to v). Returns spread and new users per step of
    runs run0 .. run0 + runs - 1 (run r draws from stream (seed, r), so any split of the
    runs into calls gives the same numbers).

    ``uniform_log`` = log(1 - p) when IC has the same p < 0.5 on every arc, else 1.0: the
    kernel then jumps over failed arcs with one geometric draw per success instead of
    one draw per arc (the same distribution, far fewer random numbers)."""
    n = indptr.shape[0] - 1
    spread = np.zeros(runs, dtype=np.int64)
    curve = np.zeros((runs, MAX_STEPS + 1), dtype=np.int64)
    lt_n = n if model == 1 else 1
    for c in prange(chunks):
        active = np.zeros(n, dtype=np.int32)
        touched = np.zeros(lt_n, dtype=np.int32)
        acc = np.zeros(lt_n, dtype=np.float64)
        theta = np.zeros(lt_n, dtype=np.float64)
        frontier = np.empty(n, dtype=np.int32)
        nxt = np.empty(n, dtype=np.int32)
        for r in range(c * runs // chunks, (c + 1) * runs // chunks):
            mark = r + 1
            state = _stream(seed, run0 + r)
            cnt = 0
            for i in range(seeds.shape[0]):
                s = seeds[i]
                if active[s] != mark:
                    active[s] = mark
                    frontier[cnt] = s
                    cnt += 1
            total = cnt
            curve[r, 0] = cnt
            step = 0
            while cnt > 0:
                nn = 0
                for i in range(cnt):
                    u = frontier[i]
                    if model == 0:
                        state, nn = _ic_arcs(indptr, indices, weight, uniform_log, u, state,
                                             active, mark, nxt, nn)
                        continue
                    for e in range(indptr[u], indptr[u + 1]):
                        v = indices[e]
                        if active[v] == mark:
                            continue
                        if touched[v] != mark:
                            touched[v] = mark
                            acc[v] = 0.0
                            state, x = _next(state)
                            theta[v] = x
                        acc[v] += weight[e]
                        if acc[v] >= theta[v]:
                            active[v] = mark
                            nxt[nn] = v
                            nn += 1
                step += 1
                curve[r, min(step, MAX_STEPS)] += nn
                total += nn
                for i in range(nn):
                    frontier[i] = nxt[i]
                cnt = nn
            spread[r] = total
    return spread, curve


# --------------------------------------------------------------------------- RR sets


@njit(nogil=True, cache=True)
def _rr_sets(indptr, indices, in_weight, start, count, seed, model, uniform_log, node_log,
             stop, keep):
    """RR sets number start..start+count-1. in_weight[e] for the arc at position e of v's
    list (v -> u) is the probability (IC) or weight (LT) of the reverse arc u -> v.
    Roots are uniform over all users. ``uniform_log`` as in ``_forward``. ``node_log``
    (IC; empty when unused) holds, per user v whose incoming arcs all share one p < 0.5,
    log(1 - p), else 1.0: v's arcs are then skipped geometrically as for ``uniform_log``
    (SUBSIM's sampling for weighted cascade, where p = 1 / in-degree: about one draw per
    success instead of one per arc).

    ``stop`` (bool per user; empty for none) truncates a set at the first such user it
    reaches: the set is then only counted as hit (HIST's sentinels, Guo et al. 2022: the
    full set would contain that user, so whatever contains it covers the set), and the
    walk stops. A set that reaches none is the full set. With ``keep`` false nothing is
    stored, only hits counted (a validation that needs no more).

    Returns the sets of two or more users that were not hit (their nodes and sizes, in
    set order), per user how many sets held that user alone, the number of sets hit,
    and the users the walks visited. A one-user set {v} only ever matters through v's
    count: it is covered exactly when v is picked. With small probabilities most sets
    are one user, so they are counted, not stored."""
    n = indptr.shape[0] - 1
    mark = np.zeros(n, dtype=np.int64)
    queue = np.empty(n, dtype=np.int64)
    single = np.zeros(n, dtype=np.int32)
    sizes = np.zeros(count, dtype=np.int64)
    cap = max(count, 16)
    nodes = np.empty(cap, dtype=np.int32)
    used = 0
    multi = 0
    hits = 0
    visited = 0
    stops = stop.shape[0] > 0
    for j in range(count):
        rid = start + j
        state = _stream(seed, rid)
        state, x = _next(state)
        root = min(int(x * n), n - 1)
        m = rid + 1
        mark[root] = m
        queue[0] = root
        size = 1
        hit = stops and stop[root]
        if model == 0:
            head = 0
            while head < size and not hit:
                v = queue[head]
                head += 1
                lg = node_log[v] if node_log.shape[0] > 0 else uniform_log
                was = size
                state, size = _ic_arcs(indptr, indices, in_weight, lg, v, state,
                                       mark, m, queue, size)
                if stops:
                    for i in range(was, size):
                        if stop[queue[i]]:
                            hit = True
                            break
        else:
            v = root
            while not hit:
                state, x = _next(state)
                chosen = -1
                acc = 0.0
                for e in range(indptr[v], indptr[v + 1]):
                    acc += in_weight[e]
                    if x < acc:
                        chosen = indices[e]
                        break
                if chosen < 0 or mark[chosen] == m:
                    break
                mark[chosen] = m
                queue[size] = chosen
                size += 1
                v = chosen
                hit = stops and stop[chosen]
        visited += size
        if hit:
            hits += 1
            continue
        if not keep:
            continue
        if size == 1:
            single[root] += 1
            continue
        if used + size > cap:
            cap = max(cap * 2, used + size)
            grown = np.empty(cap, dtype=np.int32)
            grown[:used] = nodes[:used]
            nodes = grown
        for i in range(size):
            nodes[used + i] = queue[i]
        used += size
        sizes[multi] = size
        multi += 1
    return nodes[:used].copy(), sizes[:multi].copy(), single, hits, visited


@njit(cache=True, inline="always")
def _above(count_a, user_a, count_b, user_b) -> bool:
    return count_a > count_b or (count_a == count_b and user_a < user_b)


@njit(cache=True)
def _sift_down(heap_count, heap_user, size, at) -> None:
    while True:
        left = 2 * at + 1
        if left >= size:
            return
        child = left
        right = left + 1
        if right < size and _above(heap_count[right], heap_user[right], heap_count[left],
                                   heap_user[left]):
            child = right
        if not _above(heap_count[child], heap_user[child], heap_count[at], heap_user[at]):
            return
        heap_count[at], heap_count[child] = heap_count[child], heap_count[at]
        heap_user[at], heap_user[child] = heap_user[child], heap_user[at]
        at = child


@njit(cache=True)
def coverage_index(rr_indptr, rr_nodes, single, inv):
    """Each user's count of covering sets (``single`` one-user sets included) and the
    inverted index of the stored sets: the sets of user v are ``inv[inv_ptr[v]:inv_ptr[v+1]]``
    (``inv`` is filled in place)."""
    n = single.shape[0]
    counts = single.astype(np.int64)
    for i in range(rr_nodes.shape[0]):
        counts[rr_nodes[i]] += 1
    inv_ptr = np.zeros(n + 1, dtype=np.int64)
    for v in range(n):
        inv_ptr[v + 1] = inv_ptr[v] + counts[v] - single[v]
    fill = inv_ptr[:-1].copy()
    for r in range(rr_indptr.shape[0] - 1):
        for i in range(rr_indptr[r], rr_indptr[r + 1]):
            v = rr_nodes[i]
            inv[fill[v]] = r
            fill[v] += 1
    return counts, inv_ptr


@njit(inline="always")
def cover(best, inv_ptr, inv, covered, rr_indptr, rr_nodes, counts):
    """Mark the RR sets ``best`` is in as covered and take each newly covered set off the
    counts of its users: the update after every greedy pick."""
    for i in range(inv_ptr[best], inv_ptr[best + 1]):
        r = inv[i]
        if covered[r]:
            continue
        covered[r] = True
        for t in range(rr_indptr[r], rr_indptr[r + 1]):
            counts[rr_nodes[t]] -= 1


@njit(cache=True)
def _sift_up(heap_count, heap_user, at) -> None:
    while at > 0:
        parent = (at - 1) // 2
        if not _above(heap_count[at], heap_user[at], heap_count[parent], heap_user[parent]):
            return
        heap_count[at], heap_count[parent] = heap_count[parent], heap_count[at]
        heap_user[at], heap_user[parent] = heap_user[parent], heap_user[at]
        at = parent


@njit(cache=True)
def _top_sum(heap_count, heap_user, size, counts, k, taken_users) -> int:
    """Sum of the k largest current counts among the users in the heap. Tops are refreshed
    until current (as the greedy does), popped, and pushed back afterwards, so the heap
    holds the same users when this returns: O(k log n) plus the refreshes."""
    total = 0
    taken = 0
    while taken < k and size > 0:
        top = heap_user[0]
        if heap_count[0] != counts[top]:
            heap_count[0] = counts[top]
            _sift_down(heap_count, heap_user, size, 0)
            continue
        total += counts[top]
        taken_users[taken] = top
        taken += 1
        size -= 1
        heap_count[0], heap_user[0] = heap_count[size], heap_user[size]
        _sift_down(heap_count, heap_user, size, 0)
    for i in range(taken):
        v = taken_users[i]
        heap_count[size] = counts[v]
        heap_user[size] = v
        _sift_up(heap_count, heap_user, size)
        size += 1
    return total


@njit(cache=True)
def _greedy_cover(rr_indptr, rr_nodes, single, k, allowed, inv, bound):
    """Greedy max coverage: k nodes (among allowed) and the RR sets each newly covers.
    ``rr_indptr``/``rr_nodes`` are the sets of two or more users; ``single[v]`` counts the
    one-user sets {v}, which v covers when picked and nothing else does. ``inv`` (as long
    as ``rr_nodes``; int32 when the set numbers fit) receives the inverted index.

    With ``bound``, also an upper bound on the sets any k allowed users can cover (OPIM-C's
    bound, Tang et al. 2018): after i picks, the optimum covers at most what the picks
    cover plus the k largest marginal counts. It is taken after each of the first 64
    picks, after every pick whose number is a power of two, and after the last one, and
    the smallest is kept, with greedy's own (1 - (1 - 1/k)^k) bound; otherwise -1."""
    n = single.shape[0]
    theta = rr_indptr.shape[0] - 1
    counts, inv_ptr = coverage_index(rr_indptr, rr_nodes, single, inv)
    covered = np.zeros(theta, dtype=np.bool_)
    chosen = np.full(k, -1, dtype=np.int64)
    gains = np.zeros(k, dtype=np.int64)
    # Lazy greedy: a max-heap of (count when pushed, user), highest count first, ties to the
    # smaller user, as a scan of users in order would pick. Counts only fall, so a top whose
    # pushed count is still its count is the best; a stale top is pushed again with its
    # count. O((n + updates) log n) instead of a scan of all n users for each of k picks.
    heap_count = np.empty(n, dtype=np.int64)
    heap_user = np.empty(n, dtype=np.int64)
    taken_users = np.empty(k, dtype=np.int64)
    size = 0
    for v in range(n):
        if allowed[v]:
            heap_count[size] = counts[v]
            heap_user[size] = v
            size += 1
    for start in range(size // 2 - 1, -1, -1):
        _sift_down(heap_count, heap_user, size, start)
    upper = -1
    so_far = 0
    if bound:
        upper = _top_sum(heap_count, heap_user, size, counts, k, taken_users)
    for j in range(k):
        best = -1
        while size > 0:
            top = heap_user[0]
            if heap_count[0] == counts[top]:
                best = top
                size -= 1
                heap_count[0], heap_user[0] = heap_count[size], heap_user[size]
                _sift_down(heap_count, heap_user, size, 0)
                break
            heap_count[0] = counts[top]
            _sift_down(heap_count, heap_user, size, 0)
        if best < 0:
            break
        chosen[j] = best
        gains[j] = counts[best]
        so_far += counts[best]
        allowed[best] = False
        cover(best, inv_ptr, inv, covered, rr_indptr, rr_nodes, counts)
        picks = j + 1
        if bound and (picks <= 64 or picks & (picks - 1) == 0 or picks == k):
            here = so_far + _top_sum(heap_count, heap_user, size, counts, k, taken_users)
            upper = min(upper, here)
    if bound and k > 0:
        greedy_bound = math.floor(so_far / (1.0 - (1.0 - 1.0 / k) ** k))
        upper = min(upper, max(greedy_bound, so_far))
    return chosen, gains, upper


@njit(cache=True)
def _coverage_gains(rr_indptr, rr_nodes, single, seeds):
    """The sets of a collection that ``seeds`` cover, credited in pick order: gains[j]
    counts the sets whose earliest-picked member is seeds[j] (one-user sets included)."""
    n = single.shape[0]
    rank = np.full(n, -1, dtype=np.int64)
    for j in range(seeds.shape[0]):
        if rank[seeds[j]] < 0:
            rank[seeds[j]] = j
    gains = np.zeros(seeds.shape[0], dtype=np.int64)
    for j in range(seeds.shape[0]):
        if rank[seeds[j]] == j:
            gains[j] += single[seeds[j]]
    for r in range(rr_indptr.shape[0] - 1):
        first = seeds.shape[0]
        for i in range(rr_indptr[r], rr_indptr[r + 1]):
            at = rank[rr_nodes[i]]
            if 0 <= at < first:
                first = at
        if first < seeds.shape[0]:
            gains[first] += 1
    return gains


class _RRCollection:
    """RR sets drawn in numbered order, in parallel chunks; deterministic for a seed.
    Sets of two or more users are kept; one-user sets are counted per user. With
    ``stop`` (a bool per user), sets are truncated at the first such user they reach and
    only counted (``hits``); with ``keep`` false, nothing is stored at all."""

    def __init__(self, graph: FriendGraph, in_weight: np.ndarray, model: int, seed: int,
                 max_bytes: float, progress=None, stage: str = "RR sets",
                 node_log: np.ndarray | None = None, stop: np.ndarray | None = None,
                 keep: bool = True) -> None:
        self.g, self.w, self.model, self.seed = graph, in_weight, model, seed
        self.max_bytes, self.progress, self.stage = max_bytes, progress, stage
        self.stop = np.zeros(0, dtype=np.bool_) if stop is None else stop.astype(np.bool_)
        self.keep = keep
        self.target = 0
        self.parts_nodes: list[np.ndarray] = []
        self.parts_sizes: list[np.ndarray] = []
        self.single = np.zeros(graph.n_users, dtype=np.int32)
        self.count = 0
        self.hits = 0  #: sets truncated at a ``stop`` user
        self.visited = 0  #: users the walks reached, stored or not
        self.total_nodes = 0
        self.stored_sets = 0
        self.threads = max(1, min(os.cpu_count() or 1, 8))
        # per-user geometric skips (``_rr_sets``); collections on one graph share them
        self.node_log = _node_logs(graph, in_weight, model) if node_log is None else node_log

    def _check_memory(self, target: int) -> None:
        share = self.stored_sets / self.count if self.count else 1.0
        mean = self.total_nodes / self.stored_sets if self.stored_sets else 1.0
        # stored nodes, inverted index, offsets, sizes, covered flags
        need = target * share * (mean * (4 + 4) + 8 + 8 + 1)
        if need > self.max_bytes:
            raise DiffusionError(
                f"the RR sets would need about {need / 2**30:.1f} GiB for {target:,} RR sets "
                f"({share:.0%} of them of two or more users, mean size {mean:.1f}); the "
                f"limit is {self.max_bytes / 2**30:.1f} GiB. "
                f"Raise --max-memory, or use a larger --eps or a smaller --k")

    def extend_to(self, target: int) -> None:
        target = int(math.ceil(target))
        self.target = max(self.target, target)
        if self.count == 0 and target > 0:
            self._draw(min(target, 1000))
        self._check_memory(target)
        while self.count < target:
            self._draw(min(target - self.count, 4_000_000))

    def _draw(self, count: int) -> None:
        g = self.g
        step = max(1, math.ceil(count / self.threads))
        starts = list(range(self.count, self.count + count, step))
        uniform_log = _uniform_log(self.w, self.model)
        node_log = self.node_log

        def work(s):
            c = min(step, self.count + count - s)
            return _rr_sets(g.in_indptr, g.in_indices, self.w, s, c, self.seed, self.model,
                            uniform_log, node_log, self.stop, self.keep)

        with ThreadPoolExecutor(self.threads) as pool:
            for nodes, sizes, single, hits, visited in pool.map(work, starts):
                self.parts_nodes.append(nodes)
                self.parts_sizes.append(sizes)
                self.single += single
                self.hits += hits
                self.visited += visited
                self.total_nodes += len(nodes)
                self.stored_sets += len(sizes)
        self.count += count
        if self.progress:
            self.progress(self.stage, self.count, max(self.target, self.count))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        nodes = np.concatenate(self.parts_nodes) if self.parts_nodes else np.empty(0, np.int32)
        sizes = np.concatenate(self.parts_sizes) if self.parts_sizes else np.empty(0, np.int64)
        self.parts_nodes, self.parts_sizes = [nodes], [sizes]
        indptr = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=indptr[1:])
        return indptr, nodes

    def greedy(self, k: int, allowed: np.ndarray,
               bound: bool = False) -> tuple[np.ndarray, np.ndarray, int]:
        """Greedy picks, their covered sets, and (with ``bound``) an upper bound on the sets
        the best k allowed users cover (else -1)."""
        indptr, nodes = self.arrays()
        inv = np.empty(len(nodes), dtype=np.int32 if len(indptr) < 2**31 else np.int64)
        return _greedy_cover(indptr, nodes, self.single, k, allowed.copy(), inv, bound)

    def coverage(self, seeds: np.ndarray) -> np.ndarray:
        """The sets ``seeds`` cover, credited to each seed in pick order."""
        indptr, nodes = self.arrays()
        return _coverage_gains(indptr, nodes, self.single, np.asarray(seeds, np.int64))


# --------------------------------------------------------------------------- probabilities


def _receiver_degree(graph: FriendGraph) -> np.ndarray:
    deg = np.diff(graph.in_indptr).astype(np.float64)
    return deg[graph.indices]  # in-degree of the arc's receiving user


def edge_probabilities(graph: FriendGraph, spec, model: str) -> tuple[np.ndarray, np.ndarray]:
    """(forward, reverse) arc weights: forward[e] for arc u->v at position e of u's list;
    reverse[e] for the arc at position e of v's incoming list (u -> v) holds its weight.
    Weighted cascade is 1 / the receiver's in-degree (its friends, with follows also the
    users it follows).
    For IC with one p in (0, 0.5) both are a one-element array (see below)."""
    if isinstance(spec, np.ndarray):
        return spec, reverse_arcs(graph, spec)
    uniform = _uniform_p(spec) if model == "ic" else None
    if uniform is not None:
        # one p in (0, 0.5): the kernels skip failed arcs geometrically and never read
        # per-arc values, so a one-element array stands for every arc
        one = np.array([uniform])
        return one, one
    if isinstance(spec, (int, float)) or (isinstance(spec, str) and _is_float(spec)):
        p = float(spec)
        if not 0.0 <= p <= 1.0:
            raise InputError(f"{{p}} must be in [0, 1], got {p}", field="p")
        forward = np.full(len(graph.indices), p)
        return forward, forward
    if spec in (None, "weighted-cascade"):
        forward = 1.0 / np.maximum(_receiver_degree(graph), 1.0)
        # reverse: position e of v's incoming list is an arc received by v
        indeg = np.diff(graph.in_indptr)
        reverse = 1.0 / np.maximum(np.repeat(indeg, indeg).astype(np.float64), 1.0)
        return forward, reverse
    if spec in ("column", "history"):
        raise InputError(f"{{p}} {spec} needs the data, not only the graph: pass the arc "
                         "weights (Session.simulate and Session.promoters do)", field="p")
    raise InputError(f"{{p}} must be a number, weighted-cascade, history or column, got "
                     f"{spec!r}", field="p")


def reverse_arcs(graph: FriendGraph, forward: np.ndarray) -> np.ndarray:
    """Weights re-indexed so position e of v's incoming list (u -> v) holds forward(u -> v)."""
    dst = np.repeat(np.arange(graph.n_users), np.diff(graph.in_indptr))
    return forward[graph.arc_positions(graph.in_indices, dst)]


def _is_float(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


# --------------------------------------------------------------------------- simulate


def ties(over: str) -> str:
    """How a title names the ties other than friendships alone."""
    return {"follows": " over follows", "both": " over friendships and follows"}.get(over, "")


@dataclass(repr=False)
class SimulationResult(Displayable):
    model: str
    probability: str
    runs: int
    seed: int
    seeds: list[str]
    spreads: np.ndarray
    curve: np.ndarray
    users: int
    target_rse: float = 0.01
    notes: list[str] = field(default_factory=list)
    history: HistoryEstimate | None = None  #: when the probability is learnt from history
    over: str = "friendships"  #: the ties influence travelled over (graph.OVER)

    @property
    def mean(self) -> float:
        return float(self.spreads.mean())

    @property
    def stderr(self) -> float:
        return float(self.spreads.std(ddof=1) / math.sqrt(self.runs)) if self.runs > 1 else 0.0

    @property
    def rse(self) -> float:
        return self.stderr / self.mean if self.mean else 0.0

    @property
    def runs_needed(self) -> int:
        return int(math.ceil(self.runs * (self.rse / self.target_rse) ** 2))

    def plot(self, ax=None, **options):
        """Mean cumulative activations by step;
        see :func:`analyzer.charts.activation`. Needs matplotlib; returns the Axes."""
        from .charts import activation

        return activation(self.to_dict(), ax, **options)

    def to_dict(self) -> dict:
        q = np.quantile(self.spreads, [0.05, 0.25, 0.5, 0.75, 0.95])
        mean_curve = self.curve.mean(axis=0)
        last = int(np.max(np.nonzero(mean_curve)[0])) if mean_curve.any() else 0
        return {"model": self.model, "probability": self.probability, "over": self.over,
                "runs": self.runs, "seed": self.seed, "seeds": len(self.seeds),
                "users": self.users,
                "mean": self.mean, "stderr": self.stderr,
                "ci_low": self.mean - 1.959963984540054 * self.stderr,
                "ci_high": self.mean + 1.959963984540054 * self.stderr,
                "quantiles": {"p05": float(q[0]), "p25": float(q[1]), "p50": float(q[2]),
                              "p75": float(q[3]), "p95": float(q[4])},
                "curve": [{"step": i, "new": float(mean_curve[i]),
                           "cumulative": float(mean_curve[: i + 1].sum())}
                          for i in range(last + 1)],
                "relative_stderr": self.rse, "enough_runs": self.rse <= self.target_rse,
                "runs_needed": self.runs_needed, "notes": self.notes,
                "history": None if self.history is None else self.history.to_dict()}

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.to_dict()["curve"])

    def tables(self):
        d = self.to_dict()
        head = pd.DataFrame([{"expected spread": d["mean"], "stderr": d["stderr"],
                              "ci_low": d["ci_low"], "ci_high": d["ci_high"],
                              **d["quantiles"]}])
        out = [(f"{self.model.upper()} with {self.probability}{ties(self.over)}, "
                f"{len(self.seeds)} seed(s), "
                f"{self.runs:,} runs (seed {self.seed})", head),
               ("Activation curve: mean new users per step", self.to_frame())]
        check = ("enough runs" if d["enough_runs"] else
                 f"WARNING: relative standard error {self.rse:.2%} is above "
                 f"{self.target_rse:.0%}; about {self.runs_needed:,} runs are needed")
        out.append((f"Relative standard error {self.rse:.3%}: {check}", pd.DataFrame()))
        return ([self.history.table()] if self.history is not None else []) + out


def _model_code(model: str) -> int:
    if model not in ("ic", "lt"):
        raise InputError(f"{{model}} must be ic or lt, got {model!r}", field="model")
    return 0 if model == "ic" else 1


def _chunks(runs: int) -> int:
    return max(1, min(runs, os.cpu_count() or 1))


def _uniform_p(p) -> float | None:
    """p as a float when it is one number in (0, 0.5): the geometric-skip kernels apply."""
    if isinstance(p, (int, float)) or (isinstance(p, str) and _is_float(p)):
        value = float(p)
        if 0.0 < value < 0.5:
            return value
    return None


def _node_logs(graph: FriendGraph, in_weight: np.ndarray, model) -> np.ndarray:
    """Per user, log(1 - p) when every incoming arc has the same p in (0, 0.5), else 1.0
    (see ``_rr_sets``); empty when no user has that or one p covers every arc already."""
    none = np.empty(0, dtype=np.float64)
    if model not in (0, "ic") or len(in_weight) != graph.n_arcs or graph.n_arcs == 0 \
            or _uniform_log(in_weight, model) < 0:
        return none
    indptr = graph.in_indptr
    has = np.diff(indptr) > 0
    starts = indptr[:-1][has]
    lo = in_weight[starts]  # each user's first incoming arc; the same p on all of them?
    differs = np.add.reduceat((in_weight != np.repeat(lo, np.diff(indptr)[has])).view(
        np.uint8), starts)
    same = (differs == 0) & (lo > 0.0) & (lo < 0.5)
    if not same.any():
        return none
    out = np.ones(graph.n_users, dtype=np.float64)
    where = np.flatnonzero(has)[same]
    out[where] = np.log1p(-lo[same])
    return out


def _uniform_log(weight: np.ndarray, model) -> float:
    """log(1 - p) when IC has one p in (0, 0.5) on every arc; 1.0 (off) otherwise."""
    if model not in (0, "ic") or len(weight) == 0:
        return 1.0
    p = float(weight[0])
    if 0.0 < p < 0.5 and bool((weight == weight[0]).all()):
        return math.log1p(-p)
    return 1.0


#: about how long one block of watched forward runs takes, seconds (see forward_spreads)
BLOCK_SECONDS = 0.5


def forward_spreads(graph: FriendGraph, seed_pos: np.ndarray, weight: np.ndarray, model: str,
                    runs: int, seed: int, progress=None,
                    stage: str = "simulate") -> tuple[np.ndarray, np.ndarray]:
    """Spread and new users per step of ``runs`` forward runs. With ``progress``, the runs
    go in blocks of about :data:`BLOCK_SECONDS` each (the first, small one sets the pace),
    at least ten of them, and ``progress(stage, done, runs)`` follows each; the numbers are the same either way
    (run r draws from stream (seed, r) in any block)."""
    import time

    seeds = np.asarray(seed_pos, np.int64)
    args = (_model_code(model), _chunks(runs), _uniform_log(weight, model))
    if progress is None:
        return _forward(graph.indptr, graph.indices, weight, seeds, 0, runs, seed, *args)
    tenth = max(args[1], -(-runs // 10))
    block = min(tenth, 8 * args[1])
    spreads, curves, run0 = [], [], 0
    progress(stage, 0, runs)
    while run0 < runs:
        n = min(block, runs - run0)
        t = time.perf_counter()
        s, c = _forward(graph.indptr, graph.indices, weight, seeds, run0, n, seed, *args)
        took = time.perf_counter() - t
        spreads.append(s)
        curves.append(c)
        run0 += n
        progress(stage, run0, runs)
        block = max(args[1], min(tenth, int(n * BLOCK_SECONDS / max(took, 1e-3))))
    return np.concatenate(spreads), np.concatenate(curves)


def simulate(graph: FriendGraph, seed_ids, *, model: str = "ic", p="weighted-cascade",
             runs: int = 1000, seed: int = 0, weights: np.ndarray | None = None,
             probability_label: str | None = None, progress=None) -> SimulationResult:
    """Monte Carlo spread of ``seed_ids``; ``progress(stage, done, total)`` follows the
    runs when given."""
    if runs < 2:
        raise InputError("{runs} must be at least 2", field="runs")
    need = runs * (MAX_STEPS + 2) * 8  # each run's spread and its curve, int64
    if need > _half_ram():
        raise InputError(f"{runs:,} runs would need about {need / 2**30:,.1f} GiB for their "
                         f"results, over half of this machine's memory "
                         f"({_half_ram() / 2**30:,.1f} GiB); use fewer runs (the standard "
                         f"error shrinks as 1/sqrt(runs))", field="runs")
    pos = graph.positions(seed_ids)
    if len(pos) == 0:
        raise DiffusionError("the seed set is empty")
    forward = weights if weights is not None else edge_probabilities(graph, p, model)[0]
    spreads, curve = forward_spreads(graph, pos, forward, model, runs, seed,
                                     progress or _progress.sink())
    return SimulationResult(model, probability_label or str(p), runs, seed,
                            [str(x) for x in graph.user_ids[pos]], spreads, curve,
                            graph.n_users)


# --------------------------------------------------------------------------- promoters


def _log_binom(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def imm(graph: FriendGraph, k: int, *, model: str = "ic", p="weighted-cascade",
        eps: float = 0.5, ell: float = 1.0, seed: int = 0, allowed: np.ndarray | None = None,
        max_bytes: float | None = None, weights=None, progress=None) -> dict:
    """IMM seeds in pick order with their marginal gains (expected users, RR estimate)."""
    n = graph.n_users
    if not 1 <= k <= n:
        raise InputError(f"{{k}} must be from 1 to the number of users ({n})", field="k")
    if not 0 < eps < 1:
        raise InputError("{eps} must be in (0, 1)", field="eps")
    code = _model_code(model)
    _, reverse = (weights if weights is not None else edge_probabilities(graph, p, model))
    allowed = np.ones(n, dtype=bool) if allowed is None else allowed.astype(bool)
    k = min(k, int(allowed.sum()))
    max_bytes = max_bytes or _half_ram()
    ell = ell * (1 + math.log(2) / math.log(n))
    logcnk = _log_binom(n, k)
    eps_p = math.sqrt(2) * eps
    lam_p = ((2 + 2 / 3 * eps_p) * (logcnk + ell * math.log(n) + math.log(max(math.log2(n), 1)))
             * n / eps_p ** 2)
    # Where to start the search for the lower bound: IMM tries x = n/2, n/4, ... and
    # stops at the first x the sample clears; every x tried costs a greedy pass over all
    # the sets so far. An independent pilot (its own random streams) estimates the
    # optimum, and the search starts at the last x above twice that estimate. Starting
    # lower only means more sets for that x, so the bound stays valid.
    logs = _node_logs(graph, reverse, code)
    pilot = _RRCollection(graph, reverse, code, seed + 2_000_003, max_bytes, node_log=logs)
    pilot.extend_to(min(200_000, max(1_000, 20 * n)))
    p_chosen, p_gains, _ = pilot.greedy(k, allowed)
    estimate = n * p_gains[p_chosen >= 0].sum() / pilot.count
    del pilot
    first = max(1, int(math.floor(math.log2(n / max(2 * estimate * (1 + eps_p), 1.0)))))
    bound = _RRCollection(graph, reverse, code, seed, max_bytes, progress, "RR sets (bound)",
                          node_log=logs)
    lower = 1.0
    for i in range(first, max(int(math.log2(n)), first + 1)):
        x = n / 2 ** i
        bound.extend_to(lam_p / x)
        chosen, gains, _ = bound.greedy(k, allowed)
        frac = gains[chosen >= 0].sum() / bound.count
        if n * frac >= (1 + eps_p) * x:
            lower = n * frac / (1 + eps_p)
            break
    e = math.e
    alpha = math.sqrt(ell * math.log(n) + math.log(2))
    beta = math.sqrt((1 - 1 / e) * (logcnk + ell * math.log(n) + math.log(2)))
    lam_star = 2 * n * ((1 - 1 / e) * alpha + beta) ** 2 / eps ** 2
    theta = int(math.ceil(lam_star / lower))
    del bound
    # Chen (2018): the final sets are fresh, independent of those that set the bound
    final = _RRCollection(graph, reverse, code, seed + 1_000_003, max_bytes, progress,
                          "RR sets (final)", node_log=logs)
    final.extend_to(theta)
    chosen, gains, _ = final.greedy(k, allowed)
    keep = chosen >= 0
    return {"seeds": chosen[keep], "gains": gains[keep] * n / final.count,
            "rr_sets": final.count, "estimate": gains[keep].sum() * n / final.count,
            "rr_gains": lambda seeds: final.coverage(np.asarray(seeds)) * n / final.count,
            "lower_bound": lower,
            "certificate": {"algorithm": "imm", "approximation": 1 - 1 / e - eps,
                            "target": 1 - 1 / e - eps, "delta": n ** -ell,
                            "proved_by": "sample size", "rr_sets": final.count}}


#: HIST is used (``hist=None``) when the first round of full RR sets would visit more
#: users than this, as judged from a pilot: influence is high, so sets are large
HIST_VISITS = 50_000_000


def opim(graph: FriendGraph, k: int, *, model: str = "ic", p="weighted-cascade",
         eps: float = 0.5, ell: float = 1.0, seed: int = 0, allowed: np.ndarray | None = None,
         max_bytes: float | None = None, weights=None, progress=None,
         hist: bool | None = None) -> dict:
    """OPIM-C (Tang, Tang, Xiao and Yuan, SIGMOD 2018): seeds in pick order, their marginal
    gains, and the approximation the sample proved.

    Two independent collections of RR sets grow together, doubling from θ₀: greedy picks
    on the first, whose bound caps the optimum from above; the second, independent of the
    pick, bounds the pick's spread from below. The run stops at the first round where
    lower / upper reaches 1 - 1/e - ε, or at θ_max, where the sample size alone gives that
    guarantee. Every bound holds with probability at least 1 - δ overall, δ = 1/n^ℓ.

    Where influence is high, RR sets are huge; then (``hist`` None and a pilot's sets
    large, or ``hist`` True) the rounds run with HIST's sentinels (:func:`_opim_hist`)."""
    n = graph.n_users
    if not 1 <= k <= n:
        raise InputError(f"{{k}} must be from 1 to the number of users ({n})", field="k")
    if not 0 < eps < 1:
        raise InputError("{eps} must be in (0, 1)", field="eps")
    code = _model_code(model)
    forward, reverse = (weights if weights is not None else edge_probabilities(graph, p, model))
    allowed = np.ones(n, dtype=bool) if allowed is None else allowed.astype(bool)
    k = min(k, int(allowed.sum()))
    max_bytes = max_bytes or _half_ram()
    e = math.e
    target = 1 - 1 / e - eps
    log_delta = -ell * math.log(n)  # ln δ, δ = 1/n^ℓ
    alpha = math.sqrt(math.log(6) - log_delta)
    beta = math.sqrt((1 - 1 / e) * (_log_binom(n, k) + math.log(6) - log_delta))
    theta0 = max(1, int(2 * ((1 - 1 / e) * alpha + beta) ** 2))
    theta_max = int(2 * n * ((1 - 1 / e) * alpha + beta) ** 2 / (k * eps ** 2)) + 1
    rounds = int(math.log2(max(theta_max / theta0, 1))) + 1
    a = math.log(3 * rounds) - log_delta  # ln(3 i_max / δ), for each of the two bounds
    logs = _node_logs(graph, reverse, code)
    plan = _Plan(graph, reverse, code, seed, max_bytes, progress, logs, k, allowed, target,
                 eps, theta0, theta_max, rounds, a, math.exp(log_delta))
    hist_note = None
    if hist is not False:
        found = _sentinels(plan, -log_delta, force=hist is True)
        if found is not None:
            sentinels, pilot = found
            got = _opim_hist(plan, sentinels, pilot)
            if got is not None:
                return got
            hist_note = (f"HIST's {len(sentinels)} sentinels proved nothing by θ_max; "
                         "plain OPIM-C ran instead")
    select = plan.collection(seed, "RR sets (selection)")
    check = plan.collection(seed + 1_000_003, "RR sets (validation)")
    for i in range(rounds):
        select.extend_to(plan.size(i))
        check.extend_to(plan.size(i))
        chosen, _, upper_cover = select.greedy(k, allowed, bound=True)
        keep = chosen >= 0
        gains = check.coverage(chosen[keep])
        covered = float(gains.sum())
        lower, upper, ratio = plan.bounds(covered, check.count, upper_cover, select.count)
        if ratio >= target:
            proved_by = "bounds"
            break
    else:
        proved_by = "sample size"
    certificate = plan.certificate("opim-c", ratio, proved_by, select.count + check.count,
                                   i, lower * n / check.count, upper * n / check.count)
    if hist_note:
        certificate["note"] = hist_note
    return {"seeds": chosen[keep], "gains": gains * n / check.count,
            "rr_sets": select.count + check.count, "estimate": covered * n / check.count,
            "rr_gains": lambda seeds: check.coverage(np.asarray(seeds)) * n / check.count,
            "certificate": certificate}


@dataclass
class _Plan:
    """What every OPIM-C round shares: the graph and model, the sizes θ₀ · 2^i up to
    θ_max, and the two bounds of a round (each at ln(3 i_max / δ), ``a``)."""

    graph: FriendGraph
    reverse: np.ndarray
    code: int
    seed: int
    max_bytes: float
    progress: object
    logs: np.ndarray
    k: int
    allowed: np.ndarray
    target: float
    eps: float
    theta0: int
    theta_max: int
    rounds: int
    a: float
    delta: float

    def size(self, i: int) -> int:
        return self.theta0 << i if i < self.rounds - 1 else max(self.theta_max,
                                                                self.theta0 << i)

    def collection(self, seed: int, stage: str, **options) -> _RRCollection:
        return _RRCollection(self.graph, self.reverse, self.code, seed, self.max_bytes,
                             self.progress, stage, node_log=self.logs, **options)

    def bounds(self, covered: float, checked: int, upper_cover: float,
               selected: int) -> tuple[float, float, float]:
        """The lower bound on the pick's coverage of ``checked`` validation sets, the upper
        bound on the optimum's (its ``upper_cover`` of ``selected`` sets, scaled), and
        their ratio."""
        a = self.a
        lower = (math.sqrt(covered + 2 * a / 9) - math.sqrt(a / 2)) ** 2 - a / 18
        upper = (math.sqrt(upper_cover * checked / selected + a / 2) + math.sqrt(a / 2)) ** 2
        return lower, upper, (max(lower, 0.0) / upper if upper > 0 else 0.0)

    def certificate(self, algorithm: str, ratio: float, proved_by: str, rr_sets: int,
                    i: int, spread_lower: float, optimum_upper: float) -> dict:
        return {"algorithm": algorithm, "approximation": max(ratio, self.target)
                if proved_by == "sample size" else ratio,
                "bound_ratio": ratio, "target": self.target, "delta": self.delta,
                "proved_by": proved_by, "rr_sets": rr_sets, "rounds": i + 1,
                "max_rounds": self.rounds, "spread_lower": spread_lower,
                "optimum_upper": optimum_upper}


def _sentinels(plan: _Plan, log_inv_delta: float, force: bool
               ) -> tuple[np.ndarray, _RRCollection] | None:
    """HIST's sentinel set (Guo, Wu, Tang, Xiao and Yang, TODS 2022), when influence is
    high: a pilot of 3 ln(1/δ) full RR sets, and the first greedy picks on it that cover
    90% of what all k picks cover, at least HIST's floor and at most k/2 of them; with
    the pilot. None when the pilot's sets are small enough that a first round of full
    sets visits fewer than HIST_VISITS users (unless ``force``)."""
    pilot = plan.collection(plan.seed + 3_000_017, "RR sets (sentinel pilot)")
    pilot.extend_to(max(16, math.ceil(3 * log_inv_delta)))
    if not force and 2 * plan.theta0 * pilot.visited / pilot.count < HIST_VISITS:
        return None
    chosen, gains, _ = pilot.greedy(plan.k, plan.allowed)
    gains = gains[chosen >= 0]
    reach = np.cumsum(gains)
    if len(reach) == 0 or reach[-1] == 0:
        return None
    b = int(np.searchsorted(reach, 0.9 * reach[-1])) + 1
    # HIST's floor: enough sentinels that 1 - (1 - 1/k)^b exceeds eps / 2 (more stop
    # sets earlier; measured on 1M users at p = 0.1: 6 sentinels 15.9 s, 25 9.3 s)
    if plan.k > 1:
        b = max(b, math.ceil(math.log(1 - plan.eps / 2) / math.log(1 - 1 / plan.k)))
    b = max(1, min(b, plan.k // 2, len(gains)))
    return chosen[:b], pilot


def _opim_hist(plan: _Plan, sentinels: np.ndarray, pilot: _RRCollection) -> dict | None:
    """OPIM-C's rounds with HIST's sentinels S_b fixed among the seeds. Selection sets are
    truncated at S_b (a set that reaches it is covered by any seed set holding S_b, and
    stops there), so only the sets S_b misses are stored: greedy adds k - b seeds on
    them. For any k users T, Cov(T) <= Cov(T u S_b) = hits + Cov_missed(T), so the sets
    hit plus OPIM-C's bound on the missed ones caps the optimum; the sets are drawn after
    S_b is fixed, so the bound holds as OPIM-C's does. Each round's validation sets are
    fresh and truncated at the whole pick (counted, never stored), which bounds its
    spread from below. The same θ₀ · 2^i rounds, the same a = ln(3 i_max / δ) per bound.
    None when no round proves 1 - 1/e - ε (θ_max's guarantee is for plain greedy only)."""
    n, k = plan.graph.n_users, plan.k
    stop = np.zeros(n, dtype=np.bool_)
    stop[sentinels] = True
    b = len(sentinels)
    select = plan.collection(plan.seed, "RR sets (selection, HIST)", stop=stop)
    drawn = pilot.count
    for i in range(plan.rounds):
        select.extend_to(plan.size(i))
        picks, picked, missed_upper = select.greedy(k, plan.allowed & ~stop, bound=True)
        extra = picks[: k - b]
        extra_gains = picked[: k - b][extra >= 0]
        seeds = np.concatenate([sentinels, extra[extra >= 0]]).astype(np.int64)
        in_pick = np.zeros(n, dtype=np.bool_)
        in_pick[seeds] = True
        check = plan.collection(plan.seed + 1_000_003 + 7_919 * (i + 1),
                                "RR sets (validation, HIST)", stop=in_pick, keep=False)
        check.extend_to(select.count)
        drawn += check.count
        covered = float(check.hits)
        lower, upper, ratio = plan.bounds(covered, check.count, select.hits + missed_upper,
                                          select.count)
        if ratio >= plan.target:
            break
    else:
        return None
    # gains in pick order: the sentinels split the selection sets S_b hit by their pilot
    # shares, the others their greedy counts on the sets S_b missed; all scaled to sum to
    # the validation estimate (the selection sets flatter their own pick)
    share = pilot.coverage(sentinels).astype(np.float64)
    share = share / share.sum() if share.sum() > 0 else np.full(b, 1.0 / b)
    gains = np.concatenate([share * select.hits, extra_gains]).astype(np.float64)
    estimate = covered * n / check.count
    gains = gains * (estimate / gains.sum()) if gains.sum() > 0 else gains
    certificate = plan.certificate("opim-c+hist", ratio, "bounds", drawn + select.count, i,
                                   lower * n / check.count, upper * n / check.count)
    certificate.update(sentinels=b, sets_hit=int(select.hits),
                       users_visited=int(select.visited + pilot.visited))
    return {"seeds": seeds, "gains": gains, "rr_sets": drawn + select.count,
            "estimate": estimate,
            "rr_gains": lambda chosen: pilot.coverage(np.asarray(chosen)) * n / pilot.count,
            "certificate": certificate}


def _half_ram() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2


def celf(graph: FriendGraph, k: int, *, model: str = "ic", p="weighted-cascade",
         runs: int = 200, seed: int = 0, allowed: np.ndarray | None = None,
         weights=None, max_candidates: int = 5000) -> dict:
    """Lazy-greedy (CELF) on Monte Carlo spread with common random numbers."""
    n = graph.n_users
    forward = (weights if weights is not None else edge_probabilities(graph, p, model))[0]
    allowed = np.ones(n, dtype=bool) if allowed is None else allowed.astype(bool)
    cand = np.flatnonzero(allowed)
    if len(cand) > max_candidates:
        raise InputError(f"celf evaluates every candidate by simulation; {len(cand):,} "
                         f"candidates is too many (limit {max_candidates:,}). Use "
                         f"{{method}}='imm', or {{candidates}}=ROLE", field="method",
                         params=("candidates",))

    def spread(seeds) -> float:
        return float(forward_spreads(graph, np.asarray(seeds), forward, model, runs,
                                     seed)[0].mean())

    import heapq

    heap = [(-spread([v]), int(v), 0) for v in cand]
    heapq.heapify(heap)
    chosen: list[int] = []
    gains: list[float] = []
    current = 0.0
    while heap and len(chosen) < k:
        neg, v, stamp = heapq.heappop(heap)
        if stamp == len(chosen):
            chosen.append(v)
            gains.append(-neg)
            current += -neg
            continue
        gain = spread(chosen + [v]) - current
        heapq.heappush(heap, (-gain, v, len(chosen)))
    return {"seeds": np.asarray(chosen, dtype=np.int64), "gains": np.asarray(gains)}


def top_degree(graph: FriendGraph, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
    deg = np.diff(graph.indptr).astype(np.float64)
    if allowed is not None:
        deg = np.where(allowed, deg, -1.0)
    order = np.lexsort((np.arange(graph.n_users), -deg))
    return order[:k]


@njit(parallel=True, cache=True)
def _pagerank_step(indptr, indices, share, base, damping, out):
    """One power step pulled along outgoing arcs: user u collects ``share`` (rank over
    in-degree) from each user its arcs reach, since those users' walkers step back to
    u, into ``out``."""
    n = indptr.shape[0] - 1
    for u in prange(n):
        acc = 0.0
        for e in range(indptr[u], indptr[u + 1]):
            acc += share[indices[e]]
        out[u] = base + damping * acc


def pagerank(graph: FriendGraph, damping: float = 0.85, tol: float = 1e-10,
             max_iter: int = 200) -> np.ndarray:
    """PageRank of the walk against influence (a follower's attention moves to whom they
    follow), so it steps along each user's incoming arcs; for friendships alone, the same
    arcs. Dangling users (no incoming arc) spread their rank evenly, as networkx does.
    Each step is one compiled pass over the arcs, with nothing per arc allocated."""
    n = graph.n_users
    if n == 0:
        return np.empty(0)
    deg = np.diff(graph.in_indptr).astype(np.float64)
    dangles = deg == 0
    inv = np.where(dangles, 0.0, 1.0 / np.maximum(deg, 1.0))
    x = np.full(n, 1.0 / n)
    new = np.empty(n)
    for _ in range(max_iter):
        base = (1 - damping) / n + damping * x[dangles].sum() / n
        _pagerank_step(graph.indptr, graph.indices, x * inv, base, damping, new)
        if np.abs(new - x).sum() < tol:
            return new
        x, new = new, x
    return x


def top_pagerank(graph: FriendGraph, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
    pr = pagerank(graph)
    if allowed is not None:
        pr = np.where(allowed, pr, -1.0)
    return np.lexsort((np.arange(graph.n_users), -pr))[:k]


@dataclass(repr=False)
class PromoterResult(Displayable):
    method: str
    model: str
    probability: str
    k: int
    seeds: list[str]
    gains: list[float]
    spread: float
    spread_stderr: float
    runs: int
    baselines: list[dict]
    details: dict = field(default_factory=dict)
    history: HistoryEstimate | None = None  #: when the probability is learnt from history
    over: str = "friendships"  #: the ties influence travels over (graph.OVER)

    def plot(self, ax=None, **options):
        """Expected spread against k: the pick's estimate by pick, its forward check and the baselines;
        see :func:`analyzer.charts.promoters`. Needs matplotlib; returns the Axes."""
        from .charts import promoters

        return promoters(self.to_dict(), ax, **options)

    def to_dict(self) -> dict:
        ci = 1.959963984540054 * self.spread_stderr
        return {"method": self.method, "model": self.model, "probability": self.probability,
                "over": self.over, "k": self.k, "seeds": self.seeds, "gains": self.gains,
                "spread": self.spread, "spread_stderr": self.spread_stderr,
                "spread_ci_low": self.spread - ci, "spread_ci_high": self.spread + ci,
                "check_runs": self.runs, "baselines": self.baselines,
                "within_error": self.within_error(), "verdict": self.verdict(), **self.details,
                "history": None if self.history is None else self.history.to_dict()}

    @property
    def winner(self) -> str:
        """Whose seeds these are: the method's pick, or the baseline that clearly beat it."""
        return self.details.get("winner", self.method)

    def _sets(self) -> list[tuple[str, float, float]]:
        return [(self.winner, self.spread, self.spread_stderr)] + [
            (b["name"], b["spread"], b["spread_stderr"]) for b in self.baselines
            if b["size"] == len(self.seeds)]

    def within_error(self) -> list[str]:
        """The seed sets of the same size whose spread is within error of the best one's: the
        difference is under 1.96 standard errors of a difference, sqrt(se_a² + se_b²). The
        forward checks share one random stream, so this is conservative."""
        sets = self._sets()
        best = max(sets, key=lambda t: t[1])
        return [name for name, m, se in sets
                if best[1] - m <= 1.959963984540054 * math.hypot(se, best[2])]

    def verdict(self) -> str:
        """One sentence: which seed set of this size reaches the most, or that several are
        within error of each other (then none is crowned)."""
        sets = self._sets()
        tied = self.within_error()
        if len(sets) == 1:
            return f"{self.winner} reaches {self.spread:,.1f} users (± {self.spread_stderr:.2g})"
        if len(tied) > 1:
            names = ", ".join(tied[:-1]) + f" and {tied[-1]}"
            spreads = [m for name, m, _ in sets if name in tied]
            return (f"{names} are within error of each other ({min(spreads):,.1f} to "
                    f"{max(spreads):,.1f} users); the forward checks cannot tell them apart")
        (leader,) = tied
        best = next(t for t in sets if t[0] == leader)
        runner_up = max((t for t in sets if t[0] != leader), key=lambda t: t[1])
        diff, se = best[1] - runner_up[1], math.hypot(best[2], runner_up[2])
        return (f"{leader} reaches the most: {best[1]:,.1f} users against {runner_up[1]:,.1f} "
                f"for {runner_up[0]} (difference {diff:,.1f} ± {1.959963984540054 * se:.2g})")

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"pick": np.arange(1, len(self.seeds) + 1), "user_id": self.seeds,
                             "marginal_gain": self.gains})

    def tables(self):
        alone = self.within_error() == [self.winner]
        rows = [{"seed set": f"{self.winner} ({'recommended' if alone else 'picked'})",
                 "size": len(self.seeds),
                 "spread": self.spread, "stderr": self.spread_stderr}]
        rows += [{"seed set": b["name"], "size": b["size"], "spread": b["spread"],
                  "stderr": b["spread_stderr"]} for b in self.baselines]
        title = (f"Promoters by {self.method}" if self.winner == self.method else
                 f"Promoters by {self.winner}, which clearly beat the {self.method} pick")
        return ([self.history.table()] if self.history is not None else []) + [
                (f"{title}: {self.model.upper()} with {self.probability}{ties(self.over)}, "
                 f"k = {self.k}",
                 self.to_frame()),
                *self._certificate_table(),
                (f"Expected spread, re-estimated by {self.runs:,} independent forward runs: "
                 f"{self.verdict()}", pd.DataFrame(rows))]

    def _certificate_table(self) -> list:
        cert = self.details.get("certificate")
        if not cert:
            return []
        how = ("the sample's bounds" if cert["proved_by"] == "bounds" else
               "the number of RR sets")
        rows = [{"": "approximation proved", "value": f"{cert['approximation']:.3f}"},
                {"": "asked (1 - 1/e - eps)", "value": f"{cert['target']:.3f}"},
                {"": "holds with probability", "value": f"1 - {cert['delta']:.2g}"},
                {"": "proved by", "value": how},
                {"": "RR sets drawn", "value": f"{cert['rr_sets']:,}"}]
        if "sentinels" in cert:
            rows.append({"": "HIST sentinels (seeds fixed first)",
                         "value": (f"{cert['sentinels']} ({cert['sets_hit']:,} selection "
                                   "sets stopped at them)")})
        if cert.get("note"):
            rows.append({"": "note", "value": cert["note"]})
        return [(f"Certificate of the {cert['algorithm']} pick: it reaches at least "
                 f"{cert['approximation']:.3f} of the best possible spread", pd.DataFrame(rows))]


def promoters(graph: FriendGraph, k: int, *, method: str = "opim", model: str = "ic",
              p="weighted-cascade", eps: float = 0.5, ell: float = 1.0, seed: int = 0,
              allowed: np.ndarray | None = None, current: list[str] | None = None,
              check_runs: int = 1000, max_bytes: float | None = None, weights=None,
              probability_label: str | None = None, progress=None,
              celf_runs: int = 200, best_of: bool = True,
              hist: bool | None = None) -> PromoterResult:
    """Pick ``k`` promoters by ``method`` and check every seed set by forward simulation.

    With ``best_of`` (the default) and an algorithm (opim, imm, celf), a heuristic baseline
    (degree, PageRank) that reaches clearly further than the pick -- by more than 1.96
    standard errors of the difference -- is returned instead; ``winner`` and ``reason`` say
    so, the pick moves into the baselines, and the certificate stays the pick's."""
    progress = progress or _progress.sink()
    w = weights if weights is not None else edge_probabilities(graph, p, model)
    details: dict = {}
    if method in ("opim", "imm"):
        extra = {"hist": hist} if method == "opim" else {}
        out = (opim if method == "opim" else imm)(
            graph, k, model=model, eps=eps, ell=ell, seed=seed, allowed=allowed,
            max_bytes=max_bytes, weights=w, progress=progress, **extra)
        details = {"rr_sets": out["rr_sets"], "rr_estimate": out["estimate"],
                   "eps": eps, "ell": ell, "certificate": out["certificate"]}
    elif method == "celf":
        out = celf(graph, k, model=model, runs=celf_runs, seed=seed, allowed=allowed,
                   weights=w)
    elif method == "degree":
        out = {"seeds": top_degree(graph, k, allowed)}
    elif method == "pagerank":
        out = {"seeds": top_pagerank(graph, k, allowed)}
    else:
        raise InputError(f"unknown {{method}} {method!r}", field="method")
    chosen = np.asarray(out["seeds"], dtype=np.int64)
    rr_gains = out.get("rr_gains")
    check_seed = seed + 7_777_777  # independent of the streams used to choose
    heuristics = [name for name in ("degree", "pagerank") if name != method]
    checks = {"done": 0, "total": 1 + bool(current) + len(heuristics)}

    def forward(pos, stage="forward checks"):
        s = forward_spreads(graph, pos, w[0], model, check_runs, check_seed)[0]
        if progress and stage:
            checks["done"] += 1
            progress(stage, checks["done"], checks["total"])
        return float(s.mean()), float(s.std(ddof=1) / math.sqrt(check_runs))

    def prefix_gains(pos):  # marginal gains by forward simulation of each prefix
        prefix = []
        for i in range(len(pos)):
            prefix.append(forward(pos[: i + 1], stage=None)[0])
            if progress:
                progress("prefix gains", i + 1, len(pos))
        return np.diff(np.concatenate([[0.0], prefix]))

    def entry(name, pos, m, s):
        return {"name": name, "size": len(pos), "spread": m, "spread_stderr": s,
                "seeds": [str(x) for x in graph.user_ids[pos]]}

    spread, stderr = forward(chosen)
    baselines = []
    if current:
        pos = graph.positions(current)
        baselines.append(entry("current promoters", pos, *forward(pos)))
    tried = []
    for name in heuristics:
        pos = (top_degree if name == "degree" else top_pagerank)(graph, len(chosen), allowed)
        tried.append((name, pos, *forward(pos)))
    z = 1.959963984540054
    clear = [t for t in tried if len(t[1]) == len(chosen)
             and t[2] - spread > z * math.hypot(t[3], stderr)]
    winner, reason = method, _kept_reason(method, tried, spread, stderr, best_of)
    if best_of and clear and method in ("opim", "imm", "celf"):
        name, pos, m, s = max(clear, key=lambda t: t[2])
        reason = (f"{name} reaches {m:,.1f} users against {spread:,.1f} for the {method} "
                  f"pick, clearly further (difference {m - spread:,.1f} ± "
                  f"{z * math.hypot(s, stderr):.2g}), so its seeds are returned; the "
                  f"certificate is the {method} pick's")
        baselines.append(entry(method, chosen, spread, stderr))
        tried = [t for t in tried if t[0] != name]
        winner, chosen, spread, stderr = name, pos, m, s
        gains, gains_from = ((rr_gains(chosen), "rr sets") if rr_gains is not None
                             else (prefix_gains(chosen), "forward runs"))
    elif out.get("gains") is not None:
        gains, gains_from = out["gains"], "rr sets" if rr_gains is not None else "celf runs"
    else:
        gains, gains_from = prefix_gains(chosen), "forward runs"
    baselines += [entry(name, pos, m, s) for name, pos, m, s in tried]
    details = {**details, "winner": winner, "reason": reason, "gains_from": gains_from}
    return PromoterResult(method, model, probability_label or str(p), len(chosen),
                          [str(x) for x in graph.user_ids[chosen]],
                          [float(g) for g in gains], spread, stderr, check_runs, baselines,
                          details)


def _kept_reason(method: str, tried: list, spread: float, stderr: float,
                 best_of: bool) -> str:
    if method not in ("opim", "imm", "celf"):
        return f"{method} was asked for; the other heuristic is a baseline only"
    if not best_of:
        return f"the {method} pick, as asked: baselines are compared, never swapped in"
    if not tried:
        return f"the {method} pick: no baseline was tried"
    return (f"the {method} pick: no baseline reaches clearly further (by more than 1.96 "
            f"standard errors of the difference)")


# --------------------------------------------------------------------------- exact


def exact_ic_spread(n: int, arcs: list[tuple[int, int, float]], seeds) -> float:
    """Expected IC spread by enumerating every live-arc world (tiny graphs only)."""
    m = len(arcs)
    if m > 22:
        raise ValueError("too many arcs to enumerate")
    total = 0.0
    for world in range(1 << m):
        prob = 1.0
        adj: list[list[int]] = [[] for _ in range(n)]
        for i, (u, v, p) in enumerate(arcs):
            if world >> i & 1:
                prob *= p
                adj[u].append(v)
            else:
                prob *= 1 - p
        if prob == 0.0:
            continue
        seen = set(seeds)
        stack = list(seeds)
        while stack:
            u = stack.pop()
            for v in adj[u]:
                if v not in seen:
                    seen.add(v)
                    stack.append(v)
        total += prob * len(seen)
    return total
