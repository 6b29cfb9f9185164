"""Ward briefings: one A4 page per ward for the councillors who represent it (seed 002, 5.1.4).

``build_ward_briefings(area, period)`` writes ``reports/<area>/<period>/ward_briefings.pdf``
(and the published figures it prints, ``tables/ward_briefings.csv``). Each page gives, for the
12 months of the period against the 12 months before:

* counts and rates per 1,000 residents by police.uk crime type, with anti-social behaviour apart;
* the change on last year, tested (exact conditional Poisson test, Benjamini–Hochberg across the
  area's wards for each crime type, as stage 04 does) and said in words;
* the ward's rank among the area's wards by rate;
* a three-year monthly trend chart (all crime and anti-social behaviour);
* its hot-spot status from stage 04 (Getis-Ord Gi*), when that stage has run;
* the partnership's initiatives, priority neighbourhoods and plans that name the ward, from the
  partnership activity return (:mod:`helpers.ingest.activity`).

Disclosure control, as in the pack: a count below ``analysis.disclosure_threshold`` is shown as
``*`` with its rate, rank and change; a change is hidden when either year's count is small.
Because totals are published (the ward's all-crime count, each crime type's area total, and in
the pack each ward's serious acquisitive crime = burglary + robbery + vehicle crime), a hidden
cell that is the only hidden one in a published sum is joined by a second (the smallest that is
not printed elsewhere), repeated until no sum gives one away. Cells the pack's ward table hides
are hidden here too, so the two documents cannot be played off against each other. A series is
charted only if every quarter of the three years is at or above the threshold.

Caveat: police.uk locations are snapped to nearby map points, so counts near ward edges are
approximate; rates use residents, which inflates them in town-centre wards.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.core import paths
from helpers.core.config import load_area_config
from helpers.core.errors import OutputError
from helpers.core.narrative import fmt_int, fmt_pct, join_names
from helpers.core.periods import ReportingPeriod, month_range
from helpers.core.statistics import exact_p_value, fdr_bh
from helpers.ingest.activity import PartnershipActivity, load_area_activity
from helpers.report.activity import no_return_sentence, when_text

PDF_NAME = "ward_briefings.pdf"
TABLE_NAME = "ward_briefings.csv"
CSS_FILE = Path(__file__).parent / "templates" / "briefings" / "briefings.css"
ASB = "Anti-social behaviour"
ALL_CRIME = "All crime"
SAC_TYPES = ("Burglary", "Robbery", "Vehicle crime")
SUPPRESSED = "*"
NO_PREVIOUS = "No earlier year to compare"
FDR_ALPHA = 0.05
TREND_MONTHS = 36
MAX_ITEMS = 3  # partnership items listed on a page (the rest are counted), so it fits one page
MAX_TEXT = 110  # characters of a description shown on a page
# Stage 04's ward measures, and the crime types (or row) each corresponds to on a briefing.
STAGE_MEASURES = {
    "all_crime": ALL_CRIME,
    "violence": "Violence and sexual offences",
    "burglary": "Burglary",
    "asb": ASB,
}
SPOT_LABELS = {
    "all_crime": "all crime",
    "violence": "violence and sexual offences",
    "sac": "serious acquisitive crime",
    "burglary": "burglary",
    "asb": "anti-social behaviour",
}


# --------------------------------------------------------------------------------------------
# Disclosure control across published sums
# --------------------------------------------------------------------------------------------


def complementary_suppression(
    values: pd.DataFrame,
    hidden: pd.DataFrame,
    groups: list[list[tuple]],
    pinned: set[tuple] | None = None,
) -> pd.DataFrame:
    """Extend ``hidden`` so that no published sum in ``groups`` has exactly one hidden cell.

    ``values`` and ``hidden`` share index (rows) and columns; a cell is ``(row, column)``. Each
    group is a list of cells whose sum is published elsewhere. Where a group has exactly one
    hidden cell, its smallest visible cell that is not ``pinned`` (printed in another document,
    so hiding it would protect nothing) is hidden too; repeated until stable. Returns the new
    mask (the input is not changed).
    """
    mask = hidden.copy().astype(bool)
    pinned = pinned or set()
    changed = True
    while changed:
        changed = False
        for group in groups:
            hid = [c for c in group if mask.at[c]]
            if len(hid) != 1:
                continue
            cands = [c for c in group if not mask.at[c] and c not in pinned]
            if not cands:
                continue  # every other cell is printed elsewhere: nothing here can help
            pick = min(cands, key=lambda c: (float(values.at[c]), str(c)))
            mask.at[pick] = True
            changed = True
    return mask


# --------------------------------------------------------------------------------------------
# The figures
# --------------------------------------------------------------------------------------------


@dataclass
class BriefingData:
    """Every figure the briefings print, before formatting (``*_hidden`` True = suppressed)."""

    area: str
    area_name: str
    period: str
    threshold: int
    wards: pd.DataFrame  # ward_code, ward_name, population
    types: list[str]  # rows, in print order: crime types, then All crime, then ASB
    current: pd.DataFrame  # ward_code x type counts
    previous: pd.DataFrame
    rate: pd.DataFrame
    rank: pd.DataFrame  # 1 = highest rate among the wards
    p: pd.DataFrame
    q: pd.DataFrame
    current_hidden: pd.DataFrame
    change_hidden: pd.DataFrame
    monthly: pd.DataFrame  # (ward_code, month) x [All crime, ASB]
    trend_months: list[str]
    spots: dict[str, dict[str, str]] = field(default_factory=dict)  # measure -> ward -> status
    activity: PartnershipActivity | None = None
    unassigned: int = 0
    synthetic: bool = False
    exposure_ratio: float = 1.0
    has_previous: bool = True  # False when the data hold none of the previous 12 months
    current_months: list[str] = field(default_factory=list)  # months of the period in the data

    @property
    def months_text(self) -> str:
        """'April 2021 to March 2022', or the months the data cover when some are missing."""
        rp = ReportingPeriod(self.period)
        months = self.current_months
        if len(months) == rp.months or not months:
            return rp.name
        first, last = (pd.Period(m, freq="M").strftime("%B %Y") for m in (months[0], months[-1]))
        span = first if first == last else f"{first} to {last}"
        return f"{span} (the {len(months)} month{'s' if len(months) != 1 else ''} of the period in the data)"

    def significant(self, ward: str, t: str) -> bool:
        return bool(self.q.at[ward, t] <= FDR_ALPHA)


def _read_stage_table(folder: Path, name: str) -> pd.DataFrame | None:
    p = folder / "tables" / f"04_ward_hotspots__{name}.csv"
    if not p.is_file():
        return None
    try:
        return pd.read_csv(p, dtype={"ward_code": str})
    except (OSError, ValueError):
        return None


def _bh(p: np.ndarray) -> np.ndarray:
    if len(p) == 0:
        return p
    return fdr_bh(p, FDR_ALPHA)[1]  # the one BH of the package (helpers.core.statistics)


def _processed_for_briefings(area: str, period: str):
    """The processed data as :func:`helpers.ingest.processed.load_processed` gives it, holding
    only what the briefings read: the street table's month, crime type and ward, and the wards'
    code, name and population (no geometry). The outcome and extract tables and the boundaries,
    which load_processed reads as well, were most of the briefings' data time."""
    import pyarrow.parquet as pq

    from helpers.ingest.processed import ProcessedData, load_processed

    folder = paths.processed_dir(area, period)
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        return load_processed(area, period)  # raises its error: cleaning has not run
    data = ProcessedData(
        area=area,
        period=period,
        folder=folder,
        manifest=json.loads(manifest_path.read_text(encoding="utf-8")),
    )
    for name, cols in (
        ("street", ("month", "crime_type", "ward_code")),
        ("wards", ("ward_code", "ward_name", "population")),
    ):
        p = folder / f"{name}.parquet"
        if p.exists():  # all columns when some are missing, so the caller names what is
            names = set(pq.read_schema(p).names)
            setattr(
                data, name, pd.read_parquet(p, columns=list(cols) if names >= set(cols) else None)
            )
    return data


