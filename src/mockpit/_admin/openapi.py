"""The OpenAPI 3.1 document of mockpit's admin API, served at ``/__admin/openapi.json``.

The paths and the answers are written out here, so that the document says what each endpoint gives.
What each takes is the schema of the pydantic model that checks it: the mapping format's own models for
stubs and request patterns, the admin API's payload models for the rest, so the document cannot drift
from what the server accepts. ``tests/test_admin_openapi.py`` keeps it true: every route is documented,
every documented path answers, real answers fit the response schemas and real payloads the request ones.
Built on the first request for it (pydantic is loaded by then), once.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from mockpit import __version__
from mockpit._mapping.messages import _MessageStubModel
from mockpit._mapping.models import _BodyPatternModel, _RequestModel, _StubModel

from .payloads import _ImportModel, _LoggedRequestModel, _RecordSpecModel, _ScenarioStateModel, _SettingsModel


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json_body(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _op(
    summary: str,
    tag: str,
    ok: tuple[int, str, str] = (200, "Empty", "Done"),
    *,
    body: str | dict[str, Any] | None = None,
    body_required: bool = True,
    errors: dict[int, str] | None = None,
    parameters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    status, schema, description = ok
    responses: dict[str, Any] = {str(status): _json_body(schema, description)}
    for code, text in (errors or {}).items():
        responses[str(code)] = _json_body("Errors", text)
    operation: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": responses}
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {
            "required": body_required,
            "content": {"application/json": {"schema": _ref(body) if isinstance(body, str) else body}},
        }
    return operation


def _page(summary: str, *content_types: str) -> dict[str, Any]:
    """An operation answering something other than JSON (the dashboard's page, files and stream)."""
    ok = {"description": "The content", "content": {kind: {"schema": {"type": "string"}} for kind in content_types}}
    return {"summary": summary, "tags": ["Dashboard"], "responses": {"200": ok}}


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": "string"}}


def _query_param(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


# bare, or wrapped as GET /settings gives them: WireMock's clients send those back
_SETTINGS_BODY = {"anyOf": [_ref("Settings"), _ref("SettingsResult")]}
_BAD_JSON = "The body is not valid JSON, or a field is wrong (source.pointer names it)"
_BAD_PATTERN = {400: "The body is not a valid request pattern (source.pointer names the field)"}
_BAD_METADATA = {400: "The body is not a valid content pattern (source.pointer names the field)"}
_STUB_ID = _path_param("id", "The stub mapping's id")
_PAGE = [
    _query_param("limit", "At most this many", {"type": "integer", "minimum": 0}),
    _query_param("offset", "Skip this many first", {"type": "integer", "minimum": 0}),
]

_MESSAGE_PATTERN: dict[str, Any] = {
    "type": "object",
    "description": "WireMock's message pattern: a matcher on the body, a request pattern on the handshake",
    "properties": {"body": _ref("ContentPattern"), "channel": _ref("RequestPattern")},
    "additionalProperties": False,
}
_BAD_MESSAGE = {400: "The body is not a valid message pattern (source.pointer names the field)"}
_WAIT: dict[str, Any] = {
    "type": "object",
    "required": ["timeoutMillis"],
    "properties": {
        "pattern": _MESSAGE_PATTERN,
        "timeoutMillis": {"type": "integer"},
        "count": {"type": "integer", "minimum": 1},
    },
}
_SEND: dict[str, Any] = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "type": {"enum": ["websocket"]},
        "initiatingRequest": _ref("RequestPattern"),
        "message": {"type": "object", "description": 'The message: {"body": {"data": "..."}} (isBinary: base64)'},
    },
}

