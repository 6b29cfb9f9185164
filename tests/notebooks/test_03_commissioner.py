"""The Commissioner's measures on the embedded sample: notebook 03 run by papermill, its saved
tables recomputed independently, and the panel pack's section read back with pdftotext.

The expected figures are worked out here with the csv module straight from the raw sample
files (``force_extract.csv``, ``lsoa_to_ward.csv``, ``population_by_csp.csv``,
``victim_survey.csv``): an offence is in the area when its LSOA is in the lookup (the sample's
lookup is Wexley's; offences just outside the town or with no location are not), the current,
previous and June-2019 baseline years are April 2021 to March 2022, April 2020 to March 2021 and
July 2018 to June 2019.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from helpers.core import paths

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "03_violence.ipynb"
AREA, PERIOD = "wexley", "2022-03"

pytestmark = pytest.mark.notebook


def _months(end: str) -> set[str]:
    return {str(p) for p in pd.period_range(end=pd.Period(end, freq="M"), periods=12, freq="M")}


WINDOWS = {"current": _months("2022-03"), "previous": _months("2021-03"), "baseline": _months("2019-06")}  # fmt: skip


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


@pytest.fixture(scope="module")
def run(project, tmp_path_factory):
    import papermill as pm

    out = tmp_path_factory.mktemp("nb") / "03_violence.ipynb"
    pm.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={"area": AREA, "period": PERIOD},
        kernel_name="python3",
        cwd=str(REPO / "notebooks"),
        progress_bar=False,
    )
    return {
        "nb": json.loads(out.read_text(encoding="utf-8")),
        "reports": paths.report_dir(AREA, PERIOD),
    }


@pytest.fixture(scope="module")
def expected(project):
    raw = paths.raw_dir() / AREA
    lsoas = {r["LSOA11CD"] for r in _csv(raw / "lsoa_to_ward.csv")}
    rows = [r for r in _csv(raw / "force_extract.csv") if r["LSOA Code"] in lsoas]
    out = {}
    for name, months in WINDOWS.items():
        sel = [r for r in rows if r["Committed Date"][:7] in months]
        out[name] = {
            "offences": len(sel),
            "victims": len({r["Victim Ref"] for r in sel if r["Victim Ref"].strip()}),
            "knife": sum(r["Knife Flag"].strip().upper() == "Y" for r in sel),
            "firearm": sum(r["Firearm Flag"].strip().lower() == "yes" for r in sel),
            "homicide": sum(r["Offence Subgroup"] == "Homicide" for r in sel),
            "sexual": sum(r["Offence Group"] == "Sexual offences" for r in sel),
        }
    pop = [r for r in _csv(raw / "population_by_csp.csv") if r["csp_name"] == "Wexley"]
    pop2021 = next(int(r["population"]) for r in pop if int(r["year"]) == 2021)
    out["rate"] = out["current"]["homicide"] / pop2021 * 1e6
    out["population"] = pop2021
    survey = [r for r in _csv(raw / "victim_survey.csv") if r["period"] == "2022-03"]
    overall = next(r for r in survey if r["question"] == "Overall satisfaction")
    out["satisfaction"] = int(overall["satisfied"]) / int(overall["respondents"]) * 100
    return out


def _table(run, name: str) -> pd.DataFrame:
    return pd.read_csv(run["reports"] / "tables" / f"03_violence__{name}.csv")


def test_offences_victims_knife_firearm_by_window(run, expected):
    t = _table(run, "commissioner_measures")
    by = {(r.measure if isinstance(r.measure, str) else ""): r for r in t.itertuples()}
    col = {"current": "current", "previous": "previous", "baseline": "baseline"}
    for window, c in col.items():
        e = expected[window]
        assert by["All crime"]._asdict()[c] == e["offences"], window
        assert by["All crime: different victims"]._asdict()[c] == e["victims"], window
        assert by["Knife or sharp instrument offences"]._asdict()[c] == e["knife"], window
        assert by["Firearm offences"]._asdict()[c] == e["firearm"], window
        assert by["Homicide"]._asdict()[c] == e["homicide"], window
        assert by["Sexual offences"]._asdict()[c] == e["sexual"], window
    # plausible sample: repeat victims, knife crime a few per cent of violence
    assert expected["current"]["victims"] < expected["current"]["offences"]
    # the small-number rule: homicide and firearm counts get no percentage
    assert pd.isna(by["Homicide"].pct_change) and by["Homicide"].significance == "Too few to test"


def test_homicide_rate_from_the_population_file(run, expected):
    h = _table(run, "commissioner_homicide").iloc[0]
    assert h["population"] == expected["population"] and h["population_year"] == 2021
    assert h["rate_per_million"] == pytest.approx(expected["rate"])
    assert h["national_rate_per_million"] == pytest.approx(11.5)  # config/wexley.yaml
    s = _table(run, "commissioner_satisfaction").set_index("question")
    assert s.loc["Overall satisfaction", "pct_satisfied"] == pytest.approx(expected["satisfaction"])
    assert pd.isna(
        s.loc["Hate crime victims: overall satisfaction", "pct_satisfied"]
    )  # 14 answered


def test_notebook_shows_the_sections_and_keys_the_numbers(run, expected):
    md = "\n".join(
        "".join(o.get("data", {}).get("text/markdown", ""))
        for c in run["nb"]["cells"]
        for o in c.get("outputs", [])
    )
    e = expected["current"]
    assert f"All crime: {e['offences']:,} offences against {e['victims']:,} different victims" in md
    assert f"{expected['rate']:,.1f} homicides per million residents" in md
    figures = json.loads((run["reports"] / "figures" / "03_violence.json").read_text("utf-8"))
    stats = {(m["measure"], m["statistic"]) for m in figures["measures"]}
    assert ("all_crime", "distinct_victims") in stats
    assert ("vap.homicide", "rate_per_million") in stats
    assert ("victim_satisfaction", "pct_satisfied") in stats
    assert "commissioner_measures" in figures["table_periods"]
    from helpers.report import reconcile

    assert reconcile.conflicts(reconcile.collect(run["reports"])) == {}


@pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed"
)
def test_pack_prints_the_section(run, expected, tmp_path):
    from helpers.report.pack import build_panel_pack

    pdf = build_panel_pack(AREA, PERIOD, out=tmp_path / "pack.pdf", web=False)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    assert "The Commissioner's measures" in text
    assert "this year, last year and the 12 months to June 2019" in flat
    # the table row (the name may wrap onto a second line, after the numbers)
    prev, cur, base = (expected[w]["knife"] for w in ("previous", "current", "baseline"))
    row = re.search(rf"Knife or sharp[a-z ]*? {prev:,} {cur:,} [+-]\S+ .{{0,80}}? {base:,} ", flat)
    at = flat.find("Knife or sharp instrument offences ")
    assert row, f"the knife crime row of the table, near: {flat[at - 200 : at + 300]}"
    assert f"{expected['rate']:,.1f} homicides per million residents" in flat
    assert "Overall satisfaction in the 12 months to March 2022" in flat
    for word in ("knife_crime", "victim_id", "sources.", "commissioner."):
        assert word not in text  # no developer language in print
