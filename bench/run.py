#!/usr/bin/env python
"""mockpit benchmark harness (stdlib + httpx only).

Run from the repo root inside the dev venv:

    python bench/run.py                 # full run, 10 s per load scenario
    python bench/run.py --quick         # 3 s smoke run
    python bench/run.py --only mockpit-10k

Scenarios (run strictly one after the other, never concurrently):

    bare         raw ASGI app under uvicorn (httptools + uvloop): the ceiling
    mockpit-1    `mockpit serve` on a root with one static JSON stub (GET /hello)
    mockpit-template  `mockpit serve` on one Handlebars-templated stub (GET /hello/{name}): path
                 variable, query parameter and method into the body and a header
    mockpit-10k  `mockpit serve` on a root with 10,000 exact-path stubs,
                 load on /items/9876 (near the end, so a linear scan shows)
    mockpit-openapi  `mockpit serve tests/data/openapi/petstore.yaml` (request validation on),
                 load on GET /pets?limit=10; compared with mockpit-1 (`--only` runs both)
    cold-start   spawn -> first HTTP 200 on /hello, median of 5 (mockpit and bare)
    inprocess    MockServer().start()/.stop() in a child process, median of 20

Load is generated with `wrk -t1 -c32 -dNs --latency`.  Without wrk a much
weaker asyncio+httpx load generator is used instead (numbers not comparable).
All traffic goes to 127.0.0.1.  See bench/README.md.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
HOST = "127.0.0.1"

SCENARIOS = ("bare", "mockpit-1", "mockpit-10k", "mockpit-template", "mockpit-openapi", "cold-start", "inprocess")
LOAD_SCENARIOS = ("bare", "mockpit-1", "mockpit-10k", "mockpit-template", "mockpit-openapi")
PETSTORE = REPO_DIR / "tests" / "data" / "openapi" / "petstore.yaml"
OPENAPI_PATH = "/pets?limit=10"

HELLO_STUB = {
    "request": {"method": "GET", "urlPath": "/hello"},
    "response": {
        "status": 200,
        "headers": {"Content-Type": "application/json"},
        "jsonBody": {"message": "hello"},
    },
}
# a typical templated answer: request data into a JSON body and a header (WireMock's Handlebars)
TEMPLATE_STUB = {
    "request": {"method": "GET", "urlPathTemplate": "/hello/{name}"},
    "response": {
        "status": 200,
        "headers": {"Content-Type": "application/json", "X-Method": "{{request.method}}"},
        "body": '{"message":"hello {{request.path.name}}","page":"{{request.query.page}}"}',
        "transformers": ["response-template"],
    },
}
TEMPLATE_PATH = "/hello/ada?page=2"
N_ITEMS = 10_000
N_ITEM_FILES = 10
ITEM_TARGET = 9876
DEFAULT_BODY = b'{"message":"hello"}'

# Targets
T_MOCKPIT1_PCT_OF_BARE = 85.0  # issue 17
T_10K_MAX_LOSS_PCT = 10.0
T_COLD_START_MS = 250.0  # issue 16
T_COLD_START_X_BARE = 1.25  # issue 17
T_COLD_START_10K_MS = 400.0  # issue 17
T_INPROCESS_MS = 50.0
T_RSS_MB = {"mockpit-1": 50.0, "mockpit-10k": 60.0}  # issues 16 and 17, after the load
T_TEMPLATE_MAX_SLOWDOWN = 2.0
T_OPENAPI_PCT_OF_STATIC = 50.0  # "within 2x of a static stub"

READY_TIMEOUT_S = 30.0
STOP_GRACE_S = 5.0


def log(msg: str = "") -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def raw_get_status(port: int, path: str, timeout: float = 2.0) -> int | None:
    """One GET over a fresh connection; returns the status code, or None if the
    port is not accepting connections yet."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode())
            buf = b""
            while b"\r\n" not in buf:
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
    except OSError:
        return None
    m = re.match(rb"HTTP/1\.[01] (\d{3})", buf)
    return int(m.group(1)) if m else None


