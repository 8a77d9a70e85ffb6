"""Turn analysis results into a rich table, JSON, ndjson or CSV. Renderers never query.

A result is anything with ``to_dict()`` (the stable JSON document),
``to_frame()`` (the one table CSV prints) and optionally ``tables()`` (titled
frames for the terminal). docs/output.md lists each command's JSON and CSV.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any, Protocol

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

__all__ = ["Result", "emit", "to_json", "spreadsheet_safe", "FORMATS"]

FORMATS = ("table", "json", "ndjson", "csv")
#: A text cell starting with one of these is a formula to a spreadsheet (OWASP's list).
FORMULA_START = r"[=+\-@\t\r]"


class Result(Protocol):
    def to_dict(self) -> dict: ...
    def to_frame(self) -> pd.DataFrame: ...


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def to_json(doc: dict) -> str:
    return json.dumps(_plain(doc), ensure_ascii=False, indent=2, sort_keys=False)


def as_text(frame: pd.DataFrame, *, lists: str = "json") -> pd.DataFrame:
    """``frame`` with its time columns as ISO 8601 UTC text (``2024-06-01T04:00:00Z``, as
    snapshots write them) and, with ``lists="json"``, its list cells as JSON arrays: the
    text CSV and ndjson print. Other columns are untouched."""
    out = frame
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            from .times import epoch_ms, timestamps_to_iso

            out = out.copy() if out is frame else out
            out[col] = timestamps_to_iso(epoch_ms(s))
        elif lists == "json" and s.dtype == object and s.map(
                lambda v: isinstance(v, (list, tuple, np.ndarray))).any():
            out = out.copy() if out is frame else out
            out[col] = s.map(lambda v: json.dumps([_plain(x) for x in v], ensure_ascii=False)
                             if isinstance(v, (list, tuple, np.ndarray)) else v)
    return out


def sections(result) -> list[tuple[str, pd.DataFrame]]:
    """A result's titled tables for people: ``tables()`` when it has them, else its one
    ``to_frame()``, untitled."""
    return result.tables() if hasattr(result, "tables") else [("", result.to_frame())]


def _cell(v: Any) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e6 else f"{v:,.0f}"
    if isinstance(v, (list, tuple)):
        return ", ".join(_cell(x) for x in v)
    return str(v)


def frame_table(title: str, frame: pd.DataFrame) -> Table:
    """A rich table of ``frame``. A header never breaks inside a word: each column is at
    least as wide as its header's longest word (:func:`print_table` widens the page when
    they do not all fit); cells fold instead."""
    table = Table(show_lines=False)
    for col in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[col].dtype) or _percentages(frame[col])
        words = str(col).split() or [""]
        table.add_column(str(col), justify="right" if numeric else "left", overflow="fold",
                         min_width=max(len(w) for w in words))
    for row in frame.itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    return table


def _percentages(column: pd.Series) -> bool:
    """A text column of percentages ("41.7%"), right-aligned like the numbers it shows."""
    return len(column) > 0 and bool(column.map(
        lambda v: isinstance(v, str) and v.endswith("%") and v[:-1].replace(".", "", 1)
        .lstrip("-").isdigit()).all())


def print_table(console: Console, table: Table) -> None:
    """Print ``table`` at the console's width, or wider when its headers need more: rich
    would otherwise crop the columns that do not fit (a pager such as ``less -S`` shows
    the long lines whole)."""
    from rich.measure import Measurement

    wanted = Measurement.get(console, console.options.update_width(1 << 16), table)
    if wanted.minimum > console.width:
        # rich lays a table out at its natural width and crops what passes the page, so
        # the page gets the natural width (cells still fold past ten pages)
        width = max(wanted.minimum, min(wanted.maximum, 10 * console.width))
        console = Console(file=console.file, width=width, soft_wrap=False,
                          force_terminal=console.is_terminal, no_color=console.no_color)
    console.print(table)


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell that a spreadsheet would run as a formula (it starts with
    ``= + - @``, a tab or a carriage return) prefixed with a single quote. Numbers are left
    alone: -0.5 in a float column is a number, not a formula."""
    out = frame
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
            continue
        text = s.map(lambda v: v if isinstance(v, str) else None)
        risky = text.str.match(FORMULA_START, na=False).to_numpy(dtype=bool)
        if risky.any():
            if out is frame:
                out = frame.copy()
            out[col] = s.astype(object).where(~risky, "'" + text.where(risky, ""))
    return out


def emit(result: Result, fmt: str, *, console: Console | None = None, out=None,
         raw_csv: bool = False) -> None:
    """Print ``result``. CSV cells that would run as spreadsheet formulas are neutralised
    (:func:`spreadsheet_safe`) unless ``raw_csv``."""
    out = out or sys.stdout
    if fmt == "json":
        out.write(to_json(result.to_dict()) + "\n")
    elif fmt == "ndjson":
        frame = as_text(result.to_frame(), lists="keep")
        if len(frame):
            out.write(frame.to_json(orient="records", lines=True, force_ascii=False)
                      .rstrip("\n") + "\n")
    elif fmt == "csv":
        frame = as_text(result.to_frame())
        (frame if raw_csv else spreadsheet_safe(frame)).to_csv(out, index=False,
                                                                lineterminator="\n")
    elif fmt == "table":
        console = console or Console(file=out, soft_wrap=False,
                                     width=None if getattr(out, "isatty", lambda: False)() else 120)
        for title, frame in sections(result):
            frame = as_text(frame, lists="keep")
            if title:
                console.print(f"[bold]{escape(title)}[/bold]", highlight=False)
            if len(frame.columns):
                print_table(console, frame_table(title, frame))
    else:
        raise ValueError(f"unknown format {fmt!r}")
