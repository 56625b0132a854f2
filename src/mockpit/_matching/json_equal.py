"""JSON equality as WireMock's ``equalToJson`` defines it, with JsonUnit's placeholders."""

from __future__ import annotations

from mockpit._types import JSON

from . import json_unit


def json_equal(
    expected: JSON,
    actual: JSON,
    ignore_array_order: bool,
    ignore_extra_elements: bool,
    placeholders: bool = False,
) -> bool:
    """JSON equality as WireMock's ``equalToJson`` defines it (numbers by value, booleans not numbers).

    With ``placeholders``, JsonUnit's ``${json-unit...}`` strings in ``expected`` are wildcards (only
    expected documents that have some pay for looking for them).
    """
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        missing_allowed = 0
        for key, value in expected.items():
            if key not in actual:
                if placeholders and value == json_unit.OPTIONAL:
                    missing_allowed += 1
                    continue
                return False
            if not json_equal(value, actual[key], ignore_array_order, ignore_extra_elements, placeholders):
                return False
        return ignore_extra_elements or len(expected) - missing_allowed == len(actual)
    if isinstance(expected, list):
        # ignoreExtraElements also allows extra array items (WireMock sets JsonUnit's IGNORING_EXTRA_ARRAY_ITEMS)
        if not isinstance(actual, list) or len(actual) < len(expected):
            return False
        if not ignore_extra_elements and len(actual) != len(expected):
            return False
        if not ignore_array_order:
            return all(
                json_equal(e, a, ignore_array_order, ignore_extra_elements, placeholders)
                for e, a in zip(expected, actual, strict=False)
            )
        remaining = list(actual)
        for item in expected:
            for i, candidate in enumerate(remaining):
                if json_equal(item, candidate, ignore_array_order, ignore_extra_elements, placeholders):
                    del remaining[i]
                    break
            else:
                return False
        return True
    if placeholders and isinstance(expected, str) and expected.startswith(json_unit.PREFIX):
        return json_unit.placeholder_test(expected)(actual)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return expected == actual
    return type(expected) is type(actual) and bool(expected == actual)
