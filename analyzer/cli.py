"""The `diffusion` command line: each command parses options, calls the library, renders.

Exit codes: 0 success, 1 bad input or analysis error, 2 usage error (a missing
argument, an option value it cannot take), 3 database unreachable. ``--debug`` shows
the traceback of an expected error.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import click

from . import __version__
from .errors import DiffusionError

if TYPE_CHECKING:  # pandas, numpy, numba, pyarrow and the driver load only when a command runs
    import pandas as pd
    from rich.console import Console
    from rich.progress import Progress, TaskID

FORMAT_CHOICE = click.Choice(["table", "json", "ndjson", "csv"])


class Checked(click.ParamType):
    """An option value checked by one of :mod:`analyzer.options`' parsers, so a bad value is
    a usage error (exit 2) raised before anything loads or connects. The value is kept as
    written: the library parses it again, with the same words."""

    def __init__(self, name: str, parse: str, metavar: str) -> None:
        self.name, self._parse, self._metavar = name, parse, metavar

    def get_metavar(self, param, ctx=None) -> str:
        return self._metavar

    def convert(self, value, param, ctx):
        from . import options
        from .errors import InputError

        try:
            getattr(options, self._parse)(value)
        except InputError as exc:
            self.fail(exc.message_for(flags_of(ctx.command) if ctx else str), param, ctx)
        return value


def flags_of(command: click.Command) -> Callable[[str], str]:
    """How the command line names a parameter of the Python API: an option by its flag
    (``p`` -> ``--p``, ``roles`` -> ``--from``), an argument by its metavar (``PRODUCT``);
    other names (a file's column) as they are."""
    commands = [command] + (list(command.commands.values())
                            if isinstance(command, click.Group) else [])
    params: dict[str, click.Parameter] = {}
    for c in commands:
        for p in c.params:
            if p.name:
                params.setdefault(p.name, p)

    def flag(name: str) -> str:
        p = params.get(name)
        if p is None:
            return name
        if isinstance(p, click.Argument):
            return p.human_readable_name
        longs = [o for o in p.opts if o.startswith("--")]
        return (longs or p.opts)[0]

    return flag


WINDOW = Checked("window", "parse_window", "DURATION")
SIGNALS = Checked("signals", "parse_signals", "SIGNALS")
TIME = Checked("time", "parse_time", "ISO-TIME")
PROBABILITY = Checked("p", "parse_p", "P|weighted-cascade|history|column")
class _State(TypedDict):
    """What the root command's options set for the command that runs under it."""

    debug: bool
    quiet: bool
    verbose: int
    raw_csv: bool
    bar: _Bar | None


_state: _State = {"debug": False, "quiet": False, "verbose": 0, "raw_csv": False,
                  "bar": None}


def stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def note(message: str) -> None:
    if not _state["quiet"]:  # through the bars' console, so a note never garbles them
        bar = _state.get("bar")
        (bar.console if bar is not None else stderr_console()).print(message, markup=False)


def _keep_output(ctx: click.Context, _param, value):
    ctx.meta["diffusion.output"] = value
    return value


def output_option(f: Callable) -> Callable:
    """-o/--output, kept in the context for :func:`emit` (commands do not see it)."""
    return click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                        expose_value=False, callback=_keep_output,
                        help="Write to this file instead of standard output (atomically: "
                             "the whole output or nothing).")(f)


def format_option(f: Callable) -> Callable:
    """--format and -o/--output."""
    f = output_option(f)
    return click.option("--format", "fmt", type=FORMAT_CHOICE, default="table",
                        show_default=True, help="Output: a rich table, JSON, one JSON "
                        "object per row (ndjson, the rows CSV prints) or CSV.")(f)


class Connection:
    """The connection options of one command; the password is prompted for, never taken from
    the command line (where `ps` and shell history would keep it)."""

    def __init__(self, uri, user, ask_password, database, timeout) -> None:
        self.uri, self.user, self.ask_password = uri, user, ask_password
        self.database, self.timeout = database, timeout

    def settings(self, home=None):
        from .db import ConnectionSettings

        password = (click.prompt("Neo4j password", hide_input=True, err=True)
                    if self.ask_password else None)
        return ConnectionSettings(self.uri, self.user, password, self.database, home=home,
                                  timeout=self.timeout)


def connection_options(f: Callable) -> Callable:
    """--uri/--user/--password/--database/--timeout, gathered into one ``conn`` argument."""
    import functools

    @functools.wraps(f)
    def command(*args, uri, user, password, database, timeout, **kwargs):
        return f(*args, conn=Connection(uri, user, password, database, timeout), **kwargs)

    opts = [
        click.option("--uri", envvar="NEO4J_URI", help="Bolt URI [env NEO4J_URI; default "
                     "bolt://127.0.0.1:7687]."),
        click.option("--user", envvar=["NEO4J_USERNAME", "NEO4J_USER"], help="User name [env "
                     "NEO4J_USERNAME or NEO4J_USER; default neo4j]."),
        click.option("--password", is_flag=True, help="Prompt for the password. Otherwise "
                     "NEO4J_PASSWORD, else the project's own server's (its home keeps it)."),
        click.option("--database", envvar="NEO4J_DATABASE", help="Database name [env "
                     "NEO4J_DATABASE; default neo4j]."),
        click.option("--timeout", type=click.FloatRange(0, None, min_open=True),
                     envvar="DIFFUSION_TIMEOUT", help="Stop any one query after this many "
                     "seconds [env DIFFUSION_TIMEOUT; default: no limit]."),
    ]
    for opt in reversed(opts):
        command = opt(command)
    return command


def runner_from(conn: Connection, home=None):
    from .db import Runner

    return Runner(conn.settings(home))


def emit(result, fmt: str) -> None:
    import io

    from .render import emit as _emit

    if _output_path() is None:
        _emit(result, fmt, raw_csv=_state["raw_csv"])
        return
    buffer = io.StringIO()  # rendered whole first: a failure leaves no partial file
    _emit(result, fmt, out=buffer, raw_csv=_state["raw_csv"])
    deliver(buffer.getvalue())


def _output_path() -> Path | None:
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get("diffusion.output") if ctx is not None else None


def deliver(text: str) -> None:
    """``text`` to -o FILE (atomically) when given, else to standard output."""
    path = _output_path()
    if path is None:
        click.echo(text, nl=False)
    else:
        _write_atomically(path, text, "the output")


