"""The area rule: what "in the area" means, defined once and applied to every input.

An area config says which part of the force it covers in **one** of three ways (``geography``):

* ``area_filter: {COLUMN: [codes...]}``: the rows of the LSOA → ward lookup whose ``COLUMN`` holds
  one of the codes (e.g. ``LAD19CD: [E08000021]`` for Newcastle upon Tyne). The area's wards are
  the lookup's wards for those rows; its LSOAs are those rows' LSOAs.
* ``area_wards: [ward codes...]``: the listed wards of the ward boundary file.
* ``area_boundary: <polygon file>``: the wards of the boundary file most of whose area (more than
  half) lies inside the polygon(s).
* none of them: the **whole force area** (every ward of the boundary file).

:func:`resolve_area` turns that into an :class:`Area` (its wards, its LSOAs, the mapping from the
lookup's ward codes to the boundary file's, and what was dropped and why), and every input is cut
by the same :class:`Area`:

* ward boundaries: only the area's wards are kept (:attr:`Area.wards`; the rest are rejected in
  the ledger as "outside the area");
* police.uk street and outcome rows and force-extract rows: :meth:`Area.place` puts each row in a
  ward of the *whole* boundary file (its point inside a ward polygon; failing that, its LSOA's
  best-fit ward in the lookup), and the row is in the area exactly when that ward is one of the
  area's. Every row is therefore in at most one area of a force: the CSPs of a force partition it;
* population tables and the LSOA lookup: :meth:`Area.cut_population`, :meth:`Area.lookup_in_area`.

Caveat: ward boundaries and the lookup can be different vintages (the ONS lookup here is 2019; a
force's boundary file may be 2022). A boundary ward whose code is not in the lookup is matched to
a lookup ward of the same name in the same district, when exactly one has that name, and the
match is reported; otherwise it is reported by name and, for a restricted area, left out.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from helpers.core.config import AREA_KEYS, CSP_AREA, FORCE_AREA, AreaConfig
from helpers.core.errors import ConfigError, GeographyError
from helpers.ingest import rules

__all__ = ["AREA_KEYS", "CSP_AREA", "FORCE_AREA", "Area", "AreaSpec", "area_spec", "resolve_area"]
OUTSIDE = rules.OUTSIDE  # the ledger reason for any input row cut by the area rule
MOSTLY_INSIDE = 0.5  # a ward belongs to an area_boundary when more than this share of it is inside


# --------------------------------------------------------------------------- the config's rule


@dataclass(frozen=True)
class AreaSpec:
    """What the config says: ``how`` is ``filter``, ``wards``, ``boundary`` or ``force``."""

    how: str
    filter: dict[str, list[str]] | None = None
    wards: tuple[str, ...] | None = None
    boundary: Path | None = None

    @property
    def kind(self) -> str:
        """``"force area"`` or ``"community safety partnership"``: what every page calls it."""
        return FORCE_AREA if self.how == "force" else CSP_AREA


def area_spec(cfg: AreaConfig) -> AreaSpec:
    """Read and check the area rule in ``cfg.geography`` (at most one of the three keys)."""
    geo = cfg.geography or {}
    where = cfg.path or cfg.area
    given = cfg.area_restrictions
    if len(given) > 1:
        raise ConfigError(
            f"{where}: 'geography' sets {' and '.join(given)}; an area is defined by one of them.",
            "Keep one: area_filter (lookup column to codes), area_wards (a list of ward codes) or "
            "area_boundary (a polygon file); leave all out for the whole force area.",
        )
    if not given:
        return AreaSpec("force")
    key = given[0]
    value = geo[key]
    if key == "area_filter":
        if not isinstance(value, dict):
            raise ConfigError(
                f"{where}: 'geography.area_filter' must map a lookup column to codes, not {value!r}.",
                "e.g. area_filter: {LAD19CD: [E08000021]}",
            )
        filt = {
            str(c): [str(v).strip() for v in (vals if isinstance(vals, list) else [vals])]
            for c, vals in value.items()
        }
        return AreaSpec("filter", filter=filt)
    if key == "area_wards":
        vals = value if isinstance(value, list) else [value]
        codes = tuple(dict.fromkeys(str(v).strip() for v in vals if str(v).strip()))
        if not codes:
            raise ConfigError(
                f"{where}: 'geography.area_wards' lists no ward codes.",
                "List the area's ward codes, e.g. area_wards: [E05001101, E05001102]",
            )
        return AreaSpec("wards", wards=codes)
    from helpers.core import paths

    p = paths.resolve(str(value))
    if not p.exists():
        raise ConfigError(
            f"{where}: 'geography.area_boundary' is {value!r}, but {p} does not exist.",
            "Point it at a polygon file (GeoJSON, GeoPackage or Shapefile) of the area's boundary.",
        )
    return AreaSpec("boundary", boundary=p)


# --------------------------------------------------------------------------- the lookup


@dataclass
class Lookup:
    """An ONS-shaped LSOA → ward (→ district) lookup, every row, as read."""

    label: str
    raw: pd.DataFrame  # every column as text
    lsoa_col: str
    ward_col: str
    name_col: str
    district_col: str | None

    @property
    def frame(self) -> pd.DataFrame:
        """``lsoa_code, lookup_ward_code, lookup_ward_name, district`` (one row per LSOA)."""
        df = pd.DataFrame(
            {
                "lsoa_code": self.raw[self.lsoa_col].astype("string"),
                "lookup_ward_code": self.raw[self.ward_col].astype("string"),
                "lookup_ward_name": self.raw[self.name_col].astype("string"),
                "district": (
                    self.raw[self.district_col].astype("string")
                    if self.district_col
                    else pd.Series(pd.NA, index=self.raw.index, dtype="string")
                ),
            }
        )
        return df


def read_lookup(path: Path) -> Lookup:
    """Read an ONS LSOA → ward lookup; columns recognised by prefix (LSOA11CD, WD19CD, LAD19CD)."""
    from helpers.ingest.geography import read_lookup_text

    df = read_lookup_text(path)

    def pick(prefix: str, suffix: str, required: bool = True) -> str | None:
        for c in df.columns:
            u = c.upper()
            if u.startswith(prefix) and u.endswith(suffix):
                return c
        if not required:
            return None
        raise GeographyError(
            f"{path.name} has no {prefix}..{suffix} column; it has {', '.join(df.columns)}.",
            "Use the ONS LSOA to ward best-fit lookup (LSOA11CD, WD19CD, WD19NM, LAD19CD).",
        )

    lsoa, ward, name = pick("LSOA", "CD"), pick("WD", "CD"), pick("WD", "NM")
    district = pick("LAD", "CD", required=False)
    df = df.drop_duplicates(lsoa).reset_index(drop=True)
    return Lookup(path.name, df, lsoa, ward, name, district)


def _examples(values, n: int = 5) -> str:
    vals = sorted({str(v) for v in values if pd.notna(v) and str(v)})
    return ", ".join(vals[:n]) + (" ..." if len(vals) > n else "")


def _filter_rows(lookup: Lookup, filt: dict[str, list[str]], where) -> pd.Series:
    mask = pd.Series(True, index=lookup.raw.index)
    for col, values in filt.items():
        if col not in lookup.raw.columns:
            close = difflib.get_close_matches(col, list(lookup.raw.columns), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"{where}: geography.area_filter names the column {col!r}{hint}, but the LSOA lookup "
                f"{lookup.label} has no such column; it has {', '.join(lookup.raw.columns)}.",
                "Name one of the lookup's columns in area_filter, e.g. {LAD19CD: [E08000021]}.",
            )
        col_vals = lookup.raw[col].astype(str).str.strip()
        hit = col_vals.isin(values)
        if not hit.any():
            close = sorted(
                {c for v in values for c in difflib.get_close_matches(v, col_vals.unique(), n=3)}
            )
            hint = f" Close values: {', '.join(close)}." if close else ""
            raise ConfigError(
                f"{where}: geography.area_filter {col}: {values} matches no row of the LSOA lookup "
                f"{lookup.label}; its {col} column holds values such as "
                f"{_examples(col_vals)}.{hint}",
                f"Use the {col} code(s) of your area as they appear in {lookup.label} (the codes "
                "of the lookup's year: a district renamed or merged since then has a new code).",
            )
        mask &= hit
    if not mask.any():
        raise ConfigError(
            f"{where}: the columns of geography.area_filter match no row of {lookup.label} together.",
            "Check each column's codes belong to the same area.",
        )
    return mask


# --------------------------------------------------------------------------- the resolved area


@dataclass
class Area:
    """The area's wards and LSOAs, and how every input is cut to them.

    ``placement`` holds every ward of the boundary file (a point is placed in the ward that
    contains it, whichever area that is); ``wards`` only the area's. ``lookup`` maps each LSOA
    to its ward *as the boundary file codes it* (``lookup_ward_code``) and ``in_area``.
    """

    spec: AreaSpec
    ward_codes: frozenset[str]
    wards: gpd.GeoDataFrame | None = None  # the area's wards (ward_code, ward_name, geometry)
    placement: gpd.GeoDataFrame | None = None  # every ward of the boundary file
    lookup: pd.DataFrame | None = None  # lsoa_code, lookup_ward_code, lookup_ward_name, in_area
    lookup_label: str | None = None
    wards_label: str | None = None
    dropped_wards: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["ward_code", "ward_name", "why"])
    )
    code_matches: list[tuple[str, str, str]] = field(default_factory=list)  # lookup, boundary, name
    notes: list[str] = field(default_factory=list)  # for the cleaning report
    population_recoded: int = 0  # population rows whose old ward code was matched by name
    warnings: list[str] = field(default_factory=list)  # inputs covering less than the area

    @property
    def kind(self) -> str:
        return self.spec.kind

    @classmethod
    def from_lookup(cls, lookup: pd.DataFrame) -> Area:
        """An area that is exactly the LSOAs of an already-restricted lookup frame
        (``lsoa_code, lookup_ward_code, lookup_ward_name``), with no boundaries: the rule
        :func:`helpers.ingest.fastclean.clean_street` applies for its ``lookup``."""
        lk = lookup[["lsoa_code", "lookup_ward_code", "lookup_ward_name"]].assign(in_area=True)
        return cls(
            AreaSpec("filter", filter={}),
            frozenset(lk["lookup_ward_code"].dropna()),
            lookup=lk.reset_index(drop=True),
        )

    @property
    def lsoa_codes(self) -> frozenset[str]:
        if self.lookup is None:
            return frozenset()
        return frozenset(self.lookup.loc[self.lookup["in_area"], "lsoa_code"].dropna())

    def describe(self) -> str:
        """One plain sentence: which area and how it was defined."""
        n = len(self.ward_codes)
        wards = f"{n} ward{'s' if n != 1 else ''}"
        if self.spec.how == "force":
            return f"The whole force area ({wards})."
        if self.spec.how == "filter":
            return f"A community safety partnership area of {wards}, chosen from the national ward lookup."
        if self.spec.how == "wards":
            return f"A community safety partnership area of {wards}, listed in the area settings."
        return f"A community safety partnership area of {wards}: those mostly inside the area boundary."

    # ---- cutting inputs

    def place(
        self, df: pd.DataFrame, have_coords: pd.Series
    ) -> tuple[pd.DataFrame, pd.Series, int]:
        """Add ward_code, ward_name, ward_method, lookup_ward_code; return (df, in_area, overlaps).

        A row's ward is the boundary ward holding its point (``point-in-polygon``), failing that
        its LSOA's best-fit ward in the lookup (``lsoa-lookup``), else none (``unassigned``). The
        row is in the area when that ward is one of the area's (with no boundaries and no
        lookup, every row is). ``overlaps`` counts points in two overlapping wards (first by
        code is used).
        """
        from helpers.ingest import geography

        df = df.copy()
        n = len(df)
        ward_code = np.full(n, None, dtype=object)
        ward_name = np.full(n, None, dtype=object)
        ward_method = np.full(n, "unassigned", dtype=object)
        lookup_ward_code = np.full(n, None, dtype=object)
        overlaps = 0
        in_poly = np.zeros(n, dtype=bool)
        if self.placement is not None and n:
            e = df["easting"].where(have_coords)
            north = df["northing"].where(have_coords)
            codes, names, overlaps = geography.points_to_wards(e, north, self.placement)
            in_poly = codes.notna().to_numpy(dtype=bool)
            ward_code[in_poly] = codes.to_numpy(dtype=object)[in_poly]
            ward_name[in_poly] = names.to_numpy(dtype=object)[in_poly]
            ward_method[in_poly] = "point-in-polygon"
        if self.lookup is not None and n and "lsoa_code" in df:
            m = df[["lsoa_code"]].merge(
                self.lookup[["lsoa_code", "lookup_ward_code", "lookup_ward_name"]],
                on="lsoa_code",
                how="left",
            )
            m.index = df.index
            lk_code = m["lookup_ward_code"].astype("string")
            have_lk = lk_code.notna().to_numpy(dtype=bool)
            lookup_ward_code[have_lk] = lk_code.to_numpy(dtype=object)[have_lk]
            use = ~in_poly & have_lk
            ward_code[use] = lookup_ward_code[use]
            lk_name = m["lookup_ward_name"]
            ward_name[use] = lk_name.astype(object).where(lk_name.notna(), None).to_numpy()[use]
            ward_method[use] = "lsoa-lookup"
        df["ward_code"] = pd.Series(pd.array(ward_code, dtype="string"), index=df.index)
        df["ward_name"] = pd.Series(pd.array(ward_name, dtype="string"), index=df.index)
        df["ward_method"] = pd.Series(pd.array(ward_method, dtype="string"), index=df.index)
        df["lookup_ward_code"] = pd.Series(
            pd.array(lookup_ward_code, dtype="string"), index=df.index
        )
        if self.placement is None and self.lookup is None:
            in_area = pd.Series(True, index=df.index)
        else:
            in_area = df["ward_code"].isin(self.ward_codes).fillna(False).astype(bool)
        # a ward outside the area is not this area's: leave the row unplaced (it is rejected)
        return df, in_area, overlaps

    def lookup_in_area(self) -> pd.DataFrame | None:
        """The lookup rows of the area (lsoa_code, lookup_ward_code, lookup_ward_name)."""
        if self.lookup is None:
            return None
        return self.lookup[self.lookup["in_area"]].drop(columns="in_area").reset_index(drop=True)

    def cut_population(self, pop: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
        """Ward population rows → (area's rows, reject reason per input row, "" when kept).

        ``pop`` has ``ward_code`` and ``population``. A row is rejected when its population is
        missing, not a number or not positive, when it repeats a ward, or when its ward is not
        one of the area's ("outside the area"). A row coded with a lookup ward code that was
        matched by name to a revised boundary ward (:attr:`code_matches`) counts for that ward
        (caveat: the revision may have moved a few streets). Area wards with no row are named in
        :attr:`warnings` by :meth:`attach_population`.
        """
        code = pop["ward_code"].astype("string").str.strip()
        # a table on the lookup's ward vintage: the same revised wards matched by name above
        renamed = {lc: bc for lc, bc, _ in self.code_matches}
        was_renamed = code.isin(renamed)
        code = code.replace(renamed)
        value = pd.to_numeric(
            pop["population"].astype("string").str.replace(",", "").str.strip(), errors="coerce"
        )
        reason = pd.Series("", index=pop.index, dtype="string")
        reason = reason.mask(value.isna(), "population missing or not a number")
        reason = reason.mask((reason == "") & (value <= 0), "population of zero or less")
        reason = reason.mask((reason == "") & (value % 1 != 0), "population not a whole number")
        if self.ward_codes:
            outside = (reason == "") & ~code.isin(self.ward_codes)
            if self.placement is not None:
                unknown = outside & ~code.isin(set(self.placement["ward_code"]))
                reason = reason.mask(unknown, f"ward not in the ward boundary file ({OUTSIDE})")
                outside &= ~unknown
            reason = reason.mask(outside, OUTSIDE)
        reason = reason.mask((reason == "") & code.duplicated(keep="first"), "repeated ward code")
        kept = reason == ""
        self.population_recoded = int((was_renamed & kept).sum())
        out = pd.DataFrame(
            {"ward_code": code[kept].astype(str), "population": value[kept].astype("int64")}
        )
        return out.reset_index(drop=True), reason

    def attach_population(
        self, wards: gpd.GeoDataFrame, pop: pd.DataFrame | None, label: str | None
    ) -> gpd.GeoDataFrame:
        """``wards`` with a ``population`` column (Int64; <NA> where the table has none)."""
        wards = wards.drop(columns=["population"], errors="ignore")
        if pop is None:
            wards["population"] = pd.array([pd.NA] * len(wards), dtype="Int64")
            return wards
        out = wards.merge(pop, on="ward_code", how="left")
        out["population"] = out["population"].astype("Int64")
        missing = out.loc[out["population"].isna(), "ward_name"].tolist()
        if missing:
            self.warnings.append(
                f"{len(missing)} of the area's {len(out)} ward(s) have no usable population in "
                f"{label} ({', '.join(sorted(missing)[:10])}{' ...' if len(missing) > 10 else ''}); "
                "rates are not shown for them."
            )
        return out


def resolve_area(
    cfg: AreaConfig,
    wards: gpd.GeoDataFrame | None,
    lookup: Lookup | None,
    wards_label: str | None = None,
) -> Area:
    """Resolve the config's area rule against the ward boundaries and the lookup.

    ``wards`` is every ward of the boundary file (``ward_code, ward_name, geometry`` in the
    area CRS), ``lookup`` the whole lookup. Returns the :class:`Area` every input is cut by.
    Raises :class:`ConfigError` / :class:`GeographyError` when the rule and the inputs cannot be
    reconciled (the filter matches nothing; the boundary's codes match none of the lookup's).
    """
    spec = area_spec(cfg)
    where = cfg.path or cfg.area
    if spec.how == "filter" and lookup is None:
        raise ConfigError(
            f"{where}: geography.area_filter restricts the LSOA lookup, but 'sources.lsoa_lookup' "
            "is not set.",
            "Add the ONS LSOA to ward lookup as sources.lsoa_lookup, or define the area by "
            "geography.area_wards or geography.area_boundary instead.",
        )
    if spec.how in ("boundary",) and wards is None:
        raise ConfigError(
            f"{where}: geography.area_boundary picks wards from the ward boundary file, but "
            "'sources.wards' is not set.",
            "Add the ward boundary file as sources.wards.",
        )
    if spec.how == "wards" and wards is None and lookup is None:
        raise ConfigError(
            f"{where}: geography.area_wards lists ward codes, but neither 'sources.wards' nor "
            "'sources.lsoa_lookup' is set to find them in.",
            "Add the ward boundary file as sources.wards (and the LSOA lookup).",
        )
    area = Area(
        spec,
        frozenset(),
        lookup_label=lookup.label if lookup else None,
        wards_label=wards_label,
    )
    lk = lookup.frame if lookup is not None else None
    area_rows = (
        _filter_rows(lookup, spec.filter or {}, where) if spec.how == "filter" and lookup else None
    )

    # 1. the lookup's ward codes as the boundary file writes them (code, or unique name in district)
    if lk is not None and wards is not None:
        lk, area.code_matches = _reconcile_codes(lk, wards, wards_label or "the ward boundaries")
        bcodes = set(wards["ward_code"])
        if not lk["lookup_ward_code"].isin(bcodes).any():
            raise GeographyError(
                f"The ward codes of the boundary file {wards_label} (column "
                f"{cfg.geography.get('ward_code', 'ward_code')!r}, e.g. "
                f"{_examples(wards['ward_code'])}) match none of the ward codes of the LSOA lookup "
                f"{lookup.label} (column {lookup.ward_col!r}, e.g. "
                f"{_examples(lookup.raw[lookup.ward_col])}), not even by ward name.",
                "Use a boundary file and a lookup of the same ward vintage (e.g. December 2019 "
                "wards with the 2019 lookup), or set geography.ward_code to the boundary file's "
                "ward code column.",
            )

    # 2. the area's ward codes
    if spec.how == "force":
        # every ward of the boundary file (or, without one, of the lookup; with neither, no ward
        # is known and every row is in the area)
        if wards is not None:
            codes = set(wards["ward_code"])
        elif lk is not None:
            codes = set(lk["lookup_ward_code"].dropna())
        else:
            codes = set()
    elif spec.how == "filter":
        wanted = lk.loc[area_rows.to_numpy(), ["lookup_ward_code", "lookup_ward_name"]]
        codes = set(wanted["lookup_ward_code"].dropna())
        if wards is not None:
            present = codes & set(wards["ward_code"])
            absent = wanted[~wanted["lookup_ward_code"].isin(present)].drop_duplicates()
            if not present:
                raise GeographyError(
                    f"None of the {len(codes)} wards that geography.area_filter selects from "
                    f"{lookup.label} (e.g. {_examples(codes)}) is in the ward boundary file "
                    f"{wards_label}, which holds wards such as {_examples(wards['ward_code'])}.",
                    "Use the boundary file for the area's force or district, of the same ward "
                    "vintage as the lookup.",
                )
            if len(absent):
                area.warnings.append(
                    f"The ward boundary file {wards_label} lacks {len(absent)} of the area's "
                    f"{len(codes)} wards in the lookup: "
                    + ", ".join(
                        f"{r.lookup_ward_name} ({r.lookup_ward_code})"
                        for r in absent.head(10).itertuples()
                    )
                    + ("..." if len(absent) > 10 else "")
                    + "; crimes there are placed by the lookup but cannot be mapped."
                )
    elif spec.how == "wards":
        codes = set(spec.wards or ())
        known = set(wards["ward_code"]) if wards is not None else set(lk["lookup_ward_code"])
        unknown = [c for c in spec.wards or () if c not in known]
        if unknown:
            src = wards_label if wards is not None else lookup.label
            raise ConfigError(
                f"{where}: geography.area_wards lists {len(unknown)} ward code(s) that are not in "
                f"{src}: {', '.join(unknown[:10])}{' ...' if len(unknown) > 10 else ''}; it holds "
                f"codes such as {_examples(known)}.",
                "Correct the codes, or use the boundary file whose ward vintage they come from.",
            )
    else:  # boundary
        codes = _wards_inside(wards, spec.boundary, cfg.crs)
    area.ward_codes = frozenset(codes)

    # 3. cut the boundaries
    if wards is not None:
        inside = wards["ward_code"].isin(area.ward_codes)
        area.placement = wards.reset_index(drop=True)
        area.wards = wards[inside].sort_values("ward_code").reset_index(drop=True)
        dropped = wards[~inside][["ward_code", "ward_name"]].copy()
        if len(dropped):
            why = {
                "filter": f"{OUTSIDE} (the ward lookup places it in another area)",
                "wards": f"{OUTSIDE} (not one of the area's listed wards)",
                "boundary": f"{OUTSIDE} (mostly outside the area boundary)",
                "force": OUTSIDE,
            }[spec.how]
            known = set(lk["lookup_ward_code"]) if lk is not None else set()
            dropped["why"] = [
                why
                if (not known or c in known)
                else "not in the ward lookup, so not known to be in the area"
                for c in dropped["ward_code"]
            ]
            area.dropped_wards = dropped.sort_values("ward_code").reset_index(drop=True)
            unknown = area.dropped_wards[area.dropped_wards["why"].str.startswith("not in")]
            if len(unknown) and spec.how == "filter":
                area.warnings.append(
                    f"{len(unknown)} ward(s) of {wards_label} are not in the lookup {lookup.label} "
                    "under any code or name, so cannot be placed in the area and are left out: "
                    + ", ".join(
                        f"{r.ward_name} ({r.ward_code})" for r in unknown.head(10).itertuples()
                    )
                    + "."
                )
        area.notes.append(
            f"Ward boundaries: {len(area.wards)} of the {len(wards)} wards in the boundary file are "
            f"in the area; {len(dropped)} were left out"
            + (
                " ("
                + "; ".join(f"{n} {w}" for w, n in area.dropped_wards["why"].value_counts().items())
                + ")."
                if len(dropped)
                else "."
            )
        )
    for lc, bc, name in area.code_matches:
        if bc in area.ward_codes:
            area.notes.append(
                f"Ward {name}: the lookup's code {lc} and the boundary file's code {bc} differ "
                "(a boundary revision); they were matched by name within the district."
            )

    # 4. cut the lookup
    if lk is not None:
        if spec.how == "filter":
            in_area = pd.Series(area_rows.to_numpy(), index=lk.index)
        else:
            in_area = lk["lookup_ward_code"].isin(area.ward_codes)
        lk = lk.assign(in_area=in_area.astype(bool))
        area.lookup = lk[["lsoa_code", "lookup_ward_code", "lookup_ward_name", "in_area"]]
        area.notes.append(
            f"Ward lookup: {int(in_area.sum()):,} of its {len(lk):,} small areas (LSOAs) are in the area."
        )
    return area


def _reconcile_codes(
    lk: pd.DataFrame, wards: gpd.GeoDataFrame, label: str
) -> tuple[pd.DataFrame, list[tuple[str, str, str]]]:
    """Rewrite lookup ward codes the boundary file does not know to its code for the same ward.

    Only within districts the boundary file shares at least one ward code with, and only where
    exactly one unmatched lookup ward and one unmatched boundary ward of that district have the
    same name (case and spacing ignored). Returns the lookup and the (lookup, boundary, name)
    matches made.
    """
    bcodes = set(wards["ward_code"])
    matched = lk["lookup_ward_code"].isin(bcodes)
    if matched.all() or not matched.any():
        return lk, []
    districts = set(lk.loc[matched, "district"].dropna())
    scope = ~matched & (lk["district"].isin(districts) if districts else True)

    def norm(s: pd.Series) -> pd.Series:
        return (
            s.astype("string").str.lower().str.replace(r"[^a-z0-9]+", " ", regex=True).str.strip()
        )

    cand = lk.loc[scope, ["lookup_ward_code", "lookup_ward_name", "district"]].drop_duplicates(
        "lookup_ward_code"
    )
    cand = cand.assign(key=norm(cand["lookup_ward_name"]))
    ub = wards[~wards["ward_code"].isin(set(lk["lookup_ward_code"]))][["ward_code", "ward_name"]]
    ub = ub.assign(key=norm(ub["ward_name"]))
    pairs = cand.merge(ub, on="key")
    pairs = pairs[
        ~pairs["key"].duplicated(keep=False)
        & ~pairs["ward_code"].duplicated(keep=False)
        & ~pairs["lookup_ward_code"].duplicated(keep=False)
    ]
    if pairs.empty:
        return lk, []
    mapping = dict(zip(pairs["lookup_ward_code"], pairs["ward_code"], strict=True))
    names = dict(zip(pairs["ward_code"], pairs["ward_name"], strict=True))
    lk = lk.copy()
    new = lk["lookup_ward_code"].map(mapping)
    lk["lookup_ward_code"] = new.fillna(lk["lookup_ward_code"]).astype("string")
    matches = sorted((lc, bc, names[bc]) for lc, bc in mapping.items())
    return lk, matches


def _wards_inside(wards: gpd.GeoDataFrame, boundary: Path, crs: str) -> set[str]:
    """Codes of the wards more than half of whose area lies inside the polygon file."""
    from helpers.ingest import geography

    try:
        poly = gpd.read_file(boundary)
    except Exception as exc:
        raise GeographyError(
            f"Cannot read the area boundary {boundary.name}: {str(exc).rstrip('.')}.",
            "Provide the area boundary as GeoJSON, GeoPackage or Shapefile polygons.",
        ) from exc
    if poly.empty or not set(poly.geometry.geom_type) <= {"Polygon", "MultiPolygon"}:
        raise GeographyError(
            f"The area boundary {boundary.name} holds no polygons.",
            "Use the area's boundary polygon (e.g. ONS local authority district boundaries).",
        )
    if poly.crs is None:
        raise GeographyError(
            f"The area boundary {boundary.name} does not say which coordinate reference system it uses.",
            "Re-export it with a CRS (EPSG:4326 for GeoJSON, EPSG:27700 for BNG).",
        )
    geography.check_plausible_crs(poly, boundary.name)
    shape = poly.to_crs(crs).geometry.make_valid().union_all()
    area = wards.geometry.area.to_numpy()
    inside = wards.geometry.intersection(shape).area.to_numpy()
    share = np.divide(inside, area, out=np.zeros_like(area), where=area > 0)
    codes = set(wards.loc[share > MOSTLY_INSIDE, "ward_code"])
    if not codes:
        raise GeographyError(
            f"No ward of the boundary file lies mostly inside the area boundary {boundary.name} "
            f"(the largest share inside is {share.max():.0%}).",
            "Check the area boundary is the right place and both files declare their real CRS.",
        )
    return codes


def summary(area: Area) -> dict[str, Any]:
    """What the manifest records about the area."""
    return {
        "kind": area.kind,
        "defined_by": area.spec.how,
        "description": area.describe(),
        "wards": len(area.ward_codes),
        "lsoas": len(area.lsoa_codes) if area.lookup is not None else None,
        "wards_dropped": int(len(area.dropped_wards)),
        "ward_code_matches": [list(m) for m in area.code_matches if m[1] in area.ward_codes],
    }
