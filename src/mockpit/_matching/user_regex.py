"""Regexes from stubs and templates, with a time budget: no pattern can stall the server.

A backtracking engine takes exponential time on some patterns: ``(a|aa)+$`` against forty ``a`` and a
``!`` runs for hours, and Python's ``re`` holds the GIL while it does, so every client of the server
(and near-miss scoring, which runs the stubs' patterns on unmatched requests) waits with it. mockpit
compiles the patterns of ``matches``, ``doesNotMatch``, ``urlPattern``, ``urlPathPattern``, the JsonUnit
and XMLUnit regex placeholders and the regex template helpers with the ``regex`` module, whose matching
takes a ``timeout``: past ``budget.seconds`` an evaluation stops, and counts as no match. The
near-miss report says so (:meth:`UserRegex.explain`); a value that ran out once is not tried again.

Why ``regex`` and not RE2 (google-re2), which is linear by construction: RE2 has no backreferences or
lookaround, which WireMock users write (Java's engine has both), and its Python binding costs more per
call (measured on this machine: 2.6 µs for ``/users/\\d+``, against 1.7 µs for ``regex`` with a timeout
and 0.11 µs for ``re``). The ``regex`` module also avoids many catastrophic cases by itself, and speaks
``re``'s dialect (``regex.V0``).

The budget costs 1.6 µs an evaluation, so patterns that cannot backtrack badly skip it: a pattern with
no backreference or lookaround, no repetition inside a repetition, no alternation inside one, and at
most one repetition of variable length (``/users/\\d+``, ``(?i)bearer [a-z0-9]+``) runs in linear time
under ``fullmatch``, so ``re`` runs it (0.11 µs). Anything else (``.*json.*``, ``(a|aa)+$``) gets the
budget. The check reads ``re``'s own parse of the pattern. ``search`` takes the same path when the
pattern is anchored at the start (``^[a-z]+-\\d+$``, as JSON Schema's patterns often are): ``re`` then
tries the first position only.
"""

from __future__ import annotations

import functools
import os
import re
from typing import Any

try:  # the parser of re's own patterns: private, stable since 3.11 (sre_parse before, deprecated there)
    from re import _parser as _sre_parse  # type: ignore[attr-defined,unused-ignore]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _sre_parse


class _Budget:
    """Seconds one evaluation of a user regex may take: one per process (MOCKPIT_REGEX_TIMEOUT_MS,
    --regex-timeout-ms), read at each evaluation so that a change applies to compiled patterns too."""

    __slots__ = ("seconds",)

    def __init__(self) -> None:
        self.seconds = float(os.environ.get("MOCKPIT_REGEX_TIMEOUT_MS", "50")) / 1000


budget = _Budget()
# how many values per pattern are remembered as having run out of time (repeats are not run again)
_REMEMBERED = 64


class RegexTimeout(ValueError):
    """A user regex ran past its time budget where "no match" would be a wrong answer (templates)."""