class _Bar:
    """The progress bars of one command on stderr, one per stage, shown once the first
    stage reports; silent when stderr is not a terminal or with --quiet. A stage with an
    unknown total shows as running with its elapsed time."""

    def __init__(self) -> None:
        self._tasks: dict[str, TaskID] = {}
        #: made on the first report: --help never imports rich.progress
        self._progress: Progress | None = None

    @property
    def enabled(self) -> bool:  # read when used: --quiet is parsed after the bar is made
        return sys.stderr.isatty() and not _state["quiet"]

    @property
    def console(self):
        return self._progress.console if self._progress is not None else stderr_console()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.__exit__(*exc)
            self._progress = None
        return False

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        if self._progress is None:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeElapsedColumn)

            self._progress = Progress(
                TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]:>14}"), TimeElapsedColumn(),
                console=stderr_console())
            self._progress.__enter__()
        if stage not in self._tasks:
            self._tasks[stage] = self._progress.add_task(stage, total=total, rate="")
        task = self._tasks[stage]
        elapsed = self._progress.tasks[task].elapsed or 0
        rate = f"{done / elapsed:,.0f}/s" if elapsed > 0 and total and done < total else ""
        self._progress.update(task, total=total, completed=done, rate=rate)


# --------------------------------------------------------------------------- root


class DiffusionGroup(click.Group):
    """Turns expected errors into one line on stderr and the documented exit code."""

    def invoke(self, ctx: click.Context):
        from .progress import reporting

        import contextlib

        bar = _Bar()
        try:  # no sink when no one can see the bars: then no step splits its work for them
            with bar, reporting(bar) if bar.enabled else contextlib.nullcontext():
                _state["bar"] = bar
                return super().invoke(ctx)
        except DiffusionError as exc:
            if _state["debug"]:
                raise
            # the API's parameter names as this CLI's flags
            sub = self.get_command(ctx, ctx.invoked_subcommand or "")
            text = exc.render(flags_of(sub or self))
            click.echo(f"error: {text}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)
        finally:
            _state["bar"] = None


@click.group(cls=DiffusionGroup, context_settings={"help_option_names": ["-h", "--help"],
                               "max_content_width": 100})
@click.version_option(__version__, prog_name="diffusion")
@click.option("--debug", is_flag=True, help="Show the Python traceback of expected errors.")
@click.option("-v", "--verbose", count=True,
              help="More detail on stderr: -v each Cypher module and its time, -vv also its "
                   "parameters.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or notes on stderr.")
@click.option("--raw-csv", is_flag=True, envvar="DIFFUSION_RAW_CSV",
              help="Write CSV cells exactly, even those a spreadsheet would run as formulas "
                   "(by default a cell starting with = + - @ gets a leading ').")
def cli(debug: bool, verbose: int, quiet: bool, raw_csv: bool) -> None:
    """Analyse how products spread through a social network stored in Neo4j.

    \b
    Example:
      diffusion neo4j start && diffusion load analyzer/samples/tea-circle && diffusion stats
    """
    _state["debug"], _state["verbose"] = debug, verbose
    _state["quiet"], _state["raw_csv"] = quiet, raw_csv
    if not verbose and "logging" not in sys.modules:
        return  # nothing has logged, nothing to quiet (and --help stays fast)
    import logging

    logger = logging.getLogger("diffusion")
    if verbose and not quiet:  # -v: each Cypher module and its time; -vv: its parameters
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO if verbose == 1 else logging.DEBUG)
    else:
        logger.handlers[:] = []
        logger.setLevel(logging.WARNING)


# --------------------------------------------------------------------------- neo4j


@cli.group()
def neo4j() -> None:
    """Run the project's own Neo4j 5.26 Community server (no Docker needed).

    \b
    Example:
      diffusion neo4j start --port 7687 && diffusion neo4j status
    """


def server_options(f: Callable) -> Callable:
    f = click.option("--home", type=click.Path(path_type=Path), envvar="DIFFUSION_HOME",
                     help="Folder for data, logs and the pid file [env DIFFUSION_HOME; "
                          "default ~/.diffusion].")(f)
    return f


def _server_config(home, port=7687, heap="4g", pagecache="4g", tx_memory=None, auth=True):
    from .server import ServerConfig, default_home

    return ServerConfig(home=Path(home) if home else default_home(), port=port, heap=heap,
                        pagecache=pagecache, tx_memory=tx_memory, auth=auth)


def _home_of(home, uri=None):
    """--home (or DIFFUSION_HOME) when given; else the home of the project's server running
    on the port of ``uri`` (NEO4J_URI, default 127.0.0.1:7687); else the default home."""
    import os

    from .server import default_home, home_for_uri

    if home:
        return Path(home)
    return home_for_uri(uri or os.environ.get("NEO4J_URI")) or default_home()


@neo4j.command("start")
@server_options
@click.option("--port", type=click.IntRange(1, 65535), default=7687, show_default=True,
              envvar="DIFFUSION_NEO4J_PORT", help="Bolt port on 127.0.0.1.")
@click.option("--heap", default="4g", show_default=True, envvar="DIFFUSION_NEO4J_HEAP",
              help="JVM heap.")
@click.option("--pagecache", default="4g", show_default=True,
              envvar="DIFFUSION_NEO4J_PAGECACHE", help="Neo4j page cache.")
@click.option("--tx-memory", envvar="DIFFUSION_NEO4J_TX_MEMORY",
              help="Memory cap for all transactions, below the heap [default: half the heap].")
@click.option("--no-auth", is_flag=True,
              help="Run without authentication: any local user can then read and change the "
                   "graph. Off by default.")
@click.option("--timeout", type=float, default=180, show_default=True,
              help="Seconds to wait for Bolt to answer.")
def neo4j_start(home, port, heap, pagecache, tx_memory, no_auth, timeout) -> None:
    """Start Neo4j with Bolt on 127.0.0.1; waits until it answers.

    Auth is on: the first start writes a generated password for user neo4j into
    HOME/neo4j.password (mode 0600), where diffusion's own commands find it.
    LOAD CSV reads only HOME/import. The first start resolves the jars from Maven
    Central (about 125 MB) into ~/.cache/diffusion. A second start while one runs
    says so and exits 0.

    \b
    Example:
      diffusion neo4j start --home /data/diffusion --port 7688 --heap 8g
    """
    from .server import start

    cfg = _server_config(home, port, heap, pagecache, tx_memory, auth=not no_auth)
    st, started = start(cfg, timeout=timeout, echo=note)
    auth = "auth off" if no_auth else f"user neo4j, password in {cfg.password_file}"
    if started:
        click.echo(f"Neo4j {st.version} started (pid {st.pid}) at {st.uri} ({auth}); "
                   f"home {st.home}")
    else:
        click.echo(f"Neo4j is already running (pid {st.pid}) at {st.uri}; home {st.home}")


