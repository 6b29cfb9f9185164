"""The panel pack's content, read from what the stages saved: tiles, findings, questions, tables.

Everything here is built from ``reports/<area>/<period>/tables/*.csv`` and
``reports/<area>/<period>/figures/*.json`` (written by each stage through
:func:`helpers.ingest.processed.save_stage_outputs`), so every number in the pack is one a stage
computed and saved; nothing is re-derived from the raw data. The one test run here is the
change on the baseline year for the tiles, with the same exact Poisson test the variance stage
uses (:func:`helpers.core.statistics.compare_counts`).

A missing table or figure never stops the pack: the part that needs it is left out and the
section says so in words.
"""

from __future__ import annotations

import csv
import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.core import narrative
from helpers.core.statistics import compare_counts

SMALL_NUMBER = 20  # the variance stage's rule: below this a percentage change is not shown

# The ledger's table names, as a reader would say them.
TABLE_NAMES = {
    "street": "police.uk street-level crime and ASB",
    "outcomes": "police.uk outcomes",
    "extract": "Force recorded-crime extract",
    "csp_counts": "Home Office crime counts by partnership",
    "csp_population": "Population by partnership",
    "msg": "Most Similar Group list",
    "wards": "Ward boundaries",
    "ward_population": "Ward population",
}
# Ward measures (the hotspot stage's keys) in the order the pack shows them.
WARD_MEASURES = {
    "all_crime": "All crime",
    "violence": "Violence and sexual offences",
    "sac": "Serious acquisitive crime",
    "burglary": "Burglary",
    "asb": "Anti-social behaviour",
}


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a stage table, [] when the stage did not save it."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def num(value: Any) -> float | None:
    """A CSV cell as a number; None for blanks and text."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"true", "1", "yes"}


@dataclass
class Outputs:
    """One area-period's saved stage outputs."""

    folder: Path
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def read(cls, folder: Path) -> Outputs:
        out = cls(Path(folder))
        for f in sorted((out.folder / "figures").glob("*.json")):
            try:
                data = json.loads(f.read_text(encoding="utf-8"))
            except ValueError:
                continue
            out.figures[f.stem] = data
        return out

    def stage(self, suffix: str) -> dict[str, Any]:
        """The figures file of the stage whose name ends in ``suffix`` ({} if none)."""
        for name, data in self.figures.items():
            if name == suffix or name.endswith("_" + suffix) or suffix in name:
                return data
        return {}

    def figure(self, stage: str, key: str, default: Any = None) -> Any:
        return (self.stage(stage).get("figures") or {}).get(key, default)

    def sentences(self, stage: str) -> list[str]:
        return [str(s) for s in self.stage(stage).get("sentences") or []]

    def table(self, stage: str, name: str) -> list[dict[str, str]]:
        hits = sorted((self.folder / "tables").glob(f"*{stage}__{name}.csv"))
        return read_csv(hits[0]) if hits else []


# --------------------------------------------------------------------------------------------
# Words for changes and significance
# --------------------------------------------------------------------------------------------


def pct(current: float | None, previous: float | None) -> float | None:
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / previous * 100


def signed_pct(p: float | None) -> str:
    return "–" if p is None else narrative.fmt_pct(p, signed=True)


def marker(significant: bool | None, current: float | None, previous: float | None) -> str:
    """The significance marker in words (colour never carries it alone)."""
    if current is None or previous is None:
        return "No figure to compare"
    if min(current, previous) < SMALL_NUMBER:
        return "Too few to test"
    if not significant:
        return "No significant change"
    return "Significant rise" if current > previous else "Significant fall"


def marker_class(text: str) -> str:
    return {"Significant rise": "rise", "Significant fall": "fall"}.get(text, "same")


def baseline_test(current: float | None, baseline: float | None, alpha: float) -> bool | None:
    """Exact Poisson test of the current year against the 12-month baseline (as stage 02)."""
    if current is None or baseline is None:
        return None
    return compare_counts(int(current), int(baseline), alpha=alpha).significant


