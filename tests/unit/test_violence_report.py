"""helpers.stages.violence_report: stage 03's sections on a small hand-built extract and street table.

The extract is ``hand_extract`` of tests/unit/test_violence.py (its docstring works every count
out by hand): 11 violent offences in the current period, 8 in the previous one, 4 of the 11
domestic; one theft is added to every month of both periods (so every month is held and the
comparison is over all twelve), making 22 + 12 = 34 crimes now and 16 + 12 = 28 before. The street table is built below with its counts stated. Expected values are
those hand counts, never the code's own output.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import matplotlib
import pandas as pd
import pytest
from test_violence import hand_extract

from helpers.core.errors import PeriodError
from helpers.core.sections import Section
from helpers.stages import violence_report as VR

matplotlib.use("Agg")

CUR = [str(p) for p in pd.period_range("2021-04", "2022-03", freq="M")]
PREV = [str(p) for p in pd.period_range("2020-04", "2021-03", freq="M")]


def street() -> pd.DataFrame:
    """Each previous month: 2 violence and sexual offences, 3 burglaries, 1 ASB (24 V&SO of 60
    crimes); each current month: 3 V&SO, 3 burglaries (36 of 72, a 50% share)."""
    rows = []
    for m in PREV:
        rows += [(m, "Violence and sexual offences")] * 2 + [(m, "Burglary")] * 3
        rows += [(m, "Anti-social behaviour")]
    for m in CUR:
        rows += [(m, "Violence and sexual offences")] * 3 + [(m, "Burglary")] * 3
    df = pd.DataFrame(rows, columns=["month", "crime_type"])
    df["is_asb"] = df["crime_type"] == "Anti-social behaviour"
    return df


@pytest.fixture
def fake_data(monkeypatch, tmp_path):
    """Processed data for 'wexley' 2022-03 from the hand-built frames; outputs go to tmp_path."""
    from scratch import make_project

    root = make_project(tmp_path / "proj")
    monkeypatch.setenv("CSP_SCRUTINY_ROOT", str(root))
    from test_violence import row

    filler = pd.DataFrame([row(m, "49", "", group="Theft offences") for m in PREV + CUR])
    extract = pd.concat([hand_extract(), filler], ignore_index=True)
    extract["hour"] = extract["hour"].astype("Int64")
    extract["domestic_flag"] = extract["domestic_flag"].astype("boolean")
    data = SimpleNamespace(extract=extract, street=street(), synthetic=True)
    monkeypatch.setattr(VR.processed, "load_processed", lambda area, period: data)
    return data


def _context(**kw):
    return VR.prepare("wexley", "2022-03", **kw)


def test_source_is_resolved_once_and_sections_follow_it(fake_data):
    ctx = _context()
    assert ctx.source == "extract"
    share = VR.share(ctx)
    assert share.figures["violence_current"] == 11 and share.figures["violence_previous"] == 8
    assert share.figures["share_of_all_crime"] == pytest.approx(11 / 34 * 100)
    dom = VR.domestic(ctx)
    assert dom.figures["domestic_share"] == pytest.approx(4 / 11 * 100)
    assert dom.glance == {"With a domestic abuse flag": "36.4%"}

    pu = _context(source="police_uk")
    assert pu.source == "police_uk"
    for build in (VR.share, VR.subgroups, VR.injury_detail, VR.domestic, VR.location, VR.heatmap):
        s = build(pu)
        assert not s.tables and not s.figures and not s.saved and s.table is None
        assert "police.uk" in " ".join(s.sentences)
    first, by_month = VR.police_uk(pu)
    assert first.figures["policeuk_violence_and_sexual_current"] == 36
    assert first.figures["policeuk_share_of_all_crime"] == pytest.approx(50.0)
    assert set(first.tables) == {"policeuk_monthly", "policeuk_summary"}
    assert by_month.alt.startswith("Monthly police.uk violence and sexual offences, April 2020")


def test_alt_text_is_the_sections_own_and_figures_drawn_only_with_draw(fake_data):
    from helpers.present import violence_figures as VF

    plain = _context()
    sub = VR.subgroups(plain)
    assert sub.figure is None and sub.alt == sub.saved[0]
    assert sub.alt.startswith("Violent crime breaks down as")
    drawn = VR.subgroups(_context(draw=VF))
    fig = drawn.figure()
    try:
        assert [t.get_text() for t in fig.axes[0].get_yticklabels()][
            -1
        ] == "Violence without injury"
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


def test_saved_outputs_come_from_the_sections(fake_data):
    ctx = _context()
    sections = [
        VR.introduction(ctx),
        VR.headline(ctx),
        VR.source(ctx),
        VR.share(ctx),
        VR.subgroups(ctx),
        VR.injury_detail(ctx),
        VR.domestic(ctx),
        VR.location(ctx),
        VR.heatmap(ctx),
        VR.unknown_codes(ctx),
        VR.police_uk(ctx),
    ]
    assert all(isinstance(s, Section) for s in VR._flatten(sections))
    VR.save(ctx, sections)
    from helpers.core import paths

    out = paths.report_dir("wexley", "2022-03")
    saved = json.loads((out / "figures" / "03_violence.json").read_text(encoding="utf-8"))
    tables = sorted(p.name for p in (out / "tables").glob("03_violence__*.csv"))
    assert tables == [
        f"03_violence__{n}.csv"
        for n in sorted(
            ["share_of_all_crime", "subgroups", "injury_detail", "domestic", "location_shares",
             "town_centre_heatmap", "unknown_codes"]
        )
    ]  # fmt: skip
    s = saved["sentences"]
    assert s[0].startswith("Violence against the person: 11 offences")  # the headline first
    assert s[1].startswith("Recorded violence against the person rose")
    assert s[2].startswith("Violent crime breaks down as")
    assert saved["headlines"] == s[:3]
    assert [k for k, _ in saved["glance"]] == [
        "Violence against the person",
        "Change on the previous period",
        "Share of all recorded crime",
        "With a domestic abuse flag",
    ]
    assert saved["figures"]["source"] == "extract"
    assert saved["figures"]["unknown_code_offences"] == 1  # the one 9ZZ offence
    assert set(saved["table_periods"]) == {"subgroups", "domestic"}

    # a police.uk-only run afterwards clears the extract run's tables
    pu = _context(source="police_uk")
    VR.save(pu, [VR.introduction(pu), VR.headline(pu), VR.police_uk(pu)])
    assert sorted(p.name for p in (out / "tables").glob("03_violence__*.csv")) == [
        "03_violence__policeuk_monthly.csv",
        "03_violence__policeuk_summary.csv",
    ]


def test_a_table_saved_by_two_sections_is_an_error(fake_data):
    ctx = _context()
    with pytest.raises(ValueError, match="share_of_all_crime"):
        VR.save(ctx, [VR.share(ctx), VR.share(ctx)])


def test_no_like_for_like_month_is_a_period_error(fake_data):
    fake_data.extract = fake_data.extract[fake_data.extract["month"] >= "2021-04"]
    with pytest.raises(PeriodError, match="like-for-like"):
        _context()
