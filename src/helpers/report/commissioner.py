"""The panel pack's section on the Commissioner's measures (seed 003's table, one page).

Built only from what stage 03 saved (``tables/03_violence__commissioner_*.csv``, written from
:mod:`helpers.stages.commissioner`), so every number is one the reconciliation check has seen:
the sentences, one table in seed 003's shape (measure, last year, this year, change, change %,
significance, the baseline year and the change on it), the homicide rate beside the national
rate, and victim satisfaction in words. A measure whose input was missing is named with the
plain sentence the stage wrote. When stage 03 saved nothing (it did not run) the section is left
out; the pack's "not included" notice already names the stage.

At-a-glance page: no tile. The tiles are the partnership's headline crime groups, each with its
own test against last year and the baseline; the Commissioner's measures are force-wide
priorities whose counts in one partnership are mostly small (homicide, firearm offences), and
all crime and neighbourhood crime are already tiles. The section is in the contents instead.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd

from helpers.present.tables import show_table
from helpers.report import paper

TITLE = "The Commissioner's measures"
STAGE = "violence"


def _rows(o: paper.Outputs) -> list[dict[str, Any]]:
    out = []
    for r in o.table(STAGE, "commissioner_measures"):
        cur, prev, base = paper.num(r.get("current")), paper.num(r.get("previous")), None
        base = paper.num(r.get("baseline"))
        out.append(
            {
                "Measure": r.get("measure", ""),
                "Last year": prev,
                "This year": cur,
                "Change": paper.num(r.get("change")),
                "Change %": paper.num(r.get("pct_change")),
                "Is the change significant?": r.get("significance", ""),
                "Baseline year": base,
                "Change on baseline %": paper.num(r.get("baseline_pct_change")),
                "Change on baseline": r.get("baseline_significance", ""),
            }
        )
    return out


def commissioner_html(o: paper.Outputs, heading_level: int = 1) -> str:
    """The section as HTML ("" when stage 03 saved no Commissioner's measures)."""
    text = o.table(STAGE, "commissioner_text")
    rows = _rows(o)
    if not text and not rows:
        return ""
    h = f"h{heading_level}"
    parts = [f'<section class="part" aria-label="{TITLE}">', f"<{h}>{TITLE}</{h}>"]
    parts.append(
        "<p>The measures a Police and Crime Commissioner reports for the force area, here for "
        "this area: offences and the number of different victims, knife or sharp instrument and "
        "firearm offences, sexual offences (rape and other sexual offences), neighbourhood crime "
        "and homicide, each against last year and against the 12 months to June 2019, the "
        "baseline of the national Crime and Policing Measures.</p>"
    )
    by_section: dict[str, list[dict[str, str]]] = {}
    for t in text:
        by_section.setdefault(t.get("section", ""), []).append(t)
    for t in by_section.get("measures", []):
        if t.get("kind") == "sentence":
            parts.append(f"<p>{escape(t['text'])}</p>")
    if rows:
        meta = o.stage(STAGE).get("table_periods", {}).get("commissioner_measures", {})
        base_key = (meta.get("columns") or {}).get("baseline", "")
        base_end = base_key.split("..")[-1][:7] if base_key else ""
        base_name = (
            f"12 months to {pd.Period(base_end, freq='M').strftime('%B %Y')}"
            if base_end
            else "the baseline year"
        )
        base_col = base_name[:1].upper() + base_name[1:]
        df = pd.DataFrame(rows).rename(columns={"Baseline year": base_col})
        parts.append(
            show_table(
                df,
                caption=f"{TITLE}: this year, last year and the {base_name}",
                formats={
                    "Last year": "int",
                    "This year": "int",
                    "Change": "signed_int",
                    "Change %": "signed_pct",
                    base_col: "int",
                    "Change on baseline %": "signed_pct",
                },
                note="Change on last year is tested against the month-to-month variation in "
                "each measure's own counts, with the chance of a false alarm controlled across "
                "the table; change on the baseline uses the exact test of the two yearly counts "
                f"at the 5% level. A dash means no figure: no percentage or test is given when "
                f"either count is below {paper.SMALL_NUMBER}. Different victims count each "
                "person once a year and are not tested.",
            ).to_html()
        )
    for key in ("homicide", "satisfaction"):
        for t in by_section.get(key, []):
            if t.get("kind") == "sentence":
                parts.append(f"<p>{escape(t['text'])}</p>")
    for t in text:
        if t.get("kind") == "missing" and t["text"] not in {
            x["text"] for x in text if x.get("kind") == "sentence"
        }:
            parts.append(f'<p class="notice">{escape(t["text"])}</p>')
    sat = o.table(STAGE, "commissioner_satisfaction")
    others = [r for r in sat if not str(r.get("question", "")).casefold().startswith("overall")]
    if others:
        said = []
        for r in others:
            pct = paper.num(r.get("pct_satisfied"))
            if pct is None:
                said.append(
                    f"{r['question']}: too few victims answered ({r['respondents']}) for a "
                    "percentage"
                )
            else:
                prev = paper.num(r.get("previous_pct_satisfied"))
                said.append(
                    f"{r['question']}: {paper.narrative.fmt_pct(pct)} of {r['respondents']}"
                    + (
                        f" (a year earlier {paper.narrative.fmt_pct(prev)}; "
                        f"{str(r.get('significance', '')).lower()})"
                        if prev is not None
                        else ""
                    )
                )
        parts.append(f"<p>Other survey questions. {escape('; '.join(said))}.</p>")
    parts.append("</section>")
    return "\n".join(parts)


__all__ = ["TITLE", "commissioner_html"]