_PATHS: dict[str, dict[str, Any]] = {
    "": {
        "get": _op("Redirects to the admin root, /__admin/", "System", (302, "Empty", "Found: see Location")),
    },
    "/": {
        "get": _op(
            "The admin root: lists the stub mappings, as GET /mappings (WireMock's clients probe it)",
            "Stub Mappings",
            (200, "StubMappings", "The stub mappings and their total"),
        ),
    },
    "/mappings": {
        "get": _op(
            "List stub mappings, newest first",
            "Stub Mappings",
            (200, "StubMappings", "The stub mappings and their total"),
            parameters=_PAGE,
            errors={400: "limit or offset is not a whole number (source.parameter names it)"},
        ),
        "post": _op(
            "Create a stub mapping",
            "Stub Mappings",
            (201, "StubMapping", "The stub mapping created, with its id"),
            body="StubMapping",
            errors={400: _BAD_JSON},
        ),
        "delete": _op(
            "Delete every stub mapping (persistent ones from the mappings folder too)",
            "Stub Mappings",
            errors={500: "A persistent stub's file could not be deleted"},
        ),
    },
    "/mappings/{id}": {
        "parameters": [_STUB_ID],
        "get": _op(
            "Get a stub mapping",
            "Stub Mappings",
            (200, "StubMapping", "The stub mapping"),
            errors={404: "No stub mapping has this id"},
        ),
        "put": _op(
            "Replace a stub mapping (the id in the path wins over one in the body)",
            "Stub Mappings",
            (200, "StubMapping", "The stub mapping as replaced"),
            body="StubMapping",
            errors={400: _BAD_JSON, 404: "No stub mapping has this id", 500: "A persistent stub could not be saved"},
        ),
        "delete": _op(
            "Delete a stub mapping (a persistent one from its file too)",
            "Stub Mappings",
            errors={404: "No stub mapping has this id"},
        ),
    },
    "/mappings/import": {
        "post": _op(
            "Import stub mappings: all are checked before any is added",
            "Stub Mappings",
            body="Import",
            errors={400: _BAD_JSON},
        )
    },
    "/mappings/remove": {
        "post": _op(
            "Remove the stub with the posted stub's id, else every stub with its request (removeStub in Java)",
            "Stub Mappings",
            body="StubMapping",
            errors={400: _BAD_JSON},
        )
    },
    "/mappings/reset": {
        "post": _op("Back to the stub mappings loaded from files (and saved since)", "Stub Mappings"),
    },
    "/mappings/save": {
        "post": _op(
            "Write every stub mapping to the mappings folder, one file each, atomically",
            "Stub Mappings",
            (200, "SaveResult", "The files written, and the stubs that cannot be saved"),
            errors={409: "The server has no mappings folder", 500: "A file could not be written"},
        ),
    },
    "/mappings/find-by-metadata": {
        "post": _op(
            "Find stub mappings whose metadata matches a content pattern",
            "Stub Mappings",
            (200, "StubMappings", "The stub mappings found"),
            body="ContentPattern",
            errors=_BAD_METADATA,
        ),
    },
    "/mappings/remove-by-metadata": {
        "post": _op(
            "Delete stub mappings whose metadata matches a content pattern",
            "Stub Mappings",
            body="ContentPattern",
            errors=_BAD_METADATA,
        ),
    },
    "/mappings/unmatched": {
        "get": _op(
            "Stub mappings no request in the journal matched",
            "Stub Mappings",
            (200, "StubMappings", "The stub mappings"),
        ),
        "delete": _op("Delete the stub mappings no request in the journal matched", "Stub Mappings"),
    },
    "/requests": {
        "get": _op(
            "List the requests received, newest first",
            "Requests",
            (200, "ServeEvents", "The serve events"),
            parameters=[
                _query_param("limit", "At most this many", {"type": "integer", "minimum": 0}),
                _query_param(
                    "since",
                    "Only those received after this ISO 8601 date-time",
                    {"type": "string", "format": "date-time"},
                ),
                _query_param("unmatched", "true: only those no stub matched", {"type": "boolean"}),
                _query_param("matchingStub", "Only those this stub (an id) answered", {"type": "string"}),
            ],
            errors={400: "limit or since is invalid (source.parameter names it)"},
        ),
        "delete": _op("Empty the request journal", "Requests"),
    },
    "/requests/reset": {
        "post": _op("Empty the request journal (WireMock's deprecated form of DELETE /requests)", "Requests"),
    },
    "/requests/{id}": {
        "parameters": [_path_param("id", "The serve event's id")],
        "get": _op(
            "Get one request from the journal",
            "Requests",
            (200, "ServeEvent", "The serve event"),
            errors={404: "No request in the journal has this id"},
        ),
        "delete": _op(
            "Delete one request from the journal", "Requests", errors={404: "No request in the journal has this id"}
        ),
    },
    "/requests/count": {
        "post": _op(
            "Count the requests matching a request pattern",
            "Requests",
            (200, "Count", "How many matched"),
            body="RequestPattern",
            errors=_BAD_PATTERN,
        ),
    },
    "/requests/find": {
        "post": _op(
            "Find the requests matching a request pattern, oldest first",
            "Requests",
            (200, "LoggedRequests", "The requests"),
            body="RequestPattern",
            errors=_BAD_PATTERN,
        ),
    },
    "/requests/remove": {
        "post": _op(
            "Delete the requests matching a request pattern from the journal",
            "Requests",
            (200, "RemovedServeEvents", "The serve events deleted"),
            body="RequestPattern",
            errors=_BAD_PATTERN,
        ),
    },
    "/requests/remove-by-metadata": {
        "post": _op(
            "Delete the requests answered by stubs whose metadata matches a content pattern",
            "Requests",
            (200, "RemovedServeEvents", "The serve events deleted"),
            body="ContentPattern",
            errors=_BAD_METADATA,
        ),
    },
    "/requests/unmatched": {
        "get": _op("The requests no stub matched", "Requests", (200, "LoggedRequests", "The requests")),
    },
    "/requests/unmatched/near-misses": {
        "get": _op(
            "For each request no stub matched, the closest stubs",
            "Near Misses",
            (200, "NearMisses", "The near misses"),
        ),
    },
    "/near-misses/request": {
        "post": _op(
            "The stubs closest to a request (as the journal logs it)",
            "Near Misses",
            (200, "NearMisses", "At most 3 near misses, closest first"),
            body="NearMissRequest",
            errors={400: _BAD_JSON},
        ),
    },
    "/near-misses/request-pattern": {
        "post": _op(
            "The requests in the journal closest to a request pattern",
            "Near Misses",
            (200, "NearMisses", "At most 3 near misses, closest first"),
            body="RequestPattern",
            errors=_BAD_PATTERN,
        ),
    },
    "/scenarios": {
        "get": _op("List the scenarios and their states", "Scenarios", (200, "Scenarios", "The scenarios")),
    },
    "/scenarios/reset": {
        "post": _op("Every scenario back to Started", "Scenarios"),
    },
    "/scenarios/{name}/state": {
        "parameters": [_path_param("name", "The scenario's name")],
        "put": _op(
            "Set a scenario's state (an empty body: back to Started)",
            "Scenarios",
            body="ScenarioState",
            body_required=False,
            errors={400: "The state is not one the scenario's stubs name", 404: "No stub names this scenario"},
        ),
    },
    "/recordings/start": {
        "post": _op(
            "Start recording: every request is proxied to targetBaseUrl and recorded (the body may be empty)",
            "Recordings",
            body="RecordSpec",
            body_required=False,
            errors={
                400: "The record spec is invalid (source.pointer names the field)",
                409: "A recording is running already, or persist is on and the server has no mappings folder",
            },
        ),
    },
    "/recordings/status": {
        "get": _op("Whether a recording is running", "Recordings", (200, "RecordingStatus", "The status")),
    },
    "/recordings/stop": {
        "post": _op(
            "Stop recording: the recorded stubs are served at once (and saved with persist)",
            "Recordings",
            (200, "RecordingResult", "The recorded stub mappings, or their ids with outputFormat IDS"),
            errors={409: "No recording is running", 500: "A file could not be written"},
        ),
    },
    "/recordings/snapshot": {
        "post": _op(
            "Turn the journal's proxied requests into stubs (all of them with filters.allowNonProxied)",
            "Recordings",
            (200, "RecordingResult", "The recorded stub mappings, or their ids with outputFormat IDS"),
            body="RecordSpec",
            body_required=False,
            errors={
                400: "The record spec is invalid (source.pointer names the field)",
                409: "persist is on and the server has no mappings folder",
                500: "A file could not be written",
            },
        ),
    },
    "/settings": {
        "get": _op("The global settings", "System", (200, "SettingsResult", "The settings")),
        "post": _op(
            "Replace the global settings",
            "System",
            (200, "Settings", "The settings now in force"),
            body=_SETTINGS_BODY,
            errors={400: _BAD_JSON},
        ),
        "put": _op(
            "Replace the global settings (as POST)",
            "System",
            (200, "Settings", "The settings now in force"),
            body=_SETTINGS_BODY,
            errors={400: _BAD_JSON},
        ),
    },
    "/reset": {
        "post": _op("Back to the stubs loaded from files, an empty journal, scenarios in Started", "System"),
    },
    "/shutdown": {
        "post": _op(
            "Stop the server once this answer is sent",
            "System",
            errors={501: "This server was started without a way to stop it"},
        ),
    },
    "/health": {
        "get": _op("Whether the server is up, and since when", "System", (200, "Health", "Healthy")),
    },
    "/version": {
        "get": _op("mockpit's version", "System", (200, "Version", "The version")),
    },
    "/cluster": {
        "get": _op(
            "The live instances of this server's fleet and its store (docs/fleets.md); none without a store",
            "System",
            (200, "Cluster", "The instances"),
        ),
    },
    "/openapi.json": {
        "get": _op("This document", "System", (200, "OpenApi", "The OpenAPI 3.1 document")),
    },
    "/ui": {
        "get": _page("The web dashboard (docs/dashboard.md); needs no token, the page asks for it", "text/html"),
    },
    "/ui/{asset}": {
        "get": {
            **_page(
                "A file of the dashboard (its script, styles, icon)", "text/javascript", "text/css", "image/svg+xml"
            ),
            "parameters": [_path_param("asset", "The file name: app.js, app.css, icon.svg")],
        },
    },
    "/dashboard/events": {
        "get": _page(
            "The live request log: a Server-Sent Events stream, one `request` event (data: a logged request as "
            "GET /requests lists them) per request served, from when the stream opens",
            "text/event-stream",
        ),
    },
    "/dashboard/stubs": {
        "get": _op(
            "One page of stub summaries for the dashboard, searched by name, method, URL, id and metadata",
            "Dashboard",
            (200, "StubSummaries", "The stubs that fit, with their total"),
            parameters=[
                _query_param("search", "Words that must all occur (any case)", {"type": "string"}),
                *_PAGE,
            ],
            errors={400: "limit or offset is not a whole number (source.parameter names it)"},
        ),
    },
    # WireMock 4's messaging API: WebSocket stubs, the message journal, connections
    "/message-mappings": {
        "get": _op(
            "List the WebSocket stubs (message mappings), in the order they are tried",
            "Messages",
            (200, "MessageMappings", "The message mappings and their total"),
        ),
        "post": _op(
            "Create a WebSocket stub (message mapping)",
            "Messages",
            (201, "MessageMapping", "The message mapping created, with its id"),
            body="MessageMapping",
            errors={400: _BAD_JSON},
        ),
        "delete": _op("Back to the WebSocket stubs loaded from files", "Messages"),
    },
    "/message-mappings/{id}": {
        "parameters": [_path_param("id", "The message mapping's id")],
        "get": _op(
            "Get a message mapping",
            "Messages",
            (200, "MessageMapping", "The message mapping"),
            errors={404: "No message mapping has this id"},
        ),
        "put": _op(
            "Replace a message mapping",
            "Messages",
            (200, "MessageMapping", "The message mapping as replaced"),
            body="MessageMapping",
            errors={400: _BAD_JSON, 404: "No message mapping has this id"},
        ),
        "delete": _op("Delete a message mapping", "Messages", errors={404: "No message mapping has this id"}),
    },
    "/message-mappings/find-by-metadata": {
        "post": _op(
            "Message mappings whose metadata matches",
            "Messages",
            (200, "MessageMappings", "The message mappings found"),
            body="ContentPattern",
            errors=_BAD_METADATA,
        ),
    },
    "/message-mappings/remove-by-metadata": {
        "post": _op(
            "Delete the message mappings whose metadata matches",
            "Messages",
            body="ContentPattern",
            errors=_BAD_METADATA,
        ),
    },
    "/messages": {
        "get": _op(
            "The message journal: messages received and sent, newest first",
            "Messages",
            (200, "MessageServeEvents", "The messages"),
        ),
        "delete": _op("Empty the message journal", "Messages"),
    },
    "/messages/count": {
        "post": _op(
            "Count journaled messages matching a message pattern",
            "Messages",
            (200, "MessageCount", "How many"),
            body=_MESSAGE_PATTERN,
            errors=_BAD_MESSAGE,
        ),
    },
    "/messages/find": {
        "post": _op(
            "Journaled messages matching a message pattern",
            "Messages",
            (200, "MessageServeEvents", "The messages"),
            body=_MESSAGE_PATTERN,
            errors=_BAD_MESSAGE,
        ),
    },
    "/messages/remove": {
        "post": _op(
            "Remove journaled messages matching a message pattern",
            "Messages",
            body=_MESSAGE_PATTERN,
            errors=_BAD_MESSAGE,
        ),
    },
    "/messages/wait": {
        "post": _op(
            "Wait (up to timeoutMillis, at most 60 s) for a message matching the pattern",
            "Messages",
            (200, "MessageServeEvents", "The messages found by then"),
            body=_WAIT,
            errors=_BAD_MESSAGE,
        ),
    },
    "/messages/wait-for-count": {
        "post": _op(
            "Wait (up to timeoutMillis, at most 60 s) for count messages matching the pattern",
            "Messages",
            (200, "MessageServeEvents", "The messages found by then"),
            body=_WAIT,
            errors=_BAD_MESSAGE,
        ),
    },
    "/messages/unmatched": {
        "get": _op(
            "Received messages no message mapping matched, with their near-miss reports",
            "Messages",
            (200, "MessageServeEvents", "The messages"),
        ),
    },
    "/messages/{id}": {
        "parameters": [_path_param("id", "The message event's id")],
        "get": _op(
            "One journaled message",
            "Messages",
            (200, "SingleMessageServeEvent", "The message"),
            errors={404: "No message event has this id"},
        ),
    },
    "/channels": {
        "get": _op(
            "The open WebSocket connections", "Messages", (200, "MessageChannels", "The channels and their total")
        ),
    },
    "/channels/{id}": {
        "parameters": [_path_param("id", "The channel's id")],
        "get": _op(
            "One WebSocket connection, open or closed",
            "Messages",
            (200, "SingleMessageChannel", "The channel"),
            errors={404: "No channel has this id"},
        ),
        "delete": _op(
            "Close a WebSocket connection (code 1000)", "Messages", errors={404: "No open channel has this id"}
        ),
    },
    "/channels/send": {
        "post": _op(
            "Send a message to every open connection whose handshake matches initiatingRequest",
            "Messages",
            (200, "SendChannelMessageResult", "The channels messaged"),
            body=_SEND,
            errors={400: _BAD_JSON},
        ),
    },
}

