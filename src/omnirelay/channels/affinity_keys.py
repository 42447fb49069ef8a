"""A request's conversation identity, one pure function per source (see ``channels/affinity.py``).

Each function answers ``None`` when its source is absent, so an ingress asks them in turn and
pays nothing for requests without one: only an Anthropic request that carries ``cache_control``
is hashed, and only its stable head (model, tools, system and the first message).

Why the first message and not "everything up to the last breakpoint": clients such as Claude
Code move their last ``cache_control`` marker to the newest message on every turn, so the prefix
up to it changes every turn and would never match again; the head of a conversation does not
change, and the provider's cache (written up to the moving breakpoint, found again by its own
look-back) is on the channel and key the head was pinned to.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

__all__ = [
    "affinity_key_for_anthropic",
    "affinity_key_for_header",
    "affinity_key_for_previous_response",
    "affinity_key_for_prompt_cache_key",
    "affinity_key_for_response",
]

_MAX_KEY_CHARS = 256
"""Client-chosen identities longer than this are hashed (keeps memory and Redis keys bounded)."""


def _bounded(kind: str, model: str, value: str) -> str:
    if len(value) > _MAX_KEY_CHARS:
        value = hashlib.sha256(value.encode()).hexdigest()
    return f"{kind}:{model}:{value}"


def affinity_key_for_prompt_cache_key(body: Mapping[str, Any]) -> str | None:
    """OpenAI's ``prompt_cache_key`` (chat and Responses): the client names its conversation itself."""
    value = body.get("prompt_cache_key")
    model = body.get("model")
    if not isinstance(value, str) or not value or not isinstance(model, str):
        return None
    return _bounded("pck", model, value)


def affinity_key_for_header(headers: Mapping[str, str], header: str | None, model: Any) -> str | None:
    """The operator's session header (``relay.affinity_header``, e.g. ``x-session-id``); off when unset."""
    if not header or not isinstance(model, str):
        return None
    value = headers.get(header)
    return _bounded("hdr", model, value) if value else None


def affinity_key_for_previous_response(previous_response_id: Any) -> str | None:
    """Responses ``previous_response_id``: the conversation continues where that response was answered."""
    if not isinstance(previous_response_id, str) or not previous_response_id:
        return None
    return affinity_key_for_response(previous_response_id)


def affinity_key_for_response(response_id: str) -> str:
    """The key a new response is remembered under (``Gate.stick``), so its follow-up finds it."""
    return _bounded("resp", "-", response_id)


def _has_cache_control(value: Any) -> bool:
    if isinstance(value, dict):
        return "cache_control" in value or any(_has_cache_control(v) for v in value.values() if isinstance(v, list))
    if isinstance(value, list):
        return any(_has_cache_control(v) for v in value)
    return False


def _without_cache_control(value: Any) -> Any:
    """The markers move between turns; the content they mark does not."""
    if isinstance(value, dict):
        return {k: _without_cache_control(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [_without_cache_control(v) for v in value]
    return value


def affinity_key_for_anthropic(body: Mapping[str, Any]) -> str | None:
    """An Anthropic Messages request whose prefix is cached: a hash of its model, tools, system and first message.

    ``None`` (no hashing at all) unless ``cache_control`` appears at the top level, in ``system``,
    ``tools`` or a message's content blocks."""
    model = body.get("model")
    messages = body.get("messages")
    if not isinstance(model, str) or not isinstance(messages, list) or not messages:
        return None
    if "cache_control" not in body and not any(
        _has_cache_control(body.get(part)) for part in ("system", "tools", "messages")
    ):
        return None
    head = [body.get("tools"), body.get("system"), messages[0]]
    digest = hashlib.sha256(orjson.dumps(_without_cache_control(head), option=orjson.OPT_SORT_KEYS)).hexdigest()
    return f"anth:{model}:{digest[:32]}"
