"""Every Cypher module is one statement with an honest header; calls are checked."""

from __future__ import annotations

import re

import pytest

from analyzer.cypher import ModuleError, cypher_root, list_modules, load_module, parse_module


def test_every_module_parses_and_names_its_path():
    modules = list_modules()
    files = sorted(cypher_root().rglob("*.cypher"))
    assert len(modules) == len(files) > 20
    for module in modules:
        assert module.description, module.name
        assert module.returns, module.name


@pytest.mark.parametrize("module", list_modules(), ids=lambda m: m.name)
def test_module_values_only_as_parameters(module):
    # no string concatenation or interpolation tricks in module bodies
    assert "+ $" not in module.body and "apoc" not in module.body.lower()
    # every $name is declared, every declared name is used
    used = set(re.findall(r"\$(\w+)", module.body))
    assert used == {p.name for p in module.params}


def test_two_statements_are_refused():
    text = "// name: x/y\n// description: d\n// returns: n\nRETURN 1;\nRETURN 2"
    with pytest.raises(ModuleError, match="more than one statement"):
        parse_module(text, "x/y.cypher")


def test_semicolon_inside_string_is_fine():
    text = "// name: x/y\n// description: d\n// returns: s\nRETURN 'a;b' AS s;"
    assert parse_module(text, "x/y.cypher").body == "RETURN 'a;b' AS s"


def test_undeclared_parameter_is_refused():
    text = "// name: x/y\n// description: d\n// returns: n\nRETURN $n AS n"
    with pytest.raises(ModuleError, match="differ from the header"):
        parse_module(text, "x/y.cypher")


def test_slot_accepts_only_integers_in_range():
    text = ("// name: x/y\n// description: d\n// param s: list<string>\n"
            "// slot hops: int 1..12\n// returns: n\n"
            "MATCH (u:User) WHERE u.user_id IN $s MATCH (u)-[:FRIEND*1..{{hops}}]-(v) "
            "RETURN count(DISTINCT v) AS n")
    module = parse_module(text, "x/y.cypher")
    assert "*1..6]" in module.render({"s": []}, {"hops": 6})
    for bad in (0, 13, "6", "6] DETACH DELETE", 2.0, True):
        with pytest.raises(ModuleError, match="must be an integer from 1 to 12"):
            module.render({"s": []}, {"hops": bad})


def test_call_checks_missing_and_unexpected():
    module = load_module("load/likes")
    with pytest.raises(ModuleError, match="missing parameter"):
        module.render({"user_id": []})
    with pytest.raises(ModuleError, match="unexpected parameter"):
        module.render({"user_id": [], "product_id": [], "at": [], "extra": 1})
