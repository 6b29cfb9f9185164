"""pandera schemas for the processed tables (docs/architecture.md is the prose version).

The cleaning stage validates every table it writes; a failure here is a bug in cleaning, not a
user error, because user-caused problems are rejected row by row into the ledger first.
"""

from __future__ import annotations

import pandera.pandas as pa

from helpers.core.periods import MONTH_PATTERN

MONTH = MONTH_PATTERN
WARD_METHODS = ["point-in-polygon", "lsoa-lookup", "unassigned"]

street_schema = pa.DataFrameSchema(
    {
        "crime_id": pa.Column("string", nullable=True),
        "month": pa.Column("string", pa.Check.str_matches(MONTH)),
        "crime_type": pa.Column("string"),
        "crime_group": pa.Column("string"),
        "is_asb": pa.Column(bool),
        "is_sac": pa.Column(bool),
        "is_neighbourhood": pa.Column(bool),
        "longitude": pa.Column(float, nullable=True),
        "latitude": pa.Column(float, nullable=True),
        "easting": pa.Column(float, nullable=True),
        "northing": pa.Column(float, nullable=True),
        "ward_code": pa.Column("string", nullable=True),
        "ward_method": pa.Column("string", pa.Check.isin(WARD_METHODS)),
    },
    checks=[
        pa.Check(
            lambda df: ~df.loc[~df["is_asb"], "crime_id"].isna(),
            element_wise=False,
            error="every crime (non-ASB row) has a Crime ID",
        ),
    ],
    strict=False,
    coerce=False,
)

outcomes_schema = pa.DataFrameSchema(
    {
        "crime_id": pa.Column("string", nullable=False),
        "month": pa.Column("string", pa.Check.str_matches(MONTH)),
        "outcome_type": pa.Column("string"),
        "is_positive": pa.Column(bool),
    },
    strict=False,
)

extract_schema = pa.DataFrameSchema(
    {
        "offence_id": pa.Column("string", unique=True),
        "month": pa.Column("string", pa.Check.str_matches(MONTH)),
        "ho_code": pa.Column("string"),
        "offence_group": pa.Column("string", nullable=True),
        "domestic_flag": pa.Column("boolean", nullable=True),
        "is_vap": pa.Column(bool),
        "known_code": pa.Column(bool),
        "ward_method": pa.Column("string", pa.Check.isin(WARD_METHODS)),
    },
    strict=False,
)

csp_counts_schema = pa.DataFrameSchema(
    {
        "financial_year": pa.Column("string", pa.Check.str_matches(r"^\d{4}/\d{2}$")),
        "quarter": pa.Column("int64", pa.Check.isin([1, 2, 3, 4])),
        "csp_name": pa.Column("string"),
        "offence_code": pa.Column("string"),
        "count": pa.Column("int64"),
    },
    strict=False,
)

population_schema = pa.DataFrameSchema(
    {
        "csp_name": pa.Column("string"),
        "year": pa.Column("int64"),
        "population": pa.Column("int64", pa.Check.gt(0)),
    },
    strict=False,
)
