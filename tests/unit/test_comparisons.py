"""Headlines against last year and the baseline, with exceptional periods named."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.core.errors import ConfigError
from helpers.stages import comparisons as C


def months(first: str, last: str) -> list[str]:
    return [str(p) for p in pd.period_range(first, last, freq="M")]


LOCKDOWN = C.ExceptionalPeriod("lockdowns", "2020-03", "2021-06")
CUR, PREV, BASE = (
    months("2021-04", "2022-03"),
    months("2020-04", "2021-03"),
    months("2019-01", "2019-12"),
)


def test_config_entries_are_checked():
    got = C.exceptional_periods(
        {"exceptional_periods": [{"name": "lockdowns", "start": "2020-03", "end": "2021-06"}]}
    )
    assert got == [LOCKDOWN]
    assert len(got[0].months) == 16
    assert C.exceptional_periods({}) == []
    for bad in (
        {"exceptional_periods": "lockdowns"},
        {"exceptional_periods": [{"name": "x", "start": "2020-03"}]},
        {"exceptional_periods": [{"name": "x", "start": "2020-3", "end": "2021-06"}]},
        {"exceptional_periods": [{"name": "x", "start": "2021-07", "end": "2021-06"}]},
    ):
        with pytest.raises(ConfigError):
            C.exceptional_periods(bad, "wexley.yaml")


def test_overlap_counts_months_inside():
    assert C.overlap(PREV, [LOCKDOWN]) == [(LOCKDOWN, 12)]
    assert C.overlap(CUR, [LOCKDOWN]) == [(LOCKDOWN, 3)]  # April to June 2021
    assert C.overlap(BASE, [LOCKDOWN]) == []


def test_sentence_gives_both_comparisons_and_names_the_lockdown():
    s = C.headline_sentence(
        "all_crime", (CUR, 24823), (PREV, 21074), (BASE, 24215, "pre-COVID (year to Dec 2019)"),
        [LOCKDOWN], significance="a statistically significant change",
    )  # fmt: skip
    pct_prev = (24823 - 21074) / 21074 * 100  # 17.8
    pct_base = (24823 - 24215) / 24215 * 100  # 2.5
    assert s.startswith("All crime: 24,823 crimes in April 2021 to March 2022")
    assert f"up {pct_prev:.1f}% on the year before, April 2020 to March 2021 (21,074)" in s
    assert f"up {pct_base:.1f}% on the pre-COVID baseline, January 2019 to December 2019" in s
    assert "The year before falls wholly within the lockdowns (March 2020 to June 2021)" in s
    assert "the baseline is the better guide" in s
    assert "Three months of the current period fall within the lockdowns" in s
    short = C.headline_sentence(
        "sac", (CUR, 2412), (PREV, 1974), None, [LOCKDOWN], mention_current=False
    )
    assert "falls wholly within the lockdowns" in short and "current period" not in short
    part = C.headline_sentence("sac", (CUR, 2412), (months("2020-10", "2021-09"), 2000), None,
                               [LOCKDOWN])  # fmt: skip
    assert "Nine months of the year before fall within the lockdowns" in part


def test_no_exceptional_period_no_clause_and_small_numbers_as_counts():
    s = C.headline_sentence("vap.homicide", (CUR, 5), (PREV, 1), (BASE, 5, "2019"), [], "offences")
    assert "up 4 on the year before" in s and "%" not in s
    assert "the same as the baseline, January 2019 to December 2019 (5)" in s
    assert "lockdown" not in s
    s = C.headline_sentence("asb", (CUR, 800), (PREV, 1000), None, [LOCKDOWN], "incidents")
    assert "down 20.0% on the year before" in s and "do not reach back to the baseline" in s


def test_records_key_each_printed_count():
    recs = C.headline_records("sac", "w", (CUR, 2412), (PREV, 1974), (BASE, 2792, "b"), "x", "s")
    assert [(r["period"], r["value"]) for r in recs] == [
        ("2021-04..2022-03", 2412), ("2020-04..2021-03", 1974), ("2019-01..2019-12", 2792)
    ]  # fmt: skip
