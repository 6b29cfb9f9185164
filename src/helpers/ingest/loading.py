"""Readers for the raw inputs a CSP analyst receives.

* police.uk street-level and outcomes CSVs from a folder tree (``YYYY-MM/YYYY-MM-<force>-street.csv``),
  a flat folder, or the zip data.police.uk hands out (read in place, never extracted or modified).
* a local force extract through the column mapping in the area config.
* Home Office "police recorded crime by CSP" tables (CSV, XLSX or ODS; header row detected;
  one sheet per financial year; the count column's name varies between releases).
* CSP population, ward population, Most Similar Group lists.

Every reader returns all rows it read as text (no row is dropped here) plus the name of the file
each came from, so the cleaning stage can account for every row in the ledger. A file that cannot
be read at all raises :class:`~helpers.core.errors.DataFileError` naming the file and what to do.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.core.errors import DataFileError
from helpers.core.periods import MONTH_TEXT

# The exact police.uk headers (checked in every real file; see ../shared/data/PROVENANCE.md).
_LOCATION_COLUMNS = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
                     "Location", "LSOA code", "LSOA name"]  # fmt: skip
STREET_COLUMNS = [*_LOCATION_COLUMNS, "Crime type", "Last outcome category", "Context"]
OUTCOME_COLUMNS = [*_LOCATION_COLUMNS, "Outcome type"]
POLICE_UK_FILE = re.compile(
    rf"(?:^|/)({MONTH_TEXT})-([a-z0-9-]+?)-(street|outcomes|stop-and-search)\.csv(?:\.gz)?$"
)


@dataclass(frozen=True)
class RawFile:
    """One police.uk CSV: a path on disk, or a member of a zip read in place."""

    label: str  # how the ledger names it (relative path, or zip!member)
    month: str  # from the file name
    force: str  # force slug from the file name
    kind: str  # street | outcomes
    path: Path  # the file, or the zip
    member: str | None = None

    def open_bytes(self) -> bytes:
        if self.member is None:
            data = self.path.read_bytes()
        else:
            with zipfile.ZipFile(self.path) as zf:
                data = zf.read(self.member)
        if self.label.endswith(".gz") or data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        return data

    def read(self) -> bytes:
        """The file's bytes (decompressed); an unreadable file is a :class:`DataFileError`.

        A damaged zip member (bad CRC, truncated) or a damaged gzip file is named, as is a file
        that cannot be opened.
        """
        try:
            return self.open_bytes()
        except (zipfile.BadZipFile, zlib.error, EOFError, gzip.BadGzipFile) as exc:
            raise DataFileError(
                f"{self.label} is damaged and cannot be read in full ({exc}).",
                "Download the file (or the archive it came in) again; the damaged copy is "
                "left as it is.",
            ) from exc
        except OSError as exc:
            raise DataFileError(
                f"Cannot read {self.label}: {exc.strerror or exc}.",
                "Check the file exists and is readable.",
            ) from exc


@dataclass
class Discovery:
    files: list[RawFile]
    skipped: list[tuple[str, str]]  # (name, why)
    # (file not read, the file with the same month and the same content that is read instead)
    duplicates: list[tuple[RawFile, RawFile]] = field(default_factory=list)


def _walk_files(src: Path) -> list[Path]:
    """Every file under ``src``, following symbolic links only while they stay inside ``src``.

    A link (to a file or a folder) whose target lies outside the folder is a
    :class:`DataFileError` naming the link and its target: raw inputs come from one place.
    """
    root = src.resolve()
    out: list[Path] = []
    seen: set[Path] = set()

    def visit(folder: Path) -> None:
        real = folder.resolve()
        if real in seen:  # a link back to a folder already read
            return
        seen.add(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            raise DataFileError(
                f"Cannot list the folder {folder}: {exc.strerror or exc}.",
                "Check the folder exists and is readable.",
            ) from exc
        for entry in entries:
            p = Path(entry.path)
            if entry.is_symlink():
                target = p.resolve()
                if not target.exists():
                    raise DataFileError(
                        f"{p.relative_to(src)} is a link to {target}, which does not exist.",
                        "Remove the broken link, or copy the file it should point to into the "
                        "folder.",
                    )
                if target != root and root not in target.parents:
                    raise DataFileError(
                        f"{p.relative_to(src)} is a link to {target}, outside the police.uk "
                        f"folder {src}; links are followed only inside it.",
                        "Copy the file or folder into the police.uk folder instead of linking "
                        "to it, or point 'sources.police_uk' at the folder that holds it.",
                    )
            if p.is_dir():
                visit(p)
            elif p.is_file():
                out.append(p)

    visit(src)
    return out


def _preference(f: RawFile) -> tuple:
    """Which of several copies of one month is read: the plainest and shallowest one."""
    label = f.label.replace("\\", "/")
    return (f.member is not None, label.endswith(".gz"), label.count("/"), label)


def _content_key(f: RawFile) -> str:
    """sha256 of a file's decompressed bytes, line endings ignored (a CRLF copy is the same)."""
    data = f.read()
    return hashlib.sha256(data.replace(b"\r\n", b"\n").lstrip(b"\xef\xbb\xbf")).hexdigest()


