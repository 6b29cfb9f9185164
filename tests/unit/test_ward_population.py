"""Ward population read as published: an ONS-style workbook with titles, a merged header and notes."""

from __future__ import annotations

import openpyxl
import pytest

from helpers.core.errors import DataFileError
from helpers.ingest.loading import read_ward_population

WARDS = [
    ("E05001067", "Birtley", 8028),
    ("E05001068", "Blaydon", 9970),
    ("E05011461", "Wingrove", 13417),
]


def workbook(path, notes=True):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Mid-2020 Persons"
    cover = wb.create_sheet("Contents", 0)
    cover["A1"] = "Ward-level population estimates"
    ws["A1"] = "Mid-2020: Ward population estimates, persons"
    ws["A2"] = "Source: Office for National Statistics"
    # a two-line header: "Ward" merged over code and name, "Population" merged over two columns
    ws["A4"] = "Ward"
    ws.merge_cells("A4:B4")
    ws["C4"] = "Local authority"
    ws["D4"] = "Population"
    ws.merge_cells("D4:E4")
    for col, text in zip(
        "ABCDE", ["Ward Code 1", "Ward Name 1", "LA name", "All Ages", "0-15"], strict=True
    ):
        ws[f"{col}5"] = text
    for i, (code, name, pop) in enumerate(WARDS, start=6):
        ws.append([])  # keep openpyxl's row counter moving
        for col, v in zip("ABCDE", [code, name, "Gateshead", pop, pop // 5], strict=True):
            ws[f"{col}{i}"] = v
    if notes:
        ws["A10"] = "Notes:"
        ws["A11"] = "1. Figures may not sum because of rounding."
    wb.save(path)
    return path


def test_finds_the_header_the_code_and_total_columns_and_stops_at_the_notes(tmp_path):
    wp = read_ward_population(workbook(tmp_path / "pop.xlsx"), sheet="Mid-2020 Persons", year=2020)
    assert wp.header_row == 5
    assert wp.ward_code_column == "Ward Ward Code 1"
    assert wp.population_column == "Population All Ages"  # not the 0-15 column beside it
    assert wp.frame["ward_code"].tolist() == [w[0] for w in WARDS]
    assert wp.frame["population"].astype(int).tolist() == [w[2] for w in WARDS]
    assert wp.frame["source_row"].tolist() == [6, 7, 8]
    assert wp.rows_below == 2 and wp.year == 2020
    assert wp.label == "pop.xlsx!Mid-2020 Persons"


def test_named_columns_and_sheet_by_number(tmp_path):
    wp = read_ward_population(
        workbook(tmp_path / "pop.xlsx", notes=False),
        sheet=1,
        ward_code="ward code 1",
        population="0-15",
    )
    assert wp.frame["population"].astype(int).tolist() == [w[2] // 5 for w in WARDS]
    assert wp.rows_below == 0


def test_a_plain_sheet_like_the_real_northumbria_file(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["gss_code", "ward", "population"])
    for w in WARDS:
        ws.append(list(w))
    wb.save(tmp_path / "plain.xlsx")
    wp = read_ward_population(tmp_path / "plain.xlsx")
    assert (wp.ward_code_column, wp.population_column, wp.header_row) == (
        "gss_code",
        "population",
        1,
    )
    assert len(wp.frame) == 3


def test_clear_errors(tmp_path):
    path = workbook(tmp_path / "pop.xlsx")
    with pytest.raises(DataFileError, match="no sheet 'Wards'.*Contents, Mid-2020 Persons"):
        read_ward_population(path, sheet="Wards")
    with pytest.raises(DataFileError, match="no header row above rows of ward codes"):
        read_ward_population(path, sheet="Contents")
    with pytest.raises(DataFileError, match="no column headed 'Total'.*All Ages"):
        read_ward_population(path, sheet="Mid-2020 Persons", population="Total")
    with pytest.raises(DataFileError, match="does not exist"):
        read_ward_population(tmp_path / "missing.xlsx")
