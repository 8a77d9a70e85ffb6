"""`diffusion report` in every format, and the HTML checked in a real headless Chromium."""

from __future__ import annotations

import json
import shutil

import pytest

from analyzer.report import _fmt

from .conftest import REPO, SAMPLE

ARTIFACTS = REPO / "test-artifacts"


def _value(doc, path: str):
    for part in path.split("."):
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    from click.testing import CliRunner

    from analyzer.cli import cli

    out = tmp_path_factory.mktemp("report")
    run = CliRunner().invoke
    args = ["report", "p-tea", "--snapshot", str(SAMPLE), "--min-users", "1",
            "--with-promoters", "2"]
    docs = {}
    for fmt in ("text", "md", "json", "html"):
        res = run(cli, args + ["--format", fmt, "-o", str(out / f"r.{fmt}")],
                  catch_exceptions=False)
        assert res.exit_code == 0, res.output
        docs[fmt] = (out / f"r.{fmt}").read_text(encoding="utf-8")
    return out, docs


def test_json_is_the_union_of_the_analyses(reports):
    _, docs = reports
    doc = json.loads(docs["json"])
    assert set(doc) >= {"product", "summary", "reach", "endorsements", "influencers",
                        "domains", "cascades", "promoters"}
    assert doc["summary"]["promoters"] == 1 and doc["summary"]["buyers"] == 5
    assert doc["reach"]["per_hop"] == [1, 3, 2, 1, 1, 1, 1]
    assert doc["endorsements"]["curve"][1]["k"] == 2
    assert doc["cascades"]["products"][0]["cascades"][0]["size"] == 6
    assert doc["promoters"]["k"] == 2


def test_text_fits_100_columns_and_has_every_section(reports):
    _, docs = reports
    text = docs["text"]
    assert max(len(line) for line in text.splitlines()) <= 100
    for heading in ("1. Summary", "2. Six-degree reach", "3. Friend-endorsement influence",
                    "4. Channels and domains", "5. Cascades", "6. Recommended promoters"):
        assert heading in text
    assert "█" in text  # the bar charts


def test_markdown_has_tables(reports):
    _, docs = reports
    md = docs["md"]
    assert md.startswith("# diffusion report: p-tea")
    assert "| hop | new users | cumulative |" in md and "## 5. Cascades" in md


def test_html_is_self_contained(reports):
    _, docs = reports
    page = docs["html"]
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page and "<script src" not in page
    assert page.count('<svg class="chart"') == 4


def test_html_in_headless_chromium(reports):
    import os

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        if os.environ.get("DIFFUSION_REQUIRE_BROWSER"):
            pytest.fail("DIFFUSION_REQUIRE_BROWSER is set but chromium is not installed")
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    sync = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    from PIL import Image

    out, docs = reports
    doc = json.loads(docs["json"])
    ARTIFACTS.mkdir(exist_ok=True)
    with sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto((out / "r.html").as_uri())
        page.wait_for_load_state("load")
        charts = page.query_selector_all("svg.chart")
        assert len(charts) == 4
        for i, chart in enumerate(charts):
            path = ARTIFACTS / f"report-chart-{i}.png"
            chart.screenshot(path=str(path))
            dark = sum(Image.open(path).convert("L").histogram()[:200])
            assert dark > 200, f"chart {i} looks blank ({dark} dark pixels)"
            # axes with labelled ticks: at least two tick labels on x and on y, each drawn
            # (a box the browser laid out) and not empty
            for axis in ("xtick", "ytick"):
                labels = chart.eval_on_selector_all(
                    f"g[id^='{axis}_'] text",
                    "els => els.map(e => [e.textContent.trim(), e.getBBox().width])")
                shown = [t for t, w in labels if t and w > 0]
                assert len(shown) >= 2, f"chart {i}: {axis} labels {labels}"
        keys = page.eval_on_selector_all(
            "[data-key]", "els => els.map(e => [e.dataset.key, e.textContent])")
        assert len(keys) > 30
        for key, text in keys:
            assert text == _fmt(_value(doc, key)), key
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        browser.close()
    assert problems == []


def test_compare_report(offline_cli):
    res = offline_cli("report", "p-tea", "--compare", "p-jade", "--snapshot", str(SAMPLE),
                      "--format", "json", "--min-users", "1")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["compare"]["product"] == "p-jade"
    assert doc["cascades"]["comparison"][0]["sizes"] == "4-7"


