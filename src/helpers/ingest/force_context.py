"""National and force context: the area's force among all forces of England and Wales.

Seed 000 places the area in context ("the crime rate for England and Wales as 89.5, with numbers
ranging from West Yorkshire at 126.7 to Gloucestershire at 61.2; the figure for Northamptonshire as
a whole was 83.8"). Those figures come from the Home Office *police recorded crime by police force
area* open-data table, which has the same shape as the CSP table: one sheet per financial year
(``2019_20``) with a few title lines, then a header row with ``Financial Year``, ``Financial
Quarter``, ``Force Name``, ``Offence Description``, ``Offence Group``, ``Offence Subgroup``,
``Offence Code`` and ``Number of Offences`` (the count column's name changes between years).

* :func:`read_home_office_pfa` reads the table as published (XLSX, ODS or CSV) into tidy rows.
* :func:`read_force_population` reads ``force_name, year, population`` (ONS mid-year estimates).
* :func:`force_rates` gives every force's recorded crime per 1,000 residents over the 12 months
  ending at a quarter end, the England and Wales rate, and each force's rank.

Config keys: ``sources.home_office_pfa`` and ``sources.force_population``.

Caveats: rows with no resident population (British Transport Police, Action Fraud and the other
national fraud bodies) are left out of the rates, so the England and Wales figure excludes fraud
and crime on the railways. The population is the mid-year estimate for the year in which the
12 months' middle falls (mid-2019 for the year to March 2020), the ONS's convention.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.core.errors import DataFileError, ParameterError
from helpers.core.periods import parse_month
from helpers.ingest import loading

ALIASES = {
    "financial year": "financial_year",
    "financial quarter": "quarter",
    "force name": "force_name",
    "police force area": "force_name",
    "police force": "force_name",
    "offence description": "offence_description",
    "offence group": "offence_group",
    "offence subgroup": "offence_subgroup",
    "offence code": "offence_code",
    "number of offences": "count",
    "offence count": "count",
    "number of crimes": "count",
}
REQUIRED = ("financial_year", "quarter", "force_name", "count")
FY = re.compile(r"^(\d{4})/(\d{2})$")
# Rows that are not a police force area with residents: counted nationally, never in a rate.
NO_RESIDENTS = (
    "british transport police",
    "action fraud",
    "cifas",
    "uk finance",
    "financial fraud action",
)


def _tidy(raw: pd.DataFrame, label: str) -> pd.DataFrame:
    df, h = loading.header_table(
        raw,
        label,
        {"force name", "police force area"},
        ALIASES,
        REQUIRED,
        "Home Office 'police recorded crime by police force area' open-data table",
        "Force Name",
    )
    df["source_row"] = [h + 2 + i for i in range(len(df))]  # 1-based spreadsheet row
    df = df.dropna(how="all", subset=[c for c in df.columns if c != "source_row"])
    out = pd.DataFrame(
        {
            "financial_year": df["financial_year"].astype("string").str.strip(),
            "quarter": pd.to_numeric(df["quarter"], errors="coerce"),
            "force_name": df["force_name"].astype("string").str.strip(),
            "offence_group": df["offence_group"].astype("string").str.strip()
            if "offence_group" in df
            else pd.Series(pd.NA, index=df.index, dtype="string"),
            "count": pd.to_numeric(df["count"], errors="coerce"),
            "source_row": df["source_row"],
        }
    )
    checks = [
        (~out["financial_year"].fillna("").str.match(FY.pattern), "financial year", "e.g. 2019/20"),
        (~out["quarter"].isin([1, 2, 3, 4]), "financial quarter", "1, 2, 3 or 4"),
        (out["force_name"].fillna("").eq(""), "force name", "the force's name"),
        (out["count"].isna() | (out["count"] % 1 != 0) | (out["count"] < 0), "count", "a whole number"),
    ]  # fmt: skip
    for bad, what, want in checks:
        if bad.any():
            row = out.loc[bad].iloc[0]
            col = {"financial year": "financial_year", "financial quarter": "quarter",
                   "force name": "force_name", "count": "count"}[what]  # fmt: skip
            given = df.loc[bad[bad].index[0], col]
            raise DataFileError(
                f"{label}, row {int(row['source_row'])}: the {what} is "
                f"{'empty' if pd.isna(given) else repr(str(given))} "
                f"({int(bad.sum())} row(s) like this).",
                f"It should be {want}; re-download the Home Office table if it was edited.",
            )
    out["quarter"] = out["quarter"].astype("int64")
    out["count"] = out["count"].astype("int64")
    out["source"] = label
    return out.reset_index(drop=True)


def read_home_office_pfa(path: str | Path) -> pd.DataFrame:
    """Every row of the police force area table (all sheets): ``financial_year`` (2019/20),
    ``quarter`` (1-4), ``force_name``, ``offence_group``, ``count``, ``source``, ``source_row``."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(
            f"The Home Office police force area table {path} does not exist.",
            "Check 'sources.home_office_pfa' in the area config.",
        )
    suffix = path.suffix.lower()
    if suffix == ".csv":
        from helpers.ingest.loading import decode_bytes

        text, _ = decode_bytes(path.read_bytes(), path.name)
        # blank lines are kept, so row numbers in messages are the file's line numbers
        recs = [r or [""] for r in csv.reader(io.StringIO(text, newline=""))]
        if not any(any(c.strip() for c in r) for r in recs):
            raise DataFileError(f"{path.name} is empty.", "Download the Home Office table again.")
        width = max(len(r) for r in recs)
        raw = pd.DataFrame([r + [""] * (width - len(r)) for r in recs], dtype=object)
        return _tidy(raw.replace("", pd.NA), path.name)
    frames = [_tidy(s, f"{path.name}, sheet {n}") for n, s in loading.financial_year_sheets(path)]
    return pd.concat(frames, ignore_index=True)


