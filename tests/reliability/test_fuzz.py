"""Fuzzing the cleaning stage (issue 16, item 5): whole classes of bad input, not a list of cases.

Hypothesis mutates the tiny area's config (drop, rename, retype or duplicate a key, at any level)
and its police.uk files (truncate, flip bytes, copy or rename a file, shift columns, change the
encoding or line endings, add junk rows), then runs ``scrutiny clean`` in a scratch project
(``CSP_SCRUTINY_ROOT`` -> tmp). The invariant, for every input:

* **exit 0**: the ledger balances for every file and the kept, read and rejected counts equal an
  independent oracle written here with the csv module and pyproj (no code under test); or
* **exit 2**: one message that names the file or the config key and says "What to do";
* never a traceback (any other exception fails), never a hang (a watchdog alarm fails the
  example), and the raw files are byte-identical afterwards.

Bounded in CI: the ``ci`` profile tries ``CSP_FUZZ_EXAMPLES`` examples (default 25) per test with a
deadline per example. A long run on demand::

    CSP_FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest -q tests/reliability/test_fuzz.py

The test session's summary prints how many fuzzed inputs were tried and how they ended.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import gzip
import hashlib
import io
import os
import re
import shutil
import signal
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policeuk_support import E0, N0, street_row
from pyproj import Transformer

from helpers.ingest.loading import STREET_COLUMNS
from helpers.run import cli

pytestmark = pytest.mark.reliability

EXAMPLES = int(os.environ.get("CSP_FUZZ_EXAMPLES", "25"))
# CSP_FUZZ_TALLY=1: never fail, only count how each input ended (used to measure the code before
# and after the issue 16 fixes on the same derandomized inputs)
TALLY = bool(os.environ.get("CSP_FUZZ_TALLY"))
settings.register_profile(
    "csp-fuzz",
    max_examples=EXAMPLES,
    deadline=None if TALLY else timedelta(seconds=30),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=EXAMPLES <= 25,  # CI: the same inputs every run; a long run explores
    database=None,
)
WATCHDOG_SECONDS = 60
GOOD = ("right answer", "success, balanced", "clear stop")  # balanced: no oracle (configs)
PERIOD = "2022-03"
MONTHS = ["2022-01", "2022-02", "2022-03"]
KNOWN_TYPES = {"Burglary", "Drugs", "Anti-social behaviour", "Shoplifting"}
TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)

OUTCOMES: Counter = Counter()  # (test, outcome) -> inputs; printed at the end of the session


# --------------------------------------------------------------------------- the scratch project


def _rows(month: str, i: int) -> list[list[str]]:
    rows = [
        street_row(f"{month}-a{i}".ljust(64, "0"), month, E0 + 500, N0 + 500, "L1"),
        street_row(f"{month}-b{i}".ljust(64, "0"), month, E0 + 1500, N0 + 300, "L2", "Drugs"),
        street_row(f"{month}-c{i}".ljust(64, "0"), month, None, None, "L2", "Shoplifting"),
        street_row("", month, E0 + 200, N0 + 800, "L1", "Anti-social behaviour"),
        street_row("", month, None, None, "L1", "Anti-social behaviour"),
        street_row("", month, E0 + 9000, N0 + 800, "L9", "Anti-social behaviour"),  # outside
    ]
    rows[1][6] = "On or near Café"
    return rows


def _csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(STREET_COLUMNS)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def build_project(root: Path) -> dict:
    """A project root with a tiny area (two 1 km wards, an LSOA lookup, three months)."""
    raw = root / "data" / "raw" / "fz"
    police = raw / "police_uk"
    for i, m in enumerate(MONTHS):
        (police / m).mkdir(parents=True)
        (police / m / f"{m}-test-street.csv").write_bytes(_csv(_rows(m, i)))
    sq = lambda x0: [[[x0, N0], [x0 + 1000, N0], [x0 + 1000, N0 + 1000], [x0, N0 + 1000], [x0, N0]]]  # noqa: E731
    feats = [
        {"type": "Feature", "properties": {"ward_code": c, "ward_name": n},
         "geometry": {"type": "Polygon", "coordinates": sq(x)}}
        for c, n, x in (("W1", "West", E0), ("W2", "East", E0 + 1000))
    ]  # fmt: skip
    import json

    (raw / "wards.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
                "features": feats,
            }
        )
    )
    (raw / "lookup.csv").write_text("LSOA11CD,LSOA11NM,WD19CD,WD19NM\nL1,A,W1,West\nL2,B,W2,East\n")
    (raw / "ward_pop.csv").write_text("ward_code,population\nW1,1000\nW2,2000\n")
    (root / "config").mkdir()
    (root / "pyproject.toml").write_text("")
    doc = {
        "area": "fz",
        "name": "Fuzz",
        "csp_name": "Fuzz",
        "synthetic": False,
        "force": {"name": "Test Police", "slug": "test"},
        "sources": {
            "police_uk": "data/raw/fz/police_uk",
            "wards": "data/raw/fz/wards.geojson",
            "ward_population": "data/raw/fz/ward_pop.csv",
            "lsoa_lookup": "data/raw/fz/lookup.csv",
        },
        "geography": {"crs": "EPSG:27700", "ward_code": "ward_code", "ward_name": "ward_name"},
        "analysis": {"disclosure_threshold": 5, "baselines": {"old": "2021-12"}},
    }
    return doc


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz-template") / "root"
    root.mkdir()
    doc = build_project(root)
    return root, doc


@contextlib.contextmanager
def scratch(template):
    """A fresh copy of the template project, CSP_SCRUTINY_ROOT pointing at it."""
    root, doc = template
    tmp = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        work = tmp / "root"
        shutil.copytree(root, work, symlinks=True)
        old = os.environ.get("CSP_SCRUTINY_ROOT")
        os.environ["CSP_SCRUTINY_ROOT"] = str(work)
        try:
            yield work, copy.deepcopy(doc)
        finally:
            if old is None:
                os.environ.pop("CSP_SCRUTINY_ROOT", None)
            else:
                os.environ["CSP_SCRUTINY_ROOT"] = old
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _hash_tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


class _Hang(Exception):
    pass


@contextlib.contextmanager
def watchdog(seconds: int = WATCHDOG_SECONDS):
    def fire(signum, frame):  # noqa: ARG001
        raise _Hang(f"cleaning did not finish within {seconds} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run_clean(root: Path, config: Path, capsys) -> tuple[int, str]:
    """``scrutiny clean --config`` in the scratch project; (exit code, stderr)."""
    raw_before = _hash_tree(root / "data" / "raw")
    capsys.readouterr()
    with watchdog():
        code = cli.main(["clean", "--config", str(config), "--period", PERIOD])
    err = capsys.readouterr().err
    assert _hash_tree(root / "data" / "raw") == raw_before, "raw files must be byte-identical"
    return code, err


# --------------------------------------------------------------------------- the oracle


def _decode(data: bytes) -> str | None:
    """The text the file holds, or None where a clear stop is the right answer."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in data or data.startswith((b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0")):
        return None
    out, i = [], 0
    if data.startswith(b"\xef\xbb\xbf"):
        i = 3
    while i < len(data):  # UTF-8 where it is valid, Windows-1252 byte by byte where it is not
        for n in (1, 2, 3, 4):
            try:
                out.append(data[i : i + n].decode("utf-8"))
                i += n
                break
            except UnicodeDecodeError:
                continue
        else:
            try:
                out.append(data[i : i + 1].decode("cp1252"))
            except UnicodeDecodeError:
                return None
            i += 1
    return "".join(out)


