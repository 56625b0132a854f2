"""Webhooks: after a stub answers, call a URL, as WireMock's ``webhook`` serve event listener does.

A mapping asks for one with ``serveEventListeners`` (or the older ``postServeActions``)::

    "serveEventListeners": [{"name": "webhook", "parameters": {
        "method": "POST", "url": "http://localhost:9000/callback",
        "headers": {"Content-Type": "application/json"},
        "body": "{\\"id\\": \\"{{jsonPath originalRequest.body '$.id'}}\\"}",
        "delay": {"type": "fixed", "milliseconds": 200}}}]

``method``, ``url``, header values and ``body`` are Handlebars templates (as in WireMock) with
``originalRequest``, ``originalResponse`` and ``parameters`` (all the webhook's parameters, so extra
keys can hold data for the templates). ``base64Body`` is sent as decoded bytes, untemplated;
``jsonBody`` (mockpit's own) is sent as JSON text, templated. ``delay`` is ``fixed``
(``milliseconds``), ``uniform`` (``lower``, ``upper``) or ``lognormal`` (``median``, ``sigma``,
optional ``maxValue``), in milliseconds.

A webhook runs in the background on the server's loop: it never delays the response to the request
that triggered it, and its failure never changes that response; failures go to ``on_error``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import difflib
import json
import math
import random
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import urlsplit

import httpx

from mockpit._model import Request, Response, lognormal_ms

from .hops import MAX_HOPS, VIA, hops, loop_message
from .http_client import LoopBoundClient

if TYPE_CHECKING:
    from mockpit._templating.template import Template, TemplateContext

    Text: TypeAlias = str | Template

DEFAULT_TIMEOUT = 30.0
CLOSE_GRACE = 2.0

_FIELDS = ("method", "url", "headers", "body", "base64Body", "jsonBody", "delay")
_NOT_SUPPORTED = {"bodyFileName": "give the body inline with body (a template) or base64Body"}
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 5.6.2: what a method name may be


@dataclass(frozen=True, slots=True)
class Delay:
    """How long to wait before calling, in milliseconds: fixed, uniform or lognormal."""

    type: str
    milliseconds: float = 0.0
    lower: float = 0.0
    upper: float = 0.0
    median: float = 0.0
    sigma: float = 0.0
    max_value: float | None = None

    def sample(self) -> float:
        """A delay in seconds."""
        if self.type == "fixed":
            ms = self.milliseconds
        elif self.type == "uniform":
            ms = random.uniform(self.lower, self.upper)
        else:
            ms = lognormal_ms(random.gauss, self.median, self.sigma, self.max_value)
        return ms / 1000


@dataclass(frozen=True, slots=True)
class Webhook:
    """A compiled ``webhook`` listener: templates compiled once, when its stub loads."""

    method: Text
    url: Text
    headers: tuple[tuple[str, Text], ...]
    #: bytes from ``base64Body`` are sent as they are; text is rendered then UTF-8 encoded
    body: Text | bytes | None
    delay: Delay | None
    parameters: Mapping[str, Any]
    #: whether anything needs rendering: a plain webhook makes no template context per request
    is_templated: bool = False


def compile_webhook(parameters: Mapping[str, Any]) -> Webhook:
    """Check and compile a ``webhook``'s parameters. Raises :class:`ValueError` naming the bad field."""
    if not isinstance(parameters, Mapping):
        raise ValueError(f"the webhook's parameters must be an object, got {type(parameters).__name__}")
    for name in parameters:
        if name in _NOT_SUPPORTED:
            raise ValueError(f"{name} is not supported by mockpit's webhooks yet: {_NOT_SUPPORTED[name]}")
        if name not in _FIELDS:
            # any other key is data for the templates (parameters.*), as in WireMock; a near miss of a
            # field name is much more likely a typo
            close = difflib.get_close_matches(name, _FIELDS, n=1, cutoff=0.8)
            if close and close[0] not in parameters:
                raise ValueError(
                    f"unknown webhook parameter {name!r}: did you mean {close[0]!r}? "
                    f"(other keys are passed to the templates as parameters.{name})"
                )
    url = parameters.get("url")
    if not isinstance(url, str) or not url:
        raise ValueError("url: a webhook needs the URL to call, such as http://localhost:9000/callback")
    method = parameters.get("method", "GET")
    if not isinstance(method, str) or not method:
        raise ValueError(f"method: must be an HTTP method such as POST, got {method!r}")
    compiled_url = _compile(url, "url")
    if isinstance(compiled_url, str):
        _check_url(compiled_url)
    compiled_method = _compile(method, "method")
    if isinstance(compiled_method, str):
        compiled_method = compiled_method.strip().upper()
    if isinstance(compiled_method, str) and not _TOKEN.fullmatch(compiled_method):
        raise ValueError(f"method: {method!r} is not an HTTP method such as POST")
    headers = _headers(parameters.get("headers"))
    body = _body(parameters)
    texts = [compiled_method, compiled_url, body, *(value for _, value in headers)]
    return Webhook(
        method=compiled_method,
        url=compiled_url,
        headers=headers,
        body=body,
        delay=_delay(parameters.get("delay")),
        parameters=parameters,
        is_templated=any(not isinstance(text, (str, bytes, type(None))) for text in texts),
    )


