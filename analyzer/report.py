"""`diffusion report`: one product's story, as text, Markdown, JSON or one offline HTML file.

The report runs the analyses through a :class:`analyzer.api.Session` and only
lays them out; every number comes from the analyses' own ``to_dict()``. The
JSON is the union of those documents; the HTML marks each key number with a
``data-key`` attribute whose value is its JSON path, so a test can check the
page against the JSON. Charts are inline SVG drawn here: no scripts, no CDN.
"""

from __future__ import annotations

import html
import io
import json
import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import charts
from .render import to_json

__all__ = ["build_report", "Report", "FORMATS"]

FORMATS = ("text", "md", "json", "html")
WIDTH = 100


def _summary(session, product: str) -> dict:
    source = session.source()
    roles = {role: len(session.product_users(product, [role]))
             for role in ("promoters", "sharers", "endorsers", "buyers")}
    tree = source.tree_edges([product])
    gifts = int((tree["kind"] == "gift").sum()) if len(tree) else 0
    exposed = source.exposed_users([product])
    if len(exposed):
        exposed_n = int(exposed["users"].sum())
    else:  # no exposures table: those who received the product
        exposed_n = int((source.members([product])["received"] > 0).sum())
    # counted on the codes (the influence section reuses them), not on decoded ids
    endorsed = int(np.unique(source.endorsement_codes([product]).user).size)
    buyers = roles["buyers"]
    return {"product": product, "name": source.product_names().get(product),
            **roles, "gift_recipients": gifts,
            "funnel": {"exposed": exposed_n, "endorsed": endorsed, "bought": buyers,
                       "endorsed_share": endorsed / exposed_n if exposed_n else None,
                       "bought_share": buyers / exposed_n if exposed_n else None}}


@dataclass(repr=False)
class Report:
    product: str
    sections: dict  #: name -> result object (or dict for the summary)
    compare: "Report | None" = None
    notes: list[str] = field(default_factory=list)
    _doc: dict | None = field(default=None, repr=False, compare=False)

    # ------------------------------------------------------------------ JSON

    def to_dict(self) -> dict:
        """The report's JSON document. Every renderer reads it several times, so it is built
        once per report (a report is not changed after build_report)."""
        if self._doc is None:
            self._doc = self._build_dict()
        return self._doc

    def _build_dict(self) -> dict:
        out = {"product": self.product, "summary": self.sections["summary"]}
        for name in ("reach", "endorsements", "influencers", "domains", "cascades",
                     "promoters"):
            obj = self.sections.get(name)
            out[name] = None if obj is None else obj.to_dict()
        out["notes"] = self.notes
        if self.compare is not None:
            out["compare"] = self.compare.to_dict()
        return json.loads(to_json(out))

    def to_frame(self) -> pd.DataFrame:
        d = self.to_dict()
        return pd.DataFrame([{"product": d["product"], **{k: v for k, v in d["summary"].items()
                                                          if not isinstance(v, dict)}}])

    def __repr__(self) -> str:
        other = f" and {self.compare.product}" if self.compare is not None else ""
        return (f"<Report: {self.product}{other}, sections "
                f"{', '.join(k for k, v in self.sections.items() if v is not None)}>")

    def _repr_html_(self) -> str:
        """The HTML report in an iframe: its styles stay inside and never restyle the
        notebook around it."""
        page = html.escape(self.render("html"), quote=True)
        return (f'<iframe class="diffusion-report" srcdoc="{page}" title="diffusion report '
                f'{html.escape(self.product)}" style="width:100%;height:900px;border:1px solid '
                f'#ddd" sandbox="allow-scripts"></iframe>')

    # ------------------------------------------------------------------ text and Markdown

    def render(self, fmt: str) -> str:
        if fmt == "json":
            return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"
        if fmt == "md":
            return _markdown(self)
        if fmt == "html":
            return _html(self)
        if fmt == "text":
            return _text(self)
        raise ValueError(fmt)


