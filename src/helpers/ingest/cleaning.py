"""The cleaning stage: raw inputs → validated, classified, geo-referenced processed tables.

``run_cleaning(cfg, period)`` reads every raw input of an area, accounts for every row in the
ledger (read = kept + rejected, by reason), classifies offences, assigns wards, and writes the
tables of docs/architecture.md into ``data/processed/<area>/<period>/`` atomically, with a
manifest (inputs with sha256, row counts, parameters, package versions, git commit). Raw files are
only ever opened for reading. Running it twice on the same inputs gives byte-identical Parquet.
"""

from __future__ import annotations

import platform
import re
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from helpers.core import paths
from helpers.core.config import AreaConfig
from helpers.core.errors import DataFileError, PeriodError
from helpers.core.io import sha256_file, write_csv, write_json, write_parquet
from helpers.core.periods import (
    MONTH_TEXT,
    ReportingPeriod,
    check_period_in_data,
    month_range,
    parse_month,
)
from helpers.ingest import area as area_rule
from helpers.ingest import extract_flags, geography, loading, offences, rules, validation
from helpers.ingest.ledger import Ledger

PACKAGES = (
    "pandas",
    "pyarrow",
    "geopandas",
    "shapely",
    "pyproj",
    "numpy",
    "scipy",
    "pandera",
    "papermill",
    "nbconvert",
    "esda",
    "libpysal",
    "mapclassify",
    "statsmodels",
    "python-calamine",  # reads the Home Office workbook (openpyxl when it cannot)
    "openpyxl",
    "csp-scrutiny",
)


@dataclass
class CleaningResult:
    area: str
    period: str
    folder: Path
    tables: dict[str, pd.DataFrame]
    ledger: Ledger
    manifest: dict
    warnings: list[str] = field(default_factory=list)
    skipped_files: list[tuple[str, str]] = field(default_factory=list)
    months_available: list[str] = field(default_factory=list)
    months_missing: list[str] = field(default_factory=list)
    resolved_area: area_rule.Area | None = None  # the area rule every input was cut by


# --------------------------------------------------------------------------- helpers


def _float(s: pd.Series) -> pd.Series:
    return _numeric(s.astype("string").str.strip().replace("", pd.NA)).astype(float)


def _numeric(s: pd.Series) -> pd.Series:
    """``pd.to_numeric(s, errors="coerce")`` of a text column, worked out once per distinct text
    when values repeat (hours, snapped coordinates) and spread back: the same values and dtype
    (the conversion is value by value, and the distinct values are the same set)."""
    idx, distinct = pd.factorize(s, use_na_sentinel=False)
    if 2 * len(distinct) > len(s):
        return pd.to_numeric(s, errors="coerce")
    num = pd.to_numeric(pd.Series(distinct, dtype=s.dtype), errors="coerce")
    out = num.take(idx)
    out.index = s.index
    out.name = s.name
    return out


