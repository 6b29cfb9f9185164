"""The panel pack: a committee paper for the Overview & Scrutiny panel, one per area and period.

``build_panel_pack(area, period)`` reads what the stages saved in ``reports/<area>/<period>/``
(``tables/*.csv`` and ``figures/*.json``, see :mod:`helpers.report.paper`) and writes, side by
side:

* ``panel_pack.pdf`` — A4, PDF/UA-1, body 11 pt (12 pt with ``large_print=True``);
* ``panel_pack.html`` — the accessible web edition of the same content, one self-contained file;
* ``panel_pack_manifest.json`` — the full run manifest (inputs with sha256, parameters,
  package versions, code version), which the PDF names in one line.

The paper: cover (title, committee, meeting date, author and contact from the area config's
``committee`` key, purpose, contents); **At a glance** on one page (6–8 tiles, three findings,
three questions the panel may wish to ask); four short sections (crime overview and the Most
Similar Group; violence; anti-social behaviour; where crime happens); appendices (methods and
caveats, data quality, glossary, sources and licences, run manifest). Each stage's own PDF stays
beside the pack for analysts. A stage that did not finish is named on the glance page.
"""

from __future__ import annotations

import base64
import csv
import datetime as _dt
import json
import re
from pathlib import Path
from typing import Any

import jinja2
import nbformat
from nbconvert.filters import markdown2html

from helpers.core import paths
from helpers.core.errors import OutputError
from helpers.core.io import atomic_path
from helpers.present.tables import show_table
from helpers.report import commissioner, paper, wardmaps
from helpers.report.export import (
    CSS_PATH,
    LANG,
    PACK_CSS_PATH,
    TEMPLATE_NAME,
    TEMPLATES_DIR,
    area_context,
    finish_html,
    git_commit,
    html_to_pdf,
    notebook_title,
)

PACK_NAME = "panel_pack.pdf"
HTML_NAME = "panel_pack.html"
MANIFEST_NAME = "panel_pack_manifest.json"
DEFAULT_TITLE = "Crime and disorder: annual scrutiny report"

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


# Technical terms that may remain in print, explained in the glossary (Appendix C). The
# plain-English test checks that any of these in the pack is defined here.
GLOSSARY: dict[str, str] = {
    "Anti-social behaviour (ASB)": "Incidents such as nuisance, rowdiness or neighbour disputes "
    "reported to the police. They are not crimes and are never added to crime totals.",
    "Baseline year": "A fixed earlier 12 months (here before the COVID-19 lockdowns) that this "
    "year is compared with as well as with last year, so an unusual last year does not mislead.",
    "Community Safety Partnership (CSP)": "The statutory partnership of council, police, fire, "
    "health and probation services that tackles crime and disorder in an area.",
    "Disclosure control": "Hiding very small counts (shown as *) so that no person can be "
    "identified from a table or map.",
    "False discovery rate": "A way of testing many wards at once so that, of the wards flagged, "
    "no more than about one in twenty is expected to be flagged by chance.",
    "Gini coefficient": "A measure of how unevenly crime is spread across wards: 0 means every "
    "ward has the same share, 1 means all crime is in one ward.",
    "Hot spot (Getis-Ord Gi*)": "A ward that, together with its neighbours, has more crime than "
    "chance would give. Gi* is the standard statistic for this.",
    "LSOA": "Lower layer Super Output Area: a small statistical area of about 1,500 residents; "
    "several make up a ward.",
    "Most Similar Group (MSG)": "The group of about 15 partnerships that the Home Office "
    "considers most like this one (population, deprivation, urban or rural), used for fair "
    "comparison of crime rates.",
    "Funnel limits": "The range of rates expected by chance for an area of a given population. "
    "A rate outside the limits is unusual for the group.",
    "Overdispersion": "Areas differ from one another by more than chance alone. The group "
    "limits are widened to allow for it, so that only truly unusual rates are flagged.",
    "Neighbourhood crime": "Residential burglary, vehicle offences, theft from the person and "
    "robbery of personal property: the government's measure of crimes felt by neighbourhoods.",
    "Positive outcome": "A crime resolved with a charge, summons, caution or community "
    "resolution, as a share of the crimes recorded in the period.",
    "Rate per 1,000 residents": "Crimes divided by the resident population, times 1,000, so "
    "areas of different size can be compared.",
    "Serious acquisitive crime": "Burglary, robbery, theft of and from vehicles: crimes where "
    "something is taken, and the most serious of them.",
    "Statistically significant": "Larger than chance variation would be expected to give (here, "
    "less than a 5% chance of arising if nothing had really changed).",
    "Violence against the person": "Homicide, violence with and without injury, stalking and "
    "harassment, and death or serious injury caused by unlawful driving.",
}

