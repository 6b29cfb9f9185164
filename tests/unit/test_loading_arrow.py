"""The force extract's Arrow CSV reader (loading.read_csv_arrow) against the reference reader.

``read_csv_arrow`` either returns exactly what ``read_csv_text(decode_bytes(data))`` returns (the
same columns, text, row numbers, malformed count and attrs) or declines (``None``) so the caller
uses the reference. The hand-written cases give their expected frames literally; the property
test compares the two readers on generated files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.ingest import loading


def _reference(data: bytes) -> tuple[pd.DataFrame, int]:
    text, _ = loading.decode_bytes(data, "f.csv")
    return loading.read_csv_text(text, "f.csv")


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    for c in a.columns:  # the same Arrow type underneath (Parquet bytes depend on it)
        assert a[c].array._pa_array.type == b[c].array._pa_array.type
    np.testing.assert_array_equal(a.attrs["row_numbers"], b.attrs["row_numbers"])
    assert a.attrs["short_rows"] == b.attrs["short_rows"]
    assert a.attrs["extra_columns"] == b.attrs["extra_columns"]


def test_plain_file_read_by_arrow_with_literal_expectations():
    data = "\ufeffRef , Date,Code\nA1,2021-01-02,8N\nB2, 2021-02-03 ,\nC3,x,y,z\nD4,,105A\n"
    got = loading.read_csv_arrow(data.encode("utf-8"), "f.csv")
    assert got is not None
    df, malformed = got
    assert malformed == 1  # "C3,x,y,z": four fields under a three-field header
    assert list(df.columns) == ["Ref", "Date", "Code"]
    assert df["Ref"].tolist() == ["A1", "B2", "D4"]
    assert df["Date"].tolist() == ["2021-01-02", " 2021-02-03 ", ""]  # text kept as given
    assert df["Code"].tolist() == ["8N", "", "105A"]
    assert str(df["Ref"].dtype) == "string"
    # records: header 1, A1 2, B2 3, C3 4 (malformed), D4 5
    assert df.attrs["row_numbers"].tolist() == [2, 3, 5]
    assert df.attrs["short_rows"] == [] and df.attrs["extra_columns"] == []


def test_blank_lines_and_crlf_without_long_rows():
    got = loading.read_csv_arrow(b"a,b\r\n1,2\r\n\r\n3,4\r\n\n5,\r\n", "f.csv")
    assert got is not None
    df, malformed = got
    assert malformed == 0
    assert df["a"].tolist() == ["1", "3", "5"] and df["b"].tolist() == ["2", "4", ""]
    assert df.attrs["row_numbers"].tolist() == [2, 3, 4]  # blank lines are not records


@pytest.mark.parametrize(
    "data",
    [
        b'a,b\n"x,y",1\n',  # a quoted field
        b"a,b\n1\n",  # a short row (padded by the reference)
        b"a,b\n1,2,3\n\n4,5\n",  # a long row and a blank line: line numbers are not records
        b"a,b\r\n1,2,3\r\n4,5\r\n",  # a long row and carriage returns
        b"a,a\n1,2\n",  # repeated header names
        b"a,b\n",  # header only
        b"",  # empty
        b"a,b\n\xe9,1\n",  # not UTF-8 (Windows-1252 byte)
        b"\xff\xfea\x00,\x00b\x00\n\x00",  # UTF-16
        b"a,b\n1,\x002\n",  # a NUL byte
        b"\na,b\n1,2\n",  # a blank first line
    ],
)
def test_declines_what_the_reference_reads_differently(data):
    assert loading.read_csv_arrow(data, "f.csv") is None


def test_field_over_the_csv_limit_is_left_to_the_reference():
    import csv

    big = "x" * (csv.field_size_limit() + 1)
    assert loading.read_csv_arrow(f"a,b\n{big},1\n".encode(), "f.csv") is None


_field = st.text(
    alphabet=st.sampled_from(list("ab Z09-/_.é€\t") + ["\u00a0", "ü"]), min_size=0, max_size=6
)


@st.composite
def _csv(draw):
    width = draw(st.integers(1, 5))
    header = [f"h{i}" for i in range(width)]
    lines = [",".join(header)]
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["row", "row", "row", "long", "blank"]))
        if kind == "blank":
            lines.append("")
        else:
            n = width + (draw(st.integers(1, 2)) if kind == "long" else 0)
            lines.append(",".join(draw(_field) for _ in range(n)))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    text = eol.join(lines) + draw(st.sampled_from(["", eol]))
    bom = draw(st.booleans())
    return ("\ufeff" if bom else "") + text


@settings(max_examples=300, deadline=None)
@given(_csv())
def test_arrow_reader_equals_reference_or_declines(text):
    data = text.encode("utf-8")
    got = loading.read_csv_arrow(data, "f.csv")
    try:
        ref = _reference(data)
    except Exception:  # the reference refuses the file: the fast path must not accept it
        assert got is None
        return
    if got is None:
        return
    df, malformed = got
    assert malformed == ref[1]
    _same(df, ref[0])


def test_force_extract_reads_the_same_either_way(tmp_path, monkeypatch):
    rows = ["Occurrence Ref,Committed Date,HO Offence Code,Extra"]
    rows += [
        f"WX{i:05d},2021-0{1 + i % 9}-1{i % 10},{8 if i % 2 else 105}N,e{i}" for i in range(50)
    ]
    rows.insert(7, "WXBAD,2021-01-01,8N,e,f")  # one malformed row
    p = tmp_path / "extract.csv"
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    cols = {"offence_id": "Occurrence Ref", "date": "Committed Date", "ho_code": "HO Offence Code"}
    fast = loading.read_force_extract(p, cols)
    monkeypatch.setattr(loading, "read_csv_arrow", lambda data, label: None)
    ref = loading.read_force_extract(p, cols)
    assert fast[1:] == ref[1:] and fast[1] == 1
    _same(fast[0], ref[0])
    assert fast[0]["offence_id"].iloc[6] == "WX00006" and fast[0]["offence_id"].iloc[7] == "WX00007"
    assert fast[0].attrs["row_numbers"][5:8].tolist() == [7, 9, 10]
