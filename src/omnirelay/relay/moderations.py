"""``/v1/moderations``: relayed to ``openai`` channels as is, billed by the model's price.

Moderation is free on OpenAI, but the gateway still meters it: the model needs a price like any
other (``mode = "free"`` is the usual one), and the log records each call with the input's tokens.

No moderation classifier ships offline: none with a permissive licence is small enough to bundle
(see docs/api-openai.md), so the built-in ``local`` provider answers 501 ``not_implemented``,
naming the fix (route the model to an OpenAI channel) instead of pretending to moderate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from omnirelay.catalog import Catalog
from omnirelay.channels.model import Channel
from omnirelay.errors import InvalidRequest, UpstreamRejected
from omnirelay.providers.base import ForwardCall, Forwarder, Usage
from omnirelay.providers.registry import capable
from omnirelay.relay.auth import Caller
from omnirelay.relay.gate import Gate, JobRequest
from omnirelay.relay.job import Job
from omnirelay.relay.tokens import TokenCounter

__all__ = ["DEFAULT_MODEL", "DIALECT", "ModerationNotImplemented", "ModerationsRelay", "validate_moderations_body"]

_MODERATION_MODELS = ("omni-moderation", "text-moderation")
"""OpenAI's moderation model names: asked of a gateway with no channel for them, the answer says
why the built-in provider cannot help (501); any other unknown model is a plain 404."""

DIALECT = "openai.moderations"
DEFAULT_MODEL = "omni-moderation-latest"
"""What OpenAI moderates with when the request names no model."""


class ModerationNotImplemented(UpstreamRejected):
    """501: this gateway has nothing that can moderate the model; retrying cannot help."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status_code=501, type="invalid_request_error", code="not_implemented", param="model")

    @property
    def headers(self) -> dict[str, str]:
        return {"x-should-retry": "false"}


def _local_cannot(model: str) -> ModerationNotImplemented:
    return ModerationNotImplemented(
        "The built-in local provider cannot moderate: no permissively licensed moderation classifier ships "
        f"offline with omnirelay. Route `{model}` to an OpenAI channel (add it to the channel's models and "
        'give it a price, e.g. mode "free").'
    )


def _valid_input(value: Any) -> bool:
    if isinstance(value, str):
        return True
    if not isinstance(value, list) or not value:
        return False
    if all(isinstance(v, str) for v in value):
        return True
    return all(isinstance(v, dict) and v.get("type") in ("text", "image_url") for v in value)


def validate_moderations_body(body: Any) -> str:
    """The model to moderate with (``omni-moderation-latest`` when none is named), or a clear 400."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    if not _valid_input(body.get("input")):
        raise InvalidRequest(
            "'input' must be a string, a list of strings, or a list of text and image_url parts.", param="input"
        )
    model = body.get("model", DEFAULT_MODEL)
    if not isinstance(model, str) or not model:
        raise InvalidRequest("'model' must be a model name such as 'omni-moderation-latest'.", param="model")
    return model


class ModerationsRelay:
    """Holds no state of its own: an ingress may build one per request."""

    def __init__(
        self, *, gate: Gate, catalog: Catalog, tokens: TokenCounter, providers: Mapping[str, object], local: bool
    ) -> None:
        self._gate = gate
        self._catalog = catalog
        self._tokens = tokens
        self._providers = providers
        self._local = local

    async def begin(self, caller: Caller, body: dict[str, Any], body_size: int, request_id: str) -> Job:
        model = validate_moderations_body(body)
        if self._local and model.startswith(_MODERATION_MODELS) and model not in self._catalog.snapshot.by_model:
            raise _local_cannot(model)  # the same answer for every key: nothing here can moderate
        return await self._gate.open_job(caller, JobRequest("moderations", model, body_size, 0), request_id)

    async def moderate(self, job: Job, body: dict[str, Any]) -> bytes:
        """The upstream's answer, byte for byte; the job is settled or refunded before this returns."""

        async def attempt(provider: object, channel: Channel) -> bytes:
            forwarder = capable(self._providers, channel.type, Forwarder)
            if forwarder is None or not forwarder.forwards(channel, DIALECT):
                if channel.type == "local":
                    raise _local_cannot(job.model)
                raise ModerationNotImplemented(
                    f"Channels of type {channel.type!r} cannot moderate; route `{job.model}` to an OpenAI channel."
                )
            call = ForwardCall(
                base_url=channel.base_url,
                secret=channel.next_secret(),
                path="moderations",
                body=orjson.dumps({**body, "model": channel.upstream_model(job.model)}),
                headers={},
                timeout_s=channel.timeout_s,
            )
            return await (await forwarder.forward(call)).read()

        raw = await self._gate.run(job, object, attempt)
        await job.succeed(Usage(self._count(body.get("input")), 0))
        return raw

    def _count(self, value: Any) -> int:
        if isinstance(value, str):
            return self._tokens.count_text(value)
        if isinstance(value, list):
            return sum(self._count(v if isinstance(v, str) else v.get("text")) for v in value if v is not None)
        return 0
