"""Degrees of separation against networkx and hand-computed values."""

from __future__ import annotations

import json
from collections import Counter

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from analyzer.errors import InputError
from analyzer.graph import FriendGraph
from analyzer.separation import degrees_of_separation

from .conftest import SAMPLE, shared_file
from .test_reach import random_graph


def test_path_of_four_by_hand():
    ids = np.array(["a", "b", "c", "d"], dtype=object)
    g = FriendGraph.from_edges(ids, ids[:-1], ids[1:])
    r = degrees_of_separation(g, max_hops=3)
    # ordered pairs: 6 at distance 1, 4 at 2, 2 at 3, out of 12
    assert r.method == "exact" and r.within == pytest.approx([0.5, 10 / 12, 1.0])
    assert r.mean_distance == pytest.approx((6 + 8 + 6) / 12)
    assert r.effective_diameter == pytest.approx(2 + (0.9 - 10 / 12) / (1 - 10 / 12))
    assert (r.connected, r.diameter_seen) == (1.0, 3)


@pytest.mark.parametrize("trial", range(5))
def test_exact_matches_networkx_on_random_graphs(trial):
    graph = random_graph(60 + 20 * trial, 90 + 30 * trial, seed=100 + trial)
    g = graph.to_networkx()
    dist = Counter(d for s, row in nx.all_pairs_shortest_path_length(g) for t, d in row.items()
                   if s != t)
    n = graph.n_users
    r = degrees_of_separation(graph, max_hops=6)
    cumulative = np.cumsum([dist.get(h, 0) for h in range(1, 7)]) / (n * (n - 1))
    assert r.within == pytest.approx(cumulative.tolist())
    total = sum(dist.values())
    assert r.connected == pytest.approx(total / (n * (n - 1)))
    assert r.mean_distance == pytest.approx(sum(d * c for d, c in dist.items()) / total)
    assert r.diameter_seen == max(dist)


def test_ego_facebook_exact_and_sampled():
    path = shared_file("snap", "facebook_combined.txt")
    edges = pd.read_csv(path, sep=" ", header=None, names=["a", "b"], dtype=str, comment="#")
    ids = pd.unique(pd.concat([edges.a, edges.b]))
    graph = FriendGraph.from_edges(ids, edges.a.to_numpy(object), edges.b.to_numpy(object))
    exact = degrees_of_separation(graph)
    # networkx average_shortest_path_length gives 3.6925068...; SNAP reports diameter 8
    assert exact.mean_distance == pytest.approx(3.6925068496963913, rel=1e-12)
    assert exact.diameter_seen == 8 and exact.connected == 1.0
    sampled = degrees_of_separation(graph, sample=400, seed=1)
    assert sampled.method == "sampled" and sampled.sources == 400
    lo, hi = sampled.mean_distance_ci
    assert lo <= exact.mean_distance <= hi
    for (lo, hi), value in zip(sampled.within_ci, exact.within):
        assert lo <= value <= hi


def test_sampling_is_reproducible():
    graph = random_graph(800, 2400, seed=9)
    a = degrees_of_separation(graph, sample=50, seed=4).to_dict()
    b = degrees_of_separation(graph, sample=50, seed=4).to_dict()
    assert a == b


def test_bad_hops_and_tiny_graph():
    ids = np.array(["a"], dtype=object)
    with pytest.raises(InputError, match="at least two users"):
        degrees_of_separation(FriendGraph.from_edges(ids, ids[:0], ids[:0]))
    with pytest.raises(InputError, match="max_hops must be from 1 to 12"):
        degrees_of_separation(random_graph(10, 10, seed=1), max_hops=0)


def test_cli_degrees_snapshot(offline_cli):
    result = offline_cli("degrees", "--snapshot", str(SAMPLE), "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    # the sample's 14 friendships connect all 12 users: 28 of 132 ordered pairs are friends
    assert doc["method"] == "exact" and doc["connected"] == 1.0
    assert doc["within"][0]["fraction"] == pytest.approx(28 / (12 * 11))
