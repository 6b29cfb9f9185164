"""Unit tests for helpers.stages.violence on small hand-built frames.

Every expected number below is worked out by hand in the comments (or by an independent formula
written here), never copied from the code's output.
"""

from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.core.errors import DataFileError, ParameterError
from helpers.core.periods import ReportingPeriod
from helpers.stages import violence as v

VAP = "Violence against the person"
CUR = ReportingPeriod("2022-03", 12)  # Apr 2021 .. Mar 2022
PREV = CUR.previous()  # Apr 2020 .. Mar 2021


def row(month, code, subgroup, group=VAP, flag=False, loc=None, date=None, hour=None, desc=None):
    return {
        "offence_id": None,
        "month": month,
        "date": pd.Timestamp(date or f"{month}-15"),
        "hour": hour,
        "ho_code": code,
        "offence_description": desc,
        "offence_group": group,
        "offence_subgroup": subgroup,
        "domestic_flag": flag,
        "location_type": loc,
    }


def hand_extract() -> pd.DataFrame:
    """Current period (2021-04..2022-03):
    violence without injury 5 (105A), with injury 4 (8N, 8N, 5D, unknown 9ZZ), stalking 2 (8L)
    -> 11 violent offences; 11 thefts -> 22 crimes in all.
    domestic flag: 4 of the 11. location: Domestic 4, Town centre 3, Residual 3, blank 1.
    Previous period (2020-04..2021-03):
    without injury 4, with injury 3 (8N x3), stalking 1 -> 8 violent; 8 thefts.
    domestic flag: 3 of the 8. location: Domestic 3, Town centre 2, Residual 3.
    """
    r = []
    # current: without injury, 5 (2 domestic)
    for i, m in enumerate(["2021-04", "2021-05", "2021-06", "2021-07", "2021-08"]):
        r.append(
            row(
                m,
                "105A",
                "Violence without injury",
                flag=i < 2,
                loc="Domestic" if i < 2 else "Residual",
            )
        )
    # current: with injury, 4 -- two town-centre on Saturday 1 Jan 2022 at 23h, one Sunday 2 Jan at 1h
    r.append(
        row("2022-01", "8N", "Violence with injury", loc="Town centre", date="2022-01-01", hour=23)
    )
    r.append(
        row("2022-01", "8N", "Violence with injury", loc="Town centre", date="2022-01-01", hour=23)
    )
    r.append(
        row("2022-01", "5D", "Violence with injury", loc="Town centre", date="2022-01-02", hour=1)
    )
    r.append(row("2022-02", "9ZZ", "Violence with injury", loc=None, desc="Local assault code"))
    # current: stalking and harassment, 2 (both domestic)
    r.append(row("2021-09", "8L", "Stalking and harassment", flag=True, loc="Domestic"))
    r.append(row("2021-10", "8L", "Stalking and harassment", flag=True, loc="Domestic"))
    # current: 11 thefts
    r += [row("2021-11", "49", "All other theft offences", group="Theft offences")] * 11
    # previous: without injury 4 (1 domestic), with injury 3 (1 domestic), stalking 1 (1 domestic)
    for i in range(4):
        r.append(
            row(
                "2020-05",
                "105A",
                "Violence without injury",
                flag=i == 0,
                loc="Domestic" if i == 0 else "Residual",
            )
        )
    r.append(row("2020-06", "8N", "Violence with injury", flag=True, loc="Domestic"))
    r.append(row("2020-06", "8N", "Violence with injury", loc="Town centre"))
    r.append(row("2020-06", "8N", "Violence with injury", loc="Town centre"))
    r.append(row("2020-07", "8Q", "Stalking and harassment", flag=True, loc="Domestic"))
    r += [row("2020-08", "49", "All other theft offences", group="Theft offences")] * 8
    df = pd.DataFrame(r)
    df["hour"] = df["hour"].astype("Int64")
    df["domestic_flag"] = df["domestic_flag"].astype("boolean")
    return df


CUR_M, PREV_M = CUR.month_list, PREV.month_list


