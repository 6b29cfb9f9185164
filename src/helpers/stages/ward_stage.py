"""Stage 04 as sections: everything ``notebooks/04_ward_hotspots`` computes, in one call.

``build(area, period, ...)`` loads the processed tables, counts every measure by ward, protects
the ward tables (disclosure control), runs Gi*, the ward changes, the priority tables and the
concentration measures, and returns a :class:`WardStage`. Its methods return
:class:`~helpers.core.sections.Section` objects holding the sentences and tables a councillor
reads; the maps are drawn by :mod:`helpers.present.ward_sections` (this layer draws nothing).
:meth:`WardStage.outputs` is what ``save_stage_outputs`` writes (tables, the figures record the
pack, the reconciliation check and the ward briefings read, sentences, headlines, glance).

The statistics and their caveats are those of :mod:`helpers.stages.hotspots` (Gi* with the
Benjamini–Hochberg FDR, the exact conditional binomial test per ward on like-for-like months,
Lorenz/Gini on counts) and :mod:`helpers.stages.disclosure` (audited suppression).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from helpers.core import narrative
from helpers.core.errors import GeographyError
from helpers.core.sections import Section
from helpers.stages import disclosure, hotspots
from helpers.stages import measures as MS

__all__ = ["WardStage", "build"]

STAGE = "04_ward_hotspots"
PRIORITY_FORMATS = {"Rank": "int", "Ward": "text", "Count": "int", "Rate per 1,000": "rate",
                    "Share of area total (%)": "pct", "Change": "signed_int",
                    "Change (%)": "signed_pct"}  # fmt: skip
HIGHLIGHT_FORMATS = {"Ward": "text", "Now": "int", "Change": "signed_int",
                     "Change (%)": "signed_pct", "Significant": "text"}  # fmt: skip


@dataclass
class WardStage:
    """What stage 04 computed for one area and period (see :func:`build`)."""

    cfg: Any
    area: str
    period: str
    current: Any  # ReportingPeriod
    comparison: Any
    fdr_alpha: float
    threshold: int
    scheme: str
    k: int
    top_n: int
    data: Any  # ProcessedData
    wards: Any
    ward_check: Any
    coverage: Any
    cur_months: list[str]
    counts: hotspots.WardCounts
    lfl: hotspots.LikeForLike | None
    protection: Any
    published: hotspots.Suppressed
    keys: list[str]
    sac_note: str = ""
    sac_keyed: list[dict] = field(default_factory=list)
    gi_results: dict[str, pd.DataFrame] = field(default_factory=dict)
    gi_errors: dict[str, str] = field(default_factory=dict)
    hotspot_sentences: list[str] = field(default_factory=list)
    changes: dict[str, pd.DataFrame] = field(default_factory=dict)
    change_sentences: dict[str, str] = field(default_factory=dict)
    published_changes: dict[str, hotspots.Suppressed] = field(default_factory=dict)
    change_highlights: dict[str, Any] = field(default_factory=dict)
    priority_tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    priority_masks: dict[str, pd.DataFrame] = field(default_factory=dict)
    conc_rows: list[dict] = field(default_factory=list)
    curves: dict[str, pd.DataFrame] = field(default_factory=dict)
    ginis: dict[str, float] = field(default_factory=dict)
    concentration_sentences: list[str] = field(default_factory=list)
    empty_measures: list[str] = field(default_factory=list)

    # ----------------------------------------------------------------- convenience

    @property
    def measures(self) -> dict[str, hotspots.Measure]:
        return hotspots.MEASURES

    @property
    def period_text(self) -> str:
        return self.current.short

    @property
    def change_text(self) -> str:
        return f"{self.current.short} against {self.comparison.short}"

    @property
    def cmp_months(self) -> list[str]:
        return self.lfl.previous_months if self.lfl is not None else []

    @property
    def has_population(self) -> bool:
        return bool(self.wards["population"].notna().any())

    @property
    def concentration(self) -> pd.DataFrame:
        return pd.DataFrame(self.conc_rows)

    # ----------------------------------------------------------------- sections

    def intro(self) -> Section:
        """The area, the periods and the number of wards (and the synthetic-data warning)."""
        s = [f"{narrative.area_title(self.cfg.name, self.cfg.area_kind)} — reporting period "
             f"**{self.current.name}**, compared with **{self.comparison.name}**. "
             f"{len(self.wards)} wards."]  # fmt: skip
        if self.cfg.synthetic:
            s.append("> **Synthetic data.** This report is made from the embedded synthetic "
                     "sample, not real crime records. Its maps illustrate the method only.")  # fmt: skip
        return Section("intro", sentences=s)

    def data_notes(self) -> Section:
        """How records were placed, what the boundaries check found, missing months, threshold."""
        notes = [hotspots.unassigned_sentence(self.counts)]
        street = self.data.street
        method_counts = street.loc[
            hotspots.month_text(street["month"]).isin(self.cur_months), "ward_method"
        ].value_counts()
        if method_counts.get("lsoa-lookup", 0):
            notes.append(f"{narrative.fmt_int(method_counts['lsoa-lookup'])} records had no usable "
                         "map point and were placed in a ward through their LSOA (best-fit lookup).")  # fmt: skip
        notes += self.ward_check.notes()
        if self.coverage.message():
            notes.append(self.coverage.message())
        notes.append(
            f"Disclosure control: counts below {self.threshold} are suppressed in every table and map."
        )
        return Section("data_notes", sentences=["\n".join(f"- {n}" for n in notes)])

    def totals(self) -> list[Section]:
        """Crimes and ASB in wards, in no ward and in the area; then the SAC note."""
        c, keys = self.counts, self.keys
        table = pd.DataFrame({
            "Measure": [self.measures[m].label for m in keys],
            "In wards": [int(c.table[m].sum()) for m in keys],
            "In no ward": [c.unassigned[m] for m in keys],
            "Area total": [c.totals[m] for m in keys],
        })  # fmt: skip
        note = ("Ward figures count police.uk records, the only source that places every crime "
                "on a map. " + " ".join(MS.definition_note(hotspots.REGISTRY_IDS[m])
                                        for m in keys if m != "all_crime"))  # fmt: skip
        out = [Section("totals", table=table, caption=f"Crimes and ASB incidents, {self.current.name}",
                       formats={"In wards": "int", "In no ward": "int", "Area total": "int"},
                       note=note)]  # fmt: skip
        if self.sac_note:
            out.append(Section("sac_note", sentences=[self.sac_note]))
        return out

    def population_note(self) -> Section:
        """Where the residents behind every rate come from (or that only counts are mapped)."""
        if not self.has_population:
            s = ["No ward population is available, so only counts are mapped."]
        else:
            pop_year = self.cfg.source_options("ward_population").get("year")
            s = [f"Rates per 1,000 residents use the {f'mid-{pop_year} ' if pop_year else ''}resident "
                 f"population of each ward from the area's ward population estimates "
                 f"({narrative.fmt_int(self.wards['population'].sum())} residents in the "
                 f"{int(self.wards['population'].notna().sum())} wards with a figure)"
                 + ("." if pop_year else "; the estimates do not state their year.")]  # fmt: skip
        return Section("population", sentences=[*s, self.published.note])

    def change_summary(self) -> Section:
        """Wards up/down and significant rises/falls per measure (or why there is no change)."""
        if self.lfl is None:
            return Section("change_summary", sentences=[
                f"The data hold none of the months of the comparison period "
                f"({self.comparison.name}), so change by ward cannot be shown."])  # fmt: skip
        ch, keys = self.changes, self.keys
        summary = pd.DataFrame({
            "Measure": [self.measures[k_].label for k_ in keys],
            "Current": [int(ch[k_]["current"].sum()) for k_ in keys],
            "Previous": [int(ch[k_]["previous"].sum()) for k_ in keys],
            "Wards up": [int((ch[k_]["direction"] == "up").sum()) for k_ in keys],
            "Wards down": [int((ch[k_]["direction"] == "down").sum()) for k_ in keys],
            "Significant rises": [int((ch[k_]["significant"] & (ch[k_]["change"] > 0)).sum()) for k_ in keys],
            "Significant falls": [int((ch[k_]["significant"] & (ch[k_]["change"] < 0)).sum()) for k_ in keys],
        })  # fmt: skip
        note = (f"Counts in wards only. Significant = false discovery rate {self.fdr_alpha:.0%} "
                "across wards (conditional binomial test)."
                + (f" {self.lfl.note()}" if self.lfl.note() else ""))  # fmt: skip
        return Section("change_summary", table=summary, note=note,
                       caption=f"Change by ward, {self.current.short} against {self.comparison.short}",
                       formats={c: "int" for c in summary.columns if c != "Measure"})  # fmt: skip

    def change_details(self, key: str) -> Section:
        """One measure's change sentence and its wards that rose or changed significantly."""
        m, hl = self.measures[key], self.change_highlights[key]
        sentence = f"**{m.label}.** {self.change_sentences[key]}"
        what = "of ward changes kept with this report"
        if not hl.eligible:
            return Section(
                f"change_{key}",
                sentences=[sentence, hl.note(self.fdr_alpha, len(self.wards), what)],
            )
        return Section(
            f"change_{key}", sentences=[sentence], table=hl.table, formats=HIGHLIGHT_FORMATS,
            caption=f"{m.label}: wards that rose or changed significantly, {self.change_text}",
            suppressed=hl.mask,
            note=hl.note(self.fdr_alpha, len(self.wards), what) + " " + self.published_changes[key].note,
        )  # fmt: skip

    def priority(self) -> list[Section]:
        """The top wards of each measure, with rate, share and change (disclosure-masked)."""
        out = []
        for key, t in self.priority_tables.items():
            m = self.measures[key]
            note = (f"Share of the {narrative.fmt_int(self.counts.table[key].sum())} {m.noun} placed "
                    "in a ward. Rate: per 1,000 residents (– where no population is known). "
                    + self.protection.note())  # fmt: skip
            out.append(Section(f"priority_{key}", table=t, formats=PRIORITY_FORMATS, note=note,
                               caption=f"{m.label}: top {len(t)} wards, {self.current.short}",
                               suppressed=self.priority_masks[key]))  # fmt: skip
        return out

    def concentration_table(self) -> Section:
        """Share in the top 10% of wards and the Gini coefficient per measure."""
        empty = [f"**{self.measures[k_].label}:** none recorded in any ward, so no concentration."
                 for k_ in self.empty_measures]  # fmt: skip
        conc = self.concentration
        if conc.empty:
            return Section("concentration", sentences=empty)
        return Section("concentration", sentences=empty, table=conc,
                       caption="Concentration of crime in a few wards",
                       formats={"Wards in top 10%": "int", "Share in top 10% of wards (%)": "pct",
                                "Gini": "rate"},
                       note=f"Top 10% of {len(self.wards)} wards = the {conc['Wards in top 10%'].iloc[0]} "
                            "wards with the most; Gini computed from ward counts.")  # fmt: skip

    @property
    def sentences(self) -> list[str]:
        """The stage's generated sentences, in reading order (saved and summarised)."""
        return [hotspots.unassigned_sentence(self.counts), *self.hotspot_sentences,
                *self.change_sentences.values(), *self.concentration_sentences]  # fmt: skip

    def summary(self) -> Section:
        return Section("summary", sentences=["\n".join(f"- {s}" for s in self.sentences)])

    # ----------------------------------------------------------------- outputs

    def outputs(self) -> dict[str, Any]:
        """Keyword arguments for ``save_stage_outputs`` (tables, figures record, sentences...)."""
        keys, counts, area = self.keys, self.counts, self.area
        tables_out = {"ward_counts_rates": self.published.data}
        for key in self.changes:
            tables_out[f"change_{key}"] = self.published_changes[key].data
        for key, t in self.priority_tables.items():
            tables_out[f"priority_{key}"] = t
        for key, res in self.gi_results.items():
            tables_out[f"gistar_{key}"] = hotspots.published_gi_star(
                res, self.protection.any_hidden(key)
            )
        if self.conc_rows:
            tables_out["concentration"] = self.concentration
        gi, ch, conc = self.gi_results, self.changes, self.conc_rows
        narrowest = self.protection.narrowest()
        figures_out = {
            "wards": len(self.wards),
            "months_current": len(self.cur_months),
            "months_comparison": len(self.cmp_months),
            "months_like_for_like": len(self.lfl.current_months) if self.lfl is not None else 0,
            "disclosure_threshold": self.threshold,
            "fdr_alpha": self.fdr_alpha,
            "scheme": self.scheme,
            "k": self.k,
            "suppressed_cells": int(self.published.primary + self.published.secondary),
            "protection_interval_min": (None if not np.isfinite(narrowest)
                                        else round(float(narrowest), 1)),
            "totals": counts.totals,
            "in_wards": {k_: int(counts.table[k_].sum()) for k_ in keys},
            "unassigned": counts.unassigned,
            "hot_spots": {k_: int((r["spot"] == hotspots.HOT).sum()) for k_, r in gi.items()},
            "cold_spots": {k_: int((r["spot"] == hotspots.COLD).sum()) for k_, r in gi.items()},
            "wards_up": {k_: int((c["direction"] == "up").sum()) for k_, c in ch.items()},
            "wards_up_significant": {k_: int((c["significant"] & (c["change"] > 0)).sum()) for k_, c in ch.items()},
            "wards_down": {k_: int((c["direction"] == "down").sum()) for k_, c in ch.items()},
            "wards_down_significant": {k_: int((c["significant"] & (c["change"] < 0)).sum()) for k_, c in ch.items()},
            "change_wards_listed": {k_: len(hl.table) for k_, hl in self.change_highlights.items()},
            "gini": {r["Measure"]: round(float(r["Gini"]), 2) for r in conc},
            "top10_share_pct": {r["Measure"]: round(float(r["Share in top 10% of wards (%)"]), 1) for r in conc},
        }  # fmt: skip
        # headline numbers keyed for the reconciliation check: area totals are police.uk counts
        # of measures police.uk counts exactly; ward-change sums are counts placed in a ward
        keyed = self.sac_keyed + [
            MS.record(hotspots.REGISTRY_IDS[k_], area, self.cur_months, counts.totals[k_],
                      "crimes and ASB incidents table", source="police_uk")
            for k_ in keys
        ]  # fmt: skip
        for k_, c in ch.items():
            for col, ms in (("current", self.cur_months), ("previous", self.cmp_months)):
                keyed.append(MS.record(hotspots.REGISTRY_IDS[k_], area, ms, int(c[col].sum()),
                                       "change by ward table", statistic="count_in_wards",
                                       source="police_uk"))  # fmt: skip
        glance = {"Wards": str(len(self.wards))}
        if "all_crime" in gi:
            glance["All-crime hot spots (Gi*, FDR)"] = str(figures_out["hot_spots"]["all_crime"])
        if "All crime" in figures_out["top10_share_pct"]:
            glance["All crime in the top 10% of wards"] = narrative.fmt_pct(
                figures_out["top10_share_pct"]["All crime"]
            )
        sentences = self.sentences
        headlines = [s for s in sentences if s.startswith("All crime")][:3] or sentences[:3]
        return {"tables": tables_out, "figures": figures_out, "sentences": sentences,
                "headlines": headlines, "glance": glance, "measures": keyed}  # fmt: skip


