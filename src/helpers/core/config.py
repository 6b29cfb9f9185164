"""Area configuration: one YAML per area in ``config/``.

``load_area_config("wexley")`` or ``load_area_config("config/wexley.yaml")`` returns an
:class:`AreaConfig`. The reporting period is never in the config; it is a parameter.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from helpers.core import paths
from helpers.core.errors import ConfigError

STANDARD_BASELINES = {
    "pre-COVID (year to Dec 2019)": "2019-12",
    "year to June 2019": "2019-06",
}
REQUIRED_KEYS = ("area", "name", "csp_name", "force", "sources")
KNOWN_KEYS = {*REQUIRED_KEYS, "synthetic", "geography", "analysis", "outputs", "committee"}


@dataclass(frozen=True)
class AreaConfig:
    """A validated area configuration.

    ``sources`` paths are resolved against the project root by :meth:`source`.
    """

    area: str
    name: str
    csp_name: str
    force_name: str
    force_slug: str
    sources: dict[str, Any]
    synthetic: bool = False
    geography: dict[str, Any] = field(default_factory=dict)
    analysis: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    # the panel pack's cover: name, meeting_date (YYYY-MM-DD), author, contact, title (optional)
    committee: dict[str, Any] = field(default_factory=dict)

    def source(self, key: str, required: bool = True) -> Path | None:
        """Resolved path of ``sources[key]`` (or ``sources[key]['path']``)."""
        value = self.sources.get(key)
        if isinstance(value, dict):
            value = value.get("path")
        if not value:
            if required:
                raise ConfigError(
                    f"{self.path or self.area}: 'sources.{key}' is not set.",
                    f"Add 'sources: {key}: <path>' to the area config.",
                )
            return None
        return paths.resolve(value)

    def source_options(self, key: str) -> dict[str, Any]:
        value = self.sources.get(key)
        return dict(value) if isinstance(value, dict) else {}

    @property
    def crs(self) -> str:
        return self.geography.get("crs", "EPSG:27700")

    @property
    def disclosure_threshold(self) -> int:
        return int(self.analysis.get("disclosure_threshold", 5))

    @property
    def baselines(self) -> dict[str, str]:
        """Named 12-month baselines (name -> last month): the standard ones, then the config's.

        Every area has the baselines the seeds use (the pre-COVID year to December 2019 and the
        12 months to June 2019); ``analysis.baselines`` in the config adds or overrides names.
        """
        out = dict(STANDARD_BASELINES)
        out.update({str(k): str(v) for k, v in (self.analysis.get("baselines") or {}).items()})
        return out


def available_areas() -> list[str]:
    """Names of the areas with a config file in ``config/``."""
    return sorted(p.stem for p in paths.config_dir().glob("*.yaml"))


def config_path(area_or_path: str | Path) -> Path:
    text = str(area_or_path)
    if text.endswith((".yaml", ".yml")) or "/" in text:
        p = paths.resolve(text)
        if not p.exists():
            raise ConfigError(
                f"Config file {p} does not exist.",
                "Check the path, or pass an area name "
                f"from config/: {', '.join(available_areas()) or '(none)'}.",
            )
        return p
    p = paths.config_dir() / f"{paths.safe_name(text, 'area')}.yaml"
    if not p.exists():
        areas = available_areas()
        close = difflib.get_close_matches(text, areas, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"Unknown area {text!r}: there is no config/{text}.yaml.{hint}",
            f"Use one of: {', '.join(areas) or '(none)'}, or add a YAML file to config/.",
        )
    return p


def _check_analysis(p: Path, analysis: dict) -> None:
    """Values the analysis reads as numbers or months must be numbers and months."""
    from helpers.core.periods import parse_month

    thr = analysis.get("disclosure_threshold")
    if thr is not None and (isinstance(thr, bool) or not isinstance(thr, int) or thr < 1):
        raise ConfigError(
            f"{p}: 'analysis.disclosure_threshold' is {thr!r}; it must be a whole number of at least 1.",
            "Use the threshold your partnership's data-sharing agreement sets, e.g. 5.",
        )
    baselines = analysis.get("baselines")
    if baselines is None:
        return
    if not isinstance(baselines, dict):
        raise ConfigError(
            f"{p}: 'analysis.baselines' must map a name to a month, not {baselines!r}.",
            "e.g. baselines: {pre-COVID (year to Dec 2019): 2019-12}",
        )
    for name, month in baselines.items():
        try:
            parse_month(str(month), "baseline month")
        except Exception as exc:
            raise ConfigError(
                f"{p}: baseline {name!r} ends in {month!r}, which is not a month in the form YYYY-MM.",
                "Give the last month of the 12-month baseline, e.g. 2019-12.",
            ) from exc


def load_area_config(area_or_path: str | Path) -> AreaConfig:
    """Load and validate an area config by name (``"wexley"``) or path."""
    p = config_path(area_or_path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{p} is not UTF-8 text (byte {exc.start} cannot be read).",
            "Save the config as UTF-8 (most editors offer it under 'Save as... encoding').",
        ) from exc
    except OSError as exc:
        raise ConfigError(
            f"Cannot read the config {p}: {exc.strerror or exc}.", "Check the file is readable."
        ) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"{p} is not valid YAML: {exc}", "Fix the YAML syntax (indentation, colons)."
        ) from exc
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{p} does not hold a mapping of settings.", "See config/wexley.yaml for the shape."
        )
    missing = [k for k in REQUIRED_KEYS if k not in raw]
    if missing:
        raise ConfigError(
            f"{p} is missing required key(s): {', '.join(missing)}.",
            "See config/wexley.yaml for every key and what it means.",
        )
    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        sugg = {u: difflib.get_close_matches(u, sorted(KNOWN_KEYS), n=1) for u in unknown}
        detail = ", ".join(
            f"{u!r}" + (f" (did you mean {s[0]!r}?)" if s else "") for u, s in sugg.items()
        )
        raise ConfigError(f"{p} has unknown key(s): {detail}.", "Remove or correct them.")
    force = raw["force"] or {}
    if not isinstance(force, dict) or "name" not in force or "slug" not in force:
        raise ConfigError(
            f"{p}: 'force' needs 'name' and 'slug'.",
            "e.g. force: {name: Wexshire Police, slug: wexshire}",
        )
    for key in ("sources", "geography", "analysis", "outputs"):
        if raw.get(key) is not None and not isinstance(raw[key], dict):
            raise ConfigError(
                f"{p}: '{key}' must be a set of 'name: value' settings, not {type(raw[key]).__name__} "
                f"({raw[key]!r}).",
                f"See config/wexley.yaml for the shape of '{key}'.",
            )
    _check_analysis(p, raw.get("analysis") or {})
    fx = (raw.get("sources") or {}).get("force_extract")
    if (
        isinstance(fx, dict)
        and fx.get("columns") is not None
        and not isinstance(fx["columns"], dict)
    ):
        raise ConfigError(
            f"{p}: 'sources.force_extract.columns' must map our column names to the export's "
            f"column names, not {fx['columns']!r}.",
            "e.g. columns: {offence_id: Occurrence Ref, date: Committed Date, ho_code: HO Offence Code}",
        )
    area = paths.safe_name(str(raw["area"]), "area")
    return AreaConfig(
        area=area,
        name=str(raw["name"]),
        csp_name=str(raw["csp_name"]),
        force_name=str(force["name"]),
        force_slug=paths.safe_name(str(force["slug"]), "force slug"),
        sources=dict(raw["sources"] or {}),
        synthetic=bool(raw.get("synthetic", False)),
        geography=dict(raw.get("geography") or {}),
        analysis=dict(raw.get("analysis") or {}),
        path=p,
        committee=dict(raw.get("committee") or {}),
    )