def build_report(session, product: str, *, compare: str | None = None,
                 with_promoters: int | None = None, hops: int = 6, seed: int = 0,
                 window: str = "7d", min_users: int = 20, top: int = 10) -> Report:
    from .progress import report as progress

    stage, total = f"report {product}", 6 + bool(with_promoters)
    source = session.source()
    source.check_products([product] + ([compare] if compare else []))
    notes: list[str] = []
    progress(stage, 0, total)
    sections: dict = {"summary": _summary(session, product)}
    progress(stage, 1, total)
    roles = ["promoters"]
    if not session.product_users(product, roles):
        roles = ["promoters", "sharers", "endorsers", "buyers"]
        notes.append("the product has no promoters; reach starts from all its users")
    if session.product_users(product, roles):
        # the in-memory engine (same numbers as Cypher, tested) on the session's projection,
        # which is cached on the session: --with-promoters reuses it
        sections["reach"] = session.reach(product, roles=roles, hops=hops, engine="memory")
    else:
        notes.append("the product has no users in any role; no reach")
    progress(stage, 2, total)
    # computed in the order their reads arrive on Neo4j (the cascades' and domains' are
    # quick, the endorsement rows the slowest), shown in the usual order
    cascades = session.cascades(product, top=top, compare=compare)
    progress(stage, 3, total)
    domains = session.domains(product, window=window)
    progress(stage, 4, total)
    sections["endorsements"] = session.endorsements(product, min_users=min_users)
    progress(stage, 5, total)
    sections["influencers"] = session.influencers(product, window=window, top=top)
    progress(stage, 6, total)
    sections["domains"] = domains
    sections["cascades"] = cascades
    if with_promoters:
        sections["promoters"] = session.promoters(with_promoters, product=product, seed=seed)
        progress(stage, 7, total)
    other = None
    if compare:
        other = build_report(session, compare, hops=hops, seed=seed, window=window,
                             min_users=min_users, top=top)
    return Report(product, sections, other, notes)


# --------------------------------------------------------------------------- findings


def _share(v) -> str:
    return "–" if v is None else f"{100 * v:.1f}%"


def findings(doc: dict) -> dict[str, str]:
    """One sentence per section, computed from the report's numbers: what the section
    found, with its uncertainty where it has one. docs/report.md states each rule."""
    out = {}
    r = doc.get("reach")
    if r:
        new = r["per_hop"][1:]
        total, reached, h90 = 0, r["reached"], None
        for h, n in enumerate(new, start=1):
            total += n
            if h90 is None and reached and total >= 0.9 * reached:
                h90 = h
        peak = max(range(len(new)), key=lambda i: new[i]) + 1 if new else 0
        out["reach"] = (f"The {r['seeds']:,} seed(s) reach {_share(r['coverage'])} of users "
                        f"within {r['hops']} hops" + (
                            f"; 90% of that reach comes within {h90} hop(s), and hop {peak} "
                            f"brings the most new users ({new[peak - 1]:,})." if h90 else "."))
    e = doc["endorsements"]
    b = e["baseline"]
    if not e["curve"] or b.get("p") is None:
        out["endorsements"] = (f"Too little data for an exposure curve: no k has "
                               f"{e['min_users']} users.")
    else:
        c = e["curve"][0]
        if c["ci_low"] > b["ci_high"]:
            how = (f"lifts adoption from p(0) = {_share(b['p'])} to p({c['k']}) = "
                   f"{_share(c['p'])}, {c['lift']:.1f}× (95% intervals "
                   f"{_share(b['ci_low'])}–{_share(b['ci_high'])} and "
                   f"{_share(c['ci_low'])}–{_share(c['ci_high'])} do not overlap)")
            out["endorsements"] = f"A friend's endorsement {how}."
        elif c["ci_high"] < b["ci_low"]:
            out["endorsements"] = (f"Users with one endorsing friend adopt less than the "
                                   f"baseline: p({c['k']}) = {_share(c['p'])} against p(0) = "
                                   f"{_share(b['p'])}, beyond error.")
        else:
            out["endorsements"] = (f"p({c['k']}) = {_share(c['p'])} is within error of the "
                                   f"baseline p(0) = {_share(b['p'])} (95% intervals overlap): "
                                   f"one endorsement is not shown to move people here.")
    sd = [x for x in e["structural_diversity"] if x["users"] >= e["min_users"]]
    ks = sorted({x["k"] for x in sd if x["k"] >= 2})
    best = None
    for k in ks:
        rows = [x for x in sd if x["k"] == k]
        if len(rows) >= 2:
            best = rows
            break
    if best:
        one = min(best, key=lambda x: x["components"])
        many = max(best, key=lambda x: x["components"])
        apart = many["ci_low"] > one["ci_high"] or many["ci_high"] < one["ci_low"]
        out["diversity"] = (f"With {one['k']} endorsing friends, those from "
                            f"{many['components']} separate groups lead to {_share(many['p'])} "
                            f"adoption against {_share(one['p'])} from {one['components']} "
                            f"group(s)" + ("." if apart else ", within error of each other."))
    else:
        out["diversity"] = ("Too few users to compare endorsing friends by how many groups "
                            "they form.")
    dm = doc["domains"]
    conv = charts.conversion_by_domain(dm)
    pub = dm["public_share"]["exposures"]["p"]
    if conv is None:
        out["domains"] = (f"Public channels carry {_share(pub)} of exposures; too few adoptions "
                          f"in one of the domains to compare how they convert.")
    else:
        ratio, lo, hi = conv["ratio"], conv["ci_low"], conv["ci_high"]
        interval = f"95% CI {lo:.1f}–{hi:.1f}×"
        if lo > 1 or hi < 1:
            word = "better" if ratio > 1 else "worse"
            times = ratio if ratio > 1 else 1 / ratio
            out["domains"] = (f"Private channels convert {times:.1f}× {word} than public ones "
                              f"per exposure ({interval}); public channels carry "
                              f"{_share(pub)} of exposures.")
        else:
            out["domains"] = (f"Private and public channels convert within error of each "
                              f"other per exposure (private/public {ratio:.2f}×, {interval}); "
                              f"public channels carry {_share(pub)} of exposures.")
    c = doc["cascades"]["products"][0]
    if c["cascade_count"]:
        v = c["mean_virality"]
        shape = "" if v is None else (
            "; trees are broadcast-like (mean structural virality under 2.5)" if v < 2.5
            else "; trees spread person to person (mean structural virality 2.5 or more)")
        out["cascades"] = (f"{_share(c['size_1_share'])} of the {c['cascade_count']:,} "
                           f"cascades stop at their root; the largest reaches "
                           f"{c['max_size']:,} users, the deepest {c['max_depth']} hop(s)"
                           f"{shape}.")
    else:
        out["cascades"] = "The product has no cascades."
    pr = doc.get("promoters")
    if pr:
        out["promoters"] = pr.get("verdict") or ""
    return out


