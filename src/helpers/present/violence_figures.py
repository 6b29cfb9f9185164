"""Stage 03's charts: each function takes the data a section holds and returns a figure.

:mod:`helpers.stages.violence_report` builds the sections (and their alt text); the notebook
passes this module as ``draw`` so a section's ``figure`` calls one of these functions when it is
shown. Colours come from :mod:`helpers.present.charts` (colour-blind safe, never the only
carrier of meaning: bars are labelled, lines named in a legend).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from helpers.present import charts

__all__ = [
    "day_hour_heatmap",
    "location_bars",
    "policeuk_line",
    "seasonal_bars",
    "subgroup_bars",
    "trend_panels",
]


def subgroup_bars(shown: pd.DataFrame, previous_name: str, current_name: str) -> plt.Figure:
    """Paired horizontal bars of ``shown`` (``subgroup``, ``previous``, ``current``), top row last."""
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(shown) + 1.2))
    y = range(len(shown))
    ax.barh(
        [i + 0.2 for i in y],
        shown["previous"],
        height=0.4,
        color=charts.PREVIOUS,
        label=previous_name,
    )
    ax.barh(
        [i - 0.2 for i in y], shown["current"], height=0.4, color=charts.CURRENT, label=current_name
    )
    ax.set_yticks(list(y), shown["subgroup"])
    ax.set_xlabel("Offences")
    ax.set_title("Violence by subgroup: current and previous period")
    ax.legend(loc="lower right")
    return fig


def location_bars(pivot: pd.DataFrame) -> plt.Figure:
    """100% stacked bars: one per year (index), one segment per location type (share, %)."""
    from helpers.stages.violence import LOCATION_TYPES

    fig, ax = plt.subplots(figsize=(8, 0.7 * len(pivot) + 1.5))
    left = pd.Series(0.0, index=pivot.index)
    for i, t in enumerate([c for c in LOCATION_TYPES if c in pivot.columns]):
        ax.barh(pivot.index, pivot[t].fillna(0), left=left, color=charts.PALETTE[i], label=t)
        for yi, (val, lft) in enumerate(zip(pivot[t].fillna(0), left, strict=True)):
            if val >= 6:
                ax.text(
                    lft + val / 2,
                    yi,
                    f"{val:.0f}%",
                    ha="center",
                    va="center",
                    color=charts.text_colour_on(charts.PALETTE[i]),
                )
        left += pivot[t].fillna(0)
    ax.set_xlim(0, 100)
    ax.set_xlabel("Share of violent offences (%)")
    ax.set_title("Violence by location type")
    ax.legend(ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.25))
    return fig


def trend_panels(keep: list[str], adjusted: dict) -> plt.Figure:
    """One panel per series: monthly count, seasonally adjusted line and the two-piece trend.

    ``adjusted[name]`` is ``(series, Seasonality, ChangePoint)``; a significant change is marked
    by a vertical line at the month it began.
    """
    n = len(keep)
    fig, axes = plt.subplots(n, 1, figsize=(8, 2.4 * n + 0.6), sharex=True, squeeze=False)
    for ax, name in zip(axes[:, 0], keep, strict=True):
        series, seas, cp = adjusted[name]
        x = pd.PeriodIndex(series.index, freq="M").to_timestamp()
        ax.plot(x, series.to_numpy(), color=charts.BASELINE, lw=1, label="Monthly count")
        ax.plot(
            x,
            seas.table["deseasonalised"].to_numpy(),
            color=charts.CURRENT,
            lw=1.6,
            label="Seasonally adjusted",
        )
        if cp.fitted is not None:
            ax.plot(
                x,
                cp.fitted.to_numpy(),
                color=charts.INCREASE if cp.significant else charts.NEUTRAL,
                lw=1.6,
                ls="--",
                label="Two-piece trend",
            )
            if cp.significant:
                ax.axvline(
                    pd.Period(cp.month, freq="M").to_timestamp(), color=charts.INCREASE, lw=1
                )
        ax.set_title(name, loc="left", fontsize=10)
        ax.set_ylabel("Offences")
    axes[0, 0].legend(loc="upper left", fontsize=8, ncols=3)
    return fig


def seasonal_bars(profile: pd.Series, name: str) -> plt.Figure:
    """Twelve bars, January to December: offences above (or below) the trend in each month."""
    fig, ax = plt.subplots(figsize=(8, 3))
    names = [pd.Timestamp(2000, m, 1).strftime("%b") for m in range(1, 13)]
    ax.bar(
        names,
        profile.to_numpy(),
        color=[charts.INCREASE if v > 0 else charts.DECREASE for v in profile],
    )
    ax.axhline(0, color="black", lw=0.8)
    ax.set_ylabel("Offences above/below trend")
    ax.set_title(f"Seasonal pattern: {name}")
    return fig


def day_hour_heatmap(grid: pd.DataFrame, period_short: str) -> plt.Figure:
    """A day (rows) by hour (columns) heat map of offence counts."""
    import seaborn as sns

    fig, ax = plt.subplots(figsize=(9, 3.6))
    sns.heatmap(grid, cmap="rocket_r", ax=ax, cbar_kws={"label": "Offences"}, linewidths=0.3)
    ax.set_xlabel("Hour of the day")
    ax.set_ylabel("")
    ax.set_title(f"Town-centre violence by day and hour, {period_short}")
    return fig


def policeuk_line(monthly: pd.DataFrame) -> plt.Figure:
    """Monthly police.uk violence and sexual offences (months with data only)."""
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.plot(
        pd.PeriodIndex(monthly["month"], freq="M").to_timestamp(),
        monthly["violence_and_sexual"],
        marker="o",
        ms=3,
        color=charts.CURRENT,
    )
    ax.set_ylabel("Offences")
    ax.set_title("police.uk violence and sexual offences by month")
    return fig
