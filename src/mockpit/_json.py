"""JSON parsing with a depth limit: a deeply nested document is a clear error, never a RecursionError.

Python's JSON decoder, and mockpit's matchers and template helpers after it, recurse once per level:
a body nested a thousand deep made them raise RecursionError (a 500 from a JSON matcher, an admin
endpoint, a template helper), and a mapping file nested 2,000 deep stopped ``mockpit serve`` with a
traceback. :func:`loads` refuses anything deeper than :data:`MAX_DEPTH` with a :class:`ValueError`
(what :func:`json.loads` raises for any bad document), which each caller already reports: a JSON
matcher does not match, the admin API answers 400, a mapping file names itself.
"""

from __future__ import annotations

import json
from typing import Any

from ._types import JSON

#: the deepest nesting accepted (Jackson, under WireMock, allows 1,000; real documents stay under 20)
MAX_DEPTH = 200


class TooDeep(ValueError):
    """A JSON document (or a value built in a template) nested deeper than :data:`MAX_DEPTH`."""

    def __init__(self, what: str = "the JSON") -> None:
        super().__init__(f"{what} is nested deeper than {MAX_DEPTH} levels, the most mockpit reads")


def loads(text: str | bytes | bytearray, **options: Any) -> JSON:
    """:func:`json.loads`, raising :class:`TooDeep` for documents nested deeper than :data:`MAX_DEPTH`."""
    try:
        value = json.loads(text, **options)
    except RecursionError:
        raise TooDeep() from None
    if _could_be_deep(text):
        check_depth(value)
    return value


def check_depth(value: JSON, what: str = "the JSON") -> None:
    """Raise :class:`TooDeep` if ``value`` holds lists and objects nested deeper than :data:`MAX_DEPTH`."""
    # iterative: the point is not to recurse once per level
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > MAX_DEPTH:
            raise TooDeep(what)
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


#: the most values a YAML document may expand to: its aliases can repeat a list inside a list, so that a
#: few hundred bytes stand for billions of values ("billion laughs"); 10,000 stubs are about 200,000
MAX_VALUES = 2_000_000


class TooBig(ValueError):
    """A document whose aliases expand it past :data:`MAX_VALUES` values."""

    def __init__(self) -> None:
        super().__init__(
            f"it expands to more than {MAX_VALUES:,} values through its aliases (&anchor, *alias): "
            "a 'billion laughs' document, or one to split into files"
        )


def check_size(value: JSON, what: str = "the document") -> None:
    """Raise :class:`TooDeep` or :class:`TooBig` for a parsed document (YAML: its aliases share objects).

    Sizes are counted once per object, not once per place it appears, so that a document whose aliases
    stand for billions of values is measured in the time its distinct objects take.
    """
    sizes: dict[int, int] = {}

    def size(node: Any, depth: int) -> int:
        if not isinstance(node, (dict, list)):
            return 1
        if depth > MAX_DEPTH:
            raise TooDeep(what)
        known = sizes.get(id(node))
        if known is not None:
            return known
        children = node.values() if isinstance(node, dict) else node
        total = 1
        for child in children:
            total += size(child, depth + 1)
            if total > MAX_VALUES:
                raise TooBig()
        sizes[id(node)] = total
        return total

    size(value, 1)


def _could_be_deep(text: str | bytes | bytearray) -> bool:
    # a count in C: a document with fewer brackets than the limit cannot nest deeper (most bodies)
    if isinstance(text, str):
        return text.count("[") + text.count("{") > MAX_DEPTH
    return text.count(b"[") + text.count(b"{") > MAX_DEPTH
