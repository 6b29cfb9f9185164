"""Unit tests for helpers.stages.hotspots, with expectations worked by hand in each test."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, box

from helpers.core.errors import GeographyError, ParameterError
from helpers.stages import hotspots as h

# ---------------------------------------------------------------------------- fixtures


def lattice(n: int = 5, size: float = 100.0, population=1000) -> gpd.GeoDataFrame:
    """n x n square wards named Wrc (row r, column c), in EPSG:27700."""
    geoms, codes = [], []
    for r in range(n):
        for c in range(n):
            geoms.append(box(c * size, r * size, (c + 1) * size, (r + 1) * size))
            codes.append(f"W{r}{c}")
    return gpd.GeoDataFrame(
        {"ward_code": codes, "ward_name": [f"Ward {c}" for c in codes], "population": population},
        geometry=geoms,
        crs="EPSG:27700",
    )


def two_wards(population=(2000, None)) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"ward_code": ["A", "B"], "ward_name": ["Alpha", "Beta"], "population": list(population)},
        geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)],
        crs="EPSG:27700",
    )


# ---------------------------------------------------------------------------- Gi*


def hand_gi_star_z(values: np.ndarray, n_side: int, r: int, c: int) -> float:
    """Getis & Ord (1995) Gi* z-score with binary queen weights including the focal cell:
    z = (sum_j w_ij x_j - W_i * xbar) / (s * sqrt((n * W_i - W_i^2) / (n - 1))),
    s the population standard deviation, W_i the number of cells in the 3x3 window."""
    grid = values.reshape(n_side, n_side)
    window = grid[max(r - 1, 0) : r + 2, max(c - 1, 0) : c + 2]
    n = values.size
    xbar = values.mean()
    s = math.sqrt((values**2).mean() - xbar**2)
    wi = window.size
    return (window.sum() - wi * xbar) / (s * math.sqrt((n * wi - wi**2) / (n - 1)))


def test_gi_star_finds_known_hotspot_and_matches_hand_z():
    wards = lattice(5)
    rng = np.random.default_rng(1)
    values = rng.integers(1, 4, size=25).astype(float)
    grid = values.reshape(5, 5)
    grid[1:4, 1:4] += 40  # a hot block around the centre ward W22
    values = grid.ravel()
    res = h.gi_star(wards, values, fdr_alpha=0.05, permutations=0)
    z = dict(zip(res["ward_code"], res["z"], strict=True))
    for r, c in [(2, 2), (0, 0), (4, 3)]:
        assert z[f"W{r}{c}"] == pytest.approx(hand_gi_star_z(values, 5, r, c), rel=1e-9)
    spot = dict(zip(res["ward_code"], res["spot"], strict=True))
    assert spot["W22"] == h.HOT
    assert res.loc[res["z"].idxmax(), "ward_code"] == "W22"
    # corners touch at most one hot cell: never a hot spot
    assert spot["W00"] != h.HOT and spot["W44"] != h.HOT
    # the neighbour count excludes the focal ward: 8 for the centre, 3 for a corner
    nb = dict(zip(res["ward_code"], res["neighbours"], strict=True))
    assert nb["W22"] == 8 and nb["W00"] == 3


def test_gi_star_permutation_is_reproducible_and_two_sided():
    wards = lattice(5)
    values = np.ones(25)
    values[12] = 50
    values[[6, 7, 8, 11, 13, 16, 17, 18]] = 30
    a = h.gi_star(wards, values, permutations=9999, seed=7)
    b = h.gi_star(wards, values, permutations=9999, seed=7)
    pd.testing.assert_frame_equal(a, b)
    # two-sided: at least 2 x 1/(9999 + 1) (esda works in float32)
    assert (a["p"] <= 1).all() and (a["p"] >= 2 / 10000 - 1e-8).all()
    assert a.set_index("ward_code").loc["W22", "spot"] == h.HOT


def _conditional_tails(values: np.ndarray, focal: int, nbrs: list[int], draws: int, seed: int):
    """Independent conditional permutation for one ward: hold its own value, draw as many
    other wards as it has neighbours (without replacement), compare the window sums."""
    rng = np.random.default_rng(seed)
    others = np.delete(values, focal)
    observed = values[focal] + values[nbrs].sum()
    sims = np.array(
        [values[focal] + rng.choice(others, len(nbrs), replace=False).sum() for _ in range(draws)]
    )
    return (sims >= observed).mean(), (sims <= observed).mean()


def test_gi_star_sign_and_p_value_come_from_the_same_null():
    """A ward with a very high count of its own among neighbours with none: the analytic z is
    positive (the window sum is above its expectation) but under conditional permutation the
    neighbours are the lowest possible, so the small p-value is the lower tail. Its class and
    the sign of z must follow that tail (here: never a hot spot)."""
    wards = lattice(5)
    rng = np.random.default_rng(4)
    grid = rng.integers(5, 16, size=(5, 5)).astype(float)
    grid[1:4, 1:4] = 0
    grid[2, 2] = 150
    values = grid.ravel()
    assert hand_gi_star_z(values, 5, 2, 2) > 0  # the analytic sign says "hot"
    nbrs = [6, 7, 8, 11, 13, 16, 17, 18]
    up, down = _conditional_tails(values, 12, nbrs, 4000, seed=1)
    assert down < 0.01 < 0.99 < up  # the permutation null says "low"
    res = h.gi_star(wards, values, permutations=9999, seed=3).set_index("ward_code")
    assert res.loc["W22", "p"] < 0.01
    assert res.loc["W22", "z"] < 0
    assert res.loc["W22", "spot"] == h.COLD
    # every ward: sign of z = the smaller tail of the independent permutation, where decisive
    for i, code in enumerate(res.index):
        r, c = divmod(i, 5)
        nb = [rr * 5 + cc for rr in range(max(r - 1, 0), min(r + 2, 5))
              for cc in range(max(c - 1, 0), min(c + 2, 5)) if (rr, cc) != (r, c)]  # fmt: skip
        up, down = _conditional_tails(values, i, nb, 2000, seed=i)
        if min(up, down) < 0.05:
            assert np.sign(res.loc[code, "z"]) == (1 if up < down else -1), code


def test_gi_star_analytic_option_uses_the_normal_p_value_of_the_same_z():
    wards = lattice(5)
    values = np.arange(25, dtype=float) ** 1.5
    res = h.gi_star(wards, values, permutations=0)
    from scipy.stats import norm

    np.testing.assert_allclose(res["p"], np.minimum(1, 2 * norm.sf(np.abs(res["z"]))))


def test_gi_star_no_points_and_constant_values_raise_clear_errors():
    wards = lattice(3)
    with pytest.raises(GeographyError, match="No points"):
        h.gi_star(wards, np.zeros(9))
    with pytest.raises(GeographyError, match="same value"):
        h.gi_star(wards, np.full(9, 4.0))
    with pytest.raises(GeographyError, match="no value"):
        h.gi_star(wards, [1, 2, np.nan, 4, 5, 6, 7, 8, 9])


def test_distance_band_weights_give_every_ward_a_neighbour():
    w = h.spatial_weights(lattice(4), "distance")
    assert min(w.cardinalities.values()) >= 1
    with pytest.raises(ParameterError):
        h.spatial_weights(lattice(3), "rook-ish")


# ---------------------------------------------------------------------------- counts


def test_count_by_ward_point_in_polygon_keeps_outside_points():
    wards = two_wards()
    pts = pd.DataFrame(
        {
            "month": ["2022-01"] * 6 + ["2021-01"],
            "crime_type": ["Burglary", "Burglary", "Anti-social behaviour", "Robbery",
                           "Burglary", "Drugs", "Burglary"],
            "easting": [10, 150, 50, 500, np.nan, 199, 10],
            "northing": [10, 50, 50, 50, 10, 99, 10],
        }
    )  # fmt: skip
    wc = h.count_by_ward(pts, wards, months=["2022-01"])
    t = wc.table.set_index("ward_code")
    # all crime (not ASB) in 2022-01: Alpha 1 (burglary), Beta 2 (burglary, drugs);
    # robbery at x=500 is outside; burglary without coordinates is unassigned
    assert t.loc["A", "all_crime"] == 1 and t.loc["B", "all_crime"] == 2
    assert wc.unassigned["all_crime"] == 2 and wc.totals["all_crime"] == 5
    assert t.loc["A", "asb"] == 1 and wc.unassigned["asb"] == 0
    assert wc.unassigned["sac"] == 2 and t["sac"].sum() == 2  # burglary x2 in wards + 2 outside
    for key in h.MEASURES:
        assert t[key].sum() + wc.unassigned[key] == wc.totals[key]


def test_count_by_ward_uses_existing_ward_codes_and_unknown_codes_are_unassigned():
    wards = two_wards()
    street = pd.DataFrame(
        {
            "month": ["2022-03"] * 4,
            "crime_type": ["Burglary", "Vehicle crime", "Anti-social behaviour", "Burglary"],
            "is_asb": [False, False, True, False],
            "is_sac": [True, True, False, True],
            "ward_code": ["A", "A", "B", None],
            "ward_method": ["point-in-polygon"] * 3 + ["unassigned"],
        }
    )
    wc = h.count_by_ward(street, wards)
    t = wc.table.set_index("ward_code")
    assert t.loc["A", "sac"] == 2 and t.loc["B", "sac"] == 0 and wc.unassigned["sac"] == 1
    assert t.loc["A", "burglary"] == 1 and t.loc["B", "asb"] == 1


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-50, 250), st.floats(-50, 150), st.booleans()), min_size=0, max_size=40
    )
)
def test_counts_are_conserved(points):
    wards = two_wards()
    pts = pd.DataFrame(
        {
            "month": "2022-01",
            "easting": [p[0] for p in points],
            "northing": [p[1] for p in points],
            "crime_type": ["Anti-social behaviour" if p[2] else "Burglary" for p in points],
        }
    )
    wc = h.count_by_ward(pts, wards)
    for key in h.MEASURES:
        assert wc.table[key].sum() + wc.unassigned[key] == wc.totals[key]
    assert wc.totals["all_crime"] + wc.totals["asb"] == len(points)


def test_rates_are_missing_where_population_is_unknown():
    rates = h.rate_per_1000([10, 10, 3], [2000, None, 0])
    assert rates[0] == pytest.approx(5.0)  # 10 / 2000 * 1000
    assert np.isnan(rates[1]) and np.isnan(rates[2])
    _, check = h.check_wards(two_wards())
    assert check.no_population == ["Beta"]
    assert "Beta" in " ".join(check.notes())


# ---------------------------------------------------------------------------- geography errors


def test_crs_mismatch_and_missing_crs_raise():
    with pytest.raises(GeographyError, match="CRS mismatch"):
        h.check_wards(two_wards().to_crs("EPSG:4326"), crs="EPSG:27700")
    no_crs = two_wards().set_crs(None, allow_override=True)
    with pytest.raises(GeographyError, match="no coordinate reference"):
        h.check_wards(no_crs)


def test_invalid_polygon_is_repaired_and_counted():
    bowtie = Polygon([(0, 0), (100, 100), (100, 0), (0, 100), (0, 0)])  # self-intersecting
    wards = gpd.GeoDataFrame(
        {"ward_code": ["A", "B"], "ward_name": ["Bow", "Square"], "population": [10, 10]},
        geometry=[bowtie, box(200, 0, 300, 100)],
        crs="EPSG:27700",
    )
    assert not wards.is_valid.all()
    clean, check = h.check_wards(wards)
    assert clean.is_valid.all()
    assert check.repaired == ["Bow"]
    assert "repaired" in check.notes()[0]


def test_overlapping_wards_raise_and_duplicate_codes_raise():
    wards = gpd.GeoDataFrame(
        {"ward_code": ["A", "B"], "ward_name": ["Alpha", "Beta"]},
        geometry=[box(0, 0, 100, 100), box(50, 0, 150, 100)],
        crs="EPSG:27700",
    )
    with pytest.raises(GeographyError, match="overlap"):
        h.check_wards(wards)
    dup = two_wards().assign(ward_code=["A", "A"])
    with pytest.raises(GeographyError, match="more than once"):
        h.check_wards(dup)
    with pytest.raises(GeographyError, match="no ward boundaries"):
        h.check_wards(two_wards().iloc[0:0])


def test_unknown_measure_is_a_parameter_error():
    with pytest.raises(ParameterError, match="Unknown crime measure"):
        h.measure_keys(["burglary", "bulgary"])


# ---------------------------------------------------------------------------- change


def _change_frames(cur_vals, prev_vals):
    codes = [f"E0{i:02d}" for i in range(len(cur_vals))]
    cur = pd.DataFrame({"ward_code": codes, "ward_name": [f"W{i}" for i in range(len(codes))],
                        "asb": cur_vals})  # fmt: skip
    prev = pd.DataFrame({"ward_code": codes, "asb": prev_vals})
    return cur, prev


def test_ward_change_applies_the_small_number_rule_to_the_percentage():
    # 3 -> 9 is "+200%" but means little: the % is not published; 40 -> 50 is +25%
    ch = h.ward_change(*_change_frames([9, 50, 25], [3, 40, 0]), "asb").set_index("ward_name")
    assert ch.loc["W0", "change"] == 6 and np.isnan(ch.loc["W0", "pct_change"])
    assert ch.loc["W1", "pct_change"] == pytest.approx(25.0) and not ch.loc["W1", "small_numbers"]
    assert np.isnan(ch.loc["W2", "pct_change"])  # from zero
    assert h.SMALL_NUMBER == 20


def _monthly_records(months, per_month: dict[str, int]) -> pd.DataFrame:
    rows = [
        {"month": m, "crime_type": "Anti-social behaviour", "ward_code": code}
        for m in months
        for code, n in per_month.items()
        for _ in range(n)
    ]
    return pd.DataFrame(rows)


def test_ward_change_compares_like_for_like_months_when_one_is_missing():
    """Every month has the same counts, but 2021-01 is missing from the comparison year: a
    like-for-like comparison shows no change at all (before the fix, the current year's twelve
    months were set against eleven: +1 month's count published as a rise)."""
    from helpers.core.periods import ReportingPeriod

    wards = lattice(2, size=100)
    months = [
        str(p) for p in pd.period_range("2020-04", "2022-03", freq="M") if str(p) != "2021-01"
    ]
    recs = _monthly_records(months, {"W00": 30, "W01": 2, "W10": 10, "W11": 0})
    cur = ReportingPeriod("2022-03")
    lfl = h.like_for_like_counts(recs, wards, cur, cur.shifted(12))
    assert lfl.dropped == ["2022-01"] and len(lfl.current_months) == len(lfl.previous_months) == 11
    assert "January 2022 is left out" in lfl.note() and "the 11 months" in lfl.note()
    ch = h.ward_change(lfl.current.table, lfl.previous.table, "asb").set_index("ward_code")
    assert ch.loc["W00", "current"] == 330 and ch.loc["W00", "previous"] == 330
    assert (ch["change"] == 0).all()
    assert ch.loc["W00", "pct_change"] == 0.0
    assert (ch["p"] == 1.0).all() and not ch["significant"].any()
    complete = h.like_for_like_counts(
        recs, wards, ReportingPeriod("2020-12"), ReportingPeriod("2020-12").shifted(24)
    )
    assert complete is None  # the data hold no month of that comparison period


def test_change_sentence_matches_the_seeds():
    prev = [40] * 33
    cur = [30] * 30 + [42, 43, 44]  # three small increases, none significant
    ch = h.ward_change(*_change_frames(cur, prev), "asb")
    assert (ch["direction"] == "up").sum() == 3 and not ch["significant"].any()
    sentence = h.change_sentence(ch, "Anti-social behaviour")
    assert sentence == (
        "Anti-social behaviour fell in 30 of the 33 wards: only three wards showed any increase, "
        "none significant."
    )


def test_change_sentence_names_significant_increases():
    prev = [100, 100, 40, 10]  # overall a fall
    cur = [30, 30, 41, 80]  # W3: 80 v 10 is significant even after FDR
    ch = h.ward_change(*_change_frames(cur, prev), "asb")
    s = h.change_sentence(ch, "ASB")
    assert "only two wards showed any increase, one of them significant (W3)" in s
    row = ch.set_index("ward_name").loc["W3"]
    assert row["change"] == 70 and row["small_numbers"] and np.isnan(row["pct_change"])
    assert h.change_sentence(h.ward_change(*_change_frames([1, 1], [2, 2]), "asb"), "X") == (
        "X fell in all 2 wards: no ward showed any increase."
    )


# ---------------------------------------------------------------------------- concentration


def test_gini_by_hand():
    # [0,0,0,10]: sum over ordered pairs |xi-xj| = 6 * 10 = 60; G = 60 / (2 n^2 mean) = 60/80
    assert h.gini([10, 0, 0, 0]) == pytest.approx(0.75)
    # [1,2,3,4]: pair differences 1,2,3,1,2,1 (x2 ordered) = 20; G = 20 / (2*16*2.5) = 0.25
    assert h.gini([4, 1, 3, 2]) == pytest.approx(0.25)
    assert h.gini([5, 5, 5]) == pytest.approx(0.0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 500), min_size=2, max_size=30).filter(lambda v: sum(v) > 0))
