"""Stage 02's report, section by section: what the notebook shows and what the stage saves.

:func:`prepare` reads the run's config and processed data once and returns a
:class:`VarianceRun`; each ``*_section`` function computes one section of the report from it
and returns a :class:`helpers.core.sections.Section` (sentences, table with formats, figure with
alt text, notes, the tables and numbers to save). The group comparison and funnel plot are in
:mod:`helpers.stages.msg_report`. :func:`save` writes the stage's outputs from the sections.

Section keys (the saved record and the tests find a section's parts by them): ``context``,
``sources``, ``variance``, ``volumes``, ``headline``, ``baseline``, ``outcomes``, ``msg``,
``funnel``, ``run``.

The numbers come from :mod:`helpers.stages.variance` (tables, tests, sentences),
:mod:`helpers.stages.comparisons` (every headline against last year and the baseline),
:mod:`helpers.stages.msg` (the Most Similar Group) and :mod:`helpers.stages.measures` (one
name and one key per measure).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from helpers.core import narrative
from helpers.core.config import AreaConfig, run_config
from helpers.core.periods import ReportingPeriod
from helpers.core.sections import Section, merged_figures, merged_tables
from helpers.ingest import processed
from helpers.stages import comparisons as CMP
from helpers.stages import localities as LOC
from helpers.stages import measures as MS
from helpers.stages import msg as M
from helpers.stages import variance as V

__all__ = [
    "STAGE",
    "VarianceRun",
    "baseline_section",
    "context_section",
    "headline_section",
    "outcomes_section",
    "prepare",
    "run_section",
    "save",
    "saved_record",
    "sources_section",
    "variance_section",
    "volumes_section",
]

STAGE = "02_crime_group_variance"


@dataclass
class VarianceRun:
    """What every section of stage 02 shares: the run's settings, config and data.

    The computed results (``result``, ``series``, ``base_change``, ``rates``, ``msg``) are
    worked out once, when a section first needs them.
    """

    area: str
    period: str
    cfg: AreaConfig
    data: processed.ProcessedData
    current: ReportingPeriod
    previous: ReportingPeriod
    baseline: ReportingPeriod
    records: V.CrimeRecords
    source_key: str  # the measures registry's name for the source: force_extract | police_uk
    exceptional: list
    limits: M.LimitSettings
    alpha: float
    test_method: str
    p_adjust: str
    min_count: int
    funnel_crime_type: str

    @cached_property
    def result(self) -> V.VarianceResult:
        """The crime-group table, each row named and keyed by the measures registry."""
        r = V.variance_table(
            self.records,
            self.current,
            self.previous,
            street=self.data.street,
            alpha=self.alpha,
            method=self.test_method,
            min_count=self.min_count,
            p_adjust=self.p_adjust,
        )
        r.table = MS.label_table(r.table, self.source_key)
        if self.asb_own_months(r):
            # its months differ from the crime rows': keyed on its own (variance_section)
            r.table.loc[r.table["level"] == "asb", "measure_id"] = ""
        return r

    @staticmethod
    def asb_own_months(r: V.VarianceResult) -> bool:
        """True when police.uk's ASB row is compared over other months than the crime rows."""
        return r.asb_coverage is not None and (
            r.asb_coverage.like_for_like_offsets != r.coverage.like_for_like_offsets
        )

    @cached_property
    def series(self) -> V.ThreeSeries:
        return V.three_series(self.records, self.current, self.baseline, self.previous)

    @cached_property
    def series_table(self) -> pd.DataFrame:
        return MS.label_table(self.series.table, self.source_key)

    @property
    def series_columns(self) -> list[str]:
        """The three-series columns shown: the baseline only when the data reach it."""
        return (["baseline"] if self.series.baseline_available else []) + ["previous", "current"]

    @property
    def series_months(self) -> dict[str, list[str]]:
        """The calendar months each three-series column counts (matched month by month)."""
        s = self.series
        return {
            "baseline": list(s.baseline_months),
            "previous": list(s.previous_months),
            "current": list(s.current_months),
        }

    @cached_property
    def base_change(self) -> pd.DataFrame:
        bc = V.baseline_change(
            self.series,
            alpha=self.alpha,
            method=self.test_method,
            min_count=self.min_count,
            p_adjust=self.p_adjust,
        )
        return bc if bc.empty else MS.label_table(bc, self.source_key, level_col=None)

    @cached_property
    def rates(self) -> pd.DataFrame:
        r = self.result
        return V.positive_outcome_rates(
            self.data.street,
            self.data.outcomes,
            {self.current.name: r.current_months, self.previous.name: r.previous_months},
        )

    @property
    def msg_end(self) -> str:
        """The last month of the group comparison: the Home Office tables are quarterly."""
        p = pd.Period(self.period, freq="M")
        return self.period if p.month in (3, 6, 9, 12) else str(p - (p.month % 3))

    @cached_property
    def msg(self) -> M.MsgResult | None:
        """The Most Similar Group comparison, or None when its inputs are not available."""
        d = self.data
        if d.csp_counts is None or d.csp_population is None or d.msg is None:
            return None
        return M.msg_comparison(
            d.csp_counts,
            d.csp_population,
            d.msg,
            self.cfg.csp_name,
            self.msg_end,
            self.limits,
            alpha=self.alpha,
        )

    @property
    def from_extract(self) -> bool:
        return self.records.source == V.SOURCE_EXTRACT

    def own_count(self, measure_id: str, months: list[str]) -> int:
        """The stage's own source's count of ``measure_id`` over ``months``."""
        if self.from_extract:
            mask = MS.extract_mask(self.data.extract, measure_id)
            return int((mask & self.data.extract["month"].isin(months)).sum())
        return self.street_count(measure_id, months)

    def street_count(self, measure_id: str, months: list[str]) -> int:
        """police.uk's count of ``measure_id`` over ``months``."""
        street = self.data.street
        return int((MS.street_mask(street, measure_id) & street["month"].isin(months)).sum())


