"""Stage 04 computations: ward counts and rates, Getis-Ord Gi* hot spots, change by ward,
priority wards, concentration (Lorenz/Gini) and statistical disclosure control.

Everything here takes and returns DataFrames / GeoDataFrames; the notebook
``notebooks/04_ward_hotspots`` only calls these functions and displays what they return.

Columns relied on (docs/architecture.md): street ``month``, ``crime_type``, ``is_asb``, ``is_sac``,
``ward_code``, ``ward_method``, ``easting``, ``northing``; wards ``ward_code``, ``ward_name``,
``population`` (nullable), ``geometry`` (EPSG:27700).

Caveats a statistician would raise (also in docs/hotspots.md):

* police.uk locations are snapped to a fixed list of "map points" (street centres, public
  places), so a point can fall in the neighbouring ward; ward counts are approximate near edges.
* rates per 1,000 *residents* inflate town-centre wards, where crime happens to visitors.
* ward boundaries are arbitrary units (the modifiable areal unit problem): other boundaries
  would give other hot spots.
* Gi* p-values are corrected for testing every ward at once (Benjamini–Hochberg FDR); without
  the correction about one ward in twenty would look "significant" by chance. A ward's sign
  and p-value come from the same (conditional permutation) null.
* Changes by ward compare like-for-like months only, and a % change is not shown under the
  small-number rule.

Which cells are hidden for disclosure control is decided (and audited against an attacker
holding every published output) in :mod:`helpers.stages.disclosure`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.core.errors import GeographyError, ParameterError
from helpers.core.narrative import fmt_int, join_names, number_word
from helpers.core.statistics import compare_counts, fdr_bh
from helpers.stages import measures
from helpers.stages.variance import DEFAULT_MIN_COUNT

# --------------------------------------------------------------------------------------------
# Crime measures
# --------------------------------------------------------------------------------------------

ASB_TYPE = "Anti-social behaviour"
SAC_TYPES = ("Burglary", "Robbery", "Vehicle crime")  # police.uk approximation (see offences)


def _is_asb(df: pd.DataFrame) -> pd.Series:
    if "is_asb" in df.columns:
        return df["is_asb"].fillna(False).astype(bool)
    return df["crime_type"].eq(ASB_TYPE)


def _is_sac(df: pd.DataFrame) -> pd.Series:
    if "is_sac" in df.columns:
        return df["is_sac"].fillna(False).astype(bool)
    return df["crime_type"].isin(SAC_TYPES)


@dataclass(frozen=True)
class Measure:
    """A crime measure mapped by ward: ``key`` (file-safe), ``label`` (reader-facing)."""

    key: str
    label: str
    select: Callable[[pd.DataFrame], pd.Series]
    noun: str = "crimes"  # "crimes" or "incidents" (ASB incidents are not crimes)


#: Ward measures -> the registry measure each counts (helpers.stages.measures). Ward counts come
#: from police.uk map points, so each is a measure police.uk counts exactly: "sac" is the
#: police.uk categories nearest to serious acquisitive crime, printed under their own name.
REGISTRY_IDS = {
    "all_crime": "all_crime",
    "violence": "violence_and_sexual_offences",
    "sac": "sac_police_uk",
    "burglary": "burglary",
    "asb": "asb",
}

MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure("all_crime", measures.name("all_crime"), lambda d: ~_is_asb(d)),
        Measure(
            "violence",
            measures.name("violence_and_sexual_offences"),
            lambda d: d["crime_type"].eq("Violence and sexual offences"),
        ),
        Measure("sac", measures.name("sac_police_uk"), lambda d: _is_sac(d) & ~_is_asb(d)),
        Measure("burglary", measures.name("burglary"), lambda d: d["crime_type"].eq("Burglary")),
        Measure("asb", measures.name("asb"), _is_asb, noun="incidents"),
    )
}


def measure_mask(df: pd.DataFrame, key: str) -> pd.Series:
    """Boolean mask of the rows of ``df`` that belong to measure ``key``."""
    return MEASURES[measure_keys([key])[0]].select(df).astype(bool)


def measure_keys(measures: Iterable[str] | None = None) -> list[str]:
    """Validate measure keys (default: all five) and return them as a list."""
    keys = list(MEASURES) if measures is None else list(measures)
    bad = [k for k in keys if k not in MEASURES]
    if bad:
        raise ParameterError(
            f"Unknown crime measure(s) {', '.join(map(repr, bad))}.",
            f"Use any of: {', '.join(MEASURES)}.",
        )
    return keys


# --------------------------------------------------------------------------------------------
# Geography checks and point-in-polygon
# --------------------------------------------------------------------------------------------


@dataclass
class WardCheck:
    """What :func:`check_wards` found and repaired (shown to the reader in the notebook)."""

    n_wards: int
    repaired: list[str] = field(default_factory=list)  # ward codes fixed by make_valid
    slivers: list[tuple[str, str, float]] = field(default_factory=list)  # tiny overlaps, m²
    no_population: list[str] = field(default_factory=list)  # ward names without population

    def notes(self) -> list[str]:
        out = []
        if self.repaired:
            out.append(
                f"{number_word(len(self.repaired)).capitalize()} ward boundar"
                f"{'y was' if len(self.repaired) == 1 else 'ies were'} not valid polygons and "
                f"{'was' if len(self.repaired) == 1 else 'were'} repaired automatically "
                f"(shapely make_valid): {join_names(self.repaired)}."
            )
        if self.slivers:
            out.append(
                f"{number_word(len(self.slivers)).capitalize()} pair(s) of wards overlap by slivers "
                "of less than 0.1% of the smaller ward (digitising noise); a point in a sliver is "
                "counted once, in the first ward."
            )
        if self.no_population:
            out.append(
                f"No resident population is known for {join_names(self.no_population)}: "
                "counts are shown for "
                f"{'it' if len(self.no_population) == 1 else 'them'} but rates are not."
            )
        return out


SLIVER_SHARE = 0.001  # overlaps below 0.1% of the smaller ward are digitising noise


def check_wards(wards, crs: str | None = "EPSG:27700", overlap_tolerance: float = SLIVER_SHARE):
    """Validate ward boundaries; return ``(clean_wards, WardCheck)``.

    Raises :class:`GeographyError` for: no wards, missing ``ward_code``/``geometry``, duplicate
    ward codes, empty geometries, polygons ``make_valid`` cannot turn into polygons, no CRS, a CRS
    other than ``crs`` (pass ``crs=None`` to accept any), and wards overlapping by more than
    ``overlap_tolerance`` of the smaller ward's area. Invalid polygons that ``make_valid`` can
    repair are repaired and listed in ``WardCheck.repaired``. ``ward_name`` defaults to the
    code and ``population`` to missing when absent.
    """
    import geopandas as gpd
    import shapely

    if wards is None or len(wards) == 0:
        raise GeographyError(
            "There are no ward boundaries to map.",
            "Check 'sources: wards' in the area config and re-run the cleaning stage.",
        )
    if not isinstance(wards, gpd.GeoDataFrame) or "ward_code" not in wards.columns:
        raise GeographyError(
            "The ward table is not a GeoDataFrame with a 'ward_code' column and a geometry.",
            "Set 'geography: ward_code' in the area config to the code column of the boundary file.",
        )
    if wards.crs is None:
        raise GeographyError(
            "The ward boundaries have no coordinate reference system (CRS).",
            "Save the boundary file with its CRS (ONS boundaries are EPSG:27700 or EPSG:4326).",
        )
    if crs is not None and not wards.crs.equals(crs):
        raise GeographyError(
            f"CRS mismatch: the ward boundaries are in {wards.crs.to_string()} but the crime points "
            f"are in {crs}.",
            f"Reproject the boundaries first (wards.to_crs({crs!r})); the cleaning stage does this "
            "when 'geography: crs' is set in the area config.",
        )
    w = wards.copy()
    dup = w["ward_code"][w["ward_code"].duplicated()].unique().tolist()
    if dup:
        raise GeographyError(
            f"Ward code(s) {', '.join(map(str, dup))} appear more than once in the ward boundaries.",
            "Dissolve multi-part wards into one row per ward_code (GeoDataFrame.dissolve).",
        )
    if "ward_name" not in w.columns:
        w["ward_name"] = w["ward_code"].astype(str)
    if "population" not in w.columns:
        w["population"] = np.nan
    empty = w.geometry.isna() | w.geometry.is_empty
    if empty.any():
        raise GeographyError(
            f"Ward(s) {', '.join(w.loc[empty, 'ward_code'].astype(str))} have no geometry.",
            "Fix or remove these rows in the ward boundary file.",
        )
    check = WardCheck(n_wards=len(w))
    invalid = ~w.geometry.is_valid
    if invalid.any():
        fixed = shapely.make_valid(w.geometry[invalid].values)
        polys = []
        for code, geom in zip(w.loc[invalid, "ward_code"], fixed, strict=True):
            poly = _polygonal_part(geom)
            if poly is None:
                raise GeographyError(
                    f"The boundary of ward {code} is not a valid polygon and cannot be repaired.",
                    "Re-download the ward boundaries (ONS Open Geography Portal) or fix the "
                    "polygon in a GIS.",
                )
            polys.append(poly)
        w.loc[invalid, "geometry"] = gpd.GeoSeries(polys, index=w.index[invalid], crs=w.crs)
        check.repaired = w.loc[invalid, "ward_name"].astype(str).tolist()
    _check_overlaps(w, check, overlap_tolerance)
    pop = pd.to_numeric(w["population"], errors="coerce")
    w["population"] = pop.where(pop > 0)
    check.no_population = w.loc[w["population"].isna(), "ward_name"].astype(str).tolist()
    return w.reset_index(drop=True), check


def _polygonal_part(geom):
    from shapely.geometry import MultiPolygon, Polygon
    from shapely.ops import unary_union

    if geom is None or geom.is_empty:
        return None
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
    if not parts:
        return None
    return unary_union(parts)


def _check_overlaps(w, check: WardCheck, tolerance: float) -> None:
    import geopandas as gpd

    metric = w if w.crs.is_projected else w.to_crs("EPSG:27700")
    g = gpd.GeoDataFrame({"i": range(len(w))}, geometry=metric.geometry.values, crs=metric.crs)
    pairs = gpd.sjoin(g, g, predicate="intersects")
    pairs = pairs[pairs["i_left"] < pairs["i_right"]]
    for a, b in zip(pairs["i_left"], pairs["i_right"], strict=True):
        ga, gb = g.geometry.iloc[a], g.geometry.iloc[b]
        area = ga.intersection(gb).area
        if area <= 0:
            continue
        share = area / min(ga.area, gb.area)
        ca, cb = str(w["ward_code"].iloc[a]), str(w["ward_code"].iloc[b])
        if share > tolerance:
            raise GeographyError(
                f"Wards {ca} ({w['ward_name'].iloc[a]}) and {cb} ({w['ward_name'].iloc[b]}) overlap "
                f"by {area:,.0f} m² ({share:.1%} of the smaller ward), so a crime there would be "
                "counted twice.",
                "Use one vintage of boundaries (e.g. all December-2019 wards from the ONS Open "
                "Geography Portal) with no duplicated or superseded wards.",
            )
        check.slivers.append((ca, cb, float(area)))


def place_points(points: pd.DataFrame, wards, x: str = "easting", y: str = "northing"):
    """Add ``ward_code``, ``ward_name`` and ``ward_method`` to a copy of ``points`` by the
    cleaning's one placement rule (:func:`helpers.ingest.geography.points_to_wards`: the ward
    covering the point, a shared edge or vertex going to the lowest ward code). ``wards`` must
    already be checked (:func:`check_wards`, same CRS as ``x``/``y``). A point outside every
    ward or without coordinates is kept, ``unassigned`` with a null code, so it is counted.
    """
    from helpers.ingest.geography import points_to_wards

    for col in (x, y):
        if col not in points.columns:
            raise GeographyError(
                f"The crime table has no {col!r} column, so points cannot be placed in wards.",
                "Use the processed street table (easting/northing) or pass x=/y= column names.",
            )
    out = points.drop(columns=[c for c in ("ward_code", "ward_name", "ward_method") if c in points])
    out = out.reset_index(drop=True)
    xs = pd.to_numeric(out[x], errors="coerce")
    ys = pd.to_numeric(out[y], errors="coerce")
    codes, names, _ = points_to_wards(xs, ys, wards)
    out["ward_code"] = codes.astype(object).where(codes.notna(), None)
    out["ward_name"] = names.astype(object).where(names.notna(), None)
    out["ward_method"] = np.where(codes.notna(), "point-in-polygon", "unassigned")
    return out


# --------------------------------------------------------------------------------------------
# Counts and rates
# --------------------------------------------------------------------------------------------


@dataclass
class WardCounts:
    """Counts by ward for several measures.

    ``table``: one row per ward (every ward, zeros included) with ``ward_code``, ``ward_name``,
    ``population`` and one integer column per measure key. ``unassigned``: per measure, records
    in the months that are in no ward (outside every boundary, no coordinates, or a ward code not
    in the boundaries); they are in ``totals`` but not in any ward. ``months``: months counted.
    """

    table: pd.DataFrame
    unassigned: dict[str, int]
    totals: dict[str, int]
    months: list[str]

    def rates(self) -> pd.DataFrame:
        """Rate per 1,000 residents per measure (NaN where population is unknown)."""
        out = self.table[["ward_code", "ward_name", "population"]].copy()
        for key in self.unassigned:
            out[key] = rate_per_1000(self.table[key], self.table["population"])
        return out

    def long(self) -> pd.DataFrame:
        """Long format: ward_code, ward_name, population, measure, count, rate_per_1000."""
        rows = []
        for key in self.unassigned:
            part = self.table[["ward_code", "ward_name", "population"]].copy()
            part["measure"] = key
            part["count"] = self.table[key].astype(int)
            part["rate_per_1000"] = rate_per_1000(part["count"], part["population"])
            rows.append(part)
        return pd.concat(rows, ignore_index=True)


def month_text(col: pd.Series) -> pd.Series:
    """A ``month`` column as text to compare with ``"YYYY-MM"`` strings: ``col.astype(str)``,
    except that a column already of pandas' string dtype (the processed tables') is returned
    as it is, rather than converted row by row in Python (0.1 s per call on 135,000 rows)."""
    return col if isinstance(col.dtype, pd.StringDtype) else col.astype(str)


def months_present(col: pd.Series) -> list[str]:
    """The distinct months of a ``month`` column as sorted text (``sorted(set(col.astype(str)))``)."""
    return sorted(set(month_text(col).unique()))


def count_by_ward(
    records: pd.DataFrame,
    wards,
    months: Sequence[str] | None = None,
    measures: Iterable[str] | None = None,
    x: str = "easting",
    y: str = "northing",
    crs: str = "EPSG:27700",
) -> WardCounts:
    """Count records by ward for each measure, over ``months`` (default: all months present).

    If ``records`` has a ``ward_code`` column (the processed street table), the cleaning's
    placement is used; otherwise points are placed by :func:`place_points` (the cleaning's own
    rule, :func:`helpers.ingest.geography.points_to_wards`) using ``x``/``y`` in ``crs``. Every ward appears (zero when nothing happened there). Records outside every ward
    are counted in ``unassigned``, never dropped: ``sum(table[key]) + unassigned[key] ==
    totals[key]``.
    """
    keys = measure_keys(measures)
    w, _ = check_wards(wards, crs=crs if "ward_code" not in records.columns else None)
    recs = records
    if months is not None:
        if "month" not in recs.columns:
            raise GeographyError(
                "The crime table has no 'month' column, so it cannot be limited to the period.",
                "Use the processed street table written by the cleaning stage.",
            )
        recs = recs[month_text(recs["month"]).isin(set(map(str, months)))]
    if "ward_code" not in recs.columns:
        recs = place_points(recs, w, x=x, y=y)
    known = recs["ward_code"].isin(set(w["ward_code"]))
    table = w[["ward_code", "ward_name", "population"]].copy()
    unassigned, totals = {}, {}
    for key in keys:
        sel = MEASURES[key].select(recs).to_numpy(dtype=bool)
        counts = recs.loc[sel & known.to_numpy(), "ward_code"].value_counts()
        table[key] = table["ward_code"].map(counts).fillna(0).astype(int)
        totals[key] = int(sel.sum())
        unassigned[key] = int((sel & ~known.to_numpy()).sum())
    used = months_present(recs["month"]) if "month" in recs.columns else []
    return WardCounts(table.reset_index(drop=True), unassigned, totals, list(months or used))


def rate_per_1000(counts, population) -> pd.Series:
    """Counts per 1,000 residents; NaN where population is missing or not positive."""
    c = pd.to_numeric(pd.Series(counts), errors="coerce").astype(float)
    p = pd.to_numeric(pd.Series(population, index=c.index), errors="coerce").astype(float)
    return (c / p.where(p > 0) * 1000.0).rename(None)


# --------------------------------------------------------------------------------------------
# Getis-Ord Gi*
# --------------------------------------------------------------------------------------------

HOT, COLD, NOT_SIG = "Hot spot", "Cold spot", "Not significant"


def spatial_weights(wards, method: str = "queen", distance: float | None = None):
    """libpysal weights on the wards, in ward order.

    ``queen``: wards sharing an edge or a corner are neighbours. ``distance``: ward centroids
    within ``distance`` metres (default: the smallest distance that gives every ward a
    neighbour). Wards with no neighbour ("islands") are reported by the caller.
    """
    from libpysal import weights

    if method == "queen":
        return weights.Queen.from_dataframe(wards, use_index=False, silence_warnings=True)
    if method == "distance":
        cent = wards.geometry.representative_point()
        coords = np.column_stack([cent.x, cent.y])
        if distance is None:
            distance = weights.min_threshold_distance(coords) * 1.0001
        return weights.DistanceBand(coords, threshold=distance, binary=True, silence_warnings=True)
    raise ParameterError(f"Unknown weights method {method!r}.", "Use 'queen' or 'distance'.")


def gi_star(
    wards,
    values,
    fdr_alpha: float = 0.05,
    weights: str = "queen",
    distance: float | None = None,
    permutations: int = 9999,
    seed: int = 12345,
) -> pd.DataFrame:
    """Getis-Ord Gi* (focal ward included, binary weights) for ``values`` aligned with ``wards``.

    Returns one row per ward: ``ward_code``, ``ward_name``, ``value``, ``z``, ``p`` (two-sided),
    ``q`` (Benjamini–Hochberg), ``neighbours`` and ``spot``: "Hot spot" (q <= fdr_alpha, z > 0),
    "Cold spot" (q <= fdr_alpha, z < 0) or "Not significant". Confidence = 1 - fdr_alpha with
    the false discovery rate controlled.

    The sign and the p-value always come from **one null distribution**:

    * ``permutations`` > 0 (default): esda's conditional permutations (the ward's own value
      held, the others shuffled over its neighbours). ``p = min(1, 2 x smaller tail)`` with the
      tails ``(#{sim >= G} + 1) / (P + 1)`` and ``(#{sim <= G} + 1) / (P + 1)``; the direction
      is the smaller tail's (upper = hot, lower = cold; equal tails: no direction, z = 0), and
      ``z`` is the standard-normal score of that two-sided p, signed by that tail. The analytic
      z is not used: under conditional permutation its sign can disagree with the tail the
      p-value measures (a ward with a very high count of its own among low neighbours).
    * ``permutations`` = 0: the analytic z of Getis & Ord (1995) and its normal p-value.

    Cost: wards x permutations x neighbours (never wards² x permutations).

    Raises GeographyError when there are fewer than 3 wards, no events at all, or all wards
    have the same value (Gi* is undefined).
    """
    from scipy.stats import norm

    with warnings.catch_warnings():  # esda's first import warns about tqdm widgets
        warnings.simplefilter("ignore")
        from esda.getisord import G_Local

    y = pd.to_numeric(pd.Series(values), errors="coerce").astype(float).to_numpy()
    if len(y) != len(wards):
        raise ValueError("values must align with wards")
    if len(wards) < 3:
        raise GeographyError(
            f"Hot-spot analysis needs at least 3 wards; there are {len(wards)}.",
            "Check the ward boundary file covers the whole area.",
        )
    if np.isnan(y).any():
        raise GeographyError(
            "Some wards have no value (suppressed or unknown population), so Gi* cannot be run.",
            "Run Gi* on counts, or on rates only where every ward has a population.",
        )
    if y.sum() <= 0:
        raise GeographyError(
            "No points fall in the area's wards for this measure, so there are no hot spots to find.",
            "Check the period and that the crime coordinates and boundaries are in the same CRS.",
        )
    if np.allclose(y, y[0]):
        raise GeographyError(
            "Every ward has the same value, so no ward stands out (Gi* is undefined).",
            "Nothing to fix: there are no hot or cold spots for this measure.",
        )
    if permutations < 0:
        raise ParameterError(f"permutations = {permutations} is negative.", "Use e.g. 9999.")
    w = spatial_weights(wards, weights, distance)
    neighbours = np.array([w.cardinalities[i] for i in w.id_order])
    np.random.seed(seed)  # esda's permutation draws; fixed so the report is reproducible
    with warnings.catch_warnings():
        # esda warns that its default one-sided ("directed") pseudo p-value will change; we
        # compute both tails ourselves from the kept simulations.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="esda")
        g = G_Local(
            y,
            w,
            transform="B",
            star=True,
            permutations=permutations,
            seed=seed,
            n_jobs=1,
            keep_simulations=bool(permutations),
        )
    if permutations:
        sims = np.asarray(g.rGs, dtype=float)  # wards x permutations
        obs = np.asarray(g.Gs, dtype=float)[:, None]
        # a relative tolerance so that a simulated value equal to the observed one (same
        # neighbour sum, float noise) counts in both tails
        tol = 1e-6 * np.maximum(1.0, np.abs(obs))  # esda simulates in float32
        upper = ((sims >= obs - tol).sum(axis=1) + 1.0) / (permutations + 1.0)
        lower = ((sims <= obs + tol).sum(axis=1) + 1.0) / (permutations + 1.0)
        p = np.minimum(1.0, 2.0 * np.minimum(upper, lower))
        sign = np.sign(lower - upper)  # +1: the upper tail is the smaller one (hot)
        z = sign * norm.isf(np.clip(p, 1e-300, 1.0) / 2.0)
    else:
        z = np.asarray(g.Zs, dtype=float)
        p = np.minimum(1.0, 2.0 * np.asarray(g.p_norm, dtype=float))
    z = np.where(np.abs(z) < 1e-12, 0.0, z)
    reject, q = fdr_bh(p, fdr_alpha)
    spot = np.where(reject & (z > 0), HOT, np.where(reject & (z < 0), COLD, NOT_SIG))
    return pd.DataFrame(
        {
            "ward_code": wards["ward_code"].to_numpy(),
            "ward_name": wards["ward_name"].to_numpy()
            if "ward_name" in wards
            else wards["ward_code"].to_numpy(),
            "value": y,
            "z": z,
            "p": p,
            "q": q,
            "neighbours": neighbours,
            "spot": spot,
        }
    )


def hotspot_sentence(result: pd.DataFrame, label: str, fdr_alpha: float) -> str:
    """Plain-English summary of a :func:`gi_star` result."""
    hot = result.loc[result["spot"] == HOT].sort_values("z", ascending=False)["ward_name"]
    cold = result.loc[result["spot"] == COLD].sort_values("z")["ward_name"]
    conf = f"{(1 - fdr_alpha) * 100:.0f}%"
    if hot.empty and cold.empty:
        return (
            f"{label}: no ward is a statistically significant hot or cold spot at {conf} "
            "confidence once every ward is tested at the same time."
        )
    parts = []
    if not hot.empty:
        parts.append(
            f"{number_word(len(hot))} hot spot{'s' if len(hot) != 1 else ''} "
            f"({join_names(hot.tolist())})"
        )
    if not cold.empty:
        parts.append(
            f"{number_word(len(cold))} cold spot{'s' if len(cold) != 1 else ''} "
            f"({join_names(cold.tolist())})"
        )
    return (
        f"{label}: {join_names(parts)} at {conf} confidence (Getis-Ord Gi*, false discovery "
        "rate controlled across all wards)."
    )


# --------------------------------------------------------------------------------------------
# Change by ward
# --------------------------------------------------------------------------------------------


#: Small-number rule (one rule for the whole pack, defined by the variance stage): a % change is
#: not printed when either period's count is below this; the count change still is.
SMALL_NUMBER = DEFAULT_MIN_COUNT


@dataclass
class LikeForLike:
    """The two periods of a ward change, over the calendar-month positions both hold.

    ``current`` / ``previous``: :class:`WardCounts` over ``current_months`` /
    ``previous_months`` (equal in number, month *i* of one a fixed number of months after month
    *i* of the other); ``dropped``: months of the current period left out because their
    counterpart is missing from the data (a missing month is never compared with a present one).
    """

    current: WardCounts
    previous: WardCounts
    current_months: list[str]
    previous_months: list[str]
    dropped: list[str]

    def note(self) -> str | None:
        """Plain-English note when months were left out (None when the periods are complete)."""
        if not self.dropped:
            return None
        n = len(self.current_months)
        names = [pd.Period(m, freq="M").strftime("%B %Y") for m in self.dropped]
        return (
            f"Changes by ward compare the {number_word(n)} months that both periods hold "
            f"(like for like): {join_names(names)} "
            f"{'is' if len(self.dropped) == 1 else 'are'} left out of the current period because "
            "the same month a period earlier is missing from the data."
        )


def like_for_like_counts(
    records: pd.DataFrame,
    wards,
    current,
    comparison,
    measures: Iterable[str] | None = None,
    crs: str = "EPSG:27700",
) -> LikeForLike | None:
    """Ward counts of ``current`` and ``comparison`` (:class:`ReportingPeriod`) over the month
    positions both hold in ``records['month']``; None when they share none.

    The change, its percentage and its test then all use the same months, so a month missing
    from one period changes neither the count difference nor the test (no exposure scaling).
    """
    from helpers.core.periods import like_for_like_months

    available = months_present(records["month"])
    cur_m, prev_m = like_for_like_months(available, current, comparison)
    if not cur_m:
        return None
    cur = count_by_ward(records, wards, months=cur_m, measures=measures, crs=crs)
    prev = count_by_ward(records, wards, months=prev_m, measures=measures, crs=crs)
    dropped = [m for m in current.month_list if m in set(available) and m not in set(cur_m)]
    return LikeForLike(cur, prev, cur_m, prev_m, dropped)


def ward_change(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    measure: str,
    alpha: float = 0.05,
    min_count: int = SMALL_NUMBER,
) -> pd.DataFrame:
    """Change per ward between two :attr:`WardCounts.table` frames for one measure, counted
    over the same number of months (see :func:`like_for_like_counts`).

    Columns: ``ward_code``, ``ward_name``, ``current``, ``previous``, ``change``,
    ``small_numbers`` (either count below ``min_count``), ``pct_change`` (missing under the
    small-number rule or from zero), ``direction`` (up/down/same), ``p`` (conditional binomial
    test per ward, equal exposure) and ``q`` (Benjamini–Hochberg across the wards of the table,
    always) and ``significant`` (q <= alpha).
    """
    cur = current[["ward_code", "ward_name", measure]].rename(columns={measure: "current"})
    prev = previous[["ward_code", measure]].rename(columns={measure: "previous"})
    out = cur.merge(prev, on="ward_code", how="outer")
    out["ward_name"] = out["ward_name"].fillna(out["ward_code"])
    out[["current", "previous"]] = out[["current", "previous"]].fillna(0).astype(int)
    out["change"] = out["current"] - out["previous"]
    out["small_numbers"] = out[["current", "previous"]].min(axis=1) < min_count
    ok = (out["previous"] > 0) & ~out["small_numbers"]
    out["pct_change"] = np.where(ok, out["change"] / out["previous"].where(ok) * 100, np.nan)
    out["direction"] = np.select([out["change"] > 0, out["change"] < 0], ["up", "down"], "same")
    out["p"] = [  # equal exposure: both periods cover the same months
        compare_counts(c, p, alpha=alpha, method="exact", interval=False).p_value
        for c, p in zip(out["current"], out["previous"], strict=True)
    ]
    reject, q = fdr_bh(out["p"].to_numpy(), alpha)
    out["q"] = q
    out["significant"] = reject
    return out.sort_values(["change", "ward_name"], ascending=[False, True]).reset_index(drop=True)


def change_sentence(change: pd.DataFrame, label: str, noun: str = "crimes") -> str:
    """The seeds' sentence, from the figures.

    Overall fall: 'Anti-social behaviour fell in 30 of the 33 wards: only three wards showed any
    increase, none significant.' (with '(12 of them significantly)' after 'wards' when some
    falls are significant). Overall rise: 'All crime rose in 27 of the 30 wards, 18 of
    them significantly (Castle, Victoria, ... and 13 others).'
    """
    n = len(change)
    up = change[change["direction"] == "up"]
    down = change[change["direction"] == "down"]
    total_cur, total_prev = int(change["current"].sum()), int(change["previous"].sum())
    sig_up = up[up["significant"]].sort_values("change", ascending=False)
    if total_cur > total_prev:
        head = (
            f"{label} rose in all {fmt_int(n)} wards"
            if len(up) == n
            else f"{label} rose in {fmt_int(len(up))} of the {fmt_int(n)} wards"
        )
        if sig_up.empty:
            return f"{head}, none of them significantly."
        return f"{head}, {fmt_int(len(sig_up))} of them significantly ({_names(sig_up)})."
    if total_cur < total_prev:
        head = (
            f"{label} fell in all {fmt_int(n)} wards"
            if len(down) == n
            else f"{label} fell in {fmt_int(len(down))} of the {fmt_int(n)} wards"
        )
        n_sig_down = int(down["significant"].sum())
        if n_sig_down:
            every = n_sig_down == len(down) and len(down) > 1
            how_many = ("both" if len(down) == 2 else "all") if every else fmt_int(n_sig_down)
            head += f" ({how_many} of them significantly)"
    else:
        head = f"{label} was unchanged overall across the {fmt_int(n)} wards"
    if up.empty:
        return f"{head}: no ward showed any increase."
    lead = "" if len(up) > n / 2 else "only "
    count = f"{lead}{number_word(len(up))} ward{'s' if len(up) != 1 else ''}"
    names = _names(sig_up)
    if sig_up.empty:
        tail = "none significant" if len(up) > 1 else "and it was not significant"
    elif len(sig_up) == len(up):
        tail = f"all significant ({names})" if len(up) > 1 else f"and it was significant ({names})"
    else:
        tail = f"{number_word(len(sig_up))} of them significant ({names})"
    return f"{head}: {count} showed any increase, {tail}."


def _names(frame: pd.DataFrame, limit: int = 5) -> str:
    names = frame["ward_name"].astype(str).tolist()
    if len(names) <= limit:
        return join_names(names)
    rest = len(names) - limit
    return ", ".join(names[:limit]) + f" and {fmt_int(rest)} other{'s' if rest != 1 else ''}"


# --------------------------------------------------------------------------------------------
# Concentration
# --------------------------------------------------------------------------------------------


def lorenz_curve(values) -> pd.DataFrame:
    """Lorenz curve points: ``share_of_wards`` and ``share_of_crime`` (both %, from 0 to 100),
    wards sorted from the least to the most crime."""
    x = np.sort(np.asarray(values, dtype=float))
    n, total = len(x), x.sum()
    if n == 0 or total <= 0:
        raise GeographyError(
            "No crime is recorded in any ward, so its concentration cannot be described.",
            "Check the period and the measure.",
        )
    return pd.DataFrame(
        {
            "share_of_wards": np.arange(n + 1) / n * 100.0,
            "share_of_crime": np.concatenate([[0.0], np.cumsum(x) / total * 100.0]),
        }
    )


def gini(values) -> float:
    """Gini coefficient by the sorted-values formula
    ``G = 2 * sum(i * x_(i)) / (n * sum(x)) - (n + 1) / n`` (i = 1..n, x ascending).
    0 = crime spread evenly over wards; close to 1 = all crime in one ward."""
    x = np.sort(np.asarray(values, dtype=float))
    n, total = len(x), x.sum()
    if n == 0 or total <= 0:
        return float("nan")
    i = np.arange(1, n + 1)
    return float(2.0 * (i * x).sum() / (n * total) - (n + 1) / n)


def top_share(values, fraction: float = 0.10) -> tuple[int, float]:
    """``(k, share%)``: the share of crime in the top ``ceil(fraction * n)`` wards."""
    x = np.sort(np.asarray(values, dtype=float))[::-1]
    k = max(1, math.ceil(fraction * len(x)))
    total = x.sum()
    return k, float(x[:k].sum() / total * 100.0) if total > 0 else float("nan")


def concentration_sentence(values, names, label: str, fraction: float = 0.10) -> str:
    k, share = top_share(values, fraction)
    g = gini(values)
    order = np.argsort(-np.asarray(values, dtype=float), kind="stable")
    top = [str(names[i]) for i in order[:k]]
    return (
        f"{label}: the {number_word(k)} ward{'s' if k != 1 else ''} with the most "
        f"({join_names(top)}) — the top {fraction:.0%} of {len(order)} wards — held "
        f"{share:.1f}% of the area's total (Gini coefficient {g:.2f}; 0 would mean an even spread)."
    )


# --------------------------------------------------------------------------------------------
# Statistical disclosure control
# --------------------------------------------------------------------------------------------


@dataclass
class Suppressed:
    """A table safe to publish: ``data`` with suppressed cells set to missing, ``mask`` (True =
    suppressed, same shape), ``primary`` / ``secondary`` cell counts and ``note``."""

    data: pd.DataFrame
    mask: pd.DataFrame
    primary: int
    secondary: int
    note: str


def suppress(
    df: pd.DataFrame,
    count_cols: Sequence[str],
    threshold: int,
    dependents: dict[str, Sequence[str]] | None = None,
    total_published: bool = True,
) -> Suppressed:
    """Suppress counts below ``threshold`` (0 included) in ``count_cols``.

    Primary suppression: every count ``< threshold``. Secondary (complementary) suppression, when
    the column total is published (``total_published``): if exactly one cell in a column is
    suppressed, the next-smallest count is suppressed too, so the hidden cell cannot be
    recovered as total minus the others. ``dependents`` maps a count column to columns derived
    from it (rate, share, change), which are suppressed with it. Residual risk (documented in
    docs/hotspots.md): differencing *across* tables (e.g. two periods, or all crime minus other
    measures) is not prevented.
    """
    if threshold < 1:
        return Suppressed(
            df.copy(),
            pd.DataFrame(False, index=df.index, columns=df.columns),
            0,
            0,
            "No counts are suppressed (disclosure threshold below 1).",
        )
    data = df.copy()
    mask = pd.DataFrame(False, index=df.index, columns=df.columns)
    primary = secondary = 0
    for col in count_cols:
        v = pd.to_numeric(df[col], errors="coerce")
        small = v.notna() & (v < threshold)
        primary += int(small.sum())
        if total_published and small.sum() == 1 and (~small & v.notna()).any():
            nxt = v[~small & v.notna()].sort_values(kind="stable").index[0]
            small.loc[nxt] = True
            secondary += 1
        mask[col] = small.to_numpy()
        for dep in (dependents or {}).get(col, []):
            mask[dep] = mask[dep].to_numpy() | small.to_numpy()
    for col in mask.columns:
        if mask[col].any():
            if pd.api.types.is_numeric_dtype(data[col]) and not pd.api.types.is_bool_dtype(
                data[col]
            ):
                data[col] = data[col].astype(float).where(~mask[col])
            else:
                data[col] = data[col].astype("object").where(~mask[col], None)
    note = suppression_note(threshold, primary, secondary)
    return Suppressed(data, mask, primary, secondary, note)


def suppression_note(threshold: int, primary: int, secondary: int = 0) -> str:
    if primary == 0:
        return (
            f"Statistical disclosure control: no count in this table is below {threshold}, "
            "so nothing is suppressed."
        )
    extra = (
        f" A further {fmt_int(secondary)} cell{'s were' if secondary != 1 else ' was'} "
        "suppressed so that a hidden count cannot be worked out from the total."
        if secondary
        else ""
    )
    return (
        f"Statistical disclosure control: counts below {threshold} (shown *) are suppressed, with "
        f"any rate, share or change that would reveal them, so that no victim can be "
        f"identified.{extra}"
    )


# --------------------------------------------------------------------------------------------
# Priority wards
# --------------------------------------------------------------------------------------------


def priority_table(
    counts: WardCounts,
    measure: str,
    change: pd.DataFrame | None = None,
    top_n: int = 10,
) -> pd.DataFrame:
    """Top ``top_n`` wards for ``measure`` by count (ties by name).

    Columns: ``Rank``, ``Ward``, ``Count``, ``Rate per 1,000``, ``Share of area total (%)``
    (the area total is the sum over all wards; records in no ward are reported separately),
    ``Change`` and ``Change (%)`` against the
    comparison period (when ``change`` from :func:`ward_change` is given).
    """
    if top_n < 1:
        raise ParameterError(f"top_n = {top_n} must be at least 1.", "Use e.g. 10.")
    t = counts.table[["ward_code", "ward_name", "population", measure]].copy()
    total = int(t[measure].sum())
    t = t.sort_values([measure, "ward_name"], ascending=[False, True]).head(top_n)
    out = pd.DataFrame(
        {
            "Rank": np.arange(1, len(t) + 1),
            "Ward": t["ward_name"].astype(str).to_numpy(),
            "Count": t[measure].astype(int).to_numpy(),
            "Rate per 1,000": rate_per_1000(t[measure], t["population"]).to_numpy(),
            "Share of area total (%)": (t[measure] / total * 100.0).to_numpy() if total else np.nan,
        }
    )
    if change is not None:
        ch = change.set_index("ward_code")
        out["Change"] = ch.loc[t["ward_code"], "change"].to_numpy()
        out["Change (%)"] = ch.loc[t["ward_code"], "pct_change"].to_numpy()
    out.attrs["ward_code"] = t["ward_code"].astype(str).tolist()  # for disclosure masks
    return out


@dataclass(frozen=True)
class DensitySurface:
    """A binned kernel density surface (see :func:`kernel_density`).

    ``grid``: points per km² on a ``cell``-metre grid (rows = northing, NaN outside every ward);
    ``extent``: ``(left, right, bottom, top)`` for ``imshow(grid, extent=extent, origin="lower")``;
    ``bandwidth``: the Gaussian kernel's standard deviation in metres; ``rule``: how it was
    chosen ("Scott's rule" or "set by the analyst"); ``points``: points smoothed.
    """

    grid: np.ndarray
    extent: tuple[float, float, float, float]
    bandwidth: float
    cell: float
    rule: str
    points: int

    def method_text(self) -> str:
        """The method in plain English, for the caption beside the map."""
        return (
            f"Each crime's map point is spread over the surrounding area as a bell-shaped "
            f"(Gaussian) kernel with a spread of {fmt_int(round(self.bandwidth))} metres "
            f"(one standard deviation, chosen by {self.rule}), counted on "
            f"{fmt_int(round(self.cell))}-metre squares."
        )


def scott_bandwidth(x, y) -> float:
    """Scott's rule for a 2-D Gaussian kernel with one spread for both axes:
    ``n ** (-1/6) * sqrt((var(x) + var(y)) / 2)`` metres (the rule scipy's ``gaussian_kde``
    uses, with the covariance replaced by its average variance)."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = len(xs)
    spread = math.sqrt((np.var(xs, ddof=1) + np.var(ys, ddof=1)) / 2.0)
    return float(n ** (-1.0 / 6.0) * spread)


