"""Stage 03: what violence against the person is made of, how each part moved, where and when.

Every function takes the processed force extract (``extract.parquet``, one row per offence, see
docs/architecture.md) or the police.uk street table and returns a small DataFrame with documented
columns, so the notebook only displays and the tests can check each figure by hand.

Which rows are violence
    Violence against the person (VAP) is the Home Office offence group of that name. We take the
    force's own ``offence_group`` column when the extract has it (so offences with an offence
    code missing from our reference table still count, and are listed), otherwise we classify
    ``ho_code`` with :func:`helpers.ingest.offences.classify_codes`. This is the same rule the variance
    stage's "Violence against the person" row uses, so the totals reconcile.

Comparisons
    "Current" and "previous" are :class:`~helpers.core.periods.ReportingPeriod` objects. Counts are
    compared like-for-like: a calendar month is used only if both periods hold it, so a missing
    month never looks like a fall (:func:`helpers.core.periods.like_for_like_months`).

Significance of a change
    Each change is tested with the quasi-Poisson test of
    :func:`helpers.core.statistics.compare_counts`: the row's dispersion is estimated from its own
    like-for-like months a year apart (:func:`helpers.core.statistics.pair_dispersion`), and
    p-values are adjusted by Benjamini–Hochberg across the rows of a table. ``direction`` is
    "up"/"down" only for a significant change. Percentages follow the small-number rule
    (:data:`helpers.core.statistics.SMALL_COUNT`) in tables and sentences. A "significant" change
    is a prompt to look, not proof.

When a change of trend began
    :func:`detect_change_point` fits month-of-year, exceptional-period (the area config's
    ``analysis.exceptional_periods``) and AR(1) noise terms and is calibrated by a parametric
    bootstrap; :func:`adjust_change_points` applies Benjamini–Hochberg across the series.

police.uk only
    police.uk publishes "Violence and sexual offences" as one category with no subgroup, no
    domestic flag, no location type and no time of day. :func:`policeuk_monthly` and
    :func:`policeuk_summary` show only what police.uk can show and never invent a breakdown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.core import statistics as S
from helpers.core.errors import DataFileError, ParameterError
from helpers.core.narrative import fmt_int, fmt_pct, join_names
from helpers.core.periods import ReportingPeriod, like_for_like_months, month_range
from helpers.ingest import offences
from helpers.stages import sources
from helpers.stages.sources import SOURCES  # noqa: F401  (re-exported for the notebook)
from helpers.stages.variance import change_words

VAP = offences.VAP
SUBGROUPS = tuple(offences.VIOLENCE_SUBGROUPS)
# Display order, largest first in a typical CSP; also the order of the narrative when shares tie.
SUBGROUP_ORDER = (
    "Violence without injury",
    "Violence with injury",
    "Stalking and harassment",
    "Homicide",
    "Death or serious injury caused by unlawful driving",
)
UNKNOWN_SUBGROUP = "Subgroup not recognised"
SHORT_NAMES = {
    "Violence without injury": "without injury",
    "Violence with injury": "with injury",
    "Stalking and harassment": "stalking and harassment",
    "Homicide": "homicide",
    "Death or serious injury caused by unlawful driving": "death or serious injury by unlawful driving",
}
LOCATION_TYPES = ("Domestic", "Town centre", "Residual")
NOT_RECORDED = "Not recorded"
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
POLICEUK_VIOLENCE = "Violence and sexual offences"
POLICEUK_CAVEAT = (
    "police.uk publishes violence against the person and sexual offences together as one "
    "category, 'Violence and sexual offences'. It has no subgroups (with injury, without injury, "
    "stalking and harassment), no domestic abuse flag, no location type and no time of day, so "
    "none of those breakdowns can be shown from police.uk data, and none is estimated here."
)

# --------------------------------------------------------------------------------------------
# What the extract can support
# --------------------------------------------------------------------------------------------

SECTION_NEEDS: dict[str, tuple[tuple[str, ...], ...]] = {
    # section: tuple of alternatives; each alternative is a tuple of columns that must all exist
    "violence": (("month", "offence_group"), ("month", "ho_code")),
    "subgroups": (("offence_subgroup",), ("ho_code",)),
    "injury_detail": (("ho_code",),),
    "domestic": (("domestic_flag",),),
    "location": (("location_type",),),
    "heatmap": (("location_type", "hour", "date"),),
}
SECTION_LABELS = {
    "violence": "violence totals and share of all crime",
    "subgroups": "the subgroup breakdown and trends",
    "injury_detail": "the offence detail within violence with injury",
    "domestic": "the domestic abuse breakdown",
    "location": "the location-type breakdown",
    "heatmap": "the day-of-week by hour heat map",
}


def _has(df: pd.DataFrame, col: str) -> bool:
    return col in df.columns and bool(df[col].notna().any())


@dataclass
class ExtractCheck:
    """Which sections the extract supports, and a plain message for each that it does not."""

    can: dict[str, bool]
    messages: list[str] = field(default_factory=list)


def check_extract(extract: pd.DataFrame | None) -> ExtractCheck:
    """Check the extract holds the columns each section needs (present and not all empty).

    Returns an :class:`ExtractCheck`; never raises, so the notebook can run what it can and say
    plainly what it cannot.
    """
    if extract is None or len(extract) == 0:
        return ExtractCheck(
            {s: False for s in SECTION_NEEDS},
            ["There is no force extract for this area and period."],
        )
    can, messages = {}, []
    for section, alternatives in SECTION_NEEDS.items():
        ok = any(all(_has(extract, c) for c in alt) for alt in alternatives)
        can[section] = ok
        if not ok:
            need = " or ".join("+".join(f"'{c}'" for c in alt) for alt in alternatives)
            missing = sorted({c for alt in alternatives for c in alt if not _has(extract, c)})
            messages.append(
                f"The force extract has no usable {', '.join(repr(c) for c in missing)} column "
                f"(missing or entirely empty), so {SECTION_LABELS[section]} cannot be shown. "
                f"It needs {need}: map that column in the area config's "
                "sources.force_extract.columns and re-run the cleaning stage."
            )
    if not can["violence"]:
        for s in can:
            can[s] = False
    return ExtractCheck(can, messages)


# --------------------------------------------------------------------------------------------
# Selecting and labelling violence
# --------------------------------------------------------------------------------------------


def _canonical_subgroup(text) -> str | None:
    """Map a force's subgroup label to a Home Office VAP subgroup name (None if unrecognised)."""
    if text is None or (isinstance(text, float) and math.isnan(text)) or text is pd.NA:
        return None
    t = " ".join(str(text).strip().casefold().replace("&", "and").split())
    if not t:
        return None
    if "unlawful driving" in t or "death or serious injury" in t:
        return "Death or serious injury caused by unlawful driving"
    if "stalking" in t or "harassment" in t:
        return "Stalking and harassment"
    if "homicide" in t:
        return "Homicide"
    if "without injury" in t:
        return "Violence without injury"
    if "with injury" in t:
        return "Violence with injury"
    return None


