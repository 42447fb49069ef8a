"""The Anthropic family's routes, mounted by ``app.py``."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from omnirelay.api.anthropic.errors import anthropic_errors
from omnirelay.api.anthropic.messages import messages

__all__ = ["anthropic_routes"]


def anthropic_routes() -> list[BaseRoute]:
    return [Route("/v1/messages", anthropic_errors(messages), methods=["POST"])]
