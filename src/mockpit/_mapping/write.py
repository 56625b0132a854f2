"""mockpit's model -> WireMock's mapping format: the writing half of the one (de)serialiser.

Stubs are written for ``GET /__admin/mappings``, mapping files, recordings and the CLI; headers are
written as WireMock does everywhere (the admin API's logged requests too), so that function lives here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockpit._model import (
    DelayDistribution,
    FieldPattern,
    GraphQLPattern,
    MessageAction,
    MessageStub,
    MultipartPattern,
    MultiValuePattern,
    RequestPattern,
    ResponseDefinition,
    SseEvent,
    SseStream,
    Stub,
)
from mockpit._types import HeadersInput


def stub_to_mapping(stub: Stub) -> dict[str, Any]:
    """The WireMock JSON for ``stub`` (a Python handler is noted in ``metadata``, as it has no JSON)."""
    out: dict[str, Any] = {"id": stub.id, "uuid": stub.id}
    if stub.name is not None:
        out["name"] = stub.name
    out["request"] = pattern_to_mapping(stub.request)
    if stub.then:
        out["responses"] = [_response_to_mapping(r) for r in (stub.response, *stub.then)]
        out["responseSequence"] = "cycle" if stub.cycle else "stopOnLast"
    else:
        out["response"] = _response_to_mapping(stub.response)
    if stub.serve_event_listeners:
        out["serveEventListeners"] = [
            {"name": listener.name, "parameters": dict(listener.parameters)} for listener in stub.serve_event_listeners
        ]
    if stub.priority is not None:
        out["priority"] = stub.priority
    for key, value in (
        ("scenarioName", stub.scenario_name),
        ("requiredScenarioState", stub.required_scenario_state),
        ("newScenarioState", stub.new_scenario_state),
    ):
        if value is not None:
            out[key] = value
    metadata = dict(stub.metadata or {})
    if stub.response.handler is not None:
        handler = stub.response.handler
        metadata["mockpitHandler"] = getattr(handler, "__qualname__", repr(handler))
    if metadata:
        out["metadata"] = metadata
    if stub.persistent is not None:
        out["persistent"] = stub.persistent
    return out


def _value_pattern_to_mapping(pattern: FieldPattern) -> dict[str, Any]:
    """A value pattern (or hasExactly/includes) as WireMock's JSON: what the format's models read."""
    if isinstance(pattern, MultiValuePattern):
        return {pattern.operator: [_value_pattern_to_mapping(p) for p in pattern.patterns]}
    op = pattern.operator
    out: dict[str, Any]
    if op in {"and", "or"}:
        out = {op: [_value_pattern_to_mapping(p) for p in pattern.operands]}
    elif op == "not":
        out = {op: _value_pattern_to_mapping(pattern.operands[0])}
    elif op == "absent":
        out = {op: True}
    elif pattern.sub_pattern is not None:
        out = {op: {"expression": pattern.value, **_value_pattern_to_mapping(pattern.sub_pattern)}}
    else:
        out = {op: pattern.value}
    for key, on in (
        ("caseInsensitive", pattern.case_insensitive),
        ("ignoreArrayOrder", pattern.ignore_array_order),
        ("ignoreExtraElements", pattern.ignore_extra_elements),
    ):
        if on:
            out[key] = True
    if pattern.schema_version is not None:
        out["schemaVersion"] = pattern.schema_version
    xml = pattern.xml
    if xml is not None:
        options: tuple[tuple[str, Any], ...] = (
            ("enablePlaceholders", xml.enable_placeholders or None),
            ("placeholderOpeningDelimiterRegex", xml.placeholder_opening),
            ("placeholderClosingDelimiterRegex", xml.placeholder_closing),
            ("exemptedComparisons", list(xml.exempted_comparisons) or None),
            ("ignoreOrderOfSameNode", xml.ignore_order_of_same_node or None),
        )
        out.update((key, value) for key, value in options if value is not None)
    if pattern.namespaces:
        out["xPathNamespaces"] = dict(pattern.namespaces)
    return out


def _multipart_to_mapping(pattern: MultipartPattern) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if pattern.name is not None:
        out["name"] = pattern.name
    if pattern.matching_type is not None:
        out["matchingType"] = pattern.matching_type
    if pattern.headers:
        out["headers"] = {name: _value_pattern_to_mapping(p) for name, p in pattern.headers.items()}
    if pattern.body_patterns:
        out["bodyPatterns"] = [_value_pattern_to_mapping(p) for p in pattern.body_patterns]
    return out


def pattern_to_mapping(pattern: RequestPattern) -> dict[str, Any]:
    """A request pattern as WireMock's ``request`` JSON (what :func:`pattern_from_mapping` reads)."""
    out: dict[str, Any] = {}
    if pattern.scheme is not None:
        out["scheme"] = pattern.scheme
    if pattern.host is not None:
        out["host"] = _value_pattern_to_mapping(pattern.host)
    if pattern.port is not None:
        out["port"] = pattern.port
    if pattern.url.kind != "anyUrl":
        out[pattern.url.kind] = pattern.url.value
    out["method"] = pattern.method
    if pattern.client_ip is not None:
        out["clientIp"] = _value_pattern_to_mapping(pattern.client_ip)
    sections: tuple[tuple[str, Mapping[str, FieldPattern]], ...] = (
        ("pathParameters", pattern.path_parameters),
        ("queryParameters", pattern.query_parameters),
        ("formParameters", pattern.form_parameters),
        ("headers", pattern.headers),
        ("cookies", pattern.cookies),
    )
    for key, patterns in sections:
        if patterns:
            out[key] = {name: _value_pattern_to_mapping(p) for name, p in patterns.items()}
    if pattern.body_patterns:
        out["bodyPatterns"] = [_value_pattern_to_mapping(body) for body in pattern.body_patterns]
    if pattern.multipart_patterns:
        out["multipartPatterns"] = [_multipart_to_mapping(p) for p in pattern.multipart_patterns]
    if pattern.basic_auth:
        out["basicAuthCredentials"] = {"username": pattern.basic_auth[0], "password": pattern.basic_auth[1]}
    if pattern.custom_matcher is not None:
        custom: dict[str, Any] = {"name": pattern.custom_matcher.name}
        if pattern.custom_matcher.parameters:
            custom["parameters"] = dict(pattern.custom_matcher.parameters)
        out["customMatcher"] = custom
    if pattern.graphql is not None:
        out["graphql"] = _graphql_to_mapping(pattern.graphql)
    return out


