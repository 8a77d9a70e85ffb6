"""Shared pieces of the benchmark scripts: the machine, timing, child processes, a simple
graph maker."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analyzer.arrays import unique_sorted


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Python "
            f"{platform.python_version()}, {platform.system()} {platform.release()}")


def timed(fn, runs: int):
    """(median seconds, every run's seconds, the last run's result) of ``runs`` calls."""
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times, out


def run_child(code: str, env: dict | None = None) -> dict:
    """Run ``python -c code`` in a fresh process (so its peak memory is its own) and parse
    the JSON object it prints last; ``env`` replaces the environment when given."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def random_friendships(users: int, friendships: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Distinct undirected pairs (lo < hi) drawn uniformly; a simple stand-in graph."""
    rng = np.random.default_rng(seed)
    need = friendships
    seen = None
    while need > 0:
        a = rng.integers(0, users, int(need * 1.1) + 1000, dtype=np.int64)
        b = rng.integers(0, users, len(a), dtype=np.int64)
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        keep = lo != hi
        key = lo[keep] * users + hi[keep]
        key = unique_sorted(key) if seen is None else np.setdiff1d(unique_sorted(key), seen,
                                                                  assume_unique=True)
        key = key[: need]
        seen = key if seen is None else unique_sorted(np.concatenate([seen, key]))
        need = friendships - len(seen)
    rng.shuffle(seen)
    return seen // users, seen % users


def random_graph(users: int, friendships: int, seed: int = 1):
    """A FriendGraph on users 0..n-1 with uniform random friendships, and its pairs."""
    from analyzer.graph import FriendGraph, csr_from_pairs

    a, b = random_friendships(users, friendships, seed=seed)
    indptr, indices = csr_from_pairs(users, a, b)
    return FriendGraph(pd.RangeIndex(users), indptr, indices), a, b


def peak_rss_mib(pid: int | None = None) -> float:
    path = f"/proc/{pid or 'self'}/status"
    for line in Path(path).read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return float("nan")


def user_ids(n: int) -> pd.Series:
    return pd.Series(np.char.add("u", np.arange(n).astype(str)), dtype="str")
