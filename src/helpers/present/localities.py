"""The localities' small-multiple chart: one panel per locality, crime groups down the side,
this year, last year and the baseline as three bars (the seed's three-series chart, once per
locality, on one shared scale so the panels can be compared by eye).

``small_multiples(table, names, baseline_name)`` takes the long table that
:func:`helpers.stages.localities.locality_sections` saves (``locality, level, label, baseline,
previous, current``) and returns a matplotlib figure. Colour is never the only cue: the legend
names each series and the bars keep the same order in every group (baseline, last year, this
year, top to bottom).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers.present import charts

__all__ = ["small_multiples"]

SERIES = (("baseline", charts.BASELINE), ("previous", charts.PREVIOUS), ("current", charts.CURRENT))
NAMES = {"previous": "Last year", "current": "This year"}


def _baseline_label(name: str) -> str:
    """'Baseline: pre-COVID (year to Dec 2019)', or 'The pre-COVID baseline' as given."""
    if "baseline" in name.lower():
        return name[:1].upper() + name[1:]
    return f"Baseline: {name}"


def small_multiples(
    table: pd.DataFrame, names: list[str], baseline_name: str = "Baseline", max_groups: int = 12
) -> plt.Figure:
    """One horizontal grouped-bar panel per locality in ``names`` (at most ``max_groups``
    largest crime groups of the whole area, in the same order in every panel)."""
    charts.apply_house_style()
    t = table[table["level"] == "group"].copy()
    for c in ("baseline", "previous", "current"):
        t[c] = pd.to_numeric(t[c], errors="coerce")
    order = (
        t.groupby("label")["current"].sum().sort_values(ascending=False).head(max_groups).index
    )[::-1]
    have_base = t["baseline"].notna().any()
    series = [(c, col) for c, col in SERIES if c != "baseline" or have_base]
    n = len(names)
    cols = 1 if n == 1 else 2 if n <= 4 else 3
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(6.9, max(2.2, 0.24 * len(order) * len(series) / 2 + 1.0) * rows),
        sharey=True,
        squeeze=False,
    )
    top = max(1.0, float(np.nanmax(t[[c for c, _ in series]].to_numpy(dtype=float))))
    y = np.arange(len(order))
    h = 0.8 / len(series)
    for k, ax in enumerate(axes.flat):
        if k >= n:
            ax.set_visible(False)
            continue
        part = t[t["locality"] == names[k]].set_index("label").reindex(order)
        for i, (c, colour) in enumerate(series):
            label = _baseline_label(baseline_name) if c == "baseline" else NAMES[c]
            ax.barh(
                y + ((len(series) - 1) / 2 - i) * h,
                part[c].fillna(0),
                height=h,
                color=colour,
                label=label,
            )
        ax.set_yticks(y, list(order), fontsize=9.5)
        ax.set_xlim(0, top * 1.05)
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.tick_params(axis="x", labelsize=9.5)
        ax.set_title(names[k], fontsize=10.5, loc="left")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(series), frameon=False, fontsize=9.5)
    fig.supxlabel("Recorded crimes", fontsize=9.5, y=0.06)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig
