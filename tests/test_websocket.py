"""WebSocket stubs over real sockets, with the websockets client library and aiohttp's client."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from mockpit import (
    HandlerError,
    MappingError,
    MockpitError,
    MockServer,
    VerificationError,
    WebSocket,
    binary_equal_to,
    contains,
    equal_to,
    equal_to_json,
    matches,
    matches_json_path,
    request,
)
from mockpit._server import internals


def ws_url(server: MockServer, path: str) -> str:
    return "ws" + server.url.removeprefix("http") + path


async def opened(server: MockServer, count: int = 1) -> None:
    """Until ``count`` connections are open on the server's side (the client's handshake ends first)."""
    deadline = time.monotonic() + 10
    # the server's state has no event to wait on; a 10 ms poll ends within a tick of the handshake
    while len(server.websocket_connections) - len(internals(server).websockets.closed) < count:
        assert time.monotonic() < deadline, "the connections did not open"
        await asyncio.sleep(0.01)


def run(coroutine: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coroutine, 30))


@pytest.fixture
def server() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


async def exchange(url: str, *messages: str | bytes, replies: int = 1, **options: Any) -> list[str | bytes]:
    """Send ``messages`` and collect ``replies`` messages on one connection."""
    got: list[str | bytes] = []
    async with connect(url, **options) as ws:
        for message in messages:
            await ws.send(message)
        for _ in range(replies):
            got.append(await ws.recv())
    return got


def test_rules_answer_each_kind_of_message_matcher(server: MockServer) -> None:
    chat = server.websocket("/chat")
    chat.on_message(equal_to("ping")).send("pong")
    chat.on_message(contains("weather")).send("sunny")
    chat.on_message(matches(r"add (\d+)")).send("added {{regexExtract message.body '\\d+'}}")
    chat.on_message(equal_to_json({"op": "sum", "a": 1})).send(json={"sum": 1})
    chat.on_message(matches_json_path("$.subscribe")).send(
        '{"subscribed": "{{jsonPath message.body \'$.subscribe\'}}"}'
    )

    async def talk() -> list[str | bytes]:
        url = ws_url(server, "/chat")
        return [
            *(await exchange(url, "ping")),
            *(await exchange(url, "what is the weather?")),
            *(await exchange(url, "add 42")),
            *(await exchange(url, '{"a": 1, "op": "sum"}')),
            *(await exchange(url, '{"subscribe": "prices"}')),
        ]

    assert run(talk()) == ["pong", "sunny", "added 42", '{"sum":1}', '{"subscribed": "prices"}']
    server.check()


def test_greeting_on_open_is_templated_with_the_handshake(server: MockServer) -> None:
    server.websocket("/feed").on_open().send("hello {{request.query.user}} on {{request.path}}")
    assert run(exchange(ws_url(server, "/feed?user=ann"))) == ["hello ann on /feed"]


def test_a_script_runs_in_order_with_its_delays_and_repeats(server: MockServer) -> None:
    ticker = server.websocket("/ticker")
    ticker.on_message("start").send("go").send("tick {{message.body}}", delay_ms=150, every_ms=30, times=3).send(
        "done", delay_ms=200
    )

    async def talk() -> tuple[list[str | bytes], float]:
        async with connect(ws_url(server, "/ticker")) as ws:
            await ws.send("start")
            began = time.monotonic()
            first = await ws.recv()
            second = await ws.recv()
            delayed = time.monotonic() - began
            rest = [await ws.recv() for _ in range(3)]
            return [first, second, *rest], delayed

    got, delayed = run(talk())
    # the repeat runs beside the rest of the script: "done" comes 200 ms after the repeat began
    assert got == ["go", "tick start", "tick start", "tick start", "done"]
    assert delayed >= 0.14  # the 150 ms delay, with a generous lower bound only


def test_close_with_code_and_reason(server: MockServer) -> None:
    server.websocket("/bye").on_message("bye").send("see you").close(4001, "done here")

    async def talk() -> tuple[str | bytes, int | None, str | None]:
        async with connect(ws_url(server, "/bye")) as ws:
            await ws.send("bye")
            reply = await ws.recv()
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None
            return reply, closed.value.rcvd.code, closed.value.rcvd.reason

    assert run(talk()) == ("see you", 4001, "done here")
    (channel,) = server.websocket_connections
    assert not channel.open
    assert channel.close_code == 4001


def test_the_handshake_is_matched_on_query_headers_and_subprotocol(server: MockServer) -> None:
    pattern = request("GET", "/prices").query("symbol", "ACME").header("Authorization", "Bearer t0k")
    server.websocket(pattern, subprotocol="prices.v2").on_open().send("ACME 10")

    async def talk() -> tuple[list[str | bytes], str | None]:
        url = ws_url(server, "/prices?symbol=ACME")
        async with connect(
            url, subprotocols=["prices.v1", "prices.v2"], additional_headers={"Authorization": "Bearer t0k"}
        ) as ws:  # type: ignore[list-item]
            return [await ws.recv()], ws.subprotocol

    assert run(talk()) == (["ACME 10"], "prices.v2")

    async def refused(url: str, **options: Any) -> InvalidStatus:
        with pytest.raises(InvalidStatus) as caught:
            async with connect(url, **options):
                pass
        return caught.value

    wrong_symbol = run(
        refused(
            ws_url(server, "/prices?symbol=OTHER"),
            subprotocols=["prices.v2"],
            additional_headers={"Authorization": "Bearer t0k"},
        )
    )
    assert wrong_symbol.response.status_code == 404
    report = wrong_symbol.response.body.decode()
    assert "no WebSocket stub accepts this connection" in report
    assert "symbol" in report
    assert "OTHER" in report
    no_protocol = run(
        refused(ws_url(server, "/prices?symbol=ACME"), additional_headers={"Authorization": "Bearer t0k"})
    )
    assert "needs the subprotocol 'prices.v2'" in no_protocol.response.body.decode()


def test_a_server_without_websocket_stubs_says_so(server: MockServer) -> None:
    with pytest.raises(InvalidStatus) as caught:
        run(exchange(ws_url(server, "/anything")))
    assert caught.value.response.status_code == 404
    assert "There are no WebSocket stubs" in caught.value.response.body.decode()
    # plain HTTP on the same server is unaffected
    assert httpx.get(server.url + "/anything").status_code == 404


def test_a_python_handler_holds_the_conversation(server: MockServer) -> None:
    async def adder(ws: WebSocket) -> None:
        total = 0
        await ws.send({"ready": True, "user": ws.request.query.get("user", ["?"])[0]})
        async for message in ws:
            if message == "end":
                await ws.close(1000, f"total {total}")
                return
            total += int(message)
            await ws.send(str(total))

    server.websocket("/add").handle(adder)

    async def talk() -> tuple[list[Any], str | None]:
        async with connect(ws_url(server, "/add?user=bo")) as ws:
            got: list[Any] = [json.loads(await ws.recv())]
            for n in ("1", "2", "3"):
                await ws.send(n)
                got.append(await ws.recv())
            await ws.send("end")
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            return got, closed.value.rcvd.reason if closed.value.rcvd else None

    assert run(talk()) == ([{"ready": True, "user": "bo"}, "1", "3", "6"], "total 6")
    assert [e.text for e in server.messages()] == ["1", "2", "3", "end"]
    assert [e.text for e in server.messages(direction="sent")][1:] == ["1", "3", "6"]
    server.check()


def test_a_failing_handler_closes_with_1011_and_fails_the_test(server: MockServer) -> None:
    async def broken(ws: WebSocket) -> None:
        await ws.receive()
        raise KeyError("no such account")

    server.websocket("/broken").handle(broken)

    async def talk() -> int | None:
        async with connect(ws_url(server, "/broken")) as ws:
            await ws.send("hi")
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            return closed.value.rcvd.code if closed.value.rcvd else None

    assert run(talk()) == 1011
    with pytest.raises(HandlerError, match="no such account"):
        server.check()


def test_unmatched_messages_get_a_near_miss_report_and_fail_check(server: MockServer) -> None:
    chat = server.websocket("/chat")
    chat.on_message(equal_to_json({"type": "join", "room": "a"})).send("joined")

    async def talk() -> None:
        async with connect(ws_url(server, "/chat")) as ws:
            await ws.send('{"type": "join", "room": "b"}')
            await ws.send("ping")  # after the first: both are journaled once this one is

    run(talk())
    unmatched = server.unmatched_messages
    assert len(unmatched) == 2
    report = unmatched[0].near_miss_report or ""
    assert "no WebSocket message stub matched" in report
    assert "room" in report
    assert '"b"' in report
    with pytest.raises(MockpitError, match="2 WebSocket message"):
        server.check()
    server.check(allow_unmatched=True)


def test_verify_messages_counts_and_explains(server: MockServer) -> None:
    server.websocket("/chat").on_message().send("ok")

    async def talk() -> None:
        async with connect(ws_url(server, "/chat")) as ws:
            for text in ("hello", "hello again", "bye"):
                await ws.send(text)
                await ws.recv()

    run(talk())
    assert len(server.verify_messages(contains("hello"), 2)) == 2
    server.verify_messages("ok", 3, direction="sent")
    server.verify_messages(path="/chat", at_least=3)
    with pytest.raises(VerificationError) as caught:
        server.verify_messages(equal_to("hello!"))
    text = str(caught.value)
    assert "expected at least 1 received WebSocket message(s)" in text
    assert "hello" in text
    assert "Closest messages" in text
    with pytest.raises(VerificationError):
        server.verify_messages(path="/other")


def test_verify_messages_waits_for_messages_still_coming(server: MockServer) -> None:
    server.websocket("/slow").on_open().send("late", delay_ms=300)

    async def listen() -> None:
        async with connect(ws_url(server, "/slow")) as ws:
            await ws.recv()

    import threading

    thread = threading.Thread(target=run, args=(listen(),))
    thread.start()
    try:
        events = server.verify_messages("late", direction="sent", timeout=10)
    finally:
        thread.join(30)
    assert [e.text for e in events] == ["late"]


def test_broadcast_reaches_every_open_connection_on_the_path(server: MockServer) -> None:
    server.websocket("/feed")
    server.websocket("/other")

    async def listen(count: int) -> list[list[str | bytes]]:
        feeds = [await connect(ws_url(server, "/feed")) for _ in range(count)]
        other = await connect(ws_url(server, "/other"))
        try:
            await opened(server, count + 1)
            sent = await asyncio.to_thread(server.broadcast, "/feed", {"price": 10})
            assert sent == count
            got = [[await ws.recv()] for ws in feeds]
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(other.recv(), 0.2)
            return got
        finally:
            for ws in [*feeds, other]:
                await ws.close()

    assert run(listen(5)) == [['{"price":10}']] * 5


def test_an_http_request_can_push_to_sockets(server: MockServer) -> None:
    server.websocket("/notifications")
    server.when(request("POST", "/notify")).respond(204)
    server.add_message_mapping(
        {
            "trigger": {"type": "http-request", "requestPattern": {"method": "POST", "urlPath": "/notify"}},
            "actions": [
                {
                    "type": "send",
                    "message": {"body": {"data": "notified: {{jsonPath request.body '$.text'}}"}},
                    "channelTarget": {"type": "request-initiated", "requestPattern": {"urlPath": "/notifications"}},
                }
            ],
        }
    )

    async def talk() -> str | bytes:
        async with connect(ws_url(server, "/notifications")) as ws:
            await opened(server)
            async with httpx.AsyncClient() as client:
                assert (await client.post(server.url + "/notify", json={"text": "hi"})).status_code == 204
            return await ws.recv()

    assert run(talk()) == "notified: hi"


def test_binary_messages_match_and_answer_in_binary(server: MockServer) -> None:
    server.websocket("/bin").on_message(binary_equal_to(b"\x00\x01")).send(binary=b"\xff\xfe")
    assert run(exchange(ws_url(server, "/bin"), b"\x00\x01")) == [b"\xff\xfe"]


def test_aiohttp_client(server: MockServer) -> None:
    chat = server.websocket("/chat")
    chat.on_message("ping").send("pong")
    chat.on_message(binary_equal_to(b"raw")).send(binary=b"bytes back")

    async def talk() -> list[Any]:
        async with aiohttp.ClientSession() as session, session.ws_connect(ws_url(server, "/chat")) as ws:
            await ws.send_str("ping")
            text = await ws.receive_str()
            await ws.send_bytes(b"raw")
            data = await ws.receive_bytes()
            return [text, data]

    assert run(talk()) == ["pong", b"bytes back"]


def test_two_hundred_concurrent_connections(server: MockServer) -> None:
    server.websocket("/echo").on_message().send("echo {{message.body}}")

    async def one(i: int) -> str | bytes:
        async with connect(ws_url(server, "/echo")) as ws:
            await ws.send(str(i))
            return await ws.recv()

    async def many() -> list[str | bytes]:
        return await asyncio.gather(*(one(i) for i in range(200)))

    assert run(many()) == [f"echo {i}" for i in range(200)]
    assert len(server.messages()) == 200


def test_stopping_the_server_closes_open_connections(server: MockServer) -> None:
    server.websocket("/stay")

    async def hold() -> float:
        async with connect(ws_url(server, "/stay")) as ws:
            await opened(server)
            began = time.monotonic()
            await asyncio.to_thread(server.stop)
            with pytest.raises(ConnectionClosed):
                await ws.recv()
            return time.monotonic() - began

    assert run(hold()) < 10


def test_reset_removes_stubs_added_since_and_the_journal(tmp_path: Path) -> None:
    (tmp_path / "message-mappings").mkdir(parents=True)
    (tmp_path / "message-mappings" / "echo.json").write_text(json.dumps(ECHO))
    with MockServer(root=tmp_path) as server:
        server.websocket("/extra")
        run(exchange(ws_url(server, "/echo"), "hi"))
        assert len(server.message_stubs) == 2
        server.reset()
        assert [s.name for s in server.message_stubs] == ["Echo stub"]
        assert server.messages() == []


#: WireMock 4's own documented echo stub, as its docs give it
ECHO = {
    "name": "Echo stub",
    "trigger": {
        "type": "message",
        "channel": {"type": "websocket", "initiatingRequestPattern": {"urlPath": "/echo"}},
        "message": {"body": {"matches": ".*"}},
    },
    "actions": [
        {
            "type": "send",
            "channelTarget": {"type": "originating"},
            "message": {"body": {"data": "Echo: {{message.body}}"}},
        }
    ],
}


def test_message_mapping_files_load_and_reload(tmp_path: Path) -> None:
    folder = tmp_path / "message-mappings"
    folder.mkdir()
    (folder / "echo.json").write_text(json.dumps(ECHO))
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "hello.json").write_text(
        json.dumps({"request": {"urlPath": "/hello"}, "response": {"body": "hi"}})
    )
    with MockServer(mappings=tmp_path) as server:
        assert run(exchange(ws_url(server, "/echo"), "Hello!")) == ["Echo: Hello!"]
        assert httpx.get(server.url + "/hello").text == "hi"
        changed = {**ECHO, "actions": [{"type": "send", "message": {"body": {"data": "Again: {{message.body}}"}}}]}
        (folder / "echo.json").write_text(json.dumps(changed))
        server.reload()
        assert run(exchange(ws_url(server, "/echo"), "Hello!")) == ["Again: Hello!"]


def test_a_broken_message_mapping_file_names_file_and_field(tmp_path: Path) -> None:
    folder = tmp_path / "message-mappings"
    folder.mkdir()
    broken = {**ECHO, "actions": [{"type": "send", "mesage": {"body": {"data": "x"}}}]}
    (folder / "broken.json").write_text(json.dumps(broken))
    with pytest.raises(MappingError) as caught:
        MockServer(mappings=tmp_path)
    text = str(caught.value)
    assert "broken.json" in text
    assert "actions[0].mesage" in text
    assert "did you mean 'message'" in text


def test_mockpit_serve_refuses_a_broken_message_mapping(tmp_path: Path) -> None:
    from tests._processes import refused_serve

    (tmp_path / "message-mappings").mkdir()
    (tmp_path / "message-mappings" / "bad.json").write_text(
        json.dumps({"trigger": {"type": "message", "message": {"body": {"matches": "("}}}})
    )
    done = refused_serve(tmp_path)
    assert done.returncode == 2
    assert "bad.json" in done.stderr
    assert "trigger.message.body.matches" in done.stderr


# --- the admin API, in WireMock 4's shapes ------------------------------------------------------------


def test_admin_message_mappings_crud(server: MockServer) -> None:
    admin = server.url + "/__admin"
    created = httpx.post(admin + "/message-mappings", json=ECHO)
    assert created.status_code == 201
    stub_id = created.json()["id"]
    listed = httpx.get(admin + "/message-mappings").json()
    assert listed["meta"]["total"] == 1
    assert listed["messageMappings"][0]["trigger"]["message"]["body"] == {"matches": ".*"}
    assert run(exchange(ws_url(server, "/echo"), "yo")) == ["Echo: yo"]

    edited = {**ECHO, "actions": [{"type": "send", "message": {"body": {"data": "Edited"}}}]}
    assert httpx.put(f"{admin}/message-mappings/{stub_id}", json=edited).status_code == 200
    assert httpx.get(f"{admin}/message-mappings/{stub_id}").json()["actions"][0]["message"]["body"]["data"] == "Edited"
    assert run(exchange(ws_url(server, "/echo"), "yo")) == ["Edited"]

    assert httpx.delete(f"{admin}/message-mappings/{stub_id}").status_code == 200
    assert httpx.get(f"{admin}/message-mappings/{stub_id}").status_code == 404
    assert httpx.get(admin + "/message-mappings").json()["messageMappings"] == []


def test_admin_refuses_a_wrong_message_mapping_naming_the_field(server: MockServer) -> None:
    answer = httpx.post(
        server.url + "/__admin/message-mappings",
        json={"trigger": {"type": "message"}, "actions": [{"type": "send", "message": {"body": {"dat": "x"}}}]},
    )
    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert "dat" in error["detail"]
    assert "did you mean 'data'" in error["detail"]
    assert error["source"]["pointer"] == "/actions/0/message/body/dat"


def test_admin_messages_channels_and_send(server: MockServer) -> None:
    admin = server.url + "/__admin"
    httpx.post(admin + "/message-mappings", json=ECHO).raise_for_status()

    async def talk() -> tuple[list[str | bytes], dict[str, Any]]:
        async with connect(ws_url(server, "/echo")) as ws:
            await ws.send("one")
            got = [await ws.recv()]
            async with httpx.AsyncClient() as client:
                channels = (await client.get(admin + "/channels")).json()
                sent = await client.post(
                    admin + "/channels/send",
                    json={
                        "type": "websocket",
                        "initiatingRequest": {"urlPath": "/echo"},
                        "message": {"body": {"data": "pushed"}},
                    },
                )
            got.append(await ws.recv())
            return got, {"channels": channels, "sent": sent.json()}

    got, answers = run(talk())
    assert got == ["Echo: one", "pushed"]
    assert answers["channels"]["channels"][0]["initiatingRequest"]["url"] == "/echo"
    assert answers["channels"]["channels"][0]["open"] is True
    assert answers["sent"]["channelsMessaged"] == 1

    events = httpx.get(admin + "/messages").json()["messageServeEvents"]
    assert [(e["eventType"], e["message"]) for e in events] == [
        ("SENT", "pushed"),
        ("SENT", "Echo: one"),
        ("RECEIVED", "one"),
    ]
    assert events[2]["wasMatched"] is True
    assert events[2]["stubMapping"]["name"] == "Echo stub"
    count = httpx.post(admin + "/messages/count", json={"body": {"equalTo": "one"}}).json()
    assert count == {"count": 1, "messageJournalDisabled": False}
    found = httpx.post(admin + "/messages/find", json={"body": {"contains": "Echo"}}).json()["messageServeEvents"]
    assert [e["message"] for e in found] == ["Echo: one"]
    bad = httpx.post(admin + "/messages/count", json={"bodie": {"equalTo": "one"}})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["source"]["pointer"] == "/bodie"

    assert httpx.post(admin + "/reset").status_code == 200
    assert httpx.get(admin + "/messages").json()["messageServeEvents"] == []
    assert httpx.get(admin + "/message-mappings").json()["messageMappings"] == []


def test_a_binary_message_through_the_admin_api(server: MockServer) -> None:
    server.websocket("/bin")

    async def talk() -> str | bytes:
        async with connect(ws_url(server, "/bin")) as ws:
            await opened(server)
            async with httpx.AsyncClient() as client:
                data = base64.b64encode(b"\x00\xff").decode()
                answer = await client.post(
                    server.url + "/__admin/channels/send",
                    json={"type": "websocket", "message": {"body": {"data": data, "isBinary": True}}},
                )
                assert answer.json()["channelsMessaged"] == 1
            return await ws.recv()

    assert run(talk()) == b"\x00\xff"


def test_mockpit_serve_serves_message_mappings_and_logs_unmatched_messages(tmp_path: Path) -> None:
    import re

    from tests._processes import mockpit_command, started

    (tmp_path / "message-mappings").mkdir()
    (tmp_path / "message-mappings" / "echo.json").write_text(json.dumps(ECHO))
    strict = {
        "trigger": {
            "channel": {"initiatingRequestPattern": {"urlPath": "/strict"}},
            "message": {"body": {"equalTo": "a"}},
        }
    }
    (tmp_path / "message-mappings" / "strict.json").write_text(json.dumps(strict))
    ready = re.compile(r"serving \d+ stub\(s\) on (http://127\.0\.0\.1:\d+)")
    with started(mockpit_command("serve", str(tmp_path), "--port", "0", "--verbose"), ready) as run:
        assert any("Loaded 2 WebSocket stub(s)" in line for line in run.seen)
        url = "ws" + run.ready.group(1).removeprefix("http")
        assert asyncio.run(exchange(url + "/echo", "over the wire")) == ["Echo: over the wire"]
        with pytest.raises(InvalidStatus):
            asyncio.run(exchange(url + "/elsewhere", "x"))
        asyncio.run(exchange(url + "/strict", "b", "a", replies=0))
        lines = []
        while not any("equalTo 'a'" in line for line in lines):  # the report after the line saying so
            line = run.lines.get(timeout=10)
            assert line is not None, lines
            lines.append(line)
        logged = "".join(lines)
        assert "WebSocket /elsewhere -> 404, no WebSocket stub accepts it" in logged
        assert "WebSocket /strict: no message stub matched 'b'" in logged
        assert "equalTo 'a'" in logged


def test_the_pytest_plugin_fails_a_test_whose_client_sent_an_unmatched_message(pytester: pytest.Pytester) -> None:
    from tests._inner import run as run_inner

    pytester.makepyfile(
        test_sandbox_websocket="""
        import asyncio

        from websockets.asyncio.client import connect

        def talk(mockpit, text):
            async def go():
                async with connect(mockpit.url.replace("http", "ws") + "/chat") as ws:
                    await ws.send(text)
                    return await ws.recv()
            return asyncio.run(go())

        def test_answered(mockpit):
            mockpit.websocket("/chat").on_message("ping").send("pong")
            assert talk(mockpit, "ping") == "pong"

        def test_unanswered(mockpit):
            mockpit.websocket("/chat").on_message("ping").send("pong")

            async def go():
                async with connect(mockpit.url.replace("http", "ws") + "/chat") as ws:
                    await ws.send("pnig")
                    await ws.send("ping")
                    return await ws.recv()
            assert asyncio.run(go()) == "pong"
        """
    )
    result = run_inner(pytester, "-p", "no:randomly", "-rA")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*1 WebSocket message(s) matched no message stub*", "*message: pnig*"])


def test_wss_over_https() -> None:
    with MockServer(https=True) as server:
        server.websocket("/secure").on_message().send("secret {{message.body}}")
        url = "wss" + server.url.removeprefix("https") + "/secure"
        assert run(exchange(url, "hi", ssl=server.client_ssl_context())) == ["secret hi"]
        (channel,) = server.websocket_connections
        assert channel.request.scheme == "https"
