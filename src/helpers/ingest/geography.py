"""Ward boundaries, point-in-polygon and the LSOA → ward lookup.

Two ways to put a crime in a ward, and the one used is recorded per row (``ward_method``):

* ``point-in-polygon``: the crime's (snapped) coordinates fall inside a ward boundary. Preferred.
* ``lsoa-lookup``: no usable coordinates, or outside every boundary, but its LSOA is in the
  best-fit LSOA → ward lookup. A best-fit lookup assigns a whole LSOA to the ward holding most of
  its population, so a crime near a ward edge can land in the neighbouring ward.
* ``unassigned``: neither works; such a row is inside the area by LSOA but in no ward.

All area work is done in British National Grid (EPSG:27700, metres).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from helpers.core.errors import GeographyError

BNG = "EPSG:27700"


@dataclass
class WardLayer:
    wards: gpd.GeoDataFrame  # ward_code, ward_name, population, geometry (BNG)
    repairs: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def read_wards(
    path: Path,
    code_col: str = "ward_code",
    name_col: str = "ward_name",
    crs: str = BNG,
    population: pd.DataFrame | None = None,
) -> WardLayer:
    """Read ward boundaries, check and repair them, and project to ``crs``.

    * A file without a CRS is an error (we will not guess).
    * Invalid polygons are repaired with ``make_valid`` and counted.
    * Overlapping wards (overlap area > 1 m²) are reported; points in an overlap go to the first
      ward by code and are counted by the caller.
    """
    if not path.exists():
        raise GeographyError(
            f"The ward boundary file {path} does not exist.",
            "Check 'sources.wards' in the area config.",
        )
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:
        raise GeographyError(
            f"Cannot read ward boundaries from {path.name}: {str(exc).rstrip('.')}.",
            "Provide GeoJSON, GeoPackage or Shapefile boundaries.",
        ) from exc
    if gdf.empty:
        raise GeographyError(f"{path.name} holds no ward polygons.", "Check the boundary file.")
    for col in (code_col, name_col):
        if col not in gdf.columns:
            raise GeographyError(
                f"{path.name} has no column {col!r}; it has {', '.join(map(str, gdf.columns))}.",
                "Set geography.ward_code / geography.ward_name in the area config.",
            )
    missing_geom = gdf.geometry.isna() | gdf.geometry.is_empty
    if missing_geom.any():
        names = ", ".join(str(v) for v in gdf.loc[missing_geom, code_col].head(5))
        raise GeographyError(
            f"{path.name}: {int(missing_geom.sum())} ward(s) have no boundary shape ({names}).",
            "Re-export the boundaries from the source (e.g. ONS Open Geography Portal) with every ward's polygon.",
        )
    kinds = set(gdf.geometry.geom_type)
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise GeographyError(
            f"{path.name} holds {', '.join(sorted(kinds))} shapes, not ward polygons.",
            "Use ward boundary polygons (e.g. ONS 'Wards (December 2022) Boundaries'), not centroids or lines.",
        )
    if gdf.crs is None:
        raise GeographyError(
            f"{path.name} does not say which coordinate reference system it uses.",
            "Re-export it with a CRS (EPSG:4326 for GeoJSON, EPSG:27700 for BNG).",
        )
    out = gdf[[code_col, name_col, "geometry"]].rename(
        columns={code_col: "ward_code", name_col: "ward_name"}
    )
    out["ward_code"] = out["ward_code"].astype(str)
    out["ward_name"] = out["ward_name"].astype(str)
    check_plausible_crs(out, path.name)
    out = out.to_crs(crs)
    check_in_great_britain(out, path.name)
    layer = WardLayer(out)
    invalid = ~out.geometry.is_valid
    if invalid.any():
        layer.repairs["invalid polygons repaired with make_valid"] = int(invalid.sum())
        names = ", ".join(out.loc[invalid, "ward_name"].head(5))
        layer.warnings.append(f"{int(invalid.sum())} invalid ward polygon(s) repaired ({names}).")
        out.loc[invalid, "geometry"] = out.loc[invalid, "geometry"].make_valid()
    if out["ward_code"].duplicated().any():
        dups = sorted(out.loc[out["ward_code"].duplicated(), "ward_code"].unique())
        raise GeographyError(
            f"{path.name}: ward code(s) {', '.join(dups)} appear more than once.",
            "Dissolve or fix the duplicated wards in the boundary file.",
        )
    overlaps = overlapping_pairs(out)
    if overlaps:
        layer.warnings.append(
            f"{len(overlaps)} pair(s) of wards overlap (e.g. {overlaps[0][0]} / {overlaps[0][1]}); points in "
            "an overlap are given to the first ward by code and counted in the ledger."
        )
        layer.repairs["overlapping ward pairs"] = len(overlaps)
    if population is not None:
        pop = population[["ward_code", "population"]].copy()
        pop["ward_code"] = pop["ward_code"].astype(str)
        pop["population"] = pd.to_numeric(pop["population"], errors="coerce")
        bad = pop["population"].isna() | (pop["population"] <= 0)
        if bad.any():
            layer.warnings.append(
                f"{int(bad.sum())} ward(s) have no usable population; rates are not shown for them."
            )
        pop.loc[bad, "population"] = np.nan
        out = out.merge(pop, on="ward_code", how="left")
        nopop = out["population"].isna().sum()
        if nopop and not bad.any():
            layer.warnings.append(
                f"{int(nopop)} ward(s) have no population figure; rates are not shown for them."
            )
        out["population"] = out["population"].astype("Int64")
    else:
        out["population"] = pd.array([pd.NA] * len(out), dtype="Int64")
    layer.wards = out.sort_values("ward_code").reset_index(drop=True)
    return layer


# British National Grid extent of the UK (Great Britain, Northern Ireland, the islands), with a margin.
GB_BOUNDS = (-150_000.0, -20_000.0, 710_000.0, 1_260_000.0)


def check_plausible_crs(gdf: gpd.GeoDataFrame, label: str) -> None:
    """Refuse boundaries whose coordinates cannot be in the CRS the file declares.

    The classic mistake: British National Grid metres (e.g. 450000, 250000) in a GeoJSON with no
    ``crs`` member, which the GeoJSON standard says is WGS84 degrees; or degrees labelled
    EPSG:27700. Either would put every ward in the wrong place and silently drop every point.
    """
    geoms = gdf.geometry[~gdf.geometry.is_empty & gdf.geometry.notna()]
    if geoms.empty:
        return
    minx, miny, maxx, maxy = geoms.total_bounds
    crs = gdf.crs
    name = crs.to_string() if crs is not None else "(none)"
    if crs is not None and crs.is_geographic:
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            bng = (
                GB_BOUNDS[0] <= minx
                and maxx <= GB_BOUNDS[2]
                and GB_BOUNDS[1] <= miny
                and maxy <= GB_BOUNDS[3]
            )
            guess = " They look like British National Grid metres (EPSG:27700)." if bng else ""
            raise GeographyError(
                f"{label}: coordinates such as ({minx:.0f}, {miny:.0f}) cannot be longitude/latitude degrees, but the "
                f"file declares (or, as GeoJSON without a 'crs' member, is taken to be in) {name}.{guess}",
                "Re-export the boundaries with their real coordinate reference system declared (for British "
                "National Grid, EPSG:27700), or convert them to WGS84 (EPSG:4326) before saving as GeoJSON.",
            )
    elif crs is not None and crs.is_projected:
        if (
            -180 <= minx <= maxx <= 180
            and -90 <= miny <= maxy <= 90
            and (maxx - minx) < 20
            and (maxy - miny) < 20
        ):
            raise GeographyError(
                f"{label}: coordinates such as ({minx:.4f}, {miny:.4f}) look like longitude/latitude degrees, but the "
                f"file declares {name}, a grid in metres (every ward would be a few metres across).",
                "Re-export the boundaries declaring EPSG:4326 (WGS84 longitude/latitude), or convert them to "
                "British National Grid (EPSG:27700) first.",
            )


def check_in_great_britain(gdf: gpd.GeoDataFrame, label: str) -> None:
    """After projection to British National Grid, every boundary must lie within the UK."""
    if gdf.crs is None or gdf.crs.to_epsg() != 27700:
        return
    geoms = gdf.geometry[~gdf.geometry.is_empty & gdf.geometry.notna()]
    if geoms.empty:
        return
    minx, miny, maxx, maxy = geoms.total_bounds
    finite = np.isfinite([minx, miny, maxx, maxy]).all()
    if (
        not finite
        or minx < GB_BOUNDS[0]
        or miny < GB_BOUNDS[1]
        or maxx > GB_BOUNDS[2]
        or maxy > GB_BOUNDS[3]
    ):
        raise GeographyError(
            f"{label}: after conversion to British National Grid the wards span ({minx:.0f}, {miny:.0f}) to "
            f"({maxx:.0f}, {maxy:.0f}) metres, outside the United Kingdom; the file's coordinate reference system "
            "is probably wrong.",
            "Check which CRS the boundaries were saved in and re-export them declaring it (EPSG:27700 or EPSG:4326).",
        )


def overlapping_pairs(wards: gpd.GeoDataFrame, tolerance_m2: float = 1.0) -> list[tuple[str, str]]:
    pairs = gpd.sjoin(
        wards[["ward_code", "geometry"]],
        wards[["ward_code", "geometry"]],
        predicate="overlaps",
        how="inner",
    )
    out = []
    for _, r in pairs.iterrows():
        a, b = r["ward_code_left"], r["ward_code_right"]
        if a < b:
            inter = (
                wards.loc[wards.ward_code == a, "geometry"]
                .iloc[0]
                .intersection(wards.loc[wards.ward_code == b, "geometry"].iloc[0])
            )
            if inter.area > tolerance_m2:
                out.append((a, b))
    return sorted(out)


def lonlat_to_bng(lon: pd.Series, lat: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    t = Transformer.from_crs("EPSG:4326", BNG, always_xy=True)
    x, y = t.transform(lon.to_numpy(dtype=float), lat.to_numpy(dtype=float))
    return np.asarray(x), np.asarray(y)


def points_to_wards(
    easting: pd.Series, northing: pd.Series, wards: gpd.GeoDataFrame
) -> tuple[pd.Series, pd.Series, int]:
    """Ward code/name for each point (NaN coordinates → <NA>). Returns (codes, names, points in overlaps).

    The one ward-placement rule of the package: a point belongs to a ward whose polygon
    *covers* it (inside or on its boundary, so a point on an edge or vertex shared by several
    wards is placed, not lost); when several wards cover it, the lowest ward code wins. The
    overlap count is of points inside two wards' interiors (a boundary error), not of points on
    a shared edge.
    """
    import shapely

    ok = (easting.notna() & northing.notna()).to_numpy(dtype=bool)
    n = len(easting)
    code_of = np.full(n, None, dtype=object)
    name_of = np.full(n, None, dtype=object)
    in_overlap = 0
    if ok.any():
        # police.uk snaps points to a few thousand map points: each distinct point is placed
        # once and its ward spread back (the same point always falls in the same wards)
        # (a point as one complex number, hashed: far cheaper than np.unique(axis=0), which
        # sorts rows as bytes; which number a distinct point gets does not change its ward)
        xy = np.empty(int(ok.sum()), dtype=np.complex128)
        xy.real = easting.to_numpy(dtype=float)[ok]
        xy.imag = northing.to_numpy(dtype=float)[ok]
        back, uniq = pd.factorize(xy)
        back = np.asarray(back, dtype=np.intp)
        ux, uy = uniq.real, uniq.imag
        u_code = np.full(len(uniq), None, dtype=object)
        u_name = np.full(len(uniq), None, dtype=object)
        # each ward in code order tests the distinct points inside its bounding box against its
        # closed polygon (shapely's intersects_xy: "covers", with no point geometries built);
        # the first ward to cover a point is the lowest code that covers it
        geoms = np.asarray(wards.geometry.to_numpy(), dtype=object)
        order = wards["ward_code"].reset_index(drop=True).sort_values(kind="mergesort").index
        codes_in = wards["ward_code"].astype(object).to_numpy()
        names_in = wards["ward_name"].astype(object).to_numpy()
        covers = np.zeros(len(uniq), dtype=np.int32)
        hits: list[tuple[int, np.ndarray]] = []
        for j in order:
            g = geoms[j]
            if g is None or shapely.is_empty(g):
                continue
            x0, y0, x1, y1 = shapely.bounds(g)
            cand = np.flatnonzero((ux >= x0) & (ux <= x1) & (uy >= y0) & (uy <= y1))
            if not len(cand):
                continue
            shapely.prepare(g)
            cand = cand[shapely.intersects_xy(g, ux[cand], uy[cand])]
            first = cand[covers[cand] == 0]
            u_code[first] = codes_in[j]
            u_name[first] = names_in[j]
            covers[cand] += 1
            hits.append((j, cand))
        if (covers > 1).any():  # in two wards: on a shared edge, or inside two overlapping wards
            interior = np.zeros(len(uniq), dtype=np.int64)
            for j, cand in hits:
                cand = cand[covers[cand] > 1]
                if len(cand):
                    interior[cand] += shapely.contains_xy(geoms[j], ux[cand], uy[cand])
            extra = np.clip(interior - 1, 0, None)
            in_overlap = int(extra[back].sum())  # counted per row, as before
        code_of[ok] = u_code[back]
        name_of[ok] = u_name[back]
    codes = pd.Series(pd.array(code_of, dtype="string"), index=easting.index)
    names = pd.Series(pd.array(name_of, dtype="string"), index=easting.index)
    return codes, names, in_overlap


def read_lookup_text(path: Path) -> pd.DataFrame:
    """Every row and column of an LSOA lookup CSV (optionally gzipped), as text."""
    from helpers.ingest.loading import decode_bytes, read_csv_text

    if not path.exists():
        raise GeographyError(
            f"The LSOA lookup {path} does not exist.", "Check 'sources.lsoa_lookup'."
        )
    data = path.read_bytes()
    if path.suffix == ".gz" or data[:2] == b"\x1f\x8b":
        import gzip

        data = gzip.decompress(data)
    text, _ = decode_bytes(data, path.name)
    df, _ = read_csv_text(text, path.name)
    df.columns = [c.lstrip("\ufeff") for c in df.columns]
    return df


def read_lsoa_lookup(path: Path, filters: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """ONS-shaped LSOA → ward lookup (LSOA11CD, WD19CD, WD19NM, ...), optionally filtered.

    Columns are recognised by prefix (``LSOA11CD``/``LSOA21CD``, ``WD19CD``/``WD22CD``...). Returns
    ``lsoa_code``, ``lookup_ward_code``, ``lookup_ward_name``. The cleaning stage does not use the
    filter here: the area rule (:mod:`helpers.ingest.area`) cuts every input, the lookup included.
    """
    df = read_lookup_text(path)
    if filters:
        for col, values in filters.items():
            if col not in df.columns:
                raise GeographyError(
                    f"{path.name} has no column {col!r} to filter the area on.",
                    "Fix geography.area_filter in the area config.",
                )
            df = df[
                df[col].isin([str(v) for v in (values if isinstance(values, list) else [values])])
            ]

    def pick(prefix: str, suffix: str) -> str:
        for c in df.columns:
            if c.upper().startswith(prefix) and c.upper().endswith(suffix):
                return c
        raise GeographyError(
            f"{path.name} has no {prefix}..{suffix} column.",
            "Use the ONS LSOA to ward best-fit lookup (LSOA11CD, WD19CD, WD19NM).",
        )

    out = pd.DataFrame(
        {
            "lsoa_code": df[pick("LSOA", "CD")].astype("string"),
            "lookup_ward_code": df[pick("WD", "CD")].astype("string"),
            "lookup_ward_name": df[pick("WD", "NM")].astype("string"),
        }
    )
    return out.drop_duplicates("lsoa_code").reset_index(drop=True)
