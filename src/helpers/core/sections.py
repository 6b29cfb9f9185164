"""A report section as data: what a stage helper returns and a notebook shows.

A stage helper (``helpers.stages.*``) computes one section of its report and returns a
:class:`Section`; the notebook displays it with :func:`helpers.present.sections.show` and the
stage's outputs are saved from the sections' ``tables``. The notebook is then markdown (the
report's words that do not depend on the data) plus one call per section, and no figure,
sentence or table is picked out of a list by position or by its first words.

Fields
------
- ``key``: a short identifier, unique within the stage (``"headline"``, ``"msg"``); the
  pack and the tests find a section's parts by it.
- ``sentences``: plain-English sentences (Markdown allowed), in the order the reader sees them.
- ``table`` with ``formats`` (column → kind, as :func:`helpers.present.tables.show_table`),
  ``caption``, ``note`` and ``suppressed`` (a boolean frame: True = printed as ``*``).
- ``figure``: a function of no arguments returning a matplotlib figure, and ``alt``, the one
  sentence saying what it shows (the PDF's alt text and caption). The figure is drawn only when
  shown, so a section can be built (and tested) without drawing.
- ``notes``: caveats printed under the section (method, small numbers, missing inputs).
- ``tables``: the tables to save as the stage's outputs, by file stem (``"variance"`` →
  ``tables/variance.parquet``).
- ``figures``: numbers for the stage's figures record (reconciliation, the pack's tiles).

Optional parts for the stage's saved record (all empty by default; a stage that does not use
them leaves them out):

- ``preamble``: Markdown shown first that is not one of the stage's findings (the period
  reported on, where the figures come from, a data warning); shown, but not saved with the
  sentences.
- ``headlines``: the section's sentences for the panel pack's front page.
- ``glance``: label → formatted value for the pack's at-a-glance tiles.
- ``measures``: the section's printed numbers keyed by measure, area and period
  (:func:`helpers.stages.measures.record`), for the reconciliation check.
- ``table_periods``: for a saved table with a ``measure_id`` column, which months and source
  each count column covers (as :func:`helpers.ingest.processed.save_stage_outputs`).
- ``source_notes``: sentences saying how far another source's count is from the one shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Section", "merged_figures", "merged_tables"]


@dataclass
class Section:
    key: str
    sentences: list[str] = field(default_factory=list)
    table: Any = None  # pandas.DataFrame | None (core imports no pandas)
    formats: dict[str, str] = field(default_factory=dict)
    caption: str | None = None
    note: str | None = None
    suppressed: Any = None
    figure: Callable[[], Any] | None = None
    alt: str | None = None
    notes: list[str] = field(default_factory=list)
    tables: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    preamble: list[str] = field(default_factory=list)
    headlines: list[str] = field(default_factory=list)
    glance: dict[str, str] = field(default_factory=dict)
    measures: list[dict] = field(default_factory=list)
    table_periods: dict[str, dict] = field(default_factory=dict)
    source_notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.figure is not None and not self.alt:
            raise ValueError(f"Section {self.key!r} has a figure but no alt text.")


def merged_tables(sections: Iterable[Section]) -> dict[str, Any]:
    """Every section's ``tables`` in one dict; a stem saved by two sections is an error."""
    out: dict[str, Any] = {}
    for s in sections:
        for name, table in s.tables.items():
            if name in out:
                raise ValueError(f"Table {name!r} is saved by two sections (second: {s.key!r}).")
            out[name] = table
    return out


def merged_figures(sections: Iterable[Section]) -> dict[str, Any]:
    """Every section's ``figures`` in one dict; a key given by two sections is an error."""
    out: dict[str, Any] = {}
    for s in sections:
        for name, value in s.figures.items():
            if name in out:
                raise ValueError(f"Figure {name!r} is given by two sections (second: {s.key!r}).")
            out[name] = value
    return out
