import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers.ingest.ledger import Ledger


def test_summary_balances_and_lists_reasons():
    led = Ledger()
    led.add_read("a.csv", "street", 5)
    src = pd.Series(["a.csv"] * 5)
    kept = pd.Series([True, False, True, False, True])
    reasons = pd.Series(["", "duplicate Crime ID", "", "outside the area", ""])
    led.record_frame(src, "street", kept, reasons)
    s = led.summary().set_index("table").loc["street"]
    assert (s["read"], s["kept"], s["rejected"], bool(s["balanced"])) == (5, 3, 2, True)
    assert set(led.rejections()["reason"]) == {"duplicate Crime ID", "outside the area"}
    led.check()


def test_unbalanced_ledger_is_caught():
    led = Ledger()
    led.add_read("a.csv", "street", 3)
    led.add_kept("a.csv", "street", 2)
    with pytest.raises(AssertionError, match="a.csv"):
        led.check()


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["f1", "f2", "f3"]), st.booleans(), st.sampled_from(["r1", "r2"])
        ),
        min_size=0,
        max_size=60,
    )
)
def test_kept_plus_rejected_equals_read(rows):
    led = Ledger()
    df = pd.DataFrame(rows, columns=["src", "kept", "reason"])
    for f, n in df["src"].value_counts().items():
        led.add_read(f, "t", int(n))
    if len(df):
        led.record_frame(df["src"], "t", df["kept"], df["reason"])
    led.check()
    s = led.summary()
    assert int(s["read"].sum()) == len(df) == int(s["kept"].sum() + s["rejected"].sum())
