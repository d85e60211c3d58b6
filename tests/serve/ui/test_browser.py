"""The browser view in a real browser: headless Chromium (Debian's) driven by Selenium.

Covers what only a browser shows: typing a search and picking a suggestion with the keyboard,
narrowing by a facet, an entity page of each main type, the schema filter, the lineage graph drawn
by Cytoscape.js (its nodes, and a click on one opening it), an edit that shows in the history and
the timeline, the live feed showing an event that a concurrent ``litemeta ingest`` process wrote,
accessibility (axe-core: no serious or critical violation on the main pages), a narrow window, and
signing in once to a server started with a token.
Screenshots of the main pages go to ``artifacts/ui/``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Tuple
from urllib.parse import urlsplit

import pytest

from litemeta.serve.ui.paths import entity_url
from tests.serve.ui.browser import axe_violations, screenshot
from tests.serve.ui.conftest import DST, HOSTILE, SRC

pytestmark = pytest.mark.slow
Server = Tuple[str, Any]


def wait_for(condition: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except Exception:  # the page is changing under us: try again
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def by_css(driver: Any, css: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, css)


def test_search_with_autocomplete_and_keyboard(browser: Any, ui_server: Server) -> None:
    from selenium.webdriver.common.keys import Keys

    base = ui_server[0]
    browser.get(base + "/")
    screenshot(browser, "home")
    box = by_css(browser, "#q")[0]
    box.click()
    box.send_keys("order_fa")
    wait_for(lambda: by_css(browser, "#suggestions.open [role=option]"), what="suggestions")
    assert box.get_attribute("aria-expanded") == "true"
    box.send_keys(Keys.ARROW_DOWN)
    first = by_css(browser, "#suggestions [role=option]")[0]
    assert first.get_attribute("aria-selected") == "true" and box.get_attribute(
        "aria-activedescendant"
    ) == first.get_attribute("id")
    target = first.get_attribute("href")
    box.send_keys(Keys.ENTER)
    wait_for(lambda: browser.current_url == target, what="the suggestion's page")
    assert "order_facts" in browser.title
    # a full search: results with the matched words marked
    browser.get(base + "/search?query=order")
    marks = [m.text.lower() for m in by_css(browser, ".hit mark")]
    assert marks and set(marks) == {"order"}
    screenshot(browser, "search")


def test_facet_narrows_results(browser: Any, ui_server: Server) -> None:
    base = ui_server[0]
    browser.get(base + "/search?query=order")
    total = int(by_css(browser, "#result-count")[0].text.split()[0].replace(",", ""))
    facet = next(
        a
        for a in by_css(browser, "a.facet-value[data-facet=platform]")
        if int(a.find_element("css selector", ".count").text.replace(",", "")) < total
    )
    expected = int(facet.find_element("css selector", ".count").text.replace(",", ""))
    platform = facet.find_element("css selector", ".label").text
    facet.click()  # htmx swaps the results and pushes the URL
    wait_for(lambda: "filter_platform=" in browser.current_url, what="the narrowed URL")
    wait_for(
        lambda: by_css(browser, "#result-count")[0].text.startswith(f"{expected:,} result"), what="the narrowed count"
    )
    shown = [e.text for e in by_css(browser, ".hit .meta .platform")]
    assert shown and set(shown) == {platform}
    assert by_css(browser, "a.facet-value.selected[data-facet=platform]")
    screenshot(browser, "search-narrowed")


@pytest.mark.parametrize(
    "entity_type", ["dataset", "chart", "dashboard", "dataFlow", "dataJob", "corpuser", "glossaryTerm"]
)
def test_entity_page_of_each_main_type(browser: Any, ui_server: Server, entity_type: str) -> None:
    store = ui_server[1].state.served.store
    urn = store.search("*", entity_types=[entity_type], count=1).results[0].urn
    browser.get(ui_server[0] + entity_url(urn))
    h1 = by_css(browser, "h1.entity-name")[0].text
    assert h1 and by_css(browser, ".tabs a.current")[0].text == "Properties"
    assert urn in by_css(browser, ".urn code")[0].text
    screenshot(browser, f"entity-{entity_type}")
    # tabs switch in place (htmx) and keep the URL shareable
    by_css(browser, ".tabs a[href$='/Aspects']")[0].click()
    wait_for(lambda: browser.current_url.endswith("/Aspects"), what="the Aspects tab URL")
    wait_for(lambda: by_css(browser, "details.raw"), what="the raw aspects")


def test_schema_table_filters(browser: Any, ui_server: Server) -> None:
    browser.get(ui_server[0] + entity_url(DST, "Schema"))
    rows = by_css(browser, "#schema-table tbody tr")
    assert [r.get_attribute("data-path") for r in rows] == ["order_key", "revenue"]
    by_css(browser, "#field-filter")[0].send_keys("rev")
    wait_for(
        lambda: (
            [r.get_attribute("data-path") for r in by_css(browser, "#schema-table tbody tr") if r.is_displayed()]
            == ["revenue"]
        ),
        what="the filtered rows",
    )
    assert by_css(browser, "#field-filter-count")[0].text == "1 of 2 fields"
    screenshot(browser, "schema")


def test_lineage_graph_draws_nodes_and_a_click_opens_one(browser: Any, ui_server: Server) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    browser.get(ui_server[0] + entity_url(DST, "Lineage") + "?columns=1")
    wait_for(
        lambda: browser.execute_script("return window.litemetaLineage && window.litemetaLineage.nodes().length"),
        what="the graph",
    )
    ids = browser.execute_script("return window.litemetaLineage.nodes().map(n => n.id())")
    assert {SRC, DST, f"urn:li:schemaField:({SRC},amount)"} <= set(ids)
    screenshot(browser, "lineage")
    # a real click on the upstream node's position on the canvas (entity level: no fields inside)
    browser.get(ui_server[0] + entity_url(DST, "Lineage"))
    wait_for(
        lambda: browser.execute_script("return window.litemetaLineage && window.litemetaLineage.nodes().length"),
        what="the graph",
    )
    canvas = by_css(browser, "#lineage-graph")[0]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
    pos = browser.execute_script(
        "const n = window.litemetaLineage.getElementById(arguments[0]); return n.renderedPosition();", SRC
    )
    size = canvas.size
    ActionChains(browser).move_to_element_with_offset(
        canvas, int(pos["x"] - size["width"] / 2), int(pos["y"] - size["height"] / 2)
    ).click().perform()
    wait_for(lambda: browser.current_url.endswith(entity_url(SRC)), what="the clicked node's page")
    assert by_css(browser, "h1.entity-name")[0].text == "orders"


def test_edit_shows_in_history_and_timeline(browser: Any, ui_server: Server) -> None:
    base = ui_server[0]
    browser.get(base + entity_url(SRC, "Tags"))
    field = by_css(browser, "#add-tag")[0]
    field.send_keys("browser_edit")
    by_css(browser, "form.add button")[0].click()
    wait_for(lambda: "Tag added" in by_css(browser, ".notice.ok")[0].text, what="the confirmation")
    assert "browser_edit" in [c.text for c in by_css(browser, "a.chip.tag")]
    by_css(browser, ".tabs a[href$='/History']")[0].click()
    wait_for(lambda: browser.current_url.endswith("/History"), what="the History tab")
    history = by_css(browser, "#tab-panel")[0].text
    assert "globalTags" in history and "urn:li:tag:browser_edit" in history
    screenshot(browser, "history")
    by_css(browser, ".tabs a[href$='/Timeline']")[0].click()
    wait_for(lambda: browser.current_url.endswith("/Timeline"), what="the Timeline tab")
    newest = by_css(browser, ".timeline .txn")[0].text
    assert "TAG" in newest and "browser_edit" in newest and "added" in newest
    screenshot(browser, "timeline")


def test_live_feed_shows_an_event_from_a_concurrent_ingest(
    browser: Any, ui_server: Server, ui_store_path: Path, tmp_path: Path
) -> None:
    import datahub.metadata.schema_classes as m
    from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
    from datahub.ingestion.sink.file import write_metadata_file

    browser.get(ui_server[0] + "/activity")
    wait_for(lambda: by_css(browser, "#feed-state")[0].text == "live", what="the feed to connect")
    before = {r.get_attribute("data-offset") for r in by_css(browser, "#feed-rows tr")}
    records = tmp_path / "tag.json"
    write_metadata_file(
        records,
        [MCPW(entityUrn=HOSTILE, aspect=m.GlobalTagsClass(tags=[m.TagAssociationClass("urn:li:tag:from_cli")]))],
    )
    done = subprocess.run(
        [sys.executable, "-m", "litemeta", "ingest", str(records), "--db", str(ui_store_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # the tag's entity change event (category TAG) and its relationship change event (TaggedWith)
    wait_for(
        lambda: (
            {
                r.get_attribute("data-category")
                for r in by_css(browser, "#feed-rows tr.fresh")
                if r.get_attribute("data-offset") not in before and "from_cli" in r.text
            }
            == {"TAG", "RELATIONSHIP"}
        ),
        timeout=20,
        what="the ingested events in the feed",
    )
    screenshot(browser, "activity")


@pytest.mark.parametrize("page", ["/", "/search?query=order", "entity", "schema", "lineage", "/activity"])
def test_no_serious_accessibility_violation(browser: Any, ui_server: Server, page: str) -> None:
    path = {"entity": entity_url(SRC), "schema": entity_url(DST, "Schema"), "lineage": entity_url(DST, "Lineage")}.get(
        page, page
    )
    browser.get(ui_server[0] + path)
    if page == "lineage":
        wait_for(
            lambda: browser.execute_script("return window.litemetaLineage && window.litemetaLineage.nodes().length"),
            what="the graph",
        )
    bad = [v for v in axe_violations(browser) if v.get("impact") in ("serious", "critical")]
    assert not bad, json.dumps(
        [
            {k: v[k] for k in ("id", "impact", "help")} | {"nodes": [n["html"][:120] for n in v["nodes"][:3]]}
            for v in bad
        ],
        indent=1,
    )


def test_keyboard_reaches_the_content(browser: Any, ui_server: Server) -> None:
    from selenium.webdriver.common.keys import Keys

    browser.get(ui_server[0] + entity_url(SRC))
    body = by_css(browser, "body")[0]
    body.send_keys(Keys.TAB)
    active = browser.switch_to.active_element
    assert active.text == "Skip to content"
    active.send_keys(Keys.ENTER)
    # tabbing on from the main content reaches the entity's tabs
    for _ in range(15):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        if "tabs" in (browser.execute_script("return document.activeElement.parentElement.className") or ""):
            break
    assert browser.execute_script("return document.activeElement.parentElement.className") == "tabs"


def test_narrow_window_has_no_sideways_scroll(browser: Any, ui_server: Server) -> None:
    browser.set_window_size(390, 844)
    try:
        for path in ("/", "/search?query=order", entity_url(DST, "Schema"), "/activity"):
            browser.get(ui_server[0] + path)
            overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, overflow)
        screenshot(browser, "narrow-search")
    finally:
        browser.set_window_size(1280, 900)


def test_html_in_metadata_is_shown_as_text_not_run(browser: Any, ui_server: Server) -> None:
    for tab in ("Properties", "Aspects", "History"):
        browser.get(ui_server[0] + entity_url(HOSTILE, tab))
        assert browser.execute_script("return window.pwned === undefined")
        assert by_css(browser, "h1.entity-name")[0].text == "<b>bold</b> table"
        assert not by_css(browser, "#tab-panel img, #tab-panel b")
    by_css(browser, "#q")[0].send_keys("pwned\n")
    wait_for(lambda: "/search" in browser.current_url, what="the results")
    assert "<script>window.pwned = 1</script>" in by_css(browser, ".hit .snippet")[0].text
    assert browser.execute_script("return window.pwned === undefined")


def test_sign_in_once_with_the_servers_token(browser: Any, ui_store_path: Path) -> None:
    """``litemeta serve --token``: a page sends the browser to the sign-in page; the token entered once
    (a wrong one is refused) sets an HttpOnly session cookie and opens the page asked for; sign out ends it."""
    from litemeta.serve import ui
    from litemeta.serve.app import create_app
    from litemeta.serve.runner import ServerThread

    token = "browser-s3cret"
    app = create_app(
        str(ui_store_path), token=token, extra_routes=ui.routes(), sign_in=ui.sign_in(), events_helper=False
    )
    with ServerThread(app) as server:
        base = server.url
        browser.get(base + "/search?query=order")
        wait_for(lambda: urlsplit(browser.current_url).path == "/ui/signin", what="the sign-in page")
        assert not [v["id"] for v in axe_violations(browser) if v.get("impact") in ("serious", "critical")]
        screenshot(browser, "signin")
        by_css(browser, "#token")[0].send_keys("not-it\n")
        wait_for(lambda: by_css(browser, "[role=alert]"), what="the refusal")
        assert "not this server's token" in by_css(browser, "[role=alert]")[0].text
        by_css(browser, "#token")[0].send_keys(token + "\n")
        wait_for(lambda: browser.current_url == base + "/search?query=order", what="the search page")
        assert by_css(browser, ".hit") and int(by_css(browser, "#result-count")[0].text.split()[0].replace(",", "")) > 0
        screenshot(browser, "signed-in-search")
        cookie = next(c for c in browser.get_cookies() if c["name"] == f"litemeta_session_{urlsplit(base).port}")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and token not in cookie["value"]
        assert browser.execute_script("return document.cookie") == ""  # scripts cannot read it
        by_css(browser, "a[href='/ui/signout']")[0].click()
        wait_for(lambda: urlsplit(browser.current_url).path == "/ui/signin", what="the sign-in page after signing out")
        browser.get(base + "/")
        assert urlsplit(browser.current_url).path == "/ui/signin"
