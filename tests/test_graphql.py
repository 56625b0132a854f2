"""GraphQL: stubs matching operations (``graphql`` in mappings, ``graphql()`` in Python) and schemas served
with generated data, driven by gql (its requests and aiohttp transports) and plain httpx."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.exceptions import TransportQueryError
from gql.transport.requests import RequestsHTTPTransport

from _processes import mockpit_command, started
from mockpit import MappingError, MockServer, Request, equal_to_json, graphql, stub_from_mapping, stub_to_mapping
from mockpit._matching.graphql import normalise

SCHEMA = """
type Query {
  user(id: ID!): User
  users(first: Int = 2): [User!]!
  node(id: ID!): Node
}
type Mutation { rename(id: ID!, name: String!): User! }
interface Node { id: ID! }
type User implements Node { id: ID! name: String! age: Int role: Role! friends: [User!]! }
enum Role { ADMIN MEMBER }
"""

GET_USER = """
query GetUser($id: ID!) {
  user(id: $id) { ...Person role }
}
fragment Person on User { id name }
"""


@pytest.fixture
def schema_file(tmp_path: Path) -> Path:
    path = tmp_path / "schema.graphql"
    path.write_text(SCHEMA, encoding="utf-8")
    return path


@pytest.fixture
def schema_server(schema_file: Path) -> Iterator[MockServer]:
    with MockServer(mappings=schema_file, seed=7) as mock:
        yield mock


def requests_client(url: str, **kwargs: Any) -> Client:
    return Client(transport=RequestsHTTPTransport(url=url + "/graphql", timeout=10), **kwargs)


# --- normalisation --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("{ user { id name } }", "query {\n  user {\n    name\n    id\n  }\n}", True),
        ("{ user { id name } }", "{ user { id } }", False),
        ("{ a(x: 1, y: 2) }", "{ a(y: 2, x: 1) }", True),
        ("{ a(x: 1) }", "{ a(x: 2) }", False),
        ("{ user { ...F } } fragment F on User { id name }", "{ user { name id } }", True),
        ("{ user { id ...F } } fragment F on User { id name }", "{ user { id name } }", True),
        ("{ user { id } user { name } }", "{ user { id name } }", True),
        ("{ u { f { id } } u { f { name } g } }", "{ u { g f { name id } } }", True),
        ("{ node { ... on User { id } ... on User { id } } }", "{ node { ... on User { id } } }", True),
        ("{ user { ...F } } fragment F on User { ...G } fragment G on User { id }", "{ user { id } }", True),
        ("{ first: user { id } second: user { id } }", "{ second: user { id } first: user { id } }", True),
        ("{ first: user { id } }", "{ second: user { id } }", False),
        ("# a comment\n{ user { id } }", "{user{id}}", True),
        ("{ node { ... on User { id } } }", "{ node { id } }", False),
        ("query Q { a }", "mutation Q { a }", False),
    ],
)
def test_queries_compare_normalised(a: str, b: str, same: bool) -> None:
    assert (normalise(a).text == normalise(b).text) is same


def test_a_document_with_several_operations_is_normalised_by_the_named_one() -> None:
    document = "query A { a } query B { b }"
    assert normalise(document, "B").text == normalise("query B { b }").text
    assert "several operations" in (normalise(document).error or "")
    assert "no operation named 'C' (it has: A, B)" in (normalise(document, "C").error or "")


# --- matching stubs -------------------------------------------------------------------------------------


def test_a_stub_matches_by_operation_and_variables_over_post_and_get(server: MockServer) -> None:
    server.when(graphql("GetUser", variables={"id": "1"})).respond(json={"data": {"user": {"id": "1"}}})
    with httpx.Client(base_url=server.url, timeout=10) as http:
        posted = http.post("/graphql", json={"query": GET_USER, "operationName": "GetUser", "variables": {"id": "1"}})
        assert posted.json() == {"data": {"user": {"id": "1"}}}
        fetched = http.get("/graphql", params={"query": GET_USER, "variables": json.dumps({"id": "1"})})
        assert fetched.json() == {"data": {"user": {"id": "1"}}}
        assert http.post("/graphql", json={"query": GET_USER, "variables": {"id": "2"}}).status_code == 404
        assert http.post("/graphql", json={"query": "{ users { id } }"}).status_code == 404
        assert http.post("/graphql", content=b"not graphql").status_code == 404


def test_a_stub_matches_a_query_whatever_its_layout_with_gql_over_requests(server: MockServer) -> None:
    server.when(
        graphql(query="query GetUser($id: ID!) { user(id: $id) { role name id } }", variables={"id": "7"})
    ).respond(json={"data": {"user": {"id": "7", "name": "Ada", "role": "ADMIN"}}})
    with requests_client(server.url) as session:
        result = session.execute(GraphQLRequest(GET_USER, variable_values={"id": "7"}))
    assert result == {"user": {"id": "7", "name": "Ada", "role": "ADMIN"}}


def test_operation_type_and_variable_matchers(server: MockServer) -> None:
    server.when(graphql(type="mutation", variables=equal_to_json({"id": "1"}, ignore_extra_elements=True))).respond(
        json={"data": {"rename": {"id": "1"}}}
    )
    mutation = "mutation Rename($id: ID!, $name: String!) { rename(id: $id, name: $name) { id } }"
    with httpx.Client(base_url=server.url, timeout=10) as http:
        ok = http.post("/graphql", json={"query": mutation, "variables": {"id": "1", "name": "Bo"}})
        assert ok.json() == {"data": {"rename": {"id": "1"}}}
        as_query = http.post("/graphql", json={"query": "query { user(id: 1) { id } }", "variables": {"id": "1"}})
        assert as_query.status_code == 404


def test_gql_over_aiohttp_matches_a_mapping_stub(server: MockServer) -> None:
    server.add_mapping(
        {
            "request": {
                "method": "POST",
                "urlPath": "/graphql",
                "graphql": {"operationName": "GetUser", "variables": {"equalToJson": {"id": "3"}}},
            },
            "response": {"jsonBody": {"data": {"user": {"id": "3", "name": "Cy", "role": "MEMBER"}}}},
        }
    )

    async def run() -> dict[str, Any]:
        transport = AIOHTTPTransport(url=server.url + "/graphql", ssl=False)
        async with Client(transport=transport) as session:
            return await session.execute(GraphQLRequest(GET_USER, variable_values={"id": "3"}))

    assert asyncio.run(run()) == {"user": {"id": "3", "name": "Cy", "role": "MEMBER"}}


def test_the_graphql_field_round_trips_through_the_mapping_format() -> None:
    mapping = {
        "request": {
            "method": "ANY",
            "urlPath": "/graphql",
            "graphql": {
                "operationName": "GetUser",
                "operationType": "query",
                "query": GET_USER,
                "variables": {"equalToJson": {"id": "1"}, "ignoreExtraElements": True},
            },
        },
        "response": {"status": 200},
    }
    written = stub_to_mapping(stub_from_mapping(mapping))
    assert written["request"] == mapping["request"]
    assert stub_from_mapping(written).request == stub_from_mapping(mapping).request
    assert graphql("GetUser", query=GET_USER, variables={"id": "1"}).to_mapping()["graphql"] == {
        "operationName": "GetUser",
        "query": GET_USER,
        "variables": {"equalToJson": {"id": "1"}},
    }


def test_wiremock_graphql_extension_mappings_are_read_as_graphql(server: MockServer) -> None:
    stub = server.add_mapping(
        {
            "request": {
                "method": "POST",
                "urlPath": "/graphql",
                "customMatcher": {
                    "name": "graphql-body-matcher",
                    "parameters": {"query": GET_USER, "variables": {"id": "5"}},
                },
            },
            "response": {"jsonBody": {"data": {"user": None}}},
        }
    )
    assert stub_to_mapping(stub)["request"]["graphql"] == {"query": GET_USER, "variables": {"equalToJson": {"id": "5"}}}
    posted = httpx.post(server.url + "/graphql", json={"query": GET_USER, "variables": {"id": "5"}}, timeout=10)
    assert posted.json() == {"data": {"user": None}}


@pytest.mark.parametrize(
    ("graphql_field", "message"),
    [
        (
            {"query": "{ user { "},
            "the query does not parse: Syntax Error: Expected Name, found <EOF>. (line 1, column 10)",
        ),
        ({"operationType": "select"}, "operationType"),
        ({"variables": {"nope": 1}}, "variables"),
    ],
)
def test_a_bad_graphql_pattern_is_refused_naming_the_field(graphql_field: dict[str, Any], message: str) -> None:
    with pytest.raises(MappingError, match="graphql") as raised:
        stub_from_mapping({"request": {"graphql": graphql_field}, "response": {"status": 200}})
    assert message in str(raised.value)


# --- near misses, journal, verify ----------------------------------------------------------------------


def test_a_near_miss_names_the_graphql_difference(server: MockServer) -> None:
    server.when(graphql("GetUser", variables={"id": "1"})).respond(json={"data": {}})
    with httpx.Client(base_url=server.url, timeout=10) as http:
        other_variable = http.post("/graphql", json={"query": GET_USER, "variables": {"id": "2"}})
        other_name = http.post("/graphql", json={"query": "query GetUsers { users { id } }", "variables": {"id": "1"}})
    assert other_variable.status_code == 404
    assert "GraphQL variable id" in other_variable.text
    assert "GraphQL operation name" in other_name.text
    first, second = server.unmatched
    [miss] = server.near_misses(first)
    assert [(d.field, d.actual) for d in miss.differences if d.distance] == [("GraphQL variable id", '{"id":"2"}')]
    [miss] = server.near_misses(second)
    assert [(d.field, d.expected, d.actual) for d in miss.differences if d.distance] == [
        ("GraphQL operation name", "GetUser", "GetUsers")
    ]


def test_graphql_requests_are_journaled_and_verified_by_operation(server: MockServer) -> None:
    server.when(graphql()).respond(json={"data": {}})
    with requests_client(server.url) as session:
        session.execute(GraphQLRequest(GET_USER, variable_values={"id": "1"}))
        session.execute(GraphQLRequest(GET_USER, variable_values={"id": "2"}))
        session.execute(gql("query Everyone { users { id } }"))
    server.verify(graphql("GetUser"), count=2)
    server.verify(graphql("GetUser", variables={"id": "2"}), count=1)
    server.verify(graphql("Everyone"), count=1)
    assert len(server.requests(graphql(type="mutation"))) == 0
    assert (
        graphql("GetUser")
        .match(Request("POST", "/graphql", headers=[("Content-Type", "application/json")], body=b'{"query": "{ a }"}'))
        .differences[0]
        .field
        == "GraphQL operation name"
    )


# --- a schema served -------------------------------------------------------------------------------------


def test_a_schema_answers_every_query_with_data_of_its_types(schema_server: MockServer) -> None:
    query = "{ user(id: 1) { id name age role friends { name } } node(id: 2) { id ... on User { name } } }"
    with requests_client(schema_server.url) as session:
        result = session.execute(gql(query))
    user = result["user"]
    assert isinstance(user["id"], str)
    assert isinstance(user["name"], str)
    assert isinstance(user["age"], int)
    assert user["role"] in {"ADMIN", "MEMBER"}
    assert len(user["friends"]) == 2
    assert all(isinstance(f["name"], str) for f in user["friends"])
    assert isinstance(result["node"]["name"], str)


def test_generated_answers_are_deterministic_by_seed(schema_file: Path) -> None:
    body = {"query": "{ users { id name role } }"}
    answers = []
    for seed in (1, 1, 2):
        with MockServer(mappings=schema_file, seed=seed) as mock:
            answers.append(httpx.post(mock.url + "/graphql", json=body, timeout=10).json())
    assert answers[0] == answers[1] != answers[2]


def test_introspection_lets_gql_fetch_the_schema_and_validate_locally(schema_server: MockServer) -> None:
    client = requests_client(schema_server.url, fetch_schema_from_transport=True)
    with client as session:
        assert client.schema is not None
        assert "User" in client.schema.type_map
        result = session.execute(gql("{ users(first: 1) { role } }"))
    assert result["users"][0]["role"] in {"ADMIN", "MEMBER"}

    async def run() -> dict[str, Any]:
        transport = AIOHTTPTransport(url=schema_server.url + "/graphql", ssl=False)
        async with Client(transport=transport, fetch_schema_from_transport=True) as session:
            return await session.execute(gql('mutation { rename(id: 1, name: "x") { id } }'))

    assert isinstance(asyncio.run(run())["rename"]["id"], str)


def test_invalid_queries_get_graphql_errors_not_404s(schema_server: MockServer) -> None:
    with httpx.Client(base_url=schema_server.url, timeout=10) as http:
        unknown = http.post("/graphql", json={"query": "{ user(id: 1) { nickname } }"})
        assert unknown.status_code == 200
        [error] = unknown.json()["errors"]
        assert error["message"].startswith("Cannot query field 'nickname' on type 'User'.")
        assert error["locations"] == [{"line": 1, "column": 17}]
        assert "data" not in unknown.json()

        strict = http.post(
            "/graphql", json={"query": "{ user { id } }"}, headers={"Accept": "application/graphql-response+json"}
        )
        assert strict.status_code == 400
        assert strict.headers["content-type"] == "application/graphql-response+json"
        assert "Argument 'Query.user(id:)' of type 'ID!' is required" in strict.json()["errors"][0]["message"]

        syntax = http.get("/graphql", params={"query": "{ user(id: 1) { "})
        assert syntax.status_code == 200
        assert "Syntax Error" in syntax.json()["errors"][0]["message"]

        not_graphql = http.post("/graphql", json={"nothing": 1})
        assert not_graphql.status_code == 400
        assert "not a GraphQL request" in not_graphql.json()["errors"][0]["message"]

    with requests_client(schema_server.url) as session, pytest.raises(TransportQueryError, match="nickname"):
        session.execute(gql("{ user(id: 1) { nickname } }"))


def test_request_errors_follow_graphql_over_http(schema_server: MockServer) -> None:
    with httpx.Client(base_url=schema_server.url, timeout=10) as http:
        missing = http.post("/graphql", json={"query": GET_USER})
        assert missing.status_code == 200
        [error] = missing.json()["errors"]  # a request error: no "data"
        assert "data" not in missing.json()
        assert error["message"].startswith("Variable '$id'")
        assert error["locations"] == [{"line": 2, "column": 15}]
        not_an_object = http.post("/graphql", json={"query": GET_USER, "variables": [1]})
        assert not_an_object.status_code == 400
        assert not_an_object.json() == {"errors": [{"message": "variables must be a JSON object"}]}
        mutation = 'mutation { rename(id: 1, name: "x") { id } }'
        by_get = http.get("/graphql", params={"query": mutation})
        assert by_get.status_code == 405
        assert by_get.headers["allow"] == "POST"
        assert "a mutation cannot be sent with GET" in by_get.json()["errors"][0]["message"]
        assert http.get("/graphql", params={"query": "{ users { id } }"}).status_code == 200


def test_a_stub_overrides_the_generated_answer(schema_server: MockServer) -> None:
    schema_server.when(graphql("GetUser", variables={"id": "42"})).respond(
        json={"data": {"user": {"id": "42", "name": "Stubbed", "role": "ADMIN"}}}
    )
    with requests_client(schema_server.url) as session:
        stubbed = session.execute(GraphQLRequest(GET_USER, variable_values={"id": "42"}))
        generated = session.execute(GraphQLRequest(GET_USER, variable_values={"id": "43"}))
    assert stubbed["user"]["name"] == "Stubbed"
    assert generated["user"]["name"] != "Stubbed"
    assert generated["user"]["role"] in {"ADMIN", "MEMBER"}


def test_lists_deep_inside_lists_are_empty_so_a_recursive_query_stays_small(schema_server: MockServer) -> None:
    query = "{ users { " + "friends { " * 30 + "id" + " }" * 30 + " } }"
    answer = httpx.post(schema_server.url + "/graphql", json={"query": query}, timeout=10).json()
    level = answer["data"]["users"]
    for _ in range(3):
        assert len(level) == 2
        level = level[0]["friends"]
    assert level == []


def test_a_schema_that_does_not_build_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.graphql"
    path.write_text("type Query {\n  user: String\n}\n}\n", encoding="utf-8")
    # the line and column: graphql-core 3.3.0 reports the brace at 3:2, later versions at 4:1
    refused = r"broken\.graphql.*does not build: Syntax Error: Unexpected .}.\. \(line \d, column \d\)"
    with pytest.raises(MappingError, match=refused):
        MockServer(mappings=path).start()


def test_a_schema_naming_an_unknown_type_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "unknown.graphql"
    path.write_text("type Query { user: User }", encoding="utf-8")
    with pytest.raises(MappingError, match=r"unknown\.graphql.*does not build.*User"):
        MockServer(mappings=path).start()


def test_mockpit_serve_answers_from_a_schema_file(schema_file: Path) -> None:
    ready = re.compile(r"serving (\d+) stub\(s\) on (http://127\.0\.0\.1:\d+)")
    with started(mockpit_command("serve", str(schema_file), "--port", "0", "--seed", "3"), ready) as run:
        url = run.ready.group(2)
        with requests_client(url, fetch_schema_from_transport=True) as session:
            result = session.execute(GraphQLRequest(GET_USER, variable_values={"id": "1"}))
        assert set(result["user"]) == {"id", "name", "role"}
        again = httpx.post(url + "/graphql", json={"query": GET_USER, "variables": {"id": "1"}}, timeout=10)
        assert again.json() == {"data": result}


# --- the admin API ---------------------------------------------------------------------------------------


def test_graphql_stubs_and_journal_queries_through_the_admin_api(server: MockServer) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        created = http.post(
            "/__admin/mappings",
            json={
                "request": {"urlPath": "/graphql", "graphql": {"operationName": "GetUser"}},
                "response": {"jsonBody": {"data": {"user": {"id": "9", "name": "Di", "role": "ADMIN"}}}},
            },
        )
        assert created.status_code == 201
        assert created.json()["request"]["graphql"] == {"operationName": "GetUser"}
        with requests_client(server.url) as session:
            assert session.execute(GraphQLRequest(GET_USER, variable_values={"id": "9"}))["user"]["name"] == "Di"
        counted = http.post(
            "/__admin/requests/count",
            json={
                "url": "/graphql",
                "graphql": {"operationName": "GetUser", "variables": {"equalToJson": {"id": "9"}}},
            },
        )
        assert counted.json()["count"] == 1
        refused = http.post("/__admin/mappings", json={"request": {"graphql": {"query": "{ a"}}, "response": {}})
        assert refused.status_code == 400
        [error] = refused.json()["errors"]
        assert error["source"] == {"pointer": "/request/graphql/query"}
        assert (
            error["detail"] == "the query does not parse: Syntax Error: Expected Name, found <EOF>. (line 1, column 4)"
        )


# --- the guide -------------------------------------------------------------------------------------------

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "graphql.md"
GUIDE_BLOCKS = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_the_guide_has_examples() -> None:
    assert len(GUIDE_BLOCKS) >= 3


@pytest.mark.parametrize("code", GUIDE_BLOCKS, ids=[f"graphql-{i}" for i in range(len(GUIDE_BLOCKS))])
def test_guide_example_runs(code: str) -> None:
    exec(compile(code, str(GUIDE), "exec"), {"__name__": "guide"})
