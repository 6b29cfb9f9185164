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
fdr_alpha: float = 0.05  # false discovery rate for hot spots and ward changes (0.001 to 0.2)
disclosure_threshold: int = -1  # hide ward counts below this; -1: area config (-1 to 1000)
# fmt: on
top_n: int = 10  # wards in each priority table
density: bool = True  # draw a kernel density surface of all crime points

# %%
from helpers.core import paths
from helpers.core.config import run_config
from helpers.ingest.processed import save_stage_outputs
from helpers.present import charts
from helpers.present.sections import show_all
from helpers.present.ward_sections import WardMaps
from helpers.run.parameters import validate_parameters
from helpers.stages import ward_stage

validate_parameters(paths.notebooks_dir() / "04_ward_hotspots.ipynb", dict(
    area=area, config=config, period=period, comparison_months=comparison_months, scheme=scheme,
    k=k, fdr_alpha=fdr_alpha, disclosure_threshold=disclosure_threshold, top_n=top_n,
    density=density))  # fmt: skip
stage = ward_stage.build(
    run_config(area, config), area, period, comparison_months=comparison_months,
    fdr_alpha=fdr_alpha, disclosure_threshold=disclosure_threshold, top_n=top_n, scheme=scheme, k=k,
)  # fmt: skip
figures = WardMaps(stage)
charts.setup_notebook()
show_all(stage.intro())

# %% [markdown]
# ## The data behind the maps
#
# Crimes and ASB incidents come from police.uk street-level data. police.uk does not publish an
# exact address: each record is moved ("snapped") to the nearest of a fixed set of map points,
# usually the middle of a street or a public place. A crime near a ward boundary can therefore be
# counted in the neighbouring ward, so small differences between adjacent wards mean little.

# %%
show_all(stage.data_notes(), stage.totals())

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
show_all(figures.count_maps(), stage.population_note())

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
show_all(figures.hotspot_maps())

# %%
show_all(figures.density(density))

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
show_all(stage.change_summary())

# %%
show_all(figures.change_maps())

# %% [markdown]
# ## Priority wards
#
# The wards with the most recorded crime of each type, with their rate per 1,000 residents, their
# share of the area's total (crime placed in a ward) and the change against the comparison period.
# A high count in a town-centre ward reflects footfall as well as risk to residents.

# %%
show_all(stage.priority())

# %% [markdown]
# ## How concentrated is crime?
#
# If crime were spread evenly, the top 10% of wards would hold 10% of it. The Lorenz curve plots
# the share of crime against the share of wards (fewest first); the further it bows below the
# diagonal, the more concentrated crime is. The Gini coefficient sums this up: 0 is an even spread,
# 1 would be everything in one ward. Concentration is measured on counts, so large wards and
# wards with a town centre push it up.

# %%
show_all(figures.concentration())

# %% [markdown]
# ## Summary

# %%
show_all(stage.summary())

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
out_dir = save_stage_outputs(area, period, ward_stage.STAGE, **stage.outputs())
