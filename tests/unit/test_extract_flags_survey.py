"""The Commissioner's inputs: the extract's knife/firearm flags and victim reference
(helpers.ingest.extract_flags) and the victim survey CSV (helpers.ingest.survey).

What counts as true or false, what is refused, and that every refusal names the file, the row
or line and the value. Malformed survey rows are fuzzed with hypothesis: each either parses to
rows that keep the schema's promises or is refused with a DataFileError naming its line, never a
traceback.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.core.errors import DataFileError, OutputError
from helpers.ingest import extract_flags as F
from helpers.ingest import survey as SV


def _raw(**cols) -> pd.DataFrame:
    return pd.DataFrame({k: pd.Series(v, dtype="string") for k, v in cols.items()})


@pytest.mark.parametrize("value", ["Y", "y", "Yes", "TRUE", "1", "t", " yes "])
def test_true_spellings(value):
    out = F.parse_flag(pd.Series([value], dtype="string"), "knife_crime", "x.csv", [2])
    assert out.tolist() == [True]


@pytest.mark.parametrize("value", ["N", "no", "False", "0", "f", "", None, "  "])
def test_false_spellings_and_blank(value):
    out = F.parse_flag(pd.Series([value], dtype="string"), "firearm", "x.csv", [2])
    assert out.tolist() == [False]


@pytest.mark.parametrize("value", ["Maybe", "2", "knife", "Y/N", "-1"])
def test_other_values_are_refused_naming_file_row_column_and_value(value):
    values = pd.Series(["Y", "N", value], dtype="string")
    with pytest.raises(DataFileError) as err:
        F.parse_flag(values, "knife_crime", "extract.csv", [2, 3, 7])
    msg = str(err.value)
    assert "extract.csv, row 7" in msg
    assert "knife_crime" in msg and repr(value) in msg
    assert "What to do" in msg


def test_add_flags_mapped_unmapped_and_missing_column():
    raw = _raw(knife_crime=["Y", "", "n"], victim_id=[" V1 ", "", "V1"])
    df = pd.DataFrame(index=raw.index)
    cols = {"knife_crime": "Knife", "victim_id": "Victim"}
    out = F.add_extract_flags(df, raw, "e.csv", [2, 3, 4], cols)
    assert out["knife_crime"].tolist() == [True, False, False]
    assert out["firearm"].isna().all()  # not mapped: not supplied, not "no"
    assert out["victim_id"].tolist()[0] == "V1" and pd.isna(out["victim_id"].iloc[1])
    with pytest.raises(DataFileError, match=r"e.csv has no column 'Gun'.*columns.firearm"):
        F.add_extract_flags(pd.DataFrame(index=raw.index), raw, "e.csv", [2, 3, 4],
                            {**cols, "firearm": "Gun"})  # fmt: skip


# --------------------------------------------------------------------------- the survey

HEADER = "period,question,respondents,satisfied\n"


def test_survey_parses_with_comments_and_blank_lines():
    text = "# comment\n" + HEADER + '\n2022-01,Overall,400,300\n# x\n2022-01,"DA, victims",90,81\n'
    t = SV.parse_victim_survey(text, "s.csv")
    assert t["question"].tolist() == ["Overall", "DA, victims"]
    assert t["line"].tolist() == [4, 6]  # the file's own line numbers
    assert t["pct_satisfied"].tolist() == [75.0, 90.0]


@pytest.mark.parametrize(
    ("line", "pattern"),
    [
        ("2022-13,Overall,400,300", r"line 2: the period is '2022-13'"),
        ("2022-01,,400,300", r"line 2: the question is empty"),
        ("2022-01,Overall,41.5,3", r"line 2: respondents is '41.5', not a whole number"),
        ("2022-01,Overall,0,0", r"line 2: respondents is 0"),
        ("2022-01,Overall,80,90", r"line 2: satisfied \(90\) is more than respondents \(80\)"),
        ("2022-01,Overall,80", r"line 2: has 3 value\(s\), not 4"),
        ("2022-01,Overall,80,75%", r"line 2: satisfied is '75%'"),
    ],
)
def test_bad_survey_lines_are_named(line, pattern):
    with pytest.raises(DataFileError, match=pattern):
        SV.parse_victim_survey(HEADER + line + "\n", "s.csv")


def test_bad_header_duplicate_and_empty_file():
    with pytest.raises(DataFileError, match=r"line 1: the header is .*lacks satisfied"):
        SV.parse_victim_survey("period,question,respondents\n", "s.csv")
    with pytest.raises(DataFileError, match=r"'score' is not a survey column"):
        SV.parse_victim_survey("period,question,respondents,satisfied,score\n", "s.csv")
    with pytest.raises(DataFileError, match=r"line 3: .*already given on line 2"):
        SV.parse_victim_survey(HEADER + "2022-01,Overall,9,3\n2022-01,overall,9,4\n", "s.csv")
    with pytest.raises(DataFileError, match="is empty"):
        SV.parse_victim_survey("# only a comment\n", "s.csv")
    with pytest.raises(DataFileError, match="does not exist"):
        SV.read_victim_survey("/nonexistent/survey.csv")


def test_template_is_valid_and_never_overwrites(tmp_path):
    p = SV.write_survey_template(tmp_path / "s.csv")
    assert SV.read_victim_survey(p).empty
    with pytest.raises(OutputError, match="never written over"):
        SV.write_survey_template(p)


_cell = st.one_of(
    st.sampled_from(
        [
            "2022-01",
            "2022-13",
            "22-01",
            "",
            "Overall",
            "0",
            "5",
            "400",
            "-3",
            "1.5",
            "ten",
            " 7 ",
            '"a,b"',
            "1e3",
            "\u00a0",
            "٣",
        ]
    ),  # fmt: skip
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
        max_size=8,
    ),  # fmt: skip
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_cell, min_size=2, max_size=6), min_size=1, max_size=5))
def test_fuzzed_survey_rows_parse_cleanly_or_name_their_line(rows):
    text = HEADER + "".join(",".join(r) + "\n" for r in rows)
    try:
        t = SV.parse_victim_survey(text, "fuzz.csv")
    except DataFileError as exc:
        m = re.search(r"fuzz\.csv, line (\d+)", str(exc))
        assert m and 2 <= int(m.group(1)) <= len(rows) + 1, str(exc)
        return
    assert (t["respondents"] > 0).all()
    assert ((t["satisfied"] >= 0) & (t["satisfied"] <= t["respondents"])).all()
    assert t["period"].str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])").all()
    assert t["pct_satisfied"].between(0, 100).all()
    key = list(zip(t["period"], t["question"].str.casefold(), strict=True))
    assert len(key) == len(set(key))  # one row per period and question


# --------------------------------------------------------------------------- through cleaning

from test_cleaning import E0, N0, area, write_csv  # noqa: E402, F401  (the hand-built area)

from helpers.core.config import load_area_config  # noqa: E402
from helpers.ingest.cleaning import run_cleaning  # noqa: E402

EXTRACT_HEADER = ["Ref", "Date", "HO", "LSOA", "E", "N", "Knife", "Gun", "Victim"]


def _with_extract(tmp, rows, columns="knife_crime: Knife, firearm: Gun, victim_id: Victim"):
    write_csv(tmp / "raw" / "extract.csv", EXTRACT_HEADER, rows)
    cfg = tmp / "test.yaml"
    text = cfg.read_text()
    text += (
        f"  force_extract:\n    path: {tmp / 'raw' / 'extract.csv'}\n"
        f"    columns: {{offence_id: Ref, date: Date, ho_code: HO, lsoa_code: LSOA, easting: E, "
        f"northing: N, {columns}}}\n"
    )
    cfg.write_text(text)
    return load_area_config(str(cfg))


def test_cleaning_keeps_the_flags_and_victims(area):  # noqa: F811 (the fixture)
    tmp, _ = area
    rows = [
        ["R1", "2022-01-05", "8N", "L1", E0 + 500, N0 + 500, "Y", "No", "V1"],
        ["R2", "2022-01-06", "8N", "L1", E0 + 500, N0 + 500, "", "yes", "V1"],
        ["R3", "2022-02-07", "92A", "L2", E0 + 1500, N0 + 500, "n", "", ""],
    ]
    cfg = _with_extract(tmp, rows)
    res = run_cleaning(cfg, "2022-02", out_dir=tmp / "out", check_future=False)
    ex = res.tables["extract"].set_index("offence_id")
    assert ex["knife_crime"].tolist() == [True, False, False]
    assert ex["firearm"].tolist() == [False, True, False]
    assert ex.loc["R1", "victim_id"] == "V1" and pd.isna(ex.loc["R3", "victim_id"])
    back = pd.read_parquet(tmp / "out" / "extract.parquet").set_index("offence_id")
    assert back["knife_crime"].tolist() == [True, False, False]


def test_cleaning_refuses_a_flag_it_cannot_read(area):  # noqa: F811
    tmp, _ = area
    rows = [
        ["R1", "2022-01-05", "8N", "L1", E0 + 500, N0 + 500, "Y", "No", "V1"],
        ["R2", "2022-01-06", "8N", "L1", E0 + 500, N0 + 500, "Y", "Perhaps", "V2"],
    ]
    cfg = _with_extract(tmp, rows)
    with pytest.raises(
        DataFileError, match=r"extract.csv, row 3: the firearm flag \(firearm\) is 'Perhaps'"
    ):
        run_cleaning(cfg, "2022-02", out_dir=tmp / "out", check_future=False)


def test_cleaning_without_the_columns_leaves_them_missing(area):  # noqa: F811
    tmp, _ = area
    rows = [["R1", "2022-01-05", "8N", "L1", E0 + 500, N0 + 500, "Y", "No", "V1"]]
    cfg = _with_extract(tmp, rows, columns="hour: Hour")
    res = run_cleaning(cfg, "2022-02", out_dir=tmp / "out", check_future=False)
    ex = res.tables["extract"]
    assert ex["knife_crime"].isna().all() and ex["victim_id"].isna().all()
