"""Deterministic writer of the SYNTHETIC sample area "Wexley" (force "Wexshire Police").

Nothing here is real data. :func:`generate_sample` builds a fictional town (see
:mod:`helpers.sample.geo`) and five financial years (April 2018 to March 2023) of offences, then
writes them into ``data/raw/wexley/`` in the formats users bring for a real area:

================================  ==========================================================
``wards.geojson``                 30 wards, CRS84 (lon/lat), properties ``ward_code``, ``ward_name``
``ward_population.csv``           ``ward_code, ward_name, population`` (total 225,000)
``lsoa_to_ward.csv``              ONS best-fit lookup: ``LSOA11CD, LSOA11NM, WD19CD, WD19NM,
                                  LAD19CD, LAD19NM``
``police_uk/YYYY-MM/…-street.csv``  police.uk street-level crime + ASB, exact police.uk columns
``police_uk/YYYY-MM/…-outcomes.csv``  police.uk outcomes
``force_extract.csv``             one row per notifiable offence (columns as in config/wexley.yaml),
                                  with knife and firearm flags and a victim reference
``prc-csp-synthetic.xlsx``        Home Office "recorded crime by CSP" table, one sheet per FY,
                                  header on row 5, count column renamed from 2021_22
``population_by_csp.csv``         ``csp_name, year, population`` (mid-years 2017–2022)
``msg_groups.csv``                ``csp_name, msg_member`` (Wexley's Most Similar Group)
``SYNTHETIC_DATA.txt``, ``README.md``  the labels
================================  ==========================================================

The force extract is generated first (one row per offence); the police.uk street rows are
derived from it (location snapped to the nearest anonymous point, crime type from the reference
table), so police.uk counts per month and crime type reconcile with the extract, plus
anti-social behaviour rows that exist only in police.uk. The Home Office table's Wexley rows are
the extract aggregated by financial year, quarter and offence code.

Deliberate blemishes for the cleaning stage to find: ~0.05% of rows with no location, a handful
at 0,0, ~10 a year just outside the town (another force area), five rows with an unknown Home
Office code, best-fit LSOAs that straddle ward edges, and a count column whose name changes.

Output is byte-for-byte deterministic for a given ``seed`` (no timestamps; sorted rows; zip
entries of the workbook carry a fixed date). The folder is built in a temporary sibling folder
and renamed into place, so an interrupted run never leaves half a sample.
"""

from __future__ import annotations

import calendar
import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from helpers.core import paths
from helpers.core.errors import OutputError
from helpers.core.periods import MONTH_TEXT
from helpers.ingest.loading import OUTCOME_COLUMNS, STREET_COLUMNS

if TYPE_CHECKING:  # the geography (scipy, shapely, pyproj) is imported only to generate
    from helpers.sample.geo import Geography

DEFAULT_SEED = 20230331
FIRST_MONTH, LAST_MONTH = "2018-04", "2023-03"
FORCE_NAME, FORCE_SLUG, CSP_NAME = "Wexshire Police", "wexshire", "Wexley"
MARKER = "SYNTHETIC_DATA.txt"
SAMPLE_MANIFEST = (
    "SAMPLE_MANIFEST.json"  # relative path -> sha256 of every file the generator wrote
)
SAMPLE_VERSION = 7  # bump when the generated data change; ensure_sample then regenerates

# the exact police.uk headers, defined once where the readers check them
EXTRACT_COLUMNS = [
    "Occurrence Ref",
    "Committed Date",
    "Committed Hour",
    "HO Offence Code",
    "Offence Description",
    "Offence Group",
    "Offence Subgroup",
    "Domestic Abuse Flag",
    "Location Type",
    "LSOA Code",
    "Easting",
    "Northing",
    "Knife Flag",
    "Firearm Flag",
    "Victim Ref",
]
HO_COLUMNS = [
    "Financial Year",
    "Financial Quarter",
    "Force Name",
    "CSP Name",
    "Offence Description",
    "Offence Group",
    "Offence Subgroup",
    "Offence Code",
]
HO_SHEETS = ["2018_19", "2019_20", "2020_21", "2021_22", "2022_23"]
UNKNOWN_CODES = [
    ("999Z", "Legacy local code - not mapped"),
    ("999Z", "Legacy local code - not mapped"),
    ("999Z", "Legacy local code - not mapped"),
    ("5Z", "Assault (old code)"),
    ("5Z", "Assault (old code)"),
]

# --------------------------------------------------------------------------------------------
# The offence model: annual rates (2019/20 level) per Home Office code, split into streams.
# (code, annual rate, share domestic, share night-time economy) for violence against the person;
# the rest of the violence stream is "residual".
_VAP = [
    ("105A", 3300, 0.32, 0.39),
    ("104", 180, 0.0, 0.55),
    ("105B", 120, 0.03, 0.45),
    ("3B", 160, 0.45, 0.05),
    ("11A", 200, 0.55, 0.0),
    ("12", 25, 0.05, 0.05),
    ("13", 10, 0.3, 0.0),
    ("36", 30, 0.35, 0.05),
    ("3A", 0.4, 0.0, 0.0),
    ("8N", 2830, 0.33, 0.38),
    ("8P", 30, 0.03, 0.45),
    ("5D", 170, 0.25, 0.35),
    ("5E", 17, 0.3, 0.1),
    ("2", 1.5, 0.3, 0.2),
    ("4.3", 0.3, 1.0, 0.0),
    ("37.1", 3, 0.0, 0.0),
    ("8L", 700, 0.45, 0.02),
    ("8Q", 250, 0.6, 0.0),
    ("8R", 900, 0.35, 0.0),
    ("8M", 50, 0.03, 0.1),
    ("1", 2.5, 0.4, 0.2),
    ("4.1", 0.5, 0.2, 0.2),
    ("4.4", 0.6, 0.0, 0.0),
    ("4.6", 0.5, 0.0, 0.0),
    ("4.8", 0.3, 0.0, 0.0),
    ("4.9", 2.0, 0.0, 0.0),
]
# (code, rate, spatial profile, hour profile, weekday profile, season (amp, peak), trend, covid,
#  domestic share)
_OTHER = [
    ("19C", 170, "pop", "general", "flat", (0.08, 7), "vwoi", "res", 0.35),
    ("19D", 50, "pop", "general", "flat", (0.05, 7), "flat", "none", 0.3),
    ("19G", 15, "pop", "general", "flat", (0.05, 7), "flat", "none", 0.2),
    ("20A", 230, "centre_mix", "general", "flat", (0.1, 7), "vwoi", "res", 0.15),
    ("17A", 30, "pop", "general", "flat", (0.05, 7), "flat", "res", 0.1),
    ("22B", 60, "pop", "general", "flat", (0.05, 7), "flat", "none", 0.05),
    ("88A", 20, "pop", "general", "flat", (0.0, 7), "flat", "none", 0.0),
    ("71", 10, "pop", "general", "flat", (0.0, 7), "flat", "none", 0.0),
    ("34A", 25, "retail", "evening", "flat", (0.1, 12), "theft", "acq", 0.0),
    ("34B", 225, "centre_mix", "nightish", "flat", (0.1, 12), "theft", "acq", 0.0),
    ("28E", 650, "burglary", "evening", "flat", (0.15, 12), "burg", "acq", 0.02),
    ("28F", 170, "burglary", "evening", "flat", (0.15, 12), "burg", "acq", 0.02),
    ("28G", 130, "burglary", "night", "flat", (0.1, 11), "burg", "acq", 0.0),
    ("28H", 30, "burglary", "night", "flat", (0.1, 11), "burg", "acq", 0.0),
    ("30C", 180, "business", "night", "flat", (0.1, 12), "burg", "acq", 0.0),
    ("30D", 40, "business", "night", "flat", (0.1, 12), "burg", "acq", 0.0),
    ("45", 850, "vehicle", "night", "flat", (0.08, 11), "theft", "acq", 0.0),
    ("48", 400, "vehicle", "night", "flat", (0.08, 11), "theft", "acq", 0.0),
    ("37.2", 20, "vehicle", "night", "flat", (0.05, 11), "theft", "acq", 0.0),
    ("126", 230, "vehicle", "night", "flat", (0.05, 11), "theft", "acq", 0.0),
    ("39", 200, "centre_mix", "day", "shop", (0.1, 12), "theft", "acq", 0.0),
    ("44", 300, "centre_mix", "day", "flat", (0.35, 7), "theft", "bike", 0.0),
    ("46", 1900, "retail", "day", "shop", (0.08, 12), "shop", "acq", 0.0),
    ("49", 2950, "centre_mix", "day", "flat", (0.06, 8), "theft", "acq", 0.03),
    ("35", 25, "pop", "general", "flat", (0.0, 7), "flat", "none", 0.2),
    ("40", 150, "pop", "general", "flat", (0.05, 7), "theft", "acq", 0.2),
    ("41", 40, "retail", "day", "shop", (0.0, 7), "theft", "acq", 0.0),
    ("43", 10, "pop", "day", "flat", (0.0, 7), "flat", "none", 0.0),
    ("47", 10, "centre_mix", "night", "flat", (0.0, 7), "flat", "acq", 0.0),
    ("54", 70, "pop", "general", "flat", (0.0, 7), "flat", "none", 0.0),
    ("56A", 15, "pop", "night", "flat", (0.1, 10), "flat", "none", 0.2),
    ("56B", 140, "asb", "night", "flat", (0.2, 10), "flat", "none", 0.05),
    ("58A", 650, "pop", "evening", "flat", (0.08, 10), "theft", "res", 0.22),
    ("58B", 250, "centre_mix", "night", "flat", (0.08, 10), "theft", "res", 0.02),
    ("58C", 850, "pop", "night", "flat", (0.08, 10), "theft", "res", 0.1),
    ("58D", 575, "asb", "night", "flat", (0.1, 10), "theft", "res", 0.08),
    ("58J", 20, "pop", "general", "flat", (0.05, 7), "flat", "none", 0.0),
    ("92A", 150, "drugs", "general", "flat", (0.05, 7), "drugs", "drugs", 0.0),
    ("92C", 30, "drugs", "general", "flat", (0.05, 7), "drugs", "drugs", 0.0),
    ("92D", 330, "drugs", "nightish", "flat", (0.05, 7), "drugs", "drugs", 0.0),
    ("92E", 90, "drugs", "nightish", "nte", (0.05, 7), "drugs", "drugs", 0.0),
    ("10A", 5, "drugs", "nightish", "flat", (0.0, 7), "flat", "none", 0.0),
    ("10C", 30, "drugs", "nightish", "flat", (0.05, 7), "po", "none", 0.0),
    ("10D", 110, "drugs", "nightish", "flat", (0.08, 7), "po", "nte", 0.02),
    ("81", 5, "pop", "general", "flat", (0.0, 7), "flat", "none", 0.0),
    ("62A", 20, "centre", "nte", "nte", (0.1, 7), "po", "nte", 0.0),
    ("9A", 1450, "po", "nightish", "flat", (0.1, 7), "po", "res", 0.08),
    ("9B", 200, "po", "general", "flat", (0.1, 7), "po", "res", 0.02),
    ("66", 130, "po", "general", "flat", (0.05, 7), "po", "res", 0.02),
    ("24", 60, "pop", "general", "flat", (0.1, 7), "flat", "none", 0.0),
    ("99", 200, "pop", "general", "flat", (0.0, 7), "flat", "none", 0.05),
    ("802", 50, "pop", "general", "flat", (0.05, 7), "flat", "res", 0.0),
    ("33", 20, "pop", "night", "flat", (0.0, 7), "flat", "acq", 0.0),
]
ASB_RATE = 8600
RATE_SCALE = 1.05  # calibrates the total to ~24,000 crimes a year