def read_vm_hwm_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def child_pids(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    out.extend(int(x) for x in f.read().split())
            except OSError:
                pass
    except OSError:
        pass
    return out


def _importable(mod: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(mod) is not None
    except (ImportError, ValueError):
        return False


def median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def fmt(x: float | None, nd: int = 1) -> str:
    return "n/a" if x is None else f"{x:,.{nd}f}"


# --------------------------------------------------------------------------- #
# server process management
# --------------------------------------------------------------------------- #
class Server:
    """A server subprocess; always stopped via stop() (SIGTERM, then SIGKILL)."""

    def __init__(self, name: str, argv: list[str], port: int, env: dict | None = None):
        self.name = name
        self.argv = argv
        self.port = port
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.logfile = tempfile.TemporaryFile(mode="w+b")  # noqa: SIM115 (closed in close())
        self.t_spawn: float | None = None
        self.exit_info: str | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def spawn(self) -> None:
        self.t_spawn = time.perf_counter()
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=self.logfile,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=str(REPO_DIR),
            start_new_session=True,  # our own group: terminal ^C doesn't hit it
        )

    def wait_ready(self, path: str, timeout: float = READY_TIMEOUT_S, poll_s: float = 0.003) -> float:
        """Poll until GET path returns 200. Returns seconds since spawn."""
        assert self.proc is not None
        assert self.t_spawn is not None
        deadline = time.perf_counter() + timeout
        last_status = None
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name}: server exited with code {self.proc.returncode} before "
                    f"answering.\n--- server output ---\n{self.output()}"
                )
            status = raw_get_status(self.port, path)
            if status == 200:
                return time.perf_counter() - self.t_spawn
            if status is not None:
                if last_status is None:
                    # Listening but not 200 yet: give it a little longer, not 30 s.
                    deadline = min(deadline, time.perf_counter() + 3.0)
                last_status = status
            time.sleep(poll_s)
        raise RuntimeError(
            f"{self.name}: no HTTP 200 on {self.url}{path} within {timeout:.0f}s "
            f"(last status {last_status}).\n--- server output ---\n{self.output()}"
        )

    def output(self, limit: int = 4000) -> str:
        try:
            self.logfile.flush()
            self.logfile.seek(0)
            data = self.logfile.read()
        except (OSError, ValueError):
            return ""
        text = data.decode("utf-8", "replace")
        return text if len(text) <= limit else "...\n" + text[-limit:]

    def stop(self) -> None:
        p = self.proc
        if p is None:
            return
        if p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=STOP_GRACE_S)
                self.exit_info = f"exited (rc {p.returncode}) after SIGTERM"
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)  # our own session/group
                except (ProcessLookupError, PermissionError):
                    p.kill()
                p.wait(timeout=STOP_GRACE_S)
                self.exit_info = f"did not exit within {STOP_GRACE_S:.0f}s of SIGTERM: SIGKILLed"
        else:
            self.exit_info = f"had already exited with {p.returncode}"
        # Leftover children of our group (if the server forked any)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(p.pid, signal.SIGKILL)

    def close(self) -> None:
        self.stop()
        with contextlib.suppress(OSError):
            self.logfile.close()


# --------------------------------------------------------------------------- #
# commands
# --------------------------------------------------------------------------- #
def bare_env(ref: dict) -> dict:
    env = dict(os.environ)
    env["BARE_STATUS"] = str(ref["status"])
    env["BARE_CONTENT_TYPE"] = ref["content_type"]
    env["BARE_BODY_B64"] = base64.b64encode(ref["body"]).decode("ascii")
    return env


def bare_argv(port: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", "bare_app:app",
        "--app-dir", str(BENCH_DIR),
        "--host", HOST, "--port", str(port),
        "--http", "httptools", "--loop", "uvloop",
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip


def mockpit_argv(args, root: Path, port: int) -> list[str]:
    template = args.mockpit_cmd or os.environ.get("MOCKPIT_BENCH_CMD")
    if template:
        return [
            part.format(python=sys.executable, root=str(root), port=port, bench=str(BENCH_DIR))
            for part in shlex.split(template)
        ]
    script = Path(sys.executable).parent / "mockpit"
    exe = [str(script)] if script.exists() else [sys.executable, "-m", "mockpit"]
    return [*exe, "serve", str(root), "--host", HOST, "--port", str(port)]


def write_root_1(root: Path) -> None:
    (root / "mappings").mkdir(parents=True)
    (root / "__files").mkdir()
    (root / "mappings" / "hello.json").write_text(json.dumps(HELLO_STUB, indent=2))


def write_root_template(root: Path) -> None:
    (root / "mappings").mkdir(parents=True)
    (root / "__files").mkdir()
    (root / "mappings" / "hello.json").write_text(json.dumps(TEMPLATE_STUB, indent=2))


def write_root_10k(root: Path) -> None:
    (root / "mappings").mkdir(parents=True)
    (root / "__files").mkdir()
    per_file = N_ITEMS // N_ITEM_FILES
    for f in range(N_ITEM_FILES):
        stubs = [
            {
                "request": {"method": "GET", "urlPath": f"/items/{i}"},
                "response": {
                    "status": 200,
                    "headers": {"Content-Type": "application/json"},
                    "jsonBody": {"id": i},
                },
            }
            for i in range(f * per_file, (f + 1) * per_file)
        ]
        (root / "mappings" / f"items-{f:02d}.json").write_text(json.dumps({"mappings": stubs}))


# --------------------------------------------------------------------------- #
# load generation
# --------------------------------------------------------------------------- #
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _wrk_time_ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not m:
        raise ValueError(f"cannot parse wrk time {text!r}")
    return float(m.group(1)) * _UNIT_MS[m.group(2)]


def parse_wrk(out: str) -> dict:
    res: dict = {}
    m = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    if not m:
        raise ValueError("no 'Requests/sec' line in wrk output:\n" + out)
    res["rps"] = float(m.group(1))
    for pct, key in (("50", "p50_ms"), ("75", "p75_ms"), ("90", "p90_ms"), ("99", "p99_ms")):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        res[key] = _wrk_time_ms(m.group(1)) if m else None
    m = re.search(r"^\s+(\d+) requests in ([\d.]+\w+),", out, re.M)
    if m:
        res["requests"] = int(m.group(1))
        res["elapsed_s"] = _wrk_time_ms(m.group(2)) / 1000.0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = (
        dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups()), strict=False)) if m else {}
    )
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non_2xx_3xx"] = int(m.group(1)) if m else 0
    return res