_HEADERS = {
    "type": "object",
    "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
}
_TOTAL = {"type": "object", "required": ["total"], "properties": {"total": {"type": "integer", "minimum": 0}}}

_MESSAGE_EVENT = {
    "type": "object",
    "required": ["id", "eventType", "channelType", "channelId", "message", "wasMatched", "timestamp"],
    "properties": {
        "id": {"type": "string"},
        "eventType": {"enum": ["RECEIVED", "SENT"]},
        "channelType": {"enum": ["websocket"]},
        "channelId": {"type": "string"},
        "channelRequest": {"type": "object"},
        "message": {"type": "string", "description": "The text, or base64 with isBinary"},
        "isBinary": {"type": "boolean"},
        "wasMatched": {"type": "boolean"},
        "stubMapping": {"type": "object"},
        "nearMissReport": {"type": "string", "description": "mockpit: why no message mapping matched"},
        "timestamp": {"type": "string"},
    },
}
_CHANNEL = {
    "type": "object",
    "required": ["id", "type", "initiatingRequest", "open"],
    "properties": {
        "id": {"type": "string"},
        "type": {"enum": ["websocket"]},
        "initiatingRequest": {"type": "object"},
        "open": {"type": "boolean"},
        "subprotocol": {"type": "string"},
        "closeCode": {"type": "integer"},
    },
}
_EVENTS = {
    "type": "object",
    "required": ["messageServeEvents"],
    "properties": {
        "messageServeEvents": {"type": "array", "items": _MESSAGE_EVENT},
        "messageJournalDisabled": {"type": "boolean"},
    },
}

