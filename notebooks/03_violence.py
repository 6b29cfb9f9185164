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
# # Violence against the person
#
# Violence is the largest and most closely watched category of recorded crime. This section
# explains what it is made of (with injury, without injury, stalking and harassment, homicide,
# and death or serious injury by unlawful driving), how each part moved over the year, how much
# is domestic abuse, where it happens (domestic, town centre, elsewhere), when a sustained change
# in its trend began, and, for town-centre violence, on which days and at what times.
#
# Figures come from the force's offence extract, which carries Home Office offence codes and
# flags. Where only police.uk data is available the section says so and shows only what police.uk
# can show.

# %% tags=["parameters"]
area: str = "wexley"  # area config name in config/ (or a path to a config YAML)
config: str = ""  # path to the area config YAML the run uses; empty: config/<area>.yaml
period: str = "2022-03"  # last month of the reporting period (YYYY-MM)
comparison_months: int = 12  # months in the current period and in the previous one compared
years_of_location_history: int = 3  # number of 12-month years shown in the location-type breakdown
alpha: float = 0.05  # significance level for changes and change points
source: str = "auto"  # auto | extract | police_uk (police_uk forces the police.uk-only path)

# %%
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display

from helpers.core import narrative
from helpers.core import statistics as S
from helpers.core.config import run_config
from helpers.core.errors import ParameterError, PeriodError
from helpers.core.periods import ReportingPeriod, compare_coverage, month_range, parse_month
from helpers.ingest import processed
from helpers.present import charts
from helpers.present.tables import show_table
from helpers.stages import comparisons as CMP
from helpers.stages import measures as MS
from helpers.stages import variance as VAR
from helpers.stages import violence as V

parse_month(period, "period")
for _name, _value, _low, _high in (
    ("comparison_months", comparison_months, 1, 24),
    ("years_of_location_history", years_of_location_history, 1, 10),
):
    if not isinstance(_value, int) or not _low <= _value <= _high:
        raise ParameterError(
            f"{_name} = {_value!r} is not a whole number from {_low} to {_high}.",
            f"Set {_name} to a whole number such as {12 if _name == 'comparison_months' else 3}.",
        )
if not isinstance(alpha, float | int) or not 0 < float(alpha) < 1:
    raise ParameterError(
        f"alpha = {alpha!r} is not between 0 and 1.", "Use a significance level such as 0.05."
    )
alpha = float(alpha)

cfg = run_config(area, config)
data = processed.load_processed(area, period)
current = ReportingPeriod(period, comparison_months)
previous = current.previous()
used = V.choose_source(source, data.extract, data.street)
charts.setup_notebook()


def say(text: str) -> None:
    display(Markdown(text))


sentences: list[str] = []
figures: dict = {
    "source": used,
    "alpha": alpha,
    "current_period": current.name,
    "previous_period": previous.name,
}
tables: dict[str, pd.DataFrame] = {}
keyed: list[dict] = []  # headline numbers keyed by measure, area and period (reconciliation)
table_periods: dict[str, dict] = {}
exceptional = CMP.exceptional_periods(cfg.analysis, str(cfg.path or area))

say(
    f"{narrative.area_title(cfg.name, cfg.area_kind)} — reporting period **{current.name}**, "
    f"compared with **{previous.name}**."
)
if cfg.synthetic or data.synthetic:
    say(
        "> **Synthetic data.** This report is made from the embedded synthetic sample, not real "
        "crime records. Its figures illustrate the method only."
    )

# %% [markdown]
# ## Source of the figures and what it can show

# %%
if used == "extract":
    ex = data.extract
    check = V.check_extract(ex)
    vr = V.violence_rows(ex)
    available = sorted(set(ex["month"].dropna().astype(str)))
    coverage = compare_coverage(available, current, previous)
    cur_m = [current.month_list[i] for i in coverage.like_for_like_offsets]
    prev_m = [previous.month_list[i] for i in coverage.like_for_like_offsets]
    say(
        "These figures come from the **force's offence extract** (one row per recorded offence, "
        "with its Home Office offence code). *Violence against the person* is the Home Office "
        "offence group of that name; sexual offences and robbery are not included."
    )
    for msg in check.messages:
        say(f"> **Cannot show everything:** {msg}")
    if check.messages:
        shown = [V.SECTION_LABELS[s] for s, ok in check.can.items() if ok]
        say(f"The sections that can still be shown are: {narrative.join_names(shown)}.")
