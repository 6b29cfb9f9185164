"""The Police and Crime Commissioner's measures (seed 003), as report sections.

A Commissioner's performance report (seed 003, Northamptonshire) gives, for the force area:
all crime as offences and victims ("61,888 (52,448)"), knife crime, rape and other sexual
offences, neighbourhood crime, each against the year before; the national Crime and Policing
Measures against the 12 months to June 2019 (offences involving a sharp object or a firearm,
neighbourhood crime, homicide); homicides per million residents beside the national rate; and
victim satisfaction from the force's survey. :func:`commissioner_sections` computes them from
the processed force extract and the optional survey and returns
:class:`helpers.core.sections.Section` objects:

``measures``
    one table: each measure this year, last year, the change with its significance, the
    baseline year (``commissioner.baseline``, default the 12 months to June 2019) and the
    change on it. Offences and distinct victims of all crime sit on adjacent rows.
``homicide``
    homicides per million residents, with the population's source and year, beside the national
    rate (``commissioner.national_homicide``, a reference figure the analyst copies from the ONS;
    it is not computed here because the Home Office police force area table the pack reads has no
    homicide rows in its sample form and the ONS homicide index counts homicides by the year they
    were recorded as homicide, not the year of the offence).
``satisfaction``
    the share of surveyed victims satisfied, by question, with its 95% interval, beside the
    same question a year earlier.

Methods (the same as the rest of the pack)
    Counts come from the force's offence extract through the measures registry
    (:func:`helpers.stages.measures.extract_mask`). The year-on-year change is tested with the
    quasi-Poisson test (the dispersion estimated from each row's own monthly counts a year apart,
    :func:`helpers.core.statistics.pair_dispersion`), Benjamini–Hochberg across the table's rows;
    the change on the baseline with the exact conditional test of the two yearly counts, as the
    crime overview does. Periods are compared like-for-like: a calendar month counts only when
    the current and the previous year both hold it. Under the small-number rule
    (:data:`helpers.core.statistics.SMALL_COUNT`) no percentage and no test are printed.
    Distinct victims are not tested (a victim is counted once a year, so monthly counts of
    victims do not add up to the yearly figure and the monthly test does not apply).

Missing inputs
    A measure whose input is absent (no force extract, no knife or firearm flag mapped, no victim
    reference, no survey, no national homicide rate) is not estimated: its section says plainly
    what is missing, in words for the panel, and how to supply it, in words for the analyst.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from helpers.core import narrative as N
from helpers.core import statistics as S
from helpers.core.config import COMMISSIONER_MEASURES, AreaConfig
from helpers.core.periods import ReportingPeriod, parse_month
from helpers.core.sections import Section
from helpers.stages import comparisons as CMP
from helpers.stages import measures as M

DEFAULT_BASELINE = "2019-06"
TITLE = "The Commissioner's measures"
#: Rows of the measures table, in print order (offences and victims of all crime together).
TABLE_ROWS = (
    ("all_crime", "count"),
    ("all_crime", "distinct_victims"),
    ("knife_crime", "count"),
    ("firearm_crime", "count"),
    ("sexual_offences", "count"),
    ("neighbourhood", "count"),
    ("vap.homicide", "count"),
)
#: The extract column each measure needs beyond the offence codes, with plain words for print
#: and the config key an analyst sets.
NEEDS = {
    ("knife_crime", "count"): (
        "knife_crime",
        "flag for offences involving a knife or sharp instrument",
        "sources.force_extract.columns.knife_crime",
    ),
    ("firearm_crime", "count"): (
        "firearm",
        "flag for offences involving a firearm",
        "sources.force_extract.columns.firearm",
    ),
    ("all_crime", "distinct_victims"): (
        "victim_id",
        "victim reference for its offences",
        "sources.force_extract.columns.victim_id",
    ),
}
VICTIMS_LABEL = "All crime: different victims"
SURVEY_NAME = "the force's victim satisfaction survey"


def _label(measure_id: str, statistic: str) -> str:
    return VICTIMS_LABEL if statistic == "distinct_victims" else M.name(measure_id)


def wanted(cfg: AreaConfig) -> list[str]:
    """The measures the area config asks for (``commissioner.measures``; default all)."""
    chosen = (cfg.commissioner or {}).get("measures") or list(COMMISSIONER_MEASURES)
    return [m for m in COMMISSIONER_MEASURES if m in chosen]


def baseline_period(cfg: AreaConfig) -> ReportingPeriod:
    end = (cfg.commissioner or {}).get("baseline") or DEFAULT_BASELINE
    return ReportingPeriod(str(parse_month(end, "commissioner.baseline")), 12)


def _has(extract: pd.DataFrame, col: str) -> bool:
    return col in extract.columns and bool(extract[col].notna().any())


def missing_text(key: tuple[str, str]) -> tuple[str, str]:
    """(for the panel, for the analyst) when a measure's extract column is absent."""
    col, words, config_key = NEEDS[key]
    name = _label(*key)
    return (
        f"{name} cannot be shown: the force's offence extract used for this report has no "
        f"{words}. The force can add one to its extract.",
        f"{name}: the force extract has no {col} column. To show this measure, map the "
        f"export's column in the area config under {config_key}.",
    )


