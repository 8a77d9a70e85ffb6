"""The Spark engine, first step: the ``sql/`` rules run as Spark SQL over a snapshot's
coded columns, the same rule files DuckDB runs (nothing is written twice).

What runs where, today (docs/engines.md):

- **Rules** (endorsement rows, adoptions, roles, exposure mix, sharers, adoption touches,
  cascade tree edges and members): Spark SQL, on the coded tables handed to Spark as
  Arrow (``SparkSession.createDataFrame`` of a ``pyarrow.Table``) and registered as the
  same views DuckDB reads (:meth:`SqlRules.coded_view`), identifiers quoted with
  backticks, parameters as ``:name`` markers.
- **Reading, validating and coding** the snapshot: in process, as for the DuckDB engine.
- **Traversals** (reach, simulate, promoters, cascade metrics): the kernels, on the
  driver, over the friendship graph built from the same columns.

So this engine answers on any Spark session, ``local[*]`` or a cluster, with the same
numbers as the DuckDB engine (``tests/test_spark.py`` checks every rule row for row),
but only the rules run distributed so far.
"""

from __future__ import annotations

import os
from typing import Any

import pyarrow as pa

from ..errors import InputError
from ..snapshot import Snapshot
from .duckdb import DuckDBEngine, SqlRules

__all__ = ["SparkEngine", "SparkRules", "spark_active", "spark_session"]

INSTALL = "pip install 'diffusion[spark]'"


def _backticked(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def spark_session(master: str | None = None, conf: dict[str, str] | None = None):
    """A Spark session: Spark Connect when ``SPARK_REMOTE`` is set, else ``master``
    (default ``local[*]``), with ``conf`` passed through. Raises InputError naming the
    install command when pyspark is absent."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as err:
        raise InputError(f"the spark engine needs pyspark: {INSTALL}", field="engine") from err
    builder = SparkSession.builder.appName("diffusion")
    remote = os.environ.get("SPARK_REMOTE")
    builder = builder.remote(remote) if remote else builder.master(master or "local[*]")
    settings = {"spark.ui.enabled": "false", "spark.sql.session.timeZone": "UTC",
                **(conf or {})}
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    if not remote:  # Spark's INFO and WARN lines would bury a command's output
        session.sparkContext.setLogLevel("ERROR")
    return session


def spark_active():
    """The Spark session already running in this process (a notebook's), or None."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return None
    return SparkSession.getActiveSession()


class SparkRules(SqlRules):
    """Runs ``sql/`` rules on one snapshot with a Spark session. Thread-safe: one query at
    a time. Views are temporary views of the session, so two engines need two sessions
    (or one after the other)."""

    dialect = "spark"
    quote = staticmethod(_backticked)

    def __init__(self, snap: Snapshot, spark) -> None:
        self.spark = spark
        super().__init__(snap)

    def _open(self) -> None:
        return None

    def close(self) -> None:
        for name in self._registered:
            self.spark.catalog.dropTempView(name)
            self.spark.catalog.dropTempView(f"_coded_{name}")
        self._registered.clear()

    def _create_view(self, name: str, query: str) -> None:
        self.spark.sql(f"CREATE OR REPLACE TEMP VIEW {name} AS {query}")

    def _register_arrow(self, name: str, table: pa.Table) -> None:
        self.spark.createDataFrame(table).createOrReplaceTempView(name)

    def _query(self, text: str, params: dict, wanted: pa.Table) -> pa.Table:
        self._register_arrow("wanted", wanted)
        try:
            return self.spark.sql(text, args=params or None).toArrow()
        finally:
            self.spark.catalog.dropTempView("wanted")


class SparkEngine(DuckDBEngine):
    """A snapshot whose rules Spark runs (see the module's notes on what runs where)."""

    name = "spark"

    def __init__(self, snap: Snapshot, spark: Any = None, *, master: str | None = None,
                 conf: dict[str, str] | None = None) -> None:
        self.spark = spark if spark is not None else spark_session(master, conf)
        super().__init__(snap, SparkRules(snap, self.spark))
