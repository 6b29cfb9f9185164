"""Area configuration: one YAML per area in ``config/``, checked against a strict schema.

``load_area_config("wexley")`` or ``load_area_config("config/wexley.yaml")`` returns an
:class:`AreaConfig`. The reporting period is never in the config; it is a parameter.

The schema (:class:`AreaSchema`, pydantic v2) knows every key at every level, its type and its
range. Nothing is coerced: ``synthetic: "false"`` (a quoted word) is refused rather than read as
true, ``disclosure_threshold: "5"`` is refused rather than turned into 5. The YAML is read by a
loader that refuses a key repeated in one mapping (YAML would silently keep the last) and any
anchor or alias (``&name`` / ``*name``: an alias bomb expands to gigabytes). Every problem is a
:class:`~helpers.core.errors.ConfigError` naming the file, the key path (``analysis.baselines``),
the value and what to write instead -- all problems of a file at once, never a traceback.

The loaded config records its file's sha256 (:attr:`AreaConfig.sha256`) so a run can say exactly
which settings it used.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from helpers.core import paths
from helpers.core.errors import ConfigError
from helpers.core.periods import MONTH_PATTERN

STANDARD_BASELINES = {
    "pre-COVID (year to Dec 2019)": "2019-12",
    "year to June 2019": "2019-06",
}
# How an area is cut out of its force (helpers.ingest.area applies it): at most one of these
# geography keys; none means the whole force area.
AREA_KEYS = ("area_filter", "area_wards", "area_boundary")
FORCE_AREA = "force area"
CSP_AREA = "community safety partnership"
LIMIT_METHODS = ("funnel_overdispersed", "funnel", "mean_sd")  # helpers.stages.msg.LIMIT_METHODS
EXAMPLE = "config/wexley.yaml"
LOCALITY_RULES = ("wards", "lsoas", "districts", "rest")  # one per locality
RUN_CONFIG_ENV = "CSP_SCRUTINY_CONFIG"  # set by the batch runner: the config file of this run

# --------------------------------------------------------------------------- the schema

Text = Annotated[str, Field(min_length=1, max_length=500)]
Month = Annotated[str, Field(pattern=MONTH_PATTERN)]


class _Model(BaseModel):
    """Every level refuses unknown keys and never coerces a value to another type."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Force(_Model):
    name: Text  # "Falls within" in police.uk files
    slug: Text  # police.uk file names (checked as a safe path component after the schema)


class ExtractColumns(_Model):
    """Our column name -> the column name in this force's export (required: the first three)."""

    offence_id: Text
    date: Text
    ho_code: Text
    hour: Text | None = None
    offence_description: Text | None = None
    offence_group: Text | None = None
    offence_subgroup: Text | None = None
    domestic_flag: Text | None = None
    location_type: Text | None = None
    lsoa_code: Text | None = None
    easting: Text | None = None
    northing: Text | None = None
    knife_crime: Text | None = None  # flag: the offence involved a knife or sharp instrument
    firearm: Text | None = None  # flag: the offence involved a firearm
    victim_id: Text | None = None  # the victim's reference (distinct victims are counted)


class ForceExtract(_Model):
    path: Text
    columns: ExtractColumns | None = None


class WardPopulation(_Model):
    """``sources.ward_population`` as a mapping: a spreadsheet (or CSV) and its columns."""

    path: Text
    sheet: Text | None = None
    ward_code: Text | None = None
    population: Text | None = None
    year: Annotated[int, Field(ge=1990, le=2100)] | None = None


def _path_or_mapping(value: Any) -> Any:
    """A plain path is shorthand for ``{path: ...}`` (checked the same way)."""
    return {"path": value} if isinstance(value, str) else value


