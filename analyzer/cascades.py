"""Share cascades: trees of shares and gifts, their depth, breadth and structural virality.

Tree rule (docs/cascades.md): every share and gift of a product is an edge from
sender to recipient. A user joins the product's cascade once, through the
earliest edge they received (ties: the smaller sender id, then gift before
share); later edges are re-exposures. Promoters are roots, and so is anyone who
had already shared or given the product before anything reached them. Both
sources return those tree edges (``cypher/cascades/tree_edges``); the one
case they leave, a ring of users who all sent to each other at the same
instant, is broken here by making the ring's smallest user id a root.

Metrics per tree come from one compiled pass over a parent array: depth,
subtree sizes, and from them the Wiener index W = sum over edges of
s * (n - s), so structural virality (Goel, Anderson, Hofman and Watts, 2016),
the mean distance between two nodes, is 2W / (n (n - 1)), in linear time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from numba import njit

from .display import Displayable
from .errors import InputError
from .engines.contract import CascadeInput, distinct, obj, prefetch

__all__ = ["cascades", "compare_cascades", "tree_metrics", "CascadeResult"]


@njit(cache=True)
def _break_cycles(parent):
    """Make the smallest node of every cycle of the parent pointers a root."""
    n = parent.shape[0]
    state = np.zeros(n, dtype=np.int8)  # 0 new, 1 on the current walk, 2 done
    for s in range(n):
        if state[s] != 0:
            continue
        v = s
        while v != -1 and state[v] == 0:
            state[v] = 1
            v = parent[v]
        smallest = -1
        if v != -1 and state[v] == 1:  # found a cycle through v
            smallest = v
            w = parent[v]
            while w != v:
                if w < smallest:
                    smallest = w
                w = parent[w]
        # mark the whole walk done before cutting: cutting first would stop the marking at
        # the cut and leave the rest of the cycle "on the walk" for a later walk to loop on
        w = s
        while w != -1 and state[w] == 1:
            state[w] = 2
            w = parent[w]
        if smallest >= 0:
            parent[smallest] = -1
    return parent


@njit(cache=True)
def _roots_depths(parent):
    n = parent.shape[0]
    root = np.full(n, -1, dtype=np.int64)
    depth = np.full(n, -1, dtype=np.int64)
    stack = np.empty(n, dtype=np.int64)
    for s in range(n):
        if depth[s] >= 0:
            continue
        top = 0
        v = s
        while parent[v] != -1 and depth[v] < 0:
            stack[top] = v
            top += 1
            v = parent[v]
        if depth[v] < 0:  # v is a root
            depth[v] = 0
            root[v] = v
        d = depth[v]
        r = root[v]
        while top > 0:
            top -= 1
            d += 1
            depth[stack[top]] = d
            root[stack[top]] = r
    return root, depth


@njit(cache=True)
def _subtree_wiener(parent, root, order):
    """Subtree sizes (nodes visited deepest first) and each root's Wiener index."""
    n = parent.shape[0]
    size = np.ones(n, dtype=np.int64)
    for i in range(n):
        v = order[i]
        if parent[v] != -1:
            size[parent[v]] += size[v]
    wiener = np.zeros(n, dtype=np.int64)
    for v in range(n):
        if parent[v] != -1:
            total = size[root[v]]
            wiener[root[v]] += size[v] * (total - size[v])
    return size, wiener


def tree_metrics(parent: np.ndarray) -> pd.DataFrame:
    """Per-node root, depth and subtree size, and per-root Wiener index, of a forest given
    as parent pointers (-1 for roots; cycles are broken at their smallest node)."""
    parent = _break_cycles(np.asarray(parent, dtype=np.int64).copy())
    root, depth = _roots_depths(parent)
    order = np.argsort(-depth, kind="stable")
    size, wiener = _subtree_wiener(parent, root, order)
    return pd.DataFrame({"parent": parent, "root": root, "depth": depth, "subtree": size,
                         "wiener": wiener})


def structural_virality(n: np.ndarray, wiener: np.ndarray) -> np.ndarray:
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n >= 2, 2.0 * np.asarray(wiener, dtype=float) / (n * (n - 1)), np.nan)


TREE_COLUMNS = ["product_id", "root", "root_role", "size", "depth", "max_breadth",
                "structural_virality"]