#: the answers' schemas; the request bodies' come from their models (below)
_ANSWERS: dict[str, Any] = {
    "MessageMappings": {
        "type": "object",
        "required": ["messageMappings", "meta"],
        "properties": {"messageMappings": {"type": "array", "items": _ref("MessageMapping")}, "meta": _TOTAL},
    },
    "MessageServeEvents": _EVENTS,
    "SingleMessageServeEvent": {
        "type": "object",
        "required": ["messageServeEvent"],
        "properties": {"messageServeEvent": _MESSAGE_EVENT},
    },
    "MessageCount": {
        "type": "object",
        "required": ["count"],
        "properties": {"count": {"type": "integer", "minimum": 0}, "messageJournalDisabled": {"type": "boolean"}},
    },
    "MessageChannels": {
        "type": "object",
        "required": ["channels", "meta"],
        "properties": {"channels": {"type": "array", "items": _CHANNEL}, "meta": _TOTAL},
    },
    "SingleMessageChannel": {"type": "object", "required": ["channel"], "properties": {"channel": _CHANNEL}},
    "SendChannelMessageResult": {
        "type": "object",
        "required": ["channels", "channelsMessaged"],
        "properties": {
            "channels": {"type": "array", "items": _CHANNEL},
            "channelsMessaged": {"type": "integer", "minimum": 0},
        },
    },
    "Empty": {"type": "object", "description": "An empty object: {}"},
    "Errors": {
        "type": "object",
        "required": ["errors"],
        "properties": {
            "errors": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["code", "title", "detail"],
                    "properties": {
                        "code": {"type": "integer"},
                        "title": {"type": "string"},
                        "detail": {"type": "string"},
                        "source": {
                            "type": "object",
                            "properties": {
                                "pointer": {"type": "string", "description": "JSON pointer to the field"},
                                "parameter": {"type": "string", "description": "The query parameter"},
                            },
                        },
                    },
                },
            }
        },
    },
    "StubMappings": {
        "type": "object",
        "required": ["mappings", "meta"],
        "properties": {"mappings": {"type": "array", "items": _ref("StubMapping")}, "meta": _TOTAL},
    },
    "SaveResult": {
        "type": "object",
        "required": ["written", "notSaved"],
        "properties": {
            "written": {"type": "array", "items": {"type": "string"}, "description": "The files written"},
            "notSaved": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "reason"],
                    "properties": {"id": {"type": "string"}, "reason": {"type": "string"}},
                },
            },
        },
    },
    "LoggedRequest": {
        "type": "object",
        "required": ["url", "method"],
        "properties": {
            "url": {"type": "string"},
            "absoluteUrl": {"type": "string"},
            "method": {"type": "string"},
            "clientIp": {"type": ["string", "null"]},
            "headers": _HEADERS,
            "cookies": _HEADERS,
            "browserProxyRequest": {"type": "boolean"},
            "loggedDate": {"type": "integer", "description": "Milliseconds since the epoch"},
            "loggedDateString": {"type": "string", "format": "date-time"},
            "bodyAsBase64": {"type": "string", "contentEncoding": "base64"},
            "body": {"type": "string"},
            "queryParams": {"type": "object"},
            "formParams": {"type": "object"},
            "protocol": {"type": "string"},
            "scheme": {"type": "string"},
            "host": {"type": ["string", "null"]},
            "port": {"type": ["integer", "null"]},
            "basicAuthCredentials": {
                "type": "object",
                "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
            },
        },
    },
    "ServeEvent": {
        "type": "object",
        "required": ["id", "request", "response", "wasMatched"],
        "properties": {
            "id": {"type": "string"},
            "request": _ref("LoggedRequest"),
            "response": {
                "type": "object",
                "required": ["status"],
                "properties": {
                    "status": {"type": "integer"},
                    "headers": _HEADERS,
                    "body": {"type": "string"},
                    "bodyAsBase64": {"type": "string"},
                    "streamOutcome": {
                        "description": "mockpit's: how a streamed response (Server-Sent Events) ended",
                        "enum": ["streaming", "completed", "disconnected", "failed"],
                    },
                },
            },
            "wasMatched": {"type": "boolean"},
            "stubMapping": _ref("StubMapping"),
            "responseDefinition": {
                "description": "The stub's response, or {status: 404, fromConfiguredStub: false} when none matched",
                "oneOf": [
                    _ref("ResponseDefinition"),
                    {
                        "type": "object",
                        "properties": {"status": {"const": 404}, "fromConfiguredStub": {"const": False}},
                    },
                ],
            },
            "timing": {"type": "object", "description": "Zeros: mockpit does not time the phases of a request"},
            "subEvents": {"type": "array"},
        },
    },
    "ServeEvents": {
        "type": "object",
        "required": ["requests", "meta", "requestJournalDisabled"],
        "properties": {
            "requests": {"type": "array", "items": _ref("ServeEvent")},
            "meta": _TOTAL,
            "requestJournalDisabled": {"type": "boolean"},
        },
    },
    "LoggedRequests": {
        "type": "object",
        "required": ["requests", "requestJournalDisabled"],
        "properties": {
            "requests": {"type": "array", "items": _ref("LoggedRequest")},
            "requestJournalDisabled": {"type": "boolean"},
        },
    },
    "RemovedServeEvents": {
        "type": "object",
        "required": ["serveEvents"],
        "properties": {"serveEvents": {"type": "array", "items": _ref("ServeEvent")}},
    },
    "Count": {
        "type": "object",
        "required": ["count"],
        "properties": {"count": {"type": "integer", "minimum": 0}, "requestJournalDisabled": {"type": "boolean"}},
    },
    "NearMiss": {
        "type": "object",
        "required": ["request", "matchResult"],
        "properties": {
            "request": _ref("LoggedRequest"),
            "stubMapping": _ref("StubMapping"),
            "requestPattern": _ref("RequestPattern"),
            "matchResult": {
                "type": "object",
                "required": ["distance"],
                "properties": {"distance": {"type": "number", "minimum": 0, "maximum": 1}},
            },
        },
    },
    "NearMisses": {
        "type": "object",
        "required": ["nearMisses"],
        "properties": {"nearMisses": {"type": "array", "items": _ref("NearMiss")}},
    },
    "Scenario": {
        "type": "object",
        "required": ["id", "name", "state", "possibleStates"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "state": {"type": "string"},
            "possibleStates": {"type": "array", "items": {"type": "string"}},
            "mappings": {"type": "array", "items": _ref("StubMapping")},
        },
    },
    "Scenarios": {
        "type": "object",
        "required": ["scenarios"],
        "properties": {"scenarios": {"type": "array", "items": _ref("Scenario")}},
    },
    "SettingsResult": {"type": "object", "required": ["settings"], "properties": {"settings": _ref("Settings")}},
    "RecordingStatus": {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"enum": ["NeverStarted", "Recording", "Stopped"]}},
    },
    "RecordingResult": {
        "oneOf": [
            {
                "type": "object",
                "required": ["mappings"],
                "properties": {"mappings": {"type": "array", "items": _ref("StubMapping")}},
            },
            {
                "type": "object",
                "required": ["ids"],
                "properties": {"ids": {"type": "array", "items": {"type": "string"}}},
            },
        ]
    },
    "Health": {
        "type": "object",
        "required": ["status", "version", "uptimeInSeconds", "timestamp"],
        "properties": {
            "status": {"type": "string"},
            "message": {"type": "string"},
            "version": {"type": "string"},
            "uptimeInSeconds": {"type": "integer", "minimum": 0},
            "timestamp": {"type": "string", "format": "date-time"},
        },
    },
    "Version": {"type": "object", "required": ["version"], "properties": {"version": {"type": "string"}}},
    "Cluster": {
        "type": "object",
        "required": ["self", "store", "instances"],
        "properties": {
            "self": {"type": ["string", "null"], "description": "The answering instance's id"},
            "store": {
                "type": ["object", "null"],
                "required": ["url", "connected", "disconnections"],
                "properties": {
                    "url": {"type": "string"},
                    "connected": {"type": "boolean"},
                    "disconnections": {"type": "integer", "minimum": 0},
                },
            },
            "instances": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "address", "host", "pid", "version", "startedAt", "load", "journal"],
                    "properties": {
                        "id": {"type": "string"},
                        "address": {"type": "string"},
                        "host": {"type": "string"},
                        "pid": {"type": "integer"},
                        "version": {"type": "string"},
                        "startedAt": {"type": "number"},
                        "load": {
                            "type": "object",
                            "required": ["requestsPerSecond", "stubs"],
                            "properties": {"requestsPerSecond": {"type": "number"}, "stubs": {"type": "integer"}},
                        },
                        "journal": {
                            "type": "object",
                            "required": ["buffered", "dropped"],
                            "properties": {"buffered": {"type": "integer"}, "dropped": {"type": "integer"}},
                        },
                    },
                },
            },
        },
    },
    "OpenApi": {"type": "object", "required": ["openapi", "info", "paths"]},
    "StubSummaries": {
        "type": "object",
        "required": ["stubs", "meta"],
        "properties": {
            "stubs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "method", "status", "persistent", "file", "metadata"],
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": ["string", "null"]},
                        "method": {"type": "string"},
                        "url": {"type": ["string", "null"]},
                        "urlKind": {"type": "string"},
                        "status": {"type": "integer"},
                        "priority": {"type": ["integer", "null"]},
                        "persistent": {"type": "boolean"},
                        "file": {"type": ["string", "null"], "description": "The mapping file holding it as it is"},
                        "scenarioName": {"type": ["string", "null"]},
                        "metadata": {"type": "object"},
                        "openapi": {"description": "The operation of the OpenAPI document it was made from"},
                    },
                },
            },
            "meta": _TOTAL,
        },
    },
}


