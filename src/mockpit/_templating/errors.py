"""How templates fail: :class:`TemplateError` (the template is wrong, or could not be rendered) and
:class:`HelperFailure` (a helper could not use this request's data: WireMock prints ``[ERROR: ...]``)."""

from __future__ import annotations


class TemplateError(ValueError):
    """A template is wrong (at load) or could not be rendered (per request).

    The message says what is wrong, where (``line L, column C`` in the template) and how to fix it.
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.line = line
        self.column = column
        #: the message without the position
        self.reason = message
        if line is None:
            super().__init__(message)
        elif column is None:
            super().__init__(f"line {line}: {message}")
        else:
            super().__init__(f"line {line}, column {column}: {message}")


class HelperFailure(Exception):
    """A helper could not do its work on this request's data (WireMock prints ``[ERROR: message]``)."""
