"""helpers.run.parameters: the parameters cell is read faithfully and bad values refused before a run."""

from __future__ import annotations

from datetime import date

import nbformat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers.core.errors import ParameterError
from helpers.run.parameters import notebook_parameters, parse_choices, validate_parameters

TODAY = date(2024, 6, 15)

CELL = """area: str = "wexley"  # area config name in config/
period: str = "2022-03"  # last month of the reporting period (YYYY-MM)
months: int = (
    12  # months compared (wrapped by the formatter)
)
limit_k: float = 1.0  # inner limit = average ± limit_k standard deviations
threshold: int | None = None  # suppress below this (None: use the config)
style: str = "bar"  # one of: bar | "stacked bar" | line
method: str = "exact"  # exact (binomial) | z (normal): the test used
k: int = 5  # classes (2 to 9)
ratio: float = 0.5  # a probability
show: bool = True  # draw the chart
"""


@pytest.fixture
def nb(tmp_path):
    book = nbformat.v4.new_notebook()
    book.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell(CELL, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print(area)"),
    ]
    path = tmp_path / "nb.ipynb"
    nbformat.write(book, path)
    return path


def test_every_parameter_read_with_type_default_and_comment(nb):
    specs = notebook_parameters(nb)
    assert list(specs) == [
        "area",
        "period",
        "months",
        "limit_k",
        "threshold",
        "style",
        "method",
        "k",
        "ratio",
        "show",
    ]
    assert (specs["months"].type_name, specs["months"].default) == (
        "int",
        12,
    )  # papermill loses this one
    assert specs["months"].help == "months compared (wrapped by the formatter)"
    assert (specs["threshold"].type_name, specs["threshold"].optional) == ("int", True)
    assert specs["limit_k"].default == 1.0  # the ± in its comment made papermill drop it
    assert specs["style"].choices == ("bar", "stacked bar", "line")
    assert specs["method"].choices == ("exact", "z")
    assert (specs["k"].low, specs["k"].high) == (2, 9)
    assert specs["area"].choices is None


@pytest.mark.parametrize(
    ("comment", "choices"),
    [
        ("one of: a | b | c", ("a", "b", "c")),
        ("how to draw; one of: 'x y' | z (zed)", ("x y", "z")),
        ("auto | extract | police_uk: where counts come from", ("auto", "extract", "police_uk")),
        (
            "mean (of member rates, as iQuanta) | pooled (group total / group population)",
            ("mean", "pooled"),
        ),
        ("map classes: NaturalBreaks, Quantiles", None),
        ("a ratio | b", None),  # prose before the bar: not a choice list
        ("plain comment", None),
    ],
)
def test_parse_choices(comment, choices):
    assert parse_choices(comment) == choices


def test_text_values_are_coerced(nb):
    out = validate_parameters(
        nb,
        {
            "months": "24",
            "limit_k": "2",
            "threshold": "None",
            "show": "false",
            "ratio": 0.25,
            "k": 9.0,
            "style": "stacked bar",
        },
        today=TODAY,
    )
    assert out == {
        "months": 24,
        "limit_k": 2.0,
        "threshold": None,
        "show": False,
        "ratio": 0.25,
        "k": 9,
        "style": "stacked bar",
    }
    assert type(out["k"]) is int and type(out["limit_k"]) is float


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"peroid": "2022-03"}, r"no parameter 'peroid' \(did you mean 'period'\?\)"),
        ({"k": 1}, r"'k'.*outside the allowed range 2 to 9"),
        ({"k": True}, r"'k'.*not a whole number"),
        ({"months": 0}, r"'months'.*between 1 and 60"),
        ({"ratio": 1.0}, r"'ratio'.*strictly between 0 and 1"),
        ({"limit_k": float("nan")}, r"'limit_k'.*not a finite number"),
        ({"show": "maybe"}, r"'show'.*not true or false"),
        ({"style": "pie"}, r"'style'.*allowed choices"),
        ({"method": "Exact"}, r"did you mean 'exact'"),
        ({"area": 5}, r"'area'.*not text"),
        ({"period": "2024-06"}, r"'period'.*not a completed month \(today is 2024-06-15\)"),
        ({"period": "March 2022"}, r"'period'.*YYYY-MM"),
        ({"threshold": "-3"}, r"'threshold'.*positive"),
        ({"area": "nowhere"}, r"Parameter 'area'.*Unknown area 'nowhere'"),
    ],
)
def test_bad_values_are_refused(nb, params, match):
    with pytest.raises(ParameterError, match=match):
        validate_parameters(nb, params, today=TODAY)


def test_defaults_are_not_added(nb):
    assert validate_parameters(nb, {}, today=TODAY) == {}


def test_notebook_without_a_parameters_cell(tmp_path):
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(book, tmp_path / "n.ipynb")
    with pytest.raises(ParameterError, match="0 cells tagged 'parameters'"):
        validate_parameters(tmp_path / "n.ipynb", {"x": 2})
    with pytest.raises(ParameterError, match="does not exist"):
        validate_parameters(tmp_path / "missing.ipynb", {})


@pytest.fixture(scope="module")
def shared_nb(tmp_path_factory):
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(CELL, metadata={"tags": ["parameters"]})]
    path = tmp_path_factory.mktemp("params") / "nb.ipynb"
    nbformat.write(book, path)
    return path


@given(value=st.integers(2, 9))
def test_any_int_in_the_declared_range_passes_as_text(shared_nb, value):
    # independent statement of the rule: "(2 to 9)" is inclusive at both ends
    assert validate_parameters(shared_nb, {"k": str(value)}, today=TODAY) == {"k": value}
