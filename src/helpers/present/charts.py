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
    return svg, {"alt": alt_text(fig)}


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
