"""The public API as a type checker sees it: mypy accepts what users should write and rejects mistakes.

The snippet below is checked by mypy's API, as a user's code would be. Each line that must fail says
which error codes it expects (``# E: arg-type call-arg``); every other line must pass. mypy reads only
the snippet and the mockpit modules that define what it uses (``--follow-imports=skip`` treats the
rest as ``Any``), so the check takes about a second.
"""

from __future__ import annotations

import os
import re
import textwrap
from collections import defaultdict
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

SRC = Path(__file__).resolve().parent.parent / "src" / "mockpit"
#: the modules whose signatures the snippet checks
MODULES = ["__init__.py", "_dsl.py", "_server.py", "pytest_plugin.py"]

SNIPPET = """
from typing_extensions import assert_type

from mockpit import (
    Matcher,
    MockServer,
    MockServerFactory,
    MultipartMatcher,
    RequestPatternBuilder,
    contains,
    delete,
    get,
    head,
    multipart,
    options,
    patch,
    post,
    put,
)

assert_type(get("/users/{id}"), RequestPatternBuilder)
assert_type(post(path_matching="/users/[0-9]+"), RequestPatternBuilder)
assert_type(put(url_matching="/users\\\\?page=.*"), RequestPatternBuilder)
assert_type(patch(), RequestPatternBuilder)
assert_type(delete("/users/7"), RequestPatternBuilder)
assert_type(head("/"), RequestPatternBuilder)
assert_type(options("/"), RequestPatternBuilder)
get(42, path_matchin="x")  # E: arg-type call-arg
post("/a", "/b")  # E: call-arg
put(url="/a", url_matching=3)  # E: arg-type
delete(path="/a")  # E: call-arg

def wants_matcher(matcher: Matcher) -> None: ...
def wants_part(part: MultipartMatcher) -> None: ...

wants_matcher(contains("x"))
wants_part(multipart("file"))
wants_matcher(multipart("file"))  # E: arg-type
wants_part(contains("x"))  # E: arg-type
post("/upload").multipart(contains("x"))  # E: arg-type
post("/upload").body(multipart("file"))  # E: arg-type

def test_two_apis(mockpit_factory: MockServerFactory) -> None:
    assert_type(mockpit_factory(), MockServer)
    assert_type(mockpit_factory("127.0.0.1", "8080", "tests/api", https=True), MockServer)
    assert_type(mockpit_factory(openapi=["api.yaml", {"openapi": "3.1.0"}], seed=3, templating="jinja"), MockServer)
    mockpit_factory(mapings="tests/api")  # E: call-arg
    mockpit_factory(port=None)  # E: arg-type
    mockpit_factory(templating="mustache")  # E: arg-type
    mockpit_factory("127.0.0.1", 0, None, None)  # E: call-arg
"""


def _expected(snippet: str) -> dict[int, set[str]]:
    expected: dict[int, set[str]] = {}
    for number, line in enumerate(snippet.splitlines(), 1):
        codes = re.search(r"# E: ([\w -]+)$", line)
        if codes:
            expected[number] = set(codes.group(1).split())
    return expected


def _mypy_errors(snippet: str, tmp_path: Path) -> dict[int, set[str]]:
    path = tmp_path / "snippet.py"
    path.write_text(snippet, encoding="utf-8")
    stdout, stderr, _ = mypy_api.run(
        [
            "--config-file=",  # not the project's: it would check all of src/ with the pydantic plugin
            "--strict",
            "--follow-imports=skip",
            "--show-error-codes",
            "--no-error-summary",
            f"--cache-dir={os.devnull}",
            str(path),
            *(str(SRC / module) for module in MODULES),
        ]
    )
    assert not stderr, stderr
    found: dict[int, set[str]] = defaultdict(set)
    for line in stdout.splitlines():
        error = re.match(rf"{re.escape(str(path))}:(\d+): error: .*\[([\w-]+)\]$", line)
        if error:
            found[int(error.group(1))].add(error.group(2))
        elif line.startswith(str(path)) and ": note:" not in line:
            pytest.fail(f"mypy said something unexpected about the snippet: {line}")
    return dict(found)


def test_mypy_accepts_the_public_api_used_right_and_rejects_mistakes(tmp_path: Path) -> None:
    snippet = textwrap.dedent(SNIPPET)
    expected = _expected(snippet)
    found = _mypy_errors(snippet, tmp_path)
    lines = snippet.splitlines()
    wrong = {
        f"line {n}: {lines[n - 1].strip()}": (sorted(expected.get(n, ())), sorted(found.get(n, ())))
        for n in sorted(set(found) | set(expected))
        if found.get(n, set()) != expected.get(n, set())
    }
    assert not wrong, "(expected error codes, mypy's) per line: " + repr(wrong)
