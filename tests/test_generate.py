"""The generator: determinism, graph properties, ground truth, a valid snapshot."""

from __future__ import annotations

import hashlib
import json

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from analyzer.generate import GeneratorParams, generate_snapshot
from analyzer.snapshot import validate_snapshot


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen") / "wx"
    truth = generate_snapshot(GeneratorParams(users=20_000, products=5, seed=3), out)
    return out, truth


def digest(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir())}


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    for fmt in ("csv", "parquet"):
        a = generate_snapshot(GeneratorParams(users=3000, products=3, seed=11), tmp_path / f"a{fmt}",
                              fmt=fmt)
        b = generate_snapshot(GeneratorParams(users=3000, products=3, seed=11), tmp_path / f"b{fmt}",
                              fmt=fmt)
        assert a == b
        assert digest(tmp_path / f"a{fmt}") == digest(tmp_path / f"b{fmt}")
    generate_snapshot(GeneratorParams(users=3000, products=3, seed=12), tmp_path / "c")
    assert digest(tmp_path / "acsv")["friendships.csv"] != digest(tmp_path / "c")[
        "friendships.csv"]


def test_same_bytes_on_one_thread_as_on_several(tmp_path, monkeypatch):
    """Products run in parallel; each seeds its own stream, so the thread count is moot."""
    generate_snapshot(GeneratorParams(users=3000, products=4, seed=5), tmp_path / "many")
    monkeypatch.setattr("analyzer.generate.os.cpu_count", lambda: 1)
    generate_snapshot(GeneratorParams(users=3000, products=4, seed=5), tmp_path / "one")
    assert digest(tmp_path / "many") == digest(tmp_path / "one")


def test_snapshot_validates_without_warnings(snapshot):
    out, truth = snapshot
    snap, report = validate_snapshot(out)
    assert report.ok and not report.warnings, report.to_dict()
    assert report.rows == truth["rows"]


def test_graph_is_clustered_heavy_tailed_and_connected(snapshot):
    out, _ = snapshot
    f = pd.read_csv(out / "friendships.csv", dtype=str)
    g = nx.from_pandas_edgelist(f, "user_a", "user_b")
    degrees = np.array([d for _, d in g.degree()])
    assert 0.2 <= nx.average_clustering(g) <= 0.6
    assert degrees.max() > 20 * np.median(degrees)  # hubs with large circles
    giant = max(nx.connected_components(g), key=len)
    assert len(giant) / 20_000 > 0.95
    sample = list(giant)[:20]
    within6 = [sum(1 for d in nx.single_source_shortest_path_length(g, s, cutoff=6).values())
               for s in sample]
    assert np.mean(within6) / len(giant) > 0.9  # most pairs within six hops


def test_users_skew_middle_aged_and_older(snapshot):
    out, _ = snapshot
    users = pd.read_csv(out / "users.csv", dtype=str)
    older = users.age_group.isin(["45-54", "55-64", "65+"]).mean()
    assert 0.55 < older < 0.70


def test_ground_truth_contents(snapshot):
    out, truth = snapshot
    on_disk = json.loads((out / "ground_truth.json").read_text())
    assert on_disk == json.loads(json.dumps(truth))
    p = GeneratorParams(users=20_000, products=5, seed=3)
    assert truth["share_rate_by_channel"]["chat"] == pytest.approx(
        p.share_channel_mix["chat"] / sum(p.share_channel_mix.values())
        * p.share_probability["chat"])
    assert [x["p"] for x in truth["exposure_curve"]["p"]][:3] == pytest.approx(p.curve(3))
    assert truth["public_share"]["realised"] == pytest.approx(0.67, abs=0.02)
    assert truth["truncated_products"] == 0


def test_public_share_follows_the_parameter(tmp_path):
    truth = generate_snapshot(GeneratorParams(users=5000, products=3, seed=2, public_share=0.5),
                              tmp_path / "half")
    exposures = pd.read_csv(tmp_path / "half" / "exposures.csv", dtype=str)
    realised = (exposures.domain == "public").mean()
    assert realised == pytest.approx(truth["public_share"]["realised"])
    assert realised == pytest.approx(0.5, abs=0.03)


def test_channels_and_promoters(snapshot):
    out, truth = snapshot
    shares = pd.read_csv(out / "shares.csv", dtype=str)
    assert set(shares.channel) <= set(truth["share_channels"])
    promotions = pd.read_csv(out / "promotions.csv", dtype=str)
    assert promotions.product_id.nunique() == 5 and len(promotions) == truth["promoters"]


def test_cli_generate_and_bad_options(offline_cli, tmp_path):
    result = offline_cli("generate", str(tmp_path / "g"), "--users", "500", "--products", "2",
                         "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"]["users"] == 500
    again = offline_cli("generate", str(tmp_path / "g"), "--users", "500")
    assert again.exit_code == 1 and "already exists" in again.stderr
    assert not any(p.name.startswith(".g.") for p in tmp_path.iterdir())  # nothing half-written
    bad = offline_cli("generate", str(tmp_path / "h"), "--users", "5")
    assert bad.exit_code == 2
