"""The measures registry: every measure a panel reads, defined once.

The reference table ``helpers/data/measures.csv`` holds one row per measure:

``measure_id``
    the key every stage output uses (``all_crime``, ``vap``, ``theft.residential_burglary``,
    ``sac``, ``asb`` ...).
``name``
    the printed name, the same on every page.
``kind``
    ``total`` | ``group`` | ``subgroup`` (Home Office offence groups and subgroups) |
    ``composite`` (serious acquisitive crime, neighbourhood crime, the police.uk categories that
    span groups) | ``asb`` | ``flagged`` (offences carrying a force flag, e.g. domestic abuse,
    knife or sharp instrument, firearm) | ``survey`` (a share from the victim survey, not a
    count of offences).
``select``
    what the measure includes, in a small rule language read by :func:`extract_mask`,
    :func:`csp_mask` and :func:`ho_codes`: terms joined by ``|`` (or), each term parts joined by
    ``+`` (and). Parts: ``all``, ``asb``, ``group=<Home Office offence group>``,
    ``subgroup=<Home Office offence subgroup>``, ``flag=sac`` / ``flag=neighbourhood`` (the
    composite columns of ``home_office_offence_codes.csv``), ``domestic`` (the force's domestic
    abuse flag), ``knife`` / ``firearm`` (the extract's knife or sharp instrument and firearm
    flags, :mod:`helpers.ingest.extract_flags`), ``survey`` (no offences: a survey measure).
``police_uk_types``
    the police.uk crime types its offence codes are published under (``;``-separated).
``police_uk_match``
    ``exact`` when those police.uk types hold exactly the measure's offence codes (police.uk
    then counts the same thing), ``approximate`` when they also hold other offences (police.uk
    cannot show the measure; ``police_uk_measure`` names the nearest measure it *can* show,
    with its own printed name), ``none`` when police.uk has nothing comparable.
``sources``
    the sources that can count the measure, in order of precedence (``force_extract`` — the
    force's own record with Home Office codes; ``home_office`` — the published table by
    Community Safety Partnership, used for comparisons with other partnerships because every
    partnership is counted the same way there; ``police_uk`` — street-level open data).
``definition``
    one plain-English sentence for the methods text.

Stages print a number for a measure by taking it from the first available source in
``sources`` (:func:`preferred_source`) and record it with :func:`record` so the reconciliation
check (:mod:`helpers.report.reconcile`) can prove the same measure, area and period has one
value everywhere. Where another source gives a different number, :func:`source_difference`
says by how much, for the methods text.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import pandas as pd

from helpers.core import narrative as N
from helpers.core.errors import ConfigError, ParameterError
from helpers.ingest import offences

KINDS = ("total", "group", "subgroup", "composite", "asb", "flagged", "survey")
MATCHES = ("exact", "approximate", "none")
SOURCES = ("force_extract", "home_office", "police_uk", "victim_survey")
SOURCE_NAMES = {
    "force_extract": "the force's offence extract",
    "victim_survey": "the force's victim satisfaction survey",
    "home_office": "the Home Office table of recorded crime by Community Safety Partnership",
    "police_uk": "police.uk",
}
#: Statistics a stage may record for a measure (the reconciliation key includes it).
STATISTICS = (
    "count",
    "count_in_wards",
    "rate_per_1000",
    "pct_change",
    "share_pct",
    "distinct_victims",  # different victims among a measure's offences (the Commissioner's)
    "rate_per_million",  # homicides per million residents
    "pct_satisfied",  # victim survey: % of respondents satisfied
)
#: Flag parts of ``select`` -> the processed extract column holding the flag.
FLAG_PARTS = {"domestic": "domestic_flag", "knife": "knife_crime", "firearm": "firearm"}


@dataclass(frozen=True)
class Measure:
    """One row of ``measures.csv`` (see the module docstring for each field)."""

    id: str
    name: str
    kind: str
    parent: str
    select: str
    police_uk_types: tuple[str, ...]
    police_uk_match: str
    police_uk_measure: str
    sources: tuple[str, ...]
    definition: str

    @property
    def terms(self) -> list[list[tuple[str, str]]]:
        """``select`` parsed: a list of or-terms, each a list of (field, value) and-parts."""
        out = []
        for term in self.select.split("|"):
            parts = []
            for part in term.split("+"):
                field, _, value = part.strip().partition("=")
                parts.append((field.strip(), value.strip()))
            out.append(parts)
        return out


def _split(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in (text or "").split(";") if x.strip())


@lru_cache(maxsize=1)
def registry() -> dict[str, Measure]:
    """Every measure by id, read from ``helpers/data/measures.csv`` and checked."""
    with resources.files("helpers.data").joinpath("measures.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out: dict[str, Measure] = {}
    for i, r in enumerate(rows, start=2):
        m = Measure(
            id=r["measure_id"].strip(),
            name=r["name"].strip(),
            kind=r["kind"].strip(),
            parent=r["parent"].strip(),
            select=r["select"].strip(),
            police_uk_types=_split(r["police_uk_types"]),
            police_uk_match=r["police_uk_match"].strip(),
            police_uk_measure=r["police_uk_measure"].strip(),
            sources=_split(r["sources"]),
            definition=r["definition"].strip(),
        )
        problems = []
        if m.id in out:
            problems.append("the id is used twice")
        if m.kind not in KINDS:
            problems.append(f"kind {m.kind!r} is not one of {KINDS}")
        if m.police_uk_match not in MATCHES:
            problems.append(f"police_uk_match {m.police_uk_match!r} is not one of {MATCHES}")
        if not m.sources or any(s not in SOURCES for s in m.sources):
            problems.append(f"sources {m.sources!r} must be some of {SOURCES}")
        for term in m.terms:
            for field, value in term:
                if field not in ("all", "asb", "group", "subgroup", "flag", "survey", *FLAG_PARTS):
                    problems.append(f"select part {field!r} is not known")
                if field == "flag" and value not in ("sac", "neighbourhood"):
                    problems.append(f"flag {value!r} is not sac or neighbourhood")
        if problems:
            raise ConfigError(
                f"measures.csv row {i} ({m.id or 'no id'}): {'; '.join(problems)}.",
                "Correct the measures reference table (see helpers.stages.measures).",
            )
        out[m.id] = m
    for m in out.values():
        for ref in (m.parent, m.police_uk_measure):
            if ref and ref not in out:
                raise ConfigError(
                    f"measures.csv: {m.id} refers to {ref!r}, which is not a measure.",
                    "Add that measure or correct the reference.",
                )
    return out


def get(measure_id: str) -> Measure:
    """The measure with this id; a clear error naming the known ids otherwise."""
    reg = registry()
    if measure_id not in reg:
        raise ParameterError(
            f"{measure_id!r} is not a measure in the registry.",
            f"Use one of: {', '.join(reg)}.",
        )
    return reg[measure_id]


def name(measure_id: str) -> str:
    """The printed name of a measure."""
    return get(measure_id).name


@lru_cache(maxsize=1)
def _by_name() -> dict[str, str]:
    return {m.name.lower(): m.id for m in registry().values()}


def id_for(label: str, level: str | None = None, source: str = "force_extract") -> str | None:
    """The measure id for a row label printed by a stage (``"Residential burglary"``), or None.

    ``source`` "police_uk" maps a composite whose police.uk count is only an approximation
    (serious acquisitive crime, neighbourhood crime) to the police.uk measure it really is.
    A group or subgroup label from police.uk data (a police.uk crime type) maps to the measure
    police.uk counts exactly, when there is one. A row labelled "... (composite)" (a group
    counted a second way, by offence code, when the force's groups disagree) maps to None.
    """
    text = str(label).strip()
    if text.endswith(" (composite)"):
        # the crime-group table's flag-based copy of a group that the force's own offence group
        # counts differently: a labelled second definition, not a second value of the measure
        return None
    key = text.lower()
    if level == "total":
        return "all_crime"
    if level == "asb":
        return "asb"
    if source == "police_uk":
        pu = police_uk_type_measure(text)
        if pu is not None and level in (None, "group", "subgroup"):
            return pu
    mid = _by_name().get(key)
    if mid is None:
        return None
    m = registry()[mid]
    if source == "police_uk" and m.police_uk_match == "approximate" and m.police_uk_measure:
        return m.police_uk_measure
    if source == "police_uk" and m.police_uk_match != "exact":
        return None
    return mid


def police_uk_type_measure(crime_type: str) -> str | None:
    """The measure a police.uk crime type counts exactly (``"Burglary"`` -> ``burglary``)."""
    for m in registry().values():
        if m.police_uk_types == (crime_type,) and m.police_uk_match == "exact":
            return m.id
    return None


# --------------------------------------------------------------------------- membership


@cache
def ho_codes(measure_id: str) -> frozenset[str]:
    """The Home Office offence codes (normalised, e.g. ``"8N"``) a measure includes.

    The ``domestic`` part adds no codes (it is a flag on an offence, not a kind of offence).
    ASB has no codes.
    """
    ref = offences.offence_codes()
    mask = pd.Series(False, index=ref.index)
    for term in get(measure_id).terms:
        part_mask = pd.Series(True, index=ref.index)
        for field, value in term:
            if field in ("asb", "survey"):
                part_mask &= False
            elif field == "group":
                part_mask &= ref["offence_group"] == value
            elif field == "subgroup":
                part_mask &= ref["offence_subgroup"] == value
            elif field == "flag":
                part_mask &= ref[value].astype(bool)
        mask |= part_mask
    return frozenset(ref.loc[mask, "offence_code"].map(offences.normalise_code))


def extract_mask(extract: pd.DataFrame, measure_id: str) -> pd.Series:
    """Rows of a processed force extract that belong to the measure (boolean Series).

    Uses the extract's Home Office ``offence_group`` / ``offence_subgroup`` (as the crime-group
    table does, so an offence with an unknown code still counts under its force group),
    ``is_sac`` / ``is_neighbourhood`` for the composites and ``domestic_flag`` (missing = not
    flagged; likewise the knife and firearm flags, and a flag column the extract lacks). ASB
    and survey measures are not in the extract: their mask is all False.
    """
    mask = pd.Series(False, index=extract.index)
    for term in get(measure_id).terms:
        part = pd.Series(True, index=extract.index)
        for field, value in term:
            if field in ("asb", "survey"):
                part &= False
            elif field == "group":
                part &= extract["offence_group"].astype("string").eq(value).fillna(False)
            elif field == "subgroup":
                part &= extract["offence_subgroup"].astype("string").eq(value).fillna(False)
            elif field == "flag":
                part &= extract[f"is_{value}"].fillna(False).astype(bool)
            elif field in FLAG_PARTS:
                col = FLAG_PARTS[field]
                flag = (
                    extract[col]
                    if col in extract.columns
                    else pd.Series(pd.NA, index=extract.index)
                )
                part &= flag.astype("boolean").fillna(False).astype(bool)
        mask |= part
    return mask.astype(bool)


def street_mask(street: pd.DataFrame, measure_id: str) -> pd.Series:
    """Rows of police.uk street data that a measure counts (boolean Series).

    Only for measures police.uk counts exactly (``police_uk_match == "exact"``); for an
    approximate one, ask for its ``police_uk_measure`` instead, so a police.uk count is never
    printed under a Home Office name it does not match.
    """
    m = get(measure_id)
    if m.police_uk_match != "exact":
        instead = f" Use {m.police_uk_measure!r} instead." if m.police_uk_measure else ""
        raise ParameterError(
            f"police.uk cannot count {m.name!r} exactly.{instead}",
            "Count it from the force extract or the Home Office table, or use the police.uk "
            "measure named in the registry.",
        )
    return street["crime_type"].astype("string").isin(m.police_uk_types).fillna(False)


def csp_mask(csp_counts: pd.DataFrame, measure_id: str) -> pd.Series:
    """Rows of the Home Office table by CSP that belong to the measure (by offence code when the
    table has one, else by offence group and subgroup)."""
    m = get(measure_id)
    if m.kind in ("flagged", "asb", "survey"):
        return pd.Series(False, index=csp_counts.index)
    if "offence_code" in csp_counts.columns:
        codes = ho_codes(measure_id)
        key = csp_counts["offence_code"].map(offences.normalise_code)
        return key.isin(codes)
    mask = pd.Series(False, index=csp_counts.index)
    for term in m.terms:
        part = pd.Series(True, index=csp_counts.index)
        for field, value in term:
            if field == "group":
                part &= csp_counts["offence_group"].eq(value)
            elif field == "subgroup":
                part &= csp_counts["offence_subgroup"].eq(value)
            elif field == "flag":
                return pd.Series(False, index=csp_counts.index)
        mask |= part
    return mask


def preferred_source(measure_id: str, available: list[str] | tuple[str, ...]) -> str | None:
    """The first of the measure's ``sources`` that is in ``available`` (None if none is)."""
    for s in get(measure_id).sources:
        if s in available:
            return s
    return None


