"""The reliability catalogue: bad inputs and faults, each met with a clear message or a recorded repair.

Every case is one test with an id (``Cnn_...``) and a one-line statement of the documented
behaviour (its docstring); ``docs/errors.md`` lists the same cases with the message and what the
user should do. Two kinds of outcome only:

* **clear error**: a :class:`~helpers.core.errors.ScrutinyError` subclass whose message names the
  file/row/column/value and carries a ``fix`` (checked by :func:`clear_error`); any other exception
  escapes the test as a *traceback* and is counted by ``conftest.py`` (goal: zero);
* **recorded repair or rejection**: the run succeeds, the row is kept after a repair or rejected
  with a reason in the ledger, the ledger balances for every file and the raw files are unchanged
  (checked by :meth:`Area.clean` on every run).

The tiny test area is built in a tmp folder (two 1 km wards side by side in British National
Grid, an LSOA lookup, ward population and three months of police.uk files), in the pattern of
``tests/unit/test_cleaning.py``.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml
from policeuk_support import E0, N0, ll, street_row

from helpers.core import io as hio
from helpers.core import paths
from helpers.core.config import load_area_config
from helpers.core.errors import (
    ConfigError,
    DataFileError,
    GeographyError,
    OutputError,
    ParameterError,
    PeriodError,
    ScrutinyError,
)
from helpers.ingest import loading
from helpers.ingest.cleaning import run_cleaning
from helpers.ingest.loading import OUTCOME_COLUMNS, STREET_COLUMNS
from helpers.run.parameters import validate_parameters

pytestmark = pytest.mark.reliability

REPO = Path(__file__).resolve().parents[2]
TODAY = date(2024, 6, 15)


# --------------------------------------------------------------------------- helpers


def csv_bytes(header, rows, encoding="utf-8", newline="\n", bom=False) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline)
    w.writerow(header)
    w.writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode(encoding)


def square(x0, y0, size=1000.0):
    return [[[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]]


def feature(code, name, coords, kind="Polygon"):
    return {
        "type": "Feature",
        "properties": {"ward_code": code, "ward_name": name},
        "geometry": {"type": kind, "coordinates": coords},
    }


def geojson(features, crs="urn:ogc:def:crs:EPSG::27700"):
    out = {"type": "FeatureCollection", "features": features}
    if crs:
        out["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(out)


def tree_hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def clear_error(exc_type: type[ScrutinyError], fn, *patterns: str) -> ScrutinyError:
    """``fn()`` must raise ``exc_type`` whose message matches every pattern and says what to do.

    Any other exception is re-raised untouched, so the catalogue counts it as a traceback.
    """
    try:
        fn()
    except ScrutinyError as exc:
        assert isinstance(exc, exc_type), (
            f"expected {exc_type.__name__}, got {type(exc).__name__}: {exc}"
        )
        text = str(exc)
        for p in patterns:
            assert re.search(p, text, flags=re.S), f"message does not match {p!r}:\n{text}"
        assert exc.fix and len(exc.fix) > 10, f"no 'what to do' in: {text}"
        assert "Traceback" not in text
        return exc
    pytest.fail(f"no {exc_type.__name__} was raised")


@dataclass
class Area:
    """A tiny area in a tmp folder; ``clean()`` checks the ledger balances and raw is untouched."""

    root: Path
    sources: dict

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def police(self) -> Path:
        return self.raw / "police"

    def street(self, month: str, force="test") -> Path:
        return self.police / month / f"{month}-{force}-street.csv"

    def write_street(self, month, rows, force="test", **kw) -> Path:
        p = self.street(month, force)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(csv_bytes(STREET_COLUMNS, rows, **kw))
        return p

    def config(self, extra: dict | None = None, **top) -> object:
        doc = {
            "area": "test",
            "name": "Test",
            "csp_name": "Test",
            "force": {"name": "Test Police", "slug": "test"},
            "sources": {k: str(v) for k, v in self.sources.items()},
            **top,
        }
        for k, v in (extra or {}).items():
            doc["sources"][k] = v if isinstance(v, dict) else str(v)
        p = self.root / "test.yaml"
        p.write_text(yaml.safe_dump(doc, sort_keys=False))
        return load_area_config(str(p))

    def clean(self, period="2022-03", cfg=None, out="out", **kw):
        before = tree_hashes(self.raw)
        try:
            res = run_cleaning(
                cfg or self.config(),
                period,
                out_dir=self.root / out,
                check_future=kw.pop("check_future", False),
                **kw,
            )
        finally:
            assert tree_hashes(self.raw) == before, "raw files must never change"
        assert res.ledger.unbalanced() == [], (
            "ledger must balance: read = kept + rejected for every file"
        )
        return res


def rejections(res) -> dict[str, int]:
    return res.ledger.rejections().set_index("reason")["rows"].to_dict()


def repairs(res) -> dict[str, int]:
    df = res.ledger.to_frame()
    df = df[df.status == "repaired"]
    return df.groupby("reason")["rows"].sum().to_dict()


def build_area(tmp_path: Path) -> Area:
    """Two wards, an LSOA lookup, ward population and three months (2022-01..03) of two rows each."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "wards.geojson").write_text(
        geojson(
            [feature("W1", "West", square(E0, N0)), feature("W2", "East", square(E0 + 1000, N0))]
        )
    )
    (raw / "lookup.csv").write_text(
        "LSOA11CD,LSOA11NM,WD19CD,WD19NM\nL1,A 001,W1,West\nL2,A 002,W2,East\n"
    )
    (raw / "ward_pop.csv").write_text("ward_code,population\nW1,1000\nW2,2000\n")
    a = Area(
        tmp_path,
        {
            "police_uk": raw / "police",
            "wards": raw / "wards.geojson",
            "ward_population": raw / "ward_pop.csv",
            "lsoa_lookup": raw / "lookup.csv",
        },
    )
    for i, m in enumerate(["2022-01", "2022-02", "2022-03"]):
        a.write_street(
            m,
            [
                street_row(f"{m}-a".ljust(64, "0"), m, E0 + 500, N0 + 500, "L1"),
                street_row(f"{m}-b".ljust(64, "0"), m, E0 + 1500, N0 + 500 + i, "L2", "Drugs"),
            ],
        )
    return a


