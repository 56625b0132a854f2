"""Near misses: which stubs came closest to a request that matched none, and what differed.

Three views of the same result: :func:`near_miss_to_json` in WireMock's admin JSON shape, the plain-text
report an unmatched request is answered with (:func:`format_report`: a side-by-side table per stub,
``expected (stub) | actual (request)``, one row per field, differing rows marked ``!``), and the same
report with colours for the console (:func:`report_markup`).
"""

from __future__ import annotations

import base64
import dataclasses
import heapq
import json
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs

from mockpit._mapping.read import pattern_to_mapping, stub_to_mapping
from mockpit._model import (
    CustomMatcherCall,
    MultipartPattern,
    MultiValuePattern,
    Request,
    RequestPattern,
    Stub,
    ValuePattern,
)

from .pattern import CompiledPattern, Difference, compile_pattern

#: how many stubs (or requests) are fully compared after the cheap first pass
_SHORTLIST = 25
_ABSENT = "(absent)"


@dataclass(frozen=True, slots=True)
class NearMiss:
    """How far ``request`` was from a stub (or, for journal searches, from ``pattern``) and what differed.

    ``distance`` runs from 0 (it matched) to 1 (nothing alike); ``differences`` lists each field that
    differed, including ``scenario state`` when the stub's scenario was in another state.
    """

    request: Request
    stub: Stub | None
    distance: float
    differences: tuple[Difference, ...]
    #: the pattern the request was compared with, when it is not a stub's (near misses for a pattern)
    pattern: RequestPattern | None = None

    @property
    def request_pattern(self) -> RequestPattern:
        """What the request was compared with: the stub's pattern, or the pattern searched for."""
        if self.stub is not None:
            return self.stub.request
        assert self.pattern is not None, "a near miss has a stub or a pattern"
        return self.pattern


def near_misses(
    request: Request,
    stubs: Iterable[tuple[Stub, CompiledPattern]],
    limit: int = 3,
    state_difference: Callable[[Stub], Difference | None] | None = None,
) -> list[NearMiss]:
    """The ``limit`` stubs closest to ``request``, closest first (as WireMock, a stub that matches is 0 away).

    ``state_difference`` (the engine's scenarios) says what else made a stub in a scenario miss: its
    scenario not in the state it requires counts as one more differing field, ``scenario state``.
    """
    # A cheap first pass keeps a miss among 10,000 stubs cheap; the shortlist gets the full comparison.
    shortlist = heapq.nsmallest(_SHORTLIST, stubs, key=lambda item: item[1].rough_distance(request))
    found = []
    for stub, pattern in shortlist:
        result = pattern.match(request)
        differences = result.differences
        distance = result.distance
        state = state_difference(stub) if state_difference is not None and stub.scenario_name else None
        if state is not None:
            differences = [*differences, state]
            distance = (distance * pattern.weight + state.distance) / (pattern.weight + 1)
        found.append(NearMiss(request, stub, distance, tuple(differences)))
    found.sort(key=lambda miss: miss.distance)
    return found[:limit]


def near_misses_for_pattern(pattern: RequestPattern, requests: Iterable[Request], limit: int = 3) -> list[NearMiss]:
    """The ``limit`` requests closest to ``pattern``, closest first (those that match it are 0 away)."""
    compiled = compile_pattern(pattern)
    shortlist = heapq.nsmallest(_SHORTLIST, requests, key=compiled.rough_distance)
    found = []
    for request in shortlist:
        result = compiled.match(request)
        found.append(NearMiss(request, None, result.distance, tuple(result.differences), pattern))
    found.sort(key=lambda miss: miss.distance)
    return found[:limit]


# --- WireMock's JSON --------------------------------------------------------------------------------


def near_miss_to_json(miss: NearMiss) -> dict[str, Any]:
    """One entry of WireMock's ``nearMisses``: the logged request, the stub (or the pattern searched for)
    and ``matchResult.distance``."""
    out: dict[str, Any] = {"request": request_to_json(miss.request)}
    if miss.stub is not None:
        out["stubMapping"] = stub_to_mapping(miss.stub)
    if miss.pattern is not None:
        out["requestPattern"] = pattern_to_mapping(miss.pattern)
    out["matchResult"] = {"distance": miss.distance}
    return out


