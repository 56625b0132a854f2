"""WebSocket conversations: message stubs, open connections, the message journal and near misses.

A connection is accepted when a :class:`MessageStub`'s channel pattern matches its handshake; then each
incoming message is matched against the stubs (first by priority, newest first, as HTTP stubs are) and
the first match runs its actions: messages sent after their delays, repeated, or a close. A stub with a
Python handler holds the conversation itself.

Matching reuses the HTTP matchers: a message is matched as a request that is the handshake with the
message as its body, so ``equalTo``, ``matches``, ``equalToJson``, ``matchesJsonPath``... and the
near-miss report all work on messages as they do on bodies. The transport (the only ASGI speaker) hands
:meth:`WebSocketHub.converse` the incoming messages and the ways to send and close.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

from mockpit._engine.engine import Engine
from mockpit._engine.journal import ServeEvent
from mockpit._extras import require
from mockpit._matching.near_miss import NearMiss
from mockpit._matching.pattern import CompiledPattern, compile_pattern
from mockpit._matching.report import diff_rows, format_diff
from mockpit._model import MessageAction, MessageStub, Request, RequestPattern, ValuePattern, dump_json
from mockpit._templating.template import Template, compile_template, is_template, syntax_of, template_context
from mockpit._types import JSON

Message = str | bytes
Direction = Literal["RECEIVED", "SENT"]
SendFn = Callable[[Message], Awaitable[None]]
CloseFn = Callable[[int, str], Awaitable[None]]

#: message events and closed channels kept (oldest dropped first), as the HTTP journal keeps requests
DEFAULT_CAPACITY = 10_000
_SHORTLIST = 25


class WebSocketClosed(Exception):
    """The connection closed: ``receive()`` on a handler's :class:`WebSocket` raises it."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(f"the WebSocket connection closed with code {code}" + (f": {reason}" if reason else ""))
        self.code = code
        self.reason = reason


class Channel:
    """One WebSocket connection: its handshake, its state, and how to send to it."""

    def __init__(self, request: Request, subprotocol: str | None, send: SendFn, close: CloseFn) -> None:
        self.id = str(uuid.uuid4())
        self.request = request
        self.subprotocol = subprotocol
        self.opened = time.time()
        self.closed: float | None = None
        self.close_code: int | None = None
        self._send = send
        self._close = close
        #: the actions running for this connection (delays, repeats); cancelled when it closes
        self.tasks: set[asyncio.Task[None]] = set()
        #: the hub's stub list this connection's rules were picked from, and those rules: the message
        #: stubs whose channel pattern matched the handshake, each with its body test alone
        self.rules_of: list[_Compiled] | None = None
        self.rules: list[tuple[_Compiled, CompiledPattern | None]] = []

    @property
    def open(self) -> bool:
        return self.closed is None

    @property
    def path(self) -> str:
        return self.request.path

    def __repr__(self) -> str:
        state = "open" if self.open else f"closed ({self.close_code})"
        return f"<WebSocket channel {self.id} {self.request.url} {state}>"


class MessageEvent:
    """One message in the journal: received from or sent to a connection, and the stub that matched it."""

    __slots__ = ("_id", "channel", "direction", "message", "near_miss_report", "stub", "timestamp")

    def __init__(self, direction: Direction, channel: Channel, message: Message, stub: MessageStub | None) -> None:
        self._id: str | None = None  # made when first asked for: a uuid4 costs as much as matching a message
        self.direction = direction
        self.channel = channel
        self.message = message
        self.stub = stub
        self.timestamp = time.time()
        #: for a received message that matched no stub: what came closest and what differed
        self.near_miss_report: str | None = None

    @property
    def id(self) -> str:
        if self._id is None:
            self._id = str(uuid.uuid4())
        return self._id

    @property
    def matched(self) -> bool:
        return self.stub is not None

    @property
    def text(self) -> str:
        message = self.message
        return message if isinstance(message, str) else message.decode("utf-8", "replace")

    def as_request(self) -> Request:
        """The message as the matchers see it: the handshake with the message as its body."""
        return _as_request(self.channel.request, self.message)

    def __repr__(self) -> str:
        return f"<MessageEvent {self.direction} {self.channel.path} {self.text[:40]!r}>"


def _as_request(handshake: Request, message: Message) -> Request:
    return handshake.with_body(message.encode("utf-8") if isinstance(message, str) else message)