def briefing_data(area: str, period: str, folder: Path | None = None) -> BriefingData:
    """Compute every figure the ward briefings print, with disclosure control applied."""
    from helpers.ingest.processed import require_table

    cfg = load_area_config(area)
    threshold = cfg.disclosure_threshold
    folder = Path(folder) if folder else paths.report_dir(cfg.area, period)
    data = _processed_for_briefings(cfg.area, period)
    street = require_table(data.street, ["month", "crime_type", "ward_code"], "street")
    if data.wards is None:
        raise OutputError(
            f"No ward table in the processed data for {cfg.area} {period}.",
            "Re-run the cleaning stage with 'sources.wards' set in the area config.",
        )
    wards = pd.DataFrame(data.wards.drop(columns="geometry", errors="ignore"))
    wards = wards[["ward_code", "ward_name", "population"]].copy()
    wards["ward_code"] = wards["ward_code"].astype(str)
    wards = wards.sort_values("ward_name", kind="stable").reset_index(drop=True)
    codes = list(wards["ward_code"])
    rp = ReportingPeriod(period)
    available = set(street["month"].astype(str))
    cur_months = [m for m in rp.month_list if m in available]
    prev_months = [m for m in rp.previous().month_list if m in available]
    exposure = len(cur_months) / len(prev_months) if prev_months else 1.0

    s = street[["month", "crime_type", "ward_code"]].copy()
    s["month"] = s["month"].astype(str)
    s["crime_type"] = s["crime_type"].astype(str)
    in_ward = s["ward_code"].isin(codes)
    unassigned = int((~in_ward & s["month"].isin(cur_months)).sum())
    s = s[in_ward]
    s["ward_code"] = s["ward_code"].astype(str)

    def crosstab(months: list[str]) -> pd.DataFrame:
        sub = s[s["month"].isin(months)]
        t = pd.crosstab(sub["ward_code"], sub["crime_type"])
        return t.reindex(index=codes, fill_value=0)

    cur, prev = crosstab(cur_months), crosstab(prev_months)
    types = sorted(
        (t for t in set(cur.columns) | set(prev.columns) if t != ASB),
        key=lambda t: (-int(cur[t].sum()) if t in cur else 0, t),
    )
    cur = cur.reindex(columns=types + [ASB], fill_value=0)
    prev = prev.reindex(columns=types + [ASB], fill_value=0)
    cur.insert(len(types), ALL_CRIME, cur[types].sum(axis=1))
    prev.insert(len(types), ALL_CRIME, prev[types].sum(axis=1))
    rows = list(cur.columns)

    pop = pd.to_numeric(wards.set_index("ward_code")["population"], errors="coerce").astype(float)
    pop = pop.where(pop > 0)
    rate = cur.div(pop, axis=0) * 1000.0
    rank = rate.rank(ascending=False, method="min")
    # One exact test per distinct (this year, last year) pair of the whole table, in one pass:
    # many cells share a pair (small counts repeat), and only the p-value is printed.
    pairs = np.stack([cur[rows].to_numpy().ravel(), prev[rows].to_numpy().ravel()], axis=1)
    distinct, where = np.unique(pairs.astype(np.int64), axis=0, return_inverse=True)
    tested = np.array([exact_p_value(int(c), int(b), exposure) for c, b in distinct])
    p = pd.DataFrame(
        tested[np.asarray(where).ravel()].reshape(len(codes), len(rows)), index=codes, columns=rows
    )
    q = p.copy()
    for t in rows:
        q[t] = _bh(p[t].to_numpy())

    # Disclosure control: primary (small counts), what the pack hides, then complementary cells.
    cur_hidden = cur < threshold
    prev_small = prev < threshold
    pinned_cur: set[tuple] = set()
    pinned_prev: set[tuple] = set()
    pack = _read_stage_table(folder, "ward_counts_rates")
    for key, row in STAGE_MEASURES.items():
        if pack is not None and key in pack.columns:
            shown = pack.set_index("ward_code")[key].reindex(codes)
            cur_hidden[row] |= shown.isna().to_numpy()
            pinned_cur |= {(w, row) for w in shown.index[shown.notna()]}
        ch = _read_stage_table(folder, f"change_{key}")
        if ch is not None and "change" in ch.columns:
            shown = ch.set_index("ward_code")["change"].reindex(codes)
            prev_small[row] |= shown.isna().to_numpy()
            pinned_prev |= {(w, row) for w in shown.index[shown.notna()]}
    groups = _published_sums(codes, types)
    cur_hidden = complementary_suppression(cur, cur_hidden, groups, pinned_cur)
    # A change reveals last year's count: hide it where either year is hidden or small, then
    # protect last year's counts against the same published sums (the pack prints changes).
    change_hidden = prev_small | cur_hidden
    change_hidden = complementary_suppression(prev, change_hidden, groups, pinned_prev)
    change_hidden |= cur_hidden

    trend = month_range(str(pd.Period(period, freq="M") - (TREND_MONTHS - 1)), period)
    trend = [m for m in trend if m in available]
    t = s[s["month"].isin(trend)].copy()
    t["series"] = np.where(t["crime_type"].eq(ASB), ASB, ALL_CRIME)
    monthly = (
        t.groupby(["ward_code", "month", "series"]).size().unstack("series", fill_value=0)
        .reindex(columns=[ALL_CRIME, ASB], fill_value=0)
    )  # fmt: skip
    full = pd.MultiIndex.from_product([codes, trend], names=["ward_code", "month"])
    monthly = monthly.reindex(full, fill_value=0)

    spots: dict[str, dict[str, str]] = {}
    for key in SPOT_LABELS:
        g = _read_stage_table(folder, f"gistar_{key}")
        if g is not None and {"ward_code", "spot"} <= set(g.columns):
            spots[key] = dict(zip(g["ward_code"].astype(str), g["spot"].astype(str), strict=True))

    activity = load_area_activity(cfg, period)
    return BriefingData(
        area=cfg.area,
        area_name=cfg.name,
        period=period,
        threshold=threshold,
        wards=wards,
        types=rows,
        current=cur,
        previous=prev,
        rate=rate,
        rank=rank,
        p=p,
        q=q,
        current_hidden=cur_hidden,
        change_hidden=change_hidden,
        monthly=monthly,
        trend_months=trend,
        spots=spots,
        activity=activity,
        unassigned=unassigned,
        synthetic=bool(cfg.synthetic or data.synthetic),
        exposure_ratio=exposure,
        has_previous=bool(prev_months),
        current_months=cur_months,
    )


