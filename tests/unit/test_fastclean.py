"""The national-scale street cleaner gives the same rows and ledger as the reference cleaner.

The reference is the pandas oracle ``tests/oracle_cleaning.py`` (pandas + Python csv), run here with no ward
boundaries or lookup, so both keep every row in place. Hand-counted expectations cover the mess
planted in the small files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_cleaning import clean_police_uk

from helpers.core.config import AreaConfig
from helpers.core.periods import ReportingPeriod
from helpers.ingest import fastclean
from helpers.ingest.area import Area
from helpers.ingest.ledger import Ledger
from helpers.sample import national as national_sample

HEADER = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context\n"
F = "Wexshire Police"


def row(cid, month, ctype, lon="-0.9", lat="52.2", lsoa="E01990001", outcome="Under investigation"):
    return f"{cid},{month},{F},{F},{lon},{lat},On or near A Road,{lsoa},Wexley 001A,{ctype},{outcome},\n"


def write(folder, month, text, encoding="utf-8"):
    p = folder / month / f"{month}-wexshire-street.csv"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(text.encode(encoding))
    return p


def reference(folder, period_end):
    cfg = AreaConfig("t", "T", "T", F, "wexshire", {"police_uk": str(folder)})
    ledger = Ledger()
    street, _, skipped, _ = clean_police_uk(cfg, ReportingPeriod(period_end), None, ledger, [])
    street = street.sort_values(
        ["month", "source_file", "source_row"], kind="mergesort"
    ).reset_index(drop=True)
    return street, ledger


def same_rows(fast: pd.DataFrame, ref: pd.DataFrame) -> None:
    cols = list(fastclean.SCHEMA.names)
    a = fast[cols].reset_index(drop=True)
    b = ref[cols].reset_index(drop=True)
    for c in cols:
        if a[c].dtype.kind == "f" or b[c].dtype.kind == "f":
            np.testing.assert_allclose(
                a[c].astype(float), b[c].astype(float), rtol=0, atol=1e-6, equal_nan=True, err_msg=c
            )
        else:
            assert (
                a[c].astype(object).where(a[c].notna(), None).tolist()
                == b[c].astype(object).where(b[c].notna(), None).tolist()
            ), c


def ledger_rows(ledger: Ledger) -> pd.DataFrame:
    df = ledger.to_frame()
    df = df[df["table"] == "street"]  # the reference also reads outcomes files
    return df.sort_values(["source", "status", "reason"]).reset_index(drop=True)


@pytest.fixture
def messy(tmp_path):
    src = tmp_path / "police_uk"
    a, b = "a" * 64, "b" * 64
    write(
        src,
        "2022-01",
        HEADER
        + row(a, "2022-01", "Burglary")
        + row(a, "2022-01", "Burglary")  # same file: both kept
        + row("", "2022-01", "Anti-social behaviour", outcome="")
        + row("", "2022-01", "Robbery")  # crime without ID
        + row("c" * 64, "2022-01", "Jaywalking")
        + row("d" * 64, "2022-1", "Drugs")  # unknown type, bad month
        + row("e" * 64, "2022-01", "Drugs", lon="0", lat="0")
        + row("f" * 64, "2022-01", "Drugs", lon="", lat="")
        + "x,2022-01,too,many,fields,1,2,3,4,5,6,7,8,9\n"
        + "\n",
    )
    write(
        src,
        "2022-02",
        "\ufeff"
        + HEADER
        + row(a, "2022-02", "Burglary")
        + row(b, "2022-02", "Other theft")  # a repeats
        + row(" " + "g" * 64 + " ", " 2022-02 ", " Shoplifting ", lon=" -1.0 ", lat="abc"),
    )
    write(
        src,
        "2022-03",
        HEADER + row("h" * 64, "2022-03", "Public order", outcome="Café closed"),
        encoding="cp1252",
    )
    write(
        src, "2022-04", HEADER + row("i" * 64, "2022-04", "Drugs")
    )  # after the period end: skipped
    return src


def test_messy_files_match_reference_and_hand_counts(messy):
    res = fastclean.clean_street(messy, "2022-03", threads=2, batch_rows=3)
    fast = res.to_pandas()
    ref, ref_ledger = reference(messy, "2022-03")
    same_rows(fast, ref)
    assert_frame = ledger_rows(res.ledger)
    pd.testing.assert_frame_equal(assert_frame, ledger_rows(ref_ledger))
    # by hand: 2022-01 holds 8 parsed rows + 1 malformed (the blank line is not a row); kept = 2×a,
    # ASB, zeroed, no-coords = 5. 2022-02: 3 read, a repeated. 2022-03: 1 read, kept.
    summ = res.ledger.summary().set_index("table").loc["street"]
    assert (summ["read"], summ["kept"], summ["rejected"]) == (8 + 1 + 3 + 1, 5 + 2 + 1, 4 + 1 + 0)
    rej = res.ledger.rejections().set_index("reason")["rows"].to_dict()
    assert rej == {
        "crime row without a Crime ID": 1,
        "unknown crime type": 1,
        "unparseable month": 1,
        "malformed row (more fields than the header)": 1,
        "duplicate Crime ID (already in an earlier monthly file)": 1,
    }
    assert [s for s, _ in res.skipped] == ["2022-04/2022-04-wexshire-street.csv"]
    assert fast.loc[fast["crime_id"] == "g" * 64, "latitude"].isna().all()  # "abc" is not a number
    assert (
        fast.loc[fast["crime_id"] == "e" * 64, ["longitude", "easting"]].isna().all().all()
    )  # (0, 0) is missing
    assert res.exact_second_pass  # the row dated "2022-1" is not its file's month: decided exactly


def test_row_month_out_of_file_order_takes_the_exact_pass(tmp_path):
    src = tmp_path / "p"
    x = "x" * 64
    # the 2022-02 file carries a row dated 2022-01: by (month, file, row) it is the first "x"
    write(src, "2022-01", HEADER + row("y" * 64, "2022-01", "Drugs") + row(x, "2022-02", "Drugs"))
    write(src, "2022-02", HEADER + row(x, "2022-01", "Drugs"))
    res = fastclean.clean_street(src, "2022-03", threads=1)
    ref, ref_ledger = reference(src, "2022-03")
    assert res.exact_second_pass
    pd.testing.assert_frame_equal(ledger_rows(res.ledger), ledger_rows(ref_ledger))
    # both "x" rows carry another file's month: rejected for that (issue 16), as the reference
    assert res.to_pandas()["crime_id"].tolist() == ["y" * 64]
    reasons = res.ledger.rejections().set_index("reason")["rows"].to_dict()
    assert reasons == {"Month column does not match the month in the file name": 2}


def test_short_rows_are_padded_like_the_reference(tmp_path):
    src = tmp_path / "p"
    write(
        src,
        "2022-01",
        HEADER
        + row("a" * 64, "2022-01", "Drugs")
        + "b" * 64
        + ",2022-01,W,W\n"
        + row("c" * 64, "2022-01", "Drugs"),
    )
    res = fastclean.clean_street(src, "2022-01")
    ref, ref_ledger = reference(src, "2022-01")
    same_rows(res.to_pandas(), ref)
    assert res.to_pandas()["source_row"].tolist() == [2, 4]  # rows keep their places
    assert res.ledger.rejections().set_index("reason")["rows"].to_dict() == {
        "unknown crime type": 1
    }


def test_embedded_sample_matches_reference(processed_sample, repo):
    src = processed_sample.parents[3] / "data" / "raw" / "wexley" / "police_uk"  # its project
    res = fastclean.clean_street(src, "2022-03", force_slug="wexshire")
    ref, ref_ledger = reference(src, "2022-03")
    same_rows(res.to_pandas(), ref)
    pd.testing.assert_frame_equal(ledger_rows(res.ledger), ledger_rows(ref_ledger))
    assert not res.exact_second_pass  # police.uk layout: every row's month is its file's


def test_national_sample_is_deterministic_and_cleans_in_one_pass(tmp_path):
    a = national_sample.generate_national(tmp_path / "a", rows=30_000, forces=3, months=4)
    national_sample.generate_national(tmp_path / "b", rows=30_000, forces=3, months=4)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.csv"))
    assert len(files) == a["files"] == 12
    assert all(
        (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files
    )
    assert abs(a["rows_written"] - 30_000) < 300
    assert national_sample.generate_national(tmp_path / "a", rows=30_000, forces=3, months=4)[
        "reused"
    ]
    # count data lines independently of both readers: every line but the header
    lines = sum(len((tmp_path / "a" / f).read_text().splitlines()) - 1 for f in files)
    out = tmp_path / "street.parquet"
    res = fastclean.clean_street(tmp_path / "a", "2022-03", out=out, batch_rows=5_000)
    assert res.rows_read == lines == a["rows_written"]
    summ = res.ledger.summary().set_index("table").loc["street"]
    assert summ["balanced"] and summ["read"] == lines
    assert not res.exact_second_pass
    kept = pd.read_parquet(out)
    assert len(kept) == summ["kept"] == res.rows_kept
    # the planted mess is rejected, never kept: every kept row has a known type and a month in range
    assert kept["crime_group"].notna().all() and (kept["month"] <= "2022-03").all()
    rej = res.ledger.rejections().set_index("reason")["rows"]
    assert rej.get("malformed row (more fields than the header)", 0) == sum(
        1 for f in files if (tmp_path / "a" / f).read_text().rstrip().endswith("x")
    )


# --------------------------------------------------------------------------- the integer-key path


def first_file_rule(ids_by_file: list[list[str | None]]) -> list[list[bool]]:
    """Independent statement of the rule, in plain Python: a row is a duplicate when its ID was
    first seen (in file order, then row order) in a different file."""
    first: dict[str, int] = {}
    out = []
    for fi, ids in enumerate(ids_by_file):
        flags = []
        for x in ids:
            if x is None:
                flags.append(False)
                continue
            first.setdefault(x, fi)
            flags.append(first[x] != fi)
        out.append(flags)
    return out


def test_decode_hex_ids_by_hand():
    ids = ["0" * 63 + "1", "f" * 64, "0" * 63 + "g", "A" + "0" * 63, "ab" * 32]
    chars = np.frombuffer("".join(ids).encode(), np.uint8).reshape(-1, 64)
    keys, ok = fastclean.decode_hex_ids(chars)
    assert ok.tolist() == [True, True, False, False, True]  # 'g' is not hex; upper case is refused
    # the key is the 32 bytes the hex spells, read as four native uint64
    assert keys[0].tobytes() == bytes(31) + b"\x01"
    assert keys[1].tobytes() == b"\xff" * 32
    assert keys[4].tobytes() == b"\xab" * 32


def test_ids_sharing_a_prefix_are_told_apart_across_and_within_batches(tmp_path):
    # every ID shares its first 16 hex characters (the sort word) and some its first 32 too
    p16, p32 = "0123456789abcdef", "0123456789abcdef" * 2
    a, b, c, d = p32 + "a" * 32, p32 + "b" * 32, p16 + "c" * 48, p16 + "d" * 48
    files = {
        "2022-01": [a, b, a],  # a repeats within its file: both kept
        "2022-02": [c, b, d],  # b is a repeat of January's
        "2022-03": [d, c, a, p32 + "e" * 32],  # d, c, a repeats; e is new
    }
    src = tmp_path / "p"
    for month, ids in files.items():
        write(src, month, HEADER + "".join(row(x, month, "Drugs") for x in ids))
    expected = first_file_rule(list(files.values()))
    ref, ref_ledger = reference(src, "2022-03")
    for batch_rows in (1, 3, 1000):  # one file a batch, a few, all in one batch
        res = fastclean.clean_street(src, "2022-03", batch_rows=batch_rows, threads=1)
        assert not res.exact_second_pass
        rej = res.ledger.rejections().set_index("reason")["rows"].to_dict()
        assert rej == {
            "duplicate Crime ID (already in an earlier monthly file)": sum(
                map(sum, expected)
            )  # = 1 + 3 by hand
        }
        same_rows(res.to_pandas(), ref)
        pd.testing.assert_frame_equal(ledger_rows(res.ledger), ledger_rows(ref_ledger))
    assert sum(map(sum, expected)) == 4


def test_non_hex_ids_keep_exact_text_semantics(tmp_path):
    h = "0f" * 32
    files = {
        # upper case, short, spaced, not hex: compared as text, so "H" upper is not h
        "2022-01": [h.upper(), "ABC-1", " " + h + " ", "x" * 64, "  "],
        "2022-02": [h, "ABC-1", h.upper(), "abc-1", "x" * 64],
    }
    src = tmp_path / "p"
    for month, ids in files.items():
        write(src, month, HEADER + "".join(row(x, month, "Drugs") for x in ids))
    res = fastclean.clean_street(src, "2022-03", batch_rows=1, threads=1)
    ref, ref_ledger = reference(src, "2022-03")
    same_rows(res.to_pandas(), ref)
    pd.testing.assert_frame_equal(ledger_rows(res.ledger), ledger_rows(ref_ledger))
    # by hand: " h " trims to h, so February's h is a repeat; so are ABC-1, H upper and x*64;
    # "abc-1" differs from "ABC-1"; the blank ID is a crime row without an ID
    rej = res.ledger.rejections().set_index("reason")["rows"].to_dict()
    assert rej == {
        "duplicate Crime ID (already in an earlier monthly file)": 4,
        "crime row without a Crime ID": 1,
    }


def _flags_by_file(dedupe, files, per_batch, words) -> list[list[bool]]:
    """Feed ``files`` (lists of row tuples) to ``dedupe.key_flags`` ``per_batch`` files at a
    time, each row's key ``words(*row)``; the flags back per file, in file order."""
    got = []
    for start in range(0, len(files), per_batch):
        chunk = files[start : start + per_batch]
        keys = [words(*row) for rows in chunk for row in rows]
        f = np.array([start + i for i, rows in enumerate(chunk) for _ in rows], dtype=np.int64)
        flags = dedupe.key_flags(np.array(keys, dtype=np.uint64).reshape(-1, 4), f)
        pos = 0
        for rows in chunk:
            got.append(flags[pos : pos + len(rows)].tolist())
            pos += len(rows)
    return got


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2)), min_size=0, max_size=12),
        min_size=1,
        max_size=6,
    ),
    st.integers(1, 4),
)
def test_key_dedupe_matches_the_plain_rule(files, per_batch):
    """Keys from a tiny alphabet (first word in 0..3, the rest in 0..2) so that first words tie
    and collide often; fed in batches of whole files, as clean_street does."""
    words = lambda a, b: np.array([a, b, b * 7, 1], dtype=np.uint64)  # noqa: E731
    ids_by_file = [[f"{a}-{b}" for a, b in rows] for rows in files]
    expected = first_file_rule(ids_by_file)
    assert _flags_by_file(fastclean._Dedupe(), files, per_batch, words) == expected


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(
            st.tuples(st.integers(0, 7), st.integers(0, 2), st.integers(0, 1)),
            min_size=0,
            max_size=12,
        ),
        min_size=1,
        max_size=6,
    ),
    st.integers(1, 4),
)
def test_key_dedupe_with_its_bit_filter_matches_the_plain_rule(files, per_batch):
    """First words spread over the top bits (so the bit filter answers "not seen" for most
    keys) with low bits that differ (different first words behind one filter bit) and the same
    first word with different other words; a filter of the smallest size."""
    top = lambda a, b: np.uint64((a << 61) | b)  # noqa: E731
    words = lambda a, b, c: np.array([top(a, b), c, 5, c * 3], dtype=np.uint64)  # noqa: E731
    ids_by_file = [[f"{a}-{b}-{c}" for a, b, c in rows] for rows in files]
    expected = first_file_rule(ids_by_file)
    assert _flags_by_file(fastclean._Dedupe(expected_ids=1), files, per_batch, words) == expected


