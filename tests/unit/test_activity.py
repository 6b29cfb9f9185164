"""Partnership activity returns: schema, line-numbered errors, template, sample file, rendering."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.ingest import activity as act
from helpers.ingest.activity import ActivityFileError, load_activity
from helpers.report.activity import activity_glance, activity_section_html, no_return_sentence
from helpers.run.cli import main
from helpers.sample import wexley as sample
from helpers.sample.geo import WARD_NAMES

WARDS = {f"E0599{i:04d}": name for i, name in enumerate(WARD_NAMES, start=1)}

GOOD = """\
area: testarea
period: 2022-03
priorities:
  - name: Burglary
initiatives:
  - name: Op One
    wards: [E05990001]
    start: 2021-07-01
    end: 2021-09-30
  - name: Op Two
    locality: Town centre
    start: 2021-10
enforcement:
  this_period:
    community_protection_warnings: 12
    criminal_behaviour_orders: 2
  previous_period:
    community_protection_warnings: 9
community_trigger:
  received: 9
  met_threshold: 3
  case_reviews: 3
  reviews_with_recommendations: 2
priority_neighbourhoods:
  - name: Castle estate
    wards: [E05990001]
    actions:
      - Walkabouts
next_three_months:
  - action: Knife angel visit
    when: May 2022
