"""Conversations beyond one request and one response, above the engine and below the transport.

``websocket`` holds WebSocket conversations: the message stubs, the open connections (channels), the
message journal and the near-miss report for a message no stub matched. It speaks no ASGI: the
transport hands it each connection's handshake, its incoming messages and a way to send.
``shared_messages`` keeps the message stubs in step with a fleet's store.
"""
