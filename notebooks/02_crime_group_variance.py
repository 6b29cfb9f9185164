# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # How crime has changed, and how we compare with similar areas
#
# This section answers three questions a scrutiny panel asks first. **How did recorded crime
# move** over the last 12 months, crime group by crime group? **Which of those changes are real**,
# rather than the ordinary ups and downs of counts from one year to the next? And **how does the
# area compare with its Most Similar Group** of Community Safety Partnerships, the comparison the
# Home Office iQuanta system makes?
#
# Every number and sentence below is calculated from the data; none is typed by hand. The method
# notes beside each table say how.

# %% tags=["parameters"]
area: str = "wexley"  # area config name in config/ (or a path to a config YAML)
period: str = "2022-03"  # last month of the 12-month reporting period (YYYY-MM)
comparison_months: int = 12  # months in each of the two compared periods
baseline: str = "pre-COVID (year to Dec 2019)"  # baseline name from the config, or YYYY-MM
source: str = "auto"  # auto | extract | police_uk (auto: the extract if present)
alpha: float = 0.05  # significance level for "is the change real?" (two-sided)
test_method: str = "exact"  # exact (conditional binomial) | z (Poisson z)
p_adjust: str = "none"  # none | holm | fdr_bh: correction for testing many rows
min_count: int = 20  # below this count in a period, show the change as a count, not a %
limit_method: str = "funnel_overdispersed"  # funnel_overdispersed | funnel | mean_sd
funnel_inner: float = 0.95  # inner funnel limit (probability)
funnel_outer: float = 0.998  # outer funnel limit (probability)
limit_k: float = 1.0  # mean_sd only: inner limits at the average plus or minus k SDs
limit_k_outer: float = 2.0  # mean_sd only: outer limits at the average plus or minus k SDs
msg_average: str = "mean"  # mean (of member rates, as iQuanta) | pooled (group rate)
overdispersion_model: str = "additive"  # additive | multiplicative (overdispersed funnel)
funnel_crime_type: str = "All crime"  # crime type drawn in the funnel plot

# %%

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from helpers.core import narrative
from helpers.core.config import load_area_config
from helpers.core.errors import ParameterError
from helpers.core.periods import ReportingPeriod, parse_month
from helpers.core.statistics import P_ADJUST, TEST_METHODS
from helpers.ingest import processed
from helpers.present import charts
from helpers.present.tables import show_table
from helpers.stages import msg as M
from helpers.stages import variance as V

parse_month(period, "period")
if not isinstance(comparison_months, int) or not 1 <= comparison_months <= 24:
    raise ParameterError(
        f"comparison_months = {comparison_months!r} is not a whole number from 1 to 24.",
        "Use 12 for year-on-year comparisons.",
    )
if not isinstance(min_count, int) or min_count < 0:
    raise ParameterError(
        f"min_count = {min_count!r} is not a whole number of 0 or more.", "Use 20."
    )
if test_method not in TEST_METHODS:
    raise ParameterError(
        f"test_method = {test_method!r} is not known.", f"Use one of {TEST_METHODS}."
    )
if p_adjust not in P_ADJUST:
    raise ParameterError(f"p_adjust = {p_adjust!r} is not known.", f"Use one of {P_ADJUST}.")
if not isinstance(alpha, float | int) or not 0 < float(alpha) < 1:
    raise ParameterError(f"alpha = {alpha!r} is not between 0 and 1.", "Use 0.05.")
alpha = float(alpha)
limits = M.LimitSettings(
    method=limit_method,
    average=msg_average,
    levels=(funnel_inner, funnel_outer),
    ks=(limit_k, limit_k_outer),
    overdispersion_model=overdispersion_model,
)

cfg = load_area_config(area)
data = processed.load_processed(area, period)
current = ReportingPeriod(period, comparison_months)
previous = current.previous()
base_period = V.resolve_baseline(baseline, cfg.baselines)
records = V.choose_records(data.extract, data.street, source)
charts.setup_notebook()


def say(text: str) -> None:
    display(Markdown(text))


