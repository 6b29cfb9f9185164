"""Batch runs (issue 16): one config file for every stage, no stale outputs after a failure,
resume by content hash.

Tiny papermill notebooks in a scratch project (see tests/batch_support.py); each records which
config file it was given and which one an area-name lookup finds.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import pytest
from batch_support import tiny_project

from helpers.run import batch, cli

P = "2022-03"
CODE = "pinned-code-version"

RECORD = """\
import json
from helpers.core import paths
from helpers.core.config import load_area_config, run_config
cfg = run_config(area, config)
out = paths.report_dir(area, period)
(out / "figures").mkdir(exist_ok=True)
if (paths.project_root() / "fail-second").exists() and STAGE == "02_second":
    raise ValueError("deliberate failure")
(out / "figures" / f"{STAGE}.json").write_text(json.dumps({
    "config": str(cfg.path), "sha256": cfg.sha256,
    "by_area": str(load_area_config(area).path),
    "threshold": load_area_config(area).disclosure_threshold}))
"""


def _config_notebooks(folder: Path) -> None:
    for i, name in ((1, "first"), (2, "second")):
        stage = f"{i:02d}_{name}"
        nb = nbformat.v4.new_notebook()
        params = nbformat.v4.new_code_cell(
            'area: str = "wexley"  # area config name in config/\n'
            'config: str = ""  # path to the config YAML\n'
            'period: str = "2022-03"  # last month (YYYY-MM)'
        )
        params.metadata["tags"] = ["parameters"]
        nb.cells = [params, nbformat.v4.new_code_cell(f"STAGE = {stage!r}\n" + RECORD)]
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nbformat.write(nb, folder / f"{stage}.ipynb")


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = tiny_project(tmp_path / "root", ["a1"], n_stages=2)
    nbs = Path(os.readlink(root / "notebooks"))
    for p in nbs.glob("*.ipynb"):
        p.unlink()
    _config_notebooks(nbs)
    monkeypatch.setenv("CSP_SCRUTINY_ROOT", str(root))
    # the copy: same area name, another threshold, kept outside config/
    text = (root / "config" / "a1.yaml").read_text()
    elsewhere = tmp_path / "elsewhere" / "copy.yaml"
    elsewhere.parent.mkdir()
    elsewhere.write_text(text.replace("disclosure_threshold: 5", "disclosure_threshold: 11"))
    return root, elsewhere


def _figs(root: Path, stage: str) -> dict:
    return json.loads((root / "reports" / "a1" / P / "figures" / f"{stage}.json").read_text())


def test_run_config_x_reaches_every_stage_and_the_manifest_key(project):
    """`run --config X` ran the notebooks on config/<area>.yaml before: X was ignored."""
    root, elsewhere = project
    items = batch.work_items(batch.resolve_areas(None, [str(elsewhere)]), [P], root)
    batch.validate_items(items)  # a config outside config/ is not "no config/a1.yaml"
    res = batch.run_batch(items, pdf=False, progress=False, code_version=CODE)
    assert [r.status for r in res] == ["ok", "ok"]
    for stage in ("01_first", "02_second"):
        f = _figs(root, stage)
        assert f["config"] == str(elsewhere.resolve())
        assert f["by_area"] == str(elsewhere.resolve())  # name lookups read X too
        assert f["threshold"] == 11
    import hashlib

    state = json.loads((root / "reports" / "a1" / P / ".batch_state.json").read_text())
    assert state["stages"]["01_first"]["key"]
    assert _figs(root, "01_first")["sha256"] == hashlib.sha256(elsewhere.read_bytes()).hexdigest()
    assert os.environ.get("CSP_SCRUTINY_CONFIG") is None  # restored after the item


def test_cli_run_with_a_broken_config_is_exit_2(project, capsys):
    root, elsewhere = project
    bad = elsewhere.with_name("bad.yaml")
    bad.write_text(elsewhere.read_text() + "\nanalysis: {}\n")
    assert cli.main(["run", "--config", str(bad), "--period", P, "--no-pdf", "--quiet"]) == 2
    assert "'analysis' appears twice" in capsys.readouterr().err
    assert cli.main(["clean", "--config", str(bad), "--period", P]) == 2


def test_failed_stage_leaves_no_stale_outputs_and_pack_is_incomplete(project, monkeypatch):
    root, elsewhere = project
    from helpers.report import pack

    built = []
    monkeypatch.setattr(
        pack,
        "build_panel_pack",
        lambda area, period, synthetic=None: (
            built.append(
                sorted(p.name for p in (root / "reports" / area / period / "figures").glob("*"))
            )
            or root / "reports" / area / period / "panel_pack.pdf"
        ),
    )
    cfg = batch.load_area_config("a1")
    first = batch.run_area(cfg, P, pdf=True, code_version=CODE, notebooks=None)
    assert [r.status for r in first][-1] == "ok"
    (root / "fail-second").write_text("x")
    (root / "config" / "a1.yaml").write_text(
        (root / "config" / "a1.yaml").read_text() + "\n# changed\n"
    )  # the data changed: every stage re-runs
    cfg = batch.load_area_config("a1")
    second = batch.run_area(cfg, P, pdf=True, code_version=CODE)
    status = {r.stage: r.status for r in second}
    assert status["02_second"] == "failed" and status["panel-pack"] == "incomplete"
    assert built[-1] == ["01_first.json"]  # the old 02 figures were gone before the pack
    assert batch.batch_failed(second)


def test_resume_sees_an_edit_that_keeps_size_and_mtime(project, tmp_path):
    root, _ = project
    raw = tmp_path / "raw.csv"
    raw.write_text("a,b\n1,2\n")
    text = (root / "config" / "a1.yaml").read_text()
    (root / "config" / "a1.yaml").write_text(re.sub(r"(?m)^  msg: .*$", f"  msg: {raw}", text))
    cfg = batch.load_area_config("a1")
    fp1 = batch.raw_fingerprint(cfg)
    st = raw.stat()
    raw.write_text("a,b\n9,2\n")  # same size
    os.utime(raw, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime
    assert batch.raw_fingerprint(cfg) != fp1


def test_pack_cover_names_the_stages_left_out():
    """The pack's cover (not only the at-a-glance page) says which stages are missing."""
    import jinja2

    from helpers.report.export import TEMPLATE_NAME, TEMPLATES_DIR
    from helpers.report.pack import _month_name

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR / TEMPLATE_NAME)),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,
    )
    env.filters["month_name"] = _month_name
    env.filters["b64"] = lambda text: text
    tpl = env.get_template("panel_pack.html.j2")
    p = {"area": "a1", "period": P, "area_name": "A1", "period_name": "year to March 2022"}
    rest = {"manifest": {}, "parameters": [], "packages": [], "inputs": [], "sources": []}
    from collections import defaultdict

    rest["s"] = defaultdict(list)  # every section empty: only the cover matters here
    html = tpl.render(p=p, stages=[], glance=[], missing=["Ward hotspots"], **rest)
    cover = html.split("<main")[0]
    assert "Incomplete" in cover and "Ward hotspots" in cover
    whole = tpl.render(p=p, stages=[], glance=[], missing=[], **rest)
    assert "Incomplete" not in whole.split("<main")[0]
