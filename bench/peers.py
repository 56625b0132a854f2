"""``python bench/run.py --peers``: mockpit against what users would pick instead, in one table.

Servers, all up at once (idle ones cost no CPU) and loaded one at a time:

    bare             bench/bare_app.py under uvicorn (httptools, uvloop): the ceiling
    mockpit          `mockpit serve` on three stubs: GET /hello (static JSON), POST /echo (templated
                     `{{{request.body}}}`), GET /delay (fixedDelayMilliseconds 50)
    mockpit-10k      `mockpit serve` on 10,000 exact-path stubs, loaded on /items/9876
    mockpit-handler  MockServer.serve_forever with `.respond_with(handler)` echoing POST /echo
    httpserver       pytest-httpserver (werkzeug, threaded) with the same three answers
    wiremock         WireMock 3.13.2's standalone jar, default options, the same three stubs
    wiremock-tuned   the same with --no-request-journal --async-response-enabled=true --container-threads=16

Scenarios: static GET (wrk -c32), POST echo of a 240-byte JSON body (-c32), the 50 ms delay (-c200).
Each WireMock scenario is first loaded for --jvm-warmup seconds (default 10) so that the JIT has
compiled its path; the others get --warmup. Then --rounds rounds load every (scenario, server) in
turn; a ratio is the median of the per-round ratios, so a drift in the machine's speed reaches both
sides of it alike.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import run
from run import (
    BENCH_DIR,
    HELLO_STUB,
    REPO_DIR,
    Server,
    fmt,
    free_port,
    log,
    median,
    parse_wrk,
    read_vm_hwm_mb,
    write_root_10k,
)

sys.path.insert(0, str(REPO_DIR / "tests"))
import _wiremock_jar  # the tests' module: the same jar, from the same cache

ECHO_BODY = json.dumps({"id": 12345, "name": "Ada Lovelace", "tags": ["a", "b", "c"], "note": "x" * 160})
ECHO_STUB = {
    "request": {"method": "POST", "urlPath": "/echo"},
    "response": {
        "status": 200,
        "headers": {"Content-Type": "application/json"},
        "body": "{{{request.body}}}",
        "transformers": ["response-template"],
    },
}
DELAY_STUB = {
    "request": {"method": "GET", "urlPath": "/delay"},
    "response": {**HELLO_STUB["response"], "fixedDelayMilliseconds": 50},
}
WIREMOCK_TUNED = ["--no-request-journal", "--async-response-enabled=true", "--container-threads=16"]

#: scenario -> (path, connections, wrk script or None, the servers that run it)
PEERS = ("bare", "httpserver", "wiremock", "wiremock-tuned")
SCENARIOS = {
    "static": ("/hello", 32, None, ("bare", "mockpit", "mockpit-10k", "httpserver", "wiremock", "wiremock-tuned")),
    "echo": ("/echo", 32, "post", ("bare", "mockpit", "mockpit-handler", "httpserver", "wiremock", "wiremock-tuned")),
    "delay-50ms": ("/delay", 200, None, ("bare", "mockpit", "httpserver", "wiremock", "wiremock-tuned")),
}
# The targets of issue 17, each (scenario, server, peer, at least this ratio)
TARGETS = (
    ("static", "mockpit", "bare", 0.85),
    ("echo", "mockpit", "bare", 0.75),
    ("echo", "mockpit-handler", "bare", 0.75),
    ("echo", "mockpit", "wiremock-tuned", 1.5),
    ("echo", "mockpit-handler", "wiremock-tuned", 1.5),
    ("static", "mockpit-10k", "mockpit", 0.90),
)
T_DELAY_RPS = 3900.0


def write_root(root: Path) -> None:
    (root / "mappings").mkdir(parents=True)
    (root / "__files").mkdir()
    mappings = {"mappings": [HELLO_STUB, ECHO_STUB, DELAY_STUB]}
    (root / "mappings" / "peers.json").write_text(json.dumps(mappings, indent=2))


def wrk(url: str, connections: int, duration: float, script: Path | None) -> dict:
    d = max(1, round(duration))
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{d}s", "--latency"]
    if script is not None:
        cmd += ["-s", str(script)]
    p = subprocess.run([*cmd, url], check=False, capture_output=True, text=True, timeout=d + 60)
    if p.returncode != 0:
        raise RuntimeError(f"wrk failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return parse_wrk(p.stdout)


def server_argv(name: str, args, tmp: Path, port: int) -> tuple[list[str], dict | None]:
    if name == "bare":
        return run.bare_argv(port), run.bare_env({"status": 200, "content_type": "application/json",
                                                   "body": b'{"message":"hello"}'})  # fmt: skip
    if name == "mockpit":
        return run.mockpit_argv(args, tmp / "root", port), None
    if name == "mockpit-10k":
        return run.mockpit_argv(args, tmp / "root-10k", port), None
    if name == "mockpit-handler":
        return [sys.executable, str(BENCH_DIR / "handler_peer.py"), str(port)], None
    if name == "httpserver":
        return [sys.executable, str(BENCH_DIR / "httpserver_peer.py"), str(port)], None
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("java is not installed; WireMock needs it: apt-get install openjdk-17-jre-headless")
    argv = [java, "-jar", str(_wiremock_jar.wiremock_jar()), "--port", str(port), "--root-dir",
            str(tmp / "root"), "--disable-banner"]  # fmt: skip
    return argv + (WIREMOCK_TUNED if name == "wiremock-tuned" else []), None


def ready_path(name: str) -> str:
    return {"mockpit-10k": "/items/9876", "mockpit-handler": None}.get(name, "/hello") or "/echo"


def start(name: str, args, tmp: Path) -> Server:
    port = free_port()
    argv, env = server_argv(name, args, tmp, port)
    srv = Server(name, argv, port, env)
    srv.spawn()
    path = ready_path(name)
    try:
        if name == "mockpit-handler":  # a GET on a POST-only stub: 404 until it is up, so poll for any answer
            deadline = time.monotonic() + run.READY_TIMEOUT_S
            while run.raw_get_status(port, path) is None:
                if time.monotonic() > deadline or srv.proc is None or srv.proc.poll() is not None:
                    raise RuntimeError(f"{name} did not start:\n{srv.output()}")
                time.sleep(0.01)
        else:
            srv.wait_ready(path, timeout=60)
    except BaseException:
        srv.close()
        raise
    log(f"  {name}: up on port {port} ({shlex_join(argv)})")
    return srv


def shlex_join(argv: list[str]) -> str:
    import shlex

    return shlex.join(argv)


def check_answers(servers: dict[str, Server]) -> None:
    """Every server gives the same answers before it is measured (a 404 at 30k req/s proves nothing)."""
    import httpx

    for name, srv in servers.items():
        for scenario, (scenario_path, _c, script, names) in SCENARIOS.items():
            if name not in names:
                continue
            path = "/items/9876" if name == "mockpit-10k" else scenario_path
            if script == "post":
                r = httpx.post(srv.url + path, content=ECHO_BODY, headers={"Content-Type": "application/json"})
                ok = r.status_code == 200 and r.text == ECHO_BODY
            else:
                r = httpx.get(srv.url + path)
                ok = r.status_code == 200
            if not ok:
                raise RuntimeError(f"{name} answers {scenario} {path} with {r.status_code}: {r.text[:200]!r}")


def run_peers(args) -> int:
    if shutil.which("wrk") is None:
        log("--peers needs wrk: apt-get install wrk")
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="mockpit-peers-"))
    write_root(tmp / "root")
    write_root_10k(tmp / "root-10k")
    post = tmp / "post.lua"
    post.write_text(
        f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = {json.dumps(ECHO_BODY)}\n'
    )
    names = ["bare", "mockpit", "mockpit-10k", "mockpit-handler", "httpserver", "wiremock", "wiremock-tuned"]
    if args.no_wiremock:
        names = [n for n in names if not n.startswith("wiremock")]
    if importlib.util.find_spec("pytest_httpserver") is None:
        log("pytest-httpserver is not installed: measuring without it (pip install pytest-httpserver)")
        names.remove("httpserver")
    servers: dict[str, Server] = {}
    try:
        for name in names:
            servers[name] = start(name, args, tmp)
        check_answers(servers)
        cases = [
            (scenario, name, "/items/9876" if name == "mockpit-10k" else path, c, post if script else None)
            for scenario, (path, c, script, runs_on) in SCENARIOS.items()
            for name in runs_on
            if name in servers
        ]
        for scenario, name, path, c, script in cases:
            warm = args.jvm_warmup if name.startswith("wiremock") else args.warmup
            if warm > 0:
                log(f"  warm-up {scenario} on {name}: {warm:g} s")
                wrk(servers[name].url + path, c, warm, script)
        rounds: dict[tuple[str, str], list[dict]] = {(s, n): [] for s, n, *_ in cases}
        per_round = args.duration / args.rounds
        for i in range(args.rounds):
            for scenario, name, path, c, script in cases:
                rounds[scenario, name].append(wrk(servers[name].url + path, c, per_round, script))
            log(f"  round {i + 1}/{args.rounds}: "
                + "  ".join(f"{s}/{n} {r[-1]['rps']:,.0f}" for (s, n), r in rounds.items()))  # fmt: skip
        rss = {name: read_vm_hwm_mb(srv.proc.pid) for name, srv in servers.items() if srv.proc}
        report = build_report(args, rounds, rss)
        print()
        print(report)
        RESULTS = run.RESULTS_DIR
        RESULTS.mkdir(parents=True, exist_ok=True)
        data = {"rounds": {f"{s} {n}": r for (s, n), r in rounds.items()}, "peak_rss_mb": rss, "report": report}
        (RESULTS / "peers-latest.json").write_text(json.dumps(data, indent=2, default=str))
        return 0
    finally:
        for srv in servers.values():
            srv.close()
        shutil.rmtree(tmp, ignore_errors=True)


def ratio(rounds: dict, scenario: str, a: str, b: str) -> float | None:
    ra, rb = rounds.get((scenario, a)), rounds.get((scenario, b))
    if not ra or not rb:
        return None
    return median([x["rps"] / y["rps"] for x, y in zip(ra, rb, strict=True)])


def build_report(args, rounds: dict, rss: dict) -> str:
    peers = [p for p in PEERS if any(n == p for _s, n in rounds)]
    lines = [
        f"mockpit and its peers — {time.strftime('%Y-%m-%dT%H:%M:%S%z')} — wrk -t1, {args.duration:g} s per "
        f"(scenario, server) in {args.rounds} interleaved rounds; JVM warm-up {args.jvm_warmup:g} s per scenario; "
        "x columns: mockpit's req/s over the peer's, median of per-round ratios",
        "",
        "| scenario | server | req/s | p50 ms | p99 ms | peak RSS MB | " + " | ".join(f"x {p}" for p in peers) + " |",
        "|---|---|---:|---:|---:|---:|" + "---:|" * len(peers),
    ]
    for (scenario, name), rs in rounds.items():
        cells = ["" if name in PEERS or name == p else fmt(ratio(rounds, scenario, name, p), 2) for p in peers]
        lines.append(
            f"| {scenario} | {name} | {fmt(median([r['rps'] for r in rs]), 0)} "
            f"| {fmt(median([r['p50_ms'] for r in rs if r.get('p50_ms') is not None]), 2)} "
            f"| {fmt(median([r['p99_ms'] for r in rs if r.get('p99_ms') is not None]), 2)} "
            f"| {fmt(rss.get(name), 1)} | " + " | ".join(cells) + " |"
        )
    lines.append("")
    lines.append("Peak RSS is the server process's high-water mark after all scenarios (WireMock: the JVM).")
    lines.append("")
    for scenario, name, peer, floor in TARGETS:
        v = ratio(rounds, scenario, name, peer)
        verdict = "n/a " if v is None else ("PASS" if v >= floor else "MISS")
        lines.append(f"{verdict}  {scenario}: {name} >= {floor:g}x {peer}" + ("" if v is None else f" — {v:.2f}x"))
    delay = rounds.get(("delay-50ms", "mockpit"))
    if delay:
        v = median([r["rps"] for r in delay])
        verdict = "PASS" if v >= T_DELAY_RPS else "MISS"
        lines.append(f"{verdict}  delay-50ms: mockpit >= {T_DELAY_RPS:,.0f} req/s at 200 connections — {v:,.0f}")
    errors = [
        f"{s}/{n}: {sum(r['non_2xx_3xx'] for r in rs)} non-2xx/3xx, socket errors "
        f"{ {k: sum(r['socket_errors'].get(k, 0) for r in rs) for k in rs[0]['socket_errors']} }"
        for (s, n), rs in rounds.items()
        if any(r["non_2xx_3xx"] or any(r["socket_errors"].values()) for r in rs)
    ]
    lines.extend(f"WARNING: {e}" for e in errors)
    return "\n".join(lines)
