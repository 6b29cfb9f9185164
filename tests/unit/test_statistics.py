"""Hand-worked checks of helpers.core.statistics (expected values computed here, not by the code)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.core import statistics as S
from helpers.core.errors import ParameterError


def _binom_pmf(k: int, n: int, p: float) -> float:
    return math.comb(n, k) * p**k * (1 - p) ** (n - k)


def _exact_two_sided(c: int, n: int, p: float) -> float:
    """Two-sided exact binomial p: sum of pmf no larger than the observed pmf (minlike)."""
    obs = _binom_pmf(c, n, p)
    return min(
        1.0,
        sum(_binom_pmf(k, n, p) for k in range(n + 1) if _binom_pmf(k, n, p) <= obs * (1 + 1e-7)),
    )


def _poisson_cdf(k: int, lam: float) -> float:
    return sum(math.exp(-lam) * lam**i / math.factorial(i) for i in range(k + 1))


def test_exact_test_equal_periods_hand_worked():
    # 10 v 4 crimes: under no change, 10 ~ Bin(14, 1/2). P(X<=4) = (1+14+91+364+1001)/2^14.
    res = S.compare_counts(10, 4)
    assert res.p_value == pytest.approx(2 * 1471 / 16384, rel=1e-9)
    assert not res.significant
    assert res.direction == "no change"
    assert res.rate_ratio == pytest.approx(2.5)


def test_exact_test_significant_increase():
    # 30 v 10: P(X>=30 | n=40, 1/2) doubled.
    expected = 2 * sum(math.comb(40, k) for k in range(30, 41)) / 2**40
    res = S.compare_counts(30, 10, alpha=0.05)
    assert res.p_value == pytest.approx(expected, rel=1e-9)
    assert res.significant and res.direction == "increase"
    dec = S.compare_counts(10, 30)
    assert dec.significant and dec.direction == "decrease"


def test_exact_test_with_unequal_exposure():
    # 11 months v 12 months: pi0 = (11/12)/(1 + 11/12) = 11/23.
    res = S.compare_counts(20, 40, exposure_ratio=11 / 12)
    assert res.p_value == pytest.approx(_exact_two_sided(20, 60, 11 / 23), rel=1e-7)
    assert res.rate_ratio == pytest.approx((20 / 11) / (40 / 12))


def test_z_test_matches_seed_003_all_crime():
    # Seed 003: all crime 61,373 -> 61,888. z = 515 / sqrt(123,261).
    z = 515 / math.sqrt(61373 + 61888)
    res = S.compare_counts(61888, 61373, method="z")
    assert res.z == pytest.approx(z, rel=1e-12)
    assert res.p_value == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-9)
    assert not res.significant  # a 0.8% rise on 61k crimes is within Poisson noise at 5%


def test_rate_ratio_interval_is_clopper_pearson_transformed():
    from scipy.stats import beta

    c, p = 30, 10
    lo_pi = beta.ppf(0.025, c, p + 1)
    hi_pi = beta.ppf(0.975, c + 1, p)
    res = S.compare_counts(c, p)
    assert res.ratio_low == pytest.approx(lo_pi / (1 - lo_pi), rel=1e-6)
    assert res.ratio_high == pytest.approx(hi_pi / (1 - hi_pi), rel=1e-6)


def test_zero_counts_and_bad_input():
    assert S.compare_counts(0, 0).p_value == 1.0
    with pytest.raises(ParameterError, match="whole number"):
        S.compare_counts(-1, 3)
    with pytest.raises(ParameterError, match="alpha"):
        S.compare_counts(3, 3, alpha=5)
    with pytest.raises(ParameterError, match="Unknown test"):
        S.compare_counts(3, 3, method="t")


def test_compare_count_columns_and_holm():
    import pandas as pd

    df = pd.DataFrame({"current": [30, 10, 12], "previous": [10, 4, 12]})
    out = S.compare_count_columns(df)
    assert out["significant"].tolist() == [True, False, False]
    assert out["direction"].tolist() == ["increase", "no change", "no change"]
    holm = S.compare_count_columns(df, p_adjust="holm")
    # Holm: smallest p multiplied by 3 (number of tests).
    p_small = S.compare_counts(30, 10).p_value
    assert holm["p_value"].iloc[0] == pytest.approx(min(1, 3 * p_small))


def test_poisson_ci_garwood():
    lo, hi = S.poisson_ci(0)
    assert lo == 0 and hi == pytest.approx(-math.log(0.025))
    lo, hi = S.poisson_ci(1)
    assert lo == pytest.approx(-math.log(1 - 0.025))  # P(X>=1 | lo) = 0.025
    assert _poisson_cdf(1, hi) == pytest.approx(0.025, abs=1e-9)  # P(X<=1 | hi) = 0.025


def test_funnel_limits_interpolated_quantile_hand_worked():
    # Target 2 per 1,000, population 1,000: expected count 2.
    f = [_poisson_cdf(k, 2.0) for k in range(8)]
    # Upper 95%: smallest y with F(y) >= 0.975 is 5; interpolate back.
    assert f[4] < 0.975 <= f[5]
    upper = 5 - (f[5] - 0.975) / (f[5] - f[4])
    out = S.funnel_limits(2.0, [1000], levels=[0.95])
    assert out["upper_95"].iloc[0] == pytest.approx(upper, rel=1e-9)
    assert out["lower_95"].iloc[0] == 0.0  # y = 0, interpolated below zero, floored


def test_funnel_limits_shape():
    out = S.funnel_limits(80.0, [50_000, 150_000, 400_000])
    assert list(out.columns) == [
        "population",
        "target",
        "lower_95",
        "upper_95",
        "lower_99.8",
        "upper_99.8",
    ]
    width = out["upper_95"] - out["lower_95"]
    assert width.is_monotonic_decreasing  # funnel narrows as population grows
    assert (out["upper_99.8"] > out["upper_95"]).all() and (
        out["lower_99.8"] < out["lower_95"]
    ).all()
    # Large counts: close to the normal approximation target ± 1.96 sqrt(target*1000/n).
    n = 400_000
    assert out["upper_95"].iloc[2] == pytest.approx(
        80 + 1.959964 * math.sqrt(80 * 1000 / n), rel=2e-3
    )


def test_overdispersion_hand_worked():
    # Five areas of 1,000 people around a target of 10 per 1,000: E = 10 each, s = 1/(2 sqrt 10).
    rates = [4, 8, 10, 12, 16]
    od = S.overdispersion(rates, [1000] * 5, 10.0)
    # Square-root scale: z = 2 (sqrt(O) - sqrt(E)) with O = the rate here (population 1,000).
    z = [2 * (math.sqrt(r) - math.sqrt(10)) for r in rates]
    zs = sorted(z)
    # 10th/90th percentiles, numpy's linear rule: position 0.4 between the first two values.
    lo = zs[0] + 0.4 * (zs[1] - zs[0])
    hi = zs[3] + 0.6 * (zs[4] - zs[3])
    phi = sum(min(max(x, lo), hi) ** 2 for x in z) / 5
    assert od.phi == pytest.approx(phi)
    s2 = 1 / (4 * 10)
    w = 1 / s2
    tau2 = max((5 * phi - 4) / (5 * w - 5 * w**2 / (5 * w)), 0.0)
    assert od.tau2 == pytest.approx(tau2)
    lim = S.overdispersed_funnel_limits(10.0, [1000], od, levels=[0.95])
    se = math.sqrt(s2 + tau2)
    assert lim["upper_95"].iloc[0] == pytest.approx(10 * (1 + 1.959963985 * se) ** 2, rel=1e-6)
    assert lim["lower_95"].iloc[0] == pytest.approx(10 * (1 - 1.959963985 * se) ** 2, rel=1e-6)
    mult = S.overdispersed_funnel_limits(10.0, [1000], od, levels=[0.95], model="multiplicative")
    k = math.sqrt(phi) if 5 * phi > 4 else 1.0
    assert mult["upper_95"].iloc[0] == pytest.approx(
        10 * (1 + 1.959963985 * k * math.sqrt(s2)) ** 2, rel=1e-6
    )


def test_no_overdispersion_gives_square_root_poisson_limits():
    od = S.overdispersion([9.9, 10.0, 10.1, 10.0], [1000] * 4, 10.0)
    assert od.tau2 == 0 and not od.overdispersed
    lim = S.overdispersed_funnel_limits(10.0, [1000], od, levels=[0.95])
    assert lim["upper_95"].iloc[0] == pytest.approx(
        10 * (1 + 1.959963985 / (2 * math.sqrt(10))) ** 2, rel=1e-6
    )


def test_square_root_funnel_tracks_exact_poisson_for_rare_crimes():
    # A rare crime: 0.4 per 1,000 in an area of 20,000 -> 8 expected. The old symmetric limits on
    # the raw rate (8 +/- 3.09 sqrt(8)) put the lower 99.8% limit at 0; the square-root limits
    # are asymmetric and close to the exact Poisson limits (scipy), at both ends.
    from scipy import stats

    od = S.Overdispersion(5, 0.5, 0.0, 1.0, 0.1)  # no overdispersion: the Poisson case
    lim = S.overdispersed_funnel_limits(0.4, [20_000], od, levels=[0.998]).iloc[0]
    e = 8.0
    raw_lower = max(e - 3.090232306 * math.sqrt(e), 0.0)
    assert raw_lower == 0.0
    assert lim["lower_99.8"] > 0
    exact_hi = stats.poisson.ppf(0.999, e)  # 19
    exact_lo = stats.poisson.ppf(0.001, e)  # 1
    hi, lo = lim["upper_99.8"] * 20, lim["lower_99.8"] * 20  # rate per 1,000 x 20 = count
    assert abs(hi - exact_hi) < abs((e + 3.090232306 * math.sqrt(e)) - exact_hi)
    assert abs(lo - exact_lo) < abs(raw_lower - exact_lo)
    assert hi - e > e - lo  # wider above than below


def test_change_against_group_by_hand():
    from scipy import stats

    o1 = np.array([120.0, 200, 90, 310, 150])
    o0 = np.array([100.0, 210, 95, 300, 160])
    p1 = np.array([50e3, 80e3, 40e3, 120e3, 60e3])
    p0 = p1 * 0.99
    a1, a0 = np.mean(o1 / p1 * 1e3), np.mean(o0 / p0 * 1e3)
    res = S.change_against_group(o1, o0, p1, p0, a1, a0)
    r = (p1 / p0) * (a1 / a0)
    pi = r / (1 + r)
    n = o1 + o0
    z = (o1 - n * pi) / np.sqrt(n * pi * (1 - pi))
    lo, hi = np.percentile(z, [10, 90])
    phi = max(np.mean(np.clip(z, lo, hi) ** 2), 1.0)
    assert res.phi == pytest.approx(phi)
    assert res.p_value == pytest.approx(2 * stats.t.sf(np.abs(z) / np.sqrt(phi), 4))


def test_mean_sd_limits_hand_worked():
    out = S.mean_sd_limits([2, 4, 6], ks=(1, 2))
    assert out["mean"] == 4 and out["sd"] == pytest.approx(2)
    assert (out["lower_k1"], out["upper_k1"]) == (pytest.approx(2), pytest.approx(6))
    assert out["lower_k2"] == 0 and out["upper_k2"] == pytest.approx(8)
    with pytest.raises(ParameterError):
        S.mean_sd_limits([3.0])


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 400), st.integers(0, 400))
def test_exact_test_symmetric_and_bounded(a, b):
    p1 = S.compare_counts(a, b).p_value
    p2 = S.compare_counts(b, a).p_value
    assert 0 <= p1 <= 1
    assert p1 == pytest.approx(p2, rel=1e-9, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.5, 200), st.lists(st.floats(1_000, 1_000_000), min_size=1, max_size=5))
def test_funnel_limits_bracket_target(target, pops):
    out = S.funnel_limits(target, pops)
    assert (out["lower_99.8"] <= out["lower_95"] + 1e-9).all()
    assert (out["lower_95"] <= target + 1e-9).all() and (out["upper_95"] >= target - 1e-9).all()
    assert np.all(out["upper_99.8"] >= out["upper_95"] - 1e-9)


def _long_pairs(cur, prev):
    import pandas as pd

    m = len(cur)
    return pd.DataFrame(
        {
            "y": list(cur) + list(prev),
            "pair": [f"m{i}" for i in range(m)] * 2,
            "current": [1] * m + [0] * m,
        }
    )


def test_pair_dispersion_matches_a_quasi_poisson_glm():
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    cur = [120, 95, 140, 160, 180, 210, 260, 240, 170, 150, 130, 125]
    prev = [110, 100, 150, 140, 200, 190, 230, 255, 160, 165, 120, 140]
    fit = smf.glm(
        "y ~ C(pair) + current", _long_pairs(cur, prev), family=sm.families.Poisson()
    ).fit()
    phi_glm = fit.pearson_chi2 / fit.df_resid
    phi, df = S.pair_dispersion([cur], [prev])
    assert df[0] == fit.df_resid == 11
    assert phi[0] == pytest.approx(phi_glm, rel=1e-6)
    # The quasi-Poisson test: score statistic over sqrt(phi), Student's t on 11 df; the interval is
    # the GLM's Wald interval with the Pearson scale.
    res = S.compare_counts(sum(cur), sum(prev), method="quasi_poisson", dispersion=phi[0], df=df[0])
    c, p = sum(cur), sum(prev)
    from scipy import stats

    z = (c - (c + p) / 2) / math.sqrt(max(phi_glm, 1.0) * (c + p) / 4)
    assert res.p_value == pytest.approx(2 * stats.t.sf(abs(z), 11), rel=1e-9)
    qfit = smf.glm(
        "y ~ C(pair) + current", _long_pairs(cur, prev), family=sm.families.Poisson()
    ).fit(scale="X2")
    se = qfit.bse["current"] * math.sqrt(max(phi_glm, 1.0) / phi_glm)  # phi floored at 1
    half = stats.t.ppf(0.975, 11) * se
    assert res.rate_ratio == pytest.approx(math.exp(qfit.params["current"]), rel=1e-6)
    assert res.ratio_low == pytest.approx(math.exp(qfit.params["current"] - half), rel=1e-6)
    assert res.ratio_high == pytest.approx(math.exp(qfit.params["current"] + half), rel=1e-6)


def test_overdispersed_change_is_not_significant_under_quasi_poisson():
    # 4,190 -> 4,480 (+6.9%): the plain Poisson test fires (z = 290 / sqrt(8,670) = 3.1), but
    # the monthly counts vary far more than Poisson around their pairs' levels.
    cur = [300, 420, 250, 380, 460, 310, 520, 280, 390, 470, 260, 440]
    prev = [330, 360, 280, 300, 400, 350, 430, 300, 330, 420, 300, 390]
    c, p = sum(cur), sum(prev)
    z_poisson = (c - p) / math.sqrt(c + p)
    assert abs(z_poisson) > 2.6  # the plain Poisson test calls this a real change
    assert S.compare_counts(c, p).significant
    phi, df = S.pair_dispersion([cur], [prev])
    assert phi[0] > 3
    q = S.compare_counts(c, p, method="quasi_poisson", dispersion=phi[0], df=df[0])
    assert not q.significant and q.dispersion == pytest.approx(phi[0])


def test_quasi_poisson_floors_dispersion_and_falls_back_when_unknown():
    # No extra variation (phi estimate below 1): treated as Poisson, never as less variable.
    q = S.compare_counts(60, 40, method="quasi_poisson", dispersion=0.3, df=11)
    from scipy import stats

    z = (60 - 50) / math.sqrt(100 / 4)
    assert q.dispersion == 1.0 and q.p_value == pytest.approx(2 * stats.t.sf(z, 11))
    # Dispersion unknown (one month only): the exact test, and the result says so.
    e = S.compare_counts(20, 5, method="quasi_poisson", dispersion=float("nan"))
    assert e.method == "exact" and math.isnan(e.dispersion)
    assert e.p_value == pytest.approx(S.compare_counts(20, 5).p_value)
    phi, df = S.pair_dispersion([[0, 0, 5]], [[0, 0, 3]])
    assert math.isnan(phi[0]) and math.isnan(df[0])  # one informative month: no estimate


def test_small_number_rule_helpers():
    assert S.is_small(5, 1) and not S.is_small(20, 20)
    assert math.isnan(S.shown_pct_change(5, 1))  # Homicide 1 -> 5 is never "+400%"
    assert S.shown_pct_change(30, 20) == pytest.approx(50.0)


def test_row_without_a_dispersion_borrows_the_tables_median():
    import pandas as pd
    from scipy import stats

    # 0 -> 7 (e.g. deaths by unlawful driving): no dispersion can be estimated from one side's
    # zeros, so the row takes the median of the others (2.0, on 11 df) instead of the Poisson test.
    df = pd.DataFrame(
        {
            "current": [7, 400, 300, 200],
            "previous": [0, 380, 310, 190],
            "phi": [float("nan"), 1.5, 2.0, 3.0],
            "dof": [float("nan"), 11, 11, 11],
        }
    )
    out = S.compare_count_columns(df, method="quasi_poisson", dispersion="phi", dispersion_df="dof")
    z = 7 / math.sqrt(2.0 * 7)
    assert out["dispersion"].iloc[0] == 2.0
    assert out["p_value"].iloc[0] == pytest.approx(2 * stats.t.sf(z, 11))
    assert out["p_value"].iloc[0] > S.compare_counts(7, 0).p_value


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 300), st.integers(0, 300)), min_size=2, max_size=12),
)
def test_quasi_poisson_is_never_keener_than_poisson(pairs):
    cur = [a for a, _ in pairs]
    prev = [b for _, b in pairs]
    phi, df = S.pair_dispersion([cur], [prev])
    assert np.isnan(phi[0]) or phi[0] >= 0
    q = S.compare_counts(sum(cur), sum(prev), method="quasi_poisson", dispersion=phi[0], df=df[0])
    z = S.compare_counts(sum(cur), sum(prev), method="z")
    if q.method == "quasi_poisson":
        assert q.p_value >= z.p_value - 1e-12
        assert q.dispersion >= 1


@settings(max_examples=40, deadline=None)
@given(
    st.floats(0.05, 200),
    st.lists(st.floats(5_000, 1_000_000), min_size=1, max_size=5),
    st.floats(0, 0.05),
)
def test_square_root_funnel_limits_bracket_the_target(target, pops, tau2):
    od = S.Overdispersion(10, 2.0, tau2, 0.01, 0.1)
    out = S.overdispersed_funnel_limits(target, pops, od)
    assert (out["lower_99.8"] >= 0).all()
    assert (out["lower_99.8"] <= out["lower_95"] + 1e-12).all()
    assert (out["lower_95"] <= target + 1e-12).all() and (out["upper_95"] >= target - 1e-12).all()
    assert (out["upper_99.8"] >= out["upper_95"] - 1e-12).all()
    # asymmetric, as a count's chance variation is: further above the target than below
    assert ((out["upper_95"] - target) >= (target - out["lower_95"]) - 1e-12).all()


# ---------------------------------------------------------------------------- FDR (one rule: ward changes and Gi* hot spots)


def test_fdr_bh_by_hand_all_rejected():
    # sorted p: .005 .01 .03 .04 vs thresholds .0125 .025 .0375 .05 -> all rejected.
    # q_(i) = min_{j>=i} p_(j) m / j: .02 .02 .04 .04
    reject, q = S.fdr_bh([0.01, 0.04, 0.03, 0.005], alpha=0.05)
    assert reject.tolist() == [True, True, True, True]
    assert q.tolist() == pytest.approx([0.02, 0.04, 0.04, 0.02])


def test_fdr_bh_by_hand_partial_and_nan():
    # p .01 .02 .03 .5 (m=4): .03 <= 3/4*.05=.0375 -> first three rejected; .5 is not
    reject, q = S.fdr_bh([0.5, 0.03, 0.01, 0.02, np.nan], alpha=0.05)
    assert reject.tolist() == [False, True, True, True, False]
    assert q[:4].tolist() == pytest.approx([0.5, 0.04, 0.04, 0.04])
    assert np.isnan(q[4])
    # uncorrected, .03 < .05 would be significant; with 20 tests it is not
    reject20, _ = S.fdr_bh([0.03] + [0.9] * 19)
    assert not reject20.any()
    with pytest.raises(ParameterError):
        S.fdr_bh([0.1], alpha=1.5)


def test_fdr_bh_equals_scipy_false_discovery_control():
    from scipy.stats import false_discovery_control

    rng = np.random.default_rng(7)
    for m in (1, 5, 30, 200):
        p = np.concatenate([rng.uniform(0, 0.02, m // 3), rng.uniform(0, 1, m - m // 3)])
        reject, q = S.fdr_bh(p, alpha=0.05)
        expected = false_discovery_control(p, method="bh")
        assert q == pytest.approx(expected, rel=1e-12)
        assert (reject == (expected <= 0.05)).all()
    # NaN p-values are untested and not counted in m
    p = np.array([0.01, np.nan, 0.04, 0.2])
    reject, q = S.fdr_bh(p)
    assert q[[0, 2, 3]] == pytest.approx(false_discovery_control(p[[0, 2, 3]], method="bh"))
    assert np.isnan(q[1]) and not reject[1]


def test_ward_change_uses_the_exact_test_and_bh_of_this_module():
    """Stage 04's ward change: exact conditional binomial p per ward (scipy binomtest, p=1/2
    for like-for-like months) and BH across the wards (scipy false_discovery_control)."""
    import pandas as pd
    from scipy.stats import binomtest, false_discovery_control

    from helpers.stages import hotspots

    now, before = [30, 12, 0, 7, 55, 3], [10, 12, 0, 1, 30, 9]
    codes = [f"E0{i}" for i in range(len(now))]
    cur = pd.DataFrame({"ward_code": codes, "ward_name": codes, "asb": now})
    prev = pd.DataFrame({"ward_code": codes, "asb": before})
    ch = hotspots.ward_change(cur, prev, "asb", alpha=0.05).set_index("ward_code")
    p = np.array([binomtest(a, a + b, 0.5).pvalue if a + b else 1.0
                  for a, b in zip(now, before, strict=True)])  # fmt: skip
    q = false_discovery_control(p, method="bh")
    assert ch.loc[codes, "p"].to_numpy() == pytest.approx(p, rel=1e-12)
    assert ch.loc[codes, "q"].to_numpy() == pytest.approx(q, rel=1e-12)
    assert (ch.loc[codes, "significant"].to_numpy() == (q <= 0.05)).all()
    # the same p-value as the pack's other count comparisons (one test, one place)
    assert S.compare_counts(10, 0).p_value == pytest.approx(2 / 1024)
    assert S.compare_counts(3, 1).p_value == pytest.approx(10 / 16)
    assert S.compare_counts(0, 0).p_value == 1.0


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 400),
    st.integers(0, 400),
    st.sampled_from([1.0, 11 / 12, 12 / 11, 0.5]),
)
def test_exact_p_value_is_the_exact_tests_p_value(c, p, r):
    # the independent value: scipy's exact binomial test of c out of c + p at r / (1 + r)
    from scipy.stats import binomtest

    expected = 1.0 if c + p == 0 else min(binomtest(c, c + p, r / (1 + r)).pvalue, 1.0)
    assert S.exact_p_value(c, p, r) == expected
    assert S.exact_p_value(c, p, r) == S.compare_counts(c, p, exposure_ratio=r).p_value


def test_exact_p_value_rejects_bad_input():
    with pytest.raises(ParameterError):
        S.exact_p_value(-1, 3)
    with pytest.raises(ParameterError):
        S.exact_p_value(3, 3, exposure_ratio=0)
