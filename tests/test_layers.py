"""The architecture, enforced: lower layers never import upper ones, and no module imports itself back.

model -> matching -> mapping, templating -> engine -> capabilities -> transport -> admin -> server -> front ends.
A layer is a subpackage (or a top-level module); a module may import modules of its own layer or lower
ones. Every import counts: at the top, inside functions (imported on use) and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from _wire import free_port

PACKAGE = "mockpit"
SRC = Path(__file__).resolve().parent.parent / "src" / PACKAGE

# Each layer by the name right under mockpit. Names that do not exist yet keep their place for what is
# planned: the dashboard (inside _admin).
LAYERS = {
    "_errors": 1,
    "_extras": 1,
    "_types": 0,
    "_json": 0,
    "_model": 1,
    "_matching": 2,
    "_mapping": 3,
    "_templating": 3,
    "_dsl": 4,
    "_openapi": 4,
    "_graphql": 4,
    "_llm": 4,
    "_store": 4,
    "_engine": 5,
    "_protocols": 6,
    "_recording": 6,
    "_sources": 6,
    "_transport": 7,
    "_admin": 8,
    "_server": 9,
    "cli": 10,
    "_console": 10,
    "_help": 10,
    "pytest_plugin": 10,
    "__main__": 10,
    "__init__": 11,
    "examples": 12,
}
# modules below the transport must not know it exists
TRANSPORT_LIBRARIES = {"uvicorn", "httptools", "uvloop", "starlette"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(SRC.rglob("*.py"))}


def _layer_name(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _resolve(module: str, node: ast.ImportFrom) -> list[str]:
    """The modules (of mockpit or others) that ``from ... import ...`` in ``module`` names."""
    if node.level:
        is_package = MODULES[module].name == "__init__.py"
        base = module.split(".")
        base = base if is_package else base[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join([*base, *([node.module] if node.module else [])])
    else:
        target = node.module or ""
    if target == PACKAGE and [alias.name for alias in node.names] == ["__version__"]:
        return []  # a constant that __init__ defines before it imports anything
    # `from package import module` names a module; `from module import name` names the module
    found = [f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in MODULES]
    return found or [target]


@cache
def imports(module: str) -> frozenset[str]:
    """Every module ``module`` imports, wherever the import statement is."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found.update(_resolve(module, node))
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    found.discard(module)
    return frozenset(found)


def _own(name: str) -> str | None:
    """The mockpit module ``name`` refers to (a package's ``__init__`` for a package), else None."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def test_every_module_has_a_layer() -> None:
    missing = sorted({_layer_name(m) for m in MODULES} - set(LAYERS))
    assert not missing, f"add {missing} to LAYERS in tests/test_layers.py"


def test_there_are_few_layers() -> None:
    # the table names subpackages, not modules: it grows when the architecture does, not with every file
    assert len(LAYERS) < 30


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_imports_only_its_own_or_lower_layers(module: str) -> None:
    layer = LAYERS[_layer_name(module)]
    for name in sorted(imports(module)):
        if not (name == PACKAGE or name.startswith(PACKAGE + ".")):
            if layer < LAYERS["_transport"]:
                assert name.split(".")[0] not in TRANSPORT_LIBRARIES, f"{module} imports {name}, a transport library"
            continue
        target = _own(name)
        assert target is not None, f"{module} imports {name}, which does not exist"
        target_layer = LAYERS[_layer_name(target)]
        assert target_layer <= layer, (
            f"{module} (layer {layer}, {_layer_name(module)}) imports {target} "
            f"(layer {target_layer}, {_layer_name(target)})"
        )


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module in MODULES:
        edges = {_own(name) for name in imports(module) if name.startswith(PACKAGE + ".")}
        graph[module] = {e for e in edges if e is not None and e != module}
    return graph


def test_no_import_cycles() -> None:
    graph = _graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_layer_test_sees_imports_everywhere() -> None:
    # a guard on the test itself: a lazy import, a TYPE_CHECKING import and a relative one all count
    assert "mockpit._model" in imports("mockpit._server")
    assert any(name.startswith("mockpit._transport") for name in imports("mockpit._server"))


def test_the_lazy_public_api_names_every_export() -> None:
    import mockpit

    assert set(mockpit._WHERE) | {"__version__"} == set(mockpit.__all__)
    for name in mockpit.__all__:
        assert getattr(mockpit, name) is not None


def test_the_cli_and_the_plugin_do_not_import_the_world() -> None:
    code = (
        "import sys, mockpit.cli, mockpit.pytest_plugin; "
        "print(sorted(m for m in sys.modules if m.startswith(('pydantic', 'uvicorn'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_contributing_shows_these_layers() -> None:
    # CONTRIBUTING.md's table of layers is what newcomers read: it must say what this test enforces
    text = (SRC.parent.parent / "CONTRIBUTING.md").read_text(encoding="utf-8")
    shown: dict[str, int] = {}
    for number, names in re.findall(r"^\| (\d+) \| ([^|]+) \|", text, flags=re.MULTILINE):
        for name in re.findall(r"`(\w+)`", names):
            shown[name] = int(number)
    assert shown == LAYERS


def _plain_folder(root: Path) -> None:
    """A folder of one plain stub (``GET /hello`` -> ``hi``), the kind that starts on the fast path."""
    (root / "mappings").mkdir()
    stub = {"request": {"method": "GET", "url": "/hello"}, "response": {"status": 200, "body": "hi"}}
    (root / "mappings" / "hello.json").write_text(json.dumps(stub), encoding="utf-8")


def test_serving_a_plain_mapping_folder_needs_no_pydantic(tmp_path: Path) -> None:
    # pydantic costs ~60 ms of start-up: common mappings are read without it, and every module a start
    # touches (the WebSocket admin routes, the DSL) imports the pydantic-based readers on use only
    _plain_folder(tmp_path)
    code = (
        "import sys, urllib.request\n"
        "from mockpit import MockServer\n"
        "with MockServer(mappings=sys.argv[1]) as server:\n"
        "    assert urllib.request.urlopen(server.url + '/hello').read() == b'hi'\n"
        "print(sorted(m for m in sys.modules if m.startswith('pydantic')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_mockpit_serve_answers_without_importing_rich_or_regex(tmp_path: Path) -> None:
    # 17 ms of a 93 ms start: rich comes with the first console line that needs it (a miss, an error),
    # regex with the first user regex; a server that only answers its plain stubs imports neither
    _plain_folder(tmp_path)
    code = (
        "import os, sys, threading, time, urllib.request\n"
        "root, port = sys.argv[1], sys.argv[2]\n"
        "def probe():\n"
        "    for _ in range(500):\n"
        "        try:\n"
        "            body = urllib.request.urlopen(f'http://127.0.0.1:{port}/hello', timeout=5).read()\n"
        "            break\n"
        "        except OSError:\n"
        "            time.sleep(0.02)\n"
        "    loaded = sorted({m.split('.')[0] for m in sys.modules} & {'rich', 'regex', 'pydantic'})\n"
        "    print(body, loaded, flush=True)\n"
        "    os._exit(0)\n"
        "threading.Thread(target=probe, daemon=True).start()\n"
        "sys.argv = ['mockpit', 'serve', root, '--port', port]\n"
        "from mockpit.cli import main\n"
        "main()\n"
    )
    port = str(free_port())
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path), port], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.splitlines()[-1] == "b'hi' []"
