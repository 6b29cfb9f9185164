# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Where crime happens: ward maps, hot spots and priority wards
#
# This section shows where in the area crime and anti-social behaviour (ASB) were recorded, ward
# by ward: how many, how many per 1,000 residents, which wards form statistically significant
# **hot spots** (and cold spots), which wards changed against the comparison period, and how
# concentrated crime is in a few wards. Partners use it to decide where to put patrols, wardens,
# target hardening and neighbourhood working groups.
#
# **Disclosure control.** Ward counts below a threshold are never published: they are shown as
# `*` in tables and hatched on maps, so that no victim can be identified.

# %% tags=["parameters"]
area: str = "wexley"  # area config name in config/
config: str = ""  # path to the area config YAML the run uses; empty: config/<area>.yaml
period: str = "2022-03"  # last month of the 12-month reporting period (YYYY-MM)
comparison_months: int = 12  # compare with the same-length period this many months earlier
# fmt: off
scheme: str = "NaturalBreaks"  # one of: NaturalBreaks | Quantiles | FisherJenks | EqualInterval
k: int = 5  # number of map classes (2 to 9)
fdr_alpha: float = 0.05  # false discovery rate for hot spots and ward changes, e.g. 0.05
disclosure_threshold: int = -1  # hide ward counts below this; -1: area config (-1 to 1000)
# fmt: on
top_n: int = 10  # wards in each priority table
density: bool = True  # draw a kernel density surface of all crime points

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from helpers.core import narrative
from helpers.core.config import run_config
from helpers.core.errors import GeographyError, ParameterError
from helpers.core.periods import ReportingPeriod, compare_coverage, parse_month
from helpers.ingest.processed import load_processed, save_stage_outputs
from helpers.present import charts, maps
from helpers.present.tables import show_table
from helpers.stages import disclosure, hotspots
from helpers.stages import measures as MS

parse_month(period, "period")
if not isinstance(comparison_months, int) or not 1 <= comparison_months <= 60:
    raise ParameterError(f"comparison_months = {comparison_months!r} is not allowed.",
                         "Use a whole number of months from 1 to 60 (12 = a year earlier).")  # fmt: skip
maps.check_scheme(scheme, k)
if not 0 < fdr_alpha <= 0.2:
    raise ParameterError(
        f"fdr_alpha = {fdr_alpha!r} is not allowed.", "Use 0.05 (95%) or 0.01 (99%)."
    )
if not isinstance(top_n, int) or top_n < 1:
    raise ParameterError(f"top_n = {top_n!r} must be a whole number of at least 1.", "Use e.g. 10.")
cfg = run_config(area, config)
threshold = (
    cfg.disclosure_threshold if int(disclosure_threshold) == -1 else int(disclosure_threshold)
)
if threshold < 0:
    raise ParameterError(
        f"disclosure_threshold = {threshold} is negative.", "Use e.g. 5, or -1 for the area config."
    )
current = ReportingPeriod(period)
comparison = current.shifted(comparison_months, label="comparison")
confidence = f"{(1 - fdr_alpha) * 100:g}%"
charts.setup_notebook()

data = load_processed(area, period)
wards, ward_check = hotspots.check_wards(data.wards, crs=cfg.crs)
street = data.street
available = sorted(set(street["month"].astype(str)))
coverage = compare_coverage(available, current, comparison)
cur_months = [m for m in current.month_list if m in available]
counts = hotspots.count_by_ward(street, wards, months=cur_months)
# change by ward: like-for-like months only (change, % and test all on the same months)
lfl = hotspots.like_for_like_counts(street, wards, current, comparison, crs=cfg.crs)
previous = lfl.previous if lfl is not None else None
cmp_months = lfl.previous_months if lfl is not None else []
MEASURES = hotspots.MEASURES
keys = list(MEASURES)

display(Markdown(f"{narrative.area_title(cfg.name, cfg.area_kind)} — reporting period "
                 f"**{current.name}**, compared with "
                 f"**{comparison.name}**. {len(wards)} wards."))  # fmt: skip
if cfg.synthetic:
    display(Markdown("> **Synthetic data.** This report is made from the embedded synthetic "
                     "sample, not real crime records. Its maps illustrate the method only."))  # fmt: skip

# %% [markdown]
# ## The data behind the maps
#
# Crimes and ASB incidents come from police.uk street-level data. police.uk does not publish an
# exact address: each record is moved ("snapped") to the nearest of a fixed set of map points,
# usually the middle of a street or a public place. A crime near a ward boundary can therefore be
# counted in the neighbouring ward, so small differences between adjacent wards mean little.

