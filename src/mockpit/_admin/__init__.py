"""WireMock's admin API under ``/__admin``: a router, the handlers of each resource, payload models and
the JSON shapes WireMock's clients expect, and the API's own OpenAPI document."""
