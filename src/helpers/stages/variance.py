"""Stage 02: how crime moved over the reporting period, and which changes are real.

Inputs are processed tables (docs/architecture.md): the force extract (one row per offence,
Home Office groups and subgroups) when the area has one, otherwise police.uk street crime
(coarser crime types). Either is first turned into :class:`CrimeRecords` with the columns
``month, group, subgroup, is_sac, is_neighbourhood, is_vap`` so the rest of the module does
not care where the data came from.

Public functions
----------------
- :func:`records_from_extract`, :func:`records_from_street`, :func:`choose_records`
- :func:`resolve_baseline` — a named baseline from the area config, or ``"YYYY-MM"``
- :func:`summarise_changes` — change, % change, significance and small-number caveat for a
  table of ``previous``/``current`` counts (used for every table here, and testable on a
  published table such as seed 003's). The stage's default test is quasi-Poisson with each
  row's dispersion from its own monthly counts, Benjamini–Hochberg across the table.
- :func:`change_words` — two counts in words, obeying the small-number rule
- :func:`variance_table` — the full table: all crime, groups, subgroups, composites (serious
  acquisitive crime, neighbourhood crime, violence against the person) and ASB, like-for-like
  when a month is missing, with series-break warnings
- :func:`three_series` — current, previous and a baseline (e.g. pre-COVID) per crime group,
  matched by calendar month
- :func:`baseline_change` — % change of chosen rows (SAC, neighbourhood crime) from a baseline
- :func:`positive_outcome_rates` — share of crimes with a positive police.uk outcome
- :func:`recording_changes`, :func:`series_break_notes` — the documented recording-rule table
- :func:`variance_sentences`, :func:`baseline_sentences`, :func:`outcome_sentences`
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from importlib import resources

import pandas as pd

from helpers.core import narrative as N
from helpers.core.errors import DataFileError, ParameterError, PeriodError
from helpers.core.periods import Coverage, ReportingPeriod, compare_coverage, parse_month
from helpers.core.statistics import (
    P_ADJUST_NAMES,
    SMALL_COUNT,
    TEST_NAMES,
    compare_count_columns,
    pair_dispersion,
)
from helpers.ingest.processed import require_table
from helpers.stages.sources import EXTRACT, choose_source

ALL_CRIME = "All crime"
SAC = "Serious acquisitive crime"
NEIGHBOURHOOD = "Neighbourhood crime"
VAP = "Violence against the person"
ASB = "Anti-social behaviour"
SOURCE_EXTRACT = "force extract"
SOURCE_POLICE_UK = "police.uk"

#: Small-number rule: when either period has fewer crimes than this, the % change is not shown
#: as a headline (a rise from 4 to 9 is "+125%" but means little); the count change still is.
#: Defined once, in :data:`helpers.core.statistics.SMALL_COUNT`.
DEFAULT_MIN_COUNT = SMALL_COUNT

COMPOSITE_FLAGS = {SAC: "is_sac", NEIGHBOURHOOD: "is_neighbourhood", VAP: "is_vap"}
COMPOSITE_DEFINITIONS = {
    SAC: "residential burglary, robbery, theft of and from vehicles and aggravated vehicle taking",
    NEIGHBOURHOOD: "residential burglary, personal robbery, theft from the person and vehicle crime",
    VAP: "homicide, violence with and without injury, stalking and harassment",
}
POLICE_UK_COMPOSITE_CAVEAT = {
    SAC: "police.uk approximation: includes business burglary and business robbery",
    NEIGHBOURHOOD: "police.uk approximation: includes business burglary and business robbery",
}


@dataclass
class CrimeRecords:
    """One row per crime with ``month, group, subgroup, is_sac, is_neighbourhood, is_vap``.

    ``available_months`` are the months the source actually holds (a month with no rows at
    all is treated as missing, not as zero crime). ``has_vap`` is False for police.uk, which
    merges violence against the person with sexual offences.
    """

    data: pd.DataFrame
    source: str
    available_months: list[str]
    has_vap: bool = True
    composite_caveats: dict[str, str] = field(default_factory=dict)


def _require(df: pd.DataFrame | None, cols: list[str], table: str) -> pd.DataFrame:
    return require_table(df, cols, table, allow_empty=True)


def _flag(s: pd.Series) -> pd.Series:
    return s.fillna(False).astype(bool)


def records_from_extract(extract: pd.DataFrame) -> CrimeRecords:
    """Force extract -> records. Group/subgroup are the Home Office offence group/subgroup.

    Rows without an offence group are kept as "Unclassified" so that groups still add up to
    all crime (the cleaning ledger reports them).
    """
    df = _require(
        extract,
        ["month", "offence_group", "offence_subgroup", "is_sac", "is_neighbourhood", "is_vap"],
        "force extract",
    )
    data = pd.DataFrame(
        {
            "month": df["month"].astype(str),
            "group": df["offence_group"].fillna("Unclassified").astype(str),
            "subgroup": df["offence_subgroup"].fillna(df["offence_group"]).fillna("Unclassified"),
            "is_sac": _flag(df["is_sac"]),
            "is_neighbourhood": _flag(df["is_neighbourhood"]),
            "is_vap": _flag(df["is_vap"]),
        }
    )
    months = sorted(data["month"].unique())
    return CrimeRecords(data.reset_index(drop=True), SOURCE_EXTRACT, months, True)


def records_from_street(street: pd.DataFrame) -> CrimeRecords:
    """police.uk street crime (ASB rows dropped) -> records. Subgroup = police.uk crime type.

    ``available_months`` includes months that only hold ASB rows, since a month of police.uk
    data is present or absent as a whole file.
    """
    df = _require(
        street,
        ["month", "crime_type", "crime_group", "is_asb", "is_sac", "is_neighbourhood"],
        "police.uk street",
    )
    months = sorted(df["month"].astype(str).unique())
    crimes = df[~_flag(df["is_asb"])]
    data = pd.DataFrame(
        {
            "month": crimes["month"].astype(str),
            "group": crimes["crime_group"].fillna(crimes["crime_type"]).astype(str),
            "subgroup": crimes["crime_type"].astype(str),
            "is_sac": _flag(crimes["is_sac"]),
            "is_neighbourhood": _flag(crimes["is_neighbourhood"]),
            "is_vap": False,
        }
    )
    return CrimeRecords(
        data.reset_index(drop=True),
        SOURCE_POLICE_UK,
        months,
        False,
        dict(POLICE_UK_COMPOSITE_CAVEAT),
    )


def choose_records(
    extract: pd.DataFrame | None, street: pd.DataFrame | None, source: str = "auto"
) -> CrimeRecords:
    """The crime records stage 02 reads, chosen by the one rule in :mod:`helpers.stages.sources`.

    ``source`` "extract" or "police_uk" forces one (with a clear error if it is absent).
    """
    if choose_source(source, extract, street) == EXTRACT:
        return records_from_extract(extract)
    return records_from_street(street)


def asb_counts_by_month(street: pd.DataFrame | None) -> tuple[pd.Series, list[str]]:
    """ASB incidents per month from police.uk street data, and the months the data hold."""
    if street is None or not len(street):
        return pd.Series(dtype="int64"), []
    df = _require(street, ["month", "is_asb"], "police.uk street")
    months = sorted(df["month"].astype(str).unique())
    asb = df[_flag(df["is_asb"])]["month"].astype(str).value_counts()
    return asb.reindex(months, fill_value=0).astype("int64"), months


def resolve_baseline(value: str, baselines: dict[str, str]) -> ReportingPeriod:
    """A baseline by name from the area config (``analysis.baselines``) or as ``"YYYY-MM"``.

    Returns the 12-month :class:`ReportingPeriod` ending in that month, labelled with the
    name (or "12 months to Mon YYYY").
    """
    text = str(value).strip()
    if text in baselines:
        return ReportingPeriod(baselines[text], 12, text)
    try:
        parse_month(text, "baseline")
    except ParameterError as exc:
        names = ", ".join(repr(n) for n in baselines) or "(none configured)"
        raise ParameterError(
            f"The baseline {value!r} is neither a baseline named in the area config nor a month "
            "YYYY-MM.",
            f"Use one of {names}, or the last month of a 12-month baseline such as 2019-12.",
        ) from exc
    end = pd.Period(text, freq="M")
    return ReportingPeriod(text, 12, f"12 months to {end.strftime('%B %Y')}")


# --------------------------------------------------------------------------- recording changes


def recording_changes() -> pd.DataFrame:
    """The documented table of recording-rule changes (``helpers/data/recording_changes.csv``).

    Columns: ``effective_month`` (first month recorded under the new rule), ``affects`` (list of
    row labels), ``description``, ``source``.
    """
    df = _recording_changes().copy()
    df["affects"] = df["affects"].map(list)
    return df


@functools.lru_cache(maxsize=1)
def _recording_changes() -> pd.DataFrame:
    """The table as read once per process (it ships with the package); callers get copies."""
    with (
        resources.files("helpers")
        .joinpath("data/recording_changes.csv")
        .open(encoding="utf-8") as fh
    ):
        df = pd.read_csv(fh, dtype=str)
    df["affects"] = df["affects"].str.split(";").map(lambda xs: [x.strip() for x in xs])
    return df


def series_break_notes(
    label: str, first_month: str, last_month: str, changes: pd.DataFrame | None = None
) -> list[str]:
    """Warnings for recording changes that fall inside a comparison window for ``label``.

    A change with effective month M breaks a comparison when ``first_month < M <= last_month``
    (some compared months were recorded under the old rule and some under the new).
    """
    table = recording_changes() if changes is None else changes
    out = []
    key = str(label).strip().lower()
    for _, ch in table.iterrows():
        if (
            key in {a.lower() for a in ch["affects"]}
            and first_month < ch["effective_month"] <= last_month
        ):
            when = pd.Period(ch["effective_month"], freq="M").strftime("%B %Y")
            out.append(f"Series break {when}: {ch['description']}.")
    return out


# --------------------------------------------------------------------------- change summary


def summarise_changes(
    counts: pd.DataFrame,
    alpha: float = 0.05,
    method: str = "exact",
    min_count: int = DEFAULT_MIN_COUNT,
    p_adjust: str = "none",
    exposure_ratio: float = 1.0,
) -> pd.DataFrame:
    """Add ``change``, ``pct_change``, ``pct_change_raw``, ``small_numbers`` and test columns.

    ``counts`` needs ``previous`` and ``current`` (whole numbers). ``pct_change`` is blank when
    ``small_numbers`` (either count below ``min_count``) or previous is 0; ``pct_change_raw``
    always holds the arithmetic value. Significance from
    :func:`helpers.core.statistics.compare_count_columns` (``method`` "quasi_poisson", "exact"
    or "z", ``alpha``, ``p_adjust``). For "quasi_poisson" ``counts`` carries ``dispersion`` and
    ``dispersion_df`` columns (from :func:`helpers.core.statistics.pair_dispersion`); without
    them the exact test is used.
    """
    for c in ("previous", "current"):
        if c not in counts.columns:
            raise DataFileError(
                f"The counts table has no {c!r} column.", "Pass columns 'previous' and 'current'."
            )
    bad = counts[(counts["previous"] < 0) | (counts["current"] < 0)]
    if len(bad):
        raise DataFileError(
            f"Negative counts in row(s) {', '.join(map(str, bad.index[:5]))}.",
            "Counts of crime cannot be negative: check the input table.",
        )
    has_phi = "dispersion" in counts.columns and "dispersion_df" in counts.columns
    if has_phi:
        counts = counts.rename(columns={"dispersion": "dispersion_raw"})
    out = compare_count_columns(
        counts,
        "current",
        "previous",
        exposure_ratio,
        alpha,
        method,
        p_adjust,
        "dispersion_raw" if has_phi else None,
        "dispersion_df" if has_phi else None,
    )
    out["change"] = out["current"] - out["previous"]
    prev = out["previous"].astype(float)
    out["pct_change_raw"] = (out["change"] / prev.where(prev > 0)) * 100
    out["small_numbers"] = (out[["previous", "current"]].min(axis=1) < min_count).astype(bool)
    out["pct_change"] = out["pct_change_raw"].where(~out["small_numbers"])
    return out


def _counts(records: CrimeRecords, months: list[str]) -> dict[tuple[str, str], int]:
    d = records.data[records.data["month"].isin(months)]
    out: dict[tuple[str, str], int] = {("total", ALL_CRIME): len(d)}
    for g, n in d["group"].value_counts().items():
        out[("group", g)] = int(n)
    for (g, s), n in d.groupby(["group", "subgroup"]).size().items():
        out[("subgroup", f"{g}\x1f{s}")] = int(n)
    for label, flag in COMPOSITE_FLAGS.items():
        out[("composite", label)] = int(d[flag].sum())
    return out


def _monthly_counts(records: CrimeRecords, months: list[str]) -> dict[tuple[str, str], list[int]]:
    """Like :func:`_counts`, one count per month of ``months`` (in order) for every row key.

    One grouped pass over the months' rows (not one :func:`_counts` per month): the keys are
    those :func:`_counts` gives for any one of the months, each with a count for every month.
    """
    if not months:
        return {}
    d = records.data[records.data["month"].isin(months)]
    month = d["month"].astype(str)
    col = {m: i for i, m in enumerate(months)}
    n = len(months)

    def spread(counts: pd.Series) -> list[int]:
        row = [0] * n
        for m, c in counts.items():
            row[col[m]] += int(c)
        return row

    out: dict[tuple[str, str], list[int]] = {("total", ALL_CRIME): spread(month.value_counts())}
    if isinstance(d["group"].dtype, pd.CategoricalDtype):  # value_counts lists every category
        for g in d["group"].cat.categories:
            out[("group", g)] = [0] * n
    for (m, g), c in d.groupby([month, d["group"]]).size().items():
        out.setdefault(("group", g), [0] * n)[col[m]] += int(c)
    for (m, g, s), c in d.groupby([month, d["group"], d["subgroup"]]).size().items():
        out.setdefault(("subgroup", f"{g}\x1f{s}"), [0] * n)[col[m]] += int(c)
    for label, flag in COMPOSITE_FLAGS.items():
        out[("composite", label)] = spread(d.groupby(month)[flag].sum())
    return out


def _row_order(records: CrimeRecords) -> list[tuple[str, str, str]]:
    """(level, key, group) rows: all crime, each group with its subgroups, composites."""
    d = records.data
    groups = list(d["group"].value_counts().sort_index().index)
    order = _group_order()
    groups.sort(key=lambda g: (order.get(g, 99), g))
    rows = [("total", ALL_CRIME, "")]
    for g in groups:
        rows.append(("group", g, g))
        subs = sorted(d.loc[d["group"] == g, "subgroup"].unique())
        if len(subs) > 1:
            rows += [("subgroup", f"{g}\x1f{s}", g) for s in subs]
    for label in COMPOSITE_FLAGS:
        if label == VAP and not records.has_vap:
            continue
        rows.append(("composite", label, ""))
    return rows


def _group_order() -> dict[str, int]:
    with (
        resources.files("helpers")
        .joinpath("data/home_office_offence_codes.csv")
        .open(encoding="utf-8") as fh
    ):
        ho = pd.read_csv(fh, dtype=str)
    names = list(dict.fromkeys(ho["offence_group"]))
    with (
        resources.files("helpers")
        .joinpath("data/police_uk_crime_types.csv")
        .open(encoding="utf-8") as fh
    ):
        pu = pd.read_csv(fh, dtype=str)
    names += [g for g in dict.fromkeys(pu["crime_group"]) if g not in names]
    return {n: i for i, n in enumerate(names)}


@dataclass
class VarianceResult:
    """The variance table and everything a reader needs to trust it.

    ``table`` columns: ``level`` (total | group | subgroup | composite | asb), ``label``,
    ``group``, ``previous``, ``current``, ``change``, ``pct_change`` (blank when small),
    ``pct_change_raw``, ``small_numbers``, ``p_value``, ``z``, ``rate_ratio``, ``ratio_low``,
    ``ratio_high``, ``significant``, ``direction``, ``share_of_all`` (% of all crime, current),
    ``series_break`` (warning text or ""), ``caveat`` (text or "").
    """

    table: pd.DataFrame
    source: str
    period: ReportingPeriod
    previous: ReportingPeriod
    coverage: Coverage
    current_months: list[str]
    previous_months: list[str]
    alpha: float
    method: str
    min_count: int
    asb_coverage: Coverage | None = None
    notes: list[str] = field(default_factory=list)
    p_adjust: str = "none"

    @property
    def like_for_like(self) -> bool:
        return not self.coverage.complete

    @property
    def test_name(self) -> str:
        return TEST_NAMES[self.method]

    @property
    def adjustment_name(self) -> str:
        return P_ADJUST_NAMES[self.p_adjust]

    def dispersion_range(self) -> tuple[float, float] | None:
        """Smallest and largest dispersion used (at least 1) among rows with 20 or more crimes in
        each period (``None`` when the test did not use one)."""
        t = self.table
        if self.method != "quasi_poisson" or "dispersion" not in t.columns:
            return None
        d = t.loc[~t["small_numbers"], "dispersion"].dropna()
        return (float(d.min()), float(d.max())) if len(d) else None

    def dispersion_note(self) -> str:
        """Plain-English statement of the dispersion found, for the note beside the table."""
        spread = self.dispersion_range()
        if spread is None:
            return ""
        lo, hi = spread
        if round(hi, 1) <= 1.0:
            size = "no more than a simple count of independent events would"
        elif round(lo, 1) <= 1.0:
            size = (
                f"from no more than a simple count of independent events would, up to {hi:.1f} "
                "times as much"
            )
        else:
            size = (
                f"{lo:.1f} to {hi:.1f} times as much as a simple count of independent events would"
            )
        return (
            f"Month to month, the rows' counts vary {size} (repeat victims, series offences, "
            "recording drives); each row's test allows for its own figure."
        )


def _check_period_in_data(available: list[str], period: ReportingPeriod, what: str) -> None:
    have = set(available)
    if not any(m in have for m in period.month_list):
        span = f"{min(available)} to {max(available)}" if available else "no months"
        raise PeriodError(
            f"The {what} ({period.name}) is outside the data, which cover {span}.",
            "Choose a period whose months the data hold, or add the missing data and re-run "
            "the cleaning stage.",
        )


def variance_table(
    records: CrimeRecords,
    period: ReportingPeriod,
    previous: ReportingPeriod | None = None,
    street: pd.DataFrame | None = None,
    alpha: float = 0.05,
    method: str = "quasi_poisson",
    min_count: int = DEFAULT_MIN_COUNT,
    p_adjust: str = "fdr_bh",
    changes: pd.DataFrame | None = None,
) -> VarianceResult:
    """Previous v current counts per row, like-for-like when months are missing.

    The default test is quasi-Poisson: each row's dispersion (how much more its monthly counts
    vary than a Poisson count would, after the month of year and the change itself) is
    estimated from the like-for-like month pairs (:func:`helpers.core.statistics.pair_dispersion`)
    and the change is tested against it; p-values are then adjusted across the whole table by
    Benjamini–Hochberg, so "significant" controls the share of false discoveries at ``alpha``.
    Columns ``dispersion`` (phi used, at least 1) and ``dispersion_raw`` (the estimate) are
    added.

    When either period lacks a month, both are cut to the calendar months both hold
    (:func:`helpers.core.periods.compare_coverage`) and ``notes`` says so: an 11-month period is
    never compared with a 12-month one. ASB comes from ``street`` (police.uk) with its own
    coverage check, and is never added into all crime. Groups are checked to add up to all
    crime; a mismatch raises :class:`DataFileError`.
    """
    previous = previous or period.previous()
    if previous.months != period.months:
        raise ParameterError(
            f"The comparison period has {previous.months} months but the reporting period has "
            f"{period.months}.",
            "Compare periods of the same length.",
        )
    _check_period_in_data(records.available_months, period, "reporting period")
    _check_period_in_data(records.available_months, previous, "comparison period")
    cov = compare_coverage(records.available_months, period, previous)
    cur_m = [period.month_list[i] for i in cov.like_for_like_offsets]
    prev_m = [previous.month_list[i] for i in cov.like_for_like_offsets]
    if not cur_m:
        raise PeriodError(
            f"No calendar month is present in both {period.name} and {previous.name}.",
            "Choose a period the data cover in both years.",
        )
    cur, prev = _counts(records, cur_m), _counts(records, prev_m)
    cur_mon, prev_mon = _monthly_counts(records, cur_m), _monthly_counts(records, prev_m)
    zeros = [0] * len(cur_m)
    rows = []
    for level, key, group in _row_order(records):
        label = key.split("\x1f")[-1]
        phi, dof = pair_dispersion(
            [cur_mon.get((level, key), zeros)], [prev_mon.get((level, key), zeros)]
        )
        rows.append(
            {
                "level": level,
                "label": label,
                "group": group,
                "previous": prev.get((level, key), 0),
                "current": cur.get((level, key), 0),
                "dispersion": float(phi[0]),
                "dispersion_df": float(dof[0]),
            }
        )
    counts = _dedupe_composites(pd.DataFrame(rows))
    _check_adds_up(counts, records.source)

    notes = []
    asb_cov = None
    asb_by_month, asb_months = asb_counts_by_month(street)
    if asb_months:
        asb_cov = compare_coverage(asb_months, period, previous)
        a_cur = [period.month_list[i] for i in asb_cov.like_for_like_offsets]
        a_prev = [previous.month_list[i] for i in asb_cov.like_for_like_offsets]
        if a_cur:
            a_c = asb_by_month.reindex(a_cur, fill_value=0).to_numpy()
            a_p = asb_by_month.reindex(a_prev, fill_value=0).to_numpy()
            phi, dof = pair_dispersion([a_c], [a_p])
            counts.loc[len(counts)] = {
                "level": "asb",
                "label": ASB,
                "group": "",
                "previous": int(a_p.sum()),
                "current": int(a_c.sum()),
                "dispersion": float(phi[0]),
                "dispersion_df": float(dof[0]),
            }
            if not asb_cov.complete:
                notes.append("Anti-social behaviour (police.uk): " + asb_cov.message())
    else:
        notes.append("No police.uk data, so anti-social behaviour is not shown.")

    out = summarise_changes(counts, alpha, method, min_count, p_adjust)
    total_cur = cur[("total", ALL_CRIME)]
    out["share_of_all"] = (out["current"] / total_cur * 100).where(
        out["level"].isin(["total", "group", "subgroup", "composite"]) & (total_cur > 0)
    )
    first, last = min(prev_m), max(cur_m)
    out["series_break"] = [
        " ".join(series_break_notes(lab, first, last, changes)) for lab in out["label"]
    ]
    caveats = []
    for _, r in out.iterrows():
        parts = []
        if r["small_numbers"]:
            parts.append(
                f"Small numbers (under {min_count} in a period): change shown as a count only"
            )
        if r["level"] == "composite" and r["label"] in records.composite_caveats:
            parts.append(records.composite_caveats[r["label"]])
        if r["level"] == "asb":
            parts.append("Incidents, not crimes (police.uk); not included in all crime")
        caveats.append("; ".join(parts))
    out["caveat"] = caveats
    if cov.message():
        notes.insert(0, cov.message())
    if not records.has_vap:
        notes.append(
            "police.uk merges violence against the person with sexual offences, so violence "
            "against the person cannot be shown on its own."
        )
    return VarianceResult(
        out,
        records.source,
        period,
        previous,
        cov,
        cur_m,
        prev_m,
        alpha,
        method,
        min_count,
        asb_cov,
        notes,
        p_adjust,
    )


def _dedupe_composites(counts: pd.DataFrame) -> pd.DataFrame:
    """Drop a composite that repeats a group row exactly (VAP usually equals its group);
    if it differs (e.g. a force flags more offences as VAP) keep it, relabelled."""
    keep = []
    for _, r in counts.iterrows():
        if r["level"] == "composite":
            same = counts[(counts["level"] == "group") & (counts["label"] == r["label"])]
            if len(same):
                g = same.iloc[0]
                if (g["previous"], g["current"]) == (r["previous"], r["current"]):
                    continue
                r = r.copy()
                r["label"] = f"{r['label']} (composite)"
        keep.append(r)
    return pd.DataFrame(keep).reset_index(drop=True)


def _check_adds_up(counts: pd.DataFrame, source: str) -> None:
    for period in ("previous", "current"):
        total = int(counts.loc[counts["level"] == "total", period].sum())
        groups = int(counts.loc[counts["level"] == "group", period].sum())
        if groups != total:
            raise DataFileError(
                f"The {source} crime groups add up to {groups:,} in the {period} period but all "
                f"crime is {total:,}.",
                "Some rows have no crime group: check the offence classification in the cleaning "
                "stage.",
            )
        for g in counts.loc[counts["level"] == "group", "label"]:
            subs = counts[(counts["level"] == "subgroup") & (counts["group"] == g)]
            if len(subs):
                gtot = int(
                    counts.loc[(counts["level"] == "group") & (counts["label"] == g), period].iloc[
                        0
                    ]
                )
                if int(subs[period].sum()) != gtot:
                    raise DataFileError(
                        f"The subgroups of {g!r} add up to {int(subs[period].sum()):,} in the "
                        f"{period} period but the group is {gtot:,}.",
                        "Check the offence subgroup classification in the cleaning stage.",
                    )


# --------------------------------------------------------------------------- baseline views


@dataclass
class ThreeSeries:
    """Current, previous and baseline counts per row over calendar months all three hold.

    ``table`` columns: ``level``, ``label``, ``group``, ``baseline``, ``previous``,
    ``current`` (baseline blank when the data do not reach back to it), and
    ``baseline_dispersion`` / ``baseline_dispersion_df`` (the dispersion of the current
    months against the same calendar months of the baseline, for the quasi-Poisson test of the
    change from the baseline). ``current_months``,
    ``previous_months`` and ``baseline_months`` are the months counted, matched by month of
    year (the i-th of each is the same calendar month).
    """

    table: pd.DataFrame
    baseline: ReportingPeriod
    offsets: list[int]
    baseline_available: bool
    notes: list[str]
    current_months: list[str] = field(default_factory=list)
    previous_months: list[str] = field(default_factory=list)
    baseline_months: list[str] = field(default_factory=list)


def _same_calendar_month(month: str, window: list[str]) -> str | None:
    """The month of ``window`` with the same month of year as ``month`` (None if none, or if
    the window holds that month of year more than once)."""
    moy = month[5:7]
    hits = [m for m in window if m[5:7] == moy]
    return hits[0] if len(hits) == 1 else None


def three_series(
    records: CrimeRecords,
    period: ReportingPeriod,
    baseline: ReportingPeriod,
    previous: ReportingPeriod | None = None,
) -> ThreeSeries:
    """Counts per group, composite and all crime for current, previous and a baseline year.

    Like-for-like across all three **by calendar month**: a month of the current period is kept
    only when the data hold it, the same month of year in the previous period and the same month
    of year in the baseline. (Matching by position would compare April with January when the
    reporting year is a financial year and the baseline a calendar year, so a missing month
    would drop the wrong baseline month and a seasonal series would show a change that is not
    there.) A baseline can only be matched month by month for a period of at most 12 months;
    for a longer period, or when the data hold no month of the baseline, the baseline column
    is blank and a note says why (the chart then shows two series).
    """
    previous = previous or period.previous()
    have = set(records.available_months)
    base_window = baseline.month_list
    base_ok = any(m in have for m in base_window)
    notes = []
    if base_ok and period.months > 12:
        base_ok = False
        notes.append(
            f"The baseline ({baseline.label or baseline.name}) is a single year, so it cannot be "
            f"set month by month against a {period.months}-month period; it is not shown."
        )
    elif not base_ok:
        notes.append(
            f"The data do not reach back to the baseline ({baseline.label or baseline.name}: "
            f"{baseline.name}), so it is not shown."
        )
    year_apart = (pd.Period(period.end, freq="M") - pd.Period(previous.end, freq="M")).n % 12 == 0
    offsets, cur_m, prev_m, base_m = [], [], [], []
    for i, m in enumerate(period.month_list):
        # previous: the same calendar month when the periods are whole years apart, else the
        # same position (a sequential comparison of two different stretches of months)
        p = _same_calendar_month(m, previous.month_list) if year_apart else previous.month_list[i]
        b = _same_calendar_month(m, base_window) if base_ok else None
        if m not in have or p is None or p not in have:
            continue
        if base_ok and (b is None or b not in have):
            continue
        offsets.append(i)
        cur_m.append(m)
        prev_m.append(p)
        if base_ok:
            base_m.append(b)
    if base_ok and len(offsets) < period.months:
        notes.append(
            f"Only {len(offsets)} of {period.months} calendar months are present in all three "
            "periods; all three are shown over those months."
        )
    cur = _counts(records, cur_m)
    prev = _counts(records, prev_m)
    base = _counts(records, base_m) if base_ok else {}
    cur_mon = _monthly_counts(records, cur_m)
    base_mon = _monthly_counts(records, base_m) if base_ok else {}
    zeros = [0] * len(cur_m)
    rows = []
    order = _row_order(records)
    group_labels = {k for lv, k, _ in order if lv == "group"}
    for level, key, group in order:
        if level == "subgroup" or (level == "composite" and key in group_labels):
            continue
        rows.append(
            {
                "level": level,
                "label": key,
                "group": group,
                "baseline": base.get((level, key), 0) if base_ok else float("nan"),
                "previous": prev.get((level, key), 0),
                "current": cur.get((level, key), 0),
            }
        )
        phi, dof = (
            pair_dispersion([cur_mon.get((level, key), zeros)], [base_mon.get((level, key), zeros)])
            if base_ok
            else ([float("nan")], [float("nan")])
        )
        rows[-1]["baseline_dispersion"] = float(phi[0])
        rows[-1]["baseline_dispersion_df"] = float(dof[0])
    return ThreeSeries(pd.DataFrame(rows), baseline, offsets, base_ok, notes, cur_m, prev_m, base_m)


def baseline_change(
    series: ThreeSeries,
    labels: tuple[str, ...] = (SAC, NEIGHBOURHOOD),
    alpha: float = 0.05,
    method: str = "quasi_poisson",
    min_count: int = DEFAULT_MIN_COUNT,
    p_adjust: str = "fdr_bh",
) -> pd.DataFrame:
    """% change of ``labels`` rows from the baseline to the current period, with a test.

    Columns: ``label``, ``baseline``, ``current``, ``change``, ``pct_change``,
    ``pct_change_raw``, ``small_numbers``, ``p_value``, ``significant``, ``direction``,
    ``dispersion``. The test is as in :func:`variance_table` (quasi-Poisson on the matched
    calendar months, Benjamini–Hochberg across ``labels``). Empty when the baseline is not in
    the data.
    """
    t = series.table
    t = t[t["label"].isin(labels)]
    if not series.baseline_available or t.empty:
        return pd.DataFrame(columns=["label", "baseline", "current", "change", "pct_change"])
    counts = pd.DataFrame(
        {
            "label": t["label"],
            "previous": t["baseline"].astype("int64"),
            "current": t["current"],
            "dispersion": t["baseline_dispersion"],
            "dispersion_df": t["baseline_dispersion_df"],
        }
    ).reset_index(drop=True)
    out = summarise_changes(counts, alpha, method, min_count, p_adjust)
    return out.rename(columns={"previous": "baseline"})


# --------------------------------------------------------------------------- outcomes


def positive_outcome_rates(
    street: pd.DataFrame | None,
    outcomes: pd.DataFrame | None,
    periods: dict[str, list[str]],
) -> pd.DataFrame:
    """Share of crimes recorded in each period that have a positive outcome (police.uk).

    A crime counts as positive when any outcome for its ``crime_id`` in the outcomes file has
    ``is_positive`` (charge/summons, caution, community resolution, penalty notice, ...).
    Columns: ``period``, ``crimes`` (with a crime ID), ``positive``, ``rate`` (%),
    ``without_id`` (crimes with no ID, left out). Caveat: the most recent crimes have had the
    least time to reach an outcome, so the current period's rate is understated against the
    previous one's; outcomes published after the data were downloaded are missing.
    """
    if street is None or outcomes is None or not len(street):
        return pd.DataFrame(columns=["period", "crimes", "positive", "rate", "without_id"])
    _require(street, ["crime_id", "month", "is_asb"], "police.uk street")
    _require(outcomes, ["crime_id", "is_positive"], "police.uk outcomes")
    crimes = street[~_flag(street["is_asb"])]
    positive_ids = set(
        outcomes.loc[_flag(outcomes["is_positive"]), "crime_id"].dropna().astype(str)
    )
    rows = []
    for name, months in periods.items():
        c = crimes[crimes["month"].astype(str).isin(months)]
        ids = c["crime_id"].dropna().astype(str)
        ids = ids[ids != ""].unique()
        n_pos = sum(1 for i in ids if i in positive_ids)
        rows.append(
            {
                "period": name,
                "crimes": len(ids),
                "positive": n_pos,
                "rate": (n_pos / len(ids) * 100) if len(ids) else float("nan"),
                "without_id": int(len(c) - c["crime_id"].notna().sum()),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- sentences


def _lc(label: str) -> str:
    """Label for the middle of a sentence: 'Public order offences' -> 'public order offences'."""
    words = str(label).split(" ")
    if words and not words[0].isupper():
        words[0] = words[0][:1].lower() + words[0][1:]
    return " ".join(words)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _leaf_rows(t: pd.DataFrame) -> pd.DataFrame:
    """Subgroups, plus groups that have no subgroup rows (the finest level shown)."""
    with_subs = set(t.loc[t["level"] == "subgroup", "group"])
    return t[(t["level"] == "subgroup") | ((t["level"] == "group") & ~t["label"].isin(with_subs))]


def _list_sentence(names: list[str], kind: str) -> str:
    names = [_lc(n) for n in names]
    if not names:
        return f"There are no statistically significant {kind}s."
    if len(names) == 1:
        return f"{_cap(names[0])} is the only statistically significant {kind}."
    if len(names) > 3:
        return (
            f"{_cap(N.number_word(len(names)))} categories show a statistically significant "
            f"{kind}; the largest (in number of crimes) are {N.join_names(names[:3])}."
        )
    return (
        f"{_cap(N.join_names(names))} are the only {N.number_word(len(names))} statistically "
        f"significant {kind}s."
    )


def change_words(
    current,
    previous,
    min_count: int = DEFAULT_MIN_COUNT,
    up: str = "increased",
    down: str = "fell",
) -> str:
    """'increased by 5.2%' — or, under the small-number rule, 'rose from 1 to 5' (no %).

    The one place a sentence turns two counts into words, so the small-number rule holds in
    sentences as it does in tables.
    """
    if min(current, previous) < min_count:
        if current == previous:
            return f"did not change ({N.fmt_int(current)} in each period)"
        word = up if current > previous else down
        return f"{word} from {N.fmt_int(previous)} to {N.fmt_int(current)}"
    return N.change_phrase(current, previous, up=up, down=down)


def variance_sentences(result: VarianceResult, window: str | None = None) -> list[str]:
    """Plain-English sentences in the seeds' style, every number taken from ``result``."""
    t = result.table
    window = (
        window
        or f"the {len(result.current_months)} months to {pd.Period(result.period.end, freq='M').strftime('%B %Y')}"
    )
    out = []
    allc = t[t["level"] == "total"].iloc[0]
    sig = (
        "a statistically significant change"
        if allc["significant"]
        else "within the range expected from year-to-year chance variation"
    )
    out.append(
        f"The overall crime figure "
        f"{change_words(allc['current'], allc['previous'], result.min_count)} during "
        f"{window} ({N.fmt_int(allc['previous'])} to {N.fmt_int(allc['current'])} crimes), {sig}."
    )
    groups = t[t["level"] == "group"].sort_values("current", ascending=False)
    if len(groups) and allc["current"] > 0:
        top = groups.iloc[0]
        out.append(
            f"{_cap(_lc(top['label']))} accounts for {N.fmt_pct(top['share_of_all'])} of recorded "
            "crime, making it the most significant category."
        )
    leaves = _leaf_rows(t)
    inc = leaves[leaves["direction"] == "increase"].sort_values("change", ascending=False)
    dec = leaves[leaves["direction"] == "decrease"].sort_values("change")
    out.append(_list_sentence(list(inc["label"]), "increase"))
    out.append(_list_sentence(list(dec["label"]), "decrease"))
    asb = t[t["level"] == "asb"]
    if len(asb):
        a = asb.iloc[0]
        out.append(
            f"Anti-social behaviour incidents recorded by the police "
            f"{change_words(a['current'], a['previous'], result.min_count)} over the same period "
            f"({N.fmt_int(a['previous'])} to {N.fmt_int(a['current'])})."
        )
    small = int(t["small_numbers"].sum())
    if small:
        out.append(
            f"{_cap(N.number_word(small))} {'category has' if small == 1 else 'categories have'} "
            f"fewer than {result.min_count} crimes in a period, so {'its' if small == 1 else 'their'} "
            "change is given as a count, not a percentage."
        )
    breaks = t[t["series_break"] != ""]
    if len(breaks):
        out.append(
            "Recording-rule changes fall inside this comparison for "
            f"{N.join_names([_lc(x) for x in breaks['label']])}, so part of the change may reflect "
            "how crimes are counted rather than how many happened."
        )
    return out


