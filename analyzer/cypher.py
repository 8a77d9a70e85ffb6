"""Cypher modules: one statement per file under ``cypher/<topic>/<name>.cypher``.

Each file starts with ``//`` header lines::

    // name: reach/frontier
    // description: one line saying what it answers
    // param seeds: list<string> -- user ids
    // slot hops: int 1..12            (optional: an integer spliced into {{hops}})
    // returns: hop: int, users: int
    // mode: read | write | autocommit | schema

Values only ever travel as ``$parameters``. A *slot* exists because Cypher
cannot take a parameter for a path length (``*1..6``): its value must be an
integer in the declared range, checked here, and nothing else is spliced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from .errors import DiffusionError

__all__ = ["CypherModule", "ModuleError", "cypher_root", "load_module", "list_modules"]

_HEADER = re.compile(r"^//\s*(name|description|param|slot|returns|mode)\s*:?\s*(.*)$")
_PARAM = re.compile(r"^(\w+)\s*:\s*([^\s].*?)(?:\s+--\s+(.*))?$")
_SLOT = re.compile(r"^(\w+)\s*:\s*int\s+(\d+)\.\.(\d+)(?:\s+--\s+(.*))?$")
_USES = re.compile(r"\$(\w+)")
_SLOT_USE = re.compile(r"\{\{(\w+)\}\}")
MODES = ("read", "write", "autocommit", "schema")


class ModuleError(DiffusionError):
    """A module is malformed, unknown, or called with the wrong parameters."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    doc: str = ""


def check_params(what: str, declared: tuple[Param, ...], given: dict,
                 error: type[DiffusionError]) -> None:
    """Refuse a call whose parameters differ from those its header declares."""
    names = {p.name for p in declared}
    missing, extra = sorted(names - set(given)), sorted(set(given) - names)
    if missing or extra:
        parts = []
        if missing:
            parts.append("missing parameter(s): " + ", ".join(missing))
        if extra:
            parts.append("unexpected parameter(s): " + ", ".join(extra))
        raise error(f"{what}: " + "; ".join(parts))


@dataclass(frozen=True)
class Slot:
    name: str
    low: int
    high: int
    doc: str = ""


@dataclass(frozen=True)
class CypherModule:
    name: str
    description: str
    params: tuple[Param, ...]
    slots: tuple[Slot, ...]
    returns: str
    mode: str
    body: str
    path: str

    def render(self, params: dict, slots: dict | None = None) -> str:
        """Check the call against the header and return the statement text."""
        slots = slots or {}
        check_params(f"cypher module {self.name}", self.params, params, ModuleError)
        text = self.body
        for slot in self.slots:
            if slot.name not in slots:
                raise ModuleError(f"cypher module {self.name}: missing slot {slot.name}")
            value = slots[slot.name]
            if isinstance(value, bool) or not isinstance(value, int) or not (
                    slot.low <= value <= slot.high):
                raise ModuleError(f"cypher module {self.name}: {slot.name} must be an integer "
                                  f"from {slot.low} to {slot.high}, got {value!r}")
            text = text.replace("{{" + slot.name + "}}", str(value))
        unknown_slots = set(slots) - {s.name for s in self.slots}
        if unknown_slots:
            raise ModuleError(f"cypher module {self.name}: unexpected slot(s): "
                              + ", ".join(sorted(unknown_slots)))
        return text


def query_root(folder: str, error: type[DiffusionError]) -> Path:
    """A folder of query files (``cypher/``, ``sql/``): inside an installed wheel, or beside
    the package in a checkout."""
    packaged = resources.files("analyzer") / folder
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parent.parent / folder
    if checkout.is_dir():
        return checkout
    raise error(f"the {folder}/ query files were not found next to the analyzer package")


def read_query_files(root: Path, suffix: str, parse, error: type[DiffusionError]) -> dict:
    """Every ``<topic>/<name><suffix>`` under ``root`` parsed, by name; a header name must
    match its path."""
    found = {}
    for path in sorted(root.rglob("*" + suffix)):
        rel = path.relative_to(root).with_suffix("").as_posix()
        query = parse(path.read_text(encoding="utf-8"), str(path))
        if query.name != rel:
            raise error(f"{path}: header name {query.name!r} does not match its path {rel!r}")
        found[query.name] = query
    return found


def cypher_root() -> Path:
    """The ``cypher/`` folder: inside an installed wheel, or beside the package in a checkout."""
    return query_root("cypher", ModuleError)


def _strip_strings_and_comments(text: str) -> str:
    """Blank out string literals and comments so statement checks see only code."""
    return re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", " ",
                  text, flags=re.S)


def parse_module(text: str, path: str) -> CypherModule:
    header: dict[str, list[str]] = {k: [] for k in ("name", "description", "param", "slot",
                                                     "returns", "mode")}
    lines = text.splitlines()
    i = 0
    while i < len(lines) and lines[i].startswith("//"):
        m = _HEADER.match(lines[i])
        if m:
            header[m.group(1)].append(m.group(2).strip())
        i += 1
    body = "\n".join(lines[i:]).strip()
    if not header["name"]:
        raise ModuleError(f"{path}:1: header has no `// name:` line")
    name = header["name"][0]
    params = []
    for raw in header["param"]:
        m = _PARAM.match(raw)
        if not m:
            raise ModuleError(f"{path}: cannot read parameter line {raw!r}")
        params.append(Param(m.group(1), m.group(2), m.group(3) or ""))
    slots = []
    for raw in header["slot"]:
        m = _SLOT.match(raw)
        if not m:
            raise ModuleError(f"{path}: cannot read slot line {raw!r}")
        slots.append(Slot(m.group(1), int(m.group(2)), int(m.group(3)), m.group(4) or ""))
    mode = header["mode"][0] if header["mode"] else "read"
    if mode not in MODES:
        raise ModuleError(f"{path}: mode must be one of {', '.join(MODES)}")
    code = _strip_strings_and_comments(body)
    if ";" in code.rstrip().rstrip(";"):
        raise ModuleError(f"{path}: more than one statement; keep one statement per file")
    body = body.rstrip().rstrip(";").rstrip()
    used = set(_USES.findall(code))
    declared = {p.name for p in params}
    if used != declared:
        raise ModuleError(f"{path}: parameters used {sorted(used)} differ from the header's "
                          f"{sorted(declared)}")
    used_slots = set(_SLOT_USE.findall(code))
    if used_slots != {s.name for s in slots}:
        raise ModuleError(f"{path}: slots used {sorted(used_slots)} differ from the header")
    return CypherModule(name, " ".join(header["description"]), tuple(params), tuple(slots),
                        " ".join(header["returns"]), mode, body, path)


@cache
def _all_modules() -> dict[str, CypherModule]:
    return read_query_files(cypher_root(), ".cypher", parse_module, ModuleError)


def load_module(name: str) -> CypherModule:
    modules = _all_modules()
    if name not in modules:
        raise ModuleError(f"unknown cypher module {name!r}; `diffusion query --list` shows them")
    return modules[name]


def list_modules(prefix: str = "") -> list[CypherModule]:
    return [m for n, m in _all_modules().items() if n.startswith(prefix)]