def locality_groups(cfg, data) -> list[list[str]]:
    """The ward codes of each locality the area config names (their totals are published by
    stage 02, so disclosure control treats each as a known sum of ward cells). Localities made
    of LSOAs do not nest exactly in wards and add no constraint on ward cells."""
    if not getattr(cfg, "localities", None):
        return []
    from helpers.stages import localities as LOC

    needs_lookup = any("districts" in s or "lsoas" in s for s in cfg.localities)
    lookup = LOC.read_lookup(cfg) if needs_lookup else None
    wards, lsoas = LOC.area_units(data, cfg, lookup)
    plan = LOC.resolve_localities(cfg, wards, lookup, lsoas)
    if plan is None or plan.kind != "ward":
        return []
    return [sorted(codes) for codes in plan.members.values()]


def build(
    cfg,
    area: str,
    period: str,
    comparison_months: int = 12,
    fdr_alpha: float = 0.05,
    disclosure_threshold: int = -1,
    top_n: int = 10,
    scheme: str = "NaturalBreaks",
    k: int = 5,
) -> WardStage:
    """Compute stage 04 for ``cfg`` (an AreaConfig) and ``period``; parameters as the notebook's
    (already checked by ``validate_parameters``). ``disclosure_threshold`` -1 = the config's."""
    from helpers.core.periods import ReportingPeriod, compare_coverage
    from helpers.ingest.processed import load_processed

    threshold = (
        cfg.disclosure_threshold if int(disclosure_threshold) == -1 else int(disclosure_threshold)
    )
    current = ReportingPeriod(period)
    comparison = current.shifted(comparison_months, label="comparison")
    data = load_processed(area, period)
    wards, ward_check = hotspots.check_wards(data.wards, crs=cfg.crs)
    street = data.street
    available = hotspots.months_present(street["month"])
    coverage = compare_coverage(available, current, comparison)
    cur_months = [m for m in current.month_list if m in available]
    counts = hotspots.count_by_ward(street, wards, months=cur_months)
    # change by ward: like-for-like months only (change, % and test all on the same months)
    lfl = hotspots.like_for_like_counts(street, wards, current, comparison, crs=cfg.crs)
    keys = list(hotspots.MEASURES)
    # disclosure control for every ward table of this stage at once, audited by linear programming
    protection = disclosure.protect(
        counts.table, keys, threshold,
        lfl_current=lfl.current.table if lfl is not None else None,
        previous=lfl.previous.table if lfl is not None else None,
        groups=locality_groups(cfg, data),
    )  # fmt: skip
    st = WardStage(
        cfg=cfg, area=area, period=period, current=current, comparison=comparison,
        fdr_alpha=fdr_alpha, threshold=threshold, scheme=scheme, k=k, top_n=top_n, data=data,
        wards=wards, ward_check=ward_check, coverage=coverage, cur_months=cur_months,
        counts=counts, lfl=lfl, protection=protection,
        published=hotspots.published_ward_table(counts, threshold, protection), keys=keys,
    )  # fmt: skip
    _sac_note(st)
    _gi(st)
    _changes(st)
    _priority(st)
    _concentration(st)
    return st


