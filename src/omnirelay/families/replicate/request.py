"""A create body, checked and turned into one :class:`CreateRequest` (pure; no money, no I/O yet).

The three create endpoints share it: ``POST /v1/predictions`` names the model by ``version``
(``owner/name``, ``owner/name:<64 hex>`` or a bare 64-hex version), the model and deployment
endpoints by their path. Unknown top-level keys are refused as Replicate does
(``additionalProperties: false``); a known model's input is checked against :mod:`.models`;
``data:`` URIs over the size limit are a 413.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omnirelay.errors import InvalidRequest, PayloadTooLarge
from omnirelay.families.replicate.invalid import InvalidFields
from omnirelay.families.replicate.models import KnownModel, by_name, by_version
from omnirelay.families.replicate.validation import invalid_input
from omnirelay.providers.replicate.upstream import Addressing

__all__ = ["EVENTS", "CreateRequest", "parse_create"]

EVENTS = ("start", "output", "logs", "completed")
DEFAULT_EVENTS = ("output", "completed")
"""What Replicate sends when no filter is given: new outputs and the completion."""
_COMMON_KEYS = frozenset({"input", "webhook", "webhook_events_filter", "webhook_completed", "stream"})
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True, slots=True)
class CreateRequest:
    model: str
    """``owner/name``, or the version itself for a bare version the gateway does not know."""
    version: str
    """64 hex digits, or ``hidden`` (an official model or a deployment)."""
    input: dict[str, Any]
    webhook: str | None
    events: tuple[str, ...]
    addressing: Addressing
    """Which create endpoint the client used: ``version``, ``model`` or ``deployment``."""
    target: str
    """The body's ``version`` as sent, or ``owner/name`` from the path (what the adapter addresses)."""
    deployment: str | None = None
    known: KnownModel | None = None


def _required(name: str) -> dict[str, str]:
    return {"type": "required", "field": name, "description": f"{name} is required"}


def _top_level(body: Any, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidFields([{"type": "invalid_type", "field": "", "description": "The body must be a JSON object"}])
    extra = sorted(k for k in body if k not in allowed)
    problems = [
        {
            "type": "additional_property_not_allowed",
            "field": k,
            "description": f"Additional property {k} is not allowed",
        }
        for k in extra
    ]
    if not isinstance(body.get("input"), dict):
        problems.append(_required("input") if body.get("input") is None else _not_object("input"))
    if problems:
        raise InvalidFields(problems)
    return body


def _not_object(name: str) -> dict[str, str]:
    return {"type": "invalid_type", "field": name, "description": "Invalid type. Expected: object"}


def _by_version(value: Any) -> tuple[str, str, KnownModel | None]:
    """(model, version, known model) named by a ``version`` field."""
    if not isinstance(value, str) or not value:
        raise InvalidFields([_required("version")])
    name, _, pinned = value.partition(":")
    if _HEX64.match(value):
        known = by_version(value)
        return (known.name if known else value), value, known
    if _NAME.match(name) and (not pinned or _HEX64.match(pinned)):
        known = by_name(name)
        return name, pinned or "hidden", known
    raise InvalidFields(
        [
            {
                "type": "invalid_version",
                "field": "version",
                "description": "version must be owner/name, owner/name:<64 hex digits> or a 64-hex version id",
            }
        ]
    )


def _webhook(body: Mapping[str, Any]) -> tuple[str | None, tuple[str, ...]]:
    url = body.get("webhook")
    events: Any = body.get("webhook_events_filter")
    if url is None and body.get("webhook_completed") is not None:
        url, events = body.get("webhook_completed"), ["completed"]  # the legacy field
    if url is not None and (not isinstance(url, str) or not url.startswith(("https://", "http://"))):
        raise InvalidFields([{"type": "format", "field": "webhook", "description": "webhook must be an HTTPS URL"}])
    if events is None:
        return url, DEFAULT_EVENTS
    if not isinstance(events, list) or any(e not in EVENTS for e in events):
        description = f"webhook_events_filter must be a list of {', '.join(EVENTS)}"
        raise InvalidFields([{"type": "enum", "field": "webhook_events_filter", "description": description}])
    return url, tuple(e for e in EVENTS if e in events)


def _data_uri_bytes(value: Any) -> int:
    """The largest decoded size of any ``data:`` URI inside ``value``."""
    if isinstance(value, str):
        return (len(value) - value.find(",") - 1) * 3 // 4 if value.startswith("data:") else 0
    if isinstance(value, dict):
        return max((_data_uri_bytes(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return max((_data_uri_bytes(v) for v in value), default=0)
    return 0


def parse_create(body: Any, *, path_model: str | None, deployment: bool, max_file_bytes: int) -> CreateRequest:
    """The create request of ``body``; ``path_model`` is ``owner/name`` from the URL (None: by version)."""
    allowed = _COMMON_KEYS if path_model is not None else _COMMON_KEYS | {"version"}
    checked = _top_level(body, allowed)
    if path_model is None:
        model, version, known = _by_version(checked.get("version"))
        addressing: Addressing = "version"
        target = str(checked["version"])
    else:
        model, version, known = path_model, "hidden", None if deployment else by_name(path_model)
        addressing, target = ("deployment" if deployment else "model"), path_model
    given: dict[str, Any] = checked["input"]
    if known is not None and (problems := invalid_input(known, given)):
        raise InvalidFields(problems)
    if _data_uri_bytes(given) > max_file_bytes:
        raise PayloadTooLarge(
            f"A data: URI input is larger than {max_file_bytes} bytes; send a larger file as an https URL.",
            param="input",
        )
    url, events = _webhook(checked)
    return CreateRequest(
        model=model,
        version=version,
        input=given,
        webhook=url,
        events=events,
        addressing=addressing,
        target=target,
        deployment=path_model if deployment else None,
        known=known,
    )


def path_name(owner: str, name: str) -> str:
    """``owner/name`` from a URL's two segments, or a 404-like refusal when they are not a model name."""
    joined = f"{owner}/{name}"
    if not _NAME.match(joined):
        raise InvalidRequest(f"{joined!r} is not a model name (owner/name).", param="model")
    return joined
