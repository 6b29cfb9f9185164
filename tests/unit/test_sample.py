"""The synthetic Wexley sample: deterministic, realistic in shape and volume, internally consistent."""

from __future__ import annotations

import hashlib
import inspect
import json
from pathlib import Path

import pandas as pd
import pytest
import shapely
from openpyxl import load_workbook
from shapely.geometry import shape

from helpers import sample

WINDOW = ("2020-04", "2022-03")  # two financial years: both names of the count column
FY_MONTHS = [f"2021-{m:02d}" for m in range(4, 13)] + [f"2022-{m:02d}" for m in range(1, 4)]


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("s1") / "wexley"
    summary = sample.generate_sample(out, months=WINDOW)
    assert summary["out_dir"] == str(out)
    return out


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def street(sample_dir) -> pd.DataFrame:
    files = sorted((sample_dir / "police_uk").glob("*/*-wexshire-street.csv"))
    return pd.concat([_read(f) for f in files], ignore_index=True)


@pytest.fixture(scope="module")
def outcomes(sample_dir) -> pd.DataFrame:
    files = sorted((sample_dir / "police_uk").glob("*/*-wexshire-outcomes.csv"))
    return pd.concat([_read(f) for f in files], ignore_index=True)


@pytest.fixture(scope="module")
def extract(sample_dir) -> pd.DataFrame:
    df = _read(sample_dir / "force_extract.csv")
    df["month"] = df["Committed Date"].str[:7]
    return df


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_deterministic_byte_for_byte(sample_dir, tmp_path):
    again = tmp_path / "wexley"
    sample.generate_sample(again, months=WINDOW)
    first, second = _hashes(sample_dir), _hashes(again)
    assert first == second
    assert len(first) == 2 * 24 + 9
    # no half-built or leftover folders beside the output
    assert [p.name for p in tmp_path.iterdir()] == ["wexley"]


def test_default_is_sixty_months():
    assert inspect.signature(sample.generate_sample).parameters["months"].default is None
    months = sample._month_list()
    assert len(months) == 60 and months[0] == "2018-04" and months[-1] == "2023-03"


def test_marker_and_readme(sample_dir):
    marker = (sample_dir / "SYNTHETIC_DATA.txt").read_text()
    assert "SYNTHETIC" in marker and "helpers.sample" in marker and "20230331" in marker
    assert "SYNTHETIC" in (sample_dir / "README.md").read_text()


def test_ensure_sample_only_generates_when_absent(tmp_path, monkeypatch):
    out = tmp_path / "wexley"
    out.mkdir()
    (out / sample.MARKER).write_text("synthetic")
    calls = []
    monkeypatch.setattr(sample, "generate_sample", lambda *a, **k: calls.append(a))
    assert sample.ensure_sample(out) == out
    assert calls == []
    assert sample.ensure_sample(tmp_path / "other") == tmp_path / "other"
    assert len(calls) == 1