def _num(text: str) -> float | None:
    try:
        v = float(text.strip())
    except ValueError:
        return None
    return v if v == v and abs(v) != float("inf") else None


def oracle(police: Path) -> dict | None:
    """Rows read, kept and rejected per street file, by the documented rules; None = must stop.

    Independent of the code under test: file discovery, copy detection, decoding, the CSV
    parse (csv module), the row rules and ward placement (pyproj + the two squares) are all
    written out here.
    """
    pat = re.compile(r"(?:^|/)(\d{4}-\d{2})-([a-z0-9-]+?)-(street|outcomes)\.csv(?:\.gz)?$")
    found = []
    for p in sorted(police.rglob("*")):
        if not p.is_file() or p.name.startswith("."):
            continue
        label = str(p.relative_to(police))
        m = pat.search(label)
        if m and m.group(2) == "test" and m.group(3) == "street":
            found.append((label, m.group(1), p))
    groups: dict[str, list] = {}
    for label, month, p in found:
        groups.setdefault(month, []).append((label, p))
    files = []
    dups: dict[str, str] = {}
    for month, group in groups.items():
        group.sort(key=lambda g: (g[0].endswith(".gz"), g[0].count("/"), g[0]))
        texts = []
        for _label, p in group:
            data = p.read_bytes()
            if data[:2] == b"\x1f\x8b":
                try:
                    data = gzip.decompress(data)
                except (OSError, EOFError):
                    return None
            texts.append(data.replace(b"\r\n", b"\n").lstrip(b"\xef\xbb\xbf"))
        if any(t != texts[0] for t in texts[1:]):
            return None  # two different files for one month: refused
        files.append((group[0][0], month, group[0][1]))
        for label, _p in group[1:]:
            dups[label] = group[0][0]
    if not any(m <= PERIOD for _l, m, _p in files):
        return None
    rows = []  # (label, file month, row number, fields or None for malformed)
    read: Counter = Counter()
    for label, month, p in sorted(files, key=lambda f: (f[1], f[0])):
        if month > PERIOD:
            continue
        text = _decode(p.read_bytes())
        if text is None or not text.strip():
            return None
        if text.count('"') % 2 == 1:
            return None  # an unclosed quote may be refused (the reader names the line)
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = [h.strip().lstrip("\ufeff").strip() for h in next(reader)]
            recs = [r for r in reader if r and r != [""]]
        except csv.Error:
            return None
        if any(c not in header for c in STREET_COLUMNS):
            return None
        number = 1
        read[label] += 0  # a header-only file is read, with 0 rows
        for rec in recs:
            number += 1
            read[label] += 1
            if len(rec) > len(header):
                rows.append((label, month, number, None))
                continue
            rec = rec + [""] * (len(header) - len(rec))
            rows.append((label, month, number, dict(zip(header, rec, strict=True))))
    if sum(read.values()) == 0:
        return None
    for dup, kept in dups.items():
        if kept in read:
            read[dup] = read[kept]
    # first file of each Crime ID, by (Month as written, file, row), over every parsed row
    first: dict[str, str] = {}
    order = sorted(
        (r for r in rows if r[3] is not None and r[3]["Crime ID"].strip()),
        key=lambda r: (r[3]["Month"].strip(), r[0], r[2]),
    )
    for label, _m, _n, f in order:
        first.setdefault(f["Crime ID"].strip(), label)
    kept: Counter = Counter()
    asb = 0
    for label, month, _n, f in rows:
        if f is None:
            continue
        m = f["Month"].strip()
        ctype = f["Crime type"].strip()
        cid = f["Crime ID"].strip()
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", m) or m != month or m > PERIOD:
            continue
        if ctype not in KNOWN_TYPES:
            continue
        if ctype != "Anti-social behaviour" and not cid:
            continue
        if cid and first[cid] != label:
            continue
        lon, lat = _num(f["Longitude"]), _num(f["Latitude"])
        placed = False
        if lon is not None and lat is not None and abs(lon) <= 180 and abs(lat) <= 90:
            if not (lon == 0 and lat == 0):
                e, n = TO_BNG.transform(lon, lat)
                placed = E0 <= e <= E0 + 2000 and N0 <= n <= N0 + 1000
                if not placed and f["LSOA code"].strip() not in ("L1", "L2"):
                    continue
        if not placed and f["LSOA code"].strip() not in ("L1", "L2"):
            continue
        kept[label] += 1
        asb += ctype == "Anti-social behaviour"
    return {"read": dict(read), "kept": dict(kept), "asb": asb}


