"""What every analysis result can do in a notebook, beside ``to_dict()`` and ``to_frame()``.

:class:`Displayable` gives each result a short ``repr``, an HTML view (``_repr_html_``:
each of its tables, the first rows and how many more), ``to_arrow()`` and
``to_polars()``. Results draw themselves with ``.plot()`` (:mod:`analyzer.charts`).
"""

from __future__ import annotations

import html

__all__ = ["Displayable", "HEAD_ROWS"]

#: rows shown of each table in a notebook; the rest are counted
HEAD_ROWS = 10


class Displayable:
    """Mixed into result dataclasses (declared with ``repr=False``, so this repr stays).
    Each subclass's ``to_frame()`` passes through :func:`tidy`, so text columns have one
    dtype in every result."""

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("to_frame")
        if own is not None and not getattr(own, "_tidied", False):
            import functools

            @functools.wraps(own)
            def to_frame(self, *args, **kw):
                return tidy(own(self, *args, **kw))

            to_frame._tidied = True  # type: ignore[attr-defined]
            cls.to_frame = to_frame  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        from .render import sections

        title = next((t for t, _ in sections(self) if t), "")
        rows = len(self.to_frame())  # type: ignore[attr-defined]
        head = f"{title} " if title else ""
        return f"<{type(self).__name__}: {head}({rows:,} rows in to_frame())>"

    def _repr_html_(self) -> str:
        from .render import as_text, sections

        parts = ["<div class='diffusion-result'>"]
        for title, frame in sections(self):
            if title:
                parts.append(f"<p><b>{html.escape(title)}</b></p>")
            if len(frame.columns):
                shown = as_text(frame.head(HEAD_ROWS), lists="keep")
                parts.append(shown.to_html(index=False, na_rep="", escape=True,
                                           border=0, float_format=lambda v: f"{v:,.4g}"))
                if len(frame) > HEAD_ROWS:
                    parts.append(f"<p>{len(frame) - HEAD_ROWS:,} more rows "
                                 f"(<code>to_frame()</code> has them all)</p>")
        parts.append("</div>")
        return "\n".join(parts)

    def to_arrow(self):
        """``to_frame()`` as a pyarrow Table (times stay timestamps, lists stay lists)."""
        import pyarrow as pa

        return pa.Table.from_pandas(self.to_frame(), preserve_index=False)

    def to_polars(self):
        """``to_frame()`` as a polars DataFrame (needs the ``polars`` package)."""
        try:
            import polars as pl
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("to_polars() needs polars: pip install polars") from exc
        return pl.from_arrow(self.to_arrow())


def tidy(frame):
    """``frame`` with each object column that holds only text (or missing values) given the
    one text dtype pandas uses for text, so every result's text columns agree."""
    import pandas as pd

    out = frame
    for col in frame.columns:
        s = frame[col]
        if s.dtype == object and len(s) and s.map(lambda v: v is None or isinstance(v, str)
                                                   or v is pd.NA).all():
            out = out.copy() if out is frame else out
            out[col] = s.astype("str").where(s.notna())
    return out
