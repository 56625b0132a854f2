"""WireMock's admin API under ``/__admin``: ``api`` assembles the routes of ``router`` to one module per
resource (``mappings``, ``requests``, ``recordings``, ``system``), which read ``params`` (bodies, query
parameters) and ``payloads`` (the pydantic models, imported on first use) and answer in WireMock's
JSON ``shapes``; ``openapi`` is the API's own OpenAPI document; ``dashboard`` serves the web dashboard
(its files in ``ui/``) and its live request stream."""
