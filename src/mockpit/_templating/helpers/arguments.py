"""Numbers from helper arguments, whatever a template passes (``5``, ``5.0``, ``'5'``), and the most
items a helper may build."""

from __future__ import annotations

from typing import Any

from mockpit._templating.errors import HelperFailure
from mockpit._templating.values import to_text

#: a list a helper may build (``range``, ``randomValue length=``): beyond this it is a mistake or an attack
MAX_ITEMS = 100_000


def as_int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise HelperFailure(f"{what} must be a whole number, got {to_text(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    try:
        return int(to_text(value).strip())
    except ValueError:
        raise HelperFailure(f"{what} must be a whole number, got {to_text(value)!r}") from None


def as_float(value: Any, what: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(to_text(value).strip())
    except ValueError:
        raise HelperFailure(f"{what} must be a number, got {to_text(value)!r}") from None
