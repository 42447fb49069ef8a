"""Channel base URLs: one checked, normalised form per channel type.

Each channel type declares a :class:`BaseURLRule` next to its provider (``providers/<name>/kind.py``):
the form it expects (shown to the operator when a URL is refused) and how the path is brought to
that form, so both spellings an operator may paste (with or without ``/v1``) reach the same
upstream. Create and change store the normalised form; loading normalises old rows too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from omnirelay.errors import InvalidRequest

__all__ = ["BaseURLRule", "add_when_bare", "normalise_base_url", "strip_suffixes"]

PathRule = Callable[[str], str]
"""The path of a base URL (no trailing slash, maybe empty) -> the path the provider expects."""


@dataclass(frozen=True, slots=True)
class BaseURLRule:
    expects: str
    """The expected form, completing "<type> channels take ...", e.g.
    "the API root, e.g. https://api.openai.com/v1 (the /v1 is added when missing)"."""
    path: PathRule
    schemes: tuple[str, ...] = ("http", "https")


def add_when_bare(suffix: str) -> PathRule:
    """A URL with no path gets ``suffix`` (``https://api.openai.com`` -> ``.../v1``); a path is kept
    as given (``/api/v1``, ``/v1beta/openai`` are roots in their own right)."""

    def rule(path: str) -> str:
        return path or suffix

    return rule


def strip_suffixes(*suffixes: str) -> PathRule:
    """The provider adds the version itself: one trailing ``/v1`` (etc.) is removed."""

    def rule(path: str) -> str:
        for suffix in suffixes:
            if path.lower().endswith(suffix):
                return path[: -len(suffix)]
        return path

    return rule


def _problem(raw: str, schemes: tuple[str, ...]) -> str | None:
    parts = urlsplit(raw)
    if parts.scheme.lower() not in schemes:
        return "it must start with " + " or ".join(f"{s}://" for s in schemes)
    if not parts.hostname:
        return "it has no host"
    if parts.query or raw.rstrip("/").endswith("?"):
        return "it must not have a query (?...)"
    if parts.fragment or "#" in raw:
        return "it must not have a fragment (#...)"
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return "its port is not a number"
    return None


def normalise_base_url(channel_type: str, raw: str, rule: BaseURLRule) -> str:
    """The stored form of ``raw`` for a channel of ``channel_type``; InvalidRequest naming
    ``base_url`` and the expected form when it cannot be used."""
    text = raw.strip()
    problem = _problem(text, rule.schemes) if text else "it is empty"
    if problem is not None:
        raise InvalidRequest(
            f"base_url {raw!r} cannot be used: {problem}. {channel_type} channels take {rule.expects}.",
            param="base_url",
        )
    parts = urlsplit(text)
    path = rule.path(parts.path.rstrip("/"))
    return urlunsplit((parts.scheme.lower(), parts.netloc, path, "", ""))