else:
    st = data.street
    available = sorted(set(st["month"].dropna().astype(str)))
    coverage = compare_coverage(available, current, previous)
    cur_m = [current.month_list[i] for i in coverage.like_for_like_offsets]
    prev_m = [previous.month_list[i] for i in coverage.like_for_like_offsets]
    check = V.check_extract(None)
    why = (
        "the `source` parameter asked for police.uk only"
        if source == "police_uk"
        else "there is no usable force extract for this area and period"
    )
    say(f"**Only police.uk data is used here**, because {why}. {V.POLICEUK_CAVEAT}")
if not cur_m:
    raise PeriodError(
        f"No month of {current.name} has its same month a year earlier in the data "
        f"(the data hold {available[0]} to {available[-1]}), so violence cannot be compared "
        "like-for-like with the previous period.",
        "Choose a period whose previous 12 months the data also cover, or add the missing "
        "months and re-run the cleaning stage.",
    )
if coverage.message():
    say(f"> **{coverage.message()}**")
comparison = f"{previous.name}" + (
    "" if coverage.complete else f" (like-for-like over {len(cur_m)} months)"
)
figures["like_for_like_months"] = len(cur_m)
count_columns = {"previous": MS.period_key(prev_m), "current": MS.period_key(cur_m)}
source_key = "force_extract" if used == "extract" else "police_uk"
figures["missing_months"] = coverage.current_missing + coverage.previous_missing

# %% [markdown]
# ## Violence and all recorded crime
#
# *Method:* violence against the person as a percentage of all offences in the extract (every
# Home Office group, excluding anti-social behaviour incidents, which are not crimes). Recorded
# crime varies more from month to month than a count of independent events would (repeat
# victims, series offences), so each change is tested against the variation seen in its own
# monthly counts a year apart (a quasi-Poisson test); with several rows in a table, p-values are
# adjusted so that few of the changes called *statistically significant* are chance. A
# percentage change is not shown when either period has fewer than 20 offences. *Caveat:* a
# significant change is a prompt to look, not proof.

# %%
if used == "extract":
    share = V.share_of_all_crime(ex, vr, cur_m, prev_m)
    subgroups = V.subgroup_table(vr, cur_m, prev_m, alpha)
    total_table = V.total_row(
        subgroups, alpha=alpha, violence=vr, cur_months=cur_m, prev_months=prev_m
    )
    total = total_table.iloc[0]
    s = V.share_sentence(share, total)
    sentences.append(s)
    say(s)
    share_view = pd.DataFrame(
        {
            "Period": [current.name, previous.name],
            "Violence against the person": share["violence"],
            "All recorded crime": share["all_crime"],
            "Violence share": share["share"],
        }
    )
    display(
        show_table(
            share_view,
            caption="Violence against the person as a share of all recorded crime",
            formats={
                "Violence against the person": "int",
                "All recorded crime": "int",
                "Violence share": "pct",
            },
            note="Counts over the like-for-like months of each period.",
        )
    )
    tables["share_of_all_crime"] = share
    for _i, _ms in ((0, cur_m), (1, prev_m)):
        keyed += [
            MS.record("vap", area, _ms, share["violence"].iloc[_i], "share of all crime table",
                      source=source_key),
            MS.record("all_crime", area, _ms, share["all_crime"].iloc[_i],
                      "share of all crime table", source=source_key),
        ]  # fmt: skip
    figures.update(
        violence_current=int(total["current"]),
        violence_previous=int(total["previous"]),
        violence_pct_change=None if pd.isna(total["pct_change"]) else float(total["pct_change"]),
        violence_p_value=float(total["p_value"]),
        share_of_all_crime=float(share["share"].iloc[0]),
    )
else:
    say(
        "police.uk cannot separate violence against the person from sexual offences, so this "
        "share is shown for *violence and sexual offences* in the police.uk section below."
    )

# %% [markdown]
# ## What violence is made of
#
# *Method:* each offence is placed in one of the five Home Office subgroups of violence against
# the person using the force's subgroup, or its Home Office offence code when the subgroup is
# blank. Shares are of all violence in the current period and add up to 100%. Offences that fit
# no subgroup are shown on their own row, never dropped.

