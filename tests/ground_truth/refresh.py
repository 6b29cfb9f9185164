"""Rewrite the frozen ground truth: the sample's published tables and figures.

``make ground-truth`` runs every stage for the sample (wexley, 2022-03) in a scratch project and
copies what the panel reads — ``reports/wexley/2022-03/tables/*.csv`` and the published parts of
``figures/*.json`` — into ``tests/ground_truth/wexley/2022-03/``. Review the diff in git: any change
to a number a panel reads shows there. ``tests/test_published_tables.py`` fails when a run
differs from these files.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/ (for scratch.py) when run as a script

AREA, PERIOD = "wexley", "2022-03"
FROZEN = HERE / AREA / PERIOD
PUBLISHED_KEYS = ("figures", "glance", "headlines", "sentences")


def published_figures(path: Path) -> dict:
    """The parts of a stage's figures JSON that reach a reader (sorted keys, stable floats)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: data[k] for k in PUBLISHED_KEYS if k in data}


def run_sample(root: Path) -> Path:
    """Run every stage (no PDFs) for the sample in the scratch project ``root``; return its reports."""
    from scratch import make_project, sample_cache

    make_project(root, sample=sample_cache(root.parent))
    before = os.environ.get("CSP_SCRUTINY_ROOT")
    os.environ["CSP_SCRUTINY_ROOT"] = str(root)  # inherited by the papermill kernels
    try:
        from helpers.run import batch
        from helpers.run.executors import SerialExecutor

        items = batch.work_items(batch.resolve_areas([AREA]), [PERIOD], root)
        results = batch.run_batch(items, SerialExecutor(), pdf=False, progress=False)
    finally:
        if before is None:
            os.environ.pop("CSP_SCRUTINY_ROOT", None)
        else:
            os.environ["CSP_SCRUTINY_ROOT"] = before
    failed = [r for r in results if r.status == "failed"]
    if failed:
        raise RuntimeError("stage(s) failed: " + ", ".join(f"{r.stage}: {r.error}" for r in failed))
    return root / "reports" / AREA / PERIOD


def write_frozen(report: Path, target: Path = FROZEN) -> list[Path]:
    if target.exists():
        shutil.rmtree(target)
    (target / "tables").mkdir(parents=True)
    (target / "figures").mkdir()
    written = []
    for csv in sorted((report / "tables").glob("*.csv")):
        written.append(Path(shutil.copy2(csv, target / "tables" / csv.name)))
    for js in sorted((report / "figures").glob("*.json")):
        out = target / "figures" / js.name
        out.write_text(
            json.dumps(published_figures(js), indent=1, sort_keys=True, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        written.append(out)
    return written


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="ground-truth-") as tmp:
        report = run_sample(Path(tmp) / "project")
        written = write_frozen(report)
    print(
        f"wrote {len(written)} files under {FROZEN.relative_to(HERE.parents[1])}; review git diff"
    )


if __name__ == "__main__":
    main()
