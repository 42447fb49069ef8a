"""API keys: generation, hashing, and the immutable record the hot path checks scopes against."""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["KeyRecord", "generate_key", "hash_key", "key_hint"]

_ALPHABET = string.ascii_letters + string.digits
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def generate_key() -> str:
    """A new key: ``sk-`` followed by 48 random letters and digits."""
    return "sk-" + "".join(secrets.choice(_ALPHABET) for _ in range(48))


def hash_key(key: str) -> str:
    """What the store keeps instead of the key (SHA-256 hex; keys carry 285 bits of entropy)."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_hint(key: str) -> str:
    """A recognisable, harmless form of the key for listings: ``sk-abcd...wxyz``."""
    return f"{key[:7]}...{key[-4:]}"


@dataclass(frozen=True, slots=True)
class KeyRecord:
    id: int
    account_id: int
    name: str
    key_hint: str
    models: frozenset[str] | None
    networks: tuple[Network, ...] | None
    expires_at: int | None
    spend_cap: int | None
    spent: int
    rpm: int | None
    tpm: int | None
    max_concurrency: int | None
    enabled: bool

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> KeyRecord:
        models = row["models"]
        allow = row["ip_allowlist"]
        return cls(
            id=row["id"],
            account_id=row["account_id"],
            name=row["name"],
            key_hint=row["key_hint"],
            models=frozenset(models) if models else None,
            networks=tuple(ipaddress.ip_network(n, strict=False) for n in allow) if allow else None,
            expires_at=row["expires_at"],
            spend_cap=row["spend_cap"],
            spent=row["spent"],
            rpm=row["rpm"],
            tpm=row["tpm"],
            max_concurrency=row["max_concurrency"],
            enabled=row["enabled"],
        )

    def allows_model(self, model: str) -> bool:
        return self.models is None or model in self.models

    def allows_ip(self, address: str | None) -> bool:
        if self.networks is None:
            return True
        if address is None:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)