# --------------------------------------------------------------------------- helpers


def _fmt(v, digits: int = 4) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, float):
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:.{digits}g}"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    return str(v)


def _pct(v) -> str:
    return "–" if v is None else f"{100 * v:.1f}%"


def _bar(value: float, top: float, width: int = 30) -> str:
    if not top or value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    n = value / top * width
    full = int(n)
    part = " ▏▎▍▌▋▊▉"[int((n - full) * 8)]
    return ("█" * full + (part if part != " " else "")).ljust(width)


def _rows(report: Report) -> dict:
    """The tables every format shows, as lists of (label, value) or frames."""
    d = report.to_dict()
    s = d["summary"]
    out = {"summary": [("promoters", s["promoters"]), ("sharers", s["sharers"]),
                       ("endorsers (♡)", s["endorsers"]), ("buyers", s["buyers"]),
                       ("gift recipients", s["gift_recipients"])],
           "funnel": [("exposed", s["funnel"]["exposed"], None),
                      ("endorsed (a friend's ♡ or a share)", s["funnel"]["endorsed"],
                       s["funnel"]["endorsed_share"]),
                      ("bought", s["funnel"]["bought"], s["funnel"]["bought_share"])]}
    return out


SIDE_BY_SIDE = [("promoters", "summary.promoters"), ("buyers", "summary.buyers"),
                ("exposed", "summary.funnel.exposed"), ("reached within the hops", "reach.reached"),
                ("share of all users reached", "reach.coverage"),
                ("baseline p(0)", "endorsements.baseline.p"),
                ("stickiness (max p(k))", "endorsements.stickiness"),
                ("public share of exposures", "domains.public_share.exposures.p"),
                ("public share of adoptions", "domains.public_share.adoptions.p"),
                ("cascades", "cascades.products.0.cascade_count"),
                ("mean cascade depth", "cascades.products.0.mean_depth"),
                ("mean structural virality", "cascades.products.0.mean_virality")]


def _lookup(doc, path: str):
    for part in path.split("."):
        if doc is None:
            return None
        doc = doc[int(part)] if isinstance(doc, list) else doc.get(part)
    return doc


