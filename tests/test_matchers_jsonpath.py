"""JSONPath: the walk of plain paths gives exactly what the full (python-jsonpath) compiler gives.

``compile_json_path`` walks plain paths (``$.a.b[0]``) itself, for matching and templates alike; every
path it takes that way must select what the full compiler selects, on any JSON document. A table of
chosen paths and documents, then hypothesis over paths built from the walk's grammar and near misses.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockpit._matching.jsonpath import _compile_jayway, _plain_steps, compile_json_path, is_definite

DOCUMENT = {
    "a": {"b": [1, {"c": 2}, None], "0": "zero key", "": "empty key"},
    "0": "zero",
    "items": [{"id": 1, "tags": ["x"]}, {"id": 2}],
    "$id": "dollar",
    "_id": {"$oid": "5f"},
    "a-b": 4,
    "a b": 5,
    "é": 6,
    "true": 7,
    "null": 8,
    "in": 9,
    "length": 10,
    "nothing": None,
}
DOCUMENTS: list[Any] = [
    DOCUMENT,
    [10, [20, 21], {"a": 30}],
    "text",
    '{"a": 1}',  # a JSON string is a string, not JSON text
    5,
    1.5,
    True,
    None,
    {},
    [],
    {"a": "not an object"},
    {"a": [1, 2]},
    {"a": {"b": {"1": "object, not array"}}},
    {"items": {"0": {"id": "object with a 0 key"}}},
]
PLAIN = [
    "$",
    "$.a",
    "$.a.b",
    "$.a.b[0]",
    "$.a.b[1].c",
    "$.a.b[2]",
    "$.a.b[3]",
    "$.a.b[9007199254740]",
    "$.a[0]",
    "$[0]",
    "$[1][0]",
    "$[2].a",
    "$.items[0].id",
    "$.items[1].tags[0]",
    "$.items[0].tags",
    "$.missing.b",
    "$.nothing",
    "$.nothing.x",
    "$['a']['b'][0]",
    '$["a"]["b"]',
    "$['a b']",
    "$['']",
    "$.a['']",
    "$['a.b']",
    "$['say \"hi\"']",
    "$.$id",
    "$._id.$oid",
    "$.a-b",
    "$.é",
    "$.true",
    "$.null",
    "$.in",
    "$.length",
    "$.a.length",
    "$.items.length",
]


@pytest.mark.parametrize("expression", PLAIN)
def test_the_walk_selects_what_the_full_compiler_selects(expression: str) -> None:
    assert _plain_steps(expression) is not None, "the walk should take this path"
    walk, full = compile_json_path(expression), _compile_jayway(expression)
    assert walk is not full
    for document in DOCUMENTS:
        assert walk(document) == full(document), document


@pytest.mark.parametrize(
    "expression",
    [
        "$[01]",  # a leading zero: python-jsonpath refuses it
        "$[99999999999999999999]",  # beyond 2**53: refused
        "$['a\\\\b']",  # escapes are decoded as JSON
        "$['a\tb']",  # a control character: refused
        "$[-1]",
        "$..a",
        "$.*",
        "$.a[0,1]",
        "$.a[0:1]",
        "$[?(@.a)]",
        "$.a.length()",
        "$ .a",
        "a.b",
        "$.[0]",
        "$.a\U0001d400",  # beyond the Basic Multilingual Plane: not in python-jsonpath's names
        "$[\u0663]",  # an Arabic-Indic digit is not an index
    ],
)
def test_what_the_walk_leaves_to_the_full_compiler(expression: str) -> None:
    assert _plain_steps(expression) is None


@pytest.mark.parametrize(
    ("expression", "document", "expected"),
    [
        pytest.param("$.$id", {"$id": "x"}, ["x"], id="dollar-in-a-name"),
        pytest.param("$.a$", {"a$": "x"}, ["x"], id="dollar-inside-a-name"),
        pytest.param("$[0]", {"0": "x"}, [], id="an-index-is-not-an-object-key"),
        pytest.param("$..[0]", {"a": {"0": "x"}, "b": ["y"]}, ["y"], id="an-index-is-not-an-object-key-deep"),
        pytest.param("$[0]", ["x"], ["x"], id="an-index-selects-from-an-array"),
    ],
)
def test_jayway_rules_the_full_compiler_follows(expression: str, document: Any, expected: list[Any]) -> None:
    assert _compile_jayway(expression)(document) == expected


@pytest.mark.parametrize(
    ("expression", "definite"),
    [
        ("$.a.b[0]", True),
        ("$['a,b']", True),
        ("$['a:b']", True),
        ("$..a", False),
        ("$.a[*]", False),
        ("$.a[0,1]", False),
        ("$.a[0:2]", False),
        ("$.a[?(@.b)]", False),
        ("$.a.length()", True),
    ],
)
def test_definite_paths(expression: str, definite: bool) -> None:
    assert is_definite(expression) is definite


# --- hypothesis: paths from the walk's grammar and near misses, documents shaped by the path ---------------

_NAME_CHARS = st.sampled_from([*"aZ_$-09", "é", "ß", "\u00a0", "€", "\U0001d400", "\u0663", "."])
_KEYWORDS = st.sampled_from(["true", "null", "nil", "in", "and", "or", "not", "contains", "missing", "length", "a"])
_NAMES = st.one_of(_KEYWORDS, st.text(_NAME_CHARS, min_size=1, max_size=4))
_QUOTED_CHARS = st.sampled_from([*"ab .,*$0", "'", '"', "\\", "]", "\t", "\u00e9"])
_INDEXES = st.one_of(
    st.integers(0, 12).map(str),
    st.sampled_from(["00", "01", "-1", "9007199254740991", "9007199254740992", "99999999999999999999"]),
)


@st.composite
def _steps(draw: st.DrawFn) -> tuple[str, Any]:
    """One step of a path, as text, and the key or index it means (for shaping documents)."""
    kind = draw(st.sampled_from(["dot", "index", "single", "double"]))
    if kind == "dot":
        name = draw(_NAMES)
        return f".{name}", name
    if kind == "index":
        index = draw(_INDEXES)
        return f"[{index}]", int(index)
    text = draw(st.text(_QUOTED_CHARS, max_size=4))
    quote = "'" if kind == "single" else '"'
    return f"[{quote}{text}{quote}]", text


def _document(draw: st.DrawFn, keys: list[Any]) -> Any:
    """A document along ``keys``, each level right (an object or an array) or wrong in some way."""
    leaf = draw(st.sampled_from([None, True, 0, 1.5, "leaf", [], {}, [1, 2], {"k": "v"}]))
    if not keys:
        return leaf
    inner = _document(draw, keys[1:])
    key = keys[0]
    shape = draw(st.sampled_from(["right", "right", "missing", "scalar", "other container", "string key"]))
    if shape == "scalar":
        return draw(st.sampled_from([None, "text", 3, False]))
    if isinstance(key, int):
        size = min(key, 3) + 1 if shape == "right" else min(key, 3)
        array = [draw(st.sampled_from([0, "x", None])) for _ in range(size)]
        if shape == "right" and key < len(array):
            array[key] = inner
        if shape in ("other container", "string key"):
            return {str(key): inner}
        return array
    if shape == "right":
        return {key: inner, "other": 1}
    if shape == "missing":
        return {"other": inner}
    return [inner]


@settings(max_examples=400, deadline=None, database=None)
@given(data=st.data())
def test_the_walk_and_the_full_compiler_agree(data: st.DataObject) -> None:
    steps = data.draw(st.lists(_steps(), max_size=4), label="steps")
    expression = "$" + "".join(text for text, _ in steps)
    plain = _plain_steps(expression)
    try:
        full = _compile_jayway(expression)
    except ValueError:
        assert plain is None, f"the walk takes {expression!r}, which the full compiler refuses"
        return
    if plain is None:
        return
    walk = compile_json_path(expression)
    documents = [_document(data.draw, [key for _, key in steps]) for _ in range(3)]
    documents += [json.loads(json.dumps(d)) for d in DOCUMENTS]
    for document in documents:
        assert walk(document) == full(document), (expression, document)
