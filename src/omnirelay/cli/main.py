"""``omnirelay serve | migrate | fake-upstream`` and the operator sub-commands."""

from __future__ import annotations

import asyncio
import enum
import gc
import sys
from pathlib import Path
from typing import Annotated

import structlog
import typer
from rich.console import Console

from omnirelay.cli.accounts import accounts
from omnirelay.cli.channels import channels
from omnirelay.cli.codes import codes
from omnirelay.cli.config import config
from omnirelay.cli.context import open_store
from omnirelay.cli.keys import keys
from omnirelay.cli.logs import logs
from omnirelay.cli.prices import prices
from omnirelay.cli.settings_load import SETTINGS_EXIT_CODE, load_or_exit
from omnirelay.cli.users import users
from omnirelay.logging_setup import configure_logging
from omnirelay.runtime import Runtime
from omnirelay.serving import launch

__all__ = ["app", "main"]

log = structlog.get_logger("omnirelay")

app = typer.Typer(help="omnirelay: one base URL and one API key for every AI model.", no_args_is_help=True)
app.add_typer(accounts, name="accounts")
app.add_typer(keys, name="keys")
app.add_typer(channels, name="channels")
app.add_typer(codes, name="codes")
app.add_typer(prices, name="prices")
app.add_typer(logs, name="logs")
app.add_typer(users, name="users")
app.add_typer(config, name="config")
fake = typer.Typer(help="Run a fake upstream for tests and demos.")
app.add_typer(fake, name="fake-upstream")

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="TOML or YAML settings file.")]


