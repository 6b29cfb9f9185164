"""Partnership activity as a short pack section: priorities, initiatives, enforcement, Community
Trigger, priority neighbourhoods and the next three months, in plain English with small tables.

``activity_section_html(activity, period)`` takes what
:func:`helpers.ingest.activity.load_area_activity` returned (``None`` when no return was supplied)
and gives one ``<section class="activity">`` for the pack to include; ``activity_glance`` gives a
few headline figures for the at-a-glance page. No file names, keys or codes are printed: wards
appear by name, and a count left empty in the return reads "not known".
"""

from __future__ import annotations

import datetime as dt
from html import escape

from helpers.core.narrative import fmt_int, join_names
from helpers.core.periods import ReportingPeriod
from helpers.ingest.activity import (
    ENFORCEMENT_MEASURES,
    TRIGGER_STAGES,
    PartnershipActivity,
)

SECTION_TITLE = "Partnership activity"
NOT_KNOWN = "not known"
NONE_REPORTED = "None reported for this period."
CAVEAT = (
    "These are the partnership's own records of its work, supplied for this report; they are "
    "not official statistics."
)


def no_return_sentence(period: str) -> str:
    """What the pack says when the partnership supplied no activity return for ``period``."""
    return (
        f"No partnership activity return was supplied for {ReportingPeriod(period).name}, so this "
        "report cannot show the partnership's priorities, initiatives, enforcement action or "
        "Community Trigger figures for the period. The Community Safety Partnership can supply "
        "one for the next report."
    )


def fmt_date(d: dt.date) -> str:
    """2021-07-01 -> '1 Jul 2021'."""
    return f"{d.day} {d:%b %Y}"


def when_text(start: dt.date, end: dt.date | None) -> str:
    if end is None:
        return f"From {fmt_date(start)}, continuing"
    if end == start:
        return fmt_date(start)
    return f"{fmt_date(start)} to {fmt_date(end)}"


def where_text(activity: PartnershipActivity, wards: list[str], locality: str | None) -> str:
    names = [activity.ward_name(c) for c in wards]
    parts = []
    if names:
        parts.append(join_names(names) + (" wards" if len(names) > 1 else " ward"))
    if locality:
        parts.append(locality)
    return "; ".join(parts) if parts else "Not stated"


def count_text(value: int | None) -> str:
    return NOT_KNOWN if value is None else fmt_int(value)


def change_text(now: int | None, before: int | None) -> str:
    """'up 8', 'down 1', 'no change' or 'not known' (counts this small need no percentage)."""
    if now is None or before is None:
        return NOT_KNOWN
    diff = now - before
    if diff == 0:
        return "no change"
    return f"{'up' if diff > 0 else 'down'} {fmt_int(abs(diff))}"


def _h(level: int, text: str) -> str:
    level = max(1, min(level, 6))
    return f"<h{level}>{escape(text)}</h{level}>"


