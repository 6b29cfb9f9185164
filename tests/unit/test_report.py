"""Panel HTML export on a hand-built notebook: code hidden, reprs gone, numbering, alt text."""

from __future__ import annotations

import base64

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from helpers.present import charts
from helpers.present.tables import show_table
from helpers.report import export as report

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100">'
    '<rect width="200" height="100" fill="#0072B2"/></svg>'
)


def make_notebook():
    table_html = show_table(
        __import__("pandas").DataFrame({"Ward": ["North"], "Crimes": [1234]}),
        caption="Crimes by ward",
    ).to_html()
    nb = new_notebook()
    nb.metadata["papermill"] = {"parameters": {"area": "wexley", "period": "2022-03"}}
    nb.cells = [
        new_markdown_cell("# Test stage\n\nIntro *prose*."),
        new_code_cell(
            'area: str = "nowhere"  # area\nperiod: str = "2020-01"  # period',
            metadata={"tags": ["parameters"]},
        ),
        new_markdown_cell("## First section\n\nText.\n\n### A detail"),
        new_code_cell(
            "import secret_module\nshow_table(df)",
            outputs=[
                new_output("stream", name="stdout", text="debug print 42\n"),
                new_output("stream", name="stderr", text="FutureWarning: blah\n"),
                new_output(
                    "execute_result",
                    data={"text/html": table_html, "text/plain": "Crimes by ward"},
                    execution_count=3,
                ),
            ],
        ),
        new_markdown_cell("## Second section"),
        new_code_cell(
            "fig, ax = plt.subplots()",
            outputs=[
                new_output(
                    "execute_result",
                    data={"text/plain": "<Figure size 800x450 with 1 Axes>"},
                    execution_count=4,
                ),
                new_output(
                    "execute_result",
                    data={"text/plain": "[<matplotlib.lines.Line2D at 0x7f3a2b>]"},
                    execution_count=5,
                ),
                new_output(
                    "display_data",
                    data={"image/svg+xml": SVG, "text/plain": "<Figure size 800x450 with 1 Axes>"},
                    metadata={"image/svg+xml": {"alt": "Bar chart of crimes by ward"}},
                ),
                new_output(
                    "display_data",
                    data={
                        "text/markdown": "Crime **rose** by 5.0%.",
                        "text/plain": "<IPython.core.display.Markdown object>",
                    },
                ),
            ],
        ),
        new_code_cell(
            "hidden()",
            outputs=[new_output("display_data", data={"text/html": "<p>secret output</p>"})],
            metadata={"tags": ["remove-output"]},
        ),
    ]
    return nb


@pytest.fixture(scope="module")
def html():
    exporter = report.PanelHTMLExporter()
    out, _ = exporter.from_notebook_node(make_notebook(), {"metadata": {"name": "99_test"}})
    return out


def test_code_and_reprs_removed(html):
    text = BeautifulSoup(html, "html.parser").get_text(" ")
    for bad in [
        "secret_module",
        "show_table(",
        "plt.subplots",
        "debug print",
        "FutureWarning",
        "<Figure",
        "Line2D",
        "0x7f3a2b",
        "IPython.core",
        "secret output",
        "In [",
        "Out[",
    ]:
        assert bad not in text and bad not in html.replace(SVG, ""), bad
    assert report.contains_repr(text) == []


def test_markdown_kept_and_headings_numbered(html):
    soup = BeautifulSoup(html, "html.parser")
    heads = [h.get_text(" ", strip=True) for h in soup.select("main h2, main h3")]
    assert heads == ["1 First section", "1.1 A detail", "2 Second section"]
    assert soup.select_one("main h1").get_text(strip=True) == "Test stage"
    assert "prose" in soup.get_text()
    assert "Crime rose by 5.0%." in soup.get_text(" ", strip=True).replace("  ", " ")
    toc = [a.get_text() for a in soup.select("nav.contents a")]
    assert toc == heads
    assert all(soup.find(id=a["href"][1:]) for a in soup.select("nav.contents a"))


def test_tables_and_figures_numbered_with_alt(html):
    soup = BeautifulSoup(html, "html.parser")
    cap = soup.select_one("main table caption").get_text(" ", strip=True)
    assert cap.startswith("Table 1") and "Crimes by ward" in cap
    fig = soup.select_one("figure.chart")
    assert fig.find("img")["alt"] == "Bar chart of crimes by ward"
    assert fig.find("img")["src"].startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(fig.find("img")["src"].split(",", 1)[1]).decode() == SVG
    assert fig.figcaption.get_text() == "Figure 1. Bar chart of crimes by ward"


def test_document_title_language_cover(html):
    soup = BeautifulSoup(html, "html.parser")
    assert soup.html["lang"] == "en-GB"
    assert soup.title.get_text().startswith("Test stage — ")
    cover = soup.select_one("section.cover").get_text(" ", strip=True)
    assert "Test stage" in cover and "April 2021 to March 2022" in cover  # papermill period wins
    assert f"csp-scrutiny {report.__version__}" in cover
    # wexley config says synthetic: the banner is shown even though nobody asked for it
    assert "SYNTHETIC DATA" in cover


