"""Ward briefings on real data: Northampton's 33 wards, police.uk September 2019.

Only one month of police.uk data exists for Northamptonshire in ../shared/data, so the period has
no earlier year: the briefings must say so rather than test a change against zeros, and every
count printed must equal an independent count of the cleaned rows; small counts stay hidden.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

pytestmark = [pytest.mark.backtest, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]
WARDS = "boundaries/drkane_geo_lookups/ward19_pre2021_districts/E07000154.geojson"


def test_northampton_briefings_count_what_police_uk_recorded(shared_data, tmp_path, monkeypatch):
    from pypdf import PdfReader

    from helpers.core.config import load_area_config
    from helpers.ingest.cleaning import run_cleaning
    from helpers.report.briefings import build_ward_briefings

    root = tmp_path / "proj"
    (root / "config").mkdir(parents=True)
    (root / "pyproject.toml").write_text("")
    (root / "config" / "northampton.yaml").write_text(f"""
area: northampton
name: Northampton Community Safety Partnership
csp_name: Northampton
force: {{name: Northamptonshire Police, slug: northamptonshire}}
geography: {{ward_code: WD19CD, ward_name: WD19NM, area_filter: {{LAD19CD: [E07000154]}}}}
sources:
  police_uk: {shared_data / "policeuk" / "northamptonshire"}
  wards: {shared_data / WARDS}
  lsoa_lookup: {shared_data / "lookups" / "ons" / "lsoa11_to_ward19_to_lad19_ew.csv.gz"}
""")
    monkeypatch.setenv("CSP_SCRUTINY_ROOT", str(root))
    run_cleaning(load_area_config("northampton"), "2019-09", check_future=False)
    pdf = build_ward_briefings("northampton", "2019-09")
    pages = [p.extract_text() for p in PdfReader(pdf).pages]

    gj = json.loads((shared_data / WARDS).read_text(encoding="utf-8"))
    names = {f["properties"]["WD19CD"]: f["properties"]["WD19NM"] for f in gj["features"]}
    assert len(pages) == len(names) == 33
    assert [p.splitlines()[1] for p in pages] == sorted(names.values())

    street = pd.read_parquet(
        root / "data" / "processed" / "northampton" / "2019-09" / "street.parquet",
        columns=["month", "crime_type", "ward_code"],
    )
    counts = street.groupby(["ward_code", "crime_type"], observed=True).size()
    by_name = {v: k for k, v in names.items()}
    shown = hidden = 0
    for page in pages:
        code = by_name[page.splitlines()[1]]
        flat = page.replace("\n", " ")
        assert "No earlier year to compare" in flat and "Significant" not in flat
        # one month of data: the page says which, never "October 2018 to September 2019"
        assert "in September 2019 (the 1 month of the period in the data)" in flat
        assert "Fewer than 12 months of data are available, so there is no trend to chart." in flat
        for t in sorted(set(street["crime_type"].astype(str))):
            line = next(x for x in page.splitlines() if x.startswith(t + " "))
            cell = line[len(t) + 1 :].split()[0]
            n = int(counts.get((code, t), 0))
            if n < 5:
                assert cell == "*", (code, t, line)
                hidden += 1
            elif cell != "*":
                assert int(cell.replace(",", "")) == n, (code, t, line)
                shown += 1
        for bad in ("_", "E05", "nan", "None"):
            assert bad not in flat, bad
    assert shown > 50 and hidden > 50