def test_violence_rows_selects_group_and_labels_subgroups():
    vr = v.violence_rows(hand_extract())
    assert len(vr) == 11 + 8  # thefts excluded
    assert set(vr["subgroup"]) == {
        "Violence without injury",
        "Violence with injury",
        "Stalking and harassment",
    }
    # the unknown code 9ZZ is kept (force group says VAP) and marked unknown
    assert vr.loc[vr["ho_code"] == "9ZZ", "code_known"].tolist() == [False]


def test_violence_rows_falls_back_to_codes_without_group():
    ex = hand_extract().drop(columns=["offence_group", "offence_subgroup"])
    vr = v.violence_rows(ex)
    # 9ZZ is unknown and has no group: it cannot be identified as violence -> 18 rows
    assert len(vr) == 18
    assert (vr["subgroup"] == "Violence with injury").sum() == 3 + 3


def test_violence_rows_needs_group_or_code():
    with pytest.raises(DataFileError, match="offence_group"):
        v.violence_rows(hand_extract().drop(columns=["offence_group", "ho_code"]))


def test_canonical_subgroup_aliases():
    assert v._canonical_subgroup("Stalking & Harassment") == "Stalking and harassment"
    assert v._canonical_subgroup("VIOLENCE WITHOUT INJURY") == "Violence without injury"
    assert v._canonical_subgroup("Violence with injury") == "Violence with injury"
    assert v._canonical_subgroup("Death or serious injury by unlawful driving") == (
        "Death or serious injury caused by unlawful driving"
    )
    assert v._canonical_subgroup("Something else") is None
    assert v._canonical_subgroup(None) is None


def test_subgroup_table_hand_worked():
    t = v.subgroup_table(v.violence_rows(hand_extract()), CUR_M, PREV_M).set_index("subgroup")
    assert t.loc["Violence without injury", "current"] == 5
    assert t.loc["Violence without injury", "previous"] == 4
    assert t.loc["Violence with injury", "current"] == 4
    assert t.loc["Stalking and harassment", "current"] == 2
    assert t.loc["Homicide", "current"] == 0  # every subgroup is listed
    assert t.loc["Violence without injury", "share"] == pytest.approx(5 / 11 * 100)
    assert t.loc["Violence with injury", "share"] == pytest.approx(4 / 11 * 100)
    # Counts under 20: the % is kept as raw arithmetic but never shown (small-number rule).
    assert t.loc["Violence without injury", "pct_change_raw"] == pytest.approx(25.0)  # 4 -> 5
    assert t.loc["Stalking and harassment", "pct_change_raw"] == pytest.approx(100.0)  # 1 -> 2
    assert t["small_numbers"].all() and t["pct_change"].isna().all()
    assert not t["significant"].any()
    assert set(t["direction"]) == {"same"}  # no arrow without a significant change
    assert t["share"].sum() == pytest.approx(100.0)
    assert UNK not in t.index


UNK = v.UNKNOWN_SUBGROUP


def test_change_significance_hand_worked():
    # 20 now against 5 before, all in one month, so no dispersion can be estimated and the
    # exact test is used: two-sided p = 2 * sum_{k<=5} C(25,k) / 2^25. Benjamini-Hochberg
    # across the five subgroups (the other four are 0 v 0, p = 1): q = p * 5 / 1.
    p = 2 * sum(comb(25, k) for k in range(6)) / 2**25
    assert p == pytest.approx(0.004077, abs=1e-6)
    expected = p * 5
    rows = [row("2021-06", "8Q", "Stalking and harassment")] * 20 + [
        row("2020-06", "8Q", "Stalking and harassment")
    ] * 5
    t = v.subgroup_table(v.violence_rows(pd.DataFrame(rows)), CUR_M, PREV_M).set_index("subgroup")
    assert t.loc["Stalking and harassment", "p_value"] == pytest.approx(expected)
    assert bool(t.loc["Stalking and harassment", "significant"])
    assert t.loc["Stalking and harassment", "direction"] == "up"


