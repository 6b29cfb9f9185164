"""helpers.stages.msg on a hand-built five-CSP Most Similar Group; expectations worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers.core.errors import ConfigError, DataFileError, ParameterError, PeriodError
from helpers.stages import msg as M

POP = {"Area": 100_000, "Bee": 200_000, "Cee": 50_000, "Dee": 150_000, "Eee": 100_000}
# Twelve-month counts (robbery, shoplifting) per CSP: FY 2021/22 and FY 2020/21.
NOW = {
    "Area": (100, 400),
    "Bee": (300, 600),
    "Cee": (25, 300),
    "Dee": (150, 450),
    "Eee": (200, 500),
}
PREV = {
    "Area": (120, 400),
    "Bee": (300, 600),
    "Cee": (25, 300),
    "Dee": (150, 450),
    "Eee": (200, 500),
}
TYPES = [
    ("All crime", "all", ""),
    ("Robbery", "group", "Robbery"),
    ("Shoplifting", "subgroup", "Shoplifting"),
]


def _counts(spec: dict, fy: str) -> list[dict]:
    rows = []
    for csp, (rob, shop) in spec.items():
        for code, grp, sub, total in (
            ("34B", "Robbery", "Robbery of personal property", rob),
            ("46", "Theft offences", "Shoplifting", shop),
        ):
            per, rem = divmod(total, 4)
            for q in range(1, 5):
                rows.append(
                    {
                        "financial_year": fy,
                        "quarter": q,
                        "force_name": "F",
                        "csp_name": csp,
                        "offence_code": code,
                        "offence_description": sub,
                        "offence_group": grp,
                        "offence_subgroup": sub,
                        "count": per + (rem if q == 1 else 0),
                    }
                )
    return rows


@pytest.fixture
def data():
    counts = pd.DataFrame(_counts(NOW, "2021/22") + _counts(PREV, "2020/21"))
    pop = pd.DataFrame(
        [{"csp_name": c, "year": y, "population": p} for c, p in POP.items() for y in (2020, 2021)]
    )
    msg = pd.DataFrame({"csp_name": "Area", "msg_member": list(POP)})
    return counts, pop, msg


def _run(data, **kw):
    counts, pop, msg = data
    return M.msg_comparison(counts, pop, msg, "Area", "2022-03", M.LimitSettings(**kw), TYPES)


def test_rates_average_rank_distance_arrow(data):
    res = _run(data, method="mean_sd")
    t = res.table.set_index("crime_type")
    # Robbery rates per 1,000: 1.0, 1.5, 0.5, 1.0, 2.0 -> mean 1.2.
    assert t.loc["Robbery", "rate"] == pytest.approx(1.0)
    assert t.loc["Robbery", "msg_average"] == pytest.approx(1.2)
    assert t.loc["Robbery", "distance_pct"] == pytest.approx((1.0 - 1.2) / 1.2 * 100)
    assert t.loc["Robbery", "rank"] == 2  # C 0.5 lowest; Area ties with Dee at 1.0 -> rank 2
    # Previous year-end (FY 2020/21): Area 1.2, mean (1.2+1.5+0.5+1+2)/5 = 1.24.
    assert t.loc["Robbery", "rate_prev"] == pytest.approx(1.2)
    assert t.loc["Robbery", "distance_prev_pct"] == pytest.approx((1.2 - 1.24) / 1.24 * 100)
    # The distance shrank (-16.7% from -3.2%), but is that more than members' usual moves? An
    # independent change-against-the-group test: expected ratio of counts = population ratio x
    # group-average ratio; score z per member; dispersion = mean winsorised z^2 (at least 1);
    # t on 4 df; Benjamini-Hochberg across the three crime types.
    q = _hand_change_q(data)
    sig = q["Robbery"] < 0.05
    assert t.loc["Robbery", "change_p_value"] == pytest.approx(q["Robbery"], rel=1e-9)
    assert t.loc["Robbery", "arrow"] == ("down" if sig else "same")
    assert t.loc["Robbery", "trend"] == ("better" if sig else "no significant change")
    # All crime: 5.0, 4.5, 6.5, 4.0, 7.0 -> mean 5.4; Area is third lowest.
    assert t.loc["All crime", "msg_average"] == pytest.approx(5.4)
    assert t.loc["All crime", "rank"] == 3 and t.loc["All crime", "members"] == 5
    assert res.previous.label == "2020/21 year-end"


def test_mean_sd_limits_and_positions(data):
    res = _run(data, method="mean_sd", ks=(1, 2))
    t = res.table.set_index("crime_type")
    sd = math.sqrt((0.2**2 + 0.3**2 + 0.7**2 + 0.2**2 + 0.8**2) / 4)
    assert t.loc["Robbery", "upper_inner"] == pytest.approx(1.2 + sd)
    assert t.loc["Robbery", "lower_outer"] == pytest.approx(1.2 - 2 * sd)
    # Mean +/- SD bands are a description of the spread, not a test: never "significantly".
    assert t.loc["Robbery", "position"] == "Close to the group average"
    m = res.members[res.members.crime_type == "Robbery"].set_index("csp_name")
    assert m.loc["Cee", "position"] == "Below the group average"  # 0.5 < 1.2 - 0.57
    assert m.loc["Eee", "position"] == "Above the group average"  # 2.0 > 1.77 but < 2.34
    assert not res.members["position"].str.contains("ignificant|normal range").any()


def _hand_change_q(data) -> dict[str, float]:
    from scipy import stats
    from statsmodels.stats.multitest import multipletests

    raw = {}
    for i, name in enumerate(["All crime", "Robbery", "Shoplifting"]):

        def cnt(spec, c, i=i):
            rob, shop = spec[c]
            return (rob + shop, rob, shop)[i]

        o1 = np.array([cnt(NOW, c) for c in POP], dtype=float)
        o0 = np.array([cnt(PREV, c) for c in POP], dtype=float)
        pops = np.array(list(POP.values()), dtype=float)
        avg1, avg0 = np.mean(o1 / pops * 1000), np.mean(o0 / pops * 1000)
        r = avg1 / avg0  # populations are the same in both years here
        pi = r / (1 + r)
        n = o1 + o0
        z = (o1 - n * pi) / np.sqrt(n * pi * (1 - pi))
        lo, hi = np.percentile(z, [10, 90])
        phi = max(np.mean(np.clip(z, lo, hi) ** 2), 1.0)
        raw[name] = 2 * stats.t.sf(abs(z[0]) / math.sqrt(phi), 4)
    q = multipletests(list(raw.values()), method="fdr_bh")[1]
    return dict(zip(raw, q, strict=True))


def test_arrow_does_not_fire_on_a_small_move(data):
    # Area robbery 100 now against 101 before, every other member unchanged: the distance from
    # the average moves by a fraction of a point, which is no evidence of getting better.
    counts, pop, msg = data
    prev = pd.DataFrame(_counts({**PREV, "Area": (101, 400)}, "2020/21"))
    counts = pd.concat([counts[counts.financial_year == "2021/22"], prev], ignore_index=True)
    res = M.msg_comparison(counts, pop, msg, "Area", "2022-03", M.LimitSettings(), TYPES)
    t = res.table.set_index("crime_type")
    assert t.loc["Robbery", "distance_pct"] != pytest.approx(t.loc["Robbery", "distance_prev_pct"])
    assert t.loc["Robbery", "arrow"] == "same"
    assert t.loc["Robbery", "trend"] == "no significant change"


def test_pooled_average(data):
    res = _run(data, method="mean_sd", average="pooled")
    t = res.table.set_index("crime_type")
    assert t.loc["Robbery", "msg_average"] == pytest.approx(775 / 600_000 * 1000)


def _interp_quantile(p: float, lam: float) -> float:
    """Spiegelhalter's interpolated Poisson quantile, by summing the pmf in log space."""
    cdf, y, prev = 0.0, 0, 0.0
    while True:
        prev = cdf
        cdf += math.exp(y * math.log(lam) - lam - math.lgamma(y + 1))
        if cdf >= p:
            return y - (cdf - p) / (cdf - prev)
        y += 1


