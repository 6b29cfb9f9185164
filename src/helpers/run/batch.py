"""Batch runs: every stage notebook for many areas and periods, with failure isolation and resume.

One *work item* is one area and one reporting period. For each item, ``run_area`` executes every
``notebooks/NN_*.ipynb`` in order with papermill into ``reports/<area>/<period>/`` (never over the
source), exports each to PDF (beside the next stages: :mod:`helpers.run.sidework`), and builds
the panel pack with ``helpers.report.pack``'s ``build_panel_pack`` and the ward briefings.
Items run on an executor from :mod:`helpers.run.executors` (this process, a local process pool
or Dask), so papermill kernels run on the workers.

Failure isolation
    A failing stage (an exception in a cell, a kernel that died, a cell that ran past the
    timeout) is caught and reported; its partly executed notebook is kept with the error written
    into it (a red note at the top and ``metadata.scrutiny_batch.error``). The later stages of the
    *same* item are skipped only when the failing stage is the cleaning stage (every later stage
    reads its outputs); stages 02-04 are independent of each other. Other items carry on.

    Before a stage runs, its previous outputs (PDF, ``tables/<stage>__*.csv``,
    ``figures/<stage>*``) are removed, so a stage that fails leaves nothing of an earlier run
    behind for the panel pack to pick up. The pack is still built from the stages that
    finished, names the failed ones on its cover and at-a-glance page, and is reported as
    ``incomplete`` (never ``ok``); a failed cleaning stage removes the old pack instead.

One config
    Every stage reads the one config file the item was given: its path goes to every notebook
    that declares a ``config`` parameter, and ``CSP_SCRUTINY_CONFIG`` points at it while the item
    runs, so code that knows only the area name (the PDF export, the panel pack) reads the same
    file. The config's sha256 is part of every resume key and of the processed manifest.

Reconciliation
    After the stages of an item, :func:`helpers.report.reconcile.check_report` checks that every
    measure, area and period the stages saved (keyed figures and tables) has one value; if not,
    a ``reconcile`` row fails naming each place and value, and no panel pack is built from
    contradictory figures.

Resume
    ``reports/<area>/<period>/.batch_state.json`` records, for every stage that succeeded, a key:
    the sha256 of the notebook source, the parameters, the area config file, the sha256 of every
    raw input file under the config's ``sources`` (by content: an edit that keeps the size and
    modification time is still seen), the processed data manifest's input and output hashes, the
    helpers package source, and whether a PDF was asked for. Re-running skips a stage (status
    ``unchanged``) when its key is the same and its outputs still exist, and re-runs what failed
    or changed. ``force=True`` re-runs all.

Caveat: the key covers what the notebooks read through the config and the processed data. A
notebook that reads some other file directly would not be re-run when only that file changes;
use ``--force`` then.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import traceback
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from helpers.core import paths
from helpers.core.config import AreaConfig, available_areas, load_area_config
from helpers.core.errors import ConfigError, ParameterError, ScrutinyError
from helpers.core.io import write_json
from helpers.core.periods import parse_month

STATE_FILE = ".batch_state.json"
STATE_VERSION = 2  # 2: raw inputs keyed by content hash (1 used size and mtime)
OK_STATUSES = ("ok", "unchanged")


@dataclass
class StageResult:
    area: str
    period: str
    stage: str
    status: str  # ok | unchanged | failed | skipped | incomplete (a pack missing failed stages)
    seconds: float
    notebook: Path | None
    pdf: Path | None
    error: str | None = None


@dataclass(frozen=True)
class WorkItem:
    """One area and period. ``config`` is a config name or path; ``root`` the project root the
    worker should use (passed explicitly so it also reaches remote Dask workers)."""

    area: str
    period: str
    config: str
    root: str | None = None


@dataclass
class BatchOptions:
    pdf: bool = True
    stages: list[str] | None = None
    kernel: str = "python3"
    timeout: int = 1800  # seconds per cell
    force: bool = False
    warm: bool = True  # stage kernels forked from a warm zygote (helpers.run.warmkernel)
    extra: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- discovery


CLEANING_PREFIX = "01_"
WARD_PREFIX = "04_"  # the ward stage: the ward briefings read its outputs


def stage_notebooks() -> list[Path]:
    return sorted(p for p in paths.notebooks_dir().glob("[0-9][0-9]_*.ipynb"))


def resolve_areas(
    names: list[str] | None, configs: list[str] | None = None
) -> list[tuple[str, str]]:
    """``(area, config)`` pairs from ``--area`` names (``all`` = every config in ``config/``)
    and/or ``--config`` paths, in order, without repeats."""
    out: list[tuple[str, str]] = []
    for c in configs or []:
        cfg = load_area_config(c)
        out.append((cfg.area, str(cfg.path)))
    for n in names or []:
        if n == "all":
            areas = available_areas()
            if not areas:
                raise ConfigError(
                    f"There are no area configs in {paths.config_dir()}.",
                    "Add a YAML file per area to config/ (see config/wexley.yaml).",
                )
            for a in areas:
                cfg = load_area_config(a)
                out.append((cfg.area, str(cfg.path)))
        else:
            cfg = load_area_config(n)
            out.append((cfg.area, str(cfg.path)))
    seen, unique = set(), []
    for pair in out:
        if pair not in seen:
            seen.add(pair)
            unique.append(pair)
    return unique


def work_items(
    areas: list[tuple[str, str]], periods: list[str], root: str | Path | None = None
) -> list[WorkItem]:
    periods = [str(parse_month(p, "period")) for p in periods]  # a stray space is dropped
    root_s = str(Path(root).resolve()) if root else str(paths.project_root())
    return [WorkItem(a, p, c, root_s) for a, c in areas for p in periods]


def validate_items(items: list[WorkItem], notebooks: list[Path] | None = None) -> None:
    """Check every item's parameters against every stage notebook's parameters cell.

    Runs before anything executes, so a misspelt area or a future period stops the whole batch
    with one :class:`ParameterError` naming the value and what to do, not halfway through.
    """
    from helpers.run.parameters import validate_parameters

    for nb in notebooks if notebooks is not None else stage_notebooks():
        for item in items:
            validate_parameters(nb, stage_parameters(nb, item.area, item.period, item.config))


def stage_parameters(notebook: Path, area: str, period: str, config: str | Path | None) -> dict:
    """The parameters a stage notebook is run with: area, period and (when the notebook declares
    it) the path of the one config file the whole run uses."""
    from helpers.run.parameters import notebook_parameters

    params = {"area": area, "period": period}
    if config and "config" in notebook_parameters(notebook):
        params["config"] = str(config)
    return params


# --------------------------------------------------------------------------- content keys


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@lru_cache(maxsize=1)
def helpers_fingerprint() -> str:
    """sha256 over the helpers package source and reference data, plus its version."""
    from helpers import __version__

    pkg = Path(__file__).resolve().parents[1]  # the whole helpers package
    h = hashlib.sha256(__version__.encode())
    for p in sorted(pkg.rglob("*")):
        if (
            p.is_file()
            and "__pycache__" not in p.parts
            and p.suffix in (".py", ".csv", ".json", ".yaml", ".html", ".css", ".j2")
        ):
            h.update(str(p.relative_to(pkg)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def _sha_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def raw_fingerprint(cfg: AreaConfig) -> list:
    """(source, relative path, size, sha256) of every file under the config's sources.

    By content, not modification time: a raw file edited in place with its size and mtime
    restored (a copy tool, a restore from backup) still changes the key.
    """
    out = []
    for key in sorted(cfg.sources):
        try:
            p = cfg.source(key, required=False)
        except ConfigError:
            continue
        if p is None or not p.exists():
            out.append([key, None])
            continue
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        for f in files:
            try:
                entry = [f.stat().st_size, _sha_file(f)]
            except OSError as exc:  # unreadable: cleaning will say so; the key still differs
                entry = [None, f"unreadable: {exc.strerror or exc}"]
            out.append([key, str(f.relative_to(p)) if p.is_dir() else f.name, *entry])
    return out


def manifest_fingerprint(area: str, period: str) -> dict | None:
    """The processed manifest's inputs, outputs and parameters (its timestamp left out)."""
    m = paths.processed_dir(area, period) / "manifest.json"
    if not m.exists():
        return None
    try:
        data = json.loads(m.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"unreadable": True}
    return {k: data.get(k) for k in ("inputs", "outputs", "parameters")}