PURPOSE = (
    "To give the panel an overview of recorded crime and anti-social behaviour in {area} for "
    "{period}, compared with last year, a baseline year and similar partnerships, and to "
    "suggest questions for the partnership."
)


def committee_info(area: str) -> dict[str, str]:
    """The ``committee`` key of the area config (name, meeting_date, author, contact, title)."""
    data: dict[str, Any] = {}
    try:
        from helpers.core.config import load_area_config

        cfg = load_area_config(area)
        data = dict(getattr(cfg, "committee", None) or {})
        if not data and cfg.path is not None:
            import yaml

            raw = yaml.safe_load(Path(cfg.path).read_text(encoding="utf-8")) or {}
            data = dict(raw.get("committee") or {})
    except Exception:  # noqa: BLE001 - a pack for an unconfigured area still builds
        data = {}
    out = {k: str(v) for k, v in data.items() if v is not None}
    if out.get("meeting_date"):
        try:
            d = _dt.date.fromisoformat(out["meeting_date"])
            out["meeting_date_text"] = f"{d.day} {d:%B %Y}"
        except ValueError:
            out["meeting_date_text"] = out["meeting_date"]
    return out


def _baseline_name(area: str) -> str:
    try:
        from helpers.core.config import load_area_config

        baselines = load_area_config(area).analysis.get("baselines") or {}
    except Exception:  # noqa: BLE001
        baselines = {}
    for name in baselines:
        plain = re.sub(r"\s*\(.*\)", "", str(name)).strip()
        return f"the {plain} baseline"
    return "the baseline year"


def _md(text: str) -> str:
    """A generated sentence (Markdown) as inline HTML."""
    html = markdown2html(str(text)).strip()
    return re.sub(r"^<p>(.*)</p>$", r"\1", html, flags=re.S)


class Picker:
    """Sentences chosen from the stages' saved sentences, each used at most once in the pack."""

    def __init__(self, outputs: paper.Outputs):
        self.o = outputs
        self.used: set[str] = set()

    def take(self, stage: str, *keywords: str, limit: int = 99) -> list[str]:
        out = []
        for s in self.o.sentences(stage):
            key = re.sub(r"\W+", " ", s).strip().lower()
            if key in self.used:
                continue
            if keywords and not any(k.lower() in s.lower() for k in keywords):
                continue
            self.used.add(key)
            out.append(_md(s))
            if len(out) >= limit:
                break
        return out


def _table(rows: list[dict[str, Any]], caption: str, formats: dict[str, str], note=None) -> str:
    if not rows:
        return ""
    import pandas as pd

    return show_table(pd.DataFrame(rows), caption=caption, formats=formats, note=note).to_html()


def _classed(cls: str, table_html: str) -> str:
    """Add a class to a rendered table (for its own column styling)."""
    return table_html.replace(
        '<table class="report-table">', f'<table class="report-table {cls}">', 1
    )


def _month_name(ym: str) -> str:
    try:
        d = _dt.date(int(ym[:4]), int(ym[5:7]), 1)
    except (ValueError, TypeError):
        return str(ym)
    return f"{d:%B %Y}"


_DRAWN: dict[str, tuple] = {}  # sha256 of a figure's inputs -> (svg, alt); a few entries


def _file_stamp(path: Path) -> list:
    try:
        st = path.stat()
        return [st.st_size, st.st_mtime_ns]
    except OSError:
        return []