def _side_by_side(report: Report) -> pd.DataFrame:
    """The compared products' key numbers in two columns."""
    other = report.compare
    assert other is not None, "side by side needs a compared report"
    a, b = report.to_dict(), other.to_dict()
    return pd.DataFrame([{"measure": label, report.product: _lookup(a, path),
                          other.product: _lookup(b, path)}
                         for label, path in SIDE_BY_SIDE])


# --------------------------------------------------------------------------- text


def _text(report: Report) -> str:
    from rich.console import Console
    from rich.table import Table

    buf = io.StringIO()
    con = Console(file=buf, width=WIDTH, force_terminal=False, color_system=None,
                  highlight=False)
    if report.compare is not None:
        con.rule(f"{report.product} and {report.compare.product} side by side")
        _table(con, "", _side_by_side(report))
    _text_one(con, report)
    if report.compare is not None:
        con.rule(f"Compared with {report.compare.product}")
        _text_one(con, report.compare)
        comp = report.sections["cascades"].comparison
        if comp is not None:
            con.print("[bold]Cascades at matched size[/bold]")
            t = Table()
            for c in comp.columns:
                t.add_column(str(c), overflow="fold")
            for row in comp.itertuples(index=False):
                t.add_row(*(_fmt(x) for x in row))
            con.print(t)
    return buf.getvalue()


def _table(con, title: str, frame: pd.DataFrame, columns: list[str] | None = None):
    from rich.table import Table

    if columns:
        frame = frame[[c for c in columns if c in frame.columns]]
    if title:
        con.print(title)
    t = Table()
    for c in frame.columns:
        t.add_column(str(c), overflow="fold",
                     justify="right" if pd.api.types.is_numeric_dtype(frame[c]) else "left")
    for row in frame.itertuples(index=False):
        t.add_row(*(_fmt(x) for x in row))
    con.print(t)


