"""The one exception family users see.

Anything a user can cause (a bad file, a missing month, an unknown area, a bad parameter) raises
a :class:`ScrutinyError` subclass whose message names the file, row, column or value and says
what to do. Programming errors stay ordinary Python exceptions.
"""

from __future__ import annotations


class ScrutinyError(Exception):
    """Base class for every error a user can cause and fix.

    ``what`` says what is wrong (naming the file/row/value); ``fix`` says what to do.
    """

    def __init__(self, what: str, fix: str | None = None):
        self.what = what
        self.fix = fix
        super().__init__(what if not fix else f"{what}\n  What to do: {fix}")


class DataFileError(ScrutinyError):
    """A raw input file is missing, unreadable, or does not have the expected shape."""


class ConfigError(ScrutinyError):
    """An area configuration is missing, malformed, or refers to something that does not exist."""


class ParameterError(ScrutinyError):
    """A notebook or command-line parameter has the wrong type, range or spelling."""


class PeriodError(ScrutinyError):
    """A requested reporting period is not covered by the data (missing or future months)."""


class GeographyError(ScrutinyError):
    """Boundaries, lookups or coordinates cannot be used as given (CRS, invalid polygons...)."""


class OutputError(ScrutinyError):
    """An output folder cannot be written (read-only, disk full, unsafe path)."""
