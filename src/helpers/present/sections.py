"""Show a :class:`helpers.core.sections.Section` in a notebook: sentences, table, figure, notes.

``show(section)`` is the one call a stage notebook makes per section. The preamble (if any),
then the sentences are shown as
Markdown, the table through :func:`helpers.present.tables.show_table` (so formats and
suppression are applied the same way everywhere), the figure through
:func:`helpers.present.charts.finish` with its alt text, and notes as a small-print paragraph.
Outside IPython (tests, scripts) it does nothing and returns the section.
"""

from __future__ import annotations

from helpers.core.sections import Section
from helpers.present import charts
from helpers.present.tables import show_table

__all__ = ["show", "show_all"]


def _display(obj) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is not None:
            display(obj)
    except ImportError:  # pragma: no cover - IPython is installed with jupyterlab
        pass


def show(section: Section, *, table: bool = True, figure: bool = True) -> Section:
    """Display ``section`` (each part only when present); returns it for chaining."""
    from IPython.display import Markdown

    if section.preamble:
        _display(Markdown("\n\n".join(section.preamble)))
    if section.sentences:
        _display(Markdown("\n\n".join(section.sentences)))
    if table and section.table is not None:
        _display(
            show_table(
                section.table,
                caption=section.caption,
                formats=section.formats,
                note=section.note,
                suppressed=section.suppressed,
            )
        )
    if figure and section.figure is not None:
        import matplotlib.pyplot as plt

        fig = charts.finish(section.figure(), alt=section.alt)
        _display(fig)
        plt.close(fig)
    if section.notes:
        _display(Markdown("\n\n".join(f"*{n}*" for n in section.notes)))
    return section


def show_all(*sections) -> None:
    """Show each section in turn; arguments may be sections or lists of sections."""
    for item in sections:
        for s in item if isinstance(item, list | tuple) else [item]:
            show(s)
