"""How one operation's stub answers: validation, ``Prefer``, content negotiation, examples or generated data.

The handler validates the request against the document (a violation gets a 422
``application/problem+json`` listing each one) and answers with the document's example, or data
generated from the response schema, deterministic for a seed. Callers steer the answer as with Prism:
``Prefer: code=404``, ``Prefer: example=name``, ``Prefer: dynamic=true``.

Everything that can be prepared is prepared when the handler is made (validators, the default answer's
bytes and headers); a request costs its validation and, only when sent, the ``Prefer`` header.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mockpit._errors import MappingError
from mockpit._model import Request, ResponseDefinition, dump_json
from mockpit._model import Response as _Response
from mockpit._types import JSON

from .data import DataGenerator
from .document import OpenApiDocument, Operation
from .validation import RequestValidator, Violation

PROBLEM_TYPE = "application/problem+json"
_JSON_MEDIA = re.compile(r"^application/(.+\+)?json$")


@dataclass
class _Media:
    """One media type of one response: its examples, its schema and the default body, encoded."""

    media_type: str  # what is sent as Content-Type
    schema: Any
    examples: dict[str, JSON]
    value: JSON
    has_body: bool
    body: bytes = b""

    @property
    def is_json(self) -> bool:
        return bool(_JSON_MEDIA.match(self.media_type.split(";", 1)[0].strip().lower()))


@dataclass
class _Answer:
    """One response of the operation (``"200"``, ``"4XX"``, ``"default"``), ready to send."""

    key: str
    status: int
    headers: list[tuple[str, str]]
    media: list[_Media]
    responses: dict[str, _Response] = field(default_factory=dict)  # media type -> prepared response

    def response(self, media: _Media | None, status: int | None = None) -> _Response:
        status = status or self.status
        if media is None:
            return _Response(status, b"", headers=self.headers)
        return _Response(status, media.body, headers=[*self.headers, ("Content-Type", media.media_type)])


class OperationHandler:
    """The answer of one operation's stub: an async callable (it runs on the event loop, never a thread)."""

    __slots__ = (
        "_answers",
        "_counter",
        "_default",
        "_default_answer",
        "_generator",
        "_negotiate",
        "_problem_status",
        "_seed",
        "_validator",
        "document",
        "operation",
    )

    def __init__(
        self,
        document: OpenApiDocument,
        operation: Operation,
        generator: DataGenerator,
        *,
        seed: int = 0,
        validate: bool = True,
    ) -> None:
        self.document = document
        self.operation = operation
        self._generator = generator
        self._seed = seed
        self._counter = itertools.count(1)
        validator = RequestValidator(document, operation) if validate else None
        self._validator = None if validator is None or validator.checks_nothing else validator
        codes = operation.responses
        self._problem_status = 422 if "422" in codes or "400" not in codes else 400
        self._answers: dict[str, _Answer] = {}
        try:
            for key, response in codes.items():
                self._answers[key] = self._prepare(key, response)
        except MappingError as exc:
            raise MappingError(exc.message, source=document.source, field=exc.location or operation.location) from None
        self._default_answer = self._answers.get(_default_key(list(codes))) if codes else None
        answer = self._default_answer
        self._negotiate = answer is not None and len(answer.media) > 1
        if answer is None:
            self._default = _Response(200, b"")
        else:
            self._default = answer.response(answer.media[0] if answer.media else None)

    def __repr__(self) -> str:
        return f"<OpenAPI {self.operation.label}>"

    # --- preparing -----------------------------------------------------------------------------------

    def _rng(self, *parts: object) -> random.Random:
        # seeded by the operation, not by its place in the document: adding an operation changes no other
        return random.Random(":".join(map(str, (self._seed, self.operation.method, self.operation.path, *parts))))

    def _prepare(self, key: str, response: Mapping[str, Any]) -> _Answer:
        status = _status_of(key)
        headers: list[tuple[str, str]] = []
        for name, declared in (response.get("headers") or {}).items():
            header = self.document.resolve_object(declared)
            if name.lower() == "content-type" or not isinstance(header, Mapping):
                continue
            value = self._header_value(header, name, key)
            if value is not None:
                headers.append((name, value))
        media_list = []
        generated: dict[str, JSON] = {}  # media types often share a schema: generate it once
        content = response.get("content") or {}
        for media_type, declared_media in content.items():
            entry = declared_media if isinstance(declared_media, Mapping) else {}
            examples: dict[str, JSON] = {}
            if "example" in entry:
                examples["example"] = entry["example"]
            for name, declared_example in (entry.get("examples") or {}).items():
                example = self.document.resolve_object(declared_example)
                if isinstance(example, Mapping) and "value" in example:
                    examples[name] = example["value"]
            schema = entry.get("schema")
            if examples:
                value, has_body = next(iter(examples.values())), True
            elif schema is not None:
                shape = json.dumps(schema, sort_keys=True)
                if shape not in generated:
                    generated[shape] = self._generator.generate(schema, self._rng(key))
                value, has_body = generated[shape], True
            else:
                value, has_body = None, False
            media = _Media(_concrete(media_type), schema, examples, value, has_body)
            media.body = _encode(media, value) if has_body else b""
            media_list.append(media)
        # JSON first: what a client gets when it does not say what it accepts
        media_list.sort(key=lambda m: not m.is_json)
        return _Answer(key, status, headers, media_list)

    def _header_value(self, header: Mapping[str, Any], name: str, key: str) -> str | None:
        if "example" in header:
            value = header["example"]
        elif isinstance(header.get("examples"), Mapping) and header["examples"]:
            first = self.document.resolve_object(next(iter(header["examples"].values())))
            value = first.get("value") if isinstance(first, Mapping) else None
        elif header.get("schema") is not None:
            value = self._generator.generate(header["schema"], self._rng(key, "header", name))
        else:
            return None
        return _header_text(value)

    def default_definition(self, handler: OperationHandler | None) -> ResponseDefinition:
        """The stub's response: the default answer as data (what the admin API and mapping files show)."""
        answer = self._default_answer
        if answer is None:
            return ResponseDefinition(status=200, handler=handler)
        media = answer.media[0] if answer.media else None
        headers = list(answer.headers)
        json_body: JSON = None
        body: str | None = None
        if media is not None and media.has_body:
            headers.append(("Content-Type", media.media_type))
            if media.is_json and media.value is not None:
                json_body = media.value
            else:
                body = media.body.decode("utf-8", errors="replace")
        return ResponseDefinition(
            status=answer.status, headers=tuple(headers), json_body=json_body, body=body, handler=handler
        )

    # --- answering -------------------------------------------------------------------------------------

    async def __call__(self, request: Request) -> _Response:
        validator = self._validator
        if validator is not None:
            violations = validator.validate(request)
            if violations:
                return self._invalid(violations)
        prefer = request.headers.get("prefer")
        if prefer is not None:
            return self._preferred(request, prefer)
        if self._negotiate:
            answer = self._default_answer
            assert answer is not None
            media = _negotiate(answer.media, request.headers.get("accept"))
            if media is not answer.media[0]:
                return answer.response(media)
        return self._default

    def _preferred(self, request: Request, header: str) -> _Response:
        wanted = _parse_prefer(header)
        if not wanted:
            return self._default
        answer = self._default_answer
        status: int | None = None
        if "code" in wanted:
            try:
                status = int(wanted["code"])
            except ValueError:
                return self._unsatisfiable(f"Prefer code={wanted['code']!r} is not a status code")
            key = _answer_key(status, list(self._answers))
            if key is None:
                defined = ", ".join(self._answers) or "none"
                return self._unsatisfiable(f"the document defines no {status} response here (it has: {defined})")
            answer = self._answers[key]
        if answer is None:
            return self._default
        media = _negotiate(answer.media, request.headers.get("accept")) if len(answer.media) > 1 else None
        media = media or (answer.media[0] if answer.media else None)
        if "example" in wanted:
            name = wanted["example"]
            holder = next((m for m in ([media] if media else []) + answer.media if name in m.examples), None)
            if holder is None:
                names = sorted({n for m in answer.media for n in m.examples})
                listed = ", ".join(names) if names else "none"
                return self._unsatisfiable(
                    f"there is no example {name!r} in the {answer.key} response (it has: {listed})"
                )
            return _Response(
                status or answer.status,
                _encode(holder, holder.examples[name]),
                headers=[*answer.headers, ("Content-Type", holder.media_type)],
            )
        if wanted.get("dynamic", "").lower() == "true" and media is not None and media.schema is not None:
            value = self._generator.generate(media.schema, self._rng("dynamic", next(self._counter)), dynamic=True)
            return _Response(
                status or answer.status,
                _encode(media, value),
                headers=[*answer.headers, ("Content-Type", media.media_type)],
            )
        return answer.response(media, status)

    def _invalid(self, violations: list[Violation]) -> _Response:
        status = self._problem_status
        each = [str(v) for v in violations]
        problem = {
            "type": "urn:mockpit:problem:request-validation",
            "title": "The request does not match the OpenAPI document",
            "status": status,
            "detail": f"{self.operation.label}: {'; '.join(each)}",
            "violations": [v.to_json() for v in violations],
        }
        response = _Response(status, dump_json(problem), headers=[("Content-Type", PROBLEM_TYPE)])
        response.why = ("the request does not match the OpenAPI document", *each)  # the stub names the operation
        return response

    def _unsatisfiable(self, detail: str) -> _Response:
        problem = {
            "type": "urn:mockpit:problem:prefer",
            "title": "The Prefer header asks for an answer the OpenAPI document does not describe",
            "status": 400,
            "detail": f"{self.operation.label}: {detail}",
        }
        response = _Response(400, dump_json(problem), headers=[("Content-Type", PROBLEM_TYPE)])
        response.why = ("the Prefer header asks for an answer the OpenAPI document does not describe", detail)
        return response


