"""show_table: hand-worked formatting, alignment that beats JupyterLab CSS, suppression."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from hypothesis import given
from hypothesis import strategies as st

from helpers.core.errors import ParameterError
from helpers.present.tables import show_table


def cells(table):
    soup = BeautifulSoup(table.to_html(), "html.parser")
    return soup, [[td for td in tr.find_all("td")] for tr in soup.select("tbody tr")]


def test_formats_by_hand():
    df = pd.DataFrame(
        {
            "Group": ["Burglary", "Robbery"],
            "Count": [1234567, 12],
            "Share": [12.345, 87.655],
            "Change": [-4.56, 4.54],
            "Diff": [1234, -56],
            "Rate": [3.456, 0.1],
            "Dir": ["up", "down"],
        }
    )
    t = show_table(
        df,
        caption="Crimes",
        formats={
            "Share": "pct",
            "Change": "signed_pct",
            "Diff": "signed_int",
            "Rate": "rate",
            "Dir": "arrow",
        },
    )
    f = t.formatted()
    assert f.loc[0].tolist() == ["Burglary", "1,234,567", "12.3%", "-4.6%", "+1,234", "3.46", "▲"]
    assert f.loc[1].tolist() == ["Robbery", "12", "87.7%", "+4.5%", "-56", "0.10", "▼"]


def test_numbers_right_text_left_inline_style():
    t = show_table(pd.DataFrame({"Ward": ["A"], "Crimes": [5]}))
    soup, rows = cells(t)
    ward, crimes = rows[0]
    # inline style: JupyterLab's stylesheet right-aligns every cell; inline style wins
    assert "text-align:left" in ward["style"] and "txt" in ward["class"]
    assert "text-align:right" in crimes["style"] and "num" in crimes["class"]
    th = soup.select("thead th")
    assert "text-align:left" in th[0]["style"] and "text-align:right" in th[1]["style"]


def test_missing_and_bool():
    t = show_table(pd.DataFrame({"x": [np.nan, 2.0], "ok": [True, False]}))
    assert t.formatted()["x"].tolist() == ["–", "2.0"]
    assert t.formatted()["ok"].tolist() == ["yes", "no"]


def test_suppressed_value_never_shown_and_noted():
    df = pd.DataFrame({"Ward": ["A", "B"], "Crimes": [3, 987654]})
    mask = pd.DataFrame({"Ward": [False, False], "Crimes": [True, False]})
    t = show_table(df, caption="Wards", suppressed=mask)
    html = t.to_html()
    _, rows = cells(t)
    assert rows[0][1].get_text() == "*" and "suppressed" in rows[0][1]["class"]
    assert rows[1][1].get_text() == "987,654"
    assert ">3<" not in html
    assert "Suppressed" in html


def test_caption_and_note_escaped():
    t = show_table(pd.DataFrame({"a": [1]}), caption="A < B", note="x & y")
    html = t.to_html()
    assert "<caption>A &lt; B</caption>" in html and "x &amp; y" in html
    assert repr(t) == "A < B"  # plain-text fallback is the caption, never a DataFrame repr


def test_unknown_format_is_a_clear_error():
    with pytest.raises(ParameterError, match="percent"):
        show_table(pd.DataFrame({"a": [1]}), formats={"a": "percent"})


def test_index_dropped_and_row_count_kept():
    df = pd.DataFrame({"a": [1, 2, 3]}, index=[10, 20, 30])
    _, rows = cells(show_table(df))
    assert len(rows) == 3


@given(st.lists(st.integers(min_value=-(10**12), max_value=10**12), min_size=1, max_size=20))
def test_int_format_round_trips(values):
    f = show_table(pd.DataFrame({"n": values})).formatted()["n"]
    assert [int(s.replace(",", "")) for s in f] == values
    assert all(re.fullmatch(r"-?\d{1,3}(,\d{3})*", s) for s in f)


@given(st.floats(min_value=-1000, max_value=1000, allow_nan=False))
def test_signed_pct_sign_matches_value(v):
    s = show_table(pd.DataFrame({"c": [v]}), formats={"c": "signed_pct"}).formatted()["c"][0]
    shown = float(s.rstrip("%"))
    assert abs(shown - v) <= 0.05 + 1e-9
    assert s.startswith("+") if shown > 0 else (s.startswith("-") if shown < 0 else s == "0.0%")


def test_tiny_shares_do_not_read_as_zero():
    import pandas as pd

    from helpers.present.tables import show_table

    html = show_table(
        pd.DataFrame({"Method": ["a", "b", "c"], "Share": [99.997, 0.003, 0.0]}),
        formats={"Share": "pct"},
    ).to_html()
    assert "100.0%" in html and "&lt;0.1%" in html and "0.0%" in html


def test_plain_text_removes_paths_plurals_and_identifiers():
    from helpers.present.tables import plain_text

    note = (
        "4 extract row(s) have Home Office offence code(s) not in the reference table: 5; "
        "add them to helpers/data/home_office_offence_codes.csv. See limit_method."
    )
    out = plain_text(note)
    assert out == (
        "4 extract rows have Home Office offence codes not in the reference table: 5; "
        "add them to the reference table. See limit method."
    )
    assert plain_text("police.uk data cover 2018-04 to 2022-03.") == (
        "police.uk data cover 2018-04 to 2022-03."
    )


def test_top_names_skips_suppressed_and_orders_by_value():
    from helpers.present.charts import top_names

    names = ["Abbey", "Castle", "Orchard", "Upton"]
    values = [12.0, float("nan"), 30.5, 7.25]
    assert top_names(values, names, n=2) == "Orchard (30.5) and Abbey (12.0)"
