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
# # Data preparation and quality
#
# This stage reads every raw input for the area exactly as received (police.uk street-level crime
# and outcomes, the force's offence extract, Home Office recorded crime by Community Safety
# Partnership, population, the Most Similar Group list and ward boundaries), checks each row,
# classifies offences into Home Office groups, places each crime in a ward, and writes the tables
# every later section uses. **Every row read is either kept or counted as rejected, with the
# reason.** Raw files are never changed.

# %% tags=["parameters"]
area: str = "wexley"  # area config name in config/ (or a path to a config YAML)
config: str = ""  # path to the area config YAML the run uses; empty: config/<area>.yaml
period: str = "2022-03"  # last month of the 12-month reporting period (YYYY-MM)

# %%
from helpers.core import paths
from helpers.core.config import run_config
from helpers.ingest.processed import save_stage_outputs
from helpers.present import charts, cleaning_sections
from helpers.present.sections import show_all
from helpers.run.parameters import validate_parameters
from helpers.stages import cleaning_stage

validate_parameters(paths.notebooks_dir() / "01_cleaning.ipynb",
                    dict(area=area, config=config, period=period))  # fmt: skip
cfg = run_config(area, config)
if cfg.synthetic:  # rebuild the embedded sample if it is stale or partial
    from helpers.sample import wexley

    wexley.ensure_sample()
stage = cleaning_stage.build(cfg, period)
charts.setup_notebook()
show_all(stage.intro())

# %% [markdown]
# ## What was read, kept and rejected
#
# The ledger below balances for every file: rows read = rows kept + rows rejected. Rejected rows
# are not lost: they stay in the raw files and are counted here by reason.

# %%
show_all(stage.ledger())

# %% [markdown]
# ## Months covered
#
# police.uk publishes one file per force per month. A missing month makes any 12-month total that
# includes it an 11-month total, so later sections compare like with like and say so.

# %%
show_all(cleaning_sections.months(stage))

# %% [markdown]
# ## Where crimes were placed
#
# Each crime is placed in a ward by its map point where it has one (point-in-polygon), otherwise by
# its LSOA through the best-fit LSOA-to-ward lookup. police.uk map points are *snapped* to the
# nearest of a fixed set of anonymous points, so a crime near a ward boundary can be placed in the
# neighbouring ward; the best-fit lookup has the same weakness for LSOAs that straddle wards.

# %%
show_all(stage.placement())

# %% [markdown]
# ## Notes from the checks

# %%
show_all(cleaning_sections.check_notes(stage))

# %% [markdown]
# ## Caveats
#
# - police.uk excludes fraud and computer misuse (recorded by Action Fraud, not local forces).
# - police.uk locations are snapped to anonymous map points, not exact addresses.
# - ASB incidents are not notifiable crimes; they are counted separately throughout.
# - police.uk "Burglary", "Robbery" and "Vehicle crime" do not separate residential from business
#   burglary, personal from business robbery, or vehicle theft from interfering with a vehicle, so
#   police.uk cannot count serious acquisitive or neighbourhood crime. Its nearest categories can
#   be a good deal larger (the sample: 18% more than serious acquisitive crime), so they are printed
#   under their own names ("burglary, robbery and vehicle crime"); the force extract and the Home
#   Office tables give the composites themselves.

# %%
out_dir = save_stage_outputs(cfg.area, period, cleaning_stage.STAGE, **stage.outputs())
