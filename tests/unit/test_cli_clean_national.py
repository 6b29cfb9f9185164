"""``scrutiny clean-national``: national police.uk street files -> Parquet + ledger, via the CLI."""

from __future__ import annotations

import pandas as pd

from helpers.run.cli import main
from helpers.sample import national as national_sample


def test_clean_national_writes_parquet_and_prints_the_ledger(tmp_path, capsys):
    src = tmp_path / "police_uk"
    info = national_sample.generate_national(src, rows=6_000, forces=2, months=3)
    months = national_sample.month_list("2019-04", 3)  # 2019-04 .. 2019-06
    # count data lines independently: every line but the header, in files up to 2019-05
    files = sorted(src.rglob("*-street.csv"))
    wanted = [f for f in files if f.name[:7] <= months[1]]
    lines = sum(len(f.read_text().splitlines()) - 1 for f in wanted)
    out = tmp_path / "out"

    assert (
        main(["clean-national", "--source", str(src), "--out", str(out), "--period", months[1]])
        == 0
    )
    text = capsys.readouterr().out
    kept = pd.read_parquet(out / "street.parquet")
    ledger = pd.read_csv(out / "ledger.csv")
    read = ledger.loc[ledger["status"] == "read", "rows"].sum()
    rejected = ledger.loc[ledger["status"] == "rejected", "rows"].sum()
    assert read == lines and len(kept) + rejected == lines
    assert set(kept["month"]) == set(months[:2])
    assert f"Rows read {lines:,}: kept {len(kept):,}, rejected {rejected:,}." in text
    assert f"Cleaned {len(wanted)} street files up to {months[1]}" in text
    assert "Not read: 2 street file(s) after 2019-05." in text
    assert "balanced" in text and "True" in text
    assert kept["easting"].isna().all()  # national runs leave projection to the area stages

    # without --period: up to the latest month found
    assert main(["clean-national", "--source", str(src), "--out", str(out), "--project"]) == 0
    kept = pd.read_parquet(out / "street.parquet")
    assert kept["month"].max() == months[2] and kept["easting"].notna().any()
    assert info["files"] == len(files) == 6


def test_clean_national_reports_a_missing_source(tmp_path, capsys):
    assert main(["clean-national", "--source", str(tmp_path / "nope"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "nope" in err