sentences: list[str] = []
tables: dict[str, pd.DataFrame] = {}
figures: dict = {
    "source": records.source,
    "current_period": current.name,
    "previous_period": previous.name,
    "alpha": alpha,
    "test": test_method,
    "limit_method": limit_method,
    "msg_average": msg_average,
}

say(f"**{cfg.name}**: reporting period **{current.name}**, compared with **{previous.name}**.")
if cfg.synthetic or data.synthetic:
    say(
        "> **Synthetic data.** This report is made from the embedded synthetic sample, not real "
        "crime records. Its figures illustrate the method only."
    )

# %% [markdown]
# ## Where the figures come from

# %%
result = V.variance_table(
    records,
    current,
    previous,
    street=data.street,
    alpha=alpha,
    method=test_method,
    min_count=min_count,
    p_adjust=p_adjust,
)
if records.source == V.SOURCE_EXTRACT:
    say(
        "Crime counts come from the **force's offence extract**: one row per recorded offence, "
        "with its Home Office offence group and subgroup. Anti-social behaviour (ASB) incidents "
        "come from **police.uk**, because they are incidents, not crimes, and are not in the "
        "extract."
    )
else:
    why = (
        "The analyst chose police.uk as the source"
        if data.extract is not None and len(data.extract)
        else "There is no force extract for this area"
    )
    say(
        f"{why}, so crime counts come from **police.uk** "
        "street-level data. police.uk uses 14 broad crime types: it cannot split violence "
        "against the person from sexual offences, nor residential from business burglary, and "
        "it excludes fraud."
    )
if result.coverage.complete:
    say(
        f"Both periods are complete: all {current.months} months of {current.name} and of "
        f"{previous.name} are in the data."
    )
else:
    say(f"> **Missing months.** {result.coverage.message()}")
for note in result.notes[1 if not result.coverage.complete else 0 :]:
    say(f"> {note}")
figures["like_for_like"] = result.like_for_like
figures["months_compared"] = len(result.current_months)
figures["current_missing"] = result.coverage.current_missing
figures["previous_missing"] = result.coverage.previous_missing

# %% [markdown]
# ## How crime changed, and which changes are real

# %%
t = result.table


def row_name(r) -> str:
    return f"\u2003{r['label']}" if r["level"] == "subgroup" else r["label"]


def verdict(r) -> str:
    if r["direction"] == "increase":
        return "Significant increase"
    if r["direction"] == "decrease":
        return "Significant decrease"
    return "No significant change"


view = pd.DataFrame(
    {
        "Crime": [row_name(r) for _, r in t.iterrows()],
        previous.short if previous.short != current.short else "Previous": t["previous"],
        current.short: t["current"],
        "Change": t["change"],
        "% change": t["pct_change"],
        "Is the change real?": [verdict(r) for _, r in t.iterrows()],
        "Notes": [
            " ".join(
                x
                for x in (
                    r["caveat"],
                    "Recording rules changed in this window." if r["series_break"] else "",
                )
                if x
            )
            for _, r in t.iterrows()
        ],
    }
)
cols = list(view.columns)
show_table(
    view,
    caption=f"Recorded crime by group: {previous.name} and {current.name}"
    + (" (like-for-like months)" if result.like_for_like else ""),
    formats={
        cols[1]: "int",
        cols[2]: "int",
        "Change": "signed_int",
        "% change": "signed_pct",
        "Is the change real?": "text",
        "Notes": "text",
    },
    note=(
        f"Method: each change is tested as a change in a Poisson count with the {result.test_name} "
        f"(two-sided, significance level {alpha:g}"
        + ("" if p_adjust == "none" else f", p-values adjusted by {p_adjust}")
        + "). 'No significant change' means the difference is within what year-to-year chance "
        f"would produce. A % change is not shown when either year has fewer than {min_count} "
        "crimes. Indented rows are subgroups of the row above. Serious acquisitive crime and "
        "neighbourhood crime are composites that overlap the groups; ASB is counted separately "
        "and is not part of all crime. Caveat: crime counts vary more than a Poisson count "
        "(repeat victims, series offences), so with large counts small changes can test as "
        "significant; read the size of the change as well as the verdict."
    ),
)