# %%
if used == "extract":
    s1 = V.breakdown_sentence(subgroups)
    s2 = V.subgroup_change_sentence(subgroups, comparison)
    sentences += [s1, s2]
    say(s1 + " " + s2)
    view = pd.concat([subgroups, total_table], ignore_index=True)
    sub_view = pd.DataFrame(
        {
            "Subgroup": view["subgroup"],
            "Previous": view["previous"],
            "Current": view["current"],
            "Change": view["change"],
            "Change %": view["pct_change"],
            "Share": view["share"],
            "": view["direction"],
            "Significant?": view["significant"].map({True: "yes", False: "no"}),
        }
    )
    display(
        show_table(
            sub_view,
            caption=f"Violence against the person by subgroup, {current.short}",
            formats={
                "Previous": "int",
                "Current": "int",
                "Change": "signed_int",
                "Change %": "signed_pct",
                "Share": "pct",
                "": "arrow",
            },
            note=V.change_test_note([subgroups, total_table], alpha)
            + " The total is tested on its own.",
        )
    )
    tables["subgroups"] = MS.label_table(
        subgroups, source_key, label_col="subgroup", level_col=None
    )
    table_periods["subgroups"] = {"source": source_key, "columns": count_columns}
    figures["subgroup_shares"] = dict(
        zip(subgroups["subgroup"], subgroups["share"].round(1), strict=True)
    )
    shown = subgroups[(subgroups["current"] + subgroups["previous"]) > 0].iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(shown) + 1.2))
    y = range(len(shown))
    ax.barh(
        [i + 0.2 for i in y],
        shown["previous"],
        height=0.4,
        color=charts.PREVIOUS,
        label=previous.name,
    )
    ax.barh(
        [i - 0.2 for i in y], shown["current"], height=0.4, color=charts.CURRENT, label=current.name
    )
    ax.set_yticks(list(y), shown["subgroup"])
    ax.set_xlabel("Offences")
    ax.set_title("Violence by subgroup: current and previous period")
    ax.legend(loc="lower right")
    charts.finish(fig, alt=s1)
    plt.show()
else:
    say("Not available from police.uk: it has no violence subgroups.")

# %% [markdown]
# ### Violence with injury in detail
#
# *Method:* offences in the *violence with injury* subgroup counted by Home Office offence code.
# Codes missing from the reference table keep the force's own description and are marked.

# %%
if used == "extract" and check.can["injury_detail"]:
    detail = V.injury_detail_table(vr, cur_m, prev_m)
    s = V.injury_detail_sentence(detail)
    sentences.append(s)
    say(s)
    display(
        show_table(
            detail.rename(
                columns={
                    "ho_code": "HO code",
                    "offence": "Offence",
                    "current": "Current",
                    "previous": "Previous",
                    "change": "Change",
                    "share": "Share",
                }
            ),
            caption="Violence with injury by offence",
            formats={"Current": "int", "Previous": "int", "Change": "signed_int", "Share": "pct"},
            note="Share is of all violence with injury in the current period.",
        )
    )
    tables["injury_detail"] = detail
elif used == "extract":
    say(
        "The extract has no Home Office offence code, so violence with injury cannot be broken "
        "down by offence."
    )
else:
    say("Not available from police.uk: it has no offence codes.")

# %% [markdown]
# ## Domestic abuse
#
# *Method:* offences carrying the force's domestic abuse flag, against all other violence. An
# offence with no flag value is counted as *other violence* (the flag is set when an officer marks
# the offence as domestic) and the number of such offences is stated. *Caveat:* the flag depends on
# recording practice, so a change can reflect better identification as well as more abuse.

# %%
if used == "extract" and check.can["domestic"]:
    dom = V.domestic_table(vr, cur_m, prev_m, alpha)
    s = V.domestic_sentence(dom, current.name, comparison)
    sentences.append(s)
    say(s)
    n_null = V.null_flag_count(vr, cur_m)
    if n_null:
        say(
            f"{narrative.fmt_int(n_null)} violent offences in the current period have no domestic "
            "flag value and are counted as other violence."
        )
    dom = dom.assign(
        measure_id=dom["group"].map({"Domestic abuse flag": "vap_domestic"}).fillna("")
    )
    table_periods["domestic"] = {"source": source_key, "columns": count_columns}
    display(
        show_table(
            pd.DataFrame(
                {
                    "": dom["group"].replace({"Domestic abuse flag": MS.name("vap_domestic")}),
                    "Previous": dom["previous"],
                    "Current": dom["current"],
                    "Change %": dom["pct_change"],
                    "Share of violence": dom["share"],
                    "Significant?": dom["significant"].map({True: "yes", False: "no"}),
                }
            ),
            caption="Violence with and without a domestic abuse flag",
            formats={
                "Previous": "int",
                "Current": "int",
                "Change %": "signed_pct",
                "Share of violence": "pct",
            },
            note=V.change_test_note([dom], alpha),
        )
    )
    tables["domestic"] = dom
    figures["domestic_share"] = float(dom["share"].iloc[0])
