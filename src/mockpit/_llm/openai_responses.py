"""OpenAI's Responses API (``POST /v1/responses``) as mapping responses: JSON, streamed events, errors.

The shapes are those the ``openai`` SDK parses (``Response`` with its ``output_text``, the
``response.created`` ... ``response.completed`` stream events); errors are Chat Completions' own.
"""

from __future__ import annotations

import time
from typing import Any

from . import openai_chat
from .answers import (
    Answer,
    LlmError,
    arguments_text,
    call_id,
    fragments,
    new_id,
    output_tokens,
    tokens,
    tool_calls_of,
)

PATH = "/v1/responses"


def response(answer: Answer, *, model: str, prompt_tokens: int, stream: bool, token_delay_ms: int) -> dict[str, Any]:
    """The mapping ``response`` for ``answer``: a JSON response object, or (``stream``) its SSE events."""
    if isinstance(answer, LlmError):
        return openai_chat.error_response(answer)
    calls = tool_calls_of(answer)
    text = answer if isinstance(answer, str) else None
    tokens_out = output_tokens(text, calls)
    usage = {
        "input_tokens": prompt_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": tokens_out,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt_tokens + tokens_out,
    }
    message_id = new_id("msg_")
    items: list[dict[str, Any]] = []
    if text is not None:
        part = {"type": "output_text", "text": text, "annotations": []}
        items.append(
            {"type": "message", "id": message_id, "status": "completed", "role": "assistant", "content": [part]}
        )
    for call in calls or ():
        items.append(
            {
                "type": "function_call",
                "id": new_id("fc_"),
                "call_id": call_id(call, "call_"),
                "name": call.name,
                "arguments": arguments_text(call),
                "status": "completed",
            }
        )
    body: dict[str, Any] = {
        "id": new_id("resp_"),
        "object": "response",
        "created_at": int(time.time()),
        "status": "completed",
        "model": model,
        "output": items,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "text": {"format": {"type": "text"}},
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "usage": usage,
    }
    headers = {"x-request-id": new_id("req_")}
    if not stream:
        return {"status": 200, "jsonBody": body, "headers": headers}

    events: list[dict[str, Any]] = []

    def event(kind: str, delay: int = 0, **data: Any) -> None:
        out: dict[str, Any] = {"event": kind, "data": {"type": kind, "sequence_number": len(events), **data}}
        if delay:
            out["delayMilliseconds"] = delay
        events.append(out)

    event("response.created", response={**body, "status": "in_progress", "output": [], "usage": None})
    for index, item in enumerate(items):
        if item["type"] == "message":
            event(
                "response.output_item.added", output_index=index, item={**item, "status": "in_progress", "content": []}
            )
            ids = {"item_id": item["id"], "output_index": index, "content_index": 0}
            event("response.content_part.added", **ids, part={"type": "output_text", "text": "", "annotations": []})
            for token in tokens(item["content"][0]["text"]):
                event("response.output_text.delta", token_delay_ms, **ids, delta=token, logprobs=[])
            event("response.output_text.done", **ids, text=item["content"][0]["text"], logprobs=[])
            event("response.content_part.done", **ids, part=item["content"][0])
        else:
            event(
                "response.output_item.added",
                output_index=index,
                item={**item, "arguments": "", "status": "in_progress"},
            )
            ids = {"item_id": item["id"], "output_index": index}
            for piece in fragments(item["arguments"]):
                event("response.function_call_arguments.delta", token_delay_ms, **ids, delta=piece)
            event("response.function_call_arguments.done", **ids, arguments=item["arguments"])
        event("response.output_item.done", output_index=index, item=item)
    event("response.completed", response=body)
    return {"status": 200, "headers": headers, "sse": {"events": events}}
