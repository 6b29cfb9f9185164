"""The police.uk cleaning engine: Arrow in, columnar Parquet (or an Arrow table) out.

It is the only engine: national runs and every area's cleaning stage use it.

* ``clean_street(source, period_end, out=...)`` reads many forces × many months of police.uk
  street files (a folder tree, a flat folder or a zip, found by
  :func:`helpers.ingest.loading.discover_police_uk`) and writes one Parquet file, streaming so
  memory stays bounded (see *Memory* below).
* ``clean_files(files, period_end, area=...)`` is the same for a list of files already found,
  with the area rule applied inside each batch: the stage's
  :func:`helpers.ingest.cleaning.clean_police_uk` calls it, and ``clean_outcomes`` for the
  outcomes files.

The rules, their order and their ledger wording are :mod:`helpers.ingest.rules` (the tests'
pandas oracle, ``tests/oracle_cleaning.py``, reads the same module). For every file rows read =
rows kept + rows rejected, by reason:

* rows with more fields than the header: ``malformed row (more fields than the header)``;
* then, first reason wins: ``unparseable month``; ``Month column does not match the month in
  the file name``; ``month outside the requested span (after the period end)``; ``unknown crime
  type``; ``crime row without a Crime ID``; ``duplicate Crime ID (already in an earlier monthly
  file)`` — a Crime ID whose first appearance (ordered by month, file, row) is in another file;
  repeats *within* one file are kept, as police.uk counts them;
* with an area (``area``, or an LSOA lookup ``lookup`` read as :meth:`Area.from_lookup`), each
  row is placed by :meth:`helpers.ingest.area.Area.place` (point in polygon where the area has
  boundaries, else LSOA) and rows in no ward of the area are rejected as ``missing or zeroed
  coordinates and LSOA not in the area`` / ``outside the area``. Without one every row is kept
  whatever its place (national work).

Classification is :func:`helpers.ingest.offences.classify_police_uk` itself, applied to the distinct
crime types. Columns and types follow ``street.parquet`` in docs/architecture.md.

How it is fast (10.5 M rows on 2 cores: see docs/benchmarks.md):

* **Both cores.** Files are parsed by Arrow's C++ CSV reader on a thread pool (one file per thread,
  the GIL released), which reads about 256 MB of CSV ahead of the batch being processed. The
  per-file work that needs no other file (coordinates to numbers, Crime IDs decoded, checks that a
  file's Month / force columns hold one value) runs on those threads too. Kept rows are built and
  written by a separate writing thread while the next batch is decided.
* **Crime-ID de-duplication without Python objects.** An ID of exactly 64 lowercase hex characters
  (police.uk's form) is decoded, in place from Arrow's buffers, to a 256-bit key (4 × uint64; the
  decoding is one-to-one, so equal keys are equal IDs). Within a batch the keys are sorted on the
  first word and ties compared on all four; across batches the keys already seen sit in one
  sorted run per batch, behind a bit filter on the first word's top bits: only keys whose bit is
  set (repeats, and ~1% by chance) are searched in the runs by binary search, each hit confirmed
  on the whole key. Different IDs that share a prefix (even all of the first 32 or 48
  characters) are therefore never confused. Any other ID (other length, upper case, not hex,
  spaces to trim) is compared as trimmed text in a Python set; a text ID can never equal a hex
  one, so the two are kept apart.
* **Classification through a dictionary.** Crime type is dictionary-encoded, trimmed and
  classified on its ~15 distinct values, and spread back by index (each value classified once
  per process with :func:`helpers.ingest.offences.classify_police_uk` itself).
* **Text left in place.** Trimming and blank → missing check only the first and last byte of each
  value; when nothing needs trimming (police.uk's usual state) only a validity bitmap is built.
  Rejected rows are few, so kept text is passed to the writer as zero-copy slices.
* **Parquet writing.** lz4 (fast; zstd spent ~20% more writer time for a smaller file, and this is
  an intermediate file re-read by the area stages), the Crime ID uncompressed (64 random hex
  characters: an LZ codec saves 2%), columns built from a few values (month, force, crime type,
  group, source file, ward method) handed over dictionary-encoded so the writer does not hash
  them again, and min/max statistics only on the columns a reader filters by.
* **BNG projection is optional** (``project``). A national run leaves easting/northing empty:
  only area work needs metres, and each area stage projects its own small share of rows (pyproj
  took ~12% of the national time). With ``project=True`` the kept rows are projected in one
  pyproj call per batch, with one transformer for the run.

A file Arrow cannot read exactly as the reference reader does (rows with too few fields, a text
encoding other than UTF-8) is read by the reference reader instead; a file whose coordinates are
not all numbers is re-read with them as text and converted as the reference does. Results are
identical either way.

Memory: rows are processed in batches of about ``batch_rows`` and written as Parquet row groups;
what grows with the data is the de-duplication index, about 40 bytes per distinct Crime ID
(~0.4 GB for 10 million crimes) plus its bit filter (at most 128 MB, sized from the input).

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
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from helpers.core.errors import DataFileError
from helpers.core.io import atomic_path
from helpers.core.periods import MONTH_PATTERN
from helpers.ingest import geography, loading, offences, rules
from helpers.ingest.area import Area
from helpers.ingest.ledger import Ledger

MALFORMED = rules.MALFORMED
# the rules of helpers.ingest.rules by their code here (0 = kept); 8 is checked right after 1
REASONS = [
    "",  # kept
    rules.UNPARSEABLE_MONTH,
    rules.AFTER_PERIOD,
    rules.UNKNOWN_TYPE,
    rules.NO_CRIME_ID,
    rules.DUPLICATE_ID,
    rules.NOWHERE,
    rules.OUTSIDE,
    rules.MONTH_MISMATCH,
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
DICT = pa.dictionary(pa.int32(), pa.string())
# What is written: the same columns, with the text columns we build from a few values (or classify
# through a dictionary) kept dictionary-encoded, so the Parquet writer stores those dictionaries
# instead of hashing every value again; the other repetitive text columns it dictionary-encodes
# itself. The file's own types are plain strings (the Arrow schema is not stored), so readers
# get SCHEMA.
ENCODED = {
    "month",
    "reported_by",
    "falls_within",
    "crime_type",
    "source_file",
    "crime_group",
    "ward_code",
    "ward_name",
    "ward_method",
}
WRITE_SCHEMA = pa.schema([pa.field(f.name, DICT) if f.name in ENCODED else f for f in SCHEMA])
SAME_IN_FILE = {"Reported by": "reported_by", "Falls within": "falls_within"}  # one force a file
# min/max statistics only on the columns a reader filters row groups by (they cost the writer
# about a fifth of its time when kept for every column)
STATISTICS = ["month", "reported_by", "falls_within", "crime_type", "source_file"]
COMPRESSION = "lz4"
USED = loading.STREET_COLUMNS[:-1]  # every police.uk street column except Context
AREA_SCHEMA = SCHEMA.append(pa.field("lookup_ward_code", pa.string()))  # an area run's columns


def _columns(kind: str) -> list[str]:
    """The columns read from a police.uk file of this kind."""
    return USED if kind == "street" else loading.OUTCOME_COLUMNS


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
    notes: _Notes | None = None  # warnings, unknown types and overlaps for the cleaning report

    def to_pandas(self) -> pd.DataFrame:
        tab = self.table if self.table is not None else pq.read_table(self.output)
        return tab.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get)


# --------------------------------------------------------------------------- reading


@dataclass
class _Notes:
    """What an area's cleaning report says about the street files beside the ledger."""

    shapes: list[str] = field(default_factory=list)  # header-only, extra columns, short rows
    unknown_rows: int = 0  # rows of an unknown crime type (whatever else they break)
    unknown_types: set[str] = field(default_factory=set)  # ... and the non-blank such types
    overlaps: int = 0  # points in two overlapping wards (first ward by code used)

    def warnings(self) -> list[str]:
        out = list(self.shapes)
        w = rules.unknown_types_warning(self.unknown_rows, sorted(self.unknown_types))
        return out + ([w] if w else [])