def _text_one(con, report: Report) -> None:
    d = report.to_dict()
    found = findings(d)

    def lead(key: str) -> None:
        if found.get(key):
            con.print("   " + found[key], markup=False, highlight=False)

    s = d["summary"]
    con.rule(f"diffusion report: {report.product}" + (f" ({s['name']})" if s["name"] else ""))
    con.print("[bold]1. Summary[/bold]")
    rows = _rows(report)
    con.print("   " + "   ".join(f"{k}: {_fmt(v)}" for k, v in rows["summary"]))
    top = max(x[1] for x in rows["funnel"]) or 1
    for label, n, share in rows["funnel"]:
        con.print(f"   {label:<36} {_fmt(n):>10}  {_bar(n, top, 30)} {_pct(share)}")
    r = d["reach"]
    con.print("\n[bold]2. Six-degree reach[/bold]")
    lead("reach")
    if r:
        con.print(f"   from {r['seeds']} seed(s) ({', '.join(r['roles'])}): {r['reached']:,} "
                  f"users within {r['hops']} hops, {_pct(r['coverage'])} of {r['users']:,}")
        peak = max(r["per_hop"][1:] or [1]) or 1
        cum = 0
        for h, n in enumerate(r["per_hop"]):
            if h == 0:
                continue
            cum += n
            con.print(f"   hop {h:<2} {n:>10,} new  {_bar(n, peak, 34)} {cum:>10,} total")
        if r["per_seed"]:
            _table(con, "   Unique reach of each seed (top 10)",
                   pd.DataFrame(r["per_seed"]).head(10))
    else:
        con.print("   " + "; ".join(report.notes))
    e = d["endorsements"]
    con.print("\n[bold]3. Friend-endorsement influence[/bold]")
    lead("endorsements")
    b = e["baseline"]
    con.print(f"   baseline p(0) = {_fmt(b['p'])} ({b['adopters']:,} of {b['users']:,}); "
              f"stickiness {_fmt(e['stickiness'])}, persistence {_fmt(e['persistence'])}")
    if e["curve"]:
        peak = max(c["p"] for c in e["curve"]) or 1
        for c in e["curve"]:
            interval = f"[{_fmt(c['ci_low'], 3)}, {_fmt(c['ci_high'], 3)}]"
            con.print(f"   k={c['k']:<3} p={_fmt(c['p'], 3):<7} {interval:<17} lift "
                      f"{_fmt(c['lift'], 3):<6} {_bar(c['p'], peak, 26)} n={c['users']:,}")
    else:
        con.print(f"   no k has {e['min_users']} users: too little data for a curve")
    sd = [x for x in e["structural_diversity"] if x["users"] >= e["min_users"]]
    lead("diversity")
    if sd:
        _table(con, "   Structural diversity (groups the endorsing friends form)",
               pd.DataFrame(sd)[["k", "components", "users", "adopters", "p"]])
    inf = d["influencers"]
    if inf["influencers"]:
        _table(con, f"   Top endorsers ({inf['credit']} credit; {inf['credited_adoptions']:,} "
                    f"of {inf['adoptions']:,} adoptions credited)",
               pd.DataFrame(inf["influencers"]).head(10),
               ["rank", "user_id", "role", "credit", "audience", "conversion"])
    dm = d["domains"]
    con.print("\n[bold]4. Channels and domains[/bold]")
    lead("domains")
    ps = dm["public_share"]
    for what in ("exposures", "adoptions"):
        x = ps[what]
        con.print(f"   {'public share of ' + what:<27} {_pct(x['p']):>7}  "
                  f"{_bar(x['p'] or 0, 1, 40)} [{_pct(x['ci_low'])}, {_pct(x['ci_high'])}]")
    for ref in dm["references"]:
        con.print(f"   {'reference: ' + ref['label']:<27} {_pct(ref['share']):>7}  "
                  f"{_bar(ref['share'], 1, 40)}")
    if dm["exposures"]:
        _table(con, "   Exposures by channel", pd.DataFrame(dm["exposures"]),
               ["channel", "domain", "exposures", "share"])
    c = d["cascades"]["products"][0]
    con.print("\n[bold]5. Cascades[/bold]")
    lead("cascades")
    con.print(f"   {c['cascade_count']:,} cascades, {c['users']:,} users; size 1: "
              f"{_pct(c['size_1_share'])}; depth mean {_fmt(c['mean_depth'])}, max "
              f"{c['max_depth']}; structural virality mean {_fmt(c['mean_virality'])}")
    if c["cascades"]:
        _table(con, "   Largest cascades", pd.DataFrame(c["cascades"]).head(10),
               ["root", "root_role", "size", "depth", "max_breadth", "structural_virality"])
    p = d.get("promoters")
    if p:
        con.print(f"\n[bold]6. Recommended promoters ({p['winner']}, "
                  f"k = {p['k']})[/bold]")
        lead("promoters")
        seed_rows = [{"seed set": "recommended", "spread": p["spread"],
                      "stderr": p["spread_stderr"]}] + [
            {"seed set": x["name"], "spread": x["spread"], "stderr": x["spread_stderr"]}
            for x in p["baselines"]]
        _table(con, "   Expected spread (independent forward simulation)",
               pd.DataFrame(seed_rows))
        if p["winner"] != p["method"]:
            con.print(f"   {p['reason']}")
        con.print("   picks: " + ", ".join(p["seeds"][:20]))


# --------------------------------------------------------------------------- Markdown


_MD_ACTIVE = re.compile(r"([\\`*_\[\]|#~!])")


