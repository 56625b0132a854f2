"""Server-Sent Events as a kind of response: framing, per-event templates, delays, repeat, heartbeats.

An SSE response is an ordinary :class:`Response` whose ``stream`` is an :class:`EventStream`: the ASGI
app sends each framed event as one body message as soon as it is made (no buffering) and closes the
stream when the client leaves, which the stream remembers (``outcome``) for the journal. Events are
rendered one by one, each when its turn comes, with the request (``Last-Event-ID`` is a header).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

from mockpit._model import Request, Response, SseEvent, SseStream, dump_json
from mockpit._types import JSON

if TYPE_CHECKING:
    from mockpit._templating.template import Template

Outcome = Literal["streaming", "completed", "disconnected", "failed"]

#: the headers an event stream needs: no cache may keep it, no proxy (nginx) may buffer it
SSE_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Type", "text/event-stream"),
    ("Cache-Control", "no-cache"),
    ("X-Accel-Buffering", "no"),
)
HEARTBEAT = b": heartbeat\n\n"
#: how much of what was sent the journal keeps (``EventStream.sent``)
JOURNAL_LIMIT = 64 * 1024


def frame(
    data: str | None,
    *,
    event: str | None = None,
    id: str | None = None,
    retry_ms: int | None = None,
    comment: str | None = None,
) -> bytes:
    """One event in the wire format of the HTML standard (9.2.6): fields, then an empty line.

    A line break in ``data`` starts another ``data:`` line (clients join them with ``\\n``); one in a
    comment starts another comment line. ``event`` and ``id`` must be one line (checked when loading).
    """
    lines: list[str] = []
    if comment is not None:
        lines.extend(f": {line}" if line else ":" for line in _lines(comment))
    if event is not None:
        lines.append(f"event: {event}")
    if id is not None:
        lines.append(f"id: {id}")
    if retry_ms is not None:
        lines.append(f"retry: {retry_ms}")
    if data is not None:
        lines.extend(f"data: {line}" for line in _lines(data))
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def data_text(data: JSON) -> str | None:
    """``data`` as sent: text as it is, any other JSON value as its compact JSON text."""
    if data is None or isinstance(data, str):
        return data
    return dump_json(data).decode("utf-8")


class EventStream:
    """The framed events of one response, as an async iterator; it remembers how it ended.

    ``outcome`` is ``"completed"`` when every event went out, ``"disconnected"`` when the client left
    first (the transport closed the stream), ``"failed"`` when making an event raised. ``sent`` holds
    the first :data:`JOURNAL_LIMIT` bytes sent, ``events_sent`` how many events (heartbeats included).
    """

    def __init__(self, source: AsyncIterator[bytes]) -> None:
        self._source = source
        self.outcome: Outcome = "streaming"
        self.events_sent = 0
        self.sent = bytearray()

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> bytes:
        try:
            chunk = await self._source.__anext__()
        except StopAsyncIteration:
            self.outcome = "completed"
            raise
        except asyncio.CancelledError:
            self.outcome = "disconnected"
            raise
        except Exception:
            self.outcome = "failed"
            raise
        self.events_sent += 1
        if len(self.sent) < JOURNAL_LIMIT:
            self.sent += chunk[: JOURNAL_LIMIT - len(self.sent)]
        return chunk

    async def aclose(self) -> None:
        if self.outcome == "streaming":
            self.outcome = "disconnected"
        aclose = getattr(self._source, "aclose", None)
        if aclose is not None:
            await aclose()

    def __repr__(self) -> str:
        return f"<EventStream {self.outcome}, {self.events_sent} events sent>"


class _CompiledEvent:
    __slots__ = ("comment", "data", "delay", "event", "fixed", "id", "retry_ms")

    def __init__(self, event: SseEvent, compiled: Any) -> None:
        self.delay = event.delay_ms / 1000
        self.retry_ms = event.retry_ms
        self.comment = event.comment
        self.data: Template | str | None = compiled(data_text(event.data))
        self.event: Template | str | None = compiled(event.event)
        self.id: Template | str | None = compiled(event.id)
        #: the frame, when no field is a template
        self.fixed: bytes | None = None
        if all(not hasattr(v, "render") for v in (self.data, self.event, self.id)):
            self.fixed = frame(
                _text(self.data),
                event=_text(self.event),
                id=_text(self.id),
                retry_ms=self.retry_ms,
                comment=self.comment,
            )

    def render(self, context: Any) -> bytes:
        if self.fixed is not None:
            return self.fixed

        def text(value: Template | str | None) -> str | None:
            return value if value is None or isinstance(value, str) else value.render(context)

        return frame(
            text(self.data), event=text(self.event), id=text(self.id), retry_ms=self.retry_ms, comment=self.comment
        )


def _text(value: object) -> str | None:
    assert value is None or isinstance(value, str)
    return value


class SseRenderer:
    """A compiled :class:`SseStream`: ``response()`` makes a fresh :class:`EventStream` per request."""

    __slots__ = ("_events", "_templated", "heartbeat", "keep_open", "repeat")

    def __init__(self, stream: SseStream, compile_field: Any | None) -> None:
        """``compile_field(source, where)`` returns a template, or ``None`` for plain text (or no templating)."""

        def compiled_at(index: int) -> Any:
            def compiled(source: str | None) -> Template | str | None:
                if source is None or compile_field is None:
                    return source
                return compile_field(source, f"sse.events[{index}]") or source

            return compiled

        self._events = [_CompiledEvent(event, compiled_at(i)) for i, event in enumerate(stream.events)]
        self._templated = any(event.fixed is None for event in self._events)
        self.repeat = stream.repeat
        self.keep_open = stream.keep_open
        self.heartbeat = stream.heartbeat_ms / 1000

    def stream(self, request: Request, parameters: Mapping[str, Any] | None) -> EventStream:
        context = None
        if self._templated:
            from mockpit._templating.template import template_context

            context = template_context(request, parameters=parameters)
        return EventStream(self._source(context))

    async def _source(self, context: Any) -> AsyncIterator[bytes]:
        rounds = itertools.count() if self.repeat is None else range(self.repeat)
        for _ in rounds:
            if not self._events:
                break
            for event in self._events:
                if event.delay:
                    await asyncio.sleep(event.delay)
                yield event.render(context)
        if self.keep_open:
            while True:
                await asyncio.sleep(self.heartbeat)
                yield HEARTBEAT


def sse_headers(given: Any) -> list[tuple[str, str]]:
    """The SSE headers, each unless ``given`` (pairs) has its own, followed by ``given``."""
    names = {name.lower() for name, _ in given}
    return [(name, value) for name, value in SSE_HEADERS if name.lower() not in names] + list(given)


def handler_stream(items: AsyncIterator[Any], status: int = 200, headers: Any = ()) -> Response:
    """A Python handler's async generator as an event stream: it yields :class:`SseEvent`, ``dict``
    (the mapping shape: ``{"event": ..., "data": ...}``), ``str`` (data) or ready ``bytes``."""

    async def framed() -> AsyncIterator[bytes]:
        try:
            async for item in items:
                if isinstance(item, SseEvent):
                    if item.delay_ms:
                        await asyncio.sleep(item.delay_ms / 1000)
                    yield frame(
                        data_text(item.data),
                        event=item.event,
                        id=item.id,
                        retry_ms=item.retry_ms,
                        comment=item.comment,
                    )
                elif isinstance(item, (bytes, bytearray)):
                    yield bytes(item)
                elif isinstance(item, str):
                    yield frame(item)
                elif isinstance(item, dict):
                    yield frame(
                        data_text(item.get("data")),
                        event=item.get("event"),
                        id=item.get("id"),
                        retry_ms=item.get("retry"),
                        comment=item.get("comment"),
                    )
                else:
                    raise TypeError(
                        "an event stream handler yields mockpit.SseEvent, dict, str or bytes; "
                        f"it yielded {type(item).__name__}"
                    )
        finally:
            aclose = getattr(items, "aclose", None)
            if aclose is not None:
                await aclose()

    return Response(status, headers=sse_headers(headers), stream=EventStream(framed()))