class Sources(_Model):
    police_uk: Text | None = None  # folder tree, monthly sub-folders or a police.uk zip
    force_extract: ForceExtract | None = None
    home_office_csp: Text | None = None
    csp_population: Text | None = None
    msg: Text | None = None
    wards: Text | None = None
    ward_population: WardPopulation | None = None
    lsoa_lookup: Text | None = None
    partnership_activity: Text | None = None  # activity returns: a YAML file or a folder of them
    home_office_pfa: Text | None = None  # Home Office recorded crime by police force area
    force_population: Text | None = None  # mid-year population by force
    victim_survey: Text | None = None  # victim satisfaction CSV (helpers.ingest.survey)

    @field_validator("force_extract", "ward_population", mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        return _path_or_mapping(v)


class Geography(_Model):
    crs: Annotated[str, Field(pattern=r"^[A-Za-z]+:\d+$")] = "EPSG:27700"
    ward_code: Text = "ward_code"
    ward_name: Text = "ward_name"
    area_filter: dict[Text, Annotated[list[Text], Field(min_length=1)]] | None = None
    area_wards: Annotated[list[Text], Field(min_length=1)] | None = None
    area_boundary: Text | None = None

    @field_validator("area_filter", mode="before")
    @classmethod
    def _one_code(cls, v: Any) -> Any:  # {LAD19CD: E06000057} is shorthand for a list of one
        if isinstance(v, dict):
            return {k: [c] if isinstance(c, str) else c for k, c in v.items()}
        return v

    @model_validator(mode="after")
    def _at_most_one_area(self) -> Geography:
        given = [
            k
            for k in ("area_filter", "area_wards", "area_boundary")
            if getattr(self, k) is not None
        ]
        if len(given) > 1:
            raise ValueError(
                f"{' and '.join(given)} are both set; the area is defined by at most one of "
                "area_filter, area_wards and area_boundary -- keep one"
            )
        return self


class ExceptionalPeriod(_Model):
    name: Text
    start: Month
    end: Month

    @model_validator(mode="after")
    def _ordered(self) -> ExceptionalPeriod:
        if self.end < self.start:
            raise ValueError(f"ends ({self.end}) before it starts ({self.start}); swap them")
        return self


class Analysis(_Model):
    baselines: dict[Text, Month] | None = None  # name -> last month of the 12
    disclosure_threshold: Annotated[int, Field(ge=1, le=1000)] = 5
    msg_limit_method: Literal["funnel_overdispersed", "funnel", "mean_sd"] = "funnel_overdispersed"
    exceptional_periods: list[ExceptionalPeriod] | None = None


class Committee(_Model):
    name: Text
    meeting_date: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    author: Text
    contact: Text
    title: Text | None = None

    @field_validator("meeting_date", mode="before")
    @classmethod
    def _date_text(cls, v: Any) -> Any:  # YAML reads an unquoted 2022-05-10 as a date
        if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
            return v.isoformat()
        return v

    @field_validator("meeting_date")
    @classmethod
    def _real_date(cls, v: str) -> str:
        try:
            dt.date.fromisoformat(v)
        except ValueError as exc:
            raise ValueError(f"{v} is not a calendar date") from exc
        return v


class Locality(_Model):
    """One locality of ``localities``: a name and exactly one way of saying what it holds.

    ``wards`` (ward codes or exact names of the area's wards), ``lsoas`` (LSOA codes),
    ``districts`` (former local authority districts: codes or exact names in the LSOA lookup),
    or ``rest: true`` (every ward of the area no other locality names: the remainder rule).
    """

    name: Text
    wards: Annotated[list[Text], Field(min_length=1)] | None = None
    lsoas: Annotated[list[Text], Field(min_length=1)] | None = None
    districts: Annotated[list[Text], Field(min_length=1)] | None = None
    rest: Literal[True] | None = None

    @model_validator(mode="after")
    def _one_rule(self) -> Locality:
        given = [k for k in LOCALITY_RULES if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"locality {self.name!r} "
                + (f"sets {' and '.join(given)}" if given else "lists nothing")
                + "; give exactly one of wards: [...], lsoas: [...], districts: [...] or "
                "rest: true (the wards no other locality names)"
            )
        items = getattr(self, given[0])
        if isinstance(items, list):
            twice = sorted({x for x in items if items.count(x) > 1})
            if twice:
                raise ValueError(
                    f"locality {self.name!r} lists {', '.join(twice)} twice; list each once"
                )
        return self


def _check_localities(v: list[Locality] | None) -> list[Locality] | None:
    """Across localities: unique names, at most one remainder, one kind of building block."""
    if not v:
        return v
    seen: dict[str, int] = {}
    for i, loc in enumerate(v):
        key = loc.name.strip().lower()
        if key in seen:
            first = v[seen[key]].name
            same = repr(first) if first == loc.name else f"{first!r} and {loc.name!r}"
            raise ValueError(
                f"two localities are named {same} (entries {seen[key] + 1} and {i + 1}); "
                "give each locality its own name"
            )
        seen[key] = i
    rests = [loc.name for loc in v if loc.rest]
    if len(rests) > 1:
        raise ValueError(
            f"{' and '.join(repr(n) for n in rests)} both say rest: true; at most one locality "
            "can take the wards no other locality names"
        )
    kinds = {"lsoas" if loc.lsoas is not None else "wards" for loc in v if not loc.rest}
    if len(kinds) > 1:
        raise ValueError(
            "some localities are lists of LSOAs and others of wards or districts; crimes are "
            "placed in localities one way, so use LSOAs for all of them or wards/districts for all"
        )
    return v


COMMISSIONER_MEASURES = (
    "all_crime",
    "knife_crime",
    "firearm_crime",
    "sexual_offences",
    "neighbourhood",
    "vap.homicide",
    "victim_satisfaction",
)


class NationalHomicide(_Model):
    """The national homicide rate the area's rate is printed beside (a reference figure)."""

    per_million: Annotated[float, Field(ge=0, le=1000)]
    period: Text  # the 12 months it covers, in words ("year ending March 2022")
    source: Text  # who published it ("ONS, Homicide in England and Wales")

    @field_validator("per_million", mode="before")
    @classmethod
    def _whole_is_fine(cls, v: Any) -> Any:  # 11 is as good as 11.0
        return float(v) if isinstance(v, int) and not isinstance(v, bool) else v


class Commissioner(_Model):
    """The Police and Crime Commissioner's measures (helpers.stages.commissioner)."""

    baseline: Month = "2019-06"  # last month of the 12-month baseline (national measures)
    measures: Annotated[list[Literal[COMMISSIONER_MEASURES]], Field(min_length=1)] | None = None
    national_homicide: NationalHomicide | None = None


class Outputs(_Model):
    """Reserved: no output settings exist yet, so any key here is refused."""


def _empty_block(v: Any) -> Any:  # a block whose lines are all commented out reads as null
    return {} if v is None else v


class AreaSchema(_Model):
    area: Text  # used in folder names: checked by paths.safe_name (an OutputError) after this
    name: Text
    csp_name: Text
    synthetic: bool = False
    force: Force
    sources: Sources
    geography: Geography = Field(default_factory=Geography)
    analysis: Analysis = Field(default_factory=Analysis)
    committee: Committee | None = None
    outputs: Outputs | None = None
    localities: Annotated[list[Locality], Field(min_length=1)] | None = None
    commissioner: Commissioner | None = None

    @field_validator("sources", "geography", "analysis", "outputs", "commissioner", mode="before")
    @classmethod
    def _blocks(cls, v: Any) -> Any:
        return _empty_block(v)

    @field_validator("localities")
    @classmethod
    def _localities(cls, v: list[Locality] | None) -> list[Locality] | None:
        return _check_localities(v)


# --------------------------------------------------------------------------- messages

_MODEL_NAMES = {
    m.__name__
    for m in (AreaSchema, Force, ExtractColumns, ForceExtract, WardPopulation, Sources, Geography)
    + (ExceptionalPeriod, Analysis, Committee, Outputs, Locality)
    + (ExceptionalPeriod, Analysis, Committee, Outputs, Commissioner, NationalHomicide)
}

_WHAT_TO_WRITE = {
    "area": "a short name of letters, digits, '-' or '_', e.g. area: wexley",
    "force.slug": "the force's police.uk name in lower case, e.g. slug: wexshire",
    "geography.crs": "an EPSG code, e.g. crs: EPSG:27700",
    "committee.meeting_date": "a date, e.g. meeting_date: 2022-05-10",
    "analysis.disclosure_threshold": "a whole number from 1, e.g. disclosure_threshold: 5",
    "analysis.msg_limit_method": "one of " + ", ".join(LIMIT_METHODS),
    "localities.rest": "rest: true (or leave the line out)",
    "commissioner.measures": "a list of some of " + ", ".join(COMMISSIONER_MEASURES),
    "commissioner.baseline": "a month, e.g. baseline: 2019-06",
}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _walk(loc: tuple) -> tuple[list[str], type[BaseModel] | None]:
    """The key path (pydantic's union/type tags dropped) and the model at its end."""
    model: type[BaseModel] | None = AreaSchema
    out: list[str] = []
    for part in loc:
        if model is not None and isinstance(part, str) and part in model.model_fields:
            out.append(part)
            model = _model_of(model.model_fields[part].annotation)
        elif model is None or isinstance(part, int):
            if isinstance(part, int):
                out.append(f"[{part}]")
            elif not re.fullmatch(r"(str|int|list\[.*\]|dict\[.*\]|[a-z-]+\[.*\]|none)", part):
                out.append(part)
        elif isinstance(part, str) and part in _MODEL_NAMES:
            continue  # a union member's class name
        else:
            out.append(str(part))
            model = None
    return out, model


def _dotted(keys: list[str]) -> str:
    return ".".join(keys).replace(".[", "[")


def describe_error(err: dict) -> str:
    """One line for one schema problem: key path, value, what is wrong, what to write."""
    try:
        return _describe(err)
    except Exception:  # noqa: BLE001 - a message must never become a traceback
        where = ".".join(str(p) for p in err.get("loc", ())) or "(top level)"
        return f"'{where}' is {_short(err.get('input'))}: {err.get('msg', 'not allowed')}."


def _describe(err: dict) -> str:
    keys, _ = _walk(tuple(err.get("loc", ())))
    kind, value = err.get("type", ""), err.get("input")
    key = _dotted(keys) or "(top level)"
    last = next((k for k in reversed(keys) if not k.startswith("[")), key)
    hint = _WHAT_TO_WRITE.get(re.sub(r"\[\d+\]", "", key))
    if kind == "extra_forbidden":
        parent_keys, parent = _walk(tuple(err["loc"][:-1]))
        allowed = sorted(parent.model_fields) if parent is not None else []
        close = difflib.get_close_matches(str(keys[-1]), allowed, n=1, cutoff=0.6)
        if not close:  # AREA for area, Analysis for analysis
            close = [a for a in allowed if a.lower() == str(keys[-1]).lower()][:1]
        did = f" (did you mean '{_dotted([*parent_keys, close[0]])}'?)" if close else ""
        allow = f" The keys allowed here are: {', '.join(allowed)}." if allowed else ""
        return f"unknown key '{key}'{did}. Remove it or correct its spelling.{allow}"
    if kind == "missing":
        return f"'{key}' is missing. Add it" + (f": {hint}." if hint else f" (see {EXAMPLE}).")
    if kind == "bool_type":
        if isinstance(value, str):
            return (
                f"'{key}' is the text {_short(value)}, not true or false. "
                f"Write {last}: {value.strip().lower()} without quotes (true or false)."
            )
        return (
            f"'{key}' is {_short(value)}, not true or false. Write {last}: true or {last}: false."
        )
    if kind == "string_type":
        if isinstance(value, dict | list):
            shape = "a list" if isinstance(value, list) else "a set of 'name: value' settings"
            return f"'{key}' is {shape} ({_short(value)}), not one value. Write {last}: <text>."
        quoted = "" if value is None else f' Put the value in quotes: {last}: "{value}".'
        if isinstance(value, bool):
            return (
                f"'{key}' is {str(value).lower()} (YAML reads an unquoted yes, no, on, off, true "
                f'or false as true/false), not text. Write the text in quotes, e.g. {last}: "...".'
            )
        if value is None:
            return f"'{key}' is empty. Give it a value or remove the line."
        return f"'{key}' is {_short(value)} ({type(value).__name__}), not text.{quoted}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return (
            f"'{key}' is {_short(value)} ({type(value).__name__}), but it must be a set of "
            f"'name: value' settings on the lines below it (see {EXAMPLE})."
        )
    if kind == "list_type":
        return (
            f"'{key}' is {_short(value)} ({type(value).__name__}), but it must be a list, "
            f"e.g. {last}: [first, second]."
        )
    if kind in ("int_type", "int_parsing", "int_from_float"):
        extra = (
            f" (quoted text: write it without quotes, e.g. {last}: {value.strip()})"
            if isinstance(value, str)
            else ""
        )
        return (
            f"'{key}' is {_short(value)}, not a whole number{extra}. Write "
            + (hint or f"{last}: <whole number>")
            + "."
        )
    if kind == "string_pattern_mismatch":
        if str(err.get("ctx", {}).get("pattern")) == MONTH_PATTERN:
            return f"'{key}' is {_short(value)}, not a month in the form YYYY-MM. Write e.g. 2019-12 (in quotes if you like)."
        return f"'{key}' is {_short(value)}, which is not allowed here. Write {hint or 'a value like the one in ' + EXAMPLE}."
    if kind == "literal_error":
        return f"'{key}' is {_short(value)}, which is not allowed here. Write {hint or err.get('msg')}."
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"'{key}' is {_short(value)}: {err.get('msg', '').lower()}. Write {hint or 'a value in range'}."
    if kind in ("string_too_short", "too_short"):
        return f"'{key}' is empty. Give it a value or remove the line."
    if kind == "value_error":
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        return f"'{key}': {msg}."
    return f"'{key}' is {_short(value)}: {err.get('msg', 'not allowed')}." + (
        f" Write {hint}." if hint else ""
    )


