"""GraphQL requests: reading the operation a request carries and matching it against a ``graphql`` pattern.

A GraphQL request is a POST whose JSON body has ``query`` (and ``operationName``, ``variables``), a POST
with ``Content-Type: application/graphql``, or a GET with those as query parameters (GraphQL over HTTP).
Queries compare normalised: printed by graphql-core (so whitespace and comments do not count), fields and
arguments sorted, duplicate fields merged, named fragments spread into the selections that use them.
Inline fragments (``... on Droid``) stay, since without a schema their type condition carries meaning.

graphql-core is an extra (``mockpit[graphql]``): it is imported when a stub with a ``graphql`` pattern is
compiled, never on the hot path of other stubs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from mockpit._model import GraphQLPattern, Request

from .checks import Check
from .result import Difference, string_distance
from .values import ValueMatcher, compact_json

if TYPE_CHECKING:
    from graphql import DocumentNode, OperationDefinitionNode, SelectionSetNode

ABSENT = "(absent)"
#: graphql-core's guard against documents built to exhaust the parser (a mock reads what clients send)
MAX_TOKENS = 50_000
_NOT_GRAPHQL = "(not a GraphQL request)"


@dataclass(frozen=True, slots=True)
class GraphQLOperation:
    """What a GraphQL request asks: its query text, the operation it names and its variables."""

    query: str
    operation_name: str | None
    variables: Any


@dataclass(frozen=True, slots=True)
class NormalisedOperation:
    """The operation a query selects, normalised; ``error`` says why there is none."""

    type: str | None
    name: str | None
    text: str | None
    error: str | None = None


def read_operation(request: Request) -> GraphQLOperation | None:
    """The GraphQL operation ``request`` carries, or ``None`` if it is not a GraphQL request."""
    if request.method == "GET":
        params = request.query
        query = params.get("query")
        if not query:
            return None
        variables: Any = None
        raw = params.get("variables")
        if raw and raw[0]:
            try:
                variables = json.loads(raw[0])
            except ValueError:
                variables = raw[0]
        name = params.get("operationName")
        return GraphQLOperation(query[0], name[0] if name and name[0] else None, variables)
    if request.method != "POST" or not request.body:
        return None
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/graphql"):
        return GraphQLOperation(request.text, None, None)
    try:
        body = request.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return None
    name = body.get("operationName")
    return GraphQLOperation(body["query"], name if isinstance(name, str) else None, body.get("variables"))


@lru_cache(maxsize=512)  # clients send the same few documents again and again
def normalise(query: str, operation_name: str | None = None) -> NormalisedOperation:
    """The operation of ``query`` named ``operation_name`` (or its only one), normalised."""
    from graphql import GraphQLSyntaxError, OperationDefinitionNode, parse, print_ast

    try:
        document = parse(query, no_location=True, max_tokens=MAX_TOKENS)
    except RecursionError:
        return NormalisedOperation(None, None, None, "the query is nested too deeply to parse")
    except GraphQLSyntaxError as exc:
        where = f" (line {exc.locations[0].line}, column {exc.locations[0].column})" if exc.locations else ""
        return NormalisedOperation(None, None, None, f"the query does not parse: {exc.message}{where}")
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = _choose(operations, operation_name)
    if isinstance(chosen, str):
        return NormalisedOperation(None, None, None, chosen)
    fragments = _fragments(document)
    try:
        normalised = _normalised_operation(chosen, fragments)
    except RecursionError:
        return NormalisedOperation(None, None, None, "the query is nested too deeply to compare")
    name = chosen.name.value if chosen.name else None
    return NormalisedOperation(chosen.operation.value, name, print_ast(normalised))


def check_query(query: str) -> str | None:
    """Why ``query`` cannot be a stub's expected query, or ``None`` (for the mapping format's errors)."""
    result = normalise(query)
    return result.error


def _choose(operations: list[OperationDefinitionNode], name: str | None) -> OperationDefinitionNode | str:
    if not operations:
        return "the document holds no operation"
    if name is None:
        if len(operations) > 1:
            return "the document holds several operations and the request names none (give operationName)"
        return operations[0]
    for operation in operations:
        if operation.name is not None and operation.name.value == name:
            return operation
    names = ", ".join(o.name.value for o in operations if o.name) or "none"
    return f"the document has no operation named {name!r} (it has: {names})"


def _fragments(document: DocumentNode) -> dict[str, Any]:
    from graphql import FragmentDefinitionNode

    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _normalised_operation(operation: OperationDefinitionNode, fragments: dict[str, Any]) -> Any:
    from graphql import OperationDefinitionNode

    variables = tuple(sorted(operation.variable_definitions or (), key=lambda v: v.variable.name.value))
    return OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=variables,
        directives=operation.directives,
        selection_set=_selections(operation.selection_set, fragments, frozenset()),
    )


def _selections(selection_set: SelectionSetNode, fragments: dict[str, Any], seen: frozenset[str]) -> Any:
    """Named fragments spread; fields sorted by response key, the same field asked twice merged into one."""
    from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode, print_ast

    flat: list[Any] = []
    for selection in selection_set.selections:
        if isinstance(selection, FragmentSpreadNode) and not selection.directives:
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:  # ``seen``: a cycle is invalid; stop, don't loop
                flat.extend(_selections(fragment.selection_set, fragments, seen | {name}).selections)
                continue
        flat.append(selection)
    #: (0, field's head) for fields, (1, printed node) for the rest: fields first, then inline fragments
    merged: dict[tuple[int, str], Any] = {}
    for selection in flat:
        if isinstance(selection, FieldNode):
            head = FieldNode(
                alias=selection.alias,
                name=selection.name,
                arguments=tuple(sorted(selection.arguments or (), key=lambda a: a.name.value)),
                directives=selection.directives,
            )
            key = (0, f"{(selection.alias or selection.name).value} {print_ast(head)}")
            inner = [*selection.selection_set.selections] if selection.selection_set else []
            earlier = merged.get(key)
            if earlier is not None and earlier.selection_set is not None:
                inner = [*earlier.selection_set.selections, *inner]
            merged[key] = FieldNode(
                alias=head.alias,
                name=head.name,
                arguments=head.arguments,
                directives=head.directives,
                selection_set=_selections(SelectionSetNode(selections=tuple(inner)), fragments, seen)
                if inner
                else None,
            )
        elif isinstance(selection, InlineFragmentNode):
            node = InlineFragmentNode(
                type_condition=selection.type_condition,
                directives=selection.directives,
                selection_set=_selections(selection.selection_set, fragments, seen),
            )
            merged[(1, print_ast(node))] = node
        else:
            merged[(1, print_ast(selection))] = selection
    return SelectionSetNode(selections=tuple(merged[key] for key in sorted(merged)))


# --- checks ------------------------------------------------------------------------------------------------


def graphql_checks(pattern: GraphQLPattern) -> list[Check]:
    """One check per part of ``pattern``, so that a near miss names each GraphQL difference."""
    checks: list[Check] = [IsGraphQLCheck()]
    if pattern.operation_type is not None:
        checks.append(_PartCheck("GraphQL operation type", pattern.operation_type, lambda n, o: n.type))
    if pattern.operation_name is not None:
        checks.append(_PartCheck("GraphQL operation name", pattern.operation_name, _name))
    if pattern.query is not None:
        expected = normalise(pattern.query, pattern.operation_name)
        if expected.text is None:
            raise ValueError(f"graphql.query: {expected.error}")
        checks.append(_PartCheck("GraphQL query", expected.text, lambda n, o: n.text))
    if pattern.variables is not None:
        checks.append(VariablesCheck(pattern.variables))
    return checks


def _name(normalised: NormalisedOperation, operation: GraphQLOperation) -> str | None:
    return operation.operation_name or normalised.name


def _normalised(operation: GraphQLOperation) -> NormalisedOperation:
    return normalise(operation.query, operation.operation_name)


class IsGraphQLCheck(Check):
    """The request carries a GraphQL operation at all."""

    __slots__ = ()

    def test(self, request: Request) -> bool:
        return read_operation(request) is not None

    def difference(self, request: Request) -> Difference | None:
        if self.test(request):
            return None
        return Difference("GraphQL request", "a query (POST JSON or GET ?query=)", _NOT_GRAPHQL, 1.0)


class _PartCheck(Check):
    __slots__ = ("expected", "label", "part")

    def __init__(
        self, label: str, expected: str, part: Callable[[NormalisedOperation, GraphQLOperation], str | None]
    ) -> None:
        self.label, self.expected, self.part = label, expected, part

    def _actual(self, request: Request) -> tuple[str | None, str | None]:
        operation = read_operation(request)
        if operation is None:
            return None, _NOT_GRAPHQL
        normalised = _normalised(operation)
        if normalised.error is not None:
            return None, normalised.error
        return self.part(normalised, operation), None

    def test(self, request: Request) -> bool:
        return self._actual(request)[0] == self.expected

    def difference(self, request: Request) -> Difference | None:
        actual, error = self._actual(request)
        if actual == self.expected:
            return None
        shown = error or (ABSENT if actual is None else actual)
        distance = 1.0 if actual is None else max(0.1, string_distance(self.expected, actual))
        return Difference(self.label, self.expected, shown, distance)


class VariablesCheck(Check):
    """The request's variables object against a JSON matcher; a difference names the variables that differ."""

    __slots__ = ("matcher", "pattern")

    def __init__(self, pattern: Any) -> None:
        self.pattern = pattern
        self.matcher = ValueMatcher(pattern)

    def _text(self, request: Request) -> str | None:
        operation = read_operation(request)
        if operation is None:
            return None
        return compact_json(operation.variables if operation.variables is not None else {})

    def test(self, request: Request) -> bool:
        text = self._text(request)
        return text is not None and self.matcher(text)

    def difference(self, request: Request) -> Difference | None:
        text = self._text(request)
        if text is not None and self.matcher(text):
            return None
        if text is None:
            return Difference("GraphQL variables", self.matcher.description, _NOT_GRAPHQL, 1.0)
        label = "GraphQL variables"
        expected = self.pattern.value
        if self.pattern.operator == "equalToJson":
            if isinstance(expected, str):
                try:
                    expected = json.loads(expected)
                except ValueError:
                    expected = None
            actual = json.loads(text)
            if isinstance(expected, dict) and isinstance(actual, dict):
                differing = sorted(k for k in expected if expected[k] != actual.get(k, ABSENT))
                if not self.pattern.ignore_extra_elements:
                    differing += sorted(k for k in actual if k not in expected)
                if differing:
                    label = f"GraphQL variable {', '.join(differing)}"
        reason = self.matcher.explain(text)
        return Difference(label, self.matcher.description, text if not reason else f"{text} ({reason})", 0.5)
