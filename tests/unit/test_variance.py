"""helpers.stages.variance on small hand-built frames; expected values worked out in the test."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.core.errors import DataFileError, ParameterError, PeriodError
from helpers.core.periods import ReportingPeriod, month_range
from helpers.stages import variance as V

# Seed 003, "CRIME FIGURES 12 MONTHS TO YEAR ENDING MARCH 2022" (Northamptonshire PFCC):
# label, Apr 2020-Mar 2021, Apr 2021-Mar 2022, published variance, published % change.
SEED_003 = [
    ("All Crime", 61373, 61888, 515, 1.1),
    ("All Crime (victims)", 51430, 52448, 1018, 2.0),
    ("ASB", 15127, 13939, -1188, -7.9),
    ("Domestic Abuse", 18755, 17226, -1529, -8.1),
    ("Knife Crime", 718, 659, -59, -8.2),
    ("Neighbourhood Crime", 7266, 6598, -668, -9.2),
    ("Rape & Other Sexual Offences", 2569, 2960, 391, 15.2),
    ("Violence Against The Person", 27322, 27388, 66, 0.2),
]


def test_seed_003_table_reproduces_published_changes():
    counts = pd.DataFrame(
        [(lab, prev, cur) for lab, prev, cur, *_ in SEED_003],
        columns=["label", "previous", "current"],
    )
    out = V.summarise_changes(counts)
    for (lab, prev, cur, var, pub_pct), (_, row) in zip(SEED_003, out.iterrows(), strict=True):
        assert row["change"] == var == cur - prev, lab  # every published variance is exact
        by_hand = (cur - prev) / prev * 100
        assert row["pct_change"] == pytest.approx(by_hand)
        if lab == "All Crime":
            # Honest discrepancy: 515 / 61,373 = 0.84%, which rounds to +0.8%, not the published
            # +1.1%. The seed's +1.1% cannot come from its own two figures.
            assert round(by_hand, 1) == 0.8 and pub_pct == 1.1
        elif lab == "Domestic Abuse":
            # -1,529 / 18,755 = -8.153%: rounds to -8.2%; the seed prints -8.1%.
            assert round(by_hand, 1) == -8.2 and pub_pct == -8.1
        else:
            assert round(row["pct_change"], 1) == pub_pct, lab
    # None is a small number; which changes are significant (exact test, 5%)?
    assert not out["small_numbers"].any()
    sig = dict(zip(out["label"], out["direction"], strict=True))
    # 515 / sqrt(61373 + 61888) = 1.47 < 1.96: the all-crime rise is within chance variation.
    assert sig["All Crime"] == "no change"
    # 391 / sqrt(2569 + 2960) = 5.26: a real rise; 66 / sqrt(54710) = 0.28: not.
    assert sig["Rape & Other Sexual Offences"] == "increase"
    assert sig["Violence Against The Person"] == "no change"
    assert sig["ASB"] == "decrease"


def test_small_numbers_caveat_replaces_percentage():
    out = V.summarise_changes(pd.DataFrame({"previous": [4, 0, 100], "current": [9, 3, 19]}))
    assert out["small_numbers"].tolist() == [True, True, True]
    assert out["pct_change"].isna().all()
    assert out["pct_change_raw"].iloc[0] == pytest.approx(125.0)
    assert math.isnan(out["pct_change_raw"].iloc[1])  # from 0: no percentage at all
    with pytest.raises(DataFileError, match="Negative"):
        V.summarise_changes(pd.DataFrame({"previous": [-1], "current": [3]}))


def _extract(rows: dict[tuple, int]) -> pd.DataFrame:
    """rows: (month, group, subgroup, sac, neighbourhood, vap) -> number of offences."""
    recs = []
    for (month, g, s, sac, nbh, vap), n in rows.items():
        recs += [
            {
                "month": month,
                "offence_group": g,
                "offence_subgroup": s,
                "is_sac": sac,
                "is_neighbourhood": nbh,
                "is_vap": vap,
            }
        ] * n
    return pd.DataFrame(recs)


VWI = ("Violence against the person", "Violence with injury", False, False, True)
SH = ("Violence against the person", "Stalking and harassment", False, False, True)
BUR = ("Theft offences", "Residential burglary", True, True, False)
SHOP = ("Theft offences", "Shoplifting", False, False, False)
DRUG = ("Drug offences", "Possession of drugs", False, False, False)


def _two_years(current: dict, previous: dict, skip: set[str] = frozenset()) -> pd.DataFrame:
    """Spread each kind's yearly count evenly: first month gets the remainder."""
    rows = {}
    for months, spec in (
        (month_range("2021-04", "2022-03"), current),
        (month_range("2020-04", "2021-03"), previous),
    ):
        for kind, total in spec.items():
            per, rem = divmod(total, 12)
            for i, m in enumerate(months):
                n = per + (rem if i == 0 else 0)
                if m not in skip and n:
                    rows[(m, *kind)] = n
    return _extract(rows)