def _drawn_once(key, draw):
    """``draw()`` once per content: the same inputs give the same (svg, alt) without drawing
    again (the pack's print and web editions each ask for every figure)."""
    import hashlib

    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()
    if digest not in _DRAWN:
        if len(_DRAWN) > 16:
            _DRAWN.clear()
        _DRAWN[digest] = draw()
    return _DRAWN[digest]


def sections(area: str, ctx: dict[str, Any], o: paper.Outputs, processed: Path) -> dict[str, Any]:
    """Everything the template shows, from the saved outputs."""
    pick = Picker(o)
    short = ctx.get("csp_name") or ctx["area_name"]
    baseline = _baseline_name(area)
    s: dict[str, Any] = {}
    s["tiles"] = paper.tiles(o)
    s["matters"] = paper.what_matters(o, short, baseline)
    s["questions"] = paper.questions(o)
    s["baseline_name"] = baseline

    # 1. Crime overview and the Most Similar Group
    s["overview_text"] = pick.take(
        "crime_group_variance",
        "overall crime",
        "accounts for",
        "categories show",
        "no statistically significant",
        limit=4,
    )
    s["overview_table"] = _table(
        paper.overview_rows(o),
        f"Recorded crime by group: this year, last year and {baseline}",
        {
            "This year": "int",
            "Last year": "int",
            "Change on last year": "signed_pct",
            "Baseline year": "int",
            "Change on baseline": "signed_pct",
        },
        note="Change on last year is tested against the month-to-month variation in each "
        "row's own counts, with the chance of a false alarm controlled across the table. Change "
        "on the baseline uses a simpler exact test of the two yearly counts at the 5% level, "
        "which does not allow for that variation and so calls changes significant more "
        "readily. Anti-social "
        "behaviour is incidents, not crimes, and is not part of all crime. A dash means no "
        "figure (fewer than 20 in a year, or no baseline for that measure).",
    )
    s["baseline_text"] = pick.take("crime_group_variance", "baseline period", limit=2)
    s["outcome_text"] = pick.take("crime_group_variance", "positive outcome", limit=1)
    s["msg_text"] = pick.take(
        "crime_group_variance", "Most Similar Group", "group average", "group's limits", limit=3
    )
    s["msg_table"] = _table(
        paper.msg_rows(o),
        "Crime rates per 1,000 residents against the Most Similar Group",
        {"Our rate per 1,000": "float1", "Group average": "float1"},
        note="Position compares the rate with funnel limits for the group, widened for "
        "overdispersion. Rank 1 is the lowest rate in the group.",
    )

    # 2. Violence
    s["violence_text"] = pick.take(
        "violence", "Recorded violence", "breaks down", "Compared with", limit=3
    )
    s["violence_table"] = _table(
        [
            {
                "Type of violence": r["subgroup"],
                "This year": paper.num(r.get("current")),
                "Last year": paper.num(r.get("previous")),
                "Change": None
                if min(paper.num(r.get("current")) or 0, paper.num(r.get("previous")) or 0)
                < paper.SMALL_NUMBER
                else paper.num(r.get("pct_change")),
                "Is the change significant?": paper.marker(
                    paper.truthy(r.get("significant")),
                    paper.num(r.get("current")),
                    paper.num(r.get("previous")),
                ),
                "Share of violence": paper.num(r.get("share")),
            }
            for r in o.table("violence", "subgroups")
        ],
        "Violence against the person by type",
        {
            "This year": "int",
            "Last year": "int",
            "Change": "signed_pct",
            "Share of violence": "pct",
        },
    )
    s["domestic_text"] = pick.take("violence", "Domestic violence accounts", limit=1)
    monthly = o.table("violence", "monthly")
    svg, alt = _drawn_once(("violence_trend", monthly), lambda: wardmaps.violence_trend(monthly))
    if svg:
        alt = re.sub(r"\b(\d{4}-\d{2})\b", lambda m: _month_name(m.group(1)), alt)
    s["violence_chart"] = {"svg": svg, "alt": alt} if svg else None
    s["violence_more"] = pick.take("violence", "started to", "town-centre", "residual", limit=3)
    s["commissioner_html"] = commissioner.commissioner_html(o)  # the Commissioner's measures

    # 3. Anti-social behaviour
    s["asb_text"] = pick.take("crime_group_variance", "Anti-social behaviour", limit=1)
    s["asb_text"] += pick.take("ward_hotspots", "Anti-social behaviour", limit=3)
    asb_wards = [
        {
            "Ward": r["Ward"],
            "Incidents": paper.num(r.get("Count")),
            "Rate per 1,000": paper.num(r.get("Rate per 1,000")),
            "Change on last year": paper.num(r.get("Change (%)")),
        }
        for r in o.table("ward_hotspots", "priority_asb")[:5]
    ]
    s["asb_table"] = _table(
        asb_wards,
        "The five wards with the most anti-social behaviour",
        {"Incidents": "int", "Rate per 1,000": "float1", "Change on last year": "signed_pct"},
    )

    # 4. Where crime happens
    s["where_text"] = pick.take("ward_hotspots", "placed in a ward", limit=1)
    s["where_text"] += pick.take("ward_hotspots", "hot spot (", "hot spots (", limit=3)
    none = [
        m
        for k, m in paper.WARD_MEASURES.items()
        if (o.figure("ward_hotspots", "hot_spots") or {}).get(k) == 0
        and (o.figure("ward_hotspots", "cold_spots") or {}).get(k) == 0
    ]
    if none:
        pick.take("ward_hotspots", "no ward is a statistically significant")
        s["where_text"].append(
            f"No ward is a significant hot or cold spot for {paper.narrative.join_names([n.lower() for n in none])}."
        )
    s["where_change_text"] = pick.take("ward_hotspots", "rose in", "fell in", limit=4)
    s["concentration_text"] = pick.take("ward_hotspots", "the three wards with the most", limit=1)
    pick.take("ward_hotspots", "the three wards with the most")  # one is enough in print
    rates = paper.ward_rates(o)
    svg, alt = _drawn_once(  # the print and web editions share one drawing
        ("ward_maps", str(processed), _file_stamp(processed / "wards.parquet"), rates),
        lambda: wardmaps.small_multiples(wardmaps.read_ward_shapes(processed), rates),
    )
    s["ward_maps"] = {"svg": svg, "alt": alt} if svg else None
    rows, _ = paper.ward_change_rows(o)
    s["ward_change_table"] = _classed(
        "ward-change",
        _table(
            rows,
            "Change on last year by ward and measure",
            {},
            note="▲ significant rise, ▼ significant fall (false discovery rate controlled across "
            "all wards). * suppressed: a small count not shown, to protect privacy. – no figure.",
        ),
    )
    s["priority_table"] = _table(
        paper.priority_matrix(o),
        "Priority wards: rank by number of crimes in each measure (1 = most)",
        {},
        note="Wards in the top ten for any measure, most often listed first. – not in the top "
        "ten. Hot spots are from the Gi* test with the false discovery rate controlled.",
    )
    # 5. Localities (only when the area's configuration names them)
    from helpers.report.localities import localities_parts

    s.update(localities_parts(o, baseline, md=_md, table=_table))
    s["unused"] = sorted(pick.used)
    return s


