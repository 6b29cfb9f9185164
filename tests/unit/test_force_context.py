"""National and force context: the Home Office police force area table, rates, rank, sentence."""

from __future__ import annotations

import csv
from collections import defaultdict

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from helpers.core.errors import DataFileError, ParameterError
from helpers.ingest import force_context as fc
from helpers.report.force_context import force_context_html, force_context_sentence
from helpers.sample import wexley as sample


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    out = tmp_path_factory.mktemp("national")
    sample.write_synthetic_national(out)
    return out


def _independent_rates(folder, quarters, year):
    """Rates per 1,000 with the csv module: sum the four quarters, mid-year population."""
    counts = defaultdict(int)
    seen = defaultdict(set)
    with open(folder / "prc-pfa-synthetic.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    start = next(i for i, r in enumerate(rows) if r and r[0] == "Financial Year")
    for r in rows[start + 1 :]:
        fy, q, force, n = r[0], int(r[1]), r[2], int(r[7])
        if (fy, q) in quarters and force not in ("British Transport Police", "Action Fraud"):
            counts[force] += n
            seen[force].add((fy, q))
    pops = {}
    with open(folder / "population_by_force.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if int(r["year"]) == year:
                pops[r["force_name"]] = int(r["population"])
    rates = {f: counts[f] / pops[f] * 1000 for f in counts if len(seen[f]) == 4}
    ew = sum(counts[f] for f in rates) / sum(pops[f] for f in rates) * 1000
    return rates, ew


def test_quarters_making_up_twelve_months():
    assert fc.quarters_ending("2019-12") == [
        ("2018/19", 4), ("2019/20", 1), ("2019/20", 2), ("2019/20", 3)
    ]  # fmt: skip
    assert fc.quarters_ending("2020-03") == [("2019/20", q) for q in (1, 2, 3, 4)]
    with pytest.raises(ParameterError, match="quarter end"):
        fc.quarters_ending("2020-02")


@pytest.mark.parametrize(
    ("period", "year"), [("2019-12", 2019), ("2020-03", 2019), ("2022-03", 2021)]
)
def test_rates_rank_and_england_and_wales_match_an_independent_sum(national, period, year):
    table = fc.read_home_office_pfa(national / "prc-pfa-synthetic.csv")
    pop = fc.read_force_population(national / "population_by_force.csv")
    r = fc.force_rates(table, pop, period)
    rates, ew = _independent_rates(national, set(fc.quarters_ending(period)), year)
    assert r.population_year == year
    assert dict(zip(r.table["force_name"], r.table["rate"], strict=True)) == pytest.approx(rates)
    assert r.ew_rate == pytest.approx(ew)
    assert r.left_out == ["Action Fraud", "British Transport Police"]
    by_rate = sorted(rates, key=rates.get)
    assert list(r.table["force_name"]) == by_rate and list(r.table["rank"]) == list(range(1, 13))


def test_sentence_reads_like_the_seed(national):
    r = fc.force_rates(
        fc.read_home_office_pfa(national / "prc-pfa-synthetic.csv"),
        fc.read_force_population(national / "population_by_force.csv"),
        "2019-12",
    )
    rates, ew = _independent_rates(national, set(fc.quarters_ending("2019-12")), 2019)
    hi, lo = max(rates, key=rates.get), min(rates, key=rates.get)
    rank = sorted(rates, key=rates.get).index("Wexshire Police") + 1
    s = force_context_sentence(r, "Wexshire Police", "Wexley", 95.24)
    assert s.startswith(
        f"In the 12 months to December 2019 the recorded crime rate for England and Wales was "
        f"{ew:.1f} per 1,000 residents, ranging from {hi} at {rates[hi]:.1f} to {lo} at "
        f"{rates[lo]:.1f}; the figure for Wexshire Police was {rates['Wexshire Police']:.1f}"
    )
    assert f"the {rank}th lowest of 12 forces" in s and s.endswith("Wexley's rate was 95.2.")
    soup = BeautifulSoup(force_context_html(r, "Wexshire Police", "Wexley", 95.24), "html.parser")
    cells = [[td.text for td in tr.find_all("td")] for tr in soup.tbody.find_all("tr")]
    assert cells[0][:3] == ["England and Wales", f"{r.ew_count:,}", f"{ew:.1f}"]
    assert cells[-1][0] == "Wexley" and cells[-1][2] == "95.2"
    text = soup.get_text(" ")
    assert "_" not in text and "Excludes fraud and British Transport Police" in text
    with pytest.raises(DataFileError, match="no rates for 'Nowhere Police'"):
        force_context_sentence(r, "Nowhere Police")


def test_no_table_is_said_plainly():
    html = force_context_html(None, "Wexshire Police")
    assert "No national police force area table was supplied" in html


def test_spreadsheet_as_published_reads_like_the_csv(national, tmp_path):
    csv_rows = fc.read_home_office_pfa(national / "prc-pfa-synthetic.csv")
    path = tmp_path / "prc-pfa.xlsx"
    header = ["Financial Year", "Financial Quarter", "Force Name", "Offence Description",
              "Offence Group", "Offence Subgroup", "Offence Code", "Offence count"]  # fmt: skip
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        pd.DataFrame([["Notes"], ["Title line"]]).to_excel(
            xl, sheet_name="Notes", header=False, index=False
        )
        for fy, part in csv_rows.groupby("financial_year"):
            body = [[r.financial_year, r.quarter, r.force_name, r.offence_group, r.offence_group,
                     None, None, r.count] for r in part.itertuples()]  # fmt: skip
            pad = [None] * (len(header) - 1)
            sheet = pd.DataFrame([["Police recorded crime", *pad], [None, *pad], header, *body])
            sheet.to_excel(xl, sheet_name=fy.replace("/", "_"), header=False, index=False)
    xl_rows = fc.read_home_office_pfa(path)
    cols = ["financial_year", "quarter", "force_name", "count"]
    assert xl_rows[cols].reset_index(drop=True).equals(csv_rows[cols].reset_index(drop=True))
    assert xl_rows["source_row"].iloc[0] == 4  # title, blank, header: first data row is row 4


def test_bad_rows_and_files_are_named(national, tmp_path):
    text = (national / "prc-pfa-synthetic.csv").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(text) if line.startswith("Financial Year"))
    bad = text.copy()
    bad[start + 3] = bad[start + 3].rsplit(",", 1)[0] + ",lots"
    p = tmp_path / "bad.csv"
    p.write_text("\n".join(bad) + "\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=rf"bad.csv, row {start + 4}: the count is 'lots'"):
        fc.read_home_office_pfa(p)
    p.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="no header row with a 'Force Name' column"):
        fc.read_home_office_pfa(p)
    with pytest.raises(DataFileError, match="does not exist"):
        fc.read_home_office_pfa(tmp_path / "absent.csv")
    table = fc.read_home_office_pfa(national / "prc-pfa-synthetic.csv")
    pop = fc.read_force_population(national / "population_by_force.csv")
    with pytest.raises(DataFileError, match="no rows for the 12 months to March 2030"):
        fc.force_rates(table, pop, "2030-03")
    # a force missing a quarter is left out of the rates and named
    gap = table[~((table["force_name"] == "Fenmoor Constabulary") & (table["quarter"] == 2))]
    r = fc.force_rates(gap, pop, "2020-03")
    assert "Fenmoor Constabulary" in r.left_out and "Fenmoor Constabulary" not in set(
        r.table["force_name"]
    )


def test_csp_rate_uses_the_same_quarters_and_mid_year():
    counts = pd.DataFrame(
        {
            "financial_year": ["2018/19", "2019/20", "2019/20", "2019/20", "2019/20"],
            "quarter": [4, 1, 2, 3, 4],
            "csp_name": ["A"] * 5,
            "count": [10, 20, 30, 40, 1000],
        }
    )
    pop = pd.DataFrame({"csp_name": ["A", "A"], "year": [2019, 2020], "population": [1000, 5000]})
    assert fc.csp_rate(counts, pop, "A", "2019-12") == pytest.approx(100.0)  # (10+20+30+40)/1000
    assert fc.csp_rate(counts, pop, "A", "2019-06") is None  # 2018/19 Q2, Q3 missing
    assert fc.csp_rate(counts, pop, "B", "2019-12") is None


def test_area_section_for_the_sample(processed_sample):
    from helpers.report.force_context import area_force_context_section

    html = area_force_context_section("wexley", "2022-03")
    text = BeautifulSoup(html, "html.parser").get_text(" ")
    assert "In the 12 months to March 2022 the recorded crime rate for England and Wales" in text
    assert "Wexshire Police was" in text and "Wexley's rate was" in text


def test_area_rate_is_the_one_stage_02_prints(processed_sample, repo):
    """One value per measure: the CSP rate beside England and Wales equals stage 02's.

    Stage 02's published MSG table is the sample's frozen ground truth (tests/ground_truth/,
    checked against a fresh run by tests/test_published_tables.py)."""
    table = repo / "tests" / "ground_truth" / "wexley" / "2022-03" / "tables"
    table = table / "02_crime_group_variance__msg.csv"
    from helpers.core.config import load_area_config

    cfg = load_area_config("wexley")
    data = pd.read_parquet(processed_sample / "csp_counts.parquet")
    pop = pd.read_parquet(processed_sample / "csp_population.parquet")
    with table.open(newline="", encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh) if r["crime_type"] == "All crime")
    assert fc.csp_rate(data, pop, cfg.csp_name, "2022-03") == pytest.approx(float(row["rate"]))


