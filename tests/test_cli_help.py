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
