"""The force extract's Commissioner columns: knife/sharp-object flag, firearm flag, victim id.

A Police and Crime Commissioner reports knife crime, firearm offences and victims as well as
offences (seed 003: "61,888 (52,448)" = offences (victims)). A force extract carries these as
columns; the area config maps them under ``sources.force_extract.columns``:

``knife_crime``
    the offence involved a knife or sharp instrument (flag);
``firearm``
    the offence involved a firearm (flag);
``victim_id``
    a reference for the victim, the same for every offence against the same person, so that
    distinct victims can be counted.

Flags: ``Y``, ``Yes``, ``True``, ``1``, ``T`` (any case) are true; ``N``, ``No``, ``False``, ``0``,
``F`` and a blank cell are false (most exports leave the flag blank when it does not apply).
Anything else (``Maybe``, ``2``, ``knife``) is refused: a :class:`DataFileError` naming the file,
the row, the column and the value, because guessing would change a published count.

Victim references are text, stripped; a blank cell means the offence has no recorded victim
(drugs possession, public order and many crimes against society have none) and is counted as
an offence but not as a victim.

:func:`add_extract_flags` adds the processed columns ``knife_crime`` (boolean), ``firearm``
(boolean) and ``victim_id`` (string); a column the config does not map is all missing
(``<NA>``), which the Commissioner's stage reads as "not supplied" and says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.core.errors import DataFileError

FLAG_COLUMNS = ("knife_crime", "firearm")
VICTIM_COLUMN = "victim_id"
COLUMNS = (*FLAG_COLUMNS, VICTIM_COLUMN)
TRUE = frozenset({"y", "yes", "true", "1", "t"})
FALSE = frozenset({"n", "no", "false", "0", "f", ""})
LABELS = {
    "knife_crime": "knife or sharp instrument flag",
    "firearm": "firearm flag",
    "victim_id": "victim reference",
}


def parse_flag(values: pd.Series, column: str, label: str, rows) -> pd.Series:
    """A flag column as booleans; a value that is neither true nor false is a DataFileError.

    ``values`` are the raw cells (text or missing), ``rows`` their 1-based line numbers in
    ``label`` (the file's name), used in the message.
    """
    text = values.astype("string").fillna("").str.strip().str.lower()
    bad = ~(text.isin(TRUE) | text.isin(FALSE))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raw = values.iloc[i]
        others = sorted(set(values[bad].astype(str).str.strip()))[:5]
        raise DataFileError(
            f"{label}, row {int(np.asarray(rows)[i])}: the {LABELS.get(column, column)} "
            f"({column}) is {str(raw)!r}, which is neither yes nor no "
            f"({int(bad.sum())} row(s) like this; values seen: {', '.join(map(repr, others))}).",
            "Write Y/Yes/True/1 for an offence that is flagged and N/No/False/0 or leave the "
            "cell blank for one that is not, or correct the column named in "
            f"'sources.force_extract.columns.{column}'.",
        )
    return pd.Series(text.isin(TRUE).to_numpy(), index=values.index, dtype="boolean")


def add_extract_flags(
    df: pd.DataFrame, raw: pd.DataFrame, label: str, rows, columns: dict[str, str]
) -> pd.DataFrame:
    """Add ``knife_crime``, ``firearm`` and ``victim_id`` to the cleaned extract ``df``.

    ``raw`` is the extract read with our column names (``df`` has the same index), ``rows`` the
    file line numbers, ``columns`` the config's mapping. A key the config maps to a column the
    file lacks is an error naming both; an unmapped key gives an all-missing column.
    """
    for key in COLUMNS:
        if key in (columns or {}) and key not in raw.columns:
            raise DataFileError(
                f"{label} has no column {columns[key]!r}, which the area config names for the "
                f"{LABELS[key]} ('sources.force_extract.columns.{key}').",
                "Correct the column name in the config to this export's heading, or remove the "
                "line if the export has no such column.",
            )
    for key in FLAG_COLUMNS:
        if key in raw.columns:
            df[key] = parse_flag(raw[key], key, label, rows).to_numpy()
        else:
            df[key] = pd.array([pd.NA] * len(df), dtype="boolean")
    if VICTIM_COLUMN in raw.columns:
        v = raw[VICTIM_COLUMN].astype("string").str.strip().replace("", pd.NA)
        df[VICTIM_COLUMN] = v.to_numpy()
        df[VICTIM_COLUMN] = df[VICTIM_COLUMN].astype("string")
    else:
        df[VICTIM_COLUMN] = pd.Series(pd.NA, index=df.index, dtype="string")
    return df


__all__ = ["COLUMNS", "FLAG_COLUMNS", "VICTIM_COLUMN", "TRUE", "FALSE", "parse_flag",
           "add_extract_flags"]  # fmt: skip
