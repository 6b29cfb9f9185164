import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers.core.errors import ParameterError, PeriodError
from helpers.core.periods import (
    ReportingPeriod,
    check_period_in_data,
    compare_coverage,
    financial_quarter,
    financial_year,
    fy_months,
    like_for_like_months,
    missing_months,
    month_range,
    parse_month,
)


def test_rolling_period_months_and_labels():
    p = ReportingPeriod("2022-03")
    assert p.start == "2021-04"
    assert (
        p.month_list[0] == "2021-04" and p.month_list[-1] == "2022-03" and len(p.month_list) == 12
    )
    assert p.name == "April 2021 to March 2022"
    assert p.short == "FY 2021/22"
    assert p.previous().end == "2021-03" and p.previous().start == "2020-04"
    assert ReportingPeriod("2021-12").short == "12 months to Dec 2021"


def test_financial_year_and_quarter():
    assert financial_year("2021-03") == "2020/21"
    assert financial_year("2021-04") == "2021/22"
    assert [
        financial_quarter(m) for m in ("2021-04", "2021-07", "2021-12", "2022-01", "2022-03")
    ] == [1, 2, 3, 4, 4]
    assert fy_months("2019/20") == month_range("2019-04", "2020-03")


@pytest.mark.parametrize("bad", ["2022-3", "2022-13", "22-03", "March 2022", "", "2022/03"])
def test_bad_month_is_a_clear_parameter_error(bad):
    with pytest.raises(ParameterError, match="YYYY-MM"):
        parse_month(bad)


def test_missing_month_is_reported_and_like_for_like_drops_its_pair():
    have = set(month_range("2020-05", "2023-02")) - {"2022-01"}
    cur, prev = ReportingPeriod("2022-12"), ReportingPeriod("2021-12")
    assert missing_months(have, cur) == ["2022-01"]
    cov = compare_coverage(have, cur, prev)
    assert cov.current_missing == ["2022-01"] and cov.previous_missing == []
    assert "2022-01" in cov.message() and "11 calendar months" in cov.message()
    c, p = like_for_like_months(have, cur, prev)
    assert "2022-01" not in c and "2021-01" not in p and len(c) == len(p) == 11


def test_future_and_out_of_data_periods_are_refused():
    from datetime import date

    have = month_range("2018-04", "2023-03")
    with pytest.raises(PeriodError, match="has not finished"):
        check_period_in_data(ReportingPeriod("2026-11"), have, today=date(2026, 11, 21))
    with pytest.raises(PeriodError, match="outside the data"):
        check_period_in_data(ReportingPeriod("2024-03"), have, today=date(2026, 11, 21))
    check_period_in_data(ReportingPeriod("2022-03"), have, today=date(2026, 11, 21))


@given(st.integers(2000, 2030), st.integers(1, 12), st.integers(1, 36))
def test_period_always_has_its_length_and_ends_where_asked(year, month, n):
    end = f"{year}-{month:02d}"
    p = ReportingPeriod(end, n)
    assert len(p.month_list) == n and p.month_list[-1] == end
    assert p.previous().month_list[-1] < p.month_list[0]


def test_one_month_format_defined_once():
    """The YYYY-MM rule lives in core/periods.py; every other runtime module imports it."""
    import re
    from pathlib import Path

    from helpers.core import periods

    for ok in ("2022-01", "1999-12", "2023-10"):
        assert periods.MONTH_RE.match(ok)
        assert re.fullmatch(periods.MONTH_TEXT, ok)
    for bad in ("2022-00", "2022-13", "2022-1", "22-01", "2022/01", " 2022-01", "2022-01-01"):
        assert not periods.MONTH_RE.match(bad), bad
        assert not re.fullmatch(periods.MONTH_TEXT, bad), bad
    src = Path(periods.__file__).parents[1]
    copies = [
        str(p.relative_to(src))
        for p in src.rglob("*.py")
        if p.name != "periods.py" and "0[1-9]|1[0-2]" in p.read_text(encoding="utf-8")
    ]
    assert copies == []