# %%
notes = [hotspots.unassigned_sentence(counts)]
method_counts = street.loc[
    street["month"].astype(str).isin(cur_months), "ward_method"
].value_counts()
if method_counts.get("lsoa-lookup", 0):
    notes.append(f"{narrative.fmt_int(method_counts['lsoa-lookup'])} records had no usable map point and "
                 "were placed in a ward through their LSOA (best-fit lookup).")  # fmt: skip
notes += ward_check.notes()
if coverage.message():
    notes.append(coverage.message())
notes.append(f"Disclosure control: counts below {threshold} are suppressed in every table and map.")
display(Markdown("\n".join(f"- {n}" for n in notes)))

# %%
totals = pd.DataFrame({
    "Measure": [MEASURES[m].label for m in keys],
    "In wards": [int(counts.table[m].sum()) for m in keys],
    "In no ward": [counts.unassigned[m] for m in keys],
    "Area total": [counts.totals[m] for m in keys],
})  # fmt: skip
show_table(totals, caption=f"Crimes and ASB incidents, {current.name}",
           formats={"In wards": "int", "In no ward": "int", "Area total": "int"},
           note="Ward figures count police.uk records, the only source that places every crime "
                "on a map. " + " ".join(MS.definition_note(hotspots.REGISTRY_IDS[m])
                                        for m in keys if m != "all_crime"))  # fmt: skip
# police.uk cannot count serious acquisitive crime: say how far its nearest categories are from
# the figure the crime-group section prints (the force extract's), rather than print a second SAC
sac_note, sac_keyed = "", []
if data.extract is not None and len(data.extract) and "sac" in keys:
    in_cur = data.extract["month"].astype(str).isin(cur_months)
    n_sac = int((MS.extract_mask(data.extract, "sac") & in_cur).sum())
    n_pu = int(counts.totals["sac"])
    if n_sac:
        sac_note = (
            f"{MS.name('sac_police_uk')} ({narrative.fmt_int(n_pu)} in {current.name}) is the "
            "nearest police.uk comes to serious acquisitive crime, which the force's offence "
            f"extract counts as {narrative.fmt_int(n_sac)}: police.uk's categories hold "
            f"{narrative.fmt_int(abs(n_pu - n_sac))} ({narrative.fmt_pct(abs(n_pu - n_sac) / n_sac * 100)}) "
            f"{'more' if n_pu >= n_sac else 'fewer'}, because they also count business burglary "
            "and interfering with a vehicle."
        )  # fmt: skip
        sac_keyed.append(MS.record("sac", area, cur_months, n_sac, "ward section note",
                                   source="force_extract"))  # fmt: skip
        display(Markdown(sac_note))

# %% [markdown]
# ## Ward maps: counts and rates per 1,000 residents
#
# Each measure is mapped twice: the **number** recorded in each ward, and the **rate per 1,000
# residents**. Rates let wards of different sizes be compared, but they use the *resident*
# population: wards with a town centre, a shopping park or a night-time economy have many
# visitors and few residents, so their rates look far higher than the risk to a resident. Colours
# are grouped into classes by the method named in each legend (mapclassify); a different method
# or number of classes would draw the lines elsewhere. Hatched wards have a count below the
# disclosure threshold.

# %%
# disclosure control for every ward table of this stage at once, audited by linear programming
protection = disclosure.protect(
    counts.table, keys, threshold,
    lfl_current=lfl.current.table if lfl is not None else None,
    previous=lfl.previous.table if lfl is not None else None,
)  # fmt: skip
published = hotspots.published_ward_table(counts, threshold, protection)
map_wards = maps.for_display(wards)  # outlines simplified for drawing only (counts use wards)
has_population = wards["population"].notna().any()
period_text = current.short
for key in keys:
    m = MEASURES[key]
    fig = maps.choropleth(
        map_wards, published.data[key], title=f"{m.label}: number of {m.noun}, {period_text}",
        legend_title=f"Number of {m.noun}", scheme=scheme, k=k,
        suppressed=published.mask[key], threshold=threshold,
    )  # fmt: skip
    charts.finish(
        fig, alt=f"Map of the {len(wards)} wards shaded by {m.label.lower()}: number of {m.noun}"
    )
    plt.show()
    if has_population:
        fig = maps.choropleth(
            map_wards, published.data[f"{key}_rate"], title=f"{m.label}: {m.noun} per 1,000 residents, {period_text}",
            legend_title="Per 1,000 residents", scheme=scheme, k=k, decimals=1,
            suppressed=published.mask[f"{key}_rate"], threshold=threshold,
            missing_label="No population figure (count mapped above)", cmap="YlOrBr",
        )  # fmt: skip
        top = charts.top_names(published.data[f"{key}_rate"].where(~published.mask[f"{key}_rate"].astype(bool)),
                               counts.table["ward_name"])  # fmt: skip
        charts.finish(fig, alt=f"Map of the wards shaded by {m.label.lower()} per 1,000 residents; "
                               f"highest in {top}")  # fmt: skip
        plt.show()