@pytest.fixture
def area(tmp_path) -> Area:
    return build_area(tmp_path)


# =========================================================================== police.uk files


def test_C01_empty_file(area):
    """An empty (0-byte) police.uk file is a DataFileError naming the file: 're-download it'."""
    area.street("2022-02").write_bytes(b"")
    clear_error(DataFileError, area.clean, r"2022-02-test-street\.csv is empty")


def test_C02_header_only_one_month(area):
    """A file with a header but no rows is read as 0 rows, named in a warning, and its month is reported missing."""
    area.write_street("2022-02", [])
    res = area.clean()
    assert res.ledger.read[("2022-02/2022-02-test-street.csv", "street")] == 0
    assert res.months_missing == ["2022-02"]
    assert any("2022-02-test-street.csv" in w and "no data rows" in w for w in res.warnings)


def test_C03_header_only_every_file(area):
    """When every file holds only a header there is nothing to analyse: a PeriodError saying so."""
    for m in ("2022-01", "2022-02", "2022-03"):
        area.write_street(m, [])
    clear_error(PeriodError, area.clean, r"No police\.uk rows", r"header")


def test_C04_renamed_column(area):
    """A renamed column is a DataFileError naming the file, the missing column and the columns it has instead."""
    p = area.street("2022-01")
    p.write_text(p.read_text().replace("Crime type", "Crime category", 1))
    clear_error(
        DataFileError, area.clean, r"2022-01-test-street\.csv", r"'Crime type'", r"Crime category"
    )


def test_C05_wrong_columns_outcomes_saved_as_street(area):
    """An outcomes file saved under a street-file name is a DataFileError naming the missing columns."""
    area.street("2022-02").write_bytes(
        csv_bytes(
            OUTCOME_COLUMNS, [["x" * 64, "2022-02", "T", "T", "", "", "", "L1", "L1", "Unable"]]
        )
    )
    clear_error(
        DataFileError, area.clean, r"2022-02-test-street\.csv", r"'Crime type'", r"Outcome type"
    )


def test_C06_extra_column(area):
    """An extra column (e.g. an analyst's 'Notes') is ignored and named in a warning; every row is kept."""
    p = area.street("2022-02")
    rows = list(csv.reader(io.StringIO(p.read_text())))
    p.write_bytes(csv_bytes([*rows[0], "Notes"], [[*r, "checked"] for r in rows[1:]]))
    res = area.clean()
    assert len(res.tables["street"]) == 6 and "Notes" not in res.tables["street"].columns
    assert any("Notes" in w and "2022-02-test-street.csv" in w for w in res.warnings)


def test_C07_spreadsheet_saved_as_csv(area, tmp_path):
    """An Excel workbook renamed to .csv is a DataFileError saying it is a spreadsheet, not CSV text."""
    xl = tmp_path / "book.xlsx"
    pd.DataFrame(
        [street_row("z" * 64, "2022-02", E0 + 5, N0 + 5)], columns=STREET_COLUMNS
    ).to_excel(xl, index=False)
    area.street("2022-02").write_bytes(xl.read_bytes())
    clear_error(
        DataFileError, area.clean, r"2022-02-test-street\.csv", r"(?i)spreadsheet|zip|binary"
    )


def test_C08_byte_order_mark(area):
    """A UTF-8 byte-order mark is accepted: the first column is still 'Crime ID' and every row is kept."""
    p = area.street("2022-02")
    p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())
    res = area.clean()
    assert len(res.tables["street"]) == 6 and not res.tables["street"]["crime_id"].isna().any()


def test_C09_windows_1252(area):
    """A Windows-1252 file is decoded (accents intact) and the decoding is a repair counted in the ledger."""
    rows = [street_row("w" * 64, "2022-02", E0 + 10, N0 + 10)]
    rows[0][6] = "On or near Caf\u00e9 Street"
    area.write_street("2022-02", rows, encoding="cp1252")
    res = area.clean()
    assert "On or near Caf\u00e9 Street" in set(res.tables["street"]["location"])
    assert repairs(res) == {"decoded as Windows-1252 (file was not UTF-8)": 1}


def test_C10_crlf_line_endings(area):
    """CRLF line ends give exactly the same kept rows as LF."""
    lf = area.clean(out="lf").tables["street"]
    for m in ("2022-01", "2022-02", "2022-03"):
        p = area.street(m)
        p.write_bytes(p.read_bytes().replace(b"\n", b"\r\n"))
    crlf = area.clean(out="crlf").tables["street"]
    cols = ["crime_id", "month", "crime_type", "ward_code", "easting", "northing"]
    pd.testing.assert_frame_equal(lf[cols], crlf[cols])


def test_C11_truncated_last_line(area):
    """A truncated last line is rejected in the ledger and a warning names the file and row."""
    p = area.street("2022-02")
    p.write_bytes(p.read_bytes() + b"t" * 64 + b",2022-02,Test Police")
    res = area.clean()
    assert sum(rejections(res).values()) == 1
    assert any(
        "2022-02-test-street.csv" in w and "row 4" in w and "fewer fields" in w
        for w in res.warnings
    )


