"""Static ward maps for the printed report: choropleths, hot/cold spots, density, Lorenz curve.

Every map is drawn with geopandas + matplotlib only (no web tiles, so it renders offline and
prints identically), in the wards' projected CRS (EPSG:27700, metres) with a north arrow and a
scale bar. Choropleth classes come from mapclassify and the legend names the method and the
number of classes, so a reader knows how the colours were chosen. Suppressed wards
(disclosure control) are hatched and take no part in the classification, so class limits
cannot reveal a suppressed count. Sized to be legible at A4 width (about 7.5 inches).
"""

from __future__ import annotations

import textwrap
import warnings

import matplotlib.patheffects as pe
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch, Rectangle

from helpers.core.errors import ParameterError

SCHEMES = {
    "NaturalBreaks": "natural breaks (k-means)",
    "FisherJenks": "Fisher–Jenks optimal breaks",
    "JenksCaspall": "Jenks–Caspall breaks",
    "Quantiles": "quantiles (equal numbers of wards)",
    "EqualInterval": "equal intervals",
    "MaximumBreaks": "maximum breaks",
}
HOT_COLOUR, COLD_COLOUR, NOT_SIG_COLOUR = "#D55E00", "#0072B2", "#EEEEEE"
MISSING_COLOUR = "#D9D9D9"
SUPPRESSED_HATCH = "////"
MAP_SIZE = (7.5, 7.8)  # inches: full A4 text width, legend below the map


def classification_label(scheme: str, k: int) -> str:
    """'5 classes, natural breaks (k-means)'."""
    return f"{k} classes, {SCHEMES[scheme]}"


def check_scheme(scheme: str, k: int) -> None:
    if scheme not in SCHEMES:
        raise ParameterError(
            f"Unknown map classification {scheme!r}.",
            f"Use one of: {', '.join(SCHEMES)} (mapclassify class names).",
        )
    if not isinstance(k, int) or not 2 <= k <= 9:
        raise ParameterError(
            f"k = {k!r} map classes is not allowed.", "Use 2 to 9 classes (5 is usual)."
        )


def classify(values, scheme: str = "NaturalBreaks", k: int = 5, seed: int = 12345):
    """mapclassify classification of the finite ``values``; returns ``(bins, yb, k_used)``.

    ``k`` is reduced to the number of distinct values when there are fewer. NaturalBreaks
    starts from random centres, so the numpy seed is fixed for a reproducible report.
    """
    import mapclassify

    check_scheme(scheme, k)
    y = np.asarray(values, dtype=float)
    k_used = int(max(1, min(k, len(np.unique(y)))))
    if k_used < 2:
        return np.array([y.max()]), np.zeros(len(y), dtype=int), 1
    from threadpoolctl import threadpool_limits

    np.random.seed(seed)
    # NaturalBreaks runs scikit-learn's k-means (10 starts), whose OpenMP threads spin while
    # they wait: on a busy 2-core machine that was 1.5 CPU-s (3 s wall) for a stage's ten maps,
    # against 0.04 s on one thread. A few dozen wards fit in one of k-means' 256-row chunks, so
    # one thread does all the work either way and the classes are the same.
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.filterwarnings("ignore", message="Numba not installed")  # speed only
        c = getattr(mapclassify, scheme)(y, k=k_used)
    return np.asarray(c.bins, dtype=float), np.asarray(c.yb, dtype=int), int(c.k)


def _fmt(v: float, decimals: int) -> str:
    return f"{v:,.{decimals}f}"


def _wrap(name: str, width: int = 13) -> str:
    return "\n".join(textwrap.wrap(str(name), width)) or str(name)


#: Above this many wards (a force, a county) names at A4 width would be under 5 pt and overlap:
#: the map is drawn without them and its tables and captions name the wards instead. (Each
#: haloed name is also drawn as vector outlines: 177 of them made every map 3-4 MB.)
MAX_LABELLED_WARDS = 80
#: Behind each name, for legibility on dark fills; text stays text in the SVG (the pack's small
#: multiples use the same box).
LABEL_BOX = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85}


