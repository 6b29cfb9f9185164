"""The pack's Localities section, from hand-made stage outputs (tests/pack_support) plus
hand-made locality tables; expected percentages are worked out here from the invented counts."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import pack_support as ps  # noqa: E402

from helpers.report import localities as RL  # noqa: E402
from helpers.report import pack  # noqa: E402

KEY = [
    {"locality": "Town", "defined_by": "12 wards listed", "all_crime_previous": 1000,
     "all_crime_current": 1100, "all_crime_change": 100, "all_crime_pct_change": 10.0,
     "all_crime_significant": True, "all_crime_baseline": 1250, "baseline_pct_change": -12.0,
     "largest_group": "Theft offences", "largest_group_share": 40.0,
     "summary": "**Town.** Recorded crime increased by 10.0% during the 12 months to March 2022."},
    {"locality": "Hamlet", "defined_by": "the other 2 wards of the area", "all_crime_previous": 12,
     "all_crime_current": 15, "all_crime_change": 3, "all_crime_pct_change": "",
     "all_crime_significant": False, "all_crime_baseline": 30, "baseline_pct_change": "",
     "largest_group": "Robbery", "largest_group_share": "",
     "summary": "**Hamlet.** Recorded crime rose from 12 to 15 during the 12 months to March 2022."},
]  # fmt: skip
LONG = [
    {"locality": loc, "level": lv, "label": lab, "group": "", "baseline": b, "previous": p, "current": c}
    for loc, lv, lab, b, p, c in [
        ("Town", "total", "All crime", 1250, 1000, 1100),
        ("Town", "group", "Theft offences", 500, 400, 440),
        ("Town", "group", "Robbery", 750, 600, 660),
        ("Hamlet", "total", "All crime", 30, 12, 15),
        ("Hamlet", "group", "Robbery", 30, 12, 15),
    ]
]  # fmt: skip


@pytest.fixture()
def scratch(tmp_path, monkeypatch):
    monkeypatch.setenv("CSP_SCRUTINY_ROOT", str(tmp_path))
    return ps.make_outputs(tmp_path)


def _with_localities(folder: Path) -> None:
    ps._write_csv(folder / "tables" / "02_crime_group_variance__localities_key.csv", KEY)
    ps._write_csv(folder / "tables" / "02_crime_group_variance__localities.csv", LONG)


def _section(html: str):
    soup = BeautifulSoup(html, "html.parser")
    return soup.find("section", attrs={"aria-label": "Localities"}), soup


def test_without_localities_the_section_is_left_out_and_the_appendix_says_so(scratch):
    html = pack.panel_pack_html(ps.AREA, ps.PERIOD)
    sec, soup = _section(html)
    assert sec is None
    assert RL.NONE_CONFIGURED in soup.get_text(" ")


def test_localities_section_chart_table_and_small_numbers(scratch):
    _with_localities(scratch)
    html = pack.panel_pack_html(ps.AREA, ps.PERIOD)
    sec, soup = _section(html)
    assert sec is not None and sec.find("h1").get_text(strip=True).endswith("Localities")
    img = sec.find("img")
    assert img["src"].startswith("data:image/svg+xml;base64,")
    assert "Town 1,100 crimes this year against 1,000 last year" in img["alt"]
    rows = {
        tr.find_all(["td", "th"])[0].get_text(strip=True): [c.get_text(strip=True) for c in tr.find_all(["td", "th"])]
        for tr in sec.find("table").find_all("tr")[1:]
    }  # fmt: skip
    town, hamlet = rows["Town"], rows["Hamlet"]
    assert town[1:4] == ["1,100", "1,000", f"{(1100 - 1000) / 1000 * 100:+.1f}%"]
    assert town[6] == f"{(1100 - 1250) / 1250 * 100:+.1f}%"
    assert town[7] == "Theft offences (40.0%)"
    # fewer than 20 crimes in a year: no percentage anywhere for Hamlet
    assert hamlet[3] in ("–", "-", "") and hamlet[6] in ("–", "-", "")
    assert "%" not in " ".join(hamlet)
    text = sec.get_text(" ")
    assert "Recorded crime rose from 12 to 15" in text
    assert "Localities configured for this area: Town: 12 wards listed" in soup.get_text(" ")
    assert ps.developer_strings(text) == []
    assert not re.search(r"\bnan\b|None", text)
