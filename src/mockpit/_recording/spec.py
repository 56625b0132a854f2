"""The record spec: WireMock's recording options, as the admin API's ``/recordings`` body gives them
(``mockpit record`` and the pytest plugin make one too), checked when it is made; and the registry of
the stub transformers a spec names.

The checks raise :class:`MappingError` naming the field as WireMock's JSON spells it, so the admin API
can answer with it as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import urlsplit

from mockpit._errors import MappingError
from mockpit._model import RequestPattern, Stub

BodyMatcher = Literal["auto", "equalToJson", "equalTo", "equalToXml", "none"]
BODY_MATCHERS: tuple[str, ...] = ("auto", "equalToJson", "equalTo", "equalToXml", "none")
#: a stub transformer (WireMock's ``StubMappingTransformer``): the recorded stub and the spec's
#: ``transformerParameters`` in, the stub to keep out
StubTransformer = Callable[[Stub, Mapping[str, Any]], Stub]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class RecordSpec:
    """WireMock's recording options (the admin API's record spec), with mockpit's defaults.

    - ``target``: the base URL recorded from (``targetBaseUrl``); ``None`` records what other proxy
      stubs forward.
    - filters: ``url_pattern`` (a regex the whole URL, path and query, must match), ``url_path_pattern``
      (the same for the path), ``methods``, ``request_filter`` (any other request pattern), ``ids``
      (journal event ids, snapshots only) and ``allow_non_proxied`` (record requests no proxy answered).
    - ``capture_headers``: request headers the stubs match on, name -> case-insensitive.
    - ``request_body_pattern``: ``auto`` (``equalToJson`` for JSON bodies, ``equalToXml`` for XML,
      ``equalTo`` otherwise, ``binaryEqualTo`` for bytes that are not UTF-8), one of those for all
      bodies, or ``none``; ``ignore_array_order``/``ignore_extra_elements`` for ``equalToJson``,
      ``case_insensitive`` for ``equalTo``.
    - ``extract_body_min_size``: text bodies of this many bytes or more go to ``__files/``;
      ``extract_binary``: binary bodies of ``extract_binary_min_size`` bytes or more do too. Only when
      ``persist``: stubs that are not saved keep their bodies inline.
    - ``repeats_as_scenarios``: identical requests replay their answers in order (else the first answer).
    - ``persist``: save the stubs to the mappings folder (else they only go to the running server).
    - ``transformers``/``transformer_parameters``: stub transformers registered with
      :func:`register_recording_transformer`, applied to each stub in order.
    - ``keep_secrets``: keep the values of secret headers (``Authorization``, cookies, API keys ...).
    """

    target: str | None = None
    url_pattern: str | None = None
    methods: tuple[str, ...] = ()
    capture_headers: Mapping[str, bool] = field(default_factory=lambda: _EMPTY)
    request_body_pattern: str = "auto"
    extract_body_min_size: int = 2048
    extract_binary: bool = True
    repeats_as_scenarios: bool = False
    persist: bool = True
    transformers: tuple[str, ...] = ()
    keep_secrets: bool = False
    # WireMock's options beyond the fields above
    url_path_pattern: str | None = None
    request_filter: RequestPattern | None = None
    ids: tuple[str, ...] = ()
    allow_non_proxied: bool = False
    ignore_array_order: bool = True
    ignore_extra_elements: bool = True
    case_insensitive: bool = False
    extract_binary_min_size: int = 0
    transformer_parameters: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    #: what stop and snapshot answer with: the stub mappings (``FULL``) or their ids (``IDS``)
    output_format: Literal["FULL", "IDS"] = "FULL"

    def __post_init__(self) -> None:
        """Checks the options; raises :class:`MappingError` naming the field as WireMock's JSON spells it."""
        if self.target is not None:
            check_target(self.target)
        for name, value in (
            ("filters.urlPattern", self.url_pattern),
            ("filters.urlPathPattern", self.url_path_pattern),
        ):
            if value is not None:
                try:
                    re.compile(value)
                except re.error as exc:
                    raise _spec_error(f"{value!r} is not a valid regular expression: {exc}", name) from None
        for method in self.methods:
            if not method.isalpha():
                raise _spec_error(f"{method!r} is not an HTTP method; use e.g. GET, POST or ANY", "filters.method")
        if self.request_body_pattern not in BODY_MATCHERS:
            raise _spec_error(
                f"unknown matcher {self.request_body_pattern!r}; use one of {', '.join(BODY_MATCHERS)}",
                "requestBodyPattern.matcher",
            )
        for name, size in (
            ("extractBodyCriteria.textSizeThreshold", self.extract_body_min_size),
            ("extractBodyCriteria.binarySizeThreshold", self.extract_binary_min_size),
        ):
            if size < 0:
                raise _spec_error(f"must be 0 or more bytes, got {size}", name)
        for i, name in enumerate(self.transformers):
            if name not in _TRANSFORMERS:
                known = ", ".join(sorted(_TRANSFORMERS)) or "none is registered"
                raise _spec_error(
                    f"no stub transformer is registered as {name!r} (registered: {known}); "
                    "register one with mockpit.register_recording_transformer(name, fn)",
                    f"transformers.{i}",
                )


def _spec_error(message: str, where: str) -> MappingError:
    location = tuple(int(part) if part.isdigit() else part for part in where.split("."))
    return MappingError(message, source="record spec", field=location)


def check_target(url: str) -> str:
    """``url`` if it is an http(s) URL with a host; else :class:`MappingError` naming ``targetBaseUrl``."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise _spec_error(
            f"{url!r} is not an http:// or https:// URL; give the base URL of the API to record, "
            "such as https://api.example.com",
            "targetBaseUrl",
        )
    if parts.query or parts.fragment:
        raise _spec_error(f"{url!r} has a query or fragment; give only scheme, host and optional path", "targetBaseUrl")
    return url


_TRANSFORMERS: dict[str, StubTransformer] = {}


def register_recording_transformer(name: str, transformer: StubTransformer) -> None:
    """Register a stub transformer that recordings name in ``transformers`` (WireMock's ``StubMappingTransformer``).

    ``transformer(stub, parameters)`` gets each recorded stub and the spec's ``transformerParameters`` and
    returns the stub to keep (``dataclasses.replace(stub, priority=1)``, say); it must keep the stub's id::

        register_recording_transformer("no-cache", lambda stub, params: replace(stub, metadata={"cache": False}))
    """
    if not name:
        raise ValueError("a recording transformer needs a name")
    if not callable(transformer):
        raise TypeError(f"the transformer must be callable, got {transformer!r}")
    _TRANSFORMERS[name] = transformer


def transform(stub: Stub, spec: RecordSpec) -> Stub:
    """``stub`` after the transformers ``spec`` names, in order (the spec checked that each is registered)."""
    for name in spec.transformers:
        stub = _TRANSFORMERS[name](stub, spec.transformer_parameters)
    return stub


def parse_size(value: int | str, where: str) -> int:
    """A size in bytes from WireMock's friendly syntax: ``2048``, ``"2048"``, ``"2 kb"``, ``"1 Mb"``, ``"1.5 GB"``."""
    if isinstance(value, bool):
        raise _spec_error(f'must be a size such as 2048 or "2 kb", got {value!r}', where)
    if isinstance(value, int):
        if value < 0:
            raise _spec_error(f"must be 0 or more bytes, got {value}", where)
        return value
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]?b?)\s*", value, re.IGNORECASE)
    if not found:
        raise _spec_error(f'must be a size such as "2048", "2 kb" or "1 Mb", got {value!r}', where)
    unit = found.group(2).lower().rstrip("b")
    return int(float(found.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit])
