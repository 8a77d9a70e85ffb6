"""Promoter selection side by side: diffusion's OPIM-C and IMM, the authors' C++ OPIM-C
and SUBSIM, top degree and random seeds, on one graph with one k, eps and model.

    python benchmarks/promoters.py --graph uniform --runs 3 --cpp
    python benchmarks/promoters.py --graph powerlaw --runs 3 --cpp
    python benchmarks/promoters.py --graph nethept --nethept ../shared/data/snap/NetHEPT.txt

Graphs: ``uniform`` (1M users, 10M uniform random friendships, IC p = 0.01 on every
arc), ``powerlaw`` (1M users, 5M Chung-Lu friendships with degree exponent 2.5,
weighted cascade) and ``nethept`` (the SNAP file imported with ``--directed``: each arc
a follow with the file's own probability, repeated arcs combined; ``--p column``).

Every timed run is a child process, so its peak memory is its own: VmHWM for
diffusion, /usr/bin/time's maximum resident set for the C++ programs. Times are the
selection alone (diffusion: the opim/imm call; C++: the program's own "Time (sec)"),
not reading the graph; "diffusion promoters" is the whole call a user makes, the OPIM-C
pick and then the forward runs of it, top degree and PageRank that return the best of
them (its line names the set returned). Every seed set, from every method, is then scored by the same
forward evaluator (diffusion's IC/LT simulator, 10,000 runs, one seed).

``--cpp`` builds github tangj90/OPIM (OPIM1.1) and qtguo/subsim with g++ under
benchmarks/scratch/ (ignored by git), from ``--opim-src``/``--subsim-src`` (a git
directory or a checkout) or by cloning from GitHub.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from common import machine, run_child

SCRATCH = Path(__file__).resolve().parent / "scratch"
REPOS = {"opim": "https://github.com/tangj90/OPIM", "subsim": "https://github.com/qtguo/subsim"}

CHILD = r"""
import json, sys, time
sys.path.insert(0, {bench!r})
import numpy as np, pandas as pd
from analyzer.graph import FriendGraph, csr_from_pairs
from analyzer import simulate as S
from common import peak_rss_mib
z = np.load({npz!r})
rev = (z["rev_indptr"], z["rev_indices"]) if "rev_indptr" in z else (None, None)
graph = FriendGraph(pd.RangeIndex(len(z["indptr"]) - 1), z["indptr"], z["indices"], *rev)
weights = (z["forward"], z["reverse"]) if "forward" in z else None
S.opim(FriendGraph(pd.RangeIndex(40), *csr_from_pairs(40, np.arange(39), np.arange(1, 40))), 2)
S.imm(FriendGraph(pd.RangeIndex(40), *csr_from_pairs(40, np.arange(39), np.arange(1, 40))), 2)
if {method!r} == "promoters":  # the whole call: the pick, then the forward best of
    S.promoters(FriendGraph(pd.RangeIndex(40), *csr_from_pairs(40, np.arange(39),
                                                               np.arange(1, 40))), 2)
    t = time.perf_counter()
    got = S.promoters(graph, {k}, p={p!r}, eps={eps}, seed={seed}, weights=weights)
    out = {{"rr_sets": got.details["rr_sets"], "seeds": got.seeds, "winner": got.winner}}
else:
    t = time.perf_counter()
    out = getattr(S, {method!r})(graph, {k}, p={p!r}, eps={eps}, seed={seed}, weights=weights)
    out["winner"] = out.get("certificate", {{}}).get("algorithm")
elapsed = time.perf_counter() - t
print(json.dumps({{"seconds": elapsed, "rr_sets": int(out["rr_sets"]),
                  "seeds": [int(s) for s in out["seeds"]], "peak_mib": peak_rss_mib(),
                  "winner": out.get("winner")}}))