def prepare(
    *,
    area: str,
    period: str,
    config: str,
    comparison_months: int,
    baseline: str,
    source: str,
    alpha: float,
    test_method: str,
    p_adjust: str,
    min_count: int,
    limit_method: str,
    funnel_inner: float,
    funnel_outer: float,
    limit_k: float,
    limit_k_outer: float,
    msg_average: str,
    overdispersion_model: str,
    funnel_crime_type: str,
) -> VarianceRun:
    """Read the config and processed data for one run of stage 02.

    Every argument is one of the notebook's parameters, with no default here: the parameters
    cell is the one place defaults, types and ranges are declared (and checked, by
    ``helpers.run.parameters.validate_parameters``, before this is called). Raises the
    package's clear errors for a missing config, processed data, baseline or source.
    """
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
    base_period = V.resolve_baseline(baseline, cfg.baselines)
    records = V.choose_records(data.extract, data.street, source)
    return VarianceRun(
        area=area,
        period=period,
        cfg=cfg,
        data=data,
        current=current,
        previous=current.previous(),
        baseline=base_period,
        records=records,
        source_key="force_extract" if records.source == V.SOURCE_EXTRACT else "police_uk",
        exceptional=CMP.exceptional_periods(cfg.analysis, str(cfg.path or area)),
        limits=limits,
        alpha=float(alpha),
        test_method=test_method,
        p_adjust=p_adjust,
        min_count=min_count,
        funnel_crime_type=funnel_crime_type,
    )


# --------------------------------------------------------------------------- sections


def context_section(run: VarianceRun) -> Section:
    """The area and the two periods compared; a warning when the data are the synthetic sample."""
    cfg = run.cfg
    pre = [
        f"{narrative.area_title(cfg.name, cfg.area_kind)}: reporting period "
        f"**{run.current.name}**, compared with **{run.previous.name}**."
    ]
    if cfg.synthetic or run.data.synthetic:
        pre.append(
            "> **Synthetic data.** This report is made from the embedded synthetic sample, not "
            "real crime records. Its figures illustrate the method only."
        )
    figures = {
        "source": run.records.source,
        "current_period": run.current.name,
        "previous_period": run.previous.name,
        "alpha": run.alpha,
        "test": run.test_method,
        "limit_method": run.limits.method,
        "msg_average": run.limits.average,
    }
    return Section("context", preamble=pre, figures=figures)