def _area_geo(cfg: AreaConfig, ledger: Ledger) -> tuple[area_rule.Area, list[str], dict]:
    """Read the boundaries, lookup and ward population and cut each to the area (one rule).

    Returns the resolved :class:`~helpers.ingest.area.Area` (its ``wards`` carry population),
    warnings for the cleaning report (repairs, inputs covering less than the area) and a record
    of the population table for the manifest. Every boundary, lookup and population row is in
    the ledger: kept, or rejected with its reason ("outside the area" among them).
    """
    warnings: list[str] = []
    wards_path = cfg.source("wards", required=False)
    layer = None
    if wards_path is not None:
        layer = geography.read_wards(
            wards_path,
            cfg.geography.get("ward_code", "ward_code"),
            cfg.geography.get("ward_name", "ward_name"),
            cfg.crs,
        )
        warnings.extend(layer.warnings)
        for what, n in layer.repairs.items():
            ledger.add_repair(wards_path.name, "wards", what, n)
    lookup_path = cfg.source("lsoa_lookup", required=False)
    lookup = area_rule.read_lookup(lookup_path) if lookup_path is not None else None
    area = area_rule.resolve_area(
        cfg,
        layer.wards if layer is not None else None,
        lookup,
        wards_path.name if wards_path else None,
    )
    if layer is not None:
        ledger.add_read(wards_path.name, "wards", len(layer.wards))
        ledger.add_kept(wards_path.name, "wards", len(area.wards))
        for why, n in area.dropped_wards["why"].value_counts().items():
            ledger.add_rejected(wards_path.name, "wards", str(why), int(n))
    if area.lookup is not None:
        n_in = int(area.lookup["in_area"].sum())
        ledger.add_read(lookup.label, "lsoa_lookup", len(area.lookup))
        ledger.add_kept(lookup.label, "lsoa_lookup", n_in)
        ledger.add_rejected(lookup.label, "lsoa_lookup", area_rule.OUTSIDE, len(area.lookup) - n_in)
    pop_info: dict = {}
    pop_path = cfg.source("ward_population", required=False)
    if pop_path is not None:
        opts = cfg.source_options("ward_population")
        wp = loading.read_ward_population(
            pop_path,
            opts.get("sheet"),
            opts.get("ward_code"),
            opts.get("population"),
            opts.get("year"),
        )
        # a ward given twice is a fault of this file: say so here, not at a later join
        loading.check_unique(wp.frame, "ward_code", pop_path, "ward population")
        kept, reason = area.cut_population(wp.frame)
        ledger.add_read(wp.label, "ward_population", len(wp.frame))
        ledger.add_repair(
            wp.label,
            "ward_population",
            "old ward code matched by name to the boundary file's revised ward",
            area.population_recoded,
        )
        ledger.record_frame(
            pd.Series(wp.label, index=wp.frame.index), "ward_population", reason == "", reason
        )
        if area.wards is not None:
            area.wards = area.attach_population(area.wards, kept, wp.label)
        pop_info = {
            "file": wp.label,
            "ward_code_column": wp.ward_code_column,
            "population_column": wp.population_column,
            "header_row": wp.header_row,
            "year": wp.year,
            "wards_with_population": int(len(kept)),
        }
        if wp.rows_below:
            area.notes.append(
                f"Ward population: {wp.rows_below} row(s) of notes below the table "
                "were not read as wards."
            )
    elif area.wards is not None:
        area.wards = area.attach_population(area.wards, None, None)
    warnings.extend(area.warnings)
    return area, warnings, pop_info


def assign_wards(
    df: pd.DataFrame, area: area_rule.Area | None, have_coords: pd.Series
) -> tuple[pd.DataFrame, pd.Series, int]:
    """Place rows in wards and say which are in the area: :meth:`helpers.ingest.area.Area.place`.

    ``area=None`` is the whole force with no boundaries or lookup: every row is in the area.
    """
    area = area if area is not None else area_rule.Area(area_rule.AreaSpec("force"), frozenset())
    return area.place(df, have_coords)


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=paths.project_root(),
            capture_output=True,
            text=True,
            timeout=10,
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            pass
    return out


# --------------------------------------------------------------------------- police.uk


def _note_file_shape(label: str, df: pd.DataFrame, malformed: int, warnings: list[str]) -> None:
    """Warnings naming a file's header-only state, ignored extra columns and truncated rows."""
    warnings.extend(
        rules.file_shape_warnings(
            label,
            len(df),
            malformed,
            df.attrs.get("extra_columns") or [],
            df.attrs.get("short_rows") or [],
        )
    )


def _record_duplicates(duplicates, table: str, period: ReportingPeriod, ledger: Ledger) -> None:
    """List each whole-file copy of a month in the ledger: its rows read, all rejected as copies."""
    for dup, kept in duplicates:
        if dup.kind != table or kept.month > period.end:
            continue
        n = ledger.read.get((kept.label, table), 0)
        ledger.add_read(dup.label, table, n)
        ledger.add_rejected(dup.label, table, rules.whole_file_copy(kept.label), n)


