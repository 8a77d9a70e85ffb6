"""Fixed-width text columns formatted by compiled kernels straight into Arrow strings.

Arrow's integer-to-string cast and numpy's ``datetime_as_string`` cost 0.3-0.9 s per
million values; the generator writes tens of millions of ids and timestamps. Every
value here has the same width, so the kernel fills one byte buffer and the offsets
are a multiple of the width.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit

__all__ = ["padded_ids", "iso_utc_ms", "repeated"]

_ISO_WIDTH = len("2024-06-01T00:00:00.000Z")


def _strings(data: np.ndarray, n: int, width: int) -> pa.Array:
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32 if (n + 1) * width < 2**31
                        else np.int64)
    kind = pa.string() if offsets.dtype == np.int32 else pa.large_string()
    return pa.Array.from_buffers(kind, n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


@njit(cache=True)
def _fill_ids(values, prefix, width, out):
    p = prefix.shape[0]
    w = p + width
    for i in range(values.shape[0]):
        base = i * w
        for j in range(p):
            out[base + j] = prefix[j]
        v = values[i]
        for j in range(w - 1, p - 1, -1):
            out[base + j] = 48 + v % 10
            v //= 10


def padded_ids(prefix: str, values: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + each value zero-padded to ``width`` digits, e.g. ``u000042``.

    Values must be non-negative and below ``10**width``."""
    values = np.ascontiguousarray(values, dtype=np.int64)
    if len(values) and (values.min() < 0 or values.max() >= 10**width):
        raise ValueError(f"ids must be in [0, 10**{width})")
    head = np.frombuffer(prefix.encode("utf-8"), dtype=np.uint8)
    w = len(head) + width
    out = np.empty(len(values) * w, dtype=np.uint8)
    _fill_ids(values, head, width, out)
    return _strings(out, len(values), w)


@njit(cache=True, inline="always")
def _put(out, at, value, digits):
    for j in range(digits - 1, -1, -1):
        out[at + j] = 48 + value % 10
        value //= 10


@njit(cache=True)
def _fill_iso(ms, out):
    for i in range(ms.shape[0]):
        t = ms[i]
        days = t // 86_400_000
        rest = t - days * 86_400_000
        # civil date from days since 1970-01-01 (H. Hinnant's algorithm)
        z = days + 719_468
        era = (z if z >= 0 else z - 146_096) // 146_097
        doe = z - era * 146_097
        yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
        doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
        mp = (5 * doy + 2) // 153
        d = doy - (153 * mp + 2) // 5 + 1
        m = mp + 3 if mp < 10 else mp - 9
        y = yoe + era * 400 + (1 if m <= 2 else 0)
        b = i * 24
        _put(out, b, y, 4)
        out[b + 4] = 45
        _put(out, b + 5, m, 2)
        out[b + 7] = 45
        _put(out, b + 8, d, 2)
        out[b + 10] = 84  # T
        _put(out, b + 11, rest // 3_600_000, 2)
        out[b + 13] = 58
        _put(out, b + 14, rest // 60_000 % 60, 2)
        out[b + 16] = 58
        _put(out, b + 17, rest // 1000 % 60, 2)
        out[b + 19] = 46
        _put(out, b + 20, rest % 1000, 3)
        out[b + 23] = 90  # Z


def iso_utc_ms(epoch_ms: np.ndarray) -> pa.Array:
    """Epoch milliseconds (years 0-9999) as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` text."""
    ms = np.ascontiguousarray(epoch_ms, dtype=np.int64)
    out = np.empty(len(ms) * _ISO_WIDTH, dtype=np.uint8)
    _fill_iso(ms, out)
    return _strings(out, len(ms), _ISO_WIDTH)


def repeated(text: str, n: int) -> pa.Array:
    """``text`` ``n`` times."""
    one = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    return _strings(np.tile(one, n), n, len(one))
