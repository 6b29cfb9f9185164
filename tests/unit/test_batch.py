"""Batch runner: failure isolation, resume by content keys, the summary and the CLI.

Uses tiny throw-away stage notebooks (tests/batch_support.py) in a scratch project root, so
every execution is a real papermill kernel but takes about a second.
"""

from __future__ import annotations

import json

import nbformat
import pytest
from batch_support import fail, runs, stage_json, tiny_project

from helpers.run import batch, cli
from helpers.run.executors import ProcessPoolExecutor, SerialExecutor

P = "2022-03"
AREAS = ["a1", "a2", "boom", "killed", "slow"]
CODE = "pinned-code-version"  # other engineers edit helpers while we test: pin the code key


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tiny_project(tmp_path_factory.mktemp("batch") / "root", AREAS, n_stages=3)
    fail(root, "boom", "02_second", "raise")
    fail(root, "killed", "02_second", "kill")
    fail(root, "slow", "01_first", "sleep")  # the cleaning stage itself times out
    mp = pytest.MonkeyPatch()
    mp.setenv("CSP_SCRUTINY_ROOT", str(root))
    items = batch.work_items(batch.resolve_areas(["all"]), [P], root)
    ex = ProcessPoolExecutor(2)
    try:
        first = batch.run_batch(items, ex, pdf=False, timeout=4, progress=False, code_version=CODE)
    finally:
        ex.close()
    yield {"root": root, "items": items, "first": first}
    mp.undo()


def by_key(results):
    return {(r.area, r.stage): r for r in results}


def test_resolve_areas_all_and_explicit(project):
    pairs = batch.resolve_areas(["all", "a1"])
    assert [a for a, _ in pairs] == sorted(AREAS)  # "a1" again is not repeated
    items = batch.work_items(pairs[:2], ["2021-03", "2022-03"], project["root"])
    assert [(i.area, i.period) for i in items] == [
        ("a1", "2021-03"),
        ("a1", "2022-03"),
        ("a2", "2021-03"),
        ("a2", "2022-03"),
    ]
    assert all(i.root == str(project["root"]) for i in items)


def test_bad_period_is_a_user_error(project):
    from helpers.core.errors import ScrutinyError

    with pytest.raises(ScrutinyError):
        batch.work_items([("a1", "a1")], ["2022-13"])


def test_one_failing_notebook_does_not_stop_the_others(project):
    res = by_key(project["first"])
    root = project["root"]
    for area in ("a1", "a2"):
        assert [res[(area, s)].status for s in ("01_first", "02_second", "03_third")] == ["ok"] * 3
        expected = sum(ord(c) for c in area + P) * 3  # the third stage's value, computed here
        assert stage_json(root, area, P, "03_third")["value"] == expected
        assert stage_json(root, area, P, "03_third")["root"] == str(root)  # env reached the kernel
    for area, word in (("boom", "deliberate failure"), ("killed", "died")):
        assert res[(area, "01_first")].status == "ok"
        r = res[(area, "02_second")]
        assert r.status == "failed"
        assert word.lower() in r.error.lower()
        # stage 03 reads only the cleaning stage's outputs, so a failed 02 does not stop it
        assert res[(area, "03_third")].status == "ok"
        assert runs(root, area, P) == ["01_first", "02_second", "03_third"]
        # the partly executed notebook is kept, with the error written into it
        nb = nbformat.read(root / "reports" / area / P / "02_second.ipynb", as_version=4)
        assert nb.metadata["scrutiny_batch"]["status"] == "failed"
        assert "batch-error" in nb.cells[0].metadata["tags"]
    # a failed cleaning stage leaves nothing to analyse: the later stages are skipped, not run
    assert (
        res[("slow", "01_first")].status == "failed"
        and "timeout" in res[("slow", "01_first")].error.lower()
    )
    assert [res[("slow", s)].status for s in ("02_second", "03_third")] == ["skipped", "skipped"]
    assert "cleaning stage failed" in res[("slow", "02_second")].error
    assert runs(root, "slow", P) == ["01_first"]
    assert batch.batch_failed(project["first"])
    table = batch.summary_table(project["first"])
    assert "deliberate failure in boom" in table
    assert "10 ran ok, 0 unchanged (not re-run), 3 failed, 2 skipped." in table


