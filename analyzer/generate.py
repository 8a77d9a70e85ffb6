"""A WeChat-like snapshot generator with known ground truth.

The friendship graph mixes *circles* (families, colleagues, group chats:
small dense groups that give triangles) with *long ties* drawn Chung-Lu style
from Pareto activity weights (a few hubs with large circles, short paths).
Diffusion of each product is an event-driven simulation in time order
(numba, ``heapq``) with the documented parameters written to
``ground_truth.json``. Tables are streamed to disk chunk by chunk; nothing is
held as Python objects per row. Same ``seed``, same bytes. See docs/generator.md.
"""

from __future__ import annotations

import heapq
import json
import math
import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from numba import njit

from .arrays import first_occurrences, unique_sorted
from .errors import InputError
from .graph import csr_from_pairs
from .progress import report as _report
from .progress import step as _step
from .schema import FORMAT_VERSION
from .snapshot import atomic_directory
from .textcols import iso_utc_ms, padded_ids, repeated

__all__ = ["GeneratorParams", "generate_snapshot", "SHARE_CHANNELS", "PROMOTION_CHANNELS"]

SHARE_CHANNELS = ("chat", "group", "moments", "channels", "official_account")
PROMOTION_CHANNELS = ("channels", "official_account", "service_account", "group", "moments",
                      "mini_program")
PUBLIC_CHANNELS = ("feed", "search")
ALL_CHANNELS = ("chat", "group", "moments", "channels", "official_account", "service_account",
                "mini_program", "search", "feed", "gift")
CH = {c: i for i, c in enumerate(ALL_CHANNELS)}
AGE_GROUPS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
AGE_WEIGHTS = (0.06, 0.12, 0.20, 0.25, 0.22, 0.15)
REGIONS = ("广东", "浙江", "江苏", "山东", "河南", "四川", "湖北", "上海", "北京", "福建")
REGION_WEIGHTS = (0.16, 0.12, 0.12, 0.1, 0.1, 0.1, 0.08, 0.08, 0.07, 0.07)
CATEGORIES = ("apparel", "food", "gold jewellery", "beauty", "electronics")
PRICE_MEDIAN = {"apparel": 199.0, "food": 68.0, "gold jewellery": 2999.0, "beauty": 259.0,
                "electronics": 1299.0}
START = np.datetime64("2024-06-01T00:00:00", "ms")
_START_MS = int(START.astype(np.int64))


@dataclass
class GeneratorParams:
    users: int
    products: int = 20
    seed: int = 0
    public_share: float = 0.67
    #: circle memberships per user: 1 + Poisson(mean)
    circles_per_user: float = 1.2
    #: friends gained inside each circle (capped by circle size - 1)
    friends_per_circle: float = 10.0
    #: long ties per user (Chung-Lu on Pareto weights)
    long_ties_per_user: float = 1.5
    pareto_alpha: float = 2.2
    promoter_share: float = 0.001
    #: chance that an exposed user picks each channel to share through...
    share_channel_mix: dict = field(default_factory=lambda: {
        "chat": 0.45, "group": 0.2, "moments": 0.2, "channels": 0.1, "official_account": 0.05})
    #: ...and the chance that it then shares through it
    share_probability: dict = field(default_factory=lambda: {
        "chat": 0.12, "group": 0.08, "moments": 0.06, "channels": 0.05,
        "official_account": 0.04})
    #: recipients of one share: chat 1 friend, group up to 5, broadcasts up to this many
    broadcast_cap: int = 200
    #: exposure curve p(k) = p_max * (1 - exp(-k / k_scale)) at the k-th endorsing friend
    curve_p_max: float = 0.05
    curve_k_scale: float = 2.0
    #: adoption chance of a share's recipient, per share received through the channel
    #: (while no friend has endorsed)
    share_adopt_probability: dict = field(default_factory=lambda: {
        "chat": 0.03, "group": 0.02, "moments": 0.015, "channels": 0.012,
        "official_account": 0.01})
    #: adoption chance on a first exposure by a promotion or gift (no endorsing friend), and
    #: on a first public one
    p_adopt_private: float = 0.02
    p_adopt_public: float = 0.01
    p_like_exposed: float = 0.03
    p_like_buyer: float = 0.3
    p_gift_buyer: float = 0.05
    days: float = 30.0

    def curve(self, kmax: int = 20) -> list[float]:
        return [self.curve_p_max * (1 - math.exp(-k / self.curve_k_scale))
                for k in range(1, kmax + 1)]


