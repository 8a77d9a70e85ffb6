"""Small array helpers shared by the engines (no I/O, no pandas)."""

from __future__ import annotations

import numpy as np

__all__ = ["find_sorted"]


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
