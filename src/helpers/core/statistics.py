"""Statistics for counts of crime: is a change real, and is a rate unusual for its group?

A count of recorded crimes starts as a Poisson count (what iQuanta and the public-health
funnel-plot literature use), but crime counts are *over-dispersed* — repeat victims, series
offences and recording practice make them vary more than Poisson — so a pure Poisson test or
funnel over-states how many changes or differences are "real" when counts are large. Hence the
defaults: the quasi-Poisson year-on-year test with the dispersion estimated from each row's own
monthly counts (:func:`pair_dispersion`, :func:`compare_counts` with ``method="quasi_poisson"``),
Benjamini–Hochberg across a table, and the overdispersed funnel on the square-root scale for the
Most Similar Group (see ``docs/variance_and_msg.md``).

Public functions
----------------
- :func:`compare_counts` — is the change between two counts significant? Quasi-Poisson
  (score test widened by a dispersion, Student's t), the exact conditional binomial test, or the
  Poisson z, with a confidence interval for the rate ratio.
- :data:`SMALL_COUNT`, :func:`is_small`, :func:`shown_pct_change` — the small-number rule.
- :func:`compare_count_columns` — the same for every row of a DataFrame, optional p-value
  adjustment for many rows (Holm or Benjamini–Hochberg, via statsmodels).
- :func:`fdr_bh` — Benjamini–Hochberg false discovery rate for any array of p-values (NaN
  untested): ``(reject, q)``, the one FDR rule of the pack (ward changes, Gi* hot spots).
- :func:`poisson_ci` — exact (Garwood) interval for one count.
- :func:`funnel_limits` — exact Poisson funnel limits (e.g. 95% and 99.8%) around a target rate.
- :func:`overdispersion` and :func:`overdispersed_funnel_limits` — Spiegelhalter (2005)
  winsorised z-scores on the square-root scale, multiplicative or additive random-effects
  adjustment, limits back-transformed (as the FunnelPlotR package).
- :func:`pair_dispersion` — quasi-Poisson dispersion of monthly counts, a year apart.
- :func:`change_against_group` — has one member's count moved differently from its group's?
- :func:`exceptional_periods` — the area config's exceptional periods (e.g. lockdowns).
- :func:`mean_sd_limits` — iQuanta-style group mean ± k standard deviations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from helpers.core.errors import ParameterError

TEST_METHODS = ("quasi_poisson", "exact", "z")
TEST_NAMES = {
    "quasi_poisson": (
        "quasi-Poisson test (the Poisson test widened by the extra month-to-month variation "
        "seen in each row's own monthly counts)"
    ),
    "exact": "exact conditional binomial test for two Poisson counts",
    "z": "Poisson z test (normal approximation to the conditional binomial test)",
}
P_ADJUST = ("none", "holm", "fdr_bh")
P_ADJUST_NAMES = {
    "none": "no adjustment for testing many rows",
    "holm": "Holm adjustment for testing many rows",
    "fdr_bh": "Benjamini-Hochberg false discovery rate adjustment across the table",
}

#: The small-number rule, one place for every stage: when either of two compared counts is
#: below this, a percentage change is not printed (a rise from 1 to 5 is "+400%" but means
#: little); the change in number is.
SMALL_COUNT = 20


def is_small(current, previous, min_count: int = SMALL_COUNT) -> bool:
    """True when either count is below ``min_count`` (the small-number rule)."""
    return bool(min(float(current), float(previous)) < min_count)


def shown_pct_change(current, previous, min_count: int = SMALL_COUNT) -> float:
    """% change from ``previous`` to ``current``, NaN under the small-number rule or from 0."""
    if previous == 0 or is_small(current, previous, min_count):
        return float("nan")
    return (float(current) - float(previous)) / float(previous) * 100.0


def _check_alpha(alpha: float) -> float:
    try:
        a = float(alpha)
    except (TypeError, ValueError):
        a = float("nan")
    if not 0 < a < 1:
        raise ParameterError(
            f"The significance level alpha={alpha!r} is not between 0 and 1.",
            "Use a small probability such as 0.05 (5%) or 0.01 (1%).",
        )
    return a


def _check_count(value, what: str) -> int:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise ParameterError(f"The {what} is missing.", "Pass a whole-number count of 0 or more.")
    v = float(value)
    if v < 0 or v != int(v):
        raise ParameterError(
            f"The {what} {value!r} is not a whole number of 0 or more.",
            "Counts of crimes must be non-negative integers; check the input table.",
        )
    return int(v)


@dataclass(frozen=True)
class CountComparison:
    """Result of comparing a current count with a previous one.

    ``exposure_ratio`` is current exposure / previous exposure (e.g. 11/12 months, or
    population now / population then); 1 when the periods are like-for-like.
    ``rate_ratio`` is (current/exposure_current) / (previous/exposure_previous) with an exact
    ``1 - alpha`` interval; ``direction`` is "increase", "decrease" or "no change" and only
    "increase"/"decrease" when ``significant``.
    """

    current: int
    previous: int
    exposure_ratio: float
    method: str
    alpha: float
    p_value: float
    z: float
    rate_ratio: float
    ratio_low: float
    ratio_high: float
    dispersion: float = 1.0
    df: float = float("nan")

    @property
    def significant(self) -> bool:
        return bool(self.p_value < self.alpha)

    @property
    def direction(self) -> str:
        if not self.significant:
            return "no change"
        return "increase" if self.rate_ratio > 1 else "decrease"


def pair_dispersion(
    current_monthly: np.ndarray, previous_monthly: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Dispersion of monthly counts beyond Poisson, one estimate per row (vectorised).

    ``current_monthly`` and ``previous_monthly`` are arrays (rows x months) whose column ``m``
    is the same calendar month a year apart. The model is the quasi-Poisson log-linear model
    ``log E[count] = month pair + period``: each calendar month has its own level (so the
    seasonal pattern is allowed for) and the two periods differ by one rate ratio, the change
    being tested. Its fitted values are ``n_m * pi`` and ``n_m * (1 - pi)`` with ``n_m`` the
    pair's total and ``pi = C / (C + P)``, so Pearson's statistic is
    ``X2 = sum_m (c_m - n_m pi)**2 / (n_m pi (1 - pi))`` on ``df = pairs - 1`` degrees of
    freedom (pairs with no crime carry no information and are not counted), and the dispersion
    is ``phi = X2 / df`` (McCullagh & Nelder 1989, section 4.5). Returns ``(phi, df)``; ``phi``
    is NaN when it cannot be estimated (fewer than two months with crime, or no crime in one of
    the periods).
    """
    c = np.atleast_2d(np.asarray(current_monthly, dtype=float))
    p = np.atleast_2d(np.asarray(previous_monthly, dtype=float))
    n = c + p
    tot = n.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        pi = c.sum(axis=1) / tot
        var = n * (pi * (1 - pi))[:, None]
        contrib = np.where(n > 0, (c - n * pi[:, None]) ** 2 / np.where(var > 0, var, 1.0), 0.0)
    df = (n > 0).sum(axis=1) - 1.0
    ok = (df >= 1) & (pi > 0) & (pi < 1)
    phi = np.where(ok, contrib.sum(axis=1) / np.where(df >= 1, df, 1.0), np.nan)
    return phi, np.where(df >= 1, df, np.nan)


