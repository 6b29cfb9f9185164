"""Formatting primitives for generated plain-English sentences.

Stage-specific sentence builders live beside their computations (``variance``, ``violence``,
``hotspots``); they all format numbers through these functions so every report reads alike.
"""

from __future__ import annotations

import math


def area_title(name: str, kind: str) -> str:
    """The area's name in bold with what kind of area it is, for each stage's opening line.

    ``kind`` is :attr:`helpers.core.config.AreaConfig.area_kind`: "force area" reads
    "**Northumbria Police** (the whole force area)"; a CSP reads "**Gateshead** (community safety
    partnership area)". The kind is left out when the name already says it.
    """
    low = name.lower()
    if kind == "force area":
        return f"**{name}**" if "force area" in low else f"**{name}** (the whole force area)"
    if "partnership" in low or "csp" in low.split():
        return f"**{name}**"
    return f"**{name}** ({kind} area)"


def fmt_int(n: float | int | None) -> str:
    """12345 -> '12,345'. None/NaN -> 'n/a'."""
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return "n/a"
    return f"{int(round(n)):,}"


def fmt_pct(p: float | None, signed: bool = False, dp: int = 1) -> str:
    """0.0512 is NOT accepted: pass percentages (5.12 -> '5.1%')."""
    if p is None or (isinstance(p, float) and (math.isnan(p) or math.isinf(p))):
        return "n/a"
    return f"{p:+.{dp}f}%" if signed else f"{p:.{dp}f}%"


def pct_change(current: float, previous: float) -> float:
    """Percentage change from ``previous`` to ``current`` (NaN when previous is 0)."""
    if previous == 0:
        return float("nan")
    return (current - previous) / previous * 100.0


def direction_word(
    change: float, up: str = "increased", down: str = "decreased", flat: str = "did not change"
) -> str:
    if change is None or (isinstance(change, float) and math.isnan(change)) or change == 0:
        return flat
    return up if change > 0 else down


def change_phrase(
    current: float, previous: float, up: str = "increased", down: str = "fell"
) -> str:
    """'increased by 0.5%' / 'fell by 10.2%' / 'did not change'."""
    pc = pct_change(current, previous)
    if math.isnan(pc):
        return f"rose from 0 to {fmt_int(current)}" if current else "did not change"
    if round(pc, 1) == 0:
        return (
            "did not change"
            if current == previous
            else f"{direction_word(pc, up, down)} by less than 0.1%"
        )
    return f"{direction_word(pc, up, down)} by {fmt_pct(abs(pc))}"


def join_names(names: list[str], conj: str = "and") -> str:
    """['a'] -> 'a'; ['a','b'] -> 'a and b'; ['a','b','c'] -> 'a, b and c'."""
    names = [str(n) for n in names]
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + f" {conj} " + names[-1]


def number_word(n: int) -> str:
    """Small counts as words, as the seeds write them ('only three wards')."""
    words = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    return words[n] if 0 <= n < len(words) else fmt_int(n)