def test_gini_equals_mean_absolute_difference_definition(values):
    x = np.array(values, dtype=float)
    mad = np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean())
    assert h.gini(values) == pytest.approx(mad, abs=1e-12)
    lc = h.lorenz_curve(values)
    assert lc["share_of_crime"].iloc[-1] == pytest.approx(100.0)
    assert (np.diff(lc["share_of_crime"]) >= -1e-12).all()
    # the Lorenz curve never lies above the line of equality
    assert (lc["share_of_crime"] <= lc["share_of_wards"] + 1e-9).all()


def test_lorenz_and_top_share_by_hand():
    lc = h.lorenz_curve([4, 1, 3, 2])
    assert lc["share_of_wards"].tolist() == pytest.approx([0, 25, 50, 75, 100])
    assert lc["share_of_crime"].tolist() == pytest.approx([0, 10, 30, 60, 100])
    # 20 wards: top 10% = 2 wards; 30 + 20 of 100 -> 50%
    vals = [30, 20] + [50 / 18] * 18
    k, share = h.top_share(vals)
    assert k == 2 and share == pytest.approx(50.0)
    # 33 wards: ceil(3.3) = 4 wards
    assert h.top_share(list(range(33)))[0] == 4
    with pytest.raises(GeographyError):
        h.lorenz_curve([0, 0])


