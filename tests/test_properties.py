"""Property-based: small random snapshots, drawn by hypothesis, through every analysis.

On each drawn snapshot two things must hold: no analysis raises anything but a
documented error (a :class:`DiffusionError`), and the memory engine and Neo4j
answer alike (the same JSON, or the same documented error). Empty tables are
drawn on purpose: no purchases, no likes, no shares, a product nobody touched, a
user with no friends.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.api import Session
from analyzer.errors import DiffusionError
from analyzer.graphdb import load_snapshot, wipe
from analyzer.schema import CHANNELS
from analyzer.snapshot import read_snapshot

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

TIMES = ["2024-06-01T00:00:00Z", "2024-06-01T00:00:00Z", "2024-06-02T08:00:00+08:00",
         "2024-06-03T00:00:00Z", "2024-06-09T00:00:00Z"]


@st.composite
def snapshots(draw):
    """CSV text of a valid snapshot with 1-6 users and 1-2 products; any table may be empty
    or absent."""
    n = draw(st.integers(1, 6))
    users = [f"u{i}" for i in range(n)]
    pairs = [(a, b) for i, a in enumerate(users) for b in users[i + 1:]]
    friends = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs))
                   if pairs else st.just([]))
    products = ["p0", "p1"][: draw(st.integers(1, 2))]
    user, product = st.sampled_from(users), st.sampled_from(products)
    channel, at = st.sampled_from(CHANNELS), st.sampled_from(TIMES)

    def rows(*columns, max_size=6):
        return draw(st.lists(st.tuples(*columns), unique=True, max_size=max_size))

    tables = {
        "users": ["user_id"] + users,
        "friendships": ["user_a,user_b"] + [f"{a},{b}" for a, b in friends],
        "products": ["product_id"] + products,
    }
    optional = {
        "promotions": ("user_id,product_id,channel,at", rows(user, product, channel, at)),
        "shares": ("sharer_id,recipient_id,product_id,channel,at",
                   rows(user, user, product, channel, at)),
        "likes": ("user_id,product_id,at",
                  [r for r in {(u, p): (u, p, t) for u, p, t in
                               rows(user, product, at)}.values()]),
        "purchases": ("user_id,product_id,at,channel",  # one row per (user, product, at)
                      list({r[:3]: r for r in rows(user, product, at, channel)}.values())),
        "gifts": ("giver_id,recipient_id,product_id,at", rows(user, user, product, at)),
        "exposures": ("user_id,product_id,at,channel,domain",
                      [(u, p, t, c, "private" if c in ("chat", "group", "moments") else
                        "public") for u, p, t, c in rows(user, product, at, channel)]),
    }
    for name, (header, body) in optional.items():
        if draw(st.booleans()):  # absent or present, maybe with no rows
            tables[name] = [header] + [",".join(r) for r in body]
    return tables


def _answers(session: Session, products: list[str], users: list[str]) -> dict:
    """Every analysis's JSON (engine name dropped), or the documented error's class name."""
    asks = {}
    for p in products:
        asks[f"reach {p}"] = lambda p=p: session.reach(p, roles="all")
        asks[f"endorsements {p}"] = lambda p=p: session.endorsements(p, min_users=1)
        asks[f"influencers {p}"] = lambda p=p: session.influencers(p)
        asks[f"domains {p}"] = lambda p=p: session.domains(p)
        asks[f"cascades {p}"] = lambda p=p: session.cascades(p)
        asks[f"simulate {p}"] = lambda p=p: session.simulate(p, roles="all", runs=50)
        asks[f"report {p}"] = lambda p=p: session.report(p, with_promoters=False)
    asks["endorsements all"] = lambda: session.endorsements(all_products=True, min_users=1)
    asks["degrees"] = lambda: session.degrees()
    asks["feed"] = lambda: session.feed(users[0], at="2024-06-05T00:00:00Z")
    asks["promoters"] = lambda: session.promoters(1, runs=50, method="celf")
    out = {}
    for name, ask in asks.items():
        try:
            doc = ask().to_dict()
        except DiffusionError as exc:
            out[name] = f"error {type(exc).__name__}"
            continue
        out[name] = _without_engine(json.loads(json.dumps(doc, default=str)))
    return out


def _without_engine(doc):
    """The document without its "engine" keys, at every level (a report has one a section)."""
    if isinstance(doc, dict):
        return {k: _without_engine(v) for k, v in doc.items() if k != "engine"}
    if isinstance(doc, list):
        return [_without_engine(v) for v in doc]
    return doc


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(tables=snapshots())
def test_every_analysis_answers_and_the_engines_agree(tables, runner, tmp_path_factory):
    root = tmp_path_factory.mktemp("drawn")
    for name, lines in tables.items():
        (root / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    snap = read_snapshot(root)
    products = snap["products"]["product_id"].tolist()
    users = snap["users"]["user_id"].tolist()
    memory = _answers(Session(snapshot=snap), products, users)
    wipe(runner)
    load_snapshot(runner, snap)
    neo4j = _answers(Session(runner=runner), products, users)
    for name in memory:
        assert neo4j[name] == memory[name], (name, tables)