def kernel_density(
    x,
    y,
    wards,
    cell: float = 100.0,
    bandwidth: float | None = None,
) -> DensitySurface:
    """Gaussian kernel density of points (per km², summing to the number of points) on a
    ``cell``-metre grid over the wards' extent; cells outside every ward are NaN.

    Binned, so the cost grows with points + cells, not points x cells: the points are counted
    on the grid (a 2-D histogram whose cells are centred on the grid points), then smoothed by a
    Gaussian filter (``scipy.ndimage.gaussian_filter``, kernel cut at 4 standard deviations) of
    standard deviation ``bandwidth`` metres (default :func:`scott_bandwidth`; never less than
    one cell). The grid is padded by four bandwidths before smoothing so points near the edge
    keep their whole kernel. Caveat: binning moves each point to the middle of its cell, an
    error of at most half a cell, small against a bandwidth of several cells.
    Needs >= 3 points.
    """
    from scipy.ndimage import gaussian_filter
    from shapely import contains_xy, prepare
    from shapely.ops import unary_union

    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    ok = ~(np.isnan(xs) | np.isnan(ys))
    xs, ys = xs[ok], ys[ok]
    if len(xs) < 3:
        raise GeographyError(
            f"Only {len(xs)} point(s) fall in the area, too few for a density surface.",
            "Choose a longer period or a broader measure.",
        )
    if not cell > 0:
        raise ParameterError(f"cell = {cell!r} must be a positive number of metres.", "Use 100.")
    rule = "Scott's rule" if bandwidth is None else "the analyst"
    h = scott_bandwidth(xs, ys) if bandwidth is None else float(bandwidth)
    if not np.isfinite(h) or h <= 0:
        if bandwidth is not None:
            raise ParameterError(
                f"bandwidth = {bandwidth!r} must be a positive number of metres.", "Use e.g. 500."
            )
        h = cell  # every point at one place: the narrowest kernel the grid can show
    h = max(h, cell)
    xmin, ymin, xmax, ymax = wards.total_bounds
    gx = np.arange(xmin, xmax + cell, cell)
    gy = np.arange(ymin, ymax + cell, cell)
    pad = int(math.ceil(4.0 * h / cell))
    ex = xmin - cell / 2 + cell * np.arange(-pad, len(gx) + pad + 1)
    ey = ymin - cell / 2 + cell * np.arange(-pad, len(gy) + pad + 1)
    hist, _, _ = np.histogram2d(ys, xs, bins=[ey, ex])  # rows: northing, columns: easting
    smooth = gaussian_filter(hist, sigma=h / cell, mode="constant", truncate=4.0)
    dens = smooth[pad : pad + len(gy), pad : pad + len(gx)] * (1e6 / (cell * cell))
    mx, my = np.meshgrid(gx, gy)
    area = unary_union(wards.geometry.values)
    prepare(area)
    dens[~contains_xy(area, mx, my)] = np.nan
    extent = (gx[0] - cell / 2, gx[-1] + cell / 2, gy[0] - cell / 2, gy[-1] + cell / 2)
    return DensitySurface(dens, extent, h, float(cell), rule, int(len(xs)))


