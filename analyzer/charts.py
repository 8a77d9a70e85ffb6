"""Charts of the analyses, drawn with matplotlib from each result's JSON document.

Every function takes the ``to_dict()`` document of one result and an optional matplotlib
``Axes`` and returns the Axes it drew on (``mix`` returns its Figure, which has two). The
results' ``.plot()`` methods call these; the HTML report draws the same charts as inline
SVG (:func:`svg`). Conventions: axes carry units; counts that span orders of magnitude use
log scales; baselines are drawn; estimates from fewer than :data:`SMALL_SAMPLE` users are
faded, and the y range is set by the others, so a noisy tail does not dominate.
"""

from __future__ import annotations

import io
import math
from typing import Any

__all__ = ["reach", "exposure_curve", "cascade_ccdf", "mix", "promoters", "activation",
           "svg", "SMALL_SAMPLE", "conversion_by_domain"]

#: p(k) points from fewer users than this are drawn faded
SMALL_SAMPLE = 100
BLUE, DARK, ORANGE, GREY, GREEN = "#2b7bb9", "#08519c", "#d94801", "#888888", "#41ab5d"
DOMAIN_COLOURS = {"private": GREEN, "public": BLUE}


def _axes(ax, size=(6.4, 3.4)):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=size, layout="constrained")[1]


def _spans_decades(values, decades: float = 2.0) -> bool:
    positive = [v for v in values if v and v > 0]
    return bool(positive) and max(positive) / min(positive) >= 10 ** decades


def reach(doc: dict, ax=None):
    """New users first reached at each friendship hop (bars; log scale when they span two
    orders of magnitude), with the cumulative share of all users on the right axis."""
    ax = _axes(ax)
    per_hop = doc["per_hop"][1:]
    hops = list(range(1, len(per_hop) + 1))
    ax.bar(hops, per_hop, color=BLUE, label="new users")
    if _spans_decades(per_hop):
        ax.set_yscale("log")
        ax.set_ylabel("new users (log scale)")
    else:
        ax.set_ylabel("new users")
    ax.set_xlabel(f"friendship hops from the {doc['seeds']:,} seed(s)")
    ax.set_xticks(hops)
    right = ax.twinx()
    total, users = 0, max(doc["users"], 1)
    cumulative = []
    for n in per_hop:
        total += n
        cumulative.append(100 * total / users)
    right.plot(hops, cumulative, color=ORANGE, marker="o", label="cumulative reach")
    right.set_ylim(0, 100)
    right.set_ylabel("cumulative reach (% of users)")
    ax.set_title("Six-degree reach")
    return ax


