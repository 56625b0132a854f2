"""Text and numbers: ``math``, ``base64``, ``urlEncode``, ``regexExtract``, ``size``, ``range``, ``formData``,
``contains``, ``matches``, Java's ``String.format`` (``stringFormat``) and ``hostname``."""

from __future__ import annotations

import base64 as _base64
import functools
import re
import socket
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from mockpit._matching.user_regex import RegexTimeout, cached
from mockpit._templating.errors import HelperFailure
from mockpit._templating.values import (
    MISSING,
    FalseWithReason,
    ListOrSingle,
    to_text,
)

from .arguments import MAX_ITEMS, as_int

MATH_OPERATORS = ("+", "-", "*", "x", "/", "%")


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        return Decimal(0)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(to_text(value).strip())
    except InvalidOperation:
        return Decimal(0)  # as WireMock: what is not a number counts as 0


def math_operation(left: Any, operator: Any, right: Any) -> int | float:
    """WireMock's ``math``: decimal arithmetic; a whole result is an int, else a float."""
    op = to_text(operator)
    a, b = _decimal(left), _decimal(right)
    with localcontext() as ctx:
        ctx.prec = 60
        try:
            if op == "+":
                result = a + b
            elif op == "-":
                result = a - b
            elif op in ("*", "x"):
                result = a * b
            elif op == "/":
                scale = a.as_tuple().exponent
                exponent = min(scale, 0) if isinstance(scale, int) else 0
                result = (a / b).quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)
            elif op == "%":
                result = a % b
            else:
                raise HelperFailure(f"{op} is not a valid mathematical operator")
        except (ArithmeticError, InvalidOperation):
            raise HelperFailure(f"{to_text(left)} {op} {to_text(right)} has no result (division by zero?)") from None
    result_exponent = result.as_tuple().exponent
    if isinstance(result_exponent, int) and result_exponent >= 0:
        return int(result)
    return float(result)


def base64_text(value: Any, *, decode: bool = False, padding: bool = True) -> str:
    text = to_text(value)
    if decode:
        cleaned = "".join(text.split())
        cleaned += "=" * (-len(cleaned) % 4)
        try:
            raw = _base64.b64decode(cleaned, validate=False)
        except ValueError:
            raise HelperFailure(f"{text} is not valid base64") from None
        return raw.decode("utf-8", errors="replace")
    encoded = _base64.b64encode(text.encode("utf-8")).decode("ascii")
    return encoded if padding else encoded.rstrip("=")


def url_encode(value: Any, *, decode: bool = False) -> str:
    """Java's ``URLEncoder``/``URLDecoder`` (form encoding: a space is ``+``), as WireMock uses."""
    text = to_text(value)
    if decode:
        return unquote_plus(text)
    return quote_plus(text, safe="*").replace("~", "%7E")


def regex_extract(text: Any, pattern: Any, *, all_groups: bool) -> Any:
    """The first match of ``pattern`` in ``text``, or the groups of every match (``all_groups``)."""
    regex = to_text(pattern)
    try:
        compiled = cached(regex)
    except ValueError:
        raise HelperFailure(f"Invalid regex string {regex}") from None
    subject = to_text(text)
    try:
        if not all_groups:
            match = compiled.search_or_raise(subject)
            if match is None:
                raise HelperFailure(f"Nothing matched {regex}")
            return match.group(0)
        groups = compiled.all_groups(subject)
    except RegexTimeout as exc:
        raise HelperFailure(str(exc)) from None
    if not groups:
        raise HelperFailure(f"Nothing matched {regex}")
    return ListOrSingle(groups)


def check_regex(pattern: str) -> None:
    try:
        cached(pattern)
    except ValueError as exc:
        raise ValueError(f"the regular expression {pattern!r} is invalid: {str(exc).partition(': ')[2]}") from None


def size(value: Any) -> int | None:
    if isinstance(value, str | list | tuple | Mapping):
        return len(value)
    return None


def form_data(text: Any, *, url_decode: bool = False) -> dict[str, ListOrSingle]:
    """WireMock's ``formData``: ``a=1&b=2&b=3`` as fields with all their values."""
    fields: dict[str, list[str]] = {}
    for pair in to_text(text).split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        if url_decode:
            name, value = unquote_plus(name), unquote_plus(value)
        fields.setdefault(name, []).append(value)
    return {k: ListOrSingle(v) for k, v in fields.items()}


def contains(container: Any, expected: Any) -> bool:
    if container is None or container is MISSING or expected is None or expected is MISSING:
        return False
    if isinstance(container, list | tuple):
        return expected in container
    return to_text(expected) in to_text(container)


def matches(value: Any, pattern: Any) -> bool | FalseWithReason:
    try:
        return cached(to_text(pattern)).fullmatch_or_raise(to_text(value)) is not None
    except RegexTimeout as exc:  # no match, as for every pattern past its budget; printed, it says why
        return FalseWithReason(f"[ERROR: {exc}]")
    except ValueError:
        raise HelperFailure(f"Invalid regex string {to_text(pattern)}") from None


@functools.cache
def hostname() -> str:
    return socket.gethostname()


def java_string_format(fmt: str, args: Iterable[Any]) -> str:
    """Java's ``String.format`` for the common conversions (%s %d %f %.2f %x %n %%)."""
    values = list(args)
    position = 0

    def convert(match: re.Match[str]) -> str:
        nonlocal position
        spec, kind = match.group(1), match.group(2)
        if kind == "%":
            return "%"
        if kind == "n":
            return "\n"
        if position >= len(values):
            raise HelperFailure(f"stringFormat: the format {fmt!r} needs more arguments")
        value = values[position]
        position += 1
        if kind in "sS":
            text = ("%" + spec + "s") % to_text(value)
            return text.upper() if kind == "S" else text
        if kind == "b":
            return ("%" + spec + "s") % ("false" if value is None or value is False else "true")
        try:
            return ("%" + spec + kind) % (float(value) if kind in "feEgG" else int(value))
        except (TypeError, ValueError):
            raise HelperFailure(f"stringFormat: {to_text(value)!r} does not fit %{spec}{kind}") from None

    return re.sub(r"%([-#+ 0,(]*\d*(?:\.\d+)?)([sSdfeExXobgGn%])", convert, fmt)


def number_range(lower: Any, upper: Any) -> list[int]:
    """WireMock's ``range``: the integers from ``lower`` to ``upper``, both included."""
    if lower is None or lower is MISSING or upper is None or upper is MISSING:
        raise HelperFailure("The range helper requires both lower and upper bounds as integer parameters")
    low, high = as_int(lower, "lower"), as_int(upper, "upper")
    if high - low >= MAX_ITEMS:
        raise HelperFailure(f"range {low}..{high} has more than {MAX_ITEMS} numbers")
    return list(range(low, high + 1))