@dataclass
class _Ids:
    """One file's Crime IDs: the output column and the keys the de-duplication compares."""

    out: pa.Array  # trimmed, blank -> null
    keys: np.ndarray  # (m, 4) uint64: IDs of exactly 64 lowercase hex characters, decoded
    key_rows: np.ndarray  # their rows in the file (0-based)
    str_rows: np.ndarray  # rows whose (non-blank) ID is anything else
    str_vals: list[str]  # ... and those IDs, trimmed


@dataclass
class _Parsed:
    index: int
    file: loading.RawFile
    table: pa.Table  # the USED columns as read (Longitude/Latitude may already be float64)
    malformed: int
    repair: str | None
    # prepared on the reading thread, so both cores share this work
    lon: np.ndarray | None = None
    lat: np.ndarray | None = None
    bad_xy: np.ndarray | None = None  # a coordinate given but not a finite number on the globe
    ids: _Ids | None = None
    month_is_file: bool = False  # every row's Month is exactly its file's month
    same: dict[str, str] = field(default_factory=dict)  # column -> its value on every row
    rows: np.ndarray | None = None  # each row's record number when not simply 2, 3, ...
    extra: list[str] = field(default_factory=list)  # header columns that are not police.uk's
    short: list[tuple[int, int]] = field(default_factory=list)  # (row, fields) of short rows


def _header(data: bytes, label: str, encoding: str) -> list[str]:
    end = data.find(b"\n")
    first = data if end < 0 else data[:end]  # (no copy of the rest of the file)
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
    cols = _columns(f.kind)
    text = df[cols].astype(object).fillna("")
    text.attrs = {}  # (row numbers are kept below, not in the Arrow metadata)
    tab = pa.Table.from_pandas(text, preserve_index=False)
    tab = pa.table({c: tab[c].cast(pa.string()) for c in cols})
    return _Parsed(
        index,
        f,
        tab,
        malformed,
        repair,
        rows=np.asarray(df.attrs.get("row_numbers", []), dtype=np.int64),
        extra=list(df.attrs.get("extra_columns") or []),
        short=list(df.attrs.get("short_rows") or []),
    )


# a spreadsheet, zip or PDF under a .csv name, or UTF-16 text: left to the reference reader
_NOT_UTF8_TEXT = tuple(m for m, _ in loading._BINARY_SIGNATURES) + (b"\xff\xfe", b"\xfe\xff")


def _read_arrow(f: loading.RawFile, index: int) -> _Parsed:
    data = f.read()
    if data.startswith(_NOT_UTF8_TEXT) or b"\x00" in data:
        return _read_exact(f, index)  # the reference reader decodes it, or names what it is
    if not data or (len(data) < 4096 and not data.strip()):  # (strip copies: small files only)
        raise DataFileError(f"{f.label} is empty.", "Download or export the file again.")
    header = _header(data, f.label, "utf8")
    expected = loading.STREET_COLUMNS if f.kind == "street" else loading.OUTCOME_COLUMNS
    used = _columns(f.kind)
    missing = [c for c in expected if c not in header]
    if missing or len(set(header)) < len(header):
        return _read_exact(f, index)  # the reference reader raises the precise DataFileError
    width = len(header)
    names = [f"c{i}" for i in range(width)]
    keep = {f"c{header.index(c)}": c for c in used}
    # Coordinates are converted to numbers while parsing (Arrow trims spaces and reads blank as
    # missing, as the reference does); a file holding anything else there is read as text and
    # converted like the reference (text that is not a number -> missing).
    numeric = {f"c{header.index(c)}" for c in ("Longitude", "Latitude")}
    for types in ("numeric", "text"):
        on_invalid, counts, long_lines = loading.invalid_row_tally()
        try:
            tab = pacsv.read_csv(
                pa.py_buffer(data),
                read_options=pacsv.ReadOptions(
                    column_names=names, skip_rows=1, use_threads=False, block_size=1 << 26
                ),
                parse_options=pacsv.ParseOptions(
                    invalid_row_handler=on_invalid,
                    # a line break inside a field needs a quote; without quotes the faster
                    # parser that does not look for them reads the same rows
                    newlines_in_values=b'"' in data,
                ),
                convert_options=pacsv.ConvertOptions(
                    include_columns=list(keep),
                    column_types={
                        c: pa.float64() if types == "numeric" and c in numeric else pa.string()
                        for c in keep
                    },
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                    # only a blank coordinate is missing: "nan", "NA", "NULL" are text given
                    # (as the reference, which records such a point as repaired)
                    null_values=[""],
                ),
            )
            break
        except pa.ArrowInvalid:
            continue
    else:
        return _read_exact(f, index)  # e.g. not UTF-8: the reference reader decodes and notes it
    if counts["short"]:
        return _read_exact(f, index)  # short rows are padded, in place, by the reference reader
    rows = None
    if counts["long"]:
        # the kept rows' record numbers skip the malformed ones. Arrow gives physical line
        # numbers, which are record numbers when no record spans lines and none is blank.
        if b"\n\n" in data or b"\r" in data or None in long_lines or _quoted_breaks(data):
            return _read_exact(f, index)
        every = np.arange(2, tab.num_rows + counts["long"] + 2, dtype=np.int64)
        rows = every[~np.isin(every, np.array(long_lines, dtype=np.int64))]
    tab = tab.rename_columns([keep[c] for c in tab.column_names]).select(used)
    extra = [h for h in header if h not in expected]
    return _Parsed(index, f, tab, counts["long"], None, rows=rows, extra=extra)


def _quoted_breaks(data: bytes) -> bool:
    """Whether a quoted field may span lines (then physical lines are not records). Quotes pair
    up in order, an escaped quote ("") being a pair of its own; a line break between the two
    quotes of a pair is inside a field. An odd count is treated as a break (the exact reader)."""
    if b'"' not in data:
        return False
    buf = np.frombuffer(data, np.uint8)
    q = np.flatnonzero(buf == 34)
    if len(q) % 2:
        return True
    nl = np.flatnonzero(buf == 10)
    return bool((np.searchsorted(nl, q[1::2]) != np.searchsorted(nl, q[0::2])).any())


