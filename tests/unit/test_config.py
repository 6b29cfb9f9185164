import pytest

from helpers.core.config import load_area_config
from helpers.core.errors import ConfigError, OutputError
from helpers.core.paths import safe_name


def test_sample_config_loads():
    cfg = load_area_config("wexley")
    assert cfg.synthetic and cfg.force_slug == "wexshire" and cfg.disclosure_threshold == 5
    assert cfg.source("police_uk").name == "police_uk"


def test_unknown_area_suggests_the_nearest():
    with pytest.raises(ConfigError, match="Did you mean 'wexley'"):
        load_area_config("wexly")


def test_misspelt_key_is_named(tmp_path):
    p = tmp_path / "a.yaml"
    p.write_text(
        "area: a\nname: A\ncsp_name: A\nforce: {name: F, slug: f}\nsources: {}\nanalysys: {}\n"
    )
    with pytest.raises(ConfigError, match="analysys.*did you mean 'analysis'"):
        load_area_config(str(p))


@pytest.mark.parametrize("bad", ["../etc", "a/b", ".hidden", "", "x" * 80])
def test_path_traversal_names_refused(bad):
    with pytest.raises(OutputError):
        safe_name(bad)


def test_standard_baselines_exist_for_every_area(tmp_path):
    p = tmp_path / "b.yaml"
    p.write_text(
        "area: b\nname: B\ncsp_name: B\nforce: {name: F, slug: f}\nsources: {}\n"
        "analysis: {baselines: {year to March 2019: '2019-03'}}\n"
    )
    cfg = load_area_config(str(p))
    assert cfg.baselines == {
        "pre-COVID (year to Dec 2019)": "2019-12",
        "year to June 2019": "2019-06",
        "year to March 2019": "2019-03",
    }