def _compile(source: str, where: str) -> Text:
    if "{{" not in source:  # Handlebars' only opener: a plain webhook never loads the template engine
        return source
    from mockpit._templating.template import compile_template

    try:
        return compile_template(source, "handlebars")
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"url: {url!r} is not an http(s) URL such as http://localhost:9000/callback")


def _headers(value: Any) -> tuple[tuple[str, Text], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ValueError(f'headers: must be an object such as {{"Content-Type": "application/json"}}, got {value!r}')
    out: list[tuple[str, Text]] = []
    for name, values in value.items():
        for item in values if isinstance(values, list) else [values]:
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                raise ValueError(f"headers.{name}: a header value must be a string (or a list of them), got {item!r}")
            out.append((str(name), _compile(str(item), f"headers.{name}")))
    return tuple(out)


def _body(parameters: Mapping[str, Any]) -> Text | bytes | None:
    given = [name for name in ("body", "base64Body", "jsonBody") if parameters.get(name) is not None]
    if len(given) > 1:
        raise ValueError(f"give one of body, base64Body and jsonBody, not {' and '.join(given)}")
    if not given:
        return None
    name = given[0]
    value = parameters[name]
    if name == "jsonBody":
        return _compile(json.dumps(value, ensure_ascii=False, separators=(",", ":")), "jsonBody")
    if not isinstance(value, str):
        raise ValueError(f"{name}: must be a string, got {type(value).__name__}")
    if name == "body":
        return _compile(value, "body")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"base64Body: not valid base64 ({exc})") from None


def _delay(value: Any) -> Delay | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError(f'delay: must be an object such as {{"type": "fixed", "milliseconds": 500}}, got {value!r}')
    kind = value.get("type")
    fields = {"fixed": {"milliseconds"}, "uniform": {"lower", "upper"}, "lognormal": {"median", "sigma"}}
    if kind not in fields:
        raise ValueError(f"delay.type: must be fixed, uniform or lognormal, got {kind!r}")
    wanted = fields[kind]
    allowed = wanted | {"type"} | ({"maxValue"} if kind == "lognormal" else set())
    if missing := sorted(wanted - set(value)):
        raise ValueError(f"delay: a {kind} delay needs {' and '.join(missing)}")
    if extra := sorted(set(value) - allowed):
        raise ValueError(f"delay: {', '.join(extra)} does not go with a {kind} delay")
    numbers: dict[str, float] = {}
    for name in sorted((wanted | {"maxValue"}) & set(value)):
        number = value[name]
        if isinstance(number, bool) or not isinstance(number, (int, float)) or number < 0 or math.isnan(number):
            raise ValueError(f"delay.{name}: must be a number of milliseconds, 0 or more, got {number!r}")
        numbers[name] = float(number)
    if kind == "uniform" and numbers["lower"] > numbers["upper"]:
        raise ValueError(f"delay: lower ({value['lower']}) is greater than upper ({value['upper']})")
    return Delay(
        kind,
        milliseconds=numbers.get("milliseconds", 0.0),
        lower=numbers.get("lower", 0.0),
        upper=numbers.get("upper", 0.0),
        median=numbers.get("median", 0.0),
        sigma=numbers.get("sigma", 0.0),
        max_value=numbers.get("maxValue"),
    )


