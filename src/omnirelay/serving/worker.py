"""One uvicorn server running the gateway: the whole ``omnirelay serve``, or one of its workers.

SIGTERM or SIGINT stops it gracefully: it stops accepting, lets requests and streams in flight
finish for up to ``server.shutdown_grace_s`` (then cuts them, and their calls settle what was
delivered), and closes the runtime: the write-behind is committed and this process's lease is
given up, so its open reservations can be released by the others at once.
"""

from __future__ import annotations

import logging
import signal
import socket
from collections.abc import Callable

import uvicorn

from omnirelay.app import create_app
from omnirelay.http_limits import uvicorn_options
from omnirelay.logging_setup import level_number
from omnirelay.observability.shared_metrics import WorkerSlot
from omnirelay.runtime import Runtime
from omnirelay.settings import Settings

__all__ = ["STARTUP_FAILURE", "run_server"]

STARTUP_FAILURE = 3
"""Exit code when the gateway could not start (uvicorn's own)."""

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _config(settings: Settings, app: object) -> uvicorn.Config:
    server = settings.server
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=server.host,
        port=server.port,
        log_config=None,  # uvicorn's own records go through configure_logging's handler
        log_level=max(logging.WARNING, level_number(settings.log.level)),
        access_log=False,  # ours is api/access_log.py
        proxy_headers=bool(server.forwarded_allow_ips),
        forwarded_allow_ips=server.forwarded_allow_ips or None,
        timeout_graceful_shutdown=server.shutdown_grace_s,
        **uvicorn_options(server),
    )


def run_server(
    settings: Settings,
    *,
    on_ready: Callable[[Runtime], None] | None = None,
    sockets: list[socket.socket] | None = None,
    worker: WorkerSlot | None = None,
) -> int:
    """Serve until SIGTERM or SIGINT, then drain. Returns 0 after a graceful stop, else
    :data:`STARTUP_FAILURE`. ``sockets``: listen on these (a worker) instead of binding the port."""
    app = create_app(settings, on_ready=on_ready, worker=worker)
    server = uvicorn.Server(_config(settings, app))
    # uvicorn raises the signal that stopped it again once it has drained, with the handler it
    # found: an ignored one makes a graceful stop end the process with 0, not "killed by SIGTERM"
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in _STOP_SIGNALS}
    try:
        server.run(sockets=sockets)
    except SystemExit as exc:  # uvicorn's way of saying the application could not start
        return exc.code if isinstance(exc.code, int) else STARTUP_FAILURE
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0 if server.started else STARTUP_FAILURE
