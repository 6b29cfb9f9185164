"""Shared fixtures.

* ``shared_data``: the real open data in ``../shared/data`` (skips with a reason when absent).
* ``processed_sample``: the synthetic sample cleaned for the default period (once per session).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()
DEFAULT_AREA = "wexley"
DEFAULT_PERIOD = "2022-03"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"real open data not present at {SHARED_DATA} (back-tests run where ../shared/data exists, e.g. CI)"
        )
    return SHARED_DATA


@pytest.fixture(scope="session")
def processed_sample() -> Path:
    """Ensure the synthetic sample exists and is cleaned for wexley/2022-03; return the folder."""
    os.environ.pop("CSP_SCRUTINY_ROOT", None)
    from helpers.core import paths
    from helpers.core.config import load_area_config
    from helpers.ingest.cleaning import run_cleaning
    from helpers.sample import wexley as sample

    sample.ensure_sample()
    folder = paths.processed_dir(DEFAULT_AREA, DEFAULT_PERIOD)
    if not (folder / "manifest.json").exists():
        run_cleaning(load_area_config(DEFAULT_AREA), DEFAULT_PERIOD)
    return folder
