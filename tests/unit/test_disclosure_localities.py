"""Disclosure control with localities: a locality's published total is a sum of its wards'
cells, so a hidden ward count must not be recoverable as (locality total - its visible wards).

The attacker is rebuilt here with scipy's linprog from what is published (visible cells, the
area total and each locality's total), independently of helpers.stages.disclosure's model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from helpers.stages import disclosure

CODES = ["W1", "W2", "W3", "W4", "W5", "W6"]
COUNTS = [3, 60, 41, 55, 70, 90]  # W1 is small; W3 is the smallest other ward
LOCALITIES = [["W1", "W2", "W4"], ["W3", "W5", "W6"]]
THRESHOLD = 5


def attacker_range(counts, hidden, groups) -> dict[str, tuple[float, float]]:
    """Smallest and largest value of each hidden cell given visible cells and published sums."""
    hid = [i for i, h in enumerate(hidden) if h]
    rows, rhs = [], []
    for members in [list(range(len(counts))), *groups]:
        rows.append([1.0 if i in members else 0.0 for i in hid])
        rhs.append(
            sum(counts[i] for i in members if not hidden[i]) * -1 + sum(counts[i] for i in members)
        )
    a_eq, b_eq = np.array(rows), np.array(rhs)
    out = {}
    for j, i in enumerate(hid):
        c = np.zeros(len(hid))
        c[j] = 1.0
        lo = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        hi = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        out[CODES[i]] = (lo.fun, -hi.fun if hi.status == 0 else np.inf)
    return out


def _table():
    return pd.DataFrame({"ward_code": CODES, "all_crime": COUNTS})


def test_without_localities_the_partner_can_be_outside_the_locality():
    p = disclosure.protect(_table(), ["all_crime"], THRESHOLD)
    hidden = p.ward["all_crime"].tolist()
    assert hidden[0] and sum(hidden) == 2
    groups = [[CODES.index(c) for c in g] for g in LOCALITIES]
    # the old control is safe against the area total alone, but not once localities are published
    assert (
        attacker_range(COUNTS, hidden, [])["W1"][1] - attacker_range(COUNTS, hidden, [])["W1"][0]
        >= THRESHOLD
    )
    if not hidden[1] and not hidden[3]:
        lo, hi = attacker_range(COUNTS, hidden, groups)["W1"]
        assert hi - lo < THRESHOLD  # pinned by (locality total - visible wards)


def test_locality_totals_are_known_sums_to_the_control():
    p = disclosure.protect(_table(), ["all_crime"], THRESHOLD, groups=LOCALITIES)
    hidden = p.ward["all_crime"].tolist()
    groups = [[CODES.index(c) for c in g] for g in LOCALITIES]
    ranges = attacker_range(COUNTS, hidden, groups)
    assert hidden[0]
    for code, (lo, hi) in ranges.items():
        assert hi - lo >= THRESHOLD, (code, lo, hi)
    # the partner is taken inside W1's locality, not from the other one
    assert any(hidden[CODES.index(c)] for c in ("W2", "W4"))
    assert not any(hidden[CODES.index(c)] for c in ("W3", "W5", "W6"))


@pytest.mark.parametrize("seed", range(20))
def test_random_tables_with_localities_protect_every_hidden_cell(seed):
    rng = np.random.default_rng(seed)
    counts = [int(x) for x in rng.choice([0, 1, 2, 4, 7, 12, 30, 80], size=len(CODES))]
    table = pd.DataFrame({"ward_code": CODES, "all_crime": counts})
    p = disclosure.protect(table, ["all_crime"], THRESHOLD, groups=LOCALITIES)
    hidden = p.ward["all_crime"].tolist()
    assert all(h for h, c in zip(hidden, counts, strict=True) if c < THRESHOLD)
    groups = [[CODES.index(c) for c in g] for g in LOCALITIES]
    for code, (lo, hi) in attacker_range(counts, hidden, groups).items():
        # every hidden cell spans the protection interval, unless its whole locality is hidden
        # and the locality total itself is below the threshold (nothing more can be hidden)
        g = next(g for g in groups if CODES.index(code) in g)
        if sum(counts[i] for i in g) >= THRESHOLD:
            assert hi - lo >= THRESHOLD, (seed, counts, hidden, code, lo, hi)
