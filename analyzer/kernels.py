"""Compiled hot loops. Arrays in, arrays out, no I/O. numba ``njit`` with ``cache=True``.

The graph is CSR: neighbours of node ``v`` are ``indices[indptr[v]:indptr[v + 1]]``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["bfs_distances", "bfs_arcs", "level_counts", "seed_bitsets", "bit_counts", "distance_histograms",
           "same_keys", "csr_arcs", "seed_major", "pair_overlaps"]


@njit(inline="always")
def _expand(indptr, indices, dist, frontier, lo, hi, out, w, hop):
    """Unvisited neighbours of ``frontier[lo:hi]`` get ``hop`` and go to ``out[w:]``.
    Returns the new end of ``out`` and the sum of the added nodes' degrees."""
    edges = 0
    for k in range(lo, hi):
        v = frontier[k]
        for e in range(indptr[v], indptr[v + 1]):
            u = indices[e]
            if dist[u] < 0:
                dist[u] = hop
                out[w] = u
                w += 1
                edges += indptr[u + 1] - indptr[u]
    return w, edges


@njit(cache=True)
def _top_down_step(indptr, indices, dist, frontier, size, nxt, hop):
    """Expand ``frontier[:size]`` by one level: unvisited neighbours get ``hop`` and go to
    ``nxt``. Returns how many were added and the sum of their degrees."""
    return _expand(indptr, indices, dist, frontier, 0, size, nxt, 0, hop)


@njit(cache=True, parallel=True)
def _top_down_parallel(indptr, indices, dist, frontier, size, nxt, hop, chunks, scratch):
    """``_top_down_step`` split over ``chunks`` slices of the frontier. Two threads can both
    see a node unvisited and both list it: its distance is the same either way, and the
    next level only expands it twice. So ``dist`` does not depend on the threads; the
    returned count and degree sum (used only to choose a direction) may. ``scratch``
    holds at least the frontier's degree sum; ``nxt`` as much."""
    step = (size + chunks - 1) // chunks
    start = np.zeros(chunks + 1, dtype=np.int64)
    for c in range(chunks):
        s = 0
        for k in range(c * step, min(size, (c + 1) * step)):
            v = frontier[k]
            s += indptr[v + 1] - indptr[v]
        start[c + 1] = start[c] + s
    found = np.zeros(chunks + 1, dtype=np.int64)
    edges = np.zeros(chunks, dtype=np.int64)
    for c in prange(chunks):
        w, ed = _expand(indptr, indices, dist, frontier, c * step, min(size, (c + 1) * step),
                        scratch, start[c], hop)
        found[c + 1] = w - start[c]
        edges[c] = ed
    for c in range(chunks):
        found[c + 1] += found[c]
    for c in prange(chunks):
        o = found[c]
        for i in range(start[c], start[c] + found[c + 1] - found[c]):
            nxt[o] = scratch[i]
            o += 1
    return found[chunks], edges.sum()


@njit(cache=True, parallel=True)
def _bottom_up_step(indptr, in_indptr, in_indices, dist, hop, chunks):
    """Every unvisited node looks for an in-neighbour (a node with an arc to it) at
    ``hop - 1`` and stops at the first. Nodes are split into ``chunks`` slices; a node only
    ever changes from -1 to ``hop``, which no check for ``hop - 1`` can see, so the threads
    cannot change each other's answers. Returns how many were added and the sum of their
    out-degrees (``indptr``), which the next level expands."""
    n = in_indptr.shape[0] - 1
    prev = hop - 1
    step = (n + chunks - 1) // chunks
    found = np.zeros(chunks, dtype=np.int64)
    edges = np.zeros(chunks, dtype=np.int64)
    for c in prange(chunks):
        f = 0
        ed = 0
        for v in range(c * step, min(n, (c + 1) * step)):
            if dist[v] >= 0:
                continue
            for e in range(in_indptr[v], in_indptr[v + 1]):
                if dist[in_indices[e]] == prev:
                    dist[v] = hop
                    f += 1
                    ed += indptr[v + 1] - indptr[v]
                    break
        found[c] = f
        edges[c] = ed
    return found.sum(), edges.sum()


