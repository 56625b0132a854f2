"""The README's Python snippets are a contract: each one runs, as written, against real servers."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from _inner import run

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)
#: the guides in docs/ whose examples are whole programs (templating.md's table is tested in test_templating)
GUIDES = [README.parent / "docs" / name for name in ("responses.md", "sse.md", "llm.md")]
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
    assert len(GUIDE_BLOCKS) >= 5


@pytest.mark.parametrize("code", GUIDE_BLOCKS)
def test_guide_snippet_runs(code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(README.parent)
    exec(compile(code, "docs", "exec"), {"__name__": "guide"})
