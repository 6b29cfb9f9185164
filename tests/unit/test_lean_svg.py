"""Unit tests for helpers.present.charts.lean_svg: the same picture in fewer SVG nodes."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import geopandas as gpd
import matplotlib
import numpy as np
from shapely.geometry import box

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from helpers.present import charts, maps  # noqa: E402

NS = "{http://www.w3.org/2000/svg}"

HAND_MADE = """<?xml version="1.0" encoding="utf-8" standalone="no"?>
<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="100pt" height="50pt" viewBox="0 0 100 50" xmlns="http://www.w3.org/2000/svg" version="1.1">
 <g id="figure_1">
  <g id="axes_1">
   <g id="collection_1">
    <path d="M 0 0 L 10 10 z" clip-path="url(#c1)" style="fill: #ff0000"/>
    <path d="M 10 0 L 20 10 z" clip-path="url(#c1)" style="fill: #00ff00"/>
   </g>
   <image transform="scale(1 -1)" clip-path="url(#c1)" width="2" height="2"/>
   <path d="M 30 0 L 40 10" clip-path="url(#c1)" style="stroke: #000000"/>
   <g id="text_1">
    <g id="patch_2">
     <path d="M 1 1 L 9 1 L 9 5 z" style="fill: #ffffff; opacity: 0.85"/>
    </g>
    <text style="font-size: 7px; text-anchor: middle" x="5" y="4" transform="rotate(-0 5 4)">Castle</text>
   </g>
  </g>
 </g>
 <defs>
  <clipPath id="c1"><rect x="0" y="0" width="100" height="50"/></clipPath>
 </defs>
</svg>
"""


def _tree(svg: str):
    return ET.fromstring(svg[svg.index("<svg") :])


def _drawn(svg: str) -> list[tuple]:
    """Every path, text and image in document (paint) order with what decides its pixels."""
    out = []
    for el in _tree(svg).iter():
        tag = el.tag.removeprefix(NS)
        if tag in ("path", "text", "image"):
            out.append((tag, el.get("d"), el.text if tag == "text" else None))
    return out


def test_hand_made_svg_loses_id_groups_and_shares_the_clip():
    lean = charts.lean_svg(HAND_MADE)
    assert lean.startswith('<?xml version="1.0"')
    root = _tree(lean)
    groups = list(root.iter(f"{NS}g"))
    # no group left that only carried an id
    assert all(set(g.attrib) != {"id"} for g in groups)
    # the two fills and the stroke share one clipped group; the transformed image keeps its
    # own clip (its clip is in its own, flipped, user space) and so splits the run
    clipped = [el for el in root.iter() if el.get("clip-path")]
    assert [el.tag.removeprefix(NS) for el in clipped] == ["g", "image", "path"]
    assert [p.get("style") for p in clipped[0]] == ["fill: #ff0000", "fill: #00ff00"]
    # the label box: fill opacity instead of element opacity; the text keeps its words
    box_path = [p for p in root.iter(f"{NS}path") if p.get("d") == "M 1 1 L 9 1 L 9 5 z"][0]
    assert box_path.get("style") == "fill: #ffffff; fill-opacity: 0.85"
    text = next(root.iter(f"{NS}text"))
    assert text.text == "Castle" and "transform" not in text.attrib
    assert text.get("style") == "font-size: 7px; text-anchor: middle"
    # nothing drawn is lost or reordered
    assert _drawn(lean) == _drawn(HAND_MADE)
    assert root.find(f"{NS}defs/{NS}clipPath").get("id") == "c1"


def test_outlined_or_already_fill_opaque_shapes_keep_their_opacity():
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg">'
        '<path d="M 0 0 L 1 1" style="fill: #fff; stroke: #000; opacity: 0.5"/>'
        '<path d="M 0 0 L 2 2" style="fill: #fff; fill-opacity: 0.4; opacity: 0.5"/></svg>'
    )
    styles = [p.get("style") for p in _tree(charts.lean_svg(svg)).iter(f"{NS}path")]
    assert styles == ["fill: #fff; stroke: #000; opacity: 0.5",
                      "fill: #fff; fill-opacity: 0.4; opacity: 0.5"]  # fmt: skip


def test_what_is_not_svg_is_returned_unchanged():
    assert charts.lean_svg("no picture here") == "no picture here"
    assert charts.lean_svg("<svg><unclosed") == "<svg><unclosed"
    assert charts.lean_svg(b"<html></html>") == b"<html></html>"


def test_a_map_keeps_every_path_and_word_in_fewer_nodes():
    geoms = [
        box(c * 1000, r * 1000, (c + 1) * 1000, (r + 1) * 1000) for r in range(2) for c in range(3)
    ]
    wards = gpd.GeoDataFrame({"ward_name": [f"Ward {i}" for i in range(6)]}, geometry=geoms,
                             crs="EPSG:27700")  # fmt: skip
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # text as text, as in the reports
        fig = maps.choropleth(wards, np.arange(6) * 10.0, title="Counts", k=3)
        fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    svg = buf.getvalue()
    lean = charts.lean_svg(svg)
    assert _drawn(lean) == _drawn(svg)
    for i in range(6):
        assert f">Ward {i}</text>" in lean
    n_before, n_after = (sum(1 for _ in _tree(s).iter()) for s in (svg, lean))
    assert n_after < n_before * 0.75
    clips = lambda s: sum(1 for el in _tree(s).iter() if el.get("clip-path"))  # noqa: E731
    assert clips(lean) < clips(svg)


def test_the_notebook_formatter_returns_the_lean_svg():
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig, ax = plt.subplots()
        ax.bar([1, 2], [3, 4])
        ax.set_title("Two bars")
        svg, meta = charts._svg_with_alt(fig)
    plt.close(fig)
    root = _tree(svg)
    assert all(set(g.attrib) != {"id"} for g in root.iter(f"{NS}g"))
    assert "Two bars" in svg and meta == {"alt": "Two bars"}
