"""Localities inside an area: the area's crime-group figures, once per named part of it.

Seed 001 reports West Northamptonshire CSP as two localities (Daventry & South Northants, and
Northampton), each with its own three-series crime-group chart (this year, last year and a
pre-COVID baseline) and key figures. An area config may name localities (``localities:`` in
the config, docs/config.md): lists of wards, of LSOAs, or of former districts (local authority
districts, found through the LSOA lookup the area already reads), or ``rest: true`` for the
wards no other locality names.

Rules
-----
- **Placement.** A crime is in a locality by the ward the cleaning stage already gave it
  (``ward_code``; for LSOA localities its ``lsoa_code``). There is no second placement rule.
  A row with no ward (or LSOA), or whose ward is in no locality, is counted as *not placed in a
  locality* and stated beside the figures, never dropped silently.
- **Figures.** Each locality's figures come from the same functions as the area's:
  :func:`helpers.stages.variance.variance_table` (change on last year, with its test) and
  :func:`helpers.stages.variance.three_series` (this year, last year, baseline by calendar
  month). The months compared are the area's (a small locality with no crime in a month is not
  treated as missing that month), so the localities' counts add up to the area's.
- **Small numbers.** Every percentage (change, change on the baseline, share of all crime)
  is blank when a count it rests on is below ``min_count``
  (:data:`helpers.core.statistics.SMALL_COUNT`).

Public functions
----------------
- :func:`resolve_localities` — the config's localities as sets of ward (or LSOA) codes, with
  clear errors (a code not in the area, a ward in two localities, wards left over).
- :func:`assign` — the locality of each row of a processed table.
- :func:`locality_sections` — the :class:`~helpers.core.sections.Section` list stage 02 shows
  and saves (``localities``: the long three-series table; ``localities_key``: key figures).

Caveat: a locality's percentage changes rest on smaller counts than the area's, so fewer of its
changes reach significance; a change that is significant for the area may not be for either
locality.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.core import narrative as N
from helpers.core.config import AreaConfig
from helpers.core.errors import ConfigError
from helpers.core.periods import ReportingPeriod
from helpers.core.sections import Section
from helpers.core.statistics import SMALL_COUNT
from helpers.stages import measures as MS
from helpers.stages import variance as V

__all__ = [
    "NOT_PLACED",
    "LocalityPlan",
    "resolve_localities",
    "assign",
    "locality_sections",
    "NO_LOCALITIES",
]

NOT_PLACED = "Not placed in a locality"
NO_LOCALITIES = "The area's configuration names no localities, so none are shown."
SERIES = ("baseline", "previous", "current")


@dataclass
class LocalityPlan:
    """What each locality holds: ``kind`` "ward" or "lsoa"; ``members`` name -> codes (config
    order); ``names`` code -> ward name; ``how`` name -> how it was defined, in words."""

    kind: str
    members: dict[str, frozenset[str]]
    how: dict[str, str]
    names: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def column(self) -> str:
        return "ward_code" if self.kind == "ward" else "lsoa_code"

    def members_table(self) -> pd.DataFrame:
        """``locality, code, name`` one row per ward (or LSOA), in config order."""
        rows = [
            {"locality": loc, "code": c, "name": self.names.get(c, "")}
            for loc, codes in self.members.items()
            for c in sorted(codes)
        ]
        return pd.DataFrame(rows, columns=["locality", "code", "name"])


def _examples(values, n: int = 5) -> str:
    vals = sorted({str(v) for v in values})
    return ", ".join(vals[:n]) + (" ..." if len(vals) > n else "")


def _close(item: str, pool) -> str:
    hit = difflib.get_close_matches(item, [str(p) for p in pool], n=1, cutoff=0.6)
    return f" (did you mean {hit[0]!r}?)" if hit else ""


def _match(
    item: str, codes: dict[str, str], what: str, loc: str, i: int, key: str, where
) -> set[str]:
    """Ward codes for one config item: its code, else the wards with exactly that name."""
    if item in codes:
        return {item}
    by_name = {c for c, n in codes.items() if n == item}
    if len(by_name) == 1:
        return by_name
    if len(by_name) > 1:
        raise ConfigError(
            f"{where}: localities[{i}].{key} ({loc!r}) names the {what} {item!r}, and the area "
            f"has {len(by_name)} {what}s of that name ({', '.join(sorted(by_name))}).",
            "Give the code instead of the name.",
        )
    pool = list(codes) + [n for n in codes.values() if n]
    raise ConfigError(
        f"{where}: localities[{i}].{key} ({loc!r}) names the {what} {item!r}{_close(item, pool)}, "
        f"which is not one of the area's {what}s; the area has {len(codes)}, such as "
        f"{_examples(codes)}.",
        f"Use the code or exact name of one of the area's {what}s (as in the cleaning report), "
        "or remove it.",
    )


def _district_wards(lookup, area_wards: dict[str, str]) -> tuple[dict[str, set[str]], dict]:
    """District code -> its wards (as the area's ward list codes them), and code -> name.

    Ward codes of the lookup are matched to the area's ward list by code, else by the same name
    in the same district (the rule the area itself uses across ward vintages).
    """
    frame = lookup.frame
    name_col = next(
        (c for c in lookup.raw.columns if c.upper().startswith("LAD") and c.upper().endswith("NM")),
        None,
    )
    frame = frame.assign(district_name=lookup.raw[name_col].astype("string") if name_col else pd.NA)
    by_name = {}
    for c, n in area_wards.items():
        by_name.setdefault(str(n).strip().lower(), set()).add(c)
    out: dict[str, set[str]] = {}
    dnames: dict[str, str] = {}
    for r in frame.dropna(subset=["district"]).itertuples(index=False):
        d = str(r.district)
        dnames[d] = str(r.district_name) if pd.notna(r.district_name) else d
        w = str(r.lookup_ward_code) if pd.notna(r.lookup_ward_code) else None
        if w is None:
            continue
        if w not in area_wards:
            same = by_name.get(str(r.lookup_ward_name).strip().lower(), set())
            if len(same) != 1:
                continue
            w = next(iter(same))
        out.setdefault(d, set()).add(w)
    return out, dnames


def resolve_localities(
    cfg: AreaConfig,
    area_wards: dict[str, str],
    lookup=None,
    area_lsoas: set[str] | None = None,
) -> LocalityPlan | None:
    """The config's localities as codes of the area's wards (or LSOAs); None when it names none.

    ``area_wards`` is code -> name for every ward of the area (the processed ward table);
    ``lookup`` the LSOA lookup (:class:`helpers.ingest.area.Lookup`, needed for ``districts``);
    ``area_lsoas`` the area's LSOA codes (needed for ``lsoas``). Raises
    :class:`~helpers.core.errors.ConfigError` for a ward, LSOA or district not in the area, a
    ward (or LSOA) in two localities, and wards left over with no ``rest: true`` locality.
    """
    specs = list(cfg.localities or [])
    if not specs:
        return None
    where = cfg.path or cfg.area
    kind = "lsoa" if any("lsoas" in s for s in specs) else "ward"
    what = "ward" if kind == "ward" else "LSOA"
    if kind == "lsoa":
        units = {c: "" for c in sorted(area_lsoas or ())}
        if not units:
            raise ConfigError(
                f"{where}: the localities are lists of LSOAs, but the area's LSOAs are not known "
                "(no LSOA lookup was read for it).",
                "Add sources.lsoa_lookup to the config, or define the localities by wards.",
            )
    else:
        units = dict(area_wards)
    members: dict[str, set[str]] = {}
    how: dict[str, str] = {}
    district_map = None
    for i, s in enumerate(specs):
        name = s["name"]
        got: set[str] = set()
        if "wards" in s or "lsoas" in s:
            key = "wards" if "wards" in s else "lsoas"
            for item in s[key]:
                got |= _match(str(item), units, what, name, i, key, where)
            how[name] = f"{len(got)} {what}{'s' if len(got) != 1 else ''} listed"
        elif "districts" in s:
            if lookup is None or lookup.district_col is None:
                raise ConfigError(
                    f"{where}: localities[{i}] ({name!r}) is a list of districts, but "
                    + (
                        "no LSOA lookup is set (sources.lsoa_lookup)"
                        if lookup is None
                        else f"the LSOA lookup {lookup.label} has no district (LAD..CD) column"
                    )
                    + " to find their wards in.",
                    "Add the ONS LSOA to ward to district lookup as sources.lsoa_lookup, or list "
                    "the locality's wards instead.",
                )
            if district_map is None:
                district_map = _district_wards(lookup, units)
            dwards, dnames = district_map
            labels = []
            for item in s["districts"]:
                item = str(item)
                code = (
                    item
                    if item in dnames
                    else next((c for c, n in dnames.items() if n == item), None)
                )
                if code is None:
                    raise ConfigError(
                        f"{where}: localities[{i}].districts ({name!r}) names {item!r}"
                        f"{_close(item, list(dnames) + list(dnames.values()))}, which is not a "
                        f"district code or name in the LSOA lookup {lookup.label}.",
                        "Use the district's code (e.g. LAD19CD) or its exact name as the lookup "
                        "writes it.",
                    )
                inside = dwards.get(code, set()) & set(units)
                if not inside:
                    raise ConfigError(
                        f"{where}: localities[{i}].districts ({name!r}) names the district "
                        f"{dnames[code]} ({code}), but none of its wards is in the area.",
                        "Name a district inside the area, or remove it.",
                    )
                got |= inside
                labels.append(dnames[code])
            how[name] = f"former district{'s' if len(labels) > 1 else ''} " + N.join_names(labels)
        else:  # rest: filled in below
            how[name] = "rest"
        for other, codes in members.items():
            both = got & codes
            if both:
                sample = ", ".join(
                    f"{units.get(c) or c} ({c})" if units.get(c) else c for c in sorted(both)[:5]
                )
                raise ConfigError(
                    f"{where}: {len(both)} {what}(s) are in two localities, {other!r} and "
                    f"{name!r}: {sample}{' ...' if len(both) > 5 else ''}.",
                    f"Put each {what} in one locality only.",
                )
        members[name] = got
    covered = set().union(*members.values())
    left = sorted(set(units) - covered)
    rest = next((s["name"] for s in specs if s.get("rest")), None)
    if rest is not None:
        if not left:
            raise ConfigError(
                f"{where}: locality {rest!r} says rest: true, but every {what} of the area is "
                "already in another locality, so it would be empty.",
                "Remove the rest: true locality.",
            )
        members[rest] = set(left)
        how[rest] = f"the other {len(left)} {what}{'s' if len(left) != 1 else ''} of the area"
    elif left:
        sample = ", ".join(f"{units.get(c)} ({c})" if units.get(c) else c for c in left[:10])
        raise ConfigError(
            f"{where}: the localities leave {len(left)} of the area's {len(units)} {what}s in "
            f"no locality: {sample}{' ...' if len(left) > 10 else ''}.",
            f"Add them to a locality, or add a locality that takes every {what} no other one "
            "names: {name: Rest of area, rest: true}.",
        )
    return LocalityPlan(
        kind,
        {k: frozenset(v) for k, v in members.items()},
        how,
        {c: n for c, n in units.items() if n},
    )


def assign(df: pd.DataFrame | None, plan: LocalityPlan) -> pd.Series:
    """The locality of each row of ``df`` by its ``ward_code`` (or ``lsoa_code``);
    :data:`NOT_PLACED` when it has none or it is in no locality."""
    if df is None:
        return pd.Series(dtype="string")
    col = plan.column
    if col not in df.columns:
        return pd.Series(NOT_PLACED, index=df.index, dtype="string")
    where = {c: loc for loc, codes in plan.members.items() for c in codes}
    out = df[col].astype("string").map(where)
    return out.fillna(NOT_PLACED).astype("string")


# --------------------------------------------------------------------------- figures


def _pct(n: float, d: float, min_count: int) -> float | None:
    """n as a % of d, or None under the small-number rule (d below ``min_count``)."""
    if d is None or d < max(min_count, 1):
        return None
    return float(n) / float(d) * 100


def _change_pct(cur: float, prev: float, min_count: int) -> float | None:
    if min(cur, prev) < min_count or prev <= 0:
        return None
    return (cur - prev) / prev * 100


def _key_row(
    name: str,
    how: str,
    result: V.VarianceResult,
    series: V.ThreeSeries,
    min_count: int,
    extract: pd.DataFrame | None,
    months: list[str],
) -> dict[str, Any]:
    t = result.table
    allc = t[t["level"] == "total"].iloc[0]
    groups = t[t["level"] == "group"].sort_values(["current", "label"], ascending=[False, True])
    top = groups.iloc[0] if len(groups) else None
    ts = series.table
    ts_all = ts[ts["level"] == "total"].iloc[0]
    base = ts_all["baseline"] if series.baseline_available else None
    vap = t[t["label"] == V.VAP]
    row: dict[str, Any] = {
        "locality": name,
        "defined_by": how,
        "all_crime_previous": int(allc["previous"]),
        "all_crime_current": int(allc["current"]),
        "all_crime_change": int(allc["change"]),
        "all_crime_pct_change": None if pd.isna(allc["pct_change"]) else float(allc["pct_change"]),
        "all_crime_significant": bool(allc["significant"]),
        "all_crime_baseline": None if base is None or pd.isna(base) else int(base),
        "baseline_pct_change": None
        if base is None or pd.isna(base)
        else _change_pct(int(ts_all["current"]), int(base), min_count),
        "largest_group": "" if top is None else str(top["label"]),
        "largest_group_share": None
        if top is None
        else _pct(top["current"], allc["current"], min_count),
        "violence_share": None
        if vap.empty
        else _pct(vap["current"].iloc[0], allc["current"], min_count),
        "domestic_share_of_violence": None,
    }
    if not vap.empty and extract is not None and "domestic_flag" in extract.columns:
        cur = extract[extract["month"].astype(str).isin(months) & extract["is_vap"].fillna(False)]
        row["domestic_share_of_violence"] = _pct(
            int(cur["domestic_flag"].fillna(False).astype(bool).sum()), len(cur), min_count
        )
    # No ASB count per locality is published: it is police.uk's, like stage 04's ward ASB
    # cells, and a locality total beside those cells could narrow a suppressed one.
    return row


def _sentences(name: str, key: dict[str, Any], result: V.VarianceResult, base_label: str) -> str:
    """The seed's paragraph for one locality, from its figures (small-number rule obeyed)."""
    window = f"the {len(result.current_months)} months to " + pd.Period(
        result.period.end, freq="M"
    ).strftime("%B %Y")
    cur, prev = key["all_crime_current"], key["all_crime_previous"]
    sig = (
        "a statistically significant change"
        if key["all_crime_significant"]
        else "within the range expected from year-to-year chance variation"
    )
    out = [
        f"**{name}.** Recorded crime {V.change_words(cur, prev, result.min_count)} during "
        f"{window} ({N.fmt_int(prev)} to {N.fmt_int(cur)} crimes), {sig}."
    ]
    b = key["all_crime_baseline"]
    if b is not None:
        pct = key["baseline_pct_change"]
        out.append(
            f"Against the baseline, {base_label}, it is "
            + (
                f"{N.fmt_pct(pct, signed=True)}"
                if pct is not None
                else f"{cur - b:+,} crimes (too few for a percentage)"
            )
            + f" ({N.fmt_int(b)} then)."
        )
    if key["largest_group"] and key["largest_group_share"] is not None:
        out.append(
            f"The largest group is {key['largest_group'][:1].lower() + key['largest_group'][1:]}, "
            f"{N.fmt_pct(key['largest_group_share'])} of recorded crime."
        )
    if key["domestic_share_of_violence"] is not None:
        out.append(
            f"Offences flagged as domestic are {N.fmt_pct(key['domestic_share_of_violence'])} of "
            "violence against the person."
        )
    return " ".join(out)


def _subset(records: V.CrimeRecords, frame: pd.DataFrame, months: list[str]) -> V.CrimeRecords:
    """Records of a part of the area, keeping the area's months (a locality with no crime in a
    month is not missing that month) and source."""
    if records.source == V.SOURCE_EXTRACT:
        sub = V.records_from_extract(frame)
    else:
        sub = V.records_from_street(frame)
    return replace(sub, available_months=list(months))


def area_units(data, cfg: AreaConfig, lookup=None) -> tuple[dict[str, str], set[str]]:
    """(ward code -> name, LSOA codes) of the area, from the processed ward table (else the
    wards the processed rows carry) and the lookup (else the LSOAs the rows carry)."""
    wards: dict[str, str] = {}
    if data.wards is not None and len(data.wards):
        wards = dict(
            zip(
                data.wards["ward_code"].astype(str),
                data.wards["ward_name"].astype(str),
                strict=True,
            )
        )
    else:
        for df in (data.street, data.extract):
            if df is not None and "ward_code" in df.columns:
                w = df.dropna(subset=["ward_code"])
                wards.update(
                    dict(zip(w["ward_code"].astype(str), w["ward_name"].astype(str), strict=True))
                )
    lsoas: set[str] = set()
    if lookup is not None:
        lk = lookup.frame
        lsoas = set(lk.loc[lk["lookup_ward_code"].isin(set(wards)), "lsoa_code"].dropna())
    for df in (data.street, data.extract):
        if df is not None and "lsoa_code" in df.columns and "ward_code" in df.columns:
            lsoas |= set(df.loc[df["ward_code"].isin(set(wards)), "lsoa_code"].dropna().astype(str))
    return wards, lsoas


def read_lookup(cfg: AreaConfig):
    """The area's LSOA lookup (:class:`helpers.ingest.area.Lookup`), or None when it has none."""
    from helpers.ingest.area import read_lookup as _read

    path: Path | None = cfg.source("lsoa_lookup", required=False)
    return _read(path) if path is not None and path.exists() else None


def locality_sections(
    cfg: AreaConfig,
    data,
    current: ReportingPeriod,
    previous: ReportingPeriod,
    baseline: ReportingPeriod,
    source: str = "auto",
    alpha: float = 0.05,
    method: str = "quasi_poisson",
    min_count: int = SMALL_COUNT,
    p_adjust: str = "fdr_bh",
    chart: Callable[..., Any] | None = None,
    lookup=None,
) -> list[Section]:
    """Stage 02's locality sections: one overview, then one per locality.

    ``data`` is the processed data (:func:`helpers.ingest.processed.load_processed`). The
    overview section saves ``localities`` (``locality, level, label, group, baseline,
    previous, current`` for every locality and, when any row was not placed, the
    :data:`NOT_PLACED` rows), ``localities_key`` (one row of key figures per locality) and
    ``localities_members`` (each locality's wards or LSOAs). ``chart(table, names)`` draws the
    small-multiple chart (from :mod:`helpers.present.localities`; the stage layer draws
    nothing). With no localities configured: one section whose only sentence says so.
    """
    if not cfg.localities:
        return [Section("localities", sentences=[NO_LOCALITIES])]
    needs_lookup = any("districts" in s or "lsoas" in s for s in cfg.localities)
    if lookup is None and needs_lookup:
        lookup = read_lookup(cfg)
    wards, lsoas = area_units(data, cfg, lookup)
    plan = resolve_localities(cfg, wards, lookup, lsoas)
    records = V.choose_records(data.extract, data.street, source)
    frame = data.extract if records.source == V.SOURCE_EXTRACT else data.street
    source_key = "force_extract" if records.source == V.SOURCE_EXTRACT else "police_uk"
    if records.source != V.SOURCE_EXTRACT:
        crimes_only = ~frame["is_asb"].fillna(False).astype(bool)
    else:
        crimes_only = pd.Series(True, index=frame.index)
    where = assign(frame, plan)
    street_where = assign(data.street, plan) if data.street is not None else None
    months = records.available_months
    kw = {"alpha": alpha, "method": method, "min_count": min_count, "p_adjust": p_adjust}

    long_rows, keys, sections = [], [], []
    names = list(plan.members)
    unplaced = int((where[crimes_only] == NOT_PLACED).sum())
    for name in names + ([NOT_PLACED] if unplaced else []):
        part = frame[where == name]
        rec = _subset(records, part, months)
        series = V.three_series(rec, current, baseline, previous)
        # one printed name per measure, as the area's table (police.uk composites relabelled)
        st = MS.label_table(series.table, source_key).drop(columns="measure_id")
        st = st.assign(locality=name)
        long_rows.append(st[["locality", "level", "label", "group", *SERIES]])
        if name == NOT_PLACED:
            continue
        street_part = data.street[street_where == name] if street_where is not None else None
        result = V.variance_table(rec, current, previous, street=street_part, **kw)
        key = _key_row(
            name,
            plan.how[name],
            result,
            series,
            min_count,
            part if records.source == V.SOURCE_EXTRACT else None,
            result.current_months,
        )
        key["units"] = len(plan.members[name])
        text = _sentences(name, key, result, baseline.label or baseline.name)
        key["summary"] = text  # the pack prints the same paragraph
        keys.append(key)
        sections.append(
            Section(
                f"locality:{name}",
                sentences=[text],
                notes=[n for n in series.notes],
            )
        )
    long = pd.concat(long_rows, ignore_index=True)
    key_table = pd.DataFrame(keys)
    what = "ward" if plan.kind == "ward" else "LSOA"
    notes = [
        f"Crimes are placed in a locality by the {what} the cleaning stage gave them, so the "
        "localities' counts add up to the area's. The months compared are the area's: "
        f"{len(records.available_months)} months of {records.source} data.",
        f"A percentage is not shown when a count it rests on is below {min_count}.",
    ]
    if unplaced:
        notes.append(
            f"{N.fmt_int(unplaced)} crime{'s' if unplaced != 1 else ''} in the data "
            f"{'have' if unplaced != 1 else 'has'} no {what} in any locality (no {what} was "
            "found for them); they are counted in the area's figures and shown as "
            f"'{NOT_PLACED}', not in any locality's."
        )
    else:
        notes.append(f"Every crime in the data is in a locality (none lacks a {what}).")
    base_name = baseline.label or baseline.name
    overview = Section(
        "localities",
        sentences=[
            f"The area is reported in {N.number_word(len(names))} localities: "
            + "; ".join(f"**{n}** ({plan.how[n]})" for n in names)
            + ". Each is shown against last year and the baseline "
            f"({base_name}), counted over the same calendar months as the area."
        ],
        table=_key_view(key_table, current, previous, base_name),
        formats={
            "This year": "int",
            "Last year": "int",
            "Change": "signed_pct",
            "Is the change real?": "text",
            "Baseline year": "int",
            "Change on baseline": "signed_pct",
            "Largest group": "text",
            "Its share": "pct",
        },
        caption=f"Key figures by locality: {previous.name} and {current.name}",
        note=(
            f"Change on last year is tested as for the area ({V.TEST_NAMES[method]}, "
            f"significance level {alpha:g}), within each locality's own table. A dash means no "
            f"percentage: a count below {min_count}."
        ),
        notes=notes,
        tables={
            "localities": long,
            "localities_key": key_table,
            "localities_members": plan.members_table(),
        },
        figures={
            "localities": names,
            "localities_not_placed": unplaced,
            "localities_kind": plan.kind,
        },
    )
    if chart is not None:
        overview.figure = lambda: chart(long, names, base_name)
        overview.alt = chart_alt(long, names)
    return [overview, *sections]


def _key_view(key: pd.DataFrame, current, previous, base_name: str) -> pd.DataFrame:
    def num(col: str) -> pd.Series:
        return pd.to_numeric(key[col], errors="coerce").astype(float)

    return pd.DataFrame(
        {
            "Locality": key["locality"],
            "This year": key["all_crime_current"],
            "Last year": key["all_crime_previous"],
            "Change": num("all_crime_pct_change"),
            "Is the change real?": [
                "Significant " + ("increase" if c > 0 else "decrease")
                if s
                else "No significant change"
                for s, c in zip(key["all_crime_significant"], key["all_crime_change"], strict=True)
            ],
            "Baseline year": num("all_crime_baseline"),
            "Change on baseline": num("baseline_pct_change"),
            "Largest group": key["largest_group"],
            "Its share": num("largest_group_share"),
        }
    )


def chart_alt(long: pd.DataFrame, names: list[str]) -> str:
    """The chart's one-sentence alt text, from the table."""
    tot = long[(long["level"] == "total") & long["locality"].isin(names)]
    parts = [
        f"{r['locality']} {N.fmt_int(r['current'])} crimes this year against "
        f"{N.fmt_int(r['previous'])} last year"
        for _, r in tot.iterrows()
    ]
    return (
        f"Small-multiple bar charts, one per locality, of recorded crime by crime group for this "
        f"year, last year and the baseline: {'; '.join(parts)}."
    )
