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
import pandas as pd
from IPython.display import Markdown, display

from helpers.core import narrative
from helpers.core.config import run_config
from helpers.core.periods import ReportingPeriod, parse_month
from helpers.ingest import cleaning, processed
from helpers.present import charts
from helpers.present.tables import plain_text, show_table

parse_month(period, "period")
cfg = run_config(area, config)
reporting = ReportingPeriod(period)
charts.setup_notebook()
if cfg.synthetic:
    from helpers.sample import wexley as sample

    sample.ensure_sample()
result = cleaning.run_cleaning(cfg, period)
display(Markdown(f"{narrative.area_title(cfg.name, cfg.area_kind)} — reporting period "
                 f"**{reporting.name}**."))  # fmt: skip
if result.resolved_area is not None:
    display(Markdown(" ".join([result.resolved_area.describe(), *result.resolved_area.notes])))
if cfg.synthetic:
    display(
        Markdown(
            "> **Synthetic data.** This report is made from the embedded synthetic sample, "
            "not real crime records. Its figures illustrate the method only."
        )
    )

# %% [markdown]
# ## What was read, kept and rejected
#
# The ledger below balances for every file: rows read = rows kept + rows rejected. Rejected rows
# are not lost: they stay in the raw files and are counted here by reason.

# %%
summary = result.ledger.summary()
labels = {
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
summary_view = pd.DataFrame(
    {
        "Input": summary["table"].map(labels).fillna(summary["table"]),
        "Files": summary["files"],
        "Rows read": summary["read"],
        "Kept": summary["kept"],
        "Rejected": summary["rejected"],
        "Balanced": summary["balanced"].map({True: "yes", False: "NO"}),
    }
)
show_table(
    summary_view,
    caption="Rows read, kept and rejected by input",
    formats={"Files": "int", "Rows read": "int", "Kept": "int", "Rejected": "int"},
)

# %%
rej = result.ledger.rejections()
if rej.empty:
    display(Markdown("No rows were rejected."))
else:
    rej_view = pd.DataFrame(
        {
            "Input": rej["table"].map(labels).fillna(rej["table"]),
            "Reason": rej["reason"],
            "Rows": rej["rows"],
        }
    )
    display(show_table(rej_view, caption="Rejected rows by reason", formats={"Rows": "int"}))

# %%
ledger_df = result.ledger.to_frame()
repairs = ledger_df[ledger_df.status == "repaired"]
if not repairs.empty:
    display(
        show_table(
            repairs[["source", "reason", "rows"]].rename(
                columns={"source": "File", "reason": "Repair", "rows": "Rows"}
            ),
            caption="Rows kept after a recorded repair",
            formats={"Rows": "int"},
        )
    )

# %% [markdown]
# ## Months covered
#
# police.uk publishes one file per force per month. A missing month makes any 12-month total that
# includes it an 11-month total, so later sections compare like with like and say so.

# %%
street = result.tables["street"]
per_month = (
    street.groupby(["month", "is_asb"])
    .size()
    .unstack(fill_value=0)
    .reindex(columns=[False, True], fill_value=0)
)
per_month.columns = ["Crimes", "ASB incidents"]
fig, ax = charts.plt.subplots(figsize=(8, 3.2))
x = pd.PeriodIndex(per_month.index, freq="M").to_timestamp()
ax.plot(x, per_month["Crimes"], color=charts.CURRENT, label="Crimes")
ax.plot(x, per_month["ASB incidents"], color=charts.PREVIOUS, label="ASB incidents")
for m in result.months_missing:
    ax.axvspan(
        pd.Period(m, "M").to_timestamp(),
        (pd.Period(m, "M") + 1).to_timestamp(),
        color="#D55E00",
        alpha=0.3,
    )
ax.set_ylabel("Records per month")
ax.set_title("police.uk records per month (gaps shaded)")
ax.legend(frameon=False)
charts.finish(fig, alt="Line chart of police.uk crimes and ASB incidents per month")
charts.plt.show()

# %%
months = result.months_available
text = f"police.uk data cover **{months[0]} to {months[-1]}** ({len(months)} months). "
if result.months_missing:
    text += (
        f"**{narrative.number_word(len(result.months_missing)).capitalize()} month(s) are missing: "
        f"{', '.join(result.months_missing)}.** Comparisons that span these months are made "
        "like-for-like over the months both periods hold."
    )
else:
    text += "No month is missing between the first month and the end of the reporting period."
display(Markdown(text))

# %% [markdown]
# ## Where crimes were placed
#
# Each crime is placed in a ward by its map point where it has one (point-in-polygon), otherwise by
# its LSOA through the best-fit LSOA-to-ward lookup. police.uk map points are *snapped* to the
# nearest of a fixed set of anonymous points, so a crime near a ward boundary can be placed in the
# neighbouring ward; the best-fit lookup has the same weakness for LSOAs that straddle wards.

# %%
method = street["ward_method"].value_counts().rename_axis("Method").reset_index(name="Rows")
method["Share"] = method["Rows"] / method["Rows"].sum() * 100
show_table(
    method,
    caption="Ward assignment method (police.uk rows kept)",
    formats={"Rows": "int", "Share": "pct"},
)

# %%
both = street[(street.ward_method == "point-in-polygon") & street["lookup_ward_code"].notna()]
if len(both):
    agree = (both["ward_code"] == both["lookup_ward_code"]).mean() * 100
    display(
        Markdown(
            f"Where a crime has both a map point and an LSOA, the two methods put it in the "
            f"same ward **{narrative.fmt_pct(agree)}** of the time ({narrative.fmt_int(len(both))} crimes)."
        )
    )

# %% [markdown]
# ## Notes from the checks

# %%
notes = result.warnings + cleaning.summarise_skipped(result.skipped_files)
display(Markdown("\n".join(f"- {plain_text(n)}" for n in notes) if notes
                 else "No issues were found."))  # fmt: skip

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
later = rej["reason"].str.contains("after the period end") if not rej.empty else None
processed.save_stage_outputs(
    area=cfg.area,
    period=period,
    stage="01_cleaning",
    tables={"ledger_summary": summary, "rejections": rej},
    figures={
        "rows_read": int(summary["read"].sum()),
        "rows_kept": int(summary["kept"].sum()),
        "rows_rejected": int(summary["rejected"].sum()),
        "months_missing": result.months_missing,
        "street_kept": int(len(street)),
        "balanced": bool(summary["balanced"].all()),
    },
    sentences=[text],
    headlines=[text],
    glance={
        "Records read": narrative.fmt_int(summary["read"].sum()),
        "Kept for analysis": narrative.fmt_int(summary["kept"].sum()),
        "Rejected as faulty or outside the area": narrative.fmt_int(
            rej.loc[~later, "rows"].sum() if not rej.empty else 0
        ),
        "For months after the period (not used)": narrative.fmt_int(
            rej.loc[later, "rows"].sum() if not rej.empty else 0
        ),
        "Months missing": str(len(result.months_missing)),
    },
)
