"""Kling's JWT (spec §3): HS256 signed with the secret key, ``iss`` = the access key, ``exp``/``nbf``.

Minting is cheap but not free, and one token serves every call of its key: a token is cached
per channel secret and minted again when less than :data:`REFRESH_MARGIN_S` of it is left, or
when the upstream refuses it (:meth:`TokenCache.token` with ``fresh=True``; the adapter does that
once per call on a 401).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from omnirelay.errors import UpstreamAuthFailed

__all__ = ["LIFETIME_S", "REFRESH_MARGIN_S", "TokenCache", "keys_of", "mint"]

LIFETIME_S = 1800
"""How long a minted token is valid (Kling's documented 30 minutes)."""
REFRESH_MARGIN_S = 300
"""A cached token with less than this left is minted again."""
_NBF_SKEW_S = 5
_MAX_CACHED = 10_000


def keys_of(secret: str, channel: str) -> tuple[str, str]:
    """(access key, secret key) of a channel secret ``AK|SK``."""
    access, sep, signing = secret.partition("|")
    if not sep or not access.strip() or not signing.strip():
        raise UpstreamAuthFailed(f"channel {channel}: a kling secret must be ACCESS_KEY|SECRET_KEY")
    return access.strip(), signing.strip()


def mint(access_key: str, secret_key: str, now: float, lifetime_s: int = LIFETIME_S) -> str:
    claims = {"iss": access_key, "exp": int(now) + lifetime_s, "nbf": int(now) - _NBF_SKEW_S}
    import jwt  # loaded with the first Kling call, not with every gateway

    return jwt.encode(claims, secret_key, algorithm="HS256", headers={"typ": "JWT"})


class TokenCache:
    """One live token per ``AK|SK`` secret."""

    def __init__(self, lifetime_s: int = LIFETIME_S, clock: Callable[[], float] = time.time) -> None:
        self._lifetime_s = lifetime_s
        self._clock = clock
        self._tokens: dict[str, tuple[str, float]] = {}
        self.minted = 0
        """Tokens minted so far (observability and tests)."""

    def token(self, secret: str, channel: str, *, fresh: bool = False) -> str:
        now = self._clock()
        cached = self._tokens.get(secret)
        if cached is not None and not fresh and cached[1] - now > REFRESH_MARGIN_S:
            return cached[0]
        access, signing = keys_of(secret, channel)
        token = mint(access, signing, now, self._lifetime_s)
        if len(self._tokens) >= _MAX_CACHED:
            self._tokens.clear()
        self._tokens[secret] = (token, now + self._lifetime_s)
        self.minted += 1
        return token