def _row_numbers(df: pd.DataFrame) -> np.ndarray:
    nums = df.attrs.get("row_numbers")
    if nums is not None and len(nums) == len(df):
        return np.asarray(nums, dtype="int64")
    return np.arange(2, len(df) + 2, dtype="int64")


def clean_police_uk(
    cfg: AreaConfig,
    period: ReportingPeriod,
    area: area_rule.Area | None,
    ledger: Ledger,
    warnings: list[str],
    threads: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[tuple[str, str]], list[dict]]:
    """An area's police.uk street and outcomes files -> (street, outcomes, skipped, inputs).

    Street files run on :func:`helpers.ingest.fastclean.clean_files` (Arrow), with the rules of
    :mod:`helpers.ingest.rules` and the ward placement :meth:`helpers.ingest.area.Area.place`;
    outcomes are read by Arrow and decided by :func:`helpers.ingest.rules.outcome_reasons`.
    Every row read is in ``ledger``; ``warnings`` gains the notes for the cleaning report.
    ``area=None`` is the whole force with no boundaries or lookup: every row is in the area.
    The pandas oracle the tests compare this with is ``tests/oracle_cleaning.py``.
    """
    from helpers.ingest import fastclean

    area = area if area is not None else area_rule.Area(area_rule.AreaSpec("force"), frozenset())
    src = cfg.source("police_uk")
    found = loading.discover_police_uk(src, cfg.force_slug)
    skipped = list(found.skipped)
    street_files = [f for f in found.files if f.kind == "street"]
    outcome_files = [f for f in found.files if f.kind == "outcomes"]
    if not street_files:
        raise DataFileError(
            f"No police.uk street files for force '{cfg.force_slug}' under {src}.",
            "Check 'force.slug' and 'sources.police_uk' in the area config.",
        )

    def up_to_end(files) -> list:
        out = []
        for f in files:
            if f.month > period.end:
                skipped.append((f.label, f"month {f.month} is after the period end {period.end}"))
            else:
                out.append(f)
        return out

    use = up_to_end(street_files)
    if not use:
        months = sorted(f.month for f in street_files)
        raise PeriodError(
            f"The period {period.name} ends before the first police.uk file for '{cfg.force_slug}' "
            f"({months[0]}); the files under {src} cover {months[0]} to {months[-1]}.",
            f"Choose a period ending between {months[0]} and {months[-1]}.",
        )
    inputs = [{"path": f.label, "kind": "police.uk street"} for f in use]
    res = fastclean.clean_files(use, period.end, area=area, threads=threads, ledger=ledger)
    _record_duplicates(found.duplicates, "street", period, ledger)
    warnings.extend(res.notes.warnings())
    ledger.add_repair(rules.ALL_STREET_FILES, "street", rules.OVERLAP, res.notes.overlaps)
    street = res.to_pandas()
    # outcomes
    ouse = up_to_end(outcome_files)
    inputs += [{"path": f.label, "kind": "police.uk outcomes"} for f in ouse]
    kept_ids = pa.array(street["crime_id"], pa.string(), from_pandas=True).drop_null()
    outc = fastclean.clean_outcomes(ouse, period.end, area, kept_ids, ledger, warnings, threads)
    _record_duplicates(found.duplicates, "outcomes", period, ledger)
    if not ouse:
        warnings.append(rules.NO_OUTCOMES)
    return street, outc, skipped, inputs


# --------------------------------------------------------------------------- force extract

_TRUE = {"y", "yes", "true", "1", "t", "dv", "da"}
_FALSE = {"n", "no", "false", "0", "f", ""}
_LOCATION = {
    "domestic": "Domestic",
    "town centre": "Town centre",
    "town center": "Town centre",
    "tc": "Town centre",
    "night-time economy": "Town centre",
    "nte": "Town centre",
    "residual": "Residual",
}


