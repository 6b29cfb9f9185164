"""Stage 01's chart and printed notes: the parts of :class:`helpers.stages.cleaning_stage.CleaningStage`
that need the present layer (matplotlib, print-fit wording)."""

from __future__ import annotations

import pandas as pd

from helpers.core.sections import Section
from helpers.present import charts
from helpers.present.tables import plain_text

__all__ = ["check_notes", "months"]


def months(stage) -> list[Section]:
    """police.uk records per month with missing months shaded, then the months sentence."""
    per_month, missing = stage.per_month(), stage.result.months_missing

    def draw():
        fig, ax = charts.plt.subplots(figsize=(8, 3.2))
        x = pd.PeriodIndex(per_month.index, freq="M").to_timestamp()
        ax.plot(x, per_month["Crimes"], color=charts.CURRENT, label="Crimes")
        ax.plot(x, per_month["ASB incidents"], color=charts.PREVIOUS, label="ASB incidents")
        for m in missing:
            ax.axvspan(pd.Period(m, "M").to_timestamp(), (pd.Period(m, "M") + 1).to_timestamp(),
                       color="#D55E00", alpha=0.3)  # fmt: skip
        ax.set_ylabel("Records per month")
        ax.set_title("police.uk records per month (gaps shaded)")
        ax.legend(frameon=False)
        return fig

    return [
        Section(
            "months_chart",
            figure=draw,
            alt="Line chart of police.uk crimes and ASB incidents per month",
        ),  # fmt: skip
        Section("months", sentences=[stage.months_text]),
    ]


def check_notes(stage) -> Section:
    """The checks' warnings and skipped files, worded for print (or that none were found)."""
    notes = stage.check_notes
    text = "\n".join(f"- {plain_text(n)}" for n in notes) if notes else "No issues were found."
    return Section("check_notes", sentences=[text])
