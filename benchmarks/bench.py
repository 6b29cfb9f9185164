"""Benchmarks (``make bench`` → ``python benchmarks/bench.py``). Not a test: it prints figures.

On one set of generated national-scale police.uk street files (:mod:`helpers.sample.national`) it
measures, each phase in its own child process so peak memory (the child's ``ru_maxrss``) is that
phase's alone:

(a) **ours**: :func:`helpers.ingest.fastclean.clean_street` as a national run does it (parse,
    classify, ledger, duplicates, Parquet out; no BNG projection, which the area stages do for
    their own rows): rows per second and peak memory; and, for reference, the same with the
    projection (``ours+bng``);
(b) **baseline**: the straightforward way: ``pandas.read_csv`` per file, ``concat``, the same
    rules and classification (:func:`helpers.ingest.offences.classify_police_uk`), ``to_parquet`` with
    pandas' default codec; the same work as (a) (no projection); on a subset of the files
    (``--baseline-rows``) so it fits in memory on a shared machine; compared by rows per second;
(c) **parse floor**: the fastest reader merely parsing the same CSVs to columns (pyarrow.csv on a
    thread pool, and DuckDB's ``read_csv``; the faster counts), and our time as a multiple of it;
(d) **batch**: wall time of ``scrutiny run`` for ``--areas`` sample-sized areas (copies of the
    Wexley config in a scratch project root) with 1, 2 and N (= cores) workers.

(e) **stages**: every stage notebook (01-04, through the batch runner, no PDFs, nothing reused)
    on the sample, on one real CSP (Newcastle upon Tyne, LAD19CD E08000021 by the lookup's
    area filter) and on the whole Northumbria force from ``../shared/data`` (each skipped with a
    reason where absent), with seconds per 100,000 cleaned rows per stage and the ratio of the
    largest to the smallest, so a stage whose cost grows faster than its input shows at once.
    ``--stages-only`` runs this phase alone; ``--skip-stages`` leaves it out. Stages run one at
    a time here, so each stage's seconds are its own.
(f) **a region's batch**: the six Northumbria CSPs and the force for period 2023-02, every
    stage with PDFs, packs and ward briefings, on 1 worker, 2 workers and a Dask LocalCluster,
    with wall time and the speed-up over 1 worker. The seven configs come from the back-test's
    own writer (``tests/backtests/test_real_areas.py``); skipped with a reason when
    ``../shared/data`` is absent. Heavy (many minutes): ``--region-only`` runs it alone,
    ``--skip-region`` leaves it out, ``--region-executors 1 2`` picks executors.
(g) **the sample's pack**: ``scrutiny run --area wexley --force`` in a child process (what
    ``make report`` does after set-up), wall seconds and CPU seconds (the child and its kernels).
    ``--pack-only`` runs it alone; ``--skip-pack`` leaves it out.

Every phase imports its modules before its clock starts, so start-up is not counted for anyone.
``--rows 2000000`` scales the national data down for a quick run; ``--skip-batch`` leaves (d) out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

PHASES = ("ours", "ours+bng", "baseline", "floor-arrow", "floor-duckdb")


# --------------------------------------------------------------------------- phases (run in a child)


def _files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*-street.csv"))


def phase_ours(
    folder: Path, out: Path, period: str, limit_rows: int | None, project: bool = False
) -> dict:
    from helpers.ingest.fastclean import clean_street

    res = clean_street(folder, period, out=out / "ours.parquet", project=project)
    return {"rows": res.rows_read, "kept": res.rows_kept, "files": res.files}


def phase_ours_bng(folder: Path, out: Path, period: str, limit_rows: int | None) -> dict:
    return phase_ours(folder, out, period, limit_rows, project=True)


def _subset(folder: Path, limit_rows: int | None) -> list[Path]:
    files = _files(folder)
    if not limit_rows:
        return files
    # whole months, in order, until the row budget is used (bytes per row are nearly constant)
    total_bytes = sum(f.stat().st_size for f in files)
    marker = json.loads((folder / "NATIONAL_SAMPLE.json").read_text())
    budget = total_bytes * min(1.0, limit_rows / marker["rows_written"])
    chosen, used = [], 0
    for f in files:
        if used >= budget:
            break
        chosen.append(f)
        used += f.stat().st_size
    return chosen


def phase_baseline(folder: Path, out: Path, period: str, limit_rows: int | None) -> dict:
    """The straightforward pandas version of the same cleaning (as phase_ours: no projection)."""
    from helpers.core.periods import MONTH_PATTERN
    from helpers.ingest import offences

    files = _subset(folder, limit_rows)
    frames = []
    for f in files:
        df = pd.read_csv(f, dtype=str, keep_default_na=False, on_bad_lines="skip")
        df["source_file"] = str(f.relative_to(folder))
        df["source_row"] = np.arange(2, len(df) + 2)
        frames.append(df)
    raw = pd.concat(frames, ignore_index=True)
    st = pd.DataFrame(
        {
            "crime_id": raw["Crime ID"].str.strip().replace("", None),
            "month": raw["Month"].str.strip(),
            "reported_by": raw["Reported by"],
            "falls_within": raw["Falls within"],
            "longitude": pd.to_numeric(raw["Longitude"].str.strip(), errors="coerce"),
            "latitude": pd.to_numeric(raw["Latitude"].str.strip(), errors="coerce"),
            "location": raw["Location"],
            "lsoa_code": raw["LSOA code"].str.strip().replace("", None),
            "lsoa_name": raw["LSOA name"],
            "crime_type": raw["Crime type"].str.strip(),
            "last_outcome_category": raw["Last outcome category"].replace("", None),
            "source_file": raw["source_file"],
            "source_row": raw["source_row"],
        }
    )
    del raw, frames
    cls = offences.classify_police_uk(st["crime_type"])
    st = pd.concat([st, cls], axis=1)
    reason = pd.Series(None, index=st.index, dtype=object)
    reason[~st["month"].str.match(MONTH_PATTERN)] = "unparseable month"
    reason[reason.isna() & (st["month"] > period)] = "after the period end"
    reason[reason.isna() & ~st["known_type"]] = "unknown crime type"
    reason[reason.isna() & ~st["is_asb"] & st["crime_id"].isna()] = "crime row without a Crime ID"
    ids = st[st["crime_id"].notna()].sort_values(["month", "source_file", "source_row"])
    first = ids.drop_duplicates("crime_id").set_index("crime_id")["source_file"]
    dup = st["crime_id"].notna() & (st["crime_id"].map(first) != st["source_file"])
    reason[reason.isna() & dup] = "duplicate Crime ID"
    zeroed = (st["longitude"] == 0) & (st["latitude"] == 0)
    st.loc[zeroed, ["longitude", "latitude"]] = np.nan
    st["easting"] = np.nan  # as ours on a national run: projection is the area stages' job
    st["northing"] = np.nan
    kept = st[reason.isna()].drop(columns="known_type")
    kept.to_parquet(out / "baseline.parquet", index=False)  # pandas' default codec (snappy)
    return {"rows": int(len(st)), "kept": int(len(kept)), "files": len(files)}


def phase_floor_arrow(folder: Path, out: Path, period: str, limit_rows: int | None) -> dict:
    """pyarrow.csv parsing every file (all columns, as strings) on a thread pool; nothing else."""
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    import pyarrow.csv as pacsv

    from helpers.ingest.loading import STREET_COLUMNS

    types = dict.fromkeys(STREET_COLUMNS, pa.string())

    def parse(f: Path) -> int:
        t = pacsv.read_csv(
            f,
            read_options=pacsv.ReadOptions(use_threads=False, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(invalid_row_handler=lambda r: "skip"),
            convert_options=pacsv.ConvertOptions(column_types=types),
        )
        return t.num_rows

    files = _files(folder)
    with ThreadPoolExecutor(max_workers=len(os.sched_getaffinity(0))) as pool:
        rows = sum(pool.map(parse, files))
    return {"rows": rows, "files": len(files)}


def phase_floor_duckdb(folder: Path, out: Path, period: str, limit_rows: int | None) -> dict:
    """DuckDB read_csv over every file, all columns as text, materialised to Arrow batches."""
    import duckdb

    files = [str(f) for f in _files(folder)]
    con = duckdb.connect()
    con.execute(f"SET threads={len(os.sched_getaffinity(0))}")
    rel = con.sql(
        f"SELECT * FROM read_csv({files!r}, header=true, all_varchar=true, ignore_errors=true)"
    )
    rows = 0
    reader = (
        rel.to_arrow_reader(1_000_000)
        if hasattr(rel, "to_arrow_reader")
        else rel.fetch_record_batch(1_000_000)
    )
    for batch in reader:
        rows += batch.num_rows
    return {"rows": rows, "files": len(files)}


PHASE_IMPORTS = {
    "ours": ["helpers.ingest.fastclean"],
    "ours+bng": ["helpers.ingest.fastclean", "pyproj"],
    "baseline": ["pandas", "helpers.ingest.offences", "pyarrow.parquet"],
    "floor-arrow": ["pyarrow.csv", "helpers.ingest.loading"],
    "floor-duckdb": ["duckdb"],
}


def _child(phase: str, folder: str, out: str, period: str, limit_rows: int | None) -> None:
    import importlib

    for m in PHASE_IMPORTS[phase]:  # before the clock: start-up is nobody's cleaning time
        importlib.import_module(m)
    fn = {
        "ours": phase_ours,
        "ours+bng": phase_ours_bng,
        "baseline": phase_baseline,
        "floor-arrow": phase_floor_arrow,
        "floor-duckdb": phase_floor_duckdb,
    }[phase]
    t0, c0 = time.perf_counter(), time.process_time()
    info = fn(Path(folder), Path(out), period, limit_rows)
    info["seconds"] = time.perf_counter() - t0
    info["cpu_seconds"] = time.process_time() - c0  # every thread of the phase, after imports
    print("BENCH " + json.dumps(info), flush=True)


def run_phase(
    phase: str, folder: Path, out: Path, period: str, limit_rows: int | None = None
) -> dict:
    """Run one phase in a fresh child process; add its peak resident memory (MB)."""
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--phase",
        phase,
        "--folder",
        str(folder),
        "--out",
        str(out),
        "--period",
        period,
    ]
    if limit_rows:
        cmd += ["--baseline-rows", str(limit_rows)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    stdout = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    line = [ln for ln in stdout.splitlines() if ln.startswith("BENCH ")]
    if proc.returncode != 0 or not line:
        return {
            "phase": phase,
            "error": f"exit {proc.returncode}",
            "peak_mb": usage.ru_maxrss / 1024,
        }
    info = json.loads(line[-1][6:])
    info.update(
        phase=phase, peak_mb=usage.ru_maxrss / 1024, rows_per_s=info["rows"] / info["seconds"]
    )
    return info


# --------------------------------------------------------------------------- batch scaling


def bench_batch(
    areas: int, worker_counts: list[int], period: str, stages: list[str] | None, pdf: bool
) -> list[dict]:
    from helpers.core import paths
    from helpers.run import batch
    from helpers.run.executors import make_executor
    from helpers.sample import wexley as sample

    sample.ensure_sample()
    out = []
    with tempfile.TemporaryDirectory(prefix="csp-bench-") as tmp:
        root = batch.scratch_project(
            Path(tmp) / "root",
            [f"area{i:02d}" for i in range(1, areas + 1)],
            notebooks=paths.notebooks_dir(),
        )
        old = os.environ.get("CSP_SCRUTINY_ROOT")
        os.environ["CSP_SCRUTINY_ROOT"] = str(root)
        try:
            items = batch.work_items(batch.resolve_areas(["all"]), [period], root)
            for w in worker_counts:
                ex = make_executor(w)
                t0 = time.perf_counter()
                try:
                    res = batch.run_batch(
                        items, ex, pdf=pdf, stages=stages, force=True, progress=False
                    )
                finally:
                    ex.close()
                wall = time.perf_counter() - t0
                failed = sum(r.status == "failed" for r in res)
                out.append(
                    {
                        "workers": w,
                        "seconds": wall,
                        "items": len(items),
                        "stages_run": len(res),
                        "failed": failed,
                    }
                )
                print(
                    f"  batch {len(items)} areas, {w} worker(s): {wall:.1f} s ({failed} failed stage(s))",
                    flush=True,
                )
        finally:
            if old is None:
                os.environ.pop("CSP_SCRUTINY_ROOT", None)
            else:
                os.environ["CSP_SCRUTINY_ROOT"] = old
    return out


# --------------------------------------------------------------------------- stage scaling

STAGE_PERIOD_REAL = "2023-02"  # Northumbria's police.uk run ends there (2022-01 is missing)
NEWCASTLE_LAD = "E08000021"


def shared_data() -> Path:
    """``../shared/data`` beside the project root (the real open data; absent in a user's clone)."""
    from helpers.core import paths

    return (paths.project_root() / ".." / "shared" / "data").resolve()


def real_area_config(area: str, name: str, data: Path, area_filter: dict | None = None) -> str:
    """A config for a Northumbria area read in place from ``data`` (never copied)."""
    geo = {"crs": "EPSG:27700", "ward_code": "ward_code", "ward_name": "ward_name"}
    if area_filter:
        geo["area_filter"] = area_filter
    import yaml

    return yaml.safe_dump(
        {
            "area": area,
            "name": name,
            "csp_name": name,
            "synthetic": False,
            "force": {"name": "Northumbria Police", "slug": "northumbria"},
            "sources": {
                "police_uk": str(data / "policeuk" / "northumbria"),
                "wards": str(data / "crimemappingdata" / "northumbria_wards_2022.gpkg"),
                "lsoa_lookup": str(
                    data / "lookups" / "ons" / "lsoa11_to_ward19_to_lad19_ew.csv.gz"
                ),
            },
            "geography": geo,
            "analysis": {"disclosure_threshold": 5},
        },
        sort_keys=False,
    )


def stage_sizes() -> list[dict]:
    """The three sizes the stage phase times: the sample, one real CSP and the whole force.

    Each: ``label``, ``area``, ``period``, ``config`` (YAML text, or None for the sample's own
    config) and ``skip`` (why it cannot run here, or None)."""
    data = shared_data()
    have = (data / "policeuk" / "northumbria").is_dir() and (
        data / "crimemappingdata" / "northumbria_wards_2022.gpkg"
    ).exists()
    why = None if have else f"real data not found at {data}"
    return [
        {"label": "sample: Wexley", "area": "wexley", "period": "2022-03", "config": None,
         "skip": None},
        {"label": "CSP: Newcastle upon Tyne", "area": "newcastle", "period": STAGE_PERIOD_REAL,
         "config": None if why else real_area_config(
             "newcastle", "Newcastle upon Tyne", data, {"LAD19CD": [NEWCASTLE_LAD]}),
         "skip": why},
        {"label": "force: Northumbria", "area": "northumbria", "period": STAGE_PERIOD_REAL,
         "config": None if why else real_area_config("northumbria", "Northumbria force area", data),
         "skip": why},
    ]  # fmt: skip


def bench_stages(sizes: list[dict], stages: list[str] | None = None) -> list[dict]:
    """Run every stage notebook (through the batch runner, no PDFs, nothing reused) for each
    size in a scratch project root; one row per size and stage with seconds and the rows the
    stage reads (the cleaned street table of the area and its comparison period)."""
    import pandas as pd

    from helpers.core import paths
    from helpers.core.config import load_area_config
    from helpers.run import batch
    from helpers.sample import wexley as sample

    rows = []
    with tempfile.TemporaryDirectory(prefix="csp-bench-stages-") as tmp:
        root = batch.scratch_project(
            Path(tmp) / "root", ["wexley"], notebooks=paths.notebooks_dir()
        )
        old = os.environ.get("CSP_SCRUTINY_ROOT")
        os.environ["CSP_SCRUTINY_ROOT"] = str(root)
        try:
            for size in sizes:
                if size["skip"]:
                    print(f"  {size['label']}: skipped ({size['skip']})", flush=True)
                    continue
                if size["area"] == "wexley":
                    sample.ensure_sample()
                else:
                    (root / "config" / f"{size['area']}.yaml").write_text(
                        size["config"], encoding="utf-8"
                    )
                cfg = load_area_config(size["area"])
                res = batch.run_area(
                    cfg, size["period"], pdf=False, force=True, stages=stages, stage_workers=1
                )  # one stage at a time: each stage's seconds are its own
                street = paths.processed_dir(size["area"], size["period"]) / "street.parquet"
                n = len(pd.read_parquet(street, columns=["month"])) if street.exists() else 0
                for r in res:
                    rows.append(
                        {"size": size["label"], "stage": r.stage, "status": r.status,
                         "seconds": r.seconds, "rows": n, "error": r.error}
                    )  # fmt: skip
                    print(
                        f"  {size['label']:<27} {r.stage:<26} {r.status:<7} {r.seconds:>7.1f} s "
                        f"{n:>9,} rows",
                        flush=True,
                    )
        finally:
            if old is None:
                os.environ.pop("CSP_SCRUTINY_ROOT", None)
            else:
                os.environ["CSP_SCRUTINY_ROOT"] = old
    return rows


def stage_report(rows: list[dict]) -> str:
    """Seconds per 100,000 rows per stage and size, and per stage the ratio of the largest to
    the smallest (a stage whose cost grows faster than its rows has a ratio that rises with
    size; fixed start-up makes the smallest area's per-row cost the highest)."""
    sizes = list(dict.fromkeys(r["size"] for r in rows))
    stages = list(dict.fromkeys(r["stage"] for r in rows))
    cell = {(r["size"], r["stage"]): r for r in rows}
    head = f"    {'stage':<26}" + "".join(f"{s[:24]:>26}" for s in sizes) + f"{'max/min':>9}"
    lines = [head]
    for st in stages:
        per = []
        text = f"    {st:<26}"
        for sz in sizes:
            r = cell.get((sz, st))
            if r is None or r["status"] != "ok" or not r["rows"]:
                text += f"{(r or {}).get('status', '-'):>26}"
                continue
            v = r["seconds"] / r["rows"] * 1e5
            per.append(v)
            text += f"{r['seconds']:>8.1f} s {v:>8.2f} s/100k"
        text += f"{max(per) / min(per):>9.1f}" if len(per) > 1 else f"{'-':>9}"
        lines.append(text)
    rows_line = "    rows read: " + ", ".join(
        f"{sz} {next(r['rows'] for r in rows if r['size'] == sz):,}" for sz in sizes
    )
    return "\n".join([*lines, rows_line])


# --------------------------------------------------------------------------- the sample's pack


def bench_pack(period: str = "2022-03", cold_kernels: bool = False) -> dict:
    """``scrutiny run --area wexley --period P --force`` in a child process: the sample's whole
    pack (every stage, every PDF, the panel pack, ward briefings, reconciliation), as
    ``make report`` runs it after set-up. Wall seconds, and CPU seconds of the child and its
    kernels (``RUSAGE_CHILDREN``), which move less than wall time when others load the cores."""
    import resource
    import subprocess

    from helpers.core import paths
    from helpers.sample import wexley as sample

    sample.ensure_sample()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "helpers.run.cli", "run", "--area", "wexley", "--period", period,
         "--force", "--quiet", *(["--cold-kernels"] if cold_kernels else [])],
        cwd=paths.project_root(), capture_output=True, text=True,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    steps = [ln for ln in proc.stdout.splitlines() if ln.startswith("wexley ")]
    return {"seconds": wall, "cpu": cpu, "rc": proc.returncode, "steps": steps,
            "error": proc.stderr.strip().splitlines()[-1:] if proc.returncode else []}  # fmt: skip


