"""Run notebooks/03_violence on the embedded sample and check what it saved.

The violence total is recomputed here, independently of helpers.stages.violence, straight from
data/processed/wexley/<period>/extract.parquet (offence group "Violence against the person",
like-for-like months) — the same figure the variance stage's violence row uses.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from helpers.core import paths

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "03_violence.ipynb"
AREA, PERIOD = "wexley", "2022-03"


def processed() -> Path:
    return paths.processed_dir(AREA, PERIOD)


def reports() -> Path:
    return paths.report_dir(AREA, PERIOD)


VAP = "Violence against the person"

pytestmark = pytest.mark.notebook


def _ensure_processed() -> None:
    if (processed() / "extract.parquet").exists():
        return
    from helpers.core.config import load_area_config
    from helpers.ingest.cleaning import run_cleaning
    from helpers.sample.wexley import ensure_sample

    ensure_sample()
    run_cleaning(load_area_config(AREA), PERIOD)


def _run(tmp_path: Path, **params) -> dict:
    import papermill as pm

    _ensure_processed()
    out = tmp_path / "03_violence.ipynb"
    pm.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={"area": AREA, "period": PERIOD, **params},
        kernel_name="python3",
        cwd=str(REPO / "notebooks"),
        progress_bar=False,
    )
    nb = json.loads(out.read_text(encoding="utf-8"))
    figures = json.loads((reports() / "figures" / "03_violence.json").read_text(encoding="utf-8"))
    return {"nb": nb, "figures": figures}


def _table(name: str) -> pd.DataFrame:
    return pd.read_csv(reports() / "tables" / f"03_violence__{name}.csv")


def _markdown_outputs(nb: dict) -> str:
    parts = []
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            parts.append("".join(o.get("data", {}).get("text/markdown", "")))
    return "\n".join(parts)


def _months(end: str, n: int = 12) -> list[str]:
    return [str(p) for p in pd.period_range(end=pd.Period(end, freq="M"), periods=n, freq="M")]


@pytest.fixture(scope="module")
def extract_run(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("violence_extract"))


def test_extract_path_tables(extract_run):
    ex = pd.read_parquet(processed() / "extract.parquet")
    have = set(ex["month"].astype(str))
    cur, prev = _months(PERIOD), _months("2021-03")
    keep = [i for i in range(12) if cur[i] in have and prev[i] in have]
    cur, prev = [cur[i] for i in keep], [prev[i] for i in keep]
    is_vap = ex["offence_group"].astype("string").fillna("") == VAP
    expected_cur = int((is_vap & ex["month"].isin(cur)).sum())
    expected_prev = int((is_vap & ex["month"].isin(prev)).sum())
    expected_all = int(ex["month"].isin(cur).sum())

    fig = extract_run["figures"]["figures"]
    assert fig["source"] == "extract"
    assert fig["violence_current"] == expected_cur
    assert fig["violence_previous"] == expected_prev

    sub = _table("subgroups")
    assert sub["current"].sum() == expected_cur
    assert sub["previous"].sum() == expected_prev
    assert sub["share"].sum() == pytest.approx(100.0)
    assert set(sub["subgroup"]) >= {
        "Violence with injury",
        "Violence without injury",
        "Stalking and harassment",
        "Homicide",
    }

    dom = _table("domestic")
    assert dom["current"].sum() == expected_cur
    assert dom["share"].sum() == pytest.approx(100.0)
    flag = ex["domestic_flag"].astype("boolean").fillna(False)
    assert dom.loc[dom["group"] == "Domestic abuse flag", "current"].item() == int(
        (is_vap & flag & ex["month"].isin(cur)).sum()
    )

    share = _table("share_of_all_crime").set_index("period")
    assert share.loc["current", "all_crime"] == expected_all
    assert share.loc["current", "share"] == pytest.approx(expected_cur / expected_all * 100)

    loc = _table("location_shares")
    assert loc["year"].nunique() == 3
    for _, g in loc.groupby("year"):
        assert g["share"].dropna().sum() == pytest.approx(100.0)
    last = loc[loc["year"] == "FY 2021/22"]
    assert last["offences"].sum() == expected_cur

    detail = _table("injury_detail")
    assert (
        detail["current"].sum()
        == sub.loc[sub["subgroup"] == "Violence with injury", "current"].item()
    )

    monthly = _table("monthly")
    allv = monthly[monthly["series"] == "All violence"].set_index("month")["offences"]
    assert int(allv.reindex(cur).sum()) == expected_cur

    heat = _table("town_centre_heatmap")
    assert len(heat) == 7 * 24
    tc = ex["location_type"].astype("string").fillna("") == "Town centre"
    assert heat["offences"].sum() == int(
        (is_vap & tc & ex["month"].isin(_months(PERIOD)) & ex["hour"].notna()).sum()
    )

    cp = _table("change_points")
    assert "All violence" in set(cp["series"])
    assert cp["p_value"].between(0, 1).all()
    # p-values adjusted across the series tested together (Benjamini-Hochberg, statsmodels)
    from statsmodels.stats.multitest import multipletests

    q = multipletests(cp["p_value"], method="fdr_bh")[1]
    assert cp["q_value"].to_numpy() == pytest.approx(q)
    assert (cp["significant"] == (cp["q_value"] < 0.05)).all()

    # Small-number rule: no % change where either period has fewer than 20 offences
    small = (sub[["current", "previous"]].min(axis=1) < 20).to_numpy()
    assert sub.loc[small, "pct_change"].isna().all()
    big = sub[~small]
    assert big["pct_change"].to_numpy() == pytest.approx(
        ((big["current"] - big["previous"]) / big["previous"] * 100).to_numpy()
    )
    # Arrows only for significant changes
    assert (sub.loc[~sub["significant"].astype(bool), "direction"] == "same").all()


def test_extract_path_sentences(extract_run):
    sentences = extract_run["figures"]["sentences"]
    text = " ".join(sentences)
    assert "Violent crime breaks down as" in text
    assert "Domestic violence accounts for" in text
    assert "of all recorded crime" in text
    shares = _table("subgroups").set_index("subgroup")["share"]
    assert f"{shares['Violence without injury']:.1f}% without injury" in text
    md = _markdown_outputs(extract_run["nb"])
    assert "Synthetic data" in md
    assert "Traceback" not in md
    # the sample config's lockdowns are named as an exceptional period in the trend section
    assert "COVID-19 lockdowns" in md and "treated as an exceptional period" in md
    # no sentence prints a percentage change for a subgroup under 20 offences (e.g. homicide)
    sub = _table("subgroups").set_index("subgroup")
    hom = sub.loc["Homicide"]
    if min(hom["current"], hom["previous"]) < 20 and hom["previous"] > 0:
        raw = (hom["current"] - hom["previous"]) / hom["previous"] * 100
        assert f"{abs(raw):.1f}%" not in text


def test_police_uk_only_path(tmp_path):
    run = _run(tmp_path, source="police_uk")
    fig = run["figures"]["figures"]
    assert fig["source"] == "police_uk"
    md = _markdown_outputs(run["nb"])
    assert "Only police.uk data is used here" in md
    assert "no subgroups" in md
    # nothing from the extract-only sections was computed or saved in this run
    assert "subgroup_shares" not in fig and "domestic_share" not in fig
    st = pd.read_parquet(processed() / "street.parquet")
    crimes = st[~st["is_asb"].astype(bool)]
    cur = crimes[crimes["month"].isin(_months(PERIOD))]
    v_cur = int((cur["crime_type"] == "Violence and sexual offences").sum())
    assert fig["policeuk_violence_and_sexual_current"] == v_cur
    assert fig["policeuk_share_of_all_crime"] == pytest.approx(v_cur / len(cur) * 100)


def test_bad_parameter_is_a_clear_error(tmp_path):
    import papermill as pm

    _ensure_processed()
    with pytest.raises(pm.PapermillExecutionError, match="ParameterError"):
        pm.execute_notebook(
            str(NOTEBOOK),
            str(tmp_path / "bad.ipynb"),
            parameters={"source": "policeuk"},
            kernel_name="python3",
            cwd=str(REPO / "notebooks"),
            progress_bar=False,
        )


def test_out_of_range_parameter_refused_like_batch_validation(tmp_path):
    """A value the notebook used to refuse by hand (comparison_months = 36) is refused by the
    notebook's own call to validate_parameters, in its first code cell after the parameters and
    before any data is read or output written, with exactly the message batch validation gives."""
    import papermill as pm

    from helpers.core.errors import ParameterError
    from helpers.run.parameters import validate_parameters

    params = {"area": AREA, "period": PERIOD, "comparison_months": 36}
    with pytest.raises(ParameterError) as batch_err:
        validate_parameters(NOTEBOOK, params)
    _ensure_processed()
    figures = reports() / "figures" / "03_violence.json"
    before = figures.stat().st_mtime_ns if figures.exists() else None
    with pytest.raises(pm.PapermillExecutionError) as nb_err:
        pm.execute_notebook(
            str(NOTEBOOK),
            str(tmp_path / "bad.ipynb"),
            parameters=params,
            kernel_name="python3",
            cwd=str(REPO / "notebooks"),
            progress_bar=False,
        )
    assert nb_err.value.ename == "ParameterError"
    assert nb_err.value.evalue == str(batch_err.value)
    assert "outside the allowed range 1 to 24" in nb_err.value.evalue
    nb = json.loads((tmp_path / "bad.ipynb").read_text(encoding="utf-8"))
    failed = [
        c for c in nb["cells"]
        if any(o.get("output_type") == "error" for o in c.get("outputs", []))
    ]  # fmt: skip
    assert len(failed) == 1 and "validate_parameters(" in "".join(failed[0]["source"])
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    later = code[code.index(failed[0]) + 1 :]
    assert later and not any(c.get("outputs") for c in later)  # no section ran
    assert (figures.stat().st_mtime_ns if figures.exists() else None) == before
