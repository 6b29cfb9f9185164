"""The batch runner calls the reconciliation check after each area and period.

Two tiny stages write keyed figures through the real ``save_stage_outputs``; for one area they
disagree about last year's all crime, and that item must fail with a ``reconcile`` row naming
both places, while the consistent area passes.
"""

from __future__ import annotations

import nbformat
import pytest
from batch_support import tiny_project

from helpers.run import batch

P = "2022-03"
CODE = "pinned-code-version"

STAGE = """\
from helpers.ingest.processed import save_stage_outputs
from helpers.stages import measures as MS
months = [f"2020-{m:02d}" for m in range(4, 13)] + ["2021-01", "2021-02", "2021-03"]
value = 21072 if (area == "clash" and STAGE == "03_third") else 21074
save_stage_outputs(area, period, STAGE, measures=[
    MS.record("all_crime", area, months, value, f"sentence of {STAGE}", source="test")])
"""


def _stage(folder, stage: str) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'area: str = "wexley"  # area config name\nperiod: str = "2022-03"  # last month'
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(f"STAGE = {stage!r}\n" + STAGE)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, folder / f"{stage}.ipynb")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tiny_project(tmp_path_factory.mktemp("rec") / "root", ["agree", "clash"], n_stages=1)
    nbs = root / "notebooks"
    _stage(nbs.resolve(), "02_second")
    _stage(nbs.resolve(), "03_third")
    mp = pytest.MonkeyPatch()
    mp.setenv("CSP_SCRUTINY_ROOT", str(root))
    try:
        items = batch.work_items(batch.resolve_areas(["all"]), [P], root)
        yield batch.run_batch(items, pdf=False, progress=False, code_version=CODE)
    finally:
        mp.undo()


def test_consistent_area_passes_and_clash_fails_naming_places(results):
    rows = {(r.area, r.stage): r for r in results}
    assert rows[("agree", "reconcile")].status == "ok"
    bad = rows[("clash", "reconcile")]
    assert bad.status == "failed"
    assert "all_crime (count), area clash, months 2020-04..2021-03" in bad.error
    assert "21074 [test] in 02_second: sentence of 02_second" in bad.error
    assert "21072 [test] in 03_third: sentence of 03_third" in bad.error
    assert batch.batch_failed(results)
    assert "reconcile  failed" in batch.summary_table(results)
