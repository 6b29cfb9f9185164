"""Synthetic police.uk street-level CSVs at national scale, for the benchmark.

``generate_national(folder, rows=10_500_000, forces=43, months=36)`` writes
``<folder>/<YYYY-MM>/<YYYY-MM>-<force-slug>-street.csv`` exactly as the police.uk archive lays
them out (43 forces × 36 months = 1,548 files; ≥ 10 million rows by default). Everything is
vectorised numpy written by Arrow's CSV writer; the same arguments give byte-identical files.

The data are SYNTHETIC: force names are the real 43 territorial forces of England and Wales (so
file names look real) but every row is random. Realistic mess is planted at fixed small rates so
the cleaning ledger has work to do: crime rows without a Crime ID, unknown crime types, missing
coordinates, Crime IDs repeated from the previous month's file, and (in every 50th file) one
malformed line with too many fields.

The default folder is ``.bench/national`` in the project root (git-ignored). A marker file
records the arguments; a folder already holding the same data is reused, not rewritten.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from helpers.core import paths
from helpers.ingest.loading import STREET_COLUMNS

GENERATOR_VERSION = 2
MARKER = "NATIONAL_SAMPLE.json"
COLUMNS = STREET_COLUMNS  # the exact police.uk street header

FORCES = [
    "Avon and Somerset Constabulary",
    "Bedfordshire Police",
    "Cambridgeshire Constabulary",
    "Cheshire Constabulary",
    "City of London Police",
    "Cleveland Police",
    "Cumbria Constabulary",
    "Derbyshire Constabulary",
    "Devon & Cornwall Police",
    "Dorset Police",
    "Durham Constabulary",
    "Dyfed-Powys Police",
    "Essex Police",
    "Gloucestershire Constabulary",
    "Greater Manchester Police",
    "Gwent Police",
    "Hampshire Constabulary",
    "Hertfordshire Constabulary",
    "Humberside Police",
    "Kent Police",
    "Lancashire Constabulary",
    "Leicestershire Police",
    "Lincolnshire Police",
    "Merseyside Police",
    "Metropolitan Police Service",
    "Norfolk Constabulary",
    "North Wales Police",
    "North Yorkshire Police",
    "Northamptonshire Police",
    "Northumbria Police",
    "Nottinghamshire Police",
    "South Wales Police",
    "South Yorkshire Police",
    "Staffordshire Police",
    "Suffolk Constabulary",
    "Surrey Police",
    "Sussex Police",
    "Thames Valley Police",
    "Warwickshire Police",
    "West Mercia Police",
    "West Midlands Police",
    "West Yorkshire Police",
    "Wiltshire Police",
]

# police.uk crime types with roughly national shares; one unknown type is planted separately
CRIME_TYPES = [
    ("Anti-social behaviour", 0.22),
    ("Violence and sexual offences", 0.33),
    ("Public order", 0.08),
    ("Criminal damage and arson", 0.07),
    ("Other theft", 0.06),
    ("Shoplifting", 0.06),
    ("Vehicle crime", 0.05),
    ("Burglary", 0.04),
    ("Drugs", 0.025),
    ("Other crime", 0.02),
    ("Theft from the person", 0.01),
    ("Robbery", 0.01),
    ("Bicycle theft", 0.01),
    ("Possession of weapons", 0.005),
]
OUTCOMES = [
    "Investigation complete; no suspect identified",
    "Unable to prosecute suspect",
    "Under investigation",
    "Status update unavailable",
    "Court result unavailable",
    "Local resolution",
    "Offender given a caution",
    "Awaiting court outcome",
    "Action to be taken by another organisation",
    "Further investigation is not in the public interest",
]
STREETS = [
    f"On or near {a} {b}"
    for a in (
        "Church",
        "Station",
        "Mill",
        "Park",
        "High",
        "Victoria",
        "Albert",
        "King",
        "Queen",
        "London",
        "Manor",
        "Green",
        "School",
        "North",
        "South",
        "West",
        "New",
        "Bridge",
        "Chapel",
        "Castle",
    )
    for b in (
        "Street",
        "Road",
        "Lane",
        "Avenue",
        "Close",
        "Way",
        "Drive",
        "Place",
        "Crescent",
        "Grove",
    )
]
RATES = {"no_id": 0.0005, "unknown_type": 0.0003, "no_coords": 0.012, "repeat_id": 0.0004}


def slug(force: str) -> str:
    return force.lower().replace("&", "and").replace(" ", "-").replace("--", "-")


def month_list(first: str, n: int) -> list[str]:
    y, m = int(first[:4]), int(first[5:7])
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        m += 1
        if m == 13:
            y, m = y + 1, 1
    return out


def _hex_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random 64-character lowercase hex strings as a (n, 64) uint8 array of ASCII."""
    raw = rng.integers(0, 16, size=(n, 64), dtype=np.uint8)
    return np.where(raw < 10, raw + 48, raw + 87).astype(np.uint8)


