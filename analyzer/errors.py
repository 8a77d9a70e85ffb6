"""Exceptions the CLI turns into one-line messages and exit codes.

Exit codes (documented in docs/cli.md): 0 success, 1 bad input or analysis
error, 2 usage error (Click's own), 3 database unreachable.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["DiffusionError", "InputError", "DatabaseUnavailable", "ServerError", "QueryTimeout",
           "DatabaseChanged"]


class DiffusionError(Exception):
    """An expected failure: bad input or an analysis that cannot run. Exit 1.

    A message names a parameter of the Python API as ``{name}`` (each name listed in
    ``params``): ``str()`` and :attr:`message` show the API's name (``raise timeout``),
    and the CLI shows its flag instead (``raise --timeout``) through :meth:`render`, so a
    notebook user never reads about a flag."""

    exit_code = 1

    def __init__(self, message: str = "", *, params: tuple[str, ...] = ()) -> None:
        self.template = message
        self.params = tuple(dict.fromkeys(params))
        super().__init__(self.render())

    @property
    def message(self) -> str:
        return self.message_for(str)

    def message_for(self, name: Callable[[str], str]) -> str:
        """The message alone, each parameter shown as ``name(parameter)``."""
        text = self.template
        for param in self.params:
            text = text.replace("{" + param + "}", name(param))
        return text

    def render(self, name: Callable[[str], str] | None = None) -> str:
        """The error's line, each parameter shown as ``name(parameter)`` (the CLI passes
        its flags)."""
        return self.message_for(name or str)


class InputError(DiffusionError):
    """A problem in what the user gave us: a file (located by file, line and field) or a
    parameter of an analysis (``field`` is then the parameter's name in the Python API,
    such as ``p`` or ``window``, and is one of the message's ``{name}`` parameters):
    ``p must be in [0, 1]`` in Python, ``--p must be in [0, 1]`` on the command line."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None, params: tuple[str, ...] = ()) -> None:
        self.file, self.line, self.field = file, line, field
        super().__init__(message, params=((field,) if field else ()) + tuple(params))

    def render(self, name: Callable[[str], str] | None = None) -> str:
        """The error's line, each parameter shown as ``name(parameter)`` (the CLI passes
        its flags); a field that names no parameter (a file's column) stays as it is."""
        show = name or str
        message = self.message_for(show)
        where = ":".join(str(p) for p in (self.file, self.line) if p is not None)
        if self.field:
            field = show(self.field)
            where = f"{where} [{field}]" if where else f"[{field}]"
        return f"{where}: {message}" if where else message


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
