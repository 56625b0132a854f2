"""``mockpit --help``: options and commands grouped into sections, every option documented, colour only on
a terminal and never under NO_COLOR."""

from __future__ import annotations

import os
import re
import subprocess

import click
import pytest
from click.testing import CliRunner

from _processes import mockpit_command
from mockpit.cli import main

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def help_of(*args: str, env: dict[str, str] | None = None) -> str:
    """``mockpit ARGS --help`` as a user runs it, piped (so not a terminal)."""
    done = subprocess.run(
        mockpit_command(*args, "--help"),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        env={**os.environ, **(env or {})},
    )
    assert done.stderr == ""
    return done.stdout


def headings(text: str) -> list[str]:
    return [line[:-1] for line in text.splitlines() if re.fullmatch(r"[A-Z][A-Za-z ]*:", line)]


def test_the_commands_are_grouped() -> None:
    text = help_of()
    assert headings(text) == ["Options", "Serving", "Writing mapping files"]
    serving = text.split("Serving:")[1].split("Writing mapping files:")[0]
    assert re.search(r"^  serve ", serving, re.MULTILINE)
    assert re.search(r"^  record ", serving, re.MULTILINE)
    assert re.search(r"^  generate ", text.split("Writing mapping files:")[1], re.MULTILINE)


def test_serve_options_are_grouped_into_sections_and_piped_output_is_plain() -> None:
    text = help_of("serve")
    assert headings(text) == ["Serving", "Answers", "HTTPS", "Limits", "Fleet", "Admin API", "Other options"]
    assert not ANSI.search(text)
    limits = text.split("\nLimits:\n")[1].split("\nAdmin API:\n")[0]
    for option in ("--max-body-size", "--head-timeout", "--max-connections", "--regex-timeout-ms"):
        assert option in limits
    assert "--admin-token TOKEN" in text.split("\nAdmin API:\n")[1]


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_option_of_every_command_is_documented_in_its_help(name: str) -> None:
    command = main.commands[name]
    text = CliRunner().invoke(main, [name, "--help"]).output
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"mockpit {name} {param.opts[0]} has no help text"
            assert re.search(rf"(^|[ ,]){re.escape(param.opts[-1])}\b", text), f"{param.opts} missing from {name}"


def test_a_terminal_gets_colour_and_no_color_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    coloured = CliRunner().invoke(main, ["serve", "--help"], color=True).output
    assert "\x1b[" in coloured
    assert ANSI.sub("", coloured) == CliRunner().invoke(main, ["serve", "--help"]).output
    monkeypatch.setenv("NO_COLOR", "1")
    assert not ANSI.search(CliRunner().invoke(main, ["serve", "--help"], color=True).output)
