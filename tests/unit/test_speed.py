"""The speed changes of issue 17 keep what a reader gets: ward names stay text, figures drawn
once are the same figures, and the region benchmark says why it cannot run."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from shapely.geometry import box  # noqa: E402

from helpers.present import charts, maps  # noqa: E402
from helpers.report import pack  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def test_ward_names_are_text_in_the_svg_not_outlines():
    charts.apply_house_style()
    wards = gpd.GeoDataFrame(
        {"ward_name": ["Abbey Fields", "Brook Side", "Castle Hill"]},
        geometry=[box(i * 1000, 0, i * 1000 + 900, 900) for i in range(3)],
        crs="EPSG:27700",
    )
    fig, ax = plt.subplots()
    wards.plot(ax=ax)
    maps.label_wards(ax, wards)
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    svg = buf.getvalue()
    for name in ("Abbey Fields", "Brook Side", "Castle Hill"):
        assert name.split()[0] in svg  # a text element, searchable and cheap to draw
    # no glyph outlines: a haloed label is a long path of curves per letter
    assert svg.count("\nQ ") < 20  # (a haloed version of these three names has 440)


def test_a_figure_is_drawn_once_per_content():
    calls = []

    def draw(tag):
        calls.append(tag)
        return f"<svg>{tag}</svg>", f"alt {tag}"

    pack._DRAWN.clear()
    a = pack._drawn_once(("x", [{"r": 1}]), lambda: draw("a"))
    b = pack._drawn_once(("x", [{"r": 1}]), lambda: draw("b"))
    c = pack._drawn_once(("x", [{"r": 2}]), lambda: draw("c"))
    assert a == b == ("<svg>a</svg>", "alt a") and c == ("<svg>c</svg>", "alt c")
    assert calls == ["a", "c"]


def test_region_benchmark_skips_with_a_reason_when_the_data_are_absent(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("_bench", REPO / "benchmarks" / "bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    monkeypatch.setattr(bench, "shared_data", lambda: tmp_path / "nowhere")
    why = bench.bench_region(["1"])
    assert isinstance(why, str) and why.startswith("real data not found")
    assert str(tmp_path / "nowhere") in why