def label_wards(ax, wards, names=None, fontsize: float | None = None) -> None:
    """Ward names at a point inside each ward, wrapped, on a white box for legibility.
    Nothing is drawn for more than :data:`MAX_LABELLED_WARDS` wards."""
    if len(wards) > MAX_LABELLED_WARDS:
        return
    names = wards["ward_name"] if names is None else pd.Series(names)
    size = fontsize or (7 if len(wards) <= 40 else 5.5)
    pts = wards.geometry.representative_point()
    for p, name in zip(pts, names, strict=True):
        ax.annotate(
            _wrap(name),
            (p.x, p.y),
            ha="center",
            va="center",
            fontsize=size,
            color="#222222",
            linespacing=0.95,
            # the point is inside its ward, so inside the map: no need for matplotlib to test,
            # each time the label is measured or drawn, whether it falls outside the axes
            annotation_clip=False,
            # a white box, not a stroked halo: a halo turns every name into vector outlines that
            # weasyprint then draws point by point (about 80% of a ward stage's PDF time)
            bbox=LABEL_BOX,
        )


def _no_redraw(*args, **kwargs) -> None:
    return None


def draw_layer(geoms, ax, **style):
    """``geoms.plot(ax=ax, **style)`` (a GeoSeries or GeoDataFrame), without the full redraw.

    geopandas ends every ``plot`` with ``canvas.draw_idle()``, which on the non-interactive
    canvases the reports use (Agg, the notebook's inline backend) renders the whole figure then
    and there: a map of four layers was rendered four times before it was ever saved (most of a
    map's drawing time). The layer added is the same; only those throw-away renders are skipped.
    """
    canvas = ax.figure.canvas
    own = "draw_idle" in vars(canvas)
    saved = vars(canvas).get("draw_idle")
    canvas.draw_idle = _no_redraw
    try:
        return geoms.plot(ax=ax, **style)
    finally:
        if own:
            canvas.draw_idle = saved
        else:
            del canvas.draw_idle


def add_north_arrow(ax, x: float = 0.95, y: float = 0.95) -> None:
    ax.annotate(
        "N",
        xy=(x, y),
        xytext=(x, y - 0.09),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=10,
        fontweight="bold",
        arrowprops={"facecolor": "black", "width": 3, "headwidth": 9, "headlength": 9},
    )


def add_scale_bar(ax, crs=None) -> None:
    """Two-segment scale bar in the lower right; drawn only for a projected CRS in metres."""
    if crs is not None and not getattr(crs, "is_projected", False):
        return
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width = x1 - x0
    target = width / 5
    nice = [100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000, 100000]
    length = max([n for n in nice if n <= target] or [nice[0]])
    left = x1 - width * 0.05 - length
    bottom = y0 + (y1 - y0) * 0.04
    h = (y1 - y0) * 0.012
    for i, colour in enumerate(["black", "white"]):
        ax.add_patch(
            Rectangle((left + i * length / 2, bottom), length / 2, h, facecolor=colour,
                      edgecolor="black", linewidth=0.8, zorder=5)
        )  # fmt: skip
    unit = (lambda m: f"{m / 1000:g} km") if length >= 1000 else (lambda m: f"{m:g} m")
    for xpos, text in [(left, "0"), (left + length, unit(length))]:
        ax.text(xpos, bottom + h * 1.6, text, ha="center", va="bottom", fontsize=7, zorder=5,
                path_effects=[pe.withStroke(linewidth=2, foreground="white")])  # fmt: skip


#: Drawing detail: ward outlines are simplified to this fraction of the map's longer side
#: (1/1000: 100 m on a 100 km force, 6 m on a 6 km town; Visvalingam-Whyatt, so the shift of
#: a line is far smaller than that), under a pixel or two at A4 width.
DISPLAY_TOLERANCE = 1 / 1000


def for_display(wards, tolerance: float = DISPLAY_TOLERANCE):
    """A copy of ``wards`` with outlines simplified for drawing only (never for counting).

    The boundaries are simplified as one coverage (``shapely.coverage_simplify``), so
    neighbouring wards keep one shared edge: no gaps or overlaps appear. The tolerance is
    ``tolerance`` x the longer side of the wards' extent. A force's ward file can carry every
    vertex of a coastline survey; drawn as vectors, its maps would be tens of megabytes each.
    """
    import shapely

    xmin, ymin, xmax, ymax = wards.total_bounds
    tol = tolerance * max(xmax - xmin, ymax - ymin)
    if not tol > 0:
        return wards
    out = wards.copy()
    try:
        simple = shapely.coverage_simplify(np.asarray(wards.geometry.values), tol)
    except Exception:  # noqa: BLE001 - not a clean coverage (e.g. slivers): simplify one by one
        simple = shapely.simplify(np.asarray(wards.geometry.values), tol, preserve_topology=True)
    out = out.set_geometry(list(simple), crs=wards.crs)
    return out


