"""What a recording must not keep: secrets (credentials, cookies, API keys, tokens, passwords) in
headers, query parameters, form fields and JSON bodies; and the response headers that are hop-by-hop
or change with every response (a date, a request or trace id).

A redacted request still matches what the recorded client sends: a secret becomes a pattern that
matches any value, not a value of its own. A redacted response answers ``REDACTED`` in its place.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from mockpit._model import FieldPattern, MultiValuePattern, ValuePattern

from .exchange import Exchange

#: what a secret is redacted to
REDACTED = "REDACTED"

_SECRET_NAMES = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})
_SECRET_PATTERN = re.compile(r"token|secret|api[-_]?key|password|passwd", re.IGNORECASE)
# RFC 9110 7.6.1 hop-by-hop headers, and framing mockpit recomputes for the replayed body
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)
# different on every response: replaying a recorded one says something false (the server adds its own
# Date and Server); trace and request ids would make every replay claim to be the recorded request
_VOLATILE = frozenset(
    {
        "date",
        "server",
        # names the upstream's stub (a WireMock or mockpit upstream); the replaying stub adds its own
        "matched-stub-id",
        "age",
        "via",
        "x-request-id",
        "request-id",
        "x-correlation-id",
        "correlation-id",
        "x-amzn-requestid",
        "x-amz-request-id",
        "x-amz-id-2",
        "x-amz-cf-id",
        "x-amzn-trace-id",
        "x-github-request-id",
        "x-trace-id",
        "traceparent",
        "tracestate",
        "x-b3-traceid",
        "x-b3-spanid",
        "x-b3-parentspanid",
        "x-b3-sampled",
        "x-cloud-trace-context",
        "cf-ray",
        "x-runtime",
        "x-served-by",
        "x-timer",
    }
)
_REQUEST_ID = re.compile(r"(^|-)(request|correlation|trace)-?id$", re.IGNORECASE)


def is_secret_header(name: str) -> bool:
    """Whether header ``name`` carries a secret: credentials, cookies, API keys, tokens, passwords."""
    return name.lower() in _SECRET_NAMES or _SECRET_PATTERN.search(name) is not None


def is_volatile_header(name: str) -> bool:
    """Whether response header ``name`` changes with every response (a date, a request or trace id)."""
    lower = name.lower()
    return lower in _VOLATILE or _REQUEST_ID.search(lower) is not None


def _redact_set_cookie(value: str) -> str:
    """``session=abc; Path=/; HttpOnly`` -> ``session=REDACTED; Path=/; HttpOnly``: the name and attributes stay."""
    pair, sep, attributes = value.partition(";")
    name, eq, _ = pair.partition("=")
    return f"{name}{eq}{REDACTED}{sep}{attributes}" if eq else f"{REDACTED}{sep}{attributes}"


def recorded_response_headers(exchange: Exchange, *, keep_secrets: bool) -> tuple[tuple[str, str], ...]:
    """The response headers a recorded stub answers with: less hop-by-hop and volatile ones, secrets redacted."""
    connection = {
        token.strip().lower()
        for name, value in exchange.response_headers
        if name.lower() == "connection"
        for token in value.split(",")
    }
    kept: list[tuple[str, str]] = []
    for name, value in exchange.response_headers:
        lower = name.lower()
        # a HEAD response has no body: its Content-Length describes the resource and is worth keeping
        framing = lower == "content-length" and exchange.method == "HEAD"
        if (lower in _HOP_BY_HOP and not framing) or lower in connection or is_volatile_header(lower):
            continue
        if not keep_secrets and is_secret_header(lower):
            kept.append((name, _redact_set_cookie(value) if lower == "set-cookie" else REDACTED))
        else:
            kept.append((name, value))
    return tuple(kept)


def redact_json(value: Any) -> bool:
    """Replace the values of secret fields (``password``, ``api_key`` ...) in place with JsonUnit's
    ``${json-unit.ignore}``, which equalToJson matches with any value; whether there were any."""
    found = False
    if isinstance(value, dict):
        for key, child in value.items():
            if is_secret_header(key) and not isinstance(child, (dict, list)):
                value[key] = "${json-unit.ignore}"
                found = True
            else:
                found = redact_json(child) or found
    elif isinstance(value, list):
        for child in value:
            found = redact_json(child) or found
    return found


def redacted_parameters(encoded: str, *, keep_secrets: bool) -> dict[str, FieldPattern] | None:
    """Patterns for ``a=1&token=s`` that keep no secret value, or None if it holds no secret."""
    pairs = parse_qsl(encoded, keep_blank_values=True)
    if keep_secrets or not any(is_secret_header(name) for name, _ in pairs):
        return None
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    out: dict[str, FieldPattern] = {}
    for name, given in values.items():
        secret = is_secret_header(name)
        patterns = tuple(ValuePattern("matches", ".*") if secret else ValuePattern("equalTo", v) for v in given)
        out[name] = patterns[0] if len(patterns) == 1 else MultiValuePattern("hasExactly", patterns)
    return out
