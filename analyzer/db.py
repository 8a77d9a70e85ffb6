"""The one place that talks to Neo4j: connection settings and the query runner.

Every query goes through :meth:`Runner.run` with a named module from
``cypher/`` and keyword parameters. Reads and writes use the driver's managed
transactions, which retry transient failures; nothing else opens a session.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from urllib.parse import urlsplit

from neo4j import GraphDatabase, NotificationMinimumSeverity, Query, unit_of_work
from neo4j.exceptions import (AuthError, ClientError, DriverError, Neo4jError, ServiceUnavailable,
                              SessionExpired)

from .cypher import CypherModule, load_module
from .errors import (CHANGED, DatabaseChanged, DatabaseUnavailable, DiffusionError,
                     InputError, PROJECTION_REFUSED, ProjectionRefused, QueryTimeout)

log = logging.getLogger("diffusion.db")

__all__ = ["ConnectionSettings", "Runner", "connect_runner"]

DEFAULT_URI = "bolt://127.0.0.1:7687"
SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")



def check_uri(uri: str) -> str:
    """``uri`` if it is a Bolt URI without credentials in it; else a one-line InputError that
    never repeats a password."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 -- raises on a port that is not a number
    except ValueError:
        raise InputError(f"{uri!r} is not a Bolt URI; write it as bolt://HOST:PORT",
                         field="uri") from None
    if "@" in parts.netloc:
        raise InputError("the URI carries a user name or password; give them as NEO4J_USERNAME "
                         "and NEO4J_PASSWORD (or {password}), not in the URI",
                         field="uri", params=("password",))
    if parts.scheme not in SCHEMES or not parts.hostname:
        hint = f"bolt://{uri}" if parts.scheme not in SCHEMES and "//" not in uri else \
            "bolt://127.0.0.1:7687"
        raise InputError(f"{uri!r} is not a Bolt URI (the scheme must be one of "
                         f"{', '.join(SCHEMES)}); for example {hint}", field="uri")
    return uri


@dataclass(frozen=True)
class ConnectionSettings:
    """Where Neo4j is and who asks. Unset fields fall back to NEO4J_URI, NEO4J_USERNAME (or
    NEO4J_USER), NEO4J_PASSWORD and NEO4J_DATABASE; then to the project's own server on
    127.0.0.1:7687, whose password its home keeps (``credentials_for``). ``home`` names that
    home when it is not the one registered for the URI's port. ``timeout`` bounds each
    transaction, in seconds (None: the server's own limit)."""

    uri: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    database: str | None = None
    home: Path | None = None
    timeout: float | None = None

    def resolved(self) -> "ConnectionSettings":
        env = os.environ
        uri = check_uri(self.uri or env.get("NEO4J_URI") or DEFAULT_URI)
        user = self.user or env.get("NEO4J_USERNAME") or env.get("NEO4J_USER")
        password = self.password if self.password is not None else env.get("NEO4J_PASSWORD")
        if password is None:
            from .server import credentials_for

            found = credentials_for(uri, self.home)
            if found is not None and (user is None or user == found[0]):
                user, password = found
        if self.timeout is not None and not self.timeout > 0:
            raise InputError(f"the timeout must be a positive number of seconds, not "
                             f"{self.timeout}", field="timeout")
        return ConnectionSettings(
            uri=uri, user=user or "neo4j", password=password,
            database=self.database or env.get("NEO4J_DATABASE") or "neo4j",
            home=self.home, timeout=self.timeout)


def _unreachable(uri: str, exc: Exception) -> DatabaseUnavailable:
    from .server import died_message

    died = died_message(uri)
    if died is not None:
        return DatabaseUnavailable(died)
    text = str(exc)
    if "+s" in urlsplit(uri).scheme and ("SSL" in text or "TLS" in text or "ssl" in text):
        plain = uri.replace("+ssc://", "://").replace("+s://", "://")
        return DatabaseUnavailable(f"Neo4j at {uri} does not speak TLS (the handshake failed); "
                                   f"a plaintext server wants {plain}")
    return DatabaseUnavailable(
        f"cannot reach Neo4j at {uri} ({type(exc).__name__}); start one with "
        f"`diffusion neo4j start` or point {{uri}} / NEO4J_URI at a running server",
        params=("uri",))