def test_unknown_subgroup_row_appears_and_conserves_counts():
    rows = [row("2021-06", "ZZ1", "Local category")] * 2 + [
        row("2021-06", "8N", "Violence with injury")
    ]
    t = v.subgroup_table(v.violence_rows(pd.DataFrame(rows)), CUR_M, PREV_M).set_index("subgroup")
    assert t.loc[UNK, "current"] == 2
    assert t["current"].sum() == 3
    assert t.loc[UNK, "share"] == pytest.approx(200 / 3)


def test_alpha_validated():
    with pytest.raises(ParameterError):
        v.subgroup_table(v.violence_rows(hand_extract()), CUR_M, PREV_M, alpha=5)


def test_total_row():
    t = v.subgroup_table(v.violence_rows(hand_extract()), CUR_M, PREV_M)
    tot = v.total_row(t).iloc[0]
    assert (tot["current"], tot["previous"]) == (11, 8)
    assert tot["pct_change_raw"] == pytest.approx(37.5)  # 8 -> 11
    assert np.isnan(tot["pct_change"])  # small numbers: not printed as a %


def test_injury_detail_hand_worked():
    d = v.injury_detail_table(v.violence_rows(hand_extract()), CUR_M, PREV_M).set_index("ho_code")
    assert d.loc["8N", "current"] == 2 and d.loc["8N", "previous"] == 3
    assert d.loc["8N", "offence"] == "Assault with injury"
    assert d.loc["5D", "current"] == 1 and d.loc["5D", "previous"] == 0
    assert d.loc["9ZZ", "offence"] == "Local assault code (code not in Home Office list)"
    assert d["current"].sum() == 4
    assert d.loc["8N", "share"] == pytest.approx(50.0)


def test_unknown_codes_listed():
    u = v.unknown_codes(hand_extract())
    assert u["ho_code"].tolist() == ["9ZZ"]
    assert u["offences"].tolist() == [1]
    assert u["offence_description"].tolist() == ["Local assault code"]


def test_domestic_table_hand_worked():
    d = v.domestic_table(v.violence_rows(hand_extract()), CUR_M, PREV_M).set_index("group")
    assert d.loc["Domestic abuse flag", "current"] == 4  # 2 without injury + 2 stalking
    assert d.loc["Domestic abuse flag", "previous"] == 3
    assert d.loc["Other violence", "current"] == 7
    assert d.loc["Other violence", "previous"] == 5
    assert d.loc["Domestic abuse flag", "share"] == pytest.approx(4 / 11 * 100)
    assert d.loc["Other violence", "pct_change_raw"] == pytest.approx(40.0)  # 5 -> 7
    assert np.isnan(d.loc["Other violence", "pct_change"])


def test_domestic_null_flags_count_as_other_and_are_reported():
    ex = hand_extract()
    ex["domestic_flag"] = pd.array([pd.NA] * len(ex), dtype="boolean")
    vr = v.violence_rows(ex)
    d = v.domestic_table(vr, CUR_M, PREV_M).set_index("group")
    assert d.loc["Domestic abuse flag", "current"] == 0
    assert v.null_flag_count(vr, CUR_M) == 11


def test_location_shares_hand_worked():
    vr = v.violence_rows(hand_extract())
    t = v.location_share_table(vr, v.year_windows("2022-03", 2))
    assert list(dict.fromkeys(t["year"])) == ["FY 2020/21", "FY 2021/22"]
    cur = t[t["year"] == "FY 2021/22"].set_index("location_type")
    # current: Domestic 4, Town centre 3, Residual 3 of 10 recorded; 1 not recorded
    assert cur.loc["Domestic", "share"] == pytest.approx(40.0)
    assert cur.loc["Town centre", "share"] == pytest.approx(30.0)
    assert cur.loc["Not recorded", "offences"] == 1
    assert np.isnan(cur.loc["Not recorded", "share"])
    prev = t[t["year"] == "FY 2020/21"].set_index("location_type")
    assert prev.loc["Residual", "share"] == pytest.approx(3 / 8 * 100)
    assert "Not recorded" not in prev.index


def test_year_windows():
    w = v.year_windows("2022-03", 3)
    assert [x.short for x in w] == ["FY 2019/20", "FY 2020/21", "FY 2021/22"]
    with pytest.raises(ParameterError):
        v.year_windows("2022-03", 0)


