"""Ward briefings: one page per ward, counts that match street.parquet, suppression that holds."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.report import briefings as br

AREA, PERIOD = "wexley", "2022-03"
CURRENT = [
    f"{y}-{m:02d}" for y, m in [(2021, m) for m in range(4, 13)] + [(2022, 1), (2022, 2), (2022, 3)]
]
PREVIOUS = [
    f"{y}-{m:02d}" for y, m in [(2020, m) for m in range(4, 13)] + [(2021, 1), (2021, 2), (2021, 3)]
]
THRESHOLD = 5  # config/wexley.yaml analysis.disclosure_threshold


# ------------------------------------------------------------------ complementary suppression


def test_one_hidden_cell_in_a_published_sum_gets_a_partner():
    values = pd.DataFrame({"a": [3, 40, 50], "b": [20, 30, 60]}, index=["w1", "w2", "w3"])
    hidden = values < 5
    groups = [[(w, "a"), (w, "b")] for w in values.index] + [
        [(w, c) for w in values.index] for c in values.columns
    ]
    out = br.complementary_suppression(values, hidden, groups)
    # w1/a is small: its row partner w1/b and its column partner w2/a are hidden, then w2/b
    # (so that row w2 does not give away w2/a) — four cells, no sum with a single hidden cell.
    assert out.to_dict() == {
        "a": {"w1": True, "w2": True, "w3": False},
        "b": {"w1": True, "w2": True, "w3": False},
    }
    assert not hidden.loc["w2", "a"]  # the input is not changed


def test_a_partner_printed_elsewhere_is_not_chosen():
    values = pd.DataFrame({"a": [3], "b": [10], "c": [99]}, index=["w1"])
    groups = [[("w1", "a"), ("w1", "b"), ("w1", "c")]]
    out = br.complementary_suppression(values, values < 5, groups, pinned={("w1", "b")})
    assert out.loc["w1"].tolist() == [True, False, True]


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 6).flatmap(
        lambda n: st.tuples(
            st.lists(st.lists(st.integers(0, 30), min_size=4, max_size=4), min_size=n, max_size=n),
            st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, 3)), max_size=4),
        )
    )
)
def test_no_published_sum_is_left_with_exactly_one_hidden_cell(case):
    rows, pinned_ix = case
    values = pd.DataFrame(rows, columns=list("abcd"), index=[f"w{i}" for i in range(len(rows))])
    primary = values < 5
    groups = [[(w, c) for c in values.columns] for w in values.index] + [
        [(w, c) for w in values.index] for c in values.columns
    ]
    pinned = {(values.index[i], values.columns[j]) for i, j in pinned_ix}
    pinned -= {c for g in groups for c in g if primary.at[c]}  # a pinned cell is a shown cell
    out = br.complementary_suppression(values, primary, groups, pinned)
    assert (out | ~primary).all().all(), "every primary cell stays hidden"
    for g in groups:
        hid = [c for c in g if out.at[c]]
        if len(hid) == 1:  # only allowed when every other cell is printed elsewhere
            assert all(c in pinned for c in g if c not in hid)


def test_ordinals_and_short_text():
    assert [br.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 30)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "30th"
    ]  # fmt: skip
    assert br._short("a b c", 10) == "a b c"
    assert br._short("alpha beta gamma delta", 12) == "alpha beta…"


# ------------------------------------------------------------------ on the sample


@pytest.fixture(scope="module")
def street(processed_sample):
    cols = ["month", "crime_type", "ward_code"]
    return pd.read_parquet(processed_sample / "street.parquet", columns=cols)


@pytest.fixture(scope="module")
def ward_names(repo, processed_sample):
    """Ward code -> name from the raw boundary file, read with the json module."""
    raw = processed_sample.parents[3] / "data" / "raw" / "wexley"  # the module's project
    gj = json.loads((raw / "wards.geojson").read_text("utf-8"))
    return {f["properties"]["ward_code"]: f["properties"]["ward_name"] for f in gj["features"]}


@pytest.fixture(scope="module")
def briefings_pdf(processed_sample, tmp_path_factory):
    folder = tmp_path_factory.mktemp("briefings")  # no stage 04 tables here
    pdf = br.build_ward_briefings(AREA, PERIOD, folder=folder)
    assert pdf == folder / "ward_briefings.pdf"
    assert (folder / "tables" / "ward_briefings.csv").is_file()
    return pdf


@pytest.fixture(scope="module")
def pdf_pages(briefings_pdf):
    from pypdf import PdfReader

    return [p.extract_text() for p in PdfReader(briefings_pdf).pages]


def test_every_word_on_a_briefing_is_at_least_9_pt(briefings_pdf):
    """The print minimum the pack keeps (tests/test_pdf_reports.py), on every briefing page:
    running heads, the kicker and the "How to read this page" notes included."""
    import pdfplumber

    with pdfplumber.open(briefings_pdf) as doc:
        small = {
            (i + 1, round(c["size"], 1))
            for i, page in enumerate(doc.pages)
            for c in page.chars
            if c["text"].strip() and c.get("upright", True) and c["size"] < 8.95
        }
    assert not small, f"text under 9 pt (page, size): {sorted(small)[:8]}"


def _row(page: str, label: str) -> list[str]:
    """The cells after ``label`` on its line of the page's table."""
    for line in page.splitlines():
        if line.startswith(label + " ") and re.match(r"^[\d,*]", line[len(label) + 1 :]):
            rest = line[len(label) + 1 :].split()
            return rest
    raise AssertionError(f"no table row for {label!r}")