def _check_success(root: Path) -> dict:
    import pandas as pd

    found = sorted((root / "data" / "processed").glob(f"*/{PERIOD}/ledger.csv"))
    assert len(found) == 1, f"expected one processed folder, found {found}"  # area may be renamed
    folder = found[0].parent
    ledger = pd.read_csv(folder / "ledger.csv")
    street = ledger[ledger["table"] == "street"]
    got_read = street[street.status == "read"].groupby("source")["rows"].sum().to_dict()
    got_kept = street[street.status == "kept"].groupby("source")["rows"].sum().to_dict()
    got_rej = street[street.status == "rejected"].groupby("source")["rows"].sum().to_dict()
    for src, n in got_read.items():  # balanced, file by file
        assert n == got_kept.get(src, 0) + got_rej.get(src, 0), f"ledger unbalanced for {src}"
    table = pd.read_parquet(folder / "street.parquet")
    return {
        "read": {k: int(v) for k, v in got_read.items()},
        "kept": {k: int(v) for k, v in got_kept.items() if v},
        "asb": int(table["is_asb"].sum()),
    }


def _assert_clear_stop(err: str, names: list[str]) -> None:
    assert "Traceback" not in err, err
    assert "What to do:" in err, f"no 'What to do' in: {err}"
    assert any(n in err for n in names), f"the message names none of {names}: {err}"


# --------------------------------------------------------------------------- config mutations

CONFIG_KEYS = {
    "top": ["area", "name", "csp_name", "synthetic", "force", "sources", "geography", "analysis"],
}
VALUES = st.one_of(
    st.integers(-3, 3000),
    st.booleans(),
    st.none(),
    st.text(min_size=0, max_size=8),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(min_size=1, max_size=3), st.integers(), max_size=2),
    st.just("false"),
    st.just("2019-13"),
)