def clean_extract(
    cfg: AreaConfig,
    period: ReportingPeriod,
    area: area_rule.Area | None,
    ledger: Ledger,
    warnings: list[str],
) -> pd.DataFrame | None:
    path = cfg.source("force_extract", required=False)
    if path is None:
        warnings.append(
            "No force extract is configured: violence subgroups, domestic flags and location "
            "types are not available; police.uk data are used alone."
        )
        return None
    columns = cfg.source_options("force_extract").get("columns") or {}
    raw, malformed, repair, absent = loading.read_force_extract(path, columns)
    label = path.name
    _note_file_shape(label, raw, malformed, warnings)
    extract_rows = _row_numbers(raw)
    ledger.add_read(label, "extract", len(raw) + malformed)
    ledger.add_rejected(label, "extract", "malformed row (more fields than the header)", malformed)
    if repair:
        ledger.add_repair(label, "extract", repair, len(raw))
    if absent:
        warnings.append(
            f"The force extract has no {', '.join(absent)} column(s): the sections that need them "
            "will say so."
        )
    df = pd.DataFrame(
        {"offence_id": raw["offence_id"].str.strip().replace("", pd.NA).astype("string")}
    )
    date_text = raw["date"].str.strip()
    d = pd.to_datetime(date_text, format="%Y-%m-%d", errors="coerce")
    d2 = pd.to_datetime(date_text, format="%d/%m/%Y", errors="coerce")
    df["date"] = d.fillna(d2)
    # each distinct date formatted once (a few thousand dates over 100,000 rows)
    didx, dates = pd.factorize(df["date"], use_na_sentinel=False)
    months = pd.Series(dates).dt.strftime("%Y-%m")
    df["month"] = months.take(didx).set_axis(df.index).astype("string")
    if "hour" in raw:
        h = _numeric(raw["hour"].str.strip().replace("", pd.NA))
        df["hour"] = h.where((h >= 0) & (h <= 23)).astype("Int64")
    else:
        df["hour"] = pd.array([pd.NA] * len(raw), dtype="Int64")
    cls = offences.classify_codes(raw["ho_code"])
    df["ho_code"] = cls["ho_code"]
    for ours, ref in (
        ("offence_description", "ref_description"),
        ("offence_group", "ref_group"),
        ("offence_subgroup", "ref_subgroup"),
    ):
        given = (
            raw[ours].str.strip().replace("", pd.NA).astype("string")
            if ours in raw
            else pd.Series(pd.NA, index=raw.index, dtype="string")
        )
        # The reference table wins for known codes (consistent groups across forces); the force's own
        # text is kept for codes we do not know.
        df[ours] = cls[ref].fillna(given).astype("string")
    df["police_uk_crime_type"] = cls["police_uk_crime_type"]
    df["is_vap"] = cls["is_vap"]
    df["is_sac"] = cls["is_sac"]
    df["is_neighbourhood"] = cls["is_neighbourhood"]
    df["known_code"] = cls["known_code"]
    if "domestic_flag" in raw:
        v = raw["domestic_flag"].str.strip().str.lower().fillna("")
        flag = pd.Series(pd.NA, index=raw.index, dtype="boolean")
        flag[v.isin(_TRUE)] = True
        flag[v.isin(_FALSE)] = False
        df["domestic_flag"] = flag
    else:
        df["domestic_flag"] = pd.array([pd.NA] * len(raw), dtype="boolean")
    if "location_type" in raw:
        lt = raw["location_type"].str.strip().str.lower().map(_LOCATION)
        df["location_type"] = lt.astype("string")
    else:
        df["location_type"] = pd.Series(pd.NA, index=raw.index, dtype="string")
    df["lsoa_code"] = (
        raw["lsoa_code"].str.strip().replace("", pd.NA).astype("string")
        if "lsoa_code" in raw
        else pd.Series(pd.NA, index=raw.index, dtype="string")
    )
    df["easting"] = _float(raw["easting"]) if "easting" in raw else np.nan
    df["northing"] = _float(raw["northing"]) if "northing" in raw else np.nan
    have = (
        df["easting"].notna() & df["northing"].notna() & (df["easting"] > 0) & (df["northing"] > 0)
    )
    df.loc[~have, ["easting", "northing"]] = np.nan
    df = extract_flags.add_extract_flags(df, raw, label, extract_rows, columns)
    df["source_row"] = extract_rows
    reason = pd.Series(pd.NA, index=df.index, dtype="string")

    def reject(mask, why):
        nonlocal reason
        reason = reason.mask(mask & reason.isna(), why)

    reject(df["offence_id"].isna(), "missing offence reference")
    reject(df["date"].isna(), "unparseable date")
    reject(df["month"] > period.end, "month outside the requested span (after the period end)")
    reject(df["ho_code"].fillna("") == "", "missing Home Office offence code")
    reject(
        df["offence_id"].duplicated(keep="first") & df["offence_id"].notna(),
        "duplicate offence reference",
    )
    df, in_area, overlaps = assign_wards(df, area, have)
    if overlaps:
        ledger.add_repair(
            label, "extract", "point in overlapping wards: first ward by code", overlaps
        )
    reject(~in_area & ~have, "missing coordinates and LSOA not in the area")
    reject(~in_area & have, "outside the area")
    kept = reason.isna()
    ledger.record_frame(pd.Series(label, index=df.index), "extract", kept, reason.fillna(""))
    df = df[kept].reset_index(drop=True)
    unknown = sorted(df.loc[~df["known_code"], "ho_code"].dropna().unique())
    if unknown:
        n = int((~df["known_code"]).sum())
        warnings.append(
            f"{n} extract row(s) have Home Office offence code(s) not in the reference table: "
            f"{', '.join(unknown)}. They are kept (counted in all crime under the force's own "
            "group, where given) and listed here; add them to helpers/data/home_office_offence_codes.csv."
        )
    return df


