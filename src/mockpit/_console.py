"""``mockpit serve``'s console: one line per logged request, saying why when mockpit chose the status,
and mockpit's log (the transport's lines, uvicorn's among them) printed in the same format.

By default the console logs what mockpit decided: a request no stub matched (404, with the closest stub
and what differed first), a status a stub's document chose (422 from OpenAPI validation, with its first
violation) and the transport's refusals (400, 408, 413, 503, with the limit). ``--verbose`` logs every
request, and the whole detail: the near-miss report, every violation.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

import click

if TYPE_CHECKING:
    from rich.console import Console

    from ._engine.journal import ServeEvent


class Printer(Protocol):
    """What the console code needs of a rich :class:`~rich.console.Console`: ``print`` with markup."""

    def print(self, *objects: Any, **kwargs: Any) -> None: ...


class LazyConsole:
    """A rich Console made on its first print.

    rich costs about 12 ms of imports, a tenth of ``mockpit serve``'s start-up, and a server that
    answers what it is asked prints nothing after its start-up lines, which :func:`say` writes
    without rich. The first line that needs rich (a miss, an error, ``--verbose``) imports it.
    """

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def print(self, *objects: Any, **kwargs: Any) -> None:
        console = self._console
        if console is None:
            from rich.console import Console

            console = self._console = Console(**self._options)
        console.print(*objects, **kwargs)


def say(*parts: str | tuple[str, dict[str, Any]], err: bool = False) -> None:
    """One start-up line: text pieces, and (text, click.style options) for the styled ones.

    Styles only on a terminal (click.echo strips them elsewhere), as rich does; no markup to escape.
    """
    click.echo("".join(p if isinstance(p, str) else click.style(p[0], **p[1]) for p in parts), err=err)


BOLD: dict[str, Any] = {"bold": True}


def event_markup(event: ServeEvent, *, verbose: bool) -> str | None:
    """The console's line (rich markup) for a serve event; several lines with ``verbose``; ``None``: no line."""
    from rich.markup import escape

    from ._matching.report import report_markup, summarise_misses

    request = event.request
    response = event.response
    head = escape(f"{request.method} {request.url} -> {response.status}")
    stub = event.stub
    if stub is None:
        if verbose:
            return f"[yellow]{head}, no stub matched[/]\n{report_markup(event.near_miss_report or '').rstrip()}"
        return f"[yellow]{head}, {escape(summarise_misses(event.near_misses or []))}[/]"
    why = response.why
    if why is None:
        return f"{head}  {escape(stub.describe())}" if verbose else None
    headline, details = why[0], why[1:]
    if verbose:
        lines = [f"[yellow]{head}, {escape(headline)}[/]  {escape(stub.describe())}"]
        lines.extend(f"    - {escape(detail)}" for detail in details)
        return "\n".join(lines)
    if details:
        headline = f"{headline}: {details[0]}"
        if len(details) > 1:
            headline += f" (and {len(details) - 1} more; --verbose lists them)"
    return f"[yellow]{head}, {escape(headline)}[/]  {escape(stub.describe())}"


class ConsoleHandler(logging.Handler):
    """mockpit's log records on the console: information on ``out``, warnings and errors on ``err``."""

    def __init__(self, out: Printer, err: Printer) -> None:
        super().__init__(logging.INFO)
        self.out = out
        self.err = err

    def emit(self, record: logging.LogRecord) -> None:
        from rich.markup import escape

        try:
            text = escape(record.getMessage())
            if record.exc_info:
                text += "\n" + escape(logging.Formatter().formatException(record.exc_info))
            if record.levelno >= logging.ERROR:
                self.err.print(f"[bold red]error:[/] {text}  [dim]({escape(record.name)})[/]")
            elif record.levelno >= logging.WARNING:
                self.err.print(f"[bold yellow]warning:[/] {text}  [dim]({escape(record.name)})[/]")
            else:
                self.out.print(text)
        except Exception:  # logging's own way: a failing handler reports and goes on
            self.handleError(record)


def log_to_console(out: Printer, err: Printer) -> None:
    """Print the ``mockpit`` log (INFO and up) on the console, uvicorn's messages in it.

    For a process that is mockpit's alone: the ``mockpit`` logger then prints here and no longer
    propagates, and uvicorn's own loggers are routed into ``mockpit.transport``.
    """
    from ._transport.log import adopt_uvicorn_loggers

    logger = logging.getLogger("mockpit")
    logger.handlers = [ConsoleHandler(out, err)]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    adopt_uvicorn_loggers()
