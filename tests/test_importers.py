"""Importers: every dirt rule on small hand-written files, then the real datasets."""

from __future__ import annotations

import json
import math

import networkx as nx
import pandas as pd
import pytest

from analyzer.errors import InputError
from analyzer.graphdb import graph_stats, load_snapshot
from analyzer.importers import (import_cascades, import_edgelist, import_networkx,
                                import_retweet_trees)
from analyzer.snapshot import read_snapshot, validate_snapshot

from .conftest import shared_file


def pairs(out) -> set[frozenset]:
    f = pd.read_csv(out / "friendships.csv", dtype=str)
    return set(map(frozenset, f[["user_a", "user_b"]].to_numpy()))


# --------------------------------------------------------------------------- edgelist


def test_edgelist_comments_separators_loops_and_duplicates(tmp_path):
    src = tmp_path / "g.txt"
    src.write_text("# a comment\n1 2\n2\t3\n3 3\n2 1\n1 2\n\n4,5\n")
    s = import_edgelist([src], tmp_path / "out")
    assert pairs(tmp_path / "out") == {frozenset("12"), frozenset("23"), frozenset("45")}
    assert s.dropped["self-loops"] == 1
    assert s.merged["arcs merged into an existing pair"] == 2
    assert s.kept == {"lines read": 6, "users": 5, "friendships": 3}
    assert validate_snapshot(tmp_path / "out")[1].ok


def test_edgelist_header_and_probabilities_combine(tmp_path):
    src = tmp_path / "g.txt"
    src.write_text("3 3\n0 1 0.5\n1 0 0.5\n1 2 0.2\n")
    s = import_edgelist([src], tmp_path / "out")
    f = pd.read_csv(tmp_path / "out" / "friendships.csv", dtype={"user_a": str, "user_b": str})
    prob = {frozenset((a, b)): p for a, b, p in f.itertuples(index=False)}
    assert prob[frozenset("01")] == pytest.approx(1 - 0.5 * 0.5)
    assert prob[frozenset("12")] == pytest.approx(0.2)
    assert any("header line `3 3`" in n for n in s.notes)


def follows(out) -> dict[tuple[str, str], float]:
    f = pd.read_csv(out / "follows.csv", dtype={"follower_id": str, "followee_id": str})
    p = f["probability"] if "probability" in f.columns else [float("nan")] * len(f)
    return dict(zip(zip(f["follower_id"], f["followee_id"]), p))


def test_directed_edgelist_writes_follows(tmp_path):
    """An arc a -> b is influence from a to b: b follows a. b -> a is a follow of its
    own; a repeated arc is one follow whose chances combine; the friendships table is
    there and empty, and the snapshot validates."""
    src = tmp_path / "g.txt"
    src.write_text("a b 0.5\nb a 0.2\nb c 0.1\nb c 0.1\nc c 0.3\n")
    s = import_edgelist([src], tmp_path / "out", directed=True)
    assert follows(tmp_path / "out") == pytest.approx(
        {("b", "a"): 0.5, ("a", "b"): 0.2, ("c", "b"): 1 - 0.9 * 0.9})
    assert s.kept == {"lines read": 5, "users": 3, "follows": 3}
    assert s.dropped["self-loops"] == 1
    assert s.merged["repeated arcs merged into one follow"] == 1
    assert pairs(tmp_path / "out") == set()
    assert validate_snapshot(tmp_path / "out")[1].ok
    undirected = import_edgelist([src], tmp_path / "und")
    assert undirected.kept["friendships"] == 2 and not (tmp_path / "und" / "follows.csv").exists()


def test_directed_edgelist_follower_followee_header(tmp_path):
    """A `follower,followee` header names the follower first, the reverse of an arc of
    influence, and is read that way."""
    src = tmp_path / "f.csv"
    src.write_text("follower,followee\nfan,star\nfan2,star\n")
    import_edgelist([src], tmp_path / "out", directed=True)
    assert set(follows(tmp_path / "out")) == {("fan", "star"), ("fan2", "star")}


def test_edgelist_keeps_a_pair_listed_once_exactly(tmp_path):
    """One arc's probability is written as given (1.0 stays 1.0, 0.1 stays 0.1); arcs with
    a certain chance among them combine to exactly 1."""
    src = tmp_path / "g.txt"
    src.write_text("a b 1.0\nb c 0.1\nc d 1\nd c 0.3\n")
    import_edgelist([src], tmp_path / "out")
    f = pd.read_csv(tmp_path / "out" / "friendships.csv")
    prob = {frozenset((a, b)): p for a, b, p in f.itertuples(index=False)}
    assert prob == {frozenset("ab"): 1.0, frozenset("bc"): 0.1, frozenset("cd"): 1.0}


