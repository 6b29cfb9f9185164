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
# # How crime has changed, and how we compare with similar areas
#
# This section answers three questions a scrutiny panel asks first. **How did recorded crime
# move** over the last 12 months, crime group by crime group? **Which of those changes are real**,
# rather than the ordinary ups and downs of counts from one year to the next? And **how does the
# area compare with its Most Similar Group** of Community Safety Partnerships, the comparison the
# Home Office iQuanta system makes?
#
# Every number and sentence below is calculated from the data; none is typed by hand. The method
# notes beside each table say how.

# %% tags=["parameters"]
area: str = "wexley"  # area config name in config/ (or a path to a config YAML)
config: str = ""  # path to the area config YAML the run uses; empty: config/<area>.yaml
period: str = "2022-03"  # last month of the 12-month reporting period (YYYY-MM)
comparison_months: int = 12  # months in each of the two compared periods (1 to 24)
baseline: str = "pre-COVID (year to Dec 2019)"  # baseline name from the config, or YYYY-MM
source: str = "auto"  # auto | extract | police_uk (auto: the extract if present)
alpha: float = 0.05  # significance level for "is the change real?" (two-sided; between 0 and 1)
test_method: str = "quasi_poisson"  # quasi_poisson (allows for extra variation) | exact | z
p_adjust: str = "fdr_bh"  # fdr_bh (Benjamini-Hochberg) | holm | none: for testing many rows
min_count: int = 20  # below this count in a period (at least 1), show the change as a count
limit_method: str = "funnel_overdispersed"  # funnel_overdispersed | funnel | mean_sd
funnel_inner: float = 0.95  # inner funnel limit (probability)
funnel_outer: float = 0.998  # outer funnel limit (probability), above the inner one
limit_k: float = 1.0  # mean_sd only: inner limits at the average plus or minus k SDs (0.1 to 5)
limit_k_outer: float = 2.0  # mean_sd only: outer limits, k SDs, above limit_k (0.1 to 10)
msg_average: str = "mean"  # mean (of member rates, as iQuanta) | pooled (group rate)
overdispersion_model: str = "additive"  # additive | multiplicative (overdispersed funnel)
funnel_crime_type: str = "All crime"  # crime type drawn in the funnel plot

# %%
from helpers.core import paths
from helpers.present import charts
from helpers.present import variance_figures as VF
from helpers.present.localities import small_multiples
from helpers.present.sections import show
from helpers.run.parameters import validate_parameters
from helpers.stages import msg_report as MR
from helpers.stages import variance_report as R

# the parameters cell is the one specification: batch validation and this run refuse alike
params = dict(
    area=area,
    config=config,
    period=period,
    comparison_months=comparison_months,
    baseline=baseline,
    source=source,
    alpha=alpha,
    test_method=test_method,
    p_adjust=p_adjust,
    min_count=min_count,
    limit_method=limit_method,
    funnel_inner=funnel_inner,
    funnel_outer=funnel_outer,
    limit_k=limit_k,
    limit_k_outer=limit_k_outer,
    msg_average=msg_average,
    overdispersion_model=overdispersion_model,
    funnel_crime_type=funnel_crime_type,
)
run = R.prepare(**validate_parameters(paths.notebooks_dir() / f"{R.STAGE}.ipynb", params))
charts.setup_notebook()
sections = [show(R.context_section(run))]

# %% [markdown]
# ## Where the figures come from
#
# Which records the counts are taken from, and whether every month of both periods is in the
# data. When a month is missing from either year, both years are cut to the months both hold,
# so the comparison stays like-for-like.

# %%
sections.append(show(R.sources_section(run)))

# %% [markdown]
# ## How crime changed, and which changes are real
#
# The table lists all crime, each crime group with its subgroups indented beneath it, the
# composite measures and anti-social behaviour. For each row it gives the count in both
# periods, the change, and whether the change is larger than the ordinary ups and downs of
# crime counts would produce ("Is the change real?"). The note under the table says how each
# change was tested.

# %%
sections.append(show(R.variance_section(run)))

# %% [markdown]
# ## Volumes by crime group: this year, last year and the baseline
#
# The chart puts this year's count for each crime group beside last year's and beside a baseline
# year chosen before the pandemic changed patterns of crime, so a fall since 2020 can be read
# against where numbers stood before.

# %%
sections.append(show(R.volumes_section(run, chart=VF.volume_bars)))

# %% [markdown]
# ## Against last year and the baseline
#
# ### Every headline measure
#
# Each headline measure is set beside the same months a year earlier and beside the baseline.
# Where a compared year falls in an exceptional period, such as the COVID-19 lockdowns, the
# sentence says so: a change against an unusual year says little about normal times.