def request_to_json(request: Request) -> dict[str, Any]:
    """A request as WireMock logs it (the ``request`` of a serve event or of a near miss)."""
    host = request.headers.get("host", "")
    logged = request.timestamp
    return {
        "url": request.url,
        "absoluteUrl": f"{request.scheme}://{host}{request.url}" if host else request.url,
        "method": request.method,
        "clientIp": request.client[0] if request.client else None,
        "headers": multi_dict([(_canonical(name), value) for name, value in request.headers.multi_items()]),
        "cookies": request.cookies,
        "browserProxyRequest": False,
        "loggedDate": int(logged * 1000),
        "loggedDateString": iso_timestamp(logged),
        "bodyAsBase64": base64.b64encode(request.body).decode("ascii"),
        "body": request.text,
        "queryParams": {k: {"key": k, "values": v} for k, v in request.query.items()},
    }


def _canonical(name: str) -> str:
    # uvicorn hands header names over lower-cased, so the case a client sent is gone. WireMock logs them
    # as sent, and clients look them up that way (``headers["X-Trace"]``): the usual spelling serves them.
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-")) if name.islower() else name


def iso_timestamp(timestamp: float) -> str:
    """``2024-05-01T12:00:00.123Z``, as WireMock writes dates."""
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def multi_dict(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """Header pairs as WireMock writes them: a name with one value maps to it, with several to a list."""
    out: dict[str, str | list[str]] = {}
    for name, value in pairs:
        previous = out.get(name)
        if previous is None:
            out[name] = value
        else:
            out[name] = [*([previous] if isinstance(previous, str) else previous), value]
    return out


# --- the side-by-side diff --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DiffRow:
    """One field of a near miss: what the stub wants, what the request had, and whether they differ."""

    field: str
    expected: str
    actual: str
    differs: bool


def diff_rows(miss: NearMiss) -> list[DiffRow]:
    """One row per field the stub (or pattern) tests, in the pattern's order; the scenario state last.

    Each field is matched on its own, so a row is marked exactly when its field fails, and a failing
    field shows the differences the matcher itself reports.
    """
    request = miss.request
    rows: list[DiffRow] = []
    for label, part, single in _fields(miss.request_pattern):
        result = compile_pattern(single).match(request)
        if result.matched:
            rows.append(DiffRow(label, _describe(part), _actual(label, part, single, request), False))
        else:
            url_only = single.url.kind != "anyUrl" and label.startswith("path parameter")
            for difference in result.differences:
                if url_only and difference.field == single.url.kind:
                    continue  # the URL has a row of its own
                rows.append(DiffRow(difference.field, difference.expected, difference.actual, True))
    # what only the whole stub knows (its scenario's state) and anything the rows above missed
    shown = {(row.field, row.expected, row.actual) for row in rows if row.differs}
    rows.extend(
        DiffRow(d.field, d.expected, d.actual, True)
        for d in miss.differences
        if (d.field, d.expected, d.actual) not in shown
    )
    return rows


#: row labels of the pattern's fields, as the matcher names them in its differences
_LABELS = {
    "query_parameters": "query parameter",
    "headers": "header",
    "cookies": "cookie",
    "form_parameters": "form parameter",
    "body_patterns": "body",
    "multipart_patterns": "multipart",
    "basic_auth": "basic auth",
    "custom_matcher": "custom matcher",
    "client_ip": "client IP",
}


def _fields(pattern: RequestPattern) -> Iterator[tuple[str, Any, RequestPattern]]:
    """(row label, the field's pattern, a request pattern testing only that field) for each field set."""
    empty = RequestPattern()
    if pattern.method != empty.method:
        yield "method", pattern.method, RequestPattern(method=pattern.method)
    url = pattern.url
    if url.kind != "anyUrl":
        yield url.kind, url.value, RequestPattern(url=url)
        for name, value in pattern.path_parameters.items():
            yield f"path parameter {name}", value, RequestPattern(url=url, path_parameters={name: value})
    # every other field, generically: the model gains fields as mockpit learns more of WireMock's format
    for spec in dataclasses.fields(pattern):
        key = spec.name
        value = getattr(pattern, key)
        if key in {"method", "url", "path_parameters"} or value == getattr(empty, key):
            continue
        label = _LABELS.get(key, key.replace("_", " "))
        only: dict[str, Any]  # the one field of a single-field pattern
        if isinstance(value, Mapping):
            for name, part in value.items():
                only = {key: {name: part}}
                yield f"{label} {name}", part, dataclasses.replace(empty, **only)
        elif isinstance(value, tuple) and key != "basic_auth":
            for part in value:
                only = {key: (part,)}
                yield label, part, dataclasses.replace(empty, **only)
        else:
            only = {key: value}
            yield label, value, dataclasses.replace(empty, **only)


def _describe(part: Any) -> str:
    """What a field's pattern wants, in the words the matcher uses for its differences."""
    if isinstance(part, ValuePattern):
        return _describe_value(part)
    if isinstance(part, MultiValuePattern):
        return f"{part.operator} [{', '.join(_describe_value(p) for p in part.patterns)}]"
    if isinstance(part, MultipartPattern):
        wanted = [f"header {name} {_describe(p)}" for name, p in part.headers.items()]
        wanted += [f"body {_describe_value(p)}" for p in part.body_patterns]
        return f"{part.matching_type or 'ANY'} part(s) with {'; '.join(wanted) or 'anything'}"
    if isinstance(part, CustomMatcherCall):
        return f"{part.name} {json.dumps(dict(part.parameters), default=str)}"
    if isinstance(part, tuple) and len(part) == 2:  # basic auth
        return f"user {part[0]!r} with the stub's password"
    return str(part)


def _describe_value(pattern: ValuePattern) -> str:
    op = pattern.operator
    if op in {"and", "or"}:
        return "(" + f" {op} ".join(_describe_value(p) for p in pattern.operands) + ")"
    if op == "not":
        return "not " + " ".join(_describe_value(p) for p in pattern.operands)
    if op in {"absent", "anything"}:
        return op
    value = pattern.value
    shown = json.dumps(value, separators=(",", ":"), ensure_ascii=False) if op == "equalToJson" else repr(value)
    text = f"{op} {shown}"
    if pattern.sub_pattern is not None:
        text += " " + _describe_value(pattern.sub_pattern)
    options = [
        name
        for name, on in (
            ("case-insensitive", pattern.case_insensitive),
            ("ignoreArrayOrder", pattern.ignore_array_order),
            ("ignoreExtraElements", pattern.ignore_extra_elements),
        )
        if on
    ]
    return text + (f" ({', '.join(options)})" if options else "")


def _actual(label: str, part: Any, single: RequestPattern, request: Request) -> str:
    """What the request had for a field that matched."""
    kind, _, name = label.partition(" ")
    if label == "method":
        return request.method
    if label in {"urlPath", "urlPathPattern", "urlPathTemplate"}:
        return request.path
    if label in {"url", "urlPattern"}:
        return request.url
    if label.startswith("path parameter "):
        return compile_pattern(RequestPattern(url=single.url)).match(request).captures.get(label[15:], _ABSENT)
    if label.startswith("query parameter "):
        return _values(request.query.get(label[16:], []))
    if label.startswith("form parameter "):
        return _values(parse_qs(request.text, keep_blank_values=True).get(label[15:], []))
    if kind == "header" and name:
        return _values(request.headers.get_all(name))
    if kind == "cookie" and name:
        return _values([request.cookies[name]] if name in request.cookies else [])
    if label == "body":
        return request.text or "(empty)"
    if label == "basic auth":
        return f"user {part[0]!r} (password not shown)"
    if label == "scheme":
        return request.scheme
    if label == "client IP":
        return request.client[0] if request.client else _ABSENT
    if label in {"host", "port"}:
        return request.headers.get("host", _ABSENT)
    return "(matches)"


def _values(values: list[str]) -> str:
    if not values:
        return _ABSENT
    return values[0] if len(values) == 1 else repr(values)


#: column widths are fitted to the content, up to these (a row of two full columns is ~100 characters)
_FIELD_WIDTH = 22
_VALUE_WIDTH = 36
#: a cell longer than this many lines is cut
_CELL_LINES = 6
_INDENT = "     "
_MARK = "   ! "
_EXPECTED = "expected (stub)"
_ACTUAL = "actual (request)"


def format_diff(rows: list[DiffRow]) -> list[str]:
    """The rows as a plain-text table; every line of a differing row starts with ``!``."""
    field_width = _fit([row.field for row in rows], "field", _FIELD_WIDTH)
    expected_width = _fit([row.expected for row in rows], _EXPECTED, _VALUE_WIDTH)
    actual_width = _fit([row.actual for row in rows], _ACTUAL, _VALUE_WIDTH)
    lines = [
        f"{_INDENT}{'field':<{field_width}} | {_EXPECTED:<{expected_width}} | {_ACTUAL}",
        f"{_INDENT}{'-' * field_width}-+-{'-' * expected_width}-+-{'-' * actual_width}",
    ]
    for row in rows:
        cells = [_cell(row.field, field_width), _cell(row.expected, expected_width), _cell(row.actual, actual_width)]
        prefix = _MARK if row.differs else _INDENT
        for i in range(max(len(cell) for cell in cells)):
            field, expected, actual = (cell[i] if i < len(cell) else "" for cell in cells)
            lines.append(f"{prefix}{field:<{field_width}} | {expected:<{expected_width}} | {actual}".rstrip())
    return lines


def _fit(texts: list[str], header: str, limit: int) -> int:
    longest = max((len(line) for text in texts for line in text.splitlines()), default=0)
    return min(limit, max(len(header), longest))


def _cell(text: str, width: int) -> list[str]:
    """``text`` wrapped to ``width``; past :data:`_CELL_LINES` lines it is cut and ends with ``...``."""
    lines: list[str] = []
    for line in text.splitlines() or [""]:
        # break_long_words: compact JSON and URLs have no spaces to break at
        lines.extend(textwrap.wrap(line, width, break_long_words=True, break_on_hyphens=False) or [""])
        if len(lines) > _CELL_LINES:
            break
    if len(lines) > _CELL_LINES:
        lines = lines[:_CELL_LINES]
        lines[-1] = lines[-1][: width - 3] + "..."
    return lines


def format_report(request: Request, misses: list[NearMiss]) -> str:
    """The plain-text report mockpit answers an unmatched request with (and prints, and fails tests with)."""
    lines = ["mockpit: no stub matched this request", "", f"  {request.method} {request.url}"]
    if request.content_type:
        lines.append(f"  Content-Type: {request.headers.get('content-type')}")
    if request.body:
        body = request.text
        lines.append(f"  body: {body if len(body) <= 200 else body[:200] + '...'}")
    lines.append("")
    if not misses:
        lines.append("There are no stubs at all: add one (MockServer.add_mapping, .when(...), or mappings/*.json).")
        return "\n".join(lines) + "\n"
    lines.append("Closest stubs:")
    for rank, miss in enumerate(misses, 1):
        label = miss.stub.describe() if miss.stub is not None else "the pattern"
        lines.extend(["", f"{rank}. {label}  distance {miss.distance:.2f}"])
        lines.extend(format_diff(diff_rows(miss)))
    return "\n".join(lines) + "\n"


def report_markup(report: str) -> str:
    """``report`` (from :func:`format_report`) as rich console markup: differing rows in red."""
    from rich.markup import escape

    out = []
    table_head = 0  # lines of a table's head still to come
    for line in report.splitlines():
        text = escape(line)
        if table_head:
            table_head -= 1
            out.append(f"[dim]{text}[/]")
        elif line.startswith(_MARK):
            out.append(f"[bold red]{text}[/]")
        elif line.startswith("mockpit: "):
            out.append(f"[bold yellow]{text}[/]")
        elif line[:1].isdigit():  # "1. <stub>  distance 0.12", then the table's head (2 lines)
            table_head = 2
            out.append(f"[bold]{text}[/]")
        else:
            out.append(text)
    return "\n".join(out) + "\n"