# --------------------------------------------------------------------------- graph


def _friendships(p: GeneratorParams, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = p.users
    slots = 1 + np.minimum(rng.poisson(p.circles_per_user, n), 4)
    members = np.repeat(np.arange(n, dtype=np.int64), slots)
    rng.shuffle(members)
    sizes = np.clip(np.round(rng.lognormal(2.3, 0.6, len(members))).astype(np.int64), 3, 60)
    ends = np.cumsum(sizes)
    sizes = sizes[: np.searchsorted(ends, len(members), side="right")]
    keys = []
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    # within each circle, each pair is a friendship with probability q(size)
    for s in np.unique(sizes):
        which = np.flatnonzero(sizes == s)
        iu, ju = np.triu_indices(int(s), k=1)
        q = min(1.0, p.friends_per_circle / (s - 1))
        keep = rng.random((len(which), len(iu))) < q
        base = offsets[which][:, None]
        a = members[(base + iu[None, :])[keep]]
        b = members[(base + ju[None, :])[keep]]
        keys.append(np.minimum(a, b) * n + np.maximum(a, b))
    weights = rng.pareto(p.pareto_alpha - 1, n) + 1.0
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    m = int(n * p.long_ties_per_user)
    a = np.searchsorted(cdf, rng.random(m), side="right")
    b = np.searchsorted(cdf, rng.random(m), side="right")
    keys.append(np.minimum(a, b) * n + np.maximum(a, b))
    key = unique_sorted(np.concatenate(keys))
    lo, hi = key // n, key % n
    keep = lo != hi
    return lo[keep], hi[keep]


# --------------------------------------------------------------------------- diffusion

# event kinds
_EXPOSE, _LIKE, _ADOPT = 0, 1, 2
# domain codes
_PRIVATE, _PUBLIC = 0, 1
_SHARED = 2  # a private exposure that is a share: written as private


@njit(cache=True)
def _push_row(buf, n, row):
    if n >= buf.shape[0]:
        return n, False
    for j in range(row.shape[0]):
        buf[n, j] = row[j]
    return n + 1, True


@njit(cache=True)
def _spawn_public(heap, t, n, public_ratio, horizon):
    """Feed and search exposures of random users, ``public_ratio`` per private exposure on
    average, so that public / all exposures is public_share / 1. Clipped to the horizon."""
    k = int(public_ratio) + (1 if np.random.random() < public_ratio - int(public_ratio) else 0)
    for _ in range(k):
        w = np.random.randint(0, n)
        public_ch = 8 if np.random.random() < 0.7 else 7  # feed or search
        heapq.heappush(heap, (min(t + np.random.exponential(24 * 3600.0), horizon),
                              np.int64(_EXPOSE), np.int64(w), np.int64(-1), np.int64(public_ch),
                              np.int64(_PUBLIC)))


@njit(cache=True, nogil=True)
def _simulate(indptr, indices, promoters, promoter_channel, promo_time, share_mix, share_prob,
              share_adopt, curve, p_adopt_private, p_adopt_public, p_like_exposed, p_like_buyer,
              p_gift_buyer, public_ratio, broadcast_cap, horizon, seed, capacity):
    """One product. Times are seconds from the start. Returns row buffers and counts.

    exposures: user, t_ms, channel, via (-1), domain
    shares:    sharer, recipient, channel, t_ms
    likes:     user, t_ms
    purchases: user, t_ms, channel
    gifts:     giver, recipient, t_ms
    """
    np.random.seed(seed)
    n = indptr.shape[0] - 1
    exposed = np.zeros(n, dtype=np.bool_)
    liked = np.zeros(n, dtype=np.bool_)
    adopted = np.zeros(n, dtype=np.bool_)
    endorsers = np.zeros(n, dtype=np.int32)
    exp_rows = np.empty((capacity, 5), dtype=np.int64)
    share_rows = np.empty((capacity, 4), dtype=np.int64)
    like_rows = np.empty((capacity, 2), dtype=np.int64)
    buy_rows = np.empty((capacity, 3), dtype=np.int64)
    gift_rows = np.empty((capacity, 3), dtype=np.int64)
    ne = ns = nl = nb = ng = 0
    row = np.empty(5, dtype=np.int64)
    full = False
    # event: (time, kind, user, via, channel, domain)
    heap = [(0.0, np.int64(0), np.int64(0), np.int64(0), np.int64(0), np.int64(0))]
    heapq.heappop(heap)
    n_share_ch = share_mix.shape[0]
    mix_cdf = np.cumsum(share_mix)
    for i in range(promoters.shape[0]):
        u = promoters[i]
        for e in range(indptr[u], indptr[u + 1]):
            t = promo_time[i] + np.random.exponential(6 * 3600.0)
            heapq.heappush(heap, (t, np.int64(_EXPOSE), np.int64(indices[e]), np.int64(u),
                                  np.int64(promoter_channel[i]), np.int64(_PRIVATE)))
    while len(heap) > 0 and not full:
        t, kind, v, via, ch, dom = heapq.heappop(heap)
        if t > horizon:
            break
        tms = np.int64(t * 1000.0)
        if kind == _EXPOSE:
            shared = dom == _SHARED
            if shared:
                dom = _PRIVATE
            row[0] = v; row[1] = tms; row[2] = ch; row[3] = via; row[4] = dom
            ne, ok = _push_row(exp_rows, ne, row)
            full = not ok
            # the public domain: feed and search exposures of random users, in proportion
            if dom == _PRIVATE:
                _spawn_public(heap, t, n, public_ratio, horizon)
            first = not exposed[v]
            exposed[v] = True
            # every share received is one chance to adopt, at its channel's probability; a
            # promotion, gift or public exposure only on the first exposure. Either way only
            # while no friend has endorsed (after that, the p(k) curve decides).
            if not adopted[v] and endorsers[v] == 0 and (shared or first):
                if shared:
                    p = share_adopt[ch]
                else:
                    p = p_adopt_public if dom == _PUBLIC else p_adopt_private
                if np.random.random() < p:
                    adopted[v] = True  # decided now, recorded shortly after
                    heapq.heappush(heap, (t + np.random.exponential(600.0), np.int64(_ADOPT),
                                          v, via, ch, dom))
            if not first:
                continue
            if np.random.random() < p_like_exposed:
                heapq.heappush(heap, (t + np.random.exponential(2 * 3600.0), np.int64(_LIKE),
                                      v, np.int64(-1), ch, dom))
            # share onward: pick a channel, then share through it with its probability
            r = np.random.random()
            c = 0
            while c < n_share_ch - 1 and r > mix_cdf[c]:
                c += 1
            if np.random.random() < share_prob[c]:
                deg = indptr[v + 1] - indptr[v]
                if deg == 0:
                    continue
                if c == 0:
                    count = 1
                elif c == 1:
                    count = min(deg, 5)
                else:
                    count = min(deg, broadcast_cap)
                ts = t + np.random.exponential(6 * 3600.0)
                tsms = np.int64(ts * 1000.0)
                start = np.random.randint(0, deg)
                for j in range(count):
                    w = indices[indptr[v] + (start + j) % deg]
                    row[0] = v; row[1] = w; row[2] = c; row[3] = tsms
                    ns, ok = _push_row(share_rows, ns, row)
                    full = full or not ok
                    heapq.heappush(heap, (ts, np.int64(_EXPOSE), np.int64(w), v, np.int64(c),
                                          np.int64(_SHARED)))
        elif kind == _LIKE:
            if liked[v]:
                continue
            liked[v] = True
            row[0] = v; row[1] = tms
            nl, ok = _push_row(like_rows, nl, row)
            full = full or not ok
            # every friend now has one more endorsing friend; adoption hazard p(k)
            for e in range(indptr[v], indptr[v + 1]):
                f = indices[e]
                endorsers[f] += 1
                if adopted[f]:
                    continue
                k = endorsers[f]
                pk = curve[min(k, curve.shape[0]) - 1]
                if np.random.random() < pk:
                    adopted[f] = True  # decided now, recorded shortly after
                    if not exposed[f]:  # the friend's ♡ is how it reached them
                        exposed[f] = True
                        row[0] = f; row[1] = tms; row[2] = 2; row[3] = v; row[4] = _PRIVATE
                        ne, ok = _push_row(exp_rows, ne, row)
                        full = full or not ok
                        _spawn_public(heap, t, n, public_ratio, horizon)
                    heapq.heappush(heap, (t + 1.0, np.int64(_ADOPT), np.int64(f), v,
                                          np.int64(2), np.int64(_PRIVATE)))
        else:  # _ADOPT
            row[0] = v; row[1] = tms; row[2] = ch
            nb, ok = _push_row(buy_rows, nb, row)
            full = full or not ok
            if np.random.random() < p_like_buyer:
                heapq.heappush(heap, (t + np.random.exponential(2 * 3600.0), np.int64(_LIKE),
                                      v, np.int64(-1), ch, dom))
            deg = indptr[v + 1] - indptr[v]
            if deg > 0 and np.random.random() < p_gift_buyer:
                w = indices[indptr[v] + np.random.randint(0, deg)]
                tg = t + np.random.exponential(24 * 3600.0)
                row[0] = v; row[1] = w; row[2] = np.int64(tg * 1000.0)
                ng, ok = _push_row(gift_rows, ng, row)
                full = full or not ok
                heapq.heappush(heap, (tg, np.int64(_EXPOSE), np.int64(w), v, np.int64(9),
                                      np.int64(_PRIVATE)))
    return (exp_rows[:ne], share_rows[:ns], like_rows[:nl], buy_rows[:nb], gift_rows[:ng], full)


# --------------------------------------------------------------------------- writing


class _TableWriter:
    """Streams one table to CSV or Parquet, chunk by chunk."""

    def __init__(self, path: Path, schema: pa.Schema, fmt: str) -> None:
        self.fmt, self.schema = fmt, schema
        self.rows = 0
        if fmt == "csv":
            csv_schema = pa.schema([pa.field(f.name, pa.string()) for f in schema])
            self._w = pacsv.CSVWriter(str(path), csv_schema)
        else:
            self._w = pq.ParquetWriter(str(path), schema)

    def write(self, columns: dict[str, np.ndarray]) -> None:
        arrays = []
        for f in self.schema:
            values = columns[f.name]
            if isinstance(values, (pa.Array, pa.ChunkedArray)):
                arrays.append(values)
            elif pa.types.is_timestamp(f.type):
                if self.fmt == "csv":
                    arrays.append(iso_utc_ms(values + _START_MS))
                else:
                    arrays.append(pa.array((START + values.astype("timedelta64[ms]")),
                                           type=pa.timestamp("ms")).cast(f.type))
            elif self.fmt == "csv" and not pa.types.is_string(f.type):
                arrays.append(pa.array(values).cast(pa.string()))
            else:
                arrays.append(pa.array(values, type=f.type))
        names = [f.name for f in self.schema]
        table = pa.Table.from_arrays(arrays, names=names)
        self._w.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        self._w.close()


def _in_order(pool: ThreadPoolExecutor, fn, items, ahead: int):
    """``fn`` over ``items`` on ``pool``, yielded in order, with at most ``ahead`` calls
    submitted beyond the one being consumed (bounding the results held in memory)."""
    pending: deque = deque()
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) > ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _write_product(w: dict, uid, pid: str, promoters: np.ndarray, promo_ch: np.ndarray,
                   promo_time: np.ndarray, rows: list[np.ndarray]) -> tuple[int, int]:
    """Append one product's rows to the table writers; returns its (public, private)
    exposure counts."""
    exp_, sh, lk, buy, gf = rows
    order = np.argsort(promo_time, kind="stable")
    w["promotions"].write({"user_id": uid(promoters[order]),
                           "product_id": repeated(pid, len(order)),
                           "channel": _labels(ALL_CHANNELS, promo_ch[order]),
                           "at": (promo_time[order] * 1000).astype(np.int64)})
    # one exposure per (user, at, channel): drop exact repeats
    exp_ = exp_[first_occurrences(exp_[:, 0], exp_[:, 1], exp_[:, 2])]
    public = exp_[:, 4] == _PUBLIC
    via = pc.if_else(pa.array(exp_[:, 3] >= 0), uid(np.maximum(exp_[:, 3], 0)),
                     pa.scalar(None, pa.string()))
    w["exposures"].write({"user_id": uid(exp_[:, 0]), "product_id": repeated(pid, len(exp_)),
                          "at": exp_[:, 1], "channel": _labels(ALL_CHANNELS, exp_[:, 2]),
                          "via_user_id": via, "domain": _labels(("private", "public"), public)})
    w["shares"].write({"sharer_id": uid(sh[:, 0]), "recipient_id": uid(sh[:, 1]),
                       "product_id": repeated(pid, len(sh)),
                       "channel": _labels(SHARE_CHANNELS, sh[:, 2]), "at": sh[:, 3]})
    w["likes"].write({"user_id": uid(lk[:, 0]), "product_id": repeated(pid, len(lk)),
                      "at": lk[:, 1]})
    w["purchases"].write({"user_id": uid(buy[:, 0]), "product_id": repeated(pid, len(buy)),
                          "at": buy[:, 1], "channel": _labels(ALL_CHANNELS, buy[:, 2])})
    w["gifts"].write({"giver_id": uid(gf[:, 0]), "recipient_id": uid(gf[:, 1]),
                      "product_id": repeated(pid, len(gf)), "at": gf[:, 2]})
    n_public = int(public.sum())
    return n_public, len(exp_) - n_public


