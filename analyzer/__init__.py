"""diffusion: how products spread through a social network stored in Neo4j.

    import analyzer
    s = analyzer.open_snapshot("analyzer/samples/tea-circle")   # or analyzer.connect()
    s.reach("p-tea").to_frame()
"""

import os as _os

__version__ = "0.1.0"

# The compiled kernels run on numba's OpenMP threads. OpenMP's default keeps an idle
# thread spinning for a while after each parallel step; when another process holds a
# core, the spinning thread competes with it and some 2-thread reach runs took 6x the
# median. Passive waiting sleeps instead; on a quiet machine it cost 3 to 17% in the
# measured runs (benchmarks/contention.py, docs/benchmarks.md). OpenMP reads this once, at its first
# parallel step, so it is set on import; a value the user set is kept.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__all__ = ["connect", "open_snapshot", "write_snapshot", "__version__"]


def connect(uri=None, user=None, password=None, database=None, *, auth=None, timeout=None,
            home=None):
    """A :class:`analyzer.api.Session` on Neo4j (NEO4J_* environment variables, then the
    project's own server, as fallback); see :func:`analyzer.api.connect`."""
    from .api import connect as _connect

    return _connect(uri, user, password, database, auth=auth, timeout=timeout, home=home)


def open_snapshot(data):
    """A :class:`analyzer.api.Session` on a snapshot directory, a networkx graph or a mapping
    of table names to pandas, Arrow or polars tables; see :func:`analyzer.api.open_snapshot`."""
    from .api import open_snapshot as _open

    return _open(data)


def write_snapshot(data, out, *, fmt="csv", overwrite=False):
    """Validate in-memory tables or a networkx graph and write them as a snapshot directory;
    see :func:`analyzer.api.write_snapshot`."""
    from .api import write_snapshot as _write

    return _write(data, out, fmt=fmt, overwrite=overwrite)