def test_C12_quoted_embedded_newline(area):
    """A quoted field with a line break inside is one field: the row is kept with the break intact."""
    rows = [street_row("q" * 64, "2022-02", E0 + 20, N0 + 20)]
    rows[0][6] = "On or near High\nStreet"
    area.write_street("2022-02", rows)
    res = area.clean()
    assert "On or near High\nStreet" in set(res.tables["street"]["location"])


def test_C13_unclosed_quote(area):
    """A quote opened and never closed (it would swallow the rest of the file) is a DataFileError naming the row."""
    p = area.street("2022-02")
    lines = p.read_text().splitlines()
    lines[1] = lines[1].replace("On or near X", '"On or near X', 1)
    p.write_text(
        "\n".join(lines + [",".join(street_row("u" * 64, "2022-02", E0 + 30, N0 + 30))]) + "\n"
    )
    clear_error(DataFileError, area.clean, r"2022-02-test-street\.csv", r"quote", r"line 2")


def test_C14_row_with_extra_fields(area):
    """A row with more fields than the header is rejected as malformed in the ledger (not guessed at)."""
    p = area.street("2022-02")
    p.write_bytes(p.read_bytes() + b"x" * 64 + b",2022-02,T,T,,,Z,L1,L1,Drugs,,,EXTRA,MORE\n")
    res = area.clean()
    assert rejections(res) == {"malformed row (more fields than the header)": 1}


def test_C15_duplicate_crime_ids_across_months(area):
    """A Crime ID already in an earlier monthly file is rejected as a duplicate in the later file."""
    dup = street_row("2022-01-a".ljust(64, "0"), "2022-02", E0 + 500, N0 + 500)
    p = area.street("2022-02")
    p.write_bytes(p.read_bytes() + csv_bytes(STREET_COLUMNS, [dup]).split(b"\n", 1)[1])
    res = area.clean()
    assert rejections(res) == {"duplicate Crime ID (already in an earlier monthly file)": 1}
    assert (
        res.ledger.rejected[
            (
                "2022-02/2022-02-test-street.csv",
                "street",
                "duplicate Crime ID (already in an earlier monthly file)",
            )
        ]
        == 1
    )


def test_C16_zero_zero_coordinates(area):
    """(0,0) coordinates are not a location: blanked, and the row placed by its LSOA (ward_method lsoa-lookup)."""
    row = street_row("z" * 64, "2022-02", None, None, "L2")
    row[4], row[5] = "0", "0"
    area.write_street("2022-02", [row])
    s = area.clean().tables["street"].set_index("crime_id")
    assert pd.isna(s.loc["z" * 64, "longitude"]) and s.loc["z" * 64, "ward_method"] == "lsoa-lookup"
    assert s.loc["z" * 64, "ward_code"] == "W2"


def test_C17_missing_coordinates_lsoa_elsewhere(area):
    """No coordinates and an LSOA outside the area: rejected with that reason in the ledger."""
    area.write_street("2022-02", [street_row("m" * 64, "2022-02", None, None, "ZZ")])
    assert rejections(area.clean()) == {"missing or zeroed coordinates and LSOA not in the area": 1}


def test_C18_coordinates_outside_the_area(area):
    """A point 9 km away whose LSOA is not in the area is rejected 'outside the area'."""
    area.write_street("2022-02", [street_row("o" * 64, "2022-02", E0 + 9000, N0 + 9000, "ZZ")])
    assert rejections(area.clean()) == {"outside the area": 1}


def test_C19_latitude_longitude_swapped(area):
    """Swapped latitude/longitude (a point off Somalia) is rejected 'outside the area', never given a ward."""
    row = street_row("s" * 64, "2022-02", E0 + 500, N0 + 500, "ZZ")
    row[4], row[5] = row[5], row[4]
    area.write_street("2022-02", [row])
    assert rejections(area.clean()) == {"outside the area": 1}


def test_C20_unknown_crime_type(area):
    """An unknown crime type is rejected in the ledger and the type is named in a warning."""
    area.write_street(
        "2022-02", [street_row("j" * 64, "2022-02", E0 + 5, N0 + 5, "L1", "Jaywalking")]
    )
    res = area.clean()
    assert rejections(res) == {"unknown crime type": 1}
    assert any("Jaywalking" in w for w in res.warnings)


def test_C21_month_outside_requested_span(area):
    """A row dated after the period end (in a file of an earlier month, so it also disagrees with its file's name: that reason is given) is rejected; a whole file after the period end is skipped and listed with the reason."""
    p = area.street("2022-02")
    p.write_bytes(
        p.read_bytes()
        + csv_bytes(STREET_COLUMNS, [street_row("l" * 64, "2022-07", E0 + 1, N0 + 1)]).split(
            b"\n", 1
        )[1]
    )
    area.write_street("2022-04", [street_row("k" * 64, "2022-04", E0 + 1, N0 + 1)])
    res = area.clean("2022-03")
    assert rejections(res) == {"Month column does not match the month in the file name": 1}
    assert any(
        "2022-04-test-street.csv" in f and "after the period end" in why
        for f, why in res.skipped_files
    )


def test_C22_unparseable_month(area):
    """A Month like 'Feb-22' is rejected 'unparseable month' in the ledger."""
    area.write_street("2022-02", [street_row("p" * 64, "Feb-22", E0 + 1, N0 + 1)])
    assert rejections(area.clean()) == {"unparseable month": 1}


def test_C23_missing_month(area):
    """A month with no file is reported in months_missing and a warning; comparisons go like-for-like."""
    area.street("2022-02").unlink()
    res = area.clean()
    assert res.months_missing == ["2022-02"]
    assert any("2022-02" in w and "like-for-like" in w for w in res.warnings)