def test_key_dedupe_grows_past_its_first_store_and_matches_a_set():
    """More keys than the store first holds (65,536), from random 256-bit IDs with repeats
    planted across and within files; the expected flags come from a Python dict of ID strings."""
    rng = np.random.default_rng(7)
    keys = rng.integers(0, 2**63, size=(150_000, 4), dtype=np.uint64)
    repeat = rng.choice(np.arange(1_000, len(keys)), size=2_000, replace=False)
    keys[repeat] = keys[rng.integers(0, 1_000, size=len(repeat))]
    f = np.arange(len(keys), dtype=np.int64) // 700  # 700 rows a file
    first: dict[tuple, int] = {}
    want = []
    for k, fi in zip(map(tuple, keys.tolist()), f.tolist(), strict=True):
        want.append(first.setdefault(k, fi) != fi)
    d = fastclean._Dedupe(expected_ids=1)
    got = np.concatenate(
        [d.key_flags(keys[s : s + 49_700], f[s : s + 49_700]) for s in range(0, len(keys), 49_700)]
    )
    assert got.tolist() == want and 0 < sum(want) < 2_000


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(alphabet=" \t\u00a0\u2003ab\u00e9", max_size=5), min_size=1, max_size=8))
def test_clean_text_fast_path_equals_arrow_trim(values):
    arr = pa.array(values, pa.string())
    want = fastclean._blank_to_null(pc.utf8_trim_whitespace(arr)).to_pylist()
    assert fastclean._clean_text(arr, trim=True).to_pylist() == want
    assert fastclean._clean_text(arr, trim=False).to_pylist() == [v or None for v in values]


