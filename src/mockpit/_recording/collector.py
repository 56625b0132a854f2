"""Exchanges in, stubs out, one exchange at a time: what makes a recording replay as it was recorded.

:class:`StubCollector` decides what a stub matches (method, ``url`` as sent, the captured headers, the
body), what it answers (status, headers less the hop-by-hop and volatile ones, the body byte for
byte, inline or as a body file) and what is redacted; identical requests make one stub (the first
answer, as WireMock) or, with ``repeatsAsScenarios``, a scenario whose states replay the answers in
order. :func:`stubs_from_exchanges` runs one over a list (a snapshot, a HAR import); a live recording
feeds one exchange at a time and writes what each changed.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import re
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl

from mockpit._json import loads
from mockpit._mapping.files import safe_file_name
from mockpit._mapping.write import pattern_to_mapping
from mockpit._matching.pattern import CompiledPattern, compile_pattern
from mockpit._model import (
    STARTED,
    FieldPattern,
    Headers,
    MultiValuePattern,
    RequestPattern,
    ResponseDefinition,
    Stub,
    UrlMatch,
    ValuePattern,
    XmlOptions,
    dump_json,
)

from .exchange import Exchange, header, media_type, request_of
from .redaction import is_secret_header, recorded_response_headers, redact_json, redacted_parameters
from .spec import RecordSpec, transform


@dataclass(frozen=True)
class RecordedStub:
    """A recorded stub and the body files its response refers to: (name under ``__files/``, bytes)."""

    stub: Stub
    files: tuple[tuple[str, bytes], ...] = ()


# --- exchanges -> stubs ----------------------------------------------------------------------------

_BINARY_TYPES = re.compile(r"^(image|audio|video|font)/|octet-stream|pdf|zip|gzip|protobuf|msgpack|wasm", re.I)
# Every recorded stub's id is a UUID derived from what it matches: re-recording the same request
# rewrites the same files instead of adding a second stub that fights the first.
_ID_NAMESPACE = uuid.UUID("6f6a0d3c-5e0b-4f53-9d38-2b7c8d9f1e41")


def _as_text(body: bytes, headers: Iterable[tuple[str, str]]) -> str | None:
    """The body as text if it is text: not content-encoded, not a binary media type, valid UTF-8."""
    headers = list(headers)
    encoding = (header(headers, "content-encoding") or "identity").strip().lower()
    if encoding not in {"", "identity"} or _BINARY_TYPES.search(media_type(headers)):
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    # NUL and most control characters do not occur in text; their body is binary whatever it decodes to
    if any(ord(c) < 32 and c not in "\t\n\r\f" for c in text[:4096]):
        return None
    return text


class StubCollector:
    """Turns exchanges into recorded stubs one at a time, as a recording goes.

    :meth:`add` returns the stubs an exchange created or changed (``[]`` for a repeat that changes
    nothing, ``None`` for an exchange the filters leave out); :meth:`stubs` all of them, in the order
    of their first exchange. Thread-safe: a recorder feeds it from the server thread.
    """

    def __init__(self, spec: RecordSpec) -> None:
        self.spec = spec
        self._filter: CompiledPattern | None = (
            compile_pattern(spec.request_filter) if spec.request_filter is not None else None
        )
        self._url_pattern = re.compile(spec.url_pattern) if spec.url_pattern is not None else None
        self._path_pattern = re.compile(spec.url_path_pattern) if spec.url_path_pattern is not None else None
        self._methods = {m.upper() for m in spec.methods}
        self._capture = [(name, bool(ci)) for name, ci in spec.capture_headers.items()]
        # request key -> the stubs of that request, in order (more than one only with repeatsAsScenarios)
        self._groups: dict[str, list[RecordedStub]] = {}
        self._order: list[str] = []  # stub ids, in the order they were first recorded
        self._by_id: dict[str, RecordedStub] = {}
        self._lock = threading.Lock()

    def selects(self, exchange: Exchange) -> bool:
        """Whether the spec's filters let ``exchange`` be recorded."""
        if self._methods and "ANY" not in self._methods and exchange.method.upper() not in self._methods:
            return False
        if self._url_pattern is not None and not self._url_pattern.fullmatch(exchange.url):
            return False
        path = exchange.url.partition("?")[0]
        if self._path_pattern is not None and not self._path_pattern.fullmatch(path):
            return False
        return self._filter is None or self._filter.match(request_of(exchange)).matched

    def add(self, exchange: Exchange) -> list[RecordedStub] | None:
        if not self.selects(exchange):
            return None
        pattern, key = self._request_pattern(exchange)
        with self._lock:
            group = self._groups.setdefault(key, [])
            if group and not self.spec.repeats_as_scenarios:
                return []  # WireMock keeps the first answer to a request it has seen
            stub_id = str(uuid.uuid5(_ID_NAMESPACE, f"{key}#{len(group)}"))
            stub = Stub(
                request=pattern,
                response=ResponseDefinition(status=exchange.status),
                id=stub_id,
                name=_name_from_path(exchange.url),
                persistent=True if self.spec.persist else None,
                metadata={"mockpit": {"incomplete": exchange.incomplete}} if exchange.incomplete else None,
            )
            recorded = self._with_response(stub, exchange)
            changed = [recorded]
            if group:
                changed = self._continue_scenario(group, recorded)
            group.append(changed[-1])
            for item in changed:
                if item.stub.id not in self._by_id:
                    self._order.append(item.stub.id)
                self._by_id[item.stub.id] = item
            return [self._transformed(item) for item in changed]

    def stubs(self) -> list[RecordedStub]:
        with self._lock:
            return [self._transformed(self._by_id[stub_id]) for stub_id in self._order]

    def _continue_scenario(self, group: list[RecordedStub], new: RecordedStub) -> list[RecordedStub]:
        """Make ``new`` the next step of the scenario of ``group``'s request: the steps before it replay first.

        As WireMock: step 1 requires ``Started``, step n requires state ``n``; each step but the last
        moves the scenario on, so the last answer repeats once the others are used up.
        """
        first = group[0].stub
        name = first.scenario_name or _scenario_name(first)
        step = len(group) + 1
        previous = group[-1]
        previous_stub = replace(
            previous.stub,
            scenario_name=name,
            required_scenario_state=previous.stub.required_scenario_state or STARTED,
            new_scenario_state=str(step),
        )
        group[-1] = RecordedStub(previous_stub, previous.files)
        current = RecordedStub(
            replace(new.stub, scenario_name=name, required_scenario_state=str(step), new_scenario_state=None),
            new.files,
        )
        return [group[-1], current]

    def _transformed(self, recorded: RecordedStub) -> RecordedStub:
        stub = transform(recorded.stub, self.spec)
        return recorded if stub is recorded.stub else RecordedStub(stub, recorded.files)

    # --- the request side --------------------------------------------------------------------------

    def _request_pattern(self, exchange: Exchange) -> tuple[RequestPattern, str]:
        spec = self.spec
        headers = Headers(exchange.request_headers)
        captured: dict[str, FieldPattern] = {}
        for name, case_insensitive in self._capture:
            values = headers.get_all(name)
            if not values:
                continue
            if is_secret_header(name) and not spec.keep_secrets:
                # the value must not be on disk; any value matches, so the recorded client still replays
                captured[name] = ValuePattern("matches", ".+")
                continue
            patterns = tuple(ValuePattern("equalTo", v, case_insensitive=case_insensitive) for v in values)
            captured[name] = patterns[0] if len(patterns) == 1 else MultiValuePattern("hasExactly", patterns)
        url, query = self._url(exchange.url)
        form = self._secret_form(exchange)
        body = self._body_pattern(exchange) if form is None else None
        pattern = RequestPattern(
            method=exchange.method.upper(),
            url=url,
            query_parameters=query,
            headers=captured,
            body_patterns=(body,) if body is not None else (),
            form_parameters=form or {},
        )
        return pattern, _key(pattern)

    def _url(self, url: str) -> tuple[UrlMatch, dict[str, FieldPattern]]:
        """``url`` as sent; with a secret in the query (``?api_key=...``) and no ``keep_secrets``, the path
        and each parameter, the secret ones matching any value."""
        path, _, query = url.partition("?")
        if not query:
            return UrlMatch("url", url), {}
        parameters = redacted_parameters(query, keep_secrets=self.spec.keep_secrets)
        if parameters is None:
            # WireMock's shape: the path, and each parameter with exactly its values (checked on 3.13.2)
            values: dict[str, list[str]] = {}
            for name, value in parse_qsl(query, keep_blank_values=True):
                values.setdefault(name, []).append(value)
            parameters = {
                name: MultiValuePattern("hasExactly", tuple(ValuePattern("equalTo", v) for v in given))
                for name, given in values.items()
            }
        return UrlMatch("urlPath", path), parameters

    def _secret_form(self, exchange: Exchange) -> dict[str, FieldPattern] | None:
        """A form body with a secret field (``password=...``) as its fields, the secret ones matching any value."""
        if media_type(exchange.request_headers) != "application/x-www-form-urlencoded":
            return None
        try:
            text = exchange.request_body.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return redacted_parameters(text, keep_secrets=self.spec.keep_secrets)

    def _body_pattern(self, exchange: Exchange) -> ValuePattern | None:
        spec = self.spec
        body = exchange.request_body
        matcher = spec.request_body_pattern
        if not body or matcher == "none":
            return None
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            # equalTo compares text: bytes that are no UTF-8 would not survive it
            return ValuePattern("binaryEqualTo", base64.b64encode(body).decode("ascii"))
        media = media_type(exchange.request_headers)
        if matcher == "auto":
            if "json" in media or (not media and text.lstrip()[:1] in {"{", "["}):
                matcher = "equalToJson"
            elif "xml" in media:
                matcher = "equalToXml"
            else:
                matcher = "equalTo"
        if matcher == "equalToJson":
            try:
                parsed = loads(text)
            except ValueError:
                matcher = "equalTo"  # labelled JSON but is not: compare the text
            else:
                if not spec.keep_secrets and redact_json(parsed):
                    text = json.dumps(parsed, ensure_ascii=False)
                return ValuePattern(
                    "equalToJson",
                    text,
                    ignore_array_order=spec.ignore_array_order,
                    ignore_extra_elements=spec.ignore_extra_elements,
                )
        if matcher == "equalToXml":
            return ValuePattern("equalToXml", text, xml=XmlOptions())
        return ValuePattern("equalTo", text, case_insensitive=spec.case_insensitive)

    # --- the response side -------------------------------------------------------------------------

    def _with_response(self, stub: Stub, exchange: Exchange) -> RecordedStub:
        spec = self.spec
        headers = recorded_response_headers(exchange, keep_secrets=spec.keep_secrets)
        body = exchange.response_body
        response = ResponseDefinition(status=exchange.status, headers=headers)
        if not body:
            return RecordedStub(replace(stub, response=response))
        if media_type(headers) == "text/event-stream":  # replayed event by event, with its timing
            from .sse import recorded_stream

            return RecordedStub(
                replace(stub, response=replace(response, sse=recorded_stream(body, exchange.chunk_times)))
            )
        text = _as_text(body, exchange.response_headers)
        extract = spec.persist and (
            (text is not None and len(body) >= spec.extract_body_min_size)
            or (text is None and spec.extract_binary and len(body) >= spec.extract_binary_min_size)
        )
        if extract:
            name = safe_file_name(stub) + _extension(headers)
            response = replace(response, body_file_name=name)
            return RecordedStub(replace(stub, response=response), ((name, body),))
        if text is None:
            response = replace(response, base64_body=base64.b64encode(body).decode("ascii"))
        elif _as_json_body(text, body, headers) is not None:
            response = replace(response, json_body=loads(text))
        else:
            response = replace(response, body=text)
        return RecordedStub(replace(stub, response=response))


