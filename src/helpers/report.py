"""Export executed notebooks to PDF: nbconvert HTML (code hidden) → weasyprint.

This is the route the panel PDFs take. LaTeX is not used (it needs a TeX install and mangles
DataFrames). weasyprint needs the Pango system library (Debian/Ubuntu: ``libpango-1.0-0``
and ``libpangoft2-1.0-0``), which ``make setup`` installs where it can.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from .errors import OutputError
from .io import atomic_path

BASE_CSS = """
@page { size: A4; margin: 18mm 16mm 20mm 16mm;
  @top-center { content: string(doctitle); font-size: 8pt; color: #555; }
  @bottom-left { content: string(banner); font-size: 8pt; color: #B00; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 8pt; color: #555; } }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10pt; line-height: 1.35; }
h1 { string-set: doctitle content(); font-size: 18pt; color: #0B3D6B; }
.banner { string-set: banner content(); }
table.report-table { border-collapse: collapse; margin: 6pt 0; font-size: 8.5pt; page-break-inside: avoid; }
table.report-table th, table.report-table td { border-bottom: 0.5pt solid #bbb; padding: 2pt 5pt; }
table.report-table th { background: #E8EEF4; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.txt, th.txt { text-align: left; }
caption { caption-side: top; text-align: left; font-weight: bold; padding-bottom: 3pt; }
img, svg { max-width: 100%; height: auto; }
.jp-InputPrompt, .jp-OutputPrompt, .prompt, .anchor-link { display: none !important; }
"""


def notebook_to_html(nb_path: Path, title: str | None = None, banner: str | None = None) -> str:
    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:  # hide code, keep markdown (exclude_input would hide markdown too)
        if cell.cell_type == "code":
            cell.metadata.setdefault("transient", {})["remove_source"] = True
    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.exclude_output_stdin = True
    body, _ = exporter.from_notebook_node(nb)
    head_extra = f"<style>{BASE_CSS}</style>"
    if banner:
        head_extra += f'<div class="banner">{banner}</div>'
    return body.replace("</head>", head_extra + "</head>", 1)


def html_to_pdf(html: str, pdf_path: Path, base_url: str | None = None) -> Path:
    try:
        from weasyprint import HTML
    except OSError as exc:  # Pango missing
        raise OutputError(f"weasyprint cannot start: {exc}.",
                          "Install Pango: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0") from exc
    with atomic_path(pdf_path) as tmp:
        HTML(string=html, base_url=base_url).write_pdf(tmp)
    return pdf_path


def export_pdf(nb_path: Path, pdf_path: Path, title: str | None = None, synthetic: bool = False) -> Path:
    """Executed notebook → PDF with code hidden."""
    banner = "SYNTHETIC DATA — not real crime figures" if synthetic else None
    html = notebook_to_html(Path(nb_path), title, banner)
    return html_to_pdf(html, Path(pdf_path), base_url=str(Path(nb_path).parent))
