"""Every kind of bad input gets a problem naming its table, line and column."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analyzer.errors import InputError
from analyzer.snapshot import read_snapshot, validate_snapshot

from .conftest import SAMPLE, write_tables


def only_problem(path, code):
    snap, report = validate_snapshot(path)
    found = [p for p in report.problems if p.code == code]
    assert found, f"no {code} problem; got {[p.code for p in report.problems]}"
    return snap, report, found[0]


def test_sample_is_clean():
    snap, report = validate_snapshot(SAMPLE)
    assert report.ok and not report.warnings
    assert report.rows == {"users": 12, "friendships": 14, "products": 2, "promotions": 3,
                           "shares": 7, "likes": 5, "purchases": 6, "gifts": 2, "exposures": 9}
    # ids stay exactly as written, timestamps become UTC epoch milliseconds
    assert "u`12" in set(snap["users"]["user_id"])
    assert snap["users"].loc[0, "joined_at"] == 1551402000000  # 2019-03-01T09:00+08:00


def test_typed_columns_share_their_strings():
    """Reference and channel columns are object columns whose rows share string objects
    (the referenced table's ids, one object per channel), with the same values."""
    raw = {name: pd.read_csv(SAMPLE / f"{name}.csv", dtype=str, keep_default_na=False)
           for name in ("users", "exposures")}
    snap = read_snapshot(SAMPLE)
    users, exposures = snap["users"]["user_id"], snap["exposures"]
    for column in ("user_id", "via_user_id", "channel", "domain"):
        col = exposures[column]
        assert col.dtype == object
        want = [None if v == "" else v for v in raw["exposures"][column]]
        assert col.tolist() == want
    by_id = {u: u for u in users}  # each id -> the users table's own string object
    assert all(v is by_id[v] for v in exposures["user_id"])
    via = exposures["via_user_id"].dropna()
    assert len(via) and all(v is by_id[v] for v in via)
    assert exposures["via_user_id"].isna().sum() == (raw["exposures"]["via_user_id"] == "").sum()
    for column in ("channel", "domain"):
        col = exposures[column]
        assert len({id(v) for v in col}) == col.nunique()


def test_missing_required_table(tmp_path):
    write_tables(tmp_path, friendships=None)
    _, report, p = only_problem(tmp_path, "missing-table")
    assert p.table == "friendships" and p.severity == "error"
    assert p.file.endswith("friendships.csv")


def test_missing_column_points_at_header(tmp_path):
    write_tables(tmp_path, likes="user_id,at\na,2024-01-01T00:00:00Z\n",
                 products="product_id\np1\n")
    _, _, p = only_problem(tmp_path, "missing-column")
    assert (p.table, p.column, p.examples[0][0]) == ("likes", "product_id", 1)


def test_bad_timestamp_located(tmp_path):
    write_tables(tmp_path, products="product_id\np1\n", likes="""
        user_id,product_id,at
        a,p1,2024-01-01T00:00:00Z
        b,p1,yesterday
    """)
    _, _, p = only_problem(tmp_path, "bad-timestamp")
    assert (p.table, p.column, p.examples, p.count) == ("likes", "at", [(3, "yesterday")], 1)


def test_timestamps_need_the_iso_form(tmp_path):
    """DuckDB alone would read 2024/06/01, epoch and infinity as times; the contract asks
    for ISO 8601's extended form (docs/snapshot.md), offsets and fractions included."""
    write_tables(tmp_path, products="product_id\np1\n", likes="""
        user_id,product_id,at
        a,p1,2024/06/01
        b,p1,epoch
        c,p1,infinity
        a,p1,2024-06-01T10:00+0800
    """)
    snap, report = validate_snapshot(tmp_path)
    (p,) = [p for p in report.problems if p.code == "bad-timestamp"]
    assert p.examples == [(2, "2024/06/01"), (3, "epoch"), (4, "infinity")]
    write_tables(tmp_path, products="product_id\np1\n", likes="""
        user_id,product_id,at
        a,p1,2024-06-01T10:00+0800
        b,p1,2024-06-01 10:00:00.123456Z
        c,p1,2024-06-01
    """)
    snap, report = validate_snapshot(tmp_path)
    assert report.ok, report.problems
    assert snap.values("likes", "at").tolist() == [1717207200000, 1717236000123, 1717200000000]


def test_a_missing_id_is_not_also_a_duplicate(tmp_path):
    write_tables(tmp_path, users="user_id,name\na,A\n,x\n,y\nb,B\nc,C\n")
    _, report = validate_snapshot(tmp_path)
    assert [(p.code, p.count) for p in report.errors] == [("missing-value", 2)]


def test_unknown_channel_rejected(tmp_path):
    write_tables(tmp_path, products="product_id\np1\n", promotions="""
        user_id,product_id,channel,at
        a,p1,moments,2024-01-01T00:00:00Z
        a,p1,billboard,2024-01-01T00:00:00Z
    """)
    _, _, p = only_problem(tmp_path, "unknown-channel")
    assert (p.column, p.examples[0]) == ("channel", (3, "billboard"))
    assert "mini_program" in p.message


def test_unknown_domain_rejected(tmp_path):
    write_tables(tmp_path, products="product_id\np1\n", exposures="""
        user_id,product_id,at,channel,domain
        a,p1,2024-01-01T00:00:00Z,feed,semi-private
    """)
    _, _, p = only_problem(tmp_path, "unknown-domain")
    assert (p.column, p.examples[0]) == ("domain", (2, "semi-private"))


def test_bad_numbers(tmp_path):
    write_tables(tmp_path, products="product_id,price\np1,12.5\np2,cheap\np3,-1\n",
                 friendships="user_a,user_b,probability\na,b,0.5\nb,c,1.5\n")
    snap, report = validate_snapshot(tmp_path)
    by_code = {p.code: p for p in report.problems}
    assert by_code["bad-number"].examples == [(3, "cheap")]
    assert by_code["negative-number"].examples == [(4, "-1")]
    assert (by_code["bad-probability"].table, by_code["bad-probability"].examples) == (
        "friendships", [(3, "1.5")])


def test_bad_bool(tmp_path):
    write_tables(tmp_path, products="product_id\np1\n", shares="""
        sharer_id,recipient_id,product_id,channel,at,inferred
        a,b,p1,chat,2024-01-01T00:00:00Z,maybe
    """)
    _, _, p = only_problem(tmp_path, "bad-bool")
    assert (p.column, p.examples[0]) == ("inferred", (2, "maybe"))


def test_missing_required_value(tmp_path):
    write_tables(tmp_path, users="user_id,name\na,A\n,nobody\nb,B\nc,C\n")
    _, _, p = only_problem(tmp_path, "missing-value")
    assert (p.table, p.column, p.examples[0][0]) == ("users", "user_id", 3)


def test_duplicate_user_names_first_line(tmp_path):
    write_tables(tmp_path, users="user_id\na\nb\nc\nb\n")
    _, _, p = only_problem(tmp_path, "duplicate-id")
    assert p.examples == [(5, "duplicate of line 3")]


def test_duplicate_friendship_either_order(tmp_path):
    write_tables(tmp_path, friendships="user_a,user_b\na,b\nb,c\nb,a\n")
    _, _, p = only_problem(tmp_path, "duplicate-pair")
    assert (p.table, p.examples) == ("friendships", [(4, "duplicate of line 2")])


def test_self_friendship(tmp_path):
    write_tables(tmp_path, friendships="user_a,user_b\na,b\nc,c\n")
    _, _, p = only_problem(tmp_path, "self-friendship")
    assert (p.column, p.examples) == ("user_b", [(3, "c")])


def test_follows_are_directed_and_checked(tmp_path):
    """A follow and its reverse are two rows; the same follow twice, a self-follow, an
    unknown user and a probability past 1 are each named by file, line and column."""
    write_tables(tmp_path, follows=(
        "follower_id,followee_id,probability\na,b,0.5\nb,a,0.2\nc,c,0.1\n"
        "a,b,0.3\nc,zed,0.1\nb,c,1.5\n"))
    snap, report = validate_snapshot(tmp_path)
    found = {p.code: p for p in report.problems}
    assert set(found) == {"duplicate-row", "self-follow", "dangling-reference",
                          "bad-probability"}
    assert found["duplicate-row"].examples == [(5, "duplicate of line 2")]
    assert (found["self-follow"].column, found["self-follow"].examples) == (
        "followee_id", [(4, "c")])
    assert (found["dangling-reference"].column, found["dangling-reference"].examples) == (
        "followee_id", [(6, "zed")])
    assert found["bad-probability"].examples[0][0] == 7
    assert all(p.file.endswith("follows.csv") for p in report.problems)


def test_clean_follows_read(tmp_path):
    write_tables(tmp_path, follows="follower_id,followee_id,since\na,b,2024-01-01\nb,a,\n")
    snap, report = validate_snapshot(tmp_path)
    assert report.ok and report.rows["follows"] == 2
    assert snap["follows"]["follower_id"].tolist() == ["a", "b"]


def test_dangling_share_reference(tmp_path):
    write_tables(tmp_path, products="product_id\np1\n", shares="""
        sharer_id,recipient_id,product_id,channel,at
        a,b,p1,chat,2024-01-01T00:00:00Z
        a,zed,p1,chat,2024-01-01T00:00:00Z
        a,b,p9,chat,2024-01-01T00:00:00Z
    """)
    snap, report = validate_snapshot(tmp_path)
    dangling = {p.column: p for p in report.problems if p.code == "dangling-reference"}
    assert dangling["recipient_id"].examples == [(3, "zed")]
    assert dangling["product_id"].examples == [(4, "p9")]
    assert snap is None


def test_reference_to_absent_products_table(tmp_path):
    write_tables(tmp_path, likes="user_id,product_id,at\na,p1,2024-01-01T00:00:00Z\n")
    _, _, p = only_problem(tmp_path, "dangling-reference")
    assert "products table is absent" in p.message


def test_ragged_csv_row(tmp_path):
    write_tables(tmp_path, users="user_id,name\na,A\nb,B,extra\nc,C\n")
    _, _, p = only_problem(tmp_path, "unreadable-file")
    assert p.table == "users" and "line 3" in p.message


def test_invalid_utf8_line(tmp_path):
    write_tables(tmp_path)
    (tmp_path / "users.csv").write_bytes("user_id,name\na,王\nb,".encode() + b"\xff\xfe\n")
    _, _, p = only_problem(tmp_path, "unreadable-file")
    assert p.examples[0][0] == 3 and "UTF-8" in p.message


def test_empty_file(tmp_path):
    write_tables(tmp_path, products="")
    _, _, p = only_problem(tmp_path, "unreadable-file")
    assert p.table == "products" and p.examples[0][0] == 1


def test_multiline_field_keeps_true_line_numbers(tmp_path):
    write_tables(tmp_path, users='user_id,name\na,"two\nlines"\nb,B\nb,again\nc,C\n')
    _, _, p = only_problem(tmp_path, "duplicate-id")
    assert p.examples == [(5, "duplicate of line 4")]


def test_parquet_reports_rows(tmp_path):
    write_tables(tmp_path, users=None)
    pq.write_table(pa.table({"user_id": ["a", "b", "c", "a"]}), tmp_path / "users.parquet")
    _, _, p = only_problem(tmp_path, "duplicate-id")
    assert p.location_kind == "row" and p.examples == [(4, "duplicate of line 1")]


def test_parquet_and_csv_for_same_table(tmp_path):
    write_tables(tmp_path)
    pq.write_table(pa.table({"user_id": ["a", "b", "c"]}), tmp_path / "users.parquet")
    _, _, p = only_problem(tmp_path, "ambiguous-table")
    assert p.table == "users"


def test_bad_manifest(tmp_path):
    write_tables(tmp_path)
    (tmp_path / "snapshot.json").write_text('{"name": "x",\n "format_version": }')
    _, _, p = only_problem(tmp_path, "bad-manifest")
    assert p.examples[0][0] == 2


def test_unsupported_format_version(tmp_path):
    write_tables(tmp_path)
    (tmp_path / "snapshot.json").write_text(json.dumps({"format_version": 9}))
    _, _, p = only_problem(tmp_path, "bad-manifest")
    assert p.column == "format_version"


def test_purchase_before_exposure_is_a_warning(tmp_path, offline_cli):
    write_tables(tmp_path, products="product_id\np1\n", purchases="""
        user_id,product_id,at
        a,p1,2024-01-01T00:00:00Z
        b,p1,2024-01-03T00:00:00Z
    """, exposures="""
        user_id,product_id,at,channel,domain
        a,p1,2024-01-02T00:00:00Z,feed,public
        b,p1,2024-01-02T00:00:00Z,feed,public
    """)
    snap, report, p = only_problem(tmp_path, "purchase-before-exposure")
    assert p.severity == "warning" and p.examples == [(2, "a/p1")]
    assert snap is not None
    assert offline_cli("validate", str(tmp_path)).exit_code == 0
    assert offline_cli("validate", str(tmp_path), "--strict").exit_code == 1


def test_purchase_before_exposure_on_codes_equals_on_ids(tmp_path):
    """Validation checks purchases against exposures on the integer codes it made; the
    same test on the id text, in pandas, flags the same rows."""
    from analyzer.generate import GeneratorParams, generate_snapshot

    root = tmp_path / "g"
    generate_snapshot(GeneratorParams(users=2000, products=2, seed=4), root)
    pur = pd.read_csv(root / "purchases.csv", dtype=str, keep_default_na=False)
    at = pd.to_datetime(pur["at"], utc=True, format="ISO8601")
    at[::3] -= pd.Timedelta(days=2)  # a third of the purchases two days earlier
    pur["at"] = at.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    pur.to_csv(root / "purchases.csv", index=False)
    exp = pd.read_csv(root / "exposures.csv", dtype=str, keep_default_na=False)
    first = (exp.assign(at=pd.to_datetime(exp["at"], utc=True, format="ISO8601"))
             .groupby(["user_id", "product_id"])["at"].min().rename("first"))
    merged = pur.assign(at=pd.to_datetime(pur["at"], utc=True, format="ISO8601")).join(
        first, on=["user_id", "product_id"])
    early = (merged["first"].isna() | (merged["first"] > merged["at"])).to_numpy()
    assert 0 < early.sum() < len(pur)
    snap, report = validate_snapshot(root)
    (problem,) = [p for p in report.problems if p.code == "purchase-before-exposure"]
    assert snap is not None and problem.count == int(early.sum())
    lines = np.flatnonzero(early) + 2
    assert [ln for ln, _ in problem.examples] == lines[:10].tolist()
    assert [v for _, v in problem.examples] == [
        f"{u}/{p}" for u, p in pur[["user_id", "product_id"]].to_numpy()[early][:10]]


def test_unknown_column_warns(tmp_path):
    write_tables(tmp_path, users="user_id,shoe_size\na,40\nb,41\nc,42\n")
    _, report, p = only_problem(tmp_path, "unknown-column")
    assert p.severity == "warning" and p.column == "shoe_size" and report.ok


def test_counts_and_example_limit(tmp_path):
    rows = "\n".join(f"a,p1,bad{i}" for i in range(50))
    write_tables(tmp_path, products="product_id\np1\n", likes="user_id,product_id,at\n" + rows)
    snap, report = validate_snapshot(tmp_path, max_examples=3)
    p = next(p for p in report.problems if p.code == "bad-timestamp")
    assert p.count == 50 and [ln for ln, _ in p.examples] == [2, 3, 4]


def test_read_snapshot_raises_located_error(tmp_path):
    write_tables(tmp_path, friendships="user_a,user_b\na,b\na,q\n")
    with pytest.raises(InputError) as err:
        read_snapshot(tmp_path)
    assert str(err.value).startswith(f"{tmp_path / 'friendships.csv'}:3 [user_b]: unknown id")


def test_cli_validate_lists_location_and_exits_1(tmp_path, offline_cli):
    write_tables(tmp_path, users="user_id\na\nb\nc\nb\n")
    result = offline_cli("validate", str(tmp_path), "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["ok"] is False and doc["errors"] == 1
    (problem,) = doc["problems"]
    assert (problem["table"], problem["column"], problem["examples"][0]["line"]) == (
        "users", "user_id", 5)


def test_cli_validate_piped_prints_one_greppable_line_per_problem(tmp_path, offline_cli):
    """Not on a terminal (CliRunner's stdout is not one), problems print as
    FILE:LINE:COLUMN: code: message (value), the first --show of each kind, then a count."""
    import re

    rows = "".join(f"a,p1,day{i}\n" for i in range(5))
    write_tables(tmp_path, users="user_id\na\nb\nc\nb\n", products="product_id\np1\n",
                 likes="user_id,product_id,at\n" + rows)
    result = offline_cli("validate", str(tmp_path), "--show", "2")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    users, likes = tmp_path / "users.csv", tmp_path / "likes.csv"
    assert lines[0].startswith(f"{users}:5:user_id: duplicate-id: duplicate id")
    stamp = [ln for ln in lines if ":bad-timestamp:" in ln.replace(" ", "")]
    assert [ln.split(":")[1] for ln in stamp] == ["2", "3", ""]
    assert stamp[0].startswith(f"{likes}:2:at: bad-timestamp: ") and stamp[0].endswith("(day0)")
    assert stamp[2] == f"{likes}::at: bad-timestamp: 3 more"
    assert all(re.match(r"^[^:]+:\d*:[a-z_,]*: [a-z-]+: ", ln) for ln in lines)


def test_cli_validate_missing_directory(tmp_path, offline_cli):
    result = offline_cli("validate", str(tmp_path / "nope"))
    assert result.exit_code == 1
    assert "snapshot directory does not exist" in result.stderr
    assert "Traceback" not in result.output


def test_csv_output_is_parseable(tmp_path, offline_cli):
    write_tables(tmp_path, users="user_id\na\nb\nc\nb\n")
    result = offline_cli("validate", str(tmp_path), "--format", "csv")
    frame = pd.read_csv(__import__("io").StringIO(result.stdout))
    assert list(frame[["code", "line"]].itertuples(index=False, name=None)) == [
        ("duplicate-id", 5)]


@pytest.mark.parametrize("collide", [False, True])
def test_first_duplicates_equals_pandas(monkeypatch, collide):
    """The compiled duplicate pass finds the rows pandas' duplicated() finds, each with the
    first row of its key, on keys of mixed integer types with many repeats; also when
    hashes collide everywhere (four hash values for the whole table)."""
    import analyzer.keys as K
    from analyzer.keys import first_duplicates

    if collide:
        monkeypatch.setattr(K, "_HASH_MASK", np.uint64(3))
    rng = np.random.default_rng(3)
    n = 20_000
    keys = (rng.integers(0, 50, n).astype(np.int32), rng.integers(-3, 3, n).astype(np.int64),
            rng.integers(0, 4, n).astype(np.int8))
    frame = pd.DataFrame({f"k{i}": k for i, k in enumerate(keys)})
    dup = frame.duplicated(keep="first").to_numpy()
    first = frame.groupby(list(frame.columns)).ngroup().to_numpy()
    first_row = pd.Series(np.arange(n)).groupby(first).transform("min").to_numpy()
    rows, firsts = first_duplicates(keys)
    assert 0 < len(rows) < n
    assert rows.tolist() == np.flatnonzero(dup).tolist()
    assert firsts.tolist() == first_row[dup].tolist()
    none, _ = first_duplicates((np.arange(1000, dtype=np.int32),))
    assert len(none) == 0
    # an undirected pair: (a, b) and (b, a) are one key
    a, b = keys[0], rng.integers(0, 50, n).astype(np.int32)
    pairs = pd.DataFrame({"lo": np.minimum(a, b), "hi": np.maximum(a, b)})
    dup = pairs.duplicated(keep="first").to_numpy()
    group = pairs.groupby(["lo", "hi"]).ngroup().to_numpy()
    first_row = pd.Series(np.arange(n)).groupby(group).transform("min").to_numpy()
    rows, firsts = first_duplicates((a, b), undirected=True)
    assert rows.tolist() == np.flatnonzero(dup).tolist()
    assert firsts.tolist() == first_row[dup].tolist()
    assert len(first_duplicates((a, b))[0]) < len(rows)


def test_duckdb_never_draws_on_stdout():
    """DuckDB draws a progress bar on stdout for queries over 2 s, where --format json
    and csv output go; diffusion's connection turns it off."""
    from analyzer.columns import connect

    con = connect()
    assert con.execute("SELECT current_setting('enable_progress_bar')").fetchall() == [(False,)]
    assert con.execute("SELECT current_setting('TimeZone')").fetchall() == [("UTC",)]


def test_coded_rows_come_back_in_file_order(monkeypatch):
    """The coded columns stream from DuckDB in batches, in whatever order its threads
    finish, and land at their own rows: values, nulls and types as in the query."""
    import analyzer.columns as C

    monkeypatch.setattr(C, "_BATCH", 1000)
    con = C.connect()
    n = 25_000
    rng = np.random.default_rng(4)
    order = rng.permutation(n) + 1
    at = np.where(order % 7 == 0, None, order * 1000)
    con.register("t", pa.table({"_row": order, "code": (order * 3).astype(np.int32),
                                "at": pa.array(at, type=pa.int64()),
                                "channel": (order % 5).astype(np.int8)}))
    got = C._read_in_row_order(con, "SELECT * FROM t", {}, n)
    rows = np.arange(1, n + 1)
    assert got.column_names == ["code", "at", "channel"]
    assert [f.type for f in got.schema] == [pa.int32(), pa.int64(), pa.int8()]
    assert got.column("code").to_numpy().tolist() == (rows * 3).tolist()
    assert got.column("at").to_pylist() == [None if r % 7 == 0 else r * 1000 for r in rows]
    assert got.column("channel").to_numpy().tolist() == (rows % 5).tolist()
    with pytest.raises(AssertionError, match="coded rows"):
        C._read_in_row_order(con, "SELECT * FROM t LIMIT 10", {}, n)
