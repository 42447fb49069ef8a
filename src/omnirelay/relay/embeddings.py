"""Embeddings end to end: check, reserve, route with failover, settle at the upstream's usage."""

from __future__ import annotations

from typing import Any

from omnirelay.channels.model import Channel
from omnirelay.errors import InvalidRequest
from omnirelay.providers.base import EmbeddingsProvider, EmbeddingsResult, Usage
from omnirelay.relay.auth import Caller
from omnirelay.relay.chat import upstream_call
from omnirelay.relay.gate import Gate, JobRequest
from omnirelay.relay.job import Job
from omnirelay.relay.tokens import TokenCounter

__all__ = ["EmbeddingsRelay", "validate_embeddings_body"]

_FORMATS = (None, "float", "base64")


def _valid_input(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value)
    if not isinstance(value, list) or not value:
        return False
    if all(isinstance(v, str) and v for v in value) or all(isinstance(v, int) for v in value):
        return True
    return all(isinstance(v, list) and v and all(isinstance(t, int) for t in v) for v in value)


def validate_embeddings_body(body: Any) -> str:
    """The requested model, or a clear 400 naming the field at fault."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("You must provide a model parameter.", param="model")
    if not _valid_input(body.get("input")):
        raise InvalidRequest(
            "'input' must be a non-empty string, a list of non-empty strings, or token arrays.", param="input"
        )
    if body.get("encoding_format") not in _FORMATS:
        raise InvalidRequest("'encoding_format' must be 'float' or 'base64'.", param="encoding_format")
    return model


class EmbeddingsRelay:
    def __init__(self, *, gate: Gate, tokens: TokenCounter) -> None:
        self._gate = gate
        self._tokens = tokens

    async def begin(self, caller: Caller, body: dict[str, Any], body_size: int, request_id: str) -> Job:
        model = validate_embeddings_body(body)
        return await self._gate.open_job(caller, JobRequest("embeddings", model, body_size, 0), request_id)

    async def embed(self, job: Job, body: dict[str, Any]) -> EmbeddingsResult:
        """Relay the request (``dimensions`` and the rest pass through); settled before it returns."""

        async def attempt(provider: EmbeddingsProvider, channel: Channel) -> EmbeddingsResult:
            prepared = {**body, "model": channel.upstream_model(job.model)}
            return await provider.embed(upstream_call(channel, prepared))

        result = await self._gate.run(job, EmbeddingsProvider, attempt)
        await job.succeed(result.usage or Usage(self._count(body.get("input")), 0))
        return result

    def _count(self, value: Any) -> int:
        if isinstance(value, str):
            return self._tokens.count_text(value)
        if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
            return len(value)
        return sum(self._count(v) for v in value) if isinstance(value, list) else 0
