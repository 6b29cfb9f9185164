"""Stage 01 as sections: what ``notebooks/01_cleaning`` shows about the cleaning it runs.

``build(cfg, period)`` runs :func:`helpers.ingest.cleaning.run_cleaning` (raw → processed,
ledger, manifest) and returns a :class:`CleaningStage` whose methods return
:class:`~helpers.core.sections.Section` objects: the ledger (read = kept + rejected, by input),
the rejections by reason, the recorded repairs, the months covered, how crimes were placed in
wards and the notes from the checks. The monthly chart and the printed notes are made by
:mod:`helpers.present.cleaning_sections` (this layer draws nothing). :meth:`CleaningStage.outputs`
is what ``save_stage_outputs`` writes.

Caveat: the ledger counts rows, not crimes; a rejected row stays in the raw file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from helpers.core import narrative
from helpers.core.sections import Section

# at import, not in build(): the runner's warm kernels import this module before they fork, so
# the cleaning's own imports (pandera, the Arrow readers, pyogrio; ~0.15 s) are already done
from helpers.ingest import cleaning

__all__ = ["CleaningStage", "build", "INPUT_LABELS"]

STAGE = "01_cleaning"
#: how each processed table is named for a reader
INPUT_LABELS = {
    "street": "police.uk street-level crime and ASB",
    "outcomes": "police.uk outcomes",
    "extract": "Force offence extract",
    "csp_counts": "Home Office crime by CSP",
    "csp_population": "Population by CSP",
    "msg": "Most Similar Group list",
    "wards": "Ward boundaries",
    "lsoa_lookup": "Neighbourhood (LSOA) to ward lookup",
    "ward_population": "Ward population",
}
_COUNTS = {"Files": "int", "Rows read": "int", "Kept": "int", "Rejected": "int"}


def _label(tables: pd.Series) -> pd.Series:
    return tables.map(INPUT_LABELS).fillna(tables)


@dataclass
class CleaningStage:
    """The cleaning run of one area and period (see :func:`build`)."""

    cfg: Any
    period: str
    result: Any  # helpers.ingest.cleaning.CleaningResult

    @property
    def summary(self) -> pd.DataFrame:
        return self.result.ledger.summary()

    @property
    def rejections(self) -> pd.DataFrame:
        return self.result.ledger.rejections()

    @property
    def street(self) -> pd.DataFrame:
        return self.result.tables["street"]

    def intro(self) -> Section:
        """The area and period, how the area was defined, and the synthetic-data warning."""
        from helpers.core.periods import ReportingPeriod

        s = [f"{narrative.area_title(self.cfg.name, self.cfg.area_kind)} — reporting period "
             f"**{ReportingPeriod(self.period).name}**."]  # fmt: skip
        ra = self.result.resolved_area
        if ra is not None:
            s.append(" ".join([ra.describe(), *ra.notes]))
        if self.cfg.synthetic:
            s.append("> **Synthetic data.** This report is made from the embedded synthetic sample, "
                     "not real crime records. Its figures illustrate the method only.")  # fmt: skip
        return Section("intro", sentences=s)

    def ledger(self) -> list[Section]:
        """Rows read, kept and rejected by input; rejected rows by reason; recorded repairs."""
        sm = self.summary
        view = pd.DataFrame({
            "Input": _label(sm["table"]), "Files": sm["files"], "Rows read": sm["read"],
            "Kept": sm["kept"], "Rejected": sm["rejected"],
            "Balanced": sm["balanced"].map({True: "yes", False: "NO"}),
        })  # fmt: skip
        out = [Section("ledger", table=view, formats=_COUNTS,
                       caption="Rows read, kept and rejected by input")]  # fmt: skip
        rej = self.rejections
        if rej.empty:
            out.append(Section("rejections", sentences=["No rows were rejected."]))
        else:
            rv = pd.DataFrame(
                {"Input": _label(rej["table"]), "Reason": rej["reason"], "Rows": rej["rows"]}
            )
            out.append(Section("rejections", table=rv, formats={"Rows": "int"},
                               caption="Rejected rows by reason"))  # fmt: skip
        led = self.result.ledger.to_frame()
        repairs = led[led.status == "repaired"]
        if not repairs.empty:
            rp = repairs[["source", "reason", "rows"]].rename(
                columns={"source": "File", "reason": "Repair", "rows": "Rows"}
            )
            out.append(Section("repairs", table=rp, formats={"Rows": "int"},
                               caption="Rows kept after a recorded repair"))  # fmt: skip
        return out

    def per_month(self) -> pd.DataFrame:
        """police.uk crimes and ASB incidents per month (index: month)."""
        pm = (self.street.groupby(["month", "is_asb"]).size().unstack(fill_value=0)
              .reindex(columns=[False, True], fill_value=0))  # fmt: skip
        pm.columns = ["Crimes", "ASB incidents"]
        return pm

    @property
    def months_text(self) -> str:
        """The months police.uk covers, and any missing."""
        months, missing = self.result.months_available, self.result.months_missing
        text = f"police.uk data cover **{months[0]} to {months[-1]}** ({len(months)} months). "
        if missing:
            text += (
                f"**{narrative.number_word(len(missing)).capitalize()} month(s) are missing: "
                f"{', '.join(missing)}.** Comparisons that span these months are made "
                "like-for-like over the months both periods hold."
            )
        else:
            text += (
                "No month is missing between the first month and the end of the reporting period."
            )
        return text

    def placement(self) -> list[Section]:
        """How police.uk rows were placed in wards, and how often the two methods agree."""
        street = self.street
        method = street["ward_method"].value_counts().rename_axis("Method").reset_index(name="Rows")
        method["Share"] = method["Rows"] / method["Rows"].sum() * 100
        out = [Section("placement", table=method, formats={"Rows": "int", "Share": "pct"},
                       caption="Ward assignment method (police.uk rows kept)")]  # fmt: skip
        both = street[
            (street.ward_method == "point-in-polygon") & street["lookup_ward_code"].notna()
        ]
        if len(both):
            agree = (both["ward_code"] == both["lookup_ward_code"]).mean() * 100
            out.append(Section("placement_agreement", sentences=[
                f"Where a crime has both a map point and an LSOA, the two methods put it in the "
                f"same ward **{narrative.fmt_pct(agree)}** of the time ({narrative.fmt_int(len(both))} crimes)."
            ]))  # fmt: skip
        return out

    @property
    def check_notes(self) -> list[str]:
        """Warnings from the checks and files not read, as the cleaning words them (the
        present layer makes them fit for print)."""
        return self.result.warnings + cleaning.summarise_skipped(self.result.skipped_files)

    def outputs(self) -> dict[str, Any]:
        """Keyword arguments for ``save_stage_outputs``."""
        summary, rej, res = self.summary, self.rejections, self.result
        later = rej["reason"].str.contains("after the period end") if not rej.empty else None
        return {
            "tables": {"ledger_summary": summary, "rejections": rej},
            "figures": {
                "rows_read": int(summary["read"].sum()),
                "rows_kept": int(summary["kept"].sum()),
                "rows_rejected": int(summary["rejected"].sum()),
                "months_missing": res.months_missing,
                "street_kept": int(len(self.street)),
                "balanced": bool(summary["balanced"].all()),
            },
            "sentences": [self.months_text],
            "headlines": [self.months_text],
            "glance": {
                "Records read": narrative.fmt_int(summary["read"].sum()),
                "Kept for analysis": narrative.fmt_int(summary["kept"].sum()),
                "Rejected as faulty or outside the area": narrative.fmt_int(
                    rej.loc[~later, "rows"].sum() if not rej.empty else 0
                ),
                "For months after the period (not used)": narrative.fmt_int(
                    rej.loc[later, "rows"].sum() if not rej.empty else 0
                ),
                "Months missing": str(len(res.months_missing)),
            },
        }


def build(cfg, period: str) -> CleaningStage:
    """Run the cleaning for ``cfg`` (an AreaConfig) and ``period`` (parameters already checked
    by ``validate_parameters``); the synthetic sample must already be in place."""
    return CleaningStage(cfg, period, cleaning.run_cleaning(cfg, period))
