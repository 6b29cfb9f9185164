"""The measures registry: every measure defined once, mapped to codes and police.uk types as
documented. Expected sets come from the reference CSVs read here with the csv module."""

from __future__ import annotations

import csv
from importlib import resources

import pandas as pd
import pytest

from helpers.core.errors import ParameterError
from helpers.ingest.offences import normalise_code
from helpers.stages import measures as M


def _csv(name: str) -> list[dict]:
    with resources.files("helpers.data").joinpath(name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


CODES = _csv("home_office_offence_codes.csv")
TYPES = _csv("police_uk_crime_types.csv")
ROWS = _csv("measures.csv")


def codes_where(pred) -> set[str]:
    return {normalise_code(r["offence_code"]) for r in CODES if pred(r)}


def test_every_home_office_group_and_subgroup_is_a_measure_with_its_codes():
    by_name = {r["name"]: r for r in ROWS}
    for g in {r["offence_group"] for r in CODES}:
        assert by_name[g]["kind"] == "group"
        assert M.ho_codes(by_name[g]["measure_id"]) == codes_where(
            lambda r, g=g: r["offence_group"] == g
        )
    subgroups = {(r["offence_group"], r["offence_subgroup"]) for r in CODES}
    multi = {g for g, _ in subgroups if sum(1 for x, _ in subgroups if x == g) > 1}
    for g, s in subgroups:
        if g not in multi:
            continue  # a group with one subgroup is shown as the group alone
        row = by_name[s]
        assert row["kind"] == "subgroup"
        assert by_name[g]["measure_id"] == row["parent"]
        assert M.ho_codes(row["measure_id"]) == codes_where(
            lambda r, s=s: r["offence_subgroup"] == s
        )


def test_each_code_in_exactly_one_group_and_all_crime_holds_every_code():
    everything = codes_where(lambda r: True)
    assert M.ho_codes("all_crime") == everything
    groups = [r["measure_id"] for r in ROWS if r["kind"] == "group"]
    seen: list[str] = []
    for g in groups:
        seen += sorted(M.ho_codes(g))
    assert sorted(seen) == sorted(everything)  # a partition: no code twice, none left out


def test_composites_follow_the_home_office_definitions():
    assert M.ho_codes("sac") == codes_where(lambda r: r["sac"] == "1")
    assert M.ho_codes("neighbourhood") == codes_where(lambda r: r["neighbourhood"] == "1")
    # residential burglary, robbery (both kinds), theft of and from a vehicle, aggravated taking
    assert M.ho_codes("sac") == {"28E", "28F", "28G", "28H", "34A", "34B", "45", "48", "37.2"}
    assert "126" not in M.ho_codes("sac")  # interfering with a vehicle is not SAC
    assert "34A" not in M.ho_codes("neighbourhood")  # business robbery is not neighbourhood
    assert M.ho_codes("vap") == codes_where(lambda r: r["offence_group"] == M.name("vap"))
    assert M.ho_codes("violence_and_sexual_offences") == codes_where(
        lambda r: r["offence_group"] in ("Violence against the person", "Sexual offences")
    )
    assert M.ho_codes("asb") == frozenset()


def test_police_uk_types_and_match_as_documented():
    types = {r["crime_type"] for r in TYPES}
    for row in ROWS:
        pu = {x for x in row["police_uk_types"].split(";") if x}
        assert pu <= types, row["measure_id"]
        if row["kind"] in ("asb", "flagged", "survey"):
            continue
        codes = M.ho_codes(row["measure_id"])
        # the police.uk types are the ones the measure's codes are published under
        assert pu == {
            r["police_uk_crime_type"] for r in CODES if normalise_code(r["offence_code"]) in codes
        }
        under = codes_where(lambda r, pu=pu: r["police_uk_crime_type"] in pu)
        expected = "exact" if under == set(codes) else "approximate"
        assert row["police_uk_match"] == expected, row["measure_id"]
    # every police.uk crime type is counted exactly by one measure of its own
    for t in types:
        mid = M.police_uk_type_measure(t)
        if t in ("Burglary", "Robbery", "Vehicle crime", "Drugs", "Shoplifting", "Bicycle theft"):
            assert mid is not None, t
    assert M.police_uk_type_measure("Anti-social behaviour") == "asb"
    assert M.get("sac").police_uk_measure == "sac_police_uk"
    assert M.ho_codes("sac_police_uk") == codes_where(
        lambda r: r["police_uk_crime_type"] in ("Burglary", "Robbery", "Vehicle crime")
    )


def test_sources_precedence_and_names():
    assert M.preferred_source("all_crime", ["police_uk", "force_extract"]) == "force_extract"
    assert M.preferred_source("all_crime", ["police_uk"]) == "police_uk"
    assert M.preferred_source("asb", ["force_extract", "home_office"]) is None
    assert M.preferred_source("vap_domestic", ["force_extract"]) == "force_extract"
    names = [r["name"] for r in ROWS]
    assert len(names) == len(set(names))  # one printed name, one measure
    with pytest.raises(ParameterError, match="not a measure"):
        M.get("violence")


def test_masks_count_hand_built_rows():
    extract = pd.DataFrame(
        {
            "offence_group": ["Theft offences", "Theft offences", "Robbery", "Violence against the person", None],
            "offence_subgroup": ["Residential burglary", "Burglary - business and community",
                                 "Robbery of business property", "Violence with injury", None],
            "is_sac": [True, False, True, False, False],
            "is_neighbourhood": [True, False, False, False, False],
            "domestic_flag": pd.array([None, False, False, True, None], dtype="boolean"),
        }
    )  # fmt: skip
    assert M.extract_mask(extract, "sac").tolist() == [True, False, True, False, False]
    assert M.extract_mask(extract, "sac_police_uk").tolist() == [True, True, True, False, False]
    assert M.extract_mask(extract, "burglary").sum() == 2
    assert M.extract_mask(extract, "vap_domestic").tolist() == [False, False, False, True, False]
    assert M.extract_mask(extract, "all_crime").all()
    street = pd.DataFrame(
        {"crime_type": ["Burglary", "Robbery", "Vehicle crime", "Anti-social behaviour"]}
    )
    assert M.street_mask(street, "sac_police_uk").tolist() == [True, True, True, False]
    assert M.street_mask(street, "asb").tolist() == [False, False, False, True]
    with pytest.raises(ParameterError, match="sac_police_uk"):
        M.street_mask(street, "sac")
    csp = pd.DataFrame({"offence_code": ["28E", "30C", "126", "34A"], "count": [1, 2, 3, 4]})
    assert int(csp.loc[M.csp_mask(csp, "sac"), "count"].sum()) == 5


def test_labels_map_to_ids_by_source():
    assert M.id_for("Serious acquisitive crime", "composite") == "sac"
    assert M.id_for("Serious acquisitive crime", "composite", "police_uk") == "sac_police_uk"
    assert M.id_for("Violence against the person (composite)", "composite") is None
    assert M.id_for("Burglary", "subgroup", "police_uk") == "burglary"
    assert M.id_for("anything", "total") == "all_crime"
    assert M.id_for("Residential burglary", "subgroup", "police_uk") is None
    assert M.id_for("Unclassified", "group") is None


def test_period_key_and_records():
    assert M.period_key(["2021-05", "2021-04", "2021-06"]) == "2021-04..2021-06"
    assert M.period_key(["2021-04", "2021-06"]) == "2021-04..2021-06 without 2021-05"
    r = M.record("sac", "wexley", ["2021-04", "2021-05"], 12.0, "a table")
    assert r == {
        "measure": "sac", "area": "wexley", "period": "2021-04..2021-05", "statistic": "count",
        "value": 12, "source": "", "where": "a table",
    }  # fmt: skip
    with pytest.raises(ParameterError):
        M.record("sac", "wexley", ["2021-04"], 1, "x", statistic="median")


def test_source_difference_sentence():
    s = M.source_difference(
        "all_crime", ("force_extract", 24823), ("home_office", 24854), "2021/22"
    )
    assert "24,823" in s and "24,854" in s and "31 (0.1%) more" in s


def test_source_difference_tiny_and_equal():
    s = M.source_difference("all_crime", ("force_extract", 21074), ("police_uk", 21072), "2020/21")
    assert "2 (under 0.1%) fewer" in s
    s = M.source_difference("sac", ("force_extract", 5), ("home_office", 5), "2020/21")
    assert "same figure" in s


def test_label_table_relabels_police_uk_composites_only():
    t = pd.DataFrame(
        {
            "level": ["total", "subgroup", "composite", "composite", "asb"],
            "label": ["All crime", "Burglary", "Serious acquisitive crime", "Neighbourhood crime",
                      "Anti-social behaviour"],
            "caveat": ["", "", "police.uk approximation", "x", ""],
        }
    )  # fmt: skip
    pu = M.label_table(t, "police.uk")
    assert pu["measure_id"].tolist() == [
        "all_crime", "burglary", "sac_police_uk", "neighbourhood_police_uk", "asb"
    ]  # fmt: skip
    assert pu.loc[2, "label"] == "Burglary, robbery and vehicle crime"
    assert "interfering with a vehicle" in pu.loc[2, "caveat"]
    ex = M.label_table(t, "force extract")
    assert ex["label"].tolist() == t["label"].tolist()
    assert ex["measure_id"].tolist()[2:4] == ["sac", "neighbourhood"]
