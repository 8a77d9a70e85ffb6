"""Reach: memory engine, Cypher engine and networkx agree exactly."""

from __future__ import annotations

import json
from itertools import combinations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from analyzer.errors import DiffusionError, InputError
from analyzer import graph as G
from analyzer.graph import FriendGraph, project_neo4j, project_snapshot
from analyzer.graphdb import load_snapshot
from analyzer.reach import reach_memory, reach_neo4j
from analyzer.snapshot import read_snapshot

from .conftest import SAMPLE, shared_file


def oracle_per_hop(g: nx.Graph, seeds, hops: int) -> list[int]:
    layers = list(nx.bfs_layers(g, list(dict.fromkeys(seeds))))[: hops + 1]
    return [len(layer) for layer in layers] + [0] * (hops + 1 - len(layers))


def oracle_per_seed(g: nx.Graph, seeds, hops: int) -> dict[str, tuple[int, int]]:
    sets = {s: set(nx.single_source_shortest_path_length(g, s, cutoff=hops)) - {s} for s in seeds}
    out = {}
    for s in seeds:
        others = set(seeds) - {s}
        covered = set().union(*(sets[t] for t in others), others) if others else set()
        out[s] = (len(sets[s]), len(sets[s] - covered))
    return out, sets


def random_graph(n: int, m: int, seed: int) -> FriendGraph:
    g = nx.gnm_random_graph(n, m, seed=seed)
    ids = np.array([f"u{i}" for i in range(n)], dtype=object)
    a, b = (np.array(x) for x in zip(*g.edges())) if m else (np.array([], int),) * 2
    return FriendGraph.from_edges(ids, ids[a], ids[b])


@pytest.mark.parametrize("trial", range(12))
def test_memory_matches_networkx_on_random_graphs(trial):
    rng = np.random.default_rng(trial)
    n = int(rng.integers(5, 300))
    graph = random_graph(n, int(rng.integers(0, 3 * n)), seed=trial)
    g = graph.to_networkx()
    seeds = list(rng.choice(graph.user_ids.to_numpy(), size=int(rng.integers(1, 8))))
    hops = int(rng.integers(1, 7))
    result = reach_memory(graph, seeds, hops, overlap=True)
    assert result.per_hop == oracle_per_hop(g, seeds, hops)
    want, sets = oracle_per_seed(g, list(dict.fromkeys(seeds)), hops)
    got = {r.user_id: (r.reach, r.unique_reach) for r in result.per_seed.itertuples()}
    assert got == want
    for a, b in combinations(sets, 2):
        row = result.overlap[((result.overlap.seed_a == a) & (result.overlap.seed_b == b))
                             | ((result.overlap.seed_a == b) & (result.overlap.seed_b == a))]
        assert (int(row.shared.iloc[0]) if len(row) else 0) == len(sets[a] & sets[b])


def test_more_seeds_than_one_sweep_of_bits():
    graph = random_graph(2000, 6000, seed=5)
    g = graph.to_networkx()
    seeds = list(graph.user_ids[::6])  # 334 seeds: two bit-parallel sweeps
    result = reach_memory(graph, seeds, 3, overlap=True)
    want, sets = oracle_per_seed(g, seeds, 3)
    got = {r.user_id: (r.reach, r.unique_reach) for r in result.per_seed.itertuples()}
    assert got == want
    assert result.per_hop == oracle_per_hop(g, seeds, 3)
    # the overlap of every pair, within a sweep and across the two
    shared = {(r.seed_a, r.seed_b): r.shared for r in result.overlap.itertuples()}
    for a, b in combinations(seeds, 2):
        assert shared.get((a, b), shared.get((b, a), 0)) == len(sets[a] & sets[b]), (a, b)


