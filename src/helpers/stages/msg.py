"""Stage 02: the area against its Home Office Most Similar Group (MSG) of CSPs, iQuanta-style.

Inputs (processed tables, docs/architecture.md): ``csp_counts`` (Home Office recorded crime by
CSP per financial year and quarter), ``csp_population`` (mid-year estimates) and ``msg`` (the
members of the area's group, the area included).

For each of about 13 crime types plus all crime this module gives the rate per 1,000 residents
now (12 months to a quarter end) and at the previous year-end (12 months to the March before),
the MSG average (mean of member rates, or the pooled rate), upper and lower limits by a
selectable method, the Current Position (within the normal range / above / below / well above /
well below it, or for ``mean_sd`` close to / above / below / far above / far below the group
average), the distance from the average in % with an arrow (``up`` = significantly worse than at
the previous year-end, ``down`` = significantly better, ``same`` = no significant change), and
the rank in the group (1 = lowest rate).

Limit methods (``limit_method``):

- ``"funnel_overdispersed"`` (default): funnel limits around the group average on the
  square-root (variance-stabilised) scale, widened for between-CSP variation (Spiegelhalter
  2005, additive random effects on winsorised z-scores, as the FunnelPlotR package), then
  back-transformed to rates.
- ``"funnel"``: exact Poisson funnel limits (95% inner, 99.8% outer by default).
- ``"mean_sd"``: iQuanta-style group average ± k standard deviations of member rates (k = 1
  inner, 2 outer by default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.core import narrative as N
from helpers.core import statistics as S
from helpers.core.errors import ConfigError, DataFileError, ParameterError, PeriodError
from helpers.core.periods import ReportingPeriod, financial_quarter, financial_year
from helpers.ingest.processed import require_table

PER = 1000.0
LIMIT_METHODS = ("funnel_overdispersed", "funnel", "mean_sd")
AVERAGES = ("mean", "pooled")
ALL_CRIME = "All crime"

#: The crime types compared with the group: (label, level, value in csp_counts).
#: Thirteen types plus all crime, as the iQuanta table in seed 000.
MSG_CRIME_TYPES: list[tuple[str, str, str]] = [
    (ALL_CRIME, "all", ""),
    ("Violence with injury", "subgroup", "Violence with injury"),
    ("Violence without injury", "subgroup", "Violence without injury"),
    ("Stalking and harassment", "subgroup", "Stalking and harassment"),
    ("Sexual offences", "group", "Sexual offences"),
    ("Robbery", "group", "Robbery"),
    ("Residential burglary", "subgroup", "Residential burglary"),
    ("Burglary - business and community", "subgroup", "Burglary - business and community"),
    ("Vehicle offences", "subgroup", "Vehicle offences"),
    ("Theft from the person", "subgroup", "Theft from the person"),
    ("Shoplifting", "subgroup", "Shoplifting"),
    ("Criminal damage and arson", "group", "Criminal damage and arson"),
    ("Drug offences", "group", "Drug offences"),
    ("Public order offences", "group", "Public order offences"),
]

#: Current Position against funnel limits (outer, inner, -, inner, outer).
POSITIONS = (
    "Well below the normal range",
    "Below the normal range",
    "Within the normal range",
    "Above the normal range",
    "Well above the normal range",
)
#: Current Position against iQuanta-style mean ± k SD bands: a description of where the rate
#: sits in the group's spread, not a test, so no "normal range" or "significantly".
POSITIONS_MEAN_SD = (
    "Far below the group average",
    "Below the group average",
    "Close to the group average",
    "Above the group average",
    "Far above the group average",
)
WITHIN = {POSITIONS[2], POSITIONS_MEAN_SD[2]}


def _require(df: pd.DataFrame | None, cols: list[str], table: str) -> pd.DataFrame:
    return require_table(df, cols, table, allow_empty=False)


def validate_csp_counts(csp_counts: pd.DataFrame) -> pd.DataFrame:
    """Check the Home Office table: columns present, whole non-negative counts, no duplicates."""
    df = _require(
        csp_counts,
        [
            "financial_year",
            "quarter",
            "csp_name",
            "offence_code",
            "offence_group",
            "offence_subgroup",
            "count",
        ],
        "Home Office CSP counts",
    )
    cnt = pd.to_numeric(df["count"], errors="coerce")
    bad = df[cnt.isna() | (cnt < 0) | (cnt != cnt.round())]
    if len(bad):
        r = bad.iloc[0]
        raise DataFileError(
            f"The Home Office CSP table has {len(bad)} count(s) that are not whole numbers of 0 or "
            f"more, e.g. {r['csp_name']} {r['financial_year']} Q{r['quarter']} offence "
            f"{r['offence_code']}: {r['count']!r}.",
            "Check the source spreadsheet for text, blanks or negative numbers in the count column.",
        )
    key = ["financial_year", "quarter", "csp_name", "offence_code"]
    dup = df[df.duplicated(key, keep=False)]
    if len(dup):
        r = dup.iloc[0]
        raise DataFileError(
            f"The Home Office CSP table counts {r['csp_name']} {r['financial_year']} "
            f"Q{r['quarter']} offence {r['offence_code']} more than once, so totals would not add up.",
            "Remove the duplicate rows (a sheet read twice?) and re-run the cleaning stage.",
        )
    return df


def msg_members(msg: pd.DataFrame | None, csp_name: str) -> list[str]:
    """Members of ``csp_name``'s Most Similar Group (the area first, then the peers, sorted)."""
    df = _require(msg, ["csp_name", "msg_member"], "Most Similar Group")
    rows = df[df["csp_name"].astype(str).str.casefold() == str(csp_name).casefold()]
    if rows.empty:
        have = ", ".join(sorted(df["csp_name"].astype(str).unique())[:8])
        raise ConfigError(
            f"The area {csp_name!r} is not in the Most Similar Group list (it lists groups for: "
            f"{have}).",
            "Check 'csp_name' in the area config matches the MSG file exactly, or add the area's "
            "group to the MSG file.",
        )
    members = sorted(set(rows["msg_member"].astype(str)) - {csp_name})
    if len(members) < 2:
        raise DataFileError(
            f"The Most Similar Group of {csp_name!r} has {len(members)} peer(s); at least 2 are "
            "needed for a comparison.",
            "Check the MSG file lists every member of the group.",
        )
    return [csp_name, *members]