def test_no_banner_for_unknown_real_area():
    nb = make_notebook()
    nb.metadata["papermill"]["parameters"]["area"] = "not-a-configured-area"
    out, _ = report.PanelHTMLExporter().from_notebook_node(nb)
    assert "SYNTHETIC DATA" not in out
    out, _ = report.PanelHTMLExporter(synthetic=True).from_notebook_node(nb)
    assert "SYNTHETIC DATA" in out


def test_parameters_from_cells_when_not_papermill():
    nb = make_notebook()
    del nb.metadata["papermill"]
    assert report.notebook_parameters(nb) == {"area": "nowhere", "period": "2020-01"}


def test_wide_tables_get_smaller_type_or_landscape():
    import pandas as pd

    narrow = show_table(pd.DataFrame({"a": [1], "b": [2]})).to_html()
    wide = show_table(pd.DataFrame({f"Column {i}": [123456] for i in range(9)})).to_html()
    huge = show_table(pd.DataFrame({f"Column {i}": [123456] for i in range(14)})).to_html()
    page = f"<html><body><main>{narrow}{wide}{huge}</main></body></html>"
    soup = BeautifulSoup(report.finish_html(page), "html.parser")
    wraps = [w["class"] for w in soup.select("div.table-wrap")]
    assert wraps == [["table-wrap"], ["table-wrap", "wide"], ["table-wrap", "very-wide"]]
    assert [c.b.get_text() for c in soup.select("caption")] == ["Table 1", "Table 2", "Table 3"]


def test_chart_alt_text_in_output_metadata():
    fig, ax = charts.plt.subplots()
    ax.set_title("Crimes per month")
    assert charts.alt_text(fig) == "Crimes per month"  # fallback: the axes title
    charts.finish(fig, alt="Line chart of crimes per month")
    svg, md = charts._svg_with_alt(fig)
    assert md == {"alt": "Line chart of crimes per month"}
    assert "<svg" in svg
    charts.plt.close(fig)


def test_missing_notebook_is_output_error(tmp_path):
    from helpers.core.errors import OutputError

    with pytest.raises(OutputError, match="does not exist"):
        report.export_pdf(tmp_path / "nope.ipynb", tmp_path / "nope.pdf")


def test_pdf_is_a4_tagged_with_title(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    path = tmp_path / "99_test.ipynb"
    nbformat.write(make_notebook(), path)
    pdf = report.export_pdf(path, tmp_path / "99_test.pdf")
    r = pypdf.PdfReader(pdf)
    box = r.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    assert r.metadata.title.startswith("Test stage")
    assert r.trailer["/Root"]["/Lang"] == "en-GB"
    assert "/StructTreeRoot" in r.trailer["/Root"]  # tagged PDF
    text = "\n".join(p.extract_text() for p in r.pages)
    assert "Page 2 of" in text and "Bar chart of crimes by ward" in text and "1,234" in text


def test_entry_point_registered():
    from nbconvert.exporters import get_exporter

    assert get_exporter("panelpdf") is report.PanelPDFExporter


@pytest.mark.parametrize(
    ("text", "is_repr"),
    [
        ("<pre>&lt;Figure size 800x450 with 1 Axes&gt;</pre>", True),
        ("<pre>&#60;matplotlib.lines.Line2D at 0x7f3a2b&#62;</pre>", True),
        ("<pre>&#x3C;Axes: &#x3E;</pre>", True),
        ("<pre><_Thing at 0x1f></pre>", True),  # "<_" is text to an HTML parser
        ("<pre>&lt;b&gt; is a tag &lt;/b&gt;</pre>", False),
        ('<table class="report-table"><tr><td>Figure size 800x450</td></tr></table>', False),
        ("<p>1 &lt; 2 and 3 &gt; 2</p>", False),
    ],
)
def test_repr_html_recognised_with_or_without_a_reference(text, is_repr):
    # the expected answer is what a parse of every output gives (the check before the quick
    # test for a character reference)
    plain = BeautifulSoup(text, "html.parser").get_text(" ", strip=True)
    assert any(p.fullmatch(plain) for p in report.REPR_PATTERNS) == is_repr
    assert report._is_repr_html(text) == is_repr


def test_missing_alt_text_filled_as_nbconvert_does():
    html = '<main><figure class="chart"><img src="x.svg"></figure><img alt="" src="y.png"></main>'
    soup = BeautifulSoup(report.finish_html(html, missing_alt=report.NO_ALT), "html.parser")
    alts = [img.get("alt") for img in soup.find_all("img")]
    assert alts == ["No description has been provided for this image", ""]
    cap = soup.select_one("figure.chart figcaption").get_text(" ", strip=True)
    assert cap == "Figure 1. No description has been provided for this image"
    # without missing_alt the figure keeps its own fallback
    soup = BeautifulSoup(report.finish_html(html), "html.parser")
    assert soup.find("img")["alt"] == "Figure 1 (chart)"
