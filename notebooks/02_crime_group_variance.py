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
config: str = ""  # path to the area config YAML the run uses; empty: config/<area>.yaml
period: str = "2022-03"  # last month of the 12-month reporting period (YYYY-MM)
comparison_months: int = 12  # months in each of the two compared periods
baseline: str = "pre-COVID (year to Dec 2019)"  # baseline name from the config, or YYYY-MM
source: str = "auto"  # auto | extract | police_uk (auto: the extract if present)
alpha: float = 0.05  # significance level for "is the change real?" (two-sided)
test_method: str = "quasi_poisson"  # quasi_poisson (allows for extra variation) | exact | z
p_adjust: str = "fdr_bh"  # fdr_bh (Benjamini-Hochberg) | holm | none: for testing many rows
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
from helpers.core.config import run_config
from helpers.core.errors import ParameterError
from helpers.core.periods import ReportingPeriod, parse_month
from helpers.core.statistics import P_ADJUST, TEST_METHODS
from helpers.ingest import processed
from helpers.present import charts
from helpers.present.tables import show_table
from helpers.stages import comparisons as CMP
from helpers.stages import measures as MS
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

cfg = run_config(area, config)
data = processed.load_processed(area, period)
current = ReportingPeriod(period, comparison_months)
previous = current.previous()
base_period = V.resolve_baseline(baseline, cfg.baselines)
records = V.choose_records(data.extract, data.street, source)
source_key = "force_extract" if records.source == V.SOURCE_EXTRACT else "police_uk"
exceptional = CMP.exceptional_periods(cfg.analysis, str(cfg.path or area))
charts.setup_notebook()


def say(text: str) -> None:
    display(Markdown(text))


sentences: list[str] = []
tables: dict[str, pd.DataFrame] = {}
keyed: list[dict] = []  # headline numbers keyed by measure, area and period (reconciliation)
table_periods: dict[str, dict] = {}
source_notes: list[str] = []  # how far another source's figures are from the ones shown
figures: dict = {
    "source": records.source,
    "current_period": current.name,
    "previous_period": previous.name,
    "alpha": alpha,
    "test": test_method,
    "limit_method": limit_method,
    "msg_average": msg_average,
}

say(
    f"{narrative.area_title(cfg.name, cfg.area_kind)}: reporting period **{current.name}**, "
    f"compared with **{previous.name}**."
)
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
# one name per measure: the registry's, and police.uk composites under what they really count
result.table = MS.label_table(result.table, source_key)
if result.asb_coverage is not None and result.asb_coverage.like_for_like_offsets != (
    result.coverage.like_for_like_offsets
):
    asb_row = result.table["level"] == "asb"
    result.table.loc[asb_row, "measure_id"] = ""  # its months differ: keyed on its own below
    for _col, _p in (("previous", previous), ("current", current)):
        _ms = [_p.month_list[i] for i in result.asb_coverage.like_for_like_offsets]
        keyed += [
            MS.record("asb", area, _ms, n, "crime-group table", source="police_uk")
            for n in result.table.loc[asb_row, _col]
        ]
table_periods["variance"] = {
    "source": source_key,
    "columns": {
        "previous": MS.period_key(result.previous_months),
        "current": MS.period_key(result.current_months),
    },
}
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
spread = result.dispersion_range()


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
        f"Method: each change is tested with the {result.test_name} (two-sided, significance "
        f"level {alpha:g}), with the {result.adjustment_name}"
        + ". "
        + result.dispersion_note()
        + " 'No significant change' means the difference is within what year-to-year "
        f"variation would produce. A % change is not shown when either year has fewer than "
        f"{min_count} crimes. Indented rows are subgroups of the row above. Serious acquisitive "
        "crime and neighbourhood crime are composites that overlap the groups; ASB is counted "
        "separately and is not part of all crime."
    ),
)