def sources_section(run: VarianceRun) -> Section:
    """Which source the counts come from, and whether both periods are complete."""
    r = run.result
    if run.from_extract:
        pre = [
            "Crime counts come from the **force's offence extract**: one row per recorded "
            "offence, with its Home Office offence group and subgroup. Anti-social behaviour "
            "(ASB) incidents come from **police.uk**, because they are incidents, not crimes, "
            "and are not in the extract."
        ]
    else:
        extract = run.data.extract
        why = (
            "The analyst chose police.uk as the source"
            if extract is not None and len(extract)
            else "There is no force extract for this area"
        )
        pre = [
            f"{why}, so crime counts come from **police.uk** street-level data. police.uk uses "
            "14 broad crime types: it cannot split violence against the person from sexual "
            "offences, nor residential from business burglary, and it excludes fraud."
        ]
    if r.coverage.complete:
        pre.append(
            f"Both periods are complete: all {run.current.months} months of {run.current.name} "
            f"and of {run.previous.name} are in the data."
        )
    else:
        pre.append(f"> **Missing months.** {r.coverage.message()}")
    pre += [f"> {note}" for note in r.notes[0 if r.coverage.complete else 1 :]]
    figures = {
        "like_for_like": r.like_for_like,
        "months_compared": len(r.current_months),
        "current_missing": r.coverage.current_missing,
        "previous_missing": r.coverage.previous_missing,
    }
    return Section("sources", preamble=pre, figures=figures)


def _verdict(direction: str) -> str:
    return {"increase": "Significant increase", "decrease": "Significant decrease"}.get(
        direction, "No significant change"
    )


def variance_section(run: VarianceRun) -> Section:
    """The crime-group table: each row's change and whether it is real, in words and numbers."""
    r, t = run.result, run.result.table
    cur, prev = run.current, run.previous
    prev_col = prev.short if prev.short != cur.short else "Previous"
    view = pd.DataFrame(
        {
            "Crime": [
                f"\u2003{lab}" if lv == "subgroup" else lab
                for lab, lv in zip(t["label"], t["level"], strict=True)
            ],
            prev_col: t["previous"],
            cur.short: t["current"],
            "Change": t["change"],
            "% change": t["pct_change"],
            "Is the change real?": [_verdict(d) for d in t["direction"]],
            "Notes": [
                " ".join(
                    x for x in (c, "Recording rules changed in this window." if b else "") if x
                )
                for c, b in zip(t["caveat"], t["series_break"], strict=True)
            ],
        }
    )
    note = (
        f"Method: each change is tested with the {r.test_name} (two-sided, significance "
        f"level {run.alpha:g}), with the {r.adjustment_name}. "
        + r.dispersion_note()
        + " 'No significant change' means the difference is within what year-to-year "
        f"variation would produce. A % change is not shown when either year has fewer than "
        f"{run.min_count} crimes. Indented rows are subgroups of the row above. Serious "
        "acquisitive crime and neighbourhood crime are composites that overlap the groups; ASB "
        "is counted separately and is not part of all crime."
    )
    composites = [
        MS.definition_note(i)
        for i, lv in zip(t["measure_id"], t["level"], strict=True)
        if i and lv == "composite"
    ]
    notes = ["What the composite rows include. " + " ".join(composites)]
    breaks = t[t["series_break"] != ""]
    if len(breaks):
        notes.append(
            "Recording-rule changes inside this comparison. For these rows part of the change "
            "may come from how crimes are counted rather than how many happened:"
        )
        notes += [
            f"{lab}: {text}"
            for lab, text in zip(breaks["label"], breaks["series_break"], strict=True)
        ]
    else:
        notes.append(
            "No documented recording-rule change falls inside this comparison window (see the "
            "method notes for the table of changes checked)."
        )
    allc = t[t["level"] == "total"].iloc[0]
    spread = r.dispersion_range()
    figures = {
        "all_crime_previous": int(allc["previous"]),
        "all_crime_current": int(allc["current"]),
        "all_crime_change": int(allc["change"]),
        # blank under the small-number rule, as in the table
        "all_crime_pct_change": None if pd.isna(allc["pct_change"]) else float(allc["pct_change"]),
        "all_crime_significant": bool(allc["significant"]),
        "significant_increases": t.loc[t["direction"] == "increase", "label"].tolist(),
        "significant_decreases": t.loc[t["direction"] == "decrease", "label"].tolist(),
        "rows_tested": int(t["p_value"].notna().sum()),
        "rows_significant": int(t["significant"].sum()),
        "p_adjust": run.p_adjust,
        "dispersion_range": None if spread is None else [round(x, 2) for x in spread],
    }
    # A missing month makes the comparison like-for-like: the label says the count covers
    # fewer months.
    n = len(r.current_months)
    partial = f" ({n} months with data in both years)" if n < cur.months else ""
    change_label = (
        "Change on the same months a year earlier"
        if partial
        else "Change on the previous 12 months"
    )
    pct = figures["all_crime_pct_change"]
    glance = {
        f"All crime, {cur.short}{partial}": narrative.fmt_int(figures["all_crime_current"]),
        change_label: "n/a" if pct is None else narrative.fmt_pct(pct, signed=True),
    }
    measures = []
    if run.asb_own_months(r):
        asb = t[t["level"] == "asb"]
        for col, p in (("previous", prev), ("current", cur)):
            months = [p.month_list[i] for i in r.asb_coverage.like_for_like_offsets]
            measures += [
                MS.record("asb", run.area, months, n, "crime-group table", source="police_uk")
                for n in asb[col]
            ]
    measures.append(
        MS.record(
            "all_crime",
            run.area,
            r.current_months,
            figures["all_crime_current"],
            "at a glance",
            source=run.source_key,
        )
    )
    sentences = V.variance_sentences(r)
    return Section(
        "variance",
        sentences=sentences,
        table=view,
        formats={
            prev_col: "int",
            cur.short: "int",
            "Change": "signed_int",
            "% change": "signed_pct",
            "Is the change real?": "text",
            "Notes": "text",
        },
        caption=f"Recorded crime by group: {prev.name} and {cur.name}"
        + (" (like-for-like months)" if r.like_for_like else ""),
        note=note,
        notes=notes,
        # the front page's fallback when no headline reaches the baseline: all crime and the
        # largest group (variance_sentences' first two)
        headlines=sentences[:2],
        glance=glance,
        measures=measures,
        tables={"variance": t},
        table_periods={
            "variance": {
                "source": run.source_key,
                "columns": {
                    "previous": MS.period_key(r.previous_months),
                    "current": MS.period_key(r.current_months),
                },
            }
        },
        figures=figures,
    )