if not has_population:
    display(Markdown("No ward population is available, so only counts are mapped."))
else:  # the population behind every rate, with its source and year
    pop_year = cfg.source_options("ward_population").get("year")
    display(Markdown(
        f"Rates per 1,000 residents use the {f'mid-{pop_year} ' if pop_year else ''}resident "
        f"population of each ward from the area's ward population estimates "
        f"({narrative.fmt_int(wards['population'].sum())} residents in the "
        f"{int(wards['population'].notna().sum())} wards with a figure)"
        + ("." if pop_year else "; the estimates do not state their year.")
    ))  # fmt: skip
display(Markdown(published.note))

# %% [markdown]
# ## Hot spots and cold spots (Getis-Ord Gi*)
#
# A ward with a high count is not necessarily a *hot spot*: a hot spot is a ward that, **together
# with its neighbours**, has more crime than chance would produce if crime were spread at random
# over the wards. The Getis-Ord Gi\* statistic measures this for every ward (neighbours = wards
# sharing a boundary or corner), and a permutation test gives each ward a p-value. Testing every
# ward at once would throw up about one false "hot spot" in twenty, so the p-values are corrected
# with the Benjamini–Hochberg **false discovery rate**. Wards are coloured only when significant at
# the stated confidence after that correction. Gi\* uses counts, not rates, so it is not inflated
# by small resident populations; it shows where crime clusters, not where residents are most at
# risk. Ward boundaries are arbitrary: other boundaries would give other clusters (the modifiable
# areal unit problem).

# %%
gi_results, hotspot_sentences = {}, []
for key in keys:
    m = MEASURES[key]
    try:
        res = hotspots.gi_star(wards, counts.table[key], fdr_alpha=fdr_alpha)
    except GeographyError as exc:
        display(Markdown(f"**{m.label}:** hot spots cannot be computed. {exc.what}"))
        continue
    gi_results[key] = res
    fig = maps.hotspot_map(map_wards, res["spot"], title=f"{m.label}: hot and cold spots, {period_text}",
                           fdr_alpha=fdr_alpha)  # fmt: skip
    hot_names = list(counts.table["ward_name"][(res["spot"] == hotspots.HOT).to_numpy()])
    charts.finish(fig, alt=f"Map of {m.label.lower()} hot and cold spots: "
                           + (f"hot spots in {narrative.join_names(hot_names)}" if hot_names
                              else "no ward is a hot spot"))  # fmt: skip
    plt.show()
    sentence = hotspots.hotspot_sentence(res, m.label, fdr_alpha)
    hotspot_sentences.append(sentence)
    display(Markdown(sentence))

# %%
if density and counts.totals["all_crime"] >= 3:
    pts = street[
        street["month"].astype(str).isin(cur_months) & hotspots.measure_mask(street, "all_crime")
    ]
    try:
        surface = hotspots.kernel_density(pts["easting"], pts["northing"], wards, cell=100)
        fig = maps.density_map(surface.grid, surface.extent, map_wards,
                               title=f"All crime: density of map points, {period_text}",
                               bandwidth_text=f", spread {narrative.fmt_int(round(surface.bandwidth))} metres")  # fmt: skip
        charts.finish(fig, alt="Smoothed surface of where crimes were recorded, darkest where most")
        plt.show()
        display(Markdown(
            "The surface above smooths the snapped police.uk map points regardless of ward "
            f"boundaries. {surface.method_text()} It shows where points cluster; because "
            "locations are snapped to street points, its peaks sit on streets and public places "
            "rather than on the exact scene of each crime."
        ))  # fmt: skip
    except GeographyError as exc:
        display(Markdown(f"The density surface cannot be drawn: {exc.what}"))

