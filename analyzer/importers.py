"""Importers from research formats into the snapshot contract.

Each returns an :class:`ImportSummary` (what was kept, merged and dropped, with
counts) and writes a snapshot that passes validation, atomically. Every rule
for dirty input is in docs/importers.md; the summary counts each one.
"""

from __future__ import annotations

import ast
import json
import re
import tarfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .display import Displayable
from .errors import InputError
from .snapshot import write_snapshot

__all__ = ["ImportSummary", "import_edgelist", "import_cascades", "import_retweet_trees",
           "import_networkx"]

EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
TWITTER_BASE = pd.Timestamp("2015-01-01", tz="UTC")


@dataclass(repr=False)
class ImportSummary(Displayable):
    kind: str
    out: str
    #: problems as found in the input, counted on its raw lines
    found: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    merged: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "out": self.out, "found": self.found, "kept": self.kept, "merged": self.merged,
                "dropped": self.dropped, "notes": self.notes}

    def to_frame(self) -> pd.DataFrame:
        rows = [{"action": action, "what": k, "count": v}
                for action, d in (("found", self.found), ("kept", self.kept),
                                  ("merged", self.merged),
                                  ("dropped", self.dropped)) for k, v in d.items()]
        return pd.DataFrame(rows, columns=["action", "what", "count"])

    def tables(self):
        out = [(f"Imported {self.kind} into {self.out}", self.to_frame())]
        if self.notes:
            out.append(("Notes", pd.DataFrame({"note": self.notes})))
        return out


def _ms(ts: pd.Series | np.ndarray, base: pd.Timestamp, unit: str) -> pd.Series:
    """Milliseconds since the epoch of ``base + ts`` (``unit``: "s", "m", ...). The sum is cast
    to milliseconds explicitly: pandas 2 keeps nanoseconds there, pandas 3 may choose
    microseconds or seconds, so the raw integers differ between them."""
    offset = pd.to_timedelta(np.asarray(ts, dtype="float64"), unit=unit)
    at = (base + offset).as_unit("ms")
    return pd.Series(at.asi8.astype("int64")).astype("Int64")


def _merge_arcs(frame: pd.DataFrame, keys: list[str], p: np.ndarray | None,
                summary: ImportSummary, merged: str) -> pd.DataFrame:
    """One row per distinct ``keys`` of ``frame``, self-loops (the two keys equal)
    dropped and counted; with ``p``, each row's ``probability``: a row listed once
    keeps its value exactly, repeats combine as 1 - prod(1 - p). Repeats are counted
    under ``merged``."""
    loops = (frame[keys[0]] == frame[keys[1]]).to_numpy()
    summary.dropped["self-loops"] = int(loops.sum())
    frame = frame[~loops]
    grouped = None
    if p is not None:
        frame = frame.assign(p=np.asarray(p, dtype="float64")[~loops])
        with np.errstate(divide="ignore"):  # p = 1: log(0) = -inf, and 1 - e^-inf = 1
            frame["q"] = np.log1p(-frame["p"].to_numpy())
        grouped = frame.groupby(keys, sort=False).agg(
            sum=("q", "sum"), size=("q", "size"), first=("p", "first")).reset_index()
        grouped["probability"] = np.where(grouped["size"] == 1, grouped["first"],
                                          -np.expm1(grouped["sum"]))
        grouped = grouped.drop(columns=["sum", "first"])
    else:
        grouped = frame.groupby(keys, sort=False).size().rename("size").reset_index()
    summary.merged[merged] = int((grouped["size"] - 1).sum())
    return grouped.drop(columns=["size"])


def _undirected_pairs(a: np.ndarray, b: np.ndarray, p: np.ndarray | None,
                      summary: ImportSummary) -> pd.DataFrame:
    """Drop self-loops, merge both directions and repeats into one pair; probabilities of
    merged arcs combine as 1 - prod(1 - p)."""
    swap = a > b
    frame = pd.DataFrame({"user_a": np.where(swap, b, a), "user_b": np.where(swap, a, b)})
    return _merge_arcs(frame, ["user_a", "user_b"], p, summary,
                       "arcs merged into an existing pair")