def compare_counts(
    current: int,
    previous: int,
    exposure_ratio: float = 1.0,
    alpha: float = 0.05,
    method: str = "exact",
    dispersion: float | None = None,
    df: float | None = None,
    interval: bool = True,
) -> CountComparison:
    """Test whether two counts differ more than chance would explain.

    Conditional on the total ``n = current + previous``, the current count is
    Binomial(n, pi0) with ``pi0 = r / (1 + r)`` under "no change in the underlying rate", where
    ``r`` is ``exposure_ratio``. ``method="exact"`` uses :func:`scipy.stats.binomtest`
    (two-sided); ``method="z"`` uses the normal approximation
    ``z = (current - n*pi0) / sqrt(n*pi0*(1-pi0))`` — for equal periods this is the familiar
    ``(current - previous) / sqrt(current + previous)``. Significant when ``p < alpha``.

    ``method="quasi_poisson"`` allows for over-dispersion: the same score statistic divided by
    ``sqrt(phi)``, with ``phi = max(dispersion, 1)`` (a count is never treated as *less*
    variable than Poisson), referred to Student's t on ``df`` degrees of freedom (the
    quasi-likelihood test when phi is estimated; normal when ``df`` is None). Its rate-ratio
    interval is the Wald interval on the log scale widened by ``sqrt(phi)``. When ``dispersion``
    is missing (it could not be estimated) the exact test is used instead and ``dispersion``
    in the result is NaN.

    The exact rate-ratio interval is the Clopper–Pearson interval for pi transformed to
    ``pi / (1 - pi) / r``. ``interval=False`` leaves it out (``ratio_low``/``ratio_high`` NaN)
    for callers that use only the test: the interval is a root search, most of the time here.
    """
    a = _check_alpha(alpha)
    c = _check_count(current, "current count")
    p = _check_count(previous, "previous count")
    if method not in TEST_METHODS:
        raise ParameterError(
            f"Unknown test method {method!r}.", f"Use one of: {', '.join(TEST_METHODS)}."
        )
    r = float(exposure_ratio)
    if not r > 0 or math.isinf(r):
        raise ParameterError(
            f"The exposure ratio {exposure_ratio!r} must be a positive number.",
            "Pass current months / previous months (1 for like-for-like periods).",
        )
    phi = float("nan")
    dof = float("nan")
    if method == "quasi_poisson":
        if dispersion is None or not np.isfinite(dispersion):
            method = "exact"
        else:
            phi = max(float(dispersion), 1.0)
            dof = float(df) if df is not None and np.isfinite(df) and df >= 1 else float("nan")
    n = c + p
    pi0 = r / (1.0 + r)
    ratio = (c / r) / p if p > 0 else (float("inf") if c > 0 else float("nan"))
    if n == 0:
        return CountComparison(c, p, r, method, a, 1.0, 0.0, ratio, 0.0, float("inf"), phi, dof)
    z = (c - n * pi0) / math.sqrt(n * pi0 * (1 - pi0))
    # The exact test and its Clopper-Pearson interval (a root search, the slow part) are worked
    # out only where the result uses them: quasi-Poisson with both counts above zero replaces
    # the interval with its own and takes its p-value from t.
    wald = method == "quasi_poisson" and c > 0 and p > 0
    low = high = float("nan")
    if method == "exact" or (interval and not wald):
        res = stats.binomtest(c, n, pi0, alternative="two-sided")
    if interval and not wald:
        ci = res.proportion_ci(confidence_level=1 - a, method="exact")

        def to_ratio(pi: float) -> float:
            return float("inf") if pi >= 1 else pi / (1 - pi) / r

        low, high = to_ratio(ci.low), to_ratio(ci.high)
    if method == "exact":
        pval = float(res.pvalue)
    elif method == "z":
        pval = float(2 * stats.norm.sf(abs(z)))
    else:
        z = z / math.sqrt(phi)
        # the distributions' own functions (not frozen ones, which cost milliseconds to build)
        if np.isfinite(dof):
            sf, ppf = (lambda x: stats.t.sf(x, dof)), (lambda q: stats.t.ppf(q, dof))
        else:
            sf, ppf = stats.norm.sf, stats.norm.ppf
        pval = float(2 * sf(abs(z)))
        if wald and interval:
            half = ppf(1 - a / 2) * math.sqrt(phi * (1 / c + 1 / p))
            low, high = ratio * math.exp(-half), ratio * math.exp(half)
    return CountComparison(c, p, r, method, a, min(pval, 1.0), float(z), ratio, low, high, phi, dof)