def violence_rows(extract: pd.DataFrame) -> pd.DataFrame:
    """The violence-against-the-person rows of ``extract``, with two added columns.

    ``subgroup``: one of :data:`SUBGROUPS`, or :data:`UNKNOWN_SUBGROUP` when neither the force's
    ``offence_subgroup`` nor the Home Office code identifies it. ``code_known``: the ``ho_code``
    is in the Home Office reference table (False when there is no ``ho_code`` column).

    Raises :class:`DataFileError` if the extract has neither ``offence_group`` nor ``ho_code``.
    """
    if _has(extract, "offence_group"):
        group = extract["offence_group"].astype("string").str.strip().str.casefold()
        mask = (group == VAP.casefold()).fillna(False).to_numpy(dtype=bool)
    elif _has(extract, "ho_code"):
        mask = offences.classify_codes(extract["ho_code"])["is_vap"].to_numpy(dtype=bool)
    else:
        raise DataFileError(
            "The force extract has neither an 'offence_group' nor a 'ho_code' column, so violence "
            "against the person cannot be identified.",
            "Map one of them in the area config's sources.force_extract.columns and re-run cleaning.",
        )
    v = extract.loc[mask].copy()
    sub = pd.Series([None] * len(v), index=v.index, dtype="object")
    if _has(v, "offence_subgroup"):
        sub = v["offence_subgroup"].map(_canonical_subgroup)
    if _has(v, "ho_code"):
        ref = offences.classify_codes(v["ho_code"])
        v["code_known"] = ref["known_code"].to_numpy(dtype=bool)
        from_code = ref["ref_subgroup"].astype("object").where(ref["ref_group"] == VAP)
        sub = sub.where(sub.notna(), from_code)
    else:
        v["code_known"] = False
    v["subgroup"] = sub.where(sub.notna(), UNKNOWN_SUBGROUP).astype(str)
    return v