KERNEL_START = """
import json, sys, time, nbformat, papermill as pm
from helpers.run import warmkernel as wk
nb = nbformat.v4.new_notebook()
nb.cells = [nbformat.v4.new_code_cell("import time; T0 = time.time()"),
            nbformat.v4.new_code_cell("from helpers.present import charts; T1 = time.time()"),
            nbformat.v4.new_code_cell("print(T0, T1)")]
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
src, out, warm = sys.argv[1], sys.argv[2], sys.argv[3] == "warm"
nbformat.write(nb, src)
rows = []
for _ in range(3):
    t = time.time()
    pm.execute_notebook(src, out, kernel_name="python3", progress_bar=False,
                        **wk.papermill_kwargs("python3", warm))
    t0, t1 = map(float, nbformat.read(out, as_version=4).cells[2].outputs[0]["text"].split())
    rows.append([t0 - t, t1 - t])
print(json.dumps(rows))
"""


def bench_kernel_start() -> dict:
    """Seconds from asking papermill for a kernel to the first cell running, and to
    ``helpers.present.charts`` imported in it, for an ordinary kernel and a warm one (three
    kernels each in a fresh runner process: the warm runner's first includes its zygote)."""
    out = {}
    with tempfile.TemporaryDirectory(prefix="csp-kernel-start-") as tmp:
        for mode in ("cold", "warm"):
            proc = subprocess.run(
                [sys.executable, "-c", KERNEL_START, f"{tmp}/k.ipynb", f"{tmp}/o.ipynb", mode],
                capture_output=True, text=True, cwd=tmp,
            )  # fmt: skip
            out[mode] = (
                json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else None
            )
    return out


