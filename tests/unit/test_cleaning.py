"""Cleaning on a hand-built police.uk tree: every row accounted for, wards assigned, nothing changed."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from policeuk_support import E0, N0, street_row

from helpers.core.config import load_area_config
from helpers.core.errors import DataFileError, PeriodError
from helpers.ingest.cleaning import run_cleaning
from helpers.ingest.loading import STREET_COLUMNS


def write_csv(path: Path, header, rows, encoding="utf-8", newline="\n", bom=False):
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline)
    w.writerow(header)
    w.writerows(rows)
    data = buf.getvalue().encode(encoding)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


@pytest.fixture
def area(tmp_path):
    raw = tmp_path / "raw"
    wards = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
        "features": [
            {
                "type": "Feature",
                "properties": {"ward_code": "W1", "ward_name": "West"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [E0, N0],
                            [E0 + 1000, N0],
                            [E0 + 1000, N0 + 1000],
                            [E0, N0 + 1000],
                            [E0, N0],
                        ]
                    ],
                },
            },
            {
                "type": "Feature",
                "properties": {"ward_code": "W2", "ward_name": "East"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [E0 + 1000, N0],
                            [E0 + 2000, N0],
                            [E0 + 2000, N0 + 1000],
                            [E0 + 1000, N0 + 1000],
                            [E0 + 1000, N0],
                        ]
                    ],
                },
            },
        ],
    }
    (raw / "police").mkdir(parents=True)
    (raw / "wards.geojson").write_text(json.dumps(wards))
    (raw / "lookup.csv").write_text(
        "LSOA11CD,LSOA11NM,WD19CD,WD19NM\nL1,A 001,W1,West\nL2,A 002,W2,East\n"
    )
    (raw / "ward_pop.csv").write_text("ward_code,population\nW1,1000\nW2,2000\n")
    jan = [
        street_row("a" * 64, "2022-01", E0 + 500, N0 + 500, "L1"),  # W1 by point
        street_row("b" * 64, "2022-01", E0 + 1500, N0 + 500, "L1"),  # W2 by point (lookup says W1)
        street_row(
            "", "2022-01", E0 + 100, N0 + 100, "L1", "Anti-social behaviour"
        ),  # ASB, no ID: kept
        street_row("c" * 64, "2022-01", None, None, "L2"),  # no point: W2 by lookup
        street_row("d" * 64, "2022-01", None, None, "ZZ"),  # no point, LSOA elsewhere
        street_row("e" * 64, "2022-01", E0 + 9000, N0 + 9000, "ZZ"),  # outside the area
        street_row("f" * 64, "2022-01", E0 + 500, N0 + 500, "L1", "Jaywalking"),  # unknown type
    ]
    jan[3][4], jan[3][5] = "0", "0"  # (0,0) coordinates
    feb = [
        street_row("a" * 64, "2022-02", E0 + 500, N0 + 500, "L1"),  # duplicate of January's
        street_row("g" * 64, "2022-02", E0 + 600, N0 + 600, "L1", "Violence and sexual offences"),
    ]
    write_csv(raw / "police/2022-01/2022-01-test-street.csv", STREET_COLUMNS, jan)
    write_csv(
        raw / "police/2022-02/2022-02-test-street.csv",
        STREET_COLUMNS,
        feb,
        newline="\r\n",
        bom=True,
    )
    write_csv(raw / "police/2022-03/2022-03-other-street.csv", STREET_COLUMNS, [])  # another force
    cfg = tmp_path / "test.yaml"
    cfg.write_text(
        f"area: test\nname: Test\ncsp_name: Test\nforce: {{name: Test Police, slug: test}}\n"
        f"sources:\n  police_uk: {raw / 'police'}\n  wards: {raw / 'wards.geojson'}\n"
        f"  ward_population: {raw / 'ward_pop.csv'}\n  lsoa_lookup: {raw / 'lookup.csv'}\n"
    )
    return tmp_path, load_area_config(str(cfg))


def hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_every_row_kept_or_rejected_with_reason(area):
    tmp, cfg = area
    before = hashes(tmp / "raw")
    res = run_cleaning(cfg, "2022-02", out_dir=tmp / "out", check_future=False)
    assert hashes(tmp / "raw") == before, "raw files must never change"
    s = res.ledger.summary().set_index("table").loc["street"]
    assert (s["read"], s["kept"], s["rejected"]) == (9, 5, 4)
    rej = res.ledger.rejections().set_index("reason")["rows"].to_dict()
    assert rej == {
        "duplicate Crime ID (already in an earlier monthly file)": 1,
        "missing or zeroed coordinates and LSOA not in the area": 1,
        "outside the area": 1,
        "unknown crime type": 1,
    }
    street = res.tables["street"].set_index("source_row", append=False)
    by_id = res.tables["street"].set_index(res.tables["street"]["crime_id"].fillna("asb"))
    assert by_id.loc["a" * 64, "ward_code"] == "W1" and by_id.loc["a" * 64, "month"] == "2022-01"
    assert by_id.loc["b" * 64, ["ward_code", "ward_method", "lookup_ward_code"]].tolist() == [
        "W2",
        "point-in-polygon",
        "W1",
    ]
    assert by_id.loc["c" * 64, ["ward_code", "ward_method"]].tolist() == ["W2", "lsoa-lookup"]
    assert pd.isna(by_id.loc["c" * 64, "longitude"]), "(0,0) is not a location"
    assert len(street) == 5
    assert any("other" in f and "not 'test'" in why for f, why in res.skipped_files)


def test_zip_read_in_place_gives_the_same_tables(area):
    tmp, cfg = area
    z = tmp / "raw" / "police.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in sorted((tmp / "raw" / "police").rglob("*.csv")):
            zf.write(p, str(p.relative_to(tmp / "raw" / "police")))
        zf.writestr("README.txt", "unexpected member")
    a = run_cleaning(cfg, "2022-02", out_dir=tmp / "a", check_future=False)
    zcfg = load_area_config(str(cfg.path))
    object.__setattr__(zcfg, "sources", {**zcfg.sources, "police_uk": str(z)})
    b = run_cleaning(zcfg, "2022-02", out_dir=tmp / "b", check_future=False)
    cols = ["crime_id", "month", "crime_type", "ward_code"]
    pd.testing.assert_frame_equal(a.tables["street"][cols], b.tables["street"][cols])
    assert any("README.txt" in f for f, _ in b.skipped_files)


def test_two_runs_are_byte_identical(area):
    tmp, cfg = area
    run_cleaning(cfg, "2022-02", out_dir=tmp / "r1", check_future=False)
    run_cleaning(cfg, "2022-02", out_dir=tmp / "r2", check_future=False)
    h1, h2 = hashes(tmp / "r1"), hashes(tmp / "r2")
    h1.pop("manifest.json"), h2.pop("manifest.json")  # holds the run timestamp
    assert h1 == h2


def test_windows_1252_malformed_and_truncated_rows(area):
    tmp, cfg = area
    p = tmp / "raw/police/2022-02/2022-02-test-street.csv"
    text = p.read_bytes().decode("utf-8-sig")
    text += (
        '"h'
        + "1" * 63
        + '",2022-02,Test Police,Test Police,,,"On or near Caf\u00e9\nRoad",L1,L1,Drugs,,\n'
    )
    text += (
        "x" * 64 + ",2022-02,Test Police,Test Police,,,On or near Z,L1,L1,Drugs,,,EXTRA,FIELDS\n"
    )
    text += "t" * 64 + ",2022-02,Test Police"  # truncated last line
    p.write_bytes(text.encode("cp1252"))
    res = run_cleaning(cfg, "2022-02", out_dir=tmp / "out", check_future=False)
    s = res.ledger.summary().set_index("table").loc["street"]
    assert s["read"] == 12 and s["read"] == s["kept"] + s["rejected"]
    rej = res.ledger.rejections().set_index("reason")["rows"].to_dict()
    assert rej["malformed row (more fields than the header)"] == 1
    assert (
        rej["unknown crime type"] == 2
    )  # the truncated row has no crime type, plus the Jaywalking row
    kept = res.tables["street"]
    assert (
        kept.loc[kept.crime_id == "h" + "1" * 63, "location"].iloc[0]
        == "On or near Caf\u00e9\nRoad"
    )
    repairs = res.ledger.to_frame().query("status == 'repaired'")
    assert repairs["reason"].str.contains("Windows-1252").any()


def test_renamed_column_names_the_file_and_column(area):
    tmp, cfg = area
    p = tmp / "raw/police/2022-01/2022-01-test-street.csv"
    p.write_text(p.read_text().replace("Crime type", "Crime category", 1))
    with pytest.raises(
        DataFileError, match=r"2022-01-test-street.csv.*'Crime type'.*Crime category"
    ):
        run_cleaning(cfg, "2022-02", out_dir=tmp / "out", check_future=False)


def test_empty_file_is_a_clear_error(area):
    tmp, cfg = area
    (tmp / "raw/police/2022-01/2022-01-test-street.csv").write_text("")
    with pytest.raises(DataFileError, match="2022-01-test-street.csv is empty"):
        run_cleaning(cfg, "2022-02", out_dir=tmp / "out", check_future=False)


def test_period_in_future_is_refused(area):
    tmp, cfg = area
    with pytest.raises(PeriodError):
        run_cleaning(cfg, "2099-01", out_dir=tmp / "out")


def test_skipped_files_are_summarised_for_the_panel():
    from helpers.ingest.cleaning import summarise_skipped

    skipped = [
        (
            f"2022-{m:02d}/2022-{m:02d}-x-street.csv",
            f"month 2022-{m:02d} is after the period end 2022-03",
        )
        for m in range(4, 13)
    ]
    skipped += [
        ("a/2022-01-other-street.csv", "file is for force 'other', not 'x'"),
        ("notes.txt", "not a police.uk CSV name"),
    ]
    notes = summarise_skipped(skipped)
    assert notes[0].startswith(
        "9 police.uk file(s) for months after the reporting period (2022-04 to 2022-12)"
    )
    assert any("a/2022-01-other-street.csv" in n for n in notes) and any(
        "notes.txt" in n for n in notes
    )
    assert len(notes) == 3