def run_wrk(url: str, connections: int, duration: float) -> dict:
    d = max(1, round(duration))
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{d}s", "--latency", url]
    p = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=d + 60)
    if p.returncode != 0:
        raise RuntimeError(f"wrk failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    res = parse_wrk(p.stdout)
    res["tool"] = "wrk"
    res["cmd"] = " ".join(cmd)
    res["raw"] = p.stdout
    return res


def run_fallback_load(url: str, connections: int, duration: float) -> dict:
    cmd = [
        sys.executable, str(Path(__file__).resolve()), "--_loadgen", url,
        "--connections", str(connections), "--duration", str(duration),
    ]  # fmt: skip
    p = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=duration + 120)
    if p.returncode != 0:
        raise RuntimeError(f"fallback load generator failed:\n{p.stdout}\n{p.stderr}")
    res = json.loads(p.stdout)
    res["tool"] = "python-fallback (asyncio+httpx)"
    return res


def loadgen_main(url: str, connections: int, duration: float) -> None:
    """Fallback load generator (child process): C keep-alive workers, fixed time."""
    import asyncio

    import httpx

    async def main() -> dict:
        lat: list[float] = []
        errors = 0
        non2xx = 0
        # One single-connection client per worker: a shared httpx pool with 32
        # concurrent requests collapses (pool-lock contention), ~4x slower.
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        clients = [httpx.AsyncClient(limits=limits, timeout=10.0) for _ in range(connections)]
        try:
            t0 = time.perf_counter()
            deadline = t0 + duration

            async def worker(client: httpx.AsyncClient) -> None:
                nonlocal errors, non2xx
                while time.perf_counter() < deadline:
                    t = time.perf_counter()
                    try:
                        r = await client.get(url)
                    except httpx.HTTPError:
                        errors += 1
                        continue
                    lat.append(time.perf_counter() - t)
                    if r.status_code >= 400:
                        non2xx += 1

            await asyncio.wait_for(asyncio.gather(*(worker(c) for c in clients)), duration + 30)
            elapsed = time.perf_counter() - t0
        finally:
            for c in clients:
                await c.aclose()
        lat.sort()

        def q(p: float) -> float | None:
            return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else None

        return {
            "rps": len(lat) / elapsed,
            "p50_ms": q(0.50), "p75_ms": q(0.75), "p90_ms": q(0.90), "p99_ms": q(0.99),
            "requests": len(lat), "elapsed_s": elapsed,
            "socket_errors": {"errors": errors}, "non_2xx_3xx": non2xx,
        }  # fmt: skip

    print(json.dumps(asyncio.run(main())))


# --------------------------------------------------------------------------- #
# scenarios
# --------------------------------------------------------------------------- #
def fetch_reference(url: str) -> dict:
    import httpx

    with httpx.Client(timeout=5.0) as c:
        r = c.get(url)
    return {
        "status": r.status_code,
        "content_type": r.headers.get("content-type", ""),
        "body": r.content,
        "headers": dict(r.headers),
    }


def start_server(name: str, argv: list[str], port: int, path: str, env=None) -> Server:
    srv = Server(name, argv, port, env)
    srv.spawn()
    try:
        srv.wait_ready(path)
    except BaseException:
        srv.close()
        raise
    return srv


def with_temp_root(kind: str):
    d = Path(tempfile.mkdtemp(prefix=f"mockpit-bench-{kind}-"))
    {"1": write_root_1, "template": write_root_template}.get(kind, write_root_10k)(d / "root")
    return d


