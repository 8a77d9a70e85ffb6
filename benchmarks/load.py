"""Rows per second loaded into Neo4j over Bolt by `diffusion load`, median of several runs.

Each run starts a fresh server (its own home and port), loads a synthetic
snapshot (uniform random friendships, events on random users and products),
records per-table rates and the peak memory of the loader and of the server,
and stops the server. Usage:

    python benchmarks/load.py --users 1000000 --friendships 10000000 --runs 3
"""

from __future__ import annotations

import argparse
import resource
import shutil
import socket
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analyzer.db import ConnectionSettings, Runner
from analyzer.graphdb import load_fresh, load_snapshot
from analyzer.server import ServerConfig, start, stop
from analyzer.snapshot import read_snapshot

from common import machine, peak_rss_mib, random_friendships, user_ids


def make_snapshot(root: Path, users: int, friendships: int, events: int) -> None:
    rng = np.random.default_rng(3)
    ids = user_ids(users)
    lo, hi = random_friendships(users, friendships)
    products = pd.Series([f"p{i}" for i in range(1000)], dtype="str")
    t0 = np.datetime64("2024-06-01T00:00:00")
    at = (t0 + rng.integers(0, 30 * 86400, events).astype("timedelta64[s]")).astype(str)
    root.mkdir(parents=True)
    ids.to_frame("user_id").to_parquet(root / "users.parquet")
    pd.DataFrame({"user_a": ids.to_numpy()[lo], "user_b": ids.to_numpy()[hi]}).to_parquet(
        root / "friendships.parquet")
    products.to_frame("product_id").to_parquet(root / "products.parquet")
    u = ids.to_numpy()[rng.integers(0, users, events)]
    v = ids.to_numpy()[rng.integers(0, users, events)]
    p = products.to_numpy()[rng.integers(0, 1000, events)]
    pd.DataFrame({"sharer_id": u, "recipient_id": v, "product_id": p, "channel": "chat",
                  "at": at}).to_parquet(root / "shares.parquet")
    likes = pd.DataFrame({"user_id": u, "product_id": p, "at": at}).drop_duplicates(
        ["user_id", "product_id"])
    likes.to_parquet(root / "likes.parquet")
    pd.DataFrame({"user_id": v, "product_id": p, "at": at}).drop_duplicates(
        ["user_id", "product_id", "at"]).to_parquet(root / "purchases.parquet")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--friendships", type=int, default=10_000_000)
    ap.add_argument("--events", type=int, default=500_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=50_000)
    ap.add_argument("--paths", default="bolt,fresh",
                    help="bolt (diffusion load), fresh (diffusion load --fresh), or both")
    ap.add_argument("--heap", default="4g")
    ap.add_argument("--pagecache", default="4g")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="diffusion-bench-load-"))
    try:
        snap_dir = work / "snapshot"
        t = time.perf_counter()
        make_snapshot(snap_dir, args.users, args.friendships, args.events)
        print(f"machine: {machine()}")
        print(f"snapshot: {args.users:,} users, {args.friendships:,} friendships, "
              f"{args.events:,} shares; made in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        snap = read_snapshot(snap_dir)
        print(f"read + validate: {time.perf_counter() - t:.1f} s")
        rates: dict[str, list[float]] = {}
        server_peaks = []
        paths = args.paths.split(",")
        if "fresh" in paths:
            fresh_times = []
            total_rels = sum(len(f) for t, f in snap.tables.items()
                             if t not in ("users", "products"))
            for run in range(args.runs):
                cfg = ServerConfig(home=work / f"fresh{run}", port=free_port(), heap=args.heap,
                                   pagecache=args.pagecache, tx_memory="2g")
                t = time.perf_counter()
                result = load_fresh(cfg, snap, echo=lambda *_: None)
                fresh_times.append(time.perf_counter() - t)
                server_peaks.append(peak_rss_mib(int(cfg.pid_file.read_text())))
                stop(cfg)
                shutil.rmtree(cfg.home, ignore_errors=True)
                print(f"fresh run {run + 1}: {fresh_times[-1]:.1f} s end to end "
                      f"({result.note}); counts {result.counts}")
            med = statistics.median(fresh_times)
            print(f"fresh (neo4j-admin import) median {med:.1f} s end to end for "
                  f"{len(snap['users']):,} users and {total_rels:,} relationships: "
                  f"{total_rels / med:,.0f} relationships/s")
        for run in range(args.runs if "bolt" in paths else 0):
            cfg = ServerConfig(home=work / f"home{run}", port=free_port(), heap=args.heap,
                               pagecache=args.pagecache, tx_memory="2g")
            st, _ = start(cfg)
            try:
                with Runner(ConnectionSettings(uri=st.uri)) as runner:
                    result = load_snapshot(runner, snap, batch_size=args.batch_size)
                server_peaks.append(peak_rss_mib(st.pid))
            finally:
                stop(cfg)
                shutil.rmtree(cfg.home, ignore_errors=True)
            line = []
            for table, n in result.rows.items():
                rate = n / result.seconds[table]
                rates.setdefault(table, []).append(rate)
                line.append(f"{table} {rate:,.0f}/s")
            print(f"run {run + 1}: " + ", ".join(line))
        if rates:
            print("\nmedian rows per second over Bolt "
                  f"(batch {args.batch_size:,}, {args.runs} runs):")
        for table, values in rates.items():
            print(f"    {table:<12} {statistics.median(values):>12,.0f}   runs: "
                  + ", ".join(f"{v:,.0f}" for v in values))
        print(f"peak memory: loader {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f}"
              f" MiB, server {max(server_peaks):,.0f} MiB (VmHWM)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
