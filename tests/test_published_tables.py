"""The sample's published tables and figures, frozen as ground truth under tests/ground_truth/.

Every stage runs for the sample in its own scratch project and each table and figure file a
panel reads is compared with the frozen copy. A difference fails with the file and the first
changed rows: if the change is intended, run ``make ground-truth`` and review the diff in git,
so that any change to a number a panel reads is seen in review.
"""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "ground_truth"))
from refresh import FROZEN, published_figures, run_sample  # noqa: E402

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return run_sample(tmp_path_factory.mktemp("published") / "project")


def _frozen_files() -> list[str]:
    return sorted(str(p.relative_to(FROZEN)) for p in FROZEN.rglob("*") if p.is_file())


def test_ground_truth_is_present():
    assert _frozen_files(), f"no frozen tables under {FROZEN}: run make ground-truth"


def test_same_files_published(report):
    now = sorted(
        [f"tables/{p.name}" for p in (report / "tables").glob("*.csv")]
        + [f"figures/{p.name}" for p in (report / "figures").glob("*.json")]
    )
    assert now == _frozen_files(), "the set of published files changed: run make ground-truth"


@pytest.mark.parametrize("name", [f for f in _frozen_files() if f.startswith("tables/")])
def test_table_unchanged(report, name):
    old = (FROZEN / name).read_text(encoding="utf-8").splitlines()
    new = (report / name).read_text(encoding="utf-8").splitlines()
    diff = list(difflib.unified_diff(old, new, "frozen", "this run", lineterm="", n=0))
    assert not diff, f"{name} changed (run make ground-truth if intended):\n" + "\n".join(diff[:20])


@pytest.mark.parametrize("name", [f for f in _frozen_files() if f.startswith("figures/")])
def test_figures_unchanged(report, name):
    old = json.loads((FROZEN / name).read_text(encoding="utf-8"))
    new = json.loads(
        json.dumps(published_figures(report / name), sort_keys=True, ensure_ascii=False)
    )
    assert new == old, f"{name} changed (run make ground-truth if intended)"
