"""An SDL document loaded into a graphql-core schema; a schema that does not build is a MappingError."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from mockpit._errors import MappingError

if TYPE_CHECKING:
    from graphql import GraphQLSchema

#: file suffixes read as GraphQL SDL
GRAPHQL_SUFFIXES = (".graphql", ".graphqls", ".gql")


def load_schema(path: str | os.PathLike[str]) -> GraphQLSchema:
    """Build the schema in the SDL file ``path``. Raises :class:`MappingError` naming the file and line."""
    try:
        from graphql import GraphQLError, build_schema
    except ImportError:  # graphql-core is an extra
        raise MappingError("serving a GraphQL schema needs graphql-core: pip install 'mockpit[graphql]'") from None
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"cannot read the GraphQL schema: {exc.strerror}", source=str(source)) from None
    try:
        return build_schema(text)
    except GraphQLError as exc:
        where = f" (line {exc.locations[0].line}, column {exc.locations[0].column})" if exc.locations else ""
        raise MappingError(f"this GraphQL schema does not build: {exc.message}{where}", source=str(source)) from None
    except TypeError as exc:  # build_schema reports some SDL mistakes (an unknown type) this way
        raise MappingError(f"this GraphQL schema does not build: {exc}", source=str(source)) from None
