"""Work beside the stage kernels: stage PDFs and the ward briefings, in processes of their own.

A stage's PDF is weasyprint work (seconds of it, holding the GIL). Exported in the runner
process, one PDF at a time, it queued behind the others and stalled the threads that relay the
other stages' kernel messages, and the next wave of stages waited for it: the cleaning stage's
PDF held up stages 02-04, and stage 04's held up the pack and the briefings. Here each export
runs in a child forked from the warm zygote (:mod:`helpers.run.warmkernel`, which has already
imported nbconvert and weasyprint), so it overlaps whatever runs next; the ward briefings get one
too. Where there is no zygote (``--cold-kernels``, a platform that cannot fork, a zygote that
would not start), exports run one at a time in a thread of this process (weasyprint is not
documented as thread-safe) and the briefings in a spawned process where this process may have
children (not inside a Dask worker, which is daemonic), else here.

With one stage at a time asked for (``stage_workers=1``, as on each worker of a multi-area
batch, where the workers already share the cores) there is no side work: exports and briefings
run in this process, in order, as the user asked.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import threading
import time
from pathlib import Path

from helpers.run import warmkernel

#: weasyprint is not documented as thread-safe: one in-process export at a time.
_EXPORT_LOCK = threading.Lock()

#: How much a forked export yields to the stage kernels (``nice`` increment): while stages run
#: side by side on every core, the ward stage's kernel (the longest, which the briefings and the
#: pack wait for) goes first and the PDFs fill the gaps; on an idle core an export runs at once.
EXPORT_NICE = 5


def export_stage_pdf(
    notebook: str, pdf: str, synthetic: bool | None, nice: int = 0
) -> tuple[str, float]:
    """Export one executed notebook to its PDF; ``(pdf path, seconds)``. Runs anywhere;
    ``nice`` only in a process of its own (it lowers the whole process's priority)."""
    from helpers.report.export import export_pdf

    if nice:
        os.nice(nice)
    t0 = time.perf_counter()
    with _EXPORT_LOCK:
        path = export_pdf(Path(notebook), Path(pdf), synthetic=synthetic)
    return str(path), time.perf_counter() - t0


def build_briefings(area: str, period: str, env: dict) -> str:
    """Build the ward briefings; in a side process, with the parent's root and run config."""
    os.environ.update(env)
    from helpers.report.briefings import build_ward_briefings

    return str(build_ward_briefings(area, period))


class Job:
    """One piece of side work; :meth:`result` waits for it and returns its value or raises.

    Made from a forked child (``proc``), a pool's future, or ``fn(*args)`` run here: at once
    with :meth:`now`, or when the result is first asked for."""

    _UNSET = object()

    def __init__(self, future=None, proc=None, fn=None, args=()):
        self._future, self._proc, self._fn, self._args = future, proc, fn, args
        self._value, self._error = Job._UNSET, None

    @classmethod
    def now(cls, fn, *args) -> Job:
        job = cls(fn=fn, args=args)
        job._settle()
        return job

    def _settle(self) -> None:
        try:
            if self._proc is not None:
                self._value = warmkernel.call_result(self._proc)
            elif self._future is not None:
                self._value = self._future.result()
            else:
                self._value = self._fn(*self._args)
        except Exception as exc:  # kept, so asking twice raises the same error
            self._value, self._error = None, exc

    def result(self):
        if self._value is Job._UNSET:
            self._settle()
        if self._error is not None:
            raise self._error
        return self._value


def may_start_processes() -> bool:
    """False inside a daemonic process (a Dask worker), which may not have children."""
    import multiprocessing as mp

    return not mp.current_process().daemon


class SideWork:
    """Where an item's stage PDFs and ward briefings are made (see the module docstring).

    ``beside=False`` (one stage at a time): everything runs in this process when asked for."""

    def __init__(self, warm: bool = True, beside: bool = True):
        self.forked = False
        self._threads: cf.ThreadPoolExecutor | None = None
        self._spawned: cf.ProcessPoolExecutor | None = None
        self.beside = beside
        if beside and warm and warmkernel.available():
            try:
                warmkernel.zygote().ensure()
                self.forked = True
            except warmkernel.ZygoteUnavailable:
                pass  # said once in the log by the stage kernels' fallback

    def _fork(self, fn, *args):
        if not self.forked:
            return None
        return warmkernel.call_in_child(f"{fn.__module__}:{fn.__qualname__}", *args)

    def export(self, notebook: Path, pdf: Path, synthetic: bool | None) -> Job:
        """Start exporting ``notebook`` to ``pdf``; the job's result is ``(path, seconds)``."""
        args = (str(notebook), str(pdf), synthetic)
        if not self.beside:
            return Job.now(export_stage_pdf, *args)
        proc = self._fork(export_stage_pdf, *args, EXPORT_NICE)
        if proc is not None:
            return Job(proc=proc)
        if self._threads is None:
            self._threads = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="export")
        return Job(future=self._threads.submit(export_stage_pdf, *args))

    def submit(self, fn, *args) -> Job:
        """Start ``fn(*args)`` (a module-level function; arguments and result pickle) in a
        forked child, else a spawned process, else here when its result is asked for."""
        if self.beside:
            proc = self._fork(fn, *args)
            if proc is not None:
                return Job(proc=proc)
            if may_start_processes():
                import multiprocessing as mp

                if self._spawned is None:
                    self._spawned = cf.ProcessPoolExecutor(
                        max_workers=1, mp_context=mp.get_context("spawn")
                    )
                return Job(future=self._spawned.submit(fn, *args))
        return Job(fn=fn, args=args)

    def briefings(self, area: str, period: str, env: dict) -> Job:
        """Start the ward briefings; the job's result is the PDF's path (text)."""
        return self.submit(build_briefings, area, period, env if self.beside else {})

    def close(self) -> None:
        for pool in (self._threads, self._spawned):
            if pool is not None:
                pool.shutdown(wait=True)
        self._threads = self._spawned = None