@njit(cache=True, parallel=True)
def _collect(dist, hop, out, chunks):
    """The nodes at distance ``hop``, in node order, into ``out``; returns their count."""
    n = dist.shape[0]
    step = (n + chunks - 1) // chunks
    counts = np.zeros(chunks + 1, dtype=np.int64)
    for c in prange(chunks):
        k = 0
        for v in range(c * step, min(n, (c + 1) * step)):
            if dist[v] == hop:
                k += 1
        counts[c + 1] = k
    for c in range(chunks):
        counts[c + 1] += counts[c]
    for c in prange(chunks):
        k = counts[c]
        for v in range(c * step, min(n, (c + 1) * step)):
            if dist[v] == hop:
                out[k] = v
                k += 1
    return counts[chunks]


#: slices per parallel BFS step (more than threads, for balance); below this frontier
#: degree sum a top-down step runs on one thread
BFS_CHUNKS, BFS_PARALLEL_EDGES = 16, 100_000


@njit(cache=True)
def bfs_distances(indptr, indices, seeds, max_hops):
    """See ``bfs_levels``, on a symmetric graph (every arc's reverse is an arc too); the
    chunking and the parallel threshold are the defaults."""
    return bfs_levels(indptr, indices, indptr, indices, seeds, max_hops, BFS_CHUNKS,
                      BFS_PARALLEL_EDGES)


@njit(cache=True)
def bfs_arcs(indptr, indices, in_indptr, in_indices, seeds, max_hops):
    """See ``bfs_levels``, on any directed graph: ``in_indptr``/``in_indices`` list each
    node's incoming arcs (the same arrays as the outgoing ones when symmetric)."""
    return bfs_levels(indptr, indices, in_indptr, in_indices, seeds, max_hops, BFS_CHUNKS,
                      BFS_PARALLEL_EDGES)


@njit(cache=True)
def bfs_levels(indptr, indices, in_indptr, in_indices, seeds, max_hops, chunks,
               parallel_edges):
    """Multi-source BFS along arcs (``indptr``/``indices``: each node's outgoing arcs;
    ``in_indptr``/``in_indices``: its incoming ones). Returns int8 distances from the
    nearest seed; -1 where > max_hops (at most 127).

    Hop 0 is the seed set itself. One traversal for the whole seed set,
    direction-optimizing (Beamer et al., SC 2012): a level is expanded top-down
    from the frontier along outgoing arcs while the frontier is small, and bottom-up
    (each unvisited node looks along its incoming arcs for a node on the previous level
    and stops at the first)
    while it is large. Both directions assign the same levels. Large levels run
    on all threads; the distances do not depend on how many.
    """
    n = indptr.shape[0] - 1
    dist = np.full(n, -1, dtype=np.int8)
    frontier = np.empty(n, dtype=np.int32)
    nxt = np.empty(n, dtype=np.int32)
    scratch = np.empty(0, dtype=np.int32)
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
    listed = True  # frontier[:size] lists the current level (a bottom-up step does not)
    while size > 0 and hop < min(max_hops, 127):
        hop += 1
        if frontier_edges * 14 > unexplored_edges:
            nsize, next_edges = _bottom_up_step(indptr, in_indptr, in_indices, dist, hop,
                                                 chunks)
            listed = False
        else:
            if not listed:
                size = _collect(dist, hop - 1, frontier, chunks)
            if frontier_edges < parallel_edges:
                nsize, next_edges = _top_down_step(indptr, indices, dist, frontier, size,
                                                   nxt, hop)
            else:
                if scratch.shape[0] < frontier_edges:
                    scratch = np.empty(frontier_edges, dtype=np.int32)
                if nxt.shape[0] < frontier_edges:
                    nxt = np.empty(frontier_edges, dtype=np.int32)
                nsize, next_edges = _top_down_parallel(indptr, indices, dist, frontier, size,
                                                       nxt, hop, chunks, scratch)
            frontier, nxt = nxt, frontier
            listed = True
        size = nsize
        frontier_edges = next_edges
        unexplored_edges -= next_edges
    return dist


