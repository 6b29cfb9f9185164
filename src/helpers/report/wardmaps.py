"""Small-multiple ward maps for the panel pack: several measures' rates in one figure.

One sequential palette (light = low, dark = high rate) for every panel, so a colour means the
same thing everywhere in the pack; each panel has its own five classes (quintiles: six wards
each), named in its legend. Suppressed wards (disclosure control) are hatched and unclassed.
The three highest-rate wards of each panel are labelled on the map and named in the alt text.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from helpers.core import narrative  # noqa: E402
from helpers.present import charts  # noqa: E402
from helpers.present.maps import SUPPRESSED_HATCH, classify, draw_layer  # noqa: E402
from helpers.report.paper import WARD_MEASURES, num, top_rate_wards  # noqa: E402

# ColorBrewer YlOrBr, five classes: sequential, colour-blind safe, no blue (blue is not used for
# "low" here and "fell" elsewhere).
RATE_COLOURS = ["#FFFFD4", "#FED98E", "#FE9929", "#D95F0E", "#993404"]


def _range(lo: float, hi: float, top: float) -> str:
    """A legend class as '20–52' (or '2.1–6.9' when the panel's rates are small)."""
    d = 0 if top >= 50 else 1
    return f"{lo:,.{d}f}–{hi:,.{d}f}"


def read_ward_shapes(processed_folder: Path):
    """The cleaned ward boundaries the hotspot stage used (``wards.parquet``), or None."""
    path = Path(processed_folder) / "wards.parquet"
    if not path.exists():
        return None
    import geopandas as gpd

    try:
        return gpd.read_parquet(path)
    except Exception:  # noqa: BLE001 - a pack without maps is better than no pack
        return None


def small_multiples(wards, rates: list[dict[str, str]], code_col: str = "ward_code"):
    """(svg text, alt text) of the rate maps, or (None, '') when they cannot be drawn."""
    if wards is None or not rates or code_col not in wards.columns:
        return None, ""
    by_code = {r["ward_code"]: r for r in rates}
    measures = [(k, v) for k, v in WARD_MEASURES.items() if f"{k}_rate" in rates[0]]
    if not measures:
        return None, ""
    charts.apply_house_style()
    ncols = 2
    nrows = int(np.ceil(len(measures) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.6, 3.0 * nrows))
    axes = np.atleast_1d(axes).ravel()
    alt_parts = []
    for ax, (key, label) in zip(axes, measures, strict=False):
        vals = np.array(
            [num(by_code.get(c, {}).get(f"{key}_rate")) for c in wards[code_col]], dtype=object
        )
        ok = np.array([v is not None for v in vals])
        y = np.array([v if v is not None else np.nan for v in vals], dtype=float)
        bins, yb, k = classify(y[ok], scheme="Quantiles", k=5)
        colours = RATE_COLOURS if k == 5 else [RATE_COLOURS[i] for i in range(k)]
        idx = np.flatnonzero(ok)
        draw_layer(wards.iloc[idx], ax, color=[colours[i] for i in yb], linewidth=0)
        if (~ok).any():
            draw_layer(
                wards.iloc[np.flatnonzero(~ok)],
                ax,
                facecolor="white",
                edgecolor="#595959",
                hatch=SUPPRESSED_HATCH,
                linewidth=0,
            )
        draw_layer(wards.boundary, ax, color="#404040", linewidth=0.4)
        top = top_rate_wards(rates, key)
        names = {w for w, _ in top}
        for _, row in wards.iterrows():
            name = row.get("ward_name", "")
            if name in names:
                pt = row.geometry.representative_point()
                ax.annotate(
                    name,
                    (pt.x, pt.y),
                    ha="center",
                    va="center",
                    fontsize=9,
                    color="#000000",
                    annotation_clip=False,  # inside its ward: no in-axes test per draw
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
                )
        ax.set_axis_off()
        ax.xaxis.set_visible(False)  # no tick layout for the hidden axes (same picture)
        ax.yaxis.set_visible(False)
        ax.set_title(label, fontsize=11, loc="left")
        lows = [float(np.nanmin(y[ok]))] + [float(b) for b in bins[:-1]]
        handles = [
            Patch(
                facecolor=colours[i],
                edgecolor="#404040",
                linewidth=0.4,
                label=_range(lows[i], bins[i], float(bins[-1])),
            )
            for i in range(k)
        ]
        if (~ok).any():
            handles.append(
                Patch(
                    facecolor="white",
                    edgecolor="#595959",
                    hatch=SUPPRESSED_HATCH,
                    label="Suppressed",
                )
            )
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(0.92, 1.0),
            fontsize=9,
            frameon=False,
            title="Rate per 1,000",
            title_fontsize=9,
            alignment="left",
            ncol=1,
            handlelength=1.2,
            columnspacing=0.8,
        )
        alt_parts.append(
            f"{label}: highest in " + narrative.join_names([f"{w} ({v:,.1f})" for w, v in top])
        )
    for ax in axes[len(measures) :]:
        ax.set_axis_off()
        ax.xaxis.set_visible(False)
        ax.yaxis.set_visible(False)
    fig.subplots_adjust(left=0.0, right=0.86, top=0.95, bottom=0.02, wspace=0.42, hspace=0.18)
    alt = (
        "Ward maps of rates per 1,000 residents, darker for higher rates, one map per measure. "
        + "; ".join(alt_parts)
        + "."
    )
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    return charts.lean_svg(buf.getvalue()), alt


def violence_trend(monthly: list[dict[str, str]], months: int = 36):
    """(svg, alt) of monthly violence over the last ``months`` months, or (None, '')."""
    rows = [
        r
        for r in monthly
        if r.get("series") == "All violence" and num(r.get("offences")) is not None
    ]
    if len(rows) < 6:
        return None, ""
    rows = rows[-months:]
    import pandas as pd

    x = pd.PeriodIndex([r["month"] for r in rows], freq="M").to_timestamp()
    y = [num(r["offences"]) for r in rows]
    charts.apply_house_style()
    fig, ax = plt.subplots(figsize=(6.9, 2.5))
    ax.plot(x, y, color=charts.CURRENT, marker="o", ms=2.5, linewidth=1.6)
    ax.set_ylabel("Offences a month", fontsize=10)
    ax.tick_params(labelsize=9.5)
    ax.set_ylim(bottom=0)
    import matplotlib.dates as mdates

    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    hi = int(np.argmax(y))
    lo = int(np.argmin(y))
    ax.annotate(
        f"{y[hi]:,.0f}",
        (x[hi], y[hi]),
        textcoords="offset points",
        xytext=(0, 5),
        ha="center",
        fontsize=9.5,
    )
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    first, last = rows[0]["month"], rows[-1]["month"]
    alt = (
        f"Line chart of violence against the person by month, {first} to {last}: "
        f"highest {y[hi]:,.0f} in {rows[hi]['month']}, lowest {y[lo]:,.0f} in {rows[lo]['month']}, "
        f"{y[-1]:,.0f} in the latest month."
    )
    return charts.lean_svg(buf.getvalue()), alt