def stage_key(
    cfg: AreaConfig,
    period: str,
    notebook: Path,
    opts: BatchOptions,
    raw_fp: list,
    code_version: str | None = None,
) -> str:
    payload = {
        "v": STATE_VERSION,
        "notebook": _sha(notebook.read_bytes()),
        "parameters": {"area": cfg.area, "period": period, "kernel": opts.kernel},
        "config": cfg.sha256 or (_sha(cfg.path.read_bytes()) if cfg.path else None),
        "config_path": str(cfg.path) if cfg.path else None,
        "raw": raw_fp,
        "processed": manifest_fingerprint(cfg.area, period),
        "helpers": code_version or helpers_fingerprint(),
        "pdf": opts.pdf,
    }
    return _sha(json.dumps(payload, sort_keys=True, default=str).encode())


def read_state(folder: Path) -> dict:
    try:
        data = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
        return data if data.get("version") == STATE_VERSION else {}
    except (OSError, ValueError):
        return {}


def _write_state(folder: Path, state: dict) -> None:
    state["version"] = STATE_VERSION
    write_json(state, folder / STATE_FILE)


# --------------------------------------------------------------------------- running one item


def _mark_failed_notebook(target: Path, stage: str, error: str) -> None:
    """Write the error into the partly executed notebook, at the top, so the reader sees it."""
    import nbformat

    try:
        nb = nbformat.read(target, as_version=4)
    except Exception:  # noqa: BLE001 - an unreadable partial notebook is left as it is
        return
    nb.metadata["scrutiny_batch"] = {"status": "failed", "stage": stage, "error": error}
    note = nbformat.v4.new_markdown_cell(
        f'<span style="color:#B00">**This stage failed in a batch run and is incomplete.**</span>\n\n'
        f"Error: `{error.replace('`', '')[:400]}`"
    )
    note.metadata["tags"] = ["batch-error"]
    nb.cells.insert(0, note)
    nbformat.write(nb, target)