_COVID = {
    "acq": {
        "2020-03": 0.85,
        "2020-04": 0.55,
        "2020-05": 0.6,
        "2020-06": 0.75,
        "2020-07": 0.85,
        "2020-08": 0.9,
        "2020-09": 0.92,
        "2020-10": 0.9,
        "2020-11": 0.72,
        "2020-12": 0.85,
        "2021-01": 0.65,
        "2021-02": 0.68,
        "2021-03": 0.78,
        "2021-04": 0.88,
        "2021-05": 0.92,
        "2021-06": 0.95,
    },
    "nte": {
        "2020-03": 0.7,
        "2020-04": 0.25,
        "2020-05": 0.3,
        "2020-06": 0.4,
        "2020-07": 0.7,
        "2020-08": 0.8,
        "2020-09": 0.8,
        "2020-10": 0.65,
        "2020-11": 0.35,
        "2020-12": 0.55,
        "2021-01": 0.3,
        "2021-02": 0.3,
        "2021-03": 0.4,
        "2021-04": 0.6,
        "2021-05": 0.8,
        "2021-06": 0.9,
        "2021-07": 0.95,
    },
    "res": {
        "2020-04": 0.75,
        "2020-05": 0.8,
        "2020-06": 0.9,
        "2020-11": 0.9,
        "2021-01": 0.85,
        "2021-02": 0.85,
    },
    "dom": {"2020-04": 1.1, "2020-05": 1.12, "2020-06": 1.08, "2021-01": 1.08, "2021-02": 1.05},
    "asb": {
        "2020-03": 1.3,
        "2020-04": 2.3,
        "2020-05": 2.1,
        "2020-06": 1.6,
        "2020-07": 1.25,
        "2020-08": 1.15,
        "2020-09": 1.1,
        "2020-10": 1.1,
        "2020-11": 1.5,
        "2020-12": 1.3,
        "2021-01": 1.7,
        "2021-02": 1.5,
        "2021-03": 1.3,
        "2021-04": 1.1,
    },
    "drugs": {"2020-04": 1.35, "2020-05": 1.3, "2020-06": 1.15},
    "bike": {"2020-04": 0.8, "2020-05": 1.2, "2020-06": 1.3, "2020-07": 1.2},
    "none": {},
}


def _trend(name: str, t: np.ndarray) -> np.ndarray:
    """Multiplier by month index t (0 = April 2018, 59 = March 2023)."""
    t = np.asarray(t, float)
    if name == "sh":  # stalking & harassment: up to March 2021, then down
        return np.where(t <= 35, 0.72 + 0.58 * t / 35, 1.30 - 0.25 * (t - 35) / 24)
    lin = {
        "vwoi": (0.9, 0.2),
        "po": (0.75, 0.55),
        "burg": (1.15, -0.35),
        "theft": (1.05, -0.15),
        "drugs": (0.9, 0.2),
        "asb": (1.04, -0.1),
        "flat": (1.0, 0.0),
    }
    if name == "shop":
        return 1.0 + 0.25 * np.clip(t - 48, 0, None) / 11
    a, b = lin[name]
    return a + b * t / 59


_HOURS = {
    "nte": [
        14,
        14,
        11,
        7,
        3,
        1,
        0.5,
        0.5,
        0.5,
        0.5,
        0.5,
        0.6,
        0.6,
        0.6,
        0.6,
        0.7,
        0.8,
        1,
        1.2,
        1.5,
        3,
        6,
        9,
        12,
    ],
    "nightish": [
        3,
        2.5,
        2,
        1,
        0.6,
        0.4,
        0.4,
        0.6,
        0.8,
        1,
        1.2,
        1.3,
        1.5,
        1.6,
        1.8,
        2,
        2.3,
        2.5,
        2.7,
        3,
        3.3,
        3.5,
        3.6,
        3.4,
    ],
    "evening": [
        1,
        0.8,
        0.6,
        0.5,
        0.4,
        0.4,
        0.5,
        0.8,
        1,
        1.2,
        1.3,
        1.3,
        1.4,
        1.5,
        1.7,
        2.2,
        2.8,
        3.2,
        3.4,
        3.3,
        3,
        2.6,
        2,
        1.5,
    ],
    "day": [
        0.2,
        0.1,
        0.1,
        0.1,
        0.1,
        0.2,
        0.4,
        1,
        2,
        3,
        3.6,
        4,
        4.2,
        4.2,
        4.2,
        4.3,
        4.4,
        4,
        3.2,
        2.2,
        1.5,
        1,
        0.6,
        0.3,
    ],
    "general": [
        1,
        0.8,
        0.6,
        0.4,
        0.3,
        0.3,
        0.5,
        0.9,
        1.3,
        1.5,
        1.6,
        1.7,
        1.8,
        1.9,
        2.1,
        2.4,
        2.6,
        2.7,
        2.7,
        2.6,
        2.4,
        2.1,
        1.7,
        1.3,
    ],
    "night": [
        2.4,
        2.2,
        1.8,
        1.4,
        1,
        0.7,
        0.6,
        0.7,
        0.8,
        0.9,
        0.9,
        1,
        1,
        1,
        1,
        1.1,
        1.3,
        1.6,
        2,
        2.4,
        2.8,
        3,
        2.9,
        2.6,
    ],
    "dom": [
        1.6,
        1.3,
        1,
        0.7,
        0.5,
        0.4,
        0.5,
        0.8,
        1,
        1.1,
        1.2,
        1.3,
        1.3,
        1.4,
        1.5,
        1.8,
        2.1,
        2.4,
        2.7,
        2.9,
        3,
        2.9,
        2.5,
        2,
    ],
}
_WEEK = {  # Monday..Sunday; for "nte", the night the offence started
    "flat": [1, 1, 1, 1, 1.05, 1.1, 1.05],
    "nte": [0.35, 0.35, 0.45, 0.6, 1.6, 2.0, 0.9],
    "shop": [1.05, 1, 1, 1, 1.05, 1.15, 0.75],
    "dom": [1.05, 1, 1, 1, 1, 1.1, 1.2],
}


