"""Fleets on Redis: what sharing state costs, in one run.

    python bench/fleet.py               # about a minute (needs wrk and redis-server)
    python bench/fleet.py --quick       # a smoke run

Three servers, loaded in turn in interleaved rounds (this machine's speed drifts): one worker with no
store (the default), one worker on Redis, two workers on Redis; each on a static stub (GET /hello) and
on a scenario stub (GET /step: a transition on every request, one Lua script in Redis). For each it
prints req/s and p99 (wrk -t1 -c32, medians over rounds) and the CPU seconds the server's processes
(and, apart, redis-server) spent per 10,000 requests: on a 2-core machine throughput cannot show what
more cores give, CPU per request can.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import child_pids, free_port, raw_get_status, run_wrk

STUBS = [
    {"request": {"method": "GET", "url": "/hello"}, "response": {"status": 200, "jsonBody": {"hello": "world"}}},
    {
        "scenarioName": "bench",
        "requiredScenarioState": "Started",
        "newScenarioState": "Started",
        "request": {"method": "GET", "url": "/step"},
        "response": {"status": 200, "jsonBody": {"step": True}},
    },
]
CONFIGS = ["1 worker, memory", "1 worker, Redis", "2 workers, Redis"]
PATHS = {"static": "/hello", "scenario": "/step"}


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its children (the workers), from /proc."""
    total = 0.0
    for each in [pid, *child_pids(pid)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("bench/fleet.py needs redis-server (apt-get install redis-server)")
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", ""]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    time.sleep(0.3)
    return process, f"redis://127.0.0.1:{port}/0"


def start_mockpit(root: Path, config: str, redis_url: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [sys.executable, "-m", "mockpit", "serve", str(root), "--port", str(port)]
    if "Redis" in config:
        command += ["--store", redis_url, "--namespace", f"bench-{port}", "--workers", config[0]]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "src")}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 30
    while raw_get_status(port, "/hello") != 200:
        if time.monotonic() > deadline or process.poll() is not None:
            sys.exit(f"mockpit ({config}) did not start")
        time.sleep(0.05)
    return process, port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=4.0, help="seconds of load per round")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.duration = 1, 1.0
    if shutil.which("wrk") is None:
        sys.exit("bench/fleet.py needs wrk (apt-get install wrk)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "mappings").mkdir()
        (folder / "mappings" / "stubs.json").write_text(json.dumps({"mappings": STUBS}))
        redis, redis_url = start_redis(folder)
        servers = {config: start_mockpit(folder, config, redis_url) for config in CONFIGS}
        results: dict[tuple[str, str], list[dict[str, float]]] = {}
        try:
            for _config, (_, port) in servers.items():  # warm-up: every worker's imports and caches
                for path in PATHS.values():
                    run_wrk(f"http://127.0.0.1:{port}{path}", args.connections, 1)
            for _ in range(args.rounds):
                for kind, path in PATHS.items():
                    for config, (process, port) in servers.items():
                        before, redis_before = cpu_seconds(process.pid), cpu_seconds(redis.pid)
                        load = run_wrk(f"http://127.0.0.1:{port}{path}", args.connections, args.duration)
                        spent, redis_spent = cpu_seconds(process.pid) - before, cpu_seconds(redis.pid) - redis_before
                        requests = load["requests"]
                        assert load["non_2xx_3xx"] == 0, f"{config} {path}: errors"
                        results.setdefault((kind, config), []).append(
                            {
                                "rps": load["rps"],
                                "p99": load["p99_ms"],
                                "cpu": spent / requests * 10_000,
                                "redis_cpu": redis_spent / requests * 10_000,
                            }
                        )
        finally:
            for process, _ in servers.values():
                process.terminate()
                process.wait(10)
            redis.terminate()
            redis.wait(10)
    print(f"{'stub':9} {'configuration':18} {'req/s':>8} {'p99 ms':>7} {'CPU s/10k':>9} {'Redis CPU s/10k':>15}")
    for (kind, config), rows in results.items():
        med = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
        print(f"{kind:9} {config:18} {med['rps']:8.0f} {med['p99']:7.2f} {med['cpu']:9.3f} {med['redis_cpu']:15.3f}")


if __name__ == "__main__":
    main()
