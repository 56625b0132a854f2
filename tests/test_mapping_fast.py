"""The pydantic-free reading of common mappings (``_mapping/fast.py``) makes the stub the models make,
and leaves everything else, mistakes included, to the models."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from mockpit._errors import MappingError
from mockpit._mapping import read
from mockpit._mapping.fast import simple_stub
from mockpit._mapping.models import _StubModel
from mockpit._model import Stub

CORPUS = Path(__file__).parent / "corpus" / "mappings"


def by_models(data: dict[str, Any]) -> Stub:
    """What stub_from_mapping made before the fast path: the models' stub."""
    model = _StubModel.model_validate(data)
    first, *then = model.definitions()
    return Stub(
        request=model.request.to_model(),
        response=first,
        name=model.name,
        then=tuple(then),
        **({"id": model.id or model.uuid} if model.id or model.uuid else {}),
    )


SIMPLE = [
    {"request": {"method": "GET", "url": "/a"}, "response": {"status": 200, "body": "hi"}},
    {"request": {"method": "get", "urlPath": "/a/b"}, "response": {"jsonBody": {"id": 1, "tags": [1, None]}}},
    {"request": {"method": "get_or_head"}, "response": {"status": 204}},
    {"request": {}, "response": {}},
    {},
    {"id": "6f5f9e9e-0000-4000-8000-000000000001", "name": "one", "request": {"urlPath": "/x"}},
    {"uuid": "u-1", "id": "u-1", "insertionIndex": 3, "request": {"url": "/x?q=1"}},
    {
        "request": {"method": "POST", "urlPath": "/echo", "url": None},
        "response": {
            "status": 201,
            "headers": {"Content-Type": "application/json", "Set-Cookie": ["a=1", "b=2"]},
            "body": "{{{request.body}}}",
            "transformers": ["response-template"],
            "fixedDelayMilliseconds": 0,
        },
    },
    {"response": {"jsonBody": [1, 2], "fixedDelayMilliseconds": 50, "transformers": []}},
    {"response": {"body": None, "jsonBody": "text", "transformers": ["jinja", "jinja"]}},
]

# each is read by the models: a field beyond the subset, a type they convert, or a mistake they report
NOT_SIMPLE = [
    {"request": {"urlPathPattern": "/a/.*"}},
    {"request": {"url": "/a", "urlPath": "/a"}},
    {"request": {"url": "a"}},
    {"request": {"method": "G E T"}},
    {"request": {"method": None}},
    {"request": {"headers": {"X": {"equalTo": "1"}}}},
    {"response": {"status": "200"}},
    {"response": {"status": True}},
    {"response": {"status": 600}},
    {"response": {"body": "a", "jsonBody": {}}},
    {"response": {"body": 5}},
    {"response": {"headers": {"X": 1}}},
    {"response": {"headers": {"X": ["a", 1]}}},
    {"response": {"fixedDelayMilliseconds": -1}},
    {"response": {"fixedDelayMilliseconds": 1.5}},
    {"response": {"transformers": ["response-template", "jinja"]}},
    {"response": {"transformers": ["other"]}},
    {"response": {"transformers": [{"a": 1}]}},
    {"response": {"statusMessage": "OK"}},
    {"id": "a", "uuid": "b"},
    {"id": 5},
    {"priority": 1},
    {"scenarioName": "s"},
    {"respons": {}},
]


@pytest.mark.parametrize("data", SIMPLE)
def test_a_simple_mapping_is_read_without_the_models_into_the_same_stub(data: dict[str, Any]) -> None:
    fast = simple_stub(data)
    assert fast is not None
    slow = by_models(data)
    if "id" not in data and "uuid" not in data:
        fast = dataclasses.replace(fast, id=slow.id)
    assert fast == slow
    assert read.stub_from_mapping(data, stub_id="given").id == "given"


@pytest.mark.parametrize("data", NOT_SIMPLE)
def test_anything_else_is_left_to_the_models(data: dict[str, Any]) -> None:
    assert simple_stub(data) is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"response": {"status": 600}}, "response.status"),
        ({"request": {"url": "a"}}, "request"),
        ({"respons": {}}, "respons"),
    ],
)
def test_mistakes_get_the_models_errors(data: dict[str, Any], field: str) -> None:
    with pytest.raises(MappingError) as caught:
        read.stub_from_mapping(data)
    assert field in str(caught.value)


def corpus_mappings() -> list[dict[str, Any]]:
    found = []
    for file in sorted(CORPUS.glob("*.json")):
        document = json.loads(file.read_text())
        found.extend(document.get("mappings", [document]))
    return found


def test_every_corpus_mapping_the_fast_path_takes_makes_the_models_stub() -> None:
    taken = 0
    for data in corpus_mappings():
        fast = simple_stub(data)
        if fast is None:
            continue
        taken += 1
        slow = by_models(data)
        assert dataclasses.replace(fast, id=slow.id) == slow, data
    assert taken > 0