def _graphql_to_mapping(pattern: GraphQLPattern) -> dict[str, Any]:
    fields = (
        ("operationName", pattern.operation_name),
        ("operationType", pattern.operation_type),
        ("query", pattern.query),
        ("variables", None if pattern.variables is None else _value_pattern_to_mapping(pattern.variables)),
    )
    return {key: value for key, value in fields if value is not None}


def _response_to_mapping(definition: ResponseDefinition) -> dict[str, Any]:
    out: dict[str, Any] = {"status": definition.status}
    if definition.status_message is not None:
        out["statusMessage"] = definition.status_message
    if definition.headers:
        out["headers"] = headers_to_mapping(definition.headers)
    fields: tuple[tuple[str, Any], ...] = (
        ("body", definition.body),
        ("jsonBody", definition.json_body),
        ("base64Body", definition.base64_body),
        ("bodyFileName", definition.body_file_name),
        ("fixedDelayMilliseconds", definition.fixed_delay_ms),
        ("fault", definition.fault),
        ("transformers", list(definition.transformers) or None),
        ("transformerParameters", definition.transformer_parameters),
        ("proxyBaseUrl", definition.proxy_base_url),
        ("additionalProxyRequestHeaders", dict(definition.additional_proxy_request_headers) or None),
        ("removeProxyRequestHeaders", list(definition.remove_proxy_request_headers) or None),
        ("proxyUrlPrefixToRemove", definition.proxy_url_prefix_to_remove),
    )
    for key, value in fields:
        if value is not None:
            out[key] = value
    if definition.delay_distribution is not None:
        out["delayDistribution"] = delay_to_mapping(definition.delay_distribution)
    if definition.chunked_dribble_delay is not None:
        chunks, total = definition.chunked_dribble_delay
        out["chunkedDribbleDelay"] = {"numberOfChunks": chunks, "totalDuration": total}
    if definition.sse is not None:
        out["sse"] = sse_to_mapping(definition.sse)
    return out