# %%
breaks = t[t["series_break"] != ""]
if len(breaks):
    say(
        "**Recording-rule changes inside this comparison.** For these rows part of the change may "
        "come from how crimes are counted rather than how many happened:"
    )
    for _, r in breaks.iterrows():
        say(f"- *{r['label']}*: {r['series_break']}")
else:
    say(
        "No documented recording-rule change falls inside this comparison window (see "
        "the method notes for the table of changes checked)."
    )

# %%
variance_text = V.variance_sentences(result)
sentences += variance_text
say("\n\n".join(variance_text))
allc = t[t["level"] == "total"].iloc[0]
figures.update(
    {
        "all_crime_previous": int(allc["previous"]),
        "all_crime_current": int(allc["current"]),
        "all_crime_change": int(allc["change"]),
        "all_crime_pct_change": None
        if pd.isna(allc["pct_change_raw"])
        else float(allc["pct_change_raw"]),
        "all_crime_significant": bool(allc["significant"]),
        "significant_increases": t.loc[t["direction"] == "increase", "label"].tolist(),
        "significant_decreases": t.loc[t["direction"] == "decrease", "label"].tolist(),
    }
)
tables["variance"] = t

# %% [markdown]
# ## Volumes by crime group: this year, last year and the baseline
#
# The chart puts this year's count for each crime group beside last year's and beside a baseline
# year chosen before the pandemic changed patterns of crime, so a fall since 2020 can be read
# against where numbers stood before.

# %%
series = V.three_series(records, current, base_period, previous)
for note in series.notes:
    say(f"> {note}")
groups = series.table[series.table["level"] == "group"].sort_values("current")
groups = groups[(groups[["previous", "current"]].sum(axis=1) > 0)]
cols_plot = (["baseline"] if series.baseline_available else []) + ["previous", "current"]
names = {
    "baseline": f"Baseline: {base_period.name}",
    "previous": previous.name,
    "current": current.name,
}
colours = {"baseline": charts.BASELINE, "previous": charts.PREVIOUS, "current": charts.CURRENT}
fig, ax = plt.subplots(figsize=(8, 0.5 * len(groups) + 1.5))
y = np.arange(len(groups))
h = 0.8 / len(cols_plot)
for i, c in enumerate(cols_plot):
    ax.barh(
        y + (i - (len(cols_plot) - 1) / 2) * h,
        groups[c],
        height=h,
        color=colours[c],
        label=names[c],
    )
ax.set_yticks(y, groups["label"])
ax.set_xlabel("Recorded crimes")
ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
ax.legend(loc="lower right", frameon=False)
ax.set_title("Recorded crime by group")
top = groups.iloc[-1]
charts.finish(
    fig,
    alt=(
        f"Horizontal grouped bar chart of recorded crime by crime group for "
        f"{narrative.join_names([names[c] for c in cols_plot])}. The largest group is "
        f"{top['label']} with {narrative.fmt_int(top['current'])} crimes in {current.name}."
    ),
)
plt.show()
say(
    f"*Method:* counts over the {len(series.offsets)} calendar months present in every period "
    f"shown. Baseline: {base_period.label}, {base_period.name}."
)
tables["three_series"] = series.table

# %% [markdown]
# ## Against the baseline: serious acquisitive and neighbourhood crime

# %%
base_change = V.baseline_change(series, alpha=alpha, method=test_method, min_count=min_count)
if base_change.empty:
    say(
        f"The data do not reach back to the baseline ({base_period.name}), so no comparison "
        "with it can be made."
    )
