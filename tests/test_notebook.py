"""docs/quickstart.ipynb runs from top to bottom, shows what it promises, and is kept
without outputs."""

from __future__ import annotations

import pytest

from .conftest import REPO

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = REPO / "docs" / "quickstart.ipynb"

pytestmark = pytest.mark.slow


def test_the_notebook_is_kept_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) >= 15
    assert all(c.outputs == [] and c.execution_count is None for c in code)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=900, kernel_name="python3",
                                     resources={"metadata": {"path": str(REPO)}})
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    return [c for c in nb.cells if c.cell_type == "code"]


def _cell(cells, text):
    return next(c for c in cells if text in c.source)


def _data(cell, mime):
    return [o["data"][mime] for o in cell.outputs if mime in o.get("data", {})]


def test_results_show_as_short_tables(executed):
    reach = _cell(executed, 'reach = s.reach("p-tea"')
    (page,) = _data(reach, "text/html")
    assert "<table" in page and "hop" in page and "Reach of 4 seed(s)" in page
    (plain,) = _data(reach, "text/plain")
    assert plain.startswith("<ReachResult: ") and len(plain) < 300


def test_plots_are_drawn(executed):
    for text in ("reach.plot()", "e.plot()", "d.plot()", "c.plot()", "pick.plot()"):
        assert _data(_cell(executed, text), "image/png"), f"{text} drew nothing"


def test_bring_your_own_data_and_its_errors(executed):
    karate = _cell(executed, "nx.karate_club_graph()")
    (frame,) = _data(karate, "text/plain")
    assert "29" in frame  # 29 of karate's members are one hop from 0 or 33
    (per_hop,) = _data(_cell(executed, "mine = analyzer.open_snapshot"), "text/plain")
    assert per_hop == "[1, 1, 1, 1, 0, 0, 0]"
    error = _cell(executed, "except InputError")
    assert "table friendships, row 1 [user_b]: unknown id" in error.outputs[0]["text"]


def test_the_report_shows_in_an_iframe_and_dtypes_are_typed(executed):
    (page,) = _data(_cell(executed, 'r = s.report("p-tea"'), "text/html")
    assert page.startswith('<iframe class="diffusion-report" srcdoc="')
    (dtypes,) = _data(_cell(executed, "feed.dtypes"), "text/plain")
    assert "datetime64[ms, UTC]" in dtypes
    (node,) = _data(_cell(executed, "s.to_networkx(product="), "text/plain")
    assert "'roles': ['endorsers', 'promoters', 'sharers']" in node and "Timestamp(" in node