def test_report_errors_are_clean(offline_cli, tmp_path):
    res = offline_cli("report", "nope", "--snapshot", str(SAMPLE))
    assert res.exit_code == 1 and "unknown product(s): 'nope'" in res.output
    target = tmp_path / "missing-dir" / "r.html"
    res = offline_cli("report", "p-tea", "--snapshot", str(SAMPLE), "--format", "html",
                      "-o", str(target))
    assert res.exit_code == 1 and "cannot write the report" in res.output
    assert not target.parent.exists()


def test_python_api_quickstart_runs():
    import runpy

    ns = runpy.run_path(str(REPO / "docs" / "examples" / "quickstart.py"))
    assert ns["summary"]["buyers"] == 5


def test_html_alongside_text_from_one_run(offline_cli, tmp_path):
    page = tmp_path / "r.html"
    res = offline_cli("report", "--most-shared", "--snapshot", str(SAMPLE), "--min-users", "1",
                      "--html", str(page))
    assert res.exit_code == 0, res.output
    assert "1. Summary" in res.stdout and page.read_text(encoding="utf-8").count("<svg") == 4


def test_compare_html_puts_both_products_side_by_side(offline_cli, tmp_path):
    import html as H
    import re

    page = tmp_path / "c.html"
    res = offline_cli("report", "p-tea", "--compare", "p-jade", "--snapshot", str(SAMPLE),
                      "--min-users", "1", "--format", "json", "--html", str(page))
    doc = json.loads(res.stdout)
    text = page.read_text(encoding="utf-8")
    assert "p-tea and p-jade side by side" in text
    found = re.findall(r"""data-key=['"]([^'"]+)['"]>([^<]*)<""", text)
    keys = {k for k, _ in found}
    assert {"summary.buyers", "compare.summary.buyers", "compare.reach.reached"} <= keys
    for key, shown in found:
        assert H.unescape(shown) == _fmt(_value(doc, key)), key
    res = offline_cli("report", "p-tea", "--compare", "p-jade", "--snapshot", str(SAMPLE),
                      "--min-users", "1")
    assert "side by side" in res.stdout
    assert max(len(line) for line in res.stdout.splitlines()) <= 100


def _doc(curve, baseline, exposures, adoptions):
    return {"reach": None,
            "endorsements": {"curve": curve, "baseline": baseline, "min_users": 20,
                             "structural_diversity": []},
            "domains": {"exposures": exposures, "adoptions": adoptions,
                        "public_share": {"exposures": {"p": 0.6}}},
            "cascades": {"products": [{"cascade_count": 0}]}}


def test_findings_state_a_lift_only_beyond_error():
    from analyzer.report import findings

    base = {"p": 0.01, "ci_low": 0.008, "ci_high": 0.012}
    clear = [{"k": 1, "p": 0.05, "ci_low": 0.04, "ci_high": 0.06, "lift": 5.0}]
    vague = [{"k": 1, "p": 0.013, "ci_low": 0.005, "ci_high": 0.03, "lift": 1.3}]
    exp = [{"channel": "moments", "domain": "private", "exposures": 1000},
           {"channel": "feed", "domain": "public", "exposures": 1000}]
    strong = [{"channel": "moments", "domain": "private", "adoptions": 100},
              {"channel": "feed", "domain": "public", "adoptions": 20}]
    even = [{"channel": "moments", "domain": "private", "adoptions": 21},
            {"channel": "feed", "domain": "public", "adoptions": 20}]
    f = findings(_doc(clear, base, exp, strong))
    assert f["endorsements"].startswith("A friend's endorsement lifts adoption from p(0) = "
                                        "1.0% to p(1) = 5.0%, 5.0×")
    assert f["domains"].startswith("Private channels convert 5.0× better than public ones")
    assert "95% CI 3.1–8.0×" in f["domains"]  # Katz: se = sqrt(.01 - .001 + .05 - .001)
    f = findings(_doc(vague, base, exp, even))
    assert "is within error of the baseline" in f["endorsements"]
    assert f["domains"].startswith("Private and public channels convert within error")
    f = findings(_doc([], base, exp, [even[0]]))
    assert f["endorsements"].startswith("Too little data")
    assert "too few adoptions in one of the domains" in f["domains"]
    assert f["cascades"] == "The product has no cascades."


def test_every_format_leads_sections_with_the_findings(reports):
    from analyzer.report import findings

    _, docs = reports
    found = findings(json.loads(docs["json"]))
    assert set(found) >= {"reach", "endorsements", "diversity", "domains", "cascades",
                          "promoters"}
    import html as H

    for key, sentence in found.items():
        assert H.escape(sentence) in docs["html"], key
        assert sentence.split(";")[0][:60] in " ".join(docs["text"].split()), key
