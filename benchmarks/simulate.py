"""IC Monte Carlo, side by side: diffusion against cynetdiff (same graph) and NDlib
(on a smaller graph: it is far slower), p = 0.01, 50 random seeds.

    python benchmarks/simulate.py --users 1000000 --friendships 10000000 \
        --ndlib-users 200000 --ndlib-friendships 2000000 --runs 3

Prints runs per second (median of --runs timings) and the mean spreads, which
must agree within their standard errors.
"""

from __future__ import annotations

import argparse
import array
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from common import machine, random_graph


def ours(graph, seeds, p, runs, reps):
    from analyzer.simulate import simulate

    simulate(graph, seeds, p=p, runs=16, seed=0)  # compile
    times, result = [], None
    for i in range(reps):
        t = time.perf_counter()
        result = simulate(graph, seeds, p=p, runs=runs, seed=i)
        times.append(time.perf_counter() - t)
    return statistics.median(times), result.mean, result.stderr


def cynetdiff_runs(graph, seeds, p, runs, reps):
    from cynetdiff.models import IndependentCascadeModel

    starts = array.array("I")
    starts.frombytes(graph.indptr[:-1].astype(np.uint32).tobytes())
    edges = array.array("I")
    edges.frombytes(graph.indices.astype(np.uint32).tobytes())
    model = IndependentCascadeModel(starts, edges, activation_prob=p)
    model.set_seeds([int(s) for s in seeds])
    times, spreads = [], []
    for _ in range(reps):
        t = time.perf_counter()
        for _ in range(runs):
            model.reset_model()
            model.advance_until_completion()
            spreads.append(model.get_num_activated_nodes())
        times.append(time.perf_counter() - t)
    s = np.asarray(spreads, dtype=float)
    return statistics.median(times), s.mean(), s.std(ddof=1) / math.sqrt(len(s))


def ndlib_runs(a, b, users, seeds, p, reps):
    import networkx as nx
    import ndlib.models.ModelConfig as mc
    from ndlib.models.epidemics import IndependentCascadesModel

    g = nx.Graph()
    g.add_nodes_from(range(users))
    g.add_edges_from(zip(a.tolist(), b.tolist()))
    model = IndependentCascadesModel(g, seed=1)
    cfg = mc.Configuration()
    cfg.add_model_initial_configuration("Infected", [int(s) for s in seeds])
    for e in g.edges():
        cfg.add_edge_configuration("threshold", e, p)
    model.set_initial_status(cfg)  # configured once; each timed run resets and iterates
    times, spreads = [], []
    for _ in range(reps):
        t = time.perf_counter()
        model.reset()
        its = model.iteration_bunch(100, progress_bar=False)
        times.append(time.perf_counter() - t)
        spreads.append(its[-1]["node_count"][1] + its[-1]["node_count"][2])
    return statistics.median(times), float(np.mean(spreads))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--friendships", type=int, default=10_000_000)
    ap.add_argument("--ndlib-users", type=int, default=200_000)
    ap.add_argument("--ndlib-friendships", type=int, default=2_000_000)
    ap.add_argument("--p", type=float, default=0.01)
    ap.add_argument("--seeds", type=int, default=50)
    ap.add_argument("--mc-runs", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-ndlib", action="store_true")
    args = ap.parse_args()
    print(f"machine: {machine()}")

    graph, _, _ = random_graph(args.users, args.friendships, 1)
    seeds = np.random.default_rng(5).choice(args.users, args.seeds, replace=False)
    print(f"graph: {args.users:,} users, {args.friendships:,} friendships (uniform random); "
          f"IC p = {args.p}, {args.seeds} seeds, {args.mc_runs:,} runs per timing, median "
          f"of {args.runs}")
    t_ours, m_ours, se_ours = ours(graph, seeds, args.p, args.mc_runs, args.runs)
    t_cy, m_cy, se_cy = cynetdiff_runs(graph, seeds, args.p, args.mc_runs, args.runs)
    print(f"  diffusion : {args.mc_runs / t_ours:10,.0f} runs/s  mean spread {m_ours:.3f} "
          f"± {se_ours:.3f}")
    print(f"  cynetdiff : {args.mc_runs / t_cy:10,.0f} runs/s  mean spread {m_cy:.3f} "
          f"± {se_cy:.3f}")
    print(f"  ratio diffusion / cynetdiff: {t_cy / t_ours:.2f}x; means differ by "
          f"{abs(m_ours - m_cy) / math.hypot(se_ours, se_cy):.1f} standard errors")

    if not args.skip_ndlib:
        small, a, b = random_graph(args.ndlib_users, args.ndlib_friendships, 2)
        s_seeds = np.random.default_rng(6).choice(args.ndlib_users, args.seeds, replace=False)
        t_small, m_small, se_small = ours(small, s_seeds, args.p, args.mc_runs, args.runs)
        t_nd, m_nd = ndlib_runs(a, b, args.ndlib_users, s_seeds, args.p, args.runs)
        print(f"graph: {args.ndlib_users:,} users, {args.ndlib_friendships:,} friendships")
        print(f"  diffusion : {args.mc_runs / t_small:10,.0f} runs/s  mean spread "
              f"{m_small:.3f} ± {se_small:.3f}")
        print(f"  NDlib     : {1 / t_nd:10,.2f} runs/s  ({t_nd:.2f} s per run; spreads "
              f"{m_nd:.1f})")
        print(f"  ratio diffusion / NDlib: {(args.mc_runs / t_small) * t_nd:,.0f}x")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