def test_sample_by_hand():
    result = reach_memory(project_snapshot(read_snapshot(SAMPLE)), ["u01", "u07"], 3)
    assert result.per_hop == [2, 5, 2, 1] and result.reached == 8
    rows = {r.user_id: (r.reach, r.unique_reach) for r in result.per_seed.itertuples()}
    assert rows == {"u07": (9, 3), "u01": (6, 0)}
    assert result.overlap.to_dict(orient="records") == [
        {"seed_a": "u01", "seed_b": "u07", "shared": 5}]


def test_unknown_seed_and_bad_hops():
    graph = project_snapshot(read_snapshot(SAMPLE))
    with pytest.raises(InputError, match="unknown user id.*ghost"):
        reach_memory(graph, ["u01", "ghost"], 2)
    with pytest.raises(InputError, match="hops must be from 1 to 12"):
        reach_memory(graph, ["u01"], 13)
    with pytest.raises(DiffusionError, match="seed set is empty"):
        reach_memory(graph, [], 2)


def test_ego_facebook_layers_from_user_0():
    path = shared_file("snap", "facebook_combined.txt")
    edges = pd.read_csv(path, sep=" ", header=None, names=["a", "b"], dtype=str, comment="#")
    ids = pd.unique(pd.concat([edges.a, edges.b]))
    graph = FriendGraph.from_edges(ids, edges.a.to_numpy(object), edges.b.to_numpy(object))
    result = reach_memory(graph, ["0"], 6, per_seed=False)
    assert result.per_hop == [1, 347, 1171, 1742, 519, 117, 142]
    g = graph.to_networkx()
    rng = np.random.default_rng(0)
    for _ in range(5):
        seeds = list(rng.choice(ids, 4, replace=False))
        assert reach_memory(graph, seeds, 4, per_seed=False).per_hop == oracle_per_hop(g, seeds, 4)


# --------------------------------------------------------------------------- Neo4j parity

def load_graph(runner, graph: FriendGraph, root) -> np.ndarray:
    """Load ``graph`` into Neo4j through a snapshot at ``root``; returns its user ids."""
    src = np.repeat(np.arange(graph.n_users), np.diff(graph.indptr))
    keep = src < graph.indices
    ids = graph.user_ids.to_numpy()
    root.mkdir()
    pd.DataFrame({"user_id": ids}).to_csv(root / "users.csv", index=False)
    pd.DataFrame({"user_a": ids[src[keep]], "user_b": ids[graph.indices[keep]]}).to_csv(
        root / "friendships.csv", index=False)
    load_snapshot(runner, read_snapshot(root))
    return ids


@pytest.mark.neo4j
def test_cypher_engine_matches_memory_and_networkx(runner, tmp_path):
    graph = random_graph(400, 1100, seed=11)
    ids = load_graph(runner, graph, tmp_path / "s")
    projected = project_neo4j(runner)
    assert projected.n_friendships == graph.n_friendships
    g = graph.to_networkx()
    rng = np.random.default_rng(3)
    for _ in range(4):
        seeds = list(rng.choice(ids, int(rng.integers(1, 6)), replace=False))
        hops = int(rng.integers(1, 7))
        cy = reach_neo4j(runner, seeds, hops)
        mem = reach_memory(graph, seeds, hops)
        via = reach_memory(projected, seeds, hops)
        assert cy.per_hop == mem.per_hop == via.per_hop == oracle_per_hop(g, seeds, hops)
        assert cy.to_dict()["per_seed"] == mem.to_dict()["per_seed"]
        assert cy.to_dict()["overlap"] == mem.to_dict()["overlap"]
        # per seed, against networkx; reach/seed_reach (for `diffusion query`) agrees
        for row in cy.to_dict()["per_seed"]:
            ball = nx.single_source_shortest_path_length(g, row["user_id"], cutoff=hops)
            assert row["reach"] == len(ball) - 1
            got = runner.run("reach/seed_reach", slots={"hops": hops}, seed=row["user_id"])
            assert sorted(got[0]["users"]) == sorted(u for u in ball if u != row["user_id"])


