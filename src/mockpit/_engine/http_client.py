"""The HTTP client for calls mockpit makes on a request's behalf (proxying, webhooks), bound to its loop.

A client's connections belong to the event loop that opened them, and a server restarted (``stop()``
then ``start()``) runs on a new loop: :class:`LoopBoundClient` makes its client on first use and makes
it anew when the loop changes. Only servers that proxy or call webhooks import this module, and httpx.
"""

from __future__ import annotations

import asyncio
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    import ssl


def new_client(timeout: float, verify: ssl.SSLContext | str | bool) -> httpx.AsyncClient:
    """An HTTP client for calls mockpit makes on a request's behalf (proxying, webhooks)."""
    return httpx.AsyncClient(
        timeout=timeout,
        verify=verify,
        follow_redirects=False,
        # a proxy passes Set-Cookie on and keeps none: a jar would send one client's cookies for another
        cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])),
        # the default pool of 100 would make the 101st concurrent download wait, then fail
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=20),
    )


class LoopBoundClient:
    """An :func:`new_client` client for the running loop: made on first use, anew on another loop."""

    __slots__ = ("_client", "_loop")

    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def get(self, timeout: float, verify: ssl.SSLContext | str | bool) -> httpx.AsyncClient:
        """The running loop's client; ``timeout`` and ``verify`` apply when one is made."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = new_client(timeout, verify)
            self._loop = loop
        return self._client

    async def aclose(self) -> None:
        """Close the client's connections; the next :meth:`get` makes a new one."""
        client, self._client, self._loop = self._client, None, None
        if client is not None:
            await client.aclose()
