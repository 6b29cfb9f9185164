"""Run the stage notebooks for an area and period with papermill, then export PDFs.

``run_area(cfg, period)`` executes every ``notebooks/NN_*.ipynb`` in order into
``reports/<area>/<period>/`` (never over the source) and exports each to PDF. The cleaning notebook
runs first; a failing stage stops the later stages of the same area (they need its outputs) and is
reported, with the partly executed notebook kept beside the error.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from . import paths
from .config import AreaConfig
from .periods import parse_month


@dataclass
class StageResult:
    area: str
    period: str
    stage: str
    status: str          # ok | failed | skipped
    seconds: float
    notebook: Path | None
    pdf: Path | None
    error: str | None = None


def stage_notebooks() -> list[Path]:
    return sorted(p for p in paths.notebooks_dir().glob("[0-9][0-9]_*.ipynb"))


def run_area(cfg: AreaConfig, period: str, pdf: bool = True, kernel: str = "python3",
             stages: list[str] | None = None, timeout: int = 1800) -> list[StageResult]:
    import papermill as pm

    from .report import export_pdf

    parse_month(period, "period")
    out = paths.report_dir(cfg.area, period)
    out.mkdir(parents=True, exist_ok=True)
    results: list[StageResult] = []
    failed = False
    for nb in stage_notebooks():
        stage = nb.stem
        if stages and not any(stage.startswith(s) for s in stages):
            continue
        target = out / nb.name
        if failed:
            results.append(StageResult(cfg.area, period, stage, "skipped", 0.0, None, None,
                                       "an earlier stage failed"))
            continue
        t0 = time.perf_counter()
        try:
            pm.execute_notebook(str(nb), str(target), parameters={"area": cfg.area, "period": period},
                                kernel_name=kernel, cwd=str(nb.parent), progress_bar=False,
                                execution_timeout=timeout)
            pdf_path = None
            if pdf:
                pdf_path = export_pdf(target, target.with_suffix(".pdf"), synthetic=cfg.synthetic)
            results.append(StageResult(cfg.area, period, stage, "ok", time.perf_counter() - t0, target, pdf_path))
        except Exception as exc:  # a stage failure is reported, never hidden
            failed = True
            msg = str(exc).strip().splitlines()
            results.append(StageResult(cfg.area, period, stage, "failed", time.perf_counter() - t0,
                                       target if target.exists() else None, None,
                                       (msg[-1] if msg else traceback.format_exc(limit=1))[:500]))
    return results
