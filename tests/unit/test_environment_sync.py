"""environment.yml (conda), pyproject.toml (pip) and requirements.lock must agree."""

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


def _lock_pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^ ;\\]+)", line)
        if m:
            pins[m.group(1).lower().replace("_", "-").replace(".", "-")] = m.group(2)
    return pins


def test_lock_pins_every_dependency_within_its_bounds():
    """`make setup` installs requirements.lock: it must pin every declared dependency, with hashes,
    at a version inside pyproject's (and so environment.yml's) bounds. Re-run `make lock` if not."""
    from packaging.requirements import Requirement

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    specs = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    pins = _lock_pins()
    for spec in specs:
        req = Requirement(spec)
        key = req.name.lower().replace("_", "-").replace(".", "-")
        assert key in pins, (
            f"{req.name} is in pyproject.toml but not in requirements.lock: run make lock"
        )
        assert req.specifier.contains(pins[key], prereleases=True), (
            f"requirements.lock pins {req.name}=={pins[key]}, outside pyproject's {req.specifier}"
        )
    text = (REPO / "requirements.lock").read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
    unhashed = [b.split()[0] for b in blocks if "==" in b.split("\n")[0] and "--hash=" not in b]
    assert not unhashed, f"pins without a hash in requirements.lock: {unhashed}"