def test_share_of_all_crime_hand_worked():
    ex = hand_extract()
    s = v.share_of_all_crime(ex, v.violence_rows(ex), CUR_M, PREV_M).set_index("period")
    assert s.loc["current", "share"] == pytest.approx(50.0)  # 11 of 22
    assert s.loc["previous", "share"] == pytest.approx(50.0)  # 8 of 16


def test_heatmap_hand_worked():
    grid = v.heatmap_table(v.violence_rows(hand_extract()), CUR_M)
    assert grid.shape == (7, 24)
    assert grid.loc["Saturday", 23] == 2  # 1 Jan 2022 was a Saturday
    assert grid.loc["Sunday", 1] == 1
    assert grid.to_numpy().sum() == 3


def test_monthly_series_zero_filled_and_total():
    m = v.monthly_series(v.violence_rows(hand_extract()), "2021-04", "2022-03")
    assert len(m) == 12
    assert m.loc["2022-01", "Violence with injury"] == 3
    assert m.loc["2021-12", "All violence"] == 0
    assert m["All violence"].sum() == 11


def test_check_extract_reports_missing_columns():
    ex = hand_extract().drop(columns=["domestic_flag"])
    ex["hour"] = pd.array([pd.NA] * len(ex), dtype="Int64")  # present but empty counts as missing
    chk = v.check_extract(ex)
    assert chk.can["violence"] and chk.can["subgroups"] and chk.can["location"]
    assert not chk.can["domestic"] and not chk.can["heatmap"]
    text = " ".join(chk.messages)
    assert "'domestic_flag'" in text and "'hour'" in text
    assert "sources.force_extract.columns" in text


def test_check_extract_none():
    chk = v.check_extract(None)
    assert not any(chk.can.values()) and chk.messages


def test_choose_source():
    ex = hand_extract()
    street = pd.DataFrame({"month": ["2021-04"], "crime_type": ["Burglary"]})
    assert v.choose_source("auto", ex, street) == "extract"
    assert v.choose_source("auto", None, street) == "police_uk"
    assert v.choose_source("police_uk", ex, street) == "police_uk"
    with pytest.raises(DataFileError):
        v.choose_source("extract", None, street)
    with pytest.raises(ParameterError):
        v.choose_source("policeuk", ex, street)


# --- seasonality and change point -----------------------------------------------------------


def months(n, start="2019-01"):
    return [str(p) for p in pd.period_range(start, periods=n, freq="M")]


def test_seasonal_profile_recovers_orthogonal_pattern():
    # pattern sums to 0 and sum(m * s_m) = 0*5 - 1*5 - 2*5 + 3*5 = 0, so a straight-line fit of
    # pattern + constant is flat and the profile is the pattern exactly.
    pattern = np.array([5, -5, -5, 5, 0, 0, 0, 0, 0, 0, 0, 0], dtype=float)
    y = pd.Series(100 + np.tile(pattern, 2), index=months(24))
    s = v.seasonal_adjust(y)
    assert "profile" in s.method
    assert s.table["deseasonalised"].to_numpy() == pytest.approx(np.full(24, 100.0))
    assert s.profile.loc[1] == pytest.approx(5.0)


def test_seasonal_stl_for_long_series_and_none_for_short():
    rng = np.random.default_rng(1)
    pattern = 20 * np.sin(2 * np.pi * np.arange(48) / 12)
    y = pd.Series(200 + pattern + rng.normal(0, 1, 48), index=months(48))
    s = v.seasonal_adjust(y)
    assert s.method.startswith("STL")
    # the seasonal swing is removed: the adjusted series varies far less than the raw one
    assert s.table["deseasonalised"].std() < 0.25 * y.std()
    short = v.seasonal_adjust(y.iloc[:18])
    assert short.method.startswith("none")
    assert short.table["deseasonalised"].tolist() == y.iloc[:18].tolist()