def test_force_columns_that_vary_within_a_file_and_unparseable_coordinates(tmp_path):
    src = tmp_path / "p"
    other = row("b" * 64, "2022-01", "Drugs").replace(F, "Other Police")
    write(src, "2022-01", HEADER + row("a" * 64, "2022-01", "Drugs") + other)
    write(src, "2022-02", HEADER + row("c" * 64, "2022-02", "Drugs", lon="-1.5", lat="n/a!"))
    res = fastclean.clean_street(src, "2022-03", threads=1)
    ref, _ = reference(src, "2022-03")
    same_rows(res.to_pandas(), ref)
    assert res.to_pandas()["reported_by"].tolist() == [F, "Other Police", F]


def test_without_projection_easting_is_missing_and_the_rest_is_unchanged(messy, tmp_path):
    out = tmp_path / "s.parquet"
    a = fastclean.clean_street(messy, "2022-03", out=out, project=False)
    b = fastclean.clean_street(messy, "2022-03")
    kept = pd.read_parquet(out)
    assert kept["easting"].isna().all() and kept["northing"].isna().all()
    cols = [c for c in fastclean.SCHEMA.names if c not in ("easting", "northing")]
    same = kept[cols].astype(object).where(kept[cols].notna(), None)
    ref = b.to_pandas()[cols].astype(object).where(b.to_pandas()[cols].notna(), None)
    assert same.values.tolist() == ref.values.tolist()
    assert a.ledger.summary().equals(b.ledger.summary())
    # the file's columns read back as plain text, not dictionaries
    assert pq.read_schema(out).field("month").type == pa.string()