def test_C24_period_before_the_data(area):
    """A period ending before the first month of data is a PeriodError giving the months the data cover."""
    clear_error(PeriodError, lambda: area.clean("2020-03", check_future=True), r"2020", r"2022-01")


def test_C25_future_period_cleaning(area):
    """Cleaning for a period that has not finished is a PeriodError naming today's date."""
    clear_error(
        PeriodError,
        lambda: area.clean("2099-01", check_future=True),
        r"2099-01",
        r"has not finished",
    )


def test_C26_zip_with_unexpected_members(area):
    """A zip is read in place; members that are not police.uk CSVs (README, ../ names) are skipped and listed, nothing extracted."""
    z = area.raw / "police.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in sorted(area.police.rglob("*.csv")):
            zf.write(p, str(p.relative_to(area.police)))
        zf.writestr("README.txt", "unexpected member")
        zf.writestr("../../escape.txt", "path traversal name")
        zf.writestr("2022-03/2022-03-test-stop-and-search.csv", "x")
    cfg = area.config({"police_uk": z})
    before = {p for p in area.root.parent.rglob("*")}
    res = area.clean(cfg=cfg)
    assert len(res.tables["street"]) == 6
    skipped = dict(res.skipped_files)
    assert "police.zip!README.txt" in skipped and "police.zip!../../escape.txt" in skipped
    assert any("stop-and-search" in f for f in skipped)
    assert {p for p in area.root.parent.rglob("*")} - before <= {
        p for p in (area.root / "out").rglob("*")
    } | {area.root / "out"}


def test_C27_damaged_zip(area):
    """A truncated download (damaged zip) is a DataFileError naming the file: 'download it again'."""
    z = area.raw / "police.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in sorted(area.police.rglob("*.csv")):
            zf.write(p, str(p.relative_to(area.police)))
    z.write_bytes(z.read_bytes()[:300])
    clear_error(
        DataFileError, lambda: area.clean(cfg=area.config({"police_uk": z})), r"police\.zip"
    )


def test_C28_no_files_for_this_force(area):
    """Files only for another force (wrong force slug) is a DataFileError naming the slug and folder."""
    cfg = area.config(force={"name": "Test Police", "slug": "other"})
    clear_error(DataFileError, lambda: area.clean(cfg=cfg), r"'other'", r"police")


def test_C29_police_uk_folder_missing(area):
    """A police.uk path in the config that does not exist is a DataFileError naming the path."""
    cfg = area.config({"police_uk": area.raw / "nowhere"})
    clear_error(DataFileError, lambda: area.clean(cfg=cfg), r"nowhere", r"does not exist")


# =========================================================================== other tables


def _ho_rows():
    title = [
        [
            "Police recorded crime by Community Safety Partnership",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        ],
        ["Year ending March 2022", None, None, None, None, None, None, None],
        [None] * 8,
        ["Source: Home Office", None, None, None, None, None, None, None],
    ]
    header = [
        [
            "Financial Year",
            "Financial Quarter",
            "Force Name",
            "CSP Name",
            "Offence Description",
            "Offence Group",
            "Offence Code",
            "Number of Offences",
        ]
    ]
    data = [
        ["2021/22", q, "Test Police", csp, "Burglary - residential", "Theft offences", "28E", n]
        for q, csp, n in [(1, "Test", 10), (2, "Test", 12), (1, "Other", 7), (2, "Other", "..")]
    ]
    return title + header + data


def test_C30_ods_with_header_on_row_5(area):
    """A Home Office ODS with four title rows is read from its header on row 5; a '..' count is rejected in the ledger."""
    ods = area.raw / "prc.ods"
    with pd.ExcelWriter(ods, engine="odf") as xw:
        pd.DataFrame(_ho_rows()).to_excel(xw, sheet_name="2021_22", header=False, index=False)
        pd.DataFrame([["notes"]]).to_excel(xw, sheet_name="Notes", header=False, index=False)
    ((label, df),) = loading.read_home_office_csp(ods)
    assert label == "prc.ods!2021_22" and len(df) == 4 and df["source_row"].tolist() == [6, 7, 8, 9]
    res = area.clean(cfg=area.config({"home_office_csp": ods}))
    counts = res.tables["csp_counts"]
    assert counts.groupby("csp_name")["count"].sum().to_dict() == {"Other": 7, "Test": 22}
    assert rejections(res) == {"count is not a number": 1}


def test_C31_spreadsheet_without_year_sheets(area):
    """A spreadsheet with no sheet named like a financial year is a DataFileError listing its sheets."""
    ods = area.raw / "prc.ods"
    with pd.ExcelWriter(ods, engine="odf") as xw:
        pd.DataFrame(_ho_rows()).to_excel(xw, sheet_name="Data", header=False, index=False)
    clear_error(
        DataFileError, lambda: loading.read_home_office_csp(ods), r"prc\.ods", r"Data", r"2021_22"
    )


def test_C32_home_office_table_without_header(area):
    """A CSV that is not a Home Office CSP table (no 'CSP Name' header) is a DataFileError naming the file."""
    p = area.raw / "prc.csv"
    p.write_text("a,b,c\n1,2,3\n")
    clear_error(DataFileError, lambda: loading.read_home_office_csp(p), r"prc\.csv", r"CSP Name")