def exposure_curve(doc: dict, ax=None, small: int = SMALL_SAMPLE):
    """p(k) with its 95% Wilson band against the baseline p(0) and its band; points from
    fewer than ``small`` users are faded and do not set the y range."""
    ax = _axes(ax)
    curve = doc["curve"]
    base = doc["baseline"]
    ks = [c["k"] for c in curve]
    if base.get("p") is not None:
        ax.axhline(100 * base["p"], color=GREY, linestyle="--", label="baseline p(0)")
        if base.get("ci_low") is not None:
            ax.axhspan(100 * base["ci_low"], 100 * base["ci_high"], color=GREY, alpha=0.12)
    if curve:
        solid = [c for c in curve if c["users"] >= small]
        faded = [c for c in curve if c["users"] < small]
        if solid:  # the band and the line over the well-sampled points only
            sk = [c["k"] for c in solid]
            ax.fill_between(sk, [100 * (c["ci_low"] or 0) for c in solid],
                            [100 * (c["ci_high"] or 0) for c in solid], color=BLUE,
                            alpha=0.18, label="95% interval")
            ax.plot(sk, [100 * c["p"] for c in solid], color=DARK, marker="o", zorder=3,
                    label="p(k)")
        if faded:
            ax.errorbar([c["k"] for c in faded], [100 * c["p"] for c in faded],
                        yerr=[[max(0.0, 100 * (c["p"] - (c["ci_low"] or 0))) for c in faded],
                              [max(0.0, 100 * ((c["ci_high"] or 0) - c["p"])) for c in faded]],
                        fmt="o", color=DARK, alpha=0.3, capsize=2,
                        label=f"p(k) from under {small} users")
        anchor = solid or curve
        top = max([100 * (c["ci_high"] or 0) for c in anchor] +
                  [100 * (base.get("ci_high") or 0)])
        ax.set_ylim(0, max(top * 1.15, 1e-3))
        ax.set_xticks(ks if len(ks) <= 20 else ks[:: max(1, len(ks) // 10)])
    else:
        ax.text(0.5, 0.5, "too little data for a curve", transform=ax.transAxes,
                ha="center", va="center")
    ax.set_xlabel("k: friends who endorsed before (♡ or share)")
    ax.set_ylabel("p(k): adopted before the next (%)")
    ax.set_title("Exposure curve p(k)")
    ax.legend(loc="best", fontsize="small")
    return ax


def cascade_ccdf(doc: dict, ax=None, product: str | None = None):
    """For each cascade size s, the share of cascades of at least s users, log-log; one
    line per product (or only ``product``)."""
    ax = _axes(ax)
    for i, p in enumerate(doc["products"]):
        if product is not None and p["product_id"] != product:
            continue
        dist = p["size_distribution"]
        if not dist:
            continue
        ax.step([d["size"] for d in dist], [d["ccdf"] for d in dist], where="post",
                marker="o", markersize=3,
                color=(ORANGE, BLUE, GREEN, GREY)[i % 4], label=p["product_id"])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("cascade size s (users, log scale)")
    ax.set_ylabel("share of cascades ≥ s (log scale)")
    ax.set_title("Cascade sizes (CCDF)")
    if len(doc["products"]) > 1:
        ax.legend(fontsize="small")
    return ax


def conversion_by_domain(doc: dict) -> dict | None:
    """Adoptions per exposure in the private and the public domain, and their ratio with a
    95% interval (Katz's log method); None when either domain lacks exposures or
    adoptions."""
    exp = {d: sum(x["exposures"] for x in doc["exposures"] if x["domain"] == d)
           for d in ("private", "public")}
    ado = {d: sum(x["adoptions"] for x in doc["adoptions"] if x["domain"] == d)
           for d in ("private", "public")}
    if min(exp.values()) == 0 or min(ado.values()) == 0:
        return None
    rate = {d: ado[d] / exp[d] for d in exp}
    ratio = rate["private"] / rate["public"]
    se = math.sqrt(1 / ado["private"] - 1 / exp["private"] + 1 / ado["public"]
                   - 1 / exp["public"])
    return {"private": rate["private"], "public": rate["public"], "ratio": ratio,
            "ci_low": ratio * math.exp(-1.959963984540054 * se),
            "ci_high": ratio * math.exp(1.959963984540054 * se),
            "exposures": exp, "adoptions": ado}


def mix(doc: dict, fig=None):
    """Two panels: the public-domain share of exposures and of adoptions (with 95%
    intervals) against the platform's reported shares; exposures by channel, coloured by
    domain (log scale when they span two orders of magnitude)."""
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(6.4, 5.2), layout="constrained")
    top, bottom = fig.subplots(2, 1, height_ratios=[1, 2])
    ps = doc["public_share"]
    labels = ["exposures", "adoptions"]
    values = [100 * (ps[x]["p"] or 0) for x in labels]
    err = [[v - 100 * (ps[x]["ci_low"] or 0) for v, x in zip(values, labels)],
           [100 * (ps[x]["ci_high"] or 0) - v for v, x in zip(values, labels)]]
    top.barh(labels, values, xerr=err, color=BLUE, capsize=3)
    for i, ref in enumerate(doc["references"]):
        top.axvline(100 * ref["share"], color=GREY, linestyle=":", linewidth=1)
        top.text(100 * ref["share"], 1.35 + 0.45 * (i % 2), f"{ref['label']} "
                 f"{100 * ref['share']:.0f}%", fontsize=7, ha="center", color="#555555")
    top.set_xlim(0, 100)
    top.set_ylim(-0.6, 2.1)
    top.set_xlabel("public-domain share (%, feed and search)")
    top.set_title("Private and public domain")
    rows = sorted(doc["exposures"], key=lambda x: x["exposures"])
    bottom.barh([x["channel"] for x in rows], [x["exposures"] for x in rows],
                color=[DOMAIN_COLOURS.get(x["domain"], GREY) for x in rows])
    if _spans_decades([x["exposures"] for x in rows]):
        bottom.set_xscale("log")
        bottom.set_xlabel("exposures (log scale)")
    else:
        bottom.set_xlabel("exposures")
    from matplotlib.patches import Patch

    bottom.legend(handles=[Patch(color=c, label=d) for d, c in DOMAIN_COLOURS.items()],
                  fontsize="small", loc="lower right")
    bottom.set_title("Exposures by channel")
    return fig


def promoters(doc: dict, ax=None):
    """Expected spread against the number of promoters: the pick's estimate after each
    seed (cumulative marginal gains), its forward-checked spread at k with a 95% interval,
    and each baseline's at its size."""
    ax = _axes(ax)
    gains = doc["gains"]
    cumulative, total = [], 0.0
    for g in gains:
        total += g
        cumulative.append(total)
    ks = list(range(1, len(gains) + 1))
    ax.plot(ks, cumulative, color=BLUE, marker="o", markersize=3,
            label=f"{doc['winner']}: estimate by pick")
    z = 1.959963984540054
    ax.errorbar([doc["k"]], [doc["spread"]], yerr=[z * doc["spread_stderr"]], fmt="s",
                color=DARK, capsize=4,
                label=f"{doc['winner']}: forward check")
    for i, b in enumerate(doc["baselines"]):
        ax.errorbar([b["size"]], [b["spread"]], yerr=[z * b["spread_stderr"]], fmt="o",
                    color=(ORANGE, GREEN, GREY)[i % 3], capsize=4, alpha=0.85,
                    label=b["name"])
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("promoters k")
    ax.set_ylabel("expected spread (users)")
    ax.set_ylim(bottom=0)
    ax.set_title(f"Promoters ({doc['model'].upper()}, {doc['probability']})")
    ax.legend(fontsize="small", loc="lower right")
    return ax


def activation(doc: dict, ax=None):
    """A simulation's mean cumulative activations by step."""
    ax = _axes(ax)
    steps = [c["step"] for c in doc["curve"]]
    ax.plot(steps, [c["cumulative"] for c in doc["curve"]], color=BLUE, marker="o",
            markersize=3)
    ax.axhline(doc["mean"], color=GREY, linestyle="--", label=f"mean spread {doc['mean']:,.1f}")
    ax.set_xlabel("step")
    ax.set_ylabel("users active (mean of runs)")
    ax.set_title(f"Simulated spread ({doc['model'].upper()}, {doc['runs']:,} runs)")
    ax.legend(fontsize="small")
    return ax


RC: dict[str, Any] = {"svg.fonttype": "none", "svg.hashsalt": "diffusion", "font.size": 10,
      "font.family": "sans-serif",
      "font.sans-serif": ["DejaVu Sans", "Noto Sans CJK SC", "WenQuanYi Zen Hei"]}


def svg(draw, doc: dict, label: str, size=(6.4, 3.4), **options) -> str:
    """``draw(doc, ...)`` as an inline ``<svg class="chart">``: text stays text (the
    browser's fonts render Chinese names), no pyplot state is touched."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(RC):  # type: ignore[arg-type]  # (its keys are Literal names)
        fig = Figure(figsize=size, layout="constrained")
        if draw is mix:
            draw(doc, fig=fig, **options)
        else:
            draw(doc, ax=fig.add_subplot(), **options)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    import html
    import re

    text = buf.getvalue()
    text = text[text.index("<svg"):]
    # inline in HTML: no RDF metadata, and SVG 2's plain href (no xlink namespace), so the
    # page names no other site
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    text = text.replace(' xmlns:xlink="http://www.w3.org/1999/xlink"', "")
    text = text.replace("xlink:href=", "href=")

    return text.replace("<svg ", f'<svg class="chart" role="img" aria-label='
                                  f'"{html.escape(label)}" ', 1)