def _error_text(exc: BaseException) -> str:
    name = type(exc).__name__
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if (
        ename and evalue
    ):  # papermill: the cell's own exception, whole (ours say what and what to do)
        text = " ".join(ln.strip() for ln in str(evalue).splitlines() if ln.strip())
        return f"{ename}: {text}"[:500]
    if isinstance(exc, ScrutinyError):  # ours: what is wrong and what to do, both kept
        text = " ".join(str(exc.what).split())
        fix = f" What to do: {' '.join(str(exc.fix).split())}" if exc.fix else ""
        return f"{name}: {text}{fix}"[:500]
    lines = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
    # papermill's message ends with the cell's exception line ("ValueError: ...")
    text = lines[-1] if lines else traceback.format_exception_only(type(exc), exc)[-1].strip()
    if name not in text:
        text = f"{name}: {text}"
    return text[:500]


def clear_stage_outputs(out: Path, stage: str) -> list[Path]:
    """Remove a stage's previous outputs in ``out`` (its PDF, tables and figures); return them.

    Called before the stage runs, so a failure cannot leave last run's figures for the panel
    pack to show as if they were this run's. The executed notebook itself is overwritten by the
    run (and kept, marked failed, when the stage fails).
    """
    stage = paths.safe_name(stage, "stage")
    old = [out / f"{stage}.pdf"]
    old += sorted((out / "tables").glob(f"{stage}__*")) if (out / "tables").is_dir() else []
    old += sorted((out / "figures").glob(f"{stage}*")) if (out / "figures").is_dir() else []
    removed = []
    for p in old:
        if p.is_file() or p.is_symlink():
            p.unlink()
            removed.append(p)
    return removed


def _execute_stage(
    cfg: AreaConfig, period: str, out: Path, nb: Path, opts: BatchOptions
) -> StageResult:
    """Execute one stage notebook with papermill; never raises. Its PDF is exported after,
    beside the next stages (:mod:`helpers.run.sidework`), and joins the row then."""
    import papermill as pm

    from helpers.run.warmkernel import papermill_kwargs

    stage = nb.stem
    target = out / nb.name
    t0 = time.perf_counter()
    clear_stage_outputs(out, stage)
    try:
        pm.execute_notebook(
            str(nb),
            str(target),
            parameters=stage_parameters(nb, cfg.area, period, cfg.path),
            kernel_name=opts.kernel,
            cwd=str(nb.parent),
            progress_bar=False,
            execution_timeout=opts.timeout,
            **papermill_kwargs(opts.kernel, opts.warm),
        )
        return StageResult(cfg.area, period, stage, "ok", time.perf_counter() - t0, target, None)
    except Exception as exc:  # a stage failure is reported, never hidden, never fatal
        err = _error_text(exc)
        if target.exists():
            _mark_failed_notebook(target, stage, err)
        return StageResult(
            cfg.area, period, stage, "failed", time.perf_counter() - t0,
            target if target.exists() else None, None, err,
        )  # fmt: skip


