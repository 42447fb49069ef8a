"""``POST /v1/messages/count_tokens``: the upstream's own count where one can give it, else an estimate.

Free, like Anthropic's: nothing is reserved, billed or logged as a call. The model's
``anthropic`` channels in the caller's group are asked in routing order (priority, then the
declared order), each with the request forwarded untouched but for the mapped model name; a
channel that fails (overloaded, unreachable...) passes the question to the next one. A request
the upstream refuses (400) is answered with the upstream's error. When no ``anthropic``
channel serves the model, or none could answer, the gateway's own estimate is returned
(``relay/messages_tokens.py``) in the same shape: ``{"input_tokens": N}``.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson

from omnirelay.catalog import Catalog
from omnirelay.channels.model import Channel
from omnirelay.channels.routing import in_route
from omnirelay.errors import InvalidRequest, ModelNotFound, PermissionDenied, UpstreamError
from omnirelay.relay.auth import Caller
from omnirelay.relay.messages import MessagesRequest, forward_call, native_forwarder
from omnirelay.relay.messages_tokens import count_messages_request
from omnirelay.relay.tokens import TokenCounter

__all__ = ["count_tokens"]

_PATH = "messages/count_tokens"


def _model(catalog: Catalog, caller: Caller, request: MessagesRequest) -> str:
    model = request.body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("model: Field required", param="model")
    if model not in catalog.snapshot.by_model:
        raise ModelNotFound(f"The model `{model}` does not exist or you do not have access to it.", param="model")
    if not caller.key.allows_model(model):
        raise PermissionDenied(f"This API key may not use the model `{model}`.", code="model_not_allowed")
    return model


def _usable(channels: list[Channel], group: str) -> list[Channel]:
    routed = [c for c in in_route(channels, group) if c.usable]
    return sorted(routed, key=lambda c: -c.priority)  # stable: the declared order inside a priority


async def count_tokens(
    catalog: Catalog, providers: Mapping[str, object], tokens: TokenCounter, caller: Caller, request: MessagesRequest
) -> bytes:
    """The answer's body: the upstream's bytes, or ``{"input_tokens": N}`` estimated here."""
    model = _model(catalog, caller, request)
    for channel in _usable(catalog.snapshot.by_model[model], caller.group):
        forwarder = native_forwarder(providers, channel)
        if forwarder is None:
            continue
        try:
            forwarded = await forwarder.forward(forward_call(channel, request, model, _PATH, stream=False))
            return await forwarded.read()
        except UpstreamError as exc:
            if not exc.retryable:
                raise
    return orjson.dumps({"input_tokens": count_messages_request(tokens, request.body)})