def _windows(extract: pd.DataFrame, period: str, base: ReportingPeriod):
    """Like-for-like (current, previous, baseline or None) month lists and a note."""
    current = ReportingPeriod(period, 12)
    previous = current.previous()
    have = set(extract["month"].dropna().astype(str))
    offsets = [
        i for i in range(12) if current.month_list[i] in have and previous.month_list[i] in have
    ]
    cur = [current.month_list[i] for i in offsets]
    prev = [previous.month_list[i] for i in offsets]
    base_m = [base.month_list[i] for i in offsets]
    base_ok = bool(offsets) and all(m in have for m in base_m)
    note = ""
    if offsets and len(offsets) < 12:
        note = (
            f"The force extract does not hold all 12 months of both years, so every count "
            f"covers the same {N.number_word(len(offsets))} calendar months of each year."
        )
    return cur, prev, (base_m if base_ok else None), note


def _monthly(rows: pd.Series, months: list[str]) -> np.ndarray:
    counts = rows.value_counts()
    return np.array([int(counts.get(m, 0)) for m in months], dtype=float)


def _sig_words(significant: bool, small: bool, current: int, previous: int) -> str:
    if small:
        return "Too few to test"
    if not significant:
        return "No significant change"
    return "Significant rise" if current > previous else "Significant fall"


