"""Degrees of separation of the whole friendship network.

Exact when every user can be a BFS source cheaply (``users <= exact_limit`` and
no ``sample`` given); otherwise BFS from ``sample`` users drawn uniformly
without replacement, with 95% intervals from a bootstrap over the sampled
sources. See docs/reach.md for the definitions and the error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .display import Displayable
from .errors import InputError
from .graph import FriendGraph
from .kernels import distance_histograms

__all__ = ["SeparationResult", "degrees_of_separation"]

FULL_DEPTH = 250  # BFS depth cap for distances; real friendship graphs are far shallower


@dataclass(repr=False)
class SeparationResult(Displayable):
    users: int
    method: str  # "exact" or "sampled"
    sources: int
    max_hops: int
    within: list[float]  # fraction of ordered pairs (u != v) within 1..h hops, h = 1..max_hops
    within_ci: list[tuple[float, float]] | None
    connected: float  # fraction of ordered pairs joined by any path
    mean_distance: float  # over connected pairs
    mean_distance_ci: tuple[float, float] | None
    effective_diameter: float  # 90th percentile of distance over connected pairs, interpolated
    effective_diameter_ci: tuple[float, float] | None
    diameter_seen: int  # the largest distance seen from the sources

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame({"hops": np.arange(1, self.max_hops + 1), "within": self.within})
        if self.within_ci is not None:
            frame["ci_low"] = [lo for lo, _ in self.within_ci]
            frame["ci_high"] = [hi for _, hi in self.within_ci]
        return frame

    def to_dict(self) -> dict:
        return {
            "users": self.users, "method": self.method, "sources": self.sources,
            "max_hops": self.max_hops,
            "within": [{"hops": h + 1, "fraction": f,
                        "ci_low": None if self.within_ci is None else self.within_ci[h][0],
                        "ci_high": None if self.within_ci is None else self.within_ci[h][1]}
                       for h, f in enumerate(self.within)],
            "connected": self.connected, "mean_distance": self.mean_distance,
            "mean_distance_ci": self.mean_distance_ci,
            "effective_diameter": self.effective_diameter,
            "effective_diameter_ci": self.effective_diameter_ci,
            "diameter_seen": self.diameter_seen,
        }

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        summary = pd.DataFrame([{
            "users": self.users, "method": self.method, "sources": self.sources,
            "connected pairs": f"{self.connected:.1%}", "mean distance": self.mean_distance,
            "effective diameter (90%)": self.effective_diameter,
            "largest distance seen": self.diameter_seen}])
        within = self.to_frame()
        for col in ("within", "ci_low", "ci_high"):
            if col in within:
                within[col] = [f"{v:.1%}" for v in within[col]]
        return [("Degrees of separation", summary),
                ("Share of user pairs within h friendship hops", within)]


def _summaries(hist: np.ndarray, n: int) -> tuple[np.ndarray, float, float, float]:
    """From per-source distance histograms: cumulative within-h fractions, connected
    fraction, mean distance and interpolated 90th-percentile distance."""
    counts = hist[:, 1:].sum(axis=0).astype(np.float64)  # pairs at distance 1, 2, ...
    pairs = hist.shape[0] * (n - 1)
    within = np.cumsum(counts) / pairs if pairs else np.zeros_like(counts)
    total = counts.sum()
    if total == 0:
        return within, 0.0, float("nan"), float("nan")
    d = np.arange(1, len(counts) + 1)
    mean = float((counts * d).sum() / total)
    cdf = np.cumsum(counts) / total
    h = int(np.searchsorted(cdf, 0.9))  # first index with cdf >= 0.9 (distance h + 1)
    prev = cdf[h - 1] if h > 0 else 0.0
    effective = h + (0.9 - prev) / (cdf[h] - prev) if cdf[h] > prev else float(h + 1)
    return within, float(total / pairs), mean, float(effective)


def degrees_of_separation(graph: FriendGraph, *, max_hops: int = 6, sample: int | None = None,
                          exact_limit: int = 5000, seed: int = 0,
                          bootstrap: int = 500) -> SeparationResult:
    if not 1 <= max_hops <= 12:
        raise InputError(f"{{max_hops}} must be from 1 to 12, got {max_hops}", field="max_hops")
    n = graph.n_users
    if n < 2:
        raise InputError("the network needs at least two users", field="users")
    exact = sample is None and n <= exact_limit
    rng = np.random.default_rng(seed)
    if exact:
        sources = np.arange(n, dtype=np.int64)
    else:
        k = min(sample or 1000, n)
        sources = np.sort(rng.choice(n, size=k, replace=False)).astype(np.int64)
    hist = distance_histograms(graph.indptr, graph.indices, sources, FULL_DEPTH)
    last = int(np.flatnonzero(hist.sum(axis=0))[-1])
    hist = hist[:, : max(last, max_hops) + 1]
    within, connected, mean, effective = _summaries(hist, n)
    within_ci = mean_ci = eff_ci = None
    if not exact:
        boot_within, boot_mean, boot_eff = [], [], []
        for _ in range(bootstrap):
            pick = hist[rng.integers(0, len(sources), len(sources))]
            w, _c, m, e = _summaries(pick, n)
            boot_within.append(w[:max_hops])
            boot_mean.append(m)
            boot_eff.append(e)
        lo, hi = np.percentile(np.array(boot_within), [2.5, 97.5], axis=0)
        within_ci = [(float(a), float(b)) for a, b in zip(lo, hi)]
        m_lo, m_hi = np.nanpercentile(boot_mean, [2.5, 97.5])
        mean_ci = (float(m_lo), float(m_hi))
        e_lo, e_hi = np.nanpercentile(boot_eff, [2.5, 97.5])
        eff_ci = (float(e_lo), float(e_hi))
    return SeparationResult(n, "exact" if exact else "sampled", len(sources), max_hops,
                            [float(x) for x in within[:max_hops]], within_ci, connected, mean,
                            mean_ci, effective, eff_ci, last)