@njit(cache=True, parallel=True)
def level_counts(dist, max_hops):
    """How many nodes lie at each distance 0..max_hops (``dist`` from ``bfs_distances``)."""
    n = dist.shape[0]
    chunks = BFS_CHUNKS
    step = (n + chunks - 1) // chunks
    part = np.zeros((chunks, max_hops + 1), dtype=np.int64)
    for c in prange(chunks):
        for v in range(c * step, min(n, (c + 1) * step)):
            d = dist[v]
            if 0 <= d <= max_hops:
                part[c, d] += 1
    out = np.zeros(max_hops + 1, dtype=np.int64)
    for c in range(chunks):
        out += part[c]
    return out


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
    one = np.uint64(1)
    for v in range(n):
        c = 0
        for w in range(words):
            x = reached[v, w]
            b = 0
            while x:  # the word's bits, lowest first: one step per bit position
                if x & one:
                    j = w * 64 + b
                    per_seed[j] += 1
                    if c == 0:
                        owner[v] = j
                    c += 1
                x >>= one
                b += 1
        carried[v] = min(c, 2)
    return per_seed, carried, owner


@njit(cache=True)
def seed_major(reached, out, offset):
    """Copy the node-major bitsets of one sweep (``reached[n, W]``, bit ``j`` of word
    ``w``: seed ``64*w + j`` reaches the node) into rows ``offset..`` of ``out[S, ceil(n/64)]``,
    seed-major: bit ``v % 64`` of word ``v // 64`` of a seed's row is set when it reaches
    node ``v``."""
    n, words = reached.shape
    one = np.uint64(1)
    for v in range(n):
        mark = one << np.uint64(v & 63)
        at = v >> 6
        for w in range(words):
            x = reached[v, w]
            b = 0
            while x:
                if x & one:
                    out[offset + w * 64 + b, at] |= mark
                x >>= one
                b += 1


