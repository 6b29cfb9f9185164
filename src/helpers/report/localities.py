"""The pack's "Localities" section, from what stage 02 saved (seed 001's locality reporting).

``localities_parts(outputs)`` returns the section's HTML (a paragraph per locality, the
small-multiple chart, one key-figures table) and the line for the appendix that lists the
inputs. When the area's configuration names no localities, stage 02 saves no locality tables:
the section is left out and the appendix line says none were configured.

Every percentage obeys the small-number rule (:data:`helpers.core.statistics.SMALL_COUNT`):
it is printed as a dash when a count it rests on is below the threshold.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from html import escape
from typing import Any

from helpers.core.statistics import SMALL_COUNT
from helpers.report import paper

STAGE = "crime_group_variance"
TITLE = "Localities"
NONE_CONFIGURED = (
    "Localities: none were configured for this area, so the pack reports the area as a whole."
)


def _num(value: Any) -> float | None:
    return paper.num(value)


def _pct(n: float | None, d: float | None) -> float | None:
    """n as a % change on d, or None when either is below the small-number threshold."""
    if n is None or d is None or min(n, d) < SMALL_COUNT or d <= 0:
        return None
    return (n - d) / d * 100


def _chart(long_rows: list[dict[str, str]], names: list[str], baseline: str):
    """(svg, alt) of the small-multiple chart, or (None, "") when there is nothing to draw."""
    if not long_rows or not names:
        return None, ""
    import matplotlib.pyplot as plt
    import pandas as pd

    from helpers.present.localities import small_multiples
    from helpers.stages.localities import chart_alt

    table = pd.DataFrame(long_rows)
    for c in ("baseline", "previous", "current"):
        table[c] = pd.to_numeric(table[c], errors="coerce")
    fig = small_multiples(table, names, baseline)
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue(), chart_alt(table, names)


def key_rows(key: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The key-figures table as printed (small-number rule applied to every %)."""
    rows = []
    for r in key:
        cur, prev = _num(r.get("all_crime_current")), _num(r.get("all_crime_previous"))
        base = _num(r.get("all_crime_baseline"))
        share = _num(r.get("largest_group_share"))
        sig = paper.truthy(r.get("all_crime_significant"))
        rows.append(
            {
                "Locality": r["locality"],
                "This year": cur,
                "Last year": prev,
                "Change on last year": _pct(cur, prev),
                "Is the change significant?": paper.marker(sig, cur, prev),
                "Baseline year": base,
                "Change on baseline": _pct(cur, base),
                "Largest crime group": r.get("largest_group", "")
                + (f" ({share:.1f}%)" if share is not None and cur and cur >= SMALL_COUNT else ""),
            }
        )
    return rows


def localities_parts(
    o: paper.Outputs,
    baseline_name: str,
    md: Callable[[str], str],
    table: Callable[..., str],
) -> dict[str, str]:
    """``localities_html`` (empty when none were configured) and ``localities_inputs``.

    ``md`` turns a saved sentence (Markdown) into inline HTML and ``table(rows, caption,
    formats, note=...)`` renders a table: the pack's own, so the section is printed like the
    rest of the pack.
    """
    key = o.table(STAGE, "localities_key")
    if not key:
        return {"localities_html": "", "localities_inputs": NONE_CONFIGURED}

    names = [r["locality"] for r in key]
    long_rows = o.table(STAGE, "localities")
    svg, alt = _chart(long_rows, names, baseline_name)
    unplaced = int(_num(o.figure(STAGE, "localities_not_placed", 0)) or 0)
    parts = [f"<h1>{escape(TITLE)}</h1>"]
    parts.append(
        "<p>"
        + escape(
            f"The area is reported in {paper.narrative.number_word(len(names))} localities as "
            "well as a whole: "
            + "; ".join(f"{r['locality']} ({r.get('defined_by', '')})" for r in key)
            + ". Each locality is counted over the same months as the area, and the "
            "localities add up to the area's figures."
        )
        + "</p>"
    )
    for r in key:
        if r.get("summary"):
            parts.append(f"<p>{md(r['summary'])}</p>")
    if svg:
        import base64

        parts.append(
            f'<figure class="chart"><img alt="{escape(alt)}" '
            f'src="data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode("ascii")}">'
            "</figure>"
        )
    parts.append(
        table(
            key_rows(key),
            "Key figures by locality: recorded crime this year, last year and the baseline",
            {
                "This year": "int",
                "Last year": "int",
                "Change on last year": "signed_pct",
                "Baseline year": "int",
                "Change on baseline": "signed_pct",
                "Is the change significant?": "text",
                "Largest crime group": "text",
            },
            note="Significance is tested within each locality as for the area; a locality's "
            "counts are smaller, so fewer of its changes are significant. A dash means no "
            f"percentage: a count below {SMALL_COUNT}. "
            + (
                f"{unplaced:,} crime{'s' if unplaced != 1 else ''} could not be placed in a "
                "locality (no ward was recorded); they are in the area's figures only."
                if unplaced
                else "Every crime was placed in a locality."
            ),
        )
    )
    listed = "; ".join(f"{r['locality']}: {r.get('defined_by', '')}" for r in key)
    return {
        "localities_html": "\n".join(parts),
        "localities_inputs": f"Localities configured for this area: {listed}.",
    }