def test_edgelist_two_integers_are_an_edge_when_the_count_does_not_match(tmp_path):
    src = tmp_path / "g.txt"
    src.write_text("7 9\n1 2\n")  # 7 9 is not followed by 9 lines: it is an edge
    import_edgelist([src], tmp_path / "out")
    assert frozenset(("7", "9")) in pairs(tmp_path / "out")


def test_edgelist_weights_outside_unit_interval_are_ignored(tmp_path):
    src = tmp_path / "g.txt"
    src.write_text("1 2 3.5\n2 3 1\n")
    s = import_edgelist([src], tmp_path / "out")
    assert "probability" not in pd.read_csv(tmp_path / "out" / "friendships.csv").columns
    assert any("ignored" in n for n in s.notes)


def test_edgelist_bad_lines_are_located(tmp_path):
    src = tmp_path / "g.txt"
    src.write_text("# header comment\n1 2\n\n3\n")
    with pytest.raises(InputError) as err:
        import_edgelist([src], tmp_path / "out")
    assert str(err.value).startswith(f"{src}:4 [b]")
    assert not (tmp_path / "out").exists()
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    with pytest.raises(InputError, match="no edges"):
        import_edgelist([empty], tmp_path / "out")


# --------------------------------------------------------------------------- cascades


def test_cascades_infer_sharers(tmp_path):
    edges = tmp_path / "edges.txt"
    edges.write_text("a,b\nb,c\nc,a\nd,e\n")
    cascades = tmp_path / "cascades.txt"
    # cascade 1 rooted at r: b at 10, c at 20 (friend of b), d at 30 (no adopting friend),
    # e at 40 (friend of d), b again at 50 (repeat: dropped)
    cascades.write_text("r b 10,c 20,d 30,e 40,b 50,\nx a 5,\n")
    s = import_cascades(edges, cascades, tmp_path / "out")
    snap = read_snapshot(tmp_path / "out")
    shares = snap["shares"].sort_values("at")
    assert list(zip(shares.sharer_id, shares.recipient_id)) == [
        ("x", "a"), ("r", "b"), ("b", "c"), ("r", "d"), ("d", "e")]
    assert shares["inferred"].all() and set(shares.channel) == {"chat"}
    assert s.dropped["repeat adoptions of a user in one cascade (kept the earliest)"] == 1
    assert len(snap["purchases"]) == 5 and len(snap["products"]) == 2
    assert set(snap["promotions"].user_id) == {"r", "x"}
    likes = import_cascades(edges, cascades, tmp_path / "likes", as_kind="likes")
    assert likes.kept["likes"] == 5 and "likes" in read_snapshot(tmp_path / "likes").tables


def test_cascades_bad_item_is_located(tmp_path):
    edges = tmp_path / "edges.txt"
    edges.write_text("a,b\n")
    cascades = tmp_path / "c.txt"
    cascades.write_text("r a 1,\nr b,\n")
    with pytest.raises(InputError) as err:
        import_cascades(edges, cascades, tmp_path / "out")
    assert str(err.value).startswith(f"{cascades}:2 [adoption]")


# --------------------------------------------------------------------------- retweet trees


def write_tree(folder, tweet, lines, label="true"):
    (folder / "tree").mkdir(parents=True, exist_ok=True)
    (folder / "tree" / f"{tweet}.txt").write_text("\n".join(lines) + "\n")
    with open(folder / "label.txt", "a") as fh:
        fh.write(f"{label}:{tweet}\n")


