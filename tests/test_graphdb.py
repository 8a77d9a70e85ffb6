"""Load, stats, export and query against the real Neo4j server."""

from __future__ import annotations

import json
import time

import pandas as pd
import pytest

from analyzer.db import ConnectionSettings, Runner
from analyzer.errors import DatabaseUnavailable, InputError
from analyzer.graphdb import export_tables, graph_stats, load_snapshot
from analyzer.schema import TABLES
from analyzer.snapshot import read_snapshot, validate_snapshot

from .conftest import SAMPLE, write_tables

pytestmark = pytest.mark.neo4j


def normalised(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Tables with rows sorted and all-null optional columns dropped, for comparison."""
    out = {}
    for name, frame in tables.items():
        table = TABLES[name]
        keep = [c.name for c in table.columns if c.name in frame.columns
                and (c.required or frame[c.name].notna().any())]
        f = frame[keep].astype(object).where(frame[keep].notna(), None)
        out[name] = f.sort_values(keep, key=lambda s: s.astype(str)).reset_index(drop=True)
    return out


def test_load_then_stats_match_the_sample(runner):
    result = load_snapshot(runner, read_snapshot(SAMPLE))
    assert result.counts == {"users": 12, "products": 2, "friend": 14, "follows": 0,
                             "promoted": 3,
                             "shared": 7, "liked": 5, "purchased": 6, "gifted": 2, "exposed": 9}
    stats = graph_stats(runner)
    assert stats.nodes == {"User": 12, "Product": 2}
    assert stats.degrees["users"] == 12 and stats.degrees["isolated"] == 0
    assert (stats.degrees["min"], stats.degrees["max"]) == (1, 3)
    assert stats.degrees["mean"] == pytest.approx(28 / 12, abs=1e-4)
    tea = stats.products.set_index("product_id").loc["p-tea"]
    # counted by hand from the sample's CSV files
    assert (tea.promoters, tea.shares, tea.likes, tea.purchases, tea.buyers, tea.gifts) == (
        1, 5, 4, 5, 5, 1)
    assert list(stats.products["product_id"]) == ["p-tea", "p-jade"]


def test_a_load_leaves_the_projection_built(runner):
    """The server builds its projection at the end of a load, so the first analysis after
    it finds the projection current (the same key: database and last transaction)
    instead of waiting for it; without ``project`` the next call builds a new one."""
    result = load_snapshot(runner, read_snapshot(SAMPLE))
    assert result.projection is not None
    assert (result.projection["users"], result.projection["friendships"]) == (12, 28)
    assert runner.run("admin/projection")[0]["key"] == result.projection["key"]
    assert result.to_dict()["projection"]["key"] == result.projection["key"]
    skipped = load_snapshot(runner, read_snapshot(SAMPLE), project=False)
    assert skipped.projection is None and skipped.to_dict()["projection"] is None
    assert runner.run("admin/projection")[0]["key"] != result.projection["key"]


def test_loading_twice_gives_identical_counts(runner):
    snap = read_snapshot(SAMPLE)
    first = load_snapshot(runner, snap)
    second = load_snapshot(runner, snap)
    assert first.counts == second.counts
    assert second.paths["friendships"] == "load/friendships_merge"
    assert first.paths["friendships"] == "load/friendships_create_nodes"
    assert (first.paths["users"], second.paths["users"]) == ("load/users_create", "load/users")


def test_replace_empties_first(runner, tmp_path):
    load_snapshot(runner, read_snapshot(SAMPLE))
    small = write_tables(tmp_path)
    result = load_snapshot(runner, read_snapshot(small), replace=True)
    assert result.counts["users"] == 3 and result.counts["friend"] == 2
    assert result.counts["shared"] == 0


def test_export_round_trip_equals_input(runner):
    snap = read_snapshot(SAMPLE)
    load_snapshot(runner, snap)
    exported = export_tables(runner)
    assert set(exported) == set(snap.tables)
    got, want = normalised(exported), normalised(snap.tables)
    for name in want:
        pd.testing.assert_frame_equal(got[name], want[name], check_dtype=False, obj=name)


def test_friendships_with_some_missing_properties_round_trip(runner, tmp_path):
    """The by-node-id path keeps a missing `since` or `probability` missing (not NaN, not
    a float timestamp)."""
    snap = read_snapshot(write_tables(
        tmp_path, users="user_id\na\nb\nc\nd\n",
        friendships="user_a,user_b,since,probability\n"
                    "a,b,2020-01-02T03:04:05.678Z,0.25\n"
                    "b,c,,0.5\n"
                    "c,d,2021-05-06T00:00:00Z,\n"))
    result = load_snapshot(runner, snap)
    assert result.paths["friendships"] == "load/friendships_create_nodes"
    got, want = normalised(export_tables(runner)), normalised(snap.tables)
    pd.testing.assert_frame_equal(got["friendships"], want["friendships"], check_dtype=False)
    assert got["friendships"]["since"].isna().tolist() == [False, True, False]


FOLLOWS = ("follower_id,followee_id,since,probability\n"
           "u01,u02,2024-01-01T00:00:00Z,0.25\nu02,u01,,0.5\nu03,u02,2024-02-01T00:00:00Z,\n")


def with_follows(tmp_path):
    """The sample snapshot with a follows table: u01 and u02 follow each other, u03
    follows u02."""
    import shutil

    out = tmp_path / "tea-follows"
    shutil.copytree(SAMPLE, out)
    (out / "follows.csv").write_text(FOLLOWS, encoding="utf-8")
    return out


def test_follows_load_directed_and_round_trip(runner, tmp_path):
    snap = read_snapshot(with_follows(tmp_path))
    result = load_snapshot(runner, snap, replace=True)
    assert result.counts["follows"] == 3 and result.paths["follows"] == "load/follows"
    again = load_snapshot(runner, snap)  # re-running creates no second follow
    assert again.counts == result.counts
    got, want = normalised(export_tables(runner)), normalised(snap.tables)
    pd.testing.assert_frame_equal(got["follows"], want["follows"], check_dtype=False)
    assert graph_stats(runner).relationships["FOLLOWS"] == 3


def test_cli_export_writes_a_valid_snapshot_that_reloads(cli_run, runner, tmp_path):
    assert cli_run("load", str(SAMPLE)).exit_code == 0
    out = tmp_path / "copy"
    result = cli_run("export", str(out), "--as", "parquet")
    assert result.exit_code == 0, result.output
    snap, report = validate_snapshot(out)
    assert report.ok, report.to_dict()
    assert {n: len(f) for n, f in snap.tables.items()} == report.rows
    assert json.loads((out / "snapshot.json").read_text())["format_version"] == 1
    original = normalised(read_snapshot(SAMPLE).tables)
    for name, frame in normalised(snap.tables).items():
        pd.testing.assert_frame_equal(frame, original[name], check_dtype=False, obj=name)


HOSTILE = ["'; MATCH (n) DETACH DELETE n //", '"}) DETACH DELETE n //', "`User`", "王芳",
           "emoji 🧧 红包", "back\\slash", "$seeds", "{{hops}}"]


def test_hostile_and_non_ascii_ids_round_trip(runner, tmp_path):
    users = pd.DataFrame({"user_id": HOSTILE, "name": [f"名字 {i}" for i in range(len(HOSTILE))]})
    friends = pd.DataFrame({"user_a": HOSTILE[:-1], "user_b": HOSTILE[1:]})
    tmp_path.mkdir(exist_ok=True)
    users.to_csv(tmp_path / "users.csv", index=False)
    friends.to_csv(tmp_path / "friendships.csv", index=False)
    load_snapshot(runner, read_snapshot(tmp_path))
    exported = export_tables(runner)
    assert sorted(exported["users"]["user_id"]) == sorted(HOSTILE)
    assert sorted(exported["users"]["name"]) == sorted(users["name"])
    pairs = set(map(tuple, exported["friendships"][["user_a", "user_b"]].to_numpy()))
    assert pairs == set(zip(HOSTILE[:-1], HOSTILE[1:]))


def test_invalid_snapshot_loads_nothing(cli_run, runner, tmp_path):
    write_tables(tmp_path, friendships="user_a,user_b\na,b\nb,ghost\n")
    result = cli_run("load", str(tmp_path))
    assert result.exit_code == 1
    assert f"{tmp_path / 'friendships.csv'}:3 [user_b]: unknown id" in result.stderr
    assert runner.run("admin/node_count")[0] == {"users": 0, "products": 0}


def test_cli_stats_json_is_stable(cli_run, runner):
    assert cli_run("load", str(SAMPLE), "--format", "json").exit_code == 0
    result = cli_run("stats", "--format", "json")
    doc = json.loads(result.stdout)
    assert set(doc) == {"nodes", "relationships", "degrees", "products_total", "products"}
    assert doc["relationships"]["FRIEND"] == 14 and doc["products_total"] == 2
    assert doc["products"][0] == {"product_id": "p-tea", "name": "安溪铁观音 250g",
                                  "category": "food", "promoters": 1, "shares": 5, "likes": 4,
                                  "purchases": 5, "buyers": 5, "gifts": 1}
    csv = cli_run("stats", "--format", "csv").stdout.splitlines()
    assert csv[0] == "product_id,name,category,promoters,shares,likes,purchases,buyers,gifts"


def test_stats_by_shares_leads_with_the_product_the_demo_reports(cli_run, runner, tmp_path):
    """The demo prints `stats --top 5 --by shares`, then `report --most-shared`: the table's
    first product is the reported one. In this snapshot the most-purchased product (p0) is
    not the most-shared one (p2), so ordering by purchases would not show it first."""
    import analyzer

    snap = tmp_path / "snap"
    assert cli_run("generate", str(snap), "--users", "400", "--products", "5",
                   "--seed", "1").exit_code == 0
    assert cli_run("load", str(snap), "--replace").exit_code == 0
    by_shares = json.loads(cli_run("stats", "--top", "5", "--by", "shares",
                                   "--format", "json").stdout)["products"]
    by_purchases = json.loads(cli_run("stats", "--format", "json").stdout)["products"]
    shares = [p["shares"] for p in by_shares]
    assert shares == sorted(shares, reverse=True)
    with analyzer.open_snapshot(snap) as s:
        most_shared = s.most_shared_product()
    assert by_shares[0]["product_id"] == most_shared == "p2"
    assert by_purchases[0]["product_id"] == "p0"


def test_query_runs_a_named_module(cli_run, runner):
    cli_run("load", str(SAMPLE))
    result = cli_run("query", "stats/degrees", "--format", "json")
    assert result.exit_code == 0, result.output
    (record,) = json.loads(result.stdout)["records"]
    assert record["users"] == 12 and record["max"] == 3


def test_query_refuses_unexpected_parameter(cli_run, runner):
    result = cli_run("query", "stats/degrees", "--param", "x=1")
    assert result.exit_code == 1
    assert "unexpected parameter(s): x" in result.stderr


def test_query_refuses_missing_parameter(cli_run, runner):
    result = cli_run("query", "load/likes", "--param", 'user_id=["a"]')
    assert result.exit_code == 1
    assert "missing parameter(s): at, product_id" in result.stderr


def test_query_unknown_module(cli_run):
    result = cli_run("query", "nope/nothing")
    assert result.exit_code == 1 and "unknown cypher module" in result.stderr


def test_query_list_shows_every_module(offline_cli):
    result = offline_cli("query", "--list", "--format", "json")
    names = {r["name"] for r in json.loads(result.stdout)["records"]}
    assert {"load/friendships_create", "stats/products", "export/users"} <= names


def test_unreachable_server_is_one_line_exit_3(offline_cli, free_port):
    started = time.monotonic()
    result = offline_cli("stats", "--uri", f"bolt://127.0.0.1:{free_port}")
    elapsed = time.monotonic() - started
    assert result.exit_code == 3
    assert result.stderr.strip().count("\n") == 0
    assert f"cannot reach Neo4j at bolt://127.0.0.1:{free_port}" in result.stderr
    assert "diffusion neo4j start" in result.stderr and "Traceback" not in result.output
    assert elapsed < 5


def test_runner_raises_database_unavailable(free_port):
    with pytest.raises(DatabaseUnavailable):
        Runner(ConnectionSettings(uri=f"bolt://127.0.0.1:{free_port}"))


def test_connection_errors_name_the_api_keyword_and_the_cli_flag(offline_cli, free_port):
    """Python reads the keyword (``uri``), the command line its flag (``--uri``)."""
    with pytest.raises(DatabaseUnavailable) as caught:
        Runner(ConnectionSettings(uri=f"bolt://127.0.0.1:{free_port}"))
    assert "point uri / NEO4J_URI at a running server" in str(caught.value)
    assert "--" not in str(caught.value)
    result = offline_cli("stats", "--uri", f"bolt://127.0.0.1:{free_port}")
    assert "point --uri / NEO4J_URI at a running server" in result.stderr
    with pytest.raises(InputError) as caught:
        Runner(ConnectionSettings(uri="bolt://neo4j:secret@127.0.0.1:7687"))
    assert "(or password)" in str(caught.value) and "--" not in str(caught.value)


@pytest.mark.parametrize("module,params", [
    ("load/shares", dict(sharer_id=["a"], recipient_id=["b"], product_id=["p"], channel=["chat"],
                         at=[1], inferred=[None])),
    ("load/gifts", dict(giver_id=["a"], recipient_id=["b"], product_id=["p"], at=[1])),
])
def test_event_loads_expand_between_users_not_scan_the_product_index(runner, module, params):
    from analyzer.graphdb import ensure_schema

    ensure_schema(runner)  # the relationship indexes must exist for the regression to show
    operators = runner.explain(module, **params)
    assert any(op.startswith("Expand(Into)") for op in operators), operators
    assert not any("RelationshipIndexSeek" in op for op in operators), operators


def test_connect_takes_the_drivers_auth_tuple(neo4j_uri, runner):
    """`analyzer.connect(uri, auth=(user, password))` works, a wrong password is refused,
    and auth with user/password together is a clear error."""
    import analyzer
    from analyzer.errors import DiffusionError, InputError

    good = runner.settings.resolved()
    with analyzer.connect(neo4j_uri, auth=(good.user, good.password or "")) as s:
        assert s.runner.run("admin/node_count")[0] == {"users": 0, "products": 0}
    if good.password:  # the server runs with auth: a wrong password does not get in
        with pytest.raises(DiffusionError):
            with analyzer.connect(neo4j_uri, auth=(good.user, good.password + "x")) as s:
                s.runner.run("admin/node_count")
    with pytest.raises(InputError, match="not both"):
        analyzer.connect(neo4j_uri, user="neo4j", auth=("neo4j", "x"))