# ---------------------------------------------------------------------------- suppression


def test_suppression_primary_and_dependents():
    df = pd.DataFrame({"ward": list("abcde"), "count": [0, 3, 7, 12, 20],
                       "rate": [0.0, 1.5, 3.5, 6.0, 10.0]})  # fmt: skip
    s = h.suppress(df, ["count"], threshold=5, dependents={"count": ["rate"]})
    assert s.mask["count"].tolist() == [True, True, False, False, False]
    assert s.mask["rate"].tolist() == [True, True, False, False, False]
    assert s.primary == 2 and s.secondary == 0
    assert s.data["count"].isna().tolist() == [True, True, False, False, False]
    assert s.data["rate"].isna().sum() == 2
    assert not s.mask["ward"].any()
    assert "below 5" in s.note


def test_single_suppressed_cell_gets_a_complementary_suppression():
    df = pd.DataFrame({"ward": list("abc"), "count": [12, 3, 7]})
    s = h.suppress(df, ["count"], threshold=5)
    # total 22 published: 22 - 12 - 7 would reveal the 3, so the next smallest (7) is hidden too
    assert s.mask["count"].tolist() == [False, True, True]
    assert s.primary == 1 and s.secondary == 1
    assert "worked out from the total" in s.note
    none = h.suppress(df, ["count"], threshold=5, total_published=False)
    assert none.mask["count"].tolist() == [False, True, False]
    assert "nothing is suppressed" in h.suppress(df, ["count"], threshold=2).note


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=2, max_size=25), st.integers(1, 10))
def test_suppression_never_publishes_a_small_or_recoverable_count(values, threshold):
    df = pd.DataFrame({"count": values})
    s = h.suppress(df, ["count"], threshold=threshold)
    published = s.data["count"].dropna()
    assert (published >= threshold).all()
    n_hidden = int(s.mask["count"].sum())
    assert n_hidden != 1  # one hidden cell could be recovered from the total
    assert n_hidden >= sum(v < threshold for v in values)