def _directed_arcs(a: np.ndarray, b: np.ndarray, p: np.ndarray | None,
                   summary: ImportSummary) -> pd.DataFrame:
    """Follows from arcs a -> b, read as influence from a to b: b follows a. Self-loops
    are dropped; a repeated arc becomes one follow, its probabilities combined as
    1 - prod(1 - p); b -> a stays a follow of its own."""
    return _merge_arcs(pd.DataFrame({"follower_id": b, "followee_id": a}),
                       ["follower_id", "followee_id"], p, summary,
                       "repeated arcs merged into one follow")


def _users_frame(ids) -> pd.DataFrame:
    return pd.DataFrame({"user_id": pd.unique(pd.Series(list(ids), dtype=object))})


# --------------------------------------------------------------------------- edgelist


def _read_edge_lines(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, sep=r"[\t ,]+", comment="#", header=None, dtype=str,
                            engine="python", skip_blank_lines=True, names=[0, 1, 2])
    except pd.errors.EmptyDataError as exc:
        raise InputError("no edges in file", file=str(path)) from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read edge list: {exc}".replace("\n", " "),
                         file=str(path)) from exc
    if frame.empty:
        raise InputError("no edges in file", file=str(path))
    if frame[1].isna().any():
        line = _data_line(path, int(np.flatnonzero(frame[1].isna().to_numpy())[0]))
        raise InputError("expected `a b` or `a b p`; found one field", file=str(path),
                         line=line, field="b")
    if frame[2].isna().all():
        frame = frame.drop(columns=[2])
    return frame


