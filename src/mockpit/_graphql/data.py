"""Data generated from a GraphQL schema: every field resolves to a plausible value of its type.

A value depends only on the seed and the field's path in the response (``user.friends.1.name``), so the
same query answers the same way in every run and on every machine, as the OpenAPI mocks do.
"""

from __future__ import annotations

import random
from typing import Any

#: how many items a generated list holds
LIST_LENGTH = 2
#: lists inside this many lists are empty: ``friends { friends { ... } }`` would otherwise grow as 2^depth
MAX_LIST_NESTING = 3


class DataGenerator:
    """A graphql-core field resolver and type resolver that make data up, deterministically by ``seed``."""

    __slots__ = ("schema", "seed")

    def __init__(self, schema: Any, seed: int = 0) -> None:
        self.schema = schema
        self.seed = seed

    def resolve_field(self, source: Any, info: Any, **arguments: Any) -> Any:
        if isinstance(source, dict) and info.field_name in source:
            return source[info.field_name]  # a stub or a parent already chose it
        keys = info.path.as_list()
        nesting = sum(isinstance(key, int) for key in keys)
        return self._value(info.return_type, ".".join(map(str, keys)), info.field_name, nesting)

    def resolve_type(self, value: Any, info: Any, abstract_type: Any) -> str | None:
        if isinstance(value, dict):
            typename = value.get("__typename")
            return typename if isinstance(typename, str) else None
        return None

    def _value(self, type_: Any, path: str, name: str, nesting: int) -> Any:
        from graphql import (
            GraphQLEnumType,
            GraphQLList,
            GraphQLNonNull,
            get_named_type,
            is_abstract_type,
            is_object_type,
        )

        if isinstance(type_, GraphQLNonNull):
            return self._value(type_.of_type, path, name, nesting)
        if isinstance(type_, GraphQLList):
            if nesting >= MAX_LIST_NESTING:
                return []
            return [self._value(type_.of_type, f"{path}.{i}", name, nesting + 1) for i in range(LIST_LENGTH)]
        rng = random.Random(f"{self.seed}:{path}")
        named = get_named_type(type_)
        if isinstance(named, GraphQLEnumType):
            return rng.choice(sorted(named.values))
        if is_object_type(named):
            return {}
        if is_abstract_type(named):
            return {"__typename": rng.choice(sorted(t.name for t in self.schema.get_possible_types(named)))}
        return _scalar(named.name, name, rng)


def _scalar(type_name: str, field_name: str, rng: random.Random) -> Any:
    if type_name == "Int":
        return rng.randint(1, 1000)
    if type_name == "Float":
        return round(rng.uniform(0, 1000), 2)
    if type_name == "Boolean":
        return rng.random() < 0.5
    if type_name == "ID":
        return str(rng.randint(1, 100000))
    return f"{field_name}-{rng.randint(1, 1000)}"  # String and custom scalars
