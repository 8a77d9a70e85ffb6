"""The Spark engine's first step: every ``sql/`` rule run as Spark SQL (pyspark,
``local[2]``, one session for the test session) equals the DuckDB engine row for row,
and a Session on Spark answers the rule-based analyses with the embedded engine's
numbers."""

from __future__ import annotations

import os

import pytest

from analyzer.api import Session
from analyzer.engines.duckdb import DuckDBEngine, SqlRules
from analyzer.snapshot import read_snapshot

from .conftest import SAMPLE
from .test_influence import hand, ties_fixture  # noqa: F401 (fixtures)
from .test_rules import RULES, _calls, _rows


@pytest.fixture(scope="session")
def spark():
    """One Spark session for the whole test session. CI installs the extra, so there a
    missing pyspark is a failure, not a skip."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("CI must install the spark extra (pip install '.[spark]')")
        pytest.skip("pyspark is not installed (pip install 'diffusion[spark]')")
    from analyzer.engines.spark import spark_session

    session = spark_session("local[2]", {"spark.sql.shuffle.partitions": "4",
                                         "spark.default.parallelism": "2"})
    yield session
    session.stop()


def _assert_engines_agree(spark, snap, product_sets) -> int:
    from analyzer.engines.spark import SparkRules

    local, remote = SqlRules(snap), SparkRules(snap, spark)
    compared = 0
    try:
        for rule in RULES:
            for products in product_sets:
                for params in _calls(rule):
                    want = local.frame(rule.name, products, **params)
                    got = remote.frame(rule.name, products, **params)
                    assert list(got.columns) == list(want.columns), rule.name
                    assert _rows(got) == _rows(want), (rule.name, products, params)
                    compared += len(want)
    finally:
        remote.close()
        local.close()
    return compared


def _generated(tmp_path):
    from analyzer.generate import GeneratorParams, generate_snapshot

    generate_snapshot(GeneratorParams(users=20_000, products=3, seed=7), tmp_path / "g")
    return tmp_path / "g"


@pytest.mark.parametrize("case, at_least", [("hand", 1), ("ties_fixture", 1),
                                            ("generated", 50_000)])
def test_rules_on_spark_equal_duckdb(spark, request, tmp_path, case, at_least):
    """The hand fixture (several product sets, one with an unknown product), the ties
    fixture, and a generated 20k-user snapshot (all products, and one)."""
    path = _generated(tmp_path) if case == "generated" else request.getfixturevalue(case)
    snap = read_snapshot(path)
    products = sorted(snap.ids("products").tolist())
    sets = {"hand": [["X"], ["X", "Y", "Z"], ["Z", "nobody"]], "ties_fixture": [["X", "Q"]],
            "generated": [products, products[:1]]}[case]
    assert _assert_engines_agree(spark, snap, sets) >= at_least


def test_a_session_on_spark_answers_as_the_embedded_engine(spark):
    from analyzer.api import open_snapshot

    snap = read_snapshot(SAMPLE)
    with Session(engine=DuckDBEngine(snap)) as local, open_snapshot(SAMPLE,
                                                                    spark=spark) as remote:
        assert remote.engine == "spark"
        assert remote.reach(users=["u01"], hops=3).per_hop == local.reach(
            users=["u01"], hops=3).per_hop
        for name, call in [("endorsements", lambda s: s.endorsements(all_products=True,
                                                                     min_users=1)),
                           ("influencers", lambda s: s.influencers(all_products=True)),
                           ("domains", lambda s: s.domains(all_products=True)),
                           ("cascades", lambda s: s.cascades(all_products=True))]:
            want, got = call(local).to_dict(), call(remote).to_dict()
            assert (want.pop("engine", "memory"), got.pop("engine", "spark")) == (
                "memory", "spark"), name
            assert got == want, name


@pytest.mark.parametrize("command", [["endorsements", "--all", "--min-users", "1"],
                                     ["domains", "--all"], ["cascades", "--all"]])
def test_cli_engine_spark_prints_what_memory_prints(spark, offline_cli, command):
    """--engine spark on a snapshot: the same JSON as the embedded engine (the test
    session's Spark session is reused, and not stopped by the command)."""
    import json

    docs = {}
    for engine in ("memory", "spark"):
        res = offline_cli(*command, "--snapshot", str(SAMPLE), "--engine", engine,
                          "--spark-conf", "spark.sql.shuffle.partitions=4", "--format", "json")
        assert res.exit_code == 0, res.output
        doc = json.loads(res.stdout)
        assert doc.pop("engine") == engine
        docs[engine] = doc
    assert docs["spark"] == docs["memory"]
    assert not spark.sparkContext._jsc.sc().isStopped()


def test_cli_engine_spark_refuses_bad_input(offline_cli, monkeypatch):
    """Without --snapshot, with a malformed --spark-conf, or without pyspark: a message
    naming the option or the install command, exit 1 (bad input), nothing run."""
    import sys

    res = offline_cli("domains", "--all", "--engine", "spark")
    assert res.exit_code == 1 and "--engine spark reads a snapshot" in res.output
    res = offline_cli("domains", "--all", "--snapshot", str(SAMPLE), "--engine", "spark",
                      "--spark-conf", "no-equals-sign")
    assert res.exit_code == 1 and "--spark-conf takes KEY=VALUE" in res.output
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # as if pyspark were absent
    res = offline_cli("domains", "--all", "--snapshot", str(SAMPLE), "--engine", "spark")
    assert res.exit_code == 1 and "pip install 'diffusion[spark]'" in res.output
