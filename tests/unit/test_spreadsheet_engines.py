"""The fast spreadsheet engine (calamine) reads every cell as the older engines did.

The Home Office CSP workbook used to be read with openpyxl; calamine reads it in a
tenth of the time. These tests read the same file through both engines with ``read_sheets`` and
compare every cell, Python type included (pandas turns integral numbers into int, blanks and
its missing-value texts into NaN, dates into datetime): the sample's own workbook, and workbooks
that hypothesis builds with openpyxl (numbers, text with spaces, blanks, booleans, dates, merged
title rows, formulas with cached values, extra sheets). The expected values come from openpyxl,
never from calamine.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.core.errors import DataFileError
from helpers.ingest import loading

pytest.importorskip("python_calamine")


def _cells(df: pd.DataFrame) -> list[list[tuple[type, object]]]:
    """Every cell as (type, value), NaN as a marker so that NaN equals NaN."""
    out = []
    for row in df.itertuples(index=False):
        out.append(
            [
                (float, "NaN") if isinstance(v, float) and math.isnan(v) else (type(v), v)
                for v in row
            ]
        )
    return out


def assert_same_cells(path, wanted=lambda n: True) -> dict:
    """The default read (calamine unless the file holds text it would trim) and, where calamine
    is safe, calamine forced, both give openpyxl's cells."""
    slow, slow_names = loading.read_sheets(path, wanted, engine="openpyxl")
    engines = [None] if loading._has_unpreserved_text(path) else [None, "calamine"]
    for engine in engines:
        fast, fast_names = loading.read_sheets(path, wanted, engine=engine)
        assert fast_names == slow_names
        assert list(fast) == list(slow)
        for name in slow:
            assert fast[name].shape == slow[name].shape, name
            assert _cells(fast[name]) == _cells(slow[name]), name
    return slow


def test_sample_workbook_reads_the_same_through_both_engines(sample_dir):
    path = sample_dir / "prc-csp-synthetic.xlsx"
    slow = assert_same_cells(path)
    assert len(slow) == 5 and all(len(s) > 4000 for s in slow.values())
    # and the tidy tables the cleaning stage reads are the same too
    (label, first), *_ = loading.read_home_office_csp(path)
    assert label == "prc-csp-synthetic.xlsx!2018_19"
    assert first["source_row"].iloc[0] == 6


# --------------------------------------------------------------------------- generated workbooks

_text = st.text(alphabet=st.sampled_from(list("abcXYZ019 -'/&()é£\t")), max_size=12)
_cell = st.one_of(
    st.none(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda f: round(f, 6)),
    _text,
    st.sampled_from(["NA", "n/a", "..", "", " ", "0", "01", "1e3"]),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2030, 12, 31)).map(
        lambda d: d.replace(microsecond=0)
    ),
)
_grid = st.lists(st.lists(_cell, min_size=1, max_size=6), min_size=1, max_size=12)


