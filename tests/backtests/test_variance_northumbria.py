"""Back-test the variance table on real police.uk data: Newcastle upon Tyne CSP (Northumbria).

Twelve months to December 2022 against the twelve months before. Northumbria's police.uk run
has no January 2022 file, so the comparison must be like-for-like over February to December in
both years, and the coverage check must report the gap. Expected counts are computed here with
the csv module straight from the raw files, never by the code under test.
"""

from __future__ import annotations

import csv
import gzip
import math
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from helpers.core.periods import ReportingPeriod
from helpers.stages import variance as V

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
FORCE = DATA / "policeuk" / "northumbria"
LOOKUP = DATA / "lookups" / "ons" / "lsoa11_to_ward19_to_lad19_ew.csv.gz"
NEWCASTLE_LAD = "E08000021"
MONTHS = [str(p) for p in pd.period_range("2021-01", "2022-12", freq="M")]

pytestmark = pytest.mark.backtest


@pytest.fixture(scope="module")
def newcastle():
    if not FORCE.is_dir() or not LOOKUP.exists():
        pytest.skip(f"Real data not available at {DATA.resolve()} (only present in CI/dev).")
    with gzip.open(LOOKUP, "rt", encoding="utf-8-sig") as fh:
        lsoas = {r["LSOA11CD"] for r in csv.DictReader(fh) if r["LAD19CD"] == NEWCASTLE_LAD}
    assert len(lsoas) > 100  # Newcastle has 175 LSOAs (2011)
    files = {m: FORCE / f"{m}-northumbria-street.csv.gz" for m in MONTHS}
    present = [m for m, f in files.items() if f.exists()]
    frames, expected = [], Counter()
    for m in present:
        with gzip.open(files[m], "rt", encoding="utf-8-sig") as fh:
            for r in csv.DictReader(fh):
                if r["LSOA code"] in lsoas:
                    expected[(r["Month"], r["Crime type"])] += 1
        df = pd.read_csv(
            files[m],
            usecols=["Crime ID", "Month", "LSOA code", "LSOA name", "Crime type"],
            dtype=str,
        )
        frames.append(df[df["LSOA code"].isin(lsoas)])
    raw = pd.concat(frames, ignore_index=True)
    # Cross-check the ONS lookup against the police.uk LSOA-name prefix.
    assert raw["LSOA name"].str.startswith("Newcastle upon Tyne").all()
    types = pd.read_csv(Path(V.__file__).parents[1] / "data" / "police_uk_crime_types.csv")
    t = types.set_index("crime_type")
    street = pd.DataFrame(
        {
            "crime_id": raw["Crime ID"],
            "month": raw["Month"],
            "crime_type": raw["Crime type"],
            "crime_group": raw["Crime type"].map(t["crime_group"]),
            "is_asb": raw["Crime type"].eq("Anti-social behaviour"),
            "is_sac": raw["Crime type"].map(t["sac"]).eq(1),
            "is_neighbourhood": raw["Crime type"].map(t["neighbourhood"]).eq(1),
        }
    )
    return street, expected, present


def test_gap_month_reported_and_like_for_like(newcastle):
    street, expected, present = newcastle
    assert "2022-01" not in present  # the known gap in this mirror
    res = V.variance_table(V.records_from_street(street), ReportingPeriod("2022-12"), street=street)
    assert res.coverage.current_missing == ["2022-01"]
    assert res.coverage.previous_missing == []
    assert res.current_months == [f"2022-{m:02d}" for m in range(2, 13)]
    assert res.previous_months == [f"2021-{m:02d}" for m in range(2, 13)]
    assert "2022-01" in res.notes[0] and "like-for-like" in res.notes[0]
    assert res.source == "police.uk"


def test_counts_per_crime_type_match_raw_files(newcastle):
    street, expected, _ = newcastle
    res = V.variance_table(V.records_from_street(street), ReportingPeriod("2022-12"), street=street)
    t = res.table
    cur = [f"2022-{m:02d}" for m in range(2, 13)]
    prev = [f"2021-{m:02d}" for m in range(2, 13)]

    def total(months, crime_type=None, exclude_asb=True):
        return sum(
            n
            for (m, ct), n in expected.items()
            if m in months
            and (crime_type is None or ct == crime_type)
            and not (exclude_asb and crime_type is None and ct == "Anti-social behaviour")
        )

    types = sorted({ct for _, ct in expected} - {"Anti-social behaviour"})
    groups = pd.read_csv(Path(V.__file__).parents[1] / "data" / "police_uk_crime_types.csv")
    group_of = dict(zip(groups["crime_type"], groups["crime_group"], strict=True))
    for ct in types:
        # A police.uk type is a subgroup row, or its group's row when the group has one type.
        sub = t[(t.level == "subgroup") & (t.label == ct)]
        row = sub if len(sub) else t[(t.level == "group") & (t.label == group_of[ct])]
        assert len(row) == 1, ct
        assert (row["previous"].iloc[0], row["current"].iloc[0]) == (
            total(prev, ct),
            total(cur, ct),
        ), ct
    allc = t[t.level == "total"].iloc[0]
    assert (allc["previous"], allc["current"]) == (total(prev), total(cur))
    asb = t[t.level == "asb"].iloc[0]
    assert (asb["previous"], asb["current"]) == (
        total(prev, "Anti-social behaviour"),
        total(cur, "Anti-social behaviour"),
    )
    # The all-crime test statistic, by hand. Quasi-Poisson: each calendar month is set against the
    # same month a year earlier; the Pearson dispersion of "month pair + one change" is
    # phi = sum (c_m - n_m pi)^2 / (n_m pi (1 - pi)) / (pairs - 1), pi = C / (C + P), floored at 1;
    # then z = (C - P) / sqrt(phi (C + P)) for equal months.
    c_m = [total([m]) for m in cur]
    p_m = [total([m]) for m in prev]
    big_c, big_p = sum(c_m), sum(p_m)
    pi = big_c / (big_c + big_p)
    x2 = sum(
        (a - (a + b) * pi) ** 2 / ((a + b) * pi * (1 - pi)) for a, b in zip(c_m, p_m, strict=True)
    )
    phi = max(x2 / (len(cur) - 1), 1.0)
    z = (big_c - big_p) / math.sqrt(phi * (big_c + big_p))
    assert allc["dispersion"] == pytest.approx(phi)
    assert allc["z"] == pytest.approx(z)
    print(
        f"\nNewcastle upon Tyne, Feb-Dec 2021 v Feb-Dec 2022 (police.uk): all crime "
        f"{allc['previous']:,} -> {allc['current']:,} ({allc['pct_change']:+.1f}%, z={z:.2f}, "
        f"dispersion {phi:.1f}); "
        f"ASB {asb['previous']:,} -> {asb['current']:,}"
    )
