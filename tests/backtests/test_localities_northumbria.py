"""Back-test: Northumbria as one force area with its six CSP districts as localities.

The force area (no geography restriction) is configured with ``localities`` = the six
districts, named by their LAD19CD codes and found through the national ONS LSOA → ward →
district lookup (the 2022 boundary file's revised Northumberland wards are matched to the 2019
lookup by name, as the area rule does; all 177 wards are then in a district, so no
``rest: true`` locality is needed).
Each CSP is also cleaned on its own, defined as the README says (``area_filter: {LAD19CD: ...}``).
Expected values: each CSP's own processed crime rows counted with plain Python (pyarrow's row
dictionaries, no code under test) over the calendar months stage 02 compares; each locality's
counts must equal them, and the seven localities (with the unplaced rows) must add up to the
force. Configs are written into a temporary project; nothing from ../shared is committed.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from northumbria_areas import ASB, CSPS, PERIOD

pytestmark = [pytest.mark.backtest, pytest.mark.slow]

# like-for-like: the previous year lacks January 2022, so both years drop January
CURRENT = [f"2022-{m:02d}" for m in range(3, 13)] + ["2023-02"]
PREVIOUS = [f"2021-{m:02d}" for m in range(3, 13)] + ["2022-02"]


def _config(shared: Path, area: str) -> str:
    police = shared / "policeuk" / "northumbria"
    wards = shared / "crimemappingdata" / "northumbria_wards_2022.gpkg"
    lookup = shared / "lookups" / "ons" / "lsoa11_to_ward19_to_lad19_ew.csv.gz"
    if area == "northumbria":
        head = "name: Northumbria Police force area\ncsp_name: Northumbria\n"
        geo = "geography: {ward_code: ward_code, ward_name: ward_name}\n"
        locs = "localities:\n" + "".join(
            f"  - {{name: {name}, districts: [{lad}]}}\n" for name, lad in CSPS.values()
        )
    else:
        name, lad = CSPS[area]
        head = f"name: {name} Community Safety Partnership\ncsp_name: {name}\n"
        geo = (
            "geography: {ward_code: ward_code, ward_name: ward_name, "
            f"area_filter: {{LAD19CD: [{lad}]}}}}\n"
        )
        locs = ""
    return (
        f"area: {area}\n{head}synthetic: false\n"
        "force: {name: Northumbria Police, slug: northumbria}\n"
        f"{geo}sources:\n  police_uk: {police}\n  wards: {wards}\n  lsoa_lookup: {lookup}\n" + locs
    )


def _crime_counts(processed: Path) -> Counter:
    """(crime type or 'All crime', 'current'/'previous') -> crimes, counted row by row."""
    period_of = {m: "current" for m in CURRENT} | {m: "previous" for m in PREVIOUS}
    out: Counter = Counter()
    cols = ["month", "crime_type", "crime_group"]
    for r in pq.read_table(processed / "street.parquet", columns=cols).to_pylist():
        p = period_of.get(r["month"])
        if p is None or r["crime_type"] == ASB:
            continue
        out[("All crime", p)] += 1
        out[(r["crime_group"] or r["crime_type"], p)] += 1
    return out


@pytest.fixture(scope="module")
def runs(shared_data, tmp_path_factory):
    from helpers.core.config import load_area_config
    from helpers.ingest.cleaning import run_cleaning

    root = tmp_path_factory.mktemp("northumbria_localities")
    (root / "config").mkdir()
    (root / "pyproject.toml").write_text("")
    mp = pytest.MonkeyPatch()
    mp.setenv("CSP_SCRUTINY_ROOT", str(root))
    try:
        for area in ["northumbria", *CSPS]:
            (root / "config" / f"{area}.yaml").write_text(_config(shared_data, area))
            run_cleaning(load_area_config(area), PERIOD)
        yield root
    finally:
        mp.undo()


def test_each_locality_equals_its_csps_own_run(runs):
    from helpers.core.config import load_area_config
    from helpers.core.periods import ReportingPeriod
    from helpers.ingest import processed
    from helpers.stages import localities as L
    from helpers.stages import variance as V

    cfg = load_area_config("northumbria")
    data = processed.load_processed("northumbria", PERIOD)
    cur = ReportingPeriod(PERIOD, 12)
    base = V.resolve_baseline("pre-COVID (year to Dec 2019)", cfg.baselines)
    secs = L.locality_sections(cfg, data, cur, cur.previous(), base)
    long = secs[0].tables["localities"]
    got = {
        (r["locality"], r["label"], p): int(r[p])
        for _, r in long[long["level"].isin(["total", "group"])].iterrows()
        for p in ("current", "previous")
    }
    force = _crime_counts(runs / "data" / "processed" / "northumbria" / PERIOD)
    summed: Counter = Counter()
    for area, (name, _) in CSPS.items():
        own = _crime_counts(runs / "data" / "processed" / area / PERIOD)
        assert own[("All crime", "current")] > 10_000, area
        for (label, p), n in own.items():
            assert got.get((name, label, p), 0) == n, (name, label, p)
        for (loc, label, p), n in got.items():
            if loc == name:
                assert own.get((label, p), 0) == n, (name, label, p)
    for (_loc, label, p), n in got.items():
        summed[(label, p)] += n
    assert {k: v for k, v in summed.items() if v} == {k: v for k, v in force.items() if v}
    key = secs[0].tables["localities_key"].set_index("locality")
    for name, _ in CSPS.values():
        own_total = got[(name, "All crime", "current")]
        assert key.loc[name, "all_crime_current"] == own_total