def volumes_section(
    run: VarianceRun, chart: Callable[[pd.DataFrame, list[str], dict[str, str]], Any]
) -> Section:
    """This year, last year and the baseline per crime group, as a bar chart.

    ``chart(groups, columns, names)`` draws it (:func:`helpers.present.variance_figures.volume_bars`).
    """
    series, cur = run.series, run.current
    groups = series.table[series.table["level"] == "group"].sort_values("current")
    groups = groups[groups[["previous", "current"]].sum(axis=1) > 0]
    cols = run.series_columns
    names = {
        "baseline": f"Baseline: {run.baseline.name}",
        "previous": run.previous.name,
        "current": cur.name,
    }
    top = groups.iloc[-1]
    alt = (
        f"Horizontal grouped bar chart of recorded crime by crime group for "
        f"{narrative.join_names([names[c] for c in cols])}. The largest group is "
        f"{top['label']} with {narrative.fmt_int(top['current'])} crimes in {cur.name}."
    )
    notes = list(series.notes) + [
        f"Method: counts over the {len(series.offsets)} calendar months present in every period "
        f"shown. Baseline: {run.baseline.label}, {run.baseline.name}."
    ]
    table = run.series_table
    months = run.series_months
    periods = {}
    if series.offsets:  # the baseline column is blank when the data do not reach it
        periods["three_series"] = {
            "source": run.source_key,
            "columns": {c: MS.period_key(months[c]) for c in cols},
        }
    figures, glance = {}, {}
    allc = table[table["measure_id"] == "all_crime"]
    if series.baseline_available and len(allc) and int(allc["baseline"].iloc[0]) > 0:
        b, c = int(allc["baseline"].iloc[0]), int(allc["current"].iloc[0])
        figures["all_crime_baseline"] = b
        figures["all_crime_pct_change_from_baseline"] = (c - b) / b * 100
        label = f"Change on the baseline, {run.baseline.label or run.baseline.name}"
        glance[label] = narrative.fmt_pct(
            figures["all_crime_pct_change_from_baseline"], signed=True
        )
    return Section(
        "volumes",
        figure=lambda: chart(groups, cols, names),
        alt=alt,
        notes=notes,
        tables={"three_series": table},
        table_periods=periods,
        figures=figures,
        glance=glance,
    )


