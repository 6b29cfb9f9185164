"""The pandas police.uk cleaner: the tests' ORACLE, never run by the cleaning stage.

This is the plain way to apply :mod:`helpers.ingest.rules` (Python ``csv`` reader, pandas
string columns, ``sort_values`` + ``drop_duplicates`` for the Crime-ID rule). The cleaning stage
runs :func:`helpers.ingest.cleaning.clean_police_uk`, which is :mod:`helpers.ingest.fastclean`;
the tests clean the same files both ways and compare tables, ledgers and warnings cell for cell.
It takes the same arguments and returns the same ``(street, outcomes, skipped, inputs)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.core.config import AreaConfig
from helpers.core.errors import DataFileError, PeriodError
from helpers.core.periods import MONTH_RE, ReportingPeriod
from helpers.ingest import area as area_rule
from helpers.ingest import cleaning, geography, loading, offences, rules
from helpers.ingest.ledger import Ledger


def _float(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.astype("string").str.strip().replace("", pd.NA), errors="coerce").astype(
        float
    )


def _read_police_files(
    files,
    table: str,
    period: ReportingPeriod,
    ledger: Ledger,
    warnings: list[str],
    skipped: list[tuple[str, str]],
    inputs: list[dict],
) -> list[pd.DataFrame]:
    """Read each police.uk file of one kind up to the period end, accounting for it in the ledger.

    Files for later months are listed in ``skipped``; every row read is counted, malformed rows
    rejected, decoding repairs recorded. Each frame gains ``source_file`` and ``source_row`` (the
    true row number in its file).
    """
    frames = []
    for f in files:
        if f.month > period.end:
            skipped.append((f.label, f"month {f.month} is after the period end {period.end}"))
            continue
        df, malformed, repair = loading.read_police_uk_file(f)
        inputs.append({"path": f.label, "kind": f"police.uk {table}"})
        ledger.add_read(f.label, table, len(df) + malformed)
        ledger.add_rejected(f.label, table, rules.MALFORMED, malformed)
        if repair:
            ledger.add_repair(f.label, table, repair, len(df))
        cleaning._note_file_shape(f.label, df, malformed, warnings)
        rows = cleaning._row_numbers(df)
        df = df.copy()
        df.attrs = {}
        df["source_file"] = f.label
        df["source_row"] = rows
        frames.append(df)
    return frames


def _in_area_by_location(raw: pd.DataFrame, area: area_rule.Area | None) -> pd.Series:
    """In-area flag for police.uk rows (street or outcomes) from their coordinates and LSOA."""
    lon, lat = _float(raw["Longitude"]), _float(raw["Latitude"])
    have = lon.notna() & lat.notna() & ~((lon == 0) & (lat == 0))
    loc = pd.DataFrame(
        {
            "lsoa_code": raw["LSOA code"].str.strip().replace("", pd.NA).astype("string"),
            "easting": np.nan,
            "northing": np.nan,
        },
        index=raw.index,
    )
    if have.any():
        e, n = geography.lonlat_to_bng(lon[have], lat[have])
        loc.loc[have, "easting"] = e
        loc.loc[have, "northing"] = n
    _, in_area, _ = cleaning.assign_wards(loc, area, have)
    return in_area


def clean_police_uk(
    cfg: AreaConfig,
    period: ReportingPeriod,
    area: area_rule.Area | None,
    ledger: Ledger,
    warnings: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame, list[tuple[str, str]], list[dict]]:
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
    inputs: list[dict] = []
    frames = _read_police_files(street_files, "street", period, ledger, warnings, skipped, inputs)
    cleaning._record_duplicates(found.duplicates, "street", period, ledger)
    if not frames:
        months = sorted(f.month for f in street_files)
        raise PeriodError(
            f"The period {period.name} ends before the first police.uk file for '{cfg.force_slug}' "
            f"({months[0]}); the files under {src} cover {months[0]} to {months[-1]}.",
            f"Choose a period ending between {months[0]} and {months[-1]}.",
        )
    raw = pd.concat(frames, ignore_index=True)
    street = pd.DataFrame(
        {
            "crime_id": raw["Crime ID"].str.strip().replace("", pd.NA).astype("string"),
            "month": raw["Month"].str.strip().astype("string"),
            "reported_by": raw["Reported by"].astype("string"),
            "falls_within": raw["Falls within"].astype("string"),
            "longitude": _float(raw["Longitude"]),
            "latitude": _float(raw["Latitude"]),
            "location": raw["Location"].astype("string"),
            "lsoa_code": raw["LSOA code"].str.strip().replace("", pd.NA).astype("string"),
            "lsoa_name": raw["LSOA name"].astype("string"),
            "crime_type": raw["Crime type"].str.strip().astype("string"),
            "last_outcome_category": raw["Last outcome category"]
            .replace("", pd.NA)
            .astype("string"),
            "source_file": raw["source_file"].astype("string"),
            "source_row": raw["source_row"].astype("int64"),
        }
    )
    reason = pd.Series(pd.NA, index=street.index, dtype="string")

    def reject(mask: pd.Series, why: str) -> None:
        nonlocal reason
        reason = reason.mask(mask & reason.isna(), why)

    bad_month = ~street["month"].fillna("").str.match(MONTH_RE)
    reject(bad_month, rules.UNPARSEABLE_MONTH)
    file_month = street["source_file"].map({f.label: f.month for f in street_files})
    reject(~bad_month & (street["month"] != file_month), rules.MONTH_MISMATCH)
    reject(
        ~bad_month & (street["month"] > period.end),
        rules.AFTER_PERIOD,
    )
    cls = offences.classify_police_uk(street["crime_type"])
    street = pd.concat([street, cls.drop(columns="known_type")], axis=1)
    reject(~cls["known_type"], rules.UNKNOWN_TYPE)
    unknown_types = sorted(
        t for t in street.loc[~cls["known_type"], "crime_type"].dropna().unique() if t
    )
    note = rules.unknown_types_warning(int((~cls["known_type"]).sum()), unknown_types)
    if note:
        warnings.append(note)
    reject(~street["is_asb"] & street["crime_id"].isna(), rules.NO_CRIME_ID)
    # Duplicates across monthly files: a Crime ID already published in an earlier file is rejected.
    # The same ID repeated *within* one file is kept: police.uk publishes one row per crime
    # location/record (the real Northamptonshire 2019-09 file has 37 such IDs) and counts each.
    ids = street["crime_id"]
    first_file = (
        street[ids.notna()]
        .sort_values(["month", "source_file", "source_row"], kind="mergesort")
        .drop_duplicates("crime_id")
        .set_index("crime_id")["source_file"]
    )
    dup = ids.notna() & (ids.map(first_file) != street["source_file"]).fillna(False)
    reject(dup.astype(bool) & reason.isna(), rules.DUPLICATE_ID)
    # Text that is not a finite number ("inf", "nan", "abc") or off the globe is no map point:
    # such rows are placed by LSOA like rows without coordinates, and the repair is recorded.
    lon_txt, lat_txt = (
        raw["Longitude"].fillna("").str.strip(),
        raw["Latitude"].fillna("").str.strip(),
    )
    bad_lon = ((lon_txt != "") & ~np.isfinite(street["longitude"])) | (
        street["longitude"].abs() > 180
    )
    bad_lat = ((lat_txt != "") & ~np.isfinite(street["latitude"])) | (street["latitude"].abs() > 90)
    bad_xy = bad_lon | bad_lat
    street.loc[bad_lon, "longitude"] = np.nan
    street.loc[bad_lat, "latitude"] = np.nan
    have = (
        street["longitude"].notna()
        & street["latitude"].notna()
        & ~((street["longitude"] == 0) & (street["latitude"] == 0))
    )
    street["easting"] = np.nan
    street["northing"] = np.nan
    if have.any():
        e, n = geography.lonlat_to_bng(street.loc[have, "longitude"], street.loc[have, "latitude"])
        street.loc[have, "easting"] = e
        street.loc[have, "northing"] = n
    zeroed = (street["longitude"] == 0) & (street["latitude"] == 0)
    street.loc[zeroed, ["longitude", "latitude"]] = np.nan
    street, in_area, overlaps = cleaning.assign_wards(street, area, have)
    if overlaps:
        ledger.add_repair(
            rules.ALL_STREET_FILES,
            "street",
            rules.OVERLAP,
            overlaps,
        )
    reject(~in_area & ~have, rules.NOWHERE)
    reject(~in_area & have, rules.OUTSIDE)
    kept = reason.isna()
    ledger.record_frame(street["source_file"], "street", kept, reason.fillna(""))
    for src_file, n in street.loc[kept & bad_xy, "source_file"].value_counts().sort_index().items():
        ledger.add_repair(str(src_file), "street", rules.BAD_COORDINATES, int(n))
    street = street[kept].drop(columns=[]).reset_index(drop=True)
    # outcomes
    kept_ids = set(street["crime_id"].dropna())
    oframes = _read_police_files(
        outcome_files, "outcomes", period, ledger, warnings, skipped, inputs
    )
    cleaning._record_duplicates(found.duplicates, "outcomes", period, ledger)
    if oframes:
        oraw = pd.concat(oframes, ignore_index=True)
        outc = pd.DataFrame(
            {
                "crime_id": oraw["Crime ID"].str.strip().replace("", pd.NA).astype("string"),
                "month": oraw["Month"].str.strip().astype("string"),
                "outcome_type": oraw["Outcome type"].str.strip().astype("string"),
                "source_file": oraw["source_file"].astype("string"),
            }
        )
        oreason = pd.Series(pd.NA, index=outc.index, dtype="string")
        bad = ~outc["month"].fillna("").str.match(MONTH_RE)
        oreason = oreason.mask(bad, rules.UNPARSEABLE_MONTH)
        ofile_month = outc["source_file"].map({f.label: f.month for f in outcome_files})
        oreason = oreason.mask(
            oreason.isna() & (outc["month"] != ofile_month), rules.MONTH_MISMATCH
        )
        oreason = oreason.mask(
            oreason.isna() & (outc["month"] > period.end),
            rules.AFTER_PERIOD,
        )
        oreason = oreason.mask(oreason.isna() & outc["crime_id"].isna(), rules.OUTCOME_NO_ID)
        oreason = oreason.mask(
            oreason.isna() & (outc["outcome_type"].fillna("") == ""), rules.OUTCOME_NO_TYPE
        )
        # the area rule, by the outcome's own location (the crime's, as police.uk publishes it)
        o_in = _in_area_by_location(oraw, area)
        oreason = oreason.mask(oreason.isna() & ~o_in, rules.OUTSIDE)
        oreason = oreason.mask(
            oreason.isna() & ~outc["crime_id"].isin(kept_ids),
            rules.OUTCOME_NO_CRIME,
        )
        okept = oreason.isna()
        ledger.record_frame(outc["source_file"], "outcomes", okept, oreason.fillna(""))
        outc = outc[okept].reset_index(drop=True)
        outc["is_positive"] = offences.is_positive_outcome(outc["outcome_type"])
    else:
        outc = pd.DataFrame(
            {
                "crime_id": pd.Series(dtype="string"),
                "month": pd.Series(dtype="string"),
                "outcome_type": pd.Series(dtype="string"),
                "source_file": pd.Series(dtype="string"),
                "is_positive": pd.Series(dtype=bool),
            }
        )
        warnings.append(rules.NO_OUTCOMES)
    return street, outc, skipped, inputs
