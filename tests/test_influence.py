"""Friend-endorsement influence, domains and cascades: a hand-computed fixture, engine
parity on Neo4j, recovery of the generator's ground truth, and the virality oracle.

The fixture (``hand``) is small enough to work out on paper; every expected
number below is derived in the comment above it (times are hours on
2024-01-01 UTC).

Friendships: a-b a-c b-c b-d c-d d-e e-f f-g g-h. Product X, promoter a.
♡ of X: a@1 e@2 b@3 c@4.   Purchases of X: h@1, c@3.5, d@3.5 (channel feed), f@6.
Shares of X: a->b chat@0.5, a->c group@0.75, b->d chat@1.5, d->e group@5,
e->d group@5.5, g->f chat@5, f->g chat@7.   Gift of X: c->h @8.
Exposures of X: b chat@0.5, c moments@1, d chat@1.5, d feed(public)@3,
e group@5, g search(public)@4.
Products Y and Z (for the feed, and Y for a same-instant ring of shares):
♡ of Y: b@2 e@5; ♡ of Z: c@1 b@6; shares of Y: g->h chat@10, h->g chat@10.
"""

from __future__ import annotations

import json
import math
import random

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from analyzer import cascades as C
from analyzer import influence as I
from analyzer.graphdb import load_snapshot
from analyzer.arrays import unique_sorted
from analyzer.errors import DiffusionError, InputError
from analyzer.render import to_json
from analyzer.snapshot import read_snapshot
from analyzer.engines.contract import sort_rows
from analyzer.engines.duckdb import SnapshotSource
from analyzer.engines.neo4j import Neo4jSource

from .conftest import shared_file, write_tables

H = 3_600_000
T0 = 1704067200000  # 2024-01-01T00:00:00Z