def headline_section(run: VarianceRun) -> Section:
    """Every headline (all crime, serious acquisitive, neighbourhood crime, ASB) against last
    year and the baseline over the same calendar months, naming an exceptional period (the area
    config's) when a compared year falls in it."""
    series, r = run.series, run.result
    if not series.offsets:
        return Section("headline")
    months = run.series_months
    base_name = run.baseline.label or run.baseline.name
    same_months = months["current"] == r.current_months
    sentences: list[str] = []
    measures: list[dict] = []

    def add(mid, counts, source, **kw):
        base = (months["baseline"], counts["baseline"], base_name) if "baseline" in counts else None
        cur_c = (months["current"], counts["current"])
        prev_c = (months["previous"], counts["previous"])
        sentences.append(CMP.headline_sentence(mid, cur_c, prev_c, base, run.exceptional, **kw))
        measures.extend(
            CMP.headline_records(mid, run.area, cur_c, prev_c, base, "headline sentence", source)
        )

    ts = run.series_table.set_index("measure_id")
    cols = run.series_columns
    for mid in (
        "all_crime",
        MS.id_for(V.SAC, "composite", run.source_key),
        MS.id_for(V.NEIGHBOURHOOD, "composite", run.source_key),
    ):
        if mid not in ts.index:
            continue
        row = ts.loc[mid]
        sig = ""
        vr = r.table[r.table["measure_id"] == mid]
        if same_months and len(vr):
            sig = (
                "a statistically significant change"
                if bool(vr["significant"].iloc[0])
                else "within the range expected from year-to-year chance"
            )
        add(
            mid,
            {c: int(row[c]) for c in cols},
            run.source_key,
            significance=sig,
            mention_current=not sentences,
        )
    street = run.data.street
    if street is not None and len(street):
        held = set(street["month"].astype(str))
        if all(set(months[c]) <= held for c in cols):
            counts = {c: run.street_count("asb", months[c]) for c in cols}
            add("asb", counts, "police_uk", noun="incidents", mention_current=False)
    return Section("headline", sentences=sentences, headlines=sentences[:2], measures=measures)


def baseline_section(run: VarianceRun) -> Section:
    """Serious acquisitive crime and neighbourhood crime against the baseline, tested."""
    bc, r, cur = run.base_change, run.result, run.current
    if bc.empty:
        return Section(
            "baseline",
            preamble=[
                f"The data do not reach back to the baseline ({run.baseline.name}), so no "
                "comparison with it can be made."
            ],
        )
    view = pd.DataFrame(
        {
            "Measure": bc["label"],
            f"Baseline ({run.baseline.name})": bc["baseline"],
            cur.name: bc["current"],
            "Change": bc["change"],
            "% change from the baseline": bc["pct_change"],
            "Is the change real?": np.where(bc["significant"], "Significant", "Not significant"),
        }
    )
    note = (
        " ".join(MS.definition_note(i) for i in bc["measure_id"] if i)
        + f" Test as in the table above ({r.test_name}, over the same calendar months of each "
        "year, with the "
        + r.adjustment_name.replace(" across the table", " across these rows")
        + ")."
    )
    months = run.series_months
    return Section(
        "baseline",
        sentences=V.baseline_sentences(bc, run.series, cur),
        table=view,
        formats={
            "Change": "signed_int",
            "% change from the baseline": "signed_pct",
            "Is the change real?": "text",
        },
        caption="Serious acquisitive crime and neighbourhood crime against the baseline",
        note=note,
        figures={
            f"baseline_pct_change__{lab}": None if pd.isna(p) else float(p)
            for lab, p in zip(bc["label"], bc["pct_change"], strict=True)
        },
        tables={"baseline_change": bc},
        table_periods={
            "baseline_change": {
                "source": run.source_key,
                "columns": {
                    "baseline": MS.period_key(months["baseline"]),
                    "current": MS.period_key(months["current"]),
                },
            }
        },
    )


