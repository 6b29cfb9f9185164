"""Geography of the fictional town of Wexley, for :mod:`helpers.sample.wexley`.

Everything is SYNTHETIC and deterministic given a seed: an irregular town outline about 12 km
across in British National Grid (EPSG:27700, centred near E 475000, N 262000), 30 wards built as
a Voronoi tessellation of density-weighted seed points clipped to the outline, about 135 LSOAs
(a finer tessellation) with an ONS-style best-fit LSOA→ward lookup, a pool of "address" points
that crimes are placed on, and the ~3,000 anonymous police.uk snap points with street names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree
from shapely.geometry import MultiPoint, Polygon

CENTRE = (475_000.0, 262_000.0)
TOWN_RADIUS = 6_000.0
LAD_CODE, LAD_NAME = "E07990001", "Wexley"
TARGET_POPULATION = 225_000
N_POOL = 30_000
N_SNAP = 3_000
N_LSOA = 135

WARD_NAMES = [
    "Castle",
    "Abbey",
    "St Crispin",
    "Kingsbrook",
    "Millfield",
    "Priory",
    "Harrowden Park",
    "Brookside",
    "Church Vale",
    "Danesway",
    "Elmhurst",
    "Foxhill",
    "Greenacres",
    "Hatton Park",
    "Ivy Grange",
    "Jubilee",
    "Kestrel Heath",
    "Larkhill",
    "Meadowbank",
    "Nenebank",
    "Orchard",
    "Parklands",
    "Queensway",
    "Riverside",
    "Sandy Lane",
    "Thornton",
    "Upton Grange",
    "Victoria",
    "Westcroft",
    "Woodvale",
]

_STREET_STEMS = [
    "Abbey",
    "Albion",
    "Alder",
    "Ash",
    "Balmoral",
    "Beech",
    "Birch",
    "Blenheim",
    "Bridge",
    "Brook",
    "Burns",
    "Byron",
    "Castle",
    "Cedar",
    "Chapel",
    "Chestnut",
    "Church",
    "Clarence",
    "Coronation",
    "Cromwell",
    "Dale",
    "Derwent",
    "Elm",
    "Everdon",
    "Fairfield",
    "Fern",
    "Field",
    "Forge",
    "Garden",
    "George",
    "Glebe",
    "Grange",
    "Green",
    "Grove",
    "Hall",
    "Harcourt",
    "Hawthorn",
    "Hazel",
    "Heath",
    "High",
    "Highfield",
    "Hill",
    "Holly",
    "Kings",
    "Laburnum",
    "Lark",
    "Laurel",
    "Lime",
    "Linden",
    "Malvern",
    "Manor",
    "Maple",
    "Market",
    "Meadow",
    "Mill",
    "Milton",
    "Nelson",
    "Newland",
    "Oak",
    "Orchard",
    "Park",
    "Priory",
    "Queens",
    "Regent",
    "Ridge",
    "River",
    "Rowan",
    "St Giles",
    "St James",
    "St Peter's",
    "School",
    "Sheep",
    "Spencer",
    "Spring",
    "Station",
    "Sycamore",
    "Tanner",
    "Tennyson",
    "Victoria",
    "Wellington",
    "Welford",
    "Willow",
    "Windsor",
    "Wood",
    "Wordsworth",
    "York",
]
_STREET_SUFFIXES = [
    "Road",
    "Street",
    "Lane",
    "Close",
    "Avenue",
    "Way",
    "Drive",
    "Crescent",
    "Gardens",
    "Walk",
    "Place",
    "Court",
]
# police.uk labels some anonymous points by the kind of place rather than a street
SPECIAL_PLACES = [
    "Parking Area",
    "Petrol Station",
    "Sports/Recreation Area",
    "Supermarket",
    "Shopping Area",
    "Further/Higher Educational Building",
    "Hospital",
    "Nightclub",
    "Police Station",
    "Conference/Exhibition Centre",
    "Theatre/Concert Hall",
    "Bus/Coach Station",
]
NEIGHBOUR_LAD = "Haddon Vale"


@dataclass
class Geography:
    outline: Polygon
    ward_codes: list[str]
    ward_names: list[str]
    ward_polys: list  # shapely (Multi)Polygons, EPSG:27700
    ward_seeds: np.ndarray  # (30, 2)
    ward_pop: np.ndarray  # int
    lsoa_codes: list[str]
    lsoa_names: list[str]
    lsoa_polys: list
    lsoa_ward: np.ndarray  # best-fit ward index per LSOA
    pool_xy: np.ndarray  # (N_POOL, 2) address points (integer metres)
    pool_ward: np.ndarray  # ward index, -1 outside
    pool_lsoa: np.ndarray  # LSOA index, -1 outside
    snap_xy: np.ndarray  # (n, 2) anonymous points: town points then outside points
    snap_location: list[str]  # "On or near ..."
    snap_lsoa_code: list[str]
    snap_lsoa_name: list[str]
    snap_lon: list[str]  # formatted, 6 dp
    snap_lat: list[str]
    pool_snap: np.ndarray  # nearest snap point per pool point
    outside_snap: np.ndarray  # indices (into snap arrays) of points outside the town
    outside_xy: np.ndarray
    outside_lsoa_code: list[str]
    burglary_wards: list[int]
    retail_points: np.ndarray  # (k, 2)
    park_points: np.ndarray  # (k, 2)
    deprivation: np.ndarray  # per ward crime multiplier
    centre_ward: int = 0


def _outline(rng: np.random.Generator) -> Polygon:
    n = 56
    theta = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ph = rng.uniform(0, 2 * np.pi, 3)
    r = TOWN_RADIUS * (
        1
        + 0.11 * np.sin(2 * theta + ph[0])
        + 0.07 * np.sin(3 * theta + ph[1])
        + 0.04 * np.sin(5 * theta + ph[2])
    )
    r = r + rng.normal(0, 140, n)
    xy = np.column_stack([CENTRE[0] + r * np.cos(theta), CENTRE[1] + r * np.sin(theta)])
    poly = Polygon(np.round(xy, 1))
    return poly if poly.is_valid else poly.buffer(0)


def _density(xy: np.ndarray, estates: np.ndarray) -> np.ndarray:
    d = np.hypot(xy[:, 0] - CENTRE[0], xy[:, 1] - CENTRE[1])
    out = np.exp(-d / 2200.0) + 0.18
    for ex, ey in estates:
        out += 0.5 * np.exp(-((xy[:, 0] - ex) ** 2 + (xy[:, 1] - ey) ** 2) / (2 * 700.0**2))
    return np.minimum(out, 2.2)


def _sample_points(rng, outline: Polygon, estates: np.ndarray, n: int) -> np.ndarray:
    """``n`` points inside ``outline`` with density ``_density`` (rejection sampling)."""
    minx, miny, maxx, maxy = outline.bounds
    got: list[np.ndarray] = []
    total = 0
    while total < n:
        cand = np.column_stack([rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n)])
        keep = shapely.contains_xy(outline, cand[:, 0], cand[:, 1])
        keep &= rng.uniform(0, 2.2, len(cand)) < _density(cand, estates)
        got.append(cand[keep])
        total += int(keep.sum())
    return np.round(np.concatenate(got)[:n])


def _spaced_seeds(rng, candidates: np.ndarray, n: int, spacing, first=None) -> np.ndarray:
    """Greedy pick of ``n`` candidate points at least ``spacing(r)`` metres apart."""
    chosen = [np.asarray(first, float)] if first is not None else []
    order = rng.permutation(len(candidates))
    scale = 1.0
    while len(chosen) < n:
        for i in order:
            p = candidates[i]
            r = np.hypot(p[0] - CENTRE[0], p[1] - CENTRE[1])
            if chosen:
                dist = np.hypot(*(np.asarray(chosen) - p).T).min()
                if dist < spacing(r) * scale:
                    continue
            chosen.append(p)
            if len(chosen) == n:
                break
        scale *= 0.9
    return np.asarray(chosen)


def _tessellate(seeds: np.ndarray, outline: Polygon) -> list:
    cells = shapely.voronoi_polygons(
        MultiPoint(seeds), extend_to=outline.buffer(3000), ordered=True
    )
    polys = []
    for cell in shapely.get_parts(cells):
        clipped = shapely.set_precision(cell.intersection(outline), 0.1)
        polys.append(clipped if clipped.is_valid else clipped.buffer(0))
    return polys


def _locate(polys: list, xy: np.ndarray) -> np.ndarray:
    """Index of the polygon containing each point (-1 if none; first match on edges)."""
    out = np.full(len(xy), -1, dtype=np.int64)
    for i, poly in enumerate(polys):
        inside = shapely.contains_xy(poly, xy[:, 0], xy[:, 1]) & (out < 0)
        out[inside] = i
    return out


def _street_names(rng, n: int) -> list[str]:
    combos = [f"{s} {t}" for s in _STREET_STEMS for t in _STREET_SUFFIXES]
    idx = rng.choice(len(combos), size=n, replace=False)
    return [combos[i] for i in idx]


_TO_WGS84 = None


def to_lonlat(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """EPSG:27700 metres → (longitude, latitude) degrees."""
    global _TO_WGS84
    if _TO_WGS84 is None:
        _TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    lon, lat = _TO_WGS84.transform(np.asarray(xy[:, 0], float), np.asarray(xy[:, 1], float))
    return np.asarray(lon), np.asarray(lat)


def build_geography(seed: int) -> Geography:
    rng = np.random.default_rng([seed, 1])
    outline = _outline(rng)
    ang = rng.uniform(0, 2 * np.pi, 7)
    rad = rng.uniform(2300, 4300, 7)
    estates = np.column_stack([CENTRE[0] + rad * np.cos(ang), CENTRE[1] + rad * np.sin(ang)])

    pool = _sample_points(rng, outline, estates, N_POOL)

    # wards: density-weighted seeds (so wards have similar populations), Castle at the centre
    ward_seeds = _spaced_seeds(rng, pool, len(WARD_NAMES), lambda r: 750 + 0.3 * r, first=CENTRE)
    ward_vor = [shapely.set_precision(p, 1.0) for p in _tessellate(ward_seeds, outline)]
    ward_codes = [f"E0599{i:04d}" for i in range(1, len(WARD_NAMES) + 1)]

    # LSOAs: a finer density-weighted tessellation; best-fit ward = the ward cell holding the
    # centroid (the LSOA holding the town centre always belongs to Castle)
    lsoa_seeds = _spaced_seeds(rng, pool, N_LSOA, lambda r: 330 + 0.14 * r)
    lsoa_polys = [shapely.set_precision(p, 1.0) for p in _tessellate(lsoa_seeds, outline)]
    n_lsoa = len(lsoa_polys)
    cents = np.array([[p.centroid.x, p.centroid.y] for p in lsoa_polys])
    lsoa_ward = _locate(ward_vor, cents)
    for i in np.flatnonzero(lsoa_ward < 0):
        rp = lsoa_polys[i].representative_point()
        lsoa_ward[i] = _locate(ward_vor, np.array([[rp.x, rp.y]]))[0]
    centre_lsoa = int(_locate(lsoa_polys, np.array([CENTRE]))[0])
    lsoa_ward[centre_lsoa] = 0
    for w in range(len(ward_vor)):  # every ward needs at least one best-fit LSOA
        if not (lsoa_ward == w).any():
            many = np.bincount(lsoa_ward, minlength=len(ward_vor))[lsoa_ward] > 1
            cand = np.flatnonzero(many & (np.arange(n_lsoa) != centre_lsoa))
            dist = np.hypot(*(cents[cand] - ward_seeds[w]).T)
            lsoa_ward[cand[np.argmin(dist)]] = w
    # ward boundaries: unions of their best-fit LSOAs, except that ~15% of the LSOAs on ward
    # edges are split along the ward cell edge (as after boundary reviews), so best-fit lookup
    # and point-in-polygon disagree for some points
    sole = np.bincount(lsoa_ward, minlength=len(ward_vor))[lsoa_ward] == 1
    cross = np.array(
        [
            sum(lsoa.intersection(v).area > 0.05 * lsoa.area for v in ward_vor) >= 2
            for lsoa in lsoa_polys
        ]
    )
    cand = np.flatnonzero(cross & ~sole & (np.arange(n_lsoa) != centre_lsoa))
    split = set(rng.choice(cand, size=min(len(cand), round(0.15 * n_lsoa)), replace=False).tolist())
    parts: list[list] = [[] for _ in ward_vor]
    for i, lsoa in enumerate(lsoa_polys):
        if i in split:
            for w, cell in enumerate(ward_vor):
                piece = shapely.intersection(lsoa, cell, grid_size=1.0)
                if piece.area > 1.0:
                    parts[w].append(piece)
        else:
            parts[lsoa_ward[i]].append(lsoa)
    ward_polys = []
    for p in parts:
        merged = shapely.union_all(p, grid_size=1.0)
        ward_polys.append(merged if merged.is_valid else merged.buffer(0))
    # give neighbours identical vertices on shared edges (no T-junctions), so that rounding the
    # CRS84 coordinates cannot open slivers or overlaps between wards
    vertices = shapely.multipoints(np.unique(shapely.get_coordinates(ward_polys), axis=0))
    ward_polys = [shapely.snap(p, vertices, 0.5) for p in ward_polys]
    pool_ward = _locate(ward_polys, pool)

    # populations: mostly even, partly following density, total exactly TARGET_POPULATION
    counts = np.bincount(pool_ward[pool_ward >= 0], minlength=len(ward_polys)).astype(float)
    raw = TARGET_POPULATION * counts / counts.sum()
    mean = TARGET_POPULATION / len(ward_polys)
    pop = np.clip(0.4 * raw + 0.6 * mean + rng.normal(0, 500, len(raw)), 5200, 9800)
    pop = np.floor(pop * TARGET_POPULATION / pop.sum()).astype(np.int64)
    pop[np.argmax(pop)] += TARGET_POPULATION - int(pop.sum())

    # ONS-like naming: MSOA-style number (groups of up to 5 within a ward) + letter
    order = sorted(range(n_lsoa), key=lambda i: (lsoa_ward[i], -cents[i, 1], cents[i, 0]))
    codes = [""] * len(lsoa_polys)
    names = [""] * len(lsoa_polys)
    msoa, letter, prev_ward = 0, 0, -1
    for k, i in enumerate(order):
        if lsoa_ward[i] != prev_ward or letter == 5:
            msoa, letter, prev_ward = msoa + 1, 0, lsoa_ward[i]
        codes[i] = f"E0199{k + 1:04d}"
        names[i] = f"{LAD_NAME} {msoa:03d}{'ABCDE'[letter]}"
        letter += 1
    pool_lsoa = _locate(lsoa_polys, pool)

    # snap points, named after the nearest of ~650 street "seeds"
    snap = _sample_points(rng, outline, estates, N_SNAP)
    street_seed = _sample_points(rng, outline, estates, 650)
    street_names = _street_names(rng, len(street_seed) + 60)
    _, nearest_street = cKDTree(street_seed).query(snap)
    loc = [f"On or near {street_names[j]}" for j in nearest_street]

    # special places: retail parks, parks, the town centre
    far = np.hypot(pool[:, 0] - CENTRE[0], pool[:, 1] - CENTRE[1])
    ring = np.flatnonzero((far > 2500) & (far < 4500))
    retail = pool[rng.choice(ring, size=3, replace=False)]
    parks = pool[rng.choice(ring, size=5, replace=False)]
    tree = cKDTree(snap)
    for pt in retail:
        _, near = tree.query(pt, k=6)
        for j, n in enumerate(near):
            loc[n] = "On or near " + ("Supermarket", "Shopping Area", "Parking Area")[j % 3]
    for pt in parks:
        _, near = tree.query(pt, k=2)
        for n in near:
            loc[n] = "On or near Sports/Recreation Area"
    _, near = tree.query(np.asarray(CENTRE), k=24)
    centre_labels = [
        "Nightclub",
        "Shopping Area",
        "Parking Area",
        "Nightclub",
        "Theatre/Concert Hall",
        "Bus/Coach Station",
        "Police Station",
        "Further/Higher Educational Building",
    ]
    for j, n in enumerate(near[::3]):
        loc[n] = "On or near " + centre_labels[j % len(centre_labels)]
    extra = rng.choice(len(snap), size=120, replace=False)
    for j, n in enumerate(extra):
        loc[n] = "On or near " + ("Parking Area", "Petrol Station", "Supermarket")[j % 3]
    hospital = int(rng.choice(ring))
    loc[int(tree.query(pool[hospital])[1])] = "On or near Hospital"

    # points just outside the town (a neighbouring district in another force area)
    minx, miny, maxx, maxy = outline.bounds
    outer = outline.buffer(1500)
    cand = np.column_stack(
        [rng.uniform(minx - 1500, maxx + 1500, 4000), rng.uniform(miny - 1500, maxy + 1500, 4000)]
    )
    ok = shapely.contains_xy(outer, cand[:, 0], cand[:, 1]) & ~shapely.contains_xy(
        outline.buffer(150), cand[:, 0], cand[:, 1]
    )
    outside = np.round(cand[ok][:60])
    nb_seeds = outside[:12]
    _, nb = cKDTree(nb_seeds).query(outside)
    outside_lsoa_code = [f"E0199{9000 + k + 1:04d}" for k in nb]
    outside_lsoa_name = [f"{NEIGHBOUR_LAD} {k + 1:03d}{'ABCD'[k % 4]}" for k in nb]
    outside_loc = [f"On or near {street_names[len(street_seed) + j]}" for j in range(len(outside))]

    snap_lsoa = _locate(lsoa_polys, snap)
    all_xy = np.concatenate([snap, outside])
    lon, lat = to_lonlat(all_xy)
    snap_lsoa_code = [codes[i] if i >= 0 else "" for i in snap_lsoa] + outside_lsoa_code
    snap_lsoa_name = [names[i] if i >= 0 else "" for i in snap_lsoa] + outside_lsoa_name
    _, pool_snap = tree.query(pool)

    # crime multipliers per ward: the centre and a few estates are busier
    dep = np.exp(rng.normal(0, 0.3, len(ward_polys)))
    seed_r = np.hypot(ward_seeds[:, 0] - CENTRE[0], ward_seeds[:, 1] - CENTRE[1])
    # Inner-urban gradient: wards around the centre are busier than the suburbs, as in real towns,
    # so crime clusters across neighbouring wards (what Getis-Ord Gi* is designed to find).
    dep = dep * (1 + 1.2 * np.exp(-(seed_r**2) / (2 * 2000.0**2)))
    dep[0] = max(dep[0], 2.2)
    mid = [int(i) for i in np.argsort(seed_r) if 2200 < seed_r[i] < 4800]
    burglary_wards = sorted(int(i) for i in rng.choice(mid, size=3, replace=False))

    return Geography(
        outline=outline,
        ward_codes=ward_codes,
        ward_names=list(WARD_NAMES),
        ward_polys=ward_polys,
        ward_seeds=ward_seeds,
        ward_pop=pop,
        lsoa_codes=codes,
        lsoa_names=names,
        lsoa_polys=lsoa_polys,
        lsoa_ward=lsoa_ward,
        pool_xy=pool,
        pool_ward=pool_ward,
        pool_lsoa=pool_lsoa,
        snap_xy=all_xy,
        snap_location=loc + outside_loc,
        snap_lsoa_code=snap_lsoa_code,
        snap_lsoa_name=snap_lsoa_name,
        snap_lon=[f"{v:.6f}" for v in lon],
        snap_lat=[f"{v:.6f}" for v in lat],
        pool_snap=np.asarray(pool_snap),
        outside_snap=np.arange(len(snap), len(all_xy)),
        outside_xy=outside,
        outside_lsoa_code=outside_lsoa_code,
        burglary_wards=burglary_wards,
        retail_points=retail,
        park_points=parks,
        deprivation=dep,
    )


def wards_geojson(geo: Geography) -> dict:
    """The wards as a GeoJSON FeatureCollection in CRS84 (longitude, latitude), like ONS files."""

    def conv(coords):
        arr = np.asarray(coords)
        lon, lat = to_lonlat(arr)
        return np.round(np.column_stack([lon, lat]), 6)

    features = []
    for code, name, poly in zip(geo.ward_codes, geo.ward_names, geo.ward_polys, strict=True):
        g = shapely.orient_polygons(shapely.transform(poly, conv))
        geom = shapely.geometry.mapping(g)
        geom = {"type": geom["type"], "coordinates": _lists(geom["coordinates"])}
        features.append(
            {
                "type": "Feature",
                "properties": {"ward_code": code, "ward_name": name},
                "geometry": geom,
            }
        )
    return {
        "type": "FeatureCollection",
        "name": "wexley_wards_synthetic",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": features,
    }


def _lists(obj):
    if isinstance(obj, (tuple, list)):
        if obj and isinstance(obj[0], float | int):
            return [round(float(v), 6) for v in obj]
        return [_lists(o) for o in obj]
    return obj
