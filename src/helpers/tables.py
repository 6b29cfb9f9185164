"""One way to display a table: clean HTML in JupyterLab, a well-set table in the PDF.

``show_table(df, ...)`` returns a :class:`Table` whose HTML has right-aligned numbers,
thousands separators, percentages to one decimal place, direction arrows and suppressed cells
marked. The underlying DataFrame is kept on ``.data`` for tests.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import pandas as pd

SUPPRESSED = "*"  # shown for counts below the disclosure threshold


def _fmt(value, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–"
    if kind == "int":
        return f"{int(round(float(value))):,}"
    if kind == "pct":
        return f"{float(value):.1f}%"
    if kind == "signed_pct":
        return f"{float(value):+.1f}%"
    if kind == "signed_int":
        return f"{int(round(float(value))):+,}"
    if kind == "rate":
        return f"{float(value):.2f}"
    if kind == "float1":
        return f"{float(value):,.1f}"
    if kind == "arrow":
        return {"up": "▲", "down": "▼", "same": "▶"}.get(str(value), str(value))
    return html.escape(str(value))


def infer_kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "text"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        return "float1"
    return "text"


@dataclass
class Table:
    data: pd.DataFrame
    caption: str | None = None
    formats: dict[str, str] = field(default_factory=dict)
    note: str | None = None
    suppressed: pd.DataFrame | None = None  # boolean mask, same shape: True = suppressed cell

    def to_html(self) -> str:
        cols = list(self.data.columns)
        kinds = {c: self.formats.get(c, infer_kind(self.data[c])) for c in cols}
        out = ['<table class="report-table">']
        if self.caption:
            out.append(f"<caption>{html.escape(self.caption)}</caption>")
        out.append("<thead><tr>")
        for c in cols:
            cls = "num" if kinds[c] != "text" else "txt"
            out.append(f'<th class="{cls}">{html.escape(str(c))}</th>')
        out.append("</tr></thead><tbody>")
        for i, (_, row) in enumerate(self.data.iterrows()):
            out.append("<tr>")
            for c in cols:
                cls = "num" if kinds[c] not in ("text",) else "txt"
                if self.suppressed is not None and c in self.suppressed.columns and bool(self.suppressed.iloc[i][c]):
                    out.append(f'<td class="{cls} suppressed">{SUPPRESSED}</td>')
                    continue
                v = row[c]
                text = _fmt(v, kinds[c])
                if kinds[c] == "arrow":
                    cls += f" arrow-{v}"
                out.append(f'<td class="{cls}">{text}</td>')
            out.append("</tr>")
        out.append("</tbody></table>")
        if self.note:
            out.append(f'<p class="table-note">{html.escape(self.note)}</p>')
        return "".join(out)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:  # plain-text fallback never shows a DataFrame repr in a PDF
        return self.caption or "Table"


def show_table(
    df: pd.DataFrame,
    caption: str | None = None,
    formats: dict[str, str] | None = None,
    note: str | None = None,
    suppressed: pd.DataFrame | None = None,
) -> Table:
    """Wrap ``df`` for display. ``formats`` maps column -> int|pct|signed_pct|signed_int|rate|float1|arrow|text."""
    return Table(df.reset_index(drop=True), caption, dict(formats or {}), note,
                 None if suppressed is None else suppressed.reset_index(drop=True))