@neo4j.command("stop")
@server_options
def neo4j_stop(home) -> None:
    """Stop the server with SIGTERM and wait for a clean shutdown.

    \b
    Example:
      diffusion neo4j stop --home /data/diffusion
    """
    from .server import stop

    cfg = _server_config(_home_of(home))
    if stop(cfg):
        click.echo(f"Neo4j stopped; home {cfg.home}")
    else:
        click.echo(f"Neo4j was not running; home {cfg.home}")


@neo4j.command("plugin")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also copy the jar into this folder (e.g. docker/plugins for the Docker "
                   "route).")
def neo4j_plugin(out_dir) -> None:
    """Build diffusion's server procedures into a plugin jar and print its path.

    `start` does this itself; the command is for servers it does not run. Needs
    Java 17+ and Maven, like `start`.

    \b
    Example:
      diffusion neo4j plugin --out docker/plugins
    """
    import shutil

    from .server import ServerConfig, default_home, ensure_jars

    cfg = ServerConfig(home=default_home())
    ensure_jars(cfg, echo=note)  # resolves the jars and (re)builds the plugin when stale
    jar = cfg.plugin_jar
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        jar = Path(shutil.copy2(jar, out_dir / jar.name))
    click.echo(str(jar))


@neo4j.command("status")
@server_options
@format_option
def neo4j_status(home, fmt) -> None:
    """Whether the server runs, its version, port, URI and store size.

    Exits 0 when running and 1 when not, so scripts can test it.

    \b
    Example:
      diffusion neo4j status --format json
    """
    from .server import status

    st = status(_server_config(_home_of(home)))
    if fmt != "table":
        emit(st, fmt)
    else:
        state = "running" if st.running else "stopped"
        click.echo(f"Neo4j {state}"
                   + (f": version {st.version}, pid {st.pid}, port {st.port}, uri {st.uri}"
                      if st.running else "")
                   + f"; store {st.store_bytes / 1e6:.1f} MB; home {st.home}")
    if not st.running:
        sys.exit(1)


# --------------------------------------------------------------------------- snapshots


class _ReportView:
    def __init__(self, report) -> None:
        self.report = report

    def to_dict(self) -> dict:
        return self.report.to_dict()

    def to_frame(self) -> pd.DataFrame:
        return self.report.to_frame()

    def lines(self) -> list[str]:
        """One line per located problem, ``FILE:LINE:COLUMN: code: message (value)``, as
        compilers print them (LINE is the Parquet row for Parquet files; an empty field is
        unknown), then ``FILE::COLUMN: code: N more`` when only the first are listed."""
        out = []
        for p in self.report.problems:
            column = p.column or ""
            listed = p.examples or [(None, "")]
            for line, value in listed:
                shown = f" ({value})" if value not in (None, "") else ""
                out.append(f"{p.file}:{'' if line is None else line}:{column}: {p.code}: "
                           f"{p.message}{shown}")
            if p.count > len(listed):
                out.append(f"{p.file}::{column}: {p.code}: {p.count - len(listed):,} more")
        return out

    def tables(self):
        import pandas as pd

        rows = pd.DataFrame([{"table": t, "rows": n} for t, n in self.report.rows.items()])
        problems = self.report.to_frame()
        out = [(f"Snapshot {self.report.path}", rows)]
        if not problems.empty:
            out.append(("Problems (first examples of each kind, with the total count)",
                        problems.drop(columns=["message"]).assign(
                            message=problems["message"])))
        return out


@cli.command()
@click.argument("snapshot", type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1).")
@click.option("--show", type=click.IntRange(1, 10_000), default=10, show_default=True,
              help="How many locations to list for each kind of problem.")
@click.option("--format", "fmt", type=click.Choice(["table", "lines", "json", "ndjson", "csv"]),
              help="Output: a rich table, one FILE:LINE:COLUMN: code: message line per "
                   "problem, JSON, ndjson or CSV [default: table on a terminal, else lines].")
@output_option
def validate(snapshot, strict, show, fmt) -> None:
    """Check a snapshot's tables: columns, types, references, duplicates, timestamps.

    Every problem names its table, line and column; the first --show of each
    kind are listed with a total count. Errors exit 1; warnings exit 0 unless
    --strict. Piped or redirected, problems print one per line, ready for grep.

    \b
    Example:
      diffusion validate analyzer/samples/tea-circle --format json
    """
    from .snapshot import validate_snapshot

    _snap, report = validate_snapshot(snapshot, max_examples=show)
    fmt = fmt or ("table" if sys.stdout.isatty() and _output_path() is None else "lines")
    if fmt == "lines":
        deliver("".join(f"{line}\n" for line in _ReportView(report).lines()))
    else:
        emit(_ReportView(report), fmt)
    n_err = sum(p.count for p in report.errors)
    n_warn = sum(p.count for p in report.warnings)
    note(f"{snapshot}: {n_err} error(s), {n_warn} warning(s)")
    if n_err or (strict and n_warn):
        sys.exit(1)


@cli.command()
@click.argument("snapshot", type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True, help="Empty the database before loading.")
@click.option("--merge", is_flag=True,
              help="Add this snapshot to a database loaded from another one (without it, "
                   "such a load is refused).")
@click.option("--batch-size", type=click.IntRange(1, 1_000_000), default=50_000,
              show_default=True, help="Rows per transaction.")
@click.option("--fresh", is_flag=True,
              help="Replace the project's own database (--home) through Neo4j's offline bulk "
                   "importer: much faster for large snapshots; stops and restarts the server.")
@click.option("--project/--no-project", default=True, show_default=True,
              help="Have the server build the projection its procedures answer from once "
                   "the load is done, so that the first analysis does not wait for it.")
@server_options
@click.option("--port", type=click.IntRange(1, 65535), envvar="DIFFUSION_NEO4J_PORT",
              help="With --fresh: the Bolt port to restart on [default: the port it ran on, "
                   "else 7687].")
