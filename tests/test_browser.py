"""The UI in a real headless Chromium (Debian's), driven by Playwright.

A researcher's first five minutes: the home page, a query typed into the
editor and run, a result link followed to a resource page, the explore
pages, the gaps dashboard, and a phone-width view. Screenshots go to
``$LCGRAPH_SCREENSHOTS`` (default: the test's temp dir) for people to look at.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import RunningServer

from lcgraph.bootstrap import initialise

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    """Debian's Chromium, installed by the test setup when it is missing."""
    found = shutil.which("chromium")
    if found is None:
        subprocess.run(["bash", str(ROOT / ".ci" / "system-deps.sh")], check=False, timeout=900)
        found = shutil.which("chromium")
    if found is None:
        pytest.fail("Chromium is not installed and could not be installed (apt-get install chromium)")
    return found


@pytest.fixture(scope="module")
def site(module_server_factory: Callable[..., RunningServer]) -> Iterator[RunningServer]:
    server = module_server_factory()
    initialise(server.dataset, examples=True)
    server.app.state.runtime.mark_written()
    yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("LCGRAPH_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")  # type: ignore[attr-defined]
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def test_home_page_counts_and_language_switch(site: RunningServer, page: object, shots: Path) -> None:
    page.goto(site.url + "/?lang=en")  # type: ignore[attr-defined]
    assert page.locator("h1").inner_text() == "Learning City knowledge graph"  # type: ignore[attr-defined]
    cities = int(page.locator('[data-count="cities"]').inner_text().replace(",", ""))  # type: ignore[attr-defined]
    assert cities >= 3
    page.screenshot(path=str(shots / "home-en.png"), full_page=True)  # type: ignore[attr-defined]
    page.get_by_role("link", name="ไทย").click()  # type: ignore[attr-defined]
    page.wait_for_url("**lang=th**")  # type: ignore[attr-defined]
    assert page.locator("html").get_attribute("lang") == "th"  # type: ignore[attr-defined]
    assert "กราฟความรู้" in page.locator("h1").inner_text()  # type: ignore[attr-defined]
    page.screenshot(path=str(shots / "home-th.png"), full_page=True)  # type: ignore[attr-defined]


def test_query_editor_runs_and_links_to_resource_pages(
    site: RunningServer, page: object, shots: Path
) -> None:
    page.goto(site.url + "/query?lang=en")  # type: ignore[attr-defined]
    editor = page.locator("#editor")  # type: ignore[attr-defined]
    editor.fill(
        "PREFIX lc: <https://w3id.org/lcgraph/def#>\n"
        "SELECT ?city (COUNT(?a) AS ?activities) WHERE { ?a a lc:LearningActivity ; lc:city ?city }\n"
        "GROUP BY ?city ORDER BY DESC(?activities)"
    )
    assert page.locator("#highlight .tok-kw").count() >= 3  # type: ignore[attr-defined]
    page.get_by_role("button", name="Run (Ctrl+Enter)").click()  # type: ignore[attr-defined]
    table = page.locator("#results table")  # type: ignore[attr-defined]
    table.wait_for()
    assert table.locator("tbody tr").count() == 3
    assert "rows" in page.locator("#status").inner_text()  # type: ignore[attr-defined]
    # IRIs are shown by their labels and link to this server's pages.
    first = table.locator("tbody tr td a").first
    assert first.inner_text().startswith("Example City") or "เมืองตัวอย่าง" in first.inner_text()
    href = first.get_attribute("href")
    assert href.startswith("/id/city/")
    # Sorting by a column is one click (or Enter on the header button).
    table.locator("th button", has_text="activities").click()
    assert table.locator("th").nth(1).get_attribute("aria-sort") == "ascending"
    page.screenshot(path=str(shots / "query-results.png"), full_page=True)  # type: ignore[attr-defined]
    first.click()
    page.wait_for_url("**/id/city/**")  # type: ignore[attr-defined]
    assert "Example City" in page.content()  # type: ignore[attr-defined]
    page.screenshot(path=str(shots / "resource-page.png"), full_page=True)  # type: ignore[attr-defined]


def test_query_syntax_error_is_shown_next_to_the_editor(
    site: RunningServer, page: object, shots: Path
) -> None:
    page.goto(site.url + "/query?lang=en")  # type: ignore[attr-defined]
    page.locator("#editor").fill("SELECT ?s WHERE {\n  ?s ?p \n")  # type: ignore[attr-defined]
    page.keyboard.press("Control+Enter")  # type: ignore[attr-defined]
    error = page.locator("#error")  # type: ignore[attr-defined]
    error.wait_for(state="visible")
    assert "line" in error.inner_text().lower()
    page.screenshot(path=str(shots / "query-error.png"))  # type: ignore[attr-defined]


def test_canned_query_is_one_click(site: RunningServer, page: object) -> None:
    page.goto(site.url + "/query?lang=en")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Partners by sector").click()  # type: ignore[attr-defined]
    page.locator("#results table tbody tr").first.wait_for()  # type: ignore[attr-defined]
    assert "sector" in page.locator("#results thead").inner_text()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Learning spaces without activities").click()  # type: ignore[attr-defined]
    assert "FILTER NOT EXISTS" in page.locator("#editor").input_value()  # type: ignore[attr-defined]


def test_explore_and_gaps_dashboard(site: RunningServer, page: object, shots: Path) -> None:
    page.goto(site.url + "/explore?lang=en")  # type: ignore[attr-defined]
    page.get_by_role("link", name="Example City North (illustrative)", exact=True).click()  # type: ignore[attr-defined]
    page.wait_for_url("**city=**")  # type: ignore[attr-defined]
    assert page.locator("table.data tbody tr").count() >= 10  # type: ignore[attr-defined]
    page.screenshot(path=str(shots / "explore-city.png"), full_page=True)  # type: ignore[attr-defined]
    page.goto(site.url + "/gaps?lang=en")  # type: ignore[attr-defined]
    assert page.locator("article.finding").count() > 3  # type: ignore[attr-defined]
    assert page.locator("figure svg").count() == 2  # type: ignore[attr-defined]
    page.select_option("select[name=severity]", "high")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Filter").click()  # type: ignore[attr-defined]
    page.wait_for_url("**severity=high**")  # type: ignore[attr-defined]
    kinds = page.locator("article.finding").evaluate_all("els => els.map(e => e.dataset.severity)")  # type: ignore[attr-defined]
    assert kinds and set(kinds) == {"high"}
    page.screenshot(path=str(shots / "gaps.png"), full_page=True)  # type: ignore[attr-defined]


def test_phone_width_and_keyboard(site: RunningServer, browser: object, shots: Path) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="th-TH")  # type: ignore[attr-defined]
    pg = context.new_page()
    pg.goto(site.url + "/query")
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the query page scrolls sideways on a phone ({width}px)"
    pg.keyboard.press("Tab")
    assert pg.evaluate("document.activeElement.className") == "skip"
    pg.screenshot(path=str(shots / "query-phone.png"), full_page=True)
    context.close()