# --------------------------------------------------------------------------- keyed records


def period_key(months) -> str:
    """A canonical key for the months a figure covers: ``"2021-04..2022-03"`` when they run
    without a gap, else ``"2021-04..2022-03 without 2021-07,2021-08"``."""
    ms = sorted({str(m) for m in months})
    if not ms:
        raise ParameterError("A figure covers no months.", "Record figures with their months.")
    full = [str(p) for p in pd.period_range(ms[0], ms[-1], freq="M")]
    gap = [m for m in full if m not in set(ms)]
    key = f"{ms[0]}..{ms[-1]}"
    return key + (f" without {','.join(gap)}" if gap else "")


def record(
    measure_id: str,
    area: str,
    months,
    value,
    where: str,
    statistic: str = "count",
    source: str = "",
) -> dict:
    """One keyed headline number for :func:`helpers.ingest.processed.save_stage_outputs`.

    ``where`` names the place it is printed (table or sentence) in words a lead can find.
    """
    get(measure_id)
    if statistic not in STATISTICS:
        raise ParameterError(
            f"Unknown statistic {statistic!r} for {measure_id}.", f"Use one of {STATISTICS}."
        )
    if value is None or (isinstance(value, float) and pd.isna(value)):
        v = None
    elif statistic.startswith("count"):
        v = int(value)
    else:
        v = round(float(value), 6)
    return {
        "measure": measure_id,
        "area": str(area),
        "period": period_key(months),
        "statistic": statistic,
        "value": v,
        "source": source,
        "where": where,
    }


