"""``GET /metrics``: the Prometheus text exposition of this process (optionally behind a token)."""

from __future__ import annotations

import hmac

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.errors import AuthenticationFailed, NotFound
from omnirelay.observability.metrics import Metrics
from omnirelay.observability.runtime_collector import RuntimeCollector
from omnirelay.relay.auth import bearer_token

__all__ = ["metrics_endpoint"]


async def metrics_endpoint(request: Request) -> Response:
    settings = request.app.state.runtime.settings.metrics
    if not settings.enabled:
        raise NotFound("Metrics are turned off on this gateway (metrics.enabled).")
    if settings.token is not None:
        token = bearer_token(request.headers.get("authorization")) or ""
        if not hmac.compare_digest(token.encode(), settings.token.encode()):
            raise AuthenticationFailed(
                "This endpoint needs the metrics token: 'Authorization: Bearer <metrics.token>'."
            )
    metrics: Metrics = request.app.state.metrics
    collector: RuntimeCollector = request.app.state.runtime_collector
    await collector.refresh()
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