def test_same_figures_from_a_national_police_uk_download(tmp_path, capsys):
    """police.uk street files -> scrutiny clean-national -> every force's rate and rank."""
    from helpers.run.cli import main
    from helpers.sample import national as national_sample

    src = tmp_path / "police_uk"
    national_sample.generate_national(src, rows=30_000, forces=3, months=13)  # 2019-04..2020-04
    out = tmp_path / "out"
    assert (
        main(["clean-national", "--source", str(src), "--out", str(out), "--period", "2020-04"])
        == 0
    )
    capsys.readouterr()
    street = pd.read_parquet(out / "street.parquet")
    forces = sorted(set(street["falls_within"].astype(str)))
    pop = pd.DataFrame(
        {"force_name": forces, "year": [2019] * 3, "population": [900_000, 1_500_000, 2_000_000]}
    )
    r = fc.force_rates_from_street(out / "street.parquet", pop, "2020-03")  # 2019-04..2020-03
    months = {f"2019-{m:02d}" for m in range(4, 13)} | {"2020-01", "2020-02", "2020-03"}
    crimes = street[street["month"].astype(str).isin(months) & ~street["is_asb"].astype(bool)]
    expected = crimes.groupby(crimes["falls_within"].astype(str)).size()
    got = dict(zip(r.table["force_name"], r.table["count"], strict=True))
    assert got == expected.to_dict()
    assert r.ew_count == len(crimes) and r.ew_population == 4_400_000 and r.left_out == []
    # a force with a month missing is left out and named
    gap = street[
        ~((street["falls_within"].astype(str) == forces[0]) & (street["month"] == "2019-07"))
    ]
    r2 = fc.force_rates_from_street(gap, pop, "2020-03")
    assert r2.left_out == [forces[0]] and forces[0] not in set(r2.table["force_name"])