@connection_options
@format_option
def load(snapshot, replace, merge, batch_size, fresh, project, home, port, conn,
         fmt) -> None:
    """Validate a snapshot, then load it into Neo4j in batched managed transactions.

    Nothing is loaded when validation finds an error. Loading the same snapshot
    twice leaves identical counts; an interrupted load can be run again. A
    database loaded from another snapshot is refused unless --replace or
    --merge; two loads at once run one after the other. --fresh replaces the
    whole database of the project's own server instead.

    \b
    Examples:
      diffusion load analyzer/samples/tea-circle --replace
      diffusion load big-snapshot/ --fresh --home ~/.diffusion
    """
    from .graphdb import load_fresh, load_snapshot
    from .snapshot import read_snapshot

    snap = read_snapshot(snapshot)
    if fresh:
        from .server import running_settings

        cfg = running_settings(_server_config(_home_of(home, conn.uri)))
        if port:
            cfg = _server_config(cfg.home, port, cfg.heap, cfg.pagecache, cfg.tx_memory,
                                 cfg.auth)
        emit(load_fresh(cfg, snap, echo=note, project=project), fmt)
        return
    with runner_from(conn) as runner:  # progress: the command's bars (DiffusionGroup)
        result = load_snapshot(runner, snap, replace=replace, merge=merge,
                               batch_size=batch_size, echo=note, project=project)
    emit(result, fmt)


@cli.command()
@click.option("--top", type=click.IntRange(0, None), default=20, show_default=True,
              help="Products to list, those with the most --by first (0 = all).")
@click.option("--by", type=click.Choice(["purchases", "shares", "likes", "promoters", "gifts"]),
              default="purchases", show_default=True,
              help="Order products by this count (shares: the first is the product "
                   "`report --most-shared` covers).")
@connection_options
@format_option
def stats(top, by, conn, fmt) -> None:
    """Node and relationship counts, the friendship degree distribution, per-product counts.

    \b
    Example:
      diffusion stats --top 0 --format json
    """
    from .graphdb import graph_stats

    with runner_from(conn) as runner:
        result = graph_stats(runner, top=top or None, by=by)
    emit(result, fmt)


@cli.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--as", "as_format", type=click.Choice(["csv", "parquet"]), default="csv",
              show_default=True, help="Table file format.")
@click.option("--overwrite", is_flag=True, help="Replace OUT if it exists.")
@connection_options
def export(out, as_format, overwrite, conn) -> None:
    """Write the database back to a snapshot directory (written atomically).

    \b
    Example:
      diffusion export /tmp/tea-circle-copy --as parquet
    """
    from .graphdb import export_snapshot

    with runner_from(conn) as runner:
        rows = export_snapshot(runner, out, fmt=as_format, overwrite=overwrite)
    click.echo(f"Wrote {out}: " + ", ".join(f"{k} {v}" for k, v in rows.items()))


# --------------------------------------------------------------------------- generate


@cli.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--users", type=click.IntRange(10, None), required=True, help="Number of users.")
@click.option("--products", type=click.IntRange(1, None), default=20, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True,
              help="Random seed; the same seed gives byte-identical files.")
@click.option("--public-share", type=click.FloatRange(0, 1, max_open=True), default=0.67,
              show_default=True, help="Share of exposures from the public domain (feed, search).")
@click.option("--as", "as_format", type=click.Choice(["csv", "parquet"]), default="csv",
              show_default=True, help="Table file format.")
@click.option("--overwrite", is_flag=True, help="Replace OUT if it exists.")
@format_option
def generate(out, users, products, seed, public_share, as_format, overwrite, fmt) -> None:
    """Generate a WeChat-like snapshot with known ground truth (ground_truth.json).

    Circles and hubs make a clustered, heavy-tailed friendship graph; promoters,
    shares by channel, friend-♡ endorsements, purchases, gifts and public-domain
    exposures follow a documented process (docs/generator.md).

    \b
    Example:
      diffusion generate /tmp/wx-100k --users 100000 --products 20 --seed 7
    """
    import pandas as pd

    from .generate import GeneratorParams, generate_snapshot

    params = GeneratorParams(users=users, products=products, seed=seed,
                             public_share=public_share)
    truth = generate_snapshot(params, out, fmt=as_format, overwrite=overwrite)
    rows = pd.DataFrame([{"table": k, "rows": v} for k, v in truth["rows"].items()])

    class _View:
        def to_dict(self):
            return {"snapshot": str(out), "rows": truth["rows"],
                    "public_share": truth["public_share"], "promoters": truth["promoters"]}

        def to_frame(self):
            return rows

        def tables(self):
            return [(f"Wrote {out} (seed {seed}; ground truth in ground_truth.json)", rows)]

    emit(_View(), fmt)


# --------------------------------------------------------------------------- import


@cli.command("import")
@click.argument("kind", type=click.Choice(["edgelist", "cascades", "retweet-trees", "networkx"]))
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--directed/--undirected", default=False, show_default=True,
              help="edgelist: each line a b is an arc of influence a->b, written as a follow "
                   "(b follows a); undirected lines become one friendship per pair.")
@click.option("--as", "as_kind", type=click.Choice(["purchases", "likes"]), default="purchases",
              show_default=True, help="cascades: what an adoption becomes.")
@click.option("--overwrite", is_flag=True, help="Replace OUT if it exists.")
@format_option
def import_(kind, sources, directed, as_kind, overwrite, fmt) -> None:
    """Import research data into a snapshot: SNAP edge lists, cascades, retweet trees, networkx.

    The last path is OUT. Prints what was found, kept, merged and dropped.
    The rules for dirty input are in docs/importers.md.

    \b
    Examples:
      diffusion import edgelist facebook_combined.txt /tmp/fb
      diffusion import cascades edges.txt cascades.txt /tmp/android --as likes
      diffusion import retweet-trees twitter16.tar.gz /tmp/t16
    """
    from . import importers as I
    from .errors import InputError
    from .progress import step

    if len(sources) < 2:
        raise click.UsageError("give the source file(s) and then OUT")
    *inputs, out = sources
    for path in inputs:
        if not path.exists():
            raise InputError("input does not exist", file=str(path))
    with step(f"import {kind}"):
        summary = _import(I, kind, inputs, out, directed, as_kind, overwrite)
    emit(summary, fmt)


def _import(I, kind, inputs, out, directed, as_kind, overwrite):  # noqa: N803 -- a module
    if kind == "edgelist":
        summary = I.import_edgelist(inputs, out, directed=directed, overwrite=overwrite)
    elif kind == "cascades":
        if len(inputs) != 2:
            raise click.UsageError("cascades takes EDGES CASCADES OUT")
        summary = I.import_cascades(inputs[0], inputs[1], out, as_kind=as_kind,
                                    overwrite=overwrite)
    elif kind == "retweet-trees":
        if len(inputs) != 1:
            raise click.UsageError("retweet-trees takes one folder or .tar.gz, then OUT")
        summary = I.import_retweet_trees(inputs[0], out, overwrite=overwrite)
    else:
        if len(inputs) != 1:
            raise click.UsageError("networkx takes one .json or .graphml file, then OUT")
        summary = I.import_networkx(inputs[0], out, overwrite=overwrite)
    return summary


