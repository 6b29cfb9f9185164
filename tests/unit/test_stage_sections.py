"""Stages 04 and 01 as sections (stages/ward_stage.py, stages/cleaning_stage.py), built without a
notebook: every figure has alt text, and what they save is the frozen ground truth's file list."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.core.config import load_area_config
from helpers.core.sections import Section

pytestmark = pytest.mark.slow
FROZEN = Path(__file__).resolve().parents[1] / "ground_truth" / "wexley" / "2022-03" / "tables"


def _frozen(stage: str) -> list[str]:
    return sorted(p.name for p in FROZEN.glob(f"{stage}__*.csv"))


def _flat(*items) -> list[Section]:
    out = []
    for it in items:
        out += it if isinstance(it, list) else [it]
    return out


def test_ward_stage_sections_and_outputs(processed_sample):
    from helpers.present.ward_sections import WardMaps
    from helpers.stages import ward_stage

    st = ward_stage.build(load_area_config("wexley"), "wexley", "2022-03")
    maps = WardMaps(st)
    sections = _flat(st.intro(), st.data_notes(), st.totals(), maps.count_maps(),
                     st.population_note(), maps.hotspot_maps(), maps.density(True),
                     st.change_summary(), maps.change_maps(), st.priority(),
                     maps.concentration(), st.summary())  # fmt: skip
    figures = [s for s in sections if s.figure is not None]
    assert (
        len(figures) == 10 + 5 + 1 + 5 + 1
    )  # counts and rates, hot spots, density, change, Lorenz
    assert all(s.alt for s in figures)
    out = st.outputs()
    assert sorted(f"{ward_stage.STAGE}__{n}.csv" for n in out["tables"]) == _frozen(
        ward_stage.STAGE
    )
    assert out["sentences"] == st.sentences and set(out["headlines"]) <= set(st.sentences)


def test_cleaning_stage_outputs_match_the_ledger(processed_sample):
    from helpers.present import cleaning_sections
    from helpers.stages import cleaning_stage

    st = cleaning_stage.build(load_area_config("wexley"), "2022-03")
    sections = _flat(st.intro(), st.ledger(), cleaning_sections.months(st), st.placement(),
                     cleaning_sections.check_notes(st))  # fmt: skip
    assert [s.key for s in sections if s.figure is not None] == ["months_chart"]
    out = st.outputs()
    assert sorted(f"{cleaning_stage.STAGE}__{n}.csv" for n in out["tables"]) == _frozen(
        cleaning_stage.STAGE
    )
    ledger = st.result.ledger.summary()
    assert (
        out["figures"]["rows_read"] == out["figures"]["rows_kept"] + out["figures"]["rows_rejected"]
    )
    assert out["figures"]["rows_read"] == int(ledger["read"].sum())
