"""The victim-satisfaction survey: an optional CSV the force or the Commissioner's office keeps.

Seed 003 reports "Overall victim satisfaction in the 12 months to January 2022 was 74.3%. This
compares to 76.7% in January 2021", and the same for domestic abuse victims. The numbers come
from the force's victim survey, which has no national open-data form, so the partnership
supplies it as a small CSV (``sources.victim_survey``; ``scrutiny survey-template`` writes an
empty one), one row per question and 12-month period:

``period``
    the last month of the 12 months the responses cover, ``YYYY-MM`` (``2022-01``);
``question``
    what was asked, in words the report prints (``Overall satisfaction``, ``Domestic abuse
    victims: overall satisfaction``); the same text in every period so periods line up;
``respondents``
    how many victims answered the question (a whole number above 0);
``satisfied``
    how many of them said they were completely, very or fairly satisfied (a whole number from 0
    to ``respondents``).

Lines starting with ``#`` are comments. A period and question given twice is refused (which would
the report print?). Every problem is a :class:`DataFileError` naming the file, the line, the
column and the value.

Caveat for the report: a survey percentage is an estimate from the victims who answered; its
95% interval (Wilson) is printed beside it, and with fewer than
:data:`helpers.core.statistics.SMALL_COUNT` respondents no percentage is printed.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from helpers.core.errors import DataFileError, OutputError
from helpers.core.periods import MONTH_RE

COLUMNS = ("period", "question", "respondents", "satisfied")
_MONTH = MONTH_RE  # the one YYYY-MM pattern (helpers.core.periods)
_WHOLE = re.compile(r"^\d+$")

TEMPLATE = """\
# Victim satisfaction survey results for the Commissioner's measures (one row per question and
# 12-month period). period: last month of the 12 months (YYYY-MM); question: the words to print,
# the same in every period; respondents: victims who answered; satisfied: how many were
# completely, very or fairly satisfied (0 to respondents). Add one row per question and
# period below the header, e.g. 2022-01,Overall satisfaction,412,306; lines starting with #
# are ignored.
period,question,respondents,satisfied
"""


def _fail(label: str, line: int, what: str, fix: str) -> DataFileError:
    return DataFileError(f"{label}, line {line}: {what}.", fix)


def parse_victim_survey(text: str, label: str = "the victim survey file") -> pd.DataFrame:
    """The survey rows of ``text`` (CSV) as a DataFrame: ``period``, ``question``,
    ``respondents``, ``satisfied`` (ints), ``pct_satisfied`` (float), ``line`` (file line)."""
    # split on line ends only: str.splitlines() also splits on \x1c-\x1e, \x85 and \u2028,
    # which would put every later line number in a message out by one
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header_line = None
    for i, line in enumerate(lines, start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            header_line = i
            break
    if header_line is None:
        raise DataFileError(
            f"{label} is empty (no header line).",
            f"Start the file with the header line: {','.join(COLUMNS)} "
            "(scrutiny survey-template writes one).",
        )
    header = [h.strip().lower() for h in next(csv.reader([lines[header_line - 1]]))]
    missing = [c for c in COLUMNS if c not in header]
    extra = [h for h in header if h not in COLUMNS]
    if missing or extra:
        raise _fail(
            label,
            header_line,
            f"the header is {', '.join(header) or '(empty)'}"
            + (f"; it lacks {', '.join(missing)}" if missing else "")
            + (f"; {', '.join(repr(e) for e in extra)} is not a survey column" if extra else ""),
            f"The header must be exactly: {','.join(COLUMNS)}.",
        )
    rows = []
    seen: dict[tuple[str, str], int] = {}
    for n, line in enumerate(lines[header_line:], start=header_line + 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            cells = next(csv.reader(io.StringIO(line)))
        except (csv.Error, StopIteration) as exc:
            raise _fail(
                label, n, f"the line cannot be read as CSV ({exc})", "Fix the quoting."
            ) from None
        if len(cells) != len(header):
            raise _fail(
                label,
                n,
                f"has {len(cells)} value(s), not {len(header)} ({', '.join(header)})",
                "Give one value per column; put a question containing a comma in double quotes.",
            )
        rec = {h: c.strip() for h, c in zip(header, cells, strict=True)}
        if not _MONTH.match(rec["period"]):
            raise _fail(
                label,
                n,
                f"the period is {rec['period']!r}, not a month in the form YYYY-MM",
                "Write the last month of the 12 months the answers cover, e.g. 2022-01.",
            )
        if not rec["question"]:
            raise _fail(label, n, "the question is empty", "Write the question's words.")
        nums = {}
        for col in ("respondents", "satisfied"):
            if not _WHOLE.match(rec[col]):
                raise _fail(
                    label,
                    n,
                    f"{col} is {rec[col]!r}, not a whole number",
                    f"Write {col} as a count of victims, e.g. 412 (no % sign, no decimals).",
                )
            nums[col] = int(rec[col])
        if nums["respondents"] == 0:
            raise _fail(label, n, "respondents is 0", "Leave out a question nobody answered.")
        if nums["satisfied"] > nums["respondents"]:
            raise _fail(
                label,
                n,
                f"satisfied ({nums['satisfied']}) is more than respondents ({nums['respondents']})",
                "satisfied counts the respondents who were satisfied, so it cannot exceed them; "
                "check the two numbers are not swapped or a percentage.",
            )
        key = (rec["period"], rec["question"].casefold())
        if key in seen:
            raise _fail(
                label,
                n,
                f"period {rec['period']} and question {rec['question']!r} were already given on "
                f"line {seen[key]}",
                "Keep one row per question and period.",
            )
        seen[key] = n
        rows.append(
            {
                "period": rec["period"],
                "question": rec["question"],
                "respondents": nums["respondents"],
                "satisfied": nums["satisfied"],
                "line": n,
            }
        )
    out = pd.DataFrame(rows, columns=[*COLUMNS, "line"])
    out = out.astype({"respondents": "int64", "satisfied": "int64", "line": "int64"})
    out["pct_satisfied"] = out["satisfied"] / out["respondents"] * 100.0
    return out


def read_victim_survey(path: str | Path) -> pd.DataFrame:
    """Read and check the survey CSV at ``path`` (see the module docstring)."""
    p = Path(path)
    if not p.is_file():
        raise DataFileError(
            f"The victim survey file {p} does not exist.",
            "Check 'sources.victim_survey' in the area config, or remove it if there is no "
            "survey (the report then says satisfaction was not supplied).",
        )
    from helpers.ingest.loading import decode_bytes

    text, _ = decode_bytes(p.read_bytes(), p.name)
    return parse_victim_survey(text, p.name)


def write_survey_template(path: str | Path) -> Path:
    """Write the empty, commented survey CSV (never over an existing file)."""
    p = Path(path)
    if p.exists():
        raise OutputError(
            f"{p} already exists; the template is never written over a file.",
            "Choose another --out, or move the existing file first.",
        )
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(TEMPLATE, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"Cannot write {p}: {exc.strerror or exc}.", "Check the folder.") from exc
    return p


def write_survey_template_for(area_or_config: str, out: str | Path | None = None) -> Path:
    """``scrutiny survey-template``: the template where the config's ``sources.victim_survey``
    points (or ``data/raw/<area>/victim_survey.csv`` when it is not set)."""
    from helpers.core import paths
    from helpers.core.config import load_area_config

    cfg = load_area_config(area_or_config)
    if out is None:
        out = cfg.source("victim_survey", required=False) or (
            paths.raw_dir() / cfg.area / "victim_survey.csv"
        )
    return write_survey_template(out)


__all__ = ["COLUMNS", "TEMPLATE", "parse_victim_survey", "read_victim_survey",
           "write_survey_template", "write_survey_template_for"]  # fmt: skip
