"""Proxying: a stub with ``proxyBaseUrl`` forwards the request to a real server and streams its answer back.

The upstream URL is ``proxyBaseUrl`` followed by the request's path (less ``proxyUrlPrefixToRemove``) and
query string, as WireMock builds it. The body comes back as it arrives, byte for byte (still compressed
if the upstream compressed it), so a big download is never held in memory; the first
:data:`JOURNAL_BODY_LIMIT` bytes are kept in ``Response.body`` for the journal once the stream ends.
An upstream that cannot be reached becomes a 502 whose plain-text body says which URL failed, why, and
what to do about it.
"""

from __future__ import annotations

import http
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING

import httpx

from mockpit._model import Request, Response, ResponseDefinition

from .hops import MAX_HOPS, VIA, hops, loop_message
from .http_client import LoopBoundClient

if TYPE_CHECKING:
    import ssl

#: how much of a proxied body the journal keeps (the client gets all of it)
JOURNAL_BODY_LIMIT = 1024 * 1024
DEFAULT_TIMEOUT = 30.0

# RFC 9110 7.6.1: meant for one connection only, never forwarded. ``expect`` too: the body is already read.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# httpx sets Content-Length from the body it sends; the client's value could disagree with it
_NOT_FORWARDED = _HOP_BY_HOP | {"host", "content-length", "expect"}
_TEXT = [("Content-Type", "text/plain; charset=utf-8")]


class ProxyError(Exception):
    """The upstream broke off a response whose status and headers were already sent on."""


class ProxyClient:
    """Forwards requests to upstream servers; one per engine.

    It owns an :class:`httpx.AsyncClient`, made on first use (most servers never proxy) on the loop
    that serves requests; :meth:`aclose` closes it. Redirects are passed through, not followed.
    ``preserve_host_header`` sends the client's Host header upstream instead of the upstream's own
    (WireMock's ``--preserve-host-header``).
    """

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        verify: ssl.SSLContext | str | bool = True,
        preserve_host_header: bool = False,
    ) -> None:
        self.timeout = timeout
        self.verify = verify
        self.preserve_host_header = preserve_host_header
        self._client = LoopBoundClient()

    def upstream_url(self, request: Request, definition: ResponseDefinition) -> str:
        """Where ``request`` goes: ``proxyBaseUrl`` + path (less the prefix to remove) + query string."""
        path = request.path
        prefix = definition.proxy_url_prefix_to_remove
        if prefix and path.startswith(prefix):
            path = path[len(prefix) :]
        if path and not path.startswith("/"):
            path = "/" + path
        url = (definition.proxy_base_url or "").rstrip("/") + path
        return f"{url}?{request.query_string}" if request.query_string else url

    def upstream_headers(self, request: Request, definition: ResponseDefinition) -> list[tuple[str, str]]:
        """The request's headers as sent upstream: hop-by-hop ones and the removed ones out, additions in."""
        removed = set(_NOT_FORWARDED)
        removed.update(_connection_tokens(request.headers.get_all("connection")))
        removed.update(name.lower() for name in definition.remove_proxy_request_headers)
        added = definition.additional_proxy_request_headers
        # an added header replaces the client's value (WireMock sets it); otherwise there would be two
        removed.update(name.lower() for name, _ in added)
        headers = [(name, value) for name, value in request.headers.multi_items() if name.lower() not in removed]
        if self.preserve_host_header and "host" in request.headers:
            headers.append(("Host", request.headers["host"]))
        headers.extend(added)
        headers.append(VIA)
        return headers

    async def forward(self, request: Request, definition: ResponseDefinition) -> Response:
        """Send ``request`` upstream and answer with the upstream's response, its body streamed."""
        url = self.upstream_url(request, definition)
        if hops(request) >= MAX_HOPS:
            return Response(508, loop_message(request, url), headers=_TEXT)
        try:
            client = self._client.get(self.timeout, self.verify)
            # httpx.Request, not client.build_request: the client's default headers (Accept-Encoding:
            # gzip ...) would ask the upstream for an encoding the client may not understand
            upstream_request = httpx.Request(
                request.method, url, headers=self.upstream_headers(request, definition), content=request.body
            )
            upstream = await client.send(upstream_request, stream=True)
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            return self._bad_gateway(request, url, exc)
        try:
            headers = _response_headers(upstream.headers.raw)
            reason = upstream.reason_phrase or None
            if reason is not None and reason == _standard_phrase(upstream.status_code):
                reason = None  # a custom phrase costs the transport a rewrite of the status line
            response = Response(upstream.status_code, headers=headers, reason=reason)
        except ValueError as exc:  # a status outside 100-599
            await upstream.aclose()
            return self._bad_gateway(request, url, exc)
        response.stream = _tee(upstream, response, url)
        return response

    def _bad_gateway(self, request: Request, url: str, exc: Exception) -> Response:
        what, fix = _explain(exc, self.timeout)
        message = (
            f"mockpit: could not proxy {request.method} {request.url} to {url}: {what}\n"
            f"({type(exc).__name__}: {str(exc) or 'no detail'})\n"
            f"{fix}\n"
        )
        return Response(502, message, headers=_TEXT)

    async def aclose(self) -> None:
        """Close the upstream connections (the engine calls this when the server stops)."""
        await self._client.aclose()