# --------------------------------------------------------------------------- reading YAML


class _Refused(Exception):
    def __init__(self, what: str, fix: str):
        self.what, self.fix = what, fix


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing anchors and aliases before anything is expanded.

    Dates are left as text (``2022-05-10`` stays ``"2022-05-10"``): the schema checks them, and
    an impossible date (``2022-02-30``) is then a message, not a crash in the YAML library.
    """

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def compose_node(self, parent, index):  # noqa: ANN001 - PyYAML's signature
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            mark = event.start_mark
            raise _Refused(
                f"line {mark.line + 1} uses a YAML anchor or alias "
                f"('&{event.anchor}' / '*{event.anchor}'), which area configs do not allow "
                "(an alias can expand to gigabytes)",
                "Write the value out in full where it is needed instead of '&name' and '*name'.",
            )
        return super().compose_node(parent, index)


def _check_duplicates(node: yaml.Node, where: list[str]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                dotted = _dotted([*where, str(key)])
                raise _Refused(
                    f"the key '{dotted}' appears twice (lines {seen[key]} and {line}); YAML would "
                    "silently keep only the second",
                    f"Merge the two '{key}' blocks into one (or delete the one you do not want).",
                )
            seen[key] = line
            _check_duplicates(value_node, [*where, str(key)])
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _check_duplicates(item, [*where, f"[{i}]"])


def read_yaml_strict(text: str) -> Any:
    """Parse YAML text, refusing repeated keys and anchors/aliases (raises ``_Refused``)."""
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_duplicates(node, [])
        try:
            return loader.construct_document(node)
        except (ValueError, TypeError, OverflowError) as exc:  # a value YAML itself cannot build
            raise _Refused(
                f"a value cannot be read ({exc})",
                "Put the value in quotes, or correct it (see config/wexley.yaml).",
            ) from None
    finally:
        loader.dispose()


# --------------------------------------------------------------------------- the loaded config


@dataclass(frozen=True)
class AreaConfig:
    """A validated area configuration.

    ``sources``, ``geography`` and ``analysis`` hold the settings as written (every one checked
    by :class:`AreaSchema`); ``sources`` paths are resolved against the project root by
    :meth:`source`. ``sha256`` is the config file's hash, recorded by every run.
    """

    area: str
    name: str
    csp_name: str
    force_name: str
    force_slug: str
    sources: dict[str, Any]
    synthetic: bool = False
    geography: dict[str, Any] = field(default_factory=dict)
    analysis: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    committee: dict[str, Any] = field(default_factory=dict)
    sha256: str | None = None
    localities: list[dict[str, Any]] = field(default_factory=list)  # as written, checked
    commissioner: dict[str, Any] = field(default_factory=dict)

    def source(self, key: str, required: bool = True) -> Path | None:
        """Resolved path of ``sources[key]`` (or ``sources[key]['path']``)."""
        value = self.sources.get(key)
        if isinstance(value, dict):
            value = value.get("path")
        if not value:
            if required:
                raise ConfigError(
                    f"{self.path or self.area}: 'sources.{key}' is not set.",
                    f"Add 'sources: {key}: <path>' to the area config.",
                )
            return None
        return paths.resolve(value)

    def source_options(self, key: str) -> dict[str, Any]:
        value = self.sources.get(key)
        return dict(value) if isinstance(value, dict) else {}

    @property
    def area_restrictions(self) -> list[str]:
        """The ``geography`` keys that cut this area out of its force (at most one is allowed)."""
        geo = self.geography or {}
        return [k for k in AREA_KEYS if geo.get(k) not in (None, {}, [], "")]

    @property
    def area_kind(self) -> str:
        """``"force area"`` (no restriction: the whole force) or ``"community safety partnership"``.

        The one place every page and stage learns which kind of area it reports on.
        """
        return CSP_AREA if self.area_restrictions else FORCE_AREA

    @property
    def crs(self) -> str:
        return self.geography.get("crs", "EPSG:27700")

    @property
    def disclosure_threshold(self) -> int:
        return int(self.analysis.get("disclosure_threshold", 5))

    @property
    def exceptional_periods(self) -> list[dict[str, str]]:
        """``[{name, start, end}]`` from ``analysis.exceptional_periods`` (empty when unset)."""
        return [dict(p) for p in self.analysis.get("exceptional_periods") or []]

    @property
    def baselines(self) -> dict[str, str]:
        """Named 12-month baselines (name -> last month): the standard ones, then the config's.

        Every area has the baselines the seeds use (the pre-COVID year to December 2019 and the
        12 months to June 2019); ``analysis.baselines`` in the config adds or overrides names.
        """
        out = dict(STANDARD_BASELINES)
        out.update({str(k): str(v) for k, v in (self.analysis.get("baselines") or {}).items()})
        return out


def available_areas() -> list[str]:
    """Names of the areas with a config file in ``config/``."""
    return sorted(p.stem for p in paths.config_dir().glob("*.yaml"))


def config_path(area_or_path: str | Path) -> Path:
    """The config file for an area name (``config/<name>.yaml``) or a path.

    A path is taken relative to the working directory when it exists there, otherwise relative
    to the project root; it may lie anywhere (it need not be in ``config/``).
    """
    text = str(area_or_path).strip()
    if text.endswith((".yaml", ".yml")) or "/" in text or "\\" in text:
        here = Path(text).expanduser()
        p = here.resolve() if here.exists() else paths.resolve(here)
        if not p.is_file():
            raise ConfigError(
                f"The config file {p} does not exist"
                + (" (it is a folder)." if p.is_dir() else "."),
                "Check the path (relative paths are read from the current folder, then the "
                "project root), or pass an area name "
                f"from config/: {', '.join(available_areas()) or '(none)'}.",
            )
        return p
    run = _run_config_for(text)
    if run is not None:
        return run
    p = paths.config_dir() / f"{paths.safe_name(text, 'area')}.yaml"
    if not p.exists():
        areas = available_areas()
        close = difflib.get_close_matches(text, areas, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"Unknown area {text!r}: there is no config/{text}.yaml.{hint}",
            f"Use one of: {', '.join(areas) or '(none)'}, or add a YAML file to config/.",
        )
    return p


def _run_config_for(area: str) -> Path | None:
    """The run's config file (``CSP_SCRUTINY_CONFIG``) when it is the config of ``area``.

    A batch run sets the variable for its stages, so code that knows only the area name (the
    panel pack, the PDF export) reads the same config file as the notebooks, not
    ``config/<area>.yaml``.
    """
    value = os.environ.get(RUN_CONFIG_ENV)
    if not value:
        return None
    p = Path(value)
    try:
        raw = read_yaml_strict(p.read_text(encoding="utf-8"))
    except (OSError, ValueError, _Refused, yaml.YAMLError):
        return None
    return p if isinstance(raw, dict) and str(raw.get("area")) == area else None


def run_config(area: str, config: str = "") -> AreaConfig:
    """The config a stage notebook runs with: ``config`` (a path) when given, else ``area``'s.

    Refuses a config whose ``area:`` is not ``area`` (outputs would land in another area's
    folders).
    """
    if not str(config or "").strip():
        return load_area_config(area)
    cfg = load_area_config(config)
    if area and cfg.area != str(area).strip():
        raise ConfigError(
            f"The config {cfg.path} is for area {cfg.area!r}, but the run is for area {area!r}.",
            f"Run with area = {cfg.area!r} (or leave the area out), or use that area's config.",
        )
    return cfg


def validate_config(raw: Any, where: str = "the config") -> AreaSchema:
    """Check parsed settings against :class:`AreaSchema`; every problem in one ConfigError."""
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{where} does not hold a mapping of settings ("
            + ("it is empty)." if raw is None else f"it holds {type(raw).__name__})."),
            f"See {EXAMPLE} for the shape: 'key: value' lines, blocks indented below their key.",
        )
    try:
        return AreaSchema.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        lines = [describe_error(e) for e in errors[:12]]
        more = f"\n  ... and {len(errors) - 12} more" if len(errors) > 12 else ""
        raise ConfigError(
            f"{where} has {len(errors)} problem(s):\n  - " + "\n  - ".join(lines) + more,
            f"Correct each key named above; docs/config.md lists every key, {EXAMPLE} is an example.",
        ) from None


def load_area_config(area_or_path: str | Path) -> AreaConfig:
    """Load and validate an area config by name (``"wexley"``) or path."""
    p = config_path(area_or_path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"Cannot read the config {p}: {exc.strerror or exc}.", "Check the file is readable."
        ) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{p} is not UTF-8 text (byte {exc.start} cannot be read).",
            "Save the config as UTF-8 (most editors offer it under 'Save as... encoding').",
        ) from exc
    try:
        raw = read_yaml_strict(text.lstrip("\ufeff"))
    except _Refused as exc:
        raise ConfigError(f"{p}: {exc.what}.", exc.fix) from None
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"{p} is not valid YAML: {exc}", "Fix the YAML syntax (indentation, colons)."
        ) from exc
    model = validate_config(raw, str(p))
    committee = model.committee.model_dump(exclude_none=True) if model.committee else {}
    return AreaConfig(
        area=paths.safe_name(model.area, "area"),
        name=model.name,
        csp_name=model.csp_name,
        force_name=model.force.name,
        force_slug=paths.safe_name(model.force.slug, "force slug"),
        sources=dict(raw.get("sources") or {}),
        synthetic=model.synthetic,
        geography=dict(raw.get("geography") or {}),
        analysis=dict(raw.get("analysis") or {}),
        path=p,
        committee=committee,
        sha256=hashlib.sha256(data).hexdigest(),
        localities=[loc.model_dump(exclude_none=True) for loc in model.localities or []],
        commissioner=model.commissioner.model_dump() if model.commissioner else {},
    )