def measures_table(
    extract: pd.DataFrame,
    cur: list[str],
    prev: list[str],
    base: list[str] | None,
    rows: list[tuple[str, str]],
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The measures table (one row per (measure, statistic) in ``rows``).

    Columns: ``measure_id``, ``statistic`` (count | distinct_victims), ``measure`` (printed
    name), ``previous``, ``current``, ``change``, ``pct_change`` (blank under the small-number
    rule), ``small_numbers``, ``p_value`` (quasi-Poisson, Benjamini–Hochberg across the tested
    rows), ``significant``, ``significance`` (words), ``baseline``, ``baseline_change``,
    ``baseline_pct_change``, ``baseline_p_value`` (exact test), ``baseline_significance``.
    """
    month = extract["month"].astype(str)
    out = []
    monthly_c, monthly_p, tested_rows = [], [], []
    for mid, stat in rows:
        mask = M.extract_mask(extract, mid)

        def count(months, mask=mask, stat=stat):
            sel = mask & month.isin(months)
            if stat == "distinct_victims":
                return int(extract.loc[sel, "victim_id"].dropna().nunique())
            return int(sel.sum())

        c, p = count(cur), count(prev)
        b = count(base) if base is not None else None
        small = S.is_small(c, p)
        rec = {
            "measure_id": mid,
            "statistic": stat,
            "measure": _label(mid, stat),
            "previous": p,
            "current": c,
            "change": c - p,
            "pct_change": S.shown_pct_change(c, p),
            "small_numbers": small,
            "p_value": float("nan"),
            "significant": False,
            "significance": "Not tested"
            if stat == "distinct_victims"
            else _sig_words(False, small, c, p),
            "baseline": b,
            "baseline_change": None if b is None else c - b,
            "baseline_pct_change": float("nan") if b is None else S.shown_pct_change(c, b),
            "baseline_p_value": float("nan"),
            "baseline_significance": "No baseline in the data" if b is None else "",
        }
        if b is not None:
            if stat == "distinct_victims":
                rec["baseline_significance"] = "Not tested"
            elif S.is_small(c, b):
                rec["baseline_significance"] = "Too few to test"
            else:
                res = S.compare_counts(c, b, alpha=alpha, method="exact")
                rec["baseline_p_value"] = res.p_value
                rec["baseline_significance"] = _sig_words(res.significant, False, c, b)
        if stat == "count" and not small:
            tested_rows.append(len(out))
            sel = mask & month.isin(cur)
            monthly_c.append(_monthly(month[sel], cur))
            sel = mask & month.isin(prev)
            monthly_p.append(_monthly(month[sel], prev))
        out.append(rec)
    table = pd.DataFrame(out)
    if tested_rows:
        work = table.loc[tested_rows, ["current", "previous"]].copy()
        phi, dof = S.pair_dispersion(np.vstack(monthly_c), np.vstack(monthly_p))
        work["phi"], work["dof"] = phi, dof
        res = S.compare_count_columns(
            work,
            alpha=alpha,
            method="quasi_poisson",
            p_adjust="fdr_bh",
            dispersion="phi",
            dispersion_df="dof",
        )
        for i, (pv, sig) in zip(
            tested_rows, zip(res["p_value"], res["significant"], strict=True), strict=True
        ):
            table.at[i, "p_value"] = float(pv)
            table.at[i, "significant"] = bool(sig)
            table.at[i, "significance"] = _sig_words(
                bool(sig), False, int(table.at[i, "current"]), int(table.at[i, "previous"])
            )
    table["significant"] = table["significant"].astype(bool)
    table["baseline"] = table["baseline"].astype("Int64")
    table["baseline_change"] = table["baseline_change"].astype("Int64")
    return table


def _span(months: list[str]) -> str:
    a = pd.Period(months[0], freq="M").strftime("%B %Y")
    b = pd.Period(months[-1], freq="M").strftime("%B %Y")
    return f"{a} to {b}"


def _measures_section(
    cfg, extract, period, alpha, chosen, base_period, exceptional
) -> tuple[Section, dict]:
    cur, prev, base, note = _windows(extract, period, base_period)
    rows, missing = [], []
    for key in TABLE_ROWS:
        if key[0] not in chosen:
            continue
        need = NEEDS.get(key)
        if need and not _has(extract, need[0]):
            missing.append((key, *missing_text(key)))
            continue
        rows.append(key)
    base_name = f"the 12 months to {pd.Period(base_period.end, freq='M').strftime('%B %Y')}"
    sec = Section(key="measures", caption=f"{TITLE}: this year, last year and {base_name}")
    info = {"cur": cur, "prev": prev, "base": base}
    if not cur:
        sec.sentences.append(
            "The Commissioner's measures cannot be compared: no month of the reporting year has "
            "its same month a year earlier in the force's offence extract."
        )
        return sec, info
    table = measures_table(extract, cur, prev, base, rows, alpha) if rows else pd.DataFrame()
    info["table"] = table
    records = []
    if not table.empty:
        by = {(r.measure_id, r.statistic): r for r in table.itertuples()}
        first = []
        if ("all_crime", "count") in by:
            o = by[("all_crime", "count")]
            text = (
                f"All crime: {N.fmt_int(o.current)} offences in {_span(cur)}"
                if ("all_crime", "distinct_victims") not in by
                else f"All crime: {N.fmt_int(o.current)} offences against "
                f"{N.fmt_int(by[('all_crime', 'distinct_victims')].current)} different victims "
                f"in {_span(cur)} ({N.fmt_int(o.previous)} offences against "
                f"{N.fmt_int(by[('all_crime', 'distinct_victims')].previous)} victims the year "
                "before); a victim of more than one offence in the year is counted once."
            )
            first.append(text if text.endswith(".") else text + ".")
        for mid in ("knife_crime", "firearm_crime", "neighbourhood"):
            r = by.get((mid, "count"))
            if r is None:
                continue
            b = None if base is None else (base, int(r.baseline), base_name.removeprefix("the "))
            sig = (
                ""
                if r.small_numbers
                else r.significance.lower()
                .replace("no significant change", "not a statistically significant change")
                .replace("significant rise", "a statistically significant rise")
                .replace("significant fall", "a statistically significant fall")
            )
            first.append(
                CMP.headline_sentence(
                    mid,
                    (cur, int(r.current)),
                    (prev, int(r.previous)),
                    b,
                    [],  # the exceptional-period clause is said once, below, in its own words
                    noun="offences",
                    significance=sig,
                    mention_current=False,
                )
            )
        for p, n in CMP.overlap(prev, exceptional):
            first.append(
                f"Last year ({_span(prev)}) falls {'wholly' if n == len(prev) else 'partly'} "
                f"within the {p.name} ({p.span}), so for these measures {base_name} is the "
                "better guide."
            )
        sec.sentences += first
        view = pd.DataFrame(
            {
                "Measure": table["measure"],
                "Last year": table["previous"],
                "This year": table["current"],
                "Change": table["change"],
                "Change %": table["pct_change"],
                "Is the change significant?": table["significance"],
                "Baseline year": table["baseline"],
                "Change on baseline %": table["baseline_pct_change"],
            }
        )
        sec.table = view
        sec.formats = {
            "Last year": "int",
            "This year": "int",
            "Change": "signed_int",
            "Change %": "signed_pct",
            "Baseline year": "int",
            "Change on baseline %": "signed_pct",
        }
        sec.note = (
            f"This year is {_span(cur)}; last year {_span(prev)}"
            + (f"; the baseline year {base_name}" if base is not None else "")
            + ". Change on last year is tested against the month-to-month variation in each "
            "row's own counts, with the chance of a false alarm controlled across the table; "
            "change on the baseline uses the exact test of the two yearly counts at the 5% "
            "level. No percentage or test is given when either count is below "
            f"{S.SMALL_COUNT}. Different victims count each person once a year, so they are not "
            "tested."
        )
        for r in table.itertuples():
            stat = r.statistic
            where = "Commissioner's measures table"
            if stat == "count":
                continue  # the table's count columns are read through table_periods
            for months, value in ((cur, r.current), (prev, r.previous), (base, r.baseline)):
                if months is not None and value is not None and not pd.isna(value):
                    records.append(
                        M.record(r.measure_id, cfg.area, months, int(value), where,
                                 statistic=stat, source="force_extract")
                    )  # fmt: skip
        saved = table.copy()
        saved.loc[saved["statistic"] != "count", "measure_id"] = ""
        saved.insert(
            1, "victims_of", np.where(table["statistic"] != "count", table["measure_id"], "")
        )
        sec.tables["commissioner_measures"] = saved
    if note:
        sec.notes.append(note)
    for _key, plain, how in missing:
        sec.notes.append(how)
        info.setdefault("missing", []).append(plain)
    periods = {"previous": M.period_key(prev), "current": M.period_key(cur)}
    if base is not None:
        periods["baseline"] = M.period_key(base)
    sec.figures = {
        "measures": records,
        "table_periods": {"commissioner_measures": {"source": "force_extract", "columns": periods}}
        if not table.empty
        else {},
        "missing": info.get("missing", []),
    }
    return sec, info


def area_population(cfg: AreaConfig, csp_population, wards, period: str):
    """(population, year, source words) for rates: the CSP's mid-year estimate for the year in
    which the 12 months' middle falls (the ONS convention; the latest year up to it), else the
    sum of the ward populations; None when neither is available."""
    year = (parse_month(period, "period") - 6).year
    if csp_population is not None and len(csp_population):
        rows = csp_population[
            (csp_population["csp_name"].astype(str) == cfg.csp_name)
            & (csp_population["year"].astype(int) <= year)
        ].sort_values("year")
        if len(rows):
            r = rows.iloc[-1]
            return (
                int(r["population"]),
                int(r["year"]),
                f"ONS mid-{int(r['year'])} population estimate for {cfg.csp_name}",
            )
    if wards is not None and "population" in getattr(wards, "columns", []):
        pop = pd.to_numeric(wards["population"], errors="coerce")
        if pop.notna().all() and len(pop):
            opts = cfg.source_options("ward_population")
            y = opts.get("year")
            return (
                int(pop.sum()),
                int(y) if y else None,
                "the sum of the ward population estimates"
                + (f" (mid-{int(y)})" if y else " (year not stated in the area config)"),
            )
    return None


def homicide_section(cfg, extract, period, csp_population, wards, cur, prev, base, base_name):
    """Homicides per million residents beside the national rate (see the module docstring)."""
    sec = Section(key="homicide")
    mask = M.extract_mask(extract, "vap.homicide")
    month = extract["month"].astype(str)
    n = int((mask & month.isin(cur)).sum())
    n_prev = int((mask & month.isin(prev)).sum())
    n_base = None if base is None else int((mask & month.isin(base)).sum())
    pop = area_population(cfg, csp_population, wards, period)
    national = (cfg.commissioner or {}).get("national_homicide")
    text = (
        f"There {'was' if n == 1 else 'were'} {N.fmt_int(n)} "
        f"homicide{'' if n == 1 else 's'} in {_span(cur)}, against {N.fmt_int(n_prev)} the year "
        "before" + (f" and {N.fmt_int(n_base)} in {base_name}" if n_base is not None else "") + "."
    )
    sec.sentences.append(text)
    row = {
        "measure_id": "vap.homicide",
        "homicides": n,
        "homicides_previous": n_prev,
        "homicides_baseline": n_base,
        "population": None,
        "population_year": None,
        "population_source": "",
        "rate_per_million": float("nan"),
        "rate_low": float("nan"),
        "rate_high": float("nan"),
        "national_rate_per_million": float("nan"),
        "national_period": "",
        "national_source": "",
    }
    records = []
    if pop is None:
        sec.notes.append(
            "Homicides per million residents cannot be given: no population for the area was "
            "available to this run (the area config's CSP population or ward population)."
        )
    else:
        people, year, source = pop
        rate = n / people * 1e6
        low, high = S.poisson_ci(n)
        row.update(
            population=people,
            population_year=year,
            population_source=source,
            rate_per_million=rate,
            rate_low=low / people * 1e6,
            rate_high=high / people * 1e6,
        )
        s = (
            f"That is {rate:,.1f} homicides per million residents (95% interval "
            f"{row['rate_low']:,.1f} to {row['rate_high']:,.1f}; population "
            f"{N.fmt_int(people)}, {source})"
        )
        if national:
            nat = float(national["per_million"])
            row.update(
                national_rate_per_million=nat,
                national_period=str(national["period"]),
                national_source=str(national["source"]),
            )
            inside = row["rate_low"] <= nat <= row["rate_high"]
            s += (
                f", beside {nat:,.1f} per million in England and Wales ({national['period']}; "
                f"{national['source']})."
                + (
                    " The national rate lies inside the interval, so the area's rate is not "
                    "clearly different from it."
                    if inside
                    else f" The national rate lies outside the interval: the area's rate is "
                    f"{'higher' if rate > nat else 'lower'} than chance alone would explain."
                )
            )
        else:
            s += ". The national rate was not supplied to this report, so no comparison is made."
            sec.notes.append(
                "National homicide rate: set commissioner.national_homicide (per_million, period, "
                "source) in the area config, from the ONS's Homicide in England and Wales."
            )
        sec.sentences.append(s)
        records.append(
            M.record("vap.homicide", cfg.area, cur, rate, "homicide rate sentence",
                     statistic="rate_per_million", source="force_extract")
        )  # fmt: skip
    sec.sentences.append(
        "Homicides are rare, so one more or one fewer moves the rate a long way: the change is "
        "given as a number of homicides only, not as a percentage or a change in the rate."
    )
    sec.tables["commissioner_homicide"] = pd.DataFrame([row])
    sec.figures = {"measures": records}
    return sec


def _wilson(k: int, n: int) -> tuple[float, float]:
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return ci.low * 100, ci.high * 100


def satisfaction_section(cfg: AreaConfig, period: str, alpha: float = 0.05) -> Section:
    """Victim satisfaction from the survey CSV (``sources.victim_survey``), or what is missing."""
    from helpers.ingest.survey import read_victim_survey

    sec = Section(key="satisfaction", caption="Victim satisfaction, from the force's survey")
    path = cfg.source("victim_survey", required=False)
    if path is None:
        sec.sentences.append(
            "Victim satisfaction is not shown: no results from the force's victim satisfaction "
            "survey were supplied to this report."
        )
        sec.notes.append(
            "To show victim satisfaction, give the survey results as a CSV (period, question, "
            "respondents, satisfied) under sources.victim_survey in the area config; "
            "scrutiny survey-template writes an empty one."
        )
        sec.figures = {"measures": [], "missing": [sec.sentences[0]]}
        return sec
    survey = read_victim_survey(path)
    end = str(parse_month(period, "period"))
    usable = survey[survey["period"] <= end]
    if usable.empty:
        sec.sentences.append(
            f"Victim satisfaction is not shown: the survey results supplied hold no 12 months "
            f"ending by {pd.Period(end, freq='M').strftime('%B %Y')}."
        )
        sec.figures = {"measures": [], "missing": [sec.sentences[0]]}
        return sec
    latest = usable["period"].max()
    earlier = str(pd.Period(latest, freq="M") - 12)
    now = usable[usable["period"] == latest]
    before = survey[survey["period"] == earlier]
    before = before.set_index(before["question"].str.casefold())
    rows, records = [], []
    for r in now.itertuples():
        small = r.respondents < S.SMALL_COUNT
        low, high = _wilson(r.satisfied, r.respondents)
        prev = before.loc[r.question.casefold()] if r.question.casefold() in before.index else None
        rec = {
            "question": r.question,
            "period": latest,
            "respondents": r.respondents,
            "satisfied": r.satisfied,
            "pct_satisfied": float("nan") if small else r.pct_satisfied,
            "pct_low": float("nan") if small else low,
            "pct_high": float("nan") if small else high,
            "previous_period": earlier if prev is not None else "",
            "previous_respondents": None if prev is None else int(prev["respondents"]),
            "previous_pct_satisfied": float("nan"),
            "change_points": float("nan"),
            "significance": "",
        }
        if prev is not None:
            prev_small = int(prev["respondents"]) < S.SMALL_COUNT
            if not prev_small:
                rec["previous_pct_satisfied"] = float(prev["pct_satisfied"])
            if small or prev_small:
                rec["significance"] = "Too few respondents to test"
            else:
                rec["change_points"] = r.pct_satisfied - float(prev["pct_satisfied"])
                table = [
                    [r.satisfied, r.respondents - r.satisfied],
                    [int(prev["satisfied"]), int(prev["respondents"]) - int(prev["satisfied"])],
                ]
                p = stats.fisher_exact(table).pvalue
                rec["significance"] = (
                    "No significant change"
                    if p >= alpha
                    else ("Significant rise" if rec["change_points"] > 0 else "Significant fall")
                )
        elif small:
            rec["significance"] = "Too few respondents to test"
        else:
            rec["significance"] = "No survey a year earlier"
        rows.append(rec)
    table = pd.DataFrame(rows)
    overall = next(
        (i for i, q in enumerate(table["question"]) if q.casefold().startswith("overall")), 0
    )
    months = ReportingPeriod(latest, 12).month_list
    o = table.iloc[overall]
    if not math.isnan(o["pct_satisfied"]):
        records.append(
            M.record("victim_satisfaction", cfg.area, months, o["pct_satisfied"],
                     "victim satisfaction table", statistic="pct_satisfied",
                     source="victim_survey")
        )  # fmt: skip
        when = pd.Period(latest, freq="M").strftime("%B %Y")
        s = (
            f"{o['question']} in the 12 months to {when}: {N.fmt_pct(o['pct_satisfied'])} of "
            f"{N.fmt_int(o['respondents'])} victims who answered were satisfied (95% interval "
            f"{N.fmt_pct(o['pct_low'])} to {N.fmt_pct(o['pct_high'])})"
        )
        if not math.isnan(o["previous_pct_satisfied"]):
            s += (
                f", against {N.fmt_pct(o['previous_pct_satisfied'])} a year earlier "
                f"({o['significance'].lower()})"
            )
        sec.sentences.append(s + ".")
    sec.table = pd.DataFrame(
        {
            "Question": table["question"],
            "Respondents": table["respondents"],
            "Satisfied": table["pct_satisfied"],
            "95% interval": [
                "–" if math.isnan(a) else f"{N.fmt_pct(a)} to {N.fmt_pct(b)}"
                for a, b in zip(table["pct_low"], table["pct_high"], strict=True)
            ],
            "A year earlier": table["previous_pct_satisfied"],
            "Is the change significant?": table["significance"],
        }
    )
    sec.formats = {"Respondents": "int", "Satisfied": "pct", "A year earlier": "pct"}
    sec.note = (
        "Survey percentages are estimates from the victims who answered; the interval is the "
        "95% Wilson interval. Changes are tested with Fisher's exact test at the 5% level. No "
        f"percentage is given for a question fewer than {S.SMALL_COUNT} victims answered."
    )
    sec.tables["commissioner_satisfaction"] = table
    sec.figures = {"measures": records}
    return sec


def commissioner_sections(
    cfg: AreaConfig,
    extract: pd.DataFrame | None,
    period: str,
    *,
    csp_population: pd.DataFrame | None = None,
    wards=None,
    alpha: float = 0.05,
    exceptional=None,
) -> list[Section]:
    """The Commissioner's measures as sections (``measures``, ``homicide``, ``satisfaction``),
    each only when ``commissioner.measures`` asks for it; plus a ``commissioner_text`` table
    (in the first section's ``tables``) holding every sentence, for the panel pack."""
    chosen = wanted(cfg)
    base_period = baseline_period(cfg)
    base_name = f"the 12 months to {pd.Period(base_period.end, freq='M').strftime('%B %Y')}"
    if exceptional is None:
        exceptional = CMP.exceptional_periods(cfg.analysis, str(cfg.path or cfg.area))
    out: list[Section] = []
    if extract is None or extract.empty:
        sec = Section(
            key="measures",
            sentences=[
                "The Commissioner's crime measures (offences and victims, knife and firearm "
                "offences, sexual offences, neighbourhood crime, homicide) are not shown: they "
                "need the force's offence extract, which this report did not have."
            ],
            notes=[
                "Set sources.force_extract in the area config (with the knife_crime, firearm and "
                "victim_id columns mapped) to show them."
            ],
        )
        sec.figures = {"measures": [], "table_periods": {}, "missing": [sec.sentences[0]]}
        out.append(sec)
    else:
        sec, info = _measures_section(cfg, extract, period, alpha, chosen, base_period, exceptional)
        out.append(sec)
        if "vap.homicide" in chosen and info["cur"]:
            out.append(
                homicide_section(
                    cfg, extract, period, csp_population, wards,
                    info["cur"], info["prev"], info["base"], base_name,
                )
            )  # fmt: skip
    if "victim_satisfaction" in chosen:
        out.append(satisfaction_section(cfg, period, alpha))
    text = []
    for s in out:
        text += [(s.key, "sentence", t) for t in s.sentences]
        text += [(s.key, "missing", t) for t in s.figures.get("missing", [])]
    out[0].tables["commissioner_text"] = pd.DataFrame(text, columns=["section", "kind", "text"])
    return out


def records(sections: list[Section]) -> list[dict]:
    """Every keyed number the sections print (for ``save_stage_outputs(measures=...)``)."""
    return [r for s in sections for r in s.figures.get("measures", [])]


def table_periods(sections: list[Section]) -> dict:
    """The months each saved count column covers (for ``save_stage_outputs(table_periods=...)``)."""
    out: dict = {}
    for s in sections:
        out.update(s.figures.get("table_periods") or {})
    return out


__all__ = [
    "TITLE",
    "TABLE_ROWS",
    "wanted",
    "baseline_period",
    "measures_table",
    "area_population",
    "homicide_section",
    "satisfaction_section",
    "commissioner_sections",
    "records",
    "table_periods",
]