# --------------------------------------------------------------------------------------------
# At a glance: tiles
# --------------------------------------------------------------------------------------------


@dataclass
class Tile:
    label: str
    count: str
    year_change: str
    year_marker: str
    base_change: str
    base_marker: str
    note: str = ""

    @property
    def year_class(self) -> str:
        return marker_class(self.year_marker)

    @property
    def base_class(self) -> str:
        return marker_class(self.base_marker)


def _variance_rows(o: Outputs) -> dict[str, dict[str, str]]:
    return {r["label"]: r for r in o.table("crime_group_variance", "variance")}


def _baseline_rows(o: Outputs) -> dict[str, dict[str, str]]:
    return {r["label"]: r for r in o.table("crime_group_variance", "three_series")}


def make_tile(
    label: str,
    shown: str,
    row: dict[str, str] | None,
    base: dict[str, str] | None,
    alpha: float,
    note: str = "",
) -> Tile | None:
    if not row:
        return None
    cur, prev = num(row.get("current")), num(row.get("previous"))
    if cur is None:
        return None
    sig = truthy(row.get("significant"))
    b = num((base or {}).get("baseline"))
    return Tile(
        label=shown or label,
        count=narrative.fmt_int(cur),
        year_change=f"{signed_pct(pct(cur, prev))} (from {narrative.fmt_int(prev)})"
        if prev is not None
        else "–",
        year_marker=marker(sig, cur, prev),
        base_change=f"{signed_pct(pct(cur, b))} (from {narrative.fmt_int(b)})"
        if b is not None
        else "No baseline figure",
        base_marker=marker(baseline_test(cur, b, alpha), cur, b) if b is not None else "",
        note=note,
    )


def tiles(o: Outputs, limit: int = 8) -> list[Tile]:
    """Six to eight headline measures: all crime, violence, domestic abuse, SAC, neighbourhood
    crime, ASB, then the crime group with the largest significant rise or fall not yet shown."""
    alpha = float(o.figure("crime_group_variance", "alpha", 0.05) or 0.05)
    rows, base = _variance_rows(o), _baseline_rows(o)
    chosen = [
        ("All crime", "All recorded crime"),
        ("Violence against the person", "Violence against the person"),
        ("Serious acquisitive crime", "Serious acquisitive crime"),
        ("Neighbourhood crime", "Neighbourhood crime"),
        ("Anti-social behaviour", "Anti-social behaviour incidents"),
    ]
    out = [make_tile(k, shown, rows.get(k), base.get(k), alpha) for k, shown in chosen]
    dom = {r.get("group"): r for r in o.table("violence", "domestic")}.get("Domestic abuse flag")
    if dom:
        out.insert(
            2,
            make_tile(
                "Domestic abuse",
                "Violence flagged as domestic abuse",
                dom,
                None,
                alpha,
                note=f"{narrative.fmt_pct(num(dom.get('share')))} of violence",
            ),
        )
    shown_labels = {k for k, _ in chosen}
    others = [
        r
        for r in rows.values()
        if r.get("level") == "group"
        and r["label"] not in shown_labels
        and truthy(r.get("significant"))
        and not truthy(r.get("small_numbers"))
    ]
    others.sort(key=lambda r: -abs(num(r.get("pct_change")) or 0))
    for r in others[: max(0, limit - len([t for t in out if t]))][:1]:
        out.append(make_tile(r["label"], r["label"], r, base.get(r["label"]), alpha))
    return [t for t in out if t][:limit]


# --------------------------------------------------------------------------------------------
# At a glance: what matters, questions for the panel
# --------------------------------------------------------------------------------------------


def _ward_changes(o: Outputs, key: str) -> list[dict[str, str]]:
    return o.table("ward_hotspots", f"change_{key}")


def _top_wards(o: Outputs, key: str, n: int = 3) -> list[str]:
    rows = o.table("ward_hotspots", f"priority_{key}")
    return [r.get("Ward", "") for r in rows[:n] if r.get("Ward")]


