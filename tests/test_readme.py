"""The README's Python snippets are a contract: each one runs, as written, against real servers."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from _inner import run

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)
#: every page of the docs site: each Python example is a whole program, or a test file run by pytest
GUIDES = sorted((README.parent / "docs").glob("*.md"))
GUIDE_BLOCKS = [
    pytest.param(code, id=f"{guide.stem}-{i}")
    for guide in GUIDES
    for i, code in enumerate(re.findall(r"```python\n(.*?)```", guide.read_text(encoding="utf-8"), flags=re.DOTALL))
]


def test_the_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize(
    "code", [b for b in BLOCKS if "def test_" not in b], ids=lambda code: code.split("\n")[-2][:40]
)
def test_readme_snippet_runs(code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(README.parent)  # snippets name paths relative to the repository
    exec(compile(code, str(README), "exec"), {"__name__": "readme"})


@pytest.mark.parametrize(
    "snippet", [b for b in BLOCKS if "def test_" in b], ids=lambda code: code.split("def ")[1][:30]
)
def test_readme_pytest_snippet_passes(pytester: pytest.Pytester, snippet: str) -> None:
    # the record-and-playback example replays the cassette kept in the repository
    shutil.copytree(README.parent / "examples" / "cassettes", pytester.path / "examples" / "cassettes")
    pytester.makepyfile(test_snippet=snippet)
    result = run(pytester, "-p", "no:cacheprovider", "--mockpit-record=none")
    result.assert_outcomes(passed=snippet.count("def test_"))


def test_the_guides_have_python_examples() -> None:
    assert len(GUIDE_BLOCKS) >= 15


@pytest.mark.parametrize("code", GUIDE_BLOCKS)
def test_guide_snippet_runs(code: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    if "def test_" not in code and "def mockpit_server" not in code:
        monkeypatch.chdir(README.parent)
        exec(compile(code, "docs", "exec"), {"__name__": "guide"})
        return
    # only here: pytester drops the modules a test imported when it ends, which would leave the libraries
    # an exec'd example loaded half-forgotten for the next one (a YAML loader that knows no tags)
    pytester: pytest.Pytester = request.getfixturevalue("pytester")
    if "def mockpit_server" in code:  # a conftest.py recipe: a suite in suite/, run from the folder above
        suite = pytester.path / "suite"
        for part in ("mappings", "__files"):
            shutil.copytree(README.parent / "examples" / part, suite / "mocks" / part)
        (suite / "conftest.py").write_text(code)
        (suite / "test_recipe.py").write_text(
            "import httpx\n\n"
            "def test_served_from_the_conftest_folder(mockpit):\n"
            "    assert httpx.get(mockpit.url_for('/hello')).json() == {'message': 'hello'}\n"
        )
        run(pytester, "-p", "no:cacheprovider", "suite").assert_outcomes(passed=1)
        return
    # a test file: pytest runs it, with the plugin, and each of its tests passes
    shutil.copytree(README.parent / "examples", pytester.path / "examples")
    pytester.makepyfile(test_guide=code)
    run(pytester, "-p", "no:cacheprovider").assert_outcomes(passed=code.count("def test_"))


def test_the_docs_site_builds_strictly(tmp_path: Path) -> None:
    # strict: a broken link, a missing page or an unknown anchor fails the build (as make docs does)
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=README.parent,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    admin = (tmp_path / "site" / "admin-api" / "index.html").read_text()
    assert "/__admin/mappings/find-by-metadata" in admin  # the endpoint table rendered from the API's document
