"""pydantic's ValidationError -> one MappingError that names the field as the user wrote it.

The mapping format and the admin API's payloads both validate with pydantic and both report through
here. pydantic reports every failed branch of a union, each with the branch's type in its location
(``request.headers.X.str``), which the user never wrote: a location keeps only what the data holds.
Each format words the errors that depend on it (an unknown field, a missing one).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from mockpit._errors import MappingError

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


def _within(field: Location, parent: Location) -> bool:
    return field[: len(parent)] == parent
