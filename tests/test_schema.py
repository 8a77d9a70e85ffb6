"""Every command's --format json matches its published JSON Schema in docs/schema/."""

from __future__ import annotations

import json

import click
import pytest

from analyzer.cli import cli

from .conftest import REPO, SAMPLE

jsonschema = pytest.importorskip("jsonschema")
referencing = pytest.importorskip("referencing")

SCHEMAS = REPO / "docs" / "schema"


def _registry():
    resources = []
    for path in SCHEMAS.glob("*.schema.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        resources.append((path.name, referencing.Resource.from_contents(doc)))
    return referencing.Registry().with_resources(resources)


def check(name: str, text: str) -> dict:
    doc = json.loads(text)
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema, registry=_registry()).validate(doc)
    return doc


def _json_commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _json_commands(command, prefix + (name,))
            continue
        fmt = next((p for p in command.params if p.name == "fmt"), None)
        if fmt is not None and "json" in getattr(fmt.type, "choices", ()):
            yield "-".join(prefix + (name,))


def test_every_json_command_has_a_valid_schema():
    names = sorted(_json_commands(cli))
    assert len(names) >= 18
    for name in names:
        path = SCHEMAS / f"{name}.schema.json"
        assert path.exists(), f"no JSON Schema for `{name}`: add docs/schema/{path.name}"
        schema = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$id"] == path.name and schema["type"] == "object"


OFFLINE = [
    ("validate", [str(SAMPLE)]),
    ("reach", ["p-jade", "--from", "all", "--snapshot", str(SAMPLE)]),
    ("reach", ["--users", "u02,u09", "--hops", "3", "--snapshot", str(SAMPLE)]),
    ("degrees", ["--max-hops", "3", "--snapshot", str(SAMPLE)]),
    ("degrees", ["--sample", "5", "--snapshot", str(SAMPLE)]),
    ("endorsements", ["p-jade", "--signals", "likes", "--min-users", "1",
                      "--snapshot", str(SAMPLE)]),
    ("influencers", ["p-jade", "--credit", "last", "--snapshot", str(SAMPLE)]),
    ("feed", ["u03", "--at", "2024-06-20T00:00:00Z", "--snapshot", str(SAMPLE)]),
    ("domains", ["--all", "--window", "1d", "--snapshot", str(SAMPLE)]),
    ("cascades", ["--all", "--snapshot", str(SAMPLE)]),
    ("simulate", ["--users", "u01,u07", "--model", "lt", "--runs", "100",
                  "--snapshot", str(SAMPLE)]),
    ("promoters", ["--k", "3", "--method", "degree", "--runs", "100",
                   "--snapshot", str(SAMPLE)]),
    ("promoters", ["--k", "3", "--p", "0.4", "--hist", "on", "--runs", "100",
                   "--snapshot", str(SAMPLE)]),
    ("reach", ["--users", "u01", "--over", "follows", "--snapshot", str(SAMPLE)]),
    ("report", ["p-jade", "--with-promoters", "1", "--snapshot", str(SAMPLE)]),
    ("diff", [str(SAMPLE), str(SAMPLE), "--product", "p-jade"]),
]


@pytest.mark.parametrize("name,args", OFFLINE, ids=[f"{n}-{i}" for i, (n, _) in
                                                     enumerate(OFFLINE)])
def test_offline_json_matches_its_schema(offline_cli, name, args):
    res = offline_cli(name, *args, "--format", "json")
    assert res.exit_code == 0, res.output
    check(name, res.stdout)


def test_snapshot_writers_json_matches_schema(offline_cli, tmp_path):
    res = offline_cli("generate", str(tmp_path / "g"), "--users", "60", "--products", "2",
                      "--format", "json")
    assert res.exit_code == 0, res.output
    check("generate", res.stdout)
    edges = tmp_path / "edges.txt"
    edges.write_text("# a comment\n1 2\n2 3\n3 3\n2 1\n", encoding="utf-8")
    res = offline_cli("import", "edgelist", str(edges), str(tmp_path / "imp"), "--format", "json")
    assert res.exit_code == 0, res.output
    check("import", res.stdout)


def test_a_schema_rejects_a_renamed_key(offline_cli):
    """The schemas are a contract, not a formality: a document with a key renamed fails."""
    doc = json.loads(offline_cli("reach", "p-tea", "--snapshot", str(SAMPLE),
                                 "--format", "json").stdout)
    doc["reach"] = doc.pop("reached")
    with pytest.raises(jsonschema.ValidationError, match="'reached' is a required property"):
        check("reach", json.dumps(doc))


@pytest.mark.neo4j
def test_database_json_matches_its_schema(cli_run, runner):
    from .conftest import server_config_for_tests

    check("load", cli_run("load", str(SAMPLE), "--format", "json").stdout)
    check("stats", cli_run("stats", "--by", "shares", "--format", "json").stdout)
    check("query", cli_run("query", "stats/degrees", "--format", "json").stdout)
    check("query", cli_run("query", "--list", "--format", "json").stdout)
    check("reach", cli_run("reach", "p-tea", "--engine", "neo4j", "--format", "json").stdout)
    check("report", cli_run("report", "p-tea", "--format", "json").stdout)
    home = server_config_for_tests().home
    status = cli_run("neo4j", "status", "--home", str(home), "--format", "json")
    check("neo4j-status", status.stdout)
