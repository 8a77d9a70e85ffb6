"""`diffusion diff A B`: how the network and a product's diffusion changed between snapshots.

- users, friendships and follows added and removed (a friendship is an unordered pair,
  a follow an ordered one: b following a is not a following b);
- degree distribution (mean, quantiles, max) and clustering (average local
  clustering and transitivity, from a compiled triangle count);
- reach per hop from the same seeds in both (the product's promoters in A that
  are still users in B, or ``--users``);
- with ``--product``: p(k) and the cascade summary in both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numba import njit, prange

from .display import Displayable
from .errors import InputError

__all__ = ["diff_snapshots", "clustering", "DiffResult"]


@njit(parallel=True, cache=True)
def _triangles(indptr, indices):
    """Triangles through each node, on CSR with sorted neighbour lists."""
    n = indptr.shape[0] - 1
    tri = np.zeros(n, dtype=np.int64)
    for u in prange(n):
        count = 0
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            # |N(u) ∩ N(v)| by merging the two sorted lists
            i, j = indptr[u], indptr[v]
            while i < indptr[u + 1] and j < indptr[v + 1]:
                a, b = indices[i], indices[j]
                if a == b:
                    count += 1
                    i += 1
                    j += 1
                elif a < b:
                    i += 1
                else:
                    j += 1
        tri[u] = count // 2
    return tri


def clustering(graph) -> dict:
    """Average local clustering (0 for degree < 2, as networkx) and transitivity."""
    indices = graph.indices.copy()
    for_sort = np.repeat(np.arange(graph.n_users), np.diff(graph.indptr))
    order = np.lexsort((indices, for_sort))
    tri = _triangles(graph.indptr, indices[order])
    deg = np.diff(graph.indptr).astype(np.float64)
    pairs = deg * (deg - 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        local = np.where(pairs > 0, tri / pairs, 0.0)
    return {"average_clustering": float(local.mean()) if len(local) else 0.0,
            "transitivity": float(tri.sum() / pairs.sum()) if pairs.sum() else 0.0}


def _degree_summary(graph) -> dict:
    deg = np.diff(graph.indptr)
    if len(deg) == 0:
        return {"mean": 0.0, "median": 0.0, "p90": 0.0, "p99": 0.0, "max": 0}
    return {"mean": float(deg.mean()), "median": float(np.median(deg)),
            "p90": float(np.quantile(deg, 0.9)), "p99": float(np.quantile(deg, 0.99)),
            "max": int(deg.max())}


def _follow_keys(snap, ids: pd.Index) -> np.ndarray:
    """Follows as int64 keys follower * n + followee over a shared id index (ordered)."""
    f = snap.get("follows")
    if f is None:
        return np.empty(0, dtype=np.int64)
    a = ids.get_indexer(f["follower_id"].astype(object).to_numpy()).astype(np.int64)
    b = ids.get_indexer(f["followee_id"].astype(object).to_numpy()).astype(np.int64)
    return a * len(ids) + b


def _changes(a: np.ndarray, b: np.ndarray) -> dict:
    return {"a": len(a), "b": len(b), "added": int((~np.isin(b, a)).sum()),
            "removed": int((~np.isin(a, b)).sum()), "kept": int(np.isin(b, a).sum())}


def _pairs(snap, ids: pd.Index) -> np.ndarray:
    """Friendships as int64 keys lo * n + hi over a shared id index (unordered pairs)."""
    f = snap["friendships"]
    a = ids.get_indexer(f["user_a"].astype(object).to_numpy()).astype(np.int64)
    b = ids.get_indexer(f["user_b"].astype(object).to_numpy()).astype(np.int64)
    return np.minimum(a, b) * len(ids) + np.maximum(a, b)


@dataclass(repr=False)
class DiffResult(Displayable):
    a: str
    b: str
    users: dict
    friendships: dict
    network: pd.DataFrame
    reach: pd.DataFrame | None
    product: str | None
    curve: pd.DataFrame | None = None
    cascades: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    #: follows added and removed, as for friendships (ordered pairs); zeros without any
    follows: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "users": self.users, "friendships": self.friendships,
                "follows": self.follows,
                "network": self.network.to_dict(orient="records"),
                "reach": None if self.reach is None else self.reach.to_dict(orient="records"),
                "product": self.product,
                "curve": None if self.curve is None else self.curve.to_dict(orient="records"),
                "cascades": None if self.cascades is None else
                self.cascades.to_dict(orient="records"), "notes": self.notes}

    def to_frame(self) -> pd.DataFrame:
        return self.network

    def tables(self):
        counts = pd.DataFrame([
            {"what": "users", **self.users}, {"what": "friendships", **self.friendships},
            {"what": "follows", **self.follows}])
        out = [(f"{self.a} -> {self.b}: added and removed", counts),
               ("Network: degree and clustering (B - A)", self.network)]
        if self.reach is not None:
            out.append(("Reach per hop from the same seeds", self.reach))
        if self.curve is not None:
            out.append((f"Exposure curve p(k) of {self.product}", self.curve))
        if self.cascades is not None:
            out.append((f"Cascades of {self.product}", self.cascades))
        if self.notes:
            out.append(("Notes: " + "; ".join(self.notes), pd.DataFrame()))
        return out


def diff_snapshots(a, b, *, product: str | None = None, users=None, hops: int = 6,
                   min_users: int = 20) -> DiffResult:
    """a, b: analyzer Sessions on snapshots."""
    from .reach import reach_memory

    notes: list[str] = []
    ua = pd.Index(a.snap["users"]["user_id"].astype(object))
    ub = pd.Index(b.snap["users"]["user_id"].astype(object))
    ids = pd.Index(pd.unique(np.concatenate([ua.to_numpy(dtype=object),
                                             ub.to_numpy(dtype=object)])), dtype=object)
    pa, pb = _pairs(a.snap, ids), _pairs(b.snap, ids)
    users_d = {"a": len(ua), "b": len(ub), "added": int((~ub.isin(ua)).sum()),
               "removed": int((~ua.isin(ub)).sum()), "kept": int(ub.isin(ua).sum())}
    fr_d = _changes(pa, pb)
    fo_d = _changes(_follow_keys(a.snap, ids), _follow_keys(b.snap, ids))
    rows = []
    sa = {**_degree_summary(a.graph), **clustering(a.graph)}
    sb = {**_degree_summary(b.graph), **clustering(b.graph)}
    for key in sa:
        rows.append({"measure": f"degree {key}" if key in ("mean", "median", "p90", "p99",
                                                           "max") else key,
                     "a": sa[key], "b": sb[key], "change": sb[key] - sa[key]})
    network = pd.DataFrame(rows)

    seeds = None
    if users is not None:
        seeds = [u for u in users]
    elif product is not None:
        seeds = a.product_users(product, ["promoters"]) if product in set(
            a.source().product_ids()) else []
        if not seeds:
            notes.append(f"{product} has no promoters in A; no reach comparison")
            seeds = None
    reach = None
    if seeds:
        keep = [s for s in seeds if s in set(ub) and s in set(ua)]
        if len(keep) < len(seeds):
            notes.append(f"{len(seeds) - len(keep)} seed(s) are not users in both snapshots "
                         "and were left out")
        if keep:
            ra = reach_memory(a.graph, keep, hops, per_seed=False)
            rb = reach_memory(b.graph, keep, hops, per_seed=False)
            reach = pd.DataFrame({"hop": range(hops + 1), "a": ra.per_hop, "b": rb.per_hop})
            reach["change"] = reach["b"] - reach["a"]
    curve = cascades = None
    if product is not None:
        for s, tag in ((a, "A"), (b, "B")):
            if product not in set(s.source().product_ids()):
                raise InputError(f"product {product!r} is not in snapshot {tag}",
                                 field="product")
        ca = a.endorsements(product, min_users=min_users).curve
        cb = b.endorsements(product, min_users=min_users).curve
        curve = ca[["k", "users", "p"]].merge(cb[["k", "users", "p"]], on="k", how="outer",
                                              suffixes=("_a", "_b")).sort_values("k")
        curve["change"] = curve["p_b"] - curve["p_a"]
        sa_c = a.cascades(product).summary.iloc[0]
        sb_c = b.cascades(product).summary.iloc[0]
        keys = ["cascade_count", "users", "size_1_share", "mean_size", "max_size",
                "mean_depth", "max_depth", "mean_virality"]
        cascades = pd.DataFrame([{"measure": k, "a": sa_c[k], "b": sb_c[k],
                                  "change": (sb_c[k] - sa_c[k]) if sa_c[k] is not None and
                                  sb_c[k] is not None else None} for k in keys])
    return DiffResult(str(a.snap.path), str(b.snap.path), users_d, fr_d, network, reach,
                      product, curve, cascades, notes, follows=fo_d)
