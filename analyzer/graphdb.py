"""Moving snapshots in and out of Neo4j: load, export, stats.

Loading validates first and writes nothing when the snapshot has errors. It
creates the constraints and indexes from ``cypher/schema/``, then sends each
table in batches as columnar ``$parameters`` (one list per column) inside
managed write transactions. Nodes are MERGEd; event relationships are MERGEd
on their identifying properties; friendships take a CREATE fast path while
the database has none, and a MERGE path otherwise, so a load interrupted
partway can simply be run again. See docs/loading.md.
"""

from __future__ import annotations


import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .db import Runner
from .display import Displayable
from .errors import DatabaseUnavailable, DiffusionError, InputError, ProjectionRefused
from .progress import report, step
from .schema import TABLES
from .snapshot import Snapshot, write_snapshot

__all__ = ["LoadResult", "GraphStats", "load_snapshot", "export_snapshot", "graph_stats",
           "wipe", "ensure_schema", "REL_OF_TABLE"]

SCHEMA_MODULES = ("schema/user_id_unique", "schema/product_id_unique",
                  "schema/shared_product_index", "schema/gifted_product_index",
                  "schema/load_lock_unique", "schema/await_indexes")
#: Rows deleted per transaction when emptying the database.
WIPE_BATCH = 50_000
#: Which relationship count (admin/rel_count) each relationship table feeds.
REL_OF_TABLE = {"friendships": "friend", "follows": "follows", "promotions": "promoted",
                "shares": "shared", "likes": "liked", "purchases": "purchased",
                "gifts": "gifted", "exposures": "exposed"}
NODE_OF_TABLE = {"users": "users", "products": "products"}

Progress = Callable[[str, int, int], None]  # (table, rows done, rows total)


@dataclass(repr=False)
class LoadResult(Displayable):
    snapshot: str
    uri: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    note: str = ""
    #: the projection the server built after the load: its ``key`` (database and last
    #: transaction), ``users``, ``friendships`` (both directions) and ``seconds``; None
    #: when not built (no diffusion procedures on the server, refused, ``project=False``)
    projection: dict | None = None

    def to_dict(self) -> dict:
        return {"snapshot": self.snapshot, "uri": self.uri, "tables": [
            {"table": t, "rows": n, "seconds": round(self.seconds[t], 3),
             "rows_per_second": round(n / self.seconds[t]) if self.seconds[t] > 0 else None,
             "path": self.paths[t]} for t, n in self.rows.items()],
            "counts": dict(self.counts), "note": self.note,
            "projection": None if self.projection is None else dict(self.projection)}

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.to_dict()["tables"])

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        counts = pd.DataFrame([{"type": k, "count": v} for k, v in self.counts.items()])
        return [(f"Loaded {self.snapshot} into {self.uri}", self.to_frame()),
                ("Database counts after loading", counts)]


def ensure_schema(runner: Runner) -> None:
    for module in SCHEMA_MODULES:
        runner.run(module)


def wipe(runner: Runner, *, progress: Progress | None = None,
         batch: int = WIPE_BATCH) -> int:
    """Empty the database: relationships first, then nodes, ``batch`` at a time, so that no
    transaction holds a dense node's millions of relationships at once. Returns how many
    nodes and relationships were deleted. The load lock's node stays."""
    progress = progress or report
    totals = runner.run("admin/totals")[0]
    total = int(totals["nodes"]) + int(totals["relationships"])
    done = 0
    progress("wipe", 0, total)
    for module in ("admin/wipe_relationships", "admin/wipe_nodes"):
        while True:
            deleted = int(runner.run(module, batch=batch)[0]["deleted"])
            done += deleted
            progress("wipe", min(done, total), total)
            if deleted < batch:
                break
    return done


LOCK = "load"


