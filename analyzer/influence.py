"""Friend-endorsement influence: exposure curves, endorser credit, the friend-♡ feed, domains.

Every function takes a :class:`analyzer.engines.contract.Source` (Neo4j or a snapshot)
and computes the same numbers from the same rows; docs/influence.md states
each definition, including how ties in time are treated.

- :func:`endorsements`: the exposure curve p(k) of Romero, Meeder and
  Kleinberg (WWW 2011) with Wilson intervals, stickiness, persistence, the
  baseline p(0) and lift, and structural diversity (Ugander et al., PNAS 2012).
- :func:`influencers`: credit for adoptions to the endorsers who preceded them.
- :func:`feed`: the products one user's friends endorsed, ranked as a feed would.
- :func:`domains`: exposures and adoptions by channel and by private/public domain,
  per-channel share rates, and the public share against the platform's figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numba import njit

from .arrays import find_sorted, text_ranks, unique_sorted
from .display import Displayable
from .errors import InputError
from .options import SIGNALS, parse_signals, parse_time, parse_window
from .times import timestamps_to_iso, utc_times
from .engines.contract import distinct, obj, prefetch

__all__ = ["endorsements", "influencers", "feed", "domains", "parse_window", "parse_time",
           "parse_signals", "wilson", "SIGNALS", "REFERENCE_PUBLIC_SHARE"]

NEVER = np.iinfo(np.int64).max
#: the platform's reported public-domain share of traffic, for reference lines
REFERENCE_PUBLIC_SHARE = (("2021 reported", 0.50), ("2023 reported", 0.67), ("ideal", 0.75))


def wilson(successes, trials, z: float = 1.959963984540054):
    """Wilson score interval(s); NaN where trials is 0."""
    s = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = s / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def _rate_frame(frame: pd.DataFrame, hits: str, trials: str) -> pd.DataFrame:
    lo, hi = wilson(frame[hits], frame[trials])
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["p"] = frame[hits] / frame[trials].where(frame[trials] > 0)
    frame["ci_low"], frame["ci_high"] = lo, hi
    return frame


def _iso(ms) -> str | None:
    return None if ms is None or pd.isna(ms) else timestamps_to_iso(
        pd.Series([int(ms)], dtype="Int64")).iloc[0]


# --------------------------------------------------------------------------- exposure curve


@dataclass(repr=False)
class EndorsementResult(Displayable):
    engine: str
    products: list[str]
    signals: list[str]
    adoption: str
    min_users: int
    users: int
    baseline: dict
    curve: pd.DataFrame
    diversity: pd.DataFrame
    stickiness: float | None
    persistence: float | None

    def plot(self, ax=None, **options):
        """The exposure curve p(k) with its band and the baseline p(0);
        see :func:`analyzer.charts.exposure_curve`. Needs matplotlib; returns the Axes."""
        from .charts import exposure_curve

        return exposure_curve(self.to_dict(), ax, **options)

    def to_dict(self) -> dict:
        return {"engine": self.engine, "products": self.products, "signals": self.signals,
                "adoption": self.adoption, "min_users": self.min_users, "users": self.users,
                "baseline": self.baseline,
                "curve": self.curve.to_dict(orient="records"),
                "stickiness": self.stickiness, "persistence": self.persistence,
                "structural_diversity": self.diversity.to_dict(orient="records")}

    def to_frame(self) -> pd.DataFrame:
        return self.curve

    def tables(self):
        what = self.products[0] if len(self.products) == 1 else f"{len(self.products)} products"
        b = self.baseline
        head = (f"Exposure curve p(k) for {what} [{self.engine}]: adoption = {self.adoption}, "
                f"endorsement = {'+'.join(self.signals)}; baseline p(0) = "
                f"{_fmt(b['p'])} ({b['adopters']:,} of {b['users']:,})")
        tail = (f"stickiness (max p) {_fmt(self.stickiness)}, persistence "
                f"{_fmt(self.persistence)}; k shown while at least {self.min_users} users")
        out = [(head, self.curve), (tail, pd.DataFrame())]
        shown = self.diversity[self.diversity["users"] >= self.min_users]
        if not shown.empty:
            out.append((f"Structural diversity: p(adopt) by the number of connected groups "
                        f"the k endorsing friends form (groups with at least {self.min_users} "
                        f"users; JSON has all)", shown))
        return out


def _fmt(x) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4f}"


def _buckets(E, a_key: np.ndarray, a_at: np.ndarray, stride: int) -> pd.DataFrame:
    """One row per (user, product, k): t_k, t_(k+1), the first adoption, and whether the
    user sat in bucket k (reached k endorsers, had not adopted before the k-th, and the
    (k+1)-th did not arrive at the same instant). Rows tied in time keep the order they
    came in: no in-bucket number depends on that order (a row whose next endorser came at
    the same instant is not in its bucket, and the first k endorsers of a row in its
    bucket are exactly those at or before its time)."""
    n = len(E.user)
    key = E.product * stride + E.user
    order = _by_key_then_time(key, E.at)
    ek, t = key[order], E.at[order]
    first = np.ones(n, dtype=bool)
    first[1:] = ek[1:] != ek[:-1]
    codes = np.cumsum(first) - 1
    t_next = np.full(n, NEVER, dtype=np.int64)
    same_pair_next = ~first[1:]
    t_next[:-1][same_pair_next] = t[1:][same_pair_next]
    by_key = np.argsort(a_key, kind="stable")
    hit = find_sorted(a_key[by_key], ek)
    adopted_at = np.full(n, NEVER, dtype=np.int64)
    adopted_at[hit >= 0] = a_at[by_key][hit[hit >= 0]]
    in_bucket = (adopted_at >= t) & (t != t_next)
    return pd.DataFrame({
        "key": ek, "endorser": E.endorser[order], "at": t, "pair": codes,
        "k": np.arange(n) - np.flatnonzero(first)[codes] + 1, "t_next": t_next,
        "adopted_at": adopted_at, "in_bucket": in_bucket,
        "adopted": in_bucket & (adopted_at < t_next) & (adopted_at != NEVER)})


def _by_key_then_time(key: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The stable order by (key, at): one argsort of both packed into an int64 when they
    fit (1.35M rows: 0.23 s against 1.3 s for a two-key lexsort), else a lexsort."""
    if not len(key):
        return np.zeros(0, dtype=np.int64)
    lo, span = int(at.min()), int(at.max()) - int(at.min()) + 1
    if (int(key.max()) + 1) * span < 1 << 62:
        return np.argsort(key * span + (at - lo), kind="stable")
    return np.lexsort((at, key))


