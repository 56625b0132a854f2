"""Custom request matchers: Python functions that stubs name in ``customMatcher``.

::

    import mockpit

    def has_tenant(request: mockpit.Request, parameters: Mapping[str, Any]) -> bool:
        return request.headers.get("X-Tenant") == parameters["tenant"]

    mockpit.register_matcher("has-tenant", has_tenant)
    server.add_mapping({
        "request": {"urlPath": "/x", "customMatcher": {"name": "has-tenant", "parameters": {"tenant": "acme"}}},
        "response": {"status": 200},
    })

A stub naming a matcher that is not registered is refused when it loads. The function is looked up when
the stub loads: unregistering it later does not change stubs already added.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockpit._model import Request

#: ``fn(request, parameters) -> bool``: ``parameters`` is the stub's ``customMatcher.parameters`` (read-only)
CustomMatcher = Callable[["Request", Mapping[str, Any]], bool]

_registry: dict[str, CustomMatcher] = {}
_lock = threading.Lock()


def register_matcher(name: str, fn: CustomMatcher) -> None:
    """Make ``fn`` available to stubs as ``{"customMatcher": {"name": name, "parameters": {...}}}``.

    ``fn(request, parameters)`` returns whether the request matches; it runs in the server thread after
    every other field of the stub matched, so keep it quick. If it raises, the request does not match and
    the near-miss report shows the exception. Registering a name again replaces its function.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"a custom matcher needs a non-empty name, got {name!r}")
    if not callable(fn):
        raise TypeError(f"register_matcher({name!r}, fn): fn must be callable, got {type(fn).__name__}")
    with _lock:
        _registry[name] = fn


def unregister_matcher(name: str) -> None:
    """Forget the matcher registered as ``name`` (stubs already added keep using it)."""
    with _lock:
        if _registry.pop(name, None) is None:
            raise KeyError(f"no custom matcher named {name!r} is registered (registered: {_listed()})")


def get_matcher(name: str) -> CustomMatcher | None:
    return _registry.get(name)


def registered_matchers() -> list[str]:
    """The registered names, sorted."""
    return sorted(_registry)


def unknown_matcher_message(name: str) -> str:
    return (
        f"no custom matcher named {name!r} is registered; register it with "
        f"mockpit.register_matcher({name!r}, fn) before adding the stub (registered: {_listed()})"
    )


def _listed() -> str:
    return ", ".join(registered_matchers()) or "none"
