"""The engine: resolve(request) -> answer. It knows the model, matching and templating, never the transport.

``engine`` finds the stub for a request in the ``index`` (stubs by path, in WireMock's order, with the
``scenarios`` they are in), answers through ``rendering`` (static, templated, from files, from Python
handlers) or ``proxy``, keeps the ``journal``, and calls ``webhooks`` after; proxying and webhooks share
one ``http_client``.
"""
