"""The notebook side of the API: data in memory as input, results that display, plot and
convert, typed columns, networkx with attributes."""

from __future__ import annotations

import matplotlib
import networkx as nx
import pandas as pd
import pyarrow as pa
import pytest

import analyzer
from analyzer.errors import InputError

from .conftest import SAMPLE

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def s():
    with analyzer.open_snapshot(SAMPLE) as session:
        yield session


def _tables():
    users = pd.DataFrame({"user_id": ["a", "b", "c"],
                          "joined_at": [pd.Timestamp("2024-01-01", tz="UTC"),
                                        pd.Timestamp("2024-02-01 08:00", tz="Asia/Shanghai"),
                                        pd.NaT]})
    friendships = pd.DataFrame({"user_a": ["a", "b"], "user_b": ["b", "c"],
                                "since": pd.to_datetime(["2024-03-01", "2024-03-02"])})
    return {"users": users, "friendships": friendships}


def test_a_networkx_graph_opens_without_a_folder():
    s = analyzer.open_snapshot(nx.karate_club_graph())
    assert s.graph.n_users == 34 and len(s.graph.indices) == 2 * 78
    assert s.reach(users=[0, 33], hops=1).to_dict()["per_hop"] == [2, 29]


@pytest.mark.parametrize("kind", ["pandas", "arrow", "polars"])
def test_tables_in_memory_with_timestamps(kind):
    tables = _tables()
    if kind == "arrow":
        tables = {k: pa.Table.from_pandas(v, preserve_index=False) for k, v in tables.items()}
    elif kind == "polars":
        pl = pytest.importorskip("polars")
        tables = {k: pl.from_pandas(v) for k, v in tables.items()}
    s = analyzer.open_snapshot(tables)
    users = s.snap["users"]
    # times in epoch ms, UTC: Shanghai 08:00 is midnight UTC
    assert users["joined_at"].tolist()[:2] == [1704067200000, 1706745600000]
    assert pd.isna(users["joined_at"].iloc[2])
    assert s.snap["friendships"]["since"].tolist() == [1709251200000, 1709337600000]


@pytest.mark.parametrize("tables, message", [
    ({"users": pd.DataFrame({"user_id": ["a"]}),
      "friendships": pd.DataFrame({"user_a": ["a"], "user_b": ["zed"]})},
     "table friendships, row 1 [user_b]: unknown id"),
    ({"users": pd.DataFrame({"user_id": ["a", "b"], "joined_at": ["2024-01-01", "soon"]}),
      "friendships": pd.DataFrame({"user_a": ["a"], "user_b": ["b"]})},
     "table users, row 2 [joined_at]: not an ISO 8601 timestamp"),
    ({"users": pd.DataFrame({"user_id": ["a", 1.5]}),
      "friendships": pd.DataFrame({"user_a": [], "user_b": []})},
     "[user_id]: table users: column 'user_id' mixes values of different kinds"),
    ({"people": pd.DataFrame({"user_id": ["a"]})}, "[people]: unknown table 'people'"),
    ({"users": [1, 2]}, "[users]: table users is a list"),
])
def test_bad_tables_in_memory_name_table_row_and_column(tables, message):
    with pytest.raises(InputError) as err:
        analyzer.open_snapshot(tables)
    assert message in str(err.value)


def test_open_snapshot_refuses_what_it_cannot_read():
    with pytest.raises(InputError, match="a networkx graph or a mapping"):
        analyzer.open_snapshot(42)


def test_write_snapshot_takes_timestamp_columns(tmp_path):
    out = analyzer.write_snapshot(_tables(), tmp_path / "mine")
    assert (out / "users.csv").read_text(encoding="utf-8").splitlines() == [
        "user_id,joined_at", "a,2024-01-01T00:00:00Z", "b,2024-02-01T00:00:00Z", "c,"]
    from analyzer.snapshot import write_snapshot

    raw = tmp_path / "raw"  # the lower-level writer takes pandas Timestamps too
    write_snapshot(_tables(), raw)
    assert (raw / "friendships.csv").read_text(encoding="utf-8").splitlines()[1] == \
        "a,b,2024-03-01T00:00:00Z"
    assert analyzer.open_snapshot(out).snap["users"].equals(analyzer.open_snapshot(raw)
                                                            .snap["users"])


