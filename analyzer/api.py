"""The notebook entry points: ``analyzer.connect()`` and ``analyzer.open_snapshot()``.

Both return a :class:`Session` whose methods are the analyses the CLI runs (the
CLI commands call these same methods). Every result has ``to_frame()`` (pandas)
and ``to_dict()`` (the documented JSON).

    import analyzer
    s = analyzer.open_snapshot("analyzer/samples/tea-circle")
    s.reach("p-tea", roles=["promoters", "sharers"]).to_frame()
    s.endorsements("p-tea", min_users=1).curve
    s.promoters(k=2, product="p-tea", p=0.3).to_dict()
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .errors import DiffusionError, InputError

if TYPE_CHECKING:
    from .engines.contract import Engine

__all__ = ["Session", "connect", "open_snapshot", "write_snapshot"]


def _ids(value) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [v for v in value.split(",") if v != ""]
    return [str(v) for v in value]


def _roles(value) -> list[str]:
    if value is None:
        return ["promoters"]
    return [r.strip() for r in (value.split(",") if isinstance(value, str) else value)
            if r.strip()]


class Session:
    """One place to ask every question, on Neo4j or on a snapshot."""

    def __init__(self, *, runner=None, snapshot=None, engine: Engine | None = None) -> None:
        """On a Neo4j ``runner``, a validated ``snapshot``, or an ``engine`` already made."""
        from .engines import open_engine

        if engine is None:
            engine = open_engine(runner=runner, snapshot=snapshot)
        elif runner is not None or snapshot is not None:
            raise ValueError("a Session reads from an engine, a runner or a snapshot: one")
        self.backend: Engine = engine

    # ------------------------------------------------------------------ plumbing

    @property
    def engine(self) -> str:
        """"neo4j" or "memory", as every result names it."""
        return self.backend.name

    @property
    def runner(self):
        """The Neo4j runner, on a database (None on a snapshot)."""
        return getattr(self.backend, "runner", None)

    @property
    def snap(self):
        """The snapshot, on a snapshot (None on a database)."""
        return getattr(self.backend, "snap", None)

    def source(self):
        """A row source. Sources keep their answers for their lifetime, so each call gives a
        fresh one, except inside :meth:`shared_rows`, where every analysis shares one."""
        if getattr(self, "_shared", None) is not None:
            return self._shared
        return self.backend.source()

    def shared_rows(self):
        """Context in which every analysis reads from one source, so rows several analyses
        need (a report's endorsements, members, tree edges) are fetched once."""
        import contextlib

        @contextlib.contextmanager
        def scope():
            outer = getattr(self, "_shared", None)
            self._shared = outer or self.source()
            try:
                yield self._shared
            finally:
                self._shared = outer

        return scope()

    @property
    def graph(self):
        """The friendship graph projected into CSR arrays (once per session), users in id
        order on every engine."""
        return self.backend.graph()

    def products(self, product: str | None = None, all_products: bool = False) -> list[str]:
        if product and all_products:
            raise InputError("give a {product} or {all_products}, not both", field="product",
                             params=("all_products",))
        return self.source().resolve(product, all_products)

    def most_shared_product(self) -> str:
        """The product with the most shares (ties: the smallest id)."""
        counts = self.backend.share_counts()
        if not counts:
            raise InputError("the data has no products", field="most_shared")
        return min(counts, key=lambda p: (-counts[p], p))

    def product_users(self, product: str, roles) -> list[str]:
        from . import reach as R

        roles = _roles(roles)
        shared = getattr(self, "_shared", None)
        if shared is not None:  # inside shared_rows: fetch the product's roles once
            cache = shared.__dict__.setdefault("_product_roles", {})
            if product not in cache:
                cache[product] = self.backend.product_roles(product)
            wanted = R.ROLES if "all" in roles else roles
            return sorted(set().union(*(cache[product][r] for r in wanted if r in
                                        cache[product])))
        return self.product_users_uncached(product, roles)

    def product_users_uncached(self, product: str, roles) -> list[str]:
        return self.backend.product_seeds(product, _roles(roles))

    def _seeds(self, product, roles, users) -> list[str]:
        seeds = _ids(users)
        if seeds is None:
            if not product:
                raise InputError("give a {product} or {users}", field="product", params=("users",))
            seeds = self.product_users(product, roles)
            if not seeds:
                raise DiffusionError(f"product {product} has no users in role(s) "
                                     f"{', '.join(_roles(roles))}; nothing to start from "
                                     f"(try roles='all')")
        return seeds

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<diffusion Session {self.engine} {self.backend.where}>"

    # ------------------------------------------------------------------ analyses

    def reach(self, product: str | None = None, *, roles=None, users=None, hops: int = 6,
              engine: str | None = None, per_seed: bool = True, overlap: bool | None = None,
              over: str = "both"):
        """Users within 1..``hops`` ties of the seeds, along the ties ``over`` names
        (:meth:`tie_graph`): influence reaches a friend either way and a follower from
        the followee."""
        from . import reach as R

        seeds = self._seeds(product, roles, users)
        of = product if users is None else None
        named = _roles(roles) if users is None else []
        graph = self.tie_graph(over)
        used = self._over_used(graph, over)
        if (engine or self.engine) == "neo4j":  # counted by the database itself
            return self.backend.reach_in_database(seeds, hops, per_seed=per_seed,
                                                  overlap=overlap, product=of, roles=named,
                                                  over=used)
        return R.reach_memory(graph, seeds, hops, per_seed=per_seed, overlap=overlap,
                              product=of, roles=named, over=used)

    def degrees(self, *, max_hops: int = 6, sample: int | None = None, seed: int = 0):
        from .separation import degrees_of_separation

        return degrees_of_separation(self.graph, max_hops=max_hops, sample=sample, seed=seed)

    def endorsements(self, product: str | None = None, *, all_products: bool = False,
                     signals="likes,shares", adoption: str = "purchases",
                     min_users: int = 20):
        from . import influence as I

        likes, shares = I.parse_signals(signals)
        return I.endorsements(self.source(), self.products(product, all_products), likes=likes,
                              shares=shares, purchases=adoption == "purchases",
                              min_users=min_users)

    def influencers(self, product: str | None = None, *, all_products: bool = False,
                    window="7d", credit: str = "fractional", signals="likes,shares",
                    adoption: str = "purchases", top: int = 20):
        from . import influence as I

        likes, shares = I.parse_signals(signals)
        return I.influencers(self.source(), self.products(product, all_products),
                             window_ms=_window(window), credit=credit, likes=likes,
                             shares=shares, purchases=adoption == "purchases", top=top)

    def feed(self, user: str, *, at=None, top: int = 20, signals="likes"):
        from . import influence as I

        likes, shares = I.parse_signals(signals)
        at_ms = None if at is None else (at if isinstance(at, int) else I.parse_time(str(at)))
        return I.feed(self.source(), user, at=at_ms, likes=likes, shares=shares, top=top)

    def domains(self, product: str | None = None, *, all_products: bool = False,
                window="7d"):
        from . import influence as I

        return I.domains(self.source(), self.products(product, all_products),
                         window_ms=_window(window))

    def cascades(self, product: str | None = None, *, all_products: bool = False,
                 top: int = 20, compare: str | None = None):
        from . import cascades as C

        source = self.source()
        products = self.products(product, all_products)
        if compare:
            if all_products:
                raise InputError("{compare} takes one product, not all", field="compare")
            products = products + source.check_products([compare])
        result = C.cascades(source, products, top=top)
        if compare:
            result.comparison = C.compare_cascades(result, products[0], compare)
        return result

    def history(self, *, window="7d", prior_strength: float = 20.0):
        from .history import estimate_history

        return estimate_history(self.source(), self.graph, window_ms=_window(window),
                                prior_strength=prior_strength)

    def tie_graph(self, over: str = "both"):
        """The graph influence travels over: ``friendships`` (both ways), ``follows``
        (followee to follower) or ``both``; with no follows in the data, ``both`` is the
        friendship graph. Users are numbered as in :attr:`graph`."""
        from .graph import with_follows

        if over == "friendships":
            return self.graph
        cache = self.__dict__.setdefault("_tie_graphs", {})
        if over not in cache:
            followee, follower, _ = self.backend.follows()
            cache[over] = with_follows(self.graph, followee, follower, over)
        return cache[over]

    def _over_used(self, graph, over: str) -> str:
        """The ties ``graph`` holds: ``both`` without follows in the data is friendships."""
        return "friendships" if graph is self.graph else over

    def _column_weights(self, over: str):
        """Each arc's stored probability on ``tie_graph(over)``: a friendship's on both of
        its arcs, a follow's on its arc; a friendship and a follow along one arc combine
        as independent chances."""
        import numpy as np

        graph = self.tie_graph(over)
        if graph is self.graph:
            return self.backend.friendship_probabilities()
        src, dst, values = [], [], []
        if over == "both" and self.graph.n_arcs:
            src.append(self.graph.arc_sources())
            dst.append(self.graph.indices.astype(np.int64))
            values.append(self.backend.friendship_probabilities())
        followee, follower, p = self.backend.follows(probabilities=True)
        assert p is not None  # asked for: the engine raises rather than leave it out
        src.append(followee)
        dst.append(follower)
        values.append(p)
        return graph.combined_arc_values(np.concatenate(src), np.concatenate(dst),
                                         np.concatenate(values))

    def _weights(self, p, model, window, prior_strength, over: str = "friendships"):
        from .history import lt_scaled
        from .simulate import edge_probabilities, reverse_arcs

        graph = self.tie_graph(over)
        if p == "column":
            forward = self._column_weights(over)
            if model == "ic":
                # symmetric: both arcs of a friendship carry its value, reversed the same
                return (forward, forward if not graph.directed
                        else reverse_arcs(graph, forward)), None
            # LT: weights as stored, scaled where a user's sum past 1 (no longer symmetric)
            forward = lt_scaled(graph, forward)
            return (forward, reverse_arcs(graph, forward)), None
        if p != "history":
            return edge_probabilities(graph, p, model), None
        if graph is not self.graph:  # follows in the graph
            raise InputError("{p} history learns each friendship's chance from the shares "
                             "between friends; with follows in the graph use {over} "
                             "friendships, or another {p}", field="p", params=("over",))
        learned = self.history(window=window, prior_strength=prior_strength)
        forward = learned.forward if model == "ic" else learned.lt_weights(self.graph)
        return (forward, reverse_arcs(self.graph, forward)), learned

    def simulate(self, product: str | None = None, *, roles=None, users=None,
                 model: str = "ic", p="weighted-cascade", runs: int = 1000, seed: int = 0,
                 window="7d", prior_strength: float = 20.0, progress=None,
                 over: str = "both"):
        """``progress(stage, done, total)``, if given, follows the runs. ``over``: the
        ties influence travels over (:meth:`tie_graph`)."""
        from .simulate import simulate as run

        seeds = self._seeds(product, roles, users)
        weights, learned = self._weights(p, model, window, prior_strength, over)
        graph = self.tie_graph(over)
        result = run(graph, seeds, model=model, p=p, runs=runs, seed=seed,
                     weights=weights[0], progress=progress)
        result.history, result.over = learned, self._over_used(graph, over)
        return result

    def promoters(self, k: int, *, product: str | None = None, model: str = "ic",
                  p="weighted-cascade", method: str = "opim", eps: float = 0.5,
                  ell: float = 1.0, exclude_current: bool = False, candidates: str = "all",
                  runs: int = 1000, seed: int = 0, max_memory_gib: float | None = None,
                  window="7d", prior_strength: float = 20.0, progress=None,
                  best_of: bool = True, over: str = "both", hist: bool | None = None):
        """``progress(stage, done, total)``, if given, is called as RR sets are drawn (total:
        the sets the current stage needs) and after each forward check of a seed set. With
        ``best_of``, a degree or PageRank seed set that reaches clearly further than the
        opim, imm or celf pick is returned instead (see ``result.winner``). ``over``: the
        ties influence travels over (:meth:`tie_graph`). ``hist``: OPIM-C with HIST's
        sentinels (True), without (False), or when a pilot finds RR sets large (None)."""
        import numpy as np

        from . import reach as R
        from .simulate import promoters as pick

        if (exclude_current or candidates != "all") and not product:
            raise InputError("{exclude_current} and {candidates} need a {product}",
                             field="product", params=("exclude_current", "candidates"))
        graph = self.tie_graph(over)
        current = self.product_users(product, ["promoters"]) if product else None
        allowed = np.ones(graph.n_users, dtype=bool)
        if candidates != "all":
            if candidates not in R.ROLES:
                raise InputError(f"{{candidates}} must be all or one of {', '.join(R.ROLES)}",
                                 field="candidates")
            allowed[:] = False
            assert product is not None  # refused above without one
            pool = self.product_users(product, [candidates])
            if pool:
                allowed[graph.positions(pool)] = True
        if exclude_current and current:
            allowed[graph.positions(current)] = False
        if not allowed.any():
            raise InputError("no {candidates} are left to pick from", field="candidates")
        weights, learned = self._weights(p, model, window, prior_strength, over)
        result = pick(graph, k, method=method, model=model, p=p, eps=eps, ell=ell, seed=seed,
                      allowed=allowed, current=current or None, check_runs=runs,
                      max_bytes=None if max_memory_gib is None else max_memory_gib * 2**30,
                      weights=weights, progress=progress, best_of=best_of, hist=hist)
        result.history, result.over = learned, self._over_used(graph, over)
        return result

    def report(self, product: str, **options):
        from .report import build_report

        from . import influence as I

        with self.shared_rows() as source:
            # a Neo4j source starts the report's reads at once, on two sessions
            I.prefetch(source, I.report_reads([product],
                                              window_ms=_window(options.get("window", "7d"))))
            return build_report(self, product, **options)

    def _people_tables(self):
        """The users and friendships tables (the snapshot's, or exported from Neo4j)."""
        return self.backend.people_tables()

    def to_networkx(self, product: str | None = None):
        """The friendship graph as a networkx Graph with attributes: each node its user's
        columns (``name``, ``age_group``, ``region``, ``joined_at`` as a UTC
        ``pandas.Timestamp``), each edge its ``since`` and ``probability`` where the data
        has them. With ``product``, only the product's users (promoters, sharers,
        endorsers, buyers, gift senders and recipients) and their friendships; each node
        then also has ``roles`` (its roles for the product, a sorted list), and the
        product's shares and gifts form a DiGraph in ``graph.graph["cascade"]``."""
        import networkx as nx
        import pandas as pd

        from . import reach as R
        from .times import utc_times

        users, friendships = self._people_tables()
        g = nx.Graph()
        g.add_nodes_from(sorted(users["user_id"]))  # in id order, as the projection numbers them
        for col in users.columns:
            if col == "user_id":
                continue
            values = utc_times(users[col]) if col.endswith("_at") else users[col]
            nx.set_node_attributes(g, {u: v for u, v in zip(users["user_id"], values)
                                       if not pd.isna(v)}, col)
        kept = [c for c in ("since", "probability") if c in friendships.columns]
        attrs = {c: utc_times(friendships[c]) if c == "since" else friendships[c]
                 for c in kept}
        for i, (a, b) in enumerate(zip(friendships["user_a"], friendships["user_b"])):
            g.add_edge(a, b, **{c: attrs[c].iloc[i] for c in kept
                                if not pd.isna(attrs[c].iloc[i])})
        if product is None:
            return g
        source = self.source()
        source.check_products([product])
        members = source.members([product])
        with self.shared_rows():  # every role from one read
            roles = {r: set(self.product_users(product, [r])) for r in R.ROLES}
        people = set().union(*roles.values()) | set(members["user_id"])
        sub = g.subgraph(people).copy()
        for u in sub.nodes:
            sub.nodes[u]["roles"] = sorted(r for r, who in roles.items() if u in who)
        cascade = nx.DiGraph()
        edges = source.tree_edges([product])
        cascade.add_nodes_from(members["user_id"])
        cascade.add_edges_from(zip(edges["parent"], edges["child"]))
        sub.graph["product"] = product
        sub.graph["cascade"] = cascade
        return sub


def _window(value) -> int:
    from .influence import parse_window

    return value if isinstance(value, int) else parse_window(value)


def connect(uri: str | None = None, user: str | None = None, password: str | None = None,
            database: str | None = None, *, auth: tuple[str, str] | None = None,
            timeout: float | None = None, home: str | Path | None = None) -> Session:
    """A session on Neo4j. What is not given comes from NEO4J_URI, NEO4J_USERNAME,
    NEO4J_PASSWORD and NEO4J_DATABASE, then from the project's own server on the URI's port
    (its home keeps the password; ``home`` names that home if it is not the registered
    one). ``auth=(user, password)`` is the driver's spelling of user and password;
    ``timeout`` bounds each query, in seconds."""
    from .db import ConnectionSettings, Runner

    if auth is not None:
        if user is not None or password is not None:
            raise InputError("give auth=(user, password) or user and password, not both",
                             field="auth")
        user, password = auth
    return Session(runner=Runner(ConnectionSettings(
        uri, user, password, database, home=Path(home) if home else None, timeout=timeout)))


def open_snapshot(data, *, spark=None) -> Session:
    """A session on a snapshot: a directory, or data in memory (a networkx graph, or a
    mapping such as ``{"users": df, "friendships": df, "likes": ...}`` of pandas, Arrow or
    polars tables; see :func:`analyzer.tables.snapshot_from`). Validated, held in memory.

    With ``spark`` (a ``SparkSession``), the ``sql/`` rules run on it as Spark SQL
    (:mod:`analyzer.engines.spark`); traversals stay on the kernels."""
    import os

    if isinstance(data, (str, os.PathLike)):
        from .snapshot import read_snapshot

        snap = read_snapshot(Path(data))
    else:
        from .tables import snapshot_from

        snap = snapshot_from(data)
    if spark is None:
        return Session(snapshot=snap)
    from .engines.spark import SparkEngine

    return Session(engine=SparkEngine(snap, spark))


def write_snapshot(data, out, *, fmt: str = "csv", overwrite: bool = False) -> Path:
    """Write in-memory ``data`` (as :func:`open_snapshot` takes it) to a snapshot directory,
    after the same validation; the directory appears whole or not at all."""
    from .snapshot import write_snapshot as write
    from .tables import snapshot_from

    snap = snapshot_from(data, name=Path(out).name)
    return write(snap.tables, out, fmt=fmt, overwrite=overwrite,  # type: ignore[arg-type]
                 manifest={"name": Path(out).name})
