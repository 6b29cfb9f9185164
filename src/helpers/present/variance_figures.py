"""Stage 02's two charts, drawn from the numbers its sections computed.

The stage helpers (:mod:`helpers.stages.variance_report`, :mod:`helpers.stages.msg_report`)
decide what is drawn and write the alt text; these functions only draw, in the house colours
of :mod:`helpers.present.charts`. The notebook passes them to the section builders, so the
stages layer never imports the presentation layer.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers.present import charts

__all__ = ["funnel_chart", "volume_bars"]

_COLOURS = {"baseline": charts.BASELINE, "previous": charts.PREVIOUS, "current": charts.CURRENT}


def _thousands(ax_axis) -> None:
    ax_axis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))


def volume_bars(groups: pd.DataFrame, columns: list[str], names: dict[str, str]) -> plt.Figure:
    """Horizontal grouped bars: one row per crime group (``groups["label"]``), one bar per
    column of ``columns`` (``baseline``, ``previous``, ``current``), labelled by ``names``."""
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(groups) + 1.5))
    y = np.arange(len(groups))
    h = 0.8 / len(columns)
    for i, c in enumerate(columns):
        ax.barh(
            y + (i - (len(columns) - 1) / 2) * h,
            groups[c],
            height=h,
            color=_COLOURS[c],
            label=names[c],
        )
    ax.set_yticks(y, groups["label"])
    ax.set_xlabel("Recorded crimes")
    _thousands(ax.xaxis)
    ax.legend(loc="lower right", frameon=False)
    ax.set_title("Recorded crime by group")
    return fig


def funnel_chart(
    curve: pd.DataFrame, points: pd.DataFrame, area_name: str, title: str
) -> plt.Figure:
    """Funnel plot: the group average and inner/outer limits (``curve``, from
    :meth:`helpers.stages.msg.MsgResult.funnel`) and one dot per partnership (``points``:
    ``population``, ``rate``, ``is_area``), the area highlighted and named."""
    fig, ax = plt.subplots()
    pop = curve["population"]
    ax.plot(pop, curve["average"], color=charts.NEUTRAL, lw=1.2, label="Group average")
    ax.plot(pop, curve["upper_inner"], color=charts.PREVIOUS, lw=1, ls="--", label="Inner limits")
    ax.plot(pop, curve["lower_inner"], color=charts.PREVIOUS, lw=1, ls="--")
    ax.plot(pop, curve["upper_outer"], color=charts.INCREASE, lw=1, ls=":", label="Outer limits")
    ax.plot(pop, curve["lower_outer"], color=charts.INCREASE, lw=1, ls=":")
    peers = points[~points["is_area"]]
    ax.scatter(
        peers["population"],
        peers["rate"],
        color=charts.NEUTRAL,
        s=25,
        zorder=3,
        label="Other partnerships",
    )
    us = points[points["is_area"]].iloc[0]
    ax.scatter(
        [us["population"]], [us["rate"]], color=charts.CURRENT, s=70, zorder=4, label=area_name
    )
    ax.annotate(
        area_name, (us["population"], us["rate"]), xytext=(6, 6), textcoords="offset points"
    )
    ax.set_xlabel("Population")
    ax.set_ylabel("Crimes per 1,000 residents")
    _thousands(ax.xaxis)
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8, loc="upper right")
    return fig