#: the request bodies, each named for the document by the model that checks it
_BODIES: dict[str, type[BaseModel]] = {
    "StubMapping": _StubModel,
    "MessageMapping": _MessageStubModel,
    "RequestPattern": _RequestModel,
    "ContentPattern": _BodyPatternModel,
    "Import": _ImportModel,
    "ScenarioState": _ScenarioStateModel,
    "Settings": _SettingsModel,
    "RecordSpec": _RecordSpecModel,
    "NearMissRequest": _LoggedRequestModel,
}
#: the models inside them, named for the document (pydantic names them after their private classes)
_INNER = {
    "_ResponseModel": "ResponseDefinition",
    "_ValuePatternModel": "ValuePattern",
    "_PathModel": "PathPattern",
    "_FieldPatternModel": "FieldPattern",
    "_MultipartModel": "MultipartPattern",
    "_CustomMatcherModel": "CustomMatcher",
    "_GraphQLModel": "GraphQLPattern",
    "_BasicAuthModel": "BasicAuthCredentials",
    "_DelayDistributionModel": "DelayDistribution",
    "_DribbleModel": "ChunkedDribbleDelay",
    "_SseModel": "ServerSentEvents",
    "_SseEventModel": "ServerSentEvent",
    "_ListenerModel": "ServeEventListener",
    "_ImportOptionsModel": "ImportOptions",
    "_CredentialsModel": "Credentials",
    "_CaptureHeaderModel": "CaptureHeader",
    "_RequestBodyPatternModel": "RequestBodyPattern",
    "_ExtractBodyModel": "ExtractBodyCriteria",
    "_TriggerModel": "MessageTrigger",
    "_ChannelModel": "ChannelPattern",
    "_MessagePatternModel": "MessagePattern",
    "_ActionModel": "MessageAction",
    "_MessageDefinitionModel": "MessageDefinition",
    "_BodyModel": "MessageBody",
    "_TargetModel": "ChannelTarget",
}


