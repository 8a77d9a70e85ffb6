"""The project's own Neo4j: start/status/stop, and a load that survives the server dying."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from analyzer.cli import cli
from analyzer.db import ConnectionSettings, Runner
from analyzer.graphdb import database_counts, export_tables
from analyzer.server import start, status, stop

from .conftest import server_config_for_tests

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]


@pytest.fixture
def own_server(tmp_path, free_port):
    """A second server of our own, on its own port and home, that a test may kill."""
    cfg = server_config_for_tests(port=free_port, home=tmp_path / "home")
    start(cfg)
    yield cfg
    try:
        stop(cfg)
    except Exception:  # it may already be dead: that is what some tests do
        pass


def test_start_twice_status_and_stop(own_server):
    # the JVM gets Neo4j's own --add-opens: no page-cache fallback, no failed file advice
    debug_log = (own_server.data_dir / "logs" / "debug.log").read_text()
    assert "Bolt enabled" in debug_log, debug_log[-2000:]
    for warning in ("using fallback mode", "Incorrect file descriptor"):
        assert warning not in debug_log
    cli_runner = CliRunner()
    args = ["neo4j", "start", "--home", str(own_server.home), "--port", str(own_server.port)]
    again = cli_runner.invoke(cli, args)
    assert again.exit_code == 0 and "already running" in again.stdout
    st = cli_runner.invoke(cli, ["neo4j", "status", "--home", str(own_server.home),
                                 "--format", "json"])
    doc = json.loads(st.stdout)
    assert doc["running"] is True and doc["version"].startswith("5.26.")
    assert doc["uri"] == f"bolt://127.0.0.1:{own_server.port}" and doc["store_bytes"] > 0
    stopped = cli_runner.invoke(cli, ["neo4j", "stop", "--home", str(own_server.home)])
    assert stopped.exit_code == 0 and "stopped" in stopped.stdout
    after = cli_runner.invoke(cli, ["neo4j", "status", "--home", str(own_server.home)])
    assert after.exit_code == 1 and "stopped" in after.stdout
    assert not status(own_server).running


def _random_snapshot(root, users: int, friendships: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    ids = np.array([f"用户{i}" for i in range(users)], dtype=object)
    a = rng.integers(0, users, friendships * 2)
    b = rng.integers(0, users, friendships * 2)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    pairs = pd.DataFrame({"lo": lo, "hi": hi})
    pairs = pairs[pairs.lo != pairs.hi].drop_duplicates().head(friendships)
    root.mkdir()
    pd.DataFrame({"user_id": ids}).to_csv(root / "users.csv", index=False)
    pd.DataFrame({"user_a": ids[pairs.lo.to_numpy()], "user_b": ids[pairs.hi.to_numpy()]}).to_csv(
        root / "friendships.csv", index=False)
    return len(pairs)


def test_server_killed_mid_load_then_rerun_completes(own_server, tmp_path):
    snapshot = tmp_path / "big"
    n_friends = _random_snapshot(snapshot, users=20_000, friendships=300_000)
    env = {**os.environ, "NEO4J_URI": own_server.uri}
    cmd = [sys.executable, "-m", "analyzer", "-q", "load", str(snapshot), "--batch-size", "2000"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    with Runner(ConnectionSettings(uri=own_server.uri)) as watcher:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if database_counts(watcher)["friend"] > 20_000:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the load never reached the friendships table")
    pid = int(own_server.pid_file.read_text())
    os.kill(pid, signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, (out, err)
    assert "lost the server while loading friendships" in err
    assert "Traceback" not in err

    start(own_server)
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    with Runner(ConnectionSettings(uri=own_server.uri)) as check:
        counts = database_counts(check)
        assert counts["users"] == 20_000 and counts["friend"] == n_friends
        exported = export_tables(check)["friendships"]
    want = pd.read_csv(snapshot / "friendships.csv", dtype=str)
    got_pairs = set(map(frozenset, exported[["user_a", "user_b"]].to_numpy()))
    assert len(got_pairs) == n_friends
    assert got_pairs == set(map(frozenset, want[["user_a", "user_b"]].to_numpy()))


def test_fresh_bulk_import_round_trips(own_server, tmp_path):
    from analyzer.snapshot import read_snapshot

    from .test_graphdb import normalised, with_follows

    SAMPLE = with_follows(tmp_path)  # noqa: N806 -- the sample, with three follows
    result = CliRunner().invoke(cli, ["load", str(SAMPLE), "--fresh", "--home",
                                      str(own_server.home), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["counts"] == {"users": 12, "products": 2, "friend": 14, "follows": 3,
                             "promoted": 3,
                             "shared": 7, "liked": 5, "purchased": 6, "gifted": 2, "exposed": 9}
    assert doc["uri"] == own_server.uri and status(own_server).running
    with Runner(ConnectionSettings(uri=own_server.uri)) as runner:
        exported = normalised(export_tables(runner))
        # the constraints exist, so a Bolt load on top merges instead of duplicating
        from analyzer.graphdb import load_snapshot

        again = load_snapshot(runner, read_snapshot(SAMPLE))
    assert again.counts == doc["counts"]
    want = normalised(read_snapshot(SAMPLE).tables)
    for name, frame in want.items():
        pd.testing.assert_frame_equal(exported[name], frame, check_dtype=False, obj=name)


def test_plugin_command_builds_the_procedures_jar(tmp_path):
    """`diffusion neo4j plugin --out DIR` leaves a jar with the procedure class in DIR (the
    Docker route mounts that folder at /plugins)."""
    import zipfile

    result = CliRunner().invoke(cli, ["neo4j", "plugin", "--out", str(tmp_path / "plugins")])
    assert result.exit_code == 0, result.output
    jar = tmp_path / "plugins" / "diffusion-procedures.jar"
    assert result.output.strip().splitlines()[-1] == str(jar)
    with zipfile.ZipFile(jar) as z:
        assert "DiffusionProcedures.class" in z.namelist()


def test_plugin_command_refuses_a_file_as_its_folder(tmp_path):
    target = tmp_path / "plugins"
    target.write_text("not a folder")
    result = CliRunner().invoke(cli, ["neo4j", "plugin", "--out", str(target)])
    assert result.exit_code == 2
    assert "--out" in result.output and "is a file" in result.output
    assert target.read_text() == "not a folder"


def test_a_projection_over_its_budget_falls_back_to_the_cypher_modules(
        tmp_path, free_port, monkeypatch, caplog):
    """A server whose projection would not fit its budget (DIFFUSION_PROJECTION_MAX_MB, here
    0) refuses to build it with an error naming the budget and the remedy; the analyses
    then use the Cypher modules and print the same numbers as the memory engine."""
    from pathlib import Path

    from analyzer.errors import DiffusionError, ProjectionRefused
    from analyzer.graphdb import load_snapshot
    from analyzer.snapshot import read_snapshot

    sample = Path(__file__).resolve().parent.parent / "analyzer" / "samples" / "tea-circle"
    monkeypatch.setenv("DIFFUSION_PROJECTION_MAX_MB", "0")
    cfg = server_config_for_tests(port=free_port, home=tmp_path / "home")
    start(cfg)
    try:
        with Runner(ConnectionSettings(uri=cfg.uri)) as runner:
            load_snapshot(runner, read_snapshot(sample))
            with pytest.raises(ProjectionRefused, match=r"diffusion projection refused: it "
                               r"would need about \d+ MB of heap, over its budget of 0 MB .*"
                               r"DIFFUSION_PROJECTION_MAX_MB.*--heap") as refused:
                runner.run("admin/projection")
            assert isinstance(refused.value, DiffusionError)  # a typed error, not a prefix
            assert refused.value.reason.startswith("diffusion projection refused: it would")
        docs = []
        for extra in ([], ["--snapshot", str(sample)]):
            result = CliRunner().invoke(cli, ["endorsements", "--all", "--format", "json",
                                              *extra], env={"NEO4J_URI": cfg.uri})
            assert result.exit_code == 0, result.output
            doc = json.loads(result.stdout)
            doc.pop("engine")
            docs.append(doc)
        assert docs[0] == docs[1]
        fell_back = [r.getMessage() for r in caplog.records
                     if "using the Cypher modules instead" in r.getMessage()]
        assert len(fell_back) == 1 and "over its budget of 0 MB" in fell_back[0]
        # the memory engine's graph comes through the Cypher modules too, the same numbers
        docs = []
        for extra in ([], ["--snapshot", str(sample)]):
            result = CliRunner().invoke(cli, ["simulate", "p-tea", "--runs", "500",
                                              "--format", "json", *extra],
                                        env={"NEO4J_URI": cfg.uri})
            assert result.exit_code == 0, result.output
            docs.append({k: v for k, v in json.loads(result.stdout).items() if k != "engine"})
        assert docs[0] == docs[1]
        assert any("projecting through the Cypher modules instead" in r.getMessage()
                   for r in caplog.records)
    finally:
        stop(cfg)