def test_exact_funnel_limits_for_area(data):
    res = _run(data, method="funnel")
    t = res.table.set_index("crime_type")
    lam = 1.2 * 100_000 / 1000  # expected robbery count for the Area at the group mean
    assert t.loc["Robbery", "upper_inner"] == pytest.approx(
        _interp_quantile(0.975, lam) / 100, rel=1e-9
    )
    assert t.loc["Robbery", "lower_inner"] == pytest.approx(
        _interp_quantile(0.025, lam) / 100, rel=1e-9
    )
    assert t.loc["Robbery", "upper_outer"] == pytest.approx(
        _interp_quantile(0.999, lam) / 100, rel=1e-9
    )


def test_overdispersed_funnel_by_hand(data):
    res = _run(data, method="funnel_overdispersed")
    t = res.table.set_index("crime_type")
    # Spiegelhalter (2005) on the square-root scale, by hand: O = observed, E = expected at the
    # group mean; y = sqrt(O/E), s = 1/(2 sqrt(E)); z = (y - 1)/s winsorised at 10%/90%.
    counts = np.array([100, 300, 25, 150, 200], dtype=float)
    pops = np.array(list(POP.values()), dtype=float)
    expected = 1.2 * pops / 1000
    y = np.sqrt(counts / expected)
    s = 1 / (2 * np.sqrt(expected))
    z = (y - 1) / s
    lo, hi = np.percentile(z, [10, 90])
    phi = np.mean(np.clip(z, lo, hi) ** 2)
    w = 1 / s**2
    tau2 = max((5 * phi - 4) / (w.sum() - (w**2).sum() / w.sum()), 0)
    assert tau2 > 0
    se_area = math.sqrt(s[0] ** 2 + tau2)
    assert t.loc["Robbery", "upper_inner"] == pytest.approx(
        1.2 * (1 + 1.959963985 * se_area) ** 2, rel=1e-6
    )
    assert t.loc["Robbery", "lower_outer"] == pytest.approx(
        1.2 * max(0, 1 - 3.090232306 * se_area) ** 2, rel=1e-6
    )
    # Back-transformed limits are asymmetric: wider above the average than below.
    assert t.loc["Robbery", "upper_inner"] - 1.2 > 1.2 - t.loc["Robbery", "lower_inner"]
    funnel = res.funnel("Robbery")
    assert {"population", "lower_inner", "upper_outer", "average"} <= set(funnel.columns)
    assert (funnel["upper_inner"].diff().dropna() <= 1e-12).all()  # narrows with population