def _base_axes(wards, ax=None, figsize=MAP_SIZE):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
    else:
        fig = ax.figure
    ax.set_axis_off()
    # a map has no axes to draw, but matplotlib still works out every tick and tick label of
    # a hidden axis whenever it places the title or lays the figure out (a third of a map's
    # drawing time); hidden, they are skipped: nothing drawn changes
    ax.xaxis.set_visible(False)
    ax.yaxis.set_visible(False)
    ax.set_aspect("equal")
    return fig, ax


def _finish_map(fig, ax, wards, title, handles, legend_title, labels, ncol=3):
    draw_layer(wards.boundary, ax, color="#444444", linewidth=0.5)
    if labels:
        label_wards(ax, wards)
    add_north_arrow(ax)
    add_scale_bar(ax, wards.crs)
    if title:
        ax.set_title(title, loc="left")
    ax.legend(
        handles=handles,
        title=legend_title,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=ncol,
        frameon=False,
        fontsize=8,
        title_fontsize=8.5,
    )
    fig.tight_layout()
    return fig


def choropleth(
    wards,
    values,
    title: str | None = None,
    legend_title: str = "Count",
    scheme: str = "NaturalBreaks",
    k: int = 5,
    suppressed=None,
    threshold: int | None = None,
    decimals: int = 0,
    cmap: str = "YlOrRd",
    missing_label: str = "No figure",
    labels: bool = True,
    ax=None,
):
    """Choropleth of ``values`` (aligned with ``wards``) in mapclassify classes.

    NaN values are drawn grey with ``missing_label`` (e.g. no population, so no rate).
    ``suppressed`` (bool array) wards are hatched, labelled "Suppressed (fewer than
    ``threshold``)" and excluded from the classification. The legend title names the
    classification method and number of classes. Returns the figure.
    """
    check_scheme(scheme, k)
    vals = pd.to_numeric(pd.Series(np.asarray(values, dtype=float)), errors="coerce").to_numpy()
    sup = np.zeros(len(vals), dtype=bool) if suppressed is None else np.asarray(suppressed, bool)
    usable = ~np.isnan(vals) & ~sup
    missing = np.isnan(vals) & ~sup
    fig, ax = _base_axes(wards, ax)
    handles = []
    k_used = 0
    if usable.any():
        bins, yb, k_used = classify(vals[usable], scheme, k)
        colours = plt.get_cmap(cmap)(np.linspace(0.15, 0.9, k_used))
        draw_layer(wards.loc[usable], ax, color=[colours[i] for i in yb], linewidth=0)
        lower = np.nanmin(vals[usable])
        integral = decimals == 0 and np.allclose(vals[usable], np.round(vals[usable]))
        for i in range(k_used):
            lo = lower if i == 0 else bins[i - 1]
            if integral:  # whole counts: classes 5, 6, 7–8 rather than 5–5, 5–6, 6–8
                lo = lower if i == 0 else np.floor(bins[i - 1]) + 1
                hi = np.floor(bins[i])
                text = _fmt(hi, 0) if lo >= hi else f"{_fmt(lo, 0)} – {_fmt(hi, 0)}"
            else:
                text = f"{_fmt(lo, decimals)} – {_fmt(bins[i], decimals)}"
            n = int((yb == i).sum())
            handles.append(Patch(facecolor=colours[i], edgecolor="#444444", linewidth=0.5,
                                 label=f"{text} ({n} ward{'s' if n != 1 else ''})"))  # fmt: skip
    if missing.any():
        draw_layer(wards.loc[missing], ax, color=MISSING_COLOUR, linewidth=0)
        handles.append(Patch(facecolor=MISSING_COLOUR, edgecolor="#444444", label=missing_label))
    if sup.any():
        draw_layer(wards.loc[sup], ax, facecolor="white", edgecolor="#777777", hatch=SUPPRESSED_HATCH,
                            linewidth=0.3)  # fmt: skip
        limit = f" (fewer than {threshold})" if threshold is not None else ""
        handles.append(Patch(facecolor="white", edgecolor="#777777", hatch=SUPPRESSED_HATCH,
                             label=f"Suppressed{limit}"))  # fmt: skip
    method = classification_label(scheme, k_used) if k_used else "no values to classify"
    return _finish_map(fig, ax, wards, title, handles, f"{legend_title} — {method}", labels)


