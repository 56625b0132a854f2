"""Example values from the schemas of an OpenAPI document: what an operation answers without an example.

Written here rather than taken from a library: hypothesis-jsonschema and its kin generate test inputs
(slowly, and values chosen to break things), while a mock wants one plausible value, quickly, the same
for the same seed, and valid against its schema. Types, formats, enums, patterns (through rstr), bounds,
``required``, ``oneOf``/``anyOf``/``allOf``, ``nullable`` and ``readOnly``/``writeOnly`` are followed;
a schema that contains itself is cut off after one level, keeping only what is required.

Static values (``dynamic=False``, what a stub answers by default) take the schema's own ``example``
or ``default`` when it is valid; dynamic ones (``Prefer: dynamic=true``) are made up every time,
optional properties and nulls included at random.
"""

from __future__ import annotations

import base64
import copy
import datetime
import json
import math
import random
import re
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from mockpit._types import JSON

if TYPE_CHECKING:
    from .document import OpenApiDocument

#: nesting depth after which objects get only their required properties and arrays their minimum
MAX_DEPTH = 6
#: past this depth the value is cut off whatever the schema says (a required property that recurses)
HARD_DEPTH = 24
#: generated values tried until one validates (a pattern that rstr reads differently, a oneOf ...)
ATTEMPTS = 8
_VALIDATOR_CACHE = 4096

_WORDS = (
    "alpha", "amber", "apple", "breeze", "cedar", "coral", "delta", "ember", "fable", "garnet", "harbor",
    "indigo", "jasper", "kiwi", "lumen", "maple", "nectar", "onyx", "pebble", "quartz", "raven", "sage",
    "tango", "umber", "velvet", "willow", "xenon", "yarrow", "zephyr", "doggie",
)  # fmt: skip
_BASE_TIME = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
# annotations beside a $ref: in OpenAPI 3.0 they are ignored, and a description is no constraint anyway
_ANNOTATIONS = frozenset(
    {"description", "title", "default", "example", "examples", "deprecated", "externalDocs", "xml", "$comment"}
)
_LOWER_BOUNDS = ("minimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "maxLength", "maxItems", "maxProperties")


def _word(rng: random.Random) -> str:
    return rng.choice(_WORDS)


_FORMATS: dict[str, Callable[[random.Random], str]] = {
    "date-time": lambda rng: (_BASE_TIME + datetime.timedelta(seconds=rng.randrange(3 * 365 * 86400))).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    ),
    "date": lambda rng: (_BASE_TIME + datetime.timedelta(days=rng.randrange(3 * 365))).date().isoformat(),
    "time": lambda rng: f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z",
    "email": lambda rng: f"{_word(rng)}{rng.randrange(100)}@example.com",
    "idn-email": lambda rng: f"{_word(rng)}{rng.randrange(100)}@example.com",
    "uuid": lambda rng: str(uuid.UUID(int=rng.getrandbits(128), version=4)),
    "uri": lambda rng: f"https://example.com/{_word(rng)}/{rng.randrange(1000)}",
    "url": lambda rng: f"https://example.com/{_word(rng)}/{rng.randrange(1000)}",
    "iri": lambda rng: f"https://example.com/{_word(rng)}",
    "uri-reference": lambda rng: f"/{_word(rng)}/{rng.randrange(1000)}",
    "iri-reference": lambda rng: f"/{_word(rng)}",
    "uri-template": lambda rng: f"https://example.com/{_word(rng)}/{{id}}",
    "hostname": lambda rng: f"{_word(rng)}.example.com",
    "idn-hostname": lambda rng: f"{_word(rng)}.example.com",
    "ipv4": lambda rng: ".".join(str(rng.randrange(1, 255)) for _ in range(4)),
    "ipv6": lambda rng: f"2001:db8::{rng.randrange(1, 0xFFFF):x}",
    "byte": lambda rng: base64.b64encode(rng.randbytes(12)).decode("ascii"),
    "binary": _word,
    "password": lambda rng: f"{_word(rng)}-{rng.randrange(10**6):06d}",
    "duration": lambda rng: f"P{rng.randrange(1, 30)}D",
    "regex": lambda rng: "^[a-z]+$",
    "json-pointer": lambda rng: f"/{_word(rng)}",
}