@pytest.mark.slow
def test_one_page_per_ward_each_naming_its_ward(pdf_pages, ward_names):
    assert len(pdf_pages) == len(ward_names) == 30
    titles = [p.splitlines()[1] for p in pdf_pages]
    assert titles == sorted(ward_names.values())


@pytest.mark.slow
def test_page_counts_equal_an_independent_count_and_small_cells_stay_hidden(
    pdf_pages, street, ward_names
):
    by_name = {v: k for k, v in ward_names.items()}
    types = sorted(set(street["crime_type"].astype(str)))
    cur = street[street["month"].astype(str).isin(CURRENT)]
    prev = street[street["month"].astype(str).isin(PREVIOUS)]
    n_cur = cur.groupby(["ward_code", "crime_type"], observed=True).size()
    n_prev = prev.groupby(["ward_code", "crime_type"], observed=True).size()
    checked = hidden = 0
    for page in pdf_pages:
        code = by_name[page.splitlines()[1]]
        for t in types:
            cells = _row(page, t)
            c, p = int(n_cur.get((code, t), 0)), int(n_prev.get((code, t), 0))
            if c < THRESHOLD:
                assert cells[:4] == ["*"] * 4, (code, t, cells)  # count, rate, rank, change
                hidden += 1
            elif cells[0] != "*":  # not a complementary cell: the count printed is the count
                assert int(cells[0].replace(",", "")) == c, (code, t, cells)
                checked += 1
            if p < THRESHOLD:
                assert cells[3] == "*", (code, t, "change reveals a small count last year")
        total = int(
            cur[(cur["ward_code"] == code) & (cur["crime_type"] != "Anti-social behaviour")].shape[
                0
            ]
        )
        assert int(_row(page, "All crime")[0].replace(",", "")) == total
        assert f"{total:,} crimes were recorded in" in page.replace("\n", " ")
        assert (
            "in April 2021 to March 2022." in page.replace("\n", " ")
            or "in April 2021 to March 2022," in page.replace("\n", " ")
            or "in April 2021 to March 2022 (" in page.replace("\n", " ")
        )
    assert checked > 200 and hidden > 10  # both kinds of cell were really tested


@pytest.mark.slow
def test_hidden_cells_cannot_be_worked_out_from_the_ward_total(pdf_pages, street, ward_names):
    types = [t for t in set(street["crime_type"].astype(str)) if t != "Anti-social behaviour"]
    for page in pdf_pages:
        stars = [t for t in types if _row(page, t)[0] == "*"]
        assert len(stars) != 1, (page.splitlines()[1], stars)


