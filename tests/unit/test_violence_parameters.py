"""Stage 03's parameters have one specification: the notebook's parameters cell.

The notebook used to refuse some values by hand (``comparison_months`` outside 1 to 24,
``years_of_location_history`` outside 1 to 10, ``alpha`` outside (0, 1)) that batch validation
let through (``comparison_months = 36`` passed the generic 1-to-60 rule), so a batch started and
then failed halfway. Now the ranges are written in the parameters cell's comments, batch
validation reads them, and the notebook calls the same function on its own parameters
(tests/notebooks/test_03_violence.py checks the notebook gives the same message).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from helpers.core.errors import ParameterError
from helpers.run.parameters import notebook_parameters, validate_parameters

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
TODAY = date(2024, 6, 15)
BASE = {"area": "wexley", "period": "2022-03"}

#: values the notebook refused by hand before (main at 15cab38), with the words batch
#: validation now uses for each
REFUSED = [
    ("comparison_months", 36, "is outside the allowed range 1 to 24"),
    ("comparison_months", 25, "is outside the allowed range 1 to 24"),
    ("comparison_months", 0, "is outside the allowed range 1 to 24"),
    ("years_of_location_history", 11, "is outside the allowed range 1 to 10"),
    ("years_of_location_history", 0, "is outside the allowed range 1 to 10"),
    ("alpha", 0.0, "is not strictly between 0 and 1"),
    ("alpha", 1.0, "is not strictly between 0 and 1"),
    ("alpha", 1.5, "is not strictly between 0 and 1"),
    ("alpha", "x", "is not a finite number"),
    ("comparison_months", 2.5, "is not a whole number"),
    ("source", "policeuk", "is not one of the allowed choices (did you mean 'police_uk'?)"),
]


@pytest.mark.parametrize("suffix", [".ipynb", ".py"])
def test_ranges_and_choices_are_declared_in_the_parameters_cell(suffix):
    specs = notebook_parameters(NOTEBOOKS / f"03_violence{suffix}")
    assert (specs["comparison_months"].low, specs["comparison_months"].high) == (1, 24)
    assert (specs["years_of_location_history"].low, specs["years_of_location_history"].high) == (
        1,
        10,
    )
    assert specs["source"].choices == ("auto", "extract", "police_uk")
    assert specs["alpha"].type_name == "float"


@pytest.mark.parametrize(("name", "value", "words"), REFUSED)
def test_values_the_notebook_refused_by_hand_are_refused_by_batch_validation(name, value, words):
    with pytest.raises(ParameterError) as err:
        validate_parameters(NOTEBOOKS / "03_violence.ipynb", {**BASE, name: value}, today=TODAY)
    assert str(err.value).startswith(f"Parameter {name!r} of 03_violence.ipynb: {value!r} {words}")


@pytest.mark.parametrize(
    ("name", "value"),
    [("comparison_months", 24), ("comparison_months", 1), ("years_of_location_history", 10),
     ("alpha", 0.01), ("alpha", "0.1"), ("source", "police_uk"), ("source", "extract")],
)  # fmt: skip
def test_values_in_range_pass(name, value):
    out = validate_parameters(NOTEBOOKS / "03_violence.ipynb", {**BASE, name: value}, today=TODAY)
    assert name in out


def test_the_notebook_has_no_hand_written_checks():
    text = (NOTEBOOKS / "03_violence.py").read_text(encoding="utf-8")
    assert "ParameterError" not in text
    assert "validate_parameters(" in text