def test_C33_population_zero_or_missing(area):
    """CSP population of 0 or blank is rejected in the ledger; a ward with population 0 gets no rate and a warning."""
    pop = area.raw / "csp_pop.csv"
    pop.write_text("csp_name,year,population\nTest,2021,100000\nOther,2021,0\nThird,2021,\n")
    (area.raw / "ward_pop.csv").write_text("ward_code,population\nW1,0\nW2,2000\n")
    res = area.clean(cfg=area.config({"csp_population": pop}))
    assert rejections(res) == {"population of zero or less": 1, "missing population": 1}
    assert res.tables["csp_population"]["csp_name"].tolist() == ["Test"]
    wards = pd.read_parquet(area.root / "out" / "wards.parquet").set_index("ward_code")
    assert pd.isna(wards.loc["W1", "population"]) and wards.loc["W2", "population"] == 2000
    assert any("no usable population" in w for w in res.warnings)


def test_C34_force_extract_missing_column(area):
    """A force extract lacking a mapped required column is a DataFileError naming our name, its expected name and its columns."""
    fx = area.raw / "extract.csv"
    fx.write_text("Ref,When\nA1,2022-01-05\n")
    cfg = area.config(
        {
            "force_extract": {
                "path": str(fx),
                "columns": {"offence_id": "Ref", "date": "When", "ho_code": "HO Code"},
            }
        }
    )
    clear_error(
        DataFileError,
        lambda: area.clean(cfg=cfg),
        r"extract\.csv",
        r"ho_code",
        r"'HO Code'",
        r"Ref, When",
    )


def test_C35_force_extract_bad_dates_and_duplicate_refs(area):
    """Extract rows with unparseable dates or a repeated reference are rejected with those reasons."""
    fx = area.raw / "extract.csv"
    fx.write_text(
        "Ref,When,HO Code,E,N\n"
        f"A1,2022-01-05,28E,{E0 + 5},{N0 + 5}\nA2,31/02/2022,28E,{E0 + 5},{N0 + 5}\n"
        f"A1,2022-01-06,28E,{E0 + 5},{N0 + 5}\nA3,05/02/2022,28E,{E0 + 5},{N0 + 5}\n"
    )
    cols = {
        "offence_id": "Ref",
        "date": "When",
        "ho_code": "HO Code",
        "easting": "E",
        "northing": "N",
    }
    res = area.clean(cfg=area.config({"force_extract": {"path": str(fx), "columns": cols}}))
    assert rejections(res) == {"unparseable date": 1, "duplicate offence reference": 1}
    assert sorted(res.tables["extract"]["offence_id"]) == ["A1", "A3"]


# =========================================================================== geography


def test_C36_invalid_ward_polygon(area):
    """A self-intersecting (bow-tie) ward polygon is repaired with make_valid and the repair counted in the ledger."""
    bow = [[[E0, N0], [E0 + 1000, N0 + 1000], [E0 + 1000, N0], [E0, N0 + 1000], [E0, N0]]]
    (area.raw / "wards.geojson").write_text(
        geojson([feature("W1", "West", bow), feature("W2", "East", square(E0 + 1000, N0))])
    )
    res = area.clean()
    assert repairs(res) == {"invalid polygons repaired with make_valid": 1}
    assert any("invalid ward polygon" in w and "West" in w for w in res.warnings)


def test_C37_overlapping_ward_polygons(area):
    """Overlapping wards are reported; a point in the overlap goes to the first ward by code, counted in the ledger."""
    (area.raw / "wards.geojson").write_text(
        geojson(
            [
                feature("W1", "West", square(E0, N0, 1200)),
                feature("W2", "East", square(E0 + 1000, N0)),
            ]
        )
    )
    area.write_street("2022-02", [street_row("v" * 64, "2022-02", E0 + 1100, N0 + 500, "L1")])
    res = area.clean()
    assert repairs(res) == {
        "overlapping ward pairs": 1,
        "point in overlapping wards: first ward by code": 1,
    }
    s = res.tables["street"].set_index("crime_id")
    assert s.loc["v" * 64, "ward_code"] == "W1"
    assert any("overlap" in w and "W1 / W2" in w for w in res.warnings)


def test_C38_crs_mismatch_metres_declared_as_degrees(area):
    """A GeoJSON in BNG metres with no CRS (so WGS84 by the standard) is a GeographyError saying the coordinates look like metres."""
    (area.raw / "wards.geojson").write_text(
        geojson(
            [feature("W1", "West", square(E0, N0)), feature("W2", "East", square(E0 + 1000, N0))],
            crs=None,
        )
    )
    clear_error(
        GeographyError,
        area.clean,
        r"wards\.geojson",
        r"(?i)metres|British National Grid",
        r"450000",
    )


def test_C39_crs_mismatch_degrees_declared_as_metres(area):
    """Longitude/latitude degrees labelled EPSG:27700 is a GeographyError saying the coordinates look like degrees."""
    lon, lat = (float(v) for v in ll(E0, N0))
    deg = [[[lon, lat], [lon + 0.01, lat], [lon + 0.01, lat + 0.01], [lon, lat + 0.01], [lon, lat]]]
    (area.raw / "wards.geojson").write_text(geojson([feature("W1", "West", deg)]))
    clear_error(GeographyError, area.clean, r"wards\.geojson", r"(?i)degrees", r"EPSG:27700")


def test_C40_ward_file_missing_code_column(area):
    """A boundary file without the configured ward code column is a GeographyError listing the columns it has."""
    gj = json.loads((area.raw / "wards.geojson").read_text())
    for f in gj["features"]:
        f["properties"] = {
            "WD22CD": f["properties"]["ward_code"],
            "ward_name": f["properties"]["ward_name"],
        }
    (area.raw / "wards.geojson").write_text(json.dumps(gj))
    clear_error(GeographyError, area.clean, r"wards\.geojson", r"'ward_code'", r"WD22CD")


