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
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

import pytest
from live_server import RunningServer, Seed

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
def live_seed() -> Seed:
    return partial(initialise, examples=True)


@pytest.fixture(scope="module")
def site(live: RunningServer) -> RunningServer:
    """The module's ``live`` server (conftest), started over ``lcgraph init --examples``."""
    return live


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


def set_query(page: object, text: str) -> None:
    """Replace the editor's text (CodeMirror 6) as a paste would."""
    page.wait_for_function("window.lcgraphEditor !== undefined")  # type: ignore[attr-defined]
    page.evaluate(  # type: ignore[attr-defined]
        "t => { lcgraphEditor.dispatch({changes: {from: 0, to: lcgraphEditor.state.doc.length, insert: t}});"
        " lcgraphEditor.focus(); }",
        text,
    )


def test_query_editor_runs_and_links_to_resource_pages(
    site: RunningServer, page: object, shots: Path
) -> None:
    page.goto(site.url + "/query?lang=en")  # type: ignore[attr-defined]
    set_query(
        page,
        "PREFIX lc: <https://w3id.org/lcgraph/def#>\n"
        "SELECT ?city (COUNT(?a) AS ?activities) WHERE { ?a a lc:LearningActivity ; lc:city ?city }\n"
        "GROUP BY ?city ORDER BY DESC(?activities)",
    )
    # CodeMirror's SPARQL mode colours the keywords.
    assert page.locator(".cm-content .cm-line span").count() >= 3  # type: ignore[attr-defined]
    page.get_by_role("button", name="Run (Ctrl+Enter)").click()  # type: ignore[attr-defined]
    table = page.locator("#results table")  # type: ignore[attr-defined]
    table.wait_for()
    assert table.locator("tbody tr").count() == 3
    assert "rows" in page.locator("#status").inner_text()  # type: ignore[attr-defined]
    # IRIs are shown by their labels, with their prefixed names, and link to this server's pages.
    first = table.locator("tbody tr td a").first
    assert first.inner_text().startswith("Example City")
    assert table.locator("tbody tr td code.pname").first.inner_text().startswith("lcid:city/")
    href = first.get_attribute("href")
    assert href.startswith("/id/city/") and href.endswith("lang=en")
    # Sorting by a column is one click (or Enter on the header button).
    table.locator("th button", has_text="activities").click()
    assert page.locator("#results th").nth(1).get_attribute("aria-sort") == "ascending"  # type: ignore[attr-defined]
    page.screenshot(path=str(shots / "query-results.png"))  # type: ignore[attr-defined]
    page.locator("#results tbody tr td a").first.click()  # type: ignore[attr-defined]
    page.wait_for_url("**/id/city/**")  # type: ignore[attr-defined]
    # The resource page stays in English, in the site's layout, with the way back.
    assert page.locator("html").get_attribute("lang") == "en"  # type: ignore[attr-defined]
    assert page.get_by_role("link", name="Query").get_attribute("href") == "/query?lang=en"  # type: ignore[attr-defined]
    assert "Example City" in page.locator("h1").inner_text()  # type: ignore[attr-defined]
    page.screenshot(path=str(shots / "resource-page.png"), full_page=True)  # type: ignore[attr-defined]
    page.go_back()  # type: ignore[attr-defined]
    page.locator("#results table tbody tr").first.wait_for()  # type: ignore[attr-defined]


def test_ten_thousand_rows_are_paged(site: RunningServer, page: object, shots: Path) -> None:
    digits = " ".join(str(i) for i in range(100))
    page.goto(site.url + "/query?lang=en")  # type: ignore[attr-defined]
    set_query(page, f"SELECT ?a ?b WHERE {{ VALUES ?a {{ {digits} }} VALUES ?b {{ {digits} }} }}")
    page.keyboard.press("Control+Enter")  # type: ignore[attr-defined]
    page.locator("#results table").wait_for()  # type: ignore[attr-defined]
    assert "10,000 rows" in page.locator("#status").inner_text()  # type: ignore[attr-defined]
    assert page.locator("#results tbody tr").count() == 100  # type: ignore[attr-defined]
    assert "Rows 1–100 of 10,000" in page.locator(".pager").first.inner_text()  # type: ignore[attr-defined]
    # The results are in view after a run, at 1280 wide.
    top = page.locator("#results").bounding_box()["y"]  # type: ignore[attr-defined]
    assert top < 900 + page.evaluate("window.scrollY")  # type: ignore[attr-defined]
    page.locator(".pager button[data-page=next]").first.click()  # type: ignore[attr-defined]
    assert "Rows 101–200 of 10,000" in page.locator(".pager").first.inner_text()  # type: ignore[attr-defined]
    assert page.locator("#results tbody tr").count() == 100  # type: ignore[attr-defined]
    # Sorting sorts all 10,000 rows numerically, not the page.
    page.locator("#results th button", has_text="a").first.click()  # type: ignore[attr-defined]
    page.locator("#results th button", has_text="a").first.click()  # type: ignore[attr-defined]
    assert page.locator("#results tbody tr td").first.inner_text() == "99"  # type: ignore[attr-defined]
    page.screenshot(path=str(shots / "query-10000.png"))  # type: ignore[attr-defined]


