"""OpenAI's Chat Completions (``POST /v1/chat/completions``) as mapping responses: JSON, streamed chunks, errors.

The shapes are those the ``openai`` SDK parses (``ChatCompletion``, ``ChatCompletionChunk``, its
``APIStatusError`` subclasses); a stream ends with ``data: [DONE]`` as OpenAI's does.
"""

from __future__ import annotations

import time
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

PATH = "/v1/chat/completions"

_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", None),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    503: ("server_error", None),
}


def response(answer: Answer, *, model: str, prompt_tokens: int, stream: bool, token_delay_ms: int) -> dict[str, Any]:
    """The mapping ``response`` for ``answer``: a JSON completion, or (``stream``) its SSE chunks."""
    if isinstance(answer, LlmError):
        return error_response(answer)
    completion_id = new_id("chatcmpl-")
    created = int(time.time())
    calls = tool_calls_of(answer)
    text = answer if isinstance(answer, str) else None
    completion_tokens = output_tokens(text, calls)
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    finish = "stop" if calls is None else "tool_calls"
    ids = [call_id(call, "call_") for call in calls or ()]
    if not stream:
        message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
        if calls is not None:
            message["tool_calls"] = [
                {"id": ids[i], "type": "function", "function": {"name": c.name, "arguments": arguments_text(c)}}
                for i, c in enumerate(calls)
            ]
        body = {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
            "usage": usage,
            "system_fingerprint": "fp_mockpit",
        }
        return {"status": 200, "jsonBody": body, "headers": {"x-request-id": new_id("req_")}}

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": "fp_mockpit",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        }

    events: list[dict[str, Any]] = [{"data": chunk({"role": "assistant", "content": "" if text is not None else None})}]
    if text is not None:
        events += [{"data": chunk({"content": token}), "delayMilliseconds": token_delay_ms} for token in tokens(text)]
    for index, call in enumerate(calls or ()):
        start = {"index": index, "id": ids[index], "type": "function", "function": {"name": call.name, "arguments": ""}}
        events.append({"data": chunk({"tool_calls": [start]}), "delayMilliseconds": token_delay_ms})
        events += [
            {
                "data": chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}),
                "delayMilliseconds": token_delay_ms,
            }
            for piece in fragments(arguments_text(call))
        ]
    events.append({"data": chunk({}, finish)})
    # sent by OpenAI only with stream_options.include_usage; the SDK reads a chunk without choices either way
    events.append({"data": {**chunk({}), "choices": [], "usage": usage}})
    events.append({"data": "[DONE]"})
    return {"status": 200, "headers": {"x-request-id": new_id("req_")}, "sse": {"events": events}}


def error_response(failure: LlmError) -> dict[str, Any]:
    kind, code = _ERROR_TYPES.get(failure.status, ("api_error", None))
    headers = {"x-request-id": new_id("req_"), **error_headers(failure)}
    if failure.status == 429:
        headers |= {
            "x-ratelimit-limit-requests": "60",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": f"{failure.retry_after or 1}s",
            "x-ratelimit-limit-tokens": "150000",
            "x-ratelimit-remaining-tokens": "0",
            "x-ratelimit-reset-tokens": f"{failure.retry_after or 1}s",
        }
    body = {"error": {"message": failure.message, "type": kind, "param": None, "code": failure.type or code}}
    return {"status": failure.status, "jsonBody": body, "headers": {**headers, **failure.headers}}