class WebSocket:
    """The connection as a Python handler sees it (``server.websocket("/x").handle(fn)``)::

        async def echo(ws: mockpit.WebSocket) -> None:
            async for message in ws:
                await ws.send(f"echo: {message}")

    ``request`` is the handshake (path, query, headers); what is sent and received is journaled.
    """

    def __init__(self, hub: WebSocketHub, channel: Channel, incoming: AsyncIterator[Message]) -> None:
        self._hub = hub
        self._channel = channel
        self._incoming = incoming
        self.request = channel.request
        self.subprotocol = channel.subprotocol

    @property
    def id(self) -> str:
        return self._channel.id

    async def receive(self) -> Message:
        """The next message (text or bytes); raises :class:`WebSocketClosed` once the client has closed."""
        try:
            message = await self._incoming.__anext__()
        except StopAsyncIteration:
            raise WebSocketClosed(self._channel.close_code or 1000) from None
        self._hub.journal_message(MessageEvent("RECEIVED", self._channel, message, self._hub.handler_stub(self)))
        return message

    async def receive_json(self) -> Any:
        from mockpit._json import loads

        message = await self.receive()
        return loads(message if isinstance(message, str) else message.decode("utf-8"))

    async def send(self, message: str | bytes | JSON) -> None:
        """Send text, bytes (a binary frame), or any other JSON value as its JSON text."""
        if not isinstance(message, (str, bytes)):
            message = dump_json(message).decode("utf-8")
        await self._hub.send(self._channel, message, self._hub.handler_stub(self))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self._hub.close(self._channel, code, reason)

    def __aiter__(self) -> WebSocket:
        return self

    async def __anext__(self) -> Message:
        try:
            return await self.receive()
        except WebSocketClosed:
            raise StopAsyncIteration from None


class _CompiledAction:
    __slots__ = ("action", "payload", "target", "template")

    def __init__(self, action: MessageAction) -> None:
        self.action = action
        self.target = compile_pattern(action.target) if action.target is not None else None
        self.template: Template | None = None
        self.payload: Message = b""
        if action.kind != "send":
            return
        if action.binary is not None:
            from mockpit._mapping.messages import binary_of

            self.payload = binary_of(action)
            return
        text = dump_json(action.json).decode("utf-8") if action.json is not None else action.text or ""
        self.payload = text
        # WireMock templates every message (its message-template transformer applies globally)
        syntax = syntax_of(action.transformers) or "handlebars"
        if is_template(text, syntax):
            self.template = compile_template(text, syntax)

    def render(self, handshake: Request, message: Message | None) -> Message:
        if self.template is None:
            return self.payload
        request = handshake if message is None else _as_request(handshake, message)
        context = template_context(request, parameters=self.action.transformer_parameters)
        if message is not None:
            context.root["message"] = {
                "body": message if isinstance(message, str) else message.decode("utf-8", "replace")
            }
        return self.template.render(context)


class _Compiled:
    """A message stub ready to match: its handshake pattern, its message pattern, its actions."""

    __slots__ = ("actions", "body", "channel", "http", "immediate", "message", "order", "stub")

    def __init__(self, stub: MessageStub, order: int) -> None:
        self.stub = stub
        self.order = order
        self.channel = compile_pattern(stub.channel)
        body = (stub.body,) if stub.body is not None else ()
        #: the handshake and the message (as the body) together: one pattern, one near-miss report
        self.message = compile_pattern(replace(stub.channel, body_patterns=(*stub.channel.body_patterns, *body)))
        #: the message test alone, once the handshake is known to match (None: any message)
        self.body = compile_pattern(RequestPattern(body_patterns=body)) if body else None
        #: actions with no delay or repeat run at once, in the message's turn: no task per message
        self.immediate = all(not a.delay_ms and a.every_ms is None for a in stub.actions)
        self.http = compile_pattern(stub.http_request) if stub.http_request is not None else None
        self.actions = tuple(_CompiledAction(action) for action in stub.actions)

    def key(self) -> tuple[int, int]:
        return (self.stub.effective_priority, -self.order)

    def accepts(self, request: Request, offered: Iterable[str]) -> bool:
        if self.stub.subprotocol is not None and self.stub.subprotocol not in offered:
            return False
        return self.channel.match_captures(request) is not None


@dataclass(frozen=True)
class Acceptance:
    """A handshake accepted: by which stubs, and the subprotocol selected (``None``: none)."""

    stubs: tuple[MessageStub, ...]
    subprotocol: str | None
    handler: MessageStub | None