def read_force_population(path: str | Path) -> pd.DataFrame:
    """``force_name, year, population`` (mid-year estimates), checked."""
    from helpers.ingest.loading import read_small_csv

    df = read_small_csv(Path(path), ["force_name", "year", "population"], "force population")
    out = pd.DataFrame(
        {
            "force_name": df["force_name"].astype(str).str.strip(),
            "year": pd.to_numeric(df["year"], errors="coerce"),
            "population": pd.to_numeric(df["population"], errors="coerce"),
        }
    )
    bad = out["year"].isna() | out["population"].isna() | (out["population"] <= 0)
    if bad.any():
        i = int(bad.to_numpy().argmax())
        raise DataFileError(
            f"{Path(path).name}, row {i + 2}: year {df['year'].iloc[i]!r} or population "
            f"{df['population'].iloc[i]!r} is not a usable number.",
            "Give the year as e.g. 2019 and the population as a whole number above 0.",
        )
    return out.astype({"year": "int64", "population": "int64"})


def quarters_ending(period: str) -> list[tuple[str, int]]:
    """The four financial quarters making up the 12 months to ``period`` (a quarter's last
    month: March, June, September or December), oldest first."""
    end = parse_month(period, "period")
    if end.month not in (3, 6, 9, 12):
        raise ParameterError(
            f"The Home Office tables count by financial quarter, so the 12 months must end in "
            f"March, June, September or December, not {end.strftime('%B %Y')}.",
            "Choose a period ending at a quarter end (e.g. 2019-12 or 2020-03).",
        )
    out = []
    for back in (9, 6, 3, 0):
        m = end - back
        start = m.year if m.month >= 4 else m.year - 1
        q = {6: 1, 9: 2, 12: 3, 3: 4}[m.month]
        out.append((f"{start}/{(start + 1) % 100:02d}", q))
    return out


@dataclass
class ForceRates:
    """Every force's rate for the 12 months to ``period``, and England and Wales."""

    period: str
    table: pd.DataFrame  # force_name, count, population, rate, rank (1 = lowest rate)
    ew_count: int
    ew_population: int
    population_year: int
    left_out: list[str] = field(default_factory=list)  # forces without residents or data

    @property
    def ew_rate(self) -> float:
        return self.ew_count / self.ew_population * 1000.0

    def force(self, name: str) -> pd.Series:
        hit = self.table[self.table["force_name"].str.casefold() == name.casefold()]
        if hit.empty:
            raise DataFileError(
                f"The police force area table has no rates for {name!r}.",
                "Check 'force.name' in the area config matches the table's Force Name.",
            )
        return hit.iloc[0]


def force_rates(pfa: pd.DataFrame, population: pd.DataFrame, period: str) -> ForceRates:
    """Recorded crime per 1,000 residents for every force over the 12 months to ``period``.

    A force needs all four quarters and a population; others are listed in ``left_out``.
    England and Wales = the sum of the forces' counts over the sum of their populations.
    Rank 1 is the lowest rate (ties share the better rank).
    """
    quarters = quarters_ending(period)
    end = parse_month(period, "period")
    keep = pd.Series(False, index=pfa.index)
    for fy, q in quarters:
        keep |= (pfa["financial_year"] == fy) & (pfa["quarter"] == q)
    rows = pfa[keep]
    if rows.empty:
        raise DataFileError(
            f"The police force area table has no rows for the 12 months to {end.strftime('%B %Y')}.",
            "Use a table that covers the period (the Home Office publishes it every quarter).",
        )
    no_res = rows["force_name"].str.casefold().str.startswith(NO_RESIDENTS)
    left_out = sorted(set(rows.loc[no_res, "force_name"]))
    rows = rows[~no_res]
    have = rows.groupby("force_name")[["financial_year", "quarter"]].apply(
        lambda g: len(set(zip(g["financial_year"], g["quarter"], strict=True)))
    )
    complete = have[have == 4].index
    left_out += sorted(set(have.index) - set(complete))
    counts = rows[rows["force_name"].isin(complete)].groupby("force_name")["count"].sum()
    return _rates(counts, population, period, left_out)


