"""Stage 02's group comparison, as report sections: the Most Similar Group table and funnel plot.

:func:`msg_section` and :func:`funnel_section` take the run prepared by
:func:`helpers.stages.variance_report.prepare` and return
:class:`helpers.core.sections.Section` objects (keys ``msg`` and ``funnel``). The comparison
itself is :func:`helpers.stages.msg.msg_comparison`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from helpers.core import narrative
from helpers.core.sections import Section
from helpers.stages import measures as MS
from helpers.stages import msg as M
from helpers.stages.variance_report import VarianceRun

__all__ = ["funnel_section", "msg_section"]


def _limits_note(run: VarianceRun, res: M.MsgResult, members: int) -> str:
    if run.limits.method == "mean_sd":
        bands = (
            "'Above'/'Below the group average' = outside the average plus or minus the inner "
            "number of standard deviations; 'Far above/below' = outside the outer ones. These "
            "bands describe the group's spread; they are not a test. "
        )
    else:
        bands = (
            "'Above'/'Below the normal range' = outside the inner limits; 'Well above/below' = "
            "outside the outer limits. "
        )
    return (
        f"Limits: {run.limits.describe()}. "
        + bands
        + "Distance = (our rate − group average) / group average. ▲ = significantly further "
        f"above (or less far below) the average than at the {res.previous.label} (worse); ▼ = "
        "significantly better; ▶ = no significant change: our rate moved with the group's, "
        "within the partnerships' usual year-to-year movement (tested against the change in "
        "every member's count, allowing for that movement, with p-values adjusted across the "
        f"crime types). Rank 1 = lowest rate in a group of {members}. Source: Home Office "
        "police recorded crime by CSP; ONS mid-year population estimates."
    )


def msg_section(run: VarianceRun) -> Section:
    """Our rate per 1,000 residents against the group for each crime type, with position,
    distance, trend and rank; the population behind the rates; how far the Home Office count
    is from the stage's own."""
    res, cfg = run.msg, run.cfg
    if res is None:
        return Section(
            "msg",
            preamble=[
                "The Home Office crime-by-CSP tables, CSP population or Most Similar Group list "
                "are not available for this area, so the group comparison cannot be shown."
            ],
        )
    pre = []
    if run.msg_end != run.period:
        end = pd.Period(run.msg_end, freq="M").strftime("%B %Y")
        pre.append(
            f"> The Home Office tables are quarterly, so the group comparison uses the 12 months "
            f"to {end}."
        )
    mt = res.table
    # the population behind every rate, with its source and year
    area_pop, _ = M.population_for(run.data.csp_population, [cfg.csp_name], res.period)
    pop_n, pop_year = int(area_pop["population"].iloc[0]), int(area_pop["year"].iloc[0])
    pop_text = (
        f"Rates per 1,000 residents use the Office for National Statistics mid-{pop_year} "
        f"population estimate for {cfg.csp_name}: {narrative.fmt_int(pop_n)} residents."
    )
    # the group comparison counts crime from the Home Office table (every partnership counted
    # the same way); say how far that is from the count shown elsewhere in the pack
    months = res.period.month_list
    ho_all = mt.loc[mt["crime_type"] == M.ALL_CRIME, "count"]
    diff, source_notes = "", []
    if len(ho_all) and set(months) <= set(run.records.available_months):
        own, ho = run.own_count("all_crime", months), int(ho_all.iloc[0])
        diff = (
            "The group comparison counts crimes from the Home Office table, so that every "
            "partnership is counted the same way. "
            + MS.source_difference(
                "all_crime", (run.source_key, own), ("home_office", ho), res.period.name
            )
        )
        if ho != own:
            source_notes.append(diff)
    allc = mt[mt["crime_type"] == M.ALL_CRIME]
    measures = [
        MS.record(
            "all_crime",
            run.area,
            months,
            float(rate),
            "group comparison table and sentence",
            statistic="rate_per_1000",
            source="home_office",
        )
        for rate in allc["rate"]
    ]
    prev_rate = f"Rate at {res.previous.label}"
    view = pd.DataFrame(
        {
            "Crime type": mt["crime_type"],
            "Current Position": mt["position"],
            "Distance from average": mt["distance_pct"],
            "Since year-end": mt["arrow"],
            "Trend": mt["trend"],
            "Rank": [
                f"{int(r)} of {int(n)}" for r, n in zip(mt["rank"], mt["members"], strict=True)
            ],
            "Rate now": mt["rate"],
            prev_rate: mt["rate_prev"],
            "Group average": mt["msg_average"],
            "Lower limit": mt["lower_inner"],
            "Upper limit": mt["upper_inner"],
        }
    )
    note = " ".join(
        [_limits_note(run, res, int(mt["members"].iloc[0])), pop_text, diff, " ".join(res.notes)]
    )
    figures: dict[str, Any] = {
        "msg_population": pop_n,
        "msg_population_year": pop_year,
        "msg_population_source": "ONS mid-year population estimates",
        "msg_period": res.period.name,
        "msg_previous_year_end": res.previous.label,
    }
    if len(allc):
        figures.update(
            msg_all_crime_rate=float(allc["rate"].iloc[0]),
            msg_all_crime_average=float(allc["msg_average"].iloc[0]),
            msg_all_crime_position=allc["position"].iloc[0],
            msg_all_crime_rank=int(allc["rank"].iloc[0]),
            msg_members=int(allc["members"].iloc[0]),
        )
    sentences = M.msg_sentences(res)
    return Section(
        "msg",
        preamble=pre,
        sentences=sentences,
        table=view,
        formats={
            "Current Position": "text",
            "Distance from average": "signed_pct",
            "Since year-end": "arrow",
            "Trend": "text",
            "Rank": "text",
            "Rate now": "rate",
            prev_rate: "rate",
            "Group average": "rate",
            "Lower limit": "rate",
            "Upper limit": "rate",
        },
        caption=f"{cfg.csp_name} against its Most Similar Group: rates per 1,000 residents, "
        f"{res.period.name}",
        note=note,
        # the all-crime position (msg_sentences' first sentence) goes on the front page
        headlines=sentences[:1],
        measures=measures,
        source_notes=source_notes,
        tables={"msg": mt, "msg_members": res.members},
        figures=figures,
    )