@njit(cache=True)
def _components(pair, endorser, k, max_k, tie_keys, n_codes):
    """For each row (the k-th endorser of a pair), the number of connected components
    among the pair's first k endorsers, for k <= max_k; -1 beyond."""
    out = np.full(pair.shape[0], -1, dtype=np.int64)
    parent = np.empty(max_k, dtype=np.int64)
    start = 0
    comps = 0
    for j in range(pair.shape[0]):
        if j == 0 or pair[j] != pair[j - 1]:
            start = j
            comps = 0
        idx = k[j] - 1
        if idx >= max_k:
            continue
        parent[idx] = idx
        comps += 1
        for i in range(idx):
            a = endorser[start + i]
            b = endorser[j]
            lo = min(a, b)
            hi = max(a, b)
            key = lo * n_codes + hi
            pos = np.searchsorted(tie_keys, key)
            if pos < tie_keys.shape[0] and tie_keys[pos] == key:
                ra = i
                while parent[ra] != ra:
                    ra = parent[ra]
                rb = idx
                while parent[rb] != rb:
                    rb = parent[rb]
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
                    comps -= 1
        out[j] = comps
    return out


def report_reads(products, *, window_ms: int, likes: bool = True, shares: bool = True,
                 purchases: bool = True) -> list[tuple[str, list, dict]]:
    """Every read of endorsements + influencers + domains + cascades, slowest first."""
    products = list(products)
    return [("endorsements", products, {"likes": likes, "shares": shares}),
            ("adoption_touches", products, {"window_ms": window_ms}),
            ("tree_edges", products, {}), ("exposure_mix", products, {}),
            ("members", products, {}), ("adoptions", products, {"purchases": purchases}),
            ("roles", products, {}), ("exposed_users", products, {}),
            ("sharers", products, {})]


