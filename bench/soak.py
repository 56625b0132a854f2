#!/usr/bin/env python
"""Soak: `mockpit serve` under half of its peak load for ten minutes; its memory must stay flat.

    python bench/soak.py                  # 10 minutes (the figure in docs/security.md)
    python bench/soak.py --minutes 1      # a quick look

The traffic mixes what a shared mock sees: a static JSON stub, a templated POST echo, and requests
that match nothing (each gets a near-miss report computed and journaled). The journal is on, at its
default size, so it fills within seconds and must then hold steady. First the peak is measured (wrk,
32 connections, 10 s); then wrk paces its connections (its ``delay()`` hook) to half of that for the
soak. Every ``--sample`` seconds it reads the server's RSS from /proc and times one request on a fresh
connection. It reports the RSS after the first minute and at the end, their difference, the request
rate held, and the status counts. Needs wrk (``apt-get install wrk``) and Linux (/proc).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from run import HOST, Server, free_port, mockpit_argv, parse_wrk, raw_get_status, start_server

STUBS = [
    {"request": {"method": "GET", "urlPath": "/hello"}, "response": {"status": 200, "jsonBody": {"hello": "world"}}},
    {
        "request": {"method": "POST", "urlPath": "/echo"},
        "response": {"status": 200, "body": "{{{request.body}}}", "transformers": ["response-template"]},
    },
]

# one thread: the status counts live in that thread's Lua state and are read back in done()
LUA = r"""
local requests = {
  wrk.format("GET", "/hello"),
  wrk.format("POST", "/echo", {["Content-Type"] = "application/json"}, '{"order": 42, "items": [1, 2, 3]}'),
  wrk.format("GET", "/hello"),
  wrk.format("GET", "/no-such-thing?x=1"),
}
local i = 0
counts = {}
request = function()
  i = i % #requests + 1
  return requests[i]
end
response = function(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end
local pause = tonumber(os.getenv("SOAK_DELAY_MS") or "0")
if pause > 0 then
  delay = function() return pause end
end
local threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local out = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("counts")) do out[tostring(status)] = (out[tostring(status)] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(out) do table.insert(parts, string.format('"%s": %d', status, n)) end
  io.write("STATUS-COUNTS {" .. table.concat(parts, ", ") .. "}\n")
end
"""


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
    assert found, "no VmRSS in /proc: Linux only"
    return int(found.group(1)) / 1024


def wrk(url: str, script: Path, connections: int, seconds: int, delay_ms: int = 0) -> tuple[dict, dict[str, int]]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url]
    env = {"SOAK_DELAY_MS": str(delay_ms), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stdout}\n{done.stderr}")
    found = re.search(r"STATUS-COUNTS (\{.*\})", done.stdout)
    return parse_wrk(done.stdout), json.loads(found.group(1)) if found else {}


def probe_ms(port: int) -> float:
    started = time.perf_counter()
    status = raw_get_status(port, "/hello", timeout=5)
    took = (time.perf_counter() - started) * 1000
    return took if status == 200 else math.inf


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--sample", type=float, default=10, help="seconds between RSS samples")
    parser.add_argument("--connections", type=int, default=64, help="paced connections during the soak")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("the soak needs wrk: apt-get install wrk", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="mockpit-soak-"))
    (work / "root" / "mappings").mkdir(parents=True)
    (work / "root" / "mappings" / "soak.json").write_text(json.dumps({"mappings": STUBS}))
    script = work / "mix.lua"
    script.write_text(LUA)
    port = free_port()
    server: Server = start_server(
        "mockpit", mockpit_argv(argparse.Namespace(mockpit_cmd=None), work / "root", port), port, "/hello"
    )
    try:
        url = f"http://{HOST}:{port}"
        wrk(url, script, 32, 2)  # warm-up
        peak, _ = wrk(url, script, 32, 10)
        target = peak["rps"] / 2
        # each paced connection sends one request per delay: connections / delay = the target rate
        delay_ms = max(1, round(args.connections * 1000 / target))
        print(
            f"peak {peak['rps']:.0f} req/s; soaking at about {target:.0f} req/s "
            f"({args.connections} connections, {delay_ms} ms apart) for {args.minutes:g} min",
            flush=True,
        )
        samples: list[tuple[float, float, float]] = []
        stop = threading.Event()
        started = time.monotonic()

        def sample() -> None:
            while not stop.wait(args.sample):
                samples.append((time.monotonic() - started, rss_mb(server.proc.pid), probe_ms(port)))
                at, rss, probe = samples[-1]
                print(f"  {at:6.0f} s  RSS {rss:6.1f} MB  probe {probe:6.1f} ms", flush=True)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        result, statuses = wrk(url, script, args.connections, round(args.minutes * 60), delay_ms)
        stop.set()
        sampler.join()
    finally:
        server.close()
    after_minute = next((rss for at, rss, _ in samples if at >= 60), samples[0][1])
    last = samples[-1][1]
    probes = sorted(p for _, _, p in samples)
    print()
    print(
        f"held {result['rps']:.0f} req/s (target {target:.0f}), p50 {result['p50_ms']:.2f} ms, "
        f"p99 {result['p99_ms']:.2f} ms; statuses {statuses}; socket errors {result['socket_errors']}"
    )
    print(
        f"RSS after 1 min {after_minute:.1f} MB, at the end {last:.1f} MB: "
        f"{last - after_minute:+.1f} MB ({(last - after_minute) / after_minute:+.1%}); "
        f"peak sample {max(r for _, r, _ in samples):.1f} MB"
    )
    print(f"fresh-connection probe: median {probes[len(probes) // 2]:.1f} ms, worst {probes[-1]:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