def label_table(
    table: pd.DataFrame, source: str, label_col: str = "label", level_col: str | None = "level"
) -> pd.DataFrame:
    """A copy of a stage table with a ``measure_id`` column ("" where a row is no measure).

    When the counts come from police.uk, a composite police.uk can only approximate (serious
    acquisitive crime, neighbourhood crime) is relabelled with the printed name of the measure
    police.uk really counts, and its ``caveat`` (if the table has one) becomes that measure's
    definition, so a police.uk count is never printed under a Home Office name.
    """
    out = table.copy()
    kind = "police_uk" if source in ("police_uk", "police.uk") else "force_extract"
    ids, labels, caveats = [], [], []
    for _, r in out.iterrows():
        level = r[level_col] if level_col and level_col in out.columns else None
        mid = id_for(r[label_col], level, kind) or ""
        ids.append(mid)
        plain = id_for(r[label_col], level, "force_extract")
        relabel = (
            bool(mid)
            and plain is not None
            and plain != mid
            and registry()[plain].kind == "composite"
        )
        labels.append(registry()[mid].name if relabel else r[label_col])
        if "caveat" in out.columns:
            caveats.append(registry()[mid].definition if relabel else r["caveat"])
    out[label_col] = labels
    if "caveat" in out.columns:
        out["caveat"] = caveats
    out["measure_id"] = ids
    return out


