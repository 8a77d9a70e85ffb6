"""Six-degree reach: 100 random seeds, 6 hops, per-hop counts, side by side.

Engines: diffusion's in-memory kernel (graph already projected), its bit-parallel
per-seed/unique-reach kernel, diffusion's Cypher engine on Neo4j (same seeds),
networkx ``bfs_layers``, scipy ``csgraph`` (BFS from a virtual super-source) and
igraph (BFS from a virtual super-source). Also times the CSR projection from a
Parquet snapshot and from Neo4j, with the peak memory of each (in a child
process). Every engine's per-hop list is checked equal before timing is kept.

    python benchmarks/reach.py --users 1000000 --friendships 10000000 --runs 5
"""

from __future__ import annotations

import argparse
import shutil
import socket
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from analyzer.graph import FriendGraph
from analyzer.reach import reach_memory, reach_neo4j

from common import machine, random_friendships, run_child, timed, user_ids



def super_source_edges(graph: FriendGraph, seeds: np.ndarray):
    n = graph.n_users
    src = np.repeat(np.arange(n), np.diff(graph.indptr))
    return np.concatenate([src, np.full(len(seeds), n)]), np.concatenate(
        [graph.indices, seeds]), n


def per_hop_from_dist(dist: np.ndarray, hops: int) -> list[int]:
    return np.bincount(dist[(dist >= 0) & (dist <= hops)].astype(int),
                       minlength=hops + 1)[: hops + 1].tolist()


PROJECT_CHILD = """
import sys, time, json
sys.path.insert(0, {bench!r})
t = time.perf_counter()
if {kind!r} == "parquet":
    from analyzer.graph import project_snapshot
    from analyzer.snapshot import read_snapshot
    g = project_snapshot(read_snapshot({path!r}))
else:
    from analyzer.db import Runner, ConnectionSettings
    from analyzer.graph import project_neo4j
    with Runner(ConnectionSettings(uri={path!r})) as r:
        g = project_neo4j(r)
seconds = time.perf_counter() - t
from common import peak_rss_mib
print(json.dumps({{"seconds": seconds, "peak_mib": peak_rss_mib(), "users": g.n_users,
                  "friendships": g.n_friendships}}))
"""


