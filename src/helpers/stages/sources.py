"""Which source a stage reads: the one rule behind every stage's ``source`` parameter.

``source`` is one of :data:`SOURCES`:

* ``"extract"`` — the force extract, with a clear error when it is absent or cannot answer the
  stage's question;
* ``"police_uk"`` — police.uk street crime, with a clear error when it is absent;
* ``"auto"`` — the force extract when it has rows *and* can answer the stage's question
  (``extract_usable``), otherwise police.uk street crime.

Stage 02 (crime-group variance) can use any extract with rows; stage 03 (violence) also needs
an offence group or code, and says so through ``extract_usable`` and ``extract_need``. Both ask
this function, so ``auto`` means the same thing on every page of the pack.
"""

from __future__ import annotations

import pandas as pd

from helpers.core.errors import DataFileError, ParameterError

__all__ = ["EXTRACT", "POLICE_UK", "SOURCES", "choose_source"]

EXTRACT = "extract"
POLICE_UK = "police_uk"
SOURCES = ("auto", EXTRACT, POLICE_UK)


def choose_source(
    source: str,
    extract: pd.DataFrame | None,
    street: pd.DataFrame | None,
    *,
    extract_usable: bool = True,
    extract_need: str = "",
) -> str:
    """Resolve ``source`` to ``"extract"`` or ``"police_uk"`` by the one rule above.

    ``extract_usable`` is the stage's own test that the extract can answer its question (it is
    combined with "has rows"); ``extract_need`` says in words what the stage needs from it, for
    the error message. Raises :class:`ParameterError` for an unknown value and
    :class:`DataFileError` when the requested (or any) source is absent.
    """
    if source not in SOURCES:
        raise ParameterError(
            f"source = {source!r} is not one of {', '.join(SOURCES)}.",
            "Use 'auto' (the force extract when there is a usable one), 'extract' or 'police_uk'.",
        )
    has_extract = extract is not None and len(extract) > 0 and bool(extract_usable)
    has_street = street is not None and len(street) > 0
    if source == EXTRACT and not has_extract:
        why = "is missing or empty"
        if extract is not None and len(extract) > 0:
            why = f"has no {extract_need}" if extract_need else "cannot be used by this stage"
        raise DataFileError(
            f"source = 'extract' was asked for, but this area's force extract {why}.",
            "Add the force extract to the area config (sources.force_extract) and re-run the "
            "cleaning stage, or use source = 'auto' or 'police_uk'.",
        )
    if source == POLICE_UK and not has_street:
        raise DataFileError(
            "source = 'police_uk' was asked for, but there is no police.uk street data.",
            "Add police.uk data to the area config (sources.police_uk) and re-run the cleaning "
            "stage, or use source = 'auto' or 'extract'.",
        )
    if source != "auto":
        return source
    if has_extract:
        return EXTRACT
    if has_street:
        return POLICE_UK
    raise DataFileError(
        "There is neither a usable force extract nor police.uk street data for this area and "
        "period.",
        "Configure at least one of the two sources in the area config and re-run the cleaning "
        "stage.",
    )