# --------------------------------------------------------------------------------------------
# Published (disclosure-controlled) tables
# --------------------------------------------------------------------------------------------


def published_ward_table(counts: WardCounts, threshold: int, protection=None) -> Suppressed:
    """Every ward's count and rate per 1,000 for each measure, safe to publish.

    Columns: ``ward_code``, ``ward_name``, ``population``, then ``<key>`` (count) and
    ``<key>_rate`` per measure. Counts below ``threshold`` and their rates are suppressed, with
    complementary suppression: with ``protection`` (:func:`helpers.stages.disclosure.protect`,
    the stage's audited choice) its cells; without, the column rule of :func:`suppress`.
    """
    t = counts.table.copy()
    keys = list(counts.unassigned)
    cols = ["ward_code", "ward_name", "population"]
    for key in keys:
        t[f"{key}_rate"] = rate_per_1000(t[key], t["population"])
        cols += [key, f"{key}_rate"]
    if protection is None:
        return suppress(t[cols], keys, threshold, dependents={k: [f"{k}_rate"] for k in keys})
    data = t[cols].copy()
    mask = pd.DataFrame(False, index=data.index, columns=cols)
    for key in keys:
        hide = protection.ward[key].to_numpy(dtype=bool)
        for col in (key, f"{key}_rate"):
            mask[col] = hide
            data[col] = data[col].astype(float).where(~hide)
    return Suppressed(data, mask, protection.primary, protection.secondary, protection.note())


