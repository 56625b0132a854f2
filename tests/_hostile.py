"""Hostile HTTP/1.1 requests, made deterministically from a seed, for the raw-socket fuzz.

:func:`hostile_cases` mixes hand-built attacks (request smuggling, malformed chunking, bad request lines,
huge and odd headers, control bytes, invalid UTF-8, pipelined garbage, premature closes) with random
mutations of valid requests. Each :class:`Case` says how the client ends its side of the connection and
what the server may answer: a smuggling attempt must get a 400 and nothing else, whatever else anything
but a 5xx. The targets are the stubs :data:`STUB_PATHS` names (the test module makes them).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from typing import Literal

#: how the client ends: shut its sending side and read to the end ("half"), close without reading
#: ("full"), or close with a reset ("reset")
Close = Literal["half", "full", "reset"]

#: the paths the fuzzed server's stubs answer (see tests/test_http_fuzz.py)
STUB_PATHS = ("/ok", "/echo", "/json", "/xml", "/form", "/auth", "/tpl/x", "/smuggled")
#: the body of the stub at /smuggled: a request hidden in another's body must never reach it
SMUGGLED = b"SMUGGLED-REQUEST-ANSWERED"


@dataclass(frozen=True)
class Case:
    kind: str
    data: bytes
    close: Close = "half"
    #: True: the framing is ambiguous, so the only acceptable answer is one 400 (and no smuggled request)
    ambiguous: bool = False
    #: the statuses the answers must start with (valid requests pipelined before garbage)
    first: tuple[int, ...] = ()


def request(method: str, target: str, headers: list[tuple[str, str]] | None = None, body: bytes = b"") -> bytes:
    """A well-formed HTTP/1.1 request (Content-Length added for a body)."""
    lines = [f"{method} {target} HTTP/1.1", "Host: mock"]
    lines += [f"{name}: {value}" for name, value in headers or []]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked(method: str, target: str, chunks: list[bytes], headers: list[tuple[str, str]] | None = None) -> bytes:
    head = request(method, target, [*(headers or []), ("Transfer-Encoding", "chunked")])
    return head + b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"


JSON_BODY = b'{"name": "ada", "ids": [1, 2, 3], "nested": {"ok": true}}'
XML_BODY = b"<order><id>7</id><item sku='a'>pen</item></order>"
MULTIPART = (
    b'--XyZ\r\nContent-Disposition: form-data; name="field"\r\n\r\nvalue\r\n'
    b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n"
)

#: valid requests, the material of mutations
SEEDS: tuple[bytes, ...] = (
    request("GET", "/ok", [("User-Agent", "fuzz/1.0"), ("Accept", "*/*")]),
    request("HEAD", "/ok"),
    request("GET", "/ok?a=1&b=%20two&c", [("Cookie", "session=abc; theme=dark")]),
    request("POST", "/echo", [("Content-Type", "application/json")], JSON_BODY),
    chunked("POST", "/echo", [b"hello ", b"chunked ", b"world"]),
    request("PUT", "/form", [("Content-Type", "application/x-www-form-urlencoded")], b"a=1&b=two+words&c=%E2%82%AC"),
    request("POST", "/echo", [("Content-Type", "multipart/form-data; boundary=XyZ")], MULTIPART),
    request("POST", "/json", [("Content-Type", "application/json")], JSON_BODY),
    request("POST", "/xml", [("Content-Type", "application/xml")], XML_BODY),
    request("GET", "/auth", [("Authorization", "Basic YWRhOnB3")]),
    request("GET", "/tpl/x?q=1", [("X-Test", "value")]),
    request("OPTIONS", "*"),
    request("DELETE", "/echo/1"),
    request("PATCH", "/echo", [("Content-Type", "text/plain"), ("Expect", "100-continue")], b"patch body"),
    b"GET /ok HTTP/1.0\r\n\r\n",
)

INTERESTING = (
    b"\x00", b"\r", b"\n", b"\r\n", b" ", b"\t", b":", b";", b",", b"\xff", b"\x7f", b"\x1b", b"\x0b", b"\x0c",
    b"%", b"%00", b"%zz", b"%C0%AF", b"0", b"-1", b"9" * 20, b"\r\n\r\n", b"Transfer-Encoding: chunked\r\n",
    b"Content-Length: 5\r\n", b"Content-Length: 999999\r\n", b"Expect: 100-continue\r\n", b"\xc3\x28", b"\xed\xa0\x80",
    b"\xc0\xaf", b"\x80", b"{", b"}", b"[", b"<", b"&", b"'", b'"', b"\\", b"{{", b"}}", b"/../", b"?", b"#",
)  # fmt: skip
NUMBERS = (b"0", b"-1", b"+1", b"1e3", b"0x10", b" 1", b"4294967296", b"18446744073709551616", b"9" * 40, b"00001")

#: framings that make a body's length ambiguous: each must be refused (400), never read two ways
AMBIGUOUS_FRAMINGS: tuple[tuple[bytes, ...], ...] = (
    (b"Content-Length: {n}", b"Transfer-Encoding: chunked"),
    (b"Transfer-Encoding: chunked", b"Content-Length: {n}"),
    (b"Transfer-Encoding: chunked", b"Content-Length: 0"),
    (b"Content-Length: 5", b"Content-Length: {n}"),
    (b"Content-Length: {n}", b"Content-Length: {n}"),
    (b"Content-Length: 5, {n}",),
    (b"Content-Length: {n}, {n}",),
    (b"Content-Length: +{n}",),
    (b"Content-Length: -{n}",),
    (b"Content-Length: 0x{n}",),
    (b"Content-Length: {n}.0",),
    (b"Content-Length: {n}e0",),
    (b"Content-Length: {n} 0",),
    (b"Content-Length: 99999999999999999999999",),
    (b"Content-Length: ",),
    (b"Content-Length: {n}\x00",),
    (b"Content-Length : {n}",),
    (b"Content-Length:\x0b{n}",),
    (b"Transfer-Encoding: xchunked",),
    (b"Transfer-Encoding: chunked, identity",),
    (b"Transfer-Encoding: chunked, gzip",),
    (b"Transfer-Encoding : chunked",),
    (b"Transfer-Encoding:\x0bchunked",),
    (b"Transfer-Encoding: chunked\x00",),
    (b"Transfer-Encoding:\r\n chunked",),
    (b'Transfer-Encoding: "chunked"',),
    (b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked"),
    (b"Transfer-Encoding: chunked", b"Transfer-Encoding: x"),
    (b"Transfer-Encoding: gzip",),
    (b"Transfer-Encoding:\rchunked",),
    (b"Transfer-Encoding: chunked;",),
    (b"Transfer-Encoding: chunked,",),
    (b"Transfer-Encoding: chunk\xc3\xa9d",),
    (b"Transfer-Encoding: chunked", b"Content-Length: {n}", b"Transfer-Encoding: chunked"),
)
#: framings that httptools refuses only from a release on (obs-fold from 0.6.3, an empty
#: Transfer-Encoding from 0.9.0); before it, it reads them as no framing at all (the hidden request is
#: then a pipelined one), so there they are held to "no 5xx" only
LATER_REFUSED: tuple[tuple[tuple[bytes, ...], tuple[int, ...]], ...] = (
    ((b"X-Padding: y\r\n Transfer-Encoding: chunked",), (0, 6, 3)),
    ((b"Transfer-Encoding: ",), (0, 9, 0)),
)
_HTTPTOOLS = tuple(int(part) for part in version("httptools").split(".")[:3] if part.isdigit())
SMUGGLED_REQUESTS = (
    b"GET /smuggled HTTP/1.1\r\nHost: mock\r\n\r\n",
    b"GET /smuggled HTTP/1.1\r\nHost: mock\r\nContent-Length: 10\r\n\r\nGET / HTTP",
    b"POST /smuggled HTTP/1.1\r\nHost: mock\r\nContent-Length: 3\r\n\r\nabc",
    b"GET /smuggled?x=",
)

BAD_CHUNK_SIZES = (
    b"zz", b"-3", b"0x3", b"3 ", b" 3", b"3\t", b"+3", b"", b"ffffffffffffffffff", b"1" * 40, b"3;", b'3;a="open',
    b"3;a=b;;", b"\x003", b"3\x00", b"7fffffffffffffff", b"8000000000000000", b"-0", b"3;\xff", b"\xff",
)  # fmt: skip


class _Maker:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def pick(self, items: tuple[bytes, ...] | list[bytes]) -> bytes:
        return items[self.rng.randrange(len(items))]

    # --- random mutations of valid requests -----------------------------------------------------

    def mutate(self) -> Case:
        data = bytearray(self.pick(SEEDS))
        for _ in range(self.rng.randint(1, 4)):
            data = self._mutation(data)
        return Case("mutation", bytes(data), close=self._close())

    def _mutation(self, data: bytearray) -> bytearray:
        rng = self.rng
        at = rng.randrange(len(data) + 1)
        op = rng.randrange(9)
        if op == 0 and data:  # flip a bit
            data[at % len(data)] ^= 1 << rng.randrange(8)
        elif op == 1:
            data[at:at] = self.pick(INTERESTING)
        elif op == 2:  # delete a span
            del data[at : at + rng.randint(1, 16)]
        elif op == 3:  # repeat a span
            span = data[at : at + rng.randint(1, 32)]
            data[at:at] = span * rng.randint(1, 50)
        elif op == 4:
            del data[at:]
        elif op == 5:  # a number made hostile
            numbers = list(re.finditer(rb"\d+", data))
            if numbers:
                found = numbers[rng.randrange(len(numbers))]
                data[found.start() : found.end()] = self.pick(NUMBERS)
        elif op == 6:
            data[at : at + 8] = data[at : at + 8].swapcase()
        elif op == 7:  # splice with another request
            other = self.pick(SEEDS)
            data[at:] = other[rng.randrange(len(other)) :]
        else:  # random bytes
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        return data

    def _close(self) -> Close:
        roll = self.rng.random()
        return "full" if roll < 0.04 else "reset" if roll < 0.08 else "half"

    # --- hand-built attacks ----------------------------------------------------------------------

    def smuggling(self) -> Case:
        rng = self.rng
        hidden = self.pick(SMUGGLED_REQUESTS)
        body = (b"0\r\n\r\n" if rng.random() < 0.7 else b"") + hidden
        choice = rng.randrange(len(AMBIGUOUS_FRAMINGS) + len(LATER_REFUSED))
        if choice < len(AMBIGUOUS_FRAMINGS):
            lines, ambiguous = AMBIGUOUS_FRAMINGS[choice], True
        else:
            lines, since = LATER_REFUSED[choice - len(AMBIGUOUS_FRAMINGS)]
            ambiguous = since <= _HTTPTOOLS
        framing = [line.replace(b"{n}", str(len(body) if rng.random() < 0.5 else 5).encode()) for line in lines]
        method = self.pick([b"POST", b"PUT", b"GET", b"DELETE", b"PATCH"])
        headers = [b"Host: mock", b"User-Agent: fuzz", b"Accept: */*"]
        at = 0
        for line in framing:  # in their order: "x" then "chunked" would be chunked, no ambiguity
            at = rng.randrange(at, len(headers) + 1)
            headers.insert(at, line)
            at += 1
        data = method + b" /echo HTTP/1.1\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + body
        return Case("smuggling", data, ambiguous=ambiguous)

    def chunking(self) -> Case:
        rng = self.rng
        chunks = [b"abc", b"defgh", b"i" * 20]
        lines = [b"%x\r\n%s\r\n" % (len(c), c) for c in chunks]
        at = rng.randrange(len(lines) + 1)
        roll = rng.randrange(8)
        if roll == 0:  # a bad size line
            lines.insert(at, self.pick(BAD_CHUNK_SIZES) + b"\r\nabc\r\n")
        elif roll == 1:  # data without its CRLF
            lines.insert(at, b"3\r\nabc")
        elif roll == 2:  # more data than the size says
            lines.insert(at, b"3\r\nabcdef\r\n")
        elif roll == 3:  # less
            lines.insert(at, b"6\r\nabc\r\n")
        elif roll == 4:  # bare LFs
            lines = [line.replace(b"\r\n", b"\n") for line in lines]
        elif roll == 5:  # a huge size, then a little data
            lines.insert(at, self.pick([b"7fffffff", b"ffffffffffff", b"100000"]) + b"\r\nabc")
        elif roll == 6:  # many tiny chunks, maybe past the body limit
            lines = [b"1\r\nx\r\n"] * rng.choice([10, 1000, 70_000])
        else:  # odd trailers
            lines.append(b"0\r\n" + self.pick([b"X-T: \x00\r\n", b"no colon\r\n", b"X: " + b"y" * 70_000 + b"\r\n"]))
        end = self.pick([b"0\r\n\r\n", b"0\r\n", b"", b"0\r\n\r\nGET /ok HTTP/1.1\r\nHost: mock\r\n\r\n"])
        head = b"POST /echo HTTP/1.1\r\nHost: mock\r\nTransfer-Encoding: chunked\r\n\r\n"
        return Case("chunking", head + b"".join(lines) + end, close=self._close())

    def request_line(self) -> Case:
        rng = self.rng
        method = self.pick(
            [b"GET", b"get", b"", b"G", b"GE T", b"GET\x00", b"FOO", b"A" * 10_000, b"CONNECT", b"PRI", b"M-SEARCH"]
        )
        target = self.pick(
            [
                b"/ok", b"", b"*", b"http://evil.example/ok", b"//ok", b"/ok#frag", b"/" + b"a" * 100_000, b"/%",
                b"/%zz", b"/%00", b"/\xff\xfe", b"/ok?" + b"a=1&" * 5_000, b"/..%2f..%2fetc/passwd", b"/o k",
                b"mock:443", b"/ok\x7f", b"/\xc0\xaf", b"/tpl/%FF%FE",
            ]
        )  # fmt: skip
        version = self.pick(
            [b"HTTP/1.1", b"HTTP/1.2", b"HTTP/2.0", b"HTTP/0.9", b"http/1.1", b"HTTP/1.1x", b"HTTP/11", b"HTTP/", b""]
        )
        gap = self.pick([b" ", b"  ", b"\t", b" \t "])
        end = self.pick([b"\r\n", b"\n", b"\r", b"\r\n\r\n"])
        line = method + gap + target + (gap + version if version or rng.random() < 0.5 else b"") + end
        if line.startswith(b"PRI"):
            line = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"  # an HTTP/2 client's preface
        return Case("request-line", line + b"Host: mock\r\n\r\n")

    def headers(self) -> Case:
        rng = self.rng
        path = self.pick([b"/ok", b"/auth", b"/tpl/x", b"/json", b"/echo"])
        roll = rng.randrange(10)
        if roll == 0:
            extra = b"X-Big: " + b"v" * rng.choice([8_000, 65_536, 1_000_000]) + b"\r\n"
        elif roll == 1:
            extra = b"".join(b"X-H%d: %d\r\n" % (i, i) for i in range(rng.choice([100, 1_000, 5_000])))
        elif roll == 2:
            extra = b"X-" + b"n" * 8_000 + b": v\r\n"
        elif roll == 3:
            extra = self.pick([b"no colon\r\n", b": empty name\r\n", b"X(Y): z\r\n", b"X: a\r\n\tfolded\r\n"])
        elif roll == 4:
            extra = b"Host: second\r\n" if rng.random() < 0.5 else b""
        elif roll == 5:
            extra = b"Cookie: " + b"; ".join(b"c%d=%d" % (i, i) for i in range(3_000)) + b"\r\n"
        elif roll == 6:
            value = self.pick(
                [b"Basic !!!", b"Basic", b"Basic " + b"=" * 9, b"Basic YWRh", b"Basic \xff\xfe", b"Bearer"]
            )
            extra = b"Authorization: " + value + b"\r\n"
        elif roll == 7:
            ctype = self.pick([b"application/json; charset=utf-99", b"multipart/form-data", b"text/xml; charset=\x01"])
            extra = b"Content-Type: " + ctype + b"\r\n"
        elif roll == 8:
            extra = b"Expect: " + self.pick([b"100-continue", b"200-ok", b"100-continue, x", b""]) + b"\r\n"
        else:
            extra = b"X-Test: " + bytes(rng.randrange(32, 256) for _ in range(rng.randint(1, 200))) + b"\r\n"
        body = JSON_BODY if path in (b"/json", b"/echo") else b""
        length = b"Content-Length: %d\r\n" % len(body) if body else b""
        data = b"POST " if body else b"GET "
        data += path + b" HTTP/1.1\r\nHost: mock\r\n" + extra + length + b"\r\n" + body
        return Case("headers", data)

    def control_bytes(self) -> Case:
        data = bytearray(self.pick(SEEDS))
        for _ in range(self.rng.randint(1, 5)):
            at = self.rng.randrange(len(data) + 1)
            data[at:at] = bytes([self.rng.choice([*range(32), 127])])
        return Case("control-bytes", bytes(data))

    def invalid_utf8(self) -> Case:
        bad = self.pick(
            [b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"\xff", b"\xfe\xff", b"\x80", b"\xf8\x88\x80\x80\x80"]
        )
        encoded = b"".join(b"%%%02X" % byte for byte in bad)
        roll = self.rng.randrange(7)
        if roll == 0:
            data = request("GET", "/tpl/x").replace(b"/tpl/x", b"/tpl/" + bad)
        elif roll == 1:
            data = request("GET", "/tpl/x").replace(b"/tpl/x", b"/tpl/" + encoded + b"?q=" + encoded)
        elif roll == 2:
            data = request("GET", "/tpl/x", [("X-Test", "v")]).replace(b"X-Test: v", b"X-Test: " + bad)
        elif roll == 3:
            body = b'{"name": "' + bad + b'", "ids": [1]}'
            data = request("POST", "/json", [("Content-Type", "application/json")], body)
        elif roll == 4:
            data = request(
                "POST", "/xml", [("Content-Type", "application/xml")], b"<order><id>" + bad + b"</id></order>"
            )
        elif roll == 5:
            body = b"a=" + encoded + b"&b=" + bad
            data = request("PUT", "/form", [("Content-Type", "application/x-www-form-urlencoded")], body)
        else:
            data = request("GET", "/ok", [("Cookie", "x=1")]).replace(b"x=1", b"x=" + bad)
        return Case("invalid-utf8", data)

    def pipelining(self) -> Case:
        rng = self.rng
        valid = request("GET", "/ok")
        count = rng.choice([1, 2, 5, 50])
        tail = self.pick(
            [b"GARBAGE\r\n\r\n", b"GET /ok HTTP/1.1\r\nHost: mock\r\n", b"\x00\xff" * 100, b"\r\n" * 100, b"0\r\n\r\n"]
        )
        if rng.random() < 0.3:
            tail = self.smuggling().data
        return Case("pipelining", valid * count + tail, first=(200,) * count)

    def premature(self) -> Case:
        data = self.pick(SEEDS)
        cut = self.rng.randrange(len(data) + 1)
        return Case("premature-close", data[:cut], close=self.rng.choice(["half", "full", "reset"]))


#: each kind of case and its share of the mix
_MIX: tuple[tuple[Callable[[_Maker], Case], int], ...] = (
    (_Maker.mutate, 40),
    (_Maker.smuggling, 12),
    (_Maker.chunking, 12),
    (_Maker.request_line, 8),
    (_Maker.headers, 6),
    (_Maker.control_bytes, 6),
    (_Maker.invalid_utf8, 6),
    (_Maker.pipelining, 5),
    (_Maker.premature, 5),
)


def hostile_cases(count: int, seed: int) -> list[Case]:
    """``count`` cases, the same for the same ``seed``."""
    maker = _Maker(seed)
    makers = [make for make, _ in _MIX]
    weights = [weight for _, weight in _MIX]
    return [maker.rng.choices(makers, weights)[0](maker) for _ in range(count)]
