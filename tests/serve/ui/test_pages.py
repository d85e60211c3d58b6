"""The browser view over HTTP (no browser): URLs, search, entity pages, bad input, escaping, edits.

Pages are fetched from a real ``litemeta serve`` (uvicorn on a free port) over a store built with
the DataHub SDK; expected values come from the store's own reads or from the records written.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any, Tuple
from urllib.parse import quote

import pytest
import requests

from litemeta.serve.ui.paths import entity_url, split_entity_path
from tests.serve.ui.conftest import DST, HOSTILE, SRC

Server = Tuple[str, Any]


def get(server: Server, path: str, **kw: Any) -> requests.Response:
    return requests.get(server[0] + path, timeout=30, **kw)


def test_urls_follow_datahubs_scheme() -> None:
    flow = "urn:li:dataFlow:(airflow,daily,prod)"
    assert entity_url(flow) == "/pipelines/" + quote(flow, safe="")
    assert entity_url("urn:li:dataJob:(urn:li:dataFlow:(airflow,daily,prod),load)").startswith(
        "/tasks/urn%3Ali%3AdataJob"
    )
    assert entity_url("urn:li:corpuser:alice", "Ownership") == "/user/urn%3Ali%3Acorpuser%3Aalice/Ownership"
    s3 = "urn:li:dataset:(urn:li:dataPlatform:s3,bucket/dir/file,PROD)"
    raw = entity_url(s3, "Schema")[len("/dataset/") :]
    assert split_entity_path("dataset", "", raw) == (s3, "Schema")
    # a hand-typed link with the urn unencoded, slashes and all
    assert split_entity_path("dataset", s3 + "/Lineage", s3 + "/Lineage") == (s3, "Lineage")
    assert split_entity_path("dataset", s3, s3) == (s3, None)


def test_home_counts_entities_by_type(ui_server: Server) -> None:
    r = get(ui_server, "/")
    assert r.status_code == 200
    assert "Entity types" in r.text and "Platforms" in r.text
    assert "/search?query=&amp;filter_entity=dataset" in r.text


def test_search_marks_matched_words_and_facets_narrow(ui_server: Server) -> None:
    app = ui_server[1]
    store = app.state.served.store
    everything = store.search("order")
    r = get(ui_server, "/search?query=order")
    assert r.status_code == 200
    assert f"{everything.total:,} result" in r.text
    assert re.search(r"<mark>order</mark>", r.text, re.I)
    # narrowing by a platform facet: the count shown is the count of the narrowed search
    platform = next(p for p, n in everything.facets["platform"].items() if n < everything.total)
    narrowed = store.search("order", filters={"platform": [platform]})
    assert 0 < narrowed.total < everything.total
    link = re.search(
        r'href="(/search\?query=order&amp;filter_platform=' + re.escape(quote(platform, safe="")) + ')"', r.text
    )
    assert link, "the facet value links to the narrowed search"
    r2 = get(ui_server, unescape(link.group(1)))
    assert f"{narrowed.total:,} result" in r2.text
    assert 'aria-current="true"' in r2.text  # the chosen value is marked selected
    # an htmx request gets the results fragment only
    frag = get(ui_server, unescape(link.group(1)), headers={"HX-Request": "true"})
    assert frag.text.lstrip().startswith('<div id="results"') and "<html" not in frag.text


def test_search_pages(ui_server: Server) -> None:
    total = ui_server[1].state.served.store.search("*").total
    r = get(ui_server, "/search?query=&page=2")
    assert f"page 2 of {-(-total // 10):,}" in r.text
    assert 'rel="prev"' in r.text and 'rel="next"' in r.text


@pytest.mark.parametrize(
    "query, expected",
    [
        ("/search?query=x&filter_colour=red", "unknown filter 'filter_colour'"),
        ("/search?query=x&page=-1", "page must be a positive number"),
        ("/search?query=" + "a" * 1001, "at most 1000 are accepted"),
    ],
)
def test_bad_search_is_a_message_not_a_traceback(ui_server: Server, query: str, expected: str) -> None:
    r = get(ui_server, query)
    assert r.status_code == 400
    assert expected in unescape(r.text)
    assert "Traceback" not in r.text


def test_autocomplete_suggests_entities(ui_server: Server) -> None:
    r = get(ui_server, "/ui/autocomplete?query=order")
    assert r.status_code == 200
    assert 'role="option"' in r.text and "order_facts" in r.text
    assert get(ui_server, "/ui/autocomplete?query=").text.strip() == ""


def test_unknown_and_invalid_urns_are_404_pages(ui_server: Server) -> None:
    missing = "urn:li:dataset:(urn:li:dataPlatform:hive,no.such.table,PROD)"
    r = get(ui_server, entity_url(missing))
    assert r.status_code == 404 and "Entity not found" in r.text and "text/html" in r.headers["content-type"]
    r = get(ui_server, "/dataset/not-a-urn")
    assert r.status_code == 404 and "Not a valid urn" in r.text
    # the GMS API keeps its own answers
    assert get(ui_server, "/config").json()["noCode"] == "true"


def test_wrong_path_name_redirects_to_the_entitys_own(ui_server: Server) -> None:
    r = get(ui_server, "/chart/" + quote(SRC, safe=""), allow_redirects=False)
    assert r.status_code == 301 and r.headers["location"] == entity_url(SRC)


def test_html_in_metadata_is_escaped(ui_server: Server) -> None:
    for tab in ("Properties", "Aspects", "Lineage", "History", "Timeline"):
        r = get(ui_server, entity_url(HOSTILE, tab))
        assert r.status_code == 200
        assert "<script>window.pwned" not in r.text and "<img src=x" not in r.text and "<b>bold</b>" not in r.text
        if tab in ("Properties", "Aspects"):
            assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in r.text
    assert '<h1 class="entity-name">&lt;b&gt;bold&lt;/b&gt; table</h1>' in get(ui_server, entity_url(HOSTILE)).text
    r = get(ui_server, "/search?query=pwned")
    assert "<script>window.pwned" not in r.text and "&lt;script&gt;" in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]


def test_schema_tab_has_types_keys_and_foreign_keys(ui_server: Server) -> None:
    store = ui_server[1].state.served.store
    urn = DST
    sm = store.get(urn, ["schemaMetadata"])["schemaMetadata"]
    r = get(ui_server, entity_url(urn, "Schema"))
    assert r.status_code == 200
    assert f"{len(sm['fields'])} field" in r.text
    assert r.text.count("<tr data-depth=") == len(sm["fields"])
    assert r.text.count(">PK<") == 1
    fk = re.search(r'<a class="badge fk" href="([^"]+)" title="foreign key fk_order">FK → order_id</a>', r.text)
    assert fk and unescape(fk.group(1)) == entity_url(SRC, "Schema")


def test_lineage_tab_lists_both_directions_and_columns(ui_server: Server) -> None:
    r = get(ui_server, entity_url(DST, "Lineage") + "?hops=2&columns=1")
    assert r.status_code == 200
    assert "1 upstream" in r.text and "2 fields" not in r.text  # both ends' fields are drawn
    data = re.search(r'<script type="application/json" id="lineage-data">(.*?)</script>', r.text, re.S)
    assert data
    import json

    elements = json.loads(data.group(1))
    ids = {e["data"]["id"] for e in elements if "source" not in e["data"]}
    assert {SRC, DST, f"urn:li:schemaField:({SRC},amount)", f"urn:li:schemaField:({DST},revenue)"} <= ids
    column_edges = {(e["data"]["source"], e["data"]["target"]) for e in elements if e["data"].get("column")}
    assert (f"urn:li:schemaField:({SRC},order_id)", f"urn:li:schemaField:({DST},order_key)") in column_edges


def test_every_tab_of_every_main_type_renders(ui_server: Server) -> None:
    from litemeta.serve.ui.paths import TABS

    store = ui_server[1].state.served.store
    for et in (
        "dataset",
        "chart",
        "dashboard",
        "dataFlow",
        "dataJob",
        "corpuser",
        "corpGroup",
        "glossaryTerm",
        "domain",
        "container",
        "tag",
    ):
        urn = store.search("*", entity_types=[et], count=1).results[0].urn
        for tab, _ in TABS:
            r = get(ui_server, entity_url(urn, tab))
            assert r.status_code == 200, (urn, tab, r.text[-500:])
            assert '<h1 class="entity-name">' in r.text


def post_edit(server: Server, urn: str, action: str, tab: str = "Tags", **fields: str) -> requests.Response:
    return requests.post(
        server[0] + "/ui/edit",
        data={"urn": urn, "action": action, "tab": tab, **fields},
        headers={"HX-Request": "true", "Origin": server[0]},
        timeout=30,
    )


def test_edits_are_patch_proposals_through_the_write_path(ui_server: Server) -> None:
    store = ui_server[1].state.served.store
    mcl_before = store.end_offsets()["MetadataChangeLog_Versioned_v1"]
    r = post_edit(ui_server, SRC, "add_tag", value="ui_edited")
    assert r.status_code == 200 and "Tag added" in r.text
    assert {"tag": "urn:li:tag:ui_edited"} in store.get(SRC)["globalTags"]["tags"]
    # journaled as a PATCH on the MCP topic, logged as an MCL, evented, indexed (R1.32)
    mcps = store.read_topic("MetadataChangeProposal_v1", store.end_offsets()["MetadataChangeProposal_v1"] - 1)
    assert mcps[-1].value["changeType"] == "PATCH" and mcps[-1].value["aspectName"] == "globalTags"
    assert store.end_offsets()["MetadataChangeLog_Versioned_v1"] == mcl_before + 1
    assert SRC in [h.urn for h in store.search("*", filters={"tags": ["urn:li:tag:ui_edited"]}).results]
    history = get(ui_server, entity_url(SRC, "History"))
    assert "urn:li:tag:ui_edited" in history.text
    timeline = get(ui_server, entity_url(SRC, "Timeline") + "?category=TAG")
    assert "ui_edited" in timeline.text and "added" in timeline.text
    # owner and description, then removal
    assert (
        post_edit(ui_server, SRC, "add_owner", "Ownership", value="carol", owner_type="DATA_STEWARD").status_code == 200
    )
    assert {"owner": "urn:li:corpuser:carol", "type": "DATA_STEWARD"} in store.get(SRC)["ownership"]["owners"]
    assert post_edit(ui_server, SRC, "set_description", "Properties", description="Edited <here>").status_code == 200
    assert store.get(SRC)["editableDatasetProperties"]["description"] == "Edited <here>"
    assert "Edited &lt;here&gt;" in get(ui_server, entity_url(SRC)).text
    assert post_edit(ui_server, SRC, "remove_tag", value="urn:li:tag:ui_edited").status_code == 200
    assert {"tag": "urn:li:tag:ui_edited"} not in store.get(SRC)["globalTags"]["tags"]


def test_bad_edits_write_nothing(ui_server: Server) -> None:
    store = ui_server[1].state.served.store
    before = store.end_offsets()
    r = post_edit(ui_server, SRC, "add_tag", value="urn:li:corpuser:not-a-tag")
    assert r.status_code == 422 and "expected a tag urn" in unescape(r.text)
    r = post_edit(ui_server, SRC, "drop_table")
    assert r.status_code == 422 and "unknown edit" in unescape(r.text)
    r = requests.post(
        ui_server[0] + "/ui/edit",
        data={"urn": SRC, "action": "add_tag", "value": "x"},
        headers={"Origin": "http://evil.example"},
        timeout=30,
    )
    assert r.status_code == 403
    assert store.end_offsets() == before


def test_activity_feed_runs_and_rollback(ui_server: Server, ui_store_path: Any) -> None:
    store = ui_server[1].state.served.store
    consumed = store.consume("pe", "ui-test-group", 5)
    store.commit("ui-test-group")
    lag = store.lag("ui-test-group")
    assert len(consumed) == 5 and lag["PlatformEvent_v1"] > 0
    r = get(ui_server, "/activity")
    assert r.status_code == 200 and 'id="feed"' in r.text
    assert f"<code>ui-test-group</code></td><td>{sum(lag.values()):,}</td>" in r.text
    assert f"PlatformEvent_v1: {lag['PlatformEvent_v1']:,}" in r.text
    last = store.read_topic("PlatformEvent_v1", store.end_offsets()["PlatformEvent_v1"] - 1)[-1]
    assert f'data-offset="{last.offset}"' in r.text
    runs = get(ui_server, "/ui/runs")
    run_id = store.runs()[0]["runId"]
    assert run_id in runs.text and "Roll back" in runs.text
    # a rollback first shows what it would do, and does nothing until confirmed
    preview = get(ui_server, f"/activity/rollback?run={quote(run_id)}")
    assert preview.status_code == 200 and 'name="confirm" value="yes"' in preview.text
    assert store.runs()[0]["runId"] == run_id


def test_events_stream_sends_new_platform_events(ui_server: Server) -> None:
    store = ui_server[1].state.served.store
    end = store.end_offsets()["PlatformEvent_v1"]
    assert post_edit(ui_server, DST, "add_tag", value="streamed").status_code == 200
    with requests.get(ui_server[0] + f"/ui/events?after={end}", stream=True, timeout=30) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        seen = ""
        for line in r.iter_lines(decode_unicode=True):
            seen += (line or "") + "\n"
            if "urn:li:tag:streamed" in seen:
                break
    assert f"id: {end}" in seen and '"category":"TAG"' in seen


def test_rollback_after_confirmation_restores_the_previous_run(tmp_path: Any) -> None:
    import datahub.metadata.schema_classes as m
    from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW

    from litemeta.serve import ui
    from litemeta.serve.app import create_app
    from litemeta.serve.runner import ServerThread
    from litemeta.store import open_store

    urn = "urn:li:dataset:(urn:li:dataPlatform:hive,rolled.back,PROD)"
    with open_store(str(tmp_path / "r.db")) as store:
        store.ingest([MCPW(entityUrn=urn, aspect=m.DatasetPropertiesClass(description="first"))], run_id="run-a")
        store.ingest([MCPW(entityUrn=urn, aspect=m.DatasetPropertiesClass(description="second"))], run_id="run-b")
        app = create_app(store, extra_routes=ui.routes(), events_helper=False)
        with ServerThread(app) as server:
            preview = requests.get(server.url + "/activity/rollback?run=run-b", timeout=30)
            assert "1 aspect go back" in preview.text
            assert store.get(urn)["datasetProperties"]["description"] == "second"  # nothing done yet
            # without the confirmation field the post only leads back to the question
            r = requests.post(
                server.url + "/ui/rollback",
                data={"run": "run-b"},
                headers={"Origin": server.url},
                allow_redirects=False,
                timeout=30,
            )
            assert r.status_code == 303 and store.get(urn)["datasetProperties"]["description"] == "second"
            r = requests.post(
                server.url + "/ui/rollback",
                data={"run": "run-b", "confirm": "yes"},
                headers={"Origin": server.url},
                timeout=30,
            )
            assert r.status_code == 200 and "Rolled back: 1 aspect restored or removed" in r.text
            assert store.get(urn)["datasetProperties"]["description"] == "first"
            assert ">0 results for “second”" in requests.get(server.url + "/search?query=second", timeout=30).text
            assert "1 result for “first”" in requests.get(server.url + "/search?query=first", timeout=30).text


def test_datahub_clients_still_reach_the_gms_api_beside_the_pages(ui_server: Server) -> None:
    from datahub.metadata.schema_classes import DatasetPropertiesClass

    from litemeta.integrations.testing import graph_for

    graph = graph_for(ui_server[0])
    assert graph.get_aspect(SRC, DatasetPropertiesClass).name == "orders"
    assert graph.exists(DST)
    assert (
        requests.get(
            ui_server[0] + "/aspects/" + quote(SRC, safe="") + "?aspect=datasetProperties&version=0", timeout=30
        ).json()["aspect"]["com.linkedin.dataset.DatasetProperties"]["name"]
        == "orders"
    )


def test_datahub_graph_url_for_links_into_the_browser_view(ui_server: Server, litemeta_server: str) -> None:
    """/config's baseUrl is the server's own URL when it serves the pages, so DataHubGraph.url_for
    (DataHub's links, make_url_for_urn) opens the entity's page; a server without them has none."""
    from litemeta.integrations.testing import graph_for

    url = graph_for(ui_server[0]).url_for(SRC)
    assert url == ui_server[0] + "/dataset/" + quote(SRC, safe="") + "/"
    page = requests.get(url, timeout=30)
    assert page.status_code == 200 and "orders" in page.text
    with pytest.raises(ValueError, match="baseUrl"):
        graph_for(litemeta_server).url_for(SRC)  # the GMS API alone (the pytest plugin's server)


@pytest.mark.parametrize("no_ui", [False, True])
def test_litemeta_serve_command_serves_the_pages_unless_told_not_to(tmp_path: Any, no_ui: bool) -> None:
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as sock:  # a free port (the command binds it itself)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cmd = [
        sys.executable,
        "-m",
        "litemeta",
        "serve",
        "--db",
        str(tmp_path / "cli.db"),
        "--port",
        str(port),
        "--log-level",
        "warning",
    ] + (["--no-ui"] if no_ui else [])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except requests.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.2)
        if no_ui:
            assert r.status_code == 404
        else:
            assert r.status_code == 200 and "0 entities in this store" in r.text
        assert requests.get(f"http://127.0.0.1:{port}/config", timeout=5).json()["noCode"] == "true"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