def what_matters(o: Outputs, area_short: str, baseline_name: str) -> list[str]:
    """Three findings in plain words, each from the saved figures."""
    out = []
    rows, base = _variance_rows(o), _baseline_rows(o)
    alpha = float(o.figure("crime_group_variance", "alpha", 0.05) or 0.05)
    allc = rows.get("All crime")
    if allc:
        cur, prev = num(allc["current"]), num(allc["previous"])
        b = num((base.get("All crime") or {}).get("baseline"))
        text = (
            f"Recorded crime {narrative.direction_word(cur - prev, 'rose', 'fell', 'was unchanged')}"
            f" by {narrative.fmt_pct(abs(pct(cur, prev) or 0))} on last year to "
            f"{narrative.fmt_int(cur)} ({marker(truthy(allc['significant']), cur, prev).lower()})"
        )
        if b:
            bsig = marker(baseline_test(cur, b, alpha), cur, b).lower()
            pb = pct(cur, b) or 0
            side = "above" if pb > 0 else "below" if pb < 0 else "level with"
            text += f" and is {narrative.fmt_pct(abs(pb))} {side} {baseline_name} ({bsig})"
        rate = o.figure("crime_group_variance", "msg_all_crime_rate")
        avg = o.figure("crime_group_variance", "msg_all_crime_average")
        pos = o.figure("crime_group_variance", "msg_all_crime_position")
        if rate is not None and avg is not None and pos:
            where = {
                "in line": "in line with",
                "above": "above",
                "below": "below",
                "significantly above": "well above",
                "significantly below": "well below",
            }.get(str(pos).lower(), str(pos).lower())
            text += (
                f". At {rate:.1f} crimes per 1,000 residents, {area_short} is {where} similar "
                f"partnerships (average {avg:.1f})"
            )
        out.append(text + ".")
    vap = rows.get("Violence against the person")
    if vap:
        cur, prev = num(vap["current"]), num(vap["previous"])
        share = o.figure("violence", "share_of_all_crime")
        dom = o.figure("violence", "domestic_share")
        text = (
            f"Violence against the person is "
            f"{narrative.direction_word(cur - prev, 'up', 'down', 'unchanged')} "
            f"{narrative.fmt_pct(abs(pct(cur, prev) or 0))}"
            f" ({marker(truthy(vap['significant']), cur, prev).lower()})"
        )
        if share is not None:
            text += f" and makes up {narrative.fmt_pct(share)} of all crime"
        if dom is not None:
            text += f"; {narrative.fmt_pct(dom)} of violent offences carried a domestic abuse flag"
        out.append(text + ".")
    top = _top_wards(o, "all_crime")
    share = (o.figure("ward_hotspots", "top10_share_pct") or {}).get("All crime")
    if top and share is not None:
        text = (
            f"Crime is concentrated: {narrative.join_names(top)} held "
            f"{narrative.fmt_pct(share)} of all crime"
        )
        ch = [r for r in _ward_changes(o, "all_crime") if truthy(r.get("significant"))]
        ch.sort(key=lambda r: -(num(r.get("change")) or 0))
        if ch and (num(ch[0].get("change")) or 0) > 0:
            text += (
                f", and {ch[0]['ward_name']} had the largest rise "
                f"({narrative.fmt_pct(num(ch[0].get('pct_change')), signed=True)})"
            )
        out.append(text + ".")
    return out[:3]