def outcomes_section(run: VarianceRun) -> Section:
    """The share of police.uk crimes with a positive outcome, this period and last."""
    rates, r = run.rates, run.result
    if rates.empty:
        return Section(
            "outcomes",
            preamble=[
                "No police.uk outcomes data are available, so positive outcome rates cannot be "
                "shown."
            ],
        )
    # police.uk's own crime count is the denominator here; where it differs from the count of
    # all crime shown above (another source), say by how much rather than print a second total
    diffs = []
    if run.from_extract:
        total = r.table[r.table["level"] == "total"]
        for name, months, col in (
            (run.current.name, r.current_months, "current"),
            (run.previous.name, r.previous_months, "previous"),
        ):
            pu, shown = run.street_count("all_crime", months), int(total[col].iloc[0])
            if pu != shown:
                diffs.append(
                    MS.source_difference(
                        "all_crime", ("force_extract", shown), ("police_uk", pu), name
                    )
                )
    note = (
        "A crime counts as positively resolved when police.uk reports an outcome of charge or "
        "summons, caution, community resolution, penalty notice, cannabis or khat warning, or "
        "an offence taken into consideration. Caveat: recent crimes have had less time to reach "
        "an outcome, so the current period's rate will rise as outcomes are added."
        + (" Months compared like-for-like." if r.like_for_like else "")
        + (
            " The rate is worked out on police.uk's own crimes, so its count can differ from "
            "all crime above: " + " ".join(diffs)
            if diffs
            else ""
        )
    )
    sentences = V.outcome_sentences(rates)
    current_rate = float(rates["rate"].iloc[0])
    return Section(
        "outcomes",
        sentences=sentences,
        table=pd.DataFrame(
            {
                "Period": rates["period"],
                "Crimes on police.uk with a crime reference": rates["crimes"],
                "With a positive outcome": rates["positive"],
                "Positive outcome rate": rates["rate"],
            }
        ),
        formats={"Positive outcome rate": "pct"},
        caption="Positive outcome rate (police.uk)",
        note=note,
        headlines=sentences,
        glance={"Positive outcome rate": narrative.fmt_pct(current_rate)},
        source_notes=diffs,
        tables={"outcomes": rates},
        figures={
            "positive_outcome_rate_current": current_rate,
            "positive_outcome_rate_previous": float(rates["rate"].iloc[1]),
        },
    )


def locality_sections(run: VarianceRun, chart: Callable[..., Any] | None = None) -> list[Section]:
    """The localities named in the area config, each with the area's own figures
    (:func:`helpers.stages.localities.locality_sections`, on this run's source and test)."""
    return LOC.locality_sections(
        run.cfg,
        run.data,
        run.current,
        run.previous,
        run.baseline,
        source="extract" if run.records.source == V.SOURCE_EXTRACT else "police_uk",
        alpha=run.alpha,
        method=run.test_method,
        min_count=run.min_count,
        p_adjust=run.p_adjust,
        chart=chart,
    )


def run_section(run: VarianceRun) -> Section:
    """The settings this run used, in words (under the method notes)."""
    counts = "the force extract" if run.from_extract else "police.uk"
    return Section(
        "run",
        notes=[
            f"This run used: limits — {run.limits.describe()}; test — {run.result.test_name}, "
            f"significance level {run.alpha:g}; counts from {counts}."
        ],
    )


# --------------------------------------------------------------------------- saving

#: The front page's headlines, in this order: the headline section's (every headline against
#: last year and the baseline; the crime-group table's when the data do not reach them), then
#: the group comparison's and the outcomes'; then any other section's, in report order.
_LEAD, _FALLBACK, _THEN = "headline", "variance", ("msg", "outcomes")


def _headlines(sections: list[Section]) -> list[str]:
    by = {s.key: s for s in sections}
    out = list((by[_LEAD].headlines if _LEAD in by else []) or [])
    if not out and _FALLBACK in by:
        out = list(by[_FALLBACK].headlines)
    for key in _THEN:
        out += by[key].headlines if key in by else []
    placed = {_LEAD, _FALLBACK, *_THEN}
    return out + [h for s in sections if s.key not in placed for h in s.headlines]


def _is_locality(section: Section) -> bool:
    return section.key == "localities" or section.key.startswith("locality:")


def saved_record(sections: Iterable[Section]) -> dict[str, Any]:
    """The keyword arguments of :func:`helpers.ingest.processed.save_stage_outputs` for these
    sections: their tables, figures, sentences (the findings, in report order), headlines,
    at-a-glance values, keyed measures, table periods and source notes."""
    sections = list(sections)
    glance: dict[str, str] = {}
    for s in sections:
        glance.update(s.glance)
    table_periods: dict[str, dict] = {}
    for s in sections:
        table_periods.update(s.table_periods)
    return {
        "tables": merged_tables(sections),
        "figures": merged_figures(sections),
        # the localities' words are saved in their key-figures table (the pack's Localities
        # section prints them there), not among the findings the pack picks from
        "sentences": [x for s in sections if not _is_locality(s) for x in s.sentences],
        "headlines": _headlines(sections),
        "glance": glance,
        "measures": [m for s in sections for m in s.measures],
        "table_periods": table_periods,
        "source_notes": [x for s in sections for x in s.source_notes],
    }


def save(run: VarianceRun, sections: Iterable[Section]) -> None:
    """Write the stage's tables and figures record from ``sections`` (see :func:`saved_record`)
    under ``reports/<area>/<period>/``. Returns nothing, so the notebook's last cell prints no
    file path into the report."""
    processed.save_stage_outputs(run.area, run.period, STAGE, **saved_record(sections))