def partner_sections(area: str, period: str) -> dict[str, Any]:
    """The sections built from the partnership's own inputs: its activity return (or the plain
    sentence that none was supplied) and the force among all forces (or the sentence that the
    national table was not supplied)."""
    from helpers.report.activity import area_activity_section
    from helpers.report.force_context import area_force_context_section

    activity_html, activity_glance = area_activity_section(area, period, heading_level=1)
    return {
        "activity_html": activity_html,
        "activity_glance": activity_glance,
        "force_context_html": area_force_context_section(area, period, heading_level=2),
    }


def _missing_stages(area: str, period: str, folder: Path) -> tuple[list[str], list[str]]:
    """(stages that ran and finished, stages missing or failed) by notebook title."""
    done, missing, seen = [], [], set()
    for nb_path in stage_notebooks(area, period, folder):
        seen.add(nb_path.stem)
        try:
            nb = nbformat.read(nb_path, as_version=4)
        except Exception:  # noqa: BLE001
            missing.append(nb_path.stem.split("_", 1)[-1].replace("_", " ").capitalize())
            continue
        title = notebook_title(nb, nb_path.stem.split("_", 1)[-1].replace("_", " ").capitalize())
        (missing if notebook_failed(nb) else done).append(title)
    for p in sorted(paths.notebooks_dir().glob("[0-9][0-9]_*.ipynb")):
        if p.stem not in seen:
            missing.append(p.stem.split("_", 1)[-1].replace("_", " ").capitalize())
    return done, missing


