"""Tiny throw-away stage notebooks and scratch project roots for the batch and executor tests.

Each tiny stage appends its name to ``reports/<area>/<period>/runs.log`` (so a test can count
real executions), then behaves as a marker file ``<root>/fail/<area>-<stage>`` says: ``raise``
(an exception in a cell), ``kill`` (the kernel kills itself), ``sleep`` (runs past the
timeout) or ``nopdf`` (runs, but leaves a folder where its PDF would go, so the export fails). Otherwise it writes ``<stage>.json`` with a value computed from its parameters.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

STAGE_CODE = """\
import json, os, time
from helpers.core import paths

root = paths.project_root()
out = paths.report_dir(area, period)
marker = root / "fail" / f"{area}-{STAGE}"
mode = marker.read_text().strip() if marker.exists() else ""
with open(out / "runs.log", "a") as fh:
    fh.write(STAGE + "\\n")
if mode == "raise":
    raise ValueError(f"deliberate failure in {area} {STAGE}")
if mode == "kill":
    os.kill(os.getpid(), 9)
if mode == "sleep":
    time.sleep(120)
if mode == "nopdf":
    (out / f"{STAGE}.pdf").mkdir()
value = sum(ord(c) for c in area + period) * NUMBER
(out / f"{STAGE}.json").write_text(json.dumps({"area": area, "period": period, "value": value, "root": str(root)}))
print(area, period, value)
"""


def write_stage_notebook(folder: Path, number: int, name: str) -> Path:
    stage = f"{number:02d}_{name}"
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'area: str = "wexley"  # area config name in config/\n'
        'period: str = "2022-03"  # last month of the reporting period (YYYY-MM)'
    )
    params.metadata["tags"] = ["parameters"]
    code = f"STAGE = {stage!r}\n" + STAGE_CODE.replace("NUMBER", str(number))
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# Tiny stage {stage}"),
        params,
        nbformat.v4.new_code_cell(code),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = folder / f"{stage}.ipynb"
    nbformat.write(nb, path)
    return path


def tiny_project(root: Path, areas: list[str], n_stages: int = 2) -> Path:
    """A scratch project root with ``areas`` configs and ``n_stages`` tiny stage notebooks."""
    from helpers.run.batch import scratch_project

    nbs = root.parent / f"{root.name}_notebooks"
    nbs.mkdir(parents=True, exist_ok=True)
    for i in range(1, n_stages + 1):
        write_stage_notebook(nbs, i, ["first", "second", "third", "fourth"][i - 1])
    scratch_project(root, areas, notebooks=nbs)
    (root / "fail").mkdir(exist_ok=True)
    return root


def fail(root: Path, area: str, stage: str, mode: str) -> None:
    (root / "fail" / f"{area}-{stage}").write_text(mode)


def runs(root: Path, area: str, period: str) -> list[str]:
    log = root / "reports" / area / period / "runs.log"
    return log.read_text().split() if log.exists() else []


def stage_json(root: Path, area: str, period: str, stage: str) -> dict | None:
    p = root / "reports" / area / period / f"{stage}.json"
    return json.loads(p.read_text()) if p.exists() else None
