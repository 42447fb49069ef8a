"""Google's JSON field names: camelCase on the wire, snake_case accepted (as Google's parsers do).

The official ``google-genai`` SDK sends some nested objects in snake_case (``thinking_config``,
``function_declarations``...); the conversions read one spelling only, so requests are brought
to camelCase first. User data keeps its names: call arguments, function results and schemas.
"""

from __future__ import annotations

from typing import Any

__all__ = ["camel_case"]

_OPAQUE = frozenset(
    {"args", "response", "parameters", "parametersJsonSchema", "responseSchema", "responseJsonSchema", "labels"}
)


def _camel(name: str) -> str:
    if "_" not in name:
        return name
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def camel_case(value: Any) -> Any:
    """``value`` with every field name in camelCase, user data left as sent."""
    if isinstance(value, list):
        return [camel_case(item) for item in value]
    if not isinstance(value, dict):
        return value
    named = {_camel(str(name)): item for name, item in value.items()}
    return {name: item if name in _OPAQUE else camel_case(item) for name, item in named.items()}