# %%
# what each composite row includes, from the measures registry
say(
    "*What the composite rows include.* "
    + " ".join(
        MS.definition_note(i)
        for i, lv in zip(t["measure_id"], t["level"], strict=True)
        if i and lv == "composite"
    )
)
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
        "all_crime_pct_change": None  # blank under the small-number rule, as in the table
        if pd.isna(allc["pct_change"])
        else float(allc["pct_change"]),
        "all_crime_significant": bool(allc["significant"]),
        "significant_increases": t.loc[t["direction"] == "increase", "label"].tolist(),
        "significant_decreases": t.loc[t["direction"] == "decrease", "label"].tolist(),
        "rows_tested": int(t["p_value"].notna().sum()),
        "rows_significant": int(t["significant"].sum()),
        "p_adjust": p_adjust,
        "dispersion_range": None if spread is None else [round(x, 2) for x in spread],
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
series_months = {
    "baseline": [base_period.month_list[i] for i in series.offsets],
    "previous": [previous.month_list[i] for i in series.offsets],
    "current": [current.month_list[i] for i in series.offsets],
}
tables["three_series"] = MS.label_table(series.table, source_key)
if series.offsets:
    table_periods["three_series"] = {
        "source": source_key,
        "columns": {
            c: MS.period_key(series_months[c])
            for c in cols_plot  # the baseline column is blank when the data do not reach it
        },
    }

# %% [markdown]
# ## Against the baseline: serious acquisitive and neighbourhood crime

# %%
base_change = V.baseline_change(
    series, alpha=alpha, method=test_method, min_count=min_count, p_adjust=p_adjust
)
if not base_change.empty:
    base_change = MS.label_table(base_change, source_key, level_col=None)