class DataGenerator:
    """Values for the schemas of one document.

    ``mode="read"`` makes what the API sends (``writeOnly`` properties left out), ``"write"`` what it
    receives (``readOnly`` ones left out).
    """

    def __init__(self, document: OpenApiDocument, *, mode: Literal["read", "write"] = "read") -> None:
        self.document = document
        self.mode = mode
        self._hidden = "writeOnly" if mode == "read" else "readOnly"
        self._validators: dict[int, tuple[Any, Any]] = {}

    # --- public ------------------------------------------------------------------------------------

    def generate(self, schema: Any, rng: random.Random, *, dynamic: bool = False) -> JSON:
        """One value for ``schema``; the first of several tries that validates against it."""
        value: JSON = None
        for _ in range(ATTEMPTS):
            value = self._value(schema, _Context(rng, dynamic), 0, ())
            if self.conforms(value, schema):
                return value
            dynamic = True  # the static choice did not fit: let chance find one that does
        return value

    def conforms(self, value: Any, schema: Any) -> bool:
        """Whether ``value`` is valid against ``schema`` (a broken schema counts as accepting it)."""
        try:
            return bool(self._validator(schema).is_valid(value))
        except Exception:  # an invalid regex or a format checker that raised: nothing to hold the value to
            return True

    # --- internals ---------------------------------------------------------------------------------

    def _validator(self, schema: Any) -> Any:
        cached = self._validators.get(id(schema))
        if cached is not None and cached[0] is schema:
            return cached[1]
        if len(self._validators) >= _VALIDATOR_CACHE:
            self._validators.clear()
        validator = self.document.validator(schema, mode=self.mode)
        # the schema is kept with its validator so that its id cannot be reused while cached
        self._validators[id(schema)] = (schema, validator)
        return validator

    def _flatten(self, schema: Any, stack: tuple[str, ...]) -> tuple[dict[str, Any], tuple[str, ...]]:
        """``schema`` with its ``$ref``\\s followed and ``allOf`` merged, and the refs expanded on the way."""
        if schema is True or schema is None:
            return {}, stack
        if schema is False or not isinstance(schema, Mapping):
            return {"not": {}}, stack
        out: dict[str, Any] = dict(schema)
        for _ in range(HARD_DEPTH):
            ref = out.get("$ref")
            if isinstance(ref, str):
                siblings = {k: v for k, v in out.items() if k != "$ref" and k not in _ANNOTATIONS}
                if stack.count(ref) > HARD_DEPTH // 4:
                    return {}, stack
                stack = (*stack, ref)
                target = self.document.lookup(ref)
                out = merge(dict(target) if isinstance(target, Mapping) else {}, siblings)
                continue
            parts = out.pop("allOf", None)
            if isinstance(parts, list):
                for part in parts:
                    flat, stack = self._flatten(part, stack)
                    out = merge(out, flat)
                continue
            break
        return out, stack

    def _value(self, schema: Any, ctx: _Context, depth: int, stack: tuple[str, ...]) -> JSON:
        flat, stack = self._flatten(schema, stack)
        if depth > HARD_DEPTH:
            return None
        if not ctx.dynamic:
            for key in ("example", "default"):
                # an empty default ("" or {}) says "nothing"; an example should say something
                if key in flat and flat[key] not in ("", {}, []) and self.conforms(flat[key], flat):
                    return copy.deepcopy(flat[key])
            examples = flat.get("examples")
            if isinstance(examples, list):
                for example in examples:
                    if self.conforms(example, flat):
                        return copy.deepcopy(example)
        if "const" in flat:
            return copy.deepcopy(flat["const"])
        if isinstance(flat.get("enum"), list) and flat["enum"]:
            choices = [v for v in flat["enum"] if v is not None] or flat["enum"]
            return copy.deepcopy(choices[0] if not ctx.dynamic else ctx.rng.choice(choices))
        for key in ("oneOf", "anyOf"):
            if isinstance(flat.get(key), list) and flat[key]:
                return self._choice(flat, key, ctx, depth, stack)
        types, nullable = _types(flat)
        if nullable and (not types or (ctx.dynamic and ctx.rng.random() < 0.15)):
            return None
        if not types:
            return _word(ctx.rng)  # any value will do: a string reads best
        kind = ctx.rng.choice(types) if ctx.dynamic else types[0]
        minimal = depth >= MAX_DEPTH or _recursing(stack)
        if kind == "object":
            return self._object(flat, ctx, depth, stack, minimal)
        if kind == "array":
            return self._array(flat, ctx, depth, stack, minimal)
        if kind == "string":
            return _string(flat, ctx.rng)
        if kind == "integer":
            return _integer(flat, ctx.rng)
        if kind == "number":
            return _number(flat, ctx.rng)
        if kind == "boolean":
            return ctx.rng.random() < 0.5 if ctx.dynamic else True
        return None

    def _choice(self, flat: dict[str, Any], key: str, ctx: _Context, depth: int, stack: tuple[str, ...]) -> JSON:
        branches = list(flat[key])
        if ctx.dynamic:
            ctx.rng.shuffle(branches)
        base = {k: v for k, v in flat.items() if k not in {"oneOf", "anyOf", "discriminator"}}
        discriminator = flat.get("discriminator")
        value: JSON = None
        for branch in branches:
            part, branch_stack = self._flatten(branch, stack)
            value = self._value(merge(base, part), ctx, depth, branch_stack)
            if isinstance(discriminator, Mapping) and isinstance(value, dict) and isinstance(branch, Mapping):
                _discriminate(value, discriminator, branch.get("$ref"))
            if key == "anyOf" or self.conforms(value, flat):
                return value
        return value

    def _object(
        self, flat: dict[str, Any], ctx: _Context, depth: int, stack: tuple[str, ...], minimal: bool
    ) -> dict[str, Any]:
        properties = flat.get("properties") if isinstance(flat.get("properties"), Mapping) else {}
        assert isinstance(properties, Mapping)
        required = [r for r in flat.get("required") or () if isinstance(r, str)]
        extra = flat.get("additionalProperties")
        out: dict[str, Any] = {}
        for name, sub in properties.items():
            optional = name not in required
            if optional and (minimal or (ctx.dynamic and ctx.rng.random() < 0.4) or self._is_hidden(sub, stack)):
                continue
            out[name] = self._value(sub, ctx, depth + 1, stack)
        for name in required:
            if name not in out:
                out[name] = self._value(extra if isinstance(extra, Mapping) else {}, ctx, depth + 1, stack)
        patterns = flat.get("patternProperties")
        wanted = int(flat.get("minProperties") or 0)
        if not properties and not minimal and (extra not in (None, False) or patterns):
            wanted = max(wanted, 1 if not ctx.dynamic else ctx.rng.randint(1, 3))
        n = 0
        while len(out) < wanted and n < wanted + 10:
            n += 1
            if isinstance(patterns, Mapping) and patterns:
                pattern, sub = next(iter(patterns.items()))
                name = _from_pattern(pattern, ctx.rng) or f"{_word(ctx.rng)}{n}"
            elif extra is False:
                break
            else:
                name, sub = f"{_word(ctx.rng)}{n}", extra if isinstance(extra, Mapping) else {"type": "string"}
            out.setdefault(name, self._value(sub, ctx, depth + 1, stack))
        limit = flat.get("maxProperties")
        if isinstance(limit, int) and len(out) > limit:
            keep = [k for k in out if k in required][:limit]
            keep += [k for k in out if k not in keep][: limit - len(keep)]
            out = {k: out[k] for k in keep}
        return out

    def _is_hidden(self, schema: Any, stack: tuple[str, ...]) -> bool:
        flat, _ = self._flatten(schema, stack)
        return flat.get(self._hidden) is True

    def _array(
        self, flat: dict[str, Any], ctx: _Context, depth: int, stack: tuple[str, ...], minimal: bool
    ) -> list[Any]:
        low = int(flat.get("minItems") or 0)
        high = flat.get("maxItems")
        high = int(high) if isinstance(high, (int, float)) else None
        if minimal:
            n = low
        elif ctx.dynamic:
            n = ctx.rng.randint(low, max(low, min(high if high is not None else low + 3, low + 3)))
        else:
            n = max(low, 1)
        if high is not None:
            n = min(n, high)
        prefix = flat.get("prefixItems") if isinstance(flat.get("prefixItems"), list) else []
        assert isinstance(prefix, list)
        items = flat.get("items", {})
        unique = flat.get("uniqueItems") is True
        out: list[Any] = []
        seen: set[str] = set()
        tries = 0
        while len(out) < n and tries < n * 10 + 10:
            tries += 1
            sub = prefix[len(out)] if len(out) < len(prefix) else items
            value = self._value(sub, ctx if not unique or tries == 1 else _Context(ctx.rng, True), depth + 1, stack)
            if unique:
                key = json.dumps(value, sort_keys=True)
                if key in seen:
                    continue
                seen.add(key)
            out.append(value)
        return out