def start_scenario(name: str, args, ctx: dict) -> dict:
    """Start one scenario's server and check it answers its target path; returns its state."""
    state: dict = {"tmp": None, "srv": None}
    try:
        port = free_port()
        if name == "bare":
            ref = get_reference(args, ctx)
            argv, env, path = bare_argv(port), bare_env(ref), "/hello"
        elif name == "mockpit-1":
            state["tmp"] = with_temp_root("1")
            argv, env, path = mockpit_argv(args, state["tmp"] / "root", port), None, "/hello"
        elif name == "mockpit-template":
            state["tmp"] = with_temp_root("template")
            argv, env, path = mockpit_argv(args, state["tmp"] / "root", port), None, TEMPLATE_PATH
        elif name == "mockpit-openapi":
            argv, env, path = mockpit_argv(args, PETSTORE, port), None, OPENAPI_PATH
        else:
            t = time.perf_counter()
            state["tmp"] = with_temp_root("10k")
            log(f"  wrote {N_ITEMS} stubs in {N_ITEM_FILES} files ({time.perf_counter() - t:.2f}s)")
            argv, env, path = mockpit_argv(args, state["tmp"] / "root", port), None, f"/items/{ITEM_TARGET}"
        log(f"  $ {shlex.join(argv)}")
        t = time.perf_counter()
        state["srv"] = start_server(name, argv, port, path, env)
        state["ready_s"] = time.perf_counter() - t
        state["url"] = state["srv"].url + path
        state["argv"] = argv
        log(f"  ready after {state['ready_s'] * 1000:.0f} ms at {state['url']}")
        # Sanity check: right response on the target path
        import httpx

        r = httpx.get(state["url"], timeout=5.0)
        if r.status_code != 200:
            raise RuntimeError(f"{name}: GET {state['url']} -> {r.status_code}")
        if name == "mockpit-10k" and str(ITEM_TARGET) not in r.text:
            ctx["warnings"].append(f"mockpit-10k: /items/{ITEM_TARGET} body {r.text!r} does not mention {ITEM_TARGET}")
        return state
    except BaseException:
        close_scenario(state)
        raise


def close_scenario(state: dict) -> None:
    if state.get("srv") is not None:
        state["srv"].close()
    if state.get("tmp") is not None:
        shutil.rmtree(state["tmp"], ignore_errors=True)


def merge_rounds(rounds: list[dict]) -> dict:
    """One scenario's rounds: medians of req/s and latencies, error counts summed."""
    res = {
        "rps": median([r["rps"] for r in rounds]),
        "p50_ms": median([r["p50_ms"] for r in rounds if r.get("p50_ms") is not None]),
        "p99_ms": median([r["p99_ms"] for r in rounds if r.get("p99_ms") is not None]),
        "rounds_rps": [r["rps"] for r in rounds],
        "non_2xx_3xx": sum(r.get("non_2xx_3xx") or 0 for r in rounds),
        "socket_errors": {},
    }
    for r in rounds:
        for k, v in (r.get("socket_errors") or {}).items():
            res["socket_errors"][k] = res["socket_errors"].get(k, 0) + (v or 0)
    return res


def load_interleaved(names: list[str], args, ctx: dict) -> dict:
    """Every scenario's server up at once (idle ones cost no CPU), then ``--rounds`` rounds that load
    each in turn for duration/rounds seconds. A shared machine's speed drifts over a minute; within a
    round the scenarios see the same machine, so the per-round ratios are what the targets judge."""
    states: dict = {}
    results: dict = {}
    try:
        for name in names:
            log(f"== {name}: starting")
            try:
                states[name] = start_scenario(name, args, ctx)
            except Exception as e:
                log(f"  ERROR: {e}")
                results[name] = {"error": str(e)}
        load = run_wrk if ctx["wrk"] else run_fallback_load
        if args.warmup > 0:
            for st in states.values():
                load(st["url"], args.connections, args.warmup)
        rounds: dict = {name: [] for name in states}
        per_round = args.duration / args.rounds
        for i in range(args.rounds):
            for name, st in states.items():
                rounds[name].append(load(st["url"], args.connections, per_round))
            log(f"  round {i + 1}/{args.rounds}: " + "  ".join(f"{n} {rounds[n][-1]['rps']:,.0f}/s" for n in states))
        for name, st in states.items():
            res = merge_rounds(rounds[name])
            res["peak_rss_mb"] = read_vm_hwm_mb(st["srv"].proc.pid)  # read at the end of the load
            res["startup_ms"] = st["ready_s"] * 1000
            res["url"], res["argv"], res["pid"] = st["url"], st["argv"], st["srv"].proc.pid
            if res["non_2xx_3xx"]:
                ctx["warnings"].append(f"{name}: {res['non_2xx_3xx']} non-2xx/3xx responses")
            errs = {k: v for k, v in res["socket_errors"].items() if v}
            if errs:
                ctx["warnings"].append(f"{name}: socket errors {errs}")
            results[name] = res
        for name, base in (("mockpit-1", "bare"), ("mockpit-10k", "bare")):
            if name in rounds and base in rounds:
                results[name]["pct_of_bare_rounds"] = [
                    100 * a["rps"] / b["rps"] for a, b in zip(rounds[name], rounds[base], strict=True)
                ]
                results[name]["pct_of_bare"] = median(results[name]["pct_of_bare_rounds"])
        if "mockpit-1" in rounds and "mockpit-template" in rounds:
            slowdowns = [
                b["rps"] / a["rps"] for a, b in zip(rounds["mockpit-template"], rounds["mockpit-1"], strict=True)
            ]
            results["mockpit-template"]["slowdown_vs_1_rounds"] = slowdowns
            results["mockpit-template"]["slowdown_vs_1"] = median(slowdowns)
        if "mockpit-1" in rounds and "mockpit-openapi" in rounds:
            ratios = [
                100 * a["rps"] / b["rps"] for a, b in zip(rounds["mockpit-openapi"], rounds["mockpit-1"], strict=True)
            ]
            results["mockpit-openapi"]["pct_of_static_rounds"] = ratios
            results["mockpit-openapi"]["pct_of_static"] = median(ratios)
        if "mockpit-1" in rounds and "mockpit-10k" in rounds:
            losses = [
                100 * (1 - a["rps"] / b["rps"]) for a, b in zip(rounds["mockpit-10k"], rounds["mockpit-1"], strict=True)
            ]
            results["mockpit-10k"]["loss_vs_1_rounds"] = losses
            results["mockpit-10k"]["loss_vs_1"] = median(losses)
        for name, st in states.items():
            st["srv"].stop()
            results[name]["shutdown"] = st["srv"].exit_info
            if name != "bare":
                results[name]["printed_url"] = st["srv"].url in st["srv"].output(limit=10**6)
        return results
    finally:
        for st in states.values():
            close_scenario(st)