@dataclass(repr=False)
class CascadeResult(Displayable):
    engine: str
    products: list[str]
    trees: pd.DataFrame  #: one row per cascade, by product, largest first
    summary: pd.DataFrame  #: one row per product
    top: int
    #: breadth by depth: for the cascade in trees row i, breadth_counts[breadth_start[i]:
    #: breadth_start[i + 1]] are the users at depth 0, 1, ...
    breadth_start: np.ndarray
    breadth_counts: np.ndarray
    #: trees rows of product j are product_start[j]:product_start[j + 1]
    product_start: np.ndarray
    comparison: pd.DataFrame | None = None
    _forest: tuple | None = field(default=None, repr=False)

    @cached_property
    def nodes(self) -> pd.DataFrame:
        """One row per cascade member: product_id, user_id, parent_id, root_id, depth.
        Built on first use: on a large snapshot it is millions of rows of text."""
        assert self._forest is not None, "a CascadeResult is built with its forest"
        c, parent, root, depth = self._forest
        ids, prod = c.user_ids, np.asarray(self.products, dtype=object)
        return pd.DataFrame({
            "product_id": obj(prod[c.m_product]), "user_id": obj(ids[c.m_user]),
            "parent_id": obj(np.where(parent >= 0, ids[c.m_user[np.maximum(parent, 0)]],
                                      None)),
            "root_id": obj(ids[c.m_user[root]]), "depth": depth})

    def _rows(self, j: int) -> range:
        lo, hi = int(self.product_start[j]), int(self.product_start[j + 1])
        return range(lo, hi if self.top == 0 else min(hi, lo + self.top))

    def breadth(self, i: int) -> list[int]:
        return self.breadth_counts[self.breadth_start[i]:self.breadth_start[i + 1]].tolist()

    def plot(self, ax=None, **options):
        """The cascade-size CCDF on log-log axes, one line per product;
        see :func:`analyzer.charts.cascade_ccdf`. Needs matplotlib; returns the Axes."""
        from .charts import cascade_ccdf

        return cascade_ccdf(self.to_dict(), ax, **options)

    def to_dict(self) -> dict:
        products = []
        size = self.trees["size"].to_numpy()
        cols = {c: self.trees[c].to_numpy() for c in TREE_COLUMNS}
        for j, row in enumerate(self.summary.to_dict(orient="records")):
            lo, hi = int(self.product_start[j]), int(self.product_start[j + 1])
            sizes, counts = np.unique(size[lo:hi], return_counts=True)
            ccdf = counts[::-1].cumsum()[::-1] / max(hi - lo, 1)
            items = []
            for i in self._rows(j):
                br = self.breadth(i)
                sv = cols["structural_virality"][i]
                items.append({
                    "root": cols["root"][i], "root_role": cols["root_role"][i],
                    "size": int(size[i]), "depth": int(cols["depth"][i]),
                    "max_breadth": int(cols["max_breadth"][i]), "breadth": br,
                    "reproduction": [br[g + 1] / br[g] for g in range(len(br) - 1)],
                    "structural_virality": None if size[i] < 2 else float(sv)})
            products.append({**row, "size_distribution": [
                {"size": int(s), "cascades": int(c), "ccdf": float(f)}
                for s, c, f in zip(sizes, counts, ccdf)], "cascades": items})
        doc = {"engine": self.engine, "products": products}
        if self.comparison is not None:
            doc["comparison"] = self.comparison.to_dict(orient="records")
        return doc

    def to_frame(self) -> pd.DataFrame:
        rows = np.concatenate([np.arange(r.start, r.stop) for r in
                               (self._rows(j) for j in range(len(self.products)))] or
                              [np.empty(0, dtype=np.int64)])
        return self.trees.iloc[rows].reset_index(drop=True)

    def tables(self):
        out = [(f"Cascades [{self.engine}]", self.summary)]
        for j, pid in enumerate(self.products[:20]):
            r = self._rows(j)
            top = self.trees.iloc[r.start:min(r.stop, r.start + 20)].drop(columns=["product_id"])
            out.append((f"Largest cascades of {pid}", top))
        if self.comparison is not None:
            out.append(("Matched-size comparison (size bins; Juul and Ugander 2021)",
                        self.comparison))
        return out