def _paths(doc, prefix=()):
    for k, v in doc.items():
        yield (*prefix, k)
        if isinstance(v, dict):
            yield from _paths(v, (*prefix, k))


@st.composite
def config_mutation(draw):
    kind = draw(st.sampled_from(["drop", "rename", "retype", "duplicate", "add"]))
    index = draw(st.integers(0, 10_000))
    value = draw(VALUES)
    typo = draw(st.sampled_from(["swap", "drop-char", "double", "case"]))
    return kind, index, value, typo


def _typo(key: str, how: str) -> str:
    if len(key) < 2:
        return key + "x"
    if how == "swap":
        return key[1] + key[0] + key[2:]
    if how == "drop-char":
        return key[:-1]
    if how == "double":
        return key + key[-1]
    return key.upper()


def apply_config_mutation(doc: dict, mutation) -> tuple[str, str]:
    """Mutate the config; return (YAML text, the dotted key touched)."""
    kind, index, value, typo = mutation
    all_paths = list(_paths(doc))
    path = all_paths[index % len(all_paths)]
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    key = path[-1]
    dotted = ".".join(map(str, path))
    if kind == "drop":
        del parent[key]
    elif kind == "rename":
        parent[_typo(str(key), typo)] = parent.pop(key)
    elif kind == "retype":
        parent[key] = value
    elif kind == "add":
        parent[_typo(str(key), typo) + "_extra"] = value
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    if kind == "duplicate":  # a key written twice in its mapping
        lines = text.splitlines()
        indent = "  " * (len(path) - 1)
        for i, line in enumerate(lines):
            if line.startswith(f"{indent}{key}:"):
                j = i + 1
                while j < len(lines) and lines[j].startswith(indent + "  "):
                    j += 1
                text = "\n".join(lines[:j] + lines[i:j] + lines[j:]) + "\n"
                break
    return text, dotted


def judge(what: str, root: Path, config: Path, capsys, names: list[str], expected=...) -> str:
    """Run cleaning and say how it ended; in CI anything but a right answer or a clear stop
    fails the example with the reason."""
    raw_before = _hash_tree(root / "data" / "raw")
    try:
        code, err = run_clean(root, config, capsys)
    except _Hang:
        outcome, why = "hang", "did not finish"
    except AssertionError as exc:
        outcome, why = "raw files changed", str(exc)
    except Exception as exc:  # noqa: BLE001 - the thing being counted
        outcome, why = "traceback", f"{type(exc).__name__}: {exc}"
    else:
        if _hash_tree(root / "data" / "raw") != raw_before:
            outcome, why = "raw files changed", ""
        elif code == 0:
            try:
                got = _check_success(root)
                if expected is not ... and got != expected:
                    raise AssertionError(f"cleaning {got} != oracle {expected}")
                outcome, why = ("right answer" if expected is not ... else "success, balanced"), ""
            except AssertionError as exc:
                outcome, why = "wrong answer", str(exc)
        elif code == 2:
            try:
                _assert_clear_stop(err, names)
                outcome, why = "clear stop", ""
            except AssertionError as exc:
                outcome, why = "unclear message", str(exc)
        else:
            outcome, why = f"exit {code}", err
    OUTCOMES[(what, outcome)] += 1
    if TALLY and outcome not in GOOD and os.environ.get("CSP_FUZZ_VERBOSE"):
        import sys

        print(f"FUZZ {what} {outcome}: {' '.join(why.split())[:400]}", file=sys.__stderr__)
    if not TALLY:
        assert outcome in GOOD, f"{outcome}: {why}"
    return outcome


@settings(parent=settings.get_profile("csp-fuzz"))
@given(mutation=config_mutation())
def test_fuzzed_configs_end_in_success_or_a_clear_stop(template, capsys, mutation):
    with scratch(template) as (root, doc):
        text, dotted = apply_config_mutation(doc, mutation)
        config = root / "config" / "fz.yaml"
        config.write_text(text, encoding="utf-8")
        leaf = dotted.split(".")[-1]
        judge("config", root, config, capsys, ["fz.yaml", leaf, "data/raw/fz", "police_uk"])


# --------------------------------------------------------------------------- raw-file mutations

RAW_OPS = [
    "truncate",
    "flip",
    "copy-to-subfolder",
    "gzip-twin",
    "rename-month",
    "rename-bad",
    "shift-columns",
    "cp1252",
    "utf16",
    "crlf",
    "cr-only",
    "junk-rows",
    "bom",
    "insert-bytes",
]


