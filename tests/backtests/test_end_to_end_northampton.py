"""Every stage, end to end through the batch runner, on real data: Northampton, police.uk 2019-09.

Only one month of police.uk data exists for Northamptonshire in ../shared/data, with real ward
boundaries and the ONS lookup and no force extract or Home Office table: the realistic case of
an analyst who has only police.uk. The cleaning and hotspot stages must complete and say what is
missing; the variance and violence stages, which compare two periods, must stop with a clear
message (the previous 12 months are not in the data), never report zeros for missing months.
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.backtest, pytest.mark.notebook, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]


def test_police_uk_only_area_runs_end_to_end(shared_data, tmp_path, monkeypatch):
    from helpers.run import batch

    root = tmp_path / "proj"
    (root / "config").mkdir(parents=True)
    (root / "pyproject.toml").write_text("")
    (root / "notebooks").symlink_to(REPO / "notebooks")
    (root / "config" / "northampton.yaml").write_text(f"""
area: northampton
name: Northampton Community Safety Partnership
csp_name: Northampton
force: {{name: Northamptonshire Police, slug: northamptonshire}}
geography: {{ward_code: WD19CD, ward_name: WD19NM, area_filter: {{LAD19CD: [E07000154]}}}}
sources:
  police_uk: {shared_data / "policeuk" / "northamptonshire"}
  wards: {shared_data / "boundaries" / "drkane_geo_lookups" / "ward19_pre2021_districts" / "E07000154.geojson"}
  lsoa_lookup: {shared_data / "lookups" / "ons" / "lsoa11_to_ward19_to_lad19_ew.csv.gz"}
""")
    monkeypatch.setenv("CSP_SCRUTINY_ROOT", str(root))
    items = batch.work_items(batch.resolve_areas(["northampton"]), ["2019-09"], root)
    batch.validate_items(items)
    res = {r.stage: r for r in batch.run_batch(items, pdf=False, progress=False)}
    assert res["01_cleaning"].status == "ok"
    assert res["04_ward_hotspots"].status == "ok"
    # one value per measure across what was published (stage 04's keyed totals)
    assert res["reconcile"].status == "ok", res["reconcile"].error
    for stage in ("02_crime_group_variance", "03_violence"):
        assert res[stage].status == "failed", stage
        assert res[stage].error.startswith("PeriodError: ") and "What to do" in res[stage].error
    assert "outside the data" in res["02_crime_group_variance"].error
    assert "like-for-like" in res["03_violence"].error

    # independent: every police.uk row placed in a Northampton ward by the ONS lookup or by a
    # point inside one of the 33 real ward polygons (shapely, raw lon/lat)
    from shapely.geometry import Point, shape

    with gzip.open(
        shared_data / "lookups/ons/lsoa11_to_ward19_to_lad19_ew.csv.gz", "rt", encoding="utf-8-sig"
    ) as fh:
        lsoas = {r["LSOA11CD"] for r in csv.DictReader(fh) if r["LAD19CD"] == "E07000154"}
    wards = json.loads(
        (
            shared_data / "boundaries/drkane_geo_lookups/ward19_pre2021_districts/E07000154.geojson"
        ).read_text()
    )
    polys = [shape(f["geometry"]) for f in wards["features"]]
    crimes = 0
    with gzip.open(
        shared_data / "policeuk/northamptonshire/2019-09-northamptonshire-street.csv.gz",
        "rt",
        encoding="utf-8-sig",
    ) as fh:
        for r in csv.DictReader(fh):
            inside = bool(r["Longitude"]) and any(
                g.contains(Point(float(r["Longitude"]), float(r["Latitude"]))) for g in polys
            )
            if (inside or r["LSOA code"] in lsoas) and r["Crime type"] != "Anti-social behaviour":
                crimes += 1
    h = json.loads(
        (
            root / "reports" / "northampton" / "2019-09" / "figures" / "04_ward_hotspots.json"
        ).read_text()
    )
    assert h["figures"]["wards"] == 33
    assert h["figures"]["totals"]["all_crime"] == crimes
