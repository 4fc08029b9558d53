"""The case report in a real headless browser: Playwright driving the system's Chromium.

Skipped, with the reason, where Playwright's Python package or /usr/bin/chromium is missing
(install: ``apt-get install -y chromium`` and ``pip install playwright``; no browser download
is needed, the system Chromium is used). A screenshot is kept under ``test-artifacts/``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from oncoresist import RESEARCH_USE_STATEMENT
from oncoresist.report._case import SECTION_IDS

CHROMIUM = os.environ.get("ONCORESIST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def _browser_or_skip():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright is not installed (pip install playwright); the browser test needs it")
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium, or set ONCORESIST_CHROMIUM)")
    return sync_playwright


@pytest.fixture
def report(mini_report) -> Path:
    return mini_report / "report.html"


def test_report_renders_offline_in_chromium(report):
    sync_playwright = _browser_or_skip()
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        except Exception as exc:  # a Chromium that cannot start here (missing libraries, sandbox)
            pytest.skip(f"Chromium at {CHROMIUM} could not be launched: {str(exc).splitlines()[0]}")
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri(), wait_until="load")
            # every section is present and titled
            for section in SECTION_IDS:
                assert page.locator(f"section#{section} h2").count() == 1, section
            assert RESEARCH_USE_STATEMENT in page.locator("#research-use").inner_text()
            # every figure loaded: decoded with a non-zero natural size
            sizes = page.eval_on_selector_all(
                "img", "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
            assert len(sizes) >= 5  # ctDNA timeline, model Muller, posteriors, survival, dose/cost
            assert all(done and w > 0 and h > 0 for done, w, h in sizes), sizes
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "case_report.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    # nothing but the file itself and its embedded data: the report works offline
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    assert (ARTIFACTS / "case_report.png").stat().st_size > 10_000
