"""The handler that answers GraphQL requests from a schema, as GraphQL over HTTP says.

A request that is not GraphQL, or whose document does not parse or validate, gets ``{"errors": [...]}``
with locations: status 400 when the client accepts ``application/graphql-response+json``, 200 for plain
``application/json`` clients (the spec's legacy rule, which gql and most clients expect). Introspection
is ordinary execution, so clients that fetch the schema work.
"""

from __future__ import annotations

import inspect
from typing import Any

from mockpit._matching.graphql import MAX_TOKENS, read_operation
from mockpit._model import Request, Response

from .data import DataGenerator

GRAPHQL_RESPONSE = "application/graphql-response+json"


class SchemaHandler:
    """An async handler executing each request's operation against ``schema`` with generated data."""

    __slots__ = ("generator", "schema")

    def __init__(self, schema: Any, seed: int = 0) -> None:
        self.schema = schema
        self.generator = DataGenerator(schema, seed)

    async def __call__(self, request: Request) -> Response:
        from graphql import GraphQLError, OperationType, execute, get_operation_ast, parse, validate

        operation = read_operation(request)
        if operation is None:
            return _errors(
                request,
                400,
                [{"message": "not a GraphQL request: send a JSON body with a 'query' string (POST) or ?query= (GET)"}],
            )
        try:
            document = parse(operation.query, max_tokens=MAX_TOKENS)
        except GraphQLError as exc:
            return _errors(request, None, [exc.formatted])
        except RecursionError:
            return _errors(request, None, [{"message": "the query is nested too deeply"}])
        problems = validate(self.schema, document)
        if problems:
            return _errors(request, None, [p.formatted for p in problems])
        if request.method == "GET":
            chosen = get_operation_ast(document, operation.operation_name)
            if chosen is not None and chosen.operation is not OperationType.QUERY:
                message = f"a {chosen.operation.value} cannot be sent with GET; send it with POST"
                return _errors(request, 405, [{"message": message}], {"Allow": "POST"})
        variables = operation.variables
        if variables is not None and not isinstance(variables, dict):
            return _errors(request, 400, [{"message": "variables must be a JSON object"}])
        result = execute(
            self.schema,
            document,
            variable_values=variables,
            operation_name=operation.operation_name,
            field_resolver=self.generator.resolve_field,
            type_resolver=self.generator.resolve_type,
        )
        if inspect.isawaitable(result):
            result = await result
        errors = [e.formatted for e in result.errors or ()]
        if result.data is None and errors:  # the variables did not fit: a request error, without data
            return _errors(request, None, errors)
        body: dict[str, Any] = {"errors": errors} if errors else {}
        body["data"] = result.data
        return Response(200, json=body, headers={"Content-Type": _media(request)})


def _media(request: Request) -> str:
    accept = request.headers.get("accept", "")
    return GRAPHQL_RESPONSE if GRAPHQL_RESPONSE in accept else "application/json"


def _errors(request: Request, status: int | None, errors: list[Any], headers: dict[str, str] | None = None) -> Response:
    """A request error; ``status`` ``None``: 400 for GraphQL-response clients, 200 for plain JSON ones."""
    media = _media(request)
    if status is None:
        status = 400 if media == GRAPHQL_RESPONSE else 200
    return Response(status, json={"errors": errors}, headers={"Content-Type": media, **(headers or {})})
