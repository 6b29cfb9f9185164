"""Stage 03 on an extract without the domestic flag and location type: clear notes, other sections run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import papermill as pm
import pytest
import yaml

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


def test_missing_flag_and_location_columns_are_named_and_other_sections_run(
    repo: Path, tmp_path, monkeypatch
):
    from helpers.run.batch import scratch_project
    from helpers.sample import wexley as sample

    sample.ensure_sample()
    root = scratch_project(tmp_path / "proj", ["nodv"])
    cfg_path = root / "config" / "nodv.yaml"
    cfg = yaml.safe_load(cfg_path.read_text())
    for col in ("domestic_flag", "location_type"):  # this force's export lacks both columns
        cfg["sources"]["force_extract"]["columns"].pop(col)
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    monkeypatch.setenv("CSP_SCRUTINY_ROOT", str(root))  # inherited by the papermill kernels
    params = {"area": "nodv", "period": "2022-03"}
    for nb in ("01_cleaning", "03_violence"):
        pm.execute_notebook(
            str(repo / "notebooks" / f"{nb}.ipynb"),
            str(tmp_path / f"{nb}.ipynb"),
            parameters=params,
            kernel_name="python3",
            cwd=str(repo / "notebooks"),
            progress_bar=False,
        )
    out = json.loads((tmp_path / "03_violence.ipynb").read_text())
    text = "".join(
        "".join(o.get("data", {}).get("text/markdown", ""))
        for c in out["cells"]
        for o in c.get("outputs", [])
    )
    assert "no usable 'domestic_flag' column" in text and "no usable 'location_type' column" in text
    assert "map that column in the area config" in text
    figs = json.loads(
        (root / "reports" / "nodv" / "2022-03" / "figures" / "03_violence.json").read_text()
    )
    # the sections that need only offence codes still ran, with figures
    assert figs["figures"]["violence_current"] > 0 and sum(
        figs["figures"]["subgroup_shares"].values()
    ) == pytest.approx(100, abs=0.5)
    assert figs["figures"].get("domestic_share") is None
    tables = {
        p.name
        for p in (root / "reports" / "nodv" / "2022-03" / "tables").glob("03_violence__*.csv")
    }
    assert "03_violence__subgroups.csv" in tables
    assert not tables & {
        "03_violence__domestic.csv",
        "03_violence__location_shares.csv",
        "03_violence__town_centre_heatmap.csv",
    }
    assert os.environ["CSP_SCRUTINY_ROOT"] == str(root)
