"""What one request's templates render with: :class:`TemplateContext` and the lazy views of the request
(and of a webhook's response) that templates read as ``request``, ``originalRequest``, ``originalResponse``.

Cheap to make: every part is computed on first use.
"""

from __future__ import annotations

import base64
import uuid
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from .values import MISSING, ListOrSingle, TemplateObject, as_index, step, to_text

if TYPE_CHECKING:
    from mockpit._model import Headers, Request, Response


class PathView(TemplateObject):
    """``request.path``: prints the (decoded) path; ``.[n]`` is a segment, ``.name`` a path variable."""

    __slots__ = ("_params", "_path", "_segments")

    def __init__(self, path: str, params: Mapping[str, str]) -> None:
        self._path = path
        self._segments = [s for s in path.split("/") if s]
        self._params = params

    def _lookup(self, name: str) -> Any:
        index = as_index(name)
        if index is not None:
            return self._segments[index] if 0 <= index < len(self._segments) else MISSING
        return self._params.get(name, MISSING)

    def _keys(self) -> list[str]:
        return [str(i) for i in range(len(self._segments))] + list(self._params)

    def _text(self) -> str:
        return self._path

    def __getitem__(self, name: str | int) -> Any:
        return super().__getitem__(str(name))

    def __iter__(self) -> Iterator[str]:
        return iter(self._segments)  # {{#each request.path}} walks the segments

    def __len__(self) -> int:
        return len(self._segments)


class MultiMapView(TemplateObject):
    """Headers, query parameters, cookies: each name gives a :class:`ListOrSingle`."""

    __slots__ = ("_case_insensitive", "_items")

    def __init__(self, items: Mapping[str, list[str]], *, case_insensitive: bool = False) -> None:
        self._items = items
        self._case_insensitive = case_insensitive

    def _lookup(self, name: str) -> Any:
        values = self._items.get(name.lower() if self._case_insensitive else name)
        if values is None:
            return MISSING
        return ListOrSingle(values)

    def _keys(self) -> list[str]:
        return list(self._items)

    def _text(self) -> str:
        return to_text({k: ListOrSingle(v) for k, v in self._items.items()})


class HeadersView(TemplateObject):
    """Headers by case-insensitive name; listed in the case they were sent, sorted (WireMock's TreeMap)."""

    __slots__ = ("_headers",)

    def __init__(self, headers: Headers) -> None:
        self._headers = headers

    def _lookup(self, name: str) -> Any:
        values = self._headers.get_all(name)
        return ListOrSingle(values) if values else MISSING

    def _keys(self) -> list[str]:
        names: dict[str, str] = {}
        for name, _ in self._headers.multi_items():
            names.setdefault(name.lower(), name)
        return sorted(names.values(), key=str.lower)

    def _text(self) -> str:
        return to_text({name: self._lookup(name) for name in self._keys()})


class RequestView(TemplateObject):
    """``request`` (and a webhook's ``originalRequest``): every part computed on first use."""

    __slots__ = ("_context", "_request", "_values")

    KEYS = (
        "id",
        "url",
        "path",
        "pathSegments",
        "query",
        "method",
        "host",
        "port",
        "scheme",
        "baseUrl",
        "headers",
        "cookies",
        "body",
        "bodyAsBase64",
        "clientIp",
        "multipart",
    )

    def __init__(self, request: Request, context: TemplateContext | None) -> None:
        self._request = request
        # weakly: the context holds this view, and a cycle per request would leave every request's
        # objects to the cyclic collector (full collections of a busy journal: 40 ms p99 spikes)
        self._context = weakref.ref(context) if context is not None else _no_context
        self._values: dict[str, Any] = {}

    def _keys(self) -> list[str]:
        return list(self.KEYS)

    def _text(self) -> str:
        return ""

    def _lookup(self, name: str) -> Any:
        value = self._values.get(name, MISSING)
        if value is MISSING:
            compute = _REQUEST_PARTS.get(name)
            if compute is None:
                return MISSING
            value = self._values[name] = compute(self)
        return value

    @property
    def _host_and_port(self) -> tuple[str, int]:
        request = self._request
        host = request.headers.get("host", "")
        default_port = 443 if request.scheme in ("https", "wss") else 80
        if host.startswith("["):  # an IPv6 literal: [::1]:8080
            end = host.find("]") + 1
            name, port = host[:end], host[end + 1 :] if host[end : end + 1] == ":" else ""
        else:
            name, _, port = host.partition(":")
        return name, int(port) if port.isdigit() else default_port

    def _path_text(self) -> str:
        return unquote(self._request.path)


def _no_context() -> None:
    return None