def delay_to_mapping(delay: DelayDistribution) -> dict[str, Any]:
    """A random delay as WireMock writes it (in a response, or in the global settings)."""
    if delay.type == "uniform":
        return {"type": "uniform", "lower": delay.lower, "upper": delay.upper}
    out: dict[str, Any] = {"type": "lognormal", "median": delay.median, "sigma": delay.sigma}
    if delay.max_value is not None:
        out["maxValue"] = delay.max_value
    return out


_DEFAULT_STREAM = SseStream()


def sse_to_mapping(stream: SseStream) -> dict[str, Any]:
    """An event stream as the mapping's ``sse`` object; defaults are left out."""
    out: dict[str, Any] = {"events": [sse_event_to_mapping(event) for event in stream.events]}
    if stream.repeat != 1:
        out["repeat"] = "forever" if stream.repeat is None else stream.repeat
    if stream.keep_open:
        out["keepOpen"] = True
    if stream.heartbeat_ms != _DEFAULT_STREAM.heartbeat_ms:
        out["heartbeatMilliseconds"] = stream.heartbeat_ms
    return out


def sse_event_to_mapping(event: SseEvent) -> dict[str, Any]:
    fields = (
        ("event", event.event),
        ("data", event.data),
        ("id", event.id),
        ("retry", event.retry_ms),
        ("comment", event.comment),
        ("delayMilliseconds", event.delay_ms or None),
    )
    return {key: value for key, value in fields if value is not None}


def headers_to_mapping(headers: HeadersInput) -> dict[str, str | list[str]]:
    """Headers as WireMock writes them: a name with one value maps to it, a name with several to a list.

    Takes pairs (a name may come back) or a mapping whose values are strings or lists of them.
    """
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str | list[str]] = {}
    for name, value in pairs:
        values = [value] if isinstance(value, str) else list(value)
        previous = out.get(name)
        if previous is None:
            out[name] = values[0] if len(values) == 1 else values
        else:
            out[name] = [*([previous] if isinstance(previous, str) else previous), *values]
    return out


def message_stub_to_mapping(stub: MessageStub) -> dict[str, Any]:
    """A message stub as WireMock 4's message mapping JSON (mockpit's additions where it has none)."""
    trigger: dict[str, Any] = {"type": stub.trigger}
    if stub.trigger == "http-request":
        assert stub.http_request is not None
        trigger["requestPattern"] = pattern_to_mapping(stub.http_request)
    channel: dict[str, Any] = {"type": "websocket"}
    if stub.channel != RequestPattern():
        channel["initiatingRequestPattern"] = pattern_to_mapping(stub.channel)
    if stub.subprotocol is not None:
        channel["subprotocol"] = stub.subprotocol
    if len(channel) > 1:
        trigger["channel"] = channel
    if stub.body is not None:
        trigger["message"] = {"body": _value_pattern_to_mapping(stub.body)}
    mapping: dict[str, Any] = {"id": stub.id}
    if stub.name is not None:
        mapping["name"] = stub.name
    if stub.priority is not None:
        mapping["priority"] = stub.priority
    mapping["trigger"] = trigger
    mapping["actions"] = [_message_action_to_mapping(action) for action in stub.actions]
    if stub.metadata is not None:
        mapping["metadata"] = dict(stub.metadata)
    return mapping


def _message_action_to_mapping(action: MessageAction) -> dict[str, Any]:
    out: dict[str, Any] = {"type": action.kind}
    if action.kind == "send":
        if action.binary is not None:
            body: dict[str, Any] = {"base64Data": action.binary}
        elif action.json is not None:
            body = {"jsonBody": action.json}
        else:
            body = {"data": action.text or ""}
        out["message"] = {"body": body}
        target: dict[str, Any] = {"type": "originating"}
        if action.target is not None:
            target = {"type": "request-initiated", "channelType": "websocket"}
            target["requestPattern"] = pattern_to_mapping(action.target)
        out["channelTarget"] = target
    else:
        out["code"] = action.close_code
        if action.close_reason:
            out["reason"] = action.close_reason
    if action.delay_ms:
        out["delayMilliseconds"] = action.delay_ms
    if action.every_ms is not None:
        out["repeatEveryMilliseconds"] = action.every_ms
    if action.times is not None:
        out["repeatTimes"] = action.times
    if action.transformers:
        out["transformers"] = list(action.transformers)
    if action.transformer_parameters:
        out["transformerParameters"] = dict(action.transformer_parameters)
    return out