# %% [markdown]
# ## Change by ward
#
# Each ward's count in the current period is compared with the comparison period. Whether a
# change is more than chance is tested with the conditional binomial test for two Poisson counts
# (exact; if both periods had the same underlying rate, the current count would be a binomial
# share of the two counts together), and the p-values are corrected for testing every ward at
# once (Benjamini–Hochberg false discovery rate). Small wards can show large percentage changes
# that are not significant, so a percentage is shown only where both periods have at least 20
# (the small-number rule used throughout this pack); the change in the number is always shown.
# Where a month is missing from the data, both periods are counted over the same calendar months
# only (like for like), and the change, the percentage and the test all use those months.
#
# For each measure a map shades every ward by its percentage change, in seven fixed classes
# centred on no change (blues for falls, reds for rises, near-white within 10% either way), so
# the same colour means the same change on every map. Wards whose change is statistically
# significant are outlined inside their boundary: a **solid line and ▲** for a significant rise,
# a **dashed line and ▼** for a significant fall. Each map is followed by its sentence and a
# short table of the wards that rose or changed significantly; the figures for every ward are
# in the table files saved with this report. A change is suppressed (hatched on the map, `*` in
# the table) where either period's count is below the disclosure threshold.

# %%
changes, change_sentences, published_changes = {}, {}, {}
if previous is None:
    display(Markdown(f"The data hold none of the months of the comparison period "
                     f"({comparison.name}), so change by ward cannot be shown."))  # fmt: skip
else:
    for key in keys:
        ch = hotspots.ward_change(lfl.current.table, previous.table, key, alpha=fdr_alpha)
        changes[key] = ch
        published_changes[key] = hotspots.published_change_table(ch, threshold, protection, key)
        change_sentences[key] = hotspots.change_sentence(
            ch, MEASURES[key].label, MEASURES[key].noun
        )
    summary = pd.DataFrame({
        "Measure": [MEASURES[k_].label for k_ in keys],
        "Current": [int(changes[k_]["current"].sum()) for k_ in keys],
        "Previous": [int(changes[k_]["previous"].sum()) for k_ in keys],
        "Wards up": [int((changes[k_]["direction"] == "up").sum()) for k_ in keys],
        "Wards down": [int((changes[k_]["direction"] == "down").sum()) for k_ in keys],
        "Significant rises": [int((changes[k_]["significant"] & (changes[k_]["change"] > 0)).sum()) for k_ in keys],
        "Significant falls": [int((changes[k_]["significant"] & (changes[k_]["change"] < 0)).sum()) for k_ in keys],
    })  # fmt: skip
    display(show_table(summary, caption=f"Change by ward, {current.short} against {comparison.short}",
                       formats={c: "int" for c in summary.columns if c != "Measure"},
                       note=f"Counts in wards only. Significant = false discovery rate {fdr_alpha:.0%} "
                            "across wards (conditional binomial test)." + (f" {lfl.note()}" if lfl.note() else "")))  # fmt: skip

# %%
change_text = f"{current.short} against {comparison.short}"
change_highlights = {}
for key in changes:
    m = MEASURES[key]
    pc = published_changes[key]
    # align the published change table with the ward boundaries
    d = pc.data.set_index("ward_code").reindex(wards["ward_code"])
    mk = pc.mask.set_index(pc.data["ward_code"]).reindex(wards["ward_code"])
    fig = maps.change_map(
        map_wards, d["pct_change"], d["significant"].fillna(False), d["direction"],
        title=f"{m.label}: change in {m.noun} by ward, {change_text}",
        legend_title=f"Change in the number of {m.noun}", suppressed=mk["change"].fillna(True),
        threshold=threshold, fdr_alpha=fdr_alpha,
        missing_label=f"No percentage: fewer than {hotspots.SMALL_NUMBER} in a period, or none before",
    )  # fmt: skip
    charts.finish(fig, alt=hotspots.change_map_caption(pc, m.label, change_text))
    plt.show()
    display(Markdown(f"**{m.label}.** {change_sentences[key]}"))
    hl = hotspots.change_highlights(pc, max_rows=8)
    change_highlights[key] = hl
    if hl.eligible:
        display(show_table(
            hl.table, caption=f"{m.label}: wards that rose or changed significantly, {change_text}",
            formats={"Ward": "text", "Now": "int", "Change": "signed_int",
                     "Change (%)": "signed_pct", "Significant": "text"},
            suppressed=hl.mask,
            note=hl.note(fdr_alpha, len(wards), "of ward changes kept with this report")
                 + " " + pc.note,
        ))  # fmt: skip
    else:
        display(Markdown(hl.note(fdr_alpha, len(wards), "of ward changes kept with this report")))

