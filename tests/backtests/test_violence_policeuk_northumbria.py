"""Back-test the police.uk-only violence path on real Northumbria police.uk data.

Reads the street files in place from ../shared/data/policeuk/northumbria (2020-05 to 2023-02,
with 2022-01 missing). Expected counts are computed independently with the csv module; the code
under test gets a pandas frame in the processed-data shape (month, crime_type, is_asb).
"""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from helpers.core.periods import ReportingPeriod, like_for_like_months
from helpers.stages import violence as V

pytestmark = pytest.mark.backtest

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
FOLDER = DATA / "policeuk" / "northumbria"
VSO = "Violence and sexual offences"
ASB = "Anti-social behaviour"
CSP_PREFIX = "Newcastle upon Tyne "  # LSOA names start with the district name


def _files() -> list[Path]:
    if not FOLDER.is_dir():
        pytest.skip(
            f"Real police.uk data not found at {FOLDER.resolve()} (only present in CI and "
            "the shared workspace)."
        )
    files = sorted(FOLDER.glob("*-northumbria-street.csv.gz"))
    if not files:
        pytest.skip(f"No Northumbria street files in {FOLDER.resolve()}.")
    return files


@pytest.fixture(scope="module")
def expected():
    """Independent counts with the csv module: per month, V&SO and all non-ASB crime."""
    vso, allc, vso_ncl, all_ncl, months = Counter(), Counter(), Counter(), Counter(), set()
    for f in _files():
        with gzip.open(f, "rt", encoding="utf-8", newline="") as fh:
            for rec in csv.DictReader(fh):
                m, t = rec["Month"], rec["Crime type"]
                months.add(m)
                if t == ASB:
                    continue
                ncl = rec["LSOA name"].startswith(CSP_PREFIX)
                allc[m] += 1
                all_ncl[m] += ncl
                if t == VSO:
                    vso[m] += 1
                    vso_ncl[m] += ncl
    return {"vso": vso, "all": allc, "vso_ncl": vso_ncl, "all_ncl": all_ncl, "months": months}


@pytest.fixture(scope="module")
def street():
    frames = [
        pd.read_csv(f, usecols=["Month", "Crime type", "LSOA name"], dtype=str) for f in _files()
    ]
    raw = pd.concat(frames, ignore_index=True)
    return pd.DataFrame(
        {
            "month": raw["Month"],
            "crime_type": raw["Crime type"],
            "is_asb": raw["Crime type"] == ASB,
            "lsoa_name": raw["LSOA name"],
        }
    )


def test_monthly_counts_match_independent_count(street, expected):
    months = [str(p) for p in pd.period_range("2020-05", "2023-02", freq="M")]
    m = V.policeuk_monthly(street, months).set_index("month")
    assert "2022-01" not in expected["months"]
    assert not m.loc["2022-01", "has_data"]  # missing, not zero crime
    for month in sorted(expected["months"]):
        assert m.loc[month, "violence_and_sexual"] == expected["vso"][month], month
        assert m.loc[month, "all_crime"] == expected["all"][month], month
        assert m.loc[month, "share"] == pytest.approx(
            expected["vso"][month] / expected["all"][month] * 100
        )
    assert m.loc[sorted(expected["months"]), "has_data"].all()


def test_csp_summary_like_for_like(street, expected):
    ncl = street[street["lsoa_name"].fillna("").str.startswith(CSP_PREFIX)]
    cur, prev = ReportingPeriod("2022-12"), ReportingPeriod("2021-12")
    cur_m, prev_m = like_for_like_months(set(street["month"]), cur, prev)
    assert len(cur_m) == 11 and "2022-01" not in cur_m and "2021-01" not in prev_m
    s = V.policeuk_summary(ncl, cur_m, prev_m).set_index("measure")
    exp_cur = sum(expected["vso_ncl"][m] for m in cur_m)
    exp_prev = sum(expected["vso_ncl"][m] for m in prev_m)
    exp_all = sum(expected["all_ncl"][m] for m in cur_m)
    assert s.loc[VSO, "current"] == exp_cur
    assert s.loc[VSO, "previous"] == exp_prev
    assert s.loc[VSO, "share_current"] == pytest.approx(exp_cur / exp_all * 100)
    text = " ".join(V.policeuk_sentences(s.reset_index(), "2021 (like-for-like)", cur.name))
    assert f"{exp_cur:,} violence and sexual offences" in text
    assert "no subgroups" in text and "none is estimated" in text


def test_policeuk_path_never_invents_a_breakdown(street):
    assert V.choose_source("auto", None, street) == "police_uk"
    check = V.check_extract(None)
    assert not any(check.can.values())
    with pytest.raises(Exception, match="offence_group"):
        V.violence_rows(street)


def test_trend_on_real_series_with_a_missing_month(street, expected):
    months = [str(p) for p in pd.period_range("2020-05", "2023-02", freq="M")]
    m = V.policeuk_monthly(street, months).set_index("month")["violence_and_sexual"]
    filled, gaps = V.fill_missing_months(m, expected["months"])
    assert gaps == ["2022-01"]
    # straight-line interpolation between December 2021 and February 2022
    assert filled["2022-01"] == pytest.approx(
        (expected["vso"]["2021-12"] + expected["vso"]["2022-02"]) / 2
    )
    seas = V.seasonal_adjust(filled)
    assert "profile" in seas.method  # 34 months: between two and three years
    cp = V.detect_change_point(filled, VSO, n_sim=199)  # the model has its own seasonal terms
    assert cp.month is not None and months[6] <= cp.month <= months[-7]
    assert 0 < cp.p_value <= 1