# --------------------------------------------------------------------------- reach


def _read_users_file(path: Path) -> list[str]:
    from .errors import InputError

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError("users file does not exist", file=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise InputError("users file is not valid UTF-8", file=str(path)) from exc
    ids = [line.rstrip("\r") for line in text.split("\n")]
    ids = ids[1:] if ids and ids[0] == "user_id" else ids
    return [i for i in ids if i != ""]


def over_option(f: Callable) -> Callable:
    return click.option("--over", type=click.Choice(["friendships", "follows", "both"]),
                        default="both", show_default=True,
                        help="Ties influence travels over: friendships (both ways), follows "
                             "(from followee to follower), or both; without follows in the "
                             "data, both is friendships.")(f)


@cli.command()
@click.argument("product", required=False)
@click.option("--from", "roles", default="promoters", show_default=True,
              help="Seed roles for PRODUCT, comma-separated: promoters, sharers, endorsers, "
                   "buyers, or all.")
@click.option("--users", "users", help="Explicit seed user ids, comma-separated.")
@click.option("--users-file", type=click.Path(path_type=Path),
              help="Seed user ids, one per line (an optional 'user_id' header is skipped).")
@click.option("--hops", type=click.IntRange(1, 12), default=6, show_default=True,
              help="Hops to count.")
@click.option("--engine", type=click.Choice(["neo4j", "memory"]),
              help="neo4j: Cypher on the server (default with a database); memory: CSR "
                   "projection and compiled kernels (default with --snapshot).")
@click.option("--snapshot", type=click.Path(path_type=Path),
              help="Answer straight from a snapshot directory, no database needed.")
@click.option("--per-seed/--no-per-seed", default=True, show_default=True,
              help="Per-seed reach and unique reach (bit-parallel sweeps, 256 seeds each; on "
                   "neo4j over the ties among the users reached).")
@click.option("--overlap/--no-overlap", default=None,
              help="Pairwise overlap between seeds [default: on for at most 64 seeds].")
@over_option
@connection_options
@format_option
def reach(product, roles, users, users_file, hops, engine, snapshot, per_seed, overlap, over,
          conn, fmt) -> None:
    """Six-degree reach: users within 1..H hops of a product's people or any seeds, along
    friendships (both ways) and follows (from followee to follower).

    Prints new users per hop, the cumulative reach and its share of all users,
    each seed's reach and unique reach, and the overlap between seeds.

    \b
    Examples:
      diffusion reach p-tea --from promoters,sharers --hops 6
      diffusion reach --users u01,u07 --snapshot analyzer/samples/tea-circle --format json
    """
    from .errors import InputError

    if snapshot is not None and engine == "neo4j":
        raise InputError("--snapshot answers with the memory engine; drop --engine neo4j",
                         field="--engine")
    explicit = _explicit_users(users, users_file)
    if explicit is None and not product:
        raise click.UsageError("give a PRODUCT or seeds with --users/--users-file")
    role_list = [r.strip() for r in roles.split(",") if r.strip()]
    with _session(snapshot, conn) as s:
        result = s.reach(product if explicit is None else None, roles=role_list,
                         users=explicit, hops=hops, engine=engine, per_seed=per_seed,
                         overlap=overlap, over=over)
    emit(result, fmt)


@cli.command()
@click.option("--max-hops", type=click.IntRange(1, 12), default=6, show_default=True,
              help="Report the share of pairs within 1..H hops.")
@click.option("--sample", type=click.IntRange(1, None),
              help="BFS from this many random users, with bootstrap 95%% intervals [default: "
                   "exact up to 5,000 users, else 1,000 sources].")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed for sampling.")
@click.option("--snapshot", type=click.Path(path_type=Path),
              help="Answer straight from a snapshot directory, no database needed.")
@connection_options
@format_option
def degrees(max_hops, sample, seed, snapshot, conn, fmt) -> None:
    """Degrees of separation: share of user pairs within 1..H hops, mean distance, diameter.

    Exact on small networks; on large ones, BFS from sampled users with bootstrap
    intervals. Runs on the in-memory engine (projected from Neo4j or a snapshot).

    \b
    Examples:
      diffusion degrees --max-hops 6
      diffusion degrees --snapshot analyzer/samples/tea-circle --format json
    """
    with _session(snapshot, conn) as s:
        result = s.degrees(max_hops=max_hops, sample=sample, seed=seed)
    emit(result, fmt)


# --------------------------------------------------------------------------- influence


class _session:
    """An analyzer Session on the snapshot (memory engine) or on Neo4j."""

    def __init__(self, snapshot, conn) -> None:
        self.args = (snapshot, conn)
        self._s = None

    def __enter__(self):
        from .api import Session
        from .progress import kernels_cached

        if not kernels_cached():
            note("First run: numba compiles the analysis kernels this command needs, once "
                 "(up to about 90 s; cached afterwards).")
        from .errors import InputError

        snapshot, conn = self.args
        meta = click.get_current_context().meta
        if meta.get("engine") == "spark":
            if snapshot is None:
                raise InputError("--engine spark reads a snapshot: give --snapshot DIR "
                                 "(export a database first with `diffusion export`)",
                                 field="--engine")
            self._s = self._on_spark(snapshot, meta)
        elif snapshot is not None:
            from .snapshot import read_snapshot

            self._s = Session(snapshot=read_snapshot(snapshot))
        else:
            self._s = Session(runner=runner_from(conn))
        return self._s

    def _on_spark(self, snapshot, meta):
        from .api import Session
        from .engines.spark import SparkEngine, spark_active, spark_session
        from .errors import InputError
        from .snapshot import read_snapshot

        conf = {}
        for item in meta.get("spark_conf") or ():
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise InputError(f"--spark-conf takes KEY=VALUE, got {item!r}",
                                 field="--spark-conf")
            conf[key.strip()] = value.strip()
        snap = read_snapshot(snapshot)
        self._own_spark = spark_active() is None  # a notebook's session is not ours to stop
        spark = spark_session(meta.get("spark_master"), conf)
        self._spark = spark
        return Session(engine=SparkEngine(snap, spark))

    def __exit__(self, *exc) -> None:
        if self._s is not None:
            self._s.close()
        if getattr(self, "_own_spark", False):
            self._spark.stop()


def product_options(f: Callable) -> Callable:
    f = click.option("--all", "all_products", is_flag=True,
                     help="Every product together instead of one PRODUCT.")(f)
    return click.argument("product", required=False)(f)


def _keep(name: str) -> Callable:
    """A callback that keeps an option's value in the context's meta (for ``_session``)."""
    def keep(ctx: click.Context, _param, value):
        ctx.meta[name] = value
        return value
    return keep


def spark_options(f: Callable) -> Callable:
    """--engine memory|spark, --spark-master and --spark-conf, kept for ``_session``."""
    f = click.option("--spark-conf", multiple=True, metavar="KEY=VALUE", expose_value=False,
                     callback=_keep("spark_conf"),
                     help="A Spark setting, passed through (repeatable).")(f)
    f = click.option("--spark-master", metavar="URL", expose_value=False,
                     callback=_keep("spark_master"),
                     help="With --engine spark: the master [default: local[*]; SPARK_REMOTE "
                          "for Spark Connect wins].")(f)
    return click.option("--engine", "data_engine", type=click.Choice(["memory", "spark"]),
                        default="memory", show_default=True, expose_value=False,
                        callback=_keep("engine"),
                        help="With --snapshot: memory (DuckDB in process) or spark (the sql/ "
                             "rules as Spark SQL; needs the spark extra; docs/engines.md).")(f)


def snapshot_option(f: Callable) -> Callable:
    f = spark_options(f)
    return click.option("--snapshot", type=click.Path(path_type=Path),
                        help="Answer straight from a snapshot directory (memory engine), no "
                             "database needed.")(f)


def signals_option(default: str) -> Callable:
    return click.option("--signals", type=SIGNALS, default=default, show_default=True,
                        help="What counts as an endorsement: likes (a friend's ♡), shares "
                             "(a share sent to the user), or likes,shares.")


def adoption_option(f: Callable) -> Callable:
    return click.option("--adoption", type=click.Choice(["purchases", "likes"]),
                        default="purchases", show_default=True,
                        help="What counts as adopting: the first purchase or the first ♡.")(f)


def window_option(f: Callable) -> Callable:
    return click.option("--window", type=WINDOW, default="7d", show_default=True,
                        help="How long before an adoption an endorsement still counts "
                             "(s, m, h, d, w).")(f)


def _check_product_args(product, all_products) -> None:
    if product and all_products:
        raise click.UsageError("give a PRODUCT or --all, not both")
    if not product and not all_products:
        raise click.UsageError("give a PRODUCT or --all")


@cli.command()
@product_options
@signals_option("likes,shares")
@adoption_option
@click.option("--min-users", type=click.IntRange(1, None), default=20, show_default=True,
              help="Report p(k) for k = 1..K while each bucket has at least this many users.")
@snapshot_option
@connection_options
@format_option
def endorsements(product, all_products, signals, adoption, min_users, snapshot, conn,
                 fmt) -> None:
    """Does a friend's ♡ move people? The exposure curve p(k) with intervals and lift.

    p(k) is the share of users who adopted after their k-th and before their
    (k+1)-th endorsing friend, among those who reached k without adopting
    (Romero, Meeder and Kleinberg 2011). Also prints the baseline p(0),
    stickiness, persistence and structural diversity (docs/influence.md).

    \b
    Examples:
      diffusion endorsements p-tea --signals likes
      diffusion endorsements --all --snapshot analyzer/samples/tea-circle --min-users 1
    """
    _check_product_args(product, all_products)
    with _session(snapshot, conn) as s:
        result = s.endorsements(product, all_products=all_products, signals=signals,
                                adoption=adoption, min_users=min_users)
    emit(result, fmt)


@cli.command()
@product_options
@window_option
@click.option("--credit", type=click.Choice(["first", "last", "fractional"]),
              default="fractional", show_default=True,
              help="Who gets an adoption: the earliest endorser, the latest, or 1/n each.")
@click.option("--top", type=click.IntRange(1, None), default=20, show_default=True)
@signals_option("likes,shares")
@adoption_option
@snapshot_option
@connection_options
@format_option
def influencers(product, all_products, window, credit, top, signals, adoption, snapshot, conn,
                fmt) -> None:
    """Whose ♡ or share led to purchases: endorsers ranked by attributed adoptions.

    Each adoption credits the endorsers whose signal to the adopter came at or
    before it and within --window; shows each endorser's role, audience and
    conversion (credit / audience).

    \b
    Examples:
      diffusion influencers p-tea --window 7d --credit first --top 10
      diffusion influencers --all --snapshot analyzer/samples/tea-circle --format json
    """
    _check_product_args(product, all_products)
    with _session(snapshot, conn) as s:
        result = s.influencers(product, all_products=all_products, window=window,
                               credit=credit, signals=signals, adoption=adoption, top=top)
    emit(result, fmt)


@cli.command()
@click.argument("user_id", metavar="USER")
@click.option("--at", "at", type=TIME, help="Rank as of this time (ISO 8601; no offset means UTC) "
              "[default: the end of the snapshot].")
@click.option("--top", type=click.IntRange(1, None), default=20, show_default=True)
@signals_option("likes")
@snapshot_option
@connection_options
@format_option
def feed(user_id, at, top, signals, snapshot, conn, fmt) -> None:
    """The friend-♡ feed USER would see: products ranked by how many friends endorsed them.

    Ties are broken by the most recent endorsement, then product id. Each row
    lists the endorsing friends in the order they endorsed.

    \b
    Examples:
      diffusion feed u04 --at 2024-06-02T00:00:00+08:00
      diffusion feed u04 --snapshot analyzer/samples/tea-circle --format json
    """
    from .options import parse_time

    at_ms = parse_time(at) if at else None
    with _session(snapshot, conn) as s:
        result = s.feed(user_id, at=at_ms, top=top, signals=signals)
    emit(result, fmt)


@cli.command()
@product_options
@window_option
@snapshot_option
@connection_options
@format_option
def domains(product, all_products, window, snapshot, conn,
            fmt) -> None:
    """Private (friends) versus public (feed, search): exposures, adoptions, share rates.

    An adoption takes the domain of its last exposure when the exposures table
    has one; otherwise it is private if a friend's ♡ or a share reached the
    buyer within --window, public if not. The public share prints next to the
    platform's reported 50% (2021), 67% (2023) and 75% (ideal).

    \b
    Examples:
      diffusion domains p-tea
      diffusion domains --all --snapshot analyzer/samples/tea-circle --format json
    """
    _check_product_args(product, all_products)
    with _session(snapshot, conn) as s:
        result = s.domains(product, all_products=all_products, window=window)
    emit(result, fmt)


@cli.command()
@product_options
@click.option("--top", type=click.IntRange(0, None), default=20, show_default=True,
              help="Largest cascades to list per product (0: all).")
@click.option("--compare", "compare", metavar="P2",
              help="Compare PRODUCT with P2 at matched cascade size.")
@snapshot_option
@connection_options
@format_option
def cascades(product, all_products, top, compare, snapshot, conn,
             fmt) -> None:
    """How shares cascaded: tree size, depth, breadth, reproduction and structural virality.

    Every share and gift is an edge; a user joins through the earliest one
    received, promoters are roots (docs/cascades.md). Per product: the size
    distribution, the share of size-1 cascades, depth, and the largest trees.

    \b
    Examples:
      diffusion cascades p-tea --top 5
      diffusion cascades p-tea --compare p-jade --snapshot analyzer/samples/tea-circle
    """
    _check_product_args(product, all_products)
    if compare and all_products:
        raise click.UsageError("--compare takes one PRODUCT, not --all")
    with _session(snapshot, conn) as s:
        result = s.cascades(product, all_products=all_products, top=top, compare=compare)
    emit(result, fmt)


# --------------------------------------------------------------------------- simulate


def _explicit_users(users, users_file) -> list[str] | None:
    explicit = None
    if users:
        explicit = [u for u in users.split(",") if u != ""]
    if users_file:
        explicit = (explicit or []) + _read_users_file(users_file)
    return explicit


def history_options(f: Callable) -> Callable:
    f = click.option("--prior-strength", type=click.FloatRange(0, None), default=20.0,
                     show_default=True, help="--p history: Beta prior weight, in "
                     "pseudo-trials, that shrinks sparse edges toward their channel.")(f)
    return click.option("--window", type=WINDOW, default="7d", show_default=True,
                        help="--p history: how soon after a signal an adoption counts.")(f)


def p_option(f: Callable) -> Callable:
    return click.option("--p", "p", type=PROBABILITY, default="weighted-cascade",
                        show_default=True,
                        help="Edge probabilities (IC) or weights (LT): a number for every "
                             "edge, weighted-cascade (1 / degree of the receiving user), or "
                             "history (learned per channel from the data; see --window), or column "
                             "(each friendship's and follow's stored probability).")(f)


@cli.command()
@click.argument("product", required=False)
@click.option("--from", "roles", default="promoters", show_default=True,
              help="Seed roles for PRODUCT: promoters, sharers, endorsers, buyers, or all.")
@click.option("--users", "users", help="Explicit seed user ids, comma-separated.")
@click.option("--users-file", type=click.Path(path_type=Path),
              help="Seed user ids, one per line.")
@click.option("--model", type=click.Choice(["ic", "lt"]), default="ic", show_default=True,
              help="Independent Cascade or Linear Threshold.")
@p_option
@over_option
@history_options
@click.option("--runs", type=click.IntRange(2, None), default=1000, show_default=True,
              help="Monte Carlo runs.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Random seed; the same seed gives the same numbers on any machine.")
@snapshot_option
@connection_options
@format_option
def simulate(product, roles, users, users_file, model, p, over, window, prior_strength, runs,
             seed, snapshot, conn, fmt) -> None:
    """If these users push the product, how far does it spread? IC or LT Monte Carlo.

    Prints the expected spread with its standard error, 95% interval and
    quantiles, the activation curve by step, and whether the runs were enough
    (relative standard error under 1%, else how many are needed).

    \b
    Examples:
      diffusion simulate p0 --from promoters --model ic --p 0.05 --runs 2000
      diffusion simulate --users u01,u07 --model lt --snapshot analyzer/samples/tea-circle
    """
    explicit = _explicit_users(users, users_file)
    if explicit is None and not product:
        raise click.UsageError("give a PRODUCT (with --from) or --users/--users-file")
    with _session(snapshot, conn) as s:
        result = s.simulate(product, roles=roles, users=explicit, model=model, p=p, runs=runs,
                            seed=seed, window=window, prior_strength=prior_strength,
                            over=over)
    if not result.to_dict()["enough_runs"]:
        note(f"warning: relative standard error {result.rse:.2%} is above 1%; about "
             f"{result.runs_needed:,} runs are needed")
    emit(result, fmt)


@cli.command()
@click.option("--k", "k", type=click.IntRange(1, None), required=True,
              help="How many promoters to pick.")
@click.option("--product", help="Compare with this product's current promoters (and exclude "
              "them with --exclude-current).")
@click.option("--model", type=click.Choice(["ic", "lt"]), default="ic", show_default=True)
@p_option
@over_option
@history_options
@click.option("--method", type=click.Choice(["opim", "imm", "celf", "degree", "pagerank"]),
              default="opim", show_default=True,
              help="opim: OPIM-C, RR sets until the sample proves (1-1/e-eps); imm: IMM, a "
                   "fixed number of RR sets for that bound; celf: lazy greedy on Monte Carlo "
                   "(small candidate sets); degree, pagerank: heuristics.")
@click.option("--eps", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.5,
              show_default=True, help="opim and imm accuracy: the pick reaches at least "
                                      "1-1/e-eps of the best; smaller is more RR sets.")
@click.option("--ell", type=click.FloatRange(0, None, min_open=True), default=1.0,
              show_default=True, help="opim and imm confidence: the guarantee holds with "
                                      "probability at least 1 - 1/n^ell.")
@click.option("--hist", type=click.Choice(["auto", "on", "off"]), default="auto",
              show_default=True,
              help="opim with HIST's sentinels, which stop RR sets at a few strong users: "
                   "auto uses them when a pilot finds RR sets large (influence is high).")
@click.option("--exclude-current", is_flag=True,
              help="Do not pick the product's current promoters.")
@click.option("--candidates", default="all", show_default=True,
              help="Who may be picked: all, or the product's users in a role (promoters, "
                   "sharers, endorsers, buyers).")
@click.option("--runs", type=click.IntRange(2, None), default=1000, show_default=True,
              help="Forward runs for the independent spread check of every seed set.")
@click.option("--pick-only", is_flag=True,
              help="Return the opim, imm or celf pick even when the degree or PageRank "
                   "baseline clearly reaches further (by default that baseline is returned).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--max-memory", type=float,
              help="GiB opim and imm may use for RR sets [default: half of RAM].")
@snapshot_option
@connection_options
@format_option
def promoters(k, product, model, p, over, window, prior_strength, method, eps, ell, hist,
              exclude_current, candidates, runs, pick_only, seed, max_memory, snapshot, conn,
              fmt) -> None:
    """Which k users should promote to reach the most people? OPIM-C, IMM, CELF or heuristics.

    Prints the seeds in pick order with their marginal gains, and the expected
    spread of the pick, of the product's current promoters and of the degree
    and PageRank heuristics, each re-estimated by an independent forward
    simulation with a fresh random seed. When a heuristic reaches clearly
    further than the pick, its seeds are returned and the output says so.

    \b
    Examples:
      diffusion promoters --k 20 --product p0 --model ic --p 0.01
      diffusion promoters --k 2 --method celf --p 0.1 --snapshot analyzer/samples/tea-circle
    """
    if (exclude_current or candidates != "all") and not product:
        raise click.UsageError("--exclude-current and --candidates ROLE need --product")
    with _session(snapshot, conn) as s:
        result = s.promoters(k, product=product, model=model, p=p, method=method, eps=eps,
                             ell=ell, exclude_current=exclude_current, candidates=candidates,
                             runs=runs, seed=seed, max_memory_gib=max_memory, window=window,
                             prior_strength=prior_strength, best_of=not pick_only,
                             over=over, hist={"auto": None, "on": True, "off": False}[hist])
    emit(result, fmt)


# --------------------------------------------------------------------------- report


@cli.command()
@click.argument("product", required=False)
@click.option("--most-shared", is_flag=True, help="Report the product with the most shares.")
@click.option("--format", "fmt", type=click.Choice(["text", "md", "json", "html"]),
              default="text", show_default=True,
              help="text: terminal layout with bar charts (100 columns); md: Markdown; json: "
                   "every analysis's JSON; html: one offline file with charts.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Write to this file (atomically) instead of standard output.")
@click.option("--html", "html_path", type=click.Path(path_type=Path),
              help="Also write the HTML report to this file (the analyses run once).")
@click.option("--compare", metavar="P2", help="Put a second product side by side.")
@click.option("--with-promoters", type=click.IntRange(1, None), metavar="K",
              help="Add K recommended promoters (OPIM-C) against the current ones.")
@click.option("--window", type=WINDOW, default="7d", show_default=True,
              help="Window for endorsement credit and domains.")
@click.option("--min-users", type=click.IntRange(1, None), default=20, show_default=True,
              help="Smallest bucket shown on the exposure curve.")
@snapshot_option
@connection_options
def report(product, most_shared, fmt, output, html_path, compare, with_promoters, window,
           min_users, snapshot, conn) -> None:
    """The diffusion report of one product: reach, endorsements, domains, cascades.

    Sections: summary and funnel, six-degree reach, friend-endorsement influence,
    channels and domains, cascades, and with --with-promoters the recommended
    promoters. docs/report.md explains each section.

    \b
    Examples:
      diffusion report p0 --format html -o report.html
      diffusion report --most-shared --html report.html
      diffusion report p-tea --compare p-jade --snapshot analyzer/samples/tea-circle
    """
    if bool(product) == most_shared:
        raise click.UsageError("give a PRODUCT or --most-shared")
    with _session(snapshot, conn) as s:
        product = product or s.most_shared_product()
        rep = s.report(product, compare=compare, with_promoters=with_promoters, window=window,
                       min_users=min_users)
        text = rep.render(fmt)
        page = rep.render("html") if html_path is not None else None
    if page is not None:
        _write_atomically(html_path, page)
    if output is None:
        click.echo(text, nl=False)
    else:
        _write_atomically(output, text)


def _write_atomically(path: Path, text: str, what: str = "the report") -> None:
    tmp = path.with_name(f".{path.name}.part")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        from .errors import InputError

        raise InputError(f"cannot write {what}: {exc.strerror}", file=str(path)) from exc
    note(f"Wrote {path}")


# --------------------------------------------------------------------------- diff


@cli.command()
@click.argument("snapshot_a", type=click.Path(path_type=Path))
@click.argument("snapshot_b", type=click.Path(path_type=Path))
@click.option("--product", help="Also compare this product's reach from its promoters in A, "
              "its p(k) and its cascades.")
@click.option("--users", "users", help="Reach from these users (comma-separated) in both.")
@click.option("--hops", type=click.IntRange(1, 12), default=6, show_default=True)
@click.option("--min-users", type=click.IntRange(1, None), default=20, show_default=True,
              help="Smallest p(k) bucket compared.")
@format_option
def diff(snapshot_a, snapshot_b, product, users, hops, min_users, fmt) -> None:
    """How the network and a product's diffusion changed between two snapshots.

    Users, friendships and follows added and removed, degree and clustering,
    reach per hop from the same seeds, and with --product the change in p(k) and
    cascades.

    \b
    Examples:
      diffusion diff wave1/ wave2/ --users 1,2,3
      diffusion diff before/ after/ --product p0
    """
    from .api import open_snapshot
    from .diff import diff_snapshots

    a, b = open_snapshot(snapshot_a), open_snapshot(snapshot_b)
    result = diff_snapshots(a, b, product=product, users=_explicit_users(users, None),
                            hops=hops, min_users=min_users)
    emit(result, fmt)


# --------------------------------------------------------------------------- query


class _Records:
    def __init__(self, records: list[dict]) -> None:
        self.records = records

    def to_dict(self) -> dict:
        return {"records": self.records}

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.records)