def test_variance_table_extract_rows_and_composites():
    ex = _two_years(
        {VWI: 240, SH: 120, BUR: 60, SHOP: 36, DRUG: 12},
        {VWI: 240, SH: 60, BUR: 96, SHOP: 36, DRUG: 24},
    )
    res = V.variance_table(V.records_from_extract(ex), ReportingPeriod("2022-03"))
    t = res.table.set_index("label")
    assert res.source == "force extract" and res.coverage.complete
    assert (t.loc["All crime", "previous"], t.loc["All crime", "current"]) == (456, 468)
    assert t.loc["Violence against the person", "level"] == "group"
    assert t.loc["Stalking and harassment", "change"] == 60
    assert t.loc["Stalking and harassment", "pct_change"] == pytest.approx(100.0)
    # Composites: SAC and neighbourhood = burglary here; VAP = 240 + 120.
    assert t.loc["Serious acquisitive crime", "current"] == 60
    assert t.loc["Neighbourhood crime", "previous"] == 96
    # The VAP composite equals the VAP group here, so it is not repeated.
    assert (res.table["label"] == "Violence against the person").sum() == 1
    assert t.loc["Violence against the person", "current"] == 360
    # Drug offences: 24 -> 12, under 20 in a period: count only.
    assert t.loc["Drug offences", "small_numbers"] and math.isnan(
        t.loc["Drug offences", "pct_change"]
    )
    # Shares of all crime: violence 360/468.
    assert t.loc["Violence against the person", "share_of_all"] == pytest.approx(360 / 468 * 100)
    # Drug offences has one subgroup only: no duplicate subgroup row.
    assert (res.table["label"] == "Possession of drugs").sum() == 0
    # S&H 60 -> 120 is significant (z = 60/sqrt(180) = 4.5); burglary 96 -> 60 too (z = -2.9).
    assert t.loc["Stalking and harassment", "direction"] == "increase"
    assert t.loc["Residential burglary", "direction"] == "decrease"
    assert t.loc["Shoplifting", "direction"] == "no change"
    # Stalking and harassment spans the April 2020 ... no: window Apr 2020-Mar 2022 starts AT the
    # April 2020 change (first month under the new rule), so it is not a break.
    assert t.loc["Stalking and harassment", "series_break"] == ""
    assert any("anti-social" in n.lower() for n in res.notes)  # no street data given


def test_like_for_like_when_a_month_is_missing():
    ex = _two_years({SHOP: 120}, {SHOP: 120}, skip={"2022-01"})
    res = V.variance_table(V.records_from_extract(ex), ReportingPeriod("2022-03"))
    assert res.coverage.current_missing == ["2022-01"]
    assert "2021-01" not in res.previous_months and len(res.current_months) == 11
    t = res.table.set_index("label")
    # Each month holds 10 shoplifting offences; 11 months are compared on both sides.
    assert (t.loc["All crime", "previous"], t.loc["All crime", "current"]) == (110, 110)
    assert "2022-01" in res.notes[0] and "like-for-like" in res.notes[0]


def test_period_outside_data_and_bad_lengths():
    ex = _two_years({SHOP: 120}, {SHOP: 120})
    rec = V.records_from_extract(ex)
    with pytest.raises(PeriodError, match="outside the data"):
        V.variance_table(rec, ReportingPeriod("2025-03"))
    with pytest.raises(ParameterError, match="same length"):
        V.variance_table(rec, ReportingPeriod("2022-03"), ReportingPeriod("2021-03", 6))


def test_counts_that_do_not_add_up_stop_with_a_message():
    bad = pd.DataFrame(
        [
            {"level": "total", "label": "All crime", "group": "", "previous": 10, "current": 12},
            {
                "level": "group",
                "label": "Theft offences",
                "group": "Theft offences",
                "previous": 9,
                "current": 12,
            },
        ]
    )
    with pytest.raises(DataFileError, match="add up to 9"):
        V._check_adds_up(bad, "force extract")


