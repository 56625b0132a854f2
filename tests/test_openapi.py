"""OpenAPI documents served: examples, generated data, Prefer, seeds, stubs beside them, generate, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner

from _inner import run
from mockpit import MockServer, get
from mockpit._server import internals
from mockpit.cli import main

DATA = Path(__file__).resolve().parent / "data" / "openapi"
KEY = {"X-API-Key": "k"}
PETSTORE = DATA / "petstore.yaml"
FEATURES = DATA / "features-3.1.yaml"


@pytest.fixture(scope="module")
def features() -> Iterator[tuple[MockServer, httpx.Client]]:
    with MockServer(openapi=FEATURES) as server, httpx.Client(base_url=server.url, headers=KEY) as client:
        yield server, client


def body_of(http_client: httpx.Client, document: Path | dict[str, Any], path: str, **kwargs: Any) -> Any:
    with MockServer(openapi=document, **kwargs) as server:
        return http_client.get(server.url_for(path), headers=KEY).json()


def test_every_petstore_operation_answers_as_documented() -> None:
    with MockServer(openapi=PETSTORE) as server, httpx.Client(base_url=server.url) as client:
        pets = client.get("/pets")
        assert pets.status_code == 200
        assert pets.headers["content-type"] == "application/json"
        assert pets.headers["x-next"]  # a header of the 200 response, generated from its schema
        assert isinstance(pets.json(), list)
        assert all({"id", "name"} <= set(pet) for pet in pets.json())
        pet = client.get("/pets/42").json()
        assert isinstance(pet["id"], int)
        assert isinstance(pet["name"], str)
        created = client.post("/pets", json={"id": 1, "name": "Rex"})
        assert (created.status_code, created.content) == (201, b"")
        assert server.errors == []


def test_the_documents_example_is_the_default_answer(features: tuple[MockServer, httpx.Client]) -> None:
    _, client = features
    response = client.get("/nodes/5")
    assert response.json() == {"id": 1, "name": "leaf", "kind": "leaf", "parent": None, "children": []}
    assert 0 <= int(response.headers["x-rate-limit"]) <= 100


@pytest.mark.parametrize(
    ("prefer", "status", "expected"),
    [
        ("example=root", 200, {"id": 2, "name": "root", "kind": "branch", "parent": None}),
        ("code=404", 404, None),
        ("code=503", 503, None),  # no 503 in the document: its "default" response, with that status
        ('code=404, example="leaf"', 400, None),  # the 404 has no examples
    ],
)
def test_prefer_steers_the_answer(
    prefer: str, status: int, expected: dict[str, Any] | None, features: tuple[MockServer, httpx.Client]
) -> None:
    _, client = features
    response = client.get("/nodes/5", headers={"Prefer": prefer})
    assert response.status_code == status
    if expected is not None:
        assert expected.items() <= response.json().items()
    elif status in {404, 503}:
        assert set(response.json()) == {"code", "message"}


def test_prefer_that_the_document_cannot_satisfy_says_what_it_has(features: tuple[MockServer, httpx.Client]) -> None:
    _, client = features
    unknown = client.get("/nodes/5", headers={"Prefer": "example=trunk"})
    assert unknown.status_code == 400
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["detail"] == (
        "GET /nodes/{nodeId} (getNode): there is no example 'trunk' in the 200 response (it has: leaf, root)"
    )
    square = {"kind": "square", "side": 2}
    conflict = client.post("/shapes", json=square, headers={"Prefer": "code=409"})
    assert conflict.status_code == 400
    assert conflict.json()["detail"].endswith("the document defines no 409 response here (it has: 201, 400)")


def test_prefer_dynamic_makes_new_data_every_time(features: tuple[MockServer, httpx.Client]) -> None:
    _, client = features
    answers = [client.get("/things", headers={"Prefer": "dynamic=true"}).json() for _ in range(5)]
    assert len({json.dumps(a, sort_keys=True) for a in answers}) > 1
    assert client.get("/things").json() == client.get("/things").json()


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(http_client: httpx.Client) -> None:
    seven = body_of(http_client, FEATURES, "/things", seed=7)
    assert body_of(http_client, FEATURES, "/things", seed=7) == seven
    assert body_of(http_client, FEATURES, "/things", seed=8) != seven


def test_dynamic_answers_follow_the_seed_too(http_client: httpx.Client) -> None:
    def answers(seed: int) -> list[Any]:
        with MockServer(openapi=FEATURES, seed=seed) as server:
            return [
                http_client.get(server.url_for("/things"), headers={"Prefer": "dynamic=true"}).json() for _ in range(3)
            ]

    assert answers(3) == answers(3)


def test_adding_an_operation_does_not_change_the_answer_of_another(http_client: httpx.Client) -> None:
    document = yaml.safe_load(PETSTORE.read_text())
    before = body_of(http_client, document, "/pets/1")
    document["paths"] = {"/owners": {"get": {"responses": {"200": {"description": "ok"}}}}, **document["paths"]}
    assert body_of(http_client, document, "/pets/1") == before


def test_a_hand_written_stub_overrides_the_generated_answer_for_what_it_matches(http_client: httpx.Client) -> None:
    with MockServer(openapi=PETSTORE) as server:
        server.when(get("/pets/7")).respond(json={"id": 7, "name": "Seven"})
        assert http_client.get(server.url_for("/pets/7")).json() == {"id": 7, "name": "Seven"}
        assert http_client.get(server.url_for("/pets/8")).json() != {"id": 7, "name": "Seven"}
        server.reset()  # the hand-written stub goes, the document's stay
        assert http_client.get(server.url_for("/pets/7")).json() != {"id": 7, "name": "Seven"}


def test_mapping_files_and_a_document_in_one_server(tmp_path: Path, http_client: httpx.Client) -> None:
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "pets.json").write_text(
        json.dumps({"request": {"method": "GET", "url": "/pets"}, "response": {"jsonBody": []}})
    )
    with MockServer(mappings=[tmp_path, PETSTORE]) as server:
        assert http_client.get(server.url_for("/pets")).json() == []
        assert http_client.get(server.url_for("/pets/1")).json()["name"]
        assert [len(source.stubs) for source in internals(server).sources] == [1, 3]


def test_a_concrete_path_wins_over_a_template_that_also_matches(http_client: httpx.Client) -> None:
    document = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/pets/mine": {
                "get": {"responses": {"200": {"description": "ok", "content": {"text/plain": {"example": "mine"}}}}}
            },
            "/pets/{id}": {
                "get": {
                    "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "ok", "content": {"text/plain": {"example": "any"}}}},
                }
            },
        },
    }
    with MockServer(openapi=document) as server:
        assert http_client.get(server.url_for("/pets/mine")).text == "mine"
        assert http_client.get(server.url_for("/pets/other")).text == "any"


def test_the_accept_header_picks_the_media_type(features: tuple[MockServer, httpx.Client]) -> None:
    _, client = features
    assert client.get("/things").headers["content-type"] == "application/json"
    text = client.get("/things", headers={"Accept": "text/plain"})
    assert text.headers["content-type"] == "text/plain"
    assert len(text.text) >= 4
    weighted = client.get("/things", headers={"Accept": "application/json;q=0.5, text/*;q=0.9"})
    assert weighted.headers["content-type"] == "text/plain"


def test_the_admin_api_lists_the_generated_stubs(features: tuple[MockServer, httpx.Client]) -> None:
    server, client = features
    mappings = client.get("/__admin/mappings").json()["mappings"]
    get_node = next(m for m in mappings if m["name"] == "GET /nodes/{nodeId} (getNode)")
    assert get_node["request"] == {"urlPathTemplate": "/nodes/{nodeId}", "method": "GET"}
    assert get_node["priority"] == 10
    assert get_node["metadata"]["openapi"] == {
        "document": str(FEATURES),
        "method": "GET",
        "path": "/nodes/{nodeId}",
        "operationId": "getNode",
    }
    assert get_node["response"]["status"] == 200
    assert get_node["response"]["jsonBody"]["name"] == "leaf"
    assert len(server.stubs) == 3


def test_swagger_2_0_is_served() -> None:
    swagger = DATA / "petstore-expanded-swagger2.yaml"
    with MockServer(openapi=swagger) as server, httpx.Client(base_url=server.url) as client:
        pets = client.get("/pets?tags=a,b&limit=3")
        assert pets.status_code == 200
        assert all("id" in pet and "name" in pet for pet in pets.json())
        assert client.post("/pets", json={"name": "Rex"}).json()["name"]
        assert client.post("/pets", json={"tag": "x"}).status_code == 422
        assert client.delete("/pets/3").status_code == 204


def test_a_large_real_world_document_is_served() -> None:
    document = DATA / "kubernetes-coordination-v1.json"
    with MockServer(openapi=document) as server, httpx.Client(base_url=server.url) as client:
        assert len(server.stubs) == 12
        lease = client.get("/apis/coordination.k8s.io/v1/namespaces/default/leases/lock?pretty=true")
        assert lease.status_code == 200
        assert set(lease.json()) == {"apiVersion", "kind", "metadata", "spec"}
        listed = client.get("/apis/coordination.k8s.io/v1/leases?limit=5&watch=false")
        assert listed.json()["items"]
        bad = client.get("/apis/coordination.k8s.io/v1/leases?limit=five&watch=maybe")
        assert bad.status_code == 422
        assert [v["location"] for v in bad.json()["violations"]] == [["query", "limit"], ["query", "watch"]]
        yaml_answer = client.get("/apis/coordination.k8s.io/v1/", headers={"Accept": "application/yaml"})
        assert yaml_answer.headers["content-type"] == "application/yaml"


# --- mockpit generate and mockpit serve ----------------------------------------------------------


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockpit", *args], capture_output=True, text=True, timeout=60, cwd=cwd, check=False
    )


def test_generate_writes_mapping_files_that_serve_the_same_answers(tmp_path: Path, http_client: httpx.Client) -> None:
    result = run_cli("generate", str(FEATURES), "-o", "out", "--seed", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # --out is a root, as for record and import: the files go to its mappings/
    assert "Wrote 3 mapping file(s) to out/mappings; serve them with: mockpit serve out" in result.stdout
    folder = tmp_path / "out" / "mappings"
    files = sorted(p.name for p in folder.iterdir())
    assert files == [
        "001-get-nodes-nodeid-getnode.json",
        "002-post-shapes-createshape.json",
        "003-get-things-listthings.json",
    ]
    mapping = json.loads((folder / files[0]).read_text())
    assert mapping["request"] == {"urlPathTemplate": "/nodes/{nodeId}", "method": "GET"}
    assert mapping["response"]["jsonBody"]["name"] == "leaf"
    assert mapping["priority"] == 9
    # the same on every machine: the document as seen from the files, not an absolute path
    document = mapping["metadata"]["openapi"]["document"]
    assert not Path(document).is_absolute()
    assert (folder / document).resolve() == FEATURES.resolve()
    with MockServer(mappings=tmp_path / "out") as from_files:
        generated = http_client.get(from_files.url_for("/things")).json()
    assert generated == body_of(http_client, FEATURES, "/things", seed=3)
    # edited, and served beside the document, the file wins
    mapping["response"]["jsonBody"] = {"edited": True}
    (folder / files[0]).write_text(json.dumps(mapping))
    with MockServer(mappings=[folder, FEATURES]) as both:
        assert http_client.get(both.url_for("/nodes/1"), headers=KEY).json() == {"edited": True}
        assert len(both.stubs) == 6


def test_generate_does_not_overwrite_without_force(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # in-process (CliRunner): the subprocess above already shows the command as users run it
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "001-mine.json").write_text("{}")
    again = CliRunner().invoke(main, ["generate", str(FEATURES)])  # --out defaults to the current folder
    assert again.exit_code == 1
    assert "mappings already holds mapping files (001-mine.json, ...)" in again.stderr
    forced = CliRunner().invoke(main, ["generate", str(FEATURES), "--force"])
    assert forced.exit_code == 0, forced.stderr
    assert len(list((tmp_path / "mappings").iterdir())) == 4


def test_generate_refuses_an_invalid_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "api.yaml").write_text("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {/x: {get: {}}}\n")
    result = CliRunner().invoke(main, ["generate", "api.yaml", "-o", "out"])
    assert result.exit_code == 2
    assert "error: api.yaml: paths./x.get: 'responses' is a required property" in result.stderr
    assert not (tmp_path / "out").exists()


def test_serve_a_document_with_a_seed_and_without_validation(http_client: httpx.Client) -> None:
    from test_cli import serving

    with serving(str(PETSTORE), "--seed", "5", "--no-validate") as running:
        assert running.stub_count == 3
        response = http_client.get(running.url + "/pets?limit=not-a-number")
        assert response.status_code == 200
    assert response.json() == body_of(http_client, PETSTORE, "/pets", seed=5)


# --- pytest --------------------------------------------------------------------------------------


def test_the_pytest_plugin_serves_documents_named_in_the_ini_file(pytester: pytest.Pytester) -> None:
    (pytester.path / "api.yaml").write_text(PETSTORE.read_text())
    pytester.makeini("[pytest]\nmockpit_openapi = api.yaml\n")
    pytester.makepyfile(
        """
        import httpx
        from mockpit import get

        def test_generated(mockpit):
            assert httpx.get(mockpit.url_for("/pets/1")).json()["name"]

        def test_overridden(mockpit):
            mockpit.when(get("/pets/1")).respond(json={"id": 1, "name": "Mine"})
            assert httpx.get(mockpit.url_for("/pets/1")).json()["name"] == "Mine"

        def test_factory(mockpit_factory, mockpit):
            other = mockpit_factory(openapi="api.yaml", seed=9)
            assert httpx.get(other.url_for("/pets?limit=500")).status_code == 422
        """
    )
    run(pytester, "-p", "no:cacheprovider").assert_outcomes(passed=3)
