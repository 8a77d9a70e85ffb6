"""Read + validate a snapshot: diffusion's validation against a bare DuckDB scan of the
same files (every column read, nothing checked), and optionally another checkout's
validation. Each run is a fresh process, so its peak memory is its own; runs alternate,
so drift in the machine's load hits every contender alike.

    diffusion generate /tmp/g1m --users 1000000 --products 20 --seed 7 --as parquet
    git worktree add /tmp/before 2bc442f          # optional: the pandas validator
    python benchmarks/validate.py --snapshot /tmp/g1m --runs 3 [--other /tmp/before]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from common import machine, run_child

HERE = Path(__file__).resolve().parents[1]

VALIDATE = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from analyzer.snapshot import validate_snapshot
t = time.perf_counter()
snap, report = validate_snapshot({snapshot!r})
seconds = time.perf_counter() - t
print(json.dumps({{"seconds": seconds, "ok": report.ok, "rows": sum(report.rows.values()),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

# Every column of every table read by DuckDB (min, max and null count force the
# decoding), with nothing checked or coded: the floor under any validation.
SCAN = """
import json, resource, time
from pathlib import Path
import duckdb
t = time.perf_counter()
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
rows = 0
for path in sorted(Path({snapshot!r}).iterdir()):
    if path.suffix == ".parquet":
        source = f"read_parquet('{{path}}')"
    elif path.suffix == ".csv":
        source = f"read_csv('{{path}}', all_varchar = true)"
    else:
        continue
    names = [c[0] for c in con.execute(f"DESCRIBE SELECT * FROM {{source}}").fetchall()]
    parts = ", ".join(f'min("{{n}}"), max("{{n}}"), count("{{n}}")' for n in names)
    con.execute(f"SELECT count(*), {{parts}} FROM {{source}}").fetchall()
    rows += con.execute(f"SELECT count(*) FROM {{source}}").fetchall()[0][0]
seconds = time.perf_counter() - t
print(json.dumps({{"seconds": seconds, "ok": True, "rows": rows,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--snapshot", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--other", type=Path, help="another checkout's validation to compare with")
    a = ap.parse_args()
    contenders = {"diffusion validate": VALIDATE.format(root=str(HERE), snapshot=str(a.snapshot)),
                  "bare DuckDB scan": SCAN.format(snapshot=str(a.snapshot))}
    if a.other:
        contenders["other checkout"] = VALIDATE.format(root=str(a.other),
                                                       snapshot=str(a.snapshot))
    results: dict[str, list[dict]] = {name: [] for name in contenders}
    for _ in range(a.runs):
        for name, code in contenders.items():
            results[name].append(run_child(code))
    print(machine())
    print(f"snapshot {a.snapshot}: {results['bare DuckDB scan'][0]['rows']:,} rows, "
          f"median of {a.runs}")
    base = statistics.median(r["seconds"] for r in results["diffusion validate"])
    for name, runs in results.items():
        seconds = statistics.median(r["seconds"] for r in runs)
        peak = statistics.median(r["peak_mb"] for r in runs)
        every = ", ".join(f"{r['seconds']:.1f}" for r in runs)
        print(f"{name:<20} {seconds:7.1f} s ({every})  peak {peak:7.0f} MB  "
              f"diffusion / this {base / seconds:5.2f}x  ok={runs[-1]['ok']}")


if __name__ == "__main__":
    main()
