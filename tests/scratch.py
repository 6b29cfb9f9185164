"""Scratch projects for tests that run the real stage notebooks.

A scratch project is a folder laid out like the repository (``config/``, ``notebooks/``,
``data/raw/``, ``data/processed/``, ``reports/``) that ``CSP_SCRUTINY_ROOT`` points at, so a test
never reads or writes the repository's own ``data/`` and ``reports/`` and its results cannot
depend on which tests ran before it (or on another pytest-xdist worker).

The synthetic sample is generated once per test session into a cache folder and copied into
each project (copies, not links: a test that damages a raw file on purpose damages only its own).
"""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def sample_cache(base: Path) -> Path:
    """The synthetic sample, generated once into ``base/sample`` (reused when current)."""
    from helpers.sample.wexley import ensure_sample

    return ensure_sample(Path(base) / "sample")


def make_project(
    root: Path, sample: Path | None = None, processed_from: Path | None = None
) -> Path:
    """Lay out a scratch project at ``root`` and return it.

    ``sample``: a generated sample folder to copy in as ``data/raw/wexley``.
    ``processed_from``: another project whose ``data/processed`` is copied in (so a stage test
    need not re-run cleaning); reports are never copied.
    """
    root = Path(root)
    (root / "data" / "raw").mkdir(parents=True, exist_ok=True)
    (root / "data" / "processed").mkdir(parents=True, exist_ok=True)
    (root / "reports").mkdir(exist_ok=True)
    shutil.copytree(REPO / "config", root / "config", dirs_exist_ok=True)
    shutil.copytree(
        REPO / "notebooks",
        root / "notebooks",
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
    )
    if sample is not None and not (root / "data" / "raw" / "wexley").exists():
        shutil.copytree(sample, root / "data" / "raw" / "wexley")
    if processed_from is not None:
        src = Path(processed_from) / "data" / "processed"
        shutil.copytree(src, root / "data" / "processed", dirs_exist_ok=True)
    return root
