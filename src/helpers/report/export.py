"""Panel-ready PDFs from executed notebooks: an nbconvert exporter, HTML template → weasyprint.

Councillors read only the PDFs, so the export hides every code cell, removes stream text and
plain-text Python reprs (``<Figure size ...>``, ``<matplotlib...>``), keeps the markdown narrative
and the rich outputs (tables from :func:`helpers.present.tables.show_table`, SVG charts from
:mod:`helpers.present.charts`, generated Markdown), and sets them in an A4 report: cover page, contents,
numbered headings, tables and figures, running header and footer with page numbers, and the
"synthetic data" banner wherever the area is synthetic.

Three ways in:

* ``jupyter nbconvert --to panelpdf reports/wexley/2022-03/01_cleaning.ipynb`` (entry point
  ``panelpdf`` → :class:`PanelPDFExporter`);
* :func:`export_pdf` (used by the batch runner);
* :func:`helpers.report.pack.build_panel_pack` for the committee paper, which reuses
  :func:`finish_html` and :func:`html_to_pdf` from here (this module never imports the pack).

weasyprint needs the Pango system library (Debian/Ubuntu: ``libpango-1.0-0`` and
``libpangoft2-1.0-0``). PDFs are written as PDF/UA-1 (tagged, with title and language) when
weasyprint supports it, and as plain tagged PDF otherwise.
"""

from __future__ import annotations

import ast
import copy
import datetime as _dt
import json
import re
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

import nbformat
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Unicode, default

from helpers import __version__
from helpers.core import paths
from helpers.core.errors import OutputError
from helpers.core.io import atomic_path

TEMPLATES_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "panelpdf"
CSS_PATH = TEMPLATES_DIR / TEMPLATE_NAME / "report.css"
#: The panel pack's own rules, used after CSS_PATH by the pack only (every selector needs the
#: pack's root class, so the stage reports and briefings are spared matching them).
PACK_CSS_PATH = TEMPLATES_DIR / TEMPLATE_NAME / "pack.css"
BANNER_TEXT = "SYNTHETIC DATA — not real crime figures"
LANG = "en-GB"
#: nbconvert's words for an image without alt text (its HTML exporter adds them).
NO_ALT = "No description has been provided for this image"

# Plain-text outputs that are Python object reprs, never reader content.
REPR_PATTERNS = [
    re.compile(r"<Figure size [^>]*>"),
    re.compile(r"<(matplotlib|seaborn|pandas|numpy|geopandas|helpers)\.[^>]*>"),
    re.compile(r"<[A-Za-z_][\w.]* (object )?at 0x[0-9a-fA-F]+>"),
    re.compile(r"<(Axes|AxesSubplot)\b[^>]*>"),
]
DROP_MIMETYPES = {
    "text/plain",
    "application/javascript",
    "application/vnd.jupyter.widget-view+json",
    "text/latex",
}
REMOVE_CELL_TAGS = {"remove-cell", "remove_cell", "hide-cell"}
REMOVE_OUTPUT_TAGS = {"remove-output", "remove_output", "hide-output"}


# --------------------------------------------------------------------------------------------
# Cleaning the notebook before rendering
# --------------------------------------------------------------------------------------------


class PanelOutputsPreprocessor(Preprocessor):
    """Keep what a councillor should read; drop everything that is code or a Python repr.

    * code cell sources are marked ``transient.remove_source`` (markdown stays — nbconvert's
      ``exclude_input`` would drop markdown too);
    * stream output (stdout, stderr, warnings) is removed;
    * ``text/plain`` is removed from rich outputs and outputs that are *only* plain text are
      removed: in a notebook that displays everything through show_table, charts and Markdown,
      a plain-text output is always a repr (``<Figure size 800x450 with 1 Axes>``, a list...);
    * cells tagged ``remove-cell`` vanish, cells tagged ``remove-output`` lose their outputs.
    """

    def preprocess(self, nb, resources):
        nb.cells = [
            c for c in nb.cells if not REMOVE_CELL_TAGS & set(c.get("metadata", {}).get("tags", []))
        ]
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        cell.metadata.setdefault("transient", {})["remove_source"] = True
        if REMOVE_OUTPUT_TAGS & set(cell.metadata.get("tags", [])):
            cell.outputs = []
            return cell, resources
        kept = []
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                continue
            if out.output_type in ("display_data", "execute_result"):
                data = {k: v for k, v in out.get("data", {}).items() if k not in DROP_MIMETYPES}
                if not data:
                    continue
                out.data = data
                if "text/html" in data and _is_repr_html(data["text/html"]):
                    continue
            kept.append(out)
        cell.outputs = kept
        return cell, resources


