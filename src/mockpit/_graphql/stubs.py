"""A GraphQL schema as one stub: any GraphQL request on ``/graphql`` answered from the schema.

The stub has priority 10, so that hand-written stubs (priority 5 by default), such as
``graphql("GetUser", variables={"id": "1"})``, override the generated answer for what they match.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from mockpit._model import RequestPattern, ResponseDefinition, Stub, UrlMatch

from .answers import SchemaHandler
from .schema import load_schema

GRAPHQL_PRIORITY = 10
GRAPHQL_PATH = "/graphql"
_NAMESPACE = uuid.UUID("0b6c1f5e-8a3d-4d8e-9c61-2f7a4e9b3c15")


def graphql_stubs(path: str | os.PathLike[str], *, seed: int = 0) -> list[Stub]:
    schema = load_schema(path)
    source = Path(path)
    return [
        Stub(
            request=RequestPattern(method="ANY", url=UrlMatch("urlPath", GRAPHQL_PATH)),
            response=ResponseDefinition(status=200, handler=SchemaHandler(schema, seed)),
            id=str(uuid.uuid5(_NAMESPACE, f"mockpit:graphql:{source.name}")),
            name=f"GraphQL schema {source.name}",
            priority=GRAPHQL_PRIORITY,
            metadata={"graphql": {"schema": str(source)}},
        )
    ]