def _t(hours: float) -> str:
    ms = T0 + int(hours * H)
    return pd.Timestamp(ms, unit="ms", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def hand(tmp_path):
    return write_tables(
        tmp_path / "hand",
        users="user_id\n" + "".join(f"{u}\n" for u in "abcdefgh"),
        friendships="user_a,user_b\n" + "".join(
            f"{p[0]},{p[1]}\n" for p in "ab ac bc bd cd de ef fg gh".split()),
        products="product_id,name\nX,铁观音\nY,玉镯\nZ,月饼\n",
        promotions=f"user_id,product_id,channel,at\na,X,moments,{_t(0)}\n",
        likes="user_id,product_id,at\n" + "".join(
            f"{u},{p},{_t(h)}\n" for u, p, h in
            [("a", "X", 1), ("e", "X", 2), ("b", "X", 3), ("c", "X", 4),
             ("b", "Y", 2), ("e", "Y", 5), ("c", "Z", 1), ("b", "Z", 6)]),
        purchases="user_id,product_id,at,channel\n" + "".join(
            f"{u},X,{_t(h)},{ch}\n" for u, h, ch in
            [("h", 1, ""), ("c", 3.5, ""), ("d", 3.5, "feed"), ("f", 6, "")]),
        shares="sharer_id,recipient_id,product_id,channel,at\n" + "".join(
            f"{s},{r},{p},{ch},{_t(h)}\n" for s, r, p, ch, h in
            [("a", "b", "X", "chat", 0.5), ("a", "c", "X", "group", 0.75),
             ("b", "d", "X", "chat", 1.5), ("d", "e", "X", "group", 5),
             ("e", "d", "X", "group", 5.5), ("g", "f", "X", "chat", 5),
             ("f", "g", "X", "chat", 7), ("g", "h", "Y", "chat", 10),
             ("h", "g", "Y", "chat", 10)]),
        gifts=f"giver_id,recipient_id,product_id,at\nc,h,X,{_t(8)}\n",
        exposures="user_id,product_id,at,channel,via_user_id,domain\n" + "".join(
            f"{u},X,{_t(h)},{ch},{via},{dom}\n" for u, h, ch, via, dom in
            [("b", 0.5, "chat", "a", "private"), ("c", 1, "moments", "a", "private"),
             ("d", 1.5, "chat", "b", "private"), ("d", 3, "feed", "", "public"),
             ("e", 5, "group", "d", "private"), ("g", 4, "search", "", "public")]),
    )


@pytest.fixture
def hand_source(hand):
    return SnapshotSource(read_snapshot(hand))


# --------------------------------------------------------------------------- by hand


def test_exposure_curve_by_hand(hand_source):
    r = I.endorsements(hand_source, ["X"], likes=True, shares=False, min_users=1)
    # endorsing friends (♡ times): a[b3,c4] b[a1,c4] c[a1,b3] d[e2,b3,c4] f[e2]; e g h none.
    # p(0): all 8 users; only h adopted before a first endorser -> 1/8.
    assert r.baseline["users"] == 8 and r.baseline["adopters"] == 1
    assert r.baseline["p"] == pytest.approx(0.125)
    # k=1: a b c d f sat at one endorser; only f adopted before a second -> 1/5.
    # k=2: a b c d (c adopted 3.5 in [3, inf), d in [3, 4)) -> 2/4.
    # k=3: d adopted at 3.5 before its third endorser (4) -> nobody; K stops at 2.
    assert r.curve[["k", "users", "adopters"]].values.tolist() == [[1, 5, 1], [2, 4, 2]]
    assert r.curve["p"].tolist() == pytest.approx([0.2, 0.5])
    assert r.curve["lift"].tolist() == pytest.approx([1.6, 4.0])
    assert r.stickiness == pytest.approx(0.5)
    assert r.persistence == pytest.approx((0.2 + 0.5) / (2 * 0.5))
    # Wilson interval for 1 of 5 at 95%
    lo, hi = I.wilson(1, 5)
    assert (round(float(lo), 4), round(float(hi), 4)) == (0.0362, 0.6245)
    assert r.curve.loc[0, "ci_low"] == pytest.approx(float(lo))
    # structural diversity at k=2: a{b,c} b{a,c} c{a,b} are one group each; d{e,b} two.
    sd = r.diversity[["k", "components", "users", "adopters"]].values.tolist()
    assert sd == [[2, 1, 3, 1], [2, 2, 1, 1]]


def test_exposure_curve_min_users_and_ties(tmp_path):
    # u has two endorsing friends who liked at the same instant: u never sits at k=1.
    snap = write_tables(
        tmp_path / "ties", users="user_id\nu\nv\nw\n",
        friendships="user_a,user_b\nu,v\nu,w\n", products="product_id\nP\n",
        likes=f"user_id,product_id,at\nv,P,{_t(1)}\nw,P,{_t(1)}\n",
        purchases=f"user_id,product_id,at\nu,P,{_t(1)}\n")
    r = I.endorsements(SnapshotSource(read_snapshot(snap)), ["P"], min_users=1)
    # only u has endorsing friends (v and w, both at t=1): u skips bucket 1 and sits in
    # bucket 2, adopting at t=1. Bucket 1 is empty, so no k reaches min-users: no curve.
    assert r.curve.empty and r.stickiness is None
    source = SnapshotSource(read_snapshot(snap))
    E = source.endorsement_codes(["P"])
    e = I._buckets(E, *source.adoption_keys(E, ["P"]))  # keys, times, stride
    assert e[["k", "in_bucket", "adopted"]].values.tolist() == [[1, False, False],
                                                                [2, True, True]]


def test_influencer_credit_by_hand(hand_source):
    week = I.parse_window("7d")
    # candidates (earliest signal, likes+shares): c@3.5 <- a@0.75 b@3; d@3.5 <- b@1.5 e@2
    # (c's ♡ at 4 is after); f@6 <- e@2 g@5; h@1 has none.
    frac = I.influencers(hand_source, ["X"], window_ms=week, credit="fractional")
    assert (frac.adoptions, frac.credited_adoptions) == (4, 3)
    got = frac.ranking.set_index("user_id")
    assert got["credit"].to_dict() == {"b": 1.0, "e": 1.0, "a": 0.5, "g": 0.5}
    assert frac.ranking["user_id"].tolist() == ["b", "e", "a", "g"]
    # audience: endorsement rows per endorser (a: b c; b: a c d; e: d f; g: f)
    assert got["audience"].to_dict() == {"b": 3, "e": 2, "a": 2, "g": 1}
    assert got.loc["b", "conversion"] == pytest.approx(1 / 3)
    assert got["role"].to_dict() == {"b": "sharer", "e": "sharer", "a": "promoter",
                                     "g": "sharer"}
    first = I.influencers(hand_source, ["X"], window_ms=week, credit="first").ranking
    assert first.set_index("user_id")["credit"].to_dict() == {"a": 1, "b": 1, "e": 1, "g": 0}
    last = I.influencers(hand_source, ["X"], window_ms=week, credit="last").ranking
    assert last.set_index("user_id")["credit"].to_dict() == {"b": 1, "e": 1, "g": 1, "a": 0}
    # a one-hour window keeps only b (3 -> 3.5) for c and g (5 -> 6) for f
    hour = I.influencers(hand_source, ["X"], window_ms=H, credit="fractional")
    assert hour.ranking.set_index("user_id")["credit"].to_dict() == {"b": 1.0, "g": 1.0}
    assert hour.credited_adoptions == 2


def test_feed_by_hand(hand_source):
    # d's friends b c e: X by e@2 b@3 c@4; Z by c@1 b@6; Y by b@2 e@5.
    f = I.feed(hand_source, "d").items
    assert f["product_id"].tolist() == ["X", "Z", "Y"]  # Z and Y tie on 2: Z is more recent
    assert f["friends"].tolist() == [3, 2, 2]
    assert f["endorsers"].tolist() == [["e", "b", "c"], ["c", "b"], ["b", "e"]]
    # at 3:00: X has e b (latest 3); Y has b@2; Z has c@1
    early = I.feed(hand_source, "d", at=T0 + 3 * H).items
    assert early["product_id"].tolist() == ["X", "Y", "Z"]
    assert early["friends"].tolist() == [2, 1, 1]
    assert I.feed(hand_source, "d", top=1).items["product_id"].tolist() == ["X"]


def test_domains_by_hand(hand_source):
    r = I.domains(hand_source, ["X"], window_ms=I.parse_window("7d"))
    assert r.public_share["exposures"]["count"] == 2 and r.public_share["exposures"]["of"] == 6
    # c: last touch moments@1 (private); d: feed@3 beats chat@1.5 (public, own channel feed);
    # f: no exposure, but e's ♡ and g's share came within 7 days -> private;
    # h: no exposure and no endorsement -> public.
    got = {(x.channel, x.domain, x.source): x.adoptions for x in r.adoptions.itertuples()}
    assert got == {("moments", "private", "exposure"): 1, ("feed", "public", "exposure"): 1,
                   ("(none)", "private", "endorsement"): 1,
                   ("(none)", "public", "endorsement"): 1}
    assert r.public_share["adoptions"]["p"] == pytest.approx(0.5)
    # exposed users b c d e g = 5; chat sharers a b g f, group sharers a d e
    rates = r.share_rates.set_index("channel")
    assert rates["sharers"].to_dict() == {"chat": 4, "group": 3}
    assert rates["share_rate"].to_dict() == {"chat": pytest.approx(0.8),
                                             "group": pytest.approx(0.6)}
    assert [x["share"] for x in r.references] == [0.5, 0.67, 0.75]


def test_cascades_by_hand(hand_source):
    r = C.cascades(hand_source, ["X", "Y"])
    d = r.to_dict()
    x = d["products"][0]
    # tree of a: a->b->d->e and a->c->h (gift); g->f (g shared before f reached it).
    # e->d and f->g are re-exposures.
    assert x["product_id"] == "X" and x["cascade_count"] == 2 and x["re_exposures"] == 2
    top = x["cascades"][0]
    assert (top["root"], top["root_role"], top["size"], top["depth"]) == ("a", "promoter", 6, 3)
    assert top["breadth"] == [1, 2, 2, 1] and top["max_breadth"] == 2
    assert top["reproduction"] == [2.0, 1.0, 0.5]
    # Wiener index: subtrees b{b,d,e} 3*3, d{d,e} 2*4, e 1*5, c{c,h} 2*4, h 1*5 = 35
    assert top["structural_virality"] == pytest.approx(2 * 35 / (6 * 5))
    assert (x["cascades"][1]["root"], x["cascades"][1]["size"]) == ("g", 2)
    assert x["size_distribution"] == [{"size": 2, "cascades": 1, "ccdf": 1.0},
                                      {"size": 6, "cascades": 1, "ccdf": 0.5}]
    # Y: g->h and h->g at the same instant form a ring; the smaller id g becomes the root
    y = d["products"][1]
    assert [(c["root"], c["size"]) for c in y["cascades"]] == [("g", 2)]
    cmp = C.compare_cascades(r, "X", "Y")
    assert cmp["sizes"].tolist() == ["2-3", "4-7"]
    assert cmp["cascades_a"].tolist() == [1, 1] and cmp["cascades_b"].tolist() == [1, 0]


def test_cascade_json_contract(hand, offline_cli):
    res = offline_cli("cascades", "X", "--snapshot", str(hand), "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    item = doc["products"][0]["cascades"][0]
    assert {"root", "size", "depth", "max_breadth", "breadth",
            "structural_virality"} <= set(item)
    res = offline_cli("endorsements", "X", "--snapshot", str(hand), "--format", "json",
                      "--min-users", "1")
    curve = json.loads(res.stdout)["curve"]
    assert {"k", "users", "adopters", "p", "ci_low", "ci_high"} <= set(curve[0])
    res = offline_cli("influencers", "X", "--snapshot", str(hand), "--format", "json")
    ranked = json.loads(res.stdout)["influencers"]
    assert {"user_id", "credit", "audience", "conversion"} <= set(ranked[0])


# --------------------------------------------------------------------------- oracle


def _random_tree(rng: random.Random, n: int) -> list[tuple[int, int]]:
    return [(rng.randrange(i), i) for i in range(1, n)]


@pytest.mark.parametrize("trial", range(30))
def test_structural_virality_matches_networkx_on_random_trees(trial):
    rng = random.Random(trial)
    n = rng.randint(2, 300)
    edges = _random_tree(rng, n)
    parent = np.full(n, -1)
    for p, c in edges:
        parent[c] = p
    m = C.tree_metrics(parent)
    sv = C.structural_virality(np.array([n]), m["wiener"].to_numpy()[[0]])[0]
    g = nx.Graph(edges)
    assert sv == pytest.approx(nx.average_shortest_path_length(g), rel=1e-12)
    assert m["depth"].max() == max(nx.single_source_shortest_path_length(g, 0).values())


def test_ring_of_same_instant_shares_is_broken_at_smallest_node():
    parent = np.array([2, 0, 1, -1, 3])  # 0->2->1->0 is a ring; 3 is a root with child 4
    m = C.tree_metrics(parent)
    assert m["parent"].tolist() == [-1, 0, 1, -1, 3]
    assert m["root"].tolist() == [0, 0, 0, 3, 3]


def test_twitter16_virality_equals_networkx(tmp_path):
    from analyzer.importers import import_retweet_trees

    import_retweet_trees(shared_file("twitter", "twitter16.tar.gz"), tmp_path / "t16")
    source = SnapshotSource(read_snapshot(tmp_path / "t16"))
    r = C.cascades(source, source.product_ids(), top=0)
    trees = r.trees[r.trees["size"] >= 2]
    assert len(trees) > 500
    # networkx is all-pairs (quadratic): check 120 trees of 74 to 300 users
    picked = trees[trees["size"] <= 300].iloc[::3].head(120)
    key = r.nodes["product_id"] + "\x1f" + r.nodes["root_id"]
    wanted = set(picked["product_id"] + "\x1f" + picked["root"])
    nodes = r.nodes[key.isin(wanted) & r.nodes["parent_id"].notna()]
    edges = {k: list(zip(g["parent_id"], g["user_id"]))
             for k, g in nodes.groupby(["product_id", "root_id"])}
    checked = 0
    for row in picked.itertuples():
        g = nx.Graph(edges[(row.product_id, row.root)])
        assert row.structural_virality == pytest.approx(nx.average_shortest_path_length(g),
                                                        rel=1e-9)
        assert row.size == g.number_of_nodes()
        assert row.depth == max(nx.single_source_shortest_path_length(g, row.root).values())
        checked += 1
    assert checked == 120


# --------------------------------------------------------------------------- parity


def _methods(products):
    week = 7 * 86_400_000
    return [("endorsements", dict(likes=True, shares=True)),
            ("endorsements", dict(likes=True, shares=False)),
            ("endorsements", dict(likes=False, shares=True)),
            ("adoptions", dict(purchases=True)), ("adoptions", dict(purchases=False)),
            ("credit_candidates", dict(window_ms=week)),
            ("credit_candidates", dict(window_ms=H, purchases=False, shares=False)),
            ("roles", {}), ("exposure_mix", {}), ("exposed_users", {}), ("sharers", {}),
            ("adoption_touches", dict(window_ms=week)), ("tree_edges", {}), ("members", {})]


def _assert_sources_agree(snap_source, neo_source, products, users):
    for name, kw in _methods(products):
        a = sort_rows(getattr(snap_source, name)(products, **kw))
        b = sort_rows(getattr(neo_source, name)(products, **kw))
        pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=f"{name} {kw}")
    ties_a = sort_rows(snap_source.ties(users))
    ties_b = sort_rows(neo_source.ties(users))
    pd.testing.assert_frame_equal(ties_a, ties_b, obj="ties")
    # the ties among all endorsers as codes (structural diversity's read), both ways
    pairs = []
    for source in (snap_source, neo_source):
        E = source.endorsement_codes(products)
        a, b = source.tie_codes(E, unique_sorted(E.endorser))
        pairs.append(sorted(tuple(sorted(p)) for p in zip(E.ids[a], E.ids[b])))
    assert pairs[0] == pairs[1]
    assert pairs[0]  # every fixture has friends among its endorsers
    if neo_source.procedures:  # the procedure sends its rows by product, user, then time
        E = neo_source.endorsement_codes(products)
        assert (np.lexsort((E.at, E.user, E.product)) == np.arange(len(E.at))).all()


def _assert_results_agree(snap_source, neo_source, products, user):
    week = I.parse_window("7d")
    pairs = [
        (lambda s: I.endorsements(s, products, min_users=1)),
        (lambda s: I.endorsements(s, products, likes=True, shares=False, min_users=1)),
        (lambda s: I.influencers(s, products, window_ms=week, credit="first")),
        (lambda s: I.influencers(s, products, window_ms=week, credit="fractional")),
        (lambda s: I.domains(s, products, window_ms=week)),
        (lambda s: C.cascades(s, products, top=0)),
        (lambda s: I.feed(s, user)),
        (lambda s: I.feed(s, user, shares=True, at=T0 + 3 * H)),
    ]
    for make in pairs:
        a = json.loads(to_json(make(snap_source).to_dict()))
        b = json.loads(to_json(make(neo_source).to_dict()))
        assert (a.pop("engine"), b.pop("engine")) == ("memory", "neo4j")
        assert a == b


def test_the_test_server_has_the_procedures(runner):
    """Every server `diffusion neo4j start` runs has the plugin, so the parametrized tests
    below really exercise both paths."""
    assert Neo4jSource(runner).procedures is True


@pytest.mark.parametrize("procedures", [True, False], ids=["procedures", "cypher"])
def test_neo4j_and_memory_agree_on_the_hand_fixture(runner, hand, procedures):
    snap = read_snapshot(hand)
    load_snapshot(runner, snap)
    s, n = SnapshotSource(snap), Neo4jSource(runner, procedures=procedures)
    _assert_sources_agree(s, n, ["X", "Y", "Z"], list("abcdefgh"))
    _assert_results_agree(s, n, ["X"], "d")
    _assert_results_agree(s, n, ["X", "Y", "Z"], "d")


@pytest.mark.parametrize("procedures", [True, False], ids=["procedures", "cypher"])
def test_neo4j_and_memory_agree_on_a_generated_snapshot(runner, tmp_path, procedures):
    from analyzer.generate import GeneratorParams, generate_snapshot

    generate_snapshot(GeneratorParams(users=3000, products=3, seed=11), tmp_path / "g")
    snap = read_snapshot(tmp_path / "g")
    load_snapshot(runner, snap)
    s, n = SnapshotSource(snap), Neo4jSource(runner, procedures=procedures)
    products = s.product_ids()
    likers = snap["likes"]["user_id"].unique().tolist()
    _assert_sources_agree(s, n, products, likers)
    busiest = snap["likes"].merge(snap["friendships"], left_on="user_id",
                                  right_on="user_a")["user_b"].value_counts().index[0]
    _assert_results_agree(s, n, products, busiest)
    _assert_results_agree(s, n, products[:1], busiest)


@pytest.fixture
def ties_fixture(tmp_path):
    """Ties in time that the rules break by text: two shares reaching r at the same instant
    from senders whose ids order differently by code point (Python) and by UTF-16 code
    unit (Cypher's string order), exposures at one instant in two domains and channels, a
    self-share, a purchase without a channel, and a product nobody touched."""
    star, wave = "s\U0001F600", "s\uff5e"  # code points: wave < star; UTF-16: star < wave
    return write_tables(
        tmp_path / "ties",
        users="user_id\n" + "".join(f"{u}\n" for u in ["a", "b", "r", star, wave]),
        friendships="user_a,user_b\n" + "".join(
            f"{x},{y}\n" for x, y in [("a", "b"), ("a", star), ("b", wave), ("r", star),
                                      ("r", wave), ("b", "r")]),
        products="product_id,name\nX,x\nQ,q\n",
        promotions=f"user_id,product_id,channel,at\na,X,moments,{_t(0)}\n",
        likes=f"user_id,product_id,at\nb,X,{_t(1)}\n{star},X,{_t(1)}\n",
        purchases=f"user_id,product_id,at,channel\nr,X,{_t(3)},\nb,X,{_t(3)},feed\n",
        shares="sharer_id,recipient_id,product_id,channel,at\n" + "".join(
            f"{x},{y},X,{ch},{_t(h)}\n" for x, y, ch, h in
            [("a", star, "chat", 0.5), ("a", wave, "chat", 0.5), (star, "r", "chat", 2),
             (wave, "r", "group", 2), ("b", "b", "moments", 2.5)]),
        exposures="user_id,product_id,at,channel,via_user_id,domain\n" + "".join(
            f"{u},X,{_t(h)},{ch},{via},{dom}\n" for u, h, ch, via, dom in
            [("r", 2, "group", wave, "private"), ("r", 2, "chat", star, "private"),
             ("r", 2, "feed", "", "public"), ("b", 2.5, "search", "", "public"),
             ("b", 2.5, "feed", "", "public")]),
    )


@pytest.mark.parametrize("procedures", [True, False], ids=["procedures", "cypher"])
def test_neo4j_and_memory_agree_on_ties_broken_by_text(runner, ties_fixture, procedures):
    snap = read_snapshot(ties_fixture)
    load_snapshot(runner, snap)
    s, n = SnapshotSource(snap), Neo4jSource(runner, procedures=procedures)
    # r's parent is the sender first in code-point order, as the memory engine orders ids
    edges = s.tree_edges(["X"])
    assert edges.loc[edges["child"] == "r", "parent"].tolist() == ["s\uff5e"]
    _assert_sources_agree(s, n, ["X", "Q"], ["a", "b", "r", "s\U0001F600", "s\uff5e"])
    _assert_results_agree(s, n, ["X", "Q"], "r")
    # endorsement codes are in id order on every source (the server's user numbers too),
    # including an id beyond U+FFFF against one just below it
    for source in (s, n):
        E = source.endorsement_codes(["X", "Q"])
        ids = list(E.ids[np.arange(len(E.ids))])
        assert ids == sorted(ids) and {"s\U0001F600", "s\uff5e"} <= set(ids)


def test_procedures_answer_from_the_committed_state_after_every_write(runner, hand):
    """The procedures answer from a projection kept in the server's heap: a write (here
    one ♡, then its removal) is seen by the next call, which rebuilds it, and the answers
    stay those of the Cypher modules."""
    load_snapshot(runner, read_snapshot(hand))
    built = runner.run("admin/projection")[0]
    assert (built["users"], built["friendships"], built["products"]) == (8, 18, 3)
    assert runner.run("admin/projection")[0]["key"] == built["key"]

    def write(text):
        with runner._session() as session:
            session.run(text).consume()

    def agree():
        coded = Neo4jSource(runner, procedures=True).endorsements(["X", "Y"])
        cypher = Neo4jSource(runner, procedures=False).endorsements(["X", "Y"])
        pd.testing.assert_frame_equal(sort_rows(coded), sort_rows(cypher), check_dtype=False)
        return coded

    before = agree()
    write("MATCH (u:User {user_id: 'a'}), (p:Product {product_id: 'Y'}) "
          "CREATE (u)-[:LIKED {at: datetime('2030-01-01T00:00:00Z')}]->(p)")
    assert runner.run("admin/projection")[0]["key"] != built["key"]
    after = agree()
    assert len(after) == len(before) + 2  # a's friends b and c
    write("MATCH (:User {user_id: 'a'})-[l:LIKED]->(:Product {product_id: 'Y'}) "
          "WHERE l.at = datetime('2030-01-01T00:00:00Z') DELETE l")
    pd.testing.assert_frame_equal(sort_rows(agree()), sort_rows(before), check_dtype=False)


def test_a_write_between_two_reads_stops_the_analysis(runner, hand):
    """User numbers of two projections name different users: an analysis whose reads
    straddle a write stops with a message instead of joining them, and the server refuses
    numbers of a projection it no longer holds."""
    load_snapshot(runner, read_snapshot(hand))
    source = Neo4jSource(runner, procedures=True)
    E = source.endorsement_codes(["X"])
    assert E.key is not None and list(E.ids[E.user[:2]])  # ids come while nothing changed
    with runner._session() as session:
        session.run("MATCH (u:User {user_id: 'a'}), (p:Product {product_id: 'Y'}) "
                    "CREATE (u)-[:LIKED {at: datetime('2030-01-01T00:00:00Z')}]->(p)").consume()
    with pytest.raises(DiffusionError, match="database changed while diffusion read it"):
        source.adoptions(["X"])
    with pytest.raises(DiffusionError, match="diffusion projection changed"):
        source.tie_codes(E, unique_sorted(E.endorser))
    with pytest.raises(DiffusionError, match="diffusion projection changed"):
        E.ids[E.user[:2]]
    # a new source reads the new projection and agrees with the Cypher modules
    got = [I.influencers(Neo4jSource(runner, procedures=p), ["X", "Y"], window_ms=10 ** 12)
           .to_dict() for p in (True, False)]
    assert got[0] == got[1] and got[0]["influencers"]


def test_earliest_signal_per_pair_across_likes_and_repeated_shares(runner, tmp_path):
    """One row per (user, endorser) with the earliest signal: a ♡ after a share to the same
    friend, a share after a ♡, and two shares between the same pair; the procedure, the
    Cypher module and the memory engine give the same rows, as computed by hand."""
    root = write_tables(
        tmp_path / "pairs",
        users="user_id\na\nb\nc\n",
        friendships="user_a,user_b\na,b\na,c\n",
        products="product_id,name\nX,x\n",
        likes=f"user_id,product_id,at\na,X,{_t(5)}\n",
        shares="sharer_id,recipient_id,product_id,channel,at\n" + "".join(
            f"{x},{y},X,chat,{_t(h)}\n" for x, y, h in
            [("a", "b", 2), ("a", "c", 7), ("b", "c", 3), ("b", "c", 1)]))
    snap = read_snapshot(root)
    load_snapshot(runner, snap)
    want = pd.DataFrame({"user_id": ["b", "c", "c"], "product_id": ["X"] * 3,
                         "endorser_id": ["a", "a", "b"],
                         "at": [T0 + h * H for h in (2, 5, 1)]})
    for source in (SnapshotSource(snap), Neo4jSource(runner, procedures=True),
                   Neo4jSource(runner, procedures=False)):
        got = sort_rows(source.endorsements(["X"]))
        pd.testing.assert_frame_equal(got, sort_rows(want), check_dtype=False,
                                      obj=source.engine)


def test_packed_sort_is_the_two_key_lexsort():
    from analyzer.influence import _by_key_then_time

    rng = np.random.default_rng(3)
    for keys, span in [(50, 10), (1 << 20, 1 << 41), (1 << 40, 1 << 40)]:  # last: lexsort
        key = rng.integers(0, keys, 5000)
        at = 1_700_000_000_000 + rng.integers(0, span, 5000)
        at[::7] = at[0]  # ties in time
        order = _by_key_then_time(key, at)
        assert np.array_equal(order, np.lexsort((at, key)))
    assert len(_by_key_then_time(np.zeros(0, np.int64), np.zeros(0, np.int64))) == 0


def test_prefetched_reads_give_the_same_answers(runner, hand):
    """A report's reads started on background sessions (Session.report does this) give
    the same results as reads asked one by one, and every read started is used."""
    import threading
    from concurrent.futures import Future

    snap = read_snapshot(hand)
    load_snapshot(runner, snap)
    week = I.parse_window("7d")
    plain, early = Neo4jSource(runner), Neo4jSource(runner)
    I.prefetch(early, I.report_reads(["X"], window_ms=week))
    assert sum(isinstance(v, Future) for v in early._cache.values()) == 9
    # daemon threads: reads still running never hold up the exit of a command that failed
    readers = [t for t in threading.enumerate() if t.name.startswith("diffusion-read")]
    assert readers and all(t.daemon for t in readers)

    def everything(s):
        return [I.endorsements(s, ["X"], min_users=1), I.influencers(s, ["X"], window_ms=week),
                I.domains(s, ["X"], window_ms=week), C.cascades(s, ["X"], top=0)]

    for a, b in zip(everything(plain), everything(early)):
        assert json.loads(to_json(a.to_dict())) == json.loads(to_json(b.to_dict()))
    assert not any(isinstance(v, Future) for v in early._cache.values())


def test_a_product_named_twice_counts_once(hand_source):
    week = I.parse_window("7d")
    for run in (lambda ps: I.endorsements(hand_source, ps, min_users=1),
                lambda ps: I.influencers(hand_source, ps, window_ms=week),
                lambda ps: I.domains(hand_source, ps, window_ms=week),
                lambda ps: C.cascades(hand_source, ps, top=0)):
        assert to_json(run(["X", "Y", "X"]).to_dict()) == to_json(run(["X", "Y"]).to_dict())


def test_snapshot_reference_codes_point_at_the_referenced_rows(hand):
    snap = read_snapshot(hand)
    assert ("shares", "sharer_id") in snap.refs  # kept from validation, not recomputed
    for (table, column), codes in list(snap.refs.items()):
        values = snap[table][column]
        ref = snap["products" if column == "product_id" else "users"]
        key = "product_id" if column == "product_id" else "user_id"
        found = ref[key].to_numpy(dtype=object)[codes[codes >= 0]]
        assert list(found) == values[codes >= 0].tolist()
        assert (values[codes < 0].isna()).all()


# --------------------------------------------------------------------------- ground truth


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from analyzer.generate import GeneratorParams, generate_snapshot

    out = tmp_path_factory.mktemp("truth") / "g20k"
    truth = generate_snapshot(GeneratorParams(users=20000, products=5, seed=3), out)
    return SnapshotSource(read_snapshot(out)), truth


def within_3_se(estimate: float, truth: float, n: int) -> bool:
    """One of several estimates checked against the truth: within three standard errors
    (99.7% each), so that a handful of checks does not fail one seed in five by chance,
    as five 95% intervals would."""
    return abs(estimate - truth) <= 3 * math.sqrt(truth * (1 - truth) / n)


@pytest.mark.parametrize("window", ["1h", "7d"])
def test_credit_candidates_on_codes_equal_the_rule(generated, window):
    """influencers() finds credit candidates on integer codes; they are the rows, in the
    order, of the rule sql/influence/credit_candidates (which tests/test_rules.py holds
    equal to its Cypher twin)."""
    source, _ = generated
    products = source.product_ids()
    E = source.endorsement_codes(products)
    w = I.parse_window(window)
    a_key, a_at, stride = source.adoption_keys(E, products)
    which, rows = I._coded_candidates(E, a_key, a_at, stride, w)
    coded = pd.DataFrame({"user_id": E.ids[E.user[rows]],
                          "product_id": np.asarray(E.products, dtype=object)[E.product[rows]],
                          "endorser_id": E.ids[E.endorser[rows]], "adopted_at": a_at[which],
                          "endorsed_at": E.at[rows]})
    assert len(coded) > 0
    assert (a_key[which] // stride == E.product[rows]).all()  # the adoption's own rows
    assert (a_key[which] % stride == E.user[rows]).all()
    pd.testing.assert_frame_equal(coded, source.credit_candidates(products, window_ms=w))


def test_recovers_the_generators_exposure_curve(generated):
    source, truth = generated
    r = I.endorsements(source, source.product_ids(), likes=True, shares=False, min_users=500)
    want = {row["k"]: row["p"] for row in truth["exposure_curve"]["p"]}
    assert len(r.curve) >= 3
    for row in r.curve.itertuples():
        assert within_3_se(row.p, want[row.k], row.users), (row.k, row.p, want[row.k])
    # the curve rises: a friend's ♡ moves people, more than the baseline
    assert (r.curve["lift"] > 1).all()


def test_recovers_share_rates_and_public_share(generated):
    source, truth = generated
    r = I.domains(source, source.product_ids(), window_ms=I.parse_window("7d"))
    rates = r.share_rates.set_index("channel")
    for channel, want in truth["share_rate_by_channel"].items():
        row = rates.loc[channel]
        assert within_3_se(row["share_rate"], want, row["exposed"]), (channel, row, want)
    ps = r.public_share["exposures"]
    assert ps["ci_low"] <= truth["public_share"]["target"] <= ps["ci_high"]
    assert ps["p"] == pytest.approx(truth["public_share"]["realised"], abs=1e-12)


# --------------------------------------------------------------------------- CLI and errors


def test_cli_both_engines_print_the_same_json(cli_run, runner, hand):
    load_snapshot(runner, read_snapshot(hand))
    for args in (["endorsements", "X", "--min-users", "1"], ["influencers", "--all"],
                 ["feed", "d", "--at", "2024-01-01T11:00:00+08:00"], ["domains", "X"],
                 ["cascades", "X", "--compare", "Y"]):
        db = cli_run(*args, "--format", "json")
        mem = cli_run(*args, "--format", "json", "--snapshot", str(hand))
        assert db.exit_code == 0 and mem.exit_code == 0, db.output + mem.output
        a, b = json.loads(db.stdout), json.loads(mem.stdout)
        assert (a.pop("engine"), b.pop("engine")) == ("neo4j", "memory")
        assert a == b


# exit 1: the data has no such product or user; exit 2: the command line itself is wrong
# (a missing PRODUCT, a value an option cannot take), as Click reports usage errors
@pytest.mark.parametrize("args, message, code", [
    (["endorsements", "NOPE"], "unknown product(s): 'NOPE'", 1),
    (["endorsements"], "give a PRODUCT or --all", 2),
    (["influencers"], "give a PRODUCT or --all", 2),
    (["cascades"], "give a PRODUCT or --all", 2),
    (["domains"], "give a PRODUCT or --all", 2),
    (["endorsements", "X", "--signals", "hugs"], "signals must be likes, shares or both", 2),
    (["influencers", "X", "--window", "a week"], "window 'a week' is not a number and a unit",
     2),
    (["domains", "X", "--window", "7x"], "window '7x' is not a number and a unit", 2),
    (["feed", "nobody"], "unknown user 'nobody'", 1),
    (["feed", "d", "--at", "yesterday"], "time 'yesterday' is not ISO 8601", 2),
    (["feed", "d", "--signals", "hearts"], "signals must be likes, shares or both", 2),
    (["cascades", "X", "--compare", "NOPE"], "unknown product(s): 'NOPE'", 1),
])
def test_bad_input_is_one_clear_line(offline_cli, hand, args, message, code):
    res = offline_cli(*args, "--snapshot", str(hand))
    assert res.exit_code == code
    assert message in res.output
    assert "Traceback" not in res.output


def test_product_and_all_together_is_a_usage_error(offline_cli, hand):
    res = offline_cli("domains", "X", "--all", "--snapshot", str(hand))
    assert res.exit_code == 2 and "not both" in res.output


def test_a_product_with_no_activity_gives_empty_results(tmp_path):
    snap = write_tables(tmp_path / "quiet", products="product_id\nP\n")
    source = SnapshotSource(read_snapshot(snap))
    r = I.endorsements(source, ["P"], min_users=1)
    assert r.curve.empty and r.baseline["users"] == 3 and r.baseline["adopters"] == 0
    assert I.influencers(source, ["P"], window_ms=H).ranking.empty
    d = I.domains(source, ["P"], window_ms=H)
    assert d.public_share["exposures"]["of"] == 0 and d.public_share["exposures"]["p"] is None
    c = C.cascades(source, ["P"]).to_dict()["products"][0]
    assert c["cascade_count"] == 0 and c["cascades"] == []


def _cut_cycles_plainly(parent: list[int]) -> list[int]:
    """Every cycle of the parent pointers found by walking, its smallest node made a root."""
    parent = list(parent)
    n = len(parent)
    for s in range(n):
        seen, v = [], s
        while v != -1 and v not in seen:
            seen.append(v)
            v = parent[v]
        if v != -1:  # the walk closed a loop at v
            cycle = seen[seen.index(v):]
            parent[min(cycle)] = -1
    return parent


def test_tree_metrics_cut_every_cycle_even_one_entered_from_outside():
    """Before: parents [2, 2, 0] (a gift cycle 0-2 that user 1 points into) hung
    `cascades` for ever: the cut stopped the bookkeeping half-way round the cycle."""
    import numpy as np

    from analyzer.cascades import tree_metrics

    m = tree_metrics(np.array([2, 2, 0]))
    assert m["parent"].tolist() == [-1, 2, 0] and m["depth"].tolist() == [0, 2, 1]
    rng = np.random.default_rng(5)
    for _ in range(500):
        n = int(rng.integers(1, 12))
        parent = rng.integers(-1, n, n)
        got = tree_metrics(parent)
        want = _cut_cycles_plainly(parent.tolist())
        assert got["parent"].tolist() == want, parent.tolist()
        for v in range(n):  # depth: steps to the root, plainly
            d, w = 0, v
            while want[w] != -1:
                w, d = want[w], d + 1
            assert got["depth"][v] == d and got["root"][v] == w


@pytest.mark.parametrize("ask, message", [
    (lambda s: s.endorsements(), "give a product or all_products"),
    (lambda s: s.endorsements("X", min_users=0), "min_users must be at least 1"),
    (lambda s: s.influencers("X", credit="most"), "credit must be first, last or fractional"),
    (lambda s: s.cascades("X", top=-1), "top must be 0 (all) or more"),
    (lambda s: s.reach("X", hops=13), "hops must be from 1 to 12"),
    (lambda s: s.simulate(users=["a"], p=1.5), "p must be in [0, 1]"),
    (lambda s: s.promoters(0), "k must be from 1 to the number of users"),
])
def test_the_python_api_names_its_own_parameters_not_flags(hand, ask, message):
    """A notebook user reads the keyword they passed (``p=``), never a flag (``--p``); the
    CLI tests above check that the command line shows its flags for the same errors."""
    import analyzer

    with pytest.raises(InputError) as caught:
        ask(analyzer.open_snapshot(hand))
    assert message in str(caught.value)
    assert "--" not in str(caught.value)
