"""pydantic's ValidationError -> a MappingError that names the field as the user wrote it.

pydantic reports every failed branch of a union, each with the branch's type in its location
(``request.headers.X.str``), which the user never wrote. This keeps what they wrote, says which
WireMock features mockpit lacks rather than calling them misspelt, and makes one error of them all.
"""

from __future__ import annotations

import json

from pydantic import ValidationError

from mockpit._errors import MappingError

# WireMock features that a mapping may use and mockpit does not do yet. A mapping that uses one is
# refused with this message: silently ignoring it would make the stub answer differently than in WireMock.
_NOT_YET = {
    "equalToDateTime": "date matchers",
    "before": "date matchers",
    "after": "date matchers",
    "actualFormat": "date matchers",
    "truncateExpected": "date matchers",
    "truncateActual": "date matchers",
    "expectedOffset": "date matchers",
    "expectedOffsetUnit": "date matchers",
    "applyTruncationLast": "date matchers",
    "matchesPathTemplate": "path template value matchers",
}


def mapping_error(exc: ValidationError, source: str) -> MappingError:
    found: list[tuple[tuple[str | int, ...], str, bool]] = []  # (location, message, is a type mismatch)
    for error in exc.errors(include_url=False):
        # pydantic names union branches in locations ("str", "function-after[...]"); users never wrote those
        loc = tuple(part for part in error["loc"] if not _is_union_branch(part))
        field = loc
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            key = str(loc[-1]) if loc else "?"
            feature = _NOT_YET.get(key)
            message = (
                f"{feature} ({key}) is not supported by mockpit yet; remove it or see the docs' list of "
                "supported fields"
                if feature
                else f"unknown field {key!r}; check its spelling against the WireMock mapping format"
            )
        elif "input" in error and error["type"] not in {"value_error", "assertion_error"}:
            message += f" (got {json.dumps(error['input'], default=str)[:80]})"
        found.append((field, message, error["type"].endswith("_type")))
    # A value that fits no branch of a union gets one error per branch. A branch that got past the type
    # check (a dict for ``str | _PathModel``) says what is really wrong: drop the others' "not a str".
    specific = [f for f, _, mismatch in found if not mismatch]
    kept = [e for e in found if not (e[2] and any(_within(f, e[0]) for f in specific))] or found
    fields = {field for field, _, _ in kept}
    if len(fields) == 1:
        (field,) = fields
        return MappingError(" or ".join(message for _, message, _ in kept), source=source, field=field)
    # several fields: ``field`` is the first, the message lists every other one with its own field
    first = kept[0][0]
    rest = "; ".join(f"{_dotted(f)}: {m}" if f else m for f, m, _ in kept[1:])
    return MappingError(f"{kept[0][1]}; {rest}", source=source, field=first)


def _is_union_branch(part: str | int) -> bool:
    return isinstance(part, str) and (
        part in {"str", "list[str]", "_PathModel"} or part.startswith(("function-", "list[_", "dict[str,"))
    )


def _within(field: tuple[str | int, ...], parent: tuple[str | int, ...]) -> bool:
    return field[: len(parent)] == parent


def _dotted(loc: tuple[str | int, ...]) -> str:
    return MappingError("", field=loc).field or ""
