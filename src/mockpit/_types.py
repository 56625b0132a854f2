"""Type aliases shared across mockpit's modules (those about requests and responses live in ``_model``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Union

#: A JSON value as :func:`json.loads` returns it.
JSON = Any

#: Headers as given by users: a mapping (a list value means several headers of that name) or pairs.
HeadersInput = Union[Mapping[str, str | Sequence[str]], Sequence[tuple[str, str]]]