def _is_repr_html(text: str) -> bool:
    """An HTML output that is only an escaped Python repr (e.g. ``<pre>&lt;Figure ...&gt;</pre>``).

    Every repr pattern starts with ``<``, which the text of an HTML output can only hold as a
    character reference (a literal ``<`` followed by a letter opens a tag; ``<_`` stays text),
    so an output without one is never a repr and is not parsed (the tables are most of a
    report's HTML)."""
    lowered = text.lower()
    if "&lt" not in lowered and "&#" not in lowered and "<_" not in text:
        return False
    plain = BeautifulSoup(text, "html.parser").get_text(" ", strip=True)
    return bool(plain) and any(p.fullmatch(plain) for p in REPR_PATTERNS)


def contains_repr(text: str) -> list[str]:
    """Return the Python reprs found in ``text`` (used by tests and as a last check)."""
    found = []
    for pattern in REPR_PATTERNS:
        found += [m.group(0) for m in pattern.finditer(text)]
    return found


# --------------------------------------------------------------------------------------------
# Report context: area, period, title, synthetic, version, commit
# --------------------------------------------------------------------------------------------


def git_commit(root: Path | None = None) -> str:
    """Current commit of the project (12 characters, ``+changes`` if the tree is dirty)."""
    root = root or paths.project_root()
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return sha or "unknown"


def notebook_parameters(nb) -> dict[str, Any]:
    """Parameters the notebook ran with: papermill's record, else the parameter cells' literals."""
    params = dict(nb.metadata.get("papermill", {}).get("parameters", {}) or {})
    if params:
        return params
    for tag in ("parameters", "injected-parameters"):
        for cell in nb.cells:
            if cell.cell_type == "code" and tag in cell.metadata.get("tags", []):
                try:
                    tree = ast.parse(cell.source)
                except SyntaxError:
                    continue
                for node in tree.body:
                    target, value = None, None
                    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                        target, value = node.target.id, node.value
                    elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                        target, value = node.targets[0].id, node.value
                    if target and value is not None:
                        try:
                            params[target] = ast.literal_eval(value)
                        except ValueError:
                            pass
    return params


