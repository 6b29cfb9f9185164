"""Saving a stage clears that stage's old tables and figures, and nothing else (issue 15, item 4)."""

from __future__ import annotations

import json

import pandas as pd

from helpers.ingest.processed import save_stage_outputs

AREA, PERIOD, STAGE = "testarea", "2022-03", "04_ward_hotspots"


def _report(root):
    return root / "reports" / AREA / PERIOD


def test_second_run_removes_tables_it_no_longer_writes(tmp_path, monkeypatch):
    monkeypatch.setenv("CSP_SCRUTINY_ROOT", str(tmp_path))
    t = pd.DataFrame({"a": [1, 2]})
    save_stage_outputs(AREA, PERIOD, STAGE, tables={"keep": t, "old": t, "older": t})
    out = _report(tmp_path)
    # files this save must never touch: another stage's table, a stage whose name starts the
    # same way, the stage's executed notebook and PDF, a hand-made note, and the raw data
    others = [
        out / "tables" / "02_crime_group_variance__variance.csv",
        out / "tables" / "04_ward_hotspots_extra__x.csv",
        out / "figures" / "02_crime_group_variance.json",
        out / "04_ward_hotspots.ipynb",
        out / "04_ward_hotspots.pdf",
        out / "tables" / "notes.txt",
        tmp_path / "data" / "raw" / AREA / "04_ward_hotspots__old.csv",
    ]
    for p in others:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x", encoding="utf-8")
    stale_figure = out / "figures" / f"{STAGE}__map.svg"
    stale_figure.write_text("<svg/>", encoding="utf-8")

    save_stage_outputs(AREA, PERIOD, STAGE, tables={"keep": t})

    names = sorted(p.name for p in (out / "tables").iterdir())
    assert names == sorted(
        ["02_crime_group_variance__variance.csv", "04_ward_hotspots_extra__x.csv",
         f"{STAGE}__keep.csv", "notes.txt"]
    )  # fmt: skip
    assert not stale_figure.exists()
    assert all(p.exists() for p in others)
    record = json.loads((out / "figures" / f"{STAGE}.json").read_text(encoding="utf-8"))
    assert record["removed"] == [
        f"figures/{STAGE}__map.svg",
        f"tables/{STAGE}__old.csv",
        f"tables/{STAGE}__older.csv",
    ]
    # the kept table is this run's
    assert pd.read_csv(out / "tables" / f"{STAGE}__keep.csv")["a"].tolist() == [1, 2]


def test_first_run_records_nothing_removed(tmp_path, monkeypatch):
    monkeypatch.setenv("CSP_SCRUTINY_ROOT", str(tmp_path))
    save_stage_outputs(AREA, PERIOD, STAGE, tables={"t": pd.DataFrame({"a": [1]})})
    record = json.loads(
        (_report(tmp_path) / "figures" / f"{STAGE}.json").read_text(encoding="utf-8")
    )
    assert record["removed"] == []