def _read_and_prepare(f: loading.RawFile, index: int) -> _Parsed:
    return _prepare(_read_arrow(f, index))


def _size(f: loading.RawFile) -> int:
    try:
        return f.path.stat().st_size if f.member is None else 1 << 20
    except OSError:
        return 1 << 20


def _parsed_stream(
    files: list[loading.RawFile], threads: int, prepare: bool = True, ahead_bytes: int = 1 << 28
) -> Iterator[_Parsed]:
    """Parse (and prepare) files on a thread pool, yielding them in order. Reading runs ahead of
    the consumer by about ``ahead_bytes`` of CSV (at least 4 files per thread), so the threads
    keep working while a whole batch is processed, and memory stays bounded."""
    work = _read_and_prepare if prepare else _read_arrow
    if threads <= 1:
        for i, f in enumerate(files):
            yield work(f, i)
        return
    sizes = [_size(f) for f in files]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures: dict[int, object] = {}
        nxt = in_flight = 0
        for k in range(len(files)):
            while nxt < len(files) and (nxt - k < 4 * threads or in_flight < ahead_bytes):
                futures[nxt] = pool.submit(work, files[nxt], nxt)
                in_flight += sizes[nxt]
                nxt += 1
            parsed = futures.pop(k).result()
            in_flight -= sizes[k]
            yield parsed


# --------------------------------------------------------------------------- per file


def _blank_to_null(a):
    return pc.if_else(pc.equal(a, ""), pa.scalar(None, pa.string()), a)


