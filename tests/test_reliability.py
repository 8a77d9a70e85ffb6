"""Trust: security, data integrity, the server and its home, limits (docs/reliability.md).

Each test reproduces one case of the reliability sweep and fails on the code before
the fix. The server cases use the session's real Neo4j, or a server of their own
where they must stop, kill or copy it. Nothing is mocked.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, ClientError

from analyzer.cli import cli
from analyzer.db import ConnectionSettings, Runner
from analyzer.errors import (DatabaseChanged, DatabaseUnavailable, DiffusionError,
                             QueryTimeout, ServerError)
from analyzer.graphdb import database_counts, load_snapshot, wipe
from analyzer.server import (ServerConfig, credentials_for, home_for_uri, start, status,
                             stop)
from analyzer.snapshot import read_snapshot, validate_snapshot

from .conftest import SAMPLE, server_config_for_tests, shared_file, write_tables


def _cli(*args, env=None, input=None):
    return CliRunner().invoke(cli, list(args), env=env, input=input)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    """A server of this module's own (auth on, as `neo4j start` runs it by default)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = server_config_for_tests(port=port, home=tmp_path_factory.mktemp("own") / "home")
    start(cfg)
    yield cfg
    try:
        stop(cfg)
    except ServerError:
        pass


def _own_credentials(uri: str) -> tuple[str, str]:
    found = credentials_for(uri)
    if found is None:
        pytest.skip(f"{uri} is not a server this project started with auth on")
    return found


# --------------------------------------------------------------------------- security


@pytest.mark.neo4j
def test_auth_is_on_and_load_csv_reads_only_the_import_folder(own):
    """Before: auth off and no import folder, so any local user read any file the server
    could (LOAD CSV FROM 'file:///...') and could write or wipe the graph."""
    secret = own.home.parent / "secret.txt"
    secret.write_text("root only\n")
    query = f"LOAD CSV FROM 'file://{secret}' AS r RETURN r"
    with GraphDatabase.driver(own.uri, auth=None) as anonymous:
        with pytest.raises(AuthError):
            anonymous.execute_query(query)
    with GraphDatabase.driver(own.uri, auth=("neo4j", "neo4j")) as default_password:
        with pytest.raises(AuthError):
            default_password.execute_query("RETURN 1")
    user, password = _own_credentials(own.uri)
    with GraphDatabase.driver(own.uri, auth=(user, password)) as driver:
        with pytest.raises(ClientError, match="Couldn't load the external resource"):
            driver.execute_query(query)
        (own.import_dir / "inside.csv").write_text("a,b\n")
        records, _, _ = driver.execute_query("LOAD CSV FROM 'file:///inside.csv' AS r "
                                             "RETURN r")
        assert [r["r"] for r in records] == [["a", "b"]]


@pytest.mark.neo4j
def test_the_home_is_private_and_the_password_never_on_a_command_line(own):
    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(own.home) == 0o700
    assert mode(own.password_file) == 0o600
    assert mode(own.data_dir) == 0o700 and mode(own.log_file) == 0o600
    store_files = [p for p in own.data_dir.rglob("*") if p.is_file()]
    assert store_files and all(mode(p) & 0o077 == 0 for p in store_files)
    password = own.password_file.read_text().strip()
    assert len(password) >= 24
    pid = int(own.pid_file.read_text())
    assert password.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
    debug_log = (own.data_dir / "logs" / "debug.log").read_text()
    assert "Anonymous Usage Data is being sent" not in debug_log
    assert "Bolt enabled" in debug_log


@pytest.mark.neo4j
def test_the_cli_finds_the_password_of_the_projects_own_server(own):
    result = _cli("stats", "--format", "json", env={"NEO4J_URI": own.uri})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["nodes"]["User"] >= 0


@pytest.mark.neo4j
def test_a_missing_or_wrong_password_says_what_to_set(own):
    # another user than the home's, so its password is not found: names the variable
    result = _cli("stats", env={"NEO4J_URI": own.uri, "NEO4J_USERNAME": "analyst"})
    assert result.exit_code == 3
    assert "requires a password: set NEO4J_PASSWORD" in result.output
    assert "Traceback" not in result.output
    # --password prompts (no value on the command line) and the server refuses a wrong one
    result = _cli("stats", "--password", env={"NEO4J_URI": own.uri}, input="wrong-one\n")
    assert result.exit_code == 3 and "refused the credentials" in result.output
    assert "wrong-one" not in result.output.replace("Neo4j password: ", "")