else:
    display(
        show_table(
            pd.DataFrame(
                {
                    "Measure": base_change["label"],
                    f"Baseline ({base_period.name})": base_change["baseline"],
                    current.name: base_change["current"],
                    "Change": base_change["change"],
                    "% change from the baseline": base_change["pct_change"],
                    "Is the change real?": np.where(
                        base_change["significant"], "Significant", "Not significant"
                    ),
                }
            ),
            caption="Serious acquisitive crime and neighbourhood crime against the baseline",
            formats={
                "Change": "signed_int",
                "% change from the baseline": "signed_pct",
                "Is the change real?": "text",
            },
            note=(
                "Serious acquisitive crime: " + V.COMPOSITE_DEFINITIONS[V.SAC] + ". Neighbourhood "
                "crime: "
                + V.COMPOSITE_DEFINITIONS[V.NEIGHBOURHOOD]
                + ". "
                + (
                    records.composite_caveats.get(V.SAC, "") + ". "
                    if records.composite_caveats
                    else ""
                )
                + f"Test as in the table above ({result.test_name})."
            ),
        )
    )
    base_text = V.baseline_sentences(base_change, series, current)
    sentences += base_text
    say("\n\n".join(base_text))
    for _, r in base_change.iterrows():
        figures[f"baseline_pct_change__{r['label']}"] = (
            None if pd.isna(r["pct_change_raw"]) else float(r["pct_change_raw"])
        )
    tables["baseline_change"] = base_change

# %% [markdown]
# ## Positive outcomes

# %%
rates = V.positive_outcome_rates(
    data.street,
    data.outcomes,
    {current.name: result.current_months, previous.name: result.previous_months},
)
if rates.empty:
    say("No police.uk outcomes data are available, so positive outcome rates cannot be shown.")
else:
    display(
        show_table(
            pd.DataFrame(
                {
                    "Period": rates["period"],
                    "Crimes recorded": rates["crimes"],
                    "With a positive outcome": rates["positive"],
                    "Positive outcome rate": rates["rate"],
                }
            ),
            caption="Positive outcome rate (police.uk)",
            formats={"Positive outcome rate": "pct"},
            note=(
                "A crime counts as positively resolved when police.uk reports an outcome of charge or "
                "summons, caution, community resolution, penalty notice, cannabis or khat warning, or "
                "an offence taken into consideration. Caveat: recent crimes have had less time to reach "
                "an outcome, so the current period's rate will rise as outcomes are added."
                + (" Months compared like-for-like." if result.like_for_like else "")
            ),
        )
    )
    out_text = V.outcome_sentences(rates)
    sentences += out_text
    say("\n\n".join(out_text))
    figures["positive_outcome_rate_current"] = float(rates["rate"].iloc[0])
    figures["positive_outcome_rate_previous"] = float(rates["rate"].iloc[1])
    tables["outcomes"] = rates

# %% [markdown]
# ## Comparison with our Most Similar Group
#
# The Home Office places each Community Safety Partnership in a group of partnerships with
# similar characteristics so that their crime rates can be compared fairly: its **Most Similar
# Group**. The table shows, for thirteen crime types and all crime, our rate per 1,000 residents,
# the group average, whether we are above, in line with or below the group (the **Current
# Position**), how far we are from the average and whether that distance has got better (▼) or
# worse (▲) since the last year-end, and our **rank** in the group (1 = the lowest crime rate).

# %%
msg_res = None
if data.csp_counts is None or data.csp_population is None or data.msg is None:
    say(
        "The Home Office crime-by-CSP tables, CSP population or Most Similar Group list are not "
        "available for this area, so the group comparison cannot be shown."
    )
