"""Partnership activity: what the Community Safety Partnership did in the period.

Half of a seed report is about the partnership's own work, which no police data can tell us. The
partnership writes it down once per area and period in a small YAML file (``scrutiny
activity-template`` writes an empty, commented one); this module reads and checks it.

The file holds (every section may be left empty):

* ``priorities``: the partnership's priorities, each a ``name`` and optional ``description``;
* ``initiatives``: named pieces of work, each with ``wards`` (ward codes) and/or a ``locality``,
  a ``start`` date and an optional ``end`` date (none = still running);
* ``enforcement``: counts of Community Protection Warnings and Notices, Criminal Behaviour Orders,
  closure orders, injunctions and Acceptable Behaviour Contracts, for ``this_period`` and the
  ``previous_period`` (empty = not known, which is not the same as 0);
* ``community_trigger``: requests received, how many met the threshold, case reviews held and
  reviews that led to recommendations;
* ``priority_neighbourhoods``: each a ``name``, optional ``wards`` and its ``actions``;
* ``next_three_months``: the plans, each an ``action`` with optional ``when``, ``wards`` or
  ``locality``.

The config key ``sources.partnership_activity`` gives the file's path; ``{period}`` in it is
replaced by the period (``data/raw/wexley/partnership_activity/{period}.yaml``), so one key serves a
back series. A folder means ``<folder>/<period>.yaml``.

Every mistake a user can make raises :class:`ActivityFileError` naming the file, the line and what
to write: a YAML syntax error, an unknown or repeated key, a value of the wrong kind, an end date
before its start, a ward code that is not one of the area's wards, Community Trigger stages that
do not nest (more reviews than requests), or an area or period that is not the one being reported.

Caveat: these are the partnership's own figures, not official statistics; the pack says so.
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictInt,
    ValidationError,
)

from helpers.core import paths
from helpers.core.errors import DataFileError

SOURCE_KEY = "partnership_activity"

ENFORCEMENT_MEASURES: dict[str, str] = {
    "community_protection_warnings": "Community Protection Warnings",
    "community_protection_notices": "Community Protection Notices",
    "criminal_behaviour_orders": "Criminal Behaviour Orders",
    "closure_orders": "Closure orders",
    "injunctions": "Injunctions",
    "acceptable_behaviour_contracts": "Acceptable Behaviour Contracts",
}
TRIGGER_STAGES: dict[str, str] = {
    "received": "Requests received",
    "met_threshold": "Requests that met the threshold for a case review",
    "case_reviews": "Case reviews held",
    "reviews_with_recommendations": "Case reviews that led to recommendations",
}

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class ActivityFileError(DataFileError):
    """A partnership activity file cannot be used as written (``line`` is 1-based, or None)."""

    def __init__(self, what: str, fix: str | None = None, line: int | None = None):
        self.line = line
        super().__init__(what, fix)


# --------------------------------------------------------------------------------------------
# The schema
# --------------------------------------------------------------------------------------------


def _none_to_list(value: Any) -> Any:
    return [] if value is None else value


def _to_date(value: Any, end: bool) -> Any:
    """A date, or a month ``YYYY-MM`` (its first day for a start, its last day for an end)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        m = _MONTH.match(value.strip())
        if m:
            year, month = int(m.group(1)), int(m.group(2))
            if 1 <= month <= 12:
                day = calendar.monthrange(year, month)[1] if end else 1
                return dt.date(year, month, day)
    return value


def _start_date(value: Any) -> Any:
    return _to_date(value, end=False)


def _end_date(value: Any) -> Any:
    return _to_date(value, end=True)


def _text(value: Any) -> Any:
    """Numbers and dates typed where text is wanted are kept as the text the user wrote."""
    if isinstance(value, int | float | dt.date) and not isinstance(value, bool):
        return str(value)
    return value


