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
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import BENCH_DIR, HOST, Server, free_port

EVENTS = 1000
TARGET = 0.60


def write_root(root: Path) -> None:
    (root / "mappings").mkdir(parents=True)
    events = [{"data": {"n": i}} for i in range(EVENTS)]
    mapping = {"request": {"method": "GET", "url": "/events"}, "response": {"sse": {"events": events}}}
    (root / "mappings" / "sse.json").write_text(json.dumps(mapping), encoding="utf-8")


def load(port: int, clients: int, duration: float) -> float:
    """Events/s received by ``clients`` streaming clients over ``duration`` s, from a child process."""
    out = subprocess.run(
        [sys.executable, __file__, "--loadgen", str(port), str(clients), str(duration)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip())


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
        bare_port, mock_port = free_port(), free_port()
        bare_argv = [
            sys.executable, "-m", "uvicorn", "bare_sse_app:app", "--app-dir", str(BENCH_DIR),
            "--host", HOST, "--port", str(bare_port), "--http", "httptools", "--loop", "uvloop",
            "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        bare = Server("bare-sse", bare_argv, bare_port, env)
        script = Path(sys.executable).parent / "mockpit"
        exe = [str(script)] if script.exists() else [sys.executable, "-m", "mockpit"]
        mock = Server("mockpit-sse", [*exe, "serve", str(root), "--host", HOST, "--port", str(mock_port)], mock_port)
        try:
            for server in (bare, mock):
                server.spawn()
                server.wait_ready("/events")
            ratios, bare_rates, mock_rates = [], [], []
            for i in range(args.rounds):
                b = load(bare_port, args.clients, args.duration)
                m = load(mock_port, args.clients, args.duration)
                bare_rates.append(b)
                mock_rates.append(m)
                ratios.append(m / b)
                print(f"round {i + 1}: bare {b:,.0f} events/s, mockpit {m:,.0f} events/s ({m / b:.0%})", flush=True)
            ratio = statistics.median(ratios)
            print(
                f"SSE, {args.clients} clients, {EVENTS} events a stream: bare {statistics.median(bare_rates):,.0f} "
                f"events/s, mockpit {statistics.median(mock_rates):,.0f} events/s; median ratio {ratio:.0%} "
                f"(target >= {TARGET:.0%}: {'PASS' if ratio >= TARGET else 'FAIL'})"
            )
        finally:
            bare.close()
            mock.close()


if __name__ == "__main__":
    main()
