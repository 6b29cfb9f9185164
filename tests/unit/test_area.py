"""The area rule (helpers.ingest.area) on small hand-built wards and lookups.

Four 1 km square wards in a row, in two districts: D1 holds W1 and W2, D2 holds W3 and W4. The
boundary file codes the fourth ward W4N (a boundary revision); the lookup still says W4 with the
same name, as the real Northumberland wards do against the 2019 lookup.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from helpers.core.config import AreaConfig
from helpers.core.errors import ConfigError, GeographyError
from helpers.ingest.area import CSP_AREA, FORCE_AREA, Lookup, area_spec, resolve_area

X0, Y0 = 400_000.0, 500_000.0
NAMES = {"W1": "Alpha", "W2": "Bravo", "W3": "Charlie", "W4N": "Delta"}


def wards() -> gpd.GeoDataFrame:
    codes = list(NAMES)
    return gpd.GeoDataFrame(
        {"ward_code": codes, "ward_name": [NAMES[c] for c in codes]},
        geometry=[box(X0 + i * 1000, Y0, X0 + (i + 1) * 1000, Y0 + 1000) for i in range(4)],
        crs="EPSG:27700",
    )


def lookup() -> Lookup:
    raw = pd.DataFrame(
        {
            "LSOA11CD": ["L1", "L2", "L3", "L4", "L9"],
            "WD19CD": ["W1", "W2", "W3", "W4", "W9"],
            "WD19NM": ["Alpha", "Bravo", "Charlie", "Delta", "Elsewhere"],
            "LAD19CD": ["D1", "D1", "D2", "D2", "D9"],
        }
    )
    return Lookup("lookup.csv", raw, "LSOA11CD", "WD19CD", "WD19NM", "LAD19CD")


def cfg(**geo) -> AreaConfig:
    return AreaConfig("t", "T", "T", "Test Police", "test", {}, geography=geo)


def rows(points: list[tuple[float | None, float | None, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "easting": [np.nan if p[0] is None else p[0] for p in points],
            "northing": [np.nan if p[1] is None else p[1] for p in points],
            "lsoa_code": pd.array([p[2] for p in points], dtype="string"),
        }
    )


def test_filter_keeps_only_the_districts_wards_and_says_why_the_rest_went():
    a = resolve_area(cfg(area_filter={"LAD19CD": ["D1"]}), wards(), lookup(), "wards.gpkg")
    assert a.kind == CSP_AREA
    assert sorted(a.ward_codes) == ["W1", "W2"]
    assert a.wards["ward_code"].tolist() == ["W1", "W2"]
    assert a.dropped_wards["ward_code"].tolist() == ["W3", "W4N"]
    assert a.dropped_wards["why"].str.startswith("outside the area").all()
    assert "2 of the 4 wards" in a.notes[0] and "2 were left out" in a.notes[0]
    assert sorted(a.lsoa_codes) == ["L1", "L2"]


def test_a_revised_ward_code_is_matched_by_name_within_the_district_and_reported():
    a = resolve_area(cfg(area_filter={"LAD19CD": ["D2"]}), wards(), lookup(), "wards.gpkg")
    assert sorted(a.ward_codes) == ["W3", "W4N"]
    assert a.code_matches == [("W4", "W4N", "Delta")]
    assert any("W4" in n and "W4N" in n and "matched by name" in n for n in a.notes)
    lk = a.lookup.set_index("lsoa_code")
    assert lk.loc["L4", "lookup_ward_code"] == "W4N" and bool(lk.loc["L4", "in_area"])


def test_rows_are_placed_by_point_first_so_areas_of_a_force_do_not_overlap():
    d1 = resolve_area(cfg(area_filter={"LAD19CD": ["D1"]}), wards(), lookup(), "w")
    d2 = resolve_area(cfg(area_filter={"LAD19CD": ["D2"]}), wards(), lookup(), "w")
    df = rows(
        [
            (X0 + 500, Y0 + 500, "L1"),  # in W1, LSOA in D1
            (X0 + 2500, Y0 + 500, "L1"),  # point in W3 (D2) although the LSOA is D1's
            (X0 - 5000, Y0 + 500, "L2"),  # outside every ward: the LSOA decides (W2)
            (None, None, "L4"),  # no point: LSOA L4 -> W4 -> the boundary's W4N
            (None, None, "L9"),  # another force's LSOA
            (None, None, None),  # nothing to place it by
        ]
    )
    have = df["easting"].notna()
    p1, in1, _ = d1.place(df, have)
    p2, in2, _ = d2.place(df, have)
    assert in1.tolist() == [True, False, True, False, False, False]
    assert in2.tolist() == [False, True, False, True, False, False]
    assert p1["ward_code"].tolist()[:4] == ["W1", "W3", "W2", "W4N"]
    assert p1["ward_method"].tolist()[:4] == [
        "point-in-polygon",
        "point-in-polygon",
        "lsoa-lookup",
        "lsoa-lookup",
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.floats(X0 - 2000, X0 + 6000)),
            st.floats(Y0 - 500, Y0 + 1500),
            st.one_of(st.none(), st.sampled_from(["L1", "L2", "L3", "L4", "L9", "LX"])),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_the_districts_partition_the_force(points):
    """Every row is in at most one district, and in one exactly when the force area has it."""
    pts = [(x, None if x is None else y, lsoa) for x, y, lsoa in points]
    df = rows(pts)
    have = df["easting"].notna()
    force = resolve_area(cfg(), wards(), lookup(), "w")
    d1 = resolve_area(cfg(area_filter={"LAD19CD": ["D1"]}), wards(), lookup(), "w")
    d2 = resolve_area(cfg(area_filter={"LAD19CD": ["D2"]}), wards(), lookup(), "w")
    _, f, _ = force.place(df, have)
    _, a, _ = d1.place(df, have)
    _, b, _ = d2.place(df, have)
    assert not (a & b).any()
    assert ((a | b) == f).all()


def test_no_restriction_is_the_whole_force_area():
    a = resolve_area(cfg(), wards(), lookup(), "w")
    assert a.kind == FORCE_AREA and cfg().area_kind == FORCE_AREA
    assert cfg(area_wards=["W1"]).area_kind == CSP_AREA
    assert len(a.wards) == 4 and a.dropped_wards.empty
    assert sorted(a.lsoa_codes) == ["L1", "L2", "L3", "L4"]  # L9 is another force's


def test_area_wards_and_area_boundary(tmp_path):
    a = resolve_area(cfg(area_wards=["W2", "W3"]), wards(), lookup(), "w")
    assert sorted(a.ward_codes) == ["W2", "W3"] and sorted(a.lsoa_codes) == ["L2", "L3"]
    # a polygon over all of W1 and 40% of W2: only W1 is mostly inside
    poly = gpd.GeoDataFrame(
        geometry=[box(X0 - 10, Y0 - 10, X0 + 1400, Y0 + 1010)], crs="EPSG:27700"
    )
    path = tmp_path / "area.gpkg"
    poly.to_file(path)
    b = resolve_area(cfg(area_boundary=str(path)), wards(), lookup(), "w")
    assert sorted(b.ward_codes) == ["W1"]
    assert "mostly outside" in b.dropped_wards.set_index("ward_code").loc["W2", "why"]


def test_population_is_cut_to_the_area_and_gaps_are_named():
    a = resolve_area(cfg(area_filter={"LAD19CD": ["D1"]}), wards(), lookup(), "w")
    pop = pd.DataFrame(
        {"ward_code": ["W1", "W3", "W9", "W1"], "population": ["1,200", "900", "5", "7"]}
    )
    kept, reason = a.cut_population(pop)
    assert kept.to_dict("list") == {"ward_code": ["W1"], "population": [1200]}
    assert reason.tolist() == [
        "",
        "outside the area",
        "ward not in the ward boundary file (outside the area)",
        "repeated ward code",
    ]
    w = a.attach_population(a.wards, kept, "pop.xlsx")
    assert w["population"].tolist()[0] == 1200 and pd.isna(w["population"].tolist()[1])
    assert any("Bravo" in x and "pop.xlsx" in x and "no usable population" in x for x in a.warnings)


# --------------------------------------------------------------------------- errors


def test_a_filter_that_matches_nothing_names_the_file_column_and_examples():
    with pytest.raises(ConfigError) as e:
        resolve_area(cfg(area_filter={"LAD19CD": ["D7"]}), wards(), lookup(), "w")
    msg = str(e.value)
    assert "lookup.csv" in msg and "LAD19CD" in msg and "D1, D2" in msg and "What to do" in msg
    with pytest.raises(ConfigError, match="LAD19C.*did you mean 'LAD19CD'"):
        resolve_area(cfg(area_filter={"LAD19C": ["D1"]}), wards(), lookup(), "w")


def test_boundary_codes_that_match_none_of_the_lookups_stop_with_examples():
    other = wards().assign(ward_code=["X1", "X2", "X3", "X4"], ward_name=["P", "Q", "R", "S"])
    with pytest.raises(GeographyError) as e:
        resolve_area(cfg(area_filter={"LAD19CD": ["D1"]}), other, lookup(), "other.geojson")
    msg = str(e.value)
    assert "other.geojson" in msg and "X1" in msg and "WD19CD" in msg and "W1" in msg


def test_config_mistakes_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="one of them"):
        area_spec(cfg(area_filter={"LAD19CD": ["D1"]}, area_wards=["W1"]))
    with pytest.raises(ConfigError, match="W7"):
        resolve_area(cfg(area_wards=["W1", "W7"]), wards(), lookup(), "w")
    with pytest.raises(ConfigError, match="lsoa_lookup"):
        resolve_area(cfg(area_filter={"LAD19CD": ["D1"]}), wards(), None, "w")
    with pytest.raises(ConfigError, match="does not exist"):
        area_spec(cfg(area_boundary=str(tmp_path / "nope.geojson")))


# --------------------------------------------------------------------------- through the cleaning


def test_cleaning_cuts_every_input_to_the_area(tmp_path):
    """A force-wide boundary file, the lookup and population, with area_filter on district D1."""
    import csv

    from policeuk_support import ll, street_row

    from helpers.core.config import load_area_config
    from helpers.ingest.cleaning import run_cleaning
    from helpers.ingest.loading import OUTCOME_COLUMNS, STREET_COLUMNS

    raw = tmp_path / "raw"
    (raw / "police" / "2022-01").mkdir(parents=True)
    wards().to_file(raw / "wards.gpkg")
    lookup().raw.to_csv(raw / "lookup.csv", index=False)
    (raw / "pop.csv").write_text("ward_code,population\nW1,100\nW2,200\nW3,300\nW4,400\n")
    street = [
        street_row("a" * 64, "2022-01", X0 + 500, Y0 + 500, "L1"),  # W1: in
        street_row("b" * 64, "2022-01", X0 + 2500, Y0 + 500, "L1"),  # W3 by point: out
        street_row("c" * 64, "2022-01", None, None, "L2"),  # W2 by lookup: in
        street_row("d" * 64, "2022-01", None, None, "L4"),  # W4N by lookup: out
    ]
    with (raw / "police/2022-01/2022-01-test-street.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows([STREET_COLUMNS, *street])
    lon1, lat1 = ll(X0 + 500, Y0 + 500)
    lon3, lat3 = ll(X0 + 2500, Y0 + 500)
    outcomes = [
        ["a" * 64, "2022-01", "T", "T", lon1, lat1, "x", "L1", "L1", "Offender given a caution"],
        ["b" * 64, "2022-01", "T", "T", lon3, lat3, "x", "L1", "L1", "Offender given a caution"],
    ]
    with (raw / "police/2022-01/2022-01-test-outcomes.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows([OUTCOME_COLUMNS, *outcomes])
    cfg = tmp_path / "t.yaml"
    cfg.write_text(
        "area: t\nname: District One\ncsp_name: D1\nforce: {name: Test Police, slug: test}\n"
        "geography: {area_filter: {LAD19CD: [D1]}}\n"
        f"sources:\n  police_uk: {raw / 'police'}\n  wards: {raw / 'wards.gpkg'}\n"
        f"  lsoa_lookup: {raw / 'lookup.csv'}\n  ward_population: {raw / 'pop.csv'}\n"
    )
    res = run_cleaning(
        load_area_config(str(cfg)), "2022-01", out_dir=tmp_path / "out", check_future=False
    )
    assert res.tables["street"]["crime_id"].str[0].tolist() == ["a", "c"]
    assert res.tables["outcomes"]["crime_id"].str[0].tolist() == ["a"]
    rej = res.ledger.rejections()
    by = {(r.table, r.reason): r.rows for r in rej.itertuples()}
    assert by[("street", "outside the area")] == 1  # b
    assert by[("street", "missing or zeroed coordinates and LSOA not in the area")] == 1  # d
    assert by[("outcomes", "outside the area")] == 1
    assert by[("wards", "outside the area (the ward lookup places it in another area)")] == 2
    assert by[("lsoa_lookup", "outside the area")] == 3
    # W3 is another district's; W4 is the lookup's old code for W4N, also another district's
    assert by[("ward_population", "outside the area")] == 2
    m = res.manifest
    assert m["area_kind"] == CSP_AREA and m["area_definition"]["wards"] == 2
    w = res.tables.get("wards")
    assert w is None  # the ward layer is written beside the tables, not among them
    out = gpd.read_parquet(tmp_path / "out" / "wards.parquet")
    assert out[["ward_code", "population"]].values.tolist() == [["W1", 100], ["W2", 200]]
    res.ledger.check()


def test_with_neither_boundaries_nor_lookup_every_row_is_in_the_area():
    a = resolve_area(cfg(), None, None)
    df = rows([(X0, Y0, "L1"), (None, None, None)])
    _, inside, _ = a.place(df, df["easting"].notna())
    assert a.kind == FORCE_AREA and inside.all() and a.wards is None
