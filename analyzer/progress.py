"""Progress of long steps, for whoever is watching.

Library code reports ``(stage, done, total)`` through :func:`report` (``total`` None: not
known yet) or wraps a step of unknown length in :func:`step`. Nothing is shown unless a
sink is installed: the command line installs a rich bar on stderr; a notebook can install
any callable with :func:`reporting`::

    with analyzer.progress.reporting(lambda stage, done, total: print(stage, done, total)):
        s = analyzer.open_snapshot("big-snapshot/")
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

__all__ = ["Sink", "report", "step", "reporting", "sink"]

Sink = Callable[[str, int, "int | None"], None]
_sinks: list[Sink] = []


def sink() -> Sink | None:
    """The installed sink, or None."""
    return _sinks[-1] if _sinks else None


def report(stage: str, done: int, total: int | None) -> None:
    if _sinks:
        _sinks[-1](stage, done, total)


@contextlib.contextmanager
def step(stage: str) -> Iterator[None]:
    """A step of unknown length: shown as running while inside, done at the end."""
    report(stage, 0, None)
    try:
        yield
    finally:
        report(stage, 1, 1)


@contextlib.contextmanager
def reporting(to: Sink) -> Iterator[Sink]:
    """Send every report inside the block to ``to``."""
    _sinks.append(to)
    try:
        yield to
    finally:
        _sinks.remove(to)


#: the modules whose numba kernels the analyses compile on first use (``cache=True``)
KERNEL_MODULES = ("kernels", "simulate", "influence", "cascades")


def kernels_cached() -> bool:
    """Whether numba has cached a compiled kernel of each of :data:`KERNEL_MODULES` (its
    index files sit in the package's ``__pycache__``, or under ``NUMBA_CACHE_DIR``)."""
    import os
    from pathlib import Path

    package = Path(__file__).resolve().parent
    roots = [package / "__pycache__"]
    if os.environ.get("NUMBA_CACHE_DIR"):
        roots.append(Path(os.environ["NUMBA_CACHE_DIR"]))
    names = set()
    for root in roots:
        if root.is_dir():
            names |= {p.name.split(".", 1)[0] for p in root.rglob("*.nbi")}
    return all(m in names for m in KERNEL_MODULES)