# --------------------------------------------------------------------------- Home Office, population, MSG


def clean_csp_counts(cfg: AreaConfig, ledger: Ledger, warnings: list[str]) -> pd.DataFrame | None:
    path = cfg.source("home_office_csp", required=False)
    if path is None:
        warnings.append(
            "No Home Office CSP table is configured: the Most Similar Group comparison cannot run."
        )
        return None
    frames = []
    for label, df in loading.read_home_office_csp(path):
        ledger.add_read(label, "csp_counts", len(df))
        out = pd.DataFrame(
            {
                "financial_year": df["financial_year"].astype("string").str.strip(),
                "quarter": pd.to_numeric(df["quarter"], errors="coerce"),
                "force_name": df["force_name"].astype("string").str.strip()
                if "force_name" in df
                else pd.NA,
                "csp_name": df["csp_name"].astype("string").str.strip(),
                "offence_code": df["offence_code"].map(offences.normalise_code).astype("string"),
                "offence_description": df.get(
                    "offence_description", pd.Series(pd.NA, index=df.index)
                ).astype("string"),
                "offence_group": df.get("offence_group", pd.Series(pd.NA, index=df.index)).astype(
                    "string"
                ),
                "offence_subgroup": df.get(
                    "offence_subgroup", pd.Series(pd.NA, index=df.index)
                ).astype("string"),
                "count": pd.to_numeric(df["count"], errors="coerce"),
                "source": label,
            }
        )
        reason = pd.Series(pd.NA, index=out.index, dtype="string")
        reason = reason.mask(
            ~out["financial_year"].fillna("").str.match(r"^\d{4}/\d{2}$"),
            "unparseable financial year",
        )
        reason = reason.mask(
            reason.isna() & ~out["quarter"].isin([1, 2, 3, 4]), "financial quarter not 1-4"
        )
        reason = reason.mask(reason.isna() & out["csp_name"].fillna("").eq(""), "missing CSP name")
        reason = reason.mask(reason.isna() & out["count"].isna(), "count is not a number")
        reason = reason.mask(reason.isna() & (out["count"] % 1 != 0), "count is not a whole number")
        kept = reason.isna()
        ledger.record_frame(out["source"], "csp_counts", kept, reason.fillna(""))
        out = out[kept].copy()
        out["quarter"] = out["quarter"].astype("int64")
        out["count"] = out["count"].astype("int64")
        frames.append(out.drop(columns="source"))
    df = pd.concat(frames, ignore_index=True)
    if cfg.csp_name not in set(df["csp_name"]):
        warnings.append(f"The Home Office table has no rows for CSP {cfg.csp_name!r}.")
    return df


