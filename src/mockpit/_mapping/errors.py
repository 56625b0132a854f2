"""pydantic's ValidationError -> one MappingError that names the field as the user wrote it.

The mapping format and the admin API's payloads both validate with pydantic and both report through
here. pydantic reports every failed branch of a union, each with the branch's type in its location
(``request.headers.X.str``), which the user never wrote: a location keeps only what the data holds.
Each format words the errors that depend on it (an unknown field, a missing one).
"""

from __future__ import annotations

import difflib
import json
import re
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from mockpit._errors import MappingError

if TYPE_CHECKING:  # imported on use: reading simple mappings (``.fast``) never needs pydantic
    from pydantic import BaseModel, ValidationError

#: the keys and list positions leading to a field, as in :attr:`MappingError.location`
Location = tuple[str | int, ...]
#: a format's own message for a type of pydantic error (``"extra_forbidden"``), given where it is
Wording = Mapping[str, Callable[[Location], str]]
_NO_INPUT = object()


def mapping_error(
    exc: ValidationError, data: Any, *, wording: Wording, source: str | None = None, listed: bool = False
) -> MappingError:
    """The error to report for ``exc``, raised validating ``data``: on the first field, naming the others.

    ``wording`` replaces pydantic's message for the types of error it names; the others lose
    pydantic's "Value error, " and show the value given. Several errors on one field read as
    alternatives ("a or b"): a value that fits no branch of a union. ``listed`` (the admin API's
    payloads) names each error with its field instead, misspelt fields first.
    """
    errors = exc.errors(include_url=False)
    if listed:
        # a misspelt field is also a missing one: name the field the user wrote first
        errors = sorted(errors, key=lambda e: e["type"] != "extra_forbidden")
    found: list[tuple[Location, str, bool]] = []  # (location, message, is a type mismatch)
    for error in errors:
        loc = _as_written(error["loc"], data, error["type"] == "missing", error.get("input", _NO_INPUT))
        reword = wording.get(error["type"])
        if reword is not None:
            message = reword(loc)
        else:
            message = error["msg"].removeprefix("Value error, ")
            if "input" in error and error["type"] not in {"value_error", "assertion_error"}:
                message += f" (got {json.dumps(error['input'], default=str)[:80]})"
        found.append((loc, message, error["type"].endswith("_type")))
    # A value that fits no branch of a union gets one error per branch. A branch that got past the type
    # check (a dict for ``str | _PathModel``) says what is really wrong: drop the others' "not a str".
    specific = [loc for loc, _, mismatch in found if not mismatch]
    kept = [e for e in found if not (e[2] and any(_within(loc, e[0]) for loc in specific))] or found
    (first, message), *rest = dict.fromkeys((loc, message) for loc, message, _ in kept)
    if not listed and all(loc == first for loc, _ in rest):
        return MappingError(" or ".join([message, *(m for _, m in rest)]), source=source, field=first)
    others = [f"{MappingError('', field=loc).field}: {m}" if loc else m for loc, m in rest]
    return MappingError("; ".join([message, *others]), source=source, field=first)


def _as_written(loc: Location, data: Any, missing: bool, found: Any) -> Location:
    """``loc`` without the union branches pydantic adds (``str``, ``function-after[...]``): a name stays
    if the data has it there, or names the missing field; a list position always stays."""
    kept: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        # a value of the wrong type may hold a key named like the branch: {"str": 1} for ``int | str``
        if isinstance(node, Mapping) and part in node and not (last and found is node):
            node = node[part]
        elif isinstance(part, int):  # pydantic names branches with strings, never numbers
            try:
                node = node[part]
            except (TypeError, LookupError):
                node = None  # a set, say: what follows is a branch or the missing field
        elif not (missing and last) and part != "[key]":  # pydantic's name for a key that is not a string
            continue
        kept.append(part)
    return tuple(kept)


def known_fields(model: type[BaseModel], parent: Location) -> list[str] | None:
    """The field names (as written in JSON: aliases) a model accepts at ``parent``, or None if unknown there.

    Follows nested models through the annotations: ``dict[str, M]`` and ``list[M]`` skip a key or a
    position, ``M | None`` and other unions take their one model.
    """
    current: Any = model
    for part in parent:
        current = _model_in(current)
        if current is None:
            return None
        if isinstance(part, int) or part not in _names(current):
            # a key of a dict or a position in a list: the model is the annotation's value type
            continue
        field = next(f for name, f in current.model_fields.items() if part in (name, f.alias))
        current = field.annotation
    found = _model_in(current)
    return sorted(_names(found)) if found is not None else None


def did_you_mean(key: str, known: list[str] | None) -> str:
    """``; did you mean 'queryParameters'?`` for a misspelt ``queryParams``, or nothing."""
    if not known:
        return ""
    lowered = {name.lower(): name for name in known}
    if key.lower() in lowered:  # jsonbody -> jsonBody: only the case differs
        return f"; did you mean {lowered[key.lower()]!r}?"
    near = difflib.get_close_matches(key.lower(), list(lowered), n=2, cutoff=0.6)
    if not near:
        # a prefix of a known field (queryParams -> queryParameters) is closer than difflib thinks
        near = [name for name in lowered if name.startswith(key.lower()) or key.lower().startswith(name)][:2]
    return f"; did you mean {' or '.join(repr(lowered[n]) for n in near)}?" if near else ""


def _names(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model an annotation holds: itself, or inside ``Optional``, a union, a dict or a list."""
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin in (dict, Mapping) and len(args) == 2:
        return _model_in(args[1])
    models = [m for m in map(_model_in, args) if m is not None]
    return models[0] if len(models) == 1 else None


_SURROGATE = re.compile("[\ud800-\udfff]")


def lone_surrogate(data: Any) -> Location | None:
    """Where ``data`` (parsed JSON) holds a string with a lone surrogate, which cannot be encoded; else None."""
    stack: list[tuple[Any, Location]] = [(data, ())]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            if not node.isascii() and _SURROGATE.search(node):
                return where
        elif isinstance(node, Mapping):
            for key, value in node.items():
                if isinstance(key, str) and not key.isascii() and _SURROGATE.search(key):
                    return (*where, key)
                stack.append((value, (*where, key)))
        elif isinstance(node, list):
            stack.extend((value, (*where, i)) for i, value in enumerate(node))
    return None


def _within(field: Location, parent: Location) -> bool:
    return field[: len(parent)] == parent