def exact_p_value(current: int, previous: int, exposure_ratio: float = 1.0) -> float:
    """The two-sided p-value of ``compare_counts(current, previous, exposure_ratio)`` (the
    exact conditional test), without the rate-ratio interval it also computes: the same call,
    ``interval=False``. A page that prints only whether each change is significant (the ward
    briefings: hundreds of tests) needs the p-value alone.
    """
    return compare_counts(current, previous, exposure_ratio, method="exact", interval=False).p_value


def compare_count_columns(
    df: pd.DataFrame,
    current: str = "current",
    previous: str = "previous",
    exposure_ratio: float | str = 1.0,
    alpha: float = 0.05,
    method: str = "exact",
    p_adjust: str = "none",
    dispersion: str | None = None,
    dispersion_df: str | None = None,
) -> pd.DataFrame:
    """Add test columns to a copy of ``df`` (one test per row).

    Adds ``p_value``, ``p_unadjusted``, ``z``, ``rate_ratio``, ``ratio_low``, ``ratio_high``,
    ``dispersion`` (the phi used, at least 1; NaN where the exact test was used),
    ``significant`` (bool) and ``direction`` ("increase" | "decrease" | "no change").
    ``exposure_ratio`` is a number or the name of a column; ``dispersion`` and
    ``dispersion_df`` name columns holding each row's estimated phi and its degrees of freedom
    (see :func:`pair_dispersion`; used by ``method="quasi_poisson"``; a row without an estimate
    borrows the median of the rows that have one, and only when no row has one is the exact
    test used). ``p_adjust`` ("none" |
    "holm" | "fdr_bh") corrects for testing many rows at once (statsmodels ``multipletests``):
    ``p_value`` is then the adjusted value (for Benjamini–Hochberg, the q-value) and
    ``p_unadjusted`` the row's own. Rows whose counts are missing are left untested (NaN
    p-value, not significant).
    """
    if p_adjust not in P_ADJUST:
        raise ParameterError(
            f"Unknown p-value adjustment {p_adjust!r}.", f"Use one of: {', '.join(P_ADJUST)}."
        )
    out = df.copy()
    keys = ("p_value", "z", "rate_ratio", "ratio_low", "ratio_high", "dispersion")
    cols = {k: [] for k in keys}
    # A row whose dispersion cannot be estimated (e.g. no crime at all in one period) borrows
    # the table's median estimate and degrees of freedom, rather than being tested as Poisson.
    fill_phi = fill_df = None
    if method == "quasi_poisson" and dispersion:
        known = out[dispersion].astype(float)
        ok = np.isfinite(known)
        if ok.any():
            fill_phi = float(np.median(known[ok]))
            if dispersion_df:
                fill_df = float(np.median(out.loc[ok, dispersion_df].astype(float)))
    for _, row in out.iterrows():
        cur, prev = row[current], row[previous]
        if pd.isna(cur) or pd.isna(prev):
            for k in cols:
                cols[k].append(float("nan"))
            continue
        r = row[exposure_ratio] if isinstance(exposure_ratio, str) else exposure_ratio
        phi = row[dispersion] if dispersion else None
        dof = row[dispersion_df] if dispersion_df else None
        if fill_phi is not None and not np.isfinite(float(phi)):
            phi, dof = fill_phi, fill_df
        res = compare_counts(cur, prev, r, alpha, method, phi, dof)
        for k in cols:
            cols[k].append(getattr(res, k))
    for k, v in cols.items():
        out[k] = pd.Series(v, index=out.index, dtype="float64")
    out["p_unadjusted"] = out["p_value"]
    tested = out["p_value"].notna()
    if p_adjust == "fdr_bh" and tested.any():  # the one BH of the package
        out.loc[tested, "p_value"] = fdr_bh(out.loc[tested, "p_value"].to_numpy(), alpha)[1]
    elif p_adjust != "none" and tested.any():
        from statsmodels.stats.multitest import multipletests

        out.loc[tested, "p_value"] = multipletests(
            out.loc[tested, "p_value"].to_numpy(), alpha=alpha, method=p_adjust
        )[1]
    out["significant"] = (out["p_value"] < _check_alpha(alpha)).fillna(False).astype(bool)
    out["direction"] = np.where(
        ~out["significant"], "no change", np.where(out["rate_ratio"] > 1, "increase", "decrease")
    )
    return out


