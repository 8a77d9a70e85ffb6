"""Start-up of `diffusion ... --help`: this checkout against another one (an older commit,
say), each run as a fresh interpreter, alternating, median of several runs.

    git worktree add /tmp/before 12480f2
    python benchmarks/startup.py --other /tmp/before --runs 7

Without --other it times this checkout alone, and `python -c pass` and `import click,
rich` as the floor under it.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import machine

HERE = Path(__file__).resolve().parents[1]
COMMANDS = [["--help"], ["reach", "--help"], ["report", "--help"], ["neo4j", "start", "--help"]]


def once(code: str) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    return time.perf_counter() - t


def cli(root: Path, args: list[str]) -> str:
    return (f"import sys; sys.path.insert(0, {str(root)!r}); from analyzer.cli import cli; "
            f"cli.main(args={args!r}, prog_name='diffusion', standalone_mode=False)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--other", type=Path, help="another checkout to compare with")
    ap.add_argument("--runs", type=int, default=7)
    a = ap.parse_args()
    print(machine())
    floor = {"python -c pass": "pass", "import click, rich": "import click, rich.console"}
    for name, code in floor.items():
        print(f"{name:<28} {statistics.median(once(code) for _ in range(a.runs)) * 1e3:7.0f} ms")
    for args in COMMANDS:
        mine, theirs = [], []
        for _ in range(a.runs):  # alternate, so drift in machine load hits both alike
            mine.append(once(cli(HERE, args)))
            if a.other:
                theirs.append(once(cli(a.other, args)))
        line = f"diffusion {' '.join(args):<18} {statistics.median(mine) * 1e3:7.0f} ms"
        if a.other:
            other = statistics.median(theirs)
            line += (f"   other {other * 1e3:7.0f} ms   this is "
                     f"{other / statistics.median(mine):.1f}x faster")
        print(line)


if __name__ == "__main__":
    main()
