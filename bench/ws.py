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
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from against_bare import compare
from run import BENCH_DIR, HOST

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
        bare_argv = [
            sys.executable, "-m", "uvicorn", "bare_ws_app:app", "--app-dir", str(BENCH_DIR),
            "--host", HOST, "--port", "{port}", "--http", "httptools", "--ws", "websockets-sansio",
            "--loop", "uvloop", "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        compare(
            script=__file__,
            bare_argv=bare_argv,
            root=root,
            probes=("/", "/ready"),
            rounds=args.rounds,
            clients=args.clients,
            duration=args.duration,
            unit="echoes/s",
            label=f"WebSocket echo, {args.clients} connections",
            target=TARGET,
        )


if __name__ == "__main__":
    main()
