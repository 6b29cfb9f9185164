"""Read what the cleaning stage wrote, for the analysis notebooks.

``load_processed(area, period)`` returns a :class:`ProcessedData` with one attribute per table of
the contract in docs/architecture.md. Tables that were not produced (for example no force
extract for an area that only has police.uk data) are ``None``; the notebooks say so and show
what can still be shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.core import paths
from helpers.core.errors import DataFileError
from helpers.core.io import write_csv, write_json

TABLES = ("street", "outcomes", "extract", "csp_counts", "csp_population", "msg", "ledger")


@dataclass
class ProcessedData:
    area: str
    period: str
    folder: Path
    manifest: dict[str, Any]
    street: pd.DataFrame | None = None
    outcomes: pd.DataFrame | None = None
    extract: pd.DataFrame | None = None
    csp_counts: pd.DataFrame | None = None
    csp_population: pd.DataFrame | None = None
    msg: pd.DataFrame | None = None
    ledger: pd.DataFrame | None = None
    wards: Any = None  # GeoDataFrame or None

    @property
    def synthetic(self) -> bool:
        return bool(self.manifest.get("parameters", {}).get("synthetic", False))

    @property
    def area_kind(self) -> str:
        """ "force area" or "community safety partnership", as the cleaning stage resolved it."""
        return str(self.manifest.get("area_kind") or "community safety partnership")


def require_table(
    df: pd.DataFrame | None, cols: list[str], table: str, allow_empty: bool = True
) -> pd.DataFrame:
    """Return ``df`` if it exists (and, unless ``allow_empty``, has rows) with columns ``cols``.

    Otherwise raise :class:`DataFileError` saying which processed table or column is missing and
    that the cleaning stage (or a config source) is what supplies it.
    """
    if df is None or (not allow_empty and not len(df)):
        raise DataFileError(
            f"The processed {table} table is {'not available' if df is None else 'empty'}.",
            f"Add the {table} source to the area config if it is missing, then run the cleaning "
            "stage for this area and period.",
        )
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataFileError(
            f"The processed {table} table has no column(s) {', '.join(missing)}.",
            "Re-run the cleaning stage; see docs/architecture.md for the expected columns.",
        )
    return df


def load_processed(area: str, period: str) -> ProcessedData:
    """Load ``data/processed/<area>/<period>/``; raise a clear error if cleaning has not run."""
    folder = paths.processed_dir(area, period)
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise DataFileError(
            f"No processed data for area {area!r}, period {period}: {manifest_path} does not exist.",
            f"Run the cleaning stage first: scrutiny clean --area {area} --period {period} "
            "(or run notebooks/01_cleaning.ipynb with the same parameters).",
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    data = ProcessedData(area=area, period=period, folder=folder, manifest=manifest)
    for name in TABLES:
        p = folder / f"{name}.parquet"
        if p.exists():
            setattr(data, name, pd.read_parquet(p))
    wards = folder / "wards.parquet"
    if wards.exists():
        import geopandas as gpd

        data.wards = gpd.read_parquet(wards)
    return data


def save_stage_outputs(
    area: str,
    period: str,
    stage: str,
    tables: dict[str, pd.DataFrame] | None = None,
    figures: dict[str, Any] | None = None,
    sentences: list[str] | None = None,
    headlines: list[str] | None = None,
    glance: dict[str, str] | None = None,
    measures: list[dict] | None = None,
    table_periods: dict[str, dict] | None = None,
    source_notes: list[str] | None = None,
) -> Path:
    """Write a stage's key tables (CSV) and headline figures/sentences (JSON) beside its report.

    ``reports/<area>/<period>/tables/<stage>__<name>.csv`` and
    ``reports/<area>/<period>/figures/<stage>.json``. The PDF tests and the panel pack's
    "at a glance" page read these, so every number a councillor sees is traceable to a file.
    ``headlines`` (two to four of the sentences) and ``glance`` (label -> formatted value, a
    handful) are what the panel pack's first page shows for the stage.

    ``measures`` are the stage's headline numbers keyed by measure id, area and period (built
    with :func:`helpers.stages.measures.record`); ``table_periods`` says, for a saved table that
    has a ``measure_id`` column, which months each count column covers and from which source
    (``{table: {"source": ..., "columns": {column: period key}}}``); ``source_notes`` are the
    methods sentences saying how far another source's figures are from the ones shown. The
    reconciliation check (:mod:`helpers.report.reconcile`) reads all three. Stages that pass none
    of them write the same file as before, with empty lists.

    Saving a stage clears its old outputs: a table or figure file that a previous run of *this
    stage* wrote (``tables/<stage>__*.csv``, ``figures/<stage>__*``) and this run does not write
    is removed, so the pack never shows last run's table beside this run's (a police.uk-only run
    saves fewer tables than an extract run). Nothing outside those two folders of this stage's
    report, and no other stage's file, is touched. What was removed is recorded under
    ``"removed"`` in the figures JSON (paths relative to the report folder).
    """
    out = paths.report_dir(area, period)
    stage = paths.safe_name(stage, "stage")
    written = []
    for name, df in (tables or {}).items():
        target = out / "tables" / f"{stage}__{paths.safe_name(name, 'table name')}.csv"
        write_csv(df, target)
        written.append(target)
    removed = _remove_stale_outputs(out, stage, keep=written)
    write_json(
        {
            "stage": stage,
            "area": area,
            "period": period,
            "figures": figures or {},
            "sentences": list(sentences or []),
            "headlines": list(headlines or []),
            # a list of pairs, not a mapping: write_json sorts keys and the order is the author's
            "glance": [[str(k), str(v)] for k, v in (glance or {}).items()],
            "measures": list(measures or []),
            "table_periods": dict(table_periods or {}),
            "source_notes": list(source_notes or []),
            "removed": removed,
        },
        out / "figures" / f"{stage}.json",
    )
    return out


def _remove_stale_outputs(out: Path, stage: str, keep: list[Path]) -> list[str]:
    """Remove ``stage``'s files in ``out/tables`` and ``out/figures`` that are not in ``keep``
    (nor the stage's figures JSON, rewritten next); return their paths relative to ``out``.

    Only files named ``<stage>__*`` (tables and figures) are candidates, so another stage's
    outputs (``02_x__...``, a stage whose name merely starts the same way) and anything outside
    the stage's report folder are never touched.
    """
    keep_set = {p.resolve() for p in keep}
    removed: list[str] = []
    for sub in ("tables", "figures"):
        folder = out / sub
        if not folder.is_dir():
            continue
        for p in sorted(folder.glob(f"{stage}__*")):
            if (p.is_file() or p.is_symlink()) and p.resolve() not in keep_set:
                p.unlink()
                removed.append(f"{sub}/{p.name}")
    return sorted(removed)
