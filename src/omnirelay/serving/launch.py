"""``omnirelay serve``: one process, or ``server.workers`` of them under a supervisor."""

from __future__ import annotations

from collections.abc import Callable

import structlog

from omnirelay.runtime import Runtime
from omnirelay.serving.supervisor import Supervisor, listening_socket
from omnirelay.serving.worker import STARTUP_FAILURE, run_server
from omnirelay.settings import Settings

__all__ = ["serve", "workers_refusal"]

log = structlog.get_logger("omnirelay")


def workers_refusal(settings: Settings) -> str | None:
    """Why ``settings`` cannot run several workers, naming the setting and the fix; None when they can."""
    workers = settings.server.workers
    if workers == 1 or not settings.effective_database_url.startswith("sqlite"):
        return None
    return (
        f"server.workers = {workers} (--workers) needs PostgreSQL: SQLite takes one writing process at a "
        "time, and the workers would keep each other waiting for it. Set database_url "
        "(OMNIRELAY_DATABASE_URL) to a postgresql+asyncpg:// URL and redis_url to a Redis, or serve "
        "with --workers 1 (docs/operate-scale-out.md)."
    )


def serve(settings: Settings, *, on_ready: Callable[[Runtime], None] | None = None) -> int:
    """Serve until SIGTERM or SIGINT, then drain; the exit code. Check :func:`workers_refusal` first."""
    if settings.server.workers == 1:
        try:  # bound before the application starts, so a taken port is refused before "listening on"
            sock = listening_socket(settings.server.host, settings.server.port, shared=False)
        except OSError as exc:
            log.error("could not listen", host=settings.server.host, port=settings.server.port, error=str(exc))
            return STARTUP_FAILURE
        return run_server(settings, on_ready=on_ready, sockets=[sock])
    if not settings.redis_url:
        log.warning(
            "several workers without redis_url: each holds balances and counts key limits on its own "
            "(a key may get its limit from each worker); set redis_url to share them",
            workers=settings.server.workers,
        )
    return Supervisor(settings, on_ready).run()