def _sac_note(st: WardStage) -> None:
    """police.uk cannot count serious acquisitive crime: say how far its nearest categories are
    from the figure the crime-group section prints (the force extract's), rather than print a
    second SAC."""
    ex = st.data.extract
    if ex is None or not len(ex) or "sac" not in st.keys:
        return
    in_cur = hotspots.month_text(ex["month"]).isin(st.cur_months)
    n_sac = int((MS.extract_mask(ex, "sac") & in_cur).sum())
    n_pu = int(st.counts.totals["sac"])
    if not n_sac:
        return
    st.sac_note = (
        f"{MS.name('sac_police_uk')} ({narrative.fmt_int(n_pu)} in {st.current.name}) is the "
        "nearest police.uk comes to serious acquisitive crime, which the force's offence "
        f"extract counts as {narrative.fmt_int(n_sac)}: police.uk's categories hold "
        f"{narrative.fmt_int(abs(n_pu - n_sac))} ({narrative.fmt_pct(abs(n_pu - n_sac) / n_sac * 100)}) "
        f"{'more' if n_pu >= n_sac else 'fewer'}, because they also count business burglary "
        "and interfering with a vehicle."
    )  # fmt: skip
    st.sac_keyed.append(MS.record("sac", st.area, st.cur_months, n_sac, "ward section note",
                                  source="force_extract"))  # fmt: skip


