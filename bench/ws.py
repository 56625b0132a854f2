"""WebSocket echo throughput: messages/s over 100 connections, mockpit against a bare uvicorn echo app.

mockpit serves a message-mappings/ echo stub (``{{message.body}}``, templated, matched and journaled as
any message); the bare app echoes with nothing else (``bare_ws_app.py``). The clients (the websockets
library, in a separate process) each send a message and wait for its echo, over and over. The servers
are loaded in turn, in interleaved rounds; the verdict is the median of the per-round ratios (target:
mockpit at least 60% of bare).

    python bench/ws.py                 # 5 rounds of 2 s per server
    python bench/ws.py --rounds 3 --duration 1 --clients 100
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import BENCH_DIR, HOST, Server, free_port

TARGET = 0.60
ECHO = {
    "name": "echo",
    "trigger": {
        "type": "message",
        "channel": {"type": "websocket", "initiatingRequestPattern": {"urlPath": "/echo"}},
    },
    "actions": [{"type": "send", "message": {"body": {"data": "{{message.body}}"}}}],
}


def write_root(root: Path) -> None:
    (root / "mappings").mkdir(parents=True)
    (root / "mappings" / "ready.json").write_text(json.dumps({"request": {"url": "/ready"}, "response": {}}))
    (root / "message-mappings").mkdir()
    (root / "message-mappings" / "echo.json").write_text(json.dumps(ECHO), encoding="utf-8")


def load(port: int, clients: int, duration: float) -> float:
    """Echoes/s received by ``clients`` connections over ``duration`` s, from a child process."""
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
    from websockets.asyncio.client import connect

    async def client(stop: asyncio.Event, counts: list[int]) -> None:
        async with connect(f"ws://{HOST}:{port}/echo", compression=None) as ws:
            while not stop.is_set():
                await ws.send("hello, echo")
                await ws.recv()
                counts[0] += 1

    async def main() -> float:
        stop = asyncio.Event()
        counts = [0]
        tasks = [asyncio.ensure_future(client(stop, counts)) for _ in range(clients)]
        await asyncio.sleep(0.5)  # warm up: connections open, echoes under way
        start_count, start = counts[0], asyncio.get_running_loop().time()
        await asyncio.sleep(duration)
        rate = (counts[0] - start_count) / (asyncio.get_running_loop().time() - start)
        stop.set()
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
        bare_port, mock_port = free_port(), free_port()
        bare_argv = [
            sys.executable, "-m", "uvicorn", "bare_ws_app:app", "--app-dir", str(BENCH_DIR),
            "--host", HOST, "--port", str(bare_port), "--http", "httptools", "--ws", "websockets-sansio",
            "--loop", "uvloop", "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        bare = Server("bare-ws", bare_argv, bare_port)
        script = Path(sys.executable).parent / "mockpit"
        exe = [str(script)] if script.exists() else [sys.executable, "-m", "mockpit"]
        mock = Server("mockpit-ws", [*exe, "serve", str(root), "--host", HOST, "--port", str(mock_port)], mock_port)
        try:
            for server, probe in ((bare, "/"), (mock, "/ready")):
                server.spawn()
                server.wait_ready(probe)
            ratios, bare_rates, mock_rates = [], [], []
            for i in range(args.rounds):
                b = load(bare_port, args.clients, args.duration)
                m = load(mock_port, args.clients, args.duration)
                bare_rates.append(b)
                mock_rates.append(m)
                ratios.append(m / b)
                print(f"round {i + 1}: bare {b:,.0f} echoes/s, mockpit {m:,.0f} echoes/s ({m / b:.0%})", flush=True)
            ratio = statistics.median(ratios)
            print(
                f"WebSocket echo, {args.clients} connections: bare {statistics.median(bare_rates):,.0f} echoes/s, "
                f"mockpit {statistics.median(mock_rates):,.0f} echoes/s; median ratio {ratio:.0%} "
                f"(target >= {TARGET:.0%}: {'PASS' if ratio >= TARGET else 'FAIL'})"
            )
        finally:
            bare.close()
            mock.close()


if __name__ == "__main__":
    main()
