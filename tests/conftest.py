"""Shared fixtures.

* ``shared_data``: the real open data in ``../shared/data`` (skips with a reason when absent).
* ``processed_sample``: the synthetic sample cleaned for the default period (once per session).
* ``sample_dir``, ``cleaned_project``, ``project``: scratch projects (``tests/scratch.py``) so
  that notebook tests never write into the repository's ``data/`` or ``reports/``, do not depend
  on test order, and can run under ``pytest -n 2``. ``project`` is a test module's own project
  with ``CSP_SCRUTINY_ROOT`` pointing at it while the module runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

# Session-wide checks (raw data unchanged, catalogue cases counted), in the controller too under xdist
pytest_plugins = ["reliability_plumbing"]

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


@pytest.fixture(scope="module")
def processed_sample(project) -> Path:
    """The sample cleaned for wexley/2022-03, in this test module's own scratch project."""
    return project / "data" / "processed" / DEFAULT_AREA / DEFAULT_PERIOD


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory) -> Path:
    """The synthetic sample, generated once per session (per xdist worker) outside the repo."""
    from scratch import sample_cache

    return sample_cache(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="session")
def cleaned_project(tmp_path_factory, sample_dir) -> Path:
    """A scratch project in which the sample has been cleaned for wexley/2022-03 (once)."""
    from scratch import make_project

    root = make_project(tmp_path_factory.mktemp("cleaned") / "project", sample=sample_dir)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CSP_SCRUTINY_ROOT", str(root))
        from helpers.core.config import load_area_config
        from helpers.ingest.cleaning import run_cleaning

        run_cleaning(load_area_config(DEFAULT_AREA), DEFAULT_PERIOD)
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory, sample_dir, cleaned_project):
    """This test module's own scratch project: the sample and its cleaned data copied in, no
    reports; ``CSP_SCRUTINY_ROOT`` points at it (and so do the papermill kernels started)."""
    from scratch import make_project

    root = make_project(
        tmp_path_factory.mktemp("project") / "project",
        sample=sample_dir,
        processed_from=cleaned_project,
    )
    mp = pytest.MonkeyPatch()
    mp.setenv("CSP_SCRUTINY_ROOT", str(root))
    yield root
    mp.undo()