def _month_list(first: str = FIRST_MONTH, last: str = LAST_MONTH) -> list[str]:
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _reference() -> tuple[pd.DataFrame, pd.DataFrame]:
    here = Path(__file__).resolve().parents[1] / "data"
    codes = pd.read_csv(here / "home_office_offence_codes.csv", dtype=str)
    types = pd.read_csv(here / "police_uk_crime_types.csv", dtype=str)
    return codes.set_index("offence_code"), types


def _streams() -> list[dict]:
    """Every (code, stream) with its rate and profiles."""
    out = []
    sh = {"8L", "8M", "8Q", "8R"}
    woi = {"105A", "104", "105B", "3B", "11A", "12", "13", "36", "3A"}
    for code, rate, p_dom, p_nte in _VAP:
        trend = "sh" if code in sh else "vwoi" if code in woi else "flat"
        parts = [("dom", p_dom), ("nte", p_nte), ("res", 1 - p_dom - p_nte)]
        for stream, share in parts:
            if share <= 0:
                continue
            if stream == "dom":
                prof = ("pop", "dom", "dom", (0.08, 7), trend, "dom", 1.0)
            elif stream == "nte":
                prof = ("centre", "nte", "nte", (0.12, 7), trend, "nte", 0.0)
            else:
                prof = ("pop", "general", "flat", (0.1, 7), trend, "res", 0.0)
            out.append(
                dict(
                    code=code,
                    stream=stream,
                    rate=rate * share,
                    space=prof[0],
                    hours=prof[1],
                    week=prof[2],
                    season=prof[3],
                    trend=prof[4],
                    covid=prof[5],
                    dom=prof[6],
                    vap=True,
                )
            )
    for code, rate, space, hours, week, season, trend, covid, dom in _OTHER:
        out.append(
            dict(
                code=code,
                stream="other",
                rate=rate,
                space=space,
                hours=hours,
                week=week,
                season=season,
                trend=trend,
                covid=covid,
                dom=dom,
                vap=False,
            )
        )
    return out


def _expected(stream: dict, months: list[str]) -> np.ndarray:
    t = np.arange(len(months))
    cal = np.array([int(m[5:]) for m in months])
    days = np.array([calendar.monthrange(int(m[:4]), int(m[5:]))[1] for m in months])
    amp, peak = stream["season"]
    season = 1 + amp * np.cos(2 * np.pi * (cal - peak) / 12)
    covid = np.array([_COVID[stream["covid"]].get(m, 1.0) for m in months])
    return RATE_SCALE * stream["rate"] / 365.25 * days * season * _trend(stream["trend"], t) * covid


def _kernel(xy: np.ndarray, centre, sigma: float) -> np.ndarray:
    d2 = (xy[:, 0] - centre[0]) ** 2 + (xy[:, 1] - centre[1]) ** 2
    return np.exp(-d2 / (2 * sigma**2))


def _spatial_weights(geo: Geography) -> dict[str, np.ndarray]:
    xy, ward = geo.pool_xy, geo.pool_ward
    valid = (ward >= 0) & (geo.pool_lsoa >= 0)
    dep = np.where(valid, geo.deprivation[np.clip(ward, 0, None)], 0.0)
    centre = geo.ward_seeds[geo.centre_ward]
    in_centre = (ward == geo.centre_ward).astype(float)
    k_centre = _kernel(xy, centre, 400)
    burg = sum(_kernel(xy, geo.ward_seeds[w], 600) for w in geo.burglary_wards)
    retail = sum(_kernel(xy, p, 150) for p in geo.retail_points)
    parks = sum(_kernel(xy, p, 300) for p in geo.park_points)
    w = {
        "pop": dep,
        "centre": in_centre * (_kernel(xy, centre, 300) + 0.05) * valid,
        "burglary": dep * (1 + 12 * burg) * (1 - 0.7 * in_centre),
        "retail": 6 * _kernel(xy, centre, 250) * valid + 25 * retail * valid + 0.1 * dep,
        "centre_mix": 3 * k_centre * valid + dep,
        "business": 2 * k_centre * valid + 4 * retail * valid + dep,
        "vehicle": dep + 1.5 * k_centre * valid + 3 * retail * valid,
        "asb": dep + 2.5 * k_centre * valid + 6 * parks * valid,
        "drugs": dep**2 + 4 * k_centre * valid,
        "po": dep + 6 * k_centre * valid,
    }
    return {k: v / v.sum() for k, v in w.items()}


def _offences(seed: int, geo: Geography, months: list[str]) -> pd.DataFrame:
    """The offence-level truth for the full period (before blemishes)."""
    rng = np.random.default_rng([seed, 2])
    weights = _spatial_weights(geo)
    streams = _streams()
    month_days = {m: calendar.monthrange(int(m[:4]), int(m[5:]))[1] for m in months}
    month_wd = {
        m: np.array(
            [calendar.weekday(int(m[:4]), int(m[5:]), d) for d in range(1, month_days[m] + 1)]
        )
        for m in months
    }
    frames = []
    for s in streams:
        counts = rng.poisson(_expected(s, months))
        n = int(counts.sum())
        if n == 0:
            continue
        month_idx = np.repeat(np.arange(len(months)), counts)
        hp = np.asarray(_HOURS[s["hours"]], float)
        hours = rng.choice(24, size=n, p=hp / hp.sum())
        week = np.asarray(_WEEK[s["week"]], float)
        shift = (hours < 6) & (s["week"] == "nte")
        days = np.empty(n, dtype=np.int64)
        for mi in np.unique(month_idx):
            wd = month_wd[months[mi]]
            for sh in (False, True):
                sel = np.flatnonzero((month_idx == mi) & (shift == sh))
                if len(sel) == 0:
                    continue
                p = week[(wd - int(sh)) % 7]
                days[sel] = rng.choice(len(wd), size=len(sel), p=p / p.sum()) + 1
        place = rng.choice(len(geo.pool_xy), size=n, p=weights[s["space"]])
        dom = rng.uniform(size=n) < s["dom"]
        frames.append(
            pd.DataFrame(
                {
                    "month_idx": month_idx,
                    "day": days,
                    "hour": hours,
                    "code": s["code"],
                    "stream": s["stream"],
                    "vap": s["vap"],
                    "domestic": dom,
                    "pool": place,
                    "key": rng.integers(0, 2**62, size=n),
                }
            )
        )
    df = pd.concat(frames, ignore_index=True)
    df["month"] = np.asarray(months)[df["month_idx"].to_numpy()]
    df["date"] = df["month"] + "-" + df["day"].map("{:02d}".format)
    return df


