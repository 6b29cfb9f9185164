"""Executors: a process pool and a real Dask LocalCluster give the same outputs as a serial run.

Each executor runs the same batch (two areas × two periods × two tiny stage notebooks) in its own
scratch project root; the executed outputs must be identical, whatever ran where.
"""

from __future__ import annotations

import math
import os

import nbformat
import pytest
from batch_support import stage_json, tiny_project

from helpers.run import batch
from helpers.run.executors import DaskExecutor, ProcessPoolExecutor, SerialExecutor, make_executor

AREAS = ["north", "south"]
PERIODS = ["2021-03", "2022-03"]
STAGES = ["01_first", "02_second"]


def _outputs(root):
    """Every stage's JSON (root path left out) and its notebook's printed text."""
    out = {}
    for a in AREAS:
        for p in PERIODS:
            for s in STAGES:
                data = stage_json(root, a, p, s)
                data.pop("root")
                nb = nbformat.read(root / "reports" / a / p / f"{s}.ipynb", as_version=4)
                text = "".join(
                    o.get("text", "")
                    for c in nb.cells
                    if c.cell_type == "code"
                    for o in c.get("outputs", [])
                )
                out[(a, p, s)] = (data, text)
    return out


def _run(tmp_path, name, executor, monkeypatch):
    root = tiny_project(tmp_path / name, AREAS, n_stages=2)
    monkeypatch.setenv("CSP_SCRUTINY_ROOT", str(root))
    items = batch.work_items(batch.resolve_areas(["all"]), PERIODS, root)
    try:
        res = batch.run_batch(items, executor, pdf=False, progress=False, code_version="pinned")
        if any("Kernel died before replying" in (r.error or "") for r in res):
            # a kernel that could not start on a loaded machine (not what is tested): once more
            res = batch.run_batch(
                items, executor, pdf=False, progress=False, code_version="pinned", force=True
            )
    finally:
        executor.close()
    assert [r.status for r in res] == ["ok"] * 8, batch.summary_table(res)
    # results come back in item order whatever order the workers finished in
    assert [(r.area, r.period, r.stage) for r in res] == [
        (a, p, s) for a in AREAS for p in PERIODS for s in STAGES
    ]
    return _outputs(root)


@pytest.fixture(scope="module")
def serial_outputs(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    try:
        return _run(tmp_path_factory.mktemp("serial"), "root", SerialExecutor(), mp)
    finally:
        mp.undo()


def test_serial_outputs_are_the_hand_computed_values(serial_outputs):
    for (a, p, s), (data, text) in serial_outputs.items():
        n = int(s[:2])
        value = sum(ord(c) for c in a + p) * n
        assert data == {"area": a, "period": p, "value": value}
        assert text.strip() == f"{a} {p} {value}"


def test_process_pool_matches_serial(tmp_path, monkeypatch, serial_outputs):
    assert _run(tmp_path, "root", ProcessPoolExecutor(2), monkeypatch) == serial_outputs


def test_dask_local_cluster_matches_serial(tmp_path, monkeypatch, serial_outputs):
    ex = DaskExecutor("local", workers=2)  # LocalCluster: 2 worker processes on 127.0.0.1
    workers = ex.client.scheduler_info()["workers"]
    assert len(workers) == 2 and all(w.startswith("tcp://127.0.0.1:") for w in workers)
    pids = set(ex.client.run(os.getpid).values())
    assert len(pids) == 2 and os.getpid() not in pids  # separate processes, not threads here
    assert _run(tmp_path, "root", ex, monkeypatch) == serial_outputs


def test_dask_existing_scheduler_address(monkeypatch):
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1, processes=False, protocol="tcp", host="127.0.0.1", dashboard_address=None
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        ex = DaskExecutor(cluster.scheduler_address)
        try:
            got = sorted((i, r, e) for i, r, e in ex.map_unordered(math.sqrt, [4.0, 9.0]))
        finally:
            ex.close()
    assert got == [(4.0, 2.0, None), (9.0, 3.0, None)]


@pytest.mark.parametrize("make", [SerialExecutor, lambda: ProcessPoolExecutor(2)])
def test_one_failing_item_is_reported_and_the_rest_finish(make):
    ex = make()
    try:
        got = {i: (r, e) for i, r, e in ex.map_unordered(math.sqrt, [16.0, -1.0, 25.0])}
    finally:
        ex.close()
    assert got[16.0] == (4.0, None) and got[25.0] == (5.0, None)
    assert got[-1.0][0] is None and isinstance(got[-1.0][1], ValueError)


def test_dead_worker_process_fails_only_its_item():
    ex = ProcessPoolExecutor(2)
    try:
        got = {i: (r, e) for i, r, e in ex.map_unordered(os._exit, [3])}
        after = {i: (r, e) for i, r, e in ex.map_unordered(math.sqrt, [4.0])}  # a fresh pool works
    finally:
        ex.close()
    assert got[3][0] is None and "worker process died" in str(got[3][1])
    assert after == {4.0: (2.0, None)}


def test_make_executor_choices():
    assert isinstance(make_executor(1), SerialExecutor) and make_executor(1).name == "serial"
    pool = make_executor(3)
    assert isinstance(pool, ProcessPoolExecutor) and pool.workers == 3
    from helpers.core.errors import ParameterError

    with pytest.raises(ParameterError):
        make_executor(0 - 1)
    with pytest.raises(ParameterError):
        make_executor(None, "http://not-a-scheduler")