def run_pack_phase(period: str = "2022-03", cold_kernels: bool = False) -> None:
    print("(g) the sample's pack: scrutiny run --area wexley --force (every stage and PDF)")
    ks = bench_kernel_start()
    for mode, rows in ks.items():
        if rows:
            shown = ", ".join(f"{a:.2f} / {b:.2f} s" for a, b in rows)
            print(f"    kernel start ({mode}): request -> first cell / -> charts imported: {shown}")
    if cold_kernels:
        print("    (stage kernels started the ordinary way: --cold-kernels)")
    r = bench_pack(period, cold_kernels)
    for ln in r["steps"]:
        print(f"    {ln}")
    print(
        f"    whole pack: {r['seconds']:.1f} s wall, {r['cpu']:.1f} CPU-s "
        f"(exit {r['rc']}{', ' + r['error'][0] if r['error'] else ''}; goal 20 s on 2 cores; "
        f"load average {os.getloadavg()[0]:.1f})",
        flush=True,
    )


# --------------------------------------------------------------------------- a region's batch


def _backtest_configs():
    """The back-test's own config writer and area list (tests/backtests/test_real_areas.py),
    loaded by path so the benchmark and the back-test run the same seven configs."""
    import importlib.util

    from helpers.core import paths

    src = paths.project_root() / "tests" / "backtests" / "test_real_areas.py"
    if str(src.parent) not in sys.path:  # its area table: tests/backtests/northumbria_areas.py
        sys.path.insert(0, str(src.parent))
    spec = importlib.util.spec_from_file_location("_real_areas", src)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def bench_region(executors: list[str], timeout: int = 1800) -> list[dict] | str:
    """The six Northumbria CSPs and the force for one period, every stage with PDFs (packs and
    briefings too), on each executor in ``executors`` ("1", "2": local processes; "dask": a
    LocalCluster of one worker per core). Returns rows, or the reason it was skipped."""
    data = shared_data()
    try:
        rt = _backtest_configs()
    except Exception as exc:  # noqa: BLE001 - a clone without the tests folder
        return f"the back-test config writer could not be loaded ({exc})"
    needed = [p for p in rt._paths(data).values() if not p.exists()]
    if needed:
        return f"real data not found: {', '.join(str(p) for p in needed)}"
    from helpers.core import paths
    from helpers.run import batch
    from helpers.run.executors import DaskExecutor, default_workers, make_executor

    areas = [*rt.CSPS, rt.FORCE]
    rows = []
    with tempfile.TemporaryDirectory(prefix="csp-bench-region-") as tmp:
        root = Path(tmp) / "root"
        (root / "config").mkdir(parents=True)
        (root / "pyproject.toml").write_text("")
        (root / "notebooks").symlink_to(paths.notebooks_dir(), target_is_directory=True)
        for a in areas:
            (root / "config" / f"{a}.yaml").write_text(rt._config(data, a), encoding="utf-8")
        old = os.environ.get("CSP_SCRUTINY_ROOT")
        os.environ["CSP_SCRUTINY_ROOT"] = str(root)
        try:
            items = batch.work_items(batch.resolve_areas(areas), [rt.PERIOD], root)
            for name in executors:
                if name == "dask":
                    ex, label = DaskExecutor("local", default_workers()), "Dask LocalCluster"
                    label += f" ({ex.workers} workers)"
                else:
                    ex, label = make_executor(int(name)), f"{name} worker(s)"
                t0 = time.perf_counter()
                try:
                    res = batch.run_batch(
                        items, ex, pdf=True, force=True, progress=False, timeout=timeout
                    )
                finally:
                    ex.close()
                wall = time.perf_counter() - t0
                bad = [f"{r.area} {r.stage}" for r in res if r.status not in batch.OK_STATUSES]
                rows.append({"executor": label, "seconds": wall, "items": len(items),
                             "not_ok": bad})  # fmt: skip
                print(f"    {label:<28} {wall:>8.1f} s wall  ({len(bad)} step(s) not ok"
                      + (f": {', '.join(bad[:6])}" if bad else "") + ")", flush=True)  # fmt: skip
        finally:
            if old is None:
                os.environ.pop("CSP_SCRUTINY_ROOT", None)
            else:
                os.environ["CSP_SCRUTINY_ROOT"] = old
    return rows


