"""WireMock 4's messaging admin API: ``/__admin/message-mappings`` (WebSocket stubs), ``/__admin/messages``
(the message journal) and ``/__admin/channels`` (open connections, and sending to them).

The JSON shapes are WireMock's (``messageMappings``, ``messageServeEvents``, ``channels``,
``channelsMessaged``); a message mapping is read by the one deserialiser (:mod:`mockpit._mapping.messages`)
and written back by :func:`~mockpit._mapping.write.message_stub_to_mapping`.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping
from typing import Any

from mockpit._errors import MappingError
from mockpit._mapping.read import pattern_from_mapping
from mockpit._mapping.write import message_stub_to_mapping
from mockpit._model import MessageStub, RequestPattern, Response, ValuePattern
from mockpit._protocols.websocket import Channel, MessageEvent, WebSocketHub

from .params import read_json
from .router import AdminError, json_response
from .shapes import iso_timestamp, request_to_json


class Messages:
    """The WebSocket stubs, connections and message journal of ``hub``."""

    def __init__(self, hub: WebSocketHub, *, show_credentials: bool = False) -> None:
        self.hub = hub
        self.show = show_credentials

    # --- message mappings --------------------------------------------------------------------------

    def list_mappings(self, request: Any, _: dict[str, str]) -> Response:
        stubs = self.hub.stubs
        return json_response({"messageMappings": [_mapping(s) for s in stubs], "meta": {"total": len(stubs)}})

    def create_mapping(self, request: Any, _: dict[str, str]) -> Response:
        stub = self._read(read_json(request))
        self._add(stub)
        return json_response(_mapping(stub), 201)

    def get_mapping(self, request: Any, params: dict[str, str]) -> Response:
        return json_response(_mapping(self._find(params["id"])))

    def update_mapping(self, request: Any, params: dict[str, str]) -> Response:
        stub = self._read(read_json(request), stub_id=params["id"])  # a wrong body is a 400, even for no stub
        self._find(params["id"])
        self._add(stub)
        return json_response(_mapping(stub))

    def delete_mapping(self, request: Any, params: dict[str, str]) -> Response:
        self._find(params["id"])
        self.hub.remove(params["id"])
        return json_response({})

    def reset_mappings(self, request: Any, _: dict[str, str]) -> Response:
        self.hub.reset_stubs()
        return json_response({})

    def find_by_metadata(self, request: Any, _: dict[str, str]) -> Response:
        matches = self._metadata(read_json(request))
        found = [s for s in self.hub.stubs if matches(s)]
        return json_response({"messageMappings": [_mapping(s) for s in found], "meta": {"total": len(found)}})

    def remove_by_metadata(self, request: Any, _: dict[str, str]) -> Response:
        matches = self._metadata(read_json(request))
        for stub in [s for s in self.hub.stubs if matches(s)]:
            self.hub.remove(stub.id)
        return json_response({})

    def _read(self, data: Any, stub_id: str | None = None) -> MessageStub:
        from mockpit._mapping.messages import message_stub_from_mapping  # pydantic: off the start-up path

        try:
            return message_stub_from_mapping(data, source="message mapping", stub_id=stub_id)
        except MappingError as exc:
            raise AdminError(400, "Invalid message mapping", str(exc), pointer=exc.pointer) from None

    def _add(self, stub: MessageStub) -> None:
        try:
            self.hub.add([stub])
        except (MappingError, ValueError) as exc:  # the websockets extra missing, a template not compiling
            raise AdminError(400, "Invalid message mapping", str(exc)) from None

    def _find(self, stub_id: str) -> MessageStub:
        stub = self.hub.get(stub_id)
        if stub is None:
            raise AdminError(404, "Not found", f"no message mapping with id {stub_id}")
        return stub

    def _metadata(self, data: Any) -> Any:
        from .params import metadata_matcher

        test = metadata_matcher(data)
        return lambda stub: stub.metadata is not None and test(stub)

    # --- the message journal -----------------------------------------------------------------------

    def list_messages(self, request: Any, _: dict[str, str]) -> Response:
        events = list(self.hub.journal)
        events.reverse()  # newest first, as the request journal
        return json_response({"messageServeEvents": [self._event(e) for e in events], "messageJournalDisabled": False})

    def clear_messages(self, request: Any, _: dict[str, str]) -> Response:
        self.hub.clear_journal()
        return json_response({})

    def count_messages(self, request: Any, _: dict[str, str]) -> Response:
        body, channel = _message_pattern(read_json(request))
        return json_response(
            {"count": len(self.hub.find(body, channel=channel, direction=None)), "messageJournalDisabled": False}
        )

    def find_messages(self, request: Any, _: dict[str, str]) -> Response:
        body, channel = _message_pattern(read_json(request))
        found = self.hub.find(body, channel=channel, direction=None)
        return json_response({"messageServeEvents": [self._event(e) for e in found], "messageJournalDisabled": False})

    def remove_messages(self, request: Any, _: dict[str, str]) -> Response:
        body, channel = _message_pattern(read_json(request))
        gone = {id(e) for e in self.hub.find(body, channel=channel, direction=None)}
        kept = [e for e in self.hub.journal if id(e) not in gone]
        self.hub.journal.clear()
        self.hub.journal.extend(kept)
        return json_response({})

    def get_message(self, request: Any, params: dict[str, str]) -> Response:
        event = next((e for e in self.hub.journal if e.id == params["id"]), None)
        if event is None:
            raise AdminError(404, "Not found", f"no message event with id {params['id']}")
        return json_response({"messageServeEvent": self._event(event)})

    def unmatched_messages(self, request: Any, _: dict[str, str]) -> Response:
        events = list(self.hub.misses)
        return json_response({"messageServeEvents": [self._event(e) for e in events], "messageJournalDisabled": False})

    async def wait_for_message(self, request: Any, _: dict[str, str]) -> Response:
        data = read_json(request)
        if not isinstance(data, Mapping) or not isinstance(data.get("timeoutMillis"), int):
            raise AdminError(
                400, "Invalid wait", "timeoutMillis (whole milliseconds) is required", pointer="/timeoutMillis"
            )
        body, channel = _message_pattern(data.get("pattern") or {})
        count = data.get("count", 1)
        if not isinstance(count, int) or count < 1:
            raise AdminError(400, "Invalid wait", "count must be a whole number of 1 or more", pointer="/count")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(data["timeoutMillis"], 60_000) / 1000
        while True:
            found = self.hub.find(body, channel=channel, direction=None)
            if len(found) >= count or loop.time() >= deadline:
                break
            await asyncio.sleep(0.01)
        return json_response(
            {"messageServeEvents": [self._event(e) for e in found[:count]], "messageJournalDisabled": False}
        )

    def _event(self, event: MessageEvent) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": event.id,
            "eventType": event.direction,
            "channelType": "websocket",
            "channelId": event.channel.id,
            "channelRequest": request_to_json(event.channel.request, show_credentials=self.show),
            "message": event.text
            if isinstance(event.message, str)
            else base64.b64encode(event.message).decode("ascii"),
            "wasMatched": event.matched if event.direction == "RECEIVED" else True,
            "timestamp": iso_timestamp(event.timestamp),
        }
        if isinstance(event.message, bytes):
            out["isBinary"] = True
        if event.stub is not None:
            out["stubMapping"] = _mapping(event.stub)
        if event.near_miss_report is not None:
            out["nearMissReport"] = event.near_miss_report  # mockpit: why nothing matched
        return out

    # --- channels ----------------------------------------------------------------------------------

    def list_channels(self, request: Any, _: dict[str, str]) -> Response:
        channels = list(self.hub.channels.values())
        return json_response({"channels": [self._channel(c) for c in channels], "meta": {"total": len(channels)}})

    def get_channel(self, request: Any, params: dict[str, str]) -> Response:
        channel = self.hub.channels.get(params["id"]) or next(
            (c for c in self.hub.closed if c.id == params["id"]), None
        )
        if channel is None:
            raise AdminError(404, "Not found", f"no WebSocket channel with id {params['id']}")
        return json_response({"channel": self._channel(channel)})

    async def close_channel(self, request: Any, params: dict[str, str]) -> Response:
        channel = self.hub.channels.get(params["id"])
        if channel is None:
            raise AdminError(404, "Not found", f"no open WebSocket channel with id {params['id']}")
        await self.hub.close(channel, 1000, "closed through the admin API")
        return json_response({})

    async def send_to_channels(self, request: Any, _: dict[str, str]) -> Response:
        data = read_json(request)
        if not isinstance(data, Mapping):
            raise AdminError(400, "Invalid message", "expected a JSON object with type, initiatingRequest and message")
        if data.get("type", "websocket") != "websocket":
            raise AdminError(400, "Invalid message", "type must be websocket, the one channel type", pointer="/type")
        pattern = _request_pattern(data.get("initiatingRequest"), "/initiatingRequest")
        message = _outgoing(data.get("message"))
        sent = await self.hub.broadcast(pattern, message)
        return json_response({"channels": [self._channel(c) for c in sent], "channelsMessaged": len(sent)})

    def _channel(self, channel: Channel) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": channel.id,
            "type": "websocket",
            "initiatingRequest": request_to_json(channel.request, show_credentials=self.show),
            "open": channel.open,
        }
        if channel.subprotocol is not None:
            out["subprotocol"] = channel.subprotocol
        if channel.close_code is not None:
            out["closeCode"] = channel.close_code
        return out


def _mapping(stub: MessageStub) -> dict[str, Any]:
    mapping = message_stub_to_mapping(stub)
    if stub.handler is not None:  # a Python handler has no JSON: say so rather than show an empty stub
        mapping.setdefault("metadata", {})["mockpit"] = {"handler": getattr(stub.handler, "__qualname__", "handler")}
    return mapping


def _request_pattern(data: Any, pointer: str) -> RequestPattern | None:
    if data is None:
        return None
    try:
        return pattern_from_mapping(data, source="request pattern")
    except MappingError as exc:
        raise AdminError(400, "Invalid request pattern", str(exc), pointer=pointer + (exc.pointer or "")) from None


def _message_pattern(data: Any) -> tuple[ValuePattern | None, RequestPattern | None]:
    """WireMock's message pattern: ``{"channel": <request pattern>, "body": <matcher>}``."""
    if not isinstance(data, Mapping):
        raise AdminError(400, "Invalid message pattern", 'expected {"body": {...matcher}, "channel": {...}}')
    unknown = sorted(set(data) - {"channel", "body"})
    if unknown:
        raise AdminError(
            400,
            "Invalid message pattern",
            f"unknown field {unknown[0]!r}; use body and channel",
            pointer=f"/{unknown[0]}",
        )
    channel = _request_pattern(data.get("channel"), "/channel")
    body = None
    if data.get("body") is not None:
        try:
            body = pattern_from_mapping({"bodyPatterns": [data["body"]]}, source="message pattern").body_patterns[0]
        except MappingError as exc:
            raise AdminError(
                400, "Invalid message pattern", str(exc).replace("bodyPatterns.0", "body"), pointer="/body"
            ) from None
    return body, channel


def _outgoing(data: Any) -> str | bytes:
    """A message definition ``{"body": {"data": ...}}`` (``isBinary``: base64 bytes; mockpit: ``jsonBody``)."""
    from mockpit._mapping.messages import message_stub_from_mapping  # pydantic: off the start-up path

    stub = {"trigger": {"type": "open"}, "actions": [{"type": "send", "message": data}]}
    try:
        action = message_stub_from_mapping(stub, source="message").actions[0]
    except MappingError as exc:
        detail = str(exc).replace("actions.0.message", "message")
        raise AdminError(400, "Invalid message", detail, pointer="/message") from None
    if action.binary is not None:
        return base64.b64decode(action.binary)
    if action.json is not None:
        from mockpit._model import dump_json

        return dump_json(action.json).decode("utf-8")
    return action.text or ""
