"""Compiled hot loops. Arrays in, arrays out, no I/O. numba ``njit`` with ``cache=True``.

The graph is CSR: neighbours of node ``v`` are ``indices[indptr[v]:indptr[v + 1]]``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["bfs_distances", "seed_bitsets", "bit_counts", "distance_histograms"]


@njit(cache=True)
def _top_down_step(indptr, indices, dist, frontier, size, nxt, hop):
    """Expand ``frontier[:size]`` by one level: unvisited neighbours get ``hop`` and go to
    ``nxt``. Returns how many were added and the sum of their degrees."""
    nsize = 0
    next_edges = 0
    for k in range(size):
        v = frontier[k]
        for e in range(indptr[v], indptr[v + 1]):
            u = indices[e]
            if dist[u] < 0:
                dist[u] = hop
                nxt[nsize] = u
                nsize += 1
                next_edges += indptr[u + 1] - indptr[u]
    return nsize, next_edges


@njit(cache=True)
def bfs_distances(indptr, indices, seeds, max_hops):
    """Multi-source BFS. Returns int16 distances to the nearest seed; -1 where > max_hops.

    Hop 0 is the seed set itself. One traversal for the whole seed set,
    direction-optimizing (Beamer et al., SC 2012): a level is expanded top-down
    from the frontier while the frontier is small, and bottom-up (each unvisited
    node looks for a neighbour on the previous level and stops at the first)
    while it is large. Both directions assign the same levels.
    """
    n = indptr.shape[0] - 1
    dist = np.full(n, -1, dtype=np.int16)
    frontier = np.empty(n, dtype=np.int32)
    nxt = np.empty(n, dtype=np.int32)
    size = 0
    frontier_edges = 0
    for s in seeds:
        if dist[s] < 0:
            dist[s] = 0
            frontier[size] = s
            size += 1
            frontier_edges += indptr[s + 1] - indptr[s]
    unexplored_edges = indptr[n] - frontier_edges
    hop = 0
    while size > 0 and hop < max_hops:
        hop += 1
        nsize = 0
        next_edges = 0
        if frontier_edges * 14 > unexplored_edges:  # bottom-up
            prev = hop - 1
            for v in range(n):
                if dist[v] >= 0:
                    continue
                for e in range(indptr[v], indptr[v + 1]):
                    if dist[indices[e]] == prev:
                        dist[v] = hop
                        nxt[nsize] = v
                        nsize += 1
                        next_edges += indptr[v + 1] - indptr[v]
                        break
        else:
            nsize, next_edges = _top_down_step(indptr, indices, dist, frontier, size, nxt, hop)
        frontier, nxt = nxt, frontier
        size = nsize
        frontier_edges = next_edges
        unexplored_edges -= next_edges
    return dist


@njit(cache=True)
def seed_bitsets(indptr, indices, seeds, max_hops):
    """Bit-parallel BFS from up to 64*W seeds at once.

    Returns ``reached[n, W]`` (uint64): bit ``j`` of node ``v`` is set when
    ``seeds[j]`` is within ``max_hops`` of ``v``. Each level sweeps the nodes
    whose bits changed on the previous level, so the cost is one traversal per
    level for all seeds together, not one traversal per seed.
    """
    n = indptr.shape[0] - 1
    words = (seeds.shape[0] + 63) // 64
    reached = np.zeros((n, words), dtype=np.uint64)
    cur = np.zeros((n, words), dtype=np.uint64)
    nxt = np.zeros((n, words), dtype=np.uint64)
    active = np.zeros(n, dtype=np.bool_)
    for j in range(seeds.shape[0]):
        s = seeds[j]
        bit = np.uint64(1) << np.uint64(j % 64)
        reached[s, j // 64] |= bit
        cur[s, j // 64] |= bit
        active[s] = True
    for _hop in range(max_hops):
        any_new = False
        for v in range(n):
            if not active[v]:
                continue
            for e in range(indptr[v], indptr[v + 1]):
                u = indices[e]
                for w in range(words):
                    nxt[u, w] |= cur[v, w]
        for v in range(n):
            active[v] = False
            for w in range(words):
                new = nxt[v, w] & ~reached[v, w]
                nxt[v, w] = 0
                cur[v, w] = new
                if new:
                    reached[v, w] |= new
                    active[v] = True
                    any_new = True
        if not any_new:
            break
    return reached


@njit(cache=True)
def bit_counts(reached, n_seeds):
    """Per seed: how many nodes carry its bit; per node: how many bits it carries (capped at 2)
    and the lowest seed index among them."""
    n, words = reached.shape
    per_seed = np.zeros(n_seeds, dtype=np.int64)
    carried = np.zeros(n, dtype=np.int8)
    owner = np.full(n, -1, dtype=np.int32)
    for v in range(n):
        c = 0
        for w in range(words):
            x = reached[v, w]
            while x:
                low = x & (~x + np.uint64(1))
                b = 0
                t = low
                while t > np.uint64(1):
                    t >>= np.uint64(1)
                    b += 1
                j = w * 64 + b
                per_seed[j] += 1
                if c == 0:
                    owner[v] = j
                c += 1
                x ^= low
        carried[v] = min(c, 2)
    return per_seed, carried, owner


@njit(cache=True, parallel=True)
def distance_histograms(indptr, indices, sources, max_hops):
    """For each source, how many nodes lie at each distance 0..max_hops (BFS to completion
    or to ``max_hops``). Row ``i`` depends only on ``sources[i]``, so the result does not
    depend on the number of threads."""
    n = indptr.shape[0] - 1
    k = sources.shape[0]
    hist = np.zeros((k, max_hops + 1), dtype=np.int64)
    for i in prange(k):
        dist = np.full(n, -1, dtype=np.int16)
        frontier = np.empty(n, dtype=np.int32)
        nxt = np.empty(n, dtype=np.int32)
        s = sources[i]
        dist[s] = 0
        frontier[0] = s
        size = 1
        hist[i, 0] = 1
        hop = 0
        while size > 0 and hop < max_hops:
            hop += 1
            nsize, _ = _top_down_step(indptr, indices, dist, frontier, size, nxt, hop)
            hist[i, hop] = nsize
            frontier, nxt = nxt, frontier
            size = nsize
    return hist