else:
    msg_end = period
    if pd.Period(period, freq="M").month not in (3, 6, 9, 12):
        p = pd.Period(period, freq="M")
        msg_end = str(p - (p.month % 3))
        say(
            f"> The Home Office tables are quarterly, so the group comparison uses the 12 months "
            f"to {pd.Period(msg_end, freq='M').strftime('%B %Y')}."
        )
    msg_res = M.msg_comparison(
        data.csp_counts, data.csp_population, data.msg, cfg.csp_name, msg_end, limits
    )
    mt = msg_res.table
    display(
        show_table(
            pd.DataFrame(
                {
                    "Crime type": mt["crime_type"],
                    "Current Position": mt["position"],
                    "Distance from average": mt["distance_pct"],
                    "Since year-end": mt["arrow"],
                    "Trend": mt["trend"],
                    "Rank": [
                        f"{int(r)} of {int(n)}"
                        for r, n in zip(mt["rank"], mt["members"], strict=True)
                    ],
                    "Rate now": mt["rate"],
                    f"Rate at {msg_res.previous.label}": mt["rate_prev"],
                    "Group average": mt["msg_average"],
                    "Lower limit": mt["lower_inner"],
                    "Upper limit": mt["upper_inner"],
                }
            ),
            caption=f"{cfg.csp_name} against its Most Similar Group: rates per 1,000 residents, "
            f"{msg_res.period.name}",
            formats={
                "Current Position": "text",
                "Distance from average": "signed_pct",
                "Since year-end": "arrow",
                "Trend": "text",
                "Rank": "text",
                "Rate now": "rate",
                f"Rate at {msg_res.previous.label}": "rate",
                "Group average": "rate",
                "Lower limit": "rate",
                "Upper limit": "rate",
            },
            note=(
                f"Limits: {limits.describe()}. 'Above'/'Below' = outside the inner limits; "
                "'Significantly above/below' = outside the outer limits. Distance = (our rate − "
                "group average) / group average. ▲ = further above (or less far below) the average "
                f"than at the {msg_res.previous.label} (worse); ▼ = better. Rank 1 = lowest rate in a "
                f"group of {int(mt['members'].iloc[0])}. Source: Home Office police recorded crime by "
                "CSP; ONS mid-year population estimates. " + " ".join(msg_res.notes)
            ),
        )
    )
    msg_text = M.msg_sentences(msg_res)
    sentences += msg_text
    say("\n\n".join(msg_text))
    a = mt[mt["crime_type"] == M.ALL_CRIME]
    if len(a):
        figures.update(
            {
                "msg_all_crime_rate": float(a["rate"].iloc[0]),
                "msg_all_crime_average": float(a["msg_average"].iloc[0]),
                "msg_all_crime_position": a["position"].iloc[0],
                "msg_all_crime_rank": int(a["rank"].iloc[0]),
                "msg_members": int(a["members"].iloc[0]),
            }
        )
    figures["msg_period"] = msg_res.period.name
    figures["msg_previous_year_end"] = msg_res.previous.label
    tables["msg"] = mt
    tables["msg_members"] = msg_res.members

# %% [markdown]
# ### Funnel plot
#
# Each dot is one partnership in the group: its population across, its crime rate up. The lines
# show the range expected around the group average for an area of that size; small areas have
# wider ranges because their rates move more by chance. A dot outside the lines is unusually high
# or low.

# %%
if msg_res is not None:
    ct = funnel_crime_type if funnel_crime_type in set(msg_res.table["crime_type"]) else M.ALL_CRIME
    curve = msg_res.funnel(ct)
    pts = msg_res.members[msg_res.members["crime_type"] == ct]
    fig, ax = plt.subplots()
    ax.plot(
        curve["population"], curve["average"], color=charts.NEUTRAL, lw=1.2, label="Group average"
    )
    ax.plot(
        curve["population"],
        curve["upper_inner"],
        color=charts.PREVIOUS,
        lw=1,
        ls="--",
        label="Inner limits",
    )
    ax.plot(curve["population"], curve["lower_inner"], color=charts.PREVIOUS, lw=1, ls="--")
    ax.plot(
        curve["population"],
        curve["upper_outer"],
        color=charts.INCREASE,
        lw=1,
        ls=":",
        label="Outer limits",
    )
    ax.plot(curve["population"], curve["lower_outer"], color=charts.INCREASE, lw=1, ls=":")
    peers = pts[~pts["is_area"]]
    ax.scatter(
        peers["population"],
        peers["rate"],
        color=charts.NEUTRAL,
        s=25,
        zorder=3,
        label="Other partnerships",
    )
    us = pts[pts["is_area"]].iloc[0]
    ax.scatter(
        [us["population"]], [us["rate"]], color=charts.CURRENT, s=70, zorder=4, label=cfg.csp_name
    )
    ax.annotate(
        cfg.csp_name, (us["population"], us["rate"]), xytext=(6, 6), textcoords="offset points"
    )
    ax.set_xlabel("Population")
    ax.set_ylabel("Crimes per 1,000 residents")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_title(f"{ct}: rate against population, {msg_res.period.name}")
    ax.legend(frameon=False, fontsize=8, loc="upper right")
    outside = int((~pts["position"].eq("In line")).sum())
    where = {"in line": "in line with"}.get(us["position"].lower(), us["position"].lower())
    charts.finish(
        fig,
        alt=(
            f"Funnel plot of {ct.lower()} rates per 1,000 residents against population for the "
            f"{len(pts)} partnerships in the group. {cfg.csp_name} has a rate of {us['rate']:.1f}, "
            f"{where} the group; "
            f"{outside} partnership{'s lie' if outside != 1 else ' lies'} outside the inner limits."
        ),
    )
    plt.show()
    say(
        f"*Method:* limits are {limits.describe()}. {narrative.number_word(outside).capitalize()} "
        f"of the {len(pts)} partnerships lie outside the inner limits for {ct.lower()}."
    )
    figures["funnel_crime_type"] = ct
    figures["funnel_outside_inner"] = outside