def panel_pack_html(
    area: str,
    period: str,
    synthetic: bool | None = None,
    folder: Path | None = None,
    edition: str = "print",
    large_print: bool = False,
    shared: dict | None = None,
) -> str:
    """The pack as finished HTML: ``edition="print"`` feeds weasyprint, ``"web"`` is the
    accessible web edition (same content, screen styling, skip link, no page furniture).

    ``shared`` (an empty dict the caller keeps) carries the content worked out for the first
    edition to the second, so that :func:`build_panel_pack` reads the stages' notebooks and
    outputs, picks the sentences and draws the charts once for both: the editions differ only
    in their styling, never in what they say."""
    folder = Path(folder) if folder else paths.report_dir(area, period)
    processed = paths.processed_dir(area, period)
    manifest_path = processed / "manifest.json"
    if not manifest_path.exists():
        raise OutputError(
            f"Cannot build the panel pack for {area} {period}: {manifest_path} does not exist.",
            f"Run the cleaning stage first: scrutiny run --area {area} --period {period}.",
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    outputs = paper.Outputs.read(folder)
    if not outputs.figures:
        outputs = paper.Outputs.read(paths.report_dir(area, period))
    if not outputs.figures:
        raise OutputError(
            f"No stage outputs in {folder / 'figures'}.",
            f"Run the stages first: scrutiny run --area {area} --period {period}.",
        )
    ctx = area_context(area, period)
    ctx["synthetic"] = bool(
        ctx["synthetic"] or synthetic or manifest.get("parameters", {}).get("synthetic")
    )
    ctx["csp_name"] = manifest.get("parameters", {}).get("csp_name") or ctx["area_name"]
    committee = committee_info(area)
    from helpers import __version__

    now = _dt.datetime.now().astimezone()
    title = committee.get("title") or DEFAULT_TITLE
    ctx.update(
        title=title,
        committee=committee,
        purpose=PURPOSE.format(area=ctx["area_name"], period=ctx["period_name"]),
        doc_title=f"{title} — {ctx['area_name']}, {ctx['period_name']}",
        description=f"{title}. {ctx['area_name']}, {ctx['period_name']}."
        + (" Synthetic data." if ctx["synthetic"] else ""),
        runhead=title if committee.get("title") else f"{ctx['area_name']} · {title}",
        produced=f"{now.day} {now:%B %Y}",
        produced_iso=now.isoformat(timespec="seconds"),
        version=__version__,
        commit=git_commit(),
        lang=LANG,
        css=CSS_PATH.read_text(encoding="utf-8") + "\n" + PACK_CSS_PATH.read_text(encoding="utf-8"),
        edition=edition,
        large_print=large_print,
    )
    if shared is not None and edition == "web" and "print_html" in shared:
        return web_edition(shared["print_html"])
    if shared is not None and "content" in shared:
        done, missing, content = shared["done"], shared["missing"], shared["content"]
    else:
        done, missing = _missing_stages(area, period, folder)
        content = sections(area, ctx, outputs, processed)
        content.update(partner_sections(area, period))
        if shared is not None:
            shared.update(done=done, missing=missing, content=content)
    html = (
        _template_env()
        .get_template("panel_pack.html.j2")
        .render(
            p=ctx,
            s=content,
            missing=missing,
            stages_done=done,
            recording_changes=recording_changes(period),
            disclosure_threshold=_disclosure_threshold(area),
            ledger_table=_table(
                paper.ledger_rows(outputs),
                "Records read and kept, by source",
                {"Files": "int", "Records read": "int", "Kept": "int", "Set aside": "int"},
            ),
            rejection_table=_table(
                paper.rejection_rows(outputs),
                "Records set aside, and why",
                {"Records": "int"},
                note="Records for months after the reporting period are kept for later reports; "
                "they are not faults.",
            ),
            months_missing=manifest.get("months_missing") or [],
            sources=source_rows(manifest),
            attributions=ATTRIBUTIONS,
            glossary=sorted(GLOSSARY.items()),
            n_inputs=len(manifest.get("inputs", [])),
            manifest_created=manifest.get("created") or "",
        )
    )
    html = finish_html(html, numbered_levels=(1, 2), toc_levels=(1,))
    if shared is not None and edition == "print":
        shared["print_html"] = html
    return html


#: The only two places where the template writes the editions differently.
_PRINT_ROOT = '<html class="pack print'
_WEB_ROOT = '<html class="pack web'
SKIP_LINK = '<a class="skip-link" href="#at-a-glance">Skip to the summary</a>'


def web_edition(print_html: str) -> str:
    """The web edition made from the finished print edition, without laying it out again.

    The template writes the two editions alike except for the root element's class and the
    skip link at the top of the body; numbering, contents and captions depend only on the
    content. Raises ``ValueError`` if the print HTML is not shaped as the template writes it."""
    head, sep, tail = print_html.partition("<body>")
    if not sep or head.count(_PRINT_ROOT) != 1:
        raise ValueError("not the panel pack's print edition")
    return head.replace(_PRINT_ROOT, _WEB_ROOT, 1) + sep + "\n" + SKIP_LINK + tail


_TEMPLATE_ENV: list[jinja2.Environment] = []


def _template_env() -> jinja2.Environment:
    """The pack's jinja2 environment, made once per process (its loader still notices an
    edited template file, and compiled templates are cached)."""
    if not _TEMPLATE_ENV:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR / TEMPLATE_NAME)),
            autoescape=True,
            undefined=jinja2.ChainableUndefined,
        )
        env.filters["b64"] = lambda text: base64.b64encode(str(text).encode("utf-8")).decode(
            "ascii"
        )
        env.filters["month_name"] = _month_name
        _TEMPLATE_ENV.append(env)
    return _TEMPLATE_ENV[0]