def _as_json_body(text: str, body: bytes, headers: Iterable[tuple[str, str]]) -> Any:
    """The parsed JSON when ``jsonBody`` replays ``body`` byte for byte (mockpit writes compact JSON), else None.

    Only with a Content-Type: a ``jsonBody`` without one gets ``application/json`` added on replay.
    """
    if "json" not in media_type(headers):
        return None
    try:
        value = loads(text)
    except ValueError:
        return None
    if value is None or not isinstance(value, (dict, list)):
        return None
    return value if dump_json(value) == body else None


def _extension(headers: Iterable[tuple[str, str]]) -> str:
    """A body file's extension, from its Content-Type. None when it has no Content-Type: mockpit would
    answer with the type the extension suggests, a header the recorded response did not have."""
    headers = list(headers)
    media = media_type(headers)
    if not media:
        return ""
    encoding = (header(headers, "content-encoding") or "identity").strip().lower()
    if encoding not in {"", "identity"}:
        return ".bin"  # the bytes are compressed: a .json file that is gzip would mislead
    if "json" in media:
        return ".json"
    return mimetypes.guess_extension(media, strict=False) or ".bin"


def _scenario_name(stub: Stub) -> str:
    # a scenario is the series of answers to one request: its name says which, and its id's start keeps
    # two recordings of different requests on the same path (other query, other body) apart
    path = (stub.request.url.value or "").partition("?")[0]
    slug = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-").lower()[:60] or "root"
    return f"recording-{slug}-{stub.id[:8]}"


def _key(pattern: RequestPattern) -> str:
    """What makes two requests the same request: the pattern their stub would have (JSON bodies as JSON)."""
    mapping = pattern_to_mapping(pattern)
    for body in mapping.get("bodyPatterns", ()):
        if "equalToJson" in body:
            body["equalToJson"] = loads(body["equalToJson"])
    return json.dumps(mapping, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def stubs_from_exchanges(exchanges: Iterable[Exchange], spec: RecordSpec) -> list[RecordedStub]:
    """The stubs that replay ``exchanges`` as ``spec`` says (filters, dedupe or scenarios, redaction ...).

    Identical requests (same method, URL, captured headers and body) make one stub with the first
    answer, or with ``repeats_as_scenarios`` one stub per answer, replayed in order.
    """
    collector = StubCollector(spec)
    for exchange in exchanges:
        collector.add(exchange)
    return collector.stubs()


def _name_from_path(url: str) -> str | None:
    """WireMock's name for a recorded stub: the path's segments joined by ``_`` (``/rec/items``: ``rec_items``)."""
    path = url.partition("?")[0]
    return re.sub(r"[^A-Za-z0-9-]+", "_", path).strip("_") or None
