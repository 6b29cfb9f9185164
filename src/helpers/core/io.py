"""Atomic, deterministic writes and content hashes.

Every output is written to a temporary file in the same folder, flushed, then renamed over the
target (``os.replace`` is atomic on one filesystem), so a crash leaves the previous output intact,
never half a file. Parquet is written with sorted rows, no pandas index and a fixed
``created_by`` so two runs on the same inputs give byte-identical files.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from helpers.core.errors import OutputError

_UMASK = os.umask(0)
os.umask(_UMASK)


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def ensure_dir(path: str | Path) -> Path:
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"Cannot create the output folder {p}: {exc.strerror}.",
            "Check the folder is writable and the disk is not full.",
        ) from exc
    return p


def ensure_writable_dir(path: str | Path) -> Path:
    """Create ``path`` if needed and prove it can be written (a test file made and removed).

    A read-only folder (or one on a read-only disk) is an :class:`OutputError` naming the
    folder, found before any work is done rather than as an ``OSError`` half-way through.
    """
    p = ensure_dir(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".write-test.", dir=p)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise OutputError(
            f"Cannot write in the output folder {p}: {exc.strerror or exc}.",
            "Make the folder writable (or point the project somewhere writable with "
            "CSP_SCRUTINY_ROOT), then run again.",
        ) from exc
    return p


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it over ``target``."""
    target = Path(target)
    ensure_dir(target.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(
            f"Cannot write in {target.parent}: {exc.strerror}.",
            "Check the folder is writable and the disk is not full.",
        ) from exc
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_UMASK)
        os.replace(tmp_path, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        hint = (
            "The disk is full: free some space."
            if exc.errno == errno.ENOSPC
            else "Check the folder is writable and the disk is not full."
        )
        raise OutputError(
            f"Could not write {target}: {exc.strerror or exc}. The previous file, if any, "
            "is unchanged.",
            hint,
        ) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def write_parquet(df: pd.DataFrame, target: str | Path, sort_by: list[str] | None = None) -> Path:
    """Write ``df`` deterministically and atomically. GeoDataFrames go out as GeoParquet."""
    if sort_by:
        df = df.sort_values(sort_by, kind="mergesort")
    df = df.reset_index(drop=True)
    target = Path(target)
    with atomic_path(target) as tmp:
        if (
            hasattr(df, "geometry")
            and hasattr(df, "to_parquet")
            and df.__class__.__name__ == "GeoDataFrame"
        ):
            df.to_parquet(tmp, index=False, compression="zstd")
        else:
            table = pa.Table.from_pandas(df, preserve_index=False)
            pq.write_table(table, tmp, compression="zstd")
    return target


def write_text(text: str, target: str | Path) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_json(obj: Any, target: str | Path) -> Path:
    return write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", target)


def write_csv(df: pd.DataFrame, target: str | Path) -> Path:
    with atomic_path(target) as tmp:
        df.to_csv(tmp, index=False, lineterminator="\n")
    return Path(target)