def _published_sums(codes: list[str], types: list[str]) -> list[list[tuple]]:
    """Sums printed somewhere: each ward's all-crime total (and, in the pack, its serious
    acquisitive crime), and each crime type's area total."""
    groups = [[(w, t) for t in types] for w in codes]
    sac = [t for t in SAC_TYPES if t in types]
    groups += [[(w, t) for t in sac] for w in codes] if len(sac) > 1 else []
    groups += [[(w, t) for w in codes] for t in [*types, ALL_CRIME, ASB]]
    return groups


# --------------------------------------------------------------------------------------------
# Words and cells
# --------------------------------------------------------------------------------------------


def ordinal(n: int) -> str:
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def significance_words(d: BriefingData, ward: str, t: str) -> str:
    """'Significant rise' / 'Significant fall' / 'No significant change' / 'Not shown'."""
    if not d.has_previous:
        return NO_PREVIOUS
    if d.change_hidden.at[ward, t]:
        return "Not shown (small numbers)"
    if not d.significant(ward, t):
        return "No significant change"
    return (
        "Significant rise" if d.current.at[ward, t] > d.previous.at[ward, t] else "Significant fall"
    )


def change_cell(d: BriefingData, ward: str, t: str) -> str:
    if not d.has_previous:
        return "–"
    if d.change_hidden.at[ward, t]:
        return SUPPRESSED
    c, b = int(d.current.at[ward, t]), int(d.previous.at[ward, t])
    diff = c - b
    if diff == 0:
        return "0"
    if b == 0:
        return f"{diff:+,}"
    return f"{diff:+,} ({fmt_pct((c - b) / b * 100, signed=True)})"


