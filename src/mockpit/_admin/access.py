"""Who may drive the admin API: a token off loopback, no foreign ``Host`` (DNS rebinding), no cross-site browser.

The admin API can read every journaled request, create stubs, write files and stop the server, so it
answers only callers that could have started the server themselves:

- **A token**, when one is set (``admin_token=``, ``--admin-token``, ``MOCKPIT_ADMIN_TOKEN``): every admin
  call carries ``Authorization: Bearer TOKEN``, or HTTP Basic with the token as password (any user name),
  which is what WireMock's clients send through their authenticators. A server bound off loopback
  refuses to start without one (:func:`check_bind`) unless told the network is trusted.
- **The ``Host`` header** names this server: ``localhost``, a loopback address, the bound address (and,
  bound to every interface, any IP address and this machine's name), or a name given with
  ``admin_hosts``. A web page whose own domain was re-pointed at 127.0.0.1 (DNS rebinding) sends its
  domain, and is refused. With a token the check is off: such a page cannot know the token, and a
  shared mock is reached under names no one can list in advance.
- **No cross-site browser calls that change state.** A browser marks a request a page makes with
  ``Origin`` (and ``Sec-Fetch-Site``); a call that changes something is refused unless it comes from the
  server's own origin (its dashboard) or an origin given with ``admin_origins``, and then only with a
  JSON body: a browser sends ``text/plain`` or a form cross-site without asking first. Clients that are
  not browsers (curl, WireMock's clients, httpx) send none of these headers and are not affected.

Each refusal says what was refused and which option allows it.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from mockpit._errors import ServerError
from mockpit._model import Request, Response

from .router import AdminError

#: where ``mockpit serve`` reads the token from when ``--admin-token`` is not given
TOKEN_ENV = "MOCKPIT_ADMIN_TOKEN"

_WILDCARDS = frozenset({"", "0.0.0.0", "::"})
# methods a browser may send cross-site and that change nothing here
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# content types a page can send cross-site without a CORS preflight (the Fetch standard's safelist)
_SIMPLE_TYPES = ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a bind address or a name) is this machine only: ``localhost``, 127.0.0.0/8, ``::1``."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: always loopback
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_bind(host: str, *, admin: bool, token: str | None, insecure: bool) -> None:
    """Refuse to serve an open admin API off loopback: raise :class:`ServerError` saying how to proceed."""
    if not admin or token or insecure or is_loopback(host):
        return
    where = "every interface" if host in _WILDCARDS else host
    raise ServerError(
        f"refusing to serve the admin API on {where} without a token: anyone who can reach it could read the "
        "journal (with its Authorization headers), create stubs, write files and shut the server down. "
        f"Give a token (--admin-token TOKEN or {TOKEN_ENV}; admin_token= in Python), serve stubs only "
        "(--no-admin; admin=False), or, on a network you trust, --admin-insecure (admin_insecure=True)"
    )


def bind_warning(host: str, *, admin: bool, token: str | None) -> str | None:
    """What to warn about when serving off loopback (None on loopback)."""
    if is_loopback(host):
        return None
    where = "on every interface" if host in _WILDCARDS else f"on {host}"
    if not admin:
        return f"serving {where}: any machine that can reach this port can call the stubs (the admin API is off)"
    if token:
        return (
            f"serving {where}: any machine that can reach this port can call the stubs; the admin API needs the token"
        )
    return (
        f"serving {where} with an admin API that needs NO token: any machine that can reach this port can "
        "read the journal, change the stubs, write files and stop the server"
    )


@dataclass(frozen=True)
class AdminAccess:
    """The admin API's access rules for one server; :meth:`refusal` applies them to a request."""

    #: the token every admin call must carry, or None
    token: str | None = None
    #: Host names (lower case) admin calls may name; None: any (``"*"`` was given)
    hosts: frozenset[str] | None = frozenset()
    #: bound to every interface: a Host naming any IP address is this server
    any_address: bool = False
    #: origins (``https://ui.example:8443``) besides the server's own that may change state
    origins: frozenset[str] = frozenset()
    #: show credentials in journaled requests instead of masking them
    show_credentials: bool = False

    @classmethod
    def for_bind(
        cls,
        host: str,
        *,
        token: str | None = None,
        hosts: Iterable[str] = (),
        origins: Iterable[str] = (),
        show_credentials: bool = False,
    ) -> AdminAccess:
        """The rules for a server bound to ``host``, with ``hosts`` and ``origins`` allowed besides its own."""
        extra = {_host_name(h) for h in hosts}
        if "*" in extra:
            allowed: frozenset[str] | None = None
        else:
            names = {"localhost", _host_name(host)} | extra
            if not is_loopback(host):
                # the names other machines reach this one by; looked up once, at start, never per request
                names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
            allowed = frozenset(names - {""})
        return cls(
            token=token or None,
            hosts=allowed,
            any_address=host in _WILDCARDS,
            origins=frozenset(o.rstrip("/").lower() for o in origins),
            show_credentials=show_credentials,
        )

    def refusal(self, request: Request) -> Response | None:
        """The answer refusing ``request``, or None when it may go ahead."""
        try:
            self._check(request)
        except AdminError as exc:
            response = exc.to_response()
            if exc.status == 401:
                response.headers.append(("WWW-Authenticate", 'Bearer realm="mockpit admin API"'))
            return response
        return None

    def page_refusal(self, request: Request) -> Response | None:
        """The answer refusing a dashboard file, or None. The files hold no data, so they need no token (the
        page asks for it and sends it on its calls); without a token the Host check still applies."""
        if self.token is None and not self._known_host(request.headers.get("host")):
            return self._foreign_host(request.headers.get("host")).to_response()
        return None

    def _check(self, request: Request) -> None:
        headers = request.headers
        if self.token is not None:
            if not self._has_token(headers.get("authorization")):
                raise AdminError(
                    401,
                    "Unauthorized",
                    "this server's admin API needs its token: send Authorization: Bearer TOKEN "
                    "(or HTTP Basic with the token as password)",
                )
        elif not self._known_host(headers.get("host")):
            raise self._foreign_host(headers.get("host"))
        if request.method in _SAFE_METHODS:
            return
        origin = headers.get("origin")
        site = headers.get("sec-fetch-site")
        if origin is not None:
            if not self._own_origin(origin, request) and origin.rstrip("/").lower() not in self.origins:
                raise AdminError(
                    403,
                    "Forbidden",
                    f"the admin API refuses changes asked for by a web page from {origin}; "
                    "allow that origin with --admin-origin ORIGIN (admin_origins=[...])",
                )
        elif site in ("cross-site", "same-site"):
            raise AdminError(
                403, "Forbidden", f"the admin API refuses changes asked for by another site ({site} browser request)"
            )
        if (origin is not None or site is not None) and request.body:
            kind = headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if kind in _SIMPLE_TYPES:
                raise AdminError(
                    415,
                    "Unsupported media type",
                    f"a browser's admin call must send JSON (Content-Type: application/json), not {kind}",
                )

    @staticmethod
    def _foreign_host(host: str | None) -> AdminError:
        return AdminError(
            403,
            "Forbidden",
            f"the admin API does not answer for Host {host!r} (a web page reaching this "
            "server through its own domain looks like this); call it as localhost or its address, or "
            "allow the name with --admin-host NAME (admin_hosts=[...])",
        )

    def _has_token(self, authorization: str | None) -> bool:
        if not authorization or self.token is None:
            return False
        scheme, _, credentials = authorization.strip().partition(" ")
        given = credentials.strip()
        if scheme.lower() == "basic":
            try:
                given = base64.b64decode(given, validate=True).decode("utf-8").partition(":")[2]
            except (binascii.Error, UnicodeDecodeError):
                return False
        elif scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(given.encode("utf-8"), self.token.encode("utf-8"))

    def _known_host(self, host: str | None) -> bool:
        if host is None or self.hosts is None:  # HTTP/1.0 sends none; browsers always do
            return True
        name = _host_name(host)
        if name in self.hosts or is_loopback(name):
            return True
        if self.any_address:
            try:
                ipaddress.ip_address(name)
            except ValueError:
                return False
            return True
        return False

    @staticmethod
    def _own_origin(origin: str, request: Request) -> bool:
        if origin == "null":  # a sandboxed frame or a file:// page
            return False
        parts = urlsplit(origin.lower())
        host = request.headers.get("host", "").lower()
        return parts.scheme == request.scheme and bool(host) and parts.netloc == host


def _host_name(host: str) -> str:
    """The name in a Host header or bind address, lower case, without port, brackets or trailing dot."""
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8080
        return host[1 : host.find("]")] if "]" in host else host[1:]
    if host.count(":") == 1:  # name:port (a bare IPv6 address has more colons)
        host = host.partition(":")[0]
    return host.rstrip(".")