def published_change_table(
    change: pd.DataFrame, threshold: int, protection=None, key: str | None = None
) -> Suppressed:
    """A :func:`ward_change` frame made safe to publish: the previous count, the exact p and
    the q-value are never published (significance is a class: ``significant`` True/False), so
    no test result can be inverted into a count.

    With ``protection`` (:func:`helpers.stages.disclosure.protect`) and the measure ``key``, its
    audited cells are hidden: ``current`` where its like-for-like count is hidden, ``change``,
    ``pct_change`` and ``direction`` where the change is. Without, ``current`` is suppressed
    below ``threshold`` (with a complementary cell when only one is hidden), the change where
    *either* count is below the threshold, plus the smallest other change when only one would
    be hidden.
    """
    cols = ["ward_code", "ward_name", "current", "change", "pct_change", "direction",
            "significant"]  # fmt: skip
    data = change[cols].copy()
    if protection is not None:
        order = pd.Index(protection.ward_codes)
        pos = order.get_indexer(change["ward_code"].astype(str))
        hide_cur = protection.current[key].to_numpy(dtype=bool)[pos]
        hide = protection.change[key].to_numpy(dtype=bool)[pos] | hide_cur
        primary, secondary, note = protection.primary, protection.secondary, protection.note()
    else:
        base = suppress(change[["current"]], ["current"], threshold)
        hide_cur = base.mask["current"].to_numpy()
        small = (change["current"] < threshold) | (change["previous"] < threshold)
        hide = small.to_numpy() | hide_cur
        secondary = base.secondary
        if hide.sum() == 1 and (~hide).any():
            others = change["change"].abs().where(~hide)
            hide[int(np.nanargmin(others.to_numpy()))] = True
            secondary += 1
        primary = base.primary + int((small.to_numpy() & ~hide_cur).sum())
        note = suppression_note(threshold, primary, secondary)
    mask = pd.DataFrame(False, index=data.index, columns=cols)
    mask["current"] = hide_cur
    for col in ("change", "pct_change", "direction"):
        mask[col] = hide
    data["current"] = data["current"].astype(float).where(~hide_cur)
    data["change"] = data["change"].astype(float).where(~hide)
    data["pct_change"] = data["pct_change"].astype(float).where(~hide)
    data["direction"] = data["direction"].astype("object").where(~hide, None)
    return Suppressed(data, mask, primary, secondary, note)


