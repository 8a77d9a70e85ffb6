"""Times as the project holds them: nullable int64 epoch milliseconds (UTC), and their
conversions to pandas datetimes and ISO 8601 text."""

from __future__ import annotations

import pandas as pd

from .errors import InputError

__all__ = ["epoch_ms", "timestamps_to_iso", "utc_times"]


def utc_times(ms) -> pd.Series:
    """int64 epoch milliseconds (nullable) to ``datetime64[ms, UTC]``, missing as NaT."""
    return pd.to_datetime(pd.Series(ms, dtype="Int64").astype("Float64"), unit="ms",
                          utc=True).dt.as_unit("ms")


def timestamps_to_iso(ms: pd.Series) -> pd.Series:
    """int64 epoch milliseconds (nullable) to ISO 8601 UTC text, e.g. ``2024-05-01T04:30:00Z``."""
    ts = utc_times(ms)
    text = ts.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ").str.replace(r"\.(\d{3})\d{3}Z$", r".\1Z",
                                                                  regex=True)
    text = text.str.replace(".000Z", "Z", regex=False)
    return text.where(ms.notna(), None)


def epoch_ms(s: pd.Series, what: str = "time") -> pd.Series:
    """Times as nullable epoch milliseconds: from epoch-ms integers (as validation makes
    them), ``datetime64`` (naive is UTC), ``pandas.Timestamp``/``datetime`` values or ISO
    8601 text. Raises InputError naming ``what`` for anything else."""
    if pd.api.types.is_integer_dtype(s.dtype):
        return s.astype("Int64")
    if not pd.api.types.is_datetime64_any_dtype(s.dtype):
        try:
            s = pd.to_datetime(s, utc=True, format="ISO8601") if s.map(
                lambda v: isinstance(v, str)).any() else pd.to_datetime(s, utc=True)
        except (ValueError, TypeError) as exc:
            raise InputError(f"{what}: not times ({exc})", field=what) from exc
    elif s.dt.tz is None:
        s = s.dt.tz_localize("UTC")
    ms = s.dt.tz_convert("UTC").dt.as_unit("ms").astype("int64")
    return pd.Series(ms, index=s.index).astype("Int64").where(s.notna())
