"""Reporting periods: rolling 12 months to a month, financial years, named baselines.

A period is named by its **last month** (``"2022-03"`` = April 2021 to March 2022). Months are
``YYYY-MM`` strings throughout the processed data. Missing months are detected, never papered
over: :func:`compare_coverage` tells a caller when two periods do not cover the same number of
months so an 11-month period is never silently compared with a 12-month one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pandas as pd

from helpers.core.errors import ParameterError, PeriodError

# The one month format, ``YYYY-MM`` with a month 01-12. ``MONTH_TEXT`` is the bare fragment (no
# anchors, no capturing group) for composed patterns such as police.uk file names; ``MONTH_PATTERN``
# is the anchored text for schemas (pydantic, pandera, Arrow); ``MONTH_RE`` its compiled form.
MONTH_TEXT = r"\d{4}-(?:0[1-9]|1[0-2])"
MONTH_PATTERN = rf"^{MONTH_TEXT}$"
MONTH_RE = re.compile(MONTH_PATTERN)


def parse_month(value: str, what: str = "month") -> pd.Period:
    """Parse ``YYYY-MM`` into a monthly :class:`pandas.Period`, with a clear error otherwise."""
    text = str(value).strip()
    if not MONTH_RE.match(text):
        raise ParameterError(
            f"The {what} {value!r} is not a month in the form YYYY-MM.",
            "Give the month as four-digit year, dash, two-digit month, e.g. 2022-03.",
        )
    return pd.Period(text, freq="M")


def month_range(first: str | pd.Period, last: str | pd.Period) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive, as ``YYYY-MM`` strings."""
    a, b = pd.Period(first, freq="M"), pd.Period(last, freq="M")
    return [str(p) for p in pd.period_range(a, b, freq="M")]


def financial_year(month: str | pd.Period) -> str:
    """Financial year label (``"2021/22"``) of a month: April to March."""
    p = pd.Period(month, freq="M")
    start = p.year if p.month >= 4 else p.year - 1
    return f"{start}/{str(start + 1)[-2:]}"


def financial_quarter(month: str | pd.Period) -> int:
    """Financial quarter 1–4 (Q1 = April–June)."""
    p = pd.Period(month, freq="M")
    return ((p.month - 4) % 12) // 3 + 1


def fy_months(fy: str) -> list[str]:
    """The 12 months of a financial year label such as ``"2021/22"``."""
    m = re.match(r"^(\d{4})/(\d{2})$", str(fy))
    if not m:
        raise ParameterError(f"{fy!r} is not a financial year like '2021/22'.", "Use YYYY/YY.")
    start = int(m.group(1))
    return month_range(f"{start}-04", f"{start + 1}-03")


@dataclass(frozen=True)
class ReportingPeriod:
    """``months`` consecutive months ending at ``end`` (default 12)."""

    end: str
    months: int = 12
    label: str | None = None

    def __post_init__(self) -> None:
        parse_month(self.end, "period end")
        if not 1 <= int(self.months) <= 60:
            raise ParameterError(
                f"A period of {self.months} months is not allowed.", "Use 1 to 60 months."
            )

    @property
    def start(self) -> str:
        return str(pd.Period(self.end, freq="M") - (self.months - 1))

    @property
    def month_list(self) -> list[str]:
        return month_range(self.start, self.end)

    def shifted(self, months_back: int, label: str | None = None) -> ReportingPeriod:
        """The same-length period ending ``months_back`` months earlier."""
        return ReportingPeriod(str(pd.Period(self.end, freq="M") - months_back), self.months, label)

    def previous(self) -> ReportingPeriod:
        return self.shifted(self.months, label="previous")

    @property
    def name(self) -> str:
        """Human label, e.g. 'April 2021 to March 2022'."""
        a, b = pd.Period(self.start, freq="M"), pd.Period(self.end, freq="M")
        return f"{a.strftime('%B %Y')} to {b.strftime('%B %Y')}"

    @property
    def short(self) -> str:
        """Short label, e.g. '12 months to Mar 2022' or 'FY 2021/22'."""
        b = pd.Period(self.end, freq="M")
        if self.months == 12 and b.month == 3:
            return f"FY {financial_year(self.end)}"
        return f"{self.months} months to {b.strftime('%b %Y')}"


def missing_months(
    available: list[str] | set[str] | pd.Series, period: ReportingPeriod
) -> list[str]:
    """Months of ``period`` absent from ``available``."""
    have = set(pd.Series(list(available), dtype="object").astype(str))
    return [m for m in period.month_list if m not in have]


@dataclass(frozen=True)
class Coverage:
    """How two periods compare in the months the data actually hold."""

    current_missing: list[str]
    previous_missing: list[str]
    like_for_like_offsets: list[int]  # positions 0..11 present in both periods

    @property
    def complete(self) -> bool:
        return not self.current_missing and not self.previous_missing

    def message(self) -> str | None:
        if self.complete:
            return None
        parts = []
        if self.current_missing:
            parts.append(f"the current period is missing {', '.join(self.current_missing)}")
        if self.previous_missing:
            parts.append(f"the previous period is missing {', '.join(self.previous_missing)}")
        return (
            "Incomplete data: "
            + " and ".join(parts)
            + ". Figures are shown like-for-like over the "
            f"{len(self.like_for_like_offsets)} calendar months both periods hold."
        )


def compare_coverage(available, current: ReportingPeriod, previous: ReportingPeriod) -> Coverage:
    """Which months each period lacks, and the month positions both periods hold.

    Like-for-like means: keep month *i* of the current period only if month *i* of the previous
    period is also present (the same calendar month a year apart), so seasonality cancels.
    """
    have = set(pd.Series(list(available), dtype="object").astype(str))
    cur, prev = current.month_list, previous.month_list
    offsets = [i for i, (a, b) in enumerate(zip(cur, prev, strict=True)) if a in have and b in have]
    return Coverage(missing_months(have, current), missing_months(have, previous), offsets)


def like_for_like_months(
    available, current: ReportingPeriod, previous: ReportingPeriod
) -> tuple[list[str], list[str]]:
    """The current and previous months to use for a like-for-like comparison."""
    cov = compare_coverage(available, current, previous)
    cur, prev = current.month_list, previous.month_list
    return [cur[i] for i in cov.like_for_like_offsets], [prev[i] for i in cov.like_for_like_offsets]


def check_period_in_data(period: ReportingPeriod, available, today: date | None = None) -> None:
    """Raise :class:`PeriodError` if the period ends in the future or outside the data."""
    today = today or date.today()
    end = pd.Period(period.end, freq="M")
    this_month = pd.Period(today, freq="M")
    if end >= this_month:
        raise PeriodError(
            f"The period ends in {period.end}, which has not finished yet (today is {today:%Y-%m-%d}).",
            "Choose a period that ends in a completed month; police.uk publishes about two months behind.",
        )
    have = sorted(set(pd.Series(list(available), dtype="object").astype(str)))
    if not have:
        raise PeriodError(
            "The data hold no months at all.", "Check the raw data folder for this area."
        )
    if period.end > have[-1] or period.start < have[0] and period.end < have[0]:
        raise PeriodError(
            f"The period {period.name} is outside the data, which cover {have[0]} to {have[-1]}.",
            f"Choose a period ending between {have[0]} and {have[-1]}.",
        )