def _string_array(chars: np.ndarray, present: np.ndarray) -> pa.Array:
    """Arrow strings from fixed-width ASCII rows (``present`` rows) and empty strings elsewhere."""
    width = chars.shape[1]
    lengths = np.where(present, width, 0).astype(np.int32)
    offsets = np.zeros(len(present) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    data = np.ascontiguousarray(chars[present]).tobytes()
    return pa.StringArray.from_buffers(
        len(present), pa.py_buffer(offsets.tobytes()), pa.py_buffer(data)
    )


def _file_table(
    rng: np.random.Generator,
    n: int,
    month: str,
    force_i: int,
    force: str,
    prev_ids: np.ndarray | None,
) -> tuple[pa.Table, np.ndarray]:
    types = [t for t, _ in CRIME_TYPES]
    p = np.array([w for _, w in CRIME_TYPES])
    t_idx = rng.choice(len(types), size=n, p=p / p.sum())
    crime_type = pc.take(
        pa.array(types + ["Unknown offence type"]),
        pa.array(np.where(rng.random(n) < RATES["unknown_type"], len(types), t_idx)),
    )
    is_asb = t_idx == 0
    has_id = ~is_asb & (rng.random(n) >= RATES["no_id"])
    ids = _hex_ids(rng, n)
    if prev_ids is not None and len(
        prev_ids
    ):  # the same crime republished in the next month's file
        rep = np.flatnonzero(has_id & (rng.random(n) < RATES["repeat_id"]))
        if len(rep):
            ids[rep] = prev_ids[rng.integers(0, len(prev_ids), size=len(rep))]
    cx = -3.0 + 2.5 * ((force_i * 7919) % 43) / 43
    cy = 50.8 + 4.0 * ((force_i * 104729) % 43) / 43
    lon = np.round(cx + rng.normal(0, 0.15, n), 6)
    lat = np.round(cy + rng.normal(0, 0.10, n), 6)
    no_xy = rng.random(n) < RATES["no_coords"]
    lon_s = pc.if_else(pa.array(no_xy), "", pc.cast(pa.array(lon), pa.string()))
    lat_s = pc.if_else(pa.array(no_xy), "", pc.cast(pa.array(lat), pa.string()))
    lsoa_i = rng.integers(0, 900, size=n)
    codes = pa.array([f"E01{force_i:03d}{k:03d}" for k in range(900)])
    names = pa.array([f"{force.split()[0]} {k // 4 + 1:03d}{'ABCD'[k % 4]}" for k in range(900)])
    lsoa = pa.array(lsoa_i)
    outcome = pc.take(pa.array(OUTCOMES), pa.array(rng.integers(0, len(OUTCOMES), size=n)))
    outcome = pc.if_else(pa.array(is_asb), "", outcome)
    table = pa.table(
        {
            "Crime ID": _string_array(ids, has_id),
            "Month": pa.array(np.full(n, month, dtype=object), pa.string()),
            "Reported by": pa.array(np.full(n, force, dtype=object), pa.string()),
            "Falls within": pa.array(np.full(n, force, dtype=object), pa.string()),
            "Longitude": lon_s,
            "Latitude": lat_s,
            "Location": pc.take(pa.array(STREETS), pa.array(rng.integers(0, len(STREETS), size=n))),
            "LSOA code": pc.take(codes, lsoa),
            "LSOA name": pc.take(names, lsoa),
            "Crime type": crime_type,
            "Last outcome category": outcome,
            "Context": pa.array(np.full(n, "", dtype=object), pa.string()),
        }
    )
    return table, ids[has_id]


def _marker(rows: int, forces: int, months: int, first_month: str, seed: int) -> dict:
    return {
        "generator_version": GENERATOR_VERSION,
        "rows": rows,
        "forces": forces,
        "months": months,
        "first_month": first_month,
        "seed": seed,
    }


def default_folder() -> Path:
    return paths.project_root() / ".bench" / "national"


def generate_national(
    folder: str | Path | None = None,
    rows: int = 10_500_000,
    forces: int = 43,
    months: int = 36,
    first_month: str = "2019-04",
    seed: int = 20240301,
    force_rebuild: bool = False,
) -> dict:
    """Write the national sample; return ``{"folder", "files", "rows", "bytes", "reused"}``.

    ``rows`` is the target total: each force gets a fixed share (larger forces more rows), each
    month varies by a few per cent. The actual total (returned) is within a fraction of a per cent.
    """
    folder = Path(folder) if folder else default_folder()
    forces = max(1, min(forces, len(FORCES)))
    want = _marker(rows, forces, months, first_month, seed)
    mk = folder / MARKER
    if not force_rebuild and mk.exists():
        have = json.loads(mk.read_text())
        if {k: have.get(k) for k in want} == want:
            return {**have, "folder": str(folder), "reused": True}
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    share = rng.gamma(2.0, 1.0, size=forces)
    share /= share.sum()
    month_names = month_list(first_month, months)
    season = 1 + 0.05 * np.sin(np.arange(months) * 2 * np.pi / 12)
    season /= season.mean()
    total = n_files = 0
    opts = pacsv.WriteOptions(
        include_header=True, quoting_style="none"
    )  # police.uk quotes nothing; no field holds a comma
    for fi in range(forces):
        force = FORCES[fi]
        prev_ids = None
        frng = np.random.default_rng([seed, fi])
        for mi, month in enumerate(month_names):
            n = max(1, int(round(rows * share[fi] * season[mi] / months)))
            table, prev_ids = _file_table(frng, n, month, fi, force, prev_ids)
            target = folder / month / f"{month}-{slug(force)}-street.csv"
            target.parent.mkdir(exist_ok=True)
            pacsv.write_csv(table, target, write_options=opts)
            if n_files % 50 == 49:  # one malformed line: more fields than the header
                with open(target, "a", encoding="utf-8") as fh:
                    fh.write(",".join([""] * (len(COLUMNS) + 2)) + "x\n")
                total += 1
            total += n
            n_files += 1
    size = sum(p.stat().st_size for p in folder.rglob("*.csv"))
    info = {**want, "files": n_files, "rows_written": total, "bytes": size}
    mk.write_text(json.dumps(info, indent=2) + "\n")
    return {**info, "folder": str(folder), "reused": False}


if __name__ == "__main__":  # pragma: no cover
    import argparse

    ap = argparse.ArgumentParser(
        description="Write synthetic national-scale police.uk street CSVs."
    )
    ap.add_argument("--folder", default=None)
    ap.add_argument("--rows", type=int, default=10_500_000)
    ap.add_argument("--forces", type=int, default=43)
    ap.add_argument("--months", type=int, default=36)
    a = ap.parse_args()
    print(json.dumps(generate_national(a.folder, a.rows, a.forces, a.months), indent=2))
