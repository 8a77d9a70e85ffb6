"""Influence and cascades: the one-product report on Neo4j, --all cascades in memory,
and Twitter15's 1,490 retweet trees, with networkx as the peer for structural virality.

    python benchmarks/influence.py --snapshot /tmp/g1m --uri bolt://127.0.0.1:7691 \
        --product p0 --twitter15 ../shared/data/twitter/twitter15.tar.gz --runs 3

- ``report``: endorsements + influencers + domains + cascades for one product,
  answered by the Cypher modules (the database must hold the same snapshot).
- ``cascades --all``: every product's trees from the snapshot in memory (the
  snapshot already read; reading it is timed separately).
- Twitter15: all trees, in memory; networkx ``average_shortest_path_length``
  on the 100 smallest trees of at least 50 users against ours on the same trees.
Every figure is the median of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from common import machine, timed as median


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--snapshot", type=Path, required=True)
    ap.add_argument("--uri")
    ap.add_argument("--product", default="p0")
    ap.add_argument("--twitter15", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--neo4j-only", action="store_true",
                    help="Only the Neo4j report (the snapshot is not read: saves memory).")
    args = ap.parse_args()

    from analyzer import cascades as C
    from analyzer import influence as I
    from analyzer.snapshot import read_snapshot
    from analyzer.engines.duckdb import SnapshotSource
    from analyzer.engines.neo4j import Neo4jSource

    print(f"machine: {machine()}")
    week = I.parse_window("7d")

    def report(source, products):
        # as Session.report: a Neo4j source starts every read at once, on two sessions, and
        # the parts are computed in the order their reads arrive (cascades and domains first)
        I.prefetch(source, I.report_reads(products, window_ms=week))
        cascades = C.cascades(source, products)
        domains = I.domains(source, products, window_ms=week)
        return (I.endorsements(source, products), I.influencers(source, products,
                                                                window_ms=week),
                domains, cascades)

    if args.uri:
        from analyzer.db import ConnectionSettings, Runner

        with Runner(ConnectionSettings(uri=args.uri)) as runner:
            source = Neo4jSource(runner)
            source.check_products([args.product])
            if source.procedures:  # the projection the procedures answer from
                t = time.perf_counter()
                built = runner.run("admin/projection")[0]
                print(f"projection {built['key']}: {built['users']:,} users, "
                      f"{built['friendships']:,} friendships (both ways), built in "
                      f"{built['build_ms'] / 1000:.1f} s; this call "
                      f"{time.perf_counter() - t:.1f} s")
            report(Neo4jSource(runner), [args.product])  # warm the query caches
            # a fresh source per run: a source keeps its answers
            med, times, _ = median(lambda: report(Neo4jSource(runner), [args.product]),
                                   args.runs)
            print(f"report for {args.product}, neo4j engine: median {med:.2f} s "
                  f"({', '.join(f'{x:.2f}' for x in times)})")
            for name, fn in [
                ("endorsements", lambda: I.endorsements(Neo4jSource(runner), [args.product])),
                ("influencers", lambda: I.influencers(Neo4jSource(runner), [args.product],
                                                      window_ms=week)),
                ("domains", lambda: I.domains(Neo4jSource(runner), [args.product],
                                              window_ms=week)),
                ("cascades", lambda: C.cascades(Neo4jSource(runner), [args.product]))]:
                m, _, _ = median(fn, args.runs)
                print(f"  {name:<13} {m:.2f} s")

    if args.neo4j_only:
        return
    t = time.perf_counter()
    snap = read_snapshot(args.snapshot)
    read_s = time.perf_counter() - t
    rows = {k: len(v) for k, v in snap.tables.items()}
    print(f"snapshot {args.snapshot}: {rows}; read and validated in {read_s:.1f} s")
    SnapshotSource(snap).check_products([args.product])
    report(SnapshotSource(snap), [args.product])  # warm the numba kernels
    med, times, _ = median(lambda: report(SnapshotSource(snap), [args.product]), args.runs)
    print(f"report for {args.product}, memory engine: median {med:.2f} s "
          f"({', '.join(f'{x:.2f}' for x in times)})")
    source = SnapshotSource(snap)
    products = source.product_ids()
    med, times, res = median(lambda: C.cascades(SnapshotSource(snap), products), args.runs)
    print(f"cascades --all ({len(products)} products, {len(res.trees):,} cascades), memory: "
          f"median {med:.2f} s ({', '.join(f'{x:.2f}' for x in times)})")

    if args.twitter15 and args.twitter15.exists():
        import networkx as nx
        import numpy as np

        from analyzer.importers import import_retweet_trees

        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "t15"
            import_retweet_trees(args.twitter15, out)
            t = time.perf_counter()
            t15 = read_snapshot(out)
            read_s = time.perf_counter() - t
            prods = SnapshotSource(t15).product_ids()
            med, times, res = median(lambda: C.cascades(SnapshotSource(t15), prods, top=0),
                                     args.runs)
            print(f"Twitter15: {len(prods)} trees, {len(t15['shares']):,} shares; read "
                  f"{read_s:.1f} s; cascades median {med:.2f} s "
                  f"({', '.join(f'{x:.2f}' for x in times)})")
            trees = res.trees[res.trees["size"] >= 50].sort_values("size").head(100)
            nodes = res.nodes[res.nodes["parent_id"].notna()]
            key = nodes["product_id"] + "\x1f" + nodes["root_id"]
            chosen = set(trees["product_id"] + "\x1f" + trees["root"])
            nodes = nodes[key.isin(chosen)]
            groups = {k: g for k, g in nodes.groupby(["product_id", "root_id"])}
            order = list(zip(trees["product_id"], trees["root"]))
            graphs = [nx.Graph(list(zip(groups[k]["parent_id"], groups[k]["user_id"])))
                      for k in order]
            t = time.perf_counter()
            want = np.array([nx.average_shortest_path_length(g) for g in graphs])
            nx_s = time.perf_counter() - t
            # the same trees as one forest of parent pointers, measured the way cascades does
            parents, roots, offset = [], [], 0
            for g, k in zip(graphs, order):
                index = {u: i for i, u in enumerate(g.nodes)}
                par = np.full(len(index), -1)
                for u, v in nx.bfs_edges(g, k[1]):
                    par[index[v]] = index[u]
                parents.append(np.where(par >= 0, par + offset, -1))
                roots.append(offset + index[k[1]])
                offset += len(index)
            forest = np.concatenate(parents)
            roots = np.asarray(roots)
            t = time.perf_counter()
            m = C.tree_metrics(forest)
            sizes = np.bincount(m["root"].to_numpy(), minlength=len(forest))[roots]
            got = C.structural_virality(sizes, m["wiener"].to_numpy()[roots])
            ours_s = time.perf_counter() - t
            listed = trees["structural_virality"].to_numpy()
            print(f"structural virality of {len(graphs)} trees ({len(forest):,} users): "
                  f"networkx {nx_s:.2f} s, diffusion {ours_s * 1000:.1f} ms: "
                  f"{nx_s / ours_s:,.0f}x; max |difference| {np.abs(got - want).max():.1e} "
                  f"(kernel), {np.abs(listed - want).max():.1e} (cascades output)")

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
