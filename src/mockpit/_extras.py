"""Optional dependencies: which extra of mockpit brings which library, and a clear error without it.

``pip install mockpit`` brings what an in-process mock, the pytest plugin, the CLI, WireMock's mapping
format, JSON/text/regex matching and Handlebars/Jinja templating need. The rest is in extras, each
checked where a feature first needs it (when a stub loads, where possible), so that a missing one is
an error naming the feature and the command that fixes it, not an ``ImportError`` from deep inside.
"""

from __future__ import annotations

import importlib.util
import sys

from ._errors import MockpitError

#: the top-level module of each optional library -> the extra that brings it
EXTRAS = {
    "lxml": "xml",
    "faker": "faker",
    "trustme": "https",
    "openapi_spec_validator": "openapi",
    "rstr": "openapi",
    "jsonschema": "jsonschema",
    "watchfiles": "watch",
    "websockets": "websocket",
    "redis": "redis",
}


class MissingExtraError(MockpitError, ImportError, ValueError):
    """A feature needs a library that an extra of mockpit brings, and it is not installed.

    An ImportError, as what it is; a ValueError too, so that a stub using the feature is refused like any
    other invalid stub, with its file and field named.
    """


def require(module: str, feature: str) -> None:
    """Raise :class:`MissingExtraError` unless ``module`` (a key of :data:`EXTRAS`) can be imported."""
    if module in sys.modules or importlib.util.find_spec(module) is not None:
        return
    extra = EXTRAS[module]
    raise MissingExtraError(
        f"{feature} needs the {module} package, which mockpit's '{extra}' extra installs: "
        f"pip install 'mockpit[{extra}]' (or 'mockpit[all]' for every optional feature)"
    )