class _WithoutFieldTitles(GenerateJsonSchema):
    # pydantic titles each field after its name ("fixedDelay" -> "Fixeddelay"), which says nothing more
    def field_title_should_be_set(self, schema: object) -> bool:
        return False


@cache
def _schemas() -> dict[str, Any]:
    """Every schema of the document: the answers', then the request bodies' from their models."""
    names = {model.__name__: name for name, model in _BODIES.items()} | _INNER
    _, found = models_json_schema(
        [(model, "validation") for model in _BODIES.values()], schema_generator=_WithoutFieldTitles
    )
    unnamed = sorted(set(found["$defs"]) - set(names))
    if unnamed:
        raise RuntimeError(f"name the schemas of {', '.join(unnamed)} in _admin/openapi.py")
    derived = {names[key]: _renamed(schema, names) for key, schema in found["$defs"].items()}
    for schema in derived.values():
        schema.pop("title", None)  # the class's name: the component's name says it
    # each mapping is read by the mapping format, so that errors point inside it; the model takes any JSON
    derived["Import"]["properties"]["mappings"]["items"] = _ref("StubMapping")
    clash = sorted(derived.keys() & _ANSWERS.keys())
    if clash:
        raise RuntimeError(f"{', '.join(clash)}: both an answer's schema and a request body's")
    return {**_ANSWERS, **dict(sorted(derived.items()))}


