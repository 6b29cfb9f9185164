"""Hand-made stage outputs for the panel pack tests (no notebook run needed).

``make_outputs(root)`` writes, under a scratch project root, what the four stages save:
``reports/<area>/<period>/figures/*.json`` and ``tables/*.csv``, the processed manifest and
ward boundaries (six square wards), and an area config with a ``committee`` key. The numbers
are invented but consistent, so tests can compute the expected values by hand.

Also the checks shared by the PDF and HTML tests: developer strings, repeated sentences,
technical terms that need the glossary.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

AREA, PERIOD = "testshire", "2022-03"
WARDS = [
    ("E05000001", "Castle", 6000),
    ("E05000002", "Abbey", 8000),
    ("E05000003", "Riverside", 7000),
    ("E05000004", "Millfield", 5000),
    ("E05000005", "Orchard", 6500),
    ("E05000006", "Upton", 7500),
]
# ward, all crime now, change, significant — and the other measures as (now, change, significant)
WARD_CHANGE = {
    "all_crime": [
        (900, 300, True),
        (400, 20, False),
        (500, -90, True),
        (150, 10, False),
        (300, 5, False),
        (250, -10, False),
    ],
    "violence": [
        (400, 120, True),
        (150, 5, False),
        (200, -20, False),
        (60, 3, False),
        (90, 2, False),
        (80, -4, False),
    ],
    "sac": [
        (60, 10, False),
        (40, 2, False),
        (50, -5, False),
        (20, 1, False),
        (30, 0, False),
        (25, -2, False),
    ],
    "burglary": [
        (30, 5, False),
        (None, None, False),
        (25, 2, False),
        (10, 1, False),
        (12, 0, False),
        (9, -1, False),
    ],
    "asb": [
        (200, -80, True),
        (100, -40, True),
        (120, -30, False),
        (50, -5, False),
        (70, -10, False),
        (60, -6, False),
    ],
}
CONFIG = """area: testshire
name: Testshire Community Safety Partnership
csp_name: Testshire
synthetic: true
force:
  name: Testshire Police
  slug: testshire
sources:
  police_uk: data/raw/testshire/police_uk
geography:
  crs: EPSG:27700
analysis:
  baselines:
    pre-COVID (year to Dec 2019): 2019-12
  disclosure_threshold: 5
committee:
  name: Community Safety Scrutiny Panel
  meeting_date: 2022-07-05
  author: Jo Bloggs, Community Safety Analyst
  contact: jo.bloggs@testshire.example
