"""The CLI's ``--help``: options grouped into sections (Serving, Limits, Admin API ...), commands too,
headings and option names in colour on a terminal; plain when piped or under ``NO_COLOR``.

Written on click's own formatter rather than with rich-click: rich-click adds about 7 ms to every start
of the CLI (measured: 27 ms to import against click's 20) to a start-up that must stay under 250 ms,
and click's formatter already has sections. Colour goes through ``click.style``; ``click.echo``
drops it when the output is not a terminal.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import click

#: the section of options no section names
OTHER = "Other options"


def _heading(ctx: click.Context, title: str) -> str:
    return click.style(title, bold=True, fg="yellow") if _coloured(ctx) else title


def _coloured(ctx: click.Context) -> bool:
    # NO_COLOR (no-color.org): any value but the empty string turns colour off
    return ctx.color is not False and not os.environ.get("NO_COLOR")


class SectionedCommand(click.Command):
    """A command whose ``--help`` lists its options under the headings of ``sections``.

    ``sections`` maps a heading to the parameter names (as the function receives them) under it, in
    order; options it does not name come last, under :data:`OTHER`.
    """

    def __init__(self, *args: Any, sections: Mapping[str, Sequence[str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sections = dict(sections or {})

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        records: dict[str, tuple[str, str]] = {}
        for param in self.get_params(ctx):
            if not isinstance(param, click.Option):  # arguments are in the usage line and the text
                continue
            record = param.get_help_record(ctx)
            if record is not None and param.name is not None:
                opts, text = record
                records[param.name] = (click.style(opts, fg="cyan") if _coloured(ctx) else opts, text)
        for title, names in [*self.sections.items(), (OTHER, list(records))]:
            rows = [records.pop(name) for name in names if name in records]
            if rows:
                with formatter.section(_heading(ctx, title)):
                    formatter.write_dl(rows)


class SectionedGroup(click.Group):
    """A group whose ``--help`` lists its commands under the headings of ``sections`` (heading -> names)."""

    def __init__(self, *args: Any, sections: Mapping[str, Sequence[str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sections = dict(sections or {})

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [record for param in self.get_params(ctx) if (record := param.get_help_record(ctx)) is not None]
        if rows:
            with formatter.section(_heading(ctx, "Options")):
                formatter.write_dl(rows)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        width = formatter.width - 6 - max((len(name) for name in self.list_commands(ctx)), default=0)
        commands = {
            name: command.get_short_help_str(width)
            for name in self.list_commands(ctx)
            if (command := self.get_command(ctx, name)) is not None and not command.hidden
        }
        for title, names in [*self.sections.items(), ("Other commands", list(commands))]:
            rows = [(name, commands.pop(name)) for name in names if name in commands]
            if rows:
                with formatter.section(_heading(ctx, title)):
                    formatter.write_dl(rows)
