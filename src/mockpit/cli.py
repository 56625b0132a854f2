"""``mockpit serve``: the standalone server. It assembles the pieces; decisions live below it."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from . import __version__
from ._help import SectionedCommand, SectionedGroup
from ._transport.limits import ConnectionLimits

if TYPE_CHECKING:
    from ._console import Printer
    from ._server import MockServer

_START = time.perf_counter()
_F = TypeVar("_F", bound=Callable[..., object])


def _admin_options(command: _F) -> _F:
    """The admin API's access options, the same on every command that serves it (see docs/security.md)."""
    for option in reversed(
        (
            click.option("--no-admin", is_flag=True, help="Serve the stubs only: no admin API at /__admin."),
            click.option(
                "--admin-token",
                envvar="MOCKPIT_ADMIN_TOKEN",
                metavar="TOKEN",
                help="Admin calls must send Authorization: Bearer TOKEN (env MOCKPIT_ADMIN_TOKEN); "
                "needed to serve off loopback.",
            ),
            click.option(
                "--admin-host",
                "admin_hosts",
                multiple=True,
                metavar="NAME",
                help="Another Host name admin calls may use (repeatable; * for any). Default: localhost, the address.",
            ),
            click.option(
                "--admin-origin",
                "admin_origins",
                multiple=True,
                metavar="ORIGIN",
                help="A web origin (https://ui.example) allowed to change things through the admin API (repeatable).",
            ),
            click.option(
                "--admin-insecure",
                is_flag=True,
                help="Serve the admin API off loopback without a token (only on a network you trust).",
            ),
            click.option(
                "--show-credentials",
                is_flag=True,
                help="Show Authorization headers, cookies and API keys of journaled requests (else masked).",
            ),
        )
    ):
        command = option(command)
    return command


#: the --help headings of the admin options (on every command that serves the admin API)
_ADMIN_SECTION = {
    "Admin API": ["no_admin", "admin_token", "admin_hosts", "admin_origins", "admin_insecure", "show_credentials"]
}


def _admin_settings(
    no_admin: bool,
    admin_token: str | None,
    admin_hosts: tuple[str, ...],
    admin_origins: tuple[str, ...],
    admin_insecure: bool,
    show_credentials: bool,
) -> dict[str, Any]:
    """The MockServer arguments the admin options stand for."""
    return {
        "admin": not no_admin,
        "admin_token": admin_token or None,
        "admin_hosts": admin_hosts,
        "admin_origins": admin_origins,
        "admin_insecure": admin_insecure,
        "show_credentials": show_credentials,
    }


def _store_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and value.split("://", 1)[0].lower() not in {"redis", "rediss", "unix"}:
        raise click.BadParameter(f"{value!r} is no Redis URL: give redis://host:port/db", ctx, param)
    return value


def _make_server(err: Printer, *args: Any, **kwargs: Any) -> MockServer:
    """A MockServer; one that cannot be made ends the command with exit code 2 and why, warnings printed loud."""
    import warnings

    from ._errors import MockpitError
    from ._server import MockServer

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            server = MockServer(*args, **kwargs)
    except MockpitError as exc:  # a mapping, --cert/--key, an open admin API, a missing extra
        from rich.markup import escape

        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        sys.exit(2)
    for warning in caught:
        from rich.markup import escape

        err.print(f"[bold yellow]warning:[/] {escape(str(warning.message).removeprefix('mockpit: '))}")
    return server


@click.group(
    cls=SectionedGroup,
    sections={"Serving": ["serve", "record"], "Writing mapping files": ["generate", "import"]},
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="mockpit")
def main() -> None:
    """mockpit: a fast HTTP mock API server (WireMock-compatible mappings)."""