# %% [markdown]
# ## Priority wards
#
# The wards with the most recorded crime of each type, with their rate per 1,000 residents, their
# share of the area's total (crime placed in a ward) and the change against the comparison period.
# A high count in a town-centre ward reflects footfall as well as risk to residents.

# %%
priority_tables = {}
for key in keys:
    m = MEASURES[key]
    t = hotspots.priority_table(counts, key, changes.get(key), top_n=top_n)
    # disclosure: the stage's audited masks (count with its rate and share; change with its %)
    pos = pd.Index(protection.ward_codes).get_indexer(t.attrs["ward_code"])
    hide_count = protection.ward[key].to_numpy(dtype=bool)[pos]
    hide_change = hide_count | protection.change[key].to_numpy(dtype=bool)[pos]
    data_t = t.copy()
    mask_t = pd.DataFrame(False, index=t.index, columns=t.columns)
    for c in ("Count", "Rate per 1,000", "Share of area total (%)", "Change", "Change (%)"):
        if c in t:
            mask_t[c] = hide_change if c.startswith("Change") else hide_count
            data_t[c] = data_t[c].astype(float).where(~mask_t[c])
    priority_tables[key] = data_t
    display(show_table(
        data_t, caption=f"{m.label}: top {len(t)} wards, {current.short}",
        formats={"Rank": "int", "Ward": "text", "Count": "int", "Rate per 1,000": "rate",
                 "Share of area total (%)": "pct", "Change": "signed_int", "Change (%)": "signed_pct"},
        suppressed=mask_t,
        note=(f"Share of the {narrative.fmt_int(counts.table[key].sum())} {m.noun} placed in a ward. "
              "Rate: per 1,000 residents (– where no population is known). " + protection.note()),
    ))  # fmt: skip

# %% [markdown]
# ## How concentrated is crime?
#
# If crime were spread evenly, the top 10% of wards would hold 10% of it. The Lorenz curve plots
# the share of crime against the share of wards (fewest first); the further it bows below the
# diagonal, the more concentrated crime is. The Gini coefficient sums this up: 0 is an even spread,
# 1 would be everything in one ward. Concentration is measured on counts, so large wards and
# wards with a town centre push it up.

# %%
conc_rows, curves, ginis, concentration_sentences = [], {}, {}, []
for key in keys:
    m = MEASURES[key]
    vals = counts.table[key].to_numpy()
    if vals.sum() == 0:
        display(Markdown(f"**{m.label}:** none recorded in any ward, so no concentration."))
        continue
    k_top, share = hotspots.top_share(vals, 0.10)
    g = hotspots.gini(vals)
    curves[m.label], ginis[m.label] = hotspots.lorenz_curve(vals), g
    # published as printed (1 and 2 decimals): more digits would add equations on hidden counts
    conc_rows.append({"Measure": m.label, "Wards in top 10%": k_top,
                      "Share in top 10% of wards (%)": round(share, 1), "Gini": round(g, 2)})  # fmt: skip
    concentration_sentences.append(
        hotspots.concentration_sentence(vals, counts.table["ward_name"], m.label)
    )
concentration = pd.DataFrame(conc_rows)
if not concentration.empty:
    display(show_table(concentration, caption="Concentration of crime in a few wards",
                       formats={"Wards in top 10%": "int", "Share in top 10% of wards (%)": "pct",
                                "Gini": "rate"},
                       note=f"Top 10% of {len(wards)} wards = the {concentration['Wards in top 10%'].iloc[0]} "
                            "wards with the most; Gini computed from ward counts."))  # fmt: skip
    fig = maps.lorenz_chart(curves, ginis)
    charts.finish(
        fig, alt="Lorenz curves of crime by ward for each measure against the line of equality"
    )
    plt.show()
    display(Markdown("\n".join(f"- {s}" for s in concentration_sentences)))

# %% [markdown]
# ## Summary

# %%
sentences = [hotspots.unassigned_sentence(counts), *hotspot_sentences, *change_sentences.values(),
             *concentration_sentences]  # fmt: skip
display(Markdown("\n".join(f"- {s}" for s in sentences)))