def test_query_url_is_shareable_and_back_returns(site: RunningServer, page: object) -> None:
    first = "SELECT ?x WHERE { VALUES ?x { 1 2 3 } }"
    page.goto(site.url + "/query?" + urlencode({"lang": "en", "query": first}))  # type: ignore[attr-defined]
    page.locator("#results tbody tr").nth(2).wait_for()  # type: ignore[attr-defined]
    assert page.evaluate("lcgraphEditor.state.doc.toString()") == first  # type: ignore[attr-defined]
    second = "SELECT ?y WHERE { VALUES ?y { 7 } }"
    set_query(page, second)
    page.keyboard.press("Control+Enter")  # type: ignore[attr-defined]
    page.wait_for_url("**query=SELECT+%3Fy**")  # type: ignore[attr-defined]
    page.locator("#results th", has_text="y").wait_for()  # type: ignore[attr-defined]
    page.go_back()  # type: ignore[attr-defined]
    page.locator("#results th", has_text="x").wait_for()  # type: ignore[attr-defined]
    assert page.evaluate("lcgraphEditor.state.doc.toString()") == first  # type: ignore[attr-defined]
    # Both runs are in the history, and switching language keeps the query.
    page.get_by_text("History").click()  # type: ignore[attr-defined]
    assert page.locator("#history-list li").count() >= 2  # type: ignore[attr-defined]
    page.get_by_role("link", name="ไทย").click()  # type: ignore[attr-defined]
    page.wait_for_url("**lang=th**")  # type: ignore[attr-defined]
    page.wait_for_function("window.lcgraphEditor !== undefined")  # type: ignore[attr-defined]
    assert page.evaluate("lcgraphEditor.state.doc.toString()") == first  # type: ignore[attr-defined]


def test_query_syntax_error_in_the_users_language_with_the_cursor_there(
    site: RunningServer, page: object, shots: Path
) -> None:
    page.goto(site.url + "/query?lang=th")  # type: ignore[attr-defined]
    set_query(page, "SELECT ?s WHERE {\n  ?s ?p ?o\n} LIMIT x")
    page.keyboard.press("Control+Enter")  # type: ignore[attr-defined]
    error = page.locator("#error")  # type: ignore[attr-defined]
    error.wait_for(state="visible")
    assert "บรรทัด 3 ตำแหน่ง 9" in error.inner_text()
    # The cursor is on line 3, column 9 (the "x"), in the editor.
    head = page.evaluate("lcgraphEditor.state.selection.main.head")  # type: ignore[attr-defined]
    assert head == len("SELECT ?s WHERE {\n  ?s ?p ?o\n} LIMIT ")
    assert page.evaluate("lcgraphEditor.hasFocus")  # type: ignore[attr-defined]
    page.screenshot(path=str(shots / "query-error.png"))  # type: ignore[attr-defined]
    # An undeclared prefix is flagged while typing, with the line to add.
    set_query(page, "SELECT * WHERE { ?s a lc:LearningCity }")
    page.locator(".cm-lintRange-error").first.wait_for()  # type: ignore[attr-defined]


def test_canned_query_form_runs_with_buddhist_era_dates(
    site: RunningServer, page: object, shots: Path
) -> None:
    page.goto(site.url + "/query?lang=th")  # type: ignore[attr-defined]
    page.get_by_role("link", name="กิจกรรมในช่วงวันที่").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/queries/activities-in-date-range**")  # type: ignore[attr-defined]
    assert page.locator("input[name=from]").input_value() == "01/01/2566"  # type: ignore[attr-defined]
    page.fill("input[name=from]", "1/1/2567")  # type: ignore[attr-defined]
    page.fill("input[name=to]", "31/12/2567")  # type: ignore[attr-defined]
    page.get_by_role("button", name="เรียกใช้").click()  # type: ignore[attr-defined]
    page.wait_for_url("**from=1%2F1%2F2567**")  # type: ignore[attr-defined]
    page.locator("#results tbody tr").first.wait_for()  # type: ignore[attr-defined]
    starts = page.locator("#results tbody tr td:nth-child(5) code.pname").all_inner_texts()  # type: ignore[attr-defined]
    assert starts and all(s.startswith("2024-") for s in starts), starts
    # Dates read in the Buddhist Era in Thai, with the ISO value beside them.
    assert "2567" in page.locator("#results tbody tr td:nth-child(5)").first.inner_text()  # type: ignore[attr-defined]
    page.screenshot(path=str(shots / "canned-form-th.png"))  # type: ignore[attr-defined]


