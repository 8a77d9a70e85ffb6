"""An installed wheel carries cypher/ and sql/, runs a Cypher module through `diffusion query`
and the sql/ rules through a snapshot command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile

import pytest

from .conftest import REPO, SAMPLE

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]


def test_wheel_installs_and_runs_a_cypher_module(tmp_path, neo4j_uri, runner):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(REPO)],
                   check=True, capture_output=True)
    (wheel,) = dist.glob("diffusion-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "analyzer/cypher/stats/degrees.cypher" in names
    assert "analyzer/sql/domains/exposures.sql" in names
    assert "analyzer/server/pom.xml" in names and "analyzer/server/DiffusionNeo4j.java" in names

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True,
                   capture_output=True, timeout=900)
    exe = env_dir / "bin" / "diffusion"
    env = {**os.environ, "NEO4J_URI": neo4j_uri}
    out = subprocess.run([str(exe), "query", "admin/node_count", "--format", "json"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == {"records": [{"users": 0, "products": 0}]}
    where = subprocess.run([str(py), "-c", "import analyzer.cypher as c; print(c.cypher_root())"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert str(env_dir) in where
    # the plain install (what `make demo` gets, less the Rust extension) holds none of the
    # test extras, yet reads and checks a snapshot
    extras = subprocess.run([str(py), "-m", "pip", "show", "playwright", "hypothesis"],
                            capture_output=True, text=True)
    assert extras.returncode != 0 and "Name:" not in extras.stdout
    checked = subprocess.run([str(exe), "validate", str(SAMPLE), "--format", "json"],
                             cwd=tmp_path, capture_output=True, text=True)
    assert checked.returncode == 0 and json.loads(checked.stdout)["ok"] is True
    # the snapshot engine's rules come from the installed sql/, not from the checkout
    domains = subprocess.run([str(exe), "domains", "--all", "--snapshot", str(SAMPLE),
                              "--format", "json"], cwd=tmp_path, env=env, capture_output=True,
                             text=True)
    assert domains.returncode == 0, domains.stderr
    assert json.loads(domains.stdout)["engine"] == "memory"
    where = subprocess.run([str(py), "-c", "import analyzer.rules as r; print(r.rules_root())"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert str(env_dir) in where
