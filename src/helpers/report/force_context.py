"""The force among all forces, in the seeds' words, for the pack.

``force_context_sentence(rates, force_name)`` writes seed 000's sentence from the figures;
``force_context_html`` adds a short table (England and Wales, the highest and lowest forces, the
area's force, and the area itself when its rate is given). ``None`` rates give the plain sentence
saying the national table was not supplied.
"""

from __future__ import annotations

from html import escape

import pandas as pd

from helpers.core.narrative import fmt_int
from helpers.ingest.force_context import ForceRates

SECTION_TITLE = "England and Wales context"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _month(period: str) -> str:
    return pd.Period(period, freq="M").strftime("%B %Y")


def rate_text(rate: float) -> str:
    """One way to print a rate per 1,000 everywhere: one decimal place."""
    return f"{rate:,.1f}"


def force_context_sentence(
    rates: ForceRates, force_name: str, area_name: str | None = None, area_rate: float | None = None
) -> str:
    t = rates.table
    hi, lo = t.iloc[-1], t.iloc[0]
    f = rates.force(force_name)
    n = len(t)
    place = (
        "the lowest"
        if int(f["rank"]) == 1
        else "the highest"
        if int(f["rank"]) == n
        else f"the {_ordinal(int(f['rank']))} lowest"
    )
    s = (
        f"In the 12 months to {_month(rates.period)} the recorded crime rate for England and Wales "
        f"was {rate_text(rates.ew_rate)} per 1,000 residents, ranging from {hi['force_name']} at "
        f"{rate_text(hi['rate'])} to {lo['force_name']} at {rate_text(lo['rate'])}; the figure for "
        f"{f['force_name']} was {rate_text(f['rate'])}, {place} of {n} forces."
    )
    if area_name and area_rate is not None:
        s += f" {area_name}'s rate was {rate_text(area_rate)}."
    return s


def no_table_sentence() -> str:
    return (
        "No national police force area table was supplied, so this report cannot place the "
        "area's force among all forces in England and Wales."
    )


def force_context_html(
    rates: ForceRates | None,
    force_name: str,
    area_name: str | None = None,
    area_rate: float | None = None,
    heading_level: int = 2,
) -> str:
    h = f"h{max(1, min(heading_level, 6))}"
    head = f"<{h}>{escape(SECTION_TITLE)}</{h}>"
    if rates is None:
        return (
            f'<section class="force-context">{head}<p>{escape(no_table_sentence())}</p></section>'
        )
    t = rates.table
    f = rates.force(force_name)
    rows = [("England and Wales", rates.ew_count, rates.ew_rate, "")]
    rows.append(
        (
            f"{t.iloc[-1]['force_name']} (highest)",
            t.iloc[-1]["count"],
            t.iloc[-1]["rate"],
            _ordinal(int(t.iloc[-1]["rank"])),
        )
    )
    rows.append(
        (
            f"{t.iloc[0]['force_name']} (lowest)",
            t.iloc[0]["count"],
            t.iloc[0]["rate"],
            _ordinal(int(t.iloc[0]["rank"])),
        )
    )
    rows.append((str(f["force_name"]), f["count"], f["rate"], _ordinal(int(f["rank"]))))
    body = "".join(
        f'<tr><td class="txt">{escape(name)}</td><td class="num">{fmt_int(c)}</td>'
        f'<td class="num">{rate_text(r)}</td><td class="num">{escape(rk)}</td></tr>'
        for name, c, r, rk in rows
    )
    if area_name and area_rate is not None:
        body += (
            f'<tr><td class="txt">{escape(area_name)}</td><td class="num">–</td>'
            f'<td class="num">{rate_text(area_rate)}</td><td class="num"></td></tr>'
        )
    table = (
        '<div class="table-wrap"><table><caption>Recorded crime per 1,000 residents, 12 months to '
        f"{escape(_month(rates.period))}</caption><thead><tr>"
        '<th scope="col" class="txt">Area</th><th scope="col" class="num">Crimes</th>'
        '<th scope="col" class="num">Per 1,000 residents</th>'
        f'<th scope="col" class="num">Rank of {len(t)} (1st = lowest)</th></tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )
    note = (
        '<p class="table-note">Home Office police recorded crime by police force area; mid-'
        f"{rates.population_year} population estimates (ONS). Excludes fraud and British "
        "Transport Police, which have no resident population.</p>"
    )
    sentence = force_context_sentence(rates, force_name, area_name, area_rate)
    return f'<section class="force-context">{head}<p>{escape(sentence)}</p>{table}{note}</section>'


def area_force_context_section(area: str, period: str, heading_level: int = 2) -> str:
    """For the pack: the context section for an area and period (plain sentence if no table).

    The area's own rate comes from the processed Home Office CSP table over the same quarters,
    when the cleaning stage wrote it; a period that does not end at a quarter end gets the
    section for the last quarter end before it.
    """
    from helpers.core.config import load_area_config
    from helpers.ingest.force_context import area_force_rates, csp_rate

    cfg = load_area_config(area)
    end = pd.Period(period, freq="M")
    quarter_end = end - (end.month % 3)
    rates = area_force_rates(cfg, str(quarter_end))
    area_rate = None
    if rates is not None:
        try:
            data = _csp_tables(cfg.area, period)
        except Exception:  # no processed data: the force context still stands on its own
            data = {}
        if data.get("csp_counts") is not None and data.get("csp_population") is not None:
            area_rate = csp_rate(
                data["csp_counts"], data["csp_population"], cfg.csp_name, str(quarter_end)
            )
    return force_context_html(rates, cfg.force_name, cfg.csp_name, area_rate, heading_level)


def _csp_tables(area: str, period: str) -> dict[str, pd.DataFrame]:
    """The processed Home Office CSP counts and populations, as :func:`helpers.ingest.processed.load_processed` reads
    them (an error when cleaning has not run), without reading the street, outcome and extract
    tables that :func:`load_processed` loads as well (nine tenths of its time for the sample)."""
    from helpers.core import paths

    folder = paths.processed_dir(area, period)
    if not (folder / "manifest.json").exists():
        raise FileNotFoundError(folder / "manifest.json")
    out = {}
    for name in ("csp_counts", "csp_population"):
        p = folder / f"{name}.parquet"
        if p.exists():
            out[name] = pd.read_parquet(p)
    return out
