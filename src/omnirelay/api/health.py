"""``/healthz`` (the process is up) and ``/readyz`` (the store answers)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from omnirelay.runtime import Runtime

__all__ = ["healthz", "readyz"]


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    if await runtime.ready():
        return JSONResponse({"status": "ready", "database": "ok"})
    return JSONResponse({"status": "not ready", "database": "unreachable"}, status_code=503)
