"""Reconciliation: the same measure, area and period has one value everywhere in the outputs.

Every stage saves its headline numbers keyed by measure id, area, period and statistic (see
:func:`helpers.ingest.processed.save_stage_outputs` and :mod:`helpers.stages.measures`):

* ``figures/<stage>.json`` ``"measures"``: one record per number printed in a sentence, chart
  or at-a-glance figure, with ``where`` naming the place;
* ``tables/<stage>__<name>.csv`` with a ``measure_id`` column, read through the figures file's
  ``"table_periods"`` entry for that table (which months each count column covers).

:func:`collect` gathers them all; :func:`conflicts` groups them by (measure, area, period,
statistic) and returns every key with more than one value, naming each place it was printed;
:func:`check_report` raises :class:`ReconciliationError` when there is any. The batch runner
calls :func:`check_report` after the stages of every area and period, so a pack with two
numbers for one thing fails the run instead of reaching the panel.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from helpers.core.errors import ScrutinyError

TOLERANCE = 1e-6  # rates and percentages are compared to this relative precision


class ReconciliationError(ScrutinyError):
    """The stage outputs print different values for the same measure, area and period."""


@dataclass(frozen=True)
class Place:
    value: float | int
    source: str
    where: str  # "02_crime_group_variance: <where>" or a table cell


def _key(r: dict) -> tuple[str, str, str, str]:
    return (str(r["measure"]), str(r["area"]), str(r["period"]), str(r.get("statistic", "count")))


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ReconciliationError(
            f"The stage figures file {path} cannot be read ({exc}).",
            "Re-run the stage that writes it.",
        ) from exc


def _table_records(folder: Path, stage: str, area: str, periods: dict) -> list[dict]:
    out = []
    for table, spec in (periods or {}).items():
        path = folder / "tables" / f"{stage}__{table}.csv"
        if not path.exists():
            raise ReconciliationError(
                f"The figures file of {stage} describes a table {table!r}, but {path} is missing.",
                "Re-run the stage so its tables and figures are written together.",
            )
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        statistic = spec.get("statistic", "count")
        for i, row in enumerate(rows, start=2):
            mid = (row.get("measure_id") or "").strip()
            if not mid:
                continue
            for col, period in (spec.get("columns") or {}).items():
                text = (row.get(col) or "").strip()
                if not text:
                    continue
                try:
                    value = float(text)
                except ValueError:
                    continue
                out.append(
                    {
                        "measure": mid,
                        "area": area,
                        "period": period,
                        "statistic": statistic,
                        "value": int(value) if statistic.startswith("count") else value,
                        "source": spec.get("source", ""),
                        "where": f"{stage}: table {table}, row {i} ({mid}), column {col}",
                    }
                )
    return out


def collect(folder: str | Path) -> list[dict]:
    """Every keyed record in ``folder/figures/*.json`` and the tables they describe."""
    folder = Path(folder)
    out: list[dict] = []
    for path in sorted((folder / "figures").glob("*.json")):
        data = _read_json(path)
        stage = str(data.get("stage", path.stem))
        area = str(data.get("area", ""))
        for r in data.get("measures") or []:
            rec = dict(r)
            rec["where"] = f"{stage}: {r.get('where', '')}"
            out.append(rec)
        out += _table_records(folder, stage, area, data.get("table_periods") or {})
    return out


def _same(a, b) -> bool:
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    a, b = float(a), float(b)
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b))


def conflicts(records: list[dict]) -> dict[tuple[str, str, str, str], list[Place]]:
    """Keys (measure, area, period, statistic) printed with more than one value, and where."""
    groups: dict[tuple[str, str, str, str], list[Place]] = {}
    for r in records:
        if r.get("value") is None:
            continue
        groups.setdefault(_key(r), []).append(
            Place(r["value"], str(r.get("source", "")), str(r.get("where", "")))
        )
    out = {}
    for key, places in groups.items():
        first = places[0].value
        if any(not _same(first, p.value) for p in places[1:]):
            out[key] = places
    return out


def describe(found: dict[tuple[str, str, str, str], list[Place]]) -> str:
    """Plain text listing every conflicting key and the places with their values."""
    lines = []
    for (measure, area, period, statistic), places in found.items():
        lines.append(f"{measure} ({statistic}), area {area}, months {period}:")
        for p in places:
            src = f" [{p.source}]" if p.source else ""
            lines.append(f"  {p.value}{src} in {p.where}")
    return "\n".join(lines)


LOCALITY_SERIES = ("baseline", "previous", "current")


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _count(text: str | None) -> int | None:
    text = (text or "").strip()
    return None if not text else int(round(float(text)))


def check_localities(folder: str | Path) -> int:
    """The area's crime-group counts equal the sum of its localities' (and the rows stated as
    not placed in a locality), for every row and period, in every stage that saved localities.

    Reads ``tables/<stage>__localities.csv`` beside ``tables/<stage>__three_series.csv``.
    Raises :class:`ReconciliationError` naming the measure, the period and each locality's
    count when they do not add up. Returns the number of (row, period) pairs checked.
    """
    folder = Path(folder)
    checked = 0
    problems: list[str] = []
    for loc_path in sorted((folder / "tables").glob("*__localities.csv")):
        stage = loc_path.name.split("__", 1)[0]
        area_path = folder / "tables" / f"{stage}__three_series.csv"
        if not area_path.exists():
            raise ReconciliationError(
                f"{stage} saved locality figures ({loc_path.name}) but not the area's "
                f"({area_path.name}), so they cannot be checked against each other.",
                "Re-run the stage so both tables are written together.",
            )
        area = {(r["level"], r["label"]): r for r in _csv_rows(area_path)}
        parts: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
        for r in _csv_rows(loc_path):
            parts.setdefault((r["level"], r["label"]), {})[r["locality"]] = r
        localities = list(dict.fromkeys(r["locality"] for r in _csv_rows(loc_path)))
        for key in sorted(set(area) | set(parts)):
            for col in LOCALITY_SERIES:
                a = _count(area.get(key, {}).get(col)) if key in area else 0
                shares = {
                    loc: _count(parts.get(key, {}).get(loc, {}).get(col)) or 0 for loc in localities
                }
                if a is None:  # the area's baseline is blank: the data do not reach it
                    continue
                checked += 1
                if sum(shares.values()) != a:
                    each = "; ".join(f"{loc} {n:,}" for loc, n in shares.items())
                    problems.append(
                        f"{key[1]} ({col}): the area has {a:,} but its localities add up to "
                        f"{sum(shares.values()):,} ({each})"
                    )
    if problems:
        raise ReconciliationError(
            f"The localities do not add up to the area in {folder}:\n  "
            + "\n  ".join(problems[:20])
            + (f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""),
            "Every crime must be in exactly one locality or stated as not placed in one: check "
            "the localities in the area config and re-run stage 02.",
        )
    return checked


def check_report(folder: str | Path) -> int:
    """Raise :class:`ReconciliationError` naming the places if any measure has two values, or
    if the localities do not add up to the area (:func:`check_localities`).

    Returns the number of keyed records checked (0 when the stages saved none).
    """
    check_localities(folder)
    records = collect(folder)
    found = conflicts(records)
    if found:
        n = len(found)
        raise ReconciliationError(
            f"{n} measure{'s' if n != 1 else ''} {'have' if n != 1 else 'has'} more than one "
            f"value in the outputs in {folder}:\n{describe(found)}",
            "Take each of these numbers from the measures registry and one source (the stage's "
            "preferred source), and state the other source's figure as a difference in the "
            "methods text.",
        )
    return len(records)


__all__ = [
    "ReconciliationError",
    "collect",
    "conflicts",
    "describe",
    "check_report",
    "check_localities",
]
