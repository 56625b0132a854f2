"""Errors that help: every broken mapping file reported at once, unknown fields with the nearest known one,
and the Python API's common mistakes with the call that was meant."""

from __future__ import annotations

from pathlib import Path

import pytest

from _processes import refused_serve
from mockpit import MappingError, MockServer, get
from mockpit._errors import MappingErrors


def test_every_broken_file_is_reported_at_once(tmp_path: Path) -> None:
    folder = tmp_path / "mappings"
    folder.mkdir()
    (folder / "a.json").write_text('{"request": {"method": "GE T"}, "response": {}}')
    (folder / "b.json").write_text('{"request": {"queryParams": {}}, "response": {}}')
    (folder / "c.json").write_text("{nope")
    (folder / "good.json").write_text('{"request": {"url": "/ok"}, "response": {}}')
    done = refused_serve(tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines[0] == "error: 3 problems in the mappings:"
    assert lines[1].endswith(
        "a.json: request.method: 'GE T' is not an HTTP method; use e.g. GET, POST, ANY or GET_OR_HEAD"
    )
    assert lines[2].endswith(
        "b.json: request.queryParams: unknown field 'queryParams'; did you mean 'queryParameters'?"
    )
    assert "c.json: invalid JSON at line 1 column 2" in lines[3]
    assert "Traceback" not in done.stderr


def test_the_list_is_bounded(tmp_path: Path) -> None:
    for n in range(30):
        (tmp_path / f"broken-{n:02d}.json").write_text('{"request": {"nope": 1}, "response": {}}')
    with pytest.raises(MappingErrors) as raised:
        MockServer(mappings=tmp_path)
    assert len(raised.value.errors) == 30
    text = str(raised.value)
    assert text.splitlines()[0] == "30 problems in the mappings:"
    assert text.count("unknown field 'nope'") == MappingErrors.SHOWN
    assert text.endswith(f"... and {30 - MappingErrors.SHOWN} more")
    assert raised.value.field == "request.nope"  # the first error's place, for tools that read one


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            {"request": {"url": "/x", "queryParams": {}}},
            "request.queryParams: unknown field 'queryParams'; did you mean 'queryParameters'?",
        ),
        (
            {"request": {"url": "/x"}, "response": {"jsonbody": {}}},
            "response.jsonbody: unknown field 'jsonbody'; did you mean 'jsonBody'?",
        ),
        (
            {"request": {"url": "/x", "bodyPatterns": [{"equalToJSON": "{}"}]}},
            "request.bodyPatterns[0].equalToJSON: unknown field 'equalToJSON'; did you mean 'equalToJson'?",
        ),
        ({"requests": {"url": "/x"}}, "requests: unknown field 'requests'; did you mean 'request'?"),
        ({"request": {"url": "/x", "zzz": 1}}, "request.zzz: unknown field 'zzz'; check its spelling"),
    ],
)
def test_unknown_fields_suggest_the_nearest_known_one(mapping: dict[str, object], message: str) -> None:
    mapping = {"response": {}, **mapping}
    with pytest.raises(MappingError) as raised:
        MockServer(mappings=mapping)
    assert message in str(raised.value), str(raised.value)


def test_the_admin_api_suggests_too() -> None:
    import httpx

    with MockServer() as server:
        answer = httpx.post(server.url_for("/__admin/mappings"), json={"request": {"urlPth": "/x"}, "response": {}})
    assert answer.status_code == 400
    assert "unknown field 'urlPth'; did you mean 'urlPath' or 'url'?" in answer.json()["errors"][0]["detail"]


@pytest.mark.parametrize(
    ("call", "hint"),
    [
        (lambda s: s.when(get("/x")).respond(200, {"a": 1}), "for JSON pass json=: respond(200, json={'a': 1})"),
        (lambda s: s.when(get("/x")).respond({"a": 1}), "for JSON pass json=: respond(json={'a': 1})"),
        (lambda s: s.when(get("/x")).respond(200, [1, 2]), "respond(200, json=[1, 2])"),
        (lambda s: s.when(get("/x")).respond("hello"), "takes the status first: respond(200, 'hello')"),
    ],
)
def test_common_python_mistakes_name_the_call_meant(call: object, hint: str) -> None:
    server = MockServer()
    with pytest.raises(TypeError) as raised:
        call(server)  # type: ignore[operator]
    assert hint in str(raised.value)