def test_change_point_finds_peak():
    # rises 2 a month for months 0..20, then falls 3 a month; small noise
    rng = np.random.default_rng(7)
    t = np.arange(36)
    y = np.where(t <= 20, 50 + 2 * t, 90 - 3 * (t - 20)) + rng.normal(0, 1, 36)
    cp = v.detect_change_point(pd.Series(y, index=months(36)), "S&H", n_sim=199)
    assert cp.significant and cp.p_value == pytest.approx(1 / 200)
    assert abs((pd.Period(cp.month, freq="M") - pd.Period(months(36)[20], freq="M")).n) <= 1
    assert cp.slope_before == pytest.approx(2, abs=0.3)
    assert cp.slope_after == pytest.approx(-3, abs=0.3)
    assert "started to decline" in v.trend_sentence(cp, "Stalking and harassment")


def test_change_point_none_on_straight_line():
    rng = np.random.default_rng(3)
    y = 100 + 0.5 * np.arange(36) + rng.normal(0, 5, 36)
    cp = v.detect_change_point(pd.Series(y, index=months(36)), n_sim=199)
    assert not cp.significant
    assert "no clear sustained change" in v.trend_sentence(cp, "Violence")


def test_change_point_too_short():
    cp = v.detect_change_point(pd.Series(np.arange(10.0), index=months(10)))
    assert cp.month is None and "at least 15" in cp.note


def test_recording_caution_near_rule_change():
    # helpers/data/recording_changes.csv: May 2023 principal crime rule for stalking and harassment
    cp = v.ChangePoint("x", "2023-06", 1, -1, 0.01, True, None, "m")
    cautions = v.recording_cautions(cp, "Stalking and harassment")
    assert len(cautions) == 1 and cautions[0].startswith("May 2023:")
    assert v.recording_cautions(cp, "Violence with injury") == []
    assert len(v.recording_cautions(cp, "All violence")) == 1  # VAP is affected too
    far = v.ChangePoint("x", "2021-09", 1, -1, 0.01, True, None, "m")
    assert v.recording_cautions(far, "Stalking and harassment") == []


def test_recording_changes_in_range():
    found = v.recording_changes_in_range("2018-04", "2022-03", "Stalking and harassment")
    # 2018-04 itself is the first month, so the whole series is under that rule; 2020-04 is inside
    assert [t[:10] for t in found] == ["April 2020"]
    assert v.recording_changes_in_range("2018-04", "2022-03", "Violence with injury") == []


# --- police.uk only --------------------------------------------------------------------------


def street_frame():
    # 2021-04: 3 V&SO, 2 burglary, 4 ASB; 2021-05: 1 V&SO, 3 burglary; 2021-06: absent
    types = (
        ["Violence and sexual offences"] * 3
        + ["Burglary"] * 2
        + ["Anti-social behaviour"] * 4
        + ["Violence and sexual offences"]
        + ["Burglary"] * 3
    )
    ms = ["2021-04"] * 9 + ["2021-05"] * 4
    return pd.DataFrame(
        {"month": ms, "crime_type": types, "is_asb": [t == "Anti-social behaviour" for t in types]}
    )


def test_policeuk_monthly_hand_worked():
    m = v.policeuk_monthly(street_frame(), ["2021-04", "2021-05", "2021-06"]).set_index("month")
    assert m.loc["2021-04", "violence_and_sexual"] == 3
    assert m.loc["2021-04", "all_crime"] == 5  # ASB excluded
    assert m.loc["2021-04", "share"] == pytest.approx(60.0)
    assert m.loc["2021-05", "share"] == pytest.approx(25.0)
    assert not m.loc["2021-06", "has_data"] and np.isnan(m.loc["2021-06", "share"])


def test_policeuk_summary_and_sentences():
    s = v.policeuk_summary(street_frame(), ["2021-05"], ["2021-04"]).set_index("measure")
    assert s.loc["Violence and sexual offences", "current"] == 1
    assert s.loc["Violence and sexual offences", "previous"] == 3
    assert s.loc["Violence and sexual offences", "share_current"] == pytest.approx(25.0)
    text = " ".join(v.policeuk_sentences(s.reset_index(), "April 2021", "May 2021"))
    assert "fell from 3 to 1" in text and "%" not in text.split("compared with")[0][-30:]
    assert "no subgroups" in text