@pytest.mark.slow
def test_pages_read_as_plain_english(pdf_pages):
    text = "\n".join(pdf_pages)
    for bad in ("_", "E0599", ".parquet", ".csv", "None", "nan", "NaN", "Traceback", "{", "}"):
        assert bad not in text, bad
    castle = next(p for p in pdf_pages if p.splitlines()[1] == "Castle")
    flat = castle.replace("\n", " ")
    assert "Operation Lantern" in flat and "Night-time economy street marshals" in flat
    assert "Hot-spot analysis was not available for this period" in flat
    thornton = next(p for p in pdf_pages if p.splitlines()[1] == "Thornton").replace("\n", " ")
    assert "The partnership reported no initiatives in this ward for this period" in thornton
    assert "SYNTHETIC DATA" in castle


@pytest.mark.slow
def test_significance_words_follow_the_test(processed_sample, tmp_path, street):
    """Recompute one ward's all-crime test with scipy and Benjamini–Hochberg by hand."""
    from scipy.stats import binomtest

    d = br.briefing_data(AREA, PERIOD, folder=tmp_path)
    crimes = street[street["crime_type"] != "Anti-social behaviour"]
    c = crimes[crimes["month"].isin(CURRENT)].groupby("ward_code").size()
    b = crimes[crimes["month"].isin(PREVIOUS)].groupby("ward_code").size()
    codes = sorted(d.wards["ward_code"])
    p = np.array([binomtest(int(c[w]), int(c[w] + b[w]), 0.5).pvalue for w in codes])
    order = np.argsort(p)
    q = np.empty_like(p)
    q[order] = np.minimum.accumulate((p[order] * len(p) / np.arange(1, len(p) + 1))[::-1])[::-1]
    for w, qw in zip(codes, np.minimum(q, 1), strict=True):
        words = br.significance_words(d, w, "All crime")
        expected = (
            "No significant change"
            if qw > 0.05
            else ("Significant rise" if c[w] > b[w] else "Significant fall")
        )
        assert words == expected, w


@pytest.mark.slow
def test_stage_tables_give_hot_spots_and_their_suppression_carries_over(processed_sample, tmp_path):
    d0 = br.briefing_data(AREA, PERIOD, folder=tmp_path)
    codes = list(d0.wards["ward_code"])
    names = dict(zip(d0.wards["ward_code"], d0.wards["ward_name"], strict=True))
    tables = tmp_path / "tables"
    tables.mkdir()
    spot = ["Hot spot" if w == codes[0] else "Not significant" for w in codes]
    pd.DataFrame({"ward_code": codes, "ward_name": [names[w] for w in codes], "spot": spot}).to_csv(
        tables / "04_ward_hotspots__gistar_all_crime.csv", index=False
    )
    # the pack hid ward 2's burglary count: the briefing must hide it too
    burg = [float(d0.current.at[w, "Burglary"]) for w in codes]
    burg[1] = np.nan
    pd.DataFrame({"ward_code": codes, "burglary": burg}).to_csv(
        tables / "04_ward_hotspots__ward_counts_rates.csv", index=False
    )
    d = br.briefing_data(AREA, PERIOD, folder=tmp_path)
    assert d.current_hidden.at[codes[1], "Burglary"]
    # ...and it has a partner in that ward's published sums, so it cannot be recovered
    assert d.current_hidden.loc[codes[1], d.types[: d.types.index("All crime")]].sum() >= 2
    assert br.spot_sentence(d, codes[0], names[codes[0]]).startswith(
        f"{names[codes[0]]} is a hot spot for all crime"
    )
    assert "not a hot spot" in br.spot_sentence(d, codes[2], names[codes[2]])


@pytest.mark.slow
def test_same_figures_as_stage_04_publishes(processed_sample, repo):
    """One value per measure: where the pack's ward tables print a figure, the briefing agrees.

    Stage 04's published tables are the sample's frozen ground truth (tests/ground_truth/,
    checked against a fresh run by tests/test_published_tables.py), so this runs in a fresh
    clone without a make report first."""
    folder = repo / "tests" / "ground_truth" / AREA / PERIOD
    assert (folder / "tables" / "04_ward_hotspots__change_all_crime.csv").is_file()
    d = br.briefing_data(AREA, PERIOD, folder=folder)
    for key, row in br.STAGE_MEASURES.items():
        ch = pd.read_csv(
            folder / "tables" / f"04_ward_hotspots__change_{key}.csv", dtype={"ward_code": str}
        )
        for r in ch.itertuples():
            assert d.significant(r.ward_code, row) == bool(r.significant), (key, r.ward_code)
            if not pd.isna(r.current):  # printed by the pack: hidden here only as a partner cell
                assert (
                    d.current_hidden.at[r.ward_code, row]
                    or int(r.current) == d.current.at[r.ward_code, row]
                )
            else:
                assert d.current_hidden.at[r.ward_code, row], (key, r.ward_code)
            if pd.isna(r.change):
                assert d.change_hidden.at[r.ward_code, row], (key, r.ward_code)