def _to_float(a) -> np.ndarray:
    """Strip, blank → missing, text → float; text that is not a number → missing (as pandas
    ``to_numeric(errors="coerce")``). Returns float64 with NaN for missing."""
    if pa.types.is_floating(a.type):
        return np.array(a.to_numpy(zero_copy_only=False), dtype=float)  # nulls -> NaN
    t = _blank_to_null(pc.utf8_trim_whitespace(a))
    try:
        return np.array(pc.cast(t, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        s = pd.Series(t.to_numpy(zero_copy_only=False), dtype=object)
        return pd.to_numeric(s, errors="coerce").astype(float).to_numpy()


def _hex_table() -> np.ndarray:
    """Two ASCII bytes (read as one native uint16) -> the byte their hex spells; 0xFFFF if either
    is not one of ``0-9a-f`` (upper case is *not* accepted: "AB" and "ab" are different IDs)."""
    lut = np.full(65536, 0xFFFF, dtype=np.uint16)
    digits = b"0123456789abcdef"
    pairs = np.frombuffer(bytes(x for a in digits for b in digits for x in (a, b)), np.uint16)
    lut[pairs] = np.arange(256, dtype=np.uint16)
    return lut


_HEX = _hex_table()


def decode_hex_ids(chars: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``chars``: (m, 64) uint8 ASCII. Returns (keys (m, 4) uint64, ok (m,) bool).

    ``ok`` is True where all 64 characters are lowercase hex; then the 32 bytes they spell,
    viewed as four uint64, are the key. Distinct such IDs always give distinct keys (the
    decoding is one-to-one on that set), so comparing keys is exactly comparing the IDs.
    """
    m = len(chars)
    if m == 0:
        return np.zeros((0, 4), np.uint64), np.zeros(0, bool)
    v = _HEX[np.ascontiguousarray(chars).view(np.uint16)]  # (m, 32)
    ok = v.max(axis=1) < 256
    keys = v.astype(np.uint8).view(np.uint64)  # (m, 4)
    return keys, ok


def _offsets(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    bufs = arr.buffers()
    off = np.frombuffer(bufs[1], np.int32)[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(bufs[2], np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    return off, data


def _edge_table() -> np.ndarray:
    """Bytes that may be (part of) white space a trim would remove: ASCII space and controls
    9-13 and 28-31, and every non-ASCII byte (a multi-byte character could be Unicode space).
    Conservative on purpose: a value starting or ending with one takes Arrow's exact trim."""
    lut = np.zeros(256, dtype=bool)
    lut[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
    lut[128:] = True
    return lut


_EDGE = _edge_table()


def _clean_text(arr: pa.Array, trim: bool) -> pa.Array:
    """Blank -> null, after trimming white space if ``trim``. When no value starts or ends with
    white space (police.uk's usual state, checked from the first and last byte of each value),
    the result shares the input's buffers and only a validity bitmap is new."""
    if arr.null_count:
        arr = arr.fill_null("")
    off, data = _offsets(arr)
    lens = np.diff(off)
    nonempty = lens > 0
    if trim and nonempty.any():
        ne = np.flatnonzero(nonempty)
        if (_EDGE[data[off[ne]]] | _EDGE[data[off[ne + 1] - 1]]).any():
            return _blank_to_null(pc.utf8_trim_whitespace(arr))
    if nonempty.all():
        return arr
    return pa.StringArray.from_buffers(
        len(arr),
        arr.buffers()[1],
        arr.buffers()[2],
        pa.py_buffer(np.packbits(nonempty, bitorder="little").tobytes()),
        int((~nonempty).sum()),
        arr.offset,
    )


def _prepare_ids(col: pa.ChunkedArray) -> _Ids:
    arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    if arr.null_count:
        arr = arr.fill_null("")
    off, data = _offsets(arr)
    lens = np.diff(off)
    is64 = lens == 64
    if len(arr) and ((lens == 0) | is64).all():
        # police.uk's shape: every ID is blank or 64 characters, so the 64-character ones sit
        # back to back in the data buffer and are read in place
        keys, ok = decode_hex_ids(data[off[0] : off[-1]].reshape(-1, 64))
        if ok.all():
            valid = np.packbits(is64, bitorder="little")
            out = pa.StringArray.from_buffers(
                len(arr),
                arr.buffers()[1],
                arr.buffers()[2],
                pa.py_buffer(valid.tobytes()),
                int((~is64).sum()),
                arr.offset,
            )
            return _Ids(out, keys, np.flatnonzero(is64), np.zeros(0, np.int64), [])
    # anything else (spaces, other lengths, non-hex): trim first, as the reference does
    t = pc.utf8_trim_whitespace(arr)
    out = _blank_to_null(t)
    off, data = _offsets(t)
    lens = np.diff(off)
    rows64 = np.flatnonzero(lens == 64)
    keys, ok = decode_hex_ids(data[off[rows64][:, None] + np.arange(64)])
    key_rows = rows64[ok]
    other = lens > 0
    other[key_rows] = False
    str_rows = np.flatnonzero(other)
    str_vals = pc.take(t, pa.array(str_rows)).to_pylist() if len(str_rows) else []
    return _Ids(out, keys[ok], key_rows, str_rows, str_vals)


def _coordinate(a, limit: float) -> tuple[np.ndarray, np.ndarray]:
    """As the reference: a value given but not finite (``inf``, ``nan``, text) or beyond
    ``limit`` degrees is missing, and flagged so a kept row records the repair."""
    v = _to_float(a)
    if pa.types.is_floating(a.type):
        given = pc.is_valid(a).to_numpy(zero_copy_only=False)
    else:
        t = _blank_to_null(pc.utf8_trim_whitespace(a))
        given = pc.is_valid(t).to_numpy(zero_copy_only=False)
    with np.errstate(invalid="ignore"):
        bad = (np.asarray(given, dtype=bool) & ~np.isfinite(v)) | (np.abs(v) > limit)
    v = v.copy()
    v[bad] = np.nan
    return v, bad


def _prepare(p: _Parsed) -> _Parsed:
    """Per-file work that needs no other file: runs on the reading threads."""
    tab = p.table
    p.lon, bad_lon = _coordinate(tab["Longitude"], 180.0)
    p.lat, bad_lat = _coordinate(tab["Latitude"], 90.0)
    p.bad_xy = bad_lon | bad_lat
    p.ids = _prepare_ids(tab["Crime ID"])
    p.month_is_file = tab.num_rows == 0 or _all_equal(tab["Month"], p.file.month)
    if tab.num_rows:
        for c in SAME_IN_FILE:
            first = tab[c][0].as_py()
            if first is not None and _all_equal(tab[c], first):
                p.same[c] = first
    return p


def _all_equal(col: pa.ChunkedArray, value: str) -> bool:
    """Whether every value of a text column is exactly ``value`` (none missing). Read in place:
    every length must be the value's, and then the data bytes must be the value repeated, which
    one byte comparison answers."""
    want = value.encode("utf-8")
    for arr in col.chunks:
        if arr.null_count:
            return False
        off, data = _offsets(arr)
        if len(off) > 1 and not (np.diff(off) == len(want)).all():
            return False
        if data[off[0] : off[-1]].tobytes() != want * (len(off) - 1):
            return False
    return True


# --------------------------------------------------------------------------- per batch


def _remap(da: pa.DictionaryArray, fn=None, blank_null: bool = False) -> pa.DictionaryArray:
    """Apply ``fn`` (string -> string kernel) to the dictionary only and re-index; with
    ``blank_null`` rows whose value is blank become null. Cost: the dictionary, not the rows."""
    idx = da.indices.to_numpy(zero_copy_only=False)
    values = da.dictionary
    if fn is not None:
        enc = pc.dictionary_encode(fn(values))
        idx = enc.indices.to_numpy(zero_copy_only=False)[idx]
        values = enc.dictionary
    mask = None
    if blank_null:
        blank = pc.equal(values, "").to_numpy(zero_copy_only=False)
        if blank.any():
            mask = blank[idx]
    return pa.DictionaryArray.from_arrays(pa.array(idx, pa.int32(), mask=mask), values)


def _dictionary_of(values: list, idx: np.ndarray, valid: np.ndarray | None = None):
    """A dictionary column from per-row positions ``idx`` into the (possibly repeating, possibly
    null) ``values``."""
    enc = pc.dictionary_encode(pa.array(values, pa.string()))
    codes = enc.indices.to_numpy(zero_copy_only=False)  # null for null values
    codes_valid = pc.is_valid(enc.indices).to_numpy(zero_copy_only=False)
    mask = ~codes_valid[idx]
    if valid is not None:
        mask |= ~valid
    ci = np.where(codes_valid, codes, 0).astype(np.int32)[idx]
    return pa.DictionaryArray.from_arrays(
        pa.array(ci, pa.int32(), mask=mask if mask.any() else None), enc.dictionary
    )


_CLASSES: dict[str, tuple] = {}  # crime type -> (group, is_asb, is_sac, is_neighbourhood, known)


def _classify(crime_type: pa.DictionaryArray) -> dict[str, np.ndarray | pa.Array]:
    """:func:`offences.classify_police_uk` on the distinct values (each classified once per
    process and remembered), spread back by dictionary index."""
    idx = crime_type.indices.to_numpy(zero_copy_only=False)
    values = crime_type.dictionary.to_pylist()
    new = [v for v in values if v not in _CLASSES]
    if new:
        # classified beside the reference list itself: classify_police_uk cannot take a
        # series in which no value is a known type (pandas 3), and this way it never gets one
        ref = offences.police_uk_types()["crime_type"].astype(str).tolist()
        cls = offences.classify_police_uk(pd.Series(new + ref, dtype="string")).iloc[: len(new)]
        for v, g, a, s_, nb, k in zip(
            new,
            cls["crime_group"].astype(object).where(cls["crime_group"].notna(), None),
            cls["is_asb"],
            cls["is_sac"],
            cls["is_neighbourhood"],
            cls["known_type"],
            strict=True,
        ):
            _CLASSES[v] = (g, bool(a), bool(s_), bool(nb), bool(k))
    table = [_CLASSES[v] for v in values]

    def flag(j: int) -> np.ndarray:
        return np.array([t[j] for t in table], dtype=bool)[idx]

    return {
        "crime_group": _dictionary_of([t[0] for t in table], idx),
        "is_asb": flag(1),
        "is_sac": flag(2),
        "is_neighbourhood": flag(3),
        "known_type": flag(4),
    }


def _group_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort rows by key, keeping row order among equal keys. Returns (order, start) where
    ``start[j]`` is True when ``keys[order[j]]`` differs from the previous key in that order.

    Sorting is on the first word only (64 random bits for police.uk IDs, so ties are almost only
    true repeats); tied rows are then put back in row order and compared on all four words. If
    two *different* keys share a first word, the batch is sorted on all four words instead, so
    the grouping is exact either way."""
    m = len(keys)
    h = keys[:, 0]
    order = np.argsort(h)  # not stable (a fast vectorised sort); row order is restored below
    start = np.ones(m, dtype=bool)
    if m < 2:
        return order, start
    hs = h[order]
    tie = np.flatnonzero(hs[1:] == hs[:-1])
    if len(tie):
        at = np.union1d(tie, tie + 1)  # every position in a run of equal first words
        order[at] = order[at][np.lexsort((order[at], hs[at]))]
        same = (keys[order[tie + 1], 1:] == keys[order[tie], 1:]).all(axis=1)
        if not same.all():  # first words collide: exact sort on the whole key (stable)
            order = np.lexsort((keys[:, 3], keys[:, 2], keys[:, 1], keys[:, 0]))
            ks = keys[order]
            start[1:] = (ks[1:] != ks[:-1]).any(axis=1)
            return order, start
        start[tie + 1] = False
    return order, start


def _in_run(h: np.ndarray, s: int, keys: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Which keys ``u`` (sorted by first word) are in one sorted run: ``h`` its first words
    (sorted), the run's whole keys at ``keys[s : s + len(h)]`` in the same order."""
    n = len(h)
    found = np.zeros(len(u), dtype=bool)
    if n == 0 or len(u) == 0:
        return found
    at = np.searchsorted(h, u[:, 0])
    p = np.minimum(at, n - 1)
    cand = np.flatnonzero(h[p] == u[:, 0])
    if len(cand):
        pc_ = p[cand]
        found[cand] = (keys[s + pc_, 1:] == u[cand, 1:]).all(axis=1)
        nxt = np.minimum(pc_ + 1, n - 1)
        more = cand[(pc_ + 1 < n) & (h[nxt] == u[cand, 0]) & ~found[cand]]
        for q in more:  # a run of keys sharing the first word: compare each (rare)
            j = int(at[q])
            while j < n and h[j] == u[q, 0]:
                if (keys[s + j, 1:] == u[q, 1:]).all():
                    found[q] = True
                    break
                j += 1
    return found


class _Dedupe:
    """Which rows repeat a Crime ID first published in another file.

    Every ID of exactly 64 lowercase hex characters (police.uk's form) is decoded to a 256-bit key
    (4 × uint64; one-to-one, so equal keys are equal IDs). Keys already seen are kept batch by
    batch, each batch's new keys sorted by their first word (a sorted run). In front of the runs
    sits a bit filter indexed by the top bits of the first word: a key whose bit is clear has
    certainly not been seen (every stored key set its bit), so only the few keys whose bit is set
    (true repeats, and about 1% by chance at 10 M IDs) are looked up in the runs, by binary search
    plus a comparison of the whole key: no false matches, and a run of equal first words
    (different IDs sharing 64 bits) is searched in full. Runs are never merged, so each key is
    written once. About 40 bytes per distinct ID plus the filter (at most 128 MB, sized from the
    input's bytes). Any other ID (other length, upper case, not hex) is compared as text in a
    Python set; the two kinds can never be equal, so they are kept apart.
    """

    def __init__(self, first_file: dict[str, int] | None = None, expected_ids: int = 1 << 20):
        # every distinct key, run after run (np.zeros: untouched pages take no memory)
        self.keys = np.zeros((min(max(1 << 16, expected_ids), 1 << 25), 4), np.uint64)
        self.n = 0
        self.runs: list[tuple[np.ndarray, int]] = []  # (sorted first words, start in keys)
        bits = 1 << 16  # about 64 filter bits per expected ID, at most 2**30 (128 MB)
        while bits < 64 * expected_ids and bits < (1 << 30):
            bits <<= 1
        self.shift = np.uint64(65 - bits.bit_length())  # first word >> shift: a bit number
        self.filter = np.zeros(bits >> 3, np.uint8)
        self.seen: set[str] = set()
        self.first_file = first_file  # exact mode: Crime ID -> index of its first file
        self.out_of_order = False

    def _bits(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b = h >> self.shift
        return b >> np.uint64(3), np.left_shift(1, (b & np.uint64(7)).astype(np.uint8))

    def _seen(self, u: np.ndarray) -> np.ndarray:
        """Which distinct keys ``u`` (sorted by first word) were stored by an earlier batch."""
        before = np.zeros(len(u), dtype=bool)
        if not self.runs or not len(u):
            return before
        byte, mask = self._bits(u[:, 0])
        cand = np.flatnonzero(self.filter[byte] & mask)
        if len(cand):
            uc = u[cand]
            found = np.zeros(len(cand), dtype=bool)
            for h, s in self.runs:
                found |= _in_run(h, s, self.keys, uc)
            before[cand] = found
        return before

    def _reserve(self, k: int) -> np.ndarray:
        """Room for ``k`` more keys after the stored ones (grown geometrically); returns it."""
        if self.n + k > len(self.keys):
            grown = np.zeros((max(2 * len(self.keys), self.n + k), 4), np.uint64)
            grown[: self.n] = self.keys[: self.n]
            self.keys = grown
        return self.keys[self.n : self.n + k]

    def _commit(self, k: int) -> None:
        """Store the ``k`` distinct new keys (sorted by first word) just written after the stored
        ones as a run, and set their filter bits."""
        if k == 0:
            return
        h = np.ascontiguousarray(self.keys[self.n : self.n + k, 0])
        self.runs.append((h, self.n))
        self.n += k
        # h is sorted, so equal filter bytes are neighbours: OR their masks, then one store each
        byte, mask = self._bits(h)
        first = np.flatnonzero(np.concatenate([[True], byte[1:] != byte[:-1]]))
        self.filter[byte[first]] |= np.bitwise_or.reduceat(mask, first)

    def key_flags(self, keys: np.ndarray, f: np.ndarray) -> np.ndarray:
        """Duplicate flags for rows with decoded keys (in file order; ``f`` their file index)."""
        m = len(keys)
        dup = np.zeros(m, dtype=bool)
        if m == 0:
            return dup
        order, start = _group_keys(keys)
        if start.all():  # no ID repeats inside this batch (the usual case)
            u = self._reserve(m)
            np.take(keys, order, axis=0, out=u, mode="clip")  # sorted, into the store (unbuffered)
            before = self._seen(u)
            dup[order] = before
            if before.any():
                new = u[~before]  # (a copy)
                u[: len(new)] = new
                self._commit(len(new))
            else:
                self._commit(m)
            return dup
        gid = np.cumsum(start) - 1
        first_rows = order[start]  # the earliest row of each distinct key in this batch
        within = f[order] != f[first_rows][gid]
        u = keys[first_rows]  # distinct keys, sorted by first word
        before = self._seen(u)
        dup[order] = before[gid] | within
        new = u[~before]
        self._reserve(len(new))[:] = new
        self._commit(len(new))
        return dup

    def text_flags(self, vals: list[str], f: np.ndarray) -> np.ndarray:
        dup = np.zeros(len(vals), dtype=bool)
        first: dict[str, int] = {}
        seen = self.seen
        for i, (s, fi) in enumerate(zip(vals, f.tolist(), strict=True)):
            if s in seen:
                dup[i] = True
            else:
                dup[i] = first.setdefault(s, fi) != fi
        seen.update(first)
        return dup

    def exact_flags(self, ids: pa.ChunkedArray, file_idx: np.ndarray) -> np.ndarray:
        valid = pc.is_valid(ids).to_numpy(zero_copy_only=False)
        dup = np.zeros(len(valid), dtype=bool)
        rows = np.flatnonzero(valid)
        id_vals = pc.drop_null(ids).to_numpy(zero_copy_only=False)
        first = np.fromiter(
            (self.first_file[x] for x in id_vals), dtype=np.int64, count=len(id_vals)
        )
        dup[rows] = first != file_idx[rows]
        return dup


_TRANSFORMER = None


def _lonlat_to_bng(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`helpers.ingest.geography.lonlat_to_bng` (same CRSs, same pyproj call), with the
    transformer built once rather than per batch."""
    global _TRANSFORMER
    if _TRANSFORMER is None:
        from pyproj import Transformer

        _TRANSFORMER = Transformer.from_crs("EPSG:4326", geography.BNG, always_xy=True)
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if len(lon) > 1024 and np.isfinite(lon).all() and np.isfinite(lat).all() and (lon != 0).all():
        # police.uk snaps points to a few thousand map points: project each distinct point once
        # (the projection is point by point, so a point's metres are the same either way; exact
        # zeros, which hashing would merge with -0.0, and non-finite values take the plain call)
        key = np.empty(len(lon), dtype=np.complex128)
        key.real, key.imag = lon, lat
        idx, uniq = pd.factorize(key)
        if len(uniq) <= len(lon) // 2 and (uniq.imag != 0).all():
            ux, uy = _TRANSFORMER.transform(uniq.real.copy(), uniq.imag.copy())
            return np.asarray(ux)[idx], np.asarray(uy)[idx]
    x, y = _TRANSFORMER.transform(lon, lat)
    return np.asarray(x), np.asarray(y)


def _process(
    batch: list[_Parsed],
    period_end: str,
    dedupe: _Dedupe,
    labels: list[str],
    file_months: np.ndarray,
    area: Area | None,
    project: bool,
    ledger: Ledger,
    notes: _Notes,
    area_columns: bool = False,
) -> tuple[int, Callable[[], pa.Table]]:
    """Classify and decide every row of a run of whole files (in file order); record the ledger.
    Returns the number of rows kept and a function building them as a WRITE_SCHEMA table (the
    categorical columns dictionary-encoded), which the writing thread calls. With ``area``, rows
    are placed in wards and cut to the area by :meth:`helpers.ingest.area.Area.place`."""
    sizes = np.array([b.table.num_rows for b in batch], dtype=np.int64)
    n = int(sizes.sum())
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    local = np.repeat(np.arange(len(batch), dtype=np.int32), sizes)
    file_idx = np.array([b.index for b in batch], dtype=np.int64)[local]
    if any(b.rows is not None for b in batch):
        source_row = np.concatenate(
            [b.rows if b.rows is not None else np.arange(2, b.table.num_rows + 2) for b in batch]
        ).astype(np.int64)
    else:
        source_row = np.arange(n, dtype=np.int64) - np.repeat(starts, sizes) + 2

    # the batch's columns stay in their per-file chunks: nothing is copied until the writer
    tab = pa.concat_tables([b.table.drop_columns(["Longitude", "Latitude"]) for b in batch])

    def col(name: str) -> pa.ChunkedArray:
        return tab[name]

    def text(name: str, trim: bool) -> pa.ChunkedArray:
        return pa.chunked_array([_clean_text(c, trim) for c in tab[name].chunks], pa.string())

    crime_type = _remap(
        pc.dictionary_encode(col("Crime type")).combine_chunks(), pc.utf8_trim_whitespace
    )
    lsoa = text("LSOA code", trim=True)
    cls = _classify(crime_type)
    lon = np.concatenate([b.lon for b in batch]) if n else np.zeros(0)
    lat = np.concatenate([b.lat for b in batch]) if n else np.zeros(0)
    crime_id = pa.chunked_array([b.ids.out for b in batch], pa.string())

    code = np.zeros(n, dtype=np.int8)

    def reject(mask: np.ndarray, k: int) -> None:
        code[(code == 0) & mask] = k

    if all(b.month_is_file for b in batch):
        # every row carries its file's month, which is a valid month not after the period end
        months, inv = np.unique(np.array([b.file.month for b in batch]), return_inverse=True)
        month = _dictionary_of(months.tolist(), inv.astype(np.int64)[local])
    else:
        month = _remap(pc.dictionary_encode(col("Month")).combine_chunks(), pc.utf8_trim_whitespace)
        good = pc.match_substring_regex(month.dictionary, MONTH_PATTERN).to_numpy(
            zero_copy_only=False
        )
        after = pc.greater(month.dictionary, period_end).to_numpy(zero_copy_only=False)
        m_idx = month.indices.to_numpy(zero_copy_only=False)
        reject(~good[m_idx], 1)
        same = month.dictionary.to_numpy(zero_copy_only=False)[m_idx] == file_months[file_idx]
        reject(~same, 8)  # as the reference: a row must carry its file's month
        reject((good & after)[m_idx], 2)
        if dedupe.first_file is None:
            if (~same & pc.is_valid(crime_id).to_numpy(zero_copy_only=False)).any():
                dedupe.out_of_order = True  # a row's Month differs from its file's: decide exactly
    reject(~cls["known_type"], 3)
    unknown = ~cls["known_type"]
    if unknown.any():
        notes.unknown_rows += int(unknown.sum())
        ut = crime_type.dictionary.take(
            pa.array(np.unique(crime_type.indices.to_numpy(zero_copy_only=False)[unknown]))
        )
        notes.unknown_types.update(t for t in ut.to_pylist() if t)
    no_id = ~pc.is_valid(crime_id).to_numpy(zero_copy_only=False)
    reject(~cls["is_asb"] & no_id, 4)

    dup = np.zeros(n, dtype=bool)
    if dedupe.first_file is not None:
        dup = dedupe.exact_flags(crime_id, file_idx)
    else:
        key_pos = np.concatenate([starts[j] + b.ids.key_rows for j, b in enumerate(batch)])
        keys = np.concatenate([b.ids.keys for b in batch]) if n else np.zeros((0, 4), np.uint64)
        dup[key_pos] = dedupe.key_flags(keys, file_idx[key_pos])
        str_pos = np.concatenate([starts[j] + b.ids.str_rows for j, b in enumerate(batch)])
        if len(str_pos):
            vals = [s for b in batch for s in b.ids.str_vals]
            dup[str_pos] = dedupe.text_flags(vals, file_idx[str_pos])
    reject(dup, 5)

    zeroed = (lon == 0) & (lat == 0)
    have = ~np.isnan(lon) & ~np.isnan(lat) & ~zeroed
    lon[zeroed] = np.nan
    lat[zeroed] = np.nan

    ward_code = ward_name = pa.nulls(n, DICT)
    ward_method = _dictionary_of(["unassigned"], np.zeros(n, np.int64))
    lookup_ward_code = None
    en = None
    if area is not None:
        # the one ward placement (Area.place): by point where the area has boundaries (every
        # row with a point is projected, as the placement and its overlap count need), else by
        # LSOA; rows in no ward of the area are rejected
        easting = np.full(n, np.nan)
        northing = np.full(n, np.nan)
        if area.placement is not None and have.any():
            easting[have], northing[have] = _lonlat_to_bng(lon[have], lat[have])
            en = (easting, northing)
        loc = pd.DataFrame(
            {
                "lsoa_code": lsoa.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get),
                "easting": easting,
                "northing": northing,
            }
        )
        placed, in_area_s, overlaps = area.place(loc, pd.Series(have))
        notes.overlaps += overlaps
        in_area = in_area_s.to_numpy(dtype=bool)

        def encoded(name: str) -> pa.DictionaryArray:
            return pc.dictionary_encode(pa.array(placed[name], pa.string(), from_pandas=True))

        ward_code, ward_name = encoded("ward_code"), encoded("ward_name")
        ward_method = encoded("ward_method")
        if area_columns:
            lookup_ward_code = encoded("lookup_ward_code")
        if area.placement is not None or area.lookup is not None:
            reject(~in_area & ~have, 6)
            reject(~in_area & have, 7)

    # ledger: per file, kept and rejected by reason (malformed rows were never parsed)
    bad_xy = np.concatenate([b.bad_xy for b in batch]) if n else np.zeros(0, dtype=bool)
    fixed = np.bincount(local.astype(np.int64)[(code == 0) & bad_xy], minlength=len(batch))
    counts = np.bincount(
        local.astype(np.int64) * len(REASONS) + code, minlength=len(batch) * len(REASONS)
    ).reshape(len(batch), -1)
    for j, b in enumerate(batch):
        label = b.file.label
        ledger.add_read(label, "street", int(sizes[j]) + b.malformed)
        notes.shapes.extend(
            rules.file_shape_warnings(label, int(sizes[j]), b.malformed, b.extra, b.short)
        )
        ledger.add_rejected(label, "street", MALFORMED, b.malformed)
        if b.repair:
            ledger.add_repair(label, "street", b.repair, int(sizes[j]))
        if counts[j, 0]:  # as the reference: a file with every row rejected has no kept entry
            ledger.add_kept(label, "street", int(counts[j, 0]))
        ledger.add_repair(label, "street", rules.BAD_COORDINATES, int(fixed[j]))
        for k in range(1, len(REASONS)):
            ledger.add_rejected(label, "street", REASONS[k], int(counts[j, k]))

    keep = code == 0
    return int(keep.sum()), lambda: _kept_table(
        batch,
        keep,
        local,
        source_row,
        lon,
        lat,
        have,
        month,
        crime_type,
        cls,
        crime_id,
        lsoa,
        ward_code,
        ward_name,
        ward_method,
        tab,
        project,
        en,
        lookup_ward_code,
    )


def _kept_table(
    batch,
    keep,
    local,
    source_row,
    lon,
    lat,
    have,
    month,
    crime_type,
    cls,
    crime_id,
    lsoa,
    ward_code,
    ward_name,
    ward_method,
    tab,
    project,
    en=None,
    lookup_ward_code=None,
) -> pa.Table:
    """The kept rows of a processed batch as a WRITE_SCHEMA table (run on the writing thread).
    ``en``: easting/northing of every row already projected (area runs); ``lookup_ward_code``:
    the area run's extra column (AREA_SCHEMA)."""

    def col(name: str) -> pa.ChunkedArray:
        return tab[name]

    def text(name: str, trim: bool) -> pa.ChunkedArray:
        return pa.chunked_array([_clean_text(c, trim) for c in tab[name].chunks], pa.string())

    sel = None if keep.all() else np.flatnonzero(keep)
    # columns held as numbers or dictionary codes are gathered; text columns are sliced
    dense = {
        "month": month,
        "longitude": pa.array(lon, from_pandas=True),
        "latitude": pa.array(lat, from_pandas=True),
        "crime_type": crime_type,
        "source_file": _dictionary_of([b.file.label for b in batch], local.astype(np.int64)),
        "source_row": pa.array(source_row),
        "crime_group": cls["crime_group"],
        "is_asb": cls["is_asb"],
        "is_sac": cls["is_sac"],
        "is_neighbourhood": cls["is_neighbourhood"],
        "ward_code": ward_code,
        "ward_name": ward_name,
        "ward_method": ward_method,
    }
    for c, name in SAME_IN_FILE.items():
        if all(c in b.same for b in batch):  # police.uk: one force per file
            values, inv = np.unique(np.array([b.same[c] for b in batch]), return_inverse=True)
            dense[name] = _dictionary_of(values.tolist(), inv.astype(np.int64)[local])
        else:
            dense[name] = pc.dictionary_encode(col(c)).combine_chunks()
    dense = pa.table(dense)
    texts = pa.table(
        {
            "crime_id": crime_id,
            "location": col("Location"),
            "lsoa_code": lsoa,
            "lsoa_name": col("LSOA name"),
            "last_outcome_category": text("Last outcome category", trim=False),
        }
    )
    if sel is not None:
        dense = dense.take(pa.array(sel))
        # few rows are rejected, so the kept text lies in long runs: zero-copy slices of it (the
        # writer reads them in place) cost less than a gathered copy
        edges = np.diff(np.concatenate([[0], keep.view(np.int8), [0]]))
        run_start, run_end = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        texts = pa.concat_tables(
            [
                texts.slice(a, b - a)
                for a, b in zip(run_start.tolist(), run_end.tolist(), strict=True)
            ]
            or [texts.slice(0, 0)]
        )
    m = dense.num_rows
    if en is not None:
        for name, v in zip(("easting", "northing"), en, strict=True):
            dense = dense.append_column(
                name, pa.array(v if sel is None else v[sel], from_pandas=True)
            )
    elif project:
        easting = np.full(m, np.nan)
        northing = easting.copy()
        hv = have if sel is None else have[sel]
        if hv.any():
            lo = lon if sel is None else lon[sel]
            la = lat if sel is None else lat[sel]
            easting[hv], northing[hv] = _lonlat_to_bng(lo[hv], la[hv])  # kept rows only
        dense = dense.append_column("easting", pa.array(easting, from_pandas=True))
        dense = dense.append_column("northing", pa.array(northing, from_pandas=True))
    else:
        dense = dense.append_column("easting", pa.nulls(m, pa.float64()))
        dense = dense.append_column("northing", pa.nulls(m, pa.float64()))
    cols = {c: texts[c] for c in texts.column_names} | {c: dense[c] for c in dense.column_names}
    out = pa.table(cols).select(SCHEMA.names).cast(WRITE_SCHEMA)
    if lookup_ward_code is not None:
        lw = lookup_ward_code if sel is None else lookup_ward_code.take(pa.array(sel))
        out = out.append_column("lookup_ward_code", lw.cast(pa.string()))
    return out


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
    for p in _parsed_stream(files, threads, prepare=False):
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

    ``out``: Parquet file to write (atomically, lz4, one row group per batch); without it the
    kept rows come back as an Arrow table in :attr:`FastCleanResult.table` (area-sized data).
    ``force_slug`` limits to one force's files; ``lookup`` (LSOA → ward) limits to one area.
    ``project`` adds BNG easting/northing. The ledger balances per file (checked).
    """
    if not re.match(MONTH_PATTERN, str(period_end)):
        from helpers.core.errors import PeriodError

        raise PeriodError(
            f"The period end {period_end!r} is not a month written YYYY-MM.", "Use e.g. 2022-03."
        )
    t0 = time.perf_counter()
    files, skipped = _street_files(source, force_slug, period_end)
    if not files:
        raise DataFileError(
            f"No police.uk street files up to {period_end} under {source}.",
            "Check the folder (or zip) and the force slug.",
        )
    area = Area.from_lookup(lookup) if lookup is not None else None
    res = clean_files(
        files, period_end, out, area, project, threads, batch_rows, ledger, area_columns=False
    )
    res.skipped = skipped
    res.seconds = time.perf_counter() - t0
    return res


def clean_files(
    files: list[loading.RawFile],
    period_end: str,
    out: str | Path | None = None,
    area: Area | None = None,
    project: bool = True,
    threads: int | None = None,
    batch_rows: int = 400_000,
    ledger: Ledger | None = None,
    area_columns: bool = True,
) -> FastCleanResult:
    """Clean the given street ``files`` (in discovery order, none after ``period_end``).

    With ``area`` every row is placed by :meth:`helpers.ingest.area.Area.place` (point in
    polygon, else LSOA) and rows outside it are rejected; ``area_columns`` adds its
    ``lookup_ward_code`` column (AREA_SCHEMA), as the cleaning stage's street table has.
    """
    t0 = time.perf_counter()
    threads = threads or max(1, len(os.sched_getaffinity(0)))
    labels = [f.label for f in files]
    file_months = np.array([f.month for f in files])
    args = (files, labels, file_months, period_end, out, area, project, threads, batch_rows)
    # police.uk street rows are about 200 bytes: size the duplicate filter from the input
    expected_ids = sum(_size(f) for f in files) // 200 + 1
    result = _run(*args, _Dedupe(expected_ids=expected_ids), area_columns)
    if result[2].out_of_order:
        result = _run(*args, _Dedupe(_exact_first_files(files, threads)), area_columns)
    led, table, dedupe, rows_read, rows_kept, notes = result
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
        [],
        time.perf_counter() - t0,
        dedupe.first_file is not None,
        notes,
    )


def _run(
    files,
    labels,
    file_months,
    period_end,
    out,
    area,
    project,
    threads,
    batch_rows,
    dedupe,
    area_columns=False,
):
    ledger = Ledger()
    notes = _Notes()
    kept_tables: list[pa.Table] = []
    rows_read = rows_kept = 0
    area_columns = area_columns and area is not None
    schema = AREA_SCHEMA if area_columns else SCHEMA
    write_schema = (
        WRITE_SCHEMA.append(pa.field("lookup_ward_code", pa.string()))
        if area_columns
        else WRITE_SCHEMA
    )

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
            n_kept, kept = _process(
                b, period_end, dedupe, labels, file_months, area, project, ledger, notes,
                area_columns,
            )  # fmt: skip
            rows_read += sum(p.table.num_rows + p.malformed for p in b)
            rows_kept += n_kept
            write(kept)
            if dedupe.out_of_order and dedupe.first_file is None:
                return  # the exact pass will redo everything

    if out is None:
        consume(lambda build: kept_tables.append(build()))
        table = (pa.concat_tables(kept_tables) if kept_tables else write_schema.empty_table()).cast(
            schema
        )
        return ledger, table, dedupe, rows_read, rows_kept, notes
    with atomic_path(out) as tmp:
        with (
            pq.ParquetWriter(
                tmp,
                write_schema,
                # crime_id is 64 random hex characters: an LZ codec cannot shrink it (2%), so
                # it is stored uncompressed and the codec's time goes where it pays
                compression={c: "none" if c == "crime_id" else COMPRESSION for c in schema.names},
                use_dictionary=[c for c in schema.names if c not in NEAR_UNIQUE],
                write_statistics=STATISTICS,
                write_batch_size=1 << 16,  # fewer, larger internal steps (default 1,024 rows)
                store_schema=False,
            ) as writer,
            ThreadPoolExecutor(max_workers=1) as write_pool,
        ):
            # the writer (which releases the GIL) runs beside the next batch's processing; at
            # most one batch waits, so memory stays bounded
            pending: list = []

            def write(build) -> None:
                while pending:
                    pending.pop(0).result()
                pending.append(write_pool.submit(lambda: writer.write_table(build())))

            consume(write)
            while pending:
                pending.pop(0).result()
    return ledger, None, dedupe, rows_read, rows_kept, notes


# --------------------------------------------------------------------------- an area's outcomes


def clean_outcomes(
    files: list[loading.RawFile],
    period_end: str,
    area: Area,
    kept_ids: pa.ChunkedArray | pa.Array,
    ledger: Ledger,
    warnings: list[str],
    threads: int | None = None,
) -> pd.DataFrame:
    """An area's police.uk outcomes files (none after ``period_end``), read by Arrow, decided by
    :func:`helpers.ingest.rules.outcome_reasons` and placed by the area rule at the outcome's own
    location; ``kept_ids``: the Crime IDs of the area's kept street rows. Returns ``crime_id,
    month, outcome_type, source_file, is_positive`` (file order);
    every row read is in ``ledger``, and file-shape notes are added to ``warnings``."""
    if not files:
        return pd.DataFrame(
            {
                "crime_id": pd.Series(dtype="string"),
                "month": pd.Series(dtype="string"),
                "outcome_type": pd.Series(dtype="string"),
                "source_file": pd.Series(dtype="string"),
                "is_positive": pd.Series(dtype=bool),
            }
        )
    threads = threads or max(1, len(os.sched_getaffinity(0)))
    text_cols = ["Crime ID", "Month", "Outcome type", "LSOA code"]
    parts: dict[str, list] = {c: [] for c in [*text_cols, "lon", "lat", "source_file"]}
    for p in _parsed_stream(files, threads, prepare=False):
        label, n = p.file.label, p.table.num_rows
        ledger.add_read(label, "outcomes", n + p.malformed)
        ledger.add_rejected(label, "outcomes", rules.MALFORMED, p.malformed)
        if p.repair:
            ledger.add_repair(label, "outcomes", p.repair, n)
        warnings.extend(rules.file_shape_warnings(label, n, p.malformed, p.extra, p.short))
        for c in text_cols:  # text stays in Arrow (no Python string per value)
            parts[c].extend(p.table[c].cast(pa.large_string()).chunks)
        parts["lon"].append(_to_float(p.table["Longitude"].combine_chunks()))
        parts["lat"].append(_to_float(p.table["Latitude"].combine_chunks()))
        parts["source_file"].append(np.full(n, p.index, dtype=np.int32))
    labels = pa.array([f.label for f in files], pa.large_string())
    file_idx = pa.array(np.concatenate(parts["source_file"]))
    lon, lat = np.concatenate(parts["lon"]), np.concatenate(parts["lat"])

    def stripped(c: str) -> pd.Series:
        text = pa.chunked_array(parts[c], pa.large_string()).combine_chunks()
        return pd.Series(pd.array(text, dtype="string")).str.strip()

    outc = pd.DataFrame(
        {
            "crime_id": stripped("Crime ID").replace("", pd.NA).astype("string"),
            "month": stripped("Month"),
            "outcome_type": stripped("Outcome type"),
            "source_file": pd.Series(pd.array(pc.take(labels, file_idx), dtype="string")),
        }
    )
    have = ~np.isnan(lon) & ~np.isnan(lat) & ~((lon == 0) & (lat == 0))
    easting = np.full(len(lon), np.nan)
    northing = np.full(len(lon), np.nan)
    if area.placement is not None and have.any():
        easting[have], northing[have] = _lonlat_to_bng(lon[have], lat[have])
    loc = pd.DataFrame(
        {
            "lsoa_code": stripped("LSOA code").replace("", pd.NA).astype("string"),
            "easting": easting,
            "northing": northing,
        }
    )
    _, in_area, _ = area.place(loc, pd.Series(have))
    month_of = {f.label: f.month for f in files}
    ids = pa.array(outc["crime_id"], pa.string(), from_pandas=True)
    crime_kept = pc.fill_null(pc.is_in(ids, value_set=pc.unique(kept_ids)), False)
    reason = rules.outcome_reasons(
        outc,
        outc["source_file"].map(month_of),
        period_end,
        in_area,
        crime_kept.to_numpy(zero_copy_only=False),
    )
    kept = reason.isna()
    ledger.record_frame(outc["source_file"], "outcomes", kept, reason.fillna(""))
    outc = outc[kept].reset_index(drop=True)
    outc["is_positive"] = offences.is_positive_outcome(outc["outcome_type"])
    return outc