def test_C41_duplicate_ward_codes(area):
    """Two polygons with the same ward code is a GeographyError naming the code."""
    (area.raw / "wards.geojson").write_text(
        geojson(
            [feature("W1", "West", square(E0, N0)), feature("W1", "East", square(E0 + 1000, N0))]
        )
    )
    clear_error(GeographyError, area.clean, r"W1", r"more than once")


def test_C42_lookup_without_ward_columns(area):
    """An LSOA lookup without WDxxCD/WDxxNM columns is a GeographyError naming the file."""
    (area.raw / "lookup.csv").write_text("LSOA11CD,LAD19CD\nL1,E1\n")
    clear_error(GeographyError, area.clean, r"lookup\.csv", r"WD")


def test_C43_empty_ward_file(area):
    """A boundary file with no features is a GeographyError naming the file."""
    (area.raw / "wards.geojson").write_text(geojson([]))
    clear_error(GeographyError, area.clean, r"wards\.geojson")


# =========================================================================== config and parameters


def test_C44_unknown_area_name():
    """An unknown area name is a ConfigError suggesting the nearest config ('wexly' -> 'wexley')."""
    clear_error(
        ConfigError, lambda: load_area_config("wexly"), r"'wexly'", r"Did you mean 'wexley'"
    )


def test_C45_malformed_yaml(tmp_path):
    """A config that is not valid YAML is a ConfigError naming the file."""
    p = tmp_path / "bad.yaml"
    p.write_text("area: bad\nname: [unclosed\n")
    clear_error(ConfigError, lambda: load_area_config(str(p)), r"bad\.yaml", r"not valid YAML")


def test_C46_config_missing_required_key(tmp_path):
    """A config without 'force' is a ConfigError naming the missing key."""
    p = tmp_path / "a.yaml"
    p.write_text("area: a\nname: A\ncsp_name: A\nsources: {}\n")
    clear_error(ConfigError, lambda: load_area_config(str(p)), r"a\.yaml", r"force")


NB02 = REPO / "notebooks" / "02_crime_group_variance.ipynb"
NB04 = REPO / "notebooks" / "04_ward_hotspots.ipynb"


@pytest.mark.parametrize(
    ("params", "patterns"),
    [
        pytest.param(
            {"perod": "2022-03"}, [r"'perod'", r"did you mean 'period'"], id="misspelt-name"
        ),
        pytest.param(
            {"colour": "red"},
            [r"'colour'", r"parameters are: area, config, period"],
            id="unknown-name",
        ),
        pytest.param(
            {"alpha": "lots"}, [r"'alpha'", r"'lots'", r"not a finite number"], id="wrong-type"
        ),
        pytest.param(
            {"alpha": 1.5}, [r"'alpha'", r"1\.5", r"between 0 and 1"], id="alpha-out-of-range"
        ),
        pytest.param({"min_count": 0}, [r"'min_count'", r"positive"], id="int-not-positive"),
        pytest.param(
            {"comparison_months": "12.5"},
            [r"'comparison_months'", r"whole number"],
            id="int-not-whole",
        ),
        pytest.param(
            {"test_method": "exakt"},
            [r"'test_method'", r"did you mean 'exact'", r"exact, z"],
            id="bad-choice",
        ),
        pytest.param(
            {"area": "wexly"}, [r"'area'", r"Did you mean 'wexley'"], id="area-without-config"
        ),
        pytest.param(
            {"area": ".."}, [r"'area'", r"cannot be used in a file path"], id="area-path-traversal"
        ),
        pytest.param(
            {"area": "../../etc/x"}, [r"'area'", r"does not exist"], id="area-path-missing"
        ),
        pytest.param({"period": "2022-13"}, [r"'period'", r"YYYY-MM"], id="period-not-a-month"),
        pytest.param(
            {"baseline": "pre-covid"}, [r"'baseline'", r"pre-COVID"], id="baseline-not-in-config"
        ),
    ],
)
def test_C47_bad_parameter(params, patterns):
    """A bad notebook parameter is refused with a ParameterError naming it, before any notebook runs."""
    clear_error(ParameterError, lambda: validate_parameters(NB02, params, today=TODAY), *patterns)


def test_C48_period_in_the_future_parameter():
    """A period that has not finished (this month or later) is a ParameterError naming today's date."""
    clear_error(
        ParameterError,
        lambda: validate_parameters(NB02, {"period": "2024-06"}, today=TODAY),
        r"'2024-06'",
        r"2024-06-15",
        r"completed month",
    )


def test_C49_parameters_coerced_from_command_line_text():
    """Text typed at the command line is coerced to the declared types (ranges from '(2 to 9)' and '(-1 to 1000)')."""
    out = validate_parameters(
        NB04,
        {
            "k": "7",
            "fdr_alpha": "0.1",
            "density": "no",
            "disclosure_threshold": "-1",
            "period": "2022-03",
        },
        today=TODAY,
    )
    assert out == {
        "k": 7,
        "fdr_alpha": 0.1,
        "density": False,
        "disclosure_threshold": -1,
        "period": "2022-03",
    }
    clear_error(
        ParameterError, lambda: validate_parameters(NB04, {"k": 12}, today=TODAY), r"'k'", r"2 to 9"
    )


# =========================================================================== outputs and execution


