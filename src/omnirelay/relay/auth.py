"""Who is calling: the API key from the request, checked against its scopes."""

from __future__ import annotations

from dataclasses import dataclass

from omnirelay.accounts.keys import KeyRecord, hash_key, key_hint
from omnirelay.catalog import Snapshot
from omnirelay.db.engine import now_ms
from omnirelay.errors import AuthenticationFailed, PermissionDenied

__all__ = ["Caller", "authenticate", "bearer_token"]


@dataclass(frozen=True, slots=True)
class Caller:
    key: KeyRecord
    group: str


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def authenticate(snapshot: Snapshot, token: str | None, client_ip: str | None) -> Caller:
    """The caller behind ``token``.

    401 for a missing, unknown, disabled or expired key; 403 for an address outside the allowlist.
    """
    if token is None:
        raise AuthenticationFailed(
            "You didn't provide an API key. Send it as 'Authorization: Bearer sk-...'.",
            code="missing_api_key",
        )
    key = snapshot.keys_by_hash.get(hash_key(token))
    if key is None:
        raise AuthenticationFailed(f"Incorrect API key provided: {key_hint(token)}.")
    if not key.enabled:
        raise AuthenticationFailed("This API key has been disabled.", code="api_key_disabled")
    if key.expires_at is not None and key.expires_at <= now_ms():
        raise AuthenticationFailed("This API key has expired.", code="api_key_expired")
    if not key.allows_ip(client_ip):
        raise PermissionDenied(f"Requests from {client_ip} are not allowed for this API key.", code="ip_not_allowed")
    return Caller(key=key, group=snapshot.account_groups.get(key.account_id, "default"))