# ---------------------------------------------------------------------------- priority table


def test_priority_table_by_hand():
    wards = gpd.GeoDataFrame(
        {"ward_code": list("ABC"), "ward_name": ["Alpha", "Beta", "Gamma"],
         "population": [1000, 2000, None]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)], crs="EPSG:27700",
    )  # fmt: skip
    street = pd.DataFrame(
        {"month": "2022-03", "crime_type": ["Burglary"] * 9,
         "ward_code": ["A"] * 2 + ["B"] * 4 + ["C"] * 3}
    )  # fmt: skip
    wc = h.count_by_ward(street, wards, measures=["burglary"])
    prev = wc.table.assign(burglary=[4, 2, 3])
    ch = h.ward_change(wc.table, prev, "burglary")
    t = h.priority_table(wc, "burglary", ch, top_n=2)
    assert t["Ward"].tolist() == ["Beta", "Gamma"]
    assert t["Count"].tolist() == [4, 3]
    assert t["Rate per 1,000"].iloc[0] == pytest.approx(2.0)  # 4 / 2000 * 1000
    assert np.isnan(t["Rate per 1,000"].iloc[1])
    assert t["Share of area total (%)"].tolist() == pytest.approx([400 / 9, 300 / 9])
    assert t["Change"].tolist() == [2, 0]
    assert np.isnan(t["Change (%)"].iloc[0])  # 2 -> 4: the small-number rule hides the %
    with pytest.raises(ParameterError):
        h.priority_table(wc, "burglary", top_n=0)