class WebSocketHub:
    """The message stubs, the open connections and the message journal of one server.

    Stubs change from any thread (the test's, the admin API's); the conversations run on the server's
    loop. Lists are swapped whole under a lock, so a conversation always reads a consistent set.
    """

    def __init__(self, engine: Engine, capacity: int = DEFAULT_CAPACITY) -> None:
        #: the HTTP engine: its errors list gets the conversations' errors, its serve events the
        #: ``http-request`` triggers
        self.engine = engine
        self._lock = threading.Lock()
        self._stubs: list[_Compiled] = []
        self._order = itertools.count()
        self._initial: list[MessageStub] = []
        self.channels: dict[str, Channel] = {}
        self.closed: deque[Channel] = deque(maxlen=capacity)
        self.journal: deque[MessageEvent] = deque(maxlen=capacity)
        self.misses: deque[MessageEvent] = deque(maxlen=1000)
        self.near_miss_limit = engine.near_miss_limit
        #: called with every message that matched no stub (the CLI logs it, the pytest plugin fails on it)
        self.miss_listeners: list[Callable[[MessageEvent], None]] = []
        #: called with each handshake no stub accepted and the near-miss report it was answered with
        self.refusal_listeners: list[Callable[[Request, str], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handlers: dict[int, MessageStub] = {}
        #: called after the stubs change (a fleet shares them through this)
        self.change_listeners: list[Callable[[], None]] = []

    # --- stubs -------------------------------------------------------------------------------------

    def add(self, stubs: Iterable[MessageStub], *, initial: bool = False) -> list[MessageStub]:
        """Add message stubs (replacing any with the same id); all compile before any is added."""
        stubs = list(stubs)
        if stubs:  # uvicorn speaks WebSocket through the websockets package, an extra
            require("websockets", "WebSocket stubs")
        compiled = [_Compiled(stub, next(self._order)) for stub in stubs]
        ids = {stub.id for stub in stubs}
        with self._lock:
            kept = [entry for entry in self._stubs if entry.stub.id not in ids]
            self._stubs = sorted([*kept, *compiled], key=_Compiled.key)
            if initial:
                self._initial.extend(stubs)
        self._http_changed()
        self._changed()
        return stubs

    def remove(self, stub_id: str) -> MessageStub | None:
        with self._lock:
            for entry in self._stubs:
                if entry.stub.id == stub_id:
                    self._stubs = [e for e in self._stubs if e is not entry]
                    break
            else:
                return None
        self._http_changed()
        self._changed()
        return entry.stub

    def _changed(self) -> None:
        for listener in self.change_listeners:
            listener()

    def get(self, stub_id: str) -> MessageStub | None:
        return next((entry.stub for entry in self._stubs if entry.stub.id == stub_id), None)

    @property
    def stubs(self) -> list[MessageStub]:
        return [entry.stub for entry in self._stubs]

    def reset_stubs(self) -> None:
        """Back to the stubs loaded from files (none for a server started empty)."""
        with self._lock:
            self._stubs = []
        self.add(self._initial)

    def replace_initial(self, stubs: Iterable[MessageStub]) -> None:
        """Files reloaded: their old stubs go, the new ones come (those added since stay)."""
        old = {stub.id for stub in self._initial}
        with self._lock:
            self._stubs = [entry for entry in self._stubs if entry.stub.id not in old]
            self._initial = []
        self.add(stubs, initial=True)

    def reset(self) -> None:
        self.reset_stubs()
        self.clear_journal()

    def clear_journal(self) -> None:
        self.journal.clear()
        self.misses.clear()
        self.closed.clear()

    @property
    def has_http_triggers(self) -> bool:
        return any(entry.http is not None for entry in self._stubs)

    def _http_changed(self) -> None:
        # the engine calls its listeners for every request: listen only while a stub needs it
        listeners = self.engine.listeners
        wanted = self.has_http_triggers
        if wanted and self._on_serve_event not in listeners:
            listeners.append(self._on_serve_event)
        elif not wanted and self._on_serve_event in listeners:
            listeners.remove(self._on_serve_event)

    def _on_serve_event(self, event: ServeEvent) -> None:
        self.on_http(event.request)

    # --- connections -------------------------------------------------------------------------------

    def accept(self, request: Request, offered: Iterable[str]) -> Acceptance | None:
        """Which stubs take this handshake, or ``None`` (then :meth:`handshake_report` says why)."""
        offered = list(offered)
        found = tuple(entry for entry in self._stubs if entry.accepts(request, offered))
        if not found:
            return None
        subprotocol = next((e.stub.subprotocol for e in found if e.stub.subprotocol is not None), None)
        handler = next((e.stub for e in found if e.stub.handler is not None), None)
        return Acceptance(tuple(e.stub for e in found), subprotocol, handler)

    def refuse(self, request: Request, offered: Iterable[str]) -> str:
        """The 404's text for a handshake no stub accepts (the listeners are told of it)."""
        report = self.handshake_report(request, offered)
        for listener in self.refusal_listeners:
            with contextlib.suppress(Exception):
                listener(request, report)
        return report

    def handshake_report(self, request: Request, offered: Iterable[str]) -> str:
        """The closest handshake patterns to ``request`` and what differed."""
        lines = ["mockpit: no WebSocket stub accepts this connection", "", f"  WebSocket {request.url}"]
        offered = list(offered)
        if offered:
            lines.append(f"  subprotocols offered: {', '.join(offered)}")
        entries = self._stubs
        if not entries:
            lines.append("")
            lines.append(
                'There are no WebSocket stubs: add one (server.websocket("/path"), or message-mappings/*.json).'
            )
            return "\n".join(lines) + "\n"
        misses = _closest(request, [(e.stub, e.channel, e.stub.channel) for e in entries], self.near_miss_limit)
        lines.extend(["", "Closest WebSocket stubs:"])
        for rank, (stub, miss) in enumerate(misses, 1):
            lines.extend(["", f"{rank}. {stub.describe()}  distance {miss.distance:.2f}"])
            lines.extend(format_diff(diff_rows(miss)))
            if stub.subprotocol is not None and stub.subprotocol not in offered:
                lines.append(f"   and it needs the subprotocol {stub.subprotocol!r}, which the client did not offer")
        return "\n".join(lines) + "\n"

    async def converse(
        self,
        request: Request,
        acceptance: Acceptance,
        incoming: AsyncIterator[Message],
        send: SendFn,
        close: CloseFn,
    ) -> Channel:
        """Hold one accepted connection's conversation until it closes; returns its channel."""
        self._loop = asyncio.get_running_loop()
        channel = Channel(request, acceptance.subprotocol, send, close)
        self.channels[channel.id] = channel
        try:
            if acceptance.handler is not None:
                await self._handled(channel, acceptance.handler, incoming)
                return channel
            for stub in acceptance.stubs:
                if stub.trigger == "open":
                    self._run(channel, self._compiled(stub), None)
            async for message in incoming:
                await self._received(channel, message)
        finally:
            if channel.close_code is None:
                channel.close_code = getattr(incoming, "close_code", None) or 1006
            self._closed(channel)
        return channel

    def _compiled(self, stub: MessageStub) -> _Compiled:
        return next((e for e in self._stubs if e.stub is stub), None) or _Compiled(stub, 0)

    def _rules(self, channel: Channel) -> list[tuple[_Compiled, CompiledPattern | None]]:
        """The message rules for ``channel``, picked again only when the stubs have changed."""
        stubs = self._stubs
        if channel.rules_of is not stubs:
            request = channel.request
            channel.rules = [
                (entry, entry.body)
                for entry in stubs
                if entry.stub.trigger == "message"
                and entry.stub.handler is None
                and entry.channel.match_captures(request) is not None
            ]
            channel.rules_of = stubs
        return channel.rules

    async def _received(self, channel: Channel, message: Message) -> None:
        request = _as_request(channel.request, message)
        for entry, body in self._rules(channel):
            if body is None or body.match_captures(request) is not None:
                self.journal_message(MessageEvent("RECEIVED", channel, message, entry.stub))
                if entry.immediate:
                    await self._script(channel, entry, message)
                else:
                    self._run(channel, entry, message)
                return
        event = MessageEvent("RECEIVED", channel, message, None)
        event.near_miss_report = self.message_report(request)
        self.journal_message(event)
        self.misses.append(event)
        for listener in self.miss_listeners:
            with contextlib.suppress(Exception):
                listener(event)

    def message_report(self, request: Request) -> str:
        """Why a message matched no stub: the closest message stubs and what differed."""
        text = request.text
        lines = [
            "mockpit: no WebSocket message stub matched this message",
            "",
            f"  on WebSocket {request.url}",
            f"  message: {text if len(text) <= 200 else text[:200] + '...'}",
            "",
        ]
        candidates = [
            (e.stub, e.message, e.message.pattern)
            for e in self._stubs
            if e.stub.trigger == "message" and e.stub.handler is None
        ]
        if not candidates:
            lines.append("There are no message stubs for this connection: it sends nothing back.")
            return "\n".join(lines) + "\n"
        lines.append("Closest message stubs:")
        for rank, (stub, miss) in enumerate(_closest(request, candidates, self.near_miss_limit), 1):
            lines.extend(["", f"{rank}. {stub.describe()}  distance {miss.distance:.2f}"])
            lines.extend(format_diff(diff_rows(miss)))
        return "\n".join(lines) + "\n"

    def _run(self, channel: Channel, entry: _Compiled, message: Message | None) -> None:
        if not entry.actions:
            return
        task = asyncio.ensure_future(self._script(channel, entry, message))
        channel.tasks.add(task)
        task.add_done_callback(channel.tasks.discard)

    async def _script(self, channel: Channel, entry: _Compiled, message: Message | None) -> None:
        """The stub's actions in order, each after its delay; a repeating one runs beside the rest."""
        try:
            for action in entry.actions:
                spec = action.action
                if spec.delay_ms:
                    await asyncio.sleep(spec.delay_ms / 1000)
                if spec.every_ms is not None:
                    repeat = asyncio.ensure_future(self._repeat(channel, entry.stub, action, message))
                    channel.tasks.add(repeat)
                    repeat.add_done_callback(channel.tasks.discard)
                    continue
                if not await self._act(channel, entry.stub, action, message):
                    return
        except WebSocketClosed:
            pass  # the client left mid-script: nothing to say to it
        except Exception as exc:
            self._failed(channel, entry.stub, exc)

    async def _repeat(
        self, channel: Channel, stub: MessageStub, action: _CompiledAction, message: Message | None
    ) -> None:
        spec = action.action
        assert spec.every_ms is not None
        try:
            sent = 0
            while spec.times is None or sent < spec.times:
                if not await self._act(channel, stub, action, message):
                    return
                sent += 1
                if spec.times is None or sent < spec.times:
                    await asyncio.sleep(spec.every_ms / 1000)
        except WebSocketClosed:
            pass
        except Exception as exc:
            self._failed(channel, stub, exc)

    async def _act(self, channel: Channel, stub: MessageStub, action: _CompiledAction, message: Message | None) -> bool:
        """Do one action; False once the connection has closed (the script stops)."""
        if not channel.open:
            return False
        spec = action.action
        if spec.kind == "close":
            await self.close(channel, spec.close_code, spec.close_reason)
            return False
        payload = action.render(channel.request, message)
        if action.target is None:
            await self.send(channel, payload, stub)
        else:
            await self.broadcast_compiled(action.target, payload, stub)
        return True

    def _failed(self, channel: Channel, stub: MessageStub, exc: BaseException) -> None:
        self.engine.record_error(
            exc, channel.request, f"mockpit: WebSocket stub {stub.describe()} failed: {type(exc).__name__}: {exc}"
        )

    async def send(self, channel: Channel, message: Message, stub: MessageStub | None = None) -> None:
        if not channel.open:
            return
        self.journal_message(MessageEvent("SENT", channel, message, stub))
        try:
            await channel._send(message)
        except WebSocketClosed as exc:
            channel.close_code = channel.close_code or exc.code
            self._closed(channel)
            raise

    async def close(self, channel: Channel, code: int = 1000, reason: str = "") -> None:
        if not channel.open:
            return
        channel.close_code = code
        await channel._close(code, reason)
        self._closed(channel)

    def _closed(self, channel: Channel) -> None:
        if channel.closed is not None:
            return
        channel.closed = time.time()
        self.channels.pop(channel.id, None)
        self.closed.append(channel)
        current = asyncio.current_task()
        for task in list(channel.tasks):
            if task is not current:
                task.cancel()

    async def _handled(self, channel: Channel, stub: MessageStub, incoming: AsyncIterator[Message]) -> None:
        assert stub.handler is not None
        socket = WebSocket(self, channel, incoming)
        self._handlers[id(socket)] = stub
        try:
            await stub.handler(socket)
        except WebSocketClosed:
            pass
        except Exception as exc:
            self._failed(channel, stub, exc)
            with contextlib.suppress(Exception):
                await self.close(channel, 1011, "mockpit: the handler failed; see the server's errors")
        finally:
            del self._handlers[id(socket)]
        if channel.open:  # the handler returned: the conversation is over
            await self.close(channel, 1000, "")

    def handler_stub(self, socket: WebSocket) -> MessageStub | None:
        return self._handlers.get(id(socket))

    def journal_message(self, event: MessageEvent) -> None:
        self.journal.append(event)

    # --- broadcast ---------------------------------------------------------------------------------

    def matching_channels(self, pattern: RequestPattern | None) -> list[Channel]:
        """The open connections whose handshake matches ``pattern`` (all of them for ``None``)."""
        if pattern is None:
            return list(self.channels.values())
        compiled = compile_pattern(pattern)
        return [c for c in list(self.channels.values()) if compiled.match_captures(c.request) is not None]

    async def broadcast_compiled(
        self, pattern: CompiledPattern | None, message: Message, stub: MessageStub | None = None
    ) -> list[Channel]:
        channels = [
            c for c in list(self.channels.values()) if pattern is None or pattern.match_captures(c.request) is not None
        ]
        for channel in channels:
            with contextlib.suppress(Exception):  # one connection closing under us does not stop the rest
                await self.send(channel, message, stub)
        return channels

    async def broadcast(self, pattern: RequestPattern | None, message: Message) -> list[Channel]:
        """Send ``message`` to every open connection whose handshake matches ``pattern``."""
        return await self.broadcast_compiled(compile_pattern(pattern) if pattern is not None else None, message)

    def broadcast_threadsafe(
        self, pattern: RequestPattern | None, message: Message, timeout: float = 10.0
    ) -> list[Channel]:
        """:meth:`broadcast` from another thread (the test's): waits until the messages are sent."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return []
        return asyncio.run_coroutine_threadsafe(self.broadcast(pattern, message), loop).result(timeout)

    def on_http(self, request: Request) -> None:
        """An HTTP request was answered: run the actions of the ``http-request`` stubs it matches."""
        for entry in self._stubs:
            if entry.http is not None and entry.http.match_captures(request) is not None:
                task = asyncio.ensure_future(self._http_script(entry, request))
                task.add_done_callback(_seen)

    async def _http_script(self, entry: _Compiled, request: Request) -> None:
        for action in entry.actions:
            spec = action.action
            if spec.delay_ms:
                await asyncio.sleep(spec.delay_ms / 1000)
            if spec.kind != "send":
                for channel in self.matching_channels(spec.target):
                    await self.close(channel, spec.close_code, spec.close_reason)
                continue
            payload = action.render(request, None)
            await self.broadcast_compiled(action.target, payload, entry.stub)

    # --- the journal -------------------------------------------------------------------------------

    def find(
        self,
        body: ValuePattern | None = None,
        *,
        channel: RequestPattern | None = None,
        direction: Direction | None = "RECEIVED",
    ) -> list[MessageEvent]:
        """The journaled messages whose body matches ``body`` on connections whose handshake matches ``channel``."""
        pattern = compile_pattern(replace(channel or RequestPattern(), body_patterns=() if body is None else (body,)))
        return [
            event
            for event in list(self.journal)
            if (direction is None or event.direction == direction)
            and pattern.match_captures(event.as_request()) is not None
        ]

    def near_misses(
        self, body: ValuePattern | None, channel: RequestPattern | None, direction: Direction | None, limit: int = 3
    ) -> list[tuple[MessageEvent, NearMiss]]:
        """The journaled messages closest to a pattern that none matched (for a failed verification)."""
        full = replace(channel or RequestPattern(), body_patterns=() if body is None else (body,))
        compiled = compile_pattern(full)
        events = [e for e in list(self.journal) if direction is None or e.direction == direction]
        requests = {id(e): e.as_request() for e in events}
        shortlist = heapq.nsmallest(_SHORTLIST, events, key=lambda e: compiled.rough_distance(requests[id(e)]))
        found = []
        for event in shortlist:
            result = compiled.match(requests[id(event)])
            found.append((event, NearMiss(requests[id(event)], None, result.distance, tuple(result.differences), full)))
        found.sort(key=lambda pair: pair[1].distance)
        return found[:limit]


def _closest(
    request: Request, candidates: list[tuple[MessageStub, CompiledPattern, RequestPattern]], limit: int
) -> list[tuple[MessageStub, NearMiss]]:
    shortlist = heapq.nsmallest(_SHORTLIST, candidates, key=lambda item: item[1].rough_distance(request))
    found = []
    for stub, compiled, pattern in shortlist:
        result = compiled.match(request)
        found.append((stub, NearMiss(request, None, result.distance, tuple(result.differences), pattern)))
    found.sort(key=lambda pair: pair[1].distance)
    return found[:limit]


def _seen(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()