def published_gi_star(result: pd.DataFrame, hidden: bool) -> pd.DataFrame:
    """The Gi* table safe to publish: ``ward_code``, ``ward_name``, ``z``, ``p``, ``q``, ``spot``.

    When any count of the measure is suppressed (``hidden``), only the class (``spot``) is
    published: every ward's z and p are functions of every ward's count (the analytic z is
    linear in them; a seeded permutation can be replayed), so they could pin a hidden count.
    """
    out = result[["ward_code", "ward_name", "z", "p", "q", "spot"]].copy()
    if hidden:
        out[["z", "p", "q"]] = np.nan
    return out


def unassigned_sentence(counts: WardCounts) -> str:
    """How many records fell in no ward (they stay in the area total, never dropped)."""
    total = counts.totals.get("all_crime", 0) + counts.totals.get("asb", 0)
    outside = counts.unassigned.get("all_crime", 0) + counts.unassigned.get("asb", 0)
    if outside == 0:
        return "Every crime and ASB incident in the period was placed in a ward."
    return (
        f"{fmt_int(outside)} of the {fmt_int(total)} crimes and ASB incidents "
        f"({outside / total * 100:.1f}%) could not be placed in any ward (their map point lies "
        "outside every ward boundary, or they have no location). They are counted in the area "
        "totals and the data-quality ledger, but not in any ward."
    )