def rate_cell(d: BriefingData, ward: str, t: str) -> str:
    if d.current_hidden.at[ward, t]:
        return SUPPRESSED
    r = d.rate.at[ward, t]
    return "–" if pd.isna(r) else f"{r:,.1f}"


def rank_cell(d: BriefingData, ward: str, t: str) -> str:
    if d.current_hidden.at[ward, t]:
        return SUPPRESSED
    r = d.rank.at[ward, t]
    return "–" if pd.isna(r) else ordinal(int(r))


def count_cell(d: BriefingData, ward: str, t: str) -> str:
    return SUPPRESSED if d.current_hidden.at[ward, t] else fmt_int(d.current.at[ward, t])


def lead_sentences(d: BriefingData, ward: str, name: str) -> list[str]:
    n_wards = len(d.wards)
    out = []
    if d.current_hidden.at[ward, ALL_CRIME]:
        out.append(
            f"Fewer than {d.threshold} crimes were recorded in {name} in {d.months_text}, so the "
            "figures are not shown."
        )
    else:
        c = int(d.current.at[ward, ALL_CRIME])
        rate = d.rate.at[ward, ALL_CRIME]
        s = f"{fmt_int(c)} crimes were recorded in {name} in {d.months_text}"
        if not pd.isna(rate):
            s += f" ({rate:,.1f} per 1,000 residents)"
        if d.has_previous and not d.change_hidden.at[ward, ALL_CRIME]:
            b = int(d.previous.at[ward, ALL_CRIME])
            if c == b:
                s += ", the same number as the year before"
            else:
                s += f", {fmt_int(abs(c - b))} {'more' if c > b else 'fewer'} than the year before"
            words = significance_words(d, ward, ALL_CRIME)
            s += (
                " (no significant change)"
                if words == "No significant change"
                else f" (a {words.lower()})"
            )
        out.append(s + ".")
        r = d.rank.at[ward, ALL_CRIME]
        if not pd.isna(r):
            r = int(r)
            place = (
                "the highest"
                if r == 1
                else "the lowest"
                if r == n_wards
                else f"the {ordinal(r)} highest"
            )
            out.append(
                f"That is {place} crime rate of the {n_wards} wards in {d.area_name} "
                f"({ordinal(r)} of {n_wards})."
            )
    if not d.current_hidden.at[ward, ASB]:
        a = int(d.current.at[ward, ASB])
        s = f"Anti-social behaviour: {fmt_int(a)} incident{'s' if a != 1 else ''}"
        if d.has_previous and not d.change_hidden.at[ward, ASB]:
            s += f", {significance_words(d, ward, ASB).lower()} on the year before"
        out.append(s + ".")
    return out