elif used == "extract":
    say("The extract has no domestic abuse flag, so this breakdown cannot be shown.")
else:
    say("Not available from police.uk: it has no domestic abuse flag.")

# %% [markdown]
# ## Where violence happens: domestic, town centre and residual
#
# *Method:* the force's location type for each violent offence — *domestic*, *town centre*
# (the night-time economy area) or *residual* (everywhere else, including around schools) — for
# each of the last few 12-month years ending at the reporting period. Shares are of offences
# with a location type recorded and add up to 100% in each year; offences with none are counted
# separately. *Caveat:* the town-centre boundary is the force's; if it changed, so would the
# shares.

# %%
if used == "extract" and check.can["location"]:
    windows = V.year_windows(period, years_of_location_history)
    loc = V.location_share_table(vr, windows, available)
    s = V.location_sentence(loc)
    sentences.append(s)
    say(s)
    short = loc[loc["months_with_data"] < 12]
    if len(short):
        yrs = narrative.join_names(list(dict.fromkeys(short["year"])))
        say(
            f"> The data hold fewer than 12 months for {yrs}: counts there are not comparable, "
            "but shares still are."
        )
    pivot = loc.pivot(index="year", columns="location_type", values="share").reindex(
        [w.short for w in windows]
    )
    counts = loc.pivot(index="year", columns="location_type", values="offences").reindex(
        [w.short for w in windows]
    )
    loc_view = pd.DataFrame({"Year": pivot.index})
    for t in [c for c in pivot.columns if c != V.NOT_RECORDED]:
        loc_view[f"{t} (offences)"] = counts[t].to_numpy()
        loc_view[f"{t} (share)"] = pivot[t].to_numpy()
    display(
        show_table(
            loc_view,
            caption="Violence by location type",
            formats={
                c: ("pct" if "share" in c else "int") for c in loc_view.columns if c != "Year"
            },
        )
    )
    tables["location_shares"] = loc
    fig, ax = plt.subplots(figsize=(8, 0.7 * len(pivot) + 1.5))
    left = pd.Series(0.0, index=pivot.index)
    for i, t in enumerate([c for c in V.LOCATION_TYPES if c in pivot.columns]):
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
    charts.finish(fig, alt=s)
    plt.show()
elif used == "extract":
    say("The extract has no location type, so this breakdown cannot be shown.")
else:
    say("Not available from police.uk: it has no location type.")

# %% [markdown]
# ## Trends, seasonality and when a change began
#
# *Method:* monthly counts for every month the data hold up to the end of the period. For the
# charts, the month-of-year pattern (more violence in summer and December, for example) is
# removed by STL decomposition when there are at least three years of months, by a month-of-year
# profile with two years, and not at all with less. To find when a sustained change of trend
# began, a regression is fitted to the monthly counts themselves with a straight-line trend, a
# level for each month of the year, a level of its own for any exceptional period named in the
# area's settings (the COVID-19 lockdowns in the sample), and noise that carries over from one
# month to the next. A two-piece straight line (a *hinge*) is tried at every month; the month
# where the two pieces meet best is when the trend changed. Its p-value compares the improvement
# over a single line with series simulated from the same model with no change, so trying every
# month, the seasonal pattern and the carry-over are all allowed for; p-values are then adjusted
# for testing several series together. A month the data do not hold is filled by straight-line
# interpolation and named below.
#
# *Caveats:* on simulated series with no change the test raises a false alarm about 5% of the
# time, as it should; the noise model is a simple one, so treat a borderline result as a guide.
# It finds at most one change, the month is an estimate (give or take a few months), and a
# change in recording practice produces a break just like a change in offending: known Home
# Office counting-rule changes are listed where they fall near a detected change.

