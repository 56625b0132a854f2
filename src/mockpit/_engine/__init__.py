"""The engine: resolve(request) -> answer.

The stub index, the journal, scenarios, rendering responses (static, templated, from files, from Python
handlers), proxying and webhooks. It knows the model, matching and templating, never the transport.
"""
