"""The sample's published tables and figures, frozen as ground truth under tests/ground_truth/.

Every stage runs for the sample in its own scratch project and each table and figure file a
panel reads is compared with the frozen copy. A difference fails with the file and the first
changed rows: if the change is intended, run ``make ground-truth`` and review the diff in git,
so that any change to a number a panel reads is seen in review.

Cells compare as text, except that two numbers which agree to 1 part in 10^9 count as the
same: least-squares fits (stage 03's change points) go through LAPACK, whose results differ
in the last of 16 digits between CPUs (seen between an Intel Xeon and an AMD EPYC machine with
the same wheels), and no printed figure reaches that digit.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import math
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


def _same_cell(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)


def _same_rows(old: list[str], new: list[str]) -> bool:
    a = list(csv.reader(io.StringIO("\n".join(old))))
    b = list(csv.reader(io.StringIO("\n".join(new))))
    return len(a) == len(b) and all(
        len(r) == len(q) and all(map(_same_cell, r, q)) for r, q in zip(a, b, strict=True)
    )


def test_numbers_agree_to_nine_digits_not_closer():
    assert _same_rows(["x,y", "a,1.1430260192069959"], ["x,y", "a,1.1430260192070136"])
    assert not _same_rows(["x,y", "a,1.14302601"], ["x,y", "a,1.14302602"])
    assert not _same_rows(["x,y", "a,1"], ["x,y", "b,1"])
    assert not _same_rows(["x,y", "a,1"], ["x,y", "a,1", "a,1"])
    assert not _same_rows(["x,y", "a,nan"], ["x,y", "a,0"])


@pytest.mark.parametrize("name", [f for f in _frozen_files() if f.startswith("tables/")])
def test_table_unchanged(report, name):
    old = (FROZEN / name).read_text(encoding="utf-8").splitlines()
    new = (report / name).read_text(encoding="utf-8").splitlines()
    if _same_rows(old, new):
        return
    diff = list(difflib.unified_diff(old, new, "frozen", "this run", lineterm="", n=0))
    assert not diff, f"{name} changed (run make ground-truth if intended):\n" + "\n".join(diff[:20])


@pytest.mark.parametrize("name", [f for f in _frozen_files() if f.startswith("figures/")])
def test_figures_unchanged(report, name):
    old = json.loads((FROZEN / name).read_text(encoding="utf-8"))
    new = json.loads(
        json.dumps(published_figures(report / name), sort_keys=True, ensure_ascii=False)
    )
    assert new == old, f"{name} changed (run make ground-truth if intended)"
