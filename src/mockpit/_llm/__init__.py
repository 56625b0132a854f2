"""Ready-made mocks of LLM APIs that the providers' own SDKs accept unchanged, built as ordinary stubs.

- ``answers``: what a mocked model answers (text, tool calls, an error such as a 429) and how text is
  cut into streamed tokens
- ``openai_chat``: OpenAI's Chat Completions (``POST /v1/chat/completions``): JSON and streamed chunks
- ``openai_responses``: OpenAI's Responses API (``POST /v1/responses``): JSON and streamed events
- ``anthropic_messages``: Anthropic's Messages (``POST /v1/messages``): JSON and streamed events
- ``mocks``: ``server.llm``: adds a provider's stubs and reads back what the code under test sent
"""
