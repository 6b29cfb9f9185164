"""One way to display a table: clean HTML in JupyterLab, a well-set table in the PDF.

``show_table(df, ...)`` returns a :class:`Table` whose HTML has right-aligned numbers, thousands
separators, percentages to one decimal place, direction arrows and suppressed cells marked. The
underlying DataFrame is kept on ``.data`` for tests. Alignment is written on each cell as an inline
style as well as a class, so JupyterLab's own table CSS (which right-aligns everything) cannot
override it; the PDF template styles the same classes.

Formats (``formats={column: kind}``; columns not named are inferred: integers → ``int``, floats →
``float1``, everything else → ``text``):

==============  =========================================  ==============
kind            value expected                             shown as
==============  =========================================  ==============
``int``         a count                                    ``12,345``
``pct``         a percentage already ×100 (12.34)          ``12.3%``
``signed_pct``  a percentage change (-4.56)                ``-4.6%`` / ``+4.6%``
``signed_int``  a change in a count                        ``+1,234`` / ``-56``
``rate``        a rate (per 1,000 etc.)                    ``3.46``
``float1``      any number                                 ``1,234.5``
``arrow``       ``"up"`` / ``"down"`` / ``"same"``         ▲ / ▼ / ▶
``text``        anything                                   as text
==============  =========================================  ==============

Missing values show as an en dash; booleans as "yes"/"no"; suppressed cells (``suppressed`` mask
True) as ``*`` with a note under the table, never the number.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field

import pandas as pd

SUPPRESSED = "*"  # shown for counts below the disclosure threshold
MISSING = "–"
NUMERIC_KINDS = {"int", "pct", "signed_pct", "signed_int", "rate", "float1", "arrow"}
KINDS = NUMERIC_KINDS | {"text"}
ARROWS = {"up": "▲", "down": "▼", "same": "▶", "none": "▶", "flat": "▶"}
ARROW_WORDS = {"▲": "up", "▼": "down", "▶": "no change"}
_ALIGN = {"num": "text-align:right", "txt": "text-align:left"}


def _is_missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return isinstance(value, float) and math.isnan(value)
    except TypeError:  # pragma: no cover - exotic scalars
        return False


def _fmt(value, kind: str) -> str:
    """Format one value as HTML-safe text for ``kind``; values that are not numbers stay text."""
    if _is_missing(value):
        return MISSING
    if isinstance(value, bool) and kind != "arrow":
        return "yes" if value else "no"
    try:
        if kind == "int":
            return f"{int(round(float(value))):,}"
        if kind == "pct":
            v = float(value)
            if 0 < abs(v) < 0.05:  # a real but tiny share must not read as zero
                return "&lt;0.1%" if v > 0 else "&gt;-0.1%"
            return f"{v:.1f}%"
        if kind == "signed_pct":
            v = round(float(value), 1)
            return f"{v:+.1f}%" if v != 0 else "0.0%"
        if kind == "signed_int":
            v = int(round(float(value)))
            return f"{v:+,}" if v != 0 else "0"
        if kind == "rate":
            return f"{float(value):,.2f}"
        if kind == "float1":
            return f"{float(value):,.1f}"
    except (TypeError, ValueError):
        return html.escape(str(value))
    if kind == "arrow":
        return ARROWS.get(str(value).lower(), html.escape(str(value)))
    return html.escape(str(value))


def infer_kind(series: pd.Series) -> str:
    """Default format for a column: int for integer counts, float1 for other numbers, else text."""
    if pd.api.types.is_bool_dtype(series):
        return "text"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        return "float1"
    return "text"


@dataclass
class Table:
    """A displayable table. ``data`` keeps the unformatted values (tests read it)."""

    data: pd.DataFrame
    caption: str | None = None
    formats: dict[str, str] = field(default_factory=dict)
    note: str | None = None
    suppressed: pd.DataFrame | None = None  # boolean mask, same shape: True = suppressed cell

    def kinds(self) -> dict[str, str]:
        return {c: self.formats.get(c, infer_kind(self.data[c])) for c in self.data.columns}

    def _is_suppressed(self, i: int, col) -> bool:
        if (
            self.suppressed is None
            or col not in self.suppressed.columns
            or i >= len(self.suppressed)
        ):
            return False
        v = self.suppressed.iloc[i][col]
        return bool(v) if not _is_missing(v) else False

    def formatted(self) -> pd.DataFrame:
        """The table as the reader sees it (strings), for tests and CSV previews."""
        kinds = self.kinds()
        out = {}
        for c in self.data.columns:
            out[c] = [
                SUPPRESSED if self._is_suppressed(i, c) else html.unescape(_fmt(v, kinds[c]))
                for i, v in enumerate(self.data[c].tolist())
            ]
        return pd.DataFrame(out, columns=self.data.columns)

    def to_html(self) -> str:
        cols = list(self.data.columns)
        kinds = self.kinds()
        align = {c: "num" if kinds[c] in NUMERIC_KINDS else "txt" for c in cols}
        out = ['<table class="report-table">']
        if self.caption:
            out.append(f"<caption>{html.escape(self.caption)}</caption>")
        out.append("<thead><tr>")
        for c in cols:
            a = align[c]
            out.append(
                f'<th class="{a}" scope="col" style="{_ALIGN[a]}">{html.escape(str(c))}</th>'
            )
        out.append("</tr></thead><tbody>")
        any_suppressed = False
        for i, row in enumerate(self.data.itertuples(index=False, name=None)):
            out.append("<tr>")
            for c, v in zip(cols, row, strict=True):
                a = align[c]
                style = _ALIGN[a]
                if self._is_suppressed(i, c):
                    any_suppressed = True
                    out.append(
                        f'<td class="{a} suppressed" style="{style}" title="suppressed">{SUPPRESSED}</td>'
                    )
                    continue
                text = _fmt(v, kinds[c])
                cls = a
                if kinds[c] == "arrow" and not _is_missing(v):
                    cls += f" arrow-{html.escape(str(v).lower())}"
                    word = ARROW_WORDS.get(text)
                    if word:
                        text = f'<span aria-label="{word}" title="{word}">{text}</span>'
                out.append(f'<td class="{cls}" style="{style}">{text}</td>')
            out.append("</tr>")
        out.append("</tbody></table>")
        notes = []
        if self.note:
            notes.append(html.escape(self.note))
        if any_suppressed and not (self.note and SUPPRESSED in self.note):
            notes.append(
                f"{SUPPRESSED} Suppressed: a small number not shown, to protect privacy "
                "(disclosure control)."
            )
        for n in notes:
            out.append(f'<p class="table-note">{n}</p>')
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
    """Wrap ``df`` for display (the only way notebooks show tables).

    ``formats`` maps column → int|pct|signed_pct|signed_int|rate|float1|arrow|text (see the module
    docstring); ``suppressed`` is a boolean frame of the same shape (True = show ``*``). The index
    is dropped: put anything the reader needs in a column. An unknown format kind raises
    :class:`helpers.core.errors.ParameterError`.
    """
    formats = dict(formats or {})
    bad = {c: k for c, k in formats.items() if k not in KINDS}
    if bad:
        from helpers.core.errors import ParameterError

        raise ParameterError(
            f"show_table: unknown format(s) {bad} for table {caption!r}.",
            f"Use one of: {', '.join(sorted(KINDS))}.",
        )
    return Table(
        df.reset_index(drop=True),
        caption,
        formats,
        note,
        None if suppressed is None else suppressed.reset_index(drop=True),
    )


_PATH = re.compile(r"`?\b(?:helpers|docs|data|tables|figures|reports|config)/[\w./-]*\w`?")
_IDENT = re.compile(r"`?\b([a-z]+(?:_[a-z0-9]+)+)\b`?")


def plain_text(text: str) -> str:
    """A developer message made fit for print: "4 extract row(s) ... add them to
    helpers/data/codes.csv" → "4 extract rows ... add them to the reference table".

    File paths become "the reference table", "(s)" plurals are written out and snake_case
    identifiers lose their underscores. For notes that lower layers word for analysts."""
    out = _PATH.sub("the reference table", str(text))
    out = re.sub(r"\b(\w+)\(s\)", r"\1s", out)
    out = _IDENT.sub(lambda m: m.group(1).replace("_", " "), out)
    return out
