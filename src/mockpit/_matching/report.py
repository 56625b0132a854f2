"""The near-miss report: the plain-text answer to an unmatched request.

A side-by-side table per stub (:func:`format_report`), ``expected (stub) | actual (request)``, one row
per field, differing rows marked ``!``; the same report with colours for the console
(:func:`report_markup`); and its one-line summary (:func:`summarise_misses`).
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from mockpit._model import CustomMatcherCall, MultipartPattern, MultiValuePattern, Request, RequestPattern, ValuePattern

from .near_miss import NearMiss
from .pattern import compile_pattern

_ABSENT = "(absent)"


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


#: characters of one value in the one-line summary; the whole report has the rest
_SUMMARY_VALUE = 60


def summarise_misses(misses: list[NearMiss]) -> str:
    """One line on the closest stub and what differed first, for the console (the report has the rest)."""
    if not misses:
        return "no stub matched (there are no stubs)"
    closest = misses[0]
    label = closest.stub.describe() if closest.stub is not None else "the pattern"
    differences = closest.differences
    if not differences:
        return f"no stub matched; closest {label}"
    first = differences[0]
    more = f" (and {len(differences) - 1} more)" if len(differences) > 1 else ""
    expected, actual = _short(first.expected), _short(first.actual)
    return f"no stub matched; closest {label}: {first.field} expected {expected}, got {actual}{more}"


def _short(value: str) -> str:
    value = " ".join(value.split())  # one line: a multi-line body becomes spaces
    return value if len(value) <= _SUMMARY_VALUE else value[: _SUMMARY_VALUE - 3] + "..."
