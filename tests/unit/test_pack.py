"""The panel pack as a committee paper, built from hand-made stage outputs (tests/pack_support).

Expected values are worked out here from the invented inputs (scipy for the baseline test),
never read back from the pack's own code.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import pack_support as ps  # noqa: E402

from helpers.report import pack, paper  # noqa: E402


@pytest.fixture()
def scratch(tmp_path, monkeypatch):
    monkeypatch.setenv("CSP_SCRUTINY_ROOT", str(tmp_path))
    return ps.make_outputs(tmp_path)


@pytest.fixture()
def outputs(scratch):
    return paper.Outputs.read(scratch)


def _text(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["style", "script", "title", "meta"]):
        tag.decompose()
    return soup.get_text(" ", strip=True)


def test_tiles_six_to_eight_with_marker_in_words(outputs):
    tiles = paper.tiles(outputs)
    assert 6 <= len(tiles) <= 8
    by = {t.label: t for t in tiles}
    allc = by["All recorded crime"]
    assert allc.count == "11,000"
    assert allc.year_change.startswith("+10.0%") and allc.year_marker == "Significant rise"
    # baseline: 11,000 against 10,400, exact conditional binomial test, computed here
    p = stats.binomtest(11000, 11000 + 10400, 0.5).pvalue
    assert allc.base_change.startswith(f"{(11000 - 10400) / 10400 * 100:+.1f}%")
    assert allc.base_marker == ("Significant rise" if p < 0.05 else "No significant change")
    asb = by["Anti-social behaviour incidents"]
    assert asb.year_marker == "Significant fall" and asb.base_change == "No baseline figure"
    # the largest significant group change not already shown gets the last tile
    assert tiles[-1].label in {"Robbery", "Public order offences"}
    for t in tiles:
        assert t.year_marker in {
            "Significant rise",
            "Significant fall",
            "No significant change",
            "Too few to test",
        }


def test_baseline_marker_matches_scipy_for_each_group(outputs):
    for r in paper.overview_rows(outputs):
        b = ps.BASELINE.get(r["Measure"])
        if b is None:
            continue
        cur = r["This year"]
        p = stats.binomtest(int(cur), int(cur + b), 0.5).pvalue
        want = (
            "No significant change"
            if p >= 0.05
            else ("Significant rise" if cur > b else "Significant fall")
        )
        assert r["Significant on baseline?"] == want, r["Measure"]


def test_three_findings_and_three_questions_from_the_figures(outputs):
    matters = paper.what_matters(outputs, "Testshire", "the pre-COVID baseline")
    assert len(matters) == 3
    assert "10.0%" in matters[0] and "11,000" in matters[0] and "similar partnerships" in matters[0]
    assert "41.8%" in matters[1] and "32.6%" in matters[1]
    assert "Castle" in matters[2] and "36.0%" in matters[2]
    qs = paper.questions(outputs)
    assert len(qs) == 3 and all(q.endswith("?") for q in qs)
    # largest significant rise by count: violence (+600) beats public order (+200)
    assert "violence against the person" in qs[0] and "4,000 to 4,600" in qs[0]
    assert "Castle" in qs[1]  # the ward with the largest significant rise
    assert qs[2].startswith("Anti-social behaviour fell by 33.3%")


def test_ward_change_table_marks_significance_and_suppression(outputs):
    rows, any_sup = paper.ward_change_rows(outputs)
    by = {r["Ward"]: r for r in rows}
    assert len(rows) == len(ps.WARDS) and any_sup
    assert by["Castle"]["All crime"] == f"{300 / 600 * 100:+.1f}% ▲"
    assert by["Riverside"]["All crime"] == f"{-90 / 590 * 100:+.1f}% ▼"
    assert by["Abbey"]["Burglary"] == "*"  # suppressed count: its change is not shown either
    assert by["Abbey"]["All crime"] == f"{20 / 380 * 100:+.1f}%"  # not significant: no mark


def test_priority_matrix_ranks_and_hot_spots(outputs):
    rows = paper.priority_matrix(outputs)
    castle = next(r for r in rows if r["Ward"] == "Castle")
    assert castle["All crime"] == "1" and castle["Hot spot for"] == "all crime"
    assert castle["Measures in top ten"] == "5"


def test_committee_cover_and_no_git_commit(scratch):
    html = pack.panel_pack_html(ps.AREA, ps.PERIOD)
    soup = BeautifulSoup(html, "html.parser")
    cover = soup.select_one(".cover").get_text(" ", strip=True)
    for want in [
        "Community Safety Scrutiny Panel",
        "5 July 2022",
        "Jo Bloggs, Community Safety Analyst",
        "jo.bloggs@testshire.example",
        "Purpose",
    ]:
        assert want in cover, want
    assert not re.search(r"\bgit\b|\bcommit\b", cover, flags=re.I) and "csp-scrutiny" not in cover
    assert soup.html["lang"] == "en-GB" and soup.title.get_text(strip=True)


@pytest.mark.parametrize("edition", ["print", "web"])
def test_plain_english_no_repeats_glossary(scratch, edition):
    html = pack.panel_pack_html(ps.AREA, ps.PERIOD, edition=edition)
    text = _text(html)
    assert ps.developer_strings(text) == []
    assert ps.repeated_sentences(text) == []
    glossary = " ".join(pack.GLOSSARY).lower()
    for term in ps.TECHNICAL_TERMS:
        if term.lower() in text.lower().split("glossary", 1)[0]:
            assert term.lower().rstrip("*") in glossary, f"{term} is used but not in the glossary"


def test_map_alt_text_names_the_top_wards(scratch):
    html = pack.panel_pack_html(ps.AREA, ps.PERIOD)
    soup = BeautifulSoup(html, "html.parser")
    alts = [img.get("alt", "") for img in soup.select("figure.maps img")]
    assert alts, "no ward maps"
    # the highest all-crime rate: Castle 900 / 6,000 residents = 150.0 per 1,000
    assert "All crime: highest in Castle (150.0)" in alts[0]


def test_web_edition_has_skip_link_and_landmarks(scratch):
    soup = BeautifulSoup(pack.panel_pack_html(ps.AREA, ps.PERIOD, edition="web"), "html.parser")
    target = soup.select_one("a.skip-link")["href"]
    assert target == "#at-a-glance" and soup.select_one(target) is not None
    assert soup.find("main") is not None and soup.find("nav") is not None
    assert all(th.get("scope") for th in soup.select("thead th"))


@pytest.mark.parametrize("large_print", [False, True])
def test_web_edition_from_print_edition_is_the_rendered_web_edition(scratch, large_print):
    # the web edition rendered on its own, against the one build_panel_pack derives from the
    # print edition (timestamps aside: each render reads the clock)
    def same_clock(html):
        return re.sub(r'content="\d{4}-\d\d-\d\dT[^"]*"', 'content="T"', html)

    direct = pack.panel_pack_html(ps.AREA, ps.PERIOD, edition="web", large_print=large_print)
    shared: dict = {}
    printed = pack.panel_pack_html(ps.AREA, ps.PERIOD, large_print=large_print, shared=shared)
    derived = pack.panel_pack_html(
        ps.AREA, ps.PERIOD, edition="web", large_print=large_print, shared=shared
    )
    assert same_clock(derived) == same_clock(direct)
    assert derived != printed and derived.count('class="skip-link"') == 1
    with pytest.raises(ValueError):
        pack.web_edition("<html><body></body></html>")


def test_large_print_sets_12pt(scratch):
    html = pack.panel_pack_html(ps.AREA, ps.PERIOD, large_print=True)
    assert 'class="pack print large-print"' in html
    assert re.search(r"html\.pack\.large-print\s*\{\s*font-size:\s*12pt", html)


def test_stage_outputs_missing_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CSP_SCRUTINY_ROOT", str(tmp_path))
    from helpers.core.errors import OutputError

    with pytest.raises(OutputError, match="manifest.json does not exist"):
        pack.panel_pack_html(ps.AREA, ps.PERIOD)


@pytest.mark.slow
def test_build_writes_pdf_html_and_manifest(scratch):
    pypdf = pytest.importorskip("pypdf")
    pdfplumber = pytest.importorskip("pdfplumber")
    pdf = pack.build_panel_pack(ps.AREA, ps.PERIOD)
    assert pdf.name == "panel_pack.pdf"
    assert (pdf.parent / "panel_pack.html").exists()
    manifest = json.loads((pdf.parent / "panel_pack_manifest.json").read_text())
    assert manifest["inputs"][0]["sha256"] == "0" * 64 and "pack" in manifest
    reader = pypdf.PdfReader(pdf)
    assert reader.trailer["/Root"]["/Lang"] == "en-GB" and reader.metadata.title
    text = "\n".join(p.extract_text() or "" for p in reader.pages)
    assert ps.developer_strings(text) == []
    with pdfplumber.open(pdf) as doc:
        sizes = [  # rotated chart labels report no true size, so upright text only
            round(c["size"], 1)
            for page in doc.pages
            for c in page.chars
            if c["text"].strip() and c.get("upright", True)
        ]
    assert min(sizes) >= 8.95, f"text below 9 pt: {min(sizes)}"
    body = max(set(sizes), key=sizes.count)
    assert body >= 11.0, f"body text is {body} pt"
