"""Area cleaning runs on the fast engine and gives exactly what the pandas oracle gives.

The cleaning stage's :func:`helpers.ingest.cleaning.clean_police_uk` is Arrow
(:mod:`helpers.ingest.fastclean`) plus the area rule; ``tests/oracle_cleaning.py`` is the plain
pandas + Python-csv statement of the same rules. Both clean the same files with the same
resolved area; the street and outcomes tables (columns, dtypes, values, sorted row order), the
ledger, the warnings, the skipped-file list, the inputs and any error must be identical.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle_cleaning import clean_police_uk as oracle
from policeuk_support import E0, N0, ll

from helpers.core.config import load_area_config
from helpers.core.errors import ScrutinyError
from helpers.core.periods import ReportingPeriod
from helpers.ingest import cleaning
from helpers.ingest.ledger import Ledger
from helpers.ingest.loading import OUTCOME_COLUMNS, STREET_COLUMNS


def both_ways(cfg, period: str) -> dict[str, tuple]:
    out = {}
    for name, fn in (("fast", cleaning.clean_police_uk), ("oracle", oracle)):
        ledger, warnings = Ledger(), []
        area, _, _ = cleaning._area_geo(cfg, ledger)
        try:
            street, outc, skipped, inputs = fn(cfg, ReportingPeriod(period), area, ledger, warnings)
        except ScrutinyError as exc:  # the user's error: same type, same words
            out[name] = ("error", type(exc).__name__, str(exc))
            continue
        street = street.sort_values(
            ["month", "source_file", "source_row"], kind="mergesort"
        ).reset_index(drop=True)  # as run_cleaning writes it
        out[name] = (street, outc, ledger.to_frame(), warnings, skipped, inputs)
    return out


def assert_same(out: dict[str, tuple]) -> None:
    fast, ref = out["fast"], out["oracle"]
    if isinstance(ref[0], str) or isinstance(fast[0], str):
        assert fast == ref
        return
    for a, b in zip(fast[:3], ref[:3], strict=True):
        assert list(a.columns) == list(b.columns)
        assert a.dtypes.astype(str).tolist() == b.dtypes.astype(str).tolist()
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert fast[3:] == ref[3:]  # warnings, skipped files, inputs


def test_sample_cleans_the_same_both_ways(project):
    cfg = load_area_config("wexley")
    out = both_ways(cfg, "2022-03")
    assert_same(out)
    street, outc, ledger = out["fast"][:3]
    assert len(street) > 100_000 and len(outc) > 50_000
    assert set(ledger["table"]) >= {"street", "outcomes"}


@pytest.mark.backtest
@pytest.mark.slow
def test_newcastle_cleans_the_same_both_ways(shared_data, tmp_path):
    p = shared_data
    cfg_path = tmp_path / "newcastle.yaml"
    cfg_path.write_text(
        "area: newcastle\nname: Newcastle upon Tyne Community Safety Partnership\n"
        "csp_name: Newcastle upon Tyne\nsynthetic: false\n"
        "force: {name: Northumbria Police, slug: northumbria}\n"
        "geography: {ward_code: ward_code, ward_name: ward_name, "
        "area_filter: {LAD19CD: [E08000021]}}\n"
        "sources:\n"
        f"  police_uk: {p / 'policeuk' / 'northumbria'}\n"
        f"  wards: {p / 'crimemappingdata' / 'northumbria_wards_2022.gpkg'}\n"
        f"  lsoa_lookup: {p / 'lookups' / 'ons' / 'lsoa11_to_ward19_to_lad19_ew.csv.gz'}\n"
    )
    out = both_ways(load_area_config(str(cfg_path)), "2023-02")
    assert_same(out)
    assert len(out["fast"][0]) > 100_000


# --------------------------------------------------------------------------- generated files

CRIME_IDS = ["", "a" * 64, "b" * 64, "c" * 64, " " + "a" * 64 + " ", "A" * 64, "x1", "x1 "]
TYPES = ["Burglary", "Anti-social behaviour", " Drugs ", "Jaywalking", "", "Other theft"]
LSOAS = ["L1", "L2", " L1 ", "", "ZZ"]
POINTS = [
    ll(E0 + 500, N0 + 500),  # W1
    ll(E0 + 1500, N0 + 500),  # W2
    ll(E0 + 1000, N0 + 500),  # on the shared edge
    ll(E0 + 9000, N0 + 9000),  # outside every ward
    ("", ""),
    ("0", "0"),
    ("abc", "52.1"),
    ("inf", "nan"),
    ("nan", "NA"),
    ("NULL", "52.1"),
    ("-200", "52.0"),
]
OUTCOMES = ["Under investigation", "Offender given a caution", "", " Court result unavailable "]


@st.composite
def police_tree(draw):
    """2-3 monthly street files (and outcomes files for some months) with planted mess."""
    months = draw(
        st.lists(st.sampled_from(["2022-01", "2022-02", "2022-03"]), min_size=1, unique=True)
    )
    files: dict[str, bytes] = {}
    for month in sorted(months):
        for kind, columns in (("street", STREET_COLUMNS), ("outcomes", OUTCOME_COLUMNS)):
            if kind == "outcomes" and not draw(st.booleans()):
                continue
            header = list(columns)
            extra = draw(st.booleans())
            if extra:
                header.append("Notes")
            lines = [",".join(header)]
            for _ in range(draw(st.integers(0, 8))):
                lon, lat = draw(st.sampled_from(POINTS))
                m = draw(st.sampled_from([month, month, month, " " + month, "2022-1", "2021-12"]))
                cid = draw(st.sampled_from(CRIME_IDS))
                lsoa = draw(st.sampled_from(LSOAS))
                fields = [cid, m, "Test Police", "Test Police", lon, lat, "On or near X", lsoa]
                fields.append("A 001")
                if kind == "street":
                    fields += [draw(st.sampled_from(TYPES)), draw(st.sampled_from(OUTCOMES)), ""]
                else:
                    fields.append(draw(st.sampled_from(OUTCOMES)))
                if extra:
                    fields.append("n")
                shape = draw(st.sampled_from(["ok"] * 6 + ["long", "short", "blank", "quoted"]))
                if shape == "long":
                    fields.append("surplus")
                elif shape == "short":
                    fields = fields[:3]
                elif shape == "blank":
                    lines.append("")
                elif shape == "quoted":
                    fields[6] = '"On or near High Street, North"'
                lines.append(",".join(fields))
            newline = draw(st.sampled_from(["\n", "\r\n"]))
            files[f"{month}/{month}-test-{kind}.csv"] = (newline.join(lines) + newline).encode()
    return files


@pytest.fixture(scope="module")
def tiny_area():
    """Two 1 km wards side by side (W1 west, W2 east) and a lookup of L1 -> W1, L2 -> W2."""

    def square(x0):
        return [[[x0, N0], [x0 + 1000, N0], [x0 + 1000, N0 + 1000], [x0, N0 + 1000], [x0, N0]]]

    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        wards = {
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
            "features": [
                {
                    "type": "Feature",
                    "properties": {"ward_code": code, "ward_name": name},
                    "geometry": {"type": "Polygon", "coordinates": square(x0)},
                }
                for code, name, x0 in (("W1", "West", E0), ("W2", "East", E0 + 1000))
            ],
        }
        (root / "wards.geojson").write_text(json.dumps(wards))
        (root / "lookup.csv").write_text(
            "LSOA11CD,LSOA11NM,WD19CD,WD19NM\nL1,A 001,W1,West\nL2,A 002,W2,East\n"
        )
        yield root


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=police_tree(), period=st.sampled_from(["2022-01", "2022-02", "2022-03"]))
def test_generated_messy_files_clean_the_same_both_ways(tiny_area, tree, period):
    with tempfile.TemporaryDirectory() as d:
        police = Path(d) / "police"
        for name, data in tree.items():
            (police / name).parent.mkdir(parents=True, exist_ok=True)
            (police / name).write_bytes(data)
        police.mkdir(exist_ok=True)
        cfg_path = Path(d) / "t.yaml"
        cfg_path.write_text(
            "area: t\nname: T\ncsp_name: T\nforce: {name: Test Police, slug: test}\n"
            f"sources:\n  police_uk: {police}\n  wards: {tiny_area / 'wards.geojson'}\n"
            f"  lsoa_lookup: {tiny_area / 'lookup.csv'}\n"
        )
        assert_same(both_ways(load_area_config(str(cfg_path)), period))