def notebook_title(nb, fallback: str) -> str:
    """The first level-1 markdown heading, else ``fallback``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+?)\s*#*\s*$", cell.source, flags=re.M)
            if m:
                return m.group(1).strip()
    return fallback


def area_context(area: str | None, period: str | None) -> dict[str, Any]:
    """Area name, period name and synthetic flag from the config and processed manifest."""
    ctx: dict[str, Any] = {
        "area": area or "",
        "area_name": area or "",
        "org": "",
        "period": period or "",
        "period_name": period or "",
        "synthetic": False,
    }
    if area:
        try:
            from helpers.core.config import load_area_config

            cfg = load_area_config(area)
            ctx.update(area=cfg.area, area_name=cfg.name, synthetic=bool(cfg.synthetic))
        except Exception:  # an unknown area still exports; the banner then depends on the manifest
            pass
    if period:
        try:
            from helpers.core.periods import ReportingPeriod

            ctx["period_name"] = ReportingPeriod(period).name
        except Exception:
            pass
    if area and period:
        try:
            manifest = json.loads(
                (paths.processed_dir(ctx["area"], period) / "manifest.json").read_text("utf-8")
            )
            if manifest.get("parameters", {}).get("synthetic"):
                ctx["synthetic"] = True
        except (OSError, ValueError, OutputError):
            pass
    ctx["org"] = ctx["area_name"] or "Community Safety Partnership"
    return ctx


def panel_context(
    nb,
    source_name: str = "",
    title: str | None = None,
    synthetic: bool | None = None,
    kind: str = "Crime and disorder scrutiny report",
) -> dict[str, Any]:
    """Everything the template needs besides the cells."""
    params = notebook_parameters(nb)
    ctx = area_context(params.get("area"), params.get("period"))
    # The banner cannot be switched off for synthetic data: config or manifest saying so wins.
    ctx["synthetic"] = bool(ctx["synthetic"] or synthetic)
    now = _dt.datetime.now().astimezone()
    doc_title = title or notebook_title(nb, Path(source_name).stem or "Report")
    ctx.update(
        title=doc_title,
        kind=kind,
        doc_title=f"{doc_title} — {ctx['area_name']}, {ctx['period_name']}".strip(" —,"),
        description=f"{kind}: {doc_title}. {ctx['area_name']}, {ctx['period_name']}."
        + (" Synthetic data." if ctx["synthetic"] else ""),
        runhead=f"{ctx['area_name']} · {doc_title}" if ctx["area_name"] else doc_title,
        produced=f"{now.day} {now:%B %Y}",
        produced_iso=now.isoformat(timespec="seconds"),
        version=__version__,
        commit=git_commit(),
        source_name=source_name,
        lang=LANG,
        css=CSS_PATH.read_text(encoding="utf-8"),
    )
    return ctx


# --------------------------------------------------------------------------------------------
# Numbering, contents, figure captions, table fitting
# --------------------------------------------------------------------------------------------


def _table_shape(table) -> tuple[int, int]:
    """(number of columns, estimated characters per row) of an HTML table."""
    ncols, widths = 0, {}
    for tr in table.find_all("tr"):
        cells = tr.find_all(["td", "th"], recursive=False)
        ncols = max(ncols, len(cells))
        for i, cell in enumerate(cells):
            text = cell.get_text(" ", strip=True)
            longest = max((len(w) for w in text.split()), default=0)
            # headers wrap at spaces; data cells mostly do not
            need = min(len(text), 28) if cell.name == "td" else max(longest, min(len(text), 14))
            widths[i] = max(widths.get(i, 0), need)
    return ncols, sum(widths.values()) + 2 * ncols


def finish_html(
    html: str,
    numbered_levels: tuple[int, ...] = (2, 3),
    toc_levels=(2, 3),
    missing_alt: str | None = None,
) -> str:
    """Number headings, tables and figures, fill the contents list and fit wide tables.

    ``numbered_levels`` are the heading levels that get section numbers (a stage report numbers
    h2 and h3; the panel pack numbers h1 = stage, h2 and h3). Headings inside the cover, the
    contents and elements with class ``nonumber`` are left alone. ``missing_alt``, when given,
    becomes the alt text of any image that has none (before figures are numbered).
    """
    soup = BeautifulSoup(html, "html.parser")
    for a in soup.select("a.anchor-link"):
        a.decompose()
    if missing_alt is not None:
        for img in soup.select("img:not([alt])"):
            img["alt"] = missing_alt
    main = soup.find("main") or soup.body or soup

    counters = [0] * 7
    toc = []
    used_ids: set[str] = set()
    for h in main.find_all(["h1", "h2", "h3", "h4"]):
        level = int(h.name[1])
        if "nonumber" in (h.get("class") or []) or h.find_parent(class_="nonumber"):
            label = None
        elif level in numbered_levels:
            counters[level] += 1
            for deeper in range(level + 1, 7):
                counters[deeper] = 0
            first = min(numbered_levels)
            label = ".".join(str(counters[x]) for x in range(first, level + 1))
        else:
            label = None
        base = re.sub(r"[^a-z0-9]+", "-", h.get_text(" ", strip=True).lower()).strip("-")[:50]
        hid = f"s-{label.replace('.', '-')}" if label else f"h-{base or 'section'}"
        while hid in used_ids:
            hid += "x"
        used_ids.add(hid)
        h["id"] = hid
        if label:
            num = soup.new_tag("span", attrs={"class": "secnum"})
            num.string = label
            h.insert(0, num)
        if level in toc_levels and (label or "toc" in (h.get("class") or [])):
            toc.append((level, hid, h.get_text(" ", strip=True)))

    nav = soup.select_one("nav.contents ol.toc")
    if nav is not None:
        if toc:
            for level, hid, text in toc:
                li = soup.new_tag("li", attrs={"class": f"toc-h{level}"})
                a = soup.new_tag("a", href=f"#{hid}")
                a.string = text
                li.append(a)
                nav.append(li)
        else:
            nav.find_parent("nav").decompose()

    for n, table in enumerate(
        [t for t in main.find_all("table") if "plain" not in (t.get("class") or [])], start=1
    ):
        caption = table.find("caption")
        if caption is None:
            caption = soup.new_tag("caption")
            table.insert(0, caption)
        label = soup.new_tag("b", attrs={"class": "tabnum"})
        label.string = f"Table {n}" + (": " if caption.get_text(strip=True) else "")
        caption.insert(0, label)
        wrap = table.parent if "table-wrap" in (table.parent.get("class") or []) else None
        if wrap is None:
            wrap = soup.new_tag("div", attrs={"class": "table-wrap"})
            table.wrap(wrap)
            sib = wrap.find_next_sibling()
            if sib is not None and "table-note" in (sib.get("class") or []):
                wrap.append(sib.extract())
        ncols, chars = _table_shape(table)
        if ncols > 11 or chars > 150:
            wrap["class"] = wrap["class"] + ["very-wide"]
        elif ncols > 7 or chars > 95:
            wrap["class"] = wrap["class"] + ["wide"]

    for n, fig in enumerate(main.select("figure.chart"), start=1):
        img = fig.find("img")
        alt = (img.get("alt") or "").strip() if img else ""
        cap = soup.new_tag("figcaption")
        b = soup.new_tag("b")
        b.string = f"Figure {n}" + (". " if alt else "")
        cap.append(b)
        if alt:
            cap.append(alt)
        fig.append(cap)
        if img is not None and not alt:
            img["alt"] = f"Figure {n} (chart)"
    return str(soup)


# --------------------------------------------------------------------------------------------
# The exporters
# --------------------------------------------------------------------------------------------


class PanelHTMLExporter(HTMLExporter):
    """Executed notebook → finished report HTML (the input to weasyprint)."""

    export_from_notebook = "Panel report HTML"
    synthetic = Bool(
        False, help="Force the synthetic-data banner (it is also shown whenever config says so)."
    ).tag(config=True)
    report_title = Unicode(
        None, allow_none=True, help="Title for the cover (default: the notebook's first heading)."
    ).tag(config=True)

    @default("template_name")
    def _template_name_default(self):
        return TEMPLATE_NAME

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self):
        return [str(TEMPLATES_DIR)]

    @default("exclude_input")
    def _exclude_input_default(self):
        return False  # sources are hidden per cell (remove_source) so markdown survives

    @default("exclude_input_prompt")
    def _exclude_input_prompt_default(self):
        return True

    @default("exclude_output_prompt")
    def _exclude_output_prompt_default(self):
        return True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register_preprocessor(PanelOutputsPreprocessor(), enabled=True)

    def _init_resources(self, resources):
        resources = super()._init_resources(resources)
        resources["should_sanitize_html"] = False
        return resources

    def render_html(self, nb, resources=None, finish: bool = True, **kw) -> tuple[str, dict]:
        """Render ``nb``; ``finish=False`` leaves numbering to the caller (the panel pack)."""
        nb = copy.deepcopy(nb)
        resources = dict(resources or {})
        name = resources.get("metadata", {}).get("name", "") if resources.get("metadata") else ""
        resources["panel"] = panel_context(
            nb, source_name=name, title=self.report_title, synthetic=self.synthetic
        )
        if not finish:  # the caller finishes the HTML: nbconvert's own last pass stays
            return super().from_notebook_node(nb, resources, **kw)
        html, resources = self._template_html(nb, resources, **kw)
        return finish_html(html, missing_alt=NO_ALT), resources

    def _template_html(self, nb, resources, **kw) -> tuple[str, dict]:
        """``HTMLExporter.from_notebook_node`` without its closing BeautifulSoup pass.

        That pass parses and re-serialises the whole document to add alt text to images that
        have none and ``tabindex`` to the lab template's cells: this template writes neither
        kind of element without what it needs, and :func:`finish_html`, which parses the
        document anyway, gives any image without alt text the same words (``missing_alt``; a
        stage report's HTML was parsed twice, mostly base64 charts, for nothing)."""
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight_code = self.filters.get(
            "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
        )
        resources = self._init_resources(resources)
        filter_data_type = WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources
        )
        self.register_filter("highlight_code", highlight_code)
        self.register_filter("filter_data_type", filter_data_type)
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    def from_notebook_node(self, nb, resources=None, **kw):
        html, resources = self.render_html(nb, resources, **kw)
        resources["output_extension"] = ".html"
        return html, resources


