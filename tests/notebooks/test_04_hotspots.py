"""Run notebooks/04_ward_hotspots on the embedded sample and check what it saved.

Ward counts are recomputed here straight from data/processed/wexley/<period>/street.parquet with
a pandas groupby on the cleaning stage's ward_code (independent of helpers.stages.hotspots).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.core import paths

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "04_ward_hotspots.ipynb"
AREA, PERIOD = "wexley", "2022-03"


def reports() -> Path:
    return paths.report_dir(AREA, PERIOD)


STAGE = "04_ward_hotspots"
MONTHS = [f"2021-{m:02d}" for m in range(4, 13)] + ["2022-01", "2022-02", "2022-03"]

pytestmark = pytest.mark.notebook


def _run(tmp_path: Path, **params) -> dict:
    import papermill as pm

    out = tmp_path / f"{STAGE}.ipynb"
    pm.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={"area": AREA, "period": PERIOD, **params},
        kernel_name="python3",
        cwd=str(REPO / "notebooks"),
        progress_bar=False,
    )
    nb = json.loads(out.read_text(encoding="utf-8"))
    figures = json.loads((reports() / "figures" / f"{STAGE}.json").read_text(encoding="utf-8"))
    return {"nb": nb, "figures": figures}


def _table(name: str) -> pd.DataFrame:
    return pd.read_csv(reports() / "tables" / f"{STAGE}__{name}.csv")


def _outputs(nb: dict, mime: str) -> list[str]:
    out = []
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            if mime in data:
                v = data[mime]
                out.append("".join(v) if isinstance(v, list) else v)
    return out


SAC = ("Burglary", "Robbery", "Vehicle crime")
SELECT = {  # the five measures, written here from police.uk crime types (independent of helpers)
    "all_crime": lambda d: d["crime_type"] != "Anti-social behaviour",
    "violence": lambda d: d["crime_type"] == "Violence and sexual offences",
    "sac": lambda d: d["crime_type"].isin(SAC),
    "burglary": lambda d: d["crime_type"] == "Burglary",
    "asb": lambda d: d["crime_type"] == "Anti-social behaviour",
}


def _bh(p: np.ndarray, alpha: float) -> np.ndarray:
    """Benjamini-Hochberg step-up, written out: reject the k smallest where k is the largest
    rank with p_(k) <= k / m * alpha."""
    order = np.argsort(p)
    m = len(p)
    ok = p[order] <= np.arange(1, m + 1) / m * alpha
    reject = np.zeros(m, dtype=bool)
    if ok.any():
        reject[order[: np.flatnonzero(ok).max() + 1]] = True
    return reject


def _alts(nb: dict) -> list[str]:
    out = []
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            if "image/svg+xml" in o.get("data", {}):
                meta = o.get("metadata", {})
                out.append(meta.get("image/svg+xml", {}).get("alt", "") or meta.get("alt", ""))
    return out


def test_default_run_on_sample(processed_sample, tmp_path):
    res = _run(tmp_path)
    fig = res["figures"]["figures"]
    street = pd.read_parquet(processed_sample / "street.parquet")
    cur = street[street["month"].astype(str).isin(MONTHS)]
    crime = cur[cur["crime_type"] != "Anti-social behaviour"]
    asb = cur[cur["crime_type"] == "Anti-social behaviour"]
    # independent ward counts from the cleaning stage's ward_code
    expected = crime.groupby("ward_code").size()
    wards = _table("ward_counts_rates").set_index("ward_code")
    assert len(wards) == fig["wards"] == 30
    published = wards["all_crime"].dropna()
    assert (published.astype(int) == expected.reindex(published.index).fillna(0).astype(int)).all()
    assert fig["totals"]["all_crime"] == len(crime) and fig["totals"]["asb"] == len(asb)
    for key, total in fig["totals"].items():
        assert fig["in_wards"][key] + fig["unassigned"][key] == total
    # rates: count / population * 1000 where both are published
    ok = wards["all_crime"].notna() & wards["population"].notna()
    assert np.allclose(
        wards.loc[ok, "all_crime_rate"],
        wards.loc[ok, "all_crime"] / wards.loc[ok, "population"] * 1000,
    )
    # priority tables: top_n rows, descending counts, shares <= 100 and consistent with counts
    pr = _table("priority_burglary")
    assert len(pr) == 10 and pr["Count"].is_monotonic_decreasing
    assert pr["Share of area total (%)"].sum() <= 100.0
    assert pr["Share of area total (%)"].iloc[0] == pytest.approx(
        pr["Count"].iloc[0] / fig["in_wards"]["burglary"] * 100
    )
    # change: current minus previous per ward equals an independent count a year earlier
    ch = _table("change_asb").set_index("ward_code")
    prev_months = [str(pd.Period(m, freq="M") - 12) for m in MONTHS]
    prev_asb = street[street["month"].astype(str).isin(prev_months)]
    prev_asb = (
        prev_asb[prev_asb["crime_type"] == "Anti-social behaviour"].groupby("ward_code").size()
    )
    shown = ch["change"].notna()
    assert (
        ch.loc[shown, "current"] - ch.loc[shown, "change"] == prev_asb.reindex(ch.index[shown])
    ).all()
    assert "previous" not in ch.columns
    # concentration and Gi*
    conc = _table("concentration")
    assert ((conc["Gini"] >= 0) & (conc["Gini"] <= 1)).all()
    assert (conc["Share in top 10% of wards (%)"] >= 10).all()  # top 10% hold at least 10%
    gi = _table("gistar_all_crime")
    assert set(gi["spot"]) <= {"Hot spot", "Cold spot", "Not significant"}
    assert ((gi["q"] >= gi["p"] - 1e-9) | gi["p"].isna()).all()  # BH never lowers a p-value
    # change by ward for all five measures: wards up and significant rises, counted here from
    # street.parquet for the current and comparison months (exact binomial test + BH by hand)
    from scipy.stats import binomtest

    codes = wards.index
    previous = street[street["month"].astype(str).isin(prev_months)]
    html = "\n".join(_outputs(res["nb"], "text/html"))
    rises_named, sig_any = {}, {}
    for key, select in SELECT.items():
        now = cur[select(cur)].groupby("ward_code").size().reindex(codes).fillna(0).astype(int)
        before = (
            previous[select(previous)].groupby("ward_code").size().reindex(codes).fillna(0)
        ).astype(int)
        assert fig["wards_up"][key] == int((now > before).sum()), key
        assert fig["wards_down"][key] == int((now < before).sum()), key
        p = np.array([binomtest(int(a), int(a + b), 0.5).pvalue if a + b else 1.0
                      for a, b in zip(now, before, strict=True)])  # fmt: skip
        sig = _bh(p, 0.05)
        assert fig["wards_up_significant"][key] == int((sig & (now > before)).sum()), key
        assert fig["wards_down_significant"][key] == int((sig & (now < before)).sum()), key
        full = _table(f"change_{key}")
        assert len(full) == 30 and "previous" not in full.columns
        # published direction (where not suppressed) agrees with the independent counts, and the
        # compact table lists the wards that rose or changed significantly, at most 8
        full = full.set_index("ward_code")
        shown = full["direction"].notna()
        expected_dir = np.where(now > before, "up", np.where(now < before, "down", "same"))
        expected_dir = pd.Series(expected_dir, codes).reindex(full.index)
        assert (full.loc[shown, "direction"] == expected_dir[shown]).all(), key
        assert (full["significant"] == pd.Series(sig, codes).reindex(full.index)).all()
        listed = int(((full["direction"] == "up") | full["significant"]).sum())
        rises = full["significant"] & full["direction"].eq("up")
        rises_named[key] = wards.loc[full.index[rises], "ward_name"].tolist()
        sig_any[key] = bool(sig.any())
        assert fig["change_wards_listed"][key] == min(8, listed), key
        # printed names from the measures registry: ward counts are police.uk's, so "sac" is
        # the police.uk categories nearest serious acquisitive crime, under their own name
        label = {"all_crime": "All crime", "violence": "Violence and sexual offences",
                 "sac": "Burglary, robbery and vehicle crime",
                 "burglary": "Burglary (residential and business)",
                 "asb": "Anti-social behaviour"}[key]  # fmt: skip
        if listed:
            assert f"{label}: wards that rose or changed significantly" in html
    sentences = res["figures"]["sentences"]
    assert any(s.startswith("Violence and sexual offences rose in") for s in sentences)
    # one change map per measure; its caption names every significant rise (counted above)
    change_alts = [a for a in _alts(res["nb"]) if "percentage change in" in a]
    assert len(change_alts) == 5
    for key, alt in zip(SELECT, change_alts, strict=True):
        names = rises_named[key]
        if sig_any[key]:
            head, _, falls = alt.partition("Significant falls")
            assert all(n in head for n in names), key
        else:
            assert "No ward's change was statistically significant" in alt, key
    # reader-facing outputs: maps drawn, generated sentences present, no DataFrame reprs
    svgs = _outputs(res["nb"], "image/svg+xml")
    assert len(svgs) >= 10 + 5 + 1 + 5  # counts and rates x 5, hot spots x 5, Lorenz, change x 5
    text = "\n".join(_outputs(res["nb"], "text/markdown"))
    assert "Synthetic data" in text
    # one name per measure: police.uk's nearest to SAC is named as such, and its distance from
    # serious acquisitive crime (the extract's count, computed here) is stated
    ex = pd.read_parquet(paths.processed_dir(AREA, PERIOD) / "extract.parquet")
    sac_codes = {"28E", "28F", "28G", "28H", "34A", "34B", "45", "48", "37.2"}  # Home Office SAC
    n_sac = int((ex["month"].isin(MONTHS) & ex["ho_code"].isin(sac_codes)).sum())
    assert f"which the force's offence extract counts as {n_sac:,}" in text
    assert "resident population of each ward" in text
    sentences = res["figures"]["sentences"]
    assert any(s.startswith("Anti-social behaviour fell in") for s in sentences)
    assert any("Gini coefficient" in s for s in sentences)
    assert not any("<class" in s or "dtype" in s for s in _outputs(res["nb"], "text/plain"))
    legends = " ".join(svgs)
    assert "natural breaks (k-means)" in legends and "Getis-Ord Gi*" in legends


def test_high_threshold_suppresses_and_hides_small_counts(processed_sample, tmp_path):
    res = _run(tmp_path, disclosure_threshold=60, scheme="Quantiles", k=4, top_n=5)
    fig = res["figures"]["figures"]
    assert fig["disclosure_threshold"] == 60 and fig["suppressed_cells"] > 0
    wards = _table("ward_counts_rates")
    for key in ("all_crime", "violence", "sac", "burglary", "asb"):
        shown = wards[key].dropna()
        assert (shown >= 60).all()
        hidden = wards[key].isna().sum()
        assert hidden != 1  # a single hidden cell could be recovered from the total
        assert wards.loc[wards[key].isna(), f"{key}_rate"].isna().all()
    assert len(_table("priority_asb")) == 5
    html = "\n".join(_outputs(res["nb"], "text/html"))
    assert "suppressed" in html
    assert "Suppressed (fewer than 60)" in " ".join(_outputs(res["nb"], "image/svg+xml"))
    # change maps hatch wards whose change is hidden; no change CSV shows a small current count
    assert "Suppressed (fewer than 60 in either period)" in " ".join(
        _outputs(res["nb"], "image/svg+xml")
    )
    for key in ("all_crime", "violence", "sac", "burglary", "asb"):
        ch = _table(f"change_{key}")
        assert (ch["current"].dropna() >= 60).all()
        assert ch.loc[ch["current"].isna(), "change"].isna().all()


@pytest.mark.parametrize(
    "bad",
    [{"scheme": "Jenks"}, {"fdr_alpha": 0.5}, {"k": 12}, {"comparison_months": 0},
     {"top_n": 0}, {"disclosure_threshold": -5}],
    ids=lambda b: next(iter(b)),
)  # fmt: skip
def test_notebook_and_batch_validation_refuse_the_same_values(processed_sample, tmp_path, bad):
    """One parameter specification: the notebook refuses exactly what batch validation
    (validate_parameters on the parameters cell) refuses, with the same message."""
    import re

    import papermill as pm

    from helpers.core.errors import ParameterError
    from helpers.run.parameters import validate_parameters

    params = {"area": AREA, "period": PERIOD, **bad}
    with pytest.raises(ParameterError) as batch:
        validate_parameters(NOTEBOOK, params)
    with pytest.raises(pm.PapermillExecutionError, match=re.escape(batch.value.what)):
        _run(tmp_path, **bad)


def test_notebook_accepts_what_batch_validation_accepts(processed_sample):
    from helpers.run.parameters import validate_parameters

    # the values the notebook's defaults and the high-threshold run above use
    for params in ({}, {"disclosure_threshold": 60, "scheme": "Quantiles", "k": 4, "top_n": 5},
                   {"fdr_alpha": 0.01, "comparison_months": 36}):  # fmt: skip
        validate_parameters(NOTEBOOK, {"area": AREA, "period": PERIOD, **params})