def test_kernel_density_integrates_to_the_number_of_points():
    wards = lattice(2, size=1000)  # 2 km x 2 km
    rng = np.random.default_rng(3)
    x = rng.normal(1000, 150, 200)
    y = rng.normal(1000, 150, 200)
    surf = h.kernel_density(x, y, wards, cell=50)
    assert surf.extent[0] < 0 < 2000 < surf.extent[1]
    total = np.nansum(surf.grid) * (50 * 50) / 1e6  # density per km² x cell area in km²
    assert total == pytest.approx(200, rel=0.05)
    with pytest.raises(GeographyError, match="too few"):
        h.kernel_density([1.0], [1.0], wards)


def test_binned_kernel_density_matches_a_direct_gaussian_kernel_sum():
    """Independent: the Gaussian kernel density written out point by point at every cell centre
    (sum over points of exp(-d² / 2h²) / (2 pi h²), per km²) against the binned surface."""
    wards = lattice(3, size=1000)  # 3 km x 3 km
    rng = np.random.default_rng(11)
    x = np.concatenate([rng.normal(900, 200, 150), rng.uniform(0, 3000, 60)])
    y = np.concatenate([rng.normal(2100, 250, 150), rng.uniform(0, 3000, 60)])
    bw, cell = 300.0, 25.0
    surf = h.kernel_density(x, y, wards, cell=cell, bandwidth=bw)
    gx = np.arange(0, 3000 + cell, cell)
    gy = np.arange(0, 3000 + cell, cell)
    mx, my = np.meshgrid(gx, gy)
    d2 = (mx[..., None] - x) ** 2 + (my[..., None] - y) ** 2
    direct = (np.exp(-d2 / (2 * bw * bw)) / (2 * np.pi * bw * bw)).sum(axis=-1) * 1e6
    inside = ~np.isnan(surf.grid)
    assert surf.grid.shape == direct.shape and inside.mean() > 0.95
    err = np.abs(surf.grid[inside] - direct[inside])
    assert err.max() <= 0.01 * direct.max()  # within 1% of the peak everywhere
    assert surf.bandwidth == bw and surf.rule == "the analyst"
    assert "300 metres" in surf.method_text()


