"""environment.yml (conda) and pyproject.toml (pip) must list the same dependencies."""

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
CONDA_NAMES = {"python-duckdb": "duckdb"}  # conda-forge name -> PyPI name


def _name(spec: str) -> str:
    return re.split(r"[<>=!\[ ]", spec.strip(), maxsplit=1)[0].lower()


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pip_names = {_name(d) for d in project["dependencies"]}
    pip_names |= {_name(d) for d in project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    conda = set()
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            n = _name(dep)
            if n not in ("python", "pip"):
                conda.add(CONDA_NAMES.get(n, n))
    assert conda - pip_names == set(), "in environment.yml but not pyproject.toml"
    assert pip_names - conda == set(), "in pyproject.toml but not environment.yml"
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section, "environment.yml must install the package itself"