def run_region_phase(executors: list[str], timeout: int) -> None:
    print(
        "(f) a region's batch: the six Northumbria CSPs and the force, period 2023-02, every "
        "stage with PDFs, packs and ward briefings",
        flush=True,
    )
    rows = bench_region(executors, timeout)
    if isinstance(rows, str):
        print(f"    skipped: {rows}")
        return
    one = next((r["seconds"] for r in rows if r["executor"].startswith("1 ")), None)
    for r in rows:
        speed = f"{one / r['seconds']:.2f}x" if one else "-"
        print(f"    {r['executor']:<28} {r['seconds']:>8.1f} s   speed-up over 1 worker {speed}")


# --------------------------------------------------------------------------- main


def machine() -> str:
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    cpu = platform.processor() or platform.machine()
    try:
        for ln in Path("/proc/cpuinfo").read_text().splitlines():
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{len(os.sched_getaffinity(0))} cores ({cpu}), {mem_gb:.0f} GB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python benchmarks/bench.py", description=__doc__.splitlines()[0]
    )
    ap.add_argument(
        "--rows",
        type=int,
        default=10_500_000,
        help="national rows to generate (default 10.5 million)",
    )
    ap.add_argument("--forces", type=int, default=43)
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--folder", help="where the generated CSVs go (default .bench/national)")
    ap.add_argument(
        "--baseline-rows",
        type=int,
        default=2_000_000,
        help="rows the pandas baseline reads (a prefix of the files; default 2 million)",
    )
    ap.add_argument("--period", default="2022-03")
    ap.add_argument("--areas", type=int, default=20, help="sample-sized areas in the batch phase")
    ap.add_argument(
        "--batch-stages",
        nargs="*",
        default=["01"],
        help="stages for the batch phase (default 01, the cleaning stage, so `make bench` fits in "
        "about 10 minutes on 2 cores; give several, e.g. 01 02 03, for more)",
    )
    ap.add_argument("--pdf", action="store_true", help="export PDFs in the batch phase too")
    ap.add_argument("--skip-batch", action="store_true")
    ap.add_argument(
        "--stages-only",
        action="store_true",
        help="run only the stage phase: every stage on the sample, one real CSP and the force",
    )
    ap.add_argument("--skip-stages", action="store_true", help="leave the stage phase out")
    ap.add_argument(
        "--stage-sizes",
        nargs="+",
        choices=["sample", "csp", "force"],
        default=["sample", "csp", "force"],
        help="sizes for the stage phase (default all three)",
    )
    ap.add_argument(
        "--region-only",
        action="store_true",
        help="run only the region phase: six Northumbria CSPs and the force on 1, 2 workers, Dask",
    )
    ap.add_argument("--skip-region", action="store_true", help="leave the region phase out")
    ap.add_argument(
        "--region-executors",
        nargs="+",
        default=["1", "2", "dask"],
        help="executors for the region phase: worker counts and/or 'dask' (default 1 2 dask)",
    )
    ap.add_argument(
        "--region-timeout",
        type=int,
        default=1800,
        help="seconds a cell may run in the region phase",
    )
    ap.add_argument("--pack-only", action="store_true", help="run only the sample's pack phase")
    ap.add_argument("--skip-pack", action="store_true", help="leave the sample's pack phase out")
    ap.add_argument(
        "--cold-kernels",
        action="store_true",
        help="pack phase: start stage kernels the ordinary way (for a before/after comparison)",
    )
    ap.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.phase:
        _child(a.phase, a.folder, a.out, a.period, a.baseline_rows)
        return 0

    from helpers.sample.national import default_folder, generate_national

    print(f"Machine: {machine()}")
    if a.stages_only:
        run_stage_phase(a.stage_sizes)
        return 0
    if a.pack_only:
        run_pack_phase(cold_kernels=a.cold_kernels)
        return 0
    if a.region_only:
        run_region_phase(a.region_executors, a.region_timeout)
        return 0
    folder = Path(a.folder) if a.folder else default_folder()
    t0 = time.perf_counter()
    info = generate_national(folder, rows=a.rows, forces=a.forces, months=a.months)
    print(
        f"Data: {info['files']} files, {info['rows_written']:,} rows, {info['bytes'] / 1e9:.2f} GB in {folder} "
        f"({'reused' if info.get('reused') else f'generated in {time.perf_counter() - t0:.0f} s'})",
        flush=True,
    )
    results = {}
    with tempfile.TemporaryDirectory(prefix="csp-bench-out-") as out:
        for phase in ("floor-arrow", "floor-duckdb", "ours", "ours+bng", "baseline"):
            limit = a.baseline_rows if phase == "baseline" else None
            r = run_phase(phase, folder, Path(out), a.period, limit)
            results[phase] = r
            if "error" in r:
                print(f"  {phase}: FAILED ({r['error']}), peak {r['peak_mb']:.0f} MB", flush=True)
            else:
                print(
                    f"  {phase:<13} {r['rows']:>11,} rows {r['seconds']:>7.1f} s {r['rows_per_s']:>11,.0f} rows/s "
                    f"peak {r['peak_mb']:>6,.0f} MB  ({r['cpu_seconds']:.1f} CPU-s, load {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
    ours, base, bng = results["ours"], results["baseline"], results["ours+bng"]
    floors = [results[p] for p in ("floor-arrow", "floor-duckdb") if "error" not in results[p]]
    print()
    if "error" not in ours:
        print(
            f"(a) our cleaning: {ours['rows_per_s']:,.0f} rows/s, peak memory {ours['peak_mb']:,.0f} MB "
            f"({ours['rows']:,} rows, {ours['seconds']:.1f} s; national run, no BNG projection)"
        )
    if "error" not in bng:
        print(
            f"    with BNG projection: {bng['rows_per_s']:,.0f} rows/s, peak memory {bng['peak_mb']:,.0f} MB "
            f"({bng['seconds']:.1f} s)"
        )
    if "error" not in base:
        print(
            f"(b) pandas baseline: {base['rows_per_s']:,.0f} rows/s, peak memory {base['peak_mb']:,.0f} MB "
            f"({base['rows']:,} rows, {base['seconds']:.1f} s; a subset of {base['files']:,} whole files, "
            f"--baseline-rows {a.baseline_rows:,}, so it fits in memory; compared by rows/s)"
        )
        if "error" not in ours:
            print(
                f"    ours / baseline throughput (rows/s): {ours['rows_per_s'] / base['rows_per_s']:.1f}x"
            )
    if floors and "error" not in ours:
        best = min(floors, key=lambda r: r["seconds"])
        print(
            f"(c) parse floor ({best['phase']}): {best['seconds']:.1f} s, {best['rows_per_s']:,.0f} rows/s; "
            f"our time is {ours['seconds'] / best['seconds']:.2f}x the floor"
            + (
                f" ({bng['seconds'] / best['seconds']:.2f}x with BNG projection)"
                if "error" not in bng
                else ""
            )
        )
        print(
            f"    in CPU seconds (all threads; moves less with other users' load): ours "
            f"{ours['cpu_seconds']:.1f} vs floor {best['cpu_seconds']:.1f}, "
            f"{ours['cpu_seconds'] / best['cpu_seconds']:.2f}x"
        )
    if not a.skip_batch:
        n = len(os.sched_getaffinity(0))
        counts = sorted({1, 2, n})
        print(
            f"(d) batch: {a.areas} sample-sized areas, stages {a.batch_stages or 'all'}, "
            f"{'with' if a.pdf else 'without'} PDFs",
            flush=True,
        )
        rows = bench_batch(a.areas, counts, a.period, a.batch_stages, a.pdf)
        for r in rows:
            label = f"{r['workers']} worker(s)" + (" (= cores)" if r["workers"] == n else "")
            print(
                f"    {label:<20} {r['seconds']:>7.1f} s wall  ({r['items']} areas, {r['failed']} failed stages)"
            )
    if not a.skip_stages:
        run_stage_phase(a.stage_sizes)
    if not a.skip_region:
        run_region_phase(a.region_executors, a.region_timeout)
    if not a.skip_pack:
        run_pack_phase()
    return 0


def run_stage_phase(sizes: list[str] | None = None) -> None:
    print(
        "(e) stages: every stage (batch runner, no PDFs) on the sample, one real CSP and the "
        "whole force",
        flush=True,
    )
    keep = ["sample", "csp", "force"] if not sizes else sizes
    chosen = [
        z for z, k in zip(stage_sizes(), ["sample", "csp", "force"], strict=True) if k in keep
    ]
    rows = bench_stages(chosen)
    if rows:
        print(stage_report(rows))


if __name__ == "__main__":
    sys.exit(main())