def _rates(counts: pd.Series, population: pd.DataFrame, period: str, left_out: list[str]):
    """Force counts (index force name) -> :class:`ForceRates` with the mid-year population."""
    year = (parse_month(period, "period") - 6).year  # the mid-year inside the 12 months (ONS)
    years = population[population["year"] <= year]
    if years.empty:
        raise DataFileError(
            f"The force population file has no year up to {year}.",
            f"Add mid-{year} population estimates for every force.",
        )
    pop_year = int(years["year"].max())
    pop = years[years["year"] == pop_year].groupby("force_name")["population"].sum()
    pop.index = pop.index.str.casefold()
    t = pd.DataFrame({"force_name": counts.index.astype(str), "count": counts.to_numpy()})
    t["population"] = t["force_name"].str.casefold().map(pop)
    left_out = [*left_out, *sorted(t.loc[t["population"].isna(), "force_name"])]
    t = t.dropna(subset=["population"]).copy()
    if t.empty:
        raise DataFileError(
            "No force in the crime table has a population in the force population file.",
            "Check the force names match (e.g. 'Kent Police' in both).",
        )
    t["population"] = t["population"].astype("int64")
    t["count"] = t["count"].astype("int64")
    t["rate"] = t["count"] / t["population"] * 1000.0
    t["rank"] = t["rate"].round(1).rank(method="min").astype("int64")
    t = t.sort_values(["rate", "force_name"]).reset_index(drop=True)
    return ForceRates(
        period=period,
        table=t,
        ew_count=int(t["count"].sum()),
        ew_population=int(t["population"].sum()),
        population_year=pop_year,
        left_out=left_out,
    )


def force_rates_from_street(
    street: str | Path | pd.DataFrame, population: pd.DataFrame, period: str
) -> ForceRates:
    """The same figures from a national police.uk download cleaned by ``scrutiny clean-national``.

    ``street`` is its ``street.parquet`` (or the frame): crimes (anti-social behaviour left out)
    by ``falls_within`` over the 12 months to ``period`` (any month). A force needs all 12 months
    to be rated; others are named in ``left_out``. Caveat: police.uk counts are not the Home Office
    table's (later recording, different cut-off dates), so the two never agree exactly.
    """
    from helpers.core.periods import ReportingPeriod

    months = ReportingPeriod(str(parse_month(period, "period"))).month_list
    if isinstance(street, pd.DataFrame):
        df = street[["falls_within", "month", "is_asb"]]
    else:
        df = pd.read_parquet(
            street,
            columns=["falls_within", "month", "is_asb"],
            filters=[("month", "in", months)],
        )
    df = df[df["month"].astype(str).isin(months) & ~df["is_asb"].fillna(False).astype(bool)]
    if df.empty:
        raise DataFileError(
            f"The police.uk table has no crimes in the 12 months to {period}.",
            "Clean a download that covers the period: scrutiny clean-national --period "
            f"{period} ...",
        )
    per = df.groupby(df["falls_within"].astype(str))["month"].agg(lambda m: m.astype(str).nunique())
    complete = per[per == len(months)].index
    left_out = sorted(set(per.index) - set(complete))
    counts = (
        df[df["falls_within"].astype(str).isin(complete)]
        .groupby(df["falls_within"].astype(str))
        .size()
    )
    return _rates(counts, population, period, left_out)


def area_force_rates(cfg, period: str) -> ForceRates | None:
    """The area config's national table and force populations, or None if either is not set."""
    table = cfg.source("home_office_pfa", required=False)
    pop = cfg.source("force_population", required=False)
    if table is None or pop is None:
        return None
    return force_rates(read_home_office_pfa(table), read_force_population(pop), period)


def csp_rate(
    csp_counts: pd.DataFrame, csp_population: pd.DataFrame, csp_name: str, period: str
) -> float | None:
    """The CSP's recorded crime per 1,000 residents over the same four quarters and mid-year as
    :func:`force_rates` (from the processed Home Office CSP table); None if not computable."""
    quarters = set(quarters_ending(period))
    rows = csp_counts[csp_counts["csp_name"] == csp_name]
    got = set(zip(rows["financial_year"].astype(str), rows["quarter"].astype(int), strict=True))
    if not quarters <= got:
        return None
    keep = [
        (str(fy), int(q)) in quarters
        for fy, q in zip(rows["financial_year"], rows["quarter"], strict=True)
    ]
    count = int(rows.loc[keep, "count"].sum())
    year = (parse_month(period, "period") - 6).year
    pop = csp_population[
        (csp_population["csp_name"] == csp_name) & (csp_population["year"] <= year)
    ].sort_values("year")
    if pop.empty:
        return None
    return count / float(pop["population"].iloc[-1]) * 1000.0