def _labels(names: tuple[str, ...], codes: np.ndarray) -> pa.Array:
    """The text of each code (a channel or domain name), without a numpy string array."""
    return pa.array(names, type=pa.string()).take(pa.array(np.asarray(codes, dtype=np.int64)))


TS = pa.timestamp("ms", tz="UTC")
SCHEMAS = {
    "users": pa.schema([("user_id", pa.string()), ("age_group", pa.string()),
                        ("region", pa.string()), ("joined_at", TS)]),
    "friendships": pa.schema([("user_a", pa.string()), ("user_b", pa.string())]),
    "products": pa.schema([("product_id", pa.string()), ("name", pa.string()),
                           ("category", pa.string()), ("price", pa.float64()),
                           ("shop", pa.string())]),
    "promotions": pa.schema([("user_id", pa.string()), ("product_id", pa.string()),
                             ("channel", pa.string()), ("at", TS)]),
    "shares": pa.schema([("sharer_id", pa.string()), ("recipient_id", pa.string()),
                         ("product_id", pa.string()), ("channel", pa.string()), ("at", TS)]),
    "likes": pa.schema([("user_id", pa.string()), ("product_id", pa.string()), ("at", TS)]),
    "purchases": pa.schema([("user_id", pa.string()), ("product_id", pa.string()),
                            ("at", TS), ("channel", pa.string())]),
    "gifts": pa.schema([("giver_id", pa.string()), ("recipient_id", pa.string()),
                        ("product_id", pa.string()), ("at", TS)]),
    "exposures": pa.schema([("user_id", pa.string()), ("product_id", pa.string()),
                            ("at", TS), ("channel", pa.string()), ("via_user_id", pa.string()),
                            ("domain", pa.string())]),
}
CHUNK = 2_000_000