# --- narrative -------------------------------------------------------------------------------


def counts_frame(n_wo, n_with, n_sh, prev=(0, 0, 0)):
    rows = (
        [row("2021-06", "105A", "Violence without injury")] * n_wo
        + [row("2021-06", "8N", "Violence with injury")] * n_with
        + [row("2021-06", "8L", "Stalking and harassment")] * n_sh
        + [row("2020-06", "105A", "Violence without injury")] * prev[0]
        + [row("2020-06", "8N", "Violence with injury")] * prev[1]
        + [row("2020-06", "8L", "Stalking and harassment")] * prev[2]
    )
    return v.violence_rows(pd.DataFrame(rows))


def test_breakdown_sentence_seed_style():
    t = v.subgroup_table(counts_frame(455, 336, 209), CUR_M, PREV_M)
    assert v.breakdown_sentence(t) == (
        "Violent crime breaks down as 45.5% without injury, 33.6% with injury and 20.9% "
        "stalking and harassment."
    )


def test_change_sentence():
    # 7 -> 8 (+14.3%), 20 -> 21 (+5.0%), 18 -> 25 (+38.9%)
    t = v.subgroup_table(counts_frame(8, 21, 25, prev=(7, 20, 18)), CUR_M, PREV_M)
    s = v.subgroup_change_sentence(t, "the previous year")
    # 7 -> 8 and 18 -> 25 are under 20: the sentence gives the numbers, not a percentage.
    assert "without injury offences rose from 7 to 8" in s
    assert "with injury offences rose by 5.0%" in s
    assert "stalking and harassment offences rose from 18 to 25" in s
    assert "14.3%" not in s and "38.9%" not in s


def test_domestic_sentence_seed_style():
    # flagged 200 -> 229 (+14.5%); other 500 -> 577 (+15.4%); share 229 / 806 = 28.4%
    rows = (
        [row("2021-06", "8N", "Violence with injury", flag=True)] * 229
        + [row("2021-06", "8N", "Violence with injury")] * 577
        + [row("2020-06", "8N", "Violence with injury", flag=True)] * 200
        + [row("2020-06", "8N", "Violence with injury")] * 500
    )
    d = v.domestic_table(v.violence_rows(pd.DataFrame(rows)), CUR_M, PREV_M)
    s = v.domestic_sentence(d, "April 2021 to March 2022", "the previous year")
    assert "accounts for 28.4% of all violent offences" in s
    assert "domestic flag rose by 14.5%" in s
    assert "other violent offences increased by 15.4%" in s


def test_injury_detail_sentence():
    d = v.injury_detail_table(v.violence_rows(hand_extract()), CUR_M, PREV_M)
    s = v.injury_detail_sentence(d)
    assert "the largest group, 2 offences, were assault with injury" in s
    assert (
        "1 assault with intent to cause serious harm, 0 attempted murder and 0 endangering life"
        in s
    )


def test_location_sentence_consistent():
    loc = pd.DataFrame(
        {
            "year": ["A"] * 3 + ["B"] * 3,
            "location_type": ["Domestic", "Town centre", "Residual"] * 2,
            "offences": [30, 30, 40, 31, 29, 40],
            "share": [30.0, 30.0, 40.0, 31.0, 29.0, 40.0],
            "months_with_data": 12,
        }
    )
    s = v.location_sentence(loc)
    assert s.startswith(
        "In B, residual violence made up 40.0% of violent offences with a recorded location type, "
        "domestic violence 31.0% and town centre violence 29.0%."
    )
    assert "consistent over the last two years" in s and "1.0 percentage points" in s


# --- properties ------------------------------------------------------------------------------

SUBS = list(v.SUBGROUP_ORDER) + ["Local category"]
ALL_MONTHS = PREV_M + CUR_M