Text = Annotated[str, BeforeValidator(_text), Field(min_length=1)]
OptText = Annotated[str | None, BeforeValidator(_text)]
Count = Annotated[StrictInt | None, Field(ge=0)]
TextList = Annotated[list[Text], BeforeValidator(_none_to_list)]
StartDate = Annotated[dt.date, BeforeValidator(_start_date)]
EndDate = Annotated[dt.date | None, BeforeValidator(_end_date)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Priority(_Model):
    name: Text
    description: OptText = None


class Initiative(_Model):
    name: Text
    description: OptText = None
    wards: TextList = []
    locality: OptText = None
    start: StartDate
    end: EndDate = None
    priority: OptText = None

    def overlaps(self, first: dt.date, last: dt.date) -> bool:
        """True if the initiative ran at some time between ``first`` and ``last``."""
        return self.start <= last and (self.end is None or self.end >= first)


class EnforcementCounts(_Model):
    community_protection_warnings: Count = None
    community_protection_notices: Count = None
    criminal_behaviour_orders: Count = None
    closure_orders: Count = None
    injunctions: Count = None
    acceptable_behaviour_contracts: Count = None


class Enforcement(_Model):
    this_period: Annotated[EnforcementCounts, BeforeValidator(lambda v: v or {})] = (
        EnforcementCounts()
    )
    previous_period: Annotated[EnforcementCounts, BeforeValidator(lambda v: v or {})] = (
        EnforcementCounts()
    )


class CommunityTrigger(_Model):
    received: Count = None
    met_threshold: Count = None
    case_reviews: Count = None
    reviews_with_recommendations: Count = None


class PriorityNeighbourhood(_Model):
    name: Text
    wards: TextList = []
    actions: TextList = []


class Plan(_Model):
    action: Text
    when: OptText = None
    wards: TextList = []
    locality: OptText = None


class PartnershipActivity(_Model):
    """One area's partnership activity return for one 12-month period."""

    area: Text
    period: Text
    synthetic: bool = False
    prepared_by: OptText = None
    priorities: Annotated[list[Priority], BeforeValidator(_none_to_list)] = []
    initiatives: Annotated[list[Initiative], BeforeValidator(_none_to_list)] = []
    enforcement: Annotated[Enforcement, BeforeValidator(lambda v: v or {})] = Enforcement()
    community_trigger: Annotated[CommunityTrigger, BeforeValidator(lambda v: v or {})] = (
        CommunityTrigger()
    )
    priority_neighbourhoods: Annotated[
        list[PriorityNeighbourhood], BeforeValidator(_none_to_list)
    ] = []
    next_three_months: Annotated[list[Plan], BeforeValidator(_none_to_list)] = []

    _ward_names: dict[str, str] = PrivateAttr(default_factory=dict)
    _source: Path | None = PrivateAttr(default=None)

    def ward_name(self, code: str) -> str:
        """The ward's name (from the area's ward list), else its code."""
        return self._ward_names.get(code, code)

    @property
    def source(self) -> Path | None:
        return self._source

    @property
    def period_dates(self) -> tuple[dt.date, dt.date]:
        """First and last day of the 12 months ending ``period``."""
        year, month = int(self.period[:4]), int(self.period[5:7])
        first_year, first_month = (year, month + 1) if month < 12 else (year + 1, 1)
        first = dt.date(first_year - 1, first_month, 1)
        return first, dt.date(year, month, calendar.monthrange(year, month)[1])

    def initiatives_in_period(self) -> list[Initiative]:
        first, last = self.period_dates
        return [i for i in self.initiatives if i.overlaps(first, last)]

    def initiatives_in_ward(self, code: str) -> list[Initiative]:
        """Initiatives that ran in the period and name ward ``code``."""
        return [i for i in self.initiatives_in_period() if code in i.wards]

    def neighbourhoods_in_ward(self, code: str) -> list[PriorityNeighbourhood]:
        """Priority neighbourhoods that name ward ``code``."""
        return [n for n in self.priority_neighbourhoods if code in n.wards]

    def plans_in_ward(self, code: str) -> list[Plan]:
        """Next three months' plans that name ward ``code``."""
        return [p for p in self.next_three_months if code in p.wards]

    def is_empty(self) -> bool:
        counts = [
            *self.enforcement.this_period.model_dump().values(),
            *self.enforcement.previous_period.model_dump().values(),
            *self.community_trigger.model_dump().values(),
        ]
        return not (
            self.priorities
            or self.initiatives
            or self.priority_neighbourhoods
            or self.next_three_months
            or any(c is not None for c in counts)
        )


# --------------------------------------------------------------------------------------------
# YAML with line numbers
# --------------------------------------------------------------------------------------------

_HINTS = {
    "start": "a date in the form YYYY-MM-DD (or a month, YYYY-MM)",
    "end": "a date in the form YYYY-MM-DD (or a month, YYYY-MM), or leave it empty if the work "
    "is still running",
    "wards": "a list of ward codes, e.g. [E05012345, E05012346]",
    "actions": "a list of short sentences, one per line starting with '- '",
    "synthetic": "true or false",
    **{
        k: "a whole number of 0 or more, or leave it empty if not known"
        for k in (*ENFORCEMENT_MEASURES, *TRIGGER_STAGES)
    },
}
_SECTION_FIELDS = {
    "": PartnershipActivity,
    "priorities": Priority,
    "initiatives": Initiative,
    "enforcement": Enforcement,
    "this_period": EnforcementCounts,
    "previous_period": EnforcementCounts,
    "community_trigger": CommunityTrigger,
    "priority_neighbourhoods": PriorityNeighbourhood,
    "next_three_months": Plan,
}


def _parse(text: str, path: Path) -> tuple[Any, yaml.Node | None]:
    """The YAML's data and its node tree (for line numbers); repeated keys are errors."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ActivityFileError(
            f"{path}, line {line}: this is not valid YAML ({exc.problem or exc}).",
            "Check the indentation (spaces, not tabs), that every 'key:' has a colon and a space "
            "after it, and that text containing ': ' or '#' is in quotes.",
            line=line,
        ) from exc
    except yaml.YAMLError as exc:
        raise ActivityFileError(
            f"{path} is not valid YAML ({exc}).", "Fix the YAML syntax.", line=None
        ) from exc
    if node is not None:
        _check_repeats(node, path)
    return data, node


def _check_repeats(node: yaml.Node, path: Path) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            name = str(key.value)
            line = key.start_mark.line + 1
            if name in seen:
                raise ActivityFileError(
                    f"{path}, line {line}: '{name}' is given twice (first on line {seen[name]}).",
                    "Keep one of them: the second would silently replace the first.",
                    line=line,
                )
            seen[name] = line
            _check_repeats(value, path)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_repeats(item, path)


def _locate(node: yaml.Node | None, loc: tuple) -> tuple[int | None, bool]:
    """1-based line of the entry at ``loc``, and whether the whole path was found."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if str(key.value) == str(part):
                    line, node = key.start_mark.line + 1, value
                    break
            else:
                return line, False
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line, False
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line, False
    return line, True


def _where(loc: tuple) -> str:
    """('initiatives', 1, 'start') -> "initiatives, item 2, 'start'"."""
    out = []
    for part in loc:
        out.append(f"item {part + 1}" if isinstance(part, int) else f"'{part}'")
    return ", ".join(out) if out else "the top level"


def _section_model(loc: tuple) -> type[BaseModel]:
    names = [p for p in loc if isinstance(p, str)]
    return _SECTION_FIELDS.get(names[-1] if names else "", PartnershipActivity)


def _error_text(err: dict, path: Path, node: yaml.Node | None) -> tuple[str, str, int | None]:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    kind = err["type"]
    line, _found = _locate(node, loc)
    field = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        model = _section_model(loc[:-1])
        known = list(model.model_fields)
        close = difflib.get_close_matches(str(field), known, n=1)
        place = f"under {_where(loc[:-1])}" if loc[:-1] else "at the top level"
        what = f"{path}, line {line}: '{field}' is not a heading this file uses {place}."
        fix = (f"Did you mean '{close[0]}'? " if close else "") + (
            f"The headings allowed here are: {', '.join(known)}."
        )
        return what, fix, line
    if kind == "missing":
        what = f"{path}, line {line}: {_where(loc[:-1])} has no '{field}'."
        fix = f"Add '{field}: ' with " + _HINTS.get(str(field), "a value") + "."
        if field in ("start", "name", "action"):
            fix = f"Add '{field}: ' with " + _HINTS.get(str(field), "a short name") + "."
        return what, fix, line
    given = err.get("input")
    shown = (
        "nothing"
        if given is None
        else repr(given)
        if not isinstance(given, dict)
        else "a list of settings"
    )
    what = (
        f"{path}, line {line}: {_where(loc)} is {shown}; {err['msg'][:1].lower()}{err['msg'][1:]}."
    )
    hint = _HINTS.get(str(field))
    if hint is None and isinstance(field, int):
        hint = "text (one item per line starting with '- ')"
    if hint is None and kind in ("model_type", "model_attributes_type", "dict_type"):
        hint = "a set of 'heading: value' lines indented under it (see the template)"
    if hint is None and kind == "list_type":
        hint = "a list, one item per line starting with '- '"
    return what, f"Write {hint or 'text'}.", line


# --------------------------------------------------------------------------------------------
# Loading and checking
# --------------------------------------------------------------------------------------------


def load_activity(
    path: str | Path,
    wards: Mapping[str, str] | None = None,
    area: str | None = None,
    period: str | None = None,
) -> PartnershipActivity:
    """Read and check a partnership activity file.

    ``wards`` maps the area's ward codes to names: every ward code in the file must be one of them
    (skipped when None). ``area`` and ``period``, when given, must equal the file's. Raises
    :class:`ActivityFileError` (file, line, what to write) for anything the user can fix.
    """
    path = Path(path)
    if not path.is_file():
        raise ActivityFileError(
            f"The partnership activity file {path} does not exist.",
            "Check 'sources.partnership_activity' in the area config, or write a template with "
            "scrutiny activity-template --area <area> --period <YYYY-MM>.",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ActivityFileError(
            f"{path} is not UTF-8 text (byte {exc.start} cannot be read).",
            "Save the file as UTF-8 (most editors offer it under 'Save as... encoding').",
        ) from exc
    except OSError as exc:
        raise ActivityFileError(
            f"Cannot read {path}: {exc.strerror or exc}.", "Check the file is readable."
        ) from exc
    data, node = _parse(text, path)
    if not isinstance(data, dict):
        raise ActivityFileError(
            f"{path} does not hold the headings of a partnership activity return "
            f"(it holds {'nothing' if data is None else type(data).__name__}).",
            "Start from the template: scrutiny activity-template --area <area> --period <YYYY-MM>.",
            line=1,
        )
    try:
        activity = PartnershipActivity.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = _error_text(errors[0], path, node)
        what = first[0]
        if len(errors) > 1:
            more = [_error_text(e, path, node)[0].split(": ", 1)[-1] for e in errors[1:5]]
            lines = [_error_text(e, path, node)[2] for e in errors[1:5]]
            what += "".join(f"\n  Also line {ln}: {m}" for ln, m in zip(lines, more, strict=True))
            if len(errors) > 5:
                what += f"\n  ...and {len(errors) - 5} more."
        raise ActivityFileError(what, first[1], line=first[2]) from None
    _check_meaning(activity, path, node, wards, area, period)
    activity._ward_names = dict(wards or {})
    activity._source = path
    return activity


def _fail(path: Path, node, loc: tuple, what: str, fix: str) -> None:
    line, _ = _locate(node, loc)
    raise ActivityFileError(f"{path}, line {line}: {what}", fix, line=line)


def _check_meaning(
    act: PartnershipActivity,
    path: Path,
    node,
    wards: Mapping[str, str] | None,
    area: str | None,
    period: str | None,
) -> None:
    m = _MONTH.match(act.period)
    if not m or not 1 <= int(m.group(2)) <= 12:
        _fail(
            path,
            node,
            ("period",),
            f"the period {act.period!r} is not a month in the form YYYY-MM.",
            "Write the last month of the 12-month period, e.g. period: 2022-03.",
        )
    if area is not None and act.area != area:
        _fail(
            path,
            node,
            ("area",),
            f"this return is for the area {act.area!r}, not {area!r}.",
            f"Use the return written for {area}, or correct 'area:' if it is this area's.",
        )
    if period is not None and act.period != period:
        _fail(
            path,
            node,
            ("period",),
            f"this return is for the period ending {act.period}, not {period}.",
            "Point 'sources.partnership_activity' at the right period's file "
            "(write {period} in the path to pick it by period).",
        )
    for i, item in enumerate(act.initiatives):
        if item.end is not None and item.end < item.start:
            _fail(
                path,
                node,
                ("initiatives", i, "end"),
                f"initiative {item.name!r} ends ({item.end}) before it starts ({item.start}).",
                "Correct the dates: 'start' is the first day, 'end' the last.",
            )
        if not item.wards and not item.locality:
            _fail(
                path,
                node,
                ("initiatives", i),
                f"initiative {item.name!r} says neither where it took place ('wards') nor its "
                "'locality'.",
                "Add 'wards: [ward codes]' or 'locality: <place>' (e.g. 'locality: Whole area').",
            )
    ct = act.community_trigger
    order = list(TRIGGER_STAGES)
    for a, b in zip(order, order[1:], strict=False):
        va, vb = getattr(ct, a), getattr(ct, b)
        if va is not None and vb is not None and vb > va:
            _fail(
                path,
                node,
                ("community_trigger", b),
                f"{TRIGGER_STAGES[b].lower()} ({vb}) is more than {TRIGGER_STAGES[a].lower()} "
                f"({va}).",
                "Each stage counts some of the one before it: check both figures.",
            )
    if wards is None:
        return
    known = {str(k): str(v) for k, v in wards.items()}
    by_name = {v.casefold(): k for k, v in known.items()}
    for section in ("initiatives", "priority_neighbourhoods", "next_three_months"):
        for i, item in enumerate(getattr(act, section)):
            for j, code in enumerate(item.wards):
                if code in known:
                    continue
                if code.casefold() in by_name:
                    hint = f"'{code}' is a ward name: write its code, {by_name[code.casefold()]}."
                else:
                    close = difflib.get_close_matches(code, list(known), n=1)
                    hint = (f"Did you mean {close[0]} ({known[close[0]]})? " if close else "") + (
                        "Use the ward codes of the area's ward boundary file."
                    )
                _fail(
                    path,
                    node,
                    (section, i, "wards", j),
                    f"{code!r} is not one of the area's {len(known)} wards.",
                    hint,
                )


# --------------------------------------------------------------------------------------------
# Finding the area's file
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivitySource:
    """Where an area's activity file for a period should be; ``path`` None = not configured."""

    path: Path | None
    configured: bool

    @property
    def present(self) -> bool:
        return self.path is not None and self.path.is_file()


def activity_source(cfg, period: str) -> ActivitySource:
    """The file ``sources.partnership_activity`` names for ``period`` (which may not exist)."""
    value = (cfg.sources or {}).get(SOURCE_KEY)
    if isinstance(value, dict):
        value = value.get("path")
    if not value:
        return ActivitySource(None, False)
    text = str(value)
    if "{period}" in text:
        text = text.replace("{period}", paths.safe_name(period, "period"))
    p = paths.resolve(text)
    if p.is_dir():
        p = p / f"{paths.safe_name(period, 'period')}.yaml"
    return ActivitySource(p, True)


def area_wards(cfg, period: str | None = None) -> dict[str, str]:
    """The area's ward codes → names.

    After cleaning, the processed ward table for ``period`` holds exactly the area's wards (after
    any ``geography`` restriction); before it, the ward boundary file (``sources.wards``) is
    read, keeping only ``geography.area_wards`` when that lists codes.
    """
    if period is not None:
        processed = paths.processed_dir(cfg.area, period) / "wards.parquet"
        if processed.is_file():
            import pandas as pd

            df = pd.read_parquet(processed, columns=["ward_code", "ward_name"])
            codes, names = df["ward_code"].astype(str), df["ward_name"].astype(str)
            return dict(sorted(zip(codes, names, strict=True)))
    import pyogrio

    path = cfg.source("wards")
    code_col = cfg.geography.get("ward_code", "ward_code")
    name_col = cfg.geography.get("ward_name", "ward_name")
    try:
        df = pyogrio.read_dataframe(path, read_geometry=False, columns=[code_col, name_col])
    except Exception as exc:
        raise DataFileError(
            f"Cannot read the ward codes from {path}: {exc}.",
            "Check 'sources.wards' and 'geography.ward_code' in the area config.",
        ) from exc
    out = dict(zip(df[code_col].astype(str), df[name_col].astype(str), strict=True))
    keep = cfg.geography.get("area_wards")
    if keep:
        out = {k: v for k, v in out.items() if k in {str(c) for c in keep}}
    return dict(sorted(out.items()))


def load_area_activity(cfg, period: str) -> PartnershipActivity | None:
    """The area's checked activity return for ``period``; None when none was supplied.

    None when the config has no ``sources.partnership_activity`` or its file for this period does
    not exist (the report then says plainly that no return was supplied). A file that exists but
    is wrong raises :class:`ActivityFileError`.
    """
    src = activity_source(cfg, period)
    if not src.present:
        return None
    return load_activity(src.path, wards=area_wards(cfg, period), area=cfg.area, period=period)


# --------------------------------------------------------------------------------------------
# The empty template
# --------------------------------------------------------------------------------------------

TEMPLATE = """\
# Partnership activity return: {area_name}, {period_name}.
# Fill in what the Community Safety Partnership did in these 12 months; leave a section empty if
# there is nothing to report. An empty count means "not known", which is not the same as 0.
# Lines starting with # are notes and are ignored. Keep the indentation (spaces, not tabs).
# Ward codes must be among the area's wards, for example: {ward_examples}.
area: {area}
period: {period}          # last month of the 12-month period
prepared_by:              # e.g. Community Safety Manager, Wexley Borough Council

priorities:
# - name: Serious acquisitive crime
#   description: Burglary, robbery and vehicle crime

initiatives:              # named pieces of work, with where and when
# - name: Operation Example
#   description: Extra patrols in the town centre on Friday and Saturday nights
#   wards: [{ward_example}]       # ward codes; or instead (or as well) a locality:
#   locality: Town centre
#   start: 2021-07-01             # YYYY-MM-DD, or a month YYYY-MM
#   end: 2021-09-30               # leave empty if still running
#   priority: Serious acquisitive crime

enforcement:              # numbers issued; leave empty where not known
  this_period:
    community_protection_warnings:
    community_protection_notices:
    criminal_behaviour_orders:
    closure_orders:
    injunctions:
    acceptable_behaviour_contracts:
  previous_period:        # the 12 months before
    community_protection_warnings:
    community_protection_notices:
    criminal_behaviour_orders:
    closure_orders:
    injunctions:
    acceptable_behaviour_contracts:

community_trigger:        # ASB case reviews (Community Trigger) in this period
  received:
  met_threshold:
  case_reviews:
  reviews_with_recommendations:

priority_neighbourhoods:
# - name: Example Estate
#   wards: [{ward_example}]
#   actions:
#     - Monthly multi-agency walkabout with residents

next_three_months:        # plans for the coming three months
# - action: Week of action against knife crime
#   when: May 2022
#   locality: Whole area
"""


def activity_template(
    area: str, period: str, area_name: str | None = None, wards: Mapping[str, str] | None = None
) -> str:
    """The empty, commented template for ``area`` and ``period`` (it loads as an empty return)."""
    from helpers.core.periods import ReportingPeriod

    codes = list(wards or {})
    examples = ", ".join(f"{c} ({wards[c]})" for c in codes[:2]) if codes else "E05012345"
    return TEMPLATE.format(
        area=area,
        period=period,
        area_name=area_name or area,
        period_name=ReportingPeriod(period).name,
        ward_examples=examples,
        ward_example=codes[0] if codes else "E05012345",
    )


def write_activity_template(
    target: Path, area: str, period: str, area_name: str | None = None, wards=None
) -> Path:
    """Write the template to ``target``; refuse to overwrite an existing file."""
    from helpers.core.errors import OutputError

    target = Path(target)
    if target.exists():
        raise OutputError(
            f"{target} already exists; it was not overwritten.",
            "Edit that file, or move it away first if you want a fresh template.",
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("x", encoding="utf-8") as fh:
            fh.write(activity_template(area, period, area_name, wards))
    except FileExistsError as exc:
        raise OutputError(f"{target} already exists; it was not overwritten.") from exc
    except OSError as exc:
        raise OutputError(
            f"Cannot write {target}: {exc.strerror or exc}.",
            "Check the folder is writable and the disk is not full.",
        ) from exc
    return target


def write_activity_template_for(area_or_config: str, period: str, out: str | Path | None = None):
    """``scrutiny activity-template``: the template where the area's config looks for it.

    Without ``out`` the file goes where ``sources.partnership_activity`` points for ``period``
    (or ``data/raw/<area>/partnership_activity/<period>.yaml`` when the key is not set).
    """
    from helpers.core.config import load_area_config
    from helpers.core.periods import parse_month

    cfg = load_area_config(area_or_config)
    period = str(parse_month(period, "period"))
    if out is None:
        src = activity_source(cfg, period)
        out = src.path or (
            paths.raw_dir() / cfg.area / "partnership_activity" / f"{paths.safe_name(period)}.yaml"
        )
    try:
        wards = area_wards(cfg, period)
    except DataFileError:
        wards = {}
    return write_activity_template(Path(out), cfg.area, period, cfg.name, wards)