def hotspot_map(
    wards,
    spots,
    title: str | None = None,
    fdr_alpha: float = 0.05,
    labels: bool = True,
    ax=None,
):
    """Hot and cold spots from :func:`helpers.stages.hotspots.gi_star` (``spots`` aligned with wards).

    The legend states the confidence (1 - fdr_alpha) and the correction used.
    """
    from helpers.stages.hotspots import COLD, HOT, NOT_SIG

    spots = np.asarray(spots, dtype=object)
    fig, ax = _base_axes(wards, ax)
    colour = {HOT: HOT_COLOUR, COLD: COLD_COLOUR, NOT_SIG: NOT_SIG_COLOUR}
    draw_layer(wards, ax, color=[colour.get(s, NOT_SIG_COLOUR) for s in spots], linewidth=0)
    handles = []
    for s in (HOT, COLD, NOT_SIG):
        n = int((spots == s).sum())
        handles.append(Patch(facecolor=colour[s], edgecolor="#444444", linewidth=0.5,
                             label=f"{s} ({n} ward{'s' if n != 1 else ''})"))  # fmt: skip
    conf = f"{(1 - fdr_alpha) * 100:.0f}%"
    legend_title = (
        f"Getis-Ord Gi* at {conf} confidence, false discovery rate "
        f"{fdr_alpha * 100:g}% (Benjamini–Hochberg)"
    )
    return _finish_map(fig, ax, wards, title, handles, legend_title, labels)


def density_map(grid, extent, wards, title: str | None = None, bandwidth_text: str = "", ax=None):
    """Kernel density surface (points per km²) under the ward outlines."""
    fig, ax = _base_axes(wards, ax)
    im = ax.imshow(grid, extent=extent, origin="lower", cmap="magma_r", interpolation="bilinear")
    draw_layer(wards.boundary, ax, color="#444444", linewidth=0.5)
    label_wards(ax, wards, fontsize=5.5)
    add_north_arrow(ax)
    add_scale_bar(ax, wards.crs)
    cb = fig.colorbar(im, ax=ax, orientation="horizontal", fraction=0.04, pad=0.02)
    cb.set_label(f"Estimated points per km² (Gaussian kernel{bandwidth_text})", fontsize=8)
    if title:
        ax.set_title(title, loc="left")
    fig.tight_layout()
    return fig


def lorenz_chart(curves: dict[str, pd.DataFrame], ginis: dict[str, float] | None = None):
    """Lorenz curves (one per measure) against the line of equality."""
    from helpers.present.charts import PALETTE

    fig, ax = plt.subplots(figsize=(6.5, 5.0))
    ax.plot([0, 100], [0, 100], color="#999999", linestyle="--", linewidth=1,
            label="Equal spread over wards")  # fmt: skip
    for i, (label, lc) in enumerate(curves.items()):
        g = (ginis or {}).get(label)
        text = f"{label} (Gini {g:.2f})" if g is not None else label
        ax.plot(lc["share_of_wards"], lc["share_of_crime"], color=PALETTE[i % len(PALETTE)],
                linewidth=1.8, label=text)  # fmt: skip
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel("Share of wards, fewest crimes first (%)")
    ax.set_ylabel("Cumulative share of the area's total (%)")
    ax.set_title("How concentrated is crime in a few wards?", loc="left")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------
# Change map
# --------------------------------------------------------------------------------------------