def test_kernel_density_default_bandwidth_is_scotts_rule_by_hand():
    wards = lattice(2, size=1000)
    x = np.array([100.0, 500.0, 900.0, 1300.0, 1700.0])
    y = np.array([200.0, 400.0, 1000.0, 1400.0, 1800.0])
    # Scott: n^(-1/6) x sqrt of the mean of the two sample variances
    vx = sum((v - x.mean()) ** 2 for v in x) / 4
    vy = sum((v - y.mean()) ** 2 for v in y) / 4
    expect = 5 ** (-1 / 6) * ((vx + vy) / 2) ** 0.5
    surf = h.kernel_density(x, y, wards, cell=50)
    assert surf.bandwidth == pytest.approx(expect)
    assert surf.rule == "Scott's rule" and f"{round(expect):,} metres" in surf.method_text()


def test_change_sentence_when_crime_rose_lists_significant_wards():
    prev = [100] * 8
    cur = [200, 190, 180, 170, 160, 150, 101, 90]  # six big rises, one small, one fall
    ch = h.ward_change(*_change_frames(cur, prev), "asb")
    s = h.change_sentence(ch, "All crime")
    assert s.startswith("All crime rose in 7 of the 8 wards, 6 of them significantly (W0, W1,")
    assert s.endswith("and 1 other).")