def test_retweet_tree_dirt_rules(tmp_path):
    t = "100"
    write_tree(tmp_path / "src", t, [
        "['ROOT', 'ROOT', '0.0']->['u1', '100', '0.0']",
        "['u1', '100', '0.0']->['u2', '100', '5.0']",
        "['u1', '100', '0.0']->['u2', '100', '5.0']",      # duplicate line
        "['u2', '100', '5.0']->['u2', '100', '6.0']",      # self-loop
        "['u2', '100', '5.0']->['u3', '100', '1.0']",      # child before parent: time -> 5.0
        "['u1', '100', '0.0']->['u3', '100', '9.0']",      # second parent of u3: later, dropped
        "['u3', '100', '9.0']->['u4', '999', '12.0']",     # other tweet id: kept
    ])
    s = import_retweet_trees(tmp_path / "src", tmp_path / "out")
    assert s.found == {"edges whose tweet id is not the source tweet": 1, "self-loops": 1,
                       "children timed before their parent": 1, "duplicate lines": 1,
                       "users with more than one parent": 2}
    assert s.dropped == {"duplicate lines": 1, "self-loops": 1,
                         "edges to a user's later parents (the earliest is kept)": 1}
    snap = read_snapshot(tmp_path / "out")
    shares = snap["shares"].sort_values("at")
    assert list(zip(shares.sharer_id, shares.recipient_id)) == [
        ("u1", "u2"), ("u2", "u3"), ("u3", "u4")]
    assert shares["at"].iloc[1] == shares["at"].iloc[0]  # u3 clamped to its parent's 5.0 minutes
    assert snap["products"].category.tolist() == ["true"]
    assert snap["promotions"].user_id.tolist() == ["u1"]
    assert pairs(tmp_path / "out") == {frozenset(("u1", "u2")), frozenset(("u2", "u3")),
                                       frozenset(("u3", "u4"))}


def test_retweet_tree_malformed_line(tmp_path):
    write_tree(tmp_path / "src", "7", ["['ROOT', 'ROOT', '0.0']->['u1', '7', '0.0']",
                                       "u1 -> u2"])
    with pytest.raises(InputError) as err:
        import_retweet_trees(tmp_path / "src", tmp_path / "out")
    assert ":2 [edge]" in str(err.value)


# --------------------------------------------------------------------------- networkx


def test_networkx_node_link_and_graphml(tmp_path):
    g = nx.DiGraph()
    g.add_node("甲", name="张三", region="浙江")
    g.add_edge("甲", "乙", probability=0.5)
    g.add_edge("乙", "甲", probability=0.5)
    (tmp_path / "g.json").write_text(json.dumps(nx.node_link_data(g, edges="links")))
    s = import_networkx(tmp_path / "g.json", tmp_path / "a")
    snap = read_snapshot(tmp_path / "a")
    assert s.kept == {"users": 2, "friendships": 1}
    assert snap["friendships"].probability.iloc[0] == pytest.approx(0.75)
    assert snap["users"].set_index("user_id").loc["甲", "name"] == "张三"
    nx.write_graphml(nx.karate_club_graph(), tmp_path / "k.graphml")
    import_networkx(tmp_path / "k.graphml", tmp_path / "k")
    assert len(read_snapshot(tmp_path / "k")["friendships"]) == 78
    (tmp_path / "bad.json").write_text('{"nodes": [\n')
    with pytest.raises(InputError, match="not valid JSON"):
        import_networkx(tmp_path / "bad.json", tmp_path / "c")


def test_cli_import_errors(offline_cli, tmp_path):
    missing = offline_cli("import", "edgelist", str(tmp_path / "nope.txt"), str(tmp_path / "o"))
    assert missing.exit_code == 1 and "input does not exist" in missing.stderr
    usage = offline_cli("import", "cascades", str(tmp_path / "o"))
    assert usage.exit_code == 2


# --------------------------------------------------------------------------- real data


def test_ego_facebook(tmp_path):
    s = import_edgelist([shared_file("snap", "facebook_combined.txt")], tmp_path / "fb")
    assert s.kept["users"] == 4039 and s.kept["friendships"] == 88234


def test_email_eu_core_reports_self_loops(tmp_path):
    s = import_edgelist([shared_file("snap", "email-Eu-core.txt")], tmp_path / "eu",
                        directed=True)
    assert s.kept["users"] == 1005 and s.dropped["self-loops"] == 642


def test_nethept_directed_keeps_each_arcs_probability(tmp_path):
    path = shared_file("snap", "NetHEPT.txt")
    s = import_edgelist([path], tmp_path / "hept", directed=True)
    raw = pd.read_csv(path, sep=" ", skiprows=1, header=None, names=["a", "b", "p"],
                      dtype={"a": str, "b": str})
    raw = raw[raw.a != raw.b]
    want = (1 - (1 - raw.p).groupby([raw.b, raw.a]).prod())  # (follower, followee)
    got = follows(tmp_path / "hept")
    assert s.kept["follows"] == len(got) == len(want)
    for k, v in list(want.items())[:2000]:
        assert math.isclose(got[k], v, rel_tol=1e-9)


