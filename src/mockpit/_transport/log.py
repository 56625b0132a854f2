"""The transport's log: ``mockpit.transport``, the one name everything below the app says things under.

mockpit's own lines (a malformed request refused with 400, a 408, a 413, a 503) are INFO: the client
reads the reason in the answer, so they are news for ``mockpit serve``'s console, not for a test's
output. uvicorn's protocol logs through :class:`UvicornLog` instead of ``uvicorn.error``, so that its
messages ("Exception in ASGI application") carry mockpit's name and nothing of a host program's own
uvicorn loggers is touched; :func:`adopt_uvicorn_loggers` routes uvicorn's module-level loggers (its
start-up and shutdown lines) there too, for a process that is mockpit's alone (the CLI).
"""

from __future__ import annotations

import logging
from typing import Any

TRANSPORT_LOG = logging.getLogger("mockpit.transport")


def peer(client: Any) -> str:
    """``host:port`` of a client as uvicorn and ASGI give it (a pair, or ``None`` for a socket without one)."""
    if isinstance(client, (tuple, list)) and len(client) == 2:
        return f"{client[0]}:{client[1]}"
    return "a client"


class UvicornLog(logging.LoggerAdapter):  # type: ignore[type-arg]  # generic only in typeshed, not at runtime
    """What uvicorn's protocol says, under ``mockpit.transport``.

    Its warnings are about clients ("Invalid HTTP request received.") and each comes with an answer
    that mockpit logs itself, saying more (:mod:`.wire`): they go out at DEBUG. Its errors stay errors.
    """

    #: uvicorn reads ``logger.level`` to decide whether to trace each connection: never
    level = logging.INFO

    def __init__(self) -> None:
        super().__init__(TRANSPORT_LOG, {})

    def warning(self, msg: object, *args: object, **kwargs: Any) -> None:
        self.log(logging.DEBUG, msg, *args, **kwargs)


class _Forward(logging.Handler):
    """Hands a record of uvicorn's module-level loggers to ``mockpit.transport``, under that name."""

    def emit(self, record: logging.LogRecord) -> None:
        record.name = TRANSPORT_LOG.name
        if TRANSPORT_LOG.isEnabledFor(record.levelno):
            TRANSPORT_LOG.handle(record)


def adopt_uvicorn_loggers() -> None:
    """Route what uvicorn logs under its own names through ``mockpit.transport``; none reaches the root.

    For a process that is mockpit's alone (``mockpit serve``): it changes uvicorn's loggers for the
    whole process, so an in-process :class:`~mockpit.MockServer` never calls it.
    """
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        logger = logging.getLogger(name)
        logger.handlers = [_Forward()] if name == "uvicorn" else []
        logger.propagate = name != "uvicorn"
        logger.setLevel(logging.INFO if name == "uvicorn" else logging.NOTSET)  # mockpit.transport decides
