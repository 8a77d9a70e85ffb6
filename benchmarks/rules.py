"""The per-product rules of ``sql/`` on the snapshot engine: each question a report asks,
answered by this checkout and, optionally, by another checkout (for example the numpy
implementation before the rules moved to DuckDB). Each contender is a fresh process that
reads the snapshot once; every run then asks a fresh source (nothing cached between runs,
the graph projection included where the implementation needs it). Answers are compared
by a hash of their sorted rows.

    diffusion generate /tmp/g1m --users 1000000 --products 20 --seed 7 --as parquet
    git worktree add /tmp/before f8afb9c          # optional: the numpy rules
    python benchmarks/rules.py --snapshot /tmp/g1m --product p00 --runs 3 [--other /tmp/before]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from common import machine, run_child

HERE = Path(__file__).resolve().parents[1]

QUESTIONS = [("exposure_mix", {}), ("exposed_users", {}), ("sharers", {}), ("roles", {}),
             ("adoptions", {"purchases": True}), ("members", {}), ("tree_edges", {}),
             ("endorsement_codes", {}), ("signals", {}),
             ("adoption_touches", {"window_ms": 7 * 86_400_000}),
             ("credit_candidates", {"window_ms": 7 * 86_400_000}), ("cascades", {})]

CHILD = """
import hashlib, json, resource, sys, time
sys.path.insert(0, {root!r})
import numpy as np, pandas as pd
from analyzer.snapshot import read_snapshot
try:
    from analyzer.engines.contract import sort_rows
    from analyzer.engines.duckdb import SnapshotSource
except ImportError:  # a checkout from before the engines package
    from analyzer.sources import SnapshotSource, sort_rows
snap = read_snapshot({snapshot!r})
out = {{}}
for name, kw in {questions!r}:
    times = []
    for _ in range({runs}):
        source = SnapshotSource(snap)
        t = time.perf_counter()
        if name == "cascades":  # the analysis on top of members and tree edges
            from analyzer.cascades import cascades
            got = cascades(source, [{product!r}], top=0).trees
        else:
            got = getattr(source, name)([{product!r}], **kw)
        times.append(time.perf_counter() - t)
    if name == "endorsement_codes":
        got = got.to_frame()
    rows = sort_rows(got.astype(object).where(got.notna(), None)).to_numpy(dtype=object)
    digest = hashlib.sha256(repr(rows.tolist()).encode()).hexdigest()[:12]
    out[name] = {{"seconds": times, "rows": len(rows), "hash": digest}}
print(json.dumps({{"questions": out,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--snapshot", type=Path, required=True)
    ap.add_argument("--product", default="p00")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--other", type=Path, help="another checkout to compare with")
    a = ap.parse_args()
    roots = {"this checkout": HERE}
    if a.other:
        roots["other checkout"] = a.other
    got = {name: run_child(CHILD.format(root=str(root), snapshot=str(a.snapshot),
                                        questions=QUESTIONS, runs=a.runs, product=a.product))
           for name, root in roots.items()}
    print(machine())
    print(f"snapshot {a.snapshot}, product {a.product}: median of {a.runs} runs, each on a "
          "fresh source (first run in brackets)")
    header = f"{'question':<20}" + "".join(f"{n:>28}" for n in roots)
    print(header + ("      other / this   same answer" if a.other else ""))
    for q, _ in QUESTIONS:
        line = f"{q:<20}"
        medians = []
        for name in roots:
            r = got[name]["questions"][q]
            med = statistics.median(r["seconds"])
            medians.append(med)
            line += f"{med:10.3f} s ({r['seconds'][0]:.3f}) {r['rows']:>9,}"
        if a.other:
            same = got["this checkout"]["questions"][q]["hash"] == \
                got["other checkout"]["questions"][q]["hash"]
            line += f"   {medians[1] / medians[0]:10.2f}x   {same}"
        print(line)
    for name in roots:
        print(f"peak RSS, {name}: {got[name]['peak_mb']:,.0f} MB")


if __name__ == "__main__":
    main()
