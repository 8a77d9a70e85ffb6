"""Fixtures: a real Neo4j for the integration tier, snapshot builders for the unit tier.

The server is the one named by NEO4J_URI, or one this session starts with the
project's own launcher (port $DIFFUSION_TEST_PORT, default 7688, home
$DIFFUSION_TEST_HOME, default ~/.diffusion/test-neo4j) and stops at the end.
Nothing mocks the database. Each test that asks for ``runner`` gets an empty one.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer.cli import cli
from analyzer.db import ConnectionSettings, Runner
from analyzer.graphdb import wipe
from analyzer.server import ServerConfig, default_home, start, stop

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "analyzer" / "samples" / "tea-circle"
SHARED_DATA = REPO.parent / "shared" / "data"


def server_config_for_tests(port: int | None = None, home: Path | None = None) -> ServerConfig:
    return ServerConfig(
        home=home or Path(os.environ.get("DIFFUSION_TEST_HOME")
                          or default_home() / "test-neo4j"),
        port=port or int(os.environ.get("DIFFUSION_TEST_PORT", "7688")),
        heap="2g", pagecache="1g", tx_memory="1g")


@pytest.fixture(scope="session")
def neo4j_uri() -> str:
    uri = os.environ.get("NEO4J_URI")
    if uri:
        yield uri
        return
    cfg = server_config_for_tests()
    st, started = start(cfg)
    yield st.uri
    if started:
        stop(cfg)


@pytest.fixture
def runner(neo4j_uri: str):
    r = Runner(ConnectionSettings(uri=neo4j_uri))
    wipe(r)
    yield r
    r.close()


@pytest.fixture
def cli_run(neo4j_uri: str):
    """Invoke the CLI in-process against the test server; returns the click Result."""

    def invoke(*args: str, input: str | None = None):
        env = {"NEO4J_URI": neo4j_uri}
        return CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def offline_cli():
    def invoke(*args: str):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke


def write_tables(root: Path, **tables: str) -> Path:
    """Write CSV tables given as dedented text; ``users`` and ``friendships`` default to tiny ones."""
    root.mkdir(parents=True, exist_ok=True)
    defaults = {
        "users": "user_id\na\nb\nc\n",
        "friendships": "user_a,user_b\na,b\nb,c\n",
    }
    for name, text in {**defaults, **tables}.items():
        if text is None:
            continue
        (root / f"{name}.csv").write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def shared_file(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real dataset {path} is absent (../shared/data is not beside this checkout)")
    return path


@pytest.fixture
def free_port() -> int:
    """A loopback port nothing listens on."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