# --------------------------------------------------------------------------- sentences


def source_difference(
    measure_id: str, shown: tuple[str, int], other: tuple[str, int], period_name: str
) -> str:
    """Methods text: how far another source's count of the same measure is from the one shown.

    ``shown`` and ``other`` are ``(source, count)``.
    """
    m = get(measure_id)
    (s1, n1), (s2, n2) = shown, other
    d = int(n2) - int(n1)
    if d == 0:
        return (
            f"{_cap(SOURCE_NAMES[s2])} gives the same figure for {_lc(m.name)} in "
            f"{period_name} ({N.fmt_int(n1)})."
        )
    pct = abs(d) / n1 * 100 if n1 else float("nan")
    return (
        f"For {_lc(m.name)} in {period_name} this pack shows {N.fmt_int(n1)} from "
        f"{SOURCE_NAMES[s1]}; {SOURCE_NAMES[s2]} gives {N.fmt_int(n2)}, "
        f"{N.fmt_int(abs(d))} ({'under 0.1%' if pct < 0.05 else N.fmt_pct(pct)}) "
        f"{'more' if d > 0 else 'fewer'}."
    )


def _lc(text: str) -> str:
    return text[:1].lower() + text[1:] if text and not text.split(" ")[0].isupper() else text


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def definition_note(measure_id: str) -> str:
    """'Serious acquisitive crime: residential burglary, ...' for a table note."""
    m = get(measure_id)
    return f"{m.name}: {_lc(m.definition)}."


__all__ = [
    "Measure",
    "registry",
    "get",
    "name",
    "id_for",
    "police_uk_type_measure",
    "ho_codes",
    "extract_mask",
    "street_mask",
    "csp_mask",
    "preferred_source",
    "period_key",
    "record",
    "label_table",
    "source_difference",
    "definition_note",
]