# --------------------------------------------------------------------------------------------
# Change by ward: the compact table a panel reads
# --------------------------------------------------------------------------------------------

SIG_RISE, SIG_FALL, SIG_HIDDEN, NOT_SIGNIFICANT = "Yes, rise", "Yes, fall", "Yes", "No"


@dataclass
class ChangeHighlights:
    """The wards worth a councillor's attention for one measure (see :func:`change_highlights`).

    ``table``: columns ``Ward``, ``Now``, ``Change``, ``Change (%)``, ``Significant`` (published
    values: suppressed cells missing); ``mask``: True where a cell is suppressed (shown ``*``);
    ``eligible``: wards that rose or changed significantly; ``omitted``: how many of them did not
    fit in ``max_rows``.
    """

    table: pd.DataFrame
    mask: pd.DataFrame
    eligible: int
    omitted: int

    def note(self, fdr_alpha: float, n_wards: int, csv_name: str) -> str:
        """What the table lists and where the full table is (plain English)."""
        if self.eligible == 0:
            listed = "No ward rose or changed significantly, so no ward is listed."
        elif self.omitted:
            listed = (
                f"Listed: {fmt_int(len(self.table))} of the {fmt_int(self.eligible)} wards that "
                "rose or changed significantly (significant rises first, then other rises by "
                "size, then significant falls)."
            )
        else:
            listed = (
                f"Listed: the {fmt_int(self.eligible)} ward{'s' if self.eligible != 1 else ''} "
                f"(of {fmt_int(n_wards)}) that rose or changed significantly."
            )
        return (
            f"{listed} Significant: false discovery rate {fdr_alpha:.0%} across wards "
            "(conditional binomial test of the two periods' counts). A ward whose change is "
            "suppressed is listed only if significant. All wards are in the file "
            f"{csv_name}."
        )