@pytest.mark.neo4j
def test_cypher_per_seed_reach_does_not_cost_a_query_per_seed(runner, tmp_path,
                                                                         monkeypatch):
    graph = random_graph(500, 1500, seed=21)
    ids = load_graph(runner, graph, tmp_path / "s")
    calls: list[str] = []
    run = runner.run

    def spy(module, *args, **params):
        calls.append(module)
        return run(module, *args, **params)

    monkeypatch.setattr(runner, "run", spy)
    for n in (3, 60):
        seeds = list(np.random.default_rng(n).choice(ids, n, replace=False))
        calls.clear()
        cy = reach_neo4j(runner, seeds, 3)
        assert cy.to_dict()["per_seed"] == reach_memory(graph, seeds, 3).to_dict()["per_seed"]
        assert "reach/seed_reach" not in calls and calls.count("reach/ball_friendships") == 1
        # seed lookup, user count, every user's node id, one query per hop, the ball
        assert len(calls) <= 4 + 3, calls


@pytest.mark.neo4j
@pytest.mark.parametrize("ratio, split_min", [(0, 10**9), (10**9, 1), (4, 1)],
                         ids=["top-down", "bottom-up-split", "switching-split"])
def test_cypher_bfs_directions_and_splits_give_the_same_levels(runner, tmp_path, monkeypatch,
                                                                ratio, split_min):
    monkeypatch.setattr("analyzer.reach.BOTTOM_UP_RATIO", ratio)
    monkeypatch.setattr("analyzer.reach.CYPHER_SPLIT_MIN", split_min)
    graph = random_graph(300, 700, seed=5)
    ids = load_graph(runner, graph, tmp_path / "s")
    g = graph.to_networkx()
    forms = set()  # how bottom-up hops were sent: with the frontier, or as its complement
    run = runner.run

    def spy(module, *args, **params):
        if module == "reach/frontier_bottom_up":
            forms.add("complement" if params["frontier"] is None else "frontier")
        return run(module, *args, **params)

    monkeypatch.setattr(runner, "run", spy)
    rng = np.random.default_rng(8)
    for _ in range(3):
        seeds = list(rng.choice(ids, int(rng.integers(1, 8)), replace=False))
        got = reach_neo4j(runner, seeds, 6, per_seed=False).per_hop
        assert got == oracle_per_hop(g, seeds, 6)
    assert forms == ({"complement", "frontier"} if ratio else set())


@pytest.mark.neo4j
def test_the_servers_projection_equals_the_cypher_modules(runner, tmp_path, monkeypatch):
    """The memory engine's graph from the server's projection (diffusion.friendships) is
    the one the Cypher modules give, array for array, including a friendship with oneself
    and a second friendship between the same two users (written directly: the loader
    refuses both), and when the answer comes in many records."""
    graph = random_graph(400, 1100, seed=13)
    load_graph(runner, graph, tmp_path / "s")
    with runner._session() as session:
        session.run("MATCH (a:User {user_id: 'u1'}) CREATE (a)-[:FRIEND]->(a)").consume()
        session.run("MATCH (a:User {user_id: 'u2'}), (b:User {user_id: 'u3'}) "
                    "CREATE (a)-[:FRIEND]->(b)").consume()
    asked = []
    run = runner.run
    monkeypatch.setattr(runner, "run", lambda module, *a, **kw: (asked.append(module),
                                                                  run(module, *a, **kw))[1])
    cypher = G.project_cypher(runner)
    for server in (project_neo4j(runner), G._project_procedure(runner, 50)):
        assert list(server.user_ids) == list(cypher.user_ids)
        np.testing.assert_array_equal(server.indptr, cypher.indptr)
        np.testing.assert_array_equal(server.indices, cypher.indices)
    assert cypher.n_friendships == graph.n_friendships + 2
    assert "procedures/friendships" in asked