def _gi(st: WardStage) -> None:
    for key in st.keys:
        m = hotspots.MEASURES[key]
        try:
            res = hotspots.gi_star(st.wards, st.counts.table[key], fdr_alpha=st.fdr_alpha)
        except GeographyError as exc:
            st.gi_errors[key] = f"**{m.label}:** hot spots cannot be computed. {exc.what}"
            continue
        st.gi_results[key] = res
        st.hotspot_sentences.append(hotspots.hotspot_sentence(res, m.label, st.fdr_alpha))


def _changes(st: WardStage) -> None:
    if st.lfl is None:
        return
    for key in st.keys:
        m = hotspots.MEASURES[key]
        ch = hotspots.ward_change(
            st.lfl.current.table, st.lfl.previous.table, key, alpha=st.fdr_alpha
        )
        st.changes[key] = ch
        st.published_changes[key] = hotspots.published_change_table(
            ch, st.threshold, st.protection, key
        )
        st.change_sentences[key] = hotspots.change_sentence(ch, m.label, m.noun)
        st.change_highlights[key] = hotspots.change_highlights(
            st.published_changes[key], max_rows=8
        )


def _priority(st: WardStage) -> None:
    codes = pd.Index(st.protection.ward_codes)
    for key in st.keys:
        t = hotspots.priority_table(st.counts, key, st.changes.get(key), top_n=st.top_n)
        # disclosure: the stage's audited masks (count with its rate and share; change with its %)
        pos = codes.get_indexer(t.attrs["ward_code"])
        hide_count = st.protection.ward[key].to_numpy(dtype=bool)[pos]
        hide_change = hide_count | st.protection.change[key].to_numpy(dtype=bool)[pos]
        data_t = t.copy()
        mask_t = pd.DataFrame(False, index=t.index, columns=t.columns)
        for c in ("Count", "Rate per 1,000", "Share of area total (%)", "Change", "Change (%)"):
            if c in t:
                mask_t[c] = hide_change if c.startswith("Change") else hide_count
                data_t[c] = data_t[c].astype(float).where(~mask_t[c])
        st.priority_tables[key] = data_t
        st.priority_masks[key] = mask_t


def _concentration(st: WardStage) -> None:
    for key in st.keys:
        m = hotspots.MEASURES[key]
        vals = st.counts.table[key].to_numpy()
        if vals.sum() == 0:
            st.empty_measures.append(key)
            continue
        k_top, share = hotspots.top_share(vals, 0.10)
        g = hotspots.gini(vals)
        st.curves[m.label], st.ginis[m.label] = hotspots.lorenz_curve(vals), g
        # published as printed (1 and 2 decimals): more digits would add equations on hidden counts
        st.conc_rows.append({"Measure": m.label, "Wards in top 10%": k_top,
                             "Share in top 10% of wards (%)": round(share, 1), "Gini": round(g, 2)})  # fmt: skip
        st.concentration_sentences.append(
            hotspots.concentration_sentence(vals, st.counts.table["ward_name"], m.label)
        )
