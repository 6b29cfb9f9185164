"""Reliability round 2 (issue 16): one test per finding that escaped the catalogue.

Each test states the behaviour (docstring) and failed before its fix. The tiny area is the
catalogue's (``build_area``: two wards, three months of police.uk rows), built in ``tmp_path``;
``Area.clean`` checks that the ledger balances and the raw files are byte-identical.
"""

from __future__ import annotations

import gzip
import os
import shutil
import zipfile

import pytest
from policeuk_support import E0, N0, street_row
from test_catalogue import build_area, clear_error, rejections

from helpers.core.errors import DataFileError, OutputError

pytestmark = pytest.mark.reliability


def _asb(month: str, n: int) -> list[list[str]]:
    return [
        street_row("", month, E0 + 100 + i, N0 + 100, "L1", "Anti-social behaviour")
        for i in range(n)
    ]


@pytest.fixture
def area(tmp_path):
    a = build_area(tmp_path)
    for m in ("2022-01", "2022-02", "2022-03"):
        a.write_street(
            m,
            [
                street_row(f"{m}-a".ljust(64, "0"), m, E0 + 500, N0 + 500, "L1"),
                street_row(f"{m}-b".ljust(64, "0"), m, E0 + 1500, N0 + 500, "L2", "Drugs"),
                *_asb(m, 3),
            ],
        )
    return a


def _asb_count(res) -> int:
    return int(res.tables["street"]["is_asb"].sum())


def test_R01_backup_copy_in_a_sub_folder_is_read_once(area):
    """A copy of a month's file in a sub-folder (a "backup") is read once and listed in the
    ledger as a copy; ASB (no Crime ID) is not counted twice."""
    backup = area.police / "backup" / "2022-03"
    backup.mkdir(parents=True)
    shutil.copy2(area.street("2022-03"), backup / "2022-03-test-street.csv")
    res = area.clean()
    assert _asb_count(res) == 9  # 3 months x 3 ASB rows, counted here by hand
    reasons = rejections(res)
    copy = [r for r in reasons if r.startswith("whole file is a copy of 2022-03/")]
    assert copy and reasons[copy[0]] == 5
    skipped = res.manifest["skipped_files"]
    assert any("backup/2022-03" in s["file"] and "same content" in s["why"] for s in skipped)


def test_R02_compressed_twin_and_zip_beside_the_folder_are_read_once(area):
    """A .csv.gz twin of a month and a police.uk zip beside the monthly folders holding the same
    month are detected by month and content: read once, the copies listed."""
    src = area.street("2022-02")
    (area.police / "2022-02-test-street.csv.gz").write_bytes(gzip.compress(src.read_bytes()))
    with zipfile.ZipFile(area.police / "download.zip", "w") as zf:
        zf.write(src, "2022-02/2022-02-test-street.csv")
    res = area.clean()
    assert _asb_count(res) == 9
    copies = {r: n for r, n in rejections(res).items() if r.startswith("whole file is a copy")}
    assert sum(copies.values()) == 10  # two copies of a 5-row file


def test_R03_two_different_files_for_one_month_are_refused_naming_both(area):
    """Two files for one month with different contents: a DataFileError naming both paths."""
    other = area.police / "other"
    other.mkdir()
    (other / "2022-03-test-street.csv").write_bytes(
        area.street("2022-03").read_bytes() + b"x,2022-03,,,,,,,,Drugs,,\n"
    )
    clear_error(
        DataFileError,
        area.clean,
        r"2022-03/2022-03-test-street\.csv and other/2022-03-test-street\.csv",
        r"count the month twice",
    )


def test_R04_month_column_must_agree_with_the_file_name(area):
    """Rows whose Month is not the file's month are rejected with that reason (not moved to
    another month, not double counted)."""
    rows = [street_row("x".ljust(64, "1"), "2022-02", E0 + 500, N0 + 500, "L1")]
    rows += _asb("2022-02", 2)
    p = area.street("2022-03")
    p.write_bytes(p.read_bytes() + b"".join(",".join(r).encode() + b"\n" for r in rows))
    res = area.clean()
    assert rejections(res)["Month column does not match the month in the file name"] == 3
    assert _asb_count(res) == 9


def test_R05_symlinked_month_folder_inside_is_read(area, tmp_path):
    """A month folder that is a link to a folder inside the police.uk folder is read."""
    store = area.police / "store"
    store.mkdir()
    shutil.move(str(area.police / "2022-02"), store / "2022-02")
    os.symlink(store / "2022-02", area.police / "2022-02", target_is_directory=True)
    res = area.clean()
    assert res.months_missing == []
    assert _asb_count(res) == 9


def test_R05b_symlinked_month_folder_outside_is_refused_by_name(area, tmp_path):
    """A month folder that links outside the police.uk folder is refused naming the link, not
    read from elsewhere (nor ignored and then reported as a missing month)."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.move(str(area.police / "2022-02"), outside / "2022-02")
    os.symlink(outside / "2022-02", area.police / "2022-02", target_is_directory=True)
    clear_error(DataFileError, area.clean, r"^2022-02 is a link to .*elsewhere/2022-02, outside")


def test_R06_symlink_outside_the_raw_folder_is_refused_by_name(area, tmp_path):
    """A link to a file outside the police.uk folder is refused by name, not read."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.move(str(area.street("2022-02")), outside / "2022-02-test-street.csv")
    os.symlink(outside / "2022-02-test-street.csv", area.street("2022-02"))
    clear_error(DataFileError, area.clean, r"2022-02-test-street\.csv is a link to", r"outside")


