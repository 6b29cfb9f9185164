"""Text contrast of every colour pair the reports print: CSS rules, tile markers, chart labels.

WCAG 2 contrast is computed here from the formula (relative luminance of sRGB), independently of
helpers.present.charts.contrast_ratio, which is then checked against it.
"""

from __future__ import annotations

import re

import pytest

from helpers.present import charts
from helpers.report import wardmaps
from helpers.report.briefings import CSS_FILE as BRIEFINGS_CSS
from helpers.report.export import CSS_PATH, PACK_CSS_PATH

BODY_TEXT, PAGE = "#1a1a1a", "#ffffff"


def luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    out = []
    for i in (0, 2, 4):
        c = int(h[i : i + 2], 16) / 255
        out.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * out[0] + 0.7152 * out[1] + 0.0722 * out[2]


def ratio(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def css_rules(css: str) -> list[tuple[str, dict[str, str]]]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules = []
    for m in re.finditer(r"([^{}]+)\{([^{}]*)\}", css):
        props = {}
        for decl in m.group(2).split(";"):
            if ":" in decl:
                k, v = decl.split(":", 1)
                props[k.strip().lower()] = v.strip()
        rules.append((m.group(1).strip(), props))
    return rules


def _hex(value: str | None) -> str | None:
    if not value:
        return None
    m = re.search(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b", value)
    return m.group(0) if m else None


def test_formula_agrees_with_the_helper():
    for a, b in [("#000000", "#ffffff"), ("#777777", "#ffffff"), ("#0B3D6B", "#E8EEF4")]:
        assert charts.contrast_ratio(a, b) == pytest.approx(ratio(a, b), rel=1e-3)
    assert ratio("#000000", "#ffffff") == pytest.approx(21.0)


def test_every_css_text_colour_pair_is_at_least_4_5():
    rules = [
        rule
        for path in (CSS_PATH, PACK_CSS_PATH, BRIEFINGS_CSS)
        for rule in css_rules(path.read_text(encoding="utf-8"))
    ]
    # background of the element, else the nearest one we know: table heads, zebra rows, page
    backgrounds = {PAGE, "#e8eef4", "#f7f9fb"}
    checked = 0
    for selector, props in rules:
        fg = _hex(props.get("color"))
        bg = _hex(props.get("background") or props.get("background-color"))
        if fg is None and bg is None:
            continue
        if bg is not None:
            pairs = [(fg or BODY_TEXT, bg)]
        else:
            pairs = [(fg, b) for b in backgrounds]
        for f, b in pairs:
            checked += 1
            assert ratio(f, b) >= 4.5, f"{selector}: {f} on {b} is {ratio(f, b):.2f}:1"
    assert checked > 20


def test_chart_labels_on_fills_pick_a_readable_colour():
    fills = charts.PALETTE + wardmaps.RATE_COLOURS + [charts.INCREASE, charts.DECREASE]
    for fill in fills:
        text = charts.text_colour_on(fill)
        assert ratio(text, fill) >= 4.5, f"{text} on {fill}: {ratio(text, fill):.2f}:1"


def test_white_on_orange_is_what_we_avoid():
    # the slip the issue found (white labels on the orange bar) fails the rule; black passes
    assert ratio("#ffffff", "#E69F00") < 4.5 <= ratio(charts.text_colour_on("#E69F00"), "#E69F00")


def test_rate_and_change_maps_do_not_share_blue():
    """Rate maps: sequential, no blue. Change maps keep blue for 'fell' alone."""

    def is_blue(hex_colour: str) -> bool:
        r, g, b = (int(hex_colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
        return b > r + 30 and b > g

    assert not any(is_blue(c) for c in wardmaps.RATE_COLOURS)
