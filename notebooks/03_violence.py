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
# # Violence against the person
#
# Violence is the largest and most closely watched category of recorded crime. This section
# explains what it is made of (with injury, without injury, stalking and harassment, homicide,
# and death or serious injury by unlawful driving), how each part moved over the year, how much
# is domestic abuse, where it happens (domestic, town centre, elsewhere), when a sustained change
# in its trend began, and, for town-centre violence, on which days and at what times.
#
# Figures come from the force's offence extract, which carries Home Office offence codes and
# flags. Where only police.uk data is available the section says so and shows only what police.uk
# can show.

# %% tags=["parameters"]
area: str = "wexley"  # area config name in config/ (or a path to a config YAML)
config: str = ""  # path to the area config YAML the run uses; empty: config/<area>.yaml
period: str = "2022-03"  # last month of the reporting period (YYYY-MM)
comparison_months: int = 12  # months in each of the two periods compared (1 to 24)
years_of_location_history: int = 3  # 12-month years in the location-type breakdown (1 to 10)
alpha: float = 0.05  # significance level for changes and change points
source: str = "auto"  # auto | extract | police_uk (police_uk forces the police.uk-only path)

# %%
from helpers.core import paths
from helpers.present import charts
from helpers.present import violence_figures as VF
from helpers.present.sections import show
from helpers.run.parameters import validate_parameters
from helpers.stages import violence_report as VR

# The one specification of these parameters is the cell above (types, choices and ranges in
# its comments): the batch runner checks them with the same function before anything runs.
checked = validate_parameters(
    paths.notebooks_dir() / "03_violence.ipynb",
    dict(area=area, config=config, period=period, comparison_months=comparison_months,
         years_of_location_history=years_of_location_history, alpha=alpha, source=source),
)  # fmt: skip
ctx = VR.prepare(**checked, draw=VF)
charts.setup_notebook()
sections = [show(VR.introduction(ctx))]

# %% [markdown]
# ## Against last year and the pre-COVID baseline
#
# The headline count of violence in the reporting period, against the year before and against the
# pre-COVID baseline year, counted over the calendar months all three years hold. When a compared
# year falls within an exceptional period (the COVID-19 lockdowns), the sentence says so: the
# baseline is then the better guide.

# %%
sections += [show(VR.headline(ctx))]

# %% [markdown]
# ## Source of the figures and what it can show

# %%
sections += [show(VR.source(ctx))]

# %% [markdown]
# ## Violence and all recorded crime
#
# *Method:* violence against the person as a percentage of all offences in the extract (every
# Home Office group, excluding anti-social behaviour incidents, which are not crimes). Recorded
# crime varies more from month to month than a count of independent events would (repeat
# victims, series offences), so each change is tested against the variation seen in its own
# monthly counts a year apart (a quasi-Poisson test); with several rows in a table, p-values are
# adjusted so that few of the changes called *statistically significant* are chance. A
# percentage change is not shown when either period has fewer than 20 offences. *Caveat:* a
# significant change is a prompt to look, not proof.

# %%
sections += [show(VR.share(ctx))]

# %% [markdown]
# ## What violence is made of
#
# *Method:* each offence is placed in one of the five Home Office subgroups of violence against
# the person using the force's subgroup, or its Home Office offence code when the subgroup is
# blank. Shares are of all violence in the current period and add up to 100%. Offences that fit
# no subgroup are shown on their own row, never dropped.

# %%
sections += [show(VR.subgroups(ctx))]

# %% [markdown]
# ### Violence with injury in detail
#
# *Method:* offences in the *violence with injury* subgroup counted by Home Office offence code.
# Codes missing from the reference table keep the force's own description and are marked.

# %%
sections += [show(VR.injury_detail(ctx))]

# %% [markdown]
# ## Domestic abuse
#
# *Method:* offences carrying the force's domestic abuse flag, against all other violence. An
# offence with no flag value is counted as *other violence* (the flag is set when an officer marks
# the offence as domestic) and the number of such offences is stated. *Caveat:* the flag depends on
# recording practice, so a change can reflect better identification as well as more abuse.

# %%
sections += [show(VR.domestic(ctx))]

# %% [markdown]
# ## Where violence happens: domestic, town centre and residual
#
# *Method:* the force's location type for each violent offence — *domestic*, *town centre*
# (the night-time economy area) or *residual* (everywhere else, including around schools) — for
# each of the last few 12-month years ending at the reporting period. Shares are of offences
# with a location type recorded and add up to 100% in each year; offences with none are counted
# separately. *Caveat:* the town-centre boundary is the force's; if it changed, so would the
# shares.