def unknown_codes(extract: pd.DataFrame, months: list[str] | None = None) -> pd.DataFrame:
    """Offence codes in the extract that are not in the Home Office reference table.

    Columns ``ho_code``, ``offence_description`` (as the force wrote it), ``offence_group``,
    ``offences`` (rows). Sorted by count, descending. They are kept in every total that uses the
    force's ``offence_group``; this table lists them so an analyst can add them to the reference.
    """
    if not _has(extract, "ho_code"):
        return pd.DataFrame(columns=["ho_code", "offence_description", "offence_group", "offences"])
    df = extract if months is None else extract[extract["month"].isin(months)]
    ref = offences.classify_codes(df["ho_code"])
    bad = df.loc[~ref["known_code"].to_numpy(dtype=bool)].copy()
    bad["ho_code"] = bad["ho_code"].astype("string").fillna("(blank)")
    for c in ("offence_description", "offence_group"):
        bad[c] = bad[c].astype("string").fillna("") if c in bad.columns else ""
    out = (
        bad.groupby(["ho_code", "offence_description", "offence_group"], dropna=False)
        .size()
        .rename("offences")
        .reset_index()
    )
    return out.sort_values(["offences", "ho_code"], ascending=[False, True]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Counting and comparing
# --------------------------------------------------------------------------------------------


def comparison_months(
    available, current: ReportingPeriod, previous: ReportingPeriod
) -> tuple[list[str], list[str]]:
    """The like-for-like current and previous months (see :func:`helpers.core.periods.like_for_like_months`)."""
    return like_for_like_months(available, current, previous)


TABLE_COLUMNS = [
    "current",
    "previous",
    "change",
    "pct_change",
    "pct_change_raw",
    "small_numbers",
    "share",
    "p_value",
    "dispersion",
    "significant",
    "direction",
]


def _share_and_change(
    df: pd.DataFrame,
    key: str,
    alpha: float,
    monthly: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Add each row's share of the current total and the change test; standard column order."""
    total = df["current"].sum()
    df["share"] = df["current"] / total * 100 if total else np.nan
    df = _change_columns(df, alpha, monthly)
    return df[[key, *TABLE_COLUMNS]]


def _monthly(months_of_rows: list[pd.Series], months: list[str]) -> np.ndarray:
    """rows x months counts: one Series of offence months per row."""
    return np.array(
        [[int(c.get(m, 0)) for m in months] for c in (x.value_counts() for x in months_of_rows)],
        dtype=float,
    ).reshape(len(months_of_rows), len(months))


def _change_columns(
    df: pd.DataFrame, alpha: float, monthly: tuple[np.ndarray, np.ndarray] | None = None
) -> pd.DataFrame:
    """Change, % change (small-number rule), quasi-Poisson test with Benjamini–Hochberg across
    the rows of ``df``, and a direction that is only "up"/"down" when the change is significant.

    ``monthly`` is ``(current, previous)`` arrays of rows x like-for-like months (column ``m``
    the same calendar month a year apart) from which each row's dispersion is estimated; without
    it (or when it cannot be estimated) the exact conditional test is used for that row.
    """
    df["change"] = df["current"] - df["previous"]
    prev = df["previous"].astype(float)
    df["pct_change_raw"] = (df["change"] / prev.where(prev > 0)) * 100
    df["small_numbers"] = [
        S.is_small(c, p) for c, p in zip(df["current"], df["previous"], strict=True)
    ]
    df["pct_change"] = df["pct_change_raw"].where(~df["small_numbers"])
    work = df[["current", "previous"]].copy()
    if monthly is not None:
        phi, dof = S.pair_dispersion(*monthly)
        work["phi"], work["dof"] = phi, dof
    tested = S.compare_count_columns(
        work,
        alpha=alpha,
        method="quasi_poisson",
        p_adjust="fdr_bh",
        dispersion="phi" if monthly is not None else None,
        dispersion_df="dof" if monthly is not None else None,
    )
    df["p_value"] = tested["p_value"].to_numpy()
    df["dispersion"] = tested["dispersion"].to_numpy()
    df["significant"] = tested["significant"].to_numpy()
    df["direction"] = np.where(~df["significant"], "same", np.where(df["change"] > 0, "up", "down"))
    return df


def _check_alpha(alpha: float) -> None:
    if not 0 < float(alpha) < 1:
        raise ParameterError(
            f"alpha = {alpha!r} is not a probability between 0 and 1.",
            "Use a significance level such as 0.05.",
        )


def subgroup_table(
    violence: pd.DataFrame, cur_months: list[str], prev_months: list[str], alpha: float = 0.05
) -> pd.DataFrame:
    """Counts, shares and change by violence subgroup.

    ``violence`` is the output of :func:`violence_rows`; ``cur_months[i]`` and
    ``prev_months[i]`` are the same calendar month a year apart. Columns: ``subgroup``,
    ``current``, ``previous``, ``change``, ``pct_change`` (%, blank under the small-number rule),
    ``pct_change_raw``, ``small_numbers``, ``share`` (% of violence against the person in the
    current months; sums to 100), ``p_value`` (quasi-Poisson, Benjamini–Hochberg adjusted across
    the subgroups), ``dispersion``, ``significant``, ``direction`` ("up"/"down" only when
    significant, else "same"). Every one of
    the five Home Office subgroups is listed (zeros included); a row for unrecognised subgroups is
    added only when there are any, so counts are conserved.
    """
    _check_alpha(alpha)
    cur = violence.loc[violence["month"].isin(cur_months), "subgroup"].value_counts()
    prev = violence.loc[violence["month"].isin(prev_months), "subgroup"].value_counts()
    names = list(SUBGROUP_ORDER)
    if cur.get(UNKNOWN_SUBGROUP, 0) or prev.get(UNKNOWN_SUBGROUP, 0):
        names.append(UNKNOWN_SUBGROUP)
    df = pd.DataFrame({"subgroup": names})
    df["current"] = [int(cur.get(n, 0)) for n in names]
    df["previous"] = [int(prev.get(n, 0)) for n in names]
    rows = [violence.loc[violence["subgroup"] == n, "month"] for n in names]
    monthly = (_monthly(rows, cur_months), _monthly(rows, prev_months))
    return _share_and_change(df, "subgroup", alpha, monthly)


def total_row(
    table: pd.DataFrame,
    label: str = "All violence against the person",
    alpha: float = 0.05,
    violence: pd.DataFrame | None = None,
    cur_months: list[str] | None = None,
    prev_months: list[str] | None = None,
) -> pd.DataFrame:
    """One-row total of a count table (``current``, ``previous`` summed; share 100).

    Pass ``violence`` and the like-for-like months to test the total with its own dispersion
    (quasi-Poisson); without them the exact conditional test is used.
    """
    first = table.columns[0]
    df = pd.DataFrame(
        {
            first: [label],
            "current": [int(table["current"].sum())],
            "previous": [int(table["previous"].sum())],
        }
    )
    df["share"] = 100.0 if df["current"].iloc[0] else np.nan
    monthly = None
    if violence is not None and cur_months is not None and prev_months is not None:
        rows = [violence["month"]]
        monthly = (_monthly(rows, cur_months), _monthly(rows, prev_months))
    return _change_columns(df, alpha, monthly)[list(table.columns)]


def injury_detail_table(
    violence: pd.DataFrame, cur_months: list[str], prev_months: list[str]
) -> pd.DataFrame:
    """Offences within *violence with injury*, by Home Office offence code.

    Columns ``ho_code``, ``offence`` (reference description; the force's own description, marked
    "(code not in Home Office list)", for unknown codes), ``current``, ``previous``, ``change``,
    ``share`` (% of violence with injury in the current months). Sorted by current count.
    """
    vwi = violence[violence["subgroup"] == "Violence with injury"]
    if not _has(vwi, "ho_code") and len(vwi):
        raise DataFileError(
            "The force extract has no 'ho_code' column, so violence with injury "
            "cannot be broken down by offence.",
            "Map the Home Office offence code column in the area config.",
        )
    cols = ["ho_code", "offence", "current", "previous", "change", "share"]
    if vwi.empty:
        return pd.DataFrame(columns=cols)
    ref = offences.classify_codes(vwi["ho_code"])
    own = (
        vwi["offence_description"].astype("string")
        if "offence_description" in vwi.columns
        else pd.Series(pd.NA, index=vwi.index, dtype="string")
    )
    label = ref["ref_description"].where(
        ref["known_code"], own.fillna("(no description)") + " (code not in Home Office list)"
    )
    work = pd.DataFrame(
        {"ho_code": ref["ho_code"].fillna("(blank)"), "offence": label, "month": vwi["month"]}
    )
    work["period"] = np.where(
        work["month"].isin(cur_months),
        "current",
        np.where(work["month"].isin(prev_months), "previous", "other"),
    )
    out = (
        work[work["period"] != "other"]
        .groupby(["ho_code", "offence", "period"])
        .size()
        .unstack("period", fill_value=0)
        .reindex(columns=["current", "previous"], fill_value=0)
        .reset_index()
    )
    out.columns.name = None
    out["current"] = out["current"].astype(int)
    out["previous"] = out["previous"].astype(int)
    out["change"] = out["current"] - out["previous"]
    total = out["current"].sum()
    out["share"] = out["current"] / total * 100 if total else np.nan
    return out.sort_values(["current", "ho_code"], ascending=[False, True])[cols].reset_index(
        drop=True
    )


def domestic_table(
    violence: pd.DataFrame, cur_months: list[str], prev_months: list[str], alpha: float = 0.05
) -> pd.DataFrame:
    """Violence with and without a domestic abuse flag.

    Columns ``group`` ("Domestic abuse flag" / "Other violence") and those of
    :func:`subgroup_table` (``share`` is % of violence in the current months). A null flag counts as "Other violence" (the flag is set when
    an officer marks the offence as domestic; an unset flag means not marked) and the number of
    null flags is reported by :func:`null_flag_count`.
    """
    _check_alpha(alpha)
    if "domestic_flag" not in violence.columns:
        raise DataFileError(
            "The force extract has no 'domestic_flag' column.",
            "Map the domestic abuse flag column in the area config.",
        )
    flag = violence["domestic_flag"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    rows, months_of = [], []
    for name, sel in (("Domestic abuse flag", flag), ("Other violence", ~flag)):
        m = violence.loc[sel, "month"]
        months_of.append(m)
        rows.append(
            {
                "group": name,
                "current": int(m.isin(cur_months).sum()),
                "previous": int(m.isin(prev_months).sum()),
            }
        )
    df = pd.DataFrame(rows)
    monthly = (_monthly(months_of, cur_months), _monthly(months_of, prev_months))
    return _share_and_change(df, "group", alpha, monthly)


def null_flag_count(violence: pd.DataFrame, months: list[str]) -> int:
    """How many violent offences in ``months`` have no domestic flag value at all."""
    if "domestic_flag" not in violence.columns:
        return 0
    sel = violence["month"].isin(months)
    return int(violence.loc[sel, "domestic_flag"].isna().sum())


def year_windows(period_end: str, years: int) -> list[ReportingPeriod]:
    """``years`` consecutive 12-month periods ending at ``period_end``, oldest first.

    When ``period_end`` is a March these are financial years (labelled "FY 2021/22").
    """
    if not 1 <= int(years) <= 10:
        raise ParameterError(
            f"years_of_location_history = {years!r} is outside 1 to 10.",
            "Use a small whole number of years such as 3.",
        )
    last = ReportingPeriod(period_end, 12)
    return [last.shifted(12 * k) for k in range(int(years) - 1, -1, -1)]


def location_share_table(
    violence: pd.DataFrame, windows: list[ReportingPeriod], available_months=None
) -> pd.DataFrame:
    """Violence by location type (Domestic / Town centre / Residual) for each 12-month window.

    Long format: ``year`` (label), ``location_type``, ``offences``, ``share`` (% of violence with
    a recorded location type in that year; the three shares sum to 100), ``months_with_data``.
    Offences with no location type are counted in a ``Not recorded`` row whose share is null (it
    is excluded from the denominator and reported separately). Unknown labels are kept under their
    own name so nothing is dropped.
    """
    if "location_type" not in violence.columns:
        raise DataFileError(
            "The force extract has no 'location_type' column.",
            "Map the location type column in the area config.",
        )
    have = set(violence["month"]) if available_months is None else set(available_months)
    loc = violence["location_type"].astype("string").str.strip()
    canon = {t.casefold(): t for t in LOCATION_TYPES}
    loc = loc.map(lambda x: NOT_RECORDED if x is pd.NA or not x else canon.get(x.casefold(), x))
    rows = []
    for w in windows:
        sel = violence["month"].isin(w.month_list).to_numpy()
        counts = loc[sel].value_counts()
        types = list(LOCATION_TYPES) + sorted(
            set(counts.index) - set(LOCATION_TYPES) - {NOT_RECORDED}
        )
        denom = int(sum(counts.get(t, 0) for t in types))
        n_months = sum(m in have for m in w.month_list)
        for t in types + [NOT_RECORDED]:
            n = int(counts.get(t, 0))
            if t == NOT_RECORDED and n == 0:
                continue
            share = np.nan if t == NOT_RECORDED or denom == 0 else n / denom * 100
            rows.append(
                {
                    "year": w.short,
                    "location_type": t,
                    "offences": n,
                    "share": share,
                    "months_with_data": n_months,
                }
            )
    return pd.DataFrame(
        rows, columns=["year", "location_type", "offences", "share", "months_with_data"]
    )


def share_of_all_crime(
    extract: pd.DataFrame, violence: pd.DataFrame, cur_months: list[str], prev_months: list[str]
) -> pd.DataFrame:
    """Violence against the person as a share of all recorded crime in the extract.

    Columns ``period`` ("current" / "previous"), ``violence``, ``all_crime``, ``share`` (%).
    """
    rows = []
    for name, months in (("current", cur_months), ("previous", prev_months)):
        v = int(violence["month"].isin(months).sum())
        a = int(extract["month"].isin(months).sum())
        rows.append(
            {"period": name, "violence": v, "all_crime": a, "share": v / a * 100 if a else np.nan}
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Monthly series, seasonality and when a sustained change began
# --------------------------------------------------------------------------------------------


def monthly_series(
    violence: pd.DataFrame, first: str, last: str, by: str = "subgroup"
) -> pd.DataFrame:
    """Monthly counts from ``first`` to ``last`` (zero-filled), one column per ``by`` value.

    Index: ``month`` (YYYY-MM). Columns: the five subgroups in display order (when ``by`` is
    ``"subgroup"``), any unrecognised subgroup, and ``All violence``. A zero in a month the data
    do not hold is indistinguishable from no offences: callers pass only covered months (see
    :func:`helpers.core.periods.missing_months`).
    """
    months = month_range(first, last)
    sel = violence[violence["month"].isin(months)]
    wide = sel.groupby(["month", by]).size().unstack(by, fill_value=0).reindex(months, fill_value=0)
    if by == "subgroup":
        order = [s for s in SUBGROUP_ORDER] + [c for c in wide.columns if c not in SUBGROUP_ORDER]
        wide = wide.reindex(columns=order, fill_value=0)
    wide["All violence"] = wide.sum(axis=1)
    wide.index.name = "month"
    wide.columns.name = None
    return wide.astype(int)


@dataclass
class Seasonality:
    """Seasonal decomposition of one monthly series.

    ``table`` columns: ``month``, ``observed``, ``seasonal``, ``deseasonalised``. ``method`` says
    which method was used in plain words; ``profile`` is the month-of-year effect (Jan..Dec, in
    offences a month, summing to ~0), NaN when the series is too short.
    """

    table: pd.DataFrame
    method: str
    profile: pd.Series


def seasonal_adjust(series: pd.Series) -> Seasonality:
    """Remove the month-of-year pattern from a monthly count series (index ``YYYY-MM``).

    * 36 months or more: STL (statsmodels, period 12, robust to outliers).
    * 24–35 months: a month-of-year profile: the mean residual from a straight-line trend for each
      calendar month, centred on zero.
    * Fewer than 24 months: no adjustment (one of each calendar month cannot separate season
      from trend); the method says so.
    """
    y = series.astype(float)
    n = len(y)
    cal = pd.PeriodIndex(y.index, freq="M").month
    if n >= 36:
        from statsmodels.tsa.seasonal import STL

        res = STL(y.to_numpy(), period=12, robust=True).fit()
        seasonal = pd.Series(res.seasonal, index=y.index)
        method = "STL decomposition (period 12 months, robust), seasonal component removed"
    elif n >= 24:
        t = np.arange(n)
        b, a = np.polyfit(t, y.to_numpy(), 1)
        resid = y.to_numpy() - (a + b * t)
        prof = pd.Series(resid).groupby(cal).mean()
        prof = prof - prof.mean()
        seasonal = pd.Series(prof.reindex(cal).to_numpy(), index=y.index)
        method = "month-of-year profile (mean departure from a straight-line trend), removed"
    else:
        seasonal = pd.Series(0.0, index=y.index)
        method = "none: fewer than 24 months, too short to separate season from trend"
    profile = (
        seasonal.groupby(cal).mean().reindex(range(1, 13))
        if n >= 24
        else pd.Series(np.nan, index=range(1, 13))
    )
    table = pd.DataFrame(
        {
            "month": list(y.index),
            "observed": y.to_numpy(),
            "seasonal": seasonal.to_numpy(),
            "deseasonalised": (y - seasonal).to_numpy(),
        }
    )
    return Seasonality(table, method, profile)


CHANGE_POINT_METHOD = (
    "A regression is fitted to the monthly counts with a straight-line trend, a separate level "
    "for each month of the year (the seasonal pattern){exceptional}, and month-to-month noise "
    "that carries over from one month to the next (first-order autocorrelation, estimated from "
    "the series and corrected for the bias of short series). A two-piece trend (a 'hinge') is "
    "tried at every month leaving at least {min_seg} months on each side, and the month with "
    "the best fit is where the trend changed. Its p-value compares the improvement over a single "
    "trend with {n_sim} series simulated with the same seasonal pattern, "
    "{exceptional_short}trend and autocorrelated noise but no change, so searching every month "
    "and the autocorrelation are both allowed for. With several series, p-values are adjusted "
    "across them (Benjamini-Hochberg)."
)
CHANGE_POINT_CAVEAT = (
    "Caveats: the simulation checks the test's false-alarm rate (about 5% on series with no "
    "change); the noise model is a simple one, so treat borderline results as a guide. It finds "
    "at most one change; the month is an estimate (give or take a few months); and a change in "
    "recording practice produces a break just like a change in offending."
)

#: Autocorrelation values at which the prewhitening is worked out (the estimate is rounded to
#: the nearest), so simulated series can share matrix work.
_RHO_GRID = np.round(np.arange(-0.5, 0.951, 0.05), 2)


@dataclass
class ChangePoint:
    """Result of :func:`detect_change_point`. ``month`` is the first month of the new trend.

    ``p_value`` is the series' own simulated p-value; ``q_value`` the Benjamini–Hochberg value
    across the series tested together (:func:`adjust_change_points`; equal to ``p_value`` until
    then) and ``significant`` is ``q_value < alpha``. ``autocorrelation`` is the estimated
    month-to-month carry-over of the noise.
    """

    series: str
    month: str | None
    slope_before: float  # offences per month
    slope_after: float
    p_value: float
    significant: bool
    fitted: pd.Series | None  # two-piece trend (seasonal pattern removed), indexed by month
    method: str
    note: str | None = None  # why no test was possible
    q_value: float = float("nan")
    autocorrelation: float = float("nan")
    alpha: float = 0.05


def _prais_winsten(n: int, rho: float) -> np.ndarray:
    """The n x n transform that turns AR(1) noise with coefficient ``rho`` into white noise."""
    t = np.eye(n)
    t[0, 0] = math.sqrt(1 - rho**2)
    idx = np.arange(1, n)
    t[idx, idx - 1] = -rho
    return t


class _HingeEngine:
    """Shared matrix work for one design (length, months of year, exceptional months)."""

    def __init__(self, x0: np.ndarray, hinges: np.ndarray):
        self.x0, self.h = x0, hinges
        n = x0.shape[0]
        self.n = n
        self._parts: dict[float, tuple] = {}
        # Bias correction: the lag-1 autocorrelation of regression residuals is biased towards
        # zero (strongly, with twelve seasonal terms and a fitted hinge in a few years of
        # months). The mean of the estimate under AR(1) noise with coefficient r is found by
        # simulation for this design on a grid of r (seeded), and an observed estimate is
        # mapped back through that curve.
        self.fine = np.linspace(-0.6, 0.97, 32)
        rng = np.random.default_rng(12345)
        z = rng.standard_normal((n, 400))
        means = []
        for r in self.fine:
            u = np.empty_like(z)
            u[0] = z[0] / math.sqrt(1 - r**2)
            for i in range(1, n):
                u[i] = r * u[i - 1] + z[i]
            means.append(float(np.mean(self._raw_rho(u))))
        self.ratios = np.maximum.accumulate(np.array(means))

    def _raw_rho(self, y: np.ndarray) -> np.ndarray:
        """Lag-1 autocorrelation per column of ``y``, from the residuals of the best-fitting
        hinge model found without prewhitening (so a real change of trend is not mistaken for
        autocorrelation, which would hide it)."""
        _, q, mh, d = self.parts(0.0)
        r0 = y - q @ (q.T @ y)
        proj = mh.T @ r0
        best = np.argmax(proj**2 / np.where(d > 0, d, np.inf)[:, None], axis=0)
        cols = np.arange(y.shape[1])
        r0 = r0 - mh[:, best] * (proj[best, cols] / d[best])[None, :]
        num = np.einsum("ij,ij->j", r0[1:], r0[:-1])
        den = np.einsum("ij,ij->j", r0, r0)
        return num / np.where(den > 0, den, 1.0)

    def rho(self, y: np.ndarray) -> np.ndarray:
        """Bias-corrected AR(1) coefficient per column of ``y`` (on :data:`_RHO_GRID`'s range)."""
        raw = self._raw_rho(y)
        return np.clip(np.interp(raw, self.ratios, self.fine), _RHO_GRID[0], _RHO_GRID[-1])

    def parts(self, g: float) -> tuple:
        if g not in self._parts:
            t = _prais_winsten(self.n, g)
            q, _ = np.linalg.qr(t @ self.x0)
            hs = t @ self.h
            mh = hs - q @ (q.T @ hs)
            self._parts[g] = (t, q, mh, np.einsum("ij,ij->j", mh, mh))
        return self._parts[g]

    @staticmethod
    def grid(rho: np.ndarray) -> np.ndarray:
        return _RHO_GRID[np.abs(_RHO_GRID[None, :] - np.asarray(rho)[:, None]).argmin(axis=1)]

    def sup_f(self, y: np.ndarray, rho: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """sup-F over hinge positions and the best position, per column of ``y``; each column
        prewhitened with its own autocorrelation (rounded to the grid)."""
        n, p = self.x0.shape
        g = self.grid(rho)
        out = np.empty(y.shape[1])
        best = np.zeros(y.shape[1], dtype=int)
        for gv in np.unique(g):
            cols = np.where(g == gv)[0]
            t, q, mh, d = self.parts(float(gv))
            ys = t @ y[:, cols]
            r0 = ys - q @ (q.T @ ys)
            rss0 = np.einsum("ij,ij->j", r0, r0)
            red = (mh.T @ r0) ** 2 / np.where(d > 0, d, np.inf)[:, None]
            f = red / (np.maximum(rss0[None, :] - red, 1e-12) / (n - p - 1))
            out[cols] = f.max(axis=0)
            best[cols] = f.argmax(axis=0)
        return out, best


_ENGINES: dict[tuple, _HingeEngine] = {}


def _null_design(
    months: list[str], exceptional: list | None
) -> tuple[np.ndarray, bool, list[str], np.ndarray]:
    n = len(months)
    t = np.arange(n, dtype=float)
    cols = [np.ones(n), t - t.mean()]
    seasonal = n >= 24
    if seasonal:
        moy = np.array([int(m[5:7]) for m in months])
        cols += [(moy == k).astype(float) for k in range(2, 13)]
    exc = np.zeros(n, dtype=bool)
    names = []
    for ep in exceptional or []:
        hit = np.array([ep.covers(m) for m in months])
        if hit.any():
            exc |= hit
            names.append(ep.name)
    if 0 < exc.sum() < n:
        cols.append(exc.astype(float))
    else:
        names = []
    return np.column_stack(cols), seasonal, names, exc


def detect_change_point(
    series: pd.Series,
    name: str = "series",
    alpha: float = 0.05,
    min_seg: int = 6,
    n_sim: int = 999,
    seed: int = 20240401,
    exceptional: list | None = None,
) -> ChangePoint:
    """When did a sustained change of trend begin in a monthly count series?

    ``series``: monthly counts (index ``YYYY-MM``, consecutive; fill a missing month first,
    :func:`fill_missing_months`) — *not* seasonally adjusted: the model has its own seasonal
    terms. ``exceptional``: :class:`helpers.core.statistics.ExceptionalPeriod` items (the area
    config's ``analysis.exceptional_periods``); months inside one get their own level, so the
    end of a lockdown is not read as a change of trend.

    Null model: ``y = a + b t + month-of-year + exceptional-period level + AR(1) noise``
    (month-of-year terms need 24 months or more). Alternative: the same plus ``c max(t - k, 0)``
    for a month ``k`` with at least ``min_seg`` months each side. The statistic is the largest
    F over ``k`` after Prais–Winsten prewhitening with the series' own bias-corrected
    autocorrelation; its p-value is a parametric bootstrap: ``n_sim`` series simulated from the
    fitted null model with AR(1) noise, each re-estimating its own autocorrelation exactly as
    the observed series did (seeded, so reproducible). The test's false-positive rate on
    autocorrelated seasonal series with no change is checked by simulation in the unit tests.
    Needs at least ``2 * min_seg + 3`` months.
    """
    from helpers.core.statistics import ExceptionalPeriod  # noqa: F401  (documented type)

    _check_alpha(alpha)
    months = [str(m) for m in series.index]
    n = len(months)
    x0, seasonal, exc_names, _ = _null_design(months, exceptional)
    exc_text = f", a separate level for {join_names(exc_names)}" if exc_names else ""
    method = CHANGE_POINT_METHOD.format(
        min_seg=min_seg,
        n_sim=n_sim,
        exceptional=exc_text,
        exceptional_short="exceptional-period level, " if exc_names else "",
    )
    if not seasonal:
        method = method.replace(
            ", a separate level for each month of the year (the seasonal pattern)",
            " (no seasonal terms: fewer than 24 months)",
        ).replace("the same seasonal pattern, ", "")
    nan = float("nan")
    if n < 2 * min_seg + 3 or n - x0.shape[1] - 1 < 3:
        need = max(2 * min_seg + 3, x0.shape[1] + 4)
        return ChangePoint(
            name,
            None,
            nan,
            nan,
            nan,
            False,
            None,
            method,
            f"only {n} months: at least {need} are needed to look for a change of trend",
            alpha=alpha,
        )
    y = series.astype(float).to_numpy()
    t = np.arange(n, dtype=float)
    ks = np.arange(min_seg, n - min_seg + 1)
    hinges = np.column_stack([np.clip(t - k, 0, None) for k in ks])
    key = (tuple(m[5:7] for m in months), tuple(x0[:, -1]) if exc_names else (), n, min_seg)
    eng = _ENGINES.get(key)
    if eng is None:
        eng = _ENGINES[key] = _HingeEngine(x0, hinges)
        if len(_ENGINES) > 32:
            _ENGINES.pop(next(iter(_ENGINES)))
    rho = eng.rho(y[:, None])
    f_obs, best = eng.sup_f(y[:, None], rho)
    k = int(ks[best[0]])
    g = float(eng.grid(rho)[0])
    tr, *_ = eng.parts(g)
    xs = tr @ x0
    beta0, *_ = np.linalg.lstsq(xs, tr @ y, rcond=None)
    resid = tr @ y - xs @ beta0
    dof = n - x0.shape[1]
    sigma = math.sqrt(float(resid @ resid) / dof) if dof > 0 else 0.0
    if sigma <= 1e-9 or not np.isfinite(f_obs[0]):
        p = 1.0
    else:
        rng = np.random.default_rng(seed)
        e = rng.standard_normal((n, n_sim)) * sigma
        u = np.empty_like(e)
        u[0] = e[0] / math.sqrt(1 - g**2)
        for i in range(1, n):
            u[i] = g * u[i - 1] + e[i]
        sims = (x0 @ beta0)[:, None] + u
        f_sim, _ = eng.sup_f(sims, eng.rho(sims))
        p = float((1 + np.sum(f_sim >= f_obs[0] - 1e-9)) / (1 + n_sim))
    x1 = np.column_stack([x0, np.clip(t - k, 0, None)])
    beta1, *_ = np.linalg.lstsq(tr @ x1, tr @ y, rcond=None)
    # Trend line for the chart: level + trend + hinge (+ exceptional level), with the seasonal
    # terms replaced by their average so it sits on the seasonally adjusted series.
    season_mean = float(np.mean(np.r_[0.0, beta1[2:13]])) if seasonal else 0.0
    trend = beta1[0] + season_mean + beta1[1] * x0[:, 1] + beta1[-1] * x1[:, -1]
    if exc_names:
        trend = trend + beta1[-2] * x0[:, -1]
    fitted = pd.Series(trend, index=series.index)
    return ChangePoint(
        name,
        months[k],
        float(beta1[1]),
        float(beta1[1] + beta1[-1]),
        p,
        p < alpha,
        fitted,
        method,
        None,
        p,
        float(rho[0]),
        alpha,
    )


def adjust_change_points(
    points: list[ChangePoint], alpha: float | None = None
) -> list[ChangePoint]:
    """Benjamini–Hochberg across the series tested together: sets ``q_value`` and makes
    ``significant`` mean ``q_value < alpha`` (each point's own alpha unless one is given)."""
    tested = [i for i, cp in enumerate(points) if cp.month is not None and np.isfinite(cp.p_value)]
    if not tested:
        return points
    q = S.fdr_bh([points[i].p_value for i in tested])[1]  # the one BH of the package
    out = list(points)
    for i, qi in zip(tested, q, strict=True):
        cp = points[i]
        a = cp.alpha if alpha is None else alpha
        out[i] = ChangePoint(
            cp.series,
            cp.month,
            cp.slope_before,
            cp.slope_after,
            cp.p_value,
            bool(qi < a),
            cp.fitted,
            cp.method,
            cp.note,
            float(qi),
            cp.autocorrelation,
            a,
        )
    return out


def _series_label(series: str | None) -> str:
    return VAP if series in (None, "All violence") else series


def _recording_table():
    from helpers.stages.variance import recording_changes  # the one documented table (helpers/data)

    return recording_changes()


def _change_text(row) -> str:
    when = pd.Period(row["effective_month"], freq="M").strftime("%B %Y")
    return f"{when}: {row['description']} (source: {row['source']})."


def recording_cautions(cp: ChangePoint, series: str | None = None, window: int = 3) -> list[str]:
    """Cautions for documented recording-rule changes within ``window`` months of a change point.

    The changes come from ``helpers/data/recording_changes.csv`` (shared with the variance stage);
    a change applies when ``series`` ("All violence" means violence against the person) is in its
    ``affects`` list.
    """
    if cp.month is None:
        return []
    at = pd.Period(cp.month, freq="M")
    label = _series_label(series)
    out = []
    for _, row in _recording_table().iterrows():
        near = abs((pd.Period(row["effective_month"], freq="M") - at).n) <= window
        if near and label in row["affects"]:
            out.append(_change_text(row))
    return out


def recording_changes_in_range(first: str, last: str, series: str | None = None) -> list[str]:
    """Documented recording-rule changes affecting ``series`` that took effect after ``first``
    and no later than ``last`` (so the series holds months under both rules)."""
    label = _series_label(series)
    t = _recording_table()
    sel = (t["effective_month"] > first) & (t["effective_month"] <= last)
    return [_change_text(r) for _, r in t[sel].iterrows() if label in r["affects"]]


def heatmap_table(
    violence: pd.DataFrame, months: list[str], location: str = "Town centre"
) -> pd.DataFrame:
    """Day-of-week × hour counts of violence at ``location`` in ``months``.

    Index: day name (Monday..Sunday); columns 0..23 (hour the offence was committed). Rows with
    no hour are left out; :func:`heatmap_missing_hours` counts them.
    """
    need = [c for c in ("location_type", "hour", "date") if c not in violence.columns]
    if need:
        raise DataFileError(
            f"The force extract has no {', '.join(repr(c) for c in need)} column(s).",
            "Map them in the area config to draw the day and hour heat map.",
        )
    loc = violence["location_type"].astype("string").str.strip().str.casefold()
    sel = violence[
        (loc == location.casefold()).fillna(False).to_numpy(dtype=bool)
        & violence["month"].isin(months).to_numpy()
        & violence["hour"].notna().to_numpy()
    ]
    day = pd.to_datetime(sel["date"]).dt.day_of_week.map(dict(enumerate(DAYS)))
    hour = sel["hour"].astype(int)
    grid = pd.crosstab(day, hour).reindex(index=list(DAYS), columns=range(24), fill_value=0)
    grid.index.name, grid.columns.name = "day", "hour"
    return grid.astype(int)


def heatmap_missing_hours(
    violence: pd.DataFrame, months: list[str], location: str = "Town centre"
) -> int:
    loc = violence["location_type"].astype("string").str.strip().str.casefold()
    sel = (loc == location.casefold()).fillna(False).to_numpy(dtype=bool) & violence["month"].isin(
        months
    ).to_numpy()
    return int(violence.loc[sel, "hour"].isna().sum())


# --------------------------------------------------------------------------------------------
# police.uk only
# --------------------------------------------------------------------------------------------


def _policeuk_crimes(street: pd.DataFrame) -> pd.DataFrame:
    if "month" not in street.columns or "crime_type" not in street.columns:
        raise DataFileError(
            "The police.uk table has no 'month' or 'crime_type' column.",
            "Re-run the cleaning stage; the street table must follow docs/architecture.md.",
        )
    if "is_asb" in street.columns:
        asb = street["is_asb"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    else:
        asb = (
            (street["crime_type"].astype("string") == offences.ASB)
            .fillna(False)
            .to_numpy(dtype=bool)
        )
    return street.loc[~asb]


def policeuk_monthly(street: pd.DataFrame, months: list[str]) -> pd.DataFrame:
    """Monthly police.uk "Violence and sexual offences" and all crime (ASB excluded).

    Columns ``month``, ``violence_and_sexual``, ``all_crime``, ``share`` (%), ``has_data`` (False
    for months with no police.uk rows at all: a missing month, not a month with no crime).
    """
    crimes = _policeuk_crimes(street)
    have = set(street["month"].astype(str))
    is_v = (
        (crimes["crime_type"].astype("string") == POLICEUK_VIOLENCE)
        .fillna(False)
        .to_numpy(dtype=bool)
    )
    allc = crimes["month"].value_counts()
    vio = crimes.loc[is_v, "month"].value_counts()
    df = pd.DataFrame({"month": list(months)})
    df["violence_and_sexual"] = [int(vio.get(m, 0)) for m in months]
    df["all_crime"] = [int(allc.get(m, 0)) for m in months]
    df["share"] = np.where(
        df["all_crime"] > 0,
        df["violence_and_sexual"] / df["all_crime"].where(df["all_crime"] > 0, 1) * 100,
        np.nan,
    )
    df["has_data"] = [m in have for m in months]
    return df


def policeuk_summary(
    street: pd.DataFrame, cur_months: list[str], prev_months: list[str], alpha: float = 0.05
) -> pd.DataFrame:
    """Like-for-like totals of police.uk violence and sexual offences, with the change and test.

    One row per measure (``measure``: "Violence and sexual offences", "All crime (excluding
    ASB)"); columns as :func:`subgroup_table`'s change columns; plus ``share_current`` / ``share_previous`` (violence and
    sexual offences as % of all crime).
    """
    _check_alpha(alpha)
    cur = policeuk_monthly(street, cur_months)
    prev = policeuk_monthly(street, prev_months)
    df = pd.DataFrame(
        {
            "measure": [POLICEUK_VIOLENCE, "All crime (excluding ASB)"],
            "current": [int(cur["violence_and_sexual"].sum()), int(cur["all_crime"].sum())],
            "previous": [int(prev["violence_and_sexual"].sum()), int(prev["all_crime"].sum())],
        }
    )
    crimes = _policeuk_crimes(street)
    is_v = (crimes["crime_type"].astype("string") == POLICEUK_VIOLENCE).fillna(False)
    rows = [crimes.loc[is_v.to_numpy(dtype=bool), "month"].astype(str), crimes["month"].astype(str)]
    df = _change_columns(df, alpha, (_monthly(rows, cur_months), _monthly(rows, prev_months)))
    share_c = (
        df["current"].iloc[0] / df["current"].iloc[1] * 100 if df["current"].iloc[1] else np.nan
    )
    share_p = (
        df["previous"].iloc[0] / df["previous"].iloc[1] * 100 if df["previous"].iloc[1] else np.nan
    )
    df["share_current"] = [share_c, 100.0]
    df["share_previous"] = [share_p, 100.0]
    return df


# --------------------------------------------------------------------------------------------
# Source choice
# --------------------------------------------------------------------------------------------


def choose_source(source: str, extract: pd.DataFrame | None, street: pd.DataFrame | None) -> str:
    """Resolve stage 03's ``source`` to ``"extract"`` or ``"police_uk"``.

    The rule is :func:`helpers.stages.sources.choose_source`; stage 03 adds only that the
    extract must be able to identify violence (an offence group or code).
    """
    return sources.choose_source(
        source,
        extract,
        street,
        extract_usable=check_extract(extract).can["violence"],
        extract_need="offence group or code to identify violence",
    )


# --------------------------------------------------------------------------------------------
# Narrative: plain-English sentences in the seed reports' style
# --------------------------------------------------------------------------------------------


def _sig_clause(significant: bool) -> str:
    return "" if not significant else " (a statistically significant change)"


def breakdown_sentence(subgroups: pd.DataFrame) -> str:
    """'Violent crime breaks down as 45.5% without injury, 33.6% with injury and 20.9% stalking and harassment.'"""
    rows = subgroups[(subgroups["current"] > 0) & (subgroups["subgroup"] != UNKNOWN_SUBGROUP)]
    rows = rows.sort_values("share", ascending=False, kind="stable")
    if rows.empty:
        return "No violence against the person was recorded in the period."
    parts = [
        f"{fmt_pct(r.share)} {SHORT_NAMES.get(r.subgroup, r.subgroup.lower())}"
        for r in rows.itertuples()
    ]
    s = f"Violent crime breaks down as {join_names(parts)}."
    unk = subgroups[subgroups["subgroup"] == UNKNOWN_SUBGROUP]
    if len(unk) and unk["current"].iloc[0] > 0:
        s += (
            f" A further {fmt_pct(unk['share'].iloc[0])} ({fmt_int(unk['current'].iloc[0])} "
            "offences) could not be placed in a subgroup."
        )
    return s


def subgroup_change_sentence(subgroups: pd.DataFrame, comparison: str) -> str:
    """'Compared with <comparison>, violence without injury rose by 14.3%, ... stalking and harassment rose by 38.9% (significant).'"""
    rows = subgroups[
        ((subgroups["current"] > 0) | (subgroups["previous"] > 0))
        & (subgroups["subgroup"] != UNKNOWN_SUBGROUP)
    ]
    if rows.empty:
        return ""
    big = rows[rows["subgroup"].isin(SUBGROUP_ORDER[:3])]
    parts = []
    for r in big.itertuples():
        parts.append(
            f"{SHORT_NAMES[r.subgroup]} offences {change_words(r.current, r.previous, up='rose', down='fell')}"
            + _sig_clause(bool(r.significant))
        )
    s = f"Compared with {comparison}, {join_names(parts)}."
    small = rows[~rows["subgroup"].isin(SUBGROUP_ORDER[:3])]
    for r in small.itertuples():
        s += (
            f" There {'was' if r.current == 1 else 'were'} {fmt_int(r.current)} "
            f"{SHORT_NAMES[r.subgroup]} offence{'s' if r.current != 1 else ''}, against "
            f"{fmt_int(r.previous)} in the previous period."
        )
    return s


def injury_detail_sentence(detail: pd.DataFrame) -> str:
    """'Of violence with injury, the majority, 2,950 offences, were assault with injury; of the more serious offences there were ...'"""
    if detail.empty or detail["current"].sum() == 0:
        return "No violence with injury was recorded in the period."
    top = detail.iloc[0]
    total = detail["current"].sum()
    lead = "the majority" if top["current"] > total / 2 else "the largest group"
    s = f"Looking at violence with injury more closely, {lead}, {fmt_int(top['current'])} offences, were {top['offence'].lower()}"
    serious = {
        "5D": "assault with intent to cause serious harm",
        "2": "attempted murder",
        "5E": "endangering life",
    }
    parts = []
    for code, words in serious.items():
        n = int(detail.loc[detail["ho_code"] == code, "current"].sum())
        if code != top["ho_code"]:
            parts.append(f"{fmt_int(n)} {words}")
    if parts:
        s += f"; of the more serious offences there were {join_names(parts)}"
    return s + "."


def domestic_sentence(domestic: pd.DataFrame, period_name: str, comparison: str) -> str:
    """'Domestic violence accounts for 33.3% of all violent offences ... Offences with a domestic flag rose by 14.5% ..., while the figures for other violent offences increased by 15.4%.'"""
    d = domestic.set_index("group")
    dom, oth = d.loc["Domestic abuse flag"], d.loc["Other violence"]
    s = (
        f"Domestic violence accounts for {fmt_pct(dom['share'])} of all violent offences recorded "
        f"in {period_name}. "
    )
    s += (
        f"Offences with a domestic flag {change_words(dom['current'], dom['previous'], up='rose', down='fell')}"
        f"{_sig_clause(bool(dom['significant']))} compared with {comparison}, while the figures for "
        f"other violent offences {change_words(oth['current'], oth['previous'], up='increased', down='decreased')}"
        f"{_sig_clause(bool(oth['significant']))}."
    )
    return s


def share_sentence(share: pd.DataFrame, total_change: pd.Series | None = None) -> str:
    """'Offences of violence rose by 15.1% and violent crime now accounts for 45.4% of all recorded crime.'"""
    cur = share.set_index("period").loc["current"]
    s = ""
    if total_change is not None:
        s = (
            f"Recorded violence against the person "
            f"{change_words(total_change['current'], total_change['previous'], up='rose', down='fell')}"
            f"{_sig_clause(bool(total_change['significant']))}, and violent crime now accounts for "
        )
    else:
        s = "Violent crime accounts for "
    return (
        s
        + f"{fmt_pct(cur['share'])} of all recorded crime ({fmt_int(cur['violence'])} of {fmt_int(cur['all_crime'])} offences)."
    )


def location_sentence(locations: pd.DataFrame) -> str:
    """Shares of the latest year, and how far they moved over the years shown."""
    known = locations[locations["location_type"] != NOT_RECORDED].dropna(subset=["share"])
    if known.empty:
        return "No violent offence had a location type recorded."
    years = list(dict.fromkeys(known["year"]))
    last = known[known["year"] == years[-1]].sort_values("share", ascending=False)
    rows = list(last.itertuples())
    head = f"{rows[0].location_type.lower()} violence made up {fmt_pct(rows[0].share)}"
    rest = [f"{r.location_type.lower()} violence {fmt_pct(r.share)}" for r in rows[1:]]
    s = f"In {years[-1]}, {head} of violent offences with a recorded location type"
    s += f", {join_names(rest)}." if rest else "."
    if len(years) > 1:
        spread = known.groupby("location_type")["share"].agg(lambda x: x.max() - x.min())
        biggest = spread.idxmax()
        word = number_word_years(len(years))
        if spread.max() < 5:
            s += (
                f" The split has been consistent over the last {word} years: no share moved by "
                f"more than {spread.max():.1f} percentage points."
            )
        else:
            s += (
                f" Over the last {word} years the {biggest.lower()} share moved most, by "
                f"{spread.max():.1f} percentage points between its lowest and highest year."
            )
    return s


def number_word_years(n: int) -> str:
    from helpers.core.narrative import number_word

    return number_word(n)


def fmt_p(p: float) -> str:
    """A p-value for readers: '<0.001', '0.034', or '–' when there is none."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _q(cp: ChangePoint) -> float:
    return cp.q_value if np.isfinite(cp.q_value) else cp.p_value


def trend_sentence(cp: ChangePoint, label: str) -> str:
    """'Stalking and harassment had been rising, but numbers started to decline in March 2021.'"""
    if cp.month is None:
        return f"{label}: {cp.note}, so no change of trend is assessed."
    when = pd.Period(cp.month, freq="M").strftime("%B %Y")
    if not cp.significant:
        return (
            f"{label} shows no clear sustained change of trend after allowing for the "
            f"seasonal pattern (best candidate {when}, p = {fmt_p(_q(cp))})."
        )
    b, a = cp.slope_before, cp.slope_after
    if b > 0 and a < 0:
        core = f"{label} had been rising, but numbers started to decline in {when}"
    elif b < 0 and a > 0:
        core = f"{label} had been falling, but numbers started to rise in {when}"
    elif a > b:
        core = f"{label} {'rose faster' if b >= 0 else 'stopped falling as fast'} from {when}"
    else:
        core = f"{label} {'fell faster' if b <= 0 else 'rose more slowly'} from {when}"
    return (
        f"{core} (about {abs(b):.1f} offences a month {'up' if b >= 0 else 'down'} before, "
        f"{abs(a):.1f} a month {'up' if a >= 0 else 'down'} after; p = {fmt_p(_q(cp))})."
    )


def policeuk_sentences(summary: pd.DataFrame, comparison: str, period_name: str) -> list[str]:
    """Plain sentences for the police.uk-only path: what it shows, and what it cannot."""
    v = summary.set_index("measure").loc[POLICEUK_VIOLENCE]
    return [
        f"police.uk recorded {fmt_int(v['current'])} violence and sexual offences in {period_name}, "
        f"{fmt_pct(v['share_current'])} of all recorded crime (excluding anti-social behaviour).",
        f"Violence and sexual offences {change_words(v['current'], v['previous'], up='rose', down='fell')}"
        f"{_sig_clause(bool(v['significant']))} compared with {comparison}.",
        POLICEUK_CAVEAT,
    ]


# --------------------------------------------------------------------------------------------
# Small shaping helpers for the notebook (gaps, long formats)
# --------------------------------------------------------------------------------------------


def clear_stage_tables(area: str, period: str, stage: str = "03_violence") -> int:
    """Delete this stage's previously saved tables (``reports/<area>/<period>/tables/<stage>__*.csv``).

    A police.uk-only run saves fewer tables than an extract run; clearing first means the panel
    pack never mixes tables from two runs. Returns how many files were removed.
    """
    from helpers.core import paths

    folder = paths.report_dir(area, period) / "tables"
    stage = paths.safe_name(stage, "stage")
    old = sorted(folder.glob(f"{stage}__*.csv")) if folder.is_dir() else []
    for p in old:
        p.unlink()
    return len(old)


def fill_missing_months(series: pd.Series, available) -> tuple[pd.Series, list[str]]:
    """Linearly interpolate the months of ``series`` that the data do not hold.

    Seasonal adjustment and the change-point fit need an unbroken monthly series; a missing
    month is not a month with no crime. Returns the filled series and the list of filled months
    (the notebook states them). Leading/trailing gaps are filled with the nearest value.
    """
    have = set(pd.Series(list(available), dtype="object").astype(str))
    missing = [m for m in series.index if m not in have]
    s = series.astype(float).copy()
    if missing:
        s.loc[missing] = np.nan
        s = s.interpolate(limit_direction="both")
    return s, missing


def monthly_long(wide: pd.DataFrame) -> pd.DataFrame:
    """Wide monthly series -> long ``month``, ``series``, ``offences`` (for saving)."""
    out = wide.reset_index().melt(id_vars="month", var_name="series", value_name="offences")
    return out.sort_values(["series", "month"]).reset_index(drop=True)


def heatmap_long(grid: pd.DataFrame) -> pd.DataFrame:
    """7 x 24 heat-map grid -> long ``day``, ``hour``, ``offences`` (for saving)."""
    out = grid.stack().rename("offences").reset_index()
    out["day"] = pd.Categorical(out["day"], categories=list(DAYS), ordered=True)
    return out.sort_values(["day", "hour"]).astype({"day": str}).reset_index(drop=True)


def change_point_table(points: list[ChangePoint]) -> pd.DataFrame:
    """One row per series: ``series``, ``change_month``, ``slope_before``, ``slope_after``,
    ``p_value``, ``q_value`` (adjusted across the series), ``autocorrelation``,
    ``significant``, ``note``."""
    return pd.DataFrame(
        [
            {
                "series": cp.series,
                "change_month": cp.month,
                "slope_before": cp.slope_before,
                "slope_after": cp.slope_after,
                "p_value": cp.p_value,
                "q_value": cp.q_value,
                "autocorrelation": cp.autocorrelation,
                "significant": cp.significant,
                "note": cp.note or "",
            }
            for cp in points
        ]
    )


def change_test_note(tables: list[pd.DataFrame], alpha: float) -> str:
    """Plain-English method note for a table of changes: the test, the dispersion found in the
    monthly counts (the range across rows with 20 or more offences in each period), the
    adjustment for many rows, the arrow rule and the small-number rule."""
    d = pd.concat([t.loc[~t["small_numbers"], "dispersion"] for t in tables]).dropna()
    if len(d):
        lo, hi = float(d.min()), float(d.max())
        spread = (
            f"by a factor of {lo:.1f}"
            if round(lo, 1) == round(hi, 1)
            else f"by {lo:.1f} to {hi:.1f} times"
        )
        extra = (
            "Each change is tested allowing for how much more the monthly counts vary than a "
            f"simple count of independent events would (here {spread}, estimated from each row's "
            "own months a year apart; never less than a simple count)"
        )
    else:
        extra = "Each change is tested as a change in a count of independent events"
    return (
        f"{extra}, with p-values adjusted across the rows of the table so that no more than "
        f"{alpha * 100:g}% of the changes called significant are expected to be chance "
        "(Benjamini-Hochberg). Arrows and 'significant' appear only for significant changes. "
        f"A % change is not shown when either period has fewer than {S.SMALL_COUNT} offences."
    )
