"""What one client may take of the server: time to send a request, and a share of the connections.

:class:`ConnectionLimits` holds the settings (``MockServer(limits=...)``, ``mockpit serve --head-timeout``
and the like); :mod:`.wire` and :mod:`.serve` enforce them. Nothing here imports uvicorn: the CLI and the
pytest plugin build limits without loading the server.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

#: the default cap on connections, where the open-file limit allows it
MAX_CONNECTIONS = 1000
#: files kept free under the open-file limit, whatever it is: the listening socket, the event loop's own,
#: proxied and webhook connections, mapping files being read or saved, and the connections being turned away
_RESERVED_FILES = 64


def default_max_connections() -> int:
    """:data:`MAX_CONNECTIONS`, or less where the process may open fewer files.

    Beyond the open-file limit ``accept()`` fails and every client is locked out, so the cap stays a
    quarter (at least 64 files) below it: at Linux's usual 1,024 that is 768, at macOS's 256 it is 192.
    """
    if sys.platform == "win32":  # no RLIMIT_NOFILE; sockets are not bounded by the C runtime's file limit
        return MAX_CONNECTIONS
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(1, min(MAX_CONNECTIONS, soft - max(_RESERVED_FILES, soft // 4)))


@dataclass(frozen=True)
class ConnectionLimits:
    """How long a client may take to send a request, and how many connections the server holds at once.

    The defaults are far beyond what a test client needs; they stop a slow or silent client from holding
    connections (and so the server's open files) for ever::

        MockServer(limits=ConnectionLimits(head_timeout=2, max_connections=200))

    - ``head_timeout``: the request line and headers must all arrive within this many seconds of the
      connection opening, or of the previous response on a kept-alive connection; else ``408`` (or, if
      nothing at all was sent, a plain close).
    - ``body_timeout`` and ``min_body_rate``: a body must keep coming: over every ``body_timeout``
      seconds at least ``min_body_rate`` bytes a second on average (and at least one byte); else ``408``.
      It also bounds how long the rest of a body refused with ``413`` is read and thrown away, so that
      the client reads the ``413`` rather than a reset connection.
    - ``idle_timeout``: a kept-alive connection with no new request for this many seconds is closed.
    - ``max_connections``: connections beyond it get ``503`` at once and are closed. ``None`` picks
      :func:`default_max_connections`: 1,000, or fewer under a low open-file limit (``ulimit -n``).

    A stub's own delays and a slow proxied upstream are not limited: the timeouts bound what the
    client sends, never how long the answer takes.
    """

    head_timeout: float = 10.0
    body_timeout: float = 30.0
    min_body_rate: float = 500.0
    idle_timeout: float = 5.0
    max_connections: int | None = None

    def __post_init__(self) -> None:
        for name in ("head_timeout", "body_timeout", "idle_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
                raise ValueError(f"ConnectionLimits: {name} must be a number of seconds above 0, got {value!r}")
        rate = self.min_body_rate
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < math.inf:
            raise ValueError(
                f"ConnectionLimits: min_body_rate must be a number of bytes a second, 0 or more, got {rate!r}"
            )
        cap = self.max_connections
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
            raise ValueError(
                f"ConnectionLimits: max_connections must be a whole number above 0 (or None for the default), "
                f"got {cap!r}"
            )

    @property
    def connection_cap(self) -> int:
        """``max_connections``, or the default for this process's open-file limit."""
        return default_max_connections() if self.max_connections is None else self.max_connections

    @property
    def check_interval(self) -> float:
        """How often the server looks for clients past their time: a fraction of the shortest timeout.

        A timeout is noticed up to one interval late; checking costs a glance at each open connection.
        """
        return min(1.0, max(0.02, min(self.head_timeout, self.body_timeout) / 4))
