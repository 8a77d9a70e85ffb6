"""Influence over directed follows (followee -> follower) beside undirected friendships:
exact enumeration, the two engines, parallel arcs, and real directed data."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from click.testing import CliRunner

from analyzer import simulate as S
from analyzer.api import Session, open_snapshot
from analyzer.cli import cli
from analyzer.errors import InputError
from analyzer.graph import FriendGraph, with_follows

from .conftest import shared_file, write_tables


def chain(tmp_path, friendships="user_a,user_b\n", **extra):
    """b follows a and c follows b, each for sure: influence runs a -> b -> c only."""
    return write_tables(tmp_path, users="user_id\na\nb\nc\n", friendships=friendships,
                        follows="follower_id,followee_id,probability\nb,a,1.0\nc,b,1.0\n",
                        **extra)


def test_influence_flows_from_followee_to_follower(tmp_path):
    s = open_snapshot(chain(tmp_path))
    assert s.simulate(users=["a"], p="column", over="follows").mean == 3
    assert s.simulate(users=["c"], p="column", over="follows").mean == 1
    assert s.simulate(users=["a"], p="column", over="friendships").mean == 1
    both = s.simulate(users=["a"], p="column")
    assert both.mean == 3 and both.over == "both" and both.to_dict()["over"] == "both"


def test_without_follows_both_is_friendships(tmp_path):
    s = open_snapshot(write_tables(tmp_path))
    assert s.tie_graph("both") is s.graph
    r = s.simulate(users=["a"], p=0.5, runs=500)
    assert r.over == "friendships"
    assert r.mean == s.simulate(users=["a"], p=0.5, runs=500, over="friendships").mean


def test_a_friendship_and_a_follow_on_one_arc_combine_as_independent_chances(tmp_path):
    s = open_snapshot(write_tables(
        tmp_path, users="user_id\na\nb\n", friendships="user_a,user_b,probability\na,b,0.5\n",
        follows="follower_id,followee_id,probability\nb,a,0.5\n"))
    g = s.tie_graph("both")
    assert g.directed and g.n_arcs == 2  # a -> b once, b -> a from the friendship
    runs = 40_000
    both = s.simulate(users=["a"], p="column", runs=runs)
    assert abs(both.mean - 1.75) < 4 * both.stderr  # 1 + (1 - 0.5 * 0.5)
    back = s.simulate(users=["b"], p="column", runs=runs)
    assert abs(back.mean - 1.5) < 4 * back.stderr  # only the friendship carries b -> a


@pytest.mark.parametrize("trial", range(3))
def test_directed_ic_and_rr_sets_match_exact_enumeration(trial):
    """A random directed graph with per-arc probabilities: the forward runs and the RR
    estimate of every single seed match the expectation over every live-arc world, and
    OPIM-C picks the best single seed."""
    rng = np.random.default_rng(trial)
    g = nx.gnm_random_graph(7, 11, seed=trial, directed=True)
    arcs = [(u, v, float(rng.uniform(0.1, 0.9))) for u, v in g.edges()]
    empty = FriendGraph.from_edges(list(range(7)), [], [])
    graph = with_follows(empty, np.array([u for u, _, _ in arcs]),
                         np.array([v for _, v, _ in arcs]), "follows")
    forward = graph.combined_arc_values(np.array([u for u, _, _ in arcs]),
                                        np.array([v for _, v, _ in arcs]),
                                        np.array([p for _, _, p in arcs]))
    weights = (forward, S.reverse_arcs(graph, forward))
    exact = [S.exact_ic_spread(7, arcs, [v]) for v in range(7)]
    for v in range(7):
        r = S.simulate(graph, [v], runs=50_000, seed=trial, weights=forward)
        assert abs(r.mean - exact[v]) < 4 * r.stderr + 1e-9, (v, r.mean, exact[v])
    pick = S.opim(graph, 1, weights=weights, eps=0.1, seed=trial)
    best = int(np.argmax(exact))
    second = sorted(exact)[-2]
    if exact[best] - second > 0.05:
        assert int(pick["seeds"][0]) == best
    assert abs(pick["estimate"] - exact[int(pick["seeds"][0])]) < 0.1 * exact[best] + 0.05


def test_exhaustive_k2_on_a_directed_graph_within_the_guarantee():
    """k = 2 on a 9-user directed graph: the exhaustive optimum by exact enumeration; the
    OPIM-C pick reaches at least 1 - 1/e - eps of it (in fact all of it here)."""
    rng = np.random.default_rng(3)
    g = nx.gnm_random_graph(9, 14, seed=3, directed=True)
    arcs = [(u, v, float(rng.uniform(0.2, 0.8))) for u, v in g.edges()]
    src, dst = np.array([a[0] for a in arcs]), np.array([a[1] for a in arcs])
    graph = with_follows(FriendGraph.from_edges(list(range(9)), [], []), src, dst, "follows")
    forward = graph.combined_arc_values(src, dst, np.array([a[2] for a in arcs]))
    best = max(S.exact_ic_spread(9, arcs, list(pair))
               for pair in itertools.combinations(range(9), 2))
    pick = S.opim(graph, 2, weights=(forward, S.reverse_arcs(graph, forward)), eps=0.1)
    got = S.exact_ic_spread(9, arcs, [int(x) for x in pick["seeds"]])
    assert got >= (1 - 1 / np.e - 0.1) * best
    assert got >= 0.97 * best


def test_over_is_checked(tmp_path):
    s = open_snapshot(chain(tmp_path))
    with pytest.raises(InputError) as err:
        s.simulate(users=["a"], over="everyone")
    assert err.value.field == "over"
    result = CliRunner().invoke(cli, ["simulate", "--users", "a", "--over", "everyone",
                                      "--snapshot", str(tmp_path)])
    assert result.exit_code == 2 and "--over" in result.output


def test_history_refuses_follows(tmp_path):
    s = open_snapshot(chain(tmp_path))
    with pytest.raises(InputError) as err:
        s.simulate(users=["a"], p="history")
    assert err.value.field == "p" and "over" in str(err.value)


def test_column_needs_every_follow_to_have_a_probability(tmp_path):
    write_tables(tmp_path, users="user_id\na\nb\nc\n", friendships="user_a,user_b\n",
                 follows="follower_id,followee_id,probability\nb,a,0.5\nc,b,\n")
    result = CliRunner().invoke(cli, ["simulate", "--users", "a", "--p", "column",
                                      "--snapshot", str(tmp_path)])
    assert result.exit_code == 1
    assert "follows.csv" in result.output and ":3" in result.output
    assert "probability" in result.output
    # weighted cascade needs no stored value: 1 / in-degree, b and c each follow one user
    s = open_snapshot(tmp_path)
    assert s.simulate(users=["a"], over="follows").mean == 3


def test_promoters_over_follows_pick_the_followee(tmp_path):
    """A star of followers around s: over follows s is the pick; over friendships
    (there are none) no one reaches anybody."""
    followers = "".join(f"f{i},s,0.9\n" for i in range(8))
    users = "user_id\ns\n" + "".join(f"f{i}\n" for i in range(8))
    write_tables(tmp_path, users=users, friendships="user_a,user_b\n",
                 follows="follower_id,followee_id,probability\n" + followers)
    result = CliRunner().invoke(cli, ["promoters", "--k", "1", "--p", "column",
                                      "--snapshot", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    import json

    doc = json.loads(result.stdout)
    assert doc["seeds"] == ["s"] and doc["over"] == "both"
    assert abs(doc["spread"] - (1 + 8 * 0.9)) < 4 * doc["spread_stderr"] + 0.01
    flat = open_snapshot(tmp_path).promoters(1, p="column", over="friendships",
                                             method="degree")
    assert flat.spread == 1 and flat.over == "friendships"


@pytest.mark.neo4j
def test_follows_on_neo4j_equal_the_snapshot(runner, tmp_path):
    """Loaded into Neo4j, the same follows project the same arrays and give the same
    numbers, run for run."""
    from analyzer.graphdb import load_snapshot
    from analyzer.snapshot import read_snapshot

    from .test_graphdb import with_follows as sample_with_follows

    path = sample_with_follows(tmp_path)
    load_snapshot(runner, read_snapshot(path), replace=True)
    local = open_snapshot(path)
    with Session(runner=runner) as remote:
        for over in ("follows", "both"):
            a, b = local.tie_graph(over), remote.tie_graph(over)
            assert list(a.user_ids) == list(b.user_ids)
            for name in ("indptr", "indices", "rev_indptr", "rev_indices"):
                np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        want = local.simulate(users=["u02"], p=0.3, runs=2000)
        got = remote.simulate(users=["u02"], p=0.3, runs=2000)
        assert want.over == got.over == "both"
        np.testing.assert_array_equal(want.spreads, got.spreads)
        pick_a = local.promoters(2, p=0.3, seed=1)
        pick_b = remote.promoters(2, p=0.3, seed=1)
        assert pick_a.seeds == pick_b.seeds and pick_a.spread == pick_b.spread


def test_nethept_directed_pick_beats_top_degree(tmp_path):
    """NetHEPT read as follows with the file's own probabilities, k = 50: the OPIM-C
    pick, run forward, clearly beats the top-degree seeds."""
    from analyzer.importers import import_edgelist

    import_edgelist([shared_file("snap", "NetHEPT.txt")], tmp_path / "hept", directed=True)
    s = open_snapshot(tmp_path / "hept")
    result = s.promoters(50, p="column", runs=2000, seed=0, best_of=False)
    assert result.over == "both" and s.tie_graph("both").directed
    degree = next(b for b in result.baselines if b["name"] == "degree")
    gap = result.spread - degree["spread"]
    assert gap > 4 * np.hypot(result.spread_stderr, degree["spread_stderr"]), (
        result.spread, degree)


def test_reach_follows_the_arcs_of_influence(tmp_path):
    s = open_snapshot(chain(tmp_path, friendships="user_a,user_b\na,b\n"))  # and a - b friends
    assert s.reach(users=["a"], hops=2, over="follows").per_hop == [1, 1, 1]
    assert s.reach(users=["c"], hops=2, over="follows").per_hop == [1, 0, 0]
    assert s.reach(users=["a"], hops=2, over="friendships").per_hop == [1, 1, 0]
    both = s.reach(users=["b"], hops=2)
    assert both.per_hop == [1, 2, 0] and both.to_dict()["over"] == "both"
    assert "over both" in both.tables()[0][0]
    flat = open_snapshot(write_tables(tmp_path / "flat")).reach(users=["a"], hops=2)
    assert flat.over == "friendships" and flat.per_hop == [1, 1, 1]


def mixed_snapshot(root, n: int, friendships: int, follows: int, seed: int):
    """A random snapshot of friendships and follows, and the same graph in networkx (arcs
    as influence flows: a friendship both ways, followee -> follower)."""
    friends = nx.gnm_random_graph(n, friendships, seed=seed)
    arcs = nx.gnm_random_graph(n, follows, seed=seed + 1, directed=True)
    ids = [f"u{i:04d}" for i in range(n)]
    write_tables(root, users="user_id\n" + "".join(f"{u}\n" for u in ids),
                 friendships="user_a,user_b\n" + "".join(
                     f"{ids[a]},{ids[b]}\n" for a, b in friends.edges()),
                 follows="follower_id,followee_id\n" + "".join(
                     f"{ids[b]},{ids[a]}\n" for a, b in arcs.edges()))
    oracles = {}
    for over in ("friendships", "follows", "both"):
        g = nx.DiGraph()
        g.add_nodes_from(ids)
        if over != "follows":
            g.add_edges_from((ids[a], ids[b]) for a, b in friends.edges())
            g.add_edges_from((ids[b], ids[a]) for a, b in friends.edges())
        if over != "friendships":
            g.add_edges_from((ids[a], ids[b]) for a, b in arcs.edges())
        oracles[over] = g
    return ids, oracles


@pytest.mark.parametrize("trial", range(4))
def test_reach_over_ties_matches_networkx(tmp_path, trial):
    """Per hop, per seed and unique reach along directed arcs equal networkx's, on graphs
    dense enough that the BFS turns bottom-up (which must then look at incoming arcs)."""
    from .test_reach import oracle_per_hop, oracle_per_seed

    rng = np.random.default_rng(trial)
    n = int(rng.integers(100, 600))
    ids, oracles = mixed_snapshot(tmp_path, n, int(n * rng.uniform(0.5, 3)),
                                  int(n * rng.uniform(2, 8)), seed=trial)
    s = open_snapshot(tmp_path)
    for over, g in oracles.items():
        seeds = sorted(rng.choice(ids, int(rng.integers(1, 12)), replace=False).tolist())
        hops = int(rng.integers(1, 7))
        got = s.reach(users=seeds, hops=hops, over=over, overlap=False)
        assert got.per_hop == oracle_per_hop(g, seeds, hops), over
        want, _ = oracle_per_seed(g, seeds, hops)
        assert {r.user_id: (r.reach, r.unique_reach) for r in got.per_seed.itertuples()} == want


@pytest.mark.neo4j
@pytest.mark.parametrize("ratio, split_min", [(0, 10**9), (10**9, 1), (4, 1)],
                         ids=["top-down", "bottom-up-split", "switching-split"])
def test_reach_over_ties_on_neo4j_equals_the_snapshot(runner, tmp_path, monkeypatch, ratio,
                                                      split_min):
    """The database's BFS over FOLLOWS (and FRIEND) gives the snapshot's numbers, per hop,
    per seed and pairwise, whichever way its hops run."""
    from analyzer.graphdb import load_snapshot
    from analyzer.snapshot import read_snapshot

    from .test_reach import oracle_per_hop

    monkeypatch.setattr("analyzer.reach.BOTTOM_UP_RATIO", ratio)
    monkeypatch.setattr("analyzer.reach.CYPHER_SPLIT_MIN", split_min)
    ids, oracles = mixed_snapshot(tmp_path, 300, 250, 1200, seed=11)
    load_snapshot(runner, read_snapshot(tmp_path), replace=True)
    local = open_snapshot(tmp_path)
    rng = np.random.default_rng(3)
    with Session(runner=runner) as remote:
        for over in ("follows", "both"):
            seeds = sorted(rng.choice(ids, 5, replace=False).tolist())
            want = local.reach(users=seeds, hops=4, over=over)
            got = remote.reach(users=seeds, hops=4, over=over)
            assert got.engine == "neo4j" and got.over == over
            assert got.per_hop == want.per_hop == oracle_per_hop(oracles[over], seeds, 4)
            assert got.to_dict()["per_seed"] == want.to_dict()["per_seed"]
            assert got.to_dict()["overlap"] == want.to_dict()["overlap"]


def test_pagerank_on_follows_walks_against_influence():
    """On a directed graph the walk steps from a follower to whom it follows: networkx's
    PageRank of the reversed arcs, dangling users spread evenly."""
    g = nx.gnm_random_graph(300, 1500, seed=4, directed=True)
    g.remove_nodes_from([5, 6])  # users with no arcs at all stay in the graph below
    empty = FriendGraph.from_edges(list(range(300)), [], [])
    src, dst = (np.array(x) for x in zip(*g.edges()))
    graph = with_follows(empty, src, dst, "follows")
    want = nx.pagerank(nx.DiGraph(graph.to_networkx()).reverse(), tol=1e-12, weight=None)
    np.testing.assert_allclose(S.pagerank(graph), [want[i] for i in range(300)], atol=1e-9)
