"""Rendering: tables keep their headers whole; every row format says the same thing."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from rich.console import Console

from analyzer.render import emit


class _Frame:
    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def to_dict(self) -> dict:
        return {"rows": self.frame.to_dict(orient="records")}

    def to_frame(self) -> pd.DataFrame:
        return self.frame


@pytest.mark.parametrize("width", [40, 80, 120])
def test_a_header_never_breaks_inside_a_word(width):
    """Ten long headers do not fit 40 or 80 columns: the page widens rather than folding a
    header mid-word or cropping the columns that do not fit."""
    headers = [f"structural_diversity_{i}" for i in range(10)] + ["connected pairs"]
    frame = pd.DataFrame({h: [1234.5, 2.0] for h in headers})
    out = io.StringIO()
    emit(_Frame(frame), "table", console=Console(file=out, width=width), out=out)
    text = out.getvalue()
    for h in headers[:-1]:
        assert h in text, f"header {h} broken or cropped at width {width}"
    assert "connected" in text and "pairs" in text
    assert text.count("1,234") == len(headers)  # every column's cells are shown


def test_terminal_tables_read_as_meant(offline_cli):
    """Hop 0 of reach is the seeds; shares of pairs and of users read as percentages."""
    from .conftest import SAMPLE

    reach = offline_cli("reach", "p-tea", "--snapshot", str(SAMPLE)).stdout
    first_row = next(ln for ln in reach.splitlines() if ln.startswith("│"))
    assert first_row.split("│")[1].strip() == "seeds"
    assert "25.0%" in reach  # hop 1: 3 of 12 users
    degrees = offline_cli("degrees", "--snapshot", str(SAMPLE)).stdout
    assert "100.0%" in degrees and "21.2%" in degrees  # connected pairs; within 1 hop
    # CSV and JSON keep the numbers
    csv = offline_cli("reach", "p-tea", "--snapshot", str(SAMPLE), "--format", "csv").stdout
    assert csv.splitlines()[1] == "0,1,0,0.0"


def test_promoters_do_not_crown_a_method_within_error():
    """At p = 0.3 on the sample, IMM and PageRank reach the same within error: the verdict
    says so and names both; at p = 0.1 the current promoter (one user) is not compared,
    since only seed sets of the same size are."""
    import analyzer

    from .conftest import SAMPLE

    with analyzer.open_snapshot(SAMPLE) as s:
        r = s.promoters(2, p=0.3, product="p-tea", method="imm")
    doc = r.to_dict()
    assert "current promoters" not in doc["within_error"]
    spreads = {b["name"]: (b["spread"], b["spread_stderr"]) for b in doc["baselines"]}
    spreads["imm"] = (doc["spread"], doc["spread_stderr"])
    best = max(spreads.values())
    for name in doc["within_error"]:  # each listed set is within 1.96 SE of the best
        m, se = spreads[name]
        assert best[0] - m <= 1.96 * (se ** 2 + best[1] ** 2) ** 0.5
    assert set(doc["within_error"]) == {"imm", "pagerank"}  # seeded: the same on any machine
    assert doc["verdict"].startswith("imm and pagerank are within error of each other")
    assert r.tables()[-1][1]["seed set"].iloc[0] == "imm (picked)"


def test_promoters_name_a_clear_winner():
    from analyzer.simulate import PromoterResult

    r = PromoterResult("imm", "ic", "0.1", 2, ["a", "b"], [5.0, 5.0], 10.0, 0.2, 1000, [
        {"name": "current promoters", "size": 1, "spread": 30.0, "spread_stderr": 0.1},
        {"name": "degree", "size": 2, "spread": 8.0, "spread_stderr": 0.2},
        {"name": "pagerank", "size": 2, "spread": 9.9, "spread_stderr": 0.2}])
    assert r.within_error() == ["imm", "pagerank"]
    r.baselines[2]["spread"] = 9.0
    assert r.within_error() == ["imm"]
    assert r.verdict() == ("imm reaches the most: 10.0 users against 9.0 for pagerank "
                           "(difference 1.0 ± 0.55)")
    assert r.tables()[-1][1]["seed set"].iloc[0] == "imm (recommended)"


OFFLINE = [
    ["reach", "p-tea"], ["degrees"], ["endorsements", "p-tea", "--min-users", "1"],
    ["influencers", "p-tea"], ["feed", "u05"], ["domains", "p-tea"], ["cascades", "p-tea"],
    ["simulate", "p-tea", "--runs", "200"], ["promoters", "--k", "2", "--runs", "200"],
]


@pytest.mark.parametrize("args", OFFLINE, ids=lambda a: a[0])
def test_ndjson_is_the_csv_rows_as_json_and_o_writes_what_stdout_would(offline_cli, tmp_path,
                                                                       args):
    import json

    from .conftest import SAMPLE

    run = [*args, "--snapshot", str(SAMPLE)]
    csv = offline_cli(*run, "--format", "csv")
    nd = offline_cli(*run, "--format", "ndjson")
    assert csv.exit_code == 0 and nd.exit_code == 0, nd.output
    frame = pd.read_csv(io.StringIO(csv.stdout), keep_default_na=False)
    rows = [json.loads(line) for line in nd.stdout.splitlines()]
    assert len(rows) == len(frame) and all(list(r) == list(frame.columns) for r in rows)
    out = tmp_path / "out.json"
    to_file = offline_cli(*run, "--format", "json", "-o", str(out))
    assert to_file.exit_code == 0 and to_file.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(
        offline_cli(*run, "--format", "json").stdout)
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temporary left behind


def test_o_into_a_missing_folder_fails_cleanly_and_writes_nothing(offline_cli, tmp_path):
    from .conftest import SAMPLE

    target = tmp_path / "missing" / "reach.csv"
    res = offline_cli("reach", "p-tea", "--snapshot", str(SAMPLE), "--format", "csv",
                      "-o", str(target))
    assert res.exit_code == 1
    assert f"{target}: cannot write the output: No such file or directory" in res.output
    assert not target.parent.exists()


def test_o_is_not_written_when_the_analysis_fails(offline_cli, tmp_path):
    from .conftest import SAMPLE

    target = tmp_path / "reach.json"
    res = offline_cli("reach", "p-none", "--snapshot", str(SAMPLE), "-o", str(target))
    assert res.exit_code == 1 and not target.exists()
