"""Notebook 02 with its other documented options, in a scratch project root.

The default run is tested in test_02_variance.py. Here: the police.uk fallback (no force extract
used), iQuanta-style mean ± k·SD limits and the pooled group rate. Runs happen in a scratch root
(CSP_SCRUTINY_ROOT) so the sample's own reports are not overwritten.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import papermill as pm
import pytest

pytestmark = [pytest.mark.notebook, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]
NB = REPO / "notebooks" / "02_crime_group_variance.ipynb"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    from helpers.core.config import load_area_config
    from helpers.ingest.cleaning import run_cleaning
    from helpers.run.batch import scratch_project
    from helpers.sample import wexley as sample

    sample.ensure_sample()
    root = scratch_project(tmp_path_factory.mktemp("proj"), ["opt"])
    mp = pytest.MonkeyPatch()
    mp.setenv("CSP_SCRUTINY_ROOT", str(root))
    run_cleaning(load_area_config("opt"), "2022-03")
    yield root
    mp.undo()


def _run(root: Path, tmp: Path, **params) -> tuple[dict, Path]:
    out = tmp / "02.ipynb"
    pm.execute_notebook(
        str(NB),
        str(out),
        parameters={"area": "opt", "period": "2022-03", **params},
        kernel_name="python3",
        cwd=str(REPO / "notebooks"),
        progress_bar=False,
    )
    report = root / "reports" / "opt" / "2022-03"
    return json.loads((report / "figures" / "02_crime_group_variance.json").read_text()), report


def test_police_uk_fallback_counts_equal_street_data(scratch, tmp_path):
    figs, report = _run(scratch, tmp_path, source="police_uk")
    assert figs["figures"]["source"] == "police.uk"
    street = pd.read_parquet(scratch / "data" / "processed" / "opt" / "2022-03" / "street.parquet")
    crimes = street[~street["is_asb"]]
    cur = crimes["month"].between("2021-04", "2022-03").sum()
    prev = crimes["month"].between("2020-04", "2021-03").sum()
    assert (figs["figures"]["all_crime_current"], figs["figures"]["all_crime_previous"]) == (
        cur,
        prev,
    )
    t = pd.read_csv(report / "tables" / "02_crime_group_variance__variance.csv")
    # police.uk has no Home Office subgroups: rows below a group are police.uk's own crime types,
    # and no Home Office subgroup (e.g. violence with injury) may be invented
    from helpers.ingest.offences import offence_codes, police_uk_crime_type_names

    assert set(t.loc[t["level"] == "subgroup", "label"]) <= set(police_uk_crime_type_names())
    ref = offence_codes()
    invented = (
        set(ref["offence_subgroup"]) - set(ref["offence_group"]) - set(police_uk_crime_type_names())
    )
    assert not set(t["label"]) & invented
    assert "Violence against the person and sexual offences" in set(t["label"])


def test_mean_sd_limits_and_pooled_average(scratch, tmp_path):
    figs, report = _run(
        scratch,
        tmp_path,
        limit_method="mean_sd",
        limit_k=1.0,
        limit_k_outer=2.0,
        msg_average="pooled",
    )
    m = pd.read_csv(report / "tables" / "02_crime_group_variance__msg.csv").set_index("crime_type")
    members = pd.read_csv(report / "tables" / "02_crime_group_variance__msg_members.csv")
    assert len(m) >= 13 and set(m["members"]) == {15}
    for crime_type, g in members.groupby("crime_type"):
        rates = g["count"] / g["population"] * 1000
        pooled = g["count"].sum() / g["population"].sum() * 1000
        sd = rates.std(ddof=1)  # iQuanta-style: SD of member rates
        row = m.loc[crime_type]
        assert row["msg_average"] == pytest.approx(pooled, rel=1e-9), crime_type
        assert row["upper_inner"] == pytest.approx(pooled + 1.0 * sd, rel=1e-9), crime_type
        assert row["upper_outer"] == pytest.approx(pooled + 2.0 * sd, rel=1e-9), crime_type
        assert row["lower_outer"] == pytest.approx(max(pooled - 2.0 * sd, 0.0), abs=1e-9), (
            crime_type
        )
        # mean +/- SD bands describe the spread; they are not a test, so never "significantly"
        inside = row["lower_inner"] <= row["rate"] <= row["upper_inner"]
        if inside:
            assert row["position"] == "Close to the group average", crime_type
        assert "ignificant" not in row["position"] and "normal range" not in row["position"]
        # rank 1 = lowest rate in the group
        assert row["rank"] == int((rates < row["rate"] - 1e-12).sum()) + 1, crime_type
