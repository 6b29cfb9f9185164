"""Back-tests of the cleaning stage on real police.uk data in ../shared/data (skipped when absent).

Expected values are computed here independently with the csv module, never by the code under test.
"""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from pathlib import Path

import pytest
from shapely.geometry import Point, shape

from helpers.core.config import load_area_config
from helpers.ingest.cleaning import run_cleaning

pytestmark = [pytest.mark.backtest, pytest.mark.slow]


def _config(tmp_path: Path, text: str):
    p = tmp_path / "area.yaml"
    p.write_text(text)
    return load_area_config(str(p))


def test_northumbria_33_months_ledger_counts_and_gap(shared_data, tmp_path, record_property):
    folder = shared_data / "policeuk" / "northumbria"
    cfg = _config(
        tmp_path,
        f"area: northumbria\nname: Northumbria\ncsp_name: Northumbria\n"
        f"force: {{name: Northumbria Police, slug: northumbria}}\nsources:\n  police_uk: {folder}\n",
    )
    res = run_cleaning(cfg, "2023-02", out_dir=tmp_path / "out")
    # independent count of every street row by (month, crime type), and of duplicate crime IDs
    expected: Counter = Counter()
    rows = 0
    files = sorted(folder.glob("*-street.csv.gz"))
    first_file: dict[str, str] = {}
    cross_file_dups = 0
    for f in files:  # file names sort by month
        with gzip.open(f, "rt", encoding="utf-8-sig", newline="") as fh:
            for r in csv.DictReader(fh):
                rows += 1
                cid = r["Crime ID"]
                if cid and first_file.setdefault(cid, f.name) != f.name:
                    cross_file_dups += 1  # published again in a later month: not a new crime
                    continue
                expected[(r["Month"], r["Crime type"])] += 1
    assert len(files) == 33
    s = res.ledger.summary().set_index("table").loc["street"]
    assert s["files"] == 33 and s["read"] == rows == 524_070
    assert s["read"] == s["kept"] + s["rejected"]
    got = res.tables["street"].groupby(["month", "crime_type"]).size().to_dict()
    rejected = res.ledger.rejections()
    # With no area boundary every row is in the force area; only duplicates could be rejected.
    assert set(rejected.loc[rejected.table == "street", "reason"]) <= {
        "duplicate Crime ID (already in an earlier monthly file)"
    }
    assert s["rejected"] == cross_file_dups
    assert got == dict(expected)
    assert res.months_missing == ["2022-01"]
    assert any("2022-01" in w for w in res.warnings)
    o = res.ledger.summary().set_index("table").loc["outcomes"]
    assert o["read"] == o["kept"] + o["rejected"]
    record_property("northumbria_ledger", res.ledger.summary().to_dict(orient="records"))


def test_northampton_wards_by_lookup_and_by_point(shared_data, tmp_path, record_property):
    street = (
        shared_data / "policeuk" / "northamptonshire" / "2019-09-northamptonshire-street.csv.gz"
    )
    wards = (
        shared_data
        / "boundaries"
        / "drkane_geo_lookups"
        / "ward19_pre2021_districts"
        / "E07000154.geojson"
    )
    lookup = shared_data / "lookups" / "ons" / "lsoa11_to_ward19_to_lad19_ew.csv.gz"
    base = (
        f"area: northampton\nname: Northampton\ncsp_name: Northampton\n"
        f"force: {{name: Northamptonshire Police, slug: northamptonshire}}\n"
        f"geography: {{ward_code: WD19CD, ward_name: WD19NM, area_filter: {{LAD19CD: [E07000154]}}}}\n"
        f"sources:\n  police_uk: {street}\n"
    )
    by_lookup = run_cleaning(
        _config(tmp_path, base + f"  lsoa_lookup: {lookup}\n"), "2019-09", out_dir=tmp_path / "l"
    )
    # By point alone: the boundary file holds only Northampton's wards, so it is the area (an
    # area_filter needs the lookup it filters, and without one is a ConfigError).
    by_point = run_cleaning(
        _config(
            tmp_path,
            base.replace(", area_filter: {LAD19CD: [E07000154]}", "") + f"  wards: {wards}\n",
        ),
        "2019-09",
        out_dir=tmp_path / "p",
    )

    # Independent: the lookup's Northampton LSOAs, and a shapely point-in-polygon on raw lon/lat.
    with gzip.open(lookup, "rt", encoding="utf-8-sig") as fh:
        lsoa_ward = {
            r["LSOA11CD"]: r["WD19CD"] for r in csv.DictReader(fh) if r["LAD19CD"] == "E07000154"
        }
    import json

    polys = [
        (f["properties"]["WD19CD"], shape(f["geometry"]))
        for f in json.loads(wards.read_text())["features"]
    ]
    assert len(polys) == 33 and len(set(lsoa_ward.values())) == 33
    exp_lookup: Counter = Counter()
    exp_point: Counter = Counter()
    with gzip.open(street, "rt", encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            if r["LSOA code"] in lsoa_ward:
                exp_lookup[lsoa_ward[r["LSOA code"]]] += 1
            if r["Longitude"] and r["Latitude"]:
                pt = Point(float(r["Longitude"]), float(r["Latitude"]))
                hit = [c for c, g in polys if g.contains(pt)]
                if hit:
                    exp_point[hit[0]] += 1
    assert by_lookup.tables["street"].groupby("ward_code").size().to_dict() == dict(exp_lookup)
    assert sum(exp_lookup.values()) == 2457  # PROVENANCE.md: Northampton LSOA-name prefix count
    got_point = (
        by_point.tables["street"]
        .query("ward_method == 'point-in-polygon'")
        .groupby("ward_code")
        .size()
    )
    assert got_point.to_dict() == dict(exp_point)
    for res in (by_lookup, by_point):
        s = res.ledger.summary().set_index("table").loc["street"]
        assert s["read"] == 6374 and s["read"] == s["kept"] + s["rejected"]

    # Agreement between the two methods for crimes placed by both.
    both = by_point.tables["street"][["crime_id", "location", "ward_code", "source_row"]].merge(
        by_lookup.tables["street"][["source_row", "ward_code"]],
        on="source_row",
        suffixes=("_point", "_lookup"),
    )
    agree = (both["ward_code_point"] == both["ward_code_lookup"]).mean()
    record_property("ward_agreement_rate", round(float(agree) * 100, 1))
    print(
        f"\nNorthampton 2019-09: {len(both)} crimes placed by both methods; same ward {agree:.1%}"
    )
    assert 0.80 < agree < 1.0  # best-fit LSOAs straddle wards; snapped points sit on boundaries
