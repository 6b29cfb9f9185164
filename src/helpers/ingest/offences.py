"""Offence classification: Home Office offence codes and police.uk crime types.

Two reference tables ship with the package (``helpers/data``):

* ``home_office_offence_codes.csv`` — offence code → description, Home Office offence group and
  subgroup, the police.uk crime type it is published under, and membership of the composites
  the seeds use (serious acquisitive crime, neighbourhood crime).
* ``police_uk_crime_types.csv`` — the 14 police.uk crime types → the nearest Home Office group.

Composites (Home Office definitions):

* **Serious acquisitive crime (SAC)**: residential burglary, robbery, theft of and from a vehicle.
* **Neighbourhood crime**: residential burglary, personal robbery, theft from the person,
  vehicle offences.
* **Violence against the person (VAP)**: the Home Office offence group of that name.
* **ASB** is kept apart: incidents, not notifiable crimes.

Caveat for police.uk: its "Burglary" does not split residential from business burglary, its
"Robbery" does not split personal from business robbery and "Violence and sexual offences"
merges two Home Office groups. police.uk composites are therefore approximations (in the sample
police.uk's burglary, robbery and vehicle crime is 18% more than serious acquisitive crime); the
measures registry (``helpers.stages.measures``) prints them under their own names.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

VAP = "Violence against the person"
ASB = "Anti-social behaviour"
VIOLENCE_SUBGROUPS = (
    "Homicide",
    "Violence with injury",
    "Violence without injury",
    "Stalking and harassment",
    "Death or serious injury caused by unlawful driving",
)


@lru_cache(maxsize=1)
def offence_codes() -> pd.DataFrame:
    """The Home Office offence-code reference table (codes as strings)."""
    with resources.files("helpers.data").joinpath("home_office_offence_codes.csv").open("rb") as fh:
        df = pd.read_csv(fh, dtype={"offence_code": str})
    df["sac"] = df["sac"].astype(bool)
    df["neighbourhood"] = df["neighbourhood"].astype(bool)
    return df


@lru_cache(maxsize=1)
def police_uk_types() -> pd.DataFrame:
    """The police.uk crime-type reference table."""
    with resources.files("helpers.data").joinpath("police_uk_crime_types.csv").open("rb") as fh:
        df = pd.read_csv(fh, keep_default_na=False)
    for c in ("is_asb", "sac", "neighbourhood"):
        df[c] = df[c].astype(int).astype(bool)
    return df


def police_uk_crime_type_names() -> list[str]:
    return police_uk_types()["crime_type"].tolist()


@lru_cache(maxsize=65536, typed=True)  # typed: 8 and 8.0 are different codes
def normalise_code(code) -> str:
    """'08N' -> '8N', ' 105a ' -> '105A', 4.10 -> '4.1'. Codes are matched on this form."""
    text = str(code).strip().upper()
    if not text or text == "NAN":
        return ""
    if text.replace(".", "", 1).isdigit() and "." in text:
        whole, frac = text.split(".")
        # ".5" (no whole part) is "0.5": it used to raise ValueError and stop the cleaning
        return f"{int(whole or '0')}.{frac.rstrip('0') or '0'}"
    head = text.lstrip("0")
    return head or "0"


def classify_police_uk(crime_type: pd.Series) -> pd.DataFrame:
    """Columns ``crime_group``, ``is_asb``, ``is_sac``, ``is_neighbourhood``, ``known_type``.

    Unknown crime types get ``known_type = False`` and null group (the cleaning stage rejects
    them into the ledger).
    """
    ref = police_uk_types().set_index("crime_type")
    ct = crime_type.astype("string")
    known = ct.isin(ref.index)
    out = pd.DataFrame(index=crime_type.index)
    out["crime_group"] = ct.map(ref["crime_group"]).astype("string")
    for col, refcol in (
        ("is_asb", "is_asb"),
        ("is_sac", "sac"),
        ("is_neighbourhood", "neighbourhood"),
    ):
        # map through plain object values: with pandas' string dtype an all-unknown series maps to
        # an all-null string array that cannot be cast to bool
        out[col] = (
            ct.astype(object).map(ref[refcol].to_dict()).fillna(False).astype(bool).to_numpy()
        )
    out["known_type"] = known.fillna(False).astype(bool)
    return out


def normalise_codes(codes: pd.Series) -> pd.Series:
    """:func:`normalise_code` of every value, as ``codes.map(normalise_code)`` gives it.

    A text column is normalised once per distinct value (a force extract repeats a few hundred
    codes over 100,000 rows: the per-row calls were a fifth of the extract's cleaning time). Other
    dtypes are mapped row by row, since 8 and 8.0 are one value to pandas but two codes here.
    """
    if isinstance(codes.dtype, pd.StringDtype):
        index, distinct = pd.factorize(codes, use_na_sentinel=False)
        table = np.array([normalise_code(v) for v in distinct], dtype=object)
        return pd.Series(table[index], index=codes.index, dtype=codes.dtype, name=codes.name)
    return codes.map(normalise_code)


def classify_codes(codes: pd.Series) -> pd.DataFrame:
    """Classify Home Office offence codes.

    Returns columns ``ho_code`` (normalised), ``ref_description``, ``ref_group``,
    ``ref_subgroup``, ``police_uk_crime_type``, ``is_vap``, ``is_sac``, ``is_neighbourhood``,
    ``known_code``. Unknown codes are kept with ``known_code = False`` so they can be listed.

    A text column is classified once per distinct value and spread back (an extract repeats a
    few hundred codes over 100,000 rows); the frame is the one the row-by-row rule gives.
    """
    if isinstance(codes.dtype, pd.StringDtype) and len(codes) > 256:
        index, distinct = pd.factorize(codes, use_na_sentinel=False)
        small = _classify_codes(pd.Series(distinct, dtype=codes.dtype, name=codes.name))
        out = small.take(index)
        out.index = codes.index
        return out
    return _classify_codes(codes)


def _classify_codes(codes: pd.Series) -> pd.DataFrame:
    ref = offence_codes().copy()
    ref["key"] = ref["offence_code"].map(normalise_code)
    ref = ref.set_index("key")
    key = normalise_codes(codes)
    out = pd.DataFrame(index=codes.index)
    out["ho_code"] = key.astype("string")
    out["ref_description"] = key.map(ref["offence_description"]).astype("string")
    out["ref_group"] = key.map(ref["offence_group"]).astype("string")
    out["ref_subgroup"] = key.map(ref["offence_subgroup"]).astype("string")
    out["police_uk_crime_type"] = key.map(ref["police_uk_crime_type"]).astype("string")
    out["is_vap"] = (out["ref_group"] == VAP).fillna(False).astype(bool)
    out["is_sac"] = key.map(ref["sac"]).fillna(False).astype(bool)
    out["is_neighbourhood"] = key.map(ref["neighbourhood"]).fillna(False).astype(bool)
    out["known_code"] = key.isin(ref.index)
    return out


POSITIVE_OUTCOMES = frozenset(
    {
        "Suspect charged",
        "Suspect charged as part of another case",
        "Offender given a caution",
        "Offender given a drugs possession warning",
        "Offender given conditional discharge",
        "Local resolution",
        "Offender given penalty notice",
        "Offender given community sentence",
        "Offender fined",
        "Offender sent to prison",
        "Offender given suspended prison sentence",
        "Offender deprived of property",
        "Offender ordered to pay compensation",
        "Offender otherwise dealt with",
        "Defendant sent to Crown Court",
        "Court case unable to proceed",
        "Offender given absolute discharge",
        "Community resolution",
        "Cautioned",
        "Taken into consideration",
    }
)
"""police.uk outcome types counted as a *positive outcome* (a sanction or out-of-court disposal:
charge/summons, caution, community resolution, penalty notice, drugs warning, taken into
consideration and court disposals). "Court case unable to proceed" follows a charge and is
counted too; acquittals ("Defendant found not guilty") follow a charge but are excluded here,
as the Home Office outcome framework counts the charge itself (type 1) once."""


def is_positive_outcome(outcome_type: pd.Series) -> pd.Series:
    return outcome_type.astype("string").isin(POSITIVE_OUTCOMES).fillna(False).astype(bool)