def test_lsoa_lookup_limits_to_the_area_like_the_reference(tmp_path):
    src = tmp_path / "p"
    write(
        src,
        "2022-01",
        HEADER
        + row("a" * 64, "2022-01", "Drugs", lsoa="E01000001")  # in the area, ward W1
        + row("b" * 64, "2022-01", "Drugs", lsoa=" E01000002 ")  # in the area once trimmed, W2
        + row("c" * 64, "2022-01", "Drugs", lsoa="E01999999")  # placed, outside the area
        + row("d" * 64, "2022-01", "Drugs", lsoa="E01999999", lon="", lat="")  # nowhere
        + row("e" * 64, "2022-01", "Drugs", lsoa=""),  # no LSOA, but coordinates: outside
    )
    lookup = pd.DataFrame(
        {
            "lsoa_code": ["E01000001", "E01000002"],
            "lookup_ward_code": ["W1", "W2"],
            "lookup_ward_name": ["Ward One", "Ward Two"],
        }
    )
    res = fastclean.clean_street(src, "2022-01", lookup=lookup)
    cfg = AreaConfig("t", "T", "T", F, "wexshire", {"police_uk": str(src)})
    ref_ledger = Ledger()
    ref, *_ = clean_police_uk(
        cfg, ReportingPeriod("2022-01"), Area.from_lookup(lookup), ref_ledger, []
    )
    fast = res.to_pandas()
    same_rows(fast, ref.sort_values("source_row").reset_index(drop=True))
    pd.testing.assert_frame_equal(ledger_rows(res.ledger), ledger_rows(ref_ledger))
    assert fast["ward_code"].tolist() == ["W1", "W2"]
    assert fast["ward_method"].tolist() == ["lsoa-lookup"] * 2
    assert res.ledger.rejections().set_index("reason")["rows"].to_dict() == {
        "outside the area": 2,
        "missing or zeroed coordinates and LSOA not in the area": 1,
    }