def _request_id(view: RequestView) -> str:
    context = view._context()
    return context.request_id if context is not None else str(uuid.uuid4())


def _base_url(view: RequestView) -> str:
    host, port = view._host_and_port
    scheme = view._request.scheme
    standard = (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
    return f"{scheme}://{host}" if standard else f"{scheme}://{host}:{port}"


_REQUEST_PARTS: dict[str, Any] = {
    "id": _request_id,
    "url": lambda v: v._request.url,
    "path": lambda v: PathView(v._path_text(), v._request.path_params),
    "pathSegments": lambda v: PathView(v._path_text(), {}),
    "query": lambda v: MultiMapView(v._request.query),
    "method": lambda v: v._request.method,
    "host": lambda v: v._host_and_port[0],
    "port": lambda v: v._host_and_port[1],
    "scheme": lambda v: v._request.scheme,
    "baseUrl": _base_url,
    "headers": lambda v: HeadersView(v._request.headers),
    "cookies": lambda v: MultiMapView({k: [c] for k, c in v._request.cookies.items()}),
    "body": lambda v: v._request.text,
    "bodyAsBase64": lambda v: base64.b64encode(v._request.body).decode("ascii"),
    "clientIp": lambda v: v._request.client[0] if v._request.client else "",
    "multipart": lambda v: v._request.content_type.startswith("multipart/"),
}


#: the parts of ``request`` a template may copy without a :class:`TemplateContext` (see
#: :func:`request_copier`); ``id`` is not one: it is the journal's id, which only the context knows
COPYABLE_PARTS = frozenset(_REQUEST_PARTS) - {"id"}


def request_copier(parts: tuple[str, ...]) -> Callable[[Request], Any]:
    """``request.<parts>`` read from a request alone, the value a template's lookup would give (None
    where it finds nothing). ``parts[0]`` must be in :data:`COPYABLE_PARTS`."""
    head, rest = parts[0], parts[1:]
    compute = _REQUEST_PARTS[head]

    def copy(request: Request) -> Any:
        value = compute(RequestView(request, None))
        for name in rest:
            value = step(value, name)
            if value is MISSING:
                return None
        return value

    return copy


class ResponseView(TemplateObject):
    """A webhook's ``originalResponse``: ``status``, ``headers``, ``body``."""

    __slots__ = ("_response", "_values")

    def __init__(self, response: Response) -> None:
        self._response = response
        self._values: dict[str, Any] = {}

    def _keys(self) -> list[str]:
        return ["status", "headers", "body", "bodyAsBase64"]

    def _lookup(self, name: str) -> Any:
        if name in self._values:
            return self._values[name]
        response = self._response
        value: Any
        if name == "status":
            value = response.status
        elif name == "headers":
            from mockpit._model import Headers

            value = HeadersView(Headers(response.headers))
        elif name == "body":
            value = response.text
        elif name == "bodyAsBase64":
            value = base64.b64encode(response.body).decode("ascii")
        else:
            return MISSING
        self._values[name] = value
        return value


class TemplateContext:
    """What one request's templates render with; cheap to make, every part computed on first use.

    The same context serves every template of a response (body, headers, file name), so the request
    body is decoded and parsed at most once for all of them.
    """

    __slots__ = ("__weakref__", "_request_id", "caches", "original_response", "parameters", "request", "root")

    def __init__(
        self,
        request: Request,
        parameters: Mapping[str, Any] | None = None,
        original_response: Response | None = None,
        request_id: str | None = None,
    ) -> None:
        self.request = request
        self.parameters = parameters
        self.original_response = original_response
        self._request_id = request_id
        #: per-request parse results shared by helpers (JSON and XML documents by their text)
        self.caches: dict[str, dict[Any, Any]] = {}
        view = RequestView(request, self)
        # templates cannot change what they are given (Handlebars has no way to, Jinja's sandbox is immutable)
        root: dict[str, Any] = {"request": view, "originalRequest": view, "parameters": parameters or {}}
        if original_response is not None:
            root["originalResponse"] = root["response"] = ResponseView(original_response)
        self.root = root

    @property
    def request_id(self) -> str:
        if self._request_id is None:
            self._request_id = str(uuid.uuid4())
        return self._request_id

    def parsed(self, kind: str, text: str, parse: Callable[[str], Any]) -> Any:
        """``parse(text)``, once per render for each ``kind`` of document (at most 16 of each are kept):
        a template that reads the body with several jsonPath or xPath calls parses it once."""
        cache = self.caches.get(kind)
        if cache is None:
            cache = self.caches[kind] = {}
        try:
            return cache[text]
        except KeyError:
            pass
        document = parse(text)
        if len(cache) < 16:
            cache[text] = document
        return document
