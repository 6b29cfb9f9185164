"""Reliability plumbing (a plugin loaded by tests/conftest.py, so that the pytest-xdist
controller runs it too): "nothing lost" and "no tracebacks" checks for the whole test session.

* **Raw files never modified.** Every file under ``data/raw/`` is hashed once collection is
  finished (before any test runs) and again when the session ends; a file that changed or
  disappeared fails the run (exit status 1) with its name. New files are allowed (the sample
  generator creates ``data/raw/wexley/`` in a fresh clone), and a raw folder whose
  ``SYNTHETIC_DATA.txt`` marker changed was rebuilt by ``helpers.sample.wexley.ensure_sample`` (the
  one legitimate writer) and is reported, not failed. Because the hooks are session-wide they
  cover every test collected in the same run, not only this folder's.
* **Tracebacks counted.** A catalogue case that ends in an exception other than an assertion
  (i.e. a bare Python error where a :class:`~helpers.core.errors.ScrutinyError` was due) is counted;
  the terminal summary gives ``N cases, M tracebacks`` (goal: zero).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data" / "raw"
MARKER = "SYNTHETIC_DATA.txt"

_state: dict = {"before": None, "cases": 0, "tracebacks": [], "failed": 0}


def _hash_tree(root: Path) -> dict[str, str]:
    out = {}
    if root.is_dir():
        for p in sorted(root.rglob("*")):
            if p.is_file():
                h = hashlib.sha256()
                with open(p, "rb") as fh:
                    while block := fh.read(1 << 20):
                        h.update(block)
                out[str(p.relative_to(root))] = h.hexdigest()
    return out


def raw_changes(before: dict[str, str], after: dict[str, str]) -> tuple[list[str], list[str]]:
    """(changed or deleted files, folders rebuilt by the sample generator)."""
    rebuilt = sorted(
        {
            str(Path(k).parent)
            for k in before
            if Path(k).name == MARKER and before.get(k) != after.get(k)
        }
    )
    bad = []
    for name, digest in before.items():
        if any(name.startswith(f"{r}/") for r in rebuilt):
            continue
        if after.get(name) != digest:
            bad.append(f"{name} ({'deleted' if name not in after else 'modified'})")
    return bad, rebuilt


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "reliability: a catalogue case of a bad input or fault (tests/reliability)"
    )


def _is_xdist_worker(config) -> bool:
    return hasattr(config, "workerinput")


def pytest_sessionstart(session):
    # Build the sample first (a fresh clone has none) so the whole raw tree is hashed before any
    # test runs, not only what happened to exist. Under pytest-xdist the controller does this
    # once (it starts before the workers and finishes after them).
    if _is_xdist_worker(session.config):
        return
    from helpers.sample import wexley as sample

    sample.ensure_sample()
    _state["before"] = _hash_tree(RAW)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if call.when != "call" or item.path.name != "test_catalogue.py":
        return
    report = outcome.get_result()
    report.user_properties.append(("catalogue_case", True))
    if call.excinfo is None or call.excinfo.errisinstance(
        (AssertionError, pytest.fail.Exception, pytest.skip.Exception)
    ):
        return
    from helpers.core.errors import ScrutinyError

    if not call.excinfo.errisinstance(ScrutinyError):
        report.user_properties.append(
            ("traceback", f"{item.nodeid}: {call.excinfo.typename}: {call.excinfo.value}")
        )


def pytest_runtest_logreport(report):
    """Counted where reports arrive: this process, or the xdist controller."""
    props = dict(report.user_properties)
    if report.when != "call" or not props.get("catalogue_case"):
        return
    _state["cases"] += 1
    if report.failed:
        _state["failed"] += 1
    if "traceback" in props:
        _state["tracebacks"].append(props["traceback"])


def pytest_sessionfinish(session, exitstatus):
    before = _state["before"]
    if before is None or _is_xdist_worker(session.config):
        return
    bad, rebuilt = raw_changes(before, _hash_tree(RAW))
    _state["raw_bad"], _state["raw_rebuilt"] = bad, rebuilt
    if bad:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    tr = terminalreporter
    import sys

    fuzz = sys.modules.get("test_fuzz")
    if fuzz is not None:  # fuzzed inputs tried, by how they ended
        fuzz.pytest_terminal_summary_hook(tr)
    if _state["cases"]:
        tr.section("reliability catalogue")
        tr.write_line(
            f"{_state['cases']} cases run, {_state['failed']} failed, "
            f"{len(_state['tracebacks'])} gave a traceback instead of a clear message (goal: 0)"
        )
        for t in _state["tracebacks"]:
            tr.write_line(f"  TRACEBACK {t}")
    if _state["before"] is not None:
        tr.section("raw data unchanged")
        if _state.get("raw_bad"):
            tr.write_line(f"FAILED: {len(_state['raw_bad'])} raw file(s) changed during the run:")
            for b in _state["raw_bad"]:
                tr.write_line(f"  data/raw/{b}")
        else:
            tr.write_line(
                f"{len(_state['before'])} file(s) under data/raw/ hashed before and after the run: unchanged"
            )
        for r in _state.get("raw_rebuilt") or []:
            tr.write_line(
                f"  note: data/raw/{r} was rebuilt by the sample generator (marker changed)"
            )
