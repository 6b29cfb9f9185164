import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.ingest import offences


def test_every_police_uk_crime_type_is_known_and_asb_kept_apart():
    types = pd.Series(offences.police_uk_crime_type_names())
    assert len(types) == 14
    cls = offences.classify_police_uk(types)
    assert cls["known_type"].all()
    assert cls.loc[types == "Anti-social behaviour", "is_asb"].tolist() == [True]
    assert cls["is_asb"].sum() == 1


def test_composites_follow_home_office_definitions():
    codes = pd.Series(["28E", "34A", "34B", "45", "48", "39", "126", "30C", "8N", "999Z"])
    cls = offences.classify_codes(codes).set_index("ho_code")
    # serious acquisitive: residential burglary, robbery (all), theft of/from vehicle
    assert cls["is_sac"].to_dict() == {
        "28E": True,
        "34A": True,
        "34B": True,
        "45": True,
        "48": True,
        "39": False,
        "126": False,
        "30C": False,
        "8N": False,
        "999Z": False,
    }
    # neighbourhood: residential burglary, PERSONAL robbery, theft from the person, vehicle offences
    assert cls.loc["34A", "is_neighbourhood"] == False  # noqa: E712 - business robbery excluded
    assert cls.loc[["28E", "34B", "39", "45", "48", "126"], "is_neighbourhood"].all()
    assert cls.loc["8N", "is_vap"] and not cls.loc["999Z", "known_code"]


def test_code_normalisation():
    assert [offences.normalise_code(c) for c in ["08N", " 105a ", "4.10", "037.1", "1"]] == [
        "8N",
        "105A",
        "4.1",
        "37.1",
        "1",
    ]


def test_reference_table_subgroups_of_violence():
    ref = offences.offence_codes()
    vap = ref[ref.offence_group == offences.VAP]
    assert set(vap.offence_subgroup) == set(offences.VIOLENCE_SUBGROUPS)
    assert not ref["offence_code"].duplicated().any()


def test_positive_outcomes():
    s = pd.Series(
        [
            "Suspect charged",
            "Investigation complete; no suspect identified",
            "Local resolution",
            None,
        ]
    )
    assert offences.is_positive_outcome(s).tolist() == [True, False, True, False]


def test_all_unknown_crime_types_classify_without_error():
    cls = offences.classify_police_uk(pd.Series(["Jaywalking", None, "x"], dtype="string"))
    assert (
        not cls["known_type"].any() and not cls["is_asb"].any() and cls["crime_group"].isna().all()
    )


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(
        st.one_of(
            st.none(),
            st.sampled_from(["08N", "8N", " 105a ", "4.10", "4.1", "", "nan", "000", "28E", "x"]),
            st.text(alphabet="0123456789.aNE ", max_size=6),
        ),
        max_size=40,
    ),
    dtype=st.sampled_from(["string", "str"]),
)
def test_normalise_codes_is_normalise_code_on_every_row(values, dtype):
    """Normalising each distinct code once gives what mapping normalise_code row by row gives."""
    codes = pd.Series(values, dtype=dtype, name="ho_code", index=range(100, 100 + len(values)))
    expected = [offences.normalise_code(v) for v in codes.tolist()]
    got = offences.normalise_codes(codes)
    assert got.tolist() == expected
    assert got.dtype == codes.dtype and got.index.equals(codes.index) and got.name == "ho_code"


def test_a_code_without_a_whole_part_is_normalised_not_a_crash():
    assert offences.normalise_code(".50") == "0.5"
    assert offences.normalise_code("04.10") == "4.1"


def test_normalise_code_cache_keeps_int_and_float_apart():
    # 8 == 8.0 to Python, but they are different codes; the cache must not hand one the other's
    from helpers.ingest.offences import normalise_code

    assert (normalise_code(8), normalise_code(8.0)) == ("8", "8.0")
    assert (normalise_code(8.0), normalise_code(8)) == ("8.0", "8")


def test_long_text_column_classified_per_distinct_value_as_row_by_row():
    """A long string column takes the once-per-distinct-value path; each row must equal the
    classification of that code on the row-by-row path (a short series: the code and a known
    one, since an all-unknown series cannot be classified there)."""
    import numpy as np

    base = ["8N", " 08n ", "105A", None, "ZZZ9", "28E", "", "34B"]
    rng = np.random.default_rng(3)
    vals = [base[i] for i in rng.integers(0, len(base), size=300)]
    codes = pd.Series(vals, dtype="string", index=pd.RangeIndex(5, 305), name="ho_code")
    got = offences.classify_codes(codes)
    rows = pd.concat(
        [offences.classify_codes(pd.Series([v, "8N"], dtype="string")).iloc[:1] for v in vals],
        ignore_index=True,
    )
    rows.index = codes.index
    pd.testing.assert_frame_equal(got, rows)
    assert got["known_code"].dtype == bool and str(got["ref_group"].dtype) == "string"
    assert got.loc[codes.fillna("").str.strip().str.upper().eq("8N"), "is_vap"].all()
