"""Lower layers never import upper ones: model -> matching -> rendering -> engine -> transport -> front ends."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "mockpit"

# Each module's layer; a module may import only modules of its own layer or lower ones.
LAYERS = {
    "_errors": 0,
    "_types": 0,
    "_model": 1,
    "_custom_matchers": 1,
    "_jsonpath": 2,
    "_json_schema": 2,
    "_json_unit": 2,
    "_multipart": 2,
    "_xml": 2,
    "_mapping_format": 2,
    "_dsl": 2,
    "_template_values": 2,
    "_template_helpers": 2,
    "_handlebars": 3,
    "_template_jinja": 3,
    "_templating": 3,
    "_matching": 3,
    "_index": 3,
    "_journal": 3,
    "_near_miss": 3,
    "_proxy": 4,
    "_webhooks": 4,
    "_scenarios": 3,
    "_rendering": 4,
    "_openapi_document": 4,
    "_openapi_data": 4,
    "_openapi_validation": 4,
    "_openapi": 4,
    "_engine": 5,
    "_sources": 5,
    "_recording": 5,
    "_har": 5,
    "_asgi": 6,
    "_uvicorn": 6,
    "_tls": 6,
    "_admin": 7,
    "_admin_openapi": 7,
    "_server": 7,
    "pytest_plugin": 8,
    "cli": 8,
    "__main__": 8,
    "__init__": 9,
}
# modules below the transport must not know it exists
TRANSPORT_LIBRARIES = {"uvicorn", "httptools", "uvloop", "starlette"}


def _type_checking_only(tree: ast.Module) -> set[int]:
    """ids of nodes under ``if TYPE_CHECKING:``: imports for annotations, no dependency at run time."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            skipped.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    return skipped


def _imports(path: Path) -> set[str]:
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                found.add(node.module.split(".")[0])
            elif node.level == 1:
                found.update(alias.name for alias in node.names)
            elif node.module:
                found.add("^" + node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update("^" + alias.name.split(".")[0] for alias in node.names)
    return found


def test_every_module_has_a_layer() -> None:
    modules = {p.stem for p in SRC.glob("*.py")}
    assert modules == set(LAYERS), "add new modules to LAYERS in tests/test_layers.py"


@pytest.mark.parametrize("module", sorted(LAYERS))
def test_module_imports_only_lower_layers(module: str) -> None:
    imports = _imports(SRC / f"{module}.py")
    for name in imports:
        if name.startswith("^"):
            if LAYERS[module] < LAYERS["_asgi"]:
                assert name[1:] not in TRANSPORT_LIBRARIES, f"{module} imports {name[1:]}, a transport library"
            continue
        if name == "__version__" or name not in LAYERS:
            continue
        assert LAYERS[name] <= LAYERS[module], (
            f"{module} (layer {LAYERS[module]}) imports {name} (layer {LAYERS[name]})"
        )


def test_the_lazy_public_api_names_every_export() -> None:
    import mockpit

    assert set(mockpit._WHERE) | {"__version__"} == set(mockpit.__all__)
    for name in mockpit.__all__:
        assert getattr(mockpit, name) is not None


def test_the_cli_and_the_plugin_do_not_import_the_world() -> None:
    import subprocess
    import sys

    code = (
        "import sys, mockpit.cli, mockpit.pytest_plugin; "
        "print(sorted(m for m in sys.modules if m.startswith(('pydantic', 'uvicorn'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
