"""Type aliases shared across mockpit's modules."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from ._model import Request, Response

#: A JSON value as :func:`json.loads` returns it.
JSON = Any

#: What a Python handler may return: a :class:`Response`, or a shortcut for one
#: (``dict``/``list`` become a JSON body, ``str``/``bytes`` a plain body).
HandlerResult = Union["Response", dict[str, Any], list[Any], str, bytes]

#: A callable that answers a request, sync or async.
Handler = Callable[["Request"], HandlerResult | Awaitable[HandlerResult]]

#: Headers as given by users: a mapping (a list value means several headers of that name) or pairs.
HeadersInput = Union[Mapping[str, str | Sequence[str]], Sequence[tuple[str, str]]]