def _one_file_per_month(
    files: list[RawFile],
) -> tuple[list[RawFile], list[tuple[RawFile, RawFile]]]:
    """Keep one file per (kind, force, month); a copy with the same content is a duplicate.

    Two files for one month with *different* content is a :class:`DataFileError` naming both:
    reading both would count the month twice (ASB rows have no Crime ID to de-duplicate on),
    and which one is right is the user's call.
    """
    groups: dict[tuple[str, str, str], list[RawFile]] = {}
    for f in files:
        groups.setdefault((f.kind, f.force, f.month), []).append(f)
    keep: list[RawFile] = []
    dups: list[tuple[RawFile, RawFile]] = []
    for (kind, _force, month), group in groups.items():
        group = sorted(group, key=_preference)
        keep.append(group[0])
        if len(group) == 1:
            continue
        first = _content_key(group[0])
        for other in group[1:]:
            if _content_key(other) != first:
                raise DataFileError(
                    f"The {kind} data for {month} come from two files with different contents: "
                    f"{group[0].label} and {other.label}. Reading both would count the month "
                    "twice; reading one would be a guess.",
                    "Keep the right one in the police.uk folder and move the other out of it "
                    "(raw files are never changed or deleted by this tool).",
                )
            dups.append((other, group[0]))
    return keep, dups


def discover_police_uk(
    source: str | Path, force_slug: str | None = None, kinds=("street", "outcomes")
) -> Discovery:
    """Find police.uk CSVs under a folder (any depth) or inside a zip.

    Files for other forces (when ``force_slug`` is given) and members that are not police.uk CSVs
    are listed in ``skipped`` with the reason, never read silently.
    """
    src = Path(source)
    if not src.exists():
        raise DataFileError(
            f"The police.uk data location {src} does not exist.",
            "Check 'sources.police_uk' in the area config, or run 'scrutiny sample' for the sample data.",
        )
    names: list[tuple[str, Path, str | None]] = []

    def members(zpath: Path, label: str) -> None:
        try:
            with zipfile.ZipFile(zpath) as zf:
                for info in zf.infolist():
                    if not info.is_dir():
                        names.append((f"{label}!{info.filename}", zpath, info.filename))
        except (zipfile.BadZipFile, OSError) as exc:
            raise DataFileError(
                f"{zpath} is a damaged zip file: {exc}.", "Download it again."
            ) from exc

    if src.is_file():
        if not zipfile.is_zipfile(src):
            m = POLICE_UK_FILE.search(src.name)
            if not m:
                raise DataFileError(
                    f"{src} is neither a police.uk CSV nor a zip of them.",
                    "Point 'sources.police_uk' at the folder or zip from data.police.uk.",
                )
            names.append((src.name, src, None))
        else:
            members(src, src.name)
    else:
        for p in _walk_files(src):
            label = str(p.relative_to(src))
            if p.suffix.lower() == ".zip" and zipfile.is_zipfile(p):
                members(p, label)  # a police.uk archive beside the monthly folders
            else:
                names.append((label, p, None))
    files: list[RawFile] = []
    skipped: list[tuple[str, str]] = []
    for label, path, member in names:
        base = member or label
        if Path(base).name.startswith("."):
            continue
        m = POLICE_UK_FILE.search(base.replace("\\", "/"))
        if not m:
            skipped.append((label, "not a police.uk CSV name (YYYY-MM-<force>-street.csv)"))
            continue
        month, force, kind = m.groups()
        if kind not in kinds:
            skipped.append((label, f"{kind} files are not used"))
            continue
        if force_slug and force != force_slug:
            skipped.append((label, f"file is for force '{force}', not '{force_slug}'"))
            continue
        files.append(RawFile(label, month, force, kind, path, member))
    files, dups = _one_file_per_month(files)
    for dup, kept in dups:
        skipped.append((dup.label, f"same month and same content as {kept.label}, which is read"))
    files.sort(key=lambda f: (f.kind, f.month, f.label))
    return Discovery(files, skipped, dups)