# %%
first = available[0] if available else period
trend_months = month_range(first, period)
if used == "extract" and check.can["subgroups"]:
    wide = V.monthly_series(vr, first, period)
    keep = [c for c in wide.columns if c == "All violence" or wide[c].sum() >= 5 * len(wide) / 12]
    keep = [c for c in ["All violence", *V.SUBGROUP_ORDER[:3]] if c in keep]
    tables["monthly"] = V.monthly_long(wide)
else:
    pu = V.policeuk_monthly(data.street, trend_months) if used == "police_uk" else None
    wide = (
        pd.DataFrame({V.POLICEUK_VIOLENCE: pu.set_index("month")["violence_and_sexual"]})
        if pu is not None
        else pd.DataFrame()
    )
    keep = list(wide.columns)
points, adjusted = [], {}
for name in keep:
    series, filled = V.fill_missing_months(wide[name], available)
    seas = V.seasonal_adjust(series)
    points.append(V.detect_change_point(series, name, alpha, exceptional=exceptional))
    adjusted[name] = (series, seas)
points = V.adjust_change_points(points, alpha)
for cp in points:
    adjusted[cp.series] = (*adjusted[cp.series], cp)
if keep:
    say(
        f"Series cover {narrative.fmt_int(len(trend_months))} months, "
        f"{pd.Period(trend_months[0], freq='M').strftime('%B %Y')} to "
        f"{pd.Period(trend_months[-1], freq='M').strftime('%B %Y')}. Seasonal adjustment for "
        f"the charts: {adjusted[keep[0]][1].method}. *Change of trend:* {points[0].method}"
    )
    for ep in exceptional:
        if ep.start <= trend_months[-1] and ep.end >= trend_months[0]:
            say(
                f"> {ep.name} ({pd.Period(ep.start, freq='M').strftime('%B %Y')} to "
                f"{pd.Period(ep.end, freq='M').strftime('%B %Y')}) are treated as an exceptional "
                "period: the model gives those months their own level, so the return to normal "
                "afterwards is not reported as a change of trend."
            )
    if filled:
        say(
            f"> Months not in the data, filled by interpolation for this analysis only: "
            f"{narrative.join_names(filled)}."
        )
    for cp in points:
        label = cp.series if cp.series != "All violence" else "Violence against the person"
        s = V.trend_sentence(cp, label)
        sentences.append(s)
        say(s)
        for caution in V.recording_cautions(cp, cp.series):
            say(f"> **Recording-rule caution:** {caution}")
    known = dict.fromkeys(
        t for name in keep for t in V.recording_changes_in_range(trend_months[0], period, name)
    )
    for text in known:
        say(f"> **Recording change inside this series:** {text}")
    cpt = V.change_point_table(points)
    tables["change_points"] = cpt
    display(
        show_table(
            pd.DataFrame(
                {
                    "Series": cpt["series"],
                    "Change began": [
                        pd.Period(m, freq="M").strftime("%b %Y") if m else "–"
                        for m in cpt["change_month"]
                    ],
                    "Trend before (a month)": cpt["slope_before"],
                    "Trend after (a month)": cpt["slope_after"],
                    "Month-to-month carry-over": cpt["autocorrelation"],
                    "p-value (adjusted)": cpt["q_value"].map(V.fmt_p),
                    "Sustained change?": cpt["significant"].map({True: "yes", False: "no"}),
                }
            ),
            caption="When a sustained change of trend began (allowing for the seasonal pattern)",
            formats={
                "Trend before (a month)": "float1",
                "Trend after (a month)": "float1",
                "Month-to-month carry-over": "float1",
            },
            note=(
                "Trend: fitted change in offences per month. Month-to-month carry-over: how much "
                "of one month's departure from the trend carries into the next (0 = none, 1 = "
                "all), estimated from each series and allowed for in the test. p-value from 999 "
                "simulated series with the same seasonal pattern and carry-over but no change, "
                f"adjusted for testing {narrative.number_word(len(points))} series together "
                "(Benjamini-Hochberg). A change is called sustained when the adjusted p-value is "
                f"below {alpha:g}."
            ),
        )
    )
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
    charts.finish(
        fig,
        alt="Monthly violence by series with seasonally adjusted line and fitted "
        "two-piece trend. " + " ".join(V.trend_sentence(p, p.series) for p in points),
    )
    plt.show()
    seas0 = adjusted[keep[0]][1]
    if seas0.profile.notna().all():
        fig, ax = plt.subplots(figsize=(8, 3))
        names = [pd.Timestamp(2000, m, 1).strftime("%b") for m in range(1, 13)]
        full = [pd.Timestamp(2000, m, 1).strftime("%B") for m in range(1, 13)]
        ax.bar(
            names,
            seas0.profile.to_numpy(),
            color=[charts.INCREASE if v > 0 else charts.DECREASE for v in seas0.profile],
        )
        ax.axhline(0, color="black", lw=0.8)
        ax.set_ylabel("Offences above/below trend")
        ax.set_title(f"Seasonal pattern: {keep[0]}")
        peak = full[int(seas0.profile.to_numpy().argmax())]
        low = full[int(seas0.profile.to_numpy().argmin())]
        charts.finish(
            fig, alt=f"Month-of-year pattern of {keep[0]}: highest in {peak}, lowest in {low}."
        )
        plt.show()
        s = (
            f"The seasonal pattern of {keep[0].lower()} peaks in {peak} and is lowest in {low} "
            f"(about {seas0.profile.max():.0f} offences above and {abs(seas0.profile.min()):.0f} "
            "below the trend)."
        )
        sentences.append(s)
        say(s)
