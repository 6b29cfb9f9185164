"""Unit tests for helpers.stages.disclosure: primary and complementary suppression, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from helpers.stages import disclosure as D


def _table(**cols):
    n = len(next(iter(cols.values())))
    return pd.DataFrame({"ward_code": [f"W{i}" for i in range(n)], **cols})


def test_two_tiny_hidden_cells_get_a_complement_until_the_range_reaches_the_threshold():
    # 0 and 1 hidden: their sum is 1, so each lies in [0, 1] -- the next smallest (12) is hidden
    # too: then each of the three lies in [0, 13]
    p = D.protect(_table(burglary=[0, 1, 12, 30, 40]), ["burglary"], threshold=5)
    assert p.ward["burglary"].tolist() == [True, True, True, False, False]
    assert p.primary == 2 and p.secondary == 1
    for code in ("W0", "W1", "W2"):
        assert p.intervals[("count", "burglary", code)] == pytest.approx((0.0, 13.0))
    assert p.narrowest() == pytest.approx(13.0)
    assert "at least 5 values" in p.note()


def test_a_single_small_cell_is_never_left_alone():
    p = D.protect(_table(asb=[3, 50, 60, 70]), ["asb"], threshold=5)
    assert p.ward["asb"].tolist() == [True, True, False, False]
    assert p.intervals[("count", "asb", "W0")] == pytest.approx((0.0, 53.0))


def test_nothing_small_nothing_hidden_and_threshold_zero():
    p = D.protect(_table(asb=[10, 20]), ["asb"], threshold=5)
    assert not p.ward["asb"].any() and p.primary == 0 and "nothing is suppressed" in p.note()
    assert not D.protect(_table(asb=[0, 20]), ["asb"], threshold=0).ward["asb"].any()


def test_changes_hidden_where_either_period_is_small_and_protected_by_the_previous_total():
    cur = _table(asb=[30, 40, 50, 60])
    prev = _table(asb=[2, 41, 45, 70])  # W0's previous count is small
    p = D.protect(cur, ["asb"], 5, lfl_current=cur, previous=prev)
    assert not p.ward["asb"].any()
    # W0's change alone would be recoverable from the previous total: a second change is hidden
    # (the ward with the smallest previous count among the rest: W1, 41)
    assert p.change["asb"].tolist() == [True, True, False, False]
    # independent: previous counts p0, p1 >= 0 with p0 + p1 = 43; change0 = 30 - p0
    res_lo = linprog([1, 0], A_eq=[[1, 1]], b_eq=[43], bounds=(0, None))
    res_hi = linprog([-1, 0], A_eq=[[1, 1]], b_eq=[43], bounds=(0, None))
    lo, hi = 30 - (-res_hi.fun), 30 - res_lo.fun
    assert p.intervals[("change", "asb", "W0")] == pytest.approx((lo, hi))
    assert p.any_hidden("asb")


def test_nesting_of_measures_bounds_a_hidden_part():
    # burglary hidden in W0 and W1 (sum 3 + 30 -> complement); serious acquisitive crime
    # visible: burglary can be no larger than it in each ward
    t = _table(sac=[8, 60, 70], burglary=[3, 30, 40])
    p = D.protect(t, ["sac", "burglary"], threshold=5)
    lo, hi = p.intervals[("count", "burglary", "W0")]
    assert lo == pytest.approx(0.0) and hi == pytest.approx(8.0)  # capped by sac = 8
    assert hi - lo >= 5
    assert np.array_equal(p.ward["sac"].to_numpy(), [False, False, False])


def test_like_for_like_counts_are_protected_when_a_month_is_missing():
    # the change compares 11 months: its current counts differ from the period's, so they are
    # cells of their own (hidden below the threshold, with a complement against their total)
    period = _table(asb=[6, 40, 50, 60])
    lfl = _table(asb=[4, 37, 46, 55])
    prev = _table(asb=[30, 35, 45, 50])
    p = D.protect(period, ["asb"], 5, lfl_current=lfl, previous=prev)
    assert not p.same_months
    assert not p.ward["asb"].any()  # 6 is not small in the period table
    assert p.current["asb"].tolist() == [True, True, False, False]
    assert p.change["asb"].tolist()[:2] == [True, True]
    lo, hi = p.intervals[("current", "asb", "W0")]
    # independent: l0 + l1 = 41, 0 <= l0 <= 6 (within the period's count), 0 <= l1 <= 40
    assert (lo, hi) == pytest.approx((1.0, 6.0))
    assert hi - lo >= 5