_BINARY_SIGNATURES = (
    (b"PK\x03\x04", "a spreadsheet (XLSX/ODS) or zip file"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel (.xls) workbook"),
    (b"%PDF", "a PDF document"),
)


def decode_bytes(data: bytes, label: str) -> tuple[str, str | None]:
    """Decode a CSV's bytes: UTF-8 (BOM allowed) or, failing that, Windows-1252 (a recorded repair).

    A UTF-16 file with its byte-order mark (Excel's "Unicode text") is decoded too, also as a
    recorded repair. A spreadsheet, zip or PDF saved under a ``.csv`` name, or any other binary
    file, is a :class:`DataFileError` saying what the file really is.
    """
    for magic, what in _BINARY_SIGNATURES:
        if data.startswith(magic):
            raise DataFileError(
                f"{label} is not CSV text: it is {what} saved under a text-file name.",
                "Open it in the program that made it and save or export it as CSV (UTF-8).",
            )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "decoded as UTF-16 (file was not UTF-8)"
        except UnicodeDecodeError as exc:
            raise DataFileError(
                f"{label} starts like UTF-16 text but cannot be decoded ({exc}).",
                "Re-export it as CSV (UTF-8).",
            ) from exc
    nul = data.find(b"\x00")
    if nul >= 0:  # anywhere in the file: a NUL inside a Crime ID would silently change it
        line = data.count(b"\n", 0, nul) + 1
        raise DataFileError(
            f"{label} is not CSV text: it holds a binary (NUL) byte on line {line}"
            + (" (and the file starts with binary data)." if nul < 4096 and line == 1 else "."),
            "Check it is the right file; re-export it as CSV (UTF-8), or re-download it.",
        )
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    # Not UTF-8 throughout. Decode what is UTF-8 as UTF-8 and only the bytes that are not as
    # Windows-1252, so a file with one stray Windows byte keeps its valid "Café" intact.
    repaired: list[int] = []

    def as_cp1252(exc: UnicodeDecodeError) -> tuple[str, int]:
        bad = exc.object[exc.start : exc.end]
        repaired.append(len(bad))
        return bad.decode("cp1252"), exc.end

    import codecs

    codecs.register_error("helpers-cp1252", as_cp1252)
    try:
        text = data.decode("utf-8-sig", errors="helpers-cp1252")
    except UnicodeDecodeError as exc:  # a byte Windows-1252 does not define either
        raise DataFileError(
            f"{label} is not a text file in UTF-8 or Windows-1252 ({exc}).",
            "Re-export it as CSV (UTF-8).",
        ) from exc
    high = sum(1 for b in data if b >= 0x80)
    if sum(repaired) >= high:
        return text, "decoded as Windows-1252 (file was not UTF-8)"
    return text, (
        f"{sum(repaired)} byte(s) decoded as Windows-1252 (the rest of the file is UTF-8)"
    )


def read_csv_text(
    text: str, label: str, expected: list[str] | None = None, aliases: dict[str, str] | None = None
) -> tuple[pd.DataFrame, int]:
    """Parse CSV text with every field as a string. Returns (frame, malformed_row_count).

    Rows with more fields than the header are malformed: they are counted, not parsed, and the
    caller rejects them into the ledger. Rows with fewer fields (a truncated last line) are kept
    with the missing fields empty, so later checks reject them with a precise reason; their
    1-based row numbers (header = row 1) and field counts are listed in
    ``frame.attrs["short_rows"]`` so the caller can name them. ``frame.attrs["row_numbers"]``
    gives each kept row's number in the file (records, so a quoted line break does not shift it). With ``expected``, columns beyond
    it are dropped and listed in ``frame.attrs["extra_columns"]``.

    A quote that is opened and never closed would make the rest of the file one field (every
    later row silently lost): that is a :class:`DataFileError` naming the line.
    """
    if not text.strip():
        raise DataFileError(f"{label} is empty.", "Download or export the file again.")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except csv.Error as exc:
        raise DataFileError(
            f"{label}: cannot read the header row ({exc}).", "Check the file is a CSV."
        ) from exc
    header = [h.strip().lstrip("\ufeff").strip() for h in header]
    if aliases:
        header = [aliases.get(h, h) for h in header]
    if expected is not None:
        missing = [c for c in expected if c not in header]
        if missing:
            extra = [h for h in header if h not in expected]
            hint = f" The file has these other columns: {', '.join(extra)}." if extra else ""
            raise DataFileError(
                f"{label} is missing column(s) {', '.join(repr(m) for m in missing)}.{hint}",
                "police.uk files must keep their original header; re-download the file, or rename the "
                "column back to its police.uk name.",
            )
    width = len(header)
    rows: list[list[str]] = []
    row_numbers: list[int] = []
    short_rows: list[tuple[int, int]] = []
    malformed = 0
    record = 1  # the header is row 1
    last_start, last_rec = 1, None
    try:
        while True:
            start = reader.line_num + 1
            try:
                rec = next(reader)
            except StopIteration:
                break
            if not rec or (len(rec) == 1 and rec[0] == ""):
                continue  # blank line
            record += 1
            last_start, last_rec = start, rec
            if len(rec) > width:
                malformed += 1
                continue
            if len(rec) < width:
                short_rows.append((record, len(rec)))
                rec = rec + [""] * (width - len(rec))
            rows.append(rec)
            row_numbers.append(record)
    except csv.Error as exc:
        raise DataFileError(
            f"{label}: CSV structure error near line {reader.line_num}: {exc}.",
            "Check for an unclosed quote; re-export the file.",
        ) from exc
    if (
        last_rec is not None
        and text.count('"') % 2 == 1
        and any("\n" in f or "\r" in f for f in last_rec)
    ):
        swallowed = reader.line_num - last_start
        raise DataFileError(
            f'{label}: a quote (") opened on line {last_start} is never closed, so the {swallowed} line(s) '
            "after it would be read as one field and lost.",
            f"Open the file in a text editor, close or remove the stray quote on line {last_start}, and save "
            "it under a new name (or re-download the original).",
        )
    df = (
        pd.DataFrame(rows, columns=header, dtype="string")
        if rows
        else pd.DataFrame(columns=header, dtype="string")
    )
    extra: list[str] = []
    if expected is not None:
        extra = [h for h in header if h not in expected]
        df = df[expected]
    # an array, not a list: pandas deep-copies attrs into every frame derived from this one, and
    # copying a list of 100,000 ints each time cost the extract's cleaning seconds
    df.attrs["row_numbers"] = np.asarray(row_numbers, dtype=np.int64)
    df.attrs["short_rows"] = short_rows
    df.attrs["extra_columns"] = extra
    return df, malformed


def invalid_row_tally():
    """An Arrow CSV ``invalid_row_handler`` that skips each row with the wrong number of fields
    and tallies it: ``(handler, counts, long_lines)``, where ``counts`` has ``"long"`` and
    ``"short"`` and ``long_lines`` the line number Arrow gave each long row (``None`` where it
    could not tell)."""
    counts = {"long": 0, "short": 0}
    long_lines: list[int | None] = []

    def on_invalid(row) -> str:
        long = row.actual_columns > row.expected_columns
        counts["long" if long else "short"] += 1
        if long:
            long_lines.append(row.number)
        return "skip"

    return on_invalid, counts, long_lines


def read_csv_arrow(data: bytes, label: str) -> tuple[pd.DataFrame, int] | None:
    """:func:`read_csv_text` of ``decode_bytes(data)``, by Arrow's C++ CSV parser, for the files
    on which the two give the same frame (the same columns, rows, text, row numbers and malformed
    count); ``None`` for any other file, which the caller reads with the reference reader.

    Taken: UTF-8 text (BOM allowed) with no quote character, no NUL byte and no row with fewer
    fields than the header, whose header names are distinct. Left to the reference: a quoted
    field (Python's csv and Arrow differ on stray quotes), a short row (padded there), a file
    with rows longer than the header that also has blank lines or carriage returns (Arrow's line
    numbers would not be record numbers), a field longer than Python csv's field limit, an empty
    or header-only file, and anything not UTF-8. About 10x faster than the reference on a
    force extract of 120,000 rows (tests/unit/test_loading_arrow.py compares the two).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    body = memoryview(data)[3:] if data.startswith(b"\xef\xbb\xbf") else memoryview(data)
    starts = tuple(m for m, _ in _BINARY_SIGNATURES) + (b"\xff\xfe", b"\xfe\xff")
    if not body or data.startswith(starts) or body[:1] in (b"\n", b"\r"):
        return None
    if data.find(b'"') >= 0 or data.find(b"\x00") >= 0:
        return None
    end = data.find(b"\n", len(data) - len(body))
    first = bytes(body[: (end if end >= 0 else len(data)) - (len(data) - len(body))])
    if first.endswith(b"\r"):
        first = first[:-1]
    if b"\r" in first:
        return None
    try:
        header_text = first.decode("utf-8")
    except UnicodeDecodeError:
        return None
    header = [h.strip().lstrip("\ufeff").strip() for h in header_text.split(",")]
    width = len(header)
    if len(set(header)) < width:
        return None
    names = [f"c{i}" for i in range(width)]
    on_invalid, counts, long_lines = invalid_row_tally()
    try:
        tab = pacsv.read_csv(
            pa.py_buffer(body),
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, use_threads=False, block_size=1 << 26
            ),
            parse_options=pacsv.ParseOptions(
                quote_char=False, invalid_row_handler=on_invalid, newlines_in_values=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
            ),
        )
    except pa.ArrowInvalid:  # e.g. not UTF-8: the reference decodes it and records the repair
        return None
    if counts["short"] or tab.num_rows == 0:
        return None
    limit = csv.field_size_limit()
    for col in tab.columns:
        if len(col) and pa.compute.max(pa.compute.binary_length(col)).as_py() > limit:
            return None
    if counts["long"]:
        if b"\n\n" in data or b"\r" in data or None in long_lines:
            return None
        every = np.arange(2, tab.num_rows + counts["long"] + 2, dtype=np.int64)
        rows = every[~np.isin(every, np.array(long_lines, dtype=np.int64))]
    else:
        rows = np.arange(2, tab.num_rows + 2, dtype=np.int64)
    df = pd.DataFrame(
        {h: pd.array(tab.column(i).combine_chunks(), dtype="string") for i, h in enumerate(header)}
    )
    df.attrs["row_numbers"] = rows
    df.attrs["short_rows"] = []
    df.attrs["extra_columns"] = []
    return df, counts["long"]


def read_police_uk_file(f: RawFile) -> tuple[pd.DataFrame, int, str | None]:
    """Read one police.uk CSV as strings. Returns (frame, malformed rows, repair note)."""
    data = f.read()
    text, repair = decode_bytes(data, f.label)
    expected = STREET_COLUMNS if f.kind == "street" else OUTCOME_COLUMNS
    df, malformed = read_csv_text(text, f.label, expected)
    return df, malformed, repair


# --------------------------------------------------------------------------- force extract

FORCE_EXTRACT_REQUIRED = ("offence_id", "date", "ho_code")
FORCE_EXTRACT_OPTIONAL = (
    "hour",
    "offence_description",
    "offence_group",
    "offence_subgroup",
    "domestic_flag",
    "location_type",
    "lsoa_code",
    "easting",
    "northing",
)
# The Commissioner's columns (helpers.ingest.extract_flags): read when mapped, never "absent".
FORCE_EXTRACT_FLAGS = ("knife_crime", "firearm", "victim_id")


def read_force_extract(
    path: Path, columns: dict[str, str]
) -> tuple[pd.DataFrame, int, str | None, list[str]]:
    """Read a force extract and rename its columns to ours through the config mapping.

    Returns (frame with our column names, malformed rows, repair note, list of optional columns
    that are absent). A required column missing is an error naming the column and the mapping.
    """
    if not path.exists():
        raise DataFileError(
            f"The force extract {path} does not exist.",
            "Check 'sources.force_extract.path' in the area config.",
        )
    data = path.read_bytes()
    fast = read_csv_arrow(data, path.name)
    if fast is not None:
        (df, malformed), repair = fast, None
    else:
        text, repair = decode_bytes(data, path.name)
        df, malformed = read_csv_text(text, path.name)
    theirs_to_ours = {v: k for k, v in columns.items()}
    missing_required = [k for k in FORCE_EXTRACT_REQUIRED if columns.get(k) not in df.columns]
    if missing_required:
        detail = ", ".join(f"{k} (expected column {columns.get(k)!r})" for k in missing_required)
        raise DataFileError(
            f"{path.name} lacks required column(s): {detail}. Its columns are: {', '.join(df.columns)}.",
            "Fix 'sources.force_extract.columns' in the area config to name this export's columns.",
        )
    df = df.rename(columns=theirs_to_ours)
    absent = [k for k in FORCE_EXTRACT_OPTIONAL if k not in df.columns]
    keep = [
        c
        for c in (*FORCE_EXTRACT_REQUIRED, *FORCE_EXTRACT_OPTIONAL, *FORCE_EXTRACT_FLAGS)
        if c in df.columns
    ]
    return df[keep], malformed, repair, absent


# --------------------------------------------------------------------------- Home Office CSP tables

HO_ALIASES = {
    "financial year": "financial_year",
    "financial quarter": "quarter",
    "force name": "force_name",
    "police force": "force_name",
    "force": "force_name",
    "csp name": "csp_name",
    "community safety partnership": "csp_name",
    "offence description": "offence_description",
    "offence group": "offence_group",
    "offence subgroup": "offence_subgroup",
    "offence code": "offence_code",
    "number of offences": "count",
    "offence count": "count",
    "number of crimes": "count",
}
HO_REQUIRED = ("financial_year", "quarter", "csp_name", "offence_code", "count")
SHEET_FY = re.compile(r"^(\d{4})[_/-](\d{2})$")


def header_table(
    raw: pd.DataFrame,
    label: str,
    markers: set[str],
    aliases: dict[str, str],
    required: tuple[str, ...],
    what: str,
    header_hint: str,
    max_scan: int = 30,
) -> tuple[pd.DataFrame, int]:
    """A published table read as cells: find its header row (the first of ``max_scan`` rows with
    one of the ``markers`` as a cell, any case), rename the columns through ``aliases`` (lower
    case → ours), drop unnamed columns and check ``required``. Returns (rows below the header,
    0-based header row). Errors name ``label`` and say which table ``what`` was expected."""
    h = None
    for i in range(min(max_scan, len(raw))):
        cells = {str(v).strip().lower() for v in raw.iloc[i].tolist() if pd.notna(v)}
        if cells & markers:
            h = i
            break
    if h is None:
        raise DataFileError(
            f"{label}: no header row with a {header_hint!r} column in the first {max_scan} rows.",
            f"Check this is the {what} as published.",
        )
    header = [aliases.get(str(v).strip().lower(), str(v).strip()) for v in raw.iloc[h].tolist()]
    df = raw.iloc[h + 1 :].copy()
    df.columns = header
    df = df.loc[:, [c for c in df.columns if c and c != "nan"]]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataFileError(
            f"{label}: missing column(s) {', '.join(missing)} (header on row {h + 1}).",
            f"Use the {what} as published.",
        )
    return df, h


def _tidy_ho_frame(raw: pd.DataFrame, label: str) -> pd.DataFrame:
    df, h = header_table(
        raw,
        label,
        {"csp name", "community safety partnership"},
        HO_ALIASES,
        HO_REQUIRED,
        "Home Office 'police recorded crime by CSP' open-data table",
        "CSP Name",
    )
    # 1-based spreadsheet row (or CSV line), worked out before blank rows are dropped: a blank
    # row in the middle of a sheet must not shift the row numbers the ledger names after it
    df["source_row"] = [int(i) + 1 for i in df.index]
    return df.dropna(how="all", subset=[c for c in df.columns if c != "source_row"])


# The engines that read each spreadsheet type, in the order tried. calamine (python-calamine, a
# Rust reader) gives the same cells as openpyxl (tests/unit/test_spreadsheet_engines.py compares
# every cell, type included) in a tenth of the time or less: the sample's Home Office workbook took
# 9-14 s with openpyxl, under 1 s with calamine. openpyxl is the fallback when python-calamine is
# not installed, cannot open a file, or would read a text cell differently (below). ODS stays with
# odf and old-style .xls with xlrd: calamine expands runs of spaces in ODS text differently, and no
# .xls writer is at hand to prove it reads those the same.
SHEET_ENGINES: dict[str, tuple[str, ...]] = {
    ".xlsx": ("calamine", "openpyxl"),
    ".xlsm": ("calamine", "openpyxl"),
    ".ods": ("odf",),
    ".xls": ("xlrd",),
}
# A text element (<t>) with leading or trailing white space but no xml:space="preserve": openpyxl
# keeps the spaces (a cell of one space stays " "), calamine trims them (the cell becomes blank, and
# a row of such cells would vanish from the ledger). Excel always writes xml:space="preserve" in
# that case; openpyxl itself does not for a cell that is only spaces. A workbook holding one is
# read with openpyxl, so its cells stay exactly as before.
_UNPRESERVED_TEXT = re.compile(
    rb"<(?:\w+:)?t(?:\s(?:(?!xml:space)[^>])*)?>(?:\s[^<]*|[^<]*\s)</(?:\w+:)?t>"
)
_TEXT_PARTS = re.compile(r"^xl/(?:worksheets/[^/]+|sharedStrings)\.xml$", re.I)


def _maybe_unpreserved(block: bytes) -> bool:
    """A quick test (plain substring searches, several times faster than the regex) that
    ``block`` may hold a text element starting or ending with white space."""
    return any(block.find(b"t>" + ws) >= 0 or block.find(ws + b"</") >= 0 for ws in _SPACES)


_SPACES = (b" ", b"\t", b"\n", b"\r")


def _has_unpreserved_text(path: Path) -> bool:
    """Whether an XLSX holds a text element calamine would trim (see ``_UNPRESERVED_TEXT``)."""
    try:
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if not _TEXT_PARTS.match(info.filename):
                    continue
                with z.open(info) as part:
                    tail = b""
                    while chunk := part.read(1 << 22):
                        block = tail + chunk
                        if _maybe_unpreserved(block) and _UNPRESERVED_TEXT.search(block):
                            return True
                        tail = block[-(1 << 18) :]  # a <t> element split across two chunks
    except (zipfile.BadZipFile, OSError, zlib.error, EOFError):
        return False  # not a readable zip: the engines say so in their own words
    return False


def _engine_available(engine: str) -> bool:
    import importlib.util

    module = {"calamine": "python_calamine", "odf": "odf"}.get(engine, engine)
    return importlib.util.find_spec(module) is not None


def read_sheets(
    path: Path, wanted: Callable[[str], bool], engine: str | None = None
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The sheets of a workbook whose names pass ``wanted(name)``, as cells without a header.

    Returns ({sheet name: frame of cells, dtype object}, every sheet name in workbook order).
    Only the wanted sheets are parsed. Cells come out as pandas' ``read_excel`` gives them:
    integral numbers as int, other numbers as float, text as str (spaces kept), dates as
    datetime, blanks (and pandas' default missing-value texts such as "NA") as NaN; a merged
    range holds its value in its top-left cell only. ``engine`` forces one engine (tests compare
    them); by default the engines of :data:`SHEET_ENGINES` are tried in order. A file no engine
    can open is a :class:`DataFileError` naming the file.
    """
    suffix = path.suffix.lower()
    if suffix not in SHEET_ENGINES:
        raise DataFileError(
            f"{path.name}: unsupported file type {suffix!r}.", "Use CSV, XLSX or ODS."
        )
    if engine:
        engines = [engine]
    else:
        engines = [e for e in SHEET_ENGINES[suffix] if _engine_available(e)]
        if "calamine" in engines and len(engines) > 1 and _has_unpreserved_text(path):
            engines.remove("calamine")
    error: Exception | None = None
    for name in engines:
        try:
            with pd.ExcelFile(path, engine=name) as book:
                names = [str(n) for n in book.sheet_names]
                chosen = [n for n in book.sheet_names if wanted(str(n))]
                sheets = (
                    pd.read_excel(book, sheet_name=chosen, header=None, dtype=object)
                    if chosen
                    else {}
                )
            return {str(n): s for n, s in sheets.items()}, names
        except Exception as exc:  # the engines raise many types for damaged files
            error = exc  # the last engine's words: openpyxl/odf/xlrd, as before calamine
    raise DataFileError(
        f"Cannot open {path.name} as a spreadsheet: {error}.", "Re-download or re-save it."
    ) from error


def financial_year_sheets(path: Path) -> list[tuple[str, pd.DataFrame]]:
    """The sheets named like a financial year (``2021_22``) of a Home Office workbook (XLSX, XLS
    or ODS), as cells without a header, in name order; other sheets (notes, contents) are not
    parsed. Errors name the file and its sheets."""
    sheets, names = read_sheets(path, lambda n: bool(SHEET_FY.match(n.strip())))
    if not sheets:
        raise DataFileError(
            f"{path.name} has no sheet named like a financial year (e.g. 2021_22); "
            f"its sheets are: {', '.join(names)}.",
            "Use the Home Office table as published, one sheet per financial year.",
        )
    return sorted(sheets.items(), key=lambda t: t[0])


def read_home_office_csp(path: Path) -> list[tuple[str, pd.DataFrame]]:
    """Read every financial-year sheet (or the single CSV). Returns [(label, frame)] of raw rows."""
    if not path.exists():
        raise DataFileError(
            f"The Home Office CSP table {path} does not exist.",
            "Check 'sources.home_office_csp' in the area config.",
        )
    suffix = path.suffix.lower()
    out: list[tuple[str, pd.DataFrame]] = []
    if suffix == ".csv":
        text, _ = decode_bytes(path.read_bytes(), path.name)
        if not text.strip():
            raise DataFileError(f"{path.name} is empty.", "Download the Home Office table again.")
        try:
            # Title lines above the header have fewer fields than the table: pad, never refuse.
            reader = csv.reader(io.StringIO(text, newline=""))
            recs, lines = [], []
            for r in reader:
                if r:
                    recs.append(r)
                    lines.append(reader.line_num - 1)  # 0-based line, as a sheet's row index
        except csv.Error as exc:
            raise DataFileError(
                f"{path.name} cannot be read as CSV: {exc}.",
                "Re-download the table, or save the sheet as CSV (UTF-8) again.",
            ) from exc
        width = max(len(r) for r in recs)
        raw = pd.DataFrame([r + [""] * (width - len(r)) for r in recs], dtype=object, index=lines)
        out.append((path.name, _tidy_ho_frame(raw.replace("", pd.NA), path.name)))
        return out
    for name, sheet in financial_year_sheets(path):
        out.append((f"{path.name}!{name}", _tidy_ho_frame(sheet, f"{path.name}, sheet {name}")))
    return out


# --------------------------------------------------------------------------- small tables


def read_small_csv(path: Path, required: list[str], what: str) -> pd.DataFrame:
    if not path.exists():
        raise DataFileError(
            f"The {what} file {path} does not exist.", "Check the area config's sources."
        )
    text, _ = decode_bytes(path.read_bytes(), path.name)
    df, malformed = read_csv_text(text, path.name)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataFileError(
            f"{path.name} ({what}) lacks column(s) {', '.join(missing)}; it has "
            f"{', '.join(df.columns)}.",
            f"Provide a CSV with columns {', '.join(required)}.",
        )
    if malformed:
        raise DataFileError(
            f"{path.name} ({what}) has {malformed} malformed row(s).", "Fix or re-export the file."
        )
    return df


# --------------------------------------------------------------------------- ward population

GSS_CODE = re.compile(r"^[EWSN]\d{8}$")
_WARD_CODE_HEADERS = re.compile(
    r"(ward|wd\d{2}|gss|area|geography).*(code|cd)|^wd\d{2}cd$|^gss", re.I
)
_POP_HEADERS = re.compile(r"^(population|all ages|total|persons|all persons|all people)\b", re.I)


@dataclass
class WardPopulation:
    """A ward population table as read: ``frame`` has ward_code, population (text) and source_row."""

    label: str
    frame: pd.DataFrame
    ward_code_column: str
    population_column: str
    header_row: int | None  # 1-based spreadsheet row of the header (None for a plain CSV)
    year: int | None = None
    rows_below: int = 0  # non-data rows (notes, totals) after the table, not read as wards


def _sheet_grid(path: Path, sheet: str | int | None) -> tuple[list[list], str]:
    """Cell values of one sheet as rows (merged cells filled from their top-left), and its name."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=False, data_only=True)
    except Exception as exc:  # damaged or not a workbook
        raise DataFileError(
            f"Cannot open the ward population workbook {path.name}: {exc}.",
            "Re-download it, or save it again as .xlsx.",
        ) from exc
    names = wb.sheetnames
    if sheet is None:
        ws = wb[names[0]]
    elif isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(names):
            raise DataFileError(
                f"{path.name} has {len(names)} sheet(s); sheet number {sheet} does not exist.",
                f"Set sources.ward_population.sheet to one of: {', '.join(names)}.",
            )
        ws = wb[names[sheet]]
    elif str(sheet) in names:
        ws = wb[str(sheet)]
    else:
        raise DataFileError(
            f"{path.name} has no sheet {sheet!r}; its sheets are {', '.join(names)}.",
            "Set sources.ward_population.sheet to the sheet holding the ward figures.",
        )
    grid = [list(r) for r in ws.iter_rows(values_only=True)]
    for rng in ws.merged_cells.ranges:
        v = ws.cell(rng.min_row, rng.min_col).value
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                if r - 1 < len(grid) and c - 1 < len(grid[r - 1]):
                    grid[r - 1][c - 1] = v
    return grid, ws.title


def _text(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def read_ward_population(
    path: Path,
    sheet: str | int | None = None,
    ward_code: str | None = None,
    population: str | None = None,
    year: int | None = None,
) -> WardPopulation:
    """Read a ward population table as published: a CSV, or a sheet of an ONS-style workbook.

    A workbook may have title rows above the header, a header spread over merged cells, and notes
    or totals below the table. The header row is the row just above the first row whose ward-code
    column holds a GSS code (E05..., W05...); the ward code and population columns are the
    configured names (``ward_code``, ``population``; matched to any header line, case ignored)
    or, by default, the column whose values are GSS codes and the first column headed
    "population", "all ages", "total" or "persons". Data rows end at the first row without a
    GSS code. Returns every data row as text; the cleaning stage checks and counts them.
    """
    if not path.exists():
        raise DataFileError(
            f"The ward population file {path} does not exist.",
            "Check 'sources.ward_population' in the area config.",
        )
    suffix = path.suffix.lower()
    if suffix in (".csv", ".gz", ".txt"):
        text, _ = decode_bytes(path.read_bytes(), path.name)
        df, malformed = read_csv_text(text, path.name)
        if malformed:
            raise DataFileError(
                f"{path.name} (ward population) has {malformed} malformed row(s).",
                "Fix or re-export the file.",
            )
        cc_name, pc_name = ward_code or "ward_code", population or "population"
        if cc_name in df.columns and pc_name in df.columns:
            # a tidy CSV: every row is a ward row (the cleaning stage rejects bad ones)
            frame = pd.DataFrame(
                {
                    "ward_code": df[cc_name].astype("string").str.strip(),
                    "population": df[pc_name].astype("string").str.strip(),
                    "source_row": range(2, len(df) + 2),
                }
            )
            return WardPopulation(path.name, frame, cc_name, pc_name, None, year, 0)
        grid = [list(df.columns)] + df.astype(object).where(df.notna(), None).values.tolist()
        label = path.name
        if not any(GSS_CODE.match(str(v or "").strip()) for r in grid[1:] for v in r):
            missing = [c for c in (cc_name, pc_name) if c not in df.columns]
            raise DataFileError(
                f"{path.name} (ward population) lacks column(s) {', '.join(missing)}; it has "
                f"{', '.join(df.columns)}.",
                "Provide a CSV with columns ward_code, population, or name its columns in "
                "sources.ward_population: {path: ..., ward_code: <column>, population: <column>}.",
            )
    elif suffix in (".xlsx", ".xlsm"):
        grid, title = _sheet_grid(path, sheet)
        label = f"{path.name}!{title}"
    else:
        raise DataFileError(
            f"{path.name}: ward population must be CSV or XLSX, not {suffix!r}.",
            "Save the ward population sheet as .xlsx or .csv.",
        )
    width = max((len(r) for r in grid), default=0)
    grid = [[_text(v) for v in r] + [""] * (width - len(r)) for r in grid]
    # the first data row: the first row with a GSS ward code in some column
    first = next(
        (i for i, r in enumerate(grid) if any(GSS_CODE.match(v) for v in r)),
        None,
    )
    if first is None or first == 0:
        raise DataFileError(
            f"{label}: no header row above rows of ward codes (GSS codes such as E05001067) "
            "was found.",
            "Point sources.ward_population at the ward sheet of the ONS ward population "
            "estimates (set 'sheet' if it is not the first).",
        )
    # header lines: the non-empty rows just above the first data row that are not titles
    # (a title row has text in one cell only); a merged header has two such lines
    head_rows = []
    i = first - 1
    while i >= 0 and len(head_rows) < 3:
        filled = sum(bool(v) for v in grid[i])
        if filled == 0:
            break
        if filled == 1 and head_rows:
            break
        head_rows.insert(0, i)
        i -= 1
    labels = [
        " ".join(dict.fromkeys(grid[r][c] for r in head_rows if grid[r][c])) for c in range(width)
    ]
    lines = [[grid[r][c] for r in head_rows] for c in range(width)]

    def find(name: str | None, what: str, default) -> int:
        if name is not None:
            want = str(name).strip().lower()
            for c in range(width):
                if want == labels[c].lower() or want in (v.lower() for v in lines[c]):
                    return c
            raise DataFileError(
                f"{label}: no column headed {name!r} for the {what}; the header (row "
                f"{head_rows[-1] + 1}) has {', '.join(repr(x) for x in labels if x)}.",
                f"Set sources.ward_population.{'ward_code' if what == 'ward code' else 'population'} "
                "to one of those headings.",
            )
        c = default()
        if c is None:
            raise DataFileError(
                f"{label}: cannot tell which column holds the {what}; the header (row "
                f"{head_rows[-1] + 1}) has {', '.join(repr(x) for x in labels if x)}.",
                f"Name it as sources.ward_population.{'ward_code' if what == 'ward code' else 'population'}.",
            )
        return c

    def code_default():
        cols = [c for c in range(width) if GSS_CODE.match(grid[first][c])]
        named = [c for c in cols if _WARD_CODE_HEADERS.search(labels[c])]
        return (named or cols or [None])[0]

    def pop_default():
        for c in range(width):
            if any(_POP_HEADERS.search(v) for v in lines[c] + [labels[c]]):
                return c
        return None

    cc = find(ward_code, "ward code", code_default)
    pc = find(population, "population", pop_default)
    rows = []
    end = first
    while end < len(grid) and GSS_CODE.match(grid[end][cc]):
        rows.append((grid[end][cc], grid[end][pc], end + 1))
        end += 1
    below = sum(any(v for v in r) for r in grid[end:])
    frame = pd.DataFrame(rows, columns=["ward_code", "population", "source_row"])
    frame["ward_code"] = frame["ward_code"].astype("string")
    frame["population"] = frame["population"].astype("string")
    header_row = head_rows[-1] + 1 if suffix not in (".csv", ".gz", ".txt") else None
    return WardPopulation(label, frame, labels[cc], labels[pc], header_row, year, below)


def check_unique(df: pd.DataFrame, key: str, path: Path, what: str) -> pd.DataFrame:
    """Refuse a table with a ``key`` repeated, naming this file (not some later join's input)."""
    values = df[key].astype("string").str.strip()
    dup = values.duplicated(keep=False) & values.notna()
    if dup.any():
        codes = sorted(values[dup].unique())
        rows = df.attrs.get("row_numbers")
        if rows is None or len(rows) != len(df):
            rows = list(range(2, len(df) + 2))
        lines = [str(rows[i]) for i in range(len(df)) if dup.iloc[i]][:6]
        raise DataFileError(
            f"{path.name} ({what}) has {key} {', '.join(codes[:5])} more than once "
            f"(rows {', '.join(lines)}).",
            f"Keep one row per {key} in {path.name}: delete the repeat, or sum the rows if they "
            "are parts of one ward.",
        )
    return df
