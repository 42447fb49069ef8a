"""The in-memory form of a channel, as routing sees it."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["Channel"]


@dataclass(slots=True)
class Channel:
    id: int
    name: str
    type: str
    base_url: str
    secrets: tuple[str, ...]
    models: frozenset[str]
    model_map: Mapping[str, str]
    priority: int
    weight: int
    groups: frozenset[str]
    timeout_s: float | None
    enabled: bool
    auto_disabled: bool
    disabled_reason: str | None
    last_resort: bool = False
    """Serves a model only when no other channel in the caller's group is routed for it."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """Per-type switches (``responses``: an OpenAI upstream that serves ``/v1/responses`` itself)."""
    _rotation: Any = field(default=None, repr=False)

    @classmethod
    def from_row(
        cls, row: Mapping[Any, Any], secrets: list[str], normalise: Callable[[str, str], str] | None = None
    ) -> Channel:
        """``normalise(type, base_url)`` brings a stored base URL to today's form (rows written before)."""
        base_url = normalise(row["type"], row["base_url"]) if normalise else row["base_url"].rstrip("/")
        return cls(
            id=row["id"],
            name=row["name"],
            type=row["type"],
            base_url=base_url,
            secrets=tuple(secrets),
            models=frozenset(row["models"]),
            model_map=dict(row["model_map"] or {}),
            priority=row["priority"],
            weight=max(0, row["weight"]),
            groups=frozenset(row["groups"] or ["default"]),
            timeout_s=row["timeout_s"],
            enabled=row["enabled"],
            auto_disabled=row["auto_disabled"],
            disabled_reason=row["disabled_reason"],
            last_resort=bool(row.get("last_resort", False)),
            options=dict(row.get("options") or {}),
        )

    @property
    def usable(self) -> bool:
        return self.enabled and not self.auto_disabled

    def upstream_model(self, model: str) -> str:
        return self.model_map.get(model, model)

    def next_secret(self) -> str | None:
        """Round-robin over the channel's secrets (spreads load over several upstream keys)."""
        index = self.next_secret_index()
        return None if index is None else self.secrets[index]

    def next_secret_index(self) -> int | None:
        """The index of the secret round-robin picks next (what :meth:`next_secret` would send)."""
        if not self.secrets:
            return None
        if self._rotation is None:
            self._rotation = itertools.cycle(range(len(self.secrets)))
        return int(next(self._rotation))

    def with_secret(self, index: int) -> Channel:
        """This channel sending only its secret ``index`` (channel affinity pins a conversation's key)."""
        return replace(self, secrets=(self.secrets[index],), _rotation=None)
