"""National-scale cleaning of police.uk street-level CSVs: Arrow in, columnar Parquet out.

``clean_street(source, period_end, out=...)`` reads many forces × many months of police.uk
street files (a folder tree, a flat folder or a zip, found by :func:`helpers.loading.discover_police_uk`)
and writes one Parquet file, streaming so memory stays bounded (see *Memory* below). It applies the
*same rules* as :func:`helpers.cleaning.clean_police_uk` and keeps the same ledger, so for every file
rows read = rows kept + rows rejected, by reason:

* rows with more fields than the header: ``malformed row (more fields than the header)``;
* then, first reason wins: ``unparseable month``; ``month outside the requested span (after the
  period end)``; ``unknown crime type``; ``crime row without a Crime ID``; ``duplicate Crime ID
  (already in an earlier monthly file)`` — a Crime ID whose first appearance (ordered by month,
  file, row) is in another file; repeats *within* one file are kept, as police.uk counts them;
* with an LSOA lookup (``lookup``, the frame :func:`helpers.geography.read_lsoa_lookup` returns),
  rows whose LSOA is not in it are rejected as ``missing or zeroed coordinates and LSOA not in the
  area`` / ``outside the area``, and wards are assigned by LSOA (``ward_method = lsoa-lookup``).
  Without one every row is kept whatever its place (national work). Point-in-polygon ward
  assignment is left to the area cleaning stage, which can run on the much smaller kept rows.

Classification is :func:`helpers.offences.classify_police_uk` itself, applied to the distinct
crime types. Columns and types follow ``street.parquet`` in docs/architecture.md.

How it is fast: files are parsed by Arrow's C++ CSV reader on a thread pool (one file per thread,
the GIL released), only the 11 columns used are converted, string work is done by Arrow compute
kernels, classification maps a dictionary of ~15 values, and coordinates are projected by pyproj
on whole batches. A file Arrow cannot read exactly as the reference reader does (rows with too few
fields, a text encoding other than UTF-8) is read by the reference reader instead, so results are
identical either way.

Memory: rows are processed in batches of about ``batch_rows`` and written as Parquet row groups;
what grows with the data is only the set of Crime IDs already seen (about 100 bytes per distinct
ID, ~1 GB for 10 million crimes).

Duplicate Crime IDs are decided in one pass, in file order (month, then file name). That equals
the reference rule whenever every row's Month matches its file's month, as in police.uk's own
archive; if any row disagrees, a second exact pass decides them as the reference does.
"""

from __future__ import annotations

import csv
import io
import os
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from . import geography, loading, offences
from .errors import DataFileError
from .io import atomic_path
from .ledger import Ledger

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
MALFORMED = "malformed row (more fields than the header)"
REASONS = [
    "",  # kept
    "unparseable month",
    "month outside the requested span (after the period end)",
    "unknown crime type",
    "crime row without a Crime ID",
    "duplicate Crime ID (already in an earlier monthly file)",
    "missing or zeroed coordinates and LSOA not in the area",
    "outside the area",
]
SCHEMA = pa.schema(
    [
        ("crime_id", pa.string()),
        ("month", pa.string()),
        ("reported_by", pa.string()),
        ("falls_within", pa.string()),
        ("longitude", pa.float64()),
        ("latitude", pa.float64()),
        ("location", pa.string()),
        ("lsoa_code", pa.string()),
        ("lsoa_name", pa.string()),
        ("crime_type", pa.string()),
        ("last_outcome_category", pa.string()),
        ("source_file", pa.string()),
        ("source_row", pa.int64()),
        ("crime_group", pa.string()),
        ("is_asb", pa.bool_()),
        ("is_sac", pa.bool_()),
        ("is_neighbourhood", pa.bool_()),
        ("easting", pa.float64()),
        ("northing", pa.float64()),
        ("ward_code", pa.string()),
        ("ward_name", pa.string()),
        ("ward_method", pa.string()),
    ]
)
NEAR_UNIQUE = {"crime_id", "longitude", "latitude", "easting", "northing", "source_row"}
USED = loading.STREET_COLUMNS[:-1]  # every police.uk street column except Context


@dataclass
class FastCleanResult:
    output: Path | None
    table: pa.Table | None  # when no output path was given
    ledger: Ledger
    rows_read: int
    rows_kept: int
    files: int
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    exact_second_pass: bool = False

    def to_pandas(self) -> pd.DataFrame:
        tab = self.table if self.table is not None else pq.read_table(self.output)
        return tab.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get)