@pytest.mark.parametrize(
    "location", ["On or near A Road", '"On or near A Road, North"', '"On\nor near"']
)
def test_rows_after_a_malformed_line_keep_their_record_numbers(tmp_path, location):
    """A malformed line in the middle of a file: later rows keep their numbers in the file, as
    the reference reader gives them (Arrow's line numbers, or the exact reader when a quoted
    field spans lines)."""
    src = tmp_path / "police_uk"
    body = (
        row("a" * 64, "2022-01", "Drugs").replace("On or near A Road", location)
        + "x,2022-01,too,many,fields,1,2,3,4,5,6,7,8,9\n"
        + row("b" * 64, "2022-01", "Drugs")
        + row("c" * 64, "2022-01", "Drugs")
    )
    write(src, "2022-01", HEADER + body)
    res = fastclean.clean_street(src, "2022-01", threads=1)
    ref, ref_ledger = reference(src, "2022-01")
    same_rows(res.to_pandas(), ref)
    # by hand: header is record 1; the malformed line is record 3
    assert res.to_pandas()["source_row"].tolist() == [2, 4, 5]
    pd.testing.assert_frame_equal(ledger_rows(res.ledger), ledger_rows(ref_ledger))


def test_quoted_breaks_by_hand():
    assert not fastclean._quoted_breaks(b"a,b\n1,2\n")
    assert not fastclean._quoted_breaks(b'a,"b,c"\n1,2\n')
    assert not fastclean._quoted_breaks(b'a,"b""c"\n1,2\n')
    assert fastclean._quoted_breaks(b'a,"b\nc"\n1,2\n')
    assert fastclean._quoted_breaks(b'a,"b\n1,2\n')  # unclosed: left to the exact reader


def test_projection_of_repeated_points_equals_the_plain_pyproj_call():
    """Snapped points are projected once per distinct point: the metres must be exactly those
    of pyproj's own call on every row (repeats, a point on the meridian, -0.0 and a NaN too)."""
    from pyproj import Transformer

    from helpers.ingest import fastclean, geography

    rng = np.random.default_rng(5)
    pts = np.column_stack([rng.uniform(-2.0, 0.5, 300), rng.uniform(51.0, 53.0, 300)])
    rows = pts[rng.integers(0, len(pts), 5000)]
    plain = Transformer.from_crs("EPSG:4326", geography.BNG, always_xy=True)
    for lon, lat in [
        (rows[:, 0].copy(), rows[:, 1].copy()),
        (np.r_[rows[:, 0], 0.0, -0.0], np.r_[rows[:, 1], 52.0, 52.0]),
        (np.r_[rows[:, 0], np.nan], np.r_[rows[:, 1], 52.0]),
    ]:
        x, y = fastclean._lonlat_to_bng(lon, lat)
        ex, ey = plain.transform(lon, lat)
        np.testing.assert_array_equal(x, np.asarray(ex))
        np.testing.assert_array_equal(y, np.asarray(ey))
