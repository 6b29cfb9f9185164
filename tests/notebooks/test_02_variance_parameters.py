"""Notebook 02 checks its parameters with the one specification batch validation reads.

The parameters cell's annotations and comments are the specification
(:func:`helpers.run.parameters.validate_parameters`); the notebook calls it on its own values
before it reads anything. So a value batch validation accepts runs, and a value it refuses is
refused by the notebook before anything runs, with the same message.
"""

from __future__ import annotations

import json
from pathlib import Path

import papermill as pm
import pytest

from helpers.core import paths
from helpers.core.errors import ParameterError
from helpers.run.parameters import validate_parameters

pytestmark = pytest.mark.notebook
REPO = Path(__file__).resolve().parents[2]
NB = REPO / "notebooks" / "02_crime_group_variance.ipynb"
AREA, PERIOD = "wexley", "2022-03"
STAGE = "02_crime_group_variance"


def _execute(tmp_path: Path, **params) -> Path:
    out = tmp_path / "02_out.ipynb"
    pm.execute_notebook(
        str(NB),
        str(out),
        parameters={"area": AREA, "period": PERIOD, **params},
        kernel_name="python3",
        cwd=str(REPO / "notebooks"),
        progress_bar=False,
    )
    return out


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"comparison_months": 36}, id="months-beyond-the-comment-range"),
        pytest.param({"test_method": "exakt"}, id="unknown-test"),
    ],
)
def test_a_value_batch_refuses_is_refused_before_anything_runs(project, tmp_path, bad):
    with pytest.raises(ParameterError) as batch:
        validate_parameters(NB, {"area": AREA, "period": PERIOD, **bad})
    with pytest.raises(pm.PapermillExecutionError) as run:
        _execute(tmp_path, **bad)
    assert run.value.ename == "ParameterError"
    assert run.value.evalue == str(batch.value)  # the same message, word for word
    # refused before anything ran: the stage read nothing and wrote nothing
    nb = json.loads((tmp_path / "02_out.ipynb").read_text(encoding="utf-8"))
    failed = [
        c for c in nb["cells"] if any(o.get("output_type") == "error" for o in c.get("outputs", []))
    ]
    assert len(failed) == 1 and "validate_parameters" in "".join(failed[0]["source"])
    assert not (paths.report_dir(AREA, PERIOD) / "figures" / f"{STAGE}.json").exists()


@pytest.mark.slow
def test_a_value_batch_accepts_runs(project, tmp_path):
    ok = {"comparison_months": 6, "alpha": 0.1, "min_count": 1}
    # inside the comment's range (1 to 24) and the name rules (alpha below 1, a count of at least 1)
    assert validate_parameters(NB, {"area": AREA, "period": PERIOD, **ok})
    out = _execute(tmp_path, **ok)
    # nothing a reader sees is a Python value (the save step prints no file path)
    shown = [
        o
        for c in json.loads(out.read_text(encoding="utf-8"))["cells"]
        for o in c.get("outputs", [])
    ]
    assert not [o for o in shown if o.get("output_type") in ("execute_result", "error")]
    figs = json.loads(
        (paths.report_dir(AREA, PERIOD) / "figures" / f"{STAGE}.json").read_text(encoding="utf-8")
    )
    assert figs["figures"]["alpha"] == 0.1
    assert figs["figures"]["months_compared"] == 6