def _build_extract(seed: int, geo: Geography, months: list[str]) -> pd.DataFrame:
    rng = np.random.default_rng([seed, 3])
    codes, _ = _reference()
    df = _offences(seed, geo, months)
    n = len(df)
    pool = df["pool"].to_numpy()
    df["easting"] = geo.pool_xy[pool, 0].astype(np.int64).astype(str)
    df["northing"] = geo.pool_xy[pool, 1].astype(np.int64).astype(str)
    df["lsoa"] = np.asarray(geo.lsoa_codes)[geo.pool_lsoa[pool]]
    df["snap"] = geo.pool_snap[pool]
    ward = geo.pool_ward[pool]
    loc_type = np.where(
        df["stream"] == "dom",
        "Domestic",
        np.where(ward == geo.centre_ward, "Town centre", "Residual"),
    )
    df["location_type"] = np.where(df["vap"], loc_type, "")
    df["flaw"] = ""
    # blemishes: ~10 a year just outside the town, ~0.05% with no location, a handful at 0,0
    order = rng.permutation(n)
    n_out = int(round(10 * len(months) / 12))
    n_missing = int(round(0.0005 * n))
    out_rows, miss_rows, zero_rows = (
        order[:n_out],
        order[n_out : n_out + n_missing],
        order[n_out + n_missing : n_out + n_missing + 6],
    )
    k = rng.integers(0, len(geo.outside_xy), size=len(out_rows))
    df.loc[out_rows, "easting"] = geo.outside_xy[k, 0].astype(np.int64).astype(str)
    df.loc[out_rows, "northing"] = geo.outside_xy[k, 1].astype(np.int64).astype(str)
    df.loc[out_rows, "lsoa"] = np.asarray(geo.outside_lsoa_code)[k]
    df.loc[out_rows, "snap"] = geo.outside_snap[k]
    df.loc[out_rows, "location_type"] = np.where(
        df.loc[out_rows, "vap"],
        np.where(df.loc[out_rows, "stream"] == "dom", "Domestic", "Residual"),
        "",
    )
    df.loc[miss_rows, ["easting", "northing", "lsoa"]] = ""
    df.loc[miss_rows, "flaw"] = "missing"
    df.loc[zero_rows, ["easting", "northing"]] = "0"
    df.loc[zero_rows, "flaw"] = "zero"
    # unknown Home Office codes (not in police.uk: they cannot be mapped to a crime type)
    unk = df.iloc[rng.choice(n, size=len(UNKNOWN_CODES), replace=False)].copy()
    unk["code"] = [c for c, _ in UNKNOWN_CODES]
    unk["vap"] = False
    unk["location_type"] = ""
    unk["domestic"] = False
    unk["key"] = rng.integers(0, 2**62, size=len(unk))
    df = pd.concat([df, unk], ignore_index=True)
    df = df.sort_values(["date", "hour", "key"], kind="mergesort").reset_index(drop=True)
    year = df["date"].str[2:4]
    seq = df.groupby(year, sort=False).cumcount() + 1
    df["ref"] = "WX" + year + "/" + seq.map("{:06d}".format)
    known = df["code"].isin(codes.index)
    desc = dict(UNKNOWN_CODES)
    df["description"] = np.where(
        known, df["code"].map(codes["offence_description"]), df["code"].map(desc)
    )
    df["group"] = df["code"].map(codes["offence_group"]).fillna("")
    df["subgroup"] = df["code"].map(codes["offence_subgroup"]).fillna("")
    df["crime_type"] = df["code"].map(codes["police_uk_crime_type"]).fillna("")
    df["known"] = known
    return _commissioner_columns(seed, df)


# The Commissioner's columns (knife/sharp instrument and firearm flags, victim reference): drawn
# from their own random stream after everything else, so no other column or count moves.
_KNIFE_P = {  # Home Office subgroup (or group) -> chance an offence is flagged
    "Homicide": 0.35,
    "Violence with injury": 0.07,
    "Violence without injury": 0.02,
    "Robbery of personal property": 0.15,
    "Robbery of business property": 0.2,
    "Rape": 0.02,
}
_FIREARM_P = {
    "Homicide": 0.05,
    "Violence with injury": 0.002,
    "Violence without injury": 0.002,
    "Robbery of personal property": 0.01,
    "Robbery of business property": 0.05,
}
_NO_VICTIM_GROUPS = (
    "Drug offences",
    "Possession of weapons offences",
    "Miscellaneous crimes against society",
)


def _commissioner_columns(seed: int, df: pd.DataFrame) -> pd.DataFrame:
    """Add ``knife``, ``firearm`` (bool) and ``victim`` (text, "" for no victim) to the offences.

    Repeat victims: an offence with a victim is, with probability 0.35 for domestic abuse and
    0.12 otherwise, against someone already a victim recently (chosen uniformly among the last
    2,000 new victims, about a month), so distinct victims in a year are fewer than offences."""
    rng = np.random.default_rng([seed, 31])
    n = len(df)
    sub = df["subgroup"].to_numpy()
    pk = np.array([_KNIFE_P.get(x, 0.0) for x in sub])
    pf = np.array([_FIREARM_P.get(x, 0.0) for x in sub])
    u_knife, u_fire, u_rep, u_pick = (rng.uniform(size=n) for _ in range(4))
    df["knife"] = u_knife < pk
    df["firearm"] = u_fire < pf
    has_victim = ~df["group"].isin(_NO_VICTIM_GROUPS).to_numpy()
    p_repeat = np.where(df["domestic"].to_numpy(), 0.35, 0.12)
    new = has_victim & ~(u_rep < p_repeat)
    new_before = np.cumsum(new) - new  # new victims strictly before each row
    new |= has_victim & (new_before == 0)  # the first victim cannot be a repeat
    new_before = np.cumsum(new) - new
    back = np.floor(u_pick * np.clip(new_before, 1, 2000)).astype(np.int64)
    idx = np.where(new, new_before, new_before - 1 - back)
    df["victim"] = np.where(has_victim, np.char.add("WXV", np.char.zfill(idx.astype(str), 7)), "")
    return df


def _extract_table(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Occurrence Ref": df["ref"],
            "Committed Date": df["date"],
            "Committed Hour": df["hour"].astype(str),
            "HO Offence Code": df["code"],
            "Offence Description": df["description"],
            "Offence Group": df["group"],
            "Offence Subgroup": df["subgroup"],
            "Domestic Abuse Flag": np.where(df["domestic"], "Y", "N"),
            "Location Type": df["location_type"],
            "LSOA Code": df["lsoa"],
            "Easting": df["easting"],
            "Northing": df["northing"],
            "Knife Flag": np.where(df["knife"], "Y", ""),  # blank when not flagged
            "Firearm Flag": np.where(df["firearm"], "Yes", "No"),
            "Victim Ref": df["victim"],
        }
    )[EXTRACT_COLUMNS]


# --------------------------------------------------------------------------------------------
# Outcomes
_DISPOSALS = [
    "charged",
    "Offender given a caution",
    "Local resolution",
    "Offender given penalty notice",
    "Offender given a drugs possession warning",
    "Suspect charged as part of another case",
    "Investigation complete; no suspect identified",
    "Unable to prosecute suspect",
    "Formal action is not in the public interest",
    "Further investigation is not in the public interest",
    "Action to be taken by another organisation",
    "none",
]
_DISPOSAL_P = {
    "Violence and sexual offences": [
        0.07,
        0.025,
        0.03,
        0,
        0,
        0.005,
        0.10,
        0.63,
        0.03,
        0.04,
        0.02,
        0.05,
    ],
    "Burglary": [0.04, 0.003, 0.005, 0, 0, 0.01, 0.80, 0.07, 0.005, 0.02, 0.005, 0.042],
    "Vehicle crime": [0.03, 0.002, 0.005, 0, 0, 0.005, 0.85, 0.05, 0, 0.02, 0.005, 0.033],
    "Shoplifting": [0.20, 0.04, 0.06, 0.01, 0, 0.01, 0.45, 0.12, 0.02, 0.04, 0.01, 0.04],
    "Other theft": [0.03, 0.01, 0.02, 0, 0, 0.005, 0.70, 0.15, 0.01, 0.03, 0.01, 0.035],
    "Criminal damage and arson": [
        0.05,
        0.02,
        0.04,
        0,
        0,
        0.005,
        0.55,
        0.25,
        0.02,
        0.03,
        0.01,
        0.025,
    ],
    "Public order": [0.07, 0.02, 0.04, 0.01, 0, 0.005, 0.15, 0.56, 0.03, 0.04, 0.02, 0.055],
    "Drugs": [0.35, 0.05, 0.05, 0.01, 0.25, 0.01, 0.02, 0.15, 0.04, 0.03, 0.01, 0.03],
    "Robbery": [0.10, 0.005, 0.005, 0, 0, 0.01, 0.45, 0.35, 0.01, 0.03, 0.01, 0.03],
    "Theft from the person": [0.02, 0, 0.005, 0, 0, 0.005, 0.85, 0.08, 0, 0.02, 0.005, 0.015],
    "Bicycle theft": [0.02, 0, 0.01, 0, 0, 0.005, 0.88, 0.05, 0, 0.02, 0.005, 0.01],
    "Possession of weapons": [0.45, 0.08, 0.05, 0, 0, 0.01, 0.03, 0.25, 0.04, 0.03, 0.02, 0.04],
    "Other crime": [0.15, 0.03, 0.03, 0, 0, 0.01, 0.20, 0.40, 0.04, 0.05, 0.04, 0.05],
}
_COURT = [
    "Offender sent to prison",
    "Offender given suspended prison sentence",
    "Offender fined",
    "Offender given community sentence",
    "Defendant found not guilty",
    "Offender given conditional discharge",
    "Court case unable to proceed",
    "Offender otherwise dealt with",
    "Offender deprived of property",
]
_COURT_P = [0.18, 0.13, 0.2, 0.15, 0.1, 0.08, 0.08, 0.06, 0.02]