def get_reference(args, ctx: dict) -> dict:
    """The exact status / content-type / body mockpit serves for /hello."""
    if ctx.get("reference"):
        return ctx["reference"]
    tmp = with_temp_root("1")
    srv = None
    try:
        port = free_port()
        srv = start_server("mockpit-probe", mockpit_argv(args, tmp / "root", port), port, "/hello")
        ctx["reference"] = fetch_reference(srv.url + "/hello")
    except Exception as e:  # mockpit missing/broken: the bare app still runs
        ctx["warnings"].append(
            f"could not fetch /hello from mockpit ({str(e).splitlines()[0]}); "
            f"bare app serves default body {DEFAULT_BODY!r}"
        )
        ctx["reference"] = {
            "status": 200, "content_type": "application/json",
            "body": DEFAULT_BODY, "headers": {}, "default": True,
        }  # fmt: skip
    finally:
        if srv is not None:
            srv.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return ctx["reference"]


def cold_start(args, ctx: dict) -> dict:
    out: dict = {}
    runs = args.cold_runs
    tmp, tmp10k = with_temp_root("1"), with_temp_root("10k")
    samples: dict[str, list[float]] = {"mockpit": [], "mockpit-10k": [], "bare": []}
    try:
        # alternate them, so that a drift in the machine's speed reaches all alike
        for _i in range(runs):
            for name, taken in samples.items():
                port = free_port()
                path = "/hello"
                if name == "mockpit":
                    argv, env = mockpit_argv(args, tmp / "root", port), None
                elif name == "mockpit-10k":
                    argv, env, path = mockpit_argv(args, tmp10k / "root", port), None, f"/items/{ITEM_TARGET}"
                else:
                    argv, env = bare_argv(port), bare_env(get_reference(args, ctx))
                srv = Server(f"cold-{name}", argv, port, env)
                try:
                    srv.spawn()
                    dt = srv.wait_ready(path, poll_s=0.003)
                    taken.append(dt * 1000)
                    if name == "mockpit" and not ctx.get("reference"):
                        ctx["reference"] = fetch_reference(srv.url + "/hello")
                finally:
                    srv.close()
                time.sleep(0.2)  # let the previous process fully vanish
                out[name] = {"argv": argv}
        for name, taken in samples.items():
            out[name].update(median_ms=median(taken), samples_ms=taken)
            log(f"  {name}: median {median(taken):.0f} ms  ({', '.join(f'{s:.0f}' for s in taken)})")
        out["ratio_to_bare"] = median([m / b for m, b in zip(samples["mockpit"], samples["bare"], strict=True)])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(tmp10k, ignore_errors=True)
    return out


INPROCESS_CHILD = textwrap.dedent(
    """
    import http.client, json, statistics, sys, time
    from mockpit import MockServer          # import is not counted
    from urllib.parse import urlsplit
    n, n_req = int(sys.argv[1]), int(sys.argv[2])
    ss, sgs, statuses = [], [], []
    for _ in range(n):
        t = time.perf_counter()
        s = MockServer(); s.start(); s.stop()
        ss.append((time.perf_counter() - t) * 1000)
    for _ in range(n_req):
        t = time.perf_counter()
        s = MockServer(); s.start()
        try:
            u = urlsplit(s.url)
            c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
            c.request("GET", "/hello"); r = c.getresponse(); r.read(); c.close()
            statuses.append(r.status)
        finally:
            s.stop()
        sgs.append((time.perf_counter() - t) * 1000)
    print(json.dumps({"start_stop_ms": ss, "start_get_stop_ms": sgs, "get_statuses": statuses}))
    """
)