def _settle_pdf(res: StageResult, job) -> bool:
    """Wait for a stage's PDF; on success the row gains it (and its seconds), on failure the
    stage is failed with the export's error written into its notebook. True if it worked."""
    try:
        path, secs = job.result()
    except Exception as exc:  # noqa: BLE001 - reported as a failed stage, never hidden
        res.status, res.error = "failed", _error_text(exc)
        if res.notebook is not None and res.notebook.exists():
            _mark_failed_notebook(res.notebook, res.stage, res.error)
        return False
    res.pdf, res.seconds = Path(path), res.seconds + secs
    return True


def _execute_stages(
    cfg: AreaConfig, period: str, out: Path, nbs: list[Path], opts: BatchOptions, workers: int
):
    """Yield ``(notebook, result)`` as each stage finishes, ``workers`` stages at a time.

    Threads are enough: each stage's work runs in its own kernel process; this process only
    relays messages (the PDFs are exported beside, see :mod:`helpers.run.sidework`).
    """
    if workers <= 1 or len(nbs) <= 1:
        for nb in nbs:
            yield nb, _execute_stage(cfg, period, out, nb, opts)
        return
    import concurrent.futures as cf

    with cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stage") as pool:
        futures = {pool.submit(_execute_stage, cfg, period, out, nb, opts): nb for nb in nbs}
        for fut in cf.as_completed(futures):
            yield futures[fut], fut.result()


def run_area(
    cfg: AreaConfig,
    period: str,
    pdf: bool = True,
    kernel: str = "python3",
    stages: list[str] | None = None,
    timeout: int = 1800,
    force: bool = False,
    notebooks: list[Path] | None = None,
    code_version: str | None = None,
    stage_workers: int | None = None,
    warm_kernels: bool = True,
) -> list[StageResult]:
    """Run every stage notebook for one area and period; returns one row per stage.

    Never raises for a stage failure: the failing stage is ``failed`` (error kept in its
    notebook); if it is the cleaning stage, later stages are ``skipped``. Unchanged stages
    (see module docstring) are ``unchanged`` unless ``force``. After the cleaning stage, the
    other stages run ``stage_workers`` at a time (default: the cores this process may use);
    rows come back in notebook order either way. ``warm_kernels``: start the default kernel by
    forking a process that has already imported the heavy modules
    (:mod:`helpers.run.warmkernel`); ``False`` starts each kernel the ordinary way.
    """
    from helpers.core.config import RUN_CONFIG_ENV
    from helpers.run.executors import default_workers
    from helpers.run.warmkernel import prestart

    period = str(parse_month(period, "period"))
    prestart(kernel, warm_kernels)  # its imports overlap the resume keys' hashing below
    previous = os.environ.get(RUN_CONFIG_ENV)
    if cfg.path is not None:
        os.environ[RUN_CONFIG_ENV] = str(cfg.path)  # inherited by the papermill kernels
    try:
        return _run_area(
            cfg, period, pdf, kernel, stages, timeout, force, notebooks, code_version,
            stage_workers or default_workers(), warm_kernels,
        )  # fmt: skip
    finally:
        if previous is None:
            os.environ.pop(RUN_CONFIG_ENV, None)
        else:
            os.environ[RUN_CONFIG_ENV] = previous


def _run_area(
    cfg: AreaConfig,
    period: str,
    pdf: bool,
    kernel: str,
    stages: list[str] | None,
    timeout: int,
    force: bool,
    notebooks: list[Path] | None,
    code_version: str | None,
    stage_workers: int = 1,
    warm_kernels: bool = True,
) -> list[StageResult]:
    from helpers.core.io import ensure_writable_dir
    from helpers.run.sidework import SideWork

    opts = BatchOptions(
        pdf=pdf, stages=stages, kernel=kernel, timeout=timeout, force=force, warm=warm_kernels
    )
    out = paths.report_dir(cfg.area, period)
    ensure_writable_dir(out)
    workers = max(1, int(stage_workers or 1))
    side = SideWork(opts.warm, beside=workers > 1) if pdf else None
    try:
        return _run_area_stages(cfg, period, out, opts, notebooks, code_version, workers, side)
    finally:
        if side is not None:
            side.close()