# %% [markdown]
# ## Method and caveats
#
# - **Is a change real?** Each row's change is tested as a change in a Poisson count: given the
#   two years' total, the current year's share is compared with the share expected if the
#   underlying rate had not changed (the exact conditional binomial test; a Poisson z test is the
#   alternative). Significant means the change would happen by chance less than 5% of the time
#   at the default significance level. With around thirty rows tested, one or two may be flagged
#   by chance; an optional correction for many tests can be switched on.
# - **Missing months.** If police.uk or the extract lacks a month in either year, both years are
#   cut to the calendar months both hold, and the report says so.
# - **Small numbers.** Percentages on small counts mislead; below the threshold only the change
#   in number is shown.
# - **Recording changes.** Changes to the Home Office Counting Rules (for example for stalking
#   and harassment in April 2017, April 2018, April 2020 and May 2023) change how many crimes are
#   recorded for the same behaviour; rows whose comparison spans one carry a warning.
# - **Group limits.** The default method is the funnel adjusted for overdispersion. Plain
#   Poisson funnel limits assume that partnerships differ only by chance; real partnerships also
#   differ in ways the Most Similar Group does not remove, so with counts in the thousands plain
#   limits flag almost every partnership as unusual. The adjusted funnel widens the limits by the
#   between-partnership variation actually seen in the group (Spiegelhalter, 2005), while still
#   allowing for population size, which the iQuanta-style "average ± standard deviations" does
#   not. Other methods for the limits can be chosen when the report is run.
#
# Full details are in the project's method note on variance and the Most Similar Group.

# %%
say(
    f"*This run used:* limits — {limits.describe()}; test — {result.test_name}, significance "
    f"level {alpha:g}; counts from {'the force extract' if records.source == V.SOURCE_EXTRACT else 'police.uk'}."
)
headlines = variance_text[:2]
glance = {
    f"All crime, {current.short}": narrative.fmt_int(figures["all_crime_current"]),
    "Change on the previous 12 months": (
        narrative.fmt_pct(figures["all_crime_pct_change"], signed=True)
        if figures["all_crime_pct_change"] is not None else "n/a"
    ),
}
if "msg_text" in globals() and msg_text:
    headlines.append(msg_text[0])
if "out_text" in globals() and out_text:
    headlines.append(out_text[0])
if "positive_outcome_rate_current" in figures:
    glance["Positive outcome rate"] = narrative.fmt_pct(figures["positive_outcome_rate_current"])
out = processed.save_stage_outputs(
    area, period, "02_crime_group_variance", tables=tables, figures=figures, sentences=sentences,
    headlines=headlines, glance=glance,
)
say("The key tables and figures of this report are kept with it for the panel paper.")
