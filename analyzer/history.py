"""Edge probabilities learned from history, for `--p history` (docs/simulate.md).

A **trial** is one signal: endorser u's ♡ seen by friend v (channel ``like``),
or u's share to v through a channel; the earliest per (u, v, product, channel),
counted only when v had not adopted the product before it. It is a **success**
when v's first purchase of the product came at or after the signal and within
the window. Per channel, the rate is successes / trials with a Wilson interval.

Sparse edges are shrunk toward their channel with a Beta prior: with pooled
rate r̄ over all channels and prior strength m (pseudo-trials, default 20),
channel c's posterior mean is (s_c + m r̄) / (n_c + m), and the arc u→v gets
(s_uv + m q_uv) / (n_uv + m), where q_uv is the trial-weighted mean of the
posterior means of the channels u used toward v. Friendship arcs with no
history get the pooled posterior mean. For LT, each user's incoming weights
are scaled down, if needed, to sum to at most 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .graph import FriendGraph
from .influence import wilson

__all__ = ["HistoryEstimate", "estimate_history", "lt_scaled"]


@dataclass
class HistoryEstimate:
    window_ms: int
    prior_strength: float
    channels: pd.DataFrame
    pooled: dict
    arcs_with_history: int
    forward: np.ndarray  #: IC probability per arc, aligned with graph.indices

    def to_dict(self) -> dict:
        return {"window_ms": self.window_ms, "prior_strength": self.prior_strength,
                "pooled": self.pooled, "arcs_with_history": self.arcs_with_history,
                "channels": self.channels.to_dict(orient="records")}

    def table(self) -> tuple[str, pd.DataFrame]:
        return (f"Edge probabilities from history: per-channel adoption after a signal, before "
                f"the next one and within {self.window_ms / 86_400_000:g} d (pooled "
                f"{self.pooled['rate']:.4f}; Beta prior of {self.prior_strength:g} "
                f"pseudo-trials; {self.arcs_with_history:,} arcs have their own history)",
                self.channels)

    def lt_weights(self, graph: FriendGraph) -> np.ndarray:
        return lt_scaled(graph, self.forward)


def lt_scaled(graph: FriendGraph, forward: np.ndarray) -> np.ndarray:
    """LT weights from per-arc values (learned or stored): each user's incoming weights
    divided by their sum where that sum exceeds 1 (LT needs them to sum to at most 1)."""
    incoming = np.bincount(graph.indices, weights=forward, minlength=graph.n_users)
    return forward / np.maximum(1.0, incoming[graph.indices])


def estimate_history(source, graph: FriendGraph, *, window_ms: int,
                     prior_strength: float = 20.0) -> HistoryEstimate:
    products = source.product_ids()
    sig = source.signals(products)
    adopt = source.adoptions(products).rename(columns={"at": "adopted_at"})
    m = sig.merge(adopt, on=["user_id", "product_id"], how="left")
    # the next, later signal to the same user about the same product
    times = m[["user_id", "product_id", "at"]].drop_duplicates().sort_values(
        ["user_id", "product_id", "at"], kind="stable")
    times["next_at"] = times.groupby(["user_id", "product_id"], sort=False)["at"].shift(-1)
    m = m.merge(times, on=["user_id", "product_id", "at"], how="left")
    adopted = m["adopted_at"].to_numpy(dtype=float)
    at = m["at"].to_numpy(dtype=float)
    next_at = m["next_at"].to_numpy(dtype=float)
    eligible = np.isnan(adopted) | (adopted >= at)
    success = (~np.isnan(adopted) & (adopted >= at) & (adopted <= at + window_ms)
               & (np.isnan(next_at) | (adopted < next_at)))
    m = m.assign(trial=eligible, success=success & eligible)[eligible]
    per = m.groupby("channel").agg(trials=("trial", "sum"), adoptions=("success", "sum"))
    per = per.astype(np.int64)
    n_all, s_all = int(per["trials"].sum()), int(per["adoptions"].sum())
    pooled_rate = s_all / n_all if n_all else 0.0
    lo, hi = wilson(per["adoptions"], per["trials"])
    per["rate"] = per["adoptions"] / per["trials"]
    per["ci_low"], per["ci_high"] = lo, hi
    per["posterior"] = (per["adoptions"] + prior_strength * pooled_rate) / (
        per["trials"] + prior_strength)
    pooled_post = pooled_rate  # the pooled prior is centred on the pooled rate
    # per arc: the edge's own trials, shrunk toward its channels' posterior means
    m = m.assign(prior=per["posterior"].reindex(m["channel"]).to_numpy())
    edge = m.groupby(["endorser_id", "user_id"]).agg(
        trials=("trial", "sum"), adoptions=("success", "sum"), prior=("prior", "mean"))
    forward = np.full(len(graph.indices), pooled_post, dtype=np.float64)
    src = graph.user_ids.get_indexer(edge.index.get_level_values(0))
    dst = graph.user_ids.get_indexer(edge.index.get_level_values(1))
    ok = (src >= 0) & (dst >= 0)
    pos = graph.arc_positions(src[ok], dst[ok])
    is_arc = pos >= 0
    e = edge[ok][is_arc]
    value = ((e["adoptions"] + prior_strength * e["prior"]) / (e["trials"] + prior_strength))
    forward[pos[is_arc]] = value.to_numpy()
    channels = per.reset_index()[["channel", "trials", "adoptions", "rate", "ci_low",
                                  "ci_high", "posterior"]]
    lo, hi = wilson(s_all, n_all)
    return HistoryEstimate(int(window_ms), float(prior_strength), channels,
                           {"trials": n_all, "adoptions": s_all, "rate": pooled_rate,
                            "ci_low": float(lo), "ci_high": float(hi)},
                           int(is_arc.sum()), forward)
