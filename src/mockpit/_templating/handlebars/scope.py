"""What one render of a Handlebars template carries: the chain of scopes a name is looked up in (the
value, block parameters and ``@data`` of each enclosing block) and the variables that helpers assign."""

from __future__ import annotations

from typing import Any

from mockpit._templating.context import TemplateContext


class Render:
    """One render: the request's context and the variables helpers assign (``assign``, ``parseJson`` ...)."""

    __slots__ = ("context", "variables")

    def __init__(self, context: TemplateContext) -> None:
        self.context = context
        self.variables: dict[str, Any] = {}


class Scope:
    """One level of the chain: the value ``this`` names, its block's ``@data`` and parameters, the scope around."""

    __slots__ = ("data", "params", "parent", "render", "value")

    def __init__(
        self,
        value: Any,
        parent: Scope | None,
        data: dict[str, Any] | None,
        params: dict[str, Any] | None,
        render: Render,
    ) -> None:
        self.value = value
        self.parent = parent
        self.data = data
        self.params = params
        self.render = render