def test_C50_disk_full_keeps_previous_output(area, monkeypatch):
    """A full disk while writing is an OutputError; the previous outputs are intact and no temp file is left."""
    area.clean()
    out = area.root / "out"
    before = tree_hashes(out)

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(hio.os, "replace", full)
    area.write_street("2022-03", [street_row("n" * 64, "2022-03", E0 + 7, N0 + 7)])
    clear_error(OutputError, area.clean, r"street\.parquet", r"No space left", r"(?i)disk is full")
    assert tree_hashes(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_C51_read_only_output_folder(area, monkeypatch):
    """A read-only output folder is an OutputError naming the folder; nothing is half-written."""
    area.clean()
    out = area.root / "out"
    before = tree_hashes(out)
    real_mkstemp = hio.tempfile.mkstemp

    def readonly(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(hio.tempfile, "mkstemp", readonly)
    clear_error(OutputError, area.clean, str(out).replace("\\", "\\\\"), r"Read-only")
    monkeypatch.setattr(hio.tempfile, "mkstemp", real_mkstemp)
    assert tree_hashes(out) == before


def test_C52_crash_mid_write_leaves_no_half_file(tmp_path, monkeypatch):
    """A crash while a file is being written (after some bytes) leaves the previous file intact and no temp file."""
    target = tmp_path / "t.parquet"
    hio.write_parquet(pd.DataFrame({"a": [1, 2]}), target)
    good = target.read_bytes()

    def dying_write(table, where, **k):
        Path(where).write_bytes(b"PAR1 half")
        raise KeyboardInterrupt  # the process is being killed mid-write

    monkeypatch.setattr(hio.pq, "write_table", dying_write)
    with pytest.raises(KeyboardInterrupt):
        hio.write_parquet(pd.DataFrame({"a": [3]}), target)
    assert target.read_bytes() == good and [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


def test_C53_kernel_dies_mid_notebook(tmp_path):
    """A kernel that dies mid-notebook is reported as a clear failure and the partly executed notebook is kept.

    helpers.run.batch has no single-notebook runner yet, so papermill is called directly, as the batch
    runner does; the runner reports ``str(exc)`` and keeps ``target``.
    """
    import nbformat
    import papermill as pm

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print('before the crash')"),
        nbformat.v4.new_code_cell("import os\nos._exit(1)"),
        nbformat.v4.new_code_cell("print('never reached')"),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    src, target = tmp_path / "die.ipynb", tmp_path / "out" / "die.ipynb"
    target.parent.mkdir()
    nbformat.write(nb, src)
    with pytest.raises(Exception) as info:
        pm.execute_notebook(
            str(src),
            str(target),
            parameters={"x": 2},
            kernel_name="python3",
            progress_bar=False,
            cwd=str(tmp_path),
            execution_timeout=60,
        )
    message = str(info.value)
    assert type(info.value).__name__ == "DeadKernelError", message
    assert re.search(r"(?i)kernel died|dead|died", message), message
    kept = nbformat.read(target, as_version=4)
    outputs = [c.get("outputs") for c in kept.cells if c.cell_type == "code"]
    assert any("before the crash" in o.get("text", "") for out in outputs for o in out)


# =========================================================================== determinism and safety


def test_C54_two_runs_byte_identical(area):
    """Two cleaning runs on the same inputs give byte-identical Parquet, ledger and wards (the manifest holds the timestamp)."""
    area.clean(out="r1")
    area.clean(out="r2")
    h1, h2 = tree_hashes(area.root / "r1"), tree_hashes(area.root / "r2")
    m1, m2 = (json.loads((area.root / r / "manifest.json").read_text()) for r in ("r1", "r2"))
    h1.pop("manifest.json"), h2.pop("manifest.json")
    assert h1 == h2 and {"street.parquet", "ledger.parquet", "wards.parquet", "ledger.csv"} <= set(
        h1
    )
    m1.pop("created"), m2.pop("created")
    assert m1 == m2, "the run timestamp is the only field of the manifest that may differ"


@pytest.mark.parametrize("bad", ["../../etc", "a/b", ".hidden", "..", "x\\..\\y", "", "con fig"])
def test_C55_unsafe_names_in_paths(bad):
    """Area or period names that would leave data/ or reports/ are refused with an OutputError."""
    clear_error(
        OutputError, lambda: paths.processed_dir(bad, "2022-03"), r"cannot be used in a file path"
    )
    clear_error(
        OutputError, lambda: paths.report_dir("wexley", bad), r"cannot be used in a file path"
    )


def test_C56_unsafe_names_in_config(area):
    """A config whose area or force slug would walk out of data/ is an OutputError naming the value."""
    clear_error(OutputError, lambda: area.config(area="../../etc"), r"'\.\./\.\./etc'")
    clear_error(
        OutputError, lambda: area.config(force={"name": "T", "slug": "../x"}), r"force slug"
    )


def test_C57_every_default_of_every_stage_notebook_validates():
    """The defaults of every stage notebook pass validate_parameters (the declared conventions are consistent)."""
    nbs = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert nbs
    from helpers.run.parameters import notebook_parameters

    for nb in nbs:
        specs = notebook_parameters(nb)
        assert "area" in specs and "period" in specs, nb.name
        validate_parameters(nb, {k: s.default for k, s in specs.items()}, today=TODAY)


def test_C58_user_errors_are_scrutiny_errors_with_a_fix():
    """Every exception class a user can meet is a ScrutinyError whose message carries 'What to do'."""
    for cls in (
        ConfigError,
        DataFileError,
        GeographyError,
        OutputError,
        ParameterError,
        PeriodError,
    ):
        exc = cls("something named 'x' is wrong", "do this")
        assert isinstance(exc, ScrutinyError) and "What to do: do this" in str(exc)


# =========================================================================== added after the first run


_BASE = "area: a\nname: A\ncsp_name: A\nforce: {name: F, slug: f}\n"


@pytest.mark.parametrize(
    ("text", "patterns"),
    [
        pytest.param(
            _BASE + "sources: [a, b]\n",
            [r"'sources' is \[.*must be a set", r"list"],
            id="sources-not-a-mapping",
        ),
        pytest.param(
            _BASE + "sources: {}\nanalysis: [1]\n",
            [r"'analysis' is \[1\].*must be a set"],
            id="analysis-not-a-mapping",
        ),
        pytest.param(
            _BASE + "sources: {}\nanalysis: {disclosure_threshold: five}\n",
            [r"disclosure_threshold", r"'five'"],
            id="threshold-not-a-number",
        ),
        pytest.param(
            _BASE + "sources: {}\nanalysis: {baselines: {old: 2019-13}}\n",
            [r"analysis\.baselines\.old", r"2019-13", r"YYYY-MM"],
            id="baseline-not-a-month",
        ),
        pytest.param(
            _BASE + "sources: {force_extract: {path: x.csv, columns: nonsense}}\n",
            [r"force_extract\.columns", r"'nonsense'"],
            id="extract-columns-not-a-mapping",
        ),
        pytest.param(
            (_BASE + "sources: {}\n").replace("name: A", "name: Caf\u00e9").encode("cp1252"),
            [r"a\.yaml", r"not UTF-8"],
            id="config-not-utf8",
        ),
    ],
)
def test_C59_config_values_of_the_wrong_shape(tmp_path, text, patterns):
    """A config value of the wrong shape (list for mapping, text for a number, bad month, not UTF-8) is a ConfigError naming it."""
    p = tmp_path / "a.yaml"
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    clear_error(ConfigError, lambda: load_area_config(str(p)), *patterns)


@pytest.mark.parametrize(
    ("features", "raw_text", "patterns"),
    [
        pytest.param(
            [feature("W1", "West", None), feature("W2", "East", square(E0 + 1000, N0))],
            None,
            [r"wards\.geojson", r"no boundary shape", r"W1"],
            id="ward-without-geometry",
        ),
        pytest.param(
            [
                feature("W1", "West", [E0, N0], "Point"),
                feature("W2", "East", [E0 + 1000, N0], "Point"),
            ],
            None,
            [r"wards\.geojson", r"Point", r"not ward polygons"],
            id="points-not-polygons",
        ),
        pytest.param(
            None,
            "this is not GeoJSON",
            [r"wards\.geojson", r"Cannot read"],
            id="not-a-boundary-file",
        ),
    ],
)
def test_C60_unusable_ward_boundaries(area, features, raw_text, patterns):
    """Boundaries with a ward lacking a shape, points instead of polygons, or an unreadable file: a GeographyError naming the file."""
    (area.raw / "wards.geojson").write_text(raw_text if raw_text is not None else geojson(features))
    clear_error(GeographyError, area.clean, *patterns)


def test_C61_utf16_file(area):
    """A UTF-16 file (Excel's 'Unicode text') is decoded and the decoding counted as a repair in the ledger."""
    p = area.street("2022-02")
    p.write_bytes(b"\xff\xfe" + p.read_text().encode("utf-16-le"))
    res = area.clean()
    assert len(res.tables["street"]) == 6
    assert repairs(res) == {"decoded as UTF-16 (file was not UTF-8)": 2}


@pytest.mark.parametrize(
    ("name", "data", "patterns"),
    [
        pytest.param(
            "prc.xlsx", b"PK\x03\x04 damaged", [r"prc\.xlsx", r"Cannot open"], id="damaged-xlsx"
        ),
        pytest.param(
            "prc.txt", b"x", [r"prc\.txt", r"unsupported file type"], id="unsupported-type"
        ),
        pytest.param("prc.csv", b"", [r"prc\.csv is empty"], id="empty-csv"),
    ],
)
def test_C62_unreadable_home_office_table(area, name, data, patterns):
    """A damaged, empty or unsupported Home Office table is a DataFileError naming the file."""
    p = area.raw / name
    p.write_bytes(data)
    clear_error(
        DataFileError, lambda: area.clean(cfg=area.config({"home_office_csp": p})), *patterns
    )


def test_C63_population_file_with_wrong_columns(area):
    """A ward population file without ward_code/population columns is a DataFileError listing the columns it has."""
    (area.raw / "ward_pop.csv").write_text("ward,pop\nW1,3\n")
    clear_error(DataFileError, area.clean, r"ward_pop\.csv", r"ward_code, population", r"ward, pop")


def test_C64_no_published_ward_count_below_the_threshold():
    """Disclosure control: after hotspots.suppress no published count is below the threshold, and one hidden cell never stands alone."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from helpers.stages.hotspots import suppress

    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.integers(0, 40), min_size=2, max_size=12), st.integers(1, 10))
    def check(counts, threshold):
        df = pd.DataFrame({"ward": [f"W{i}" for i in range(len(counts))], "n": counts})
        out = suppress(df, ["n"], threshold)
        shown = pd.to_numeric(out.data["n"], errors="coerce").dropna()
        assert (shown >= threshold).all()
        hidden = int(out.mask["n"].sum())
        assert hidden == 0 or hidden >= 2 or hidden == len(counts)

    check()


def test_C65_home_office_csv_with_title_lines(area):
    """A Home Office CSV with short title lines above the header is read from the header row (no 'expected 1 field' error)."""
    p = area.raw / "prc.csv"
    lines = ["Police recorded crime by CSP", "Year ending March 2022", ""]
    lines += [",".join("" if v is None else str(v) for v in r) for r in _ho_rows()[4:]]
    p.write_text("\n".join(lines) + "\n")
    res = area.clean(cfg=area.config({"home_office_csp": p}))
    assert res.tables["csp_counts"].groupby("csp_name")["count"].sum().to_dict() == {
        "Other": 7,
        "Test": 22,
    }
    assert rejections(res) == {"count is not a number": 1}
