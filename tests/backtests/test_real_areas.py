"""Back-test the whole pipeline on real areas: the six Northumbria CSPs and the force as a whole.

One police.uk folder (Northumbria, 2020-05 to 2023-02, no 2022-01), the force-wide ward boundary
file (177 December-2022 wards), the national ONS LSOA → ward → district lookup (2019 wards) and the
mid-2020 ward population workbook as published. Each CSP is defined as the README says, by
``geography.area_filter: {LAD19CD: [<district>]}``; the force by no restriction at all. The configs
are written into a temporary project; nothing from ../shared is committed.

Every area runs through the batch runner for period 2023-02, whose comparison year (March 2021 to
February 2022) lacks January 2022. Cleaning and stages 02 and 03 run for all seven; Newcastle upon
Tyne also runs stage 04 and every PDF and its panel pack is read as a councillor would. (Stage 04
at force scale waits for the binned density estimate: ``scipy.stats.gaussian_kde`` is points x
cells.)

The expected figures are computed here, independently, from the raw files: the csv module for
the police.uk rows, pyproj for the coordinates, shapely for point-in-polygon against the ward
polygons, the district polygons for which district each ward lies in, and the lookup for
LSOA → district. The rule they implement is the one the README states: a crime belongs to the
ward whose polygon holds its point, or failing that to its LSOA's ward; an area is its wards.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from northumbria_areas import ASB, CSPS, FORCE, PERIOD  # noqa: F401 (bench.py reads them here)

pytestmark = [pytest.mark.backtest, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
CURRENT = [f"2022-{m:02d}" for m in range(3, 13)] + ["2023-01", "2023-02"]
PREVIOUS = [f"2021-{m:02d}" for m in range(3, 13)] + ["2022-01", "2022-02"]
# like-for-like: the calendar months both years hold (January is missing from the previous year)
LFL_CURRENT = [m for m in CURRENT if m != "2023-01"]
LFL_PREVIOUS = [m for m in PREVIOUS if m != "2022-01"]
FULL = "newcastle"  # the CSP that also runs stage 04, the PDFs and the panel pack
TIMINGS: dict[str, float] = {}


def _paths(shared: Path) -> dict[str, Path]:
    return {
        "police": shared / "policeuk" / "northumbria",
        "wards": shared / "crimemappingdata" / "northumbria_wards_2022.gpkg",
        "districts": shared / "crimemappingdata" / "northumbria_districts_2022.geojson",
        "population": shared / "crimemappingdata" / "northumbria_ward_pop_mid2020.xlsx",
        "lookup": shared / "lookups" / "ons" / "lsoa11_to_ward19_to_lad19_ew.csv.gz",
    }


# --------------------------------------------------------------------------- independent counts


@pytest.fixture(scope="module")
def expected(shared_data):
    """Per district (and the force): ward set, and crime counts by ward, month and crime type."""
    import geopandas as gpd
    from pyproj import Transformer
    from shapely import STRtree, points
    from shapely.geometry import shape

    p = _paths(shared_data)
    wards = gpd.read_file(p["wards"])  # EPSG:27700; read only, placed with shapely below
    codes = wards["ward_code"].tolist()
    names = dict(zip(wards["ward_code"], wards["ward_name"], strict=True))
    polys = list(wards.geometry)
    to_lonlat = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    districts = json.loads(p["districts"].read_text())
    dpolys = [(f["properties"]["objectid"], shape(f["geometry"])) for f in districts["features"]]
    ward_district = {}
    for code, poly in zip(codes, polys, strict=True):
        rp = poly.representative_point()
        lon, lat = to_lonlat.transform(rp.x, rp.y)
        (hit,) = [d for d, g in dpolys if g.contains(points(lon, lat))]
        ward_district[code] = hit
    # the lookup: LSOA -> (2019 ward, district); a 2019 ward the boundary file codes differently
    # (Northumberland's 2020-21 revisions) is the boundary ward of the same name in that district
    by_name = {(ward_district[c], names[c].lower()): c for c in codes}
    lsoa_ward, lsoa_district = {}, {}
    with gzip.open(p["lookup"], "rt", encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            lsoa_district[r["LSOA11CD"]] = r["LAD19CD"]
            w = r["WD19CD"]
            if w not in names:
                w = by_name.get((r["LAD19CD"], r["WD19NM"].lower()))
            if w is not None:
                lsoa_ward[r["LSOA11CD"]] = w
    tree = STRtree(polys)
    seen_ids: dict[str, str] = {}
    counts: dict[str, Counter] = defaultdict(Counter)  # area -> (ward, month, type) -> n
    files = sorted(p["police"].glob("*-northumbria-street.csv.gz"))
    for f in files:
        with gzip.open(f, "rt", encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        lon = np.array([float(r["Longitude"]) if r["Longitude"] else np.nan for r in rows])
        lat = np.array([float(r["Latitude"]) if r["Latitude"] else np.nan for r in rows])
        ok = ~np.isnan(lon) & ~np.isnan(lat) & ~((lon == 0) & (lat == 0))
        x, y = to_bng.transform(np.where(ok, lon, 0.0), np.where(ok, lat, 0.0))
        ward_of = [None] * len(rows)
        pi, wi = tree.query(points(x[ok], y[ok]), predicate="within")
        idx = np.flatnonzero(ok)
        for i, w in sorted(zip(idx[pi], wi, strict=True), key=lambda t: (t[0], codes[t[1]])):
            if ward_of[i] is None:  # a point on two wards' shared edge: first by code
                ward_of[i] = codes[w]
        for i, r in enumerate(rows):
            cid = r["Crime ID"].strip()
            if r["Crime type"] != ASB and not cid:
                continue  # a crime row must carry its ID
            if cid and seen_ids.setdefault(cid, f.name) != f.name:
                continue  # published again in a later month's file
            w = ward_of[i] or lsoa_ward.get(r["LSOA code"].strip())
            if w is None:
                continue
            key = (w, r["Month"], r["Crime type"])
            counts[ward_district[w]][key] += 1
            counts[FORCE][key] += 1
    out = {}
    for area, (name, lad) in CSPS.items():
        out[area] = {
            "wards": {c for c in codes if ward_district[c] == lad},
            "counts": counts[lad],
            "name": name,
        }
    out[FORCE] = {"wards": set(codes), "counts": counts[FORCE], "name": "Northumbria"}
    # cross-check the two placements of a ward in a district: polygon and lookup agree
    for lsoa, w in lsoa_ward.items():
        assert ward_district[w] == lsoa_district[lsoa], (lsoa, w)
    out["_ward_names"] = names
    out["_ward_district"] = ward_district
    return out


def _total(counts: Counter, months, crime=True, ctype=None, ward=None) -> int:
    ms = set(months)
    return sum(
        n
        for (w, m, t), n in counts.items()
        if m in ms
        and ((t != ASB) if crime else (t == ASB))
        and (ctype is None or t in ctype)
        and (ward is None or w == ward)
    )


# --------------------------------------------------------------------------- the runs


def _config(shared: Path, area: str) -> str:
    p = _paths(shared)
    if area == FORCE:
        head = "name: Northumbria Police force area\ncsp_name: Northumbria\n"
        geo = "geography: {ward_code: ward_code, ward_name: ward_name}\n"
    else:
        name, lad = CSPS[area]
        head = f"name: {name} Community Safety Partnership\ncsp_name: {name}\n"
        geo = (
            "geography: {ward_code: ward_code, ward_name: ward_name, "
            f"area_filter: {{LAD19CD: [{lad}]}}}}\n"
        )
    return (
        f"area: {area}\n{head}synthetic: false\n"
        "force: {name: Northumbria Police, slug: northumbria}\n"
        f"{geo}"
        "sources:\n"
        f"  police_uk: {p['police']}\n"
        f"  wards: {p['wards']}\n"
        f"  lsoa_lookup: {p['lookup']}\n"
        f"  ward_population: {{path: {p['population']}, year: 2020}}\n"
    )


def run_one(item, code_version=None):
    """One area through the batch runner: everything with PDFs for FULL, stages 01-03 otherwise."""
    from helpers.run import batch

    full = item.area == FULL
    return batch.run_item(
        item,
        pdf=full,
        stages=None if full else ["01", "02", "03"],
        code_version=code_version,
    )


@pytest.fixture(scope="module")
def runs(shared_data, tmp_path_factory):
    """Run all seven areas once (two worker processes); every test reads these outputs."""
    from helpers.run import batch
    from helpers.run.executors import ProcessPoolExecutor

    root = tmp_path_factory.mktemp("northumbria")
    (root / "config").mkdir()
    (root / "pyproject.toml").write_text("")
    (root / "notebooks").symlink_to(REPO / "notebooks")
    areas = [FULL, *[a for a in CSPS if a != FULL], FORCE]
    for a in areas:
        (root / "config" / f"{a}.yaml").write_text(_config(shared_data, a))
    mp = pytest.MonkeyPatch()
    mp.setenv("CSP_SCRUTINY_ROOT", str(root))
    try:
        items = batch.work_items(batch.resolve_areas(areas), [PERIOD], root)
        batch.validate_items(items)
        t0 = time.perf_counter()
        results = {}
        with ProcessPoolExecutor(workers=2) as ex:
            for item, res, err in ex.map_unordered(
                run_one, items, code_version=batch.helpers_fingerprint()
            ):
                assert err is None, (item.area, err)
                results[item.area] = {r.stage: r for r in res}
        TIMINGS["batch seconds"] = time.perf_counter() - t0
        print(f"\nseven real areas through the batch runner: {TIMINGS['batch seconds']:.0f} s")
        yield root, results
    finally:
        mp.undo()


def _processed(root: Path, area: str, name: str) -> pd.DataFrame:
    return pd.read_parquet(root / "data" / "processed" / area / PERIOD / f"{name}.parquet")


def _report(root: Path, area: str) -> Path:
    return root / "reports" / area / PERIOD


ALL = [*CSPS, FORCE]


# --------------------------------------------------------------------------- the tests


def test_every_area_ran(runs):
    root, results = runs
    for area in ALL:
        for stage in ("01_cleaning", "02_crime_group_variance", "03_violence"):
            r = results[area][stage]
            assert r.status == "ok", (area, stage, r.error)
    for stage in ("04_ward_hotspots", "panel-pack"):
        assert results[FULL][stage].status == "ok", results[FULL][stage].error
    # each stage opens by saying what kind of area it reports on
    for area in ALL:
        nb = json.loads((_report(root, area) / "02_crime_group_variance.ipynb").read_text())
        shown = json.dumps([c.get("outputs", []) for c in nb["cells"]])
        kind = "force area" if area == FORCE else "community safety partnership"
        assert kind in shown.lower(), area


@pytest.mark.parametrize("area", ALL)
def test_the_area_has_its_own_wards_and_their_counts(runs, expected, area):
    root, _ = runs
    exp = expected[area]
    wards = pd.read_parquet(root / "data" / "processed" / area / PERIOD / "wards.parquet")
    assert set(wards["ward_code"]) == exp["wards"]
    assert len(wards) == len(exp["wards"])
    assert wards["population"].notna().all()  # the published workbook covers every ward
    manifest = json.loads((root / "data/processed" / area / PERIOD / "manifest.json").read_text())
    assert manifest["area_kind"] == (
        "force area" if area == FORCE else "community safety partnership"
    )
    street = _processed(root, area, "street")
    assert street["ward_code"].isin(exp["wards"]).all()
    got = Counter(zip(street["ward_code"], street["month"], street["crime_type"], strict=True))
    assert got == exp["counts"]  # every ward, month and crime type, ASB included


@pytest.mark.parametrize("area", ALL)
def test_totals_and_like_for_like_comparison(runs, expected, area):
    root, _ = runs
    counts = expected[area]["counts"]
    street = _processed(root, area, "street")
    crimes = street[street["crime_type"] != ASB]
    # the area's all-crime total for each full 12-month period
    assert int(crimes["month"].isin(CURRENT).sum()) == _total(counts, CURRENT)
    assert int(crimes["month"].isin(PREVIOUS).sum()) == _total(counts, PREVIOUS)
    # the variance table compares like with like: the 11 months both years hold
    v = pd.read_csv(_report(root, area) / "tables" / "02_crime_group_variance__variance.csv")
    groups = pd.read_csv(REPO / "src/helpers/data/police_uk_crime_types.csv")
    members = groups.groupby("crime_group")["crime_type"].apply(set).to_dict()
    total = v[v["level"] == "total"].iloc[0]
    assert total["previous"] == _total(counts, LFL_PREVIOUS)
    assert total["current"] == _total(counts, LFL_CURRENT)
    for r in v[v["level"] == "group"].itertuples():
        assert r.previous == _total(counts, LFL_PREVIOUS, ctype=members[r.group]), r.group
        assert r.current == _total(counts, LFL_CURRENT, ctype=members[r.group]), r.group
    asb = v[v["level"] == "asb"].iloc[0]
    assert asb["current"] == _total(counts, LFL_CURRENT, crime=False)
    fig = json.loads((_report(root, area) / "figures" / "02_crime_group_variance.json").read_text())
    f = fig["figures"]
    assert f["like_for_like"] is True and f["months_compared"] == 11
    assert f["previous_missing"] == ["2022-01"] and f["current_missing"] == []
    assert f["all_crime_current"] == _total(counts, LFL_CURRENT)


def test_the_six_partnerships_add_up_to_the_force(runs, expected):
    root, _ = runs
    force = len(_processed(root, FORCE, "street"))
    assert sum(len(_processed(root, a, "street")) for a in CSPS) == force
    assert sum(len(expected[a]["wards"]) for a in CSPS) == len(expected[FORCE]["wards"]) == 177


def test_rows_outside_the_area_are_rejected_with_that_reason(runs):
    root, _ = runs
    led = _processed(root, FULL, "ledger")
    rej = led[(led["status"] == "rejected") & (led["table"] == "street")]
    outside = int(rej.loc[rej["reason"] == "outside the area", "rows"].sum())
    force = len(_processed(root, FORCE, "street"))
    kept = len(_processed(root, FULL, "street"))
    assert outside > force - kept - 1000  # almost every row of the other five districts
    wards = led[(led["table"] == "wards") & (led["status"] == "rejected")]
    assert int(wards["rows"].sum()) == 177 - 26


def test_ward_counts_in_the_hotspot_stage(runs, expected):
    root, _ = runs
    exp = expected[FULL]
    fig = json.loads((_report(root, FULL) / "figures" / "04_ward_hotspots.json").read_text())
    assert fig["figures"]["wards"] == len(exp["wards"]) == 26
    assert fig["figures"]["totals"]["all_crime"] == _total(exp["counts"], CURRENT)


def test_the_pack_reads_as_newcastles_own(runs, expected):
    """Read the PDF text as a councillor would: Newcastle's wards, no other district's."""
    from pypdf import PdfReader

    root, _ = runs
    out = _report(root, FULL)
    pack = out / "panel_pack.pdf"
    assert pack.exists()
    # the pack holds every stage's report, in order, behind its at-a-glance page
    text = "\n".join(page.extract_text() or "" for page in PdfReader(pack).pages)
    flat = re.sub(r"\s+", " ", text)
    assert "Newcastle upon Tyne" in flat
    names = expected["_ward_names"]
    district = expected["_ward_district"]
    own = {names[c] for c in expected[FULL]["wards"]}
    others = {names[c] for c in names if district[c] != CSPS[FULL][1]} - own
    # whole-word ward names of other districts (names shared with a Newcastle ward excepted)
    leaked = sorted(n for n in others if re.search(rf"\b{re.escape(n)}\b", flat))
    assert not leaked, leaked
    assert sum(bool(re.search(rf"\b{re.escape(n)}\b", flat)) for n in own) >= 10
    assert "Gateshead" not in flat and "Sunderland" not in flat
    assert "community safety partnership" in flat.lower()