def test_without_an_earlier_year_no_change_is_claimed(processed_sample, tmp_path, monkeypatch):
    """A first year of data: every change reads 'No earlier year to compare', never a test."""
    real = br._processed_for_briefings  # the briefings' read of the processed data

    def first_year_only(area, period):
        data = real(area, period)
        data.street = data.street[data.street["month"].astype(str) >= "2021-04"]
        return data

    monkeypatch.setattr(br, "_processed_for_briefings", first_year_only)
    d = br.briefing_data(AREA, PERIOD, folder=tmp_path)
    assert not d.has_previous
    w = d.wards["ward_code"].iloc[0]
    name = d.wards["ward_name"].iloc[0]
    assert {br.significance_words(d, w, t) for t in d.types} == {br.NO_PREVIOUS}
    assert {br.change_cell(d, w, t) for t in d.types} == {"–"}
    assert "year before" not in " ".join(br.lead_sentences(d, w, name))
    assert br.published_table(d)["change"].isna().all()


def test_every_p_value_is_the_cells_own_exact_test(processed_sample, tmp_path):
    """The grouped pass gives each ward and crime type the p-value of its own two counts."""
    from scipy.stats import binomtest

    d = br.briefing_data(AREA, PERIOD, folder=tmp_path)
    for w in d.wards["ward_code"]:
        for t in d.types:
            c, b = int(d.current.at[w, t]), int(d.previous.at[w, t])
            expected = 1.0 if c + b == 0 else min(binomtest(c, c + b, 0.5).pvalue, 1.0)
            assert d.p.at[w, t] == pytest.approx(expected, rel=1e-12), (w, t)


def test_trend_chart_text_is_real_text_at_the_print_minimum(processed_sample, tmp_path):
    """Chart text is text (searchable, measurable), not glyph outlines, at 9 pt printed size,
    whatever matplotlib settings the process had before."""
    import base64

    import matplotlib as mpl

    d = br.briefing_data(AREA, PERIOD, folder=tmp_path)
    ward = d.wards["ward_code"].iloc[0]
    with mpl.rc_context({"svg.fonttype": "path"}):  # a fresh process's default
        chart = br.trend_chart(d, ward, "Ward")
    svg = base64.b64decode(chart[0].split(",", 1)[1]).decode()
    assert "<text" in svg and 'id="DejaVuSans-' not in svg  # no glyph outlines
    sizes = [float(s) for s in re.findall(r"font-size: *([\d.]+)px", svg)]
    # SVG px at 72 per inch = pt at the figure's 7.2 in; printed at 182 mm (7.165 in)
    assert sizes and min(sizes) * (182 / 25.4) / 7.2 >= 8.95
    assert chart[1].startswith("Line chart of ")


def test_briefings_read_the_same_processed_data_as_load_processed(processed_sample):
    """The briefings' narrow read gives the street and ward columns load_processed gives."""
    from helpers.ingest.processed import load_processed

    full = load_processed(AREA, PERIOD)
    narrow = br._processed_for_briefings(AREA, PERIOD)
    cols = ["month", "crime_type", "ward_code"]
    pd.testing.assert_frame_equal(narrow.street[cols], full.street[cols])
    cols = ["ward_code", "ward_name", "population"]
    pd.testing.assert_frame_equal(
        narrow.wards[cols].reset_index(drop=True),
        pd.DataFrame(full.wards.drop(columns="geometry"))[cols].reset_index(drop=True),
    )
    assert narrow.synthetic == full.synthetic and narrow.manifest == full.manifest
