"""SSE throughput: events/s to 100 concurrent streaming clients, mockpit against a bare uvicorn SSE app.

Both servers stream the same 1,000 events per request (no delay) with the same headers; the clients
(raw asyncio sockets in a separate process, so that parsing costs neither server anything) request
the stream over and over on kept-alive connections and count the events received. The servers are
loaded in turn, in interleaved rounds; the verdict is the median of the per-round ratios (target: mockpit
at least 60% of bare).

    python bench/sse.py                 # 5 rounds of 2 s per server
    python bench/sse.py --rounds 3 --duration 1 --clients 100
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from against_bare import compare
from run import BENCH_DIR, HOST

EVENTS = 1000
TARGET = 0.60


def write_root(root: Path) -> None:
    (root / "mappings").mkdir(parents=True)
    events = [{"data": {"n": i}} for i in range(EVENTS)]
    mapping = {"request": {"method": "GET", "url": "/events"}, "response": {"sse": {"events": events}}}
    (root / "mappings" / "sse.json").write_text(json.dumps(mapping), encoding="utf-8")


def loadgen(port: int, clients: int, duration: float) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    request = f"GET /events HTTP/1.1\r\nHost: {HOST}\r\nAccept: text/event-stream\r\n\r\n".encode()

    async def client(stop: asyncio.Event, counts: list[int]) -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while not stop.is_set():
                writer.write(request)
                tail = b""
                while True:
                    data = await reader.read(65536)
                    if not data:
                        return
                    # an event is counted by its field; a split "data:" is caught by the kept tail
                    counts[0] += (tail + data).count(b"data:") - tail.count(b"data:")
                    tail = (tail + data)[-8:]
                    if tail.endswith(b"\r\n0\r\n\r\n"):
                        break
        finally:
            writer.close()

    async def main() -> float:
        stop = asyncio.Event()
        counts = [0]
        tasks = [asyncio.ensure_future(client(stop, counts)) for _ in range(clients)]
        await asyncio.sleep(0.5)  # warm up: connections open, streams under way
        start_count, start = counts[0], asyncio.get_running_loop().time()
        await asyncio.sleep(duration)
        rate = (counts[0] - start_count) / (asyncio.get_running_loop().time() - start)
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return rate

    print(asyncio.run(main()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--loadgen", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.loadgen:
        loadgen(int(args.loadgen[0]), int(args.loadgen[1]), float(args.loadgen[2]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_root(root)
        env = {**os.environ, "BARE_SSE_EVENTS": str(EVENTS)}
        bare_argv = [
            sys.executable, "-m", "uvicorn", "bare_sse_app:app", "--app-dir", str(BENCH_DIR),
            "--host", HOST, "--port", "{port}", "--http", "httptools", "--loop", "uvloop",
            "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        compare(
            script=__file__,
            bare_argv=bare_argv,
            root=root,
            probes=("/events", "/events"),
            rounds=args.rounds,
            clients=args.clients,
            duration=args.duration,
            unit="events/s",
            label=f"SSE, {args.clients} clients, {EVENTS} events a stream",
            target=TARGET,
            bare_env=env,
        )


if __name__ == "__main__":
    main()