def quarter_end_period(end: str, months: int = 12) -> ReportingPeriod:
    """A rolling period ending at a quarter end (March, June, September, December)."""
    p = ReportingPeriod(end, months)
    if pd.Period(end, freq="M").month not in (3, 6, 9, 12) or months % 3:
        raise PeriodError(
            f"The Home Office CSP tables are quarterly, so a {months}-month period ending {end} "
            "cannot be built from them.",
            "Use a period ending in March, June, September or December (and a multiple of 3 "
            "months), e.g. 2022-03.",
        )
    return p


def previous_year_end(end: str) -> ReportingPeriod:
    """The financial year ending in the March before ``end`` (the 'previous year-end')."""
    p = pd.Period(end, freq="M")
    year = p.year if p.month > 3 else p.year - 1
    return ReportingPeriod(f"{year}-03", 12, f"{year - 1}/{str(year)[-2:]} year-end")


def _quarters(period: ReportingPeriod) -> list[tuple[str, int]]:
    ends = period.month_list[2::3]
    return [(financial_year(m), financial_quarter(m)) for m in ends]


def type_counts(
    csp_counts: pd.DataFrame,
    period: ReportingPeriod,
    members: list[str],
    crime_types: list[tuple[str, str, str]] | None = None,
) -> pd.DataFrame:
    """Counts per member and crime type over the quarters making up ``period``.

    Returns ``csp_name, crime_type, count``. Raises :class:`PeriodError` when a quarter is not
    in the table at all, :class:`DataFileError` when a member has no rows for a quarter.
    """
    crime_types = crime_types or MSG_CRIME_TYPES
    df = validate_csp_counts(csp_counts)
    fy = df["financial_year"].astype(str)
    q = pd.to_numeric(df["quarter"], errors="coerce")
    quarters = _quarters(period)
    have_q = set(zip(fy, q, strict=True))
    missing_q = [f"{a} Q{b}" for a, b in quarters if (a, b) not in have_q]
    if missing_q:
        held = sorted(have_q)
        span = f"{held[0][0]} Q{held[0][1]} to {held[-1][0]} Q{held[-1][1]}" if held else "nothing"
        raise PeriodError(
            f"The Home Office CSP table does not hold {', '.join(missing_q)}, needed for "
            f"{period.name}; it holds {span}.",
            "Choose a period inside the table, or add the newer Home Office file and re-run "
            "the cleaning stage.",
        )
    mask = pd.Series(False, index=df.index)
    for a, b in quarters:
        mask |= (fy == a) & (q == b)
    sub = df[mask]
    names = sub["csp_name"].astype(str)
    for m in members:
        got = set(
            zip(sub.loc[names == m, "financial_year"], sub.loc[names == m, "quarter"], strict=True)
        )
        lack = [
            f"{a} Q{b}" for a, b in quarters if (a, int(b)) not in {(x, int(y)) for x, y in got}
        ]
        if lack:
            raise DataFileError(
                f"The Home Office CSP table has no rows for {m!r} in {', '.join(lack)}.",
                "Check the CSP name is spelled as in the Home Office table (names change when "
                "councils merge) and that every quarter's sheet was read.",
            )
    sub = sub[names.isin(members)]
    rows = []
    for label, level, value in crime_types:
        if level == "all":
            part = sub
        elif level == "group":
            part = sub[sub["offence_group"] == value]
        elif level == "subgroup":
            part = sub[sub["offence_subgroup"] == value]
        else:
            raise ParameterError(
                f"Unknown crime-type level {level!r} for {label!r}.",
                "Use 'all', 'group' or 'subgroup'.",
            )
        c = part.groupby(part["csp_name"].astype(str))["count"].sum()
        for m in members:
            rows.append({"csp_name": m, "crime_type": label, "count": int(c.get(m, 0))})
    return pd.DataFrame(rows)