def _check(p: GeneratorParams) -> None:
    if p.users < 10:
        raise InputError("{users} must be at least 10", field="users")
    if p.products < 1:
        raise InputError("{products} must be at least 1", field="products")
    if not 0 <= p.public_share < 1:
        raise InputError("{public_share} must be in [0, 1)", field="public_share")


def generate_snapshot(p: GeneratorParams, out: str | Path, *, fmt: str = "csv",
                      overwrite: bool = False, progress=None) -> dict:
    """Write a snapshot and its ground_truth.json to ``out``. Returns the ground truth."""
    _check(p)
    rng = np.random.default_rng(p.seed)
    n = p.users
    width = len(str(n - 1))
    uid = lambda idx: padded_ids("u", idx, width)  # noqa: E731
    with _step("generate friendships"):
        lo, hi = _friendships(p, rng)
        indptr, indices = csr_from_pairs(n, lo, hi, ascending=False)
    ext = "csv" if fmt == "csv" else "parquet"
    counts: dict[str, int] = {}
    with atomic_directory(out, overwrite=overwrite) as tmp:
        w = {name: _TableWriter(tmp / f"{name}.{ext}", schema, fmt)
             for name, schema in SCHEMAS.items()}
        try:
            for s in range(0, n, CHUNK):
                idx = np.arange(s, min(s + CHUNK, n))
                joined = rng.integers(-9 * 365 * 86400, -86400, len(idx)) * 1000
                w["users"].write({
                    "user_id": uid(idx),
                    "age_group": np.asarray(AGE_GROUPS)[rng.choice(6, len(idx), p=AGE_WEIGHTS)],
                    "region": np.asarray(REGIONS)[rng.choice(len(REGIONS), len(idx),
                                                             p=REGION_WEIGHTS)],
                    "joined_at": joined})
            for s in range(0, len(lo), CHUNK):
                w["friendships"].write({"user_a": uid(lo[s:s + CHUNK]),
                                        "user_b": uid(hi[s:s + CHUNK])})
            pwidth = len(str(p.products - 1))
            pids = padded_ids("p", np.arange(p.products), pwidth).to_numpy(zero_copy_only=False)
            cats = np.asarray(CATEGORIES)[np.arange(p.products) % len(CATEGORIES)]
            prices = np.round([PRICE_MEDIAN[c] * rng.lognormal(0, 0.4) for c in cats], 2)
            w["products"].write({"product_id": pids,
                                 "name": np.char.add(np.char.add(cats, " #"),
                                                     np.arange(p.products).astype("U")),
                                 "category": cats, "price": prices,
                                 "shop": np.char.add("shop-", (np.arange(p.products) % 7)
                                                     .astype("U"))})
            n_promoters = max(p.products, int(round(n * p.promoter_share)))
            promoter_users = rng.choice(n, size=min(n_promoters, n), replace=False)
            promoter_product = np.concatenate([np.arange(p.products), rng.integers(
                0, p.products, len(promoter_users) - p.products)])
            promo_channel_idx = rng.integers(0, len(PROMOTION_CHANNELS), len(promoter_users))
            promo_time = rng.uniform(0, 3 * 86400.0, len(promoter_users))
            mix = np.array([p.share_channel_mix[c] for c in SHARE_CHANNELS], dtype=np.float64)
            mix = mix / mix.sum()
            prob = np.array([p.share_probability[c] for c in SHARE_CHANNELS], dtype=np.float64)
            adopt = np.array([p.share_adopt_probability[c] for c in SHARE_CHANNELS],
                             dtype=np.float64)
            curve = np.array(p.curve(200), dtype=np.float64)
            ratio = p.public_share / (1 - p.public_share)
            capacity = max(100_000, 8 * n)
            totals = {"exposures_private": 0, "exposures_public": 0, "truncated_products": 0}

            def simulate(pi: int):
                mine = np.flatnonzero(promoter_product == pi)
                promo_ch = np.array([CH[PROMOTION_CHANNELS[i]] for i in promo_channel_idx[mine]],
                                    dtype=np.int64)
                *rows, full = _simulate(
                    indptr, indices, promoter_users[mine].astype(np.int64), promo_ch,
                    promo_time[mine], mix, prob, adopt, curve, p.p_adopt_private, p.p_adopt_public,
                    p.p_like_exposed, p.p_like_buyer, p.p_gift_buyer, ratio, p.broadcast_cap,
                    p.days * 86400.0, p.seed * 100_003 + pi, capacity)
                # copies, so that the capacity-sized buffers are freed now
                return mine, promo_ch, [r.copy() for r in rows], full

            threads = max(1, min(os.cpu_count() or 1, p.products))
            with ThreadPoolExecutor(max_workers=threads) as pool:
                done = _in_order(pool, simulate, range(p.products), ahead=threads)
                for pi, (mine, promo_ch, rows, full) in enumerate(done):
                    totals["truncated_products"] += int(full)
                    public, private = _write_product(
                        w, uid, pids[pi], promoter_users[mine], promo_ch, promo_time[mine], rows)
                    totals["exposures_public"] += public
                    totals["exposures_private"] += private
                    (progress or _report)("generate products", pi + 1, p.products)
        finally:
            for writer in w.values():
                writer.close()
        counts = {name: writer.rows for name, writer in w.items()}
        exposures = totals["exposures_private"] + totals["exposures_public"]
        truth = {
            "format_version": 1,
            "process": "docs/generator.md",
            "params": asdict(p),
            "share_channels": list(SHARE_CHANNELS),
            "share_rate_by_channel": {c: float(mix[i] * prob[i])
                                      for i, c in enumerate(SHARE_CHANNELS)},
            "share_adoption_by_channel": {c: float(adopt[i])
                                          for i, c in enumerate(SHARE_CHANNELS)},
            "exposure_curve": {"form": "p(k) = p_max * (1 - exp(-k / k_scale))",
                               "p_max": p.curve_p_max, "k_scale": p.curve_k_scale,
                               "p": [{"k": k + 1, "p": v} for k, v in enumerate(p.curve(20))]},
            "baseline": {"p_adopt_private_exposure": p.p_adopt_private,
                         "p_adopt_public_exposure": p.p_adopt_public},
            "public_share": {"target": p.public_share,
                             "realised": totals["exposures_public"] / exposures
                             if exposures else None},
            "promoters": int(len(promoter_users)),
            "rows": counts,
            "truncated_products": totals["truncated_products"],
        }
        (tmp / "ground_truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False)
                                               + "\n", encoding="utf-8")
        manifest = {"format_version": FORMAT_VERSION, "name": f"generated-{n}-users-seed-{p.seed}",
                    "taken_at": str(np.datetime_as_string(START + np.timedelta64(
                        int(p.days * 86400), "s"), unit="s")) + "Z",
                    "generator": {"users": n, "seed": p.seed, "products": p.products}}
        (tmp / "snapshot.json").write_text(json.dumps(manifest, indent=2) + "\n",
                                           encoding="utf-8")
    return truth
