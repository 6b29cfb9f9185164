"""Stage 02's one parameter specification, and the record saved from its sections.

The parameters cell of notebooks/02_crime_group_variance is read by
``validate_parameters`` both in batch validation and inside the notebook; these tests check the
specification says what the stage's code accepts, that a comment's range wins over the
name-based rules, and that the notebook hands every declared parameter to the check.
"""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

from helpers.core.errors import ParameterError
from helpers.core.sections import Section
from helpers.core.statistics import P_ADJUST, TEST_METHODS
from helpers.run.parameters import notebook_parameters, validate_parameters
from helpers.stages import msg as M
from helpers.stages import variance_report as R
from helpers.stages.sources import SOURCES

NB = Path(__file__).resolve().parents[2] / "notebooks" / "02_crime_group_variance.ipynb"
TODAY = date(2026, 1, 1)


def _check(**params):
    return validate_parameters(NB, {"area": "wexley", "period": "2022-03", **params}, today=TODAY)


def test_choices_in_the_comments_are_the_ones_the_code_knows():
    spec = notebook_parameters(NB)
    assert set(spec["test_method"].choices) == set(TEST_METHODS)
    assert set(spec["p_adjust"].choices) == set(P_ADJUST)
    assert set(spec["source"].choices) == set(SOURCES)
    assert set(spec["limit_method"].choices) == set(M.LIMIT_METHODS)
    assert set(spec["msg_average"].choices) == set(M.AVERAGES)
    assert set(spec["overdispersion_model"].choices) == {"additive", "multiplicative"}


def test_the_comment_range_wins_over_the_name_rule():
    # "names ending months are 1 to 60" would accept 36; the comment says 1 to 24
    assert (
        notebook_parameters(NB)["comparison_months"].low,
        notebook_parameters(NB)["comparison_months"].high,
    ) == (1, 24)
    assert _check(comparison_months=24)["comparison_months"] == 24
    with pytest.raises(ParameterError, match=r"'comparison_months'.*36.*1 to 24"):
        _check(comparison_months=36)


@pytest.mark.parametrize(
    ("params", "pattern"),
    [
        ({"alpha": 0.0}, r"'alpha'.*between 0 and 1"),
        ({"min_count": 0}, r"'min_count'.*positive"),
        ({"limit_k": 0.0}, r"'limit_k'.*0\.1 to 5"),
        ({"limit_k_outer": 11.0}, r"'limit_k_outer'.*0\.1 to 10"),
        ({"funnel_outer": 1.0}, r"'funnel_outer'.*between 0 and 1"),
        ({"source": "extrakt"}, r"'source'.*did you mean 'extract'"),
    ],
)
def test_values_the_stage_cannot_use_are_refused(params, pattern):
    with pytest.raises(ParameterError, match=pattern):
        _check(**params)


def test_values_the_stage_can_use_are_accepted():
    ok = _check(alpha="0.5", min_count="1", limit_k=0.5, limit_k_outer=4, p_adjust="holm")
    assert ok["alpha"] == 0.5 and ok["min_count"] == 1 and ok["limit_k_outer"] == 4.0


def test_the_notebook_checks_every_declared_parameter():
    """The notebook's call hands ``validate_parameters`` each parameter of its own cell (a new
    parameter cannot skip the check)."""
    source = NB.with_suffix(".py").read_text(encoding="utf-8")
    calls = [
        n
        for n in ast.walk(ast.parse(source))
        if isinstance(n, ast.Assign)
        and isinstance(n.value, ast.Call)
        and getattr(n.value.func, "id", "") == "dict"
        and any(getattr(t, "id", "") == "params" for t in n.targets)
    ]
    assert len(calls) == 1
    given = {k.arg: getattr(k.value, "id", None) for k in calls[0].value.keywords}
    assert given == {name: name for name in notebook_parameters(NB)}
    assert "validate_parameters(paths.notebooks_dir()" in source


def test_saved_record_orders_the_front_page_and_merges_the_rest():
    sections = [
        Section("context", preamble=["Not a finding."], figures={"source": "x"}),
        Section(
            "variance", sentences=["v1", "v2", "v3"], headlines=["v1", "v2"], glance={"A": "1"}
        ),
        Section("headline", sentences=["h1", "h2", "h3"], headlines=["h1", "h2"]),
        Section(
            "outcomes", sentences=["o1"], headlines=["o1"], glance={"B": "2"}, source_notes=["n1"]
        ),
        Section("msg", sentences=["m1", "m2"], headlines=["m1"], source_notes=["n2"]),
        Section("later", sentences=["l1"], headlines=["l1"], tables={"wards": 1}),
        # the localities' words are saved in their key-figures table, not among the findings
        Section("localities", sentences=["Not a finding either."]),
        Section("locality:Town", sentences=["Nor this."]),
    ]
    rec = R.saved_record(sections)
    assert rec["headlines"] == ["h1", "h2", "m1", "o1", "l1"]
    assert rec["sentences"] == ["v1", "v2", "v3", "h1", "h2", "h3", "o1", "m1", "m2", "l1"]
    assert rec["glance"] == {"A": "1", "B": "2"} and list(rec["glance"]) == ["A", "B"]
    assert rec["source_notes"] == ["n1", "n2"] and rec["tables"] == {"wards": 1}
    # without a headline against the baseline, the crime-group table's two lead the page
    rec = R.saved_record([s for s in sections if s.key != "headline"])
    assert rec["headlines"][:3] == ["v1", "v2", "m1"]
    with pytest.raises(ValueError, match="source"):
        R.saved_record([sections[0], Section("again", figures={"source": "y"})])
