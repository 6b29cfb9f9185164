"""Notebooks read like the report they become: markdown plus one call per section.

A stage notebook may hold at most twice as many code lines as markdown lines (non-blank lines,
counted in the .ipynb the batch runs), and no hand-written parameter checks: parameters are
checked by the one specification in the parameters cell (``validate_parameters``).
"""

import json
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

#: Every stage notebook (a new one is held to the same shape).
THIN: set[str] = {p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")}


def _lines(nb_path: Path) -> tuple[int, int]:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    code = markdown = 0
    for cell in nb["cells"]:
        n = sum(1 for line in "".join(cell["source"]).splitlines() if line.strip())
        if cell["cell_type"] == "code":
            code += n
        elif cell["cell_type"] == "markdown":
            markdown += n
    return code, markdown


@pytest.mark.parametrize("name", sorted(THIN))
def test_code_at_most_twice_markdown(name):
    code, markdown = _lines(NOTEBOOKS / f"{name}.ipynb")
    assert code <= 2 * markdown, f"{name}: {code} code lines against {markdown} markdown lines"


@pytest.mark.parametrize("name", sorted(THIN))
def test_no_hand_written_parameter_checks(name):
    text = (NOTEBOOKS / f"{name}.py").read_text(encoding="utf-8")
    assert "raise ParameterError" not in text, f"{name} checks its own parameters by hand"
