"""The cleaning notebook executed by papermill on the embedded sample, outputs asserted."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import papermill as pm
import pytest

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


def test_cleaning_notebook_writes_processed_data_ledger_and_manifest(repo: Path, tmp_path):
    from helpers.core import paths
    from helpers.sample import wexley as sample

    sample.ensure_sample()
    raw = paths.raw_dir() / "wexley"
    raw_hashes = {p: p.stat().st_mtime_ns for p in raw.rglob("*") if p.is_file()}
    out_nb = tmp_path / "01_cleaning.ipynb"
    pm.execute_notebook(
        str(repo / "notebooks/01_cleaning.ipynb"),
        str(out_nb),
        parameters={"area": "wexley", "period": "2022-03"},
        kernel_name="python3",
        cwd=str(repo / "notebooks"),
        progress_bar=False,
    )
    folder = paths.processed_dir("wexley", "2022-03")
    for name in (
        "street",
        "outcomes",
        "extract",
        "csp_counts",
        "csp_population",
        "msg",
        "ledger",
        "wards",
    ):
        assert (folder / f"{name}.parquet").stat().st_size > 0, name
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["period"] == "2022-03" and manifest["parameters"]["synthetic"] is True
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    ledger = pd.read_parquet(folder / "ledger.parquet")
    for (_src, _tbl), g in ledger.groupby(["source", "table"]):
        read = g.loc[g.status == "read", "rows"].sum()
        assert read == g.loc[g.status.isin(["kept", "rejected"]), "rows"].sum()
    street = pd.read_parquet(folder / "street.parquet")
    assert street["month"].max() == "2022-03" and street["month"].min() == "2018-04"
    assert len(street) == ledger.query("table == 'street' and status == 'kept'")["rows"].sum()
    figs = json.loads(
        (paths.report_dir("wexley", "2022-03") / "figures" / "01_cleaning.json").read_text()
    )
    assert figs["figures"]["balanced"] is True and figs["figures"]["street_kept"] == len(street)
    # the executed notebook records its parameters (papermill's provenance) and no errors
    nb = json.loads(out_nb.read_text())
    assert nb["metadata"]["papermill"]["parameters"] == {"area": "wexley", "period": "2022-03"}
    assert not any(
        o.get("output_type") == "error" for c in nb["cells"] for o in c.get("outputs", [])
    )
    # raw data untouched
    assert {p: p.stat().st_mtime_ns for p in raw.rglob("*") if p.is_file()} == raw_hashes


def test_bad_period_parameter_stops_with_a_clear_message(repo: Path, tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="not a month in the form YYYY-MM"):
        pm.execute_notebook(
            str(repo / "notebooks/01_cleaning.ipynb"),
            str(tmp_path / "x.ipynb"),
            parameters={"area": "wexley", "period": "March 2022"},
            kernel_name="python3",
            cwd=str(repo / "notebooks"),
            progress_bar=False,
        )


def test_notebook_refuses_what_batch_validation_refuses(repo: Path, tmp_path):
    import re

    from helpers.core.errors import ParameterError
    from helpers.run.parameters import validate_parameters

    nb = repo / "notebooks/01_cleaning.ipynb"
    for bad in ({"period": "2022-13"}, {"area": "nowhere"}):
        params = {"area": "wexley", "period": "2022-03", **bad}
        with pytest.raises(ParameterError) as batch:
            validate_parameters(nb, params)
        with pytest.raises(pm.PapermillExecutionError, match=re.escape(batch.value.what)):
            pm.execute_notebook(str(nb), str(tmp_path / "x.ipynb"), parameters=params,
                                kernel_name="python3", cwd=str(repo / "notebooks"),
                                progress_bar=False)  # fmt: skip
