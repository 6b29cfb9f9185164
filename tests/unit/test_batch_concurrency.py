"""Stages after the cleaning stage run side by side; rows, state and failures stay as before.

Tiny throw-away notebooks (tests/batch_support.py), real papermill kernels.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from batch_support import fail, runs, tiny_project

from helpers.core.config import load_area_config
from helpers.run import batch

P = "2022-03"
CODE = "pinned-code-version"
STAGES = ["01_first", "02_second", "03_third", "04_fourth"]


@pytest.fixture()
def root(tmp_path, monkeypatch):
    r = tiny_project(tmp_path / "root", ["c1", "c2"], n_stages=4)
    monkeypatch.setenv("CSP_SCRUTINY_ROOT", str(r))
    return r


def test_two_at_a_time_after_cleaning_rows_in_notebook_order(root):
    res = batch.run_area(load_area_config("c1"), P, pdf=False, code_version=CODE, stage_workers=2)
    assert [r.stage for r in res] == STAGES  # rows in notebook order, however they ran
    assert [r.status for r in res] == ["ok"] * 4
    order = runs(root, "c1", P)
    assert order[0] == "01_first" and sorted(order[1:]) == STAGES[1:]
    # no previous timings: the two later (heavier) stages start first, the second waits
    assert set(order[1:3]) == {"03_third", "04_fourth"} and order[3] == "02_second"
    state = batch.read_state(root / "reports" / "c1" / P)
    assert sorted(state["stages"]) == STAGES
    # a second run with nothing changed re-runs nothing
    again = batch.run_area(load_area_config("c1"), P, pdf=False, code_version=CODE, stage_workers=2)
    assert [r.status for r in again] == ["unchanged"] * 4
    assert runs(root, "c1", P) == order


def test_one_worker_keeps_notebook_order(root):
    batch.run_area(load_area_config("c2"), P, pdf=False, code_version=CODE, stage_workers=1)
    assert runs(root, "c2", P) == STAGES


def test_a_failed_stage_among_parallel_ones_and_a_failed_cleaning_stage(root):
    fail(root, "c1", "03_third", "raise")
    res = {r.stage: r for r in batch.run_area(
        load_area_config("c1"), P, pdf=False, code_version=CODE, stage_workers=2)}  # fmt: skip
    assert res["03_third"].status == "failed" and "deliberate failure" in res["03_third"].error
    assert {res[s].status for s in ("01_first", "02_second", "04_fourth")} == {"ok"}
    fail(root, "c2", "01_first", "raise")
    res = batch.run_area(load_area_config("c2"), P, pdf=False, code_version=CODE, stage_workers=2)
    assert [r.status for r in res] == ["failed", "skipped", "skipped", "skipped"]
    assert runs(root, "c2", P) == ["01_first"]


def test_a_stage_whose_pdf_fails_is_failed_and_re_run_next_time(root):
    """PDFs are exported beside the next stages; a failed export still fails its stage."""
    fail(root, "c1", "02_second", "nopdf")
    out = root / "reports" / "c1" / P
    res = {r.stage: r for r in batch.run_area(
        load_area_config("c1"), P, pdf=True, code_version=CODE, stage_workers=2)}  # fmt: skip
    assert res["02_second"].status == "failed" and res["02_second"].pdf is None
    assert "02_second.pdf" in res["02_second"].error
    assert "02_second.pdf" in (out / "02_second.ipynb").read_text()  # the error is in it
    for s in ("01_first", "03_third", "04_fourth"):
        assert res[s].status == "ok" and res[s].pdf == out / f"{s}.pdf"
        assert (out / f"{s}.pdf").read_bytes().startswith(b"%PDF")
    assert sorted(batch.read_state(out)["stages"]) == ["01_first", "03_third", "04_fourth"]
    (root / "fail" / "c1-02_second").unlink()
    (out / "02_second.pdf").rmdir()
    again = {r.stage: r.status for r in batch.run_area(
        load_area_config("c1"), P, pdf=True, code_version=CODE, stage_workers=2)}  # fmt: skip
    assert again["02_second"] == "ok"
    assert {again[s] for s in ("01_first", "03_third", "04_fourth")} == {"unchanged"}


def test_stage_pdfs_are_exported_in_forked_children(root, tmp_path):
    from helpers.run import warmkernel
    from helpers.run.sidework import SideWork

    batch.run_area(load_area_config("c2"), P, pdf=False, code_version=CODE, stage_workers=1)
    nb = root / "reports" / "c2" / P / "01_first.ipynb"
    side = SideWork(True)
    try:
        job = side.export(nb, tmp_path / "a.pdf", True)
        assert side.forked and job._proc is not None  # a child of the warm zygote
        path, secs = job.result()
        assert path == str(tmp_path / "a.pdf") and secs > 0
        assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF")
        inline = SideWork(True, beside=False).export(nb, tmp_path / "b.pdf", True)
        assert inline._proc is None and (tmp_path / "b.pdf").exists()  # done before it returned
    finally:
        side.close()
        warmkernel.shutdown()


def test_notebooks_still_validate_without_the_slow_iri_parser():
    code = (
        "import sys, helpers.run, nbformat\n"
        "assert sys.modules['rfc3987_syntax'] is None\n"
        "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')])\n"
        "nbformat.validate(nb)\n"
        "nbformat.reads(nbformat.writes(nb), as_version=4)\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr
