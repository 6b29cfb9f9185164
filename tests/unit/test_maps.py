"""Unit tests for helpers.present.maps: figures build, legends name the classification, suppression."""

from __future__ import annotations

import geopandas as gpd
import matplotlib
import numpy as np
import pytest
from shapely.geometry import box

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from helpers.core.errors import ParameterError  # noqa: E402
from helpers.present import maps  # noqa: E402
from helpers.stages.hotspots import COLD, HOT, NOT_SIG  # noqa: E402


@pytest.fixture
def wards():
    geoms = [
        box(c * 1000, r * 1000, (c + 1) * 1000, (r + 1) * 1000) for r in range(3) for c in range(4)
    ]
    return gpd.GeoDataFrame(
        {"ward_code": [f"E{i:02d}" for i in range(12)],
         "ward_name": [f"Ward number {i}" for i in range(12)]},
        geometry=geoms, crs="EPSG:27700",
    )  # fmt: skip


def legend_texts(fig):
    leg = fig.axes[0].get_legend()
    return leg.get_title().get_text(), [t.get_text() for t in leg.get_texts()]


@pytest.mark.parametrize(
    "scheme,words", [("NaturalBreaks", "natural breaks"), ("Quantiles", "quantiles"),
                     ("FisherJenks", "Fisher–Jenks")]
)  # fmt: skip
def test_choropleth_legend_names_the_classification(wards, scheme, words):
    values = np.array([0, 1, 2, 3, 10, 11, 12, 30, 31, 50, 80, 120], dtype=float)
    fig = maps.choropleth(wards, values, title="Test", scheme=scheme, k=4)
    title, items = legend_texts(fig)
    assert words in title and "4 classes" in title
    # one legend entry per class, and the ward counts in the entries add up to all wards
    counts = [int(t.split("(")[1].split(" ")[0]) for t in items]
    assert len(items) == 4 and sum(counts) == 12
    # every ward is labelled by name on the map
    texts = {t.get_text().replace("\n", " ") for t in fig.axes[0].texts}
    assert {f"Ward number {i}" for i in range(12)} <= texts
    assert "N" in texts  # north arrow
    # scale bar: about a fifth of the 4 km width, rounded down to a round length -> 500 m
    assert "500 m" in texts
    plt.close(fig)


def test_suppressed_and_missing_wards_are_shown_and_not_classified(wards):
    values = np.array([2, 40, 41, 42, 43, 60, 61, 62, 80, 81, np.nan, 3], dtype=float)
    suppressed = values < 5
    fig = maps.choropleth(wards, np.where(suppressed, np.nan, values), suppressed=suppressed,
                          threshold=5, k=3, missing_label="No population figure")  # fmt: skip
    title, items = legend_texts(fig)
    assert "Suppressed (fewer than 5)" in items
    assert "No population figure" in items
    # classes are built from the 9 published values only: the lowest class starts at 40
    assert items[0].startswith("40")
    counts = [int(t.split("(")[1].split(" ")[0]) for t in items[:3]]
    assert sum(counts) == 9
    plt.close(fig)


def test_hotspot_map_states_confidence_and_counts(wards):
    spots = [HOT, HOT, NOT_SIG, COLD] + [NOT_SIG] * 8
    fig = maps.hotspot_map(wards, spots, title="Hot spots", fdr_alpha=0.1)
    title, items = legend_texts(fig)
    assert "90% confidence" in title and "false discovery rate 10%" in title
    assert items == ["Hot spot (2 wards)", "Cold spot (1 ward)", "Not significant (9 wards)"]
    plt.close(fig)


def test_bad_scheme_and_k_are_parameter_errors(wards):
    with pytest.raises(ParameterError, match="classification"):
        maps.choropleth(wards, np.arange(12), scheme="Jenks")
    with pytest.raises(ParameterError, match="classes"):
        maps.choropleth(wards, np.arange(12), k=20)


def test_few_distinct_values_reduce_k_and_density_and_lorenz_build(wards):
    fig = maps.choropleth(wards, np.array([1.0, 2.0] * 6), k=5, scheme="Quantiles")
    title, items = legend_texts(fig)
    assert "2 classes" in title
    plt.close(fig)
    grid = np.random.default_rng(0).random((30, 40))
    fig = maps.density_map(grid, (0, 4000, 0, 3000), wards, title="Density")
    assert len(fig.axes) == 2  # map + colour bar
    plt.close(fig)
    import pandas as pd

    lc = pd.DataFrame({"share_of_wards": [0, 50, 100], "share_of_crime": [0, 20, 100]})
    fig = maps.lorenz_chart({"All crime": lc}, {"All crime": 0.3})
    assert "All crime (Gini 0.30)" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    plt.close(fig)


# ---------------------------------------------------------------------------- change map


def test_change_classes_by_hand():
    pct = [-80, -50, -49.9, -25, -24.9, -10, -9.99, 0, 9.99, 10, 24.9, 25, 49.9, 50, 300, np.nan]
    idx, labels = maps.change_classes(pct)
    # <=-50 | (-50,-25] | (-25,-10] | (-10,10) | [10,25) | [25,50) | >=50 ; NaN -> -1
    assert idx.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 6, -1]
    assert labels == [
        "Fell by 50% or more", "Fell by 25% to under 50%", "Fell by 10% to under 25%",
        "Within 10% either way",
        "Rose by 10% to under 25%", "Rose by 25% to under 50%", "Rose by 50% or more",
    ]  # fmt: skip
    idx, labels = maps.change_classes([-5, 5, 20], edges=(15,))
    assert idx.tolist() == [1, 1, 2] and labels[1] == "Within 15% either way"
    with pytest.raises(ParameterError):
        maps.change_classes([1.0], edges=(25, 10))


def _black_lines(ax, width):
    """Line segments drawn in black at ``width`` (the significant-change outlines)."""
    from matplotlib.collections import LineCollection
    from matplotlib.colors import to_hex

    n = 0
    for c in ax.collections:
        if isinstance(c, LineCollection) and np.isclose(c.get_linewidth()[0], width):
            if to_hex(c.get_colors()[0]) == "#000000":
                n += len(c.get_segments())
    return n


def test_change_map_legend_outlines_and_labels(wards):
    #        0    1    2    3    4   5  6  7   8   9   10  11
    pct = [-60, -30, -15, -5, 0, 5, 12, 30, 70, 80, np.nan, 20]
    sig = [True, False, False, False, False, False, False, True, True, False, False, True]
    direction = ["down", "down", "down", "down", "same", "up", "up", "up", "up", "up", None, "up"]
    suppressed = [False] * 11 + [True]  # ward 11 hidden: never outlined even though significant
    fig = maps.change_map(wards, pct, sig, direction, title="Change", suppressed=suppressed,
                          threshold=5, fdr_alpha=0.05)  # fmt: skip
    title, items = legend_texts(fig)
    assert "7 fixed classes centred on no change" in title and "false discovery rate 5%" in title
    assert items[:7] == [
        "Fell by 50% or more (1 ward)", "Fell by 25% to under 50% (1 ward)",
        "Fell by 10% to under 25% (1 ward)", "Within 10% either way (3 wards)",
        "Rose by 10% to under 25% (1 ward)", "Rose by 25% to under 50% (1 ward)",
        "Rose by 50% or more (2 wards)",
    ]  # fmt: skip
    assert "No earlier figure to compare" in items  # ward 10
    assert "Suppressed (fewer than 5 in either period)" in items
    assert "▲ Significant rise (2 wards)" in items and "▼ Significant fall (1 ward)" in items
    ax = fig.axes[0]
    # each outlined square is one closed ring: 2 solid (rises: wards 7, 8), 1 dashed (ward 0)
    assert _black_lines(ax, maps.RISE_WIDTH) == 2 and _black_lines(ax, maps.FALL_WIDTH) == 1
    texts = {t.get_text().replace("\n", " ") for t in ax.texts}
    assert {"Ward number 7 ▲", "Ward number 8 ▲", "Ward number 0 ▼", "Ward number 11"} <= texts
    assert "N" in texts and "500 m" in texts
    plt.close(fig)


def test_inset_outline_stays_inside_each_ward(wards):
    lines = maps._inset_outline(wards.geometry.values, 50.0)
    for line, ward in zip(lines, wards.geometry, strict=True):
        assert ward.contains(line)
        assert line.length == pytest.approx(4 * 900.0)  # 1 km square pulled in 50 m each side


def test_display_outlines_are_simplified_as_one_coverage_without_gaps():
    """Two wards sharing a wiggly edge of 2,001 vertices: the drawing copy has far fewer
    vertices, the same extent, and no gap or overlap (areas checked with shapely)."""
    from shapely import get_num_coordinates
    from shapely.geometry import Polygon

    xs = np.linspace(0, 10_000, 2001)
    edge = [(x, 5_000 + np.sin(x)) for x in xs]  # a 1 m wiggle: invisible at A4 width
    south = Polygon([(0, 0), (10_000, 0), *edge[::-1]])
    north = Polygon([*edge, (10_000, 10_000), (0, 10_000)])
    w = gpd.GeoDataFrame(
        {"ward_code": ["S", "N"], "ward_name": ["South", "North"]},
        geometry=[south, north], crs="EPSG:27700",
    )  # fmt: skip
    d = maps.for_display(w)
    before, after = (get_num_coordinates(g.geometry.values).sum() for g in (w, d))
    assert after < before / 4
    union = d.geometry.union_all()
    assert union.area == pytest.approx(100_000_000, rel=1e-6)  # no gap
    assert d.geometry.area.sum() == pytest.approx(union.area, rel=1e-9)  # no overlap
    assert d["ward_code"].tolist() == ["S", "N"]


def test_wards_are_not_labelled_on_force_sized_maps():
    many = gpd.GeoDataFrame(
        {"ward_code": [f"E{i:03d}" for i in range(maps.MAX_LABELLED_WARDS + 1)],
         "ward_name": [f"Ward {i}" for i in range(maps.MAX_LABELLED_WARDS + 1)]},
        geometry=[box(i * 10, 0, (i + 1) * 10, 10) for i in range(maps.MAX_LABELLED_WARDS + 1)],
        crs="EPSG:27700",
    )  # fmt: skip
    fig, ax = plt.subplots()
    maps.label_wards(ax, many)
    assert not ax.texts
    maps.label_wards(ax, many.iloc[:3])
    assert len(ax.texts) == 3
    plt.close(fig)


def test_a_layer_is_added_without_rendering_the_figure(wards):
    """geopandas renders the whole figure after every layer; draw_layer adds the same
    collection without that render, and leaves the canvas as it was."""
    fig, ax = plt.subplots()
    renders = []
    fig.canvas.mpl_connect("draw_event", lambda event: renders.append(event))
    colours = ["#FFFFD4"] * 6 + ["#993404"] * 6
    maps.draw_layer(wards, ax, color=colours, linewidth=0)
    maps.draw_layer(wards.boundary, ax, color="#404040", linewidth=0.4)
    assert renders == []
    assert "draw_idle" not in vars(fig.canvas)
    fig2, ax2 = plt.subplots()
    wards.plot(ax=ax2, color=colours, linewidth=0)  # geopandas itself: one render per layer
    wards.boundary.plot(ax=ax2, color="#404040", linewidth=0.4)
    assert [type(c).__name__ for c in ax.collections] == [type(c).__name__ for c in ax2.collections]
    np.testing.assert_array_equal(
        ax.collections[0].get_facecolors(), ax2.collections[0].get_facecolors()
    )
    assert ax.get_xlim() == ax2.get_xlim() and ax.get_ylim() == ax2.get_ylim()
    plt.close("all")
