"""HAR import: a browser's network export (HAR 1.2) becomes recorded exchanges, then mapping files.

Chrome, Firefox, Safari and proxies such as Charles or mitmproxy write the same JSON: ``log.entries``,
each a request (method, URL, headers, ``postData``) and the response the browser got (status, headers,
``content.text``, base64 when ``content.encoding`` says so). Only those parts are read and validated;
the rest (pages, timings, cookies arrays, ``_initiator`` and other ``_`` extensions) is ignored. The
exchanges then go through the collector and the writer (:func:`stubs_from_exchanges`,
:func:`write_recording`), so an import and a live recording give the same files, redaction and
de-duplication included.

Entries a mock server cannot replay are skipped and counted: URLs that are not http(s) (``data:``,
``blob:``, ``chrome-extension:``, ``ws:``) and status 0, which is how browsers export a request that
was blocked, cancelled or never answered.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError

from mockpit._errors import MappingError
from mockpit._json import loads

from .collector import stubs_from_exchanges
from .exchange import Exchange
from .spec import RecordSpec
from .writer import write_recording

# HAR's content.text is the body after the browser decoded it (gzip, br) and de-chunked it: replayed
# with the original framing headers, a client would try to gunzip plain text or wait for bytes that
# never come. The server sets Content-Length itself from the body it sends.
_FRAMING_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection", "keep-alive"})


class _Part(BaseModel):
    # browsers add fields of their own (``_initiator``, ``_transferSize``): read what is used, ignore the rest
    model_config = ConfigDict(extra="ignore")


class _NameValue(_Part):
    name: str
    value: str


class _Param(_Part):
    name: str
    value: str = ""  # a file field of a multipart form has fileName/contentType and may have no value


class _PostData(_Part):
    mimeType: str = ""
    text: str | None = None
    params: list[_Param] | None = None


class _Request(_Part):
    method: str
    url: str
    headers: list[_NameValue]
    postData: _PostData | None = None


class _Content(_Part):
    size: float = -1  # only read to tell a body the browser did not keep; some tools write 12.0
    mimeType: str = ""
    text: str | None = None
    encoding: str | None = None


class _Response(_Part):
    status: int
    headers: list[_NameValue]
    content: _Content


class _Entry(_Part):
    startedDateTime: str = ""
    request: _Request
    response: _Response


class _Log(_Part):
    entries: list[_Entry]


class _Document(_Part):
    log: _Log


@dataclass(frozen=True)
class HarContent:
    """The exchanges of a HAR file that a mock can replay, and what was left out and why."""

    exchanges: tuple[Exchange, ...]
    #: entries skipped for their URL scheme: ``{"data": 3, "chrome-extension": 1}``
    skipped_schemes: Mapping[str, int] = field(default_factory=dict)
    #: entries with status 0: blocked, cancelled or unanswered in the browser
    skipped_failed: int = 0
    #: http(s) entries left out by ``host=``
    skipped_other_hosts: int = 0
    #: the hosts of the http(s) entries, in the order they first appear (before ``host=``)
    hosts: tuple[str, ...] = ()
    #: responses with a body the browser did not keep (``content.size`` > 0 and no ``text``)
    bodies_missing: int = 0

    @property
    def skipped(self) -> int:
        return sum(self.skipped_schemes.values()) + self.skipped_failed + self.skipped_other_hosts


@dataclass(frozen=True)
class HarImport:
    """What :func:`import_har` did: the exchanges read, the stubs made and the files written."""

    content: HarContent
    stubs: int
    files: tuple[Path, ...]


def read_har(file: str | Path, *, host: str | None = None) -> HarContent:
    """The replayable exchanges of a HAR file, in the file's order.

    ``host`` keeps only the entries for that host (``api.example.com``, or ``host:port``).
    Raises :class:`MappingError` naming the file and the entry field (``log.entries[3].response``)
    when the file is not a HAR document.
    """
    path = Path(file)
    try:
        # utf-8-sig: some Windows tools save HAR files with a byte order mark
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"cannot read the file: {exc}", source=str(path)) from None
    try:
        document = loads(text)
    except json.JSONDecodeError as exc:
        raise MappingError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}; a HAR file is JSON",
            source=str(path),
        ) from None
    return har_exchanges(document, source=str(path), host=host)


def har_exchanges(document: Any, *, source: str = "HAR", host: str | None = None) -> HarContent:
    """The replayable exchanges of a parsed HAR document (see :func:`read_har`)."""
    if not isinstance(document, Mapping) or not isinstance(document.get("log"), Mapping):
        raise MappingError(
            'not a HAR file: expected a JSON object {"log": {"entries": [...]}}, as browsers export '
            "(DevTools, Network tab, Export HAR)",
            source=source,
        )
    try:
        har = _Document.model_validate(document)
    except ValidationError as exc:
        raise _har_error(exc, source) from None
    wanted = host.lower() if host else None
    exchanges: list[Exchange] = []
    schemes: Counter[str] = Counter()
    failed = other_hosts = missing = 0
    hosts: dict[str, None] = {}
    for i, entry in enumerate(har.log.entries):
        url = urlsplit(entry.request.url)
        scheme = url.scheme.lower()
        if scheme not in {"http", "https"}:
            schemes[scheme or "(none)"] += 1
            continue
        if entry.response.status == 0:
            failed += 1
            continue
        netloc = url.netloc.rpartition("@")[2].lower()  # user:password@ is no part of the host
        hosts.setdefault(netloc)
        if wanted is not None and wanted not in {netloc, (url.hostname or "").lower()}:
            other_hosts += 1
            continue
        content = entry.response.content
        if content.text is None and content.size > 0:
            missing += 1
        exchanges.append(_exchange(entry, i, url.path, url.query, source))
    return HarContent(
        exchanges=tuple(exchanges),
        skipped_schemes=dict(schemes),
        skipped_failed=failed,
        skipped_other_hosts=other_hosts,
        hosts=tuple(hosts),
        bodies_missing=missing,
    )


def import_har(
    file: str | Path, out: str | Path, spec: RecordSpec | None = None, *, host: str | None = None
) -> HarImport:
    """Turn a HAR file into mapping files under ``out`` (``mappings/`` and ``__files/``).

    The recorder's options apply as to a live recording (``RecordSpec(keep_secrets=True,
    repeats_as_scenarios=True, url_pattern=...)``); ``host`` keeps one host's entries. ::

        import_har("session.har", "tests/api", host="api.example.com")
        # then: MockServer(mappings="tests/api") or mockpit serve tests/api
    """
    content = read_har(file, host=host)
    stubs = stubs_from_exchanges(content.exchanges, spec or RecordSpec())
    files = write_recording(stubs, Path(out)) if stubs else []
    return HarImport(content=content, stubs=len(stubs), files=tuple(files))


def _exchange(entry: _Entry, index: int, path: str, query: str, source: str) -> Exchange:
    request, response = entry.request, entry.response
    where = ("log", "entries", index)
    return Exchange(
        method=request.method,
        url=(path or "/") + (f"?{query}" if query else ""),
        request_headers=_headers(request.headers, drop=frozenset()),
        request_body=_request_body(request.postData),
        status=response.status,
        response_headers=_headers(response.headers, drop=_FRAMING_HEADERS),
        response_body=_response_body(response.content, source, (*where, "response", "content")),
        timestamp=_timestamp(entry.startedDateTime),
    )


def _headers(headers: Iterable[_NameValue], *, drop: frozenset[str]) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for header in headers:
        name = header.name
        # HTTP/2 pseudo-headers (:authority, :path) are not headers a server sees as such
        if name.startswith(":") or name.lower() in drop:
            continue
        # Chrome exports repeated HTTP/1.1 headers (Set-Cookie above all) as one value joined by
        # newlines; a header value cannot hold a newline, so each line is one header
        out.extend((name, value) for value in header.value.split("\n"))
    return tuple(out)


def _request_body(post: _PostData | None) -> bytes:
    if post is None:
        return b""
    if post.text is not None:
        return post.text.encode("utf-8")
    if post.params and "x-www-form-urlencoded" in post.mimeType:
        # some exporters give only the parsed fields of a form post: the body they came from
        return urlencode([(p.name, p.value) for p in post.params]).encode("ascii")
    return b""  # a multipart form given only as fields cannot be rebuilt byte for byte


def _response_body(content: _Content, source: str, where: tuple[str | int, ...]) -> bytes:
    if content.text is None:
        return b""
    if content.encoding is None or content.encoding == "":
        return content.text.encode("utf-8")
    if content.encoding.lower() != "base64":
        raise MappingError(
            f"encoding {content.encoding!r} is not one HAR 1.2 uses; content.text is plain text or, "
            'with "encoding": "base64", base64',
            source=source,
            field=(*where, "encoding"),
        )
    try:
        return base64.b64decode(content.text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MappingError(
            f"content.encoding is base64 but the text is not valid base64 ({exc}); export the HAR again "
            'or remove "encoding" if the text is the body itself',
            source=source,
            field=(*where, "text"),
        ) from None


def _timestamp(started: str) -> float:
    # Python 3.10's fromisoformat takes no "Z"; an unreadable time only loses ordering information
    try:
        return datetime.fromisoformat(re.sub(r"Z$", "+00:00", started)).timestamp()
    except ValueError:
        return 0.0


def _har_error(exc: ValidationError, source: str) -> MappingError:
    error = exc.errors(include_url=False)[0]
    loc = tuple(error["loc"])
    if error["type"] == "missing":
        message = "is missing; a HAR 1.2 export always has it (is this file a HAR export?)"
    else:
        message = error["msg"]
        if "input" in error:
            message += f" (got {json.dumps(error['input'], default=str)[:80]})"
    more = exc.error_count() - 1
    if more:
        message += f" ({more} more error(s) after this one)"
    return MappingError(message, source=source, field=loc)