class PanelPDFExporter(PanelHTMLExporter):
    """``jupyter nbconvert --to panelpdf``: the panel report as an A4 PDF via weasyprint."""

    export_from_notebook = "Panel report PDF"
    output_mimetype = "application/pdf"
    pdf_variant = Unicode(
        "pdf/ua-1", allow_none=True, help="weasyprint PDF variant ('' or None for plain PDF)."
    ).tag(config=True)

    @default("file_extension")
    def _file_extension_default(self):
        return ".pdf"

    @default("template_extension")
    def _template_extension_default(self):
        return ".html.j2"  # the template is HTML even though the output is PDF

    def from_notebook_node(self, nb, resources=None, **kw):
        html, resources = self.render_html(nb, resources, **kw)
        base = (resources.get("metadata") or {}).get("path") or "."
        pdf = html_to_pdf_bytes(html, base_url=str(base), pdf_variant=self.pdf_variant)
        resources["output_extension"] = ".pdf"
        return pdf, resources


def html_to_pdf_bytes(
    html: str, base_url: str | None = None, pdf_variant: str | None = "pdf/ua-1"
) -> bytes:
    """Page ``html`` with weasyprint; PDF/UA-1 when the variant works, tagged PDF otherwise."""
    try:
        from weasyprint import HTML
    except OSError as exc:  # Pango missing
        raise OutputError(
            f"weasyprint cannot start: {exc}.",
            "Install Pango: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 "
            "(see the README set-up section).",
        ) from exc
    document = HTML(string=html, base_url=base_url)
    fonts = _font_config()
    if pdf_variant:
        try:
            return document.write_pdf(pdf_variant=pdf_variant, pdf_tags=True, font_config=fonts)
        except Exception:  # older weasyprint without the variant: fall back to tagged PDF
            pass
    return document.write_pdf(pdf_tags=True, font_config=fonts)