def _md(text) -> str:
    """``text`` as inert Markdown: raw HTML becomes entities (no live <script> or onerror),
    and the characters that make emphasis, links, code or table cells are backslash-escaped.
    User-supplied ids and names pass through here."""
    escaped = _MD_ACTIVE.sub(r"\\\1", str(text))
    return escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _md_table(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(_md(c) for c in cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(_md(_fmt(x)) for x in row) + " |")
    return "\n".join(lines) + "\n"


def _markdown(report: Report) -> str:
    d = report.to_dict()
    found = findings(d)

    def lead(key: str) -> list[str]:
        return [f"**{_md(found[key])}**", ""] if found.get(key) else []

    s = d["summary"]
    rows = _rows(report)
    out = [f"# diffusion report: {_md(report.product)}"
           + (f" ({_md(s['name'])})" if s["name"] else ""),
           "", "## 1. Summary", "",
           _md_table(pd.DataFrame([dict(rows["summary"])])),
           _md_table(pd.DataFrame(rows["funnel"],
                                  columns=["stage", "users", "share of exposed"]))]
    r = d["reach"]
    out += ["## 2. Six-degree reach", "", *lead("reach")]
    if r:
        out.append(f"{r['reached']:,} users within {r['hops']} hops of {r['seeds']} seed(s) "
                   f"({_md(', '.join(r['roles']))}), {_pct(r['coverage'])} of "
                   f"{r['users']:,}.\n")
        hops = pd.DataFrame({"hop": range(len(r["per_hop"])), "new users": r["per_hop"],
                             "cumulative": np.cumsum([0] + r["per_hop"][1:])})
        out.append(_md_table(hops))
        if r["per_seed"]:
            out.append(_md_table(pd.DataFrame(r["per_seed"]).head(10)))
    e = d["endorsements"]
    out += ["## 3. Friend-endorsement influence", "", *lead("endorsements"),
            f"Baseline p(0) = {_fmt(e['baseline']['p'])}; stickiness "
            f"{_fmt(e['stickiness'])}; persistence {_fmt(e['persistence'])}.", ""]
    if e["curve"]:
        out.append(_md_table(pd.DataFrame(e["curve"])))
    inf = d["influencers"]
    if inf["influencers"]:
        out.append(_md_table(pd.DataFrame(inf["influencers"]).head(10)))
    dm = d["domains"]
    out += ["## 4. Channels and domains", "", *lead("domains"),
            f"Public share of exposures {_pct(dm['public_share']['exposures']['p'])}, of "
            f"adoptions {_pct(dm['public_share']['adoptions']['p'])}; the platform reports "
            + ", ".join(f"{_md(x['label'])} {_pct(x['share'])}" for x in dm["references"])
            + ".", ""]
    if dm["exposures"]:
        out.append(_md_table(pd.DataFrame(dm["exposures"])))
    c = d["cascades"]["products"][0]
    out += ["## 5. Cascades", "", *lead("cascades"),
            f"{c['cascade_count']:,} cascades; mean depth {_fmt(c['mean_depth'])}; mean "
            f"structural virality {_fmt(c['mean_virality'])}.", ""]
    if c["cascades"]:
        out.append(_md_table(pd.DataFrame(c["cascades"]).head(10)[
            ["root", "root_role", "size", "depth", "max_breadth", "structural_virality"]]))
    p = d.get("promoters")
    if p:
        out += ["## 6. Recommended promoters", "", *lead("promoters"),
                _md_table(pd.DataFrame([{"seed set": "recommended", "spread": p["spread"]}] +
                                       [{"seed set": x["name"], "spread": x["spread"]}
                                        for x in p["baselines"]]))]
        if p["winner"] != p["method"]:
            out += ["", _md(p["reason"]) + "."]
    text = "\n".join(out)
    if report.compare is not None:
        head = (f"# {_md(report.product)} and {_md(report.compare.product)} side by side\n\n"
                + _md_table(_side_by_side(report)) + "\n")
        text = head + text + "\n---\n\n" + _markdown(report.compare)
    return text


# --------------------------------------------------------------------------- HTML


def _k(path: str, value) -> str:
    return f'<span data-key="{html.escape(path)}">{html.escape(_fmt(value))}</span>'


CSS = """
.diffusion-report{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC",sans-serif;
margin:24px;max-width:1100px;color:#222}
.diffusion-report h1{font-size:24px}
.diffusion-report h2{font-size:19px;margin-top:32px;border-bottom:1px solid #ddd}
.diffusion-report table{border-collapse:collapse;margin:8px 0;font-size:13px}
.diffusion-report td,.diffusion-report th{border:1px solid #ddd;padding:3px 8px;text-align:right}
.diffusion-report th{background:#f3f3f3}
.diffusion-report td.l,.diffusion-report th.l{text-align:left}
.diffusion-report .how{color:#555;font-size:13px;max-width:760px}
.diffusion-report .finding{font-size:15px;font-weight:600;max-width:820px}
.diffusion-report .kpi{display:flex;gap:18px;flex-wrap:wrap}
.diffusion-report .kpi div{background:#f5f8fb;padding:8px 14px;border-radius:6px}
.diffusion-report .kpi b{display:block;font-size:20px}
.diffusion-report svg.chart{border:1px solid #eee;margin:6px 0;max-width:100%;height:auto}
"""


def _html_table(frame: pd.DataFrame, key: str | None = None) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for i, row in enumerate(frame.itertuples(index=False)):
        cells = []
        for c, v in zip(frame.columns, row):
            text = _fmt(v)
            attr = f' data-key="{html.escape(key)}.{i}.{html.escape(str(c))}"' if key else ""
            cls = ' class="l"' if isinstance(v, str) else ""
            cells.append(f"<td{cls}{attr}>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _finding(text: str | None) -> str:
    return f"<p class='finding'>{html.escape(text)}</p>" if text else ""


def _html_one(report: Report, prefix: str = "") -> str:
    d = report.to_dict()
    found = findings(d)
    s = d["summary"]
    p = prefix
    parts = [f"<h1>diffusion report: {html.escape(report.product)}"
             + (f" ({html.escape(s['name'])})" if s["name"] else "") + "</h1>",
             "<h2>1. Summary</h2><div class='kpi'>"]
    for key in ("promoters", "sharers", "endorsers", "buyers", "gift_recipients"):
        parts.append(f"<div>{html.escape(key.replace('_', ' '))}"
                     f"<b>{_k(p + 'summary.' + key, s[key])}</b></div>")
    f = s["funnel"]
    parts.append("</div><p>Funnel: exposed " + _k(p + "summary.funnel.exposed", f["exposed"])
                 + " → endorsed " + _k(p + "summary.funnel.endorsed", f["endorsed"])
                 + " → bought " + _k(p + "summary.funnel.bought", f["bought"]) + ".</p>")
    r = d["reach"]
    parts.append("<h2>2. Six-degree reach</h2>")
    parts.append(_finding(found.get("reach")))
    if r:
        parts.append(f"<p>{_k(p + 'reach.reached', r['reached'])} users within "
                     f"{r['hops']} hops of {_k(p + 'reach.seeds', r['seeds'])} seed(s) "
                     f"({html.escape(', '.join(r['roles']))}), "
                     f"{html.escape(_pct(r['coverage']))} of {r['users']:,} users.</p>")
        parts.append(charts.svg(charts.reach, r, "Reach by hop"))
        parts.append("<p class='how'>How to read this: each bar is the number of users first "
                     "reached at that many friendship hops from the seeds. A tall bar at hop 2 "
                     "or 3 and little after means the product's circles are reached quickly; "
                     "long tails mean the network keeps carrying it.</p>")
        if r["per_seed"]:
            parts.append(_html_table(pd.DataFrame(r["per_seed"]).head(10), p + "reach.per_seed"))
    else:
        parts.append(f"<p>{html.escape('; '.join(report.notes))}</p>")
    e = d["endorsements"]
    b = e["baseline"]
    parts.append("<h2>3. Friend-endorsement influence</h2>")
    parts.append(_finding(found["endorsements"]))
    parts.append(f"<p>Baseline p(0) = {_k(p + 'endorsements.baseline.p', b['p'])}; "
                 f"stickiness {_k(p + 'endorsements.stickiness', e['stickiness'])}; persistence "
                 f"{_k(p + 'endorsements.persistence', e['persistence'])}.</p>")
    parts.append(charts.svg(charts.exposure_curve, e, "Exposure curve p(k) with 95% interval"))
    parts.append("<p class='how'>How to read this: p(k) is the chance of buying between the "
                 "k-th and the (k+1)-th friend who endorsed the product (♡ or share), among "
                 "users who reached k without buying. The band is the 95% Wilson interval. "
                 "Compare it with the baseline p(0): the lift is how much a friend's "
                 "endorsement moves people.</p>")
    if e["curve"]:
        parts.append(_html_table(pd.DataFrame(e["curve"]), p + "endorsements.curve"))
    parts.append("<h3>Structural diversity</h3>" + _finding(found["diversity"]))
    sd = [x for x in e["structural_diversity"] if x["users"] >= e["min_users"]]
    if sd:
        parts.append(_html_table(pd.DataFrame(sd)[["k", "components", "users", "adopters",
                                                   "p", "ci_low", "ci_high"]]))
    parts.append("<p class='how'>How to read this: users with the same number k of endorsing "
                 "friends, split by how many separate groups (connected components of "
                 "friendship) those friends form. Ugander et al. (PNAS 2012) found that "
                 "friends from more groups move people more than the same number from one "
                 "group.</p>")
    inf = d["influencers"]
    if inf["influencers"]:
        parts.append("<h3>Top endorsers</h3>" + _html_table(
            pd.DataFrame(inf["influencers"]).head(10), p + "influencers.influencers"))
    dm = d["domains"]
    parts.append("<h2>4. Channels and domains</h2>")
    parts.append(_finding(found["domains"]))
    ps = dm["public_share"]
    parts.append(f"<p>Public share of exposures {_k(p + 'domains.public_share.exposures.p', ps['exposures']['p'])}"
                 f", of adoptions {_k(p + 'domains.public_share.adoptions.p', ps['adoptions']['p'])}.</p>")
    parts.append(charts.svg(charts.mix, dm, "Channel and domain mix", size=(6.4, 5.2)))
    parts.append("<p class='how'>How to read this: the top panel is the public-domain share "
                 "(feed and search) of exposures and of purchases with 95% intervals, against "
                 "the platform's reported 50% (2021), 67% (2023) and 75% (called ideal), drawn "
                 "as dotted lines. The lower panel splits exposures by channel, green for "
                 "private channels and blue for public ones.</p>")
    c = d["cascades"]["products"][0]
    parts.append("<h2>5. Cascades</h2>")
    parts.append(_finding(found["cascades"]))
    parts.append(f"<p>{_k(p + 'cascades.products.0.cascade_count', c['cascade_count'])} "
                 f"cascades; mean depth {_k(p + 'cascades.products.0.mean_depth', c['mean_depth'])}"
                 f"; mean structural virality "
                 f"{_k(p + 'cascades.products.0.mean_virality', c['mean_virality'])}.</p>")
    parts.append(charts.svg(charts.cascade_ccdf, {"products": [c]},
                            "Cascade size CCDF (log-log)"))
    parts.append("<p class='how'>How to read this: for each size s, the share of cascades with "
                 "at least s users, on log-log axes. A straight, slowly falling line is a heavy "
                 "tail: a few cascades carry most of the spread. Structural virality is the "
                 "mean distance between two users of a tree: near 2 is a broadcast, larger is "
                 "person-to-person spread.</p>")
    if c["cascades"]:
        parts.append(_html_table(pd.DataFrame(c["cascades"]).head(10)[
            ["root", "root_role", "size", "depth", "max_breadth", "structural_virality"]],
            p + "cascades.products.0.cascades"))
    pr = d.get("promoters")
    if pr:
        parts.append("<h2>6. Recommended promoters</h2>")
        parts.append(_finding(found.get("promoters")))
        parts.append(f"<p>Expected spread of the {pr['k']} recommended promoters: "
                     f"{_k(p + 'promoters.spread', pr['spread'])}.</p>")
        parts.append(_html_table(pd.DataFrame(
            [{"seed set": x["name"], "spread": x["spread"]} for x in pr["baselines"]])))
        if pr["winner"] != pr["method"]:
            parts.append(f"<p>{html.escape(pr['reason'])}.</p>")
    return "\n".join(parts)


def _html_side_by_side(report: Report) -> str:
    other = report.compare
    assert other is not None, "side by side needs a compared report"
    a, b = report.to_dict(), other.to_dict()
    rows = "".join(
        f"<tr><td class='l'>{html.escape(label)}</td>"
        f"<td data-key='{html.escape(path)}'>{html.escape(_fmt(_lookup(a, path)))}</td>"
        f"<td data-key='compare.{html.escape(path)}'>{html.escape(_fmt(_lookup(b, path)))}"
        f"</td></tr>" for label, path in SIDE_BY_SIDE)
    return (f"<h1>{html.escape(report.product)} and {html.escape(other.product)} "
            f"side by side</h1><table><tr><th class='l'>measure</th>"
            f"<th>{html.escape(report.product)}</th><th>{html.escape(other.product)}"
            f"</th></tr>{rows}</table>")


def _html(report: Report) -> str:
    body = _html_one(report)
    if report.compare is not None:
        body = (_html_side_by_side(report) + body + "<hr/>"
                + _html_one(report.compare, prefix="compare."))
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'/>"
            f"<title>diffusion report: {html.escape(report.product)}</title>"
            f"<style>{CSS}</style></head><body><div class='diffusion-report'>{body}</div>"
            "<script type='application/json' id='report-json'>"
            + json.dumps(report.to_dict(), ensure_ascii=False).replace("</", "<\\/")
            + "</script></body></html>\n")