def population_for(
    csp_population: pd.DataFrame | None, members: list[str], period: ReportingPeriod
) -> tuple[pd.DataFrame, list[str]]:
    """Population of each member for ``period``: the mid-year estimate of the year holding the
    period's middle (month 6 of 12), or the nearest earlier year available (noted).

    Returns ``csp_name, population, year`` and a list of notes. A member with no population at
    all, or a population of zero, raises :class:`DataFileError` naming it.
    """
    df = _require(csp_population, ["csp_name", "year", "population"], "CSP population")
    target = pd.Period(period.month_list[(len(period.month_list) - 1) // 2], freq="M").year
    rows, notes = [], []
    for m in members:
        p = df[df["csp_name"].astype(str) == m]
        p = p[pd.to_numeric(p["population"], errors="coerce") > 0]
        if p.empty:
            raise DataFileError(
                f"There is no population for {m!r}, a member of the Most Similar Group.",
                "Add its mid-year estimate to the CSP population file (ONS mid-year estimates) "
                "and re-run the cleaning stage.",
            )
        years = p["year"].astype(int)
        earlier = years[years <= target]
        year = int(earlier.max()) if len(earlier) else int(years.min())
        if year != target:
            notes.append(f"{m}: mid-{target} population not available, mid-{year} used.")
        pop = int(p.loc[years == year, "population"].iloc[0])
        rows.append({"csp_name": m, "population": pop, "year": year})
    return pd.DataFrame(rows), notes


@dataclass
class LimitSettings:
    """How the MSG limits are drawn. ``levels`` are the funnel probabilities (inner, outer);
    ``ks`` the mean ± k·SD multipliers (inner, outer)."""

    method: str = "funnel_overdispersed"
    average: str = "mean"
    levels: tuple[float, float] = (0.95, 0.998)
    ks: tuple[float, float] = (1.0, 2.0)
    overdispersion_model: str = "additive"
    winsor: float = 0.10

    def __post_init__(self) -> None:
        if self.method not in LIMIT_METHODS:
            raise ParameterError(
                f"Unknown limit method {self.method!r}.", f"Use one of: {', '.join(LIMIT_METHODS)}."
            )
        if self.average not in AVERAGES:
            raise ParameterError(
                f"Unknown MSG average {self.average!r}.",
                "Use 'mean' (of member rates) or 'pooled'.",
            )
        lv = tuple(float(x) for x in self.levels)
        if len(lv) != 2 or not 0 < lv[0] < lv[1] < 1:
            raise ParameterError(
                f"Funnel levels {self.levels!r} must be two probabilities, inner below outer.",
                "Use e.g. (0.95, 0.998).",
            )
        ks = tuple(float(x) for x in self.ks)
        if len(ks) != 2 or not 0 < ks[0] < ks[1]:
            raise ParameterError(
                f"Limit multipliers {self.ks!r} must be two positive numbers, inner below outer.",
                "Use e.g. (1, 2).",
            )
        if self.overdispersion_model not in ("additive", "multiplicative"):
            raise ParameterError(
                f"Unknown overdispersion model {self.overdispersion_model!r}.",
                "Use 'additive' or 'multiplicative'.",
            )
        self.levels, self.ks = lv, ks

    def describe(self) -> str:
        avg = "the mean of member rates" if self.average == "mean" else "the pooled group rate"
        inner, outer = (f"{x * 100:g}%" for x in self.levels)
        if self.method == "mean_sd":
            return (
                f"the group average ({avg}) plus or minus {self.ks[0]:g} (inner) and "
                f"{self.ks[1]:g} (outer) standard deviations of member rates, as in iQuanta"
            )
        if self.method == "funnel":
            return (
                f"exact Poisson funnel limits ({inner} inner, {outer} outer) around {avg}, "
                "for the area's population"
            )
        how = "added between-area" if self.overdispersion_model == "additive" else "multiplied"
        return (
            f"funnel limits ({inner} inner, {outer} outer) around {avg}, for the area's "
            "population, worked out on the square-root scale (which makes the chance variation "
            "of a count the same size at every population) and widened by the genuine "
            f"variation seen between partnerships ({how} variation, Spiegelhalter 2005, with "
            "the most extreme tenth at each end pulled in so one partnership cannot widen the "
            "limits on its own)"
        )

    def tags(self) -> tuple[str, str]:
        if self.method == "mean_sd":
            return tuple(f"k{k:g}" for k in self.ks)
        return tuple(S.level_tag(x) for x in self.levels)


def group_average(rates: pd.Series, counts: pd.Series, pops: pd.Series, average: str) -> float:
    """Mean of member rates, or pooled rate (total count / total population x 1,000)."""
    if average == "pooled":
        return float(counts.sum() / pops.sum() * PER)
    return float(rates.mean())


def limits_for(
    avg: float, rates: pd.Series, pops: pd.Series, at_population, settings: LimitSettings
) -> pd.DataFrame:
    """Inner and outer limits at each population in ``at_population``.

    Columns ``population, lower_inner, upper_inner, lower_outer, upper_outer`` (and
    ``phi``, ``tau2`` for the overdispersed funnel).
    """
    at = np.atleast_1d(np.asarray(at_population, dtype=float))
    ti, to = settings.tags()
    if settings.method == "mean_sd":
        lim = S.mean_sd_limits(rates.to_numpy(), settings.ks)
        sd = lim["sd"]
        out = pd.DataFrame({"population": at})
        out["lower_inner"] = max(avg - settings.ks[0] * sd, 0.0)
        out["upper_inner"] = avg + settings.ks[0] * sd
        out["lower_outer"] = max(avg - settings.ks[1] * sd, 0.0)
        out["upper_outer"] = avg + settings.ks[1] * sd
        return out
    if avg <= 0:
        z = np.zeros_like(at)
        return pd.DataFrame(
            {
                "population": at,
                "lower_inner": z,
                "upper_inner": z,
                "lower_outer": z,
                "upper_outer": z,
            }
        )
    if settings.method == "funnel":
        f = S.funnel_limits(avg, at, settings.levels, PER)
    else:
        od = S.overdispersion(rates.to_numpy(), pops.to_numpy(), avg, PER, settings.winsor)
        f = S.overdispersed_funnel_limits(
            avg, at, od, settings.levels, PER, settings.overdispersion_model
        )
        f["phi"], f["tau2"] = od.phi, od.tau2
    return f.rename(
        columns={
            f"lower_{ti}": "lower_inner",
            f"upper_{ti}": "upper_inner",
            f"lower_{to}": "lower_outer",
            f"upper_{to}": "upper_outer",
        }
    ).drop(columns=["target"])


def position(rate: float, lim: pd.Series, method: str = "funnel") -> str:
    """Current Position of a rate against inner/outer limits.

    Funnel methods: "Within the normal range", "Above/Below the normal range" (outside the
    inner limits) or "Well above/below the normal range" (outside the outer limits). For
    ``mean_sd`` the bands are not a test, so the words describe the group's spread instead
    (:data:`POSITIONS_MEAN_SD`).
    """
    names = POSITIONS_MEAN_SD if method == "mean_sd" else POSITIONS
    if rate > lim["upper_outer"]:
        return names[4]
    if rate > lim["upper_inner"]:
        return names[3]
    if rate < lim["lower_outer"]:
        return names[0]
    if rate < lim["lower_inner"]:
        return names[1]
    return names[2]


def distance_arrow(now: float, before: float, dp: int = 1, significant: bool = True) -> str:
    """'up' when the distance from the average grew (worse: further above or less below),
    'down' when it shrank (better), 'same' when equal to ``dp`` decimals, unknown, or — the
    rule for every printed arrow — when the change is not ``significant``."""
    if not significant:
        return "same"
    if any(x is None or (isinstance(x, float) and math.isnan(x)) for x in (now, before)):
        return "same"
    a, b = round(now, dp), round(before, dp)
    return "up" if a > b else ("down" if a < b else "same")


@dataclass
class MsgResult:
    """The MSG comparison.

    ``table`` (one row per crime type): ``crime_type``, ``count``, ``population``, ``rate``,
    ``rate_prev``, ``msg_average``, ``msg_average_prev``, ``lower_inner``, ``upper_inner``,
    ``lower_outer``, ``upper_outer``, ``position``, ``distance_pct``, ``distance_prev_pct``,
    ``change_p_value`` (has the area's rate moved differently from the group's since the
    previous year-end? Benjamini–Hochberg adjusted across crime types), ``change_dispersion``,
    ``arrow`` (up = significantly worse, down = significantly better, same = no significant
    change), ``trend`` (worse | better | no significant change), ``rank``,
    ``rank_prev``, ``members``. ``members`` (long): ``crime_type``, ``csp_name``, ``count``,
    ``population``, ``rate``, ``is_area``, ``position``, for now; ``members_prev`` the same at
    the previous year-end.
    """

    csp_name: str
    period: ReportingPeriod
    previous: ReportingPeriod
    settings: LimitSettings
    table: pd.DataFrame
    members: pd.DataFrame
    members_prev: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def funnel(self, crime_type: str = ALL_CRIME, points: int = 120) -> pd.DataFrame:
        """Funnel-plot curves for one crime type: ``population`` grid and the four limits."""
        m = self.members[self.members["crime_type"] == crime_type]
        if m.empty:
            raise ParameterError(
                f"No MSG data for crime type {crime_type!r}.",
                f"Use one of: {', '.join(self.table['crime_type'])}.",
            )
        avg = float(self.table.loc[self.table["crime_type"] == crime_type, "msg_average"].iloc[0])
        lo, hi = m["population"].min() * 0.5, m["population"].max() * 1.3
        grid = np.linspace(lo, hi, points)
        f = limits_for(avg, m["rate"], m["population"], grid, self.settings)
        f["average"] = avg
        return f


def _snapshot(counts, pops, settings, area):
    df = counts.merge(pops[["csp_name", "population"]], on="csp_name")
    df["rate"] = df["count"] / df["population"] * PER
    df["is_area"] = df["csp_name"] == area
    rows, pos = [], []
    for ct, g in df.groupby("crime_type", sort=False):
        avg = group_average(g["rate"], g["count"], g["population"], settings.average)
        lim_all = limits_for(avg, g["rate"], g["population"], g["population"].to_numpy(), settings)
        for (_, r), (_, lim) in zip(g.iterrows(), lim_all.iterrows(), strict=True):
            pos.append(position(r["rate"], lim, settings.method))
        a = g[g["is_area"]].iloc[0]
        lim = lim_all.iloc[list(g["is_area"]).index(True)]
        rank = int(g["rate"].rank(method="min").loc[a.name])
        rows.append(
            {
                "crime_type": ct,
                "count": int(a["count"]),
                "population": int(a["population"]),
                "rate": a["rate"],
                "msg_average": avg,
                "lower_inner": lim["lower_inner"],
                "upper_inner": lim["upper_inner"],
                "lower_outer": lim["lower_outer"],
                "upper_outer": lim["upper_outer"],
                "position": position(a["rate"], lim, settings.method),
                "distance_pct": (a["rate"] - avg) / avg * 100 if avg > 0 else float("nan"),
                "rank": rank,
                "members": len(g),
            }
        )
    df["position"] = pos
    return pd.DataFrame(rows), df


def _change_tests(
    now: pd.DataFrame,
    now_members: pd.DataFrame,
    before_members: pd.DataFrame,
    area: str,
    alpha: float,
) -> pd.DataFrame:
    """Add ``change_p_value`` (BH-adjusted), ``change_dispersion`` and ``change_significant``:
    has the area's count moved differently from the group's since the previous year-end?
    (:func:`helpers.core.statistics.change_against_group`)."""
    p_raw, phis = [], []
    for _, row in now.iterrows():
        ct = row["crime_type"]
        a = now_members[now_members["crime_type"] == ct].set_index("csp_name")
        b = before_members[before_members["crime_type"] == ct].set_index("csp_name")
        both = [m for m in a.index if m in b.index]
        if area not in both or len(both) < 3 or pd.isna(row["msg_average_prev"]):
            p_raw.append(float("nan"))
            phis.append(float("nan"))
            continue
        res = S.change_against_group(
            a.loc[both, "count"],
            b.loc[both, "count"],
            a.loc[both, "population"],
            b.loc[both, "population"],
            float(row["msg_average"]),
            float(row["msg_average_prev"]),
        )
        p_raw.append(float(res.p_value[both.index(area)]))
        phis.append(res.phi)
    p = pd.Series(p_raw, index=now.index, dtype="float64")
    tested = p.notna()
    if tested.any():
        p.loc[tested] = S.fdr_bh(p[tested].to_numpy(), alpha)[1]  # the one BH of the package
    now["change_p_value"] = p
    now["change_dispersion"] = phis
    now["change_significant"] = (p < alpha).fillna(False).astype(bool)
    return now


def msg_comparison(
    csp_counts: pd.DataFrame,
    csp_population: pd.DataFrame,
    msg: pd.DataFrame,
    csp_name: str,
    period_end: str,
    settings: LimitSettings | None = None,
    crime_types: list[tuple[str, str, str]] | None = None,
    alpha: float = 0.05,
) -> MsgResult:
    """Compare ``csp_name`` with its MSG for the 12 months to ``period_end`` and the previous
    year-end. See the module docstring for every column's meaning."""
    settings = settings or LimitSettings()
    members = msg_members(msg, csp_name)
    period = quarter_end_period(period_end)
    prev = previous_year_end(period_end)
    notes = []
    now_counts = type_counts(csp_counts, period, members, crime_types)
    pops, n1 = population_for(csp_population, members, period)
    notes += n1
    now, now_members = _snapshot(now_counts, pops, settings, csp_name)
    try:
        prev_counts = type_counts(csp_counts, prev, members, crime_types)
        pops_prev, n2 = population_for(csp_population, members, prev)
        notes += [n for n in n2 if n not in notes]
        before, before_members = _snapshot(prev_counts, pops_prev, settings, csp_name)
    except PeriodError as exc:
        notes.append(f"No previous year-end comparison: {exc.what}")
        before = now[["crime_type"]].assign(
            rate=np.nan, msg_average=np.nan, distance_pct=np.nan, rank=pd.NA
        )
        before_members = now_members.iloc[0:0]
    b = before.set_index("crime_type")
    now["rate_prev"] = now["crime_type"].map(b["rate"])
    now["msg_average_prev"] = now["crime_type"].map(b["msg_average"])
    now["distance_prev_pct"] = now["crime_type"].map(b["distance_pct"])
    now["rank_prev"] = now["crime_type"].map(b["rank"])
    now = _change_tests(now, now_members, before_members, csp_name, alpha)
    now["arrow"] = [
        distance_arrow(a, p, significant=bool(sig))
        for a, p, sig in zip(
            now["distance_pct"], now["distance_prev_pct"], now["change_significant"], strict=True
        )
    ]
    now["trend"] = now["arrow"].map(
        {"up": "worse", "down": "better", "same": "no significant change"}
    )
    small = now[now["count"] < 10]
    if len(small):
        notes.append(
            "Fewer than 10 crimes in the area for "
            f"{N.join_names(list(small['crime_type']))}: rates are unstable."
        )
    return MsgResult(csp_name, period, prev, settings, now, now_members, before_members, notes)


def msg_sentences(res: MsgResult, area_word: str = "the Partnership") -> list[str]:
    """Seed-000-style sentences from the computed MSG table."""
    t = res.table.set_index("crime_type")
    mean_sd = res.settings.method == "mean_sd"
    out = []
    if ALL_CRIME in t.index:
        a = t.loc[ALL_CRIME]
        side = "above" if a["distance_pct"] > 0 else "below"
        pos = a["position"][:1].lower() + a["position"][1:]
        trend = ""
        if not pd.isna(a["distance_prev_pct"]):
            trend = {
                "down": f", and has moved significantly closer to it since the {res.previous.label}",
                "up": f", and has moved significantly further from it since the {res.previous.label}",
                "same": (
                    f"; its distance from the average has not changed significantly since the "
                    f"{res.previous.label}"
                ),
            }[a["arrow"]]
            if a["arrow"] == "down" and abs(a["distance_pct"]) > abs(a["distance_prev_pct"]):
                trend = (
                    f", and has moved significantly further below it since the {res.previous.label}"
                )
            if (
                a["arrow"] == "up"
                and a["distance_pct"] < 0
                and abs(a["distance_pct"]) < abs(a["distance_prev_pct"])
            ):
                trend = f", but has moved significantly closer to it since the {res.previous.label}"
        if mean_sd:
            where = f"{pos} judged by the spread of member rates"
        elif a["position"] in WITHIN:
            where = f"{pos} for a partnership of its size"
        else:
            where = pos
        out.append(
            f"The all crime rate for {area_word} is {a['rate']:.1f} crimes per 1,000 residents, "
            f"{N.fmt_pct(abs(a['distance_pct']))} {side} the Most Similar Group average of "
            f"{a['msg_average']:.1f} and {where}{trend}. It ranks {int(a['rank'])} of "
            f"{int(a['members'])} in the group (1 = lowest rate)."
        )
    types = res.table[res.table["crime_type"] != ALL_CRIME]
    if types["distance_prev_pct"].notna().any():
        worse = types[types["arrow"] == "up"]
        better = types[types["arrow"] == "down"]
        below_worse = worse[worse["distance_pct"] < 0]

        def count(n: int) -> str:
            return "none" if n == 0 else N.number_word(n)

        if len(worse) + len(better) == 0:
            s = (
                f"Since the {res.previous.label}, the distance from the group average has not "
                f"changed significantly for any of the {N.number_word(len(types))} crime types: "
                "every change is within partnerships' usual year-to-year movement"
            )
        else:
            s = (
                f"Since the {res.previous.label}, the distance from the group average has "
                f"worsened significantly for {count(len(worse))} of the "
                f"{N.number_word(len(types))} crime types and improved significantly for "
                f"{count(len(better))}; for the rest the change is within partnerships' usual "
                "year-to-year movement"
            )
        if len(below_worse):
            s += (
                f"; in {N.number_word(len(below_worse))} of the worsened cases the rate is still "
                "below the group average"
            )
        out.append(s + ".")
    names = POSITIONS_MEAN_SD if mean_sd else POSITIONS
    for word, keys in (("above", (names[3], names[4])), ("below", (names[1], names[0]))):
        rows = types[types["position"].isin(keys)]
        if len(rows):
            items = [
                f"{r['crime_type'].lower()}"
                + (" (well outside)" if r["position"] == keys[1] and not mean_sd else "")
                for _, r in rows.iterrows()
            ]
            if mean_sd:
                out.append(
                    f"The rate is {word} the group's usual spread for {N.join_names(items)}."
                )
            else:
                out.append(f"The rate is {word} the normal range for {N.join_names(items)}.")
    inline = types[types["position"].isin(WITHIN)]
    if len(inline) == len(types) and len(types):
        out.append(
            "Every crime type is close to the group average."
            if mean_sd
            else "Every crime type is within the normal range for the group."
        )
    return out