else:
    say("There is no monthly series to analyse.")

# %% [markdown]
# ## Night-time economy: town-centre violence by day and hour
#
# *Method:* town-centre violence in the current period counted by the day of the week and the hour
# the offence was committed. *Caveat:* the hour is when the victim says it happened, often rounded
# to the hour; offences with no hour recorded are left out and counted below.

# %%
if used == "extract" and check.can["heatmap"]:
    grid = V.heatmap_table(vr, current.month_list)
    no_hour = V.heatmap_missing_hours(vr, current.month_list)
    tables["town_centre_heatmap"] = V.heatmap_long(grid)
    total_tc = int(grid.to_numpy().sum())
    if total_tc:
        peak_day, peak_hour = grid.stack().idxmax()
        weekend = int(grid.loc[["Friday", "Saturday", "Sunday"]].to_numpy().sum())
        night = int(grid[[h for h in range(24) if h >= 21 or h < 4]].to_numpy().sum())
        s = (
            f"Of {narrative.fmt_int(total_tc)} town-centre violent offences with a recorded hour, "
            f"{narrative.fmt_pct(weekend / total_tc * 100)} happened on a Friday, Saturday or "
            f"Sunday and {narrative.fmt_pct(night / total_tc * 100)} between 9pm and 4am; the busiest "
            f"hour was {peak_day} from {peak_hour:02d}:00."
        )
        sentences.append(s)
        say(s)
        fig, ax = plt.subplots(figsize=(9, 3.6))
        sns.heatmap(grid, cmap="rocket_r", ax=ax, cbar_kws={"label": "Offences"}, linewidths=0.3)
        ax.set_xlabel("Hour of the day")
        ax.set_ylabel("")
        ax.set_title(f"Town-centre violence by day and hour, {current.short}")
        charts.finish(fig, alt=s)
        plt.show()
    else:
        say("No town-centre violence with a recorded hour in the current period.")
    if no_hour:
        say(
            f"{narrative.fmt_int(no_hour)} town-centre offences had no hour and are not in the map."
        )
elif used == "extract":
    say(
        "The extract lacks the location type, date or hour, so the day-and-hour map cannot be drawn."
    )
else:
    say("Not available from police.uk: it has no location type and no time of day.")

# %% [markdown]
# ## Offence codes not in the Home Office list
#
# Offences whose code is not in the reference table are not dropped: they stay in every total
# under the force's own offence group (where it gave one) and are listed here so the reference
# table can be corrected.

