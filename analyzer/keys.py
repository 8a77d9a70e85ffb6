"""Exact duplicate keys over integer-coded columns.

A key is a tuple of integer columns (codes, epoch milliseconds, channel positions). Each
row's key is hashed to 64 bits in bounded chunks; one compiled pass over the hashes
(:func:`analyzer.kernels.same_hash`) pairs every row with the first row of its hash; the
pairs are then checked column by column, so a hash collision is never reported, and
the rare rows caught in one are settled exactly by pandas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .kernels import same_hash

__all__ = ["first_duplicates"]

_CHUNK = 1 << 21
_PRIME = np.uint64(1099511628211)


def _hashes(keys: tuple[np.ndarray, ...]) -> np.ndarray:
    n = len(keys[0])
    out = np.empty(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for lo in range(0, n, _CHUNK):
            hi = min(lo + _CHUNK, n)
            h = np.full(hi - lo, np.uint64(1469598103934665603))
            for col in keys:
                h ^= col[lo:hi].astype(np.int64).view(np.uint64)
                h *= _PRIME
                h ^= h >> np.uint64(29)
            out[lo:hi] = h
    return out


def first_duplicates(keys: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Rows (0-based) whose key equals an earlier row's, ascending, and for each the first
    row with that key. ``keys``: equal-length integer arrays, one per key column."""
    if not len(keys[0]):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    hashes = _hashes(keys)
    rows, firsts = same_hash(hashes)
    if not len(rows):
        return rows, firsts
    same = np.ones(len(rows), dtype=bool)
    for col in keys:
        same &= col[rows] == col[firsts]
    if same.all():
        return rows, firsts
    # a collision: settle every row of the colliding hashes exactly
    bad = np.unique(hashes[rows[~same]])
    involved = np.flatnonzero(np.isin(hashes, bad))
    frame = pd.DataFrame({f"k{i}": col[involved] for i, col in enumerate(keys)})
    group = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy()
    first_of = pd.Series(involved).groupby(group).transform("min").to_numpy()
    exact_rows = involved[first_of != involved]
    exact_firsts = first_of[first_of != involved]
    keep = ~np.isin(rows, involved)
    rows = np.concatenate((rows[keep], exact_rows))
    firsts = np.concatenate((firsts[keep], exact_firsts))
    order = np.argsort(rows, kind="stable")
    return rows[order], firsts[order]