def test_distance_arrow_rules():
    assert M.distance_arrow(-16.7, -3.2) == "down"  # further below the average: better
    assert M.distance_arrow(5.0, 3.0) == "up"  # further above: worse
    assert M.distance_arrow(-2.0, -5.0) == "up"  # closer from below: worse
    assert M.distance_arrow(2.04, 2.01) == "same"
    assert M.distance_arrow(2.0, float("nan")) == "same"


def test_position_thresholds():
    lim = pd.Series({"lower_outer": 1, "lower_inner": 2, "upper_inner": 4, "upper_outer": 5})
    assert [M.position(x, lim) for x in (0.5, 1.5, 3, 4.5, 6)] == [
        "Well below the normal range",
        "Below the normal range",
        "Within the normal range",
        "Above the normal range",
        "Well above the normal range",
    ]
    assert [M.position(x, lim, "mean_sd") for x in (0.5, 3, 6)] == [
        "Far below the group average",
        "Close to the group average",
        "Far above the group average",
    ]


def test_sentences(data):
    res = _run(data, method="mean_sd")
    s = M.msg_sentences(res)
    assert s[0].startswith(
        "The all crime rate for the Partnership is 5.0 crimes per 1,000 residents"
    )
    assert "7.4% below the Most Similar Group average of 5.4" in s[0] and "ranks 3 of 5" in s[0]
    assert "significantly" not in s[0].split(";")[0]  # mean +/- SD is not a test
    q = _hand_change_q(data)
    if min(q.values()) >= 0.05:
        assert any("has not changed significantly for any of the two crime types" in x for x in s)
    else:
        assert any("worsened significantly for none of the two crime types" in x for x in s)


def test_bad_inputs(data):
    counts, pop, msg = data
    with pytest.raises(ConfigError, match="'Nowhere' is not in the Most Similar Group"):
        M.msg_comparison(counts, pop, msg, "Nowhere", "2022-03")
    with pytest.raises(DataFileError, match="no population for 'Dee'"):
        M.msg_comparison(counts, pop[pop.csp_name != "Dee"], msg, "Area", "2022-03")
    with pytest.raises(PeriodError, match="quarterly"):
        M.msg_comparison(counts, pop, msg, "Area", "2022-02")
    with pytest.raises(PeriodError, match="2022/23 Q1"):
        M.msg_comparison(counts, pop, msg, "Area", "2022-06")
    with pytest.raises(DataFileError, match="more than once"):
        M.msg_comparison(pd.concat([counts, counts.iloc[:1]]), pop, msg, "Area", "2022-03")
    bad = counts.copy()
    bad.loc[3, "count"] = -2
    with pytest.raises(DataFileError, match="whole numbers"):
        M.msg_comparison(bad, pop, msg, "Area", "2022-03")
    no_q = counts[
        ~((counts.csp_name == "Bee") & (counts.quarter == 2) & (counts.financial_year == "2021/22"))
    ]
    with pytest.raises(DataFileError, match="'Bee' in 2021/22 Q2"):
        M.msg_comparison(no_q, pop, msg, "Area", "2022-03")
    with pytest.raises(ParameterError, match="limit method"):
        M.LimitSettings(method="guess")
    with pytest.raises(ParameterError):
        M.LimitSettings(levels=(0.998, 0.95))


def test_population_year_fallback_is_noted(data):
    counts, pop, msg = data
    res = M.msg_comparison(
        counts,
        pop[pop.year == 2020],
        msg,
        "Area",
        "2022-03",
        M.LimitSettings(method="mean_sd"),
        TYPES,
    )
    assert any("mid-2021 population not available, mid-2020 used" in n for n in res.notes)
