"""Parsers for the option values several analyses share: windows, signals, times, ``--p``.

They import nothing heavy, so the command line checks its options (as Click parameter
types) before it loads pandas or connects, and the library checks the same values with
the same words.
"""

from __future__ import annotations

import re

from .errors import InputError

__all__ = ["SIGNALS", "P_NAMED", "parse_window", "parse_signals", "parse_time", "parse_p"]

SIGNALS = ("likes", "shares")
#: the named edge-probability models ``--p`` accepts besides one number
P_NAMED = ("weighted-cascade", "history", "column")
_UNITS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


def parse_window(text) -> int:
    """'7d', '12h', '30m', '90s', '2w' -> milliseconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", str(text))
    if not m:
        raise InputError(f"window {text!r} is not a number and a unit (s, m, h, d, w), e.g. 7d",
                         field="window")
    return int(round(float(m.group(1)) * _UNITS[m.group(2)]))


def parse_signals(text) -> tuple[bool, bool]:
    """'likes', 'shares' or 'likes,shares' (or a list of them) -> (likes, shares)."""
    items = [s.strip() for s in (text.split(",") if isinstance(text, str) else text) if s]
    bad = [s for s in items if s not in SIGNALS]
    if bad or not items:
        raise InputError(f"{{signals}} must be likes, shares or both, got {text!r}",
                         field="signals")
    return "likes" in items, "shares" in items


def parse_time(text: str) -> int:
    """An ISO 8601 time (no offset means UTC) -> epoch milliseconds."""
    import pandas as pd

    ts = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
    if pd.isna(ts):
        raise InputError(f"time {text!r} is not ISO 8601, e.g. 2024-06-05T12:00:00+08:00",
                         field="at")
    return int(ts.value // 1_000_000)


def parse_p(spec):
    """``--p``: a probability in [0, 1] (returned as a float) or one of :data:`P_NAMED`
    (returned as given)."""
    if isinstance(spec, str) and spec in P_NAMED:
        return spec
    try:
        p = float(spec)
    except (TypeError, ValueError):
        raise InputError(f"{{p}} must be a number in [0, 1], weighted-cascade, history or "
                         f"column, got {spec!r}", field="p") from None
    if not 0.0 <= p <= 1.0:
        raise InputError(f"{{p}} must be in [0, 1], got {p}", field="p")
    return p