class Runner:
    """Runs named Cypher modules; owns the driver, sessions, retries and conversion."""

    def __init__(self, settings: ConnectionSettings | None = None, *,
                 retry_seconds: float = 15.0) -> None:
        s = (settings or ConnectionSettings()).resolved()
        self.settings = s
        uri, user = s.uri, s.user
        assert uri is not None and user is not None  # resolved() fills both
        auth = (user, s.password) if s.password else None
        # Both waits bounded so that a port that accepts and never answers fails in about 5 s
        self._driver = GraphDatabase.driver(
            uri, auth=auth, connection_timeout=4.0, max_transaction_retry_time=retry_seconds,
            connection_acquisition_timeout=5.0,
            notifications_min_severity=NotificationMinimumSeverity.OFF)
        try:
            self._driver.verify_connectivity()
        except AuthError as exc:
            self._driver.close()
            if s.password is None:
                raise DatabaseUnavailable(
                    f"Neo4j at {s.uri} requires a password: set NEO4J_PASSWORD (and "
                    f"NEO4J_USERNAME if not neo4j), or give {{password}}; the "
                    f"project's own server keeps its password in HOME/neo4j.password",
                    params=("password",)) from exc
            raise DatabaseUnavailable(f"Neo4j at {s.uri} refused the credentials for user "
                                      f"{s.user!r}: {exc.message}") from exc
        except (ServiceUnavailable, SessionExpired, DriverError, OSError, ValueError) as exc:
            self._driver.close()
            raise _unreachable(uri, exc) from exc

    @property
    def uri(self) -> str:
        return self.settings.uri  # type: ignore[return-value]

    def close(self) -> None:
        self._driver.close()

    def __enter__(self) -> "Runner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ running

    def _session(self):
        return self._driver.session(database=self.settings.database)

    def run(self, module: str | CypherModule, /, *, slots: dict | None = None,
            **params: Any) -> list[dict]:
        """Run one module; returns its records as dicts."""
        mod = load_module(module) if isinstance(module, str) else module
        text = mod.render(params, slots)

        @unit_of_work(timeout=self.settings.timeout)
        def work(tx) -> list[dict]:
            # dict(record), not record.data(): modules return values, never graph entities,
            # and data() walks every value in Python (1.8 s for a list of 1M ids)
            return [dict(r) for r in tx.run(text, params)]

        started = time.perf_counter()
        try:
            records = self._run(mod, text, params, work)
        finally:
            log.info("cypher %s: %.3f s", mod.name, time.perf_counter() - started)
        log.debug("cypher %s parameters: %s", mod.name,
                  {k: (f"<list of {len(v)}>" if isinstance(v, list) else v)
                   for k, v in params.items()})
        return records

    def _run(self, mod, text, params, work) -> list[dict]:
        try:
            with self._session() as session:
                if mod.mode == "read":
                    return session.execute_read(work)
                if mod.mode == "write":
                    return session.execute_write(work)
                # autocommit: schema changes and CALL {..} IN TRANSACTIONS need an implicit tx
                return [dict(r) for r in session.run(Query(text, timeout=self.settings.timeout),
                                                      params)]
        except (ServiceUnavailable, SessionExpired, Neo4jError) as exc:
            raise self._failure(mod, exc) from exc

    def _failure(self, mod: CypherModule, exc: Exception) -> DiffusionError:
        """The library's error for a driver error raised while running ``mod``."""
        if isinstance(exc, (ServiceUnavailable, SessionExpired)):
            return _unreachable(self.uri, exc)
        if isinstance(exc, ClientError):
            message = exc.message or ""
            if PROJECTION_REFUSED in message:
                return ProjectionRefused(f"cypher module {mod.name} failed: {message}",
                                         message[message.index(PROJECTION_REFUSED):])
            if "diffusion projection changed" in message:
                return DatabaseChanged(f"{CHANGED} (the server: diffusion projection changed)")
            code = exc.code or ""
            # past the timeout the server reports TimedOut, or Terminated when the query was
            # waiting for a lock at the time
            if self.settings.timeout is not None and ("TransactionTimedOut" in code
                                                      or "Terminated" in code
                                                      or "LockClientStopped" in code):
                return QueryTimeout(f"cypher module {mod.name} ran past the timeout of "
                                    f"{self.settings.timeout:g} s and was stopped (nothing it "
                                    f"wrote was kept); raise {{timeout}}", params=("timeout",))
            return DiffusionError(f"cypher module {mod.name} failed: {exc.message}")
        return DiffusionError(f"cypher module {mod.name} failed on the server: "
                              f"{getattr(exc, 'message', exc)}")

    def refuse_during_load(self) -> None:
        """Raise :class:`DatabaseChanged` at once while a diffusion load writes to the
        database: an analysis would read a half-loaded graph (and the server would rebuild
        its projection after every batch)."""
        running = self.run("admin/loads_running")[0]
        if running["loads"]:
            raise DatabaseChanged(f"a diffusion load is writing to the database (since "
                                  f"{running['since']}); run the analysis when it has finished")

    @contextlib.contextmanager
    def holding(self, module: str, /, *, metadata: dict | None = None, **params: Any
                ) -> Iterator[list[dict]]:
        """Run a write module in a transaction kept open (its locks held) until the block
        ends, then commit it; roll it back if the block raises. A client that dies releases
        the locks with its connection. ``metadata`` labels the transaction for
        ``SHOW TRANSACTIONS``."""
        mod = load_module(module)
        if mod.mode != "write":
            raise DiffusionError(f"cypher module {mod.name} is not a write module")
        text = mod.render(params, None)
        try:
            with self._session() as session:
                tx = session.begin_transaction(metadata=metadata)
                try:
                    records = [dict(r) for r in tx.run(text, params)]
                except BaseException:
                    tx.close()
                    raise
                try:
                    yield records
                except BaseException:
                    # a block that failed because the server went away cannot roll back
                    # either; its own error (which names what it was doing) is the one to
                    # raise, not the rollback's
                    with contextlib.suppress(Neo4jError, DriverError):
                        tx.rollback()
                    raise
                tx.commit()
        except (ServiceUnavailable, SessionExpired, ClientError) as exc:
            raise self._failure(mod, exc) from exc

    def frame(self, module: str, /, *, slots: dict | None = None, **params: Any) -> pd.DataFrame:
        return pd.DataFrame(self.run(module, slots=slots, **params))

    def explain(self, module: str, /, *, slots: dict | None = None, **params: Any) -> list[str]:
        """Operator names of the plan the server would use (for plan-regression tests)."""
        mod = load_module(module)
        text = "EXPLAIN " + mod.render(params, slots)
        with self._session() as session:
            plan = session.run(text, params).consume().plan
        names: list[str] = []

        def walk(node: dict) -> None:
            names.append(node.get("operatorType", ""))
            for child in node.get("children", []):
                walk(child)

        walk(plan)
        return names


def connect_runner(settings: ConnectionSettings | None = None) -> Runner:
    return Runner(settings)
