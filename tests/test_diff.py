"""`diffusion diff` on Coleman's two waves and on two generated snapshots."""

from __future__ import annotations

import json

import networkx as nx
import pytest

from analyzer.api import open_snapshot
from analyzer.diff import clustering, diff_snapshots
from analyzer.importers import import_edgelist

from .conftest import shared_file


@pytest.fixture(scope="module")
def waves(tmp_path_factory):
    root = tmp_path_factory.mktemp("coleman")
    import_edgelist([shared_file("coleman", "fall_1957.csv")], root / "fall")
    import_edgelist([shared_file("coleman", "spring_1958.csv")], root / "spring")
    return root / "fall", root / "spring"


def _nx(path):
    import csv

    g = nx.Graph()
    with open(path / "friendships.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            g.add_edge(row["user_a"], row["user_b"])
    return g


def test_coleman_waves(waves):
    fall, spring = waves
    a, b = open_snapshot(fall), open_snapshot(spring)
    r = diff_snapshots(a, b, users=["1", "2", "3"])
    ga, gb = _nx(fall), _nx(spring)
    ea = {frozenset(e) for e in ga.edges()}
    eb = {frozenset(e) for e in gb.edges()}
    assert r.friendships == {"a": len(ea), "b": len(eb), "added": len(eb - ea),
                             "removed": len(ea - eb), "kept": len(ea & eb)}
    net = r.network.set_index("measure")
    assert net.loc["average_clustering", "a"] == pytest.approx(nx.average_clustering(ga))
    assert net.loc["average_clustering", "b"] == pytest.approx(nx.average_clustering(gb))
    assert net.loc["transitivity", "b"] == pytest.approx(nx.transitivity(gb))
    # reach from the same seeds, checked against networkx BFS layers in each wave
    seeds = [s for s in ["1", "2", "3"] if s in ga and s in gb]
    for g, col in ((ga, "a"), (gb, "b")):
        layers = [len(x) for x in nx.bfs_layers(g, seeds)][:7]
        assert r.reach[col].tolist()[:len(layers)] == layers


def test_clustering_matches_networkx_on_a_random_graph():
    from analyzer.graph import FriendGraph

    g = nx.powerlaw_cluster_graph(400, 4, 0.4, seed=3)
    a, b = zip(*g.edges())
    graph = FriendGraph.from_edges(list(g.nodes()), list(a), list(b))
    c = clustering(graph)
    assert c["average_clustering"] == pytest.approx(nx.average_clustering(g))
    assert c["transitivity"] == pytest.approx(nx.transitivity(g))


def test_two_generated_snapshots_with_a_product(tmp_path, offline_cli):
    from analyzer.generate import GeneratorParams, generate_snapshot

    generate_snapshot(GeneratorParams(users=3000, products=2, seed=1), tmp_path / "a")
    generate_snapshot(GeneratorParams(users=3000, products=2, seed=1, public_share=0.5,
                                      curve_p_max=0.1), tmp_path / "b")
    res = offline_cli("diff", str(tmp_path / "a"), str(tmp_path / "b"), "--product", "p0",
                      "--min-users", "5", "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    # same seed, same graph: nothing added or removed; the diffusion differs
    assert doc["friendships"]["added"] == 0 and doc["friendships"]["removed"] == 0
    assert doc["reach"] is not None and doc["reach"][0]["a"] == doc["reach"][0]["b"]
    assert doc["curve"] and doc["cascades"]
    assert {"k", "p_a", "p_b", "change"} <= set(doc["curve"][0])


def test_diff_unknown_product_is_an_error(waves, offline_cli):
    fall, spring = waves
    res = offline_cli("diff", str(fall), str(spring), "--product", "nope")
    assert res.exit_code == 1 and "not in snapshot A" in res.output


def test_follows_added_and_removed_are_ordered_pairs(tmp_path):
    """b following a and a following b are two follows: reversing one is one removed and
    one added. Without follows every count is 0."""
    from .conftest import write_tables

    users = "user_id\na\nb\nc\n"
    a = write_tables(tmp_path / "a", users=users,
                     follows="follower_id,followee_id\nb,a\nc,a\n")
    b = write_tables(tmp_path / "b", users=users,
                     follows="follower_id,followee_id\na,b\nc,a\nc,b\n")
    r = diff_snapshots(open_snapshot(a), open_snapshot(b))
    assert r.follows == {"a": 2, "b": 3, "added": 2, "removed": 1, "kept": 1}
    assert r.to_dict()["follows"] == r.follows
    assert "follows" in set(r.tables()[0][1]["what"])
    none = diff_snapshots(open_snapshot(write_tables(tmp_path / "c")),
                          open_snapshot(write_tables(tmp_path / "d")))
    assert none.follows == {"a": 0, "b": 0, "added": 0, "removed": 0, "kept": 0}
