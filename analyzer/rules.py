"""SQL rules: the per-product rules written once for the columnar engines, one query per
file under ``sql/<topic>/<name>.sql``.

Each file starts with ``--`` header lines::

    -- name: domains/exposures
    -- description: one line saying what it answers
    -- twin: domains/exposures          (the Cypher module that states the same rule)
    -- reads: exposures, wanted         (the coded tables it reads)
    -- param window_ms: int -- milliseconds
    -- returns: product_id: product; channel: channel; exposures, users: int
    -- order: product_id, channel       (the order of the decoded rows)

The query reads integer-coded tables (see :mod:`analyzer.columns`): a reference is the
row of the referenced user or product, a time is epoch milliseconds, a channel or domain
its position in the schema's list, ``-1`` for none. ``wanted(product_id)`` holds the
codes of the products asked about, and :data:`VIEWS` the tables derived for every rule
(``friends``: each friendship both ways). ``returns`` names each column's kind, which says how
an engine decodes it: ``user`` and ``product`` codes become ids, ``channel`` and
``domain`` positions their names; ``int``, ``ms``, ``bool`` and ``text`` stay as they are.

Values only travel as ``$parameters``; :meth:`SqlRule.render` writes them in the
dialect's form (``$name`` for DuckDB, ``:name`` for Spark SQL). The text keeps to what
both engines accept; docs/rules.md lists the conventions (every column qualified by its
table's alias, for one: DuckDB reads a bare ``at`` as a keyword).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from .cypher import Param, check_params, query_root, read_query_files
from .errors import DiffusionError

__all__ = ["RuleError", "SqlRule", "Returned", "load_rule", "list_rules", "rules_root",
           "KINDS", "DIALECTS", "VIEWS"]

#: How a returned column is decoded.
KINDS = ("user", "product", "channel", "domain", "int", "ms", "bool", "text")
DIALECTS = ("duckdb", "spark")
Dialect = Literal["duckdb", "spark"]

_HEADER = re.compile(r"^--\s*(name|description|twin|reads|param|returns|order)\s*:?\s*(.*)$")
_PARAM = re.compile(r"^(\w+)\s*:\s*(int|bool|float|text)(?:\s+--\s+(.*))?$")
_USES = re.compile(r"\$(\w+)")


#: Tables every engine derives for the rules from the coded ones (as views: nothing is
#: copied), by name: the tables they read, and their query. ``friends(person, friend)`` is
#: each friendship in both directions.
VIEWS: dict[str, tuple[tuple[str, ...], str]] = {
    "friends": (("friendships",),
                "SELECT k.user_a AS person, k.user_b AS friend FROM friendships AS k "
                "UNION ALL SELECT k.user_b AS person, k.user_a AS friend FROM friendships AS k"),
}


class RuleError(DiffusionError):
    """A rule file is malformed, unknown, or called with the wrong parameters."""


@dataclass(frozen=True)
class Returned:
    name: str
    kind: str


@dataclass(frozen=True)
class SqlRule:
    name: str
    description: str
    twin: str
    reads: tuple[str, ...]
    params: tuple[Param, ...]
    returns: tuple[Returned, ...]
    order: tuple[str, ...]
    body: str
    path: str

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.returns)

    def check(self, params: dict) -> None:
        """Refuse a call whose parameters differ from the header's."""
        check_params(f"sql rule {self.name}", self.params, params, RuleError)

    def render(self, dialect: Dialect, params: dict) -> str:
        """The query text for ``dialect``, after checking the call against the header."""
        self.check(params)
        if dialect == "duckdb":
            return self.body
        if dialect == "spark":
            return _USES.sub(lambda m: ":" + m.group(1), self.body)
        raise RuleError(f"unknown SQL dialect {dialect!r}; expected one of {', '.join(DIALECTS)}")


def rules_root() -> Path:
    """The ``sql/`` folder: inside an installed wheel, or beside the package in a checkout."""
    return query_root("sql", RuleError)


def _code_only(text: str) -> str:
    """The text with string literals and comments blanked, for the statement checks."""
    return re.sub(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", " ", text, flags=re.S)


def _names(raw: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in raw.split(",") if n.strip())


def parse_rule(text: str, path: str) -> SqlRule:
    header: dict[str, list[str]] = {k: [] for k in ("name", "description", "twin", "reads",
                                                     "param", "returns", "order")}
    lines = text.splitlines()
    i = 0
    while i < len(lines) and lines[i].startswith("--"):
        m = _HEADER.match(lines[i])
        if not m:
            raise RuleError(f"{path}:{i + 1}: cannot read header line {lines[i]!r}")
        header[m.group(1)].append(m.group(2).strip())
        i += 1
    for key in ("name", "description", "twin", "reads", "returns"):
        if not header[key]:
            raise RuleError(f"{path}:1: header has no `-- {key}:` line")
    params = []
    for raw in header["param"]:
        m = _PARAM.match(raw)
        if not m:
            raise RuleError(f"{path}: cannot read parameter line {raw!r} "
                            "(expected `name: int|bool|float|text -- doc`)")
        params.append(Param(m.group(1), m.group(2), m.group(3) or ""))
    returns: list[Returned] = []
    for group in " ".join(header["returns"]).split(";"):
        if not group.strip():
            continue
        names, sep, kind = group.rpartition(":")
        kind = kind.strip()
        if not sep or kind not in KINDS:
            raise RuleError(f"{path}: returns group {group.strip()!r} needs a kind, one of "
                            f"{', '.join(KINDS)}")
        returns.extend(Returned(n, kind) for n in _names(names))
    order = _names(" ".join(header["order"]))
    unknown = sorted(set(order) - {r.name for r in returns})
    if unknown:
        raise RuleError(f"{path}: order names columns it does not return: {', '.join(unknown)}")
    body = "\n".join(lines[i:]).strip()
    code = _code_only(body)
    if ";" in code:
        raise RuleError(f"{path}: a rule is one query, without `;`")
    used = set(_USES.findall(code))
    declared = {p.name for p in params}
    if used != declared:
        raise RuleError(f"{path}: parameters used {sorted(used)} differ from the header's "
                        f"{sorted(declared)}")
    return SqlRule(header["name"][0], " ".join(header["description"]), header["twin"][0],
                   _names(" ".join(header["reads"])), tuple(params), tuple(returns), order,
                   body, path)


@cache
def _all_rules() -> dict[str, SqlRule]:
    return read_query_files(rules_root(), ".sql", parse_rule, RuleError)


def load_rule(name: str) -> SqlRule:
    rules = _all_rules()
    if name not in rules:
        raise RuleError(f"unknown sql rule {name!r}; the rules are: {', '.join(rules)}")
    return rules[name]


def list_rules(prefix: str = "") -> list[SqlRule]:
    return [r for n, r in _all_rules().items() if n.startswith(prefix)]
