"""Stage 03's report, section by section: what ``notebooks/03_violence`` shows and saves.

:func:`prepare` resolves everything the sections share once — the area config, the processed
data, the source (:func:`helpers.stages.violence.choose_source`, i.e. the one rule in
:mod:`helpers.stages.sources`), the reporting and comparison periods and the like-for-like
months — and returns a :class:`Context`. Each section builder takes the context and returns a
:class:`ViolenceSection` (a :class:`helpers.core.sections.Section` that also carries the
sentences it saves, its pack headlines, "at a glance" values, keyed measures and table
periods). A builder decides for itself what the chosen source can show, so the notebook never
branches on the source. :func:`save` writes the stage's outputs from the sections.

Figures are drawn by functions in :mod:`helpers.present.violence_figures` (this layer imports
nothing from ``present``): the notebook passes that module to :func:`prepare` as ``draw``, and a
section's ``figure`` calls it only when shown. Without ``draw`` (tests) sections carry no figure
but keep their alt text.

The statistics (tests, change points, small-number rule) are in :mod:`helpers.stages.violence`;
its module docstring has the method and the caveats.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import pandas as pd

from helpers.core import narrative
from helpers.core.config import run_config
from helpers.core.errors import PeriodError
from helpers.core.periods import ReportingPeriod, compare_coverage, month_range
from helpers.core.sections import Section, merged_tables
from helpers.ingest import processed
from helpers.stages import commissioner as PCC
from helpers.stages import comparisons as CMP
from helpers.stages import measures as MS
from helpers.stages import variance as VAR
from helpers.stages import violence as V

__all__ = [
    "STAGE",
    "Context",
    "ViolenceSection",
    "change_points",
    "domestic",
    "headline",
    "heatmap",
    "injury_detail",
    "introduction",
    "location",
    "police_uk",
    "prepare",
    "save",
    "seasonality",
    "share",
    "source",
    "subgroups",
    "unknown_codes",
]

STAGE = "03_violence"


@dataclass
class ViolenceSection(Section):
    """A :class:`Section` plus what stage 03 saves from it for the panel pack.

    ``saved``: the sentences of this section kept in the stage's figures record (a subset of
    ``sentences``, which also holds words shown only in the report, such as "not available
    from police.uk"); ``headlines``: those of them the pack's first page shows (stage 03: the
    comparison with last year and the baseline, the share of all crime and the subgroup
    breakdown); ``glance``:
    label → formatted value for the pack's "at a glance" tile; ``measures``: keyed headline
    numbers (:func:`helpers.stages.measures.record`); ``table_periods``: months and source of
    each count column of a saved table with a ``measure_id`` column.
    """

    saved: list[str] = field(default_factory=list)
    headlines: list[str] = field(default_factory=list)
    glance: dict[str, str] = field(default_factory=dict)
    measures: list[dict] = field(default_factory=list)
    table_periods: dict[str, dict] = field(default_factory=dict)


@dataclass
class Context:
    """What every section of one stage 03 run shares (built by :func:`prepare`)."""

    area: str
    period: str
    cfg: Any
    data: Any
    requested: str  # the source parameter as given
    source: str  # "extract" or "police_uk", resolved once
    alpha: float
    years_of_location_history: int
    current: ReportingPeriod
    previous: ReportingPeriod
    coverage: Any
    available: list[str]
    cur_m: list[str]
    prev_m: list[str]
    check: V.ExtractCheck
    exceptional: list
    draw: Any = None
    extract: pd.DataFrame | None = None
    violence: pd.DataFrame | None = None
    shared: dict[str, Any] = field(default_factory=dict)

    @property
    def extract_source(self) -> bool:
        return self.source == "extract"

    @property
    def source_key(self) -> str:
        return "force_extract" if self.extract_source else "police_uk"

    @property
    def comparison(self) -> str:
        """The previous period's name, saying when the comparison is over fewer months."""
        if self.coverage.complete:
            return self.previous.name
        return f"{self.previous.name} (like-for-like over {len(self.cur_m)} months)"

    @property
    def count_columns(self) -> dict[str, str]:
        return {"previous": MS.period_key(self.prev_m), "current": MS.period_key(self.cur_m)}

    @property
    def trend_months(self) -> list[str]:
        return month_range(self.available[0] if self.available else self.period, self.period)

    def figure(self, name: str, *args, **kwargs):
        """A figure function drawing ``draw.<name>(*args)`` when shown, or None without ``draw``."""
        if self.draw is None:
            return None
        fn = getattr(self.draw, name)
        return lambda: fn(*args, **kwargs)

    def totals(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(subgroup table, total row) of the extract, computed once and shared by sections."""
        if "subgroups" not in self.shared:
            sub = V.subgroup_table(self.violence, self.cur_m, self.prev_m, self.alpha)
            total = V.total_row(
                sub,
                alpha=self.alpha,
                violence=self.violence,
                cur_months=self.cur_m,
                prev_months=self.prev_m,
            )
            self.shared["subgroups"] = (sub, total)
        return self.shared["subgroups"]


def prepare(
    area: str,
    period: str,
    config: str = "",
    comparison_months: int = 12,
    years_of_location_history: int = 3,
    alpha: float = 0.05,
    source: str = "auto",
    draw: Any = None,
) -> Context:
    """Load the area's config and processed data and resolve the source and periods once.

    Parameters are the notebook's (already checked by
    :func:`helpers.run.parameters.validate_parameters`). Raises :class:`PeriodError` when no
    month of the reporting period has its same month a year earlier in the data.
    """
    cfg = run_config(area, config)
    data = processed.load_processed(area, period)
    current = ReportingPeriod(period, comparison_months)
    previous = current.previous()
    used = V.choose_source(source, data.extract, data.street)
    frame = data.extract if used == "extract" else data.street
    available = sorted(set(frame["month"].dropna().astype(str)))
    coverage = compare_coverage(available, current, previous)
    cur_m = [current.month_list[i] for i in coverage.like_for_like_offsets]
    prev_m = [previous.month_list[i] for i in coverage.like_for_like_offsets]
    if not cur_m:
        held = f"the data hold {available[0]} to {available[-1]}" if available else "no months"
        raise PeriodError(
            f"No month of {current.name} has its same month a year earlier in the data "
            f"({held}), so violence cannot be compared like-for-like with the previous period.",
            "Choose a period whose previous 12 months the data also cover, or add the missing "
            "months and re-run the cleaning stage.",
        )
    extract = data.extract if used == "extract" else None
    return Context(
        area=area,
        period=period,
        cfg=cfg,
        data=data,
        requested=source,
        source=used,
        alpha=float(alpha),
        years_of_location_history=years_of_location_history,
        current=current,
        previous=previous,
        coverage=coverage,
        available=available,
        cur_m=cur_m,
        prev_m=prev_m,
        check=V.check_extract(extract),
        exceptional=CMP.exceptional_periods(cfg.analysis, str(cfg.path or area)),
        draw=draw,
        extract=extract,
        violence=V.violence_rows(extract) if extract is not None else None,
    )


def _yes_no(s: pd.Series) -> pd.Series:
    return s.map({True: "yes", False: "no"})


def _month_name(month: str, fmt: str = "%B %Y") -> str:
    return pd.Period(month, freq="M").strftime(fmt)


# --------------------------------------------------------------------------------------------
# Sections, in the order of the report
# --------------------------------------------------------------------------------------------


def introduction(ctx: Context) -> ViolenceSection:
    """The area, the periods compared and, for the sample, the synthetic-data warning."""
    text = [
        f"{narrative.area_title(ctx.cfg.name, ctx.cfg.area_kind)} — reporting period "
        f"**{ctx.current.name}**, compared with **{ctx.previous.name}**."
    ]
    if ctx.cfg.synthetic or ctx.data.synthetic:
        text.append(
            "> **Synthetic data.** This report is made from the embedded synthetic sample, not "
            "real crime records. Its figures illustrate the method only."
        )
    return ViolenceSection(
        "introduction",
        sentences=text,
        figures={
            "source": ctx.source,
            "alpha": ctx.alpha,
            "current_period": ctx.current.name,
            "previous_period": ctx.previous.name,
            "like_for_like_months": len(ctx.cur_m),
            "missing_months": ctx.coverage.current_missing + ctx.coverage.previous_missing,
        },
    )


def headline(ctx: Context) -> ViolenceSection:
    """Violence against last year and the pre-COVID baseline (the pack's first headline).

    Counted over the calendar months all three years hold; an exceptional period (lockdowns) is
    named when a compared year falls in it. On police.uk data the measure is police.uk's
    *violence and sexual offences*.
    """
    base_period = VAR.resolve_baseline(CMP.DEFAULT_BASELINE, ctx.cfg.baselines)
    if ctx.extract_source:
        head_id, frame = "vap", ctx.data.extract
        in_measure = MS.extract_mask(frame, head_id)
    else:
        head_id, frame = "violence_and_sexual_offences", ctx.data.street
        in_measure = MS.street_mask(frame, head_id)
    have = set(ctx.available)
    offsets = ctx.coverage.like_for_like_offsets
    months = frame["month"].astype(str)

    def count(ms: list[str]) -> tuple[list[str], int]:
        return (ms, int((in_measure & months.isin(ms)).sum()))

    cur_c = count(ctx.cur_m)
    prev_c = count(ctx.prev_m)
    base_c = None
    if all(base_period.month_list[i] in have for i in offsets):
        base_months, base_n = count([base_period.month_list[i] for i in offsets])
        base_c = (base_months, base_n, base_period.label or base_period.name)
    s = CMP.headline_sentence(head_id, cur_c, prev_c, base_c, ctx.exceptional, noun="offences")
    return ViolenceSection(
        "headline",
        sentences=[s],
        saved=[s],
        headlines=[s],
        measures=CMP.headline_records(
            head_id, ctx.area, cur_c, prev_c, base_c, "headline sentence", ctx.source_key
        ),
    )


def source(ctx: Context) -> ViolenceSection:
    """Which source the figures come from, what it cannot show and any missing months."""
    if ctx.extract_source:
        text = [
            "These figures come from the **force's offence extract** (one row per recorded "
            "offence, with its Home Office offence code). *Violence against the person* is the "
            "Home Office offence group of that name; sexual offences and robbery are not "
            "included."
        ]
        text += [f"> **Cannot show everything:** {msg}" for msg in ctx.check.messages]
        if ctx.check.messages:
            shown = [V.SECTION_LABELS[s] for s, ok in ctx.check.can.items() if ok]
            text.append(f"The sections that can still be shown are: {narrative.join_names(shown)}.")
    else:
        why = (
            "the report was asked to use police.uk data only"
            if ctx.requested == "police_uk"
            else "there is no usable force extract for this area and period"
        )
        text = [f"**Only police.uk data is used here**, because {why}. {V.POLICEUK_CAVEAT}"]
    if ctx.coverage.message():
        text.append(f"> **{ctx.coverage.message()}**")
    return ViolenceSection("source", sentences=text)


def share(ctx: Context) -> ViolenceSection:
    """Violence against the person as a share of all recorded crime, and its change."""
    if not ctx.extract_source:
        return ViolenceSection(
            "share",
            sentences=[
                "police.uk cannot separate violence against the person from sexual offences, so "
                "this share is shown for *violence and sexual offences* in the police.uk section "
                "below."
            ],
        )
    sh = V.share_of_all_crime(ctx.extract, ctx.violence, ctx.cur_m, ctx.prev_m)
    _, total_table = ctx.totals()
    total = total_table.iloc[0]
    s = V.share_sentence(sh, total)
    view = pd.DataFrame(
        {
            "Period": [ctx.current.name, ctx.previous.name],
            "Violence against the person": sh["violence"],
            "All recorded crime": sh["all_crime"],
            "Violence share": sh["share"],
        }
    )
    records = []
    for i, ms in ((0, ctx.cur_m), (1, ctx.prev_m)):
        for mid, col in (("vap", "violence"), ("all_crime", "all_crime")):
            records.append(
                MS.record(
                    mid, ctx.area, ms, sh[col].iloc[i], "share of all crime table",
                    source=ctx.source_key,
                )
            )  # fmt: skip
    current = int(total["current"])
    pct = None if pd.isna(total["pct_change"]) else float(total["pct_change"])
    records.append(
        MS.record("vap", ctx.area, ctx.cur_m, current, "at a glance", source=ctx.source_key)
    )
    return ViolenceSection(
        "share",
        sentences=[s],
        saved=[s],
        headlines=[s],
        table=view,
        formats={
            "Violence against the person": "int",
            "All recorded crime": "int",
            "Violence share": "pct",
        },
        caption="Violence against the person as a share of all recorded crime",
        note="Counts over the like-for-like months of each period.",
        tables={"share_of_all_crime": sh},
        figures={
            "violence_current": current,
            "violence_previous": int(total["previous"]),
            "violence_pct_change": pct,
            "violence_p_value": float(total["p_value"]),
            "share_of_all_crime": float(sh["share"].iloc[0]),
        },
        glance={
            MS.name("vap"): narrative.fmt_int(current),
            "Change on the previous period": narrative.fmt_pct(pct, signed=True),
            "Share of all recorded crime": narrative.fmt_pct(float(sh["share"].iloc[0])),
        },
        measures=records,
    )


def subgroups(ctx: Context) -> ViolenceSection:
    """The five Home Office subgroups of violence: counts, change, share and significance."""
    if not ctx.extract_source:
        return ViolenceSection(
            "subgroups", sentences=["Not available from police.uk: it has no violence subgroups."]
        )
    sub, total_table = ctx.totals()
    s1 = V.breakdown_sentence(sub)
    s2 = V.subgroup_change_sentence(sub, ctx.comparison)
    view = pd.concat([sub, total_table], ignore_index=True)
    shown = sub[(sub["current"] + sub["previous"]) > 0].iloc[::-1]
    return ViolenceSection(
        "subgroups",
        sentences=[f"{s1} {s2}"],
        saved=[s1, s2],
        headlines=[s1],
        table=pd.DataFrame(
            {
                "Subgroup": view["subgroup"],
                "Previous": view["previous"],
                "Current": view["current"],
                "Change": view["change"],
                "Change %": view["pct_change"],
                "Share": view["share"],
                "": view["direction"],
                "Significant?": _yes_no(view["significant"]),
            }
        ),
        formats={
            "Previous": "int",
            "Current": "int",
            "Change": "signed_int",
            "Change %": "signed_pct",
            "Share": "pct",
            "": "arrow",
        },
        caption=f"Violence against the person by subgroup, {ctx.current.short}",
        note=V.change_test_note([sub, total_table], ctx.alpha) + " The total is tested on its own.",
        figure=ctx.figure("subgroup_bars", shown, ctx.previous.name, ctx.current.name),
        alt=s1,
        tables={
            "subgroups": MS.label_table(sub, ctx.source_key, label_col="subgroup", level_col=None)
        },
        table_periods={"subgroups": {"source": ctx.source_key, "columns": ctx.count_columns}},
        figures={"subgroup_shares": dict(zip(sub["subgroup"], sub["share"].round(1), strict=True))},
    )


def injury_detail(ctx: Context) -> ViolenceSection:
    """Violence with injury by Home Office offence code."""
    if not ctx.extract_source:
        return ViolenceSection(
            "injury_detail", sentences=["Not available from police.uk: it has no offence codes."]
        )
    if not ctx.check.can["injury_detail"]:
        return ViolenceSection(
            "injury_detail",
            sentences=[
                "The extract has no Home Office offence code, so violence with injury cannot be "
                "broken down by offence."
            ],
        )
    detail = V.injury_detail_table(ctx.violence, ctx.cur_m, ctx.prev_m)
    s = V.injury_detail_sentence(detail)
    return ViolenceSection(
        "injury_detail",
        sentences=[s],
        saved=[s],
        table=detail.rename(
            columns={
                "ho_code": "HO code",
                "offence": "Offence",
                "current": "Current",
                "previous": "Previous",
                "change": "Change",
                "share": "Share",
            }
        ),
        formats={"Current": "int", "Previous": "int", "Change": "signed_int", "Share": "pct"},
        caption="Violence with injury by offence",
        note="Share is of all violence with injury in the current period.",
        tables={"injury_detail": detail},
    )


def domestic(ctx: Context) -> ViolenceSection:
    """Violence with and without the force's domestic abuse flag."""
    if not ctx.extract_source:
        return ViolenceSection(
            "domestic", sentences=["Not available from police.uk: it has no domestic abuse flag."]
        )
    if not ctx.check.can["domestic"]:
        return ViolenceSection(
            "domestic",
            sentences=[
                "The extract has no domestic abuse flag, so this breakdown cannot be shown."
            ],
            figures={},
        )
    dom = V.domestic_table(ctx.violence, ctx.cur_m, ctx.prev_m, ctx.alpha)
    s = V.domestic_sentence(dom, ctx.current.name, ctx.comparison)
    text = [s]
    n_null = V.null_flag_count(ctx.violence, ctx.cur_m)
    if n_null:
        text.append(
            f"{narrative.fmt_int(n_null)} violent offences in the current period have no "
            "domestic flag value and are counted as other violence."
        )
    dom = dom.assign(
        measure_id=dom["group"].map({"Domestic abuse flag": "vap_domestic"}).fillna("")
    )
    dom_share = float(dom["share"].iloc[0])
    return ViolenceSection(
        "domestic",
        sentences=text,
        saved=[s],
        table=pd.DataFrame(
            {
                "": dom["group"].replace({"Domestic abuse flag": MS.name("vap_domestic")}),
                "Previous": dom["previous"],
                "Current": dom["current"],
                "Change %": dom["pct_change"],
                "Share of violence": dom["share"],
                "Significant?": _yes_no(dom["significant"]),
            }
        ),
        formats={
            "Previous": "int",
            "Current": "int",
            "Change %": "signed_pct",
            "Share of violence": "pct",
        },
        caption="Violence with and without a domestic abuse flag",
        note=V.change_test_note([dom], ctx.alpha),
        tables={"domestic": dom},
        table_periods={"domestic": {"source": ctx.source_key, "columns": ctx.count_columns}},
        figures={"domestic_share": dom_share},
        glance={"With a domestic abuse flag": narrative.fmt_pct(dom_share)},
    )


def location(ctx: Context) -> ViolenceSection:
    """Shares of violence by location type (domestic, town centre, residual) over recent years."""
    if not ctx.extract_source:
        return ViolenceSection(
            "location", sentences=["Not available from police.uk: it has no location type."]
        )
    if not ctx.check.can["location"]:
        return ViolenceSection(
            "location",
            sentences=["The extract has no location type, so this breakdown cannot be shown."],
        )
    windows = V.year_windows(ctx.period, ctx.years_of_location_history)
    loc = V.location_share_table(ctx.violence, windows, ctx.available)
    s = V.location_sentence(loc)
    text = [s]
    short = loc[loc["months_with_data"] < 12]
    if len(short):
        yrs = narrative.join_names(list(dict.fromkeys(short["year"])))
        text.append(
            f"> The data hold fewer than 12 months for {yrs}: counts there are not comparable, "
            "but shares still are."
        )
    years = [w.short for w in windows]
    pivot = loc.pivot(index="year", columns="location_type", values="share").reindex(years)
    counts = loc.pivot(index="year", columns="location_type", values="offences").reindex(years)
    view = pd.DataFrame({"Year": pivot.index})
    for t in [c for c in pivot.columns if c != V.NOT_RECORDED]:
        view[f"{t} (offences)"] = counts[t].to_numpy()
        view[f"{t} (share)"] = pivot[t].to_numpy()
    return ViolenceSection(
        "location",
        sentences=text,
        saved=[s],
        table=view,
        formats={c: ("pct" if "share" in c else "int") for c in view.columns if c != "Year"},
        caption="Violence by location type",
        figure=ctx.figure("location_bars", pivot),
        alt=s,
        tables={"location_shares": loc},
    )


def _trend_analysis(ctx: Context) -> dict[str, Any]:
    """Monthly series, seasonal adjustment and change points, computed once for two sections."""
    if "trends" in ctx.shared:
        return ctx.shared["trends"]
    trend_months = ctx.trend_months
    tables: dict[str, pd.DataFrame] = {}
    if ctx.extract_source and ctx.check.can["subgroups"]:
        wide = V.monthly_series(ctx.violence, trend_months[0], ctx.period)
        keep = [
            c for c in wide.columns if c == "All violence" or wide[c].sum() >= 5 * len(wide) / 12
        ]
        keep = [c for c in ["All violence", *V.SUBGROUP_ORDER[:3]] if c in keep]
        tables["monthly"] = V.monthly_long(wide)
    elif not ctx.extract_source:
        pu = V.policeuk_monthly(ctx.data.street, trend_months)
        wide = pd.DataFrame({V.POLICEUK_VIOLENCE: pu.set_index("month")["violence_and_sexual"]})
        keep = list(wide.columns)
    else:
        wide, keep = pd.DataFrame(), []
    points, adjusted, filled = [], {}, []
    for name in keep:
        series, filled = V.fill_missing_months(wide[name], ctx.available)
        seas = V.seasonal_adjust(series)
        points.append(V.detect_change_point(series, name, ctx.alpha, exceptional=ctx.exceptional))
        adjusted[name] = (series, seas)
    points = V.adjust_change_points(points, ctx.alpha)
    for cp in points:
        adjusted[cp.series] = (*adjusted[cp.series], cp)
    out = {
        "trend_months": trend_months,
        "keep": keep,
        "points": points,
        "adjusted": adjusted,
        "filled": filled,
        "tables": tables,
    }
    ctx.shared["trends"] = out
    return out


def change_points(ctx: Context) -> ViolenceSection:
    """When a sustained change of trend began in each monthly series (seasonally allowed for)."""
    t = _trend_analysis(ctx)
    keep, points, adjusted, months = t["keep"], t["points"], t["adjusted"], t["trend_months"]
    if not keep:
        return ViolenceSection(
            "change_points",
            sentences=["There is no monthly series to analyse."],
            tables=t["tables"],
        )
    text = [
        f"Series cover {narrative.fmt_int(len(months))} months, "
        f"{_month_name(months[0])} to {_month_name(months[-1])}. Seasonal adjustment for the "
        f"charts: {adjusted[keep[0]][1].method}. *Change of trend:* {points[0].method}"
    ]
    for ep in ctx.exceptional:
        if ep.start <= months[-1] and ep.end >= months[0]:
            text.append(
                f"> {ep.name} ({_month_name(ep.start)} to {_month_name(ep.end)}) are treated as "
                "an exceptional period: the model gives those months their own level, so the "
                "return to normal afterwards is not reported as a change of trend."
            )
    if t["filled"]:
        text.append(
            "> Months not in the data, filled by interpolation for this analysis only: "
            f"{narrative.join_names(t['filled'])}."
        )
    saved = []
    for cp in points:
        label = cp.series if cp.series != "All violence" else "Violence against the person"
        s = V.trend_sentence(cp, label)
        saved.append(s)
        text.append(s)
        text += [f"> **Recording-rule caution:** {c}" for c in V.recording_cautions(cp, cp.series)]
    known = dict.fromkeys(
        x for name in keep for x in V.recording_changes_in_range(months[0], ctx.period, name)
    )
    text += [f"> **Recording change inside this series:** {x}" for x in known]
    cpt = V.change_point_table(points)
    alt = (
        "Monthly violence by series with seasonally adjusted line and fitted two-piece trend. "
        + " ".join(V.trend_sentence(p, p.series) for p in points)
    )
    return ViolenceSection(
        "change_points",
        sentences=text,
        saved=saved,
        table=pd.DataFrame(
            {
                "Series": cpt["series"],
                "Change began": [
                    _month_name(m, "%b %Y") if m else "–" for m in cpt["change_month"]
                ],
                "Trend before (a month)": cpt["slope_before"],
                "Trend after (a month)": cpt["slope_after"],
                "Month-to-month carry-over": cpt["autocorrelation"],
                "p-value (adjusted)": cpt["q_value"].map(V.fmt_p),
                "Sustained change?": _yes_no(cpt["significant"]),
            }
        ),
        formats={
            "Trend before (a month)": "float1",
            "Trend after (a month)": "float1",
            "Month-to-month carry-over": "float1",
        },
        caption="When a sustained change of trend began (allowing for the seasonal pattern)",
        note=(
            "Trend: fitted change in offences per month. Month-to-month carry-over: how much of "
            "one month's departure from the trend carries into the next (0 = none, 1 = all), "
            "estimated from each series and allowed for in the test. p-value from 999 simulated "
            "series with the same seasonal pattern and carry-over but no change, adjusted for "
            f"testing {narrative.number_word(len(points))} series together (Benjamini-Hochberg). "
            f"A change is called sustained when the adjusted p-value is below {ctx.alpha:g}."
        ),
        figure=ctx.figure("trend_panels", keep, adjusted),
        alt=alt,
        tables={**t["tables"], "change_points": cpt},
    )


def seasonality(ctx: Context) -> ViolenceSection:
    """The month-of-year pattern of the first series (all violence), when it can be estimated."""
    t = _trend_analysis(ctx)
    if not t["keep"]:
        return ViolenceSection("seasonality")
    name = t["keep"][0]
    profile = t["adjusted"][name][1].profile
    if not profile.notna().all():
        return ViolenceSection(
            "seasonality",
            sentences=["There are too few months to estimate the seasonal pattern."],
        )
    full = [pd.Timestamp(2000, m, 1).strftime("%B") for m in range(1, 13)]
    peak = full[int(profile.to_numpy().argmax())]
    low = full[int(profile.to_numpy().argmin())]
    s = (
        f"The seasonal pattern of {name.lower()} peaks in {peak} and is lowest in {low} "
        f"(about {profile.max():.0f} offences above and {abs(profile.min()):.0f} below the trend)."
    )
    return ViolenceSection(
        "seasonality",
        sentences=[s],
        saved=[s],
        figure=ctx.figure("seasonal_bars", profile, name),
        alt=f"Month-of-year pattern of {name}: highest in {peak}, lowest in {low}.",
    )


def heatmap(ctx: Context) -> ViolenceSection:
    """Town-centre violence in the current period by day of the week and hour."""
    if not ctx.extract_source:
        return ViolenceSection(
            "heatmap",
            sentences=["Not available from police.uk: it has no location type and no time of day."],
        )
    if not ctx.check.can["heatmap"]:
        return ViolenceSection(
            "heatmap",
            sentences=[
                "The extract lacks the location type, date or hour, so the day-and-hour map "
                "cannot be drawn."
            ],
        )
    months = ctx.current.month_list
    grid = V.heatmap_table(ctx.violence, months)
    no_hour = V.heatmap_missing_hours(ctx.violence, months)
    total = int(grid.to_numpy().sum())
    notes = []
    if no_hour:
        notes.append(
            f"{narrative.fmt_int(no_hour)} town-centre offences had no hour and are not in the map."
        )
    tables = {"town_centre_heatmap": V.heatmap_long(grid)}
    if not total:
        return ViolenceSection(
            "heatmap",
            sentences=["No town-centre violence with a recorded hour in the current period."],
            notes=notes,
            tables=tables,
        )
    peak_day, peak_hour = grid.stack().idxmax()
    weekend = int(grid.loc[["Friday", "Saturday", "Sunday"]].to_numpy().sum())
    night = int(grid[[h for h in range(24) if h >= 21 or h < 4]].to_numpy().sum())
    s = (
        f"Of {narrative.fmt_int(total)} town-centre violent offences with a recorded hour, "
        f"{narrative.fmt_pct(weekend / total * 100)} happened on a Friday, Saturday or Sunday and "
        f"{narrative.fmt_pct(night / total * 100)} between 9pm and 4am; the busiest hour was "
        f"{peak_day} from {peak_hour:02d}:00."
    )
    return ViolenceSection(
        "heatmap",
        sentences=[s],
        saved=[s],
        figure=ctx.figure("day_hour_heatmap", grid, ctx.current.short),
        alt=s,
        notes=notes,
        tables=tables,
    )


def unknown_codes(ctx: Context) -> ViolenceSection:
    """Offence codes in the two periods that are not in the Home Office reference table."""
    if not ctx.extract_source:
        return ViolenceSection(
            "unknown_codes", sentences=["police.uk data carry no offence codes."]
        )
    unk = V.unknown_codes(ctx.extract, ctx.cur_m + ctx.prev_m)
    n_off = int(unk["offences"].sum()) if len(unk) else 0
    out = ViolenceSection(
        "unknown_codes",
        tables={"unknown_codes": unk},
        figures={"unknown_code_offences": n_off},
    )
    if unk.empty:
        out.sentences = ["Every offence code in the two periods is in the Home Office list."]
        return out
    n_codes = len(unk)
    out.sentences = [
        f"{narrative.fmt_int(n_off)} offence{'s' if n_off != 1 else ''} in the two periods "
        f"{'carry' if n_off != 1 else 'carries'} {narrative.number_word(n_codes)} offence "
        f"code{'s' if n_codes != 1 else ''} not in the Home Office list."
    ]
    out.table = pd.DataFrame(
        {
            "Code": unk["ho_code"],
            "Force description": unk["offence_description"],
            "Force offence group": unk["offence_group"].replace("", "(none)"),
            "Offences": unk["offences"],
        }
    )
    out.formats = {"Offences": "int"}
    out.caption = "Offence codes not in the Home Office list"
    out.note = "Offences with no force offence group cannot be counted as violence."
    return out


def police_uk(ctx: Context) -> list[ViolenceSection]:
    """police.uk's *violence and sexual offences*: the summary and the monthly table and chart.

    Two sections (each with one table); on extract runs one section saying why it is not used.
    """
    if ctx.extract_source:
        return [
            ViolenceSection(
                "police_uk",
                sentences=[
                    "Not used: this report has the force extract, which gives the full breakdown "
                    "above. police.uk's *violence and sexual offences* would also include sexual "
                    "offences."
                ],
            )
        ]
    street = ctx.data.street
    summary = V.policeuk_summary(street, ctx.cur_m, ctx.prev_m, ctx.alpha)
    said = V.policeuk_sentences(summary, ctx.comparison, ctx.current.name)
    pu_cur = V.policeuk_monthly(street, ctx.current.month_list)
    monthly = V.policeuk_monthly(street, ctx.trend_months)
    first = ViolenceSection(
        "police_uk",
        sentences=said,
        saved=said,
        table=pd.DataFrame(
            {
                "Measure": summary["measure"],
                "Previous": summary["previous"],
                "Current": summary["current"],
                "Change %": summary["pct_change"],
                "Share of all crime (current)": summary["share_current"],
                "Significant?": _yes_no(summary["significant"]),
            }
        ),
        formats={
            "Previous": "int",
            "Current": "int",
            "Change %": "signed_pct",
            "Share of all crime (current)": "pct",
        },
        caption="police.uk violence and sexual offences",
        note="All crime excludes anti-social behaviour incidents. Like-for-like months only. "
        + V.change_test_note([summary], ctx.alpha),
        tables={
            "policeuk_monthly": monthly,
            "policeuk_summary": summary.assign(
                measure_id=["violence_and_sexual_offences", "all_crime"]
            ),
        },
        table_periods={"policeuk_summary": {"source": "police_uk", "columns": ctx.count_columns}},
        figures={
            "policeuk_violence_and_sexual_current": int(summary["current"].iloc[0]),
            "policeuk_share_of_all_crime": float(summary["share_current"].iloc[0]),
        },
    )
    with_data = monthly[monthly["has_data"]]
    first_month = _month_name(with_data["month"].iloc[0]) if len(with_data) else ""
    last_month = _month_name(with_data["month"].iloc[-1]) if len(with_data) else ""
    by_month = ViolenceSection(
        "police_uk_monthly",
        table=pd.DataFrame(
            {
                "Month": [_month_name(m, "%b %Y") for m in pu_cur["month"]],
                "Violence and sexual offences": pu_cur["violence_and_sexual"].where(
                    pu_cur["has_data"]
                ),
                "All crime": pu_cur["all_crime"].where(pu_cur["has_data"]),
                "Share": pu_cur["share"],
            }
        ),
        formats={"Violence and sexual offences": "int", "All crime": "int", "Share": "pct"},
        caption=f"police.uk violence and sexual offences by month, {ctx.current.short}",
        note="– marks a month with no police.uk data (missing, not zero).",
        figure=ctx.figure("policeuk_line", with_data),
        alt=(
            f"Monthly police.uk violence and sexual offences, {first_month} to {last_month}. "
            f"{said[0]}"
        ),
    )
    return [first, by_month]


# --------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------


def _flatten(sections) -> list[ViolenceSection]:
    out = []
    for s in sections:
        out.extend(s if isinstance(s, list | tuple) else [s])
    return out


def commissioner(ctx: Context) -> list[ViolenceSection]:
    """The Commissioner's measures (:func:`helpers.stages.commissioner.commissioner_sections`)
    as stage 03 sections: their keyed numbers and table periods go to the reconciliation check
    with the stage's own; the pack reads their words from the ``commissioner_text`` table."""
    out: list[ViolenceSection] = []
    for s in PCC.commissioner_sections(
        ctx.cfg,
        ctx.data.extract if ctx.source == "extract" else None,
        ctx.period,
        csp_population=ctx.data.csp_population,
        wards=ctx.data.wards,
        alpha=ctx.alpha,
        exceptional=ctx.exceptional,
    ):
        extra = dict(s.figures)
        parts = {f.name: getattr(s, f.name) for f in fields(Section)}
        parts["figures"] = {}
        sec = ViolenceSection(**parts)
        sec.measures = list(extra.get("measures") or [])
        sec.table_periods = dict(extra.get("table_periods") or {})
        out.append(sec)
    return out


def save(ctx: Context, sections) -> ViolenceSection:
    """Save the stage's outputs from ``sections`` (in report order) and return a closing section.

    Clears the stage's old tables first (a police.uk-only run saves fewer tables than an extract
    run), then writes every section's ``tables`` (:func:`merged_tables`), the figures record,
    the saved sentences, headlines, "at a glance" values, keyed measures and table periods.
    """
    flat = _flatten(sections)
    figures: dict[str, Any] = {}
    sentences, headlines, measures = [], [], []
    glance: dict[str, str] = {}
    table_periods: dict[str, dict] = {}
    for s in flat:
        figures.update(s.figures)
        if isinstance(s, ViolenceSection):
            sentences += s.saved
            headlines += s.headlines
            glance.update(s.glance)
            measures += s.measures
            table_periods.update(s.table_periods)
    V.clear_stage_tables(ctx.area, ctx.period, STAGE)
    processed.save_stage_outputs(
        ctx.area,
        ctx.period,
        STAGE,
        tables=merged_tables(flat),
        figures=figures,
        sentences=sentences,
        headlines=headlines,
        glance=glance,
        measures=measures,
        table_periods=table_periods,
    )
    return ViolenceSection(
        "saved",
        sentences=[
            "The key tables and figures of this report are kept with it for the panel paper."
        ],
    )
