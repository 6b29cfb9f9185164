"""The web edition of the panel pack in a real headless browser, checked with axe-core.

Debian's ``chromium`` is driven through ``chromium-driver`` with selenium (tools that download
their own browser cannot run here); axe-core's script comes bundled with the
``axe-selenium-python`` package (or from ``AXE_CORE_JS``). Skips, naming the install line, where
any of these is missing. The first screen is saved as a screenshot beside the HTML
(``first_screen.png``) and must not be blank.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pack_support as ps  # noqa: E402

pytestmark = [pytest.mark.slow]
INSTALL = (
    "apt-get install -y chromium chromium-driver && "
    ".venv/bin/pip install selenium axe-selenium-python (both are in make setup)"
)


def _axe_script() -> Path | None:
    env = os.environ.get("AXE_CORE_JS")
    if env and Path(env).exists():
        return Path(env)
    try:
        import axe_selenium_python
    except ImportError:
        return None
    hits = sorted(Path(axe_selenium_python.__file__).parent.rglob("axe.min.js"))
    return hits[0] if hits else None


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason=f"selenium missing: {INSTALL}")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_bin = shutil.which("chromedriver")
    if not chromium or not driver_bin:
        pytest.skip(f"Debian chromium / chromium-driver not installed: {INSTALL}")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"):
        opts.add_argument(arg)
    drv = webdriver.Chrome(service=Service(driver_bin), options=opts)
    drv.set_script_timeout(120)
    yield drv
    drv.quit()


@pytest.fixture(scope="module")
def web_page(tmp_path_factory):
    root = tmp_path_factory.mktemp("web_edition")
    old = os.environ.get("CSP_SCRUTINY_ROOT")
    os.environ["CSP_SCRUTINY_ROOT"] = str(root)
    try:
        ps.make_outputs(root)
        from helpers.report import pack

        html = pack.panel_pack_html(ps.AREA, ps.PERIOD, edition="web")
    finally:
        if old is None:
            os.environ.pop("CSP_SCRUTINY_ROOT", None)
        else:
            os.environ["CSP_SCRUTINY_ROOT"] = old
    out = root / "panel_pack.html"
    out.write_text(html, encoding="utf-8")
    return out


def test_axe_core_finds_no_serious_or_critical_violation(browser, web_page):
    script = _axe_script()
    if script is None:
        pytest.skip(f"axe-core script not found: {INSTALL}")
    browser.get(web_page.as_uri())
    browser.execute_script(script.read_text(encoding="utf-8"))
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(JSON.stringify(r.violations))).catch(e => done(JSON.stringify("
        "[{id: 'axe-error', impact: 'critical', description: String(e), nodes: []}])));"
    )
    violations = json.loads(result)
    bad = [v for v in violations if v.get("impact") in ("serious", "critical")]
    detail = [
        f"{v['id']} ({v['impact']}): {v.get('description')} — "
        + "; ".join(n.get("html", "")[:80] for n in v.get("nodes", [])[:3])
        for v in bad
    ]
    assert not bad, "\n".join(detail)


def test_first_screen_screenshot_shows_the_cover(browser, web_page):
    import numpy as np
    from PIL import Image

    browser.get(web_page.as_uri())
    shot = web_page.with_name("first_screen.png")
    browser.save_screenshot(str(shot))
    img = np.asarray(Image.open(shot).convert("L"))
    assert img.shape[0] >= 600 and (img < 128).mean() > 0.01, "first screen is blank"
    body = browser.find_element("tag name", "body").text
    assert "Community Safety Scrutiny Panel" in body and "Purpose" in body
    assert browser.execute_script("return document.documentElement.lang") == "en-GB"
    assert browser.title.startswith("Crime and disorder")