def _disclosure_threshold(area: str) -> int | str:
    try:
        from helpers.core.config import load_area_config

        return load_area_config(area).disclosure_threshold
    except Exception:  # noqa: BLE001
        return "the disclosure threshold"


def write_manifest(area: str, period: str, out: Path) -> Path:
    """Copy the run manifest beside the pack, adding the pack's own code version and time."""
    manifest = json.loads(
        (paths.processed_dir(area, period) / "manifest.json").read_text(encoding="utf-8")
    )
    manifest["pack"] = {
        "produced": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "git_commit": git_commit(),
    }
    with atomic_path(Path(out)) as tmp:
        Path(tmp).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    return Path(out)


def build_panel_pack(
    area: str,
    period: str,
    synthetic: bool | None = None,
    folder: Path | None = None,
    out: Path | None = None,
    large_print: bool = False,
    web: bool = True,
) -> Path:
    """Write the pack PDF (and, beside it, its web edition and run manifest); return the PDF path.

    Call after all stages have run (the batch runner does). Raises
    :class:`helpers.core.errors.OutputError` when there is no manifest or no stage outputs.
    """
    folder = Path(folder) if folder else paths.report_dir(area, period)
    out = Path(out) if out else folder / PACK_NAME
    shared: dict = {}  # the print edition's content, reused by the web edition
    html = panel_pack_html(
        area, period, synthetic=synthetic, folder=folder, large_print=large_print, shared=shared
    )
    pdf = html_to_pdf(html, out, base_url=str(out.parent))
    if web:
        web_html = panel_pack_html(
            area, period, synthetic=synthetic, folder=folder, edition="web",
            large_print=large_print, shared=shared,
        )  # fmt: skip
        with atomic_path(out.with_name(out.stem + ".html")) as tmp:
            Path(tmp).write_text(web_html, encoding="utf-8")
    write_manifest(area, period, out.with_name(out.stem + "_manifest.json"))
    return pdf