def _build(engine: str, c: CascadeInput, top: int) -> CascadeResult:
    products = c.products
    ucode, pcode = c.m_user, c.m_product
    parent = np.full(len(ucode), -1, dtype=np.int64)
    parent[c.e_child] = c.e_parent
    m = tree_metrics(parent)
    parent, root, depth = m["parent"].to_numpy(), m["root"].to_numpy(), m["depth"].to_numpy()
    n = len(parent)
    tsize = np.bincount(root, minlength=n)
    tdepth = np.zeros(n, dtype=np.int64)
    np.maximum.at(tdepth, root, depth)
    # breadth: users per (root, depth), in root then depth order
    bkey = root * (int(depth.max(initial=0)) + 1) + depth
    ukey, bcount = np.unique(bkey, return_counts=True)
    broot = ukey // (int(depth.max(initial=0)) + 1)
    tbreadth = np.zeros(n, dtype=np.int64)
    np.maximum.at(tbreadth, broot, bcount)
    roots = np.flatnonzero(parent == -1)
    sv = structural_virality(tsize[roots], m["wiener"].to_numpy()[roots])
    # order: product, then size desc, virality desc (size 1 last), root id
    rank_sv = np.where(np.isnan(sv), -1.0, sv)
    o = np.lexsort((ucode[roots], -rank_sv, -tsize[roots], pcode[roots]))
    roots, sv = roots[o], sv[o]
    prod = np.asarray(products, dtype=object)
    trees = pd.DataFrame({
        "product_id": obj(prod[pcode[roots]]),
        "root": obj(c.user_ids[ucode[roots]]),
        "root_role": obj(np.where(c.m_promoted[roots], "promoter", "user")),
        "size": tsize[roots], "depth": tdepth[roots], "max_breadth": tbreadth[roots],
        "structural_virality": sv})
    bstart_of_root = np.searchsorted(broot, roots)
    # breadth rows of one root are contiguous; reorder them to follow the trees order
    lengths = tdepth[roots] + 1
    idx = np.repeat(bstart_of_root - np.concatenate([[0], np.cumsum(lengths)[:-1]]),
                    lengths) + np.arange(int(lengths.sum()))
    counts = bcount[idx]
    breadth_start = np.concatenate([[0], np.cumsum(lengths)])
    product_start = np.searchsorted(pcode[roots], np.arange(len(products) + 1))
    summary = _summary(products, trees, product_start,
                       np.bincount(pcode, weights=c.m_received, minlength=len(products)),
                       np.bincount(pcode[parent != -1], minlength=len(products)))
    return CascadeResult(engine, list(products), trees, summary, top, breadth_start, counts,
                         product_start, _forest=(c, parent, root, depth))


def _summary(products, trees, product_start, received, tree_edges) -> pd.DataFrame:
    code = np.repeat(np.arange(len(products)), np.diff(product_start))
    t = trees.assign(code=code, single=trees["size"] == 1)
    g = t.groupby("code")
    out = pd.DataFrame({
        "product_id": list(products),
        "cascade_count": np.diff(product_start),
        "users": g["size"].sum().reindex(range(len(products)), fill_value=0).to_numpy(),
        "size_1_share": g["single"].mean().reindex(range(len(products))).to_numpy(),
        "mean_size": g["size"].mean().reindex(range(len(products))).to_numpy(),
        "max_size": g["size"].max().reindex(range(len(products)), fill_value=0).to_numpy(),
        "mean_depth": g["depth"].mean().reindex(range(len(products))).to_numpy(),
        "max_depth": g["depth"].max().reindex(range(len(products)), fill_value=0).to_numpy(),
        "mean_virality": g["structural_virality"].mean().reindex(
            range(len(products))).to_numpy(),
        "re_exposures": (np.asarray(received) - np.asarray(tree_edges)).astype(np.int64)})
    return out.astype({"cascade_count": np.int64, "users": np.int64, "max_size": np.int64,
                       "max_depth": np.int64})


def cascades(source, products: list[str], *, top: int = 20) -> CascadeResult:
    if top < 0:
        raise InputError("{top} must be 0 (all) or more", field="top")
    products = distinct(products)  # a product named twice counts once
    prefetch(source, [("tree_edges", list(products), {}), ("members", list(products), {})])
    return _build(source.engine, source.cascade_input(list(products)), top)


def size_bin(size: np.ndarray) -> np.ndarray:
    """Power-of-two size bins: 1, 2-3, 4-7, 8-15, ... as the bin's lower edge."""
    return (2 ** np.floor(np.log2(np.maximum(np.asarray(size), 1)))).astype(np.int64)


def compare_cascades(result: CascadeResult, a: str, b: str) -> pd.DataFrame:
    """Depth and structural virality of two products' cascades within matched size bins."""
    t = result.trees.assign(bin=size_bin(result.trees["size"]))
    rows = []
    for lo in sorted(set(t["bin"])):
        row: dict[str, object] = {"sizes": f"{lo}" if lo == 1 else f"{lo}-{2 * lo - 1}"}
        for tag, pid in (("a", a), ("b", b)):
            g = t[(t["product_id"] == pid) & (t["bin"] == lo)]
            row[f"cascades_{tag}"] = len(g)
            row[f"mean_depth_{tag}"] = float(g["depth"].mean()) if len(g) else None
            row[f"mean_virality_{tag}"] = (float(g["structural_virality"].mean())
                                           if len(g) and lo > 1 else None)
        rows.append(row)
    return pd.DataFrame(rows)
