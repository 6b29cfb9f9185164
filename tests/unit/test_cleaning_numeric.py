"""The extract's text-to-number conversion, worked out once per distinct text
(helpers.ingest.cleaning._numeric), against pandas' own ``to_numeric`` on every row."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.ingest.cleaning import _numeric


@pytest.mark.parametrize(
    "values",
    [
        ["1", "2", "2", "x", None, "1e3", "12.5", " 3", "-0", "inf"] * 5,  # repeats: distinct path
        ["7"] * 9,
        [None] * 8,
        ["1", "1", "1", "2.5"],
        [str(i) for i in range(40)],  # all distinct: pandas' own call
        [],
    ],
)
def test_numeric_equals_to_numeric_on_every_row(values):
    s = pd.Series(values, dtype="string", index=range(3, 3 + len(values)), name="hour")
    want = pd.to_numeric(s, errors="coerce")
    got = _numeric(s)
    pd.testing.assert_series_equal(got, want)
    assert got.dtype == want.dtype
