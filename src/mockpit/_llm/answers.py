"""What a mocked model answers: text, tool calls or an error, and how text is cut into tokens."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ToolCall:
    """The model asks the caller to run a tool: ``ToolCall("get_weather", {"city": "Paris"})``."""

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    #: the provider's call id (``call_...`` / ``toolu_...``); made up when not given
    id: str | None = None


@dataclass(frozen=True)
class LlmError:
    """An error answer in the provider's shape, with its headers: ``LlmError(500, "overloaded")``.

    ``retry_after`` (seconds) sends ``retry-after`` (and ``retry-after-ms``, which the official SDKs
    prefer, so that a test's retry waits that long and no longer).
    """

    status: int
    message: str = "mockpit: a mocked error"
    #: the provider's error type/code (e.g. ``rate_limit_exceeded``, ``overloaded_error``); a default fits the status
    type: str | None = None
    retry_after: float | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def rate_limited(retry_after: float = 0.01, message: str = "Rate limit reached (mocked by mockpit)") -> LlmError:
    """A 429 as the provider sends it: its error body and rate-limit headers, retry after ``retry_after`` s."""
    return LlmError(429, message, type=None, retry_after=retry_after)


#: one answer: text, one or several tool calls, or an error
Answer = str | ToolCall | Sequence[ToolCall] | LlmError

_TOKEN = re.compile(r"\s*\S+|\s+")


def tokens(text: str) -> list[str]:
    """``text`` cut the way a model streams it: a word with the space before it per token."""
    return _TOKEN.findall(text) or [""]


def count_tokens(text: str) -> int:
    """A plausible token count: about four characters a token, as the providers' tokenizers average."""
    return max(1, math.ceil(len(text) / 4))


def output_tokens(text: str | None, calls: list[ToolCall] | None) -> int:
    """The answer's plausible token count: its text's, or its tool calls' arguments'."""
    if text is not None:
        return count_tokens(text)
    return sum(count_tokens(arguments_text(call)) for call in calls or ())


def tool_calls_of(answer: Answer) -> list[ToolCall] | None:
    if isinstance(answer, ToolCall):
        return [answer]
    if isinstance(answer, (str, LlmError)):
        return None
    calls = list(answer)
    for call in calls:
        if not isinstance(call, ToolCall):
            raise TypeError(f"an answer is text, a ToolCall, a list of ToolCalls or an LlmError; got {call!r}")
    return calls


def check_answer(answer: object) -> None:
    if isinstance(answer, (str, ToolCall, LlmError)):
        return
    if isinstance(answer, Sequence) and answer and all(isinstance(a, ToolCall) for a in answer):
        return
    raise TypeError(
        "an answer is text (str), a mockpit.ToolCall, a list of them, or a mockpit.LlmError "
        f"(e.g. mockpit.rate_limited()); got {answer!r}"
    )


def call_id(call: ToolCall, prefix: str) -> str:
    return call.id or f"{prefix}{uuid.uuid4().hex[:24]}"


def new_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:24]}"


def arguments_text(call: ToolCall) -> str:
    import json

    return json.dumps(dict(call.arguments), separators=(",", ":"))


def fragments(text: str, size: int = 8) -> list[str]:
    """A tool call's JSON arguments streamed in pieces, as the providers do."""
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def error_headers(error: LlmError) -> dict[str, str]:
    headers: dict[str, str] = {}
    if error.retry_after is not None:
        headers["retry-after"] = str(max(0, math.ceil(error.retry_after)))
        headers["retry-after-ms"] = str(round(error.retry_after * 1000))
    return headers