def _data_line(path: Path, k: int) -> int:
    """Physical line number of the k-th (0-based) data line, skipping blanks and comments."""
    seen = -1
    with open(path, encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            text = line.strip()
            if text and not text.startswith("#"):
                seen += 1
                if seen == k:
                    return number
    return k + 1


#: first lines read as a column header, not as an edge
HEADER_NAMES = {("source", "target"), ("from", "to"), ("src", "dst"), ("u", "v"),
                ("user_a", "user_b"), ("node1", "node2"), ("from_node", "to_node"),
                ("follower", "followee")}


def import_edgelist(sources: list[Path], out: Path, *, directed: bool = False,
                    overwrite: bool = False) -> ImportSummary:
    """SNAP-style edge lists: `a b` or `a b p` per line, `#` comments, optional `n m` header."""
    summary = ImportSummary("edgelist", str(out))
    arcs = []
    for path in sources:
        frame = _read_edge_lines(path)
        # a CSV header naming the columns (source,target; from,to; ...): not an edge
        first = [str(v).strip().lower() for v in frame.iloc[0, :2]]
        named = tuple(first) in HEADER_NAMES
        if named:
            frame = frame.iloc[1:]
            if tuple(first) == ("follower", "followee"):  # the arc of influence is b -> a
                frame = frame.rename(columns={0: 1, 1: 0})[frame.columns]
            summary.notes.append(f"{path.name}: first line `{','.join(first)}` read as a "
                                 "column header")
        # an `n m` header: two integers on the first line, and m data lines after it
        first = frame.iloc[0]
        if named:
            pass
        elif (frame.shape[1] == 3 and pd.isna(first[2])) or frame.shape[1] == 2:
            try:
                n_decl, m_decl = int(first[0]), int(first[1])
                if m_decl == len(frame) - 1 and (frame.shape[1] == 2 or pd.isna(first[2])):
                    frame = frame.iloc[1:]
                    summary.notes.append(f"{path.name}: header line `{n_decl} {m_decl}` read "
                                         "as node and edge counts")
            except ValueError:
                pass
        if frame.shape[1] == 3:
            bad = frame[2].isna()
            if bad.any():
                line = _data_line(path, int(np.flatnonzero(bad.to_numpy())[0]))
                raise InputError("the third column (weight or probability) is missing",
                                 file=str(path), line=line, field="p")
        arcs.append(frame)
    edges = pd.concat(arcs, ignore_index=True)
    summary.kept["lines read"] = len(edges)
    p = None
    if edges.shape[1] == 3:
        p = pd.to_numeric(edges[2], errors="coerce").to_numpy()
        if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
            summary.notes.append("third column is not a probability in [0, 1]; ignored")
            p = None
        else:
            summary.notes.append(
                "third column kept as the follow's probability; repeated arcs combine as "
                "1 - prod(1 - p)" if directed else
                "third column kept as friendship probability; parallel arcs and both "
                "directions combine as 1 - prod(1 - p)")
    a, b = edges[0].to_numpy(object), edges[1].to_numpy(object)
    users = _users_frame(np.concatenate([a, b]))
    summary.kept["users"] = len(users)
    if directed:
        summary.notes.append("directed input: each arc a -> b is a follow, b follows a "
                             "(influence flows from a to b); the friendships table is empty")
        follows = _directed_arcs(a, b, p, summary)
        summary.kept["follows"] = len(follows)
        tables = {"users": users, "friendships": pd.DataFrame(
            {"user_a": pd.Series([], dtype=object), "user_b": pd.Series([], dtype=object)}),
            "follows": follows}
    else:
        pairs = _undirected_pairs(a, b, p, summary)
        summary.kept["friendships"] = len(pairs)
        tables = {"users": users, "friendships": pairs}
    write_snapshot(tables, out, overwrite=overwrite,
                   manifest={"name": Path(out).name, "imported_from": [str(s) for s in sources]})
    return summary


# --------------------------------------------------------------------------- cascades


def _parse_cascades(path: Path) -> tuple[list[str], pd.DataFrame]:
    roots, rows = [], []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            line = line.strip().rstrip(",")
            if not line:
                continue
            root, _, rest = line.partition(" ")
            roots.append(root)
            for item in rest.split(","):
                parts = item.split()
                if len(parts) != 2:
                    raise InputError(f"expected `user timestamp`, found {item!r}",
                                     file=str(path), line=number, field="adoption")
                try:
                    ts = float(parts[1])
                except ValueError as exc:
                    raise InputError(f"timestamp {parts[1]!r} is not a number", file=str(path),
                                     line=number, field="timestamp") from exc
                rows.append((len(roots) - 1, parts[0], ts))
    if not roots:
        raise InputError("no cascades in file", file=str(path))
    return roots, pd.DataFrame(rows, columns=["cascade", "user", "ts"])


def import_cascades(edges_path: Path, cascades_path: Path, out: Path, *,
                    as_kind: str = "purchases", overwrite: bool = False) -> ImportSummary:
    """StackExchange-style cascades (`root user ts,user ts,...`) over an `a,b` graph."""
    summary = ImportSummary("cascades", str(out))
    graph = _read_edge_lines(edges_path)
    roots, adoptions = _parse_cascades(cascades_path)
    summary.kept["cascades (products)"] = len(roots)
    pairs = _undirected_pairs(graph[0].to_numpy(object), graph[1].to_numpy(object), None,
                              summary)
    n_before = len(adoptions)
    adoptions = adoptions.sort_values(["cascade", "ts", "user"], kind="stable")
    adoptions = adoptions.drop_duplicates(["cascade", "user"], keep="first")
    summary.dropped["repeat adoptions of a user in one cascade (kept the earliest)"] = (
        n_before - len(adoptions))
    adoptions = adoptions.reset_index(drop=True)
    users = _users_frame(np.concatenate([graph[0].to_numpy(object), graph[1].to_numpy(object),
                                         np.asarray(roots, dtype=object),
                                         adoptions["user"].to_numpy(object)]))
    in_graph = set(graph[0]) | set(graph[1])
    summary.kept["users"] = len(users)
    summary.kept["users only seen in cascades"] = int((~users["user_id"].isin(in_graph)).sum())
    summary.kept["friendships"] = len(pairs)
    # infer each adopter's sharer: the most recent earlier adopter among its friends
    neighbours: dict[str, set[str]] = defaultdict(set)
    for a, b in zip(pairs["user_a"], pairs["user_b"]):
        neighbours[a].add(b)
        neighbours[b].add(a)
    sharers = []
    from_root = 0
    for cascade, group in adoptions.groupby("cascade", sort=False):
        seen: dict[str, float] = {}
        root = roots[cascade]
        for user, ts in zip(group["user"], group["ts"]):
            best, best_ts = None, -np.inf
            for f in neighbours.get(user, ()):
                t = seen.get(f)
                if t is not None and t < ts and t > best_ts:
                    best, best_ts = f, t
            if best is None:
                best = root
                from_root += 1
            sharers.append(best)
            seen[user] = ts
    adoptions["sharer"] = sharers
    product_ids = [f"cascade-{i + 1:05d}" for i in range(len(roots))]
    adoptions["product_id"] = np.asarray(product_ids, dtype=object)[adoptions["cascade"]]
    adoptions["at"] = _ms(adoptions["ts"], EPOCH, "s").to_numpy()
    products = pd.DataFrame({"product_id": product_ids, "category": "cascade"})
    own_root = (adoptions["sharer"] == adoptions["user"]).to_numpy()
    root_shares = from_root - int(own_root.sum())  # a root adopting its own cascade shares nothing
    summary.dropped["adoptions by the cascade's own root (no share)"] = int(own_root.sum())
    shares = adoptions[~own_root]
    shares = pd.DataFrame({"sharer_id": shares["sharer"], "recipient_id": shares["user"],
                           "product_id": shares["product_id"], "channel": "chat",
                           "at": shares["at"], "inferred": True})
    summary.kept["inferred shares (sharer = latest earlier adopting friend)"] = (
        len(shares) - root_shares)
    summary.kept["inferred shares from the root (no earlier adopting friend)"] = root_shares
    events = pd.DataFrame({"user_id": adoptions["user"], "product_id": adoptions["product_id"],
                           "at": adoptions["at"]})
    summary.kept[as_kind] = len(events)
    first_ts = adoptions.groupby("cascade")["at"].min()
    promotions = pd.DataFrame({"user_id": roots, "product_id": product_ids, "channel": "channels",
                               "at": [first_ts.get(i, 0) for i in range(len(roots))]})
    summary.kept["promotions (one per root)"] = len(promotions)
    summary.notes.append("timestamps are read as seconds since 1970-01-01 UTC; only their order "
                         "and differences are meaningful")
    write_snapshot({"users": users, "friendships": pairs, "products": products,
                    "promotions": promotions, "shares": shares, as_kind: events}, out,
                   overwrite=overwrite, manifest={"name": Path(out).name, "imported_from": [
                       str(edges_path), str(cascades_path)]})
    return summary


# --------------------------------------------------------------------------- retweet trees

_TREE_LINE = re.compile(r"^(\[.*?\])\s*->\s*(\[.*?\])\s*$")


def _tree_files(source: Path):
    """Yield (tweet_id, text) for each tree file, and the label text, from a folder or .tar.gz."""
    if source.is_file() and source.name.endswith((".tar.gz", ".tgz")):
        with tarfile.open(source) as tar:
            labels = None
            trees = []
            for member in tar.getmembers():
                if not member.isfile():
                    continue
                name = member.name
                f = tar.extractfile(member)  # a regular file (checked above) always opens
                assert f is not None
                if name.endswith("label.txt"):
                    labels = f.read().decode("utf-8")
                elif "/tree/" in name and name.endswith(".txt"):
                    trees.append((Path(name).stem, name, f.read().decode("utf-8")))
            return labels, trees
    folder = source
    label_file = folder / "label.txt"
    labels = label_file.read_text(encoding="utf-8") if label_file.exists() else None
    trees = [(p.stem, str(p), p.read_text(encoding="utf-8"))
             for p in sorted((folder / "tree").glob("*.txt"))]
    return labels, trees


def import_retweet_trees(source: Path, out: Path, *, overwrite: bool = False) -> ImportSummary:
    """Twitter15/16 propagation trees: `['p','tweet','min']->['c','tweet','min']` lines."""
    summary = ImportSummary("retweet-trees", str(out))
    labels_text, trees = _tree_files(source)
    if not trees:
        raise InputError("no tree files found (expected tree/<tweet_id>.txt)", file=str(source))
    labels = {}
    if labels_text:
        for number, line in enumerate(labels_text.splitlines(), start=1):
            if not line.strip():
                continue
            label, _, tweet = line.strip().partition(":")
            if not tweet:
                raise InputError("expected `label:tweet_id`", file=f"{source}:label.txt",
                                 line=number, field="label")
            labels[tweet] = label
    counts: defaultdict[str, int] = defaultdict(int)
    share_parts, promo_rows = [], []
    for tweet_id, name, text in sorted(trees):
        rows = []
        seen_lines = set()
        root_user = None
        raw_parents: dict[str, set] = defaultdict(set)
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            m = _TREE_LINE.match(line)
            try:
                if m is None:
                    raise ValueError("not a tree line")
                parent, child = ast.literal_eval(m.group(1)), ast.literal_eval(m.group(2))
                pm, cm = float(parent[2]), float(child[2])
            except (AttributeError, ValueError, SyntaxError, IndexError, TypeError) as exc:
                raise InputError("expected ['uid', 'tweet', 'minutes']->['uid', 'tweet', "
                                 "'minutes']", file=name, line=number, field="edge") from exc
            # dirt as found, on raw lines (duplicates included)
            counts["found: edges whose tweet id is not the source tweet"] += child[1] != tweet_id
            if parent[0] != "ROOT":
                counts["found: self-loops"] += parent[0] == child[0]
                counts["found: children timed before their parent"] += cm < pm
                raw_parents[child[0]].add(parent[0])
            if line in seen_lines:
                counts["found: duplicate lines"] += 1
                continue
            seen_lines.add(line)
            if parent[0] == "ROOT":
                root_user = child[0]
                promo_rows.append((child[0], tweet_id, cm))
                continue
            rows.append((parent[0], parent[1], pm, child[0], child[1], cm))
        counts["found: users with more than one parent"] += sum(
            len(v) > 1 for v in raw_parents.values())
        frame = pd.DataFrame(rows, columns=["p", "pt", "pm", "c", "ct", "cm"])
        if root_user is None:
            counts["kept: trees without a ROOT line (root = first parent)"] += 1
            if len(frame):
                promo_rows.append((frame["p"].iloc[0], tweet_id, float(frame["pm"].iloc[0])))
        counts["dropped: duplicate lines"] = counts["found: duplicate lines"]
        counts["kept: edges whose tweet id is not the source tweet"] += int(
            (frame["ct"] != tweet_id).sum())
        loops = frame["p"] == frame["c"]
        counts["dropped: self-loops"] += int(loops.sum())
        frame = frame[~loops]
        early = frame["cm"] < frame["pm"]
        counts["kept: children timed before their parent, time set to the parent's"] += int(
            early.sum())
        frame.loc[early, "cm"] = frame.loc[early, "pm"]
        before = len(frame)
        frame = frame.sort_values(["cm", "pm", "p"], kind="stable").drop_duplicates("c")
        counts["dropped: edges to a user's later parents (the earliest is kept)"] += (
            before - len(frame))
        frame = frame.assign(product_id=tweet_id)
        share_parts.append(frame)
    shares_raw = pd.concat(share_parts, ignore_index=True)
    promos = pd.DataFrame(promo_rows, columns=["user_id", "product_id", "minutes"]).drop_duplicates(
        ["user_id", "product_id"])
    shares = pd.DataFrame({"sharer_id": shares_raw["p"], "recipient_id": shares_raw["c"],
                           "product_id": shares_raw["product_id"], "channel": "moments",
                           "at": _ms(shares_raw["cm"], TWITTER_BASE, "m").to_numpy()})
    promotions = pd.DataFrame({"user_id": promos["user_id"], "product_id": promos["product_id"],
                               "channel": "channels",
                               "at": _ms(promos["minutes"], TWITTER_BASE, "m").to_numpy()})
    summary.merged["shares at the same time between the same users (one kept)"] = int(
        shares.duplicated(["sharer_id", "recipient_id", "product_id", "at"]).sum())
    shares = shares.drop_duplicates(["sharer_id", "recipient_id", "product_id", "at"])
    product_ids = sorted(t for t, _, _ in trees)
    products = pd.DataFrame({"product_id": product_ids,
                             "category": [labels.get(t) for t in product_ids]})
    friendships = _undirected_pairs(shares["sharer_id"].to_numpy(object),
                                    shares["recipient_id"].to_numpy(object), None, summary)
    summary.dropped.pop("self-loops", None)  # none left: counted per tree above
    users = _users_frame(np.concatenate([shares["sharer_id"].to_numpy(object),
                                         shares["recipient_id"].to_numpy(object),
                                         promotions["user_id"].to_numpy(object)]))
    for k, v in counts.items():
        section, _, what = k.partition(": ")
        getattr(summary, section)[what] = int(v)
    summary.kept.update({"products (trees)": len(products), "users": len(users),
                         "shares": len(shares), "promotions (roots)": len(promotions),
                         "friendships (derived from shares)": len(friendships)})
    summary.notes.append("there is no friendship graph: friendships are derived from the share "
                         "edges (sharer and recipient become friends)")
    summary.notes.append("times are minutes after 2015-01-01T00:00Z; only order and differences "
                         "are meaningful")
    write_snapshot({"users": users, "friendships": friendships, "products": products,
                    "promotions": promotions, "shares": shares}, out, overwrite=overwrite,
                   manifest={"name": Path(out).name, "imported_from": [str(source)]})
    return summary


# --------------------------------------------------------------------------- networkx


def networkx_tables(g, summary: ImportSummary | None = None) -> dict[str, pd.DataFrame]:
    """A networkx graph as users and friendships tables: node ids (as text) are user ids,
    with the node attributes ``name``, ``age_group``, ``region`` and ``joined_at``; each
    edge a friendship with its ``since`` (the earliest of merged arcs) and ``probability``
    (merged arcs combine as 1 - prod(1 - p)) when every edge has one. Self-loops go."""
    summary = summary or ImportSummary("networkx", "")
    users = pd.DataFrame({"user_id": [str(n) for n in g.nodes]})
    for attr in ("name", "age_group", "region", "joined_at"):
        values = [g.nodes[n].get(attr) for n in g.nodes]
        if any(v is not None for v in values):
            users[attr] = values if attr == "joined_at" else \
                [None if v is None else str(v) for v in values]
    a = np.array([str(u) for u, _ in g.edges()], dtype=object)
    b = np.array([str(v) for _, v in g.edges()], dtype=object)
    probs = [d.get("probability") for _, _, d in g.edges(data=True)]
    p = np.array(probs, dtype="float64") if probs and all(x is not None for x in probs) else None
    pairs = _undirected_pairs(a, b, p, summary)
    since = [d.get("since") for _, _, d in g.edges(data=True)]
    if since and any(s is not None for s in since):
        arcs = pd.DataFrame({"user_a": np.where(a <= b, a, b), "user_b": np.where(a <= b, b, a),
                             "since": pd.to_datetime(pd.Series(since, dtype=object), utc=True)})
        first = arcs.groupby(["user_a", "user_b"], sort=False)["since"].min().reset_index()
        pairs = pairs.merge(first, on=["user_a", "user_b"], how="left")
    return {"users": users, "friendships": pairs}


def import_networkx(source: Path, out: Path, *, overwrite: bool = False) -> ImportSummary:
    """A node-link JSON or GraphML file: nodes become users, edges friendships."""
    import networkx as nx

    summary = ImportSummary("networkx", str(out))
    try:
        if source.suffix.lower() == ".graphml":
            g = nx.read_graphml(source)
        else:
            data = json.loads(source.read_text(encoding="utf-8"))
            g = nx.node_link_graph(data, edges="links" if "links" in data else "edges")
    except FileNotFoundError as exc:
        raise InputError("file does not exist", file=str(source)) from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", file=str(source), line=exc.lineno) from exc
    except (nx.NetworkXError, KeyError, TypeError, ValueError) as exc:
        raise InputError(f"not a networkx graph: {exc}", file=str(source)) from exc
    if g.is_directed():
        summary.notes.append("directed graph: a->b and b->a become one undirected friendship")
    tables = networkx_tables(g, summary)
    users, pairs = tables["users"], tables["friendships"]
    summary.kept["users"] = len(users)
    summary.kept["friendships"] = len(pairs)
    write_snapshot({"users": users, "friendships": pairs}, out, overwrite=overwrite,
                   manifest={"name": Path(out).name, "imported_from": [str(source)]})
    return summary
