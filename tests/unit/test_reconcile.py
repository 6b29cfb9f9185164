"""The reconciliation check: one value per measure, area and period across every stage output.

Stage outputs are written by hand here (a deliberately inconsistent folder and a consistent
one), through the real ``save_stage_outputs``.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from helpers.core import paths
from helpers.ingest.processed import save_stage_outputs
from helpers.report import reconcile as R
from helpers.stages import measures as M

CUR = [f"2021-{m:02d}" for m in range(4, 13)] + ["2022-01", "2022-02", "2022-03"]
PREV = [f"2020-{m:02d}" for m in range(4, 13)] + ["2021-01", "2021-02", "2021-03"]


@pytest.fixture
def root(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").touch()
    monkeypatch.setenv("CSP_SCRUTINY_ROOT", str(tmp_path))
    return tmp_path


def _variance(prev_all: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "measure_id": ["all_crime", "sac", ""],
            "label": ["All crime", "Serious acquisitive crime", "Unclassified"],
            "previous": [prev_all, 1974, 2],
            "current": [24823, 2412, 0],
        }
    )


def _write(area: str, prev_all_table: int, prev_all_other_stage: int, sac_wards: int) -> None:
    save_stage_outputs(
        area, "2022-03", "02_crime_group_variance",
        tables={"variance": _variance(prev_all_table)},
        measures=[M.record("all_crime", area, CUR, 24823, "first sentence", source="force_extract")],
        table_periods={"variance": {"source": "force_extract",
                                    "columns": {"previous": M.period_key(PREV),
                                                "current": M.period_key(CUR)}}},
    )  # fmt: skip
    save_stage_outputs(
        area, "2022-03", "04_ward_hotspots",
        measures=[
            M.record("all_crime", area, PREV, prev_all_other_stage, "change by ward table",
                     source="police_uk"),
            M.record("sac", area, CUR, sac_wards, "totals table", source="police_uk"),
            M.record("all_crime", area, CUR, 109.8034, "rate", statistic="rate_per_1000"),
        ],
    )  # fmt: skip


def test_consistent_outputs_pass(root):
    _write("good", 21074, 21074, 2412)
    n = R.check_report(paths.report_dir("good", "2022-03"))
    assert n == 8  # 4 records + 2 table rows x 2 columns ("Unclassified" has no measure)


def test_inconsistent_outputs_fail_naming_every_place(root):
    _write("bad", 21074, 21072, 2847)
    folder = paths.report_dir("bad", "2022-03")
    found = R.conflicts(R.collect(folder))
    assert set(found) == {
        ("all_crime", "bad", "2020-04..2021-03", "count"),
        ("sac", "bad", "2021-04..2022-03", "count"),
    }
    with pytest.raises(R.ReconciliationError) as exc:
        R.check_report(folder)
    text = str(exc.value)
    assert "2 measures have more than one value" in text
    assert "21074 [force_extract] in 02_crime_group_variance: table variance, row 2" in text
    assert "21072 [police_uk] in 04_ward_hotspots: change by ward table" in text
    assert "2847 [police_uk] in 04_ward_hotspots: totals table" in text
    assert "2412 [force_extract]" in text


def test_periods_and_statistics_are_separate_keys(root):
    recs = [
        M.record("all_crime", "a", CUR, 24823, "x"),
        M.record("all_crime", "a", CUR[1:], 22000, "eleven months"),  # another period
        M.record("all_crime", "a", CUR, 17.8, "y", statistic="pct_change"),
        M.record("all_crime", "b", CUR, 5, "another area"),
        M.record("all_crime", "a", CUR, 17.8000000001, "z", statistic="pct_change"),
    ]
    assert R.conflicts(recs) == {}
    recs.append(M.record("all_crime", "a", CUR, 17.9, "w", statistic="pct_change"))
    assert list(R.conflicts(recs)) == [("all_crime", "a", "2021-04..2022-03", "pct_change")]


def test_missing_described_table_and_bad_json_are_clear_errors(root):
    save_stage_outputs(
        "t", "2022-03", "02_x",
        table_periods={"gone": {"columns": {"current": M.period_key(CUR)}}},
    )  # fmt: skip
    with pytest.raises(R.ReconciliationError, match="table 'gone'"):
        R.check_report(paths.report_dir("t", "2022-03"))
    folder = paths.report_dir("u", "2022-03") / "figures"
    folder.mkdir(parents=True)
    (folder / "02_x.json").write_text("{not json")
    with pytest.raises(R.ReconciliationError, match="cannot be read"):
        R.check_report(folder.parent)


def test_old_style_figures_files_have_nothing_to_check(root):
    save_stage_outputs("old", "2022-03", "02_x", figures={"all_crime_current": 1})
    data = json.loads((paths.report_dir("old", "2022-03") / "figures" / "02_x.json").read_text())
    assert data["measures"] == [] and data["table_periods"] == {}
    assert R.check_report(paths.report_dir("old", "2022-03")) == 0