@pytest.mark.neo4j
def test_cypher_reach_from_every_sample_user_matches_memory(runner):
    """On the sample the BFS goes bottom-up, then top-down, then bottom-up again (a dense
    circle, then a chain): the users a top-down hop finds must leave the list of unreached
    users, or the next bottom-up hop finds them again (u01's reach was 8, not 9)."""
    snap = read_snapshot(SAMPLE)
    load_snapshot(runner, snap)
    graph = project_snapshot(snap)
    g = graph.to_networkx()
    for user in snap["users"]["user_id"]:
        cy, mem = reach_neo4j(runner, [user], 6), reach_memory(graph, [user], 6)
        assert cy.per_hop == mem.per_hop == oracle_per_hop(g, [user], 6), user
        want = len(nx.single_source_shortest_path_length(g, user, cutoff=6)) - 1
        assert cy.to_dict()["per_seed"] == mem.to_dict()["per_seed"], user
        assert cy.to_dict()["per_seed"][0]["reach"] == want, user


@pytest.mark.neo4j
def test_cypher_plans_do_not_enumerate_paths(runner):
    frontier_ops = runner.explain("reach/frontier", frontier=[0])
    assert not any(op.startswith("VarLengthExpand(All)") for op in frontier_ops)
    bottom_up_ops = runner.explain("reach/frontier_bottom_up", candidates=[0], lo=0, hi=1,
                                   frontier=[1])
    assert not any(op.startswith("VarLengthExpand") for op in bottom_up_ops), bottom_up_ops
    seed_ops = runner.explain("reach/seed_reach", slots={"hops": 6}, seed="u1")
    assert not any(op.startswith("VarLengthExpand(All)") for op in seed_ops), seed_ops
    assert any("Pruning" in op or "BFS" in op for op in seed_ops), seed_ops


@pytest.mark.neo4j
def test_cli_reach_product_roles_both_engines(cli_run, runner):
    load_snapshot(runner, read_snapshot(SAMPLE))
    docs = []
    for extra in ([], ["--engine", "memory"], ["--snapshot", str(SAMPLE)]):
        result = cli_run("reach", "p-tea", "--from", "promoters,sharers", "--hops", "2",
                         "--format", "json", *extra)
        assert result.exit_code == 0, result.output
        doc = json.loads(result.stdout)
        docs.append({k: v for k, v in doc.items() if k != "engine"})
    assert docs[0] == docs[1] == docs[2]
    # promoters u01; sharers u01, u02, u03, u05: seeds {u01, u02, u03, u05}
    assert docs[0]["seeds"] == 4 and docs[0]["per_hop"] == [4, 2, 1]


@pytest.mark.neo4j
def test_cli_reach_errors(cli_run, runner):
    load_snapshot(runner, read_snapshot(SAMPLE))
    unknown = cli_run("reach", "--users", "u01,ghost")
    assert unknown.exit_code == 1 and "unknown user id(s): ghost" in unknown.stderr
    empty = cli_run("reach", "p-jade", "--from", "buyers,sharers", "--hops", "2")
    assert empty.exit_code == 0  # jade has buyers and sharers
    none = cli_run("reach", "p-jade", "--from", "endorsers")
    assert none.exit_code == 0
    nobody = cli_run("reach", "p-jade", "--from", "promoters", "--snapshot", str(SAMPLE))
    assert nobody.exit_code == 0
    no_product = cli_run("reach", "p-none")
    assert no_product.exit_code == 1 and "unknown product 'p-none'" in no_product.stderr


def test_cli_reach_empty_role_is_a_message(offline_cli, tmp_path):
    from .conftest import write_tables

    write_tables(tmp_path, products="product_id\np1\n")
    result = offline_cli("reach", "p1", "--snapshot", str(tmp_path))
    assert result.exit_code == 1
    assert "has no users in role(s) promoters" in result.stderr


def test_cli_users_file(offline_cli, tmp_path):
    f = tmp_path / "seeds.txt"
    f.write_text("user_id\nu01\n\nu07\n", encoding="utf-8")
    result = offline_cli("reach", "--users-file", str(f), "--snapshot", str(SAMPLE), "--hops",
                         "3", "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1:] == ["0,2,0,0.0", "1,5,5,0.4166666666666667",
                                              "2,2,7,0.5833333333333334",
                                              "3,1,8,0.6666666666666666"]
    missing = offline_cli("reach", "--users-file", str(tmp_path / "nope"), "--snapshot",
                          str(SAMPLE))
    assert missing.exit_code == 1 and "users file does not exist" in missing.stderr


