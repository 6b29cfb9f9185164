"""The Commissioner's measures (helpers.stages.commissioner) on small hand-built extracts.

Expected counts are worked out here by hand or with plain Python over the same rows, and the
significance words with scipy, never read back from the stage's own helpers.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats

from helpers.core.config import AreaConfig
from helpers.stages import commissioner as C

PERIOD = "2022-03"


def _months(end: str) -> list[str]:
    return [str(p) for p in pd.period_range(end=pd.Period(end, freq="M"), periods=12, freq="M")]


CUR, PREV, BASE = _months("2022-03"), _months("2021-03"), _months("2019-06")


def _cfg(**kw) -> AreaConfig:
    base = dict(
        area="testarea",
        name="Test CSP",
        csp_name="Test",
        force_name="Test Police",
        force_slug="test",
        sources={},
        commissioner={},
    )
    base.update(kw)
    return AreaConfig(**base)


def _extract(with_flags: bool = True, with_victims: bool = True) -> pd.DataFrame:
    """Every month of April 2018 to March 2022: per month 30 thefts (the same 10 victims twice
    and 10 once in each month) and 3 violent offences of which the first is knife-flagged; one
    homicide in each of three months of the current year."""
    rows = []
    months = [str(p) for p in pd.period_range("2018-04", "2022-03", freq="M")]
    for m in months:
        for i in range(30):
            rows.append(("Theft offences", "Shoplifting", False, False, f"{m}-V{i % 20}"))
        for i in range(3):
            rows.append(
                ("Violence against the person", "Violence with injury", i == 0, False, f"{m}-A{i}")
            )
    for m in ("2021-05", "2021-09", "2022-01"):
        rows.append(("Violence against the person", "Homicide", False, True, f"{m}-H"))
    df = pd.DataFrame(
        rows, columns=["offence_group", "offence_subgroup", "knife_crime", "firearm", "victim_id"]
    )
    df["month"] = [r[4][:7] for r in rows]
    df["is_sac"] = False
    df["is_neighbourhood"] = False
    df["domestic_flag"] = pd.array([False] * len(df), dtype="boolean")
    df["knife_crime"] = df["knife_crime"].astype("boolean")
    df["firearm"] = df["firearm"].astype("boolean")
    df["victim_id"] = df["victim_id"].astype("string")
    if not with_flags:
        df["knife_crime"] = pd.array([pd.NA] * len(df), dtype="boolean")
        df["firearm"] = pd.array([pd.NA] * len(df), dtype="boolean")
    if not with_victims:
        df["victim_id"] = pd.Series(pd.NA, index=df.index, dtype="string")
    return df


def _by(table: pd.DataFrame) -> dict:
    return {(r.measure_id, r.statistic): r for r in table.itertuples()}


def test_counts_victims_knife_and_homicide_by_window():
    ex = _extract()
    t = C.measures_table(ex, CUR, PREV, BASE, list(C.TABLE_ROWS))
    by = _by(t)
    # 33 offences a month (+3 homicides in the current year)
    assert by[("all_crime", "count")].current == 12 * 33 + 3
    assert by[("all_crime", "count")].previous == 12 * 33
    assert by[("all_crime", "count")].baseline == 12 * 33
    # victims: 20 theft victims and 3 violence victims a month, all different across months
    assert by[("all_crime", "distinct_victims")].current == 12 * 23 + 3
    assert by[("all_crime", "distinct_victims")].previous == 12 * 23
    assert by[("knife_crime", "count")].current == 12
    assert by[("firearm_crime", "count")].current == 3
    assert by[("firearm_crime", "count")].previous == 0
    assert by[("vap.homicide", "count")].current == 3
    assert by[("vap.homicide", "count")].baseline == 0


def test_small_numbers_give_no_percentage_and_no_test():
    t = C.measures_table(_extract(), CUR, PREV, BASE, list(C.TABLE_ROWS))
    by = _by(t)
    for key in (("vap.homicide", "count"), ("knife_crime", "count"), ("firearm_crime", "count")):
        r = by[key]
        assert math.isnan(r.pct_change), key  # 12 and 3 are below 20
        assert r.significance == "Too few to test"
        assert r.baseline_significance == "Too few to test"
    assert by[("vap.homicide", "count")].change == 3  # the change is given in numbers
    # victims are never tested (a victim counts once a year)
    assert by[("all_crime", "distinct_victims")].significance == "Not tested"


def test_baseline_words_follow_the_exact_test():
    ex = _extract()
    extra = ex[ex["month"].isin(CUR) & (ex["offence_subgroup"] == "Shoplifting")].head(60)
    ex = pd.concat([ex, extra], ignore_index=True)
    t = C.measures_table(ex, CUR, PREV, BASE, [("all_crime", "count")])
    r = t.iloc[0]
    c, b = 12 * 33 + 3 + 60, 12 * 33
    assert (r.current, r.baseline) == (c, b)
    p = stats.binomtest(c, c + b, 0.5).pvalue
    want = "No significant change" if p >= 0.05 else "Significant rise"
    assert r.baseline_significance == want
    assert r.baseline_pct_change == pytest.approx((c - b) / b * 100)


def test_absent_flags_and_victims_say_what_is_missing_and_how_to_supply_it():
    secs = C.commissioner_sections(
        _cfg(), _extract(with_flags=False, with_victims=False), PERIOD, exceptional=[]
    )
    measures = secs[0]
    shown = set(measures.tables["commissioner_measures"]["measure"])
    assert "Knife or sharp instrument offences" not in shown
    assert C.VICTIMS_LABEL not in shown
    missing = " ".join(measures.figures["missing"])
    assert "has no flag for offences involving a knife or sharp instrument" in missing
    assert "has no flag for offences involving a firearm" in missing
    assert "has no victim reference for its offences" in missing
    notes = " ".join(measures.notes)
    assert "sources.force_extract.columns.knife_crime" in notes
    assert "sources.force_extract.columns.victim_id" in notes
    # no developer words in what the panel reads
    assert "sources." not in missing and "_" not in missing
    text = secs[0].tables["commissioner_text"]
    assert (text["kind"] == "missing").sum() >= 3


def test_no_survey_and_no_national_rate_are_said_plainly():
    pop = pd.DataFrame({"csp_name": ["Test"], "year": [2021], "population": [150_000]})
    secs = C.commissioner_sections(_cfg(), _extract(), PERIOD, csp_population=pop, exceptional=[])
    by = {s.key: s for s in secs}
    sat = by["satisfaction"]
    assert sat.sentences == [
        "Victim satisfaction is not shown: no results from the force's victim satisfaction "
        "survey were supplied to this report."
    ]
    assert "sources.victim_survey" in " ".join(sat.notes)
    hom = by["homicide"]
    text = " ".join(hom.sentences)
    rate = 3 / 150_000 * 1e6
    assert f"{rate:,.1f} homicides per million residents" in text
    assert "ONS mid-2021 population estimate for Test" in text
    assert "The national rate was not supplied to this report" in text
    assert "not as a percentage or a change in the rate" in text
    low, high = stats.chi2.ppf(0.025, 6) / 2, stats.chi2.ppf(0.975, 8) / 2  # Garwood, n = 3
    row = hom.tables["commissioner_homicide"].iloc[0]
    assert row["rate_low"] == pytest.approx(low / 150_000 * 1e6)
    assert row["rate_high"] == pytest.approx(high / 150_000 * 1e6)


def test_national_rate_is_printed_beside_the_area_rate():
    pop = pd.DataFrame(
        {"csp_name": ["Test", "Test", "Other"], "year": [2020, 2021, 2021],
         "population": [9, 100_000, 5]}
    )  # fmt: skip
    cfg = _cfg(
        commissioner={
            "national_homicide": {
                "per_million": 11.3,
                "period": "year to March 2022",
                "source": "ONS",
            }
        }
    )
    secs = C.commissioner_sections(cfg, _extract(), PERIOD, csp_population=pop, exceptional=[])
    hom = next(s for s in secs if s.key == "homicide")
    text = " ".join(hom.sentences)
    assert "30.0 homicides per million residents" in text
    assert "beside 11.3 per million in England and Wales (year to March 2022; ONS)" in text
    assert hom.figures["measures"][0]["statistic"] == "rate_per_million"


def test_no_extract_at_all():
    secs = C.commissioner_sections(_cfg(), None, PERIOD, exceptional=[])
    assert "need the force's offence extract" in secs[0].sentences[0]
    assert [s.key for s in secs] == ["measures", "satisfaction"]


def test_measures_setting_limits_the_sections():
    cfg = _cfg(commissioner={"measures": ["knife_crime"]})
    secs = C.commissioner_sections(cfg, _extract(), PERIOD, exceptional=[])
    assert [s.key for s in secs] == ["measures"]
    assert list(secs[0].tables["commissioner_measures"]["measure_id"]) == ["knife_crime"]


def test_survey_small_number_rule_and_interval(tmp_path):
    f = tmp_path / "survey.csv"
    f.write_text(
        "period,question,respondents,satisfied\n"
        "2021-03,Overall satisfaction,400,296\n"
        "2022-03,Overall satisfaction,400,320\n"
        "2022-03,Hate crime victims,12,9\n",
        encoding="utf-8",
    )
    cfg = _cfg(sources={"victim_survey": str(f)})
    sec = C.satisfaction_section(cfg, PERIOD)
    t = sec.tables["commissioner_satisfaction"].set_index("question")
    assert t.loc["Overall satisfaction", "pct_satisfied"] == pytest.approx(80.0)
    ci = stats.binomtest(320, 400).proportion_ci(0.95, method="wilson")
    assert t.loc["Overall satisfaction", "pct_low"] == pytest.approx(ci.low * 100)
    p = stats.fisher_exact([[320, 80], [296, 104]]).pvalue
    assert t.loc["Overall satisfaction", "significance"] == (
        "Significant rise" if p < 0.05 else "No significant change"
    )
    assert math.isnan(t.loc["Hate crime victims", "pct_satisfied"])
    assert t.loc["Hate crime victims", "significance"] == "Too few respondents to test"
    assert sec.figures["measures"][0]["value"] == pytest.approx(80.0)


# --------------------------------------------------------------------------- config and CLI


def _config_text(block: str) -> str:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "config" / "wexley.yaml").read_text("utf-8")
    start = text.index("commissioner:")
    end = text.index("committee:")
    return text[:start] + block + text[end:]


@pytest.mark.parametrize(
    ("block", "pattern"),
    [
        ("commissioner:\n  baseline: 2019-13\n", r"'commissioner.baseline' is '2019-13'"),
        (
            "commissioner:\n  measures: [knife]\n",
            r"'commissioner.measures\[0\]' is 'knife'.*knife_crime",
        ),
        ("commissioner:\n  measures: []\n", r"commissioner.measures"),
        (
            "commissioner:\n  national_homicide: {per_million: lots, period: x, source: y}\n",
            r"commissioner.national_homicide.per_million",
        ),  # fmt: skip
        (
            "commissioner:\n  national_homicide: {per_million: 11.3}\n",
            r"'commissioner.national_homicide.period' is missing",
        ),  # fmt: skip
        ("commissioner:\n  basline: 2019-06\n", r"did you mean 'commissioner.baseline'"),
    ],
)
def test_commissioner_settings_are_checked(tmp_path, block, pattern):
    from helpers.core.config import load_area_config
    from helpers.core.errors import ConfigError

    p = tmp_path / "area.yaml"
    p.write_text(_config_text(block), encoding="utf-8")
    with pytest.raises(ConfigError, match=pattern):
        load_area_config(str(p))


def test_commissioner_settings_are_read(tmp_path):
    from helpers.core.config import load_area_config

    p = tmp_path / "area.yaml"
    block = "commissioner:\n  baseline: 2019-12\n  measures: [vap.homicide]\n"
    p.write_text(_config_text(block), encoding="utf-8")
    cfg = load_area_config(str(p))
    assert C.baseline_period(cfg).month_list[0] == "2019-01"
    assert C.wanted(cfg) == ["vap.homicide"]
    assert cfg.commissioner["national_homicide"] is None


def test_survey_template_command(tmp_path, capsys):
    from helpers.ingest.survey import COLUMNS, read_victim_survey
    from helpers.run import cli

    out = tmp_path / "survey.csv"
    assert cli.main(["survey-template", "--area", "wexley", "--out", str(out)]) == 0
    assert ",".join(COLUMNS) in out.read_text(encoding="utf-8")
    assert read_victim_survey(out).empty
    assert cli.main(["survey-template", "--area", "wexley", "--out", str(out)]) == 2
    assert "never written over" in capsys.readouterr().err