@pytest.mark.parametrize("uri, says", [
    ("bolt://neo4j:hunter2hunter2@127.0.0.1:7687", "carries a user name or password"),
    ("127.0.0.1:7687", "is not a Bolt URI"),
    ("http://127.0.0.1:7474", "the scheme must be one of"),
    ("bolt://127.0.0.1:notaport", "is not a Bolt URI"),
])
def test_a_uri_with_credentials_or_without_a_bolt_scheme_is_one_line(uri, says):
    result = _cli("stats", "--uri", uri)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.output
    assert "hunter2" not in result.output


def test_bolt_s_against_a_plaintext_server_says_so(neo4j_uri):
    port = neo4j_uri.rsplit(":", 1)[1]
    with pytest.raises(DatabaseUnavailable, match="does not speak TLS"):
        Runner(ConnectionSettings(uri=f"bolt+ssc://127.0.0.1:{port}"))


def test_the_markdown_report_escapes_user_supplied_names(tmp_path):
    """Before: a product name and a user id reached the Markdown raw, a live <img onerror>
    and <script> when rendered."""
    root = write_tables(
        tmp_path / "snap",
        users="user_id,name\n<script>alert(1)</script>,x\nb,y\n",
        friendships="user_a,user_b\n<script>alert(1)</script>,b\n",
        products="product_id,name\np1,<img src=x onerror=alert(1)>\n",
        promotions="user_id,product_id,channel,at\n<script>alert(1)</script>,p1,moments,"
                   "2024-06-01\n",
        purchases="user_id,product_id,at\nb,p1,2024-06-02\n",
    )
    result = _cli("report", "p1", "--snapshot", str(root), "--format", "md")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "<img" not in text and "<script" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "&lt;script&gt;" in text


def test_csv_output_neutralises_formula_cells_unless_asked(tmp_path):
    root = write_tables(tmp_path / "snap", friendships="user_a,user_b\na,=cmd|' /C calc'!A0\n")
    result = _cli("validate", str(root), "--format", "csv")
    assert result.exit_code == 1
    frame = pd.read_csv(pd.io.common.StringIO(result.stdout), dtype=str)
    assert "'=cmd|' /C calc'!A0" in frame["value"].tolist()
    assert not frame["value"].fillna("").str.startswith(("=", "+", "-", "@")).any()
    raw = _cli("--raw-csv", "validate", str(root), "--format", "csv")
    assert "=cmd|' /C calc'!A0" in pd.read_csv(pd.io.common.StringIO(raw.stdout),
                                               dtype=str)["value"].tolist()


# --------------------------------------------------------------------------- integrity


def _write_snapshot_dir(root: Path, users: list[str], pairs: list[tuple[str, str]]) -> Path:
    root.mkdir(parents=True)
    pd.DataFrame({"user_id": users}).to_csv(root / "users.csv", index=False)
    pd.DataFrame(pairs, columns=["user_a", "user_b"]).to_csv(root / "friendships.csv",
                                                              index=False)
    return root


