"""JsonUnit's placeholders in ``equalToJson``: ``{"id": "${json-unit.any-string}"}`` matches any string id.

WireMock compares JSON with JsonUnit, whose placeholders its documentation points to; these are the ones
that need no Java: ``ignore``, ``ignore-element`` (the field may also be missing), ``any-string``,
``any-number``, ``any-boolean`` and ``regex`` (``"${json-unit.regex}[A-Z]{3}"``: the whole string must
match). Others (``matches:NAME``, custom matchers registered in Java) are refused when the stub loads.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from mockpit._types import JSON

from .user_regex import UserRegex

PREFIX = "${json-unit."
_REGEX = "${json-unit.regex}"
_TESTS: dict[str, Callable[[JSON], bool]] = {
    "${json-unit.ignore}": lambda value: True,
    "${json-unit.ignore-element}": lambda value: True,
    "${json-unit.any-string}": lambda value: isinstance(value, str),
    "${json-unit.any-number}": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "${json-unit.any-boolean}": lambda value: isinstance(value, bool),
}
OPTIONAL = "${json-unit.ignore-element}"


@functools.lru_cache(maxsize=1024)
def placeholder_test(text: str) -> Callable[[JSON], bool]:
    """What an actual value must be where the expected JSON holds placeholder ``text``.

    Raises :class:`ValueError` naming the placeholder if mockpit does not know it.
    """
    known = _TESTS.get(text)
    if known is not None:
        return known
    if text.startswith(_REGEX):
        source = text[len(_REGEX) :]
        try:
            regex = UserRegex(source)
        except ValueError as exc:
            raise ValueError(f"JsonUnit placeholder {text!r}: {exc}") from None
        return lambda value: isinstance(value, str) and regex.matches(value)
    raise ValueError(
        f"JsonUnit placeholder {text!r} is not supported by mockpit; it knows {', '.join([*_TESTS, _REGEX + '...'])}"
    )


def has_placeholders(value: JSON) -> bool:
    """Whether ``value`` holds a placeholder anywhere (checking each one: raises for unknown ones)."""
    if isinstance(value, str):
        if value.startswith(PREFIX):
            placeholder_test(value)
            return True
        return False
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    found = False
    for child in children:  # every one, not up to the first: each placeholder is checked
        found = has_placeholders(child) or found
    return found
