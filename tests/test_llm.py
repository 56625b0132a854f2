"""LLM mocks driven by the official ``openai`` and ``anthropic`` SDKs, unchanged, over real sockets."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import anthropic
import httpx
import openai
import pytest

from mockpit import LlmError, MockServer, ToolCall, rate_limited, stub_to_mapping

USER = [{"role": "user", "content": "What is the weather in Paris?"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


@pytest.fixture
def oai(server: MockServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.url + "/v1", api_key="test-key", max_retries=2) as client:
        yield client


@pytest.fixture
def claude(server: MockServer) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=server.url, api_key="test-key", max_retries=2) as client:
        yield client


# --- OpenAI Chat Completions ---------------------------------------------------------------------


def test_openai_text(server: MockServer, oai: openai.OpenAI) -> None:
    mock = server.llm.openai("Sunny, 21 degrees.", model="gpt-4o")
    completion = oai.chat.completions.create(model="gpt-4o", messages=USER)  # type: ignore[arg-type]
    assert completion.choices[0].message.content == "Sunny, 21 degrees."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "gpt-4o"
    usage = completion.usage
    assert usage is not None
    assert usage.prompt_tokens > 0
    assert usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert mock.last["messages"] == USER
    assert mock.last_user_message == "What is the weather in Paris?"


def test_openai_streams_tokens_with_their_delay(server: MockServer, oai: openai.OpenAI) -> None:
    mock = server.llm.openai("one two three four", token_delay_ms=100)
    start = time.monotonic()
    stream = oai.chat.completions.create(model="gpt-4o", messages=USER, stream=True)  # type: ignore[arg-type]
    arrivals = []
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            arrivals.append((chunk.choices[0].delta.content, time.monotonic() - start))
    assert "".join(text for text, _ in arrivals) == "one two three four"
    assert len(arrivals) == 4
    assert arrivals[-1][1] - arrivals[0][1] > 0.25  # three gaps of 100 ms, generously
    assert mock.last["stream"] is True


def test_openai_tool_call(server: MockServer, oai: openai.OpenAI) -> None:
    mock = server.llm.openai(ToolCall("get_weather", {"city": "Paris"}, id="call_1"))
    completion = oai.chat.completions.create(model="gpt-4o", messages=USER, tools=[WEATHER_TOOL])  # type: ignore[arg-type,list-item]
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls or []
    assert call.id == "call_1"
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert json.loads(call.function.arguments) == {"city": "Paris"}  # type: ignore[union-attr]
    assert mock.last["tools"][0]["function"]["name"] == "get_weather"


def test_openai_streamed_tool_calls_assemble_in_the_sdk(server: MockServer, oai: openai.OpenAI) -> None:
    server.llm.openai([ToolCall("get_weather", {"city": "Paris"}), ToolCall("get_time", {"zone": "Europe/Paris"})])
    with oai.chat.completions.stream(model="gpt-4o", messages=USER, tools=[WEATHER_TOOL]) as stream:  # type: ignore[arg-type,list-item]
        final = stream.get_final_completion()
    calls = final.choices[0].message.tool_calls or []
    assert [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("get_weather", {"city": "Paris"}),
        ("get_time", {"zone": "Europe/Paris"}),
    ]


def test_openai_retries_a_429_then_succeeds(server: MockServer, oai: openai.OpenAI) -> None:
    mock = server.llm.openai(rate_limited(retry_after=0.2), "made it")
    start = time.monotonic()
    completion = oai.chat.completions.create(model="gpt-4o", messages=USER)  # type: ignore[arg-type]
    assert completion.choices[0].message.content == "made it"
    assert len(mock.requests) == 2
    assert time.monotonic() - start >= 0.15  # the SDK waited as retry-after-ms said


def test_openai_429_headers_and_body_after_retries(server: MockServer, oai: openai.OpenAI) -> None:
    mock = server.llm.openai(rate_limited(retry_after=0.01))
    with pytest.raises(openai.RateLimitError) as error:
        oai.chat.completions.create(model="gpt-4o", messages=USER)  # type: ignore[arg-type]
    assert len(mock.requests) == 3  # the first try and max_retries=2
    headers = error.value.response.headers
    assert headers["retry-after"] == "1"
    assert headers["retry-after-ms"] == "10"
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert headers["x-ratelimit-limit-tokens"] == "150000"
    assert error.value.code == "rate_limit_exceeded"


def test_openai_streaming_retries_a_429_too(server: MockServer, oai: openai.OpenAI) -> None:
    server.llm.openai(rate_limited(), "streamed after a retry")
    stream = oai.chat.completions.create(model="gpt-4o", messages=USER, stream=True)  # type: ignore[arg-type]
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "streamed after a retry"


def test_openai_other_errors(server: MockServer, oai: openai.OpenAI) -> None:
    server.llm.openai(LlmError(401, "Incorrect API key provided"))
    with pytest.raises(openai.AuthenticationError, match="Incorrect API key"):
        oai.chat.completions.create(model="gpt-4o", messages=USER)  # type: ignore[arg-type]


def test_openai_answers_by_prompt(server: MockServer, oai: openai.OpenAI) -> None:
    server.llm.openai("I do not know.")
    server.llm.openai("Sunny.", when_prompt_contains="weather")
    answer = oai.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
    other = oai.chat.completions.create(model="m", messages=[{"role": "user", "content": "Meaning of life?"}])
    assert (answer.choices[0].message.content, other.choices[0].message.content) == ("Sunny.", "I do not know.")


def test_openai_async_client(server: MockServer) -> None:
    import asyncio

    server.llm.openai("async hello", token_delay_ms=5)

    async def run() -> str:
        async with openai.AsyncOpenAI(base_url=server.url + "/v1", api_key="k") as client:
            stream = await client.chat.completions.create(model="m", messages=USER, stream=True)  # type: ignore[arg-type]
            return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    assert asyncio.run(run()) == "async hello"


# --- OpenAI Responses API -----------------------------------------------------------------------


def test_openai_responses_text(server: MockServer, oai: openai.OpenAI) -> None:
    mock = server.llm.openai("Sunny, 21 degrees.", model="gpt-4.1")
    answer = oai.responses.create(model="gpt-4.1", input="What is the weather in Paris?")
    assert answer.output_text == "Sunny, 21 degrees."
    assert answer.status == "completed"
    assert answer.model == "gpt-4.1"
    assert answer.usage is not None
    assert answer.usage.total_tokens == answer.usage.input_tokens + answer.usage.output_tokens
    assert mock.last_user_message == "What is the weather in Paris?"


def test_openai_responses_streams_text(server: MockServer, oai: openai.OpenAI) -> None:
    server.llm.openai("one two three", token_delay_ms=10)
    stream = oai.responses.create(model="m", input=USER, stream=True)  # type: ignore[arg-type]
    deltas = [event.delta for event in stream if event.type == "response.output_text.delta"]
    assert deltas == ["one", " two", " three"]
    with oai.responses.stream(model="m", input=USER) as helper:  # type: ignore[arg-type]
        final = helper.get_final_response()
    assert final.output_text == "one two three"


def test_openai_responses_function_call_streamed_and_not(server: MockServer, oai: openai.OpenAI) -> None:
    mock = server.llm.openai(ToolCall("get_weather", {"city": "Paris"}, id="call_9"))
    tools = [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}}]
    answer = oai.responses.create(model="m", input=USER, tools=tools)  # type: ignore[arg-type,list-item]
    (call,) = answer.output
    assert call.type == "function_call"
    assert (call.call_id, call.name, json.loads(call.arguments)) == ("call_9", "get_weather", {"city": "Paris"})  # type: ignore[union-attr]
    with oai.responses.stream(model="m", input=USER, tools=tools) as helper:  # type: ignore[arg-type,list-item]
        final = helper.get_final_response()
    assert json.loads(final.output[0].arguments) == {"city": "Paris"}  # type: ignore[union-attr]
    assert mock.last_user_message == "What is the weather in Paris?"


def test_openai_responses_retries_a_429(server: MockServer, oai: openai.OpenAI) -> None:
    mock = server.llm.openai(rate_limited(), "after the retry")
    assert oai.responses.create(model="m", input="hi").output_text == "after the retry"
    assert len(mock.requests) == 2


# --- Anthropic Messages --------------------------------------------------------------------------


def test_anthropic_text(server: MockServer, claude: anthropic.Anthropic) -> None:
    mock = server.llm.anthropic("Bonjour!", model="claude-test")
    message = claude.messages.create(model="claude-test", max_tokens=64, messages=USER)  # type: ignore[arg-type]
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == "Bonjour!"  # type: ignore[union-attr]
    assert message.stop_reason == "end_turn"
    assert message.model == "claude-test"
    assert message.usage.input_tokens > 0
    assert message.usage.output_tokens > 0
    assert mock.last["max_tokens"] == 64
    assert mock.last_user_message == "What is the weather in Paris?"


def test_anthropic_streams_text(server: MockServer, claude: anthropic.Anthropic) -> None:
    server.llm.anthropic("Il fait beau à Paris.", token_delay_ms=20)
    with claude.messages.stream(model="c", max_tokens=64, messages=USER) as stream:  # type: ignore[arg-type]
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert "".join(pieces) == "Il fait beau à Paris."
    assert len(pieces) == 5
    assert final.usage.output_tokens > 1
    assert final.stop_reason == "end_turn"


def test_anthropic_tool_use_streamed_and_not(server: MockServer, claude: anthropic.Anthropic) -> None:
    server.llm.anthropic(ToolCall("get_weather", {"city": "Paris", "unit": "celsius"}, id="toolu_1"))
    tools = [{"name": "get_weather", "input_schema": {"type": "object"}}]
    message = claude.messages.create(model="c", max_tokens=64, messages=USER, tools=tools)  # type: ignore[arg-type]
    assert message.stop_reason == "tool_use"
    (block,) = message.content
    assert (block.type, block.id, block.name, block.input) == (  # type: ignore[union-attr]
        "tool_use",
        "toolu_1",
        "get_weather",
        {"city": "Paris", "unit": "celsius"},
    )
    with claude.messages.stream(model="c", max_tokens=64, messages=USER, tools=tools) as stream:  # type: ignore[arg-type]
        streamed = stream.get_final_message()
    assert streamed.content[0].input == {"city": "Paris", "unit": "celsius"}  # type: ignore[union-attr]


def test_anthropic_retries_a_429_then_succeeds(server: MockServer, claude: anthropic.Anthropic) -> None:
    mock = server.llm.anthropic(rate_limited(0.05), rate_limited(0.05), "third time lucky")
    message = claude.messages.create(model="c", max_tokens=64, messages=USER)  # type: ignore[arg-type]
    assert message.content[0].text == "third time lucky"  # type: ignore[union-attr]
    assert len(mock.requests) == 3


def test_anthropic_429_headers(server: MockServer, claude: anthropic.Anthropic) -> None:
    server.llm.anthropic(rate_limited(0.01))
    with pytest.raises(anthropic.RateLimitError) as error:
        claude.with_options(max_retries=0).messages.create(model="c", max_tokens=8, messages=USER)  # type: ignore[arg-type]
    headers = error.value.response.headers
    assert headers["anthropic-ratelimit-requests-remaining"] == "0"
    assert headers["anthropic-ratelimit-tokens-reset"].endswith("Z")
    assert headers["retry-after"] == "1"
    assert error.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]


def test_anthropic_overloaded(server: MockServer, claude: anthropic.Anthropic) -> None:
    server.llm.anthropic(LlmError(529, "Overloaded"))
    with pytest.raises(anthropic.APIStatusError) as error:
        claude.with_options(max_retries=0).messages.create(model="c", max_tokens=8, messages=USER)  # type: ignore[arg-type]
    assert error.value.status_code == 529
    assert error.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]


# --- stubs like any other ------------------------------------------------------------------------


def test_llm_mocks_are_ordinary_stubs_listed_by_the_admin_api(server: MockServer, client: httpx.Client) -> None:
    mock = server.llm.anthropic("from a mapping")
    listed = client.get("/__admin/mappings").json()["mappings"]
    assert {m["name"] for m in listed} == {"anthropic messages json", "anthropic messages stream"}
    # a stub written out is a mapping file that serves the same answer
    mappings = [stub_to_mapping(stub) for stub in mock.stubs]
    server.reset()
    for mapping in mappings:
        server.add_mapping(mapping)
    with anthropic.Anthropic(base_url=server.url, api_key="k") as claude:
        message = claude.messages.create(model="c", max_tokens=8, messages=USER)  # type: ignore[arg-type]
    assert message.content[0].text == "from a mapping"  # type: ignore[union-attr]


def test_bad_answers_are_refused(server: MockServer) -> None:
    with pytest.raises(ValueError, match="needs at least one answer"):
        server.llm.openai()
    with pytest.raises(TypeError, match="an answer is text"):
        server.llm.anthropic(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="token_delay_ms"):
        server.llm.openai("x", token_delay_ms=-1)
