"""The police.uk rejection rules, in one place: their names, order and ledger wording.

Both cleaning engines read this module: :mod:`helpers.ingest.fastclean` (Arrow, the one the
cleaning stage and national runs use) and the pandas oracle the tests compare it with
(``tests/oracle_cleaning.py``). A street row is rejected for the *first* rule it breaks, in the
order of :data:`STREET_RULES`; an outcome row likewise in the order of :data:`OUTCOME_RULES`.
Changing a reason's wording here changes it in the ledger, the manifest and both engines.

Street rows (after rows with more fields than the header, which are never parsed):

1. the Month column is not a ``YYYY-MM`` month;
2. it is not the month in the file name;
3. it is after the period end;
4. the crime type is not one police.uk publishes (``helpers/data/police_uk_crime_types.csv``);
5. a crime (not anti-social behaviour) has no Crime ID;
6. the Crime ID's first appearance, ordered by (month, file, row), is in another file: repeats
   *within* one file are kept, as police.uk counts each;
7. the row is in no ward of the area and has no usable point (placed by LSOA or nowhere);
8. the row's point or LSOA is in a ward outside the area.

Outcome rows: 1-3 as street rows, then no Crime ID, a blank outcome type, outside the area (by
the outcome's own location) and a crime not in the area's kept street rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.core.periods import MONTH_RE

MALFORMED = "malformed row (more fields than the header)"
UNPARSEABLE_MONTH = "unparseable month"
MONTH_MISMATCH = "Month column does not match the month in the file name"
AFTER_PERIOD = "month outside the requested span (after the period end)"
UNKNOWN_TYPE = "unknown crime type"
NO_CRIME_ID = "crime row without a Crime ID"
DUPLICATE_ID = "duplicate Crime ID (already in an earlier monthly file)"
NOWHERE = "missing or zeroed coordinates and LSOA not in the area"
OUTSIDE = "outside the area"
OUTCOME_NO_ID = "outcome without a Crime ID"
OUTCOME_NO_TYPE = "missing outcome type"
OUTCOME_NO_CRIME = "crime not in this area's kept street data"

STREET_RULES = (
    UNPARSEABLE_MONTH,
    MONTH_MISMATCH,
    AFTER_PERIOD,
    UNKNOWN_TYPE,
    NO_CRIME_ID,
    DUPLICATE_ID,
    NOWHERE,
    OUTSIDE,
)
OUTCOME_RULES = (
    UNPARSEABLE_MONTH,
    MONTH_MISMATCH,
    AFTER_PERIOD,
    OUTCOME_NO_ID,
    OUTCOME_NO_TYPE,
    OUTSIDE,
    OUTCOME_NO_CRIME,
)

# repairs: rows kept after a recorded change
BAD_COORDINATES = "coordinates not a finite number on the globe: placed by LSOA instead"
OVERLAP = "point in overlapping wards: first ward by code"
ALL_STREET_FILES = "(all street files)"  # the ledger source of the overlap repair


def whole_file_copy(kept_label: str) -> str:
    """The reason for every row of a file that repeats another file's month."""
    return f"whole file is a copy of {kept_label} (same month): read once"


# --------------------------------------------------------------------------- warnings


def file_shape_warnings(
    label: str, rows: int, malformed: int, extra: list[str], short: list[tuple[int, int]]
) -> list[str]:
    """Warnings naming a file's header-only state, ignored extra columns and truncated rows."""
    out = []
    if rows + malformed == 0:
        out.append(f"{label} has a header but no data rows; it is counted as read with 0 rows.")
    if extra:
        out.append(
            f"{label} has extra column(s) {', '.join(repr(c) for c in extra)}, which are ignored."
        )
    if short:
        where = ", ".join(f"row {r} ({n} fields)" for r, n in short[:5]) + (
            " ..." if len(short) > 5 else ""
        )
        out.append(
            f"{label} has {len(short)} row(s) with fewer fields than the header (truncated?): {where}; "
            "the missing fields are taken as blank, so such rows are usually rejected below."
        )
    return out


def unknown_types_warning(rows: int, types: list[str]) -> str | None:
    """The warning for street rows of an unknown crime type (``types``: the non-blank ones)."""
    if not types:
        return None
    types = sorted(types)
    return (
        f"{rows} street row(s) were rejected for an unknown crime type: "
        f"{', '.join(repr(t) for t in types[:10])}"
        f"{' ...' if len(types) > 10 else ''} (blank types come from truncated rows). "
        "If a police.uk type was renamed, add it to helpers/data/police_uk_crime_types.csv."
    )


NO_OUTCOMES = "No police.uk outcomes files were found: positive outcome rates cannot be computed."


# --------------------------------------------------------------------------- outcomes


def outcome_reasons(
    outc: pd.DataFrame, file_month: pd.Series, period_end: str, in_area, crime_kept
) -> pd.Series:
    """The reject reason of each outcome row (<NA> when kept), first rule broken wins.

    ``outc`` has ``crime_id`` (trimmed, blank -> <NA>), ``month`` (trimmed) and ``outcome_type``
    (trimmed); ``file_month`` the month of each row's file; ``in_area`` whether the outcome's own
    location is in the area; ``crime_kept`` whether its Crime ID is one of the area's kept
    street rows (boolean, per row).
    """
    reason = pd.Series(pd.NA, index=outc.index, dtype="string")

    def reject(mask, why: str) -> None:
        nonlocal reason
        reason = reason.mask(reason.isna() & np.asarray(mask, dtype=bool), why)

    bad = ~outc["month"].fillna("").str.match(MONTH_RE).astype(bool)
    reject(bad, UNPARSEABLE_MONTH)
    reject((outc["month"] != file_month).fillna(True), MONTH_MISMATCH)
    reject((outc["month"] > period_end).fillna(False), AFTER_PERIOD)
    reject(outc["crime_id"].isna(), OUTCOME_NO_ID)
    reject(outc["outcome_type"].fillna("") == "", OUTCOME_NO_TYPE)
    reject(~np.asarray(in_area, dtype=bool), OUTSIDE)
    reject(~np.asarray(crime_kept, dtype=bool), OUTCOME_NO_CRIME)
    return reason