"""

# police.uk-free variance table: label, level, previous, current, significant, small numbers
VARIANCE = [
    ("All crime", "total", 10000, 11000, True, False),
    ("Violence against the person", "group", 4000, 4600, True, False),
    ("Sexual offences", "group", 300, 310, False, False),
    ("Robbery", "group", 100, 140, True, False),
    ("Theft offences", "group", 3000, 3100, False, False),
    ("Public order offences", "group", 800, 1000, True, False),
    ("Residential burglary", "subgroup", 400, 420, False, False),
    ("Homicide", "subgroup", 1, 3, False, True),
    ("Serious acquisitive crime", "composite", 900, 950, False, False),
    ("Neighbourhood crime", "composite", 1100, 1150, False, False),
    ("Anti-social behaviour", "asb", 6000, 4000, True, False),
]
BASELINE = {
    "All crime": 10400,
    "Violence against the person": 4100,
    "Sexual offences": 305,
    "Robbery": 150,
    "Theft offences": 3400,
    "Public order offences": 700,
    "Serious acquisitive crime": 1100,
    "Neighbourhood crime": 1300,
}

DEVELOPER_PATTERNS = [
    (r"\b[A-Za-z]+_[A-Za-z0-9_]+\b", "an identifier with an underscore"),
    (r"\b[\w.-]+\.(?:csv|py|json|ipynb|parquet|yaml|yml|md)\b", "a file name"),
    (r"\b(?:docs|tables|figures|helpers|data|reports|notebooks|config|src)/", "a file path"),
    (r"\(s\)", "a '(s)' plural"),
    (r"\b(?:p_adjust|limit_method|fdr_alpha|alpha =|k =|scheme =)", "a parameter name"),
    (r"\bSaved (?:\w+ )?tables\b", "a note about saving files"),
    (r"\b1 [a-z-]+ (?:wards|offences|crimes|categories)\b", "'1' with a plural"),
    (r"\bin line the group\b", "'in line the group'"),
]
URL = re.compile(r"https?://\S+|\b[\w.-]+@[\w.-]+\b|data\.police\.uk|police\.uk/\S*")
TECHNICAL_TERMS = [
    "Gi*",
    "false discovery rate",
    "Most Similar Group",
    "overdispersion",
    "LSOA",
    "Gini",
    "funnel",
    "statistically significant",
    "disclosure control",
]


def developer_strings(text: str) -> list[str]:
    """Developer strings in printed text: [(what, excerpt)] as strings; URLs/e-mails are allowed."""
    clean = URL.sub(" ", text)
    found = []
    for pattern, what in DEVELOPER_PATTERNS:
        for m in re.finditer(pattern, clean, flags=re.M):
            found.append(f"{what}: {clean[max(0, m.start() - 50) : m.end() + 30]!r}")
    return found


def sentences(text: str, min_words: int = 8) -> list[str]:
    """Sentences of at least ``min_words`` words, whitespace normalised."""
    flat = re.sub(r"\s+", " ", text)
    parts = re.split(r"(?<=[.?!])\s+(?=[A-Z0-9])", flat)
    return [p.strip() for p in parts if len(p.split()) >= min_words]


def repeated_sentences(text: str) -> list[str]:
    seen, out = set(), []
    for s in sentences(text):
        key = re.sub(r"\W+", " ", s).lower().strip()
        if key in seen:
            out.append(s)
        seen.add(key)
    return out


def _write_csv(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def make_outputs(root: Path, with_wards: bool = True) -> Path:
    """Write the scratch project under ``root``; return the report folder."""
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "config" / f"{AREA}.yaml").write_text(CONFIG, encoding="utf-8")
    (root / "pyproject.toml").write_text("", encoding="utf-8")
    proc = root / "data" / "processed" / AREA / PERIOD
    proc.mkdir(parents=True, exist_ok=True)
    manifest = {
        "area": AREA,
        "created": "2022-04-10T09:00:00+01:00",
        "git_commit": "abc123def456",
        "inputs": [
            {
                "kind": "police.uk street",
                "path": "data/raw/x/2022-03-street.csv",
                "bytes": 10,
                "sha256": "0" * 64,
            },
            {
                "kind": "force_extract",
                "path": "data/raw/x/extract.csv",
                "bytes": 20,
                "sha256": "1" * 64,
            },
        ],
        "months_missing": [],
        "outputs": [],
        "packages": {"pandas": "2.2"},
        "parameters": {"area": AREA, "period": PERIOD, "synthetic": True, "csp_name": "Testshire"},
        "period": PERIOD,
    }
    (proc / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    if with_wards:
        import geopandas as gpd
        from shapely.geometry import box

        geoms = [
            box(i % 3 * 1000, i // 3 * 1000, i % 3 * 1000 + 1000, i // 3 * 1000 + 1000)
            for i in range(len(WARDS))
        ]
        gpd.GeoDataFrame(
            {"ward_code": [w[0] for w in WARDS], "ward_name": [w[1] for w in WARDS]},
            geometry=geoms,
            crs="EPSG:27700",
        ).to_parquet(proc / "wards.parquet")

    rep = root / "reports" / AREA / PERIOD
    figs = rep / "figures"
    figs.mkdir(parents=True, exist_ok=True)
    tabs = rep / "tables"
    var_rows = []
    for label, level, prev, cur, sig, small in VARIANCE:
        var_rows.append(
            {
                "level": level,
                "label": label,
                "group": "",
                "previous": prev,
                "current": cur,
                "significant": sig,
                "direction": "increase" if cur > prev else "decrease",
                "change": cur - prev,
                "pct_change": (cur - prev) / prev * 100,
                "small_numbers": small,
            }
        )
    _write_csv(tabs / "02_crime_group_variance__variance.csv", var_rows)
    _write_csv(
        tabs / "02_crime_group_variance__three_series.csv",
        [
            {
                "level": r["level"],
                "label": r["label"],
                "group": "",
                "baseline": BASELINE[r["label"]],
                "previous": r["previous"],
                "current": r["current"],
            }
            for r in var_rows
            if r["label"] in BASELINE
        ],
    )
    _write_csv(
        tabs / "02_crime_group_variance__msg.csv",
        [
            {
                "crime_type": "All crime",
                "rate": 110.0,
                "msg_average": 120.0,
                "position": "In line",
                "rank": 5,
                "members": 15,
                "trend": "better",
            },
            {
                "crime_type": "Robbery",
                "rate": 1.1,
                "msg_average": 0.9,
                "position": "Above",
                "rank": 12,
                "members": 15,
                "trend": "worse",
            },
        ],
    )
    _write_csv(
        tabs / "03_violence__subgroups.csv",
        [
            {
                "subgroup": "Violence with injury",
                "current": 2000,
                "previous": 1800,
                "pct_change": 11.1,
                "share": 43.5,
                "significant": True,
            },
            {
                "subgroup": "Homicide",
                "current": 3,
                "previous": 1,
                "pct_change": 200.0,
                "share": 0.1,
                "significant": False,
            },
        ],
    )
    _write_csv(
        tabs / "03_violence__domestic.csv",
        [
            {
                "group": "Domestic abuse flag",
                "current": 1500,
                "previous": 1450,
                "pct_change": 3.4,
                "share": 32.6,
                "significant": False,
            },
        ],
    )
    _write_csv(
        tabs / "03_violence__monthly.csv",
        [
            {
                "month": f"{2019 + (m // 12)}-{m % 12 + 1:02d}",
                "series": "All violence",
                "offences": 300 + (m * 7) % 60,
            }
            for m in range(3, 39)
        ],
    )
    _write_csv(
        tabs / "01_cleaning__ledger_summary.csv",
        [
            {
                "table": "street",
                "files": 12,
                "read": 1000,
                "kept": 990,
                "rejected": 10,
                "balanced": True,
            },
            {
                "table": "extract",
                "files": 1,
                "read": 2000,
                "kept": 2000,
                "rejected": 0,
                "balanced": True,
            },
        ],
    )
    _write_csv(
        tabs / "01_cleaning__rejections.csv",
        [
            {"table": "street", "reason": "outside the area", "rows": 10},
        ],
    )
    rates = []
    for i, (code, name, pop) in enumerate(WARDS):
        row = {"ward_code": code, "ward_name": name, "population": pop}
        for key, vals in WARD_CHANGE.items():
            cur = vals[i][0]
            row[key] = "" if cur is None else cur
            row[f"{key}_rate"] = "" if cur is None else cur / pop * 1000
        rates.append(row)
    _write_csv(tabs / "04_ward_hotspots__ward_counts_rates.csv", rates)
    for key, vals in WARD_CHANGE.items():
        rows = []
        for (code, name, _), (cur, ch, sig) in zip(WARDS, vals, strict=True):
            rows.append(
                {
                    "ward_code": code,
                    "ward_name": name,
                    "current": "" if cur is None else cur,
                    "change": "" if ch is None else ch,
                    "pct_change": "" if cur is None else ch / (cur - ch) * 100,
                    "significant": sig,
                }
            )
        _write_csv(tabs / f"04_ward_hotspots__change_{key}.csv", rows)
        ranked = sorted([r for r in rows if r["current"] != ""], key=lambda r: -r["current"])
        _write_csv(
            tabs / f"04_ward_hotspots__priority_{key}.csv",
            [
                {
                    "Rank": n,
                    "Ward": r["ward_name"],
                    "Count": r["current"],
                    "Rate per 1,000": 1.0,
                    "Change (%)": r["pct_change"],
                }
                for n, r in enumerate(ranked[:3], start=1)
            ],
        )
        _write_csv(
            tabs / f"04_ward_hotspots__gistar_{key}.csv",
            [
                {
                    "ward_code": c,
                    "ward_name": n,
                    "spot": "Hot spot"
                    if (key == "all_crime" and n == "Castle")
                    else "Not significant",
                }
                for c, n, _ in WARDS
            ],
        )

    def fig(stage: str, figures: dict, sentences: list[str]) -> None:
        (figs / f"{stage}.json").write_text(
            json.dumps(
                {
                    "stage": stage,
                    "figures": figures,
                    "sentences": sentences,
                    "headlines": sentences[:2],
                    "glance": [],
                }
            ),
            encoding="utf-8",
        )

    fig("01_cleaning", {"rows_read": 3000}, ["police.uk data cover **2019-04 to 2022-03**."])
    fig(
        "02_crime_group_variance",
        {
            "alpha": 0.05,
            "msg_all_crime_rate": 110.0,
            "msg_all_crime_average": 120.0,
            "msg_all_crime_position": "In line",
            "positive_outcome_rate_current": 12.0,
            "positive_outcome_rate_previous": 13.0,
        },
        [
            "The overall crime figure increased by 10.0% during the 12 months to March 2022 "
            "(10,000 to 11,000 crimes), a statistically significant change.",
            "Anti-social behaviour incidents recorded by the police fell by 33.3% over the same "
            "period (6,000 to 4,000).",
            "The all crime rate for the Partnership is 110.0 crimes per 1,000 residents, in line "
            "with the Most Similar Group average of 120.0.",
        ],
    )
    fig(
        "03_violence",
        {"share_of_all_crime": 41.8, "domestic_share": 32.6},
        [
            "Recorded violence against the person rose by 15.0% (a statistically significant "
            "change), and violent crime now accounts for 41.8% of all recorded crime.",
            "Domestic violence accounts for 32.6% of all violent offences recorded in April 2021 "
            "to March 2022.",
        ],
    )
    fig(
        "04_ward_hotspots",
        {
            "hot_spots": {"all_crime": 1, "violence": 0, "sac": 0, "burglary": 0, "asb": 0},
            "cold_spots": {"all_crime": 0, "violence": 0, "sac": 0, "burglary": 0, "asb": 0},
            "top10_share_pct": {"All crime": 36.0},
        },
        [
            "Every crime and ASB incident in the period was placed in a ward.",
            "All crime: one hot spot (Castle) at 95% confidence (Getis-Ord Gi*, false discovery "
            "rate controlled across all wards).",
            "All crime rose in four of the six wards, one of them significantly (Castle).",
        ],
    )
    return rep