def _run_area_stages(
    cfg: AreaConfig,
    period: str,
    out: Path,
    opts: BatchOptions,
    notebooks: list[Path] | None,
    code_version: str | None,
    workers: int,
    side,
) -> list[StageResult]:
    """The order of an item's work (see :func:`run_area`):

    1. the cleaning stage's notebook; its PDF starts beside what follows;
    2. stages 02-04, ``workers`` at a time, each PDF started as its notebook ends, and the
       ward briefings as soon as the ward stage's notebook ends (they read its outputs only);
    3. when every notebook has run: the reconciliation, then the panel pack (it reads the
       stages' outputs, not their PDFs), while the PDFs and the briefings finish beside it;
    4. each stage's row is complete once its PDF is written: a failed export fails the stage.
    """
    pdf, force = opts.pdf, opts.force
    state = {} if force else read_state(out)
    last_seconds = {
        k: (v or {}).get("seconds", 0.0) for k, v in read_state(out).get("stages", {}).items()
    }
    done: dict = dict(state.get("stages", {}))
    raw_fp = raw_fingerprint(cfg)
    code_version = code_version or helpers_fingerprint()
    results: list[StageResult] = []
    failed = False  # the cleaning stage failed: nothing later can run
    failed_stages: list[str] = []
    ran_any = False
    exports: list[tuple[StageResult, object, dict]] = []  # (row, PDF job, its done entry)
    briefings = None  # the ward briefings' pending row, once started
    chosen = [
        nb
        for nb in (notebooks if notebooks is not None else stage_notebooks())
        if not opts.stages or any(nb.stem.startswith(s) for s in opts.stages)
    ]
    # The cleaning stage first (every later stage reads what it writes), then the others, which
    # are independent of each other, ``workers`` at a time: their kernels run in parallel while
    # the finished stages' PDFs are exported beside them.
    waves = [
        [nb for nb in chosen if nb.stem.startswith(CLEANING_PREFIX)],
        [nb for nb in chosen if not nb.stem.startswith(CLEANING_PREFIX)],
    ]

    def record(stage: str, entry: dict | None) -> None:
        if entry is not None:
            done[stage] = entry
        _write_state(out, {"area": cfg.area, "period": period, "stages": done})

    for wave in waves:
        to_run: list[Path] = []
        by_stage: dict[str, StageResult] = {}
        for nb in wave:
            stage = nb.stem
            target = out / nb.name
            pdf_target = target.with_suffix(".pdf")
            if failed:
                by_stage[stage] = StageResult(
                    cfg.area, period, stage, "skipped", 0.0, None, None,
                    "the cleaning stage failed, so there is no processed data",
                )  # fmt: skip
                done.pop(stage, None)
                continue
            # keyed now, after the cleaning stage: it changes the manifest the key includes
            key = stage_key(cfg, period, nb, opts, raw_fp, code_version)
            prev = done.get(stage)
            if (
                not force
                and prev
                and prev.get("key") == key
                and target.exists()
                and (not pdf or pdf_target.exists())
            ):
                by_stage[stage] = StageResult(
                    cfg.area, period, stage, "unchanged", 0.0, target, pdf_target if pdf else None
                )
                continue
            ran_any = True
            done.pop(stage, None)
            to_run.append(nb)
        if pdf and wave is waves[-1] and briefings is None:  # an unchanged ward stage: now
            briefings = _ward_briefings(
                cfg, period, list(by_stage.values()), force or ran_any, side
            )
        # longest first (last run's seconds; else the later stages, which are the heavier)
        if workers > 1 and len(to_run) > 1:
            to_run.sort(key=lambda nb: (-float(last_seconds.get(nb.stem) or 0), -chosen.index(nb)))
        for nb, res in _execute_stages(cfg, period, out, to_run, opts, workers):
            by_stage[nb.stem] = res
            if res.status == "ok":
                # the key after the run: a cleaning stage changes the manifest it is keyed on
                entry = {
                    "key": stage_key(cfg, period, nb, opts, raw_fp, code_version),
                    "status": "ok",
                    "seconds": round(res.seconds, 2),
                    "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
                }
                if pdf:  # recorded as done once its PDF is written
                    job = side.export(res.notebook, res.notebook.with_suffix(".pdf"), cfg.synthetic)
                    exports.append((res, job, entry))
                    entry = None
                if pdf and briefings is None and nb.stem.startswith(WARD_PREFIX):
                    briefings = _ward_briefings(cfg, period, [res], True, side)
                record(nb.stem, entry)
            else:
                # Stages 02-04 each read only the cleaning stage's outputs: only a cleaning
                # failure leaves the later stages with nothing to read.
                failed = failed or nb.stem.startswith(CLEANING_PREFIX)
                failed_stages.append(nb.stem)
                record(nb.stem, None)
        results.extend(by_stage[nb.stem] for nb in wave)  # in notebook order, however run
    check = _reconcile(cfg, period, out, results)
    if check is not None:
        results.append(check)
        failed = failed or check.status == "failed"
    pack = None
    if failed:  # no processed data, or figures that disagree: an old pack would mislead
        from helpers.report.pack import PACK_NAME

        (out / PACK_NAME).unlink(missing_ok=True)
        done.pop("panel-pack", None)
        record("panel-pack", None)
    elif pdf and results:
        pack = _panel_pack(cfg, period, out, done, force or ran_any, sorted(failed_stages))
    for res, job, entry in exports:  # every PDF written (or failed) before the rows return
        if _settle_pdf(res, job):
            entry["seconds"] = round(res.seconds, 2)
            record(res.stage, entry)
        else:
            failed_stages.append(res.stage)
    if pack is not None:
        results.append(pack)
        record("panel-pack", None)
    if briefings is not None:
        row = briefings()
        ward_ok = all(r.status in OK_STATUSES for r in results if r.stage.startswith(WARD_PREFIX))
        if failed or not ward_ok:  # built from a run whose figures cannot be published
            from helpers.report.briefings import PDF_NAME

            (out / PDF_NAME).unlink(missing_ok=True)
        else:
            results.append(row)
    return results