def inprocess(args, ctx: dict) -> dict:
    p = subprocess.run(
        [sys.executable, "-c", INPROCESS_CHILD, str(args.inprocess_runs), str(args.inprocess_req_runs)],
        check=False, capture_output=True, text=True, timeout=180, cwd=str(REPO_DIR),
    )  # fmt: skip
    if p.returncode != 0:
        raise RuntimeError(f"in-process child failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    data = json.loads(p.stdout.strip().splitlines()[-1])
    data["start_stop_median_ms"] = median(data["start_stop_ms"])
    data["start_get_stop_median_ms"] = median(data["start_get_stop_ms"])
    log(
        f"  start+stop median {data['start_stop_median_ms']:.1f} ms; "
        f"start+first request+stop median {data['start_get_stop_median_ms']:.1f} ms "
        f"(GET /hello statuses {sorted(set(data['get_statuses']))})"
    )
    return data


# --------------------------------------------------------------------------- #
# report
# --------------------------------------------------------------------------- #
def verdict(ok: bool | None) -> str:
    return "n/a " if ok is None else ("PASS" if ok else "MISS")


def build_report(results: dict) -> tuple[str, list[dict]]:
    loads = results["load"]
    bare_rps = loads.get("bare", {}).get("rps")
    lines = []
    tool = results["load_tool"]
    lines.append(
        f"mockpit benchmark — {results['timestamp']} — {tool}, "
        f"{results['params']['connections']} connections, {results['params']['duration_s']:g}s per scenario "
        f"in {results['params']['rounds']} interleaved rounds; % of bare and the 10k loss are medians of "
        "per-round ratios"
    )
    lines.append("")
    if loads:
        lines.append("| scenario | req/s | % of bare | p50 ms | p99 ms | peak RSS MB |")
        lines.append("|---|---:|---:|---:|---:|---:|")
    for name in LOAD_SCENARIOS:
        r = loads.get(name)
        if r is None:
            continue
        if "error" in r:
            lines.append(f"| {name} | ERROR | | | | |")
            continue
        pct = r.get("pct_of_bare", r["rps"] / bare_rps * 100 if bare_rps else None)
        lines.append(
            f"| {name} | {fmt(r['rps'], 0)} | {fmt(pct, 1)}{'%' if pct is not None else ''} "
            f"| {fmt(r['p50_ms'], 2)} | {fmt(r['p99_ms'], 2)} | {fmt(r['peak_rss_mb'], 1)} |"
        )
    openapi = loads.get("mockpit-openapi") or {}
    if openapi.get("pct_of_static") is not None:
        lines.append("")
        lines.append(
            f"mockpit-openapi (GET {OPENAPI_PATH} on the Petstore document, request validation on): "
            f"{fmt(openapi['pct_of_static'], 1)}% of mockpit-1's req/s, i.e. "
            f"{fmt(100 / openapi['pct_of_static'], 2)}x the static stub's cost (median of per-round ratios)"
        )
    lines.append("")
    cs = results.get("cold_start")
    if cs and "error" not in cs:
        lines.append(
            f"Cold start to first 200 (median of {results['params']['cold_runs']}): "
            f"mockpit serve {fmt(cs['mockpit']['median_ms'], 0)} ms, "
            f"with 10,000 stubs {fmt(cs['mockpit-10k']['median_ms'], 0)} ms, "
            f"bare uvicorn {fmt(cs['bare']['median_ms'], 0)} ms (alternated; mockpit/bare "
            f"{fmt(cs['ratio_to_bare'], 2)}x)"
        )
    elif cs:
        lines.append(f"Cold start: ERROR ({cs['error'].splitlines()[0]})")
    ip = results.get("inprocess")
    if ip and "error" not in ip:
        lines.append(
            f"In-process MockServer start+stop (median of {len(ip['start_stop_ms'])}): "
            f"{fmt(ip['start_stop_median_ms'], 1)} ms; "
            f"start+first request+stop (median of {len(ip['start_get_stop_ms'])}): "
            f"{fmt(ip['start_get_stop_median_ms'], 1)} ms"
        )
    elif ip:
        lines.append(f"In-process: ERROR ({ip['error'].splitlines()[0]})")
    lines.append("")

    def ok_load(name):
        r = loads.get(name)
        return r if r and "error" not in r else None

    targets = []
    m1, m10, bare = ok_load("mockpit-1"), ok_load("mockpit-10k"), ok_load("bare")
    # 1. mockpit-1 >= 65% of bare (median of the per-round ratios)
    v = m1.get("pct_of_bare") if (m1 and bare) else None
    targets.append(
        {
            "target": f"mockpit-1 >= {T_MOCKPIT1_PCT_OF_BARE:g}% of bare req/s",
            "value": v,
            "unit": "%",
            "ok": None if v is None else v >= T_MOCKPIT1_PCT_OF_BARE,
        }
    )
    # 2. 10k loses < 10% vs 1 (median of the per-round losses)
    v = m10.get("loss_vs_1") if (m1 and m10) else None
    targets.append(
        {
            "target": f"mockpit-10k loses < {T_10K_MAX_LOSS_PCT:g}% req/s vs mockpit-1",
            "value": v,
            "unit": "% loss",
            "ok": None if v is None else v < T_10K_MAX_LOSS_PCT,
        }
    )
    # 2b. a templated stub costs under 2x a static one (req/s of mockpit-1 over mockpit-template)
    mt = ok_load("mockpit-template")
    v = mt.get("slowdown_vs_1") if (m1 and mt) else None
    targets.append(
        {
            "target": f"templated stub < {T_TEMPLATE_MAX_SLOWDOWN:g}x the cost of a static one",
            "value": v,
            "unit": "x",
            "ok": None if v is None else v < T_TEMPLATE_MAX_SLOWDOWN,
        }
    )
    # 3. cold start: one stub (absolute and against the bare app), 10,000 stubs
    ran = cs and "error" not in cs
    for label, v, unit, ok in (
        (f"cold start < {T_COLD_START_MS:g} ms", cs["mockpit"]["median_ms"] if ran else None, "ms", T_COLD_START_MS),
        (f"cold start <= {T_COLD_START_X_BARE:g}x bare", cs["ratio_to_bare"] if ran else None, "x", None),
        (
            f"cold start with 10,000 stubs < {T_COLD_START_10K_MS:g} ms",
            cs["mockpit-10k"]["median_ms"] if ran else None,
            "ms",
            T_COLD_START_10K_MS,
        ),
    ):
        limit = T_COLD_START_X_BARE if ok is None else ok
        targets.append({"target": label, "value": v, "unit": unit, "ok": None if v is None else v <= limit})
    # 4. in-process
    v = ip["start_stop_median_ms"] if (ip and "error" not in ip) else None
    targets.append(
        {
            "target": f"in-process start+stop < {T_INPROCESS_MS:g} ms",
            "value": v,
            "unit": "ms",
            "ok": None if v is None else v < T_INPROCESS_MS,
        }
    )
    # 5. the OpenAPI mock within 2x of a static stub (median of the per-round ratios)
    mo = ok_load("mockpit-openapi")
    v = mo.get("pct_of_static") if (mo and m1) else None
    targets.append(
        {
            "target": f"mockpit-openapi >= {T_OPENAPI_PCT_OF_STATIC:g}% of mockpit-1 req/s (within 2x)",
            "value": v,
            "unit": "%",
            "ok": None if v is None else v >= T_OPENAPI_PCT_OF_STATIC,
        }
    )
    # 6. peak RSS after the load, each mockpit scenario against its own limit
    for name, r in (("mockpit-1", m1), ("mockpit-10k", m10)):
        v = r.get("peak_rss_mb") if r else None
        limit = T_RSS_MB[name]
        ok = None if v is None else v < limit
        targets.append({"target": f"peak RSS of {name} < {limit:g} MB", "value": v, "unit": "MB", "ok": ok})
    for t in targets:
        val = "" if t["value"] is None else f" — {t['value']:.1f} {t['unit']}"
        lines.append(f"{verdict(t['ok'])}  {t['target']}{val}")
    errors = [(n, r["error"]) for n, r in loads.items() if "error" in r]
    errors += [(k, results[k]["error"]) for k in ("cold_start", "inprocess")
               if isinstance(results.get(k), dict) and "error" in results[k]]  # fmt: skip
    for n, e in errors:
        lines.append("")
        lines.append(f"ERROR in {n}:")
        lines.extend("    " + x for x in e.strip().splitlines()[-40:])
    if results["warnings"]:
        lines.append("")
        lines.extend(f"WARNING: {w}" for w in results["warnings"])
    if not results["wrk"]:
        lines.append("")
        lines.append(
            "NOTE: wrk not found — used the built-in asyncio+httpx fallback load generator. "
            "It is far weaker than wrk (it saturates before the servers do); req/s and "
            "latencies are NOT comparable with wrk numbers or with the targets. "
            "Install wrk: sudo apt-get install wrk"
        )
    return "\n".join(lines), targets


# --------------------------------------------------------------------------- #
# main
# --------------------------------------------------------------------------- #
def parse_args(argv=None):
    ap = argparse.ArgumentParser(description="mockpit benchmark harness (see bench/README.md)")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per load scenario (default 10)")
    ap.add_argument("--connections", type=int, default=32, help="keep-alive connections (default 32)")
    ap.add_argument("--quick", action="store_true", help="3 s smoke run (fewer cold/in-process runs)")
    ap.add_argument("--only", choices=SCENARIOS, help="run one scenario")
    ap.add_argument("--warmup", type=float, default=None, help="warm-up seconds before each load run")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds the duration is split into (default 5)")
    ap.add_argument(
        "--peers",
        action="store_true",
        help="mockpit against WireMock (default and tuned) and pytest-httpserver (bench/peers.py)",
    )
    ap.add_argument(
        "--jvm-warmup",
        type=float,
        default=10.0,
        help="--peers: seconds of load per WireMock scenario before measuring, so the JIT has compiled it (default 10)",
    )
    ap.add_argument("--no-wiremock", action="store_true", help="--peers without WireMock (no Java)")
    ap.add_argument("--json", type=Path, default=RESULTS_DIR / "latest.json", help=argparse.SUPPRESS)
    # Hidden testing knobs
    # --mockpit-cmd: argv template with {python} {root} {port} {bench}
    ap.add_argument("--mockpit-cmd", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--force-fallback", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--_loadgen", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.quick and "--duration" not in (argv or sys.argv):
        args.duration = 3.0
    if args.warmup is None:
        args.warmup = 0.0 if args.quick else 1.0
    args.cold_runs = 3 if args.quick else 11
    args.inprocess_runs = 5 if args.quick else 20
    args.inprocess_req_runs = 3 if args.quick else 5
    return args


def compile_package(package: Path) -> None:
    import compileall

    if package.is_dir() and not compileall.compile_dir(str(package), quiet=1):
        log(f"note: some of {package} could not be byte-compiled; cold starts include compiling it")


def main(argv=None) -> int:
    args = parse_args(argv)
    if args._loadgen:
        loadgen_main(args._loadgen, args.connections, args.duration)
        return 0

    # SIGTERM on the harness -> unwind through the finally blocks (servers die)
    def _term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _term)
    if args.peers:
        compile_package(REPO_DIR / "src" / "mockpit")
        from peers import run_peers

        try:
            return run_peers(args)
        except KeyboardInterrupt:
            log("interrupted; servers stopped")
            return 130

    src = REPO_DIR / "src"
    if not _importable("mockpit") and (src / "mockpit").is_dir():
        # Not installed into the venv (yet): let children import it from src/.
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")]))
        log(f"note: mockpit is not installed in this venv; using PYTHONPATH={src}")

    # An installed package has its bytecode compiled (pip does it); a source checkout under
    # PYTHONDONTWRITEBYTECODE=1 (this machine) would compile every module at each start and time that.
    compile_package(src / "mockpit")

    wrk = None if args.force_fallback else shutil.which("wrk")
    if not wrk:
        log("!! wrk not found: falling back to the built-in asyncio+httpx load generator.")
        log("!! It is far weaker than wrk; the numbers are NOT comparable. Install wrk:")
        log("!!     sudo apt-get install wrk")
    ctx: dict = {"wrk": wrk, "warnings": []}
    results: dict = {
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host": {"python": platform.python_version(), "platform": platform.platform(),
                 "cpus": os.cpu_count()},
        "params": {"duration_s": args.duration, "connections": args.connections, "warmup_s": args.warmup,
                   "rounds": args.rounds, "cold_runs": args.cold_runs, "inprocess_runs": args.inprocess_runs,
                   "quick": args.quick, "only": args.only},
        "wrk": bool(wrk),
        "load_tool": "wrk -t1" if wrk else "python fallback load generator (NOT comparable)",
        "load": {},
        "warnings": ctx["warnings"],
    }  # fmt: skip
    want = [args.only] if args.only else list(SCENARIOS)
    try:
        if "cold-start" in want:
            log(f"== cold start (median of {args.cold_runs})")
            try:
                results["cold_start"] = cold_start(args, ctx)
            except Exception as e:
                log(f"  ERROR: {e}")
                results["cold_start"] = {"error": str(e)}
        if ("mockpit-openapi" in want or "mockpit-template" in want) and "mockpit-1" not in want:
            want.append("mockpit-1")  # its figure is a ratio to the static stub's
        names = [name for name in LOAD_SCENARIOS if name in want]
        if names:
            results["load"] = load_interleaved(names, args, ctx)
            for name, r in results["load"].items():
                if "error" not in r:
                    log(
                        f"  {name}: {r['rps']:,.0f} req/s  p50 {fmt(r['p50_ms'], 2)} ms  p99 {fmt(r['p99_ms'], 2)} ms"
                        f"  peak RSS {fmt(r['peak_rss_mb'])} MB  [{r.get('shutdown')}]"
                    )
        if "inprocess" in want:
            log("== in-process MockServer start/stop")
            try:
                results["inprocess"] = inprocess(args, ctx)
            except Exception as e:
                log(f"  ERROR: {e}")
                results["inprocess"] = {"error": str(e)}
    except KeyboardInterrupt:
        log("interrupted; servers stopped")
        return 130

    ref = ctx.get("reference")
    if ref:
        results["reference_response"] = {
            "status": ref["status"], "content_type": ref["content_type"],
            "body": ref["body"].decode("utf-8", "replace"), "headers": ref["headers"],
            "default": ref.get("default", False),
        }  # fmt: skip
    report, targets = build_report(results)
    results["targets"] = targets
    results["report_markdown"] = report
    print()
    print(report)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, default=str))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (args.json.parent / f"{stamp}.json").write_text(json.dumps(results, indent=2, default=str))
    log(f"\nresults written to {args.json}")
    failed = any("error" in r for r in results["load"].values()) or any(
        isinstance(results.get(k), dict) and "error" in results[k] for k in ("cold_start", "inprocess")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