# %%
if used == "extract":
    unk = V.unknown_codes(ex, cur_m + prev_m)
    tables["unknown_codes"] = unk
    figures["unknown_code_offences"] = int(unk["offences"].sum()) if len(unk) else 0
    if unk.empty:
        say("Every offence code in the two periods is in the Home Office list.")
    else:
        n_off, n_codes = int(unk["offences"].sum()), len(unk)
        say(
            f"{narrative.fmt_int(n_off)} offence{'s' if n_off != 1 else ''} in the two periods "
            f"{'carry' if n_off != 1 else 'carries'} {narrative.number_word(n_codes)} offence "
            f"code{'s' if n_codes != 1 else ''} not in the Home Office list."
        )
        display(
            show_table(
                pd.DataFrame(
                    {
                        "Code": unk["ho_code"],
                        "Force description": unk["offence_description"],
                        "Force offence group": unk["offence_group"].replace("", "(none)"),
                        "Offences": unk["offences"],
                    }
                ),
                caption="Offence codes not in the Home Office list",
                formats={"Offences": "int"},
                note="Offences with no force offence group cannot be counted as violence.",
            )
        )
else:
    say("police.uk data carry no offence codes.")

# %% [markdown]
# ## When only police.uk data is available
#
# police.uk publishes one category, *violence and sexual offences*, that merges violence against
# the person with sexual offences. It has no subgroups, no domestic abuse flag, no location type and
# no time of day. This section shows what police.uk can show — the monthly count and its share of
# all recorded crime — and nothing more. *Caveats:* police.uk locations are snapped to map points,
# months are the month recorded, and police.uk counts differ slightly from the force's own
# figures.

# %%
if used == "police_uk":
    pu_cur = V.policeuk_monthly(data.street, current.month_list)
    summary = V.policeuk_summary(data.street, cur_m, prev_m, alpha)
    for s in V.policeuk_sentences(summary, comparison, current.name):
        sentences.append(s)
        say(s)
    display(
        show_table(
            pd.DataFrame(
                {
                    "Measure": summary["measure"],
                    "Previous": summary["previous"],
                    "Current": summary["current"],
                    "Change %": summary["pct_change"],
                    "Share of all crime (current)": summary["share_current"],
                    "Significant?": summary["significant"].map({True: "yes", False: "no"}),
                }
            ),
            caption="police.uk violence and sexual offences",
            formats={
                "Previous": "int",
                "Current": "int",
                "Change %": "signed_pct",
                "Share of all crime (current)": "pct",
            },
            note="All crime excludes anti-social behaviour incidents. Like-for-like months only. "
            + V.change_test_note([summary], alpha),
        )
    )
    display(
        show_table(
            pd.DataFrame(
                {
                    "Month": [pd.Period(m, freq="M").strftime("%b %Y") for m in pu_cur["month"]],
                    "Violence and sexual offences": pu_cur["violence_and_sexual"].where(
                        pu_cur["has_data"]
                    ),
                    "All crime": pu_cur["all_crime"].where(pu_cur["has_data"]),
                    "Share": pu_cur["share"],
                }
            ),
            caption=f"police.uk violence and sexual offences by month, {current.short}",
            formats={"Violence and sexual offences": "int", "All crime": "int", "Share": "pct"},
            note="– marks a month with no police.uk data (missing, not zero).",
        )
    )
    tables["policeuk_monthly"] = V.policeuk_monthly(data.street, trend_months)
    tables["policeuk_summary"] = summary.assign(
        measure_id=["violence_and_sexual_offences", "all_crime"]
    )
    table_periods["policeuk_summary"] = {"source": "police_uk", "columns": count_columns}
    figures.update(
        policeuk_violence_and_sexual_current=int(summary["current"].iloc[0]),
        policeuk_share_of_all_crime=float(summary["share_current"].iloc[0]),
    )
    fig, ax = plt.subplots(figsize=(8, 3.5))
    pm = tables["policeuk_monthly"]
    pm = pm[pm["has_data"]]
    ax.plot(
        pd.PeriodIndex(pm["month"], freq="M").to_timestamp(),
        pm["violence_and_sexual"],
        marker="o",
        ms=3,
        color=charts.CURRENT,
    )
    ax.set_ylabel("Offences")
    ax.set_title("police.uk violence and sexual offences by month")
    charts.finish(fig, alt=f"Monthly police.uk violence and sexual offences. {sentences[-3]}")
    plt.show()
else:
    say(
        "Not used: this report has the force extract, which gives the full breakdown above. "
        "police.uk's *violence and sexual offences* would also include sexual offences."
    )

