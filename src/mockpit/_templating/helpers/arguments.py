"""Helper arguments read the way WireMock reads them: numbers, whatever a template passes (``5``, ``5.0``,
``'5'``), the document and style of the ``format*`` helpers, and the most items a helper may build."""

from __future__ import annotations

from typing import Any

from mockpit._templating.errors import HelperFailure
from mockpit._templating.values import MISSING, to_text

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


def format_arguments(helper: str, kind: str, text: Any, format: Any) -> tuple[str, str]:
    """``formatJson``'s and ``formatXml``'s arguments: the document's text (required) and the style,
    ``pretty`` (the default) or ``compact``."""
    body = to_text(text).strip() if text is not None and text is not MISSING else ""
    if not body:
        raise HelperFailure(f"{helper} should take a block of {kind} to format or a single parameter of type String")
    style = "pretty" if format is None or format is MISSING else to_text(format)
    if style not in ("pretty", "compact"):
        raise HelperFailure(f"{helper}: format [{style}] should be one of [pretty, compact]")
    return body, style
