"""Back-test the measures registry on a real police.uk month (Northumbria, December 2022).

Every crime type in the real file must belong to exactly one measure police.uk counts exactly
(so nothing is lost or double-counted), and each such measure's count through the registry must
equal a count made here with the csv module straight from the raw file.
"""

from __future__ import annotations

import csv
import gzip
from collections import Counter

import pandas as pd
import pytest

from helpers.stages import measures as M

pytestmark = pytest.mark.backtest


@pytest.fixture(scope="module")
def street(shared_data):
    path = shared_data / "policeuk" / "northumbria" / "2022-12-northumbria-street.csv.gz"
    if not path.exists():
        pytest.skip(f"{path} is not in the shared data")
    with gzip.open(path, "rt", encoding="utf-8-sig") as fh:
        types = Counter(r["Crime type"] for r in csv.DictReader(fh))
    df = pd.read_csv(path, usecols=["Crime type"]).rename(columns={"Crime type": "crime_type"})
    return df, types


def test_every_real_crime_type_is_counted_by_the_registry(street):
    df, types = street
    assert sum(types.values()) == len(df) > 10_000
    for t, n in types.items():
        mid = M.police_uk_type_measure(t)
        if mid is None:  # a type split over Home Office groups: counted inside all crime only
            assert t in M.get("all_crime").police_uk_types, t
            continue
        assert int(M.street_mask(df, mid).sum()) == n, t
    crimes = sum(n for t, n in types.items() if t != "Anti-social behaviour")
    assert int(M.street_mask(df, "all_crime").sum()) == crimes
    assert int(M.street_mask(df, "asb").sum()) == types["Anti-social behaviour"]
    pu_sac = types["Burglary"] + types["Robbery"] + types["Vehicle crime"]
    assert int(M.street_mask(df, "sac_police_uk").sum()) == pu_sac
    vso = types["Violence and sexual offences"]
    assert int(M.street_mask(df, "violence_and_sexual_offences").sum()) == vso
