"""The panel pack: one combined PDF per area and period for the Overview & Scrutiny panel.

``build_panel_pack(area, period)`` reads what the batch run left in ``reports/<area>/<period>/``
and writes ``reports/<area>/<period>/panel_pack.pdf``:

1. a cover page (area, period, date produced, version, git commit, synthetic banner);
2. **At a glance**: each stage's generated sentences and a few headline figures, read from
   ``figures/<stage>.json`` (written by :func:`helpers.ingest.processed.save_stage_outputs`);
3. contents;
4. every executed stage notebook ``NN_*.ipynb`` in run order, code hidden, numbered as
   sections 1, 2, ... (a notebook holding an error output is left out and named on the
   at-a-glance page, never shown half-finished);
5. appendices: A methods and caveats (fraud excluded from police.uk, snapped locations,
   recording-rule changes from ``helpers/data/recording_changes.csv``, small numbers),
   B data sources with Open Government Licence v3.0 attribution, C the run manifest from
   ``data/processed/<area>/<period>/manifest.json`` (inputs with sha256, parameters, package
   versions, git commit).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import jinja2
import nbformat
from bs4 import BeautifulSoup
from nbconvert.filters import markdown2html

from helpers.core import paths
from helpers.core.errors import OutputError
from helpers.report.export import (
    CSS_PATH,
    TEMPLATE_NAME,
    TEMPLATES_DIR,
    area_context,
    finish_html,
    git_commit,
    html_to_pdf,
    notebook_title,
    render_stage_html,
)

PACK_NAME = "panel_pack.pdf"
MAX_GLANCE_FIGURES = 6
OGL = "Open Government Licence v3.0"

# Source kinds (manifest ``inputs[].kind``) → how the pack names and credits them.
SOURCES: dict[str, dict[str, str]] = {
    "police.uk street": {
        "name": "police.uk street-level crime and ASB",
        "publisher": "Home Office / police forces (data.police.uk)",
        "licence": OGL,
    },
    "police.uk outcomes": {
        "name": "police.uk outcomes",
        "publisher": "Home Office / police forces (data.police.uk)",
        "licence": OGL,
    },
    "force_extract": {
        "name": "Force recorded-crime extract",
        "publisher": "The local police force (shared under a data-sharing agreement)",
        "licence": "Not open data: as agreed with the force",
    },
    "home_office_csp": {
        "name": "Police recorded crime by Community Safety Partnership",
        "publisher": "Home Office",
        "licence": OGL,
    },
    "csp_population": {
        "name": "Mid-year population estimates by CSP",
        "publisher": "Office for National Statistics",
        "licence": OGL,
    },
    "msg": {
        "name": "Most Similar Groups of CSPs",
        "publisher": "Home Office",
        "licence": OGL,
    },
    "wards": {
        "name": "Ward boundaries",
        "publisher": "Office for National Statistics (Open Geography Portal)",
        "licence": OGL + " (contains OS data © Crown copyright and database right)",
    },
    "ward_population": {
        "name": "Ward population estimates",
        "publisher": "Office for National Statistics",
        "licence": OGL,
    },
    "lsoa_lookup": {
        "name": "LSOA to ward best-fit lookup",
        "publisher": "Office for National Statistics (Open Geography Portal)",
        "licence": OGL + " (contains OS data © Crown copyright and database right)",
    },
}
ATTRIBUTIONS = [
    "Contains public sector information licensed under the Open Government Licence v3.0 "
    "(https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/).",
    "police.uk data: © Crown copyright, published by the Home Office at data.police.uk.",
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0.",
    "Contains OS data © Crown copyright and database right (boundary and lookup files).",
]


def stage_notebooks(area: str, period: str, folder: Path | None = None) -> list[Path]:
    """Executed stage notebooks in run order: ``reports/<area>/<period>/NN_*.ipynb``."""
    folder = Path(folder) if folder else paths.report_dir(area, period)
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def notebook_failed(nb) -> bool:
    """True if any cell holds an error output (a stage that did not finish)."""
    return any(
        o.get("output_type") == "error"
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
    )


def load_stage_figures(area: str, period: str, folder: Path | None = None) -> list[dict[str, Any]]:
    """Every ``reports/<area>/<period>/figures/*.json`` (keys stage, figures, sentences)."""
    folder = (Path(folder) if folder else paths.report_dir(area, period)) / "figures"
    if not folder.is_dir():
        folder = paths.report_dir(area, period) / "figures"
    out = []
    for f in sorted(folder.glob("*.json")):
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise OutputError(
                f"Stage figures file {f} is not valid JSON ({exc}).",
                "Re-run that stage: it rewrites the file.",
            ) from exc
        data.setdefault("stage", f.stem)
        out.append(data)
    return out


def _stage_key(stage: str, stems: list[str]) -> tuple[int, str]:
    """Order figures files by the notebook they belong to (``violence`` → ``03_violence``)."""
    for i, stem in enumerate(stems):
        if stage == stem or stem.endswith("_" + stage) or stage in stem or stem in stage:
            return i, stem
    return len(stems), stage


def humanise(key: str) -> str:
    text = re.sub(r"[_\s]+", " ", str(key)).strip()
    return text[:1].upper() + text[1:]


def format_figure(value: Any) -> str | None:
    """A headline figure as the reader sees it; None for values that are not a single figure."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"
    if isinstance(value, str) and len(value) <= 40:
        return value
    if isinstance(value, list) and not value:
        return "none"
    return None


def glance_figures(
    figures: dict[str, Any], limit: int = MAX_GLANCE_FIGURES
) -> list[tuple[str, str]]:
    """The first ``limit`` single-valued figures of a stage, labelled for a reader."""
    rows = []
    for key, value in (figures or {}).items():
        shown = format_figure(value)
        if shown is not None:
            rows.append((humanise(key), shown))
        if len(rows) >= limit:
            break
    return rows


def glance_entries(figs: list[dict], titles: dict[str, str], stems: list[str]) -> list[dict]:
    entries = []
    for f in sorted(figs, key=lambda d: _stage_key(str(d.get("stage")), stems)):
        i, stem = _stage_key(str(f.get("stage")), stems)
        entries.append(
            {
                "title": titles.get(stem, humanise(f.get("stage", ""))),
                # A councillor's first page: the stage's chosen headlines (else its first three
                # sentences) and its chosen headline figures (else the first few figures).
                "sentences_html": [
                    markdown2html(str(s))
                    for s in (f.get("headlines") or (f.get("sentences") or [])[:3])
                ],
                "figures": (
                    [
                        (str(k), str(v))
                        for k, v in (
                            f["glance"].items() if isinstance(f["glance"], dict) else f["glance"]
                        )
                    ]
                    if f.get("glance")
                    else glance_figures(f.get("figures", {}), limit=4)
                ),
            }
        )
    return entries


def recording_changes(period: str | None = None) -> list[dict[str, str]]:
    """Rows of ``helpers/data/recording_changes.csv`` up to the period end."""
    path = Path(__file__).parents[1] / "data" / "recording_changes.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r for r in rows if not period or r["effective_month"] <= period]


def source_rows(manifest: dict) -> list[dict[str, Any]]:
    counts: dict[str, int] = {}
    for item in manifest.get("inputs", []):
        counts[item.get("kind", "other")] = counts.get(item.get("kind", "other"), 0) + 1
    rows = []
    for kind, n in counts.items():
        info = SOURCES.get(kind, {"name": kind, "publisher": "see config", "licence": "see config"})
        rows.append({**info, "files": n})
    return rows


def _stage_section(nb_path: Path, synthetic: bool) -> str:
    """The stage's rendered body (unnumbered) as a ``<section class="stage">``."""
    html = render_stage_html(nb_path, synthetic=synthetic, finish=False)
    soup = BeautifulSoup(html, "html.parser")
    section = soup.select_one("section.stage")
    if section is None:  # pragma: no cover - template guarantees it
        raise OutputError(f"Rendering {nb_path} gave no report body.", "Re-run the stage.")
    if section.find("h1") is None:
        h1 = soup.new_tag("h1")
        h1.string = nb_path.stem
        section.insert(0, h1)
    return str(section)


def panel_pack_html(
    area: str, period: str, synthetic: bool | None = None, folder: Path | None = None
) -> str:
    """The whole pack as finished HTML (numbered, with contents) — the input to weasyprint.

    ``folder`` holds the executed notebooks (default ``reports/<area>/<period>/``)."""
    manifest_path = paths.processed_dir(area, period) / "manifest.json"
    if not manifest_path.exists():
        raise OutputError(
            f"Cannot build the panel pack for {area} {period}: {manifest_path} does not exist.",
            f"Run the cleaning stage first: scrutiny run --area {area} --period {period}.",
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    ctx = area_context(area, period)
    ctx["synthetic"] = bool(
        ctx["synthetic"] or synthetic or manifest.get("parameters", {}).get("synthetic")
    )

    notebooks, missing, titles = [], [], {}
    for nb_path in stage_notebooks(area, period, folder):
        nb = nbformat.read(nb_path, as_version=4)
        titles[nb_path.stem] = notebook_title(nb, humanise(nb_path.stem))
        if notebook_failed(nb):
            missing.append(titles[nb_path.stem])
        else:
            notebooks.append(nb_path)
    expected = sorted(p.stem for p in paths.notebooks_dir().glob("[0-9][0-9]_*.ipynb"))
    missing += [humanise(s) for s in expected if s not in titles]
    if not notebooks:
        raise OutputError(
            f"No executed stage notebooks in {folder or paths.report_dir(area, period)}.",
            f"Run the stages first: scrutiny run --area {area} --period {period}.",
        )

    import datetime as _dt

    from helpers import __version__

    now = _dt.datetime.now().astimezone()
    title = "Crime and disorder: panel pack"
    ctx.update(
        title=title,
        kind="Overview and Scrutiny panel pack",
        doc_title=f"{title} — {ctx['area_name']}, {ctx['period_name']}",
        description=f"Crime and disorder scrutiny panel pack. {ctx['area_name']}, "
        f"{ctx['period_name']}." + (" Synthetic data." if ctx["synthetic"] else ""),
        runhead=f"{ctx['area_name']} · Panel pack",
        produced=f"{now.day} {now:%B %Y}",
        produced_iso=now.isoformat(timespec="seconds"),
        version=__version__,
        commit=git_commit(),
        lang="en-GB",
        css=CSS_PATH.read_text(encoding="utf-8"),
    )
    stems = [p.stem for p in notebooks]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR / TEMPLATE_NAME)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    params = manifest.get("parameters", {})
    html = env.get_template("panel_pack.html.j2").render(
        p=ctx,
        stages=[_stage_section(nb, ctx["synthetic"]) for nb in notebooks],
        glance=glance_entries(load_stage_figures(area, period, folder), titles, stems),
        missing=missing,
        recording_changes=recording_changes(period),
        disclosure_threshold=_disclosure_threshold(area),
        sources=source_rows(manifest),
        attributions=ATTRIBUTIONS,
        manifest={"created": manifest.get("created"), "git_commit": manifest.get("git_commit")},
        parameters=sorted((str(k), str(v)) for k, v in params.items()),
        packages=sorted((str(k), str(v)) for k, v in manifest.get("packages", {}).items()),
        inputs=manifest.get("inputs", []),
        input_prefix=_common_folder([str(i.get("path", "")) for i in manifest.get("inputs", [])]),
        outputs=manifest.get("outputs", []),
    )
    return finish_html(html, numbered_levels=(1, 2, 3), toc_levels=(1, 2))


def _common_folder(items: list[str]) -> str:
    """Longest shared folder prefix (ending in '/') of the input paths, '' if none."""
    if not items:
        return ""
    prefix = items[0]
    for p in items[1:]:
        while not p.startswith(prefix):
            prefix = prefix[:-1]
    return prefix[: prefix.rfind("/") + 1]


def _disclosure_threshold(area: str) -> int | str:
    try:
        from helpers.core.config import load_area_config

        return load_area_config(area).disclosure_threshold
    except Exception:
        return "the disclosure threshold"


def build_panel_pack(
    area: str,
    period: str,
    synthetic: bool | None = None,
    folder: Path | None = None,
    out: Path | None = None,
) -> Path:
    """Write ``reports/<area>/<period>/panel_pack.pdf`` from the executed stages; return its path.

    Call after all stages have run (the batch runner does). Raises
    :class:`helpers.core.errors.OutputError` when there is no manifest or no executed stage.
    """
    html = panel_pack_html(area, period, synthetic=synthetic, folder=folder)
    out = (
        Path(out)
        if out
        else (Path(folder) if folder else paths.report_dir(area, period)) / PACK_NAME
    )
    return html_to_pdf(html, out, base_url=str(out.parent))