@pytest.mark.neo4j
@pytest.mark.slow
def test_two_loads_at_once_serialise_and_duplicate_nothing(runner, neo4j_uri, tmp_path):
    """Before: both loads saw zero friendships, both took the unchecked CREATE path, and
    the overlap was stored twice (43,316 friendships against a true union of 43,096)."""
    import numpy as np

    rng = np.random.default_rng(3)
    users = [f"u{i}" for i in range(3000)]
    pairs = set()
    while len(pairs) < 24_000:
        a, b = sorted(rng.integers(0, len(users), 2))
        if a != b:
            pairs.add((users[a], users[b]))
    pairs = sorted(pairs)
    first, second = pairs[:16_000], pairs[8_000:]  # 8,000 pairs in both
    base = _write_snapshot_dir(tmp_path / "users-only", users, [])
    one = _write_snapshot_dir(tmp_path / "one", users, first)
    two = _write_snapshot_dir(tmp_path / "two", users, second)
    load_snapshot(runner, read_snapshot(base))
    env = {**os.environ, "NEO4J_URI": neo4j_uri}
    procs = [subprocess.Popen([sys.executable, "-m", "analyzer", "-q", "load", str(s),
                               "--batch-size", "500"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for s in (one, two)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert database_counts(runner)["friend"] == len(set(first) | set(second)) == 24_000


@pytest.mark.neo4j
def test_a_load_of_another_snapshot_is_refused_without_merge_or_replace(runner, tmp_path):
    """Before: the demo plus ego-Facebook silently became one graph of 104,039 users."""
    other = write_tables(tmp_path / "other", users="user_id\nx\ny\n",
                         friendships="user_a,user_b\nx,y\n")
    load_snapshot(runner, read_snapshot(SAMPLE))
    with pytest.raises(DiffusionError, match="already holds snapshot 'tea-circle', not "
                                             "'other'.*--replace.*--merge"):
        load_snapshot(runner, read_snapshot(other))
    assert database_counts(runner)["users"] == 12  # nothing written
    again = load_snapshot(runner, read_snapshot(SAMPLE))  # the same one: idempotent
    assert again.counts["users"] == 12
    merged = load_snapshot(runner, read_snapshot(other), merge=True)
    assert merged.counts["users"] == 14
    load_snapshot(runner, read_snapshot(other))  # each merged snapshot may be reloaded
    replaced = load_snapshot(runner, read_snapshot(other), replace=True)
    assert replaced.counts["users"] == 2 and replaced.counts["friend"] == 1
    with pytest.raises(DiffusionError, match="already holds snapshot 'other'"):
        load_snapshot(runner, read_snapshot(SAMPLE))


@pytest.mark.neo4j
def test_replace_empties_in_batches_bounded_by_relationships(runner):
    """Before: one DETACH DELETE per node, so a product with millions of exposures was one
    transaction; on the 100k demo --replace failed on the transaction memory pool."""
    load_snapshot(runner, read_snapshot(SAMPLE))
    seen: list[tuple[int, int]] = []
    deleted = wipe(runner, batch=5, progress=lambda table, done, total: seen.append((done,
                                                                                    total)))
    total = seen[0][1]
    assert deleted == total and seen[-1] == (total, total)
    assert len(seen) > total // 5  # one step per batch of five
    assert all(b[0] >= a[0] for a, b in zip(seen, seen[1:]))
    assert database_counts(runner) == {k: 0 for k in database_counts(runner)}


def test_a_transaction_cap_at_or_above_the_heap_is_refused_before_starting(tmp_path):
    """Before: --heap 1g with the default 2g transaction cap let one transaction kill the
    JVM with OutOfMemoryError, and the CLI blamed the connection."""
    cfg = ServerConfig(home=tmp_path / "h", heap="1g", tx_memory="2g")
    with pytest.raises(ServerError, match="--tx-memory 2g must be below --heap 1g"):
        cfg.tx_memory_bytes
    assert ServerConfig(home=tmp_path / "h", heap="1g").tx_memory_bytes == 512 << 20
    result = _cli("neo4j", "start", "--home", str(tmp_path / "h"), "--heap", "1g",
                  "--tx-memory", "1g")
    assert result.exit_code == 1 and "must be below --heap" in result.output
    assert not (tmp_path / "h").exists()


@pytest.mark.parametrize("text, line, says", [
    ('user_id,age_group,region,joined_at\nu1,18-24,gd,2021-10-05T05:19:03Z\n'
     '"u9999,"18-24","广东","2021-10-05T05:19:03.000Z"\n', 3, "',' expected after '\"'"),
    ("user_id,age_group\nu1,18-24\nu2\n", 3, "the row on line 3 has 1 field(s), the header 2"),
    ("user_id,age_group\nu1,18-24\nu2,18-24,extra\n", 3,
     "the row on line 3 has 3 field(s), the header 2"),
    ('user_id,name\nu1,"open\nu2,b\n', 2, "quote left open"),
])
def test_garbled_and_short_csv_rows_are_refused_at_their_line(tmp_path, text, line, says):
    """Before: the garbled row loaded as id `u9999,18-24"` with the timestamp in region,
    and a row of one field passed."""
    root = write_tables(tmp_path / "snap")
    (root / "users.csv").write_text(text, encoding="utf-8")
    _snap, report = validate_snapshot(root)
    problem = next(p for p in report.errors if p.code == "unreadable-file")
    assert problem.table == "users" and problem.examples[0][0] == line
    assert says in problem.message


def test_line_numbers_count_blank_lines(tmp_path):
    """Before: pandas skips blank lines, so an error on line 31 was reported at 29."""
    root = write_tables(tmp_path / "snap", users="user_id\na\n\nb\n\nc\n",
                        friendships="user_a,user_b\na,b\n\n\nb,zz\n")
    _snap, report = validate_snapshot(root)
    [dangling] = [p for p in report.errors if p.code == "dangling-reference"]
    assert dangling.examples == [(5, "zz")]
    quoted = write_tables(tmp_path / "quoted", users='user_id\n"a"\n\n"b"\nc\n',
                          friendships='user_a,user_b\n"a","b"\n\n"b","zz"\n')
    _snap, report = validate_snapshot(quoted)
    [dangling] = [p for p in report.errors if p.code == "dangling-reference"]
    assert dangling.examples == [(4, "zz")]


def test_an_empty_friendship_endpoint_is_a_located_error(tmp_path):
    """Before: '<=' not supported between 'str' and 'NoneType', a traceback."""
    root = write_tables(tmp_path / "snap", friendships="user_a,user_b\na,b\n,c\nb,\n")
    result = _cli("validate", str(root), "--format", "json")
    assert result.exit_code == 1 and "Traceback" not in result.output
    doc = json.loads(result.stdout)
    assert [(p["code"], p["column"], p["examples"][0]["line"]) for p in doc["problems"]] == [
        ("missing-value", "user_a", 3), ("missing-value", "user_b", 4)]


@pytest.mark.parametrize("command", [["generate", "--users", "50"],
                                     ["import", "edgelist", "SRC"]])
def test_overwrite_refuses_a_folder_that_is_not_a_snapshot(tmp_path, command):
    """Before: --overwrite deleted whatever was at the path."""
    src = tmp_path / "edges.txt"
    src.write_text("1 2\n2 3\n")
    target = tmp_path / "work"
    (target / "notes").mkdir(parents=True)
    (target / "thesis.tex").write_text("years of work")
    args = [str(src) if a == "SRC" else a for a in command]
    if command[0] == "generate":
        args = [args[0], str(target), *args[1:], "--overwrite"]
    else:
        args = [*args, str(target), "--overwrite"]
    result = _cli(*args)
    assert result.exit_code == 1, result.output
    assert "not one" in result.output and "nothing was changed" in result.output
    assert (target / "thesis.tex").read_text() == "years of work"
    # a snapshot folder is still replaced
    snap = tmp_path / "snap"
    assert _cli("generate", str(snap), "--users", "50").exit_code == 0
    again = _cli("generate", str(snap), "--users", "60", "--overwrite")
    assert again.exit_code == 0, again.output
    assert len(pd.read_csv(snap / "users.csv")) == 60


@pytest.mark.neo4j
def test_export_overwrite_refuses_a_folder_that_is_not_a_snapshot(cli_run, tmp_path):
    assert cli_run("load", str(SAMPLE), "--replace").exit_code == 0
    target = tmp_path / "photos"
    target.mkdir()
    (target / "holiday.jpg").write_bytes(b"\xff\xd8")
    result = cli_run("export", str(target), "--overwrite")
    assert result.exit_code == 1 and "holiday.jpg" in result.output
    assert (target / "holiday.jpg").read_bytes() == b"\xff\xd8"


def test_a_product_with_a_promotion_and_a_share_but_no_purchase_has_a_report(tmp_path):
    """Before: IndexError in adoption_touches."""
    root = write_tables(
        tmp_path / "snap", products="product_id\np1\np2\n",
        promotions="user_id,product_id,channel,at\na,p1,moments,2024-01-01\n",
        shares="sharer_id,recipient_id,product_id,channel,at\na,b,p1,chat,2024-01-02\n",
        purchases="user_id,product_id,at\nc,p2,2024-01-03\n")
    result = _cli("report", "p1", "--snapshot", str(root), "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["summary"]["buyers"] == 0 and doc["summary"]["sharers"] == 1


def test_imported_times_keep_their_span_under_pandas_3(tmp_path):
    """Before: _ms assumed nanoseconds; pandas 3 gave microseconds, so times came out 1000x
    too small and a 6.5-year span shrank to 2.4 days."""
    edges = tmp_path / "edges.txt"
    edges.write_text("1,2\n2,3\n")
    cascades = tmp_path / "cascades.txt"
    cascades.write_text("1 1 0,2 86400,3 205000000,\n")  # root, then user and time
    out = tmp_path / "snap"
    assert _cli("import", "cascades", str(edges), str(cascades), str(out)).exit_code == 0
    at = pd.to_datetime(pd.read_csv(out / "purchases.csv")["at"], format="ISO8601")
    from datetime import datetime, timedelta, timezone

    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    assert sorted(at.dt.strftime("%Y-%m-%dT%H:%M:%S")) == [
        (epoch + timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%S")
        for s in (0, 86_400, 205_000_000)]


def test_stackexchange_cascades_span_six_and_a_half_years(tmp_path):
    folder = shared_file("stackexchange", "christianity")
    out = tmp_path / "se"
    result = _cli("-q", "import", "cascades", str(folder / "edges.txt"),
                  str(folder / "cascades.txt"), str(out))
    assert result.exit_code == 0, result.output
    at = pd.to_datetime(pd.read_csv(out / "purchases.csv")["at"], format="ISO8601")
    assert 6.4 < (at.max() - at.min()).days / 365.25 < 6.7


# --------------------------------------------------------------------------- server, home


@pytest.mark.neo4j
def test_status_and_stop_find_the_running_server_from_the_uri(own, monkeypatch):
    """Before: the Makefile's home and the CLI's default home differed, so `neo4j status`
    said stopped while the demo's server answered."""
    monkeypatch.delenv("DIFFUSION_HOME", raising=False)
    assert home_for_uri(own.uri) == own.home.resolve()
    result = _cli("neo4j", "status", "--format", "json", env={"NEO4J_URI": own.uri})
    doc = json.loads(result.stdout)
    assert result.exit_code == 0 and doc["running"] and doc["home"] == str(own.home.resolve())


@pytest.mark.neo4j
def test_stop_with_a_copied_home_leaves_the_other_server_running(own, tmp_path):
    """Before: the pid check matched only the class name, so a copy's stop killed the
    original's server."""
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("neo4j.pid", "neo4j.json"):
        shutil.copy(own.home / name, copy / name)
    result = _cli("neo4j", "stop", "--home", str(copy))
    assert result.exit_code == 0 and "was not running" in result.output
    assert status(own).running


@pytest.mark.neo4j
def test_start_on_another_port_of_a_running_home_says_so(own):
    other = own.port + 1 if own.port < 65535 else own.port - 1
    result = _cli("neo4j", "start", "--home", str(own.home), "--port", str(other),
                  "--heap", own.heap, "--pagecache", own.pagecache)
    assert result.exit_code == 0
    assert f"already runs on port {own.port}, not {other}" in " ".join(result.output.split())


def test_fresh_refuses_a_port_another_process_holds_before_importing(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        home = tmp_path / "home"
        result = _cli("load", str(SAMPLE), "--fresh", "--home", str(home), "--port",
                      str(port))
    assert result.exit_code == 1 and f"port {port}" in result.output
    assert "already taken by another process" in result.output
    assert not (home / "neo4j").exists()  # nothing imported


def test_fresh_restarts_with_the_settings_the_server_ran_with(tmp_path):
    from analyzer.server import running_settings

    cfg = ServerConfig(home=tmp_path, port=7999, heap="1g", pagecache="256m")
    cfg.state_file.parent.mkdir(parents=True, exist_ok=True)
    cfg.state_file.write_text(json.dumps({"port": 7999, "heap": "1g", "pagecache": "256m",
                                          "tx_memory": None, "auth": True}))
    again = running_settings(ServerConfig(home=tmp_path))
    assert (again.port, again.heap, again.pagecache, again.auth) == (7999, "1g", "256m", True)


@pytest.mark.neo4j
@pytest.mark.slow
def test_a_dead_server_is_named_dead_with_its_log(tmp_path, free_port):
    """Before: a server that had died (OutOfMemoryError, a kill) was reported as "cannot
    reach Neo4j", exit 3, with no word of its log."""
    cfg = server_config_for_tests(port=free_port, home=tmp_path / "home")
    start(cfg)
    pid = int(cfg.pid_file.read_text())
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    result = _cli("stats", env={"NEO4J_URI": cfg.uri})
    assert result.exit_code == 3
    assert "is no longer running; it died" in result.output
    assert str(cfg.log_file) in result.output


# --------------------------------------------------------------------------- limits


@pytest.mark.neo4j
def test_timeout_stops_a_query_with_a_clear_message(runner, neo4j_uri):
    """A query that waits (here for the load lock another client holds) past --timeout."""
    runner.run("schema/load_lock_unique")
    runner.run("admin/lock_node", name="load")
    with runner.holding("admin/lock_take", name="load", holder="test"):
        with Runner(ConnectionSettings(uri=neo4j_uri, timeout=1.0)) as impatient:
            with pytest.raises(QueryTimeout, match="ran past the timeout of 1 s"):
                impatient.run("admin/lock_take", name="load", holder="impatient")
    with pytest.raises(DiffusionError, match="positive number of seconds"):
        Runner(ConnectionSettings(uri=neo4j_uri, timeout=0))


@pytest.mark.neo4j
def test_an_analysis_during_a_load_stops_at_once_with_the_documented_message(runner,
                                                                              neo4j_uri):
    """Before: `report` during a load ran 60-76 s, then failed with the server's raw
    "diffusion projection changed"."""
    load_snapshot(runner, read_snapshot(SAMPLE))
    runner.run("admin/lock_node", name="load")
    with runner.holding("admin/lock_take", name="load", holder="test",
                        metadata={"diffusion": "load"}):
        result = _cli("report", "p-tea", env={"NEO4J_URI": neo4j_uri})
        assert result.exit_code == 1
        assert "a diffusion load is writing to the database" in result.output
        from analyzer.api import Session

        with pytest.raises(DatabaseChanged):
            Session(runner=runner).endorsements("p-tea")
    assert _cli("report", "p-tea", env={"NEO4J_URI": neo4j_uri}).exit_code == 0


def test_a_simulation_too_large_for_memory_is_refused_up_front():
    """Before: simulate --runs 100000000 died in a MemoryError traceback."""
    result = _cli("simulate", "--users", "u01", "--runs", "100000000", "--snapshot",
                  str(SAMPLE))
    assert result.exit_code == 2 or result.exit_code == 1
    assert "--runs" in result.output and "GiB" in result.output
    assert "Traceback" not in result.output


def test_a_port_that_accepts_but_never_answers_fails_as_unreachable():
    """A listener that never speaks Bolt: the connection fails (docs/reliability.md has
    the measured time), not hangs."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(DatabaseUnavailable, match=f"cannot reach Neo4j at "
                                                      f"bolt://127.0.0.1:{port}"):
            Runner(ConnectionSettings(uri=f"bolt://127.0.0.1:{port}"))


def test_disk_full_is_one_line_and_leaves_nothing(tmp_path):
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small tmpfs")
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(tiny)],
                      capture_output=True).returncode != 0:
        pytest.skip("this machine does not let root mount a tmpfs")
    try:
        result = _cli("generate", str(tiny / "g"), "--users", "3000")
        assert result.exit_code == 1
        assert result.output.strip().splitlines()[-1].startswith("error: ")
        assert "no space left on the device" in result.output
        assert list(tiny.iterdir()) == []
    finally:  # something in a long suite can keep the mount busy: detach it lazily then
        if subprocess.run(["umount", str(tiny)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(tiny)], capture_output=True)