CHANGE_EDGES = (10.0, 25.0, 50.0)  # % either side of no change
# ColorBrewer RdBu (colour-blind safe, diverging): falls blue, little change near white, rises red
CHANGE_COLOURS = ("#2166AC", "#67A9CF", "#D1E5F0", "#F7F7F7", "#FDDBC7", "#EF8A62", "#B2182B")
RISE_MARK, FALL_MARK = "▲", "▼"
CHANGE_MAP_SIZE = (7.5, 7.4)
RISE_WIDTH, FALL_WIDTH = (
    1.9,
    1.4,
)  # outline widths (points) of significant rises and falls  # a little shorter than MAP_SIZE so map and table share a page


def change_classes(pct, edges=CHANGE_EDGES) -> tuple[np.ndarray, list[str]]:
    """Fixed classes of % change, symmetric about 0: ``(class index per value, class labels)``.

    With edges (10, 25, 50) there are 7 classes, index 0..6: fell by 50% or more (pct <= -50),
    fell by 25% to under 50% (-50 < pct <= -25), fell by 10% to under 25%, within 10% either way
    (-10 < pct < 10, index 3), rose by 10% to under 25% (10 <= pct < 25), rose by 25% to under
    50%, rose by 50% or more (pct >= 50). NaN gives index -1. Fixed (not data-driven) classes
    so that the same colour means the same change on every measure's map.
    """
    e = [float(x) for x in edges]
    if not e or any(x <= 0 for x in e) or sorted(set(e)) != e:
        raise ParameterError(
            f"Change-map class edges {edges!r} are not allowed.",
            "Use increasing positive percentages, e.g. (10, 25, 50).",
        )
    v = np.asarray(pct, dtype=float)
    n = len(e)
    idx = np.full(v.shape, -1, dtype=int)
    ok = ~np.isnan(v)
    # rises: count edges <= v; falls: count edges <= -v
    rise = (v[ok][:, None] >= np.array(e)[None, :]).sum(axis=1)
    fall = (-v[ok][:, None] >= np.array(e)[None, :]).sum(axis=1)
    idx[ok] = n + rise - fall
    labels = []
    for i in range(n, 0, -1):
        hi = f"{e[i]:g}%" if i < n else None
        labels.append(f"Fell by {e[i - 1]:g}% or more" if hi is None
                      else f"Fell by {e[i - 1]:g}% to under {hi}")  # fmt: skip
    labels.append(f"Within {e[0]:g}% either way")
    for i in range(1, n + 1):
        hi = f"{e[i]:g}%" if i < n else None
        labels.append(f"Rose by {e[i - 1]:g}% or more" if hi is None
                      else f"Rose by {e[i - 1]:g}% to under {hi}")  # fmt: skip
    return idx, labels


def _diverging_colours(n_classes: int) -> list:
    if n_classes == len(CHANGE_COLOURS):
        return list(CHANGE_COLOURS)
    cmap = plt.get_cmap("RdBu_r")
    return [cmap(x) for x in np.linspace(0.1, 0.9, n_classes)]


def _inset_outline(geoms, inset: float):
    """Each ward's boundary pulled ``inset`` metres inside it, so that two neighbouring
    outlined wards show two separate lines (falls back to the boundary for a tiny ward)."""
    import geopandas as gpd

    out = []
    for g in geoms:
        shrunk = g.buffer(-inset)
        out.append((g if shrunk.is_empty else shrunk).boundary)
    return gpd.GeoSeries(out, crs=getattr(geoms, "crs", None))


