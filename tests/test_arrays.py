"""The array helpers and the fixed-width text kernels, against numpy and the standard library."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from analyzer.arrays import find_sorted, first_occurrences, unique_sorted
from analyzer.textcols import iso_utc_ms, padded_ids, repeated


@pytest.mark.parametrize("seed", range(5))
def test_unique_sorted_matches_numpy(seed):
    rng = np.random.default_rng(seed)
    values = rng.integers(-50, 50 if seed % 2 else 10**12, int(rng.integers(0, 2000)))
    assert np.array_equal(unique_sorted(values), np.unique(values))


def test_unique_sorted_of_tiny_inputs():
    assert unique_sorted(np.array([], dtype=np.int64)).tolist() == []
    assert unique_sorted(np.array([7])).tolist() == [7]


@pytest.mark.parametrize("seed", range(5))
def test_first_occurrences_keeps_the_first_row_of_each_tuple(seed):
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, 4, (int(rng.integers(0, 400)), 3))
    _, first = np.unique(rows, axis=0, return_index=True)
    want = np.zeros(len(rows), dtype=bool)
    want[first] = True
    assert np.array_equal(first_occurrences(rows[:, 0], rows[:, 1], rows[:, 2]), want)


def test_find_sorted_marks_absent_values():
    assert find_sorted(np.array([2, 5, 9]), np.array([9, 1, 5, 10])).tolist() == [2, -1, 1, -1]


def test_padded_ids_match_python_formatting():
    values = np.array([0, 7, 42, 999_999, 123_456])
    got = padded_ids("u", values, 6)
    assert got.to_pylist() == [f"u{v:06d}" for v in values]
    assert padded_ids("商品", np.array([3]), 2).to_pylist() == ["商品03"]
    with pytest.raises(ValueError, match="10\\*\\*2"):
        padded_ids("p", np.array([100]), 2)
    with pytest.raises(ValueError):
        padded_ids("p", np.array([-1]), 2)


def test_iso_text_matches_datetime_across_leap_years_and_before_1970():
    rng = np.random.default_rng(3)
    ms = np.concatenate([rng.integers(-62_135_596_800_000, 253_402_300_799_999, 2000),
                         [0, -1, 951_782_400_000, 4_107_542_399_999]])
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    want = [(epoch + dt.timedelta(milliseconds=int(m))).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z") for m in ms]
    got = iso_utc_ms(ms)
    assert got.type == pa.string()
    assert got.to_pylist() == want


def test_repeated_text():
    assert repeated("p07", 3).to_pylist() == ["p07"] * 3
    assert repeated("p07", 0).to_pylist() == []