# %% [markdown]
# ## Method and caveats
#
# - **Locations are approximate.** police.uk snaps every location to a nearby map point to protect
#   privacy; ward counts near boundaries are approximate, and the exact place of a crime is
#   never shown.
# - **Rates use residents.** Town-centre and retail wards have many visitors and few residents,
#   which inflates their rates per 1,000.
# - **Boundaries matter.** Hot spots and concentration depend on the ward boundaries used (the
#   modifiable areal unit problem); a different geography could give a different picture.
# - **Many wards, many tests.** Hot spots and changes are corrected with the Benjamini–Hochberg
#   false discovery rate, so at most about 5% of the wards flagged are expected to be false alarms.
# - **Disclosure control.** Counts below the threshold are suppressed, with any rate, share,
#   change or test result that would reveal them, and further cells are suppressed until, from
#   everything this report publishes, no hidden count could be narrowed to fewer values than the
#   threshold. Where counts are suppressed, hot spots are shown as classes only.

# %%
tables_out = {"ward_counts_rates": published.data}
for key in changes:
    tables_out[f"change_{key}"] = published_changes[key].data
for key, t in priority_tables.items():
    tables_out[f"priority_{key}"] = t
for key, res in gi_results.items():
    tables_out[f"gistar_{key}"] = hotspots.published_gi_star(res, protection.any_hidden(key))
if not concentration.empty:
    tables_out["concentration"] = concentration
figures_out = {
    "wards": len(wards),
    "months_current": len(cur_months),
    "months_comparison": len(cmp_months),
    "months_like_for_like": len(lfl.current_months) if lfl is not None else 0,
    "disclosure_threshold": threshold,
    "fdr_alpha": fdr_alpha,
    "scheme": scheme,
    "k": k,
    "suppressed_cells": int(published.primary + published.secondary),
    "protection_interval_min": (None if not np.isfinite(protection.narrowest())
                                else round(float(protection.narrowest()), 1)),
    "totals": counts.totals,
    "in_wards": {k_: int(counts.table[k_].sum()) for k_ in keys},
    "unassigned": counts.unassigned,
    "hot_spots": {k_: int((r["spot"] == hotspots.HOT).sum()) for k_, r in gi_results.items()},
    "cold_spots": {k_: int((r["spot"] == hotspots.COLD).sum()) for k_, r in gi_results.items()},
    "wards_up": {k_: int((c["direction"] == "up").sum()) for k_, c in changes.items()},
    "wards_up_significant": {k_: int((c["significant"] & (c["change"] > 0)).sum()) for k_, c in changes.items()},
    "wards_down": {k_: int((c["direction"] == "down").sum()) for k_, c in changes.items()},
    "wards_down_significant": {k_: int((c["significant"] & (c["change"] < 0)).sum()) for k_, c in changes.items()},
    "change_wards_listed": {k_: len(hl.table) for k_, hl in change_highlights.items()},
    "gini": {r["Measure"]: round(float(r["Gini"]), 2) for r in conc_rows},
    "top10_share_pct": {r["Measure"]: round(float(r["Share in top 10% of wards (%)"]), 1) for r in conc_rows},
}  # fmt: skip
# headline numbers keyed for the reconciliation check: area totals are police.uk counts of
# measures police.uk counts exactly; ward-change sums are counts placed in a ward
keyed = sac_keyed + [
    MS.record(
        hotspots.REGISTRY_IDS[k_],
        area,
        cur_months,
        counts.totals[k_],
        "crimes and ASB incidents table",
        source="police_uk",
    )
    for k_ in keys
]
for k_, ch in changes.items():
    for col, ms in (("current", cur_months), ("previous", cmp_months)):
        keyed.append(
            MS.record(
                hotspots.REGISTRY_IDS[k_],
                area,
                ms,
                int(ch[col].sum()),
                "change by ward table",
                statistic="count_in_wards",
                source="police_uk",
            )
        )
glance = {"Wards": str(len(wards))}
if "all_crime" in gi_results:
    glance["All-crime hot spots (Gi*, FDR)"] = str(figures_out["hot_spots"]["all_crime"])
if "All crime" in figures_out["top10_share_pct"]:
    glance["All crime in the top 10% of wards"] = narrative.fmt_pct(
        figures_out["top10_share_pct"]["All crime"]
    )
headlines = [s for s in sentences if s.startswith("All crime")][:3] or sentences[:3]
out_dir = save_stage_outputs(area, period, "04_ward_hotspots", tables=tables_out,
                             figures=figures_out, sentences=sentences,
                             headlines=headlines, glance=glance, measures=keyed)  # fmt: skip