@dataclass(frozen=True, slots=True)
class _Call:
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes | None


class Webhooks:
    """Calls webhooks in the background; one per engine.

    ``on_error`` is told (in words) of every webhook that could not be rendered or sent; without one
    the message goes to stderr. Its :class:`httpx.AsyncClient` is made on first use.
    """

    def __init__(
        self,
        *,
        on_error: Callable[[str], None] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        verify: Any = True,
    ) -> None:
        self.on_error = on_error
        self.timeout = timeout
        #: how long :meth:`aclose` lets webhooks under way finish before cancelling them
        self.close_grace = CLOSE_GRACE
        self.verify = verify
        self._tasks: set[asyncio.Task[None]] = set()
        self._client = LoopBoundClient()

    def fire(self, webhook: Webhook, request: Request, response: Response) -> None:
        """Schedule ``webhook`` on the running loop for the request just served; returns at once."""
        task = asyncio.get_running_loop().create_task(self._run(webhook, request, response))
        # the loop keeps only a weak reference to a task: without this one it could vanish mid-call
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def in_flight(self) -> int:
        """Webhooks scheduled and not finished (waiting out their delay or being sent)."""
        return len(self._tasks)

    async def _run(self, webhook: Webhook, request: Request, response: Response) -> None:
        trigger = f"{request.method} {request.url}"
        try:
            call = _render(webhook, request, response)
        except Exception as exc:  # a template that fails on this request's data
            self._report(f"the webhook for {trigger} could not be rendered: {exc}")
            return
        if hops(request) >= MAX_HOPS:  # a webhook that calls a stub that fires it again
            self._report(loop_message(request, f"the webhook {call.method} {call.url}").removeprefix("mockpit: "))
            return
        if webhook.delay is not None:
            await asyncio.sleep(webhook.delay.sample())
        # the trigger's Via entries go on, so that a loop through webhooks is counted as one through proxies
        headers = [*call.headers, *(("Via", via) for via in request.headers.get_all("via")), VIA]
        try:
            client = self._client.get(self.timeout, self.verify)
            await client.send(httpx.Request(call.method, call.url, headers=headers, content=call.body))
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            self._report(
                f"the webhook {call.method} {call.url} (after {trigger}) failed: {type(exc).__name__}: {exc}; "
                "check that the target is running and that the webhook's url is right"
            )

    def _report(self, message: str) -> None:
        try:
            if self.on_error is not None:
                self.on_error(message)
            else:
                print(f"mockpit: {message}", file=sys.stderr)
        except Exception as exc:  # the hook is the engine's; a failure in it must not end up unobserved in a task
            print(f"mockpit: the webhook error hook raised {exc!r} on: {message}", file=sys.stderr)

    async def aclose(self) -> None:
        """Let webhooks under way finish for up to ``close_grace`` seconds, cancel the rest, close the client."""
        tasks = set(self._tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=self.close_grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self._client.aclose()


def _render(webhook: Webhook, request: Request, response: Response) -> _Call:
    context: TemplateContext | None = None
    if webhook.is_templated:
        context = webhook_context(webhook, request, response)

    def text(value: Text) -> str:
        if isinstance(value, str):
            return value
        assert context is not None
        return value.render(context)

    url = text(webhook.url)
    _check_url(url)
    method = text(webhook.method).strip().upper()
    if not _TOKEN.fullmatch(method):
        raise ValueError(f"method: {method!r} is not an HTTP method")
    body = webhook.body
    content = body if isinstance(body, bytes) or body is None else text(body).encode("utf-8")
    return _Call(method, url, [(name, text(value)) for name, value in webhook.headers], content)


def webhook_context(webhook: Webhook, request: Request, response: Response) -> TemplateContext:
    """What a webhook's templates see: ``originalRequest``, ``originalResponse`` and ``parameters``."""
    from mockpit._templating.template import template_context

    return template_context(request, parameters=webhook.parameters, original_response=response)
