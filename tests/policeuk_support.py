"""Hand-built police.uk rows for the cleaning tests and the reliability catalogue.

Both build a tiny area of two 1 km square wards side by side (W1 west, W2 east) with their
south-west corner at (E0, N0) in British National Grid, and police.uk rows placed in it.
"""

from __future__ import annotations

from pyproj import Transformer

E0, N0 = 450000.0, 250000.0
TO_LL = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def ll(e: float, n: float) -> tuple[str, str]:
    """BNG metres -> police.uk's longitude/latitude text (6 decimal places)."""
    lon, lat = TO_LL.transform(e, n)
    return f"{lon:.6f}", f"{lat:.6f}"


def street_row(cid, month, e=None, n=None, lsoa="L1", ctype="Burglary") -> list[str]:
    """One police.uk street row (STREET_COLUMNS order); no point when ``e`` is None."""
    lon, lat = ll(e, n) if e is not None else ("", "")
    return [
        cid,
        month,
        "Test Police",
        "Test Police",
        lon,
        lat,
        "On or near X",
        lsoa,
        lsoa,
        ctype,
        "",
        "",
    ]
