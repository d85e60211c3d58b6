"""The browser view of a server started with a token: signing in once, the session cookie, signing out.

GMS answers a request without ``Authorization: Bearer <token>`` with 401 (rest-compat.md §3), which a
browser cannot send: the pages send a browser to a sign-in page instead, which sets a session cookie
(an HMAC of the token: HttpOnly, SameSite=Strict, Path=/). The cookie opens the pages, their
fragments, form posts and event stream, never the GMS API, which keeps DataHub's Bearer rule.
Served over HTTP by a real server (uvicorn on a free port) over a store built with the DataHub SDK.
"""

from __future__ import annotations

import re
from html import unescape
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, Iterator, Tuple
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from litemeta.serve.ui.paths import entity_url
from tests.serve.ui.conftest import DST, SRC

TOKEN = "s3cret-token"
Server = Tuple[str, Any]


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``litemeta serve --token`` with the browser view, over a small store of its own."""
    from litemeta.serve import ui
    from litemeta.serve.app import create_app
    from litemeta.serve.runner import ServerThread
    from litemeta.store import open_store
    from tests.serve.ui.conftest import special_records

    path = tmp_path_factory.mktemp("signin") / "litemeta.db"
    with open_store(str(path)) as store:
        store.ingest(special_records())
        store.reindex()
    app = create_app(str(path), token=TOKEN, extra_routes=ui.routes(), sign_in=ui.sign_in(), events_helper=False)
    with ServerThread(app) as server:
        yield server.url, app


def session_cookies(response: requests.Response) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for header in response.raw.headers.getlist("set-cookie"):
        jar.load(header)
    return jar


def signed_in(server: Server) -> requests.Session:
    """A client that signed in through the form, as a browser does (cookies kept by the session)."""
    s = requests.Session()
    s.trust_env = False
    r = s.post(
        server[0] + "/ui/signin",
        data={"token": TOKEN, "next": "/"},
        headers={"Origin": server[0]},
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 303, r.text
    return s


def location(r: requests.Response, header: str = "location") -> Tuple[str, str]:
    """``(path, next)`` of a redirect to the sign-in page."""
    parts = urlsplit(r.headers[header])
    return parts.path, parse_qs(parts.query).get("next", [""])[0]


def test_pages_send_a_browser_to_the_sign_in_page(token_server: Server) -> None:
    base = token_server[0]
    for path in (
        "/",
        "/search?query=orders&filter_platform=urn:li:dataPlatform:hive",
        entity_url(SRC, "Schema"),
        "/activity",
    ):
        r = requests.get(base + path, allow_redirects=False, timeout=30)
        assert r.status_code == 303, path
        assert location(r) == ("/ui/signin", path)
    page = requests.get(base + "/ui/signin?next=/activity", timeout=30)
    assert page.status_code == 200 and 'type="password"' in page.text and 'value="/activity"' in page.text
    assert 'action="/search"' not in page.text  # no search box that would lead back here
    assert requests.get(base + "/assets/app.css", timeout=30).status_code == 200  # the page's own style


def test_a_wrong_token_is_refused_and_sets_no_cookie(token_server: Server) -> None:
    base = token_server[0]
    for wrong in ("", "wrong", TOKEN + " ", TOKEN.upper()):
        r = requests.post(
            base + "/ui/signin",
            data={"token": wrong, "next": "/"},
            headers={"Origin": base},
            allow_redirects=False,
            timeout=30,
        )
        assert r.status_code == 401, wrong
        assert "not this server's token" in unescape(r.text) and "set-cookie" not in r.headers
    # from another site's page, even the right token is not taken
    r = requests.post(
        base + "/ui/signin",
        data={"token": TOKEN},
        headers={"Origin": "http://evil.example"},
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 403 and "set-cookie" not in r.headers


def test_the_session_cookie_is_httponly_strict_and_not_the_token(token_server: Server) -> None:
    base = token_server[0]
    port = urlsplit(base).port
    r = requests.post(
        base + "/ui/signin",
        data={"token": TOKEN, "next": "/search?query=orders"},
        headers={"Origin": base},
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 303 and r.headers["location"] == "/search?query=orders"
    header = r.headers["set-cookie"]
    assert TOKEN not in header
    morsel = session_cookies(r)[f"litemeta_session_{port}"]
    assert morsel["httponly"] and morsel["samesite"].lower() == "strict" and morsel["path"] == "/"
    assert re.fullmatch(r"[0-9a-f]{64}", morsel.value)  # an HMAC-SHA256, hex
    assert not morsel["max-age"] and not morsel["expires"]  # a browser-session cookie


def test_forged_cookies_open_nothing(token_server: Server) -> None:
    base = token_server[0]
    port = urlsplit(base).port
    good = session_cookies(
        requests.post(
            base + "/ui/signin", data={"token": TOKEN}, headers={"Origin": base}, allow_redirects=False, timeout=30
        )
    )
    value = good[f"litemeta_session_{port}"].value
    for name, forged in (
        (f"litemeta_session_{port}", TOKEN),
        (f"litemeta_session_{port}", value[:-1] + "0"),
        (f"litemeta_session_{port}", ""),
        ("litemeta_session", value),
        (f"litemeta_session_{port + 1}", value),
    ):
        r = requests.get(base + "/", cookies={name: forged}, allow_redirects=False, timeout=30)
        assert r.status_code == 303, (name, forged)


def test_the_cookie_opens_pages_fragments_edits_and_the_event_stream(token_server: Server) -> None:
    base, app = token_server
    store = app.state.served.store
    s = signed_in(token_server)
    home = s.get(base + "/", timeout=30)
    assert home.status_code == 200 and "entities in this store" in home.text and 'href="/ui/signout"' in home.text
    found = s.get(base + "/search?query=orders", timeout=30)
    assert found.status_code == 200 and "order" in found.text.lower()
    assert s.get(base + entity_url(DST, "Lineage"), timeout=30).status_code == 200
    assert s.get(base + entity_url(SRC, "Schema"), headers={"HX-Request": "true"}, timeout=30).status_code == 200
    assert s.get(base + "/ui/autocomplete?query=ord", timeout=30).status_code == 200
    end = store.end_offsets().get("PlatformEvent_v1", 0)
    r = s.post(
        base + "/ui/edit",
        data={"urn": SRC, "action": "add_tag", "value": "signed_in_edit", "tab": "Tags"},
        headers={"HX-Request": "true", "Origin": base},
        timeout=30,
    )
    assert r.status_code == 200 and "Tag added" in r.text
    assert {"tag": "urn:li:tag:signed_in_edit"} in store.get(SRC)["globalTags"]["tags"]
    with s.get(
        base + f"/ui/events?after={end}", headers={"Accept": "text/event-stream"}, stream=True, timeout=30
    ) as ev:
        assert ev.status_code == 200 and ev.headers["content-type"].startswith("text/event-stream")
        seen = ""
        for line in ev.iter_lines(decode_unicode=True):
            seen += (line or "") + "\n"
            if "urn:li:tag:signed_in_edit" in seen:
                break
    assert '"category":"TAG"' in seen
    # the edit forms keep their Origin check with the cookie
    before = store.end_offsets()
    r = s.post(
        base + "/ui/edit",
        data={"urn": SRC, "action": "add_tag", "value": "x", "tab": "Tags"},
        headers={"Origin": "http://evil.example"},
        timeout=30,
    )
    assert r.status_code == 403 and store.end_offsets() == before


def test_fragments_posts_and_streams_without_the_cookie_are_refused(token_server: Server) -> None:
    base, app = token_server
    store = app.state.served.store
    current = base + entity_url(SRC, "Tags")
    r = requests.get(
        base + entity_url(SRC, "Schema"),
        headers={"HX-Request": "true", "HX-Current-URL": current},
        allow_redirects=False,
        timeout=30,
    )
    # htmx reloads the whole page at HX-Redirect: the sign-in page, coming back to the page shown
    assert r.status_code == 401 and location(r, "HX-Redirect") == ("/ui/signin", entity_url(SRC, "Tags"))
    r = requests.get(base + "/ui/events", headers={"Accept": "text/event-stream"}, timeout=30)
    assert r.status_code == 401
    before = store.end_offsets()
    r = requests.post(
        base + "/ui/edit",
        data={"urn": SRC, "action": "add_tag", "value": "anonymous", "tab": "Tags"},
        headers={"Origin": base, "Referer": current},
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 303 and location(r) == ("/ui/signin", entity_url(SRC, "Tags"))
    r = requests.post(
        base + "/ui/rollback",
        data={"run": "x", "confirm": "yes"},
        headers={"Origin": base},
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 303 and location(r)[0] == "/ui/signin"
    assert store.end_offsets() == before


def test_the_gms_api_keeps_the_bearer_rule_whatever_the_cookie(token_server: Server) -> None:
    """rest-compat.md §3: GMS answers 401 without ``Authorization: Bearer``; a browser session changes nothing."""
    from datahub.ingestion.graph.client import DatahubClientConfig, DataHubGraph
    from datahub.metadata.schema_classes import DatasetPropertiesClass

    base, app = token_server
    store = app.state.served.store
    s = signed_in(token_server)
    aspect = f"/aspects/{quote(SRC, safe='')}?aspect=datasetProperties&version=0"
    body = {
        "proposal": {
            "entityType": "corpuser",
            "entityUrn": "urn:li:corpuser:cookie",
            "changeType": "UPSERT",
            "aspectName": "status",
            "aspect": {"value": '{"removed": false}', "contentType": "application/json"},
        }
    }
    before = store.end_offsets()
    for r in (
        s.get(base + aspect, timeout=30),
        s.post(base + "/aspects?action=ingestProposal", json=body, timeout=30),
        s.post(base + "/api/graphql", json={"query": "{ __typename }"}, timeout=30),
        s.get(base + "/entitiesV2/" + quote(SRC, safe=""), timeout=30),
        s.get(base + "/openapi/v2/timeline/v1/" + quote(SRC, safe=""), timeout=30),
    ):
        assert r.status_code == 401 and r.json()["status"] == 401
        assert "Authorization: Bearer" in r.json()["message"]
    assert store.end_offsets() == before
    assert s.get(base + "/config", timeout=30).json()["noCode"] == "true"  # public, as in GMS
    bearer = requests.get(base + aspect, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert (
        bearer.status_code == 200
        and bearer.json()["aspect"]["com.linkedin.dataset.DatasetProperties"]["name"] == "orders"
    )
    graph = DataHubGraph(DatahubClientConfig(server=base, token=TOKEN))
    assert graph.get_aspect(SRC, DatasetPropertiesClass).name == "orders"
    # the Bearer header opens the pages too (a script fetching a page)
    assert requests.get(base + "/", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30).status_code == 200


def test_sign_out_clears_the_cookie(token_server: Server) -> None:
    base = token_server[0]
    port = urlsplit(base).port
    s = signed_in(token_server)
    assert s.get(base + "/", allow_redirects=False, timeout=30).status_code == 200
    r = s.get(base + "/ui/signout", allow_redirects=False, timeout=30)
    assert r.status_code == 303 and r.headers["location"] == "/ui/signin"
    cleared = session_cookies(r)[f"litemeta_session_{port}"]
    assert cleared.value == "" and cleared["max-age"] == "0" and cleared["path"] == "/"
    assert s.get(base + "/", allow_redirects=False, timeout=30).status_code == 303


def test_sign_in_returns_only_to_this_servers_pages(token_server: Server) -> None:
    base = token_server[0]
    for target, expected in (
        ("//evil.example/x", "/"),
        ("http://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/dataset/x?y=1", "/dataset/x?y=1"),
    ):
        r = requests.post(
            base + "/ui/signin",
            data={"token": TOKEN, "next": target},
            headers={"Origin": base},
            allow_redirects=False,
            timeout=30,
        )
        assert r.status_code == 303 and r.headers["location"] == expected, target


def test_without_a_token_there_is_nothing_to_sign_in_to(ui_server: Server) -> None:
    base = ui_server[0]
    r = requests.get(base + "/ui/signin?next=/activity", allow_redirects=False, timeout=30)
    assert r.status_code == 303 and r.headers["location"] == "/activity"
    home = requests.get(base + "/", timeout=30)
    assert home.status_code == 200 and "/ui/signout" not in home.text


def test_a_front_end_without_a_sign_in_page_gets_401(tmp_path: Path) -> None:
    """``create_app`` with extra routes and a token but no ``sign_in``: the pages answer 401 (no redirect
    to a page that does not exist), and take the Bearer header."""
    from litemeta.serve import ui
    from litemeta.serve.app import create_app
    from litemeta.serve.runner import ServerThread

    with ServerThread(
        create_app(str(tmp_path / "t.db"), token=TOKEN, extra_routes=ui.routes(), events_helper=False)
    ) as server:
        assert requests.get(server.url + "/", allow_redirects=False, timeout=30).status_code == 401
        assert (
            requests.get(server.url + "/", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30).status_code == 200
        )
