"""The engine: resolve(request) -> answer. It knows the model, matching and templating, never the transport.

``engine`` finds the stub for a request in the ``index`` (stubs by path, in WireMock's order, with the
``scenarios`` they are in), answers through ``rendering`` (static, templated, from files, from Python
handlers, sync ones on the threads of ``handlers``) or ``proxy``, keeps the ``journal``, and calls
``webhooks`` after; proxying and webhooks share one ``http_client``. ``sse`` streams events, ``hops``
counts proxy and webhook hops between mockpit servers, and ``fleet`` shares all of it through a store.
"""