def _street(spec: dict[tuple[str, str, str], int]) -> pd.DataFrame:
    """spec: (month, crime_type, crime_group) -> n; ASB when crime_type is Anti-social behaviour."""
    rows = []
    k = 0
    for (m, ct, cg), n in spec.items():
        for _ in range(n):
            k += 1
            asb = ct == "Anti-social behaviour"
            rows.append(
                {
                    "crime_id": None if asb else f"id{k}",
                    "month": m,
                    "crime_type": ct,
                    "crime_group": cg,
                    "is_asb": asb,
                    "is_sac": ct == "Burglary",
                    "is_neighbourhood": ct == "Burglary",
                }
            )
    return pd.DataFrame(rows)


def test_police_uk_source_with_asb_and_gap():
    spec = {}
    for m in month_range("2020-04", "2022-03"):
        if m == "2022-01":
            continue
        cur = m >= "2021-04"
        spec[(m, "Burglary", "Theft offences")] = 3 if cur else 5
        spec[(m, "Shoplifting", "Theft offences")] = 2
        spec[(m, "Anti-social behaviour", "Anti-social behaviour")] = 4 if cur else 6
    street = _street(spec)
    rec = V.choose_records(None, street)
    assert rec.source == "police.uk" and not rec.has_vap
    # The Poisson exact test without adjustment here; the default (quasi-Poisson with
    # Benjamini-Hochberg) is checked in test_quasi_poisson_default_uses_monthly_dispersion.
    res = V.variance_table(
        rec, ReportingPeriod("2022-03"), street=street, method="exact", p_adjust="none"
    )
    t = res.table.set_index("label")
    # 11 like-for-like months (January dropped from both years).
    assert (t.loc["Burglary", "previous"], t.loc["Burglary", "current"]) == (55, 33)
    assert t.loc["All crime", "current"] == 33 + 22
    assert (
        t.loc["Anti-social behaviour", "previous"],
        t.loc["Anti-social behaviour", "current"],
    ) == (66, 44)
    assert t.loc["Anti-social behaviour", "level"] == "asb"
    assert "approximation" in t.loc["Serious acquisitive crime", "caveat"]
    assert "Violence against the person" not in set(
        res.table.loc[res.table.level == "composite", "label"]
    )
    sentences = V.variance_sentences(res)
    assert sentences[0].startswith(
        "The overall crime figure fell by 28.6% during the 11 months"
    )  # 77 -> 55
    assert any(
        "Anti-social behaviour incidents recorded by the police fell by 33.3%" in s
        for s in sentences
    )
    assert any("Burglary is the only statistically significant decrease" in s for s in sentences)


def test_outcome_rates_hand_worked():
    street = _street(
        {
            ("2021-05", "Burglary", "Theft offences"): 4,
            ("2020-05", "Burglary", "Theft offences"): 5,
            ("2021-05", "Anti-social behaviour", "Anti-social behaviour"): 3,
        }
    )
    ids = street["crime_id"].dropna().tolist()  # id1..id4 current, id5..id9 previous
    outcomes = pd.DataFrame(
        {
            "crime_id": [ids[0], ids[0], ids[1], ids[4], ids[5]],
            "is_positive": [False, True, False, True, False],
        }
    )
    rates = V.positive_outcome_rates(
        street, outcomes, {"current": ["2021-05"], "previous": ["2020-05"]}
    )
    assert rates["crimes"].tolist() == [4, 5]
    assert rates["positive"].tolist() == [1, 1]
    assert rates["rate"].tolist() == pytest.approx([25.0, 20.0])
    s = V.outcome_sentences(rates)[0]
    assert (
        s.startswith("25.0% of crimes recorded in current have a positive outcome")
        and "up from 20.0%" in s
    )


def test_series_break_notes():
    assert any(
        "April 2020" in n
        for n in V.series_break_notes("Stalking and harassment", "2019-04", "2021-03")
    )
    assert V.series_break_notes("Stalking and harassment", "2020-04", "2022-03") == []
    may23 = V.series_break_notes("Public order offences", "2022-06", "2024-05")
    assert len(may23) == 1 and "May 2023" in may23[0]
    assert V.series_break_notes("Shoplifting", "2016-01", "2024-01") == []
    table = V.recording_changes()
    assert {"2017-04", "2018-04", "2020-04", "2023-05"} <= set(table["effective_month"])


