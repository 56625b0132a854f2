"""JSON Schema validators whose regexes run within the user-regex time budget.

jsonschema (and openapi-schema-validator, built on it) runs a schema's ``pattern`` and
``patternProperties`` with ``re``, which cannot be stopped and holds the interpreter while it runs:
``{"pattern": "^(a|aa)+$"}`` against 34 ``a`` and a ``!`` kept the server from every client for 6.4 s.
:func:`budgeted` gives a validator class whose keywords that run patterns (``pattern``,
``patternProperties``, ``additionalProperties`` and ``unevaluatedProperties``, which ask which
properties the patterns cover) go through :class:`~mockpit._matching.user_regex.UserRegex`: past the
budget a pattern counts as no match, and ``pattern``'s error says so.

``pattern`` is written here, to say why a value failed. The others are jsonschema's own functions, run
with ``re`` bound to the budgeted engine (:func:`_rebound`) rather than copied: their rules (which keys
``unevaluatedProperties`` counts as evaluated, through ``$ref``, ``allOf``, ``if``...) stay the
library's, and nothing outside these classes changes.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Iterator
from typing import Any

from .user_regex import cached

#: the keywords whose jsonschema functions run ``re.search`` (themselves or through the helpers below)
_REBOUND_KEYWORDS = ("patternProperties", "additionalProperties", "unevaluatedProperties")
#: jsonschema's helpers that those keywords call and that run ``re.search``
_HELPERS = ("find_additional_properties", "find_evaluated_property_keys_by_schema")


class _BudgetedRe:
    """What the rebound functions see as ``re``: ``search`` within the budget (None past it)."""

    @staticmethod
    def search(pattern: str, string: str, flags: int = 0) -> Any:
        try:
            return cached(pattern).search(string)
        except ValueError:  # a pattern the regex module refuses (the schema check passed it): no match
            return None


def _rebound(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` with ``re`` and the helpers it calls bound to budgeted ones (its module is untouched)."""
    scope = dict(function.__globals__)
    copy = types.FunctionType(function.__code__, scope, function.__name__, function.__defaults__, function.__closure__)
    copy.__kwdefaults__ = function.__kwdefaults__
    names = function.__code__.co_names
    if "re" in names:
        scope["re"] = _BudgetedRe
    for name in _HELPERS:
        if name in names:
            helper = scope[name]
            # a helper that calls itself (find_evaluated_property_keys_by_schema) finds its copy
            scope[name] = copy if helper is function else _rebound(helper)
    return copy


def pattern(validator: Any, patrn: str, instance: Any, schema: Any) -> Iterator[Any]:
    """``pattern``: the string must contain a match (as jsonschema's), within the budget."""
    if not validator.is_type(instance, "string"):
        return
    try:
        compiled = cached(patrn)
    except ValueError as exc:
        problem = str(exc)
    else:
        if compiled.search(instance) is not None:
            return
        problem = compiled.explain(instance) or f"{instance!r} does not match {patrn!r}"
    from jsonschema.exceptions import ValidationError  # on a failure only: a match runs no import statement

    yield ValidationError(problem)


@functools.cache
def budgeted(cls: Any) -> Any:
    """``cls`` (a jsonschema validator class) with its pattern-running keywords budgeted; one per class."""
    from jsonschema.validators import extend

    keywords: dict[str, Callable[..., Any]] = {}
    if "pattern" in cls.VALIDATORS:
        keywords["pattern"] = pattern
    for name in _REBOUND_KEYWORDS:
        if name in cls.VALIDATORS:
            keywords[name] = _rebound(cls.VALIDATORS[name])
    return extend(cls, keywords)  # type: ignore[no-untyped-call]