def _ward_briefings(
    cfg: AreaConfig, period: str, results: list[StageResult], changed: bool, side=None
):
    """One page per ward for councillors (:func:`helpers.report.briefings.build_ward_briefings`),
    built from the ward stage's outputs when that stage finished in this run (or is unchanged).

    Returns ``None`` (nothing to build) or a function that returns the step's row. With
    ``side`` work beside this process (:class:`helpers.run.sidework.SideWork`) the building
    starts at once there, and the function waits for it; otherwise the function builds here.
    """
    ward_stage = [r for r in results if r.stage.startswith(WARD_PREFIX)]
    if not ward_stage or ward_stage[-1].status not in OK_STATUSES:
        return None
    from helpers.core.config import RUN_CONFIG_ENV
    from helpers.report.briefings import PDF_NAME
    from helpers.run.sidework import SideWork

    target = paths.report_dir(cfg.area, period) / PDF_NAME
    if not changed and target.exists():
        row = StageResult(cfg.area, period, "ward-briefings", "unchanged", 0.0, None, target)
        return lambda: row
    t0 = time.perf_counter()
    env = {k: os.environ[k] for k in ("CSP_SCRUTINY_ROOT", RUN_CONFIG_ENV) if k in os.environ}
    job = (side or SideWork(beside=False)).briefings(cfg.area, period, env)

    def finish() -> StageResult:
        try:
            pdf_path = Path(job.result())
            return StageResult(
                cfg.area, period, "ward-briefings", "ok", time.perf_counter() - t0, None, pdf_path
            )
        except Exception as exc:  # noqa: BLE001 - reported as a failed step, never hidden
            target.unlink(missing_ok=True)
            return StageResult(
                cfg.area, period, "ward-briefings", "failed", time.perf_counter() - t0, None,
                None, _error_text(exc),
            )  # fmt: skip

    return finish


def _reconcile(
    cfg: AreaConfig, period: str, out: Path, results: list[StageResult]
) -> StageResult | None:
    """One value per measure: fail the item, naming the places, when two outputs disagree.

    Runs when any stage after cleaning ran or was unchanged (there are outputs to check);
    returns no row when the stages saved no keyed figures.
    """
    from helpers.report.reconcile import check_report

    if not any(
        r.status in OK_STATUSES and not r.stage.startswith(CLEANING_PREFIX) for r in results
    ):
        return None
    t0 = time.perf_counter()
    try:
        checked = check_report(out)
    except Exception as exc:  # noqa: BLE001 - reported as a failed step, never hidden
        # the whole message: it names every conflicting place (``_error_text`` keeps one line)
        return StageResult(
            cfg.area, period, "reconcile", "failed", time.perf_counter() - t0, None, None,
            f"{type(exc).__name__}: {exc}",
        )  # fmt: skip
    if not checked:  # the stages saved no keyed figures (e.g. tiny test stages): nothing to say
        return None
    return StageResult(cfg.area, period, "reconcile", "ok", time.perf_counter() - t0, None, None)