def clean_population(cfg: AreaConfig, ledger: Ledger) -> pd.DataFrame | None:
    path = cfg.source("csp_population", required=False)
    if path is None:
        return None
    raw = loading.read_small_csv(path, ["csp_name", "year", "population"], "CSP population")
    ledger.add_read(path.name, "csp_population", len(raw))
    df = pd.DataFrame(
        {
            "csp_name": raw["csp_name"].str.strip().astype("string"),
            "year": pd.to_numeric(raw["year"], errors="coerce"),
            "population": pd.to_numeric(raw["population"].str.replace(",", ""), errors="coerce"),
        }
    )
    reason = pd.Series(pd.NA, index=df.index, dtype="string")
    reason = reason.mask(df["year"].isna(), "unparseable year")
    reason = reason.mask(reason.isna() & df["population"].isna(), "missing population")
    reason = reason.mask(reason.isna() & (df["population"] <= 0), "population of zero or less")
    kept = reason.isna()
    ledger.record_frame(
        pd.Series(path.name, index=df.index), "csp_population", kept, reason.fillna("")
    )
    df = df[kept].copy()
    df["year"] = df["year"].astype("int64")
    df["population"] = df["population"].astype("int64")
    return df.reset_index(drop=True)


def clean_msg(cfg: AreaConfig, ledger: Ledger) -> pd.DataFrame | None:
    path = cfg.source("msg", required=False)
    if path is None:
        return None
    raw = loading.read_small_csv(path, ["csp_name", "msg_member"], "Most Similar Group list")
    ledger.add_read(path.name, "msg", len(raw))
    df = pd.DataFrame(
        {
            "csp_name": raw["csp_name"].str.strip().astype("string"),
            "msg_member": raw["msg_member"].str.strip().astype("string"),
        }
    )
    reason = pd.Series(pd.NA, index=df.index, dtype="string")
    reason = reason.mask(
        (df["csp_name"].fillna("") == "") | (df["msg_member"].fillna("") == ""), "blank name"
    )
    reason = reason.mask(reason.isna() & df.duplicated(keep="first"), "duplicate membership row")
    kept = reason.isna()
    ledger.record_frame(pd.Series(path.name, index=df.index), "msg", kept, reason.fillna(""))
    return df[kept].reset_index(drop=True)


# --------------------------------------------------------------------------- orchestration


