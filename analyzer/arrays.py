"""Small array helpers shared by the engines (no I/O)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["factorize_sorted", "find_sorted", "first_occurrences", "joined_text", "text_ranks",
           "unique_sorted"]


def find_sorted(keys: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Position of each ``query`` value in the sorted array ``keys``, or -1 where absent."""
    query = np.asarray(query)
    out = np.full(len(query), -1, dtype=np.int64)
    if len(keys) == 0 or len(query) == 0:
        return out
    pos = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    hit = keys[pos] == query
    out[hit] = pos[hit]
    return out


def unique_sorted(values: np.ndarray) -> np.ndarray:
    """The distinct values, ascending: ``np.unique`` by sorting.

    numpy >= 2.3 answers a plain ``np.unique`` of integers with a hash table that is
    far slower on millions of distinct keys (42.6 s against 0.5 s for 20M int64 here).
    """
    out = np.sort(np.asarray(values).ravel())
    if len(out) < 2:
        return out
    keep = np.empty(len(out), dtype=bool)
    keep[0] = True
    np.not_equal(out[1:], out[:-1], out=keep[1:])
    return out[keep]


def first_occurrences(*columns: np.ndarray) -> np.ndarray:
    """Mask of the rows whose tuple of ``columns`` has not appeared on an earlier row."""
    n = len(columns[0])
    keep = np.ones(n, dtype=bool)
    if n < 2:
        return keep
    order = np.lexsort(columns[::-1])  # stable: each run of equal tuples starts at its first row
    same = np.ones(n - 1, dtype=bool)
    for c in columns:
        s = c[order]
        same &= s[1:] == s[:-1]
    keep[order[1:][same]] = False
    return keep


def joined_text(data: bytes, ends: np.ndarray) -> np.ndarray:
    """Strings sent back to back in UTF-8, ``ends[i]`` where string i ends, as an array of
    str (Arrow splits them, not a Python loop)."""
    ends = np.asarray(ends, dtype=np.int64)
    offsets = pa.py_buffer(np.concatenate([np.zeros(1, dtype=np.int64), ends]))
    text = pa.LargeStringArray.from_buffers(len(ends), offsets, pa.py_buffer(data))
    return text.to_numpy(zero_copy_only=False)


def text_ranks(values) -> tuple[np.ndarray, np.ndarray]:
    """For distinct strings: each one's rank in code-point order, and the strings in that
    order, sorted by Arrow instead of by Python comparisons."""
    values = np.asarray(values, dtype=object)
    order = pc.sort_indices(pa.array(values, type=pa.string())).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank, values[order]


def factorize_sorted(values) -> tuple[np.ndarray, np.ndarray]:
    """Codes and uniques like ``pd.factorize(values, sort=True)``, with the uniques sorted
    by Arrow (code-point order) instead of by Python comparisons: many times faster on
    hundreds of thousands of ids."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    if len(uniques) == 0:
        return codes.astype(np.int64), np.asarray(uniques, dtype=object)
    rank, ordered = text_ranks(uniques)
    return rank[codes], ordered
