"""The one place that knows where things live.

No notebook builds ``../data/...`` by hand: it asks this module. The project root is found from
the ``CSP_SCRUTINY_ROOT`` environment variable when set (tests and batch runs point it at a scratch
copy), otherwise by walking up from the working directory to the folder holding ``pyproject.toml``
and ``config/``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from helpers.core.errors import OutputError

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def project_root() -> Path:
    """Return the project root folder."""
    env = os.environ.get("CSP_SCRUTINY_ROOT")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for candidate in [here, *here.parents]:
        if (candidate / "pyproject.toml").exists() and (candidate / "config").is_dir():
            return candidate
    # Installed editable from a source tree: fall back to the package's own location.
    pkg_root = Path(__file__).resolve().parents[3]
    if (pkg_root / "pyproject.toml").exists():
        return pkg_root
    return here


def config_dir() -> Path:
    return project_root() / "config"


def raw_dir() -> Path:
    return project_root() / "data" / "raw"


def processed_root() -> Path:
    return project_root() / "data" / "processed"


def reports_root() -> Path:
    return project_root() / "reports"


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def safe_name(value: str, what: str = "name") -> str:
    """Return ``value`` if it is safe to use as one path component, else raise.

    Names come from configs and parameters; they must never walk out of ``data/`` or
    ``reports/`` (no ``..``, no slashes, no leading dot).
    """
    text = str(value)
    if not _SAFE.match(text) or ".." in text:
        raise OutputError(
            f"The {what} {text!r} cannot be used in a file path.",
            "Use letters, digits, '-', '_' or '.', starting with a letter or digit "
            "(for example 'wexley' or '2022-03').",
        )
    return text


def processed_dir(area: str, period: str) -> Path:
    """``data/processed/<area>/<period>/`` (not created)."""
    return processed_root() / safe_name(area, "area") / safe_name(period, "period")


def report_dir(area: str, period: str) -> Path:
    """``reports/<area>/<period>/`` (not created)."""
    return reports_root() / safe_name(area, "area") / safe_name(period, "period")


def resolve(path: str | Path) -> Path:
    """Resolve a path from a config: relative paths are relative to the project root."""
    p = Path(path)
    return p if p.is_absolute() else project_root() / p
