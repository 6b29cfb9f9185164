"""Notebook sources are committed clean: no outputs, one parameters cell, a py:percent twin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_clean_and_parameterised(nb_path: Path):
    nb = json.loads(nb_path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), (
        "strip outputs"
    )
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    lines = [
        ln
        for ln in "".join(tagged[0]["source"]).splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    for ln in lines:
        assert ":" in ln.split("=")[0] and "#" in ln, (
            f"annotate and comment every parameter: {ln!r}"
        )
    assert any(ln.startswith("area:") for ln in lines) and any(
        ln.startswith("period:") for ln in lines
    )
    assert (nb_path.with_suffix(".py")).exists(), "jupytext py:percent twin missing"
    src = "".join("".join(c["source"]) for c in code)
    assert "sys.path" not in src, "import the installed helpers package; never edit sys.path"


def test_there_are_stage_notebooks():
    assert NOTEBOOKS and NOTEBOOKS[0].stem == "01_cleaning"
