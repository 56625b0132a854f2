"""The JSON helpers: ``jsonPath``, ``parseJson``, ``toJson``, ``formatJson``, ``jsonArrayAdd``, ``jsonMerge``
and ``jsonRemove``. A document parsed from request text is cached in the request's context, so every
template of a response parses it once."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from mockpit._json import TooDeep, loads
from mockpit._matching.jsonpath import compile_json_path, is_definite
from mockpit._templating.context import TemplateContext
from mockpit._templating.errors import HelperFailure
from mockpit._templating.helpers.arguments import format_arguments
from mockpit._templating.values import (
    MISSING,
    JsonList,
    JsonMap,
    JsonObject,
    ListOrSingle,
    TemplateObject,
    to_text,
    write_json,
)


@functools.lru_cache(maxsize=2048)
def _finder(expression: str) -> tuple[Callable[[Any], list[Any]], bool]:
    """A finder for ``expression`` and whether the path is definite (selects one value, as Jayway says).

    As WireMock's helper, this takes ``a.b`` for ``$.a.b`` and ``$.[0]`` for ``$[0]``. Raises ValueError
    for an invalid path.
    """
    text = expression.strip()
    if not text.startswith("$"):
        text = "$." + text if not text.startswith("[") else "$" + text
    text = re.sub(r"\.(?=\[)", "", text)  # Jayway accepts $.[0] and $.['a']
    return compile_json_path(text), is_definite(text)


def check_json_path(expression: str) -> None:
    try:
        _finder(expression)
    except ValueError as exc:
        raise ValueError(f"{exc}; WireMock's JSONPath looks like '$.items[0].name'") from None


def json_document(context: TemplateContext | None, text: str) -> Any:
    """``text`` parsed as JSON, once per request; HelperFailure (WireMock's words) if it is not JSON."""
    return _parse_json(text) if context is None else context.parsed("json", text, _parse_json)


def _parse_json(text: str) -> Any:
    try:
        return loads(text)
    except TooDeep as exc:
        raise HelperFailure(str(exc)) from None
    except ValueError:
        raise HelperFailure(f"{text} is not valid JSON") from None


def _as_document(context: TemplateContext | None, source: Any) -> Any:
    if isinstance(source, str):
        return json_document(context, source)
    if isinstance(source, ListOrSingle):
        return json_document(context, to_text(source))
    if isinstance(source, TemplateObject):
        return loads(write_json(source))
    return source


def json_path(context: TemplateContext | None, source: Any, expression: Any, default: Any = MISSING) -> Any:
    """WireMock's ``jsonPath``: one value for a definite path, a list otherwise; ``default`` or "" if none."""
    if source is None or source is MISSING or source == "":
        return ""
    if expression is None or expression is MISSING:
        raise HelperFailure("The JSONPath cannot be empty")
    expression = to_text(expression)
    try:
        finder, definite = _finder(expression)
    except ValueError:
        raise HelperFailure(f"{expression} is not a valid JSONPath expression") from None
    document = _as_document(context, source)
    found = finder(document)
    fallback = "" if default is MISSING or default is None else default
    if definite:
        if not found or found[0] is None:
            return fallback
        value = found[0]
    else:
        value = found
    if isinstance(value, dict):
        return JsonMap(value)
    if isinstance(value, list):
        return JsonList(value)
    return value


def parse_json(text: Any) -> Any:
    """WireMock's ``parseJson``: ``{}`` for blank input; a list for ``[...]``, else an object."""
    if text is None or text is MISSING:
        return {}
    body = to_text(text).strip()
    if re.sub(r"\s", "", body) in ("", "{}"):
        return {}
    try:
        value = loads(body)
    except ValueError as exc:
        raise HelperFailure(f"{body} is not valid JSON: {exc}") from None
    if not isinstance(value, dict | list):
        raise HelperFailure(f"{body} is not a JSON object or array")
    return value


def to_json(value: Any) -> str:
    """WireMock's ``toJson``: indented JSON (Jackson's layout)."""
    return write_json(value, pretty=True)


def format_json(text: Any, format: Any = None) -> str:
    body, style = format_arguments("formatJson", "JSON", text, format)
    try:
        value = loads(body)
    except ValueError:
        raise HelperFailure("There was an error parsing the json. Please make sure the json is valid") from None
    return write_json(value, pretty=style == "pretty")


def _json_input(value: Any, what: str) -> Any:
    if isinstance(value, JsonObject | JsonList):
        return loads(write_json(value))
    if isinstance(value, dict | list) and not isinstance(value, ListOrSingle):
        return loads(write_json(value))  # a copy: the caller's value stays as it was
    if not isinstance(value, str):
        raise HelperFailure(f"{what} must be a string")
    try:
        return loads(value)
    except TooDeep as exc:
        raise HelperFailure(f"{what}: {exc}") from None
    except ValueError:
        raise HelperFailure(f"{what} is not valid JSON ('{value}')") from None


def json_array_add(base: Any, item: Any, *, json_path: Any = None, flatten: Any = False, max_items: Any = None) -> str:
    """WireMock's ``jsonArrayAdd``: ``item`` (JSON) appended to the array ``base`` (or the one at ``json_path``)."""
    root = _json_input(base, "Base JSON")
    target = root
    if json_path is not None and json_path is not MISSING:
        try:
            finder, _ = _finder(to_text(json_path))
        except ValueError:
            raise HelperFailure(f"jsonPath option is not valid JSONPath expression ('{json_path}')") from None
        found = finder(root)
        target = found[0] if found else None
    if not isinstance(target, list):
        raise HelperFailure(f"Target JSON is not a JSON array ('{base}')")
    addition = _json_input(item, "Item-to-add JSON")
    if flatten is True and isinstance(addition, list):
        target.extend(addition)
    else:
        target.append(addition)
    if max_items is not None and max_items is not MISSING:
        if type(max_items) is not int or max_items < 0:
            raise HelperFailure("maxItems option must be a positive integer")
        del target[: max(0, len(target) - max_items)]
    return write_json(root)


def json_merge(base: Any, other: Any) -> str:
    """WireMock's ``jsonMerge``: objects merged recursively; arrays and other values replaced."""
    left = _json_input(base, "Base JSON")
    if not isinstance(left, dict):
        raise HelperFailure(f"Base JSON is not a JSON object ('{base}')")
    right = _json_input(other, "JSON to merge")
    if not isinstance(right, dict):
        raise HelperFailure(f"JSON to merge is not a JSON object ('{other}')")

    def merge(into: dict[str, Any], source: dict[str, Any]) -> None:
        for key, value in source.items():
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value)
            else:
                into[key] = value

    merge(left, right)
    return write_json(left)


def json_remove(base: Any, expression: Any) -> str:
    """WireMock's ``jsonRemove``: what ``expression`` selects, taken out of ``base``."""
    if base == "null":
        return "null"
    root = _json_input(base, "Input JSON")
    if not isinstance(expression, str) or not expression:
        raise HelperFailure("JSONPath parameter must be a string")
    import jsonpath

    text = re.sub(r"\.(?=\[)", "", expression)
    try:
        matches = list(jsonpath.finditer(text, root))
    except jsonpath.JSONPathError:
        raise HelperFailure(f"JSONPath parameter is not a valid JSONPath expression ('{expression}')") from None
    # remove from the end so that earlier list indexes stay right
    for match in reversed(matches):
        parent = match.parent.obj if match.parent is not None else None
        if parent is None or not match.parts:
            raise HelperFailure(f"Delete operation cannot be applied to JSONPath expression ('{expression}')")
        key = match.parts[-1]
        if (isinstance(parent, list) and isinstance(key, int) and key < len(parent)) or (
            isinstance(parent, dict) and key in parent
        ):
            del parent[key]  # type: ignore[arg-type]
    return write_json(root)