def project_in_child(kind: str, path: str) -> dict:
    return run_child(PROJECT_CHILD.format(bench=str(Path(__file__).parent), kind=kind,
                                          path=path))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--friendships", type=int, default=10_000_000)
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--hops", type=int, default=6)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-neo4j", action="store_true")
    ap.add_argument("--no-networkx", action="store_true")
    args = ap.parse_args()

    print(f"machine: {machine()}")
    ids = user_ids(args.users)
    lo, hi = random_friendships(args.users, args.friendships)
    graph = FriendGraph.from_edges(ids.to_numpy(object), ids.to_numpy(object)[lo],
                                   ids.to_numpy(object)[hi])
    rng = np.random.default_rng(42)
    seed_pos = np.sort(rng.choice(args.users, args.seeds, replace=False))
    seeds = list(graph.user_ids[seed_pos])
    print(f"graph: {graph.n_users:,} users, {graph.n_friendships:,} friendships (uniform random); "
          f"{args.seeds} random seeds, {args.hops} hops; median of {args.runs} runs")

    reach_memory(graph, seeds[:2], 2)  # compile the kernels once, outside the timing
    rows = []
    t_mem, runs_mem, res = timed(lambda: reach_memory(graph, seeds, args.hops, per_seed=False),
                                 args.runs)
    want = res.per_hop
    print(f"per_hop: {want}")
    rows.append(("diffusion memory kernel, per_hop", t_mem, runs_mem))
    t_seed, runs_seed, res_seed = timed(
        lambda: reach_memory(graph, seeds, args.hops, overlap=False), max(1, args.runs // 2))
    assert res_seed.per_hop == want
    rows.append((f"diffusion memory, per_hop + per-seed + unique reach ({args.seeds} seeds)",
                 t_seed, runs_seed))

    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    src, dst, n = super_source_edges(graph, seed_pos)
    mat = sp.csr_matrix((np.ones(len(src), dtype=np.float32), (src, dst)), shape=(n + 1, n + 1))

    def scipy_bfs():
        d = dijkstra(mat, directed=True, indices=n, unweighted=True, limit=args.hops + 1)
        d = d[:n]
        return per_hop_from_dist(np.where(np.isinf(d), -1, d - 1), args.hops)

    t, r, got = timed(scipy_bfs, args.runs)
    assert got == want, (got, want)
    rows.append(("scipy csgraph (super-source)", t, r))

    import igraph as ig

    g_ig = ig.Graph(n=n + 1, edges=np.column_stack([src, dst])[src < dst].tolist()
                    + [[n, int(s)] for s in seed_pos], directed=False)

    def igraph_bfs():
        _order, layers, _parents = g_ig.bfs(n)
        sizes = np.diff(layers)  # sizes[0] is the super-source, sizes[1] the seeds
        out = sizes[1: args.hops + 2].tolist()
        return out + [0] * (args.hops + 1 - len(out))

    t, r, got = timed(igraph_bfs, args.runs)
    assert got == want, (got, want)
    rows.append(("igraph bfs (super-source)", t, r))

    if not args.no_networkx:
        import networkx as nx

        g_nx = graph.to_networkx()

        def nx_layers():
            out = []
            for layer in nx.bfs_layers(g_nx, seeds):
                out.append(len(layer))
                if len(out) == args.hops + 1:
                    break
            return out + [0] * (args.hops + 1 - len(out))

        t, r, got = timed(nx_layers, max(1, min(args.runs, 3)))
        assert got == want
        rows.append(("networkx bfs_layers", t, r))
        del g_nx

    work = Path(tempfile.mkdtemp(prefix="diffusion-bench-reach-"))
    try:
        snap = work / "snapshot"
        snap.mkdir()
        ids.to_frame("user_id").to_parquet(snap / "users.parquet")
        pd.DataFrame({"user_a": ids.to_numpy()[lo], "user_b": ids.to_numpy()[hi]}).to_parquet(
            snap / "friendships.parquet")
        proj = project_in_child("parquet", str(snap))
        print(f"projection from Parquet snapshot (read + validate + CSR): {proj['seconds']:.1f} s, "
              f"peak {proj['peak_mib']:,.0f} MiB")
        if not args.no_neo4j:
            from analyzer.db import ConnectionSettings, Runner
            from analyzer.graphdb import load_fresh
            from analyzer.server import ServerConfig, stop
            from analyzer.snapshot import read_snapshot

            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            cfg = ServerConfig(home=work / "home", port=port, heap="4g", pagecache="4g")
            load_fresh(cfg, read_snapshot(snap), echo=lambda *_: None)
            try:
                proj = project_in_child("neo4j", cfg.uri)
                print(f"projection from Neo4j over Bolt: {proj['seconds']:.1f} s, "
                      f"peak {proj['peak_mib']:,.0f} MiB")
                with Runner(ConnectionSettings(uri=cfg.uri)) as runner:
                    reach_neo4j(runner, seeds[:1], 1, per_seed=False)  # warm the plan cache
                    t, r, got = timed(lambda: reach_neo4j(runner, seeds, args.hops,
                                                          per_seed=False).per_hop, args.runs)
                    assert got == want, (got, want)
                    rows.append(("diffusion Cypher engine on Neo4j (direction-optimizing, a "
                                 "query per hop)", t, r))
                    t, r, got = timed(lambda: reach_neo4j(runner, seeds, args.hops,
                                                          overlap=False), max(1, args.runs // 2))
                    assert got.per_hop == want and got.to_dict()["per_seed"] == \
                        res_seed.to_dict()["per_seed"]
                    rows.append((f"diffusion Cypher, per_hop + per-seed + unique reach "
                                 f"({args.seeds} seeds)", t, r))
            finally:
                stop(cfg)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\n{'engine':<72} {'median':>10}  {'vs memory':>10}  runs")
    for name, t, r in rows:
        print(f"{name:<72} {t * 1000:>8.1f} ms  {t / t_mem:>9.1f}x  "
              + ", ".join(f"{x * 1000:.0f}" for x in r))


if __name__ == "__main__":
    main()