@main.command(
    cls=SectionedCommand,
    sections={
        "Serving": ["host", "port", "verbose", "root", "watch"],
        "Answers": ["templating", "template_syntax", "seed", "no_validate"],
        "HTTPS": ["https", "cert", "key"],
        "Limits": [
            "journal_size",
            "max_body_size",
            "head_timeout",
            "body_timeout",
            "min_body_rate",
            "idle_timeout",
            "max_connections",
            "regex_timeout_ms",
        ],
        "Fleet": ["store", "namespace", "workers"],
        **_ADMIN_SECTION,
    },
)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; 0.0.0.0 for all interfaces.")
@click.option(
    "--port", "-p", default=8080, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port."
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Log every request with the stub that answered it, and the whole reason of a status mockpit chose "
    "(the near-miss report, every validation error).",
)
@click.option("--journal-size", default=10_000, show_default=True, type=click.IntRange(0), help="Requests kept.")
@click.option(
    "--max-body-size", default=10 * 1024 * 1024, show_default=True, type=click.IntRange(1), help="Bytes; 413 past it."
)
@click.option(
    "--head-timeout",
    default=ConnectionLimits.head_timeout,
    show_default=True,
    type=click.FloatRange(0, min_open=True),
    help="Seconds a request's line and headers may take to arrive; 408 past it.",
)
@click.option(
    "--body-timeout",
    default=ConnectionLimits.body_timeout,
    show_default=True,
    type=click.FloatRange(0, min_open=True),
    help="Seconds a request body may pause, or be slower than --min-body-rate; 408 past it.",
)
@click.option(
    "--min-body-rate",
    default=ConnectionLimits.min_body_rate,
    show_default=True,
    type=click.FloatRange(0),
    help="Bytes a second a request body must average over each --body-timeout.",
)
@click.option(
    "--idle-timeout",
    default=ConnectionLimits.idle_timeout,
    show_default=True,
    type=click.FloatRange(0, min_open=True),
    help="Seconds a kept-alive connection may wait for its next request.",
)
@click.option(
    "--max-connections",
    type=click.IntRange(1),
    help="Connections open at once; 503 past it. [default: 1000, fewer under a low open-file limit]",
)
@click.option(
    "--global-response-templating",
    "templating",
    is_flag=True,
    help="Render every response as a template, not only those with transformers (as WireMock's flag).",
)
@click.option(
    "--template-syntax",
    type=click.Choice(["handlebars", "jinja"]),
    default="handlebars",
    show_default=True,
    help="The syntax --global-response-templating uses.",
)
@click.option("--https", is_flag=True, help="Serve HTTPS with a certificate made at start; prints its CA bundle path.")
@click.option(
    "--cert",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Serve HTTPS with this PEM certificate (chain) instead (implies --https).",
)
@click.option(
    "--key", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="The PEM private key of --cert."
)
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the data OpenAPI and GraphQL mocks give.")
@click.option("--no-validate", is_flag=True, help="Do not check requests against their OpenAPI document.")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder whose mappings/ POST /__admin/mappings/save writes to (default: the first PATH folder).",
)
@click.option(
    "--regex-timeout-ms",
    type=click.FloatRange(min=0, min_open=True),
    help="Milliseconds one evaluation of a stub's regex may take (default 50); past it: no match.",
)
@click.option(
    "--watch", is_flag=True, help="Reload mapping files and __files/ bodies when they change (mockpit[watch])."
)
@click.option(
    "--store",
    metavar="URL",
    callback=_store_url,
    help="Share stubs, journal and scenario states with every instance on this Redis: redis://host:port/db "
    "(mockpit[redis]; docs/fleets.md).",
)
@click.option(
    "--namespace",
    default="mockpit",
    show_default=True,
    help="Key prefix in the --store: fleets of different names share one Redis without seeing each other.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1),
    help="Processes serving the port (needs --store).",
)
@_admin_options
def serve(
    paths: tuple[Path, ...],
    host: str,
    port: int,
    verbose: bool,
    journal_size: int,
    max_body_size: int,
    head_timeout: float,
    body_timeout: float,
    min_body_rate: float,
    idle_timeout: float,
    max_connections: int | None,
    templating: bool,
    template_syntax: str,
    https: bool,
    cert: Path | None,
    key: Path | None,
    seed: int,
    no_validate: bool,
    root: Path | None,
    regex_timeout_ms: float | None,
    watch: bool,
    store: str | None,
    namespace: str,
    workers: int,
    **admin_options: Any,
) -> None:
    """Serve WireMock-format mappings and OpenAPI documents.

    Each PATH is a root folder holding mappings/ and __files/, a folder of mapping files (JSON or
    YAML), one mapping file, or an OpenAPI 3.0/3.1 or Swagger 2.0 document (each operation answers
    from its examples or its schema), or a GraphQL schema (.graphql: every query on /graphql answers
    with data generated from it). Without PATH, the current folder is served if it has mappings/.
    POST /__admin/mappings/save writes the stubs back to the first folder (or to --root), and
    POST /__admin/shutdown stops the server (exit code 0).
    """
    from ._console import BOLD, LazyConsole, event_markup, log_to_console, say
    from ._engine.journal import ServeEvent
    from ._errors import HandlerError, MappingError
    from ._mapping.files import LoadedSource
    from ._matching.report import report_markup
    from ._model import Request
    from ._protocols.websocket import MessageEvent
    from ._server import internals

    # soft_wrap: when piped (a log file, a CI step) rich would break lines at 80 columns, mid-path
    out = LazyConsole(highlight=False, soft_wrap=True)
    err = LazyConsole(stderr=True, highlight=False, soft_wrap=True)
    if not paths and Path("mappings").is_dir():
        paths = (Path("."),)
    if key is not None and cert is None:
        raise click.UsageError("--key needs the certificate it belongs to: add --cert FILE")
    if workers > 1 and store is None:
        raise click.UsageError(
            f"--workers {workers} needs a shared store for the workers' stubs, journal and scenario states: "
            "add --store redis://host:port/db"
        )
    if regex_timeout_ms is not None:
        from ._matching.user_regex import set_budget

        set_budget(regex_timeout_ms)
    try:
        limits = ConnectionLimits(
            head_timeout=head_timeout,
            body_timeout=body_timeout,
            min_body_rate=min_body_rate,
            idle_timeout=idle_timeout,
            max_connections=max_connections,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    import gc

    # no collections while the stubs load (all of them stay, see gc.freeze() below): re-enabled at
    # once, the collector's first pass would scan every object made while loading (80 ms for 10,000
    # stubs). Loading with this module's imports done leaves no cyclic garbage (measured: 0 objects).
    gc.disable()
    try:
        server = _make_server(
            err,
            host,
            port,
            list(paths) or None,
            journal_size=journal_size,
            max_body_size=max_body_size,
            limits=limits,
            templating=("jinja" if template_syntax == "jinja" else "handlebars") if templating else False,
            https=https or cert is not None,
            certfile=cert,
            keyfile=key,
            seed=seed,
            validate=not no_validate,
            root=root,
            watch=watch,
            store=store,
            namespace=namespace,
            **_admin_settings(**admin_options),
        )
    except BaseException:  # an error ends the command, not necessarily the process (click's CliRunner)
        gc.enable()
        raise
    parts = internals(server)
    # the start-up lines without rich (see LazyConsole): a server that only answers never imports it
    for source in parts.sources:
        say("Loaded ", (str(len(source.stubs)), BOLD), f" stub(s) from {source.path} ({len(source.files)} file(s))")
    if not parts.sources:
        say("No mappings given: serving no stubs (add some with POST /__admin/mappings).")
    sockets = parts.websockets
    if sockets.stubs:
        say("Loaded ", (str(len(sockets.stubs)), BOLD), " WebSocket stub(s) from message-mappings")
    if store is not None:
        from ._store.redis_store import masked

        say(f"Sharing state on {masked(store)} (namespace {namespace})")
        if parts.fleet is not None:
            parts.fleet.status_listeners.append(lambda message: say(("warning:", _WARNING), f" {message}", err=True))
    if server.ca_bundle is not None:
        say(
            f"HTTPS certificate signed by a CA made for this run; clients trust it with the CA bundle "
            f"{server.ca_bundle} (curl --cacert FILE, requests verify=FILE)"
        )

    def log_save(files: list[Path]) -> None:  # said when it happens: where saves go is no news at start
        from rich.markup import escape

        folder = parts.mapping_files.folder
        out.print(f"Saved stubs to {len(files)} mapping file(s) in {escape(str(folder))}")

    parts.mapping_files.save_listeners.append(log_save)

    def log_reload(outcome: list[LoadedSource] | MappingError) -> None:
        from rich.markup import escape

        if isinstance(outcome, MappingError):
            err.print(f"[bold red]error:[/] {escape(str(outcome))}; still serving the stubs from before the change")
            return
        count = sum(len(source.stubs) for source in outcome)
        out.print(f"Reloaded {count} stub(s) from {', '.join(escape(str(s.path)) for s in outcome)}")

    parts.reload_listeners.append(log_reload)

    def log_event(event: ServeEvent) -> None:
        line = event_markup(event, verbose=verbose)
        if line is not None:
            out.print(line)

    def log_error(error: HandlerError) -> None:
        from rich.markup import escape

        err.print(f"[bold red]error:[/] {escape(str(error))}")
        err.print(escape(error.traceback_text), end="")

    def log_message_miss(event: MessageEvent) -> None:  # as a request's miss: one line, --verbose the report
        from rich.markup import escape

        where = event.channel.request.url
        text = event.text if len(event.text) <= 80 else event.text[:80] + "..."
        out.print(f"[yellow]WebSocket {escape(where)}: no message stub matched {escape(repr(text))}[/]")
        if verbose:
            out.print(report_markup(event.near_miss_report or ""), end="")

    def log_handshake_refusal(request: Request, report: str) -> None:
        from rich.markup import escape

        out.print(f"[yellow]WebSocket {escape(request.url)} -> 404, no WebSocket stub accepts it[/]")
        if verbose:
            out.print(report_markup(report), end="")

    sockets.miss_listeners.append(log_message_miss)
    sockets.refusal_listeners.append(log_handshake_refusal)
    engine = parts.engine
    if verbose:  # off by default: a console write per request would cost more than serving it
        engine.listeners.append(log_event)
    else:  # what mockpit decided: misses, and statuses with a reason (a 422 from OpenAPI validation)
        engine.miss_listeners.append(log_event)
        engine.refusal_listeners.append(log_event)
    engine.error_listeners.append(log_error)
    log_to_console(out, err)  # the transport's refusals (400, 408, 413, 503) and uvicorn's messages

    def ready() -> None:
        took = (time.perf_counter() - _START) * 1000
        # the dashboard's address in full: terminals make it a link to click
        admin = f"admin API at /__admin, dashboard at {server.url}/__admin/ui"
        where = "no admin API" if admin_options["no_admin"] else admin
        say(
            f"mockpit {__version__} serving {len(engine.index)} stub(s) on ",
            (server.url, BOLD),
            f" ({where}) - ready in {took:.0f} ms, Ctrl-C to stop",
        )

    # This process lives to serve: imports and stubs stay until exit, so move them out of the
    # collector's sight. Without it every full collection rescans them (p99 spikes of 20-50 ms).
    # No gc.collect() first: loading leaves no cyclic garbage to free (measured: 0 objects with 1 and
    # with 10,000 stubs), and collecting cost 12-50 ms of start-up.
    gc.freeze()
    gc.enable()
    # The journal keeps the last 10,000 requests alive, so full collections scan all of them, and
    # CPython's defaults (700, 10, 10) run one every few thousand requests of a templated or handler
    # stub: 30-50 ms pauses, the p99. Rarer full collections halve that p99 (bench: 48 -> 20 ms).
    gc.set_threshold(2000, 10, 100)
    _serve_forever(server, ready, err, workers)
    say("mockpit stopped.")


_WARNING: dict[str, Any] = {"fg": "yellow", "bold": True}


def _serve_forever(server: MockServer, ready: Callable[[], None], err: Printer, workers: int = 1) -> None:
    """``server.serve_forever()``; a port it cannot listen on ends the command with exit code 1."""
    from ._errors import ServerError

    try:
        server.serve_forever(on_ready=ready, workers=workers)
    except ServerError as exc:
        from rich.markup import escape

        cause = exc.__cause__
        reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(cause or exc)
        where = f"{server.host}:{server.port}"
        err.print(f"[bold red]error:[/] cannot listen on {where}: {escape(reason)}; try another --port")
        sys.exit(1)


def _target(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from ._errors import MappingError
    from ._recording.spec import check_target

    try:
        return check_target(value)
    except MappingError as exc:
        raise click.BadParameter(exc.message) from None


@main.command(
    cls=SectionedCommand,
    sections={
        "Recording": ["target", "out", "keep_secrets", "repeats_as_scenarios", "capture_headers"],
        "Serving": ["host", "port"],
        **_ADMIN_SECTION,
    },
)
@click.option(
    "--target", "-t", required=True, callback=_target, help="Base URL of the API to record (http:// or https://)."
)
@click.option(
    "--out",
    "-o",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write mappings/ and __files/ to.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; 0.0.0.0 for all interfaces.")
@click.option(
    "--port", "-p", default=8080, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port."
)
@click.option(
    "--keep-secrets", is_flag=True, help="Keep Authorization, cookies and API keys in the recording (else REDACTED)."
)
@click.option(
    "--repeats-as-scenarios", is_flag=True, help="Replay repeated requests' answers in order (else the first answer)."
)
@click.option(
    "--capture-header", "capture_headers", multiple=True, help="A request header the stubs match on (repeatable)."
)
@_admin_options
def record(
    target: str,
    out: Path,
    host: str,
    port: int,
    keep_secrets: bool,
    repeats_as_scenarios: bool,
    capture_headers: tuple[str, ...],
    **admin_options: Any,
) -> None:
    """Record an API: proxy every request to --target and write what it answers as mapping files.

    Point your client at the printed URL. Each completed exchange is written at once to OUT/mappings/
    (bodies that are large or binary to OUT/__files/), atomically, so an interrupted recording keeps
    what was complete. Ctrl-C, SIGTERM or POST /__admin/recordings/stop finishes it. Replay it with
    `mockpit serve OUT`.
    """
    import asyncio

    from rich.console import Console
    from rich.markup import escape

    from ._errors import HandlerError
    from ._recording.collector import RecordedStub
    from ._recording.exchange import Exchange
    from ._recording.spec import RecordSpec
    from ._server import internals

    out_console = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    # mappings=[]: stubs recorded earlier in OUT are not served, or they would answer instead of the target
    server = _make_server(err, host, port, [], root=out, **_admin_settings(**admin_options))
    parts = internals(server)
    recorder = parts.recorder
    spec = RecordSpec(
        target=target,
        keep_secrets=keep_secrets,
        repeats_as_scenarios=repeats_as_scenarios,
        capture_headers=dict.fromkeys(capture_headers, False),
    )

    def shown(path: Path) -> str:
        return escape(str(path.relative_to(out) if path.is_relative_to(out) else path))

    def log_exchange(exchange: Exchange, paths: list[Path]) -> None:
        line = f"{escape(exchange.method)} {escape(exchange.url)} -> {exchange.status}"
        if paths:
            out_console.print(f"{line}  wrote {', '.join(shown(p) for p in paths)}")
        else:
            out_console.print(f"{line}  (a repeat of a request recorded already)")

    loop: list[asyncio.AbstractEventLoop] = []
    finished: list[list[RecordedStub]] = []

    def stopped(stubs: list[RecordedStub]) -> None:
        finished.append(stubs)
        # POST /__admin/recordings/stop: the recording is done, so is this command (after that answer)
        if loop and not loop[0].is_closed():
            loop[0].call_soon_threadsafe(server._shutdown_requested)

    def log_error(error: HandlerError) -> None:  # an upstream that broke off, a file that cannot be written
        err.print(f"[bold red]error:[/] {escape(str(error))}")

    recorder.listeners.append(log_exchange)
    recorder.stop_listeners.append(stopped)
    parts.engine.error_listeners.append(log_error)
    recorder.start(spec)
    from ._console import log_to_console

    log_to_console(out_console, err)  # the transport's refusals and uvicorn's messages, as `serve` prints them

    def ready() -> None:
        loop.append(asyncio.get_running_loop())
        out_console.print(
            f"mockpit {__version__} recording {escape(target)} on [bold]{server.url}[/] (admin API at /__admin), "
            f"writing to {escape(str(out))} - Ctrl-C or POST /__admin/recordings/stop to finish"
        )

    _serve_forever(server, ready, err)
    loop.clear()
    try:
        stubs = finished[0] if finished else recorder.stop()
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        err.print(f"[bold red]error:[/] cannot write{escape(where)}: {escape(exc.strerror or str(exc))}")
        sys.exit(1)
    bodies = sum(len(recorded.files) for recorded in stubs)
    where = escape(str(out))
    out_console.print(
        f"Recorded {len(stubs)} stub(s) into {escape(str(out / 'mappings'))} "
        f"({bodies} body file(s) in {escape(str(out / '__files'))}); replay them with: mockpit serve {where}"
    )


@main.command()
@click.argument("document", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    default=Path("."),
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Root folder to write mappings/ to.",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the generated data.")
@click.option("--force", is_flag=True, help="Overwrite mapping files that are already there.")
def generate(document: Path, out: Path, seed: int, force: bool) -> None:
    """Write the stubs of an OpenAPI DOCUMENT as mapping files, one per operation, to edit and keep.

    Each answers with the operation's example or generated data, as `mockpit serve DOCUMENT` does by
    default (without request validation and Prefer headers, which mapping files cannot express).
    They go to OUT/mappings/, as `record` and `import` write theirs; serve them with `mockpit serve OUT`.
    """
    import json
    import os

    from rich.console import Console
    from rich.markup import escape

    from ._errors import MappingError
    from ._mapping.write import stub_to_mapping
    from ._openapi.document import load_openapi
    from ._openapi.stubs import static_stubs

    console = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    output = out / "mappings"
    # checked first, before the document is read: files there may be edits someone means to keep
    taken = sorted(output.glob("*.json")) if output.is_dir() else []
    if taken and not force:
        err.print(
            f"[bold red]error:[/] {escape(str(output))} already holds mapping files ({escape(taken[0].name)}, ...); "
            "generate into an empty folder, or run again with --force to overwrite them"
        )
        sys.exit(1)
    try:
        stubs = static_stubs(load_openapi(document), seed=seed)
    except MappingError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        sys.exit(2)
    # numbered in the order the stubs must load: among equal priorities the newest wins, and a concrete
    # path (/pets/mine) must win over a template that also matches it (/pets/{id})
    files = {output / f"{i:03d}-{_slug(stub.name or stub.id)}.json": stub for i, stub in enumerate(stubs, 1)}
    output.mkdir(parents=True, exist_ok=True)
    # the document as seen from the files, so that committed files read the same on every machine
    shown = Path(os.path.relpath(document.resolve(), output.resolve())).as_posix()
    for path, stub in files.items():
        mapping = stub_to_mapping(stub)
        mapping["metadata"]["openapi"]["document"] = shown
        path.write_text(json.dumps(mapping, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    where, root = escape(str(output)), escape(str(out))
    console.print(f"Wrote {len(files)} mapping file(s) to {where}; serve them with: mockpit serve {root}")


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60] or "stub"


@main.command("import")
@click.argument("har_file", metavar="FILE.har", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    default=Path("."),
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Root folder to write mappings/ and __files/ to.",
)
@click.option(
    "--keep-secrets", is_flag=True, help="Keep Authorization, cookies and API keys; by default they are redacted."
)
@click.option(
    "--repeats-as-scenarios",
    is_flag=True,
    help="A request made several times answers as it did each time, in turn (a scenario), not always the first way.",
)
@click.option(
    "--url-pattern", metavar="REGEX", help="Keep only the entries whose path and query, whole, match REGEX ('/api/.*')."
)
@click.option("--host", "only_host", metavar="HOST", help="Keep only the entries for HOST (api.example.com).")
@click.option(
    "--capture-header", "capture_headers", multiple=True, help="A request header the stubs match on (repeatable)."
)
def import_(
    har_file: Path,
    out: Path,
    keep_secrets: bool,
    repeats_as_scenarios: bool,
    url_pattern: str | None,
    only_host: str | None,
    capture_headers: tuple[str, ...],
) -> None:
    """Turn a browser's HAR export (DevTools, Network tab, Export HAR) into mapping files.

    Each request in FILE.har becomes a stub answering with the status, headers and body the browser
    got; entries that are not http(s) (data:, extensions) or never got an answer are skipped.
    Serve the result with `mockpit serve OUT`.
    """
    import re

    from rich.console import Console
    from rich.markup import escape

    from ._errors import MappingError
    from ._recording.har import import_har
    from ._recording.spec import RecordSpec

    out_console = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if url_pattern is not None:
        try:
            re.compile(url_pattern)
        except re.error as exc:
            raise click.BadParameter(f"not a regular expression: {exc}", param_hint="--url-pattern") from None
    spec = RecordSpec(
        url_pattern=url_pattern,
        keep_secrets=keep_secrets,
        repeats_as_scenarios=repeats_as_scenarios,
        capture_headers=dict.fromkeys(capture_headers, False),
    )
    try:
        result = import_har(har_file, out, spec, host=only_host)
    except MappingError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        sys.exit(2)
    content = result.content
    source = escape(str(har_file))
    if only_host is not None and not content.exchanges and content.hosts:
        err.print(
            f"[bold red]error:[/] {source} has no entry for host {escape(only_host)}; "
            f"its hosts are {escape(', '.join(content.hosts))}"
        )
        sys.exit(2)
    skipped = [f"{n} {scheme}: URL{'s' if n > 1 else ''}" for scheme, n in sorted(content.skipped_schemes.items())]
    if content.skipped_failed:
        skipped.append(f"{content.skipped_failed} with status 0 (blocked, cancelled or unanswered in the browser)")
    if content.skipped_other_hosts:
        skipped.append(f"{content.skipped_other_hosts} for other hosts")
    where = escape(str(out))
    out_console.print(
        f"Read {len(content.exchanges)} request(s) from {source}"
        + (f", skipped {content.skipped} ({'; '.join(skipped)})" if skipped else "")
    )
    if len(content.hosts) > 1 and only_host is None:
        out_console.print(
            f"The requests went to {len(content.hosts)} hosts ({escape(', '.join(content.hosts))}); the stubs match "
            "the path only, whatever the host: --host HOST keeps one host's requests"
        )
    if content.bodies_missing:
        out_console.print(
            f"[yellow]{content.bodies_missing} response body(ies) are not in the HAR file (the browser did not keep "
            "them); those stubs answer with an empty body[/]"
        )
    if not result.stubs:
        err.print(f"[bold red]error:[/] nothing to import from {source}: no request is left to turn into a stub")
        sys.exit(2)
    out_console.print(
        f"Wrote {result.stubs} stub(s) in {len(result.files)} file(s) to {where}; "
        f"serve them with: mockpit serve {where}"
    )
