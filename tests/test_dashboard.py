"""The web dashboard at /__admin/ui, driven in a real Chromium through Playwright: the live log, the near-miss
diff, the stub editor, scenarios, recordings, settings, the token flow, escaping and the CSP.

``MOCKPIT_SCREENSHOTS=1`` also writes the screenshots in docs/images/ (dashboard-*.png).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from _browser import launch_playwright_chromium
from _processes import mockpit_command, started
from mockpit import MockServer
from mockpit._admin.dashboard import Dashboard
from mockpit._engine.engine import Engine
from mockpit._mapping.files import MappingFiles
from mockpit._model import Request
from mockpit._server import internals

ADMIN = "/__admin"
UI = Path(__file__).resolve().parent.parent / "src" / "mockpit" / "_admin" / "ui"
IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"
XSS = "<img src=x onerror=window.__pwned=1>"
# sent as is (raw): httpx would percent-encode it, and a browser too, but a client need not
XSS_PATH = "/<svg/onload=window.__pwned=2>"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = launch_playwright_chromium(playwright)
        yield launched
        launched.close()


class Console:
    """What a page printed to its console (CSP violations land here)."""

    def __init__(self, page: Page) -> None:
        self.messages: list[str] = []
        page.on("console", self._add)

    def _add(self, message: ConsoleMessage) -> None:
        self.messages.append(f"{message.type}: {message.text}")

    def csp_violations(self) -> list[str]:
        return [m for m in self.messages if "Content Security Policy" in m or "Refused to" in m]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


def _open(page: Page, server: MockServer, fragment: str = "") -> Console:
    console = Console(page)
    page.goto(f"{server.url}{ADMIN}/ui{fragment}")
    expect(page.locator("#live")).to_have_text("live")
    return console


def _screenshot(page: Page, name: str) -> None:
    if os.environ.get("MOCKPIT_SCREENSHOTS"):
        IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMAGES / f"dashboard-{name}.png"))


def _editor_save(page: Page, mapping: dict[str, Any]) -> None:
    page.fill("#editor-text", json.dumps(mapping, indent=2))
    page.click("#editor-save")


# --- serving the page -----------------------------------------------------------------------------------------


def test_the_page_and_its_files_carry_a_strict_policy_and_stay_small() -> None:
    with MockServer() as server, httpx.Client(base_url=server.url, timeout=10) as client:
        for path in ("/ui", "/ui/", "/ui/app.js", "/ui/app.css", "/ui/icon.svg"):
            response = client.get(ADMIN + path)
            assert response.status_code == 200, path
            csp = response.headers["content-security-policy"]
            assert "script-src 'self'" in csp
            assert "unsafe-inline" not in csp
            assert "frame-ancestors 'none'" in csp
            assert response.headers["x-content-type-options"] == "nosniff"
        assert client.get(f"{ADMIN}/ui/app.js").headers["content-type"].startswith("text/javascript")
        for missing in ("/ui/nothing.js", "/ui/..%2Fapi.py", "/ui/__init__.py"):
            response = client.get(ADMIN + missing)
            assert response.status_code == 404, missing
            assert "no file" in response.json()["errors"][0]["detail"]
    assert sum(f.stat().st_size for f in UI.iterdir()) < 200_000


def test_the_admin_root_still_lists_stubs_as_json_and_sends_browsers_to_the_dashboard() -> None:
    with MockServer() as server, httpx.Client(base_url=server.url, timeout=10) as client:
        server.add_mapping({"request": {"url": "/a"}, "response": {"status": 200}})
        listing = client.get(f"{ADMIN}/")
        assert listing.json()["meta"]["total"] == 1
        assert listing.headers["link"] == f'<{ADMIN}/ui>; rel="alternate"; type="text/html"'
        browser_like = client.get(f"{ADMIN}/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
        assert browser_like.status_code == 302
        assert browser_like.headers["location"] == f"{ADMIN}/ui"


def test_the_dashboard_is_gone_with_the_admin_api() -> None:
    with MockServer(admin=False) as server:
        assert httpx.get(f"{server.url}{ADMIN}/ui", timeout=10).status_code == 404


def test_a_foreign_host_gets_no_page() -> None:
    with MockServer() as server:
        response = httpx.get(f"{server.url}{ADMIN}/ui", headers={"Host": "attacker.example"}, timeout=10)
        assert response.status_code == 403
        assert "--admin-host" in response.json()["errors"][0]["detail"]


def test_the_live_stream_subscribes_only_while_a_page_reads_it() -> None:
    with MockServer() as server:
        listeners = internals(server).engine.listeners
        assert listeners == []
        with (
            httpx.Client(base_url=server.url, timeout=10) as client,
            client.stream("GET", f"{ADMIN}/dashboard/events") as stream,
        ):
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.iter_lines()
            assert next(lines) == "retry: 2000"
            assert len(listeners) == 1
            httpx.get(f"{server.url}/hello", timeout=10)
            block = [next(lines) for _ in range(5)]
            assert block[2] == "event: request"
            event = json.loads(block[4].removeprefix("data: "))
            assert event["request"]["url"] == "/hello"
            assert event["wasMatched"] is False
        deadline = time.monotonic() + 10
        while listeners and time.monotonic() < deadline:
            time.sleep(0.02)
        assert listeners == []


def test_a_page_that_falls_behind_is_told_to_reload_and_holds_no_more() -> None:
    async def run() -> list[bytes]:
        engine = Engine()
        stream = Dashboard(engine, MappingFiles(None), ADMIN)._stream()
        chunks = [await anext(stream)]  # subscribed
        for i in range(1005):  # served while the page reads nothing
            await engine.handle(Request("GET", f"/{i}"))
        while len(chunks) < 1002:
            chunks.append(await anext(stream))
        await stream.aclose()
        assert engine.listeners == []
        return chunks

    chunks = asyncio.run(run())
    assert all(chunk.startswith(b"event: request\n") for chunk in chunks[1:1001])
    assert b'"url": "/999"' in chunks[1000]
    assert chunks[1001] == b"event: overflow\ndata: {}\n\n"


def test_a_server_with_a_dashboard_open_stops_at_once() -> None:
    server = MockServer().start()
    with httpx.stream("GET", f"{server.url}{ADMIN}/dashboard/events", timeout=10) as stream:
        lines = stream.iter_lines()
        assert next(lines) == "retry: 2000"
        start = time.perf_counter()
        server.stop()
        took = time.perf_counter() - start
        assert list(lines) == [": connected", ""]  # the stream ended cleanly, not cut
    assert took < 1.5, f"stopping took {took:.2f} s: the live stream held it up"


def test_the_cli_start_up_line_names_the_dashboard(tmp_path: Path) -> None:
    ready = re.compile(r"dashboard at (http://\S+/__admin/ui)\)")
    with started(mockpit_command("serve", "--port", "0"), ready, tmp_path) as run:
        assert httpx.get(run.ready.group(1), timeout=10).status_code == 200


# --- in the browser -------------------------------------------------------------------------------------------


def test_create_a_stub_see_requests_live_see_the_near_miss_then_fix_the_stub(page: Page) -> None:
    with MockServer() as server:
        console = _open(page, server)
        page.click("nav button[data-view=stubs]")
        page.click("#new-stub")
        _editor_save(
            page,
            {
                "name": "hello",
                "request": {"method": "GET", "urlPath": "/hello"},
                "response": {"status": 200, "body": "hi"},
            },
        )
        expect(page.locator("#editor-errors")).to_have_text("Saved.")
        expect(page.locator("#stubs tr")).to_have_count(1)
        stub_id = server.stubs[0].id

        assert httpx.get(f"{server.url}/hello", timeout=10).text == "hi"
        page.click("nav button[data-view=requests]")
        row = page.locator("#requests li").first
        expect(row.locator(".url")).to_have_text("/hello")
        expect(row.locator(".stub")).to_have_text("hello")

        assert httpx.get(f"{server.url}/hellø", timeout=10).status_code == 404
        near = page.locator("#requests li").first
        expect(near.locator(".stub")).to_have_text("no stub matched")
        near.locator(".row").click()
        expect(near.locator(".diff")).to_contain_text("/hello")
        _screenshot(page, "requests")

        near.locator(".make-stub").click()  # the editor, prefilled from the request
        prefilled = json.loads(page.locator("#editor-text").input_value())
        assert prefilled["request"] == {"method": "GET", "urlPath": "/hell%C3%B8"}
        page.click("#editor-close")

        page.locator(f"#stubs tr[data-id='{stub_id}']").click()
        expect(page.locator("#editor-title")).to_have_text("Stub hello")
        mapping = json.loads(page.locator("#editor-text").input_value())
        mapping["request"] = {"method": "GET", "urlPathPattern": "/hel.*"}
        _editor_save(page, mapping)
        expect(page.locator("#editor-errors")).to_have_text("Saved.")
        _screenshot(page, "stubs")
        assert httpx.get(f"{server.url}/hellø", timeout=10).status_code == 200
        page.click("nav button[data-view=requests]")
        expect(page.locator("#requests li").first.locator(".stub")).to_have_text("hello")
        page.locator("#requests li").first.locator(".row").click()
        expect(page.locator(".stub-link")).to_have_text("hello")
        assert console.csp_violations() == []


def test_editor_errors_name_the_field_as_the_admin_api_does(page: Page) -> None:
    with MockServer() as server:
        _open(page, server)
        page.click("nav button[data-view=stubs]")
        page.click("#new-stub")
        _editor_save(page, {"request": {"method": "GET", "urlPath": "/x"}, "response": {"status": "many"}})
        expect(page.locator("#editor-errors li code")).to_have_text("/response/status")
        page.fill("#editor-text", "{not json")
        page.click("#editor-save")
        expect(page.locator("#editor-errors")).to_contain_text("not valid JSON")
        assert server.stubs == []


def test_filters_copy_as_curl_and_delete(page: Page) -> None:
    with MockServer() as server:
        server.add_mapping({"request": {"method": "POST", "url": "/orders"}, "response": {"status": 201}})
        _open(page, server)
        httpx.post(f"{server.url}/orders", content="it's", headers={"X-Trace": "1"}, timeout=10)
        httpx.get(f"{server.url}/missing", timeout=10)
        expect(page.locator("#requests li")).to_have_count(2)
        page.select_option("#f-matched", "no")
        expect(page.locator("#requests li")).to_have_count(1)
        page.select_option("#f-matched", "")
        page.fill("#f-status", "2xx")
        expect(page.locator("#requests li")).to_have_count(1)
        page.fill("#f-status", "")
        page.select_option("#f-method", "POST")
        expect(page.locator("#requests li .url")).to_have_text(["/orders"])
        page.locator("#requests li .row").click()
        page.click(".copy-curl")
        curl = page.locator(".curl").inner_text()
        assert curl.startswith(f"curl -X POST '{server.url}/orders'")
        assert "-H 'X-Trace: 1'" in curl
        assert "--data-binary 'it'\\''s'" in curl
        page.click("nav button[data-view=stubs]")
        page.locator("#stubs tr").first.click()
        page.click("#editor-delete")
        expect(page.locator("#stubs tr")).to_have_count(0)
        assert server.stubs == []


def test_scenarios_are_listed_set_and_reset(page: Page) -> None:
    with MockServer() as server:
        for state, new in (("Started", "Paid"), ("Paid", None)):
            mapping: dict[str, Any] = {"scenarioName": "checkout", "requiredScenarioState": state}
            mapping |= {"request": {"url": f"/{state}"}, "response": {"status": 200}}
            if new:
                mapping["newScenarioState"] = new
            server.add_mapping(mapping)
        _open(page, server)
        page.click("nav button[data-view=scenarios]")
        row = page.locator("#scenarios tr[data-name=checkout]")
        expect(row.locator(".state")).to_have_text("Started")
        row.locator("select").select_option("Paid")
        row.locator("button").click()
        expect(row.locator(".state")).to_have_text("Paid")
        assert server.scenarios()[0].state == "Paid"
        _screenshot(page, "scenarios")
        page.click("#reset-scenarios")
        expect(row.locator(".state")).to_have_text("Started")


def test_recordings_settings_and_reset(page: Page) -> None:
    with MockServer() as upstream, MockServer() as server:
        upstream.add_mapping({"request": {"url": "/up"}, "response": {"status": 200, "body": "from upstream"}})
        _open(page, server)
        page.click("nav button[data-view=recordings]")
        expect(page.locator("#rec-status")).to_have_text("NeverStarted")
        page.fill("#rec-target", upstream.url)
        page.click("#rec-start button")  # this server has no folder to save them to: the notice says so
        expect(page.locator("#notice")).to_contain_text('pass "persist": false')
        page.uncheck("#rec-persist")
        page.click("#rec-start button")
        expect(page.locator("#rec-status")).to_have_text("Recording")
        assert httpx.get(f"{server.url}/up", timeout=10).text == "from upstream"
        page.click("#rec-snapshot")
        expect(page.locator("#rec-result")).to_contain_text("GET /up")
        page.click("#rec-stop")
        expect(page.locator("#rec-status")).to_have_text("Stopped")
        expect(page.locator("#rec-result")).to_contain_text("1 stub(s)")

        page.click("nav button[data-view=settings]")
        expect(page.locator("#set-delay")).to_have_value("0")  # loaded: filling it now is not overwritten
        page.fill("#set-delay", "25")
        page.click("#settings-form button")
        expect(page.locator("#set-delay")).to_have_value("25")
        assert httpx.get(f"{server.url}{ADMIN}/settings", timeout=10).json()["settings"]["fixedDelay"] == 25
        page.click("#reset-all")
        expect(page.locator("#notice")).to_contain_text("Reset")
        assert server.stubs == []
        assert server.requests() == []


def test_openapi_operations_are_listed(page: Page, tmp_path: Path) -> None:
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Pets", "version": "1"},
        "paths": {"/pets": {"get": {"operationId": "listPets", "responses": {"200": {"description": "ok"}}}}},
    }
    document = tmp_path / "pets.json"
    document.write_text(json.dumps(spec))
    with MockServer(openapi=document) as server:
        _open(page, server)
        page.click("nav button[data-view=settings]")
        expect(page.locator("#operations tr")).to_have_count(1)
        expect(page.locator("#operations tr td").nth(2)).to_have_text("listPets")
        _screenshot(page, "settings")
        page.click("nav button[data-view=stubs]")
        expect(page.locator("#stubs .badge.openapi")).to_have_count(1)


def test_stubs_from_files_are_marked_and_saving_writes_files(page: Page, tmp_path: Path) -> None:
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "a.json").write_text(
        json.dumps({"request": {"url": "/from-file"}, "response": {"status": 200}})
    )
    with MockServer(root=tmp_path) as server:
        server.add_mapping({"request": {"url": "/in-memory"}, "response": {"status": 200}})
        _open(page, server)
        page.click("nav button[data-view=stubs]")
        expect(page.locator("#stubs tr")).to_have_count(2)
        marked = page.locator("#stubs tr", has=page.locator(".badge.file"))
        expect(marked.locator(".url")).to_have_text(["/from-file"])
        page.click("#save-stubs")
        expect(page.locator("#stubs .badge.file")).to_have_count(2)
        assert len(list((tmp_path / "mappings").iterdir())) == 2


def test_attacker_chosen_strings_are_shown_as_text(page: Page) -> None:
    with MockServer() as server:
        server.add_mapping({"name": XSS, "request": {"urlPath": "/x"}, "response": {"status": 200, "body": XSS}})
        console = _open(page, server)
        httpx.post(f"{server.url}/x", content=XSS, headers={"X-Evil": XSS}, timeout=10)
        connection = http.client.HTTPConnection("127.0.0.1", httpx.URL(server.url).port, timeout=10)
        connection.request("GET", XSS_PATH)
        assert connection.getresponse().status == 404
        connection.close()
        expect(page.locator("#requests li")).to_have_count(2)
        for row in page.locator("#requests li .row").all():
            row.click()
        page.click("nav button[data-view=stubs]")
        expect(page.locator("#stubs .name")).to_have_text(XSS)
        page.click("nav button[data-view=requests]")
        expect(page.locator(".req-head").nth(1)).to_contain_text(f"X-Evil: {XSS}")
        expect(page.locator(".req-body")).to_have_text(XSS)
        expect(page.locator(".diff")).to_contain_text(XSS_PATH)
        expect(page.locator("#requests .url").first).to_have_text(XSS_PATH)
        assert page.locator("main img").count() == 0
        assert page.evaluate("window.__pwned") is None
        assert console.csp_violations() == []


def test_a_token_is_taken_from_the_address_or_asked_for(page: Page, browser: Browser) -> None:
    with MockServer(admin_token="s3cret") as server:
        assert httpx.get(f"{server.url}{ADMIN}/dashboard/events", timeout=10).status_code == 401
        page.goto(f"{server.url}{ADMIN}/ui")
        expect(page.locator("#token-form")).to_be_visible()
        page.fill("#token-input", "s3cret")
        page.click("#token-form button")
        expect(page.locator("#live")).to_have_text("live")
        httpx.get(f"{server.url}/with-token", timeout=10)
        expect(page.locator("#requests li .url")).to_have_text(["/with-token"])

        other = browser.new_context().new_page()
        other.goto(f"{server.url}{ADMIN}/ui#token=s3cret")
        expect(other.locator("#live")).to_have_text("live")
        assert "#" not in other.url  # out of the address bar and the history
        assert other.evaluate("sessionStorage.getItem('mockpit-admin-token')") == "s3cret"
        expect(other.locator("#requests li .url")).to_have_text(["/with-token"])
        other.context.close()


def test_ten_thousand_stubs_and_a_full_journal_stay_quick(page: Page) -> None:
    with MockServer(journal_size=2000) as server:
        for i in range(10_000):
            server.add_mapping({"name": f"stub {i}", "request": {"url": f"/items/{i}"}, "response": {"status": 200}})
        with httpx.Client(base_url=server.url, timeout=10) as client:
            for i in range(2000):
                client.get(f"/items/{i}")
        start = time.perf_counter()
        _open(page, server)
        # the newest 1,000 of a full journal, then each new one
        expect(page.locator("#req-count")).to_have_text("1000 of 1000 requests")
        took = time.perf_counter() - start
        assert page.locator("#requests li").count() == 100  # drawn a page at a time
        httpx.get(f"{server.url}/items/5", timeout=10)
        expect(page.locator("#req-count")).to_have_text("1001 of 1001 requests")
        page.click("#more-requests")
        expect(page.locator("#requests li")).to_have_count(200)
        page.click("nav button[data-view=stubs]")
        expect(page.locator("#stubs-page")).to_have_text("1-100 of 10000")
        page.fill("#stub-search", "/items/9999")
        expect(page.locator("#stubs tr .url")).to_have_text(["/items/9999"])
        assert took < 5, f"the page took {took:.2f} s to show 1,000 requests"


def test_the_page_loads_fast(page: Page) -> None:
    with MockServer() as server:
        page.goto(f"{server.url}{ADMIN}/ui")  # warm: the first load reads the files from the package
        page.goto(f"{server.url}{ADMIN}/ui")
        timing = page.evaluate("performance.getEntriesByType('navigation')[0].toJSON()")
        assert timing["domContentLoadedEventEnd"] < 1000  # milliseconds; about 30 on an idle machine


def test_the_docs_show_screenshots_that_exist_and_stay_small() -> None:
    root = IMAGES.parent.parent
    shown = {
        (page.parent / link).resolve()
        for page in (root / "README.md", root / "docs" / "dashboard.md")
        for link in re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", page.read_text(encoding="utf-8"))
    }
    made = {path.resolve() for path in IMAGES.glob("dashboard-*.png")}
    assert made == shown  # every screenshot the tests make is shown, and every one shown is made
    for image in made:
        assert image.stat().st_size < 150_000, image.name