def _outcomes(seed: int, crimes: pd.DataFrame, n_months: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Outcome events (crime row, month index, type) and each crime's last outcome category."""
    rng = np.random.default_rng([seed, 4])
    n = len(crimes)
    ctype = crimes["crime_type"].to_numpy()
    mi = crimes["month_idx"].to_numpy()
    disp = np.empty(n, dtype=object)
    for t, p in _DISPOSAL_P.items():
        sel = np.flatnonzero(ctype == t)
        p = np.asarray(p, float)
        disp[sel] = np.asarray(_DISPOSALS, dtype=object)[
            rng.choice(len(p), size=len(sel), p=p / p.sum())
        ]
    d1 = mi + rng.geometric(0.55, size=n) - 1
    court_gap = rng.integers(2, 11, size=n)
    court_type = np.asarray(_COURT, dtype=object)[rng.choice(len(_COURT), size=n, p=_COURT_P)]
    has_court = rng.uniform(size=n) < 0.85
    compensation = (rng.uniform(size=n) < 0.12) & np.isin(
        court_type, ["Offender fined", "Offender given community sentence"]
    )
    rows_i, rows_m, rows_t = [], [], []
    charged = disp == "charged"
    plain = ~charged & (disp != "none")
    idx = np.arange(n)
    rows_i += [idx[plain]]
    rows_m += [d1[plain]]
    rows_t += [disp[plain]]
    rows_i += [idx[charged]]
    rows_m += [d1[charged]]
    rows_t += [np.full(charged.sum(), "Suspect charged", dtype=object)]
    cc = charged & has_court
    rows_i += [idx[cc]]
    rows_m += [d1[cc] + court_gap[cc]]
    rows_t += [court_type[cc]]
    comp = cc & compensation
    rows_i += [idx[comp]]
    rows_m += [d1[comp] + court_gap[comp]]
    rows_t += [np.full(comp.sum(), "Offender ordered to pay compensation", dtype=object)]
    ev = pd.DataFrame(
        {
            "row": np.concatenate(rows_i),
            "month_idx": np.concatenate(rows_m),
            "type": np.concatenate(rows_t),
        }
    )
    ev = ev[ev["month_idx"] < n_months]
    # last outcome category as at the end of the period
    last = np.where(n_months - 1 - mi < 6, "Under investigation", "Status update unavailable")
    last = last.astype(object)
    lastev = ev.drop_duplicates("row", keep="last")  # rows were appended in time order per crime
    last[lastev["row"].to_numpy()] = lastev["type"].to_numpy()
    is_charge = last == "Suspect charged"
    age = n_months - 1 - d1
    last[is_charge] = np.where(
        age[is_charge] >= 12, "Court result unavailable", "Awaiting court outcome"
    )
    last[last == "Offender ordered to pay compensation"] = court_type[
        last == "Offender ordered to pay compensation"
    ]
    return ev, last


# --------------------------------------------------------------------------------------------
# Home Office CSP table and peers
_PEERS = [  # name, force, mid-2020 population, growth per year
    ("Ashcombe", "Ashcombe and Vale Constabulary", 178_000, 0.004),
    ("Brayford", "Marlshire Police", 241_000, 0.007),
    ("Calderbridge", "Calder Valley Police", 312_000, 0.005),
    ("Dunmere", "Wexshire Police", 134_000, 0.003),
    ("Eastwick Vale", "Eastmarch Constabulary", 196_000, 0.006),
    ("Fernley", "Marlshire Police", 152_000, 0.008),
    ("Greywater", "Severnmoor Police", 205_000, 0.004),
    ("Hollinsford", "Calder Valley Police", 268_000, 0.006),
    ("Kingsmead", "Eastmarch Constabulary", 229_000, 0.009),
    ("Lowestoke", "Severnmoor Police", 187_000, 0.002),
    ("Marlbury", "Marlshire Police", 123_000, 0.005),
    ("Northwold", "Northwold Police", 259_000, 0.006),
    ("Redcastle", "Ashcombe and Vale Constabulary", 294_000, 0.007),
    ("Stanholt", "Wexshire Police", 166_000, 0.004),
]
_PEER_OUTLIERS = {
    ("Redcastle", "Violence against the person"): 1.55,
    ("Lowestoke", "Shoplifting"): 1.9,
    ("Fernley", "Residential burglary"): 0.5,
}
_PEER_LOW = {"Greywater": 0.68}


def _population(year: int, base: int, growth: float) -> int:
    return int(round(base * (1 + growth) ** (year - 2020)))


def _fy(month: str) -> tuple[str, int]:
    y, m = int(month[:4]), int(month[5:])
    start = y if m >= 4 else y - 1
    return f"{start}/{str(start + 1)[2:]}", (m - 4) % 12 // 3 + 1


def _ho_rows(seed: int, extract: pd.DataFrame, months: list[str], fys: list[str]) -> pd.DataFrame:
    rng = np.random.default_rng([seed, 5])
    codes, _ = _reference()
    fq = [_fy(m) for m in months]
    ex = extract[extract["known"]].copy()
    ex["fy"] = [fq[i][0] for i in ex["month_idx"]]
    ex["quarter"] = [fq[i][1] for i in ex["month_idx"]]
    ex = ex[ex["fy"].isin(fys)]
    wex = ex.groupby(["fy", "quarter", "code"]).size().rename("count").reset_index()
    wex["csp"], wex["force"] = CSP_NAME, FORCE_NAME
    # expected Wexley counts per FY, quarter and code (the peers' baseline, per head)
    exp_rows = []
    for s in _streams():
        lam = _expected(s, months)
        for i in range(len(months)):
            exp_rows.append((fq[i][0], fq[i][1], s["code"], lam[i]))
    expd = pd.DataFrame(exp_rows, columns=["fy", "quarter", "code", "lam"])
    expd = expd[expd["fy"].isin(fys)].groupby(["fy", "quarter", "code"], sort=True)["lam"].sum()
    expd = expd.reset_index()
    wex_pop = 225_000
    groups = sorted(set(codes["offence_group"]) | set(codes["offence_subgroup"]))
    frames = [wex]
    for name, force, pop, _g in _PEERS:
        overall = np.exp(rng.normal(0, 0.15)) * _PEER_LOW.get(name, 1.0)
        gf = dict(zip(groups, np.exp(rng.normal(0, 0.15, len(groups))), strict=True))
        mult = []
        for code in expd["code"]:
            grp, sub = codes.at[code, "offence_group"], codes.at[code, "offence_subgroup"]
            f = overall * gf[grp] * _PEER_OUTLIERS.get((name, grp), 1.0)
            f *= _PEER_OUTLIERS.get((name, sub), 1.0)
            mult.append(f)
        lam = expd["lam"].to_numpy() * pop / wex_pop * np.asarray(mult)
        frames.append(
            pd.DataFrame(
                {
                    "fy": expd["fy"],
                    "quarter": expd["quarter"],
                    "code": expd["code"],
                    "count": rng.poisson(lam),
                    "csp": name,
                    "force": force,
                }
            )
        )
    allr = pd.concat(frames, ignore_index=True)
    allr = allr[allr["count"] > 0]
    code_order = {c: i for i, c in enumerate(codes.index)}
    allr = allr.assign(_o=allr["code"].map(code_order)).sort_values(
        ["fy", "csp", "quarter", "_o"], kind="mergesort"
    )
    allr["description"] = allr["code"].map(codes["offence_description"])
    allr["group"] = allr["code"].map(codes["offence_group"])
    allr["subgroup"] = allr["code"].map(codes["offence_subgroup"])
    return allr.reset_index(drop=True)


def _write_workbook(rows: pd.DataFrame, fys: list[str], target: Path) -> int:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    fixed = dt.datetime(2023, 7, 20, 9, 30, 0)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "helpers.sample.wexley (synthetic)"
    for fy in fys:
        sheet = f"{fy[:4]}_{fy[5:7]}"
        ws = wb.create_sheet(sheet)
        count_col = "Number of Offences" if sheet < "2021_22" else "Offence Count"
        ws.append(["Police recorded crime by Community Safety Partnership area"])
        ws.append(["Synthetic data generated by helpers.sample.wexley - not official statistics"])
        ws.append(
            [f"Financial year {fy}. Offence counts by quarter; rows with no offences are omitted."]
        )
        ws.append([])
        ws.append(HO_COLUMNS + [count_col])
        sub = rows[rows["fy"] == fy]
        for r in sub.itertuples(index=False):
            ws.append(
                [
                    r.fy,
                    int(r.quarter),
                    r.force,
                    r.csp,
                    r.description,
                    r.group,
                    r.subgroup,
                    str(r.code),
                    int(r.count),
                ]
            )
    tmp = target.with_suffix(".raw.xlsx")
    wb.save(tmp)
    _normalise_zip(tmp, target)
    tmp.unlink()
    return len(rows)


def _normalise_zip(src: Path, dst: Path) -> None:
    """Re-pack a zip with fixed entry dates so the bytes do not depend on the clock."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" at save time
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>2023-07-20T09:30:00Z\g<2>",
                    data,
                )
            zout.writestr(zi, data)


# --------------------------------------------------------------------------------------------
_README = """# Wexley — SYNTHETIC sample data

Everything in this folder is SYNTHETIC. Wexley, Wexshire Police, every ward, LSOA, street,
peer partnership and every number were invented by `helpers.sample.wexley` (seed {seed}). They are not
official statistics and describe no real place or person. They exist so the notebooks, tests
and reports run end to end; the formats match the real files an analyst would bring.

| file | what it imitates |
|---|---|
| `police_uk/YYYY-MM/YYYY-MM-wexshire-street.csv` | police.uk street-level crime and ASB (anonymised snap points) |
| `police_uk/YYYY-MM/YYYY-MM-wexshire-outcomes.csv` | police.uk outcomes |
| `force_extract.csv` | a force's offence-level extract (one row per notifiable offence) |
| `prc-csp-synthetic.xlsx` | Home Office "police recorded crime by CSP" open-data table (header on row 5; count column renamed from 2021_22) |
| `population_by_csp.csv` | mid-year population estimates for Wexley and its peers |
| `msg_groups.csv` | Wexley's Most Similar Group (Wexley and 14 fictional peers) |
| `wards.geojson` | ward boundaries, CRS84 (longitude/latitude) |
| `ward_population.csv` | ward population |
| `lsoa_to_ward.csv` | ONS-style best-fit LSOA→ward lookup |
| `prc-pfa-synthetic.csv`, `population_by_force.csv` | Home Office "police recorded crime by police force area" table (12 fictional forces) and force populations |
| `partnership_activity/2022-03.yaml` | a partnership activity return (initiatives, enforcement, Community Trigger) |
| `victim_survey.csv` | a force's victim satisfaction survey results (respondents and satisfied, by question and year) |

police.uk crime counts by month and type reconcile with the force extract; anti-social
behaviour exists only in police.uk. The Home Office table's Wexley rows are the extract
aggregated by financial year, quarter and offence code. Deliberate blemishes: a few rows with no
location or at 0,0, about ten a year just outside the town, five unknown offence codes.

Regenerate with `scrutiny sample --force` (or `helpers.sample.wexley.generate_sample()`); output is
byte-for-byte identical for the same seed.
"""


def _marker_text(area: str, seed: int, months: list[str]) -> str:
    return (
        f"SYNTHETIC DATA - NOT REAL.\nArea: {area} (Wexley Community Safety Partnership, "
        f"{FORCE_NAME}), all fictional.\nGenerated by helpers.sample.wexley version {SAMPLE_VERSION} "
        f"with seed {seed}, months {months[0]} to {months[-1]}.\n"
    )


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, lineterminator="\n")


def _build(out: Path, seed: int, area: str, window: tuple[str, str]) -> dict:
    all_months = _month_list()
    months = _month_list(*window)
    if not months or months[0] < FIRST_MONTH or months[-1] > LAST_MONTH:
        raise ValueError(f"months must lie within {FIRST_MONTH}..{LAST_MONTH}: {window}")
    files: dict[str, int] = {}
    from helpers.sample.geo import build_geography, wards_geojson

    geo = build_geography(seed)

    # geography
    gj = wards_geojson(geo)
    (out / "wards.geojson").write_text(
        json.dumps(gj, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    files["wards.geojson"] = len(gj["features"])
    wp = pd.DataFrame(
        {"ward_code": geo.ward_codes, "ward_name": geo.ward_names, "population": geo.ward_pop}
    ).sort_values("ward_code")
    _write_csv(wp, out / "ward_population.csv")
    files["ward_population.csv"] = len(wp)
    lk = pd.DataFrame(
        {
            "LSOA11CD": geo.lsoa_codes,
            "LSOA11NM": geo.lsoa_names,
            "WD19CD": [geo.ward_codes[i] for i in geo.lsoa_ward],
            "WD19NM": [geo.ward_names[i] for i in geo.lsoa_ward],
            "LAD19CD": "E07990001",
            "LAD19NM": "Wexley",
        }
    ).sort_values("LSOA11CD")
    _write_csv(lk, out / "lsoa_to_ward.csv")
    files["lsoa_to_ward.csv"] = len(lk)

    # offences (always the full five years, so a shorter window is an exact subset)
    ext = _build_extract(seed, geo, all_months)
    in_window = ext["month"].isin(months)
    _write_csv(_extract_table(ext[in_window]), out / "force_extract.csv")
    files["force_extract.csv"] = int(in_window.sum())

    # police.uk street rows derived from the extract
    crimes = ext[ext["known"]].reset_index(drop=True)
    crimes["crime_id"] = [hashlib.sha256(f"{seed}|{r}".encode()).hexdigest() for r in crimes["ref"]]
    events, last = _outcomes(seed, crimes, len(all_months))
    crimes["last"] = last
    snap = crimes["snap"].to_numpy()
    lon, lat = np.asarray(geo.snap_lon)[snap], np.asarray(geo.snap_lat)[snap]
    flaw = crimes["flaw"].to_numpy()
    crimes["lon"] = np.where(flaw == "missing", "", np.where(flaw == "zero", "0.000000", lon))
    crimes["lat"] = np.where(flaw == "missing", "", np.where(flaw == "zero", "0.000000", lat))
    crimes["location"] = np.where(
        flaw == "missing", "No location", np.asarray(geo.snap_location)[snap]
    )
    crimes["lsoa_code"] = np.where(flaw == "missing", "", np.asarray(geo.snap_lsoa_code)[snap])
    crimes["lsoa_name"] = np.where(flaw == "missing", "", np.asarray(geo.snap_lsoa_name)[snap])

    rng = np.random.default_rng([seed, 6])
    asb_frames = []
    asb_stream = dict(rate=ASB_RATE, season=(0.22, 7), trend="asb", covid="asb")
    lam = _expected(asb_stream, all_months)
    cal = np.array([int(m[5:]) for m in all_months])
    lam = lam * np.where(cal == 10, 1.15, np.where(cal == 11, 1.1, 1.0))  # fireworks season
    counts = rng.poisson(lam)
    asb_pool = rng.choice(len(geo.pool_xy), size=int(counts.sum()), p=_spatial_weights(geo)["asb"])
    asb_snap = geo.pool_snap[asb_pool]
    asb_frames = pd.DataFrame(
        {
            "crime_id": "",
            "month": np.repeat(np.asarray(all_months), counts),
            "lon": np.asarray(geo.snap_lon)[asb_snap],
            "lat": np.asarray(geo.snap_lat)[asb_snap],
            "location": np.asarray(geo.snap_location)[asb_snap],
            "lsoa_code": np.asarray(geo.snap_lsoa_code)[asb_snap],
            "lsoa_name": np.asarray(geo.snap_lsoa_name)[asb_snap],
            "crime_type": "Anti-social behaviour",
            "last": "",
        }
    )
    street = pd.concat([asb_frames, crimes[asb_frames.columns]], ignore_index=True)
    street["asb_first"] = street["crime_id"] != ""
    street = street.sort_values(
        ["month", "asb_first", "lsoa_code", "crime_type", "crime_id", "location"], kind="mergesort"
    )
    ev = events.merge(
        crimes[["crime_id", "lon", "lat", "location", "lsoa_code", "lsoa_name"]],
        left_on="row",
        right_index=True,
    )
    ev["month"] = np.asarray(all_months)[ev["month_idx"].to_numpy()]
    ev = ev.sort_values(["month", "lsoa_code", "crime_id", "row"], kind="mergesort")
    ev = ev[ev["month"].isin(months)]
    street = street[street["month"].isin(months)]
    by_month_street = dict(tuple(street.groupby("month", sort=True)))
    by_month_ev = dict(tuple(ev.groupby("month", sort=True)))
    n_street = n_out = 0
    for m in months:
        s = by_month_street.get(m, street.iloc[:0])
        table = pd.DataFrame(
            {
                "Crime ID": s["crime_id"],
                "Month": m,
                "Reported by": FORCE_NAME,
                "Falls within": FORCE_NAME,
                "Longitude": s["lon"],
                "Latitude": s["lat"],
                "Location": s["location"],
                "LSOA code": s["lsoa_code"],
                "LSOA name": s["lsoa_name"],
                "Crime type": s["crime_type"],
                "Last outcome category": s["last"],
                "Context": "",
            },
            columns=STREET_COLUMNS,
        )
        _write_csv(table, out / "police_uk" / m / f"{m}-{FORCE_SLUG}-street.csv")
        files[f"police_uk/{m}/{m}-{FORCE_SLUG}-street.csv"] = len(table)
        n_street += len(table)
        e = by_month_ev.get(m, ev.iloc[:0])
        otab = pd.DataFrame(
            {
                "Crime ID": e["crime_id"],
                "Month": m,
                "Reported by": FORCE_NAME,
                "Falls within": FORCE_NAME,
                "Longitude": e["lon"],
                "Latitude": e["lat"],
                "Location": e["location"],
                "LSOA code": e["lsoa_code"],
                "LSOA name": e["lsoa_name"],
                "Outcome type": e["type"],
            },
            columns=OUTCOME_COLUMNS,
        )
        _write_csv(otab, out / "police_uk" / m / f"{m}-{FORCE_SLUG}-outcomes.csv")
        files[f"police_uk/{m}/{m}-{FORCE_SLUG}-outcomes.csv"] = len(otab)
        n_out += len(otab)

    # Home Office table: whole financial years inside the window
    fys = sorted(
        {
            _fy(m)[0]
            for m in months
            if all(x in months for x in all_months if _fy(x)[0] == _fy(m)[0])
        }
    )
    if fys:
        rows = _ho_rows(seed, ext, all_months, fys)
        files["prc-csp-synthetic.xlsx"] = _write_workbook(rows, fys, out / "prc-csp-synthetic.xlsx")

    pop_rows = []
    for year in range(2017, 2023):
        pop_rows.append((CSP_NAME, year, _population(year, 225_000, 0.006)))
        for name, _force, base, growth in _PEERS:
            pop_rows.append((name, year, _population(year, base, growth)))
    pop = pd.DataFrame(pop_rows, columns=["csp_name", "year", "population"]).sort_values(
        ["csp_name", "year"], kind="mergesort"
    )
    _write_csv(pop, out / "population_by_csp.csv")
    files["population_by_csp.csv"] = len(pop)
    msg = pd.DataFrame(
        {"csp_name": CSP_NAME, "msg_member": [CSP_NAME] + sorted(p[0] for p in _PEERS)}
    )
    _write_csv(msg, out / "msg_groups.csv")
    files["msg_groups.csv"] = len(msg)

    files.update(write_synthetic_activity(out, area))
    files.update(write_synthetic_national(out, seed))
    files.update(write_synthetic_survey(out, seed))
    (out / "README.md").write_text(_README.format(seed=seed), encoding="utf-8")
    files["README.md"] = 0
    marker = _marker_text(area, seed, months)
    (out / MARKER).write_text(marker, encoding="utf-8")
    files[MARKER] = 0
    hashes = {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }
    (out / SAMPLE_MANIFEST).write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n")
    return {
        "files": dict(sorted(files.items())),
        "street_rows": n_street,
        "outcome_rows": n_out,
        "extract_rows": files["force_extract.csv"],
        "months": [months[0], months[-1]],
    }


def _foreign_files(out: Path) -> list[str]:
    """Files in ``out`` that are not an unchanged copy of a sample this generator wrote.

    Empty for an empty (or absent) folder, and for a folder holding exactly a sample: every file
    listed in its ``SAMPLE_MANIFEST.json`` with that sha256 and nothing else. A sample from before
    the manifest existed counts as the sample when its ``SYNTHETIC_DATA.txt`` was written by this
    generator and every file in it has a name the generator writes.
    """
    if not out.exists():
        return []
    if not out.is_dir():
        return [out.name]
    present = {str(p.relative_to(out)): p for p in sorted(out.rglob("*")) if not p.is_dir()}
    if not present:
        return []
    manifest = out / SAMPLE_MANIFEST
    try:
        listed = json.loads(manifest.read_text(encoding="utf-8")) if manifest.is_file() else None
    except (OSError, ValueError):
        listed = None
    if isinstance(listed, dict):
        foreign = []
        for name, p in present.items():
            if name == SAMPLE_MANIFEST:
                continue
            try:
                same = (
                    p.is_file()
                    and not p.is_symlink()
                    and listed.get(name) == (hashlib.sha256(p.read_bytes()).hexdigest())
                )
            except OSError:
                same = False
            if not same:
                foreign.append(name)
        return foreign
    marker = present.get(MARKER)
    try:
        ours = marker is not None and "helpers.sample.wexley version" in marker.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        ours = False
    if not ours:
        return sorted(present)
    expected = _SAMPLE_NAMES | {MARKER}
    return sorted(n for n in present if n not in expected and not _SAMPLE_PATTERN.match(n))


_SAMPLE_NAMES = {
    "README.md",
    "force_extract.csv",
    "lsoa_to_ward.csv",
    "msg_groups.csv",
    "population_by_csp.csv",
    "prc-csp-synthetic.xlsx",
    "ward_population.csv",
    "wards.geojson",
    "partnership_activity/2022-03.yaml",
    "prc-pfa-synthetic.csv",
    "population_by_force.csv",
    "victim_survey.csv",
}
_SAMPLE_PATTERN = re.compile(
    rf"^police_uk/{MONTH_TEXT}/{MONTH_TEXT}-wexshire-(street|outcomes)\.csv$"
)


# A SYNTHETIC partnership activity return (helpers.ingest.activity) for the year to March 2022.
# Every initiative, count and plan below is invented; ward codes are the sample's own.
ACTIVITY_PERIOD = "2022-03"
_ACTIVITY_YAML = """\
# SYNTHETIC partnership activity return for the Wexley sample: every initiative, count and plan
# here is invented (helpers.sample.wexley). Shape: scrutiny activity-template.
area: {area}
period: {period}
synthetic: true
prepared_by: Community Safety Team, Wexley Borough Council (fictional)

priorities:
  - name: Serious acquisitive crime
    description: Burglary, robbery and vehicle crime
  - name: Violence, including domestic abuse
    description: Violence against women and girls, and violence in the night-time economy
  - name: Anti-social behaviour and hate crime
    description: Tackling persistent anti-social behaviour and encouraging people to report hate crime

initiatives:
  - name: Operation Lantern
    description: Extra evening patrols and alcohol seizures in the town centre
    wards: [E05990001]
    locality: Town centre
    start: 2021-07-01
    end: 2021-09-30
    priority: Anti-social behaviour and hate crime
  - name: Safer Homes target hardening
    description: Locks, lighting and door chains fitted for repeat burglary victims
    wards: [E05990004, E05990005]
    start: 2021-04-01
    priority: Serious acquisitive crime
  - name: Night-time economy street marshals
    description: Marshals at taxi ranks on Friday and Saturday nights
    wards: [E05990001]
    start: 2021-10-01
    priority: Violence, including domestic abuse
  - name: Youth diversion football
    description: Weekly evening sessions run with a local club and a youth worker
    wards: [E05990003, E05990008]
    start: 2021-06-01
    end: 2022-02-28
    priority: Anti-social behaviour and hate crime
  - name: Hate crime week of action
    description: Engagement stands and school sessions on reporting hate crime
    locality: Whole area
    start: 2021-10-09
    end: 2021-10-16
    priority: Anti-social behaviour and hate crime
  - name: Bike marking events
    description: Free cycle marking at the station and the hospital
    wards: [E05990002, E05990006]
    start: 2021-05-01
    end: 2021-08-31
    priority: Serious acquisitive crime

enforcement:
  this_period:
    community_protection_warnings: 41
    community_protection_notices: 6
    criminal_behaviour_orders: 2
    closure_orders: 1
    injunctions: 3
    acceptable_behaviour_contracts: 7
  previous_period:
    community_protection_warnings: 33
    community_protection_notices: 4
    criminal_behaviour_orders: 3
    closure_orders: 0
    injunctions: 1
    acceptable_behaviour_contracts: 5

community_trigger:
  received: 8
  met_threshold: 3
  case_reviews: 3
  reviews_with_recommendations: 2

priority_neighbourhoods:
  - name: Castle and the Market Square
    wards: [E05990001]
    actions:
      - Monthly multi-agency walkabout with businesses
      - CCTV camera moved to cover the bus station entrance
  - name: Kingsbrook and Millfield estates
    wards: [E05990004, E05990005]
    actions:
      - Door-knocking on streets with repeat burglaries
      - Reporting leaflet delivered to every household

next_three_months:
  - action: Month of action against violence and aggression
    when: May 2022
    locality: Whole area
  - action: Review of street lighting on footpaths in St Crispin
    when: April 2022
    wards: [E05990003]
  - action: Renewal of the town centre Public Spaces Protection Order
    when: June 2022
    wards: [E05990001]
"""


def write_synthetic_activity(out: Path, area: str = "wexley") -> dict[str, int]:
    """Write the SYNTHETIC partnership activity return into ``out/partnership_activity/``.

    One file, ``2022-03.yaml`` (the default period); other periods have none, so the reports
    show what a missing return looks like. Returns {relative path: 0} for the summary.
    """
    rel = f"partnership_activity/{ACTIVITY_PERIOD}.yaml"
    target = out / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(_ACTIVITY_YAML.format(area=area, period=ACTIVITY_PERIOD), encoding="utf-8")
    return {rel: 0}


# A SYNTHETIC Home Office "police recorded crime by police force area" table and force populations
# (helpers.ingest.force_context). Every force except Wexshire Police and its neighbours in this
# sample is invented too; British Transport Police and Action Fraud rows are there because the real
# table has them and they must be left out of rates.
_NATIONAL_FORCES = [  # name, mid-2020 population, recorded crime per 1,000 a year
    ("Wexshire Police", 748_000, 86.0),
    ("Ashcombe and Vale Constabulary", 1_210_000, 71.5),
    ("Marlshire Police", 905_000, 93.0),
    ("Calder Valley Police", 2_310_000, 118.0),
    ("Eastmarch Constabulary", 1_460_000, 77.0),
    ("Severnmoor Police", 640_000, 62.5),
    ("Northwold Police", 1_030_000, 99.0),
    ("Fenmoor Constabulary", 820_000, 68.0),
    ("Hallam Vale Police", 1_720_000, 104.5),
    ("Kestrel Coast Police", 560_000, 81.0),
    ("Oakdown Constabulary", 1_150_000, 74.0),
    ("Rivermead Police", 2_880_000, 109.0),
]
_NATIONAL_GROUPS = [  # offence group, share of recorded crime
    ("Violence against the person", 0.36),
    ("Theft offences", 0.30),
    ("Criminal damage and arson", 0.10),
    ("Public order offences", 0.10),
    ("Sexual offences", 0.035),
    ("Robbery", 0.015),
    ("Drug offences", 0.04),
    ("Miscellaneous crimes against society", 0.05),
]
_NATIONAL_EXTRA = [("British Transport Police", 60_000), ("Action Fraud", 300_000)]  # a year


def write_synthetic_national(out: Path, seed: int = DEFAULT_SEED) -> dict[str, int]:
    """Write ``prc-pfa-synthetic.csv`` (police force area table, published layout: title lines,
    then one row per financial year, quarter, force and offence group) and
    ``population_by_force.csv`` (``force_name, year, population``), all SYNTHETIC."""
    rng = np.random.default_rng([seed, 21])
    fys = [f"{y}/{(y + 1) % 100:02d}" for y in range(2018, 2023)]
    rows = []
    for fy in fys:
        for q in (1, 2, 3, 4):
            covid = 0.8 if (fy, q) in {("2020/21", 1), ("2020/21", 3), ("2020/21", 4)} else 1.0
            for name, pop, rate in _NATIONAL_FORCES:
                for group, share in _NATIONAL_GROUPS:
                    lam = pop / 1000 * rate / 4 * share * covid
                    rows.append([fy, q, name, group, group, "", "", int(rng.poisson(lam))])
            for name, per_year in _NATIONAL_EXTRA:
                group = "Fraud offences" if name == "Action Fraud" else "Theft offences"
                rows.append([fy, q, name, group, group, "", "", int(rng.poisson(per_year / 4))])
    header = ["Financial Year", "Financial Quarter", "Force Name", "Offence Description",
              "Offence Group", "Offence Subgroup", "Offence Code", "Number of Offences"]  # fmt: skip
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Police recorded crime by police force area - SYNTHETIC, not real data"])
    w.writerow(["Generated by helpers.sample.wexley for the Wexley sample"])
    w.writerow([])
    w.writerow(header)
    w.writerows(rows)
    (out / "prc-pfa-synthetic.csv").write_text(buf.getvalue(), encoding="utf-8")
    pop_rows = [
        (name, year, _population(year, pop, 0.005))
        for name, pop, _rate in _NATIONAL_FORCES
        for year in range(2017, 2023)
    ]
    pop = pd.DataFrame(pop_rows, columns=["force_name", "year", "population"])
    _write_csv(pop, out / "population_by_force.csv")
    return {"prc-pfa-synthetic.csv": len(rows), "population_by_force.csv": len(pop)}


# A SYNTHETIC victim satisfaction survey (helpers.ingest.survey): one row per question and year to
# March; the hate crime question has too few respondents for a percentage (the small-number rule).
_SURVEY_QUESTIONS = [  # question, respondents a year, chance a respondent is satisfied
    ("Overall satisfaction", 420, 0.75),
    ("Domestic abuse victims: overall satisfaction", 95, 0.89),
    ("Hate crime victims: overall satisfaction", 14, 0.7),
]


def write_synthetic_survey(out: Path, seed: int = DEFAULT_SEED) -> dict[str, int]:
    """Write ``victim_survey.csv`` (``period, question, respondents, satisfied``), SYNTHETIC."""
    rng = np.random.default_rng([seed, 32])
    rows = []
    for year in range(2019, 2024):
        for question, n, p in _SURVEY_QUESTIONS:
            k = int(rng.binomial(n, p))
            rows.append([f"{year}-03", question, n, k])
    buf = io.StringIO()
    buf.write("# SYNTHETIC victim satisfaction survey for the Wexley sample (not real answers)\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["period", "question", "respondents", "satisfied"])
    w.writerows(rows)
    (out / "victim_survey.csv").write_text(buf.getvalue(), encoding="utf-8")
    return {"victim_survey.csv": len(rows)}


def generate_sample(
    out_dir: Path | None = None,
    seed: int = DEFAULT_SEED,
    area: str = "wexley",
    months: tuple[str, str] | None = None,
) -> dict:
    """Write the synthetic sample into ``out_dir`` (default ``data/raw/<area>/``).

    ``months`` = (first, last) restricts the monthly files to a window inside April 2018 to
    March 2023 (used by fast tests); the default is all 60 months. The folder is built beside
    ``out_dir`` and renamed into place. Raw data are never deleted: an existing ``out_dir`` is
    replaced only when it is empty or holds exactly a sample (checked against its
    ``SAMPLE_MANIFEST.json`` of sha256 hashes); anything else is an :class:`OutputError` naming
    the files, and nothing is touched. Returns a summary: ``out_dir``, ``seed``, ``files``
    (relative path → data rows) and row totals.
    """
    out = Path(out_dir) if out_dir is not None else paths.raw_dir() / paths.safe_name(area, "area")
    foreign = _foreign_files(out)
    if foreign:
        listed = ", ".join(foreign[:5]) + (
            f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        )
        raise OutputError(
            f"The folder {out} holds file(s) that are not the synthetic sample ({listed}); "
            "the sample is written only into an empty folder or over an unchanged sample, so "
            "nothing was changed or deleted.",
            "If these are your own data, keep them: point the config's sources at them and set "
            "'synthetic: false'. To rebuild the sample, move them out of the folder first.",
        )
    window = months or (FIRST_MONTH, LAST_MONTH)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    except OSError as exc:
        raise OutputError(
            f"Cannot create the sample folder beside {out}: {exc.strerror}.",
            "Check the folder is writable and the disk is not full.",
        ) from exc
    old = None
    try:
        summary = _build(tmp, seed, area, window)
        os.chmod(tmp, 0o755)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.rmdir(old)
            os.replace(out, old)
        os.replace(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(
            f"Could not write the sample into {out}: {exc.strerror or exc}.",
            "Check the folder is writable and the disk is not full.",
        ) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        with contextlib.suppress(OSError):
            shutil.rmtree(old)
    return {"out_dir": str(out), "folder": str(out), "seed": seed, **summary}


def ensure_sample(out_dir: Path | None = None) -> Path:
    """Return the sample folder, generating it first if it is absent.

    The sample counts as present when ``SYNTHETIC_DATA.txt`` exists and says it was written by
    this version of the generator for the full five years; a missing marker, a short test
    window or an older generator version means the folder is rebuilt (atomically).
    """
    out = Path(out_dir) if out_dir is not None else paths.raw_dir() / "wexley"
    marker = out / MARKER
    try:
        text = marker.read_text(encoding="utf-8") if marker.is_file() else ""
    except OSError:
        text = ""
    current = (
        f"helpers.sample.wexley version {SAMPLE_VERSION} " in text
        and f"months {FIRST_MONTH} to {LAST_MONTH}" in text
    )
    if not current:
        generate_sample(out)
    return out
