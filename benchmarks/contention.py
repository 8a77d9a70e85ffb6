"""Six-degree reach while another process keeps one core busy: the in-memory kernel on
2 threads and on 1, quiet and under load, with OpenMP's default wait policy and with
the one diffusion sets (``OMP_WAIT_POLICY=PASSIVE``, see ``analyzer/kernels.py``).

Each configuration runs in a fresh process (OpenMP reads its settings once, when it
starts); the busy process is a Python loop started before the timed runs and stopped
after them. Every configuration's per-hop list is checked equal.

    python benchmarks/contention.py --users 1000000 --friendships 10000000 --runs 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from common import machine, random_friendships, run_child

HERE = Path(__file__).resolve().parent

CHILD = """
import json, sys, time
sys.path.insert(0, {bench!r})
import numpy as np
from analyzer.graph import csr_from_pairs
from analyzer.kernels import bfs_distances, level_counts
import numba
numba.set_num_threads({threads})
pairs = np.load({pairs!r})
indptr, indices = csr_from_pairs({users}, pairs["a"], pairs["b"])
seeds = np.random.default_rng(3).choice({users}, 100, replace=False).astype(np.int64)
bfs_distances(indptr, indices, seeds, 6)  # compiled and warm
times = []
for _ in range({runs}):
    t = time.perf_counter()
    hops = level_counts(bfs_distances(indptr, indices, seeds, 6), 6)
    times.append(time.perf_counter() - t)
print(json.dumps({{"times": times, "per_hop": hops.tolist(),
                  "layer": numba.threading_layer()}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--friendships", type=int, default=10_000_000)
    ap.add_argument("--runs", type=int, default=7)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pairs = Path(tmp) / "pairs.npz"
        lo, hi = random_friendships(a.users, a.friendships)
        np.savez(pairs, a=lo, b=hi)
        # "" leaves OpenMP at its own default (an unknown value is ignored); None keeps
        # what analyzer sets on import
        configs = [("2 threads, OpenMP default wait", 2, ""),
                   ("2 threads, PASSIVE (diffusion's)", 2, None),
                   ("1 thread", 1, None)]
        results: dict[tuple[str, bool], list[float]] = {}
        hops = set()
        for busy in (False, True):
            loop = (subprocess.Popen([sys.executable, "-c", "while True: pass"])
                    if busy else None)
            try:
                for name, threads, policy in configs:
                    env = dict(os.environ)
                    env.pop("OMP_WAIT_POLICY", None)
                    if policy is not None:
                        env["OMP_WAIT_POLICY"] = policy
                    got = run_child(CHILD.format(bench=str(HERE), threads=threads,
                                                 pairs=str(pairs), users=a.users,
                                                 runs=a.runs), env=env)
                    results[(name, busy)] = got["times"]
                    hops.add(tuple(got["per_hop"]))
            finally:
                if loop is not None:
                    loop.kill()
                    loop.wait()
    assert len(hops) == 1, hops
    print(machine())
    print(f"graph: {a.users:,} users, {a.friendships:,} friendships (uniform random); "
          f"100 seeds, 6 hops; median of {a.runs} runs; threading layer {got['layer']}")
    one_busy = statistics.median(results[("1 thread", True)])
    for busy in (False, True):
        print("another process busy on one core" if busy else "quiet")
        for name, _, _ in configs:
            runs = results[(name, busy)]
            med = statistics.median(runs)
            print(f"  {name:<34} {med * 1000:8.1f} ms  (1 thread busy / this "
                  f"{one_busy / med:4.2f}x)  runs {', '.join(f'{t * 1000:.0f}' for t in runs)}")


if __name__ == "__main__":
    main()
