"""TOTP second factor (RFC 6238, 30-second steps, 6 digits): seeds, provisioning links, one-use codes."""

from __future__ import annotations

import hmac
import time

import pyotp

__all__ = ["accepted_step", "new_seed", "provisioning_uri"]

_STEP_S = 30


def new_seed() -> str:
    return pyotp.random_base32()


def provisioning_uri(seed: str, account_name: str, issuer: str = "omnirelay") -> str:
    """The ``otpauth://`` link an authenticator app reads (shown as text and as a QR code)."""
    return pyotp.TOTP(seed).provisioning_uri(name=account_name, issuer_name=issuer)


def accepted_step(seed: str, code: str, last_step: int | None, now_s: float | None = None) -> int | None:
    """The step ``code`` belongs to (this one or its neighbours, for clock drift), or None.

    A step at or before ``last_step`` is refused: a code that was used once cannot be replayed.
    """
    code = code.strip().replace(" ", "")
    if not (len(code) == 6 and code.isdigit()):
        return None
    now = time.time() if now_s is None else now_s
    totp = pyotp.TOTP(seed)
    current = int(now // _STEP_S)
    for step in (current, current - 1, current + 1):
        if (last_step is None or step > last_step) and hmac.compare_digest(totp.at(step * _STEP_S), code):
            return step
    return None