@contextmanager
def load_lock(runner: Runner, *, echo: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the database's load lock for the block: a second load waits until the first
    ends (its counts then see the first's rows, so friendships are merged, not duplicated).
    The lock is a write lock on one node, taken by a transaction that stays open; a load
    whose client dies releases it with its connection."""
    import os
    import socket

    runner.run("schema/load_lock_unique")
    runner.run("admin/lock_node", name=LOCK)
    holder = f"{socket.gethostname()}:{os.getpid()}"
    # Waiting is silent for 2 s, then says why (a transaction timeout would bound the whole
    # load, not just the wait, so the note comes from a timer instead).
    waiting = threading.Timer(2.0, echo or (lambda _msg: None), args=(
        "another diffusion load is writing to this database; waiting for it to finish",))
    waiting.daemon = True
    with ExitStack() as held:
        waiting.start()
        try:
            held.enter_context(runner.holding("admin/lock_take", name=LOCK, holder=holder,
                                              metadata={"diffusion": "load"}))
        finally:
            waiting.cancel()
        yield


def fingerprint(snap: Snapshot) -> str:
    """A snapshot's identity for the database: its users' and products' ids, hashed (the same
    snapshot, or a resumed load of it, has the same one; another network has another)."""
    import hashlib

    h = hashlib.sha256()
    for table, column in (("users", "user_id"), ("products", "product_id")):
        frame = snap.get(table)
        ids = np.sort(frame[column].to_numpy(dtype=object).astype(str)) if frame is not None \
            else np.array([], dtype=str)
        h.update(f"{table}:{len(ids)}\n".encode())
        h.update(pd.util.hash_array(ids.astype(object), categorize=False).tobytes())
    return h.hexdigest()[:32]


def _check_identity(runner: Runner, snap: Snapshot, *, merge: bool) -> tuple[list, list]:
    """The identity to record after loading ``snap``; refuses a snapshot other than the one
    the database holds unless ``merge``."""
    got = runner.run("admin/identity")[0]
    names, prints = list(got["names"]), list(got["fingerprints"])
    mine = fingerprint(snap)
    if mine in prints:
        return names, prints
    counts = database_counts(runner)
    occupied = counts["users"] or counts["products"]
    if occupied and not merge:
        held = (f"snapshot {', '.join(repr(n) for n in names)}" if names
                else f"{counts['users']:,} users from a load that recorded no snapshot")
        raise DiffusionError(
            f"the database already holds {held}, not {snap.name!r}; loading it on top would "
            f"mix two networks. Pass --replace to empty the database first, or --merge to "
            f"add this snapshot to what is there")
    if not occupied:
        names, prints = [], []
    return names + [snap.name], prints + [mine]


def database_counts(runner: Runner) -> dict[str, int]:
    counts = runner.run("admin/node_count")[0]
    counts.update(runner.run("admin/rel_count")[0])
    return counts


def _column_lists(frame: pd.DataFrame, names: list[str], start: int, stop: int
                  ) -> dict[str, list]:
    n = stop - start
    out: dict[str, list] = {}
    for name in names:
        if name not in frame.columns:
            out[name] = [None] * n
            continue
        s = frame[name].iloc[start:stop]
        if s.dtype == object:
            out[name] = s.tolist()
        else:
            values = s.astype(object)
            out[name] = values.where(s.notna().to_numpy(), None).tolist()
    return out


def _module_for(table: str, counts: dict[str, int]) -> str:
    # CREATE fast paths while nothing of the kind exists yet; validation has ruled out
    # duplicates inside the snapshot, so CREATE cannot make two of one thing.
    if table == "users":
        return "load/users_create" if counts["users"] == 0 else "load/users"
    if table == "friendships":
        return "load/friendships_create" if counts["friend"] == 0 else "load/friendships_merge"
    return f"load/{table}"


def _friendships_by_node(runner: Runner, snap: Snapshot, frame: pd.DataFrame) -> pd.DataFrame:
    """The friendships with each user replaced by its internal node id, fetched once
    (``load/user_nodes``): a row then costs two id lookups instead of two index seeks."""
    got = runner.run("load/user_nodes")[0]
    nodes = np.asarray(got["node"], dtype=np.int64)
    at = pd.Index(got["user_id"], dtype=object).get_indexer(
        snap["users"]["user_id"].to_numpy(dtype=object))
    if (at < 0).any():
        raise DiffusionError("users of the snapshot are missing from the database after loading "
                             "them; run the load again")
    node_of_row = nodes[at]
    out = pd.DataFrame({"a": node_of_row[snap.codes("friendships", "user_a")],
                        "b": node_of_row[snap.codes("friendships", "user_b")]})
    for column in ("since", "probability"):
        if column in frame.columns:
            out[column] = frame[column].array  # keeps Int64 nulls as nulls, not NaN
    return out


def load_snapshot(runner: Runner, snap: Snapshot, *, replace: bool = False,
                  merge: bool = False, batch_size: int = 10_000,
                  progress: Progress | None = None,
                  echo: Callable[[str], None] | None = None,
                  project: bool = True) -> LoadResult:
    """Load a validated snapshot. Safe to re-run: a second load leaves identical counts.

    The database's load lock is held throughout, so concurrent loads run one after the
    other. A database loaded from another snapshot is refused unless ``replace`` (empty it
    first) or ``merge`` (add this one to it). With ``project``, the server builds the
    projection its procedures answer from once the load is done (:func:`warm_projection`),
    so the first analysis after the load does not wait for it."""
    if batch_size < 1:
        raise InputError("{batch_size} must be at least 1", field="batch_size")
    if replace and merge:
        raise InputError("{replace} empties the database and {merge} adds to it; pass one",
                         field="replace", params=("merge",))
    with load_lock(runner, echo=echo):
        if replace:
            wipe(runner, progress=progress)
        names, prints = _check_identity(runner, snap, merge=merge)
        # recorded before the tables, so that a load interrupted half-way is still this
        # snapshot's, and running it again resumes instead of being refused
        runner.run("admin/identity_set", names=names, fingerprints=prints)
        result = _load_tables(runner, snap, batch_size=batch_size, progress=progress)
    if project:  # after the lock's transaction ended: it is the last write of the load
        warm_projection(runner, result)
    return result


def warm_projection(runner: Runner, result: LoadResult | None = None) -> dict | None:
    """Have the server build its in-heap projection now, as of the database's last
    write, so that the next analysis finds it ready. Returns what was built (``key``,
    ``users``, ``friendships``, ``seconds``; also set as ``result.projection``), or None
    when the server has no diffusion procedures or refuses the projection (the analyses
    then answer through the Cypher modules, as they would anyway); a refusal is told in
    ``result.note``."""
    if "diffusion.projection" not in runner.run("admin/procedures")[0]["names"]:
        return None
    started = time.perf_counter()
    try:
        with step("projection"):
            row = runner.run("admin/projection")[0]
    except ProjectionRefused as exc:
        if result is not None:
            result.note = "; ".join(filter(None, [result.note, f"projection not built: "
                                                  f"{exc.reason}"]))
        return None
    built = {"key": row["key"], "users": int(row["users"]),
             "friendships": int(row["friendships"]),
             "seconds": round(time.perf_counter() - started, 3)}
    if result is not None:
        result.projection = built
    return built


def _load_tables(runner: Runner, snap: Snapshot, *, batch_size: int,
                 progress: Progress | None) -> LoadResult:
    from .cypher import load_module

    progress = progress or report
    ensure_schema(runner)
    counts = database_counts(runner)
    result = LoadResult(snapshot=snap.name, uri=runner.uri)
    for table in TABLES:
        frame = snap.get(table)
        if frame is None:
            continue
        module = _module_for(table, counts)
        if module == "load/friendships_create":
            frame, module = _friendships_by_node(runner, snap, frame), "load/friendships_create_nodes"
        names = [p.name for p in load_module(module).params]
        total = len(frame)
        started = time.perf_counter()
        done = 0
        progress(table, 0, total)
        for start in range(0, total, batch_size):
            stop = min(start + batch_size, total)
            try:
                cols = _column_lists(frame, names, start, stop)
                runner.run(module, **cols)  # type: ignore[arg-type]  # no column is named slots
            except DatabaseUnavailable as exc:
                raise DatabaseUnavailable(
                    f"{exc} -- lost the server while loading {table} (rows {start + 1}-{stop} of "
                    f"{total}; the {done} rows before them are committed). Run the same "
                    f"`diffusion load` again once the server is back: it resumes without "
                    f"duplicates.") from exc
            done = stop
            progress(table, done, total)
        result.rows[table] = total
        result.seconds[table] = time.perf_counter() - started
        result.paths[table] = module
    result.counts = database_counts(runner)
    return result


# --------------------------------------------------------------------------- bulk import

#: How each table becomes a neo4j-admin import file: node label or relationship type,
#: and the header name of each contract column.
_IMPORT_NODES = {
    "users": ("User", {"user_id": "user_id:ID(User)", "joined_at": "joined_at:datetime"}),
    "products": ("Product", {"product_id": "product_id:ID(Product)", "price": "price:double"}),
}
_IMPORT_RELS = {
    "friendships": ("FRIEND", {"user_a": ":START_ID(User)", "user_b": ":END_ID(User)",
                               "since": "since:datetime", "probability": "probability:double"}),
    "follows": ("FOLLOWS", {"follower_id": ":START_ID(User)", "followee_id": ":END_ID(User)",
                            "since": "since:datetime", "probability": "probability:double"}),
    "promotions": ("PROMOTED", {"user_id": ":START_ID(User)", "product_id": ":END_ID(Product)",
                                "at": "at:datetime"}),
    "shares": ("SHARED", {"sharer_id": ":START_ID(User)", "recipient_id": ":END_ID(User)",
                          "at": "at:datetime", "inferred": "inferred:boolean"}),
    "likes": ("LIKED", {"user_id": ":START_ID(User)", "product_id": ":END_ID(Product)",
                        "at": "at:datetime"}),
    "purchases": ("PURCHASED", {"user_id": ":START_ID(User)", "product_id": ":END_ID(Product)",
                                "at": "at:datetime"}),
    "gifts": ("GIFTED", {"giver_id": ":START_ID(User)", "recipient_id": ":END_ID(User)",
                         "at": "at:datetime"}),
    "exposures": ("EXPOSED", {"user_id": ":START_ID(User)", "product_id": ":END_ID(Product)",
                              "at": "at:datetime"}),
}


def _import_file(table: str, frame: pd.DataFrame, headers: dict[str, str], path: Path) -> bool:
    """Write one import CSV; returns whether any text value spans lines."""
    from .times import timestamps_to_iso

    out = pd.DataFrame(index=frame.index)
    multiline = False
    for col in TABLES[table].columns:
        if col.name not in frame.columns:
            continue
        s = frame[col.name]
        if col.kind == "timestamp":
            s = timestamps_to_iso(s)
        elif col.kind == "bool":
            s = s.map({True: "true", False: "false"}, na_action="ignore")
        elif col.kind in ("id", "text", "channel", "domain"):
            multiline |= bool(s.astype("string").str.contains("[\r\n]", regex=True,
                                                              na=False).any())
        out[headers.get(col.name, col.name)] = s
    # A missing optional value is an empty field, which the importer stores as no
    # property. Empty strings cannot occur: validation reads them as missing.
    out.to_csv(path, index=False, encoding="utf-8", lineterminator="\n",
               na_rep="")
    return multiline


def load_fresh(cfg, snap: Snapshot, *, echo=print, project: bool = True) -> LoadResult:
    """Replace the project's own database with the snapshot via the offline bulk importer.

    Stops the server at ``cfg`` if it runs, imports, starts it again and creates
    the constraints and indexes. Everything the database held is replaced. With
    ``project``, the server then builds its projection (:func:`warm_projection`).
    """
    import tempfile

    from .db import ConnectionSettings
    from .server import bulk_import, check_port, start, stop

    check_port(cfg)  # before hours of preparing and importing, not after
    cfg.tx_memory_bytes  # noqa: B018 -- likewise a tx cap the restart would refuse
    result = LoadResult(snapshot=snap.name, uri=cfg.uri)
    with tempfile.TemporaryDirectory(prefix="diffusion-import-") as tmp:
        nodes, rels, multiline = [], [], False
        started = time.perf_counter()
        for i, (table, frame) in enumerate(snap.tables.items()):
            report("prepare import", i, len(snap.tables))
            if table in _IMPORT_NODES:
                label, headers = _IMPORT_NODES[table]
                path = Path(tmp) / f"{table}.csv"
                multiline |= _import_file(table, frame, headers, path)
                nodes.append((label, path))
            else:
                rtype, headers = _IMPORT_RELS[table]
                path = Path(tmp) / f"{table}.csv"
                multiline |= _import_file(table, frame, headers, path)
                rels.append((rtype, path))
        report("prepare import", len(snap.tables), len(snap.tables))
        prepared = time.perf_counter() - started
        was_running = stop(cfg)
        t = time.perf_counter()
        bulk_import(cfg, nodes, rels, multiline=multiline, echo=echo)
        imported = time.perf_counter() - t
    st, _ = start(cfg, echo=echo)
    uri = st.uri
    assert uri is not None  # start() returns a running server's status, with its URI
    with Runner(ConnectionSettings(uri=uri, home=cfg.home)) as runner:
        t = time.perf_counter()
        with step("indexes"):
            ensure_schema(runner)
        schema = time.perf_counter() - t
        result.counts = database_counts(runner)
        runner.run("admin/identity_set", names=[snap.name], fingerprints=[fingerprint(snap)])
        if project:
            warm_projection(runner, result)
    for table, frame in snap.tables.items():
        result.rows[table] = len(frame)
        result.seconds[table] = prepared + imported + schema  # one import for all tables
        result.paths[table] = "neo4j-admin database import full"
    result.uri = uri
    refused = result.note  # set by warm_projection when the server refused
    result.note = "; ".join(filter(None, [
        f"prepared CSV in {prepared:.1f} s, imported in {imported:.1f} s, "
        f"built constraints and indexes in {schema:.1f} s",
        None if result.projection is None
        else f"projected in {result.projection['seconds']:.1f} s",
        None if was_running else "the server was not running and has been started", refused]))
    return result


# --------------------------------------------------------------------------- export


def export_tables(runner: Runner) -> dict[str, pd.DataFrame]:
    """Every table of the snapshot contract, read back from the database."""
    tables: dict[str, pd.DataFrame] = {}
    for name, table in TABLES.items():
        records = runner.run(f"export/{name}")
        frame = pd.DataFrame(records, columns=list(table.column_names))
        if frame.empty and not table.required:
            continue
        for col in table.columns:
            s = frame[col.name]
            if col.kind == "timestamp":
                frame[col.name] = pd.array(s.where(s.notna(), None), dtype="Int64")
            elif col.kind in ("float", "probability"):
                frame[col.name] = pd.to_numeric(s, errors="coerce").astype("float64")
            elif col.kind == "bool":
                frame[col.name] = s.astype("boolean")
            else:
                frame[col.name] = s.astype(object).where(s.notna(), None)
        tables[name] = frame
    return tables


def export_snapshot(runner: Runner, out: str | Path, *, fmt: str = "csv",
                    overwrite: bool = False, name: str | None = None) -> dict[str, int]:
    tables = export_tables(runner)
    manifest = {"name": name or Path(out).name,
                "taken_at": pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ"),
                "exported_from": runner.uri}
    write_snapshot(tables, out, fmt=fmt, manifest=manifest, overwrite=overwrite)  # type: ignore[arg-type]
    return {k: len(v) for k, v in tables.items()}


# --------------------------------------------------------------------------- stats


@dataclass(repr=False)
class GraphStats(Displayable):
    nodes: dict[str, int]
    relationships: dict[str, int]
    degrees: dict[str, float | int | None]
    products: pd.DataFrame
    products_total: int

    def to_dict(self) -> dict:
        return {"nodes": self.nodes, "relationships": self.relationships,
                "degrees": self.degrees, "products_total": self.products_total,
                "products": self.products.to_dict(orient="records")}

    def to_frame(self) -> pd.DataFrame:
        return self.products

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        counts = [{"kind": "node", "type": k, "count": v} for k, v in self.nodes.items()]
        counts += [{"kind": "relationship", "type": k, "count": v}
                   for k, v in self.relationships.items()]
        deg = pd.DataFrame([self.degrees])
        shown = len(self.products)
        title = (f"Products ({shown} of {self.products_total})" if shown < self.products_total
                 else f"Products ({shown})")
        return [("Counts", pd.DataFrame(counts)), ("Friendship degree", deg),
                (title, self.products)]


STATS_ORDER = ("purchases", "shares", "likes", "promoters", "gifts")


def graph_stats(runner: Runner, *, top: int | None = 20, by: str = "purchases") -> GraphStats:
    """Counts by type, the degree distribution and per-product activity.

    ``top`` limits the product list to the products with the most ``by`` (purchases,
    shares, likes, promoters or gifts; ties by id); ``None`` or 0 keeps all of them.
    With ``by="shares"`` the first product is the one ``report --most-shared`` covers.
    """
    if by not in STATS_ORDER:
        raise InputError(f"{{by}} must be one of {', '.join(STATS_ORDER)}", field="by")
    counts = database_counts(runner)
    nodes = {"User": counts.pop("users"), "Product": counts.pop("products")}
    rels = {k.upper(): v for k, v in counts.items()}
    degrees = runner.run("stats/degrees")[0]
    if degrees.get("mean") is not None:
        degrees["mean"] = round(float(degrees["mean"]), 4)
    products = pd.DataFrame(runner.run("stats/products"),
                            columns=["product_id", "name", "category", "promoters", "shares",
                                     "likes", "purchases", "buyers", "gifts"])
    total = len(products)
    products = products.sort_values([by, "product_id"], ascending=[False, True],
                                    kind="stable").reset_index(drop=True)
    if top:
        products = products.head(top)
    return GraphStats(nodes, rels, degrees, products, total)
