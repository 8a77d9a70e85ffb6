"""Time and peak memory of `diffusion generate` (median of several runs, each in a child
process so the peak is that run's own, numba compilation cached beforehand).

    python benchmarks/generate.py --users 1000000 --products 20 --runs 3
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
from pathlib import Path

from common import machine, run_child

CHILD = """
import json, sys, time
sys.path.insert(0, {bench!r})
from analyzer.generate import GeneratorParams, generate_snapshot
from common import peak_rss_mib
t = time.perf_counter()
truth = generate_snapshot(GeneratorParams(users={users}, products={products}, seed={seed}),
                          {out!r}, fmt={fmt!r})
print(json.dumps({{"seconds": time.perf_counter() - t, "peak_mib": peak_rss_mib(),
                  "rows": truth["rows"], "public_share": truth["public_share"]["realised"]}}))
"""


def run(users: int, products: int, seed: int, out: Path, fmt: str) -> dict:
    code = CHILD.format(bench=str(Path(__file__).parent), users=users, products=products,
                        seed=seed, out=str(out), fmt=fmt)
    return run_child(code)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--products", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--as", dest="fmt", choices=["csv", "parquet"], default="csv")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="diffusion-bench-gen-"))
    try:
        run(1000, 2, 0, work / "warm", args.fmt)  # compile and cache the kernels
        results = []
        for i in range(args.runs):
            results.append(run(args.users, args.products, 1, work / f"g{i}", args.fmt))
            shutil.rmtree(work / f"g{i}")
        print(f"machine: {machine()}")
        print(f"generate --users {args.users:,} --products {args.products} --as {args.fmt}: "
              f"rows {results[0]['rows']}, public share {results[0]['public_share']:.3f}")
        times = [r["seconds"] for r in results]
        print(f"median {statistics.median(times):.1f} s over {args.runs} runs "
              f"({', '.join(f'{t:.1f}' for t in times)}); peak memory "
              f"{max(r['peak_mib'] for r in results):,.0f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