def test_docs_render_with_the_network_unplugged(site: RunningServer, browser: object, shots: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    outside: list[str] = []

    def only_this_server(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith(site.url):
            route.continue_()  # type: ignore[attr-defined]
        else:
            outside.append(url)
            route.abort()  # type: ignore[attr-defined]

    context.route("**/*", only_this_server)
    pg = context.new_page()
    pg.goto(site.url + "/docs")
    pg.locator(".swagger-ui .info .title", has_text="lcgraph").wait_for(timeout=30_000)
    pg.locator(".opblock-summary-path", has_text="/sparql").first.wait_for()
    pg.screenshot(path=str(shots / "docs-offline.png"))
    pg.goto(site.url + "/redoc")
    pg.locator("h1", has_text="lcgraph").first.wait_for(timeout=30_000)
    context.close()
    assert not outside, f"the docs asked for outside resources: {outside}"


def test_gaps_first_screen_shows_ranked_actions_in_both_languages(
    site: RunningServer, browser: object, shots: Path
) -> None:
    for width, height in ((1280, 800), (390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
        pg = context.new_page()
        for lang, heading in (("en", "What to do first"), ("th", "สิ่งที่ควรทำก่อน")):
            pg.goto(f"{site.url}/gaps?lang={lang}")
            actions = pg.locator(".actions-list li.action")
            assert pg.get_by_role("heading", name=heading).is_visible()
            assert 1 <= actions.count() <= 5
            box = actions.first.bounding_box()
            assert box is not None and box["y"] < height, f"the first action is below the fold at {width}px"
            pg.screenshot(path=str(shots / f"gaps-{lang}-{width}.png"))
        width_used = pg.evaluate("document.documentElement.scrollWidth")
        assert width_used <= width + 1, f"the gaps page scrolls sideways at {width}px"
        context.close()


def test_gaps_scope_chosen_in_the_form_is_a_shareable_url(
    site: RunningServer, browser: object, shots: Path
) -> None:
    for width, height in ((1280, 800), (390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
        pg = context.new_page()
        pg.goto(f"{site.url}/gaps?lang=en")
        pg.locator("select[name=scope]").select_option("region:north")
        pg.locator("form.filters button[type=submit]").click()
        pg.wait_for_url("**scope=region%3Anorth**")
        assert pg.locator("h1").inner_text().startswith("Gaps: Northern Thailand")
        assert pg.locator("select[name=scope]").input_value() == "region:north"
        shared = pg.url
        pg.screenshot(path=str(shots / f"gaps-region-en-{width}.png"))
        # The same address opened elsewhere, in Thai, shows the same scope.
        other = context.new_page()
        other.goto(shared.replace("lang=en", "lang=th"))
        assert other.locator("h1").inner_text().startswith("ช่องว่าง: ภาคเหนือ")
        # Real data only, keeping the scope: the illustrative city is no longer offered.
        other.get_by_role("link", name="เฉพาะข้อมูลจริง").click()
        other.wait_for_url("**examples=hide**")
        assert "region=north" in other.url and other.locator("[data-examples=hidden]").is_visible()
        assert other.locator("option[value$='example-north']").count() == 0
        other.screenshot(path=str(shots / f"gaps-region-th-real-{width}.png"))
        width_used = other.evaluate("document.documentElement.scrollWidth")
        assert width_used <= width + 1, f"the scoped gaps page scrolls sideways at {width}px"
        context.close()


def test_explore_class_pages_are_titled_by_label(site: RunningServer, page: object, shots: Path) -> None:
    page.goto(site.url + "/explore?lang=en")  # type: ignore[attr-defined]
    page.get_by_role("link", name="Example City North (illustrative)", exact=True).click()  # type: ignore[attr-defined]
    page.wait_for_url("**city=**")  # type: ignore[attr-defined]
    assert page.locator("table.data tbody tr").count() >= 10  # type: ignore[attr-defined]
    page.goto(site.url + "/explore?lang=en&class=https%3A%2F%2Fw3id.org%2Flcgraph%2Fdef%23LearningActivity")  # type: ignore[attr-defined]
    heading = page.locator("h1").inner_text()  # type: ignore[attr-defined]
    assert "LearningActivity" not in heading and "activity" in heading.lower()
    page.screenshot(path=str(shots / "explore-class.png"))  # type: ignore[attr-defined]


def test_phone_width_and_keyboard(site: RunningServer, browser: object, shots: Path) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="th-TH")  # type: ignore[attr-defined]
    pg = context.new_page()
    for path in ("/query", "/id/city/example-north", "/queries/activities-in-date-range", "/catalog"):
        pg.goto(site.url + path, wait_until="networkidle")
        width = pg.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1, f"{path} scrolls sideways on a phone ({width}px)"
    pg.goto(site.url + "/query")
    pg.keyboard.press("Tab")
    assert pg.evaluate("document.activeElement.className") == "skip"
    pg.screenshot(path=str(shots / "query-phone.png"), full_page=True)
    context.close()