def test_published_change_table_hides_changes_that_reveal_small_counts():
    cur = [50, 40, 30, 8]
    prev = [45, 38, 2, 9]  # W2's previous count (2) would be current - change
    pub = h.published_change_table(h.ward_change(*_change_frames(cur, prev), "asb"), threshold=5)
    d = pub.data.set_index("ward_name")
    assert d.loc["W2", "current"] == 30  # current itself is not small
    assert np.isnan(d.loc["W2", "change"]) and np.isnan(d.loc["W2", "pct_change"])
    # exactly one change hidden -> the smallest other change (W3: -1) is hidden too
    assert np.isnan(d.loc["W3", "change"]) and d.loc["W0", "change"] == 5
    assert pub.secondary == 1 and "previous" not in pub.data.columns


# ---------------------------------------------------------------------------- change highlights

# W0 60 v 20 (p 8.6e-6), W1 30 v 28 (p 0.90), W2 50 v 50, W3 20 v 45 (p 0.0026),
# W4 100 v 300 (p 2.6e-24). BH over five wards: ranks 1-3 (W4, W0, W3) are below
# 0.01, 0.02, 0.03, so W0 is a significant rise and W4, W3 significant falls; W1 is a rise
# that is not significant; W2 did not change.
HL_CUR, HL_PREV = [60, 30, 50, 20, 100], [20, 28, 50, 45, 300]


def test_change_highlights_lists_rises_and_significant_changes_in_order():
    ch = h.ward_change(*_change_frames(HL_CUR, HL_PREV), "asb")
    hl = h.change_highlights(h.published_change_table(ch, threshold=0))
    t = hl.table
    assert t["Ward"].tolist() == ["W0", "W1", "W4", "W3"]  # W2 (no change) is not listed
    assert t["Significant"].tolist() == ["Yes, rise", "No", "Yes, fall", "Yes, fall"]
    assert t["Now"].tolist() == [60, 30, 100, 20]
    assert t["Change"].tolist() == [40, 2, -200, -25]
    # % change by hand: 40/20, 2/28, -200/300, -25/45
    assert t["Change (%)"].tolist() == pytest.approx([200.0, 200 / 28, -200 / 3, -2500 / 45])
    assert hl.eligible == 4 and hl.omitted == 0 and not hl.mask.to_numpy().any()
    short = h.change_highlights(h.published_change_table(ch, threshold=0), max_rows=2)
    assert short.table["Ward"].tolist() == ["W0", "W1"] and short.omitted == 2
    assert "2 of the 4 wards" in short.note(0.05, 5, "x.csv") and "x.csv" in short.note(
        0.05, 5, "x.csv"
    )


def test_change_highlights_keep_suppression_and_hide_direction():
    # add W5: 0 now v 30 before (significant fall, but its count is below the threshold).
    # One small current count -> the next smallest (W3, 20) is hidden too, so W3's and W5's
    # changes are hidden; both are significant, so they are listed last as plain "Yes".
    ch = h.ward_change(*_change_frames(HL_CUR + [0], HL_PREV + [30]), "asb")
    pub = h.published_change_table(ch, threshold=5)
    hl = h.change_highlights(pub)
    t = hl.table.set_index("Ward")
    assert hl.table["Ward"].tolist() == ["W0", "W1", "W4", "W3", "W5"]
    assert t.loc["W3", "Significant"] == "Yes" and t.loc["W5", "Significant"] == "Yes"
    m = hl.mask.set_index(hl.table["Ward"])
    assert m.loc["W5", ["Now", "Change", "Change (%)"]].all()
    assert m.loc["W3", ["Now", "Change", "Change (%)"]].all()
    assert np.isnan(t.loc["W5", "Change"]) and np.isnan(t.loc["W3", "Now"])
    assert not m.loc["W0"].any()
    with pytest.raises(ParameterError):
        h.change_highlights(pub, max_rows=0)