@lru_cache(maxsize=1)
def _font_config():
    """One weasyprint font configuration per process, shared by every PDF it writes (each
    document would otherwise set up fontconfig afresh)."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@lru_cache(maxsize=4)
def _exporter(synthetic: bool, title: str | None) -> PanelHTMLExporter:
    """One exporter (its template loaded and compiled once) per banner and title setting."""
    return PanelHTMLExporter(synthetic=synthetic, report_title=title)


def html_to_pdf(html: str, pdf_path: Path, base_url: str | None = None) -> Path:
    """Write ``html`` to ``pdf_path`` atomically."""
    data = html_to_pdf_bytes(html, base_url=base_url)
    with atomic_path(Path(pdf_path)) as tmp:
        Path(tmp).write_bytes(data)
    return Path(pdf_path)


def read_notebook(nb_path: Path):
    nb_path = Path(nb_path)
    if not nb_path.exists():
        raise OutputError(
            f"Cannot export {nb_path}: the file does not exist.",
            "Run the stage first: scrutiny run --area <area> --period <YYYY-MM>.",
        )
    try:
        return nbformat.read(nb_path, as_version=4)
    except Exception as exc:
        raise OutputError(
            f"Cannot read notebook {nb_path}: {exc}.", "Re-run the stage to regenerate it."
        ) from exc


def render_stage_html(
    nb_path: Path, title: str | None = None, synthetic: bool | None = None, finish: bool = True
) -> str:
    """Executed notebook → finished stage report HTML (cover, contents, numbered body)."""
    nb_path = Path(nb_path)
    exporter = _exporter(bool(synthetic), title)
    resources = {"metadata": {"name": nb_path.stem, "path": str(nb_path.parent)}}
    html, _ = exporter.render_html(read_notebook(nb_path), resources, finish=finish)
    return html


def export_pdf(
    nb_path: Path, pdf_path: Path, title: str | None = None, synthetic: bool | None = None
) -> Path:
    """Executed notebook → A4 panel PDF at ``pdf_path`` (code hidden). Returns ``pdf_path``.

    ``synthetic=True`` forces the banner; it is shown anyway when the area config or the
    processed manifest says the data are synthetic.
    """
    html = render_stage_html(Path(nb_path), title=title, synthetic=synthetic)
    return html_to_pdf(html, Path(pdf_path), base_url=str(Path(nb_path).parent))
