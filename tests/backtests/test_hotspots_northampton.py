"""Back-test of the ward counts on real data: Northamptonshire police.uk, September 2019, and
Northampton's 33 real December-2019 ward boundaries (../shared/data; skipped when absent).

Expected counts come from an independent point-in-polygon count written here: the csv module
reads the raw file, shapely ``contains`` tests each raw longitude/latitude against each ward
polygon parsed from the GeoJSON with ``json`` — no geopandas and no helpers code.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, shape
from shapely.prepared import prep

from helpers.stages import hotspots

pytestmark = [pytest.mark.backtest, pytest.mark.slow]

STREET = "policeuk/northamptonshire/2019-09-northamptonshire-street.csv.gz"
WARDS = "boundaries/drkane_geo_lookups/ward19_pre2021_districts/E07000154.geojson"


@pytest.fixture(scope="module")
def real(shared_data):
    for rel in (STREET, WARDS):
        if not (shared_data / rel).exists():
            pytest.skip(f"{rel} is not in {shared_data}")
    return shared_data


def _independent_counts(real):
    features = json.loads((real / WARDS).read_text(encoding="utf-8"))["features"]
    polys = [(f["properties"]["WD19CD"], prep(shape(f["geometry"]))) for f in features]
    crime, asb, rows, outside = Counter(), Counter(), 0, 0
    with gzip.open(real / STREET, "rt", encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            rows += 1
            if not row["Longitude"] or not row["Latitude"]:
                outside += 1
                continue
            p = Point(float(row["Longitude"]), float(row["Latitude"]))
            hits = [code for code, poly in polys if poly.contains(p)]
            if not hits:
                outside += 1
                continue
            assert len(hits) == 1, f"point {p} in more than one ward: {hits}"
            (asb if row["Crime type"] == "Anti-social behaviour" else crime)[hits[0]] += 1
    return [f["properties"]["WD19CD"] for f in features], crime, asb, rows, outside


def _load(real):
    import geopandas as gpd

    wards = gpd.read_file(real / WARDS).rename(
        columns={"WD19CD": "ward_code", "WD19NM": "ward_name"}
    )
    street = pd.read_csv(real / STREET).rename(
        columns={"Crime type": "crime_type", "Month": "month", "Longitude": "longitude",
                 "Latitude": "latitude"}
    )  # fmt: skip
    return wards[["ward_code", "ward_name", "geometry"]], street


def test_ward_counts_equal_independent_point_in_polygon(real, record_property):
    codes, crime, asb, rows, outside = _independent_counts(real)
    wards, street = _load(real)
    assert len(codes) == 33 and len(street) == rows == 6374
    wc = hotspots.count_by_ward(street, wards, x="longitude", y="latitude", crs="EPSG:4326")
    t = wc.table.set_index("ward_code")
    assert sorted(t.index) == sorted(codes)
    for code in codes:
        assert t.loc[code, "all_crime"] == crime[code], code
        assert t.loc[code, "asb"] == asb[code], code
    # nothing dropped: rows outside Northampton's wards are counted as unassigned
    assert wc.unassigned["all_crime"] + wc.unassigned["asb"] == outside
    assert wc.totals["all_crime"] + wc.totals["asb"] == rows
    in_town = sum(crime.values()) + sum(asb.values())
    record_property("northampton_crime_and_asb_in_wards", in_town)
    # PROVENANCE: 2,457 rows have a Northampton LSOA name; ward and LSOA edges differ slightly
    assert abs(in_town - 2457) <= 10


def test_same_counts_in_british_national_grid_and_gi_star_runs(real, record_property):
    import geopandas as gpd

    wards, street = _load(real)
    wards = wards.to_crs("EPSG:27700")
    pts = gpd.GeoSeries(
        gpd.points_from_xy(street["longitude"], street["latitude"]), crs="EPSG:4326"
    )
    pts = pts.to_crs("EPSG:27700")
    street["easting"], street["northing"] = pts.x, pts.y
    bng = hotspots.count_by_ward(street, wards)
    codes, crime, asb, _, _ = _independent_counts(real)
    t = bng.table.set_index("ward_code")
    assert all(t.loc[c, "all_crime"] == crime[c] for c in codes)
    wards_clean, check = hotspots.check_wards(wards)
    assert check.repaired == [] and check.n_wards == 33
    assert len(check.no_population) == 33  # no population attached: rates are not drawn
    res = hotspots.gi_star(wards_clean, bng.table["all_crime"], fdr_alpha=0.05)
    assert len(res) == 33 and res["neighbours"].min() >= 1
    assert np.all(res["q"] >= res["p"] - 1e-9)
    # concentration by hand: top 10% of 33 wards = 4 wards
    vals = np.sort(bng.table["all_crime"].to_numpy())[::-1]
    k, share = hotspots.top_share(vals)
    assert k == 4 and share == pytest.approx(vals[:4].sum() / vals.sum() * 100)
    record_property("all_crime_top4_share_pct", round(share, 1))
    record_property("all_crime_gini", round(hotspots.gini(vals), 3))
    record_property("all_crime_hot_spots", int((res["spot"] == hotspots.HOT).sum()))