def _parse_param(text: str) -> tuple[str, object]:
    if "=" not in text:
        raise click.BadParameter(f"{text!r} is not key=value", param_hint="--param")
    key, value = text.split("=", 1)
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


@cli.command()
@click.argument("name", required=False)
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A parameter; VALUE is read as JSON when it parses, else as text.")
@click.option("--list", "list_", is_flag=True, help="List every module with its parameters.")
@connection_options
@format_option
def query(name, params, list_, conn, fmt) -> None:
    """Run one named Cypher module from cypher/.

    \b
    Examples:
      diffusion query --list
      diffusion query stats/degrees --format json
    """
    from .cypher import list_modules, load_module

    if list_ or not name:
        rows = [{"name": m.name, "mode": m.mode, "description": m.description,
                 "parameters": ", ".join(f"{p.name}: {p.type}" for p in m.params)
                 + "".join(f", {s.name}: int {s.low}..{s.high}" for s in m.slots),
                 "returns": m.returns} for m in list_modules()]
        emit(_Records(rows), fmt)
        return
    module = load_module(name)
    values = dict(_parse_param(p) for p in params)
    slot_names = {s.name for s in module.slots}
    slots = {k: values.pop(k) for k in list(values) if k in slot_names}
    with runner_from(conn) as runner:
        records = runner.run(module, slots=slots, **values)
    emit(_Records(records), fmt)


# --------------------------------------------------------------------------- entry


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="diffusion")
