"""Stage 02's sections built from the cleaned sample, checked against independent counts.

Each section is built without a notebook (``prepare`` then ``*_section``); expected values come
from the processed extract read here with pandas, not from the stage code. The branches the
default notebook run does not reach (no group comparison data, no outcomes) are built here too.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

from helpers.present import variance_figures as VF  # noqa: E402
from helpers.run.parameters import notebook_parameters  # noqa: E402
from helpers.stages import msg_report as MR  # noqa: E402
from helpers.stages import variance_report as R  # noqa: E402

CURRENT = [str(p) for p in pd.period_range("2021-04", "2022-03", freq="M")]
PREVIOUS = [str(p) for p in pd.period_range("2020-04", "2021-03", freq="M")]


NB = Path(__file__).resolve().parents[2] / "notebooks" / "02_crime_group_variance.ipynb"


@pytest.fixture(scope="module")
def run(processed_sample):
    # the notebook's own defaults, from its parameters cell (prepare has none of its own)
    return R.prepare(**{name: p.default for name, p in notebook_parameters(NB).items()})


@pytest.fixture(scope="module")
def extract(processed_sample):
    return pd.read_parquet(processed_sample / "extract.parquet")


def test_variance_section_numbers_equal_an_independent_count(run, extract):
    s = R.variance_section(run)
    cur = int(extract["month"].isin(CURRENT).sum())
    prev = int(extract["month"].isin(PREVIOUS).sum())
    assert s.glance["All crime, FY 2021/22"] == f"{cur:,}"
    assert s.glance["Change on the previous 12 months"] == f"{(cur - prev) / prev * 100:+.1f}%"
    assert (s.figures["all_crime_current"], s.figures["all_crime_previous"]) == (cur, prev)
    assert s.table is not None and s.formats["Change"] == "signed_int"
    assert s.sentences[0].startswith("The overall crime figure") and s.headlines == s.sentences[:2]
    assert set(s.tables) == {"variance"} and set(s.table_periods) == {"variance"}


def test_volumes_chart_names_the_largest_group_and_draws_every_bar(run, extract):
    s = R.volumes_section(run, chart=VF.volume_bars)
    cur = extract[extract["month"].isin(CURRENT)]
    top = cur["offence_group"].value_counts()
    assert f"The largest group is {top.index[0]} with {top.iloc[0]:,} crimes" in s.alt
    fig = s.figure()
    bars = len(fig.axes[0].patches)
    groups = cur["offence_group"].nunique()
    assert bars >= groups * 3  # baseline, previous and current for every group shown
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_headline_section_keys_each_printed_count(run, extract):
    s = R.headline_section(run)
    assert s.sentences[0].startswith("All crime:") and s.headlines == s.sentences[:2]
    got = {(m["measure"], m["period"]): m["value"] for m in s.measures}
    assert got[("all_crime", "2021-04..2022-03")] == int(extract["month"].isin(CURRENT).sum())
    base = [str(p) for p in pd.period_range("2019-01", "2019-12", freq="M")]
    assert got[("all_crime", "2019-01..2019-12")] == int(extract["month"].isin(base).sum())


def test_sections_without_group_comparison_or_outcomes_data(run):
    bare = dataclasses.replace(
        run, data=dataclasses.replace(run.data, msg=None, outcomes=None)
    )  # a fresh run: nothing computed is shared with the full one
    msg, funnel, outcomes = (
        MR.msg_section(bare),
        MR.funnel_section(bare, chart=VF.funnel_chart),
        R.outcomes_section(bare),
    )
    assert "group comparison cannot be shown" in msg.preamble[0] and not msg.tables
    assert funnel.figure is None and not funnel.figures
    assert "outcomes data are available" in outcomes.preamble[0] and not outcomes.glance
    rec = R.saved_record(
        [R.variance_section(bare), R.headline_section(bare), msg, funnel, outcomes]
    )
    assert (
        rec["headlines"] == R.headline_section(bare).headlines
    )  # the first two against the baseline
    assert set(rec["tables"]) == {"variance"}
    assert "positive_outcome_rate_current" not in rec["figures"]
    assert not [s for s in rec["sentences"] if "cannot be shown" in s]  # messages are not findings
