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


def setup_notebook() -> None:
    """House style plus SVG inline figures (sharp in print). Safe outside IPython."""
    apply_house_style()
    try:
        from IPython import get_ipython

        ip = get_ipython()
        if ip is not None:
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            set_matplotlib_formats("svg")
    except Exception:  # pragma: no cover - outside a kernel
        pass


def finish(fig: plt.Figure, alt: str | None = None) -> plt.Figure:
    """Tidy a figure's layout and attach alt text (used by the PDF exporter)."""
    fig.tight_layout()
    if alt:
        fig.set_label(alt)
    return fig
