"""The common stub mapping read without pydantic: an exact method and URL, a status, headers and a
body (plain, JSON or templated), a fixed delay.

Most mapping files hold thousands of those (recordings, generated fixtures); validating each with the
pydantic models cost most of the time 10,000 stubs took to load. :func:`simple_stub` takes a mapping
only when every field in it is of this subset and of exactly the type the models would accept without
converting it; it returns None for anything else (a matcher, a regex, a field of another type, a
mistake), which then goes through the models as before, so that their checks and their error messages
stay the only ones. ``tests/test_mapping_fast.py`` checks that both paths make the same stub.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from mockpit._model import ANY_URL, RequestPattern, ResponseDefinition, Stub, UrlMatch

_STUB_KEYS = frozenset({"id", "uuid", "name", "request", "response", "insertionIndex"})
_REQUEST_KEYS = frozenset({"method", "url", "urlPath"})
_RESPONSE_KEYS = frozenset({"status", "headers", "body", "jsonBody", "fixedDelayMilliseconds", "transformers"})
_TRANSFORMERS = frozenset({"response-template", "jinja"})  # _mapping.models.TRANSFORMERS
_METHOD = re.compile(r"[A-Za-z]+")
_NONE: Mapping[str, Any] = MappingProxyType({})


#: header lists many stubs have alike (``Content-Type: application/json``), kept once: 10,000 stubs
#: from one recording would otherwise hold 10,000 equal tuples (about 1 MB). Bounded, so that stubs
#: with unique headers (an ETag each) do not grow it without end.
_HEADER_LISTS: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = {}


def _shared(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    kept = _HEADER_LISTS.get(headers)
    if kept is not None:
        return kept
    if len(_HEADER_LISTS) < 1024:
        _HEADER_LISTS[headers] = headers
    return headers


def simple_stub(data: Mapping[str, Any]) -> Stub | None:
    """The stub ``data`` defines, if it is of the common subset; else None (read it with the models)."""
    if type(data) is not dict or not data.keys() <= _STUB_KEYS:
        return None
    stub_id, uuid, name = data.get("id"), data.get("uuid"), data.get("name")
    for text in (stub_id, uuid, name):
        if text is not None and type(text) is not str:
            return None
    if stub_id and uuid and stub_id != uuid:
        return None
    index = data.get("insertionIndex")
    if index is not None and type(index) is not int:
        return None
    request = _request(data.get("request", {}))
    response = _response(data.get("response", {}))
    if request is None or response is None:
        return None
    chosen = stub_id or uuid
    if chosen:
        return Stub(request=request, response=response, name=name, id=chosen)
    return Stub(request=request, response=response, name=name)


def _request(data: Any) -> RequestPattern | None:
    if type(data) is not dict or not data.keys() <= _REQUEST_KEYS:
        return None
    method = data.get("method", "ANY")
    if type(method) is not str:
        return None
    if method.upper() == "GET_OR_HEAD":
        method = "GET_OR_HEAD"
    elif _METHOD.fullmatch(method):
        method = sys.intern(method.upper())
    else:
        return None
    url = ANY_URL
    given = [(kind, data[kind]) for kind in ("url", "urlPath") if data.get(kind) is not None]
    if len(given) > 1:
        return None
    if given:
        kind, value = given[0]
        if type(value) is not str or not value.startswith("/"):
            return None
        url = UrlMatch(kind, value)  # type: ignore[arg-type]
    return RequestPattern(
        method=method,
        url=url,
        path_parameters=_NONE,
        query_parameters=_NONE,
        headers=_NONE,
        cookies=_NONE,
        form_parameters=_NONE,
    )


def _response(data: Any) -> ResponseDefinition | None:
    if type(data) is not dict or not data.keys() <= _RESPONSE_KEYS:
        return None
    status = data.get("status", 200)
    if type(status) is not int or not 100 <= status <= 599:
        return None
    headers: list[tuple[str, str]] = []
    given_headers = data.get("headers")
    if given_headers is not None:
        if type(given_headers) is not dict:
            return None
        for header, value in given_headers.items():
            if type(header) is not str:
                return None
            values = [value] if type(value) is str else value
            if type(values) is not list or any(type(v) is not str for v in values):
                return None
            headers.extend((sys.intern(header), sys.intern(v)) for v in values)
    body, json_body = data.get("body"), data.get("jsonBody")
    if body is not None and (type(body) is not str or json_body is not None):
        return None
    delay = data.get("fixedDelayMilliseconds")
    if delay is not None and (type(delay) is not int or delay < 0):
        return None
    transformers = data.get("transformers")
    if transformers is not None:
        if type(transformers) is not list or any(type(t) is not str for t in transformers):
            return None
        if not set(transformers) <= _TRANSFORMERS or len(set(transformers)) > 1:
            return None
    return ResponseDefinition(
        status=status,
        headers=_shared(tuple(headers)),
        body=body,
        json_body=json_body,
        fixed_delay_ms=delay,
        transformers=tuple(transformers or ()),
    )