def fdr_bh(pvalues, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Benjamini–Hochberg false discovery rate over ``pvalues``: returns ``(reject, q)``.

    ``q`` is the BH-adjusted p-value (statsmodels ``multipletests(method="fdr_bh")``, the same
    as :func:`scipy.stats.false_discovery_control`); a test is rejected (significant) when
    ``q <= alpha``, which is BH's step-up rule ``p_(k) <= k / m * alpha``. NaN p-values are
    untested: never significant, q = NaN, and not counted in ``m``.

    Caveat: BH controls the expected share of false discoveries among the tests flagged; it
    assumes the p-values are independent or positively dependent (neighbouring wards' Gi*
    statistics share wards, which is positive dependence).
    """
    from statsmodels.stats.multitest import multipletests

    a = _check_alpha(alpha)
    p = np.asarray(pvalues, dtype=float)
    reject = np.zeros(p.shape, dtype=bool)
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        r, qq, _, _ = multipletests(p[ok], alpha=a, method="fdr_bh")
        reject[ok], q[ok] = r, qq
    return reject, q


def poisson_ci(count: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Garwood) ``1 - alpha`` interval for the mean of a Poisson count.

    Lower = chi2(alpha/2; 2k)/2 (0 when k = 0), upper = chi2(1 - alpha/2; 2k + 2)/2.
    """
    a = _check_alpha(alpha)
    k = _check_count(count, "count")
    low = 0.0 if k == 0 else float(stats.chi2.ppf(a / 2, 2 * k) / 2)
    high = float(stats.chi2.ppf(1 - a / 2, 2 * k + 2) / 2)
    return low, high


def _two_sided_probs(level: float) -> tuple[float, float]:
    if not 0 < float(level) < 1:
        raise ParameterError(
            f"The funnel level {level!r} is not a probability between 0 and 1.",
            "Use 0.95 and 0.998 (the usual 95% and 99.8% funnel limits).",
        )
    tail = (1 - float(level)) / 2
    return tail, 1 - tail


def _poisson_quantile_interpolated(p: float, lam: np.ndarray) -> np.ndarray:
    """Spiegelhalter (2005, appendix) interpolated Poisson quantile (a continuous limit).

    ``y_p`` = smallest y with F(y) >= p; ``alpha = (F(y_p) - p) / (F(y_p) - F(y_p - 1))``;
    the limit is ``y_p - alpha``. This avoids the saw-tooth of a discrete quantile.
    """
    lam = np.asarray(lam, dtype=float)
    y = stats.poisson.ppf(p, lam)
    f_y = stats.poisson.cdf(y, lam)
    f_ym1 = np.where(y > 0, stats.poisson.cdf(y - 1, lam), 0.0)
    denom = f_y - f_ym1
    frac = np.where(denom > 0, (f_y - p) / np.where(denom > 0, denom, 1.0), 0.0)
    return np.maximum(y - frac, 0.0)


def funnel_limits(
    target_rate: float,
    population: Sequence[float] | np.ndarray | float,
    levels: Sequence[float] = (0.95, 0.998),
    per: float = 1000.0,
) -> pd.DataFrame:
    """Exact Poisson funnel limits for a rate per ``per`` people around ``target_rate``.

    For each population ``n`` the expected count is ``lam = target_rate * n / per``; the lower
    and upper limits are the interpolated Poisson quantiles (Spiegelhalter 2005) of ``lam`` at
    ``(1 - level)/2`` and ``(1 + level)/2``, divided back to a rate. Returns one row per
    population with ``population``, ``target`` and ``lower_<pct>``/``upper_<pct>`` for each
    level (``pct`` like ``95`` or ``99.8``).
    """
    if not target_rate >= 0:
        raise ParameterError(
            f"The funnel target rate {target_rate!r} is not a rate of 0 or more.",
            "Check the group average: it must be a non-negative rate.",
        )
    pop = np.atleast_1d(np.asarray(population, dtype=float))
    if (pop <= 0).any() or np.isnan(pop).any():
        raise ParameterError(
            "A population for the funnel limits is zero, negative or missing.",
            "Every area needs a positive population.",
        )
    lam = target_rate * pop / per
    out = pd.DataFrame({"population": pop, "target": float(target_rate)})
    for level in levels:
        lo_p, hi_p = _two_sided_probs(level)
        tag = level_tag(level)
        out[f"lower_{tag}"] = _poisson_quantile_interpolated(lo_p, lam) / pop * per
        out[f"upper_{tag}"] = _poisson_quantile_interpolated(hi_p, lam) / pop * per
    return out


def level_tag(level: float) -> str:
    """0.95 -> '95', 0.998 -> '99.8' (column suffix for a funnel level)."""
    pct = round(float(level) * 100, 6)
    return f"{pct:g}"


@dataclass(frozen=True)
class Overdispersion:
    """Spiegelhalter (2005) overdispersion estimate for a set of Poisson rates.

    Worked on the square-root (variance-stabilised) scale of the standardised ratio
    ``O / E``. ``phi`` is the mean squared winsorised z-score; ``tau2`` the additive
    between-area variance on that scale (0 when ``n * phi <= n - 1``, i.e. no evidence of
    overdispersion); ``p_value`` tests ``n * phi`` against chi-squared on ``n - 1`` degrees of
    freedom.
    """

    n: int
    phi: float
    tau2: float
    p_value: float
    winsor: float
    scale: str = "sqrt"

    @property
    def overdispersed(self) -> bool:
        return self.n * self.phi > self.n - 1


def sqrt_scale_z(
    rates: np.ndarray, population: np.ndarray, target: float, per: float
) -> tuple[np.ndarray, np.ndarray]:
    """z-scores on the square-root scale (Spiegelhalter 2005, section 2; FunnelPlotR's "CQC"
    ratio method): with ``E = target * population / per`` and ``O = rate * population / per``,
    ``y = sqrt(O / E)`` has target 1 and standard error ``s = 1 / (2 sqrt(E))``, so
    ``z = (y - 1) / s = 2 (sqrt(O) - sqrt(E))``. Returns ``(z, s)``."""
    e = target * np.asarray(population, dtype=float) / per
    y = np.sqrt(np.asarray(rates, dtype=float) / target)
    s = 1 / (2 * np.sqrt(e))
    return (y - 1) / s, s


def overdispersion(
    rates: Sequence[float],
    population: Sequence[float],
    target_rate: float,
    per: float = 1000.0,
    winsor: float = 0.10,
) -> Overdispersion:
    """Estimate overdispersion of ``rates`` around ``target_rate`` (Spiegelhalter 2005).

    z-scores on the square-root scale (:func:`sqrt_scale_z`); those below the ``winsor`` and
    above the ``1 - winsor`` percentiles (numpy linear interpolation) are pulled in to those
    percentiles so one extreme area cannot inflate the estimate; ``phi = mean(z_w**2)``.
    Additive: ``tau2 = (I*phi - (I-1)) / (sum w - sum w**2 / sum w)`` with ``w = 1/s**2``,
    floored at 0 — the method of Spiegelhalter (2005) and of the FunnelPlotR package.
    """
    y = np.asarray(rates, dtype=float)
    n = np.asarray(population, dtype=float)
    if len(y) != len(n) or len(y) < 3:
        raise ParameterError(
            f"Overdispersion needs the same number of rates and populations, at least 3 (got "
            f"{len(y)} rates and {len(n)} populations).",
            "Check the Most Similar Group list has its members and their populations.",
        )
    if target_rate <= 0:
        raise ParameterError(
            f"The target rate {target_rate!r} must be positive to estimate overdispersion.",
            "A group with no crimes of this type cannot be compared; drop the row.",
        )
    if not 0 <= winsor < 0.5:
        raise ParameterError(
            f"The winsorising fraction {winsor!r} must be at least 0 and below 0.5.",
            "Use 0.1 (Spiegelhalter's 10%).",
        )
    z, s = sqrt_scale_z(y, n, target_rate, per)
    lo, hi = np.percentile(z, [100 * winsor, 100 * (1 - winsor)])
    zw = np.clip(z, lo, hi)
    count = len(zw)
    phi = float(np.mean(zw**2))
    w = 1 / s**2
    tau2 = (count * phi - (count - 1)) / (w.sum() - (w**2).sum() / w.sum())
    tau2 = float(max(tau2, 0.0))
    p = float(stats.chi2.sf(count * phi, count - 1))
    return Overdispersion(count, phi, tau2, p, winsor)


def overdispersed_funnel_limits(
    target_rate: float,
    population: Sequence[float] | np.ndarray | float,
    od: Overdispersion,
    levels: Sequence[float] = (0.95, 0.998),
    per: float = 1000.0,
    model: str = "additive",
) -> pd.DataFrame:
    """Funnel limits widened for overdispersion, on the square-root scale (Spiegelhalter 2005).

    On the scale ``y = sqrt(O/E)`` (target 1, ``s = 1/(2 sqrt(E))``, ``E = target*pop/per``):
    ``model="additive"`` (random effects, the default, as FunnelPlotR):
    ``1 ± z * sqrt(s**2 + tau2)``; ``model="multiplicative"``: ``1 ± z * sqrt(phi) * s`` (phi
    only when the data are overdispersed). The limits are then back-transformed — squared, the
    lower one first floored at 0 — and multiplied by the target to give rates. So they are
    asymmetric (wider above than below), as Poisson limits are, and the lower limit reaches 0
    only when no crime at all would be unremarkable. Columns as :func:`funnel_limits`.
    """
    if model not in ("additive", "multiplicative"):
        raise ParameterError(
            f"Unknown overdispersion model {model!r}.", "Use 'additive' or 'multiplicative'."
        )
    pop = np.atleast_1d(np.asarray(population, dtype=float))
    e = target_rate * pop / per
    s2 = 1 / (4 * e)
    if model == "additive":
        se = np.sqrt(s2 + od.tau2)
    else:
        se = np.sqrt(s2 * (od.phi if od.overdispersed else 1.0))
    out = pd.DataFrame({"population": pop, "target": float(target_rate)})
    for level in levels:
        _, hi_p = _two_sided_probs(level)
        zq = stats.norm.ppf(hi_p)
        tag = level_tag(level)
        out[f"lower_{tag}"] = target_rate * np.maximum(1 - zq * se, 0.0) ** 2
        out[f"upper_{tag}"] = target_rate * (1 + zq * se) ** 2
    return out


def mean_sd_limits(rates: Sequence[float], ks: Sequence[float] = (1.0, 2.0)) -> dict[str, float]:
    """iQuanta-style limits: the group mean ± k sample standard deviations (ddof = 1).

    Returns ``{"mean": m, "sd": s, "lower_k1": ..., "upper_k1": ..., "lower_k2": ...}`` with
    the tag ``k<k>`` (e.g. ``k1``, ``k1.5``). Lower limits are floored at 0. Caveat: this ignores
    population size, so a small CSP is judged by the same band as a large one.
    """
    r = np.asarray(rates, dtype=float)
    if len(r) < 2 or np.isnan(r).any():
        raise ParameterError(
            f"Mean ± SD limits need at least two rates without gaps (got {len(r)}).",
            "Check every Most Similar Group member has a count and a population.",
        )
    m, s = float(r.mean()), float(r.std(ddof=1))
    out = {"mean": m, "sd": s}
    for k in ks:
        if not float(k) > 0:
            raise ParameterError(
                f"The limit multiplier k={k!r} must be positive.", "Use e.g. 1 or 2."
            )
        out[f"lower_k{float(k):g}"] = max(m - float(k) * s, 0.0)
        out[f"upper_k{float(k):g}"] = m + float(k) * s
    return out


@dataclass(frozen=True)
class GroupChange:
    """Result of :func:`change_against_group`: per-member ``z`` and ``p_value`` (two-sided,
    after allowing for overdispersion), and the group's dispersion ``phi`` (at least 1)."""

    z: np.ndarray
    p_value: np.ndarray
    phi: float
    df: int


def change_against_group(
    count_now: Sequence[float],
    count_before: Sequence[float],
    population_now: Sequence[float],
    population_before: Sequence[float],
    average_now: float,
    average_before: float,
    winsor: float = 0.10,
) -> GroupChange:
    """Has each member's count moved differently from the group's over the same two periods?

    Under "moved with the group", member *i*'s count now, given its two-period total ``n_i``, is
    Binomial(n_i, pi_i) with ``pi_i = r_i / (1 + r_i)`` and ``r_i`` = (population now / before)
    x (group average now / before): the expected ratio of its two counts. The score z-scores
    ``z_i = (O_now - n_i pi_i) / sqrt(n_i pi_i (1 - pi_i))`` would be standard normal if members
    varied only by chance; members also change for their own reasons, so — as for a funnel plot
    (Spiegelhalter 2005, multiplicative model) — the group's dispersion ``phi`` is the mean of the
    winsorised ``z**2`` (floored at 1) and each ``z_i / sqrt(phi)`` is referred to Student's t on
    ``members - 1`` degrees of freedom. This is what an arrow "better / worse since last year"
    needs: a change in distance from the average larger than members' usual year-to-year moves.
    """
    o1 = np.asarray(count_now, dtype=float)
    o0 = np.asarray(count_before, dtype=float)
    p1 = np.asarray(population_now, dtype=float)
    p0 = np.asarray(population_before, dtype=float)
    k = len(o1)
    if not (len(o0) == len(p1) == len(p0) == k) or k < 3:
        raise ParameterError(
            f"A change against the group needs at least 3 members with both years' counts and "
            f"populations (got {k}).",
            "Check every Most Similar Group member has both years in the Home Office table.",
        )
    nan = np.full(k, np.nan)
    if not (average_now > 0 and average_before > 0):
        return GroupChange(nan, nan, float("nan"), k - 1)
    r = (p1 / p0) * (average_now / average_before)
    pi = r / (1 + r)
    n = o1 + o0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(n > 0, (o1 - n * pi) / np.sqrt(n * pi * (1 - pi)), 0.0)
    lo, hi = np.percentile(z, [100 * winsor, 100 * (1 - winsor)])
    phi = max(float(np.mean(np.clip(z, lo, hi) ** 2)), 1.0)
    zz = z / math.sqrt(phi)
    p = 2 * stats.t.sf(np.abs(zz), k - 1)
    return GroupChange(zz, p, phi, k - 1)


# --------------------------------------------------------------------------- exceptional periods


@dataclass(frozen=True)
class ExceptionalPeriod:
    """A stretch of months when crime was shaped by something outside the trend (the sample's
    COVID-19 lockdowns). ``start`` and ``end`` are ``YYYY-MM``, inclusive."""

    name: str
    start: str
    end: str

    def covers(self, month: str) -> bool:
        return self.start <= str(month) <= self.end

    @property
    def months(self) -> list[str]:
        """Every month inside, in order."""
        y, m = int(self.start[:4]), int(self.start[5:])
        out = []
        while f"{y:04d}-{m:02d}" <= self.end:
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    @property
    def span(self) -> str:
        """'March 2020 to June 2021'."""
        import calendar

        def name(ym: str) -> str:
            return f"{calendar.month_name[int(ym[5:])]} {ym[:4]}"

        return f"{name(self.start)} to {name(self.end)}"


def exceptional_periods(analysis: dict | None) -> list[ExceptionalPeriod]:
    """Read ``analysis.exceptional_periods: [{name, start: YYYY-MM, end: YYYY-MM}]`` from an
    area config's ``analysis`` section (empty list when absent), with a clear error otherwise."""
    from helpers.core.errors import ConfigError
    from helpers.core.periods import parse_month

    raw = (analysis or {}).get("exceptional_periods") or []
    if not isinstance(raw, list):
        raise ConfigError(
            f"'analysis.exceptional_periods' must be a list, not {raw!r}.",
            "e.g. exceptional_periods: [{name: COVID-19 lockdowns, start: 2020-03, end: 2021-06}]",
        )
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not {"name", "start", "end"} <= set(item):
            raise ConfigError(
                f"'analysis.exceptional_periods' item {i + 1} ({item!r}) needs a name, a start "
                "and an end.",
                "e.g. {name: COVID-19 lockdowns, start: 2020-03, end: 2021-06}",
            )
        try:
            a = str(parse_month(str(item["start"]), "start"))
            b = str(parse_month(str(item["end"]), "end"))
        except ParameterError as exc:
            raise ConfigError(
                f"'analysis.exceptional_periods' item {i + 1} ({item['name']!r}): {exc.what}",
                "Give start and end as YYYY-MM, e.g. 2020-03.",
            ) from exc
        if b < a:
            raise ConfigError(
                f"'analysis.exceptional_periods' item {i + 1} ({item['name']!r}) ends ({b}) "
                f"before it starts ({a}).",
                "Swap start and end.",
            )
        out.append(ExceptionalPeriod(str(item["name"]), a, b))
    return out
