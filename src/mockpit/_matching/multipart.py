"""Multipart bodies split into parts for ``multipartPatterns``, with python-multipart (Starlette's parser).

The standard library's ``email`` parser was the other candidate; it is built for mail, not HTTP: it
rewrites undecodable bytes of a part (a binary upload) and decodes ``Content-Transfer-Encoding``, which
RFC 7578 retired for form data. python-multipart keeps every byte as sent, parses without copying line by
line, and is maintained for exactly this. Like browsers and HTTP clients it expects CRLF line ends and no
preamble; a body it cannot parse is no multipart body, so multipart patterns do not match it.
"""

from __future__ import annotations

from dataclasses import dataclass

from mockpit._model import Headers, Request


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a multipart body: its headers and its body bytes."""

    headers: Headers
    body: bytes

    @property
    def text(self) -> str:
        """The body decoded with the part's charset (UTF-8 if it names none; bad bytes replaced)."""
        return self.body.decode(self.charset, errors="replace")

    @property
    def charset(self) -> str:
        from python_multipart.multipart import parse_options_header

        _, options = parse_options_header(self.headers.get("content-type", ""))
        charset = options.get(b"charset", b"utf-8").decode("latin-1")
        try:
            "".encode(charset)
        except LookupError:
            return "utf-8"
        return charset

    def describe(self) -> str:
        """``name="file" filename="a.txt" (text/plain, 12 bytes)`` for near-miss reports."""
        disposition = self.headers.get("content-disposition", "")
        names = [p.strip() for p in disposition.split(";")[1:] if p.strip().startswith(("name=", "filename="))]
        content_type = self.headers.get("content-type")
        details = ", ".join([*([content_type] if content_type else []), f"{len(self.body)} bytes"])
        return f"{' '.join(names) or '(no name)'} ({details})"


class MultipartError(ValueError):
    """A body that says it is multipart and is not."""


def parse_multipart(content_type: str, body: bytes) -> list[Part]:
    """The parts of ``body``, whose Content-Type header is ``content_type`` (``multipart/...; boundary=...``)."""
    from python_multipart.exceptions import MultipartParseError
    from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header

    media_type, options = parse_options_header(content_type)
    if not media_type.startswith(b"multipart/"):
        raise MultipartError(f"the Content-Type is {media_type.decode('latin-1') or 'missing'}, not multipart/...")
    boundary = options.get(b"boundary")
    if not boundary:
        raise MultipartError("the multipart Content-Type has no boundary")
    parts: list[Part] = []
    headers: list[tuple[str, str]] = []
    name, value, data = bytearray(), bytearray(), bytearray()

    def on_part_begin() -> None:
        headers.clear()
        data.clear()

    def on_header_field(chunk: bytes, start: int, end: int) -> None:
        name.extend(chunk[start:end])

    def on_header_value(chunk: bytes, start: int, end: int) -> None:
        value.extend(chunk[start:end])

    def on_header_end() -> None:
        # RFC 7578 section 5.1: header values of form data are UTF-8
        headers.append((name.decode("latin-1"), value.decode("utf-8", errors="replace")))
        name.clear()
        value.clear()

    def on_part_data(chunk: bytes, start: int, end: int) -> None:
        data.extend(chunk[start:end])

    def on_part_end() -> None:
        parts.append(Part(Headers(list(headers)), bytes(data)))

    callbacks = {
        "on_part_begin": on_part_begin,
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_header_end": on_header_end,
        "on_part_data": on_part_data,
        "on_part_end": on_part_end,
    }
    try:
        parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
        parser.write(body)
        parser.finalize()
    except (MultipartParseError, ValueError) as exc:
        raise MultipartError(f"the multipart body is malformed: {exc}") from None
    if parser.state != MultipartState.END:
        raise MultipartError("the multipart body ends before its closing boundary")
    return parts


# the last request's parts, kept while the other stubs look at the same request: a body is parsed once,
# not once per stub (one slot, replaced whole: a reader sees either the old pair or the new one)
_last: list[tuple[Request | None, list[Part] | MultipartError]] = [(None, [])]


def request_parts(request: Request) -> list[Part] | MultipartError:
    """The parts of ``request``'s body, or the :class:`MultipartError` saying why it has none."""
    cached_request, cached = _last[0]
    if cached_request is request:
        return cached
    found: list[Part] | MultipartError
    try:
        found = parse_multipart(request.headers.get("content-type", ""), request.body)
    except MultipartError as exc:
        found = exc
    _last[0] = (request, found)
    return found
