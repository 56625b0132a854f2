"""One protocol's throughput, mockpit against a bare uvicorn app, for bench/sse.py and bench/ws.py.

Each script serves the same thing from both servers and gives a ``--loadgen`` mode that prints a rate;
:func:`compare` starts both servers, loads them in turn in interleaved rounds (each load from a child
process, so that the clients cost neither server anything) and prints the median ratio against a target.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

from run import HOST, Server, free_port


def child_rate(script: str, port: int, clients: int, duration: float) -> float:
    """The rate ``script --loadgen PORT CLIENTS DURATION`` measures and prints."""
    out = subprocess.run(
        [sys.executable, script, "--loadgen", str(port), str(clients), str(duration)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip())


def compare(
    *,
    script: str,
    bare_argv: list[str],
    root: Path,
    probes: tuple[str, str],
    rounds: int,
    clients: int,
    duration: float,
    unit: str,
    label: str,
    target: float,
    bare_env: dict[str, str] | None = None,
) -> None:
    """``bare_argv`` (with ``{port}`` where its port goes) against ``mockpit serve ROOT``; ``probes`` are the
    paths that answer 200 on each once it is ready."""
    bare_port, mock_port = free_port(), free_port()
    bare = Server("bare", [arg.replace("{port}", str(bare_port)) for arg in bare_argv], bare_port, bare_env)
    installed = Path(sys.executable).parent / "mockpit"
    exe = [str(installed)] if installed.exists() else [sys.executable, "-m", "mockpit"]
    mock = Server("mockpit", [*exe, "serve", str(root), "--host", HOST, "--port", str(mock_port)], mock_port)
    try:
        for server, probe in zip((bare, mock), probes, strict=True):
            server.spawn()
            server.wait_ready(probe)
        ratios, bare_rates, mock_rates = [], [], []
        for i in range(rounds):
            b = child_rate(script, bare_port, clients, duration)
            m = child_rate(script, mock_port, clients, duration)
            bare_rates.append(b)
            mock_rates.append(m)
            ratios.append(m / b)
            print(f"round {i + 1}: bare {b:,.0f} {unit}, mockpit {m:,.0f} {unit} ({m / b:.0%})", flush=True)
        ratio = statistics.median(ratios)
        print(
            f"{label}: bare {statistics.median(bare_rates):,.0f} {unit}, mockpit "
            f"{statistics.median(mock_rates):,.0f} {unit}; median ratio {ratio:.0%} "
            f"(target >= {target:.0%}: {'PASS' if ratio >= target else 'FAIL'})"
        )
    finally:
        bare.close()
        mock.close()
