"""Fuzzed mapping files: thousands of mutations of real ones, each loaded the way ``mockpit serve`` loads
them. Every one either loads or is refused with mockpit's MappingError naming the file; none raises
anything else, none hangs. A sample goes through a real ``mockpit serve``: exit code 0 or 2, never a
traceback.

The mutations are seeded (the same cases every run): values replaced by values of other types, huge,
deep, hostile (a catastrophic regex, an unclosed template, a NUL), keys dropped, misspelt or added, and
whole files truncated, bit-flipped, made invalid UTF-8 or turned into YAML bombs.
"""

from __future__ import annotations

import copy
import json
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockpit import MappingError, MockServer

REPO = Path(__file__).resolve().parent.parent
SOURCES = sorted((REPO / "tests" / "corpus" / "mappings").iterdir()) + sorted(
    (REPO / "examples" / "mappings").iterdir()
)
CASES = 3000
SEED = 20261205

HOSTILE_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    10**400,
    1.5e308,
    "",
    "x" * 100_000,
    "(a|aa)+$",
    "{{#if x}}",
    "{{jsonPath request.body '$..[?(@.a'}}",
    "{% for %}",
    "\x00",
    "../../etc/passwd",
    "/\udcff",
    "\u202e",
    [],
    {},
    [[[[[[[[[[]]]]]]]]]],
    {"equalTo": 1},
    {"matches": "("},
    {"and": []},
    {"bodyFileName": "a\x00b"},
    "[" * 300 + "]" * 300,
]
KEYS = [
    "request",
    "response",
    "url",
    "urlPath",
    "urlPattern",
    "method",
    "headers",
    "queryParameters",
    "bodyPatterns",
    "status",
    "body",
    "jsonBody",
    "bodyFileName",
    "transformers",
    "priority",
    "scenarioName",
    "serveEventListeners",
    "fixedDelayMilliseconds",
    "fault",
    "proxyBaseUrl",
    "equalToJson",
    "mappings",
    "id",
]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*path, i))
    return found


def _mutate_document(document: Any, rng: random.Random) -> Any:
    document = copy.deepcopy(document)
    for _ in range(rng.randint(1, 3)):
        paths = _paths(document)
        path = rng.choice(paths)
        if not path:
            document = rng.choice([[document], {"mappings": document}, rng.choice(HOSTILE_VALUES)])
            continue
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        key = path[-1]
        action = rng.randrange(5)
        if action == 0:
            parent[key] = copy.deepcopy(rng.choice(HOSTILE_VALUES))
        elif action == 1 and isinstance(parent, dict):
            del parent[key]
        elif action == 2 and isinstance(parent, dict):
            name = rng.choice(KEYS)
            parent[name if rng.random() < 0.7 else name[:-1] + name[-1].upper()] = rng.choice(HOSTILE_VALUES)
        elif action == 3:
            parent[key] = [parent[key], parent[key]]
        else:
            parent[key] = {"mappings": parent[key]} if rng.random() < 0.5 else str(parent[key])
    return document


def _mutate_text(text: bytes, rng: random.Random) -> bytes:
    action = rng.randrange(6)
    if action == 0:
        return text[: rng.randrange(len(text) + 1)]
    if action == 1:
        data = bytearray(text)
        for _ in range(rng.randint(1, 5)):
            if data:
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return bytes(data)
    if action == 2:
        cut = rng.randrange(len(text) + 1)
        return text[:cut] + b"\xff\xfe\xc3" + text[cut:]
    if action == 3:
        return (
            b"a: &a ["
            + b"x," * 10
            + b"]\n"
            + b"".join(
                b"%c: &%c [*%c,*%c,*%c]\n"
                % (c, c, c - 1 if c > 97 else 97, c - 1 if c > 97 else 97, c - 1 if c > 97 else 97)
                for c in range(98, 110)
            )
        )
    if action == 4:
        return b"!!python/object/apply:os.system ['echo pwned']\n"
    return text + text


def cases() -> list[tuple[str, bytes]]:
    rng = random.Random(SEED)
    documents = []
    for source in SOURCES:
        if source.suffix == ".json":
            documents.append((source.suffix, json.loads(source.read_text())))
        elif source.suffix in (".yaml", ".yml"):
            documents.append((source.suffix, yaml.safe_load(source.read_text())))
    out = []
    for n in range(CASES):
        suffix, document = rng.choice(documents)
        if rng.random() < 0.8:
            mutated = _mutate_document(document, rng)
            text = (json.dumps(mutated) if suffix == ".json" else yaml.safe_dump(mutated)).encode(
                "utf-8", "surrogatepass"
            )
        else:
            text = _mutate_text(json.dumps(document).encode(), rng)
            suffix = rng.choice([".json", ".yaml"])
        out.append((f"case-{n:04d}{suffix}", text))
    return out


def test_every_fuzzed_mapping_file_loads_or_is_refused_naming_itself(tmp_path: Path) -> None:
    started = time.monotonic()
    outcomes = {"loaded": 0, "refused": 0}
    for name, text in cases():
        file = tmp_path / name
        file.write_bytes(text)
        refusal = None
        try:
            MockServer(mappings=file)
        except MappingError as exc:
            refusal = str(exc)
        except Exception as exc:  # anything else is a bug: say which case, to replay it
            pytest.fail(f"{name} raised {type(exc).__name__}: {exc}\n{text[:500]!r}")
        if refusal is None:
            outcomes["loaded"] += 1
        else:
            assert str(file) in refusal, f"{name}: the error does not name the file: {refusal}"
            outcomes["refused"] += 1
        file.unlink()
    assert outcomes["loaded"] > 100  # the mutations leave many files valid: the loader's happy path runs too
    assert outcomes["refused"] > 1000
    assert time.monotonic() - started < 120


def test_a_sample_through_mockpit_serve_exits_0_or_2_without_a_traceback(tmp_path: Path) -> None:
    sample = cases()[::250]
    for name, text in sample:
        root = tmp_path / name.split(".")[0]
        (root / "mappings").mkdir(parents=True)
        (root / "mappings" / name).write_bytes(text)
        # --port 0 and an immediate shutdown: a file that loads starts a server, which the test stops
        process = subprocess.Popen(
            [sys.executable, "-m", "mockpit", "serve", str(root), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=3)
        except subprocess.TimeoutExpired:  # it loaded and is serving: fine
            process.terminate()
            stdout, stderr = process.communicate(timeout=20)
            assert "serving" in stdout, stdout
        else:
            assert process.returncode == 2, f"{name}: exit {process.returncode}\n{stderr}"
            assert name in stderr
        assert "Traceback" not in stderr, f"{name}:\n{stderr}"