def _default_key(keys: list[str]) -> str:
    """The response a request gets by default: the lowest 2xx, a 2XX range, then 3xx, default, the rest."""

    def rank(key: str) -> tuple[int, int]:
        if key.isdigit():
            code = int(key)
            return (0 if 200 <= code < 300 else 2 if 300 <= code < 400 else 4, code)
        if key.upper() == "2XX":
            return (1, 200)
        if key == "default":
            return (3, 0)
        return (5, 0)

    return min(keys, key=rank)


def _answer_key(status: int, keys: list[str]) -> str | None:
    for key in (str(status), f"{status // 100}XX", f"{status // 100}xx", "default"):
        if key in keys:
            return key
    return None


def _status_of(key: str) -> int:
    if key.isdigit():
        return int(key)
    if len(key) == 3 and key[0] in "12345" and key[1:].upper() == "XX":
        return int(key[0]) * 100
    return 200  # "default", when it is what a request gets without asking


def _concrete(media_type: str) -> str:
    """What to send for a media range the document gives (``application/*``, ``*/*``)."""
    major = media_type.split("/", 1)[0]
    if media_type.startswith(("*/*", "application/*")):
        return "application/json"
    if major == "text" and "*" in media_type:
        return "text/plain"
    return media_type


def _encode(media: _Media, value: JSON) -> bytes:
    if media.is_json:
        return dump_json(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes):
        return value
    return dump_json(value)