def test_R07_zip_member_with_a_bad_crc_is_named(area, tmp_path):
    """A zip member whose data fail the CRC check is a DataFileError naming the member."""
    z = tmp_path / "raw" / "police.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
        for m in ("2022-01", "2022-02", "2022-03"):
            zf.write(area.street(m), f"{m}/{m}-test-street.csv")
    data = bytearray(z.read_bytes())
    i = data.find(b"2022-02-b")  # inside the stored 2022-02 member
    data[i] = ord("X")
    z.write_bytes(bytes(data))
    shutil.rmtree(area.police)
    cfg = area.config({"police_uk": z})
    clear_error(DataFileError, lambda: area.clean(cfg=cfg), r"police\.zip!2022-02/", r"damaged")


def test_R08_read_only_reports_folder_is_an_output_error(tmp_path, monkeypatch):
    """A folder that cannot be written is an OutputError naming it, with what to do (it was a
    raw PermissionError from deep inside papermill)."""
    import errno
    import tempfile

    from helpers.core import io as hio

    def refuse(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)  # as a read-only folder does, even for root
    clear_error(
        OutputError,
        lambda: hio.ensure_writable_dir(tmp_path / "reports"),
        r"reports: Permission denied",
        r"writable",
    )


def test_R09_period_with_a_trailing_space_keeps_its_value(area):
    """'2022-03 ' is the period 2022-03 (not 'outside the data'); batch messages keep the value."""
    res = area.clean(period="2022-03 ")
    assert res.period == "2022-03"
    from helpers.core.errors import OutputError as OE
    from helpers.run.batch import _error_text

    text = _error_text(OE("The period '2022-03 ' cannot be used in a file path.", "Use 2022-03."))
    assert "'2022-03 '" in text and "What to do: Use 2022-03." in text


def test_R10_one_windows_byte_does_not_mangle_valid_utf8(area):
    """A UTF-8 file with one Windows-1252 byte: that byte is repaired (and recorded), the valid
    UTF-8 "Café" stays "Café" (it became "CafÃ©" when the whole file was re-decoded)."""
    a = street_row("a".ljust(64, "9"), "2022-03", E0 + 500, N0 + 500, "L1")
    b = street_row("b".ljust(64, "9"), "2022-03", E0 + 600, N0 + 500, "L1")
    a[6], b[6] = "On or near Café", "On or near CafX"
    lines = [",".join(r).encode() for r in (a, b)]
    lines[1] = lines[1].replace(b"CafX", b"Caf\xe9")  # the one Windows-1252 byte
    p = area.street("2022-03")
    p.write_bytes(p.read_bytes() + b"\n".join(lines) + b"\n")
    res = area.clean()
    st = res.tables["street"].set_index("crime_id")["location"]
    assert st["a".ljust(64, "9")] == "On or near Café"
    assert st["b".ljust(64, "9")] == "On or near Café"  # the Windows byte, repaired
    df = res.ledger.to_frame()
    note = df[(df.status == "repaired") & df.source.str.endswith("2022-03-test-street.csv")]
    assert note.reason.str.contains("1 byte").any()


def test_R11_infinite_or_nan_coordinates_are_recorded(area):
    """'inf'/'nan' coordinates are no map point: the row is placed by LSOA and the repair is in
    the ledger (it was placed silently)."""
    p = area.street("2022-03")
    extra = [
        street_row("i".ljust(64, "0"), "2022-03", None, None, "L1"),
        street_row("j".ljust(64, "0"), "2022-03", None, None, "L2"),
    ]
    extra[0][4:6] = ["inf", "52.1"]
    extra[1][4:6] = ["nan", "nan"]
    p.write_bytes(p.read_bytes() + b"".join(",".join(r).encode() + b"\n" for r in extra))
    res = area.clean()
    st = res.tables["street"].set_index("crime_id")
    for cid in ("i".ljust(64, "0"), "j".ljust(64, "0")):
        assert st.loc[cid, "ward_method"] == "lsoa-lookup"
    from test_catalogue import repairs

    assert repairs(res)["coordinates not a finite number on the globe: placed by LSOA instead"] == 2


def test_R12_nul_byte_inside_a_crime_id_is_an_error_naming_the_line(area):
    """A NUL byte anywhere (not only in the first 4 KB) is a DataFileError naming the file and line."""
    p = area.street("2022-03")
    body = p.read_bytes()
    pad = b"".join(
        ",".join(street_row(f"p{i}".ljust(64, "0"), "2022-03", E0 + 500, N0 + 500)).encode() + b"\n"
        for i in range(60)
    )
    bad = ",".join(street_row("n\x00".ljust(64, "0"), "2022-03", E0 + 500, N0 + 500)).encode()
    p.write_bytes(body + pad + bad + b"\n")
    line = (body + pad).count(b"\n") + 1
    clear_error(DataFileError, area.clean, rf"2022-03-test-street\.csv .*NUL\) byte on line {line}")


def test_R13_duplicate_ward_population_row_names_the_population_file(area):
    """A ward repeated in ward_population.csv is named there, not blamed on the boundaries."""
    (area.raw / "ward_pop.csv").write_text("ward_code,population\nW1,1000\nW2,2000\nW1,1000\n")
    clear_error(
        DataFileError,
        area.clean,
        r"ward_pop\.csv \(ward population\) has ward_code W1",
        r"rows 2, 4",
    )
