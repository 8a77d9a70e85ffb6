"""IMM promoter selection: time and peak memory on a synthetic 1M/10M graph (IC, p = 0.01,
k = 50, eps = 0.5), and on NetHEPT with weighted-cascade probabilities.

    python benchmarks/promoters.py --users 1000000 --friendships 10000000 --runs 3 \
        --nethept ../shared/data/snap/NetHEPT.txt

Each IMM run is a child process, so its peak memory (VmHWM) is its own.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from common import machine, run_child

CHILD = r"""
import json, sys, time
sys.path.insert(0, {bench!r})
import numpy as np, pandas as pd
from analyzer.graph import FriendGraph, csr_from_pairs
from analyzer import simulate as S
from common import random_graph, peak_rss_mib
if {nethept!r}:
    from analyzer.importers import import_edgelist
    import tempfile
    from analyzer.snapshot import read_snapshot
    from analyzer.graph import project_snapshot
    with tempfile.TemporaryDirectory() as tmp:
        import_edgelist([__import__("pathlib").Path({nethept!r})], __import__("pathlib").Path(tmp) / "n")
        graph = project_snapshot(read_snapshot(__import__("pathlib").Path(tmp) / "n"))
    p = "weighted-cascade"
else:
    graph = random_graph({users}, {friendships}, seed=1)[0]
    p = {p}
S.imm(FriendGraph(pd.RangeIndex(40), *csr_from_pairs(40, np.arange(39), np.arange(1, 40))), 2)
t = time.perf_counter()
out = S.imm(graph, {k}, p=p, eps={eps}, seed={seed})
elapsed = time.perf_counter() - t
check = S.simulate(graph, graph.user_ids[out["seeds"]], p=p, runs=1000, seed=99)
print(json.dumps({{"seconds": elapsed, "rr_sets": out["rr_sets"], "estimate": out["estimate"],
                  "spread": check.mean, "stderr": check.stderr, "peak_mib": peak_rss_mib(),
                  "users": graph.n_users, "friendships": graph.n_friendships}}))
"""


def run(bench: Path, **kw) -> dict:
    code = CHILD.format(bench=str(bench), **kw)
    return run_child(code)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--friendships", type=int, default=10_000_000)
    ap.add_argument("--p", type=float, default=0.01)
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--eps", type=float, default=0.5)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--nethept", type=Path)
    args = ap.parse_args()
    bench = Path(__file__).resolve().parent
    print(f"machine: {machine()}")
    common = dict(users=args.users, friendships=args.friendships, p=args.p, k=args.k,
                  eps=args.eps)
    results = [run(bench, nethept="", seed=i, **common) for i in range(args.runs)]
    report(results, f"IC p = {args.p}, k = {args.k}, eps = {args.eps}")
    if args.nethept and args.nethept.exists():
        results = [run(bench, nethept=str(args.nethept), seed=i, **common)
                   for i in range(args.runs)]
        report(results, f"NetHEPT, weighted cascade, k = {args.k}, eps = {args.eps}")


def report(results: list[dict], what: str) -> None:
    times = [r["seconds"] for r in results]
    r = results[0]
    print(f"IMM on {r['users']:,} users / {r['friendships']:,} friendships, {what}: median "
          f"{statistics.median(times):.1f} s ({', '.join(f'{t:.1f}' for t in times)}); peak "
          f"{max(x['peak_mib'] for x in results):,.0f} MiB; {r['rr_sets']:,} RR sets; spread "
          f"{r['spread']:.1f} ± {r['stderr']:.1f} forward (RR estimate {r['estimate']:.1f})")

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