def test_police_uk_headers_exact(sample_dir):
    street_file = sample_dir / "police_uk" / "2021-06" / "2021-06-wexshire-street.csv"
    out_file = sample_dir / "police_uk" / "2021-06" / "2021-06-wexshire-outcomes.csv"
    assert street_file.read_text().splitlines()[0] == (
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Crime type,Last outcome category,Context")
    assert out_file.read_text().splitlines()[0] == (
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Outcome type")
    months = sorted(p.name for p in (sample_dir / "police_uk").iterdir())
    assert months == sample._month_list(*WINDOW)


def test_street_rows_look_like_police_uk(street):
    types = set(_read(Path(sample.__file__).parent / "data" / "police_uk_crime_types.csv")["crime_type"])
    assert set(street["Crime type"]) == types
    asb = street["Crime type"] == "Anti-social behaviour"
    assert (street.loc[asb, "Crime ID"] == "").all()
    assert (street.loc[asb, "Last outcome category"] == "").all()
    crimes = street[~asb]
    assert crimes["Crime ID"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert crimes["Crime ID"].is_unique
    assert (crimes["Last outcome category"] != "").all()
    assert (street["Falls within"] == "Wexshire Police").all()
    assert (street["Context"] == "").all()
    no_loc = street["Longitude"] == ""
    assert 0 < no_loc.sum() < 0.002 * len(street)
    assert (street.loc[no_loc, "LSOA code"] == "").all()
    assert (street.loc[no_loc, "Location"] == "No location").all()
    located = street[~no_loc & (street["Longitude"] != "0.000000")]
    assert located["Location"].str.startswith("On or near ").all()
    assert located["Longitude"].str.fullmatch(r"-?\d+\.\d{6}").all()
    lon, lat = located["Longitude"].astype(float), located["Latitude"].astype(float)
    assert lon.between(-1.2, -0.6).all() and lat.between(52.0, 52.5).all()
    # a few just outside the town, in a neighbouring district's LSOAs
    outside = located["LSOA code"].str.startswith("E01999")
    assert 5 <= outside.sum() <= 60


def test_volumes_for_a_full_year(street, extract):
    year = street[street["Month"].isin(FY_MONTHS)]
    counts = year["Crime type"].value_counts()
    crimes = len(year) - counts["Anti-social behaviour"]
    assert 21_000 <= crimes <= 28_000
    assert 6_500 <= counts["Anti-social behaviour"] <= 11_000
    bands = {"Burglary": (900, 1_500), "Vehicle crime": (1_150, 1_850),
             "Public order": (1_300, 2_600), "Drugs": (420, 800), "Robbery": (170, 340),
             "Theft from the person": (130, 280), "Bicycle theft": (200, 420),
             "Possession of weapons": (90, 230), "Other crime": (280, 560)}
    for crime_type, (low, high) in bands.items():
        assert low <= counts[crime_type] <= high, crime_type
    share = counts["Violence and sexual offences"] / crimes
    assert 0.35 <= share <= 0.48
    ex = extract[extract["month"].isin(FY_MONTHS)]
    vap = ex[ex["Offence Group"] == "Violence against the person"]
    assert 0.33 <= len(vap) / len(ex) <= 0.46
    dom = (vap["Domestic Abuse Flag"] == "Y").mean()
    assert 0.25 <= dom <= 0.40
    loc = vap["Location Type"].value_counts(normalize=True)
    assert set(loc.index) == {"Domestic", "Town centre", "Residual"}
    assert 0.2 <= loc["Town centre"] <= 0.4 and 0.3 <= loc["Residual"] <= 0.5
    sub = vap["Offence Subgroup"].value_counts(normalize=True)
    assert 0.38 <= sub["Violence without injury"] <= 0.52
    assert 0.27 <= sub["Violence with injury"] <= 0.40
    assert 0.15 <= sub["Stalking and harassment"] <= 0.30
    assert 2_400 <= (vap["HO Offence Code"] == "8N").sum() <= 3_500
    assert (ex["Location Type"][ex["Offence Group"] != "Violence against the person"] == "").all()


def test_pandemic_pattern(street):
    by = street.groupby(["Month", "Crime type"]).size().unstack()
    asb, burg = by["Anti-social behaviour"], by["Burglary"]
    assert asb["2020-04"] > 1.5 * asb["2021-04":"2022-03"].mean()
    assert burg["2020-04"] < 0.8 * burg["2021-04":"2022-03"].mean()


def test_extract_shape(extract):
    assert list(extract.columns[:-1]) == sample.EXTRACT_COLUMNS
    assert extract["Occurrence Ref"].is_unique
    assert extract["Committed Hour"].astype(int).between(0, 23).all()
    assert set(extract["Domestic Abuse Flag"]) == {"Y", "N"}
    codes = _read(Path(sample.__file__).parent / "data" / "home_office_offence_codes.csv")
    unknown = extract[~extract["HO Offence Code"].isin(codes["offence_code"])]
    assert 1 <= len(unknown) <= 5
    assert (unknown["Offence Group"] == "").all()
    # night-time economy violence: mostly Friday/Saturday nights
    tc = extract[extract["Location Type"] == "Town centre"]
    hours = tc["Committed Hour"].astype(int)
    assert ((hours >= 21) | (hours <= 4)).mean() > 0.6
    shop = extract[extract["HO Offence Code"] == "46"]["Committed Hour"].astype(int)
    assert shop.between(8, 19).mean() > 0.8


def test_police_uk_reconciles_with_extract(street, extract):
    codes = _read(Path(sample.__file__).parent / "data" / "home_office_offence_codes.csv")
    mapping = dict(zip(codes["offence_code"], codes["police_uk_crime_type"], strict=True))
    ex = extract[extract["HO Offence Code"].isin(mapping)]
    from_extract = ex.groupby([ex["month"], ex["HO Offence Code"].map(mapping)]).size()
    crimes = street[street["Crime type"] != "Anti-social behaviour"]
    from_street = crimes.groupby(["Month", "Crime type"]).size()
    from_extract.index.names = from_street.index.names
    pd.testing.assert_series_equal(from_street.sort_index(), from_extract.sort_index())


def test_outcomes(street, outcomes):
    crimes = street[street["Crime type"] != "Anti-social behaviour"]
    assert outcomes["Crime ID"].isin(crimes["Crime ID"]).mean() > 0.95
    assert outcomes.groupby("Crime ID").size().max() <= 3
    positive = {"Suspect charged", "Offender given a caution", "Local resolution",
                "Offender given penalty notice", "Offender given a drugs possession warning",
                "Suspect charged as part of another case"}
    early = crimes[crimes["Month"] < "2021-10"]
    rate = early["Crime ID"].isin(outcomes.loc[outcomes["Outcome type"].isin(positive), "Crime ID"])
    assert 0.10 <= rate.mean() <= 0.17


def test_home_office_table(sample_dir, extract):
    wb = load_workbook(sample_dir / "prc-csp-synthetic.xlsx", read_only=True)
    assert wb.sheetnames == ["2020_21", "2021_22"]
    headers = {}
    for name in wb.sheetnames:
        rows = list(wb[name].iter_rows(min_row=1, max_row=5, values_only=True))
        assert "Synthetic" in str(rows[1][0])
        headers[name] = [c for c in rows[4] if c is not None]
    assert headers["2020_21"][-1] == "Number of Offences"
    assert headers["2021_22"][-1] == "Offence Count"
    assert headers["2021_22"][:8] == sample.HO_COLUMNS
    wb.close()
    table = pd.read_excel(sample_dir / "prc-csp-synthetic.xlsx", sheet_name="2021_22", header=4,
                          dtype={"Offence Code": str})
    assert table["CSP Name"].nunique() == 15
    wex = table[table["CSP Name"] == "Wexley"].groupby("Offence Code")["Offence Count"].sum()
    ex = extract[extract["month"].isin(FY_MONTHS)]
    expected = ex.groupby("HO Offence Code").size()
    expected = expected[expected.index.isin(wex.index)]
    assert wex.sum() == len(ex) - (~ex["HO Offence Code"].isin(wex.index)).sum()
    assert (wex.sort_index() == expected.sort_index()).all()
    # peers scatter around Wexley's rate
    pops = _read(sample_dir / "population_by_csp.csv")
    pop = pops[pops["year"] == "2021"].set_index("csp_name")["population"].astype(int)
    rates = table.groupby("CSP Name")["Offence Count"].sum() / pop * 1000
    assert rates.min() < rates["Wexley"] < rates.max()
    assert rates.between(50, 200).all()


def test_geography(sample_dir):
    gj = json.loads((sample_dir / "wards.geojson").read_text())
    assert "CRS84" in gj["crs"]["properties"]["name"]
    geoms = [shape(f["geometry"]) for f in gj["features"]]
    assert 25 <= len(geoms) <= 35
    assert all(g.is_valid and not g.is_empty for g in geoms)
    assert all(shapely.bounds(g)[0] > -1.2 and shapely.bounds(g)[3] < 52.5 for g in geoms)
    codes = [f["properties"]["ward_code"] for f in gj["features"]]
    assert codes == sorted(set(codes)) and all(c.startswith("E0599") for c in codes)
    wp = _read(sample_dir / "ward_population.csv")
    assert list(wp.columns) == ["ward_code", "ward_name", "population"]
    assert 215_000 <= wp["population"].astype(int).sum() <= 235_000
    assert wp["population"].astype(int).between(4_500, 10_500).all()
    assert "Castle" in set(wp["ward_name"])
    lk = _read(sample_dir / "lsoa_to_ward.csv")
    assert list(lk.columns) == ["LSOA11CD", "LSOA11NM", "WD19CD", "WD19NM", "LAD19CD", "LAD19NM"]
    assert 120 <= len(lk) <= 150 and lk["LSOA11CD"].is_unique
    assert set(lk["WD19CD"]) <= set(codes)
    assert lk["LSOA11NM"].str.fullmatch(r"Wexley \d{3}[A-E]").all()


def test_population_and_msg(sample_dir):
    pops = _read(sample_dir / "population_by_csp.csv")
    assert list(pops.columns) == ["csp_name", "year", "population"]
    assert sorted(set(pops["year"])) == [str(y) for y in range(2017, 2023)]
    wex = pops[pops["csp_name"] == "Wexley"].set_index("year")["population"].astype(int)
    assert wex.is_monotonic_increasing and 215_000 <= wex["2020"] <= 235_000
    assert pops["population"].astype(int).between(110_000, 330_000).all()
    msg = _read(sample_dir / "msg_groups.csv")
    assert list(msg.columns) == ["csp_name", "msg_member"]
    assert len(msg) == 15 and "Wexley" in set(msg["msg_member"])
    assert set(msg["msg_member"]) == set(pops["csp_name"])


def test_best_fit_lookup_mostly_agrees_with_point_in_polygon(sample_dir, extract):
    import geopandas as gpd

    wards = gpd.read_file(sample_dir / "wards.geojson").to_crs("EPSG:27700")
    lk = _read(sample_dir / "lsoa_to_ward.csv").set_index("LSOA11CD")["WD19CD"]
    ex = extract[extract["Easting"].ne("") & extract["Easting"].ne("0")]
    pts = gpd.GeoDataFrame(ex, crs="EPSG:27700", geometry=gpd.points_from_xy(
        ex["Easting"].astype(float), ex["Northing"].astype(float)))
    joined = gpd.sjoin(pts, wards, how="left", predicate="within")
    inside = joined[joined["ward_code"].notna()]
    assert 0.98 < len(inside) / len(joined) < 1.0  # a few just outside the town
    disagree = (inside["LSOA Code"].map(lk) != inside["ward_code"]).mean()
    assert 0.005 < disagree < 0.15
    # the night-time economy hotspot is in the town-centre ward
    castle = wards.loc[wards["ward_name"] == "Castle", "ward_code"].item()
    tc = inside[inside["Location Type"] == "Town centre"]
    assert (tc["ward_code"] == castle).all()
