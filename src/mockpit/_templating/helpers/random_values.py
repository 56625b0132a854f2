"""Random values: ``randomValue``, ``randomInt``, ``randomDecimal`` and ``pickRandom``."""

from __future__ import annotations

import random as _random
import string
import uuid
from typing import Any

from mockpit._templating.errors import HelperFailure
from mockpit._templating.values import (
    MISSING,
    to_text,
)

from .arguments import MAX_ITEMS, as_float, as_int

_ALPHABETS = {
    "ALPHANUMERIC": string.ascii_letters + string.digits,
    "ALPHABETIC": string.ascii_letters,
    "NUMERIC": string.digits,
    "ALPHANUMERIC_AND_SYMBOLS": "".join(chr(c) for c in range(33, 126)),
    "HEXADECIMAL": "ABCDEF0123456789",
}
RANDOM_TYPES = (*_ALPHABETS, "UUID")


def random_value(length: Any = 36, type: Any = "ALPHANUMERIC", uppercase: Any = False) -> str:
    """WireMock's ``randomValue``: lower case unless ``uppercase``; ``UUID`` ignores the length."""
    kind = to_text(type)
    if kind == "UUID":
        value = str(uuid.uuid4())
    else:
        alphabet = _ALPHABETS.get(kind)
        if alphabet is None:
            raise HelperFailure(f"randomValue type {kind!r} is not one of {', '.join(RANDOM_TYPES)}")
        count = as_int(length, "length")
        if not 0 <= count <= MAX_ITEMS:
            raise HelperFailure(f"randomValue length must be from 0 to {MAX_ITEMS}, got {count}")
        value = "".join(_random.choices(alphabet, k=count))
    return value.upper() if uppercase is True else value.lower()


_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


def random_int(lower: Any = None, upper: Any = None) -> int:
    """WireMock's ``randomInt``: from ``lower`` (inclusive) to ``upper`` (exclusive)."""
    low = _INT_MIN if lower is None or lower is MISSING else as_int(lower, "lower")
    high = _INT_MAX if upper is None or upper is MISSING else as_int(upper, "upper")
    if low >= high:
        raise HelperFailure(f"randomInt needs lower < upper, got lower={low} upper={high}")
    return _random.randrange(low, high)


def random_decimal(lower: Any = None, upper: Any = None) -> float:
    low = 5e-324 if lower is None or lower is MISSING else as_float(lower, "lower")
    high = 1.7976931348623157e308 if upper is None or upper is MISSING else as_float(upper, "upper")
    if low >= high:
        raise HelperFailure(f"randomDecimal needs lower < upper, got lower={low} upper={high}")
    return _random.uniform(low, high)


def pick_random(items: list[Any], count: Any = None) -> Any:
    """WireMock's ``pickRandom``: one item (as text), or ``count`` different ones as a list."""
    if not items:
        raise HelperFailure("Must specify either a single list argument or a set of single value arguments.")
    if count is None or count is MISSING:
        return to_text(_random.choice(items))
    n = as_int(count, "count")
    return _random.sample(items, min(max(n, 0), len(items)))