def test_nethept_keeps_probabilities(tmp_path):
    path = shared_file("snap", "NetHEPT.txt")
    s = import_edgelist([path], tmp_path / "hept")
    assert s.kept["users"] == 15233
    f = pd.read_csv(tmp_path / "hept" / "friendships.csv", dtype={"user_a": str, "user_b": str})
    raw = pd.read_csv(path, sep=" ", skiprows=1, header=None, names=["a", "b", "p"],
                      dtype={"a": str, "b": str})
    raw = raw[raw.a != raw.b]
    key = raw.apply(lambda r: frozenset((r.a, r.b)), axis=1)
    want = (1 - (1 - raw.p).groupby(key).prod())
    got = {frozenset((a, b)): p for a, b, p in f.itertuples(index=False)}
    assert len(got) == len(want)
    for k, v in list(want.items())[:2000]:
        assert math.isclose(got[k], v, rel_tol=1e-9)


@pytest.mark.neo4j
def test_stackexchange_android_loads_and_stats_agree(tmp_path, runner):
    s = import_cascades(shared_file("stackexchange", "android", "edges.txt"),
                        shared_file("stackexchange", "android", "cascades.txt"), tmp_path / "se")
    assert s.kept["cascades (products)"] == 679 and s.kept["purchases"] == 28343
    result = load_snapshot(runner, read_snapshot(tmp_path / "se"))
    stats = graph_stats(runner, top=None)
    assert stats.nodes == {"User": s.kept["users"], "Product": 679}
    assert stats.relationships["FRIEND"] == s.kept["friendships"]
    assert stats.relationships["PURCHASED"] == 28343 == int(stats.products.purchases.sum())
    assert result.counts["promoted"] == 679


@pytest.mark.neo4j
def test_twitter16_dirt_counts_and_load(tmp_path, runner):
    s = import_retweet_trees(shared_file("twitter", "twitter16.tar.gz"), tmp_path / "t16")
    assert s.kept["products (trees)"] == 818
    # the dataset README's counts, found on the raw lines
    assert s.found == {"duplicate lines": 10549, "self-loops": 953,
                       "children timed before their parent": 4510,
                       "users with more than one parent": 3657,
                       "edges whose tweet id is not the source tweet": 37560}
    load_snapshot(runner, read_snapshot(tmp_path / "t16"))
    stats = graph_stats(runner, top=None)
    assert stats.relationships["SHARED"] == s.kept["shares"]
    assert stats.nodes["User"] == s.kept["users"]
    assert stats.relationships["FRIEND"] == s.kept["friendships (derived from shares)"]


@pytest.mark.neo4j
@pytest.mark.parametrize("name,directed", [("facebook_combined.txt", False),
                                           ("email-Eu-core.txt", True), ("NetHEPT.txt", True)])
def test_imported_edge_lists_load_and_stats_agree(tmp_path, runner, name, directed):
    s = import_edgelist([shared_file("snap", name)], tmp_path / "g", directed=directed)
    load_snapshot(runner, read_snapshot(tmp_path / "g"))
    stats = graph_stats(runner)
    assert stats.nodes["User"] == s.kept["users"]
    assert stats.relationships.get("FRIEND", 0) == s.kept.get("friendships", 0)
    assert stats.relationships.get("FOLLOWS", 0) == s.kept.get("follows", 0)
    assert s.kept.get("follows" if directed else "friendships", 0) > 0
    assert stats.degrees["users"] == s.kept["users"]


def test_edgelist_csv_header_is_not_an_edge(tmp_path):
    src = tmp_path / "wave.csv"
    src.write_text("source,target\n1,2\n2,3\n3,1\n", encoding="utf-8")
    s = import_edgelist([src], tmp_path / "out")
    assert s.kept["lines read"] == 3 and s.kept["friendships"] == 3
    assert any("column header" in n for n in s.notes)
    users = (tmp_path / "out" / "users.csv").read_text(encoding="utf-8").split()
    assert "source" not in users and len(users) == 4  # header + three users


def test_coleman_waves_import(tmp_path):
    fall = import_edgelist([shared_file("coleman", "fall_1957.csv")], tmp_path / "fall")
    spring = import_edgelist([shared_file("coleman", "spring_1958.csv")], tmp_path / "spring")
    assert fall.kept["lines read"] == 243 and spring.kept["lines read"] == 263


def test_directed_edgelist_header_applies_to_its_own_file(tmp_path):
    """Two files, one with a `follower,followee` header and one of plain arcs: each is
    read by its own convention."""
    named = tmp_path / "f.csv"
    named.write_text("follower,followee\nfan,star\n")
    plain = tmp_path / "g.txt"
    plain.write_text("star fan2\n")  # an arc of influence: fan2 follows star
    import_edgelist([named, plain], tmp_path / "out", directed=True)
    assert set(follows(tmp_path / "out")) == {("fan", "star"), ("fan2", "star")}
