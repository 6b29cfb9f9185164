"""Statistical disclosure control for the ward tables of stage 04, audited as an attacker would.

Someone holding every published table, figure file and PDF knows, for each measure: every visible
ward count, the total placed in wards (the ward cells sum to it), each locality's total (the sum of
its wards' cells, when the area config names localities of wards), the like-for-like totals of the
change section (current and previous), every visible change and percentage, and that counts are
whole numbers of at least 0 with ``all crime >= violence + serious acquisitive crime`` and
``serious acquisitive crime >= burglary`` in every ward. From those linear constraints the
smallest and largest value each hidden cell can take is a pair of linear programmes
(``scipy.optimize.linprog``). :func:`protect` hides small counts (primary suppression) and then
adds complementary cells, smallest first, until every hidden cell can take values over a range of
at least ``threshold`` (the stated protection interval), so no hidden count is pinned and none is
narrowed to fewer than ``threshold`` possibilities.

Anything computed from an exact hidden count (p-value, q-value, z-score, rate, share) is not
published for it: the change tables publish significance as a class only, and Gi* results are
published as classes only for a measure with any hidden count (Gi* z-scores of all wards,
analytic or from a seeded permutation, are a function of every ward's count).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# every ward: parent >= sum of children (the attacker knows the measures nest)
NESTING: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("all_crime", ("violence", "sac")),
    ("sac", ("burglary",)),
)


@dataclass
class Protection:
    """What :func:`protect` decided, per measure key.

    ``ward``: bool DataFrame (rows = wards in the counts' order, one column per measure), True
    where the period's ward count is hidden; ``current``: hidden like-for-like current counts of
    the change table (the same as ``ward`` when the change covers the whole period); ``change``:
    hidden changes (and their %, direction); ``intervals``: ``(kind, measure, ward_code) ->
    (lowest, highest)`` an attacker can infer; ``primary`` / ``secondary``: cells hidden for being
    small / to protect others.
    """

    threshold: int
    ward_codes: list[str]
    ward: pd.DataFrame
    current: pd.DataFrame
    change: pd.DataFrame
    same_months: bool
    intervals: dict[tuple[str, str, str], tuple[float, float]] = field(default_factory=dict)
    primary: int = 0
    secondary: int = 0

    def any_hidden(self, key: str) -> bool:
        """True when any count of measure ``key`` is hidden (then Gi* is published as a class)."""
        return bool(self.ward[key].any() or self.current[key].any() or self.change[key].any())

    def narrowest(self) -> float:
        """The narrowest inferred range of any hidden cell (inf when nothing is hidden)."""
        return min((hi - lo for lo, hi in self.intervals.values()), default=float("inf"))

    def note(self) -> str:
        """Plain-English method note for the tables."""
        if self.threshold < 1:
            return "No counts are suppressed (disclosure threshold below 1)."
        if not self.primary:
            return (
                f"Statistical disclosure control: no ward count is below {self.threshold}, so "
                "nothing is suppressed."
            )
        extra = (
            f" A further {self.secondary} cell{'s were' if self.secondary != 1 else ' was'} "
            "suppressed so that no hidden count can be worked out from the totals."
            if self.secondary
            else ""
        )
        return (
            f"Statistical disclosure control: counts below {self.threshold} (shown *) are "
            "suppressed, with any rate, share, change or test result that would reveal them."
            f"{extra} From everything published, each hidden count could be any of at least "
            f"{self.threshold} values."
        )


class _Model:
    """Linear constraints over the hidden quantities (variables) of one stage's tables."""

    def __init__(self) -> None:
        self.index: dict[tuple[str, str, int], int] = {}
        self.eq: list[tuple[dict[int, float], float]] = []
        self.ub: list[tuple[dict[int, float], float]] = []

    def var(self, name: tuple[str, str, int]) -> int:
        return self.index.setdefault(name, len(self.index))

    def add(self, terms: dict[int, float], rhs: float, kind: str) -> None:
        terms = {k: v for k, v in terms.items() if v}
        if terms:
            (self.eq if kind == "eq" else self.ub).append((terms, rhs))

    def bounds_of(self, objective: dict[int, float]) -> tuple[float, float]:
        from scipy.optimize import linprog
        from scipy.sparse import lil_matrix

        n = len(self.index)

        def mat(rows):
            if not rows:
                return None, None
            m = lil_matrix((len(rows), n))
            for r, (terms, _) in enumerate(rows):
                for k, v in terms.items():
                    m[r, k] = v
            return m.tocsr(), np.array([rhs for _, rhs in rows], dtype=float)

        a_eq, b_eq = mat(self.eq)
        a_ub, b_ub = mat(self.ub)
        c = np.zeros(n)
        for k, v in objective.items():
            c[k] = v
        out = []
        for sign in (1.0, -1.0):
            res = linprog(sign * c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq,
                          bounds=(0, None), method="highs")  # fmt: skip
            if res.status == 3:  # unbounded
                out.append(-np.inf * sign)
            elif res.status != 0:
                out.append(np.nan)
            else:
                out.append(sign * res.fun)
        return out[0], out[1]


def _build(
    cur, lfl_cur, prev, keys, hide_w, hide_c, hide_d, same_months, groups=()
) -> tuple[_Model, dict]:
    """The attacker's model for the given hidden sets; returns it and the audited quantities."""
    m = _Model()
    n = len(cur[keys[0]])
    audit: dict[tuple[str, str, int], tuple[dict[int, float], float]] = {}

    def expr(kind: str, key: str, i: int) -> tuple[dict[int, float], float]:
        """A quantity as (variable terms, constant)."""
        if kind == "c":
            if hide_w[key][i]:
                return {m.var(("c", key, i)): 1.0}, 0.0
            return {}, float(cur[key][i])
        if kind == "l":
            if same_months:
                return expr("c", key, i)
            if hide_c[key][i]:
                return {m.var(("l", key, i)): 1.0}, 0.0
            return {}, float(lfl_cur[key][i])
        # previous: known exactly when the change and the current count are visible
        if hide_d[key][i] or hide_c[key][i] or (same_months and hide_w[key][i]):
            return {m.var(("p", key, i)): 1.0}, 0.0
        return {}, float(prev[key][i])

    # the total placed in wards, and every published sub-total over a known set of wards (a
    # locality's count is the sum of its wards' cells), for each measure and period
    sets = [list(range(n)), *[list(g) for g in groups]]
    for key in keys:
        for kind, values in (("c", cur[key]), ("l", lfl_cur[key]), ("p", prev[key])):
            if kind == "l" and same_months:
                continue
            for members in sets:
                terms: dict[int, float] = {}
                const = 0.0
                for i in members:
                    t, k0 = expr(kind, key, i)
                    for v, coef in t.items():
                        terms[v] = terms.get(v, 0.0) + coef
                    const += k0
                m.add(terms, float(values[members].sum()) - const, "eq")
    for kind in ("c", "l", "p"):
        for parent, children in NESTING:
            if parent not in keys or any(ch not in keys for ch in children):
                continue
            for i in range(n):
                # sum(children) - parent <= 0
                terms: dict[int, float] = {}
                const = 0.0
                for key, sign in [(ch, 1.0) for ch in children] + [(parent, -1.0)]:
                    t, k0 = expr(kind, key, i)
                    for v, coef in t.items():
                        terms[v] = terms.get(v, 0.0) + sign * coef
                    const += sign * k0
                m.add(terms, -const, "ub")
    if not same_months:
        for key in keys:
            for i in range(n):  # like-for-like months are part of the period: l <= c
                tl, kl = expr("l", key, i)
                tc, kc = expr("c", key, i)
                terms = dict(tl)
                for v, coef in tc.items():
                    terms[v] = terms.get(v, 0.0) - coef
                m.add(terms, kc - kl, "ub")
    for key in keys:
        for i in range(n):
            if hide_w[key][i]:
                audit[("count", key, i)] = expr("c", key, i)
            if not same_months and hide_c[key][i]:
                audit[("current", key, i)] = expr("l", key, i)
            if hide_d[key][i]:
                tl, kl = expr("l", key, i)
                tp, kp = expr("p", key, i)
                terms = dict(tl)
                for v, coef in tp.items():
                    terms[v] = terms.get(v, 0.0) - coef
                audit[("change", key, i)] = (terms, kl - kp)
    return m, audit


def protect(
    current: pd.DataFrame,
    keys: Sequence[str],
    threshold: int,
    lfl_current: pd.DataFrame | None = None,
    previous: pd.DataFrame | None = None,
    max_rounds: int = 200,
    groups: Sequence[Sequence[str]] = (),
) -> Protection:
    """Choose the hidden cells of the ward table and the change tables, audited by LP.

    ``current``: the period's ward counts (``ward_code`` + one column per key); ``lfl_current``
    / ``previous``: the like-for-like counts of the change section (same wards, same order;
    None: no change section). Primary: any count below ``threshold`` (0 included); a change is
    hidden where either of its counts is. Then, while some hidden quantity's inferred range is
    narrower than ``threshold``, the smallest visible cell of the same measure and kind is hidden
    too (a change: the one with the smallest previous count).

    ``groups``: sets of ward codes whose sum is published elsewhere (the localities of the area,
    whose counts are sums of their wards' cells); the attacker knows each sum, and a
    complementary cell is taken from the smallest group holding the cell to protect when that
    group has a visible cell left.
    """
    keys = list(keys)
    codes = current["ward_code"].astype(str).tolist()
    n = len(codes)
    at = {c: i for i, c in enumerate(codes)}
    idx_groups = [sorted(at[c] for c in g if c in at) for g in groups]
    idx_groups = [g for g in idx_groups if 0 < len(g) < n]
    cur = {k: current[k].to_numpy(dtype=float) for k in keys}
    have_change = lfl_current is not None and previous is not None
    lc = {k: (lfl_current[k] if have_change else current[k]).to_numpy(dtype=float) for k in keys}
    pv = {k: (previous[k].to_numpy(dtype=float) if have_change else np.zeros(n)) for k in keys}
    same = not have_change or all(np.array_equal(cur[k], lc[k]) for k in keys)
    hide_w = {k: cur[k] < threshold for k in keys}
    hide_c = {k: (hide_w[k].copy() if same else lc[k] < threshold) for k in keys}
    hide_d = {k: (hide_c[k] | (pv[k] < threshold)) if have_change else np.zeros(n, bool)
              for k in keys}  # fmt: skip
    primary = sum(int(hide_w[k].sum()) for k in keys)
    if not same:
        primary += sum(int(hide_c[k].sum()) for k in keys)
    if have_change:
        primary += sum(int((hide_d[k] & ~hide_c[k]).sum()) for k in keys)
    secondary = 0
    intervals: dict = {}
    if threshold >= 1:
        for _ in range(max_rounds):
            model, audit = _build(cur, lc, pv, keys, hide_w, hide_c, hide_d, same, idx_groups)
            intervals = {}
            for name, (terms, const) in audit.items():
                lo, hi = model.bounds_of(terms)
                intervals[name] = (lo + const, hi + const)
            short = [name for name, (lo, hi) in intervals.items() if not hi - lo >= threshold]
            if not short:
                break
            kind, key, i = short[0]
            if kind == "count":
                pool, values = hide_w[key], cur[key]
            elif kind == "current":
                pool, values = hide_c[key], lc[key]
            else:
                pool, values = hide_d[key], pv[key]
            free = np.flatnonzero(~pool)
            if len(free) == 0:
                break  # everything in the column is hidden already
            for g in sorted((g for g in idx_groups if i in g), key=len):
                inside = np.intersect1d(free, g)
                if len(inside):  # a partner inside the sub-total the cell is part of
                    free = inside
                    break
            j = free[np.argsort(values[free], kind="stable")[0]]
            pool[j] = True
            if kind == "count" and same:
                hide_c[key][j] = True
            if have_change and (kind in ("count", "current")):
                hide_d[key] |= hide_c[key]
            secondary += 1

    def frame(d):
        return pd.DataFrame({k: np.asarray(d[k], bool) for k in keys})

    named = {(kind, key, codes[i]): v for (kind, key, i), v in intervals.items()}
    return Protection(
        threshold, codes, frame(hide_w), frame(hide_c), frame(hide_d), same, named, primary,
        secondary,
    )  # fmt: skip