@st.composite
def raw_mutation(draw):
    ops = draw(st.lists(st.sampled_from(RAW_OPS), min_size=1, max_size=3))
    return [
        (
            op,
            draw(st.integers(0, 2)),  # which month's file
            draw(st.integers(0, 10_000)),  # a position
            draw(st.binary(min_size=1, max_size=6)),  # bytes to write
            draw(st.text(max_size=30)),  # junk text
        )
        for op in ops
    ]


def apply_raw_mutation(police: Path, ops) -> list[str]:
    """Mutate the police.uk files in place (in the scratch copy); return the file names touched."""
    touched = []
    for op, which, pos, blob, junk in ops:
        files = sorted(p for p in police.rglob("*") if p.is_file())
        if not files:
            break
        p = files[which % len(files)]
        touched.append(p.name)
        data = p.read_bytes()
        if op == "truncate":
            p.write_bytes(data[: pos % max(len(data), 1)])
        elif op == "flip":
            i = pos % max(len(data), 1)
            p.write_bytes(data[:i] + bytes([data[i] ^ blob[0]]) + data[i + 1 :] if data else blob)
        elif op == "insert-bytes":
            i = pos % max(len(data), 1)
            p.write_bytes(data[:i] + blob + data[i:])
        elif op == "copy-to-subfolder":
            (police / "backup").mkdir(exist_ok=True)
            shutil.copy2(p, police / "backup" / p.name)
        elif op == "gzip-twin" and not p.name.endswith(".gz"):
            (p.parent / (p.name + ".gz")).write_bytes(gzip.compress(data, mtime=0))
        elif op == "rename-month":
            m = MONTHS[(pos + 1) % 3]
            target = p.parent / re.sub(r"^\d{4}-\d{2}", m, p.name)
            if target != p:
                p.rename(target)
                touched.append(target.name)
        elif op == "rename-bad":
            p.rename(p.with_name("copy of " + p.name.replace(".csv", ".txt")))
        elif op == "shift-columns":
            lines = data.split(b"\n")
            i = 1 + pos % max(len(lines) - 1, 1)
            if i < len(lines):
                lines[i] = (b"," if pos % 2 else b"") + lines[i].replace(b",", b"", pos % 2 ^ 1)
                p.write_bytes(b"\n".join(lines))
        elif op == "cp1252":
            with contextlib.suppress(UnicodeError):
                p.write_bytes(data.decode("utf-8").encode("cp1252"))
        elif op == "utf16":
            with contextlib.suppress(UnicodeError):
                p.write_bytes(data.decode("utf-8").encode("utf-16"))
        elif op == "crlf":
            p.write_bytes(data.replace(b"\n", b"\r\n"))
        elif op == "cr-only":
            p.write_bytes(data.replace(b"\n", b"\r"))
        elif op == "junk-rows":
            p.write_bytes(data + junk.encode("utf-8", "surrogatepass") + b"\n" + b"x,y\n")
        elif op == "bom":
            p.write_bytes(b"\xef\xbb\xbf" + data)
    return touched


@settings(parent=settings.get_profile("csp-fuzz"))
@given(ops=raw_mutation())
def test_fuzzed_raw_files_end_in_the_right_answer_or_a_clear_stop(template, capsys, ops):
    with scratch(template) as (root, doc):
        police = root / "data" / "raw" / "fz" / "police_uk"
        touched = apply_raw_mutation(police, ops)
        config = root / "config" / "fz.yaml"
        config.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        expected = oracle(police)
        names = [*touched, "police_uk", "data/raw/fz", "street", "March 2022"]  # or the period
        outcome = judge("raw files", root, config, capsys, names, expected)
        if outcome == "right answer" and expected is None and not TALLY:
            pytest.fail(f"cleaning succeeded where the oracle expects a stop: {ops}")


def test_unmutated_project_matches_the_oracle(template, capsys):
    """The oracle agrees with cleaning on the untouched tiny area (it is not vacuous)."""
    with scratch(template) as (root, doc):
        config = root / "config" / "fz.yaml"
        config.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        code, err = run_clean(root, config, capsys)
        assert code == 0, err
        expected = oracle(root / "data" / "raw" / "fz" / "police_uk")
        assert expected == _check_success(root)
        assert expected["asb"] == 6 and sum(expected["kept"].values()) == 15


def pytest_terminal_summary_hook(terminalreporter) -> None:  # called from conftest
    if OUTCOMES:
        terminalreporter.section("fuzzing")
        for (what, outcome), n in sorted(OUTCOMES.items()):
            terminalreporter.write_line(f"{what}: {n} input(s) ended in {outcome}")