# --------------------------------------------------------------------------- reading


@dataclass
class _Parsed:
    index: int
    file: loading.RawFile
    table: pa.Table  # the USED columns, as strings
    malformed: int
    repair: str | None


def _header(data: bytes, label: str, encoding: str) -> list[str]:
    first = data.split(b"\n", 1)[0]
    text = first.decode("utf-8-sig" if encoding == "utf8" else encoding, errors="replace")
    try:
        header = next(csv.reader(io.StringIO(text)))
    except (csv.Error, StopIteration) as exc:
        raise DataFileError(
            f"{label}: cannot read the header row ({exc}).", "Check the file is a CSV."
        ) from exc
    return [h.strip() for h in header]


def _read_exact(f: loading.RawFile, index: int) -> _Parsed:
    """The reference reader (Python csv), for files Arrow would read differently."""
    df, malformed, repair = loading.read_police_uk_file(f)
    tab = pa.Table.from_pandas(df[USED].astype(object).fillna(""), preserve_index=False)
    tab = pa.table({c: tab[c].cast(pa.string()) for c in USED})
    return _Parsed(index, f, tab, malformed, repair)


def _read_arrow(f: loading.RawFile, index: int) -> _Parsed:
    try:
        data = f.open_bytes()
    except OSError as exc:
        raise DataFileError(
            f"Cannot read {f.label}: {exc}.", "Check the file exists and is readable."
        ) from exc
    if not data.strip():
        raise DataFileError(f"{f.label} is empty.", "Download or export the file again.")
    header = _header(data, f.label, "utf8")
    missing = [c for c in loading.STREET_COLUMNS if c not in header]
    if missing:
        return _read_exact(f, index)  # the reference reader raises the precise DataFileError
    width = len(header)
    counts = {"long": 0, "short": 0}

    def on_invalid(row) -> str:
        counts["long" if row.actual_columns > row.expected_columns else "short"] += 1
        return "skip"

    names = [f"c{i}" for i in range(width)]
    keep = {f"c{header.index(c)}": c for c in USED}
    try:
        tab = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, use_threads=False, block_size=1 << 24
            ),
            parse_options=pacsv.ParseOptions(
                invalid_row_handler=on_invalid, newlines_in_values=True
            ),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(keep),
                column_types=dict.fromkeys(keep, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return _read_exact(f, index)  # e.g. not UTF-8: the reference reader decodes and notes it
    if counts["short"]:
        return _read_exact(f, index)  # short rows are padded, in place, by the reference reader
    tab = tab.rename_columns([keep[c] for c in tab.column_names]).select(USED)
    return _Parsed(index, f, tab, counts["long"], None)


def _parsed_stream(files: list[loading.RawFile], threads: int) -> Iterator[_Parsed]:
    """Parse files on a thread pool, yielding them in order, at most ``32 × threads`` ahead."""
    if threads <= 1:
        for i, f in enumerate(files):
            yield _read_arrow(f, i)
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        window = 32 * threads
        futures = [pool.submit(_read_arrow, f, i) for i, f in enumerate(files[:window])]
        nxt = len(futures)
        for k in range(len(files)):
            parsed = futures[k].result()
            futures[k] = None
            if nxt < len(files):
                futures.append(pool.submit(_read_arrow, files[nxt], nxt))
                nxt += 1
            yield parsed


# --------------------------------------------------------------------------- transforming


def _blank_to_null(a: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.if_else(pc.equal(a, ""), pa.scalar(None, pa.string()), a)


def _to_float(a: pa.ChunkedArray) -> np.ndarray:
    """Strip, blank → missing, text → float; text that is not a number → missing (as pandas
    ``to_numeric(errors="coerce")``). Returns float64 with NaN for missing."""
    t = _blank_to_null(pc.utf8_trim_whitespace(a))
    try:
        return pc.cast(t, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        s = pd.Series(t.to_numpy(zero_copy_only=False), dtype=object)
        return pd.to_numeric(s, errors="coerce").astype(float).to_numpy()


def _classify(crime_type: pa.ChunkedArray) -> dict[str, pa.Array]:
    """:func:`offences.classify_police_uk` on the distinct values, spread back by dictionary index."""
    enc = pc.dictionary_encode(crime_type).combine_chunks()
    values = pd.Series(enc.dictionary.to_pylist(), dtype="string")
    cls = offences.classify_police_uk(values)
    idx = enc.indices
    return {
        "crime_group": pc.take(
            pa.array(
                cls["crime_group"].astype(object).where(cls["crime_group"].notna(), None),
                pa.string(),
            ),
            idx,
        ),
        "is_asb": pc.take(pa.array(cls["is_asb"].to_numpy()), idx),
        "is_sac": pc.take(pa.array(cls["is_sac"].to_numpy()), idx),
        "is_neighbourhood": pc.take(pa.array(cls["is_neighbourhood"].to_numpy()), idx),
        "known_type": pc.take(pa.array(cls["known_type"].to_numpy()), idx),
    }


class _Dedupe:
    """Which rows repeat a Crime ID first published in another file."""

    def __init__(self, first_file: dict[str, int] | None = None):
        self.seen: set[str] = set()
        self.first_file = first_file  # exact mode: Crime ID -> index of its first file
        self.out_of_order = False

    def flags(
        self,
        ids: pa.ChunkedArray,
        file_idx: np.ndarray,
        month: pa.ChunkedArray,
        file_month: np.ndarray,
    ) -> np.ndarray:
        valid = pc.is_valid(ids).to_numpy(zero_copy_only=False)
        dup = np.zeros(len(valid), dtype=bool)
        if not valid.any():
            return dup
        rows = np.flatnonzero(valid)
        id_vals = pc.drop_null(ids).to_numpy(zero_copy_only=False)
        f = file_idx[rows]
        if self.first_file is not None:
            first = np.fromiter(
                (self.first_file[x] for x in id_vals), dtype=np.int64, count=len(id_vals)
            )
            dup[rows] = first != f
            return dup
        same_month = pc.equal(
            month, pc.take(pa.array(file_month.tolist(), pa.string()), pa.array(file_idx))
        )
        if not pc.all(pc.or_kleene(same_month, pc.invert(pa.array(valid)))).as_py():
            self.out_of_order = True  # a row's Month differs from its file's: decide again exactly
        enc = pc.dictionary_encode(pc.drop_null(ids).combine_chunks())  # hashing in C++
        codes = enc.indices.to_numpy(zero_copy_only=False)
        uniques = enc.dictionary.to_numpy(zero_copy_only=False)
        _, first_pos = np.unique(codes, return_index=True)  # rows arrive in file order
        within = f != f[first_pos[codes]]
        seen = self.seen
        before = np.fromiter((u in seen for u in uniques), dtype=bool, count=len(uniques))
        seen.update(uniques)
        dup[rows] = before[codes] | within
        return dup


def _process(
    batch: list[_Parsed],
    period_end: str,
    dedupe: _Dedupe,
    labels: list[str],
    file_months: np.ndarray,
    lookup: pd.DataFrame | None,
    project: bool,
    ledger: Ledger,
) -> pa.Table:
    tab = pa.concat_tables([b.table for b in batch])
    n = tab.num_rows
    sizes = np.array([b.table.num_rows for b in batch])
    file_idx = np.repeat(np.array([b.index for b in batch]), sizes)
    source_row = (
        np.concatenate([np.arange(2, k + 2, dtype=np.int64) for k in sizes])
        if n
        else np.zeros(0, np.int64)
    )

    crime_id = _blank_to_null(pc.utf8_trim_whitespace(tab["Crime ID"]))
    month = pc.utf8_trim_whitespace(tab["Month"])
    crime_type = pc.utf8_trim_whitespace(tab["Crime type"])
    lsoa = _blank_to_null(pc.utf8_trim_whitespace(tab["LSOA code"]))
    cls = _classify(crime_type)
    lon = np.array(_to_float(tab["Longitude"]), dtype=float)  # writable copies
    lat = np.array(_to_float(tab["Latitude"]), dtype=float)

    code = np.zeros(n, dtype=np.int8)

    def reject(mask: np.ndarray, k: int) -> None:
        code[(code == 0) & mask] = k

    good_month = pc.match_substring_regex(month, MONTH_PATTERN).to_numpy(zero_copy_only=False)
    reject(~good_month, 1)
    reject(good_month & pc.greater(month, period_end).to_numpy(zero_copy_only=False), 2)
    reject(~cls["known_type"].to_numpy(zero_copy_only=False), 3)
    no_id = pc.is_null(crime_id).to_numpy(zero_copy_only=False)
    reject(~cls["is_asb"].to_numpy(zero_copy_only=False) & no_id, 4)
    reject(dedupe.flags(crime_id, file_idx, month, file_months), 5)

    zeroed = (lon == 0) & (lat == 0)
    have = ~np.isnan(lon) & ~np.isnan(lat) & ~zeroed
    easting = np.full(n, np.nan)
    northing = np.full(n, np.nan)
    if project and have.any():
        e, nn = geography.lonlat_to_bng(pd.Series(lon[have]), pd.Series(lat[have]))
        easting[have] = e
        northing[have] = nn
    lon[zeroed] = np.nan
    lat[zeroed] = np.nan

    null_s = pa.nulls(n, pa.string())
    ward_code, ward_name, ward_method = (
        null_s,
        null_s,
        pa.array(np.full(n, "unassigned", dtype=object), pa.string()),
    )
    if lookup is not None:
        pos = pc.index_in(
            lsoa, value_set=pa.array(lookup["lsoa_code"].astype(str).tolist(), pa.string())
        )
        in_area = pc.is_valid(pos).to_numpy(zero_copy_only=False)
        ward_code = pc.take(
            pa.array(lookup["lookup_ward_code"].astype(str).tolist(), pa.string()), pos
        )
        ward_name = pc.take(
            pa.array(lookup["lookup_ward_name"].astype(object).tolist(), pa.string()), pos
        )
        ward_method = pc.if_else(pa.array(in_area), "lsoa-lookup", "unassigned")
        reject(~in_area & ~have, 6)
        reject(~in_area & have, 7)

    # ledger: per file, kept and rejected by reason (malformed rows were never parsed)
    local = np.repeat(np.arange(len(batch)), sizes)
    counts = np.bincount(local * len(REASONS) + code, minlength=len(batch) * len(REASONS)).reshape(
        len(batch), -1
    )
    for j, b in enumerate(batch):
        label = b.file.label
        ledger.add_read(label, "street", int(sizes[j]) + b.malformed)
        ledger.add_rejected(label, "street", MALFORMED, b.malformed)
        if b.repair:
            ledger.add_repair(label, "street", b.repair, int(sizes[j]))
        ledger.add_kept(label, "street", int(counts[j, 0]))
        for k in range(1, len(REASONS)):
            ledger.add_rejected(label, "street", REASONS[k], int(counts[j, k]))

    out = pa.table(
        {
            "crime_id": crime_id,
            "month": month,
            "reported_by": tab["Reported by"],
            "falls_within": tab["Falls within"],
            "longitude": pa.array(lon, from_pandas=True),
            "latitude": pa.array(lat, from_pandas=True),
            "location": tab["Location"],
            "lsoa_code": lsoa,
            "lsoa_name": tab["LSOA name"],
            "crime_type": crime_type,
            "last_outcome_category": _blank_to_null(tab["Last outcome category"]),
            "source_file": pc.take(pa.array(labels, pa.string()), pa.array(file_idx)),
            "source_row": pa.array(source_row),
            **{k: v for k, v in cls.items() if k != "known_type"},
            "easting": pa.array(easting, from_pandas=True),
            "northing": pa.array(northing, from_pandas=True),
            "ward_code": ward_code,
            "ward_name": ward_name,
            "ward_method": ward_method,
        }
    ).select(SCHEMA.names)
    return out.filter(pa.array(code == 0)).cast(SCHEMA)


def _unbalanced(led: Ledger) -> list[tuple[str, int, int, int]]:
    """Files whose rows read != kept + rejected (linear time; Ledger.check is quadratic in files)."""
    rejected: dict[str, int] = {}
    for (src, _table, _reason), v in led.rejected.items():
        rejected[src] = rejected.get(src, 0) + v
    out = []
    for (src, table), n in led.read.items():
        k, r = led.kept.get((src, table), 0), rejected.get(src, 0)
        if n != k + r:
            out.append((src, n, k, r))
    return out


def _exact_first_files(files: list[loading.RawFile], threads: int) -> dict[str, int]:
    """Crime ID -> index of the file of its first row ordered by (Month, file name, row)."""
    frames = []
    for p in _parsed_stream(files, threads):
        ids = _blank_to_null(pc.utf8_trim_whitespace(p.table["Crime ID"]))
        frames.append(
            pd.DataFrame(
                {
                    "crime_id": ids.to_numpy(zero_copy_only=False),
                    "month": pc.utf8_trim_whitespace(p.table["Month"]).to_numpy(
                        zero_copy_only=False
                    ),
                    "label": p.file.label,
                    "row": np.arange(p.table.num_rows),
                    "file": p.index,
                }
            ).dropna(subset=["crime_id"])
        )
    df = pd.concat(frames, ignore_index=True).sort_values(
        ["month", "label", "row"], kind="mergesort"
    )
    first = df.drop_duplicates("crime_id")
    return dict(zip(first["crime_id"], first["file"], strict=True))


def _street_files(source: str | Path, force_slug: str | None, period_end: str):
    found = loading.discover_police_uk(source, force_slug, kinds=("street",))
    skipped = list(found.skipped)
    files = []
    for f in found.files:
        if f.month > period_end:
            skipped.append((f.label, f"month {f.month} is after the period end {period_end}"))
        else:
            files.append(f)
    return files, skipped


def clean_street(
    source: str | Path,
    period_end: str,
    out: str | Path | None = None,
    force_slug: str | None = None,
    lookup: pd.DataFrame | None = None,
    project: bool = True,
    threads: int | None = None,
    batch_rows: int = 400_000,
    ledger: Ledger | None = None,
) -> FastCleanResult:
    """Clean every police.uk street file under ``source`` up to ``period_end`` (``YYYY-MM``).

    ``out``: Parquet file to write (atomically, zstd, one row group per batch); without it the
    kept rows come back as an Arrow table in :attr:`FastCleanResult.table` (area-sized data).
    ``force_slug`` limits to one force's files; ``lookup`` (LSOA → ward) limits to one area.
    ``project`` adds BNG easting/northing. The ledger balances per file (checked).
    """
    if not re.match(MONTH_PATTERN, str(period_end)):
        from .errors import PeriodError

        raise PeriodError(
            f"The period end {period_end!r} is not a month written YYYY-MM.", "Use e.g. 2022-03."
        )
    t0 = time.perf_counter()
    threads = threads or max(1, len(os.sched_getaffinity(0)))
    files, skipped = _street_files(source, force_slug, period_end)
    if not files:
        raise DataFileError(
            f"No police.uk street files up to {period_end} under {source}.",
            "Check the folder (or zip) and the force slug.",
        )
    labels = [f.label for f in files]
    file_months = np.array([f.month for f in files])
    result = _run(
        files, labels, file_months, period_end, out, lookup, project, threads, batch_rows, _Dedupe()
    )
    if result[2].out_of_order:
        exact = _Dedupe(_exact_first_files(files, threads))
        result = _run(
            files, labels, file_months, period_end, out, lookup, project, threads, batch_rows, exact
        )
    led, table, dedupe, rows_read, rows_kept = result
    bad = _unbalanced(led)
    if bad:
        raise AssertionError(f"Ledger does not balance: {bad[:5]}")
    if ledger is not None:  # merge into the caller's ledger
        for k, v in led.read.items():
            ledger.add_read(*k, v)
        for k, v in led.kept.items():
            ledger.add_kept(*k, v)
        for k, v in led.rejected.items():
            ledger.add_rejected(*k, v)
        for k, v in led.repairs.items():
            ledger.add_repair(*k, v)
    return FastCleanResult(
        Path(out) if out else None,
        table,
        led,
        rows_read,
        rows_kept,
        len(files),
        skipped,
        time.perf_counter() - t0,
        dedupe.first_file is not None,
    )


def _run(files, labels, file_months, period_end, out, lookup, project, threads, batch_rows, dedupe):
    ledger = Ledger()
    kept_tables: list[pa.Table] = []
    rows_read = rows_kept = 0

    def batches() -> Iterator[list[_Parsed]]:
        cur, n = [], 0
        for p in _parsed_stream(files, threads):
            cur.append(p)
            n += p.table.num_rows
            if n >= batch_rows:
                yield cur
                cur, n = [], 0
        if cur:
            yield cur

    def consume(write) -> None:
        nonlocal rows_read, rows_kept
        for b in batches():
            kept = _process(b, period_end, dedupe, labels, file_months, lookup, project, ledger)
            rows_read += sum(p.table.num_rows + p.malformed for p in b)
            rows_kept += kept.num_rows
            write(kept)
            if dedupe.out_of_order and dedupe.first_file is None:
                return  # the exact pass will redo everything

    if out is None:
        consume(kept_tables.append)
        table = pa.concat_tables(kept_tables) if kept_tables else SCHEMA.empty_table()
        return ledger, table, dedupe, rows_read, rows_kept
    with atomic_path(out) as tmp:
        # no dictionary for the near-unique columns: it would be built and then abandoned
        dict_cols = [c for c in SCHEMA.names if c not in NEAR_UNIQUE]
        with pq.ParquetWriter(
            tmp, SCHEMA, compression="zstd", compression_level=1, use_dictionary=dict_cols
        ) as writer:
            consume(writer.write_table)
    return ledger, None, dedupe, rows_read, rows_kept
