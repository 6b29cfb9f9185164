"""Localities inside an area (issue 14, item 3): config errors, placement, figures, reconciliation.

The sample's localities (config/wexley.yaml: Wexley Town by ward list, Outer Wexley the rest)
are recomputed here independently: plain Python over the processed extract rows (pyarrow's
row dictionaries, no pandas grouping and none of the stage's code), the ward list read from the
config YAML and the raw ward boundary file with the json module, and the months written out by
hand. Expected values never come from ``helpers.stages.localities``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from helpers.core.config import load_area_config, validate_config
from helpers.core.errors import ConfigError
from helpers.core.periods import ReportingPeriod
from helpers.ingest.processed import save_stage_outputs
from helpers.report import reconcile as R
from helpers.stages import localities as L
from helpers.stages import variance as V

REPO = Path(__file__).resolve().parents[2]
CUR = [f"2021-{m:02d}" for m in range(4, 13)] + ["2022-01", "2022-02", "2022-03"]
PREV = [f"2020-{m:02d}" for m in range(4, 13)] + ["2021-01", "2021-02", "2021-03"]
BASE = [f"2019-{m:02d}" for m in range(1, 13)]  # pre-COVID: calendar 2019, matched by month
BASELINE = "pre-COVID (year to Dec 2019)"


def _raw_config() -> dict:
    return yaml.safe_load((REPO / "config" / "wexley.yaml").read_text(encoding="utf-8"))


def _cfg(tmp_path: Path, localities) -> object:
    raw = _raw_config()
    if localities is None:
        raw.pop("localities", None)
    else:
        raw["localities"] = localities
    p = tmp_path / "wexley.yaml"
    p.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return load_area_config(p)


def _schema_error(localities) -> str:
    raw = _raw_config()
    raw["localities"] = localities
    with pytest.raises(ConfigError) as info:
        validate_config(raw)
    return str(info.value)


WARDS = {"W1": "Castle", "W2": "Abbey", "W3": "Priory", "W4": "Abbey"}  # two wards named Abbey


class _Lookup:
    """The shape of helpers.ingest.area.Lookup the districts rule reads."""

    label = "lookup.csv"
    district_col = "LAD19CD"

    def __init__(self, rows):
        self.raw = pd.DataFrame(
            rows, columns=["LSOA11CD", "WD19CD", "WD19NM", "LAD19CD", "LAD19NM"]
        )

    @property
    def frame(self):
        return pd.DataFrame(
            {
                "lsoa_code": self.raw["LSOA11CD"],
                "lookup_ward_code": self.raw["WD19CD"],
                "lookup_ward_name": self.raw["WD19NM"],
                "district": self.raw["LAD19CD"],
            }
        )


LOOKUP = _Lookup(
    [
        ("L1", "W1", "Castle", "D1", "Old Town"),
        ("L2", "W2", "Abbey", "D1", "Old Town"),
        ("L3", "W3", "Priory", "D2", "Vale"),
        ("L4", "W4", "Abbey", "D2", "Vale"),
        ("L5", "W9", "Elsewhere", "D3", "Far Away"),
    ]
)


def _resolve(tmp_path, localities, lookup=LOOKUP, lsoas=None):
    return L.resolve_localities(_cfg(tmp_path, localities), WARDS, lookup, lsoas)


# --------------------------------------------------------------------------- config errors


def test_schema_refuses_duplicate_names_empty_lists_and_two_rules():
    assert "two localities are named 'Town' and 'town'" in _schema_error(
        [{"name": "Town", "wards": ["W1"]}, {"name": "town", "wards": ["W2"]}]
    )
    assert "'localities[0].wards' is empty" in _schema_error([{"name": "T", "wards": []}])
    assert "'localities' is empty" in _schema_error([])
    assert "sets wards and lsoas" in _schema_error([{"name": "T", "wards": ["a"], "lsoas": ["b"]}])
    assert "lists nothing" in _schema_error([{"name": "T"}])
    assert "lists W1 twice" in _schema_error([{"name": "T", "wards": ["W1", "W1"]}])
    assert "both say rest: true" in _schema_error(
        [{"name": "A", "rest": True}, {"name": "B", "rest": True}]
    )
    assert "use LSOAs for all of them" in _schema_error(
        [{"name": "A", "lsoas": ["L1"]}, {"name": "B", "wards": ["W1"]}]
    )
    assert "rest: true (or leave the line out)" in _schema_error([{"name": "A", "rest": False}])
    assert "unknown key 'localities[0].ward'" in _schema_error([{"name": "A", "ward": ["W1"]}])


def test_ward_not_in_the_area_is_named_with_a_suggestion(tmp_path):
    with pytest.raises(ConfigError) as info:
        _resolve(tmp_path, [{"name": "Town", "wards": ["Castel"]}, {"name": "R", "rest": True}])
    text = str(info.value)
    assert "localities[0].wards ('Town') names the ward 'Castel' (did you mean 'Castle'?)" in text
    assert "not one of the area's wards; the area has 4" in text


def test_ambiguous_ward_name_asks_for_the_code(tmp_path):
    with pytest.raises(ConfigError, match=r"has 2 wards of that name \(W2, W4\)"):
        _resolve(tmp_path, [{"name": "Town", "wards": ["Abbey"]}, {"name": "R", "rest": True}])


def test_ward_in_two_localities_names_both(tmp_path):
    with pytest.raises(ConfigError) as info:
        _resolve(
            tmp_path,
            [{"name": "Town", "wards": ["W1", "W3"]}, {"name": "Vale", "districts": ["Vale"]}],
        )
    assert "1 ward(s) are in two localities, 'Town' and 'Vale': Priory (W3)" in str(info.value)


def test_uncovered_wards_need_the_remainder_rule(tmp_path):
    with pytest.raises(ConfigError) as info:
        _resolve(tmp_path, [{"name": "Town", "wards": ["W1"]}])
    text = str(info.value)
    assert "leave 3 of the area's 4 wards in no locality: Abbey (W2), Priory (W3)" in text
    assert "rest: true" in text
    plan = _resolve(
        tmp_path, [{"name": "Town", "wards": ["Castle"]}, {"name": "Rest", "rest": True}]
    )
    assert plan.members == {"Town": {"W1"}, "Rest": {"W2", "W3", "W4"}}
    assert plan.how["Rest"] == "the other 3 wards of the area"


def test_empty_remainder_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="would be empty"):
        _resolve(
            tmp_path,
            [{"name": "All", "wards": ["W1", "W2", "W3", "W4"]}, {"name": "Rest", "rest": True}],
        )


def test_districts_by_code_or_name_through_the_lookup(tmp_path):
    plan = _resolve(
        tmp_path, [{"name": "Old", "districts": ["D1"]}, {"name": "V", "districts": ["Vale"]}]
    )
    assert plan.members == {"Old": {"W1", "W2"}, "V": {"W3", "W4"}}
    assert plan.how["V"] == "former district Vale"
    with pytest.raises(
        ConfigError, match=r"names the district Far Away \(D3\), but none of its wards"
    ):
        _resolve(tmp_path, [{"name": "F", "districts": ["D3"]}, {"name": "R", "rest": True}])
    with pytest.raises(
        ConfigError, match=r"names 'Valley' \(did you mean 'Vale'\?\), which is not a district"
    ):
        _resolve(tmp_path, [{"name": "F", "districts": ["Valley"]}, {"name": "R", "rest": True}])
    with pytest.raises(ConfigError, match="no LSOA lookup is set"):
        _resolve(
            tmp_path, [{"name": "F", "districts": ["D1"]}, {"name": "R", "rest": True}], lookup=None
        )


def test_lsoa_localities_must_be_the_areas(tmp_path):
    plan = _resolve(
        tmp_path, [{"name": "A", "lsoas": ["L1"]}, {"name": "B", "rest": True}], lsoas={"L1", "L2"}
    )
    assert plan.kind == "lsoa" and plan.members == {"A": {"L1"}, "B": {"L2"}}
    with pytest.raises(ConfigError, match="names the LSOA 'L5'"):
        _resolve(
            tmp_path, [{"name": "A", "lsoas": ["L5"]}, {"name": "B", "rest": True}], lsoas={"L1"}
        )


def test_sample_config_has_two_localities_covering_its_wards():
    cfg = load_area_config("wexley")
    assert [loc["name"] for loc in cfg.localities] == ["Wexley Town", "Outer Wexley"]


# --------------------------------------------------------------------------- placement and figures


def _tiny_data(months: list[str]) -> SimpleNamespace:
    """A hand-built extract: ward W1 (Town) has 30 thefts a month; W2 (Rural) 1 robbery in two
    months; one crime has no ward."""
    rows = []
    for m in months:
        rows += [("W1", "Theft offences", "Theft", m)] * 30
    rows += [("W2", "Robbery", "Robbery of personal property", CUR[0])]
    rows += [("W2", "Robbery", "Robbery of personal property", PREV[0])] * 2
    rows += [(None, "Theft offences", "Theft", CUR[1])]
    df = pd.DataFrame(rows, columns=["ward_code", "offence_group", "offence_subgroup", "month"])
    df = df.assign(
        is_sac=df["offence_group"] == "Robbery",
        is_neighbourhood=False,
        is_vap=False,
        domestic_flag=False,
        lsoa_code=None,
        ward_name=df["ward_code"].map({"W1": "Castle", "W2": "Abbey"}),
    )
    wards = pd.DataFrame({"ward_code": ["W1", "W2"], "ward_name": ["Castle", "Abbey"]})
    return SimpleNamespace(extract=df, street=None, wards=wards)


def test_small_numbers_get_no_percentage_and_unplaced_rows_are_stated(tmp_path):
    cfg = _cfg(tmp_path, [{"name": "Town", "wards": ["W1"]}, {"name": "Rural", "wards": ["W2"]}])
    data = _tiny_data(BASE + PREV + CUR)
    cur = ReportingPeriod("2022-03", 12)
    secs = L.locality_sections(
        cfg, data, cur, cur.previous(), V.resolve_baseline(BASELINE, cfg.baselines), "extract"
    )
    over = secs[0]
    key = over.tables["localities_key"].set_index("locality")
    assert (
        key.loc["Town", "all_crime_current"] == 360 and key.loc["Town", "all_crime_previous"] == 360
    )
    assert key.loc["Town", "all_crime_pct_change"] == 0.0
    assert key.loc["Town", "largest_group_share"] == 100.0
    assert (
        key.loc["Rural", "all_crime_current"] == 1 and key.loc["Rural", "all_crime_previous"] == 2
    )
    for col in ("all_crime_pct_change", "baseline_pct_change", "largest_group_share"):
        assert pd.isna(key.loc["Rural", col]), col  # fewer than 20: no percentage
    assert "fell from 2 to 1" in secs[2].sentences[0]
    assert "%" not in secs[2].sentences[0]
    long = over.tables["localities"]
    lost = long[(long["locality"] == L.NOT_PLACED) & (long["level"] == "total")]
    assert int(lost["current"].iloc[0]) == 1
    assert any("1 crime in the data has no ward in any locality" in n for n in over.notes)
    assert over.figures["localities_not_placed"] == 1


def test_no_localities_is_one_plain_sentence(tmp_path):
    cfg = _cfg(tmp_path, None)
    cur = ReportingPeriod("2022-03", 12)
    secs = L.locality_sections(cfg, None, cur, cur.previous(), cur)
    assert len(secs) == 1 and secs[0].sentences == [L.NO_LOCALITIES] and secs[0].tables == {}


def _independent_counts(processed: Path, raw: Path, config: dict) -> dict:
    """(locality, group or 'All crime', period) -> count, by plain Python over the rows."""
    features = json.loads((raw / "wards.geojson").read_text(encoding="utf-8"))["features"]
    code_of = {f["properties"]["ward_name"]: f["properties"]["ward_code"] for f in features}
    locs = config["localities"]
    town = {code_of.get(w, w) for w in locs[0]["wards"]}
    every = set(code_of.values())
    member = {w: locs[0]["name"] for w in town} | {w: locs[1]["name"] for w in every - town}
    periods = (
        {m: "current" for m in CUR} | {m: "previous" for m in PREV} | {m: "baseline" for m in BASE}
    )
    out: Counter = Counter()
    cols = ["month", "offence_group", "ward_code"]
    for r in pq.read_table(processed / "extract.parquet", columns=cols).to_pylist():
        p = periods.get(r["month"])
        if p is None:
            continue
        loc = member.get(r["ward_code"], "none")
        group = r["offence_group"] or "Unclassified"
        out[(loc, group, p)] += 1
        out[(loc, "All crime", p)] += 1
    return out


def test_sample_localities_match_an_independent_count(processed_sample):
    from helpers.ingest import processed

    cfg = load_area_config("wexley")
    raw = processed_sample.parents[3] / "data" / "raw" / "wexley"
    expected = _independent_counts(processed_sample, raw, _raw_config())
    assert not [k for k in expected if k[0] == "none"]  # every sample crime has a ward
    data = processed.load_processed("wexley", "2022-03")
    cur = ReportingPeriod("2022-03", 12)
    secs = L.locality_sections(
        cfg, data, cur, cur.previous(), V.resolve_baseline(BASELINE, cfg.baselines)
    )
    long = secs[0].tables["localities"]
    rows = long[long["level"].isin(["total", "group"])]
    got = {
        (r["locality"], r["label"], p): int(r[p])
        for _, r in rows.iterrows()
        for p in ("baseline", "previous", "current")
    }
    assert got == {k: v for k, v in expected.items()} | {k: 0 for k in got if k not in expected}
    assert {k for k, v in expected.items() if v} <= set(got)
    key = secs[0].tables["localities_key"].set_index("locality")
    for name in ("Wexley Town", "Outer Wexley"):
        c, p = expected[(name, "All crime", "current")], expected[(name, "All crime", "previous")]
        assert key.loc[name, "all_crime_current"] == c
        assert key.loc[name, "all_crime_pct_change"] == pytest.approx((c - p) / p * 100)
        b = expected[(name, "All crime", "baseline")]
        assert key.loc[name, "baseline_pct_change"] == pytest.approx((c - b) / b * 100)


# --------------------------------------------------------------------------- reconciliation


def _save(area: str, town_current: int) -> Path:
    area_t = pd.DataFrame(
        {
            "level": ["total", "group", "group"],
            "label": ["All crime", "Theft offences", "Robbery"],
            "group": ["", "Theft offences", "Robbery"],
            "baseline": [30, 25, 5],
            "previous": [40, 36, 4],
            "current": [50, 44, 6],
            "measure_id": ["all_crime", "", ""],
        }
    )
    rows = [
        ("Town", "total", "All crime", 20, 30, town_current),
        ("Town", "group", "Theft offences", 18, 28, town_current - 4),
        ("Town", "group", "Robbery", 2, 2, 4),
        ("Rural", "total", "All crime", 9, 9, 9),
        ("Rural", "group", "Theft offences", 6, 7, 7),
        ("Rural", "group", "Robbery", 3, 2, 2),
        (L.NOT_PLACED, "total", "All crime", 1, 1, 1),
        (L.NOT_PLACED, "group", "Theft offences", 1, 1, 1),
    ]
    loc = pd.DataFrame(rows, columns=["locality", "level", "label", *L.SERIES])
    return save_stage_outputs(
        area,
        "2022-03",
        "02_crime_group_variance",
        tables={"three_series": area_t, "localities": loc},
    )


@pytest.fixture
def root(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").touch()
    monkeypatch.setenv("CSP_SCRUTINY_ROOT", str(tmp_path))
    return tmp_path


def test_localities_that_add_up_pass(root):
    assert R.check_localities(_save("good", 40)) == 9
    R.check_report(_save("good", 40))


def test_localities_that_do_not_add_up_fail_naming_locality_and_measure(root):
    folder = _save("bad", 41)
    with pytest.raises(R.ReconciliationError) as info:
        R.check_report(folder)
    text = str(info.value)
    assert "All crime (current): the area has 50 but its localities add up to 51" in text
    assert "Town 41; Rural 9; Not placed in a locality 1" in text
    assert "Theft offences (current): the area has 44 but its localities add up to 45" in text
    assert "Robbery" not in text


def test_locality_table_without_the_area_table_is_an_error(root):
    folder = save_stage_outputs(
        "half", "2022-03", "02_x", tables={"localities": pd.DataFrame({"locality": ["A"]})}
    )
    with pytest.raises(R.ReconciliationError, match="not the area's"):
        R.check_localities(folder)
