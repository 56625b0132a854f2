"""What a recording is made of: :class:`Exchange`, one request and what the client got, as plain bytes
and header pairs; how one comes from the server's journal; and the reading of its header pairs.

An exchange knows nothing of stubs, so that a live recording, a snapshot of the journal and a HAR
import all feed the same collector.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mockpit._model import Request

if TYPE_CHECKING:
    from mockpit._engine.journal import ServeEvent


@dataclass(frozen=True)
class Exchange:
    """One recorded request and what the client got.

    ``url`` is the path and query as sent (``/users?page=2``); header names keep their case. ``incomplete``
    says why ``response_body`` may be less than the upstream meant to send (it broke off midway, the
    client left, the journal kept only the start of it); the stub made from it notes that in its metadata.
    """

    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...]
    request_body: bytes
    status: int
    response_headers: tuple[tuple[str, str], ...]
    response_body: bytes
    timestamp: float = 0.0
    incomplete: str | None = None
    #: when the body's chunks reached the client: (end offset in the body, seconds since the first was
    #: asked for); recorded for streams, so that an event stream replays with its timing
    chunk_times: tuple[tuple[int, float], ...] = ()


def media_type(headers: Iterable[tuple[str, str]]) -> str:
    """The media type of ``headers``' Content-Type, lower case and without parameters (``""`` without one)."""
    value = next((v for n, v in headers if n.lower() == "content-type"), "")
    return value.split(";", 1)[0].strip().lower()


def header(headers: Iterable[tuple[str, str]], wanted: str) -> str | None:
    """The first value of header ``wanted`` (lower case) in ``headers``, or None."""
    return next((v for n, v in headers if n.lower() == wanted), None)


def request_of(exchange: Exchange) -> Request:
    """The exchange's request as the server saw it: what request patterns match and errors name."""
    path, _, query = exchange.url.partition("?")
    return Request(
        exchange.method, path, query, exchange.request_headers, exchange.request_body, timestamp=exchange.timestamp
    )


def exchange_from_event(event: ServeEvent) -> Exchange:
    """A journal entry as an exchange (what :meth:`Recorder.snapshot` records).

    The journal keeps the first MiB of a proxied body: a body cut there is marked ``incomplete``.
    """
    request, response = event.request, event.response
    incomplete = None
    length = header(response.headers, "content-length")
    if length is not None and length.isdigit() and int(length) > len(response.body) and request.method != "HEAD":
        incomplete = (
            f"the journal kept {len(response.body)} of the {length} bytes of this body; "
            "record with POST /__admin/recordings/start to keep all of it"
        )
    return exchange_with_body(event, response.body, incomplete)


def exchange_with_body(
    event: ServeEvent, body: bytes, incomplete: str | None, chunk_times: tuple[tuple[int, float], ...] = ()
) -> Exchange:
    """A serve event as an exchange with ``body``, the whole response body a recorder read from its stream."""
    request, response = event.request, event.response
    return Exchange(
        method=request.method,
        url=request.url,
        request_headers=tuple(request.headers.multi_items()),
        request_body=request.body,
        status=response.status,
        response_headers=tuple(response.headers),
        response_body=body,
        timestamp=request.timestamp,
        incomplete=incomplete,
        chunk_times=chunk_times,
    )