def _panel_pack(
    cfg: AreaConfig,
    period: str,
    out: Path,
    done: dict,
    changed: bool,
    failed_stages: list[str] | None = None,
) -> StageResult | None:
    """Build the panel pack (:func:`helpers.report.pack.build_panel_pack`) unless unchanged.

    With ``failed_stages`` the pack is still built from the stages that finished (the pack
    names the others), but its status is ``incomplete``, never ``ok``, and it is not recorded
    as done, so the next run rebuilds it.
    """
    from helpers.report.pack import build_panel_pack as build

    prev = done.get("panel-pack", {})
    prev_pdf = Path(prev["pdf"]) if prev.get("pdf") else None
    if not failed_stages and not changed and prev_pdf is not None and prev_pdf.exists():
        return StageResult(cfg.area, period, "panel-pack", "unchanged", 0.0, None, prev_pdf)
    t0 = time.perf_counter()
    done.pop("panel-pack", None)
    try:
        pdf_path = build(cfg.area, period, cfg.synthetic)
        pdf_path = Path(pdf_path) if pdf_path else None
        if failed_stages:
            return StageResult(
                cfg.area,
                period,
                "panel-pack",
                "incomplete",
                time.perf_counter() - t0,
                None,
                pdf_path,
                f"built without the failed stage(s) {', '.join(failed_stages)}, which it names",
            )
        done["panel-pack"] = {"status": "ok", "pdf": str(pdf_path) if pdf_path else None}
        return StageResult(
            cfg.area, period, "panel-pack", "ok", time.perf_counter() - t0, None, pdf_path
        )
    except Exception as exc:  # noqa: BLE001
        done.pop("panel-pack", None)
        return StageResult(
            cfg.area,
            period,
            "panel-pack",
            "failed",
            time.perf_counter() - t0,
            None,
            None,
            _error_text(exc),
        )


def run_item(
    item: WorkItem,
    pdf: bool = True,
    stages: list[str] | None = None,
    kernel: str = "python3",
    timeout: int = 1800,
    force: bool = False,
    code_version: str | None = None,
    stage_workers: int | None = None,
    warm_kernels: bool = True,
) -> list[StageResult]:
    """Run one work item (on a worker). Never raises: problems become ``failed`` rows.

    ``stage_workers``: stages run at once within the item (see :func:`run_area`); default 1,
    since a worker shares the cores with the others (:func:`run_batch` works the number out)."""
    if item.root:
        os.environ["CSP_SCRUTINY_ROOT"] = item.root  # inherited by the papermill kernels
    t0 = time.perf_counter()
    try:
        cfg = load_area_config(item.config)
        return run_area(
            cfg,
            item.period,
            pdf=pdf,
            kernel=kernel,
            stages=stages,
            timeout=timeout,
            force=force,
            code_version=code_version,
            stage_workers=stage_workers or 1,  # on a worker: one stage at a time unless told
            warm_kernels=warm_kernels,
        )
    except Exception as exc:  # noqa: BLE001 - a bad config fails this item only
        return [
            StageResult(
                item.area,
                item.period,
                "(setup)",
                "failed",
                time.perf_counter() - t0,
                None,
                None,
                _error_text(exc),
            )
        ]


# --------------------------------------------------------------------------- scratch projects


def scratch_project(
    root: str | Path,
    areas: list[str],
    template: str | Path = "wexley",
    notebooks: str | Path | None = None,
) -> Path:
    """Build a throw-away project root for batch trials (benchmarks, tests).

    ``root/config/<area>.yaml`` for each name in ``areas``: a copy of the ``template`` config
    (from the *current* project) with ``area:`` replaced and every source made absolute, so all
    areas read the same raw data in place. ``root/notebooks`` is a symlink to ``notebooks``
    (default: this project's). Point ``CSP_SCRUTINY_ROOT`` at ``root`` (or pass ``root`` to
    :func:`work_items`) to run there; outputs land in ``root/data/processed`` and ``root/reports``.
    """
    import yaml

    root = Path(root).resolve()
    tpl = load_area_config(template)
    raw = yaml.safe_load(tpl.path.read_text(encoding="utf-8"))
    sources = {}
    for key, value in (raw.get("sources") or {}).items():
        if isinstance(value, dict):
            value = dict(value)
            if value.get("path"):
                value["path"] = str(paths.resolve(value["path"]).resolve())
        elif value:
            value = str(paths.resolve(value).resolve())
        sources[key] = value
    (root / "config").mkdir(parents=True, exist_ok=True)
    for area in areas:
        cfg = dict(raw, area=paths.safe_name(area, "area"), sources=sources)
        (root / "config" / f"{area}.yaml").write_text(
            yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8"
        )
    nb_link = root / "notebooks"
    if not nb_link.exists():
        nb_link.symlink_to(
            Path(notebooks).resolve() if notebooks else paths.notebooks_dir(),
            target_is_directory=True,
        )
    (root / "pyproject.toml").touch()
    return root


