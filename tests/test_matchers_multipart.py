"""multipartPatterns over the wire: uploads sent by a real client (httpx builds the multipart bodies)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mockpit import MappingError, MockServer, stub_from_mapping

SHARED_SERVER = True
MATCHED = "matched"

FORM = {"data": {"title": "hello world"}, "files": {"file": ("a.txt", b"file body", "text/plain")}}
JSON_PART = {"files": {"info": (None, b'{"id": 7, "tags": []}', "application/json; charset=utf-8")}}
BINARY = {"files": {"blob": ("b.bin", b"\x00\x01\xff\r\n\xfe", "application/octet-stream")}}


def add(server: MockServer, *patterns: dict[str, Any]) -> None:
    server.add_mapping(
        {
            "request": {"method": "POST", "urlPath": "/upload", "multipartPatterns": list(patterns)},
            "response": {"body": MATCHED},
        }
    )


def outcome(client: httpx.Client, **kwargs: Any) -> bool:
    response = client.post("/upload", **kwargs)
    assert response.status_code in {200, 404}, response.text
    return response.status_code == 200


def _disposition(name: str) -> dict[str, Any]:
    return {"Content-Disposition": {"contains": f'name="{name}"'}}


CASES = [
    pytest.param({"headers": _disposition("file")}, FORM, True, id="part-by-name"),
    pytest.param({"headers": _disposition("photo")}, FORM, False, id="no-part-of-that-name"),
    pytest.param({"headers": {"Content-Disposition": {"contains": 'filename="a.txt"'}}}, FORM, True, id="filename"),
    pytest.param(
        {"headers": {**_disposition("file"), "Content-Type": {"equalTo": "text/plain"}}}, FORM, True, id="two-headers"
    ),
    pytest.param(
        {"headers": {**_disposition("file"), "Content-Type": {"equalTo": "image/png"}}},
        FORM,
        False,
        id="headers-of-one-part",
    ),
    pytest.param({"headers": {"content-type": {"contains": "text"}}}, FORM, True, id="header-names-caseless"),
    pytest.param({"headers": {"X-Missing": {"absent": True}}}, FORM, True, id="absent-header"),
    pytest.param({"bodyPatterns": [{"equalTo": "hello world"}]}, FORM, True, id="body-equalTo"),
    pytest.param({"bodyPatterns": [{"contains": "file bo"}]}, FORM, True, id="body-contains"),
    pytest.param({"bodyPatterns": [{"contains": "nowhere"}]}, FORM, False, id="body-contains-miss"),
    pytest.param(
        {"headers": _disposition("title"), "bodyPatterns": [{"contains": "file"}]},
        FORM,
        False,
        id="header-and-body-must-be-one-part",
    ),
    pytest.param({"bodyPatterns": [{"equalToJson": {"tags": [], "id": 7}}]}, JSON_PART, True, id="equalToJson"),
    pytest.param({"bodyPatterns": [{"matchesJsonPath": "$.tags"}]}, JSON_PART, False, id="json-path-empty-array"),
    pytest.param({"bodyPatterns": [{"binaryEqualTo": "AAH/DQr+"}]}, BINARY, True, id="binaryEqualTo"),
    pytest.param({"bodyPatterns": [{"binaryEqualTo": "AAH/DQo="}]}, BINARY, False, id="binaryEqualTo-miss"),
    pytest.param(
        {"matchingType": "ALL", "headers": {"Content-Disposition": {"contains": "form-data"}}}, FORM, True, id="ALL"
    ),
    pytest.param({"matchingType": "ALL", "headers": _disposition("file")}, FORM, False, id="ALL-one-part-differs"),
    pytest.param({"matchingType": "ANY", "headers": _disposition("file")}, FORM, True, id="ANY-explicit"),
    pytest.param({}, FORM, True, id="any-part"),
    pytest.param({"headers": _disposition("file")}, {"data": {"file": "x"}}, False, id="not-multipart"),
    pytest.param({"headers": _disposition("file")}, {"content": b""}, False, id="empty-body"),
]


@pytest.mark.parametrize(("pattern", "request_kwargs", "should_match"), CASES)
def test_multipart_pattern(
    server: MockServer,
    client: httpx.Client,
    pattern: dict[str, Any],
    request_kwargs: dict[str, Any],
    should_match: bool,
) -> None:
    add(server, pattern)
    assert outcome(client, **request_kwargs) is should_match


def test_several_patterns_must_all_match(server: MockServer, client: httpx.Client) -> None:
    add(server, {"headers": _disposition("title")}, {"headers": _disposition("file")})
    assert outcome(client, **FORM)
    assert not outcome(client, data={"title": "x"}, files={"other": ("o.txt", b"o")})


@pytest.mark.parametrize(
    ("body", "should_match"),
    [
        pytest.param(b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--B--\r\n', True, id="valid"),
        pytest.param(b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n', False, id="unterminated"),
        pytest.param(b"no boundary here", False, id="garbage"),
        pytest.param(b"--B\r\nX-Part: 1\r\n\r\nx\r\n--B--\r\n", True, id="part-without-disposition"),
    ],
)
def test_hand_made_bodies(server: MockServer, client: httpx.Client, body: bytes, should_match: bool) -> None:
    add(server, {"bodyPatterns": [{"equalTo": "x"}]})
    headers = {"Content-Type": "multipart/form-data; boundary=B"}
    assert outcome(client, content=body, headers=headers) is should_match


def test_a_mixed_multipart_body(server: MockServer, client: httpx.Client) -> None:
    add(server, {"headers": {"Content-Type": {"equalTo": "application/json"}}, "bodyPatterns": [{"equalToJson": [1]}]})
    body = b"--b1\r\nContent-Type: application/json\r\n\r\n[1]\r\n--b1--\r\n"
    assert outcome(client, content=body, headers={"Content-Type": "multipart/mixed; boundary=b1"})
    assert not outcome(client, content=body, headers={"Content-Type": "text/plain; boundary=b1"})


def test_a_part_header_sent_twice_with_has_exactly(server: MockServer, client: httpx.Client) -> None:
    add(server, {"headers": {"X-Tag": {"hasExactly": [{"equalTo": "a"}, {"equalTo": "b"}]}}})
    body = b"--B\r\nX-Tag: a\r\nX-Tag: b\r\n\r\nx\r\n--B--\r\n"
    headers = {"Content-Type": "multipart/form-data; boundary=B"}
    assert outcome(client, content=body, headers=headers)
    assert not outcome(client, content=body.replace(b"X-Tag: b", b"X-Tag: c"), headers=headers)


def test_the_part_charset_decodes_its_text(server: MockServer, client: httpx.Client) -> None:
    add(server, {"bodyPatterns": [{"equalTo": "été"}]})
    files = {"f": (None, "été".encode("latin-1"), "text/plain; charset=ISO-8859-1")}
    assert outcome(client, files=files)


def test_near_miss_lists_the_parts(server: MockServer, client: httpx.Client) -> None:
    add(server, {"headers": _disposition("photo")})
    assert not outcome(client, **FORM)
    (event,) = server.unmatched
    (difference,) = server.near_misses(event)[0].differences
    assert difference.field == "multipart pattern 1"
    assert difference.expected == """ANY part with header Content-Disposition contains 'name="photo"'"""
    assert difference.actual == '2 part(s): name="title" (11 bytes); name="file" filename="a.txt" (text/plain, 9 bytes)'


def test_near_miss_for_a_body_that_is_not_multipart(server: MockServer, client: httpx.Client) -> None:
    add(server, {"headers": _disposition("photo")})
    assert not outcome(client, json={"photo": 1})
    (event,) = server.unmatched
    (difference,) = server.near_misses(event)[0].differences
    assert difference.actual == "no multipart body: the Content-Type is application/json, not multipart/..."


@pytest.mark.parametrize(
    ("pattern", "field", "fragment"),
    [
        pytest.param({"matchingType": "SOME"}, "matchingType", "'ANY' or 'ALL'", id="bad-matching-type"),
        pytest.param({"headers": {"X": {"equalto": "a"}}}, "headers.X.equalto", "unknown field", id="bad-header"),
        pytest.param(
            {"bodyPatterns": [{"binaryEqualTo": "not base64!"}]}, "bodyPatterns[0].binaryEqualTo", "base64", id="b64"
        ),
        pytest.param({"bodyz": []}, "bodyz", "unknown field", id="unknown-field"),
    ],
)
def test_bad_definitions_name_the_field(pattern: dict[str, Any], field: str, fragment: str) -> None:
    with pytest.raises(MappingError) as info:
        stub_from_mapping({"request": {"multipartPatterns": [pattern]}})
    assert info.value.field == f"request.multipartPatterns[0].{field}"
    assert fragment in info.value.message
