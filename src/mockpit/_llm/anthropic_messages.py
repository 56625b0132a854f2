"""Anthropic's Messages (``POST /v1/messages``) as mapping responses: JSON, streamed events, errors.

The shapes are those the ``anthropic`` SDK parses (``Message``, the ``message_start`` ...
``message_stop`` stream events, its ``APIStatusError`` subclasses).
"""

from __future__ import annotations

import datetime
from typing import Any

from .answers import (
    Answer,
    LlmError,
    arguments_text,
    call_id,
    error_headers,
    fragments,
    new_id,
    output_tokens,
    tokens,
    tool_calls_of,
)

PATH = "/v1/messages"

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def response(answer: Answer, *, model: str, prompt_tokens: int, stream: bool, token_delay_ms: int) -> dict[str, Any]:
    """The mapping ``response`` for ``answer``: a JSON message, or (``stream``) its SSE events."""
    if isinstance(answer, LlmError):
        return _error(answer)
    message_id = new_id("msg_")
    calls = tool_calls_of(answer)
    text = answer if isinstance(answer, str) else None
    tokens_out = output_tokens(text, calls)
    stop = "end_turn" if calls is None else "tool_use"
    ids = [call_id(call, "toolu_") for call in calls or ()]
    headers = {"request-id": new_id("req_")}
    if not stream:
        content: list[dict[str, Any]] = []
        if text is not None:
            content.append({"type": "text", "text": text})
        for i, call in enumerate(calls or ()):
            content.append({"type": "tool_use", "id": ids[i], "name": call.name, "input": dict(call.arguments)})
        body = {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": prompt_tokens, "output_tokens": tokens_out},
        }
        return {"status": 200, "jsonBody": body, "headers": headers}

    def event(kind: str, data: dict[str, Any], delay: int = 0) -> dict[str, Any]:
        out: dict[str, Any] = {"event": kind, "data": {"type": kind, **data}}
        if delay:
            out["delayMilliseconds"] = delay
        return out

    start: dict[str, Any] = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": prompt_tokens, "output_tokens": 1},
    }
    events = [event("message_start", {"message": start})]
    index = 0
    if text is not None:
        events.append(event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}))
        events.append(event("ping", {}))
        events += [
            event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": t}}, token_delay_ms)
            for t in tokens(text)
        ]
        events.append(event("content_block_stop", {"index": 0}))
        index = 1
    for i, call in enumerate(calls or ()):
        block = {"type": "tool_use", "id": ids[i], "name": call.name, "input": {}}
        events.append(event("content_block_start", {"index": index, "content_block": block}))
        events += [
            event(
                "content_block_delta",
                {"index": index, "delta": {"type": "input_json_delta", "partial_json": piece}},
                token_delay_ms,
            )
            for piece in fragments(arguments_text(call))
        ]
        events.append(event("content_block_stop", {"index": index}))
        index += 1
    events.append(
        event(
            "message_delta",
            {"delta": {"stop_reason": stop, "stop_sequence": None}, "usage": {"output_tokens": tokens_out}},
        )
    )
    events.append(event("message_stop", {}))
    return {"status": 200, "headers": headers, "sse": {"events": events}}


def _error(error: LlmError) -> dict[str, Any]:
    headers = {"request-id": new_id("req_"), **error_headers(error)}
    if error.status == 429:
        reset = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=error.retry_after or 1)
        stamp = reset.strftime("%Y-%m-%dT%H:%M:%SZ")
        headers |= {
            "anthropic-ratelimit-requests-limit": "50",
            "anthropic-ratelimit-requests-remaining": "0",
            "anthropic-ratelimit-requests-reset": stamp,
            "anthropic-ratelimit-tokens-limit": "40000",
            "anthropic-ratelimit-tokens-remaining": "0",
            "anthropic-ratelimit-tokens-reset": stamp,
        }
    kind = error.type or _ERROR_TYPES.get(error.status, "api_error")
    body = {"type": "error", "error": {"type": kind, "message": error.message}}
    return {"status": error.status, "jsonBody": body, "headers": {**headers, **error.headers}}
