"""The one error tree of omnirelay.

Every failure a client can see is an :class:`OmniRelayError`. Each class carries its
HTTP status and the OpenAI ``type``/``code`` as class attributes; the HTTP edge of
each API family renders them in that family's own shape (``api/openai/errors.py``)::

    OmniRelayError                      500 server_error
    ├── InvalidRequest                  400 invalid_request_error
    │   ├── PayloadTooLarge             413
    │   └── ModelNotFound               404 model_not_found
    ├── AuthenticationFailed            401 invalid_api_key
    ├── PermissionDenied                403 permission_error
    │   └── ModelNotPriced              403 model_not_priced
    ├── InsufficientBalance             402 insufficient_quota
    ├── RateLimited                     429 rate_limit_exceeded (+ Retry-After)
    ├── NotFound                        404 not_found
    ├── StoreUnavailable                503 the balance store cannot be reached
    ├── Overloaded                      503 overloaded: this process takes no more local work now (+ Retry-After)
    └── UpstreamError                   502 upstream_error   (retryable on another channel)
        ├── UpstreamUnavailable         503 no channel could answer now (+ Retry-After)
        │   └── ChannelsDisabled        503 channels_disabled: only the operator can fix it
        ├── UpstreamTimeout             504                  (retryable)
        ├── UpstreamAuthFailed          502 the channel's secret was refused (channel auto-disabled)
        └── UpstreamRejected            4xx the upstream refused the request itself (not retryable)

Upstream transport failures are translated into this tree at one boundary,
``providers/openai_compat/errors.py``, always with ``raise ... from exc``.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationFailed",
    "ChannelsDisabled",
    "IdempotencyKeyReused",
    "InsufficientBalance",
    "InvalidRequest",
    "ModelNotFound",
    "ModelNotPriced",
    "NotFound",
    "OmniRelayError",
    "Overloaded",
    "PayloadTooLarge",
    "PermissionDenied",
    "RateLimited",
    "StoreUnavailable",
    "UpstreamAuthFailed",
    "UpstreamError",
    "UpstreamRejected",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]


class OmniRelayError(Exception):
    status_code: int = 500
    type: str = "server_error"
    code: str | None = None

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code

    @property
    def headers(self) -> dict[str, str]:
        return {}


class InvalidRequest(OmniRelayError):
    status_code = 400
    type = "invalid_request_error"


class IdempotencyKeyReused(InvalidRequest):
    """An ``Idempotency-Key`` sent again with a different request (the first one's result is kept)."""

    status_code = 422
    code = "idempotency_key_reused"


class PayloadTooLarge(InvalidRequest):
    status_code = 413
    code = "payload_too_large"


class ModelNotFound(InvalidRequest):
    status_code = 404
    code = "model_not_found"


class AuthenticationFailed(OmniRelayError):
    status_code = 401
    type = "invalid_request_error"
    code = "invalid_api_key"


class PermissionDenied(OmniRelayError):
    status_code = 403
    type = "permission_error"
    code = "permission_denied"


class ModelNotPriced(PermissionDenied):
    code = "model_not_priced"


class InsufficientBalance(OmniRelayError):
    status_code = 402
    type = "insufficient_quota"
    code = "insufficient_balance"


class RateLimited(OmniRelayError):
    status_code = 429
    type = "rate_limit_exceeded"
    code = "rate_limit_exceeded"

    def __init__(self, message: str, *, retry_after: float, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(max(1, int(self.retry_after + 0.999)))}


class NotFound(OmniRelayError):
    status_code = 404
    type = "invalid_request_error"
    code = "not_found"


class StoreUnavailable(OmniRelayError):
    status_code = 503
    type = "server_error"
    code = "billing_unavailable"


class Overloaded(OmniRelayError):
    """The gateway process runs and queues as much work of this kind as it takes; retry shortly.

    Not an upstream failure: no channel is blamed and no other channel is tried."""

    status_code = 503
    type = "server_error"
    code = "overloaded"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(max(1, int(self.retry_after + 0.999)))}


class UpstreamError(OmniRelayError):
    status_code = 502
    type = "upstream_error"
    code = "bad_gateway"
    retryable: bool = True
    """Another channel may succeed where this one failed."""


class UpstreamUnavailable(UpstreamError):
    """No channel can take the call right now (breakers open after recent failures): retry later."""

    status_code = 503
    code = "no_channel_available"

    def __init__(self, message: str, *, code: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        return {"Retry-After": str(max(1, int(self.retry_after + 0.999)))}


class ChannelsDisabled(UpstreamUnavailable):
    """Every channel that could serve the model is disabled, or cannot serve the call at all.

    Retrying will not help until the operator acts: ``x-should-retry: false`` tells the official
    OpenAI and Anthropic SDKs not to retry it."""

    code = "channels_disabled"
    retryable = False

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message, code=code)

    @property
    def headers(self) -> dict[str, str]:
        return {"x-should-retry": "false"}


class UpstreamTimeout(UpstreamError):
    status_code = 504
    code = "upstream_timeout"


class UpstreamAuthFailed(UpstreamError):
    """The upstream refused the channel's own credentials (401/403): the channel gets disabled."""

    code = "upstream_auth_failed"


class UpstreamRejected(UpstreamError):
    """The upstream answered 4xx about the request itself; its status and message are relayed."""

    retryable = False

    def __init__(self, message: str, *, status_code: int, type: str, code: str | None, param: str | None):
        super().__init__(message, param=param, code=code)
        self.status_code = status_code
        self.type = type