def questions(o: Outputs) -> list[str]:
    """Three questions the panel may wish to ask, each tied to a figure in the pack."""
    out = []
    rows = _variance_rows(o)
    rises = [
        r
        for r in rows.values()
        if r.get("level") in ("group", "subgroup")
        and truthy(r.get("significant"))
        and not truthy(r.get("small_numbers"))
        and (num(r.get("change")) or 0) > 0
    ]
    rises.sort(key=lambda r: -(num(r.get("change")) or 0))
    if rises:
        r = rises[0]
        out.append(
            f"What is driving the rise in {r['label'].lower()} "
            f"({narrative.fmt_int(num(r['previous']))} to {narrative.fmt_int(num(r['current']))}), "
            "and what are partners doing about it?"
        )
    ch = [r for r in _ward_changes(o, "all_crime") if truthy(r.get("significant"))]
    ch.sort(key=lambda r: -(num(r.get("change")) or 0))
    if ch and (num(ch[0].get("change")) or 0) > 0:
        r = ch[0]
        out.append(
            f"Crime in {r['ward_name']} ward rose by "
            f"{narrative.fmt_pct(num(r.get('pct_change')))} to {narrative.fmt_int(num(r['current']))}"
            ": which partners are working there, and with what effect?"
        )
    falls = [
        r
        for r in rows.values()
        if truthy(r.get("significant"))
        and not truthy(r.get("small_numbers"))
        and (num(r.get("change")) or 0) < 0
    ]
    falls.sort(key=lambda r: num(r.get("change")) or 0)
    if falls:
        r = falls[0]
        out.append(
            f"{r['label']} fell by {narrative.fmt_pct(abs(num(r.get('pct_change')) or 0))}: "
            "is this a real fall, or a change in how incidents are reported and recorded?"
        )
    now = o.figure("crime_group_variance", "positive_outcome_rate_current")
    before = o.figure("crime_group_variance", "positive_outcome_rate_previous")
    if len(out) < 3 and now is not None and before is not None:
        out.append(
            f"The share of crimes with a positive outcome moved from {narrative.fmt_pct(before)} "
            f"to {narrative.fmt_pct(now)}: what would raise it?"
        )
    return out[:3]


# --------------------------------------------------------------------------------------------
# Section tables (HTML through the one table helper)
# --------------------------------------------------------------------------------------------


def esc(text: Any) -> str:
    return html.escape(str(text))


def overview_rows(o: Outputs) -> list[dict[str, Any]]:
    """Crime groups and the two composite measures: this year, last year, baseline, in words."""
    alpha = float(o.figure("crime_group_variance", "alpha", 0.05) or 0.05)
    base = _baseline_rows(o)
    out = []
    for r in o.table("crime_group_variance", "variance"):
        if r.get("level") not in ("total", "group", "composite", "asb"):
            continue
        if r["label"] == "Unclassified" and not num(r.get("current")):
            continue
        cur, prev = num(r.get("current")), num(r.get("previous"))
        b = num((base.get(r["label"]) or {}).get("baseline"))
        small = cur is not None and prev is not None and min(cur, prev) < SMALL_NUMBER
        out.append(
            {
                "Measure": r["label"],
                "This year": cur,
                "Last year": prev,
                "Change on last year": None if small else pct(cur, prev),
                "Is the change significant?": marker(truthy(r.get("significant")), cur, prev),
                "Baseline year": b,
                "Change on baseline": None if small else pct(cur, b),
                "Significant on baseline?": marker(baseline_test(cur, b, alpha), cur, b)
                if b is not None
                else "–",
            }
        )
    return out


def msg_rows(o: Outputs) -> list[dict[str, Any]]:
    out = []
    for r in o.table("crime_group_variance", "msg"):
        out.append(
            {
                "Crime type": r["crime_type"],
                "Our rate per 1,000": num(r.get("rate")),
                "Group average": num(r.get("msg_average")),
                "Position": r.get("position", ""),
                "Rank (1 = lowest)": f"{r.get('rank', '')} of {r.get('members', '')}",
                "Since last year-end": {"better": "Improved", "worse": "Worsened"}.get(
                    r.get("trend", ""), "No change"
                ),
            }
        )
    return out


# --------------------------------------------------------------------------------------------
# Where crime happens: one change-by-ward table, one priority-ward matrix
# --------------------------------------------------------------------------------------------

RISE_MARK, FALL_MARK = "▲", "▼"


