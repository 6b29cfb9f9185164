"""Every notebook test module runs in its own scratch project (``project`` in tests/conftest.py):
the stage notebooks read and write there, never in the repository's data/ or reports/."""

import pytest


@pytest.fixture(scope="module", autouse=True)
def _own_project(project):
    return project