def test_change_highlights_with_nothing_to_list():
    ch = h.ward_change(*_change_frames([10, 9], [10, 10]), "asb")  # one small fall, not significant
    hl = h.change_highlights(h.published_change_table(ch, threshold=0))
    assert hl.eligible == 0 and hl.table.empty
    assert hl.note(0.05, 2, "f.csv").startswith("No ward rose or changed significantly")


def test_change_map_caption_names_significant_wards():
    ch = h.ward_change(*_change_frames(HL_CUR, HL_PREV), "asb")
    cap = h.change_map_caption(h.published_change_table(ch, 0), "All crime", "2022 against 2021")
    assert cap == (
        "Map of the 5 wards shaded by the percentage change in all crime, 2022 against 2021. "
        "Significant rises (solid outline, ▲): W0. "
        "Significant falls (dashed outline, ▼): W4 and W3."
    )
    ch = h.ward_change(*_change_frames(HL_CUR + [0], HL_PREV + [30]), "asb")
    cap = h.change_map_caption(h.published_change_table(ch, 5), "ASB", "p")
    assert "Significant falls (dashed outline, ▼): W4." in cap
    assert cap.endswith(
        "Two further wards changed significantly but their counts are suppressed, so they are "
        "not marked."
    )


def test_change_sentence_counts_significant_falls():
    # 100 -> 40 in three wards is significant in each (binomial p < 1e-5); 50 -> 49 is not
    ch = h.ward_change(*_change_frames([40, 40, 40, 49], [100, 100, 100, 50]), "asb")
    assert h.change_sentence(ch, "ASB") == (
        "ASB fell in all 4 wards (3 of them significantly): no ward showed any increase."
    )
    ch = h.ward_change(*_change_frames([40, 40, 40], [100, 100, 100]), "asb")
    assert h.change_sentence(ch, "ASB").startswith("ASB fell in all 3 wards (all of them sig")
    ch = h.ward_change(*_change_frames([40, 40, 60], [100, 100, 50]), "asb")
    assert h.change_sentence(ch, "ASB").startswith(
        "ASB fell in 2 of the 3 wards (both of them significantly): only one ward showed any"
    )


def test_change_map_caption_when_nothing_is_significant():
    ch = h.ward_change(*_change_frames([10, 9], [10, 10]), "asb")
    cap = h.change_map_caption(h.published_change_table(ch, 0), "Burglary", "p")
    assert cap.endswith("No ward's change was statistically significant, so no ward is outlined.")


def test_change_sentence_when_every_ward_rose():
    ch = h.ward_change(*_change_frames([200, 110, 101], [100, 100, 100]), "asb")
    # 200 v 100 is significant (binomial p < 1e-8); 110 v 100 and 101 v 100 are not
    assert h.change_sentence(ch, "All crime") == (
        "All crime rose in all 3 wards, 1 of them significantly (W0)."
    )


def test_month_text_and_months_present_match_astype_str():
    """The string-dtype short cut gives what ``astype(str)`` gives, for every dtype a month
    column may arrive in."""
    from helpers.stages.hotspots import month_text, months_present

    raw = ["2022-03", "2021-04", "2022-03", "2021-12"]
    for col in (
        pd.Series(raw, dtype="string"),
        pd.Series(raw, dtype=object),
        pd.Series(pd.PeriodIndex(raw, freq="M")),
    ):
        assert month_text(col).isin({"2022-03"}).tolist() == [True, False, True, False]
        assert months_present(col) == ["2021-04", "2021-12", "2022-03"]
        assert all(isinstance(m, str) for m in months_present(col))