# Every headline against last year and the baseline, over the same calendar months, naming an
# exceptional period (the area config's) when a compared year falls in it.
headline_text: list[str] = []
if series.offsets:
    ts = tables["three_series"].set_index("measure_id")
    same_months = series_months["current"] == result.current_months
    for mid in ("all_crime", MS.id_for(V.SAC, "composite", source_key),
                MS.id_for(V.NEIGHBOURHOOD, "composite", source_key)):  # fmt: skip
        if mid not in ts.index:
            continue
        r = ts.loc[mid]
        base = (
            (series_months["baseline"], int(r["baseline"]), base_period.label or base_period.name)
            if series.baseline_available
            else None
        )
        sig = ""
        vr = result.table[result.table["measure_id"] == mid]
        if same_months and len(vr):
            sig = (
                "a statistically significant change"
                if bool(vr["significant"].iloc[0])
                else "within the range expected from year-to-year chance"
            )
        cur_c = (series_months["current"], int(r["current"]))
        prev_c = (series_months["previous"], int(r["previous"]))
        headline_text.append(
            CMP.headline_sentence(
                mid, cur_c, prev_c, base, exceptional, significance=sig,
                mention_current=not headline_text,
            )
        )  # fmt: skip
        keyed += CMP.headline_records(
            mid, area, cur_c, prev_c, base, "headline sentence", source_key
        )
    if data.street is not None and len(data.street):
        asb_mask = MS.street_mask(data.street, "asb")
        st_months = set(data.street["month"].astype(str))
        if all(set(ms) <= st_months for c, ms in series_months.items() if c in cols_plot):
            counts_asb = {
                c: int((asb_mask & data.street["month"].isin(ms)).sum())
                for c, ms in series_months.items()
            }
            base = (
                (series_months["baseline"], counts_asb["baseline"], base_period.label or base_period.name)
                if series.baseline_available
                else None
            )  # fmt: skip
            cur_c = (series_months["current"], counts_asb["current"])
            prev_c = (series_months["previous"], counts_asb["previous"])
            headline_text.append(
                CMP.headline_sentence(
                    "asb",
                    cur_c,
                    prev_c,
                    base,
                    exceptional,
                    noun="incidents",
                    mention_current=False,
                )  # fmt: skip
            )
            keyed += CMP.headline_records(
                "asb", area, cur_c, prev_c, base, "headline sentence", "police_uk"
            )
    if headline_text:
        say("**Against last year and the baseline.** " + " ".join(headline_text[:1]))
        for s in headline_text[1:]:
            say(s)
        sentences += headline_text
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
                " ".join(MS.definition_note(i) for i in base_change["measure_id"] if i)
                + f" Test as in the table above ({result.test_name}, over the same calendar "
                "months of each year, with the "
                + result.adjustment_name.replace(" across the table", " across these rows")
                + ")."
            ),
        )
    )
    base_text = V.baseline_sentences(base_change, series, current)
    sentences += base_text
    say("\n\n".join(base_text))
    for _, r in base_change.iterrows():
        figures[f"baseline_pct_change__{r['label']}"] = (
            None if pd.isna(r["pct_change"]) else float(r["pct_change"])
        )
    tables["baseline_change"] = base_change
    table_periods["baseline_change"] = {
        "source": source_key,
        "columns": {
            "baseline": MS.period_key(series_months["baseline"]),
            "current": MS.period_key(series_months["current"]),
        },
    }

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
    # police.uk's own crime count is the denominator here; where it differs from the count of
    # all crime shown above (another source), say by how much rather than print a second total
    outcome_diffs = []
    if records.source == V.SOURCE_EXTRACT:
        for _name, _months, _col in (
            (current.name, result.current_months, "current"),
            (previous.name, result.previous_months, "previous"),
        ):
            _pu = int(
                (
                    MS.street_mask(data.street, "all_crime") & data.street["month"].isin(_months)
                ).sum()
            )
            _shown = int(result.table.loc[result.table["level"] == "total", _col].iloc[0])
            if _pu != _shown:
                outcome_diffs.append(
                    MS.source_difference(
                        "all_crime", ("force_extract", _shown), ("police_uk", _pu), _name
                    )
                )
    source_notes += outcome_diffs
    display(
        show_table(
            pd.DataFrame(
                {
                    "Period": rates["period"],
                    "Crimes on police.uk with a crime reference": rates["crimes"],
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
                + (
                    " The rate is worked out on police.uk's own crimes, so its count can differ "
                    "from all crime above: " + " ".join(outcome_diffs)
                    if outcome_diffs
                    else ""
                )
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
# the group average, whether we are within the normal range for a partnership of our size, or
# above or below it (the **Current Position**), how far we are from the average and whether that
# distance has got significantly better (▼) or worse (▲) since the last year-end, and our
# **rank** in the group (1 = the lowest crime rate).

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
        data.csp_counts,
        data.csp_population,
        data.msg,
        cfg.csp_name,
        msg_end,
        limits,
        alpha=alpha,
    )
    mt = msg_res.table
    # the population behind every rate, with its source and year
    area_pop, _ = M.population_for(data.csp_population, [cfg.csp_name], msg_res.period)
    pop_n, pop_year = int(area_pop["population"].iloc[0]), int(area_pop["year"].iloc[0])
    pop_text = (
        f"Rates per 1,000 residents use the Office for National Statistics mid-{pop_year} "
        f"population estimate for {cfg.csp_name}: {narrative.fmt_int(pop_n)} residents."
    )
    figures.update(
        msg_population=pop_n,
        msg_population_year=pop_year,
        msg_population_source="ONS mid-year population estimates",
    )
    # the group comparison counts crime from the Home Office table (every partnership counted
    # the same way); say how far that is from the count shown elsewhere in the pack
    msg_months = msg_res.period.month_list
    ho_all = mt.loc[mt["crime_type"] == M.ALL_CRIME, "count"]
    msg_diff = ""
    if len(ho_all) and set(msg_months) <= set(records.available_months):
        if records.source == V.SOURCE_EXTRACT:
            _own = int(
                (
                    MS.extract_mask(data.extract, "all_crime")
                    & data.extract["month"].isin(msg_months)
                ).sum()
            )
        else:
            _own = int(
                (
                    MS.street_mask(data.street, "all_crime") & data.street["month"].isin(msg_months)
                ).sum()
            )
        msg_diff = (
            "The group comparison counts crimes from the Home Office table, so that every "
            "partnership is counted the same way. "
            + MS.source_difference(
                "all_crime", (source_key, _own), ("home_office", int(ho_all.iloc[0])),
                msg_res.period.name,
            )
        )  # fmt: skip
        if int(ho_all.iloc[0]) != _own:
            source_notes.append(msg_diff)
    keyed += [
        MS.record(
            "all_crime", area, msg_months, float(r["rate"]),
            "group comparison table and sentence", statistic="rate_per_1000",
            source="home_office",
        )
        for _, r in mt[mt["crime_type"] == M.ALL_CRIME].iterrows()
    ]  # fmt: skip
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
                f"Limits: {limits.describe()}. "
                + (
                    "'Above'/'Below the group average' = outside the average plus or minus the "
                    "inner number of standard deviations; 'Far above/below' = outside the outer "
                    "ones. These bands describe the group's spread; they are not a test. "
                    if limit_method == "mean_sd"
                    else "'Above'/'Below the normal range' = outside the inner limits; 'Well "
                    "above/below' = outside the outer limits. "
                )
                + "Distance = (our rate − group average) / group average. ▲ = significantly "
                f"further above (or less far below) the average than at the {msg_res.previous.label} "
                "(worse); ▼ = significantly better; ▶ = no significant change: our rate moved "
                "with the group's, within the partnerships' usual year-to-year movement (tested "
                "against the change in every member's count, allowing for that movement, with "
                "p-values adjusted across the crime types). Rank 1 = lowest rate in a group of "
                f"{int(mt['members'].iloc[0])}. Source: Home Office police recorded crime by "
                "CSP; ONS mid-year population estimates. "
                + pop_text
                + " "
                + msg_diff
                + " "
                + " ".join(msg_res.notes)
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
    outside = int((~pts["position"].isin(M.WITHIN)).sum())
    pos = us["position"].lower()
    where = pos if "group" in pos else f"{pos} for the group"
    charts.finish(
        fig,
        alt=(
            f"Funnel plot of {ct.lower()} rates per 1,000 residents against population for the "
            f"{len(pts)} partnerships in the group. {cfg.csp_name} has a rate of {us['rate']:.1f}, "
            f"{where}; "
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
# - **Is a change real?** Recorded crime varies more from month to month than a count of
#   independent events would (repeat victims, series offences, recording drives). So each row's
#   change is tested against the variation in its own monthly counts: each calendar month is set
#   against the same month a year earlier, the extra variation beyond a simple count is measured
#   from those pairs, and the test is widened by it (a quasi-Poisson test). With around thirty
#   rows tested, some would be flagged by chance alone, so the p-values are adjusted across the
#   table (Benjamini-Hochberg): of the changes called significant, no more than about 5% are
#   expected to be chance.
# - **Missing months.** If police.uk or the extract lacks a month in either year, both years are
#   cut to the calendar months both hold, and the report says so.
# - **Small numbers.** Percentages on small counts mislead; below 20 crimes in either year only
#   the change in number is shown, in tables and in sentences.
# - **Recording changes.** Changes to the Home Office Counting Rules (for example for stalking
#   and harassment in April 2017, April 2018, April 2020 and May 2023) change how many crimes are
#   recorded for the same behaviour; rows whose comparison spans one carry a warning.
# - **Group limits.** The default method is the funnel adjusted for overdispersion. Plain
#   Poisson funnel limits assume that partnerships differ only by chance; real partnerships also
#   differ in ways the Most Similar Group does not remove, so with counts in the thousands plain
#   limits flag almost every partnership as unusual. The adjusted funnel widens the limits by the
#   between-partnership variation actually seen in the group (Spiegelhalter, 2005), while still
#   allowing for population size, which the iQuanta-style "average ± standard deviations" does
#   not. The limits are worked out on the square-root scale, where chance variation is the same
#   size whatever the count, and then turned back into rates, so they are wider above the
#   average than below, as chance variation in a count is, and rarely reach zero for rare crimes
#   (the method of the FunnelPlotR package). The arrows show a change only when our rate moved
#   differently from the group's by more than partnerships usually move from year to year.
#
# References: Spiegelhalter DJ (2005), *Handling over-dispersion of performance indicators*,
# Quality and Safety in Health Care 14:347–51; the FunnelPlotR package; Benjamini Y and
# Hochberg Y (1995), *Controlling the false discovery rate*, Journal of the Royal
# Statistical Society B 57:289–300. The methods appendix gives the full detail.

# %% [markdown]
# ## Localities
#
# When the area's configuration names localities (parts of the area, such as a town and the
# villages around it), each is shown here with the same figures as the whole area: a chart of
# recorded crime by crime group for this year, last year and the baseline, one small panel per
# locality on the same scale, and a table of key figures. How to read it: compare a locality's
# bars with its own earlier years first, then the panels with each other; the localities' counts
# add up to the area's, and any crime that could not be placed in a locality is stated. A
# locality's counts are smaller than the area's, so fewer of its changes are significant.

# %%
from helpers.core.sections import merged_tables
from helpers.present.localities import small_multiples
from helpers.present.sections import show
from helpers.stages import localities as LOC

loc_sections = LOC.locality_sections(
    cfg, data, current, previous, base_period, source=source, alpha=alpha,
    method=test_method, min_count=min_count, p_adjust=p_adjust, chart=small_multiples,
)  # fmt: skip
for _section in loc_sections:
    show(_section)
tables.update(merged_tables(loc_sections))
figures.update(loc_sections[0].figures)

# %%
say(
    f"*This run used:* limits — {limits.describe()}; test — {result.test_name}, significance "
    f"level {alpha:g}; counts from {'the force extract' if records.source == V.SOURCE_EXTRACT else 'police.uk'}."
)
headlines = headline_text[:2] or variance_text[:2]
# A missing month makes the comparison like-for-like: the label says the figure covers fewer months.
n_compared = figures.get("months_compared", current.months)
partial = f" ({n_compared} months with data in both years)" if n_compared < current.months else ""
glance = {
    f"All crime, {current.short}{partial}": narrative.fmt_int(figures["all_crime_current"]),
    (
        "Change on the same months a year earlier"
        if partial
        else "Change on the previous 12 months"
    ): (
        narrative.fmt_pct(figures["all_crime_pct_change"], signed=True)
        if figures["all_crime_pct_change"] is not None
        else "n/a"
    ),
}
keyed.append(
    MS.record("all_crime", area, result.current_months, figures["all_crime_current"],
              "at a glance", source=source_key)
)  # fmt: skip
_ts = tables["three_series"]
_all = _ts[_ts["measure_id"] == "all_crime"]
if series.baseline_available and len(_all) and int(_all["baseline"].iloc[0]) > 0:
    _b, _c = int(_all["baseline"].iloc[0]), int(_all["current"].iloc[0])
    figures["all_crime_baseline"] = _b
    figures["all_crime_pct_change_from_baseline"] = (_c - _b) / _b * 100
    glance[f"Change on the baseline, {base_period.label or base_period.name}"] = narrative.fmt_pct(
        figures["all_crime_pct_change_from_baseline"], signed=True
    )
if "msg_text" in globals() and msg_text:
    headlines.append(msg_text[0])
if "out_text" in globals() and out_text:
    headlines.append(out_text[0])
if "positive_outcome_rate_current" in figures:
    glance["Positive outcome rate"] = narrative.fmt_pct(figures["positive_outcome_rate_current"])
out = processed.save_stage_outputs(
    area,
    period,
    "02_crime_group_variance",
    tables=tables,
    figures=figures,
    sentences=sentences,
    headlines=headlines,
    glance=glance,
    measures=keyed,
    table_periods=table_periods,
    source_notes=source_notes,
)
say("The key tables and figures of this report are kept with it for the panel paper.")