# --------------------------------------------------------------------------- the batch


def run_batch(
    items: list[WorkItem],
    executor=None,
    pdf: bool = True,
    stages: list[str] | None = None,
    kernel: str = "python3",
    timeout: int = 1800,
    force: bool = False,
    progress: bool = True,
    code_version: str | None = None,
    stage_workers: int | None = None,
    warm_kernels: bool = True,
) -> list[StageResult]:
    """Run ``items`` on ``executor`` (default: in this process) with a progress bar.

    ``stage_workers`` (default: this machine's cores shared among the executor's workers, at
    least 1) is how many stages of one item run at once after its cleaning stage: 2 on a
    2-core machine with one worker, 1 with two workers, so the cores are not oversubscribed.

    ``code_version`` (default: :func:`helpers_fingerprint` taken once, here) goes into every
    resume key, so the whole batch is keyed on the helpers source as it was when it started.

    Results come back sorted by area, period and stage order, whatever order the workers
    finished in.
    """
    from tqdm.auto import tqdm

    from helpers.run.executors import SerialExecutor, default_workers

    executor = executor or SerialExecutor()
    if timeout is not None and timeout <= 0:
        raise ParameterError(
            f"--timeout must be positive, not {timeout}.", "Give seconds per cell, e.g. 1800."
        )
    results: dict[WorkItem, list[StageResult]] = {}
    bar = tqdm(
        total=len(items), unit="area-period", disable=not progress, desc=f"batch ({executor.name})"
    )
    kwargs = {
        "pdf": pdf,
        "stages": stages,
        "kernel": kernel,
        "timeout": timeout,
        "force": force,
        "code_version": code_version or helpers_fingerprint(),
        "stage_workers": stage_workers
        or max(1, default_workers() // max(1, getattr(executor, "workers", 1))),
        "warm_kernels": warm_kernels,
    }
    for item, res, err in executor.map_unordered(run_item, items, **kwargs):
        if err is not None:
            res = [
                StageResult(
                    item.area, item.period, "(worker)", "failed", 0.0, None, None, _error_text(err)
                )
            ]
        results[item] = res
        bad = sum(r.status == "failed" for r in res)
        bar.set_postfix_str(f"{item.area} {item.period}: {'FAILED' if bad else 'ok'}")
        bar.update(1)
    bar.close()
    order = {it: i for i, it in enumerate(items)}
    out: list[StageResult] = []
    for it in sorted(results, key=order.__getitem__):
        out.extend(results[it])
    return out


def batch_failed(results: list[StageResult]) -> bool:
    return any(r.status not in OK_STATUSES for r in results)


def summary_table(results: list[StageResult]) -> str:
    """Plain-text table: area, period, stage, status, seconds, PDF (or notebook) path; errors below."""
    head = ("area", "period", "stage", "status", "seconds", "PDF")
    rows = []
    for r in results:
        out = r.pdf or r.notebook or ""
        rows.append((r.area, r.period, r.stage, r.status, f"{r.seconds:.1f}", str(out)))
    widths = [
        max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(head)
    ]
    lines = [
        "  ".join(
            h.ljust(w) if i != 4 else h.rjust(w)
            for i, (h, w) in enumerate(zip(head, widths, strict=True))
        ).rstrip()
    ]
    for row, r in zip(rows, results, strict=True):
        lines.append(
            "  ".join(
                v.ljust(w) if i != 4 else v.rjust(w)
                for i, (v, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
        if r.error and r.status in ("failed", "incomplete"):
            lines.append(f"    error: {r.error}")
    n_fail = sum(r.status == "failed" for r in results)
    n_skip = sum(r.status == "skipped" for r in results)
    n_ok = sum(r.status == "ok" for r in results)
    n_same = sum(r.status == "unchanged" for r in results)
    n_part = sum(r.status == "incomplete" for r in results)
    lines.append(
        f"{n_ok} ran ok, {n_same} unchanged (not re-run), {n_fail} failed, {n_skip} skipped"
        + (f", {n_part} incomplete." if n_part else ".")
    )
    return "\n".join(lines)


__all__ = [
    "StageResult",
    "WorkItem",
    "run_area",
    "run_item",
    "run_batch",
    "resolve_areas",
    "work_items",
    "summary_table",
    "batch_failed",
    "stage_notebooks",
]