# %%
sections.append(show(R.headline_section(run)))

# %% [markdown]
# ### Serious acquisitive crime and neighbourhood crime against the baseline
#
# The two measures the Home Office tracks most closely, this period against the baseline year,
# over the same calendar months, with the same test as the table above.

# %%
sections.append(show(R.baseline_section(run)))

# %% [markdown]
# ## Positive outcomes
#
# The share of crimes recorded on police.uk that have reached a positive outcome, such as a
# charge or a caution, for this period and the one before.

# %%
sections.append(show(R.outcomes_section(run)))

# %% [markdown]
# ## Comparison with our Most Similar Group
#
# The Home Office places each Community Safety Partnership in a group of partnerships with
# similar characteristics so that their crime rates can be compared fairly: its **Most Similar
# Group**. The table shows, for thirteen crime types and all crime, our rate per 1,000 residents,
# the group average, whether we are within the normal range for a partnership of our size, or
# above or below it (the **Current Position**), how far we are from the average and whether that
# distance has got significantly better (▼) or worse (▲) since the last year-end, and our
# **rank** in the group (1 = the lowest crime rate).

# %%
sections.append(show(MR.msg_section(run)))

# %% [markdown]
# ### Funnel plot
#
# Each dot is one partnership in the group: its population across, its crime rate up. The lines
# show the range expected around the group average for an area of that size; small areas have
# wider ranges because their rates move more by chance. A dot outside the lines is unusually high
# or low.

# %%
sections.append(show(MR.funnel_section(run, chart=VF.funnel_chart)))

# %% [markdown]
# ## Method and caveats
#
# - **Is a change real?** Recorded crime varies more from month to month than a count of
#   independent events would (repeat victims, series offences, recording drives). So each row's
#   change is tested against the variation in its own monthly counts: each calendar month is set
#   against the same month a year earlier, the extra variation beyond a simple count is measured
#   from those pairs, and the test is widened by it (a quasi-Poisson test). With around thirty
#   rows tested, some would be flagged by chance alone, so the p-values are adjusted across the
#   table (Benjamini-Hochberg): of the changes called significant, no more than about 5% are
#   expected to be chance.
# - **Missing months.** If police.uk or the extract lacks a month in either year, both years are
#   cut to the calendar months both hold, and the report says so.
# - **Small numbers.** Percentages on small counts mislead; below 20 crimes in either year only
#   the change in number is shown, in tables and in sentences.
# - **Recording changes.** Changes to the Home Office Counting Rules (for example for stalking
#   and harassment in April 2017, April 2018, April 2020 and May 2023) change how many crimes are
#   recorded for the same behaviour; rows whose comparison spans one carry a warning.
# - **Group limits.** The default method is the funnel adjusted for overdispersion. Plain
#   Poisson funnel limits assume that partnerships differ only by chance; real partnerships also
#   differ in ways the Most Similar Group does not remove, so with counts in the thousands plain
#   limits flag almost every partnership as unusual. The adjusted funnel widens the limits by the
#   between-partnership variation actually seen in the group (Spiegelhalter, 2005), while still
#   allowing for population size, which the iQuanta-style "average ± standard deviations" does
#   not. The limits are worked out on the square-root scale, where chance variation is the same
#   size whatever the count, and then turned back into rates, so they are wider above the
#   average than below, as chance variation in a count is, and rarely reach zero for rare crimes
#   (the method of the FunnelPlotR package). The arrows show a change only when our rate moved
#   differently from the group's by more than partnerships usually move from year to year.
#
# References: Spiegelhalter DJ (2005), *Handling over-dispersion of performance indicators*,
# Quality and Safety in Health Care 14:347–51; the FunnelPlotR package; Benjamini Y and
# Hochberg Y (1995), *Controlling the false discovery rate*, Journal of the Royal
# Statistical Society B 57:289–300. The methods appendix gives the full detail.

# %% [markdown]
# ## Localities
#
# When the area's configuration names localities (parts of the area, such as a town and the
# villages around it), each is shown here with the same figures as the whole area: a chart of
# recorded crime by crime group for this year, last year and the baseline, one small panel per
# locality on the same scale, and a table of key figures. How to read it: compare a locality's
# bars with its own earlier years first, then the panels with each other; the localities' counts
# add up to the area's, and any crime that could not be placed in a locality is stated. A
# locality's counts are smaller than the area's, so fewer of its changes are significant.

# %%
sections.extend(show(s) for s in R.locality_sections(run, chart=small_multiples))

# %%
sections.append(show(R.run_section(run)))

# %% [markdown]
# The key tables and figures of this report are kept with it for the panel paper.

# %%
R.save(run, sections)
