"""Where batch work runs: in this process, a local process pool, or a Dask distributed cluster.

Every executor has the same small interface: ``map_unordered(fn, items, **kwargs)`` yields
``(item, result, error)`` as each piece of work finishes (``error`` is the exception, or ``None``),
and ``close()``. A failure in one item (an exception, a worker process that died) is reported for
that item only; the others carry on.

* :class:`SerialExecutor`: one item after another in this process (``--workers 1``).
* :class:`ProcessPoolExecutor`: a local pool of ``workers`` processes (``--workers N``; default the
  number of cores). A worker that dies (killed by the OS, say) breaks a standard-library pool;
  the items that were in flight are retried once in a fresh pool, then reported as failed.
* :class:`DaskExecutor`: Dask distributed. ``scheduler="local"`` starts a ``LocalCluster`` of
  ``workers`` single-threaded worker processes on loopback; ``tcp://host:port`` connects to an
  existing cluster (every worker must have this package installed and see the same project
  folder, e.g. a shared filesystem, at the same path).

``fn`` must be importable by name on the workers (a module-level function), and its arguments
picklable. Environment variables set here are inherited by local worker processes and by the
notebook kernels they start; work sent to a remote cluster should carry what it needs in its
arguments (the batch runner passes the project root explicitly).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from helpers.core.errors import ParameterError

Outcome = tuple[Any, Any, BaseException | None]


def default_workers() -> int:
    """The number of cores this process may use (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class SerialExecutor:
    """Run each item in this process, in order."""

    name = "serial"
    workers = 1

    def map_unordered(self, fn: Callable, items: Iterable, **kwargs) -> Iterator[Outcome]:
        for item in items:
            try:
                yield item, fn(item, **kwargs), None
            except Exception as exc:  # one item's failure never stops the others
                yield item, None, exc

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ProcessPoolExecutor(SerialExecutor):
    """A local pool of worker processes (``spawn`` start method: no forked threads or locks)."""

    name = "processes"

    def __init__(self, workers: int | None = None, retries: int = 1):
        self.workers = int(workers or default_workers())
        if self.workers < 1:
            raise ParameterError(
                f"--workers must be at least 1, not {self.workers}.", "Use --workers 1 or more."
            )
        self.retries = retries
        self._pool: cf.ProcessPoolExecutor | None = None

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=mp.get_context("spawn"))

    def map_unordered(self, fn: Callable, items: Iterable, **kwargs) -> Iterator[Outcome]:
        pending = list(items)
        tries: dict[int, int] = {}
        while pending:
            if self._pool is None:
                self._pool = self._new_pool()
            futures = {
                self._pool.submit(fn, item, **kwargs): (i, item) for i, item in enumerate(pending)
            }
            broken: list = []
            pool_broken = False
            for fut in cf.as_completed(futures):
                i, item = futures[fut]
                try:
                    yield item, fut.result(), None
                except cf.process.BrokenProcessPool as exc:
                    pool_broken = True
                    tries[id(item)] = tries.get(id(item), 0) + 1
                    if tries[id(item)] > self.retries:
                        yield (
                            item,
                            None,
                            RuntimeError(f"worker process died while running this item: {exc}"),
                        )
                    else:
                        broken.append(item)
                except Exception as exc:
                    yield item, None, exc
            if (
                pool_broken
            ):  # a dead worker breaks the whole standard-library pool: start a fresh one
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            pending = broken

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskExecutor(SerialExecutor):
    """Dask distributed: an existing scheduler (``tcp://host:port``) or a new ``LocalCluster``."""

    name = "dask"

    def __init__(self, scheduler: str = "local", workers: int | None = None):
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dependency declared in pyproject
            raise ParameterError(
                "Dask distributed is not installed.",
                "pip install 'distributed>=2024.1' (or use --workers N).",
            ) from exc
        self.cluster = None
        if scheduler == "local":
            self.workers = int(workers or default_workers())
            self.cluster = LocalCluster(
                n_workers=self.workers,
                processes=True,
                threads_per_worker=1,
                host="127.0.0.1",
                dashboard_address=None,
            )
            self.client = Client(self.cluster)
        else:
            if not scheduler.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
                raise ParameterError(
                    f"--scheduler {scheduler!r} is not a Dask scheduler address.",
                    "Use --scheduler tcp://host:8786 for an existing cluster, or --scheduler local.",
                )
            try:
                self.client = Client(scheduler, timeout="20s")
            except OSError as exc:
                raise ParameterError(
                    f"Cannot reach the Dask scheduler at {scheduler}: {exc}.",
                    "Check the address and that the scheduler is running.",
                ) from exc
            self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))

    def map_unordered(self, fn: Callable, items: Iterable, **kwargs) -> Iterator[Outcome]:
        from distributed import as_completed

        items = list(items)
        futures = {}
        for item in items:
            fut = self.client.submit(fn, item, pure=False, **kwargs)
            futures[fut] = item
        for fut in as_completed(list(futures)):
            item = futures[fut]
            try:
                yield item, fut.result(), None
            except Exception as exc:  # includes KilledWorker when a worker process died
                yield item, None, exc

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(workers: int | None = None, scheduler: str | None = None) -> SerialExecutor:
    """``scheduler`` given → Dask; otherwise a process pool of ``workers`` (1 → in-process)."""
    if scheduler:
        return DaskExecutor(scheduler, workers)
    n = int(workers or default_workers())
    if n < 1:
        raise ParameterError(f"--workers must be at least 1, not {n}.", "Use --workers 1 or more.")
    if n == 1:
        return SerialExecutor()
    return ProcessPoolExecutor(n)