def _results(s):
    return {"reach": s.reach("p-tea"), "degrees": s.degrees(),
            "endorsements": s.endorsements("p-tea", min_users=1),
            "influencers": s.influencers("p-tea"), "feed": s.feed("u05"),
            "domains": s.domains("p-tea"), "cascades": s.cascades("p-tea"),
            "simulate": s.simulate("p-tea", runs=200), "promoters": s.promoters(2, runs=200)}


def test_every_result_displays_briefly_and_converts(s):
    pl = pytest.importorskip("polars")
    for name, r in _results(s).items():
        text = repr(r)
        assert text.startswith(f"<{type(r).__name__}: ") and len(text) < 400, name
        page = r._repr_html_()
        assert page.startswith("<div class='diffusion-result'>") and "<table" in page, name
        frame = r.to_frame()
        table = r.to_arrow()
        assert table.num_rows == len(frame) and table.column_names == list(frame.columns)
        assert pl.from_arrow(table).shape == r.to_polars().shape == frame.shape


def test_a_long_result_shows_its_head_and_counts_the_rest(tmp_path):
    from analyzer.display import HEAD_ROWS

    s = analyzer.open_snapshot(nx.path_graph(40))
    r = s.reach(users=[str(i) for i in range(30)], overlap=False)
    page = r._repr_html_()
    assert f"{30 - HEAD_ROWS:,} more rows" in page  # the per-seed table: 30 seeds
    assert len(repr(r)) < 300


def test_frames_are_typed(s):
    feed = s.feed("u05").to_frame()
    assert str(feed["latest"].dtype) == "datetime64[ms, UTC]"
    assert feed["endorsers"].iloc[0] == ["u02"]
    from analyzer.diff import diff_snapshots

    others = [diff_snapshots(s, s, product="p-tea")]
    for r in [*_results(s).values(), *others]:
        frame = r.to_frame()
        for c in frame.columns:
            values = frame[c].dropna()
            if len(values) and values.map(lambda v: isinstance(v, str)).all():
                assert frame[c].dtype != object, (type(r).__name__, c)  # pandas' text dtype


def test_each_plot_draws_labelled_axes(s):
    r = _results(s)
    for name in ("reach", "endorsements", "cascades", "simulate", "promoters"):
        ax = r[name].plot()
        assert ax.get_xlabel() and ax.get_ylabel() and ax.has_data(), name
        assert len([t for t in ax.get_xticklabels() if t.get_text()]) >= 2, name
    assert r["cascades"].plot().get_xscale() == "log"
    fig = r["domains"].plot()
    assert len(fig.axes) == 2 and all(a.get_xlabel() for a in fig.axes)
    curve = r["endorsements"].plot()
    baseline = [ln for ln in curve.get_lines() if ln.get_label() == "baseline p(0)"]
    assert len(baseline) == 1  # the baseline is drawn
    import matplotlib.pyplot as plt

    plt.close("all")


def test_to_networkx_carries_attributes(s):
    g = s.to_networkx()
    assert g.nodes["u01"]["name"] == "王芳"
    assert g.nodes["u01"]["joined_at"] == pd.Timestamp("2019-03-01 01:00", tz="UTC")
    assert g.edges["u01", "u02"]["since"] == pd.Timestamp("2019-05-31 16:00", tz="UTC")
    h = s.to_networkx(product="p-tea")
    assert h.nodes["u02"]["roles"] == ["buyers", "endorsers", "sharers"]
    assert set(h.graph["cascade"].nodes) <= set(h.nodes)


def test_edge_probabilities_travel_to_networkx():
    g = nx.Graph()
    g.add_edge("a", "b", probability=0.25)
    g.add_edge("b", "c", probability=0.5)
    back = analyzer.open_snapshot(g).to_networkx()
    assert back.edges["a", "b"]["probability"] == pytest.approx(0.25)


def test_write_snapshot_names_a_column_that_holds_no_times(tmp_path):
    from analyzer.snapshot import write_snapshot

    users = pd.DataFrame({"user_id": ["a"], "joined_at": [complex(1, 2)]})
    with pytest.raises(InputError, match=r"\[users.joined_at\]: users.joined_at: not times"):
        write_snapshot({"users": users, "friendships": _tables()["friendships"].iloc[:0]},
                       tmp_path / "bad")
    assert not (tmp_path / "bad").exists()