"""


def _write(tmp_path: Path, text: str, name: str = "activity.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based number of the ``nth`` line containing ``needle`` (independent of the loader)."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[nth - 1]


def _error(tmp_path, text, **kw) -> ActivityFileError:
    with pytest.raises(ActivityFileError) as info:
        load_activity(_write(tmp_path, text), wards=WARDS, **kw)
    return info.value


def test_good_file_loads_with_its_values(tmp_path):
    a = load_activity(_write(tmp_path, GOOD), wards=WARDS, area="testarea", period="2022-03")
    raw = yaml.safe_load(GOOD)
    assert [i.name for i in a.initiatives] == [i["name"] for i in raw["initiatives"]]
    assert a.initiatives[1].start == dt.date(2021, 10, 1) and a.initiatives[1].end is None
    assert a.enforcement.this_period.community_protection_warnings == 12
    assert a.enforcement.this_period.community_protection_notices is None  # not known, not 0
    assert a.community_trigger.reviews_with_recommendations == 2
    assert a.period_dates == (dt.date(2021, 4, 1), dt.date(2022, 3, 31))
    assert [i.name for i in a.initiatives_in_ward("E05990001")] == ["Op One"]
    assert a.ward_name("E05990001") == "Castle"


@pytest.mark.parametrize(
    ("old", "new", "needle", "words"),
    [
        (
            "initiatives:",
            "intiatives:",
            "intiatives:",
            ["'intiatives'", "did you mean 'initiatives'"],
        ),
        ("warnings: 12", "warnings: lots", "warnings: lots", ["'lots'", "whole number"]),
        ("warnings: 12", "warnings: -3", "warnings: -3", ["-3", "whole number of 0 or more"]),
        ("warnings: 12", "warnings: 4.5", "warnings: 4.5", ["4.5", "whole number"]),
        ("start: 2021-07-01", "start: 31/07/2021", "start: 31/07/2021", ["YYYY-MM-DD"]),
        ("end: 2021-09-30", "end: 2021-06-30", "end: 2021-06-30", ["ends", "before it starts"]),
        (
            "wards: [E05990001]\n    start",
            "wards: [E05999999]\n    start",
            "E05999999",
            ["not one of the area's 30 wards"],
        ),
        (
            "wards: [E05990001]\n    start",
            "wards: [Castle]\n    start",
            "[Castle]",
            ["ward name", "E05990001"],
        ),
        ("  case_reviews: 3", "  case_reviews: 4", "case_reviews: 4", ["more than", "threshold"]),
        ("    start: 2021-10\n", "", "- name: Op Two", ["has no 'start'", "YYYY-MM-DD"]),
        ("    locality: Town centre\n", "", "- name: Op Two", ["neither where", "locality"]),
        (
            "  - name: Burglary",
            "  - name: Burglary\n    name: Theft",
            "name: Theft",
            ["given twice"],
        ),
        ("    when: May 2022", "    when: May 2022\n   action: x", "action: x", ["not valid YAML"]),
    ],
)
def test_errors_name_the_file_and_the_line(tmp_path, old, new, needle, words):
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    err = _error(tmp_path, text)
    message = str(err)
    assert "activity.yaml" in message
    assert err.line == _line_of(text, needle), message
    assert f"line {err.line}" in message
    for word in words:
        assert word.lower() in message.lower(), message
    assert "What to do:" in message


def test_area_and_period_must_be_the_ones_reported(tmp_path):
    err = _error(tmp_path, GOOD, area="otherarea")
    assert err.line == _line_of(GOOD, "area: testarea") and "otherarea" in str(err)
    err = _error(tmp_path, GOOD, period="2023-03")
    assert err.line == _line_of(GOOD, "period: 2022-03") and "2023-03" in str(err)
    err = _error(tmp_path, GOOD.replace("period: 2022-03", "period: March 2022"))
    assert "YYYY-MM" in str(err)


def test_not_a_mapping_and_missing_file(tmp_path):
    with pytest.raises(ActivityFileError, match="does not hold the headings"):
        load_activity(_write(tmp_path, "- just\n- a list\n"))
    with pytest.raises(ActivityFileError, match="does not exist"):
        load_activity(tmp_path / "absent.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("area: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ActivityFileError, match="not UTF-8"):
        load_activity(bad)


def test_several_errors_are_listed_with_their_lines(tmp_path):
    text = GOOD.replace("warnings: 12", "warnings: lots").replace("orders: 2", "orders: two")
    err = _error(tmp_path, text)
    assert f"Also line {_line_of(text, 'orders: two')}" in str(err)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    counts=st.lists(st.one_of(st.none(), st.integers(0, 5000)), min_size=12, max_size=12),
    bad_index=st.integers(0, 5),
)
def test_any_counts_render_as_given_and_any_bad_ward_is_found(tmp_path, counts, bad_index):
    keys = list(act.ENFORCEMENT_MEASURES)
    now = dict(zip(keys, counts[:6], strict=True))
    before = dict(zip(keys, counts[6:], strict=True))
    initiatives = [
        {"name": f"Initiative {i}", "wards": [f"E0599{i + 1:04d}"], "start": "2021-05-01"}
        for i in range(6)
    ]
    doc = {
        "area": "t",
        "period": "2022-03",
        "initiatives": initiatives,
        "enforcement": {"this_period": now, "previous_period": before},
    }
    text = yaml.safe_dump(doc, sort_keys=False)
    a = load_activity(_write(tmp_path, text), wards=WARDS)
    soup = BeautifulSoup(activity_section_html(a, "2022-03"), "html.parser")
    tables = [t for t in soup.find_all("table") if "Enforcement" in t.caption.text]
    if all(c is None for c in counts):
        assert not tables and "No enforcement figures were reported" in soup.get_text()
        return
    (table,) = tables
    rows = {
        tr.find_all("td")[0].text: [td.text for td in tr.find_all("td")[1:]]
        for tr in table.tbody.find_all("tr")
    }
    for key, label in act.ENFORCEMENT_MEASURES.items():
        shown_before, shown_now, change = rows[label]
        assert shown_before == ("not known" if before[key] is None else f"{before[key]:,}")
        assert shown_now == ("not known" if now[key] is None else f"{now[key]:,}")
        if now[key] is not None and before[key] is not None:
            diff = now[key] - before[key]
            assert change == (
                "no change" if diff == 0 else f"{'up' if diff > 0 else 'down'} {abs(diff):,}"
            )
    # a ward code that is not the area's, in any initiative, is reported on its own line
    doc["initiatives"][bad_index]["wards"] = ["E05009999"]
    text = yaml.safe_dump(doc, sort_keys=False)
    with pytest.raises(ActivityFileError) as info:
        load_activity(_write(tmp_path, text), wards=WARDS)
    assert info.value.line == _line_of(text, "E05009999")


def test_template_is_commented_loads_empty_and_names_the_area(tmp_path):
    text = act.activity_template("wexley", "2022-03", "Wexley CSP", WARDS)
    assert (
        "Wexley CSP" in text and "April 2021 to March 2022" in text and "E05990001 (Castle)" in text
    )
    assert sum(line.lstrip().startswith("#") for line in text.splitlines()) >= 20
    a = load_activity(_write(tmp_path, text), wards=WARDS, area="wexley", period="2022-03")
    assert a.is_empty()
    for key in [*act.ENFORCEMENT_MEASURES, *act.TRIGGER_STAGES]:
        assert f"{key}:" in text  # every count has its line to fill in
    html = activity_section_html(a, "2022-03")
    assert "supplied but left empty" in html


def test_template_examples_load_when_uncommented(tmp_path):
    """The commented examples in the template are themselves a valid return."""
    text = act.activity_template("wexley", "2022-03", "Wexley CSP", WARDS)
    body = "\n".join(
        line.replace("# ", "", 1) if re.match(r"^#( -|   |     )", line) else line
        for line in text.splitlines()
    )
    a = load_activity(_write(tmp_path, body), wards=WARDS)
    assert a.initiatives[0].name == "Operation Example" and a.priority_neighbourhoods


def _area_config(tmp_path: Path, activity: str | None) -> Path:
    gj = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"ward_code": code, "ward_name": name},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[-0.9, 52.2], [-0.89, 52.2], [-0.89, 52.21], [-0.9, 52.2]]],
                },
            }
            for code, name in list(WARDS.items())[:3]
        ],
    }
    (tmp_path / "wards.geojson").write_text(json.dumps(gj), encoding="utf-8")
    lines = [
        "area: testarea",
        "name: Test Partnership",
        "csp_name: Test",
        "force: {name: Test Police, slug: test}",
        "sources:",
        f"  wards: {tmp_path / 'wards.geojson'}",
    ]
    if activity:
        lines.append(f"  partnership_activity: {activity}")
    cfg = tmp_path / "testarea.yaml"
    cfg.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return cfg


def test_area_file_found_by_period_and_absent_means_none(tmp_path):
    from helpers.core.config import load_area_config

    folder = tmp_path / "returns"
    cfg = load_area_config(_area_config(tmp_path, f"{folder}/{{period}}.yaml"))
    assert act.activity_source(cfg, "2022-03").path == folder / "2022-03.yaml"
    assert act.load_area_activity(cfg, "2022-03") is None  # configured, no file for the period
    folder.mkdir()
    _write(folder, GOOD.replace("E05990001", "E05990002"), "2022-03.yaml")
    a = act.load_area_activity(cfg, "2022-03")
    assert a is not None and a.ward_name("E05990002") == "Abbey"
    # only the area's wards count: the sample's 30th ward is not among this area's three
    _write(folder, GOOD.replace("E05990001", "E05990030"), "2022-03.yaml")
    with pytest.raises(ActivityFileError, match="not one of the area's 3 wards"):
        act.load_area_activity(cfg, "2022-03")
    cfg2 = load_area_config(_area_config(tmp_path, str(folder)))  # a folder: <period>.yaml inside
    assert act.activity_source(cfg2, "2022-03").path == folder / "2022-03.yaml"
    cfg3 = load_area_config(_area_config(tmp_path, None))
    assert not act.activity_source(cfg3, "2022-03").configured
    assert act.load_area_activity(cfg3, "2022-03") is None


def test_cli_writes_the_template_once_and_refuses_to_overwrite(tmp_path, capsys):
    cfg = _area_config(tmp_path, f"{tmp_path}/returns/{{period}}.yaml")
    assert main(["activity-template", "--config", str(cfg), "--period", "2022-03"]) == 0
    target = tmp_path / "returns" / "2022-03.yaml"
    text = target.read_text(encoding="utf-8")
    assert "Test Partnership" in text and "E05990001 (Castle)" in text
    target.write_text(text + "# my notes\n", encoding="utf-8")
    assert main(["activity-template", "--config", str(cfg), "--period", "2022-03"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8").endswith("# my notes\n")  # untouched
    assert main(["activity-template", "--config", str(cfg), "--period", "2022-3"]) == 2


def test_sample_writes_a_synthetic_return_that_loads(tmp_path):
    written = sample.write_synthetic_activity(tmp_path)
    (rel,) = written
    path = tmp_path / rel
    text = path.read_text(encoding="utf-8")
    assert "SYNTHETIC" in text
    a = load_activity(path, wards=WARDS, area="wexley", period=sample.ACTIVITY_PERIOD)
    assert a.synthetic
    raw = yaml.safe_load(text)
    first, last = dt.date(2021, 4, 1), dt.date(2022, 3, 31)
    expected = [
        i["name"]
        for i in raw["initiatives"]
        if i["start"] <= last and (i.get("end") is None or i["end"] >= first)
    ]
    assert [i.name for i in a.initiatives_in_period()] == expected
    assert (
        a.enforcement.this_period.community_protection_warnings
        == (raw["enforcement"]["this_period"]["community_protection_warnings"])
    )


def test_section_html_reads_in_plain_english(tmp_path):
    a = load_activity(_write(tmp_path, GOOD), wards=WARDS)
    html = activity_section_html(a, "2022-03")
    soup = BeautifulSoup(html, "html.parser")
    text = soup.get_text(" ")
    assert soup.section["class"] == ["activity"] and soup.h1.text == "Partnership activity"
    assert [h.text for h in soup.find_all("h2")] == [
        "Priorities",
        "Initiatives",
        "Enforcement",
        "Community Trigger (anti-social behaviour case reviews)",
        "Priority neighbourhoods",
        "The next three months",
    ]
    # initiatives: names, ward names (never codes), dates in words
    init = next(t for t in soup.find_all("table") if "initiative" in t.caption.text)
    assert init.caption.text == "2 named initiatives ran during the period"
    cells = [[td.get_text(" ") for td in tr.find_all("td")] for tr in init.tbody.find_all("tr")]
    assert cells[0][1] == "Castle ward" and cells[0][2] == "1 Jul 2021 to 30 Sep 2021"
    assert cells[1][1] == "Town centre" and cells[1][2] == "From 1 Oct 2021, continuing"
    assert (
        "received 9 Community Trigger requests; 3 met the threshold for a case review, "
        "3 case reviews were held and 2 led to recommendations." in text
    )
    enf = next(t for t in soup.find_all("table") if "Enforcement" in t.caption.text)
    heads = [th.text for th in enf.thead.find_all("th")]
    assert heads == ["Measure", "April 2020 to March 2021", "April 2021 to March 2022", "Change"]
    row = {tr.td.text: [td.text for td in tr.find_all("td")[1:]] for tr in enf.tbody.find_all("tr")}
    assert row["Community Protection Warnings"] == ["9", "12", "up 3"]
    assert row["Criminal Behaviour Orders"] == ["not known", "2", "not known"]
    assert row["Closure orders"] == ["not known", "not known", "not known"]
    # no developer strings: no keys, codes, file names
    for bad in ("E0599", "_", ".yaml", "None", "null"):
        assert bad not in text, bad
    assert "not official statistics" in text


def test_section_says_plainly_when_no_return_was_supplied():
    html = activity_section_html(None, "2022-03")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.h1.text == "Partnership activity"
    assert soup.p.text == no_return_sentence("2022-03")
    assert "No partnership activity return was supplied for April 2021 to March 2022" in soup.p.text
    assert activity_glance(None) == [("Partnership activity return", "not supplied")]


def test_initiatives_outside_the_period_are_left_out(tmp_path):
    text = GOOD.replace(
        "start: 2021-07-01\n    end: 2021-09-30", "start: 2020-01-01\n    end: 2021-03-31"
    )
    a = load_activity(_write(tmp_path, text), wards=WARDS)
    assert [i.name for i in a.initiatives_in_period()] == ["Op Two"]
    assert activity_glance(a)[0] == ("Named initiatives in the period", "1")


def test_area_section_for_the_pack(tmp_path):
    from helpers.report.activity import area_activity_section

    cfg = _area_config(tmp_path, f"{tmp_path}/{{period}}.yaml")
    html, glance = area_activity_section(str(cfg), "2022-03")
    assert "No partnership activity return was supplied" in html
    assert glance == [("Partnership activity return", "not supplied")]
    _write(tmp_path, GOOD.replace("area: testarea", "area: testarea"), "2022-03.yaml")
    html, glance = area_activity_section(str(cfg), "2022-03", heading_level=2)
    assert "<h2>Partnership activity</h2>" in html and "<h3>Initiatives</h3>" in html
    assert ("Community Trigger requests", "9") in glance


def test_after_cleaning_the_area_wards_are_the_processed_ones(tmp_path, monkeypatch):
    """A national boundary file names wards outside the area; the processed table does not."""
    import pandas as pd

    from helpers.core.config import load_area_config

    cfg = load_area_config(_area_config(tmp_path, None))
    assert len(act.area_wards(cfg)) == 3  # the boundary file
    monkeypatch.setenv("CSP_SCRUTINY_ROOT", str(tmp_path))
    folder = tmp_path / "data" / "processed" / "testarea" / "2022-03"
    folder.mkdir(parents=True)
    pd.DataFrame({"ward_code": ["E05990002"], "ward_name": ["Abbey"]}).to_parquet(
        folder / "wards.parquet"
    )
    assert act.area_wards(cfg, "2022-03") == {"E05990002": "Abbey"}
    assert len(act.area_wards(cfg, "2021-03")) == 3  # not cleaned for that period


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5000), st.floats(allow_nan=False), st.text(max_size=12),
    st.dates(),
)  # fmt: skip
_keys = st.sampled_from(
    ["area", "period", "initiatives", "name", "start", "end", "wards", "locality", "enforcement",
     "this_period", "previous_period", "community_trigger", "received", "met_threshold",
     "priorities", "next_three_months", "action", "actions", "priority_neighbourhoods", "x", "1"]
)  # fmt: skip
_docs = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_keys, inner, max_size=5)),
    max_leaves=20,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(doc=st.dictionaries(_keys, _docs, max_size=6))
def test_any_document_loads_or_gets_a_clear_error(tmp_path, doc):
    """Whatever shape a return has, the user gets a return or an error naming file and line."""
    path = _write(tmp_path, yaml.safe_dump({"area": "t", "period": "2022-03", **doc}))
    try:
        a = load_activity(path, wards=WARDS)
    except ActivityFileError as exc:
        assert "activity.yaml" in str(exc) and exc.fix
    else:
        activity_section_html(a, "2022-03")  # and whatever loads renders


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=200))
def test_any_text_loads_or_gets_a_clear_error(tmp_path, text):
    try:
        load_activity(_write(tmp_path, text), wards=WARDS)
    except ActivityFileError as exc:
        assert "activity.yaml" in str(exc)