@st.composite
def workbooks(draw):
    """(sheets: {name: rows}, merged title?, formula cells with cached numbers)."""
    names = draw(
        st.lists(
            st.sampled_from(["2019_20", "2020_21", "2021_22", "Notes", "Contents", "Data 2"]),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    sheets = {n: draw(_grid) for n in names}
    title = draw(st.booleans())
    formulas = draw(st.lists(st.integers(min_value=-5000, max_value=5000), max_size=4))
    return sheets, title, formulas


def _write_xlsx(path, sheets, title, formulas) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for i, (name, rows) in enumerate(sheets.items()):
        ws = wb.create_sheet(name)
        start = 1
        if title:  # a title merged across the table, as the Home Office publishes
            ws.cell(1, 1, f"Police recorded crime  {name} ")
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=4)
            start = 3
        for r, row in enumerate(rows, start=start):
            for c, v in enumerate(row, start=1):
                if v is not None:
                    ws.cell(r, c, v)
        if i == 0:  # formulas below the table; their cached values are filled in below
            for k, _ in enumerate(formulas):
                ws.cell(start + len(rows) + k, 2, f"=ROW()*{k + 1}")
    wb.save(path)
    if not formulas:
        return
    # openpyxl writes formulas without a cached value (<v />); Excel stores one. Put the chosen
    # numbers in, so both engines read a cached value as they would from Excel's own files.
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    values = iter(formulas)
    parts[sheet] = re.sub(
        rb"(<f>[^<]*</f>)<v\s*/>",
        lambda m: m.group(1) + b"<v>" + str(next(values)).encode() + b"</v>",
        parts[sheet],
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(book=workbooks())
def test_generated_xlsx_reads_the_same_through_both_engines(book, tmp_path):
    sheets, title, formulas = book
    path = tmp_path / "prc.xlsx"
    _write_xlsx(path, sheets, title, formulas)
    slow = assert_same_cells(path)
    if formulas:  # the cached values are what both engines read
        first = slow[next(iter(sheets))]
        assert [int(v) for v in first[1].tolist()[-len(formulas) :]] == formulas
    # only the wanted sheets are parsed, by both engines
    fy = assert_same_cells(path, lambda n: bool(loading.SHEET_FY.match(n)))
    assert set(fy) == {n for n in sheets if loading.SHEET_FY.match(n)}


def test_a_cell_of_spaces_stays_as_openpyxl_reads_it(tmp_path):
    """openpyxl writes a cell of spaces without xml:space="preserve", which calamine would read
    as blank (and a row of them would vanish): such a workbook is read with openpyxl."""
    path = tmp_path / "prc.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "2021_22"
    wb.active.append([" ", "a", " b "])
    wb.active.append(["x", "\t", 3])
    wb.save(path)
    assert loading._has_unpreserved_text(path)
    sheets, _ = loading.read_sheets(path, lambda n: True)
    assert sheets["2021_22"].values.tolist() == [[" ", "a", " b "], ["x", "\t", 3]]


# --------------------------------------------------------------------------- errors and fallback


@pytest.mark.parametrize("engine", ["calamine", "openpyxl", None])
def test_damaged_workbook_names_the_file(tmp_path, engine):
    path = tmp_path / "prc.xlsx"
    path.write_bytes(b"PK\x03\x04 damaged")
    with pytest.raises(DataFileError, match=r"Cannot open prc\.xlsx as a spreadsheet") as e:
        loading.read_sheets(path, lambda n: True, engine=engine)
    assert "Re-download or re-save it" in str(e.value)


def test_workbook_without_year_sheets_lists_its_sheets(tmp_path):
    path = tmp_path / "prc.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Contents"
    wb.create_sheet("Data")
    wb.save(path)
    with pytest.raises(DataFileError, match=r"prc\.xlsx has no sheet .* Contents, Data"):
        loading.financial_year_sheets(path)


def test_openpyxl_is_the_fallback_when_calamine_is_absent(tmp_path, monkeypatch):
    path = tmp_path / "prc.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "2021_22"
    wb.active["A1"] = 5
    wb.save(path)
    monkeypatch.setattr(loading, "_engine_available", lambda e: e != "calamine")
    used = []
    real = pd.ExcelFile

    def spy(p, engine=None, **kw):
        used.append(engine)
        return real(p, engine=engine, **kw)

    monkeypatch.setattr(loading.pd, "ExcelFile", spy)
    sheets, _ = loading.read_sheets(path, lambda n: True)
    assert used == ["openpyxl"] and sheets["2021_22"].iat[0, 0] == 5


# --------------------------------------------------------------------------- row numbers


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_source_rows_are_the_sheets_own_rows_after_a_blank_row(tmp_path, kind):
    """A title above the header and a blank row inside the table: each row's ``source_row`` is
    the row a user finds it on in the spreadsheet (or the line in the CSV), counted here from the
    rows as written, not from the reader."""
    rows = [
        ["Police recorded crime by CSP"],
        [],
        ["Financial Year", "Financial Quarter", "CSP Name", "Offence Code", "Number of Offences"],
        ["2021/22", 1, "Wexley", "8N", 5],
        [],
        ["2021/22", 1, "Wexley", "105A", 7],
        ["2021/22", 2, "Wexley", "8N", 9],
    ]
    # 1-based row of each data row as written, keyed by (code, count)
    written = {(r[3], r[4]): i + 1 for i, r in enumerate(rows) if len(r) == 5 and i > 2}
    if kind == "xlsx":
        path = tmp_path / "prc.xlsx"
        wb = openpyxl.Workbook()
        wb.active.title = "2021_22"
        for r in rows:
            wb.active.append(r)
        wb.save(path)
    else:
        path = tmp_path / "prc.csv"
        path.write_text("\n".join(",".join(map(str, r)) for r in rows) + "\n", encoding="utf-8")
    ((_, df),) = loading.read_home_office_csp(path)
    got = {
        (str(c), int(n)): int(s)
        for c, n, s in zip(df["offence_code"], df["count"], df["source_row"], strict=True)
    }
    assert got == written == {("8N", 5): 4, ("105A", 7): 6, ("8N", 9): 7}
