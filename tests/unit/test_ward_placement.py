"""One ward placement (issue 15, item 2): the cleaning (Area.place -> geography.points_to_wards)
and stage 04 (hotspots.count_by_ward on points without a ward) put a point on a shared edge, or
on a vertex shared by three wards, in the same ward. The expected ward is worked out here with
shapely: the lowest code among the wards whose closed polygon covers the point."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from helpers.ingest.area import Area, AreaSpec
from helpers.ingest.geography import points_to_wards
from helpers.stages import hotspots

# three wards meeting at (100, 100); file order is deliberately not code order, so "first in
# the file" (the old stage 04 rule) and "lowest code" (the cleaning's) would differ
WARDS = gpd.GeoDataFrame(
    {
        "ward_code": ["E05000003", "E05000002", "E05000001"],
        "ward_name": ["North", "East", "West"],
        "population": [1000, 1000, 1000],
    },
    geometry=[box(0, 100, 200, 200), box(100, 0, 200, 100), box(0, 0, 100, 100)],
    crs="EPSG:27700",
)
POINTS = {
    "edge West|East": (100.0, 50.0),
    "edge North|East": (150.0, 100.0),
    "vertex of three": (100.0, 100.0),
    "inside East": (150.0, 50.0),
    "outer edge of North": (50.0, 200.0),
    "outside": (500.0, 500.0),
}


def _shapely_ward(x: float, y: float):
    covering = [c for c, g in zip(WARDS["ward_code"], WARDS.geometry, strict=True)
                if g.covers(Point(x, y))]  # fmt: skip
    return min(covering) if covering else None


def test_expected_wards_by_shapely():
    exp = {k: _shapely_ward(*xy) for k, xy in POINTS.items()}
    assert exp["edge West|East"] == "E05000001"
    assert exp["edge North|East"] == "E05000002"
    assert exp["vertex of three"] == "E05000001"
    assert exp["outside"] is None
    # these are genuinely on shared boundaries: not inside any one ward's interior
    assert not any(g.contains(Point(100, 100)) for g in WARDS.geometry)


def test_cleaning_and_stage_04_place_edge_and_vertex_points_alike():
    names = list(POINTS)
    xs = [POINTS[n][0] for n in names]
    ys = [POINTS[n][1] for n in names]
    expected = [_shapely_ward(x, y) for x, y in zip(xs, ys, strict=True)]
    # the cleaning's placement
    area = Area(AreaSpec("wards"), frozenset(WARDS["ward_code"]), wards=WARDS, placement=WARDS)
    rows = pd.DataFrame({"easting": xs, "northing": ys, "lsoa_code": [None] * len(xs)})
    placed, in_area, overlaps = area.place(rows, pd.Series(True, index=rows.index))
    cleaning = [None if pd.isna(c) else c for c in placed["ward_code"]]
    assert cleaning == expected
    assert overlaps == 0  # a shared edge is not an overlap
    assert in_area.tolist() == [e is not None for e in expected]
    # stage 04 on raw points (no ward_code column): one burglary per point
    recs = pd.DataFrame({"month": "2022-01", "crime_type": "Burglary", "easting": xs,
                         "northing": ys})  # fmt: skip
    counts = hotspots.count_by_ward(recs, WARDS).table.set_index("ward_code")["burglary"]
    want = pd.Series([e for e in expected if e]).value_counts()
    assert counts.to_dict() == want.reindex(counts.index).fillna(0).astype(int).to_dict()
    # and point by point, the stage's placement equals the cleaning's
    stage = hotspots.place_points(recs, WARDS)
    assert [None if pd.isna(c) else c for c in stage["ward_code"]] == cleaning
    # stage 04 reading the cleaning's ward gives the same counts as placing the points itself
    from_clean = hotspots.count_by_ward(
        recs.assign(ward_code=placed["ward_code"].to_numpy()), WARDS
    ).table.set_index("ward_code")["burglary"]
    assert from_clean.to_dict() == counts.to_dict()


def test_points_inside_two_overlapping_wards_are_counted_as_overlaps():
    w = gpd.GeoDataFrame(
        {"ward_code": ["B", "A"], "ward_name": ["b", "a"]},
        geometry=[box(0, 0, 100, 100), box(50, 0, 150, 100)],
        crs="EPSG:27700",
    )
    codes, _, overlaps = points_to_wards(pd.Series([75.0, 20.0]), pd.Series([50.0, 50.0]), w)
    assert codes.tolist() == ["A", "B"] and overlaps == 1  # lowest code wins inside an overlap
    codes, _, overlaps = points_to_wards(pd.Series([np.nan]), pd.Series([1.0]), w)
    assert codes.isna().all() and overlaps == 0


@pytest.mark.parametrize("name", ["edge West|East", "vertex of three"])
def test_old_first_in_file_rule_would_have_differed(name):
    """Why this matters: the rule removed from stage 04 took the first ward in file order."""
    x, y = POINTS[name]
    first_in_file = next(c for c, g in zip(WARDS["ward_code"], WARDS.geometry, strict=True)
                         if g.intersects(Point(x, y)))  # fmt: skip
    assert first_in_file != _shapely_ward(x, y)


def test_points_to_wards_equals_brute_force_with_overlaps_and_repeats():
    """Random points (many repeated, many on edges and vertices, some NaN) in wards of which two
    overlap: the ward is the lowest code covering the point, worked out point by point with
    shapely here; the overlap count is, per row, the wards whose interior holds it beyond one."""
    from shapely.geometry import Polygon

    wards = gpd.GeoDataFrame(
        {
            "ward_code": ["E05000009", "E05000004", "E05000007", "E05000001"],
            "ward_name": ["Nine", "Four", "Seven", "One"],
        },
        geometry=[
            box(0, 0, 100, 100),
            box(100, 0, 200, 100),
            box(50, 50, 150, 150),  # overlaps both
            Polygon([(0, 100), (50, 150), (0, 200)]),  # a triangle on the first's top edge
        ],
        crs="EPSG:27700",
    )
    rng = np.random.default_rng(17)
    grid = rng.integers(-2, 42, size=(600, 2)).astype(float) * 5.0  # on a 5 m grid: edges hit
    xs, ys = grid[:, 0], grid[:, 1]
    xs[::37] = np.nan
    pts = [Point(x, y) for x, y in zip(xs, ys, strict=True)]
    exp_code, exp_overlap = [], 0
    for p, x in zip(pts, xs, strict=True):
        if np.isnan(x):
            exp_code.append(None)
            continue
        cov = [c for c, g in zip(wards["ward_code"], wards.geometry, strict=True) if g.covers(p)]
        exp_code.append(min(cov) if cov else None)
        if len(cov) > 1:
            inside = sum(g.contains(p) for g in wards.geometry)
            exp_overlap += max(inside - 1, 0)
    names = dict(zip(wards["ward_code"], wards["ward_name"], strict=True))
    codes, wnames, overlap = points_to_wards(pd.Series(xs), pd.Series(ys), wards)
    assert [None if pd.isna(c) else c for c in codes] == exp_code
    assert [None if pd.isna(n) else n for n in wnames] == [names.get(c) for c in exp_code]
    assert overlap == exp_overlap > 0
    assert str(codes.dtype) == "string" and str(wnames.dtype) == "string"