def test_resume_reruns_only_failed_or_changed(project):
    root, items = project["root"], project["items"]
    before = {a: runs(root, a, P) for a in AREAS}
    for marker in ("boom-02_second", "killed-02_second", "slow-01_first"):
        (root / "fail" / marker).unlink()  # the cause of each failure is fixed
    res = batch.run_batch(
        items, SerialExecutor(), pdf=False, timeout=30, progress=False, code_version=CODE
    )
    st = by_key(res)
    for area in ("a1", "a2"):
        assert runs(root, area, P) == before[area]  # nothing re-executed
        assert {st[(area, s)].status for s in ("01_first", "02_second", "03_third")} == {
            "unchanged"
        }
    for area in ("boom", "killed"):  # only the failed stage re-runs
        assert runs(root, area, P) == before[area] + ["02_second"]
        assert st[(area, "01_first")].status == st[(area, "03_third")].status == "unchanged"
        assert st[(area, "02_second")].status == "ok"
    # the cleaning stage first, then the later stages (which may run side by side, any order)
    again = runs(root, "slow", P)[len(before["slow"]) :]
    assert again[0] == "01_first" and sorted(again) == ["01_first", "02_second", "03_third"]
    assert {st[("slow", s)].status for s in ("01_first", "02_second", "03_third")} == {"ok"}
    assert not batch.batch_failed(res)

    # a changed input (the a2 config) re-runs a2 only; a changed parameter set is a new item
    cfg = root / "config" / "a2.yaml"
    cfg.write_text(cfg.read_text() + "\n# edited\n")
    snapshot = {a: runs(root, a, P) for a in AREAS}
    res = batch.run_batch(items, SerialExecutor(), pdf=False, progress=False, code_version=CODE)
    # in this process, stages after the cleaning stage run two at a time (2 cores): any order
    new = runs(root, "a2", P)[len(snapshot["a2"]) :]
    assert new[0] == "01_first" and sorted(new[1:]) == ["02_second", "03_third"]
    for area in ("a1", "boom", "killed", "slow"):
        assert runs(root, area, P) == snapshot[area]
    assert sum(r.status == "ok" for r in res) == 3

    # a deleted output is rebuilt even though its key is unchanged
    (root / "reports" / "a1" / P / "02_second.ipynb").unlink()
    res = by_key(
        batch.run_batch(items[:1], SerialExecutor(), pdf=False, progress=False, code_version=CODE)
    )
    assert [res[("a1", s)].status for s in ("01_first", "02_second", "03_third")] == [
        "unchanged",
        "ok",
        "unchanged",
    ]


def test_state_file_records_keys_per_stage(project):
    state = json.loads((project["root"] / "reports" / "a1" / P / batch.STATE_FILE).read_text())
    assert set(state["stages"]) == {"01_first", "02_second", "03_third"}
    assert all(len(v["key"]) == 64 for v in state["stages"].values())


def test_stage_key_depends_on_notebook_parameters_and_code(project, tmp_path):
    from helpers.core.config import load_area_config

    nb = batch.stage_notebooks()[0]
    opts = batch.BatchOptions(pdf=False)
    cfg = load_area_config("a1")
    fp = batch.raw_fingerprint(cfg)
    k = batch.stage_key(cfg, P, nb, opts, fp, "v1")
    assert k == batch.stage_key(cfg, P, nb, opts, fp, "v1")
    assert k != batch.stage_key(cfg, "2021-03", nb, opts, fp, "v1")
    assert k != batch.stage_key(cfg, P, nb, opts, fp, "v2")
    assert k != batch.stage_key(load_area_config("a2"), P, nb, opts, fp, "v1")
    assert k != batch.stage_key(cfg, P, nb, batch.BatchOptions(pdf=True), fp, "v1")
    other = tmp_path / nb.name
    other.write_bytes(nb.read_bytes().replace(b"Tiny stage", b"Tiny  stage"))
    assert k != batch.stage_key(cfg, P, other, opts, fp, "v1")


def test_cli_run_reports_and_exit_codes(project, capsys):
    root = project["root"]
    before = {a: runs(root, a, P) for a in AREAS}
    code = cli.main(
        [
            "run",
            "--area",
            "a1",
            "a2",
            "--period",
            P,
            "--no-pdf",
            "--stages",
            "01",
            "--workers",
            "1",
            "--quiet",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.splitlines()[0].split() == ["area", "period", "stage", "status", "seconds", "PDF"]
    fail(root, "a1", "01_first", "raise")
    code = cli.main(
        [
            "run",
            "--area",
            "a1",
            "--period",
            P,
            "--no-pdf",
            "--stages",
            "01",
            "--workers",
            "1",
            "--quiet",
            "--force",
        ]
    )
    out = capsys.readouterr().out
    (root / "fail" / "a1-01_first").unlink()
    assert code == 1
    assert "deliberate failure in a1 01_first" in out
    assert "0 ran ok, 0 unchanged (not re-run), 1 failed, 0 skipped." in out
    # the first call may or may not re-run 01 (the helpers source key is live there); the forced one must
    assert runs(root, "a1", P)[-1] == "01_first" and len(runs(root, "a1", P)) > len(before["a1"])


def test_cli_unknown_area_is_a_clear_error(project, capsys):
    assert cli.main(["run", "--area", "nowhere", "--period", P, "--no-pdf"]) == 2
    assert "Unknown area 'nowhere'" in capsys.readouterr().err


def test_bad_parameters_stop_the_batch_before_anything_runs(project, capsys):
    root = project["root"]
    before = {a: runs(root, a, P) for a in AREAS}
    assert cli.main(["run", "--area", "all", "--period", P, "2099-01", "--no-pdf", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "2099-01" in err and "What to do" in err
    assert {a: runs(root, a, P) for a in AREAS} == before  # nothing executed, not even 2022-03
    assert not (root / "reports" / "a1" / "2099-01").exists()
