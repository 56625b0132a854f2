"""mockpit: a fast HTTP mock API server for tests.

::

    from mockpit import MockServer, get

    with MockServer() as server:
        server.when(get("/users/1")).respond(json={"id": 1, "name": "Ada"})
        ...  # point the code under test at server.url
        server.verify(get("/users/1"))
"""

from __future__ import annotations

__version__ = "0.1.0"

from ._dsl import (
    Matcher,
    RequestPatternBuilder,
    StubBuilder,
    absent,
    contains,
    delete,
    does_not_contain,
    does_not_match,
    equal_to,
    equal_to_json,
    get,
    head,
    matches,
    matches_json_path,
    options,
    patch,
    post,
    put,
    request,
)
from ._errors import HandlerError, MappingError, MockpitError, ServerError, VerificationError
from ._journal import ServeEvent
from ._mapping_format import stub_from_mapping, stub_to_mapping
from ._matching import Difference, MatchResult
from ._model import Headers, Request, RequestPattern, Response, ResponseDefinition, Stub
from ._near_miss import NearMiss
from ._server import MockServer

__all__ = [
    "Difference",
    "HandlerError",
    "Headers",
    "MappingError",
    "MatchResult",
    "Matcher",
    "MockServer",
    "MockpitError",
    "NearMiss",
    "Request",
    "RequestPattern",
    "RequestPatternBuilder",
    "Response",
    "ResponseDefinition",
    "ServeEvent",
    "ServerError",
    "Stub",
    "StubBuilder",
    "VerificationError",
    "__version__",
    "absent",
    "contains",
    "delete",
    "does_not_contain",
    "does_not_match",
    "equal_to",
    "equal_to_json",
    "get",
    "head",
    "matches",
    "matches_json_path",
    "options",
    "patch",
    "post",
    "put",
    "request",
    "stub_from_mapping",
    "stub_to_mapping",
]