async def _tee(upstream: httpx.Response, response: Response, url: str) -> AsyncIterator[bytes]:
    """The upstream's raw body chunk by chunk; keeps the start of it in ``response.body`` for the journal."""
    kept = bytearray()
    sent = 0
    try:
        async for chunk in upstream.aiter_raw():
            if len(kept) < JOURNAL_BODY_LIMIT:
                kept += chunk[: JOURNAL_BODY_LIMIT - len(kept)]
            sent += len(chunk)
            yield chunk
    except httpx.HTTPError as exc:
        # the status line is gone already: the client can only learn of it from a broken-off body
        raise ProxyError(
            f"the upstream {url} broke off its response after {sent} bytes of the body: {type(exc).__name__}: {exc}"
        ) from exc
    finally:
        response.body = bytes(kept)
        await upstream.aclose()


def _response_headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]
    # uvicorn writes its own Date and Server on every response: the upstream's would make two of each
    dropped = {*_HOP_BY_HOP, "date", "server"}
    dropped.update(_connection_tokens(value for name, value in headers if name.lower() == "connection"))
    # Content-Length and Content-Encoding stay: the body is sent on exactly as the upstream encoded it
    return [(name, value) for name, value in headers if name.lower() not in dropped]


def _connection_tokens(values: Iterable[str]) -> set[str]:
    """Header names listed in Connection headers: hop-by-hop too (RFC 9110 7.6.1)."""
    return {token.strip().lower() for value in values for token in value.split(",") if token.strip()}


def _standard_phrase(status: int) -> str | None:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return None


def _explain(exc: Exception, timeout: float) -> tuple[str, str]:
    """What went wrong in a user's words, and how to fix it."""
    text = str(exc)
    if isinstance(exc, httpx.ConnectTimeout):
        return (
            f"the upstream did not accept a connection within {timeout:g} s",
            "Check that the upstream host is reachable from here and that proxyBaseUrl is right.",
        )
    if isinstance(exc, httpx.TimeoutException):
        return (
            f"the upstream did not answer within {timeout:g} s",
            "The upstream is slow or stuck; check it, or give the proxy a longer timeout.",
        )
    if isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol)):
        return (
            "that is not a URL the proxy can send to",
            "Fix the stub's proxyBaseUrl (an http:// or https:// URL such as http://localhost:8000).",
        )
    if isinstance(exc, httpx.ConnectError) and ("SSL" in text or "CERTIFICATE" in text.upper()):
        return (
            "the TLS handshake with the upstream failed",
            "If the upstream's certificate is self-signed or from a private CA, point SSL_CERT_FILE at that "
            "CA's bundle; if it does not speak TLS at all, use http:// in proxyBaseUrl.",
        )
    if isinstance(exc, httpx.ConnectError):
        return (
            "could not connect to the upstream",
            "Check that the upstream server is running and that the host and port in proxyBaseUrl are right.",
        )
    if isinstance(exc, httpx.RemoteProtocolError):
        return (
            "the upstream did not send a valid HTTP response",
            "Check that proxyBaseUrl points at an HTTP server (and http:// versus https:// is right).",
        )
    if isinstance(exc, ValueError):
        return ("the upstream sent a response mockpit cannot pass on", "Check what the upstream sends.")
    return ("the request to the upstream failed", "Check the upstream and the stub's proxyBaseUrl.")
