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
