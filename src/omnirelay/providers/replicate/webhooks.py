"""Verification of a Replicate upstream's signed webhooks (Standard Webhooks, spec §1.2 and §6).

The channel keeps the upstream account's signing secret in ``options.webhook_secret`` (what the
upstream's ``GET /v1/webhooks/default/secret`` answers). A webhook is believed only when its
signature checks out under that secret and its timestamp is within 5 minutes; its body then
tells which prediction changed (the engine polls it: a callback's body never moves money).
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping

import orjson
from standardwebhooks import Webhook
from standardwebhooks.webhooks import EmptyWebhookSecretError, WebhookVerificationError

from omnirelay.channels.model import Channel
from omnirelay.errors import AuthenticationFailed, InvalidRequest, PermissionDenied, UpstreamError
from omnirelay.providers.replicate.transforms import prediction_from
from omnirelay.providers.replicate.upstream import ReplicatePrediction

__all__ = ["verified_webhook"]


def verified_webhook(channel: Channel, headers: Mapping[str, str], body: bytes) -> ReplicatePrediction:
    """The prediction a webhook to ``channel`` carries, once its signature is verified.

    Raises PermissionDenied (403) when the channel has no ``webhook_secret``, AuthenticationFailed
    (401) when the signature, its headers or its timestamp do not check out, InvalidRequest (400)
    when a correctly signed body is not a prediction.
    """
    secret = channel.options.get("webhook_secret")
    if not isinstance(secret, str) or not secret:
        raise PermissionDenied(f"channel {channel.name} has no options.webhook_secret: its webhooks cannot be verified")
    try:
        verifier = Webhook(secret)
    except (binascii.Error, ValueError, EmptyWebhookSecretError) as exc:
        raise PermissionDenied(f"channel {channel.name}: options.webhook_secret is not a whsec_ secret") from exc
    lowered = {key.lower(): value for key, value in headers.items()}
    try:
        verifier.verify(body, lowered)
    except (WebhookVerificationError, ValueError) as exc:
        raise AuthenticationFailed(f"a webhook for channel {channel.name} failed verification: {exc}") from exc
    try:
        return prediction_from(orjson.loads(body))
    except (orjson.JSONDecodeError, UpstreamError) as exc:
        raise InvalidRequest("a signed Replicate webhook carried something that is not a prediction") from exc
