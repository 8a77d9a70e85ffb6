"""Exceptions the CLI turns into one-line messages and exit codes.

Exit codes (documented in docs/cli.md): 0 success, 1 bad input or analysis
error, 2 usage error (Click's own), 3 database unreachable.
"""

from __future__ import annotations

__all__ = ["DiffusionError", "InputError", "DatabaseUnavailable", "ServerError", "QueryTimeout",
           "DatabaseChanged"]


class DiffusionError(Exception):
    """An expected failure: bad input or an analysis that cannot run. Exit 1."""

    exit_code = 1


class InputError(DiffusionError):
    """A problem in a file the user gave us, located by file, line and field."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.file, self.line, self.field, self.message = file, line, field, message
        where = ":".join(str(p) for p in (file, line) if p is not None)
        if field:
            where = f"{where} [{field}]" if where else f"[{field}]"
        super().__init__(f"{where}: {message}" if where else message)


class DatabaseUnavailable(DiffusionError):
    """Neo4j cannot be reached. Exit 3."""

    exit_code = 3


class ServerError(DiffusionError):
    """The project's own Neo4j server could not be started, stopped or inspected."""


class QueryTimeout(DiffusionError):
    """A query ran past the timeout given (``--timeout``, ``timeout=``) and the server stopped
    it. Exit 1."""


#: how the server procedures' error begins when the projection would not fit its budget
#: (analyzer/server/DiffusionProcedures.java)
PROJECTION_REFUSED = "diffusion projection refused"


class ProjectionRefused(DiffusionError):
    """The server would not hold its in-heap projection (it would not fit the heap budget
    it allows itself). The analyses catch it and answer through the Cypher modules;
    ``reason`` is the server's own sentence."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


CHANGED = ("the database changed while diffusion read it (a load or another write came in "
           "between two reads); run the analysis again once the writes are done")


class DatabaseChanged(DiffusionError):
    """The database was written while an analysis read it, or a load is writing to it now:
    the analysis would mix two states. Exit 1; run it again once the writes are done."""
