"""``pip install mockpit`` is light: the core installs into a fresh venv without the optional libraries,
serves, templates and runs its pytest plugin there, and each optional feature says which extra it needs.

The venv is real (uv installs this checkout into it, as pip would from PyPI) and shared by the module.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: what the core must not pull in: each comes with an extra
OPTIONAL = {"lxml", "faker", "trustme", "cryptography", "openapi-spec-validator", "jsonschema", "rstr", "watchfiles"}


@pytest.fixture(scope="module")
def core(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a fresh venv holding ``mockpit`` (no extras) and pytest, the user's own test runner."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    assert uv, "the test extra installs uv"
    venv = tmp_path_factory.mktemp("core") / "venv"
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([uv, "pip", "install", "-q", "--python", str(python), str(REPO), "pytest"], check=True, timeout=600)
    return python


def run(python: Path, code: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120, cwd=cwd, check=False
    )


def test_the_core_leaves_the_optional_libraries_out(core: Path) -> None:
    code = "import importlib.metadata as m, json; print(json.dumps([d.metadata['Name'] for d in m.distributions()]))"
    installed = {name.lower() for name in json.loads(run(core, code).stdout)}
    assert not installed & OPTIONAL, installed & OPTIONAL
    assert "mockpit" in installed
    # the venv also holds pytest and what it needs, the user's own; with the extras in, the core was 46
    core_packages = installed - {"pytest", "iniconfig", "packaging", "pluggy", "pygments", "exceptiongroup", "tomli"}
    assert len(core_packages) <= 27, sorted(core_packages)


def test_the_core_serves_matches_and_templates(core: Path) -> None:
    done = run(
        core,
        """
        import json, urllib.request
        from mockpit import MockServer, get, post, equal_to_json
        with MockServer(templating=True) as server:
            server.when(get("/hello")).respond(json={"hi": "{{request.path.[0]}}"})
            server.when(post("/orders").json({"item": "book"})).respond(201)
            print(json.load(urllib.request.urlopen(server.url_for("/hello"))))
            request = urllib.request.Request(server.url_for("/orders"), data=b'{"item": "book"}', method="POST")
            print(urllib.request.urlopen(request).status)
        """,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["{'hi':", "'hello'}", "201"]


@pytest.mark.parametrize(
    ("code", "extra"),
    [
        ("MockServer(openapi={'openapi': '3.0.3', 'info': {'title': 't', 'version': '1'}, 'paths': {}})", "openapi"),
        ("MockServer(https=True)", "https"),
        (
            "MockServer(mappings={'request': {'bodyPatterns': [{'equalToXml': '<a/>'}]}, 'response': {}})",
            "xml",
        ),
        (
            "MockServer(mappings={'request': {'bodyPatterns': [{'matchesJsonSchema': {'type': 'object'}}]}, "
            "'response': {}})",
            "jsonschema",
        ),
        (
            "MockServer(mappings={'request': {}, 'response': {'body': '{{random \"Name.firstName\"}}', "
            "'transformers': ['response-template']}})",
            "faker",
        ),
        (
            "import os, tempfile\nroot = tempfile.mkdtemp()\nos.mkdir(root + '/mappings')\n"
            "MockServer(mappings=root, watch=True)",
            "watch",
        ),
    ],
    ids=["openapi", "https", "xml", "jsonschema", "faker", "watch"],
)
def test_an_optional_feature_names_its_extra(core: Path, code: str, extra: str) -> None:
    done = run(core, f"from mockpit import MockServer\n{code}\n")
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert f"pip install 'mockpit[{extra}]'" in last, done.stderr
    assert "ModuleNotFoundError" not in done.stderr


def test_the_cli_names_the_extra_and_exits_2(core: Path, tmp_path: Path) -> None:
    document = REPO / "tests" / "data" / "openapi" / "petstore.yaml"
    done = subprocess.run(
        [str(core.parent / "mockpit"), "serve", str(document), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "pip install 'mockpit[openapi]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_no_optional_library_registers_a_pytest_plugin(core: Path, tmp_path: Path) -> None:
    (tmp_path / "test_it.py").write_text("def test_it(mockpit):\n    assert mockpit.port\n")
    done = subprocess.run(
        [str(core), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    plugins = subprocess.run(
        [str(core), "-m", "pytest", "--co", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    ).stdout
    line = next(line for line in plugins.splitlines() if line.startswith("plugins:"))
    names = {name.strip().split("-")[0] for name in line.removeprefix("plugins:").split(",")}
    # anyio's comes with httpx (proxying, webhooks): every project using httpx has it, and it does
    # nothing unless a test asks for it; Faker's, which registered fixtures of its own, is gone
    assert names == {"mockpit", "anyio"}, line