def ward_change_rows(o: Outputs) -> tuple[list[dict[str, str]], bool]:
    """Every ward: all crime this year, then the change on last year for each measure.

    A change the hotspot stage found significant (false discovery rate controlled) carries ▲ or
    ▼; a suppressed ward count shows as * (and so does its change, which would reveal it);
    returns (rows, any suppressed)."""
    changes = {k: {r["ward_code"]: r for r in _ward_changes(o, k)} for k in WARD_MEASURES}
    base = changes.get("all_crime") or next((c for c in changes.values() if c), {})
    any_sup = False
    rows = []
    for code, r in sorted(base.items(), key=lambda kv: kv[1]["ward_name"]):
        row = {"Ward": r["ward_name"], "All crime this year": ""}
        cur = num(r.get("current"))
        row["All crime this year"] = narrative.fmt_int(cur) if cur is not None else "*"
        for key, label in WARD_MEASURES.items():
            c = changes.get(key, {}).get(code)
            if not c:
                row[label] = "–"
                continue
            p = num(c.get("pct_change"))
            if num(c.get("current")) is None:
                row[label] = "*"
                any_sup = True
                continue
            if p is None:
                row[label] = "–"
                continue
            mark = ""
            if truthy(c.get("significant")):
                mark = " " + (RISE_MARK if p > 0 else FALL_MARK)
            row[label] = narrative.fmt_pct(p, signed=True) + mark
        rows.append(row)
    return rows, any_sup


def priority_matrix(o: Outputs, limit: int = 12) -> list[dict[str, str]]:
    """Wards in the top ten of any measure: their rank in each (by count), and any hot spot."""
    ranks: dict[str, dict[str, int]] = {}
    for key, label in WARD_MEASURES.items():
        for r in o.table("ward_hotspots", f"priority_{key}"):
            ward, rank = r.get("Ward"), num(r.get("Rank"))
            if ward and rank is not None:
                ranks.setdefault(ward, {})[label] = int(rank)
    hot: dict[str, list[str]] = {}
    for key, label in WARD_MEASURES.items():
        for r in o.table("ward_hotspots", f"gistar_{key}"):
            if r.get("spot", "").lower().startswith("hot"):
                hot.setdefault(r["ward_name"], []).append(label)
    order = sorted(ranks, key=lambda w: (-len(ranks[w]), sum(ranks[w].values()) / len(ranks[w])))
    rows = []
    for w in order[:limit]:
        row = {"Ward": w}
        for label in WARD_MEASURES.values():
            row[label] = str(ranks[w][label]) if label in ranks[w] else "–"
        row["Measures in top ten"] = str(len(ranks[w]))
        row["Hot spot for"] = narrative.join_names([h.lower() for h in hot.get(w, [])]) or "–"
        rows.append(row)
    return rows


def ward_rates(o: Outputs) -> list[dict[str, str]]:
    return o.table("ward_hotspots", "ward_counts_rates")


def top_rate_wards(rates: list[dict[str, str]], key: str, n: int = 3) -> list[tuple[str, float]]:
    vals = [(r["ward_name"], num(r.get(f"{key}_rate"))) for r in rates]
    vals = [(w, v) for w, v in vals if v is not None]
    vals.sort(key=lambda t: -t[1])
    return vals[:n]


# --------------------------------------------------------------------------------------------
# Appendix tables
# --------------------------------------------------------------------------------------------


def ledger_rows(o: Outputs) -> list[dict[str, Any]]:
    out = []
    for r in o.table("cleaning", "ledger_summary"):
        out.append(
            {
                "Source": TABLE_NAMES.get(r["table"], r["table"].replace("_", " ").capitalize()),
                "Files": num(r.get("files")),
                "Records read": num(r.get("read")),
                "Kept": num(r.get("kept")),
                "Set aside": num(r.get("rejected")),
                "Every record accounted for": "Yes" if truthy(r.get("balanced")) else "No",
            }
        )
    return out


def rejection_rows(o: Outputs) -> list[dict[str, Any]]:
    out = []
    for r in o.table("cleaning", "rejections"):
        reason = r.get("reason", "")
        out.append(
            {
                "Source": TABLE_NAMES.get(r["table"], r["table"].replace("_", " ").capitalize()),
                "Why set aside": reason[:1].upper() + reason[1:],
                "Records": num(r.get("rows")),
            }
        )
    return out
