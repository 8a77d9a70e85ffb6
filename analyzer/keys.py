"""Exact duplicate keys over integer-coded columns.

A key is a tuple of integer columns (codes, epoch milliseconds, channel positions). One
compiled pass (:func:`analyzer.kernels.same_keys`) hashes each row's key on the fly to
place it in an open-addressing table and compares keys exactly, so a hash collision is
never reported and no array of hashes or combined keys is ever built: the check costs
a table of 32-bit row numbers per part, not a copy of the key columns.
"""

from __future__ import annotations

import numpy as np

from .kernels import same_keys

__all__ = ["first_duplicates"]

#: the hash bits kept; tests cut it to force collisions everywhere
_HASH_MASK = np.uint64(2**64 - 1)


def first_duplicates(keys: tuple[np.ndarray, ...], *, undirected: bool = False
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Rows (0-based) whose key equals an earlier row's, ascending, and for each the first
    row with that key. ``keys``: one to five equal-length integer arrays, one per key
    column; with ``undirected`` the first two are a pair in either order."""
    if not 1 <= len(keys) <= 5:
        raise ValueError(f"a key has one to five columns, not {len(keys)}")
    if undirected and len(keys) < 2:
        raise ValueError("an undirected key needs two columns")
    if not len(keys[0]):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    padded = tuple(keys) + (keys[0],) * (5 - len(keys))
    return same_keys(*padded, len(keys), undirected, _HASH_MASK)  # type: ignore[call-arg]
