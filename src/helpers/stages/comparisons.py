"""Every headline against last year and against the baseline, naming exceptional periods.

A scrutiny panel reads a figure properly only beside two others: the same months a year
earlier, and a baseline from before the pandemic. When the comparison year falls inside an
exceptional period (the lockdowns of March 2020 to June 2021, set in the area config under
``analysis.exceptional_periods``), the sentence says so, because a change against an unusual
year says little about normal times.

Public functions
----------------
- :func:`exceptional_periods` — the area config's list, checked
- :func:`overlap` — how many months of a period fall inside each exceptional period
- :func:`headline_sentence` — "24,823 crimes in April 2021 to March 2022: up 17.8% on the
  previous 12 months (21,074) and up 2.5% on the pre-COVID baseline (24,215) ..."
- :func:`headline_records` — the same numbers keyed for the reconciliation check
"""

from __future__ import annotations

import re

import pandas as pd

from helpers.core import narrative as N
from helpers.core.errors import ConfigError
from helpers.core.periods import MONTH_RE
from helpers.core.statistics import ExceptionalPeriod
from helpers.core.statistics import exceptional_periods as read_exceptional_periods
from helpers.stages import measures as M

CONFIG_KEY = "exceptional_periods"
#: The baseline headlines use when a stage has no baseline parameter of its own (stage 02's
#: default): one of the standard named baselines of every area config.
DEFAULT_BASELINE = "pre-COVID (year to Dec 2019)"
#: Below this count in either year a change is given in numbers, not as a percentage (the
#: crime-group table's small-number rule).
MIN_COUNT = 20
_MONTH = MONTH_RE


def exceptional_periods(analysis: dict | None, config_name: str = "the area config") -> list:
    """``analysis.exceptional_periods`` as :class:`~helpers.core.statistics.ExceptionalPeriod` s
    (empty when absent): the one reader, :func:`helpers.core.statistics.exceptional_periods`,
    with the config's name put in front of any error."""
    try:
        return read_exceptional_periods(analysis)
    except ConfigError as exc:
        raise ConfigError(f"{config_name}: {exc.what}", exc.fix) from None


def overlap(months, periods: list[ExceptionalPeriod]) -> list[tuple[ExceptionalPeriod, int]]:
    """(period, months inside it) for each exceptional period the months touch."""
    have = {str(m) for m in months}
    out = []
    for p in periods:
        n = len(have & set(p.months))
        if n:
            out.append((p, n))
    return out


def _span(months) -> str:
    ms = sorted(str(m) for m in months)
    a = pd.Period(ms[0], freq="M").strftime("%B %Y")
    b = pd.Period(ms[-1], freq="M").strftime("%B %Y")
    return f"{a} to {b}"


def _versus(current: int, other: int, what: str, min_count: int) -> str:
    if current == other:
        return f"the same as {what} ({N.fmt_int(other)})"
    word = "up" if current > other else "down"
    if min(current, other) < min_count or other == 0:
        diff = abs(current - other)
        return f"{word} {N.fmt_int(diff)} on {what} ({N.fmt_int(other)})"
    pct = abs(current - other) / other * 100
    return f"{word} {N.fmt_pct(pct)} on {what} ({N.fmt_int(other)})"


def headline_sentence(
    measure_id: str,
    current: tuple[list[str], int],
    previous: tuple[list[str], int],
    baseline: tuple[list[str], int, str] | None,
    periods: list[ExceptionalPeriod],
    noun: str = "crimes",
    min_count: int = MIN_COUNT,
    significance: str = "",
    mention_current: bool = True,
) -> str:
    """One sentence: the measure now, against last year and against the baseline.

    ``current`` / ``previous`` are ``(months, count)``; ``baseline`` ``(months, count, name)``
    or None when the data do not reach back to it (the sentence says so). When the previous
    year, the baseline or the current year overlaps an exceptional period, a clause names it.
    ``significance`` (e.g. "a statistically significant change") is appended to the
    last-year comparison when given. Changes follow the small-number rule (``min_count``).
    ``mention_current=False`` leaves out the clause about the current period's own overlap
    (for the second and later headlines of a page, once the first has said it).
    """
    m = M.get(measure_id)
    cur_m, cur_n = current
    prev_m, prev_n = previous
    parts = [
        f"{m.name}: {N.fmt_int(cur_n)} {noun} in {_span(cur_m)}, "
        + _versus(cur_n, prev_n, f"the year before, {_span(prev_m)}", min_count)
        + (f", {significance}" if significance else "")
    ]
    if baseline is not None:
        base_m, base_n, base_name = baseline
        label = re.sub(r"\s*\(.*\)\s*$", "", str(base_name)).strip()
        label = "" if not label or label[0].isdigit() else f"{label} "
        parts.append(_versus(cur_n, base_n, f"the {label}baseline, {_span(base_m)}", min_count))
        text = f"{parts[0]}; and {parts[1]}."
    else:
        text = f"{parts[0]}; the data do not reach back to the baseline."
    notes = []
    for p, n in overlap(prev_m, periods):
        whole = n == len(set(prev_m))
        notes.append(
            (
                "The year before falls wholly"
                if whole
                else f"{N.number_word(n).capitalize()} months of the year before fall"
            )
            + f" within the {p.name} ({p.span}), when crime patterns were unusual: the baseline "
            "is the better guide"
        )
    if baseline is not None:
        for p, n in overlap(baseline[0], periods):
            notes.append(
                f"{N.number_word(n).capitalize()} months of the baseline fall within the "
                f"{p.name} ({p.span})"
            )
    for p, n in overlap(cur_m, periods) if mention_current else []:
        notes.append(
            f"{N.number_word(n).capitalize()} month{'s' if n != 1 else ''} of the current "
            f"period {'fall' if n != 1 else 'falls'} within the {p.name} ({p.span})"
        )
    if notes:
        text += " " + ". ".join(notes) + "."
    return text


def headline_records(
    measure_id: str,
    area: str,
    current: tuple[list[str], int],
    previous: tuple[list[str], int],
    baseline: tuple[list[str], int, str] | None,
    where: str,
    source: str,
) -> list[dict]:
    """The counts a :func:`headline_sentence` prints, keyed for the reconciliation check."""
    out = [
        M.record(measure_id, area, current[0], current[1], where, source=source),
        M.record(measure_id, area, previous[0], previous[1], where, source=source),
    ]
    if baseline is not None:
        out.append(M.record(measure_id, area, baseline[0], baseline[1], where, source=source))
    return out


__all__ = [
    "ExceptionalPeriod",
    "exceptional_periods",
    "overlap",
    "headline_sentence",
    "headline_records",
    "DEFAULT_BASELINE",
]
