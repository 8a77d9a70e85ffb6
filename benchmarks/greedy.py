"""IMM's greedy max coverage: the lazy max-heap against the scan of every user per pick
that it replaced, on the same RR sets, in one process.

    python benchmarks/greedy.py --users 200000 --friendships 2000000 --k 100,1000,20000 \
        --sets 2000000 --runs 3

The scan is kept here only as the peer: it is the pick loop the project used before (the
inverted index both build is the project's own ``coverage_index``), and it picks exactly
the same seeds (tests/test_simulate.py checks that on random sets).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from numba import njit

from analyzer import simulate as S
from common import machine, random_graph


@njit(cache=True)
def _scan_greedy(rr_indptr, rr_nodes, single, k, allowed, inv):
    n = single.shape[0]
    theta = rr_indptr.shape[0] - 1
    counts, inv_ptr = S.coverage_index(rr_indptr, rr_nodes, single, inv)
    covered = np.zeros(theta, dtype=np.bool_)
    chosen = np.full(k, -1, dtype=np.int64)
    gains = np.zeros(k, dtype=np.int64)
    for j in range(k):
        best = -1
        best_count = -1
        for v in range(n):
            if allowed[v] and counts[v] > best_count:
                best = v
                best_count = counts[v]
        if best < 0:
            break
        chosen[j] = best
        gains[j] = best_count
        allowed[best] = False
        S.cover(best, inv_ptr, inv, covered, rr_indptr, rr_nodes, counts)
    return chosen, gains


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--users", type=int, default=200_000)
    ap.add_argument("--friendships", type=int, default=2_000_000)
    ap.add_argument("--sets", type=int, default=2_000_000, help="RR sets to draw")
    ap.add_argument("--k", default="100,1000,20000")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    graph = random_graph(args.users, args.friendships, seed=1)[0]
    forward, reverse = S.edge_probabilities(graph, "weighted-cascade", "ic")
    rr = S._RRCollection(graph, reverse, S._model_code("ic"), 3, float("inf"))
    rr.extend_to(args.sets)
    indptr, nodes = rr.arrays()
    allowed = np.ones(graph.n_users, dtype=bool)
    print(machine())
    print(f"graph: {graph.n_users:,} users, {len(graph.indices) // 2:,} friendships; "
          f"{rr.count:,} RR sets ({len(indptr) - 1:,} of two or more users, "
          f"{len(nodes):,} nodes), IC weighted cascade")
    def heap_greedy(*args):
        return S._greedy_cover(*args, False)[:2]

    for fn in (heap_greedy, _scan_greedy):  # compile both first
        fn(indptr, nodes, rr.single, 2, allowed.copy(), np.empty(len(nodes), np.int32))
    print(f"{'k':>8} {'heap s':>9} {'scan s':>9} {'scan/heap':>10}  same picks")
    for k in (int(x) for x in args.k.split(",")):
        times = {"heap": [], "scan": []}
        picks = {}
        for _ in range(args.runs):
            for name, fn in (("heap", heap_greedy), ("scan", _scan_greedy)):
                inv = np.empty(len(nodes), np.int32)
                t = time.perf_counter()
                chosen, _gains = fn(indptr, nodes, rr.single, k, allowed.copy(), inv)
                times[name].append(time.perf_counter() - t)
                picks[name] = chosen
        heap, scan = statistics.median(times["heap"]), statistics.median(times["scan"])
        same = bool((picks["heap"] == picks["scan"]).all())
        print(f"{k:>8,} {heap:>9.3f} {scan:>9.3f} {scan / heap:>10.1f}  {same}")


if __name__ == "__main__":
    main()