@njit(cache=True, inline="always")
def _popcount(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.int64((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@njit(cache=True, parallel=True)
def pair_overlaps(rows):
    """``shared[a, b]`` for ``a < b``: how many nodes both seeds reach, from seed-major
    bitsets (:func:`seed_major`); zero on and below the diagonal."""
    seeds, words = rows.shape
    shared = np.zeros((seeds, seeds), dtype=np.int64)
    for a in prange(seeds):
        for b in range(a + 1, seeds):
            c = 0
            for w in range(words):
                c += _popcount(rows[a, w] & rows[b, w])
            shared[a, b] = c
    return shared


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


@njit(cache=True, inline="always")
def _mix(h, v):
    h = (h ^ np.uint64(v)) * np.uint64(1099511628211)
    return h ^ (h >> np.uint64(29))


@njit(cache=True, inline="always")
def _key_pair(k0, k1, nk, undirected, i):
    a = np.int64(k0[i])
    b = np.int64(k1[i]) if nk > 1 else np.int64(0)
    if undirected and b < a:
        return b, a
    return a, b


@njit(cache=True)
def _key_hash(k0, k1, k2, k3, k4, nk, undirected, i, hash_mask):
    a, b = _key_pair(k0, k1, nk, undirected, i)
    h = _mix(np.uint64(1469598103934665603), a)
    if nk > 1:
        h = _mix(h, b)
    if nk > 2:
        h = _mix(h, np.int64(k2[i]))
    if nk > 3:
        h = _mix(h, np.int64(k3[i]))
    if nk > 4:
        h = _mix(h, np.int64(k4[i]))
    return h & hash_mask


@njit(cache=True)
def _same_key(k0, k1, k2, k3, k4, nk, undirected, i, j):
    a, b = _key_pair(k0, k1, nk, undirected, i)
    c, d = _key_pair(k0, k1, nk, undirected, j)
    if a != c or b != d:
        return False
    if nk > 2 and k2[i] != k2[j]:
        return False
    if nk > 3 and k3[i] != k3[j]:
        return False
    return not (nk > 4 and k4[i] != k4[j])


@njit(cache=True)
def _same_keys_in_part(k0, k1, k2, k3, k4, nk, undirected, hash_mask, part, p, size_p,
                       rows, firsts):
    """For the rows of one part (hash % parts == p, ``size_p`` of them): each row whose
    key an earlier row has, and the first such row. Fills ``rows``/``firsts`` from the
    front and returns how many it found."""
    n = k0.shape[0]
    size = 1
    while size < 2 * size_p + 2:
        size *= 2
    mask = np.int64(size - 1)
    slots = np.full(size, -1, dtype=np.int32)  # row numbers: a table has < 2**31 rows
    found = 0
    for i in range(n):
        if part[i] != p:
            continue
        h = _key_hash(k0, k1, k2, k3, k4, nk, undirected, i, hash_mask)
        s = np.int64(h >> np.uint64(8)) & mask
        while True:
            j = slots[s]
            if j < 0:
                slots[s] = np.int32(i)
                break
            if _same_key(k0, k1, k2, k3, k4, nk, undirected, i, j):
                rows[found] = i  # the slot holds the key's first row: rows come in order
                firsts[found] = j
                found += 1
                break
            s = (s + 1) & mask
    return found


@njit(cache=True, parallel=True)
def same_keys(k0, k1, k2, k3, k4, nk, undirected, hash_mask):
    """Rows whose key (the first ``nk`` of ``k0..k4``; ``k0, k1`` taken in either order
    when ``undirected``) an earlier row has, and the first row with that key:
    ``(rows, firsts)``, ascending in ``rows``. Keys are compared exactly; the hash (cut
    to ``hash_mask``) only places rows. Rows are split by hash into four parts, one
    open-addressing table each, in parallel; no array of 64-bit hashes or of combined keys is
    built, and the answer does not depend on the number of threads."""
    parts = 4
    n = k0.shape[0]
    sizes = np.zeros(parts, dtype=np.int64)
    part = np.empty(n, dtype=np.uint8)  # one byte a row, so each part hashes its rows only
    for i in range(n):
        q = np.uint8(_key_hash(k0, k1, k2, k3, k4, nk, undirected, i, hash_mask)
                     % np.uint64(parts))
        part[i] = q
        sizes[q] += 1
    # a part finds at most as many rows as it has: its slice of the buffers (pages that
    # are never written cost no memory)
    bounds = np.zeros(parts + 1, dtype=np.int64)
    for p in range(parts):
        bounds[p + 1] = bounds[p] + sizes[p]
    buf_rows = np.empty(n, dtype=np.int32)
    buf_firsts = np.empty(n, dtype=np.int32)
    counts = np.zeros(parts, dtype=np.int64)
    for p in prange(parts):
        counts[p] = _same_keys_in_part(k0, k1, k2, k3, k4, nk, undirected, hash_mask, part,
                                       p, sizes[p], buf_rows[bounds[p]:bounds[p + 1]],
                                       buf_firsts[bounds[p]:bounds[p + 1]])
    total = 0
    for p in range(parts):
        total += counts[p]
    out_rows = np.empty(total, dtype=np.int64)
    out_firsts = np.empty(total, dtype=np.int64)
    at = 0
    for p in range(parts):
        c = counts[p]
        out_rows[at:at + c] = buf_rows[bounds[p]:bounds[p] + c]
        out_firsts[at:at + c] = buf_firsts[bounds[p]:bounds[p] + c]
        at += c
    order = np.argsort(out_rows)
    return out_rows[order], out_firsts[order]


@njit(cache=True)
def _place(src, dst, indices, fill):
    for i in range(src.shape[0]):  # in order: stable within a row
        s = src[i]
        indices[fill[s]] = dst[i]
        fill[s] += 1


@njit(cache=True, parallel=True)
def _sort_rows(indptr, indices):
    for v in prange(indptr.shape[0] - 1):
        lo, hi = indptr[v], indptr[v + 1]
        if hi - lo > 1:
            indices[lo:hi] = np.sort(indices[lo:hi])


@njit(cache=True)
def _row_starts(n, src, both, dst):
    indptr = np.zeros(n + 1, dtype=np.int64)
    for i in range(src.shape[0]):
        indptr[src[i] + 1] += 1
    if both:
        for i in range(dst.shape[0]):
            indptr[dst[i] + 1] += 1
    for v in range(n):
        indptr[v + 1] += indptr[v]
    return indptr


def csr_arcs(n, src, dst, ascending, both=False):
    """CSR arrays (int64 indptr, int32 indices) of the arcs ``src[i] -> dst[i]`` on nodes
    0..n-1 (with ``both``, also every ``dst[i] -> src[i]``, listed after them): a counting
    sort by source, so each node's arcs stay in the order listed, then, with
    ``ascending``, each node's row sorted (the arrays then depend only on the set of
    arcs). Linear in the arcs, where a global argsort of the (src, dst) keys is not."""
    indptr = _row_starts(n, src, both, dst)
    indices = np.empty(int(indptr[n]), dtype=np.int32)
    fill = indptr[:n].copy()
    _place(src, dst, indices, fill)
    if both:
        _place(dst, src, indices, fill)
    if ascending:
        _sort_rows(indptr, indices)
    return indptr, indices
