"""The ``sql/`` rules: well-formed, portable to Spark SQL, and equal row for row to their
Cypher twins on the real server (the hand fixture, the ties fixture and a generated
snapshot)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import sqlglot

from analyzer.cypher import load_module
from analyzer.engines.duckdb import SqlRules
from analyzer.graphdb import load_snapshot
from analyzer.rules import VIEWS, RuleError, list_rules, load_rule, parse_rule
from analyzer.snapshot import read_snapshot

from .test_influence import hand, ties_fixture  # noqa: F401 (fixtures)

RULES = list_rules()
#: Parameter values each rule is compared on (every combination).
CHOICES = {"purchases": [True, False], "likes": [True, False], "shares": [True, False],
           "window_ms": [3_600_000, 7 * 86_400_000]}


def _calls(rule):
    names = [p.name for p in rule.params]
    for values in itertools.product(*(CHOICES[n] for n in names)):
        yield dict(zip(names, values))


def _literal(param) -> str:
    return {"bool": "TRUE", "int": "7", "float": "0.5", "text": "'x'"}[param.type]


def test_every_rule_has_a_cypher_twin_with_the_same_columns():
    assert {r.name for r in RULES} >= {"domains/exposures", "influence/endorsements"}
    for rule in RULES:
        twin = load_module(rule.twin)
        # "a, b: type -- doc; c: type": a group without a type continues a doc
        groups = [g.split(" -- ")[0] for g in twin.returns.split(";")]
        returned = [name.strip() for group in groups if ":" in group
                    for name in group.rpartition(":")[0].split(",")]
        assert returned == list(rule.columns), rule.name
        cypher_params = {p.name for p in twin.params} - {"product_ids"}
        assert cypher_params == {p.name for p in rule.params}, rule.name
        assert set(rule.params and [p.name for p in rule.params]) <= set(CHOICES)


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_a_rule_means_the_same_to_duckdb_and_to_spark_sql(rule):
    """The text parses in both dialects, and both parses come out as the same Spark SQL:
    nothing in it is DuckDB's own (a ``list_contains`` would be rewritten on one side only)."""
    texts = []
    for dialect in ("duckdb", "spark"):
        text = rule.render(dialect, {p.name: None for p in rule.params})
        for p in rule.params:
            marker = ("$" if dialect == "duckdb" else ":") + p.name
            assert marker in text
            text = text.replace(marker, _literal(p))
        texts.append(sqlglot.transpile(text, read=dialect, write="spark")[0])
    assert texts[0] == texts[1]
    assert "$" not in rule.render("spark", {p.name: None for p in rule.params})


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_a_view_means_the_same_to_duckdb_and_to_spark_sql(view):
    _, query = VIEWS[view]
    assert sqlglot.transpile(query, read="duckdb", write="spark") == \
        sqlglot.transpile(query, read="spark", write="spark")


def test_the_loader_refuses_a_malformed_rule():
    head = ("-- name: t/x\n-- description: d\n-- twin: domains/exposures\n-- reads: shares\n"
            "-- returns: product_id: product\n")
    with pytest.raises(RuleError, match="parameters used \\['k'\\] differ"):
        parse_rule(head + "SELECT s.product_id AS product_id FROM shares AS s WHERE $k", "x.sql")
    with pytest.raises(RuleError, match="one query"):
        parse_rule(head + "SELECT 1 AS product_id; SELECT 2", "x.sql")
    with pytest.raises(RuleError, match="needs a kind"):
        parse_rule(head.replace("product_id: product", "product_id: string") + "SELECT 1",
                   "x.sql")
    with pytest.raises(RuleError, match="no `-- twin:` line"):
        parse_rule(head.replace("-- twin: domains/exposures\n", "") + "SELECT 1", "x.sql")
    with pytest.raises(RuleError, match="missing parameter\\(s\\): purchases"):
        load_rule("influence/adoptions").render("duckdb", {})
    with pytest.raises(RuleError, match="unknown sql rule"):
        load_rule("influence/nothing")


def _cypher_frame(runner, rule, products, params) -> pd.DataFrame:
    """The twin's answer as rows: a module that returns columns (lists) is unfolded, and a
    one-element list (how a module keeps a null in a collected column) becomes its value."""
    records = runner.run(rule.twin, product_ids=list(products), **params)
    columns = list(rule.columns)
    if "list<" in load_module(rule.twin).returns:
        got = records[0] if records else {c: [] for c in columns}
        frame = pd.DataFrame({c: list(got[c]) for c in columns})
    else:
        frame = pd.DataFrame(records, columns=columns)
    return frame.map(lambda v: v[0] if isinstance(v, list) and len(v) == 1 else v)


def _rows(frame: pd.DataFrame) -> list[tuple]:
    plain = [tuple(None if v is None or (not isinstance(v, str) and pd.isna(v)) else
                   (int(v) if isinstance(v, (int, np.integer)) else v) for v in row)
             for row in frame.itertuples(index=False)]
    return sorted(plain, key=repr)


def _assert_rules_agree(runner, snap, product_sets) -> int:
    load_snapshot(runner, snap)
    engine = SqlRules(snap)
    compared = 0
    for rule in RULES:
        for products in product_sets:
            for params in _calls(rule):
                ours = _rows(engine.frame(rule.name, products, **params))
                twin = _rows(_cypher_frame(runner, rule, products, params))
                assert ours == twin, (rule.name, products, params)
                compared += len(ours)
    return compared


def test_rules_equal_their_cypher_twins_on_the_hand_fixture(runner, hand):  # noqa: F811
    assert _assert_rules_agree(runner, read_snapshot(hand), [["X"], ["X", "Y", "Z"],
                                                             ["Z", "nobody"]]) > 0


def test_rules_equal_their_cypher_twins_on_ties(runner, ties_fixture):  # noqa: F811
    assert _assert_rules_agree(runner, read_snapshot(ties_fixture), [["X", "Q"]]) > 0


def test_rules_equal_their_cypher_twins_on_a_generated_snapshot(runner, tmp_path):
    from analyzer.generate import GeneratorParams, generate_snapshot

    generate_snapshot(GeneratorParams(users=3000, products=3, seed=5), tmp_path / "g")
    snap = read_snapshot(tmp_path / "g")
    products = sorted(snap.ids("products").tolist())
    assert _assert_rules_agree(runner, snap, [products, products[:1]]) > 10_000


def test_an_absent_table_reads_as_empty(tmp_path):
    """A snapshot without gifts, exposures or promotions still answers every rule."""
    from .conftest import write_tables

    root = write_tables(tmp_path / "bare", users="user_id\na\nb\n",
                        friendships="user_a,user_b\na,b\n", products="product_id\nX\n",
                        likes="user_id,product_id,at\na,X,2024-01-01T00:00:00Z\n")
    engine = SqlRules(read_snapshot(root))
    assert engine.frame("domains/exposures", ["X"]).empty
    assert engine.frame("cascades/members", ["X"]).empty
    got = engine.frame("influence/endorsements", ["X"], likes=True, shares=True)
    assert got.to_dict("records") == [{"user_id": "b", "product_id": "X", "endorser_id": "a",
                                       "at": 1704067200000}]