# %% [markdown]
# ## The Commissioner's measures
#
# A Police and Crime Commissioner reports a few national measures for the whole force area, and
# panels often ask for them for their own area: all crime as offences *and* as the number of
# different victims (someone who was a victim more than once in the year is counted once), knife
# or sharp instrument offences, firearm offences, sexual offences (rape and other sexual
# offences), neighbourhood crime (residential burglary, personal robbery, theft from the person
# and vehicle offences) and homicide, each against last year and against the 12 months to June
# 2019, the baseline of the national Crime and Policing Measures; homicides per million
# residents beside the national rate; and victim satisfaction from the force's survey.
#
# *How to read them:* change on last year is tested against the month-to-month variation in each
# measure's own counts (a quasi-Poisson test, false alarms controlled across the table); change
# on the baseline uses the exact test of the two yearly counts. No percentage or test is given
# when a count is below 20, so homicides and firearm offences are shown as numbers only. Victim
# satisfaction is an estimate from the victims who answered, shown with its 95% interval. A
# measure whose input is missing says so rather than being estimated.

# %%
from helpers.core.sections import merged_tables
from helpers.present.sections import show
from helpers.stages import commissioner as PCC

commissioner = PCC.commissioner_sections(
    cfg,
    data.extract if used == "extract" else None,
    period,
    csp_population=data.csp_population,
    wards=data.wards,
    alpha=alpha,
    exceptional=exceptional,
)
for _section in commissioner:
    show(_section)

# %% [markdown]
# ## Figures saved for the panel pack
#
# The key tables and every sentence above are saved beside this report so each number can be
# traced to a file.

# %%
# The headline against last year and the pre-COVID baseline, over the calendar months all three
# years hold, naming an exceptional period when a compared year falls in it.
headline_text = []
base_period = VAR.resolve_baseline(CMP.DEFAULT_BASELINE, cfg.baselines)
head_id = "vap" if used == "extract" else "violence_and_sexual_offences"
frame = data.extract if used == "extract" else data.street
in_measure = (
    MS.extract_mask(frame, head_id) if used == "extract" else MS.street_mask(frame, head_id)
)
have = set(available)
offsets = [
    i for i in range(current.months)
    if current.month_list[i] in have and previous.month_list[i] in have
]  # fmt: skip
base_ok = all(base_period.month_list[i] in have for i in offsets) and bool(offsets)
if offsets:

    def _count(months):
        return (months, int((in_measure & frame["month"].astype(str).isin(months)).sum()))

    cur_c = _count([current.month_list[i] for i in offsets])
    prev_c = _count([previous.month_list[i] for i in offsets])
    base_c = None
    if base_ok:
        base_months, base_n = _count([base_period.month_list[i] for i in offsets])
        base_c = (base_months, base_n, base_period.label or base_period.name)
    headline_text.append(
        CMP.headline_sentence(head_id, cur_c, prev_c, base_c, exceptional, noun="offences")
    )
    keyed += CMP.headline_records(head_id, area, cur_c, prev_c, base_c, "headline sentence",
                                  source_key)  # fmt: skip
    sentences.insert(0, headline_text[0])
    display(Markdown(f"**Against last year and the baseline.** {headline_text[0]}"))

V.clear_stage_tables(area, period, "03_violence")
glance = {}
if "violence_current" in figures:
    glance[MS.name("vap")] = narrative.fmt_int(figures["violence_current"])
    keyed.append(
        MS.record("vap", area, cur_m, figures["violence_current"], "at a glance",
                  source=source_key)
    )  # fmt: skip
    glance["Change on the previous period"] = narrative.fmt_pct(
        figures["violence_pct_change"], signed=True
    )
if "share_of_all_crime" in figures:
    glance["Share of all recorded crime"] = narrative.fmt_pct(figures["share_of_all_crime"])
if figures.get("domestic_share") is not None:
    glance["With a domestic abuse flag"] = narrative.fmt_pct(figures["domestic_share"])
headlines = (
    headline_text
    + [
        s
        for s in sentences
        if s.startswith(
            ("Recorded violence", "Violent crime breaks down", "Domestic violence accounts")
        )
    ][:2]
    or sentences[:2]
)
out = processed.save_stage_outputs(
    area,
    period,
    "03_violence",
    tables={**tables, **merged_tables(commissioner)},
    figures=figures,
    sentences=sentences,
    headlines=headlines,
    glance=glance,
    measures=keyed + PCC.records(commissioner),
    table_periods={**table_periods, **PCC.table_periods(commissioner)},
)
say("The key tables and figures of this report are kept with it for the panel paper.")