class UserRegex:
    """One user pattern, compiled; ``fullmatch`` and ``search`` within the budget (None: no match)."""

    __slots__ = ("_compiled", "_linear", "_linear_search", "_timeouts", "pattern")

    def __init__(self, pattern: str, *, ignore_case: bool = False, flags: int = 0) -> None:
        """``flags``: ``re``'s IGNORECASE, MULTILINE, DOTALL and ASCII (a JSONPath literal's ``/.../i``)."""
        import regex  # on the first user regex: 5 ms of start-up that plain stubs do not need

        self.pattern = pattern
        # the regex module's values of these four flags are re's
        flags = (flags | (re.IGNORECASE if ignore_case else 0)) & (re.IGNORECASE | re.MULTILINE | re.DOTALL | re.ASCII)
        try:
            self._compiled: Any = regex.compile(pattern, regex.V0 | flags)
        except regex.error as exc:
            raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
        #: re's compiled pattern when whole-value matching is linear in time: no budget needed
        self._linear: re.Pattern[str] | None
        self._linear, anchored = _linear(pattern, flags)
        #: the same for search, when the pattern is anchored at the start (``^...``, common in JSON
        #: Schema): re tries it at the first position only, so it is the same work as a match
        self._linear_search = self._linear if anchored else None
        # hashes of values that ran out of time (a str caches its hash: the lookup costs nothing)
        self._timeouts: dict[int, None] = {}

    def fullmatch(self, value: str) -> Any:
        """The match of the whole ``value``, or None (also when the budget ran out)."""
        if self._linear is not None:
            return self._linear.fullmatch(value)
        return self._run(self._compiled.fullmatch, value)

    def search(self, value: str) -> Any:
        """The first match in ``value``, or None (also when the budget ran out)."""
        if self._linear_search is not None:
            return self._linear_search.search(value)
        return self._run(self._compiled.search, value)

    def matches(self, value: str) -> bool:
        return self.fullmatch(value) is not None

    def search_or_raise(self, value: str) -> Any:
        """``search``, raising :class:`RegexTimeout` when the budget runs out (for templates)."""
        found = self.search(value)
        if found is None and self.timed_out(value):
            raise RegexTimeout(self.explain(value))
        return found

    def fullmatch_or_raise(self, value: str) -> Any:
        """``fullmatch``, raising :class:`RegexTimeout` when the budget runs out (for templates)."""
        found = self.fullmatch(value)
        if found is None and self.timed_out(value):
            raise RegexTimeout(self.explain(value))
        return found

    def all_groups(self, value: str) -> list[str]:
        """The groups of every match in ``value``, in order; :class:`RegexTimeout` past the budget."""
        try:
            return [
                group for found in self._compiled.finditer(value, timeout=budget.seconds) for group in found.groups()
            ]
        except TimeoutError:
            self._remember(hash(value))
            raise RegexTimeout(self.explain(value)) from None

    def _run(self, method: Any, value: str) -> Any:
        key = hash(value)
        if key in self._timeouts:
            return None
        try:
            return method(value, timeout=budget.seconds)
        except TimeoutError:
            self._remember(key)
            return None

    def _remember(self, key: int) -> None:
        if len(self._timeouts) >= _REMEMBERED:
            self._timeouts.pop(next(iter(self._timeouts)))
        self._timeouts[key] = None

    def timed_out(self, value: str) -> bool:
        """Whether matching ``value`` ran out of time (and so counted as no match)."""
        return hash(value) in self._timeouts

    def explain(self, value: str) -> str | None:
        """The near-miss report's note for ``value`` when its evaluation ran out of time."""
        if not self.timed_out(value):
            return None
        return (
            f"the pattern {self.pattern!r} ran past its time budget of {budget.seconds * 1000:g} ms on this value "
            "(catastrophic backtracking), so it counts as no match; simplify the pattern (no nested "
            "repetition such as (a+)+) or raise the budget with --regex-timeout-ms"
        )


_REPEATS = frozenset({"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"})
_PLAIN = frozenset({"LITERAL", "NOT_LITERAL", "ANY", "IN", "AT", "CATEGORY"})


def _linear(pattern: str, flags: int) -> tuple[re.Pattern[str] | None, bool]:
    """``re``'s compiled ``pattern`` if ``fullmatch`` with it takes linear time, else None; and whether
    the pattern is anchored at the start of the value (``^`` without MULTILINE, or ``\\A``).

    Conservative: a pattern this cannot prove safe (or that ``re`` does not accept) gets the budget.
    """
    try:
        tree = _sre_parse.parse(pattern, flags)
        compiled = re.compile(pattern, flags)
    except (re.error, ValueError, TypeError, OverflowError, RecursionError):
        return None, False
    first = tree[0] if len(tree) else (None, None)
    anchored = str(first[0]) == "AT" and (
        str(first[1]) == "AT_BEGINNING_STRING"
        or (str(first[1]) == "AT_BEGINNING" and not compiled.flags & re.MULTILINE)
    )
    variable = 0

    def safe(items: Any, in_repeat: bool) -> bool:
        nonlocal variable
        for op, argument in items:
            name = str(op)
            if name in _PLAIN:
                continue
            if name == "SUBPATTERN":
                if not safe(argument[-1], in_repeat):
                    return False
            elif name == "BRANCH":
                # alternatives under a repetition can overlap ((a|aa)+): exponential
                if in_repeat or not all(safe(branch, in_repeat) for branch in argument[1]):
                    return False
            elif name in _REPEATS:
                low, high, body = argument
                repeats = high != 1
                if repeats and in_repeat:  # (a+)+: a repetition inside a repetition
                    return False
                if low != high:
                    variable += 1
                    if variable > 1:  # \d*\d*: each extra variable repetition multiplies the work
                        return False
                if not safe(body, in_repeat or repeats):
                    return False
            else:  # backreferences, lookaround, atomic groups, conditionals: not proven
                return False
        return True

    return (compiled, anchored) if safe(tree, False) else (None, False)


@functools.lru_cache(maxsize=256)
def cached(pattern: str, flags: int = 0) -> UserRegex:
    """The compiled pattern, for templates, JSON Schema and JSONPath (their patterns may come from the
    request or from a document's schemas: compiled once each)."""
    return UserRegex(pattern, flags=flags)


def set_budget(milliseconds: float) -> None:
    """Set the time budget of every user regex in this process (``--regex-timeout-ms``)."""
    if not milliseconds > 0:
        raise ValueError(f"the regex time budget must be a positive number of milliseconds, got {milliseconds!r}")
    budget.seconds = milliseconds / 1000
