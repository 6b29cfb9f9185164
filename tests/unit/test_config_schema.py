"""The strict area-config schema (issue 16, finding 2): every key at every level is known, typed
and ranged; the YAML reader refuses repeated keys and anchors/aliases.

Each test writes a config into ``tmp_path`` and expects a ConfigError naming the key path, the
value and what to write -- or, for the agreed new keys, a clean load.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers.core import config as C
from helpers.core.config import load_area_config, run_config
from helpers.core.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def _without_blocks(text: str) -> str:
    """The sample config without its committee, exceptional-period and area-definition entries,
    so that each test can add its own (a repeated key is itself refused)."""
    out, skip = [], None
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if skip is not None:
            if stripped and not stripped.startswith("#") and indent <= skip:
                skip = None
            elif not stripped or indent > skip or stripped.startswith("#"):
                continue
        if stripped.startswith(("committee:", "exceptional_periods:", "area_filter:")):
            skip = indent
            continue
        out.append(line)
    return "".join(out)


SAMPLE = _without_blocks((REPO / "config" / "wexley.yaml").read_text(encoding="utf-8"))


def _write(tmp_path: Path, text: str, name: str = "x.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _refused(tmp_path: Path, text: str, *patterns: str) -> str:
    p = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_area_config(str(p))
    msg = str(info.value)
    assert "What to do" in msg and p.name in msg
    for pat in patterns:
        assert re.search(pat, msg), f"{pat!r} not in:\n{msg}"
    return msg


def _edit(old: str, new: str) -> str:
    assert old in SAMPLE, old
    return SAMPLE.replace(old, new, 1)


def test_sample_config_passes_the_schema_and_records_its_hash():
    import hashlib

    cfg = load_area_config("wexley")
    assert cfg.sha256 == hashlib.sha256((REPO / "config" / "wexley.yaml").read_bytes()).hexdigest()


def test_typo_below_the_top_level_is_refused_with_a_suggestion(tmp_path):
    text = _edit("  crs: EPSG:27700", "  crs: EPSG:27700\n  area_fliter: {LAD19CD: [E1]}")
    _refused(tmp_path, text, r"geography\.area_fliter", r"did you mean 'geography\.area_filter'")


def test_misspelt_disclosure_threshold_is_refused_not_defaulted(tmp_path):
    text = _edit("disclosure_threshold: 5", "disclosure_treshold: 25")
    _refused(tmp_path, text, r"analysis\.disclosure_treshold", r"disclosure_threshold'\?")


def test_repeated_key_is_refused_with_both_lines(tmp_path):
    text = SAMPLE + "\nanalysis:\n  disclosure_threshold: 7\n"
    msg = _refused(tmp_path, text, r"'analysis' appears twice", r"lines \d+ and \d+")
    first = SAMPLE.splitlines().index("analysis:") + 1
    assert f"lines {first} and" in msg


def test_repeated_nested_key_is_named_by_its_path(tmp_path):
    text = _edit("  ward_name: ward_name", "  ward_name: ward_name\n  ward_code: WD19CD")
    _refused(tmp_path, text, r"'geography\.ward_code' appears twice")


@pytest.mark.parametrize("word", ['"false"', "'true'", '"no"'])
def test_quoted_boolean_is_refused(tmp_path, word):
    text = re.sub(r"synthetic: true", f"synthetic: {word}", SAMPLE, count=1)
    _refused(tmp_path, text, r"'synthetic' is the text", r"without quotes")


@pytest.mark.parametrize(
    ("old", "new", "patterns"),
    [
        (
            "police_uk: data/raw/wexley/police_uk",
            "police_uk: 2022",
            [r"sources\.police_uk", r"2022", r'quotes: police_uk: "2022"'],
        ),
        (
            "police_uk: data/raw/wexley/police_uk",
            "police_uk: [a, b]",
            [r"sources\.police_uk", r"a list"],
        ),
        ("wards: data/raw/wexley/wards.geojson", "wards: true", [r"sources\.wards", r"true"]),
        (
            "  crs: EPSG:27700",
            "  crs: EPSG:27700\n  area_filter: [E1, E2]",
            [r"geography\.area_filter", r"must be a set of 'name: value'"],
        ),
        (
            "disclosure_threshold: 5",
            'disclosure_threshold: "5"',
            [r"analysis\.disclosure_threshold", r"'5'", r"without quotes"],
        ),
        (
            "disclosure_threshold: 5",
            "disclosure_threshold: 0",
            [r"analysis\.disclosure_threshold", r"greater than or equal to 1"],
        ),
        (
            "msg_limit_method: funnel_overdispersed",
            "msg_limit_method: funel",
            [r"msg_limit_method", r"'funel'", r"funnel_overdispersed, funnel, mean_sd"],
        ),
        (
            "      offence_id: Occurrence Ref",
            "      ofence_id: Occurrence Ref",
            [r"columns\.ofence_id", r"did you mean 'sources\.force_extract\.columns\.offence_id'"],
        ),
        ("csp_name: Wexley", "csp_name: no", [r"'csp_name' is false", r"in quotes"]),
        ("  slug: wexshire", "  slg: wexshire", [r"'force\.slug' is missing", r"force\.slg"]),
    ],
    ids=[
        "path-is-a-number",
        "path-is-a-list",
        "wards-true",
        "area-filter-list",
        "threshold-quoted",
        "threshold-zero",
        "limit-method",
        "extract-column-typo",
        "yaml-no-is-false",
        "force-slug-typo",
    ],
)
def test_wrong_types_are_refused_with_path_value_and_fix(tmp_path, old, new, patterns):
    _refused(tmp_path, _edit(old, new), *patterns)


def test_alias_bomb_is_refused_before_expansion(tmp_path):
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    _refused(tmp_path, SAMPLE + "\n" + "\n".join(levels) + "\n", r"anchor or alias", r"line \d+")


def test_every_problem_of_a_file_is_listed_at_once(tmp_path):
    text = _edit("disclosure_threshold: 5", "disclosure_threshold: five").replace(
        "synthetic: true", 'synthetic: "yes"'
    )
    _refused(tmp_path, text, r"2 problem", r"disclosure_threshold", r"synthetic")


def test_impossible_date_is_a_message_not_a_yaml_crash(tmp_path):
    text = SAMPLE + "committee: {name: P, meeting_date: 2022-02-30, author: A, contact: a@b.c}\n"
    _refused(tmp_path, text, r"committee\.meeting_date", r"2022-02-30 is not a calendar date")


def test_agreed_new_keys_load(tmp_path):
    text = (
        _edit(
            "ward_population: data/raw/wexley/ward_population.csv",
            "ward_population: {path: w.xlsx, sheet: Mid-2020, ward_code: WD20CD, "
            "population: All Ages, year: 2020}",
        )
        .replace("  crs: EPSG:27700", "  crs: EPSG:27700\n  area_wards: [E05000001, E05000002]")
        .replace(
            "  msg_limit_method",
            "  exceptional_periods:\n    - {name: lockdowns, start: 2020-03, end: 2021-06}\n"
            "  msg_limit_method",
        )
    )
    text += (
        "committee:\n  name: Overview and Scrutiny Panel\n  meeting_date: 2022-06-14\n"
        "  author: A. Analyst\n  contact: a@example.org\n"
    )
    cfg = load_area_config(str(_write(tmp_path, text)))
    assert cfg.committee["meeting_date"] == "2022-06-14"
    assert cfg.exceptional_periods == [{"name": "lockdowns", "start": "2020-03", "end": "2021-06"}]
    assert cfg.source_options("ward_population")["sheet"] == "Mid-2020"
    assert cfg.geography["area_wards"] == ["E05000001", "E05000002"]


def test_two_area_definitions_are_refused(tmp_path):
    text = _edit(
        "  crs: EPSG:27700", "  crs: EPSG:27700\n  area_wards: [E1]\n  area_boundary: b.gpkg"
    )
    _refused(tmp_path, text, r"area_wards and area_boundary are both set")


def test_exceptional_period_backwards_is_refused(tmp_path):
    text = _edit(
        "  msg_limit_method",
        "  exceptional_periods: [{name: x, start: 2021-06, end: 2020-03}]\n  msg_limit_method",
    )
    _refused(tmp_path, text, r"exceptional_periods\[0\]", r"before it starts")


def test_schema_agrees_with_the_code_that_reads_it():
    from helpers.ingest import loading
    from helpers.stages import msg

    assert C.LIMIT_METHODS == msg.LIMIT_METHODS
    cols = C.ExtractColumns.model_fields
    assert set(cols) == {
        *loading.FORCE_EXTRACT_REQUIRED,
        *loading.FORCE_EXTRACT_OPTIONAL,
        *loading.FORCE_EXTRACT_FLAGS,
    }
    assert {k for k, f in cols.items() if f.is_required()} == set(loading.FORCE_EXTRACT_REQUIRED)


def test_config_outside_config_folder_is_found_and_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    p = _write(
        tmp_path / "sub", SAMPLE.replace("area: wexley", "area: elsewhere"), "elsewhere.yaml"
    )
    assert load_area_config("sub/elsewhere.yaml").path == p.resolve()
    with pytest.raises(ConfigError) as info:
        load_area_config("sub/nowhere.yaml")
    assert "nowhere.yaml does not exist" in str(info.value)
    assert "no config/" not in str(info.value)


def test_run_config_refuses_a_config_of_another_area(tmp_path):
    p = _write(tmp_path, SAMPLE.replace("area: wexley", "area: other"))
    assert run_config("other", str(p)).path == p
    with pytest.raises(ConfigError, match=r"is for area 'other', but the run is for area 'wexley'"):
        run_config("wexley", str(p))


def test_run_config_env_makes_area_lookups_read_the_run_file(tmp_path, monkeypatch):
    """Code that knows only the area name (pack, export) reads the run's config, not config/."""
    p = _write(tmp_path, SAMPLE.replace("disclosure_threshold: 5", "disclosure_threshold: 9"))
    monkeypatch.setenv(C.RUN_CONFIG_ENV, str(p))
    assert load_area_config("wexley").disclosure_threshold == 9
    monkeypatch.setenv(
        C.RUN_CONFIG_ENV, str(_write(tmp_path, SAMPLE.replace("area: wexley", "area: b"), "b.yaml"))
    )
    assert load_area_config("wexley").path == REPO / "config" / "wexley.yaml"


def test_docs_list_every_schema_key():
    """docs/config.md (which every schema message points to) names every key of the schema."""
    doc = (REPO / "docs" / "config.md").read_text(encoding="utf-8")

    def walk(model, prefix=""):
        for name, f in model.model_fields.items():
            yield prefix + name
            sub = C._model_of(f.annotation)
            if sub is not None and sub is not C.ExtractColumns:
                yield from walk(sub, f"{prefix}{name}.")

    missing = [k for k in walk(C.AreaSchema) if k.split(".")[-1] not in doc]
    assert missing == []