"""


def powerlaw_friendships(users: int, friendships: int, gamma: float = 2.5,
                         seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Distinct pairs (lo < hi) from the Chung-Lu model: each endpoint drawn with weight
    i^(-1/(gamma-1)), so degrees follow a power law with exponent ``gamma``."""
    rng = np.random.default_rng(seed)
    weight = np.arange(1, users + 1, dtype=np.float64) ** (-1 / (gamma - 1))
    cdf = np.cumsum(weight / weight.sum())
    keys = np.empty(0, dtype=np.int64)
    while len(keys) < friendships:
        need = int((friendships - len(keys)) * 1.3) + 1000
        a = np.searchsorted(cdf, rng.random(need)).clip(0, users - 1)
        b = np.searchsorted(cdf, rng.random(need)).clip(0, users - 1)
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        fresh = lo[lo != hi] * users + hi[lo != hi]
        keys = np.unique(np.concatenate([keys, fresh]))
    keys = rng.permutation(keys)[:friendships]
    perm = rng.permutation(users)  # hubs are not the low ids
    return perm[keys // users], perm[keys % users]


def build_graph(args):
    """(FriendGraph, p, what, weights) for ``--graph``: weights (forward, reverse) with
    ``p == "column"``, else None."""
    import pandas as pd

    from analyzer.graph import FriendGraph, csr_from_pairs

    if args.graph == "uniform":
        from common import random_graph
        graph = random_graph(args.users, args.friendships, seed=1)[0]
        return graph, args.p, f"IC p = {args.p} on every arc", None
    if args.graph == "powerlaw":
        a, b = powerlaw_friendships(args.users, args.friendships // 2, seed=1)
        graph = FriendGraph(pd.RangeIndex(args.users), *csr_from_pairs(args.users, a, b))
        return (graph, "weighted-cascade", "IC weighted cascade (1/degree), Chung-Lu gamma 2.5",
                None)
    from analyzer.api import open_snapshot
    from analyzer.importers import import_edgelist
    from analyzer.simulate import reverse_arcs

    with tempfile.TemporaryDirectory() as tmp:
        import_edgelist([args.nethept], Path(tmp) / "n", directed=True)
        session = open_snapshot(Path(tmp) / "n")
        graph = session.tie_graph("follows")
        forward = session._column_weights("follows")
    return (graph, "column", "IC with the file's own arc probabilities, read as follows",
            (forward, reverse_arcs(graph, forward)))


# ---------------------------------------------------------------- the authors' C++ code

def source_tree(name: str, given: Path | None) -> Path:
    """A checkout of ``name`` under scratch/src: exported from a git dir, copied from a
    checkout, or cloned."""
    dest = SCRATCH / "src" / name
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    if given is None:
        subprocess.run(["git", "clone", "-q", "--depth", "1", REPOS[name], str(dest)], check=True)
    elif (given / "HEAD").exists() and not (given / ".git").exists():  # a bare git dir
        dest.mkdir()
        archive = subprocess.run(["git", "--git-dir", str(given), "archive", "HEAD"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    else:
        shutil.copytree(given, dest)
    return dest


#: OPIM-C ends by estimating its pick's spread by sampling to within 1% (minutes on a
#: 1M-user graph, after the timed part); the forward evaluator here does that for every
#: method, so that one line is left out of the build. The selection is untouched.
OPIM_EVALUATION = "\t\t\t__tRes.set_influence(effic_inf_valid_algo());\n\t\t\treturn"


def build_cpp(opim_src: Path | None, subsim_src: Path | None) -> dict[str, Path]:
    opim = source_tree("opim", opim_src) / "OPIM1.1"
    subsim = source_tree("subsim", subsim_src)
    alg = opim / "alg.cpp"
    text = alg.read_text()
    if OPIM_EVALUATION in text:
        alg.write_text(text.replace(OPIM_EVALUATION, "\t\t\treturn", 1))
        (SCRATCH / "opim.bin").unlink(missing_ok=True)
    out = {}
    for name, folder, source in (("opim", opim, "OPIM.cpp"), ("subsim", subsim, "subsim.cpp")):
        exe = SCRATCH / f"{name}.bin"
        if not exe.exists():
            subprocess.run(["g++", "-std=c++14", "-O3", source, "-o", str(exe)], cwd=folder,
                           check=True)
        out[name] = exe
    return out


def write_arcs(graph, path: Path, weights: np.ndarray | None = None) -> None:
    """The authors' text format: `n m`, then one `src dst [p]` line per arc (both arcs of
    a friendship), nodes numbered by diffusion's positions."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    columns = {"s": graph.arc_sources(), "d": graph.indices.astype(np.int64)}
    if weights is not None:
        columns["p"] = weights.astype(np.float64)
    path.write_text(f"{graph.n_users} {len(graph.indices)}\n")
    with path.open("ab") as fh:
        pacsv.write_csv(pa.table(columns), fh,
                        write_options=pacsv.WriteOptions(include_header=False, delimiter=" ",
                                                         quoting_style="none"))


def run_timed(cmd: list[str], cwd: Path) -> tuple[str, float]:
    """stdout and peak RSS (MiB) of ``cmd`` under /usr/bin/time -v."""
    done = subprocess.run(["/usr/bin/time", "-v", *cmd], cwd=cwd, capture_output=True,
                          text=True, check=True)
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    return done.stdout, int(peak.group(1)) / 1024 if peak else float("nan")


def cpp_runs(exe: dict[str, Path], graph, p, weights, args, runs: int
             ) -> dict[str, list[dict]]:
    work = SCRATCH / f"graph-{args.graph}"
    if work.exists():
        shutil.rmtree(work)
    text = work / "g.txt"
    work.mkdir(parents=True)
    write_arcs(graph, text, weights[0] if weights is not None else None)
    wc = p == "weighted-cascade"
    for name in ("opim", "subsim"):  # each formats into its own folder
        (work / name / "graphInfo").mkdir(parents=True)
        (work / name / "graphInfo" / "g").hardlink_to(text)
    # OPIM's format step exits with status 1 on success; its output file is the check
    subprocess.run([str(exe["opim"]), "-func=0", "-gname=g",
                    "-mode=w" if p == "column" else "-mode=g"], cwd=work / "opim",
                   check=False, capture_output=True)
    if not list((work / "opim" / "graphInfo").glob("g.*")):
        raise SystemExit("OPIM did not format the graph")
    fmt = (["-pdist=weights"] if p == "column" else ["-pdist=wc"] if wc
           else ["-pdist=uniform", f"-pedge={p}"])
    subprocess.run([str(exe["subsim"]), "-func=format", "-gname=g", *fmt], cwd=work / "subsim",
                   check=True, capture_output=True)
    results: dict[str, list[dict]] = {"OPIM-C (authors' C++)": [], "SUBSIM (authors' C++)": [],
                                      "SUBSIM+HIST (authors' C++)": []}
    pdist = ["-pdist=load"] if wc or p == "column" else ["-pdist=UNI", f"-pedge={p}"]
    for _ in range(runs):
        for label, cmd in (
                ("OPIM-C (authors' C++)", [str(exe["opim"]), "-func=1", "-gname=g",
                                           "-alg=opim-c", "-mode=2", f"-seedsize={args.k}",
                                           f"-eps={args.eps}", "-model=IC", *pdist]),
                ("SUBSIM (authors' C++)", [str(exe["subsim"]), "-func=im", "-gname=g",
                                           f"-seedsize={args.k}", f"-eps={args.eps}"]),
                ("SUBSIM+HIST (authors' C++)", [str(exe["subsim"]), "-func=im", "-gname=g",
                                                f"-seedsize={args.k}", f"-eps={args.eps}",
                                                "-hist=1"])):
            where = work / ("opim" if label.startswith("OPIM") else "subsim")
            program = "hist" if "HIST" in label else where.name
            if program not in args.cpp_programs.split(","):
                continue
            shutil.rmtree(where / "result", ignore_errors=True)
            stdout, peak = run_timed(cmd, where)
            # the summary block at the end (progress lines also print "#RR sets")
            seconds = float(re.findall(r"\|Time \(sec\): ([\d.eE+-]+)", stdout)[-1])
            rr = int(re.findall(r"\|#RR sets: (\d+)", stdout)[-1])
            seed_file = next((where / "result" / "seed").iterdir())
            seeds = [int(x) for x in seed_file.read_text().split()]
            results[label].append({"seconds": seconds, "rr_sets": rr, "seeds": seeds,
                                   "peak_mib": peak})
    return {label: runs for label, runs in results.items() if runs}


# ------------------------------------------------------------------------------- main

def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--graph", choices=["uniform", "powerlaw", "nethept"], default="uniform")
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--friendships", type=int, default=10_000_000,
                    help="uniform: friendships; powerlaw: half of this")
    ap.add_argument("--p", type=float, default=0.01)
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--eps", type=float, default=0.5)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--eval-runs", type=int, default=10_000)
    ap.add_argument("--skip-imm", action="store_true")
    ap.add_argument("--skip-promoters", action="store_true",
                    help="leave out the whole promoters() call (its forward checks are "
                         "slow where influence is high)")
    ap.add_argument("--nethept", type=Path)
    ap.add_argument("--cpp", action="store_true", help="also run the authors' C++ code")
    ap.add_argument("--cpp-programs", default="opim,subsim",
                    help="with --cpp: which of opim, subsim, hist (SUBSIM with -hist=1, "
                         "for graphs where influence is high) to run")
    ap.add_argument("--cynetdiff", action="store_true",
                    help="also score every seed set with cynetdiff's IC model")
    ap.add_argument("--opim-src", type=Path)
    ap.add_argument("--subsim-src", type=Path)
    args = ap.parse_args()
    if args.graph == "nethept" and not (args.nethept and args.nethept.exists()):
        sys.exit(f"--graph nethept needs --nethept FILE (got {args.nethept}); the shared data "
                 f"folder is absent here")
    bench = Path(__file__).resolve().parent
    print(f"machine: {machine()}")
    graph, p, what, weights = build_graph(args)
    SCRATCH.mkdir(exist_ok=True)
    npz = SCRATCH / f"graph-{args.graph}.npz"
    arrays = {"indptr": graph.indptr, "indices": graph.indices}
    if graph.directed:
        arrays.update(rev_indptr=graph.rev_indptr, rev_indices=graph.rev_indices)
    if p == "column":
        arrays.update(forward=weights[0], reverse=weights[1])
    np.savez(npz, **arrays)
    print(f"graph: {args.graph}, {graph.n_users:,} users, {graph.n_friendships:,} friendships; "
          f"{what}; k = {args.k}, eps = {args.eps}, delta = 1/n; {args.runs} runs each")

    results: dict[str, list[dict]] = {}
    methods = [("opim", "diffusion OPIM-C")] + (
        [] if args.skip_promoters else [("promoters", "diffusion promoters")]) + (
        [] if args.skip_imm else [("imm", "diffusion IMM")])
    for method, label in methods:
        results[label] = [run_child(CHILD.format(bench=str(bench), npz=str(npz), method=method,
                                                 k=args.k, p=p, eps=args.eps, seed=i))
                          for i in range(args.runs)]
    if args.cpp:
        results.update(cpp_runs(build_cpp(args.opim_src, args.subsim_src), graph, p, weights,
                                args, args.runs))
    report(graph, p, weights, args, results)


def cynetdiff_spread(graph, forward: np.ndarray, runs: int):
    """A second evaluator: cynetdiff's IC model on the same arcs and probabilities."""
    import array

    from cynetdiff.models import IndependentCascadeModel

    starts = array.array("I")
    starts.frombytes(graph.indptr[:-1].astype(np.uint32).tobytes())
    edges = array.array("I")
    edges.frombytes(graph.indices.astype(np.uint32).tobytes())
    probs = array.array("f")
    if len(forward) == 1:  # one p for every arc
        forward = np.full(len(graph.indices), forward[0])
    probs.frombytes(forward.astype(np.float32).tobytes())
    model = IndependentCascadeModel(starts, edges, activation_probs=probs,
                                    rng=np.random.default_rng(5))

    def spread(pos) -> tuple[float, float]:
        model.set_seeds([int(x) for x in pos])
        out = np.empty(runs)
        for r in range(runs):
            model.reset_model()
            model.advance_until_completion()
            out[r] = model.get_num_activated_nodes()
        return float(out.mean()), float(out.std(ddof=1) / np.sqrt(runs))

    return spread


def report(graph, p, weights, args, results: dict[str, list[dict]]) -> None:
    from analyzer import simulate as S

    forward = weights[0] if weights is not None else S.edge_probabilities(graph, p, "ic")[0]

    def spread(pos) -> tuple[float, float]:
        spreads, _ = S.forward_spreads(graph, np.asarray(pos, dtype=np.int64), forward, "ic",
                                       args.eval_runs, 99)
        return float(spreads.mean()), float(spreads.std(ddof=1) / np.sqrt(len(spreads)))

    cynet = cynetdiff_spread(graph, forward, args.eval_runs) if args.cynetdiff else None
    for label, runs in results.items():  # the timings first: scoring can take a while
        times = ", ".join(f"{r['seconds']:.2f}" for r in runs)
        print(f"{label}: {times} s, peak "
              f"{max(r['peak_mib'] for r in runs):,.0f} MiB, "
              f"{statistics.median(r['rr_sets'] for r in runs):,.0f} RR sets"
              + (f", answered by: {', '.join(r['winner'] for r in runs)}" if runs[0].get("winner")
                 else ""), flush=True)
    rows = []
    for label, runs in results.items():
        seconds = [r["seconds"] for r in runs]
        scored = [spread(r["seeds"]) for r in runs]
        rows.append((label, statistics.median(seconds), seconds,
                     max(r["peak_mib"] for r in runs), statistics.median(r["rr_sets"] for r in runs),
                     scored))
    rng = np.random.default_rng(7)
    heuristics = [("top degree", S.top_degree(graph, args.k)),
                  (f"random {args.k}", rng.choice(graph.n_users, args.k, replace=False))]
    base = rows[0][1]
    print()
    print(f"{'method':<24} {'median s':>9} {'x ours':>7} {'peak MiB':>9} {'RR sets':>12}  "
          f"spread per run (± s.e., {args.eval_runs:,} forward runs)")
    for label, med, seconds, peak, rr, scored in rows:
        print(f"{label:<24} {med:>9.2f} {med / base:>7.1f} {peak:>9,.0f} {rr:>12,.0f}  "
              + ", ".join(f"{m:.2f}±{s:.2f}" for m, s in scored)
              + f"   [{', '.join(f'{t:.2f}' for t in seconds)} s]")
    for label, pos in heuristics:
        m, s = spread(pos)
        print(f"{label:<24} {'':>9} {'':>7} {'':>9} {'':>12}  {m:.2f}±{s:.2f}")
    if cynet is not None:
        print(f"cynetdiff, {args.eval_runs:,} runs, the first run's seeds of each: " + "; ".join(
            f"{label} {m:.2f}±{s:.2f}" for label, (m, s) in
            [(r[0], cynet(results[r[0]][0]["seeds"])) for r in rows]
            + [(label, cynet(pos)) for label, pos in heuristics]))
    print(json.dumps({"graph": args.graph, "rows": [
        {"method": r[0], "median_s": r[1], "peak_mib": r[3], "rr_sets": r[4],
         "spreads": [m for m, _ in r[5]]} for r in rows]}))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
