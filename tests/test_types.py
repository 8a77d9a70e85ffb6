"""mypy over the package (``[tool.mypy] files`` in pyproject.toml), and its import graph."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _typed_files() -> int:
    listed = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["mypy"]["files"]
    return sum(len(list((REPO / f).rglob("*.py"))) if (REPO / f).is_dir() else 1
               for f in listed)


def test_the_package_passes_mypy(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Success: no issues found in {_typed_files()} source files" in done.stdout


def _package_imports() -> dict[str, set[str]]:
    """Each module of the package and the package modules it imports, lazily or not
    (``from .x import y`` inside a function counts: it is a seam all the same)."""
    import ast

    root = REPO / "analyzer"
    modules = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(REPO).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    imports: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.ImportFrom) and node.level):
                continue
            base = package.split(".")[:len(package.split(".")) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
            # `from . import columns` imports analyzer.columns, not the package's __init__
            named = {f"{target}.{a.name}" for a in node.names} & set(modules)
            imports[name] |= (named or ({target} & set(modules))) - {name}
    return imports


def test_the_package_has_no_import_cycle():
    import graphlib

    imports = _package_imports()
    assert "analyzer.engines.duckdb" in imports["analyzer.engines"]  # lazy ones count
    graphlib.TopologicalSorter(imports).prepare()  # raises CycleError naming the cycle