def baseline_sentences(
    change: pd.DataFrame, series: ThreeSeries, period: ReportingPeriod
) -> list[str]:
    """'There were 871 neighbourhood crimes in the 12 months to March 2022, compared with ...'."""
    out = []
    end = pd.Period(period.end, freq="M").strftime("%B %Y")
    base_period = series.baseline.name
    for _, r in change.iterrows():
        pct = r["pct_change"]
        how = (
            f"a change of {N.fmt_pct(pct, signed=True)}"
            if not (isinstance(pct, float) and math.isnan(pct))
            else f"a change of {int(r['change']):+,} crimes"
        )
        sig = " (statistically significant)" if r.get("significant", False) else ""
        out.append(
            f"There were {N.fmt_int(r['current'])} {_lc(r['label'])} offences in the "
            f"{len(series.offsets)} months to {end}, compared with {N.fmt_int(r['baseline'])} in "
            f"the baseline period, {base_period}: {how}{sig}."
        )
    return out


def outcome_sentences(rates: pd.DataFrame) -> list[str]:
    """'14.1% of crimes recorded in ... have a positive outcome, up from 11.8% ...'."""
    if len(rates) < 2 or rates["rate"].isna().any():
        return []
    cur, prev = rates.iloc[0], rates.iloc[1]
    diff = cur["rate"] - prev["rate"]
    word = "up from" if diff > 0.05 else ("down from" if diff < -0.05 else "about the same as")
    return [
        f"{N.fmt_pct(cur['rate'])} of crimes recorded in {cur['period']} have a positive outcome "
        f"so far ({N.fmt_int(cur['positive'])} of {N.fmt_int(cur['crimes'])}), {word} "
        f"{N.fmt_pct(prev['rate'])} for {prev['period']}."
    ]