def test_dense_graph_takes_the_bottom_up_branch_and_still_matches():
    graph = random_graph(3000, 60000, seed=21)  # mean degree 40: middle levels go bottom-up
    g = graph.to_networkx()
    seeds = list(graph.user_ids[[0, 7, 99]])
    for hops in (1, 2, 3, 6):
        assert reach_memory(graph, seeds, hops, per_seed=False).per_hop == oracle_per_hop(
            g, seeds, hops)


@pytest.mark.parametrize("trial", range(6))
def test_parallel_bfs_steps_match_networkx_on_any_thread_count(trial):
    """Every top-down level in parallel (threshold 0) and odd chunkings: the distances
    equal networkx's layers, on one thread and on all of them."""
    import numba

    from analyzer.kernels import bfs_levels

    rng = np.random.default_rng(trial)
    n = int(rng.integers(200, 3000))
    graph = random_graph(n, int(n * rng.uniform(1.0, 8.0)), seed=trial)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    for v in range(n):
        g.add_edges_from((v, int(u)) for u in graph.indices[graph.indptr[v]:graph.indptr[v + 1]])
    seeds = np.unique(rng.integers(0, n, int(rng.integers(1, 20)))).astype(np.int64)
    hops = int(rng.integers(1, 12))
    want = oracle_per_hop(g, seeds.tolist(), hops)
    before = numba.get_num_threads()
    try:
        for threads in {1, before}:
            numba.set_num_threads(threads)
            for chunks in (1, 3, 16):
                dist = bfs_levels(graph.indptr, graph.indices, graph.indptr, graph.indices, seeds,
                                  hops, chunks, 0)
                got = np.bincount(dist[dist >= 0], minlength=hops + 1)[: hops + 1].tolist()
                assert got == want, (threads, chunks)
    finally:
        numba.set_num_threads(before)


def test_table_title_names_the_engine(offline_cli):
    result = offline_cli("reach", "--users", "u01", "--snapshot", str(SAMPLE), "--hops", "2")
    assert "[memory]" in result.stdout.splitlines()[0]


@pytest.mark.parametrize("ascending", [True, False])
def test_csr_by_counting_sort_equals_the_sorted_arcs(ascending):
    """csr_from_pairs (a counting sort, then each row sorted) gives the arrays a global
    sort of the arcs gives: by (source, target), or by source keeping the listed order."""
    from analyzer.graph import csr_from_pairs

    rng = np.random.default_rng(5)
    n = 2_000
    a, b = rng.integers(0, n, 20_000), rng.integers(0, n, 20_000)
    src, dst = np.concatenate([a, b]), np.concatenate([b, a])
    order = np.argsort(src * n + dst) if ascending else np.argsort(src, kind="stable")
    for x, y in ((a, b), (a.astype(np.int32), b.astype(np.int32))):
        indptr, indices = csr_from_pairs(n, x, y, ascending=ascending)
        np.testing.assert_array_equal(indptr[1:], np.cumsum(np.bincount(src, minlength=n)))
        np.testing.assert_array_equal(indices, dst[order])
        assert indices.dtype == np.int32 and indptr.dtype == np.int64


@pytest.mark.parametrize("given,kept", [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_kernels_wait_passively_unless_told_otherwise(given, kept):
    """OpenMP's idle threads sleep instead of spinning (a spinning thread slowed reach 3x
    when another process held a core); a policy the user set stays."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if given is not None:
        env["OMP_WAIT_POLICY"] = given
    done = subprocess.run([sys.executable, "-c", "import os, analyzer; "
                           "print(os.environ['OMP_WAIT_POLICY'])"],
                          capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == kept