def _hash_inputs(cfg: AreaConfig, police_inputs: list[dict]) -> list[dict]:
    out = []
    root = paths.project_root()
    pu = cfg.source("police_uk")
    hashed_zip = set()
    for item in police_inputs:
        label = item["path"]
        if "!" in label:
            if pu not in hashed_zip:
                hashed_zip.add(pu)
                out.append(
                    {
                        "path": _rel(pu, root),
                        "kind": "police.uk zip",
                        "sha256": sha256_file(pu),
                        "bytes": pu.stat().st_size,
                    }
                )
            continue
        p = pu / label if pu.is_dir() else pu
        out.append(
            {
                "path": _rel(p, root),
                "kind": item["kind"],
                "sha256": sha256_file(p),
                "bytes": p.stat().st_size,
            }
        )
    for key in (
        "force_extract",
        "home_office_csp",
        "csp_population",
        "msg",
        "wards",
        "ward_population",
        "lsoa_lookup",
    ):
        p = cfg.source(key, required=False)
        if p is not None and p.exists():
            out.append(
                {
                    "path": _rel(p, root),
                    "kind": key,
                    "sha256": sha256_file(p),
                    "bytes": p.stat().st_size,
                }
            )
    return out


def _rel(p: Path, root: Path) -> str:
    try:
        return str(p.resolve().relative_to(root))
    except ValueError:
        return str(p)