def test_three_series_and_baseline_change():
    rows = {}
    for year_end, n in (("2019-12", 30), ("2020-12", 20), ("2021-12", 24)):
        for m in month_range(f"{int(year_end[:4])}-01", year_end):
            rows[(m, *BUR)] = n
            rows[(m, *SHOP)] = 1
    rec = V.records_from_extract(_extract(rows))
    base = V.resolve_baseline("pre-COVID", {"pre-COVID": "2019-12"})
    ts = V.three_series(rec, ReportingPeriod("2021-12"), base)
    t = ts.table.set_index("label")
    assert ts.baseline_available and len(ts.offsets) == 12
    assert tuple(t.loc["Neighbourhood crime", ["baseline", "previous", "current"]]) == (
        360,
        240,
        288,
    )
    ch = V.baseline_change(ts).set_index("label")
    assert ch.loc["Serious acquisitive crime", "pct_change"] == pytest.approx(
        (288 - 360) / 360 * 100
    )
    s = V.baseline_sentences(ch.reset_index(), ts, ReportingPeriod("2021-12"))
    assert (
        "There were 288 serious acquisitive crime offences in the 12 months to December 2021, "
        "compared with 360 in the baseline period, January 2019 to December 2019: a change of -20.0%"
        in s[0]
    )
    # A baseline before the data: shown as absent, not as zero.
    early = V.three_series(rec, ReportingPeriod("2021-12"), V.resolve_baseline("2017-12", {}))
    assert not early.baseline_available and early.table["baseline"].isna().all()
    assert V.baseline_change(early).empty


def test_resolve_baseline_errors():
    assert V.resolve_baseline("2019-06", {}).month_list[0] == "2018-07"
    with pytest.raises(ParameterError, match="pre-COVID"):
        V.resolve_baseline("pre-covid-ish", {"pre-COVID": "2019-12"})


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(month_range("2020-04", "2022-03")),
            st.sampled_from([VWI, SH, BUR, SHOP, DRUG]),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_counts_are_conserved(items):
    rows: dict = {}
    for m, kind in items:
        rows[(m, *kind)] = rows.get((m, *kind), 0) + 1
    rec = V.records_from_extract(_extract(rows))
    try:
        res = V.variance_table(rec, ReportingPeriod("2022-03"))
    except PeriodError:
        return  # one of the years has no data at all: correctly refused
    t = res.table
    for col in ("previous", "current"):
        total = t.loc[t.level == "total", col].iloc[0]
        assert t.loc[t.level == "group", col].sum() == total
        months = res.current_months if col == "current" else res.previous_months
        assert total == sum(n for (m, *_), n in rows.items() if m in months)


def test_long_lists_are_summarised_and_source_choice():
    s = V._list_sentence(["Shoplifting", "Robbery", "Arson", "Bicycle theft"], "increase")
    assert s == (
        "Four categories show a statistically significant increase; the largest (in number of "
        "crimes) are shoplifting, robbery and arson."
    )
    assert V._list_sentence(["Public order offences", "Stalking and harassment"], "increase") == (
        "Public order offences and stalking and harassment are the only two statistically "
        "significant increases."
    )
    ex = _two_years({SHOP: 24}, {SHOP: 24})
    assert V.choose_records(ex, None).source == "force extract"
    with pytest.raises(DataFileError, match="no police.uk"):
        V.choose_records(ex, None, source="police_uk")
    with pytest.raises(DataFileError, match="neither a usable force extract"):
        V.choose_records(None, None)


def test_three_series_aligns_the_baseline_by_calendar_month():
    # A strongly seasonal series with no real change: every year, month m holds SEASON[m] crimes.
    # Reporting year April 2021 - March 2022 with July 2021 missing; baseline calendar 2019.
    # The like-for-like comparison must drop July from every period. Matching the baseline by
    # position instead drops its fourth month (April 2019) and keeps July 2019.
    season = {
        1: 40,
        2: 35,
        3: 40,
        4: 45,
        5: 50,
        6: 60,
        7: 120,
        8: 110,
        9: 60,
        10: 50,
        11: 45,
        12: 50,
    }
    rows = {}
    for m in month_range("2019-01", "2022-03"):
        if m == "2021-07":
            continue
        rows[(m, *BUR)] = season[int(m[5:])]
    rec = V.records_from_extract(_extract(rows))
    base = V.resolve_baseline("pre-COVID", {"pre-COVID": "2019-12"})
    ts = V.three_series(rec, ReportingPeriod("2022-03"), base)
    t = ts.table.set_index("label")
    expected = sum(season.values()) - season[7]  # 11 months, July left out everywhere
    assert tuple(t.loc["Serious acquisitive crime", ["baseline", "previous", "current"]]) == (
        expected,
        expected,
        expected,
    )
    assert "2019-07" not in ts.baseline_months and "2019-04" in ts.baseline_months
    ch = V.baseline_change(ts).set_index("label")
    assert ch.loc["Serious acquisitive crime", "change"] == 0
    assert not ch.loc["Serious acquisitive crime", "significant"]
