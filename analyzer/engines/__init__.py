"""The engines that answer an analysis's questions, behind one contract
(:mod:`analyzer.engines.contract`): ``duckdb`` for a snapshot (the ``sql/`` rules run in
process over its coded columns) and ``neo4j`` for the database. :func:`open_engine` picks
one; nothing else in the package asks which engine it has.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .contract import Engine

__all__ = ["open_engine"]


def open_engine(*, runner=None, snapshot=None) -> "Engine":
    """The engine of a Neo4j runner or of a validated snapshot (exactly one of them)."""
    if (runner is None) == (snapshot is None):
        raise ValueError("an engine reads from a runner or a snapshot, not both")
    if runner is not None:
        from .neo4j import Neo4jEngine

        return Neo4jEngine(runner)
    from .duckdb import DuckDBEngine

    return DuckDBEngine(snapshot)