# %%
sections += [show(VR.location(ctx))]

# %% [markdown]
# ## Trends, seasonality and when a change began
#
# *Method:* monthly counts for every month the data hold up to the end of the period. For the
# charts, the month-of-year pattern (more violence in summer and December, for example) is
# removed by STL decomposition when there are at least three years of months, by a month-of-year
# profile with two years, and not at all with less. To find when a sustained change of trend
# began, a regression is fitted to the monthly counts themselves with a straight-line trend, a
# level for each month of the year, a level of its own for any exceptional period named in the
# area's settings (the COVID-19 lockdowns in the sample), and noise that carries over from one
# month to the next. A two-piece straight line (a *hinge*) is tried at every month; the month
# where the two pieces meet best is when the trend changed. Its p-value compares the improvement
# over a single line with series simulated from the same model with no change, so trying every
# month, the seasonal pattern and the carry-over are all allowed for; p-values are then adjusted
# for testing several series together. A month the data do not hold is filled by straight-line
# interpolation and named below.
#
# *Caveats:* on simulated series with no change the test raises a false alarm about 5% of the
# time, as it should; the noise model is a simple one, so treat a borderline result as a guide.
# It finds at most one change, the month is an estimate (give or take a few months), and a
# change in recording practice produces a break just like a change in offending: known Home
# Office counting-rule changes are listed where they fall near a detected change.

# %%
sections += [show(VR.change_points(ctx))]

# %% [markdown]
# ### The seasonal pattern
#
# *Method:* the month-of-year pattern of all violence, estimated as above: how many offences above
# or below the trend each calendar month typically has. *Caveat:* with fewer than three years of
# months the pattern rests on one or two values per month and is only a rough guide.

# %%
sections += [show(VR.seasonality(ctx))]

# %% [markdown]
# ## Night-time economy: town-centre violence by day and hour
#
# *Method:* town-centre violence in the current period counted by the day of the week and the hour
# the offence was committed. *Caveat:* the hour is when the victim says it happened, often rounded
# to the hour; offences with no hour recorded are left out and counted below.

# %%
sections += [show(VR.heatmap(ctx))]

# %% [markdown]
# ## Offence codes not in the Home Office list
#
# Offences whose code is not in the reference table are not dropped: they stay in every total
# under the force's own offence group (where it gave one) and are listed here so the reference
# table can be corrected.

# %%
sections += [show(VR.unknown_codes(ctx))]

# %% [markdown]
# ## When only police.uk data is available
#
# police.uk publishes one category, *violence and sexual offences*, that merges violence against
# the person with sexual offences. It has no subgroups, no domestic abuse flag, no location type and
# no time of day. This section shows what police.uk can show — the monthly count and its share of
# all recorded crime — and nothing more. *Caveats:* police.uk locations are snapped to map points,
# months are the month recorded, and police.uk counts differ slightly from the force's own
# figures.

# %%
sections += [show(s) for s in VR.police_uk(ctx)]

# %% [markdown]
# ## The Commissioner's measures
#
# A Police and Crime Commissioner reports a few national measures for the whole force area, and
# panels often ask for them for their own area: all crime as offences *and* as the number of
# different victims (someone who was a victim more than once in the year is counted once), knife
# or sharp instrument offences, firearm offences, sexual offences (rape and other sexual
# offences), neighbourhood crime (residential burglary, personal robbery, theft from the person
# and vehicle offences) and homicide, each against last year and against the 12 months to June
# 2019, the baseline of the national Crime and Policing Measures; homicides per million
# residents beside the national rate; and victim satisfaction from the force's survey.
#
# *How to read them:* change on last year is tested against the month-to-month variation in each
# measure's own counts (a quasi-Poisson test, false alarms controlled across the table); change
# on the baseline uses the exact test of the two yearly counts. No percentage or test is given
# when a count is below 20, so homicides and firearm offences are shown as numbers only. Victim
# satisfaction is an estimate from the victims who answered, shown with its 95% interval. A
# measure whose input is missing says so rather than being estimated.

# %%
sections += [show(s) for s in VR.commissioner(ctx)]

# %% [markdown]
# ## Figures saved for the panel pack
#
# The key tables and every sentence above are saved beside this report so each number can be
# traced to a file.

# %%
show(VR.save(ctx, sections))
