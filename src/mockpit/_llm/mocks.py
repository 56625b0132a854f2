"""``server.llm``: an LLM provider mocked in a line, and what the code under test sent it.

Each mock is two ordinary stubs (visible in ``/__admin/mappings``, writable as mapping files): one for
``"stream": true`` requests, answering with Server-Sent Events, and one for the rest, answering JSON.
Several answers are given in turn (the last repeats), so "429, then 200" is one call::

    mock = server.llm.openai(rate_limited(), "Hello!")
    ...  # the SDK retries the 429 and gets "Hello!"
    assert mock.last_user_message == "Say hello"
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from mockpit._mapping.read import stub_from_mapping
from mockpit._model import Request, Stub

from . import anthropic_messages, openai_chat, openai_responses
from .answers import Answer, check_answer

#: a stream request is one whose JSON body has ``"stream": true``; it wins over the JSON stub
_STREAM = {"matchesJsonPath": "$[?(@.stream == true)]"}


class _Served(Protocol):
    @property
    def request(self) -> Request: ...

    @property
    def stub(self) -> Stub | None: ...


class LlmMock:
    """One mocked provider endpoint: its stubs, and the requests they answered (oldest first)."""

    def __init__(self, provider: str, stubs: tuple[Stub, ...], served: Callable[[], list[Any]]) -> None:
        self.provider = provider
        self.stubs = stubs
        self._ids = {stub.id for stub in stubs}
        self._served = served

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The JSON bodies the code under test sent (model, messages, tools, ...), oldest first."""
        events: list[_Served] = self._served()
        return [
            json.loads(event.request.body)
            for event in events
            if event.stub is not None and event.stub.id in self._ids and event.request.body
        ]

    @property
    def last(self) -> dict[str, Any]:
        """The last request's JSON body; an AssertionError if none came."""
        requests = self.requests
        if not requests:
            raise AssertionError(f"the {self.provider} mock received no request")
        return requests[-1]

    @property
    def last_user_message(self) -> str:
        """The text of the last ``user`` message of the last request (text parts joined)."""
        last = self.last
        if isinstance(last.get("input"), str):  # the Responses API's shortest form
            return str(last["input"])
        for message in reversed(last.get("messages") or last.get("input") or []):
            if message.get("role") == "user":
                return _text(message.get("content"))
        raise AssertionError(f"the last {self.provider} request has no user message")

    def __repr__(self) -> str:
        return f"<LlmMock {self.provider}: {len(self.requests)} requests>"


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


class LlmMocks:
    """``server.llm``: ``openai(...)`` and ``anthropic(...)`` add a provider's stubs."""

    def __init__(self, add_stub: Callable[[Stub], Stub], served: Callable[[], list[Any]]) -> None:
        self._add_stub = add_stub
        self._served = served

    def openai(
        self,
        *answers: Answer,
        model: str = "gpt-4o-mini",
        token_delay_ms: int = 0,
        prompt_tokens: int = 12,
        when_prompt_contains: str | None = None,
        priority: int | None = None,
    ) -> LlmMock:
        """Mock OpenAI: ``OpenAI(base_url=server.url + "/v1", api_key="test")`` gets ``answers`` from Chat
        Completions (``client.chat.completions``) and the Responses API (``client.responses``).

        An answer is text, a :class:`ToolCall` (or a list of them), or an :class:`LlmError` such as
        ``rate_limited()``; they are given in turn and the last repeats. Streamed tokens come
        ``token_delay_ms`` apart. ``when_prompt_contains`` answers only requests whose body contains it.
        """
        endpoints = [(openai_chat.PATH, openai_chat.response), (openai_responses.PATH, openai_responses.response)]
        return self._mock("openai", endpoints, answers, locals())

    def anthropic(
        self,
        *answers: Answer,
        model: str = "claude-sonnet-4-5",
        token_delay_ms: int = 0,
        prompt_tokens: int = 12,
        when_prompt_contains: str | None = None,
        priority: int | None = None,
    ) -> LlmMock:
        """Mock Anthropic's Messages: ``Anthropic(base_url=server.url, api_key="test")`` gets ``answers``.

        The same answers and options as :meth:`openai`.
        """
        return self._mock("anthropic", [(anthropic_messages.PATH, anthropic_messages.response)], answers, locals())

    def _mock(
        self,
        provider: str,
        endpoints: list[tuple[str, Callable[..., dict[str, Any]]]],
        answers: tuple[Answer, ...],
        options: dict[str, Any],
    ) -> LlmMock:
        if not answers:
            raise ValueError(f"llm.{provider}() needs at least one answer, e.g. llm.{provider}('Hello!')")
        for answer in answers:
            check_answer(answer)
        if options["token_delay_ms"] < 0:
            raise ValueError(f"token_delay_ms must be 0 or more, got {options['token_delay_ms']}")
        shape = {k: options[k] for k in ("model", "token_delay_ms", "prompt_tokens")}
        body_patterns: list[dict[str, Any]] = []
        if options["when_prompt_contains"] is not None:
            body_patterns.append({"contains": options["when_prompt_contains"]})
        priority = options["priority"]
        stubs = []
        for path, make in endpoints:
            api = path.rsplit("/", 1)[-1]
            for stream in (False, True):  # the stream stub is newer, so it wins over the JSON one
                request: dict[str, Any] = {"method": "POST", "urlPath": path}
                patterns = [*body_patterns, _STREAM] if stream else body_patterns
                if patterns:
                    request["bodyPatterns"] = patterns
                responses = [make(answer, stream=stream, **shape) for answer in answers]
                mapping: dict[str, Any] = {
                    "name": f"{provider} {api} {'stream' if stream else 'json'}",
                    "request": request,
                    "metadata": {"mockpit": {"llm": provider, "api": api, "stream": stream}},
                }
                if priority is not None:
                    mapping["priority"] = priority
                if len(responses) == 1:
                    mapping["response"] = responses[0]
                else:
                    mapping["responses"] = responses
                stubs.append(self._add_stub(stub_from_mapping(mapping, source=f"llm.{provider}()")))
        return LlmMock(provider, tuple(stubs), self._served)
