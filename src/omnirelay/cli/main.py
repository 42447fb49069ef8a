"""``omnirelay serve | migrate | fake-upstream`` and the operator sub-commands."""

from __future__ import annotations

import asyncio
import gc
import sys
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from omnirelay.app import create_app
from omnirelay.cli import manage
from omnirelay.cli.context import open_store
from omnirelay.runtime import Runtime
from omnirelay.settings import load_settings

__all__ = ["app", "main"]

app = typer.Typer(help="omnirelay: one base URL and one API key for every AI model.", no_args_is_help=True)
app.add_typer(manage.accounts, name="accounts")
app.add_typer(manage.keys, name="keys")
app.add_typer(manage.channels, name="channels")
app.add_typer(manage.prices, name="prices")
app.add_typer(manage.logs, name="logs")
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
    console = Console(stderr=True)
    settings = runtime.settings
    console.print(f"[bold]omnirelay[/] listening on http://{settings.server.host}:{settings.server.port}")
    if runtime.new_admin_key:
        console.print("[bold yellow]Admin key (shown once, store it now):[/] " + runtime.new_admin_key, soft_wrap=True)


@app.command()
def serve(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="Listen address.")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port.")] = None,
) -> None:
    """Start the gateway (migrations are applied first)."""
    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = load_settings(config)
    if overrides:
        settings = settings.model_copy(update={"server": settings.server.model_copy(update=overrides)})
    application = create_app(settings, on_ready=_announce)
    uvicorn.run(
        application,
        host=settings.server.host,
        port=settings.server.port,
        log_level="warning",
        access_log=False,
        proxy_headers=bool(settings.server.forwarded_allow_ips),
        forwarded_allow_ips=settings.server.forwarded_allow_ips or None,
    )


@app.command()
def migrate(config: ConfigOption = None) -> None:
    """Apply database migrations and the declared configuration, then exit."""

    async def run() -> None:
        async with open_store(config):
            pass

    asyncio.run(run())
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


def main() -> None:
    app()
