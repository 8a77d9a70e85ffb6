"""Every command's --help has a one-line purpose and at least one example."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from analyzer.cli import cli


def walk(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from walk(command, prefix + (name,))


COMMANDS = list(walk(cli))


def test_the_tree_has_the_foundation_commands():
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"neo4j start", "neo4j stop", "neo4j status", "validate", "load", "stats",
            "export", "query"} <= names


@pytest.mark.parametrize("path,command", COMMANDS, ids=lambda v: " ".join(v)
                         if isinstance(v, tuple) else "")
def test_help_has_purpose_and_example(path, command):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    purpose = (command.help or "").strip().splitlines()
    assert purpose and len(purpose[0]) > 10, f"{path}: no one-line purpose"
    assert "Example" in result.output and "diffusion " in result.output.split("Example", 1)[1]


def test_every_analysis_command_exists():
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"reach", "degrees", "endorsements", "influencers", "feed", "domains", "cascades",
            "simulate", "promoters", "report"} <= names


def test_cli_reference_is_fresh():
    import importlib.util

    from .conftest import REPO

    spec = importlib.util.spec_from_file_location("gen_cli", REPO / "docs" / "gen_cli.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert (REPO / "docs" / "cli.md").read_text(encoding="utf-8") == gen.render(), \
        "docs/cli.md is stale: run python docs/gen_cli.py"


def test_verbose_logs_each_cypher_module_and_quiet_does_not(cli_run, runner):
    res = cli_run("-v", "stats")
    assert res.exit_code == 0
    assert "diffusion.db: cypher stats/degrees:" in res.stderr
    res = cli_run("-vv", "stats")
    assert "parameters" in res.stderr
    res = cli_run("stats")
    assert "diffusion.db" not in res.stderr
    res = cli_run("-q", "-v", "stats")
    assert "diffusion.db" not in res.stderr


def test_exit_codes(offline_cli, free_port):
    assert offline_cli("reach").exit_code == 2  # usage: no PRODUCT or --users
    assert offline_cli("reach", "--users", "x", "--snapshot", "/nonexistent").exit_code == 1
    res = offline_cli("stats", "--uri", f"bolt://127.0.0.1:{free_port}")
    assert res.exit_code == 3 and "Traceback" not in res.output


HEAVY = ("pandas", "numpy", "numba", "pyarrow", "neo4j", "networkx")
_PROBE = """
import sys
from analyzer.cli import cli
for path in sys.argv[1:]:
    try:
        cli.main(args=[*path.split(), "--help"], prog_name="diffusion", standalone_mode=False)
    except SystemExit:
        pass
print("LOADED:" + " ".join(m for m in {heavy!r} if m in sys.modules))
"""


def test_help_imports_no_heavy_library():
    """`--help` of any command loads none of pandas, numpy, numba, pyarrow, the driver or
    networkx: they cost most of the start-up time, and help needs none of them."""
    import subprocess
    import sys

    paths = ["", *(" ".join(path) for path, _ in COMMANDS)]
    probe = _PROBE.format(heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", probe, *paths], capture_output=True,
                         text=True, check=True)
    loaded = out.stdout.rsplit("LOADED:", 1)[1].strip()
    assert loaded == "", f"--help imported {loaded}"
