"""The exceptions mockpit raises, all under one base class.

MockpitError
├── MappingError        a stub definition is invalid: says the source, the field and the fix
│   └── MappingErrors   several of them, from several files, reported at once
├── ServerError         the server could not start, or is used in a state it is not in
├── VerificationError   a verify() call found the wrong number of requests (also an AssertionError)
└── HandlerError        a Python handler raised inside the server thread; re-raised in the test thread
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._model import Request


class MockpitError(Exception):
    """Base class of every error mockpit raises on purpose."""


class MappingError(MockpitError, ValueError):
    """A stub definition (mapping file, admin payload or Python call) is invalid.

    ``source`` names where it came from (a file path, ``admin API`` ...), ``location`` the keys leading
    to the offending field (``("request", "headers", "Accept", "equalTo")``), shown as ``field``
    (``request.headers.Accept.equalTo``) or as a JSON ``pointer``; ``str()`` gives all three with the fix.
    """

    def __init__(
        self, message: str, *, source: str | None = None, field: str | Sequence[str | int] | None = None
    ) -> None:
        self.message = message
        self.source = source
        #: the keys and list positions leading to the field; a plain string means one key per dot
        self.location: tuple[str | int, ...] = tuple(field.split(".")) if isinstance(field, str) else tuple(field or ())
        super().__init__(self.__str__())

    @property
    def field(self) -> str | None:
        """The location for people: ``mappings[1].request.headers.Accept``."""
        out = ""
        for part in self.location:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out or None

    @property
    def pointer(self) -> str:
        """The location as a JSON pointer (RFC 6901): ``/mappings/1/request/headers/Accept``."""
        return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in self.location) or "/"

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.source, self.field) if part)
        return f"{where}: {self.message}" if where else self.message

    def with_source(self, source: str) -> MappingError:
        return MappingError(self.message, source=source, field=self.location)

    def within(self, *prefix: str | int) -> MappingError:
        """The same error, located inside ``prefix`` (a stub that is item 2 of ``mappings``)."""
        return MappingError(self.message, source=self.source, field=(*prefix, *self.location))


class MappingErrors(MappingError):
    """Several broken mapping files or stubs, reported together: each one's file and field, one per line.

    It is the first error (``source``, ``field``, ``pointer`` are that one's), with the others in ``errors``;
    at most :data:`SHOWN` are listed, then how many more there are.
    """

    SHOWN = 20

    def __init__(self, errors: Sequence[MappingError]) -> None:
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.message, source=first.source, field=first.location)

    def __str__(self) -> str:
        shown = [MappingError.__str__(error) for error in self.errors[: self.SHOWN]]
        more = len(self.errors) - self.SHOWN
        tail = [f"... and {more} more"] if more > 0 else []
        return "\n".join([f"{len(self.errors)} problems in the mappings:", *shown, *tail])


def collected(errors: Sequence[MappingError]) -> MappingError:
    """One error for ``errors`` (at least one): itself when alone, else :class:`MappingErrors`."""
    return errors[0] if len(errors) == 1 else MappingErrors(errors)


class ServerError(MockpitError, RuntimeError):
    """The server could not start (port taken, bad host) or was used in the wrong state."""


class VerificationError(MockpitError, AssertionError):
    """``MockServer.verify`` found a different number of matching requests than expected."""


class HandlerError(MockpitError):
    """A Python handler raised while answering a request inside the server thread.

    The original exception is chained as ``__cause__``; ``request`` is the request it was answering and
    ``traceback_text`` the traceback as formatted in the server thread.
    """

    def __init__(self, message: str, request: Request | None, traceback_text: str = "") -> None:
        self.request = request
        self.traceback_text = traceback_text
        super().__init__(message)