def run_cleaning(
    cfg: AreaConfig,
    period: str,
    out_dir: Path | None = None,
    write: bool = True,
    check_future: bool = True,
) -> CleaningResult:
    """Clean every raw input of ``cfg`` for the 12 months ending ``period`` (history kept too).

    All months up to ``period`` are kept (trends and baselines need them); later months are
    rejected or skipped and recorded. Raises :class:`PeriodError` when the period is in the
    future or outside the data.
    """
    period = str(parse_month(period, "period"))  # "2022-03 " (a stray space) is 2022-03
    rp = ReportingPeriod(period)
    ledger = Ledger()
    warnings: list[str] = []
    area, geo_warnings, pop_info = _area_geo(cfg, ledger)
    warnings.extend(geo_warnings)
    street, outcomes, skipped, police_inputs = clean_police_uk(cfg, rp, area, ledger, warnings)
    if write:
        # the manifest's sha256 of every raw input, on a thread while the rest is cleaned
        # (hashlib and file reads release the GIL); the raw files are only read
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cleaning-hash")
        hashed = pool.submit(_hash_inputs, cfg, police_inputs)
        pool.shutdown(wait=False)
    months = sorted(street["month"].dropna().unique().tolist())
    if not months:
        summ = ledger.summary()
        street_sum = summ[summ["table"] == "street"]
        read = int(street_sum["read"].sum()) if len(street_sum) else 0
        files = int(street_sum["files"].sum()) if len(street_sum) else 0
        if read == 0:
            why = f"the {files} street file(s) read have a header but no data rows"
        else:
            top = (
                ledger.rejections().query("table == 'street'").sort_values("rows", ascending=False)
            )
            why = (
                f"all {read} row(s) in {files} street file(s) were rejected ("
                + "; ".join(f"{r.reason}: {r.rows}" for r in top.head(3).itertuples())
                + ")"
            )
        raise PeriodError(
            f"No police.uk rows for {cfg.name} up to {period}: {why}.",
            "Check the files are the right force's police.uk downloads and that the period and "
            "area boundaries match them; the ledger reasons say which check removed the rows.",
        )
    if check_future:
        check_period_in_data(rp, months)
    span = month_range(months[0], period)
    missing = [m for m in span if m not in set(months)]
    if missing:
        warnings.append(
            f"police.uk data are missing for {len(missing)} month(s): {', '.join(missing)}. "
            "Comparisons that include these months are shown like-for-like."
        )
    extract = clean_extract(cfg, rp, area, ledger, warnings)
    csp_counts = clean_csp_counts(cfg, ledger, warnings)
    population = clean_population(cfg, ledger)
    msg = clean_msg(cfg, ledger)
    ledger.check()

    street = street.sort_values(
        ["month", "source_file", "source_row"], kind="mergesort"
    ).reset_index(drop=True)
    validation.street_schema.validate(street)
    validation.outcomes_schema.validate(outcomes)
    tables: dict[str, pd.DataFrame] = {"street": street, "outcomes": outcomes}
    if extract is not None:
        extract = extract.sort_values(["date", "offence_id"], kind="mergesort").reset_index(
            drop=True
        )
        validation.extract_schema.validate(extract)
        tables["extract"] = extract
    if csp_counts is not None:
        csp_counts = csp_counts.sort_values(
            ["financial_year", "quarter", "csp_name", "offence_code"], kind="mergesort"
        ).reset_index(drop=True)
        validation.csp_counts_schema.validate(csp_counts)
        tables["csp_counts"] = csp_counts
    if population is not None:
        validation.population_schema.validate(population)
        tables["csp_population"] = population.sort_values(["csp_name", "year"]).reset_index(
            drop=True
        )
    if msg is not None:
        tables["msg"] = msg.sort_values(["csp_name", "msg_member"]).reset_index(drop=True)
    ledger_df = ledger.to_frame()
    tables["ledger"] = ledger_df

    folder = Path(out_dir) if out_dir is not None else paths.processed_dir(cfg.area, period)
    manifest = {
        "area": cfg.area,
        "area_name": cfg.name,
        "period": period,
        "period_name": rp.name,
        "parameters": {
            "area": cfg.area,
            "period": period,
            "config": _rel(cfg.path, paths.project_root()) if cfg.path else None,
            "config_sha256": cfg.sha256,
            "synthetic": cfg.synthetic,
            "csp_name": cfg.csp_name,
            "force": cfg.force_name,
            "area_kind": area.kind,
        },
        "area_kind": area.kind,
        "area_definition": area_rule.summary(area),
        "area_notes": list(area.notes),
        "ward_population": pop_info or None,
        "months_available": months,
        "months_missing": missing,
        "warnings": warnings,
        "skipped_files": [{"file": a, "why": b} for a, b in skipped],
        "ledger_summary": ledger.summary().to_dict(orient="records"),
        "packages": package_versions(),
        "git_commit": _git_commit(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    result = CleaningResult(
        cfg.area, period, folder, tables, ledger, manifest, warnings, skipped, months, missing, area
    )
    if write:
        manifest["inputs"] = hashed.result()  # (raises here, as before, if it failed)
        outputs = []
        for name, df in tables.items():
            p = write_parquet(df, folder / f"{name}.parquet")
            outputs.append({"path": p.name, "rows": int(len(df)), "sha256": sha256_file(p)})
        write_csv(ledger_df, folder / "ledger.csv")
        if area.wards is not None:
            p = write_parquet(area.wards, folder / "wards.parquet")
            outputs.append({"path": p.name, "rows": int(len(area.wards)), "sha256": sha256_file(p)})
        manifest["outputs"] = outputs
        write_json(manifest, folder / "manifest.json")
    return result


def summarise_skipped(skipped: list[tuple[str, str]], max_listed: int = 5) -> list[str]:
    """Plain-English notes on files not read, grouped by why (full list stays in the manifest).

    Files for months after the period end are expected (a download usually runs past the
    period) and are summarised in one line; other reasons list up to ``max_listed`` files.
    """
    after = [f for f, why in skipped if "after the period end" in why]
    other: dict[str, list[str]] = {}
    for f, why in skipped:
        if "after the period end" not in why:
            key = re.sub(r"'[^']*'", "another", why) if why.startswith("file is for force") else why
            other.setdefault(key, []).append(f)
    notes = []
    if after:
        months = sorted({m for f in after for m in re.findall(MONTH_TEXT, f)})
        span = f" ({months[0]} to {months[-1]})" if months else ""
        notes.append(
            f"{len(after)} police.uk file(s) for months after the reporting period{span} were not "
            "read; they are not needed for this period."
        )
    for why, files in sorted(other.items()):
        listed = ", ".join(files[:max_listed]) + (
            f" and {len(files) - max_listed} more" if len(files) > max_listed else ""
        )
        notes.append(f"{len(files)} file(s) not read ({why}): {listed}.")
    return notes
