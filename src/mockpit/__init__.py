"""mockpit: a fast HTTP mock API server for tests.

::

    from mockpit import MockServer, get

    with MockServer() as server:
        server.when(get("/users/1")).respond(json={"id": 1, "name": "Ada"})
        ...  # point the code under test at server.url
        server.verify(get("/users/1"))
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._dsl import (
        Matcher,
        MessageStubBuilder,
        MultipartMatcher,
        RequestPatternBuilder,
        StubBuilder,
        WebSocketStubBuilder,
        absent,
        and_,
        anything,
        binary_equal_to,
        contains,
        delete,
        does_not_contain,
        does_not_match,
        equal_to,
        equal_to_json,
        equal_to_xml,
        get,
        graphql,
        has_exactly,
        head,
        includes,
        lognormal_delay,
        matches,
        matches_json_path,
        matches_json_schema,
        matches_xpath,
        multipart,
        not_,
        options,
        or_,
        patch,
        post,
        put,
        request,
        uniform_delay,
    )
    from ._engine.journal import ServeEvent
    from ._engine.scenarios import Scenario
    from ._errors import HandlerError, MappingError, MockpitError, ServerError, VerificationError
    from ._llm.answers import LlmError, ToolCall, rate_limited
    from ._mapping.read import stub_from_mapping
    from ._mapping.write import stub_to_mapping
    from ._matching.custom import register_matcher, unregister_matcher
    from ._matching.near_miss import NearMiss
    from ._matching.result import Difference, MatchResult
    from ._model import Headers, MessageStub, Request, RequestPattern, Response, ResponseDefinition, SseEvent, Stub
    from ._protocols.websocket import Channel, MessageEvent, WebSocket, WebSocketClosed
    from ._recording.spec import register_recording_transformer
    from ._server import MockServer, MockServerFactory
    from ._store.store import StoreError
    from ._transport.limits import ConnectionLimits

# Names are imported on first use (PEP 562): `mockpit serve` and the pytest plugin, which pytest loads in
# every session, then pay only for what they use (pydantic and uvicorn cost ~200 ms to import).
_WHERE = {
    "Matcher": "._dsl",
    "RequestPatternBuilder": "._dsl",
    "StubBuilder": "._dsl",
    "MessageStubBuilder": "._dsl",
    "WebSocketStubBuilder": "._dsl",
    "Channel": "._protocols.websocket",
    "MessageEvent": "._protocols.websocket",
    "WebSocket": "._protocols.websocket",
    "WebSocketClosed": "._protocols.websocket",
    "MessageStub": "._model",
    "absent": "._dsl",
    "contains": "._dsl",
    "delete": "._dsl",
    "does_not_contain": "._dsl",
    "does_not_match": "._dsl",
    "equal_to": "._dsl",
    "equal_to_json": "._dsl",
    "get": "._dsl",
    "graphql": "._dsl",
    "head": "._dsl",
    "matches": "._dsl",
    "matches_json_path": "._dsl",
    "options": "._dsl",
    "patch": "._dsl",
    "post": "._dsl",
    "put": "._dsl",
    "request": "._dsl",
    "uniform_delay": "._dsl",
    "lognormal_delay": "._dsl",
    "MultipartMatcher": "._dsl",
    "and_": "._dsl",
    "anything": "._dsl",
    "binary_equal_to": "._dsl",
    "equal_to_xml": "._dsl",
    "has_exactly": "._dsl",
    "includes": "._dsl",
    "matches_json_schema": "._dsl",
    "matches_xpath": "._dsl",
    "multipart": "._dsl",
    "not_": "._dsl",
    "or_": "._dsl",
    "register_matcher": "._matching.custom",
    "unregister_matcher": "._matching.custom",
    "register_recording_transformer": "._recording.spec",
    "HandlerError": "._errors",
    "MappingError": "._errors",
    "MockpitError": "._errors",
    "ServerError": "._errors",
    "StoreError": "._store.store",
    "VerificationError": "._errors",
    "ServeEvent": "._engine.journal",
    "stub_from_mapping": "._mapping.read",
    "stub_to_mapping": "._mapping.write",
    "Difference": "._matching.result",
    "MatchResult": "._matching.result",
    "Headers": "._model",
    "Request": "._model",
    "RequestPattern": "._model",
    "Response": "._model",
    "ResponseDefinition": "._model",
    "SseEvent": "._model",
    "LlmError": "._llm.answers",
    "ToolCall": "._llm.answers",
    "rate_limited": "._llm.answers",
    "Stub": "._model",
    "NearMiss": "._matching.near_miss",
    "Scenario": "._engine.scenarios",
    "MockServer": "._server",
    "MockServerFactory": "._server",
    "ConnectionLimits": "._transport.limits",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'mockpit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "Channel",
    "ConnectionLimits",
    "Difference",
    "HandlerError",
    "Headers",
    "LlmError",
    "MappingError",
    "MatchResult",
    "Matcher",
    "MessageEvent",
    "MessageStub",
    "MessageStubBuilder",
    "MockServer",
    "MockServerFactory",
    "MockpitError",
    "MultipartMatcher",
    "NearMiss",
    "Request",
    "RequestPattern",
    "RequestPatternBuilder",
    "Response",
    "ResponseDefinition",
    "Scenario",
    "ServeEvent",
    "ServerError",
    "SseEvent",
    "StoreError",
    "Stub",
    "StubBuilder",
    "ToolCall",
    "VerificationError",
    "WebSocket",
    "WebSocketClosed",
    "WebSocketStubBuilder",
    "__version__",
    "absent",
    "and_",
    "anything",
    "binary_equal_to",
    "contains",
    "delete",
    "does_not_contain",
    "does_not_match",
    "equal_to",
    "equal_to_json",
    "equal_to_xml",
    "get",
    "graphql",
    "has_exactly",
    "head",
    "includes",
    "lognormal_delay",
    "matches",
    "matches_json_path",
    "matches_json_schema",
    "matches_xpath",
    "multipart",
    "not_",
    "options",
    "or_",
    "patch",
    "post",
    "put",
    "rate_limited",
    "register_matcher",
    "register_recording_transformer",
    "request",
    "stub_from_mapping",
    "stub_to_mapping",
    "uniform_delay",
    "unregister_matcher",
]