def _table(caption: str, headers: list[str], rows: list[list[str]], num_cols=()) -> str:
    """A small table in the house style; cells are already-escaped HTML."""
    head = "".join(
        f'<th scope="col" class="{"num" if i in num_cols else "txt"}">{escape(h)}</th>'
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"num" if i in num_cols else "txt"}">{cell}</td>'
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return (
        f'<div class="table-wrap"><table><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _none(text: str = NONE_REPORTED) -> str:
    return f'<p class="activity-none">{escape(text)}</p>'


def _priorities(act: PartnershipActivity, level: int) -> str:
    out = [_h(level, "Priorities")]
    if not act.priorities:
        return "".join([*out, _none()])
    items = "".join(
        f"<li><strong>{escape(p.name)}</strong>"
        + (f": {escape(p.description)}" if p.description else "")
        + "</li>"
        for p in act.priorities
    )
    return "".join([*out, f"<ol>{items}</ol>"])


def _initiatives(act: PartnershipActivity, level: int) -> str:
    out = [_h(level, "Initiatives")]
    items = act.initiatives_in_period()
    if not items:
        return "".join([*out, _none("No named initiatives were reported for this period.")])
    rows = [
        [
            f"<strong>{escape(i.name)}</strong>"
            + (f"<br>{escape(i.description)}" if i.description else ""),
            escape(where_text(act, i.wards, i.locality)),
            escape(when_text(i.start, i.end)),
        ]
        for i in sorted(items, key=lambda i: (i.start, i.name))
    ]
    n = len(items)
    caption = f"{fmt_int(n)} named initiative{'s' if n != 1 else ''} ran during the period"
    return "".join([*out, _table(caption, ["Initiative", "Where", "When"], rows)])


def _enforcement(act: PartnershipActivity, period: str, level: int) -> str:
    out = [_h(level, "Enforcement")]
    now, before = act.enforcement.this_period, act.enforcement.previous_period
    values = [*now.model_dump().values(), *before.model_dump().values()]
    if all(v is None for v in values):
        return "".join([*out, _none("No enforcement figures were reported for this period.")])
    rp = ReportingPeriod(period)
    rows = []
    for key, label in ENFORCEMENT_MEASURES.items():
        a, b = getattr(before, key), getattr(now, key)
        rows.append([escape(label), count_text(a), count_text(b), escape(change_text(b, a))])
    out.append(
        "<p>The powers the partnership used against anti-social behaviour, as counted by the "
        "partnership, this year and the year before.</p>"
    )
    out.append(
        _table(
            "Enforcement action issued or obtained",
            ["Measure", rp.previous().name, rp.name, "Change"],
            rows,
            num_cols=(1, 2, 3),
        )
    )
    return "".join(out)


def trigger_sentence(act: PartnershipActivity) -> str | None:
    """'The partnership received 8 Community Trigger requests; 3 met the threshold ...'."""
    ct = act.community_trigger
    if ct.received is None:
        return None
    s = (
        f"The partnership received {fmt_int(ct.received)} Community Trigger "
        f"request{'s' if ct.received != 1 else ''}"
    )
    parts = []
    if ct.met_threshold is not None:
        parts.append(f"{fmt_int(ct.met_threshold)} met the threshold for a case review")
    if ct.case_reviews is not None:
        parts.append(
            f"{fmt_int(ct.case_reviews)} case review{'s were' if ct.case_reviews != 1 else ' was'} "
            "held"
        )
    if ct.reviews_with_recommendations is not None:
        n = ct.reviews_with_recommendations
        parts.append(f"{fmt_int(n)} led to recommendations")
    return s + ("; " + join_names(parts) if parts else "") + "."


def _trigger(act: PartnershipActivity, level: int) -> str:
    out = [_h(level, "Community Trigger (anti-social behaviour case reviews)")]
    values = act.community_trigger.model_dump()
    if all(v is None for v in values.values()):
        return "".join([*out, _none("No Community Trigger figures were reported.")])
    sentence = trigger_sentence(act)
    if sentence:
        out.append(f"<p>{escape(sentence)}</p>")
    rows = [[escape(label), count_text(values[key])] for key, label in TRIGGER_STAGES.items()]
    out.append(_table("Community Trigger requests in the period", ["Stage", "Number"], rows, (1,)))
    return "".join(out)


def _neighbourhoods(act: PartnershipActivity, level: int) -> str:
    out = [_h(level, "Priority neighbourhoods")]
    if not act.priority_neighbourhoods:
        return "".join([*out, _none()])
    rows = []
    for n in act.priority_neighbourhoods:
        actions = (
            "<ul>" + "".join(f"<li>{escape(a)}</li>" for a in n.actions) + "</ul>"
            if n.actions
            else "No actions reported"
        )
        rows.append(
            [
                f"<strong>{escape(n.name)}</strong>",
                escape(join_names([act.ward_name(c) for c in n.wards]) or "Not stated"),
                actions,
            ]
        )
    return "".join(
        [
            *out,
            _table(
                "Neighbourhoods the partnership gives priority to, and what it did there",
                ["Neighbourhood", "Wards", "Actions"],
                rows,
            ),
        ]
    )


def _plans(act: PartnershipActivity, level: int) -> str:
    out = [_h(level, "The next three months")]
    if not act.next_three_months:
        return "".join([*out, _none("No plans for the next three months were reported.")])
    rows = [
        [
            escape(p.action),
            escape(p.when or "Not stated"),
            escape(where_text(act, p.wards, p.locality) if (p.wards or p.locality) else "—"),
        ]
        for p in act.next_three_months
    ]
    return "".join(
        [*out, _table("What the partnership plans to do", ["Plan", "When", "Where"], rows)]
    )


def activity_section_html(
    activity: PartnershipActivity | None, period: str, heading_level: int = 1
) -> str:
    """The pack's partnership activity section as HTML (``None`` → the no-return sentence)."""
    head = _h(heading_level, SECTION_TITLE)
    if activity is None:
        return (
            f'<section class="activity" id="partnership-activity">{head}'
            f'<p class="activity-missing">{escape(no_return_sentence(period))}</p></section>'
        )
    sub = heading_level + 1
    intro = (
        f"<p>What the Community Safety Partnership reported doing between "
        f"{escape(ReportingPeriod(period).name.replace(' to ', ' and '))}. {escape(CAVEAT)}</p>"
    )
    if activity.is_empty():
        intro += (
            '<p class="activity-missing">The partnership activity return for this period was '
            "supplied but left empty.</p>"
        )
        return f'<section class="activity" id="partnership-activity">{head}{intro}</section>'
    parts = [
        _priorities(activity, sub),
        _initiatives(activity, sub),
        _enforcement(activity, period, sub),
        _trigger(activity, sub),
        _neighbourhoods(activity, sub),
        _plans(activity, sub),
    ]
    return (
        f'<section class="activity" id="partnership-activity">{head}{intro}{"".join(parts)}'
        "</section>"
    )


def activity_glance(activity: PartnershipActivity | None) -> list[tuple[str, str]]:
    """A few headline figures for the at-a-glance page (label, value as printed)."""
    if activity is None:
        return [("Partnership activity return", "not supplied")]
    now, before = activity.enforcement.this_period, activity.enforcement.previous_period
    rows = [("Named initiatives in the period", fmt_int(len(activity.initiatives_in_period())))]
    for key in ("community_protection_notices", "criminal_behaviour_orders"):
        a, b = getattr(now, key), getattr(before, key)
        if a is not None:
            rows.append(
                (
                    ENFORCEMENT_MEASURES[key],
                    fmt_int(a) + (f" (year before: {fmt_int(b)})" if b is not None else ""),
                )
            )
    if activity.community_trigger.received is not None:
        rows.append(("Community Trigger requests", fmt_int(activity.community_trigger.received)))
    return rows


def area_activity_section(area: str, period: str, heading_level: int = 1) -> tuple[str, list]:
    """For the pack: ``(section HTML, at-a-glance figures)`` for an area and period.

    Loads the area's return (``sources.partnership_activity``); a period without one gives the
    plain "no return was supplied" section. A return that exists but is wrong raises
    :class:`helpers.ingest.activity.ActivityFileError` naming the file and line.
    """
    from helpers.core.config import load_area_config
    from helpers.ingest.activity import load_area_activity

    activity = load_area_activity(load_area_config(area), period)
    return activity_section_html(activity, period, heading_level), activity_glance(activity)