def _renamed(node: Any, names: dict[str, str]) -> Any:
    """``node`` with its references to pydantic's names for the models pointing at the document's names."""
    if isinstance(node, dict):
        if "$ref" in node:
            return {**node, **_ref(names[node["$ref"].removeprefix("#/$defs/")])}
        return {key: _renamed(value, names) for key, value in node.items()}
    if isinstance(node, list):
        return [_renamed(item, names) for item in node]
    return node


def document(prefix: str = "/__admin") -> dict[str, Any]:
    """The OpenAPI 3.1 document, its paths under ``prefix``."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mockpit admin API",
            "version": __version__,
            "description": (
                "WireMock's admin API as mockpit serves it: the same paths, JSON shapes and status codes. "
                'Errors are {"errors": [{"code", "title", "detail", "source": {"pointer"}}]}; an unknown '
                "path is a 404 and a method a path lacks a 405 with Allow. Access (docs/security.md): with a "
                "token set, every call needs it (401 without); a Host that is not this server's is a 403, and "
                "so is a change asked for by another site's web page."
            ),
        },
        # optional: a server started without a token needs none (the empty requirement)
        "security": [{}, {"token": []}, {"tokenAsPassword": []}],
        "tags": [
            {"name": name}
            for name in (
                "Stub Mappings",
                "Requests",
                "Near Misses",
                "Scenarios",
                "Recordings",
                "System",
                "Dashboard",
                "Messages",
            )
        ],
        "paths": {prefix + path: operations for path, operations in _PATHS.items()},
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer", "description": "--admin-token / admin_token="},
                "tokenAsPassword": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "any user, the token as password",
                },
            },
        },
    }
