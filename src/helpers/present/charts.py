"""House chart style, set once for every notebook.

``setup_notebook()`` applies the colour-blind-safe palette (Okabe–Ito), seaborn theme and SVG
inline output so charts print sharp in the PDF. Stage notebooks call it in their first code cell.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import seaborn as sns

# Okabe & Ito (2008) colour-blind-safe palette.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
CURRENT, PREVIOUS, BASELINE = "#0072B2", "#E69F00", "#999999"
INCREASE, DECREASE, NEUTRAL = "#D55E00", "#009E73", "#999999"


def apply_house_style() -> None:
    """Set the seaborn/matplotlib style used by every chart."""
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE)
    mpl.rcParams.update(
        {
            "figure.figsize": (8.0, 4.5),
            "figure.dpi": 100,
            "savefig.dpi": 200,
            "svg.fonttype": "none",  # keep chart text as real text in SVG/PDF
            "font.family": "DejaVu Sans",
            "axes.titlesize": 12,
            "axes.titleweight": "bold",
            "axes.labelsize": 10,
            "xtick.labelsize": 9,
            "ytick.labelsize": 9,
            "legend.fontsize": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )


def alt_text(fig: plt.Figure) -> str:
    """The alt text given to :func:`finish`, else the axes titles joined (may be empty)."""
    alt = getattr(fig, "_panel_alt", None) or ""
    if not alt:
        label = fig.get_label() or ""
        alt = "" if label.startswith("_") or label.isdigit() else label
    if not alt:
        alt = "; ".join(t for ax in fig.get_axes() if (t := ax.get_title()))
        if getattr(fig, "_suptitle", None) is not None and fig._suptitle.get_text():
            alt = fig._suptitle.get_text() + ("; " + alt if alt else "")
    return alt


def _svg_with_alt(fig: plt.Figure):
    """IPython SVG formatter: (svg, metadata) so the PDF exporter finds the alt text."""
    from IPython.core.pylabtools import print_figure

    svg = print_figure(fig, fmt="svg", bbox_inches="tight")
    return lean_svg(svg), {"alt": alt_text(fig)}


_SVG_NS = "http://www.w3.org/2000/svg"
_SVG_NAMESPACES = {
    "": _SVG_NS,
    "xlink": "http://www.w3.org/1999/xlink",
    "dc": "http://purl.org/dc/elements/1.1/",
    "cc": "http://creativecommons.org/ns#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
}
_G, _PATH, _TEXT = (f"{{{_SVG_NS}}}{t}" for t in ("g", "path", "text"))
_KEEP_AS_IS = {f"{{{_SVG_NS}}}{t}" for t in ("defs", "metadata", "clipPath", "style")}


def _is_zero_rotation(transform: str) -> bool:
    """``rotate(-0 x y)`` (matplotlib writes one on every text element): the identity."""
    parts = transform.replace("(", " ").replace(")", " ").split()
    return len(parts) == 4 and parts[0] == "rotate" and float(parts[1]) == 0.0


def _lean_children(parent) -> None:
    import xml.etree.ElementTree as ET

    kids = []
    for child in list(parent):
        if child.tag not in _KEEP_AS_IS:
            _lean_children(child)
        if child.tag == _G and set(child.attrib) <= {"id"} and not (child.text or "").strip():
            kids.extend(child)  # a group that only names its artist: its children in its place
        else:
            kids.append(child)
    for child in kids:
        if child.tag == _TEXT and _is_zero_rotation(child.get("transform", "")):
            del child.attrib["transform"]
        style = child.get("style", "")
        if (
            child.tag == _PATH
            and len(child) == 0
            and style.count("opacity:") == 1
            and "fill-opacity" not in style
            and "stroke" not in style
        ):
            # a filled shape without an outline: its fill's opacity is the element's opacity,
            # without the PDF transparency group (one per ward-name box) element opacity needs
            child.set("style", style.replace("opacity:", "fill-opacity:"))
    out, run = [], []

    def flush():
        if len(run) > 1:  # neighbours clipped alike: one clip for all (clipped once, not per path)
            group = ET.Element(_G, {"clip-path": run[0].get("clip-path")})
            for el in run:
                del el.attrib["clip-path"]
                group.append(el)
            out.append(group)
        else:
            out.extend(run)
        run.clear()

    for child in kids:
        clip = child.get("clip-path")
        # an element's own transform would move its clip (user space): such elements stay alone
        if clip and "transform" not in child.attrib:
            if run and run[0].get("clip-path") != clip:
                flush()
            run.append(child)
        else:
            flush()
            out.append(child)
    flush()
    for child in list(parent):
        parent.remove(child)
    parent.extend(out)


def lean_svg(svg):
    """Matplotlib's SVG with the same picture in fewer, simpler nodes for the PDF renderer.

    weasyprint cascades styles and sets up drawing state for every SVG node and redraws an
    element's clip path for every element that names it; a map had ~370 nodes, most of them
    ``<g id=...>`` wrappers and paths each naming the same axes clip. Here (1) groups that only
    carry an ``id`` are replaced by their children, (2) runs of neighbouring elements with the
    same ``clip-path`` (and no transform of their own) share one clipped group, (3) a filled
    path without an outline takes its ``opacity`` as ``fill-opacity`` (same pixels, no PDF
    transparency group) and (4) ``rotate(-0 x y)`` transforms, the identity, are dropped.
    Paint order, every path, style and text element are kept; rasterised pages are
    pixel-identical. Input that is not matplotlib-like SVG text is returned unchanged.
    """
    import xml.etree.ElementTree as ET

    if isinstance(svg, bytes):
        return lean_svg(svg.decode("utf-8")).encode("utf-8")
    head, tag, body = svg.partition("<svg")
    if not tag:
        return svg
    for prefix, uri in _SVG_NAMESPACES.items():
        ET.register_namespace(prefix, uri)
    try:
        root = ET.fromstring(tag + body)
    except ET.ParseError:
        return svg
    if root.tag != f"{{{_SVG_NS}}}svg":
        return svg
    _lean_children(root)
    return head + ET.tostring(root, encoding="unicode")


def setup_notebook() -> None:
    """House style plus SVG inline figures (sharp in print) carrying alt text. Safe outside IPython.

    Each chart is displayed as ``image/svg+xml`` only (no PNG, no ``<Figure size ...>`` text
    that could leak into a PDF) with output metadata ``{"alt": ...}`` taken from
    :func:`finish`'s ``alt=``; the panel PDF uses it as the image's alt text and figure caption.
    """
    apply_house_style()
    try:
        from IPython import get_ipython

        ip = get_ipython()
        if ip is not None:
            from matplotlib.figure import Figure
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            set_matplotlib_formats("svg")
            ip.display_formatter.formatters["image/svg+xml"].for_type(Figure, _svg_with_alt)
    except Exception:  # pragma: no cover - outside a kernel
        pass


def finish(fig: plt.Figure, alt: str | None = None) -> plt.Figure:
    """Tidy a figure's layout and attach alt text: one plain sentence saying what the chart
    shows. The PDF uses it as the image's alt text and as the numbered figure caption."""
    fig.tight_layout()
    if alt:
        fig.set_label(alt)
        fig._panel_alt = alt  # survives later set_label calls by plotting libraries
    return fig


def _luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of ``#RRGGBB``."""
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    rgb = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio of two ``#RRGGBB`` colours (1 to 21; text needs 4.5)."""
    a, b = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def text_colour_on(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (labels on bars and fills)."""
    if isinstance(background, tuple | list):  # matplotlib RGB(A) floats
        background = "#" + "".join(f"{round(float(c) * 255):02X}" for c in background[:3])
    dark, light = "#000000", "#FFFFFF"
    return dark if contrast_ratio(dark, background) >= contrast_ratio(light, background) else light


def top_names(values, names, n: int = 3, decimals: int = 1) -> str:
    """'Castle (571.7), Hatton Park (274.1) and Parklands (271.7)': the ``n`` largest values with
    their names, matched by position; missing (suppressed) values are skipped. For alt text."""
    import math

    from helpers.core.narrative import join_names

    pairs = []
    for name, v in zip(list(names), list(values), strict=False):
        try:
            x = float(v)
        except (TypeError, ValueError):
            continue
        if not math.isnan(x):
            pairs.append((x, str(name)))
    pairs.sort(key=lambda t: -t[0])
    return join_names([f"{name} ({x:,.{decimals}f})" for x, name in pairs[:n]])