def spot_sentence(d: BriefingData, ward: str, name: str) -> str:
    if not d.spots:
        return (
            "Hot-spot analysis was not available for this period, so hot-spot status is not shown."
        )
    hot = [SPOT_LABELS[k] for k, v in d.spots.items() if v.get(ward) == "Hot spot"]
    cold = [SPOT_LABELS[k] for k, v in d.spots.items() if v.get(ward) == "Cold spot"]
    parts = []
    if hot:
        parts.append(f"{name} is a hot spot for {join_names(hot)}")
    if cold:
        parts.append(
            ("it" if hot else name) + f" is a cold spot (lower than its surroundings) for "
            f"{join_names(cold)}"
        )
    if not parts:
        return (
            f"{name} is not a hot spot or a cold spot for any of the measures mapped in the pack "
            "(all crime, violence, serious acquisitive crime, burglary and anti-social behaviour)."
        )
    return (
        "; ".join(parts)
        + ". A hot spot is a ward that, with its neighbours, has more crime than chance would explain."
    )


def _month_label(m: str) -> str:
    return pd.Period(m, freq="M").strftime("%b %Y")


def chart_series(d: BriefingData, ward: str) -> dict[str, pd.Series]:
    """The monthly series safe to chart: each quarter of the three years at least the threshold."""
    out = {}
    sub = d.monthly.loc[ward]
    for series in (ALL_CRIME, ASB):
        values = sub[series]
        quarters = values.groupby(np.arange(len(values)) // 3).sum()
        if len(values) and (quarters >= d.threshold).all():
            out[series] = values
    return out


#: Chart text in points at the figure's size; the chart is printed at the text width (182 mm,
#: 0.995 of the figure's 7.2 in), so 9 pt prints at just under 9 pt, the print minimum.
TREND_FONT = 9.05
#: The trend charts' drawing settings, whatever the process set before: text stays text in
#: the SVG (so the PDF has real, searchable, measurable text, not glyph outlines that the PDF
#: writer draws point by point), in the house font.
TREND_RC = {"svg.fonttype": "none", "font.family": "DejaVu Sans", "svg.hashsalt": "briefings"}


def trend_chart(d: BriefingData, ward: str, name: str) -> tuple[str, str] | None:
    """(data-URI SVG, alt text) of the ward's monthly trend, or None if nothing can be shown.

    Drawn with :data:`TREND_RC` whatever the process set before, so a briefing looks the same
    whether it is built beside the pack or in a process of its own."""
    import matplotlib as mpl
    from matplotlib.figure import Figure  # no pyplot: the caller's backend is left alone

    from helpers.present.charts import CURRENT, PREVIOUS

    series = chart_series(d, ward)
    if not series or len(d.trend_months) < 12:
        return None
    months = d.trend_months
    with mpl.rc_context(TREND_RC):
        fig = Figure(figsize=(7.2, 1.45), dpi=100)
        ax = fig.subplots()
        x = np.arange(len(months))
        colours = {ALL_CRIME: CURRENT, ASB: PREVIOUS}
        styles = {ALL_CRIME: "-", ASB: "--"}
        for label, values in series.items():
            ax.plot(x, values.to_numpy(), styles[label], color=colours[label], lw=1.8)
            ax.annotate(
                "Anti-social behaviour" if label == ASB else "All crime",
                (x[-1], float(values.iloc[-1])),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=TREND_FONT,
                color=colours[label],
            )
        ticks = [i for i, m in enumerate(months) if m.endswith("-04") or i == 0]
        ax.set_xticks(ticks, [_month_label(months[i]) for i in ticks], fontsize=TREND_FONT)
        ax.set_ylim(bottom=0)
        ax.tick_params(axis="y", labelsize=TREND_FONT)
        ax.set_ylabel("Per month", fontsize=TREND_FONT)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.grid(axis="y", color="#DDDDDD", lw=0.6)
        ax.set_xlim(-0.5, len(months) + 7)
        fig.tight_layout(pad=0.4)
        # tight_layout leaves a placeholder layout engine, for which savefig draws the whole
        # figure once more before drawing it to SVG; the layout is done, so drop it
        fig.set_layout_engine(None)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue().encode("utf-8")
    shown = join_names(["all crime" if s == ALL_CRIME else "anti-social behaviour" for s in series])
    alt = (
        f"Line chart of {shown} recorded each month in {name}, "
        f"{_month_label(months[0])} to {_month_label(months[-1])}."
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii"), alt


def trend_title(d: BriefingData, ward: str, name: str) -> str:
    """The chart's title states the finding (the all-crime change and its test)."""
    if not d.has_previous or d.change_hidden.at[ward, ALL_CRIME]:
        return f"Crime in {name} month by month"
    words = significance_words(d, ward, ALL_CRIME)
    if words == "Significant rise":
        return f"Crime in {name} rose significantly in the last 12 months"
    if words == "Significant fall":
        return f"Crime in {name} fell significantly in the last 12 months"
    return f"Crime in {name} has not changed significantly in the last 12 months"


def _short(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters (with an ellipsis)."""
    if len(text) <= limit:
        return text
    return text[: text.rfind(" ", 0, limit - 1)].rstrip(" ,;:") + "…"


def initiative_items(d: BriefingData, ward: str) -> list[str] | None:
    """HTML list items for the ward's initiatives; None when no return was supplied."""
    act = d.activity
    if act is None:
        return None
    items = []
    for i in sorted(act.initiatives_in_ward(ward), key=lambda i: (i.start, i.name)):
        when = when_text(i.start, i.end)
        when = when[:1].lower() + when[1:]  # "From 1 Apr 2021, continuing" mid-sentence
        text = f"<strong>{escape(i.name)}</strong> ({escape(when)})"
        if i.description:
            text += f": {escape(_short(i.description))}"
        items.append(text)
    for n in act.neighbourhoods_in_ward(ward):
        text = f"Priority neighbourhood <strong>{escape(n.name)}</strong>"
        if n.actions:
            text += ": " + escape(_short("; ".join(n.actions)))
        items.append(text)
    for p in act.plans_in_ward(ward):
        text = f"Planned{(' for ' + escape(p.when)) if p.when else ''}: {escape(_short(p.action))}"
        items.append(text)
    return items


# --------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------


def ward_page_html(d: BriefingData, ward: str) -> str:
    name = str(d.wards.set_index("ward_code").at[ward, "ward_name"])
    n_wards = len(d.wards)
    out = [f'<section class="ward-briefing" id="ward-{escape(ward)}">']
    out.append('<p class="kicker">Ward briefing for councillors</p>')
    out.append(f"<h1>{escape(name)}</h1>")
    out.append(f'<p class="subtitle">{escape(d.area_name)} · {escape(d.months_text)}</p>')
    out.append(
        '<div class="lead">' + "".join(f"<p>{escape(s)}</p>" for s in lead_sentences(d, ward, name))
        + "</div>"
    )  # fmt: skip
    head = [
        ("Crime type", "txt c-type"),
        ("Number", "num c-n"),
        ("Per 1,000 residents", "num c-rate"),
        (f"Rank of {n_wards} wards", "num c-rank"),
        ("Change on last year", "num c-change"),
        ("What the change means", "txt c-means"),
    ]
    rows = []
    for t in d.types:
        cls = ' class="total"' if t == ALL_CRIME else ' class="asb"' if t == ASB else ""
        cells = [
            (escape(t), "txt"),
            (count_cell(d, ward, t), "num"),
            (rate_cell(d, ward, t), "num"),
            (rank_cell(d, ward, t), "num"),
            (change_cell(d, ward, t), "num"),
            (escape(significance_words(d, ward, t)), "txt"),
        ]
        rows.append(f"<tr{cls}>" + "".join(f'<td class="{k}">{v}</td>' for v, k in cells) + "</tr>")
    out.append(
        '<table class="ward-table"><caption>Recorded crime and anti-social behaviour in '
        f"{escape(name)}, {escape(d.months_text)}</caption><thead><tr>"
        + "".join(f'<th scope="col" class="{k}">{escape(h)}</th>' for h, k in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )
    chart = trend_chart(d, ward, name)
    out.append('<figure class="trend">')
    out.append(f"<figcaption><b>{escape(trend_title(d, ward, name))}</b></figcaption>")
    if chart:
        out.append(f'<img src="{chart[0]}" alt="{escape(chart[1])}">')
    else:
        out.append(
            "<p>"
            + (
                "Fewer than 12 months of data are available, so there is no trend to chart."
                if len(d.trend_months) < 12
                else "The monthly figures for this ward are too small to chart without revealing "
                "small numbers."
            )
            + "</p>"
        )
    out.append("</figure>")
    out.append('<div class="two-col">')
    out.append(
        f'<div class="col"><h2>Hot spots</h2><p>{escape(spot_sentence(d, ward, name))}</p></div>'
    )
    items = initiative_items(d, ward)
    out.append('<div class="col"><h2>Partnership work in this ward</h2>')
    if items is None:
        out.append(f"<p>{escape(no_return_sentence(d.period))}</p>")
    elif not items:
        out.append(
            "<p>The partnership reported no initiatives in this ward for this period. Work across "
            "the whole area is listed in the panel pack.</p>"
        )
    else:
        out.append("<ul>" + "".join(f"<li>{i}</li>" for i in items[:MAX_ITEMS]) + "</ul>")
        if len(items) > MAX_ITEMS:
            out.append(f"<p>…and {len(items) - MAX_ITEMS} more in the panel pack.</p>")
    out.append("</div></div>")
    out.append(
        '<p class="notes">How to read this page: police.uk street-level crime (fraud is not '
        "included), placed in wards by its map point, which police.uk moves to a nearby point to "
        "protect privacy. Rates are per 1,000 residents, so wards many people visit (such as town "
        "centres) look higher. Change compares the same months a year earlier; a change is "
        "called significant when it is larger than chance would explain (exact Poisson test, "
        f"{(1 - FDR_ALPHA) * 100:g}% confidence, corrected for testing all {n_wards} wards). "
        f"Rank 1st is the highest rate. * means fewer than {d.threshold} (or a figure that would "
        "reveal one) and is not shown, so that no victim can be identified.</p>"
    )
    out.append("</section>")
    return "".join(out)


def briefings_html(d: BriefingData) -> str:
    from helpers.report.export import BANNER_TEXT, CSS_PATH

    css = CSS_PATH.read_text(encoding="utf-8") + "\n" + CSS_FILE.read_text(encoding="utf-8")
    rp = ReportingPeriod(d.period)
    banner = f'<div class="banner-string">{escape(BANNER_TEXT)}</div>' if d.synthetic else ""
    pages = "".join(ward_page_html(d, w) for w in d.wards["ward_code"])
    title = f"Ward briefings — {d.area_name}, {rp.name}"
    return (
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        f'<meta name="description" content="{escape(title)}">'
        f"<style>{css}</style></head><body>"
        f'<div class="runhead">{escape(d.area_name)} · Ward briefings</div>'
        f'<div class="runperiod">{escape(rp.name)}</div>{banner}'
        f"{pages}</body></html>"
    )


def published_table(d: BriefingData) -> pd.DataFrame:
    """The figures as printed (suppressed cells empty), one row per ward and crime type."""
    rows = []
    for ward, name in zip(d.wards["ward_code"], d.wards["ward_name"], strict=True):
        for t in d.types:
            hid = bool(d.current_hidden.at[ward, t])
            chid = bool(d.change_hidden.at[ward, t]) or not d.has_previous
            rate = d.rate.at[ward, t]
            rows.append(
                {
                    "ward_code": ward,
                    "ward_name": name,
                    "crime_type": t,
                    "count": None if hid else int(d.current.at[ward, t]),
                    "rate_per_1000": None if hid or pd.isna(rate) else round(float(rate), 1),
                    "rank": None if hid or pd.isna(d.rank.at[ward, t]) else int(d.rank.at[ward, t]),
                    "change": None if chid else int(d.current.at[ward, t] - d.previous.at[ward, t]),
                    "significance": significance_words(d, ward, t),
                }
            )
    return pd.DataFrame(rows)


def build_ward_briefings(
    area: str, period: str, folder: Path | None = None, out: Path | None = None
) -> Path:
    """Write ``reports/<area>/<period>/ward_briefings.pdf`` (one A4 page per ward); return it.

    Reads the processed data (``data/processed/<area>/<period>/``), stage 04's tables in
    ``folder`` (default ``reports/<area>/<period>/``; hot-spot status and the pack's suppression
    are used when present) and the partnership activity return. Also writes
    ``tables/ward_briefings.csv`` with the printed figures.
    """
    from helpers.core.io import write_csv
    from helpers.report.export import html_to_pdf

    d = briefing_data(area, period, folder)
    folder = Path(folder) if folder else paths.report_dir(d.area, period)
    target = Path(out) if out else folder / PDF_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    write_csv(published_table(d), folder / "tables" / TABLE_NAME)
    return html_to_pdf(briefings_html(d), target, base_url=str(target.parent))