def change_highlights(published: Suppressed, max_rows: int = 12) -> ChangeHighlights:
    """Wards that rose (any amount) or changed significantly, from a
    :func:`published_change_table` result (so suppression is already applied).

    Order: significant rises (largest change first), other rises (largest first), significant
    falls (largest fall first), then significant wards whose change is suppressed. At most
    ``max_rows`` rows, taken in that order; ``omitted`` counts the rest. ``Significant`` reads
    "Yes, rise", "Yes, fall", "No", or plain "Yes" where the direction is suppressed.
    """
    if max_rows < 1:
        raise ParameterError(f"max_rows = {max_rows} must be at least 1.", "Use e.g. 12.")
    d, m = published.data, published.mask
    direction = d["direction"].astype("object")
    sig = d["significant"].fillna(False).astype(bool).to_numpy()
    up = direction.eq("up").to_numpy()
    down = direction.eq("down").to_numpy()
    hidden = m["change"].to_numpy(dtype=bool)
    change = d["change"].astype(float).to_numpy()
    group = np.select(
        [sig & up, up, sig & down, sig & hidden], [0, 1, 2, 3], default=-1
    )  # -1: not listed
    order_key = np.where(group == 2, change, -np.nan_to_num(change, nan=0.0))
    frame = pd.DataFrame(
        {"group": group, "key": order_key, "name": d["ward_name"].astype(str).to_numpy()}
    )
    keep = frame[frame["group"] >= 0].sort_values(["group", "key", "name"], kind="stable")
    chosen = keep.index[:max_rows]
    label = np.where(
        sig & up,
        SIG_RISE,
        np.where(sig & down, SIG_FALL, np.where(sig, SIG_HIDDEN, NOT_SIGNIFICANT)),
    )
    table = pd.DataFrame(
        {
            "Ward": d["ward_name"].astype(str).to_numpy()[chosen],
            "Now": d["current"].astype(float).to_numpy()[chosen],
            "Change": change[chosen],
            "Change (%)": d["pct_change"].astype(float).to_numpy()[chosen],
            "Significant": label[chosen],
        }
    )
    mask = pd.DataFrame(
        {
            "Ward": False,
            "Now": m["current"].to_numpy(dtype=bool)[chosen],
            "Change": m["change"].to_numpy(dtype=bool)[chosen],
            "Change (%)": m["pct_change"].to_numpy(dtype=bool)[chosen],
            "Significant": False,
        }
    )
    return ChangeHighlights(table, mask, eligible=len(keep), omitted=max(0, len(keep) - max_rows))