def _header_text(value: Any) -> str:
    """A header value in OpenAPI's ``simple`` style: arrays and objects comma-separated."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_header_text(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k},{_header_text(v)}" for k, v in value.items())
    if value is None:
        return ""
    return str(value)


def _parse_prefer(header: str) -> dict[str, str]:
    """``Prefer: code=404, example=cat`` (RFC 7240; Prism also takes ``;``) -> ``{"code": "404", ...}``."""
    out: dict[str, str] = {}
    for part in re.split(r"[,;]", header):
        name, sep, value = part.strip().partition("=")
        if sep and name:
            out.setdefault(name.strip().lower(), value.strip().strip('"'))
    return out


def _negotiate(media: list[_Media], accept: str | None) -> _Media | None:
    """The media type the client prefers by its Accept header (the document's order breaks ties)."""
    if not media:
        return None
    if not accept:
        return media[0]
    ranges: list[tuple[float, str]] = []
    for part in accept.split(","):
        kind, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        ranges.append((q, kind.lower()))
    best, best_q = media[0], 0.0
    for candidate in media:
        mine = candidate.media_type.split(";", 1)[0].strip().lower()
        for q, kind in ranges:
            if q > best_q and (kind in {mine, "*/*"} or (kind.endswith("/*") and mine.startswith(kind[:-1]))):
                best, best_q = candidate, q
    return best