@st.composite
def extracts(draw):
    n = draw(st.integers(min_value=1, max_value=60))
    return pd.DataFrame(
        {
            "month": draw(st.lists(st.sampled_from(ALL_MONTHS), min_size=n, max_size=n)),
            "offence_group": draw(
                st.lists(st.sampled_from([VAP, "Theft offences"]), min_size=n, max_size=n)
            ),
            "offence_subgroup": draw(st.lists(st.sampled_from(SUBS), min_size=n, max_size=n)),
            "domestic_flag": pd.array(
                draw(st.lists(st.sampled_from([True, False, None]), min_size=n, max_size=n)),
                dtype="boolean",
            ),
            "location_type": draw(
                st.lists(
                    st.sampled_from(["Domestic", "Town centre", "Residual", None]),
                    min_size=n,
                    max_size=n,
                )
            ),
        }
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(extracts())
def test_properties_shares_sum_to_100_and_counts_conserved(ex):
    vr = v.violence_rows(ex)
    n_cur = int(((ex["offence_group"] == VAP) & ex["month"].isin(CUR_M)).sum())
    n_prev = int(((ex["offence_group"] == VAP) & ex["month"].isin(PREV_M)).sum())
    sub = v.subgroup_table(vr, CUR_M, PREV_M)
    dom = v.domestic_table(vr, CUR_M, PREV_M)
    assert sub["current"].sum() == n_cur and sub["previous"].sum() == n_prev
    assert dom["current"].sum() == n_cur and dom["previous"].sum() == n_prev
    if n_cur:
        assert sub["share"].sum() == pytest.approx(100.0)
        assert dom["share"].sum() == pytest.approx(100.0)
    loc = v.location_share_table(vr, v.year_windows("2022-03", 2))
    for year, g in loc.groupby("year"):
        assert g["offences"].sum() == int(
            vr["month"]
            .isin(ReportingPeriod("2022-03" if year == "FY 2021/22" else "2021-03").month_list)
            .sum()
        )
        known = g.dropna(subset=["share"])
        if len(known) and known["offences"].sum():
            assert known["share"].sum() == pytest.approx(100.0)
    m = v.monthly_series(vr, CUR.start, CUR.end)
    assert m["All violence"].sum() == n_cur


def test_small_numbers_never_print_a_percentage():
    # Homicide 1 -> 5 used to be printed as +400%.
    rows = [row("2021-06", "1", "Homicide")] * 5 + [row("2020-06", "1", "Homicide")]
    t = v.subgroup_table(v.violence_rows(pd.DataFrame(rows)), CUR_M, PREV_M).set_index("subgroup")
    assert t.loc["Homicide", "small_numbers"]
    assert np.isnan(t.loc["Homicide", "pct_change"])
    assert t.loc["Homicide", "pct_change_raw"] == pytest.approx(400.0)
    s = v.subgroup_change_sentence(t.reset_index(), "the previous year")
    assert "400" not in s


def test_arrow_only_for_a_significant_change():
    # 1,001 v 1,000 spread over twelve months: a 0.1% rise, nowhere near significant.
    rows = []
    for i, (mc, mp) in enumerate(zip(CUR_M, PREV_M, strict=True)):
        n_cur = 84 if i else 1001 - 84 * 11
        n_prev = 84 if i else 1000 - 84 * 11
        rows += [row(mc, "8N", "Violence with injury")] * n_cur
        rows += [row(mp, "8N", "Violence with injury")] * n_prev
    t = v.subgroup_table(v.violence_rows(pd.DataFrame(rows)), CUR_M, PREV_M).set_index("subgroup")
    assert t.loc["Violence with injury", "change"] == 1
    assert not t.loc["Violence with injury", "significant"]
    assert t.loc["Violence with injury", "direction"] == "same"


# --- calibration of the change-point test ----------------------------------------------------


def _null_series(rng, n_series: int, ar: float, months_: list[str], lockdown: bool):
    """Seasonal monthly counts with a straight-line trend, AR(1) noise and (optionally) a 15%
    dip during the lockdown months, but no change of trend: every detection is a false alarm."""
    n = len(months_)
    t = np.arange(n)
    moy = np.array([int(m[5:]) for m in months_])
    season = 25 * np.sin(2 * np.pi * (moy - 3) / 12) + 10 * np.cos(4 * np.pi * moy / 12)
    level = 300 + 0.8 * t + season
    if lockdown:
        level = level * np.where([("2020-03" <= m <= "2021-06") for m in months_], 0.85, 1.0)
    z = rng.standard_normal((n_series, n))
    e = np.empty_like(z)
    e[:, 0] = z[:, 0] / np.sqrt(1 - ar**2)
    for i in range(1, n):
        e[:, i] = ar * e[:, i - 1] + z[:, i]
    return level + 12 * e


@pytest.mark.parametrize(("ar", "lockdown"), [(0.5, True), (0.0, False)])
def test_change_point_false_positive_rate_is_nominal(ar, lockdown):
    # 400 null series of 48 months (the sample's April 2018 - March 2022), seasonal, with
    # autocorrelation 0.5 and a lockdown dip, or seasonal and independent. The old test (a
    # permutation test on the seasonally adjusted series) called about 34% and 9% of these a
    # change of trend; nominal is 5%. Allowed: within 1.5 points (the simulation's own standard
    # error is about 1.1 points at 400 series).
    from helpers.core.statistics import ExceptionalPeriod

    ms = months(48, "2018-04")
    rng = np.random.default_rng(20261201)
    ys = _null_series(rng, 400, ar, ms, lockdown)
    lock = [ExceptionalPeriod("COVID-19 lockdowns", "2020-03", "2021-06")]
    ps = np.array(
        [
            v.detect_change_point(
                pd.Series(y, index=ms), n_sim=199, seed=i, exceptional=lock
            ).p_value
            for i, y in enumerate(ys)
        ]
    )
    fpr = float(np.mean(ps < 0.05))
    assert abs(fpr - 0.05) <= 0.015, fpr


def test_change_point_still_finds_a_real_change_in_autocorrelated_seasonal_series():
    from helpers.core.statistics import ExceptionalPeriod

    ms = months(48, "2018-04")
    rng = np.random.default_rng(5)
    y = _null_series(rng, 1, 0.5, ms, True)[0]
    y = y - 6 * np.clip(np.arange(48) - 30, 0, None)  # falls 6 a month faster from month 30
    lock = [ExceptionalPeriod("COVID-19 lockdowns", "2020-03", "2021-06")]
    cp = v.detect_change_point(pd.Series(y, index=ms), "x", n_sim=199, exceptional=lock)
    assert cp.significant
    assert abs((pd.Period(cp.month, freq="M") - pd.Period(ms[30], freq="M")).n) <= 4
    assert cp.slope_after - cp.slope_before == pytest.approx(-6, abs=2.5)
    assert "COVID-19 lockdowns" in cp.method


def test_change_points_adjusted_across_series():
    from statsmodels.stats.multitest import multipletests

    pts = [
        v.ChangePoint(s, "2021-01", 1, -1, p, p < 0.05, None, "m", None, p)
        for s, p in (("a", 0.01), ("b", 0.04), ("c", 0.30))
    ]
    out = v.adjust_change_points(pts)
    q = multipletests([0.01, 0.04, 0.30], method="fdr_bh")[1]
    assert [cp.q_value for cp in out] == pytest.approx(list(q))
    assert [cp.significant for cp in out] == [bool(x < 0.05) for x in q]


def test_exceptional_periods_from_config():
    from helpers.core.errors import ConfigError
    from helpers.core.statistics import exceptional_periods

    got = exceptional_periods(
        {"exceptional_periods": [{"name": "Lockdowns", "start": "2020-03", "end": "2021-06"}]}
    )
    assert got[0].covers("2020-03") and got[0].covers("2021-06") and not got[0].covers("2021-07")
    assert exceptional_periods({}) == []
    from helpers.core.config import load_area_config

    sample = exceptional_periods(load_area_config("wexley").analysis)
    assert [(e.start, e.end) for e in sample] == [("2020-03", "2021-06")]  # the lockdowns
    with pytest.raises(ConfigError, match="ends"):
        exceptional_periods(
            {"exceptional_periods": [{"name": "x", "start": "2021-06", "end": "2020-03"}]}
        )
    with pytest.raises(ConfigError, match="YYYY-MM"):
        exceptional_periods(
            {"exceptional_periods": [{"name": "x", "start": "2020/03", "end": "2021-06"}]}
        )