def change_map_caption(published: Suppressed, label: str, period_text: str) -> str:
    """Caption (and alt text) for the change map: what is shaded, and the significant wards by
    name, read from the published table (a ward whose direction is suppressed is not named
    with a direction)."""
    d = published.data
    sig = d["significant"].fillna(False).astype(bool)
    direction = d["direction"].astype("object")

    def names(sel) -> str:
        part = d.loc[sel].assign(_abs=d.loc[sel, "change"].abs())
        ordered = part.sort_values(["_abs", "ward_name"], ascending=[False, True])
        return join_names(ordered["ward_name"].astype(str).tolist()) if len(ordered) else "none"

    rise, fall = sig & direction.eq("up"), sig & direction.eq("down")
    hidden = sig & direction.isna()
    text = (
        f"Map of the {len(d)} wards shaded by the percentage change in {label[0].lower()}{label[1:]}, "
        f"{period_text}. "
    )
    if rise.any() or fall.any():
        text += (
            f"Significant rises (solid outline, ▲): {names(rise)}. "
            f"Significant falls (dashed outline, ▼): {names(fall)}."
        )
    else:
        text += "No ward's change was statistically significant, so no ward is outlined."
    if hidden.any():
        n = int(hidden.sum())
        text += (
            f" {number_word(n).capitalize()} further ward{'s' if n != 1 else ''} changed "
            "significantly but {} counts are suppressed, so {} not marked.".format(
                "its" if n == 1 else "their", "it is" if n == 1 else "they are"
            )
        )
    return text