class _Context:
    __slots__ = ("dynamic", "rng")

    def __init__(self, rng: random.Random, dynamic: bool) -> None:
        self.rng = rng
        self.dynamic = dynamic


def _recursing(stack: tuple[str, ...]) -> bool:
    return len(stack) != len(set(stack))


def _types(flat: Mapping[str, Any]) -> tuple[list[str], bool]:
    declared = flat.get("type")
    if isinstance(declared, str):
        types = [declared]
    elif isinstance(declared, list):
        types = [t for t in declared if isinstance(t, str)]
    elif any(k in flat for k in ("properties", "required", "additionalProperties", "minProperties")):
        types = ["object"]
    elif any(k in flat for k in ("items", "prefixItems", "minItems", "maxItems")):
        types = ["array"]
    elif any(k in flat for k in ("minimum", "maximum", "multipleOf", "exclusiveMinimum", "exclusiveMaximum")):
        types = ["number"]
    elif any(k in flat for k in ("minLength", "maxLength", "pattern", "format")):
        types = ["string"]
    else:
        types = []
    nullable = flat.get("nullable") is True or "null" in types
    return [t for t in types if t != "null"], nullable


def merge(a: dict[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """Two schemas as one that asks what both ask (for ``allOf``); keywords that conflict keep ``a``'s."""
    out = dict(a)
    for key, value in b.items():
        if key not in out:
            out[key] = value
        elif key == "properties" and isinstance(value, Mapping) and isinstance(out[key], Mapping):
            merged = dict(out[key])
            for name, sub in value.items():
                merged[name] = {"allOf": [merged[name], sub]} if name in merged else sub
            out[key] = merged
        elif key == "required" and isinstance(value, list) and isinstance(out[key], list):
            out[key] = [*out[key], *(r for r in value if r not in out[key])]
        elif key == "type":
            left = out[key] if isinstance(out[key], list) else [out[key]]
            right = value if isinstance(value, list) else [value]
            both = [t for t in left if t in right or (t == "integer" and "number" in right)]
            both += [t for t in right if t == "integer" and "number" in left and t not in both]
            out[key] = both or left
        elif key == "enum" and isinstance(value, list) and isinstance(out[key], list):
            out[key] = [v for v in out[key] if v in value] or out[key]
        elif key in _LOWER_BOUNDS and isinstance(value, (int, float)):
            out[key] = max(out[key], value)
        elif key in _UPPER_BOUNDS and isinstance(value, (int, float)):
            out[key] = min(out[key], value)
        elif key == "nullable":
            out[key] = bool(out[key]) and bool(value)
        elif key == "additionalProperties" and value is False:
            out[key] = False
        elif key == "items" and isinstance(value, Mapping) and isinstance(out[key], Mapping):
            out[key] = {"allOf": [out[key], value]}
    return out


def _discriminate(value: dict[str, Any], discriminator: Mapping[str, Any], ref: Any) -> None:
    """Set the discriminator property to the name that selects the branch that was generated."""
    name = discriminator.get("propertyName")
    if not isinstance(name, str) or not isinstance(ref, str):
        return
    for key, target in (discriminator.get("mapping") or {}).items():
        if isinstance(target, str) and (target == ref or ref.endswith((target, "/" + target))):
            value[name] = key
            return
    value[name] = ref.rsplit("/", 1)[-1]


def _from_pattern(pattern: str, rng: random.Random) -> str | None:
    try:
        import rstr

        compiled = re.compile(pattern)
        for _ in range(5):
            text = rstr.Rstr(rng).xeger(pattern)
            if compiled.search(text):
                return text
    except Exception:  # a pattern rstr or Python cannot read (ECMA-only syntax): fall back to words
        return None
    return None


def _string(flat: Mapping[str, Any], rng: random.Random) -> str:
    low = int(flat.get("minLength") or 0)
    high = flat.get("maxLength")
    high = int(high) if isinstance(high, (int, float)) else None
    pattern = flat.get("pattern")
    text: str | None = None
    if isinstance(pattern, str):
        for _ in range(5):
            text = _from_pattern(pattern, rng)
            if text is None or (len(text) >= low and (high is None or len(text) <= high)):
                break
    if text is None:
        make = _FORMATS.get(str(flat.get("format", "")))
        text = make(rng) if make else _word(rng)
    if len(text) < low:
        text += "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(low - len(text)))
    if high is not None and len(text) > high:
        text = text[:high]
    return text


def _bounds(flat: Mapping[str, Any]) -> tuple[float | None, bool, float | None, bool]:
    """(minimum, exclusive?, maximum, exclusive?) in either spelling: 3.0's booleans, 3.1's numbers."""
    low, high = flat.get("minimum"), flat.get("maximum")
    low_x = high_x = False
    ex_min, ex_max = flat.get("exclusiveMinimum"), flat.get("exclusiveMaximum")
    if ex_min is True:
        low_x = True
    elif isinstance(ex_min, (int, float)) and not isinstance(ex_min, bool):
        low, low_x = (ex_min, True) if low is None or ex_min >= low else (low, False)
    if ex_max is True:
        high_x = True
    elif isinstance(ex_max, (int, float)) and not isinstance(ex_max, bool):
        high, high_x = (ex_max, True) if high is None or ex_max <= high else (high, False)
    return low, low_x, high, high_x


_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def _integer(flat: Mapping[str, Any], rng: random.Random) -> int:
    low_f, low_x, high_f, high_x = _bounds(flat)
    low = high = None
    if low_f is not None:
        low = math.ceil(low_f)
        low += 1 if low_x and low == low_f else 0
    if high_f is not None:
        high = math.floor(high_f)
        high -= 1 if high_x and high == high_f else 0
    if low is None and high is None:
        low, high = 1, 1000
    elif low is None:
        assert high is not None
        low = 1 if high >= 1 else high - 999
    elif high is None:
        high = low + 999
    if high - low > 999:  # a small number reads better than one from int64's whole range
        if low <= 1 <= high:
            low, high = 1, min(high, 1000)
        elif low > 1:
            high = low + 999
        else:
            low = high - 999
    fmt_low, fmt_high = _INT_RANGES.get(str(flat.get("format", "")), (low, high))
    low, high = max(low, fmt_low), min(high, fmt_high)
    step = flat.get("multipleOf")
    if isinstance(step, (int, float)) and step > 0:
        first, last = math.ceil(low / step), math.floor(high / step)
        if first <= last:
            return int(rng.randint(first, last) * step)
    return rng.randint(low, max(low, high))


def _number(flat: Mapping[str, Any], rng: random.Random) -> float | int:
    low, low_x, high, high_x = _bounds(flat)
    if low is None and high is None:
        low, high = 0.0, 1000.0
    elif low is None:
        assert high is not None
        low = high - 1000.0
    elif high is None:
        high = low + 1000.0
    step = flat.get("multipleOf")
    if isinstance(step, (int, float)) and step > 0:
        first, last = math.ceil(low / step), math.floor(high / step)
        if low_x and first * step == low:
            first += 1
        if high_x and last * step == high:
            last -= 1
        if first <= last:
            value = rng.randint(first, last) * step
            return round(value, 10) if isinstance(value, float) else value
    value = round(rng.uniform(low, high), 2)
    if (low_x and value <= low) or value < low:
        value = low + (high - low) / 2
    if (high_x and value >= high) or value > high:
        value = low + (high - low) / 2
    return value
