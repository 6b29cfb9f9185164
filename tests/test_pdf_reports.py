"""Render the sample's PDFs (every stage notebook in notebooks/, then the panel pack) and read them.

Each stage notebook is executed by papermill into a temporary folder (01 first: it writes the
processed data the others read), exported with helpers.report.export.export_pdf, and the panel pack is
built from those executed copies. Assertions are on the PDF text and pixels, generic for every
stage; the cleaning stage's key figures are checked against data/processed/.../ledger.parquet.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

pypdf = pytest.importorskip("pypdf")
pdfium = pytest.importorskip("pypdfium2")

import sys  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pack_support as ps  # noqa: E402

from helpers.core import paths  # noqa: E402
from helpers.report.export import export_pdf  # noqa: E402
from helpers.report.pack import build_panel_pack  # noqa: E402

pytestmark = [pytest.mark.notebook, pytest.mark.slow]
AREA, PERIOD = "wexley", "2022-03"
A4 = (595, 842)
CODE_OR_REPR = [
    r"<Figure size",
    r"\bat 0x[0-9a-f]+",
    r"<matplotlib\.",
    r"\bimport \w",
    r"^\s*def \w+\(",
    r"show_table\(",
    r"display\(",
    r"save_stage_outputs",
    r"Traceback",
    r"\bIn \[\d*\]:",
    r"\bOut\[\d+\]:",
    r"Markdown object",
    r"dtype:",
    r"\bNaN\b",
    r"\bNone\b",
]


@pytest.fixture(scope="module")
def rendered(project, tmp_path_factory):
    import papermill as pm

    out = tmp_path_factory.mktemp("pdf_reports")
    nbs = sorted(paths.notebooks_dir().glob("[0-9][0-9]_*.ipynb"))
    assert nbs, "no stage notebooks found"
    pdfs = {}
    for nb in nbs:
        target = out / nb.name
        pm.execute_notebook(
            str(nb),
            str(target),
            parameters={"area": AREA, "period": PERIOD},
            kernel_name="python3",
            cwd=str(nb.parent),
            progress_bar=False,
        )
        pdfs[nb.stem] = export_pdf(target, target.with_suffix(".pdf"))
    pack = build_panel_pack(AREA, PERIOD, folder=out)
    return {"stages": pdfs, "pack": pack}


def pdf_text(path: Path) -> list[str]:
    return [p.extract_text() or "" for p in pypdf.PdfReader(path).pages]


def all_pdfs(rendered):
    return [*rendered["stages"].values(), rendered["pack"]]


def test_every_stage_rendered(rendered):
    expected = {p.stem for p in paths.notebooks_dir().glob("[0-9][0-9]_*.ipynb")}
    assert set(rendered["stages"]) == expected
    assert rendered["pack"].name == "panel_pack.pdf"


def test_a4_pages(rendered):
    for pdf in all_pdfs(rendered):
        for page in pypdf.PdfReader(pdf).pages:
            size = sorted((round(float(page.mediabox.width)), round(float(page.mediabox.height))))
            assert tuple(size) == A4, f"{pdf.name}: page is {size}, not A4"


def test_no_code_or_python_reprs(rendered):
    for pdf in all_pdfs(rendered):
        for n, text in enumerate(pdf_text(pdf), start=1):
            for pattern in CODE_OR_REPR:
                m = re.search(pattern, text, flags=re.M)
                assert m is None, (
                    f"{pdf.name} page {n}: {m.group(0)!r} in {text[max(0, m.start() - 80) : m.end() + 80]!r}"
                )


def test_page_numbers_and_banner_on_every_page(rendered):
    for pdf in all_pdfs(rendered):
        pages = pdf_text(pdf)
        assert "SYNTHETIC DATA" in pages[0], f"{pdf.name}: no banner on the cover"
        for n, text in enumerate(pages[1:], start=2):
            assert f"Page {n} of {len(pages)}" in text, f"{pdf.name} page {n}: no page number"
            assert "SYNTHETIC DATA — not real crime figures" in text, (
                f"{pdf.name} page {n}: no banner"
            )


def test_cover_and_contents(rendered):
    from helpers import __version__

    for pdf in rendered["stages"].values():
        pages = pdf_text(pdf)
        assert "April 2021 to March 2022" in pages[0] and f"csp-scrutiny {__version__}" in pages[0]
        assert "Date produced" in pages[0] and "Code version" in pages[0]
        assert any(t.lstrip().startswith("Contents") for t in pages[1:8]), pdf.name
    for pdf in all_pdfs(rendered):
        r = pypdf.PdfReader(pdf)
        assert r.metadata.title and r.trailer["/Root"]["/Lang"] == "en-GB"


def test_pack_cover_is_a_committee_paper(rendered):
    cover = pdf_text(rendered["pack"])[0]
    for want in ["Committee", "Meeting date", "Report author", "Contact", "Purpose", "Contents"]:
        assert want in cover, want
    assert not re.search(r"\bgit\b|\bcommit\b", cover, flags=re.I)


def test_pack_cover_details_sit_below_its_contents_list(rendered):
    """The cover's details table follows the contents list on page 1, whole: pinned to the page
    foot it once sat on top of a contents list that had grown, and clipped rows were lost."""
    import pdfplumber

    with pdfplumber.open(rendered["pack"]) as doc:
        words = doc.pages[0].extract_words()
    tops = {w["text"]: w["top"] for w in words}
    assert {"Committee", "Meeting", "Contact", "Reporting", "produced"} <= set(tops)
    last_entry = max(w["bottom"] for w in words if w["text"].startswith("Appendix"))
    first_detail = min(tops[k] for k in ("Committee", "Meeting", "Contact", "Reporting"))
    assert first_detail > last_entry + 2, (first_detail, last_entry)


def test_plain_english_in_every_pdf(rendered):
    for pdf in all_pdfs(rendered):
        for n, text in enumerate(pdf_text(pdf), start=1):
            found = ps.developer_strings(text)
            assert not found, f"{pdf.name} page {n}: " + "; ".join(found[:5])


def test_pack_says_nothing_twice_and_explains_its_terms(rendered):
    pages = pdf_text(rendered["pack"])
    text = "\n".join(pages)
    assert ps.repeated_sentences(text) == []
    glossary_at = max(i for i, t in enumerate(pages) if "Appendix C. Glossary" in t)
    glossary = " ".join(pages[glossary_at:]).lower()
    for term in ps.TECHNICAL_TERMS:
        if term.lower() in text.lower():
            assert term.lower().rstrip("*") in glossary, term


def test_pack_print_sizes_and_length(rendered):
    import pdfplumber

    pages = pdf_text(rendered["pack"])
    body_end = max(i for i, t in enumerate(pages) if "Appendix A. Methods and caveats" in t)
    assert body_end <= 16, f"main body is {body_end} pages (at most 16)"
    with pdfplumber.open(rendered["pack"]) as doc:
        sizes = [
            round(c["size"], 1)
            for page in doc.pages
            for c in page.chars
            if c["text"].strip() and c.get("upright", True)
        ]
    assert min(sizes) >= 8.95 and max(set(sizes), key=sizes.count) >= 11.0


def test_no_blank_pages(rendered):
    import numpy as np

    for pdf in all_pdfs(rendered):
        doc = pdfium.PdfDocument(str(pdf))
        for i in range(len(doc)):
            img = np.asarray(doc[i].render(scale=30 / 72).to_pil().convert("L"))
            inked = (img < 200).mean()
            assert inked > 0.002, f"{pdf.name} page {i + 1} is blank ({inked:.4%} inked)"
        doc.close()


def test_cleaning_figures_equal_processed_data(rendered):
    pdf = rendered["stages"].get("01_cleaning")
    if pdf is None:
        pytest.skip("no 01_cleaning notebook")
    text = "\n".join(pdf_text(pdf))
    ledger = pd.read_parquet(paths.processed_dir(AREA, PERIOD) / "ledger.parquet")
    totals = ledger.groupby(["table", "status"])["rows"].sum()
    for (table, status), rows in totals.items():
        if status in ("read", "kept") and rows >= 1000:
            assert f"{int(rows):,}" in text, (
                f"{table} {status} = {int(rows):,} missing from the PDF"
            )
    street = pd.read_parquet(
        paths.processed_dir(AREA, PERIOD) / "street.parquet", columns=["month"]
    )
    assert f"{len(street):,}" in text


def test_charts_are_svg_with_alt_text_and_numbered(rendered):
    import nbformat

    for name, pdf in rendered["stages"].items():
        nb = nbformat.read(pdf.with_suffix(".ipynb"), as_version=4)
        alts = []
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                kinds = [k for k in out.get("data", {}) if k.startswith("image/")]
                if kinds:  # charts go out as SVG (sharp in print), never PNG only
                    assert kinds == ["image/svg+xml"], f"{name}: chart output as {kinds}"
                    alts.append(out.get("metadata", {}).get("image/svg+xml", {}).get("alt", ""))
        assert all(alts), f"{name}: a chart has no alt text (charts.finish(fig, alt=...))"
        text = re.sub(r"\s+", " ", " ".join(pdf_text(pdf)))
        for n, alt in enumerate(alts, start=1):  # numbered caption = the alt text
            start = " ".join(alt.split())[:30]
            assert f"Figure {n}. {start}" in text, f"{name}: Figure {n}"


def test_pack_glance_appendix_and_manifest(rendered):
    pages = pdf_text(rendered["pack"])
    text = "\n".join(pages)
    glance = pages[1]
    assert glance.lstrip().startswith("At a glance")
    assert "What matters" in glance and "Questions the panel may wish to ask" in glance
    assert "At a glance" not in pages[2]  # one page
    for heading in [
        "Appendix A. Methods and caveats",
        "Appendix B. Data quality",
        "Appendix C. Glossary",
        "Appendix D. Sources and licences",
        "Appendix E. Run manifest",
        "Open Government Licence v3.0",
        "Action Fraud",
        "map points",
        "Small numbers",
    ]:
        assert heading in text, heading
    # the manifest is one line in print and a full file beside the PDF
    beside = json.loads((rendered["pack"].parent / "panel_pack_manifest.json").read_text())
    manifest = json.loads((paths.processed_dir(AREA, PERIOD) / "manifest.json").read_text())
    assert [i["sha256"] for i in beside["inputs"]] == [i["sha256"] for i in manifest["inputs"]]
    flat = re.sub(r"\s+", "", text)
    assert manifest["inputs"][0]["sha256"] not in flat
    assert f"from{len(manifest['inputs'])}inputfiles" in flat
    assert (rendered["pack"].parent / "panel_pack.html").exists()
    # the headline figures are the stages' own: all crime this year from the variance table
    import csv

    with open(
        paths.report_dir(AREA, PERIOD) / "tables" / "02_crime_group_variance__variance.csv",
        encoding="utf-8",
    ) as fh:
        allc = next(r for r in csv.DictReader(fh) if r["label"] == "All crime")
    assert f"{int(allc['current']):,}" in glance