def endorsements(source, products: list[str], *, likes: bool = True, shares: bool = True,
                 purchases: bool = True, min_users: int = 20) -> EndorsementResult:
    """Romero-style exposure curve p(k), baseline, lift and structural diversity."""
    if min_users < 1:
        raise InputError("{min_users} must be at least 1", field="min_users")
    products = distinct(products)  # a product named twice counts once
    prefetch(source, [("endorsements", products, {"likes": likes, "shares": shares}),
                      ("adoptions", products, {"purchases": purchases})])
    E = source.endorsement_codes(products, likes=likes, shares=shares)
    # structural diversity needs the friendships among the endorsers: start them now
    endorsers = unique_sorted(E.endorser)
    source.start_ties(E, endorsers)
    users = source.n_users() * len(products)
    a_key, a_at, stride = source.adoption_keys(E, products, purchases=purchases)
    e = _buckets(E, a_key, a_at, stride)
    # bucket 0: everyone starts with no endorser; adopters before their first endorser
    first = e[e["k"] == 1]
    never = int((~np.isin(a_key, first["key"].to_numpy())).sum())
    early = int((first["adopted_at"].to_numpy() < first["at"].to_numpy()).sum())
    b_lo, b_hi = wilson(never + early, users)
    p0 = (never + early) / users if users else float("nan")
    baseline = {"users": users, "adopters": never + early, "p": p0,
                "ci_low": float(b_lo), "ci_high": float(b_hi)}

    per_k = e.groupby("k").agg(users=("in_bucket", "sum"), adopters=("adopted", "sum"))
    per_k = per_k.astype(np.int64)
    enough = per_k["users"] >= min_users
    max_k = 0
    for k in per_k.index:  # bounded by the largest endorser count, not by users
        if k != max_k + 1 or not enough[k]:
            break
        max_k = k
    curve = per_k.loc[1:max_k].reset_index() if max_k else pd.DataFrame(
        {"k": pd.Series(dtype=np.int64), "users": pd.Series(dtype=np.int64),
         "adopters": pd.Series(dtype=np.int64)})
    curve = _rate_frame(curve, "adopters", "users")
    curve["lift"] = curve["p"] / p0 if p0 else np.nan
    stick = float(curve["p"].max()) if max_k else None
    persist = float(curve["p"].sum() / (max_k * stick)) if max_k and stick else None

    diversity = _diversity(source, e, max_k, E, endorsers)
    return EndorsementResult(source.engine, list(products),
                             [s for s, on in zip(SIGNALS, (likes, shares)) if on],
                             "purchases" if purchases else "likes", min_users, users, baseline,
                             curve, diversity, stick, persist)


def _diversity(source, e: pd.DataFrame, max_k: int, E, endorsers: np.ndarray) -> pd.DataFrame:
    """p(adopt) by k and the number of components the first k endorsers form; ``endorsers``
    are the codes of every endorser in ``E``."""
    empty = pd.DataFrame({c: pd.Series(dtype=np.int64) for c in
                          ("k", "components", "users", "adopters")})
    if max_k < 2:
        return _rate_frame(empty, "adopters", "users")
    k, pair = e["k"].to_numpy(np.int64), e["pair"].to_numpy(np.int64)
    want = e["in_bucket"].to_numpy() & (k >= 2) & (k <= max_k)
    # each user's first rows up to the largest k counted: the components of those alone
    need = np.zeros(int(pair[-1]) + 1, dtype=np.int64)
    np.maximum.at(need, pair[want], k[want])
    use = k <= need[pair]
    # the ties among every endorser (the read started with the endorsements), as codes
    a, b = source.tie_codes(E, endorsers)
    n = max(len(E.ids), 1)
    keys = unique_sorted(np.minimum(a, b) * n + np.maximum(a, b))
    comps = _components(pair[use], e["endorser"].to_numpy(np.int64)[use], k[use], max_k,
                        keys, n)
    counted = want[use]
    group = k[use][counted] * (max_k + 1) + comps[counted]
    groups, where = np.unique(group, return_inverse=True)
    out = pd.DataFrame({"k": groups // (max_k + 1), "components": groups % (max_k + 1),
                        "users": np.bincount(where, minlength=len(groups)),
                        "adopters": np.bincount(where, weights=e["adopted"].to_numpy()[use][
                            counted], minlength=len(groups))})
    return _rate_frame(out.astype(np.int64), "adopters", "users")