def funnel_section(
    run: VarianceRun, chart: Callable[[pd.DataFrame, pd.DataFrame, str, str], Any]
) -> Section:
    """The funnel plot for one crime type (``run.funnel_crime_type``, else all crime): each
    partnership's rate against its population, with the limits expected for its size.

    ``chart(curve, points, area_name, title)`` draws it
    (:func:`helpers.present.variance_figures.funnel_chart`). Empty when there is no group
    comparison.
    """
    res = run.msg
    if res is None:
        return Section("funnel")
    ct = run.funnel_crime_type
    if ct not in set(res.table["crime_type"]):
        ct = M.ALL_CRIME
    curve = res.funnel(ct)
    pts = res.members[res.members["crime_type"] == ct]
    us = pts[pts["is_area"]].iloc[0]
    name = run.cfg.csp_name
    outside = int((~pts["position"].isin(M.WITHIN)).sum())
    pos = us["position"].lower()
    where = pos if "group" in pos else f"{pos} for the group"
    lie = "partnerships lie" if outside != 1 else "partnership lies"
    alt = (
        f"Funnel plot of {ct.lower()} rates per 1,000 residents against population for the "
        f"{len(pts)} partnerships in the group. {name} has a rate of {us['rate']:.1f}, {where}; "
        f"{outside} {lie} outside the inner limits."
    )
    title = f"{ct}: rate against population, {res.period.name}"
    return Section(
        "funnel",
        figure=lambda: chart(curve, pts, name, title),
        alt=alt,
        notes=[
            f"Method: limits are {run.limits.describe()}. "
            f"{narrative.number_word(outside).capitalize()} of the {len(pts)} partnerships lie "
            f"outside the inner limits for {ct.lower()}."
        ],
        figures={"funnel_crime_type": ct, "funnel_outside_inner": outside},
    )