def _tune_gc() -> None:
    """Move everything alive after start-up out of the collector's sight and collect less often.

    A request leaves little cyclic garbage, but the default thresholds made full collections
    of the start-up heap (~280k objects) take a fifth of the CPU under load (bench/README.md).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def _tune_threads() -> None:
    """Hand the GIL over sooner: database drivers (aiosqlite) run each statement on a thread, and
    with the default 5 ms switch interval every statement waited for the busy event loop
    (group commits of tasks took 50-80 ms instead of a few; bench/README.md, tasks)."""
    sys.setswitchinterval(0.0005)


def _announce(runtime: Runtime) -> None:
    _tune_gc()
    _tune_threads()
    settings = runtime.settings
    url = f"http://{settings.server.host}:{settings.server.port}"
    if settings.log.format == "json":  # every line on stderr stays one JSON object
        log.info("listening", url=url)
        if runtime.new_admin_key:
            log.warning("admin key created: shown once, store it now", admin_key=runtime.new_admin_key)
        return
    console = Console(stderr=True)
    console.print(f"[bold]omnirelay[/] listening on {url}")
    if runtime.new_admin_key:
        console.print("[bold yellow]Admin key (shown once, store it now):[/] " + runtime.new_admin_key, soft_wrap=True)


class LogLevel(enum.StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class LogFormat(enum.StrEnum):
    CONSOLE = "console"
    JSON = "json"


LogLevelOption = Annotated[LogLevel | None, typer.Option(help="Overrides log.level.", case_sensitive=False)]
LogFormatOption = Annotated[LogFormat | None, typer.Option(help="Overrides log.format.", case_sensitive=False)]


@app.command()
def serve(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="Listen address.")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port.")] = None,
    log_level: LogLevelOption = None,
    log_format: LogFormatOption = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="Worker processes (server.workers); >1 needs PostgreSQL.")
    ] = None,
    shutdown_grace: Annotated[
        int | None, typer.Option(min=0, help="Seconds a SIGTERM lets requests finish (server.shutdown_grace_s).")
    ] = None,
) -> None:
    """Start the gateway (migrations are applied first)."""
    given = {"host": host, "port": port, "workers": workers, "shutdown_grace_s": shutdown_grace}
    server = {k: v for k, v in given.items() if v is not None}
    logs = {k: v.value for k, v in {"level": log_level, "format": log_format}.items() if v is not None}
    overrides = {k: v for k, v in {"server": server, "log": logs}.items() if v}
    settings = load_or_exit(config, **overrides)
    configure_logging(settings.log, trace_ids=settings.tracing.enabled)
    refusal = launch.workers_refusal(settings)
    if refusal is not None:
        typer.echo(f"error: {refusal}", err=True)
        raise typer.Exit(SETTINGS_EXIT_CODE)
    _apply_store_changes(config)  # migrations and the declared entries: a mistake is one line, not a traceback
    code = launch.serve(settings, on_ready=_announce)
    if code:
        raise typer.Exit(code)


def _apply_store_changes(config: Path | None) -> None:
    async def run() -> None:
        async with open_store(config):
            pass

    asyncio.run(run())


@app.command()
def migrate(config: ConfigOption = None) -> None:
    """Apply database migrations and the declared configuration, then exit."""
    _apply_store_changes(config)
    Console().print("database is up to date")


@fake.command("openai")
def fake_openai(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 18000,
    latency_ms: Annotated[float, typer.Option(help="Delay before each answer.")] = 0.0,
    api_key: Annotated[str | None, typer.Option(help="Require this bearer key.")] = None,
) -> None:
    """Serve the fake OpenAI-compatible upstream (omnirelay.testing.FakeOpenAI)."""
    from omnirelay.testing import FakeOpenAIKnobs, run_fake_openai

    run_fake_openai(host, port, FakeOpenAIKnobs(latency_s=latency_ms / 1000, api_key=api_key))


@fake.command("gemini")
def fake_gemini(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 18003,
    latency_ms: Annotated[float, typer.Option(help="Delay before each answer.")] = 0.0,
    api_key: Annotated[str | None, typer.Option(help="Require this key (x-goog-api-key or ?key=).")] = None,
) -> None:
    """Serve the fake Gemini API upstream (omnirelay.testing.FakeGemini)."""
    from omnirelay.testing import FakeGeminiKnobs, run_fake_gemini

    run_fake_gemini(host, port, FakeGeminiKnobs(latency_s=latency_ms / 1000, api_key=api_key))


@fake.command("midjourney")
def fake_midjourney(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 18001,
    secret: Annotated[str | None, typer.Option(help="Require this mj-api-secret header.")] = None,
    dialect: Annotated[str, typer.Option(help="novicezk or trueai.")] = "novicezk",
    step_ms: Annotated[float, typer.Option(help="Time between task progress steps.")] = 500.0,
) -> None:
    """Serve the fake Midjourney-Proxy upstream (omnirelay.testing.FakeMidjourney)."""
    from omnirelay.testing import FakeMidjourneyKnobs, run_fake_midjourney

    if dialect not in ("novicezk", "trueai"):
        raise typer.BadParameter("novicezk or trueai", param_hint="--dialect")
    knobs = FakeMidjourneyKnobs(api_secret=secret, step_s=step_ms / 1000)
    knobs.dialect = "trueai" if dialect == "trueai" else "novicezk"
    run_fake_midjourney(host, port, knobs)


@fake.command("suno")
def fake_suno(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 18002,
    api_key: Annotated[str | None, typer.Option(help="Require this bearer key.")] = None,
    dialect: Annotated[str, typer.Option(help="newapi (/suno/*), gcui (/api/*) or both.")] = "both",
    step_ms: Annotated[float, typer.Option(help="Time between clip status steps.")] = 200.0,
    clip_seconds: Annotated[float, typer.Option(help="Length of every generated clip.")] = 4.0,
) -> None:
    """Serve the fake Suno upstream (omnirelay.testing.FakeSuno)."""
    from omnirelay.testing import FakeSunoKnobs, run_fake_suno

    if dialect not in ("both", "newapi", "gcui"):
        raise typer.BadParameter("newapi, gcui or both", param_hint="--dialect")
    knobs = FakeSunoKnobs(api_key=api_key, step_s=step_ms / 1000, clip_seconds=clip_seconds)
    knobs.dialect = "newapi" if dialect == "newapi" else "gcui" if dialect == "gcui" else "both"
    run_fake_suno(host, port, knobs)


@fake.command("kling")
def fake_kling(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 18005,
    key: Annotated[
        list[str] | None, typer.Option(help="Accept JWTs of this ACCESS_KEY|SECRET_KEY (repeatable); none: any.")
    ] = None,
    step_ms: Annotated[float, typer.Option(help="Time a task spends submitted, then processing.")] = 500.0,
    latency_ms: Annotated[float, typer.Option(help="Delay before each API answer.")] = 0.0,
    video_padding_mb: Annotated[float, typer.Option(help="Grow each video by this many MB (large downloads).")] = 0.0,
) -> None:
    """Serve the fake Kling API upstream (omnirelay.testing.FakeKling)."""
    from omnirelay.testing import FakeKlingKnobs, run_fake_kling

    pairs = [k.partition("|") for k in key or []]
    if any(not ak or not sk for ak, _, sk in pairs):
        raise typer.BadParameter("ACCESS_KEY|SECRET_KEY", param_hint="--key")
    knobs = FakeKlingKnobs(
        keys={ak: sk for ak, _, sk in pairs},
        step_s=step_ms / 1000,
        latency_s=latency_ms / 1000,
        video_padding_bytes=int(video_padding_mb * 1024 * 1024),
    )
    run_fake_kling(host, port, knobs)


@fake.command("digital-human")
def fake_digital_human(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 18020,
    api_key: Annotated[str | None, typer.Option(help="Require this X-Api-Key.")] = None,
    step_ms: Annotated[float, typer.Option(help="Time a video spends in each step.")] = 500.0,
) -> None:
    """Serve a fake digital-human video vendor (omnirelay.testing.FakeDigitalHuman; examples/task-vendors)."""
    from omnirelay.testing import FakeVendorKnobs, run_fake_digital_human

    run_fake_digital_human(host, port, FakeVendorKnobs(api_key=api_key, step_s=step_ms / 1000))


@fake.command("ppt")
def fake_ppt(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 18021,
    api_key: Annotated[str | None, typer.Option(help="Require this bearer token.")] = None,
    step_ms: Annotated[float, typer.Option(help="Time a deck spends in each step.")] = 500.0,
) -> None:
    """Serve a fake slide-deck vendor (omnirelay.testing.FakePpt; examples/task-vendors)."""
    from omnirelay.testing import FakeVendorKnobs, run_fake_ppt

    run_fake_ppt(host, port, FakeVendorKnobs(api_key=api_key, step_s=step_ms / 1000))


@fake.command("minimax")
def fake_minimax(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 18009,
    key: Annotated[
        list[str] | None, typer.Option("--key", "--api-key", help="Accept this Bearer API key (repeatable); none: any.")
    ] = None,
    step_ms: Annotated[float, typer.Option(help="Time a task spends in each of its three waiting states.")] = 500.0,
    video_padding_mb: Annotated[float, typer.Option(help="Grow each video by this many MB (large downloads).")] = 0.0,
) -> None:
    """Serve the fake MiniMax video API upstream (omnirelay.testing.FakeMiniMax)."""
    from omnirelay.testing import FakeMiniMaxKnobs, run_fake_minimax

    knobs = FakeMiniMaxKnobs(
        api_keys=list(key or []), step_s=step_ms / 1000, video_padding_bytes=int(video_padding_mb * 1024 * 1024)
    )
    run_fake_minimax(host, port, knobs)


@fake.command("ark")
def fake_ark(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 18012,
    key: Annotated[
        list[str] | None, typer.Option("--key", "--api-key", help="Accept this Bearer API key (repeatable); none: any.")
    ] = None,
    step_ms: Annotated[float, typer.Option(help="Time a Seedance task spends queued, then running.")] = 500.0,
    latency_ms: Annotated[float, typer.Option(help="Delay before each API answer.")] = 0.0,
) -> None:
    """Serve the fake Volcengine Ark upstream: Seedream images, Seedance tasks (omnirelay.testing.FakeArk)."""
    from omnirelay.testing import FakeArkKnobs, run_fake_ark

    knobs = FakeArkKnobs(keys=list(key or []), step_s=step_ms / 1000, latency_s=latency_ms / 1000)
    run_fake_ark(host, port, knobs)


@fake.command("bfl")
def fake_bfl(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 18010,
    key: Annotated[
        list[str] | None, typer.Option("--key", "--api-key", help="Accept this x-key (repeatable); none: any key.")
    ] = None,
    step_ms: Annotated[float, typer.Option(help="Time each step of a task lasts (Pending, progress...).")] = 300.0,
    latency_ms: Annotated[float, typer.Option(help="Delay before each API answer.")] = 0.0,
) -> None:
    """Serve the fake BFL (Flux) API upstream (omnirelay.testing.FakeBfl)."""
    from omnirelay.testing import FakeBflKnobs, run_fake_bfl

    knobs = FakeBflKnobs(api_keys=list(key or []), step_s=step_ms / 1000, latency_s=latency_ms / 1000)
    run_fake_bfl(host, port, knobs)


@fake.command("ideogram")
def fake_ideogram(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 18013,
    api_key: Annotated[str | None, typer.Option(help="Require this Api-Key header.")] = None,
    latency_ms: Annotated[float, typer.Option(help="Delay before each API answer.")] = 0.0,
) -> None:
    """Serve the fake Ideogram API upstream (omnirelay.testing.FakeIdeogram)."""
    from omnirelay.testing import FakeIdeogramKnobs, run_fake_ideogram

    run_fake_ideogram(host, port, FakeIdeogramKnobs(api_key=api_key, latency_s=latency_ms / 1000))


@fake.command("recraft")
def fake_recraft(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 18014,
    api_key: Annotated[str | None, typer.Option(help="Require this bearer token.")] = None,
    latency_ms: Annotated[float, typer.Option(help="Delay before each API answer.")] = 0.0,
) -> None:
    """Serve the fake Recraft API upstream (omnirelay.testing.FakeRecraft); channels use {url}/v1."""
    from omnirelay.testing import FakeRecraftKnobs, run_fake_recraft

    run_fake_recraft(host, port, FakeRecraftKnobs(api_key=api_key, latency_s=latency_ms / 1000))


@fake.command("replicate")
def fake_replicate(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 18004,
    api_token: Annotated[str | None, typer.Option(help="Require this bearer token.")] = None,
    start_ms: Annotated[float, typer.Option(help="How long predictions stay starting.")] = 500.0,
    run_ms: Annotated[float, typer.Option(help="How long predictions then stay processing.")] = 1000.0,
    latency_ms: Annotated[float, typer.Option(help="Delay before each API answer.")] = 0.0,
) -> None:
    """Serve the fake Replicate API upstream (omnirelay.testing.FakeReplicate)."""
    from omnirelay.testing import FakeReplicateKnobs, run_fake_replicate

    knobs = FakeReplicateKnobs(
        api_token=api_token, start_s=start_ms / 1000, run_s=run_ms / 1000, latency_s=latency_ms / 1000
    )
    run_fake_replicate(host, port, knobs)


def main() -> None:
    app()
