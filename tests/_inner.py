"""Pytest inside pytest (pytester), for the plugin's tests: inner runs, and one run's report read per test.

An inner session costs pytest's and the plugins' start-up, so a module puts the test files of many checks
in one session and reads back, per test, its outcome and the part of the report about it.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

import pytest

#: "-rA": a summary line for every test, with its outcome
_SUMMARY = re.compile(r"(PASSED|FAILED|ERROR) (\S+?)::(\S+)(?: - .*)?")
#: the title of a test's section of the report: "___ test_x ___" or "___ ERROR at teardown of test_x ___"
_TITLE = re.compile(r"_{3,} (?:ERROR at \w+ of )?(\S+) _{3,}")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """``pytest ARGS`` in pytester's folder, in this process."""
    # hypothesis's plugin costs over a second per in-process run, and the inner tests have no use for it
    return pytester.runpytest("-p", "no:hypothesispytest", *args)


@dataclass(frozen=True)
class Report:
    """What an inner session printed, read per file and per test."""

    lines: list[str]

    @classmethod
    def of_files(cls, pytester: pytest.Pytester, files: dict[str, str], *args: str) -> Report:
        """Write ``files`` (path -> content, dedented) and run them in one session.

        Test names must be unique across the files (a report's titles show names only), and so must module
        names across the whole suite (the inner session imports them into this process).
        """
        for path, content in files.items():
            (pytester.path / path).parent.mkdir(parents=True, exist_ok=True)
            (pytester.path / path).write_text(textwrap.dedent(content).lstrip(), encoding="utf-8")
        return cls(run(pytester, "-rA", *args).outlines)

    def outcomes(self, file: str) -> dict[str, list[str]]:
        """Each test of ``file`` and its outcomes: ["FAILED"], or ["PASSED", "ERROR"] if its teardown failed."""
        found: dict[str, list[str]] = {}
        for line in self.lines:
            if (summary := _SUMMARY.fullmatch(line)) and summary.group(2) == file:
                found.setdefault(summary.group(3), []).append(summary.group(1))
        return found

    def about(self, test: str) -> pytest.LineMatcher:
        """The report's sections about ``test`` and its summary lines, for pytester's line matching."""
        mine: list[str] = []
        inside = False
        for line in self.lines:
            if title := _TITLE.fullmatch(line):
                inside = title.group(1) == test
            elif line.startswith("==="):
                inside = False
            elif (summary := _SUMMARY.fullmatch(line)) and summary.group(3) == test:
                mine.append(line)
            if inside:
                mine.append(line)
        assert mine, f"the report says nothing about {test}"
        return pytest.LineMatcher(mine)