# --------------------------------------------------------------------------- influencers


@dataclass(repr=False)
class InfluencerResult(Displayable):
    engine: str
    products: list[str]
    credit_rule: str
    window_ms: int
    adoptions: int
    credited_adoptions: int
    ranking: pd.DataFrame
    top: int

    def to_dict(self) -> dict:
        return {"engine": self.engine, "products": self.products, "credit": self.credit_rule,
                "window_ms": self.window_ms, "adoptions": self.adoptions,
                "credited_adoptions": self.credited_adoptions,
                "influencers": self.ranking.head(self.top).to_dict(orient="records")}

    def to_frame(self) -> pd.DataFrame:
        return self.ranking.head(self.top)

    def tables(self):
        what = self.products[0] if len(self.products) == 1 else f"{len(self.products)} products"
        share = self.credited_adoptions / self.adoptions if self.adoptions else 0.0
        return [(f"Endorsers credited for {what} [{self.engine}]: {self.credit_rule} credit, "
                 f"window {self.window_ms / 86_400_000:g} d; {self.credited_adoptions:,} of "
                 f"{self.adoptions:,} adoptions ({share:.1%}) had an endorser in the window",
                 self.to_frame())]


def _coded_candidates(E, a_key: np.ndarray, a_at: np.ndarray, stride: int,
                      window_ms: int) -> tuple[np.ndarray, np.ndarray]:
    """The rule ``influence/credit_candidates`` on codes (adoption keys from
    ``Source.adoption_keys``): the adoption and the endorsement row of each candidate, in
    the rule's order (product id, user id, endorser id: codes are in id order)."""
    e_key = E.product * stride + E.user
    order = np.argsort(e_key, kind="stable")
    lo = np.searchsorted(e_key[order], a_key, "left")
    count = np.searchsorted(e_key[order], a_key, "right") - lo
    total = int(count.sum())
    which = np.repeat(np.arange(len(a_key)), count)
    starts = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    rows = order[np.repeat(lo - starts, count) + np.arange(total)]
    adopted, endorsed = a_at[which], E.at[rows]
    ok = (endorsed <= adopted) & (endorsed >= adopted - int(window_ms))
    which, rows = which[ok], rows[ok]
    product_rank = text_ranks(np.asarray(E.products, dtype=object))[0]
    user = a_key[which] % stride
    o = np.lexsort((E.endorser[rows], user, product_rank[a_key[which] // stride]))
    return which[o], rows[o]


def influencers(source, products: list[str], *, window_ms: int, credit: str = "fractional",
                likes: bool = True, shares: bool = True, purchases: bool = True,
                top: int = 20) -> InfluencerResult:
    """Rank endorsers by the adoptions they are credited with."""
    if credit not in ("first", "last", "fractional"):
        raise InputError(f"{{credit}} must be first, last or fractional, got {credit!r}",
                         field="credit")
    products = distinct(products)
    prefetch(source, [("endorsements", products, {"likes": likes, "shares": shares}),
                      ("adoptions", products, {"purchases": purchases}),
                      ("roles", products, {})])
    E = source.endorsement_codes(products, likes=likes, shares=shares)
    a_key, a_at, stride = source.adoption_keys(E, products, purchases=purchases)
    # the rows cypher/influence/credit_candidates returns, in its order (a test checks it),
    # from the endorsements this function needs anyway: one query less on Neo4j
    which, rows = _coded_candidates(E, a_key, a_at, stride, window_ms)
    endorser, endorsed_at = E.endorser[rows], E.at[rows]
    n = max(len(E.ids), 1)
    if credit == "fractional":  # each of an adoption's n endorsers gets 1/n
        share = 1.0 / np.bincount(which, minlength=len(a_key))[which]
    else:  # the earliest (latest) endorser, the smaller id on a tie
        o = np.lexsort((endorser, endorsed_at if credit == "first" else -endorsed_at, which))
        lead = np.ones(len(o), dtype=bool)
        lead[1:] = which[o][1:] != which[o][:-1]
        share = np.zeros(len(rows))
        share[o[lead]] = 1.0
    # sums in candidate order, the same on every source
    credits = np.bincount(endorser, weights=share, minlength=n)
    adoptions = np.bincount(endorser, minlength=n)
    ranked = np.flatnonzero(adoptions)
    audience = np.bincount(E.endorser, minlength=n)[ranked]  # friends who saw each one
    credits = credits[ranked].round(9)
    role = np.full(len(ranked), "endorser", dtype=object)
    r_code, r_role = source.role_codes(E, products)
    for name in ("sharer", "promoter"):  # a promoter who also shared is a promoter
        code = r_code[r_role == name]
        at = find_sorted(ranked, code)
        role[at[at >= 0]] = name
    order = np.lexsort((ranked, -adoptions[ranked], -credits))  # ties: by id
    ranked = ranked[order]
    with np.errstate(invalid="ignore", divide="ignore"):
        conversion = credits[order] / np.where(audience[order] > 0, audience[order], np.nan)
    per = pd.DataFrame({"rank": np.arange(1, len(ranked) + 1), "user_id": obj(E.ids[ranked]),
                        "role": obj(role[order]), "credit": credits[order],
                        "adoptions": adoptions[ranked].astype(np.int64),
                        "audience": audience[order].astype(np.int64),
                        "conversion": conversion})
    return InfluencerResult(source.engine, list(products), credit, int(window_ms), len(a_key),
                            len(unique_sorted(which)), per, top)


# --------------------------------------------------------------------------- feed


@dataclass(repr=False)
class FeedResult(Displayable):
    engine: str
    user_id: str
    at: int | None
    items: pd.DataFrame

    def to_dict(self) -> dict:
        items = self._items().to_dict(orient="records")
        return {"engine": self.engine, "user_id": self.user_id, "at": _iso(self.at),
                "items": items}

    def to_frame(self) -> pd.DataFrame:
        """``latest`` is a UTC timestamp and ``endorsers`` a list of ids (CSV prints it as a
        JSON array, so ids with commas stay intact)."""
        f = self.items.copy()
        f.insert(0, "rank", np.arange(1, len(f) + 1))
        f["latest"] = utc_times(f["latest"])
        f["endorsers"] = pd.Series([list(map(str, e)) for e in f["endorsers"]], index=f.index,
                                   dtype=object)
        return f

    def _items(self) -> pd.DataFrame:
        from .render import as_text

        return as_text(self.to_frame(), lists="keep")

    def tables(self):
        when = _iso(self.at) or "the end of the snapshot"
        return [(f"Friend-♡ feed of {self.user_id} at {when} [{self.engine}]", self.to_frame())]


def feed(source, user_id: str, *, at: int | None = None, likes: bool = True,
         shares: bool = False, top: int = 20) -> FeedResult:
    if not source.user_exists(user_id):
        raise InputError(f"unknown user {user_id!r}", field="USER")
    items = source.feed(user_id, at=at, likes=likes, shares=shares, top=top)
    return FeedResult(source.engine, user_id, at, items.reset_index(drop=True))


# --------------------------------------------------------------------------- domains


@dataclass(repr=False)
class DomainResult(Displayable):
    engine: str
    products: list[str]
    window_ms: int
    exposures: pd.DataFrame
    adoptions: pd.DataFrame
    share_rates: pd.DataFrame
    public_share: dict
    references: list[dict] = field(default_factory=list)

    def plot(self, fig=None, **options):
        """Public-domain shares against the platform's figures, and exposures by channel;
        see :func:`analyzer.charts.mix`. Needs matplotlib; returns the Figure."""
        from .charts import mix

        return mix(self.to_dict(), fig, **options)

    def to_dict(self) -> dict:
        return {"engine": self.engine, "products": self.products, "window_ms": self.window_ms,
                "public_share": self.public_share, "references": self.references,
                "exposures": self.exposures.to_dict(orient="records"),
                "adoptions": self.adoptions.to_dict(orient="records"),
                "share_rates": self.share_rates.to_dict(orient="records")}

    def to_frame(self) -> pd.DataFrame:
        e = self.exposures.assign(kind="exposure").rename(columns={"exposures": "count"})
        a = self.adoptions.assign(kind="adoption").rename(columns={"adoptions": "count"})
        return pd.concat([e[["kind", "channel", "domain", "count"]],
                          a[["kind", "channel", "domain", "count"]]], ignore_index=True)

    def tables(self):
        what = self.products[0] if len(self.products) == 1 else f"{len(self.products)} products"
        ps = self.public_share
        lines = pd.DataFrame(
            [{"measure": "public share of exposures", "value": ps["exposures"]["p"],
              "ci_low": ps["exposures"]["ci_low"], "ci_high": ps["exposures"]["ci_high"]},
             {"measure": "public share of adoptions", "value": ps["adoptions"]["p"],
              "ci_low": ps["adoptions"]["ci_low"], "ci_high": ps["adoptions"]["ci_high"]}]
            + [{"measure": f"reference: {r['label']}", "value": r["share"], "ci_low": None,
                "ci_high": None} for r in self.references])
        return [(f"Private and public domain for {what} [{self.engine}]", lines),
                ("Exposures by channel and domain", self.exposures),
                ("Adoptions by channel and domain (source: exposure = last touch, "
                 "endorsement = the window rule)", self.adoptions),
                ("Share rate by channel: sharers / exposed users", self.share_rates)]


def domains(source, products: list[str], *, window_ms: int) -> DomainResult:
    products = distinct(products)
    prefetch(source, [("adoption_touches", products, {"window_ms": window_ms}),
                      ("exposure_mix", products, {}), ("exposed_users", products, {}),
                      ("sharers", products, {})])
    mix = source.exposure_mix(products)
    exposures = (mix.groupby(["channel", "domain"], as_index=False)[["exposures", "users"]].sum()
                 .astype({"exposures": np.int64, "users": np.int64}))
    total = int(exposures["exposures"].sum())
    public = int(exposures.loc[exposures["domain"] == "public", "exposures"].sum())
    exposures["share"] = exposures["exposures"] / total if total else np.nan

    touches = source.adoption_touches(products, window_ms=window_ms, users=False)
    has_touch = touches["exposure_domain"].notna()
    domain = np.where(has_touch, touches["exposure_domain"],
                      np.where(touches["endorsed"], "private", "public"))
    channel = touches["channel"].where(touches["channel"].notna(), touches["exposure_channel"])
    adopt = pd.DataFrame({"channel": channel.where(channel.notna(), "(none)").astype(object),
                          "domain": domain.astype(object),
                          "source": np.where(has_touch, "exposure", "endorsement")})
    adoptions = adopt.groupby(["channel", "domain", "source"], as_index=False).size().rename(
        columns={"size": "adoptions"})
    adoptions["adoptions"] = adoptions["adoptions"].astype(np.int64)
    n_adopt = len(adopt)
    pub_adopt = int((adopt["domain"] == "public").sum())

    # share rates only over products with exposure rows: elsewhere nobody counted the exposed
    exposed_by_product = source.exposed_users(products)
    exposed_by_product = exposed_by_product[exposed_by_product["users"] > 0]
    exposed = int(exposed_by_product["users"].sum())
    sharers = source.sharers(products)
    sharers = sharers[sharers["product_id"].isin(exposed_by_product["product_id"])]
    sharers = sharers.groupby("channel", as_index=False)[["sharers", "shares"]].sum()
    sharers["exposed"] = exposed
    rates = _rate_frame(sharers.astype({"sharers": np.int64, "shares": np.int64,
                                        "exposed": np.int64}), "sharers", "exposed")
    rates = rates.rename(columns={"p": "share_rate"})

    def share(hits, n):
        lo, hi = wilson(hits, n)
        return {"count": hits, "of": n, "p": hits / n if n else None,
                "ci_low": None if not n else float(lo), "ci_high": None if not n else float(hi)}

    return DomainResult(source.engine, list(products), int(window_ms), exposures, adoptions,
                        rates.reset_index(drop=True),
                        {"exposures": share(public, total), "adoptions": share(pub_adopt, n_adopt)},
                        [{"label": label, "share": v} for label, v in REFERENCE_PUBLIC_SHARE])