def change_map(
    wards,
    pct,
    significant,
    direction,
    title: str | None = None,
    suppressed=None,
    threshold: int | None = None,
    fdr_alpha: float = 0.05,
    edges=CHANGE_EDGES,
    legend_title: str = "Change against the comparison period",
    labels: bool = True,
    ax=None,
    missing_label: str = "No earlier figure to compare",
    figsize=CHANGE_MAP_SIZE,
):
    """Wards shaded by % change in fixed classes centred on 0 (:func:`change_classes`,
    ColorBrewer RdBu: blue falls, red rises), with significant changes outlined inside the ward:
    a solid black line and ▲ after the name for a significant rise, a dashed line and ▼ for a
    significant fall. All arguments are aligned with ``wards``: ``pct`` (NaN where there is no
    earlier figure), ``significant`` (bool), ``direction`` ("up"/"down"/"same"/None),
    ``suppressed`` (bool: hatched, not shaded, no direction shown). Returns the figure; its
    legend names every class with the number of wards in it.
    """
    from matplotlib.lines import Line2D

    n = len(wards)
    vals = pd.to_numeric(pd.Series(np.asarray(pct, dtype=float)), errors="coerce").to_numpy()
    sup = np.zeros(n, dtype=bool) if suppressed is None else np.asarray(suppressed, dtype=bool)
    sig = np.asarray(significant, dtype=bool)
    dirn = np.asarray(pd.Series(list(direction), dtype="object").fillna(""), dtype=object)
    vals = np.where(sup, np.nan, vals)
    idx, class_labels = change_classes(vals, edges)
    colours = _diverging_colours(len(class_labels))
    fig, ax = _base_axes(wards, ax, figsize=figsize)
    handles = []
    for i, text in enumerate(class_labels):
        sel = (idx == i) & ~sup
        if sel.any():
            draw_layer(wards.loc[sel], ax, color=colours[i], linewidth=0)
        k = int(sel.sum())
        handles.append(Patch(facecolor=colours[i], edgecolor="#444444", linewidth=0.5,
                             label=f"{text} ({k} ward{'s' if k != 1 else ''})"))  # fmt: skip
    missing = (idx == -1) & ~sup
    if missing.any():
        draw_layer(wards.loc[missing], ax, color=MISSING_COLOUR, linewidth=0)
        handles.append(Patch(facecolor=MISSING_COLOUR, edgecolor="#444444",
                             label=missing_label))  # fmt: skip
    if sup.any():
        draw_layer(wards.loc[sup], ax, facecolor="white", edgecolor="#777777", hatch=SUPPRESSED_HATCH,
                            linewidth=0.3)  # fmt: skip
        limit = f" (fewer than {threshold} in either period)" if threshold is not None else ""
        handles.append(Patch(facecolor="white", edgecolor="#777777", hatch=SUPPRESSED_HATCH,
                             label=f"Suppressed{limit}"))  # fmt: skip
    rise = sig & (dirn == "up") & ~sup
    fall = sig & (dirn == "down") & ~sup
    x0, y0, x1, y1 = wards.total_bounds
    inset = max(x1 - x0, y1 - y0) * 0.006
    for sel, style, width in ((fall, (0, (3, 1.5)), FALL_WIDTH), (rise, "solid", RISE_WIDTH)):
        if sel.any():  # a white line under the black one keeps it visible on dark shading
            line = _inset_outline(wards.geometry[sel].values, inset)
            draw_layer(line, ax, color="white", linewidth=width + 1.2, zorder=2.4)
            draw_layer(line, ax, color="black", linewidth=width, linestyle=style, zorder=2.5)

    def _n(k: int) -> str:
        return f"{k} ward{'s' if k != 1 else ''}"

    handles.append(Line2D([], [], color="black", linewidth=RISE_WIDTH,
                          label=f"{RISE_MARK} Significant rise ({_n(int(rise.sum()))})"))  # fmt: skip
    handles.append(Line2D([], [], color="black", linewidth=FALL_WIDTH, linestyle=(0, (3, 1.5)),
                          label=f"{FALL_MARK} Significant fall ({_n(int(fall.sum()))})"))  # fmt: skip
    names = wards["ward_name"].astype(str).to_numpy().copy()
    names = np.where(rise, [f"{s} {RISE_MARK}" for s in names],
                     np.where(fall, [f"{s} {FALL_MARK}" for s in names], names))  # fmt: skip
    draw_layer(wards.boundary, ax, color="#444444", linewidth=0.5)
    if labels:
        label_wards(ax, wards, names=names)
    add_north_arrow(ax)
    add_scale_bar(ax, wards.crs)
    if title:
        ax.set_title(title, loc="left")
    method = (
        f"{len(class_labels)} fixed classes centred on no change; significant = false discovery "
        f"rate {fdr_alpha * 100:g}% across wards"
    )
    ax.legend(handles=handles, title=f"{legend_title}\n{method}", loc="upper center",
              bbox_to_anchor=(0.5, 0.0), ncol=3, frameon=False, fontsize=8,
              title_fontsize=8.5)  # fmt: skip
    fig.tight_layout()
    return fig
